//! QuickBooks Online in the product: one connection per company file, pulling QuickBooks'
//! sales into the ledger, and pushing KRA's signature back. See docs/quickbooks.md; the contract
//! is `shared/specs/quickbooks-online.md` (section numbers below refer to it).
//!
//! - this module: the connection (§1) — settings in the company file (`qbo_connection`: realm,
//!   connect mode, endpoints, the custom field for the CU invoice number, where customers' KRA
//!   PINs come from), tokens and the client secret only in the secret store; the authorize URL,
//!   connecting by paste-back or a loopback listener, status with the reconnect warning,
//!   disconnect (revoke and wipe). Every change is audited.
//! - [`mapping`]: QuickBooks objects onto the ledger's inputs (`hesabu_core::sales::synced`),
//!   the tax-code mapping, the content fingerprint.
//! - [`pull`]: initial load, CDC with overlap, truncated windows, the 30-day fallback with
//!   deletion reconciliation, echo suppression, the review list.
//! - [`push`]: the ETR write-back (§4–§5) as resumable steps, and [`push::QboTarget`], the
//!   outbox target `qbo`.
//! - [`broker`]: the stateless token broker a firm hosts (`hesabu qbo broker`).
//! - [`document`]: one sale's QuickBooks transaction, write-back state in words and link.
//! - [`demo_sandbox`]: the demo company's local QuickBooks sandbox (a test double of
//!   QuickBooks Online, not Intuit's), run in-process; its connection's endpoints are the marker
//!   `sandbox:local-qbo`, resolved here ([`stored`]) to the running sandbox's address.

pub mod broker;
pub mod demo_sandbox;
pub mod document;
pub mod mapping;
mod prefetch;
pub mod pull;
pub mod push;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use hesabu_qbo::oauth::{LoopbackListener, SCOPE_ACCOUNTING};
use hesabu_qbo::{
    Client, ClientConfig, Endpoints, PendingAuthorization, TokenManager, TokenService,
};
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement, Value};
use serde::{Deserialize, Serialize};
use serde_json::json;
use ts_rs::TS;

use hesabu_store::audit::AuditDraft;
use hesabu_store::auth::Session;
use hesabu_store::clock::SharedClock;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::{Error, Result};
use hesabu_store::permissions::Permission;
use hesabu_store::secrets::SecretStore;

pub use push::QboTarget;

/// The outbox target name of the push-back.
pub const QBO_TARGET: &str = "qbo";

/// How long before the refresh token's expiry (hard cap or rolling window) status warns.
pub const RECONNECT_WARNING: Duration = Duration::from_secs(30 * 86_400);

/// How the company connects (spec §1.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ConnectMode {
    /// The firm's own Intuit app: client id here, the secret in the secret store.
    Direct,
    /// The browser lands on the firm's https page; the user pastes the address back. The code
    /// is exchanged directly (the secret in the secret store).
    Paste,
    /// Exchange, refresh and revoke go through a broker that holds the secret.
    Broker,
}

impl ConnectMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectMode::Direct => "direct",
            ConnectMode::Paste => "paste",
            ConnectMode::Broker => "broker",
        }
    }

    /// Reads `direct`, `paste` (or `paste-back`), `broker`.
    pub fn parse(text: &str) -> Result<Self> {
        match text.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "direct" => Ok(ConnectMode::Direct),
            "paste" | "paste-back" => Ok(ConnectMode::Paste),
            "broker" => Ok(ConnectMode::Broker),
            other => Err(Error::invalid(format!(
                "'{other}' is not a QuickBooks connect mode: use direct, paste or broker."
            ))),
        }
    }
}

/// Where a customer's KRA PIN is read from in QuickBooks (spec §2.10).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum PinSource {
    /// `Customer.PrimaryTaxIdentifier`.
    TaxId,
    /// A customer custom field with this name.
    Field(String),
}

impl PinSource {
    fn to_text(&self) -> String {
        match self {
            PinSource::TaxId => "tax_id".into(),
            PinSource::Field(name) => format!("field:{name}"),
        }
    }

    /// Reads `tax_id` or `field:NAME`.
    pub fn parse(text: &str) -> Result<Self> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("tax_id") || text.eq_ignore_ascii_case("tax-id") {
            return Ok(PinSource::TaxId);
        }
        match text.strip_prefix("field:").map(str::trim) {
            Some(name) if !name.is_empty() => Ok(PinSource::Field(name.to_owned())),
            _ => Err(Error::invalid(format!(
                "'{text}' is not a KRA PIN source: use tax_id (the customer's tax id in \
                 QuickBooks) or field:NAME (a customer custom field)."
            ))),
        }
    }
}

