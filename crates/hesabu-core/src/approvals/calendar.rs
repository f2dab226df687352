//! Business hours for SLAs: the company's work week in its time zone (Africa/Nairobi by default),
//! minus its holidays.
//!
//! The work week (which weekdays, and the same working hours on each) is a company setting in
//! the `work_week` table, Monday to Friday 08:00–17:00 by default; see [`set_work_week`].
//! Holidays come from the `holiday` table.
//!
//! Simplification: one set of hours for every working day (no half-day Saturdays) and no shifts
//! across midnight.

use std::collections::HashSet;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

use super::wire::{WorkWeekUpdate, WorkWeekView};
use hesabu_store::audit::AuditDraft;
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::{Error, Result};
use hesabu_store::permissions::Permission;

pub const DAY_START_HOUR: u32 = 8;
pub const DAY_END_HOUR: u32 = 17;

/// Which weekdays are worked, and from when to when (local time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkWeek {
    pub days: Vec<Weekday>,
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl Default for WorkWeek {
    /// Monday to Friday, 08:00–17:00.
    fn default() -> Self {
        Self {
            days: vec![
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
            ],
            start: NaiveTime::from_hms_opt(DAY_START_HOUR, 0, 0).unwrap_or(NaiveTime::MIN),
            end: NaiveTime::from_hms_opt(DAY_END_HOUR, 0, 0).unwrap_or(NaiveTime::MIN),
        }
    }
}

const DAY_NAMES: [(&str, Weekday); 7] = [
    ("mon", Weekday::Mon),
    ("tue", Weekday::Tue),
    ("wed", Weekday::Wed),
    ("thu", Weekday::Thu),
    ("fri", Weekday::Fri),
    ("sat", Weekday::Sat),
    ("sun", Weekday::Sun),
];

fn full_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "monday",
        Weekday::Tue => "tuesday",
        Weekday::Wed => "wednesday",
        Weekday::Thu => "thursday",
        Weekday::Fri => "friday",
        Weekday::Sat => "saturday",
        Weekday::Sun => "sunday",
    }
}

fn day_name(day: Weekday) -> &'static str {
    DAY_NAMES
        .iter()
        .find(|(_, d)| *d == day)
        .map_or("mon", |(n, _)| n)
}

impl WorkWeek {
    /// Checks and normalises a change: known weekday names (mon … sun, or full names), at least
    /// one, HH:MM times with the start before the end.
    pub fn parse(days: &[String], start: &str, end: &str) -> Result<Self> {
        let mut parsed = Vec::new();
        for d in days.iter().flat_map(|d| d.split(',')) {
            let key = d.trim().to_lowercase();
            if key.is_empty() {
                continue;
            }
            let day = DAY_NAMES
                .iter()
                .find(|(abbr, day)| key == *abbr || key == full_name(*day))
                .map(|(_, day)| *day)
                .ok_or_else(|| {
                    Error::invalid(format!(
                        "'{}' is not a weekday: use mon, tue, wed, thu, fri, sat or sun.",
                        d.trim()
                    ))
                })?;
            if !parsed.contains(&day) {
                parsed.push(day);
            }
        }
        if parsed.is_empty() {
            return Err(Error::invalid(
                "The work week needs at least one working day, e.g. mon,tue,wed,thu,fri.",
            ));
        }
        parsed.sort_by_key(Weekday::num_days_from_monday);
        let time = |text: &str, what: &str| {
            NaiveTime::parse_from_str(text.trim(), "%H:%M").map_err(|_| {
                Error::invalid(format!(
                    "The {what} time '{text}' is not a time: write it as HH:MM, e.g. 08:00."
                ))
            })
        };
        let start = time(start, "start")?;
        let end = time(end, "end")?;
        if start >= end {
            return Err(Error::invalid(format!(
                "The working day starts at {} but ends at {}: the end must be after the start \
                 (shifts across midnight are not supported).",
                start.format("%H:%M"),
                end.format("%H:%M")
            )));
        }
        Ok(Self {
            days: parsed,
            start,
            end,
        })
    }

