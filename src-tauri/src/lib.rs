//! Hesabu's desktop shell: a thin Tauri adapter over `hesabu-core`. It owns the window, the app's
//! own files (the recent-companies list, the demo company) and which company file is open; every
//! business rule lives in the core.
//!
//! Code map: [`commands`] (the Tauri commands, one per contract entry), [`notify`] (desktop notifications), [`background`] (the scheduler loop and sync progress), [`state`] (the open
//! company file and session), [`recent`] (`recent.json`), [`wire`] (desktop-only wire types),
//! [`bindings`] (generates `ui/src/lib/bindings.ts`).

pub mod background;
pub mod bindings;
pub mod commands;
pub mod notify;
pub mod opener;
pub mod recent;
pub mod state;
pub mod wire;

use std::path::PathBuf;

use tauri::Manager;

use crate::state::{AppState, DATA_DIR_ENV};

/// Builds and runs the app until its window closes.
pub fn run() {
    let result = tauri::Builder::default()
        // The OS open / save dialogs (ui/src/lib/files.ts); capabilities/default.json grants only
        // open and save.
        .plugin(tauri_plugin_dialog::init())
        .setup(|app| {
            let folders = Folders::find(app.handle())?;
            std::fs::create_dir_all(&folders.data_dir).map_err(|e| {
                format!(
                    "cannot create the data folder {}: {e}",
                    folders.data_dir.display()
                )
            })?;
            open_main_window(app.handle(), &folders)?;
            app.manage(AppState::new(folders.data_dir, folders.default_folder));
            Ok(())
        })
        .invoke_handler(commands::handler())
        .build(tauri::generate_context!());
    match result {
        Ok(app) => app.run(|handle, event| {
            // Stop the scheduler cleanly (a running job may finish) and close the company file.
            if let tauri::RunEvent::Exit = event
                && let Some(state) = handle.try_state::<AppState>()
            {
                tauri::async_runtime::block_on(state.shutdown());
            }
        }),
        Err(e) => {
            eprintln!("hesabu-desktop: {e}");
            std::process::exit(1);
        }
    }
}

/// Where the app keeps its files.
struct Folders {
    /// `recent.json` and the demo company: `HESABU_DATA_DIR`, else the platform's app-data folder.
    data_dir: PathBuf,
    /// Where new company files go by default: `<data dir>/companies` when the data folder is
    /// overridden (tests stay inside their temporary folder), else `Documents/Hesabu`.
    default_folder: PathBuf,
    /// Whether `HESABU_DATA_DIR` chose `data_dir`.
    overridden: bool,
}

impl Folders {
    fn find(app: &tauri::AppHandle) -> tauri::Result<Self> {
        if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|d| !d.is_empty()) {
            let data_dir = std::path::absolute(PathBuf::from(dir))?;
            let default_folder = data_dir.join("companies");
            return Ok(Self {
                data_dir,
                default_folder,
                overridden: true,
            });
        }
        let data_dir = app.path().app_data_dir()?;
        let documents = app.path().document_dir().or_else(|_| app.path().home_dir());
        let default_folder = match documents {
            Ok(documents) => documents.join("Hesabu"),
            Err(_) => data_dir.join("companies"),
        };
        Ok(Self {
            data_dir,
            default_folder,
            overridden: false,
        })
    }
}

/// Opens the window declared in tauri.conf.json (which says `"create": false` so that it is
/// made here). With `HESABU_DATA_DIR` set, the webview keeps its caches and storage in there
/// too, so a test run leaves nothing in the user's profile and never sees another run's storage.
fn open_main_window(app: &tauri::AppHandle, folders: &Folders) -> tauri::Result<()> {
    for config in &app.config().app.windows {
        let mut window = tauri::WebviewWindowBuilder::from_config(app, config)?;
        if folders.overridden {
            window = window.data_directory(folders.data_dir.join("webview"));
        }
        window.build()?;
    }
    Ok(())
}
