//! Customer and item import from CSV or XLSX: all or nothing. Every row is validated and added
//! inside one unit of work; if any row is wrong nothing is kept and every wrong row is named
//! with its line number (the header is line 1), like the budget import.
//!
//! The file is read by [`crate::tabular`], like the budget import's: size limits, encodings,
//! cells that start like a formula (kept, and listed in the result's `warnings`) and XLSX float
//! noise in `credit_limit` and `unit_price` (rounded to the cent and listed). Each text column
//! has its limit from `hesabu_store::limits`, checked before the row is added.

use std::path::Path;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::json;
use ts_rs::TS;

use super::customers::{self, NewCustomer};
use super::items::{self, NewItem};
use crate::budgets::ImportRowError;
use crate::tabular::{self, Format, RawRow, RawTable, Roundings};
use hesabu_store::audit::AuditDraft;
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::{Error, Result};
use hesabu_store::limits;
use hesabu_store::permissions::Permission;

pub const CUSTOMER_COLUMNS: &[&str] = &[
    "name",
    "kra_pin",
    "customer_type",
    "email",
    "mobile",
    "address",
    "credit_limit",
];
pub const ITEM_COLUMNS: &[&str] = &[
    "code",
    "name",
    "classification_code",
    "packaging_unit",
    "quantity_unit",
    "tax_type",
    "product_type",
    "origin_country",
    "unit_price",
    "barcode",
    "service_level",
];
/// The most characters each column may hold, in the order of [`CUSTOMER_COLUMNS`].
const CUSTOMER_LIMITS: &[usize] = &[
    limits::NAME,
    limits::LABEL,
    limits::LABEL,
    limits::NAME,
    limits::LABEL,
    limits::NOTE,
    limits::LABEL,
];
/// The most characters each column may hold, in the order of [`ITEM_COLUMNS`]: the name is a
/// name, the rest are codes and labels.
const ITEM_LIMITS: &[usize] = &[
    limits::LABEL,
    limits::NAME,
    limits::LABEL,
    limits::LABEL,
    limits::LABEL,
    limits::LABEL,
    limits::LABEL,
    limits::LABEL,
    limits::LABEL,
    limits::LABEL,
    limits::LABEL,
];
const REQUIRED_CUSTOMER: &[&str] = &["name"];
const REQUIRED_ITEM: &[&str] = &["code", "name", "tax_type", "product_type", "unit_price"];

/// At most this many row errors are reported.
const MAX_ERRORS: usize = 200;

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct MasterImportResult {
    #[ts(type = "number")]
    pub added: i64,
    /// What the import noticed without refusing: spreadsheet float noise rounded, cells that
    /// start like a formula (kept as text).
    pub warnings: Vec<ImportRowError>,
}

/// Reads a `.xlsx`, `.xlsm`, `.xls` or `.ods` workbook, or any other file as CSV.
pub fn read_table(path: &Path) -> Result<RawTable> {
    tabular::read_file(path, Format::of(path).unwrap_or(Format::Csv))
}

