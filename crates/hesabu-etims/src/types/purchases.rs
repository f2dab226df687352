//! Purchases: the sales suppliers declared against our PIN, `selectTrnsPurchaseSalesList`
//! (integrator `/getPurchaseTransactionInfo`), spec §10.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::LineItem;
use crate::lenient;

/// `data` of the purchases list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PurchaseSalesData {
    #[serde(default)]
    pub sale_list: Vec<PurchaseSale>,
}

/// One supplier's sale to us. Confirming it (`insertTrnsPurchase`) copies the `spplr*` fields
/// verbatim.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PurchaseSale {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub spplr_tin: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub spplr_nm: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub spplr_bhf_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub spplr_invc_no: Option<u64>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub spplr_sdc_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub spplr_mrc_no: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub rcpt_ty_cd: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub pmt_ty_cd: Option<String>,
    /// `yyyy-MM-dd HH:mm:ss` in this list.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub cfm_dt: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub sales_dt: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub stock_rls_dt: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    pub tot_item_cnt: Option<u32>,
    #[serde(default, with = "crate::amount::option")]
    pub taxbl_amt_a: Option<Decimal>,
    #[serde(default, with = "crate::amount::option")]
    pub taxbl_amt_b: Option<Decimal>,
    #[serde(default, with = "crate::amount::option")]
    pub taxbl_amt_c: Option<Decimal>,
    #[serde(default, with = "crate::amount::option")]
    pub taxbl_amt_d: Option<Decimal>,
    #[serde(default, with = "crate::amount::option")]
    pub taxbl_amt_e: Option<Decimal>,
    #[serde(default, with = "crate::amount::option")]
    pub tax_rt_a: Option<Decimal>,
    #[serde(default, with = "crate::amount::option")]
    pub tax_rt_b: Option<Decimal>,
    #[serde(default, with = "crate::amount::option")]
    pub tax_rt_c: Option<Decimal>,
    #[serde(default, with = "crate::amount::option")]
    pub tax_rt_d: Option<Decimal>,
    #[serde(default, with = "crate::amount::option")]
    pub tax_rt_e: Option<Decimal>,
    #[serde(default, with = "crate::amount::option")]
    pub tax_amt_a: Option<Decimal>,
    #[serde(default, with = "crate::amount::option")]
    pub tax_amt_b: Option<Decimal>,
    #[serde(default, with = "crate::amount::option")]
    pub tax_amt_c: Option<Decimal>,
    #[serde(default, with = "crate::amount::option")]
    pub tax_amt_d: Option<Decimal>,
    #[serde(default, with = "crate::amount::option")]
    pub tax_amt_e: Option<Decimal>,
    #[serde(default, with = "crate::amount::option")]
    pub tot_taxbl_amt: Option<Decimal>,
    #[serde(default, with = "crate::amount::option")]
    pub tot_tax_amt: Option<Decimal>,
    #[serde(default, with = "crate::amount::option")]
    pub tot_amt: Option<Decimal>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub remark: Option<String>,
    #[serde(default)]
    pub item_list: Vec<LineItem>,
}

