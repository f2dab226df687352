//! What this client tells the outbox, in the sync contract's terms (`hesabu-sync-api`): how an
//! [`Error`] becomes a [`SendError`], and how the worker should pace an e-TIMS device. The
//! `Target` itself (payloads, check before resend) is built on top of this crate.

use std::time::Duration;

use hesabu_sync_api::{SendError, TargetConfig};

use crate::error::Error;
use crate::result::ResultClass;

/// The outbox's view of a failure: retryable ones keep whether the request may have taken
/// effect (`outcome_unknown`: check with `selectInvoiceDetails` before resending) and any wait
/// the gateway asked for; the message keeps KRA's own words.
pub fn send_error(error: &Error) -> SendError {
    match error.class() {
        ResultClass::Retryable => SendError::Retryable {
            message: error.to_string(),
            outcome_unknown: error.outcome_unknown(),
            retry_after: error.retry_after(),
        },
        _ => SendError::Permanent {
            message: error.to_string(),
        },
    }
}

impl From<Error> for SendError {
    fn from(error: Error) -> Self {
        send_error(&error)
    }
}

/// Pacing for one e-TIMS device (spec §11.4, §16): one fiscal write in flight, FIFO; retryable
/// failures retried a bounded number of times (30 s, 1, 2, 4, 8, 16 min: about half an hour)
/// before the row goes to a person.
pub fn target_config() -> TargetConfig {
    TargetConfig {
        max_in_flight: 1,
        min_interval: Duration::ZERO,
        max_retries: 6,
        backoff_base: Duration::from_secs(30),
        backoff_cap: Duration::from_secs(30 * 60),
        jitter_permille: 200,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Rejection;

    #[test]
    fn errors_map_onto_the_contract() {
        let timeout = Error::Transport {
            message: "operation timed out".into(),
            timeout: true,
            outcome_unknown: true,
        };
        assert_eq!(send_error(&timeout).kind(), "unknown_outcome");
        let rejected = Error::rejected(Rejection {
            http_status: 200,
            code: "910".into(),
            message: "Request parameter error".into(),
            debug_message: None,
            response_ref_id: None,
            class: ResultClass::Permanent,
            raw_body: String::new(),
        });
        let mapped = SendError::from(rejected);
        assert_eq!(mapped.kind(), "permanent");
        assert_eq!(mapped.message(), "e-TIMS 910: Request parameter error");
        let throttled = Error::Http {
            status: 429,
            body: String::new(),
            retry_after: Some(Duration::from_secs(60)),
        };
        assert_eq!(
            send_error(&throttled),
            SendError::Retryable {
                message: throttled.to_string(),
                outcome_unknown: false,
                retry_after: Some(Duration::from_secs(60)),
            }
        );
        assert_eq!(target_config().max_in_flight, 1);
    }
}
