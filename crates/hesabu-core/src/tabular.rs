//! Reading a spreadsheet someone hands Hesabu: one CSV or XLSX file into a header and rows of
//! text cells, with the checks every import needs done once, here, for the budget import and
//! the sales ledger's customer and item imports alike.
//!
//! - **Size**: the file (`limits::IMPORT_BYTES`), its data rows (`limits::IMPORT_ROWS`), its
//!   columns ([`MAX_COLUMNS`]) and each cell (`limits::CELL`). A refused cell is named by row and
//!   column and never copied into a message, so a 50-MB cell cannot grow the company file.
//! - **Encoding**: UTF-16 (a byte-order mark, or the NUL bytes every other character), binary
//!   files and a file whose content does not match its extension (a CSV or an old `.xls` named
//!   `.xlsx`) are refused with what the file is and how to save it instead. A UTF-8 BOM is fine.
//!   Errors of the zip, XML and CSV readers never reach the user raw.
//! - **Formulas**: a text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is
//!   kept as typed and flagged in [`RawTable::warnings`] (a spreadsheet that later opens an export
//!   of it would run it; `hesabu_store::export` escapes such cells). A number such as `-500` or
//!   `+254712345678` is not a formula and is not flagged.
//! - **Float noise**: XLSX numbers are binary doubles, and a sum typed in Excel can arrive as
//!   `1320000.0000000002`. The reader keeps each numeric cell's shortest round-trip text (exactly
//!   what the double holds, never more digits); [`Roundings::amount`] rounds an amount cell to its
//!   currency's minor unit when the difference is float noise (under [`NOISE`]) and lists each
//!   rounding for the import's summary. A cell more precise than that is left as it is, for the
//!   importer to refuse.
//!
//! No float type is named here or anywhere else in the product: calamine hands a numeric cell
//! over as a double inside its `Data` enum, and the one conversion ([`cell_text`]) formats it
//! with `Display` (Rust's shortest round-trip text, as ryu) before it becomes a `Decimal`.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use std::path::Path;

use rust_decimal::Decimal;

use hesabu_store::error::{Error, Result};
use hesabu_store::limits;

/// Columns read from one file. A budget row has 8, an item 11: 200 leaves room for notes
/// columns people keep beside their data, and bounds what a hostile sheet can make us hold.
pub const MAX_COLUMNS: usize = 200;

/// Row messages (errors or warnings) kept per file; the rest are counted.
pub const MAX_ISSUES: usize = 1_000;

/// Formula warnings listed one by one; the rest are counted in one line.
const MAX_FORMULA_WARNINGS: usize = 100;

/// Roundings listed by name in the summary; the rest are counted.
const MAX_ROUNDINGS_LISTED: usize = 10;

/// A difference from the currency's minor unit below this (one millionth) is float noise.
pub const NOISE: Decimal = Decimal::from_parts(1, 0, 0, false, 6);

/// A message about one row (the header is line 1; line 0 is about the whole file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowIssue {
    pub line: i64,
    pub message: String,
}

/// One data row as text, with its line number (the header is line 1).
#[derive(Debug, Clone, Default)]
pub struct RawRow {
    pub line: i64,
    pub cells: Vec<String>,
    /// Columns whose cell was typed as a date in the spreadsheet (XLSX only). Excel turns a
    /// period typed as `2025-03` into a date, which the import then explains.
    pub dates: Vec<usize>,
    /// Columns whose cell was a number in the spreadsheet (XLSX only): their text is the
    /// double's shortest round-trip form, which may carry float noise (see [`Roundings`]).
    pub numbers: Vec<usize>,
}

impl RawRow {
    /// The trimmed text of column `i`, empty when the row is shorter.
    pub fn cell(&self, i: usize) -> &str {
        self.cells.get(i).map_or("", |c| c.trim())
    }
}

/// A file read into text rows, before validation.
#[derive(Debug, Clone, Default)]
pub struct RawTable {
    pub header: Vec<String>,
    pub rows: Vec<RawRow>,
    /// Rows that could not be read at all (bad encoding, a cell over the limit), at most
    /// [`MAX_ISSUES`] of them; `unreadable` counts them all.
    pub errors: Vec<RowIssue>,
    pub unreadable: usize,
    /// What the reader noticed without refusing: cells that start like a formula.
    pub warnings: Vec<RowIssue>,
}

