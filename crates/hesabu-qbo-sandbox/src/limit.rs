//! The sandbox's own rate limit (spec §6.1), off unless asked for: at most `per_second` API
//! calls in any second and `per_minute` in any minute, counted as they arrive (a sliding
//! window of arrival instants, monotonic time). A call past either is answered 429 with Fault
//! 3001 and a `Retry-After` of the seconds until it would be let in, is not counted in the
//! windows, and is counted in `Stats::rate_limited`.
//!
//! Stated choices (Intuit does not publish its algorithm): refused calls do not count; the
//! windows are [`ARRIVAL_TOLERANCE`] shorter than a second and a minute, so that a client
//! pacing itself at exactly the limit is not refused because one request spent a few
//! milliseconds longer on the way than the one before it (delivery jitter on a busy machine);
//! a client that does not pace (10 calls in under 0.95 s, then one more) is refused all the
//! same.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::RateLimit;

/// How much shorter than a second and a minute the windows are: the delivery jitter allowed.
pub const ARRIVAL_TOLERANCE: Duration = Duration::from_millis(50);

/// The calls let in over the last minute, and the limit.
#[derive(Debug)]
pub(crate) struct Window {
    limit: RateLimit,
    arrivals: VecDeque<Instant>,
}

impl Window {
    pub fn new(limit: RateLimit) -> Self {
        Window {
            limit,
            arrivals: VecDeque::new(),
        }
    }

    pub fn limit(&self) -> RateLimit {
        self.limit
    }

    /// Lets in a call arriving at `now`, or says how long until one would be let in.
    pub fn admit(&mut self, now: Instant) -> Result<(), Duration> {
        let second = Duration::from_secs(1).saturating_sub(ARRIVAL_TOLERANCE);
        let minute = Duration::from_secs(60).saturating_sub(ARRIVAL_TOLERANCE);
        while self
            .arrivals
            .front()
            .is_some_and(|&t| now.saturating_duration_since(t) >= minute)
        {
            self.arrivals.pop_front();
        }
        let mut wait = Duration::ZERO;
        for (count, window) in [
            (self.limit.per_minute, minute),
            (self.limit.per_second, second),
        ] {
            let count = usize::try_from(count).unwrap_or(usize::MAX);
            // The count-th latest arrival still inside the window blocks this call.
            if count == 0 {
                wait = wait.max(window);
            } else if let Some(&blocking) = self
                .arrivals
                .len()
                .checked_sub(count)
                .and_then(|i| self.arrivals.get(i))
            {
                let since = now.saturating_duration_since(blocking);
                if since < window {
                    wait = wait.max(window - since);
                }
            }
        }
        if wait > Duration::ZERO {
            return Err(wait);
        }
        self.arrivals.push_back(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::{ARRIVAL_TOLERANCE, Window};
    use crate::RateLimit;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_burst_past_the_second_is_refused_until_the_window_moves() {
        let mut w = Window::new(RateLimit {
            per_second: 3,
            per_minute: 100,
        });
        let t0 = Instant::now();
        for i in 0..3 {
            w.admit(t0 + ms(i)).unwrap();
        }
        let wait = w.admit(t0 + ms(10)).unwrap_err();
        assert_eq!(wait, ms(1000) - ARRIVAL_TOLERANCE - ms(10));
        // Refused calls do not count: once the first has left the window, one more goes, and
        // the next waits for the second to leave.
        w.admit(t0 + ms(950)).unwrap();
        assert_eq!(w.admit(t0 + ms(950)).unwrap_err(), ms(1));
        w.admit(t0 + ms(951)).unwrap();
    }

    #[test]
    fn an_even_pace_at_the_limit_is_let_in_even_with_jitter() {
        let mut w = Window::new(RateLimit {
            per_second: 5,
            per_minute: 600,
        });
        let t0 = Instant::now();
        // 200 ms apart, every other one 30 ms late on the way.
        for i in 0..50u64 {
            let late = if i % 2 == 0 { 30 } else { 0 };
            w.admit(t0 + ms(200 * i + late)).unwrap();
        }
    }

    #[test]
    fn the_minute_counts_too() {
        let mut w = Window::new(RateLimit {
            per_second: 10,
            per_minute: 20,
        });
        let t0 = Instant::now();
        for i in 0..20u64 {
            w.admit(t0 + ms(150 * i)).unwrap();
        }
        let at = t0 + ms(150 * 20);
        let wait = w.admit(at).unwrap_err();
        assert_eq!(wait, ms(60_000) - ARRIVAL_TOLERANCE - ms(3000));
        w.admit(at + wait).unwrap();
    }
}
