//! Printing receipts: to a thermal printer over the network in ESC/POS, or to one of the
//! computer's printers (CUPS on Linux and macOS, the print spooler on Windows). Nothing here
//! stores anything: a failed print leaves the receipt as it was stored, and every printing error
//! says so, so it can be printed again.
//!
//! - [`escpos`]: the receipt as ESC/POS bytes, the same content and order as the roll PDFs
//!   (both lay out `content` with `grid`), the QR code as the printer's own QR command, and a
//!   [`CodePage`] policy for characters the printer lacks ([`codepage`]).
//! - [`network`]: a thermal printer at `host:9100` (raw TCP, "JetDirect"): status asked before
//!   and after the job (`DLE EOT`), offline / cover open / paper out as a [`PrinterProblem`].
//! - [`os`]: [`OsPrinters`], the computer's printers on this platform, and how a receipt goes
//!   to them (a PDF through CUPS; on Windows a roll receipt as raw ESC/POS, A4 as the PDF).
//! - [`cups`]: CUPS's `lp` and `lpstat` (Linux, macOS).
//! - [`windows`]: the Windows print spooler through Windows PowerShell (an embedded script that
//!   lists printers from WMI and prints RAW with winspool's own calls); not compiled only for
//!   Windows, so its logic is tested everywhere against a fake `powershell`.
//! - `fake` (feature `testing`): a loopback ESC/POS printer for tests, and a decoder of the
//!   bytes it records.

pub mod codepage;
pub mod cups;
pub mod escpos;
#[cfg(feature = "testing")]
pub mod fake;
pub mod network;
pub mod os;
pub mod windows;

use std::path::PathBuf;
use std::time::Duration;

pub use codepage::{CodePage, TRANSLITERATION};
pub use cups::Cups;
pub use escpos::{Cut, EscPosOptions, EscPosReceipt};
pub use network::{DEFAULT_PORT, NetworkPrinter, PrintReport, PrinterProblem, PrinterStatus};
pub use os::{OsJob, OsPrint, OsPrinters, SentAs};
pub use windows::{PdfRoute, WindowsPrinter, WindowsSpooler};

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
    /// The computer has no printer of that name.
    #[error("{}", no_such_printer_message(printer, listed.as_deref()))]
    NoSuchPrinter {
        printer: String,
        /// The printers Windows has (`None` from CUPS, whose error does not list them).
        listed: Option<Vec<String>>,
    },
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
    /// Windows reports a problem with the printer: before printing (from the printer's status;
    /// nothing was sent) or on the job after it was handed to the spooler.
    #[error("{}", windows_printer_message(self))]
    WindowsPrinter {
        /// The printer, as Windows spells it.
        printer: String,
        problem: PrinterProblem,
        /// What Windows said (its status words, or the driver's text on the job).
        windows_says: String,
        /// True when found before sending: nothing was printed or queued.
        before: bool,
        /// The spooler's job id, when found on the job.
        job: Option<u32>,
        /// The job was deleted from the queue, so it cannot print later by itself.
        cancelled: bool,
    },
    /// `powershell.exe` cannot be started.
    #[error(
        "Cannot print to the computer's printers: Windows PowerShell ('{command}') was not \
         found. It comes with every Windows 10 and 11: check that \
         C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe exists and that \
         security software does not block it, or print to a network thermal printer. {stored}",
        stored = STORED
    )]
    PowerShellMissing { command: String },
    /// PowerShell ran but could not run Hesabu's printing script (a policy, a broken install).
    #[error(
        "Windows PowerShell could not {operation} ({status}): {message}. If security software \
         or a company policy blocks PowerShell, allow it for Hesabu; or print to a network \
         thermal printer. {stored}",
        stored = STORED
    )]
    PowerShellFailed {
        operation: &'static str,
        status: String,
        message: String,
    },
    /// The Windows print spooler service is stopped.
    #[error(
        "The Windows print spooler is not running ({detail}). Start it: open Services \
         (services.msc), double-click Print Spooler, set Startup type to Automatic and click \
         Start; then print again. {stored}",
        stored = STORED
    )]
    SpoolerNotRunning { detail: String },
    /// The spooler refused or failed, in Windows' own words.
    #[error("{}", spooler_message(operation, printer.as_deref(), *code, message))]
    SpoolerFailed {
        operation: &'static str,
        printer: Option<String>,
        /// The Win32 error code, when Windows gave one.
        code: Option<u32>,
        /// Windows' own words.
        message: String,
    },
    /// No app on this computer can print a PDF for Hesabu (the shell's PrintTo verb).
    #[error(
        "No app on this computer can print PDFs to '{printer}' (Windows says: {detail}). \
         Install a PDF reader that can print for other programs (Adobe Acrobat Reader or \
         SumatraPDF; Microsoft Edge cannot), or save the PDF and print it from the viewer. \
         {stored}",
        stored = STORED
    )]
    NoPdfApp { printer: String, detail: String },
    /// Windows (PowerShell or the spooler) did not finish in time; it was stopped.
    #[error(
        "Windows did not finish {operation} within {waited:?}{on}. The printer or its driver \
         may be stuck: open the printer's queue in Windows (Settings, Printers & scanners), \
         check whether the receipt is there before printing again, and switch the printer off \
         and on. {stored}",
        on = printer.as_deref().map(|p| format!(" on '{p}'")).unwrap_or_default(),
        stored = STORED
    )]
    WindowsTimeout {
        operation: &'static str,
        printer: Option<String>,
        waited: Duration,
    },
    /// The job could not be written to a temporary file for PowerShell to read.
    #[error(
        "Cannot write the print job to {path}: {reason}. Free some disk space, or check that \
         the temporary folder can be written to, then print again. {stored}",
        stored = STORED
    )]
    TempFile { path: PathBuf, reason: String },
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
            PrintError::WindowsPrinter { problem, .. } => problem.kind(),
            PrintError::PowerShellMissing { .. } => "powershell_missing",
            PrintError::PowerShellFailed { .. } => "powershell_failed",
            // The OS's print service is down, as CUPS's scheduler.
            PrintError::SpoolerNotRunning { .. } => "scheduler_not_running",
            PrintError::SpoolerFailed { .. } => "spooler_failed",
            PrintError::NoPdfApp { .. } => "no_pdf_app",
            PrintError::WindowsTimeout { .. } => "timeout",
            PrintError::TempFile { .. } => "temp_file",
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

