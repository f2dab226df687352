//! The Windows printers, through the Windows print spooler, the way Windows point-of-sale
//! software prints receipts:
//!
//! - a roll receipt (80 mm, 58 mm) goes to the receipt printer (a USB thermal printer with its
//!   Windows driver, as Kenyan shops have) as **raw ESC/POS**: the bytes the network path sends
//!   ([`super::escpos`]), handed to the spooler with `OpenPrinter`, `StartDocPrinter` (datatype
//!   `RAW`, so the driver passes them through untouched), `WritePrinter` and `EndDocPrinter`.
//!   `StartDocPrinter` returns the spooler's job id, which is reported;
//! - a PDF (A4, or a roll PDF to a printer that is not a receipt printer) goes, by default,
//!   through the PDF app the user registered: the shell's `PrintTo` verb
//!   ([`PdfRoute::PdfApp`]). Trade-off: it prints on any printer with any driver, as the user's
//!   PDF reader would, but needs a PDF reader that registers a print command (Adobe Acrobat
//!   Reader, SumatraPDF, Foxit; Microsoft Edge, Windows' default PDF viewer, registers none),
//!   the app prints in its own time (the job id is looked up in the queue and may not be
//!   found), and some readers stay open afterwards. [`PdfRoute::Raw`] sends the PDF bytes raw
//!   instead: immediate, with a job id and no app, but only printers that read PDF themselves
//!   (many office lasers) print it; others print garbage or nothing, which cannot be detected,
//!   so it is a choice for a printer known to take PDF, never the default. Without a PDF app the
//!   error says to install one or save the PDF ([`PrintError::NoPdfApp`]).
//!
//! Everything runs through Windows PowerShell 5.1 (`powershell.exe`, in every Windows 10 and
//! 11), so nothing is linked for Windows only: an embedded script ([`SCRIPT`], the file
//! `windows.ps1`) lists the printers from WMI (`Get-CimInstance Win32_Printer`, which every
//! edition has, Home included) with their status, and prints RAW by P/Invoking winspool.drv
//! (`Add-Type` with C#, the well-known RawPrinterHelper pattern). The script is written to a
//! temporary file for each run and started as `powershell.exe -NoProfile -NonInteractive
//! -ExecutionPolicy Bypass -Command BOOTSTRAP`, where [`BOOTSTRAP`] reads that file as UTF-8 and
//! runs it as a script block. Why not `-File`: a machine or user execution policy set by Group
//! Policy overrides `-ExecutionPolicy Bypass` and refuses an unsigned script file, but not a
//! command. Why not `-EncodedCommand`: the script with its C# is long (a command line holds
//! 32,767 characters, and base64 of UTF-16 triples it) and security software treats encoded
//! commands as suspicious. Inputs go in environment variables (the printer's name, the title,
//! the path of the bytes): no quoting, so names with spaces, quotes and accents arrive exactly;
//! the bytes go through a temporary file, never the command line. The answer is one line,
//! `HESABU-ANSWER {json}` from `ConvertTo-Json`, ASCII-only (`\uXXXX`) so the console's code page
//! cannot change a name.
//!
//! Hesabu, not the script, decides what answers mean, so that the logic is tested on every
//! platform: this module is not compiled for Windows only, and [`WindowsSpooler::with_powershell`]
//! runs a fake `powershell` in tests. A print first lists the printers (the name must be one
//! Windows has, matched as Windows does, ignoring case; Windows' status must not say offline,
//! paused, paper out, door open, jammed or in error), then prints. Many receipt printers'
//! drivers report no status at all, so a job is also watched in the queue for
//! [`WindowsSpooler::job_watch`]: one that shows an error, offline or paper out is deleted, so
//! it cannot print later by itself after Hesabu reported a failure (a second original), and is
//! reported. Two PowerShell runs per print (about a second each, most of it compiling the C#).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::de::Error as _;
use serde::{Deserialize, Deserializer};

use super::PrintError;
use super::network::PrinterProblem;
use super::os::OsJob;

/// The PowerShell script that lists printers and prints (`windows.ps1`; ASCII).
pub const SCRIPT: &str = include_str!("windows.ps1");

/// The command PowerShell runs: the script file named by `HESABU_PS_SCRIPT`, read as UTF-8 and
/// run as a script block (see the module's documentation for why not `-File`).
pub const BOOTSTRAP: &str = "& ([scriptblock]::Create([System.IO.File]::ReadAllText(\
                             $env:HESABU_PS_SCRIPT, [System.Text.Encoding]::UTF8)))";

/// What starts the script's answer on standard output.
pub const ANSWER_PREFIX: &str = "HESABU-ANSWER ";

/// The path of the script file.
pub const ENV_SCRIPT: &str = "HESABU_PS_SCRIPT";
/// What to do: `list`, `raw` or `shell`.
pub const ENV_OP: &str = "HESABU_PRINT_OP";
/// The printer's name, as Windows spells it.
pub const ENV_PRINTER: &str = "HESABU_PRINTER";
/// The job's name in the queue.
pub const ENV_TITLE: &str = "HESABU_PRINT_TITLE";
/// The path of the bytes to print.
pub const ENV_FILE: &str = "HESABU_PRINT_FILE";
/// How long to watch the queue after handing the job over, in milliseconds.
pub const ENV_WATCH_MS: &str = "HESABU_PRINT_WATCH_MS";
/// Every variable the script reads (each run sets or removes all of them).
pub const ENV_VARS: [&str; 6] = [
    ENV_SCRIPT,
    ENV_OP,
    ENV_PRINTER,
    ENV_TITLE,
    ENV_FILE,
    ENV_WATCH_MS,
];

