//! Generated reports: the daily summary PDF (pending approvals, SLA compliance, budget
//! utilisation per department, sync failures), written to a `reports/` folder next to the
//! company file — like `backups/` — and listed from there.
//!
//! The folder is the list: a report is a file the accountant can open, mail or delete, so no
//! table tracks them. Names are `<company stem>-daily-summary-<UTC timestamp>-<nnn>.pdf`, so two
//! company files in one folder keep their reports apart and name order is age order.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, NaiveDateTime, Timelike, Utc};
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, Statement};
use serde::{Deserialize, Serialize};
use serde_json::json;
use ts_rs::TS;

use crate::monitor::{self, SlaFigures};
use hesabu_receipts::Stamp;
use hesabu_receipts::report::{Column, Report, Weight};
use hesabu_store::audit::AuditDraft;
use hesabu_store::auth::Session;
use hesabu_store::clock::{format_timestamp, parse_timestamp};
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::{Error, Result};
use hesabu_store::permissions::Permission;

const DAILY_SUMMARY: &str = "daily-summary";

/// A generated report file.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ReportInfo {
    /// The file name; also its id.
    pub id: String,
    /// daily_summary
    pub kind: String,
    pub path: String,
    #[ts(type = "number")]
    pub size_bytes: u64,
    /// When it was generated (from the file name, which the clock stamped).
    pub created_at: String,
}

/// A pending approval step, as the summary lists it.
#[derive(Debug, Clone, Serialize)]
pub struct PendingLine {
    pub number: String,
    pub title: String,
    pub amount: Decimal,
    pub currency: String,
    pub level_name: String,
    pub with_whom: String,
    pub due_at: Option<String>,
    pub overdue: bool,
}

/// Budget use of one department in one period and currency (its budgets summed).
#[derive(Debug, Clone, Serialize)]
pub struct BudgetLine {
    pub department: String,
    pub period: String,
    pub currency: String,
    pub budgeted: Decimal,
    /// reserved + committed + spent
    pub used: Decimal,
    pub percent_used: Option<Decimal>,
}

/// A dead outbox row.
#[derive(Debug, Clone, Serialize)]
pub struct DeadLine {
    pub target: String,
    pub operation: String,
    pub key: String,
    pub error: String,
}

/// What the daily summary says, before it is laid out.
#[derive(Debug, Clone, Serialize)]
pub struct DailySummary {
    pub company: String,
    pub time_zone: String,
    pub generated_at: DateTime<Utc>,
    pub pending: Vec<PendingLine>,
    pub sla: SlaFigures,
    pub budgets: Vec<BudgetLine>,
    pub dead_count: i64,
    pub dead: Vec<DeadLine>,
}

/// `reports/` next to the company file.
pub fn default_dir(company: &Path) -> PathBuf {
    company
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .join("reports")
}

fn stem(company: &Path) -> String {
    company
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "company".into())
}

