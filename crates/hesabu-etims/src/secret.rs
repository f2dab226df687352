//! [`Secret`]: a value never shown by `Debug`. Its own module so that the configuration and the
//! gateways (which both hold secrets) depend on it, not on each other.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A secret (the `cmcKey`, the consumer secret, a bearer token): never shown by `Debug`.
/// Where it is stored is the caller's business (`hesabu_sync_api::secrets::SecretStore`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}
