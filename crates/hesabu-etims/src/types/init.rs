//! Device initialisation: `selectInitOsdcInfo` (integrator `/initialize`), spec §3.

use serde::{Deserialize, Serialize};

use crate::lenient;
use crate::secret::Secret;

/// `DeviceVerificationReq`. Sent once per device: a second call answers `902` "This device is
/// installed", and on the integrator sandbox repeated calls have corrupted the device record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InitRequest {
    pub tin: String,
    pub bhf_id: String,
    /// The serial declared in the eTIMS portal's commitment form.
    pub dvc_srl_no: String,
}

/// `data` of the initialisation answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InitData {
    pub info: DeviceInfo,
}

/// `data.info`: the device as KRA registered it. Keep `cmc_key` (in the keychain), `sdc_id`
/// (printed on every receipt), `mrc_no`, `dvc_id` and the names for the receipt header.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceInfo {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub tin: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub taxpr_nm: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub bsns_actv: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub bhf_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub bhf_nm: Option<String>,
    /// `yyyyMMdd`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub bhf_open_dt: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub prvnc_nm: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub dstrt_nm: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub sctr_nm: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub loc_desc: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub hq_yn: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub mgr_nm: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub mgr_tel_no: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub mgr_email: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub dvc_id: Option<String>,
    /// The SCU id printed on receipts (`KRACU0100000001`).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub sdc_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub mrc_no: Option<String>,
    /// The communication key: issued once, authenticates every later call.
    #[serde(default)]
    pub cmc_key: Option<Secret>,
    /// VSCU-family fields, not seen in OSCU samples (spec §3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intrl_key: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_key: Option<Secret>,
    #[serde(
        default,
        deserialize_with = "lenient::opt_u64",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_sale_invc_no: Option<u64>,
    #[serde(
        default,
        deserialize_with = "lenient::opt_u64",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_pchs_invc_no: Option<u64>,
    #[serde(
        default,
        deserialize_with = "lenient::opt_u64",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_rcpt_no: Option<u64>,
}
