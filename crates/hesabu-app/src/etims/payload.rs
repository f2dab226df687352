//! The e-TIMS sale / credit-note payload (`saveTrnsSalesOsdc`, spec §5) from a stored sale.
//!
//! Every amount comes from the ledger, where the one tax module (`hesabu_core::sales::tax`)
//! computed and stored it per line; this module maps fields and formats, it does no tax maths.
//! Band rates follow the spec's §12.2 rule, chosen per device ([`UnusedBandRate`]): the code
//! list's rate for bands that carry an amount, and 0 (or the code-list rate) for unused bands.
//!
//! A sale in another currency is sent as its KES figures ([`SaleView::in_base_currency`]:
//! each line converted at the sale's exchange rate by the tax module, the band table
//! recomputed), since KRA takes KES only (spec §12.3).
//!
//! A device whose gateway validates the other price basis (the integrator checks inclusive
//! prices, spec §12.1) gets each line re-expressed by the tax module
//! ([`hesabu_core::sales::tax::rebase_line`]): the unit price, supply and discount on the
//! gateway's basis, the taxable amount, VAT and total the ledger's own to the cent, so the band
//! totals stay the ledger's. A line no 2-place price can express is refused in words.

use std::collections::HashMap;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use hesabu_core::sales::SalesType;
use hesabu_core::sales::documents::{SaleLineView, SaleView};
use hesabu_core::sales::items::ItemView;
use hesabu_core::sales::tax::{
    LineTotals, PriceBasis, RebasedLine, TaxType, UnusedBandRate, header_rate, rebase_line,
};
use hesabu_etims::dates;
use hesabu_etims::types::sales::{SaleItem, SaleReceipt, SaveSaleRequest};
use hesabu_store::error::{Error, Result};

/// What the payload needs beyond the sale itself.
#[derive(Debug, Clone)]
pub struct PayloadContext {
    /// The device's next sales counter value (spec §11.3), reserved by the caller.
    pub invc_no: u64,
    /// A credit note: the original sale's `invcNo`; 0 for a sale.
    pub org_invc_no: u64,
    /// When the sale is confirmed for KRA (`cfmDt`, `rcptPbctDt`; the credit note's `rfdDt`).
    pub confirmed_at: DateTime<Utc>,
    /// The price basis the device's gateway validates (spec §12.1).
    pub gateway_basis: PriceBasis,
    pub unused_band_rate: UnusedBandRate,
    /// `regrId`/`modrId` and the names: who issued the sale.
    pub user_id: String,
    pub user_name: String,
    pub trade_name: Option<String>,
    pub address: Option<String>,
}

/// KRA's payment type (code list 07) for the ledger's payment method. The snapshot of the
/// spec's §9 table; the e-TIMS issue maps by name from KRA's live list, which differs between
/// gateways (M-Pesa is 06 in one, 07 in another).
pub fn payment_type(method: Option<&str>) -> Option<&'static str> {
    Some(match method? {
        "cash" => "01",
        "credit" => "02",
        "cheque" | "bank" => "04",
        "card" => "05",
        "mpesa" => "06",
        _ => "07",
    })
}

fn decimal(what: &str, text: &str) -> Result<Decimal> {
    Decimal::from_str(text)
        .map_err(|_| Error::Internal(format!("the stored {what} '{text}' is not a number")))
}

/// One line's amounts as the device's gateway checks them: the ledger's own on the sale's
/// basis, else re-expressed by the tax module ([`rebase_line`]); refused in words when the
/// line cannot be. Also the pre-send checklist's test (`fiscal`), so it refuses what the
/// builder would.
pub fn wire_figures(
    sale: &SaleView,
    line: &SaleLineView,
    gateway_basis: PriceBasis,
    number: &str,
) -> Result<RebasedLine> {
    let quantity = decimal("quantity", &line.quantity)?.round_dp(2);
    let unit_price = decimal("unit price", &line.unit_price)?;
    let supply = decimal("supply amount", &line.supply_amount)?;
    // The gateway checks `round(qty × prc)` with a 2-place price: a line whose price has more
    // places (a converted foreign price, a 4-place KES price) is re-expressed when that misses.
    if sale.price_basis == gateway_basis
        && (quantity * unit_price.round_dp(2)).round_dp(2) == supply
    {
        return Ok(RebasedLine {
            unit_price: unit_price.round_dp(2),
            supply_amount: supply,
            discount_rate: match line.discount_kind.as_str() {
                "percent" => decimal("discount", &line.discount_value)?.round_dp(2),
                _ => Decimal::ZERO,
            },
            discount_amount: decimal("discount amount", &line.discount_amount)?,
            taxable_amount: decimal("taxable amount", &line.taxable_amount)?,
            tax_amount: decimal("tax amount", &line.tax_amount)?,
            total_amount: decimal("line total", &line.total_amount)?,
        });
    }
    let totals = LineTotals {
        tax_type: line.tax_type,
        rate: decimal("tax rate", &line.tax_rate)?,
        supply_amount: supply,
        discount_rate: Decimal::ZERO,
        discount_amount: decimal("discount amount", &line.discount_amount)?,
        taxable_amount: decimal("taxable amount", &line.taxable_amount)?,
        tax_amount: decimal("tax amount", &line.tax_amount)?,
        total_amount: decimal("line total", &line.total_amount)?,
    };
    rebase_line(
        quantity,
        &totals,
        sale.price_basis,
        gateway_basis,
        unit_price,
        &format!("{number} line {} ({})", line.position, line.description),
    )
}

