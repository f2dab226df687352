//! A local QuickBooks Online sandbox: one company on loopback that follows the contract in
//! `shared/specs/quickbooks-online.md`, for the client's tests and the demo. It is not
//! Intuit's server; where Intuit's behaviour is undocumented it makes a stated choice.
//!
//! What it serves, on one base URL with Intuit's paths:
//! - OAuth: the consent page `GET /connect/oauth2` (consents at once and redirects with
//!   `code`, `state`, `realmId`), the token endpoint `POST /oauth2/v1/tokens/bearer`
//!   (`authorization_code` once per code; `refresh_token` rotating the refresh token on every
//!   use, the old value dead at once; `invalid_grant` for a used, revoked or superseded token),
//!   `POST /v2/oauth2/tokens/revoke`, and a broker (`/broker/token`, `/broker/refresh`,
//!   `/broker/revoke`) that holds the client secret.
//! - The Accounting API under `/v3/company/{realmId}/`: query with `STARTPOSITION` /
//!   `MAXRESULTS` and the `MetaData.LastUpdatedTime` filter, read by id, CDC (30 days back,
//!   1000 objects, deletions), create / sparse update enforcing `SyncToken` (stale: Fault 5010)
//!   / delete, `/upload` storing the bytes and linking them, `/batch` (up to 30 query, create,
//!   update or delete items, each answered by its `bId`, a failed item as its own Fault inside
//!   the 200; more than 30: a 400 Fault; one API call in the rate limit, counted in
//!   [`Stats::batches`]), preferences. Bearer tokens are
//!   checked (401 in Intuit's lower-case shape). Every answer has an `intuit_tid`.
//! - `requestid`: the same id gets the original answer and nothing is written twice.
//! - Fault injection ([`Sandbox::fail_next`]): 500, 429 (with or without `Retry-After`), the
//!   XML throttle as 403, a dropped connection before or after the work is done; latency on
//!   every API call ([`Sandbox::set_latency`]); plus expiring every access token and revoking
//!   every grant (the user disconnecting in QuickBooks).
//! - Rate limiting, off unless asked for ([`SandboxOptions::rate_limit`],
//!   [`Sandbox::set_rate_limit`]; `limit.rs`): past `per_second` calls in a second or
//!   `per_minute` in a minute, a 429 with Fault 3001 and `Retry-After`, counted in
//!   [`Stats::rate_limited`].
//! - `/admin/state` (counters, the rate limit and latency, every write) and `/admin/faults`,
//!   for the demo and by hand.
//!
//! Simplifications, on purpose: one company (realm) per sandbox, so "per realm" limits are
//! the sandbox's; the rate limit counts arrivals in sliding windows with a 50 ms allowance for
//! delivery jitter, and refused calls do not count (Intuit's algorithm is not published); the
//! OAuth endpoints are neither limited nor delayed; tokens are counters, not secrets (it
//! listens on loopback); no void or email; the batch quota (40 batch calls a minute) is not
//! enforced, only the request limit; queries return whole objects whatever the
//! field list.

mod company;
mod http;
mod limit;
mod query;
mod seed;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use company::{Clock, Company, canonical, json_string};
use http::Shared;
pub use limit::ARRIVAL_TOLERANCE;

/// How a sandbox starts.
#[derive(Debug, Clone)]
pub struct SandboxOptions {
    pub realm_id: String,
    pub client_id: String,
    pub client_secret: String,
    /// A fixed "now" (moved only by [`Sandbox::advance_clock`]); `None`: the wall clock.
    pub now: Option<DateTime<Utc>>,
    pub seed: Seed,
    /// The sandbox's own rate limit on API calls; `None` (the default): unlimited.
    pub rate_limit: Option<RateLimit>,
    /// Added before every API call's answer (zero by default).
    pub latency: Duration,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        SandboxOptions {
            realm_id: "4620816365171234567".to_owned(),
            client_id: "hesabu-sandbox-client".to_owned(),
            client_secret: "hesabu-sandbox-secret".to_owned(),
            now: None,
            seed: Seed::default(),
            rate_limit: None,
            latency: Duration::ZERO,
        }
    }
}

/// How many API calls (under `/v3/`) the sandbox lets in (spec §6.1; see `limit.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RateLimit {
    pub per_second: u32,
    pub per_minute: u32,
}

impl RateLimit {
    /// Intuit's: 10 a second and 500 a minute per realm.
    pub const INTUIT: RateLimit = RateLimit {
        per_second: 10,
        per_minute: 500,
    };
}

/// How many of each the company starts with (tax codes, rates and preferences always).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seed {
    pub customers: usize,
    pub items: usize,
    pub invoices: usize,
    pub credit_memos: usize,
    pub sales_receipts: usize,
}

impl Default for Seed {
    fn default() -> Self {
        Seed {
            customers: 5,
            items: 5,
            invoices: 10,
            credit_memos: 3,
            sales_receipts: 3,
        }
    }
}

