//! The demo company's e-TIMS: a local sandbox (`hesabu-etims-sandbox`, a **test double of KRA,
//! not KRA**) that the app runs inside itself, on loopback, for the demo company only. Nothing
//! sent to it is declared to KRA and its receipt signatures are made up.
//!
//! - **Seeding** ([`DemoSandbox::init_device`]): the demo's device is initialised against the
//!   sandbox like a real one (KRA's answer kept in the company file, the key in the secret
//!   store), and the demo's sales are then signed through the real outbox and fiscal flow.
//! - **Its base URL is a marker.** The sandbox listens on `127.0.0.1:0`, so its port changes
//!   every run; the device row keeps [`SANDBOX_BASE_URL`] (`sandbox:local-etims`) instead of an
//!   address, and the running sandbox's address is put in when the outbox target is built
//!   ([`DemoSandbox::targets`]). The stored row never changes after seeding, and a real
//!   company, whose device has an `http(s)` URL, never gets a sandbox ([`DemoSandbox::for_file`]
//!   answers `None`).
//! - **Each later run** ([`DemoSandbox::for_file`]): a fresh sandbox (it keeps nothing between
//!   runs) is brought up to what the company file knows: the device initialised again with the
//!   same serial (the sandbox issues the same fixed key, [`DEMO_CMC_KEY`], and the same SCU id),
//!   then every signed submission's frozen request replayed in `invcNo` order, so its counters
//!   (`invcNo`, `curRcptNo`, `totRcptNo`) continue where the file's stopped and a lookup of an
//!   old invoice finds it; then the stock movements KRA took, in `sarNo` order, so the stock
//!   counter continues too. The replayed answers are not stored: the file keeps the signatures
//!   of the first signing.
//! - **The key's store** ([`secrets`]): a file beside the demo company file
//!   (`<name>.sandbox-secrets.json`, mode 0600), never the OS keyring: the key is the test
//!   double's fixed, published key, the keyring is often missing where the demo runs (CI, the
//!   E2E test, a headless box), and the demo should leave nothing in a person's keyring.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hesabu_core::company;
use hesabu_core::sales::fiscal::{self, DeviceView, FiscalState, GatewayProfile, NewDevice};
use hesabu_core::sales::tax::UnusedBandRate;
use hesabu_etims::{Client, ClientConfig, Timeouts};
use hesabu_etims_sandbox::{Profile, Sandbox, SandboxConfig, SandboxHandle};
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::{Error, Result};
use hesabu_store::outbox::{DrainSummary, Drainer, Targets, TokioSleeper};
use hesabu_store::secrets::SecretStore;

use super::EtimsTarget;
use super::device::{self, client_error, cmc_key_name};

/// What the demo device's base URL holds: not an address, the sign that the app's own local
/// sandbox serves it (see the module docs).
pub const SANDBOX_BASE_URL: &str = "sandbox:local-etims";

/// The key the demo's sandbox issues to every device: fixed and published, as it belongs to a
/// test double (a real key comes from KRA once and lives only in the secret store).
pub const DEMO_CMC_KEY: &str = "5ad0b0c0de5ad0b0c0de5ad0b0c0de00";

/// The demo device's serial.
pub const DEMO_SERIAL: &str = "HESABU-DEMO-OSCU-1";

/// The seed of the sandbox's made-up ids and signatures, so every demo signs alike.
const DEMO_SEED: u64 = 2026;

/// What the app tells people about a company whose device is the local sandbox.
pub const NOTICE: &str = "Demo company: sales are signed by a local test double of KRA e-TIMS \
                          running inside Hesabu, not by KRA. Nothing is declared to KRA and the \
                          receipt signatures are made up.";

/// Calls to the local sandbox: loopback, so anything slower than this is a fault.
fn timeouts() -> Timeouts {
    Timeouts::all(Duration::from_secs(10))
}

/// Whether `device` is served by the app's local sandbox (its base URL is the marker).
pub fn is_sandbox_device(device: &DeviceView) -> bool {
    device.base_url.trim() == SANDBOX_BASE_URL
}

/// [`NOTICE`] when the company of `file` signs through the local sandbox, else `None`.
pub async fn notice(file: &CompanyFile) -> Result<Option<&'static str>> {
    Ok(fiscal::device(file.reader())
        .await?
        .filter(is_sandbox_device)
        .map(|_| NOTICE))
}

/// The secret store of a demo company file: a file beside it (see the module docs).
pub use crate::demo_support::secrets;

/// The e-TIMS sandbox the app runs for the demo company. Dropping it stops the server; keep it
/// for as long as the demo company is open.
#[derive(Debug)]
pub struct DemoSandbox {
    handle: SandboxHandle,
    /// The company it serves, registered in [`RUNNING`] while it runs.
    company_id: String,
}

