//! The demo company's QuickBooks: a local sandbox (`hesabu-qbo-sandbox`, a **test double of
//! QuickBooks Online, not Intuit's QuickBooks**) that the app runs inside itself, on loopback,
//! for the demo company only. Its customers, items and invoices are made up and nothing reaches
//! Intuit; the QuickBooks page, `hesabu qbo status` and each sale's QuickBooks block say so.
//!
//! - **Seeding** ([`DemoQbo::connect`], called by `crate::demo::connect_local_quickbooks`): the
//!   sandbox starts seeded with a handful of Kenyan customers, items, invoices, a credit memo and
//!   cash sales ([`DEMO_SEED`], the sandbox's own seed module), and the demo company connects to
//!   it through the real paste-back flow: `configure`, `authorize_url` (a random `state` kept in
//!   the company file), the sandbox's consent page (read here, as the browser would), then
//!   `connect_paste` checking the `state` and exchanging the code. The client secret and the
//!   tokens go to the demo's secret store exactly as a real connection keeps them.
//! - **Its endpoints are a marker.** The sandbox listens on `127.0.0.1:0`, so its port changes
//!   every run; the connection row keeps [`SANDBOX_BASE_URL`] (`sandbox:local-qbo`) and
//!   `qbo::stored` puts the running sandbox's address in ([`running_base_url`], a registry per
//!   process like the e-TIMS demo's). A real connection (http(s) endpoints) never gets one.
//! - **Each later run** ([`DemoQbo::for_file`]) the sandbox is seeded again, not restored from a
//!   file: the seed is deterministic (the same ids, names, lines and amounts every run) and the
//!   only changes the demo's QuickBooks ever sees are Hesabu's own write-backs, which the company
//!   file records (`qbo_push`: the file name, the attachment, the sparse update's body). So the
//!   fresh sandbox is brought up to what the file knows: connected again (a new grant; only the
//!   tokens in the demo's secret store change, the company file does not), then every recorded
//!   write-back replayed (the receipt uploaded again, the ETR note and CU number written again),
//!   so the invoices show their ETR details and their `SyncToken`s match the mirror's (the next
//!   pull sees its own echoes). Why not persist the sandbox's state beside the file: copying the
//!   `.hesabu` file alone would then lose it, and a second file could disagree with the company
//!   file after a crash; replaying from the file cannot. Simplifications: the seeded objects'
//!   dates move with the day the demo is opened (the sandbox dates its seed back from then),
//!   and the sandbox's clock is the app's clock at that moment, standing still while it runs
//!   (its answers' `time`, hence the pull's watermark, stay at the moment the demo opened; a
//!   pull simply sees its own write-backs again, as unchanged).
//! - **The secret store** is the demo's own file beside the company file
//!   (`crate::demo_support::secrets`), never the OS keyring: the tokens are a test
//!   double's, and the demo leaves nothing in a person's keyring.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hesabu_qbo::entities::{CreditMemo, Invoice, SalesReceipt};
use hesabu_qbo::oauth::SCOPE_ACCOUNTING;
use hesabu_qbo::{PendingAuthorization, RequestId, Upload};
use hesabu_qbo_sandbox::{Sandbox, SandboxOptions, Seed};
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::{Error, Result};
use hesabu_store::outbox::Targets;
use hesabu_store::secrets::SecretStore;
use sea_orm::ConnectionTrait;

use super::{ConnectMode, ConnectionSettings, ConnectionView, PinSource, stmt, text, val};

/// What the demo connection's endpoints hold: not an address, the sign that the app's own
/// local sandbox serves it (see the module docs).
pub const SANDBOX_BASE_URL: &str = "sandbox:local-qbo";

/// What the app tells people about a company whose QuickBooks is the local sandbox.
pub const NOTICE: &str = "Demo company: this QuickBooks is a local sandbox running inside \
                          Hesabu (a test double of QuickBooks Online), not Intuit's QuickBooks. \
                          Its customers, items and invoices are made up, and nothing is sent to \
                          Intuit.";

/// Why the demo's QuickBooks cannot be reached from this process.
pub const NOT_RUNNING: &str = "The demo company's QuickBooks is a local sandbox that runs only \
                               while the demo is open in Hesabu or during a `hesabu qbo`, `sync` \
                               or `jobs` command for it; it is not running in this process. \
                               Open the demo in the desktop, or run the command again.";

/// The demo's QuickBooks company: a handful of each (the sandbox's seed module names them).
pub const DEMO_SEED: Seed = Seed {
    customers: 4,
    items: 5,
    invoices: 4,
    credit_memos: 1,
    sales_receipts: 2,
};

