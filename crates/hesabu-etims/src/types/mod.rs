//! Typed requests and responses, field for field as the spec names them (camelCase on the wire).
//!
//! Requests are what we build and send: required fields are plain, optional ones are `Option`
//! and left out of the JSON when `None` (as Odoo, in production on the legacy gateway, does).
//! Responses are what KRA sends back: almost everything is optional and read leniently
//! ([`crate::lenient`]), because the two gateways disagree on types. Every type also works the
//! other way round (a sandbox reads our requests and writes responses with them).
//!
//! Amounts, rates and quantities are `Decimal`, read and written as exact JSON numbers
//! ([`crate::amount`]). Dates are the spec's text (`yyyyMMddHHmmss`, `yyyyMMdd`); build and read
//! them with [`crate::dates`].

pub mod customers;
pub mod imports;
pub mod init;
pub mod insurance;
pub mod items;
pub mod kra_lists;
pub mod purchases;
pub mod reference;
pub mod sales;
pub mod stock;

use serde::{Deserialize, Serialize};

/// The request of every incremental list (`selectCodeList`, `selectItemClsList`,
/// `selectNoticeList`, `selectBhfList`, `selectItemList`, `selectStockMoveList`,
/// `selectTrnsPurchaseSalesList`, ...): records changed after `lastReqDt`. The client fills in
/// `tin` and `bhfId`: the integrator gateway wants them in the body of lookups too (spec §2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tin: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bhf_id: Option<String>,
    /// `yyyyMMddHHmmss`; start at [`crate::dates::EPOCH_LAST_REQ_DT`], then KRA's last
    /// `resultDt` for the same list.
    pub last_req_dt: String,
}

use rust_decimal::Decimal;

use crate::lenient;

/// One line of something KRA sends back (invoice details, stock movements, purchases): the
/// superset of the line fields of those lists, all optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LineItem {
    #[serde(
        default,
        deserialize_with = "lenient::opt_u32",
        skip_serializing_if = "Option::is_none"
    )]
    pub item_seq: Option<u32>,
    /// Odoo's mocked invoice details send `false` here; read as `None`.
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub item_cd: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub item_cls_cd: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub item_nm: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub bcd: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub spplr_item_cls_cd: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub spplr_item_cd: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub spplr_item_nm: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub pkg_unit_cd: Option<String>,
    #[serde(
        default,
        with = "crate::amount::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub pkg: Option<Decimal>,
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub qty_unit_cd: Option<String>,
    #[serde(
        default,
        with = "crate::amount::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub qty: Option<Decimal>,
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub item_expr_dt: Option<String>,
    #[serde(
        default,
        with = "crate::amount::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub prc: Option<Decimal>,
    #[serde(
        default,
        with = "crate::amount::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub sply_amt: Option<Decimal>,
    #[serde(
        default,
        with = "crate::amount::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub dc_rt: Option<Decimal>,
    #[serde(
        default,
        with = "crate::amount::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub dc_amt: Option<Decimal>,
    #[serde(
        default,
        with = "crate::amount::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub tot_dc_amt: Option<Decimal>,
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub isrcc_cd: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub isrcc_nm: Option<String>,
    #[serde(
        default,
        with = "crate::amount::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub isrc_rt: Option<Decimal>,
    #[serde(
        default,
        with = "crate::amount::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub isrc_amt: Option<Decimal>,
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub tax_ty_cd: Option<String>,
    #[serde(
        default,
        with = "crate::amount::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub taxbl_amt: Option<Decimal>,
    #[serde(
        default,
        with = "crate::amount::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub tax_amt: Option<Decimal>,
    #[serde(
        default,
        with = "crate::amount::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub tot_amt: Option<Decimal>,
}
