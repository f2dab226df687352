//! Exports: any list to a CSV or XLSX file the user chose in the save dialog. A thin adapter
//! over `hesabu_app::export`, which picks the list's table (with that list's own permission and
//! scope) and writes the file whole or not at all. Listed in the command table in [`super`].

use hesabu_app::export::{self, ExportRequest, ExportResult};
use hesabu_store::WireError;
use hesabu_store::export::Format;
use tauri::State;

use crate::state::{AppState, IntoWire};

/// Writes the list `request` names (with its page's filters) to `path` as `format`; returns the
/// file written and how many rows it holds.
#[tauri::command]
pub async fn export_list(
    state: State<'_, AppState>,
    request: ExportRequest,
    format: Format,
    path: String,
) -> Result<ExportResult, WireError> {
    let (open, session) = state.signed_in().await?;
    export::export(
        &open.file,
        &session,
        &request,
        format,
        std::path::Path::new(&path),
    )
    .await
    .wire()
}
