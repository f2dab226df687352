//! Budget import from CSV or XLSX: the seed's spreadsheet sync.
//!
//! The file is the source of truth for the budgets it could contain: a row whose key
//! (department, period, category, project) is new creates a budget; a changed amount, currency,
//! enforcement or threshold updates it (an amount change is an `adjust` ledger entry, so the
//! balance stays explained by the ledger); an identical row leaves it alone; an active budget
//! missing from the file is soft-deleted (archived, history kept). Budgets made by phasing
//! (`parent_id` set) are not the spreadsheet's and are never archived by an import.
//!
//! All or nothing: one bad row and nothing is imported, unless `skip_invalid` is set, in which
//! case the good rows are imported and — so that a typo cannot archive a budget — nothing is
//! soft-deleted in that run. Every run, failed or not, leaves a `budget_sync_run` row with its
//! counts, duration (from the injected clock) and per-row errors.
//!
//! Columns (header row required, names in any order, case-insensitive):
//! `department,period,amount,currency,enforcement` and optionally
//! `auto_approve_threshold,category,project`.
//!
//! Progress: [`import_file_with_progress`] reports an [`ImportProgress`] at each stage and every
//! [`PROGRESS_EVERY`] rows, for the desktop's progress bar.

use std::collections::HashMap;
use std::path::Path;

use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryOrder, QuerySelect, Set,
};
use serde_json::json;

use super::period::FiscalPeriod;
use super::{
    BudgetStatus, Enforcement, ImportProgress, ImportRowError, ImportStage, NewBudget, SyncRunView,
    adjust_budgeted, fiscal_start_month, insert_new_budgets, new_budget_rows,
};
use crate::entities::{budget, budget_balance, budget_sync_run, department};
use hesabu_store::audit::AuditDraft;
use hesabu_store::auth::Session;
use hesabu_store::columns::DecimalText;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::{Error, Result};
use hesabu_store::money::{Currency, Money};
use hesabu_store::permissions::Permission;

pub const REQUIRED_COLUMNS: [&str; 5] =
    ["department", "period", "amount", "currency", "enforcement"];
pub const OPTIONAL_COLUMNS: [&str; 3] = ["auto_approve_threshold", "category", "project"];

/// At most this many row errors are kept per run (a 100k-row file of garbage should not make a
/// 100k-entry error list).
const MAX_ERRORS: usize = 1_000;

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

/// One data row as text, with its line number (the header is line 1).
#[derive(Debug, Clone)]
pub struct RawRow {
    pub line: i64,
    pub cells: Vec<String>,
    /// Columns whose cell was typed as a date in the spreadsheet (XLSX only). Excel turns a
    /// period typed as `2025-03` into a date, which the import then explains.
    pub dates: Vec<usize>,
}

/// A file read into text rows, before validation.
#[derive(Debug, Clone)]
pub struct RawTable {
    pub header: Vec<String>,
    pub rows: Vec<RawRow>,
    /// Rows that could not even be read (bad encoding).
    pub errors: Vec<ImportRowError>,
}

fn file_error(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::invalid(format!("Could not read {}: {e}", path.display()))
}

/// Reads a CSV file.
pub fn read_csv(path: &Path) -> Result<RawTable> {
    let file = std::fs::File::open(path).map_err(|e| file_error(path, e))?;
    read_csv_from(std::io::BufReader::new(file)).map_err(|e| file_error(path, e))
}

/// Reads CSV text (the demo company's embedded sample, tests).
pub fn read_csv_text(text: &str) -> Result<RawTable> {
    read_csv_from(text.as_bytes())
        .map_err(|e| Error::invalid(format!("Could not read the CSV: {e}")))
}

