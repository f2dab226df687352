//! The QuickBooks token broker (spec §1.6 option B): a small stateless HTTP service a firm hosts
//! so that the Intuit app's client secret stays on one machine instead of every desktop. It
//! speaks the protocol of `hesabu-qbo`'s broker mode (`TokenService::broker`):
//!
//! | call | body (JSON) | the broker does |
//! |---|---|---|
//! | `POST /token` | `{"code", "redirect_uri", "realm_id"}` | Intuit's `authorization_code` grant (with its own registered redirect when it has one) |
//! | `POST /refresh` | `{"refresh_token"}` | Intuit's `refresh_token` grant |
//! | `POST /revoke` | `{"token"}` | Intuit's revoke call |
//! | `GET /health` | | `ok` (for a load balancer) |
//!
//! Intuit's HTTP status and body come back unchanged, so `invalid_grant` reads the same as in
//! direct mode. The broker stores nothing (no tokens, no log of them); when Intuit cannot be
//! reached it answers 502 with an OAuth-shaped body, which the client treats as retryable.
//!
//! It serves plain HTTP: put it behind the firm's TLS reverse proxy (the desktop sends codes
//! and refresh tokens to it). `hesabu qbo broker --listen ADDR` runs it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use hesabu_qbo::Endpoints;
use serde::Deserialize;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use hesabu_store::error::{Error, Result};

/// The largest request body the broker reads (a code or a token is a few hundred bytes).
const BODY_LIMIT: usize = 16 * 1024;
/// How long a call to Intuit may take.
const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(30);

/// What the broker needs: the Intuit app's credentials and where Intuit's OAuth endpoints are.
#[derive(Clone)]
pub struct BrokerConfig {
    pub client_id: String,
    /// Held in memory only while the broker runs; never written anywhere.
    pub client_secret: String,
    /// Intuit's token endpoint (exchange and refresh); tests point it at the local sandbox.
    pub token_url: String,
    /// Intuit's revocation endpoint.
    pub revoke_url: String,
    /// The redirect registered with Intuit for this app; when set it replaces the one the
    /// desktop sends in `/token` (they must match what the consent page was opened with).
    pub redirect_uri: Option<String>,
}

impl std::fmt::Debug for BrokerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrokerConfig")
            .field("client_id", &self.client_id)
            .field("client_secret", &"(hidden)")
            .field("token_url", &self.token_url)
            .field("revoke_url", &self.revoke_url)
            .field("redirect_uri", &self.redirect_uri)
            .finish()
    }
}

impl BrokerConfig {
    /// A broker for Intuit production's OAuth endpoints.
    pub fn intuit(client_id: &str, client_secret: &str) -> Self {
        let endpoints = Endpoints::production();
        BrokerConfig {
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            token_url: endpoints.token_url,
            revoke_url: endpoints.revoke_url,
            redirect_uri: None,
        }
    }

    fn check(&self) -> Result<()> {
        if self.client_id.trim().is_empty() {
            return Err(Error::invalid(
                "The broker needs the Intuit app's client id (--client-id).",
            ));
        }
        if self.client_secret.trim().is_empty() {
            return Err(Error::invalid(
                "The broker needs the Intuit app's client secret: set HESABU_QBO_CLIENT_SECRET \
                 or pass --client-secret-stdin and type it.",
            ));
        }
        for (what, url) in [
            ("token address", &self.token_url),
            ("revoke address", &self.revoke_url),
        ] {
            let ok = url.starts_with("https://") || url.starts_with("http://");
            if !ok {
                return Err(Error::invalid(format!(
                    "The QuickBooks {what} {url:?} is not an http(s) address."
                )));
            }
        }
        Ok(())
    }
}

#[derive(Debug)]
struct Shared {
    config: BrokerConfig,
    http: reqwest::Client,
}