/// The demo sandboxes running in this process, by company id: their base URL. A device stored
/// with [`SANDBOX_BASE_URL`] is reached through this ([`running_base_url`]), so a lookup or a
/// registration outside the outbox (the desktop's "Check at KRA", `hesabu etims lookup`) talks
/// to the same sandbox the demo's target does.
static RUNNING: std::sync::Mutex<std::collections::BTreeMap<String, String>> =
    std::sync::Mutex::new(std::collections::BTreeMap::new());

/// The base URL of the demo sandbox this process runs for `company_id`, if one runs.
pub fn running_base_url(company_id: &str) -> Option<String> {
    RUNNING
        .lock()
        .ok()
        .and_then(|running| running.get(company_id).cloned())
}

impl Drop for DemoSandbox {
    fn drop(&mut self) {
        if let Ok(mut running) = RUNNING.lock()
            && running.get(&self.company_id) == Some(&self.handle.legacy_base_url())
        {
            running.remove(&self.company_id);
        }
    }
}

impl DemoSandbox {
    /// Starts a sandbox on `127.0.0.1:0` that knows the company of `file` and the demo's
    /// customers ([`crate::demo_support::DEMO_CUSTOMERS`], and those pulled from the demo's
    /// local QuickBooks, [`crate::demo_support::pulled_taxpayers`]) as taxpayers, so KRA's answers carry their
    /// names and their PINs pass the pre-send PIN check (a PIN a person makes up in the demo
    /// is unknown, as it would be at KRA): the legacy gateway, made as strict as the integrator
    /// on numbering and line arithmetic, issuing [`DEMO_CMC_KEY`].
    pub async fn start(file: &CompanyFile) -> Result<DemoSandbox> {
        let company = company::load(file.reader()).await?;
        let mut taxpayers = vec![(company.kra_pin.clone(), company.legal_name.clone())];
        for (name, pin, _, _) in crate::demo_support::DEMO_CUSTOMERS {
            if let Some(pin) = pin {
                taxpayers.push((pin.to_owned(), name.to_owned()));
            }
        }
        // And the customers pulled from the demo's local QuickBooks sandbox.
        taxpayers.extend(crate::demo_support::pulled_taxpayers(file.reader()).await?);
        let config = SandboxConfig {
            profiles: vec![Profile::Legacy],
            seed: DEMO_SEED,
            cmc_key: Some(DEMO_CMC_KEY.to_owned()),
            taxpayers,
            strict_legacy: true,
            ..SandboxConfig::default()
        };
        let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
        let handle = Sandbox::start_with(loopback, config).await.map_err(|e| {
            Error::Unavailable(format!(
                "The demo's local e-TIMS sandbox could not listen on 127.0.0.1 ({e}). Check \
                 that loopback networking is allowed, then open the demo again."
            ))
        })?;
        if let Ok(mut running) = RUNNING.lock() {
            running.insert(company.id.clone(), handle.legacy_base_url());
        }
        Ok(DemoSandbox {
            handle,
            company_id: company.id,
        })
    }

    /// For an opened company file: when its device is the local sandbox's (the demo), a
    /// sandbox started and restored to what the file knows ([`DemoSandbox::restore`]);
    /// otherwise `None`, and nothing is started.
    pub async fn for_file(file: &CompanyFile) -> Result<Option<DemoSandbox>> {
        let Some(device) = fiscal::device(file.reader()).await? else {
            return Ok(None);
        };
        if !is_sandbox_device(&device) {
            return Ok(None);
        }
        let sandbox = DemoSandbox::start(file).await?;
        sandbox.restore(file, &device).await?;
        Ok(Some(sandbox))
    }

    /// The legacy gateway's base URL of the running sandbox (`http://127.0.0.1:PORT/etims-api/`).
    pub fn base_url(&self) -> String {
        self.handle.legacy_base_url()
    }

    /// The running sandbox, to look at what it received and signed.
    pub fn handle(&self) -> &SandboxHandle {
        &self.handle
    }

    fn client(&self, tin: &str, bhf_id: &str) -> Result<Client> {
        let config = ClientConfig::legacy(self.base_url(), tin, bhf_id).with_timeouts(timeouts());
        Client::new(config).map_err(|e| Error::Internal(format!("the demo's e-TIMS client: {e}")))
    }

