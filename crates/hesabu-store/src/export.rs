//! The one way a list leaves Hesabu as a file: a [`Table`] of headers and rows becomes CSV or
//! XLSX bytes here, and nowhere else, so every export escapes the same way.
//!
//! - **Formula injection** (OWASP's CSV injection rule): a text cell starting with `=`, `+`,
//!   `-`, `@`, a tab or a carriage return would run as a formula when a spreadsheet opens the
//!   file (`=HYPERLINK(…)`, `+cmd|' /C calc'!A0`). Such a cell is written with a single quote
//!   in front ([`escape`]), in CSV and XLSX alike. Numbers are [`Cell::Number`] and never
//!   escaped: `-500` stays a number.
//! - **Numbers stay numbers**: CSV gets the Decimal's exact text; XLSX a numeric cell (with a
//!   thousands format) whenever the double a spreadsheet stores shows exactly that amount, and
//!   otherwise the exact text rather than a silently rounded figure ([`write_amount`]).
//! - CSV is UTF-8 with a byte-order mark, which Excel needs to show `é` or `ũ` correctly and
//!   which Hesabu's own imports accept.
//! - **Dates** are ISO 8601 text: a day as `2026-12-02`, an instant in the company's time zone
//!   to the minute, `2026-12-02 14:05` ([`local_time`]); a spreadsheet sorts both and reads them
//!   as dates.
//!
//! Domain-free (layer 0 of the store): each service builds its list's `Table` beside it (e.g.
//! `hesabu_core::budgets::export`, `hesabu_store::audit::table`), and `hesabu_app::export`
//! writes the bytes to the file the user chose.

use std::borrow::Cow;
use std::str::FromStr;

use rust_decimal::Decimal;

use crate::error::{Error, Result};

/// One cell of an exported table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Text(String),
    /// An amount or a count: written as a number, never escaped.
    Number(Decimal),
    Empty,
}

impl From<&str> for Cell {
    fn from(text: &str) -> Self {
        Cell::Text(text.to_owned())
    }
}

impl From<String> for Cell {
    fn from(text: String) -> Self {
        Cell::Text(text)
    }
}

impl From<Option<String>> for Cell {
    fn from(text: Option<String>) -> Self {
        text.map_or(Cell::Empty, Cell::Text)
    }
}

impl From<Decimal> for Cell {
    fn from(amount: Decimal) -> Self {
        Cell::Number(amount)
    }
}

impl From<Option<Decimal>> for Cell {
    fn from(amount: Option<Decimal>) -> Self {
        amount.map_or(Cell::Empty, Cell::Number)
    }
}

impl Cell {
    /// An amount of money: a number shown with at least two decimals (`48000.5` → `48000.50`),
    /// never rounded.
    pub fn money(mut amount: Decimal) -> Self {
        if amount.scale() < 2 {
            amount.rescale(2);
        }
        Cell::Number(amount)
    }

    /// A stored amount's text as money; text that is not an amount stays text.
    pub fn money_text(text: &str) -> Self {
        Decimal::from_str(text.trim()).map_or_else(|_| Cell::Text(text.to_owned()), Cell::money)
    }
}

/// A list to export: a header row, then one row per item.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// The file formats of an export: `"csv"` or `"xlsx"` on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
#[ts(rename = "ExportFormat")]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }
}

impl FromStr for Format {
    type Err = Error;
    fn from_str(text: &str) -> Result<Self> {
        match text.trim().trim_start_matches('.').to_lowercase().as_str() {
            "csv" => Ok(Format::Csv),
            "xlsx" => Ok(Format::Xlsx),
            _ => Err(Error::invalid(format!(
                "'{}' is not an export format: use csv or xlsx.",
                crate::limits::excerpt(text)
            ))),
        }
    }
}

/// A stored instant (RFC 3339, UTC) as every export writes it: ISO 8601 in the company's time
/// zone, to the minute (`2026-12-02 14:05`), which a spreadsheet sorts and reads as a date and
/// time. Text that is not a stored instant is written as it is.
pub fn local_time(stored: &str, zone: chrono_tz::Tz) -> String {
    match crate::clock::parse_timestamp(stored) {
        Ok(at) => at.with_timezone(&zone).format("%Y-%m-%d %H:%M").to_string(),
        Err(_) => stored.to_owned(),
    }
}

