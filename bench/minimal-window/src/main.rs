//! The floor for Hesabu's desktop stack, measured by `scripts/bench-desktop.sh`: one Tauri window
//! built with the workspace's tauri (so the same wry and webkit2gtk, the same features and the
//! same release profile as `hesabu-desktop`) showing a static page with no framework.
//!
//! It starts the way Hesabu does (`src-tauri/src/lib.rs`): the window is declared in
//! `tauri.conf.json` with `"create": false` and built in `setup`, with the webview's storage
//! under `HESABU_DATA_DIR` when that is set; and its page becomes interactive the way Hesabu's
//! start screen does: a module script asks the app for something over IPC (`start_info` there,
//! [`ping`] here) and then shows a button (`#open-demo` there, `#ready` here).

// No console window on Windows release builds, as for hesabu-desktop.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::path::PathBuf;

/// The one command: the page's IPC round trip before it shows its button.
#[tauri::command]
fn ping() -> &'static str {
    "pong"
}

fn main() {
    let result = tauri::Builder::default()
        .setup(|app| {
            let data_dir = std::env::var_os("HESABU_DATA_DIR").filter(|d| !d.is_empty());
            for config in &app.config().app.windows {
                let mut window = tauri::WebviewWindowBuilder::from_config(app.handle(), config)?;
                if let Some(dir) = &data_dir {
                    window = window.data_directory(PathBuf::from(dir).join("webview"));
                }
                window.build()?;
            }
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![ping])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("hesabu-minimal-window: {e}");
        std::process::exit(1);
    }
}
