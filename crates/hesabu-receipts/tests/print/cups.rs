//! The OS printers through CUPS, with fake `lp` and `lpstat` shell scripts in temporary
//! directories (what real CUPS prints, including its error messages).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use hesabu_receipts::print::{Cups, OsPrinters, PrintError, SentAs};
use hesabu_receipts::{Format, render, samples};

/// The directories of fake commands, one per scenario, all written before any test runs one
/// (a script still open for writing in one thread while another forks cannot be executed:
/// ETXTBSY).
struct Fakes {
    _root: tempfile::TempDir,
    dir: PathBuf,
}

impl Fakes {
    fn cups(&self, scenario: &str) -> Cups {
        Cups::in_dir(self.dir.join(scenario))
    }

    fn path(&self, scenario: &str, file: &str) -> PathBuf {
        self.dir.join(scenario).join(file)
    }
}

/// An `lp` that records its arguments, locale and standard input next to itself and queues
/// the job as `<printer>-12`.
const RECORDING_LP: &str = r#"#!/bin/sh
dir=$(dirname "$0")
: > "$dir/lp.args"
for a in "$@"; do printf '%s\n' "$a" >> "$dir/lp.args"; done
printf '%s' "$LC_ALL" > "$dir/lp.locale"
cat > "$dir/lp.stdin"
echo "request id is $2-12 (1 file(s))"
"#;

const LPSTAT: &str = r#"#!/bin/sh
case "$1" in
  -e) printf 'Office\nKitchen_Thermal\nOffice/draft\n' ;;
  -d) echo "system default destination: Office" ;;
  *) echo "lpstat: Unknown option \"$1\"." >&2; exit 1 ;;
esac
"#;

fn fakes() -> &'static Fakes {
    static FAKES: OnceLock<Fakes> = OnceLock::new();
    FAKES.get_or_init(|| {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().to_owned();
        let scenarios: &[(&str, &[(&str, &str)])] = &[
            ("ok", &[("lpstat", LPSTAT), ("lp", RECORDING_LP)]),
            ("ok-file", &[("lp", RECORDING_LP)]),
            ("ok-receipt", &[("lp", RECORDING_LP)]),
            (
                "no-default",
                &[(
                    "lpstat",
                    "#!/bin/sh\n[ \"$1\" = -d ] && echo 'no system default destination'\nexit 0\n",
                )],
            ),
            (
                "no-destinations",
                &[(
                    "lpstat",
                    "#!/bin/sh\necho 'lpstat: No destinations added.' >&2\nexit 1\n",
                )],
            ),
            (
                "scheduler-down",
                &[
                    (
                        "lpstat",
                        "#!/bin/sh\necho 'lpstat: Scheduler is not running.' >&2\nexit 1\n",
                    ),
                    (
                        "lp",
                        "#!/bin/sh\ncat > /dev/null\necho 'lp: Error - Scheduler not responding.' >&2\nexit 1\n",
                    ),
                ],
            ),
            (
                "no-such-printer",
                &[(
                    "lp",
                    "#!/bin/sh\necho 'lp: The printer or class does not exist.' >&2\nexit 1\n",
                )],
            ),
            (
                "forbidden",
                &[(
                    "lp",
                    "#!/bin/sh\necho 'lp: Error - Forbidden' >&2\nexit 1\n",
                )],
            ),
            (
                "odd",
                &[
                    ("lp", "#!/bin/sh\ncat > /dev/null\necho 'queued, thanks'\n"),
                    ("lpstat", "#!/bin/sh\necho 'default printer is Office'\n"),
                ],
            ),
            ("missing", &[]),
        ];
        for (scenario, scripts) in scenarios {
            let sub = dir.join(scenario);
            std::fs::create_dir(&sub).unwrap();
            for (name, body) in *scripts {
                write_script(&sub.join(name), body);
            }
        }
        Fakes { _root: root, dir }
    })
}