/// A running broker. Dropping it stops the server.
#[derive(Debug)]
pub struct Broker {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Broker {
    /// Listens on `addr` (`127.0.0.1:0` picks a free port) and serves in the background.
    pub async fn start(addr: SocketAddr, config: BrokerConfig) -> Result<Broker> {
        config.check()?;
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(15))
            .timeout(UPSTREAM_TIMEOUT)
            .user_agent(concat!("hesabu-qbo-broker/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Internal(format!("the broker's HTTP client: {e}")))?;
        let listener = TcpListener::bind(addr).await.map_err(|e| {
            Error::invalid(format!(
                "The broker cannot listen on {addr} ({e}): choose another address or port."
            ))
        })?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::Internal(format!("the broker's address: {e}")))?;
        let app = router(Arc::new(Shared { config, http }));
        let task = tokio::spawn(async move {
            // Serving ends only when the task is aborted (the broker is dropped).
            let _ = axum::serve(listener, app).await;
        });
        Ok(Broker { addr, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`: what a company configures as its broker address.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Serves until the task ends (the process is stopped).
    pub async fn serve(mut self) {
        let _ = (&mut self.task).await;
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/token", post(token))
        .route("/refresh", post(refresh))
        .route("/revoke", post(revoke))
        .route("/health", get(|| async { "ok" }))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(shared)
}

/// An OAuth-shaped error answer (`{"error", "error_description"}`), as Intuit's own.
fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        [(CONTENT_TYPE, "application/json")],
        json!({"error": error, "error_description": description}).to_string(),
    )
        .into_response()
}

/// A request refused before Intuit is called: `invalid_request` with the reason.
struct BadRequest(String);

impl IntoResponse for BadRequest {
    fn into_response(self) -> Response {
        oauth_error(StatusCode::BAD_REQUEST, "invalid_request", &self.0)
    }
}

/// Reads the JSON body; a malformed one is refused with serde's reason.
fn body_of<T: for<'de> Deserialize<'de>>(bytes: &Bytes) -> std::result::Result<T, BadRequest> {
    serde_json::from_slice(bytes)
        .map_err(|e| BadRequest(format!("the broker expects a JSON body: {e}")))
}

fn required(value: &str, name: &str) -> std::result::Result<(), BadRequest> {
    if value.trim().is_empty() {
        return Err(BadRequest(format!("{name} is required")));
    }
    Ok(())
}

#[derive(Deserialize)]
struct TokenRequest {
    #[serde(default)]
    code: String,
    #[serde(default)]
    redirect_uri: String,
}

#[derive(Deserialize)]
struct RefreshRequest {
    #[serde(default)]
    refresh_token: String,
}

#[derive(Deserialize)]
struct RevokeRequest {
    #[serde(default)]
    token: String,
}

type Answer = std::result::Result<Response, BadRequest>;

async fn token(State(shared): State<Arc<Shared>>, body: Bytes) -> Answer {
    let request: TokenRequest = body_of(&body)?;
    let redirect = shared
        .config
        .redirect_uri
        .clone()
        .unwrap_or(request.redirect_uri);
    required(&request.code, "code")?;
    required(&redirect, "redirect_uri")?;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", request.code.as_str()),
        ("redirect_uri", redirect.as_str()),
    ];
    let call = upstream(&shared, &shared.config.token_url).form(&form);
    Ok(forward(call, "the code exchange").await)
}

async fn refresh(State(shared): State<Arc<Shared>>, body: Bytes) -> Answer {
    let request: RefreshRequest = body_of(&body)?;
    required(&request.refresh_token, "refresh_token")?;
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", request.refresh_token.as_str()),
    ];
    let call = upstream(&shared, &shared.config.token_url).form(&form);
    Ok(forward(call, "the token refresh").await)
}

async fn revoke(State(shared): State<Arc<Shared>>, body: Bytes) -> Answer {
    let request: RevokeRequest = body_of(&body)?;
    required(&request.token, "token")?;
    let call = upstream(&shared, &shared.config.revoke_url)
        .header(CONTENT_TYPE.as_str(), "application/json")
        .body(json!({"token": request.token}).to_string());
    Ok(forward(call, "the revoke call").await)
}

/// A call to Intuit with the app's credentials (`Authorization: Basic`), asking for the refresh
/// token's hard expiry as the direct mode does.
fn upstream(shared: &Shared, url: &str) -> reqwest::RequestBuilder {
    shared
        .http
        .post(url)
        .basic_auth(&shared.config.client_id, Some(&shared.config.client_secret))
        .header("accept", "application/json")
        .header("x-include-refresh-token-hard-expires-in", "true")
}

/// Intuit's status and body, unchanged; 502 when Intuit could not be reached or its answer
/// could not be read (the request may or may not have been processed: the client retries a
/// refresh, and a code exchange is re-done by connecting again).
async fn forward(call: reqwest::RequestBuilder, what: &str) -> Response {
    let response = match call.send().await {
        Ok(r) => r,
        Err(e) => return unreachable_intuit(what, &e),
    };
    let status =
        StatusCode::from_u16(response.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json")
        .to_owned();
    let tid = response
        .headers()
        .get("intuit_tid")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    match response.bytes().await {
        Ok(bytes) => {
            let mut answer = (
                status,
                [(CONTENT_TYPE.as_str(), content_type)],
                bytes.to_vec(),
            )
                .into_response();
            if let Some(tid) = tid
                && let Ok(value) = axum::http::HeaderValue::from_str(&tid)
            {
                answer.headers_mut().insert("intuit_tid", value);
            }
            answer
        }
        Err(e) => unreachable_intuit(what, &e),
    }
}

fn unreachable_intuit(what: &str, e: &reqwest::Error) -> Response {
    let mut reason = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        reason.push_str(": ");
        reason.push_str(&cause.to_string());
        source = cause.source();
    }
    oauth_error(
        StatusCode::BAD_GATEWAY,
        "temporarily_unavailable",
        &format!("the broker could not complete {what} with Intuit ({reason}); try again"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> BrokerConfig {
        BrokerConfig {
            client_id: "id".into(),
            client_secret: "secret".into(),
            // Port 9 (discard) on loopback: nothing listens, the connect fails at once.
            token_url: "http://127.0.0.1:9/oauth2/v1/tokens/bearer".into(),
            revoke_url: "http://127.0.0.1:9/v2/oauth2/tokens/revoke".into(),
            redirect_uri: None,
        }
    }

    #[tokio::test]
    async fn a_broker_without_its_secret_does_not_start() {
        let mut c = config();
        c.client_secret = "  ".into();
        let err = Broker::start("127.0.0.1:0".parse().unwrap(), c)
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("HESABU_QBO_CLIENT_SECRET"),
            "{err}"
        );
        let mut c = config();
        c.token_url = "ftp://intuit".into();
        assert!(
            Broker::start("127.0.0.1:0".parse().unwrap(), c)
                .await
                .is_err()
        );
    }

    #[test]
    fn the_secret_is_not_in_debug_output() {
        assert!(!format!("{:?}", config()).contains("secret\""));
        assert!(format!("{:?}", config()).contains("(hidden)"));
    }

    #[tokio::test]
    async fn bad_requests_and_an_unreachable_intuit_get_oauth_shaped_answers() {
        let broker = Broker::start("127.0.0.1:0".parse().unwrap(), config())
            .await
            .unwrap();
        let http = reqwest::Client::new();
        let post = |path: &str, body: &str| {
            http.post(format!("{}{path}", broker.url()))
                .header("content-type", "application/json")
                .body(body.to_owned())
                .send()
        };
        let r = post("/token", "not json").await.unwrap();
        assert_eq!(r.status().as_u16(), 400);
        let body: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
        assert_eq!(body["error"], "invalid_request");
        let r = post("/refresh", "{}").await.unwrap();
        assert_eq!(r.status().as_u16(), 400);
        assert!(
            r.text()
                .await
                .unwrap()
                .contains("refresh_token is required")
        );
        let r = post("/refresh", r#"{"refresh_token":"rt"}"#).await.unwrap();
        assert_eq!(r.status().as_u16(), 502);
        let body: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
        assert_eq!(body["error"], "temporarily_unavailable");
        let health = http
            .get(format!("{}/health", broker.url()))
            .send()
            .await
            .unwrap();
        assert_eq!(health.text().await.unwrap(), "ok");
    }
}