fn no_such_printer_message(printer: &str, listed: Option<&[String]>) -> String {
    let choose = match listed {
        None => "Choose one of the printers listed in the printer settings (lpstat -e lists \
                 them), or add it in the system's printer settings."
            .to_owned(),
        Some([]) => "Windows lists no printers at all: add the receipt printer in Windows \
                     (Settings, Bluetooth & devices, Printers & scanners; install its driver \
                     first), then choose it in the printer settings."
            .to_owned(),
        Some(names) => format!(
            "Windows has {}. Choose one of them in the printer settings, or add the printer in \
             Windows (Settings, Bluetooth & devices, Printers & scanners).",
            names
                .iter()
                .map(|n| format!("'{n}'"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    format!("There is no printer named '{printer}' on this computer. {choose} {STORED}")
}

/// What to do about a problem Windows reports (Windows' words for where to look).
fn windows_fix(problem: PrinterProblem) -> &'static str {
    match problem {
        PrinterProblem::Offline => {
            "Check that the printer is switched on and its cable (USB or network) is plugged \
             in; then in Windows (Settings, Printers & scanners) open the printer's queue and \
             make sure Printer, Use Printer Offline is not ticked and the printer is not paused."
        }
        PrinterProblem::PaperOut => {
            "Load paper (a new roll in a receipt printer) and close the cover."
        }
        PrinterProblem::CoverOpen => "Close the printer's cover.",
        PrinterProblem::PaperNearEnd => "Put in a new paper roll soon.",
        PrinterProblem::Error => {
            "Open the printer's queue in Windows (Settings, Printers & scanners) to see the \
             error, clear any jammed paper, then switch the printer off and on."
        }
    }
}

fn windows_printer_message(e: &PrintError) -> String {
    let PrintError::WindowsPrinter {
        printer,
        problem,
        windows_says,
        before,
        job,
        cancelled,
    } = e
    else {
        return String::new();
    };
    let says = if windows_says.trim().is_empty() {
        String::new()
    } else {
        format!(" (Windows: {})", windows_says.trim())
    };
    let when = if *before {
        "Nothing was printed.".to_owned()
    } else {
        let job = job.map(|j| format!(" as job {j}")).unwrap_or_default();
        let queue = if *cancelled {
            "Hesabu deleted the job from the queue, so it will not print later by itself"
        } else {
            "Hesabu could not delete the job from the queue: open the printer's queue and \
             cancel it, or it may print later by itself"
        };
        format!(
            "This was found after the receipt was handed to Windows{job}. {queue}; the paper \
             copy may be missing or incomplete."
        )
    };
    format!(
        "Windows reports that the printer '{printer}' {}{says}. {when} {} {STORED}",
        match problem {
            PrinterProblem::Offline => "is offline",
            PrinterProblem::PaperOut => "is out of paper",
            PrinterProblem::CoverOpen => "has its cover open",
            PrinterProblem::PaperNearEnd => "is nearly out of paper",
            PrinterProblem::Error => "has an error",
        },
        windows_fix(*problem)
    )
}

fn spooler_message(
    operation: &str,
    printer: Option<&str>,
    code: Option<u32>,
    message: &str,
) -> String {
    let on = printer.map(|p| format!(" on '{p}'")).unwrap_or_default();
    let code_text = code.map(|c| format!(" (error {c})")).unwrap_or_default();
    let words = message.trim().trim_end_matches('.');
    let fix = match code {
        Some(windows::ERROR_ACCESS_DENIED) => {
            "This Windows account may not print on it: ask whoever manages this computer to \
             allow it (the printer's Properties, Security)."
        }
        _ => {
            "Check the printer in Windows (Settings, Printers & scanners: print a test page \
             there), then print again."
        }
    };
    format!("Windows could not {operation}{on}: {words}{code_text}. {fix} {STORED}")
}
