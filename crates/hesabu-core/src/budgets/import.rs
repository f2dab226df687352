//! Budget import from CSV or XLSX: the seed's spreadsheet sync.
//!
//! The file is the source of truth for the budgets it holds: a row whose key (department,
//! period, category, project) is new creates a budget; a changed amount, currency, enforcement
//! or threshold updates it (an amount change is an `adjust` ledger entry, so the balance stays
//! explained by the ledger); an identical row leaves it alone.
//!
//! Archiving is explicit (issue 14: a header-only file once archived every budget, and a
//! HARD_BLOCK department then waved orders through as "no budget"). An active budget missing
//! from the file is archived (soft-deleted, history kept) only with
//! [`ImportOptions::archive_missing`]; without it the run says how many were left active. Even
//! then, a missing budget that still holds reserved or committed money refuses the whole import,
//! naming each such budget: releasing money is a decision, not a side effect of a spreadsheet.
//! Budgets made by phasing (`parent_id` set) are not the spreadsheet's and are never archived.
//! A file with a header and no budget rows is refused.
//!
//! All or nothing: one bad row and nothing is imported, unless `skip_invalid` is set, in which
//! case the good rows are imported and — so that a typo cannot archive a budget — nothing is
//! archived in that run. Every run, failed or not, leaves a `budget_sync_run` row with its
//! counts, duration (from the injected clock), per-row errors and warnings (float noise rounded,
//! cells starting like a formula, budgets left active). [`ImportOptions::dry_run`] is the
//! preview: the same checks and counts, nothing written and nothing recorded.
//!
//! Reading the file (size limits, encodings, formulas, float noise) is [`crate::tabular`]'s.
//! Columns (header row required, names in any order, case-insensitive):
//! `department,period,amount,currency,enforcement` and optionally
//! `auto_approve_threshold,category,project`.
//!
//! Progress: [`import_file_with_progress`] reports an [`ImportProgress`] at each stage and every
//! [`PROGRESS_EVERY`] rows, for the desktop's progress bar.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::period::FiscalPeriod;
use super::{
    BudgetStatus, Enforcement, ImportProgress, ImportRowError, ImportStage, NewBudget, SyncRunView,
    adjust_budgeted, fiscal_start_month, insert_new_budgets, new_budget_rows, show,
};
use crate::entities::{budget, budget_balance, budget_sync_run, department};
use crate::tabular::{self, Format, Roundings, RowIssue};
pub use crate::tabular::{RawRow, RawTable, read_csv_text};
use hesabu_store::audit::AuditDraft;
use hesabu_store::auth::Session;
use hesabu_store::columns::DecimalText;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::{Error, Result};
use hesabu_store::limits;
use hesabu_store::money::{Currency, Money};
use hesabu_store::permissions::Permission;

pub const REQUIRED_COLUMNS: [&str; 5] =
    ["department", "period", "amount", "currency", "enforcement"];
pub const OPTIONAL_COLUMNS: [&str; 3] = ["auto_approve_threshold", "category", "project"];

/// At most this many row errors are kept per run (a 100k-row file of garbage should not make a
/// 100k-entry error list).
const MAX_ERRORS: usize = 1_000;

/// Budgets named one by one in a message about missing budgets; the rest are counted.
const MAX_NAMED: usize = 10;

/// Characters kept of one stored message: every message is short already (cells over their
/// limit are named, never quoted); this is the guard that keeps the history small regardless.
const MAX_STORED_MESSAGE: usize = 1_000;

/// A progress report is sent every this many rows (validated, or written).
pub const PROGRESS_EVERY: usize = 500;

/// Receives import progress. Called on the importing task, between database statements: keep
/// it quick (the desktop only emits a window event).
pub type Progress<'a> = &'a (dyn Fn(ImportProgress) + Send + Sync);

fn report(progress: Option<Progress<'_>>, stage: ImportStage, done: usize, total: usize) {
    if let Some(p) = progress {
        p(ImportProgress {
            stage,
            done: i64::try_from(done).unwrap_or(i64::MAX),
            total: i64::try_from(total).unwrap_or(i64::MAX),
        });
    }
}

