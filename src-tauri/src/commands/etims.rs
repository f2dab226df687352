//! KRA e-TIMS on the desktop (issue 16, "CLI and UI"): the device set-up wizard, each sale's
//! status badge and pre-send checklist, sending a sale, looking an invoice up at KRA, the
//! fiscal queue and KRA's notices. Each command is a thin adapter over the fiscal flow's services
//! (`hesabu_core::sales::fiscal`, `hesabu_app::etims`), which check the permissions; listed in
//! the command table in [`super`].
//!
//! The wire types here are the desktop's view of the fiscal flow: the app layer's checklist and
//! lookup answers carry no TypeScript types (the lookup holds the client crate's
//! `InvoiceDetail`). The status badges and the fiscal queue are the app layer's
//! (`hesabu_app::etims::queue`), re-exported here for the command table.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use hesabu_app::etims::Timeouts;
use hesabu_app::etims::device::{self, DeviceSetup};
use hesabu_app::etims::fiscal as app_fiscal;
pub use hesabu_app::etims::queue::{
    FiscalBadge, FiscalQueueRow, KraStage, badge, badge_of, badges, queue,
};
use hesabu_app::etims::reference::{self, ReferenceList};
use hesabu_core::sales::fiscal::{self, DeviceView, FiscalState, GatewayProfile};
use hesabu_core::workflows::{self, ExecutionFilter, ExecutionView};
use hesabu_etims::{
    INTEGRATOR_SANDBOX, INTEGRATOR_SANDBOX_TOKEN, LEGACY_PRODUCTION, LEGACY_SANDBOX,
};
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::{Error, Result};
use hesabu_store::permissions::Permission;
use hesabu_store::secrets::SecretStore;
use hesabu_store::{ErrorKind, WireError};
use tauri::State;

use crate::state::{AppState, IntoWire};

// ---- wire types -------------------------------------------------------------------------------

/// The e-TIMS page's device card: the device (none yet: the wizard starts) and KRA's addresses
/// the wizard offers.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct EtimsDeviceInfo {
    pub device: Option<DeviceView>,
    /// Whether the device talks to one of KRA's production hosts (sales are declared for real).
    pub production: bool,
    pub legacy_sandbox_url: String,
    pub legacy_production_url: String,
    pub integrator_sandbox_url: String,
    pub integrator_token_url: String,
}

/// What the set-up wizard sends.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
pub struct DeviceSetupInput {
    /// Default: the legacy (direct OSCU) gateway.
    #[serde(default)]
    pub profile: Option<GatewayProfile>,
    /// Declare sales to KRA for real. Without it the device is set up on KRA's sandbox (or the
    /// test server named in `base_url`), and a production address is refused.
    #[serde(default)]
    pub production: bool,
    /// Default: KRA's sandbox of the profile (production: the legacy production address; the
    /// integrator's production address must be given).
    #[serde(default)]
    pub base_url: Option<String>,
    /// Default: the company's KRA PIN and branch.
    #[serde(default)]
    pub tin: Option<String>,
    #[serde(default)]
    pub bhf_id: Option<String>,
    /// The serial declared on the eTIMS portal.
    pub serial: String,
    /// After KRA answered "device installed": the key kept from the first initialisation, with
    /// the SCU id and MRC number from the eTIMS portal or an earlier receipt.
    #[serde(default)]
    pub cmc_key: Option<String>,
    #[serde(default)]
    pub sdc_id: Option<String>,
    #[serde(default)]
    pub mrc_no: Option<String>,
    /// The integrator gateway's app credentials (developer.go.ke) and token URL.
    #[serde(default)]
    pub consumer_key: Option<String>,
    #[serde(default)]
    pub consumer_secret: Option<String>,
    #[serde(default)]
    pub token_url: Option<String>,
    /// Replace the device already set up (KRA issues a device's key once: this is on purpose).
    #[serde(default)]
    pub replace: bool,
}

/// What setting the device up did: the device, or KRA's "this device is installed" (`902`), in
/// which case the wizard asks for the key kept from the first initialisation.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct DeviceSetupResult {
    pub device: Option<DeviceView>,
    /// KRA's answer, when the device is already installed at KRA.
    pub already_installed: Option<String>,
}

