//! [`Client`]: one QuickBooks company (realm), async, cheap to clone.
//!
//! Every call goes to `{api_base}/v3/company/{realmId}/…?minorversion=75` with the realm's
//! bearer token from the [`TokenManager`]; a 401 refreshes the token (single-flight) and
//! replays the request once. Every request first waits its turn at the realm's limiter
//! (`limiter.rs`: [`RateLimits`], shared by every client of the realm in the process), and a
//! throttle answer pauses the realm; a [`Client::batch`] call waits at the realm's batch quota
//! first. Writes carry the caller's [`RequestId`] as `requestid`.
//! Answers are checked for a Fault even on HTTP 200, and failures come back as one [`Error`]
//! whose [`Error::kind`] is the classification. The client never retries by itself otherwise:
//! retrying is the outbox's decision.

use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, SecondsFormat};
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use reqwest::{Method, Url};
use serde::Serialize;

use crate::answers::{self, Cdc, QueryPage, Reply};
use crate::batch::{self, BatchAnswers, BatchItem, DEFAULT_BATCH_SIZE, MAX_BATCH_ITEMS};
use crate::entities::{Attachable, Entity, Preferences};
use crate::error::{Error, ErrorKind, excerpt};
use crate::limiter::{RateLimits, RealmLimiter};
use crate::oauth::TokenManager;
use crate::oauth::service::{chain, check_url, intuit_tid, transport};
use crate::query::{MAX_RESULTS, Query};
use crate::record::Record;
use crate::secret::Secret;
use crate::writes::{RequestId, Upload, sparse_body};

/// The minor version sent on every call (spec §2.2: 1–74 are ignored since Aug 2025).
pub const MINOR_VERSION: u32 = 75;

/// One company's client settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// `https://quickbooks.api.intuit.com`, the sandbox host, or a local sandbox.
    pub api_base: String,
    /// The company id (`realmId`).
    pub realm_id: String,
    pub minor_version: u32,
    /// QuickBooks gives up on a request after 120 s; we wait a little longer.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// The realm's request limits the client keeps to ([`RateLimits::INTUIT`]; tests and the
    /// pull benchmark set their sandbox's).
    pub rate_limits: RateLimits,
    /// The most rows a paged query ([`Client::pages`]) asks for at a time. Production keeps
    /// [`MAX_RESULTS`] (1000, spec §3.3); smaller pages are a knob for the pull benchmark and
    /// tests, to make a pull take many requests.
    pub page_size: u32,
    /// The most items one [`Client::batch`] may carry: 1 to [`MAX_BATCH_ITEMS`] (30),
    /// [`DEFAULT_BATCH_SIZE`] (10) by default, which keeps to both of Intuit's statements
    /// (spec §6.1 client policy).
    pub batch_size: usize,
}

impl ClientConfig {
    pub fn new(api_base: &str, realm_id: &str) -> Self {
        ClientConfig {
            api_base: api_base.trim().trim_end_matches('/').to_owned(),
            realm_id: realm_id.to_owned(),
            minor_version: MINOR_VERSION,
            timeout: Duration::from_secs(130),
            connect_timeout: Duration::from_secs(15),
            rate_limits: RateLimits::INTUIT,
            page_size: MAX_RESULTS,
            batch_size: DEFAULT_BATCH_SIZE,
        }
    }
}

/// The QuickBooks Online client of one company.
#[derive(Debug, Clone)]
pub struct Client {
    config: Arc<ClientConfig>,
    http: reqwest::Client,
    tokens: Arc<TokenManager>,
    limiter: Arc<RealmLimiter>,
}

/// What a request sends.
enum Payload<'a> {
    None,
    Json(&'a str),
    Upload {
        upload: &'a Upload,
        metadata: &'a str,
    },
}