/// How an import runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// Import the good rows and report the bad ones instead of importing nothing (nothing is
    /// archived in such a run).
    pub skip_invalid: bool,
    /// Archive the active budgets the file leaves out. Refused, whole, when one of them still
    /// holds reserved or committed money.
    pub archive_missing: bool,
    /// A preview: everything is checked and counted, nothing is written or recorded. The run
    /// returned has an empty `id` (it is in no history).
    pub dry_run: bool,
}

impl From<RowIssue> for ImportRowError {
    fn from(issue: RowIssue) -> Self {
        ImportRowError {
            line: issue.line,
            message: issue.message,
        }
    }
}

/// Which column holds which field.
#[derive(Debug, Clone, Copy)]
struct Columns {
    department: usize,
    period: usize,
    amount: usize,
    currency: usize,
    enforcement: usize,
    threshold: Option<usize>,
    category: Option<usize>,
    project: Option<usize>,
}

fn columns(header: &[String]) -> std::result::Result<Columns, String> {
    let expected = format!(
        "The header row must name the columns {} and optionally {}",
        REQUIRED_COLUMNS.join(","),
        OPTIONAL_COLUMNS.join(",")
    );
    let names: Vec<String> = header
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_lowercase())
        .collect();
    for (i, name) in names.iter().enumerate() {
        if !REQUIRED_COLUMNS.contains(&name.as_str()) && !OPTIONAL_COLUMNS.contains(&name.as_str())
        {
            return Err(format!(
                "{expected}; column {} is '{}', which is not one of them.",
                i + 1,
                header[i]
            ));
        }
        if names[..i].contains(name) {
            return Err(format!("{expected}; '{name}' appears twice."));
        }
    }
    let find = |n: &str| names.iter().position(|h| h == n);
    let need = |n: &str| find(n).ok_or_else(|| format!("{expected}; '{n}' is missing."));
    Ok(Columns {
        department: need("department")?,
        period: need("period")?,
        amount: need("amount")?,
        currency: need("currency")?,
        enforcement: need("enforcement")?,
        threshold: find("auto_approve_threshold"),
        category: find("category"),
        project: find("project"),
    })
}

/// A row that passed validation.
#[derive(Debug, Clone)]
struct Valid {
    line: i64,
    department_id: String,
    period: FiscalPeriod,
    new: NewBudget,
    category: String,
    project: String,
}

type Key = (String, String, String, String);

fn key_of(department_id: &str, period: &str, category: &str, project: &str) -> Key {
    (
        department_id.to_owned(),
        period.to_owned(),
        category.to_lowercase(),
        project.to_lowercase(),
    )
}

