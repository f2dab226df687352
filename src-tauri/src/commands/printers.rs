//! The receipt printers' test print (issue 17): a sample receipt, marked as a test and never
//! fiscal (no KRA signature, so it prints "THIS IS NOT AN OFFICIAL RECEIPT" at the top and the
//! end), sent to the chosen or the format's printer with the company's name, PIN and receipt
//! messages, so a person setting printers up sees the paper, the width and the messages.
//! Listed in the command table in [`super`].
//!
//! It prints through `hesabu_receipts::print` directly: a test print is not a receipt, so
//! nothing is stored, logged or audited (the receipts service records only real receipts).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use hesabu_app::receipts::{self, PaperFormat, PrinterSpec, Printers, ReceiptSettings};
use hesabu_core::company::CompanyInfo;
use hesabu_receipts::print::{EscPosOptions, NetworkPrinter, PrintError};
use hesabu_receipts::{Receipt, Seller, Stamp, samples};
use hesabu_store::WireError;
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::{Error, Result};
use hesabu_store::permissions::Permission;
use tauri::State;

use crate::state::{AppState, IntoWire};

/// The document number printed on a test print.
pub const TEST_NUMBER: &str = "TEST PRINT";

/// The first lines of a test print's top message.
pub const TEST_BANNER: &str = "*** PRINTER TEST - NOT A SALE ***";

/// What the printer's errors say about real receipts, which a test print is not.
const RECEIPT_STAYS_STORED: &str =
    " The receipt stays stored in Hesabu; print it again from Receipts once this is fixed.";

/// What a test print did.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct TestPrintResult {
    /// `cups:NAME` or `network:HOST:PORT`.
    pub destination: String,
    /// CUPS's job id (a network printer has none).
    pub job_id: Option<String>,
    /// What did not stop it (paper nearly out, characters the printer lacks).
    pub warnings: Vec<String>,
}

/// The test receipt: one line, totals that add up, the company as seller with the receipt
/// messages of the settings, no buyer and no signature.
pub fn test_receipt(company: &CompanyInfo, settings: &ReceiptSettings, at: Stamp) -> Receipt {
    let mut r = samples::fixture_invoice();
    r.seller = Seller {
        trading_name: company
            .trading_name
            .clone()
            .unwrap_or_else(|| company.legal_name.clone()),
        address: company.address.clone().unwrap_or_default(),
        pin: company.kra_pin.clone(),
        branch_id: company.branch_id.clone(),
        top_message: Some(match &settings.top_message {
            Some(m) => format!("{TEST_BANNER}\n{m}"),
            None => TEST_BANNER.to_owned(),
        }),
        bottom_message: settings.bottom_message.clone(),
    };
    r.buyer = None;
    r.number = TEST_NUMBER.to_owned();
    r.issued_at = at;
    r.signature = None;
    r.original_cu_invoice = None;
    r.copy = false;
    if let Some(line) = r.lines.first_mut() {
        line.description = "Printer test (no sale)".to_owned();
    }
    r
}

/// `yyyyMMddHHmmss` as a receipt's date and time.
fn stamp_of(text: &str) -> Option<Stamp> {
    let part = |from: usize, to: usize| text.get(from..to)?.parse::<u16>().ok();
    let small = |from: usize, to: usize| u8::try_from(part(from, to)?).ok();
    Some(Stamp {
        year: part(0, 4)?,
        month: small(4, 6)?,
        day: small(6, 8)?,
        hour: small(8, 10)?,
        minute: small(10, 12)?,
        second: small(12, 14)?,
    })
}

/// A printer's failure as the store's error, worded for a test print.
fn print_error(e: &PrintError) -> Error {
    let message = format!(
        "{} Nothing was stored: this was only a test print.",
        e.to_string().replace(RECEIPT_STAYS_STORED, "")
    );
    match e {
        PrintError::Render(hesabu_receipts::RenderError::Internal(m)) => Error::Internal(m.clone()),
        PrintError::Render(_)
        | PrintError::Setting { .. }
        | PrintError::Address { .. }
        | PrintError::NoSuchPrinter { .. } => Error::invalid(message),
        _ => Error::Unavailable(message),
    }
}

