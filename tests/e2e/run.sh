#!/usr/bin/env bash
# Runs the WebDriver end-to-end test against the already built app (target/debug/hesabu-desktop,
# from a plain `cargo build -p hesabu-desktop` after `npm run build` in ui/). Builds nothing.
# A private D-Bus session and a throwaway X server (1920×1080, so windows can be sized to both
# the 1366×768 laptop and the full-HD screenshots), so nothing is left running afterwards.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ ! -d tests/e2e/node_modules/selenium-webdriver ]; then
  (cd tests/e2e && npm install --no-audit --no-fund --loglevel=error)
fi
# HESABU_WEBKIT_COMPOSITING=1: WebKitWebDriver stops answering (every command after a click
# hangs, the app and its page stay responsive) when the window paints without accelerated
# compositing, which the app does by default on Linux to save memory (src-tauri/src/lib.rs,
# `paint_in_software`). Seen with WebKitGTK 2.50 (webkit2gtk-driver) on Debian 12 under Xvfb:
# the Sync page rendered "Sent 0" while the driver's next findElement never returned. The
# window is the same in both modes apart from how it is composited; the desktop memory bench
# (scripts/bench-desktop.sh) measures the shipped setting. --test-timeout (package.json) turns
# any such hang into a failed test instead of a CI timeout.
exec dbus-run-session -- env NO_AT_BRIDGE=1 HESABU_WEBKIT_COMPOSITING=1 xvfb-run -a -s "-screen 0 1920x1080x24" \
  npm --prefix tests/e2e test "$@"
