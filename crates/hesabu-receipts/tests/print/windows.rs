//! The Windows print spooler backend, run on any platform against a fake `powershell`: a shell
//! script that records the arguments, the environment, the script and the bytes it was given,
//! and answers as the embedded script does on Windows (ConvertTo-Json's printer list, a job id,
//! each failure). Real PowerShell and a real spooler are not run here (docs/printing.md,
//! "Testing with a real printer", has the steps on a Windows machine).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use hesabu_receipts::print::escpos::{self, EscPosOptions};
use hesabu_receipts::print::fake::{FakePrinter, Printed, decode};
use hesabu_receipts::print::windows::{BOOTSTRAP, SCRIPT};
use hesabu_receipts::print::{
    NetworkPrinter, OsPrinters, PdfRoute, PrintError, PrinterProblem, SentAs, WindowsSpooler,
};
use hesabu_receipts::{Format, render, samples};

/// Records everything into files beside itself, named after the operation, and answers from
/// `<op>.stdout`, `<op>.stderr`, `<op>.exit` (or sleeps `<op>.sleep` seconds, as itself, so
/// that killing it closes its pipes).
const FAKE_POWERSHELL: &str = r#"#!/bin/sh
dir=$(dirname "$0")
op=$HESABU_PRINT_OP
: > "$dir/$op.args"
for a in "$@"; do printf '%s\n' "$a" >> "$dir/$op.args"; done
printf '%s' "$HESABU_PRINTER" > "$dir/$op.printer"
printf '%s' "$HESABU_PRINT_TITLE" > "$dir/$op.title"
printf '%s' "$HESABU_PRINT_WATCH_MS" > "$dir/$op.watch"
printf '%s' "$HESABU_PRINT_FILE" > "$dir/$op.file"
cp "$HESABU_PS_SCRIPT" "$dir/$op.script"
if [ -n "$HESABU_PRINT_FILE" ]; then cp "$HESABU_PRINT_FILE" "$dir/$op.bytes"; fi
echo run >> "$dir/$op.runs"
if [ -f "$dir/$op.sleep" ]; then exec sleep "$(cat "$dir/$op.sleep")"; fi
if [ -f "$dir/$op.stderr" ]; then cat "$dir/$op.stderr" >&2; fi
if [ -f "$dir/$op.stdout" ]; then cat "$dir/$op.stdout"; fi
exit "$(cat "$dir/$op.exit" 2>/dev/null || echo 0)"
"#;

const RECEIPT_PRINTER: &str = "EPSON TM-T20II Receipt";
const OFFICE: &str = "Office LaserJet";
/// Spaces, both quotes and an accent.
const QUOTED: &str = "Caf\u{e9} \"Mama\" Receipt's";
/// Spaces, a single quote and an accent: fine for the PDF app too.
const APOSTROPHE: &str = "Mama's Caf\u{e9} A4";

/// One printer as `Select-Object Name, Default, ... | ConvertTo-Json` writes it (Windows
/// PowerShell 5.1 escapes `'` as `\u0027`; Hesabu's script escapes everything outside ASCII).
fn printer_json(name: &str, default: bool, driver: &str, port: &str, status: &str) -> String {
    let name = name
        .replace('"', "\\\"")
        .replace('\'', "\\u0027")
        .replace('\u{e9}', "\\u00e9");
    format!(
        r#"{{"Name":"{name}","Default":{default},{status},"DriverName":"{driver}","PortName":"{port}"}}"#
    )
}

const READY: &str = r#""WorkOffline":false,"PrinterStatus":3,"ExtendedPrinterStatus":2,"DetectedErrorState":0,"ExtendedDetectedErrorState":0"#;

fn printers_json(receipt_printer_status: &str) -> String {
    [
        printer_json(
            RECEIPT_PRINTER,
            false,
            "EPSON TM-T20II Receipt5",
            "USB001",
            receipt_printer_status,
        ),
        printer_json(
            OFFICE,
            true,
            "HP Universal Printing PCL 6",
            "192.168.1.20",
            READY,
        ),
        printer_json(QUOTED, false, "POS-80C", "USB002", READY),
        printer_json(
            APOSTROPHE,
            false,
            "Brother HL-L2350DW series",
            "USB003",
            READY,
        ),
        printer_json(
            "Microsoft Print to PDF",
            false,
            "Microsoft Print To PDF",
            "PORTPROMPT:",
            READY,
        ),
    ]
    .join(",")
}

fn list_answer(receipt_printer_status: &str) -> String {
    format!(
        "HESABU-ANSWER {{\"ok\":true,\"printers\":[{}]}}\n",
        printers_json(receipt_printer_status)
    )
}

const RAW_OK: &str = "HESABU-ANSWER {\"ok\":true,\"job\":42,\"written\":2048,\"status\":0}\n";
const SHELL_OK: &str = "HESABU-ANSWER {\"ok\":true,\"job\":43}\n";

struct Fakes {
    _root: tempfile::TempDir,
    dir: PathBuf,
}

impl Fakes {
    fn dir(&self, scenario: &str) -> PathBuf {
        self.dir.join(scenario)
    }

