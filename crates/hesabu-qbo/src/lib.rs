//! The QuickBooks Online typed client: a thin layer on reqwest, no database, no keyring crate.
//! It depends on the sync contract (`hesabu-sync-api`: [`SendError`](hesabu_sync_api::SendError),
//! [`SecretStore`](hesabu_sync_api::secrets::SecretStore)) and on ordinary crates only. The
//! contract it follows is `shared/specs/quickbooks-online.md`; section numbers below refer to it.
//!
//! - [`oauth`]: connecting a company (§1) — the authorization URL with a random `state`, the
//!   redirect read back and verified (loopback or pasted), token exchange direct or through a
//!   broker, [`TokenSet`]s in the secret store, single-flight refresh per realm, "reconnect
//!   needed", revoke.
//! - [`Client`]: one company's calls — [`Client::read`], [`Client::query`] and its
//!   [`Pager`], [`Client::cdc`], [`Client::sparse_update`], [`Client::upload`] and the dedupe
//!   check [`Client::find_attachment`], [`Client::preferences`]. `minorversion=75` on every
//!   call; every write takes the caller's persisted [`RequestId`].
//! - [`batch`]: [`Client::batch`] sends up to [`ClientConfig::batch_size`] (10, at most 30)
//!   independent query or operation items in one call; each item's Fault is that item's
//!   [`Error`]. It waits at the realm's batch quota ([`BATCH_PER_MINUTE`]) as well.
//! - [`entities`]: Invoice, CreditMemo, SalesReceipt, Customer, Item, TaxCode, TaxRate,
//!   Preferences, Attachable — amounts as `Decimal` from their exact JSON text ([`amount`]),
//!   each with its raw JSON ([`Record`]).
//! - [`Query`]: statements with quoted, escaped values and checked names.
//! - [`Error`] with one classification ([`ErrorKind`]), [`Fault`] for both Fault shapes and the
//!   XML throttle body, and [`contract::send_error`] onto the outbox's `SendError`.
//!
//! - [`RateLimits`] and the per-realm limiter (`limiter.rs`, spec §6.1–§6.2): every Accounting
//!   API request of every client of a realm in the process waits its turn (one request per
//!   [`RateLimits::interval`]: 10/s and 500/min by default), and a throttle answer pauses the
//!   realm: its requests are refused unsent ([`Error::Paused`]) until the wait is over.
//!
//! What the client does not do: retry on its own (except one replay after a 401 refresh; a
//! throttle's wait is returned to the caller), decide what to batch, or know about Hesabu's
//! ledger.
//!
//! A typical pull:
//!
//! ```no_run
//! # async fn pull(client: &hesabu_qbo::Client) -> Result<(), hesabu_qbo::Error> {
//! use hesabu_qbo::{Query, entities::Invoice};
//! let since = chrono::DateTime::parse_from_rfc3339("2025-06-01T09:00:00+03:00").unwrap();
//! let mut pages = client.pages::<Invoice>(Query::of::<Invoice>().updated_since(since));
//! while let Some(page) = pages.next().await? {
//!     for record in page.value.records {
//!         // store record.raw beside the projection record.entity
//!     }
//! }
//! # Ok(()) }
//! ```

pub mod amount;
pub mod answers;
pub mod batch;
mod client;
mod clock;
mod connect_error;
pub mod contract;
pub mod entities;
mod error;
mod fault;
mod limiter;
pub mod oauth;
mod query;
mod record;
mod secret;
mod writes;

pub use answers::{CDC_MAX_OBJECTS, Cdc, CdcGroup, CdcObject, Change, QueryPage, Reply};
pub use batch::{BatchAnswers, BatchItem, DEFAULT_BATCH_SIZE, MAX_BATCH_ITEMS};
pub use client::{Client, ClientConfig, MINOR_VERSION, Pager};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{ApiError, Error, ErrorKind, THROTTLE_WAIT};
pub use fault::{Fault, FaultError};
pub use limiter::{BATCH_PER_MINUTE, RateLimits};
pub use oauth::{
    AuthorizationCode, ConnectError, Endpoints, PendingAuthorization, TokenManager, TokenService,
    TokenSet,
};
pub use query::{MAX_RESULTS, Query, quote};
pub use record::Record;
pub use secret::Secret;
pub use writes::{RequestId, SalesTxnPatch, Upload};
