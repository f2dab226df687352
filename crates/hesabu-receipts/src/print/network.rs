//! A thermal printer on the network: ESC/POS bytes sent raw to `host:9100` over TCP (the port
//! every network receipt printer listens on, "JetDirect"/"RAW"), with the printer's real-time
//! status asked before and after.
//!
//! One print is one connection: connect (with a timeout), ask the status (`DLE EOT 1`, `2`, `4`:
//! printer, offline cause, paper sensor), refuse to print if the printer is offline, its cover is
//! open or it is out of paper, send the job, ask the status again so that a printer that ran out
//! of paper or was opened during the job is reported, then close. `DLE EOT` is answered in real
//! time, even while the printer prints, so the second answer can come before the last line is on
//! paper: a problem after that moment is not seen (a limit of raw printing; the user sees the
//! paper). Paper near its end is a warning in the [`PrintReport`], unless
//! [`NetworkPrinter::refuse_when_near_end`] makes it an error.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use crate::model::Receipt;

use super::escpos::{self, EscPosOptions};
use super::{PrintError, Stage};

/// The port of raw network printing.
pub const DEFAULT_PORT: u16 = 9100;

/// `DLE EOT`: real-time status transmission; followed by n (1 printer, 2 offline cause,
/// 3 error cause, 4 roll paper sensor). Answered by one status byte.
pub const STATUS_QUERY: [u8; 2] = [0x10, 0x04];

/// Something the printer reports that stops (or soon stops) printing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrinterProblem {
    /// The cover is open.
    CoverOpen,
    /// No paper.
    PaperOut,
    /// The paper roll is nearly used up (a warning unless refused).
    PaperNearEnd,
    /// An error (a paper jam, an autocutter error, overheating).
    Error,
    /// Offline for another reason (the FEED button held, starting up).
    Offline,
}

impl PrinterProblem {
    /// What the printer reports, in words.
    pub fn describe(self) -> &'static str {
        match self {
            PrinterProblem::CoverOpen => "its cover is open",
            PrinterProblem::PaperOut => "it is out of paper",
            PrinterProblem::PaperNearEnd => "its paper roll is nearly used up",
            PrinterProblem::Error => "an error (a paper jam or a cutter error)",
            PrinterProblem::Offline => "it is offline",
        }
    }

    /// What to do about it.
    pub fn fix(self) -> &'static str {
        match self {
            PrinterProblem::CoverOpen => "Close the printer's cover.",
            PrinterProblem::PaperOut => "Load a new paper roll and close the cover.",
            PrinterProblem::PaperNearEnd => "Put in a new paper roll soon.",
            PrinterProblem::Error => {
                "Open the cover, clear any jammed paper, close it; if the error light stays on, \
                 switch the printer off and on."
            }
            PrinterProblem::Offline => {
                "Wait for the printer to be ready (its error light off), or switch it off and on."
            }
        }
    }

    /// A stable word for the problem (`cover_open`, `paper_out`, ...).
    pub fn kind(self) -> &'static str {
        match self {
            PrinterProblem::CoverOpen => "cover_open",
            PrinterProblem::PaperOut => "paper_out",
            PrinterProblem::PaperNearEnd => "paper_near_end",
            PrinterProblem::Error => "printer_error",
            PrinterProblem::Offline => "offline",
        }
    }
}

/// The printer's real-time status: the answers to `DLE EOT 1`, `2` and `4`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrinterStatus {
    /// Ready to print (`DLE EOT 1`, bit 3 clear).
    pub online: bool,
    /// Cover open (`DLE EOT 2`, bit 2).
    pub cover_open: bool,
    /// Out of paper (`DLE EOT 2` bit 5, or `DLE EOT 4` bits 5–6).
    pub paper_out: bool,
    /// Paper nearly out (`DLE EOT 4`, bits 2–3).
    pub paper_near_end: bool,
    /// An error occurred (`DLE EOT 2`, bit 6).
    pub error: bool,
    /// The three status bytes as received (n = 1, 2, 4).
    pub raw: [u8; 3],
}

impl PrinterStatus {
    /// The status from the replies to `DLE EOT 1` (printer), `2` (offline cause) and `4` (roll
    /// paper sensor).
    pub fn from_replies(printer: u8, offline_cause: u8, paper: u8) -> PrinterStatus {
        PrinterStatus {
            online: printer & 0x08 == 0,
            cover_open: offline_cause & 0x04 != 0,
            paper_out: offline_cause & 0x20 != 0 || paper & 0x60 != 0,
            paper_near_end: paper & 0x0C != 0,
            error: offline_cause & 0x40 != 0,
            raw: [printer, offline_cause, paper],
        }
    }

