//! Sales and credit notes (spec §5): validation, signing, the invoice lookup and the sales list.
//!
//! What is checked, in order (a simplification of KRA, whose order is not documented):
//! required fields; a number already used answers `994` (both gateways, spec §11.2); on the
//! integrator (or a strict legacy sandbox) `invcNo` must be the next one ("Invalid invcNo
//! sequence, expected: N but found: M"), while legacy accepts any unused number (Odoo's live
//! tests seeded it from the clock); codes and dates; line arithmetic (integrator: the inclusive
//! price basis of spec §12.1, with a discount taken off the gross before VAT is split out, which
//! the spec leaves undocumented; strict legacy: the exclusive basis); band totals recomputed from
//! the lines and compared (both gateways); the integrator's band-rate rule (§12.2); credit-note
//! rules (§5.6); on the integrator, items registered and goods in stock (§7.4).
//!
//! The sandbox's arithmetic is its own, deliberately not shared with the app's tax module: a
//! test double that reused the code under test would agree with its bugs.

use hesabu_etims::types::purchases::PurchaseSale;
use hesabu_etims::types::sales::{
    InvoiceDetail, InvoiceDetailsData, InvoiceDetailsRequest, RECEIPT_CREDIT_NOTE, RECEIPT_SALE,
    SaveSaleData, SaveSaleRequest,
};
use rust_decimal::{Decimal, RoundingStrategy};

use crate::clock::{compact, dashed};
use crate::kra::{
    Answer, DeviceKey, Kra, StoredSale, parse, parse_compact, parse_day, required, valid_pin,
};
use crate::reference::{Reference, Stamped};
use crate::{Profile, SignedSale, sign};

pub(crate) const BANDS: [&str; 5] = ["A", "B", "C", "D", "E"];

/// Half-up (away from zero) to 2 decimals (spec §12.3).
pub(crate) fn round2(value: Decimal) -> Decimal {
    value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

fn mismatch(what: &str, expected: Decimal, found: Decimal) -> String {
    format!("Invalid {what}. Expected: {expected:.2}, But Found: {found:.2}")
}

/// The amounts of one line, whatever document it is on.
#[derive(Debug, Clone)]
pub(crate) struct Line {
    pub seq: u32,
    pub tax_ty_cd: String,
    pub taxbl: Decimal,
    pub tax: Decimal,
    pub tot: Decimal,
}

/// A document's header amounts, bands in `A`–`E` order.
#[derive(Debug, Clone)]
pub(crate) struct Totals {
    pub item_cnt: u32,
    pub taxbl: [Decimal; 5],
    pub rate: [Decimal; 5],
    pub tax: [Decimal; 5],
    pub tot_taxbl: Decimal,
    pub tot_tax: Decimal,
    pub tot: Decimal,
}

/// Recomputes the header from the lines and compares (both gateways); with `strict_rates` also
/// the integrator's band-rate rule: a band with lines carries the code-list rate, an unused band
/// 0 (band B's 16 was seen accepted unused, spec §12.2, so it is allowed too).
pub(crate) fn check_totals(
    reference: &Reference,
    lines: &[Line],
    totals: &Totals,
    strict_rates: bool,
) -> Result<(), String> {
    if lines.is_empty() {
        return Err("itemList cannot be empty or Null".to_owned());
    }
    let count = u32::try_from(lines.len()).unwrap_or(u32::MAX);
    if totals.item_cnt != count {
        return Err(format!(
            "Invalid totItemCnt. Expected: {count}, But Found: {}",
            totals.item_cnt
        ));
    }
    let mut taxbl = [Decimal::ZERO; 5];
    let mut tax = [Decimal::ZERO; 5];
    let mut used = [false; 5];
    for (line, expected_seq) in lines.iter().zip(1u32..) {
        if line.seq != expected_seq {
            return Err(format!(
                "Invalid itemSeq on item: {expected_seq}. Expected: {expected_seq}, But Found: {}",
                line.seq
            ));
        }
        let Some(band) = BANDS.iter().position(|b| *b == line.tax_ty_cd) else {
            return Err(format!(
                "Invalid taxTyCd on item: {}: {:?} is not a tax type (A-E)",
                line.seq, line.tax_ty_cd
            ));
        };
        if line.tot != line.taxbl + line.tax {
            return Err(mismatch(
                &format!("totAmt on item: {}", line.seq),
                line.taxbl + line.tax,
                line.tot,
            ));
        }
        taxbl[band] += line.taxbl;
        tax[band] += line.tax;
        used[band] = true;
    }
    for (i, band) in BANDS.iter().enumerate() {
        if totals.taxbl[i] != taxbl[i] {
            return Err(mismatch(
                &format!("taxblAmt{band}"),
                taxbl[i],
                totals.taxbl[i],
            ));
        }
        if totals.tax[i] != tax[i] {
            return Err(mismatch(&format!("taxAmt{band}"), tax[i], totals.tax[i]));
        }
        if strict_rates {
            let rate = reference.tax_rate(band).unwrap_or_default();
            let found = totals.rate[i];
            let ok = if used[i] {
                found == rate
            } else {
                found.is_zero() || (*band == "B" && found == rate)
            };
            if !ok {
                let expected = if used[i] { rate } else { Decimal::ZERO };
                return Err(format!(
                    "Rule taxRt{band} failed: Tax rate mismatch. Expected: {expected:.2}, Found: {}",
                    found.normalize()
                ));
            }
        }
    }
    let tot_taxbl: Decimal = taxbl.iter().sum();
    let tot_tax: Decimal = tax.iter().sum();
    if totals.tot_taxbl != tot_taxbl {
        return Err(mismatch("totTaxblAmt", tot_taxbl, totals.tot_taxbl));
    }
    if totals.tot_tax != tot_tax {
        return Err(mismatch("totTaxAmt", tot_tax, totals.tot_tax));
    }
    if totals.tot != tot_taxbl + tot_tax {
        return Err(mismatch("totAmt", tot_taxbl + tot_tax, totals.tot));
    }
    Ok(())
}

/// The price basis a line's arithmetic is checked on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Basis {
    /// `prc` includes VAT; VAT is split out of the gross (integrator).
    Inclusive,
    /// `prc` excludes VAT; VAT is added on the net (legacy peers).
    Exclusive,
}

