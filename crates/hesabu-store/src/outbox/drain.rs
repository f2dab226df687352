//! One drain pass: pick what is due, send it through its target, settle each row. The
//! [`super::Worker`] calls this on a ticker; `hesabu sync run` calls it directly.
//!
//! Per row: a bookkeeping transaction claims it (`ready → in_flight`, attempts + 1) *before* the
//! network call, the target is called, and a second transaction settles it (`done`, `ready` with
//! a backoff, or `dead`). A crash between the two leaves the row `in_flight`; [`Drainer::recover`]
//! turns such rows back to `ready` with `check_first`, so the next attempt asks the target
//! whether the first one arrived instead of resending blindly.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};
use serde_json::json;
use tokio::sync::broadcast;

use super::DrainSummary;
use super::OutboxChange;
use super::{Ack, RemoteState, SendError, Target, Targets};
use super::{OutboxItem, OutboxState};
use crate::audit::AuditDraft;
use crate::clock::{Clock, SettableClock, format_timestamp};
use crate::company_file::CompanyFile;
use crate::entities::outbox;
use crate::error::{Error, Result};
use crate::notifications::{self, NewNotification};

/// The one way the outbox waits (rate limits). Production sleeps on tokio's timer; tests pass a
/// [`ClockSleeper`] that moves a settable clock instead, so nothing really waits.
#[async_trait::async_trait]
pub trait Sleeper: Send + Sync + std::fmt::Debug {
    async fn sleep(&self, duration: Duration);
}

#[derive(Debug, Default, Clone, Copy)]
pub struct TokioSleeper;

#[async_trait::async_trait]
impl Sleeper for TokioSleeper {
    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

/// A sleeper for tests: advances the settable clock by the requested time and records it.
#[derive(Debug)]
pub struct ClockSleeper {
    clock: Arc<SettableClock>,
    slept: Mutex<Vec<Duration>>,
}

impl ClockSleeper {
    pub fn new(clock: Arc<SettableClock>) -> Arc<Self> {
        Arc::new(Self {
            clock,
            slept: Mutex::new(Vec::new()),
        })
    }

    /// Every sleep requested so far.
    pub fn slept(&self) -> Vec<Duration> {
        self.slept.lock().expect("sleeper mutex").clone()
    }
}

#[async_trait::async_trait]
impl Sleeper for ClockSleeper {
    async fn sleep(&self, duration: Duration) {
        self.slept.lock().expect("sleeper mutex").push(duration);
        self.clock
            .advance(chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::zero()));
    }
}

/// Progress for the UI's progress bar and sync page, and for `hesabu sync run`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncEvent {
    /// At the start of a pass: rows in the `ready` state (due or not).
    Queued {
        ready: i64,
    },
    /// Rows found `in_flight` at start-up and marked for a check before resend.
    Recovered {
        count: u64,
    },
    InFlight {
        id: String,
        target: String,
        key: String,
    },
    Done {
        id: String,
        target: String,
        key: String,
        checked: bool,
    },
    /// A retryable failure; the row is `ready` again from `next_attempt_at`.
    Failed {
        id: String,
        target: String,
        key: String,
        kind: String,
        message: String,
        next_attempt_at: String,
    },
    /// Dead-lettered: a person has to look (a notification was written).
    Dead {
        id: String,
        target: String,
        key: String,
        message: String,
    },
    Offline {
        target: String,
    },
    Online {
        target: String,
    },
    State(super::WorkerState),
}

#[derive(Debug, Default)]
struct Pace {
    last_start: Option<DateTime<Utc>>,
    paused_until: Option<DateTime<Utc>>,
    online: Option<bool>,
}

/// Drains the outbox of one company file through the given targets. Holds the company file's
/// [`super::SyncLock`], so only one drainer per file runs at a time, across processes.
#[derive(Debug, Clone)]
pub struct Drainer {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    file: CompanyFile,
    targets: Targets,
    sleeper: Arc<dyn Sleeper>,
    events: broadcast::Sender<SyncEvent>,
    pace: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Pace>>>>,
    stop: AtomicBool,
    _lock: super::SyncLock,
}

/// Due rows looked at per pass.
const PASS_LIMIT: u64 = 500;

