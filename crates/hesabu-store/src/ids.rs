//! Entity ids: UUID v7, time-ordered, with the timestamp taken from the injected clock so that
//! ids created in a test with a fixed clock still sort in creation order.

use uuid::{NoContext, Timestamp, Uuid};

use crate::clock::Clock;

/// A new UUID v7 for an entity, as stored text (lower-case hyphenated). The 48-bit time prefix
/// comes from the injected clock; uniqueness within one millisecond comes from the random bits.
pub fn new_id(clock: &dyn Clock) -> String {
    let now = clock.now();
    let seconds = u64::try_from(now.timestamp()).unwrap_or(0);
    Uuid::new_v7(Timestamp::from_unix(
        NoContext,
        seconds,
        now.timestamp_subsec_nanos(),
    ))
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SettableClock;
    use chrono::{TimeZone, Utc};

    #[test]
    fn ids_are_v7_and_unique_under_a_frozen_clock() {
        let clock = SettableClock::new(Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap());
        let ids: Vec<String> = (0..1000).map(|_| new_id(clock.as_ref())).collect();
        let unique: std::collections::HashSet<_> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len());
        let parsed = Uuid::parse_str(&ids[0]).unwrap();
        assert_eq!(parsed.get_version_num(), 7);
    }
}
