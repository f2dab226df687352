//! What this client tells the outbox, in the sync contract's terms (`hesabu-sync-api`): how an
//! [`Error`] becomes a [`SendError`], and how the worker should pace one QuickBooks company.

use std::time::Duration;

use hesabu_sync_api::{SendError, TargetConfig};

use crate::error::{Error, ErrorKind};

/// The outbox's view of a failure. Retryable: transport errors, throttles (with the wait),
/// 5xx, unreadable answers, and the stale-`SyncToken` conflict (5010) — the target must re-read
/// the entity and re-apply its change (with a new `requestid`) before it sends again; permanent:
/// everything that needs a person. The message keeps QuickBooks' words and says what to do.
pub fn send_error(error: &Error) -> SendError {
    if error.is_retryable() || error.kind() == ErrorKind::StaleObject {
        SendError::Retryable {
            message: error.to_string(),
            outcome_unknown: error.outcome_unknown(),
            retry_after: error.retry_after(),
        }
    } else {
        SendError::Permanent {
            message: error.to_string(),
        }
    }
}

impl From<Error> for SendError {
    fn from(error: Error) -> Self {
        send_error(&error)
    }
}

/// Pacing for one QuickBooks company (spec §6.1): at most 4 requests in flight and 8 a second
/// (under Intuit's 10/s and 500/min), a bounded number of retries before a person is asked.
pub fn target_config() -> TargetConfig {
    TargetConfig {
        max_in_flight: 4,
        min_interval: Duration::from_millis(125),
        max_retries: 8,
        backoff_base: Duration::from_secs(5),
        backoff_cap: Duration::from_secs(15 * 60),
        jitter_permille: 200,
    }
}
