#!/usr/bin/env bash
# Start-up and memory of the desktop app against the floor of its stack, a minimal Tauri window
# built with the same tauri / wry / webkit2gtk (bench/minimal-window). Run by hand; the figures
# go in docs/benchmarks.md ("Desktop start-up and memory").
#
#   scripts/bench-desktop.sh              build both in release, then 5 runs of each
#   scripts/bench-desktop.sh 9            9 runs of each
#   scripts/bench-desktop.sh --no-build   measure the binaries already in target/release
#
# The build is the packaged app's: ui/ built by `npm run build` (what `tauri build` runs first,
# beforeBuildCommand) and `cargo build --release` with the crate's default features, which embed
# ui/dist (custom-protocol; scripts/package.sh builds the same). Both binaries are built by one
# cargo call, so tauri and everything under it is compiled once with the same features for both.
#
# Each run starts the app through tauri-driver under Xvfb, in a private D-Bus session (as
# tests/e2e/run.sh), with a fresh data folder; what is measured and how is at the top of
# bench/desktop/bench.mjs. Extra environment: BENCH_SETTLE_MS, BENCH_JSON (see there).
set -euo pipefail
cd "$(dirname "$0")/.."

build=1
runs=5
for arg in "$@"; do
  case "$arg" in
    --no-build) build=0 ;;
    ''|*[!0-9]*) echo "usage: scripts/bench-desktop.sh [--no-build] [RUNS]" >&2; exit 2 ;;
    *) runs=$arg ;;
  esac
done

if [ "$build" = 1 ]; then
  echo "==> building the UI and both apps in release" >&2
  (cd ui && npm run build >&2)
  cargo build --release -p hesabu-desktop -p hesabu-minimal-window >&2
fi
for bin in target/release/hesabu-desktop target/release/hesabu-minimal-window; do
  [ -x "$bin" ] || { echo "$bin is missing: run without --no-build" >&2; exit 1; }
done
if [ ! -d bench/desktop/node_modules/selenium-webdriver ]; then
  (cd bench/desktop && npm install --no-audit --no-fund --loglevel=error >&2)
fi

# The machine, for the record in docs/benchmarks.md.
{
  echo "==> $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), $(free -m | awk '/^Mem:/ {print $2}') MiB RAM, $(uname -sr)"
  echo "    webkit2gtk $(dpkg-query -W -f '${Version}' libwebkit2gtk-4.1-0 2>/dev/null || echo '?'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "    binaries: hesabu-desktop $(du -m target/release/hesabu-desktop | cut -f1) MiB, hesabu-minimal-window $(du -m target/release/hesabu-minimal-window | cut -f1) MiB"
} >&2

BENCH_RUNS=$runs exec dbus-run-session -- env NO_AT_BRIDGE=1 xvfb-run -a -s "-screen 0 1280x800x24" \
  node bench/desktop/bench.mjs
