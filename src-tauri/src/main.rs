//! Entry point of the `hesabu-desktop` binary; everything else is in the library.

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    hesabu_desktop::run();
}