/// The connection settings a person chooses.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ConnectionSettings {
    pub mode: ConnectMode,
    /// Direct and paste-back: the Intuit app's client id.
    #[serde(default)]
    pub client_id: Option<String>,
    /// Broker mode: the broker's address.
    #[serde(default)]
    pub broker_url: Option<String>,
    /// Exactly as registered with Intuit (paste-back: the firm's https page). Ignored by the
    /// loopback connect, which uses its own.
    pub redirect_uri: String,
    /// Intuit's production endpoints when absent; `base` puts everything under one address (the
    /// local sandbox).
    #[serde(default)]
    pub base_url: Option<String>,
    /// A sandbox company (Intuit's or the local one): shown as such.
    #[serde(default)]
    pub sandbox: bool,
    /// The legacy custom field (`"1"`–`"3"`) the CU invoice number goes into; none: only the
    /// private note and the attachment.
    #[serde(default)]
    pub cu_field: Option<String>,
    pub pin_source: PinSource,
}

/// The connection as the settings screen and `hesabu qbo status` show it.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ConnectionView {
    pub mode: ConnectMode,
    pub realm_id: Option<String>,
    pub sandbox: bool,
    pub api_base: String,
    pub connected: bool,
    pub connected_at: Option<String>,
    pub cu_field: Option<String>,
    pub pin_source: PinSource,
    pub cdc_watermark: Option<String>,
    pub last_pull_at: Option<String>,
    pub last_full_sync_at: Option<String>,
    pub last_error: Option<String>,
    /// Set when QuickBooks refused the refresh token: a person must connect again.
    pub reconnect_needed: Option<String>,
    /// Set when the refresh token stops working within 30 days.
    pub warning: Option<String>,
    /// Differences waiting for a person (`qbo_review`).
    #[ts(type = "number")]
    pub open_reviews: i64,
    /// The demo company's local sandbox inside Hesabu (not Intuit's QuickBooks).
    pub local_sandbox: bool,
    /// What to tell people about where this QuickBooks is, when it is not Intuit's
    /// ([`demo_sandbox::NOTICE`]).
    pub notice: Option<String>,
}

/// The stored connection row.
#[derive(Debug, Clone)]
pub(crate) struct Stored {
    pub company_id: String,
    pub mode: ConnectMode,
    pub client_id: Option<String>,
    pub broker_url: Option<String>,
    pub redirect_uri: String,
    pub endpoints: Endpoints,
    pub sandbox: bool,
    pub realm_id: Option<String>,
    pub pending_state: Option<String>,
    pub cu_field: Option<String>,
    pub pin_source: PinSource,
    pub connected_at: Option<String>,
    pub cdc_watermark: Option<String>,
    pub last_full_sync_at: Option<String>,
    pub last_pull_at: Option<String>,
    pub last_error: Option<String>,
    /// The endpoints are the demo's local sandbox marker (`demo_sandbox::SANDBOX_BASE_URL`):
    /// resolved to the running sandbox's address when one runs in this process, the marker
    /// otherwise.
    pub local_sandbox: bool,
}

pub(crate) fn stmt(sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(DbBackend::Sqlite, sql, values)
}

pub(crate) fn text(row: &QueryResult, col: &str) -> Result<Option<String>> {
    row.try_get::<Option<String>>("", col)
        .map_err(|e| Error::Internal(format!("qbo: column {col}: {e}")))
}

fn boolean(row: &QueryResult, col: &str) -> Result<bool> {
    row.try_get::<bool>("", col)
        .map_err(|e| Error::Internal(format!("qbo: column {col}: {e}")))
}

pub(crate) fn opt(v: Option<&str>) -> Value {
    Value::String(v.map(str::to_owned))
}

pub(crate) fn val(v: &str) -> Value {
    Value::String(Some(v.to_owned()))
}