/// The company's IANA time zone, parsed (`Africa/Nairobi`), or what to fix.
pub fn zone(name: &str) -> Result<chrono_tz::Tz> {
    name.parse().map_err(|_| {
        Error::invalid(format!(
            "The company's time zone '{}' is not known: fix it in the company settings.",
            crate::limits::excerpt(name)
        ))
    })
}

/// A text cell as it is safe to write: prefixed with `'` when a spreadsheet would take it as a
/// formula.
pub fn escape(text: &str) -> Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

impl Table {
    /// The table in `format`.
    pub fn to_bytes(&self, format: Format, sheet: &str) -> Result<Vec<u8>> {
        match format {
            Format::Csv => self.to_csv(),
            Format::Xlsx => self.to_xlsx(sheet),
        }
    }

    /// CSV bytes: UTF-8 with a BOM, a header row, cells quoted where needed.
    pub fn to_csv(&self) -> Result<Vec<u8>> {
        let failed = |e: csv::Error| Error::Internal(format!("writing the CSV export: {e}"));
        let mut writer = csv::WriterBuilder::new()
            .flexible(true)
            .from_writer(UTF8_BOM.to_vec());
        writer
            .write_record(self.headers.iter().map(|h| escape(h).into_owned()))
            .map_err(failed)?;
        for row in &self.rows {
            writer
                .write_record(row.iter().map(|cell| match cell {
                    Cell::Text(t) => escape(t).into_owned(),
                    Cell::Number(n) => n.to_string(),
                    Cell::Empty => String::new(),
                }))
                .map_err(failed)?;
        }
        writer
            .into_inner()
            .map_err(|e| Error::Internal(format!("writing the CSV export: {e}")))
    }

    /// XLSX bytes: one worksheet named `sheet`, a bold header row, amounts as numbers.
    pub fn to_xlsx(&self, sheet: &str) -> Result<Vec<u8>> {
        use rust_xlsxwriter::{Format as Style, Workbook};
        let mut book = Workbook::new();
        let bold = Style::new().set_bold();
        let amount = Style::new().set_num_format("#,##0.00");
        let worksheet = book.add_worksheet();
        worksheet.set_name(sheet_name(sheet)).map_err(xlsx_error)?;
        for (c, header) in self.headers.iter().enumerate() {
            worksheet
                .write_string_with_format(0, column(c)?, escape(header), &bold)
                .map_err(xlsx_error)?;
        }
        for (r, row) in self.rows.iter().enumerate() {
            let r = u32::try_from(r + 1).map_err(|_| too_many_rows())?;
            if r >= 1_048_576 {
                return Err(too_many_rows());
            }
            for (c, cell) in row.iter().enumerate() {
                let c = column(c)?;
                match cell {
                    Cell::Text(t) => {
                        worksheet
                            .write_string(r, c, escape(t))
                            .map_err(xlsx_error)?;
                    }
                    Cell::Number(n) => {
                        write_amount(worksheet, r, c, *n, &amount).map_err(xlsx_error)?;
                    }
                    Cell::Empty => {}
                }
            }
        }
        book.save_to_buffer().map_err(xlsx_error)
    }
}

/// Whether the double a spreadsheet stores for `amount` shows exactly `amount`: its shortest
/// text reads back as the same Decimal. Every amount of up to 15 significant digits does.
fn shown_exactly(amount: Decimal) -> bool {
    use rust_decimal::prelude::ToPrimitive;
    amount.to_f64().is_some_and(|double| {
        double.is_finite() && Decimal::from_str(&format!("{double}")).ok() == Some(amount)
    })
}

