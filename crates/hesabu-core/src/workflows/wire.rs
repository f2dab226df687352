//! Wire types of the workflows: what `hesabu workflow … --json` prints and the UI receives.

use hesabu_store::error::{Error, Result};
use sea_orm::{DeriveActiveEnum, EnumIter, Iterable};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use super::config::WorkflowType;
use super::entities::{event, workflow_execution, workflow_execution_attempt};

/// One workflow's settings.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct WorkflowView {
    pub workflow_type: WorkflowType,
    pub description: String,
    pub enabled: bool,
    /// true: matching events are queued at once; false: they wait for `workflow run`.
    pub auto_sync: bool,
    /// The typed config (camelCase keys, as in the file given to `workflow set`).
    #[ts(type = "Record<string, unknown>")]
    pub config: Value,
    /// 0 until first changed.
    #[ts(type = "number")]
    pub version: i64,
    pub updated_at: Option<String>,
}

/// The statuses an execution moves through. Stored as TEXT (`pending`, `running`, `completed`,
/// `failed`, `skipped`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum ExecutionStatus {
    #[sea_orm(string_value = "pending")]
    Pending,
    #[sea_orm(string_value = "running")]
    Running,
    #[sea_orm(string_value = "completed")]
    Completed,
    #[sea_orm(string_value = "failed")]
    Failed,
    #[sea_orm(string_value = "skipped")]
    Skipped,
}

impl ExecutionStatus {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            ExecutionStatus::Pending => "pending",
            ExecutionStatus::Running => "running",
            ExecutionStatus::Completed => "completed",
            ExecutionStatus::Failed => "failed",
            ExecutionStatus::Skipped => "skipped",
        }
    }

    /// A status typed by a person (`--status failed`), or a message listing the valid ones.
    pub fn parse(text: &str) -> Result<Self> {
        Self::iter().find(|s| s.as_str() == text).ok_or_else(|| {
            Error::invalid(format!(
                "Unknown execution status '{text}'. Use one of: {}.",
                Self::iter()
                    .map(ExecutionStatus::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
    }
}

impl std::fmt::Display for ExecutionStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One row of the execution log.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ExecutionView {
    pub id: String,
    pub workflow_type: String,
    pub entity_type: String,
    pub entity_id: String,
    /// What a person calls the entity (a document's number, e.g. SI-000002), when it is known.
    pub entity_label: Option<String>,
    #[ts(type = "number")]
    pub entity_version: i64,
    /// event | manual | retry
    pub trigger: String,
    pub event_id: Option<String>,
    pub outbox_id: Option<String>,
    /// pending | running | completed | failed | skipped
    pub status: String,
    pub started_at: Option<String>,
    pub completed_at: Option<String>,
    #[ts(type = "number | null")]
    pub duration_ms: Option<i64>,
    #[ts(type = "number")]
    pub attempts: i64,
    pub error_kind: Option<String>,
    pub error_message: Option<String>,
    pub result_ref: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// Every try of the send, oldest first (empty when nothing was sent: skipped, held, or
    /// waiting in the queue). The execution log shows one row per attempt.
    pub attempt_log: Vec<AttemptView>,
}

/// One try of an execution's send.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct AttemptView {
    /// 1 for the first send, then counting every automatic and manual retry.
    #[ts(type = "number")]
    pub number: i64,
    /// event | manual (the execution's first send) | automatic (the queue retrying after a
    /// retryable failure or an interrupted send) | retry (a person's retry)
    pub started_by: String,
    /// sending | sent | will_retry | failed | interrupted
    pub outcome: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    #[ts(type = "number | null")]
    pub duration_ms: Option<i64>,
    pub error_kind: Option<String>,
    pub error_message: Option<String>,
    /// The target's reference for a sent attempt (e-TIMS: the receipt number).
    pub result_ref: Option<String>,
}

impl From<workflow_execution_attempt::Model> for AttemptView {
    fn from(m: workflow_execution_attempt::Model) -> Self {
        Self {
            number: m.number,
            started_by: m.started_by,
            outcome: m.outcome,
            started_at: m.started_at,
            finished_at: m.finished_at,
            duration_ms: m.duration_ms,
            error_kind: m.error_kind,
            error_message: m.error_message,
            result_ref: m.result_ref,
        }
    }
}

impl From<workflow_execution::Model> for ExecutionView {
    fn from(m: workflow_execution::Model) -> Self {
        Self {
            id: m.id,
            workflow_type: m.workflow_type,
            entity_type: m.entity_type,
            entity_id: m.entity_id,
            entity_label: None,
            entity_version: m.entity_version,
            trigger: m.trigger,
            event_id: m.event_id,
            outbox_id: m.outbox_id,
            status: m.status.to_string(),
            started_at: m.started_at,
            completed_at: m.completed_at,
            duration_ms: m.duration_ms,
            attempts: m.attempts,
            error_kind: m.error_kind,
            error_message: m.error_message,
            result_ref: m.result_ref,
            created_at: m.created_at,
            updated_at: m.updated_at,
            attempt_log: Vec::new(),
        }
    }
}

/// A recorded local event.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct EventView {
    pub id: String,
    pub event_type: String,
    pub entity_type: String,
    pub entity_id: String,
    #[ts(type = "number")]
    pub entity_version: i64,
    pub source: String,
    #[ts(type = "Record<string, unknown>")]
    pub payload: Value,
    pub occurred_at: String,
}

impl From<event::Model> for EventView {
    fn from(m: event::Model) -> Self {
        Self {
            id: m.id,
            event_type: m.event_type,
            entity_type: m.entity_type,
            entity_id: m.entity_id,
            entity_version: m.entity_version,
            source: m.source,
            payload: serde_json::from_str(&m.payload).unwrap_or(Value::Null),
            occurred_at: m.occurred_at,
        }
    }
}

/// A filter for the execution log.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
pub struct ExecutionFilter {
    pub status: Option<String>,
    pub workflow_type: Option<WorkflowType>,
    pub entity_id: Option<String>,
    #[ts(type = "number | null")]
    pub limit: Option<u64>,
}

#[cfg(test)]
mod tests {
    use sea_orm::{ActiveEnum, Iterable};

    use super::*;

    /// `string_value` (what the column holds) and `as_str` (what `--status` accepts and views
    /// show) must agree.
    #[test]
    fn every_execution_status_is_stored_as_the_word_it_accepts() {
        for status in ExecutionStatus::iter() {
            assert_eq!(status.to_value(), status.as_str());
            assert_eq!(ExecutionStatus::parse(status.as_str()).unwrap(), status);
        }
        let err = ExecutionStatus::parse("done").unwrap_err().to_string();
        assert!(
            err.contains("pending, running, completed, failed, skipped"),
            "{err}"
        );
    }
}
