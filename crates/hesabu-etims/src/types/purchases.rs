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
