//! Reference data and lookups: code lists, item classifications, PIN lookup, notices, branches
//! (spec §6, §7.3, §8).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::lenient;

/// `data` of `selectCodeList`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeListData {
    #[serde(default)]
    pub cls_list: Vec<CodeClass>,
}

/// One code class (`04` taxation type, `07` payment type, `10` quantity unit, ...).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeClass {
    #[serde(deserialize_with = "lenient::string")]
    pub cd_cls: String,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub cd_cls_nm: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub cd_cls_desc: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub use_yn: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub user_dfn_nm1: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub user_dfn_nm2: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub user_dfn_nm3: Option<String>,
    #[serde(default)]
    pub dtl_list: Vec<Code>,
}

/// One code. For class `04`, `user_dfn_cd1` is the tax rate ("16") and `user_dfn_cd2` a label.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Code {
    #[serde(deserialize_with = "lenient::string")]
    pub cd: String,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub cd_nm: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub cd_desc: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub use_yn: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    pub srt_ord: Option<u32>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub user_dfn_cd1: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub user_dfn_cd2: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub user_dfn_cd3: Option<String>,
}

impl CodeListData {
    /// The codes of one class (`"04"`), if KRA sent it.
    pub fn class(&self, cd_cls: &str) -> Option<&CodeClass> {
        self.cls_list.iter().find(|c| c.cd_cls == cd_cls)
    }

    /// The rate of a tax type from class `04` (`"B"` → 16), when KRA gave a number.
    pub fn tax_rate(&self, tax_ty_cd: &str) -> Option<Decimal> {
        let code = self
            .class("04")?
            .dtl_list
            .iter()
            .find(|c| c.cd == tax_ty_cd)?;
        crate::amount::parse(code.user_dfn_cd1.as_deref()?).ok()
    }
}

/// `data` of `selectItemClsList` (integrator `/selectItemClass`). Very large: it has its own
/// timeout ([`crate::Timeouts::bulk`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemClassData {
    #[serde(default)]
    pub item_cls_list: Vec<ItemClass>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemClass {
    #[serde(deserialize_with = "lenient::string")]
    pub item_cls_cd: String,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub item_cls_nm: Option<String>,
    /// 1–5.
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    pub item_cls_lvl: Option<u32>,
    /// The tax type KRA expects for this class, often null.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub tax_ty_cd: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub mjr_tg_yn: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub use_yn: Option<String>,
}

/// `CustSearchReq`: look a PIN up (`selectCustomer`, integrator `/customerPinInfo`). The field
/// is spelt `custmTin`. `001` means KRA does not know the PIN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerSearchRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tin: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bhf_id: Option<String>,
    pub custm_tin: String,
}

/// `data` of the PIN lookup.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerSearchData {
    #[serde(default)]
    pub cust_list: Vec<Taxpayer>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Taxpayer {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub tin: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub taxpr_nm: Option<String>,
    /// `A` active, `D` inactive (code class 15).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub taxpr_stts_cd: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub prvnc_nm: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub dstrt_nm: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub sctr_nm: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub loc_desc: Option<String>,
}

/// `data` of `selectNoticeList`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NoticeData {
    #[serde(default)]
    pub notice_list: Vec<Notice>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Notice {
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub notice_no: Option<u64>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub cont: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub dtl_url: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub regr_nm: Option<String>,
    /// `yyyyMMddHHmmss`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub reg_dt: Option<String>,
}

/// `data` of `selectBhfList` (integrator `/branchList`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BranchData {
    #[serde(default)]
    pub bhf_list: Vec<Branch>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Branch {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub tin: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub bhf_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub bhf_nm: Option<String>,
    /// `01` open, `02` closed (code class 09).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub bhf_stts_cd: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub prvnc_nm: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub dstrt_nm: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub sctr_nm: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub loc_desc: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub mgr_nm: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub mgr_tel_no: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub mgr_email: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub hq_yn: Option<String>,
}