/// The words the script answers in `error`.
pub const ERROR_WORDS: [&str; 5] = [
    "spooler_not_running",
    "win32",
    "job_problem",
    "no_pdf_app",
    "exception",
];

const JOB_STATUS_ERROR: u32 = 0x2;
const JOB_STATUS_OFFLINE: u32 = 0x20;
const JOB_STATUS_PAPEROUT: u32 = 0x40;
const JOB_STATUS_BLOCKED_DEVQ: u32 = 0x200;
const JOB_STATUS_USER_INTERVENTION: u32 = 0x400;
/// The job status bits after which the script deletes a job (its `JOB_STATUS_PROBLEM`).
pub const JOB_STATUS_PROBLEM: u32 = JOB_STATUS_ERROR
    | JOB_STATUS_OFFLINE
    | JOB_STATUS_PAPEROUT
    | JOB_STATUS_BLOCKED_DEVQ
    | JOB_STATUS_USER_INTERVENTION;

/// Said in [`PrintError::SpoolerFailed`]'s message as a permission to ask for.
pub(super) const ERROR_ACCESS_DENIED: u32 = 5;
const RPC_S_SERVER_UNAVAILABLE: u32 = 1722;
const ERROR_INVALID_PRINTER_NAME: u32 = 1801;
const ERROR_INVALID_DATATYPE: u32 = 1804;

/// The longest printer name accepted (Windows' own limit is lower for local printers).
const MAX_NAME: usize = 256;

/// How a PDF goes to a Windows printer (see the module's documentation for the trade-off).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PdfRoute {
    /// The shell's `PrintTo` verb with the PDF app the user registered: any printer, but a PDF
    /// reader that can print for other programs must be installed.
    #[default]
    PdfApp,
    /// The PDF bytes raw through the spooler: only for printers that read PDF themselves.
    Raw,
}

/// One printer as Windows lists it (`Win32_Printer`), with the status Windows reports. The
/// numbers are WMI's (`PrinterStatus`, `ExtendedPrinterStatus`, `DetectedErrorState`,
/// `ExtendedDetectedErrorState`); a driver that reports nothing leaves them at 0 (unknown) or
/// 2 (no error).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WindowsPrinter {
    pub name: String,
    /// The user's default printer.
    #[serde(default, deserialize_with = "false_if_null")]
    pub default: bool,
    /// "Use Printer Offline" is ticked (by the user, or by Windows for a disconnected printer).
    #[serde(default, deserialize_with = "false_if_null")]
    pub work_offline: bool,
    #[serde(default)]
    pub printer_status: Option<u16>,
    #[serde(default)]
    pub extended_printer_status: Option<u16>,
    #[serde(default)]
    pub detected_error_state: Option<u16>,
    #[serde(default)]
    pub extended_detected_error_state: Option<u16>,
    #[serde(default)]
    pub driver_name: Option<String>,
    #[serde(default)]
    pub port_name: Option<String>,
}

