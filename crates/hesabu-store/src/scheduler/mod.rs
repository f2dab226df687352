//! The scheduler: one place that runs the periodic work of a company file — approval reminders
//! and escalations, outbox retries, the daily summary report and the automatic backup.
//!
//! Each job has a durable row in `scheduled_job` (its schedule, settings, last and next run, how
//! the last run went). [`Scheduler::run_due`] runs, in a fixed order, every enabled job whose
//! `next_run_at` has come. The desktop app calls it at start-up and then every minute; the CLI
//! calls it from `hesabu jobs run [--as-of]`.
//!
//! **Missed runs run once.** A job that was due several times while the app was closed is run
//! once and its next run is computed from *now*, not from the missed slots: a week away produces
//! one backup and one summary, not seven. (The approval jobs consolidate missed reminders the
//! same way themselves; see `approvals::jobs`.)
//!
//! **Claim before run.** A run first moves the job's `next_run_at` forward with a
//! compare-and-swap on the value it read, then runs it, then records the outcome. Two processes
//! (the desktop app and `hesabu jobs run`) can therefore never run the same due job twice; a
//! process that dies mid-run loses that run until the next slot (at most once, by design: none
//! of the jobs must run twice, and all of them catch up on their next run).
//!
//! **Failures are isolated.** A failing job records its error (`last_status = failed`,
//! `last_error`) and is tried again after [`RETRY_AFTER_FAILURE`] (or its next slot, if
//! sooner); the other due jobs still run.
//!
//! The per-run bookkeeping is the one unaudited write besides the outbox worker's (a row update
//! per run says nothing about the business); what the jobs do is audited by the jobs. Changing a
//! schedule is a person's act and is audited (`scheduled_job.update`).

mod wire;

pub use wire::{JobRunOutcome, JobUpdate, ScheduledJobView};

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use sea_orm::{ConnectionTrait, Statement, Value as SqlValue};
use serde_json::{Value, json};
use tokio::sync::broadcast;

use crate::audit::AuditDraft;
use crate::auth::{AuditActor, Session};
use crate::clock::{format_timestamp, parse_timestamp};
use crate::company_file::CompanyFile;
use crate::error::{Error, Result};
use crate::outbox::{Sleeper, SyncEvent, Targets, TokioSleeper};
use crate::permissions::Permission;
use crate::uow::UnitOfWork;

/// The built-in jobs' names, in the order a run visits them.
pub mod names {
    pub const APPROVALS: &str = "approval_jobs";
    pub const OUTBOX: &str = "outbox_retries";
    pub const DAILY_SUMMARY: &str = "daily_summary";
    pub const BACKUP: &str = "backup";
}

/// A failed job is tried again this soon (or at its next slot, if that comes first).
pub const RETRY_AFTER_FAILURE: Duration = Duration::minutes(15);

/// When a job runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    /// Every N minutes, counted from the end of the last run's claim.
    Every { minutes: u32 },
    /// Once a day at this time in the company's time zone.
    DailyAt { time: NaiveTime },
}

impl Schedule {
    /// `every:15` or `daily:07:00`, as stored.
    pub fn parse(text: &str) -> Result<Self> {
        let text = text.trim();
        let bad = || {
            Error::invalid(format!(
                "'{text}' is not a schedule. Write every:MINUTES (e.g. every:15) or daily:HH:MM \
                 (e.g. daily:07:00, company time)."
            ))
        };
        if let Some(minutes) = text.strip_prefix("every:") {
            let minutes: u32 = minutes.trim().parse().map_err(|_| bad())?;
            return Self::every(minutes);
        }
        if let Some(at) = text.strip_prefix("daily:") {
            return Self::daily(at);
        }
        Err(bad())
    }

    pub fn every(minutes: u32) -> Result<Self> {
        if minutes == 0 || minutes > 7 * 24 * 60 {
            return Err(Error::invalid(format!(
                "Every {minutes} minutes is not a usable interval: use 1 to 10080 minutes (a week)."
            )));
        }
        Ok(Schedule::Every { minutes })
    }

    pub fn daily(at: &str) -> Result<Self> {
        let time = NaiveTime::parse_from_str(at.trim(), "%H:%M").map_err(|_| {
            Error::invalid(format!(
                "'{at}' is not a time of day: write HH:MM on the 24-hour clock, e.g. 07:00."
            ))
        })?;
        Ok(Schedule::DailyAt { time })
    }