fn read_csv_from(input: impl std::io::Read) -> std::result::Result<RawTable, csv::Error> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(input);
    let header: Vec<String> = reader.headers()?.iter().map(str::to_owned).collect();
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let line_of = |position: Option<&csv::Position>, i: usize| {
        position.map_or(i64::try_from(i).unwrap_or(0) + 2, |p| {
            i64::try_from(p.line()).unwrap_or(0)
        })
    };
    for (i, record) in reader.records().enumerate() {
        match record {
            Ok(r) => {
                if r.iter().all(str::is_empty) {
                    continue; // a blank line
                }
                rows.push(RawRow {
                    line: line_of(r.position(), i),
                    cells: r.iter().map(str::to_owned).collect(),
                    dates: Vec::new(),
                });
            }
            Err(e) => errors.push(ImportRowError {
                line: line_of(e.position(), i),
                message: format!("this line could not be read ({e}); save the file as UTF-8 CSV"),
            }),
        }
    }
    Ok(RawTable {
        header,
        rows,
        errors,
    })
}

/// Reads the first worksheet of an XLSX (or XLS/ODS) workbook.
pub fn read_xlsx(path: &Path) -> Result<RawTable> {
    use calamine::{Data, Reader};
    let mut workbook = calamine::open_workbook_auto(path).map_err(|e| file_error(path, e))?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or_else(|| file_error(path, "the workbook has no worksheet"))?
        .map_err(|e| file_error(path, e))?;
    let first_row = range.start().map_or(0, |(r, _)| i64::from(r));
    let text = |cell: &Data| -> String {
        match cell {
            Data::Empty => String::new(),
            // Shown as the date it is, so the error can quote it (the serial number would not
            // mean anything to anyone).
            Data::DateTime(d) => d
                .as_datetime()
                .map_or_else(|| d.to_string(), |t| t.date().to_string()),
            // Numbers typed into Excel are stored as binary doubles; their shortest round-trip
            // text is what was typed (up to 15 significant digits), and it is parsed exactly.
            other => other.to_string().trim().to_owned(),
        }
    };
    let mut rows = range.rows().enumerate();
    let header = match rows.next() {
        Some((_, cells)) => cells.iter().map(text).collect(),
        None => Vec::new(),
    };
    let rows = rows
        .map(|(i, cells)| RawRow {
            line: first_row + i64::try_from(i).unwrap_or(0) + 1,
            cells: cells.iter().map(text).collect(),
            dates: cells
                .iter()
                .enumerate()
                .filter(|(_, c)| matches!(c, Data::DateTime(_) | Data::DateTimeIso(_)))
                .map(|(i, _)| i)
                .collect(),
        })
        .filter(|r| r.cells.iter().any(|c| !c.is_empty()))
        .collect();
    Ok(RawTable {
        header,
        rows,
        errors: Vec::new(),
    })
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
) -> std::result::Result<Valid, String> {
    let cell = |i: usize| row.cells.get(i).map_or("", |c| c.trim());
    let opt = |i: Option<usize>| i.map_or("", cell);
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
            known.join(", ")
        )
    })?;
    let period = FiscalPeriod::parse(cell(cols.period), fiscal).map_err(|e| e.to_string())?;
    let currency: Currency = cell(cols.currency)
        .parse()
        .map_err(|e: Error| e.to_string())?;
    let amount_text = cell(cols.amount);
    let amount = Money::parse(amount_text, currency.clone())
        .map_err(|e| {
            if e.to_string().contains("commas only group thousands") {
                format!(
                    "amount '{amount_text}' is not an amount: write 1.5 or 1,500 — commas only \
                     group thousands"
                )
            } else {
                format!(
                    "amount '{amount_text}' is not a number: write it like 12500.00 (no currency \
                     sign)"
                )
            }
        })?
        .amount;
    if amount < Decimal::ZERO {
        return Err(format!(
            "amount {amount_text} is negative: a budget is zero or more"
        ));
    }
    let enforcement = Enforcement::parse(cell(cols.enforcement)).map_err(|e| e.to_string())?;
    let threshold_text = opt(cols.threshold);
    let threshold = if threshold_text.is_empty() {
        None
    } else {
        let t = Money::parse(threshold_text, currency.clone())
            .map_err(|_| {
                format!(
                    "auto_approve_threshold '{threshold_text}' is not a number: write it like \
                     5000.00, or leave it empty"
                )
            })?
            .amount;
        if t < Decimal::ZERO {
            return Err("auto_approve_threshold cannot be negative".into());
        }
        Some(t.normalize())
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

/// Imports a CSV (`.csv`) or XLSX (`.xlsx`, `.xls`, `.ods`) file. A failed run is returned as
/// `Ok` with `status: "failed"` and its errors, after recording it in the sync history; the
/// caller decides how loudly to fail.
pub async fn import_file(
    file: &CompanyFile,
    session: &Session,
    path: &Path,
    skip_invalid: bool,
) -> Result<SyncRunView> {
    import_file_with_progress(file, session, path, skip_invalid, None).await
}

/// [`import_file`], reporting progress to `progress`.
pub async fn import_file_with_progress(
    file: &CompanyFile,
    session: &Session,
    path: &Path,
    skip_invalid: bool,
    progress: Option<Progress<'_>>,
) -> Result<SyncRunView> {
    session.require(Permission::BudgetManage)?;
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let format = match ext.as_str() {
        "csv" => "csv",
        "xlsx" | "xls" | "ods" => "xlsx",
        _ => {
            return Err(Error::invalid(format!(
                "{} is neither a .csv nor an .xlsx file: save the budget sheet as one of those.",
                path.display()
            )));
        }
    };
    if !path.is_file() {
        return Err(Error::NotFound(format!(
            "There is no file at {}. Check the path.",
            path.display()
        )));
    }
    let started = file.clock().now();
    report(progress, ImportStage::Reading, 0, 0);
    let table = if format == "csv" {
        read_csv(path)?
    } else {
        read_xlsx(path)?
    };
    let source = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let run = import_table_with_progress(
        file,
        session,
        table,
        &source,
        format,
        skip_invalid,
        started,
        progress,
    )
    .await?;
    Ok(run)
}

/// The import itself, from rows already read.
pub async fn import_table(
    file: &CompanyFile,
    session: &Session,
    table: RawTable,
    source: &str,
    format: &str,
    skip_invalid: bool,
    started: chrono::DateTime<chrono::Utc>,
) -> Result<SyncRunView> {
    import_table_with_progress(
        file,
        session,
        table,
        source,
        format,
        skip_invalid,
        started,
        None,
    )
    .await
}

/// [`import_table`], reporting progress to `progress`.
#[allow(clippy::too_many_arguments)]
pub async fn import_table_with_progress(
    file: &CompanyFile,
    session: &Session,
    table: RawTable,
    source: &str,
    format: &str,
    skip_invalid: bool,
    started: chrono::DateTime<chrono::Utc>,
    progress: Option<Progress<'_>>,
) -> Result<SyncRunView> {
    let run = import_rows(
        file,
        session,
        table,
        source,
        format,
        skip_invalid,
        started,
        progress,
    )
    .await?;
    let total = usize::try_from(run.rows_read).unwrap_or(0);
    report(progress, ImportStage::Done, total, total);
    Ok(run)
}

#[allow(clippy::too_many_arguments)]
async fn import_rows(
    file: &CompanyFile,
    session: &Session,
    table: RawTable,
    source: &str,
    format: &str,
    skip_invalid: bool,
    started: chrono::DateTime<chrono::Utc>,
    progress: Option<Progress<'_>>,
) -> Result<SyncRunView> {
    session.require(Permission::BudgetManage)?;
    let mut uow = file.begin(session).await?;
    let mut errors = table.errors.clone();
    let rows_read = i64::try_from(table.rows.len() + table.errors.len()).unwrap_or(i64::MAX);
    let cols = if table.header.iter().all(|h| h.trim().is_empty()) {
        errors.push(ImportRowError {
            line: 1,
            message: format!(
                "the file is empty or its first row is blank: put the header row {} on line 1 \
                 and one budget per row below it",
                REQUIRED_COLUMNS.join(",")
            ),
        });
        None
    } else {
        match columns(&table.header) {
            Ok(c) => Some(c),
            Err(message) => {
                errors.push(ImportRowError { line: 1, message });
                None
            }
        }
    };
    let fiscal = fiscal_start_month(uow.db()).await?;
    let departments: HashMap<String, (String, String)> = department::Entity::find()
        .all(uow.db())
        .await?
        .into_iter()
        .map(|d| (d.name_key, (d.id, d.name)))
        .collect();

    let mut valid: Vec<Valid> = Vec::with_capacity(table.rows.len());
    let mut seen: HashMap<Key, i64> = HashMap::with_capacity(table.rows.len());
    let mut skipped = i64::try_from(table.errors.len()).unwrap_or(0);
    let total_rows = table.rows.len();
    report(progress, ImportStage::Validating, 0, total_rows);
    if let Some(cols) = cols {
        for (i, row) in table.rows.iter().enumerate() {
            if i > 0 && i.is_multiple_of(PROGRESS_EVERY) {
                report(progress, ImportStage::Validating, i, total_rows);
            }
            let result = validate(row, &cols, &departments, fiscal).and_then(|v| {
                let key = key_of(&v.department_id, &v.period.label, &v.category, &v.project);
                match seen.get(&key) {
                    Some(first) => Err(format!(
                        "duplicate of line {first}: the same department, period, category and \
                         project appear twice; keep one row"
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
                    skipped += 1;
                    if errors.len() < MAX_ERRORS {
                        errors.push(ImportRowError {
                            line: row.line,
                            message,
                        });
                    }
                }
            }
        }
    }

    report(progress, ImportStage::Validating, total_rows, total_rows);
    let header_broken = cols.is_none();
    if header_broken || (!errors.is_empty() && !skip_invalid) {
        // Nothing of the import is kept: roll back and record the failed run on its own.
        drop(uow);
        return record_failed_run(
            file, session, started, source, format, rows_read, skipped, errors,
        )
        .await;
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

    let (mut created, mut updated, mut unchanged) = (0_i64, 0_i64, 0_i64);
    let mut to_create = Vec::new();
    let mut in_file: std::collections::HashSet<Key> = std::collections::HashSet::new();
    // Rows are "written" as they are compared (updates, unchanged) or inserted (creates).
    let total_valid = valid.len();
    let mut written = 0_usize;
    report(progress, ImportStage::Writing, 0, total_valid);
    for v in &valid {
        let key = key_of(&v.department_id, &v.period.label, &v.category, &v.project);
        in_file.insert(key.clone());
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
            created += 1;
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
            unchanged += 1;
            continue;
        }
        if current.currency != v.new.currency.code() && entries.get(&current.id) > Some(&1) {
            // Money is already reserved in the old currency; converting it is not an import's job.
            skipped += 1;
            errors.push(ImportRowError {
                line: v.line,
                message: format!(
                    "the currency cannot change from {} to {} once money is reserved on this \
                     budget; keep {}",
                    current.currency,
                    v.new.currency.code(),
                    current.currency
                ),
            });
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
        updated += 1;
    }
    if !errors.is_empty() && !skip_invalid {
        // A currency clash found while comparing: same all-or-nothing rule.
        drop(uow);
        return record_failed_run(
            file, session, started, source, format, rows_read, skipped, errors,
        )
        .await;
    }
    for chunk in to_create.chunks(PROGRESS_EVERY) {
        insert_new_budgets(&uow, chunk).await?;
        written += chunk.len();
        report(progress, ImportStage::Writing, written, total_valid);
    }

    let mut soft_deleted = 0_i64;
    if skipped == 0 {
        for (_, b) in by_key {
            if b.status == BudgetStatus::Active && b.parent_id.is_none() {
                let mut row = b.into_active_model();
                row.status = Set(BudgetStatus::Archived);
                row.updated_at = Set(uow.now_text());
                row.update(uow.db()).await?;
                soft_deleted += 1;
            }
        }
    } else {
        errors.push(ImportRowError {
            line: 0,
            message: format!(
                "{skipped} rows were skipped, so budgets missing from the file were not archived \
                 in this run; fix the rows and import again"
            ),
        });
    }
    let status = if skipped == 0 { "ok" } else { "partial" };
    let run = record_run(
        &uow,
        file,
        started,
        source,
        format,
        status,
        rows_read,
        [created, updated, unchanged, soft_deleted, skipped],
        errors,
    )
    .await?;
    audit_run(&mut uow, &run).await?;
    uow.commit().await?;
    Ok(run)
}

/// Records a run that kept nothing (all-or-nothing and a row failed) in a unit of work of its
/// own: the import's unit of work has been dropped, so its changes are rolled back.
#[allow(clippy::too_many_arguments)]
async fn record_failed_run(
    file: &CompanyFile,
    session: &Session,
    started: chrono::DateTime<chrono::Utc>,
    source: &str,
    format: &str,
    rows_read: i64,
    skipped: i64,
    errors: Vec<ImportRowError>,
) -> Result<SyncRunView> {
    let mut uow = file.begin(session).await?;
    let run = record_run(
        &uow,
        file,
        started,
        source,
        format,
        "failed",
        rows_read,
        [0, 0, 0, 0, skipped],
        errors,
    )
    .await?;
    audit_run(&mut uow, &run).await?;
    uow.commit().await?;
    Ok(run)
}

#[allow(clippy::too_many_arguments)]
async fn record_run(
    uow: &hesabu_store::uow::UnitOfWork,
    file: &CompanyFile,
    started: chrono::DateTime<chrono::Utc>,
    source: &str,
    format: &str,
    status: &str,
    rows_read: i64,
    [created, updated, unchanged, soft_deleted, skipped]: [i64; 5],
    errors: Vec<ImportRowError>,
) -> Result<SyncRunView> {
    let finished = file.clock().now();
    // Numbered under the write lock: ids alone do not order runs made in the same millisecond.
    let last: Option<i64> = budget_sync_run::Entity::find()
        .select_only()
        .column_as(budget_sync_run::Column::RunNo.max(), "last")
        .into_tuple::<Option<i64>>()
        .one(uow.db())
        .await?
        .flatten();
    let model = budget_sync_run::Model {
        id: uow.new_id(),
        run_no: last.unwrap_or(0) + 1,
        started_at: hesabu_store::clock::format_timestamp(started),
        finished_at: hesabu_store::clock::format_timestamp(finished),
        duration_ms: (finished - started).num_milliseconds().max(0),
        source: source.to_owned(),
        format: format.to_owned(),
        status: status.to_owned(),
        rows_read,
        created,
        updated,
        unchanged,
        soft_deleted,
        skipped,
        errors_json: serde_json::to_string(&errors)
            .map_err(|e| Error::Internal(format!("serialising import errors: {e}")))?,
        actor_email: uow.actor().email.clone(),
    };
    budget_sync_run::ActiveModel::from(model.clone())
        .insert(uow.db())
        .await?;
    run_view(model)
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
        })),
    })
    .await
}

fn run_view(m: budget_sync_run::Model) -> Result<SyncRunView> {
    let errors: Vec<ImportRowError> = serde_json::from_str(&m.errors_json)
        .map_err(|e| Error::Internal(format!("stored import errors do not parse: {e}")))?;
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

/// The errors of a failed run as one message for people: the first few, and how many more.
pub fn describe_errors(errors: &[ImportRowError]) -> String {
    let mut lines: Vec<String> = errors
        .iter()
        .take(20)
        .map(|e| format!("line {}: {}", e.line, e.message))
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
