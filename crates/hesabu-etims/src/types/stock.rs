//! Stock: `insertStockIO` (integrator `/insert/stockIO`), `saveStockMaster`
//! (`/save/stockMaster`) and `selectStockMoveList` (`/selectStockMoveLists`), spec §10.
//! Goods need stock at KRA before they can be sold on the integrator gateway (spec §7.4).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::LineItem;
use crate::lenient;

/// `StockIOSaveReq`: one stock movement. Answer: `data: null`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StockIoRequest {
    /// Strictly incrementing from 1 per PIN on the integrator gateway.
    pub sar_no: u64,
    /// `0` when none (`null` crashes the integrator).
    pub org_sar_no: u64,
    /// `M` manual, `A` automatic.
    pub reg_ty_cd: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cust_tin: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cust_nm: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cust_bhf_id: Option<String>,
    /// Stock in/out type (code class 12).
    pub sar_ty_cd: String,
    /// `yyyyMMdd` (not 14 digits).
    pub ocrn_dt: String,
    pub tot_item_cnt: u32,
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
    pub item_list: Vec<StockIoItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StockIoItem {
    pub item_seq: u32,
    pub item_cd: String,
    pub item_cls_cd: String,
    pub item_nm: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bcd: Option<String>,
    pub pkg_unit_cd: String,
    #[serde(with = "crate::amount")]
    pub pkg: Decimal,
    pub qty_unit_cd: String,
    #[serde(with = "crate::amount")]
    pub qty: Decimal,
    /// `yyyyMMdd`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_expr_dt: Option<String>,
    #[serde(with = "crate::amount")]
    pub prc: Decimal,
    #[serde(with = "crate::amount")]
    pub sply_amt: Decimal,
    #[serde(with = "crate::amount")]
    pub tot_dc_amt: Decimal,
    #[serde(with = "crate::amount")]
    pub taxbl_amt: Decimal,
    pub tax_ty_cd: String,
    #[serde(with = "crate::amount")]
    pub tax_amt: Decimal,
    #[serde(with = "crate::amount")]
    pub tot_amt: Decimal,
}

/// `StockMasterSaveReq`: the remaining quantity of one item, after its stock movement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StockMasterRequest {
    pub item_cd: String,
    #[serde(with = "crate::amount")]
    pub rsd_qty: Decimal,
    pub regr_id: String,
    pub regr_nm: String,
    pub modr_id: String,
    pub modr_nm: String,
}

/// `data` of `selectStockMoveList`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StockMoveData {
    #[serde(default)]
    pub stock_list: Vec<StockMove>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StockMove {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub cust_tin: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub cust_bhf_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub sar_no: Option<u64>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub ocrn_dt: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    pub tot_item_cnt: Option<u32>,
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
