//! KRA's date and time text, always in Kenya time (Africa/Nairobi, UTC+3, no DST; spec §11.5).
//!
//! KRA writes three shapes: `yyyyMMddHHmmss` (`cfmDt`, `resultDt`, `sdcDateTime` of a save),
//! `yyyyMMdd` (`salesDt`, `ocrnDt`) and `yyyy-MM-dd HH:mm:ss(.S)` (`sdcDateTime` inside invoice
//! details, `cfmDt` in purchase lists). The parsers accept all three wherever they are used; the
//! formatters write the two compact shapes we send. Callers pass instants from the injected
//! clock; nothing here reads the wall clock.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// Kenya's time zone: every KRA timestamp is local time here.
pub const NAIROBI: Tz = chrono_tz::Africa::Nairobi;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is not a KRA date: expected yyyyMMddHHmmss, yyyyMMdd or yyyy-MM-dd HH:mm:ss")]
pub struct DateError {
    pub text: String,
}

/// `yyyyMMddHHmmss` in Nairobi time (`cfmDt`, `rcptPbctDt`, `rfdDt`, `lastReqDt`, ...).
pub fn format_datetime<T: TimeZone>(at: &DateTime<T>) -> String {
    at.with_timezone(&NAIROBI)
        .format("%Y%m%d%H%M%S")
        .to_string()
}

/// `yyyyMMdd` of the Nairobi calendar day `at` falls on (`salesDt`, `ocrnDt`, ...).
pub fn format_date<T: TimeZone>(at: &DateTime<T>) -> String {
    at.with_timezone(&NAIROBI).format("%Y%m%d").to_string()
}

/// `yyyyMMdd` of a calendar date that is already Kenyan (a document's date).
pub fn format_naive_date(date: NaiveDate) -> String {
    date.format("%Y%m%d").to_string()
}

/// The first `lastReqDt` of every incremental list (spec §4: peers start at 2018-01-01).
pub const EPOCH_LAST_REQ_DT: &str = "20180101000000";

/// Any of KRA's three shapes as a Nairobi instant; a date alone means its midnight.
pub fn parse_datetime(text: &str) -> Result<DateTime<Tz>, DateError> {
    let naive = parse_naive(text)?;
    NAIROBI
        .from_local_datetime(&naive)
        .single()
        .ok_or_else(|| error(text))
}

/// The same as UTC.
pub fn parse_datetime_utc(text: &str) -> Result<DateTime<Utc>, DateError> {
    parse_datetime(text).map(|at| at.with_timezone(&Utc))
}

/// The calendar date of any of KRA's three shapes.
pub fn parse_date(text: &str) -> Result<NaiveDate, DateError> {
    parse_naive(text).map(|at| at.date())
}

/// Rewrites any KRA shape as `yyyyMMddHHmmss` (invoice details' `2024-04-15 15:30:39.0` becomes
/// `20240415153039`), so stored signing times have one shape.
pub fn normalise_datetime(text: &str) -> Result<String, DateError> {
    parse_naive(text).map(|at| at.format("%Y%m%d%H%M%S").to_string())
}

fn error(text: &str) -> DateError {
    DateError {
        text: text.to_owned(),
    }
}

fn number(text: &str, digits: &str) -> Result<u32, DateError> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(error(text));
    }
    digits.parse().map_err(|_| error(text))
}

