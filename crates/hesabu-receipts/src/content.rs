//! What a receipt says, in the order KRA's TIS template prints it (spec §13), independent of
//! the paper: a list of [`Block`]s with every number already formatted. The roll layout
//! (`grid.rs`, shared by the plain text and the thermal PDFs) and the A4 layout (`a4.rs`) only
//! place these blocks; neither adds, drops or reorders content.

use crate::fiscal::{cu_invoice_no, dashed, receipt_label};
use crate::format::{amount, percent, signed_amount};
use crate::model::{Receipt, ReceiptKind, TaxType};
use crate::validate::Checked;

/// The line printed on every document KRA has not signed.
pub const NOT_OFFICIAL: &str = "THIS IS NOT AN OFFICIAL RECEIPT";
/// The last line of a fiscal receipt.
pub const END_OF_LEGAL_RECEIPT: &str = "End of Legal Receipt";
/// The line a credit note carries (TIS template, page 10).
pub const CREDIT_NOTE_APPROVAL: &str = "CREDIT NOTE IS APPROVED ONLY FOR ORIGINAL SALES RECEIPT";

/// Which part of the document a label–value [`Block::Field`] belongs to; the A4 layout places
/// each part differently (the roll prints them all the same way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Group {
    /// Document number, dates, buyer.
    Document,
    /// The totals, payments and item count.
    Totals,
    /// SCU INFORMATION and TIS INFORMATION.
    Fiscal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Item {
    pub(crate) description: String,
    pub(crate) quantity: String,
    pub(crate) unit_price: String,
    /// The line amount (`6,720.00`).
    pub(crate) amount: String,
    /// What follows the amount: the tax letter, `A-EX` for exempt.
    pub(crate) tax: String,
    /// The discount rate (`10%`) and amount (`-0.10`), when discounted.
    pub(crate) discount: Option<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Block {
    /// The seller's trading name.
    SellerName(String),
    /// A line of the seller's header: address, KRA PIN.
    SellerLine(String),
    /// A centred line (commercial messages, notices, the last line); `bold` for notices.
    Center {
        text: String,
        bold: bool,
    },
    /// The document title.
    Title(String),
    /// COPY, bold, at twice the size of the amounts.
    Copy,
    /// A section heading (SCU INFORMATION, TIS INFORMATION).
    Heading(String),
    /// A separator.
    Rule,
    /// A label and its value, the value right-aligned on the roll.
    Field {
        label: String,
        value: String,
        bold: bool,
        group: Group,
    },
    Item(Item),
    /// The five-row tax table: a heading row and one row per band (label, taxable, tax).
    TaxTable {
        head: [String; 3],
        rows: Vec<[String; 3]>,
    },
    /// The QR code carrying this URL.
    Qr(String),
}

/// The receipt as blocks, plus what the PDF needs besides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Content {
    pub(crate) blocks: Vec<Block>,
    /// A reprint: the PDF layouts draw a COPY watermark.
    pub(crate) watermark: bool,
    /// The PDF's title (`TAX INVOICE INV/2024/00002`).
    pub(crate) title: String,
}

