//! Opens a file or folder with the desktop's default application (the PDF viewer, the file
//! manager): `xdg-open` on Linux, `open` on macOS, `explorer` on Windows. Fire and forget; the
//! command returns the path so the UI can show it when nothing opens (no desktop, as in CI).

use std::path::Path;

use hesabu_store::{Error, WireError};

#[cfg(target_os = "macos")]
const OPENER: &str = "open";
#[cfg(target_os = "windows")]
const OPENER: &str = "explorer";
#[cfg(not(any(target_os = "macos", target_os = "windows")))]
const OPENER: &str = "xdg-open";

/// Starts the opener on `path` and returns the path as text.
pub fn open(path: &Path) -> Result<String, WireError> {
    let shown = path.display().to_string();
    std::process::Command::new(OPENER)
        .arg(path)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map(|mut child| {
            // Reap it when it exits (xdg-open returns at once; a viewer may run long).
            std::thread::spawn(move || child.wait());
            shown.clone()
        })
        .map_err(|e| {
            Error::Unavailable(format!(
                "Could not open {shown} ({OPENER}: {e}). Open it from your file manager."
            ))
            .to_wire()
        })
}
