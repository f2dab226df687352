//! What the sandbox's KRA keeps that has no behaviour of its own: the branch's users, insurers
//! and the customs declarations it stores (`masters` validates and answers them), and what every
//! new taxpayer finds waiting (two imported items, one supplier sale). Its own module so that
//! the registry (`kra`) and the endpoints (`masters`, `stock`) depend on it rather than on each
//! other.

use chrono::NaiveDateTime;
use hesabu_etims::types::LineItem;
use hesabu_etims::types::purchases::PurchaseSale;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::reference::Stamped;

/// `BhfUserSaveReq` (spec §4 row 8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BranchUser {
    pub user_id: String,
    pub user_nm: String,
    /// Kept only to prove it was sent; never listed back.
    #[serde(skip_serializing)]
    pub pwd: String,
    #[serde(default)]
    pub adrs: Option<String>,
    #[serde(default)]
    pub cntc: Option<String>,
    #[serde(default)]
    pub auth_cd: Option<String>,
    #[serde(default)]
    pub remark: Option<String>,
    pub use_yn: String,
    pub regr_id: String,
    pub regr_nm: String,
    pub modr_id: String,
    pub modr_nm: String,
}

/// An insurer as the sandbox keeps it (`BhfInsuranceSaveReq`, spec §4 row 9).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Insurance {
    pub isrcc_cd: String,
    pub isrcc_nm: String,
    #[serde(with = "hesabu_etims::amount")]
    pub isrc_rt: Decimal,
    pub use_yn: String,
    pub regr_id: String,
    pub regr_nm: String,
    pub modr_id: String,
    pub modr_nm: String,
}

/// An imported item waiting at customs (`selectImportItemList`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ImportItem {
    pub task_cd: String,
    pub dcl_de: String,
    pub item_seq: u32,
    pub dcl_no: String,
    pub hs_cd: String,
    pub item_nm: String,
    /// Class 26: `2` waiting, `3` approved, `4` cancelled.
    pub impt_item_stts_cd: String,
    pub orgn_nat_cd: String,
    pub expt_nat_cd: String,
    #[serde(with = "hesabu_etims::amount")]
    pub pkg: Decimal,
    pub pkg_unit_cd: String,
    #[serde(with = "hesabu_etims::amount")]
    pub qty: Decimal,
    pub qty_unit_cd: String,
    #[serde(with = "hesabu_etims::amount")]
    pub tot_wt: Decimal,
    #[serde(with = "hesabu_etims::amount")]
    pub net_wt: Decimal,
    pub spplr_nm: String,
    pub agnt_nm: String,
    #[serde(with = "hesabu_etims::amount")]
    pub invc_fcur_amt: Decimal,
    pub invc_fcur_cd: String,
    #[serde(with = "hesabu_etims::amount")]
    pub invc_fcur_excrt: Decimal,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_cls_cd: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_cd: Option<String>,
}

/// Two customs declarations per new device, waiting for the taxpayer's decision.
pub(crate) fn seeded_imports(at: NaiveDateTime) -> Vec<Stamped<ImportItem>> {
    let item = |seq: u32, hs: &str, name: &str, qty: i64, amount: i64| ImportItem {
        task_cd: "2231943".to_owned(),
        dcl_de: "20240101".to_owned(),
        item_seq: seq,
        dcl_no: "C3460-2019-TZDL".to_owned(),
        hs_cd: hs.to_owned(),
        item_nm: name.to_owned(),
        impt_item_stts_cd: "2".to_owned(),
        orgn_nat_cd: "CN".to_owned(),
        expt_nat_cd: "CN".to_owned(),
        pkg: Decimal::from(qty),
        pkg_unit_cd: "CT".to_owned(),
        qty: Decimal::from(qty),
        qty_unit_cd: "NO".to_owned(),
        tot_wt: Decimal::from(qty * 2),
        net_wt: Decimal::from(qty * 2),
        spplr_nm: "Shenzhen Office Supply Co".to_owned(),
        agnt_nm: "Mombasa Clearing Agents".to_owned(),
        invc_fcur_amt: Decimal::from(amount),
        invc_fcur_cd: "USD".to_owned(),
        invc_fcur_excrt: Decimal::new(12950, 2),
        item_cls_cd: None,
        item_cd: None,
    };
    vec![
        Stamped::new(at, item(1, "8471300000", "Laptop computers", 10, 4500)),
        Stamped::new(at, item(2, "4820100000", "Notebooks", 200, 300)),
    ]
}

/// The supplier sale every taxpayer finds in its purchases list.
pub(crate) fn seeded_supplier_sale(_buyer: &str) -> PurchaseSale {
    let amount = |v: i64| Some(Decimal::from(v));
    let zero = Some(Decimal::ZERO);
    PurchaseSale {
        spplr_tin: Some("P052223334R".to_owned()),
        spplr_nm: Some("Mombasa Wholesale Supplies Ltd".to_owned()),
        spplr_bhf_id: Some("00".to_owned()),
        spplr_invc_no: Some(1041),
        spplr_sdc_id: Some("KRACU0100000777".to_owned()),
        spplr_mrc_no: Some("WIS01000777".to_owned()),
        rcpt_ty_cd: Some("S".to_owned()),
        pmt_ty_cd: Some("01".to_owned()),
        cfm_dt: Some("2024-01-01 09:30:00".to_owned()),
        sales_dt: Some("20240101".to_owned()),
        stock_rls_dt: Some("2024-01-01 09:30:00".to_owned()),
        tot_item_cnt: Some(1),
        taxbl_amt_a: zero,
        taxbl_amt_b: amount(1000),
        taxbl_amt_c: zero,
        taxbl_amt_d: zero,
        taxbl_amt_e: zero,
        tax_rt_a: zero,
        tax_rt_b: amount(16),
        tax_rt_c: zero,
        tax_rt_d: zero,
        tax_rt_e: zero,
        tax_amt_a: zero,
        tax_amt_b: amount(160),
        tax_amt_c: zero,
        tax_amt_d: zero,
        tax_amt_e: zero,
        tot_taxbl_amt: amount(1000),
        tot_tax_amt: amount(160),
        tot_amt: amount(1160),
        remark: None,
        item_list: vec![LineItem {
            item_seq: Some(1),
            item_cd: Some("KE2NTBA0000012".to_owned()),
            item_cls_cd: Some("44121600".to_owned()),
            item_nm: Some("A4 paper, 80 gsm".to_owned()),
            pkg_unit_cd: Some("NT".to_owned()),
            pkg: amount(10),
            qty_unit_cd: Some("BA".to_owned()),
            qty: amount(10),
            // The supplier's price with VAT (the integrator's inclusive basis, spec §12.1):
            // 10 × 116 = 1160, of which 1000 taxable and 160 VAT, as the band totals say.
            prc: amount(116),
            sply_amt: amount(1160),
            dc_rt: zero,
            dc_amt: zero,
            tax_ty_cd: Some("B".to_owned()),
            taxbl_amt: amount(1000),
            tax_amt: amount(160),
            tot_amt: amount(1160),
            ..LineItem::default()
        }],
    }
}
