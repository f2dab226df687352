//! What KRA keeps for a device and lists back, and the branch user a device registers (spec §4
//! rows 8, 13, 17, 23, 24): `saveBhfUser` (integrator `/branchUserAccount`),
//! `selectImportItemList` (`/importedItemInfo`), `selectTrnsSalesList`
//! (`/selectSalesTransactions`, whose records are [`super::sales::InvoiceDetail`]s),
//! `selectCustomerList` and `selectTaxpayerInfo`.
//!
//! The shapes of the customer list and of the taxpayer information are open questions (spec
//! §17.11): both are read leniently, under the names seen so far, and every answer is also kept
//! raw by the app.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::lenient;

/// `BhfUserSaveReq`: register or update a user of the branch. Answer: `data: null`. `user_id`
/// is CHAR(20), `user_nm` CHAR(60); `use_yn` `N` deactivates (users are never deleted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BranchUserRequest {
    pub user_id: String,
    pub user_nm: String,
    /// Required by KRA. The device's `cmcKey` authenticates every call, so nobody signs in to
    /// KRA with it.
    pub pwd: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adrs: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cntc: Option<String>,
    /// The user's authority (free text at KRA).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_cd: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    pub use_yn: String,
    pub regr_id: String,
    pub regr_nm: String,
    pub modr_id: String,
    pub modr_nm: String,
}

/// `data` of `selectImportItemList` (integrator `/importedItemInfo`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportItemData {
    #[serde(default)]
    pub item_list: Vec<ImportItem>,
}

/// An item customs declared as imported by the taxpayer, keyed by `taskCd`, `dclDe` (the
/// declaration date, `yyyyMMdd`) and `itemSeq`; everything optional and read leniently.
/// `imptItemSttsCd` is code class 26 (`2` waiting, `3` approved, `4` cancelled; the answer is
/// [`super::imports`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportItem {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub task_cd: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub dcl_de: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    pub item_seq: Option<u32>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub dcl_no: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub hs_cd: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub item_nm: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub impt_item_stts_cd: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub orgn_nat_cd: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub expt_nat_cd: Option<String>,
    #[serde(default, with = "crate::amount::option")]
    pub pkg: Option<Decimal>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub pkg_unit_cd: Option<String>,
    #[serde(default, with = "crate::amount::option")]
    pub qty: Option<Decimal>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub qty_unit_cd: Option<String>,
    #[serde(default, with = "crate::amount::option")]
    pub tot_wt: Option<Decimal>,
    #[serde(default, with = "crate::amount::option")]
    pub net_wt: Option<Decimal>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub spplr_nm: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub agnt_nm: Option<String>,
    #[serde(default, with = "crate::amount::option")]
    pub invc_fcur_amt: Option<Decimal>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub invc_fcur_cd: Option<String>,
    #[serde(default, with = "crate::amount::option")]
    pub invc_fcur_excrt: Option<Decimal>,
    /// Once accepted (`updateImportItem`): the classification and our item it became.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub item_cls_cd: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub item_cd: Option<String>,
}

/// `data` of `selectCustomerList`: the branch's customers as registered with `saveBhfCustomer`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerListData {
    #[serde(default)]
    pub cust_list: Vec<BranchCustomer>,
}

/// A branch customer as KRA lists it (the `saveBhfCustomer` fields, all optional).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BranchCustomer {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub cust_no: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub cust_tin: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub cust_nm: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub adrs: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub tel_no: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub use_yn: Option<String>,
}

/// `data` of `selectTaxpayerInfo`: the taxpayer as the PIN lookup describes one. The list's
/// name is not documented; `taxpayerList`, `taxprList` and `custList` are read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaxpayerInfoData {
    #[serde(default, alias = "taxprList", alias = "custList")]
    pub taxpayer_list: Vec<super::reference::Taxpayer>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_read_leniently() {
        let imports: ImportItemData = serde_json::from_str(
            r#"{"itemList":[{"taskCd":"2239078","dclDe":"20191217","itemSeq":"1",
                "itemNm":"Sugar","qty":"12.5","imptItemSttsCd":"2","pkg":3}]}"#,
        )
        .unwrap();
        let i = &imports.item_list[0];
        assert_eq!(i.item_seq, Some(1));
        assert_eq!(i.qty, Some("12.5".parse().unwrap()));
        assert_eq!(i.pkg, Some(Decimal::from(3)));
        let info: TaxpayerInfoData =
            serde_json::from_str(r#"{"taxprList":[{"tin":"P051234567X","taxprNm":"Acme"}]}"#)
                .unwrap();
        assert_eq!(info.taxpayer_list[0].taxpr_nm.as_deref(), Some("Acme"));
        let customers: CustomerListData =
            serde_json::from_str(r#"{"custList":[{"custNo":7,"custNm":"Ralph"}]}"#).unwrap();
        assert_eq!(customers.cust_list[0].cust_no.as_deref(), Some("7"));
    }
}