/// Builds the request for `sale` (issued, numbered). `items` by item id, for every item on it.
pub fn build(
    sale: &SaleView,
    items: &HashMap<String, ItemView>,
    ctx: &PayloadContext,
) -> Result<SaveSaleRequest> {
    let number = sale.number.clone().ok_or_else(|| {
        Error::invalid("A draft is not sent to KRA: issue it first (it gets its number then).")
    })?;
    // KRA takes KES amounts (spec §12.3): a foreign-currency sale goes as its KES figures,
    // converted line by line by the ledger's tax module.
    let kes = sale.in_base_currency()?;
    let sale = &kes;
    let credit = sale.doc_type == SalesType::CreditNote;
    if credit && (ctx.org_invc_no == 0 || sale.reason_code.is_none()) {
        return Err(Error::invalid(format!(
            "{number} is a credit note: it needs the original's e-TIMS invoice number and a \
             reason code."
        )));
    }
    let mut item_list = Vec::with_capacity(sale.lines.len());
    for line in &sale.lines {
        let at = line.position;
        let item = line
            .item_id
            .as_ref()
            .and_then(|id| items.get(id))
            .ok_or_else(|| {
                Error::invalid(format!(
                    "Line {at} ({}) names no item: e-TIMS needs a registered item on every line. \
                     Choose an item for it.",
                    line.description
                ))
            })?;
        let class = item.classification_code.clone().ok_or_else(|| {
            Error::invalid(format!(
                "Item {} has no KRA classification code; add one to the item.",
                item.code
            ))
        })?;
        let quantity = decimal("quantity", &line.quantity)?;
        let sent_quantity = quantity.round_dp(2);
        let figures = wire_figures(sale, line, ctx.gateway_basis, &number)?;
        item_list.push(SaleItem {
            item_seq: u32::try_from(at).unwrap_or(u32::MAX),
            item_cd: item.kra_item_code.clone(),
            item_cls_cd: class,
            item_nm: line.description.clone(),
            bcd: item.barcode.clone(),
            pkg_unit_cd: item.packaging_unit.clone(),
            // One package per unit sold: Hesabu keeps no units-per-package yet.
            pkg: sent_quantity,
            qty_unit_cd: item.quantity_unit.clone(),
            qty: sent_quantity,
            prc: figures.unit_price,
            sply_amt: figures.supply_amount,
            dc_rt: figures.discount_rate,
            dc_amt: figures.discount_amount,
            isrcc_cd: None,
            isrcc_nm: None,
            isrc_rt: None,
            isrc_amt: None,
            tax_ty_cd: line.tax_type.as_str().to_owned(),
            taxbl_amt: figures.taxable_amount,
            tax_amt: figures.tax_amount,
            tot_amt: figures.total_amount,
        });
    }
    let t = &sale.totals;
    let band = |tax: TaxType| t.band(tax);
    let rate = |tax: TaxType| header_rate(band(tax), ctx.unused_band_rate);
    let confirmed = dates::format_datetime(&ctx.confirmed_at.with_timezone(&dates::NAIROBI));
    let sales_date = NaiveDate::parse_from_str(&sale.issue_date, "%Y-%m-%d")
        .map(dates::format_naive_date)
        .map_err(|_| {
            Error::Internal(format!(
                "the stored date '{}' is not a date",
                sale.issue_date
            ))
        })?;
    Ok(SaveSaleRequest {
        invc_no: ctx.invc_no,
        org_invc_no: ctx.org_invc_no,
        trd_invc_no: number,
        cust_tin: sale.customer_pin.clone(),
        cust_nm: Some(sale.customer_name.clone()),
        sales_ty_cd: Some("N".into()),
        rcpt_ty_cd: if credit { "R" } else { "S" }.into(),
        pmt_ty_cd: payment_type(sale.payment_method.as_deref()).map(str::to_owned),
        sales_stts_cd: "02".into(),
        cfm_dt: confirmed.clone(),
        sales_dt: sales_date,
        stock_rls_dt: None,
        cncl_req_dt: None,
        cncl_dt: None,
        rfd_dt: credit.then(|| confirmed.clone()),
        rfd_rsn_cd: if credit {
            sale.reason_code.clone()
        } else {
            None
        },
        tot_item_cnt: u32::try_from(item_list.len()).unwrap_or(u32::MAX),
        taxbl_amt_a: band(TaxType::A).taxable_amount,
        taxbl_amt_b: band(TaxType::B).taxable_amount,
        taxbl_amt_c: band(TaxType::C).taxable_amount,
        taxbl_amt_d: band(TaxType::D).taxable_amount,
        taxbl_amt_e: band(TaxType::E).taxable_amount,
        tax_rt_a: rate(TaxType::A),
        tax_rt_b: rate(TaxType::B),
        tax_rt_c: rate(TaxType::C),
        tax_rt_d: rate(TaxType::D),
        tax_rt_e: rate(TaxType::E),
        tax_amt_a: band(TaxType::A).tax_amount,
        tax_amt_b: band(TaxType::B).tax_amount,
        tax_amt_c: band(TaxType::C).tax_amount,
        tax_amt_d: band(TaxType::D).tax_amount,
        tax_amt_e: band(TaxType::E).tax_amount,
        tot_taxbl_amt: t.total_taxable,
        tot_tax_amt: t.total_tax,
        tot_amt: t.total,
        prchr_acptc_yn: "N".into(),
        remark: sale.notes.clone(),
        regr_id: ctx.user_id.clone(),
        regr_nm: ctx.user_name.clone(),
        modr_id: ctx.user_id.clone(),
        modr_nm: ctx.user_name.clone(),
        receipt: SaleReceipt {
            cust_tin: sale.customer_pin.clone(),
            rcpt_pbct_dt: confirmed,
            trde_nm: ctx.trade_name.clone(),
            adrs: ctx.address.clone(),
            prchr_acptc_yn: "N".into(),
            ..Default::default()
        },
        item_list,
    })
}
