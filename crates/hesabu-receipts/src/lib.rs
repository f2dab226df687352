//! The ETR receipt renderer: a KRA e-TIMS receipt, tax invoice or credit note from plain data
//! to PDF bytes (80 mm or 58 mm thermal roll, or A4) or to text. No database and no other
//! Hesabu crate: the app layer fills a [`Receipt`] from the sales ledger and the signed
//! response it stored, and keeps (or hashes) what comes out.
//!
//! ```no_run
//! # fn demo(receipt: &hesabu_receipts::Receipt) -> Result<(), hesabu_receipts::RenderError> {
//! use hesabu_receipts::{render, render_text, Format};
//! let pdf: Vec<u8> = render(receipt, Format::Thermal80)?;
//! let text: String = render_text(receipt, Format::Thermal80.columns())?;
//! # Ok(()) }
//! ```
//!
//! # What is printed, and in which order
//!
//! KRA's TIS template (spec `etims-oscu.md` §13), the same in every format: the seller (trading
//! name, address, KRA PIN), the title (`TAX INVOICE`, `CREDIT NOTE`), the top message, our
//! number and date (a credit note adds `ORIGINAL CU INVOICE NO.`), the buyer's name and PIN
//! when known, the items with the tax letter after each amount (`6,720.00B`, `1,000.00A-EX`)
//! and their discounts, `TOTAL BEFORE DISCOUNT` and `TOTAL DISCOUNT AWARDED` (when discounted),
//! `SUB TOTAL`, `VAT`, `TOTAL`, each payment with its amount, `ITEMS NUMBER`, the five-row tax
//! table (A-EX, B-16%, C-0%, D-Non-VAT, E-8%), `SCU INFORMATION` (date and time from
//! `sdcDateTime`, SCU ID, `CU INVOICE NO. {sdcId}/{curRcptNo} NS`, the receipt counters,
//! internal data and signature dashed every 4 characters, the QR code), `TIS INFORMATION`, the
//! bottom message and "End of Legal Receipt".
//!
//! - **Credit notes** are titled `CREDIT NOTE`, carry the original sale's CU invoice number and
//!   "CREDIT NOTE IS APPROVED ONLY FOR ORIGINAL SALES RECEIPT", total each band used
//!   (`TOTAL B-16.00%`, `TOTAL TAX B`) and are labelled `NC`. Give their amounts positive, as
//!   KRA signed them: the credit note prints the mirror image of a sale (amounts negative,
//!   discounts, which reduce a sale, positive); quantities and unit prices stay as they are.
//! - **Copies** ([`Receipt::copy`], every reprint) carry a COPY watermark and a bold COPY at
//!   more than twice the size of the amounts, and are labelled `CS`/`CC`.
//! - **Unsigned documents** ([`Receipt::signature`] `None`) can never look fiscal: titled
//!   `INVOICE` (or `CREDIT NOTE`), they say "THIS IS NOT AN OFFICIAL RECEIPT" at the top and as
//!   their last line, and have no SCU block, label or QR code.
//! - **The QR code** carries [`qr_url`]; a PIN, branch or signature of the wrong width is
//!   refused, as the URL would then verify another receipt.
//!
//! # Guarantees
//!
//! - **Deterministic**: for a given build, the same receipt renders the same bytes on every run
//!   (the PDF's dates are the receipt's own, its `/ID` a hash of its content). Across builds the
//!   compressed streams may differ (Cargo's feature unification picks the flate2 backend), so
//!   the app stores the rendered bytes with their hash; the text is pinned by a test instead.
//! - **Never a panic, never a silent rounding**: a receipt that cannot be printed faithfully is
//!   refused with a [`RenderError`] saying what to fix (wrong QR segment widths, missing signed
//!   data, fields too long, characters the fonts lack, totals that do not add up, amounts with
//!   more decimals than KRA's).
//! - **Nothing cut off**: on a roll, a label and its value that do not fit on one line take
//!   two, and long words are cut to the width.
//!
//! # Plain reports
//!
//! [`report::Report`] lays out a plain A4 report (a title, lines of text, tables with
//! right-aligned amount columns, page breaks and page numbers) with the same fonts and PDF
//! writer: the app's daily summary is one.
//!
//! # Fonts and licence
//!
//! The PDFs embed subsets of DejaVu Sans Mono (rolls) and DejaVu Sans (A4), regular and bold,
//! bundled in `fonts/` so the output is the same on every machine. They cover Latin (é, ß, ñ,
//! Swahili), Greek and Cyrillic. DejaVu fonts are free to use, embed and redistribute under the
//! Bitstream Vera licence (DejaVu changes are public domain; Arev glyphs under the Arev
//! licence): see `fonts/LICENSE`, which must ship with them.

