#!/usr/bin/env bash
# Sets up the cups-pdf virtual printer that the CUPS integration test prints to
# (crates/hesabu-receipts/tests/print/cups_pdf.rs), and prints the directory its PDFs land in
# as the only line on standard output; everything else goes to standard error.
#
#   out_dir=$(scripts/cups-pdf-printer.sh)
#   HESABU_CUPS_PDF_PRINTER=Hesabu-PDF HESABU_CUPS_PDF_DIR=$out_dir \
#     cargo test -p hesabu-receipts --test print cups_pdf -- --nocapture
#
# Needs root (or sudo) and the Debian packages cups, cups-client and printer-driver-cups-pdf
# (scripts/install-deps.sh --test installs them). Idempotent: a running scheduler and a queue
# already set up are left as they are, so a re-run costs well under a second.
#
# 1. The scheduler: started when `lpstat -r` says it is not running — through systemd where
#    systemd runs the machine, else `cupsd` directly (a container, CI) — then waited for.
# 2. The queue `Hesabu-PDF`, device `cups-pdf:/hesabu`, cups-pdf's own PPD (found with
#    `lpinfo -m`), enabled and accepting jobs. CUPS turns the receipt PDF into PostScript for
#    cups-pdf, by default with Ghostscript, which redraws the fonts as Type 3 glyphs: right on
#    paper, but pdftotext cannot read them back. This queue converts with pdftocairo instead
#    (`pdftops-renderer-default`, as Debian's cups-pdf README suggests), so the text survives.
# 3. Its configuration: cups-pdf reads /etc/cups/cups-pdf-NAME.conf for a device
#    `cups-pdf:/NAME` instead of /etc/cups/cups-pdf.conf, so this queue gets its own file and the
#    system's `PDF` queue (output in ~/PDF) is not touched. It writes every job to
#    /var/spool/cups-pdf/hesabu, whoever printed it, named from the job's title with the job
#    id appended (`Label 2`: TITLE-job_12.pdf), so a test can find its own job's PDF.
set -euo pipefail

QUEUE=Hesabu-PDF
INSTANCE=hesabu
DEVICE="cups-pdf:/$INSTANCE"
CONF="/etc/cups/cups-pdf-$INSTANCE.conf"
OUT_DIR="/var/spool/cups-pdf/$INSTANCE"
BACKEND=/usr/lib/cups/backend/cups-pdf
WAIT_SECONDS=30