    /// The problem that stops printing, the most specific first; `None` when ready.
    pub fn blocking(&self) -> Option<PrinterProblem> {
        if self.cover_open {
            Some(PrinterProblem::CoverOpen)
        } else if self.paper_out {
            Some(PrinterProblem::PaperOut)
        } else if self.error {
            Some(PrinterProblem::Error)
        } else if !self.online {
            Some(PrinterProblem::Offline)
        } else {
            None
        }
    }
}

/// Is `b` a real-time status byte? Every one has bits 1 and 4 set and bits 0 and 7 clear.
fn is_status_byte(b: u8) -> bool {
    b & 0x93 == 0x12
}

/// What a successful print did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintReport {
    /// The printer, `host:port`.
    pub address: String,
    /// Bytes of the print job sent.
    pub bytes_sent: usize,
    /// Problems that did not stop the print (paper nearly out), to show the user.
    pub warnings: Vec<PrinterProblem>,
    /// Characters printed as their ASCII spelling (see [`super::codepage`]).
    pub transliterated: Vec<char>,
    /// Characters printed as `?`.
    pub unprintable: Vec<char>,
}

/// A network thermal printer and how to talk to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkPrinter {
    host: String,
    port: u16,
    /// How long to wait for the connection (default 3 s).
    pub connect_timeout: Duration,
    /// How long to wait for a status answer, or for the printer to take more bytes (default
    /// 10 s).
    pub io_timeout: Duration,
    /// Ask the status before and after (default on). Turn off only for a printer that does
    /// not answer `DLE EOT`; its problems then go unreported.
    pub check_status: bool,
    /// Refuse to print when the paper is nearly out (default off: a warning).
    pub refuse_when_near_end: bool,
}

impl NetworkPrinter {
    /// The printer at `address`: `host` or `host:port` (IPv6 as `[addr]:port`), port 9100 by
    /// default. The host is looked up when printing.
    pub fn new(address: &str) -> Result<NetworkPrinter, PrintError> {
        let (host, port) = parse_address(address)?;
        Ok(NetworkPrinter {
            host,
            port,
            connect_timeout: Duration::from_secs(3),
            io_timeout: Duration::from_secs(10),
            check_status: true,
            refuse_when_near_end: false,
        })
    }

