//! Why a receipt cannot be rendered, and what to fix. Rendering never panics: every input that
//! cannot be printed faithfully is refused with one of these.

use rust_decimal::Decimal;

/// A receipt that cannot be printed as given. Each message names the field and says what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// A part of the QR code's `Data` has the wrong width (KRA's verification URL concatenates
    /// them without separators, so a wrong width points the QR at another receipt).
    #[error(
        "Cannot print the QR code: the {segment} must be exactly {expected} characters, but \
         '{value}' has {found}. Correct the {segment} in the e-TIMS device settings (or the stored \
         signed data) and print again."
    )]
    QrSegment {
        segment: &'static str,
        expected: usize,
        found: usize,
        value: String,
    },
    /// A signature is present but one of its fields is empty.
    #[error(
        "Cannot print a fiscal receipt: the signed data has no {field}. Print from the data \
         stored when KRA signed the document; if it is missing, look the invoice up at KRA \
         (selectInvoiceDetails) and store its signature first."
    )]
    MissingSignedData { field: &'static str },
    /// A required text field is empty.
    #[error("The {field} is empty. Fill it in before printing.")]
    Empty { field: String },
    /// A text field is longer than the receipt (or KRA's field) allows.
    #[error("The {field} is {found} characters long; at most {max} can be printed. Shorten it.")]
    TooLong {
        field: String,
        max: usize,
        found: usize,
    },
    /// A character the bundled fonts cannot draw, or a control character.
    #[error(
        "The {field} contains {shown}, which cannot be printed. Remove it or replace it with a \
         Latin, Greek or Cyrillic character."
    )]
    UnsupportedCharacter { field: String, shown: String },
    /// A date that is not a real date, or not in a format KRA uses.
    #[error(
        "The {field} '{value}' is not a valid date and time. Use yyyyMMddHHmmss (as KRA sends \
         it) or 'yyyy-MM-dd HH:mm:ss'."
    )]
    InvalidDate { field: String, value: String },
    /// An amount below zero: amounts are given as KRA signed them, positive, also on a credit
    /// note.
    #[error(
        "The {field} is negative ({value}). Give amounts as KRA signed them (positive, also on a \
         credit note): the credit note prints them negative by itself."
    )]
    NegativeAmount { field: String, value: Decimal },
    /// An amount too large to be a real sale (above 10^15).
    #[error("The {field} ({value}) is out of range; no sale is that large. Check the amount.")]
    AmountOutOfRange { field: String, value: Decimal },
    /// An amount with more than 2 decimal places (or a quantity or unit price with more than
    /// 4): printing it would round money silently.
    #[error(
        "The {field} ({value}) has more than {max} decimal places. Round it as KRA did (half-up) \
         before printing."
    )]
    TooManyDecimals {
        field: String,
        value: Decimal,
        max: u32,
    },
    /// Totals that do not add up: the receipt would contradict itself.
    #[error(
        "The receipt does not add up: {total} is {printed}, but {parts} add up to {sum}. Print \
         the totals KRA signed, as the sales ledger computed them."
    )]
    TotalsMismatch {
        total: &'static str,
        printed: Decimal,
        parts: &'static str,
        sum: Decimal,
    },
    /// A document without item lines.
    #[error("The document has no item lines; a receipt lists at least one item.")]
    NoLines,
    /// A credit note without the original sale's CU invoice number.
    #[error(
        "A credit note must print the ORIGINAL CU INVOICE NO. (the original sale's \
         {{sdcId}}/{{curRcptNo}}). Fill in original_cu_invoice from the original sale's signature."
    )]
    MissingOriginalInvoice,
    /// An invoice that names an original invoice (only a credit note has one).
    #[error(
        "Only a credit note has an ORIGINAL CU INVOICE NO.; this is an invoice. Clear \
         original_cu_invoice or print it as a credit note."
    )]
    OriginalInvoiceOnInvoice,
    /// A thermal receipt that would be longer than a PDF page can be.
    #[error(
        "The receipt would be {length_mm} mm long, more than a roll page can be ({max_mm} mm). \
         Print it as an A4 invoice."
    )]
    TooLongForRoll { length_mm: i64, max_mm: i64 },
    /// A plain-text width outside what a receipt can be laid out in.
    #[error("A text receipt must be {min} to {max} columns wide; {found} was asked for.")]
    Columns {
        min: usize,
        max: usize,
        found: usize,
    },
    /// The QR encoder refused the URL (it cannot happen with valid segments; kept so that it is
    /// an error, not a panic).
    #[error("The QR code could not be encoded: {0}")]
    Qr(String),
    /// The bundled fonts could not be read or the PDF (a receipt or a report) could not be
    /// written: a bug, not an input to fix.
    #[error("The PDF could not be written ({0}). This is a bug in Hesabu: please report it.")]
    Internal(String),
}
