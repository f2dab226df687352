//! ETR receipts: the list, one receipt with its signature and print history, a text preview,
//! saving the PDF where the user chose in the save dialog, printing, the printers and the
//! receipt settings. Each is a thin adapter over one service of `hesabu_app::receipts` (which
//! stores, logs and checks permissions). Listed in the command table in [`super`].

use std::path::Path;

use hesabu_app::receipts::{
    self, PaperFormat, PrintRequest, PrintResult, PrinterList, Printers, ReceiptDetail,
    ReceiptPage, ReceiptPreview, ReceiptQuery, ReceiptSettings,
};
use hesabu_store::WireError;
use tauri::State;

use crate::state::{AppState, IntoWire};

/// Receipts of issued sales, newest first, one page at a time.
#[tauri::command]
pub async fn receipts_list(
    state: State<'_, AppState>,
    query: ReceiptQuery,
) -> Result<ReceiptPage, WireError> {
    let (open, session) = state.signed_in().await?;
    receipts::list(&open.file, &session, &query).await.wire()
}

/// One receipt (by document id or number): status, KRA's signature, stored originals, prints.
#[tauri::command]
pub async fn receipt_show(
    state: State<'_, AppState>,
    key: String,
) -> Result<ReceiptDetail, WireError> {
    let (open, session) = state.signed_in().await?;
    receipts::show(&open.file, &session, &key).await.wire()
}

/// The receipt as text laid out for `format`, as it would print next.
#[tauri::command]
pub async fn receipt_preview(
    state: State<'_, AppState>,
    key: String,
    format: PaperFormat,
    copy: bool,
) -> Result<ReceiptPreview, WireError> {
    let (open, session) = state.signed_in().await?;
    receipts::preview(&open.file, &session, &key, format, copy)
        .await
        .wire()
}

/// Saves the receipt's PDF to `path` (chosen in the save dialog); recorded like a print.
#[tauri::command]
pub async fn receipt_save_pdf(
    state: State<'_, AppState>,
    key: String,
    format: PaperFormat,
    copy: bool,
    path: String,
) -> Result<PrintResult, WireError> {
    let (open, session) = state.signed_in().await?;
    receipts::save_pdf(&open.file, &session, &key, format, copy, Path::new(&path))
        .await
        .wire()
}

/// Prints the receipt (original first, then COPY) on the chosen or the format's printer.
#[tauri::command]
pub async fn receipt_print(
    state: State<'_, AppState>,
    key: String,
    request: PrintRequest,
) -> Result<PrintResult, WireError> {
    let (open, session) = state.signed_in().await?;
    receipts::print(&open.file, &session, &key, &request, &Printers::system())
        .await
        .wire()
}

/// The computer's printers and the printer set for each format.
#[tauri::command]
pub async fn receipt_printers(state: State<'_, AppState>) -> Result<PrinterList, WireError> {
    let (open, session) = state.signed_in().await?;
    receipts::printers(&open.file, &session, &Printers::system())
        .await
        .wire()
}

/// Replaces the receipt settings (messages, default format, printers).
#[tauri::command]
pub async fn receipt_settings_set(
    state: State<'_, AppState>,
    change: ReceiptSettings,
) -> Result<ReceiptSettings, WireError> {
    let (open, session) = state.signed_in().await?;
    receipts::update_settings(&open.file, &session, &change)
        .await
        .wire()
}