/// Gathers the summary's figures as of the file's clock.
pub async fn daily_summary(file: &CompanyFile, session: &Session) -> Result<DailySummary> {
    session.require(Permission::JobsRun)?;
    let db = file.reader();
    let backend = db.get_database_backend();
    let now = file.clock().now();
    let company = hesabu_core::company::load(db).await?;

    let mut pending = Vec::new();
    for r in db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            "SELECT d.number, d.title, d.amount, d.currency, s.level_name, u.name AS with_whom, \
             s.due_at FROM approval_step s \
             JOIN approval_request r ON r.id = s.request_id \
             JOIN approval_document d ON d.id = r.document_id \
             JOIN app_user u ON u.id = s.acting_id \
             WHERE s.status = ? ORDER BY s.due_at IS NULL, s.due_at, d.number",
            ["pending".into()],
        ))
        .await?
    {
        let amount: String = r.try_get("", "amount")?;
        let due_at: Option<String> = r.try_get("", "due_at")?;
        let overdue = due_at
            .as_deref()
            .and_then(|t| parse_timestamp(t).ok())
            .is_some_and(|due| due < now);
        pending.push(PendingLine {
            number: r.try_get("", "number")?,
            title: r.try_get("", "title")?,
            amount: amount.parse().unwrap_or_default(),
            currency: r.try_get("", "currency")?,
            level_name: r.try_get("", "level_name")?,
            with_whom: r.try_get("", "with_whom")?,
            due_at,
            overdue,
        });
    }

    let sla = monitor::sla_compliance(db, now).await?;

    // Budget utilisation: every budget's balance, summed per department, period and currency.
    let report = hesabu_core::budgets::report::report(file, session, None).await?;
    let mut budgets: Vec<BudgetLine> = Vec::new();
    for row in report.rows {
        let used = row.balance.reserved + row.balance.committed + row.balance.spent;
        match budgets.iter_mut().find(|b| {
            b.department == row.department && b.period == row.period && b.currency == row.currency
        }) {
            Some(line) => {
                line.budgeted += row.balance.budgeted;
                line.used += used;
            }
            None => budgets.push(BudgetLine {
                department: row.department,
                period: row.period,
                currency: row.currency,
                budgeted: row.balance.budgeted,
                used,
                percent_used: None,
            }),
        }
    }
    for line in &mut budgets {
        line.percent_used = (!line.budgeted.is_zero()).then(|| {
            let mut p = (line.used * Decimal::ONE_HUNDRED / line.budgeted).round_dp(1);
            p.rescale(1);
            p
        });
    }
    budgets.sort_by(|a, b| {
        (&a.department, &a.period, &a.currency).cmp(&(&b.department, &b.period, &b.currency))
    });

    let dead_rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            "SELECT target, operation, idempotency_key, last_error_message FROM outbox \
             WHERE state = ? ORDER BY seq",
            [hesabu_store::outbox::OutboxState::Dead.into()],
        ))
        .await?;
    let dead_count = i64::try_from(dead_rows.len()).unwrap_or(i64::MAX);
    let mut dead = Vec::new();
    for r in dead_rows.iter().take(25) {
        dead.push(DeadLine {
            target: r.try_get("", "target")?,
            operation: r.try_get("", "operation")?,
            key: r.try_get("", "idempotency_key")?,
            error: r
                .try_get::<Option<String>>("", "last_error_message")?
                .unwrap_or_default(),
        });
    }

    Ok(DailySummary {
        company: company.legal_name,
        time_zone: company.time_zone,
        generated_at: now,
        pending,
        sla,
        budgets,
        dead_count,
        dead,
    })
}

/// `1234567.5` → `1,234,567.50`: two places, thousands grouped. From the Decimal, never a float.
pub fn format_amount(amount: Decimal) -> String {
    let mut rounded = amount.round_dp(2);
    rounded.rescale(2);
    let text = rounded.abs().to_string();
    let (int, frac) = text.split_once('.').unwrap_or((&text, "00"));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if rounded.is_sign_negative() && !rounded.is_zero() {
        "-"
    } else {
        ""
    };
    format!("{sign}{grouped}.{frac}")
}

/// Cuts `text` to `max` characters, marking the cut.
fn fit(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(max.saturating_sub(3)).collect();
        cut.push_str("...");
        cut
    }
}

/// The PDF's date: the summary's time in Nairobi, the zone the PDF writer labels its dates with
/// (the text of the report gives the company's own zone).
fn stamp(at: DateTime<Utc>) -> Stamp {
    let t = at.with_timezone(&chrono_tz::Africa::Nairobi);
    // Calendar fields are always in range (year within u16 for any date the clock gives).
    Stamp {
        year: u16::try_from(t.year()).unwrap_or(0),
        month: u8::try_from(t.month()).unwrap_or(1),
        day: u8::try_from(t.day()).unwrap_or(1),
        hour: u8::try_from(t.hour()).unwrap_or(0),
        minute: u8::try_from(t.minute()).unwrap_or(0),
        second: u8::try_from(t.second()).unwrap_or(0),
    }
}

