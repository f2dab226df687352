//! The computer's own printers: through CUPS's `lp` and `lpstat` on Linux and macOS (the
//! commands every CUPS install has, so no library or daemon protocol is linked in).
//!
//! - [`Cups::printers`]: `lpstat -e`, one destination per line;
//! - [`Cups::default_printer`]: `lpstat -d` (`system default destination: NAME`);
//! - [`Cups::print_file`] / [`Cups::print_pdf`]: `lp -d NAME [-n COPIES] -t TITLE FILE` (the PDF
//!   bytes go on standard input for `print_pdf`), and the job id parsed from `request id is
//!   NAME-12 (1 file(s))`.
//!
//! The commands run in the C locale so that their answers can be read, from a configurable
//! directory ([`Cups::in_dir`]) or the `PATH`; tests put fake `lp` and `lpstat` scripts in a
//! temporary directory. Windows printers are [`super::windows`]; [`super::OsPrinters`] picks
//! the platform's.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use super::PrintError;
use super::os::OsJob;

/// The most copies one print may ask for.
pub const MAX_COPIES: u32 = 99;

/// CUPS's command-line tools.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cups {
    /// Where `lp` and `lpstat` are; `None` looks them up on the `PATH`.
    bin_dir: Option<PathBuf>,
}

impl Cups {
    /// `lp` and `lpstat` from the `PATH`.
    pub fn from_path() -> Cups {
        Cups { bin_dir: None }
    }

    /// `lp` and `lpstat` from `dir` (another CUPS install, or fakes in tests).
    pub fn in_dir(dir: impl Into<PathBuf>) -> Cups {
        Cups {
            bin_dir: Some(dir.into()),
        }
    }

    /// The printers (and classes) CUPS knows, as `lpstat -e` lists them; empty when none.
    pub fn printers(&self) -> Result<Vec<String>, PrintError> {
        let out = self.run("lpstat", &["-e"], None)?;
        if !out.status.success() {
            let err = text(&out.stderr);
            // CUPS says this (and exits 1) when no printer was ever added.
            if err.to_ascii_lowercase().contains("no destinations added") {
                return Ok(Vec::new());
            }
            return Err(failure("lpstat -e", &out, None));
        }
        Ok(text(&out.stdout)
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect())
    }

    /// The default printer (`lpstat -d`), `None` when there is none.
    pub fn default_printer(&self) -> Result<Option<String>, PrintError> {
        let out = self.run("lpstat", &["-d"], None)?;
        let stdout = text(&out.stdout);
        let answer = stdout.trim();
        if !out.status.success() {
            if text(&out.stderr)
                .to_ascii_lowercase()
                .contains("no destinations added")
            {
                return Ok(None);
            }
            return Err(failure("lpstat -d", &out, None));
        }
        if answer
            .to_ascii_lowercase()
            .starts_with("no system default destination")
        {
            return Ok(None);
        }
        match answer.strip_prefix("system default destination:") {
            Some(name) if !name.trim().is_empty() => Ok(Some(name.trim().to_owned())),
            _ => Err(PrintError::UnexpectedOutput {
                command: "lpstat -d".to_owned(),
                output: answer.to_owned(),
            }),
        }
    }

    /// Prints a file (a saved receipt PDF) on `printer`, `copies` times, titled `title` in the
    /// queue.
    pub fn print_file(
        &self,
        printer: &str,
        file: &Path,
        copies: u32,
        title: &str,
    ) -> Result<OsJob, PrintError> {
        if let Err(e) = std::fs::File::open(file) {
            return Err(PrintError::FileUnreadable {
                path: file.to_owned(),
                reason: e.to_string(),
            });
        }
        // A relative name starting with '-' would be read as an option.
        let file = if file.is_relative() && file.to_string_lossy().starts_with('-') {
            Path::new(".").join(file)
        } else {
            file.to_owned()
        };
        let file = file.to_string_lossy().into_owned();
        self.lp(printer, copies, title, Some(&file), None)
    }

    /// Prints PDF bytes on `printer`, `copies` times, titled `title`: the bytes go to `lp` on
    /// standard input, so no temporary file is left behind.
    pub fn print_pdf(
        &self,
        printer: &str,
        pdf: &[u8],
        copies: u32,
        title: &str,
    ) -> Result<OsJob, PrintError> {
        self.lp(printer, copies, title, None, Some(pdf))
    }

    fn lp(
        &self,
        printer: &str,
        copies: u32,
        title: &str,
        file: Option<&str>,
        stdin: Option<&[u8]>,
    ) -> Result<OsJob, PrintError> {
        check_printer_name(printer)?;
        if !(1..=MAX_COPIES).contains(&copies) {
            return Err(PrintError::Setting {
                setting: "number of copies",
                message: format!("{copies} was asked for; print 1 to {MAX_COPIES} copies"),
            });
        }
        let title: String = title
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let title = if title.trim().is_empty() {
            "Hesabu receipt".to_owned()
        } else {
            title
        };
        let copies_text = copies.to_string();
        let mut args = vec!["-d", printer];
        if copies > 1 {
            args.extend(["-n", &copies_text]);
        }
        args.extend(["-t", &title]);
        if let Some(file) = file {
            args.push(file);
        }
        let out = self.run("lp", &args, stdin)?;
        if !out.status.success() {
            return Err(failure("lp", &out, Some(printer)));
        }
        let stdout = text(&out.stdout);
        match parse_request_id(&stdout) {
            Some(id) => Ok(OsJob {
                id: Some(id),
                printer: printer.to_owned(),
                warnings: Vec::new(),
            }),
            None => Err(PrintError::UnexpectedOutput {
                command: "lp".to_owned(),
                output: stdout.trim().to_owned(),
            }),
        }
    }