fn validate(
    row: &RawRow,
    cols: &Columns,
    departments: &HashMap<String, (String, String)>,
    fiscal: u32,
    roundings: &mut Roundings,
) -> std::result::Result<Valid, String> {
    let cell = |i: usize| row.cell(i);
    let opt = |i: Option<usize>| i.map_or("", cell);
    // Text over its field's limit is refused first, so no message below quotes a long cell.
    for (name, column, max) in [
        ("department", Some(cols.department), limits::NAME),
        ("period", Some(cols.period), limits::LABEL),
        ("amount", Some(cols.amount), limits::LABEL),
        ("currency", Some(cols.currency), limits::LABEL),
        ("enforcement", Some(cols.enforcement), limits::LABEL),
        ("auto_approve_threshold", cols.threshold, limits::LABEL),
        ("category", cols.category, limits::LABEL),
        ("project", cols.project, limits::LABEL),
    ] {
        limits::check_text(name, opt(column), max).map_err(|e| e.to_string())?;
    }
    if row.dates.contains(&cols.period) {
        let date = cell(cols.period);
        let like = date.get(..7).filter(|m| m.len() == 7).unwrap_or("2025-03");
        return Err(format!(
            "the period cell is a date ({date}); type the period as text like {like} (format \
             the column as Text, or start the cell with an apostrophe: '{like})"
        ));
    }
    let dept_name = cell(cols.department);
    if dept_name.is_empty() {
        return Err("the department is empty: write a department name such as Operations".into());
    }
    let (department_id, _) = departments.get(&dept_name.to_lowercase()).ok_or_else(|| {
        let mut known: Vec<&str> = departments.values().map(|(_, n)| n.as_str()).collect();
        known.sort_unstable();
        format!(
            "there is no department '{dept_name}': use one of {} or add it first",
            limits::shorten(&known.join(", "), 300)
        )
    })?;
    let period = FiscalPeriod::parse(cell(cols.period), fiscal).map_err(|e| e.to_string())?;
    let currency: Currency = cell(cols.currency)
        .parse()
        .map_err(|e: Error| e.to_string())?;
    let places = tabular::minor_unit(currency.code());
    let amount_text = roundings.amount(row, cols.amount, "amount", places);
    let amount = Money::parse(&amount_text, currency.clone())
        .map_err(|e| amount_error("amount", &amount_text, &e, "12500.00 (no currency sign)"))?
        .amount;
    if amount < Decimal::ZERO {
        return Err(format!(
            "amount {amount_text} is negative: a budget is zero or more"
        ));
    }
    let enforcement = Enforcement::parse(cell(cols.enforcement)).map_err(|e| e.to_string())?;
    let threshold = match cols.threshold {
        Some(column) if !cell(column).is_empty() => {
            let text = roundings.amount(row, column, "auto_approve_threshold", places);
            let t = Money::parse(&text, currency.clone())
                .map_err(|e| {
                    amount_error(
                        "auto_approve_threshold",
                        &text,
                        &e,
                        "5000.00, or leave it empty",
                    )
                })?
                .amount;
            if t < Decimal::ZERO {
                return Err("auto_approve_threshold cannot be negative".into());
            }
            Some(t.normalize())
        }
        _ => None,
    };
    let category = opt(cols.category).to_owned();
    let project = opt(cols.project).to_owned();
    Ok(Valid {
        line: row.line,
        department_id: department_id.clone(),
        period: period.clone(),
        new: NewBudget {
            department: dept_name.to_owned(),
            period: period.label,
            amount: amount.normalize(),
            currency,
            enforcement,
            auto_approve_threshold: threshold,
            category: Some(category.clone()),
            project: Some(project.clone()),
        },
        category,
        project,
    })
}

/// What is wrong with an amount cell, in the import's words.
fn amount_error(column: &str, text: &str, e: &Error, like: &str) -> String {
    let why = e.to_string();
    if why.contains("commas only group thousands") {
        format!(
            "{column} '{text}' is not an amount: write 1.5 or 1,500 — commas only group thousands"
        )
    } else if why.contains("decimal places") {
        format!(
            "{column} '{text}' has more than 4 decimal places: round it to the cent, like {like}"
        )
    } else if why.contains("largest amount") {
        format!("{column}: {why}")
    } else {
        format!("{column} '{text}' is not a number: write it like {like}")
    }
}

/// Imports a CSV (`.csv`) or XLSX (`.xlsx`, `.xls`, `.ods`) file. A failed run is returned as
/// `Ok` with `status: "failed"` and its errors, after recording it in the sync history; the
/// caller decides how loudly to fail. A file that cannot be read at all (too large, UTF-16, not
/// a workbook) is an `InvalidInput` error and leaves no run.
pub async fn import_file(
    file: &CompanyFile,
    session: &Session,
    path: &Path,
    options: ImportOptions,
) -> Result<SyncRunView> {
    import_file_with_progress(file, session, path, options, None).await
}

/// [`import_file`], reporting progress to `progress`.
pub async fn import_file_with_progress(
    file: &CompanyFile,
    session: &Session,
    path: &Path,
    options: ImportOptions,
    progress: Option<Progress<'_>>,
) -> Result<SyncRunView> {
    session.require(Permission::BudgetManage)?;
    let Some(format) = Format::of(path) else {
        return Err(Error::invalid(format!(
            "{} is neither a .csv nor an .xlsx file: save the budget sheet as one of those.",
            path.display()
        )));
    };
    if !path.is_file() {
        return Err(Error::NotFound(format!(
            "There is no file at {}. Check the path.",
            path.display()
        )));
    }
    let started = file.clock().now();
    report(progress, ImportStage::Reading, 0, 0);
    let table = tabular::read_file(path, format)?;
    let source = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let format = if format == Format::Csv { "csv" } else { "xlsx" };
    import_table_with_progress(
        file,
        session,
        table,
        &limits::shorten(&source, limits::NAME),
        format,
        options,
        started,
        progress,
    )
    .await
}

