//! Exact JSON numbers for amounts, rates and quantities, shared by the client crates (e-TIMS,
//! QuickBooks): money never passes through a float on its way in or out.
//!
//! Both KRA and QuickBooks send and expect money as JSON numbers (`"taxblAmt": 86.21`,
//! `"Amount": 337.5`). With serde_json's default features a visitor is handed such a number as an
//! `f64`, so `0.14` arrives as 0.14000000000000001332… and an 18-digit amount (KRA's
//! NUMBER(18,2)) loses its last digits. Neither may happen to money, so every amount field goes
//! through `serde_json::value::RawValue` instead:
//!
//! - **reading**, the field receives the number's own text (`86.21`) and parses it with
//!   `Decimal::from_str_exact` (scientific notation with `Decimal::from_scientific`); a string
//!   (`"86.21"`) is accepted too, as some gateways quote numbers;
//! - **writing**, the field emits the `Decimal`'s own text as raw JSON, so we send exactly the
//!   digits we hold: `0.90` goes out as `0.90`, never as a string and never through a float.
//!
//! Why not serde_json's `arbitrary_precision` (or rust_decimal's `serde-with-arbitrary-precision`,
//! which needs it): it is a global switch that changes `serde_json::Number` and `Value` for every
//! crate in the build, so it is not ours to turn on. `raw_value` only adds a type (and tauri
//! already enables it in the desktop build). Why not rust_decimal's own serde: the workspace uses
//! its `serde-with-str` feature, which writes amounts as JSON strings.
//!
//! Limits: `RawValue` needs serde_json's own (de)serializer. Never put a type with these fields
//! behind `#[serde(flatten)]` or an untagged enum (serde buffers the content and the raw text is
//! gone); read payloads from text, not from a `serde_json::Value` (that works, but through the
//! Value's `f64`).
//!
//! Use (each client re-exports this module as its own `amount`): `#[serde(with =
//! "crate::amount")]` on a `Decimal`, `#[serde(default, with = "crate::amount::option",
//! skip_serializing_if = "Option::is_none")]` on an `Option<Decimal>`, and `crate::amount::count`
//! on an `Option<u64>` written as a number or a string.

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
pub enum Scalar {
    Null,
    Bool(bool),
    Str(String),
    /// A JSON number, as written.
    Num(String),
}

impl Scalar {
    /// What was found, for an error message ("the string \"abc\"").
    pub fn describe(&self) -> String {
        match self {
            Scalar::Null => "null".to_owned(),
            Scalar::Bool(b) => b.to_string(),
            Scalar::Str(s) => format!("the string {s:?}"),
            Scalar::Num(n) => format!("the number {n}"),
        }
    }
}

/// Reads one JSON scalar through `RawValue` (for fields that accept several shapes, e.g. a
/// number or a numeric string).
pub fn scalar<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Scalar, D::Error> {
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
    }

    fn read(json: &str) -> Line {
        serde_json::from_str(json).unwrap()
    }

    fn dec(text: &str) -> Decimal {
        Decimal::from_str_exact(text).unwrap()
    }

    /// The text KRA sends is the text we read and the text we write back, digit for digit.
    #[test]
    fn amounts_round_trip_exactly() {
        for text in [
            "86.21",
            "0.14",
            "1.04",
            "0.9",
            "0.90",
            "0.0",
            "16.0",
            "100",
            "0.30000000000000004",
            "0.1",
            "0.2",
            "9999999999999999.99",
            "1234567890123456.78",
            "999999999999999999",
            "-13.79",
            "274576.27",
        ] {
            let json = format!(r#"{{"amt":{text}}}"#);
            let line = read(&json);
            assert_eq!(line.amt, dec(text), "{text}");
            assert_eq!(line.amt.to_string(), text, "scale kept for {text}");
            assert_eq!(serde_json::to_string(&line).unwrap(), json, "{text}");
        }
    }

    /// 0.1 + 0.2 is 0.3 in decimal and goes out as 0.3, not 0.30000000000000004.
    #[test]
    fn sums_are_written_as_the_decimal_holds_them() {
        let sum = read(r#"{"amt":0.1}"#).amt + read(r#"{"amt":0.2}"#).amt;
        let line = Line {
            amt: sum,
            opt: Some(dec("86.21") + dec("13.79")),
        };
        assert_eq!(
            serde_json::to_string(&line).unwrap(),
            r#"{"amt":0.3,"opt":100.00}"#
        );
    }

    #[test]
    fn eighteen_digit_amounts_keep_every_digit() {
        let line = read(r#"{"amt":1234567890123456.78,"opt":999999999999999999}"#);
        assert_eq!(
            line.amt,
            Decimal::from_i128_with_scale(123456789012345678, 2)
        );
        assert_eq!(line.opt, Some(Decimal::from(999_999_999_999_999_999_i64)));
    }

    #[test]
    fn strings_exponents_and_nulls_are_read() {
        assert_eq!(read(r#"{"amt":"86.21"}"#).amt, dec("86.21"));
        assert_eq!(read(r#"{"amt":1.5E+2}"#).amt, dec("150"));
        assert_eq!(read(r#"{"amt":1,"opt":null}"#).opt, None);
        assert_eq!(read(r#"{"amt":1,"opt":""}"#).opt, None);
        assert_eq!(read(r#"{"amt":1}"#).opt, None);
        assert_eq!(read(r#"{"amt":1,"opt":"0.14"}"#).opt, Some(dec("0.14")));
    }

    #[test]
    fn non_amounts_are_refused() {
        for json in [
            r#"{"amt":true}"#,
            r#"{"amt":null}"#,
            r#"{"amt":"abc"}"#,
            r#"{"amt":[1]}"#,
        ] {
            assert!(serde_json::from_str::<Line>(json).is_err(), "{json}");
        }
    }

    #[test]
    fn negative_zero_is_written_as_zero() {
        let line = Line {
            amt: -dec("0.00"),
            opt: None,
        };
        assert_eq!(serde_json::to_string(&line).unwrap(), r#"{"amt":0.00}"#);
    }
}

#[cfg(test)]
mod count_tests {
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