/// Every non-empty text cell of `row` within its column's limit: the first that is not, as a
/// message naming the column.
fn check_lengths(
    cols: &Columns,
    row: &RawRow,
    names: &[&str],
    limits_of: &[usize],
) -> std::result::Result<(), String> {
    for (column, (name, max)) in names.iter().zip(limits_of).enumerate() {
        if let Some(text) = cols.cell(row, column) {
            limits::check_text(name, text, *max).map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

/// An amount cell, with spreadsheet float noise rounded to the cent.
fn amount(
    cols: &Columns,
    row: &RawRow,
    column: usize,
    name: &str,
    roundings: &mut Roundings,
) -> Option<std::result::Result<Decimal, String>> {
    let index = cols.index[column]?;
    cols.cell(row, column)?;
    let text = roundings.amount(row, index, name, tabular::minor_unit("KES"));
    Some(parse_amount_cell(&text).map_err(|m| format!("{name}: {m}")))
}

/// A money cell: `1500`, `1500.50`, `1,500.50` (commas only in groups of three). Anything else
/// is refused rather than guessed: `1,5` is not one and a half. The kernel's one reading of
/// typed amounts (`hesabu_store::money::parse_amount`), with its message as text.
pub fn parse_amount_cell(text: &str) -> std::result::Result<Decimal, String> {
    hesabu_store::money::parse_amount(text).map_err(|e| e.to_string())
}

struct Columns {
    index: Vec<Option<usize>>,
}

impl Columns {
    fn new(header: &[String], known: &[&str], required: &[&str]) -> Result<Self> {
        let names: Vec<String> = header
            .iter()
            .map(|h| h.trim().to_lowercase().replace(' ', "_"))
            .collect();
        for (i, n) in names.iter().enumerate() {
            if !n.is_empty() && !known.contains(&n.as_str()) {
                return Err(Error::invalid(format!(
                    "Column {} '{}' is not known. The columns are: {} ({} required).",
                    i + 1,
                    header[i],
                    known.join(", "),
                    required.join(", ")
                )));
            }
        }
        let missing: Vec<&str> = required
            .iter()
            .copied()
            .filter(|r| !names.iter().any(|n| n == r))
            .collect();
        if !missing.is_empty() {
            return Err(Error::invalid(format!(
                "The file has no {} column: the header row must name {} (optional: {}).",
                missing.join(", "),
                required.join(", "),
                known
                    .iter()
                    .filter(|k| !required.contains(k))
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        Ok(Self {
            index: known
                .iter()
                .map(|k| names.iter().position(|n| n == k))
                .collect(),
        })
    }

    fn cell<'a>(&self, row: &'a RawRow, column: usize) -> Option<&'a str> {
        self.index[column]
            .and_then(|i| row.cells.get(i))
            .map(|c| c.trim())
            .filter(|c| !c.is_empty())
    }
}

fn refuse(what: &str, table_errors: Vec<ImportRowError>) -> Error {
    let shown: Vec<String> = table_errors
        .iter()
        .take(20)
        .map(|e| format!("line {}: {}", e.line, e.message))
        .collect();
    let more = table_errors.len().saturating_sub(20);
    Error::invalid(format!(
        "Nothing was imported: {} row(s) of the {what} file need fixing.\n{}{}",
        table_errors.len(),
        shown.join("\n"),
        if more > 0 {
            format!("\n… and {more} more")
        } else {
            String::new()
        }
    ))
}

fn check_rows(what: &str, table: &RawTable) -> Result<()> {
    if !table.errors.is_empty() {
        let errors = table
            .errors
            .iter()
            .map(|e| ImportRowError {
                line: e.line,
                message: e.message.clone(),
            })
            .collect();
        return Err(refuse(what, errors));
    }
    if table.rows.is_empty() {
        return Err(Error::invalid(format!(
            "The {what} file has a header but no rows: nothing to import."
        )));
    }
    Ok(())
}

/// Imports customers, all or nothing.
pub async fn import_customers(
    file: &CompanyFile,
    session: &Session,
    table: &RawTable,
) -> Result<MasterImportResult> {
    session.require(Permission::SalesMasterData)?;
    check_rows("customer", table)?;
    let cols = Columns::new(&table.header, CUSTOMER_COLUMNS, REQUIRED_CUSTOMER)?;
    let mut uow = file.begin(session).await?;
    let mut errors = Vec::new();
    let mut roundings = Roundings::default();
    for row in &table.rows {
        if let Err(message) = check_lengths(&cols, row, CUSTOMER_COLUMNS, CUSTOMER_LIMITS) {
            errors.push(ImportRowError {
                line: row.line,
                message,
            });
            continue;
        }
        let credit_limit = match amount(&cols, row, 6, "credit_limit", &mut roundings) {
            Some(Ok(a)) => Some(a),
            Some(Err(message)) => {
                errors.push(ImportRowError {
                    line: row.line,
                    message,
                });
                continue;
            }
            None => None,
        };
        let new = NewCustomer {
            name: cols.cell(row, 0).unwrap_or_default().to_owned(),
            kra_pin: cols.cell(row, 1).map(str::to_owned),
            customer_type: cols.cell(row, 2).map(str::to_owned),
            email: cols.cell(row, 3).map(str::to_owned),
            mobile: cols.cell(row, 4).map(str::to_owned),
            address: cols.cell(row, 5).map(str::to_owned),
            credit_limit,
        };
        if let Err(e) = customers::add_in(&mut uow, &new).await {
            if !matches!(e, Error::InvalidInput(_) | Error::Conflict(_)) {
                return Err(e);
            }
            errors.push(ImportRowError {
                line: row.line,
                message: e.to_string(),
            });
            if errors.len() >= MAX_ERRORS {
                break;
            }
        }
    }
    finish(
        uow,
        "customer",
        "customers.import",
        table,
        errors,
        roundings,
    )
    .await
}

/// Imports items, all or nothing. Each gets its KRA item code.
pub async fn import_items(
    file: &CompanyFile,
    session: &Session,
    table: &RawTable,
) -> Result<MasterImportResult> {
    session.require(Permission::SalesMasterData)?;
    check_rows("item", table)?;
    let cols = Columns::new(&table.header, ITEM_COLUMNS, REQUIRED_ITEM)?;
    let mut uow = file.begin(session).await?;
    let mut errors = Vec::new();
    let mut roundings = Roundings::default();
    for row in &table.rows {
        if let Err(message) = check_lengths(&cols, row, ITEM_COLUMNS, ITEM_LIMITS) {
            errors.push(ImportRowError {
                line: row.line,
                message,
            });
            continue;
        }
        let unit_price = match amount(&cols, row, 8, "unit_price", &mut roundings) {
            Some(Ok(a)) => a,
            Some(Err(message)) => {
                errors.push(ImportRowError {
                    line: row.line,
                    message,
                });
                continue;
            }
            None => {
                errors.push(ImportRowError {
                    line: row.line,
                    message: "unit_price is empty: give the item's price, e.g. 1500.00".into(),
                });
                continue;
            }
        };
        let text = |i: usize| cols.cell(row, i).map(str::to_owned);
        let new = NewItem {
            code: text(0).unwrap_or_default(),
            name: text(1).unwrap_or_default(),
            classification_code: text(2),
            packaging_unit: text(3),
            quantity_unit: text(4),
            tax_type: text(5).unwrap_or_default(),
            product_type: text(6).unwrap_or_default(),
            origin_country: text(7),
            unit_price,
            barcode: text(9),
            service_level: text(10),
        };
        if let Err(e) = items::add_in(&mut uow, &new).await {
            if !matches!(e, Error::InvalidInput(_) | Error::Conflict(_)) {
                return Err(e);
            }
            errors.push(ImportRowError {
                line: row.line,
                message: e.to_string(),
            });
            if errors.len() >= MAX_ERRORS {
                break;
            }
        }
    }
    finish(uow, "item", "items.import", table, errors, roundings).await
}

async fn finish(
    mut uow: hesabu_store::uow::UnitOfWork,
    what: &str,
    action: &'static str,
    table: &RawTable,
    errors: Vec<ImportRowError>,
    roundings: Roundings,
) -> Result<MasterImportResult> {
    if !errors.is_empty() {
        drop(uow); // rolls back every row added so far
        return Err(refuse(what, errors));
    }
    let added = i64::try_from(table.rows.len()).unwrap_or(i64::MAX);
    uow.audit(AuditDraft {
        action,
        entity_type: "import",
        entity_id: what.to_owned(),
        before: None,
        after: Some(json!({ "rows": added })),
    })
    .await?;
    uow.commit().await?;
    let warnings = roundings
        .summary()
        .into_iter()
        .chain(table.warnings.iter().cloned())
        .map(|w| ImportRowError {
            line: w.line,
            message: w.message,
        })
        .collect();
    Ok(MasterImportResult { added, warnings })
}

/// Imports from a path (CSV or spreadsheet by extension).
pub async fn import_customers_file(
    file: &CompanyFile,
    session: &Session,
    path: &Path,
) -> Result<MasterImportResult> {
    session.require(Permission::SalesMasterData)?;
    import_customers(file, session, &read_table(path)?).await
}

pub async fn import_items_file(
    file: &CompanyFile,
    session: &Session,
    path: &Path,
) -> Result<MasterImportResult> {
    session.require(Permission::SalesMasterData)?;
    import_items(file, session, &read_table(path)?).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commas_only_group_thousands() {
        assert_eq!(
            parse_amount_cell("1,500.50").unwrap().to_string(),
            "1500.50"
        );
        assert_eq!(parse_amount_cell("12,500").unwrap().to_string(), "12500");
        assert_eq!(
            parse_amount_cell("1,000,000").unwrap().to_string(),
            "1000000"
        );
        assert_eq!(parse_amount_cell("250").unwrap().to_string(), "250");
        for bad in ["1,5", "12,50", "1,0000", ",500"] {
            let err = parse_amount_cell(bad).unwrap_err();
            assert!(err.contains("commas only group thousands"), "{bad}: {err}");
        }
        for bad in ["abc", "1.2.3", "1e5"] {
            let err = parse_amount_cell(bad).unwrap_err();
            assert!(err.contains("not a number"), "{bad}: {err}");
        }
    }
}
