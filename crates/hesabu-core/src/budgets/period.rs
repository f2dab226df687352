//! Fiscal periods: `FY2026`, `2026-Q1` and `2026-03`, on the company's fiscal calendar.
//!
//! A fiscal year is named by the calendar year in which it **starts**. With the fiscal year
//! starting in July (the demo company), `FY2026` runs from 1 July 2026 to 30 June 2027, and its
//! quarters are `2026-Q1` (Jul–Sep 2026), `2026-Q2` (Oct–Dec 2026), `2026-Q3` (Jan–Mar 2027) and
//! `2026-Q4` (Apr–Jun 2027). A month is always the calendar month: `2027-03` is March 2027,
//! which is in `2026-Q3` and `FY2026`. With a January start, FY, quarter and calendar year agree.

use std::fmt;

use chrono::{Datelike, Months, NaiveDate};

use hesabu_store::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PeriodKind {
    Month,
    Quarter,
    Year,
}

/// A period on one company's fiscal calendar: its label and the days it covers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FiscalPeriod {
    pub kind: PeriodKind,
    /// The canonical label (`FY2026`, `2026-Q1`, `2026-03`).
    pub label: String,
    /// First day.
    pub start: NaiveDate,
    /// The day after the last day.
    pub end: NaiveDate,
}

impl fmt::Display for FiscalPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label)
    }
}

fn bad(text: &str) -> Error {
    Error::invalid(format!(
        "'{text}' is not a period: write a fiscal year like FY2026, a fiscal quarter like \
         2026-Q1, or a month like 2026-03."
    ))
}

fn first_of(year: i32, month: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, 1)
}

fn plus_months(date: NaiveDate, months: u32) -> Option<NaiveDate> {
    date.checked_add_months(Months::new(months))
}

impl FiscalPeriod {
    /// Parses a period label for a company whose fiscal year starts in `fiscal_start_month`
    /// (1 = January).
    pub fn parse(text: &str, fiscal_start_month: u32) -> Result<Self> {
        let t = text.trim().to_uppercase();
        let year_of = |digits: &str| -> Result<i32> {
            if digits.len() == 4 && digits.chars().all(|c| c.is_ascii_digit()) {
                digits.parse::<i32>().map_err(|_| bad(text))
            } else {
                Err(bad(text))
            }
        };
        let start_month = fiscal_start_month.clamp(1, 12);
        if let Some(rest) = t.strip_prefix("FY") {
            let year = year_of(rest)?;
            let start = first_of(year, start_month).ok_or_else(|| bad(text))?;
            let end = plus_months(start, 12).ok_or_else(|| bad(text))?;
            return Ok(Self {
                kind: PeriodKind::Year,
                label: format!("FY{year}"),
                start,
                end,
            });
        }
        let (year, rest) = t.split_once('-').ok_or_else(|| bad(text))?;
        let year = year_of(year)?;
        if let Some(q) = rest.strip_prefix('Q') {
            let q: u32 = match q {
                "1" => 1,
                "2" => 2,
                "3" => 3,
                "4" => 4,
                _ => return Err(bad(text)),
            };
            let fy_start = first_of(year, start_month).ok_or_else(|| bad(text))?;
            let start = plus_months(fy_start, (q - 1) * 3).ok_or_else(|| bad(text))?;
            let end = plus_months(start, 3).ok_or_else(|| bad(text))?;
            return Ok(Self {
                kind: PeriodKind::Quarter,
                label: format!("{year}-Q{q}"),
                start,
                end,
            });
        }
        if rest.len() == 2 && rest.chars().all(|c| c.is_ascii_digit()) {
            let month: u32 = rest.parse().map_err(|_| bad(text))?;
            let start = first_of(year, month).ok_or_else(|| bad(text))?;
            let end = plus_months(start, 1).ok_or_else(|| bad(text))?;
            return Ok(Self {
                kind: PeriodKind::Month,
                label: format!("{year}-{month:02}"),
                start,
                end,
            });
        }
        Err(bad(text))
    }