/// The connection row, if the company has one.
pub(crate) async fn stored(db: &impl ConnectionTrait) -> Result<Option<Stored>> {
    let Some(row) = db
        .query_one_raw(stmt("SELECT * FROM qbo_connection LIMIT 1", vec![]))
        .await?
    else {
        return Ok(None);
    };
    let need = |col: &str| -> Result<String> {
        text(&row, col)?.ok_or_else(|| Error::Internal(format!("qbo_connection.{col} is empty")))
    };
    let api_base = need("api_base")?;
    let local_sandbox = demo_sandbox::is_marker(&api_base);
    let mut stored = Stored {
        company_id: need("company_id")?,
        mode: ConnectMode::parse(&need("mode")?)?,
        client_id: text(&row, "client_id")?,
        broker_url: text(&row, "broker_url")?,
        redirect_uri: need("redirect_uri")?,
        endpoints: Endpoints {
            authorize_url: need("authorize_url")?,
            token_url: need("token_url")?,
            revoke_url: need("revoke_url")?,
            api_base,
        },
        sandbox: boolean(&row, "sandbox")?,
        realm_id: text(&row, "realm_id")?,
        pending_state: text(&row, "pending_state")?,
        cu_field: text(&row, "cu_field")?,
        pin_source: PinSource::parse(&need("pin_source")?)?,
        connected_at: text(&row, "connected_at")?,
        cdc_watermark: text(&row, "cdc_watermark")?,
        last_full_sync_at: text(&row, "last_full_sync_at")?,
        last_pull_at: text(&row, "last_pull_at")?,
        last_error: text(&row, "last_error")?,
        local_sandbox,
    };
    if local_sandbox && let Some(base) = demo_sandbox::running_base_url(&stored.company_id) {
        stored.endpoints = Endpoints::under(&base);
    }
    Ok(Some(stored))
}

impl Stored {
    /// The demo's local sandbox, not running in this process: nothing can reach it.
    pub(crate) fn unreachable_sandbox(&self) -> bool {
        self.local_sandbox && demo_sandbox::is_marker(&self.endpoints.api_base)
    }

    /// The secret store of this connection's tokens and client secret: `given`, except for the
    /// demo's local sandbox, whose are in the demo's own store beside its file.
    pub(crate) fn secrets(
        &self,
        file: &CompanyFile,
        given: Arc<dyn SecretStore>,
    ) -> Arc<dyn SecretStore> {
        if self.local_sandbox {
            Arc::new(crate::demo_support::secrets(file))
        } else {
            given
        }
    }
}

/// Whether QuickBooks is set up for `file` (a connection mode chosen), connected or not.
pub async fn is_configured(file: &CompanyFile) -> Result<bool> {
    Ok(stored(file.reader()).await?.is_some())
}

pub(crate) async fn require_stored(db: &impl ConnectionTrait) -> Result<Stored> {
    stored(db).await?.ok_or_else(|| {
        Error::invalid(
            "QuickBooks is not set up for this company: choose how to connect first (hesabu qbo \
             configure, or the QuickBooks page).",
        )
    })
}

/// Where the company's client secret is kept in the secret store.
pub fn client_secret_name(company_id: &str) -> String {
    format!("{company_id}/qbo/client_secret")
}

/// The `hesabu-qbo` clock over the app's clock.
#[derive(Debug, Clone)]
struct AppClock(SharedClock);

impl hesabu_qbo::Clock for AppClock {
    fn now(&self) -> DateTime<Utc> {
        self.0.now()
    }
}

pub(crate) fn qbo_error(e: hesabu_qbo::Error) -> Error {
    match e.kind() {
        hesabu_qbo::ErrorKind::Connect | hesabu_qbo::ErrorKind::Config => {
            Error::invalid(e.to_string())
        }
        hesabu_qbo::ErrorKind::NotConnected
        | hesabu_qbo::ErrorKind::ReconnectNeeded
        | hesabu_qbo::ErrorKind::Authentication
        | hesabu_qbo::ErrorKind::Authorization
        | hesabu_qbo::ErrorKind::Validation
        | hesabu_qbo::ErrorKind::NotFound
        | hesabu_qbo::ErrorKind::TokenEndpoint => Error::Conflict(e.to_string()),
        _ => Error::Internal(e.to_string()),
    }
}

