//! Monitoring: the figures behind `hesabu monitor` and the Monitoring page — outbox queue depth
//! per target and state, the oldest ready item's age, dead items, workflow executions by type
//! and status with duration percentiles and the error rate over the last day (alert above 5 %),
//! approval SLA compliance, and scheduled jobs whose last run failed.
//!
//! Executions come from the workflow execution log (`workflow_execution`, see docs/workflows.md).
//! With no finished execution in the last day the error rate is `null`, not zero, so nobody reads
//! "no executions" as "no errors".
//!
//! Percentiles are nearest-rank over whole milliseconds (no interpolation, so no fractions);
//! percentages are `Decimal`, rounded half-even to one place.

use chrono::Duration;
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, Statement};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use hesabu_store::auth::Session;
use hesabu_store::clock::format_timestamp;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::Result;
use hesabu_store::outbox::QueueDepth;
use hesabu_store::outbox::{self, WorkerState};
use hesabu_store::permissions::Permission;

/// The error rate above which the Monitoring page raises an alert, in percent.
pub const ERROR_RATE_ALERT_PERCENT: Decimal = Decimal::from_parts(5, 0, 0, false, 0);
/// SLA compliance looks at steps decided in this many days.
pub const SLA_WINDOW_DAYS: i64 = 30;

/// Approval steps decided within their SLA.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct SlaFigures {
    #[ts(type = "number")]
    pub window_days: i64,
    /// Steps decided in the window that had an SLA.
    #[ts(type = "number")]
    pub decided: i64,
    #[ts(type = "number")]
    pub met: i64,
    /// `met / decided × 100`, one decimal; null when nothing was decided.
    #[serde(with = "rust_decimal::serde::str_option")]
    #[ts(type = "string | null")]
    pub percent: Option<Decimal>,
}

/// Executions of one workflow type in one status (all time).
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ExecutionCount {
    pub workflow_type: String,
    pub status: String,
    #[ts(type = "number")]
    pub count: i64,
}

/// Duration percentiles of one workflow type's finished executions in the last day.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct DurationStats {
    /// The workflow type, or `all`.
    pub workflow_type: String,
    #[ts(type = "number")]
    pub samples: i64,
    #[ts(type = "number | null")]
    pub p50_ms: Option<i64>,
    #[ts(type = "number | null")]
    pub p95_ms: Option<i64>,
}

/// Figures from the workflow execution log.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ExecutionMetrics {
    pub by_type_status: Vec<ExecutionCount>,
    /// `all` first, then per type.
    pub durations: Vec<DurationStats>,
    /// Executions that finished (completed or failed) in the last 24 hours.
    #[ts(type = "number")]
    pub last_day_finished: i64,
    #[ts(type = "number")]
    pub last_day_failed: i64,
    /// `failed / finished × 100` over the last day; null when nothing finished.
    #[serde(with = "rust_decimal::serde::str_option")]
    #[ts(type = "string | null")]
    pub error_rate_percent: Option<Decimal>,
    /// The error rate is above 5 %.
    pub alert: bool,
}

/// Something that needs a person's attention.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct MonitorAlert {
    /// error_rate | dead_items | job_failed
    pub kind: String,
    pub message: String,
}

/// Everything `hesabu monitor` shows.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct MonitorSnapshot {
    pub generated_at: String,
    pub queue: Vec<QueueDepth>,
    #[ts(type = "number | null")]
    pub oldest_ready_age_ms: Option<i64>,
    #[ts(type = "number")]
    pub dead: i64,
    /// The sync worker's state as `hesabu sync status` reports it.
    pub worker: String,
    pub executions: ExecutionMetrics,
    pub sla: SlaFigures,
    /// Scheduled jobs whose last run failed.
    pub failing_jobs: Vec<String>,
    pub alerts: Vec<MonitorAlert>,
}

pub(crate) fn percent(part: i64, whole: i64) -> Option<Decimal> {
    if whole == 0 {
        return None;
    }
    let mut p = (Decimal::from(part) * Decimal::ONE_HUNDRED / Decimal::from(whole)).round_dp(1);
    p.rescale(1);
    Some(p)
}

/// Nearest-rank percentile of sorted samples: the smallest value with at least `p` % of the
/// samples at or below it.
pub fn percentile(sorted: &[i64], p: u32) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let n = sorted.len();
    let rank = (usize::try_from(p).unwrap_or(100) * n).div_ceil(100).max(1);
    sorted.get(rank.min(n) - 1).copied()
}

