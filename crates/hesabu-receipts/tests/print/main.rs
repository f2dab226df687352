//! Printing tested from outside: the ESC/POS bytes read back with `print::fake::decode` and
//! compared with the roll layout the PDFs draw, a whole print to the loopback fake printer
//! (and its failures), CUPS through fake `lp` / `lpstat` scripts, and through a real scheduler
//! to a cups-pdf virtual printer when one is named, and the Windows spooler through a fake
//! `powershell`. One binary, a module per area.

/// The PDF readers of the renderer's tests (`pdftotext`, `zbarimg`), shared with them.
#[path = "../render/common.rs"]
#[allow(dead_code)] // this binary does not use the word boxes
mod common;
mod cups;
mod cups_pdf;
mod escpos;
mod network;
mod real;
mod windows;
