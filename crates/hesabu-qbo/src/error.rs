//! The client's one error type and its one classification ([`Error::kind`]): which failures
//! are worth retrying, which need a person, and the stale-`SyncToken` conflict (5010) as its
//! own kind so the caller can re-read and re-apply. QuickBooks' words are kept verbatim; each
//! message ends with what to do.

use std::time::Duration;

use hesabu_sync_api::secrets::SecretError;

use crate::connect_error::ConnectError;
use crate::fault::{Fault, looks_throttled};

/// How long to wait after a throttle when QuickBooks does not say (Intuit: 60 s, spec §6.2).
pub const THROTTLE_WAIT: Duration = Duration::from_secs(60);

/// The classes of failure, decided in one place ([`Error::kind`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// No answer (DNS, refused or dropped connection, timeout). Retryable; a write may have
    /// taken effect: resend with the same `requestid`.
    Transport,
    /// HTTP 429 or Fault 3001 (also as XML or 403), or a request refused unsent while the realm
    /// is paused after one ([`Error::Paused`]). Retryable after [`Error::retry_after`].
    Throttled,
    /// HTTP 5xx, Fault 10000 `SystemFault`. Retryable with the same `requestid`.
    Server,
    /// Fault 5010: the `SyncToken` sent is stale. Re-read the entity, re-apply the change, send
    /// again with a **new** `requestid` (spec §4.2).
    StaleObject,
    /// A data problem (6000-range business rules, 2010 invalid property, 4001 invalid query…).
    /// Permanent: a person must correct the data.
    Validation,
    /// Fault 610: the entity or one it refers to is deleted or inactive. Permanent.
    NotFound,
    /// HTTP 401 / Fault 3200 even after a token refresh. Permanent: reconnect.
    Authentication,
    /// HTTP 403 / Faults 3100, 120, 6190: wrong key set, lost access, subscription ended.
    Authorization,
    /// The refresh token is dead (`invalid_grant` after re-reading the stored one): a person
    /// must connect QuickBooks again.
    ReconnectNeeded,
    /// No tokens are stored for the company.
    NotConnected,
    /// The connect flow went wrong (wrong `state`, refused consent, a malformed pasted address).
    Connect,
    /// The token endpoint (or broker) refused: `invalid_client`, a used or expired code.
    TokenEndpoint,
    /// A success answer that could not be read.
    Decode,
    /// The secret store failed.
    Secrets,
    /// Our own set-up (a bad URL, a missing client secret, a bad argument).
    Config,
}

/// QuickBooks answered with an error (a Fault, or a bare HTTP status).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status (200 for a Fault inside a success answer).
    pub status: u16,
    /// QuickBooks' Fault, when the body had one.
    pub fault: Option<Fault>,
    /// The body (at most a few KB), for the record.
    pub body: String,
    /// The `intuit_tid` response header: give it to Intuit support.
    pub intuit_tid: Option<String>,
    /// The `Retry-After` header, when QuickBooks sent one.
    pub retry_after: Option<Duration>,
    /// What was called (`POST invoice`), without the query string.
    pub operation: String,
}

impl ApiError {
    /// The one classification of QuickBooks' error answers (spec §6.3).
    pub fn kind(&self) -> ErrorKind {
        let has = |code: &str| self.fault.as_ref().is_some_and(|f| f.has_code(code));
        let fault_type = self
            .fault
            .as_ref()
            .and_then(|f| f.kind.as_deref())
            .unwrap_or("")
            .to_ascii_lowercase();
        let success = (200..300).contains(&self.status);
        if self.status == 429
            || self.fault.as_ref().is_some_and(Fault::is_throttle)
            || (!success && looks_throttled(&self.body))
        {
            ErrorKind::Throttled
        } else if has("5010") {
            ErrorKind::StaleObject
        } else if self.status == 401 || has("3200") || fault_type.starts_with("authentication") {
            ErrorKind::Authentication
        } else if self.status == 403
            || has("3100")
            || has("120")
            || has("6190")
            || fault_type.starts_with("authorization")
        {
            ErrorKind::Authorization
        } else if has("610") {
            ErrorKind::NotFound
        } else if self.status >= 500
            || self.status == 408
            || has("10000")
            || fault_type == "systemfault"
        {
            ErrorKind::Server
        } else {
            ErrorKind::Validation
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// No answer: DNS, TLS, refused or dropped connection, timeout.
    #[error(
        "could not reach QuickBooks ({}): {message}. Check the internet connection; Hesabu sends \
         the same request again later",
        if *.timeout { "timed out" } else { "network error" }
    )]
    Transport {
        message: String,
        timeout: bool,
        /// The request may have reached QuickBooks (anything but a failed connect).
        outcome_unknown: bool,
    },