/// The import itself, from rows already read.
pub async fn import_table(
    file: &CompanyFile,
    session: &Session,
    table: RawTable,
    source: &str,
    format: &str,
    options: ImportOptions,
    started: chrono::DateTime<chrono::Utc>,
) -> Result<SyncRunView> {
    import_table_with_progress(file, session, table, source, format, options, started, None).await
}

/// [`import_table`], reporting progress to `progress`.
#[allow(clippy::too_many_arguments)]
pub async fn import_table_with_progress(
    file: &CompanyFile,
    session: &Session,
    table: RawTable,
    source: &str,
    format: &str,
    options: ImportOptions,
    started: chrono::DateTime<chrono::Utc>,
    progress: Option<Progress<'_>>,
) -> Result<SyncRunView> {
    let run = import_rows(
        file,
        session,
        table,
        Run {
            source,
            format,
            options,
            started,
        },
        progress,
    )
    .await?;
    let total = usize::try_from(run.rows_read).unwrap_or(0);
    report(progress, ImportStage::Done, total, total);
    Ok(run)
}

/// What a run is, apart from its rows.
#[derive(Clone, Copy)]
struct Run<'a> {
    source: &'a str,
    format: &'a str,
    options: ImportOptions,
    started: chrono::DateTime<chrono::Utc>,
}

/// A run's counts and messages, as recorded.
#[derive(Default)]
struct Outcome {
    rows_read: i64,
    created: i64,
    updated: i64,
    unchanged: i64,
    soft_deleted: i64,
    skipped: i64,
    errors: Vec<ImportRowError>,
    warnings: Vec<ImportRowError>,
    /// The active budgets the file leaves out, named (`SyncRunView::missing_from_file`).
    missing: Vec<String>,
}

impl Outcome {
    fn error(&mut self, line: i64, message: String) {
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(ImportRowError { line, message });
        }
    }
}