/// Sends the test receipt (blocking): to a computer printer as a real receipt goes (a PDF
/// through CUPS; on Windows a roll as ESC/POS), ESC/POS to a network printer.
pub fn send_test(
    printers: &Printers,
    spec: &PrinterSpec,
    format: PaperFormat,
    receipt: &Receipt,
) -> Result<TestPrintResult> {
    match spec {
        PrinterSpec::Cups(name) => {
            let pdf = hesabu_receipts::render(receipt, format.format())
                .map_err(|e| print_error(&PrintError::Render(e)))?;
            // The platform's way, as a real receipt: on Windows a roll goes as ESC/POS.
            let printed = printers
                .os
                .print_receipt(name, receipt, format.format(), &pdf, "Hesabu printer test")
                .map_err(|e| print_error(&e))?;
            Ok(TestPrintResult {
                destination: spec.destination(),
                job_id: printed.job.id,
                warnings: printed
                    .job
                    .warnings
                    .iter()
                    .map(|w| format!("The printer reports that {}. {}", w.describe(), w.fix()))
                    .collect(),
            })
        }
        PrinterSpec::Network(address) => {
            let options = match format {
                PaperFormat::Roll80 => EscPosOptions::paper_80mm(),
                PaperFormat::Roll58 => EscPosOptions::paper_58mm(),
                PaperFormat::A4 => {
                    return Err(Error::invalid(
                        "A network receipt printer prints on a roll, not A4: test it with the \
                         80 mm or 58 mm paper, or choose a computer printer for A4.",
                    ));
                }
            };
            let mut printer = NetworkPrinter::new(address).map_err(|e| print_error(&e))?;
            printer.connect_timeout = printers.connect_timeout;
            printer.io_timeout = printers.io_timeout;
            let report = printer
                .print_receipt(receipt, &options)
                .map_err(|e| print_error(&e))?;
            let mut warnings: Vec<String> = report
                .warnings
                .iter()
                .map(|w| format!("The printer reports that {}. {}", w.describe(), w.fix()))
                .collect();
            if !report.transliterated.is_empty() || !report.unprintable.is_empty() {
                warnings.push(format!(
                    "The printer's code page lacks some characters: {}{} printed in plain \
                     letters or as '?'.",
                    report.transliterated.iter().collect::<String>(),
                    report.unprintable.iter().collect::<String>()
                ));
            }
            Ok(TestPrintResult {
                destination: format!("network:{}", report.address),
                job_id: None,
                warnings,
            })
        }
    }
}

/// Prints the test receipt in `format` on `printer` (`cups:NAME`, `net:HOST[:PORT]`), or on the
/// printer the settings give the format. Needs the permission to print receipts.
pub async fn test_print(
    file: &CompanyFile,
    session: &Session,
    format: PaperFormat,
    printer: Option<&str>,
    printers: &Printers,
) -> Result<TestPrintResult> {
    session.require(Permission::SalesIssue)?;
    let settings = receipts::settings(file, session).await?;
    let spec = match printer.map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => PrinterSpec::parse(p)?,
        None => match settings.printer_for(format) {
            Some(p) => PrinterSpec::parse(p)?,
            None => {
                return Err(Error::invalid(format!(
                    "No printer is set for {format} receipts yet: choose one, then print the \
                     test."
                )));
            }
        },
    };
    let company = hesabu_core::company::info(file, session).await?;
    // Receipts print Kenyan time (KRA's), as the fiscal flow dates them.
    let now = hesabu_etims::dates::format_datetime(&file.clock().now());
    let at = stamp_of(&now)
        .ok_or_else(|| Error::Internal(format!("the time {now} is not yyyyMMddHHmmss")))?;
    let receipt = test_receipt(&company, &settings, at);
    let printers = printers.clone();
    tokio::task::spawn_blocking(move || send_test(&printers, &spec, format, &receipt))
        .await
        .map_err(|e| Error::Internal(format!("the printing task stopped: {e}")))?
}

