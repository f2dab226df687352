#!/usr/bin/env bash
# Builds the Debian package of the desktop app with the Tauri CLI.
#   scripts/package.sh            release build -> target/release/bundle/deb/Hesabu_<version>_amd64.deb
#   scripts/package.sh --debug    quicker, unoptimised  -> target/debug/bundle/deb/...
# Extra arguments go to `tauri build`.
#
# tauri.conf.json lives at the repository root and src-tauri/tauri.conf.json links to it. The CLI
# takes the folder holding the config for the app crate, so it is pointed at src-tauri explicitly
# (paths inside the config are relative to src-tauri), and at ui/ for the frontend, where it
# runs `npm run build` (beforeBuildCommand) first.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

TAURI_APP_PATH=src-tauri TAURI_FRONTEND_PATH=ui npx --prefix ui tauri build --bundles deb "$@"

echo "==> built:"
ls -l target/*/bundle/deb/*.deb
