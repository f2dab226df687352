//! The one lifecycle for background work: a [`Periodic`] task runs a *pass* at once, then on a
//! ticker that skips missed ticks (a laptop waking from sleep runs once, not once per tick
//! slept), and whenever [`Periodic::run_now`] asks. [`Periodic::stop`] lets the pass in progress
//! finish, waiting up to a timeout, then aborts the task. Dropping it aborts too.
//!
//! Used by the outbox's sync [`crate::outbox::Worker`] and by the desktop's scheduler loop, so
//! both start, tick, run now and stop the same way. Whatever a pass does must be safe to cut off
//! (both are: an outbox row cut off mid-send stays `in_flight` and is checked before any resend;
//! a scheduled job cut off keeps its claim and runs at its next slot).

use std::future::Future;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

enum Command {
    RunNow,
    Stop,
}

/// A running periodic task.
#[derive(Debug)]
pub struct Periodic {
    commands: mpsc::Sender<Command>,
    task: Option<JoinHandle<()>>,
}

impl Periodic {
    /// Starts running `pass`: now, then every `tick`, and on [`Self::run_now`], one pass at a
    /// time, until stopped. `after` runs once when the loop ends by itself (after a stop request).
    pub fn start<P, F, A>(tick: Duration, mut pass: P, after: A) -> Self
    where
        P: FnMut() -> F + Send + 'static,
        F: Future<Output = ()> + Send,
        A: FnOnce() + Send + 'static,
    {
        let (commands, mut inbox) = mpsc::channel(16);
        let task = tokio::spawn(async move {
            let mut ticker = tokio::time::interval(tick);
            ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
            loop {
                tokio::select! {
                    // The first tick is immediate: a start catches up at once.
                    _ = ticker.tick() => {}
                    command = inbox.recv() => match command {
                        Some(Command::RunNow) => {}
                        Some(Command::Stop) | None => break,
                    },
                }
                pass().await;
            }
            after();
        });
        Self {
            commands,
            task: Some(task),
        }
    }

    /// Runs a pass now instead of waiting for the next tick (a queued request is enough: a
    /// pass already asked for is not asked for twice).
    pub fn run_now(&self) {
        let _ = self.commands.try_send(Command::RunNow);
    }

    /// Whether the task is still running.
    pub fn is_running(&self) -> bool {
        self.task.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// Asks the task to stop after its current pass and waits up to `timeout`. True if it
    /// stopped by itself, false if it had to be aborted.
    pub async fn stop(mut self, timeout: Duration) -> bool {
        let _ = self.commands.try_send(Command::Stop);
        let Some(mut task) = self.task.take() else {
            return true;
        };
        match tokio::time::timeout(timeout, &mut task).await {
            Ok(_) => true,
            Err(_) => {
                task.abort();
                let _ = task.await;
                false
            }
        }
    }
}

impl Drop for Periodic {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn runs_at_once_on_each_tick_and_on_request_then_stops_after_the_pass() {
        let passes = Arc::new(AtomicUsize::new(0));
        let ended = Arc::new(AtomicBool::new(false));
        let (p, e) = (passes.clone(), ended.clone());
        let periodic = Periodic::start(
            Duration::from_secs(60),
            move || {
                let p = p.clone();
                async move {
                    p.fetch_add(1, Ordering::SeqCst);
                }
            },
            move || e.store(true, Ordering::SeqCst),
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(
            passes.load(Ordering::SeqCst),
            1,
            "the first pass runs at once"
        );
        tokio::time::sleep(Duration::from_secs(60)).await;
        assert_eq!(passes.load(Ordering::SeqCst), 2, "then one per tick");
        periodic.run_now();
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert_eq!(passes.load(Ordering::SeqCst), 3, "and one on request");
        assert!(periodic.is_running());
        assert!(
            periodic.stop(Duration::from_secs(5)).await,
            "stopped by itself"
        );
        assert!(ended.load(Ordering::SeqCst), "the after-hook ran");
    }

    #[tokio::test(start_paused = true)]
    async fn a_pass_that_will_not_finish_is_aborted_at_the_timeout() {
        let periodic = Periodic::start(
            Duration::from_secs(60),
            || async { tokio::time::sleep(Duration::from_secs(3600)).await },
            || {},
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(!periodic.stop(Duration::from_secs(1)).await, "aborted");
    }
}
