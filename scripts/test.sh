#!/usr/bin/env bash
# The whole test suite, as CI runs it (README's second command). Installs what it needs first.
#   fmt check, clippy (warnings denied), Rust unit + integration tests (incl. the TS bindings
#   drift check), the Tauri boundary check, UI type check + Vitest, and the WebDriver
#   end-to-end test of the real desktop window under Xvfb.
# Every cargo call uses the same flag set, so nothing is compiled twice.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
# A clean clone gains nothing from incremental compilation, and its cache is a third of the
# target directory (CI once ran out of disk): CI builds without it; a developer's run keeps it.
if [ "${CI:-}" = true ]; then export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}; fi
start=$(date +%s)
step() { printf '\n==> [%ss] %s\n' "$(( $(date +%s) - start ))" "$*"; }

step "installing dependencies"
scripts/install-deps.sh --test

step "UI: build, type check, unit tests (Vitest)"
(cd ui && npm run build && npm run check && npm test)

step "cargo fmt --check"
cargo fmt --all -- --check

step "the core never depends on Tauri; the sync contract on no database or keyring"
for crate in hesabu-sync-api hesabu-store hesabu-core hesabu-app; do
  boundary=$(cargo tree -p "$crate" -i tauri --edges all 2>/dev/null || true)
  if [ -n "$boundary" ]; then
    echo "$crate depends on tauri:"; echo "$boundary"; exit 1
  fi
done
echo "ok: cargo tree -i tauri is empty for hesabu-sync-api, -store, -core and -app"
contract=$(cargo tree -p hesabu-sync-api --all-features -e normal,build --prefix none --format '{p}')
for forbidden in sea-orm sqlx rusqlite keyring hesabu-store hesabu-core; do
  if printf '%s\n' "$contract" | grep -q "^$forbidden "; then
    echo "hesabu-sync-api depends on $forbidden"; exit 1
  fi
done
echo "ok: hesabu-sync-api depends on none of sea-orm, sqlx, rusqlite, keyring or the store"

step "cargo build (every crate and test target, the desktop binary the E2E test drives)"
cargo build --workspace --all-targets

step "cargo clippy (warnings denied)"
cargo clippy --workspace --all-targets -- -D warnings

step "Rust unit and integration tests"
# The approval race test decides one step from two threads this many times (the issue asks for
# 1,000; a plain `cargo test` runs 200 to keep the dev loop quick).
export HESABU_RACE_ITERATIONS=${HESABU_RACE_ITERATIONS:-1000}
# The large budget import test imports this many rows (5,000 in a plain `cargo test`).
export HESABU_IMPORT_ROWS=${HESABU_IMPORT_ROWS:-100000}
# The receipt printing test prints through a real CUPS scheduler to the cups-pdf virtual
# printer and reads back the PDF it makes (crates/hesabu-receipts/tests/print/cups_pdf.rs).
# The script starts the scheduler and adds the queue; it exits 3 only where AppArmor confines
# cups-pdf (a desktop Debian/Ubuntu with its profile enforced): there a developer's run skips
# that one test with the script's fix printed, and CI fails.
cups_status=0
cups_dir=$(scripts/cups-pdf-printer.sh) || cups_status=$?
if [ "$cups_status" = 0 ]; then
  export HESABU_CUPS_PDF_PRINTER=Hesabu-PDF HESABU_CUPS_PDF_DIR="$cups_dir"
elif [ "$cups_status" = 3 ] && [ "${CI:-}" != true ]; then
  echo "warning: the real-CUPS printing test will be skipped (see the message above)" >&2
else
  echo "error: could not set up the cups-pdf test printer (exit $cups_status; see above)" >&2
  exit 1
fi
# Every test binary runs even after one fails, so one run shows every failure.
cargo test --workspace --no-fail-fast

step "benchmark smoke runs (tiny sizes: they must still run; figures are not checked here)"
# The real runs are by hand, in release mode, recorded in docs/benchmarks.md.
cargo run -q -p hesabu-cli --example approval_bench -- 50 5
cargo run -q -p hesabu-cli --example budget_bench -- 20 500
cargo run -q -p hesabu-cli --example outbox_bench -- 10 1
cargo run -q -p hesabu-cli --example etims_bench -- 3 1
cargo run -q -p hesabu-cli --example sales_bench -- 10 50 60 120
cargo run -q -p hesabu-cli --example open_bench -- 1 500 1
cargo run -q -p hesabu-cli --example qbo_pull_bench -- 50 10 50 3000
cargo run -q -p hesabu-receipts --example render_bench -- 2 1
# The desktop start-up and memory bench needs a release build and minutes: only parse it here
# (the workspace build above already built its minimal window).
bash -n scripts/bench-desktop.sh && node --check bench/desktop/bench.mjs

step "end-to-end: the real desktop window through WebDriver (Xvfb)"
tests/e2e/run.sh

step "all green"
