//! Stock and purchases (spec §10), minimal but contract-correct:
//!
//! - `insertStockIO`: `sarNo` strictly +1 per device on the integrator (any unused number on
//!   legacy), `994` for a number already used; it keeps a stock ledger per item (in-types `01`–
//!   `06` add, out-types `11`–`16` subtract). A sale does not move the ledger: KRA wants the TIS
//!   to report the stock-out after the sale (§10).
//! - `saveStockMaster`: only after a stock movement of the item; the integrator compares `rsdQty`
//!   with its ledger.
//! - `selectStockMoveList`: simplification: the device's own movements after `lastReqDt` (KRA's
//!   list of movements between branches is not documented).
//! - `selectTrnsPurchaseSalesList`: one supplier sale seeded per taxpayer, plus every sale another
//!   taxpayer of the sandbox signs with this PIN as the buyer.
//! - `insertTrnsPurchase` (read as the client's `TrnsPurchaseSaveReq`): its own `invcNo` counter
//!   (same rules as sales), band totals compared;
//!   the integrator also checks the inclusive line arithmetic and that `spplrNm` matches the
//!   supplier's sale verbatim.

use hesabu_etims::types::purchases::{PurchaseSalesData, TrnsPurchaseSaveReq};
use hesabu_etims::types::stock::{StockIoRequest, StockMasterRequest, StockMove, StockMoveData};
use rust_decimal::Decimal;

use crate::Profile;
use crate::kra::{
    Answer, DeviceKey, Kra, changed_after, non_empty, parse, parse_compact, parse_day, required,
};
use crate::reference::Stamped;
use crate::sales::{Basis, Line, LineMaths, Totals, check_line, check_totals};

fn is_stock_in(sar_ty_cd: &str) -> Option<bool> {
    match sar_ty_cd {
        "01" | "02" | "03" | "04" | "05" | "06" => Some(true),
        "11" | "12" | "13" | "14" | "15" | "16" => Some(false),
        _ => None,
    }
}

/// Integrator lookups need `tin` in the body too (spec §2).
fn body_tin(profile: Profile, tin: Option<&String>) -> Result<(), Answer> {
    if profile == Profile::Integrator && tin.is_none_or(|t| t.trim().is_empty()) {
        return Err(Answer::invalid("tin cannot be Null"));
    }
    Ok(())
}

impl Kra {
    pub(crate) fn purchase_sales(
        &mut self,
        profile: Profile,
        key: &DeviceKey,
        body: &str,
    ) -> Result<Answer, Answer> {
        let (request, after) = Self::list_request(body)?;
        body_tin(profile, request.tin.as_ref())?;
        let list = changed_after(&self.taxpayer(&key.0).incoming, after);
        Ok(non_empty(list, |sale_list| PurchaseSalesData { sale_list }))
    }