/// Prints a sample receipt marked as a test; answers the job id or what to fix.
#[tauri::command]
pub async fn receipt_test_print(
    state: State<'_, AppState>,
    format: PaperFormat,
    printer: Option<String>,
) -> Result<TestPrintResult, WireError> {
    let (open, session) = state.signed_in().await?;
    test_print(
        &open.file,
        &session,
        format,
        printer.as_deref(),
        &Printers::system(),
    )
    .await
    .wire()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use hesabu_app::demo;
    use hesabu_receipts::print::fake::{self, FakePrinter};
    use hesabu_store::ErrorKind;
    use hesabu_store::clock::SystemClock;

    use super::*;

    async fn demo_file() -> (tempfile::TempDir, CompanyFile, Session) {
        let dir = tempfile::tempdir().unwrap();
        let (file, _) = demo::create(&dir.path().join("demo.hesabu"), Arc::new(SystemClock))
            .await
            .unwrap();
        let admin = hesabu_store::auth::login(&file, demo::DEMO_ADMIN_EMAIL, demo::DEMO_PASSWORD)
            .await
            .unwrap();
        (dir, file, admin)
    }

    fn quick() -> Printers {
        Printers {
            connect_timeout: Duration::from_secs(1),
            io_timeout: Duration::from_secs(2),
            ..Printers::system()
        }
    }

    #[test]
    fn the_test_receipt_is_marked_and_never_fiscal() {
        let company = CompanyInfo {
            id: "c".into(),
            legal_name: "Savannah Traders Ltd".into(),
            trading_name: Some("Savannah Traders".into()),
            kra_pin: "P051234567X".into(),
            branch_id: "00".into(),
            address: Some("Moi Avenue, Nairobi".into()),
            base_currency: "KES".into(),
            fiscal_year_start_month: 7,
            time_zone: "Africa/Nairobi".into(),
            created_at: String::new(),
            updated_at: String::new(),
        };
        let settings = ReceiptSettings {
            top_message: Some("Karibu".into()),
            ..ReceiptSettings::default()
        };
        let at = stamp_of("20261202140509").unwrap();
        assert_eq!(
            (at.year, at.month, at.day, at.hour, at.minute, at.second),
            (2026, 12, 2, 14, 5, 9)
        );
        assert!(stamp_of("2026").is_none());
        let text =
            hesabu_receipts::render_text(&test_receipt(&company, &settings, at), 48).unwrap();
        for wanted in [
            TEST_BANNER,
            "Karibu",
            "TEST PRINT",
            "Savannah Traders",
            "P051234567X",
            "THANK YOU",
            hesabu_receipts::NOT_OFFICIAL,
        ] {
            assert!(text.contains(wanted), "{wanted} missing from\n{text}");
        }
        assert!(!text.contains("SCU INFORMATION"), "{text}");
    }

    #[tokio::test]
    async fn a_test_print_reaches_a_network_printer_and_a_failure_says_what_to_fix() {
        let (_dir, file, admin) = demo_file().await;
        let printer = FakePrinter::start().unwrap();
        let named = format!("net:{}", printer.address());
        let done = test_print(&file, &admin, PaperFormat::Roll80, Some(&named), &quick())
            .await
            .unwrap();
        assert_eq!(done.destination, format!("network:{}", printer.address()));
        assert_eq!(done.job_id, None);
        let jobs = printer.wait_for_jobs(1, Duration::from_secs(5));
        let lines: Vec<String> = fake::decode(&jobs[0].data)
            .unwrap()
            .items
            .into_iter()
            .filter_map(|item| match item {
                fake::Printed::Line { text, .. } => Some(text),
                _ => None,
            })
            .collect();
        assert!(
            lines.iter().any(|l| l.contains("PRINTER TEST")),
            "{lines:?}"
        );
        assert!(
            !lines.iter().any(|l| l.contains("SCU INFORMATION")),
            "{lines:?}"
        );

        // Out of paper: nothing printed, and the message says what to do, not "stays stored".
        printer.set_behaviour(fake::Behaviour::PaperOut);
        let err = test_print(&file, &admin, PaperFormat::Roll58, Some(&named), &quick())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unavailable);
        let text = err.to_string();
        assert!(
            text.contains("paper") && text.contains("only a test print"),
            "{text}"
        );
        assert!(!text.contains("stays stored"), "{text}");

        // A4 on a roll printer, and no printer set at all: refused with what to choose.
        let err = test_print(&file, &admin, PaperFormat::A4, Some(&named), &quick())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        let err = test_print(&file, &admin, PaperFormat::Roll80, None, &quick())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("No printer is set"), "{err}");

        // A role that may not print receipts may not test the printer either.
        let auditor = hesabu_store::auth::login(&file, "auditor@demo.test", demo::DEMO_PASSWORD)
            .await
            .unwrap();
        let err = test_print(&file, &auditor, PaperFormat::Roll80, Some(&named), &quick())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    }
}
