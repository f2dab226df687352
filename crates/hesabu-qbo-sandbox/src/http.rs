//! The sandbox's HTTP face: Intuit's paths on one base URL. Handlers read the request, call the
//! company (`company.rs`) under its lock, and write the answer; the rate limit (`limit.rs`),
//! latency, fault injection and the `requestid` replay happen here, around the company's work.

use std::collections::HashMap;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Query, Request, State};
use axum::http::header::{CONTENT_TYPE, LOCATION, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router, middleware};
use base64::Engine as _;
use serde::Deserialize;

use crate::company::{AccessProblem, Answer, Company, UploadPart, canonical};
use crate::limit::Window;
use crate::{InjectedFault, RateLimit, Stats, WriteRecord};

/// The largest request (Intuit's upload limit, spec §5.3).
const BODY_LIMIT: usize = 100 * 1024 * 1024;

/// What every handler shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub company: Mutex<Company>,
    tid: AtomicU64,
    /// Taken after `company` when both are needed, never the other way round.
    traffic: Mutex<Traffic>,
}

/// The API calls' rate limit, latency, and what was let in.
#[derive(Debug, Default)]
struct Traffic {
    window: Option<Window>,
    latency: Duration,
    first: Option<Instant>,
    last: Option<Instant>,
    let_in: u64,
}

impl Shared {
    pub fn new(company: Company) -> Self {
        Shared {
            company: Mutex::new(company),
            tid: AtomicU64::new(1),
            traffic: Mutex::new(Traffic::default()),
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, Company> {
        self.company.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn traffic_lock(&self) -> MutexGuard<'_, Traffic> {
        self.traffic.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn set_rate_limit(&self, limit: Option<RateLimit>) {
        self.traffic_lock().window = limit.map(Window::new);
    }

    pub fn rate_limit(&self) -> Option<RateLimit> {
        self.traffic_lock().window.as_ref().map(Window::limit)
    }

    pub fn set_latency(&self, latency: Duration) {
        self.traffic_lock().latency = latency;
    }

    pub fn traffic(&self) -> Option<(Duration, u64)> {
        let traffic = self.traffic_lock();
        Some((traffic.last? - traffic.first?, traffic.let_in))
    }
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/connect/oauth2", get(authorize))
        .route("/oauth2/v1/tokens/bearer", post(token))
        .route("/v2/oauth2/tokens/revoke", post(revoke))
        .route("/broker/token", post(broker_token))
        .route("/broker/refresh", post(broker_refresh))
        .route("/broker/revoke", post(broker_revoke))
        .route("/v3/company/{realm}/{name}", get(api_get).post(api_post))
        .route("/v3/company/{realm}/{name}/{id}", get(api_read))
        .route("/admin/state", get(admin_state))
        .route("/admin/faults", post(admin_faults))
        .route("/admin/expire-access-tokens", post(admin_expire))
        .route("/admin/revoke-all", post(admin_revoke_all))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::map_response_with_state(shared.clone(), add_tid))
        .with_state(shared)
}

/// Every answer carries an `intuit_tid` (spec §6.4).
async fn add_tid(State(shared): State<Arc<Shared>>, mut response: Response) -> Response {
    let n = shared.tid.fetch_add(1, Ordering::Relaxed);
    if let Ok(value) = HeaderValue::from_str(&format!("1-sandbox-{n:016x}")) {
        response
            .headers_mut()
            .insert(HeaderName::from_static("intuit_tid"), value);
    }
    response
}

fn json(status: u16, body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(CONTENT_TYPE, "application/json;charset=UTF-8")],
        body,
    )
        .into_response()
}

fn answer((status, body): Answer) -> Response {
    json(status, body)
}

/// A body that fails at once: hyper closes the connection without a complete answer, as a
/// dropped connection looks to the client.
struct Dropped;

impl http_body::Body for Dropped {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, io::Error>>> {
        Poll::Ready(Some(Err(io::Error::new(
            io::ErrorKind::ConnectionReset,
            "the sandbox dropped the connection (injected fault)",
        ))))
    }
}