impl Client {
    /// A client for `config.realm_id`, its tokens from `tokens`, paced by the realm's shared
    /// limiter. Fails only on a bad URL, realm, limit or page size.
    pub fn new(config: ClientConfig, tokens: Arc<TokenManager>) -> Result<Self, Error> {
        check_url("QuickBooks API address", &config.api_base)?;
        if config.realm_id.is_empty() || !config.realm_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::Config(format!(
                "{:?} is not a QuickBooks company id (realmId: digits)",
                config.realm_id
            )));
        }
        config.rate_limits.check()?;
        if !(1..=MAX_RESULTS).contains(&config.page_size) {
            return Err(Error::Config(format!(
                "a query page holds 1 to {MAX_RESULTS} rows, not {}",
                config.page_size
            )));
        }
        if !(1..=MAX_BATCH_ITEMS).contains(&config.batch_size) {
            return Err(Error::Config(format!(
                "a batch holds 1 to {MAX_BATCH_ITEMS} items, not {}",
                config.batch_size
            )));
        }
        let limiter = RealmLimiter::shared(&config.api_base, &config.realm_id, config.rate_limits);
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .user_agent(concat!("hesabu-qbo/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                Error::Config(format!("could not start the HTTP client: {}", chain(&e)))
            })?;
        Ok(Client {
            config: Arc::new(config),
            http,
            tokens,
            limiter,
        })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    pub fn realm_id(&self) -> &str {
        &self.config.realm_id
    }

    pub fn tokens(&self) -> &Arc<TokenManager> {
        &self.tokens
    }

    // ---- reads -------------------------------------------------------------------------------

    /// Reads one entity by id (`GET /{entity}/{id}`). After a 5010, read by id, not by query
    /// (spec §4.2).
    pub async fn read<T: Entity>(&self, id: &str) -> Result<Reply<Record<T>>, Error> {
        let (body, tid) = self
            .call(Method::GET, &[T::PATH, id], &[], Payload::None, None)
            .await?;
        answers::entity(&body, tid)
    }

    /// The company's preferences (`GET /preferences`).
    pub async fn preferences(&self) -> Result<Reply<Record<Preferences>>, Error> {
        let (body, tid) = self
            .call(Method::GET, &["preferences"], &[], Payload::None, None)
            .await?;
        answers::entity(&body, tid)
    }

    /// One page of a query (`GET /query?query=…`).
    pub async fn query<T: Entity>(&self, query: &Query) -> Result<Reply<QueryPage<T>>, Error> {
        let statement = query.statement()?;
        let (body, tid) = self
            .call(
                Method::GET,
                &["query"],
                &[("query", statement.as_str())],
                Payload::None,
                None,
            )
            .await?;
        answers::query_page(&body, tid)
    }

    /// The pages of `query`, from its start position on, one request per page, each at most
    /// [`ClientConfig::page_size`] rows.
    pub fn pages<T: Entity>(&self, query: Query) -> Pager<'_, T> {
        let query = if query.page_size() > self.config.page_size {
            query.max_results(self.config.page_size)
        } else {
            query
        };
        Pager {
            client: self,
            next_start: query.position(),
            query,
            done: false,
            _entity: PhantomData,
        }
    }

    /// Every row of `query`, page after page (spec §3.2: stop at a short or empty page).
    pub async fn query_all<T: Entity>(&self, query: Query) -> Result<Vec<Record<T>>, Error> {
        let mut pages = self.pages::<T>(query);
        let mut records = Vec::new();
        while let Some(page) = pages.next().await? {
            records.extend(page.value.records);
        }
        Ok(records)
    }

    /// Changes to `entities` (`["Invoice", "Customer"]`) since `changed_since`, at most 30 days
    /// back and at most 1000 objects, with no paging (spec §3.1): check
    /// [`Cdc::may_be_truncated`]. Not for `TaxCode`/`TaxRate` (query them).
    pub async fn cdc(
        &self,
        entities: &[&str],
        changed_since: DateTime<FixedOffset>,
    ) -> Result<Reply<Cdc>, Error> {
        if entities.is_empty() {
            return Err(Error::Config(
                "a change-data-capture call needs at least one entity".to_owned(),
            ));
        }
        let names = entities.join(",");
        let since = changed_since.to_rfc3339_opts(SecondsFormat::Secs, false);
        let (body, tid) = self
            .call(
                Method::GET,
                &["cdc"],
                &[
                    ("entities", names.as_str()),
                    ("changedSince", since.as_str()),
                ],
                Payload::None,
                None,
            )
            .await?;
        answers::cdc(&body, tid)
    }

    /// The attachments linked to the entity `entity_type` (`"Invoice"`) `id`.
    pub async fn attachments_of(
        &self,
        entity_type: &str,
        id: &str,
    ) -> Result<Vec<Record<Attachable>>, Error> {
        let query = Query::of::<Attachable>()
            .where_eq("AttachableRef.EntityRef.Type", entity_type)
            .where_eq("AttachableRef.EntityRef.value", id);
        self.query_all(query).await
    }

    /// The dedupe check before an upload (spec §5.4): our attachment named `file_name` on that
    /// entity, if it is there already.
    pub async fn find_attachment(
        &self,
        entity_type: &str,
        id: &str,
        file_name: &str,
    ) -> Result<Option<Record<Attachable>>, Error> {
        Ok(self
            .attachments_of(entity_type, id)
            .await?
            .into_iter()
            .find(|a| {
                a.entity.file_name.as_deref() == Some(file_name)
                    && a.entity.is_linked_to(entity_type, id)
            }))
    }

    // ---- batch -------------------------------------------------------------------------------

    /// One `POST /batch` of up to [`ClientConfig::batch_size`] independent items (queries,
    /// or operations with a `request_id`; spec §2.3, §7). Waits its turn at the realm's batch
    /// quota (40 a minute) and then counts as one request in the realm's pace. Refuses more
    /// items than the batch size (never more than 30), duplicate `bId`s, and operations
    /// without a `requestid` (at most 36 characters, `bId`s then at most 10). An item's
    /// Fault is that item's error in the [`BatchAnswers`]; the call fails only when the whole
    /// batch does.
    pub async fn batch(
        &self,
        items: &[BatchItem],
        request_id: Option<&RequestId>,
    ) -> Result<Reply<BatchAnswers>, Error> {
        if let Some(id) = request_id
            && id.as_str().chars().count() > batch::MAX_BATCH_REQUEST_ID_CHARS
        {
            return Err(Error::Config(format!(
                "{:?} is too long for a batch's requestid: QuickBooks takes at most {} \
                 characters there",
                id.as_str(),
                batch::MAX_BATCH_REQUEST_ID_CHARS
            )));
        }
        if request_id.is_none() && items.iter().any(BatchItem::is_write) {
            return Err(Error::Config(
                "a batch with create, update or delete items needs a requestid (spec §7)"
                    .to_owned(),
            ));
        }
        let body = batch::request_body(items, self.config.batch_size, request_id.is_some())?;
        let (answer, tid) = self
            .call(
                Method::POST,
                &["batch"],
                &[],
                Payload::Json(&body),
                request_id,
            )
            .await?;
        let parsed = batch::parse(&answer, tid.as_deref());
        let parsed = if request_id.is_some() {
            parsed.map_err(write_decode)?
        } else {
            parsed?
        };
        Ok(Reply {
            time: answers::time_of_body(&answer),
            value: parsed,
            intuit_tid: tid,
        })
    }

    // ---- writes ------------------------------------------------------------------------------

    /// A sparse update (spec §4.1): only `fields` change; `sync_token` must be the current one,
    /// or QuickBooks answers 5010 ([`Error::is_stale_object`]). Returns the updated entity; keep
    /// its `SyncToken` for echo suppression.
    pub async fn sparse_update<T: Entity>(
        &self,
        id: &str,
        sync_token: &str,
        fields: &impl Serialize,
        request_id: &RequestId,
    ) -> Result<Reply<Record<T>>, Error> {
        let body = sparse_body(id, sync_token, fields)?;
        let (answer, tid) = self
            .call(
                Method::POST,
                &[T::PATH],
                &[],
                Payload::Json(&body),
                Some(request_id),
            )
            .await?;
        answers::entity(&answer, tid).map_err(write_decode)
    }

    /// Uploads an attachment and links it (`POST /upload`, one `file_metadata_01` /
    /// `file_content_01` pair, the bytes sent raw). Run [`Self::find_attachment`] first.
    pub async fn upload(
        &self,
        upload: &Upload,
        request_id: &RequestId,
    ) -> Result<Reply<Record<Attachable>>, Error> {
        let metadata = upload.metadata_json()?;
        let (answer, tid) = self
            .call(
                Method::POST,
                &["upload"],
                &[],
                Payload::Upload {
                    upload,
                    metadata: &metadata,
                },
                Some(request_id),
            )
            .await?;
        let reply = answers::upload(&answer, tid).map_err(write_decode)?;
        let Reply {
            value,
            time,
            intuit_tid,
        } = reply;
        let record = value.into_iter().next().ok_or_else(|| Error::Decode {
            message: "the upload answer lists no attachment".to_owned(),
            body: excerpt(&answer, 2000),
            outcome_unknown: true,
        })?;
        Ok(Reply {
            value: record,
            time,
            intuit_tid,
        })
    }

    // ---- the one request path ----------------------------------------------------------------

    async fn call(
        &self,
        method: Method,
        path: &[&str],
        query: &[(&str, &str)],
        payload: Payload<'_>,
        request_id: Option<&RequestId>,
    ) -> Result<(String, Option<String>), Error> {
        let url = self.url(path, query, request_id)?;
        let operation = format!("{method} {}", path.first().copied().unwrap_or(""));
        let realm = &self.config.realm_id;
        let mut token = self.tokens.access_token(realm).await?;
        let mut renewed = false;
        let is_batch = path == ["batch"];
        loop {
            self.wait_turn(is_batch).await?;
            let request = self.request(method.clone(), url.clone(), &payload, &token)?;
            let response = request.send().await.map_err(|e| transport(e, &operation))?;
            let status = response.status().as_u16();
            let tid = intuit_tid(response.headers());
            let tid_copy = tid.clone();
            let retry_after = retry_after(response.headers());
            let body = response
                .bytes()
                .await
                .map_err(|e| body_lost(e, &operation))?;
            let body = String::from_utf8_lossy(&body).into_owned();
            // An expired or revoked access token: nothing was done, so refresh once (single
            // flight) and replay the same request, same requestid.
            if status == 401 && !renewed {
                renewed = true;
                token = self.tokens.refresh_after_rejection(realm, &token).await?;
                continue;
            }
            let checked = answers::check(status, body, tid, retry_after, &operation);
            if let Err(error) = &checked
                && error.kind() == ErrorKind::Throttled
            {
                // Spec §6.2: pause the whole realm, not just this request.
                let wait = error.retry_after().unwrap_or(crate::error::THROTTLE_WAIT);
                self.limiter.pause(self.tokens.clock().now(), wait);
            }
            return checked.map(|b| (b, tid_copy));
        }
    }

    /// The realm's turn to send: refused at once while a throttle's pause lasts, else after the
    /// limiter's wait.
    async fn wait_turn(&self, is_batch: bool) -> Result<(), Error> {
        let paused = |now| {
            self.limiter
                .paused_for(now)
                .map(|retry_after| Error::Paused {
                    realm_id: self.config.realm_id.clone(),
                    retry_after,
                })
        };
        if let Some(refused) = paused(self.tokens.clock().now()) {
            return Err(refused);
        }
        if is_batch {
            self.limiter.batch_turn().await;
        }
        self.limiter.turn().await;
        // A throttle seen by another client while this one waited pauses it too.
        match paused(self.tokens.clock().now()) {
            Some(refused) => Err(refused),
            None => Ok(()),
        }
    }

    fn url(
        &self,
        path: &[&str],
        query: &[(&str, &str)],
        request_id: Option<&RequestId>,
    ) -> Result<Url, Error> {
        let mut url = Url::parse(&self.config.api_base).map_err(|e| {
            Error::Config(format!(
                "the QuickBooks API address {:?} is not a URL: {e}",
                self.config.api_base
            ))
        })?;
        for segment in path {
            if segment.is_empty() {
                return Err(Error::Config("an empty id was given".to_owned()));
            }
        }
        url.path_segments_mut()
            .map_err(|()| Error::Config("the QuickBooks API address cannot have a path".into()))?
            .pop_if_empty()
            .extend(["v3", "company", &self.config.realm_id])
            .extend(path);
        {
            let mut pairs = url.query_pairs_mut();
            for (key, value) in query {
                pairs.append_pair(key, value);
            }
            pairs.append_pair("minorversion", &self.config.minor_version.to_string());
            if let Some(id) = request_id {
                pairs.append_pair("requestid", id.as_str());
            }
        }
        Ok(url)
    }

    fn request(
        &self,
        method: Method,
        url: Url,
        payload: &Payload<'_>,
        token: &Secret,
    ) -> Result<reqwest::RequestBuilder, Error> {
        let request = self
            .http
            .request(method, url)
            .timeout(self.config.timeout)
            .bearer_auth(token.expose())
            .header(ACCEPT, "application/json");
        Ok(match payload {
            Payload::None => request,
            Payload::Json(body) => request
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_string()),
            Payload::Upload { upload, metadata } => {
                let metadata_part = reqwest::multipart::Part::text(metadata.to_string())
                    .mime_str("application/json")
                    .map_err(|e| Error::Config(format!("the attachment metadata: {e}")))?;
                let content_part = reqwest::multipart::Part::bytes(upload.bytes.clone())
                    .file_name(upload.file_name.clone())
                    .mime_str(&upload.content_type)
                    .map_err(|e| {
                        Error::Config(format!(
                            "{:?} is not a content type: {e}",
                            upload.content_type
                        ))
                    })?;
                let form = reqwest::multipart::Form::new()
                    .part("file_metadata_01", metadata_part)
                    .part("file_content_01", content_part);
                request.multipart(form)
            }
        })
    }
}