    pub fn as_text(&self) -> String {
        match self {
            Schedule::Every { minutes } => format!("every:{minutes}"),
            Schedule::DailyAt { time } => format!("daily:{}", time.format("%H:%M")),
        }
    }

    /// In words, for lists: "every 15 minutes", "daily at 07:00".
    pub fn describe(&self) -> String {
        match self {
            Schedule::Every { minutes: 1 } => "every minute".into(),
            Schedule::Every { minutes } => format!("every {minutes} minutes"),
            Schedule::DailyAt { time } => format!("daily at {}", time.format("%H:%M")),
        }
    }

    /// The first slot strictly after `after`.
    pub fn next_after(&self, after: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
        match self {
            Schedule::Every { minutes } => after + Duration::minutes(i64::from(*minutes)),
            Schedule::DailyAt { time } => {
                let mut day = after.with_timezone(&tz).date_naive();
                loop {
                    // A time that does not exist that day (a DST gap; not in Kenya) moves to the
                    // next day rather than being guessed.
                    if let Some(slot) = tz.from_local_datetime(&day.and_time(*time)).earliest() {
                        let slot = slot.with_timezone(&Utc);
                        if slot > after {
                            return slot;
                        }
                    }
                    day = day.succ_opt().unwrap_or(day);
                }
            }
        }
    }

    /// When a job seen for the first time is first due: interval jobs at once, daily jobs at
    /// their next slot (a fresh file does not need a backup of nothing).
    fn first_due(&self, now: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
        match self {
            Schedule::Every { .. } => now,
            Schedule::DailyAt { .. } => self.next_after(now, tz),
        }
    }
}

/// What a job gets to work with.
#[derive(Debug)]
pub struct JobContext<'a> {
    pub file: &'a CompanyFile,
    /// The user the scheduler runs as (the desktop's signed-in user, the CLI's `--as`).
    pub session: &'a Session,
    pub targets: &'a Targets,
    pub sleeper: &'a Arc<dyn Sleeper>,
    /// The job's settings from its row (`{}` unless the job has any).
    pub config: &'a Value,
    /// Where the outbox job forwards its drainer's progress events (the desktop's progress
    /// bar), if anyone listens.
    pub sync_events: Option<&'a broadcast::Sender<SyncEvent>>,
}

/// One kind of scheduled work.
#[async_trait::async_trait]
pub trait Job: Send + Sync + std::fmt::Debug {
    fn name(&self) -> &str;
    /// A line for lists.
    fn description(&self) -> &str;
    fn default_schedule(&self) -> Schedule;
    /// What running this job on request ([`Scheduler::run_now`]) needs. Scheduled runs need
    /// [`Permission::JobsRun`] on top.
    fn permission(&self) -> Permission {
        Permission::JobsRun
    }
    fn default_config(&self) -> Value {
        json!({})
    }
    /// Checks settings given to `hesabu jobs set` before they are stored.
    fn validate_config(&self, config: &Value) -> Result<()> {
        match config.as_object() {
            Some(map) if map.is_empty() => Ok(()),
            _ => Err(Error::invalid(format!(
                "The {} job has no settings.",
                self.name()
            ))),
        }
    }
    /// Does the work; the returned JSON is stored as the run's result.
    async fn run(&self, ctx: &JobContext<'_>) -> Result<Value>;
}

/// The jobs of one installation and what they need (outbox targets, a sleeper).
#[derive(Debug, Clone)]
pub struct Scheduler {
    jobs: Vec<Arc<dyn Job>>,
    targets: Targets,
    sleeper: Arc<dyn Sleeper>,
    sync_events: Option<broadcast::Sender<SyncEvent>>,
}

struct Row {
    name: String,
    schedule: String,
    enabled: bool,
    config: String,
    next_run_at: String,
    last_run_at: Option<String>,
    last_status: Option<String>,
    last_error: Option<String>,
    last_duration_ms: Option<i64>,
    last_result: Option<String>,
    runs: i64,
    failures: i64,
}

const COLUMNS: &str = "name, schedule, enabled, config, next_run_at, last_run_at, last_status, \
                       last_error, last_duration_ms, last_result, runs, failures";

impl Row {
    /// The row [`Scheduler::ensure_rows`] would create for a job seen for the first time.
    fn default_for(job: &dyn Job, now: DateTime<Utc>, tz: Tz) -> Self {
        let schedule = job.default_schedule();
        Self {
            name: job.name().to_owned(),
            schedule: schedule.as_text(),
            enabled: true,
            config: job.default_config().to_string(),
            next_run_at: format_timestamp(schedule.first_due(now, tz)),
            last_run_at: None,
            last_status: None,
            last_error: None,
            last_duration_ms: None,
            last_result: None,
            runs: 0,
            failures: 0,
        }
    }

