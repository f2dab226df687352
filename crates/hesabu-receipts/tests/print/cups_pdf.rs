//! The OS printers through a real CUPS scheduler: receipts printed with `OsPrinters::print_pdf`
//! (what the app's print button calls) to a cups-pdf virtual printer, and the PDF that CUPS
//! and cups-pdf produce read back with `pdftotext` and `zbarimg`. CI sets the printer up with
//! scripts/cups-pdf-printer.sh and names it here:
//!
//! ```sh
//! HESABU_CUPS_PDF_PRINTER=Hesabu-PDF HESABU_CUPS_PDF_DIR=$(scripts/cups-pdf-printer.sh) \
//!   cargo test -p hesabu-receipts --test print cups_pdf -- --nocapture
//! ```
//!
//! Without both variables each test says it was skipped and passes (a machine without CUPS).
//! The directory must be the queue's output directory, and the queue must label its files
//! with the job id (cups-pdf's `Label 1` or `2`, as the script sets), so that a test finds its
//! own job's PDF among others.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use hesabu_receipts::print::{OsJob, OsPrinters};
use hesabu_receipts::{Format, render, samples};

use crate::common::{expect_in_order, flat, numbered, pdftotext, qr_codes};

/// How long a job may take to come out as a PDF (CUPS's filters, then Ghostscript).
const WAIT: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(200);

struct Setup {
    printer: String,
    dir: PathBuf,
}

fn setting(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The printer and its output directory, or `None` (and a line saying the test was skipped)
/// when neither is set. One without the other is a mistake, not a skip.
fn setup(test: &str) -> Option<Setup> {
    match (
        setting("HESABU_CUPS_PDF_PRINTER"),
        setting("HESABU_CUPS_PDF_DIR"),
    ) {
        (Some(printer), Some(dir)) => {
            let dir = PathBuf::from(dir);
            assert!(
                dir.is_dir(),
                "HESABU_CUPS_PDF_DIR={} is not a directory: set it to the cups-pdf output \
                 directory that scripts/cups-pdf-printer.sh prints",
                dir.display()
            );
            Some(Setup { printer, dir })
        }
        (None, None) => {
            println!(
                "skipped {test}: set HESABU_CUPS_PDF_PRINTER and HESABU_CUPS_PDF_DIR to print \
                 through CUPS (scripts/cups-pdf-printer.sh sets a printer up and prints the \
                 directory)"
            );
            None
        }
        (printer, dir) => panic!(
            "HESABU_CUPS_PDF_PRINTER ({printer:?}) and HESABU_CUPS_PDF_DIR ({dir:?}) go \
             together: set both, or neither to skip the CUPS tests"
        ),
    }
}

fn pdfs_in(dir: &Path) -> BTreeSet<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "pdf"))
        .collect()
}

/// Whether `name` carries cups-pdf's label for job `number`: `job_12-TITLE.pdf` (`Label 1`)
/// or `TITLE-job_12.pdf` (`Label 2`).
fn labelled(name: &str, number: &str) -> bool {
    name.starts_with(&format!("job_{number}-")) || name.ends_with(&format!("-job_{number}.pdf"))
}

/// Whether a file is a whole PDF: Ghostscript writes `%%EOF` last.
fn complete(pdf: &[u8]) -> bool {
    pdf.starts_with(b"%PDF-") && pdf.trim_ascii_end().ends_with(b"%%EOF")
}