impl WindowsPrinter {
    /// What stops printing according to Windows, the most specific first (cover, paper, error,
    /// offline), with Windows' words for everything it reports; `None` when Windows reports
    /// nothing wrong.
    pub fn problem(&self) -> Option<(PrinterProblem, String)> {
        use PrinterProblem::{CoverOpen, Error, Offline, PaperOut};
        let mut found: Vec<(PrinterProblem, &'static str)> = Vec::new();
        if let Some(state) = self.detected_error_state {
            found.extend(match state {
                4 => Some((PaperOut, "No Paper")),
                6 => Some((Error, "No Toner")),
                7 => Some((CoverOpen, "Door Open")),
                8 => Some((Error, "Jammed")),
                9 => Some((Offline, "Offline")),
                10 => Some((Error, "Service Requested")),
                11 => Some((Error, "Output Bin Full")),
                _ => None,
            });
        }
        if let Some(state) = self.extended_detected_error_state {
            found.extend(match state {
                4 => Some((PaperOut, "No Paper")),
                6 => Some((Error, "No Toner")),
                7 => Some((CoverOpen, "Door Open")),
                8 => Some((Error, "Jammed")),
                9 => Some((Error, "Service Requested")),
                10 => Some((Error, "Output Bin Full")),
                11 => Some((Error, "Paper Problem")),
                12 => Some((Error, "Cannot Print Page")),
                13 => Some((Error, "User Intervention Required")),
                14 => Some((Error, "Out of Memory")),
                _ => None,
            });
        }
        if self.work_offline {
            found.push((Offline, "Use Printer Offline"));
        }
        if self.printer_status == Some(7) {
            found.push((Offline, "Offline"));
        }
        if let Some(status) = self.extended_printer_status {
            found.extend(match status {
                6 => Some((Error, "Stopped Printing")),
                7 => Some((Offline, "Offline")),
                8 => Some((Offline, "Paused")),
                9 => Some((Error, "Error")),
                11 => Some((Offline, "Not Available")),
                _ => None,
            });
        }
        let rank = |p: PrinterProblem| match p {
            CoverOpen => 0,
            PaperOut => 1,
            Error => 2,
            _ => 3,
        };
        let problem = found.iter().map(|(p, _)| *p).min_by_key(|p| rank(*p))?;
        let mut words: Vec<&str> = Vec::new();
        for (_, w) in &found {
            if !words.contains(w) {
                words.push(w);
            }
        }
        Some((problem, words.join(", ")))
    }

    /// What does not stop printing but should be said: the paper is low.
    pub fn warnings(&self) -> Vec<PrinterProblem> {
        let low =
            self.detected_error_state == Some(3) || self.extended_detected_error_state == Some(3);
        if low {
            vec![PrinterProblem::PaperNearEnd]
        } else {
            Vec::new()
        }
    }

    /// A printer that writes a file rather than paper (Microsoft Print to PDF, the XPS Document
    /// Writer, OneNote, fax, a `FILE:` port): it cannot take ESC/POS, and a raw job to it would
    /// wait for a file name in a window nobody sees.
    pub fn is_virtual(&self) -> bool {
        let port = self
            .port_name
            .as_deref()
            .unwrap_or("")
            .trim()
            .to_ascii_uppercase();
        let driver = self.driver_name.as_deref().unwrap_or("").to_lowercase();
        ["PORTPROMPT:", "XPSPORT:", "NUL:", "SHRFAX:", "FILE:"].contains(&port.as_str())
            || ["print to pdf", "xps document writer", "onenote", "fax"]
                .iter()
                .any(|d| driver.contains(d))
    }
}

fn false_if_null<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(Option::<bool>::deserialize(d)?.unwrap_or(false))
}

/// The printer list as PowerShell may write it: an array; one printer alone (PowerShell
/// unrolls a one-item array); `{"value": [...], "Count": n}` (Windows PowerShell 5.1 when the
/// array keeps its type data); or null.
fn printer_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<WindowsPrinter>, D::Error> {
    use serde_json::Value;
    let items = match Value::deserialize(d)? {
        Value::Null => return Ok(Vec::new()),
        Value::Array(items) => items,
        Value::Object(mut map) if map.get("value").is_some_and(Value::is_array) => {
            match map.remove("value") {
                Some(Value::Array(items)) => items,
                _ => Vec::new(),
            }
        }
        one @ Value::Object(_) => vec![one],
        other => return Err(D::Error::custom(format!("a list of printers, not {other}"))),
    };
    items
        .into_iter()
        .map(|v| serde_json::from_value(v).map_err(D::Error::custom))
        .collect()
}

/// The script's answer (see `windows.ps1`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Answer {
    ok: bool,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    step: Option<String>,
    #[serde(default)]
    code: Option<i64>,
    #[serde(default, deserialize_with = "printer_list")]
    printers: Vec<WindowsPrinter>,
    #[serde(default)]
    job: Option<i64>,
    #[serde(default)]
    status: Option<i64>,
    #[serde(default)]
    status_text: Option<String>,
    #[serde(default)]
    cancelled: Option<bool>,
}

/// What one PowerShell run does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    List,
    Raw,
    Shell,
}

impl Op {
    fn word(self) -> &'static str {
        match self {
            Op::List => "list",
            Op::Raw => "raw",
            Op::Shell => "shell",
        }
    }

    /// The operation in words, for errors ("Windows could not ...").
    fn operation(self) -> &'static str {
        match self {
            Op::List => "list the printers",
            Op::Raw => "print the receipt",
            Op::Shell => "print the PDF through the PDF app",
        }
    }
}

/// One run of the script.
struct Call<'a> {
    op: Op,
    printer: Option<&'a str>,
    title: Option<&'a str>,
    file: Option<&'a Path>,
    watch: Duration,
}

/// The Windows print spooler, through Windows PowerShell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowsSpooler {
    powershell: PathBuf,
    /// Where the script and the job's bytes are written; `None` is the system's temporary
    /// folder.
    temp_dir: Option<PathBuf>,
    /// The longest one PowerShell run may take before it is stopped (default 60 s).
    pub timeout: Duration,
    /// How long a raw job is watched in the queue for a problem (default 5 s; it stops as soon
    /// as the job has printed).
    pub job_watch: Duration,
    /// How long to look for the PDF app's job in the queue (default 20 s).
    pub app_watch: Duration,
    /// How PDFs are printed (default [`PdfRoute::PdfApp`]).
    pub pdf_route: PdfRoute,
}

impl WindowsSpooler {
    /// Windows' own PowerShell, by its full path under `%SystemRoot%` (so no `powershell.exe`
    /// in the current folder or earlier on the `PATH` is run instead); `powershell.exe` from
    /// the `PATH` when `SystemRoot` is not set.
    pub fn system() -> WindowsSpooler {
        let powershell = std::env::var_os("SystemRoot").map_or_else(
            || PathBuf::from("powershell.exe"),
            |root| {
                PathBuf::from(root)
                    .join("System32")
                    .join("WindowsPowerShell")
                    .join("v1.0")
                    .join("powershell.exe")
            },
        );
        WindowsSpooler::with_powershell(powershell)
    }

