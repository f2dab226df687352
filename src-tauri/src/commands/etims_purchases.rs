//! Purchases at KRA e-TIMS on the desktop (issue 16): the sales suppliers declared against the
//! company's PIN, as last fetched, each supplier line mapped to one of the company's items, and
//! the answer (accept or reject) queued for KRA. Each command is a thin adapter over
//! `hesabu_app::etims::purchases`, which checks the permissions and every rule; listed in the
//! command table in [`super`].
//!
//! The wire types are the desktop's view of the app layer's: amounts and quantities as exact
//! decimal text, no outbox ids or frozen JSON. Errors go through [`super::desktop_error`], which
//! words the app layer's `hesabu …` mentions for the window.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use hesabu_app::etims::Timeouts;
use hesabu_app::etims::purchases::{self, PurchaseLineView, PurchaseState, PurchaseView};
use hesabu_store::WireError;
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::Result;
use tauri::State;

use super::{desktop_error, desktop_message};
use crate::state::AppState;

// ---- wire types -------------------------------------------------------------------------------

/// One supplier line and the company's item it maps to.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct PurchaseLineRow {
    #[ts(type = "number")]
    pub line: i64,
    /// The supplier's item code and name, as declared.
    pub supplier_item_code: Option<String>,
    pub supplier_item_name: Option<String>,
    /// Exact decimal text.
    pub quantity: Option<String>,
    pub quantity_unit: Option<String>,
    pub unit_price: Option<String>,
    /// KRA's tax type (A–E).
    pub tax_type: Option<String>,
    pub total: Option<String>,
    /// The company's item (none: not mapped and nothing proposed).
    pub item_id: Option<String>,
    pub item_code: Option<String>,
    pub item_name: Option<String>,
    /// `user` (chosen by a person) or `proposed` (an exact match Hesabu found).
    pub mapped_by: Option<String>,
}

/// A supplier's sale to the company and the company's answer.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct PurchaseRow {
    pub id: String,
    pub supplier_name: Option<String>,
    pub supplier_pin: String,
    pub supplier_branch: String,
    /// The supplier's invoice number at KRA.
    #[ts(type = "number")]
    pub supplier_invoice: i64,
    /// KRA's `yyyyMMdd`.
    pub sales_date: Option<String>,
    /// Exact decimal text (KES).
    pub total: Option<String>,
    pub total_tax: Option<String>,
    /// `awaiting_review`, `queued`, `confirmed` or `rejected_by_kra`.
    pub state: String,
    /// `accepted` or `rejected` (none: not answered).
    pub answer: Option<String>,
    pub reason: Option<String>,
    /// Our purchase number at KRA.
    #[ts(type = "number | null")]
    pub number: Option<i64>,
    /// KRA's answer to our last send, verbatim.
    pub kra_code: Option<String>,
    pub kra_message: Option<String>,
    /// Where sending the answer stands: `ready`, `in_flight`, `done` or `dead`.
    pub sync_state: Option<String>,
    pub sync_error: Option<String>,
    pub fetched_at: String,
    pub answered_at: Option<String>,
    /// Empty in lists; filled by [`etims_purchase_show`] and the answers.
    pub lines: Vec<PurchaseLineRow>,
}

/// The suppliers' sales as last fetched.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct PurchasesView {
    pub purchases: Vec<PurchaseRow>,
    pub refreshed_at: Option<String>,
    pub last_error: Option<String>,
}

/// What fetching from KRA brought, and the list after it.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct PurchasesFetched {
    pub received: u32,
    pub new: u32,
    /// Why the fetch failed, if it did.
    pub error: Option<String>,
    pub view: PurchasesView,
}

// ---- conversions ------------------------------------------------------------------------------

fn line_row(l: PurchaseLineView) -> PurchaseLineRow {
    PurchaseLineRow {
        line: l.item_seq,
        supplier_item_code: l.supplier_item_cd,
        supplier_item_name: l.supplier_item_nm,
        quantity: l.quantity,
        quantity_unit: l.quantity_unit,
        unit_price: l.unit_price,
        tax_type: l.tax_type,
        total: l.total,
        item_id: l.item_id,
        item_code: l.item_code,
        item_name: l.item_name,
        mapped_by: l.mapped_by,
    }
}