/// One blocking problem before a sale goes to KRA, with its fix.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ChecklistProblem {
    /// A stable word (`no_device`, `no_classification`, ...).
    pub code: String,
    pub message: String,
    pub fix: String,
}

/// A sale's pre-send checklist: ready when nothing blocks it.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ChecklistView {
    pub document_id: String,
    pub document_number: Option<String>,
    pub ready: bool,
    pub problems: Vec<ChecklistProblem>,
}

/// The JSON a sale is (or would be) sent to KRA with.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct PayloadView {
    pub document_number: Option<String>,
    /// True: stored before the first send, sent again as is; false: built now with the next
    /// free number, taken only when it is sent.
    pub frozen: bool,
    /// Pretty-printed.
    pub json: String,
}

/// An invoice number looked up at KRA (nothing is changed here: a signature KRA holds for one of
/// our sales is recorded by the next sync, which asks KRA first).
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct LookupResult {
    #[ts(type = "number")]
    pub invc_no: i64,
    /// KRA holds an invoice under this number.
    pub found: bool,
    pub kra_code: String,
    pub kra_message: String,
    /// KRA's invoice: our document number as sent (`trdInvcNo`) and its total.
    pub kra_document: Option<String>,
    pub kra_total: Option<String>,
    /// This file's sale holding the number, and where it is.
    pub local_document: Option<String>,
    pub local_state: Option<FiscalState>,
    /// Both known: whether KRA's invoice is this file's sale.
    pub same_document: Option<bool>,
}

/// One of KRA's notices to taxpayers.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct KraNotice {
    #[ts(type = "number")]
    pub notice_no: i64,
    pub title: Option<String>,
    pub content: Option<String>,
    pub url: Option<String>,
    pub registered_by: Option<String>,
    /// `yyyyMMddHHmmss` as KRA sent it.
    pub registered_at: Option<String>,
    pub received_at: String,
}

/// KRA's notices as last downloaded with the reference data, newest first.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct NoticesView {
    pub notices: Vec<KraNotice>,
    /// When the notices were last downloaded from KRA (none: never).
    pub refreshed_at: Option<String>,
    /// Why the last download failed, if it did.
    pub last_error: Option<String>,
}

// ---- services (the commands below call these) -------------------------------------------------