/// SLA compliance of approval steps decided since `since`.
pub(crate) async fn sla_compliance(
    db: &impl ConnectionTrait,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<SlaFigures> {
    let since = format_timestamp(now - Duration::days(SLA_WINDOW_DAYS));
    let (decided, met) = hesabu_core::approvals::actions::sla_counts(db, &since, None).await?;
    Ok(SlaFigures {
        window_days: SLA_WINDOW_DAYS,
        decided,
        met,
        percent: percent(met, decided),
    })
}

/// Execution figures from the workflow execution log.
pub(crate) async fn execution_metrics(
    db: &impl ConnectionTrait,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<ExecutionMetrics> {
    let backend = db.get_database_backend();
    let mut by_type_status = Vec::new();
    for r in db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT workflow_type, status, COUNT(*) AS n FROM workflow_execution \
             GROUP BY workflow_type, status ORDER BY workflow_type, status",
        ))
        .await?
    {
        by_type_status.push(ExecutionCount {
            workflow_type: r.try_get("", "workflow_type")?,
            status: r.try_get("", "status")?,
            count: r.try_get("", "n")?,
        });
    }
    let since = format_timestamp(now - Duration::days(1));
    // Finished in the last day: by completion time, or creation time if none was recorded.
    let finished = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            "SELECT workflow_type, status, duration_ms FROM workflow_execution \
             WHERE status IN ('completed', 'failed') AND COALESCE(completed_at, created_at) >= ?",
            [since.into()],
        ))
        .await?;
    let mut all = Vec::new();
    let mut per_type: std::collections::BTreeMap<String, Vec<i64>> = Default::default();
    let (mut total, mut failed) = (0_i64, 0_i64);
    for r in finished {
        let kind: String = r.try_get("", "workflow_type")?;
        let status: String = r.try_get("", "status")?;
        let duration: Option<i64> = r.try_get("", "duration_ms")?;
        total += 1;
        if status == "failed" {
            failed += 1;
        }
        if let Some(ms) = duration {
            all.push(ms);
            per_type.entry(kind).or_default().push(ms);
        }
    }
    let stats = |workflow_type: String, mut samples: Vec<i64>| {
        samples.sort_unstable();
        DurationStats {
            workflow_type,
            samples: i64::try_from(samples.len()).unwrap_or(i64::MAX),
            p50_ms: percentile(&samples, 50),
            p95_ms: percentile(&samples, 95),
        }
    };
    let mut durations = vec![stats("all".into(), all)];
    durations.extend(per_type.into_iter().map(|(k, v)| stats(k, v)));
    let error_rate_percent = percent(failed, total);
    let alert = error_rate_percent.is_some_and(|p| p > ERROR_RATE_ALERT_PERCENT);
    Ok(ExecutionMetrics {
        by_type_status,
        durations,
        last_day_finished: total,
        last_day_failed: failed,
        error_rate_percent,
        alert,
    })
}

async fn failing_jobs(db: &impl ConnectionTrait) -> Result<Vec<String>> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT name FROM scheduled_job WHERE last_status = 'failed' ORDER BY name",
        ))
        .await?;
    rows.iter()
        .map(|r| r.try_get::<String>("", "name").map_err(Into::into))
        .collect()
}

/// The monitoring figures now. `worker_state`: the running worker's, if this process has one.
pub async fn snapshot(
    file: &CompanyFile,
    session: &Session,
    worker_state: Option<WorkerState>,
) -> Result<MonitorSnapshot> {
    session.require(Permission::MonitorView)?;
    let db = file.reader();
    let now = file.clock().now();
    let status = outbox::status(file, session, worker_state).await?;
    let dead = status
        .depth
        .iter()
        .filter(|d| d.state == outbox::OutboxState::Dead.as_str())
        .map(|d| d.count)
        .sum::<i64>();
    let executions = execution_metrics(db, now).await?;
    let sla = sla_compliance(db, now).await?;
    let failing = failing_jobs(db).await?;

    let mut alerts = Vec::new();
    if executions.alert {
        let e = &executions;
        alerts.push(MonitorAlert {
            kind: "error_rate".into(),
            message: format!(
                "{} % of workflow executions failed in the last day ({} of {}), above the 5 % \
                 threshold. Look at `hesabu workflow executions --status failed`.",
                e.error_rate_percent.unwrap_or_default(),
                e.last_day_failed,
                e.last_day_finished
            ),
        });
    }
    if dead > 0 {
        alerts.push(MonitorAlert {
            kind: "dead_items".into(),
            message: format!(
                "{dead} outbox item(s) were given up on. See `hesabu sync dead` and retry them \
                 once the cause is fixed."
            ),
        });
    }
    for name in &failing {
        alerts.push(MonitorAlert {
            kind: "job_failed".into(),
            message: format!(
                "The scheduled job {name} failed on its last run. `hesabu jobs list` shows the error."
            ),
        });
    }
    Ok(MonitorSnapshot {
        generated_at: format_timestamp(now),
        queue: status.depth,
        oldest_ready_age_ms: status.oldest_ready_age_ms,
        dead,
        worker: status.worker,
        executions,
        sla,
        failing_jobs: failing,
        alerts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        assert_eq!(percentile(&[], 50), None);
        assert_eq!(percentile(&[7], 50), Some(7));
        assert_eq!(percentile(&[7], 95), Some(7));
        let hundred: Vec<i64> = (1..=100).collect();
        assert_eq!(percentile(&hundred, 50), Some(50));
        assert_eq!(percentile(&hundred, 95), Some(95));
        assert_eq!(percentile(&[10, 20, 30, 40], 50), Some(20));
        assert_eq!(percentile(&[10, 20, 30, 40], 95), Some(40));
    }

    #[test]
    fn percentages_have_one_decimal_and_none_for_nothing() {
        assert_eq!(percent(1, 3).unwrap().to_string(), "33.3");
        assert_eq!(percent(0, 5).unwrap().to_string(), "0.0");
        assert_eq!(percent(1, 20).unwrap().to_string(), "5.0");
        assert_eq!(percent(1, 0), None);
        // Exactly 5 % is not above the threshold; 5.1 % is.
        assert!(percent(1, 20).unwrap() <= ERROR_RATE_ALERT_PERCENT);
        assert!(percent(6, 100).unwrap() > ERROR_RATE_ALERT_PERCENT);
    }
}
