//! Exporting a list to a CSV or XLSX file: the one service behind `hesabu export …` and the
//! desktop's Export buttons (`export_list`). Each list's table is built beside its service,
//! with that service's permission and scope (budgets: `budgets::export`; the document register:
//! `approvals::register::table`; the audit log: `hesabu_store::audit::table`; the execution log:
//! `workflows::export`; sales: `sales::export`); the bytes are `hesabu_store::export`'s
//! (formula-looking text escaped, amounts numbers, dates ISO in the company's zone). This module
//! picks the table, and writes the file whole or not at all.

use std::path::{Path, PathBuf};

use hesabu_core::approvals::register::{self, RegisterQuery};
use hesabu_core::budgets;
use hesabu_core::sales::documents::SalesQuery;
use hesabu_core::workflows::{self, ExecutionFilter};
use hesabu_store::audit::{self, AuditQuery};
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::{Error, Result};
use hesabu_store::export::{Format, Table, zone};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Which list to export, with the same filters its page (and `hesabu`) takes. A filter's paging
/// (`limit`, `offset`, `before_seq`) is ignored: an export holds every row the filters match.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(tag = "list", rename_all = "snake_case")]
pub enum ExportRequest {
    /// The budget report's rows (utilisation, variance), optionally within one period and of
    /// one department (by name).
    Budgets {
        period: Option<String>,
        #[serde(default)]
        department: Option<String>,
    },
    /// One budget's ledger, oldest entry first.
    BudgetLedger { budget: String },
    /// The document register.
    Documents { query: RegisterQuery },
    /// The audit log.
    AuditLog { query: AuditQuery },
    /// The workflow execution log.
    Executions { filter: ExecutionFilter },
    /// The sales list.
    Sales { query: SalesQuery },
}

impl ExportRequest {
    /// The worksheet's name, and the file name offered in the save dialog (without extension).
    pub fn title(&self) -> &'static str {
        match self {
            ExportRequest::Budgets { .. } => "Budgets",
            ExportRequest::BudgetLedger { .. } => "Budget ledger",
            ExportRequest::Documents { .. } => "Documents",
            ExportRequest::AuditLog { .. } => "Audit log",
            ExportRequest::Executions { .. } => "Execution log",
            ExportRequest::Sales { .. } => "Sales",
        }
    }
}

/// What an export wrote.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ExportResult {
    /// The file written (the chosen path, with the format's extension added when it had none).
    pub path: String,
    pub format: Format,
    /// Data rows, not counting the header row.
    #[ts(type = "number")]
    pub rows: u64,
    #[ts(type = "number")]
    pub bytes: u64,
}

/// The list as a table, with the permission and scope of its own service.
pub async fn table(
    file: &CompanyFile,
    session: &Session,
    request: &ExportRequest,
) -> Result<Table> {
    let time_zone = hesabu_core::company::time_zone(file).await?;
    let zone = zone(&time_zone)?;
    match request {
        ExportRequest::Budgets { period, department } => {
            budgets::export::report_table(
                file,
                session,
                clean(period.as_deref()),
                clean(department.as_deref()),
            )
            .await
        }
        ExportRequest::BudgetLedger { budget } => {
            budgets::export::ledger_table(file, session, budget.trim(), zone).await
        }
        ExportRequest::Documents { query } => {
            let rows = register::all(file, session, query).await?;
            Ok(register::table(rows, zone))
        }
        ExportRequest::AuditLog { query } => audit::table(file, session, query, &time_zone).await,
        ExportRequest::Executions { filter } => {
            workflows::export::table(file, session, filter, zone).await
        }
        ExportRequest::Sales { query } => {
            hesabu_core::sales::export::table(file, session, query).await
        }
    }
}

/// Writes the list to `path` in `format` and says what was written. The file is written beside
/// its destination and renamed into place, so a failed export leaves no half-written file (and
/// an existing file stays as it was). A path without an extension gets the format's.
pub async fn export(
    file: &CompanyFile,
    session: &Session,
    request: &ExportRequest,
    format: Format,
    path: &Path,
) -> Result<ExportResult> {
    let path = destination(file, path, format)?;
    let table = table(file, session, request).await?;
    let bytes = table.to_bytes(format, request.title())?;
    let part = path.with_extension(format!("{}.part", format.extension()));
    let written = std::fs::write(&part, &bytes).and_then(|()| std::fs::rename(&part, &path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&part);
        return Err(Error::invalid(format!(
            "Could not write {}: {e}. Choose a folder you may write to (and close the file if a \
             spreadsheet has it open).",
            path.display()
        )));
    }
    Ok(ExportResult {
        path: path.display().to_string(),
        format,
        rows: u64::try_from(table.rows.len()).unwrap_or(u64::MAX),
        bytes: u64::try_from(bytes.len()).unwrap_or(u64::MAX),
    })
}

/// The file to write: the chosen path, with the format's extension when it has none. Never a
/// company file.
fn destination(file: &CompanyFile, path: &Path, format: Format) -> Result<PathBuf> {
    let text = path.to_string_lossy();
    if text.trim().is_empty() {
        return Err(Error::invalid(
            "Choose where to save the export: a file name such as budgets.xlsx.",
        ));
    }
    let mut path = PathBuf::from(text.trim());
    if path.extension().is_none() {
        path.set_extension(format.extension());
    }
    let company_file = path.extension().is_some_and(|e| e == "hesabu")
        || std::path::absolute(&path).ok() == std::path::absolute(file.path()).ok();
    if company_file {
        return Err(Error::invalid(format!(
            "{} is a company file: choose another name for the export, ending in .{}.",
            path.display(),
            format.extension()
        )));
    }
    if path.is_dir() {
        return Err(Error::invalid(format!(
            "{} is a folder: choose a file name inside it, e.g. {}.",
            path.display(),
            path.join(format!("export.{}", format.extension()))
                .display()
        )));
    }
    Ok(path)
}

fn clean(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|t| !t.is_empty())
}