/// The kinds of file an import reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
    /// Excel 97–2003 (`.xls`).
    Xls,
    /// OpenDocument (`.ods`).
    Ods,
}

impl Format {
    /// The format a file's extension names, if it names one.
    pub fn of(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_lowercase();
        match ext.as_str() {
            "csv" => Some(Format::Csv),
            "xlsx" | "xlsm" => Some(Format::Xlsx),
            "xls" => Some(Format::Xls),
            "ods" => Some(Format::Ods),
            _ => None,
        }
    }
}

/// Reads `path` as `format`: the size is checked before a byte is read.
pub fn read_file(path: &Path, format: Format) -> Result<RawTable> {
    let cannot = |e: std::io::Error| {
        Error::invalid(format!(
            "Could not read {}: {}. Check the path, and close the file if another program has \
             it open.",
            path.display(),
            io_words(&e)
        ))
    };
    let size = std::fs::metadata(path).map_err(cannot)?.len();
    limits::check_bytes(
        "file",
        usize::try_from(size).unwrap_or(usize::MAX),
        limits::IMPORT_BYTES,
    )?;
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    // Bounded again while reading: the file may grow between the two looks.
    std::fs::File::open(path)
        .map_err(cannot)?
        .take(u64::try_from(limits::IMPORT_BYTES).unwrap_or(u64::MAX) + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    limits::check_bytes("file", bytes.len(), limits::IMPORT_BYTES)?;
    read_bytes(&bytes, format)
}

/// Reads a file's bytes as `format`.
pub fn read_bytes(bytes: &[u8], format: Format) -> Result<RawTable> {
    limits::check_bytes("file", bytes.len(), limits::IMPORT_BYTES)?;
    match format {
        Format::Csv => read_csv_bytes(bytes),
        Format::Xlsx => read_xlsx_bytes(bytes),
        Format::Xls => read_xls_bytes(bytes),
        Format::Ods => read_ods_bytes(bytes),
    }
}

/// Reads CSV text (the demo company's embedded sample, a sale's lines file, tests).
pub fn read_csv_text(text: &str) -> Result<RawTable> {
    read_csv_bytes(text.as_bytes())
}

fn io_words(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "there is no such file".into(),
        std::io::ErrorKind::PermissionDenied => "Hesabu may not read it".into(),
        std::io::ErrorKind::IsADirectory => "it is a folder, not a file".into(),
        _ => limits::excerpt(&e.to_string()),
    }
}

// ---------------------------------------------------------------------------------------------
// What a file is.

const UTF8_BOM: &[u8] = &[0xEF, 0xBB, 0xBF];
const OLE2: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
const ZIP: &[u8] = b"PK\x03\x04";
const EMPTY_ZIP: &[u8] = b"PK\x05\x06";

/// What the first bytes of a file say it is, in words ("an old .xls workbook").
fn looks_like(bytes: &[u8]) -> &'static str {
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    if starts(OLE2) {
        "an old .xls workbook"
    } else if starts(ZIP) || starts(EMPTY_ZIP) {
        "a zip archive, as an .xlsx workbook is"
    } else if starts(b"%PDF") {
        "a PDF document"
    } else if starts(b"\x89PNG") || starts(b"\xFF\xD8\xFF") || starts(b"GIF8") {
        "a picture"
    } else if starts(b"{\\rtf") {
        "a Word (RTF) document"
    } else if utf16(bytes).is_some() {
        "UTF-16 text"
    } else if binary(bytes) {
        "a program or other binary data"
    } else {
        "plain text, perhaps a CSV file"
    }
}