/// The amounts of one line that its own arithmetic relates.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LineMaths {
    pub qty: Decimal,
    pub prc: Decimal,
    pub sply: Decimal,
    pub dc_rt: Decimal,
    pub dc: Decimal,
    pub taxbl: Decimal,
    pub tax: Decimal,
}

/// One line's own arithmetic (spec §12.1). `dcAmt` is taken off before VAT on both bases.
pub(crate) fn check_line(
    basis: Basis,
    seq: u32,
    rate: Decimal,
    m: LineMaths,
) -> Result<(), String> {
    let LineMaths {
        qty,
        prc,
        sply,
        dc_rt,
        dc,
        taxbl,
        tax,
    } = m;
    let on = |field: &str| format!("{field} on item: {seq}");
    if qty <= Decimal::ZERO {
        return Err(format!(
            "Invalid qty on item: {seq}. It must be greater than 0"
        ));
    }
    let expected_sply = round2(qty * prc);
    if sply != expected_sply {
        return Err(mismatch(&on("splyAmt"), expected_sply, sply));
    }
    let expected_dc = round2(sply * dc_rt / Decimal::ONE_HUNDRED);
    if dc != expected_dc {
        return Err(mismatch(&on("dcAmt"), expected_dc, dc));
    }
    let (expected_taxbl, expected_tax) = match basis {
        Basis::Inclusive => {
            let gross = sply - dc;
            let net = round2(gross * Decimal::ONE_HUNDRED / (Decimal::ONE_HUNDRED + rate));
            (net, gross - net)
        }
        Basis::Exclusive => {
            let net = sply - dc;
            (net, round2(net * rate / Decimal::ONE_HUNDRED))
        }
    };
    if taxbl != expected_taxbl {
        return Err(mismatch(&on("taxblAmt"), expected_taxbl, taxbl));
    }
    if tax != expected_tax {
        return Err(mismatch(&on("taxAmt"), expected_tax, tax));
    }
    Ok(())
}

