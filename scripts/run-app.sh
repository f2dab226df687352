#!/usr/bin/env bash
# Builds and starts the desktop app: installs what is missing, builds the UI into ui/dist, then
# `cargo build -p hesabu-desktop` (the same flags as the test suite, so its build is reused; the
# default `custom-protocol` feature embeds ui/dist), and runs target/debug/hesabu-desktop.
# Arguments go to the app. HESABU_DATA_DIR moves the app's data folder (recent list, demo company).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
(cd ui && npm run build)
cargo build -p hesabu-desktop
exec target/debug/hesabu-desktop "$@"
