//! Who exchanges, refreshes and revokes tokens: Intuit directly with the app's client secret,
//! or a broker that holds the secret (spec §1.4, §1.6, §1.7).
//!
//! The broker protocol (what `hesabu qbo broker` serves; stateless, it stores no tokens):
//!
//! | call | body (JSON) | the broker does |
//! |---|---|---|
//! | `POST {broker}/token` | `{"code", "redirect_uri", "realm_id"}` | the `authorization_code` grant, with its own registered `redirect_uri` when it has one |
//! | `POST {broker}/refresh` | `{"refresh_token"}` | the `refresh_token` grant |
//! | `POST {broker}/revoke` | `{"token"}` | Intuit's revoke call |
//!
//! The broker answers with Intuit's HTTP status and body unchanged, so errors such as
//! `invalid_grant` read the same in both modes.

use std::error::Error as _;
use std::sync::Arc;
use std::time::Duration;

use hesabu_sync_api::secrets::SecretStore;
use reqwest::header::{ACCEPT, HeaderMap};
use serde::Deserialize;

use super::Endpoints;
use super::authorize::AuthorizationCode;
use super::tokens::TokenResponse;
use crate::error::{ApiError, Error, excerpt};
use crate::secret::Secret;

/// How long a token call may take.
const TOKEN_TIMEOUT: Duration = Duration::from_secs(30);

/// Exchanges, refreshes and revokes tokens in one of the two ways.
#[derive(Debug, Clone)]
pub struct TokenService {
    http: reqwest::Client,
    mode: Mode,
}

#[derive(Debug, Clone)]
enum Mode {
    Direct {
        token_url: String,
        revoke_url: String,
        client_id: String,
        /// Where the client secret is kept in `secrets`.
        secret_key: String,
        secrets: Arc<dyn SecretStore>,
    },
    Broker {
        /// Without its trailing slash.
        url: String,
    },
}

impl TokenService {
    /// Direct mode: the firm's own Intuit app. The client secret is read from `secrets` under
    /// `secret_key` at each call (never kept in memory longer, never in the company file).
    pub fn direct(
        endpoints: &Endpoints,
        client_id: &str,
        secret_key: &str,
        secrets: Arc<dyn SecretStore>,
    ) -> Result<Self, Error> {
        check_url("QuickBooks token address", &endpoints.token_url)?;
        check_url("QuickBooks revoke address", &endpoints.revoke_url)?;
        Ok(TokenService {
            http: http_client()?,
            mode: Mode::Direct {
                token_url: endpoints.token_url.clone(),
                revoke_url: endpoints.revoke_url.clone(),
                client_id: client_id.to_owned(),
                secret_key: secret_key.to_owned(),
                secrets,
            },
        })
    }

    /// Broker mode: a configured broker holds the secret (see the module docs for its calls).
    pub fn broker(broker_url: &str) -> Result<Self, Error> {
        let url = broker_url.trim().trim_end_matches('/').to_owned();
        check_url("QuickBooks broker address", &url)?;
        Ok(TokenService {
            http: http_client()?,
            mode: Mode::Broker { url },
        })
    }

    /// Exchanges an authorization code (once: a second exchange is refused).
    pub async fn exchange_code(&self, code: &AuthorizationCode) -> Result<TokenResponse, Error> {
        match &self.mode {
            Mode::Direct { token_url, .. } => {
                let form = [
                    ("grant_type", "authorization_code"),
                    ("code", code.code.expose()),
                    ("redirect_uri", code.redirect_uri.as_str()),
                ];
                let request = self.direct_request(token_url)?.form(&form);
                self.token_call(request, "the code exchange").await
            }
            Mode::Broker { url } => {
                let body = serde_json::json!({
                    "code": code.code.expose(),
                    "redirect_uri": code.redirect_uri,
                    "realm_id": code.realm_id,
                });
                let request = self.broker_request(&format!("{url}/token"), &body);
                self.token_call(request, "the code exchange").await
            }
        }
    }

    /// Uses a refresh token. The answer's refresh token replaces it (rotation).
    pub async fn refresh(&self, refresh_token: &Secret) -> Result<TokenResponse, Error> {
        match &self.mode {
            Mode::Direct { token_url, .. } => {
                let form = [
                    ("grant_type", "refresh_token"),
                    ("refresh_token", refresh_token.expose()),
                ];
                let request = self.direct_request(token_url)?.form(&form);
                self.token_call(request, "the token refresh").await
            }
            Mode::Broker { url } => {
                let body = serde_json::json!({ "refresh_token": refresh_token.expose() });
                let request = self.broker_request(&format!("{url}/refresh"), &body);
                self.token_call(request, "the token refresh").await
            }
        }
    }