    fn from_query(r: &sea_orm::QueryResult) -> Result<Self> {
        Ok(Self {
            name: r.try_get("", "name")?,
            schedule: r.try_get("", "schedule")?,
            enabled: r.try_get("", "enabled")?,
            config: r.try_get("", "config")?,
            next_run_at: r.try_get("", "next_run_at")?,
            last_run_at: r.try_get("", "last_run_at")?,
            last_status: r.try_get("", "last_status")?,
            last_error: r.try_get("", "last_error")?,
            last_duration_ms: r.try_get("", "last_duration_ms")?,
            last_result: r.try_get("", "last_result")?,
            runs: r.try_get("", "runs")?,
            failures: r.try_get("", "failures")?,
        })
    }

    fn view(&self, job: &dyn Job, now: DateTime<Utc>) -> ScheduledJobView {
        let schedule = Schedule::parse(&self.schedule).unwrap_or(job.default_schedule());
        let due = self.enabled
            && parse_timestamp(&self.next_run_at)
                .map(|t| t <= now)
                .unwrap_or(true);
        ScheduledJobView {
            name: self.name.clone(),
            description: job.description().to_owned(),
            schedule: schedule.as_text(),
            schedule_text: schedule.describe(),
            enabled: self.enabled,
            config: serde_json::from_str(&self.config).unwrap_or_else(|_| json!({})),
            next_run_at: self.next_run_at.clone(),
            due,
            last_run_at: self.last_run_at.clone(),
            last_status: self.last_status.clone(),
            last_error: self.last_error.clone(),
            last_duration_ms: self.last_duration_ms,
            last_result: self
                .last_result
                .as_deref()
                .and_then(|t| serde_json::from_str(t).ok()),
            runs: self.runs,
            failures: self.failures,
        }
    }
}

impl Scheduler {
    /// A scheduler with exactly these jobs, run in this order.
    pub fn new(jobs: Vec<Arc<dyn Job>>, targets: Targets) -> Self {
        Self {
            jobs,
            targets,
            sleeper: Arc::new(TokioSleeper),
            sync_events: None,
        }
    }

    /// Waits through this sleeper in the outbox job (tests pass a clock-moving one).
    pub fn with_sleeper(mut self, sleeper: Arc<dyn Sleeper>) -> Self {
        self.sleeper = sleeper;
        self
    }

    /// Forwards the outbox job's progress events here.
    pub fn with_sync_events(mut self, events: broadcast::Sender<SyncEvent>) -> Self {
        self.sync_events = Some(events);
        self
    }

    pub fn job_names(&self) -> Vec<String> {
        self.jobs.iter().map(|j| j.name().to_owned()).collect()
    }

    fn job(&self, name: &str) -> Result<&Arc<dyn Job>> {
        self.jobs
            .iter()
            .find(|j| j.name() == name.trim())
            .ok_or_else(|| {
                Error::NotFound(format!(
                    "There is no scheduled job '{name}'. The jobs are: {}.",
                    self.job_names().join(", ")
                ))
            })
    }

    /// Creates the rows of jobs seen for the first time, with their defaults.
    async fn ensure_rows(&self, file: &CompanyFile) -> Result<()> {
        let existing = load_rows(file.reader()).await?;
        let missing: Vec<_> = self
            .jobs
            .iter()
            .filter(|j| !existing.iter().any(|r| r.name == j.name()))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let tz = company_tz(file.reader()).await?;
        let uow = begin_bookkeeping(file).await?;
        let now = uow.now();
        for job in missing {
            let row = Row::default_for(job.as_ref(), now, tz);
            // INSERT OR IGNORE's portable form: another process may have just created it.
            uow.db()
                .execute_raw(Statement::from_sql_and_values(
                    uow.db().get_database_backend(),
                    "INSERT INTO scheduled_job (name, schedule, enabled, config, next_run_at, \
                     runs, failures, updated_at) SELECT ?, ?, ?, ?, ?, 0, 0, ? WHERE NOT EXISTS \
                     (SELECT 1 FROM scheduled_job WHERE name = ?)",
                    [
                        row.name.clone().into(),
                        row.schedule.into(),
                        row.enabled.into(),
                        row.config.into(),
                        row.next_run_at.into(),
                        format_timestamp(now).into(),
                        row.name.into(),
                    ],
                ))
                .await?;
        }
        uow.commit().await
    }

