//! The desktop's background work: the scheduler ticking every minute for the open company while
//! a user who may run jobs is signed in, and the sync progress the Sync page draws.
//!
//! [`Background::start`] runs every due job at once (the runs missed while the app was closed
//! run once, see `hesabu_store::scheduler`), then on a ticker that skips missed ticks (a laptop
//! waking from sleep runs once, not once per minute slept). [`Background::stop`] asks the loop
//! to finish the job it is running and waits up to a timeout, then aborts: a job cut off keeps
//! its claim and runs at its next slot. The app stops it before it closes or replaces the company
//! file, on sign-out and on exit.
//!
//! Progress: the outbox job forwards its drainer's events into a broadcast channel; the Sync
//! page polls [`SyncTracker::progress`], which folds the events received since the last poll.

use std::sync::Mutex;
use std::time::Duration;

use hesabu_store::auth::Session;
use hesabu_store::background::Periodic;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::outbox::{SyncEvent, WorkerState};
use hesabu_store::scheduler::Scheduler;
use tokio::sync::broadcast;

use crate::wire::SyncProgress;

/// How often the scheduler looks for due jobs.
pub const TICK: Duration = Duration::from_secs(60);
/// How long stopping waits for a running job before aborting it.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// The scheduler loop of the open company, if one runs.
#[derive(Default)]
pub struct Background {
    running: tokio::sync::Mutex<Option<Periodic>>,
}

impl std::fmt::Debug for Background {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Background").finish_non_exhaustive()
    }
}

impl Background {
    /// Stops any running loop, then starts one for `file` as `session`, ticking every `tick`
    /// (the core's [`Periodic`] lifecycle, the same one the outbox worker uses).
    pub async fn start(
        &self,
        file: CompanyFile,
        session: Session,
        scheduler: Scheduler,
        tick: Duration,
    ) {
        self.stop(STOP_TIMEOUT).await;
        let pass = move || {
            let (file, session, scheduler) = (file.clone(), session.clone(), scheduler.clone());
            async move {
                match scheduler.run_due(&file, &session).await {
                    Ok(outcomes) => {
                        for o in outcomes.iter().filter(|o| o.status == "failed") {
                            eprintln!(
                                "hesabu-desktop: scheduled job {} failed: {}",
                                o.name,
                                o.error.as_deref().unwrap_or("")
                            );
                        }
                    }
                    Err(e) => eprintln!("hesabu-desktop: the scheduler could not run: {e}"),
                }
            }
        };
        *self.running.lock().await = Some(Periodic::start(tick, pass, || {}));
    }

    /// Whether a loop is running.
    pub async fn is_running(&self) -> bool {
        self.running
            .lock()
            .await
            .as_ref()
            .is_some_and(Periodic::is_running)
    }

    /// Stops the loop after the job it is running, waiting up to `timeout`; true if it stopped
    /// by itself (or none ran), false if it had to be aborted.
    pub async fn stop(&self, timeout: Duration) -> bool {
        let Some(periodic) = self.running.lock().await.take() else {
            return true;
        };
        periodic.stop(timeout).await
    }
}

/// Folds the outbox job's events into what the Sync page's progress bar shows.
#[derive(Debug)]
pub struct SyncTracker {
    sender: broadcast::Sender<SyncEvent>,
    state: Mutex<(broadcast::Receiver<SyncEvent>, SyncProgress)>,
}

impl Default for SyncTracker {
    fn default() -> Self {
        let (sender, receiver) = broadcast::channel(1024);
        Self {
            sender,
            state: Mutex::new((receiver, SyncProgress::default())),
        }
    }
}

impl SyncTracker {
    /// Where the scheduler's outbox job sends its events.
    pub fn sender(&self) -> broadcast::Sender<SyncEvent> {
        self.sender.clone()
    }

    /// The progress after every event received so far.
    pub fn progress(&self) -> SyncProgress {
        let mut guard = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let (receiver, progress) = &mut *guard;
        loop {
            match receiver.try_recv() {
                Ok(event) => fold(progress, &event),
                // Missed events only make the bar less exact; the counts from the queue stay right.
                Err(broadcast::error::TryRecvError::Lagged(_)) => continue,
                Err(_) => break,
            }
        }
        progress.clone()
    }
}