    /// Revokes a token (refresh or access): disconnects the app from the company.
    pub async fn revoke(&self, token: &Secret) -> Result<(), Error> {
        let body = serde_json::json!({ "token": token.expose() });
        let request = match &self.mode {
            Mode::Direct { revoke_url, .. } => self
                .direct_request(revoke_url)?
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_string()),
            Mode::Broker { url } => self.broker_request(&format!("{url}/revoke"), &body),
        };
        let (status, body, tid) = send(request, "the revoke call").await?;
        if (200..300).contains(&status) {
            Ok(())
        } else {
            Err(token_error(status, &body, tid, "the revoke call"))
        }
    }

    fn direct_request(&self, url: &str) -> Result<reqwest::RequestBuilder, Error> {
        let Mode::Direct {
            client_id,
            secret_key,
            secrets,
            ..
        } = &self.mode
        else {
            return Err(Error::Config("not in direct mode".to_owned()));
        };
        let secret = secrets.get(secret_key)?.ok_or_else(|| {
            Error::Config(format!(
                "the QuickBooks app's client secret is not in {} (key {secret_key}): enter it \
                 in the QuickBooks settings, or connect through a broker",
                secrets.describe()
            ))
        })?;
        Ok(self
            .http
            .post(url)
            .timeout(TOKEN_TIMEOUT)
            .basic_auth(client_id, Some(secret))
            .header(ACCEPT, "application/json")
            .header("x-include-refresh-token-hard-expires-in", "true"))
    }

    fn broker_request(&self, url: &str, body: &serde_json::Value) -> reqwest::RequestBuilder {
        self.http
            .post(url)
            .timeout(TOKEN_TIMEOUT)
            .header(ACCEPT, "application/json")
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string())
    }

    async fn token_call(
        &self,
        request: reqwest::RequestBuilder,
        what: &str,
    ) -> Result<TokenResponse, Error> {
        let (status, body, tid) = send(request, what).await?;
        if !(200..300).contains(&status) {
            return Err(token_error(status, &body, tid, what));
        }
        serde_json::from_str(&body).map_err(|e| Error::Decode {
            message: format!("{what}: {e}"),
            body: redact(&body),
            outcome_unknown: true,
        })
    }
}

fn http_client() -> Result<reqwest::Client, Error> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(15))
        .user_agent(concat!("hesabu-qbo/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| Error::Config(format!("could not start the HTTP client: {}", chain(&e))))
}

async fn send(
    request: reqwest::RequestBuilder,
    what: &str,
) -> Result<(u16, String, Option<String>), Error> {
    let response = request.send().await.map_err(|e| transport(e, what))?;
    let status = response.status().as_u16();
    let tid = intuit_tid(response.headers());
    let body = response.bytes().await.map_err(|e| transport(e, what))?;
    Ok((status, String::from_utf8_lossy(&body).into_owned(), tid))
}

#[derive(Deserialize)]
struct OAuthError {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

/// A refused token call: OAuth's `{"error": …}` as [`Error::TokenEndpoint`]; a throttle or a
/// server failure as a retryable [`Error::Api`].
fn token_error(status: u16, body: &str, intuit_tid: Option<String>, what: &str) -> Error {
    if status == 429 || status >= 500 || status == 408 {
        return Error::Api(Box::new(ApiError {
            status,
            fault: None,
            body: excerpt(body, 2000),
            intuit_tid,
            retry_after: None,
            operation: what.to_owned(),
        }));
    }
    match serde_json::from_str::<OAuthError>(body) {
        Ok(e) => Error::TokenEndpoint {
            status,
            error: e.error,
            description: e.error_description,
            intuit_tid,
        },
        Err(_) => Error::TokenEndpoint {
            status,
            error: format!("HTTP {status}"),
            description: Some(excerpt(body, 300)),
            intuit_tid,
        },
    }
}

/// Token answers are secrets: keep only their shape for an error message.
fn redact(body: &str) -> String {
    format!("({} bytes, not shown: it may hold tokens)", body.len())
}

pub(crate) fn intuit_tid(headers: &HeaderMap) -> Option<String> {
    headers
        .get("intuit_tid")
        .or_else(|| headers.get("intuit-tid"))
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

pub(crate) fn check_url(what: &str, url: &str) -> Result<(), Error> {
    match reqwest::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(()),
        Ok(u) => Err(Error::Config(format!(
            "the {what} {url:?} must be an http(s) URL, not {}",
            u.scheme()
        ))),
        Err(e) => Err(Error::Config(format!(
            "the {what} {url:?} is not a URL: {e}"
        ))),
    }
}

/// A reqwest failure as our error: a failed connect never reached QuickBooks; anything later
/// may have.
pub(crate) fn transport(e: reqwest::Error, what: &str) -> Error {
    if e.is_builder() {
        return Error::Config(format!("could not build {what}: {}", chain(&e)));
    }
    Error::Transport {
        message: format!("{what}: {}", chain(&e)),
        timeout: e.is_timeout(),
        outcome_unknown: !e.is_connect(),
    }
}

/// An error with its causes, which say what actually went wrong.
pub(crate) fn chain(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
