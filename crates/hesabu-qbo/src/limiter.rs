//! The per-realm request limiter (spec §6.1–§6.2): QuickBooks allows 500 requests a minute
//! and 10 a second per company (realm), and answers 429 past that.
//!
//! - **One limiter per realm in the process.** Every [`Client`](crate::Client) built for the
//!   same API base URL, realm and [`RateLimits`] shares one [`RealmLimiter`] from a
//!   process-wide registry, so a pull, the outbox's write-backs and a second window on the
//!   same company are paced together. (A client given other limits for the same realm gets its
//!   own limiter: the limits are part of the key. Processes do not share: two Hesabu processes
//!   on one company each keep to the limits alone.)
//! - **Pacing** is a GCRA ([`governor`]) with a burst of one: one request per
//!   [`RateLimits::interval`], the longer of `1 s / per_second` and `60 s / per_minute`.
//!   Requests admitted at least that far apart are never more than `per_second` in any second
//!   nor `per_minute` in any minute, however those windows are drawn, so both limits hold at
//!   once. (The price: no bursts. A client allowed bursts of 10 could send 10 at once and
//!   then wait; a sequential pull gains nothing from that.) Every Accounting API request goes
//!   through it, the replay after a 401 refresh included; the OAuth endpoints do not (spec §6.1
//!   counts them separately). The pacing waits in real (monotonic) time: the server counts
//!   real seconds.
//! - **A throttle pauses the realm.** When QuickBooks still answers 429 (or the 403 / XML
//!   throttle), the request's error carries the wait (`Retry-After`, else 60 s,
//!   [`Error::retry_after`](crate::Error::retry_after)) as before, and the realm is paused for
//!   that long on the client's injected [`Clock`](crate::Clock): until then every client of the
//!   realm refuses its requests at once, without sending them, with
//!   [`Error::Paused`](crate::Error::Paused) (a throttle, retryable, carrying the time left).
//!   Nothing sleeps: the caller decides when to try again (the outbox waits the `retry_after`
//!   and pauses its target; a pull fails and is run again), and a test moves its clock.
//! - **Batch calls have a second quota** (spec §6.1: 40 batch requests a minute per realm and
//!   app, [`BATCH_PER_MINUTE`]). A batch call waits its turn there first, then at the pace
//!   above like any request: it counts as one request in the 500/min and 10/s, whatever its
//!   items. The batch quota is a GCRA too, with a burst of one: one batch call per 1.5 s, so
//!   never more than 40 in any minute.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

use crate::error::Error;

/// Intuit's batch quota (spec §6.1): 40 batch calls a minute per realm and app.
pub const BATCH_PER_MINUTE: u32 = 40;

/// How many Accounting API requests one realm may make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RateLimits {
    pub per_second: u32,
    pub per_minute: u32,
}

impl RateLimits {
    /// Intuit's limits (spec §6.1): 10 requests a second and 500 a minute per realm.
    pub const INTUIT: RateLimits = RateLimits {
        per_second: 10,
        per_minute: 500,
    };

    /// The time between two requests that keeps to both limits: the longer of
    /// `1 s / per_second` and `60 s / per_minute` (120 ms for Intuit's).
    pub fn interval(&self) -> Duration {
        let by_second = Duration::from_secs(1) / self.per_second.max(1);
        let by_minute = Duration::from_secs(60) / self.per_minute.max(1);
        by_second.max(by_minute)
    }

    /// The binding limit as requests per 1000 seconds (8 333 for Intuit's: the minute's 500,
    /// not the second's 10, binds). Integer arithmetic, for reports.
    pub fn per_kilosecond(&self) -> u64 {
        (u64::from(self.per_second) * 1000).min(u64::from(self.per_minute) * 1000 / 60)
    }

    pub(crate) fn check(&self) -> Result<(), Error> {
        if self.per_second == 0 || self.per_minute == 0 {
            return Err(Error::Config(format!(
                "the QuickBooks rate limits must allow at least one request a second and a \
                 minute, not {}/s and {}/min",
                self.per_second, self.per_minute
            )));
        }
        Ok(())
    }
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits::INTUIT
    }
}

/// The pacing and the throttle pause of one realm, shared by its clients.
#[derive(Debug)]
pub(crate) struct RealmLimiter {
    pace: DefaultDirectRateLimiter,
    /// The batch calls' own quota ([`BATCH_PER_MINUTE`]), on top of `pace`.
    batch_pace: DefaultDirectRateLimiter,
    /// Set by a throttle answer: nothing is sent before this instant (the injected clock's).
    paused_until: Mutex<Option<DateTime<Utc>>>,
}

impl RealmLimiter {
    fn new(limits: RateLimits) -> Self {
        let one = NonZeroU32::MIN;
        // `interval` is at least 1 s / u32::MAX, never zero, so the quota always exists.
        let quota = Quota::with_period(limits.interval())
            .unwrap_or_else(|| Quota::per_second(one))
            .allow_burst(one);
        let batch_quota = Quota::with_period(Duration::from_secs(60) / BATCH_PER_MINUTE)
            .unwrap_or_else(|| Quota::per_second(one))
            .allow_burst(one);
        RealmLimiter {
            pace: RateLimiter::direct(quota),
            batch_pace: RateLimiter::direct(batch_quota),
            paused_until: Mutex::new(None),
        }
    }