/// `Some(big_endian)` when the bytes are UTF-16 text: a byte-order mark, or NULs in every
/// other byte (what UTF-16 makes of Latin text).
fn utf16(bytes: &[u8]) -> Option<bool> {
    if bytes.starts_with(&[0xFF, 0xFE]) {
        return Some(false);
    }
    if bytes.starts_with(&[0xFE, 0xFF]) {
        return Some(true);
    }
    let sample = &bytes[..bytes.len().min(4096)];
    if sample.len() < 4 {
        return None;
    }
    let (mut even, mut odd) = (0_usize, 0_usize);
    for (i, b) in sample.iter().enumerate() {
        if *b == 0 {
            if i % 2 == 0 {
                even += 1;
            } else {
                odd += 1;
            }
        }
    }
    let half = sample.len() / 2;
    // Latin text in UTF-16 has a NUL in (nearly) every other byte and none in the rest.
    if odd * 10 >= half * 8 && even * 10 <= half {
        Some(false)
    } else if even * 10 >= half * 8 && odd * 10 <= half {
        Some(true)
    } else {
        None
    }
}

/// Binary data: NULs or other control bytes in more than a few places of the first 8 KiB.
fn binary(bytes: &[u8]) -> bool {
    let sample = &bytes[..bytes.len().min(8192)];
    let control = sample
        .iter()
        .filter(|b| matches!(b, 0..=8 | 14..=26 | 28..=31 | 127))
        .count();
    control > 0 && control * 20 > sample.len().min(2_000)
}

// ---------------------------------------------------------------------------------------------
// CSV.

fn read_csv_bytes(bytes: &[u8]) -> Result<RawTable> {
    if utf16(bytes).is_some() {
        return Err(Error::invalid(
            "This file is UTF-16 text: save it as 'CSV UTF-8' (in Excel: File → Save As → CSV \
             UTF-8) and import again.",
        ));
    }
    if binary(bytes) {
        return Err(Error::invalid(format!(
            "This file is not text (it looks like {}): save the sheet as 'CSV UTF-8' or .xlsx \
             and import that file.",
            looks_like(bytes)
        )));
    }
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut builder = Builder::default();
    let mut record = csv::ByteRecord::new();
    let mut index = 0_usize;
    loop {
        index += 1;
        let fallback_line = i64::try_from(index).unwrap_or(i64::MAX);
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record
                    .position()
                    .map(|p| line_of(bytes, p))
                    .unwrap_or(fallback_line);
                builder.csv_record(line, &record)?;
            }
            Err(e) => {
                // Byte records from a slice leave the reader little to refuse (no UTF-8, no
                // I/O, any number of fields); whatever it is, it is named by line, in words,
                // and the rest of the file is not guessed at.
                let line = e
                    .position()
                    .and_then(|p| i64::try_from(p.line()).ok())
                    .unwrap_or(fallback_line);
                builder.error(
                    line,
                    "this line could not be read as CSV: check its quotes (a cell with a comma \
                     or a quote is wrapped in double quotes, and a quote inside is doubled)"
                        .into(),
                );
                break;
            }
        }
    }
    Ok(builder.finish())
}

/// The line a record starts on. The csv reader gives a record after blank lines the position
/// of the first blank line, so the blank lines are stepped over here: the message must name
/// the line the user sees.
fn line_of(bytes: &[u8], position: &csv::Position) -> i64 {
    let mut line = position.line();
    let mut at = usize::try_from(position.byte()).unwrap_or(usize::MAX);
    while let Some(b) = bytes.get(at) {
        match b {
            b'\r' if bytes.get(at + 1) == Some(&b'\n') => at += 2,
            b'\r' | b'\n' => at += 1,
            _ => break,
        }
        line += 1;
    }
    i64::try_from(line).unwrap_or(i64::MAX)
}

// ---------------------------------------------------------------------------------------------
// Workbooks.

fn not_a_workbook(kind: &str, bytes: &[u8]) -> Error {
    Error::invalid(format!(
        "This is not an {kind} workbook (it looks like {}): save it as .xlsx or CSV and import \
         that file.",
        looks_like(bytes)
    ))
}

fn damaged(kind: &str) -> Error {
    Error::invalid(format!(
        "This {kind} workbook could not be read: it may be damaged, or still being saved. Open \
         it in Excel and save it again as .xlsx, or save it as 'CSV UTF-8', and import that \
         file."
    ))
}

