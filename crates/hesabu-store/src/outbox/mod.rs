//! The durable outbox and the sync worker that drains it.
//!
//! A service that must tell an external system (KRA e-TIMS, QuickBooks Online) about a change
//! calls [`crate::uow::UnitOfWork::enqueue`] inside its unit of work: the outbox row commits or
//! rolls back with the change and its audit entry, and its payload is frozen there. The row owns
//! its retry state (attempts, next attempt, last error). Rows move only through this module:
//!
//! ```text
//!  enqueue ─▶ ready ──claim──▶ in_flight ──ack──────────────▶ done
//!               ▲                  │ ├─retryable error──▶ ready (backoff, maybe check_first)
//!               │                  │ └─permanent / out of retries──▶ dead ─(person: retry)─▶ ready
//!               └── start-up recovery: in_flight ─▶ ready + check_first (never a blind resend)
//! ```
//!
//! A [`Target`] is a client (one per external system) that sends an item and, for crash
//! recovery, answers "did you already get this?" ([`Target::check_before_resend`]). The
//! [`Drainer`] does one pass or drains until nothing is due; the [`Worker`] wraps it in a
//! component with a lifecycle (start, run now, stop with a timeout, a ticker that skips missed
//! ticks, idle/running/paused-offline state and progress events). See `docs/outbox.md`.

mod backoff;
mod drain;
mod wire;
mod worker;

pub use crate::observers::{OutboxChange, OutboxMove, OutboxObserver};
pub use backoff::retry_delay;
pub use drain::{ClockSleeper, Drainer, Sleeper, SyncEvent, TokioSleeper};
/// The loopback fake target (feature `testing`).
#[cfg(feature = "testing")]
pub use hesabu_sync_api::testing;
/// The sync contract, re-exported where the outbox is used: a client implements [`Target`]
/// (in its own crate, against `hesabu-sync-api` alone).
pub use hesabu_sync_api::{Ack, OutboxItem, RemoteState, SendError, Target, TargetConfig, Targets};
pub use wire::{DrainSummary, OutboxItemView, QueueDepth, SyncStatus};
pub use worker::{SyncLock, Worker, WorkerOptions, WorkerState};

use std::collections::BTreeMap;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Statement,
};
use serde_json::{Value, json};

use crate::audit::AuditDraft;
use crate::auth::{AuditActor, Session};
use crate::company_file::CompanyFile;
use crate::entities::outbox;
use crate::error::{Error, Result};
use crate::permissions::Permission;
use crate::uow::UnitOfWork;

pub use crate::entities::OutboxState;

/// Longest idempotency key accepted: QuickBooks' `requestid` allows 50 characters.
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 50;

/// A message to queue, as a service describes it.
#[derive(Debug, Clone)]
pub struct NewOutboxItem {
    /// Which client sends it: `etims`, `quickbooks`, or a test target's name.
    pub target: String,
    /// What the client should do with the payload (its own vocabulary).
    pub operation: String,
    /// The exact request body, frozen now (e-TIMS §11.4 step 2: persist before sending).
    pub payload: Value,
    /// Unique per target; the same key on every retry (QuickBooks `requestid`; for e-TIMS the
    /// device and `invcNo`). The target uses it to deduplicate and to answer the recovery check.
    pub idempotency_key: String,
    /// Rows with the same target and ordering key go strictly in enqueue order with at most one
    /// in flight (e-TIMS: the device). `None`: no ordering.
    pub ordering_key: Option<String>,
    /// Whether a failed send is retried automatically (after backoff, up to the target's
    /// `max_retries`). `false` makes the first failure final: the row is dead-lettered for a
    /// person (the invoice workflow's `retryOnFailure: false`).
    pub auto_retry: bool,
}

impl From<outbox::Model> for OutboxItem {
    fn from(m: outbox::Model) -> Self {
        Self {
            id: m.id,
            seq: m.seq,
            target: m.target,
            operation: m.operation,
            payload: m.payload,
            idempotency_key: m.idempotency_key,
            ordering_key: m.ordering_key,
            // A count of sends: far inside 32 bits (the outbox gives up long before).
            attempts: i32::try_from(m.attempts).unwrap_or(i32::MAX),
        }
    }
}

impl UnitOfWork {
    /// Queues a message for an external system in this transaction: it is sent (by the outbox
    /// worker) only if this unit of work commits, and its payload is frozen now. Returns the
    /// outbox row's id. A second item with the same target and idempotency key is refused.
    pub async fn enqueue(&mut self, item: NewOutboxItem) -> Result<String> {
        let id = self.new_id();
        let now = self.now_text();
        insert(self.db(), &id, &now, item).await?;
        Ok(id)
    }
}

