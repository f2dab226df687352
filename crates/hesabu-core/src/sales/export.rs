//! The sales list as an export table (`hesabu export sales`, the Sales page's Export button):
//! every sale the list's filters match, types and statuses in words, totals as numbers, dates as
//! `yyyy-mm-dd`. Writing the table to CSV or XLSX is `hesabu_store::export`'s.

use super::documents::{SaleSummary, SalesQuery, list};
use super::{SalesStatus, SalesType};
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::Result;
use hesabu_store::export::{Cell, Table};

/// The columns, in order.
pub const COLUMNS: [&str; 9] = [
    "Number",
    "Type",
    "Status",
    "Customer",
    "Customer KRA PIN",
    "Issue date",
    "Currency",
    "Total",
    "Total (KES)",
];

/// Rows read per page of the list while exporting (the list's own largest page).
const PAGE: u64 = 500;

/// Every sale `query` matches (its `limit` and `offset` are the page's and are ignored), newest
/// first, as a table. Needs what `documents::list` needs.
pub async fn table(file: &CompanyFile, session: &Session, query: &SalesQuery) -> Result<Table> {
    let mut rows = Vec::new();
    let mut offset = 0;
    loop {
        let page = list(
            file,
            session,
            &SalesQuery {
                limit: Some(PAGE),
                offset: Some(offset),
                ..query.clone()
            },
        )
        .await?;
        let read = page.len();
        rows.extend(page.into_iter().map(row));
        if u64::try_from(read).unwrap_or(0) < PAGE {
            break;
        }
        offset += PAGE;
    }
    Ok(Table {
        headers: COLUMNS.iter().map(|c| (*c).to_owned()).collect(),
        rows,
    })
}

fn row(s: SaleSummary) -> Vec<Cell> {
    vec![
        Cell::Text(
            s.number
                .unwrap_or_else(|| "Draft (no number yet)".to_owned()),
        ),
        Cell::Text(s.doc_type.label().to_owned()),
        Cell::Text(s.status.label().to_owned()),
        Cell::Text(s.customer_name),
        s.customer_pin.into(),
        Cell::Text(s.issue_date),
        Cell::Text(s.currency),
        Cell::money_text(&s.total),
        Cell::money_text(&s.total_kes),
    ]
}

impl SalesType {
    /// In words: "Sales invoice", "Credit note", "Cash sale" (as the document register says).
    pub fn label(self) -> &'static str {
        match self {
            SalesType::Invoice => "Sales invoice",
            SalesType::CreditNote => "Credit note",
            SalesType::CashSale => "Cash sale",
        }
    }
}

impl SalesStatus {
    /// In words, as the document register says it: "Issued, waiting for KRA", "Signed by KRA".
    pub fn label(self) -> &'static str {
        match self {
            SalesStatus::Draft => "Draft",
            SalesStatus::PendingApproval => "Pending approval",
            SalesStatus::Issued => "Issued, waiting for KRA",
            SalesStatus::Fiscalised => "Signed by KRA",
            SalesStatus::Void => "Void",
        }
    }
}
