#!/usr/bin/env bash
# Installs everything Hesabu needs to build, run and test on Debian 12 / Ubuntu 22.04+.
# Idempotent: each step is skipped when its tool is already present, so re-runs cost seconds.
# Usage: scripts/install-deps.sh [--test]   (--test adds the Xvfb/WebDriver tools the E2E test needs)
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

apt_missing=()
need_pkg() { dpkg -s "$1" >/dev/null 2>&1 || apt_missing+=("$1"); }

# Build dependencies of Tauri 2 on Linux (WebKitGTK 4.1 and friends).
for p in libwebkit2gtk-4.1-dev build-essential curl wget file libxdo-dev libssl-dev \
         libayatana-appindicator3-dev librsvg2-dev pkg-config; do need_pkg "$p"; done
# The receipt renderer's tests read its PDFs as a person or a scanner would: pdftotext and
# pdftoppm (poppler-utils), zbarimg (zbar-tools). `cargo test -p hesabu-receipts` needs them.
for p in poppler-utils zbar-tools; do need_pkg "$p"; done
if [ "$want_test" = 1 ]; then
  # Headless window, WebDriver for WebKitGTK, a session bus for the E2E run.
  for p in xvfb xauth webkit2gtk-driver dbus dbus-x11 at-spi2-core fonts-dejavu-core xdotool; do need_pkg "$p"; done
  # A real CUPS scheduler and the cups-pdf virtual printer: the receipt printing test prints
  # through them (scripts/cups-pdf-printer.sh sets the queue up).
  for p in cups cups-client printer-driver-cups-pdf; do need_pkg "$p"; done
fi
if [ ${#apt_missing[@]} -gt 0 ]; then
  echo "==> apt: installing ${apt_missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${apt_missing[@]}"
fi

if ! command -v cargo >/dev/null; then
  echo "error: Rust is not installed. Install it with rustup (https://rustup.rs), then re-run." >&2
  exit 1
fi
if ! command -v npm >/dev/null; then
  echo "error: Node.js 20+ and npm are not installed. Install them, then re-run." >&2
  exit 1
fi

# tauri-driver bridges WebDriver to WebKitWebDriver for the end-to-end test. Pin 2.x: 3.0 alphas exist.
if [ "$want_test" = 1 ] && ! command -v tauri-driver >/dev/null; then
  echo "==> cargo install tauri-driver 2.x"
  cargo install tauri-driver --locked --version '^2'
fi

# UI dependencies. `npm install` (not `npm ci`): the registry serves only the Linux builds of some
# optional platform packages, so a strict `npm ci` would refuse the lock file.
echo "==> npm install (ui)"
(cd ui && npm install --no-audit --no-fund --loglevel=error)
if [ "$want_test" = 1 ] && [ -f tests/e2e/package.json ]; then
  echo "==> npm install (tests/e2e)"
  (cd tests/e2e && npm install --no-audit --no-fund --loglevel=error)
fi
