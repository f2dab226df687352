//! Registering a customer in the branch's list: `saveBhfCustomer` (integrator
//! `/branchSendCustomerInfo`), spec §6. Not a prerequisite for a PIN on a sale.

use serde::{Deserialize, Serialize};

use crate::lenient;

/// `BhfCustSaveReq`. Answer: `data: null`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BranchCustomerRequest {
    /// Our customer number, CHAR(9).
    #[serde(deserialize_with = "lenient::string")]
    pub cust_no: String,
    /// Required in practice: the integrator rejects an empty one.
    pub cust_tin: String,
    pub cust_nm: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adrs: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tel_no: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fax_no: Option<String>,
    /// `N` deactivates; customers are never deleted.
    pub use_yn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    pub regr_id: String,
    pub regr_nm: String,
    pub modr_id: String,
    pub modr_nm: String,
}