    /// Every job with its schedule, last and next run, in run order.
    pub async fn list(
        &self,
        file: &CompanyFile,
        session: &Session,
    ) -> Result<Vec<ScheduledJobView>> {
        session.require(Permission::JobsView)?;
        // Reading writes nothing (an auditor may list): a job without a row yet is shown with
        // the row its first run would create.
        let rows = load_rows(file.reader()).await?;
        let now = file.clock().now();
        let tz = company_tz(file.reader()).await?;
        Ok(self
            .jobs
            .iter()
            .map(|job| match rows.iter().find(|r| r.name == job.name()) {
                Some(row) => row.view(job.as_ref(), now),
                None => Row::default_for(job.as_ref(), now, tz).view(job.as_ref(), now),
            })
            .collect())
    }

    /// Runs every enabled job that is due now (the file's clock), in order, each at most once.
    /// A failing job is recorded and does not stop the others.
    pub async fn run_due(
        &self,
        file: &CompanyFile,
        session: &Session,
    ) -> Result<Vec<JobRunOutcome>> {
        session.require(Permission::JobsRun)?;
        self.ensure_rows(file).await?;
        let rows = load_rows(file.reader()).await?;
        let now = file.clock().now();
        let mut outcomes = Vec::new();
        for job in &self.jobs {
            let Some(row) = rows.iter().find(|r| r.name == job.name()) else {
                continue;
            };
            let due = parse_timestamp(&row.next_run_at)
                .map(|t| t <= now)
                .unwrap_or(true);
            if !row.enabled || !due {
                continue;
            }
            if let Some(outcome) = self.run_one(file, session, job.as_ref(), row).await? {
                outcomes.push(outcome);
            }
        }
        Ok(outcomes)
    }

    /// Runs one job now whether or not it is due (`hesabu jobs run --only NAME`, "Sync now").
    /// Its next slot is computed from now, as after any run. Needs the job's own permission
    /// (the outbox job: `SyncManage`; the others: `JobsRun`).
    pub async fn run_now(
        &self,
        file: &CompanyFile,
        session: &Session,
        name: &str,
    ) -> Result<JobRunOutcome> {
        let job = self.job(name)?;
        session.require(job.permission())?;
        self.ensure_rows(file).await?;
        let rows = load_rows(file.reader()).await?;
        let row = rows
            .iter()
            .find(|r| r.name == job.name())
            .ok_or_else(|| Error::Internal("scheduled_job row vanished".into()))?;
        self.run_one(file, session, job.as_ref(), row)
            .await?
            .ok_or_else(|| {
                Error::Conflict(format!(
                    "The {} job was just started by another Hesabu window or command; see \
                     `hesabu jobs list` for how it went.",
                    job.name()
                ))
            })
    }