fn dropped() -> Response {
    Response::builder()
        .status(StatusCode::OK)
        .header(CONTENT_TYPE, "application/json")
        .body(Body::new(Dropped))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// The 401 body's own lower-case shape (spec §2.3, fixture `fault.401.authentication.json`).
fn unauthorized(problem: AccessProblem, now_ms: i64) -> Response {
    let detail = match problem {
        AccessProblem::Missing => "Authorization header missing",
        AccessProblem::Unknown => "Token invalid",
        AccessProblem::Expired => "Token expired",
        AccessProblem::Revoked => "Token revoked",
    };
    let body = serde_json::json!({
        "warnings": null,
        "intuitObject": null,
        "fault": {
            "error": [{
                "message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                "detail": detail,
                "code": "3200",
                "element": null
            }],
            "type": "AUTHENTICATION"
        },
        "report": null,
        "queryResponse": null,
        "batchItemResponse": [],
        "attachableResponse": [],
        "syncErrorResponse": null,
        "requestId": null,
        "time": now_ms,
        "status": null,
        "cdcresponse": []
    });
    json(401, body.to_string())
}

const THROTTLE_XML: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<IntuitResponse xmlns="http://schema.intuit.com/finance/v3"><Fault type="SERVICE"><Error code="3001"><Message>message=ThrottleExceeded; errorCode=003001; statusCode=403</Message><Detail>The request limit was reached. Try again later</Detail></Error></Fault></IntuitResponse>"#;

/// The throttle answer (spec §6.2), with `Retry-After` when given.
fn throttled(company: &Company, retry_after: Option<u64>) -> Response {
    let body = company.fault(
        "SERVICE",
        "3001",
        "message=ThrottleExceeded; errorCode=003001; statusCode=429",
        "The request limit was reached. Try again later",
        None,
    );
    let mut response = json(429, body);
    if let Some(seconds) = retry_after
        && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
    {
        response.headers_mut().insert(RETRY_AFTER, value);
    }
    response
}

/// What the gate decided for an API call.
enum Gate {
    /// Do the work; `drop_after`: then drop the connection instead of answering.
    Go {
        drop_after: bool,
    },
    Stop(Response),
}

/// The gate, then the injected latency (whatever the gate decided).
async fn enter(shared: &Shared, headers: &HeaderMap, realm: &str) -> Gate {
    let gate = gate(shared, headers, realm);
    let latency = shared.traffic_lock().latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    gate
}

/// Counts the call, applies the rate limit and an injected fault, checks the bearer token and
/// the realm.
fn gate(shared: &Shared, headers: &HeaderMap, realm: &str) -> Gate {
    let arrived = Instant::now();
    let mut company = shared.lock();
    company.stats.api_calls += 1;
    {
        let mut traffic = shared.traffic_lock();
        if let Some(window) = traffic.window.as_mut()
            && let Err(wait) = window.admit(arrived)
        {
            company.stats.rate_limited += 1;
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            return Gate::Stop(throttled(&company, Some(seconds.max(1))));
        }
        traffic.first.get_or_insert(arrived);
        traffic.last = Some(arrived);
        traffic.let_in += 1;
    }
    let mut drop_after = false;
    if let Some(fault) = company.faults.pop_front() {
        company.stats.injected_faults += 1;
        match fault {
            InjectedFault::ServerError => {
                let body = company.fault(
                    "SystemFault",
                    "10000",
                    "An application error has occurred while processing your request",
                    "System Failure Error: injected by the QuickBooks sandbox",
                    None,
                );
                return Gate::Stop(json(500, body));
            }
            InjectedFault::Throttle { retry_after } => {
                return Gate::Stop(throttled(&company, retry_after));
            }
            InjectedFault::ThrottleXml => {
                return Gate::Stop(
                    (
                        StatusCode::FORBIDDEN,
                        [(CONTENT_TYPE, "application/xml")],
                        THROTTLE_XML,
                    )
                        .into_response(),
                );
            }
            InjectedFault::DropConnection => return Gate::Stop(dropped()),
            InjectedFault::DropAfterProcessing => drop_after = true,
        }
    }
    if let Err(problem) = company.check_access(bearer(headers)) {
        return Gate::Stop(unauthorized(problem, company.now().timestamp_millis()));
    }
    if realm != company.realm_id {
        let body = company.fault(
            "AuthorizationFault",
            "3100",
            "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403",
            &format!(
                "This sandbox serves company {}, not {realm}",
                company.realm_id
            ),
            None,
        );
        return Gate::Stop(json(403, body));
    }
    Gate::Go { drop_after }
}

fn respond(result: Answer, drop_after: bool) -> Response {
    if drop_after {
        dropped()
    } else {
        answer(result)
    }
}

// ---- OAuth ---------------------------------------------------------------------------------

/// Percent-encodes a query value.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The consent page, consented at once: redirects with a code (or `error=access_denied` when
/// a test asked for a refusal).
async fn authorize(
    State(shared): State<Arc<Shared>>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let mut company = shared.lock();
    let get = |k: &str| params.get(k).map(String::as_str).unwrap_or("");
    if get("client_id") != company.client_id {
        return (StatusCode::BAD_REQUEST, "unknown client_id").into_response();
    }
    if get("response_type") != "code" {
        return (StatusCode::BAD_REQUEST, "response_type must be code").into_response();
    }
    let redirect_uri = get("redirect_uri");
    if redirect_uri.is_empty() {
        return (StatusCode::BAD_REQUEST, "redirect_uri is required").into_response();
    }
    let joiner = if redirect_uri.contains('?') { '&' } else { '?' };
    let state = encode(get("state"));
    let location = if std::mem::take(&mut company.deny_next_consent) {
        format!("{redirect_uri}{joiner}error=access_denied&state={state}")
    } else {
        let code = company.issue_code(redirect_uri);
        format!(
            "{redirect_uri}{joiner}code={}&state={state}&realmId={}",
            encode(&code),
            encode(&company.realm_id)
        )
    };
    (StatusCode::FOUND, [(LOCATION, location)]).into_response()
}

/// The app's credentials: `Authorization: Basic` or `client_secret_post`.
fn client_ok(company: &Company, headers: &HeaderMap, form: &HashMap<String, String>) -> bool {
    let basic = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|b| String::from_utf8(b).ok());
    let expected = format!("{}:{}", company.client_id, company.client_secret);
    basic.as_deref() == Some(expected.as_str())
        || (form.get("client_id") == Some(&company.client_id)
            && form.get("client_secret") == Some(&company.client_secret))
}

