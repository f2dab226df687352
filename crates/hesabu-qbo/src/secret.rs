//! [`Secret`]: a token or key that `Debug` never shows.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A secret (an access or refresh token, an authorization code, the client secret). Never shown
/// by `Debug`; where it is kept is the caller's [`hesabu_sync_api::secrets::SecretStore`].
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret's text, to put on the wire or into the secret store.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}
