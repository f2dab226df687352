//! Items: `saveItem` and `selectItemList` (integrator `/itemInfo`), spec §7.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::lenient;

/// `ItemSaveReq`: register or update an item. `item_cd` is permanent once registered; the
/// integrator validates its structure and 7-digit sequence (spec §7.1). Answer: `data: null`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SaveItemRequest {
    pub item_cd: String,
    pub item_cls_cd: String,
    /// `1` raw material, `2` finished product, `3` service.
    pub item_ty_cd: String,
    pub item_nm: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_std_nm: Option<String>,
    pub orgn_nat_cd: String,
    pub pkg_unit_cd: String,
    pub qty_unit_cd: String,
    pub tax_ty_cd: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub btch_no: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bcd: Option<String>,
    #[serde(with = "crate::amount")]
    pub dft_prc: Decimal,
    #[serde(
        default,
        with = "crate::amount::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub grp_prc_l1: Option<Decimal>,
    #[serde(
        default,
        with = "crate::amount::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub grp_prc_l2: Option<Decimal>,
    #[serde(
        default,
        with = "crate::amount::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub grp_prc_l3: Option<Decimal>,
    #[serde(
        default,
        with = "crate::amount::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub grp_prc_l4: Option<Decimal>,
    #[serde(
        default,
        with = "crate::amount::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub grp_prc_l5: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add_info: Option<String>,
    #[serde(
        default,
        with = "crate::amount::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub sfty_qty: Option<Decimal>,
    pub isrc_aplcb_yn: String,
    pub use_yn: String,
    pub regr_id: String,
    pub regr_nm: String,
    pub modr_id: String,
    pub modr_nm: String,
}

/// `data` of `selectItemList`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemListData {
    #[serde(default)]
    pub item_list: Vec<RegisteredItem>,
}

/// An item as KRA holds it: the `saveItem` fields plus `tin`, `regBhfId` and `rraModYn`
/// ("modified by KRA").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisteredItem {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub tin: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub item_cd: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub item_cls_cd: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub item_ty_cd: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub item_nm: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub item_std_nm: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub orgn_nat_cd: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub pkg_unit_cd: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub qty_unit_cd: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub tax_ty_cd: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub btch_no: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub reg_bhf_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub bcd: Option<String>,
    #[serde(default, with = "crate::amount::option")]
    pub dft_prc: Option<Decimal>,
    #[serde(default, with = "crate::amount::option")]
    pub grp_prc_l1: Option<Decimal>,
    #[serde(default, with = "crate::amount::option")]
    pub grp_prc_l2: Option<Decimal>,
    #[serde(default, with = "crate::amount::option")]
    pub grp_prc_l3: Option<Decimal>,
    #[serde(default, with = "crate::amount::option")]
    pub grp_prc_l4: Option<Decimal>,
    #[serde(default, with = "crate::amount::option")]
    pub grp_prc_l5: Option<Decimal>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub add_info: Option<String>,
    #[serde(default, with = "crate::amount::option")]
    pub sfty_qty: Option<Decimal>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub isrc_aplcb_yn: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub rra_mod_yn: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub use_yn: Option<String>,
}

/// `saveItemComposition` (spec §4 row 12): one component of a composite item (a bill of
/// materials line): `cpstQty` of `cpstItemCd` go into one `itemCd`. Both items must be
/// registered at KRA first; one call per component, an upsert keyed by the pair. Answer:
/// `data: null`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemCompositionRequest {
    /// The composite item.
    pub item_cd: String,
    /// The component item.
    pub cpst_item_cd: String,
    /// How many of the component go into one composite item; greater than 0.
    #[serde(with = "crate::amount")]
    pub cpst_qty: Decimal,
    pub regr_id: String,
    pub regr_nm: String,
}