fn invalid_client() -> Response {
    json(
        401,
        serde_json::json!({"error": "invalid_client"}).to_string(),
    )
}

async fn token(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let mut company = shared.lock();
    if !client_ok(&company, &headers, &form) {
        company.stats.token_requests += 1;
        return invalid_client();
    }
    let hard = headers
        .get("x-include-refresh-token-hard-expires-in")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let get = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    match get("grant_type") {
        "authorization_code" => {
            answer(company.exchange_code(get("code"), Some(get("redirect_uri")), hard))
        }
        "refresh_token" => answer(company.refresh(get("refresh_token"), hard)),
        other => json(
            400,
            serde_json::json!({"error": "unsupported_grant_type", "error_description": other})
                .to_string(),
        ),
    }
}

#[derive(Deserialize)]
struct TokenBody {
    #[serde(default)]
    token: String,
}

async fn revoke(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: String) -> Response {
    let mut company = shared.lock();
    if !client_ok(&company, &headers, &HashMap::new()) {
        return invalid_client();
    }
    let token = serde_json::from_str::<TokenBody>(&body)
        .map(|b| b.token)
        .unwrap_or_default();
    answer(company.revoke(&token))
}

#[derive(Deserialize)]
struct BrokerToken {
    #[serde(default)]
    code: String,
    #[serde(default)]
    redirect_uri: Option<String>,
}

#[derive(Deserialize)]
struct BrokerRefresh {
    #[serde(default)]
    refresh_token: String,
}

