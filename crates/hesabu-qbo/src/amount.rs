//! Exact JSON numbers for QuickBooks amounts, rates and quantities.
//!
//! QuickBooks writes money as JSON numbers (`"UnitPrice": 22.5`, `"Amount": 337.5`). With
//! serde_json's default features a visitor is handed such a number as an `f64`, so `0.14` would
//! arrive as 0.14000000000000001332… Money must never pass through a float (spec §2.4), so every
//! amount field of this crate goes through `serde_json::value::RawValue` instead:
//!
//! - **reading**, the field receives the number's own text (`22.5`) and parses it with
//!   `Decimal::from_str_exact` (scientific notation with `Decimal::from_scientific`); a string
//!   (`"22.5"`) is accepted too;
//! - **writing**, the field emits the `Decimal`'s own text as raw JSON, so exactly the digits we
//!   hold go out, never a string and never through a float.
//!
//! This is the approach of `hesabu-etims`'s `amount` module (a client crate may not depend on
//! another, so it is repeated here). Why not serde_json's `arbitrary_precision`: it is a global
//! switch that changes `serde_json::Number` for every crate in the build.
//!
//! Limits: `RawValue` needs serde_json's own deserializer. Never put a type with these fields
//! behind `#[serde(flatten)]` or an untagged enum (serde buffers the content and the raw text is
//! gone), and read payloads from text, not from a `serde_json::Value`.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde::de::Error as _;
use serde::ser::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

/// Writes `value` as a JSON number with exactly its digits (a negative zero is written as zero).
pub fn serialize<S: Serializer>(value: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
    let value = if value.is_zero() { value.abs() } else { *value };
    let raw = RawValue::from_string(value.to_string()).map_err(S::Error::custom)?;
    raw.serialize(serializer)
}

/// Reads a JSON number (or a numeric string) into a `Decimal` without rounding.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
    match scalar(deserializer)? {
        Scalar::Num(text) | Scalar::Str(text) => parse(&text).map_err(D::Error::custom),
        other => Err(D::Error::custom(format!(
            "expected an amount, found {}",
            other.describe()
        ))),
    }
}

/// The same for optional amounts: `null`, an absent field and an empty string are `None`.
pub mod option {
    use super::*;

    /// Writes `Some` as an exact JSON number and `None` as `null` (pair it with
    /// `skip_serializing_if = "Option::is_none"`).
    pub fn serialize<S: Serializer>(
        value: &Option<Decimal>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(value) => super::serialize(value, serializer),
            None => serializer.serialize_none(),
        }
    }

    /// Reads an optional exact amount.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Decimal>, D::Error> {
        match scalar(deserializer)? {
            Scalar::Null => Ok(None),
            Scalar::Str(text) if text.trim().is_empty() => Ok(None),
            Scalar::Num(text) | Scalar::Str(text) => {
                parse(&text).map(Some).map_err(D::Error::custom)
            }
            other => Err(D::Error::custom(format!(
                "expected an amount, found {}",
                other.describe()
            ))),
        }
    }
}

/// Optional whole numbers (a file's `Size`, `expires_in`) written as a number or a string;
/// never through a float.
pub mod count {
    use super::*;

    /// Reads an optional non-negative whole number (`538`, `"538"`, `538.0`).
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<u64>, D::Error> {
        match scalar(deserializer)? {
            Scalar::Null => Ok(None),
            Scalar::Str(text) if text.trim().is_empty() => Ok(None),
            Scalar::Num(text) | Scalar::Str(text) => {
                whole(&text).map(Some).map_err(D::Error::custom)
            }
            other => Err(D::Error::custom(format!(
                "expected a whole number, found {}",
                other.describe()
            ))),
        }
    }

    /// Writes `Some(n)` as a JSON number.
    pub fn serialize<S: Serializer>(value: &Option<u64>, serializer: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(n) => serializer.serialize_u64(*n),
            None => serializer.serialize_none(),
        }
    }

    fn whole(text: &str) -> Result<u64, String> {
        let text = text.trim();
        if let Ok(n) = text.parse::<u64>() {
            return Ok(n);
        }
        let value = parse(text)?;
        if value.fract().is_zero() && value.is_sign_positive() {
            value
                .trunc()
                .to_string()
                .parse::<u64>()
                .map_err(|e| format!("{text} is not a whole number: {e}"))
        } else {
            Err(format!("{text} is not a non-negative whole number"))
        }
    }
}