/// `insertTrnsPurchase` (integrator `/sendPurchaseTransactionInfo`), `TrnsPurchaseSaveReq`:
/// our answer to a supplier's sale (spec §10). `invcNo` is the device's **purchase** counter,
/// separate from the sales one (spec §11.3). The `spplr*` fields are copied verbatim from the
/// supplier's sale (the integrator compares `spplrNm` exactly). Answer `data: null`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrnsPurchaseSaveReq {
    /// Our sequential purchase number for this device, from 1.
    pub invc_no: u64,
    /// `0`; the original purchase's `invcNo` for a purchase credit note.
    pub org_invc_no: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spplr_tin: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spplr_bhf_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spplr_nm: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spplr_invc_no: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spplr_sdc_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spplr_mrc_no: Option<String>,
    /// Class 31: `A` built from a fetched supplier sale, `M` entered by hand.
    pub reg_ty_cd: String,
    /// Class 14: `N` normal.
    pub pchs_ty_cd: String,
    /// Class 38: `P` purchase, `R` credit note after purchase.
    pub rcpt_ty_cd: String,
    /// Class 07.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pmt_ty_cd: Option<String>,
    /// Class 34: `02` approved, `04` cancelled (a rejected purchase).
    pub pchs_stts_cd: String,
    /// `yyyyMMddHHmmss`, Nairobi.
    pub cfm_dt: String,
    /// `yyyyMMdd`.
    pub pchs_dt: String,
    /// `yyyyMMddHHmmss`: when the goods entered the warehouse.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrhs_dt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cncl_req_dt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cncl_dt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rfd_dt: Option<String>,
    pub tot_item_cnt: u32,
    #[serde(with = "crate::amount")]
    pub taxbl_amt_a: Decimal,
    #[serde(with = "crate::amount")]
    pub taxbl_amt_b: Decimal,
    #[serde(with = "crate::amount")]
    pub taxbl_amt_c: Decimal,
    #[serde(with = "crate::amount")]
    pub taxbl_amt_d: Decimal,
    #[serde(with = "crate::amount")]
    pub taxbl_amt_e: Decimal,
    #[serde(with = "crate::amount")]
    pub tax_rt_a: Decimal,
    #[serde(with = "crate::amount")]
    pub tax_rt_b: Decimal,
    #[serde(with = "crate::amount")]
    pub tax_rt_c: Decimal,
    #[serde(with = "crate::amount")]
    pub tax_rt_d: Decimal,
    #[serde(with = "crate::amount")]
    pub tax_rt_e: Decimal,
    #[serde(with = "crate::amount")]
    pub tax_amt_a: Decimal,
    #[serde(with = "crate::amount")]
    pub tax_amt_b: Decimal,
    #[serde(with = "crate::amount")]
    pub tax_amt_c: Decimal,
    #[serde(with = "crate::amount")]
    pub tax_amt_d: Decimal,
    #[serde(with = "crate::amount")]
    pub tax_amt_e: Decimal,
    #[serde(with = "crate::amount")]
    pub tot_taxbl_amt: Decimal,
    #[serde(with = "crate::amount")]
    pub tot_tax_amt: Decimal,
    #[serde(with = "crate::amount")]
    pub tot_amt: Decimal,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    pub regr_id: String,
    pub regr_nm: String,
    pub modr_id: String,
    pub modr_nm: String,
    pub item_list: Vec<TrnsPurchaseSaveLine>,
}

impl TrnsPurchaseSaveReq {
    /// The exact JSON to freeze and send.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }

    /// Reads a stored request back, amounts exact.
    pub fn from_json(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }
}

/// One line of [`TrnsPurchaseSaveReq`]: our item (`itemCd`, `itemClsCd`, `itemNm`) next to the
/// supplier's (`spplrItem*`), the amounts as the supplier declared them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrnsPurchaseSaveLine {
    pub item_seq: u32,
    /// Our item's KRA item code (absent on a rejected purchase line nobody mapped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_cd: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_cls_cd: Option<String>,
    pub item_nm: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bcd: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spplr_item_cls_cd: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spplr_item_cd: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spplr_item_nm: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pkg_unit_cd: Option<String>,
    #[serde(with = "crate::amount")]
    pub pkg: Decimal,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qty_unit_cd: Option<String>,
    #[serde(with = "crate::amount")]
    pub qty: Decimal,
    #[serde(with = "crate::amount")]
    pub prc: Decimal,
    #[serde(with = "crate::amount")]
    pub sply_amt: Decimal,
    #[serde(with = "crate::amount")]
    pub dc_rt: Decimal,
    #[serde(with = "crate::amount")]
    pub dc_amt: Decimal,
    #[serde(with = "crate::amount")]
    pub taxbl_amt: Decimal,
    pub tax_ty_cd: String,
    #[serde(with = "crate::amount")]
    pub tax_amt: Decimal,
    #[serde(with = "crate::amount")]
    pub tot_amt: Decimal,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_expr_dt: Option<String>,
}