/// The broker's calls: the sandbox plays a broker that holds the client secret.
async fn broker_token(
    State(shared): State<Arc<Shared>>,
    Json(body): Json<BrokerToken>,
) -> Response {
    let mut company = shared.lock();
    company.stats.broker_calls += 1;
    answer(company.exchange_code(&body.code, body.redirect_uri.as_deref(), true))
}

async fn broker_refresh(
    State(shared): State<Arc<Shared>>,
    Json(body): Json<BrokerRefresh>,
) -> Response {
    let mut company = shared.lock();
    company.stats.broker_calls += 1;
    answer(company.refresh(&body.refresh_token, true))
}

async fn broker_revoke(State(shared): State<Arc<Shared>>, Json(body): Json<TokenBody>) -> Response {
    let mut company = shared.lock();
    company.stats.broker_calls += 1;
    answer(company.revoke(&body.token))
}

// ---- the Accounting API ---------------------------------------------------------------------

async fn api_get(
    State(shared): State<Arc<Shared>>,
    Path((realm, name)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let drop_after = match enter(&shared, &headers, &realm).await {
        Gate::Go { drop_after } => drop_after,
        Gate::Stop(response) => return response,
    };
    let company = shared.lock();
    let get = |k: &str| params.get(k).map(String::as_str).unwrap_or("");
    let result = match name.to_ascii_lowercase().as_str() {
        "query" => company.query(get("query")),
        "cdc" => company.cdc(get("entities"), get("changedSince")),
        "preferences" => company.read_preferences(),
        other => (
            400,
            company.fault(
                "ValidationFault",
                "2010",
                "Request has invalid or unsupported property",
                &format!("GET /{other} is not supported by the sandbox"),
                None,
            ),
        ),
    };
    respond(result, drop_after)
}

async fn api_read(
    State(shared): State<Arc<Shared>>,
    Path((realm, name, id)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let drop_after = match enter(&shared, &headers, &realm).await {
        Gate::Go { drop_after } => drop_after,
        Gate::Stop(response) => return response,
    };
    let company = shared.lock();
    let result = match canonical(&name) {
        Some(entity) => company.read(entity, &id),
        None => (
            400,
            company.fault(
                "ValidationFault",
                "2010",
                "Request has invalid or unsupported property",
                &format!("{name} is not an entity the sandbox keeps"),
                None,
            ),
        ),
    };
    respond(result, drop_after)
}

async fn api_post(
    State(shared): State<Arc<Shared>>,
    Path((realm, name)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
    request: Request,
) -> Response {
    let drop_after = match enter(&shared, &headers, &realm).await {
        Gate::Go { drop_after } => drop_after,
        Gate::Stop(response) => return response,
    };
    let name = name.to_ascii_lowercase();
    let request_id = params.get("requestid").cloned();
    // Read the request first: the company's lock is never held across an await.
    enum Work {
        Query(String),
        Batch(String),
        Upload(Vec<UploadPart>),
        Write(&'static str, String),
    }
    let work = if name == "upload" {
        match read_multipart(request).await {
            Ok(parts) => Work::Upload(parts),
            Err(message) => {
                let company = shared.lock();
                return answer((
                    400,
                    company.fault(
                        "ValidationFault",
                        "2010",
                        "Request has invalid or unsupported property",
                        &message,
                        None,
                    ),
                ));
            }
        }
    } else {
        let body = match axum::body::to_bytes(request.into_body(), BODY_LIMIT).await {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) => return (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
        };
        if name == "query" {
            Work::Query(body)
        } else if name == "batch" {
            Work::Batch(body)
        } else if let Some(entity) = canonical(&name) {
            Work::Write(entity, body)
        } else {
            let company = shared.lock();
            return answer((
                400,
                company.fault(
                    "ValidationFault",
                    "2010",
                    "Request has invalid or unsupported property",
                    &format!("POST /{name} is not supported by the sandbox"),
                    None,
                ),
            ));
        }
    };
    let mut company = shared.lock();
    if let Work::Query(text) = &work {
        let result = company.query(text);
        return respond(result, drop_after);
    }
    // The same requestid gets the original answer, and nothing is written again (spec §7).
    if let Some(id) = &request_id
        && let Some(original) = company.replays.get(id).cloned()
    {
        company.stats.replays += 1;
        return respond(original, drop_after);
    }
    let writes_before = company.writes.len();
    let result = match &work {
        Work::Upload(parts) => company.upload(parts),
        Work::Write(entity, body) => {
            company.write(entity, body, params.get("operation").map(String::as_str))
        }
        Work::Batch(body) => company.batch(body),
        Work::Query(_) => unreachable!("answered above"),
    };
    if let Some(id) = &request_id {
        company.replays.insert(id.clone(), result.clone());
        company.tag_last_write(id, writes_before);
    }
    respond(result, drop_after)
}

async fn read_multipart(request: Request) -> Result<Vec<UploadPart>, String> {
    let mut multipart = Multipart::from_request(request, &())
        .await
        .map_err(|e| format!("the upload is not multipart/form-data: {e}"))?;
    let mut parts = Vec::new();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| format!("the upload could not be read: {e}"))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let content_type = field
            .content_type()
            .map(|c| c.split(';').next().unwrap_or(c).trim().to_owned());
        let base64 = field
            .headers()
            .get("content-transfer-encoding")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("base64"));
        let bytes = field
            .bytes()
            .await
            .map_err(|e| format!("the part {name} could not be read: {e}"))?;
        let bytes = if base64 {
            let text: Vec<u8> = bytes
                .iter()
                .copied()
                .filter(|b| !b.is_ascii_whitespace())
                .collect();
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|e| format!("the part {name} is not base64: {e}"))?
        } else {
            bytes.to_vec()
        };
        parts.push(UploadPart {
            name,
            file_name,
            content_type,
            bytes,
        });
    }
    Ok(parts)
}

