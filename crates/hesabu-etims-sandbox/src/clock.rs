//! The sandbox's clock: `resultDt`, `sdcDateTime`, watermarks and token expiry all read it, so a
//! test can pin time (and get byte-identical answers for a seed) while the demo runs on the wall
//! clock.

use std::fmt;
use std::sync::Mutex;

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use hesabu_etims::dates::NAIROBI;

/// Where the sandbox reads the time.
pub trait SandboxClock: Send + Sync + fmt::Debug {
    fn now(&self) -> DateTime<Utc>;

    /// The same instant as KRA writes it: Nairobi local time.
    fn nairobi(&self) -> NaiveDateTime {
        self.now().with_timezone(&NAIROBI).naive_local()
    }
}

/// The wall clock (the binary, the demo).
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl SandboxClock for SystemClock {
    // The sandbox stands in for KRA's servers, whose clock is the real one; tests inject a
    // `ManualClock` instead.
    #[allow(clippy::disallowed_methods)]
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that moves only when told (tests).
#[derive(Debug)]
pub struct ManualClock {
    at: Mutex<DateTime<Utc>>,
}

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        ManualClock { at: Mutex::new(at) }
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self.at.lock().unwrap() = at;
    }

    pub fn advance(&self, by: TimeDelta) {
        let mut at = self.at.lock().unwrap();
        *at += by;
    }
}

impl SandboxClock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.at.lock().unwrap()
    }
}

/// `yyyyMMddHHmmss`.
pub(crate) fn compact(at: NaiveDateTime) -> String {
    at.format("%Y%m%d%H%M%S").to_string()
}

/// `yyyy-MM-dd HH:mm:ss.S`, the shape `selectInvoiceDetails` uses for `sdcDateTime`.
pub(crate) fn dashed(at: NaiveDateTime) -> String {
    format!("{}.0", at.format("%Y-%m-%d %H:%M:%S"))
}
