//! The built-in scheduled jobs. Each calls one existing service; the scheduler (the engine in
//! `hesabu_store::scheduler`) adds only when. [`standard_scheduler`] is the scheduler every
//! process runs.
//!
//! What a job needs comes in its [`JobContext`] (the file, who runs it, the outbox targets);
//! the QuickBooks pull also needs the secret store its tokens are in, which the job holds
//! ([`QboPull`]: the process's store from `HESABU_SECRETS` / the OS keyring, or one given).

use chrono::NaiveTime;
use serde_json::{Value, json};

use std::sync::Arc;

use hesabu_store::error::{Error, Result};
use hesabu_store::outbox::Targets;
use hesabu_store::scheduler::{Job, JobContext, Schedule, Scheduler, names};
use tokio::sync::broadcast;

use hesabu_store::outbox::{Drainer, SyncEvent, WorkerState};
use hesabu_store::permissions::Permission;
use hesabu_store::secrets::SecretStore;

/// The built-in jobs: approval jobs, the QuickBooks pull, the e-TIMS lists refresh, outbox
/// retries, the daily summary, the backup — in that order, so the write-backs a pull queues
/// (and the e-TIMS refresh and branch users queued) go out in the same run and a
/// backup taken in the same run includes what the others did. The pull reads its tokens from
/// the process's secret store (`HESABU_SECRETS`, else the OS keyring).
pub fn standard_scheduler(targets: Targets) -> Scheduler {
    scheduler_with(targets, QboPull::default())
}

/// [`standard_scheduler`] with the QuickBooks pull reading its tokens from `secrets` (tests, or
/// a process that keeps them elsewhere).
pub fn standard_scheduler_with_secrets(
    targets: Targets,
    secrets: Arc<dyn SecretStore>,
) -> Scheduler {
    scheduler_with(
        targets,
        QboPull {
            secrets: Some(secrets),
        },
    )
}

fn scheduler_with(targets: Targets, qbo_pull: QboPull) -> Scheduler {
    Scheduler::new(
        vec![
            Arc::new(ApprovalJobs),
            Arc::new(qbo_pull),
            Arc::new(EtimsKraRecords),
            Arc::new(OutboxRetries),
            Arc::new(DailySummaryJob),
            Arc::new(AutoBackup),
        ],
        targets,
    )
}

/// The scheduled QuickBooks pull's job name.
pub const QBO_PULL: &str = "qbo_pull";

/// Pulls QuickBooks' changes into the ledger (`qbo::pull::pull`: CDC since the watermark, or the
/// fallbacks) every 15 minutes: the spec's cadence (§3.3 step 5: every 10–15 minutes while
/// online and in use, plus on start, which the scheduler's start-up run gives) at its sparing
/// end, because QuickBooks meters reads (§3.5): a pull is 4 reads (tax codes, tax rates,
/// preferences, one CDC call), about 11,500 a month per company at this pace. A run is
/// *skipped* (it succeeds, saying why) when QuickBooks is not set up or not connected, when
/// QuickBooks asked for a new sign-in ("reconnect needed": the connection's status says so, and
/// nothing is asked of QuickBooks until an administrator connects again), when the user it runs
/// as may not issue sales, and when QuickBooks cannot be reached (offline: the next run
/// catches up from the same watermark). Other failures fail the run, which the scheduler tries
/// again after 15 minutes.
#[derive(Debug, Clone, Default)]
pub struct QboPull {
    /// Where the tokens are; `None`: the process's store, read when a run needs it.
    secrets: Option<Arc<dyn SecretStore>>,
}

fn skipped(why: impl Into<String>) -> Result<Value> {
    Ok(json!({ "skipped": why.into() }))
}

#[async_trait::async_trait]
impl Job for QboPull {
    fn name(&self) -> &str {
        QBO_PULL
    }
    fn description(&self) -> &str {
        "Pull QuickBooks Online changes into the sales ledger"
    }
    fn default_schedule(&self) -> Schedule {
        Schedule::Every { minutes: 15 }
    }
    fn permission(&self) -> Permission {
        Permission::SyncManage
    }
    async fn run(&self, ctx: &JobContext<'_>) -> Result<Value> {
        use crate::qbo;
        ctx.session.require(Permission::SyncManage)?;
        let Some(connection) = qbo::stored(ctx.file.reader()).await? else {
            return skipped("QuickBooks is not set up for this company");
        };
        if connection.realm_id.is_none() {
            return skipped("QuickBooks is not connected");
        }
        if !ctx.session.may(Permission::SalesIssue) {
            return skipped(format!(
                "{} may not issue sales, which a pull does: it runs when an administrator or \
                 finance manager is signed in",
                ctx.session.email()
            ));
        }
        if connection.unreachable_sandbox() {
            return skipped(qbo::demo_sandbox::NOT_RUNNING);
        }
        let secrets = match &self.secrets {
            Some(s) => s.clone(),
            None => hesabu_store::secrets::store_from_env()?.into(),
        };
        let view = qbo::status(ctx.file, ctx.session, secrets.clone()).await?;
        if let Some(why) = view.reconnect_needed {
            return skipped(format!("reconnect needed: {why}"));
        }
        if !view.connected {
            return skipped("QuickBooks is not connected on this computer (no sign-in stored)");
        }
        let Some(connected) = qbo::open(ctx.file, secrets.clone()).await? else {
            return skipped("QuickBooks is not connected");
        };
        if !connected.reachable().await {
            return skipped("offline: QuickBooks cannot be reached; the next run catches up");
        }
        match qbo::pull::pull(&connected, ctx.session, false).await {
            Ok(report) => Ok(json!({ "pulled": report })),
            Err(e) => {
                // A refresh token QuickBooks refused during this pull marks the connection
                // "reconnect needed" (the QuickBooks page shows it); say so instead of failing,
                // and later runs skip before asking QuickBooks anything.
                let after = qbo::status(ctx.file, ctx.session, secrets).await?;
                match after.reconnect_needed {
                    Some(why) => skipped(format!("reconnect needed: {why}")),
                    None => Err(e),
                }
            }
        }
    }
}