fn totals_of(r: &SaveSaleRequest) -> Totals {
    Totals {
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
    }
}

fn pin_of(pin: &Option<String>) -> &str {
    pin.as_deref().map(str::trim).unwrap_or("")
}

impl Kra {
    pub(crate) fn save_sale(
        &mut self,
        profile: Profile,
        key: &DeviceKey,
        body: &str,
    ) -> Result<Answer, Answer> {
        let r: SaveSaleRequest = parse(body)?;
        required(&[
            ("trdInvcNo", &r.trd_invc_no),
            ("rcptTyCd", &r.rcpt_ty_cd),
            ("salesSttsCd", &r.sales_stts_cd),
            ("cfmDt", &r.cfm_dt),
            ("salesDt", &r.sales_dt),
            ("prchrAcptcYn", &r.prchr_acptc_yn),
            ("regrId", &r.regr_id),
            ("regrNm", &r.regr_nm),
            ("modrId", &r.modr_id),
            ("modrNm", &r.modr_nm),
            ("rcptPbctDt", &r.receipt.rcpt_pbct_dt),
        ])?;
        if r.invc_no == 0 {
            return Err(Answer::invalid("invcNo must be a whole number from 1"));
        }
        let strict = profile == Profile::Integrator;
        let device = &self.devices[key];
        if device.sales.contains_key(&r.invc_no) {
            return Err(Answer::duplicate());
        }
        if strict || self.settings.strict_legacy {
            let expected = device.next_invc_no();
            if r.invc_no != expected {
                return Err(Answer::invalid(format!(
                    "Invalid invcNo sequence, expected: {expected} but found: {}",
                    r.invc_no
                )));
            }
        }
        self.check_sale_fields(profile, &r)
            .map_err(Answer::invalid)?;
        let basis = if strict {
            Some(Basis::Inclusive)
        } else if self.settings.strict_legacy {
            Some(Basis::Exclusive)
        } else {
            None
        };
        if let Some(basis) = basis {
            for line in &r.item_list {
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
                check_line(basis, line.item_seq, rate, maths).map_err(Answer::invalid)?;
            }
        }
        let lines: Vec<Line> = r
            .item_list
            .iter()
            .map(|l| Line {
                seq: l.item_seq,
                tax_ty_cd: l.tax_ty_cd.clone(),
                taxbl: l.taxbl_amt,
                tax: l.tax_amt,
                tot: l.tot_amt,
            })
            .collect();
        check_totals(&self.reference, &lines, &totals_of(&r), strict).map_err(Answer::invalid)?;
        match r.rcpt_ty_cd.as_str() {
            RECEIPT_SALE if r.org_invc_no != 0 => {
                return Err(Answer::invalid(
                    "orgInvcNo must be 0 on a sale (rcptTyCd S)",
                ));
            }
            RECEIPT_SALE => {}
            RECEIPT_CREDIT_NOTE => self.check_credit_note(profile, key, &r)?,
            other => {
                return Err(Answer::invalid(format!(
                    "Invalid rcptTyCd {other:?}: S (sale) or R (credit note)"
                )));
            }
        }
        if strict {
            self.check_items_and_stock(key, &r)?;
        }
        Ok(self.sign(key, r, body))
    }