    /// The limiter of (`api_base`, `realm_id`, `limits`) in this process, made on first use
    /// and kept for the life of the process (a few hundred bytes per realm), so that the pace
    /// and a throttle's pause outlive the clients: the desktop opens a client per pull.
    pub(crate) fn shared(api_base: &str, realm_id: &str, limits: RateLimits) -> Arc<Self> {
        type Registry = Mutex<HashMap<(String, String, RateLimits), Arc<RealmLimiter>>>;
        static REGISTRY: OnceLock<Registry> = OnceLock::new();
        let mut registry = REGISTRY
            .get_or_init(Registry::default)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        registry
            .entry((api_base.to_owned(), realm_id.to_owned(), limits))
            .or_insert_with(|| Arc::new(RealmLimiter::new(limits)))
            .clone()
    }

    /// How long the realm stays paused after `now`, if it is.
    pub(crate) fn paused_for(&self, now: DateTime<Utc>) -> Option<Duration> {
        let until = (*self.paused_until.lock().unwrap_or_else(|e| e.into_inner()))?;
        (until > now).then(|| (until - now).to_std().unwrap_or_default())
    }

    /// Pauses the realm until `now + wait` (a later pause already set is kept).
    pub(crate) fn pause(&self, now: DateTime<Utc>, wait: Duration) {
        let until = now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX);
        let mut paused = self.paused_until.lock().unwrap_or_else(|e| e.into_inner());
        if paused.is_none_or(|p| p < until) {
            *paused = Some(until);
        }
    }

    /// Waits for the realm's next turn to send.
    pub(crate) async fn turn(&self) {
        self.pace.until_ready().await;
    }

    /// Waits for the realm's next turn to send a batch call (the batch quota only: the call
    /// then waits its [`Self::turn`] like any request).
    pub(crate) async fn batch_turn(&self) {
        self.batch_pace.until_ready().await;
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::{RateLimits, RealmLimiter};

    #[test]
    fn the_interval_keeps_to_the_tighter_limit() {
        assert_eq!(RateLimits::INTUIT.interval(), Duration::from_millis(120));
        assert_eq!(RateLimits::INTUIT.per_kilosecond(), 8333);
        let seconds_bind = RateLimits {
            per_second: 5,
            per_minute: 600,
        };
        assert_eq!(seconds_bind.interval(), Duration::from_millis(200));
        assert_eq!(seconds_bind.per_kilosecond(), 5000);
        assert!(
            RateLimits {
                per_second: 0,
                per_minute: 1
            }
            .check()
            .is_err()
        );
    }

    #[test]
    fn clients_of_one_realm_share_a_limiter_and_other_realms_do_not() {
        let limits = RateLimits::INTUIT;
        let a = RealmLimiter::shared("http://127.0.0.1:1", "1", limits);
        let b = RealmLimiter::shared("http://127.0.0.1:1", "1", limits);
        let other = RealmLimiter::shared("http://127.0.0.1:1", "2", limits);
        assert!(std::sync::Arc::ptr_eq(&a, &b));
        assert!(!std::sync::Arc::ptr_eq(&a, &other));
    }

    #[tokio::test]
    async fn turns_come_one_interval_apart() {
        let limiter = RealmLimiter::shared(
            "http://127.0.0.1:2",
            "1",
            RateLimits {
                per_second: 20,
                per_minute: 6000,
            },
        );
        let started = Instant::now();
        for _ in 0..6 {
            limiter.turn().await;
        }
        // The first turn is at once, the next five 50 ms apart.
        assert!(started.elapsed() >= Duration::from_millis(250));
    }

    #[tokio::test]
    async fn batch_calls_keep_to_forty_a_minute() {
        // Loose request limits: only the batch quota paces these.
        let limiter = RealmLimiter::shared(
            "http://127.0.0.1:4",
            "1",
            RateLimits {
                per_second: 1000,
                per_minute: 60_000,
            },
        );
        let started = Instant::now();
        for _ in 0..3 {
            limiter.batch_turn().await;
        }
        // The first at once, the next two 1.5 s apart (60 s / 40).
        assert!(started.elapsed() >= Duration::from_millis(2900));
        // Plain requests do not wait for the batch quota.
        let plain = Instant::now();
        limiter.turn().await;
        assert!(plain.elapsed() < Duration::from_millis(500));
    }

    #[test]
    fn a_pause_counts_down_on_the_given_clock() {
        let limiter = RealmLimiter::shared("http://127.0.0.1:3", "1", RateLimits::INTUIT);
        let now = chrono::DateTime::parse_from_rfc3339("2026-03-02T09:00:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(limiter.paused_for(now), None);
        limiter.pause(now, Duration::from_secs(60));
        // A shorter pause does not shorten the one set.
        limiter.pause(now, Duration::from_secs(5));
        assert_eq!(limiter.paused_for(now), Some(Duration::from_secs(60)));
        let later = now + chrono::Duration::seconds(45);
        assert_eq!(limiter.paused_for(later), Some(Duration::from_secs(15)));
        assert_eq!(
            limiter.paused_for(now + chrono::Duration::seconds(60)),
            None
        );
    }
}
