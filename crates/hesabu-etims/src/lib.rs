//! The KRA e-TIMS (OSCU) typed client: no database, nothing of Hesabu's but the sync contract.
//! The protocol is described in `shared/specs/etims-oscu.md` (section numbers below are its).
//!
//! - [`Client`] (`client`): one device's async client: [`Client::init`], the reference lists,
//!   [`Client::save_item`], [`Client::save_sale`], [`Client::invoice_details`], stock, purchases,
//!   and [`Client::call`] / [`Client::send_json`] for any endpoint.
//! - [`ClientConfig`], [`Timeouts`], [`Secret`] (`config`): gateway, base URL, PIN, branch, key.
//! - [`Gateway`], [`Endpoint`] (`gateway`): legacy OSCU vs the GavaConnect integrator gateway,
//!   and the path table of both.
//! - [`types`]: every request and response, field for field.
//! - [`classify`], [`ResultClass`] (`result`): the one place that says what a result code, an
//!   HTTP status or a gateway rejection means (success, empty lookup, retryable, permanent).
//! - [`Error`], [`Reply`] (`error`, `envelope`): what a call returns, KRA's message verbatim.
//! - [`contract`]: the mapping onto `hesabu_sync_api::SendError` and the device's `TargetConfig`.
//! - [`amount`]: amounts as exact JSON numbers, never through a float.
//! - [`dates`]: KRA's three date shapes, in Africa/Nairobi.

pub mod amount;
mod client;
mod config;
pub mod contract;
pub mod dates;
mod envelope;
mod error;
mod gateway;
mod lenient;
pub mod result;
mod secret;
pub mod types;

pub use client::Client;
pub use config::{ClientConfig, Timeouts};
pub use envelope::{NoData, Reply};
pub use error::{Error, Rejection};
pub use gateway::{
    Endpoint, Gateway, INTEGRATOR_SANDBOX, INTEGRATOR_SANDBOX_TOKEN, IntegratorAuth,
    LEGACY_PRODUCTION, LEGACY_SANDBOX, TimeoutKind,
};
pub use result::{ResultClass, classify};
pub use secret::Secret;