fn password() -> Error {
    Error::invalid(
        "This workbook is protected by a password: remove the password (in Excel: File → Info \
         → Protect Workbook) and save it again, then import it.",
    )
}

fn read_xlsx_bytes(bytes: &[u8]) -> Result<RawTable> {
    use calamine::{Data, Reader, Xlsx, XlsxError};
    if !bytes.starts_with(ZIP) {
        if bytes.starts_with(OLE2) && is_encrypted_ooxml(bytes) {
            return Err(password());
        }
        return Err(not_a_workbook("XLSX", bytes));
    }
    let mut book = match Xlsx::new(Cursor::new(bytes)) {
        Ok(book) => book,
        Err(XlsxError::Password) => return Err(password()),
        Err(_) => return Err(damaged("XLSX")),
    };
    let Some(sheet) = book.sheet_names().into_iter().next() else {
        return Err(Error::invalid(
            "The workbook has no worksheet: put the budget sheet first and save it again.",
        ));
    };
    let mut cells = book
        .worksheet_cells_reader(&sheet)
        .map_err(|_| damaged("XLSX"))?;
    let mut grid = Grid::default();
    // The cells are streamed: a sheet claiming cells at A1 and XFD1048576 costs two cells,
    // never a dense range of seventeen billion.
    while let Some(cell) = cells.next_cell().map_err(|_| damaged("XLSX"))? {
        let (row, col) = cell.get_position();
        grid.push(row, col, Data::from(cell.get_value().clone()))?;
    }
    grid.finish()
}

/// A password-protected XLSX is an OLE2 file holding an `EncryptedPackage` stream.
fn is_encrypted_ooxml(bytes: &[u8]) -> bool {
    let name: Vec<u8> = "EncryptedPackage"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    bytes.windows(name.len()).any(|w| w == name.as_slice())
}

fn read_xls_bytes(bytes: &[u8]) -> Result<RawTable> {
    use calamine::{Reader, Xls, XlsError};
    if !bytes.starts_with(OLE2) {
        return Err(not_a_workbook(".xls", bytes));
    }
    let mut book = match Xls::new(Cursor::new(bytes)) {
        Ok(book) => book,
        Err(XlsError::Password) => return Err(password()),
        Err(_) => return Err(damaged(".xls")),
    };
    // calamine reads .xls sheets only as a whole range (the cell stream is XLSX's alone).
    let range = match book.worksheet_range_at(0) {
        None => return Err(Error::invalid("The workbook has no worksheet.")),
        Some(r) => r.map_err(|_| damaged(".xls"))?,
    };
    range_to_table(&range)
}

fn read_ods_bytes(bytes: &[u8]) -> Result<RawTable> {
    use calamine::{Ods, OdsError, Reader};
    if !bytes.starts_with(ZIP) {
        return Err(not_a_workbook("OpenDocument (.ods)", bytes));
    }
    let mut book = match Ods::new(Cursor::new(bytes)) {
        Ok(book) => book,
        Err(OdsError::Password) => return Err(password()),
        Err(_) => return Err(damaged(".ods")),
    };
    let range = match book.worksheet_range_at(0) {
        None => return Err(Error::invalid("The workbook has no worksheet.")),
        Some(r) => r.map_err(|_| damaged(".ods"))?,
    };
    range_to_table(&range)
}

fn range_to_table(range: &calamine::Range<calamine::Data>) -> Result<RawTable> {
    let (top, left) = range.start().unwrap_or((0, 0));
    let mut grid = Grid::default();
    for (r, c, value) in range.used_cells() {
        let row = top.saturating_add(u32::try_from(r).unwrap_or(u32::MAX));
        let col = left.saturating_add(u32::try_from(c).unwrap_or(u32::MAX));
        grid.push(row, col, value.clone())?;
    }
    grid.finish()
}

/// What a spreadsheet cell holds, as text, and whether it was a date or a number there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Date,
    Number,
}