/// Lays the summary out as an A4 PDF (`hesabu_receipts::report`, DejaVu Sans embedded).
pub fn render_daily_summary(summary: &DailySummary) -> Result<Vec<u8>> {
    let tz: chrono_tz::Tz = summary
        .time_zone
        .parse()
        .unwrap_or(chrono_tz::Africa::Nairobi);
    let local = summary.generated_at.with_timezone(&tz);
    let local_due = |t: &Option<String>| {
        t.as_deref()
            .and_then(|t| parse_timestamp(t).ok())
            .map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_else(|| "-".into())
    };
    let mut r = Report::new(
        format!("Daily summary – {}", summary.company),
        stamp(summary.generated_at),
    );
    r.title("Daily summary")
        .subtitle(&summary.company)
        .line(
            &format!(
                "Generated {} ({})",
                local.format("%Y-%m-%d %H:%M"),
                summary.time_zone
            ),
            Weight::Regular,
        )
        .space(4);

    // Pending approvals.
    let overdue = summary.pending.iter().filter(|p| p.overdue).count();
    r.heading(&format!(
        "Pending approvals: {} ({} overdue)",
        summary.pending.len(),
        overdue
    ));
    if summary.pending.is_empty() {
        r.line("Nothing is waiting for approval.", Weight::Regular);
    } else {
        r.table(
            [
                // Shares in millimetres of the 159 mm the columns share: a due time with its
                // mark, and most amounts, fit on one line; longer text wraps in its column.
                Column::left("Number", 22),
                Column::left("Title", 40),
                Column::right("Amount", 27),
                Column::left("Level", 16),
                Column::left("With", 22),
                Column::left("Due", 32),
            ],
            summary.pending.iter().map(|p| {
                [
                    fit(&p.number, 14),
                    fit(&p.title, 26),
                    format!("{} {}", p.currency, format_amount(p.amount)),
                    fit(&p.level_name, 12),
                    fit(&p.with_whom, 12),
                    format!(
                        "{}{}",
                        local_due(&p.due_at),
                        if p.overdue { " !" } else { "" }
                    ),
                ]
            }),
        );
        if overdue > 0 {
            r.note("! past its SLA due time");
        }
    }
    r.space(4);

    // SLA compliance.
    r.heading(&format!(
        "SLA compliance (last {} days)",
        summary.sla.window_days
    ));
    let sla = match summary.sla.percent {
        Some(p) => format!(
            "{p}% of approval steps decided within their SLA ({} of {}).",
            summary.sla.met, summary.sla.decided
        ),
        None => "No approval steps with an SLA were decided in this period.".into(),
    };
    r.line(&sla, Weight::Regular).space(4);

    // Budgets.
    r.heading("Budget utilisation per department");
    if summary.budgets.is_empty() {
        r.line("No budgets.", Weight::Regular);
    } else {
        r.table(
            [
                Column::left("Department", 30),
                Column::left("Period", 16),
                Column::right("Budgeted", 22),
                Column::right("Used", 22),
                Column::right("% used", 10),
            ],
            summary.budgets.iter().map(|b| {
                [
                    fit(&b.department, 26),
                    fit(&b.period, 12),
                    format!("{} {}", b.currency, format_amount(b.budgeted)),
                    format!("{} {}", b.currency, format_amount(b.used)),
                    b.percent_used
                        .map(|p| format!("{p}%"))
                        .unwrap_or_else(|| "-".into()),
                ]
            }),
        );
    }
    r.space(4);

    // Sync failures.
    r.heading(&format!(
        "Sync failures: {} dead outbox item(s)",
        summary.dead_count
    ));
    if summary.dead.is_empty() {
        r.line("Nothing was given up on.", Weight::Regular);
    } else {
        r.table(
            [
                Column::left("Target", 12),
                Column::left("Operation", 18),
                Column::left("Key", 22),
                Column::left("Last error", 40),
            ],
            summary.dead.iter().map(|d| {
                [
                    fit(&d.target, 12),
                    fit(&d.operation, 18),
                    fit(&d.key, 22),
                    fit(&d.error, 40),
                ]
            }),
        );
        let more = summary.dead_count - i64::try_from(summary.dead.len()).unwrap_or(0);
        if more > 0 {
            r.line(
                &format!("... and {more} more: see `hesabu sync dead`."),
                Weight::Regular,
            );
        }
    }
    // Only the bundled fonts or the PDF writer can fail here: a bug, reported as one.
    r.render().map_err(|e| Error::Internal(e.to_string()))
}

/// Generates the daily summary now and writes it to [`default_dir`]. Audited
/// (`report.create`), like a backup: the file leaves the company file's control.
pub async fn generate_daily_summary(file: &CompanyFile, session: &Session) -> Result<ReportInfo> {
    let summary = daily_summary(file, session).await?;
    let bytes = render_daily_summary(&summary)?;
    let dir = default_dir(file.path());
    std::fs::create_dir_all(&dir).map_err(|e| {
        Error::Unavailable(format!(
            "Could not create the reports folder {} ({e}). Check that you may write to the \
             company file's folder.",
            dir.display()
        ))
    })?;
    let prefix = format!(
        "{}-{DAILY_SUMMARY}-{}-",
        stem(file.path()),
        summary.generated_at.format("%Y%m%dT%H%M%S%3fZ")
    );
    // One more than the highest number used at this instant (a clock standing still in tests
    // or `--as-of` runs must not overwrite).
    let n = existing(&dir, &stem(file.path()))?
        .iter()
        .filter_map(|p| {
            file_name(p)
                .strip_prefix(&prefix)?
                .strip_suffix(".pdf")?
                .parse::<u32>()
                .ok()
        })
        .max()
        .unwrap_or(0)
        + 1;
    let path = dir.join(format!("{prefix}{n:03}.pdf"));
    std::fs::write(&path, &bytes).map_err(|e| {
        Error::Unavailable(format!(
            "Could not write the report {} ({e}). Check the disk space and that you may write \
             to the reports folder.",
            path.display()
        ))
    })?;
    let mut uow = file.begin(session).await?;
    uow.audit(AuditDraft {
        action: "report.create",
        entity_type: "report",
        entity_id: file_name(&path),
        before: None,
        after: Some(json!({
            "kind": "daily_summary",
            "path": path.display().to_string(),
            "pending_approvals": summary.pending.len(),
            "dead_items": summary.dead_count,
        })),
    })
    .await?;
    uow.commit().await?;
    info(&path)
}

