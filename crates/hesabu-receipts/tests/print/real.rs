//! Prints on real printers, by hand: ignored unless asked for, and then told where to print
//! (docs/printing.md, "Testing with a real printer").
//!
//! ```sh
//! HESABU_TEST_PRINTER=192.168.1.50:9100 HESABU_TEST_COLUMNS=48 \
//!   cargo test -p hesabu-receipts --test print real:: -- --ignored --nocapture
//! HESABU_TEST_CUPS_PRINTER=PDF cargo test -p hesabu-receipts --test print real:: -- --ignored
//! ```
//!
//! On Windows (PowerShell), the receipt printer's name as Windows shows it, and optionally an A4
//! printer:
//!
//! ```powershell
//! $env:HESABU_TEST_WINDOWS_PRINTER = 'EPSON TM-T20II Receipt'
//! $env:HESABU_TEST_WINDOWS_A4_PRINTER = 'Office LaserJet'
//! cargo test -p hesabu-receipts --test print real::on_a_windows_printer -- --ignored --nocapture
//! ```

use hesabu_receipts::print::{
    CodePage, EscPosOptions, NetworkPrinter, OsPrinters, PdfRoute, WindowsSpooler,
};
use hesabu_receipts::{Format, Receipt, render, samples};

fn setting(name: &str) -> String {
    std::env::var(name)
        .unwrap_or_else(|_| panic!("set {name} to say which printer to use (see docs/printing.md)"))
}

/// Every kind of receipt: an invoice, a credit note, a reprint (COPY) and an unsigned one.
fn receipts() -> Vec<Receipt> {
    let mut accented = samples::shop_invoice();
    accented.buyer = Some(hesabu_receipts::Buyer {
        name: "Zoë Müller – Café Łódź".to_owned(),
        pin: None,
    });
    accented.copy = true;
    let unsigned = Receipt {
        signature: None,
        ..samples::fixture_invoice()
    };
    vec![
        samples::fixture_invoice(),
        samples::fixture_credit_note(),
        accented,
        unsigned,
    ]
}

#[test]
#[ignore = "prints on a real network printer: set HESABU_TEST_PRINTER=host:port"]
fn on_a_network_printer() {
    let mut printer = NetworkPrinter::new(&setting("HESABU_TEST_PRINTER")).unwrap();
    // `nc -l 9100 > job.bin` does not answer status queries.
    printer.check_status = std::env::var("HESABU_TEST_STATUS").as_deref() != Ok("off");
    let columns = std::env::var("HESABU_TEST_COLUMNS")
        .ok()
        .map_or(48, |c| c.parse().expect("HESABU_TEST_COLUMNS is a number"));
    let code_page = match std::env::var("HESABU_TEST_CODE_PAGE").as_deref() {
        Ok("850") => CodePage::Pc850,
        Ok("858") => CodePage::Pc858,
        Ok("1252") => CodePage::Wpc1252,
        _ => CodePage::Pc437,
    };
    if printer.check_status {
        println!("status: {:?}", printer.status().unwrap());
    }
    let options = EscPosOptions {
        code_page,
        ..EscPosOptions::with_columns(columns)
    };
    for receipt in receipts() {
        let report = printer.print_receipt(&receipt, &options).unwrap();
        println!("{}: {report:?}", receipt.number);
    }
}

#[test]
#[ignore = "prints on a real CUPS printer: set HESABU_TEST_CUPS_PRINTER=name"]
fn on_a_cups_printer() {
    let name = setting("HESABU_TEST_CUPS_PRINTER");
    let printers = OsPrinters::for_this_platform();
    println!("printers: {:?}", printers.printers().unwrap());
    println!("default: {:?}", printers.default_printer().unwrap());
    for format in Format::ALL {
        let pdf = render(&samples::fixture_invoice(), format).unwrap();
        let job = printers
            .print_pdf(&name, &pdf, 1, &format!("Hesabu test {format:?}"))
            .unwrap();
        println!("{format:?}: {job:?}");
    }
}

#[test]
#[ignore = "prints on a real Windows printer: set HESABU_TEST_WINDOWS_PRINTER=name"]
fn on_a_windows_printer() {
    let name = setting("HESABU_TEST_WINDOWS_PRINTER");
    let mut spooler = WindowsSpooler::system();
    if std::env::var("HESABU_TEST_WINDOWS_PDF").as_deref() == Ok("raw") {
        spooler.pdf_route = PdfRoute::Raw;
    }
    for printer in spooler.printer_details().unwrap() {
        println!("{printer:?}: problem {:?}", printer.problem());
    }
    println!("default: {:?}", spooler.default_printer().unwrap());
    let roll = match std::env::var("HESABU_TEST_COLUMNS").as_deref() {
        Ok("32") => Format::Thermal58,
        _ => Format::Thermal80,
    };
    let printers = OsPrinters::Windows(spooler);
    for receipt in receipts() {
        let pdf = render(&receipt, roll).unwrap();
        let printed = printers
            .print_receipt(
                &name,
                &receipt,
                roll,
                &pdf,
                &format!("Hesabu test {}", receipt.number),
            )
            .unwrap();
        println!(
            "{} ({roll:?}): {:?} as {:?}, {} bytes",
            receipt.number,
            printed.job,
            printed.sent_as,
            printed.bytes.len()
        );
    }
    if let Ok(a4) = std::env::var("HESABU_TEST_WINDOWS_A4_PRINTER") {
        let receipt = samples::fixture_invoice();
        let pdf = render(&receipt, Format::A4).unwrap();
        let printed = printers
            .print_receipt(&a4, &receipt, Format::A4, &pdf, "Hesabu test A4")
            .unwrap();
        println!("A4 on {a4}: {:?}", printed.job);
    }
}