say() { echo "cups-pdf-printer: $*" >&2; }
die() { echo "cups-pdf-printer: error: $*" >&2; exit 1; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || die "setting up a printer needs root: run this as root, or install sudo"
  SUDO="sudo"
fi

# 0. The tools. cupsd and lpadmin live in sbin, which a non-root PATH may lack.
export PATH="$PATH:/usr/sbin:/sbin"
for tool in lpstat lpadmin lpinfo lpoptions cupsd cupsenable cupsaccept; do
  command -v "$tool" >/dev/null \
    || die "'$tool' is not installed: apt-get install cups cups-client printer-driver-cups-pdf (or run scripts/install-deps.sh --test)"
done
[ -x "$BACKEND" ] \
  || die "the cups-pdf backend ($BACKEND) is not installed: apt-get install printer-driver-cups-pdf (or run scripts/install-deps.sh --test)"
# AppArmor's profile for cups-pdf lets it read /etc/cups/cups-pdf.conf only: under it the
# queue's own configuration would be ignored and the PDFs would land elsewhere. This is the one
# failure that exits 3 rather than 1, so scripts/test.sh can tell it from a broken set-up: on a
# developer's machine it skips the real-CUPS test with this message; in CI it fails.
profiles=/sys/kernel/security/apparmor/profiles
if [ -r "$profiles" ] && grep -q "^$BACKEND (enforce)" "$profiles"; then
  echo "cups-pdf-printer: error: AppArmor confines $BACKEND, so it cannot read $CONF. Put it in complain mode (sudo aa-complain $BACKEND, package apparmor-utils) or add '$CONF r,' to its profile in /etc/apparmor.d/usr.sbin.cupsd, then re-run" >&2
  exit 3
fi

# 1. The queue's cups-pdf configuration (written before any job can read it).
# No comments in it: cups-pdf 3.0.1 leaks comment text into the output file names.
conf_text="Out $OUT_DIR
AnonDirName $OUT_DIR
Label 2
Grp lpadmin"
if [ "$(cat "$CONF" 2>/dev/null || true)" != "$conf_text" ]; then
  say "writing $CONF (output in $OUT_DIR)"
  printf '%s\n' "$conf_text" | $SUDO tee "$CONF" >/dev/null
fi
# Sticky and writable by all, as /tmp: cups-pdf writes each job as the user who printed it.
if [ ! -d "$OUT_DIR" ] || [ "$(stat -c %a "$OUT_DIR")" != 1777 ]; then
  $SUDO mkdir -p "$OUT_DIR"
  $SUDO chmod 1777 "$OUT_DIR"
fi

# 2. The scheduler. `lpstat -r` exits 0 either way; only its words tell.
running() { [ "$(LC_ALL=C lpstat -r 2>/dev/null)" = "scheduler is running" ]; }
if ! running; then
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
    say "starting the CUPS scheduler (systemctl start cups)"
    $SUDO systemctl start cups || die "systemctl start cups failed: see journalctl -u cups"
  else
    # No systemd (a container, CI): cupsd puts itself in the background. Its output goes to a
    # file, not to this script's standard output, which a caller may be reading to its end.
    log=$(mktemp /tmp/hesabu-cupsd.XXXXXX)
    say "starting the CUPS scheduler (cupsd; its start-up messages in $log)"
    $SUDO cupsd </dev/null >"$log" 2>&1 || die "cupsd did not start: $(cat "$log")"
  fi
  for _ in $(seq $((WAIT_SECONDS * 5))); do
    running && break
    sleep 0.2
  done
  running || die "the CUPS scheduler was started but 'lpstat -r' still says '$(LC_ALL=C lpstat -r 2>&1)' after ${WAIT_SECONDS}s: see /var/log/cups/error_log"
  [ -z "${log:-}" ] || rm -f "$log"
fi

# 3. The queue.
RENDERER=pdftocairo
current=$(LC_ALL=C lpstat -v "$QUEUE" 2>/dev/null || true)
renderer=$(lpoptions -p "$QUEUE" 2>/dev/null | tr ' ' '\n' | sed -n 's/^pdftops-renderer=//p' || true)
if [ "$current" != "device for $QUEUE: $DEVICE" ] || [ "$renderer" != "$RENDERER" ]; then
  # cups-pdf's PPD as CUPS names it (Debian: lsb/usr/cups-pdf/CUPS-PDF_opt.ppd).
  models=$(lpinfo -m 2>/dev/null | awk '{print $1}' | grep -i 'cups-pdf' || true)
  model=$(printf '%s\n' "$models" | grep -i '_opt\.ppd$' | head -n 1 || true)
  [ -n "$model" ] || model=$(printf '%s\n' "$models" | grep -i '\.ppd$' | head -n 1 || true)
  [ -n "$model" ] || die "'lpinfo -m' lists no cups-pdf driver: reinstall printer-driver-cups-pdf"
  say "setting up the queue $QUEUE ($DEVICE, driver $model)"
  # CUPS 2.4 warns on stderr that PPD drivers are deprecated; cups-pdf has no other kind.
  $SUDO lpadmin -p "$QUEUE" -E -v "$DEVICE" -m "$model" -D "Hesabu test PDF printer" \
    -o "pdftops-renderer-default=$RENDERER" \
    || die "lpadmin could not add the queue $QUEUE (see /var/log/cups/error_log)"
fi
# A queue stopped by a failed job, or set to reject jobs, is put back in service.
$SUDO cupsenable "$QUEUE" || die "cupsenable $QUEUE failed"
$SUDO cupsaccept "$QUEUE" || die "cupsaccept $QUEUE failed"
LC_ALL=C lpstat -e | grep -qx "$QUEUE" \
  || die "the queue $QUEUE was set up but 'lpstat -e' does not list it: see /var/log/cups/error_log"
say "ready: queue $QUEUE, PDFs in $OUT_DIR"
echo "$OUT_DIR"
