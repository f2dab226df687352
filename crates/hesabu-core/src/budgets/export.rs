//! The budget list as an export table (`hesabu budget export`; the desktop's export button
//! later): one row per budget the user may see, with its amounts as numbers. Writing the table
//! to CSV or XLSX, and escaping what a spreadsheet would run, is `hesabu_store::export`'s.

use rust_decimal::Decimal;

use super::{BudgetView, list};
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::Result;
use hesabu_store::export::{Cell, Table};

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

/// Money shown with at least two decimals (`1000.5` → `1000.50`); never rounded.
fn cents(mut amount: Decimal) -> Decimal {
    if amount.scale() < 2 {
        amount.rescale(2);
    }
    amount
}
