//! The clock seam. No service reads the wall clock directly: the app and CLI pass a
//! [`SystemClock`], tests pass a [`SettableClock`] so SLA, escalation and backoff logic can be
//! driven through time deterministically.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, SecondsFormat, Utc};

/// A source of "now". Implementations must be cheap and thread-safe.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> DateTime<Utc>;
}

/// Shared handle to a clock, as services receive it.
pub type SharedClock = Arc<dyn Clock>;

/// The real wall clock. The only place in the code base allowed to read it.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // this is the one sanctioned reader of the wall clock
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until told to move. For tests and for `--as-of` runs.
#[derive(Debug)]
pub struct SettableClock {
    now: Mutex<DateTime<Utc>>,
}

impl SettableClock {
    pub fn new(start: DateTime<Utc>) -> Arc<Self> {
        Arc::new(Self {
            now: Mutex::new(start),
        })
    }

    /// Moves the clock to `to`. Moving backwards is allowed (tests of clock skew need it).
    pub fn set(&self, to: DateTime<Utc>) {
        *self.now.lock().expect("clock mutex poisoned") = to;
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().expect("clock mutex poisoned");
        *now += by;
    }
}

impl Clock for SettableClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().expect("clock mutex poisoned")
    }
}

/// The one timestamp format stored in the company file: RFC 3339, UTC, milliseconds, `Z`.
/// Fixed width, so text order is time order.
pub fn format_timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parses a stored or user-supplied RFC 3339 timestamp into UTC.
pub fn parse_timestamp(text: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    DateTime::parse_from_rfc3339(text).map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn settable_clock_moves_only_when_told() {
        let start = Utc.with_ymd_and_hms(2026, 1, 5, 8, 0, 0).unwrap();
        let clock = SettableClock::new(start);
        assert_eq!(clock.now(), start);
        clock.advance(Duration::hours(3));
        assert_eq!(clock.now(), start + Duration::hours(3));
    }

    #[test]
    fn timestamps_are_fixed_width_utc() {
        let at = Utc.with_ymd_and_hms(2026, 1, 5, 8, 0, 0).unwrap();
        assert_eq!(format_timestamp(at), "2026-01-05T08:00:00.000Z");
        assert_eq!(parse_timestamp("2026-01-05T11:00:00+03:00").unwrap(), at);
    }
}