/// A failure the next API call (under `/v3/`) suffers instead of, or after, its work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InjectedFault {
    /// HTTP 500 with a `SystemFault` (code 10000); nothing is done.
    ServerError,
    /// HTTP 429 with Fault 3001, and `Retry-After` when given; nothing is done.
    Throttle { retry_after: Option<u64> },
    /// HTTP 403 with the XML throttle body (spec §6.2); nothing is done.
    ThrottleXml,
    /// The connection is dropped before the work: nothing is done.
    DropConnection,
    /// The work is done (a write is stored and its answer kept for `requestid` replay), then
    /// the connection is dropped before the answer arrives.
    DropAfterProcessing,
}

/// What the sandbox counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Calls to the token endpoint and the broker's exchange and refresh.
    pub token_requests: u64,
    pub code_exchanges: u64,
    /// `refresh_token` grants asked for (accepted or not).
    pub refresh_requests: u64,
    /// `refresh_token` grants refused with `invalid_grant`.
    pub refresh_rejected: u64,
    pub revokes: u64,
    pub broker_calls: u64,
    /// Calls under `/v3/`.
    pub api_calls: u64,
    /// Writes applied (creates, updates, deletes, uploaded files), not replays.
    pub writes: u64,
    /// Writes answered from the `requestid` replay store.
    pub replays: u64,
    pub uploads: u64,
    /// `POST /batch` calls (each also counted once in `api_calls`, whatever its items).
    pub batches: u64,
    pub injected_faults: u64,
    /// API calls refused with 429 by the rate limit (not the injected ones).
    pub rate_limited: u64,
}

/// One applied write, for the admin view and tests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WriteRecord {
    /// `create`, `sparse update`, `full update`, `delete`, `upload`.
    pub operation: String,
    pub entity: String,
    pub id: String,
    /// The `SyncToken` after the write.
    pub sync_token: String,
    pub request_id: Option<String>,
}

/// A running sandbox. Dropping it stops the server.
#[derive(Debug)]
pub struct Sandbox {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl Sandbox {
    /// Starts a sandbox with the default options on `addr` (`127.0.0.1:0` picks a port).
    pub async fn start(addr: SocketAddr) -> io::Result<Sandbox> {
        Sandbox::start_with(addr, SandboxOptions::default()).await
    }