    pub(crate) fn save_purchase(
        &mut self,
        profile: Profile,
        key: &DeviceKey,
        body: &str,
    ) -> Result<Answer, Answer> {
        let r: TrnsPurchaseSaveReq = parse(body)?;
        required(&[
            ("regTyCd", &r.reg_ty_cd),
            ("pchsTyCd", &r.pchs_ty_cd),
            ("rcptTyCd", &r.rcpt_ty_cd),
            ("pchsSttsCd", &r.pchs_stts_cd),
            ("cfmDt", &r.cfm_dt),
            ("pchsDt", &r.pchs_dt),
            ("regrId", &r.regr_id),
            ("regrNm", &r.regr_nm),
            ("modrId", &r.modr_id),
            ("modrNm", &r.modr_nm),
        ])?;
        if r.invc_no == 0 {
            return Err(Answer::invalid("invcNo must be a whole number from 1"));
        }
        let strict = profile == Profile::Integrator;
        let device = &self.devices[key];
        if device.purchases.contains_key(&r.invc_no) {
            return Err(Answer::duplicate());
        }
        if strict || self.settings.strict_legacy {
            let expected = device.purchases.keys().next_back().map_or(1, |n| n + 1);
            if r.invc_no != expected {
                return Err(Answer::invalid(format!(
                    "Invalid invcNo sequence, expected: {expected} but found: {}",
                    r.invc_no
                )));
            }
        }
        for (cls, field, value) in [
            ("31", "regTyCd", &r.reg_ty_cd),
            ("14", "pchsTyCd", &r.pchs_ty_cd),
            ("38", "rcptTyCd", &r.rcpt_ty_cd),
            ("34", "pchsSttsCd", &r.pchs_stts_cd),
        ] {
            if !self.reference.has_code(cls, value) {
                return Err(Answer::invalid(format!(
                    "Invalid {field}: {value:?} is not a code of class {cls}"
                )));
            }
        }
        if parse_compact(&r.cfm_dt).is_none() {
            return Err(Answer::invalid(format!(
                "Invalid cfmDt {:?}: expected yyyyMMddHHmmss",
                r.cfm_dt
            )));
        }
        if parse_day(&r.pchs_dt).is_none() {
            return Err(Answer::invalid(format!(
                "Invalid pchsDt {:?}: expected yyyyMMdd",
                r.pchs_dt
            )));
        }
        let mut lines = Vec::new();
        for line in &r.item_list {
            if line.item_nm.trim().is_empty() {
                return Err(Answer::invalid(format!(
                    "itemNm on item: {} cannot be empty or Null",
                    line.item_seq
                )));
            }
            if strict {
                let rate = self.reference.tax_rate(&line.tax_ty_cd).unwrap_or_default();
                let maths = LineMaths {
                    qty: line.qty,
                    prc: line.prc,
                    sply: line.sply_amt,
                    dc_rt: line.dc_rt,
                    dc: line.dc_amt,
                    taxbl: line.taxbl_amt,
                    tax: line.tax_amt,
                };
                check_line(Basis::Inclusive, line.item_seq, rate, maths)
                    .map_err(Answer::invalid)?;
            }
            lines.push(Line {
                seq: line.item_seq,
                tax_ty_cd: line.tax_ty_cd.clone(),
                taxbl: line.taxbl_amt,
                tax: line.tax_amt,
                tot: line.tot_amt,
            });
        }
        let totals = Totals {
            item_cnt: r.tot_item_cnt,
            taxbl: [
                r.taxbl_amt_a,
                r.taxbl_amt_b,
                r.taxbl_amt_c,
                r.taxbl_amt_d,
                r.taxbl_amt_e,
            ],
            rate: [r.tax_rt_a, r.tax_rt_b, r.tax_rt_c, r.tax_rt_d, r.tax_rt_e],
            tax: [
                r.tax_amt_a,
                r.tax_amt_b,
                r.tax_amt_c,
                r.tax_amt_d,
                r.tax_amt_e,
            ],
            tot_taxbl: r.tot_taxbl_amt,
            tot_tax: r.tot_tax_amt,
            tot: r.tot_amt,
        };
        check_totals(&self.reference, &lines, &totals, strict).map_err(Answer::invalid)?;
        if strict
            && let (Some(tin), Some(number)) = (&r.spplr_tin, r.spplr_invc_no)
            && let Some(sale) = self.taxpayers[&key.0].incoming.iter().find(|s| {
                s.value.spplr_tin.as_ref() == Some(tin) && s.value.spplr_invc_no == Some(number)
            })
        {
            let expected = sale.value.spplr_nm.clone().unwrap_or_default();
            let found = r.spplr_nm.clone().unwrap_or_default();
            if expected != found {
                return Err(Answer::invalid(format!(
                    "Invalid spplrNm. Expected: {expected}, But Found: {found}"
                )));
            }
        }
        let at = self.change_stamp();
        self.device(key)
            .purchases
            .insert(r.invc_no, Stamped::new(at, body.to_owned()));
        Ok(Answer::saved())
    }

    pub(crate) fn stock_moves(
        &mut self,
        profile: Profile,
        key: &DeviceKey,
        body: &str,
    ) -> Result<Answer, Answer> {
        let (request, after) = Self::list_request(body)?;
        body_tin(profile, request.tin.as_ref())?;
        let moves: Vec<_> = self.device(key).stock_ios.values().cloned().collect();
        let list = changed_after(&moves, after);
        Ok(non_empty(list, |stock_list| StockMoveData { stock_list }))
    }