/// The one place a spreadsheet number (a double) becomes text: `Display` prints the shortest
/// text that reads back as the same double, so `1320000.0000000002` stays visible as noise and
/// `1500.25` stays `1500.25`. The text is then parsed exactly into a `Decimal` by whoever needs
/// the amount; no arithmetic is ever done on the double.
fn cell_text(cell: &calamine::Data) -> (String, Kind) {
    use calamine::Data;
    match cell {
        Data::Empty => (String::new(), Kind::Text),
        Data::Float(double) => (format!("{double}"), Kind::Number),
        Data::Int(i) => (i.to_string(), Kind::Number),
        // Shown as the date it is, so an error can quote it (the serial number would not mean
        // anything to anyone).
        Data::DateTime(d) => (
            d.as_datetime()
                .map_or_else(|| d.to_string(), |t| t.date().to_string()),
            Kind::Date,
        ),
        Data::DateTimeIso(d) => (d.clone(), Kind::Date),
        Data::Bool(b) => ((if *b { "TRUE" } else { "FALSE" }).to_owned(), Kind::Text),
        Data::Error(e) => (e.to_string(), Kind::Text),
        Data::String(s) | Data::DurationIso(s) => (s.clone(), Kind::Text),
    }
}

/// Cells of a sheet by position, gathered before they become rows (a sheet may list its rows
/// out of order).
#[derive(Default)]
struct Grid {
    rows: BTreeMap<u32, Vec<(u32, String, Kind)>>,
    left: Option<u32>,
}

impl Grid {
    fn push(&mut self, row: u32, col: u32, value: calamine::Data) -> Result<()> {
        let (text, kind) = cell_text(&value);
        if text.trim().is_empty() {
            return Ok(());
        }
        if usize::try_from(col).unwrap_or(usize::MAX) >= MAX_COLUMNS {
            return Err(Error::invalid(format!(
                "Row {} has a cell in column {}: Hesabu reads at most {MAX_COLUMNS} columns \
                 (A to {}). Delete what is to the right of the data and save the file again.",
                u64::from(row) + 1,
                column_letters(col),
                column_letters(u32::try_from(MAX_COLUMNS - 1).unwrap_or(0)),
            )));
        }
        if !self.rows.contains_key(&row) && self.rows.len() > limits::IMPORT_ROWS {
            return Err(too_many_rows());
        }
        self.left = Some(self.left.map_or(col, |l| l.min(col)));
        self.rows.entry(row).or_default().push((col, text, kind));
        Ok(())
    }

    fn finish(self) -> Result<RawTable> {
        let left = self.left.unwrap_or(0);
        let mut builder = Builder::default();
        for (row, mut cells) in self.rows {
            cells.sort_by_key(|(c, _, _)| *c);
            let width = cells
                .last()
                .map_or(0, |(c, _, _)| usize::try_from(c - left).unwrap_or(0) + 1);
            let mut texts = vec![String::new(); width];
            let mut kinds = vec![Kind::Text; width];
            for (c, text, kind) in cells {
                let i = usize::try_from(c - left).unwrap_or(0);
                texts[i] = text;
                kinds[i] = kind;
            }
            builder.row(i64::from(row) + 1, texts, &kinds)?;
        }
        Ok(builder.finish())
    }
}

fn too_many_rows() -> Error {
    Error::invalid(format!(
        "The file has more than {} rows of data; at most that many are imported at once. Split \
         it into smaller files.",
        group(limits::IMPORT_ROWS)
    ))
}

/// `A`, `Z`, `AA`, … for a 0-based column.
fn column_letters(col: u32) -> String {
    let mut n = u64::from(col) + 1;
    let mut out = Vec::new();
    while n > 0 {
        let rem = u8::try_from((n - 1) % 26).unwrap_or(0);
        out.push(char::from(b'A' + rem));
        n = (n - 1) / 26;
    }
    out.iter().rev().collect()
}