    /// Seeding: initialises the company's device against this sandbox as a real device is
    /// initialised (spec §3): the key to the demo's secret store first, then what KRA answered
    /// in the company file, with [`SANDBOX_BASE_URL`] as its base URL. Set up by the system
    /// (no signed-in user), audited as `etims.device.init`.
    pub async fn init_device(&self, file: &CompanyFile) -> Result<DeviceView> {
        let company = company::load(file.reader()).await?;
        let client = self.client(&company.kra_pin, &company.branch_id)?;
        let reply = client.init(DEMO_SERIAL).await.map_err(|e| {
            client_error(
                "Could not initialise the demo's device at the local sandbox",
                &e,
            )
        })?;
        let mut info = reply.data.info;
        let key = info.cmc_key.take().ok_or_else(|| {
            Error::Internal("the local sandbox initialised the demo's device without a key".into())
        })?;
        secrets(file)
            .set(&cmc_key_name(&company.id), key.expose())
            .map_err(|e| Error::Unavailable(e.to_string()))?;
        let new = NewDevice {
            gateway: GatewayProfile::Legacy,
            base_url: SANDBOX_BASE_URL.to_owned(),
            token_url: None,
            consumer_key: None,
            tin: company.kra_pin.clone(),
            bhf_id: company.branch_id.clone(),
            dvc_srl_no: DEMO_SERIAL.to_owned(),
            dvc_id: info.dvc_id.clone(),
            sdc_id: info.sdc_id.clone(),
            mrc_no: info.mrc_no.clone(),
            taxpayer_name: info.taxpr_nm.clone(),
            branch_name: info.bhf_nm.clone(),
            init_info: {
                info.intrl_key = None;
                info.sign_key = None;
                serde_json::to_string(&info).ok()
            },
            key_source: "init",
            unused_band_rate: UnusedBandRate::default(),
        };
        let mut uow = file.begin_system().await?;
        let view = fiscal::save_device_in(&mut uow, &new, false).await?;
        uow.commit().await?;
        Ok(view)
    }

    /// A later run: brings this fresh sandbox up to what the company file knows (see the module
    /// docs): the device initialised again (the same fixed key, put back in the demo's secret
    /// store if it went missing), every signed submission replayed in `invcNo` order, then every
    /// stock movement KRA took in `sarNo` order. Returns how many were replayed.
    pub async fn restore(&self, file: &CompanyFile, device: &DeviceView) -> Result<usize> {
        let client = self.client(&device.tin, &device.bhf_id)?;
        let reply = client.init(&device.dvc_srl_no).await.map_err(|e| {
            client_error(
                "Could not set the demo's device up at the local sandbox",
                &e,
            )
        })?;
        let key = reply.data.info.cmc_key.ok_or_else(|| {
            Error::Internal("the local sandbox initialised the demo's device without a key".into())
        })?;
        let store = secrets(file);
        let name = cmc_key_name(&device.company_id);
        let stored = store
            .get(&name)
            .map_err(|e| Error::Unavailable(e.to_string()))?;
        if stored.as_deref() != Some(key.expose()) {
            store
                .set(&name, key.expose())
                .map_err(|e| Error::Unavailable(e.to_string()))?;
        }
        let client = client.with_cmc_key(key);
        let mut replayed = 0;
        for invc_no in 1..=device.last_invc_no {
            let Some(signed) =
                fiscal::submission_by_number(file.reader(), &device.tin, &device.bhf_id, invc_no)
                    .await?
                    .filter(|s| s.state == FiscalState::Signed)
            else {
                continue;
            };
            client
                .save_sale_json(&signed.request_json)
                .await
                .map_err(|e| {
                    client_error(
                        &format!(
                            "The demo's local e-TIMS sandbox refused invoice number {invc_no} \
                             ({}) when it was replayed; sales will wait in the sync queue",
                            signed
                                .document_number
                                .as_deref()
                                .unwrap_or(&signed.document_id)
                        ),
                        &e,
                    )
                })?;
            replayed += 1;
        }
        // Then the stock movements KRA took, in sarNo order (its third counter, spec §10).
        replayed += super::stock::replay_sent(file, &client).await?;
        Ok(replayed)
    }

    /// `base` plus the `etims` target of the demo's device, talking to this sandbox (the
    /// device's stored base URL, the marker, replaced by the running address).
    pub async fn targets(&self, file: &CompanyFile, base: &Targets) -> Result<Targets> {
        let mut device = fiscal::device(file.reader()).await?.ok_or_else(|| {
            Error::Internal("the demo company has no e-TIMS device to serve".into())
        })?;
        device.base_url = self.base_url();
        let client = device::client_of(&device, &secrets(file), timeouts())?;
        let mut targets = base.clone();
        targets.add(Arc::new(EtimsTarget::new(file.clone(), client)));
        Ok(targets)
    }

    /// Seeding: drains the outbox of `file` through this sandbox until nothing more is due
    /// (the real drainer and fiscal flow; crash recovery first, as at start-up).
    pub async fn drain(&self, file: &CompanyFile) -> Result<DrainSummary> {
        let targets = self.targets(file, &Targets::new()).await?;
        let drainer = Drainer::new(file.clone(), targets, Arc::new(TokioSleeper))?;
        drainer.recover().await?;
        drainer.drain_until_idle().await
    }
}
