//! The sales ledger's commands: customers, items, sales documents and the sales settings. Each
//! is a thin adapter over one service of `hesabu_core::sales` (issuing goes through
//! `approvals::sales_gate`, which decides whether the sale needs approval first). Listed in the
//! command table in [`super`] like every other command.

use std::path::Path;

use hesabu_core::approvals::sales_gate;
use hesabu_core::sales::customers::{self, CustomerQuery, CustomerView, NewCustomer};
use hesabu_core::sales::documents::{
    self as sales, CREDIT_NOTE_REASONS, NewSale, NewSaleLine, PAYMENT_METHODS, SaleSummary,
    SaleView, SalesQuery,
};
use hesabu_core::sales::import::{self as master_import, MasterImportResult};
use hesabu_core::sales::items::{
    self, ItemQuery, ItemView, NewItem, PACKAGING_UNITS, QUANTITY_UNITS,
};
use hesabu_core::sales::settings::{self, SalesSettings};
use hesabu_core::sales::tax::{DocumentTotals, PriceBasis, TaxType};
use hesabu_store::WireError;
use hesabu_store::permissions::Permission;
use tauri::State;

use crate::state::{AppState, IntoWire};
use crate::wire::{CodeName, SalesCodeLists, TaxBand};

// Customers.

/// Customers by name; `search` over name, number and PIN.
#[tauri::command]
pub async fn customers_list(
    state: State<'_, AppState>,
    query: CustomerQuery,
) -> Result<Vec<CustomerView>, WireError> {
    let (open, session) = state.signed_in().await?;
    customers::list(&open.file, &session, &query).await.wire()
}

/// One customer by id, number, KRA PIN or exact name.
#[tauri::command]
pub async fn customer_show(
    state: State<'_, AppState>,
    key: String,
) -> Result<CustomerView, WireError> {
    let (open, session) = state.signed_in().await?;
    customers::show(&open.file, &session, &key).await.wire()
}

#[tauri::command]
pub async fn customer_add(
    state: State<'_, AppState>,
    customer: NewCustomer,
) -> Result<CustomerView, WireError> {
    let (open, session) = state.signed_in().await?;
    customers::add(&open.file, &session, &customer).await.wire()
}

/// Replaces a customer's details (the number never changes).
#[tauri::command]
pub async fn customer_edit(
    state: State<'_, AppState>,
    key: String,
    customer: NewCustomer,
) -> Result<CustomerView, WireError> {
    let (open, session) = state.signed_in().await?;
    customers::edit(&open.file, &session, &key, &customer)
        .await
        .wire()
}

/// Deactivates (new sales refuse the customer) or reactivates a customer.
#[tauri::command]
pub async fn customer_set_active(
    state: State<'_, AppState>,
    key: String,
    active: bool,
) -> Result<CustomerView, WireError> {
    let (open, session) = state.signed_in().await?;
    customers::set_active(&open.file, &session, &key, active)
        .await
        .wire()
}

/// Adds the customers of a CSV or XLSX file at `path`: all of them, or none.
#[tauri::command]
pub async fn customers_import(
    state: State<'_, AppState>,
    path: String,
) -> Result<MasterImportResult, WireError> {
    let (open, session) = state.signed_in().await?;
    master_import::import_customers_file(&open.file, &session, Path::new(path.trim()))
        .await
        .wire()
}

// Items.

/// Items by code; `search` over code, name and barcode.
#[tauri::command]
pub async fn items_list(
    state: State<'_, AppState>,
    query: ItemQuery,
) -> Result<Vec<ItemView>, WireError> {
    let (open, session) = state.signed_in().await?;
    items::list(&open.file, &session, &query).await.wire()
}

#[tauri::command]
pub async fn item_show(state: State<'_, AppState>, key: String) -> Result<ItemView, WireError> {
    let (open, session) = state.signed_in().await?;
    items::show(&open.file, &session, &key).await.wire()
}

/// Adds an item; its KRA item code is assigned here, once.
#[tauri::command]
pub async fn item_add(state: State<'_, AppState>, item: NewItem) -> Result<ItemView, WireError> {
    let (open, session) = state.signed_in().await?;
    items::add(&open.file, &session, &item).await.wire()
}

/// Replaces an item's details (the code and the KRA item code stay).
#[tauri::command]
pub async fn item_edit(
    state: State<'_, AppState>,
    key: String,
    item: NewItem,
) -> Result<ItemView, WireError> {
    let (open, session) = state.signed_in().await?;
    items::edit(&open.file, &session, &key, &item).await.wire()
}

#[tauri::command]
pub async fn item_set_active(
    state: State<'_, AppState>,
    key: String,
    active: bool,
) -> Result<ItemView, WireError> {
    let (open, session) = state.signed_in().await?;
    items::set_active(&open.file, &session, &key, active)
        .await
        .wire()
}