/// Writes an amount as a number when a spreadsheet's double shows it exactly, otherwise as its
/// exact text: a spreadsheet showing a different figure is worse than one showing text. The
/// one place this crate holds a double, converted by rust_decimal and never computed with.
fn write_amount(
    sheet: &mut rust_xlsxwriter::Worksheet,
    row: u32,
    col: u16,
    amount: Decimal,
    style: &rust_xlsxwriter::Format,
) -> std::result::Result<(), rust_xlsxwriter::XlsxError> {
    use rust_decimal::prelude::ToPrimitive;
    match amount.to_f64() {
        Some(double) if shown_exactly(amount) => {
            sheet.write_number_with_format(row, col, double, style)?;
        }
        _ => {
            sheet.write_string(row, col, amount.to_string())?;
        }
    }
    Ok(())
}

fn column(c: usize) -> Result<u16> {
    u16::try_from(c)
        .ok()
        .filter(|c| *c < 16_384)
        .ok_or_else(|| Error::invalid("The export has more columns than a worksheet holds."))
}

fn too_many_rows() -> Error {
    Error::invalid(
        "The export has more rows than a worksheet holds (1,048,576): export it as CSV, or \
         narrow it (e.g. by period).",
    )
}

/// A worksheet name: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(name: &str) -> String {
    let clean: String = name
        .chars()
        .filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\'))
        .take(31)
        .collect();
    let clean = clean.trim_matches('\'').trim().to_owned();
    if clean.is_empty() {
        "Sheet1".to_owned()
    } else {
        clean
    }
}

fn xlsx_error(e: rust_xlsxwriter::XlsxError) -> Error {
    match e {
        rust_xlsxwriter::XlsxError::MaxStringLengthExceeded => Error::invalid(
            "A cell is longer than a worksheet cell may be (32,767 characters): export as CSV \
             instead.",
        ),
        other => Error::Internal(format!("writing the XLSX export: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        Table {
            headers: vec!["name".into(), "amount".into()],
            rows: vec![
                vec![
                    "=HYPERLINK(\"http://x\")".into(),
                    Decimal::new(-500, 0).into(),
                ],
                vec![
                    "+cmd|' /C calc'!A0".into(),
                    Decimal::new(132_000_000, 2).into(),
                ],
                vec!["Café, \"quoted\"".into(), Cell::Empty],
                vec!["@SUM(A1)".into(), "-x".into()],
            ],
        }
    }

    #[test]
    fn dangerous_text_is_escaped_and_numbers_are_not() {
        assert_eq!(escape("=1+2"), "'=1+2");
        assert_eq!(escape("\tx"), "'\tx");
        assert_eq!(escape("\rx"), "'\rx");
        assert_eq!(escape("Operations"), "Operations");
        assert_eq!(escape("a=b"), "a=b");
        let csv = String::from_utf8(table().to_csv().unwrap()).unwrap();
        assert_eq!(
            csv,
            "\u{feff}name,amount\n\
             \"'=HYPERLINK(\"\"http://x\"\")\",-500\n\
             '+cmd|' /C calc'!A0,1320000.00\n\
             \"Café, \"\"quoted\"\"\",\n\
             '@SUM(A1),'-x\n"
        );
    }

    #[test]
    fn instants_are_written_in_the_company_zone_to_the_minute() {
        let nairobi = zone("Africa/Nairobi").unwrap();
        assert_eq!(
            local_time("2026-12-02T21:30:15.123Z", nairobi),
            "2026-12-03 00:30"
        );
        assert_eq!(local_time("2026-12-02", nairobi), "2026-12-02");
        assert!(zone("Mars/Olympus").is_err());
    }

    #[test]
    fn amounts_a_double_cannot_show_exactly_are_written_as_text() {
        assert!(shown_exactly(Decimal::new(132_000_000, 2)));
        assert!(shown_exactly(Decimal::new(1, 1)));
        assert!(shown_exactly(Decimal::new(-500, 0)));
        // Just under 10^15 with a cent: 17 significant digits, more than a double holds.
        assert!(!shown_exactly(
            Decimal::from_str("999999999999999.99").unwrap()
        ));
        let bytes = table().to_xlsx("Budgets").unwrap();
        assert!(bytes.starts_with(b"PK\x03\x04"));
        let name = sheet_name("a/b:c*?[x] and a very long name over thirty one");
        assert!(name.chars().count() <= 31 && !name.contains(['/', ':', '*', '?', '[', ']']));
        assert_eq!(sheet_name("[]"), "Sheet1");
    }
}