/// Parses the text of a JSON number exactly: `86.21`, `-1`, `1.0E+2`.
pub fn parse(text: &str) -> Result<Decimal, String> {
    let text = text.trim();
    let parsed = if text.contains(['e', 'E']) {
        Decimal::from_scientific(text)
    } else {
        Decimal::from_str_exact(text).or_else(|_| Decimal::from_str(text))
    };
    parsed.map_err(|e| format!("{text:?} is not an exact decimal amount: {e}"))
}

/// One JSON scalar as its text, read through `RawValue` so numbers are never floats.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Scalar {
    Null,
    Bool(bool),
    Str(String),
    /// A JSON number, as written.
    Num(String),
}

impl Scalar {
    fn describe(&self) -> String {
        match self {
            Scalar::Null => "null".to_owned(),
            Scalar::Bool(b) => b.to_string(),
            Scalar::Str(s) => format!("the string {s:?}"),
            Scalar::Num(n) => format!("the number {n}"),
        }
    }
}

fn scalar<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Scalar, D::Error> {
    let raw = Box::<RawValue>::deserialize(deserializer)?;
    let text = raw.get().trim();
    match text.as_bytes().first() {
        Some(b'n') => Ok(Scalar::Null),
        Some(b't') => Ok(Scalar::Bool(true)),
        Some(b'f') => Ok(Scalar::Bool(false)),
        Some(b'"') => serde_json::from_str::<String>(text)
            .map(Scalar::Str)
            .map_err(D::Error::custom),
        Some(b'-' | b'0'..=b'9') => Ok(Scalar::Num(text.to_owned())),
        _ => Err(D::Error::custom(format!(
            "expected a number, a string or null, found {text}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct Line {
        #[serde(with = "crate::amount")]
        amt: Decimal,
        #[serde(
            default,
            with = "crate::amount::option",
            skip_serializing_if = "Option::is_none"
        )]
        opt: Option<Decimal>,
        #[serde(
            default,
            with = "crate::amount::count",
            skip_serializing_if = "Option::is_none"
        )]
        size: Option<u64>,
    }

    fn read(json: &str) -> Line {
        serde_json::from_str(json).unwrap()
    }

    fn dec(text: &str) -> Decimal {
        Decimal::from_str_exact(text).unwrap()
    }

    /// The text QuickBooks sends is the text we read and write back, digit for digit.
    #[test]
    fn amounts_round_trip_exactly() {
        for text in [
            "362.07",
            "22.5",
            "0.14",
            "275.0",
            "12.75",
            "0.30000000000000004",
            "9999999999999999.99",
            "-13.79",
            "0",
        ] {
            let json = format!(r#"{{"amt":{text}}}"#);
            let line = read(&json);
            assert_eq!(line.amt, dec(text), "{text}");
            assert_eq!(line.amt.to_string(), text, "scale kept for {text}");
            assert_eq!(serde_json::to_string(&line).unwrap(), json, "{text}");
        }
    }

    #[test]
    fn strings_exponents_counts_and_nulls_are_read() {
        assert_eq!(read(r#"{"amt":"86.21"}"#).amt, dec("86.21"));
        assert_eq!(read(r#"{"amt":1.5E+2}"#).amt, dec("150"));
        assert_eq!(read(r#"{"amt":1,"opt":null}"#).opt, None);
        assert_eq!(read(r#"{"amt":1,"opt":""}"#).opt, None);
        assert_eq!(read(r#"{"amt":1,"size":538}"#).size, Some(538));
        assert_eq!(read(r#"{"amt":1,"size":"538"}"#).size, Some(538));
        assert_eq!(read(r#"{"amt":1,"size":538.0}"#).size, Some(538));
        assert!(serde_json::from_str::<Line>(r#"{"amt":1,"size":5.5}"#).is_err());
        assert!(serde_json::from_str::<Line>(r#"{"amt":true}"#).is_err());
        assert!(serde_json::from_str::<Line>(r#"{"amt":"abc"}"#).is_err());
    }
}
