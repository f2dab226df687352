//! How numbers and dates look on a receipt: amounts with thousands separators and at least two
//! decimals (never rounded: the validation refuses what would need rounding), dates as
//! `dd/mm/yyyy` and times as `hh:mm:ss`, parsed from the shapes KRA sends.

use rust_decimal::Decimal;

use crate::error::RenderError;
use crate::model::Stamp;

/// `6720` → `6,720.00`, `-0.1` → `-0.10`, `1.2345` → `1.2345`. Zero never carries a sign.
pub(crate) fn amount(value: Decimal) -> String {
    let mut v = value.normalize();
    if v.is_zero() {
        v = Decimal::ZERO;
    }
    if v.scale() < 2 {
        v.rescale(2);
    }
    let text = v.to_string();
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.as_str()),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let mut grouped = String::with_capacity(int.len() + int.len() / 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{frac}")
    }
}

/// `amount`, negated first when `negate` (a credit note's amounts).
pub(crate) fn signed_amount(value: Decimal, negate: bool) -> String {
    amount(if negate { -value } else { value })
}

/// A percentage without trailing zeros: `10` → `10%`, `12.50` → `12.5%`.
pub(crate) fn percent(value: Decimal) -> String {
    format!("{}%", value.normalize())
}

impl Stamp {
    /// Parses a date-time in the shapes KRA uses (spec §11.5): `yyyyMMddHHmmss`, `yyyyMMdd`
    /// (midnight), and `yyyy-MM-dd HH:mm:ss` with an optional fraction (`.0`), as
    /// `selectInvoiceDetails` returns `sdcDateTime`. `field` names the input in the error.
    pub fn parse_kra(text: &str, field: &str) -> Result<Stamp, RenderError> {
        let invalid = || RenderError::InvalidDate {
            field: field.to_owned(),
            value: text.to_owned(),
        };
        let t = text.trim();
        let digits: String = if t.len() == 14 || t.len() == 8 {
            t.to_owned()
        } else {
            // `yyyy-MM-dd HH:mm:ss[.S…]`: drop the fraction, then the separators, which must be
            // exactly where that shape has them.
            let whole = t.split('.').next().unwrap_or("");
            let b = whole.as_bytes();
            if b.len() != 19
                || b[4] != b'-'
                || b[7] != b'-'
                || (b[10] != b' ' && b[10] != b'T')
                || b[13] != b':'
                || b[16] != b':'
            {
                return Err(invalid());
            }
            if let Some(fraction) = t.split_once('.').map(|(_, f)| f)
                && (fraction.is_empty() || !fraction.bytes().all(|c| c.is_ascii_digit()))
            {
                return Err(invalid());
            }
            whole.chars().filter(char::is_ascii_digit).collect()
        };
        if !digits.bytes().all(|c| c.is_ascii_digit()) || (digits.len() != 14 && digits.len() != 8)
        {
            return Err(invalid());
        }
        let num = |from: usize, to: usize| -> u16 {
            digits
                .get(from..to)
                .and_then(|s| s.parse().ok())
                .unwrap_or(u16::MAX)
        };
        let small = |from: usize, to: usize| -> u8 {
            if digits.len() < to {
                0
            } else {
                u8::try_from(num(from, to)).unwrap_or(u8::MAX)
            }
        };
        let stamp = Stamp {
            year: num(0, 4),
            month: small(4, 6),
            day: small(6, 8),
            hour: small(8, 10),
            minute: small(10, 12),
            second: small(12, 14),
        };
        if stamp.is_valid() {
            Ok(stamp)
        } else {
            Err(invalid())
        }
    }

    /// Whether this is a real date and time of day (no 31 April, no 25:00).
    pub fn is_valid(&self) -> bool {
        let leap = (self.year.is_multiple_of(4) && !self.year.is_multiple_of(100))
            || self.year.is_multiple_of(400);
        let days = match self.month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return false,
        };
        (1..=9999).contains(&self.year)
            && (1..=days).contains(&self.day)
            && self.hour < 24
            && self.minute < 60
            && self.second < 60
    }

    /// `dd/mm/yyyy`, as the receipt prints dates.
    pub fn date_text(&self) -> String {
        format!("{:02}/{:02}/{:04}", self.day, self.month, self.year)
    }

    /// `hh:mm:ss`, as the receipt prints times.
    pub fn time_text(&self) -> String {
        format!("{:02}:{:02}:{:02}", self.hour, self.minute, self.second)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn amounts() {
        for (input, shown) in [
            ("0", "0.00"),
            ("-0", "0.00"),
            ("-0.00", "0.00"),
            ("1", "1.00"),
            ("1.04", "1.04"),
            ("0.9", "0.90"),
            ("6720", "6,720.00"),
            ("-6720", "-6,720.00"),
            ("999.99", "999.99"),
            ("1000", "1,000.00"),
            ("123456.7", "123,456.70"),
            ("1234567.89", "1,234,567.89"),
            ("1.2345", "1.2345"),
            ("1000000000000000", "1,000,000,000,000,000.00"),
            ("10.500", "10.50"),
        ] {
            assert_eq!(amount(d(input)), shown, "{input}");
        }
        assert_eq!(signed_amount(d("1.04"), true), "-1.04");
        assert_eq!(signed_amount(d("0"), true), "0.00");
        assert_eq!(percent(d("10.00")), "10%");
        assert_eq!(percent(d("12.50")), "12.5%");
    }

    #[test]
    fn kra_date_shapes() {
        let want = Stamp {
            year: 2024,
            month: 4,
            day: 15,
            hour: 15,
            minute: 30,
            second: 39,
        };
        assert_eq!(Stamp::parse_kra("20240415153039", "x").unwrap(), want);
        assert_eq!(
            Stamp::parse_kra("2024-04-15 15:30:39.0", "x").unwrap(),
            want
        );
        assert_eq!(Stamp::parse_kra("2024-04-15 15:30:39", "x").unwrap(), want);
        assert_eq!(
            Stamp::parse_kra("20240128", "x").unwrap().date_text(),
            "28/01/2024"
        );
        assert_eq!(want.date_text(), "15/04/2024");
        assert_eq!(want.time_text(), "15:30:39");
        for bad in [
            "",
            "2024041515303",
            "20240431153039",
            "20240415253039",
            "2023-02-29 10:00:00",
            "2024/04/15 15:30:39",
            "2024-04-15 15:30:39.",
            "2024-04-15 15:30:39.x",
            "2024041515303a",
            "２０２４０４１５１５３０３９",
        ] {
            assert!(
                matches!(
                    Stamp::parse_kra(bad, "SCU date"),
                    Err(RenderError::InvalidDate { .. })
                ),
                "{bad}"
            );
        }
        assert!(Stamp::parse_kra("2024-02-29 10:00:00", "x").is_ok());
    }
}
