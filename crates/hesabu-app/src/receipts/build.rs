//! The renderer's input ([`Receipt`]) from what Hesabu stored: the issued sale (its lines and
//! band table as the ledger's tax module computed them, the figures the e-TIMS payload sent),
//! its fiscal submission (KRA's signature, with the device's PIN, branch, SCU id and MRC number
//! snapshotted at signing) and the company's seller details and receipt messages.
//!
//! Nothing here calls KRA and nothing computes tax: amounts are copied. Two simplifications,
//! said here and in docs/receipts.md: unit prices and quantities print as the ledger holds them
//! (up to 4 decimals; the payload rounds them to 2 for KRA, the amounts are the same). A sale
//! in a foreign currency prints its KES figures, the ones KRA signs
//! ([`hesabu_core::sales::documents::SaleView::in_base_currency`]); the invoice in its own
//! currency is the sale's document, not the ETR receipt.

use std::str::FromStr;

use chrono::{Datelike, NaiveDate, Timelike};
use rust_decimal::Decimal;

use hesabu_core::sales::fiscal::{FiscalContext, FiscalState};
use hesabu_core::sales::tax::TaxType as LedgerTax;
use hesabu_core::sales::{SalesStatus, SalesType};
use hesabu_receipts::{
    Band, Buyer, Environment, Line, Payment, Receipt, ReceiptKind, Seller, Signature, Stamp,
    TaxType,
};
use hesabu_store::clock::parse_timestamp;
use hesabu_store::error::{Error, Result};

use super::ReceiptSettings;

/// The company details a receipt needs beyond the fiscal context.
pub(crate) struct Company {
    pub(crate) kra_pin: String,
    pub(crate) branch_id: String,
    pub(crate) time_zone: String,
}

/// Whether KRA has signed the document, from its submission.
pub(crate) fn is_signed(ctx: &FiscalContext) -> bool {
    ctx.submission
        .as_ref()
        .is_some_and(|s| s.state == FiscalState::Signed)
}

/// Refuses a document that has no receipt: a draft, one awaiting approval, a voided one.
pub(crate) fn check_has_receipt(ctx: &FiscalContext) -> Result<String> {
    let sale = &ctx.sale;
    let number = sale.number.clone().unwrap_or_default();
    match sale.status {
        SalesStatus::Issued | SalesStatus::Fiscalised if !number.is_empty() => Ok(number),
        SalesStatus::Void => Err(Error::Conflict(format!(
            "{number} was voided{}; a voided sale has no receipt.",
            sale.void_reason
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        ))),
        _ => Err(Error::Conflict(format!(
            "This {} to {} is not issued yet (it is {}); a receipt exists once it is issued.",
            sale.doc_type.describe(),
            sale.customer_name,
            sale.status.to_string().replace('_', " ")
        ))),
    }
}

fn decimal(what: &str, text: &str) -> Result<Decimal> {
    Decimal::from_str(text)
        .map_err(|_| Error::Internal(format!("the stored {what} '{text}' is not a number")))
}

fn band_of(t: LedgerTax) -> TaxType {
    match t {
        LedgerTax::A => TaxType::A,
        LedgerTax::B => TaxType::B,
        LedgerTax::C => TaxType::C,
        LedgerTax::D => TaxType::D,
        LedgerTax::E => TaxType::E,
    }
}

/// How a payment method prints (KRA's payment-type names, upper case as on a till receipt).
pub(crate) fn payment_name(method: &str) -> String {
    match method {
        "cash" => "CASH".to_owned(),
        "mpesa" => "MOBILE MONEY".to_owned(),
        "bank" => "BANK TRANSFER".to_owned(),
        "card" => "CARD".to_owned(),
        "cheque" => "CHEQUE".to_owned(),
        "credit" => "CREDIT".to_owned(),
        other => other.to_uppercase(),
    }
}