/// The blocks of a checked receipt (`validate::check` has passed).
pub(crate) fn build(receipt: &Receipt, checked: &Checked) -> Content {
    let negate = receipt.kind == ReceiptKind::CreditNote;
    let signed = receipt.signature.as_ref();
    let label = receipt_label(receipt.kind, receipt.copy);
    let mut b = Vec::with_capacity(48 + receipt.lines.len());
    let field = |label: &str, value: String, group: Group| Block::Field {
        label: label.to_owned(),
        value,
        bold: false,
        group,
    };

    // 1. The seller and the title.
    let s = &receipt.seller;
    b.push(Block::SellerName(s.trading_name.trim().to_owned()));
    for line in lines_of(&s.address) {
        b.push(Block::SellerLine(line));
    }
    b.push(Block::SellerLine(format!("PIN: {}", s.pin.trim())));
    let title = match (receipt.kind, signed.is_some()) {
        (ReceiptKind::Invoice, true) => "TAX INVOICE",
        (ReceiptKind::Invoice, false) => "INVOICE",
        (ReceiptKind::CreditNote, _) => "CREDIT NOTE",
    };
    b.push(Block::Title(title.to_owned()));
    if receipt.copy {
        b.push(Block::Copy);
    }
    if signed.is_none() {
        b.push(Block::Center {
            text: NOT_OFFICIAL.to_owned(),
            bold: true,
        });
    }
    // 2. The header message.
    if let Some(m) = &s.top_message {
        for line in lines_of(m) {
            b.push(Block::Center {
                text: line,
                bold: false,
            });
        }
    }
    b.push(Block::Rule);

    // 3. Our number and date, the original invoice of a credit note, the buyer.
    let number_label = match receipt.kind {
        ReceiptKind::Invoice => "Invoice No.:",
        ReceiptKind::CreditNote => "Credit Note No.:",
    };
    b.push(field(
        number_label,
        receipt.number.trim().to_owned(),
        Group::Document,
    ));
    b.push(field(
        "Date:",
        receipt.issued_at.date_text(),
        Group::Document,
    ));
    if let Some(original) = &receipt.original_cu_invoice {
        b.push(field(
            "ORIGINAL CU INVOICE NO.:",
            original.trim().to_owned(),
            Group::Document,
        ));
    }
    if let Some(buyer) = &receipt.buyer {
        if !buyer.name.trim().is_empty() {
            b.push(field(
                "Buyer Name:",
                buyer.name.trim().to_owned(),
                Group::Document,
            ));
        }
        if let Some(pin) = &buyer.pin {
            b.push(field("Buyer PIN:", pin.trim().to_owned(), Group::Document));
        }
    }
    b.push(Block::Rule);

    // 4. The items.
    for line in &receipt.lines {
        let discount =
            (!line.discount_amount.is_zero() || !line.discount_rate.is_zero()).then(|| {
                (
                    percent(line.discount_rate),
                    signed_amount(line.discount_amount, !negate),
                )
            });
        b.push(Block::Item(Item {
            description: line.description.trim().to_owned(),
            quantity: amount(line.quantity),
            unit_price: amount(line.unit_price),
            amount: signed_amount(line.amount, negate),
            tax: line.tax_type.suffix().to_owned(),
            discount,
        }));
    }
    b.push(Block::Rule);

    // 5. Totals, payment, item count.
    let t = &receipt.totals;
    if !t.discount.is_zero() {
        b.push(field(
            "TOTAL BEFORE DISCOUNT",
            signed_amount(t.before_discount, negate),
            Group::Totals,
        ));
        b.push(field(
            "TOTAL DISCOUNT AWARDED",
            signed_amount(t.discount, !negate),
            Group::Totals,
        ));
    }
    b.push(field(
        "SUB TOTAL",
        signed_amount(t.sub_total, negate),
        Group::Totals,
    ));
    b.push(field("VAT", signed_amount(t.vat, negate), Group::Totals));
    b.push(Block::Field {
        label: "TOTAL".to_owned(),
        value: signed_amount(t.total, negate),
        bold: true,
        group: Group::Totals,
    });
    for p in &receipt.payments {
        b.push(field(
            p.method.trim(),
            signed_amount(p.amount, negate),
            Group::Totals,
        ));
    }
    b.push(field(
        "ITEMS NUMBER",
        receipt.lines.len().to_string(),
        Group::Totals,
    ));
    b.push(Block::Rule);

    // 6. The tax table, all five bands.
    let rows = TaxType::ALL
        .iter()
        .zip(&receipt.bands)
        .map(|(tax_type, band)| {
            [
                tax_type.label(band.rate),
                signed_amount(band.taxable, negate),
                signed_amount(band.tax, negate),
            ]
        })
        .collect();
    b.push(Block::TaxTable {
        head: [
            "RATE".to_owned(),
            "TAXABLE AMT".to_owned(),
            "TAX AMT".to_owned(),
        ],
        rows,
    });
    if negate {
        // The credit-note template also totals each band that carries an amount.
        for (tax_type, band) in TaxType::ALL.iter().zip(&receipt.bands) {
            if band.taxable.is_zero() && band.tax.is_zero() {
                continue;
            }
            let rate = match tax_type {
                TaxType::A => "EX".to_owned(),
                TaxType::D => "Non-VAT".to_owned(),
                _ => format!("{}%", amount(band.rate)),
            };
            b.push(field(
                &format!("TOTAL {}-{rate}", tax_type.letter()),
                signed_amount(band.taxable, true),
                Group::Totals,
            ));
            b.push(field(
                &format!("TOTAL TAX {}", tax_type.letter()),
                signed_amount(band.tax, true),
                Group::Totals,
            ));
        }
        b.push(Block::Center {
            text: CREDIT_NOTE_APPROVAL.to_owned(),
            bold: true,
        });
    }
    b.push(Block::Rule);

    // 7. SCU INFORMATION, only on what KRA signed.
    if let (Some(sig), Some(time), Some(url)) = (signed, checked.sdc_time, &checked.qr_url) {
        b.push(Block::Heading("SCU INFORMATION".to_owned()));
        b.push(field(
            &format!("Date: {}", time.date_text()),
            format!("Time: {}", time.time_text()),
            Group::Fiscal,
        ));
        b.push(field(
            "SCU ID:",
            sig.sdc_id.trim().to_owned(),
            Group::Fiscal,
        ));
        b.push(field(
            "CU INVOICE NO.:",
            format!(
                "{} {label}",
                cu_invoice_no(sig.sdc_id.trim(), sig.cur_rcpt_no)
            ),
            Group::Fiscal,
        ));
        b.push(field(
            "RECEIPT NUMBER:",
            format!("{}/{} {label}", sig.cur_rcpt_no, sig.tot_rcpt_no),
            Group::Fiscal,
        ));
        b.push(field(
            "Internal Data:",
            dashed(sig.intrl_data.trim()),
            Group::Fiscal,
        ));
        b.push(field(
            "Receipt Signature:",
            dashed(sig.rcpt_sign.trim()),
            Group::Fiscal,
        ));
        b.push(Block::Qr(url.clone()));
        b.push(Block::Rule);
    }

    // 8. TIS INFORMATION: our side of the document.
    b.push(Block::Heading("TIS INFORMATION".to_owned()));
    b.push(field(
        number_label,
        receipt.number.trim().to_owned(),
        Group::Fiscal,
    ));
    b.push(field("Date:", receipt.issued_at.date_text(), Group::Fiscal));
    b.push(field("Time:", receipt.issued_at.time_text(), Group::Fiscal));
    if let Some(sig) = signed {
        b.push(field("MRC:", sig.mrc_no.trim().to_owned(), Group::Fiscal));
    }
    b.push(Block::Rule);

    // 9. The footer message and the last line.
    if let Some(m) = &s.bottom_message {
        for line in lines_of(m) {
            b.push(Block::Center {
                text: line,
                bold: false,
            });
        }
    }
    if receipt.copy {
        b.push(Block::Copy);
    }
    b.push(Block::Center {
        text: if signed.is_some() {
            END_OF_LEGAL_RECEIPT
        } else {
            NOT_OFFICIAL
        }
        .to_owned(),
        bold: signed.is_none(),
    });

    Content {
        blocks: b,
        watermark: receipt.copy,
        title: format!("{title} {}", receipt.number.trim()),
    }
}

/// The non-empty lines of a multi-line field, trimmed.
fn lines_of(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect()
}