pub(crate) fn token_manager(
    s: &Stored,
    secrets: Arc<dyn SecretStore>,
    clock: SharedClock,
) -> Result<TokenManager> {
    let service = match s.mode {
        ConnectMode::Broker => {
            let url = s.broker_url.as_deref().ok_or_else(|| {
                Error::invalid("Broker mode needs the broker's address (--broker-url).")
            })?;
            TokenService::broker(url)
        }
        ConnectMode::Direct | ConnectMode::Paste => {
            let client_id = s.client_id.as_deref().ok_or_else(|| {
                Error::invalid("Direct and paste-back modes need the Intuit app's client id.")
            })?;
            TokenService::direct(
                &s.endpoints,
                client_id,
                &client_secret_name(&s.company_id),
                secrets.clone(),
            )
        }
    }
    .map_err(qbo_error)?;
    Ok(TokenManager::new(
        service,
        secrets,
        Arc::new(AppClock(clock)),
        &s.company_id,
    ))
}

/// An opened connection: the client of the connected company.
#[derive(Debug, Clone)]
pub struct Qbo {
    pub(crate) file: CompanyFile,
    pub(crate) client: Client,
    pub(crate) settings: Stored,
    /// The write-back's batched reads, kept a short while (`prefetch.rs`); shared by the
    /// clones of this connection (the outbox target's sends).
    pub(crate) prefetch: Arc<prefetch::Prefetch>,
}

impl Qbo {
    /// The connected company's id (`realmId`).
    pub fn realm_id(&self) -> &str {
        self.client.realm_id()
    }

    /// The typed client (for tests and diagnostics).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The same connection through a client with other settings (same realm and tokens): the
    /// pull benchmark and tests set the rate limits and the page size. The product uses
    /// [`open`]'s defaults (Intuit's limits, 1000 rows a page).
    pub fn with_client_config(self, config: ClientConfig) -> Result<Qbo> {
        let client = Client::new(config, self.client.tokens().clone()).map_err(qbo_error)?;
        Ok(Qbo { client, ..self })
    }
}

/// The client of `file`'s connected QuickBooks company; `None` when QuickBooks is not set up or
/// not connected.
pub async fn open(file: &CompanyFile, secrets: Arc<dyn SecretStore>) -> Result<Option<Qbo>> {
    let Some(s) = stored(file.reader()).await? else {
        return Ok(None);
    };
    let Some(realm) = s.realm_id.clone() else {
        return Ok(None);
    };
    if s.unreachable_sandbox() {
        return Err(Error::Unavailable(demo_sandbox::NOT_RUNNING.into()));
    }
    let secrets = s.secrets(file, secrets);
    let tokens = token_manager(&s, secrets, file.clock().clone())?;
    let mut config = ClientConfig::new(&s.endpoints.api_base, &realm);
    if s.local_sandbox {
        // The demo's test double on loopback has no limits; Intuit's pacing would only slow
        // the demo down.
        config.rate_limits = demo_sandbox::RATE_LIMITS;
    }
    let client = Client::new(config, Arc::new(tokens)).map_err(qbo_error)?;
    Ok(Some(Qbo {
        file: file.clone(),
        client,
        settings: s,
        prefetch: Arc::default(),
    }))
}

/// Setting the connection up, connecting and disconnecting change where the company's sales
/// go: they need the sync permission and, on top, the company's own settings (admins). The
/// desktop and the CLI both come through here, so neither can skip it.
fn require_connection_admin(session: &Session) -> Result<()> {
    session.require(Permission::SyncManage)?;
    session.require(Permission::CompanyEdit)
}