/// Waits (at most [`WAIT`]) for the PDF of `job` to appear in `dir`, among the files that were
/// not there before (`before`), and to be complete and no longer growing; returns its path
/// and bytes.
fn wait_for_pdf(dir: &Path, before: &BTreeSet<PathBuf>, job: &OsJob) -> (PathBuf, Vec<u8>) {
    let id = job
        .id
        .as_deref()
        .unwrap_or_else(|| panic!("CUPS gave no job id: {job:?}"));
    let number = id
        .rsplit_once('-')
        .map(|(_, n)| n)
        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or_else(|| panic!("job id {id:?} does not end in -NUMBER"));
    let started = Instant::now();
    let mut last: Option<(PathBuf, usize)> = None;
    loop {
        let new: Vec<PathBuf> = pdfs_in(dir).difference(before).cloned().collect();
        let ours = new.iter().find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| labelled(n, number))
        });
        if let Some(path) = ours {
            // Unreadable for a moment is fine: cups-pdf may still be setting its owner.
            if let Ok(bytes) = std::fs::read(path) {
                let same_as_last = last
                    .as_ref()
                    .is_some_and(|(p, len)| p == path && *len == bytes.len());
                if complete(&bytes) && same_as_last {
                    return (path.clone(), bytes);
                }
                last = Some((path.clone(), bytes.len()));
            }
        }
        if started.elapsed() > WAIT {
            panic!(
                "job {} was accepted by CUPS but no complete PDF labelled job_{number} appeared \
                 in {} within {WAIT:?} (new PDFs: {new:?}). Check that HESABU_CUPS_PDF_DIR is \
                 the queue's output directory, the queue (lpstat -o; cupsenable {}), \
                 /var/log/cups/error_log and cups-pdf's log there, and that the queue's \
                 cups-pdf configuration has Label 1 or 2 (scripts/cups-pdf-printer.sh sets it \
                 up so)",
                id,
                dir.display(),
                job.printer
            );
        }
        std::thread::sleep(POLL);
    }
}

#[test]
fn the_virtual_printer_is_listed() {
    let Some(setup) = setup("the_virtual_printer_is_listed") else {
        return;
    };
    let printers = OsPrinters::for_this_platform().printers().unwrap();
    assert!(
        printers.contains(&setup.printer),
        "lpstat -e does not list {}: {printers:?}",
        setup.printer
    );
}

#[test]
fn a_receipt_printed_through_cups_comes_out_with_every_tis_element() {
    let Some(setup) = setup("a_receipt_printed_through_cups_comes_out_with_every_tis_element")
    else {
        return;
    };
    let printers = OsPrinters::for_this_platform();
    let receipt = samples::fixture_invoice();
    for format in Format::ALL {
        let pdf = render(&receipt, format).unwrap();
        let before = pdfs_in(&setup.dir);
        let job = printers
            .print_pdf(
                &setup.printer,
                &pdf,
                1,
                &format!("Hesabu CUPS test {format:?} {}", receipt.number),
            )
            .unwrap_or_else(|e| panic!("{format:?}: {e}"));
        assert_eq!(job.printer, setup.printer);
        assert!(
            job.id
                .as_deref()
                .is_some_and(|id| id.starts_with(&format!("{}-", setup.printer))),
            "{job:?}"
        );
        let (path, printed) = wait_for_pdf(&setup.dir, &before, &job);
        println!(
            "{format:?}: job {:?} came out as {} ({} bytes)",
            job.id,
            path.display(),
            printed.len()
        );

        let text = pdftotext(&printed);
        let context = format!("{format:?}, {}:\n{}", path.display(), numbered(&text));
        expect_in_order(
            &text,
            &[
                &["TAX INVOICE"],
                &["Invoice No.:", "INV/2024/00002"],
                &["TOTAL", "1.04"],
                &["CU INVOICE NO.:"],
                &["KRACU0100000001/169 NS"],
                &["End of Legal Receipt"],
            ],
        );
        // Through CUPS's filters and Ghostscript the words survive as they were rendered: the
        // paper copy says what the saved PDF says.
        assert_eq!(
            flat(&text),
            flat(&pdftotext(&pdf)),
            "the printed PDF's words differ from the rendered PDF's ({context})"
        );
        // And the QR code still scans to the same verification URL.
        let url = qr_codes(&pdf);
        assert_eq!(
            url.len(),
            1,
            "{format:?}: the rendered PDF's QR codes: {url:?}"
        );
        assert_eq!(qr_codes(&printed), url, "{format:?}: {}", path.display());
        // Only this test's own output is removed, and only once it passed.
        std::fs::remove_file(&path).unwrap();
    }
}

#[test]
fn job_labels() {
    assert!(labelled("Hesabu_CUPS_test-job_12.pdf", "12"));
    assert!(labelled("job_12-Hesabu_CUPS_test.pdf", "12"));
    assert!(!labelled("Hesabu_CUPS_test-job_120.pdf", "12"));
    assert!(!labelled("Hesabu_CUPS_test-job_2.pdf", "12"));
    assert!(!labelled("job_1-x.pdf", "12"));
    assert!(complete(b"%PDF-1.4\n...\n%%EOF\n"));
    assert!(!complete(b"%PDF-1.4\n...\nstartxref\n"));
    assert!(!complete(b""));
}