mod a4;
mod content;
mod error;
mod fiscal;
mod fonts;
mod format;
mod grid;
mod model;
mod pdf;
pub mod print;
mod qr;
pub mod report;
pub mod samples;
mod thermal;
mod validate;

pub use content::{CREDIT_NOTE_APPROVAL, END_OF_LEGAL_RECEIPT, NOT_OFFICIAL};
pub use error::RenderError;
pub use fiscal::{
    BRANCH_WIDTH, PIN_WIDTH, SIGNATURE_WIDTH, cu_invoice_no, dashed, qr_url, receipt_label,
};
pub use grid::{MAX_COLUMNS, MIN_COLUMNS, TextLine, TextStyle};
pub use model::{
    Band, Buyer, Environment, Line, Payment, Receipt, ReceiptKind, Seller, Signature, Stamp,
    TaxType, Totals,
};

use fonts::Face;

/// The paper a PDF is laid out for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// 80 mm thermal roll, 48 columns; one page as long as the receipt.
    Thermal80,
    /// 58 mm thermal roll, 32 columns; one page as long as the receipt.
    Thermal58,
    /// A4 invoice, as many pages as the items need.
    A4,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::Thermal80, Format::Thermal58, Format::A4];

    /// The columns of the roll (48 or 32); for A4, 80, the width of a text rendering of it.
    pub fn columns(self) -> usize {
        match self {
            Format::Thermal80 => thermal::ROLL_80.columns,
            Format::Thermal58 => thermal::ROLL_58.columns,
            Format::A4 => 80,
        }
    }

    fn faces(self) -> &'static [Face] {
        match self {
            Format::Thermal80 | Format::Thermal58 => &[Face::Mono, Face::MonoBold],
            Format::A4 => &[Face::Sans, Face::SansBold],
        }
    }
}

/// The receipt as a PDF in `format`.
pub fn render(receipt: &Receipt, format: Format) -> Result<Vec<u8>, RenderError> {
    let checked = validate::check(receipt, Some(format.faces()))?;
    let content = content::build(receipt, &checked);
    let pages = match format {
        Format::Thermal80 => thermal::pages(&content, thermal::ROLL_80)?,
        Format::Thermal58 => thermal::pages(&content, thermal::ROLL_58)?,
        Format::A4 => a4::pages(&content)?,
    };
    // The PDF is dated when KRA signed it, else when we issued it: never the wall clock.
    let created = checked.sdc_time.unwrap_or(receipt.issued_at);
    pdf::write(&content.title, created, &pages)
}

/// The receipt as the lines of a roll `columns` wide ([`MIN_COLUMNS`]..=[`MAX_COLUMNS`]), with
/// their styles: what the ESC/POS printer path sends, and what the thermal PDFs draw.
pub fn render_lines(receipt: &Receipt, columns: usize) -> Result<Vec<TextLine>, RenderError> {
    if !(MIN_COLUMNS..=MAX_COLUMNS).contains(&columns) {
        return Err(RenderError::Columns {
            min: MIN_COLUMNS,
            max: MAX_COLUMNS,
            found: columns,
        });
    }
    let checked = validate::check(receipt, None)?;
    let content = content::build(receipt, &checked);
    Ok(grid::lay_out(&content, columns))
}

/// The receipt as plain text, `columns` wide: the same content in the same order as the PDFs,
/// with the QR code given as its URL.
pub fn render_text(receipt: &Receipt, columns: usize) -> Result<String, RenderError> {
    let lines = render_lines(receipt, columns)?;
    Ok(grid::to_text(&lines, columns))
}