/// The redirect the demo's consent page answers to. Nothing listens there: the app reads the
/// consent page's answer itself; a person connecting again by hand pastes the address their
/// browser shows.
pub const DEMO_REDIRECT: &str = "http://127.0.0.1/qbo/callback";

/// Calls to the local sandbox: loopback, so anything slower than this is a fault.
const TIMEOUT: Duration = Duration::from_secs(10);

/// How fast the app's client may call the demo's sandbox: it has no limits (Intuit's, 10 a
/// second and 500 a minute, are for Intuit's servers), so a request a millisecond.
pub const RATE_LIMITS: hesabu_qbo::RateLimits = hesabu_qbo::RateLimits {
    per_second: 1000,
    per_minute: 60_000,
};

/// Whether `api_base` is the marker of the demo's local sandbox.
pub fn is_marker(api_base: &str) -> bool {
    api_base.trim().starts_with(SANDBOX_BASE_URL)
}

/// The QuickBooks sandboxes running in this process for demo companies, by company id: their
/// base URL.
static RUNNING: std::sync::Mutex<std::collections::BTreeMap<String, String>> =
    std::sync::Mutex::new(std::collections::BTreeMap::new());

/// The base URL of the demo QuickBooks sandbox this process runs for `company_id`, if one runs.
pub fn running_base_url(company_id: &str) -> Option<String> {
    RUNNING
        .lock()
        .ok()
        .and_then(|running| running.get(company_id).cloned())
}

/// [`NOTICE`] when the company of `file` is connected (or set up) to the local sandbox.
pub async fn notice(file: &CompanyFile) -> Result<Option<&'static str>> {
    Ok(super::stored(file.reader())
        .await?
        .filter(|s| s.local_sandbox)
        .map(|_| NOTICE))
}

/// The customers pulled from the demo's local QuickBooks that have a KRA PIN: (PIN, name). The
/// demo's e-TIMS sandbox knows them as taxpayers, as KRA knows real customers.
pub async fn taxpayers(db: &impl ConnectionTrait) -> Result<Vec<(String, String)>> {
    let local = super::stored(db).await?.is_some_and(|s| s.local_sandbox);
    if !local {
        return Ok(Vec::new());
    }
    crate::demo_support::pulled_taxpayers(db).await
}

/// The QuickBooks sandbox the app runs for the demo company. Dropping it stops the server; keep
/// it for as long as the demo company is open.
#[derive(Debug)]
pub struct DemoQbo {
    sandbox: Sandbox,
    /// The company it serves, registered in [`RUNNING`] while it runs.
    company_id: String,
}

impl Drop for DemoQbo {
    fn drop(&mut self) {
        if let Ok(mut running) = RUNNING.lock()
            && running.get(&self.company_id) == Some(&self.sandbox.base_url())
        {
            running.remove(&self.company_id);
        }
    }
}

impl DemoQbo {
    /// Starts a sandbox on `127.0.0.1:0` seeded with [`DEMO_SEED`] (the same company every run,
    /// dated back from the app's clock) and registers it as the demo company's QuickBooks in
    /// this process.
    pub async fn start(file: &CompanyFile) -> Result<DemoQbo> {
        let company = hesabu_core::company::load(file.reader()).await?;
        let options = SandboxOptions {
            seed: DEMO_SEED,
            // The app's clock, not the wall clock: the seed is dated from the app's "now".
            now: Some(file.clock().now()),
            ..SandboxOptions::default()
        };
        let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
        let sandbox = Sandbox::start_with(loopback, options).await.map_err(|e| {
            Error::Unavailable(format!(
                "The demo's local QuickBooks sandbox could not listen on 127.0.0.1 ({e}). Check \
                 that loopback networking is allowed, then open the demo again."
            ))
        })?;
        if let Ok(mut running) = RUNNING.lock() {
            running.insert(company.id.clone(), sandbox.base_url());
        }
        Ok(DemoQbo {
            sandbox,
            company_id: company.id,
        })
    }

    /// For an opened company file: when its QuickBooks connection is the local sandbox's (the
    /// demo), a sandbox started and brought up to what the file knows ([`DemoQbo::restore`]);
    /// otherwise `None`, and nothing is started.
    pub async fn for_file(file: &CompanyFile) -> Result<Option<DemoQbo>> {
        let Some(s) = super::stored(file.reader()).await? else {
            return Ok(None);
        };
        if !s.local_sandbox {
            return Ok(None);
        }
        let demo = DemoQbo::start(file).await?;
        demo.restore(file).await?;
        Ok(Some(demo))
    }

    /// The running sandbox's base URL (`http://127.0.0.1:PORT`).
    pub fn base_url(&self) -> String {
        self.sandbox.base_url()
    }

