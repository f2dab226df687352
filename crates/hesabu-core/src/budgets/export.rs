//! Budgets as export tables, one row per budget the user may see (their [`super::Scope`]),
//! amounts as numbers. Writing a table to CSV or XLSX, and escaping what a spreadsheet would
//! run, is `hesabu_store::export`'s.
//!
//! - [`table`]: the budget list with its settings, in the import's lower-case column names
//!   (`hesabu budget export`);
//! - [`report_table`]: the report rows the Budgets page shows, utilisation and variance, in
//!   words (`hesabu export budgets`, the page's Export button);
//! - [`ledger_table`]: one budget's ledger, oldest entry first, with document numbers and
//!   people's names (`hesabu export budget-ledger`, the ledger's Export button).

use rust_decimal::Decimal;

use super::{BudgetView, Enforcement, LedgerEntryView, UtilisationRow, history, list};
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::Result;
use hesabu_store::export::{Cell, Table, local_time};

/// The columns, in order: the import's key and settings first, then the balance.
pub const COLUMNS: [&str; 13] = [
    "department",
    "period",
    "category",
    "project",
    "currency",
    "enforcement",
    "auto_approve_threshold",
    "status",
    "amount",
    "reserved",
    "committed",
    "spent",
    "available",
];

/// The budgets within `period` (all periods when `None`), archived ones too when
/// `include_archived`, as a table. Needs what `budgets::list` needs, and shows what it shows.
pub async fn table(
    file: &CompanyFile,
    session: &Session,
    period: Option<&str>,
    include_archived: bool,
) -> Result<Table> {
    let budgets = list(file, session, period, include_archived).await?;
    Ok(Table {
        headers: COLUMNS.iter().map(|c| (*c).to_owned()).collect(),
        rows: budgets.into_iter().map(row).collect(),
    })
}

fn row(b: BudgetView) -> Vec<Cell> {
    let balance = &b.balance;
    vec![
        b.department.into(),
        b.period.into(),
        b.category.into(),
        b.project.into(),
        b.currency.into(),
        b.enforcement.as_str().into(),
        b.auto_approve_threshold.map(cents).into(),
        b.status.into(),
        cents(balance.budgeted).into(),
        cents(balance.reserved).into(),
        cents(balance.committed).into(),
        cents(balance.spent).into(),
        cents(balance.available).into(),
    ]
}

/// The columns of [`report_table`].
pub const REPORT_COLUMNS: [&str; 15] = [
    "Department",
    "Period",
    "Category",
    "Project",
    "Currency",
    "When over budget",
    "Budgeted",
    "Reserved",
    "Committed",
    "Spent",
    "Available",
    "Used %",
    "Variance",
    "Variance %",
    "Over budget",
];

/// The budget report's rows within `period` (all periods when `None`), of one `department`
/// (by name; all when `None`), as the Budgets page shows them: active budgets the user may see,
/// utilisation and variance. Needs what `budgets::report::report` needs.
pub async fn report_table(
    file: &CompanyFile,
    session: &Session,
    period: Option<&str>,
    department: Option<&str>,
) -> Result<Table> {
    let report = super::report::report(file, session, period).await?;
    Ok(Table {
        headers: REPORT_COLUMNS.iter().map(|c| (*c).to_owned()).collect(),
        rows: report
            .rows
            .into_iter()
            .filter(|r| department.is_none_or(|d| r.department.eq_ignore_ascii_case(d.trim())))
            .map(report_row)
            .collect(),
    })
}

fn report_row(r: UtilisationRow) -> Vec<Cell> {
    let balance = &r.balance;
    vec![
        r.department.into(),
        r.period.into(),
        r.category.into(),
        r.project.into(),
        r.currency.into(),
        enforcement_label(r.enforcement).into(),
        cents(balance.budgeted).into(),
        cents(balance.reserved).into(),
        cents(balance.committed).into(),
        cents(balance.spent).into(),
        cents(balance.available).into(),
        r.percent_used.into(),
        cents(r.variance).into(),
        r.variance_percent.into(),
        if r.over_budget { "Yes" } else { "No" }.into(),
    ]
}

/// What a budget does when a document asks for more than is available, in words.
pub fn enforcement_label(enforcement: Enforcement) -> &'static str {
    match enforcement {
        Enforcement::HardBlock => "Block the document",
        Enforcement::SoftWarning => "Warn and let it through",
        Enforcement::Escalate => "Add the executive approval level",
        Enforcement::RouteToFinance => "Send it to a finance manager",
    }
}

/// The columns of [`ledger_table`].
pub const LEDGER_COLUMNS: [&str; 9] = [
    "#",
    "When",
    "Entry",
    "Document",
    "Amount",
    "Available after",
    "Override",
    "Reason",
    "By",
];

/// One budget's ledger, oldest entry first: each movement in words ("Reserved", "Released
/// (rejected)"), the document by its number, the person by name, times in the company's zone.
/// Needs what `budgets::history` needs (the budget within the user's departments).
pub async fn ledger_table(
    file: &CompanyFile,
    session: &Session,
    budget: &str,
    zone: chrono_tz::Tz,
) -> Result<Table> {
    let entries = history(file, session, budget).await?;
    Ok(Table {
        headers: LEDGER_COLUMNS.iter().map(|c| (*c).to_owned()).collect(),
        rows: entries.into_iter().map(|e| ledger_row(e, zone)).collect(),
    })
}

fn ledger_row(e: LedgerEntryView, zone: chrono_tz::Tz) -> Vec<Cell> {
    // A request that is no document (a reference typed by hand) is shown as it was given.
    let document = e.document_number.or(e.request_id);
    vec![
        Cell::Number(e.seq.into()),
        Cell::Text(local_time(&e.at, zone)),
        Cell::Text(entry_label(&e.kind, e.action.as_deref())),
        document.into(),
        cents(e.amount).into(),
        cents(e.available_after).into(),
        if e.is_override { "Yes" } else { "" }.into(),
        e.reason.into(),
        Cell::Text(e.actor_name),
    ]
}

/// A ledger movement in words; a release says why ("Released (rejected)").
pub fn entry_label(kind: &str, action: Option<&str>) -> String {
    let kind_words = match kind {
        "budget" => "Budget set",
        "adjust" => "Budget changed",
        "reserve" => "Reserved",
        "commit" => "Committed",
        "spend" => "Spent",
        "release" => "Released",
        super::RELEASE_COMMITMENT => "Commitment released",
        other => return other.replace('_', " "),
    };
    let why = match action {
        Some("reject") => Some("rejected"),
        Some("cancel") => Some("cancelled"),
        Some("return") => Some("returned"),
        Some(other) => Some(other),
        None => None,
    };
    match why {
        Some(why) => format!("{kind_words} ({why})"),
        None => kind_words.to_owned(),
    }
}

/// Money shown with at least two decimals (`1000.5` → `1000.50`); never rounded.
fn cents(mut amount: Decimal) -> Decimal {
    if amount.scale() < 2 {
        amount.rescale(2);
    }
    amount
}
