//! The renderer tested from outside, on what its PDFs show: the text poppler extracts, the QR
//! code zbar reads, the bytes of two renders. One binary, a module per area.

mod common;
mod content;
mod determinism;
mod errors;
mod layout;
mod qr;
mod report;
mod unicode;
