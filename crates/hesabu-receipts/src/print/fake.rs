//! A fake network receipt printer on loopback, for tests here and in other crates (feature
//! `testing`), and [`decode`], which reads the ESC/POS bytes it records back into lines and QR
//! codes.
//!
//! The fake listens on `127.0.0.1:0`, takes one connection at a time (as a printer does),
//! answers `DLE EOT n` status queries at once from its [`Behaviour`], and records everything
//! else each connection sends as a [`Job`]. It stops when dropped.
//!
//! ```no_run
//! # fn demo() -> std::io::Result<()> {
//! use hesabu_receipts::print::fake::{Behaviour, FakePrinter};
//! let printer = FakePrinter::start()?;
//! printer.set_behaviour(Behaviour::PaperOut);
//! // ... print to printer.address() ...
//! let jobs = printer.jobs();
//! # Ok(()) }
//! ```

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::codepage::CodePage;

/// How the fake printer behaves towards the next connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Behaviour {
    /// Ready: prints whatever comes.
    #[default]
    Ready,
    /// Prints, but reports the paper nearly used up.
    PaperNearEnd,
    /// Out of paper (offline, paper end).
    PaperOut,
    /// Cover open (offline).
    CoverOpen,
    /// Offline with an error (a jam or a cutter error).
    Error,
    /// Ready until the job's first byte, then out of paper: a roll that ends mid-receipt.
    PaperRunsOutDuringJob,
    /// Accepts the connection and closes it at once.
    CloseOnConnect,
    /// Accepts the connection and then neither reads nor answers: a hung printer.
    Hang,
    /// Answers status queries with 0x00, as a device that is not an ESC/POS printer might.
    Garbage,
}

impl Behaviour {
    /// The status byte answering `DLE EOT n`, `started` once job bytes have arrived.
    fn status(self, n: u8, started: bool) -> u8 {
        let ready = 0x12;
        let state = match self {
            Behaviour::PaperRunsOutDuringJob if started => Behaviour::PaperOut,
            other => other,
        };
        match (state, n) {
            (Behaviour::Garbage, _) => 0x00,
            (Behaviour::PaperNearEnd, 4) => ready | 0x0C,
            (Behaviour::PaperOut, 1) | (Behaviour::CoverOpen, 1) | (Behaviour::Error, 1) => {
                ready | 0x08
            }
            (Behaviour::PaperOut, 2) => ready | 0x20,
            (Behaviour::PaperOut, 4) => ready | 0x6C,
            (Behaviour::CoverOpen, 2) => ready | 0x04,
            (Behaviour::Error, 2) => ready | 0x40,
            _ => ready,
        }
    }
}

/// What one connection sent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Job {
    /// The bytes to print: everything but the status queries.
    pub data: Vec<u8>,
    /// The `n` of each `DLE EOT n` asked, in order.
    pub status_queries: Vec<u8>,
    /// How many status queries came before the first job byte.
    pub queries_before_data: usize,
}

#[derive(Default)]
struct State {
    behaviour: Behaviour,
    jobs: Vec<Job>,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    stop: AtomicBool,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A fake ESC/POS network printer on loopback. Stops when dropped.
pub struct FakePrinter {
    addr: SocketAddr,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for FakePrinter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakePrinter")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

/// How often the fake looks at its stop flag while waiting.
const POLL: Duration = Duration::from_millis(10);

impl FakePrinter {
    /// A ready printer on `127.0.0.1` and a free port.
    pub fn start() -> std::io::Result<FakePrinter> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
            stop: AtomicBool::new(false),
        });
        let thread = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name("fake-printer".to_owned())
                .spawn(move || serve(&listener, &shared))?
        };
        Ok(FakePrinter {
            addr,
            shared,
            thread: Some(thread),
        })
    }

    /// `127.0.0.1:port`, to give to the printing code.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    /// Changes how the printer behaves from the next connection on.
    pub fn set_behaviour(&self, behaviour: Behaviour) {
        self.shared.lock().behaviour = behaviour;
    }

    /// Every finished connection so far, in order (also those that only asked the status).
    pub fn jobs(&self) -> Vec<Job> {
        self.shared.lock().jobs.clone()
    }

    /// Waits until `count` connections have finished (or `timeout` passes) and returns them all.
    pub fn wait_for_jobs(&self, count: usize, timeout: Duration) -> Vec<Job> {
        let deadline = Instant::now() + timeout;
        let mut state = self.shared.lock();
        while state.jobs.len() < count {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            state = self
                .shared
                .changed
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        state.jobs.clone()
    }

    /// An address on loopback where nothing listens: a printer that is switched off.
    pub fn unplugged_address() -> std::io::Result<String> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        drop(listener);
        Ok(addr.to_string())
    }
}