/// Adds the items of a CSV or XLSX file at `path`: all of them, or none.
#[tauri::command]
pub async fn items_import(
    state: State<'_, AppState>,
    path: String,
) -> Result<MasterImportResult, WireError> {
    let (open, session) = state.signed_in().await?;
    master_import::import_items_file(&open.file, &session, Path::new(path.trim()))
        .await
        .wire()
}

/// The KRA code lists the sales screens offer: tax bands with their rates, quantity and
/// packaging units, credit-note reasons and payment methods.
#[tauri::command]
pub async fn sales_code_lists(state: State<'_, AppState>) -> Result<SalesCodeLists, WireError> {
    let (_open, session) = state.signed_in().await?;
    session.require(Permission::SalesView).wire()?;
    let rates = sales::rate_table();
    let pairs = |list: &[(&str, &str)]| -> Vec<CodeName> {
        list.iter()
            .map(|(code, name)| CodeName {
                code: (*code).to_owned(),
                name: (*name).to_owned(),
            })
            .collect()
    };
    Ok(SalesCodeLists {
        tax_types: TaxType::ALL
            .into_iter()
            .map(|t| TaxBand {
                tax_type: t,
                rate: rates.rate(t).normalize().to_string(),
                name: t.name().to_owned(),
                label: t.label(rates.rate(t)),
            })
            .collect(),
        quantity_units: pairs(QUANTITY_UNITS),
        packaging_units: pairs(PACKAGING_UNITS),
        credit_note_reasons: pairs(CREDIT_NOTE_REASONS),
        payment_methods: PAYMENT_METHODS.iter().map(|m| (*m).to_owned()).collect(),
    })
}

// Sales documents.

/// Sales, newest first, filtered (type, status, dates, a search over number, customer and total).
#[tauri::command]
pub async fn sales_list(
    state: State<'_, AppState>,
    query: SalesQuery,
) -> Result<Vec<SaleSummary>, WireError> {
    let (open, session) = state.signed_in().await?;
    sales::list(&open.file, &session, &query).await.wire()
}

/// A sale with its lines and band table, by id or number.
#[tauri::command]
pub async fn sale_show(state: State<'_, AppState>, key: String) -> Result<SaleView, WireError> {
    let (open, session) = state.signed_in().await?;
    sales::show(&open.file, &session, &key).await.wire()
}

/// The original with what is still creditable on each line: a credit note's starting point.
#[tauri::command]
pub async fn sale_credit_template(
    state: State<'_, AppState>,
    key: String,
) -> Result<SaleView, WireError> {
    let (open, session) = state.signed_in().await?;
    sales::credit_template(&open.file, &session, &key)
        .await
        .wire()
}

/// Writes a draft invoice, cash sale or credit note.
#[tauri::command]
pub async fn sale_create(state: State<'_, AppState>, sale: NewSale) -> Result<SaleView, WireError> {
    let (open, session) = state.signed_in().await?;
    sales::create(&open.file, &session, &sale).await.wire()
}

/// Rewrites a draft with new content.
#[tauri::command]
pub async fn sale_update(
    state: State<'_, AppState>,
    key: String,
    sale: NewSale,
) -> Result<SaleView, WireError> {
    let (open, session) = state.signed_in().await?;
    sales::update_draft(&open.file, &session, &key, &sale)
        .await
        .wire()
}

/// Issues a draft, or sends it for approval first when it must (`warnings` says which).
#[tauri::command]
pub async fn sale_issue(state: State<'_, AppState>, key: String) -> Result<SaleView, WireError> {
    let (open, session) = state.signed_in().await?;
    let result = sales_gate::issue(&open.file, &session, &key).await.wire();
    // Sending a sale for approval notifies its approvers.
    state.delivery().deliver(&open.file, &session).await;
    result
}

/// Voids an issued sale KRA has not signed yet; it keeps its number.
#[tauri::command]
pub async fn sale_void(
    state: State<'_, AppState>,
    key: String,
    reason: String,
) -> Result<SaleView, WireError> {
    let (open, session) = state.signed_in().await?;
    sales::void(&open.file, &session, &key, &reason)
        .await
        .wire()
}

/// The band table of lines being written, computed by the core; nothing is saved.
#[tauri::command]
pub async fn sale_preview(
    state: State<'_, AppState>,
    lines: Vec<NewSaleLine>,
    basis: Option<PriceBasis>,
) -> Result<DocumentTotals, WireError> {
    let (open, session) = state.signed_in().await?;
    sales::preview(&open.file, &session, &lines, basis)
        .await
        .wire()
}

/// The company's price basis and sales approval threshold.
#[tauri::command]
pub async fn sales_settings_get(state: State<'_, AppState>) -> Result<SalesSettings, WireError> {
    let (open, session) = state.signed_in().await?;
    settings::show(&open.file, &session).await.wire()
}

#[tauri::command]
pub async fn sales_settings_set(
    state: State<'_, AppState>,
    change: SalesSettings,
) -> Result<SalesSettings, WireError> {
    let (open, session) = state.signed_in().await?;
    settings::update(&open.file, &session, &change).await.wire()
}