/// The reports of this company file, newest first.
pub async fn list(file: &CompanyFile, session: &Session) -> Result<Vec<ReportInfo>> {
    session.require(Permission::ReportView)?;
    let mut paths = existing(&default_dir(file.path()), &stem(file.path()))?;
    paths.reverse();
    paths.iter().map(|p| info(p)).collect()
}

/// The reports folder (for "Show folder"); created if missing so it can be opened.
pub async fn folder(file: &CompanyFile, session: &Session) -> Result<PathBuf> {
    session.require(Permission::ReportView)?;
    let dir = default_dir(file.path());
    std::fs::create_dir_all(&dir).map_err(|e| {
        Error::Unavailable(format!(
            "Could not create the reports folder {} ({e}).",
            dir.display()
        ))
    })?;
    Ok(dir)
}

/// Full path of one report by id (for "Open" in the UI), refusing anything outside the folder.
pub async fn path_of(file: &CompanyFile, session: &Session, id: &str) -> Result<PathBuf> {
    session.require(Permission::ReportView)?;
    let dir = default_dir(file.path());
    let found = existing(&dir, &stem(file.path()))?
        .into_iter()
        .find(|p| file_name(p) == id.trim());
    found.ok_or_else(|| {
        Error::NotFound(format!(
            "There is no report '{id}' in {}. `hesabu reports list` shows them.",
            dir.display()
        ))
    })
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// This company's report files in `dir`, oldest first (name order).
fn existing(dir: &Path, stem: &str) -> Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(Error::Unavailable(format!(
                "Could not read the reports folder {} ({e}).",
                dir.display()
            )));
        }
    };
    let prefix = format!("{stem}-{DAILY_SUMMARY}-");
    let mut paths: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let name = file_name(p);
            name.starts_with(&prefix) && name.ends_with(".pdf") && p.is_file()
        })
        .collect();
    paths.sort();
    Ok(paths)
}