    /// The stored form (falls back to the default for a row that does not parse).
    async fn load(db: &impl ConnectionTrait) -> Result<Self> {
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT days, day_start, day_end FROM work_week WHERE id = 'company'",
            ))
            .await?;
        let Some(row) = row else {
            return Ok(Self::default());
        };
        let days: String = row.try_get("", "days")?;
        let start: String = row.try_get("", "day_start")?;
        let end: String = row.try_get("", "day_end")?;
        Ok(Self::parse(&[days], &start, &end).unwrap_or_default())
    }

    fn hours_per_week(&self) -> String {
        let minutes =
            (self.end - self.start).num_minutes() * i64::try_from(self.days.len()).unwrap_or(0);
        if minutes % 60 == 0 {
            format!("{}", minutes / 60)
        } else {
            format!("{}.{:02}", minutes / 60, minutes % 60 * 100 / 60)
        }
    }

    fn view(&self, time_zone: String) -> WorkWeekView {
        WorkWeekView {
            days: self.days.iter().map(|d| day_name(*d).to_owned()).collect(),
            start: self.start.format("%H:%M").to_string(),
            end: self.end.format("%H:%M").to_string(),
            hours_per_week: self.hours_per_week(),
            time_zone,
        }
    }
}

/// The company's work week for SLA business hours.
pub async fn work_week(file: &CompanyFile, session: &Session) -> Result<WorkWeekView> {
    session.require(Permission::CompanyView)?;
    let db = file.reader();
    let company = crate::company::load(db).await?;
    Ok(WorkWeek::load(db).await?.view(company.time_zone))
}

/// Changes the company's work week. Steps already pending keep the `due_at` they were given;
/// steps that become pending from now on (and reminders) use the new week.
pub async fn set_work_week(
    file: &CompanyFile,
    session: &Session,
    change: &WorkWeekUpdate,
) -> Result<WorkWeekView> {
    session.require(Permission::CompanyEdit)?;
    let week = WorkWeek::parse(&change.days, &change.start, &change.end)?;
    let mut uow = file.begin(session).await?;
    let before = WorkWeek::load(uow.db()).await?;
    let company = crate::company::load(uow.db()).await?;
    let days = week
        .days
        .iter()
        .map(|d| day_name(*d))
        .collect::<Vec<_>>()
        .join(",");
    let start = week.start.format("%H:%M").to_string();
    let end = week.end.format("%H:%M").to_string();
    uow.db()
        .execute_raw(Statement::from_sql_and_values(
            uow.db().get_database_backend(),
            "INSERT INTO work_week (id, days, day_start, day_end, updated_at) \
             VALUES ('company', ?, ?, ?, ?) \
             ON CONFLICT (id) DO UPDATE SET days = excluded.days, day_start = excluded.day_start, \
             day_end = excluded.day_end, updated_at = excluded.updated_at",
            [
                days.clone().into(),
                start.clone().into(),
                end.clone().into(),
                uow.now_text().into(),
            ],
        ))
        .await?;
    let before = before.view(company.time_zone.clone());
    uow.audit(AuditDraft {
        action: "company.work_week",
        entity_type: "company",
        entity_id: company.id.clone(),
        before: Some(json!({ "days": before.days, "start": before.start, "end": before.end })),
        after: Some(json!({ "days": days, "start": start, "end": end })),
    })
    .await?;
    uow.commit().await?;
    Ok(week.view(company.time_zone))
}

#[derive(Debug, Clone)]
pub struct Calendar {
    tz: Tz,
    holidays: HashSet<NaiveDate>,
    week: WorkWeek,
}

impl Calendar {
    /// A calendar with the default work week (Monday to Friday, 08:00–17:00).
    pub fn new(tz: Tz, holidays: impl IntoIterator<Item = NaiveDate>) -> Self {
        Self {
            tz,
            holidays: holidays.into_iter().collect(),
            week: WorkWeek::default(),
        }
    }

    pub fn with_week(mut self, week: WorkWeek) -> Self {
        self.week = week;
        self
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
        let week = WorkWeek::load(db).await?;
        Ok(Self::new(tz, holidays).with_week(week))
    }

    fn is_work_day(&self, day: NaiveDate) -> bool {
        self.week.days.contains(&day.weekday()) && !self.holidays.contains(&day)
    }

    fn at(&self, day: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
        let naive = day.and_time(time);
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
                let open = self.at(day, self.week.start);
                let close = self.at(day, self.week.end);
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
            cursor = self.at(day, NaiveTime::MIN);
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
