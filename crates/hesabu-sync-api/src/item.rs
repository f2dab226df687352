//! One queued message as a [`crate::Target`] receives it.

/// A row of the outbox, as a target receives it: the frozen payload and the key the target
/// deduplicates on. The outbox owns the row; a target only reads this copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxItem {
    pub id: String,
    /// Enqueue order (unique per company file).
    pub seq: i64,
    pub target: String,
    pub operation: String,
    /// The frozen payload, as stored (JSON text).
    pub payload: String,
    pub idempotency_key: String,
    pub ordering_key: Option<String>,
    /// Attempts started so far, including the current one.
    pub attempts: i32,
}