fn group(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Rows, whichever reader found them.

/// Turns cells into a [`RawTable`], with the per-cell checks.
#[derive(Default)]
struct Builder {
    table: RawTable,
    header_seen: bool,
    formulas: usize,
}

impl Builder {
    fn error(&mut self, line: i64, message: String) {
        self.table.unreadable += 1;
        if self.table.errors.len() < MAX_ISSUES {
            self.table.errors.push(RowIssue { line, message });
        }
    }

    fn column_name(&self, i: usize) -> String {
        match self.table.header.get(i).map(|h| clean_header(h)) {
            Some(h) if !h.is_empty() => limits::shorten(&h, 40),
            _ => format!("column {}", i + 1),
        }
    }

    /// A CSV record: cells are checked for size and UTF-8 before they are copied.
    fn csv_record(&mut self, line: i64, record: &csv::ByteRecord) -> Result<()> {
        if record.len() > MAX_COLUMNS && record.iter().skip(MAX_COLUMNS).any(|c| !c.is_empty()) {
            return Err(Error::invalid(format!(
                "Line {line} has {} cells: Hesabu reads at most {MAX_COLUMNS} columns. Delete \
                 what is to the right of the data and save the file again.",
                record.len()
            )));
        }
        let mut texts = Vec::with_capacity(record.len().min(MAX_COLUMNS));
        for (i, raw) in record.iter().take(MAX_COLUMNS).enumerate() {
            if let Some(message) =
                oversized(raw.len(), || String::from_utf8_lossy(raw).chars().count())
            {
                let column = self.column_name(i);
                self.error(line, format!("{column}: {message}"));
                return Ok(());
            }
            match std::str::from_utf8(raw) {
                Ok(text) => texts.push(text.to_owned()),
                Err(_) => {
                    self.error(
                        line,
                        "this line is not UTF-8 text (the file was saved in another encoding): \
                         save it as 'CSV UTF-8' (in Excel: File → Save As → CSV UTF-8) and \
                         import again"
                            .into(),
                    );
                    return Ok(());
                }
            }
        }
        let kinds = vec![Kind::Text; texts.len()];
        self.row(line, texts, &kinds)
    }

    /// A row of text cells: the first non-blank row is the header.
    fn row(&mut self, line: i64, cells: Vec<String>, kinds: &[Kind]) -> Result<()> {
        if cells.iter().all(|c| c.trim().is_empty()) {
            return Ok(()); // a blank line
        }
        if !self.header_seen {
            self.header_seen = true;
            let mut header = Vec::with_capacity(cells.len());
            for (i, cell) in cells.iter().enumerate() {
                if let Some(message) = oversized(cell.len(), || cell.chars().count()) {
                    self.error(line, format!("column {}: {message}", i + 1));
                    // Kept short, so the import's header message can name it.
                    header.push(limits::excerpt(&clean_header(cell)));
                } else {
                    header.push(clean_header(cell));
                }
            }
            self.table.header = header;
            return Ok(());
        }
        if self.table.rows.len() + self.table.unreadable >= limits::IMPORT_ROWS {
            return Err(too_many_rows());
        }
        for (i, cell) in cells.iter().enumerate() {
            if let Some(message) = oversized(cell.len(), || cell.chars().count()) {
                let column = self.column_name(i);
                self.error(line, format!("{column}: {message}"));
                return Ok(());
            }
        }
        let mut row = RawRow {
            line,
            ..RawRow::default()
        };
        for (i, (cell, kind)) in cells.into_iter().zip(kinds).enumerate() {
            match kind {
                Kind::Date => row.dates.push(i),
                Kind::Number => row.numbers.push(i),
                Kind::Text => {
                    if let Some(start) = formula_start(&cell) {
                        self.formula(line, i, start);
                    }
                }
            }
            row.cells.push(cell.trim().to_owned());
        }
        self.table.rows.push(row);
        Ok(())
    }

    fn formula(&mut self, line: i64, column: usize, start: &str) {
        self.formulas += 1;
        if self.formulas <= MAX_FORMULA_WARNINGS {
            let name = self.column_name(column);
            self.table.warnings.push(RowIssue {
                line,
                message: format!("{name} starts with {start}: kept as text"),
            });
        }
    }

    fn finish(mut self) -> RawTable {
        if self.formulas > MAX_FORMULA_WARNINGS {
            self.table.warnings.push(RowIssue {
                line: 0,
                message: format!(
                    "… and {} more cells start with =, +, -, @, a tab or a carriage return \
                     (kept as text)",
                    self.formulas - MAX_FORMULA_WARNINGS
                ),
            });
        }
        self.table
    }
}

/// A header cell as a name: trimmed, without a BOM.
pub fn clean_header(h: &str) -> String {
    h.trim().trim_start_matches('\u{feff}').trim().to_owned()
}

/// The message for a cell over [`limits::CELL`] characters (`chars` counts them; the byte
/// length bounds it first, so a short cell is never counted).
fn oversized(bytes: usize, chars: impl FnOnce() -> usize) -> Option<String> {
    if bytes <= limits::CELL {
        return None;
    }
    let n = chars();
    (n > limits::CELL).then(|| {
        format!(
            "the cell is {} characters long; at most {} fit in a cell. Shorten it.",
            group(n),
            group(limits::CELL)
        )
    })
}

/// How a text cell starts when a spreadsheet would take it as a formula (OWASP's list):
/// `'='`, `'+'`, `'-'`, `'@'`, `a tab`, `a carriage return`. A number (`-500`,
/// `+254712345678`, `-1,500.00`) is not a formula.
pub fn formula_start(cell: &str) -> Option<&'static str> {
    let start = match cell.chars().next()? {
        '\t' => "a tab",
        '\r' => "a carriage return",
        // Spaces before are trimmed on import: what is kept is what starts.
        _ => match cell.trim_start().chars().next()? {
            '=' => "'='",
            '+' => "'+'",
            '-' => "'-'",
            '@' => "'@'",
            _ => return None,
        },
    };
    let t = cell.trim();
    let digits = t.trim_start_matches(['+', '-']);
    let is_number = t.len() - digits.len() <= 1
        && digits.chars().any(|c| c.is_ascii_digit())
        && digits
            .chars()
            .all(|c| c.is_ascii_digit() || c == ',' || c == '.' || c == ' ')
        && digits.matches('.').count() <= 1;
    (!is_number).then_some(start)
}

