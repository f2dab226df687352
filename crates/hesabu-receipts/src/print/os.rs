//! The computer's own printers, whatever the platform: [`OsPrinters`] is CUPS on Linux and
//! macOS and the Windows print spooler on Windows ([`OsPrinters::for_this_platform`]), with the
//! same calls (list, default, print) and the same job report ([`OsJob`]).
//!
//! A receipt goes to them the way each platform's point-of-sale software sends it
//! ([`OsPrinters::print_receipt`]):
//!
//! | platform | 80 mm / 58 mm roll | A4 |
//! |---|---|---|
//! | CUPS | the PDF, `lp` (the queue's driver rasterises it) | the PDF, `lp` |
//! | Windows | raw ESC/POS bytes through the spooler (the bytes the network path sends) | the PDF through the spooler ([`super::PdfRoute`]) |
//!
//! A roll PDF to a Windows printer that is not a receipt printer is [`OsPrinters::print_pdf`].

use std::path::Path;

use crate::Format;
use crate::model::Receipt;

use super::PrintError;
use super::cups::Cups;
use super::escpos::{self, EscPosOptions};
use super::network::PrinterProblem;
use super::windows::WindowsSpooler;

/// A print job an OS printer accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OsJob {
    /// The job id: CUPS's `PRINTER-N` (for `lpstat -o` and `cancel`), or the Windows spooler's
    /// job number. `None` only when Windows printed a PDF through the PDF app and its job did
    /// not show in the queue while Hesabu watched (the app prints in its own time).
    pub id: Option<String>,
    /// The printer it went to (on Windows, as Windows spells it).
    pub printer: String,
    /// Problems that did not stop the print (Windows: the paper is low), to show the user.
    pub warnings: Vec<PrinterProblem>,
}

/// What was sent to the printer for a receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SentAs {
    /// The receipt's PDF.
    Pdf,
    /// ESC/POS bytes, raw (a Windows receipt printer).
    EscPos,
}

/// A receipt printed on an OS printer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OsPrint {
    pub job: OsJob,
    pub sent_as: SentAs,
    /// The bytes sent: the PDF, or the ESC/POS job.
    pub bytes: Vec<u8>,
    /// ESC/POS only: characters printed as their ASCII spelling (see [`super::codepage`]).
    pub transliterated: Vec<char>,
    /// ESC/POS only: characters printed as `?`.
    pub unprintable: Vec<char>,
}

/// The computer's printers on this platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OsPrinters {
    /// Through CUPS (Linux, macOS).
    Cups(Cups),
    /// Through the Windows print spooler.
    Windows(WindowsSpooler),
}

impl OsPrinters {
    /// The printers of the platform this runs on: the spooler on Windows, CUPS elsewhere.
    pub fn for_this_platform() -> OsPrinters {
        if cfg!(windows) {
            OsPrinters::Windows(WindowsSpooler::system())
        } else {
            OsPrinters::Cups(Cups::from_path())
        }
    }

    /// The printers that can be chosen.
    pub fn printers(&self) -> Result<Vec<String>, PrintError> {
        match self {
            OsPrinters::Cups(cups) => cups.printers(),
            OsPrinters::Windows(spooler) => spooler.printers(),
        }
    }

    /// The system's default printer, if any.
    pub fn default_printer(&self) -> Result<Option<String>, PrintError> {
        match self {
            OsPrinters::Cups(cups) => cups.default_printer(),
            OsPrinters::Windows(spooler) => spooler.default_printer(),
        }
    }

    /// Prints PDF bytes (see [`Cups::print_pdf`], [`WindowsSpooler::print_pdf`]).
    pub fn print_pdf(
        &self,
        printer: &str,
        pdf: &[u8],
        copies: u32,
        title: &str,
    ) -> Result<OsJob, PrintError> {
        match self {
            OsPrinters::Cups(cups) => cups.print_pdf(printer, pdf, copies, title),
            OsPrinters::Windows(spooler) => spooler.print_pdf(printer, pdf, copies, title),
        }
    }

    /// Prints a PDF file (see [`Cups::print_file`], [`WindowsSpooler::print_file`]).
    pub fn print_file(
        &self,
        printer: &str,
        file: &Path,
        copies: u32,
        title: &str,
    ) -> Result<OsJob, PrintError> {
        match self {
            OsPrinters::Cups(cups) => cups.print_file(printer, file, copies, title),
            OsPrinters::Windows(spooler) => spooler.print_file(printer, file, copies, title),
        }
    }

    /// Prints one receipt laid out for `format`, the platform's way (the table above): `pdf`
    /// is the receipt rendered in `format` (the stored original's bytes for an original), sent
    /// as it is except for a roll on Windows, which gets ESC/POS from `receipt` with the
    /// paper's default [`EscPosOptions`] (48 or 32 columns, PC437).
    pub fn print_receipt(
        &self,
        printer: &str,
        receipt: &Receipt,
        format: Format,
        pdf: &[u8],
        title: &str,
    ) -> Result<OsPrint, PrintError> {
        let options = match format {
            Format::Thermal80 => Some(EscPosOptions::paper_80mm()),
            Format::Thermal58 => Some(EscPosOptions::paper_58mm()),
            Format::A4 => None,
        };
        match (self, options) {
            (OsPrinters::Windows(spooler), Some(options)) => {
                let job = escpos::render(receipt, &options)?;
                let printed = spooler.print_escpos(printer, &job.bytes, title)?;
                Ok(OsPrint {
                    job: printed,
                    sent_as: SentAs::EscPos,
                    bytes: job.bytes,
                    transliterated: job.transliterated,
                    unprintable: job.unprintable,
                })
            }
            _ => Ok(OsPrint {
                job: self.print_pdf(printer, pdf, 1, title)?,
                sent_as: SentAs::Pdf,
                bytes: pdf.to_vec(),
                transliterated: Vec::new(),
                unprintable: Vec::new(),
            }),
        }
    }
}
