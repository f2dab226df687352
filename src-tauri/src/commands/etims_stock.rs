//! Stock of goods at KRA e-TIMS on the desktop: the levels, the movements, recording opening
//! stock and adjusting it. Thin adapters over `hesabu_app::etims::stock` (which checks the
//! permissions and reports each change to KRA through the outbox); listed in the command table
//! in [`super`]. The wire types are the service's own (`StockLevelView`, `StockMovementView`),
//! re-exported here for the command table and the bindings.

use tauri::State;

use hesabu_app::etims::stock;
pub use hesabu_app::etims::stock::{
    StockLevelView, StockLineView, StockMovementKind, StockMovementView,
};
use hesabu_store::WireError;

use crate::state::{AppState, IntoWire};

/// Every goods item's quantity on hand and how its last movement stands at KRA.
#[tauri::command]
pub async fn etims_stock_levels(
    state: State<'_, AppState>,
) -> Result<Vec<StockLevelView>, WireError> {
    let (open, session) = state.signed_in().await?;
    stock::levels(&open.file, &session).await.wire()
}

/// The stock movements, newest first; of one item when `item` is given.
#[tauri::command]
pub async fn etims_stock_moves(
    state: State<'_, AppState>,
    item: Option<String>,
) -> Result<Vec<StockMovementView>, WireError> {
    let (open, session) = state.signed_in().await?;
    stock::movements(&open.file, &session, item.as_deref(), None)
        .await
        .wire()
}

/// Records the opening stock of a goods item (queued for KRA).
#[tauri::command]
pub async fn etims_stock_opening(
    state: State<'_, AppState>,
    item: String,
    quantity: String,
    cost: String,
) -> Result<StockMovementView, WireError> {
    let (open, session) = state.signed_in().await?;
    let quantity = stock::parse_decimal(&quantity, "quantity").wire()?;
    let cost = stock::parse_decimal(&cost, "unit cost").wire()?;
    stock::opening(&open.file, &session, &item, quantity, cost)
        .await
        .wire()
}

/// Corrects the stock of a goods item by `delta` (negative: out), for `reason`.
#[tauri::command]
pub async fn etims_stock_adjust(
    state: State<'_, AppState>,
    item: String,
    delta: String,
    reason: String,
) -> Result<StockMovementView, WireError> {
    let (open, session) = state.signed_in().await?;
    let delta = stock::parse_decimal(&delta, "adjustment").wire()?;
    stock::adjust(&open.file, &session, &item, delta, &reason)
        .await
        .wire()
}