/// The outbox worker's bookkeeping transaction: moving its own rows between states once per
/// attempt, which is not a business change and is not audited (an audit entry per network
/// attempt would drown the log). Dead-lettering and manual retries go through audited units of
/// work instead. Private to `outbox/`: the compiler keeps every caller here.
async fn begin_bookkeeping(file: &CompanyFile) -> Result<UnitOfWork> {
    Ok(
        UnitOfWork::begin(file.writer(), AuditActor::system(), file.clock().clone())
            .await?
            .exempt_from_audit(),
    )
}

/// The outbox worker's *settle* bookkeeping (marking a sent row done, or back to ready after a
/// retryable failure), committed without an fsync (`synchronous=NORMAL`). Safe because the
/// claim that preceded the send was committed durably: if a power cut loses a settle, the row is
/// found `in_flight` at the next start and recovery asks the target whether it arrived before
/// anything is resent. Worth it because a serial target (an e-TIMS device, one request at a
/// time) would otherwise wait for an fsync per row. Private to `outbox/`.
async fn begin_settle(file: &CompanyFile) -> Result<UnitOfWork> {
    Ok(UnitOfWork::begin(
        file.settle_writer().await?,
        AuditActor::system(),
        file.clock().clone(),
    )
    .await?
    .exempt_from_audit())
}

/// Inserts a row inside the caller's transaction (only [`crate::uow::UnitOfWork::enqueue`]
/// calls this, under the write lock, which is what makes `MAX(seq) + 1` safe).
async fn insert(
    txn: &impl ConnectionTrait,
    id: &str,
    now: &str,
    item: NewOutboxItem,
) -> Result<()> {
    let key = item.idempotency_key.trim();
    if key.is_empty() || key.chars().count() > MAX_IDEMPOTENCY_KEY_LEN {
        return Err(Error::invalid(format!(
            "An outbox idempotency key needs 1 to {MAX_IDEMPOTENCY_KEY_LEN} characters."
        )));
    }
    if item.target.trim().is_empty() || item.operation.trim().is_empty() {
        return Err(Error::invalid(
            "An outbox item needs a target and an operation.",
        ));
    }
    let duplicate = outbox::Entity::find()
        .filter(outbox::Column::Target.eq(item.target.as_str()))
        .filter(outbox::Column::IdempotencyKey.eq(key))
        .one(txn)
        .await?;
    if duplicate.is_some() {
        return Err(Error::Conflict(format!(
            "'{key}' is already queued for {}. Each message needs its own idempotency key.",
            item.target
        )));
    }
    let row = txn
        .query_one_raw(Statement::from_string(
            txn.get_database_backend(),
            "SELECT COALESCE(MAX(seq), 0) + 1 AS next FROM outbox",
        ))
        .await?
        .ok_or_else(|| Error::Internal("MAX(seq) returned no row".into()))?;
    let seq: i64 = row.try_get("", "next")?;
    outbox::ActiveModel::from(outbox::Model {
        id: id.to_owned(),
        seq,
        target: item.target,
        operation: item.operation,
        payload: item.payload.to_string(),
        idempotency_key: key.to_owned(),
        ordering_key: item.ordering_key,
        state: OutboxState::Ready,
        attempts: 0,
        next_attempt_at: now.to_owned(),
        check_first: false,
        last_error_kind: None,
        last_error_message: None,
        remote_ref: None,
        result: None,
        created_at: now.to_owned(),
        updated_at: now.to_owned(),
        done_at: None,
        auto_retry: item.auto_retry,
    })
    .insert(txn)
    .await?;
    Ok(())
}

/// One row by id.
pub async fn get(file: &CompanyFile, session: &Session, id: &str) -> Result<OutboxItemView> {
    session.require(Permission::SyncView)?;
    find(file.reader(), id).await.map(OutboxItemView::from)
}

async fn find(db: &impl ConnectionTrait, id: &str) -> Result<outbox::Model> {
    outbox::Entity::find_by_id(id.trim().to_owned())
        .one(db)
        .await?
        .ok_or_else(|| {
            Error::NotFound(format!(
                "There is no outbox item {id}. `hesabu sync dead` lists the dead ones."
            ))
        })
}

/// Rows in one state (or all), oldest first.
pub async fn list(
    file: &CompanyFile,
    session: &Session,
    in_state: Option<OutboxState>,
    limit: u64,
) -> Result<Vec<OutboxItemView>> {
    session.require(Permission::SyncView)?;
    let mut query = outbox::Entity::find();
    if let Some(s) = in_state {
        query = query.filter(outbox::Column::State.eq(s));
    }
    let rows = query
        .order_by_asc(outbox::Column::Seq)
        .limit(limit)
        .all(file.reader())
        .await?;
    Ok(rows.into_iter().map(OutboxItemView::from).collect())
}

