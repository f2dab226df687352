//! A local e-TIMS OSCU sandbox: a test double of KRA's API, for tests and for the demo. It is
//! **not KRA**: nothing sent here is declared to anyone, and its signatures are made up (from a
//! seed, deterministically). The contract it follows is `shared/specs/etims-oscu.md` (section
//! numbers below are its), on both gateways the client speaks (`hesabu_etims::Gateway`):
//!
//! - **legacy**: flat spec paths under `/etims-api/`, the `tin`/`bhfId`/`cmcKey` headers, the bare
//!   envelope, lenient validation (any unused `invcNo`; no line arithmetic unless
//!   [`SandboxConfig::strict_legacy`]);
//! - **integrator** (GavaConnect): an OAuth client-credentials token, renamed paths under
//!   `/etims-oscu/api/v1/`, the wrapped envelope, strict validation answered as HTTP 400 with
//!   KRA's "Expected X but found Y" wording.
//!
//! Both gateways share one in-memory KRA, as the real ones share KRA's back end.
//!
//! Use it in-process with [`Sandbox::start`] (bind `127.0.0.1:0`) and drive failures through
//! the [`SandboxHandle`]: [`Fault`]s for the next calls (dropped connections, HTTP 5xx, chosen
//! result codes, "accept then drop the answer", latency), and the record of what was received
//! and signed. Or run the `hesabu-etims-sandbox` binary for the demo.
//!
//! Modules: `kra` (the state and dispatch), `reference` (code lists, item classes, notices, the
//! PIN table), `masters` (items, branch customers/users/insurers, imports), `sales` (sales and
//! credit notes: validation, signing, lookups), `stock` (stock and purchases), `sign` (the
//! seeded made-up values), `faults`, `clock`, `server` (HTTP, gateways, token endpoint).

mod clock;
mod faults;
mod kra;
mod masters;
mod reference;
mod sales;
mod seeds;
mod server;
mod sign;
mod stock;

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hesabu_etims::types::reference::{Code, ItemClass, Notice};
use hesabu_etims::types::sales::SaveSaleData;
use hesabu_etims::{ClientConfig, Endpoint, IntegratorAuth, Secret};
use rust_decimal::Decimal;
use serde::Serialize;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use clock::{ManualClock, SandboxClock, SystemClock};
pub use faults::{Fault, ReceivedCall};
pub use reference::{ACTIVE_PIN, INACTIVE_PIN};

use crate::kra::{Kra, Settings};
use crate::reference::Stamped;
use crate::server::{CuttableListener, Shared};

/// Which gateway a call came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    Legacy,
    Integrator,
}

impl Profile {
    pub const BOTH: [Profile; 2] = [Profile::Legacy, Profile::Integrator];
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Profile::Legacy => "legacy",
            Profile::Integrator => "integrator",
        })
    }
}

impl FromStr for Profile {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "legacy" => Ok(Profile::Legacy),
            "integrator" | "gavaconnect" => Ok(Profile::Integrator),
            other => Err(format!(
                "{other:?} is not an e-TIMS gateway: use legacy or integrator"
            )),
        }
    }
}

/// How a sandbox behaves; [`SandboxConfig::default`] serves both gateways on the wall clock.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// The gateways served; a call to another answers 404.
    pub profiles: Vec<Profile>,
    /// Everything made up (keys, ids, tokens, signatures) derives from it.
    pub seed: u64,
    /// Issue this `cmcKey` to every device instead of a derived one.
    pub cmc_key: Option<String>,
    /// Any well-formed PIN may initialise a device (branches `00` and `01`), registering a
    /// taxpayer on the way; otherwise only [`SandboxConfig::taxpayers`] may.
    pub open_registration: bool,
    /// Taxpayers known from the start: (PIN, name).
    pub taxpayers: Vec<(String, String)>,
    /// The integrator's consumer key and secret (HTTP Basic on the token endpoint).
    pub consumer_key: String,
    pub consumer_secret: String,
    /// How long a bearer token lives (Apigee's default is about an hour).
    pub token_lifetime: Duration,
    /// Make the legacy gateway as strict as the integrator on numbering (`invcNo`, `sarNo` +1)
    /// and check its lines on the exclusive price basis. Off by default: the legacy sandbox
    /// accepted arbitrary numbers in peers' tests (spec §11.3).
    pub strict_legacy: bool,
    pub clock: Arc<dyn SandboxClock>,
}

/// The consumer key of [`SandboxConfig::default`].
pub const CONSUMER_KEY: &str = "hesabu-sandbox-consumer-key";
/// The consumer secret of [`SandboxConfig::default`].
pub const CONSUMER_SECRET: &str = "hesabu-sandbox-consumer-secret";

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            profiles: Profile::BOTH.to_vec(),
            seed: 0,
            cmc_key: None,
            open_registration: true,
            taxpayers: Vec::new(),
            consumer_key: CONSUMER_KEY.to_owned(),
            consumer_secret: CONSUMER_SECRET.to_owned(),
            token_lifetime: Duration::from_secs(3599),
            strict_legacy: false,
            clock: Arc::new(SystemClock),
        }
    }
}