    /// PowerShell from `path` (another install, or a fake in tests).
    pub fn with_powershell(path: impl Into<PathBuf>) -> WindowsSpooler {
        WindowsSpooler {
            powershell: path.into(),
            temp_dir: None,
            timeout: Duration::from_secs(60),
            job_watch: Duration::from_secs(5),
            app_watch: Duration::from_secs(20),
            pdf_route: PdfRoute::PdfApp,
        }
    }

    /// Writes the script and the jobs' bytes in `dir` instead of the system's temporary folder.
    pub fn in_temp_dir(self, dir: impl Into<PathBuf>) -> WindowsSpooler {
        WindowsSpooler {
            temp_dir: Some(dir.into()),
            ..self
        }
    }

    /// The PowerShell that is run.
    pub fn powershell(&self) -> &Path {
        &self.powershell
    }

    /// The printers with their status, as Windows lists them.
    pub fn printer_details(&self) -> Result<Vec<WindowsPrinter>, PrintError> {
        let call = Call {
            op: Op::List,
            printer: None,
            title: None,
            file: None,
            watch: Duration::ZERO,
        };
        let answer = self.run(&call)?;
        if !answer.ok {
            return Err(refusal(answer, &call, &[]));
        }
        Ok(answer.printers)
    }

    /// The printers' names.
    pub fn printers(&self) -> Result<Vec<String>, PrintError> {
        Ok(self
            .printer_details()?
            .into_iter()
            .map(|p| p.name)
            .collect())
    }

    /// The user's default printer, if any.
    pub fn default_printer(&self) -> Result<Option<String>, PrintError> {
        Ok(self
            .printer_details()?
            .into_iter()
            .find(|p| p.default)
            .map(|p| p.name))
    }

    /// Prints ESC/POS bytes (a receipt from [`super::escpos::render`]) raw on the receipt
    /// printer `printer`: refused before anything is sent when Windows does not have that
    /// printer, reports a problem with it, or it is a virtual printer (a PDF or XPS writer).
    pub fn print_escpos(
        &self,
        printer: &str,
        bytes: &[u8],
        title: &str,
    ) -> Result<OsJob, PrintError> {
        let (found, names) = self.find(printer)?;
        if found.is_virtual() {
            return Err(not_a_receipt_printer(&found));
        }
        let warnings = ready(&found)?;
        self.raw(&found, &names, bytes, title, warnings)
    }

    /// Prints a PDF on `printer` by [`WindowsSpooler::pdf_route`]: through the PDF app
    /// (default) or raw. One copy per print (a simplification: print again for another).
    pub fn print_pdf(
        &self,
        printer: &str,
        pdf: &[u8],
        copies: u32,
        title: &str,
    ) -> Result<OsJob, PrintError> {
        if copies != 1 {
            return Err(PrintError::Setting {
                setting: "number of copies",
                message: format!(
                    "{copies} was asked for; a Windows printer gets one copy per print here, so \
                     print again for another"
                ),
            });
        }
        let (found, names) = self.find(printer)?;
        match self.pdf_route {
            PdfRoute::Raw => {
                if found.is_virtual() {
                    return Err(PrintError::Setting {
                        setting: "printer",
                        message: format!(
                            "'{}' writes files rather than printing, so it cannot take a PDF \
                             raw; choose a printer that reads PDF itself",
                            found.name
                        ),
                    });
                }
                let warnings = ready(&found)?;
                self.raw(&found, &names, pdf, title, warnings)
            }
            PdfRoute::PdfApp => {
                if found.name.contains('"') {
                    return Err(PrintError::Setting {
                        setting: "printer",
                        message: format!(
                            "'{}' has a double quote (\") in its name, which a PDF app's print \
                             command cannot take; rename the printer in Windows (its Printer \
                             properties) without it and choose it again",
                            found.name
                        ),
                    });
                }
                let warnings = ready(&found)?;
                self.through_pdf_app(&found, &names, pdf, title, warnings)
            }
        }
    }

    /// Prints a PDF file (read whole, then as [`WindowsSpooler::print_pdf`]).
    pub fn print_file(
        &self,
        printer: &str,
        file: &Path,
        copies: u32,
        title: &str,
    ) -> Result<OsJob, PrintError> {
        let pdf = std::fs::read(file).map_err(|e| PrintError::FileUnreadable {
            path: file.to_owned(),
            reason: e.to_string(),
        })?;
        self.print_pdf(printer, &pdf, copies, title)
    }

    /// The printer named `printer` (Windows' spelling: names are matched ignoring case, as
    /// Windows does), and every printer's name.
    fn find(&self, printer: &str) -> Result<(WindowsPrinter, Vec<String>), PrintError> {
        check_name(printer)?;
        let all = self.printer_details()?;
        let names: Vec<String> = all.iter().map(|p| p.name.clone()).collect();
        let wanted = printer.to_lowercase();
        let found = all
            .iter()
            .find(|p| p.name == printer)
            .or_else(|| all.iter().find(|p| p.name.to_lowercase() == wanted))
            .cloned();
        match found {
            Some(p) => Ok((p, names)),
            None => Err(PrintError::NoSuchPrinter {
                printer: printer.to_owned(),
                listed: Some(names),
            }),
        }
    }