fn parse_naive(text: &str) -> Result<NaiveDateTime, DateError> {
    let t = text.trim();
    // Byte slicing below is safe only on ASCII text.
    if !t.is_ascii() {
        return Err(error(text));
    }
    let b = t.as_bytes();
    // Fields as (year, month, day, hour, minute, second, fraction digits).
    let (y, mo, d, h, mi, s, frac) = if b.len() == 14 || b.len() == 8 {
        let time = if b.len() == 14 { &t[8..] } else { "000000" };
        (
            &t[0..4],
            &t[4..6],
            &t[6..8],
            &time[0..2],
            &time[2..4],
            &time[4..6],
            "",
        )
    } else if b.len() >= 19
        && b[4] == b'-'
        && b[7] == b'-'
        && (b[10] == b' ' || b[10] == b'T')
        && b[13] == b':'
        && b[16] == b':'
    {
        let frac = match &t[19..] {
            "" => "",
            rest => rest.strip_prefix('.').ok_or_else(|| error(text))?,
        };
        if frac.len() > 9 || (t.len() > 19 && frac.is_empty()) {
            return Err(error(text));
        }
        (
            &t[0..4],
            &t[5..7],
            &t[8..10],
            &t[11..13],
            &t[14..16],
            &t[17..19],
            frac,
        )
    } else {
        return Err(error(text));
    };
    let date = NaiveDate::from_ymd_opt(
        i32::try_from(number(text, y)?).map_err(|_| error(text))?,
        number(text, mo)?,
        number(text, d)?,
    )
    .ok_or_else(|| error(text))?;
    let nanos = if frac.is_empty() {
        0
    } else {
        // `.5` is 500 ms: pad the digits to nine.
        number(text, frac)? * 10u32.pow(9 - u32::try_from(frac.len()).unwrap_or(9))
    };
    let time =
        NaiveTime::from_hms_nano_opt(number(text, h)?, number(text, mi)?, number(text, s)?, nanos)
            .ok_or_else(|| error(text))?;
    Ok(date.and_time(time))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nairobi(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Tz> {
        NAIROBI.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
    }

    #[test]
    fn every_shape_parses_as_nairobi_time() {
        let cases: &[(&str, DateTime<Tz>)] = &[
            ("20240415153039", nairobi(2024, 4, 15, 15, 30, 39)),
            ("20240415000000", nairobi(2024, 4, 15, 0, 0, 0)),
            ("20240128", nairobi(2024, 1, 28, 0, 0, 0)),
            ("2024-04-15 15:30:39", nairobi(2024, 4, 15, 15, 30, 39)),
            ("2026-09-18 03:00:00", nairobi(2026, 9, 18, 3, 0, 0)),
            ("2024-04-15T15:30:39", nairobi(2024, 4, 15, 15, 30, 39)),
            (" 20240415153039 ", nairobi(2024, 4, 15, 15, 30, 39)),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_datetime(text).unwrap(), *expected, "{text}");
        }
        let with_fraction = parse_datetime("2024-04-15 15:30:39.0").unwrap();
        assert_eq!(with_fraction, nairobi(2024, 4, 15, 15, 30, 39));
        let half = parse_datetime("2024-04-15 15:30:39.5").unwrap();
        assert_eq!(half.timestamp_subsec_millis(), 500);
        // Nairobi is UTC+3.
        assert_eq!(
            parse_datetime_utc("20240415153039").unwrap(),
            Utc.with_ymd_and_hms(2024, 4, 15, 12, 30, 39).unwrap()
        );
    }

    #[test]
    fn dates_of_every_shape() {
        for text in ["20240415", "20240415235959", "2024-04-15 23:59:59.0"] {
            assert_eq!(
                parse_date(text).unwrap(),
                NaiveDate::from_ymd_opt(2024, 4, 15).unwrap(),
                "{text}"
            );
        }
    }

    #[test]
    fn malformed_text_is_refused() {
        for text in [
            "",
            "2024041515303",
            "202404151530390",
            "20241315000000",
            "20240230",
            "20240415250000",
            "2024-04-15",
            "2024-04-15 15:30",
            "2024-04-15 15:30:39.",
            "2024-04-15 15:30:39x",
            "2024/04/15 15:30:39",
            "abcdefgh",
            "2024041５",
            "2024041５0000",
            "+2024-04-15 15:30:3",
        ] {
            assert!(parse_datetime(text).is_err(), "{text:?}");
        }
    }

    #[test]
    fn ours_are_written_in_nairobi_time() {
        // 21:30 UTC is 00:30 the next day in Nairobi: the date moves too.
        let at = Utc.with_ymd_and_hms(2024, 4, 14, 21, 30, 5).unwrap();
        assert_eq!(format_datetime(&at), "20240415003005");
        assert_eq!(format_date(&at), "20240415");
        let local = nairobi(2024, 1, 28, 9, 0, 0);
        assert_eq!(format_datetime(&local), "20240128090000");
        assert_eq!(
            format_naive_date(NaiveDate::from_ymd_opt(2024, 1, 28).unwrap()),
            "20240128"
        );
    }

    #[test]
    fn formatting_and_parsing_agree() {
        let at = Utc.with_ymd_and_hms(2026, 12, 31, 22, 15, 0).unwrap();
        assert_eq!(parse_datetime_utc(&format_datetime(&at)).unwrap(), at);
        assert_eq!(
            normalise_datetime("2024-04-15 15:30:39.0").unwrap(),
            "20240415153039"
        );
        assert_eq!(
            normalise_datetime("20240415153039").unwrap(),
            "20240415153039"
        );
    }
}
