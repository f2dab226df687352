//! Checks a [`Receipt`] before anything is laid out, so that what prints is what KRA signed:
//! text that fits and can be drawn, amounts that need no rounding, totals that add up, and a
//! signature complete enough to print the SCU block and the QR code.

use rust_decimal::Decimal;

use crate::error::RenderError;
use crate::fiscal::qr_url;
use crate::fonts::{self, Face};
use crate::model::{Receipt, ReceiptKind, Stamp};

/// The largest amount printed: 10^15, as the sales ledger's limit (far above any real sale).
pub(crate) const MAX_AMOUNT: Decimal = Decimal::from_parts(0xA4C6_8000, 0x0003_8D7E, 0, false, 0);
/// The most item lines one document may have.
pub(crate) const MAX_LINES: usize = 10_000;

/// Limits on text fields, in characters (KRA's field sizes where it has one).
const TRADING_NAME: usize = 200;
const ADDRESS: usize = 200;
const PIN: usize = 11;
const MESSAGE: usize = 400;
const BUYER_NAME: usize = 60;
const NUMBER: usize = 50;
const DESCRIPTION: usize = 200;
const METHOD: usize = 40;
const DEVICE_ID: usize = 20;
const INTERNAL_DATA: usize = 64;
const ORIGINAL: usize = 40;

/// What the fonts of the chosen output can draw (`None`: plain text, no font to check).
pub(crate) type Faces<'a> = Option<&'a [Face]>;

/// The checked facts the layout needs: the parsed SCU time and the QR URL of a signed receipt.
#[derive(Debug)]
pub(crate) struct Checked {
    pub(crate) sdc_time: Option<Stamp>,
    pub(crate) qr_url: Option<String>,
}

pub(crate) fn check(receipt: &Receipt, faces: Faces<'_>) -> Result<Checked, RenderError> {
    let text = |field: &str, value: &str, max: usize, multiline: bool, required: bool| {
        check_text(field, value, max, multiline, required, faces)
    };
    let s = &receipt.seller;
    text(
        "seller's trading name",
        &s.trading_name,
        TRADING_NAME,
        false,
        true,
    )?;
    text("seller's address", &s.address, ADDRESS, true, false)?;
    text("seller's KRA PIN", &s.pin, PIN, false, true)?;
    text("seller's branch id", &s.branch_id, 2, false, false)?;
    if let Some(m) = &s.top_message {
        text("top message", m, MESSAGE, true, false)?;
    }
    if let Some(m) = &s.bottom_message {
        text("bottom message", m, MESSAGE, true, false)?;
    }
    if let Some(b) = &receipt.buyer {
        text("buyer's name", &b.name, BUYER_NAME, false, false)?;
        if let Some(pin) = &b.pin {
            text("buyer's KRA PIN", pin, PIN, false, true)?;
        }
    }
    text("document number", &receipt.number, NUMBER, false, true)?;
    if !receipt.issued_at.is_valid() {
        return Err(RenderError::InvalidDate {
            field: "issue date".to_owned(),
            value: format!("{:?}", receipt.issued_at),
        });
    }

    if receipt.lines.is_empty() {
        return Err(RenderError::NoLines);
    }
    if receipt.lines.len() > MAX_LINES {
        return Err(RenderError::TooLong {
            field: "list of item lines".to_owned(),
            max: MAX_LINES,
            found: receipt.lines.len(),
        });
    }
    let mut lines_amount = Decimal::ZERO;
    let mut lines_discount = Decimal::ZERO;
    for (i, line) in receipt.lines.iter().enumerate() {
        let n = i + 1;
        text(
            &format!("description of line {n}"),
            &line.description,
            DESCRIPTION,
            false,
            true,
        )?;
        number(&format!("quantity of line {n}"), line.quantity, 4)?;
        number(&format!("unit price of line {n}"), line.unit_price, 4)?;
        number(&format!("discount rate of line {n}"), line.discount_rate, 2)?;
        if line.discount_rate > Decimal::ONE_HUNDRED {
            return Err(RenderError::AmountOutOfRange {
                field: format!("discount rate of line {n} (a percentage, at most 100)"),
                value: line.discount_rate,
            });
        }
        number(&format!("discount of line {n}"), line.discount_amount, 2)?;
        number(&format!("amount of line {n}"), line.amount, 2)?;
        lines_amount += line.amount;
        lines_discount += line.discount_amount;
    }

    let t = &receipt.totals;
    number("total before discount", t.before_discount, 2)?;
    number("total discount", t.discount, 2)?;
    number("sub total", t.sub_total, 2)?;
    number("VAT", t.vat, 2)?;
    number("total", t.total, 2)?;
    let mut taxable = Decimal::ZERO;
    let mut tax = Decimal::ZERO;
    for (band, letter) in receipt.bands.iter().zip(["A", "B", "C", "D", "E"]) {
        number(&format!("rate of band {letter}"), band.rate, 2)?;
        if band.rate > Decimal::ONE_HUNDRED {
            return Err(RenderError::AmountOutOfRange {
                field: format!("rate of band {letter} (a percentage, at most 100)"),
                value: band.rate,
            });
        }
        number(&format!("taxable amount of band {letter}"), band.taxable, 2)?;
        number(&format!("tax of band {letter}"), band.tax, 2)?;
        taxable += band.taxable;
        tax += band.tax;
    }
    agree(
        "TOTAL BEFORE DISCOUNT",
        t.before_discount,
        "the lines' amounts",
        lines_amount,
    )?;
    agree(
        "TOTAL DISCOUNT AWARDED",
        t.discount,
        "the lines' discounts",
        lines_discount,
    )?;
    agree(
        "SUB TOTAL",
        t.sub_total,
        "the bands' taxable amounts",
        taxable,
    )?;
    agree("VAT", t.vat, "the bands' taxes", tax)?;
    agree("TOTAL", t.total, "SUB TOTAL and VAT", t.sub_total + t.vat)?;

    for (i, p) in receipt.payments.iter().enumerate() {
        let n = i + 1;
        text(
            &format!("payment method {n}"),
            &p.method,
            METHOD,
            false,
            true,
        )?;
        number(&format!("amount of payment {n}"), p.amount, 2)?;
    }

    match (receipt.kind, &receipt.original_cu_invoice) {
        (ReceiptKind::CreditNote, None) => return Err(RenderError::MissingOriginalInvoice),
        (ReceiptKind::CreditNote, Some(o)) => {
            if o.trim().is_empty() {
                return Err(RenderError::MissingOriginalInvoice);
            }
            text("original CU invoice number", o, ORIGINAL, false, true)?;
        }
        (ReceiptKind::Invoice, Some(_)) => return Err(RenderError::OriginalInvoiceOnInvoice),
        (ReceiptKind::Invoice, None) => {}
    }

    let Some(sig) = &receipt.signature else {
        return Ok(Checked {
            sdc_time: None,
            qr_url: None,
        });
    };
    let required = |field: &'static str, value: &str| {
        if value.trim().is_empty() {
            Err(RenderError::MissingSignedData { field })
        } else {
            Ok(())
        }
    };
    required("SCU id (sdcId)", &sig.sdc_id)?;
    required("MRC number (mrcNo)", &sig.mrc_no)?;
    required("internal data (intrlData)", &sig.intrl_data)?;
    required("receipt signature (rcptSign)", &sig.rcpt_sign)?;
    required("SCU date and time (sdcDateTime)", &sig.sdc_date_time)?;
    text("SCU id", &sig.sdc_id, DEVICE_ID, false, true)?;
    text("MRC number", &sig.mrc_no, DEVICE_ID, false, true)?;
    text("internal data", &sig.intrl_data, INTERNAL_DATA, false, true)?;
    let url = qr_url(sig.environment, &s.pin, &s.branch_id, &sig.rcpt_sign)?;
    let sdc_time = Stamp::parse_kra(&sig.sdc_date_time, "SCU date and time (sdcDateTime)")?;
    Ok(Checked {
        sdc_time: Some(sdc_time),
        qr_url: Some(url),
    })
}