    fn raw(
        &self,
        printer: &WindowsPrinter,
        names: &[String],
        bytes: &[u8],
        title: &str,
        warnings: Vec<PrinterProblem>,
    ) -> Result<OsJob, PrintError> {
        let data = write_temp(&self.temp_dir(), "hesabu-job-", ".bin", bytes)?;
        let title = clean_title(title);
        let call = Call {
            op: Op::Raw,
            printer: Some(&printer.name),
            title: Some(&title),
            file: Some(&data),
            watch: self.job_watch,
        };
        let answer = self.run(&call)?;
        if !answer.ok {
            return Err(refusal(answer, &call, names));
        }
        match answer
            .job
            .and_then(|j| u32::try_from(j).ok())
            .filter(|j| *j > 0)
        {
            Some(job) => Ok(OsJob {
                id: Some(job.to_string()),
                printer: printer.name.clone(),
                warnings,
            }),
            None => Err(PrintError::UnexpectedOutput {
                command: format!("powershell ({})", call.op.operation()),
                output: "an answer without a job id".to_owned(),
            }),
        }
    }

    fn through_pdf_app(
        &self,
        printer: &WindowsPrinter,
        names: &[String],
        pdf: &[u8],
        title: &str,
        warnings: Vec<PrinterProblem>,
    ) -> Result<OsJob, PrintError> {
        // The PDF app opens the file in its own time, after this returns: the file stays, in a
        // folder of its own whose old PDFs the script deletes a day later.
        let folder = self.temp_dir().join("hesabu-print-to");
        std::fs::create_dir_all(&folder).map_err(|e| PrintError::TempFile {
            path: folder.clone(),
            reason: e.to_string(),
        })?;
        let prefix = format!("{} ", file_stem(title));
        let file = write_temp(&folder, &prefix, ".pdf", pdf)?;
        let call = Call {
            op: Op::Shell,
            printer: Some(&printer.name),
            title: None,
            file: Some(&file),
            watch: self.app_watch,
        };
        let answer = self.run(&call)?;
        if !answer.ok {
            // Nothing opened it: the temporary file goes when `file` is dropped.
            return Err(refusal(answer, &call, names));
        }
        // Kept for the PDF app; if it cannot be kept the app may miss it, but the print was
        // started, so it is not an error.
        let _ = file.keep();
        Ok(OsJob {
            id: answer
                .job
                .and_then(|j| u32::try_from(j).ok())
                .filter(|j| *j > 0)
                .map(|j| j.to_string()),
            printer: printer.name.clone(),
            warnings,
        })
    }

    fn temp_dir(&self) -> PathBuf {
        self.temp_dir.clone().unwrap_or_else(std::env::temp_dir)
    }

    /// Runs the script once for `call` and reads its answer.
    fn run(&self, call: &Call<'_>) -> Result<Answer, PrintError> {
        let script = write_temp(&self.temp_dir(), "hesabu-print-", ".ps1", SCRIPT.as_bytes())?;
        let mut command = Command::new(&self.powershell);
        command.args([
            "-NoProfile",
            "-NonInteractive",
            "-ExecutionPolicy",
            "Bypass",
            "-Command",
            BOOTSTRAP,
        ]);
        for var in ENV_VARS {
            command.env_remove(var);
        }
        command
            .env(ENV_SCRIPT, &*script)
            .env(ENV_OP, call.op.word())
            .env(ENV_WATCH_MS, call.watch.as_millis().to_string());
        if let Some(printer) = call.printer {
            command.env(ENV_PRINTER, printer);
        }
        if let Some(title) = call.title {
            command.env(ENV_TITLE, title);
        }
        if let Some(file) = call.file {
            command.env(ENV_FILE, file);
        }
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        hide_window(&mut command);
        let child = match command.spawn() {
            Ok(child) => child,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(PrintError::PowerShellMissing {
                    command: self.powershell.display().to_string(),
                });
            }
            Err(e) => {
                return Err(PrintError::PowerShellFailed {
                    operation: call.op.operation(),
                    status: "not started".to_owned(),
                    message: e.to_string(),
                });
            }
        };
        let finished = wait_for(child, self.timeout).map_err(|e| PrintError::PowerShellFailed {
            operation: call.op.operation(),
            status: "no exit status".to_owned(),
            message: e.to_string(),
        })?;
        let Some(finished) = finished else {
            return Err(PrintError::WindowsTimeout {
                operation: match call.op {
                    Op::List => "listing the printers",
                    Op::Raw => "printing the receipt",
                    Op::Shell => "printing the PDF through the PDF app",
                },
                printer: call.printer.map(str::to_owned),
                waited: self.timeout,
            });
        };
        drop(script);
        read_answer(call, finished.status, &finished.stdout, &finished.stderr)
    }
}

