//! Where a receipt goes: a printer named as `cups:NAME` (one of the computer's printers: CUPS,
//! or the print spooler on Windows) or
//! `net:HOST[:PORT]` (a network thermal printer, ESC/POS on port 9100), and the blocking calls
//! that send it there (run off the async threads by the caller). The printing itself is
//! `hesabu_receipts::print`; this module only chooses and describes.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use hesabu_receipts::print::{
    EscPosOptions, NetworkPrinter, OsPrinters, PrintError, PrinterProblem,
};
use hesabu_receipts::{Format, Receipt};
use hesabu_store::error::{Error, Result};

/// The paper a receipt is laid out for, as the user names it: `80mm`, `58mm` or `a4`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
pub enum PaperFormat {
    /// 80 mm thermal roll (48 columns).
    #[serde(rename = "80mm")]
    Roll80,
    /// 58 mm thermal roll (32 columns).
    #[serde(rename = "58mm")]
    Roll58,
    /// An A4 invoice.
    #[serde(rename = "a4")]
    A4,
}

impl PaperFormat {
    pub const ALL: [PaperFormat; 3] = [PaperFormat::Roll80, PaperFormat::Roll58, PaperFormat::A4];

    /// The stored and typed word.
    pub fn as_str(self) -> &'static str {
        match self {
            PaperFormat::Roll80 => "80mm",
            PaperFormat::Roll58 => "58mm",
            PaperFormat::A4 => "a4",
        }
    }

    /// The renderer's format.
    pub fn format(self) -> Format {
        match self {
            PaperFormat::Roll80 => Format::Thermal80,
            PaperFormat::Roll58 => Format::Thermal58,
            PaperFormat::A4 => Format::A4,
        }
    }

    /// Reads `80mm`, `58mm`, `a4` (also `80`, `58`, `A4`).
    pub fn parse(text: &str) -> Result<PaperFormat> {
        match text.trim().to_ascii_lowercase().as_str() {
            "80mm" | "80" | "80 mm" => Ok(PaperFormat::Roll80),
            "58mm" | "58" | "58 mm" => Ok(PaperFormat::Roll58),
            "a4" => Ok(PaperFormat::A4),
            other => Err(Error::invalid(format!(
                "'{other}' is not a receipt format: use 80mm or 58mm (thermal rolls) or a4."
            ))),
        }
    }
}

impl std::fmt::Display for PaperFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A printer as the settings and the CLI name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrinterSpec {
    /// One of the computer's printers, through CUPS.
    Cups(String),
    /// A network thermal printer, `host:port` (ESC/POS).
    Network(String),
}

impl PrinterSpec {
    /// Reads `cups:NAME` or `net:HOST[:PORT]` (also `network:`); the port defaults to 9100.
    pub fn parse(text: &str) -> Result<PrinterSpec> {
        let t = text.trim();
        let help = "Name a printer as cups:NAME (one of the computer's printers, see `hesabu \
                    receipt printers`) or net:HOST[:PORT] (a network receipt printer, e.g. \
                    net:192.168.1.50:9100).";
        let (scheme, rest) = t.split_once(':').ok_or_else(|| {
            Error::invalid(format!(
                "'{t}' does not say what kind of printer it is. {help}"
            ))
        })?;
        let rest = rest.trim();
        match scheme.to_ascii_lowercase().as_str() {
            "cups" => {
                // Windows printer names have spaces ("EPSON TM-T20II Receipt"); CUPS's do not.
                let bad_char =
                    |c: char| c.is_control() || (!cfg!(windows) && (c.is_whitespace() || c == '#'));
                if rest.is_empty() || rest.starts_with('-') || rest.chars().any(bad_char) {
                    return Err(Error::invalid(format!(
                        "'{rest}' is not a printer name of this computer. {help}"
                    )));
                }
                Ok(PrinterSpec::Cups(rest.to_owned()))
            }
            "net" | "network" => {
                let printer =
                    NetworkPrinter::new(rest).map_err(|e| Error::invalid(e.to_string()))?;
                Ok(PrinterSpec::Network(printer.address()))
            }
            other => Err(Error::invalid(format!(
                "'{other}' is not a kind of printer Hesabu knows. {help}"
            ))),
        }
    }

    /// As stored and as printed in the print history: `cups:NAME`, `network:HOST:PORT`.
    pub fn destination(&self) -> String {
        match self {
            PrinterSpec::Cups(name) => format!("cups:{name}"),
            PrinterSpec::Network(address) => format!("network:{address}"),
        }
    }
}

/// How this installation reaches printers: the OS printers (CUPS, or fakes in tests) and the
/// timeouts of network printers.
#[derive(Debug, Clone)]
pub struct Printers {
    pub os: OsPrinters,
    /// How long to wait to connect to a network printer.
    pub connect_timeout: Duration,
    /// How long to wait for a network printer's status or for it to take the job.
    pub io_timeout: Duration,
}

impl Printers {
    /// The platform's printers (CUPS commands on the `PATH`) and the default timeouts.
    pub fn system() -> Printers {
        Printers {
            os: OsPrinters::for_this_platform(),
            connect_timeout: Duration::from_secs(3),
            io_timeout: Duration::from_secs(10),
        }
    }

    /// CUPS's `lp` and `lpstat` from `dir` (another install, or fake scripts in tests).
    pub fn with_cups_dir(dir: impl Into<PathBuf>) -> Printers {
        Printers {
            os: OsPrinters::Cups(hesabu_receipts::print::Cups::in_dir(dir)),
            ..Printers::system()
        }
    }
}