// ---------------------------------------------------------------------------------------------
// Float noise.

/// Decimal places of a currency's minor unit (ISO 4217): 2 for KES and most currencies.
pub fn minor_unit(currency: &str) -> u32 {
    match currency.trim().to_uppercase().as_str() {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
        | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}

/// A numeric cell's text rounded to `places`, when it differs from its rounding by float noise
/// only: `1320000.0000000002` → `1320000.00`. `None` when there is nothing to round or the
/// difference is a real figure (which the importer then refuses or keeps, by its own rules).
pub fn denoise(text: &str, places: u32) -> Option<String> {
    let value: Decimal = text.trim().parse().ok()?;
    let rounded = value.round_dp(places);
    let off = (value - rounded).abs();
    if off.is_zero() || off >= NOISE {
        return None;
    }
    let mut shown = rounded;
    shown.rescale(places);
    Some(shown.to_string())
}

/// The amount cells an import rounded away from float noise, for its summary.
#[derive(Debug, Default)]
pub struct Roundings {
    listed: Vec<String>,
    count: usize,
}

impl Roundings {
    /// The text of amount cell `column` of `row` (named `name` in the summary), rounded to
    /// `places` when the spreadsheet handed over float noise.
    pub fn amount(&mut self, row: &RawRow, column: usize, name: &str, places: u32) -> String {
        let text = row.cell(column);
        if !row.numbers.contains(&column) {
            return text.to_owned();
        }
        match denoise(text, places) {
            Some(rounded) => {
                self.count += 1;
                if self.listed.len() < MAX_ROUNDINGS_LISTED {
                    self.listed
                        .push(format!("row {} {name} {text} → {rounded}", row.line));
                }
                rounded
            }
            None => text.to_owned(),
        }
    }

    /// "3 cells rounded from spreadsheet float noise: row 4 amount 1320000.0000000002 →
    /// 1320000.00; …", or nothing when no cell was rounded.
    pub fn summary(&self) -> Option<RowIssue> {
        if self.count == 0 {
            return None;
        }
        let more = self.count - self.listed.len();
        Some(RowIssue {
            line: 0,
            message: format!(
                "{} {} rounded from spreadsheet float noise: {}{}",
                self.count,
                if self.count == 1 { "cell" } else { "cells" },
                self.listed.join("; "),
                if more > 0 {
                    format!("; and {more} more")
                } else {
                    String::new()
                }
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_noise_is_rounded_and_real_precision_is_not() {
        assert_eq!(
            denoise("1320000.0000000002", 2).as_deref(),
            Some("1320000.00")
        );
        assert_eq!(denoise("5000.000000001", 2).as_deref(), Some("5000.00"));
        assert_eq!(denoise("0.30000000000000004", 2).as_deref(), Some("0.30"));
        assert_eq!(denoise("-12.339999999999", 2).as_deref(), Some("-12.34"));
        // Exactly a cent figure, a real fourth decimal, a figure a millionth and a half off.
        for kept in ["1500.25", "1500", "0.1235", "100.0000015", "not a number"] {
            assert_eq!(denoise(kept, 2), None, "{kept}");
        }
        assert_eq!(denoise("1000.0000001", 0).as_deref(), Some("1000"));
        assert_eq!(minor_unit("kes"), 2);
        assert_eq!(minor_unit("UGX"), 0);
    }

    #[test]
    fn formulas_are_told_from_numbers() {
        for formula in [
            "=1+2",
            "+cmd|' /C calc'!A0",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "\r=x",
        ] {
            assert!(formula_start(formula).is_some(), "{formula:?}");
        }
        for plain in [
            "-500",
            "+254712345678",
            "-1,500.00",
            "Operations",
            "",
            "a=b",
        ] {
            assert_eq!(formula_start(plain), None, "{plain:?}");
        }
        assert_eq!(formula_start("-"), Some("'-'"));
        assert_eq!(formula_start("--5"), Some("'-'"));
    }

    #[test]
    fn files_are_told_apart_by_their_first_bytes() {
        let text = b"department,period\nSales,FY2026\n";
        assert_eq!(looks_like(text), "plain text, perhaps a CSV file");
        assert!(looks_like(OLE2).contains("old .xls"));
        let wide: Vec<u8> = "name\nGood\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(utf16(&wide), Some(false));
        assert_eq!(utf16(text), None);
        assert!(!binary(text));
        assert!(!binary("Café,Ngũgĩ\n".as_bytes()));
        // One stray NUL in a long text file is a bad cell, not a binary file.
        let mut stray = "a,b\n".repeat(200).into_bytes();
        stray[10] = 0;
        assert!(!binary(&stray));
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(199), "GR");
        assert_eq!(column_letters(16_383), "XFD");
    }

    #[test]
    fn a_huge_header_cell_is_named_and_kept_short() {
        let huge = "h".repeat(1_000_000);
        let table = read_csv_text(&format!("name,{huge}\nGood,1\n")).unwrap();
        assert_eq!(table.errors.len(), 1);
        assert_eq!(table.errors[0].line, 1);
        assert!(
            table.errors[0]
                .message
                .starts_with("column 2: the cell is 1,000,000")
        );
        assert!(table.header[1].len() < 200, "{}", table.header[1].len());
    }

    #[test]
    fn csv_rows_are_checked_cell_by_cell() {
        let long = "x".repeat(limits::CELL + 1);
        let text =
            format!("\u{feff}name,amount\n\"=HYPERLINK(\"\"x\"\")\",-500\n\nBig,{long}\n  Ok ,1\n");
        let table = read_csv_text(&text).unwrap();
        assert_eq!(table.header, ["name", "amount"]);
        let lines: Vec<i64> = table.rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, [2, 5]);
        assert_eq!(table.rows[1].cells, ["Ok", "1"]);
        assert_eq!(
            table.errors,
            [RowIssue {
                line: 4,
                message: "amount: the cell is 4,001 characters long; at most 4,000 fit in a \
                          cell. Shorten it."
                    .into()
            }]
        );
        assert_eq!(
            table.warnings,
            [RowIssue {
                line: 2,
                message: "name starts with '=': kept as text".into()
            }]
        );
    }
}