impl Drop for FakePrinter {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(listener: &TcpListener, shared: &Shared) {
    while !shared.stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => {
                let behaviour = shared.lock().behaviour;
                let job = handle(stream, behaviour, shared);
                if let Some(job) = job {
                    shared.lock().jobs.push(job);
                    shared.changed.notify_all();
                }
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => std::thread::sleep(POLL),
            Err(_) => std::thread::sleep(POLL),
        }
    }
}

/// Serves one connection until the client closes it (or the fake stops); `None` when the
/// behaviour closes or hangs without recording.
fn handle(mut stream: TcpStream, behaviour: Behaviour, shared: &Shared) -> Option<Job> {
    match behaviour {
        Behaviour::CloseOnConnect => return None,
        Behaviour::Hang => {
            while !shared.stop.load(Ordering::SeqCst) {
                std::thread::sleep(POLL);
            }
            return None;
        }
        _ => {}
    }
    if stream.set_nonblocking(false).is_err() || stream.set_read_timeout(Some(POLL)).is_err() {
        return None;
    }
    let mut job = Job::default();
    // Bytes of a status query split across reads: DLE, or DLE EOT.
    let mut pending: Vec<u8> = Vec::new();
    let mut buf = [0_u8; 4096];
    loop {
        if shared.stop.load(Ordering::SeqCst) {
            break;
        }
        let n = match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => continue,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        for &b in &buf[..n] {
            pending.push(b);
            match pending.as_slice() {
                [0x10] | [0x10, 0x04] => continue,
                [0x10, 0x04, q] => {
                    let q = *q;
                    job.status_queries.push(q);
                    if job.data.is_empty() {
                        job.queries_before_data += 1;
                    }
                    let reply = behaviour.status(q, !job.data.is_empty());
                    if stream.write_all(&[reply]).is_err() {
                        return Some(job);
                    }
                }
                other => job.data.extend_from_slice(other),
            }
            pending.clear();
        }
    }
    job.data.extend_from_slice(&pending);
    Some(job)
}

/// One thing an ESC/POS job prints, as [`decode`] reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Printed {
    /// A line of text ended by LF.
    Line {
        text: String,
        bold: bool,
        /// Double width and height (`GS ! 0x11`).
        double: bool,
        /// `ESC a`: 0 left, 1 centre, 2 right.
        justify: u8,
    },
    /// A QR code printed by `GS ( k` fn 181.
    Qr {
        /// What fn 180 stored.
        data: Vec<u8>,
        /// 1 or 2 (fn 165; 2 when never set).
        model: u8,
        /// Module size in dots (fn 167).
        module: u8,
        /// Error correction parameter (fn 169): 48 L, 49 M, 50 Q, 51 H.
        ecc: u8,
        justify: u8,
    },
    /// `ESC d n`.
    Feed(u8),
    /// `GS V`: `true` for a partial cut.
    Cut { partial: bool },
}

/// An ESC/POS job read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// The `n` of `ESC t n`, if sent.
    pub code_page: Option<u8>,
    /// What is printed, in order.
    pub items: Vec<Printed>,
}