    /// The running sandbox, to look at what it holds and received.
    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    /// The demo's secret store (its tokens and the sandbox's client secret).
    fn secrets(file: &CompanyFile) -> Arc<dyn SecretStore> {
        Arc::new(crate::demo_support::secrets(file))
    }

    /// Seeding: connects the demo company to this sandbox through the real paste-back flow (see
    /// the module docs), as `admin` (an administrator: setting up and connecting are theirs).
    /// Audited as `qbo.configure`, `qbo.authorize` and `qbo.connect`.
    pub async fn connect(&self, file: &CompanyFile, admin: &Session) -> Result<ConnectionView> {
        let secrets = Self::secrets(file);
        let settings = ConnectionSettings {
            mode: ConnectMode::Paste,
            client_id: Some(self.sandbox.client_id()),
            broker_url: None,
            redirect_uri: DEMO_REDIRECT.into(),
            base_url: Some(SANDBOX_BASE_URL.into()),
            sandbox: true,
            cu_field: Some("1".into()),
            pin_source: PinSource::TaxId,
        };
        super::configure(
            file,
            admin,
            secrets.as_ref(),
            &settings,
            Some(&self.sandbox.client_secret()),
        )
        .await?;
        let url = super::authorize_url(file, admin).await?;
        let pasted = consent(&url).await?;
        super::connect_paste(file, admin, secrets, &pasted).await
    }

    /// A later run: brings this fresh sandbox up to what the company file knows (see the module
    /// docs): connected again when the file is connected, then every recorded write-back
    /// replayed. Returns how many write-backs were replayed.
    pub async fn restore(&self, file: &CompanyFile) -> Result<usize> {
        let s = super::require_stored(file.reader()).await?;
        let Some(realm) = s.realm_id.clone() else {
            // Set up but disconnected: the sandbox runs, so a person can connect again.
            return Ok(0);
        };
        if realm != self.sandbox.realm_id() {
            return Err(Error::Conflict(format!(
                "The demo is connected to QuickBooks company {realm}, but its local sandbox \
                 serves company {}: disconnect QuickBooks in the demo and connect again.",
                self.sandbox.realm_id()
            )));
        }
        let secrets = Self::secrets(file);
        // The sandbox's client secret is fixed: put it back if the demo's store lost it.
        let name = super::client_secret_name(&s.company_id);
        let secret = self.sandbox.client_secret();
        if secrets
            .get(&name)
            .map_err(|e| Error::Unavailable(e.to_string()))?
            .as_deref()
            != Some(secret.as_str())
        {
            secrets
                .set(&name, &secret)
                .map_err(|e| Error::Unavailable(e.to_string()))?;
        }
        // A new grant: the consent page answers at once; the code is exchanged once and the
        // tokens replace the previous run's (which this sandbox never issued).
        let tokens = super::token_manager(&s, secrets.clone(), file.clock().clone())?;
        let client_id = s.client_id.clone().unwrap_or_default();
        let pending = PendingAuthorization::begin(
            &s.endpoints.authorize_url,
            &client_id,
            &s.redirect_uri,
            &[SCOPE_ACCOUNTING],
            None,
        )
        .map_err(super::qbo_error)?;
        let redirect = consent(&pending.url).await?;
        let code = pending
            .complete(&redirect)
            .map_err(|e| Error::Internal(format!("the demo's local QuickBooks consent: {e}")))?;
        tokens.connect(&code).await.map_err(super::qbo_error)?;
        self.replay(file, &realm).await
    }