fn info(path: &Path) -> Result<ReportInfo> {
    let meta = std::fs::metadata(path)
        .map_err(|e| Error::Unavailable(format!("Could not read {} ({e}).", path.display())))?;
    let name = file_name(path);
    // <stem>-daily-summary-<YYYYMMDDTHHMMSSmmmZ>-<nnn>.pdf
    let created_at = name
        .strip_suffix(".pdf")
        .and_then(|n| n.rsplit_once('-'))
        .and_then(|(rest, _)| rest.rsplit_once('-'))
        .and_then(|(_, stamp)| NaiveDateTime::parse_from_str(stamp, "%Y%m%dT%H%M%S%3fZ").ok())
        .map(|t| format_timestamp(t.and_utc()))
        .unwrap_or_default();
    Ok(ReportInfo {
        id: name,
        kind: "daily_summary".into(),
        path: path.display().to_string(),
        size_bytes: meta.len(),
        created_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_grouped_with_two_places() {
        for (input, expected) in [
            ("0", "0.00"),
            ("5", "5.00"),
            ("999.5", "999.50"),
            ("1000", "1,000.00"),
            ("1234567.891", "1,234,567.89"),
            ("-45000", "-45,000.00"),
        ] {
            assert_eq!(format_amount(input.parse().unwrap()), expected, "{input}");
        }
    }

    /// The PDF's lines as `pdftotext -layout` extracts them (poppler-utils, installed by
    /// scripts/install-deps.sh), each with its whitespace runs made one space.
    fn pdf_lines(pdf: &[u8]) -> Vec<String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("summary.pdf");
        std::fs::write(&path, pdf).unwrap();
        let out = std::process::Command::new("pdftotext")
            .args(["-layout", path.to_str().unwrap(), "-"])
            .output()
            .expect("pdftotext runs (install poppler-utils: scripts/install-deps.sh)");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|l| !l.is_empty())
            .collect()
    }

    /// Checks that each needle is on a line of its own, in order.
    #[track_caller]
    fn expect_lines(lines: &[String], needles: &[&str]) {
        let mut from = 0;
        for needle in needles {
            match lines[from..].iter().position(|l| l.contains(needle)) {
                Some(at) => from += at + 1,
                None => panic!(
                    "'{needle}' missing from a line, or out of order, in:\n{}",
                    lines.join("\n")
                ),
            }
        }
    }

    fn summary() -> DailySummary {
        DailySummary {
            company: "Duka la Mama Wanjikũ Ltd".into(),
            time_zone: "Africa/Nairobi".into(),
            generated_at: "2026-07-11T06:00:00Z".parse().unwrap(),
            pending: vec![PendingLine {
                number: "PO-0042".into(),
                title: "Saruji ya Thika — crème".into(),
                amount: "75000".parse().unwrap(),
                currency: "KES".into(),
                level_name: "Finance".into(),
                with_whom: "Zoë Njoroge".into(),
                due_at: Some("2026-07-10T06:00:00.000Z".into()),
                overdue: true,
            }],
            sla: SlaFigures {
                window_days: 30,
                decided: 8,
                met: 6,
                percent: Some("75.0".parse().unwrap()),
            },
            budgets: vec![BudgetLine {
                department: "Operations".into(),
                period: "2026-07".into(),
                currency: "KES".into(),
                budgeted: "1234567.5".parse().unwrap(),
                used: "250000".parse().unwrap(),
                percent_used: Some("20.3".parse().unwrap()),
            }],
            dead_count: 27,
            dead: (0..25)
                .map(|i| DeadLine {
                    target: "etims".into(),
                    operation: "send_sale".into(),
                    key: format!("sale-{i:02}"),
                    error: "KRA refused the invoice".into(),
                })
                .collect(),
        }
    }

    #[test]
    fn the_summary_prints_its_sections_in_order_with_unicode() {
        let pdf = render_daily_summary(&summary()).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        expect_lines(
            &pdf_lines(&pdf),
            &[
                "Daily summary",
                "Duka la Mama Wanjikũ Ltd",
                "Generated 2026-07-11 09:00 (Africa/Nairobi)",
                "Pending approvals: 1 (1 overdue)",
                "Number Title Amount Level With Due",
                "PO-0042 Saruji ya Thika — crème KES 75,000.00 Finance Zoë Njoroge 2026-07-10 09:00 !",
                "! past its SLA due time",
                "SLA compliance (last 30 days)",
                "75.0% of approval steps decided within their SLA (6 of 8).",
                "Budget utilisation per department",
                "Department Period Budgeted Used % used",
                "Operations 2026-07 KES 1,234,567.50 KES 250,000.00 20.3%",
                "Sync failures: 27 dead outbox item(s)",
                "Target Operation Key Last error",
                "etims send_sale sale-00 KRA refused the invoice",
                "etims send_sale sale-24 KRA refused the invoice",
                "... and 2 more: see `hesabu sync dead`.",
                "Daily summary – Duka la Mama Wanjikũ Ltd · Page 1 of 1",
            ],
        );
    }

    #[test]
    fn an_empty_summary_says_so_in_each_section() {
        let mut empty = summary();
        empty.pending.clear();
        empty.sla.percent = None;
        empty.budgets.clear();
        empty.dead.clear();
        empty.dead_count = 0;
        let text = pdf_lines(&render_daily_summary(&empty).unwrap()).join(" ");
        for needle in [
            "Pending approvals: 0 (0 overdue) Nothing is waiting for approval.",
            "No approval steps with an SLA were decided in this period.",
            "Budget utilisation per department No budgets.",
            "Sync failures: 0 dead outbox item(s) Nothing was given up on.",
        ] {
            assert!(text.contains(needle), "'{needle}' not in:\n{text}");
        }
        assert!(!text.contains("past its SLA"), "{text}");
    }

    #[test]
    fn the_pdf_is_dated_with_the_summary_not_the_wall_clock() {
        let pdf = render_daily_summary(&summary()).unwrap();
        let raw = String::from_utf8_lossy(&pdf);
        assert!(
            raw.contains("D:20260711090000+03'00'"),
            "dated 09:00 Nairobi"
        );
        assert_eq!(pdf, render_daily_summary(&summary()).unwrap());
    }

    #[test]
    fn long_text_is_cut_with_a_mark() {
        assert_eq!(fit("short", 10), "short");
        assert_eq!(fit("a very long title indeed", 10), "a very ...");
    }
}
