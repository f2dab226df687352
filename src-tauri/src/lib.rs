//! Hesabu's desktop shell: a thin Tauri adapter over `hesabu-core`. It owns the window, the app's
//! own files (the recent-companies list, the demo company) and which company file is open; every
//! business rule lives in the core.
//!
//! Code map: [`commands`] (the Tauri commands, one per contract entry), [`state`] (the open
//! company file and session), [`recent`] (`recent.json`), [`wire`] (desktop-only wire types),
//! [`bindings`] (generates `ui/src/lib/bindings.ts`).

pub mod bindings;
pub mod commands;
pub mod recent;
pub mod state;
pub mod wire;

use std::path::PathBuf;

use tauri::Manager;

use crate::state::{AppState, DATA_DIR_ENV};

/// Builds and runs the app until its window closes.
pub fn run() {
    let result = tauri::Builder::default()
        .setup(|app| {
            let (data_dir, default_folder) = folders(app.handle())?;
            std::fs::create_dir_all(&data_dir).map_err(|e| {
                format!("cannot create the data folder {}: {e}", data_dir.display())
            })?;
            app.manage(AppState::new(data_dir, default_folder));
            Ok(())
        })
        .invoke_handler(commands::handler())
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("hesabu-desktop: {e}");
        std::process::exit(1);
    }
}

/// The data folder (`HESABU_DATA_DIR`, else the platform's app-data folder) and the default
/// folder for new company files (`<data dir>/companies` when the data folder is overridden, so
/// tests stay inside their temporary folder; else `Documents/Hesabu`).
fn folders(app: &tauri::AppHandle) -> tauri::Result<(PathBuf, PathBuf)> {
    if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|d| !d.is_empty()) {
        let dir = std::path::absolute(PathBuf::from(dir))?;
        let companies = dir.join("companies");
        return Ok((dir, companies));
    }
    let data_dir = app.path().app_data_dir()?;
    let documents = app.path().document_dir().or_else(|_| app.path().home_dir());
    let default_folder = match documents {
        Ok(documents) => documents.join("Hesabu"),
        Err(_) => data_dir.join("companies"),
    };
    Ok((data_dir, default_folder))
}