    /// Claims, runs and records one job. `None`: another process claimed it first.
    async fn run_one(
        &self,
        file: &CompanyFile,
        session: &Session,
        job: &dyn Job,
        row: &Row,
    ) -> Result<Option<JobRunOutcome>> {
        let tz = company_tz(file.reader()).await?;
        let schedule = Schedule::parse(&row.schedule).unwrap_or(job.default_schedule());
        let started = file.clock().now();
        let next = schedule.next_after(started, tz);
        // Claim: move next_run_at forward from the value we read, so nobody else runs it.
        let claim = begin_bookkeeping(file).await?;
        let claimed = claim
            .db()
            .execute_raw(Statement::from_sql_and_values(
                claim.db().get_database_backend(),
                "UPDATE scheduled_job SET next_run_at = ?, updated_at = ? WHERE name = ? AND \
                 next_run_at = ?",
                [
                    format_timestamp(next).into(),
                    format_timestamp(started).into(),
                    row.name.clone().into(),
                    row.next_run_at.clone().into(),
                ],
            ))
            .await?
            .rows_affected();
        claim.commit().await?;
        if claimed == 0 {
            return Ok(None);
        }

        let config: Value = serde_json::from_str(&row.config).unwrap_or_else(|_| json!({}));
        let ctx = JobContext {
            file,
            session,
            targets: &self.targets,
            sleeper: &self.sleeper,
            config: &config,
            sync_events: self.sync_events.as_ref(),
        };
        // Elapsed time from a monotonic timer: a duration, not a reading of the wall clock.
        let timer = std::time::Instant::now();
        let result = job.run(&ctx).await;
        let duration_ms = i64::try_from(timer.elapsed().as_millis()).unwrap_or(i64::MAX);

        let (status, error, result_json) = match result {
            Ok(value) => ("ok", None, value),
            Err(e) => ("failed", Some(e.to_string()), Value::Null),
        };
        let next_run = if error.is_some() {
            next.min(started + RETRY_AFTER_FAILURE)
        } else {
            next
        };
        let record = begin_bookkeeping(file).await?;
        let failed = i64::from(error.is_some());
        let values: Vec<SqlValue> = vec![
            format_timestamp(started).into(),
            status.into(),
            error.clone().into(),
            duration_ms.into(),
            (!result_json.is_null())
                .then(|| result_json.to_string())
                .into(),
            failed.into(),
            format_timestamp(next_run).into(),
            record.now_text().into(),
            row.name.clone().into(),
        ];
        record
            .db()
            .execute_raw(Statement::from_sql_and_values(
                record.db().get_database_backend(),
                "UPDATE scheduled_job SET last_run_at = ?, last_status = ?, last_error = ?, \
                 last_duration_ms = ?, last_result = ?, runs = runs + 1, failures = failures + ?, \
                 next_run_at = ?, updated_at = ? WHERE name = ?",
                values,
            ))
            .await?;
        record.commit().await?;
        Ok(Some(JobRunOutcome {
            name: row.name.clone(),
            status: status.to_owned(),
            started_at: format_timestamp(started),
            duration_ms,
            error,
            result: result_json,
            next_run_at: format_timestamp(next_run),
        }))
    }

    /// A person changes a job's schedule, settings or whether it runs (audited).
    pub async fn update(
        &self,
        file: &CompanyFile,
        session: &Session,
        name: &str,
        update: &JobUpdate,
    ) -> Result<ScheduledJobView> {
        session.require(Permission::JobsManage)?;
        let job = self.job(name)?;
        let schedule = update
            .schedule
            .as_deref()
            .map(Schedule::parse)
            .transpose()?;
        if let Some(config) = &update.config {
            job.validate_config(config)?;
        }
        self.ensure_rows(file).await?;
        let tz = company_tz(file.reader()).await?;
        let mut uow = file.begin(session).await?;
        let before = load_rows(uow.db())
            .await?
            .into_iter()
            .find(|r| r.name == job.name())
            .ok_or_else(|| Error::Internal("scheduled_job row vanished".into()))?;
        let now = uow.now();
        let new_schedule = schedule
            .map(|s| s.as_text())
            .unwrap_or(before.schedule.clone());
        // A new schedule starts counting now; otherwise the next run stays where it was.
        let next_run_at = match schedule {
            Some(s) => format_timestamp(s.first_due(now, tz)),
            None => before.next_run_at.clone(),
        };
        let enabled = update.enabled.unwrap_or(before.enabled);
        let config = update
            .config
            .as_ref()
            .map(Value::to_string)
            .unwrap_or(before.config.clone());
        uow.db()
            .execute_raw(Statement::from_sql_and_values(
                uow.db().get_database_backend(),
                "UPDATE scheduled_job SET schedule = ?, enabled = ?, config = ?, next_run_at = ?, \
                 updated_at = ? WHERE name = ?",
                [
                    new_schedule.clone().into(),
                    enabled.into(),
                    config.clone().into(),
                    next_run_at.into(),
                    uow.now_text().into(),
                    before.name.clone().into(),
                ],
            ))
            .await?;
        uow.audit(AuditDraft {
            action: "scheduled_job.update",
            entity_type: "scheduled_job",
            entity_id: before.name.clone(),
            before: Some(json!({
                "schedule": before.schedule,
                "enabled": before.enabled,
                "config": serde_json::from_str::<Value>(&before.config).unwrap_or(Value::Null),
            })),
            after: Some(json!({
                "schedule": new_schedule,
                "enabled": enabled,
                "config": serde_json::from_str::<Value>(&config).unwrap_or(Value::Null),
            })),
        })
        .await?;
        uow.commit().await?;
        let rows = load_rows(file.reader()).await?;
        let row = rows
            .iter()
            .find(|r| r.name == job.name())
            .ok_or_else(|| Error::Internal("scheduled_job row vanished".into()))?;
        Ok(row.view(job.as_ref(), file.clock().now()))
    }
}

/// The scheduler's bookkeeping transaction: claiming a due job and recording how its run went,
/// once per run (every few minutes). Like the outbox's attempts this says nothing about the
/// business, so it is not audited; what the jobs do (escalations, backups, reports) is audited by
/// the jobs themselves, and a person changing a schedule goes through `CompanyFile::begin`.
/// Private to this module: the compiler keeps every caller here.
async fn begin_bookkeeping(file: &CompanyFile) -> Result<UnitOfWork> {
    Ok(
        UnitOfWork::begin(file.writer(), AuditActor::system(), file.clock().clone())
            .await?
            .exempt_from_audit(),
    )
}

async fn load_rows(db: &impl ConnectionTrait) -> Result<Vec<Row>> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT {COLUMNS} FROM scheduled_job ORDER BY name"),
        ))
        .await?;
    rows.iter().map(Row::from_query).collect()
}