/// The desktop's row of a purchase.
pub fn purchase_row(p: PurchaseView) -> PurchaseRow {
    PurchaseRow {
        id: p.id,
        supplier_name: p.supplier_name,
        supplier_pin: p.supplier_tin,
        supplier_branch: p.supplier_bhf_id,
        supplier_invoice: p.supplier_invc_no,
        sales_date: p.sales_date,
        total: p.total,
        total_tax: p.total_tax,
        state: p.state.as_str().to_owned(),
        answer: p.answer.map(|a| a.as_str().to_owned()),
        reason: p.reason,
        number: p.invc_no,
        kra_code: p.result_cd,
        kra_message: p.result_msg,
        sync_state: p.sync_state,
        sync_error: p.sync_error,
        fetched_at: p.fetched_at,
        answered_at: p.answered_at,
        lines: p.lines.into_iter().map(line_row).collect(),
    }
}

/// The list (optionally one state) with the fetch state.
pub async fn purchases_view(
    file: &CompanyFile,
    session: &Session,
    state: Option<&str>,
) -> Result<PurchasesView> {
    let state = state.map(PurchaseState::parse).transpose()?;
    let list = purchases::list(file, session, state).await?;
    let fetch = purchases::fetch_state(file, session).await?;
    Ok(PurchasesView {
        purchases: list.into_iter().map(purchase_row).collect(),
        refreshed_at: fetch.refreshed_at,
        last_error: fetch.last_error,
    })
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

// ---- commands ---------------------------------------------------------------------------------

/// The suppliers' sales as last fetched; `filter` keeps one state only (`awaiting_review`,
/// `queued`, `confirmed`, `rejected_by_kra`).
#[tauri::command]
pub async fn etims_purchases(
    state: State<'_, AppState>,
    filter: Option<String>,
) -> std::result::Result<PurchasesView, WireError> {
    let (open, session) = state.signed_in().await?;
    purchases_view(&open.file, &session, filter.as_deref())
        .await
        .map_err(desktop_error)
}

/// Fetches the suppliers' sales from KRA, then answers the whole list.
#[tauri::command]
pub async fn etims_purchases_refresh(
    state: State<'_, AppState>,
) -> std::result::Result<PurchasesFetched, WireError> {
    let (open, session) = state.signed_in().await?;
    let secrets = hesabu_store::secrets::store_from_env().map_err(desktop_error)?;
    let r = purchases::refresh(&open.file, &session, secrets.as_ref(), Timeouts::default())
        .await
        .map_err(desktop_error)?;
    let view = purchases_view(&open.file, &session, None)
        .await
        .map_err(desktop_error)?;
    Ok(PurchasesFetched {
        received: count(r.received),
        new: count(r.new),
        error: r.error.as_deref().map(desktop_message),
        view,
    })
}

/// One supplier sale with its lines and their mapping.
#[tauri::command]
pub async fn etims_purchase_show(
    state: State<'_, AppState>,
    id: String,
) -> std::result::Result<PurchaseRow, WireError> {
    let (open, session) = state.signed_in().await?;
    purchases::show(&open.file, &session, &id)
        .await
        .map(purchase_row)
        .map_err(desktop_error)
}

/// Maps supplier line `line` of purchase `id` to the company's item `item` (its id or code).
#[tauri::command]
pub async fn etims_purchase_map(
    state: State<'_, AppState>,
    id: String,
    line: u32,
    item: String,
) -> std::result::Result<PurchaseRow, WireError> {
    let (open, session) = state.signed_in().await?;
    purchases::map_line(&open.file, &session, &id, i64::from(line), &item)
        .await
        .map(purchase_row)
        .map_err(desktop_error)
}

/// Accepts the purchase (every line mapped) and queues the answer for KRA.
#[tauri::command]
pub async fn etims_purchase_accept(
    state: State<'_, AppState>,
    id: String,
) -> std::result::Result<PurchaseRow, WireError> {
    let (open, session) = state.signed_in().await?;
    purchases::accept(&open.file, &session, &id)
        .await
        .map(purchase_row)
        .map_err(desktop_error)
}

/// Rejects the purchase with a reason and queues the answer for KRA.
#[tauri::command]
pub async fn etims_purchase_reject(
    state: State<'_, AppState>,
    id: String,
    reason: String,
) -> std::result::Result<PurchaseRow, WireError> {
    let (open, session) = state.signed_in().await?;
    purchases::reject(&open.file, &session, &id, &reason)
        .await
        .map(purchase_row)
        .map_err(desktop_error)
}