/// A sale or credit note the sandbox signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedSale {
    pub tin: String,
    pub bhf_id: String,
    pub invc_no: u64,
    pub rcpt_ty_cd: String,
    pub org_invc_no: u64,
    pub trd_invc_no: String,
    pub signature: SaveSaleData,
    /// The request body exactly as received.
    pub request_json: String,
}

/// Starts sandboxes.
#[derive(Debug)]
pub struct Sandbox;

impl Sandbox {
    /// Serves both gateways at `addr` (use `127.0.0.1:0` in tests) with the default config.
    pub async fn start(addr: SocketAddr) -> std::io::Result<SandboxHandle> {
        Sandbox::start_with(addr, SandboxConfig::default()).await
    }

    pub async fn start_with(
        addr: SocketAddr,
        config: SandboxConfig,
    ) -> std::io::Result<SandboxHandle> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let settings = Settings {
            seed: config.seed,
            cmc_key: config.cmc_key.clone(),
            open_registration: config.open_registration,
            consumer_key: config.consumer_key.clone(),
            consumer_secret: config.consumer_secret.clone(),
            token_lifetime_secs: config.token_lifetime.as_secs(),
            strict_legacy: config.strict_legacy,
        };
        let mut kra = Kra::new(settings, config.clock.clone());
        for (tin, name) in &config.taxpayers {
            kra.register_taxpayer(tin, name);
        }
        let shared = Arc::new(Shared {
            kra: Mutex::new(kra),
            profiles: config.profiles.clone(),
        });
        let app =
            server::router(shared.clone()).into_make_service_with_connect_info::<server::Peer>();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(CuttableListener(listener), app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(SandboxHandle {
            addr,
            shared,
            consumer_key: config.consumer_key,
            consumer_secret: config.consumer_secret,
            stop: Some(stop),
            task,
        })
    }
}

/// A running sandbox: its addresses, and the controls tests use. Dropping it stops the server.
#[derive(Debug)]
pub struct SandboxHandle {
    addr: SocketAddr,
    shared: Arc<Shared>,
    consumer_key: String,
    consumer_secret: String,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl SandboxHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR/etims-api/`: the legacy gateway's base URL.
    pub fn legacy_base_url(&self) -> String {
        format!("http://{}/etims-api/", self.addr)
    }

    /// `http://ADDR/etims-oscu/api/v1`: the integrator gateway's base URL.
    pub fn integrator_base_url(&self) -> String {
        format!("http://{}/etims-oscu/api/v1", self.addr)
    }

    /// The integrator's token URL.
    pub fn token_url(&self) -> String {
        format!(
            "http://{}/v1/token/generate?grant_type=client_credentials",
            self.addr
        )
    }

    pub fn base_url(&self, profile: Profile) -> String {
        match profile {
            Profile::Legacy => self.legacy_base_url(),
            Profile::Integrator => self.integrator_base_url(),
        }
    }

    /// The credentials this sandbox's token endpoint accepts.
    pub fn integrator_auth(&self) -> IntegratorAuth {
        IntegratorAuth {
            token_url: self.token_url(),
            consumer_key: self.consumer_key.clone(),
            consumer_secret: Secret::new(self.consumer_secret.clone()),
            apigee_app_id: None,
        }
    }

    /// A client configuration for a device of `tin` / `bhf_id` on this sandbox (no key yet).
    pub fn client_config(&self, profile: Profile, tin: &str, bhf_id: &str) -> ClientConfig {
        match profile {
            Profile::Legacy => ClientConfig::legacy(self.legacy_base_url(), tin, bhf_id),
            Profile::Integrator => ClientConfig::integrator(
                self.integrator_base_url(),
                tin,
                bhf_id,
                self.integrator_auth(),
            ),
        }
    }