/// Whether `base_url` is one of KRA's production hosts: the same rule as the receipts' QR code
/// (`hesabu_app::receipts::build::environment`): a `kra.go.ke` host without `sbx`, `test` or
/// `dev` in its name.
pub fn is_kra_production(base_url: &str) -> bool {
    let host = base_url
        .trim()
        .split("://")
        .nth(1)
        .unwrap_or(base_url)
        .split(['/', ':'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let kra = host == "kra.go.ke" || host.ends_with(".kra.go.ke");
    kra && !host.contains("sbx") && !host.contains("test") && !host.contains("dev")
}

/// The device and KRA's addresses, for anyone who may see sales.
pub async fn device_info(file: &CompanyFile, session: &Session) -> Result<EtimsDeviceInfo> {
    let device = fiscal::show_device(file, session).await?;
    Ok(EtimsDeviceInfo {
        production: device
            .as_ref()
            .is_some_and(|d| is_kra_production(&d.base_url)),
        device,
        legacy_sandbox_url: LEGACY_SANDBOX.to_owned(),
        legacy_production_url: LEGACY_PRODUCTION.to_owned(),
        integrator_sandbox_url: INTEGRATOR_SANDBOX.to_owned(),
        integrator_token_url: INTEGRATOR_SANDBOX_TOKEN.to_owned(),
    })
}

fn clean(text: Option<&str>) -> Option<String> {
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

/// The app's set-up request from the wizard's: production only when asked for explicitly, and
/// never a production address without it.
pub fn setup_of(input: &DeviceSetupInput) -> Result<DeviceSetup> {
    let profile = input.profile.unwrap_or(GatewayProfile::Legacy);
    let given = clean(input.base_url.as_deref());
    let base_url = if input.production {
        let url = match (given, profile) {
            (Some(url), _) => url,
            (None, GatewayProfile::Legacy) => LEGACY_PRODUCTION.to_owned(),
            (None, GatewayProfile::Integrator) => {
                return Err(Error::invalid(
                    "Enter the production address KRA gave you for the GavaConnect gateway; \
                     Hesabu knows only its sandbox address.",
                ));
            }
        };
        if !is_kra_production(&url) {
            return Err(Error::invalid(format!(
                "{url} is not one of KRA's production addresses. Untick \"Declare sales to KRA \
                 for real\" to use a test server, or enter KRA's production address."
            )));
        }
        Some(url)
    } else {
        if let Some(url) = &given
            && is_kra_production(url)
        {
            return Err(Error::invalid(format!(
                "{url} is KRA's production system: every sale sent there is declared for real. \
                 Tick \"Declare sales to KRA for real\" to use it, or leave the address empty \
                 for KRA's sandbox."
            )));
        }
        given
    };
    Ok(DeviceSetup {
        profile,
        base_url,
        tin: clean(input.tin.as_deref()),
        bhf_id: clean(input.bhf_id.as_deref()),
        serial: input.serial.trim().to_owned(),
        cmc_key: clean(input.cmc_key.as_deref()),
        sdc_id: clean(input.sdc_id.as_deref()),
        mrc_no: clean(input.mrc_no.as_deref()),
        consumer_key: clean(input.consumer_key.as_deref()),
        consumer_secret: clean(input.consumer_secret.as_deref()),
        token_url: clean(input.token_url.as_deref()),
        unused_band_rate: None,
        force: input.replace,
    })
}

/// Sets the device up (see [`device::init`]; administrators only). A device already set up is
/// refused here, in the wizard's words, unless `replace`; KRA's "device installed" comes back as
/// [`DeviceSetupResult::already_installed`] so the wizard can ask for the key.
pub async fn init_device(
    file: &CompanyFile,
    session: &Session,
    secrets: &dyn SecretStore,
    input: &DeviceSetupInput,
    timeouts: Timeouts,
) -> Result<DeviceSetupResult> {
    session.require(Permission::CompanyEdit)?;
    let setup = setup_of(input)?;
    if !setup.force
        && let Some(d) = fiscal::device(file.reader()).await?
    {
        return Err(Error::Conflict(format!(
            "This company's e-TIMS device is already set up (serial {}, SCU id {}). KRA issues a \
             device's key once, so it is not set up again by accident: to replace it, tick \
             \"Replace the device\" and confirm.",
            d.dvc_srl_no,
            d.sdc_id.as_deref().unwrap_or("unknown"),
        )));
    }
    match device::init(file, session, secrets, &setup, timeouts).await {
        Ok(device) => Ok(DeviceSetupResult {
            device: Some(device),
            already_installed: None,
        }),
        // `device::init` words KRA's 902 this way (and a test below pins it against the local
        // KRA sandbox).
        Err(e)
            if e.kind() == ErrorKind::Conflict && e.to_string().contains("already installed") =>
        {
            Ok(DeviceSetupResult {
                device: None,
                already_installed: Some(e.to_string()),
            })
        }
        Err(e) => Err(e),
    }
}

/// The pre-send checklist (see [`app_fiscal::checklist`]).
pub async fn checklist(file: &CompanyFile, session: &Session, key: &str) -> Result<ChecklistView> {
    let c = app_fiscal::checklist(file, session, key).await?;
    Ok(ChecklistView {
        document_id: c.document_id,
        document_number: c.document_number,
        ready: c.ready,
        problems: c
            .problems
            .into_iter()
            .map(|p| ChecklistProblem {
                code: p.code,
                message: p.message,
                fix: p.fix,
            })
            .collect(),
    })
}

/// The JSON sent (or to be sent) to KRA (see [`app_fiscal::payload_preview`]).
pub async fn payload(file: &CompanyFile, session: &Session, key: &str) -> Result<PayloadView> {
    let p = app_fiscal::payload_preview(file, session, key).await?;
    Ok(PayloadView {
        document_number: p.document_number,
        frozen: p.kind == "frozen",
        json: serde_json::to_string_pretty(&p.payload)
            .map_err(|e| Error::Internal(format!("the request could not be written: {e}")))?,
    })
}

/// Looks invoice `invc_no` up at KRA (see [`app_fiscal::lookup`]).
pub async fn lookup(
    file: &CompanyFile,
    session: &Session,
    secrets: &dyn SecretStore,
    invc_no: u32,
    timeouts: Timeouts,
) -> Result<LookupResult> {
    let v = app_fiscal::lookup(file, session, secrets, i64::from(invc_no), timeouts).await?;
    let kra_document = v.kra.as_ref().and_then(|k| k.trd_invc_no.clone());
    let local_document = v.local.as_ref().and_then(|l| l.document_number.clone());
    let same_document = match (&kra_document, &local_document) {
        (Some(k), Some(l)) => Some(k.trim() == l.trim()),
        _ => None,
    };
    Ok(LookupResult {
        invc_no: v.invc_no,
        found: v.kra.is_some(),
        kra_code: v.result_cd,
        kra_message: v.result_msg,
        kra_total: v
            .kra
            .as_ref()
            .and_then(|k| k.tot_amt.map(|t| t.to_string())),
        kra_document,
        local_document,
        local_state: v.local.as_ref().map(|l| l.state),
        same_document,
    })
}

/// What the queue's "Sending" column says of a send held for a person, in the desktop's words:
/// the workflow's own message names the command-line fix (`hesabu rules resolve …`, `hesabu
/// workflow run …`), which the CLI keeps printing. Other messages pass through the desktop's words (KRA's are
/// unchanged by it: they name no `hesabu` command).
pub fn desktop_send_error(kind: Option<&str>, message: Option<String>) -> Option<String> {
    match kind {
        Some("held") => Some(
            "Held until its tax-review flags are resolved — open Workflows › Tax reviews.".into(),
        ),
        Some("manual") => Some(
            "Waiting to be sent by hand: automatic sending is off for this workflow (Workflows)."
                .into(),
        ),
        // Our own messages may name a `hesabu …` command; KRA's words pass unchanged.
        _ => message.map(|m| crate::desktop_words::desktop_message(&m)),
    }
}

/// The fiscal queue as the desktop shows it ([`queue`], with a held send in the desktop's
/// words, [`desktop_send_error`]).
pub async fn desktop_queue(file: &CompanyFile, session: &Session) -> Result<Vec<FiscalQueueRow>> {
    let mut rows = queue(file, session).await?;
    for row in &mut rows {
        // Only a pending send can be held; the others' messages are KRA's or the sync's.
        if row.send_status.as_deref() != Some("pending") || row.send_error.is_none() {
            continue;
        }
        let filter = ExecutionFilter {
            status: None,
            workflow_type: None,
            entity_id: Some(row.badge.document_id.clone()),
            limit: Some(1),
        };
        let kind = workflows::executions(file, session, &filter)
            .await?
            .into_iter()
            .next()
            .and_then(|e| e.error_kind);
        row.send_error = desktop_send_error(kind.as_deref(), row.send_error.take());
    }
    Ok(rows)
}

/// KRA's notices from the reference data (`hesabu_app::etims::reference`).
pub async fn notices(file: &CompanyFile, session: &Session) -> Result<NoticesView> {
    let notices = reference::notices(file, session)
        .await?
        .into_iter()
        .map(|n| KraNotice {
            notice_no: n.notice_no,
            title: n.title,
            content: n.content,
            url: n.url,
            registered_by: n.registered_by,
            registered_at: n.registered_at,
            received_at: n.received_at,
        })
        .collect();
    let state = reference::list_state(file.reader(), ReferenceList::Notices).await?;
    Ok(NoticesView {
        notices,
        refreshed_at: state.refreshed_at,
        last_error: state.last_error,
    })
}

// ---- commands ---------------------------------------------------------------------------------

/// The e-TIMS device (none yet: the wizard) and KRA's addresses.
#[tauri::command]
pub async fn etims_device(state: State<'_, AppState>) -> Result<EtimsDeviceInfo, WireError> {
    let (open, session) = state.signed_in().await?;
    device_info(&open.file, &session).await.wire()
}

/// Sets the e-TIMS device up with KRA (administrators); the sync then sends to it at once.
#[tauri::command]
pub async fn etims_device_init(
    state: State<'_, AppState>,
    setup: DeviceSetupInput,
) -> Result<DeviceSetupResult, WireError> {
    let (open, session) = state.signed_in().await?;
    let secrets = hesabu_store::secrets::store_from_env().wire()?;
    let result = init_device(
        &open.file,
        &session,
        secrets.as_ref(),
        &setup,
        Timeouts::default(),
    )
    .await
    .wire()?;
    if result.device.is_some() {
        state.refresh_targets(&open.file).await;
    }
    Ok(result)
}

/// Sets the last e-TIMS invoice number used (after KRA named another; administrators).
#[tauri::command]
pub async fn etims_device_counter(
    state: State<'_, AppState>,
    last: u32,
) -> Result<DeviceView, WireError> {
    let (open, session) = state.signed_in().await?;
    fiscal::set_counter(&open.file, &session, i64::from(last))
        .await
        .wire()
}

/// A sale's e-TIMS status badge.
#[tauri::command]
pub async fn etims_status(
    state: State<'_, AppState>,
    key: String,
) -> Result<FiscalBadge, WireError> {
    let (open, session) = state.signed_in().await?;
    badge(&open.file, &session, &key).await.wire()
}

/// The e-TIMS status badges of several sales, in the order asked.
#[tauri::command]
pub async fn etims_statuses(
    state: State<'_, AppState>,
    keys: Vec<String>,
) -> Result<Vec<FiscalBadge>, WireError> {
    let (open, session) = state.signed_in().await?;
    badges(&open.file, &session, &keys).await.wire()
}

/// Every problem that keeps a sale from being sent to KRA, with its fix.
#[tauri::command]
pub async fn etims_checklist(
    state: State<'_, AppState>,
    key: String,
) -> Result<ChecklistView, WireError> {
    let (open, session) = state.signed_in().await?;
    checklist(&open.file, &session, &key).await.wire()
}

/// The JSON a sale is (or would be) sent to KRA with.
#[tauri::command]
pub async fn etims_payload(
    state: State<'_, AppState>,
    key: String,
) -> Result<PayloadView, WireError> {
    let (open, session) = state.signed_in().await?;
    payload(&open.file, &session, &key).await.wire()
}

/// Queues a sale for KRA now (its workflow); the sync sends it.
#[tauri::command]
pub async fn etims_send(
    state: State<'_, AppState>,
    key: String,
) -> Result<ExecutionView, WireError> {
    let (open, session) = state.signed_in().await?;
    app_fiscal::queue(&open.file, &session, &key).await.wire()
}

/// Gives up the e-TIMS number of a sale KRA holds as another document (counter drift), once
/// KRA confirms it; the sale is queued again for the next number (administrators).
#[tauri::command]
pub async fn etims_give_up(
    state: State<'_, AppState>,
    key: String,
    reason: String,
) -> Result<fiscal::SubmissionView, WireError> {
    let (open, session) = state.signed_in().await?;
    let secrets = hesabu_store::secrets::store_from_env().wire()?;
    app_fiscal::give_up_number(
        &open.file,
        &session,
        secrets.as_ref(),
        &key,
        &reason,
        Timeouts::default(),
    )
    .await
    .wire()
}

/// Asks KRA about an e-TIMS invoice number of this company's device.
#[tauri::command]
pub async fn etims_lookup(
    state: State<'_, AppState>,
    number: u32,
) -> Result<LookupResult, WireError> {
    let (open, session) = state.signed_in().await?;
    let secrets = hesabu_store::secrets::store_from_env().wire()?;
    lookup(
        &open.file,
        &session,
        secrets.as_ref(),
        number,
        Timeouts::default(),
    )
    .await
    .wire()
}

/// The sales KRA has not signed yet, with their state, age and KRA's message.
#[tauri::command]
pub async fn etims_queue(state: State<'_, AppState>) -> Result<Vec<FiscalQueueRow>, WireError> {
    let (open, session) = state.signed_in().await?;
    desktop_queue(&open.file, &session).await.wire()
}

/// KRA's notices as last downloaded.
#[tauri::command]
pub async fn etims_notices(state: State<'_, AppState>) -> Result<NoticesView, WireError> {
    let (open, session) = state.signed_in().await?;
    notices(&open.file, &session).await.wire()
}

/// Downloads KRA's reference data (code lists, item classes, notices) with the company's
/// device, then answers the notices.
#[tauri::command]
pub async fn etims_reference_refresh(state: State<'_, AppState>) -> Result<NoticesView, WireError> {
    let (open, session) = state.signed_in().await?;
    let secrets = hesabu_store::secrets::store_from_env().wire()?;
    reference::refresh(&open.file, &session, secrets.as_ref(), Timeouts::default())
        .await
        .wire()?;
    notices(&open.file, &session).await.wire()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use hesabu_app::demo;
    use hesabu_etims_sandbox::{Sandbox, SandboxConfig};
    use hesabu_store::clock::SystemClock;
    use hesabu_store::secrets::store_from_spec;

    use super::*;
    use hesabu_core::sales::SalesStatus;

    #[test]
    fn production_needs_an_explicit_choice() {
        let sandbox = setup_of(&DeviceSetupInput {
            serial: " SN-1 ".into(),
            ..DeviceSetupInput::default()
        })
        .unwrap();
        assert_eq!(sandbox.base_url, None, "the service's sandbox default");
        assert_eq!(sandbox.serial, "SN-1");
        assert!(!sandbox.force);

        let err = setup_of(&DeviceSetupInput {
            serial: "SN-1".into(),
            base_url: Some(LEGACY_PRODUCTION.into()),
            ..DeviceSetupInput::default()
        })
        .unwrap_err();
        assert!(err.to_string().contains("Declare sales to KRA"), "{err}");

        let production = setup_of(&DeviceSetupInput {
            serial: "SN-1".into(),
            production: true,
            ..DeviceSetupInput::default()
        })
        .unwrap();
        assert_eq!(production.base_url.as_deref(), Some(LEGACY_PRODUCTION));

        let err = setup_of(&DeviceSetupInput {
            serial: "SN-1".into(),
            production: true,
            profile: Some(GatewayProfile::Integrator),
            ..DeviceSetupInput::default()
        })
        .unwrap_err();
        assert!(err.to_string().contains("production address"), "{err}");

        let err = setup_of(&DeviceSetupInput {
            serial: "SN-1".into(),
            production: true,
            base_url: Some("http://127.0.0.1:9/etims-api/".into()),
            ..DeviceSetupInput::default()
        })
        .unwrap_err();
        assert!(err.to_string().contains("not one of KRA's"), "{err}");

        // A local test server is fine without production.
        let local = setup_of(&DeviceSetupInput {
            serial: "SN-1".into(),
            base_url: Some("http://127.0.0.1:9/etims-api/".into()),
            replace: true,
            ..DeviceSetupInput::default()
        })
        .unwrap();
        assert_eq!(
            local.base_url.as_deref(),
            Some("http://127.0.0.1:9/etims-api/")
        );
        assert!(local.force);
    }

    #[test]
    fn kra_production_hosts() {
        for (url, production) in [
            (LEGACY_PRODUCTION, true),
            (LEGACY_SANDBOX, false),
            (INTEGRATOR_SANDBOX, false),
            ("http://127.0.0.1:4567/", false),
            ("https://kra.go.ke.evil.example/", false),
        ] {
            assert_eq!(is_kra_production(url), production, "{url}");
        }
    }

    /// The demo company with its sales ledger (issued sales, a draft) in a temporary folder.
    async fn demo_file() -> (tempfile::TempDir, CompanyFile, Session) {
        let dir = tempfile::tempdir().unwrap();
        let (file, _) = demo::create(&dir.path().join("demo.hesabu"), Arc::new(SystemClock))
            .await
            .unwrap();
        demo::add_sales_ledger(&file).await.unwrap();
        let admin = hesabu_store::auth::login(&file, demo::DEMO_ADMIN_EMAIL, demo::DEMO_PASSWORD)
            .await
            .unwrap();
        (dir, file, admin)
    }

    #[tokio::test]
    async fn the_wizard_sets_the_device_up_once_and_asks_for_the_key_after_902() {
        let (dir, file, admin) = demo_file().await;
        let company = hesabu_core::company::info(&file, &admin).await.unwrap();
        let sandbox = Sandbox::start_with(
            "127.0.0.1:0".parse().unwrap(),
            SandboxConfig {
                cmc_key: Some("KEY-FROM-KRA".into()),
                ..SandboxConfig::default()
            },
        )
        .await
        .unwrap();
        let secrets = store_from_spec(&format!(
            "file:{}",
            dir.path().join("secrets.json").display()
        ))
        .unwrap();
        let timeouts = Timeouts::all(Duration::from_secs(2));
        let input = DeviceSetupInput {
            serial: "SN-DESKTOP-1".into(),
            base_url: Some(sandbox.legacy_base_url()),
            ..DeviceSetupInput::default()
        };

        let info = device_info(&file, &admin).await.unwrap();
        assert!(info.device.is_none());

        let set = init_device(&file, &admin, secrets.as_ref(), &input, timeouts)
            .await
            .unwrap();
        let d = set.device.expect("a device");
        assert!(set.already_installed.is_none());
        assert_eq!(d.tin, company.kra_pin);
        assert!(d.sdc_id.is_some() && d.mrc_no.is_some() && d.taxpayer_name.is_some());
        let info = device_info(&file, &admin).await.unwrap();
        assert_eq!(info.device.unwrap().sdc_id, d.sdc_id);
        assert!(!info.production);

        // Again without "replace": refused here, in the wizard's words, before KRA is asked.
        let err = init_device(&file, &admin, secrets.as_ref(), &input, timeouts)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Conflict);
        assert!(err.to_string().contains("Replace the device"), "{err}");

        // Replaced on purpose: KRA answers 902, and the wizard is told to ask for the key.
        let replace = DeviceSetupInput {
            replace: true,
            ..input.clone()
        };
        let again = init_device(&file, &admin, secrets.as_ref(), &replace, timeouts)
            .await
            .unwrap();
        assert!(again.device.is_none());
        assert!(
            again
                .already_installed
                .as_deref()
                .is_some_and(|m| m.contains("902")),
            "{again:?}"
        );
        // The key kept, entered: checked with KRA and recorded.
        let entered = DeviceSetupInput {
            cmc_key: Some("KEY-FROM-KRA".into()),
            sdc_id: d.sdc_id.clone(),
            mrc_no: d.mrc_no.clone(),
            ..replace
        };
        let set = init_device(&file, &admin, secrets.as_ref(), &entered, timeouts)
            .await
            .unwrap();
        assert_eq!(set.device.unwrap().key_source, "entered");

        // Someone who is not an administrator cannot set a device up.
        let accountant =
            hesabu_store::auth::login(&file, "accountant@demo.test", demo::DEMO_PASSWORD)
                .await
                .unwrap();
        let err = init_device(&file, &accountant, secrets.as_ref(), &entered, timeouts)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    }

    #[tokio::test]
    async fn a_send_held_for_tax_review_is_worded_for_the_desktop_not_the_cli() {
        // The desktop's demo: the foreign-currency rule holds the USD sale for tax review.
        let dir = tempfile::tempdir().unwrap();
        let (file, _) = demo::create(&dir.path().join("demo.hesabu"), Arc::new(SystemClock))
            .await
            .unwrap();
        demo::add_workflow_showcase(&file).await.unwrap();
        let admin = hesabu_store::auth::login(&file, demo::DEMO_ADMIN_EMAIL, demo::DEMO_PASSWORD)
            .await
            .unwrap();

        // The app layer (what `hesabu etims queue` prints) keeps the command-line fix.
        let cli = queue(&file, &admin).await.unwrap();
        let held = cli
            .iter()
            .find(|r| {
                r.send_error
                    .as_deref()
                    .is_some_and(|e| e.contains("hesabu rules resolve"))
            })
            .expect("the demo holds a sale for tax review");
        let held_id = held.badge.document_id.clone();

        let desktop = desktop_queue(&file, &admin).await.unwrap();
        assert_eq!(desktop.len(), cli.len());
        let row = desktop
            .iter()
            .find(|r| r.badge.document_id == held_id)
            .unwrap();
        assert_eq!(
            row.send_error.as_deref(),
            Some("Held until its tax-review flags are resolved — open Workflows › Tax reviews.")
        );
        for r in &desktop {
            let text = r.send_error.as_deref().unwrap_or("");
            assert!(!text.contains("hesabu "), "{text}");
        }
        // Other messages pass through; a kind without a message stays without one.
        assert_eq!(
            desktop_send_error(None, Some("KRA is busy".into())).as_deref(),
            Some("KRA is busy")
        );
        // Our own message naming a command reaches the window in the desktop's words.
        assert_eq!(
            desktop_send_error(
                Some("transient"),
                Some("Still unknown: run `hesabu sync run` again later.".into())
            )
            .as_deref(),
            Some("Still unknown: run Sync now on the Sync page again later.")
        );
        assert!(
            desktop_send_error(Some("manual"), Some("hesabu workflow run x".into()))
                .is_some_and(|t| !t.contains("hesabu"))
        );
    }

    #[tokio::test]
    async fn badges_and_the_queue_show_issued_sales_kra_has_not_signed() {
        let (_dir, file, admin) = demo_file().await;
        let sales = hesabu_core::sales::documents::list(
            &file,
            &admin,
            &hesabu_core::sales::documents::SalesQuery::default(),
        )
        .await
        .unwrap();
        let issued: Vec<_> = sales
            .iter()
            .filter(|s| s.status == SalesStatus::Issued)
            .collect();
        let draft = sales.iter().find(|s| s.status == SalesStatus::Draft);
        assert!(!issued.is_empty(), "the demo has issued sales");

        let mut keys: Vec<String> = issued.iter().map(|s| s.id.clone()).collect();
        if let Some(d) = draft {
            keys.push(d.id.clone());
        }
        let got = badges(&file, &admin, &keys).await.unwrap();
        assert_eq!(got.len(), keys.len());
        for (b, key) in got.iter().zip(&keys) {
            assert_eq!(&b.document_id, key);
        }
        for b in &got[..issued.len()] {
            assert_eq!(b.stage, KraStage::Awaiting, "{b:?}");
            assert!(b.waiting_seconds.is_some(), "{b:?}");
            assert!(b.fiscal_state.is_none());
        }
        if draft.is_some() {
            let d = got.last().unwrap();
            assert_eq!(d.stage, KraStage::NotForKra);
            assert_eq!(d.waiting_seconds, None);
        }

        // The queue lists every issued sale KRA has not signed, with its send.
        let rows = queue(&file, &admin).await.unwrap();
        let mut queued: Vec<&str> = rows.iter().map(|r| r.badge.document_id.as_str()).collect();
        queued.sort_unstable();
        let mut expected: Vec<&str> = issued.iter().map(|s| s.id.as_str()).collect();
        expected.sort_unstable();
        assert_eq!(queued, expected);
        let waits: Vec<i64> = rows
            .iter()
            .map(|r| r.badge.waiting_seconds.unwrap_or(0))
            .collect();
        assert!(waits.windows(2).all(|w| w[0] >= w[1]), "{waits:?}");

        // Without a device, the checklist says so first.
        let c = checklist(&file, &admin, &issued[0].id).await.unwrap();
        assert!(!c.ready);
        assert_eq!(c.problems[0].code, "no_device");
        // The payload preview is the JSON KRA would get, not frozen yet.
        let p = payload(&file, &admin, &issued[0].id).await;
        if let Ok(p) = p {
            assert!(!p.frozen);
            assert!(p.json.contains("invcNo"), "{}", p.json);
        }

        // No notices downloaded yet.
        let n = notices(&file, &admin).await.unwrap();
        assert!(n.notices.is_empty() && n.refreshed_at.is_none(), "{n:?}");

        // Too many at once is refused.
        let many = vec![issued[0].id.clone(); hesabu_app::etims::queue::BADGES_LIMIT + 1];
        assert!(badges(&file, &admin, &many).await.is_err());
    }
}