    /// QuickBooks answered with an error.
    #[error("{}", api_text(.0))]
    Api(Box<ApiError>),

    /// Not sent: a throttle answer paused every request to this company (spec §6.2, the
    /// limiter's pause), and `retry_after` of it is left.
    #[error(
        "QuickBooks asked Hesabu to slow down for company {realm_id}: nothing is sent to it for \
         another {} s. Hesabu sends the same request again after that",
        .retry_after.as_secs() + u64::from(.retry_after.subsec_nanos() > 0)
    )]
    Paused {
        realm_id: String,
        retry_after: Duration,
    },

    /// A success answer that could not be read.
    #[error(
        "QuickBooks' answer could not be read ({message}): {}. Hesabu asks again later; if this \
         persists, report it with the text above",
        excerpt(.body, 300)
    )]
    Decode {
        message: String,
        body: String,
        /// A write's answer was unreadable: it probably took effect.
        outcome_unknown: bool,
    },

    /// The refresh token is dead: a person must connect again.
    #[error(
        "QuickBooks must be connected again for company {realm_id} ({reason}). Open the \
         QuickBooks settings and choose Reconnect; a QuickBooks admin user must sign in"
    )]
    ReconnectNeeded { realm_id: String, reason: String },

    /// Nothing is stored for this company.
    #[error(
        "QuickBooks is not connected for company {realm_id}: connect it in the QuickBooks \
         settings first"
    )]
    NotConnected { realm_id: String },

    /// The connect flow went wrong.
    #[error("{0}")]
    Connect(ConnectError),

    /// The token endpoint (or the broker) refused.
    #[error("{}", token_text(*.status, .error, .description.as_deref()))]
    TokenEndpoint {
        status: u16,
        /// OAuth's `error`: `invalid_grant`, `invalid_client`, …
        error: String,
        description: Option<String>,
        intuit_tid: Option<String>,
    },

    #[error("the QuickBooks connection could not be kept in the secret store: {0}")]
    Secrets(SecretError),

    #[error("{0}")]
    Config(String),
}

impl From<ConnectError> for Error {
    fn from(e: ConnectError) -> Self {
        Error::Connect(e)
    }
}

impl From<SecretError> for Error {
    fn from(e: SecretError) -> Self {
        Error::Secrets(e)
    }
}

impl Error {
    /// The class of this failure.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Transport { .. } => ErrorKind::Transport,
            Error::Api(api) => api.kind(),
            Error::Paused { .. } => ErrorKind::Throttled,
            Error::Decode { .. } => ErrorKind::Decode,
            Error::ReconnectNeeded { .. } => ErrorKind::ReconnectNeeded,
            Error::NotConnected { .. } => ErrorKind::NotConnected,
            Error::Connect(_) => ErrorKind::Connect,
            Error::TokenEndpoint { .. } => ErrorKind::TokenEndpoint,
            Error::Secrets(_) => ErrorKind::Secrets,
            Error::Config(_) => ErrorKind::Config,
        }
    }

    /// Whether sending the same request again later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self.kind() {
            ErrorKind::Transport | ErrorKind::Throttled | ErrorKind::Server | ErrorKind::Decode => {
                true
            }
            ErrorKind::Secrets => matches!(self, Error::Secrets(SecretError::Unavailable(_))),
            _ => false,
        }
    }

    /// Fault 5010: re-read, re-apply, resend with a new `requestid`.
    pub fn is_stale_object(&self) -> bool {
        self.kind() == ErrorKind::StaleObject
    }

    /// The token endpoint said `invalid_grant` (a dead refresh token, a used code).
    pub fn is_invalid_grant(&self) -> bool {
        matches!(self, Error::TokenEndpoint { error, .. } if error == "invalid_grant")
    }

    /// How long to wait before retrying: the `Retry-After` header, or 60 s for a throttle; for
    /// a request refused while the realm is paused, the time left.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Paused { retry_after, .. } => Some(*retry_after),
            Error::Api(api) if api.kind() == ErrorKind::Throttled => {
                Some(api.retry_after.unwrap_or(THROTTLE_WAIT))
            }
            Error::Api(api) => api.retry_after,
            _ => None,
        }
    }

    /// Whether a write may have taken effect although no success was seen: resend it with the
    /// same `requestid` (QuickBooks then replays the original answer).
    pub fn outcome_unknown(&self) -> bool {
        match self {
            Error::Transport {
                outcome_unknown, ..
            }
            | Error::Decode {
                outcome_unknown, ..
            } => *outcome_unknown,
            Error::Api(api) => api.status >= 500,
            _ => false,
        }
    }

    /// QuickBooks' Fault, when the answer had one.
    pub fn fault(&self) -> Option<&Fault> {
        match self {
            Error::Api(api) => api.fault.as_ref(),
            _ => None,
        }
    }

    /// The `intuit_tid` of the failed answer, for Intuit support.
    pub fn intuit_tid(&self) -> Option<&str> {
        match self {
            Error::Api(api) => api.intuit_tid.as_deref(),
            Error::TokenEndpoint { intuit_tid, .. } => intuit_tid.as_deref(),
            _ => None,
        }
    }

    /// What the user (or the caller) should do about it, in a sentence.
    pub fn advice(&self) -> &'static str {
        advice(self.kind())
    }
}

