//! The taxpayer's answer to an item customs declared as imported: `updateImportItem`
//! (integrator `/importedItemConvertedInfo`, spec §4 row 14). The declarations themselves are
//! listed by `selectImportItemList` ([`super::kra_lists::ImportItem`]); a declaration line is
//! keyed by `taskCd` + `dclDe` + `itemSeq`, its status is code class 26 (spec §9: `1` unsent,
//! `2` waiting, `3` approved, `4` cancelled).

use serde::{Deserialize, Serialize};

/// Class 26: the declaration waits for the taxpayer's answer.
pub const IMPORT_WAITING: &str = "2";
/// Class 26: the taxpayer accepted the item (mapped to one of its registered items).
pub const IMPORT_APPROVED: &str = "3";
/// Class 26: the taxpayer rejected (cancelled) the item.
pub const IMPORT_CANCELLED: &str = "4";

/// `ImportItemUpdateReq`: the taxpayer's answer to one declaration line. Approving (`3`) maps it
/// to a registered item (`itemClsCd` + `itemCd`); cancelling (`4`) needs no item, so both are
/// left out then. Answer: `data: null`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportItemUpdateRequest {
    pub task_cd: String,
    pub dcl_de: String,
    pub item_seq: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hs_cd: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_cls_cd: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_cd: Option<String>,
    /// [`IMPORT_APPROVED`] or [`IMPORT_CANCELLED`].
    pub impt_item_stts_cd: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    pub modr_id: String,
    pub modr_nm: String,
}