    /// The fake of `scenario`, with temporary files in its own `tmp` folder.
    fn spooler(&self, scenario: &str) -> WindowsSpooler {
        let dir = self.dir(scenario);
        WindowsSpooler::with_powershell(dir.join("powershell")).in_temp_dir(dir.join("tmp"))
    }

    fn read(&self, scenario: &str, file: &str) -> String {
        std::fs::read_to_string(self.dir(scenario).join(file))
            .unwrap_or_else(|e| panic!("{scenario}/{file}: {e}"))
    }

    fn bytes(&self, scenario: &str, file: &str) -> Vec<u8> {
        std::fs::read(self.dir(scenario).join(file)).unwrap()
    }

    fn ran(&self, scenario: &str, op: &str) -> usize {
        std::fs::read_to_string(self.dir(scenario).join(format!("{op}.runs")))
            .map(|s| s.lines().count())
            .unwrap_or(0)
    }

    fn temp_files(&self, scenario: &str) -> Vec<PathBuf> {
        let mut files = Vec::new();
        let mut dirs = vec![self.dir(scenario).join("tmp")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else {
                    files.push(path);
                }
            }
        }
        files
    }
}

/// Every scenario's directory, written before any test runs one (a script still open for
/// writing in one thread while another forks cannot be executed: ETXTBSY). One directory per
/// test, so that the recordings are the test's own.
fn fakes() -> &'static Fakes {
    static FAKES: OnceLock<Fakes> = OnceLock::new();
    FAKES.get_or_init(|| {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().to_owned();
        let list = list_answer(READY);
        let ok = [
            ("list.stdout", list.clone()),
            ("raw.stdout", RAW_OK.to_owned()),
            ("shell.stdout", SHELL_OK.to_owned()),
        ];
        let with_list = |extra: &[(&'static str, &str)]| {
            let mut files: Vec<(&'static str, String)> = vec![("list.stdout", list.clone())];
            files.extend(extra.iter().map(|(f, c)| (*f, (*c).to_owned())));
            files
        };
        let offline = list_answer(
            r#""WorkOffline":true,"PrinterStatus":3,"ExtendedPrinterStatus":2,"DetectedErrorState":0,"ExtendedDetectedErrorState":0"#,
        );
        let paper_out = list_answer(
            r#""WorkOffline":false,"PrinterStatus":1,"ExtendedPrinterStatus":9,"DetectedErrorState":4,"ExtendedDetectedErrorState":4"#,
        );
        let low_paper = list_answer(
            r#""WorkOffline":false,"PrinterStatus":3,"ExtendedPrinterStatus":2,"DetectedErrorState":3,"ExtendedDetectedErrorState":3"#,
        );
        let one = printer_json(OFFICE, true, "HP Universal Printing PCL 6", "IP_1", READY);
        let scenarios: Vec<(&str, Vec<(&str, String)>)> = vec![
            ("listing", ok.to_vec()),
            (
                "listing-one",
                vec![(
                    "list.stdout",
                    // Noise before the answer is ignored; one printer alone is an object.
                    format!("\r\nWARNING: something\r\nHESABU-ANSWER {{\"ok\":true,\"printers\":{one}}}\r\n"),
                )],
            ),
            (
                "listing-value",
                vec![(
                    "list.stdout",
                    format!(
                        "HESABU-ANSWER {{\"ok\":true,\"printers\":{{\"value\":[{}],\"Count\":5}}}}\n",
                        printers_json(READY)
                    ),
                )],
            ),
            (
                "listing-none",
                vec![(
                    "list.stdout",
                    "HESABU-ANSWER {\"ok\":true,\"printers\":[]}\n".to_owned(),
                )],
            ),
            (
                "listing-utf8",
                vec![(
                    "list.stdout",
                    format!(
                        "HESABU-ANSWER {{\"ok\":true,\"printers\":[{{\"Name\":\"{QUOTED_RAW}\",\"Default\":true,\"WorkOffline\":null,\"PrinterStatus\":null}}]}}\n",
                        QUOTED_RAW = QUOTED.replace('"', "\\\"")
                    ),
                )],
            ),
            ("escpos80", ok.to_vec()),
            ("escpos58", ok.to_vec()),
            ("a4-app", ok.to_vec()),
            ("a4-raw", ok.to_vec()),
            ("names", ok.to_vec()),
            ("case", ok.to_vec()),
            ("unknown", ok.to_vec()),
            ("refused-settings", ok.to_vec()),
            ("virtual", ok.to_vec()),
            (
                "a4-app-no-job",
                with_list(&[("shell.stdout", "HESABU-ANSWER {\"ok\":true,\"job\":null}\n")]),
            ),
            (
                "offline",
                vec![("list.stdout", offline), ("raw.stdout", RAW_OK.to_owned())],
            ),
            (
                "paper-out",
                vec![("list.stdout", paper_out), ("raw.stdout", RAW_OK.to_owned())],
            ),
            (
                "low-paper",
                vec![("list.stdout", low_paper), ("raw.stdout", RAW_OK.to_owned())],
            ),
            (
                "job-paper-out",
                with_list(&[(
                    "raw.stdout",
                    "HESABU-ANSWER {\"ok\":false,\"error\":\"job_problem\",\"job\":42,\"status\":80,\"statusText\":\"\",\"cancelled\":true}\n",
                )]),
            ),
            (
                "job-error-kept",
                with_list(&[(
                    "raw.stdout",
                    "HESABU-ANSWER {\"ok\":false,\"error\":\"job_problem\",\"job\":7,\"status\":1026,\"statusText\":\"Printer needs attention\",\"cancelled\":false}\n",
                )]),
            ),
            (
                "spooler-stopped",
                vec![(
                    "list.stdout",
                    "HESABU-ANSWER {\"ok\":false,\"error\":\"spooler_not_running\",\"message\":\"The Print Spooler service is Stopped.\"}\n".to_owned(),
                )],
            ),
            (
                "denied",
                with_list(&[(
                    "raw.stdout",
                    "HESABU-ANSWER {\"ok\":false,\"error\":\"win32\",\"step\":\"open\",\"code\":5,\"message\":\"Access is denied.\",\"job\":0}\n",
                )]),
            ),
            (
                "datatype",
                with_list(&[(
                    "raw.stdout",
                    "HESABU-ANSWER {\"ok\":false,\"error\":\"win32\",\"step\":\"start\",\"code\":1804,\"message\":\"The specified datatype is invalid.\",\"job\":0}\n",
                )]),
            ),
            (
                "vanished",
                with_list(&[(
                    "raw.stdout",
                    "HESABU-ANSWER {\"ok\":false,\"error\":\"win32\",\"step\":\"open\",\"code\":1801,\"message\":\"The printer name is invalid.\",\"job\":0}\n",
                )]),
            ),
            (
                "no-pdf-app",
                with_list(&[(
                    "shell.stdout",
                    "HESABU-ANSWER {\"ok\":false,\"error\":\"no_pdf_app\",\"code\":1155,\"message\":\"No application is associated with the specified file for this operation\"}\n",
                )]),
            ),
            (
                "wmi-broken",
                vec![(
                    "list.stdout",
                    "HESABU-ANSWER {\"ok\":false,\"error\":\"exception\",\"message\":\"Invalid class \\\"Win32_Printer\\\"\"}\n".to_owned(),
                )],
            ),
            (
                "blocked",
                vec![
                    ("list.exit", "1".to_owned()),
                    (
                        "list.stderr",
                        "Program 'powershell.exe' failed to run: This program is blocked by group policy.\r\nAt line:1 char:1\r\n".to_owned(),
                    ),
                ],
            ),
            ("garbage", vec![("list.stdout", "hello\n".to_owned())]),
            (
                "bad-json",
                vec![("list.stdout", "HESABU-ANSWER {\"ok\":tru\n".to_owned())],
            ),
            (
                "no-job",
                with_list(&[("raw.stdout", "HESABU-ANSWER {\"ok\":true,\"job\":0}\n")]),
            ),
            ("hang", vec![("list.sleep", "30".to_owned())]),
        ];
        for (scenario, files) in scenarios {
            let sub = dir.join(scenario);
            std::fs::create_dir_all(sub.join("tmp")).unwrap();
            write_script(&sub.join("powershell"), FAKE_POWERSHELL);
            for (name, body) in files {
                std::fs::write(sub.join(name), body).unwrap();
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

#[track_caller]
fn assert_says_stored(err: &PrintError) {
    let message = err.to_string();
    assert!(message.contains("stays stored"), "{message}");
}

#[test]
fn lists_the_printers_and_the_default() {
    let f = fakes();
    let spooler = f.spooler("listing");
    assert_eq!(
        spooler.printers().unwrap(),
        [
            RECEIPT_PRINTER,
            OFFICE,
            QUOTED,
            APOSTROPHE,
            "Microsoft Print to PDF"
        ]
    );
    assert_eq!(spooler.default_printer().unwrap().as_deref(), Some(OFFICE));
    let details = spooler.printer_details().unwrap();
    assert_eq!(
        details[0].driver_name.as_deref(),
        Some("EPSON TM-T20II Receipt5")
    );
    assert_eq!(details[0].port_name.as_deref(), Some("USB001"));
    assert_eq!(details[0].printer_status, Some(3));
    assert!(details[0].problem().is_none());
    assert!(details[4].is_virtual());

    // How PowerShell was started, and with what.
    assert_eq!(
        f.read("listing", "list.args").lines().collect::<Vec<_>>(),
        [
            "-NoProfile",
            "-NonInteractive",
            "-ExecutionPolicy",
            "Bypass",
            "-Command",
            BOOTSTRAP
        ]
    );
    assert_eq!(f.read("listing", "list.script"), SCRIPT);
    assert_eq!(f.read("listing", "list.printer"), "");
    assert_eq!(f.read("listing", "list.file"), "");
    // The script file was removed after the run.
    assert!(
        f.temp_files("listing").is_empty(),
        "{:?}",
        f.temp_files("listing")
    );

    // Through OsPrinters, as the app calls it.
    let os = OsPrinters::Windows(f.spooler("listing"));
    assert_eq!(os.printers().unwrap().len(), 5);
    assert_eq!(os.default_printer().unwrap().as_deref(), Some(OFFICE));
}

#[test]
fn every_shape_of_powershells_printer_list_is_read() {
    let f = fakes();
    let one = f.spooler("listing-one");
    assert_eq!(one.printers().unwrap(), [OFFICE]);
    assert_eq!(one.default_printer().unwrap().as_deref(), Some(OFFICE));

    let value = f.spooler("listing-value");
    assert_eq!(value.printers().unwrap().len(), 5);

    let none = f.spooler("listing-none");
    assert!(none.printers().unwrap().is_empty());
    assert_eq!(none.default_printer().unwrap(), None);

    // Not escaped (UTF-8 as it is), with nulls where WMI has none.
    let utf8 = f.spooler("listing-utf8");
    let details = utf8.printer_details().unwrap();
    assert_eq!(details[0].name, QUOTED);
    assert!(details[0].default && !details[0].work_offline);
    assert_eq!(details[0].printer_status, None);
}

#[test]
fn an_80mm_receipt_goes_raw_as_the_same_escpos_the_network_printer_gets() {
    let f = fakes();
    let receipt = samples::shop_invoice();
    let pdf = render(&receipt, Format::Thermal80).unwrap();
    let os = OsPrinters::Windows(f.spooler("escpos80"));
    let printed = os
        .print_receipt(
            RECEIPT_PRINTER,
            &receipt,
            Format::Thermal80,
            &pdf,
            "Receipt INV/2024/00003",
        )
        .unwrap();
    assert_eq!(printed.sent_as, SentAs::EscPos);
    assert_eq!(
        printed.job.id.as_deref(),
        Some("42"),
        "StartDocPrinter's job id"
    );
    assert_eq!(printed.job.printer, RECEIPT_PRINTER);
    assert!(printed.job.warnings.is_empty());
    assert_eq!(f.ran("escpos80", "list"), 1, "the printer is checked first");
    assert_eq!(f.ran("escpos80", "raw"), 1);
    assert_eq!(f.ran("escpos80", "shell"), 0);

    // What the spooler got is what a network printer gets for the same receipt.
    let spooled = f.bytes("escpos80", "raw.bytes");
    assert_eq!(spooled, printed.bytes);
    let fake = FakePrinter::start().unwrap();
    let mut network = NetworkPrinter::new(&fake.address()).unwrap();
    network.io_timeout = Duration::from_secs(2);
    network
        .print_receipt(&receipt, &EscPosOptions::paper_80mm())
        .unwrap();
    let jobs = fake.wait_for_jobs(1, Duration::from_secs(5));
    assert_eq!(spooled, jobs[0].data, "the network printer's bytes");

    let items = decode(&spooled).unwrap().items;
    let network_items = decode(&jobs[0].data).unwrap().items;
    assert_eq!(items, network_items);
    assert!(items.iter().any(|i| matches!(
        i,
        Printed::Qr { data, .. } if data.as_slice() == b"https://etims.kra.go.ke/common/link/etims/receipt/indexEtimsReceiptData?Data=P052112956W00ABCDEFGH12345678"
    )));
    assert!(items.iter().any(
        |i| matches!(i, Printed::Line { text, .. } if text.ends_with("KRACU0100000001/170 NS"))
    ));
    assert!(items.iter().all(|i| match i {
        Printed::Line { text, .. } => text.chars().count() <= 48,
        _ => true,
    }));
    assert_eq!(items.last(), Some(&Printed::Cut { partial: true }));

    // The job's name in the queue, and how long the queue is watched.
    assert_eq!(f.read("escpos80", "raw.title"), "Receipt INV/2024/00003");
    assert_eq!(f.read("escpos80", "raw.watch"), "5000");
    assert_eq!(f.read("escpos80", "raw.printer"), RECEIPT_PRINTER);
    assert_eq!(f.read("escpos80", "raw.script"), SCRIPT);
    // The bytes went through a file, never the command line; the files are gone.
    assert!(!f.read("escpos80", "raw.args").contains("Receipt"));
    assert!(f.temp_files("escpos80").is_empty());
}

#[test]
fn a_58mm_receipt_goes_raw_at_32_columns() {
    let f = fakes();
    let receipt = samples::fixture_credit_note();
    let pdf = render(&receipt, Format::Thermal58).unwrap();
    let printed = OsPrinters::Windows(f.spooler("escpos58"))
        .print_receipt(RECEIPT_PRINTER, &receipt, Format::Thermal58, &pdf, "CN")
        .unwrap();
    let expected = escpos::render(&receipt, &EscPosOptions::paper_58mm())
        .unwrap()
        .bytes;
    assert_eq!(f.bytes("escpos58", "raw.bytes"), expected);
    assert_eq!(printed.bytes, expected);
    let items = decode(&expected).unwrap().items;
    assert!(items.iter().all(|i| match i {
        Printed::Line { text, .. } => text.chars().count() <= 32,
        _ => true,
    }));
}

#[test]
fn a4_goes_through_the_pdf_app_and_reports_its_job() {
    let f = fakes();
    let receipt = samples::fixture_invoice();
    let pdf = render(&receipt, Format::A4).unwrap();
    let printed = OsPrinters::Windows(f.spooler("a4-app"))
        .print_receipt(
            OFFICE,
            &receipt,
            Format::A4,
            &pdf,
            "Receipt INV/2024/00002 (COPY)",
        )
        .unwrap();
    assert_eq!(printed.sent_as, SentAs::Pdf);
    assert_eq!(printed.bytes, pdf);
    assert_eq!(printed.job.id.as_deref(), Some("43"));
    assert_eq!(f.ran("a4-app", "raw"), 0);
    assert_eq!(f.ran("a4-app", "shell"), 1);
    assert_eq!(f.bytes("a4-app", "shell.bytes"), pdf);
    assert_eq!(f.read("a4-app", "shell.printer"), OFFICE);
    assert_eq!(f.read("a4-app", "shell.watch"), "20000");

    // The PDF stays for the app to open, in Hesabu's own folder, named after the receipt.
    let file = PathBuf::from(f.read("a4-app", "shell.file"));
    assert_eq!(std::fs::read(&file).unwrap(), pdf);
    assert_eq!(
        file.parent().unwrap(),
        f.dir("a4-app").join("tmp").join("hesabu-print-to")
    );
    let name = file.file_name().unwrap().to_str().unwrap();
    assert!(
        name.starts_with("Receipt INV-2024-00002 (COPY) ") && name.ends_with(".pdf"),
        "{name}"
    );
    assert_eq!(f.temp_files("a4-app"), [file], "only the PDF is left");

    // The app printed, but its job did not show in the queue while Hesabu looked.
    let job = f
        .spooler("a4-app-no-job")
        .print_pdf(OFFICE, &pdf, 1, "Receipt")
        .unwrap();
    assert_eq!(job.id, None);
}

#[test]
fn a4_can_go_raw_to_a_printer_that_reads_pdf() {
    let f = fakes();
    let mut spooler = f.spooler("a4-raw");
    spooler.pdf_route = PdfRoute::Raw;
    let pdf = render(&samples::shop_invoice(), Format::A4).unwrap();
    let job = spooler.print_pdf(OFFICE, &pdf, 1, "A4 raw").unwrap();
    assert_eq!(job.id.as_deref(), Some("42"));
    assert_eq!(f.bytes("a4-raw", "raw.bytes"), pdf);
    assert_eq!(f.ran("a4-raw", "shell"), 0);
    assert!(f.temp_files("a4-raw").is_empty());

    // A file is read and printed the same way.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("receipt.pdf");
    std::fs::write(&path, &pdf).unwrap();
    spooler.print_file(OFFICE, &path, 1, "file").unwrap();
    assert_eq!(f.bytes("a4-raw", "raw.bytes"), pdf);
}

#[test]
fn printer_names_with_spaces_quotes_and_accents_arrive_exactly() {
    let f = fakes();
    let spooler = f.spooler("names");
    let job = spooler.print_escpos(QUOTED, b"\x1b@hello\n", "t").unwrap();
    assert_eq!(job.printer, QUOTED);
    // Byte for byte, as the environment carried it.
    assert_eq!(f.bytes("names", "raw.printer"), QUOTED.as_bytes());
    assert_eq!(f.bytes("names", "raw.bytes"), b"\x1b@hello\n");

    let pdf = b"%PDF-1.7 fake";
    spooler.print_pdf(APOSTROPHE, pdf, 1, "x").unwrap();
    assert_eq!(f.bytes("names", "shell.printer"), APOSTROPHE.as_bytes());

    // A double quote cannot go through a PDF app's print command: said before it runs.
    let err = spooler.print_pdf(QUOTED, pdf, 1, "x").unwrap_err();
    assert!(matches!(err, PrintError::Setting { .. }), "{err:?}");
    assert!(err.to_string().contains("double quote"), "{err}");
    assert_eq!(f.ran("names", "shell"), 1);
}

#[test]
fn names_are_matched_ignoring_case_and_printed_as_windows_spells_them() {
    let f = fakes();
    let job = f
        .spooler("case")
        .print_escpos("epson tm-t20ii RECEIPT", b"\x1b@", "t")
        .unwrap();
    assert_eq!(job.printer, RECEIPT_PRINTER);
    assert_eq!(f.read("case", "raw.printer"), RECEIPT_PRINTER);
}

#[test]
fn an_unknown_printer_names_the_printers_windows_has() {
    let f = fakes();
    let err = f
        .spooler("unknown")
        .print_escpos("Kitchen", b"\x1b@", "t")
        .unwrap_err();
    assert!(
        matches!(&err, PrintError::NoSuchPrinter { printer, listed: Some(listed) } if printer == "Kitchen" && listed.len() == 5),
        "{err:?}"
    );
    assert_eq!(err.kind(), "no_such_printer");
    let message = err.to_string();
    for name in [RECEIPT_PRINTER, OFFICE, QUOTED] {
        assert!(message.contains(&format!("'{name}'")), "{message}");
    }
    assert!(message.contains("Printers & scanners"), "{message}");
    assert_says_stored(&err);
    assert_eq!(f.ran("unknown", "raw"), 0);

    // The printer went away between the listing and the print (OpenPrinter's 1801).
    let err = f
        .spooler("vanished")
        .print_escpos(RECEIPT_PRINTER, b"\x1b@", "t")
        .unwrap_err();
    assert!(
        matches!(&err, PrintError::NoSuchPrinter { listed: Some(listed), .. } if listed.len() == 5),
        "{err:?}"
    );
}

#[test]
fn an_offline_printer_is_refused_before_anything_is_sent() {
    let f = fakes();
    let err = f
        .spooler("offline")
        .print_escpos(RECEIPT_PRINTER, b"\x1b@", "t")
        .unwrap_err();
    assert!(
        matches!(
            &err,
            PrintError::WindowsPrinter {
                problem: PrinterProblem::Offline,
                before: true,
                job: None,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.kind(), "offline");
    let message = err.to_string();
    assert!(message.contains("Use Printer Offline"), "{message}");
    assert!(message.contains("switched on"), "{message}");
    assert!(message.contains("Nothing was printed"), "{message}");
    assert_says_stored(&err);
    assert_eq!(f.ran("offline", "raw"), 0);
}

#[test]
fn paper_out_is_refused_and_low_paper_is_a_warning() {
    let f = fakes();
    let err = f
        .spooler("paper-out")
        .print_escpos(RECEIPT_PRINTER, b"\x1b@", "t")
        .unwrap_err();
    assert!(
        matches!(
            &err,
            PrintError::WindowsPrinter {
                problem: PrinterProblem::PaperOut,
                before: true,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.kind(), "paper_out");
    let message = err.to_string();
    assert!(
        message.contains("out of paper") && message.contains("No Paper"),
        "{message}"
    );
    assert!(message.contains("Load paper"), "{message}");
    assert_eq!(f.ran("paper-out", "raw"), 0);

    let job = f
        .spooler("low-paper")
        .print_escpos(RECEIPT_PRINTER, b"\x1b@", "t")
        .unwrap();
    assert_eq!(job.warnings, [PrinterProblem::PaperNearEnd]);
    assert_eq!(job.id.as_deref(), Some("42"));
}

#[test]
fn a_job_that_fails_in_the_queue_is_reported_and_deleted() {
    let f = fakes();
    let err = f
        .spooler("job-paper-out")
        .print_escpos(RECEIPT_PRINTER, b"\x1b@", "t")
        .unwrap_err();
    assert!(
        matches!(
            &err,
            PrintError::WindowsPrinter {
                problem: PrinterProblem::PaperOut,
                before: false,
                job: Some(42),
                cancelled: true,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.kind(), "paper_out");
    let message = err.to_string();
    assert!(message.contains("job 42"), "{message}");
    assert!(message.contains("deleted the job"), "{message}");
    assert!(message.contains("missing or incomplete"), "{message}");
    assert_says_stored(&err);

    // Not deletable: the user is told to cancel it; the driver's own words are kept.
    let err = f
        .spooler("job-error-kept")
        .print_escpos(RECEIPT_PRINTER, b"\x1b@", "t")
        .unwrap_err();
    assert!(
        matches!(
            &err,
            PrintError::WindowsPrinter {
                problem: PrinterProblem::Error,
                cancelled: false,
                ..
            }
        ),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(message.contains("Printer needs attention"), "{message}");
    assert!(message.contains("cancel it"), "{message}");
}

#[test]
fn the_spooler_not_running() {
    let f = fakes();
    let spooler = f.spooler("spooler-stopped");
    for err in [
        spooler.printers().unwrap_err(),
        spooler.default_printer().unwrap_err(),
        spooler
            .print_escpos(RECEIPT_PRINTER, b"x", "t")
            .unwrap_err(),
    ] {
        assert!(
            matches!(&err, PrintError::SpoolerNotRunning { detail } if detail.contains("Stopped")),
            "{err:?}"
        );
        assert_eq!(err.kind(), "scheduler_not_running");
        let message = err.to_string();
        assert!(
            message.contains("services.msc") && message.contains("Print Spooler"),
            "{message}"
        );
        assert_says_stored(&err);
    }
}

#[test]
fn spooler_errors_keep_windows_own_words() {
    let f = fakes();
    let err = f
        .spooler("denied")
        .print_escpos(RECEIPT_PRINTER, b"\x1b@", "t")
        .unwrap_err();
    assert!(
        matches!(
            &err,
            PrintError::SpoolerFailed { code: Some(5), message, printer: Some(p), .. }
                if message == "Access is denied." && p == RECEIPT_PRINTER
        ),
        "{err:?}"
    );
    assert_eq!(err.kind(), "spooler_failed");
    let message = err.to_string();
    assert!(message.contains("open the printer"), "{message}");
    assert!(message.contains("Access is denied (error 5)"), "{message}");
    assert!(
        message.contains("ask whoever manages this computer"),
        "{message}"
    );
    assert_says_stored(&err);

    let err = f.spooler("wmi-broken").printers().unwrap_err();
    assert!(
        matches!(&err, PrintError::SpoolerFailed { code: None, message, .. } if message == "Invalid class \"Win32_Printer\""),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("could not list the printers"),
        "{err}"
    );

    // A printer that refuses the RAW datatype is the wrong printer (or driver) for receipts.
    let err = f
        .spooler("datatype")
        .print_escpos(RECEIPT_PRINTER, b"\x1b@", "t")
        .unwrap_err();
    assert!(matches!(err, PrintError::Setting { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains("does not take raw print jobs"),
        "{message}"
    );
    assert!(
        message.contains("The specified datatype is invalid"),
        "{message}"
    );
}

#[test]
fn no_pdf_app_says_to_install_one_or_save_the_pdf() {
    let f = fakes();
    let err = f
        .spooler("no-pdf-app")
        .print_pdf(OFFICE, b"%PDF-1.7", 1, "A4")
        .unwrap_err();
    assert!(
        matches!(&err, PrintError::NoPdfApp { printer, detail } if printer == OFFICE && detail.starts_with("No application is associated")),
        "{err:?}"
    );
    assert_eq!(err.kind(), "no_pdf_app");
    let message = err.to_string();
    assert!(
        message.contains("No app on this computer can print PDFs"),
        "{message}"
    );
    assert!(message.contains("Install a PDF reader"), "{message}");
    assert!(message.contains("save the PDF"), "{message}");
    assert_says_stored(&err);
    // Nobody will open the PDF: it is not left behind.
    assert!(
        f.temp_files("no-pdf-app").is_empty(),
        "{:?}",
        f.temp_files("no-pdf-app")
    );
}

#[test]
fn a_virtual_printer_does_not_get_escpos() {
    let f = fakes();
    let receipt = samples::fixture_invoice();
    let pdf = render(&receipt, Format::Thermal80).unwrap();
    let err = OsPrinters::Windows(f.spooler("virtual"))
        .print_receipt(
            "Microsoft Print to PDF",
            &receipt,
            Format::Thermal80,
            &pdf,
            "t",
        )
        .unwrap_err();
    assert!(matches!(err, PrintError::Setting { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("not a receipt printer"), "{message}");
    assert!(message.contains("Microsoft Print To PDF"), "{message}");
    assert_eq!(f.ran("virtual", "raw"), 0);
}

#[test]
fn powershell_missing_failing_or_answering_nonsense() {
    let f = fakes();
    let missing = WindowsSpooler::with_powershell(f.dir("nowhere").join("powershell.exe"));
    let err = missing.printers().unwrap_err();
    assert!(
        matches!(&err, PrintError::PowerShellMissing { command } if command.ends_with("powershell.exe")),
        "{err:?}"
    );
    assert_eq!(err.kind(), "powershell_missing");
    assert!(err.to_string().contains("WindowsPowerShell"), "{err}");
    assert_says_stored(&err);

    let err = f.spooler("blocked").printers().unwrap_err();
    assert!(
        matches!(&err, PrintError::PowerShellFailed { message, .. } if message.starts_with("Program 'powershell.exe' failed to run: This program is blocked by group policy.")),
        "{err:?}"
    );
    assert_eq!(err.kind(), "powershell_failed");
    assert!(err.to_string().contains("allow it for Hesabu"), "{err}");

    for scenario in ["garbage", "bad-json"] {
        let err = f.spooler(scenario).printers().unwrap_err();
        assert!(
            matches!(err, PrintError::UnexpectedOutput { .. }),
            "{scenario}: {err:?}"
        );
    }

    // Queued without a job id: the user must check the queue before printing again.
    let err = f
        .spooler("no-job")
        .print_escpos(RECEIPT_PRINTER, b"\x1b@", "t")
        .unwrap_err();
    assert!(
        matches!(err, PrintError::UnexpectedOutput { .. }),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("check the printer's queue"),
        "{err}"
    );
}

#[test]
fn powershell_that_hangs_is_stopped() {
    let f = fakes();
    let mut spooler = f.spooler("hang");
    spooler.timeout = Duration::from_millis(300);
    let started = Instant::now();
    let err = spooler.printers().unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert!(
        matches!(&err, PrintError::WindowsTimeout { waited, .. } if *waited == Duration::from_millis(300)),
        "{err:?}"
    );
    assert_eq!(err.kind(), "timeout");
    let message = err.to_string();
    assert!(message.contains("listing the printers"), "{message}");
    assert!(
        message.contains("check whether the receipt is there"),
        "{message}"
    );
}

#[test]
fn bad_settings_are_refused_before_powershell_runs() {
    let f = fakes();
    let spooler = f.spooler("refused-settings");
    for name in ["", "  ", "two\nlines"] {
        let err = spooler.print_escpos(name, b"x", "t").unwrap_err();
        assert!(
            matches!(err, PrintError::Setting { .. }),
            "{name:?}: {err:?}"
        );
    }
    for copies in [0, 2] {
        let err = spooler.print_pdf(OFFICE, b"%PDF", copies, "t").unwrap_err();
        assert!(
            matches!(err, PrintError::Setting { .. }),
            "{copies}: {err:?}"
        );
    }
    assert_eq!(f.ran("refused-settings", "list"), 0);
    let err = spooler
        .print_file(OFFICE, Path::new("/nonexistent/receipt.pdf"), 1, "t")
        .unwrap_err();
    assert!(matches!(err, PrintError::FileUnreadable { .. }), "{err:?}");
}

#[test]
fn the_embedded_script_is_the_spooler_script_we_expect() {
    assert!(
        SCRIPT.is_ascii(),
        "Windows PowerShell 5.1 reads a BOM-less script as ANSI"
    );
    // The winspool P/Invoke signatures, Unicode entry points; StartDocPrinter returns the job.
    for signature in [
        r#"[DllImport("winspool.drv", EntryPoint = "OpenPrinterW""#,
        "public static extern bool OpenPrinter(string pPrinterName, out IntPtr phPrinter, IntPtr pDefault);",
        r#"[DllImport("winspool.drv", EntryPoint = "StartDocPrinterW""#,
        "public static extern int StartDocPrinter(IntPtr hPrinter, int Level, [In, MarshalAs(UnmanagedType.LPStruct)] DOC_INFO_1 pDocInfo);",
        "public static extern bool WritePrinter(IntPtr hPrinter, IntPtr pBuf, int cbBuf, out int pcWritten);",
        "public static extern bool EndDocPrinter(IntPtr hPrinter);",
        "public static extern bool ClosePrinter(IntPtr hPrinter);",
        "public static extern bool AbortPrinter(IntPtr hPrinter);",
        r#"EntryPoint = "GetJobW""#,
        r#"EntryPoint = "SetJobW""#,
        "JOB_CONTROL_DELETE = 5",
    ] {
        assert!(SCRIPT.contains(signature), "{signature}");
    }
    // The C# is one single-quoted here-string, closed at the start of a line.
    assert_eq!(SCRIPT.matches("@'\n").count(), 1);
    assert_eq!(SCRIPT.matches("\n'@\n").count(), 1);
    let csharp = &SCRIPT[SCRIPT.find("@'\n").unwrap()..SCRIPT.find("\n'@\n").unwrap()];
    assert_eq!(
        csharp.matches('{').count(),
        csharp.matches('}').count(),
        "the C# braces balance"
    );
    assert_eq!(csharp.matches('(').count(), csharp.matches(')').count());
    // RAW, the printer list from WMI, PrintTo, the answer line.
    for part in [
        "[HesabuSpooler]::Print($env:HESABU_PRINTER, $env:HESABU_PRINT_TITLE, 'RAW', $data, $watch)",
        "Add-Type -TypeDefinition $HesabuSpoolerSource -Language CSharp",
        "Get-CimInstance -ClassName Win32_Printer",
        "Select-Object Name, Default, WorkOffline, PrinterStatus, ExtendedPrinterStatus,",
        "DetectedErrorState, ExtendedDetectedErrorState, DriverName, PortName",
        "Get-Service -Name Spooler",
        "$info.Verb = 'PrintTo'",
        "Get-CimInstance -ClassName Win32_PrintJob",
        "ConvertTo-Json -InputObject $Answer -Compress",
        "[System.IO.File]::ReadAllBytes($env:HESABU_PRINT_FILE)",
    ] {
        assert!(SCRIPT.contains(part), "{part}");
    }
    // The bootstrap reads the file as UTF-8 and has no quotes to mangle on a command line.
    assert!(BOOTSTRAP.contains("[System.Text.Encoding]::UTF8"));
    assert!(!BOOTSTRAP.contains('"') && !BOOTSTRAP.contains('\''));
}

/// The C# of the script compiled as C# 5 (what Windows PowerShell 5.1's `Add-Type` compiles),
/// when Mono's `mcs` is installed (`apt install mono-mcs`); otherwise a "skipped" line. It cannot
/// call winspool here, only prove the source compiles.
#[test]
fn the_embedded_csharp_compiles_where_mcs_is_installed() {
    let dir = tempfile::tempdir().unwrap();
    let start = SCRIPT.find("@'\n").unwrap() + 3;
    let end = SCRIPT.find("\n'@\n").unwrap();
    let source = dir.path().join("HesabuSpooler.cs");
    std::fs::write(&source, &SCRIPT[start..end]).unwrap();
    let out = std::process::Command::new("mcs")
        .args(["-langversion:5", "-target:library", "-warnaserror+"])
        .arg(format!(
            "-out:{}",
            dir.path().join("HesabuSpooler.dll").display()
        ))
        .arg(&source)
        .output();
    match out {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            println!("skipped: mcs is not installed (apt install mono-mcs to compile the C#)");
        }
        Err(e) => panic!("mcs could not start: {e}"),
        Ok(out) => assert!(
            out.status.success(),
            "the embedded C# does not compile:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}