async fn import_rows(
    file: &CompanyFile,
    session: &Session,
    table: RawTable,
    run: Run<'_>,
    progress: Option<Progress<'_>>,
) -> Result<SyncRunView> {
    session.require(Permission::BudgetManage)?;
    let mut uow = file.begin(session).await?;
    let unreadable = i64::try_from(table.unreadable).unwrap_or(i64::MAX);
    let mut out = Outcome {
        rows_read: i64::try_from(table.rows.len())
            .unwrap_or(i64::MAX)
            .saturating_add(unreadable),
        skipped: unreadable,
        errors: table.errors.into_iter().map(Into::into).collect(),
        warnings: table.warnings.into_iter().map(Into::into).collect(),
        ..Outcome::default()
    };
    let cols = if table.header.iter().all(|h| h.trim().is_empty()) {
        out.error(
            1,
            format!(
                "the file is empty or its first row is blank: put the header row {} on line 1 \
                 and one budget per row below it",
                REQUIRED_COLUMNS.join(",")
            ),
        );
        None
    } else {
        match columns(&table.header) {
            Ok(c) => Some(c),
            Err(message) => {
                out.error(1, limits::shorten(&message, 400));
                None
            }
        }
    };
    if cols.is_some() && table.rows.is_empty() && table.unreadable == 0 {
        // A header alone once archived every budget; now it is refused.
        out.error(
            1,
            "The file has a header but no budget rows: put one budget per row below the header. \
             Nothing was imported or archived."
                .into(),
        );
    }
    let fiscal = fiscal_start_month(uow.db()).await?;
    let department_rows = department::Entity::find().all(uow.db()).await?;
    let department_names: HashMap<String, String> = department_rows
        .iter()
        .map(|d| (d.id.clone(), d.name.clone()))
        .collect();
    let departments: HashMap<String, (String, String)> = department_rows
        .into_iter()
        .map(|d| (d.name_key, (d.id, d.name)))
        .collect();

    let mut valid: Vec<Valid> = Vec::with_capacity(table.rows.len());
    let mut seen: HashMap<Key, i64> = HashMap::with_capacity(table.rows.len());
    let mut roundings = Roundings::default();
    let total_rows = table.rows.len();
    report(progress, ImportStage::Validating, 0, total_rows);
    if let Some(cols) = cols {
        for (i, row) in table.rows.iter().enumerate() {
            if i > 0 && i.is_multiple_of(PROGRESS_EVERY) {
                report(progress, ImportStage::Validating, i, total_rows);
            }
            let result = validate(row, &cols, &departments, fiscal, &mut roundings).and_then(|v| {
                let key = key_of(&v.department_id, &v.period.label, &v.category, &v.project);
                match seen.get(&key) {
                    Some(first) => Err(format!(
                        "duplicate of line {first}: the same department, period, category \
                             and project appear twice; keep one row"
                    )),
                    None => {
                        seen.insert(key, v.line);
                        Ok(v)
                    }
                }
            });
            match result {
                Ok(v) => valid.push(v),
                Err(message) => {
                    out.skipped += 1;
                    out.error(row.line, message);
                }
            }
        }
    }
    if let Some(summary) = roundings.summary() {
        out.warnings.insert(0, summary.into());
    }
    if out.skipped > 0 && out.errors.len() >= MAX_ERRORS {
        out.errors.push(ImportRowError {
            line: 0,
            message: format!(
                "{} rows could not be used; the first {MAX_ERRORS} are listed",
                out.skipped
            ),
        });
    }

    report(progress, ImportStage::Validating, total_rows, total_rows);
    if cols.is_none() || (!out.errors.is_empty() && !run.options.skip_invalid) {
        // Nothing of the import is kept: roll back and record the failed run on its own.
        drop(uow);
        return record_failed_run(file, session, run, out).await;
    }

    // Existing budgets by key.
    let existing = budget::Entity::find()
        .order_by_asc(budget::Column::Id)
        .all(uow.db())
        .await?;
    let entries: HashMap<String, i64> = budget_balance::Entity::find()
        .select_only()
        .column(budget_balance::Column::BudgetId)
        .column(budget_balance::Column::Entries)
        .into_tuple::<(String, i64)>()
        .all(uow.db())
        .await?
        .into_iter()
        .collect();
    let mut by_key: HashMap<Key, budget::Model> = existing
        .into_iter()
        .map(|b| {
            (
                key_of(&b.department_id, &b.period, &b.category, &b.project),
                b,
            )
        })
        .collect();

    let mut to_create = Vec::new();
    // Rows are "written" as they are compared (updates, unchanged) or inserted (creates).
    let total_valid = valid.len();
    let mut written = 0_usize;
    report(progress, ImportStage::Writing, 0, total_valid);
    for v in &valid {
        let key = key_of(&v.department_id, &v.period.label, &v.category, &v.project);
        let Some(current) = by_key.remove(&key) else {
            to_create.push(new_budget_rows(
                &uow,
                &v.department_id,
                &v.period,
                v.new.amount,
                &v.new,
                &v.category,
                &v.project,
                None,
            ));
            out.created += 1;
            continue;
        };
        let threshold = v.new.auto_approve_threshold.map(|t| t.normalize());
        let current_threshold = current.auto_approve_threshold.map(|t| t.get().normalize());
        let same = current.amount.get() == v.new.amount
            && current.currency == v.new.currency.code()
            && current.enforcement == v.new.enforcement.as_str()
            && current_threshold == threshold
            && current.status == BudgetStatus::Active;
        written += 1;
        if written.is_multiple_of(PROGRESS_EVERY) {
            report(progress, ImportStage::Writing, written, total_valid);
        }
        if same {
            out.unchanged += 1;
            continue;
        }
        if current.currency != v.new.currency.code() && entries.get(&current.id) > Some(&1) {
            // Money is already reserved in the old currency; converting it is not an import's job.
            out.skipped += 1;
            out.error(
                v.line,
                format!(
                    "the currency cannot change from {} to {} once money is reserved on this \
                     budget; keep {}",
                    current.currency,
                    v.new.currency.code(),
                    current.currency
                ),
            );
            continue;
        }
        if current.amount.get() != v.new.amount {
            adjust_budgeted(&uow, &current.id, v.new.amount, "import").await?;
        }
        let mut row = current.into_active_model();
        row.amount = Set(v.new.amount.into());
        row.currency = Set(v.new.currency.code().to_owned());
        row.enforcement = Set(v.new.enforcement.as_str().to_owned());
        row.auto_approve_threshold = Set(threshold.map(DecimalText::from));
        row.status = Set(BudgetStatus::Active);
        row.updated_at = Set(uow.now_text());
        row.update(uow.db()).await?;
        out.updated += 1;
    }
    if !out.errors.is_empty() && !run.options.skip_invalid {
        // A currency clash found while comparing: same all-or-nothing rule.
        drop(uow);
        return record_failed_run(file, session, run, out).await;
    }
    for chunk in to_create.chunks(PROGRESS_EVERY) {
        insert_new_budgets(&uow, chunk).await?;
        written += chunk.len();
        report(progress, ImportStage::Writing, written, total_valid);
    }

    // The active budgets the file leaves out, in the order people read them.
    let mut missing: Vec<budget::Model> = by_key
        .into_values()
        .filter(|b| b.status == BudgetStatus::Active && b.parent_id.is_none())
        .collect();
    missing.sort_by(|a, b| {
        let name = |m: &budget::Model| department_names.get(&m.department_id).cloned();
        (name(a), &a.period, &a.category, &a.project).cmp(&(
            name(b),
            &b.period,
            &b.category,
            &b.project,
        ))
    });
    let label = |b: &budget::Model| {
        let department = department_names
            .get(&b.department_id)
            .map_or(b.department_id.as_str(), String::as_str);
        let extra: Vec<&str> = [b.category.as_str(), b.project.as_str()]
            .into_iter()
            .filter(|t| !t.is_empty())
            .collect();
        if extra.is_empty() {
            format!("{department} {}", b.period)
        } else {
            format!("{department} {} {}", b.period, extra.join(" / "))
        }
    };
    // Named in full on the run (the preview lists them all; warnings name the first ten).
    out.missing = missing.iter().map(&label).collect();
    if missing.is_empty() {
        // Nothing to archive.
    } else if out.skipped > 0 {
        out.warnings.push(ImportRowError {
            line: 0,
            message: format!(
                "{} rows were skipped, so budgets missing from the file were not archived in \
                 this run; fix the rows and import again",
                out.skipped
            ),
        });
    } else if !run.options.archive_missing {
        out.warnings.push(ImportRowError {
            line: 0,
            message: format!(
                "{} active {} not in the file and {} active: {}. To archive what the file leaves \
                 out, import again with --archive-missing (in the desktop: \"Archive budgets \
                 missing from the file\").",
                missing.len(),
                if missing.len() == 1 {
                    "budget is"
                } else {
                    "budgets are"
                },
                if missing.len() == 1 { "stays" } else { "stay" },
                named(missing.iter().map(&label)),
            ),
        });
    } else {
        let ids: HashSet<&str> = missing.iter().map(|b| b.id.as_str()).collect();
        let balances: HashMap<String, budget_balance::Model> = budget_balance::Entity::find()
            .all(uow.db())
            .await?
            .into_iter()
            .filter(|b| ids.contains(b.budget_id.as_str()))
            .map(|b| (b.budget_id.clone(), b))
            .collect();
        let holding: Vec<String> = missing
            .iter()
            .filter_map(|b| {
                let balance = balances.get(&b.id)?;
                let (reserved, committed) = (balance.reserved.get(), balance.committed.get());
                let held: Vec<String> = [(reserved, "reserved"), (committed, "committed")]
                    .into_iter()
                    .filter(|(a, _)| !a.is_zero())
                    .map(|(a, what)| format!("{} {what}", show(a, &b.currency)))
                    .collect();
                (!held.is_empty()).then(|| format!("{} ({})", label(b), held.join(", ")))
            })
            .collect();
        if holding.is_empty() {
            for b in missing {
                let mut row = b.into_active_model();
                row.status = Set(BudgetStatus::Archived);
                row.updated_at = Set(uow.now_text());
                row.update(uow.db()).await?;
                out.soft_deleted += 1;
            }
        } else {
            out.error(
                0,
                format!(
                    "{} {} missing from the file still {} money, so nothing was imported or \
                     archived: {}. Put {} back in the file, or release {} money first.",
                    holding.len(),
                    if holding.len() == 1 {
                        "budget"
                    } else {
                        "budgets"
                    },
                    if holding.len() == 1 { "holds" } else { "hold" },
                    named(holding.into_iter()),
                    if missing.len() == 1 { "it" } else { "them" },
                    if missing.len() == 1 { "its" } else { "their" },
                ),
            );
            drop(uow);
            return record_failed_run(file, session, run, out).await;
        }
    }
    let status = if out.skipped == 0 { "ok" } else { "partial" };
    if run.options.dry_run {
        drop(uow); // a preview keeps nothing
        return preview_view(file, session, run, status, out);
    }
    let view = record_run(&uow, file, run, status, out).await?;
    audit_run(&mut uow, &view).await?;
    uow.commit().await?;
    Ok(view)
}

