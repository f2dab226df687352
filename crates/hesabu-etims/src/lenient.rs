//! Tolerant readers for fields KRA's gateways do not type consistently.
//!
//! Observed: `curRcptNo` is a number on one gateway and a string (`"3"`) on the other; Odoo's
//! mocked invoice details carry `"itemCd": false`; device ids may come back as numbers. These
//! readers accept the variants and never pass a number through a float ([`crate::amount`]).
//! Writers are serde's defaults.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Deserializer;
use serde::de::Error as _;

use crate::amount::{Scalar, parse, scalar};

fn to_u64(text: &str) -> Result<u64, String> {
    let text = text.trim();
    if let Ok(n) = text.parse::<u64>() {
        return Ok(n);
    }
    // `169.0` or `1.69E+2`: accept a whole number written as a decimal.
    let value: Decimal = parse(text)?;
    if value.fract().is_zero() {
        value
            .to_u64()
            .ok_or_else(|| format!("{text} is not a non-negative whole number"))
    } else {
        Err(format!("{text} is not a whole number"))
    }
}

/// A non-negative whole number, written as a number or a string.
pub fn u64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    match scalar(deserializer)? {
        Scalar::Num(text) | Scalar::Str(text) => to_u64(&text).map_err(D::Error::custom),
        other => Err(D::Error::custom(format!(
            "expected a whole number, found {}",
            other.describe()
        ))),
    }
}

/// The same, optional: `null`, `false`, `""` and an absent field are `None`.
pub fn opt_u64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    match scalar(deserializer)? {
        Scalar::Null | Scalar::Bool(false) => Ok(None),
        Scalar::Str(text) if text.trim().is_empty() => Ok(None),
        Scalar::Num(text) | Scalar::Str(text) => to_u64(&text).map(Some).map_err(D::Error::custom),
        Scalar::Bool(true) => Err(D::Error::custom("expected a whole number, found true")),
    }
}

/// The same for `u32` counts and sequence numbers.
pub fn opt_u32<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u32>, D::Error> {
    opt_u64(deserializer)?
        .map(|n| u32::try_from(n).map_err(|_| D::Error::custom(format!("{n} is too large"))))
        .transpose()
}

/// Text that may arrive as a string, a number (kept as written), `null` or `false` (`None`).
pub fn opt_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    match scalar(deserializer)? {
        Scalar::Null | Scalar::Bool(false) => Ok(None),
        Scalar::Bool(true) => Ok(Some("true".to_owned())),
        Scalar::Str(text) | Scalar::Num(text) => Ok(Some(text)),
    }
}

/// Required text that may arrive as a number (`"custNo": 7`).
pub fn string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    match scalar(deserializer)? {
        Scalar::Str(text) | Scalar::Num(text) => Ok(text),
        other => Err(D::Error::custom(format!(
            "expected text, found {}",
            other.describe()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    struct T {
        #[serde(default, deserialize_with = "super::opt_u64")]
        n: Option<u64>,
        #[serde(default, deserialize_with = "super::opt_string")]
        s: Option<String>,
    }

    fn t(json: &str) -> T {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn numbers_and_strings_alike() {
        assert_eq!(t(r#"{"n":169}"#).n, Some(169));
        assert_eq!(t(r#"{"n":"3"}"#).n, Some(3));
        assert_eq!(t(r#"{"n":169.0}"#).n, Some(169));
        assert_eq!(t(r#"{"n":null}"#).n, None);
        assert_eq!(t(r#"{}"#).n, None);
        assert!(serde_json::from_str::<T>(r#"{"n":1.5}"#).is_err());
        assert!(serde_json::from_str::<T>(r#"{"n":-1}"#).is_err());
        assert_eq!(t(r#"{"s":false}"#).s, None);
        assert_eq!(t(r#"{"s":450471}"#).s.as_deref(), Some("450471"));
        assert_eq!(t(r#"{"s":"KE3OUU"}"#).s.as_deref(), Some("KE3OUU"));
    }
}