/// The e-TIMS lists job's name.
pub const ETIMS_KRA_RECORDS: &str = "etims_kra_records";

/// Once a day, KRA's e-TIMS lists: queues one `kra_records.refresh` outbox row (the reference
/// data — code lists, item classifications, notices — and what KRA keeps for the device:
/// branches, items, imported items, our sales reconciled with the file, branch customers, the
/// taxpayer) and `saveBhfUser` for every user KRA does not hold as they are
/// (`etims::kra_records::queue_daily`); the outbox job right after sends them. Through the
/// outbox because the device's client and key live in the e-TIMS target, and a day KRA cannot
/// be reached is retried with backoff. Every 24 hours rather than at a time of day, so a new
/// file or a newly set-up device gets KRA's lists at the first run. Skipped (a success that
/// says why) when the company has no e-TIMS device.
#[derive(Debug, Clone, Copy)]
pub struct EtimsKraRecords;

#[async_trait::async_trait]
impl Job for EtimsKraRecords {
    fn name(&self) -> &str {
        ETIMS_KRA_RECORDS
    }
    fn description(&self) -> &str {
        "Refresh KRA's e-TIMS lists (codes, item classes, notices, branches, items, imports, \
         sales, customers, taxpayer) and register new users at KRA"
    }
    fn default_schedule(&self) -> Schedule {
        Schedule::Every { minutes: 24 * 60 }
    }
    fn permission(&self) -> Permission {
        Permission::SyncManage
    }
    async fn run(&self, ctx: &JobContext<'_>) -> Result<Value> {
        ctx.session.require(Permission::SyncManage)?;
        if hesabu_core::sales::fiscal::device(ctx.file.reader())
            .await?
            .is_none()
        {
            return skipped("this company has no e-TIMS device");
        }
        let queued = crate::etims::kra_records::queue_daily(ctx.file).await?;
        Ok(serde_json::to_value(queued).unwrap_or(Value::Null))
    }
}

fn at(hour: u32, minute: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or(NaiveTime::MIN)
}

/// Reminders, escalations, auto-approvals and delegation start/expiry (`approvals::jobs`).
#[derive(Debug, Clone, Copy)]
pub struct ApprovalJobs;

#[async_trait::async_trait]
impl Job for ApprovalJobs {
    fn name(&self) -> &str {
        names::APPROVALS
    }
    fn description(&self) -> &str {
        "Approval reminders, escalations, auto-approvals and delegations"
    }
    fn default_schedule(&self) -> Schedule {
        Schedule::Every { minutes: 15 }
    }
    async fn run(&self, ctx: &JobContext<'_>) -> Result<Value> {
        let report = hesabu_core::approvals::jobs::run(ctx.file, ctx.session).await?;
        Ok(serde_json::to_value(report).unwrap_or(Value::Null))
    }
}

/// Sends what is due in the outbox (retries whose backoff has passed, and anything queued
/// while no worker ran). When another process holds the sync lock (the desktop's worker, a
/// `hesabu sync run`), that process is already sending: the run records that and succeeds.
#[derive(Debug, Clone, Copy)]
pub struct OutboxRetries;