/// The first [`MAX_NAMED`] names, and how many more.
fn named(names: impl Iterator<Item = String>) -> String {
    let names: Vec<String> = names.collect();
    let more = names.len().saturating_sub(MAX_NAMED);
    let mut text = names
        .into_iter()
        .take(MAX_NAMED)
        .collect::<Vec<_>>()
        .join(", ");
    if more > 0 {
        text.push_str(&format!(" and {more} more"));
    }
    text
}

/// Records a run that kept nothing (all-or-nothing and a row failed) in a unit of work of its
/// own: the import's unit of work has been dropped, so its changes are rolled back. A preview
/// records nothing.
async fn record_failed_run(
    file: &CompanyFile,
    session: &Session,
    run: Run<'_>,
    mut out: Outcome,
) -> Result<SyncRunView> {
    // A failed run created, updated and archived nothing, whatever it had counted.
    out.created = 0;
    out.updated = 0;
    out.unchanged = 0;
    out.soft_deleted = 0;
    if run.options.dry_run {
        return preview_view(file, session, run, "failed", out);
    }
    let mut uow = file.begin(session).await?;
    let view = record_run(&uow, file, run, "failed", out).await?;
    audit_run(&mut uow, &view).await?;
    uow.commit().await?;
    Ok(view)
}