    /// The printer's address, `host:port`.
    pub fn address(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// Asks the printer's status and prints nothing: the printer settings' "check printer".
    pub fn status(&self) -> Result<PrinterStatus, PrintError> {
        let mut conn = self.connect()?;
        let status = conn.status(Stage::StatusBefore)?;
        conn.close();
        Ok(status)
    }

    /// Renders the receipt as ESC/POS (see [`escpos::render`]) and prints it.
    pub fn print_receipt(
        &self,
        receipt: &Receipt,
        options: &EscPosOptions,
    ) -> Result<PrintReport, PrintError> {
        let job = escpos::render(receipt, options)?;
        let mut report = self.send(&job.bytes)?;
        report.transliterated = job.transliterated;
        report.unprintable = job.unprintable;
        Ok(report)
    }

    /// Sends a ready ESC/POS job: status, the bytes, status again.
    pub fn send(&self, job: &[u8]) -> Result<PrintReport, PrintError> {
        let mut conn = self.connect()?;
        let mut warnings = Vec::new();
        if self.check_status {
            let status = conn.status(Stage::StatusBefore)?;
            self.judge(&status, true, 0, &mut warnings)?;
        }
        conn.write_all(job)?;
        if self.check_status {
            let status = conn.status(Stage::StatusAfter)?;
            self.judge(&status, false, job.len(), &mut warnings)?;
        }
        conn.close();
        Ok(PrintReport {
            address: self.address(),
            bytes_sent: job.len(),
            warnings,
            transliterated: Vec::new(),
            unprintable: Vec::new(),
        })
    }

    /// A blocking problem (or a near end that is refused) as an error; a near end as a warning.
    fn judge(
        &self,
        status: &PrinterStatus,
        before: bool,
        bytes_sent: usize,
        warnings: &mut Vec<PrinterProblem>,
    ) -> Result<(), PrintError> {
        let problem = status.blocking().or_else(|| {
            (status.paper_near_end && self.refuse_when_near_end)
                .then_some(PrinterProblem::PaperNearEnd)
        });
        if let Some(problem) = problem {
            return Err(PrintError::Printer {
                address: self.address(),
                problem,
                before,
                bytes_sent,
            });
        }
        if status.paper_near_end && !warnings.contains(&PrinterProblem::PaperNearEnd) {
            warnings.push(PrinterProblem::PaperNearEnd);
        }
        Ok(())
    }

    fn connect(&self) -> Result<Connection, PrintError> {
        let address = self.address();
        let addrs: Vec<SocketAddr> = (self.host.as_str(), self.port)
            .to_socket_addrs()
            .map_err(|e| PrintError::Address {
                address: address.clone(),
                reason: format!("the name '{}' could not be looked up ({e})", self.host),
            })?
            .collect();
        let mut last = None;
        for addr in &addrs {
            match TcpStream::connect_timeout(addr, self.connect_timeout) {
                Ok(stream) => {
                    let setup = stream
                        .set_read_timeout(Some(self.io_timeout))
                        .and_then(|()| stream.set_write_timeout(Some(self.io_timeout)))
                        .and_then(|()| stream.set_nodelay(true));
                    if let Err(e) = setup {
                        return Err(PrintError::Network {
                            address,
                            stage: Stage::Connecting,
                            reason: e.to_string(),
                        });
                    }
                    return Ok(Connection {
                        stream,
                        address,
                        timeout: self.io_timeout,
                        sent: 0,
                    });
                }
                Err(e) => last = Some(e),
            }
        }
        Err(match last {
            Some(e) if is_timeout(&e) => PrintError::Timeout {
                address,
                stage: Stage::Connecting,
                waited: self.connect_timeout,
            },
            Some(e) => PrintError::Unreachable {
                address,
                reason: e.to_string(),
            },
            None => PrintError::Address {
                address,
                reason: "the name has no address".to_owned(),
            },
        })
    }
}

/// `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 address.
fn parse_address(address: &str) -> Result<(String, u16), PrintError> {
    let bad = |reason: &str| PrintError::Address {
        address: address.to_owned(),
        reason: reason.to_owned(),
    };
    let a = address.trim();
    if a.is_empty() {
        return Err(bad("it is empty"));
    }
    if let Ok(addr) = a.parse::<SocketAddr>() {
        return Ok((addr.ip().to_string(), addr.port()));
    }
    if let Ok(ip) = a.parse::<std::net::IpAddr>() {
        return Ok((ip.to_string(), DEFAULT_PORT));
    }
    if let Some(inner) = a.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        return inner
            .parse::<std::net::Ipv6Addr>()
            .map(|ip| (ip.to_string(), DEFAULT_PORT))
            .map_err(|_| bad("the part in brackets is not an IPv6 address"));
    }
    let (host, port) = match a.rsplit_once(':') {
        Some((host, port)) => (
            host,
            port.parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| bad("the port after ':' must be a number from 1 to 65535"))?,
        ),
        None => (a, DEFAULT_PORT),
    };
    let valid = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_');
    if !valid {
        return Err(bad(
            "a host name has only letters, digits, dots and hyphens",
        ));
    }
    Ok((host.to_owned(), port))
}