/// What a successful send reports.
pub(crate) struct Sent {
    pub(crate) job_id: Option<String>,
    pub(crate) destination: String,
    pub(crate) bytes: Vec<u8>,
    pub(crate) warnings: Vec<String>,
}

/// A failed send: where it was going, and the printer's error.
pub(crate) struct NotSent {
    pub(crate) destination: String,
    pub(crate) error: PrintError,
}

/// Sends one receipt (blocking): to one of the computer's printers the platform's way (`pdf`,
/// rendered by the caller, through CUPS; on Windows a roll as ESC/POS from `receipt`, A4 as the
/// PDF), or ESC/POS bytes laid out for the paper from `receipt` to a network printer.
pub(crate) fn send(
    printers: &Printers,
    spec: &PrinterSpec,
    paper: PaperFormat,
    receipt: &Receipt,
    pdf: Option<Vec<u8>>,
    title: &str,
) -> std::result::Result<Sent, NotSent> {
    let destination = spec.destination();
    let fail = |error: PrintError| NotSent {
        destination: destination.clone(),
        error,
    };
    match spec {
        PrinterSpec::Cups(name) => {
            let bytes = pdf.ok_or_else(|| {
                fail(PrintError::Render(hesabu_receipts::RenderError::Internal(
                    "no PDF was rendered for the printer".to_owned(),
                )))
            })?;
            let printed = printers
                .os
                .print_receipt(name, receipt, paper.format(), &bytes, title)
                .map_err(fail)?;
            Ok(Sent {
                job_id: printed.job.id,
                destination: destination.clone(),
                warnings: warnings_of(
                    &printed.job.warnings,
                    &printed.transliterated,
                    &printed.unprintable,
                ),
                bytes: printed.bytes,
            })
        }
        PrinterSpec::Network(address) => {
            let options = match paper {
                PaperFormat::Roll80 => EscPosOptions::paper_80mm(),
                PaperFormat::Roll58 => EscPosOptions::paper_58mm(),
                PaperFormat::A4 => {
                    return Err(fail(PrintError::Setting {
                        setting: "paper for a network receipt printer",
                        message: "a network thermal printer prints on a roll, not A4; choose \
                                  80mm or 58mm, or print the A4 invoice on a CUPS printer"
                            .to_owned(),
                    }));
                }
            };
            let mut printer = NetworkPrinter::new(address).map_err(fail)?;
            printer.connect_timeout = printers.connect_timeout;
            printer.io_timeout = printers.io_timeout;
            let job = hesabu_receipts::print::escpos::render(receipt, &options).map_err(fail)?;
            let report = printer.send(&job.bytes).map_err(fail)?;
            Ok(Sent {
                job_id: None,
                destination: format!("network:{}", report.address),
                warnings: warnings_of(&report.warnings, &job.transliterated, &job.unprintable),
                bytes: job.bytes,
            })
        }
    }
}

/// What did not stop a print, in words: the printer's warnings (paper nearly out) and the
/// characters an ESC/POS code page lacked.
fn warnings_of(
    problems: &[PrinterProblem],
    transliterated: &[char],
    unprintable: &[char],
) -> Vec<String> {
    let mut warnings: Vec<String> = problems
        .iter()
        .map(|w| format!("The printer reports that {}. {}", w.describe(), w.fix()))
        .collect();
    if !transliterated.is_empty() || !unprintable.is_empty() {
        warnings.push(format!(
            "The printer's code page lacks some characters: {} printed in plain \
             letters{}. The PDF shows them as they are.",
            transliterated.iter().collect::<String>(),
            if unprintable.is_empty() {
                String::new()
            } else {
                format!(", and {} as '?'", unprintable.iter().collect::<String>())
            }
        ));
    }
    warnings
}

/// A printing error as the core's error: what the user fixes (a setting, a printer name, the
/// receipt's data) is invalid input; a printer that is off, out of paper or unreachable is
/// unavailable. The message always says the receipt stays stored.
pub(crate) fn to_error(e: &PrintError) -> Error {
    match e {
        PrintError::Render(hesabu_receipts::RenderError::Internal(m)) => Error::Internal(m.clone()),
        PrintError::Render(_)
        | PrintError::Setting { .. }
        | PrintError::Address { .. }
        | PrintError::NoSuchPrinter { .. }
        | PrintError::FileUnreadable { .. } => Error::invalid(e.to_string()),
        _ => Error::Unavailable(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printers_are_named_by_kind() {
        assert_eq!(
            PrinterSpec::parse("cups:Office").unwrap(),
            PrinterSpec::Cups("Office".into())
        );
        assert_eq!(
            PrinterSpec::parse("net:192.168.1.50")
                .unwrap()
                .destination(),
            "network:192.168.1.50:9100"
        );
        assert_eq!(
            PrinterSpec::parse(" network:10.0.0.7:9101 ")
                .unwrap()
                .destination(),
            "network:10.0.0.7:9101"
        );
        for bad in [
            "Office",
            "cups:",
            "cups:two words",
            "net:",
            "usb:lp0",
            "net:a b",
        ] {
            let err = PrinterSpec::parse(bad).unwrap_err();
            assert_eq!(err.kind(), hesabu_store::ErrorKind::InvalidInput, "{bad}");
        }
    }

    #[test]
    fn formats_have_one_word_each() {
        for f in PaperFormat::ALL {
            assert_eq!(PaperFormat::parse(f.as_str()).unwrap(), f);
            assert_eq!(
                serde_json::to_value(f).unwrap(),
                serde_json::Value::String(f.as_str().into())
            );
        }
        assert!(PaperFormat::parse("letter").is_err());
    }
}