/// The script's answer line, parsed; without one, PowerShell's own failure.
fn read_answer(
    call: &Call<'_>,
    status: ExitStatus,
    stdout: &[u8],
    stderr: &[u8],
) -> Result<Answer, PrintError> {
    let stdout = String::from_utf8_lossy(stdout);
    let command = || format!("powershell ({})", call.op.operation());
    let line = stdout
        .lines()
        .rev()
        .find_map(|l| l.trim_end_matches('\r').strip_prefix(ANSWER_PREFIX));
    match line {
        Some(json) => {
            serde_json::from_str::<Answer>(json.trim()).map_err(|_| PrintError::UnexpectedOutput {
                command: command(),
                output: excerpt(json),
            })
        }
        None if !status.success() => {
            let stderr = String::from_utf8_lossy(stderr);
            let said = if stderr.trim().is_empty() {
                stdout.trim().to_owned()
            } else {
                stderr.trim().to_owned()
            };
            Err(PrintError::PowerShellFailed {
                operation: call.op.operation(),
                status: status.to_string(),
                message: if said.is_empty() {
                    "it gave no reason".to_owned()
                } else {
                    excerpt(&said)
                },
            })
        }
        None => Err(PrintError::UnexpectedOutput {
            command: command(),
            output: excerpt(&stdout),
        }),
    }
}

/// A failed answer as the error that says what to fix.
fn refusal(answer: Answer, call: &Call<'_>, names: &[String]) -> PrintError {
    let message = answer
        .message
        .filter(|m| !m.trim().is_empty())
        .unwrap_or_else(|| "Windows gave no reason".to_owned());
    let printer = call.printer.map(str::to_owned);
    // Win32 codes are DWORDs; .NET hands them over as signed ints.
    let code = answer
        .code
        .and_then(|c| i32::try_from(c).ok())
        .map(|c| c as u32)
        .filter(|c| *c != 0);
    match answer.error.as_deref() {
        Some("spooler_not_running") => PrintError::SpoolerNotRunning { detail: message },
        Some("no_pdf_app") => PrintError::NoPdfApp {
            printer: printer.unwrap_or_default(),
            detail: message,
        },
        Some("job_problem") => {
            let bits = answer
                .status
                .and_then(|s| u32::try_from(s).ok())
                .unwrap_or(0);
            let (problem, words) = job_problem(bits);
            let said = answer
                .status_text
                .filter(|t| !t.trim().is_empty())
                .unwrap_or(words);
            PrintError::WindowsPrinter {
                printer: printer.unwrap_or_default(),
                problem,
                windows_says: said,
                before: false,
                job: answer.job.and_then(|j| u32::try_from(j).ok()),
                cancelled: answer.cancelled.unwrap_or(false),
            }
        }
        Some("win32") => match code {
            Some(ERROR_INVALID_PRINTER_NAME) if printer.is_some() => PrintError::NoSuchPrinter {
                printer: printer.unwrap_or_default(),
                listed: Some(names.to_vec()),
            },
            Some(RPC_S_SERVER_UNAVAILABLE) => PrintError::SpoolerNotRunning { detail: message },
            Some(ERROR_INVALID_DATATYPE) => PrintError::Setting {
                setting: "printer",
                message: format!(
                    "'{}' does not take raw print jobs (Windows: {}); it is not a receipt \
                     printer, or its driver does not pass bytes through. Choose the receipt \
                     printer, or install it with its maker's driver or Windows' Generic / Text \
                     Only driver",
                    printer.unwrap_or_default(),
                    message.trim().trim_end_matches('.')
                ),
            },
            _ => PrintError::SpoolerFailed {
                operation: match answer.step.as_deref() {
                    Some("open") => "open the printer",
                    Some("start") => "start a print job",
                    Some("write") => "send the receipt to the print queue",
                    Some("end") => "finish the print job",
                    Some("shell") => "start the PDF app's print command",
                    _ => call.op.operation(),
                },
                printer,
                code,
                message,
            },
        },
        _ => PrintError::SpoolerFailed {
            operation: call.op.operation(),
            printer,
            code,
            message,
        },
    }
}

/// The problem a job's status bits show, and the bits in words.
fn job_problem(bits: u32) -> (PrinterProblem, String) {
    let words: Vec<&str> = [
        (JOB_STATUS_PAPEROUT, "Paper Out"),
        (JOB_STATUS_OFFLINE, "Offline"),
        (JOB_STATUS_ERROR, "Error"),
        (
            JOB_STATUS_BLOCKED_DEVQ,
            "Blocked: the driver cannot print the job",
        ),
        (JOB_STATUS_USER_INTERVENTION, "User Intervention Required"),
    ]
    .into_iter()
    .filter(|(bit, _)| bits & bit != 0)
    .map(|(_, w)| w)
    .collect();
    let problem = if bits & JOB_STATUS_PAPEROUT != 0 {
        PrinterProblem::PaperOut
    } else if bits & JOB_STATUS_OFFLINE != 0 {
        PrinterProblem::Offline
    } else {
        PrinterProblem::Error
    };
    (problem, words.join(", "))
}

/// Refused before printing when Windows reports a problem; the warnings otherwise.
fn ready(printer: &WindowsPrinter) -> Result<Vec<PrinterProblem>, PrintError> {
    if let Some((problem, words)) = printer.problem() {
        return Err(PrintError::WindowsPrinter {
            printer: printer.name.clone(),
            problem,
            windows_says: words,
            before: true,
            job: None,
            cancelled: false,
        });
    }
    Ok(printer.warnings())
}

