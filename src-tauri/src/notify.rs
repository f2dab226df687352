//! Desktop delivery of the core's in-app notifications with notify-rust. Without a notification
//! service (no D-Bus session, no daemon) `show` fails within milliseconds: the core records the
//! error on the row, this module logs it and the app carries on; the bell still lists everything.

use std::sync::atomic::{AtomicU32, Ordering};

use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::notifications::{self, DesktopNotifier};

/// Shows a notification with notify-rust. Never panics: any failure becomes an `Err(String)`.
#[derive(Debug, Default)]
pub struct NotifyRust;

impl DesktopNotifier for NotifyRust {
    fn show(&self, title: &str, body: &str) -> Result<(), String> {
        notify_rust::Notification::new()
            .appname("Hesabu")
            .summary(title)
            .body(body)
            .show()
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// After a failed delivery, how many unread-count polls skip delivery (about five minutes at
/// one poll every 30 s), so that a machine without a notification service does not retry (and
/// audit the retry) every poll. Explicit actions always try.
const POLLS_TO_SKIP_AFTER_FAILURE: u32 = 10;

/// Delivers the signed-in user's pending notifications and remembers recent failures.
#[derive(Debug, Default)]
pub struct Delivery {
    notifier: NotifyRust,
    skip_polls: AtomicU32,
}

impl Delivery {
    /// Delivers now (after a command that can create notifications). Errors are logged only.
    pub async fn deliver(&self, file: &CompanyFile, session: &Session) {
        self.run(file, session, &self.notifier).await;
    }

    /// Delivers on the bell's poll, unless a recent attempt found no notification service.
    pub async fn deliver_on_poll(&self, file: &CompanyFile, session: &Session) {
        let skip = self.skip_polls.load(Ordering::Relaxed);
        if skip > 0 {
            self.skip_polls.store(skip - 1, Ordering::Relaxed);
            return;
        }
        self.run(file, session, &self.notifier).await;
    }

    async fn run(&self, file: &CompanyFile, session: &Session, notifier: &dyn DesktopNotifier) {
        let failing = Failing {
            inner: notifier,
            failed: AtomicU32::new(0),
        };
        match notifications::deliver(file, session, &failing).await {
            Ok(_) => {}
            Err(e) => eprintln!("hesabu-desktop: delivering notifications failed: {e}"),
        }
        if failing.failed.load(Ordering::Relaxed) > 0 {
            self.skip_polls
                .store(POLLS_TO_SKIP_AFTER_FAILURE, Ordering::Relaxed);
        } else {
            self.skip_polls.store(0, Ordering::Relaxed);
        }
    }
}

/// Wraps a notifier to log and count failures.
struct Failing<'a> {
    inner: &'a dyn DesktopNotifier,
    failed: AtomicU32,
}

impl DesktopNotifier for Failing<'_> {
    fn show(&self, title: &str, body: &str) -> Result<(), String> {
        let outcome = self.inner.show(title, body);
        if let Err(e) = &outcome {
            self.failed.fetch_add(1, Ordering::Relaxed);
            eprintln!("hesabu-desktop: desktop notification unavailable: {e}");
        }
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NoService;
    impl DesktopNotifier for NoService {
        fn show(&self, _: &str, _: &str) -> Result<(), String> {
            Err("org.freedesktop.Notifications was not provided".into())
        }
    }

    #[test]
    fn notify_rust_never_panics_whether_or_not_a_service_runs() {
        // Without a session bus or daemon (CI, the E2E) this is an Err; with one, Ok.
        let _ = NotifyRust.show("Hesabu", "test notification from cargo test");
    }

    #[test]
    fn a_failure_is_counted_and_passed_on_for_the_core_to_record() {
        let failing = Failing {
            inner: &NoService,
            failed: AtomicU32::new(0),
        };
        assert!(failing.show("Hesabu", "x").is_err());
        assert!(failing.show("Hesabu", "y").is_err());
        assert_eq!(failing.failed.load(Ordering::Relaxed), 2);
    }
}
