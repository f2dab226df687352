//! Typed columns: what a TEXT column holds, as a Rust type the entities use directly, so the
//! services neither parse stored text by hand nor compare states with string constants.
//!
//! - [`DecimalText`]: an exact `Decimal` (money, quantities, prices) stored as its canonical text.
//!   SQLite has no decimal type and sea-orm would read a numeric column back through `f64`; the
//!   text keeps every digit, and the audit hash covers exactly the stored text.
//! - States are enums deriving sea-orm's `DeriveActiveEnum` with `db_type = "Text"` beside the
//!   service that owns them (e.g. [`crate::outbox::OutboxState`]): the columns stay TEXT, holding
//!   the same words as before, so no data moves and the SQL stays portable.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use sea_orm::sea_query::{ArrayType, ColumnType, Nullable, Value, ValueType, ValueTypeErr};
use sea_orm::{ColIdx, DbErr, QueryResult, TryGetError, TryGetable};

/// A `Decimal` stored as its canonical text (`Decimal::to_string`, read back with
/// `Decimal::from_str_exact`: never through a float). A stored text that is not a decimal is
/// reported as a storage error naming it, never silently read as zero.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DecimalText(pub Decimal);

impl DecimalText {
    pub fn get(self) -> Decimal {
        self.0
    }
}

impl From<Decimal> for DecimalText {
    fn from(d: Decimal) -> Self {
        DecimalText(d)
    }
}

impl From<DecimalText> for Decimal {
    fn from(d: DecimalText) -> Self {
        d.0
    }
}

impl fmt::Display for DecimalText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for DecimalText {
    type Err = DbErr;
    fn from_str(text: &str) -> Result<Self, DbErr> {
        Decimal::from_str_exact(text)
            .map(DecimalText)
            .map_err(|_| DbErr::Type(format!("the stored amount '{text}' is not a decimal")))
    }
}

/// Serialised as the decimal string, like every amount on the wire (rust_decimal's
/// `serde-with-str`): audit summaries and payloads show the stored text.
impl serde::Serialize for DecimalText {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

impl From<DecimalText> for Value {
    fn from(d: DecimalText) -> Self {
        Value::String(Some(d.0.to_string()))
    }
}

impl TryGetable for DecimalText {
    fn try_get_by<I: ColIdx>(res: &QueryResult, index: I) -> Result<Self, TryGetError> {
        let text = String::try_get_by(res, index)?;
        text.parse().map_err(TryGetError::DbErr)
    }
}

impl ValueType for DecimalText {
    fn try_from(v: Value) -> Result<Self, ValueTypeErr> {
        match v {
            Value::String(Some(text)) => text.parse().map_err(|_| ValueTypeErr),
            _ => Err(ValueTypeErr),
        }
    }

    fn type_name() -> String {
        "DecimalText".to_owned()
    }

    fn array_type() -> ArrayType {
        ArrayType::String
    }

    fn column_type() -> ColumnType {
        ColumnType::Text
    }
}

impl Nullable for DecimalText {
    fn null() -> Value {
        Value::String(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_keep_every_digit_and_their_scale_through_text() {
        for text in [
            "0",
            "12500.00",
            "0.001",
            "79228162514264337593543950335",
            "-3.50",
        ] {
            let d: DecimalText = text.parse().unwrap();
            assert_eq!(d.to_string(), text);
            assert_eq!(
                <DecimalText as ValueType>::try_from(Value::from(d)).unwrap(),
                d
            );
        }
    }

    #[test]
    fn text_that_is_not_a_decimal_is_an_error_naming_it() {
        let err = "1,5".parse::<DecimalText>().unwrap_err().to_string();
        assert!(err.contains("'1,5'"), "{err}");
        assert!("1e3".parse::<DecimalText>().is_err(), "no exponents");
    }
}
