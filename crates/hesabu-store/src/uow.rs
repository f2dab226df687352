//! The unit of work: the one transaction through which every business write goes.
//!
//! A service calls [`crate::company_file::CompanyFile::begin`], makes its change through
//! [`UnitOfWork::db`], records what it did with [`UnitOfWork::audit`], queues any messages for
//! external systems with [`UnitOfWork::enqueue`] (outbox rows in the same transaction), then calls
//! [`UnitOfWork::commit`]. Either all of it lands or none of it does: dropping a unit of work
//! without committing rolls back.
//!
//! Two rules are enforced here rather than by convention:
//! - the transaction starts with `BEGIN IMMEDIATE` (see [`crate::write_connection`]), so SQLite's
//!   write lock is held before anything is read; read-then-write sequences such as the audit
//!   chain or a budget reservation cannot interleave with another writer, in this process or
//!   another. (Until the write connection existed, a first write to the `write_generation` table
//!   took the lock; the table stays in the schema, unused, because migrations are never edited.)
//! - a unit of work that changed something but wrote no audit entry refuses to commit. The one
//!   exception is the outbox worker's *bookkeeping* (moving its own rows between ready, in flight
//!   and done, once per attempt), opened with the crate-private
//!   `outbox::begin_bookkeeping`, a private function of `outbox/` (so the compiler keeps its
//!   callers there). Dead-lettering and manual retries are audited as usual. The
//!   scheduler's per-run bookkeeping (claiming a due job, recording its outcome) is the other,
//!   through `scheduler::begin_bookkeeping`, private to `scheduler/` the same way.

use chrono::{DateTime, Utc};

use crate::audit::{self, AuditDraft};
use crate::auth::{AuditActor, Session};
use crate::clock::SharedClock;
use crate::company_file::CompanyFile;
use crate::error::{Error, Result};
use crate::ids;
use crate::observers::OutboxMove;
use crate::write_connection::{WriteConnection, WriteTxn};

pub struct UnitOfWork {
    txn: WriteTxn,
    actor: AuditActor,
    clock: SharedClock,
    now: DateTime<Utc>,
    audit_entries: u32,
    /// Set only for the outbox worker's bookkeeping: commits without an audit entry.
    audit_exempt: bool,
}

impl std::fmt::Debug for UnitOfWork {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnitOfWork")
            .field("actor", &self.actor.email)
            .field("now", &self.now)
            .field("audit_entries", &self.audit_entries)
            .finish_non_exhaustive()
    }
}

impl UnitOfWork {
    pub(crate) async fn begin(
        writer: &WriteConnection,
        actor: AuditActor,
        clock: SharedClock,
    ) -> Result<Self> {
        let txn = writer.begin().await?;
        // One instant for the whole unit of work: every row it stamps agrees on the time.
        let now = clock.now();
        Ok(Self {
            txn,
            actor,
            clock,
            now,
            audit_entries: 0,
            audit_exempt: false,
        })
    }

    /// The outbox worker's bookkeeping transaction (see the module doc). Crate-private, and only
    /// `outbox/` calls it (checked by a source-rule test).
    pub(crate) fn exempt_from_audit(mut self) -> Self {
        self.audit_exempt = true;
        self
    }

    /// The transaction, for the service's inserts, updates and reads-for-update.
    pub fn db(&self) -> &WriteTxn {
        &self.txn
    }

    /// The instant this unit of work acts at.
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// `now()` in the stored timestamp format.
    pub fn now_text(&self) -> String {
        crate::clock::format_timestamp(self.now)
    }

    /// A fresh entity id.
    pub fn new_id(&self) -> String {
        ids::new_id(self.clock.as_ref())
    }

    pub fn actor(&self) -> &AuditActor {
        &self.actor
    }

    /// Appends an audit entry inside this transaction.
    pub async fn audit(&mut self, draft: AuditDraft) -> Result<()> {
        let id = self.new_id();
        let at = self.now_text();
        audit::append(&self.txn, &self.actor, &id, &at, draft).await?;
        self.audit_entries += 1;
        Ok(())
    }

    /// What an outbox observer is handed when this unit of work moves a row.
    pub(crate) fn outbox_move(&self) -> OutboxMove<'_> {
        OutboxMove::new(&self.txn, self.now_text(), &self.clock)
    }

    /// Commits the change and its audit entries together.
    pub async fn commit(self) -> Result<()> {
        if self.audit_entries == 0 && !self.audit_exempt {
            // Dropping `self.txn` rolls back.
            return Err(Error::Internal(
                "a change was about to be saved without an audit entry".into(),
            ));
        }
        self.txn.commit()
    }
}

/// The ways to start an audited unit of work on an open company file. (The outbox's and the
/// scheduler's unaudited bookkeeping are started inside those modules, privately.)
impl CompanyFile {
    /// Starts a unit of work on behalf of `session`: the only way a person changes the company
    /// file.
    pub async fn begin(&self, session: &Session) -> Result<UnitOfWork> {
        UnitOfWork::begin(self.writer(), session.audit_actor(), self.clock().clone()).await
    }

    /// Starts a unit of work attributed to `actor` rather than a signed-in user: the very first
    /// writes of a new company (before any user exists) and the system's own jobs
    /// ([`AuditActor::system`]). Audited like any other: it refuses to commit without an audit
    /// entry.
    pub async fn begin_as(&self, actor: AuditActor) -> Result<UnitOfWork> {
        UnitOfWork::begin(self.writer(), actor, self.clock().clone()).await
    }

    /// Starts an audited unit of work attributed to the system (the outbox worker's
    /// dead-lettering, scheduled jobs).
    pub async fn begin_system(&self) -> Result<UnitOfWork> {
        self.begin_as(AuditActor::system()).await
    }
}
