//! Business hours for SLAs: the company's work week in its time zone (Africa/Nairobi by default),
//! minus its holidays.
//!
//! Simplification (documented in docs/approval-policies.md): the work week is fixed in code,
//! Monday to Friday 08:00–17:00 local time; holidays come from the `holiday` table. A
//! configurable work week is a settings-screen feature for later.

use std::collections::HashSet;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use sea_orm::{ConnectionTrait, Statement};

use crate::error::Result;

pub const DAY_START_HOUR: u32 = 8;
pub const DAY_END_HOUR: u32 = 17;

#[derive(Debug, Clone)]
pub struct Calendar {
    tz: Tz,
    holidays: HashSet<NaiveDate>,
}

impl Calendar {
    pub fn new(tz: Tz, holidays: impl IntoIterator<Item = NaiveDate>) -> Self {
        Self {
            tz,
            holidays: holidays.into_iter().collect(),
        }
    }

    /// The company's calendar, read from its settings and holiday list.
    pub(crate) async fn load(db: &impl ConnectionTrait) -> Result<Self> {
        let company = crate::company::load(db).await?;
        let tz: Tz = company
            .time_zone
            .parse()
            .unwrap_or(chrono_tz::Africa::Nairobi);
        let rows = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT day FROM holiday",
            ))
            .await?;
        let mut holidays = Vec::new();
        for row in rows {
            let day: String = row.try_get("", "day")?;
            if let Ok(d) = NaiveDate::parse_from_str(&day, "%Y-%m-%d") {
                holidays.push(d);
            }
        }
        Ok(Self::new(tz, holidays))
    }

    fn is_work_day(&self, day: NaiveDate) -> bool {
        !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) && !self.holidays.contains(&day)
    }

    fn at(&self, day: NaiveDate, hour: u32) -> DateTime<Utc> {
        let naive = day.and_time(NaiveTime::from_hms_opt(hour, 0, 0).unwrap_or(NaiveTime::MIN));
        self.tz
            .from_local_datetime(&naive)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| Utc.from_utc_datetime(&naive))
    }

    /// `start` plus `hours` of business time. Time outside business hours does not count, so a
    /// step submitted on Friday at 16:00 with an 8-hour SLA is due on Monday at 15:00.
    pub fn add_business_hours(&self, start: DateTime<Utc>, hours: i64) -> DateTime<Utc> {
        let mut remaining = Duration::hours(hours.max(0));
        let mut day = start.with_timezone(&self.tz).date_naive();
        let mut cursor = start;
        // Bounded: ten years of calendar days is far beyond any SLA.
        for _ in 0..3660 {
            if self.is_work_day(day) {
                let open = self.at(day, DAY_START_HOUR);
                let close = self.at(day, DAY_END_HOUR);
                if cursor < open {
                    cursor = open;
                }
                if cursor < close {
                    let available = close - cursor;
                    if remaining <= available {
                        return cursor + remaining;
                    }
                    remaining -= available;
                }
            }
            day = day.succ_opt().unwrap_or(day);
            cursor = self.at(day, 0);
        }
        cursor
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nairobi(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        chrono_tz::Africa::Nairobi
            .with_ymd_and_hms(y, m, d, h, 0, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn business_hours_skip_nights_weekends_and_holidays() {
        let cal = Calendar::new(chrono_tz::Africa::Nairobi, []);
        // Wednesday 2026-07-01 09:00 + 4h = 13:00 the same day.
        assert_eq!(
            cal.add_business_hours(nairobi(2026, 7, 1, 9), 4),
            nairobi(2026, 7, 1, 13)
        );
        // + 16h = 2 full days (9h each) minus 2h: Friday 16:00... start 09:00 Wed: 8h Wed, 8h Thu.
        assert_eq!(
            cal.add_business_hours(nairobi(2026, 7, 1, 9), 16),
            nairobi(2026, 7, 2, 16)
        );
        // Friday 16:00 + 8h: 1h Friday, 7h Monday → Monday 15:00.
        assert_eq!(
            cal.add_business_hours(nairobi(2026, 7, 3, 16), 8),
            nairobi(2026, 7, 6, 15)
        );
        // Saturday night counts from Monday 08:00.
        assert_eq!(
            cal.add_business_hours(nairobi(2026, 7, 4, 22), 1),
            nairobi(2026, 7, 6, 9)
        );
        // A Monday holiday pushes it to Tuesday.
        let holiday = NaiveDate::from_ymd_opt(2026, 7, 6).unwrap();
        let cal = Calendar::new(chrono_tz::Africa::Nairobi, [holiday]);
        assert_eq!(
            cal.add_business_hours(nairobi(2026, 7, 3, 16), 8),
            nairobi(2026, 7, 7, 15)
        );
    }
}