    /// Codes, dates and line texts.
    fn check_sale_fields(&self, profile: Profile, r: &SaveSaleRequest) -> Result<(), String> {
        let code = |cls: &str, field: &str, value: &str| {
            if self.reference.has_code(cls, value) {
                Ok(())
            } else {
                Err(format!(
                    "Invalid {field}: {value:?} is not a code of class {cls}"
                ))
            }
        };
        code("11", "salesSttsCd", &r.sales_stts_cd)?;
        if let Some(pmt) = r.pmt_ty_cd.as_deref().filter(|p| !p.is_empty()) {
            code("07", "pmtTyCd", pmt)?;
        }
        if let Some(ty) = r.sales_ty_cd.as_deref() {
            code("14", "salesTyCd", ty)?;
        }
        for (field, value) in [
            ("cfmDt", Some(&r.cfm_dt)),
            ("rcptPbctDt", Some(&r.receipt.rcpt_pbct_dt)),
            ("rfdDt", r.rfd_dt.as_ref()),
            ("stockRlsDt", r.stock_rls_dt.as_ref()),
        ] {
            if let Some(value) = value
                && parse_compact(value).is_none()
            {
                return Err(format!(
                    "Invalid {field} {value:?}: expected yyyyMMddHHmmss"
                ));
            }
        }
        if parse_day(&r.sales_dt).is_none() {
            return Err(format!(
                "Invalid salesDt {:?}: expected yyyyMMdd",
                r.sales_dt
            ));
        }
        let pin = pin_of(&r.cust_tin);
        if !pin.is_empty() && !valid_pin(pin) {
            return Err(format!(
                "Invalid custTin {pin:?}: a KRA PIN is a letter, nine digits and a letter"
            ));
        }
        for line in &r.item_list {
            let seq = line.item_seq;
            for (field, value) in [
                ("itemNm", &line.item_nm),
                ("itemClsCd", &line.item_cls_cd),
                ("pkgUnitCd", &line.pkg_unit_cd),
                ("qtyUnitCd", &line.qty_unit_cd),
                ("taxTyCd", &line.tax_ty_cd),
            ] {
                if value.trim().is_empty() {
                    return Err(format!("{field} on item: {seq} cannot be empty or Null"));
                }
            }
            code(
                "17",
                &format!("pkgUnitCd on item: {seq}"),
                &line.pkg_unit_cd,
            )?;
            code(
                "10",
                &format!("qtyUnitCd on item: {seq}"),
                &line.qty_unit_cd,
            )?;
            if profile == Profile::Integrator {
                if line.item_cd.trim().is_empty() {
                    return Err(format!("itemCd on item: {seq} cannot be empty or Null"));
                }
                if line.pkg < Decimal::ONE {
                    return Err(format!(
                        "Invalid pkg on item: {seq}. Expected at least: 1.00, But Found: {:.2}",
                        line.pkg
                    ));
                }
            }
        }
        Ok(())
    }

    /// Spec §5.6: the original exists and is a sale, a reason, the same customer PIN, only its
    /// items, and all credit notes together no more than it.
    fn check_credit_note(
        &self,
        profile: Profile,
        key: &DeviceKey,
        r: &SaveSaleRequest,
    ) -> Result<(), Answer> {
        match r.rfd_rsn_cd.as_deref() {
            Some(reason) if self.reference.has_code("32", reason) => {}
            _ => return Err(Answer::invalid("Invalid RfdRsnCd")),
        }
        if profile == Profile::Integrator && r.rfd_dt.as_deref().is_none_or(str::is_empty) {
            return Err(Answer::invalid("Missing RfdDt Date"));
        }
        let device = &self.devices[key];
        let original = device
            .sales
            .get(&r.org_invc_no)
            .filter(|s| s.request.rcpt_ty_cd == RECEIPT_SALE)
            .ok_or_else(|| Answer::invalid("orgInvcNo does not exist"))?;
        let (ours, theirs) = (pin_of(&r.cust_tin), pin_of(&original.request.cust_tin));
        if ours != theirs {
            return Err(Answer::invalid(format!(
                "custTin {ours:?} does not match the customer PIN {theirs:?} of the original \
                 invoice {}",
                r.org_invc_no
            )));
        }
        for line in &r.item_list {
            if !original
                .request
                .item_list
                .iter()
                .any(|o| o.item_cd == line.item_cd)
            {
                return Err(Answer::invalid(format!(
                    "itemCd {} on item: {} is not on the original invoice {}",
                    line.item_cd, line.item_seq, r.org_invc_no
                )));
            }
        }
        let credited: Decimal = device
            .sales
            .values()
            .filter(|s| {
                s.request.rcpt_ty_cd == RECEIPT_CREDIT_NOTE
                    && s.request.org_invc_no == r.org_invc_no
            })
            .map(|s| s.request.tot_amt)
            .sum();
        let room = original.request.tot_amt - credited;
        if r.tot_amt > room {
            return Err(Answer::invalid(format!(
                "The credit notes exceed the original invoice {}. Expected at most: {room:.2}, \
                 But Found: {:.2}",
                r.org_invc_no, r.tot_amt
            )));
        }
        Ok(())
    }