fn fold(p: &mut SyncProgress, event: &SyncEvent) {
    match event {
        SyncEvent::State(WorkerState::Running) => {
            let offline = std::mem::take(&mut p.offline);
            *p = SyncProgress {
                running: true,
                offline,
                ..SyncProgress::default()
            };
        }
        SyncEvent::State(_) => p.running = false,
        SyncEvent::Queued { ready } => {
            let ready = u32::try_from(*ready).unwrap_or(u32::MAX);
            p.total = p
                .total
                .max(ready.saturating_add(p.done).saturating_add(p.dead));
        }
        SyncEvent::InFlight { key, .. } => p.current = Some(key.clone()),
        SyncEvent::Done { .. } => p.done += 1,
        SyncEvent::Failed { .. } => p.failed += 1,
        SyncEvent::Dead { .. } => p.dead += 1,
        SyncEvent::Offline { target } => {
            if !p.offline.contains(target) {
                p.offline.push(target.clone());
            }
        }
        SyncEvent::Online { target } => p.offline.retain(|t| t != target),
        SyncEvent::Recovered { .. } => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_fold_into_a_progress_bar() {
        let tracker = SyncTracker::default();
        let tx = tracker.sender();
        let _ = tx.send(SyncEvent::Offline {
            target: "quickbooks".into(),
        });
        let _ = tx.send(SyncEvent::State(WorkerState::Running));
        let _ = tx.send(SyncEvent::Queued { ready: 3 });
        for key in ["a", "b"] {
            let _ = tx.send(SyncEvent::InFlight {
                id: key.into(),
                target: "etims".into(),
                key: key.into(),
            });
            let _ = tx.send(SyncEvent::Done {
                id: key.into(),
                target: "etims".into(),
                key: key.into(),
                checked: false,
            });
        }
        let p = tracker.progress();
        assert!(p.running);
        assert_eq!((p.total, p.done, p.failed, p.dead), (3, 2, 0, 0));
        assert_eq!(p.current.as_deref(), Some("b"));
        assert_eq!(p.offline, ["quickbooks"]);
        let _ = tx.send(SyncEvent::Dead {
            id: "c".into(),
            target: "etims".into(),
            key: "c".into(),
            message: "rejected".into(),
        });
        let _ = tx.send(SyncEvent::Online {
            target: "quickbooks".into(),
        });
        let _ = tx.send(SyncEvent::State(WorkerState::Idle));
        let p = tracker.progress();
        assert!(!p.running);
        assert_eq!((p.done, p.dead), (2, 1));
        assert!(p.offline.is_empty());
    }

    #[tokio::test]
    async fn stop_without_a_loop_is_immediate() {
        assert!(Background::default().stop(Duration::from_millis(10)).await);
    }

    /// Counts its runs.
    #[derive(Debug)]
    struct Counter(std::sync::Arc<std::sync::atomic::AtomicU32>);

    #[async_trait::async_trait]
    impl hesabu_store::scheduler::Job for Counter {
        fn name(&self) -> &str {
            "counter"
        }
        fn description(&self) -> &str {
            "counts"
        }
        fn default_schedule(&self) -> hesabu_store::scheduler::Schedule {
            hesabu_store::scheduler::Schedule::Every { minutes: 60 }
        }
        async fn run(
            &self,
            _: &hesabu_store::scheduler::JobContext<'_>,
        ) -> hesabu_store::Result<serde_json::Value> {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(serde_json::Value::Null)
        }
    }

    #[tokio::test]
    async fn start_runs_due_jobs_at_once_and_stop_ends_the_loop() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("demo.hesabu");
        let clock: hesabu_store::clock::SharedClock =
            std::sync::Arc::new(hesabu_store::clock::SystemClock);
        let (file, _) = hesabu_app::demo::create(&path, clock).await.unwrap();
        let admin = hesabu_store::auth::login(
            &file,
            hesabu_app::demo::DEMO_ADMIN_EMAIL,
            hesabu_app::demo::DEMO_PASSWORD,
        )
        .await
        .unwrap();
        let runs = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
        let scheduler = Scheduler::new(
            vec![std::sync::Arc::new(Counter(runs.clone()))],
            hesabu_store::outbox::Targets::new(),
        );
        let background = Background::default();
        // A tick of an hour: only the immediate start-up run can happen in this test.
        background
            .start(file.clone(), admin, scheduler, Duration::from_secs(3600))
            .await;
        assert!(background.is_running().await);
        for _ in 0..100 {
            if runs.load(std::sync::atomic::Ordering::SeqCst) > 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(runs.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert!(
            background.stop(Duration::from_secs(5)).await,
            "stopped cleanly"
        );
        assert!(!background.is_running().await);
        file.close().await.unwrap();
    }
}