fn advice(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Transport => {
            "Check the internet connection; Hesabu sends the same request again later."
        }
        ErrorKind::Throttled => {
            "QuickBooks is limiting requests for this company; Hesabu waits and sends the same \
             request again."
        }
        ErrorKind::Server => {
            "QuickBooks had a temporary problem; Hesabu sends the same request again later."
        }
        ErrorKind::StaleObject => {
            "Someone changed this record in QuickBooks at the same time; Hesabu reads it again \
             and re-applies its change."
        }
        ErrorKind::Validation => {
            "Correct the data QuickBooks names above (in QuickBooks or in Hesabu), then send it \
             again."
        }
        ErrorKind::NotFound => {
            "The record, or one it refers to, is deleted or inactive in QuickBooks: pull changes \
             from QuickBooks, check the record, then send it again."
        }
        ErrorKind::Authentication | ErrorKind::ReconnectNeeded | ErrorKind::NotConnected => {
            "Open the QuickBooks settings and connect again; a QuickBooks admin user must sign \
             in."
        }
        ErrorKind::Authorization => {
            "The connected QuickBooks user or subscription may not do this (or the app keys are \
             for the other environment): reconnect with a QuickBooks admin user and check the \
             company's subscription."
        }
        ErrorKind::Connect => "Start Connect again from the QuickBooks settings.",
        ErrorKind::TokenEndpoint => {
            "Check the QuickBooks app's client id and secret (or the broker address), then \
             connect again."
        }
        ErrorKind::Decode => "Hesabu asks again later; if this persists, report it.",
        ErrorKind::Secrets => "Unlock or repair the system keyring, then try again.",
        ErrorKind::Config => "Correct the QuickBooks settings, then try again.",
    }
}

fn api_text(api: &ApiError) -> String {
    let said = match &api.fault {
        Some(fault) => fault.summary(),
        None if api.body.trim().is_empty() => "no details".to_owned(),
        None => excerpt(&api.body, 300),
    };
    let mut text = format!(
        "QuickBooks refused {} (HTTP {}): {}. {}",
        api.operation,
        api.status,
        said,
        advice(api.kind())
    );
    if let Some(tid) = &api.intuit_tid {
        text.push_str(&format!(" (QuickBooks reference intuit_tid {tid})"));
    }
    text
}

fn token_text(status: u16, error: &str, description: Option<&str>) -> String {
    let said = match description.map(str::trim) {
        Some(d) if !d.is_empty() => format!("{error}: {d}"),
        _ => error.to_owned(),
    };
    match error {
        "invalid_client" => format!(
            "QuickBooks refused Hesabu's app credentials (HTTP {status}, {said}). Check the \
             client id and secret in the QuickBooks settings, or the broker's configuration"
        ),
        "invalid_grant" => format!(
            "QuickBooks refused the authorization (HTTP {status}, {said}): it was already used, \
             has expired or was revoked. Connect QuickBooks again"
        ),
        _ => format!(
            "QuickBooks' sign-in service refused (HTTP {status}, {said}). {}",
            advice(ErrorKind::TokenEndpoint)
        ),
    }
}

/// At most `max` characters of `body`.
pub(crate) fn excerpt(body: &str, max: usize) -> String {
    let body = body.trim();
    match body.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &body[..at]),
        None => body.to_owned(),
    }
}
