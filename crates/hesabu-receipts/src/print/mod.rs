//! Printing receipts: to a thermal printer over the network in ESC/POS, or to an OS printer
//! through CUPS. Nothing here stores anything: a failed print leaves the receipt as it was
//! stored, and every printing error says so, so it can be printed again.
//!
//! - [`escpos`]: the receipt as ESC/POS bytes, the same content and order as the roll PDFs
//!   (both lay out `content` with `grid`), the QR code as the printer's own QR command, and a
//!   [`CodePage`] policy for characters the printer lacks ([`codepage`]).
//! - [`network`]: a thermal printer at `host:9100` (raw TCP, "JetDirect"): status asked before
//!   and after the job (`DLE EOT`), offline / cover open / paper out as a [`PrinterProblem`].
//! - [`cups`]: the OS printers through `lp` and `lpstat` (Linux, macOS); Windows printers are
//!   not built yet and say so.
//! - `fake` (feature `testing`): a loopback ESC/POS printer for tests, and a decoder of the
//!   bytes it records.

pub mod codepage;
pub mod cups;
pub mod escpos;
#[cfg(feature = "testing")]
pub mod fake;
pub mod network;

use std::path::PathBuf;
use std::time::Duration;

pub use codepage::{CodePage, TRANSLITERATION};
pub use cups::{Cups, CupsJob, OsPrinters};
pub use escpos::{Cut, EscPosOptions, EscPosReceipt};
pub use network::{DEFAULT_PORT, NetworkPrinter, PrintReport, PrinterProblem, PrinterStatus};

use crate::error::RenderError;

/// Said by every error that happens after a receipt was issued: nothing is lost.
const STORED: &str = "The receipt stays stored in Hesabu; print it again from Receipts once this \
                      is fixed.";

/// Where in a network print job something went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Opening the TCP connection.
    Connecting,
    /// Asking the printer's status before sending the receipt (nothing was printed).
    StatusBefore,
    /// Sending the receipt's bytes.
    Sending,
    /// Asking the printer's status after the receipt was sent.
    StatusAfter,
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Stage::Connecting => "connecting",
            Stage::StatusBefore => "asking for its status (nothing was printed)",
            Stage::Sending => "sending the receipt",
            Stage::StatusAfter => "asking for its status after the receipt was sent",
        })
    }
}