#[async_trait::async_trait]
impl Job for OutboxRetries {
    fn name(&self) -> &str {
        names::OUTBOX
    }
    fn description(&self) -> &str {
        "Send due outbox items (retries after backoff)"
    }
    fn default_schedule(&self) -> Schedule {
        Schedule::Every { minutes: 5 }
    }
    fn permission(&self) -> Permission {
        Permission::SyncManage
    }
    async fn run(&self, ctx: &JobContext<'_>) -> Result<Value> {
        ctx.session.require(Permission::SyncManage)?;
        let drainer = match Drainer::new(ctx.file.clone(), ctx.targets.clone(), ctx.sleeper.clone())
        {
            Ok(d) => d,
            Err(Error::Conflict(_)) => {
                return Ok(json!({ "skipped": "another Hesabu window or command is syncing" }));
            }
            Err(e) => return Err(e),
        };
        // Progress for a listener (the desktop's Sync page): the drainer's events, framed by
        // running / idle. The forwarder ends when the drainer is dropped.
        let forwarder = ctx.sync_events.map(|tx| {
            let _ = tx.send(SyncEvent::State(WorkerState::Running));
            let mut rx = drainer.subscribe();
            let tx = tx.clone();
            tokio::spawn(async move {
                loop {
                    match rx.recv().await {
                        Ok(event) => {
                            let _ = tx.send(event);
                        }
                        Err(broadcast::error::RecvError::Lagged(_)) => continue,
                        Err(broadcast::error::RecvError::Closed) => break,
                    }
                }
            })
        });
        // Holding the lock, nothing else is sending: rows left in flight are orphans.
        let result = async {
            let recovered = drainer.recover().await?;
            let mut summary = drainer.drain_until_idle().await?;
            summary.recovered = u32::try_from(recovered).unwrap_or(u32::MAX);
            Ok::<_, Error>(summary)
        }
        .await;
        drop(drainer);
        if let Some(task) = forwarder {
            let _ = task.await;
            if let Some(tx) = ctx.sync_events {
                let _ = tx.send(SyncEvent::State(WorkerState::Idle));
            }
        }
        Ok(serde_json::to_value(result?).unwrap_or(Value::Null))
    }
}

/// The daily summary PDF in the company's `reports/` folder.
#[derive(Debug, Clone, Copy)]
pub struct DailySummaryJob;

#[async_trait::async_trait]
impl Job for DailySummaryJob {
    fn name(&self) -> &str {
        names::DAILY_SUMMARY
    }
    fn description(&self) -> &str {
        "Daily summary report (PDF): approvals, SLA, budgets, sync failures"
    }
    fn default_schedule(&self) -> Schedule {
        Schedule::DailyAt { time: at(7, 0) }
    }
    async fn run(&self, ctx: &JobContext<'_>) -> Result<Value> {
        let report = crate::reports::generate_daily_summary(ctx.file, ctx.session).await?;
        Ok(serde_json::to_value(report).unwrap_or(Value::Null))
    }
}

/// A backup of the company file into `backups/`, keeping the newest `keep` (default 10).
#[derive(Debug, Clone, Copy)]
pub struct AutoBackup;

fn keep_of(config: &Value) -> usize {
    config
        .get("keep")
        .and_then(Value::as_u64)
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(crate::backup::DEFAULT_KEEP)
}

#[async_trait::async_trait]
impl Job for AutoBackup {
    fn name(&self) -> &str {
        names::BACKUP
    }
    fn description(&self) -> &str {
        "Back up the company file, keeping the newest copies"
    }
    fn default_schedule(&self) -> Schedule {
        Schedule::DailyAt { time: at(1, 0) }
    }
    fn default_config(&self) -> Value {
        json!({ "keep": crate::backup::DEFAULT_KEEP })
    }
    fn validate_config(&self, config: &Value) -> Result<()> {
        let Some(map) = config.as_object() else {
            return Err(Error::invalid(
                "The backup job's settings are a JSON object, e.g. {\"keep\": 10}.",
            ));
        };
        if let Some(key) = map.keys().find(|k| k.as_str() != "keep") {
            return Err(Error::invalid(format!(
                "The backup job has no setting '{key}'; its only setting is keep (copies kept)."
            )));
        }
        match map.get("keep").map(Value::as_u64) {
            None => Ok(()),
            Some(Some(n)) if (1..=1000).contains(&n) => Ok(()),
            Some(_) => Err(Error::invalid(
                "keep is how many backups to keep: a whole number from 1 to 1000.",
            )),
        }
    }
    async fn run(&self, ctx: &JobContext<'_>) -> Result<Value> {
        let info = crate::backup::create(ctx.file, ctx.session, None, keep_of(ctx.config)).await?;
        Ok(serde_json::to_value(info).unwrap_or(Value::Null))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backup_settings_are_checked() {
        assert!(AutoBackup.validate_config(&json!({ "keep": 3 })).is_ok());
        assert!(AutoBackup.validate_config(&json!({})).is_ok());
        for bad in [
            json!({ "keep": 0 }),
            json!({ "keep": "3" }),
            json!({ "kept": 3 }),
            json!(3),
        ] {
            assert!(AutoBackup.validate_config(&bad).is_err(), "{bad}");
        }
        assert_eq!(keep_of(&json!({ "keep": 3 })), 3);
        assert_eq!(keep_of(&json!({})), crate::backup::DEFAULT_KEEP);
        assert!(ApprovalJobs.validate_config(&json!({ "x": 1 })).is_err());
    }
}