/// The production portal only for a device on one of KRA's own production hosts; a sandbox
/// host, a loopback test double or an unknown host gets the sandbox portal, so a receipt never
/// points the public at the live portal for a sale the live system did not sign.
pub(crate) fn environment(base_url: &str) -> Environment {
    let host = base_url
        .split("://")
        .nth(1)
        .unwrap_or(base_url)
        .split(['/', ':'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let kra = host == "kra.go.ke" || host.ends_with(".kra.go.ke");
    if kra && !host.contains("sbx") && !host.contains("test") && !host.contains("dev") {
        Environment::Production
    } else {
        Environment::Sandbox
    }
}

/// When the sale was issued, in the company's time zone (the ledger keeps UTC); the issue date
/// at midnight if the stored instant is unreadable.
fn issued_stamp(issued_at: Option<&str>, issue_date: &str, zone: &str) -> Result<Stamp> {
    let tz: chrono_tz::Tz = zone.parse().unwrap_or(chrono_tz::Africa::Nairobi);
    let stamp = |y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32| Stamp {
        year: u16::try_from(y).unwrap_or(0),
        month: u8::try_from(mo).unwrap_or(0),
        day: u8::try_from(d).unwrap_or(0),
        hour: u8::try_from(h).unwrap_or(0),
        minute: u8::try_from(mi).unwrap_or(0),
        second: u8::try_from(s).unwrap_or(0),
    };
    if let Some(at) = issued_at.and_then(|t| parse_timestamp(t).ok()) {
        let local = at.with_timezone(&tz);
        return Ok(stamp(
            local.year(),
            local.month(),
            local.day(),
            local.hour(),
            local.minute(),
            local.second(),
        ));
    }
    let date = NaiveDate::parse_from_str(issue_date, "%Y-%m-%d").map_err(|_| {
        Error::Internal(format!(
            "the stored issue date '{issue_date}' is not a date"
        ))
    })?;
    Ok(stamp(date.year(), date.month(), date.day(), 0, 0, 0))
}

/// The receipt of the sale in `ctx`: fiscal when KRA signed it, else provisional (no signature:
/// the renderer prints "THIS IS NOT AN OFFICIAL RECEIPT" and no SCU block or QR code).
pub(crate) fn receipt(
    ctx: &FiscalContext,
    company: &Company,
    settings: &ReceiptSettings,
) -> Result<Receipt> {
    let number = check_has_receipt(ctx)?;
    // The receipt carries what KRA signs: KES figures, also for a foreign-currency sale.
    let kes = ctx.sale.in_base_currency()?;
    let sale = &kes;
    let signed = ctx
        .submission
        .as_ref()
        .filter(|s| s.state == FiscalState::Signed);
    let signature = match signed {
        Some(s) => {
            let counter = |what: &str, n: Option<i64>| {
                n.and_then(|n| u64::try_from(n).ok()).ok_or_else(|| {
                    Error::Internal(format!(
                        "the signed e-TIMS record of {number} has no valid {what}"
                    ))
                })
            };
            Some(Signature {
                sdc_id: s.sdc_id.clone().unwrap_or_default(),
                mrc_no: s.mrc_no.clone().unwrap_or_default(),
                cur_rcpt_no: counter("receipt number (curRcptNo)", s.cur_rcpt_no)?,
                tot_rcpt_no: counter("total receipt number (totRcptNo)", s.tot_rcpt_no)?,
                intrl_data: s.intrl_data.clone().unwrap_or_default(),
                rcpt_sign: s.rcpt_sign.clone().unwrap_or_default(),
                sdc_date_time: s.sdc_date_time.clone().unwrap_or_default(),
                environment: ctx
                    .device
                    .as_ref()
                    .map_or(Environment::Sandbox, |d| environment(&d.base_url)),
            })
        }
        None => None,
    };
    // The seller as KRA signed it: the device's PIN and branch at signing; the company's own
    // on a provisional receipt.
    let (pin, branch_id) = match signed {
        Some(s) => (s.tin.clone(), s.bhf_id.clone()),
        None => (company.kra_pin.clone(), company.branch_id.clone()),
    };
    let seller = Seller {
        trading_name: ctx.trade_name.clone(),
        address: ctx.address.clone().unwrap_or_default(),
        pin,
        branch_id,
        top_message: settings.top_message.clone(),
        bottom_message: settings.bottom_message.clone(),
    };
    // A walk-in customer without a PIN is not printed: KRA wants the buyer only when known.
    let buyer = (sale.customer_id.is_some() || sale.customer_pin.is_some()).then(|| Buyer {
        name: sale.customer_name.clone(),
        pin: sale.customer_pin.clone(),
    });
    let lines = sale
        .lines
        .iter()
        .map(|l| {
            Ok(Line {
                description: l.description.clone(),
                quantity: decimal("quantity", &l.quantity)?.normalize(),
                unit_price: decimal("unit price", &l.unit_price)?.normalize(),
                discount_rate: if l.discount_kind == "percent" {
                    decimal("discount", &l.discount_value)?.normalize()
                } else {
                    Decimal::ZERO
                },
                discount_amount: decimal("discount amount", &l.discount_amount)?,
                amount: decimal("supply amount", &l.supply_amount)?,
                tax_type: band_of(l.tax_type),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let t = &sale.totals;
    let bands = LedgerTax::ALL.map(|tax| {
        let b = t.band(tax);
        Band {
            rate: b.rate,
            taxable: b.taxable_amount,
            tax: b.tax_amount,
        }
    });
    let payments = sale
        .payment_method
        .as_deref()
        .map(|m| Payment {
            method: payment_name(m),
            amount: t.total,
        })
        .into_iter()
        .collect();
    let credit = sale.doc_type == SalesType::CreditNote;
    let original_cu_invoice = if credit {
        Some(
            ctx.original
                .as_ref()
                .and_then(|o| o.cu_invoice_no.clone())
                .or_else(|| sale.original_number.clone())
                .unwrap_or_default(),
        )
    } else {
        None
    };
    Ok(Receipt {
        kind: if credit {
            ReceiptKind::CreditNote
        } else {
            ReceiptKind::Invoice
        },
        seller,
        buyer,
        number,
        issued_at: issued_stamp(
            sale.issued_at.as_deref(),
            &sale.issue_date,
            &company.time_zone,
        )?,
        lines,
        totals: hesabu_receipts::Totals {
            before_discount: t.total_before_discount,
            discount: t.total_discount,
            sub_total: t.total_taxable,
            vat: t.total_tax,
            total: t.total,
        },
        bands,
        payments,
        signature,
        original_cu_invoice,
        copy: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_kra_production_hosts_get_the_production_portal() {
        for (url, env) in [
            (
                "https://etims-api.kra.go.ke/etims-api/",
                Environment::Production,
            ),
            (
                "https://etims-api-sbx.kra.go.ke/etims-api/",
                Environment::Sandbox,
            ),
            (
                "https://sbx.kra.go.ke/etims-oscu/api/v1",
                Environment::Sandbox,
            ),
            ("http://127.0.0.1:4567/", Environment::Sandbox),
            ("https://kra.go.ke.evil.example/", Environment::Sandbox),
            ("https://etims.kra.go.ke", Environment::Production),
        ] {
            assert_eq!(environment(url), env, "{url}");
        }
    }

    #[test]
    fn issue_times_are_in_the_company_zone() {
        let s = issued_stamp(Some("2026-03-01T21:30:05Z"), "2026-03-01", "Africa/Nairobi").unwrap();
        assert_eq!((s.day, s.hour, s.minute, s.second), (2, 0, 30, 5));
        let s = issued_stamp(None, "2026-03-01", "Africa/Nairobi").unwrap();
        assert_eq!((s.year, s.month, s.day, s.hour), (2026, 3, 1, 0));
    }
}