fn check_text(
    field: &str,
    value: &str,
    max: usize,
    multiline: bool,
    required: bool,
    faces: Faces<'_>,
) -> Result<(), RenderError> {
    if required && value.trim().is_empty() {
        return Err(RenderError::Empty {
            field: field.to_owned(),
        });
    }
    let found = value.chars().count();
    if found > max {
        return Err(RenderError::TooLong {
            field: field.to_owned(),
            max,
            found,
        });
    }
    for c in value.chars() {
        if multiline && (c == '\n' || c == '\r') {
            continue;
        }
        if c.is_control() {
            return Err(RenderError::UnsupportedCharacter {
                field: field.to_owned(),
                shown: format!("a control character (U+{:04X})", u32::from(c)),
            });
        }
        if c == ' ' {
            continue;
        }
        if let Some(faces) = faces {
            for f in faces {
                if fonts::face(*f)?.glyph(c).is_none() {
                    return Err(RenderError::UnsupportedCharacter {
                        field: field.to_owned(),
                        shown: format!("'{c}' (U+{:04X})", u32::from(c)),
                    });
                }
            }
        }
    }
    Ok(())
}

/// A non-negative amount within range with at most `dp` decimal places (ignoring trailing
/// zeros: `1.500` has one).
fn number(field: &str, value: Decimal, dp: u32) -> Result<(), RenderError> {
    if value.is_sign_negative() && !value.is_zero() {
        return Err(RenderError::NegativeAmount {
            field: field.to_owned(),
            value,
        });
    }
    if value.abs() > MAX_AMOUNT {
        return Err(RenderError::AmountOutOfRange {
            field: field.to_owned(),
            value,
        });
    }
    if value.normalize().scale() > dp {
        return Err(RenderError::TooManyDecimals {
            field: field.to_owned(),
            value,
            max: dp,
        });
    }
    Ok(())
}

fn agree(
    total: &'static str,
    printed: Decimal,
    parts: &'static str,
    sum: Decimal,
) -> Result<(), RenderError> {
    if printed == sum {
        Ok(())
    } else {
        Err(RenderError::TotalsMismatch {
            total,
            printed,
            parts,
            sum,
        })
    }
}
