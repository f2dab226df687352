//! The scheduler's wire types (CLI `--json`, Tauri commands; TypeScript generated).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

/// A scheduled job as `hesabu jobs list` and the Monitoring page show it.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ScheduledJobView {
    pub name: String,
    pub description: String,
    /// As stored: `every:15` or `daily:07:00` (company time).
    pub schedule: String,
    /// In words: "every 15 minutes", "daily at 07:00".
    pub schedule_text: String,
    pub enabled: bool,
    /// The job's settings, e.g. `{"keep": 10}` for the backup.
    pub config: Value,
    pub next_run_at: String,
    /// Enabled and its next run has come.
    pub due: bool,
    pub last_run_at: Option<String>,
    /// ok | failed; null before the first run.
    pub last_status: Option<String>,
    pub last_error: Option<String>,
    #[ts(type = "number | null")]
    pub last_duration_ms: Option<i64>,
    pub last_result: Option<Value>,
    #[ts(type = "number")]
    pub runs: i64,
    #[ts(type = "number")]
    pub failures: i64,
}

/// How one job's run went.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct JobRunOutcome {
    pub name: String,
    /// ok | failed
    pub status: String,
    pub started_at: String,
    #[ts(type = "number")]
    pub duration_ms: i64,
    pub error: Option<String>,
    /// What the job reports it did (null when it failed).
    pub result: Value,
    pub next_run_at: String,
}

/// A change to a job (`hesabu jobs set`); fields left out keep their value.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
pub struct JobUpdate {
    /// `every:MINUTES` or `daily:HH:MM`.
    pub schedule: Option<String>,
    pub enabled: Option<bool>,
    /// Replaces the job's settings (validated by the job).
    pub config: Option<Value>,
}