fn not_a_receipt_printer(printer: &WindowsPrinter) -> PrintError {
    PrintError::Setting {
        setting: "printer for roll receipts",
        message: format!(
            "'{}' writes files{}, it is not a receipt printer: 80 mm and 58 mm receipts go to a \
             thermal receipt printer as ESC/POS. Choose the receipt printer for this paper, or \
             save the receipt as a PDF",
            printer.name,
            printer
                .driver_name
                .as_deref()
                .map(|d| format!(" (driver {d})"))
                .unwrap_or_default()
        ),
    }
}

/// Windows printer names are any characters but control characters (spaces, quotes, accents
/// and `\\server\share` are all fine: they travel in an environment variable).
fn check_name(printer: &str) -> Result<(), PrintError> {
    let bad = printer.trim().is_empty()
        || printer.chars().count() > MAX_NAME
        || printer.chars().any(char::is_control);
    if bad {
        return Err(PrintError::Setting {
            setting: "printer name",
            message: format!(
                "'{}' is not a Windows printer name; choose a printer from the list",
                printer.escape_debug()
            ),
        });
    }
    Ok(())
}

/// The job's name in the queue: control characters as spaces, at most 200 characters.
fn clean_title(title: &str) -> String {
    let title: String = title
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect();
    if title.trim().is_empty() {
        "Hesabu receipt".to_owned()
    } else {
        title.trim().to_owned()
    }
}

/// The title as the start of a file name: letters, digits, spaces and `-_()`; the PDF app
/// shows the file's name in the queue.
fn file_stem(title: &str) -> String {
    let stem: String = title
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || " -_()".contains(c) {
                c
            } else {
                '-'
            }
        })
        .take(60)
        .collect();
    let stem = stem.trim();
    if stem.is_empty() {
        "Hesabu receipt".to_owned()
    } else {
        stem.to_owned()
    }
}

/// Writes `bytes` to a new file in `dir` and closes it (PowerShell opens files sharing them for
/// reading only, which an open writer would refuse); the file goes when the path is dropped.
fn write_temp(
    dir: &Path,
    prefix: &str,
    suffix: &str,
    bytes: &[u8],
) -> Result<tempfile::TempPath, PrintError> {
    let fail = |e: std::io::Error| PrintError::TempFile {
        path: dir.to_owned(),
        reason: e.to_string(),
    };
    let mut file = tempfile::Builder::new()
        .prefix(prefix)
        .suffix(suffix)
        .tempfile_in(dir)
        .map_err(fail)?;
    file.write_all(bytes).map_err(fail)?;
    file.flush().map_err(fail)?;
    Ok(file.into_temp_path())
}

/// At most 600 characters of `text`, on one line.
fn excerpt(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > 600 {
        format!("{}...", one_line.chars().take(600).collect::<String>())
    } else {
        one_line
    }
}

/// A PowerShell run that ended: its exit status and what it wrote.
struct Finished {
    status: ExitStatus,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

fn read_all(mut pipe: impl Read + Send + 'static) -> JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        bytes
    })
}

/// Waits for `child` at most `timeout`, reading its output meanwhile (from other threads, so a
/// full pipe cannot block it). `None` when it did not finish: it is killed, and the readers are
/// left to end with the pipes.
fn wait_for(mut child: Child, timeout: Duration) -> std::io::Result<Option<Finished>> {
    let stdout = child.stdout.take().map(read_all);
    let stderr = child.stderr.take().map(read_all);
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let join = |h: Option<JoinHandle<Vec<u8>>>| h.and_then(|h| h.join().ok()).unwrap_or_default();
    Ok(Some(Finished {
        status,
        stdout: join(stdout),
        stderr: join(stderr),
    }))
}

/// Starts PowerShell without a console window flashing up over Hesabu's.
#[cfg(windows)]
fn hide_window(command: &mut Command) {
    use std::os::windows::process::CommandExt;
    const CREATE_NO_WINDOW: u32 = 0x0800_0000;
    command.creation_flags(CREATE_NO_WINDOW);
}

#[cfg(not(windows))]
fn hide_window(_: &mut Command) {}

#[cfg(test)]
mod tests {
    use super::*;

    fn printer(f: impl FnOnce(&mut WindowsPrinter)) -> WindowsPrinter {
        let mut p = WindowsPrinter {
            name: "Receipt".to_owned(),
            default: false,
            work_offline: false,
            printer_status: Some(3),
            extended_printer_status: Some(2),
            detected_error_state: Some(2),
            extended_detected_error_state: Some(2),
            driver_name: Some("EPSON TM-T20II Receipt5".to_owned()),
            port_name: Some("USB001".to_owned()),
        };
        f(&mut p);
        p
    }

    #[track_caller]
    fn check(p: &WindowsPrinter, expected: Option<(PrinterProblem, &str)>) {
        let got = p.problem();
        assert_eq!(
            got.as_ref()
                .map(|(problem, words)| (*problem, words.as_str())),
            expected,
            "{p:?}"
        );
    }

