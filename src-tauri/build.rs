//! Build script: tauri-build reads `tauri.conf.json` (a symlink to the one at the repository
//! root), the capabilities and the icons, and prepares the context that `generate_context!`
//! embeds.

fn main() {
    // Assets embedded from ui/dist are tracked through dep-info, so an edited file triggers a
    // rebuild, but a newly added one would not: watch the folder itself too.
    println!("cargo:rerun-if-changed=../ui/dist");
    tauri_build::build();
}
