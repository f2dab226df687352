//! What a client of an external system implements to be drained by the outbox worker.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::OutboxItem;

/// The target's acknowledgement of an item.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ack {
    /// What the target calls the thing (e-TIMS receipt number, QuickBooks Id).
    pub remote_ref: Option<String>,
    /// Anything else worth keeping (e-TIMS signature fields ...), stored on the row as JSON.
    pub result: Option<Value>,
}

/// Why a send failed, as decided by the target's client in one place (its `classify`
/// function): retryable (transport errors, 429/5xx, e-TIMS 894/990/991–993/999) or permanent
/// (a business rejection that needs a person: 4xx, e-TIMS 910/994, QuickBooks 6000-range).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    Retryable {
        message: String,
        /// The request may have reached the target (a timeout after the request was written):
        /// the next attempt must ask [`Target::check_before_resend`] first.
        outcome_unknown: bool,
        /// The target asked for a pause (QuickBooks 429: 60 s); the whole target waits that long.
        retry_after: Option<Duration>,
    },
    Permanent {
        message: String,
    },
}

impl SendError {
    pub fn retryable(message: impl Into<String>) -> Self {
        SendError::Retryable {
            message: message.into(),
            outcome_unknown: false,
            retry_after: None,
        }
    }

    pub fn permanent(message: impl Into<String>) -> Self {
        SendError::Permanent {
            message: message.into(),
        }
    }

    pub fn is_retryable(&self) -> bool {
        matches!(self, SendError::Retryable { .. })
    }

    pub fn message(&self) -> &str {
        match self {
            SendError::Retryable { message, .. } | SendError::Permanent { message } => message,
        }
    }

    /// The stored `last_error_kind`.
    pub fn kind(&self) -> &'static str {
        match self {
            SendError::Retryable {
                outcome_unknown: true,
                ..
            } => "unknown_outcome",
            SendError::Retryable { .. } => "retryable",
            SendError::Permanent { .. } => "permanent",
        }
    }
}

/// The answer to "did you already receive this item?" (e-TIMS `selectInvoiceDetails`; for
/// QuickBooks, replaying the same `requestid` returns the original response).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoteState {
    /// It arrived and took effect: adopt the acknowledgement, do not resend.
    Received(Ack),
    /// It never took effect: sending the same payload with the same key is safe.
    NotReceived,
    /// The target could not say (offline, error): do not send; try again later.
    Unknown(String),
}

/// How the worker treats one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetConfig {
    /// Items sent at once to this target (1 = serial). Rows with an ordering key are further
    /// limited to one in flight per key.
    pub max_in_flight: usize,
    /// Rate limit: at least this long between the starts of two sends (zero: none).
    pub min_interval: Duration,
    /// Retries after the first attempt before a row is dead-lettered.
    pub max_retries: u32,
    /// First retry delay; doubles per failed attempt up to `backoff_cap`.
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    /// Jitter: up to this many thousandths of the delay are taken off, deterministically from
    /// the row id and attempt, so that retries spread out but tests are reproducible.
    pub jitter_permille: u32,
}

impl Default for TargetConfig {
    fn default() -> Self {
        Self {
            max_in_flight: 1,
            min_interval: Duration::ZERO,
            max_retries: 8,
            backoff_base: Duration::from_secs(5),
            backoff_cap: Duration::from_secs(15 * 60),
            jitter_permille: 200,
        }
    }
}

/// A client of one external system, as the outbox worker sees it.
#[async_trait::async_trait]
pub trait Target: Send + Sync + std::fmt::Debug {
    /// The `target` column value this client serves.
    fn name(&self) -> &str;

    fn config(&self) -> TargetConfig;

    /// Sends one item with its idempotency key. Never called for an item whose previous
    /// outcome is unknown without [`Self::check_before_resend`] saying `NotReceived` first.
    async fn send(&self, item: &OutboxItem) -> Result<Ack, SendError>;

    /// Crash recovery and unknown outcomes: has this item (by idempotency key) taken effect?
    async fn check_before_resend(&self, item: &OutboxItem) -> RemoteState;

    /// A cheap connectivity check. `false` pauses this target until a later probe succeeds.
    async fn probe(&self) -> bool;
}

/// The clients this process has, by target name.
#[derive(Debug, Clone, Default)]
pub struct Targets {
    by_name: BTreeMap<String, Arc<dyn Target>>,
}

impl Targets {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with(mut self, target: Arc<dyn Target>) -> Self {
        self.add(target);
        self
    }

    pub fn add(&mut self, target: Arc<dyn Target>) {
        self.by_name.insert(target.name().to_owned(), target);
    }

    pub fn get(&self, name: &str) -> Option<&Arc<dyn Target>> {
        self.by_name.get(name)
    }

    pub fn names(&self) -> Vec<String> {
        self.by_name.keys().cloned().collect()
    }

    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }
}
