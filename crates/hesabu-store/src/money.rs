//! Money: a `rust_decimal::Decimal` with an explicit ISO 4217 currency. Never a float: amounts are
//! parsed from text exactly and printed from the Decimal. Stored amounts are TEXT columns holding
//! the Decimal's canonical string (SeaORM reads SQLite decimals back as f64, which is lossy).

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The largest amount Hesabu accepts anywhere: a budget, a reservation, a document's amount, a
/// policy or rule threshold, a sale's price or total, an amount read from KRA or QuickBooks.
/// 10^15 (a thousand trillion) is far above any real figure of a small business, leaves room for
/// sums of many such amounts inside a `Decimal` (whose maximum is about 7.9 × 10^28), and fits
/// KRA's NUMBER(18,2) fields with the tax on top. Documented in docs/limits.md.
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(0xA4C6_8000, 0x0003_8D7E, 0, false, 0);

/// [`MAX_AMOUNT`] as people read it: "1,000,000,000,000,000".
pub fn max_amount_text() -> String {
    group_thousands(&MAX_AMOUNT.trunc().to_string())
}

/// Refuses an amount whose size is above [`MAX_AMOUNT`] (either sign) with a message naming
/// `what` ("The reservation amount …"). Every entry point of an amount calls it (or parses
/// through [`parse_amount`], which does), so no stored figure can make a sum overflow.
pub fn check_max(what: &str, amount: Decimal) -> Result<Decimal> {
    if amount.abs() > MAX_AMOUNT {
        return Err(Error::invalid(format!(
            "The {what} {amount} is above the largest amount Hesabu accepts ({}); check the \
             figure.",
            max_amount_text()
        )));
    }
    Ok(amount)
}

/// A sum of stored amounts, checked: `None` never reaches a user as a panic; the caller maps it
/// to a message (see [`sum_overflow`]).
pub fn checked_sum<I: IntoIterator<Item = Decimal>>(amounts: I) -> Result<Decimal> {
    amounts
        .into_iter()
        .try_fold(Decimal::ZERO, |acc, a| acc.checked_add(a))
        .ok_or_else(|| sum_overflow("these amounts"))
}

/// The error for a sum too large to represent, naming what was being added up.
pub fn sum_overflow(what: &str) -> Error {
    Error::invalid(format!(
        "The total of {what} is too large to compute: every amount must be at most {}. Correct \
         the figure that is out of range.",
        max_amount_text()
    ))
}

/// Digits (with an optional leading `-`) with commas between groups of three: "1,500,000".
pub(crate) fn group_thousands(digits: &str) -> String {
    let (sign, digits) = match digits.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", digits),
    };
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    out.push_str(sign);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A three-letter ISO 4217 code, upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency(String);

impl Currency {
    pub fn kes() -> Self {
        Currency("KES".into())
    }
    pub fn code(&self) -> &str {
        &self.0
    }
}

impl FromStr for Currency {
    type Err = Error;
    fn from_str(text: &str) -> Result<Self> {
        let code = text.trim().to_uppercase();
        if code.len() == 3 && code.chars().all(|c| c.is_ascii_uppercase()) {
            Ok(Currency(code))
        } else {
            Err(Error::invalid(format!(
                "'{text}' is not a currency code: use three letters such as KES or USD."
            )))
        }
    }
}

impl TryFrom<String> for Currency {
    type Error = Error;
    fn try_from(text: String) -> Result<Self> {
        text.parse()
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.0
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An amount in a currency.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub currency: Currency,
}

impl Money {
    pub fn new(amount: Decimal, currency: Currency) -> Self {
        Self { amount, currency }
    }

    /// Parses an amount typed by a person: `12500`, `12,500.50`, ` 0.75 `. Commas are allowed
    /// only as thousands separators in groups of three (`1,000.00`, `12,500`): `1,5` or `12,50`
    /// (a decimal comma) is refused, never read as 15 or 1250. Exponents and floats are not
    /// allowed either. More than 4 decimal places is refused rather than rounded: silently
    /// changing an amount is worse than asking.
    pub fn parse(text: &str, currency: Currency) -> Result<Self> {
        let amount = parse_amount(text)?;
        if amount.scale() > 4 {
            return Err(Error::invalid(format!(
                "Amount '{text}' has more than 4 decimal places: round it first."
            )));
        }
        Ok(Self { amount, currency })
    }