/// How many rows of one FIFO key one durable claim may take (see `Drainer::attempt`). Bigger
/// batches amortise the claim's fsync further but leave more rows to check after a crash.
const CLAIM_BATCH: usize = 16;

impl Drainer {
    /// Whether this handle is the last one (no send task still holds a clone, so dropping it
    /// releases the sync lock).
    pub(crate) fn is_last_handle(&self) -> bool {
        Arc::strong_count(&self.inner) == 1
    }

    /// Takes the company file's sync lock (fails if another drainer has it).
    pub fn new(file: CompanyFile, targets: Targets, sleeper: Arc<dyn Sleeper>) -> Result<Self> {
        let lock = super::SyncLock::acquire(file.path())?;
        let (events, _) = broadcast::channel(1024);
        Ok(Self {
            inner: Arc::new(Inner {
                file,
                targets,
                sleeper,
                events,
                pace: Mutex::new(HashMap::new()),
                stop: AtomicBool::new(false),
                _lock: lock,
            }),
        })
    }

    pub fn file(&self) -> &CompanyFile {
        &self.inner.file
    }

    pub fn subscribe(&self) -> broadcast::Receiver<SyncEvent> {
        self.inner.events.subscribe()
    }

    pub(crate) fn events_sender(&self) -> broadcast::Sender<SyncEvent> {
        self.inner.events.clone()
    }

    pub(crate) fn emit(&self, event: SyncEvent) {
        // Nobody listening is fine.
        let _ = self.inner.events.send(event);
    }

    /// Asks a running [`Self::drain_until_idle`] to stop after the current pass.
    pub fn request_stop(&self) {
        self.inner.stop.store(true, Ordering::SeqCst);
    }

    fn clock(&self) -> &dyn Clock {
        self.inner.file.clock().as_ref()
    }

    /// Start-up crash recovery: rows left `in_flight` by a process that died mid-send go back to
    /// `ready` with `check_first`, so their next attempt asks the target before resending.
    /// Returns how many rows were recovered.
    pub async fn recover(&self) -> Result<u64> {
        let uow = super::begin_bookkeeping(&self.inner.file).await?;
        let now = uow.now_text();
        let result = uow
            .db()
            .execute_raw(Statement::from_sql_and_values(
                uow.db().get_database_backend(),
                "UPDATE outbox SET state = ?, check_first = ?, updated_at = ? WHERE state = ?",
                [
                    OutboxState::Ready.into(),
                    true.into(),
                    now.into(),
                    OutboxState::InFlight.into(),
                ],
            ))
            .await?;
        uow.commit().await?;
        let count = result.rows_affected();
        if count > 0 {
            self.emit(SyncEvent::Recovered { count });
        }
        Ok(count)
    }

    /// Passes until a pass starts nothing (all sent, waiting for a backoff, offline, or asked
    /// to stop).
    pub async fn drain_until_idle(&self) -> Result<DrainSummary> {
        let mut total = DrainSummary::default();
        loop {
            if self.inner.stop.load(Ordering::SeqCst) {
                break;
            }
            let pass = self.drain_once().await?;
            let started = pass.sent;
            total.sent += pass.sent;
            total.done += pass.done;
            total.failed += pass.failed;
            total.dead += pass.dead;
            total.no_client = pass.no_client;
            total.offline = pass.offline;
            if started == 0 {
                break;
            }
        }
        Ok(total)
    }

