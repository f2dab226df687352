//! Hesabu's storage kernel: everything a company file needs before it knows what a budget, an
//! approval or an invoice is. The domain (`hesabu-core`) stands on it; it imports no domain
//! crate (the layer table is in ARCHITECTURE.md and `tests/it/layers.rs` checks it).
//!
//! Start with [`company_file`] (the one way to open a company file) and [`uow`] (the
//! one-transaction rule), then [`audit`] (the hash chain every write appends to), [`auth`] and
//! [`permissions`] (who may do what), [`outbox`] (durable messages to external systems and the
//! worker that drains them, against the contract in `hesabu-sync-api`) and [`scheduler`] (the
//! engine that runs periodic jobs; the jobs themselves are the app's). [`clock`], [`ids`] and
//! [`money`] are the small kernel types every layer uses; [`secrets`] keeps keys out of the file.

pub mod audit;
pub mod auth;
pub mod background;
pub mod clock;
pub mod columns;
pub mod company_file;
pub mod entities;
pub mod error;
pub mod export;
pub mod ids;
pub mod limits;
pub mod money;
pub mod notifications;
pub mod observers;
pub mod outbox;
pub mod permissions;
pub(crate) mod read_connection;
pub mod scheduler;
pub mod secrets;
pub mod uow;
pub mod write_connection;

pub use error::{Error, ErrorKind, Result, WireError};