    fn program(&self, name: &str) -> PathBuf {
        match &self.bin_dir {
            Some(dir) => dir.join(name),
            None => PathBuf::from(name),
        }
    }

    /// Runs a CUPS command in the C locale, feeding it `stdin` when given.
    fn run(&self, name: &str, args: &[&str], stdin: Option<&[u8]>) -> Result<Output, PrintError> {
        let mut command = Command::new(self.program(name));
        command
            .args(args)
            .env("LC_ALL", "C")
            .env("LANG", "C")
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let spawned = command.spawn();
        let mut child = match spawned {
            Ok(child) => child,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(PrintError::CupsMissing {
                    command: self.program(name).display().to_string(),
                });
            }
            Err(e) => {
                return Err(PrintError::CupsFailed {
                    command: name.to_owned(),
                    status: "not started".to_owned(),
                    message: e.to_string(),
                });
            }
        };
        // The bytes are written from another thread while this one reads the output, so
        // neither side can block the other on a full pipe. A command that exits without
        // reading (no such printer) closes the pipe: its exit status says why.
        let output = std::thread::scope(|scope| {
            if let (Some(bytes), Some(mut pipe)) = (stdin, child.stdin.take()) {
                scope.spawn(move || {
                    let _ = pipe.write_all(bytes);
                });
            }
            child.wait_with_output()
        });
        output.map_err(|e| PrintError::CupsFailed {
            command: name.to_owned(),
            status: "no exit status".to_owned(),
            message: e.to_string(),
        })
    }
}

/// CUPS printer names are printable characters other than space, tab, `/` and `#` (`/` joins
/// a printer and an instance, `Office/draft`, as `lpstat -e` lists them); one starting with `-`
/// would be read as an option.
fn check_printer_name(printer: &str) -> Result<(), PrintError> {
    let bad = printer.is_empty()
        || printer.starts_with('-')
        || printer.len() > 127
        || printer
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '#');
    if bad {
        return Err(PrintError::Setting {
            setting: "printer name",
            message: format!(
                "'{printer}' is not a CUPS printer name; choose a printer from the list"
            ),
        });
    }
    Ok(())
}

/// The job id in `lp`'s answer: `request id is Office-12 (1 file(s))` → `Office-12`.
pub fn parse_request_id(output: &str) -> Option<String> {
    output.lines().find_map(|line| {
        let rest = line.trim().strip_prefix("request id is ")?;
        let id = rest.split_whitespace().next()?;
        (!id.is_empty()).then(|| id.to_owned())
    })
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A failed command's error, classified from what it wrote.
fn failure(command: &str, out: &Output, printer: Option<&str>) -> PrintError {
    let stderr = text(&out.stderr);
    let message = if stderr.trim().is_empty() {
        text(&out.stdout).trim().to_owned()
    } else {
        stderr.trim().to_owned()
    };
    let lower = message.to_ascii_lowercase();
    let scheduler_down = [
        "scheduler is not running",
        "scheduler not responding",
        "unable to connect to server",
        "unable to connect to host",
        "connection refused",
    ]
    .iter()
    .any(|m| lower.contains(m));
    if scheduler_down {
        return PrintError::SchedulerNotRunning {
            command: command.to_owned(),
            detail: message,
        };
    }
    if let Some(printer) = printer {
        let missing = [
            "printer or class does not exist",
            "unknown destination",
            "invalid destination",
            "not a valid destination",
        ]
        .iter()
        .any(|m| lower.contains(m));
        if missing {
            return PrintError::NoSuchPrinter {
                printer: printer.to_owned(),
                listed: None,
            };
        }
    }
    PrintError::CupsFailed {
        command: command.to_owned(),
        status: out.status.to_string(),
        message: if message.is_empty() {
            "it gave no reason".to_owned()
        } else {
            message
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids() {
        assert_eq!(
            parse_request_id("request id is Printer-12 (1 file(s))\n").as_deref(),
            Some("Printer-12")
        );
        assert_eq!(
            parse_request_id("request id is Kitchen_Thermal-7 (0 file(s))").as_deref(),
            Some("Kitchen_Thermal-7")
        );
        assert_eq!(
            parse_request_id("lp: The printer or class does not exist."),
            None
        );
        assert_eq!(parse_request_id(""), None);
    }

    #[test]
    fn printer_names() {
        for ok in [
            "Office",
            "HP_LaserJet_M404",
            "Kitchen-Thermal",
            "Office/draft",
        ] {
            assert!(check_printer_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "-o", "two words", "a#b", "tab\there"] {
            assert!(check_printer_name(bad).is_err(), "{bad}");
        }
    }
}