/// Reads the ESC/POS commands Hesabu sends (`ESC @`, `ESC t`, `ESC a`, `ESC E`, `GS !`,
/// `GS ( k` for QR codes, `ESC d`, `GS V`, LF and text in the selected code page) back into what
/// is printed. Anything else is an error naming the byte offset, so a stray byte fails a test.
/// The job must start with `ESC @`; a style change in the middle of a line is refused (Hesabu
/// styles whole lines); an LF right after a QR code ends the code's line and prints nothing.
pub fn decode(bytes: &[u8]) -> Result<Decoded, String> {
    if !bytes.starts_with(&[0x1B, 0x40]) {
        return Err("the job does not start with ESC @ (initialise)".to_owned());
    }
    let mut d = Decoded {
        code_page: None,
        items: Vec::new(),
    };
    let mut page = CodePage::Pc437;
    let (mut bold, mut double, mut justify) = (false, false, 0_u8);
    let (mut model, mut module, mut ecc) = (2_u8, 3_u8, 48_u8);
    let mut stored: Option<Vec<u8>> = None;
    let mut line = String::new();
    let mut after_qr = false;
    let mut i = 2;
    let arg = |i: usize, n: usize| -> Result<&[u8], String> {
        bytes
            .get(i..i + n)
            .ok_or_else(|| format!("the command at byte {i} is cut short"))
    };
    while i < bytes.len() {
        let b = bytes[i];
        let style_change = |line: &String| {
            if line.is_empty() {
                Ok(())
            } else {
                Err(format!(
                    "a style changes in the middle of line '{line}' (byte {i})"
                ))
            }
        };
        match b {
            0x0A => {
                if after_qr && line.is_empty() {
                    after_qr = false;
                } else {
                    d.items.push(Printed::Line {
                        text: std::mem::take(&mut line),
                        bold,
                        double,
                        justify,
                    });
                }
                i += 1;
            }
            0x1B => {
                let command = arg(i + 1, 1)?[0];
                if command == 0x40 {
                    (bold, double, justify) = (false, false, 0);
                    page = CodePage::Pc437;
                    i += 2;
                    after_qr = false;
                    continue;
                }
                let n = arg(i + 2, 1)?[0];
                match command {
                    0x74 => {
                        page = CodePage::ALL
                            .into_iter()
                            .find(|p| p.escpos_number() == n)
                            .ok_or_else(|| format!("unknown code page ESC t {n}"))?;
                        d.code_page = Some(n);
                    }
                    0x61 => {
                        style_change(&line)?;
                        justify = n;
                    }
                    0x45 => {
                        style_change(&line)?;
                        bold = n & 1 == 1;
                    }
                    0x64 => {
                        style_change(&line)?;
                        d.items.push(Printed::Feed(n));
                    }
                    other => return Err(format!("unknown command ESC {other:#04x} at byte {i}")),
                }
                i += 3;
                after_qr = false;
            }
            0x1D => {
                let a = arg(i + 1, 2)?;
                match a {
                    [0x21, n] => {
                        style_change(&line)?;
                        double = match n {
                            0x00 => false,
                            0x11 => true,
                            other => return Err(format!("unexpected size GS ! {other:#04x}")),
                        };
                        i += 3;
                    }
                    [0x56, m] => {
                        style_change(&line)?;
                        d.items.push(Printed::Cut {
                            partial: matches!(m, 1 | 49),
                        });
                        i += 3;
                    }
                    [0x28, 0x6B] => {
                        let head = arg(i + 3, 4)?;
                        let len = usize::from(head[0]) + 256 * usize::from(head[1]);
                        if len < 3 || head[2] != 0x31 {
                            return Err(format!("a GS ( k at byte {i} is not a QR command"));
                        }
                        let params = arg(i + 7, len - 2)?;
                        match (head[3], params) {
                            (0x41, [n1, _]) => model = n1.wrapping_sub(0x30),
                            (0x43, [n]) => module = *n,
                            (0x45, [n]) => ecc = *n,
                            (0x50, [0x30, data @ ..]) => stored = Some(data.to_vec()),
                            (0x51, [0x30]) => {
                                style_change(&line)?;
                                let data = stored.clone().ok_or_else(|| {
                                    format!("QR print at byte {i} with nothing stored")
                                })?;
                                d.items.push(Printed::Qr {
                                    data,
                                    model,
                                    module,
                                    ecc,
                                    justify,
                                });
                                after_qr = true;
                            }
                            (f, p) => {
                                return Err(format!("unexpected QR function {f:#04x} {p:02x?}"));
                            }
                        }
                        i += 5 + len;
                        continue;
                    }
                    other => return Err(format!("unknown command GS {other:02x?} at byte {i}")),
                }
                after_qr = false;
            }
            _ => {
                let c = page
                    .decode(b)
                    .ok_or_else(|| format!("byte {b:#04x} at {i} is not printable"))?;
                line.push(c);
                after_qr = false;
                i += 1;
            }
        }
    }
    if !line.is_empty() {
        return Err(format!(
            "the last line '{line}' has no LF, so it is never printed"
        ));
    }
    Ok(d)
}
