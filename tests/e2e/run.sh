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
exec dbus-run-session -- env NO_AT_BRIDGE=1 xvfb-run -a -s "-screen 0 1920x1080x24" \
  npm --prefix tests/e2e test "$@"