/// Why a receipt could not be printed, and what to do about it. Each message names the printer
/// and says how to fix the cause; a receipt that failed to print is never lost.
#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    /// The receipt itself cannot be printed as given (the same checks as the PDF).
    #[error(transparent)]
    Render(#[from] RenderError),
    /// A printer setting out of range (columns, QR module size, copies, printer name).
    #[error("The {setting} is not valid: {message}. Correct it in the printer settings.")]
    Setting {
        setting: &'static str,
        message: String,
    },
    /// The printer's address cannot be used (not `host` or `host:port`, or the host is unknown).
    #[error(
        "The printer address '{address}' cannot be used: {reason}. Enter it as the printer's IP \
         address or name, optionally with the port (e.g. 192.168.1.50:9100). {stored}",
        stored = STORED
    )]
    Address { address: String, reason: String },
    /// Nothing answers at the address (refused, no route): the printer is off or elsewhere.
    #[error(
        "Cannot reach the printer at {address} ({reason}). Check that it is switched on, \
         connected to the network, and that its IP address is still {address} (print its \
         network configuration page). {stored}",
        stored = STORED
    )]
    Unreachable { address: String, reason: String },
    /// The printer did not answer in time.
    #[error(
        "The printer at {address} did not respond within {waited:?} while {stage}. It may be \
         busy, jammed or switched off; check it and print again. {stored}",
        stored = STORED
    )]
    Timeout {
        address: String,
        stage: Stage,
        waited: Duration,
    },
    /// The printer closed the connection.
    #[error(
        "The printer at {address} closed the connection while {stage}. Another computer may be \
         printing on it, or it restarted; print again in a moment. {stored}",
        stored = STORED
    )]
    Disconnected { address: String, stage: Stage },
    /// Another network error.
    #[error(
        "Printing to {address} failed while {stage}: {reason}. Check the printer and the \
         network. {stored}",
        stored = STORED
    )]
    Network {
        address: String,
        stage: Stage,
        reason: String,
    },
    /// The device answered the status query with something that is not an ESC/POS status.
    #[error(
        "The device at {address} answered the status query with {reply:#04x}, which is not an \
         ESC/POS printer's status. Check the address is the receipt printer's (port 9100), or \
         turn off its status check in the printer settings. {stored}",
        stored = STORED
    )]
    NotEscPos { address: String, reply: u8 },
    /// The printer reported a problem: offline, cover open, paper out (or nearly out, when
    /// that is refused).
    #[error(
        "{}",
        printer_message(address, *problem, *before, *bytes_sent)
    )]
    Printer {
        address: String,
        problem: PrinterProblem,
        /// True when found before sending: nothing was printed.
        before: bool,
        /// Bytes of the receipt sent before the problem was found (0 when found before).
        bytes_sent: usize,
    },
    /// `lp` or `lpstat` is not installed.
    #[error(
        "Cannot print to the computer's printers: the CUPS command '{command}' was not found. \
         Install the CUPS client (Debian/Ubuntu: sudo apt install cups-client; it comes with \
         macOS), or print to a network thermal printer. {stored}",
        stored = STORED
    )]
    CupsMissing { command: String },
    /// The CUPS scheduler (cupsd) is not running.
    #[error(
        "The printing service (CUPS) is not running, so '{command}' could not reach it \
         ({detail}). Start it (Linux: sudo systemctl start cups) and print again. {stored}",
        stored = STORED
    )]
    SchedulerNotRunning { command: String, detail: String },
    /// CUPS has no printer of that name.
    #[error(
        "There is no printer named '{printer}' on this computer. Choose one of the printers \
         listed in the printer settings (lpstat -e lists them), or add it in the system's \
         printer settings. {stored}",
        stored = STORED
    )]
    NoSuchPrinter { printer: String },
    /// The file to print cannot be read.
    #[error("Cannot print {path}: {reason}. Save the PDF again and print that file.")]
    FileUnreadable { path: PathBuf, reason: String },
    /// `lp` or `lpstat` failed for another reason.
    #[error("'{command}' failed ({status}): {message}. {stored}", stored = STORED)]
    CupsFailed {
        command: String,
        status: String,
        message: String,
    },
    /// `lp` or `lpstat` answered something this version does not understand.
    #[error(
        "'{command}' answered '{output}', which Hesabu does not understand. The job may or may \
         not have been queued: check the printer's queue before printing again. {stored}",
        stored = STORED
    )]
    UnexpectedOutput { command: String, output: String },
    /// Printing to a Windows printer (simplification: not built yet).
    #[error(
        "Printing to Windows printers is not built yet. Save the receipt as a PDF and print it \
         from a PDF viewer, or print to a network thermal printer. {stored}",
        stored = STORED
    )]
    WindowsNotBuilt,
}

impl PrintError {
    /// A stable word for the kind of failure, for a UI to branch on (`paper_out`,
    /// `unreachable`, `no_such_printer`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            PrintError::Render(_) => "render",
            PrintError::Setting { .. } => "setting",
            PrintError::Address { .. } => "address",
            PrintError::Unreachable { .. } => "unreachable",
            PrintError::Timeout { .. } => "timeout",
            PrintError::Disconnected { .. } => "disconnected",
            PrintError::Network { .. } => "network",
            PrintError::NotEscPos { .. } => "not_escpos",
            PrintError::Printer { problem, .. } => problem.kind(),
            PrintError::CupsMissing { .. } => "cups_missing",
            PrintError::SchedulerNotRunning { .. } => "scheduler_not_running",
            PrintError::NoSuchPrinter { .. } => "no_such_printer",
            PrintError::FileUnreadable { .. } => "file_unreadable",
            PrintError::CupsFailed { .. } => "cups_failed",
            PrintError::UnexpectedOutput { .. } => "unexpected_output",
            PrintError::WindowsNotBuilt => "windows_not_built",
        }
    }
}

fn printer_message(
    address: &str,
    problem: PrinterProblem,
    before: bool,
    bytes_sent: usize,
) -> String {
    let when = if before {
        "Nothing was printed.".to_owned()
    } else {
        format!(
            "This was found after the receipt was sent ({bytes_sent} bytes), so the paper copy \
             may be missing or incomplete."
        )
    };
    format!(
        "The printer at {address} reports: {}. {when} {} {STORED}",
        problem.describe(),
        problem.fix()
    )
}
