//! The stored form of a receipt: the renderer's whole input ([`hesabu_receipts::Receipt`]) as
//! JSON, kept in `receipt.snapshot_json` the first time a signed document's receipt is rendered.
//! Every later rendering (the stored originals' formats, copies, ESC/POS prints) is made from it,
//! so a company setting changed since (trading name, messages) never alters a printed receipt.
//!
//! The renderer crate knows no serde (it has no dependency of ours or of the app's), hence this
//! mirror. Amounts are decimal strings, never floats.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use hesabu_receipts::{
    Band, Buyer, Environment, Line, Payment, Receipt, ReceiptKind, Seller, Signature, Stamp,
    TaxType, Totals,
};
use hesabu_store::error::{Error, Result};

/// Version of the snapshot's shape; a reader refuses one it does not know.
const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Snapshot {
    version: u32,
    credit_note: bool,
    seller: SellerS,
    buyer: Option<BuyerS>,
    number: String,
    issued_at: [u16; 6],
    lines: Vec<LineS>,
    totals: TotalsS,
    bands: Vec<BandS>,
    payments: Vec<PaymentS>,
    signature: Option<SignatureS>,
    original_cu_invoice: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct SellerS {
    trading_name: String,
    address: String,
    pin: String,
    branch_id: String,
    top_message: Option<String>,
    bottom_message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct BuyerS {
    name: String,
    pin: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct LineS {
    description: String,
    #[serde(with = "rust_decimal::serde::str")]
    quantity: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    unit_price: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    discount_rate: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    discount_amount: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    amount: Decimal,
    tax_type: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct TotalsS {
    #[serde(with = "rust_decimal::serde::str")]
    before_discount: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    discount: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    sub_total: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    vat: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    total: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct BandS {
    #[serde(with = "rust_decimal::serde::str")]
    rate: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    taxable: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    tax: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct PaymentS {
    method: String,
    #[serde(with = "rust_decimal::serde::str")]
    amount: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct SignatureS {
    sdc_id: String,
    mrc_no: String,
    cur_rcpt_no: u64,
    tot_rcpt_no: u64,
    intrl_data: String,
    rcpt_sign: String,
    sdc_date_time: String,
    sandbox: bool,
}

fn tax_letter(t: TaxType) -> &'static str {
    t.letter()
}

fn tax_type(letter: &str) -> Result<TaxType> {
    TaxType::ALL
        .into_iter()
        .find(|t| t.letter() == letter)
        .ok_or_else(|| corrupt(&format!("the tax type '{letter}'")))
}

fn corrupt(what: &str) -> Error {
    Error::Internal(format!(
        "the stored receipt has {what}, which this version of Hesabu does not know"
    ))
}

impl Snapshot {
    /// The snapshot of `r` (its `copy` flag is not kept: a copy is a way of printing it).
    pub(crate) fn of(r: &Receipt) -> Snapshot {
        let s = &r.seller;
        let t = &r.totals;
        let at = r.issued_at;
        Snapshot {
            version: VERSION,
            credit_note: r.kind == ReceiptKind::CreditNote,
            seller: SellerS {
                trading_name: s.trading_name.clone(),
                address: s.address.clone(),
                pin: s.pin.clone(),
                branch_id: s.branch_id.clone(),
                top_message: s.top_message.clone(),
                bottom_message: s.bottom_message.clone(),
            },
            buyer: r.buyer.as_ref().map(|b| BuyerS {
                name: b.name.clone(),
                pin: b.pin.clone(),
            }),
            number: r.number.clone(),
            issued_at: [
                at.year,
                u16::from(at.month),
                u16::from(at.day),
                u16::from(at.hour),
                u16::from(at.minute),
                u16::from(at.second),
            ],
            lines: r
                .lines
                .iter()
                .map(|l| LineS {
                    description: l.description.clone(),
                    quantity: l.quantity,
                    unit_price: l.unit_price,
                    discount_rate: l.discount_rate,
                    discount_amount: l.discount_amount,
                    amount: l.amount,
                    tax_type: tax_letter(l.tax_type).to_owned(),
                })
                .collect(),
            totals: TotalsS {
                before_discount: t.before_discount,
                discount: t.discount,
                sub_total: t.sub_total,
                vat: t.vat,
                total: t.total,
            },
            bands: r
                .bands
                .iter()
                .map(|b| BandS {
                    rate: b.rate,
                    taxable: b.taxable,
                    tax: b.tax,
                })
                .collect(),
            payments: r
                .payments
                .iter()
                .map(|p| PaymentS {
                    method: p.method.clone(),
                    amount: p.amount,
                })
                .collect(),
            signature: r.signature.as_ref().map(|g| SignatureS {
                sdc_id: g.sdc_id.clone(),
                mrc_no: g.mrc_no.clone(),
                cur_rcpt_no: g.cur_rcpt_no,
                tot_rcpt_no: g.tot_rcpt_no,
                intrl_data: g.intrl_data.clone(),
                rcpt_sign: g.rcpt_sign.clone(),
                sdc_date_time: g.sdc_date_time.clone(),
                sandbox: g.environment == Environment::Sandbox,
            }),
            original_cu_invoice: r.original_cu_invoice.clone(),
        }
    }

    /// The renderer's input again, `copy` as asked.
    pub(crate) fn receipt(&self, copy: bool) -> Result<Receipt> {
        if self.version != VERSION {
            return Err(corrupt(&format!("the snapshot version {}", self.version)));
        }
        let small = |v: u16| u8::try_from(v).map_err(|_| corrupt("an issue time out of range"));
        let [year, month, day, hour, minute, second] = self.issued_at;
        let issued_at = Stamp {
            year,
            month: small(month)?,
            day: small(day)?,
            hour: small(hour)?,
            minute: small(minute)?,
            second: small(second)?,
        };
        let bands: [Band; 5] = self
            .bands
            .iter()
            .map(|b| Band {
                rate: b.rate,
                taxable: b.taxable,
                tax: b.tax,
            })
            .collect::<Vec<_>>()
            .try_into()
            .map_err(|_| corrupt("a tax table without exactly five bands"))?;
        let lines = self
            .lines
            .iter()
            .map(|l| {
                Ok(Line {
                    description: l.description.clone(),
                    quantity: l.quantity,
                    unit_price: l.unit_price,
                    discount_rate: l.discount_rate,
                    discount_amount: l.discount_amount,
                    amount: l.amount,
                    tax_type: tax_type(&l.tax_type)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let s = &self.seller;
        let t = &self.totals;
        Ok(Receipt {
            kind: if self.credit_note {
                ReceiptKind::CreditNote
            } else {
                ReceiptKind::Invoice
            },
            seller: Seller {
                trading_name: s.trading_name.clone(),
                address: s.address.clone(),
                pin: s.pin.clone(),
                branch_id: s.branch_id.clone(),
                top_message: s.top_message.clone(),
                bottom_message: s.bottom_message.clone(),
            },
            buyer: self.buyer.as_ref().map(|b| Buyer {
                name: b.name.clone(),
                pin: b.pin.clone(),
            }),
            number: self.number.clone(),
            issued_at,
            lines,
            totals: Totals {
                before_discount: t.before_discount,
                discount: t.discount,
                sub_total: t.sub_total,
                vat: t.vat,
                total: t.total,
            },
            bands,
            payments: self
                .payments
                .iter()
                .map(|p| Payment {
                    method: p.method.clone(),
                    amount: p.amount,
                })
                .collect(),
            signature: self.signature.as_ref().map(|g| Signature {
                sdc_id: g.sdc_id.clone(),
                mrc_no: g.mrc_no.clone(),
                cur_rcpt_no: g.cur_rcpt_no,
                tot_rcpt_no: g.tot_rcpt_no,
                intrl_data: g.intrl_data.clone(),
                rcpt_sign: g.rcpt_sign.clone(),
                sdc_date_time: g.sdc_date_time.clone(),
                environment: if g.sandbox {
                    Environment::Sandbox
                } else {
                    Environment::Production
                },
            }),
            original_cu_invoice: self.original_cu_invoice.clone(),
            copy,
        })
    }

    pub(crate) fn to_json(&self) -> Result<String> {
        serde_json::to_string(self)
            .map_err(|e| Error::Internal(format!("a receipt could not be stored as JSON: {e}")))
    }

    pub(crate) fn from_json(text: &str) -> Result<Snapshot> {
        serde_json::from_str(text).map_err(|e| corrupt(&format!("unreadable content ({e})")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hesabu_receipts::samples;

    #[test]
    fn a_snapshot_gives_back_the_receipt_it_was_made_from() {
        for r in [
            samples::fixture_invoice(),
            samples::shop_invoice(),
            samples::fixture_credit_note(),
        ] {
            let json = Snapshot::of(&r).to_json().unwrap();
            let back = Snapshot::from_json(&json).unwrap().receipt(false).unwrap();
            assert_eq!(back, r);
            assert!(
                Snapshot::from_json(&json)
                    .unwrap()
                    .receipt(true)
                    .unwrap()
                    .copy
            );
        }
        let mut sandbox = samples::fixture_invoice();
        if let Some(s) = sandbox.signature.as_mut() {
            s.environment = Environment::Sandbox;
        }
        let json = Snapshot::of(&sandbox).to_json().unwrap();
        assert_eq!(
            Snapshot::from_json(&json).unwrap().receipt(false).unwrap(),
            sandbox
        );
    }

    #[test]
    fn an_unknown_snapshot_is_refused_not_misprinted() {
        let mut s = Snapshot::of(&samples::fixture_invoice());
        s.version = 99;
        assert!(s.receipt(false).is_err());
        let mut s = Snapshot::of(&samples::fixture_invoice());
        s.bands.pop();
        assert!(s.receipt(false).is_err());
        assert!(Snapshot::from_json("{").is_err());
    }
}
