//! The background sync worker: a component with a lifecycle around a [`Drainer`].
//!
//! [`Worker::start`] takes the company file's sync lock, runs crash recovery, then drains on a
//! ticker (missed ticks are skipped, not replayed) and whenever [`Worker::run_now`] asks. Its
//! state is observable ([`Worker::state`]: idle, running, paused offline, stopped) and it
//! publishes [`SyncEvent`]s. [`Worker::stop`] asks it to finish the current pass and waits up to
//! a timeout; past that the task is aborted, which is safe: a row cut off mid-send is left
//! `in_flight` and recovered (checked before any resend) at the next start.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::{broadcast, watch};

use super::Targets;
use super::drain::{Drainer, Sleeper, SyncEvent};
use crate::background::Periodic;
use crate::company_file::CompanyFile;
use crate::error::{Error, Result};

/// What the worker is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkerState {
    Idle,
    Running,
    /// Every target with due rows failed its probe; probing again on each tick.
    PausedOffline,
    Stopped,
}

impl WorkerState {
    pub fn as_str(self) -> &'static str {
        match self {
            WorkerState::Idle => "idle",
            WorkerState::Running => "running",
            WorkerState::PausedOffline => "paused_offline",
            WorkerState::Stopped => "stopped",
        }
    }
}

/// An advisory lock on `<company file>.sync-lock`, held while a drainer exists, so the desktop
/// app and `hesabu sync run` never drain the same file at once (two drainers could each think
/// the other's in-flight row was left by a crash). The OS releases it when the process dies,
/// SIGKILL included, so a crash never leaves a stale lock.
#[derive(Debug)]
pub struct SyncLock {
    _file: File,
}

impl SyncLock {
    fn lock_path(company: &Path) -> PathBuf {
        let mut name = company.as_os_str().to_owned();
        name.push(".sync-lock");
        PathBuf::from(name)
    }

    pub fn acquire(company: &Path) -> Result<Self> {
        let path = Self::lock_path(company);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| {
                Error::Unavailable(format!(
                    "Could not create the sync lock {} ({e}). Check that you may write to the \
                     company file's folder.",
                    path.display()
                ))
            })?;
        match file.try_lock() {
            Ok(()) => Ok(Self { _file: file }),
            Err(TryLockError::WouldBlock) => Err(Error::Conflict(
                "Another Hesabu window or command is already syncing this company file; it will \
                 send the queued items. Try again when it has finished."
                    .into(),
            )),
            Err(TryLockError::Error(e)) => Err(Error::Unavailable(format!(
                "Could not lock {} ({e}).",
                path.display()
            ))),
        }
    }

    /// True when some other open handle (this process or another) holds the lock.
    pub fn is_held_elsewhere(company: &Path) -> bool {
        let path = Self::lock_path(company);
        let Ok(file) = OpenOptions::new().read(true).open(&path) else {
            return false;
        };
        matches!(file.try_lock(), Err(TryLockError::WouldBlock))
    }
}

/// How the worker runs.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// How often it looks for due rows (and re-probes offline targets) on its own.
    pub tick: Duration,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        Self {
            tick: Duration::from_secs(15),
        }
    }
}

/// A running sync worker. Dropping it without [`Self::stop`] aborts its task.
#[derive(Debug)]
pub struct Worker {
    periodic: Periodic,
    state: watch::Receiver<WorkerState>,
    events: broadcast::Sender<SyncEvent>,
    drainer: Drainer,
}

impl Worker {
    /// Takes the sync lock, recovers rows left in flight, and starts draining (the lifecycle is
    /// the shared [`Periodic`] one).
    pub async fn start(
        file: CompanyFile,
        targets: Targets,
        sleeper: Arc<dyn Sleeper>,
        options: WorkerOptions,
    ) -> Result<Self> {
        let drainer = Drainer::new(file, targets, sleeper)?;
        let events = drainer.events_sender();
        drainer.recover().await?;
        let (state_tx, state) = watch::channel(WorkerState::Idle);
        let state_tx = Arc::new(state_tx);
        let set = {
            let d = drainer.clone();
            move |tx: &watch::Sender<WorkerState>, s: WorkerState| {
                if *tx.borrow() != s {
                    tx.send_replace(s);
                    d.emit(SyncEvent::State(s));
                }
            }
        };
        let pass = {
            let (d, tx, set) = (drainer.clone(), state_tx.clone(), set.clone());
            move || {
                let (d, tx, set) = (d.clone(), tx.clone(), set.clone());
                async move {
                    set(&tx, WorkerState::Running);
                    let next = match d.drain_until_idle().await {
                        // Offline when something is due but every target holding it is
                        // unreachable.
                        Ok(summary) if !summary.offline.is_empty() && summary.sent == 0 => {
                            WorkerState::PausedOffline
                        }
                        Ok(_) => WorkerState::Idle,
                        // A storage error (disk full, file gone) is retried on the next tick. A
                        // row whose settle failed is still `in_flight`; every send of this pass
                        // has finished and no other drainer can exist (the lock), so it is
                        // orphaned: recover it now (checked before any resend) rather than at
                        // the next start.
                        Err(_) => {
                            let _ = d.recover().await;
                            WorkerState::Idle
                        }
                    };
                    set(&tx, next);
                }
            }
        };
        let stopped = move || set(&state_tx, WorkerState::Stopped);
        Ok(Self {
            periodic: Periodic::start(options.tick, pass, stopped),
            state,
            events,
            drainer,
        })
    }

    /// Drain now instead of waiting for the next tick (the "Sync now" button).
    pub fn run_now(&self) {
        self.periodic.run_now();
    }

    pub fn state(&self) -> WorkerState {
        *self.state.borrow()
    }

    /// Waits until the worker reaches `wanted` or the timeout passes; returns the last state.
    pub async fn wait_for(&self, wanted: WorkerState, timeout: Duration) -> WorkerState {
        let mut rx = self.state.clone();
        let _ = tokio::time::timeout(timeout, rx.wait_for(|s| *s == wanted)).await;
        *rx.borrow()
    }

    pub fn subscribe(&self) -> broadcast::Receiver<SyncEvent> {
        self.events.subscribe()
    }

    /// Asks the worker to stop after its current pass and waits up to `timeout`. Returns true
    /// if it stopped by itself, false if it had to be aborted (safe; see the module doc).
    ///
    /// When it returns, the sync lock is released: an aborted pass's send tasks are cancelled
    /// asynchronously (a `JoinSet` aborts them on drop, and they are dropped when the runtime
    /// next polls them), so this waits — briefly, bounded — for the last of them to let go of
    /// the drainer before dropping it. Without the wait a new drainer started right after
    /// `stop` could find the lock still held ("already syncing").
    pub async fn stop(self, timeout: Duration) -> bool {
        self.drainer.request_stop();
        let stopped = self.periodic.stop(timeout).await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while !self.drainer.is_last_handle() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        stopped
    }
}