    /// Whether `other` lies wholly inside this period.
    pub fn contains(&self, other: &FiscalPeriod) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    /// The months (as periods) of this period, in order.
    pub fn months(&self) -> Vec<FiscalPeriod> {
        let mut out = Vec::new();
        let mut start = self.start;
        while start < self.end {
            let end = plus_months(start, 1).unwrap_or(self.end);
            out.push(FiscalPeriod {
                kind: PeriodKind::Month,
                label: format!("{}-{:02}", start.year(), start.month()),
                start,
                end,
            });
            start = end;
        }
        out
    }

    /// The fiscal quarters of a fiscal year, in order (empty for other periods).
    pub fn quarters(&self) -> Vec<FiscalPeriod> {
        if self.kind != PeriodKind::Year {
            return Vec::new();
        }
        let year = self.start.year();
        (0..4)
            .filter_map(|q| {
                let start = plus_months(self.start, q * 3)?;
                Some(FiscalPeriod {
                    kind: PeriodKind::Quarter,
                    label: format!("{year}-Q{}", q + 1),
                    start,
                    end: plus_months(start, 3)?,
                })
            })
            .collect()
    }

    pub fn start_text(&self) -> String {
        self.start.format("%Y-%m-%d").to_string()
    }

    pub fn end_text(&self) -> String {
        self.end.format("%Y-%m-%d").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str, start_month: u32) -> (String, String, String) {
        let period = FiscalPeriod::parse(text, start_month).unwrap();
        (period.label.clone(), period.start_text(), period.end_text())
    }

    #[test]
    fn a_july_fiscal_year_is_named_by_the_year_it_starts() {
        let cases = [
            ("FY2026", ("FY2026", "2026-07-01", "2027-07-01")),
            ("fy2026", ("FY2026", "2026-07-01", "2027-07-01")),
            ("2026-Q1", ("2026-Q1", "2026-07-01", "2026-10-01")),
            ("2026-q3", ("2026-Q3", "2027-01-01", "2027-04-01")),
            ("2026-Q4", ("2026-Q4", "2027-04-01", "2027-07-01")),
            ("2027-03", ("2027-03", "2027-03-01", "2027-04-01")),
        ];
        for (input, (label, start, end)) in cases {
            assert_eq!(
                p(input, 7),
                (label.into(), start.into(), end.into()),
                "{input}"
            );
        }
    }

    #[test]
    fn a_january_fiscal_year_is_the_calendar_year() {
        assert_eq!(
            p("FY2025", 1),
            ("FY2025".into(), "2025-01-01".into(), "2026-01-01".into())
        );
        assert_eq!(
            p("2025-Q1", 1),
            ("2025-Q1".into(), "2025-01-01".into(), "2025-04-01".into())
        );
        assert_eq!(
            p("2025-12", 1),
            ("2025-12".into(), "2025-12-01".into(), "2026-01-01".into())
        );
    }

    #[test]
    fn bad_periods_say_how_to_write_one() {
        for bad in [
            "", "2025", "FY25", "2025-Q5", "2025-13", "2025-3", "Q1-2025", "FY2025x",
        ] {
            let err = FiscalPeriod::parse(bad, 7).unwrap_err().to_string();
            assert!(err.contains("FY2026"), "{bad}: {err}");
        }
    }

    #[test]
    fn years_split_into_twelve_months_and_four_quarters_that_tile_it() {
        let fy = FiscalPeriod::parse("FY2026", 7).unwrap();
        let months = fy.months();
        assert_eq!(months.len(), 12);
        assert_eq!(months[0].label, "2026-07");
        assert_eq!(months[11].label, "2027-06");
        let quarters = fy.quarters();
        assert_eq!(quarters.len(), 4);
        assert_eq!(quarters[2].label, "2026-Q3");
        assert_eq!(quarters[2], FiscalPeriod::parse("2026-Q3", 7).unwrap());
        assert!(fy.contains(&months[11]) && quarters[2].contains(&months[6]));
        assert!(!quarters[0].contains(&months[6]));
    }
}