    fn kra(&self) -> std::sync::MutexGuard<'_, Kra> {
        self.shared.kra.lock().unwrap()
    }

    // ---- faults ---------------------------------------------------------------------------------

    /// The next `times` e-TIMS calls (any endpoint) fail with `fault`.
    pub fn fail_next(&self, times: usize, fault: Fault) {
        self.kra().faults.push(faults::FaultRule {
            endpoint: None,
            fault,
            remaining: times,
        });
    }

    /// The next `times` calls to `endpoint` fail with `fault`.
    pub fn fail_next_on(&self, endpoint: Endpoint, times: usize, fault: Fault) {
        self.kra().faults.push(faults::FaultRule {
            endpoint: Some(endpoint),
            fault,
            remaining: times,
        });
    }

    /// Forgets every armed fault.
    pub fn clear_faults(&self) {
        self.kra().faults.clear();
    }

    /// Every e-TIMS call waits this long before it is handled.
    pub fn set_latency(&self, latency: Duration) {
        self.kra().latency = latency;
    }

    /// Every bearer token issued so far stops working (the client must fetch a new one).
    pub fn expire_tokens(&self) {
        self.kra().tokens.clear();
    }

    // ---- what happened ------------------------------------------------------------------------------

    /// Every e-TIMS call received, in order (not the token requests).
    pub fn received(&self) -> Vec<ReceivedCall> {
        self.kra().received.clone()
    }

    /// How many calls `endpoint` received, on either gateway.
    pub fn count(&self, endpoint: Endpoint) -> usize {
        self.kra()
            .received
            .iter()
            .filter(|r| r.endpoint == endpoint)
            .count()
    }

    /// Every sale and credit note signed, in signing order.
    pub fn signed_sales(&self) -> Vec<SignedSale> {
        self.kra().signed.clone()
    }

    /// How many bearer tokens the token endpoint issued.
    pub fn tokens_issued(&self) -> u64 {
        self.kra().tokens_issued
    }

    /// KRA's stock ledger of one item of one device (from `insertStockIO`).
    pub fn stock_of(&self, tin: &str, bhf_id: &str, item_cd: &str) -> Option<Decimal> {
        self.kra()
            .devices
            .get(&(tin.to_owned(), bhf_id.to_owned()))?
            .stock
            .get(item_cd)
            .copied()
    }

    /// The purchases KRA holds as confirmed for one device (`insertTrnsPurchase`), by their
    /// `invcNo` (the device's purchase counter): each body exactly as received.
    pub fn purchases_of(&self, tin: &str, bhf_id: &str) -> BTreeMap<u64, String> {
        self.kra()
            .devices
            .get(&(tin.to_owned(), bhf_id.to_owned()))
            .map(|d| {
                d.purchases
                    .iter()
                    .map(|(n, p)| (*n, p.value.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The components KRA holds for a composite item (`saveItemComposition`): component
    /// `itemCd` → quantity.
    pub fn composition_of(&self, tin: &str, item_cd: &str) -> BTreeMap<String, Decimal> {
        let kra = self.kra();
        let Some(taxpayer) = kra.taxpayers.get(tin) else {
            return BTreeMap::new();
        };
        taxpayer
            .compositions
            .iter()
            .filter(|((item, _), _)| item == item_cd)
            .map(|((_, component), qty)| (component.clone(), *qty))
            .collect()
    }

    /// An insurer KRA holds for a device (`saveBhfInsurance`): name, rate and `useYn`.
    pub fn insurance_of(
        &self,
        tin: &str,
        bhf_id: &str,
        isrcc_cd: &str,
    ) -> Option<(String, Decimal, String)> {
        let kra = self.kra();
        let i = &kra
            .devices
            .get(&(tin.to_owned(), bhf_id.to_owned()))?
            .insurances
            .get(isrcc_cd)?
            .value;
        Some((i.isrcc_nm.clone(), i.isrc_rt, i.use_yn.clone()))
    }

    /// An imported item's status at KRA (class 26) and the `itemCd` it was mapped to.
    pub fn import_status(
        &self,
        tin: &str,
        bhf_id: &str,
        task_cd: &str,
        item_seq: u32,
    ) -> Option<(String, Option<String>)> {
        let kra = self.kra();
        kra.devices
            .get(&(tin.to_owned(), bhf_id.to_owned()))?
            .imports
            .iter()
            .find(|i| i.value.task_cd == task_cd && i.value.item_seq == item_seq)
            .map(|i| (i.value.impt_item_stts_cd.clone(), i.value.item_cd.clone()))
    }

    // ---- KRA's side changing ------------------------------------------------------------------------

    /// Registers a taxpayer (branches `00` and `01`) under a name of the test's choosing.
    pub fn register_taxpayer(&self, tin: &str, name: &str) {
        self.kra().register_taxpayer(tin, name);
    }

    /// KRA publishes a notice; returns its number.
    pub fn publish_notice(&self, title: &str, content: &str) -> u64 {
        let mut kra = self.kra();
        let at = kra.change_stamp();
        let number = kra.reference.notices.len() as u64 + 1;
        kra.reference.notices.push(Stamped::new(
            at,
            Notice {
                notice_no: Some(number),
                title: Some(title.to_owned()),
                cont: Some(content.to_owned()),
                dtl_url: None,
                regr_nm: Some("KRA".to_owned()),
                reg_dt: Some(clock::compact(at)),
            },
        ));
        number
    }

    /// KRA adds or changes one code of class `cls` (named `cls_nm` if the class is new).
    pub fn put_code(&self, cls: &str, cls_nm: &str, code: Code) {
        let mut kra = self.kra();
        let at = kra.change_stamp();
        kra.reference.put_code(at, cls, cls_nm, code);
    }

    /// KRA adds or changes an item classification.
    pub fn put_item_class(&self, class: ItemClass) {
        let mut kra = self.kra();
        let at = kra.change_stamp();
        kra.reference
            .item_classes
            .retain(|c| c.value.item_cls_cd != class.item_cls_cd);
        kra.reference.item_classes.push(Stamped::new(at, class));
    }

    /// Stops serving (connections in flight are given a moment to finish).
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = tokio::time::timeout(Duration::from_secs(2), &mut self.task).await;
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task.abort();
    }
}
