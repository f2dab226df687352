//! Registering an insurer the branch accepts (pharmacies): `saveBhfInsurance` (integrator
//! `/branchInsuranceInfo`), spec §4 row 9. The insurer's code and name are what a sale line's
//! `isrccCd` / `isrccNm` carry (spec §5.3).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// `BhfInsuranceSaveReq`: an upsert keyed by `isrccCd`. Answer: `data: null`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BranchInsuranceRequest {
    /// The insurer's code.
    pub isrcc_cd: String,
    /// The insurer's name.
    pub isrcc_nm: String,
    /// The premium rate in percent, 0 to 100.
    #[serde(with = "crate::amount")]
    pub isrc_rt: Decimal,
    /// `N` deactivates; insurers are never deleted.
    pub use_yn: String,
    pub regr_id: String,
    pub regr_nm: String,
    pub modr_id: String,
    pub modr_nm: String,
}
