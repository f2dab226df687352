//! Who else follows an outbox row. The outbox knows nothing of what a row is *for*; a layer above
//! (the workflow execution log) registers an [`OutboxObserver`] on the company file and is told
//! of every move of a row inside the transaction that makes it, so the two cannot disagree.
//!
//! A module of its own, below the company file and the unit of work: an observer is handed an
//! [`OutboxMove`] (the transaction, its instant, a way to mint ids), not the unit of work, so the
//! kernel's modules stay acyclic.

use std::sync::Arc;

use crate::clock::SharedClock;
use crate::error::Result;
use crate::write_connection::WriteTxn;

/// A move of an outbox row, as the outbox reports it to observers.
#[derive(Debug, Clone, Copy)]
pub enum OutboxChange<'a> {
    /// Claimed for a send (committed `in_flight`).
    Claimed,
    /// The target acknowledged it.
    Done { remote_ref: Option<&'a str> },
    /// A retryable failure: it goes back to `ready` after its backoff.
    Retrying { kind: &'a str, message: &'a str },
    /// Dead-lettered: a person must look at it.
    Dead { kind: &'a str, message: &'a str },
    /// A person put the dead row back in the queue.
    Requeued,
    /// Claimed in a batch but given back unsent (see `outbox::drain`): queued again.
    Unclaimed,
}

/// The transaction that moves an outbox row, as an observer sees it.
pub struct OutboxMove<'a> {
    /// The transaction (bookkeeping, settle, dead-letter or a person's retry).
    pub db: &'a WriteTxn,
    /// Its instant, in the stored timestamp format.
    pub now: String,
    clock: &'a SharedClock,
}

impl<'a> OutboxMove<'a> {
    pub(crate) fn new(db: &'a WriteTxn, now: String, clock: &'a SharedClock) -> Self {
        Self { db, now, clock }
    }

    /// A fresh id for a row the observer writes.
    pub fn new_id(&self) -> String {
        crate::ids::new_id(self.clock.as_ref())
    }
}

impl std::fmt::Debug for OutboxMove<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxMove")
            .field("now", &self.now)
            .finish_non_exhaustive()
    }
}

/// Told of each move of an outbox row, inside the transaction that moves it. An error rolls the
/// move back.
#[async_trait::async_trait]
pub trait OutboxObserver: Send + Sync + std::fmt::Debug {
    async fn on_outbox_change(
        &self,
        moved: &OutboxMove<'_>,
        outbox_id: &str,
        change: OutboxChange<'_>,
    ) -> Result<()>;
}

/// The observers registered on one open company file (shared by its clones).
#[derive(Debug, Default, Clone)]
pub(crate) struct Observers(Arc<std::sync::RwLock<Vec<Arc<dyn OutboxObserver>>>>);

impl Observers {
    pub(crate) fn add(&self, observer: Arc<dyn OutboxObserver>) {
        self.0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(observer);
    }

    /// Tells every observer, in registration order.
    pub(crate) async fn notify(
        &self,
        moved: &OutboxMove<'_>,
        outbox_id: &str,
        change: OutboxChange<'_>,
    ) -> Result<()> {
        let observers = self
            .0
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        for observer in observers {
            observer.on_outbox_change(moved, outbox_id, change).await?;
        }
        Ok(())
    }
}
