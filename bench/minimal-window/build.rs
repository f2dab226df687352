//! Build script: tauri-build reads `tauri.conf.json` and prepares the context that
//! `generate_context!` embeds (the page in `dist/`).

fn main() {
    println!("cargo:rerun-if-changed=dist");
    tauri_build::build();
}
