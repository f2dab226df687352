//! The sync contract: the small, stable seam between Hesabu's durable outbox and the clients of
//! external systems (KRA e-TIMS, QuickBooks Online). A client crate depends on this crate and on
//! nothing else of Hesabu's: no database, no domain.
//!
//! - [`Target`]: what a client implements — send one [`OutboxItem`] with its idempotency key,
//!   answer "did you already get this?" for crash recovery, and a cheap connectivity probe.
//! - [`SendError`]: the client's one-place classification of a failure as retryable (transport,
//!   429/5xx, e-TIMS 894/990/991–993/999) or permanent (a business rejection).
//! - [`Targets`]: the clients a process has, by name, handed to the outbox worker.
//! - [`secrets::SecretStore`]: where a client's keys and tokens are kept (never the company file).
//! - [`amount`]: exact JSON numbers for money, which every client reads and writes the same way.
//! - `testing` (feature `testing`): a loopback fake target for tests and examples.
//!
//! The outbox itself (the table, the drainer that claims, sends and settles rows) is in
//! `hesabu-store`, which implements the other side of this contract.

pub mod amount;
mod item;
pub mod secrets;
mod target;
#[cfg(feature = "testing")]
pub mod testing;

pub use item::OutboxItem;
pub use target::{Ack, RemoteState, SendError, Target, TargetConfig, Targets};