/// Saves how the company connects (and the client secret, into the secret store). Keeps an
/// existing connection's realm, watermark and tokens unless the endpoints change.
pub async fn configure(
    file: &CompanyFile,
    session: &Session,
    secrets: &dyn SecretStore,
    settings: &ConnectionSettings,
    client_secret: Option<&str>,
) -> Result<ConnectionView> {
    require_connection_admin(session)?;
    match settings.mode {
        ConnectMode::Broker if settings.broker_url.as_deref().is_none_or(str::is_empty) => {
            return Err(Error::invalid(
                "Broker mode needs the broker's address: --broker-url https://…",
            ));
        }
        ConnectMode::Direct | ConnectMode::Paste
            if settings.client_id.as_deref().is_none_or(str::is_empty) =>
        {
            return Err(Error::invalid(
                "Direct and paste-back modes need the Intuit app's client id: --client-id …",
            ));
        }
        _ => {}
    }
    if let Some(f) = &settings.cu_field
        && !matches!(f.as_str(), "1" | "2" | "3")
    {
        return Err(Error::invalid(format!(
            "The CU invoice number field '{f}' is not one of QuickBooks' legacy custom fields: \
             use 1, 2 or 3 (as in QuickBooks' sales form settings)."
        )));
    }
    let endpoints = match settings.base_url.as_deref() {
        Some(base) if !base.trim().is_empty() => Endpoints::under(base),
        _ if settings.sandbox => Endpoints::intuit_sandbox(),
        _ => Endpoints::production(),
    };
    let company = hesabu_core::company::load(file.reader()).await?;
    if let Some(secret) = client_secret.map(str::trim).filter(|s| !s.is_empty()) {
        secrets
            .set(&client_secret_name(&company.id), secret)
            .map_err(|e| Error::invalid(e.to_string()))?;
    }
    let mut uow = file.begin(session).await?;
    let before = stored(uow.db()).await?;
    let now = uow.now_text();
    let same_api = before.as_ref().is_some_and(|b| {
        b.endpoints.api_base == endpoints.api_base
            || (b.local_sandbox && demo_sandbox::is_marker(&endpoints.api_base))
    });
    uow.db()
        .execute_raw(stmt(
            "INSERT INTO qbo_connection (company_id, mode, client_id, broker_url, redirect_uri, \
             authorize_url, token_url, revoke_url, api_base, sandbox, cu_field, pin_source, \
             updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (company_id) DO UPDATE \
             SET mode = excluded.mode, client_id = excluded.client_id, broker_url = \
             excluded.broker_url, redirect_uri = excluded.redirect_uri, authorize_url = \
             excluded.authorize_url, token_url = excluded.token_url, revoke_url = \
             excluded.revoke_url, api_base = excluded.api_base, sandbox = excluded.sandbox, \
             cu_field = excluded.cu_field, pin_source = excluded.pin_source, updated_at = \
             excluded.updated_at",
            vec![
                val(&company.id),
                val(settings.mode.as_str()),
                opt(settings.client_id.as_deref()),
                opt(settings.broker_url.as_deref()),
                val(settings.redirect_uri.trim()),
                val(&endpoints.authorize_url),
                val(&endpoints.token_url),
                val(&endpoints.revoke_url),
                val(&endpoints.api_base),
                Value::Bool(Some(settings.sandbox)),
                opt(settings.cu_field.as_deref()),
                val(&settings.pin_source.to_text()),
                val(&now),
            ],
        ))
        .await?;
    if !same_api && before.as_ref().is_some_and(|b| b.realm_id.is_some()) {
        // Another QuickBooks: the old company's position means nothing there.
        uow.db()
            .execute_raw(stmt(
                "UPDATE qbo_connection SET realm_id = NULL, cdc_watermark = NULL, \
                 last_full_sync_at = NULL, connected_at = NULL",
                vec![],
            ))
            .await?;
    }
    uow.audit(AuditDraft {
        action: "qbo.configure",
        entity_type: "qbo_connection",
        entity_id: company.id.clone(),
        before: before.as_ref().map(|b| {
            json!({"mode": b.mode, "api_base": b.endpoints.api_base, "cu_field": b.cu_field,
                "pin_source": b.pin_source})
        }),
        after: Some(json!({
            "mode": settings.mode, "api_base": endpoints.api_base, "cu_field": settings.cu_field,
            "pin_source": settings.pin_source, "sandbox": settings.sandbox,
            "client_secret_stored": client_secret.is_some(),
        })),
    })
    .await?;
    uow.commit().await?;
    view(file, None).await
}

/// Starts a connection attempt: the consent page's address (open it in a browser). Its random
/// `state` is kept in the company file, so the address pasted back later is checked against it.
pub async fn authorize_url(file: &CompanyFile, session: &Session) -> Result<String> {
    require_connection_admin(session)?;
    let mut uow = file.begin(session).await?;
    let s = require_stored(uow.db()).await?;
    let client_id = s.client_id.clone().unwrap_or_else(|| "broker".into());
    let pending = PendingAuthorization::begin(
        &s.endpoints.authorize_url,
        &client_id,
        &s.redirect_uri,
        &[SCOPE_ACCOUNTING],
        None,
    )
    .map_err(qbo_error)?;
    uow.db()
        .execute_raw(stmt(
            "UPDATE qbo_connection SET pending_state = ?, updated_at = ?",
            vec![val(&pending.state), val(&uow.now_text())],
        ))
        .await?;
    uow.audit(AuditDraft {
        action: "qbo.authorize",
        entity_type: "qbo_connection",
        entity_id: s.company_id.clone(),
        before: None,
        after: Some(json!({"mode": s.mode, "redirect_uri": s.redirect_uri})),
    })
    .await?;
    uow.commit().await?;
    Ok(pending.url)
}