/// One message as kept in `budget_sync_run.errors_json`: the run's errors, then its warnings
/// marked `warning` (one column for both; runs recorded before warnings existed have none).
#[derive(Serialize, Deserialize)]
struct Stored {
    line: i64,
    message: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    warning: bool,
}

fn model_of(
    run: Run<'_>,
    finished: chrono::DateTime<chrono::Utc>,
    id: String,
    run_no: i64,
    actor_email: String,
    status: &str,
    out: Outcome,
) -> Result<budget_sync_run::Model> {
    let stored: Vec<Stored> = out
        .errors
        .into_iter()
        .map(|e| (e, false))
        .chain(out.warnings.into_iter().map(|w| (w, true)))
        .map(|(e, warning)| Stored {
            line: e.line,
            message: limits::shorten(&e.message, MAX_STORED_MESSAGE),
            warning,
        })
        .collect();
    Ok(budget_sync_run::Model {
        id,
        run_no,
        started_at: hesabu_store::clock::format_timestamp(run.started),
        finished_at: hesabu_store::clock::format_timestamp(finished),
        duration_ms: (finished - run.started).num_milliseconds().max(0),
        source: run.source.to_owned(),
        format: run.format.to_owned(),
        status: status.to_owned(),
        rows_read: out.rows_read,
        created: out.created,
        updated: out.updated,
        unchanged: out.unchanged,
        soft_deleted: out.soft_deleted,
        skipped: out.skipped,
        errors_json: serde_json::to_string(&stored)
            .map_err(|e| Error::Internal(format!("serialising import errors: {e}")))?,
        actor_email,
    })
}

/// What a preview would have recorded, without recording it (no id: it is in no history).
fn preview_view(
    file: &CompanyFile,
    session: &Session,
    run: Run<'_>,
    status: &str,
    mut out: Outcome,
) -> Result<SyncRunView> {
    let missing = std::mem::take(&mut out.missing);
    let model = model_of(
        run,
        file.clock().now(),
        String::new(),
        0,
        session.email().to_owned(),
        status,
        out,
    )?;
    Ok(SyncRunView {
        missing_from_file: missing,
        ..run_view(model)?
    })
}

async fn record_run(
    uow: &hesabu_store::uow::UnitOfWork,
    file: &CompanyFile,
    run: Run<'_>,
    status: &str,
    mut out: Outcome,
) -> Result<SyncRunView> {
    let missing = std::mem::take(&mut out.missing);
    let finished = file.clock().now();
    // Numbered under the write lock: ids alone do not order runs made in the same millisecond.
    let last: Option<i64> = budget_sync_run::Entity::find()
        .select_only()
        .column_as(budget_sync_run::Column::RunNo.max(), "last")
        .into_tuple::<Option<i64>>()
        .one(uow.db())
        .await?
        .flatten();
    let model = model_of(
        run,
        finished,
        uow.new_id(),
        last.unwrap_or(0) + 1,
        uow.actor().email.clone(),
        status,
        out,
    )?;
    budget_sync_run::ActiveModel::from(model.clone())
        .insert(uow.db())
        .await?;
    Ok(SyncRunView {
        missing_from_file: missing,
        ..run_view(model)?
    })
}