/// The company's time zone (Nairobi if the stored one is not recognised).
/// Read here with plain SQL: the scheduler runs below the domain, which owns the company row.
pub async fn company_tz(db: &impl ConnectionTrait) -> Result<Tz> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT time_zone FROM company",
        ))
        .await?;
    let zone: Option<String> = row.map(|r| r.try_get("", "time_zone")).transpose()?;
    Ok(zone
        .and_then(|z| z.parse().ok())
        .unwrap_or(chrono_tz::Africa::Nairobi))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        parse_timestamp(text).unwrap()
    }

    #[test]
    fn schedules_parse_and_print() {
        for text in ["every:15", "daily:07:00", "daily:23:59", "every:1"] {
            assert_eq!(Schedule::parse(text).unwrap().as_text(), text);
        }
        for bad in [
            "every:0",
            "every:x",
            "daily:25:00",
            "hourly",
            "",
            "every:99999",
        ] {
            assert!(Schedule::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Schedule::parse("every:1").unwrap().describe(),
            "every minute"
        );
        assert_eq!(
            Schedule::parse("daily:07:00").unwrap().describe(),
            "daily at 07:00"
        );
    }

    #[test]
    fn daily_slots_are_in_company_time_and_strictly_after() {
        let nairobi = chrono_tz::Africa::Nairobi; // UTC+3
        let daily = Schedule::parse("daily:07:00").unwrap();
        // 03:00Z is 06:00 in Nairobi: today's 07:00 local (04:00Z) is next.
        assert_eq!(
            daily.next_after(at("2026-07-01T03:00:00Z"), nairobi),
            at("2026-07-01T04:00:00Z")
        );
        // Exactly at the slot: the next one is tomorrow.
        assert_eq!(
            daily.next_after(at("2026-07-01T04:00:00Z"), nairobi),
            at("2026-07-02T04:00:00Z")
        );
        // 22:00Z is already 01:00 on the 2nd in Nairobi.
        assert_eq!(
            daily.next_after(at("2026-07-01T22:00:00Z"), nairobi),
            at("2026-07-02T04:00:00Z")
        );
        let every = Schedule::parse("every:15").unwrap();
        assert_eq!(
            every.next_after(at("2026-07-01T03:00:00Z"), nairobi),
            at("2026-07-01T03:15:00Z")
        );
    }

    #[test]
    fn first_due_is_now_for_intervals_and_the_next_slot_for_daily_jobs() {
        let tz = chrono_tz::Africa::Nairobi;
        let now = at("2026-07-01T03:00:00Z");
        assert_eq!(Schedule::parse("every:5").unwrap().first_due(now, tz), now);
        assert_eq!(
            Schedule::parse("daily:07:00").unwrap().first_due(now, tz),
            at("2026-07-01T04:00:00Z")
        );
    }
}