    #[test]
    fn windows_status_as_a_problem() {
        use PrinterProblem::{CoverOpen, Error, Offline, PaperOut};
        check(&printer(|_| {}), None);
        // A driver that reports nothing (all unknown) is ready as far as Windows knows.
        check(
            &printer(|p| {
                p.printer_status = None;
                p.extended_printer_status = None;
                p.detected_error_state = None;
                p.extended_detected_error_state = Some(0);
            }),
            None,
        );
        check(
            &printer(|p| p.work_offline = true),
            Some((Offline, "Use Printer Offline")),
        );
        check(
            &printer(|p| p.printer_status = Some(7)),
            Some((Offline, "Offline")),
        );
        check(
            &printer(|p| p.extended_printer_status = Some(8)),
            Some((Offline, "Paused")),
        );
        check(
            &printer(|p| p.detected_error_state = Some(4)),
            Some((PaperOut, "No Paper")),
        );
        check(
            &printer(|p| p.extended_detected_error_state = Some(7)),
            Some((CoverOpen, "Door Open")),
        );
        check(
            &printer(|p| p.detected_error_state = Some(8)),
            Some((Error, "Jammed")),
        );
        check(
            &printer(|p| p.extended_detected_error_state = Some(13)),
            Some((Error, "User Intervention Required")),
        );
        // Paper out and offline at once: the paper is the more specific; both are said.
        check(
            &printer(|p| {
                p.work_offline = true;
                p.detected_error_state = Some(4);
                p.extended_detected_error_state = Some(4);
            }),
            Some((PaperOut, "No Paper, Use Printer Offline")),
        );
        // Low paper and low toner do not stop printing.
        check(&printer(|p| p.detected_error_state = Some(3)), None);
        check(&printer(|p| p.detected_error_state = Some(5)), None);
        assert_eq!(
            printer(|p| p.extended_detected_error_state = Some(3)).warnings(),
            [PrinterProblem::PaperNearEnd]
        );
        assert!(printer(|_| {}).warnings().is_empty());
    }

    #[test]
    fn virtual_printers() {
        assert!(!printer(|_| {}).is_virtual());
        for (driver, port) in [
            ("Microsoft Print To PDF", "PORTPROMPT:"),
            ("Microsoft XPS Document Writer v4", "PORTPROMPT:"),
            ("Send to Microsoft OneNote 16 Driver", "nul:"),
            ("Microsoft Shared Fax Driver", "SHRFAX:"),
            ("Generic / Text Only", "FILE:"),
        ] {
            let p = printer(|p| {
                p.driver_name = Some(driver.to_owned());
                p.port_name = Some(port.to_owned());
            });
            assert!(p.is_virtual(), "{driver} on {port}");
        }
        // Generic / Text Only on a USB port is a fine raw printer.
        assert!(!printer(|p| p.driver_name = Some("Generic / Text Only".to_owned())).is_virtual());
    }

    #[test]
    fn job_status_bits() {
        assert_eq!(JOB_STATUS_PROBLEM, 0x662);
        assert_eq!(
            job_problem(0x40 | 0x10),
            (PrinterProblem::PaperOut, "Paper Out".to_owned())
        );
        assert_eq!(
            job_problem(0x20 | 0x2),
            (PrinterProblem::Offline, "Offline, Error".to_owned())
        );
        assert_eq!(job_problem(0x400).0, PrinterProblem::Error);
    }

    #[test]
    fn names_titles_and_file_stems() {
        for ok in [
            "EPSON TM-T20II Receipt",
            "Caf\u{e9} \"Mama\" Receipt's",
            r"\\SHOP-PC\POS-80",
        ] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "   ", "two\nlines", "nul\0"] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        assert!(check_name(&"x".repeat(257)).is_err());
        assert_eq!(clean_title("Receipt INV-1\n(COPY)"), "Receipt INV-1 (COPY)");
        assert_eq!(clean_title("\t"), "Hesabu receipt");
        assert_eq!(
            file_stem("Receipt INV/2024/7: (COPY)"),
            "Receipt INV-2024-7- (COPY)"
        );
        assert_eq!(file_stem("//"), "--");
        assert_eq!(file_stem(""), "Hesabu receipt");
    }

    #[test]
    fn the_script_reads_every_input_and_answers_every_error_hesabu_reads() {
        // The script's own path is read by the bootstrap; the script reads the rest.
        for var in ENV_VARS.into_iter().filter(|v| *v != ENV_SCRIPT) {
            assert!(SCRIPT.contains(&format!("$env:{var}")), "{var}");
        }
        assert!(BOOTSTRAP.contains(&format!("$env:{ENV_SCRIPT}")));
        for word in ERROR_WORDS {
            assert!(SCRIPT.contains(&format!("error = '{word}'")), "{word}");
        }
        assert!(SCRIPT.contains(&format!("'{}'", ANSWER_PREFIX)));
        assert!(SCRIPT.contains(&format!("JOB_STATUS_PROBLEM = 0x{JOB_STATUS_PROBLEM:x}")));
        for op in [Op::List, Op::Raw, Op::Shell] {
            assert!(SCRIPT.contains(&format!("'{}' {{", op.word())), "{op:?}");
        }
    }
}
