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
pub mod desktop_words;
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
        let window = window.build()?;
        #[cfg(target_os = "linux")]
        paint_in_software(&window)?;
        #[cfg(not(target_os = "linux"))]
        let _ = window;
    }
    Ok(())
}

/// Set to `1` to keep WebKitGTK's accelerated compositing (a machine whose GPU makes scrolling
/// smoother with it, or to compare).
pub const COMPOSITING_ENV: &str = "HESABU_WEBKIT_COMPOSITING";

/// Turns WebKitGTK's accelerated compositing off for Hesabu's window (Linux only; the other
/// platforms' webviews are left as they are).
///
/// With it on, WebKit keeps every page's layer tiles in its web process's memory when it
/// composites in software (no GPU, a virtual display, many office machines): touring Hesabu's
/// pages took the desktop to 1.71× the memory of an empty Tauri window, against a target of
/// 1.5×; without it, about 1.1× (docs/benchmarks.md, desktop memory). The cost is painting on
/// the web process's main thread: the page part of start-up measured about 65 ms longer, and
/// long tables scroll a little less smoothly. Hesabu's pages are forms and tables without
/// animation, so memory wins; `HESABU_WEBKIT_COMPOSITING=1` keeps compositing.
#[cfg(target_os = "linux")]
fn paint_in_software(window: &tauri::WebviewWindow) -> tauri::Result<()> {
    if std::env::var(COMPOSITING_ENV).is_ok_and(|v| v == "1") {
        return Ok(());
    }
    window.with_webview(|webview| {
        use webkit2gtk::{HardwareAccelerationPolicy, SettingsExt, WebViewExt};
        if let Some(settings) = WebViewExt::settings(&webview.inner()) {
            settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
        }
    })
}