async fn audit_run(uow: &mut hesabu_store::uow::UnitOfWork, run: &SyncRunView) -> Result<()> {
    // One summary entry per run: the per-budget detail is in the ledger (an amount change is an
    // `adjust` entry), and 100k audit entries for one import would bury everything else.
    uow.audit(AuditDraft {
        action: "budget.import",
        entity_type: "budget_sync_run",
        entity_id: run.id.clone(),
        before: None,
        after: Some(json!({
            "source": run.source,
            "status": run.status,
            "created": run.created,
            "updated": run.updated,
            "unchanged": run.unchanged,
            "soft_deleted": run.soft_deleted,
            "skipped": run.skipped,
            "errors": run.errors.len(),
            "warnings": run.warnings.len(),
        })),
    })
    .await
}

fn run_view(m: budget_sync_run::Model) -> Result<SyncRunView> {
    let stored: Vec<Stored> = serde_json::from_str(&m.errors_json)
        .map_err(|e| Error::Internal(format!("stored import errors do not parse: {e}")))?;
    let (mut errors, mut warnings) = (Vec::new(), Vec::new());
    for s in stored {
        let message = ImportRowError {
            line: s.line,
            message: s.message,
        };
        if s.warning {
            warnings.push(message);
        } else {
            errors.push(message);
        }
    }
    Ok(SyncRunView {
        id: m.id,
        started_at: m.started_at,
        finished_at: m.finished_at,
        duration_ms: m.duration_ms,
        source: m.source,
        format: m.format,
        status: m.status,
        rows_read: m.rows_read,
        created: m.created,
        updated: m.updated,
        unchanged: m.unchanged,
        soft_deleted: m.soft_deleted,
        skipped: m.skipped,
        errors,
        warnings,
        missing_from_file: Vec::new(),
        actor_email: m.actor_email,
    })
}

/// The import history, newest first.
pub async fn sync_history(
    file: &CompanyFile,
    session: &Session,
    limit: u64,
) -> Result<Vec<SyncRunView>> {
    session.require(Permission::BudgetView)?;
    budget_sync_run::Entity::find()
        .order_by_desc(budget_sync_run::Column::RunNo)
        .limit(limit)
        .all(file.reader())
        .await?
        .into_iter()
        .map(run_view)
        .collect()
}

/// The errors (or warnings) of a run as one message for people: the first few, and how many
/// more. A message about the whole file (line 0) has no line number.
pub fn describe_errors(errors: &[ImportRowError]) -> String {
    let mut lines: Vec<String> = errors
        .iter()
        .take(20)
        .map(|e| {
            if e.line == 0 {
                e.message.clone()
            } else {
                format!("line {}: {}", e.line, e.message)
            }
        })
        .collect();
    if errors.len() > 20 {
        lines.push(format!("… and {} more", errors.len() - 20));
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(names: &str) -> Vec<String> {
        names.split(',').map(str::to_owned).collect()
    }

    #[test]
    fn headers_need_the_five_columns_and_nothing_unknown() {
        assert!(columns(&header("department,period,amount,currency,enforcement")).is_ok());
        let c = columns(&header(
            "Department,PERIOD,amount,currency,enforcement,project,category,auto_approve_threshold",
        ))
        .unwrap();
        assert_eq!(
            (c.project, c.category, c.threshold),
            (Some(5), Some(6), Some(7))
        );
        let missing = columns(&header("department,period,amount,currency")).unwrap_err();
        assert!(missing.contains("'enforcement' is missing"), "{missing}");
        let unknown = columns(&header("dept,period,amount,currency,enforcement")).unwrap_err();
        assert!(unknown.contains("'dept'"), "{unknown}");
        let twice = columns(&header(
            "department,period,amount,currency,enforcement,amount",
        ))
        .unwrap_err();
        assert!(twice.contains("twice"), "{twice}");
    }
}
