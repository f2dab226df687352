//! The client's one error type. Its class (retryable or permanent) comes from
//! [`crate::result`]; KRA's own words are kept verbatim.

use std::time::Duration;

use crate::result::{ResultClass, classify_http};

/// KRA (or its gateway) answered and said no.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The HTTP status of the answer.
    pub http_status: u16,
    /// KRA's `resultCd` (`"910"`); for an integrator-gateway rejection without one, the
    /// gateway's `responseCode` (`"400"`).
    pub code: String,
    /// KRA's `resultMsg`, or the gateway's `customerMessage`, exactly as sent. Show this.
    pub message: String,
    /// Integrator gateway: `debugMessage` (often the more precise text).
    pub debug_message: Option<String>,
    /// Integrator gateway: `responseRefID`, for a support ticket.
    pub response_ref_id: Option<String>,
    /// `Retryable` or `Permanent`.
    pub class: ResultClass,
    /// The whole answer, for the record.
    pub raw_body: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A result code other than success, or a gateway validation failure.
    #[error("{}", rejection_text(.0))]
    Rejected(Box<Rejection>),

    /// No answer: DNS, TLS, refused or dropped connection, timeout.
    #[error("could not reach e-TIMS ({}): {message}", if *.timeout { "timed out" } else { "network error" })]
    Transport {
        message: String,
        timeout: bool,
        /// The request may have reached KRA (anything but a failed connect).
        outcome_unknown: bool,
    },

    /// An HTTP failure without a KRA result code (a proxy's 502 page, a 404 for a wrong URL).
    #[error("e-TIMS answered HTTP {status}: {}", excerpt(.body))]
    Http {
        status: u16,
        body: String,
        retry_after: Option<Duration>,
    },

    /// The integrator gateway refused our consumer key, secret or token.
    #[error(
        "the e-TIMS gateway refused our credentials (HTTP {status}): {message}. Check the \
         consumer key and secret of this device"
    )]
    Auth { status: u16, message: String },

    /// KRA said success but the answer could not be read: the request reached KRA, so a fiscal
    /// write must be checked (`selectInvoiceDetails`) before it is sent again.
    #[error("the e-TIMS answer could not be read ({message}): {}", excerpt(.body))]
    Decode { message: String, body: String },

    /// Our own set-up is incomplete (no communication key, a bad URL).
    #[error("{0}")]
    Config(String),
}

fn rejection_text(r: &Rejection) -> String {
    let mut text = format!("e-TIMS {}: {}", r.code, r.message.trim());
    if let Some(debug) = &r.debug_message
        && !debug.trim().is_empty()
        && debug.trim() != r.message.trim()
    {
        text.push_str(&format!(" ({})", debug.trim()));
    }
    text
}

fn excerpt(body: &str) -> String {
    const MAX: usize = 300;
    let body = body.trim();
    match body.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}…", &body[..at]),
        None => body.to_owned(),
    }
}

impl Error {
    pub fn rejected(rejection: Rejection) -> Error {
        Error::Rejected(Box::new(rejection))
    }

    pub fn class(&self) -> ResultClass {
        match self {
            Error::Rejected(r) => r.class,
            Error::Transport { .. } | Error::Decode { .. } => ResultClass::Retryable,
            Error::Http { status, .. } => classify_http(*status),
            Error::Auth { .. } | Error::Config(_) => ResultClass::Permanent,
        }
    }

    pub fn is_retryable(&self) -> bool {
        self.class() == ResultClass::Retryable
    }

    /// Whether the request may have taken effect at KRA although we got no success: the next
    /// attempt of a fiscal write must ask `selectInvoiceDetails` first (spec §11.4 step 5).
    pub fn outcome_unknown(&self) -> bool {
        match self {
            Error::Transport {
                outcome_unknown, ..
            } => *outcome_unknown,
            Error::Decode { .. } => true,
            Error::Http { status, .. } => *status >= 500,
            Error::Rejected(r) => {
                r.class == ResultClass::Retryable
                    && (r.http_status >= 500 || crate::result::may_have_taken_effect(&r.code))
            }
            Error::Auth { .. } | Error::Config(_) => false,
        }
    }

    /// KRA's result code, when KRA gave one.
    pub fn result_code(&self) -> Option<&str> {
        match self {
            Error::Rejected(r) => Some(&r.code),
            _ => None,
        }
    }

    /// KRA's message verbatim, when KRA gave one.
    pub fn kra_message(&self) -> Option<&str> {
        match self {
            Error::Rejected(r) => Some(&r.message),
            _ => None,
        }
    }

    pub fn rejection(&self) -> Option<&Rejection> {
        match self {
            Error::Rejected(r) => Some(r.as_ref()),
            _ => None,
        }
    }

    /// How long the gateway asked us to wait (HTTP `Retry-After`).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Http { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejection(code: &str, class: ResultClass, http_status: u16) -> Error {
        Error::rejected(Rejection {
            http_status,
            code: code.to_owned(),
            message: "m".to_owned(),
            debug_message: None,
            response_ref_id: None,
            class,
            raw_body: String::new(),
        })
    }

    #[test]
    fn classes_and_unknown_outcomes() {
        let timeout = Error::Transport {
            message: "t".into(),
            timeout: true,
            outcome_unknown: true,
        };
        assert!(timeout.is_retryable() && timeout.outcome_unknown());
        let refused = Error::Transport {
            message: "r".into(),
            timeout: false,
            outcome_unknown: false,
        };
        assert!(refused.is_retryable() && !refused.outcome_unknown());
        let bad_gateway = Error::Http {
            status: 502,
            body: "<html>".into(),
            retry_after: None,
        };
        assert!(bad_gateway.is_retryable() && bad_gateway.outcome_unknown());
        let not_found = Error::Http {
            status: 404,
            body: String::new(),
            retry_after: None,
        };
        assert!(!not_found.is_retryable());
        assert!(rejection("991", ResultClass::Retryable, 200).outcome_unknown());
        assert!(!rejection("990", ResultClass::Retryable, 200).outcome_unknown());
        assert!(!rejection("910", ResultClass::Permanent, 200).outcome_unknown());
        let decode = Error::Decode {
            message: "x".into(),
            body: "{}".into(),
        };
        assert!(decode.is_retryable() && decode.outcome_unknown());
        assert!(!Error::Config("no key".into()).is_retryable());
    }

    #[test]
    fn the_message_is_kras_own() {
        let e = Error::rejected(Rejection {
            http_status: 400,
            code: "400".into(),
            message: "Invalid taxblAmt on item: 1. Expected: 86.21, But Found: 100.00".into(),
            debug_message: Some(
                "Invalid taxblAmt on item: 1. Expected: 86.21, But Found: 100.00".into(),
            ),
            response_ref_id: None,
            class: ResultClass::Permanent,
            raw_body: String::new(),
        });
        assert_eq!(
            e.to_string(),
            "e-TIMS 400: Invalid taxblAmt on item: 1. Expected: 86.21, But Found: 100.00"
        );
    }
}
