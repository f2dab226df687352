//! Connecting a company: OAuth 2.0 as Intuit runs it (spec §1).
//!
//! Intuit's token endpoint needs the app's client secret, and production keys accept only a
//! registered `https` redirect (no localhost, no IP). So there are three ways to connect, and
//! the company chooses:
//!
//! 1. **Direct** — the firm's own Intuit app: client id here, client secret in the
//!    [`SecretStore`](hesabu_sync_api::secrets::SecretStore) ([`TokenService::direct`]).
//!    Development (sandbox) keys may redirect to a loopback address ([`LoopbackListener`]).
//! 2. **Paste-back** — the browser lands on the firm's registered `https` page and the user
//!    pastes the resulting address (`code`, `state`, `realmId`) into Hesabu
//!    ([`PendingAuthorization::complete`]). The code is then exchanged directly or through a
//!    broker.
//! 3. **Broker** — exchange, refresh and revoke go to a configured broker that holds the secret
//!    and forwards to Intuit ([`TokenService::broker`]; the protocol is in `service.rs`).
//!
//! Every mode starts with [`PendingAuthorization::begin`] (a random `state`) and verifies that
//! `state` on the way back. Tokens live in the secret store, one [`TokenSet`] per realm;
//! [`TokenManager`] hands out access tokens and refreshes them single-flight per realm.

mod authorize;
mod loopback;
mod manager;
pub(crate) mod service;
mod tokens;

pub use crate::connect_error::ConnectError;
pub use authorize::{AuthorizationCode, PendingAuthorization};
pub use loopback::LoopbackListener;
pub use manager::TokenManager;
pub use service::TokenService;
pub use tokens::{ReconnectWarning, TokenResponse, TokenSet};

/// The only scope Hesabu needs: all Accounting REST calls.
pub const SCOPE_ACCOUNTING: &str = "com.intuit.quickbooks.accounting";

/// Where Intuit's (or the local sandbox's) OAuth and API live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// The consent page (`…/connect/oauth2`).
    pub authorize_url: String,
    /// The token endpoint (exchange and refresh).
    pub token_url: String,
    /// The revocation endpoint.
    pub revoke_url: String,
    /// The Accounting API's base, before `/v3/company/{realmId}`.
    pub api_base: String,
}

impl Endpoints {
    /// Intuit production (spec §1.1, §2.1).
    pub fn production() -> Self {
        Endpoints {
            authorize_url: "https://appcenter.intuit.com/connect/oauth2".to_owned(),
            token_url: "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer".to_owned(),
            revoke_url: "https://developer.api.intuit.com/v2/oauth2/tokens/revoke".to_owned(),
            api_base: "https://quickbooks.api.intuit.com".to_owned(),
        }
    }

    /// Intuit's sandbox companies (development keys): the same OAuth, another API host.
    pub fn intuit_sandbox() -> Self {
        Endpoints {
            api_base: "https://sandbox-quickbooks.api.intuit.com".to_owned(),
            ..Endpoints::production()
        }
    }

    /// A server that serves everything under one base URL with Intuit's paths (the local
    /// sandbox, `hesabu-qbo-sandbox`).
    pub fn under(base: &str) -> Self {
        let base = base.trim_end_matches('/');
        Endpoints {
            authorize_url: format!("{base}/connect/oauth2"),
            token_url: format!("{base}/oauth2/v1/tokens/bearer"),
            revoke_url: format!("{base}/v2/oauth2/tokens/revoke"),
            api_base: base.to_owned(),
        }
    }
}