    pub(crate) fn save_stock_io(
        &mut self,
        profile: Profile,
        key: &DeviceKey,
        body: &str,
    ) -> Result<Answer, Answer> {
        let r: StockIoRequest = parse(body)?;
        required(&[
            ("regTyCd", &r.reg_ty_cd),
            ("sarTyCd", &r.sar_ty_cd),
            ("ocrnDt", &r.ocrn_dt),
            ("regrId", &r.regr_id),
            ("regrNm", &r.regr_nm),
            ("modrId", &r.modr_id),
            ("modrNm", &r.modr_nm),
        ])?;
        if r.sar_no == 0 {
            return Err(Answer::invalid("sarNo must be a whole number from 1"));
        }
        let strict = profile == Profile::Integrator;
        let device = &self.devices[key];
        if device.stock_ios.contains_key(&r.sar_no) {
            return Err(Answer::duplicate());
        }
        if strict || self.settings.strict_legacy {
            let expected = device.stock_ios.keys().next_back().map_or(1, |n| n + 1);
            if r.sar_no != expected {
                return Err(Answer::invalid(format!(
                    "Invalid sarNo: Expected: {expected} but found: {}",
                    r.sar_no
                )));
            }
        }
        let Some(incoming) = is_stock_in(&r.sar_ty_cd) else {
            return Err(Answer::invalid(format!(
                "Invalid sarTyCd: {:?} is not a code of class 12",
                r.sar_ty_cd
            )));
        };
        if parse_day(&r.ocrn_dt).is_none() {
            return Err(Answer::invalid(format!(
                "Invalid ocrnDt {:?}: expected yyyyMMdd",
                r.ocrn_dt
            )));
        }
        if r.item_list.is_empty() {
            return Err(Answer::invalid("itemList cannot be empty or Null"));
        }
        let count = u32::try_from(r.item_list.len()).unwrap_or(u32::MAX);
        if r.tot_item_cnt != count {
            return Err(Answer::invalid(format!(
                "Invalid totItemCnt. Expected: {count}, But Found: {}",
                r.tot_item_cnt
            )));
        }
        let items = &self.taxpayers[&key.0].items;
        let (mut taxbl, mut tax, mut tot) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
        for (line, seq) in r.item_list.iter().zip(1u32..) {
            if line.item_seq != seq {
                return Err(Answer::invalid(format!(
                    "Invalid itemSeq on item: {seq}. Expected: {seq}, But Found: {}",
                    line.item_seq
                )));
            }
            if line.qty <= Decimal::ZERO {
                return Err(Answer::invalid(format!(
                    "Invalid qty on item: {seq}. It must be greater than 0"
                )));
            }
            if strict && !items.contains_key(&line.item_cd) {
                return Err(Answer::invalid(format!(
                    "itemCd {} on item: {seq} is not registered: register it with saveItem first",
                    line.item_cd
                )));
            }
            if line.tot_amt != line.taxbl_amt + line.tax_amt {
                return Err(Answer::invalid(format!(
                    "Invalid totAmt on item: {seq}. Expected: {:.2}, But Found: {:.2}",
                    line.taxbl_amt + line.tax_amt,
                    line.tot_amt
                )));
            }
            taxbl += line.taxbl_amt;
            tax += line.tax_amt;
            tot += line.tot_amt;
        }
        for (name, expected, found) in [
            ("totTaxblAmt", taxbl, r.tot_taxbl_amt),
            ("totTaxAmt", tax, r.tot_tax_amt),
            ("totAmt", tot, r.tot_amt),
        ] {
            if expected != found {
                return Err(Answer::invalid(format!(
                    "Invalid {name}. Expected: {expected:.2}, But Found: {found:.2}"
                )));
            }
        }
        let at = self.change_stamp();
        let record: StockMove = parse(body)?;
        let device = self.device(key);
        for line in &r.item_list {
            let balance = device.stock.entry(line.item_cd.clone()).or_default();
            if incoming {
                *balance += line.qty;
            } else {
                *balance -= line.qty;
            }
        }
        device.stock_ios.insert(r.sar_no, Stamped::new(at, record));
        Ok(Answer::saved())
    }

    pub(crate) fn save_stock_master(
        &mut self,
        profile: Profile,
        key: &DeviceKey,
        body: &str,
    ) -> Result<Answer, Answer> {
        let r: StockMasterRequest = parse(body)?;
        required(&[
            ("itemCd", &r.item_cd),
            ("regrId", &r.regr_id),
            ("regrNm", &r.regr_nm),
            ("modrId", &r.modr_id),
            ("modrNm", &r.modr_nm),
        ])?;
        let device = self.device(key);
        let Some(ledger) = device.stock.get(&r.item_cd).copied() else {
            return Err(Answer::invalid(format!(
                "Stock IO is empty for itemCd {}: send its stock movement (insertStockIO) first",
                r.item_cd
            )));
        };
        if profile == Profile::Integrator && r.rsd_qty != ledger {
            return Err(Answer::invalid(format!(
                "Invalid rsdQty for itemCd {}. Expected: {ledger:.2}, But Found: {:.2}",
                r.item_cd, r.rsd_qty
            )));
        }
        device.stock_master.insert(r.item_cd, r.rsd_qty);
        Ok(Answer::saved())
    }
}