    /// One pass over what is due now.
    pub async fn drain_once(&self) -> Result<DrainSummary> {
        let file = &self.inner.file;
        let now = format_timestamp(self.clock().now());
        let backend = file.reader().get_database_backend();
        let ready: i64 = file
            .reader()
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                "SELECT COUNT(*) AS n FROM outbox WHERE state = ?",
                [OutboxState::Ready.into()],
            ))
            .await?
            .map(|r| r.try_get::<i64>("", "n"))
            .transpose()?
            .unwrap_or(0);
        self.emit(SyncEvent::Queued { ready });
        if ready == 0 {
            return Ok(DrainSummary::default());
        }
        // Due rows; a row with an ordering key only when nothing before it in its key is still
        // ready or in flight (FIFO, one in flight per key). Dead rows do not block their key:
        // they have left the queue until a person retries them.
        let due = outbox::Entity::find()
            .from_raw_sql(Statement::from_sql_and_values(
                backend,
                "SELECT o.* FROM outbox o WHERE o.state = ? AND o.next_attempt_at <= ? \
                 AND (o.ordering_key IS NULL OR NOT EXISTS (SELECT 1 FROM outbox p \
                   WHERE p.target = o.target AND p.ordering_key = o.ordering_key \
                   AND p.seq < o.seq AND p.state IN (?, ?))) \
                 ORDER BY o.seq LIMIT ?",
                [
                    OutboxState::Ready.into(),
                    now.into(),
                    OutboxState::Ready.into(),
                    OutboxState::InFlight.into(),
                    i64::try_from(PASS_LIMIT).unwrap_or(500).into(),
                ],
            ))
            .all(file.reader())
            .await?;

        let mut by_target: BTreeMap<String, Vec<outbox::Model>> = BTreeMap::new();
        for row in due {
            by_target.entry(row.target.clone()).or_default().push(row);
        }
        let mut summary = DrainSummary::default();
        let mut tasks = tokio::task::JoinSet::new();
        for (name, rows) in by_target {
            let Some(target) = self.inner.targets.get(&name).cloned() else {
                summary.no_client += u32::try_from(rows.len()).unwrap_or(u32::MAX);
                continue;
            };
            let this = self.clone();
            tasks.spawn(async move { this.drain_target(target, rows).await });
        }
        let mut first_error = None;
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(Ok(part)) => {
                    summary.sent += part.sent;
                    summary.done += part.done;
                    summary.failed += part.failed;
                    summary.dead += part.dead;
                    summary.offline.extend(part.offline);
                }
                Ok(Err(e)) => {
                    first_error.get_or_insert(e);
                }
                Err(e) => {
                    first_error.get_or_insert(Error::Internal(format!("a sync task failed: {e}")));
                }
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(summary),
        }
    }

    fn pace(&self, target: &str) -> Arc<tokio::sync::Mutex<Pace>> {
        self.inner
            .pace
            .lock()
            .expect("pace mutex")
            .entry(target.to_owned())
            .or_default()
            .clone()
    }

    async fn drain_target(
        &self,
        target: Arc<dyn Target>,
        rows: Vec<outbox::Model>,
    ) -> Result<DrainSummary> {
        let mut summary = DrainSummary::default();
        let name = target.name().to_owned();
        let pace = self.pace(&name);
        {
            let mut p = pace.lock().await;
            if p.paused_until
                .is_some_and(|until| until > self.clock().now())
            {
                return Ok(summary);
            }
            // Probe only when the target is not known to be up: after a success it is, after a
            // failure (or at start) it is unknown. Saves a round trip per pass when all is well.
            if p.online == Some(true) {
                drop(p);
                return self.send_rows(target, rows, pace, summary).await;
            }
            let online = target.probe().await;
            if p.online != Some(online) {
                self.emit(if online {
                    SyncEvent::Online {
                        target: name.clone(),
                    }
                } else {
                    SyncEvent::Offline {
                        target: name.clone(),
                    }
                });
            }
            p.online = Some(online);
            if !online {
                summary.offline.push(name);
                return Ok(summary);
            }
        }
        self.send_rows(target, rows, pace, summary).await
    }

    async fn send_rows(
        &self,
        target: Arc<dyn Target>,
        rows: Vec<outbox::Model>,
        pace: Arc<tokio::sync::Mutex<Pace>>,
        mut summary: DrainSummary,
    ) -> Result<DrainSummary> {
        let width = target.config().max_in_flight.max(1);
        let mut running = tokio::task::JoinSet::new();
        let mut rows = rows.into_iter().peekable();
        let mut first_error = None;
        let mut throttled = false;
        loop {
            while running.len() < width && !throttled && !self.inner.stop.load(Ordering::SeqCst) {
                let Some(row) = rows.next() else { break };
                // A serial target takes rows without an ordering key in runs too, so one durable
                // claim covers several sends (see `attempt`). Keyed rows extend their run from
                // their key in `claim`.
                let mut run = vec![row];
                if width == 1 && run[0].ordering_key.is_none() {
                    while run.len() < CLAIM_BATCH
                        && let Some(next) = rows.next_if(|r| r.ordering_key.is_none())
                    {
                        run.push(next);
                    }
                }
                // Rate limit: space the starts of sends to this target.
                if pace
                    .lock()
                    .await
                    .paused_until
                    .is_some_and(|until| until > self.clock().now())
                {
                    throttled = true;
                    break;
                }
                self.wait_turn(&pace, target.config().min_interval).await;
                let this = self.clone();
                let target = target.clone();
                let pace = pace.clone();
                running.spawn(async move { this.attempt(target, run, pace).await });
            }
            let Some(joined) = running.join_next().await else {
                break;
            };
            match joined {
                Ok(Ok(tally)) => {
                    summary.sent += tally.sent;
                    summary.done += tally.done;
                    summary.failed += tally.failed;
                    summary.dead += tally.dead;
                    if tally.failed > 0 {
                        // Up or down? Probe again before the next pass sends.
                        pace.lock().await.online = None;
                    }
                    if let Some(wait) = tally.retry_after {
                        // The target asked everyone to back off (QuickBooks 429).
                        let until = self.clock().now()
                            + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::zero());
                        pace.lock().await.paused_until = Some(until);
                        throttled = true;
                    }
                }
                Ok(Err(e)) => {
                    first_error.get_or_insert(e);
                }
                Err(e) => {
                    first_error.get_or_insert(Error::Internal(format!("a send task failed: {e}")));
                }
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(summary),
        }
    }

    /// Claim, (check,) send, settle a run of rows: one row, or for a row with an ordering key a
    /// run of that key's rows, or for a serial target (`max_in_flight` 1) a run of unkeyed
    /// rows. Claims are durable (one fsync each transaction) and must be: a claim is the
    /// evidence recovery needs to ask before resending. So a run is claimed in one transaction
    /// (up to [`CLAIM_BATCH`] rows) and then sent one row at a time, each settled without an
    /// fsync (`begin_settle`). A serial target (an
    /// e-TIMS device) then waits for one fsync per batch instead of one per row; see the outbox
    /// benchmark in docs/benchmarks.md. Claimed rows not yet sent when a stop is asked for, the
    /// target asks to back off, or (FIFO keys) a send does not succeed, go back to `ready` with
    /// their attempt uncounted; if a crash comes first, recovery checks them with the target like
    /// any other in-flight row (never sent, so "not received", so they are sent normally).
    async fn attempt(
        &self,
        target: Arc<dyn Target>,
        run: Vec<outbox::Model>,
        pace: Arc<tokio::sync::Mutex<Pace>>,
    ) -> Result<Tally> {
        let mut tally = Tally::default();
        let Some(first) = run.first().cloned() else {
            return Ok(tally);
        };
        let keyed = first.ordering_key.is_some();
        let mut batch = self.claim(run).await?;
        loop {
            let mut rows = batch.into_iter();
            while let Some(current) = rows.next() {
                let outcome = self.process_claimed(&target, current).await?;
                tally.add(&outcome);
                let unsent: Vec<outbox::Model> = rows.by_ref().collect();
                let stopping = self.inner.stop.load(Ordering::SeqCst);
                let failed = !matches!(outcome, Outcome::Done);
                if stopping || tally.retry_after.is_some() || (keyed && failed) {
                    // A stop sends nothing more than what is already on the wire; a target that
                    // asked to back off gets nothing more now; and FIFO: nothing after a row that
                    // did not go may go before it.
                    self.unclaim(&unsent).await?;
                    return Ok(tally);
                }
                rows = unsent.into_iter();
                if rows.len() > 0 {
                    // Rate limits apply to every send, claimed in a batch or not.
                    self.wait_turn(&pace, target.config().min_interval).await;
                }
            }
            // The batch went out: a FIFO key carries on with its next due rows, if any.
            let Some(key) = first.ordering_key.as_deref() else {
                break;
            };
            if self.inner.stop.load(Ordering::SeqCst) {
                break;
            }
            let Some(head) = self.due_head(&first.target, key).await? else {
                break;
            };
            self.wait_turn(&pace, target.config().min_interval).await;
            batch = self.claim(vec![head]).await?;
            if batch.is_empty() {
                break;
            }
        }
        Ok(tally)
    }

    /// Claims a run in one durable transaction and returns the rows claimed, in send order. A
    /// run of one keyed row (its key's head) is extended with the due rows right behind it in
    /// its key, up to [`CLAIM_BATCH`]. Rows someone else claimed first are left out (for a key:
    /// the run stops there, so nothing of the key is sent out of order).
    async fn claim(&self, mut run: Vec<outbox::Model>) -> Result<Vec<outbox::Model>> {
        let uow = super::begin_bookkeeping(&self.inner.file).await?;
        let now = uow.now_text();
        let keyed = run.first().is_some_and(|r| r.ordering_key.is_some());
        if let [head] = run.as_slice()
            && let Some(key) = head.ordering_key.clone()
        {
            // The rows after the head in its key, in order; stop at the first that is not due
            // yet (it must not be overtaken). Dead rows have left the queue and do not block.
            let behind = outbox::Entity::find()
                .filter(outbox::Column::Target.eq(head.target.as_str()))
                .filter(outbox::Column::OrderingKey.eq(key.as_str()))
                .filter(outbox::Column::State.eq(OutboxState::Ready))
                .filter(outbox::Column::Seq.gt(head.seq))
                .order_by_asc(outbox::Column::Seq)
                .limit(u64::try_from(CLAIM_BATCH - 1).unwrap_or(0))
                .all(uow.db())
                .await?;
            run.extend(
                behind
                    .into_iter()
                    .take_while(|r| r.next_attempt_at.as_str() <= now.as_str()),
            );
        }
        let mut claimed = Vec::with_capacity(run.len());
        for row in run {
            let n = uow
                .db()
                .execute_raw(Statement::from_sql_and_values(
                    uow.db().get_database_backend(),
                    "UPDATE outbox SET state = ?, attempts = attempts + 1, updated_at = ? \
                     WHERE id = ? AND state = ?",
                    [
                        OutboxState::InFlight.into(),
                        now.clone().into(),
                        row.id.clone().into(),
                        OutboxState::Ready.into(),
                    ],
                ))
                .await?
                .rows_affected();
            if n == 1 {
                self.inner
                    .file
                    .outbox_observers()
                    .notify(&uow.outbox_move(), &row.id, OutboxChange::Claimed)
                    .await?;
                claimed.push(row);
            } else if keyed {
                break;
            }
        }
        uow.commit().await?;
        Ok(claimed)
    }

    /// Gives claimed-but-unsent rows back to the queue, their attempt uncounted.
    async fn unclaim(&self, rows: &[outbox::Model]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let uow = super::begin_settle(&self.inner.file).await?;
        for row in rows {
            uow.db()
                .execute_raw(Statement::from_sql_and_values(
                    uow.db().get_database_backend(),
                    "UPDATE outbox SET state = ?, attempts = attempts - 1, updated_at = ? \
                     WHERE id = ? AND state = ?",
                    [
                        OutboxState::Ready.into(),
                        uow.now_text().into(),
                        row.id.clone().into(),
                        OutboxState::InFlight.into(),
                    ],
                ))
                .await?;
            self.inner
                .file
                .outbox_observers()
                .notify(&uow.outbox_move(), &row.id, OutboxChange::Unclaimed)
                .await?;
        }
        uow.commit().await?;
        Ok(())
    }

    /// The first row of a FIFO key still queued, if it is ready and due (nothing of the key is
    /// in flight: this drainer held the key's only claims and has settled them).
    async fn due_head(&self, target: &str, key: &str) -> Result<Option<outbox::Model>> {
        let now = format_timestamp(self.clock().now());
        let head = outbox::Entity::find()
            .filter(outbox::Column::Target.eq(target))
            .filter(outbox::Column::OrderingKey.eq(key))
            .filter(outbox::Column::State.is_in([OutboxState::Ready, OutboxState::InFlight]))
            .order_by_asc(outbox::Column::Seq)
            .one(self.inner.file.reader())
            .await?;
        Ok(head.filter(|h| {
            h.state == OutboxState::Ready && h.next_attempt_at.as_str() <= now.as_str()
        }))
    }

    /// Spaces the starts of sends to one target by `min_interval` (through the sleeper).
    async fn wait_turn(&self, pace: &tokio::sync::Mutex<Pace>, min_interval: Duration) {
        let mut p = pace.lock().await;
        if let Some(last) = p.last_start
            && !min_interval.is_zero()
        {
            let next =
                last + chrono::Duration::from_std(min_interval).unwrap_or(chrono::Duration::zero());
            let now = self.clock().now();
            if next > now {
                let wait = (next - now).to_std().unwrap_or(Duration::ZERO);
                self.inner.sleeper.sleep(wait).await;
            }
        }
        p.last_start = Some(self.clock().now());
    }

    /// The network part and the settle of a row this drainer has claimed (`in_flight`, attempts
    /// already counted in the database).
    async fn process_claimed(
        &self,
        target: &Arc<dyn Target>,
        row: outbox::Model,
    ) -> Result<Outcome> {
        let check_first = row.check_first;
        let auto_retry = row.auto_retry;
        let mut item = OutboxItem::from(row);
        item.attempts += 1;
        self.emit(SyncEvent::InFlight {
            id: item.id.clone(),
            target: item.target.clone(),
            key: item.idempotency_key.clone(),
        });

        if check_first {
            match target.check_before_resend(&item).await {
                RemoteState::Received(ack) => return self.settle_done(&item, ack, true).await,
                RemoteState::NotReceived => {}
                RemoteState::Unknown(why) => {
                    let error = SendError::Retryable {
                        message: format!(
                            "Could not confirm whether {} already received this ({why}); it \
                             will be asked again before any resend.",
                            item.target
                        ),
                        outcome_unknown: true,
                        retry_after: None,
                    };
                    return self.settle_failure(target, &item, auto_retry, error).await;
                }
            }
        }
        match target.send(&item).await {
            Ok(ack) => self.settle_done(&item, ack, false).await,
            Err(error) => self.settle_failure(target, &item, auto_retry, error).await,
        }
    }

    async fn settle_done(&self, item: &OutboxItem, ack: Ack, checked: bool) -> Result<Outcome> {
        let uow = super::begin_settle(&self.inner.file).await?;
        let now = uow.now_text();
        let remote_ref = ack.remote_ref;
        uow.db()
            .execute_raw(Statement::from_sql_and_values(
                uow.db().get_database_backend(),
                "UPDATE outbox SET state = ?, check_first = ?, remote_ref = ?, result = ?, \
                 done_at = ?, updated_at = ? WHERE id = ? AND state = ?",
                [
                    OutboxState::Done.into(),
                    false.into(),
                    remote_ref.clone().into(),
                    ack.result.map(|v| v.to_string()).into(),
                    now.clone().into(),
                    now.into(),
                    item.id.clone().into(),
                    OutboxState::InFlight.into(),
                ],
            ))
            .await?;
        self.inner
            .file
            .outbox_observers()
            .notify(
                &uow.outbox_move(),
                &item.id,
                OutboxChange::Done {
                    remote_ref: remote_ref.as_deref(),
                },
            )
            .await?;
        uow.commit().await?;
        self.emit(SyncEvent::Done {
            id: item.id.clone(),
            target: item.target.clone(),
            key: item.idempotency_key.clone(),
            checked,
        });
        Ok(Outcome::Done)
    }

    async fn settle_failure(
        &self,
        target: &Arc<dyn Target>,
        item: &OutboxItem,
        auto_retry: bool,
        error: SendError,
    ) -> Result<Outcome> {
        let config = target.config();
        let attempts = u32::try_from(item.attempts).unwrap_or(u32::MAX);
        let out_of_retries = attempts > config.max_retries;
        let (outcome_unknown, retry_after) = match &error {
            SendError::Retryable {
                outcome_unknown,
                retry_after,
                ..
            } => (*outcome_unknown, *retry_after),
            SendError::Permanent { .. } => (false, None),
        };
        // The row may forbid automatic retries (set at enqueue: the invoice workflow's
        // `retryOnFailure: false`); its first failure is then final.
        if !error.is_retryable() || out_of_retries || !auto_retry {
            return self
                .dead_letter(item, &error, outcome_unknown, out_of_retries || !auto_retry)
                .await;
        }
        let uow = super::begin_settle(&self.inner.file).await?;
        let mut delay = super::retry_delay(&config, &item.id, attempts);
        if let Some(wait) = retry_after {
            delay = delay.max(wait);
        }
        let next = format_timestamp(
            uow.now() + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::zero()),
        );
        uow.db()
            .execute_raw(Statement::from_sql_and_values(
                uow.db().get_database_backend(),
                "UPDATE outbox SET state = ?, next_attempt_at = ?, check_first = ?, \
                 last_error_kind = ?, last_error_message = ?, updated_at = ? \
                 WHERE id = ? AND state = ?",
                [
                    OutboxState::Ready.into(),
                    next.clone().into(),
                    outcome_unknown.into(),
                    error.kind().into(),
                    error.message().into(),
                    uow.now_text().into(),
                    item.id.clone().into(),
                    OutboxState::InFlight.into(),
                ],
            ))
            .await?;
        self.inner
            .file
            .outbox_observers()
            .notify(
                &uow.outbox_move(),
                &item.id,
                OutboxChange::Retrying {
                    kind: error.kind(),
                    message: error.message(),
                },
            )
            .await?;
        uow.commit().await?;
        self.emit(SyncEvent::Failed {
            id: item.id.clone(),
            target: item.target.clone(),
            key: item.idempotency_key.clone(),
            kind: error.kind().into(),
            message: error.message().into(),
            next_attempt_at: next,
        });
        Ok(Outcome::Failed { retry_after })
    }

    /// Dead-lettering is audited (attributed to the system) and announced by a notification,
    /// in one transaction with the state change.
    async fn dead_letter(
        &self,
        item: &OutboxItem,
        error: &SendError,
        outcome_unknown: bool,
        out_of_retries: bool,
    ) -> Result<Outcome> {
        let mut uow = self.inner.file.begin_system().await?;
        uow.db()
            .execute_raw(Statement::from_sql_and_values(
                uow.db().get_database_backend(),
                "UPDATE outbox SET state = ?, check_first = ?, last_error_kind = ?, \
                 last_error_message = ?, updated_at = ? WHERE id = ? AND state = ?",
                [
                    OutboxState::Dead.into(),
                    outcome_unknown.into(),
                    error.kind().into(),
                    error.message().into(),
                    uow.now_text().into(),
                    item.id.clone().into(),
                    OutboxState::InFlight.into(),
                ],
            ))
            .await?;
        self.inner
            .file
            .outbox_observers()
            .notify(
                &uow.outbox_move(),
                &item.id,
                OutboxChange::Dead {
                    kind: error.kind(),
                    message: error.message(),
                },
            )
            .await?;
        let why = if out_of_retries {
            format!("gave up after {} attempts", item.attempts)
        } else {
            "rejected".to_owned()
        };
        uow.audit(AuditDraft {
            action: "outbox.dead_letter",
            entity_type: "outbox",
            entity_id: item.id.clone(),
            before: Some(json!({ "state": OutboxState::InFlight })),
            after: Some(json!({
                "state": OutboxState::Dead,
                "target": item.target,
                "operation": item.operation,
                "key": item.idempotency_key,
                "attempts": item.attempts,
                "error": error.message(),
            })),
        })
        .await?;
        notifications::insert(
            &uow,
            NewNotification {
                kind: "outbox.dead",
                severity: "error",
                title: format!("Could not send {} to {}", item.operation, item.target),
                body: format!(
                    "{} ({why}): {}. Fix the cause, then retry it from the sync page or with \
                     `hesabu sync retry {}`.",
                    item.idempotency_key,
                    error.message(),
                    item.id
                ),
                entity_type: Some("outbox"),
                entity_id: Some(item.id.clone()),
            },
        )
        .await?;
        uow.commit().await?;
        self.emit(SyncEvent::Dead {
            id: item.id.clone(),
            target: item.target.clone(),
            key: item.idempotency_key.clone(),
            message: error.message().into(),
        });
        Ok(Outcome::Dead)
    }
}

/// What one attempt task did (one row, or a chain of rows of one ordering key).
#[derive(Debug, Default)]
struct Tally {
    sent: u32,
    done: u32,
    failed: u32,
    dead: u32,
    retry_after: Option<Duration>,
}

impl Tally {
    fn add(&mut self, outcome: &Outcome) {
        self.sent += 1;
        match outcome {
            Outcome::Done => self.done += 1,
            Outcome::Failed { retry_after } => {
                self.failed += 1;
                if retry_after.is_some() {
                    self.retry_after = *retry_after;
                }
            }
            Outcome::Dead => self.dead += 1,
        }
    }
}

enum Outcome {
    Done,
    Failed { retry_after: Option<Duration> },
    Dead,
}