/// Iterates the pages of a query ([`Client::pages`]).
pub struct Pager<'a, T> {
    client: &'a Client,
    query: Query,
    next_start: u32,
    done: bool,
    _entity: PhantomData<T>,
}

impl<T: Entity> Pager<'_, T> {
    /// The next page, or `None` after a short or empty one.
    pub async fn next(&mut self) -> Result<Option<Reply<QueryPage<T>>>, Error> {
        if self.done {
            return Ok(None);
        }
        let query = self.query.clone().start_position(self.next_start);
        let page = self.client.query::<T>(&query).await?;
        let got = page.value.records.len();
        let size = usize::try_from(self.query.page_size()).unwrap_or(usize::MAX);
        if got < size {
            self.done = true;
        }
        if got == 0 {
            return Ok(None);
        }
        self.next_start = self
            .next_start
            .saturating_add(u32::try_from(got).unwrap_or(u32::MAX));
        Ok(Some(page))
    }
}

/// The answer's body was lost after the status arrived: the request reached QuickBooks.
fn body_lost(e: reqwest::Error, operation: &str) -> Error {
    Error::Transport {
        message: format!("{operation}: the answer was cut off: {}", chain(&e)),
        timeout: e.is_timeout(),
        outcome_unknown: true,
    }
}

/// A write whose success answer could not be read probably took effect.
fn write_decode(error: Error) -> Error {
    match error {
        Error::Decode { message, body, .. } => Error::Decode {
            message,
            body,
            outcome_unknown: true,
        },
        other => other,
    }
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds = headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()?;
    Some(Duration::from_secs(seconds))
}