/// Finishes a paste-back connection: checks the pasted address against the stored `state`,
/// exchanges the code (once), stores the tokens in the secret store and the realm here.
pub async fn connect_paste(
    file: &CompanyFile,
    session: &Session,
    secrets: Arc<dyn SecretStore>,
    pasted: &str,
) -> Result<ConnectionView> {
    require_connection_admin(session)?;
    let s = require_stored(file.reader()).await?;
    let state = s.pending_state.clone().ok_or_else(|| {
        Error::invalid(
            "No connection attempt is waiting: run hesabu qbo authorize-url (or choose Connect) \
             first, then paste the address the browser shows.",
        )
    })?;
    let pending = PendingAuthorization {
        url: String::new(),
        state,
        redirect_uri: s.redirect_uri.clone(),
    };
    let code = pending
        .complete(pasted)
        .map_err(|e| Error::invalid(e.to_string()))?;
    finish(file, session, secrets, &s, &code).await
}

/// Connects with a one-shot loopback listener on 127.0.0.1 (Intuit accepts that only for
/// development keys): `open` is given the consent address (open a browser on it); the
/// redirect is awaited for at most `wait`.
pub async fn connect_loopback(
    file: &CompanyFile,
    session: &Session,
    secrets: Arc<dyn SecretStore>,
    open: impl FnOnce(&str),
    wait: Duration,
) -> Result<ConnectionView> {
    require_connection_admin(session)?;
    let s = require_stored(file.reader()).await?;
    let listener = LoopbackListener::bind(0, "/qbo/callback")
        .await
        .map_err(qbo_error)?;
    let client_id = s.client_id.clone().unwrap_or_else(|| "broker".into());
    let pending = PendingAuthorization::begin(
        &s.endpoints.authorize_url,
        &client_id,
        listener.redirect_uri(),
        &[SCOPE_ACCOUNTING],
        None,
    )
    .map_err(qbo_error)?;
    open(&pending.url);
    let redirect = listener.wait(wait).await.map_err(qbo_error)?;
    let code = pending
        .complete(&redirect)
        .map_err(|e| Error::invalid(e.to_string()))?;
    finish(file, session, secrets, &s, &code).await
}

async fn finish(
    file: &CompanyFile,
    session: &Session,
    secrets: Arc<dyn SecretStore>,
    s: &Stored,
    code: &hesabu_qbo::AuthorizationCode,
) -> Result<ConnectionView> {
    let tokens = token_manager(s, s.secrets(file, secrets), file.clock().clone())?;
    tokens.connect(code).await.map_err(qbo_error)?;
    let mut uow = file.begin(session).await?;
    let now = uow.now_text();
    let other_realm = s.realm_id.as_deref().is_some_and(|r| r != code.realm_id);
    uow.db()
        .execute_raw(stmt(
            "UPDATE qbo_connection SET realm_id = ?, pending_state = NULL, connected_at = ?, \
             connected_by = ?, last_error = NULL, updated_at = ?",
            vec![
                val(&code.realm_id),
                val(&now),
                val(session.user_id()),
                val(&now),
            ],
        ))
        .await?;
    if other_realm {
        uow.db()
            .execute_raw(stmt(
                "UPDATE qbo_connection SET cdc_watermark = NULL, last_full_sync_at = NULL",
                vec![],
            ))
            .await?;
    }
    uow.audit(AuditDraft {
        action: "qbo.connect",
        entity_type: "qbo_connection",
        entity_id: s.company_id.clone(),
        before: s.realm_id.as_ref().map(|r| json!({"realm_id": r})),
        after: Some(json!({"realm_id": code.realm_id, "mode": s.mode})),
    })
    .await?;
    uow.commit().await?;
    view(file, None).await
}

/// The connection's state, with "reconnect needed" and the expiry warning from the stored
/// tokens.
pub async fn status(
    file: &CompanyFile,
    session: &Session,
    secrets: Arc<dyn SecretStore>,
) -> Result<ConnectionView> {
    session.require(Permission::SyncView)?;
    view(file, Some(secrets)).await
}