fn is_timeout(e: &std::io::Error) -> bool {
    matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

/// One open connection to the printer.
struct Connection {
    stream: TcpStream,
    address: String,
    timeout: Duration,
    /// Job bytes written so far.
    sent: usize,
}

impl Connection {
    fn error(&self, stage: Stage, e: &std::io::Error) -> PrintError {
        let address = self.address.clone();
        if is_timeout(e) {
            PrintError::Timeout {
                address,
                stage,
                waited: self.timeout,
            }
        } else if matches!(
            e.kind(),
            ErrorKind::UnexpectedEof
                | ErrorKind::ConnectionReset
                | ErrorKind::ConnectionAborted
                | ErrorKind::BrokenPipe
        ) {
            PrintError::Disconnected { address, stage }
        } else {
            PrintError::Network {
                address,
                stage,
                reason: e.to_string(),
            }
        }
    }

    /// One `DLE EOT n` and its answer.
    fn ask(&mut self, n: u8, stage: Stage) -> Result<u8, PrintError> {
        self.stream
            .write_all(&[STATUS_QUERY[0], STATUS_QUERY[1], n])
            .map_err(|e| self.error(stage, &e))?;
        let mut reply = [0_u8];
        self.stream
            .read_exact(&mut reply)
            .map_err(|e| self.error(stage, &e))?;
        if !is_status_byte(reply[0]) {
            return Err(PrintError::NotEscPos {
                address: self.address.clone(),
                reply: reply[0],
            });
        }
        Ok(reply[0])
    }

    fn status(&mut self, stage: Stage) -> Result<PrinterStatus, PrintError> {
        let printer = self.ask(1, stage)?;
        let cause = self.ask(2, stage)?;
        let paper = self.ask(4, stage)?;
        Ok(PrinterStatus::from_replies(printer, cause, paper))
    }

    fn write_all(&mut self, job: &[u8]) -> Result<(), PrintError> {
        while self.sent < job.len() {
            match self.stream.write(&job[self.sent..]) {
                Ok(0) => {
                    let e = std::io::Error::from(ErrorKind::BrokenPipe);
                    return Err(self.error(Stage::Sending, &e));
                }
                Ok(n) => self.sent += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(self.error(Stage::Sending, &e)),
            }
        }
        self.stream
            .flush()
            .map_err(|e| self.error(Stage::Sending, &e))
    }

    /// Closes politely: no more bytes from us, then what the printer still says is read and
    /// dropped (closing with unread bytes would reset the connection, and some printers drop a
    /// job that ends in a reset).
    fn close(mut self) {
        if self.stream.shutdown(Shutdown::Write).is_err() {
            return;
        }
        let wait = self.timeout.min(Duration::from_secs(1));
        if self.stream.set_read_timeout(Some(wait)).is_err() {
            return;
        }
        let mut sink = [0_u8; 256];
        while matches!(self.stream.read(&mut sink), Ok(n) if n > 0) {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        let ok = |a: &str| parse_address(a).unwrap();
        assert_eq!(ok("192.168.1.50"), ("192.168.1.50".to_owned(), 9100));
        assert_eq!(ok(" 192.168.1.50:9101 "), ("192.168.1.50".to_owned(), 9101));
        assert_eq!(ok("printer.local"), ("printer.local".to_owned(), 9100));
        assert_eq!(ok("epson-tm:9100"), ("epson-tm".to_owned(), 9100));
        assert_eq!(ok("[::1]:9100"), ("::1".to_owned(), 9100));
        assert_eq!(ok("[fe80::1]"), ("fe80::1".to_owned(), 9100));
        assert_eq!(ok("::1"), ("::1".to_owned(), 9100));
        for bad in [
            "",
            "printer:",
            "printer:0",
            "printer:99999",
            "a b",
            "http://x",
        ] {
            let err = parse_address(bad).unwrap_err();
            assert!(matches!(err, PrintError::Address { .. }), "{bad}: {err}");
            assert!(err.to_string().contains("192.168.1.50:9100"), "{err}");
        }
        let p = NetworkPrinter::new("::1").unwrap();
        assert_eq!(p.address(), "[::1]:9100");
    }

    #[test]
    fn status_bits() {
        let ready = PrinterStatus::from_replies(0x12, 0x12, 0x12);
        assert_eq!(ready.blocking(), None);
        assert!(!ready.paper_near_end);
        let near = PrinterStatus::from_replies(0x12, 0x12, 0x1E);
        assert_eq!(near.blocking(), None);
        assert!(near.paper_near_end);
        let out = PrinterStatus::from_replies(0x1A, 0x32, 0x72);
        assert_eq!(out.blocking(), Some(PrinterProblem::PaperOut));
        let cover = PrinterStatus::from_replies(0x1A, 0x16, 0x12);
        assert_eq!(cover.blocking(), Some(PrinterProblem::CoverOpen));
        let error = PrinterStatus::from_replies(0x1A, 0x52, 0x12);
        assert_eq!(error.blocking(), Some(PrinterProblem::Error));
        let offline = PrinterStatus::from_replies(0x1A, 0x12, 0x12);
        assert_eq!(offline.blocking(), Some(PrinterProblem::Offline));
        assert!(is_status_byte(0x12) && is_status_byte(0x7E));
        assert!(!is_status_byte(0x00) && !is_status_byte(0x13) && !is_status_byte(0x92));
    }
}