// ---- admin -----------------------------------------------------------------------------------

#[derive(serde::Serialize)]
struct AdminState {
    realm_id: String,
    stats: Stats,
    rate_limit: Option<RateLimit>,
    latency_ms: u128,
    counts: HashMap<&'static str, usize>,
    writes: Vec<WriteRecord>,
}

async fn admin_state(State(shared): State<Arc<Shared>>) -> Json<serde_json::Value> {
    let company = shared.lock();
    let mut counts = HashMap::new();
    for obj in company.objects.values().filter(|o| !o.deleted) {
        *counts.entry(obj.entity).or_insert(0) += 1;
    }
    let state = AdminState {
        realm_id: company.realm_id.clone(),
        stats: company.stats,
        rate_limit: shared.rate_limit(),
        latency_ms: shared.traffic_lock().latency.as_millis(),
        counts,
        writes: company.writes.clone(),
    };
    Json(serde_json::to_value(&state).unwrap_or_default())
}

#[derive(Deserialize)]
struct FaultRequest {
    /// `500`, `429`, `403-xml`, `drop`, `drop-after`.
    fault: String,
    #[serde(default = "one")]
    count: usize,
    #[serde(default)]
    retry_after: Option<u64>,
}

fn one() -> usize {
    1
}

async fn admin_faults(
    State(shared): State<Arc<Shared>>,
    Json(request): Json<FaultRequest>,
) -> Result<StatusCode, (StatusCode, String)> {
    let fault = match request.fault.as_str() {
        "500" => InjectedFault::ServerError,
        "429" => InjectedFault::Throttle {
            retry_after: request.retry_after,
        },
        "403-xml" => InjectedFault::ThrottleXml,
        "drop" => InjectedFault::DropConnection,
        "drop-after" => InjectedFault::DropAfterProcessing,
        other => {
            return Err((
                StatusCode::BAD_REQUEST,
                format!("unknown fault {other:?}: use 500, 429, 403-xml, drop or drop-after"),
            ));
        }
    };
    let mut company = shared.lock();
    for _ in 0..request.count {
        company.faults.push_back(fault);
    }
    Ok(StatusCode::NO_CONTENT)
}

async fn admin_expire(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.lock().expire_access_tokens();
    StatusCode::NO_CONTENT
}

async fn admin_revoke_all(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.lock().revoke_all();
    StatusCode::NO_CONTENT
}