    /// Integrator: every item registered; goods need stock at KRA (spec §7.4).
    fn check_items_and_stock(&self, key: &DeviceKey, r: &SaveSaleRequest) -> Result<(), Answer> {
        let taxpayer = &self.taxpayers[&key.0];
        let device = &self.devices[key];
        for line in &r.item_list {
            let Some(item) = taxpayer.items.get(&line.item_cd) else {
                return Err(Answer::invalid(format!(
                    "itemCd {} on item: {} is not registered: register it with saveItem first",
                    line.item_cd, line.item_seq
                )));
            };
            let goods = matches!(item.value.item_ty_cd.as_deref(), Some("1" | "2"));
            if goods && !device.stock.contains_key(&line.item_cd) {
                return Err(Answer::invalid(
                    "Items provided under the itemList section do not exist in your stock. \
                     Consider adding them under Stock Information Management package",
                ));
            }
        }
        Ok(())
    }

    /// Counts, signs and stores an accepted sale or credit note.
    fn sign(&mut self, key: &DeviceKey, r: SaveSaleRequest, body: &str) -> Answer {
        let now = self.now();
        let listed_at = self.change_stamp();
        let seed = self.settings.seed;
        let device = self.devices.get_mut(key).expect("an authenticated device");
        let cur = device.cur_rcpt.entry(r.rcpt_ty_cd.clone()).or_insert(0);
        *cur += 1;
        let cur_rcpt_no = *cur;
        device.tot_rcpt += 1;
        let tot_rcpt_no = device.tot_rcpt;
        let sdc_date_time = compact(now);
        let (invc, cur_s, tot_s, amount) = (
            r.invc_no.to_string(),
            cur_rcpt_no.to_string(),
            tot_rcpt_no.to_string(),
            r.tot_amt.normalize().to_string(),
        );
        let parts = [
            key.0.as_str(),
            &key.1,
            &invc,
            &r.rcpt_ty_cd,
            &cur_s,
            &tot_s,
            &amount,
            &sdc_date_time,
        ];
        let signature = SaveSaleData {
            cur_rcpt_no,
            tot_rcpt_no,
            intrl_data: sign::base32(seed, &[&["intrlData"][..], &parts[..]].concat(), 26),
            rcpt_sign: sign::base32(seed, &[&["rcptSign"][..], &parts[..]].concat(), 16),
            sdc_date_time,
        };
        let (sdc_id, mrc_no) = (device.info.sdc_id.clone(), device.info.mrc_no.clone());
        device.sales.insert(
            r.invc_no,
            StoredSale {
                request: r.clone(),
                body: body.to_owned(),
                signature: signature.clone(),
                signed_at: now,
                listed_at,
            },
        );
        self.signed.push(SignedSale {
            tin: key.0.clone(),
            bhf_id: key.1.clone(),
            invc_no: r.invc_no,
            rcpt_ty_cd: r.rcpt_ty_cd.clone(),
            org_invc_no: r.org_invc_no,
            trd_invc_no: r.trd_invc_no.clone(),
            signature: signature.clone(),
            request_json: body.to_owned(),
        });
        // A sale to another taxpayer of the sandbox shows in that taxpayer's purchases list.
        let buyer = pin_of(&r.cust_tin).to_owned();
        if r.rcpt_ty_cd == RECEIPT_SALE && buyer != key.0 && self.taxpayers.contains_key(&buyer) {
            let seller = self.taxpayers[&key.0].name.clone();
            if let Ok(mut purchase) = serde_json::from_str::<PurchaseSale>(body) {
                purchase.spplr_tin = Some(key.0.clone());
                purchase.spplr_nm = Some(seller);
                purchase.spplr_bhf_id = Some(key.1.clone());
                purchase.spplr_invc_no = Some(r.invc_no);
                purchase.spplr_sdc_id = sdc_id;
                purchase.spplr_mrc_no = mrc_no;
                purchase.cfm_dt =
                    parse_compact(&r.cfm_dt).map(|at| at.format("%Y-%m-%d %H:%M:%S").to_string());
                self.taxpayer(&buyer)
                    .incoming
                    .push(Stamped::new(listed_at, purchase));
            }
        }
        Answer::ok(&signature)
    }