fn write_script(path: &Path, body: &str) {
    std::fs::write(path, body).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn lists_the_printers_and_the_default() {
    let cups = fakes().cups("ok");
    assert_eq!(
        cups.printers().unwrap(),
        ["Office", "Kitchen_Thermal", "Office/draft"]
    );
    assert_eq!(cups.default_printer().unwrap().as_deref(), Some("Office"));

    let none = fakes().cups("no-default");
    assert!(none.printers().unwrap().is_empty());
    assert_eq!(none.default_printer().unwrap(), None);

    let never = fakes().cups("no-destinations");
    assert!(never.printers().unwrap().is_empty());
    assert_eq!(never.default_printer().unwrap(), None);
}

#[test]
fn prints_pdf_bytes_and_reports_the_job_id() {
    let pdf = render(&samples::fixture_invoice(), Format::Thermal80).unwrap();
    let job = fakes()
        .cups("ok")
        .print_pdf("Office", &pdf, 2, "TAX INVOICE INV/2024/00002")
        .unwrap();
    assert_eq!(job.id.as_deref(), Some("Office-12"));
    assert_eq!(job.printer, "Office");
    let f = fakes();
    assert_eq!(
        lines(&f.path("ok", "lp.args")),
        [
            "-d",
            "Office",
            "-n",
            "2",
            "-t",
            "TAX INVOICE INV/2024/00002"
        ]
    );
    assert_eq!(std::fs::read(f.path("ok", "lp.stdin")).unwrap(), pdf);
    assert_eq!(
        std::fs::read_to_string(f.path("ok", "lp.locale")).unwrap(),
        "C"
    );
}

#[test]
fn prints_a_file_with_one_copy() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("receipt.pdf");
    let pdf = render(&samples::shop_invoice(), Format::A4).unwrap();
    std::fs::write(&file, &pdf).unwrap();
    let job = fakes()
        .cups("ok-file")
        .print_file("Kitchen_Thermal", &file, 1, "INV/2024/00003\n(copy)")
        .unwrap();
    assert_eq!(job.id.as_deref(), Some("Kitchen_Thermal-12"));
    let f = fakes();
    assert_eq!(
        lines(&f.path("ok-file", "lp.args")),
        [
            "-d",
            "Kitchen_Thermal",
            "-t",
            "INV/2024/00003 (copy)",
            file.to_str().unwrap()
        ]
    );
    assert!(
        std::fs::read(f.path("ok-file", "lp.stdin"))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_missing_file_is_named_before_lp_runs() {
    let err = fakes()
        .cups("no-such-printer")
        .print_file("Office", Path::new("/nonexistent/receipt.pdf"), 1, "x")
        .unwrap_err();
    assert!(matches!(err, PrintError::FileUnreadable { .. }), "{err:?}");
    assert!(
        err.to_string().contains("/nonexistent/receipt.pdf"),
        "{err}"
    );
}

#[test]
fn no_such_printer() {
    let err = fakes()
        .cups("no-such-printer")
        .print_pdf("Ghost", b"%PDF-1.7", 1, "x")
        .unwrap_err();
    assert!(
        matches!(&err, PrintError::NoSuchPrinter { printer, listed: None } if printer == "Ghost"),
        "{err:?}"
    );
    assert_eq!(err.kind(), "no_such_printer");
    let message = err.to_string();
    assert!(
        message.contains("'Ghost'") && message.contains("lpstat -e"),
        "{message}"
    );
    assert!(message.contains("stays stored"), "{message}");
}

#[test]
fn the_scheduler_not_running() {
    let cups = fakes().cups("scheduler-down");
    for err in [
        cups.printers().unwrap_err(),
        cups.default_printer().unwrap_err(),
        cups.print_pdf("Office", b"%PDF-1.7", 1, "x").unwrap_err(),
    ] {
        assert!(
            matches!(err, PrintError::SchedulerNotRunning { .. }),
            "{err:?}"
        );
        let message = err.to_string();
        assert!(message.contains("systemctl start cups"), "{message}");
    }
}

#[test]
fn cups_not_installed() {
    let cups = fakes().cups("missing");
    let err = cups.printers().unwrap_err();
    assert!(
        matches!(&err, PrintError::CupsMissing { command } if command.ends_with("lpstat")),
        "{err:?}"
    );
    assert!(err.to_string().contains("cups-client"), "{err}");
    let err = cups.print_pdf("Office", b"%PDF", 1, "x").unwrap_err();
    assert!(
        matches!(&err, PrintError::CupsMissing { command } if command.ends_with("lp")),
        "{err:?}"
    );
}

#[test]
fn other_failures_keep_cups_own_words() {
    let err = fakes()
        .cups("forbidden")
        .print_pdf("Office", b"%PDF", 1, "x")
        .unwrap_err();
    assert!(
        matches!(&err, PrintError::CupsFailed { message, .. } if message == "lp: Error - Forbidden"),
        "{err:?}"
    );

    let odd = fakes().cups("odd");
    let err = odd.print_pdf("Office", b"%PDF", 1, "x").unwrap_err();
    assert!(
        matches!(&err, PrintError::UnexpectedOutput { output, .. } if output == "queued, thanks"),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("check the printer's queue"),
        "{err}"
    );
    let err = odd.default_printer().unwrap_err();
    assert!(
        matches!(err, PrintError::UnexpectedOutput { .. }),
        "{err:?}"
    );
}

#[test]
fn bad_settings_are_refused_before_lp_runs() {
    // The "missing" scenario has no lp at all: a refused setting never reaches it.
    let cups = fakes().cups("missing");
    for (printer, copies) in [
        ("", 1),
        ("-o evil", 1),
        ("two words", 1),
        ("Office", 0),
        ("Office", 100),
    ] {
        let err = cups.print_pdf(printer, b"%PDF", copies, "x").unwrap_err();
        assert!(
            matches!(err, PrintError::Setting { .. }),
            "{printer} {copies}: {err:?}"
        );
    }
}

#[test]
fn this_platform_prints_through_cups_here_and_the_spooler_on_windows() {
    let here = OsPrinters::for_this_platform();
    assert_eq!(matches!(here, OsPrinters::Windows(_)), cfg!(windows));
    assert_eq!(matches!(here, OsPrinters::Cups(_)), !cfg!(windows));
}

#[test]
fn a_receipt_goes_to_cups_as_its_pdf_in_every_format() {
    let receipt = samples::fixture_invoice();
    let os = OsPrinters::Cups(fakes().cups("ok-receipt"));
    for format in Format::ALL {
        let pdf = render(&receipt, format).unwrap();
        let printed = os
            .print_receipt("Office", &receipt, format, &pdf, "Receipt INV/2024/00002")
            .unwrap();
        assert_eq!(printed.sent_as, SentAs::Pdf, "{format:?}");
        assert_eq!(printed.bytes, pdf, "{format:?}");
        assert_eq!(printed.job.id.as_deref(), Some("Office-12"));
        assert_eq!(
            std::fs::read(fakes().path("ok-receipt", "lp.stdin")).unwrap(),
            pdf,
            "{format:?}"
        );
    }
}