    /// Adds two amounts of the same currency; mixing currencies is an error, not a conversion.
    pub fn checked_add(&self, other: &Money) -> Result<Money> {
        if self.currency != other.currency {
            return Err(Error::invalid(format!(
                "Cannot add {} to {}: convert to one currency first.",
                other.currency, self.currency
            )));
        }
        self.amount
            .checked_add(other.amount)
            .map(|amount| Money::new(amount, self.currency.clone()))
            .ok_or_else(|| Error::invalid("The sum is too large to represent."))
    }
}

/// `KES 2,000.00`: the currency, thousands separators, two decimals at least.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut amount = self.amount;
        if amount.scale() < 2 {
            amount.rescale(2);
        }
        let text = amount.abs().to_string();
        let (whole, frac) = text.split_once('.').unwrap_or((&text, ""));
        let grouped = group_thousands(whole);
        let sign = if amount.is_sign_negative() && !amount.is_zero() {
            "-"
        } else {
            ""
        };
        write!(f, "{} {sign}{grouped}.{frac}", self.currency)
    }
}

/// An amount as a person writes it (see [`Money::parse`]): digits, an optional sign and
/// decimal point, and commas only between groups of three digits before the point. The one
/// reading of typed amounts: the CLI, the imports and the sales ledger all use it.
pub fn parse_amount(text: &str) -> Result<Decimal> {
    let t = text.trim();
    let (int, frac) = match t.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (t, None),
    };
    let digits = if int.contains(',') {
        let groups: Vec<&str> = int.split(',').collect();
        let first = groups[0].trim_start_matches(['-', '+']);
        let grouped = !first.is_empty()
            && first.len() <= 3
            && groups[1..]
                .iter()
                .all(|g| g.len() == 3 && g.chars().all(|c| c.is_ascii_digit()));
        if !grouped {
            return Err(Error::invalid(format!(
                "'{t}' is not an amount: write 1.5 or 1,500 — commas only group thousands."
            )));
        }
        groups.concat()
    } else {
        int.to_owned()
    };
    let plain = match frac {
        Some(f) => format!("{digits}.{f}"),
        None => digits,
    };
    let amount = Decimal::from_str_exact(&plain).map_err(|_| {
        Error::invalid(format!(
            "Amount '{t}' is not a number: write it like 12500.00."
        ))
    })?;
    check_max("amount", amount)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kes(text: &str) -> Money {
        Money::parse(text, Currency::kes()).unwrap()
    }

    #[test]
    fn amounts_parse_exactly_and_format_for_people() {
        for (input, shown) in [
            ("2000", "KES 2,000.00"),
            ("12,500.5", "KES 12,500.50"),
            ("1234567890.1234", "KES 1,234,567,890.1234"),
            ("-5000", "KES -5,000.00"),
            ("0.1", "KES 0.10"),
            ("999", "KES 999.00"),
        ] {
            assert_eq!(kes(input).to_string(), shown, "{input}");
        }
        // 0.1 + 0.2 is exactly 0.3: no float anywhere.
        assert_eq!(kes("0.1").checked_add(&kes("0.2")).unwrap(), kes("0.3"));
    }

    #[test]
    fn commas_only_group_thousands() {
        assert_eq!(kes("1,000.00").amount, Decimal::new(100_000, 2));
        assert_eq!(kes("12,500").amount, Decimal::from(12_500));
        assert_eq!(kes("-1,234,567.5").amount, Decimal::new(-12_345_675, 1));
        // A decimal comma is refused, never read as 15 or 1250.
        for bad in ["1,5", "12,50", "1,0000", ",500", "1,,000", "1,000,00"] {
            let err = Money::parse(bad, Currency::kes()).unwrap_err().to_string();
            assert!(err.contains("commas only group thousands"), "{bad}: {err}");
        }
    }

    #[test]
    fn amounts_above_the_maximum_are_refused_at_parse() {
        assert_eq!(kes("1,000,000,000,000,000").amount, MAX_AMOUNT);
        assert_eq!(kes("-1000000000000000").amount, -MAX_AMOUNT);
        for bad in [
            "1000000000000000.01",
            "79228162514264337593543950335",
            "-79228162514264337593543950335",
        ] {
            let err = Money::parse(bad, Currency::kes()).unwrap_err().to_string();
            assert!(err.contains("1,000,000,000,000,000"), "{bad}: {err}");
        }
        assert_eq!(max_amount_text(), "1,000,000,000,000,000");
        assert!(checked_sum([MAX_AMOUNT; 1000]).is_ok());
        assert!(checked_sum([Decimal::MAX, Decimal::ONE]).is_err());
    }

    #[test]
    fn bad_amounts_say_how_to_write_one() {
        for bad in ["12x", "1e5", "", "1.23456"] {
            let err = Money::parse(bad, Currency::kes()).unwrap_err();
            assert!(matches!(err, Error::InvalidInput(_)), "{bad}");
        }
        assert!("KSH1".parse::<Currency>().is_err());
        let usd = Money::parse("1", "usd".parse().unwrap()).unwrap();
        assert!(kes("1").checked_add(&usd).is_err());
    }
}