    pub(crate) fn invoice_details(
        &mut self,
        key: &DeviceKey,
        body: &str,
    ) -> Result<Answer, Answer> {
        let r: InvoiceDetailsRequest = parse(body)?;
        Ok(match self.device(key).sales.get(&r.invc_no) {
            Some(sale) => Answer::ok(&InvoiceDetailsData {
                sales_list: vec![detail(sale)],
            }),
            None => Answer::empty(),
        })
    }

    /// Our signed sales and credit notes after `lastReqDt` (spec §4 row 17).
    pub(crate) fn sales_list(&mut self, key: &DeviceKey, body: &str) -> Result<Answer, Answer> {
        let (_, after) = Self::list_request(body)?;
        let list: Vec<InvoiceDetail> = self
            .device(key)
            .sales
            .values()
            .filter(|s| s.listed_at > after)
            .map(detail)
            .collect();
        Ok(crate::kra::non_empty(list, |sales_list| {
            InvoiceDetailsData { sales_list }
        }))
    }
}

/// A stored sale as `selectInvoiceDetails` answers it: the request's fields, with the signature
/// in `receipt` and `sdcDateTime` as `yyyy-MM-dd HH:mm:ss.S` (spec §5.7).
fn detail(sale: &StoredSale) -> InvoiceDetail {
    let mut detail: InvoiceDetail = serde_json::from_str(&sale.body).unwrap_or_default();
    let receipt = detail.receipt.get_or_insert_default();
    receipt.cur_rcpt_no = Some(sale.signature.cur_rcpt_no);
    receipt.tot_rcpt_no = Some(sale.signature.tot_rcpt_no);
    receipt.intrl_data = Some(sale.signature.intrl_data.clone());
    receipt.rcpt_sign = Some(sale.signature.rcpt_sign.clone());
    receipt.sdc_date_time = Some(dashed(sale.signed_at));
    detail
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    /// `[qty, prc, sply, dc_rt, dc, taxbl, tax]`.
    fn m(v: [&str; 7]) -> LineMaths {
        LineMaths {
            qty: d(v[0]),
            prc: d(v[1]),
            sply: d(v[2]),
            dc_rt: d(v[3]),
            dc: d(v[4]),
            taxbl: d(v[5]),
            tax: d(v[6]),
        }
    }

    #[test]
    fn line_arithmetic_on_both_bases() {
        // Spec §12.1's examples.
        let sixteen = Decimal::from(16);
        assert_eq!(
            check_line(
                Basis::Inclusive,
                1,
                sixteen,
                m(["1", "100", "100", "0", "0", "86.21", "13.79"])
            ),
            Ok(())
        );
        assert_eq!(
            check_line(
                Basis::Inclusive,
                1,
                sixteen,
                m(["1", "100", "100", "0", "0", "100.00", "0"])
            ),
            Err("Invalid taxblAmt on item: 1. Expected: 86.21, But Found: 100.00".to_owned())
        );
        assert_eq!(
            check_line(
                Basis::Exclusive,
                1,
                sixteen,
                m(["1", "1", "1", "10", "0.1", "0.9", "0.14"])
            ),
            Ok(())
        );
        assert!(
            check_line(
                Basis::Exclusive,
                1,
                sixteen,
                m(["1", "1", "1", "10", "0.1", "0.9", "0.15"])
            )
            .unwrap_err()
            .starts_with("Invalid taxAmt on item: 1. Expected: 0.14")
        );
        assert_eq!(round2(d("0.145")), d("0.15"));
        assert_eq!(round2(d("-0.145")), d("-0.15"));
    }
}