/// Queue depth by target and state, the oldest ready row's age, and the worker's state as far
/// as this process can tell (`worker_state`: pass the running worker's, or `None` to have the
/// sync lock file consulted).
pub async fn status(
    file: &CompanyFile,
    session: &Session,
    worker_state: Option<WorkerState>,
) -> Result<SyncStatus> {
    session.require(Permission::SyncView)?;
    let backend = file.reader().get_database_backend();
    let rows = file
        .reader()
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT target, state, COUNT(*) AS n FROM outbox GROUP BY target, state \
             ORDER BY target, state",
        ))
        .await?;
    let mut depth = Vec::new();
    for row in rows {
        depth.push(QueueDepth {
            target: row.try_get("", "target")?,
            state: row.try_get("", "state")?,
            count: row.try_get("", "n")?,
        });
    }
    let oldest = outbox::Entity::find()
        .filter(outbox::Column::State.eq(OutboxState::Ready))
        .order_by_asc(outbox::Column::Seq)
        .one(file.reader())
        .await?;
    let now = file.clock().now();
    let oldest_ready_age_ms = oldest
        .and_then(|m| crate::clock::parse_timestamp(&m.created_at).ok())
        .map(|created| {
            (now - created.with_timezone(&Utc))
                .num_milliseconds()
                .max(0)
        });
    let worker = match worker_state {
        Some(s) => s.as_str().to_owned(),
        None => {
            if SyncLock::is_held_elsewhere(file.path()) {
                "other_process".to_owned()
            } else {
                "not_running".to_owned()
            }
        }
    };
    Ok(SyncStatus {
        depth,
        oldest_ready_age_ms,
        worker,
    })
}

/// Counts by state, for tests and summaries.
pub async fn counts(file: &CompanyFile) -> Result<BTreeMap<String, i64>> {
    let rows = file
        .reader()
        .query_all_raw(Statement::from_string(
            file.reader().get_database_backend(),
            "SELECT state, COUNT(*) AS n FROM outbox GROUP BY state",
        ))
        .await?;
    let mut out = BTreeMap::new();
    for row in rows {
        out.insert(row.try_get("", "state")?, row.try_get("", "n")?);
    }
    Ok(out)
}

/// A person puts a dead row back in the queue: due now, attempts reset, and the target is asked
/// before the resend (the dead row may have reached it after all). Audited.
pub async fn retry(file: &CompanyFile, session: &Session, id: &str) -> Result<OutboxItemView> {
    session.require(Permission::SyncManage)?;
    let mut uow = file.begin(session).await?;
    let row = find(uow.db(), id).await?;
    if row.state != OutboxState::Dead {
        return Err(Error::Conflict(format!(
            "Outbox item {} is {}, not dead; only dead items can be retried.",
            row.id, row.state
        )));
    }
    requeue_dead(file, &uow, &row.id).await?;
    uow.audit(AuditDraft {
        action: "outbox.retry",
        entity_type: "outbox",
        entity_id: row.id.clone(),
        before: Some(json!({
            "state": row.state,
            "attempts": row.attempts,
            "last_error": row.last_error_message,
        })),
        after: Some(
            json!({ "state": OutboxState::Ready, "target": row.target, "key": row.idempotency_key }),
        ),
    })
    .await?;
    uow.commit().await?;
    find(file.reader(), &row.id).await.map(OutboxItemView::from)
}

/// Moves a dead row back to `ready` inside the caller's (audited) unit of work: due now,
/// attempts reset, and the target is asked before the resend (the dead row may have reached it
/// after all). The file's [`OutboxObserver`]s are told (the workflow execution that owns the
/// row, if any, goes back to `pending`).
pub async fn requeue_dead(
    file: &CompanyFile,
    uow: &crate::uow::UnitOfWork,
    id: &str,
) -> Result<()> {
    let now = uow.now_text();
    let moved = uow
        .db()
        .execute_raw(Statement::from_sql_and_values(
            uow.db().get_database_backend(),
            "UPDATE outbox SET state = ?, attempts = 0, next_attempt_at = ?, check_first = ?, \
             updated_at = ? WHERE id = ? AND state = ?",
            [
                OutboxState::Ready.into(),
                now.clone().into(),
                true.into(),
                now.into(),
                id.into(),
                OutboxState::Dead.into(),
            ],
        ))
        .await?
        .rows_affected();
    if moved != 1 {
        let current = find(uow.db(), id).await?;
        return Err(Error::Conflict(format!(
            "Outbox item {id} is {}, not dead; only dead items can be queued again.",
            current.state
        )));
    }
    file.outbox_observers()
        .notify(&uow.outbox_move(), id, OutboxChange::Requeued)
        .await
}