    /// Starts a sandbox with `options` on `addr`.
    pub async fn start_with(addr: SocketAddr, options: SandboxOptions) -> io::Result<Sandbox> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let mut company = Company::new(
            options.realm_id,
            options.client_id,
            options.client_secret,
            format!("http://{addr}"),
            Clock {
                fixed: options.now,
                offset: chrono::Duration::zero(),
            },
        );
        seed::reference_data(&mut company);
        seed::customers(&mut company, options.seed.customers);
        seed::items(&mut company, options.seed.items);
        seed::transactions(&mut company, seed::TxnKind::Invoice, options.seed.invoices);
        seed::transactions(
            &mut company,
            seed::TxnKind::CreditMemo,
            options.seed.credit_memos,
        );
        seed::transactions(
            &mut company,
            seed::TxnKind::SalesReceipt,
            options.seed.sales_receipts,
        );
        let shared = Arc::new(Shared::new(company));
        shared.set_rate_limit(options.rate_limit);
        shared.set_latency(options.latency);
        let app = http::router(shared.clone());
        let task = tokio::spawn(async move {
            // Serving ends only when the task is aborted (the sandbox is dropped).
            let _ = axum::serve(listener, app).await;
        });
        Ok(Sandbox { addr, shared, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`: the API base (before `/v3/company/{realmId}`).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The consent page.
    pub fn authorize_url(&self) -> String {
        format!("{}/connect/oauth2", self.base_url())
    }

    /// The token endpoint.
    pub fn token_url(&self) -> String {
        format!("{}/oauth2/v1/tokens/bearer", self.base_url())
    }

    /// The revocation endpoint.
    pub fn revoke_url(&self) -> String {
        format!("{}/v2/oauth2/tokens/revoke", self.base_url())
    }

    /// The broker (holds the client secret): `{broker}/token`, `/refresh`, `/revoke`.
    pub fn broker_url(&self) -> String {
        format!("{}/broker", self.base_url())
    }

    pub fn realm_id(&self) -> String {
        self.shared.lock().realm_id.clone()
    }

    pub fn client_id(&self) -> String {
        self.shared.lock().client_id.clone()
    }

    pub fn client_secret(&self) -> String {
        self.shared.lock().client_secret.clone()
    }

    /// What was counted so far.
    pub fn stats(&self) -> Stats {
        self.shared.lock().stats
    }

    /// Every applied write, in order.
    pub fn writes(&self) -> Vec<WriteRecord> {
        self.shared.lock().writes.clone()
    }

    /// The next `count` API calls suffer `fault`.
    pub fn fail_next(&self, count: usize, fault: InjectedFault) {
        let mut company = self.shared.lock();
        for _ in 0..count {
            company.faults.push_back(fault);
        }
    }

    /// Turns the rate limit on (a fresh window), changes it, or turns it off (`None`).
    pub fn set_rate_limit(&self, limit: Option<RateLimit>) {
        self.shared.set_rate_limit(limit);
    }

    /// The rate limit in force.
    pub fn rate_limit(&self) -> Option<RateLimit> {
        self.shared.rate_limit()
    }

    /// Every API call's answer is delayed by `latency` from now on (zero: none).
    pub fn set_latency(&self, latency: Duration) {
        self.shared.set_latency(latency);
    }

    /// The time from the first API call let in to the last (arrival instants, monotonic), and
    /// how many were let in: what a benchmark's request rate is measured on. Refused calls
    /// are not in it.
    pub fn api_traffic(&self) -> Option<(Duration, u64)> {
        self.shared.traffic()
    }

    /// The next consent is refused (`error=access_denied`).
    pub fn deny_next_consent(&self) {
        self.shared.lock().deny_next_consent = true;
    }

    /// Every access token issued so far expires now (the next API call gets a 401).
    pub fn expire_access_tokens(&self) {
        self.shared.lock().expire_access_tokens();
    }

    /// Revokes every grant, as when the user disconnects the app inside QuickBooks.
    pub fn revoke_all(&self) {
        self.shared.lock().revoke_all();
    }

    /// Moves the sandbox's clock forward.
    pub fn advance_clock(&self, by: Duration) {
        let mut company = self.shared.lock();
        company.clock.offset += chrono::Duration::from_std(by).unwrap_or(chrono::Duration::MAX);
    }

    /// The sandbox's "now".
    pub fn now(&self) -> DateTime<Utc> {
        self.shared.lock().now()
    }

    /// Adds `count` invoices (spread over the past, against the seeded customers and items);
    /// returns their ids.
    pub fn seed_invoices(&self, count: usize) -> Vec<String> {
        let mut company = self.shared.lock();
        seed::transactions(&mut company, seed::TxnKind::Invoice, count)
            .into_iter()
            .map(|id| id.to_string())
            .collect()
    }

    /// Someone edits an object in QuickBooks: sets the top-level `field` to the JSON `value`,
    /// bumps the `SyncToken` and `LastUpdatedTime`. Returns the new `SyncToken`.
    pub fn edit(&self, entity: &str, id: &str, field: &str, value: &str) -> Option<String> {
        let mut company = self.shared.lock();
        let entity = canonical(entity)?;
        let id: u64 = id.parse().ok()?;
        let token = company.get(entity, id)?.sync_token.to_string();
        let body = format!(
            "{{\"Id\":\"{id}\",\"SyncToken\":\"{token}\",\"sparse\":true,{}:{value}}}",
            json_string(field)
        );
        let (status, _) = company.write(entity, &body, None);
        (status == 200).then(|| company.objects[&(entity, id)].sync_token.to_string())
    }

    /// Someone deletes an object in QuickBooks.
    pub fn delete(&self, entity: &str, id: &str) -> bool {
        let mut company = self.shared.lock();
        let Some(entity) = canonical(entity) else {
            return false;
        };
        let Some(token) = id
            .parse::<u64>()
            .ok()
            .and_then(|n| company.get(entity, n))
            .map(|o| o.sync_token)
        else {
            return false;
        };
        let body = format!("{{\"Id\":{},\"SyncToken\":\"{token}\"}}", json_string(id));
        company.write(entity, &body, Some("delete")).0 == 200
    }

    /// An object as the API renders it (`None` when missing or deleted).
    pub fn object(&self, entity: &str, id: &str) -> Option<String> {
        let company = self.shared.lock();
        let obj = company.get(canonical(entity)?, id.parse().ok()?)?;
        Some(company.render(obj))
    }

    /// The ids of the live objects of `entity`, in id order.
    pub fn ids(&self, entity: &str) -> Vec<String> {
        let company = self.shared.lock();
        let Some(entity) = canonical(entity) else {
            return Vec::new();
        };
        company
            .objects
            .values()
            .filter(|o| o.entity == entity && !o.deleted)
            .map(|o| o.id.to_string())
            .collect()
    }

    /// The bytes stored for an uploaded attachment.
    pub fn attachment_bytes(&self, id: &str) -> Option<Vec<u8>> {
        let company = self.shared.lock();
        company.attachments.get(&id.parse().ok()?).cloned()
    }

    /// Adds an object from its JSON text (without `Id`); returns its id.
    pub fn insert(&self, entity: &str, json: &str) -> Option<String> {
        let mut company = self.shared.lock();
        let entity = canonical(entity)?;
        let fields: company::Fields = serde_json::from_str(json).ok()?;
        let at = company.stamp();
        Some(company.insert(entity, None, fields, at).to_string())
    }

    /// Stops the server.
    pub fn stop(self) {}
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.task.abort();
    }
}
