//! The outbox's wire types: what `hesabu sync` prints and the Sync page shows.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::entities::outbox;

/// One outbox row as people and programs see it (`hesabu sync dead`, the sync page).
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct OutboxItemView {
    pub id: String,
    #[ts(type = "number")]
    pub seq: i64,
    pub target: String,
    pub operation: String,
    pub idempotency_key: String,
    pub ordering_key: Option<String>,
    /// ready | in_flight | done | dead
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: String,
    pub check_first: bool,
    pub last_error_kind: Option<String>,
    pub last_error_message: Option<String>,
    pub remote_ref: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub done_at: Option<String>,
}

impl From<outbox::Model> for OutboxItemView {
    fn from(m: outbox::Model) -> Self {
        Self {
            id: m.id,
            seq: m.seq,
            target: m.target,
            operation: m.operation,
            idempotency_key: m.idempotency_key,
            ordering_key: m.ordering_key,
            state: m.state.to_string(),
            // A count of sends: far inside 32 bits (the outbox gives up long before).
            attempts: i32::try_from(m.attempts).unwrap_or(i32::MAX),
            next_attempt_at: m.next_attempt_at,
            check_first: m.check_first,
            last_error_kind: m.last_error_kind,
            last_error_message: m.last_error_message,
            remote_ref: m.remote_ref,
            created_at: m.created_at,
            updated_at: m.updated_at,
            done_at: m.done_at,
        }
    }
}

/// How many outbox rows one target has in one state.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct QueueDepth {
    pub target: String,
    pub state: String,
    #[ts(type = "number")]
    pub count: i64,
}

/// `hesabu sync status`: the queue and whether a worker is draining it.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct SyncStatus {
    pub depth: Vec<QueueDepth>,
    /// The oldest ready row's age in milliseconds (by its creation time), if any is ready.
    #[ts(type = "number | null")]
    pub oldest_ready_age_ms: Option<i64>,
    /// idle | running | paused_offline | stopped, or "not_running" when no worker holds this
    /// company file's sync lock, "other_process" when another process does.
    pub worker: String,
}

/// What one `sync run` did.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
pub struct DrainSummary {
    pub recovered: u32,
    pub sent: u32,
    pub done: u32,
    pub failed: u32,
    pub dead: u32,
    /// Targets skipped because their probe failed.
    pub offline: Vec<String>,
    /// Due rows whose target has no client in this build or configuration.
    pub no_client: u32,
}