async fn view(file: &CompanyFile, secrets: Option<Arc<dyn SecretStore>>) -> Result<ConnectionView> {
    let s = require_stored(file.reader()).await?;
    let mut reconnect_needed = None;
    let mut warning = None;
    let mut connected = false;
    if s.unreachable_sandbox() && s.realm_id.is_some() {
        warning = Some(demo_sandbox::NOT_RUNNING.to_owned());
    } else if let (Some(secrets), Some(realm)) = (secrets, s.realm_id.as_deref()) {
        let tokens = token_manager(&s, s.secrets(file, secrets), file.clock().clone())?;
        if let Some(set) = tokens.load(realm).map_err(qbo_error)? {
            connected = set.reconnect_needed.is_none();
            reconnect_needed = set.reconnect_needed.clone();
            if let Some(w) = set.reconnect_warning(file.clock().now(), RECONNECT_WARNING) {
                warning = Some(if w.expired {
                    format!(
                        "The QuickBooks connection expired on {}: connect again.",
                        w.expires_at.format("%Y-%m-%d")
                    )
                } else {
                    format!(
                        "The QuickBooks connection stops working on {}{}: connect again before \
                         then.",
                        w.expires_at.format("%Y-%m-%d"),
                        if w.hard {
                            " (Intuit's 5-year limit)"
                        } else {
                            ""
                        }
                    )
                });
            }
        }
    }
    let open_reviews = file
        .reader()
        .query_one_raw(stmt(
            "SELECT COUNT(*) AS n FROM qbo_review WHERE resolved_at IS NULL",
            vec![],
        ))
        .await?
        .and_then(|r| r.try_get::<i64>("", "n").ok())
        .unwrap_or(0);
    Ok(ConnectionView {
        mode: s.mode,
        realm_id: s.realm_id,
        sandbox: s.sandbox,
        api_base: s.endpoints.api_base,
        connected,
        connected_at: s.connected_at,
        cu_field: s.cu_field,
        pin_source: s.pin_source,
        cdc_watermark: s.cdc_watermark,
        last_pull_at: s.last_pull_at,
        last_full_sync_at: s.last_full_sync_at,
        last_error: s.last_error,
        reconnect_needed,
        warning,
        open_reviews,
        local_sandbox: s.local_sandbox,
        notice: s.local_sandbox.then(|| demo_sandbox::NOTICE.to_owned()),
    })
}

/// Disconnects: revokes the refresh token at Intuit (or through the broker), wipes the tokens
/// from the secret store, and forgets the realm. If Intuit cannot be reached nothing is wiped
/// and the error says so; `force` wipes anyway (the grant then stays until it expires or the
/// user disconnects the app inside QuickBooks).
pub async fn disconnect(
    file: &CompanyFile,
    session: &Session,
    secrets: Arc<dyn SecretStore>,
    force: bool,
) -> Result<ConnectionView> {
    require_connection_admin(session)?;
    let s = require_stored(file.reader()).await?;
    let mut revoked = false;
    if let Some(realm) = s.realm_id.as_deref() {
        if s.unreachable_sandbox() {
            return Err(Error::Unavailable(format!(
                "{} Nothing was disconnected.",
                demo_sandbox::NOT_RUNNING
            )));
        }
        let tokens = token_manager(&s, s.secrets(file, secrets), file.clock().clone())?;
        match tokens.disconnect(realm).await {
            Ok(()) => revoked = true,
            Err(_) if force => tokens.forget(realm).map_err(qbo_error)?,
            Err(e) => {
                return Err(Error::Conflict(format!(
                    "QuickBooks could not be told to disconnect ({e}). Nothing was wiped; try \
                     again when online, or disconnect with --force to wipe the tokens anyway."
                )));
            }
        }
    }
    let mut uow = file.begin(session).await?;
    uow.db()
        .execute_raw(stmt(
            "UPDATE qbo_connection SET realm_id = NULL, pending_state = NULL, connected_at = \
             NULL, connected_by = NULL, cdc_watermark = NULL, updated_at = ?",
            vec![val(&uow.now_text())],
        ))
        .await?;
    uow.audit(AuditDraft {
        action: "qbo.disconnect",
        entity_type: "qbo_connection",
        entity_id: s.company_id.clone(),
        before: s.realm_id.as_ref().map(|r| json!({"realm_id": r})),
        after: Some(json!({"revoked": revoked, "forced": force && !revoked})),
    })
    .await?;
    uow.commit().await?;
    view(file, None).await
}