    /// Replays the write-backs the file recorded, oldest first: each receipt uploaded again
    /// (same file name, linked to the same transaction) and each finished update sent again
    /// with its recorded body on the transaction's current `SyncToken`.
    async fn replay(&self, file: &CompanyFile, realm: &str) -> Result<usize> {
        let Some(qbo) = super::open(file, Self::secrets(file)).await? else {
            return Ok(0);
        };
        let rows = file
            .reader()
            .query_all_raw(stmt(
                "SELECT document_id FROM qbo_push WHERE realm_id = ? ORDER BY created_at, \
                 document_id",
                vec![val(realm)],
            ))
            .await?;
        let mut replayed = 0;
        for r in rows {
            let Some(document_id) = text(&r, "document_id")? else {
                continue;
            };
            let Some(push) = super::push::row(file.reader(), &document_id).await? else {
                continue;
            };
            let failed = |what: &str, e: hesabu_qbo::Error| {
                Error::Unavailable(format!(
                    "The demo's local QuickBooks sandbox refused the replayed {what} of {} {}: \
                     {e}",
                    push.entity, push.qbo_id
                ))
            };
            if push.attachable_id.is_some()
                && let Some(pdf) = stored_receipt(file, &document_id).await?
            {
                let mut upload = Upload::pdf_for(&push.entity, &push.qbo_id, &push.file_name, pdf);
                upload.note = Some(format!("KRA eTIMS receipt ({})", push.file_name));
                let request = RequestId::new(push.upload_request_id.clone())
                    .map_err(|e| failed("upload", e))?;
                qbo.client
                    .upload(&upload, &request)
                    .await
                    .map_err(|e| failed("upload", e))?;
            }
            if push.state == "done"
                && let (Some(body), Some(request_id)) = (&push.update_body, &push.update_request_id)
            {
                let fields: serde_json::Value = serde_json::from_str(body)
                    .map_err(|e| Error::Internal(format!("qbo_push.update_body: {e}")))?;
                let request =
                    RequestId::new(request_id.clone()).map_err(|e| failed("update", e))?;
                let token = self.current_token(&push.entity, &push.qbo_id);
                let id = push.qbo_id.as_str();
                let client = &qbo.client;
                match push.entity.as_str() {
                    "Invoice" => client
                        .sparse_update::<Invoice>(id, &token, &fields, &request)
                        .await
                        .map(|_| ()),
                    "SalesReceipt" => client
                        .sparse_update::<SalesReceipt>(id, &token, &fields, &request)
                        .await
                        .map(|_| ()),
                    _ => client
                        .sparse_update::<CreditMemo>(id, &token, &fields, &request)
                        .await
                        .map(|_| ()),
                }
                .map_err(|e| failed("update", e))?;
            }
            replayed += 1;
        }
        Ok(replayed)
    }

    /// The `SyncToken` the sandbox holds for an object now ("0" when it cannot tell).
    fn current_token(&self, entity: &str, id: &str) -> String {
        self.sandbox
            .object(entity, id)
            .and_then(|json| serde_json::from_str::<serde_json::Value>(&json).ok())
            .and_then(|v| {
                v.get(entity)
                    .and_then(|o| o.get("SyncToken"))
                    .or_else(|| v.get("SyncToken"))
                    .and_then(|t| t.as_str())
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| "0".into())
    }

    /// `base` plus the `qbo` target of the demo's connection, talking to this sandbox.
    pub async fn targets(&self, file: &CompanyFile, base: &Targets) -> Result<Targets> {
        let mut targets = base.clone();
        if let Some(target) = super::push::QboTarget::for_file(file, Self::secrets(file)).await? {
            targets.add(Arc::new(target));
        }
        Ok(targets)
    }
}

/// The receipt PDF the first write-back attached (the stored original A4), if stored.
async fn stored_receipt(file: &CompanyFile, document_id: &str) -> Result<Option<Vec<u8>>> {
    let Some(row) = file
        .reader()
        .query_one_raw(stmt(
            "SELECT pdf FROM receipt_original WHERE document_id = ? AND format = 'a4'",
            vec![val(document_id)],
        ))
        .await?
    else {
        return Ok(None);
    };
    row.try_get::<Vec<u8>>("", "pdf")
        .map(Some)
        .map_err(|e| Error::Internal(format!("receipt_original.pdf: {e}")))
}

/// What the browser's address bar shows after the local sandbox's consent page: it consents at
/// once and redirects to the registered address with `code`, `state` and `realmId`. Asked over
/// a plain loopback HTTP/1.1 request: the sandbox is `http://127.0.0.1:PORT`, and a TLS-capable
/// client costs more to build than the whole exchange.
async fn consent(url: &str) -> Result<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let unreachable = |e: &dyn std::fmt::Display| {
        Error::Unavailable(format!(
            "The demo's local QuickBooks sandbox did not answer its consent page ({e}): open the \
             demo again."
        ))
    };
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| Error::Internal(format!("the demo's consent page is not local: {url}")))?;
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(authority).await?;
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await?;
        Ok::<_, std::io::Error>(answer)
    };
    let answer = tokio::time::timeout(TIMEOUT, exchange)
        .await
        .map_err(|e| unreachable(&e))?
        .map_err(|e| unreachable(&e))?;
    let answer = String::from_utf8_lossy(&answer);
    let head = answer.split("\r\n\r\n").next().unwrap_or_default();
    head.lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.trim()
                .eq_ignore_ascii_case("location")
                .then(|| value.trim().to_owned())
        })
        .ok_or_else(|| {
            Error::Internal(format!(
                "the demo's local QuickBooks consent page answered without a redirect: {}",
                head.lines().next().unwrap_or_default()
            ))
        })
}
