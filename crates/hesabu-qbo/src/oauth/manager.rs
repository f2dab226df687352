//! [`TokenManager`]: one realm's tokens from the secret store, refreshed single-flight.
//!
//! The rules (spec §1.8), each the fix for a bug peers shipped:
//! - one refresh at a time per realm (a tokio mutex per realm); a caller that waited for the
//!   lock re-reads the store and uses the token the other caller just got;
//! - the new refresh token is written to the secret store **before** the new access token is
//!   handed out, so a crash never loses the only valid refresh token;
//! - on `invalid_grant`, the stored token is re-read once (another process may have rotated
//!   it) and tried once; then the realm is marked "reconnect needed" and
//!   [`Error::ReconnectNeeded`] is returned, now and on every later call until the company
//!   connects again. No loops.

use std::collections::HashMap;
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use hesabu_sync_api::secrets::SecretStore;
use tokio::sync::Mutex;

use super::authorize::AuthorizationCode;
use super::service::TokenService;
use super::tokens::{ReconnectWarning, TokenSet};
use crate::clock::Clock;
use crate::error::Error;
use crate::secret::Secret;

/// Hands out access tokens for any number of realms and keeps them fresh.
#[derive(Debug)]
pub struct TokenManager {
    service: TokenService,
    secrets: Arc<dyn SecretStore>,
    clock: Arc<dyn Clock>,
    namespace: String,
    locks: StdMutex<HashMap<String, Arc<Mutex<()>>>>,
}

impl TokenManager {
    /// Tokens are kept in `secrets` under `{namespace}/qbo/{realm}/tokens` (the namespace is
    /// typically the company file's id, so two companies never share a key).
    pub fn new(
        service: TokenService,
        secrets: Arc<dyn SecretStore>,
        clock: Arc<dyn Clock>,
        namespace: &str,
    ) -> Self {
        TokenManager {
            service,
            secrets,
            clock,
            namespace: namespace.trim_end_matches('/').to_owned(),
            locks: StdMutex::new(HashMap::new()),
        }
    }

    /// The service that exchanges, refreshes and revokes.
    pub fn service(&self) -> &TokenService {
        &self.service
    }

    /// The clock token expiry (and the client's throttle pause) is read from.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The secret store key of a realm's tokens.
    pub fn key(&self, realm_id: &str) -> String {
        if self.namespace.is_empty() {
            format!("qbo/{realm_id}/tokens")
        } else {
            format!("{}/qbo/{realm_id}/tokens", self.namespace)
        }
    }

    /// Finishes connecting: exchanges the verified code and stores the tokens (replacing any
    /// earlier connection of the realm, "reconnect needed" included).
    pub async fn connect(&self, code: &AuthorizationCode) -> Result<TokenSet, Error> {
        let lock = self.lock_for(&code.realm_id);
        let _guard = lock.lock().await;
        let answer = self.service.exchange_code(code).await?;
        let set = TokenSet::from_response(&code.realm_id, &answer, self.clock.now());
        self.store(&set)?;
        Ok(set)
    }

    /// The stored tokens of a realm.
    pub fn load(&self, realm_id: &str) -> Result<Option<TokenSet>, Error> {
        let Some(text) = self.secrets.get(&self.key(realm_id))? else {
            return Ok(None);
        };
        serde_json::from_str(&text).map(Some).map_err(|e| {
            Error::Config(format!(
                "the stored QuickBooks connection for company {realm_id} is unreadable ({e}): \
                 connect QuickBooks again"
            ))
        })
    }

    /// Stores a realm's tokens (a connection made elsewhere, or tests).
    pub fn store(&self, set: &TokenSet) -> Result<(), Error> {
        let text = serde_json::to_string(set)
            .map_err(|e| Error::Config(format!("could not write the tokens: {e}")))?;
        self.secrets.set(&self.key(&set.realm_id), &text)?;
        Ok(())
    }

    /// A usable access token: the stored one while fresh, else a refreshed one.
    pub async fn access_token(&self, realm_id: &str) -> Result<Secret, Error> {
        let set = self.require(realm_id)?;
        if set.access_is_fresh(self.clock.now()) {
            return Ok(set.access_token);
        }
        self.refresh_single_flight(realm_id, None).await
    }

    /// QuickBooks refused `rejected` (HTTP 401): a new access token, refreshed at most once
    /// however many callers report the same rejection.
    pub async fn refresh_after_rejection(
        &self,
        realm_id: &str,
        rejected: &Secret,
    ) -> Result<Secret, Error> {
        self.refresh_single_flight(realm_id, Some(rejected)).await
    }

    /// When the realm's refresh token stops working within `warn_before`, when that is.
    pub fn reconnect_warning(
        &self,
        realm_id: &str,
        warn_before: Duration,
    ) -> Result<Option<ReconnectWarning>, Error> {
        Ok(self
            .load(realm_id)?
            .and_then(|set| set.reconnect_warning(self.clock.now(), warn_before)))
    }

    /// Disconnects: revokes the refresh token at Intuit (which ends the app's access to the
    /// company), then wipes the stored tokens. If the revoke call fails nothing is wiped, so it
    /// can be tried again; [`Self::forget`] wipes without asking Intuit.
    pub async fn disconnect(&self, realm_id: &str) -> Result<(), Error> {
        let lock = self.lock_for(realm_id);
        let _guard = lock.lock().await;
        if let Some(set) = self.load(realm_id)? {
            self.service.revoke(&set.refresh_token).await?;
        }
        self.forget(realm_id)
    }

    /// Wipes a realm's stored tokens without revoking them.
    pub fn forget(&self, realm_id: &str) -> Result<(), Error> {
        self.secrets.delete(&self.key(realm_id))?;
        Ok(())
    }

    fn require(&self, realm_id: &str) -> Result<TokenSet, Error> {
        let set = self.load(realm_id)?.ok_or_else(|| Error::NotConnected {
            realm_id: realm_id.to_owned(),
        })?;
        if let Some(reason) = &set.reconnect_needed {
            return Err(Error::ReconnectNeeded {
                realm_id: realm_id.to_owned(),
                reason: reason.clone(),
            });
        }
        Ok(set)
    }

    fn lock_for(&self, realm_id: &str) -> Arc<Mutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(|e| e.into_inner());
        locks.entry(realm_id.to_owned()).or_default().clone()
    }

    async fn refresh_single_flight(
        &self,
        realm_id: &str,
        rejected: Option<&Secret>,
    ) -> Result<Secret, Error> {
        let lock = self.lock_for(realm_id);
        let _guard = lock.lock().await;
        // Whoever held the lock before us may have refreshed already.
        let current = self.require(realm_id)?;
        if self.usable(&current, rejected) {
            return Ok(current.access_token);
        }
        match self.service.refresh(&current.refresh_token).await {
            Ok(answer) => self.keep(&current, &answer),
            Err(e) if e.is_invalid_grant() => {
                // Another process (a second window, the CLI) may have rotated the token since
                // we read it: re-read once and try what it stored, once.
                let reread = self.require(realm_id)?;
                if reread.refresh_token == current.refresh_token {
                    return Err(self.reconnect_needed(reread, &e));
                }
                if self.usable(&reread, rejected) {
                    return Ok(reread.access_token);
                }
                match self.service.refresh(&reread.refresh_token).await {
                    Ok(answer) => self.keep(&reread, &answer),
                    Err(e) if e.is_invalid_grant() => Err(self.reconnect_needed(reread, &e)),
                    Err(e) => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// A stored access token is usable when fresh and not the one QuickBooks just refused.
    fn usable(&self, set: &TokenSet, rejected: Option<&Secret>) -> bool {
        set.access_is_fresh(self.clock.now()) && rejected != Some(&set.access_token)
    }

    /// Stores the refreshed tokens, then hands out the access token.
    fn keep(
        &self,
        previous: &TokenSet,
        answer: &super::tokens::TokenResponse,
    ) -> Result<Secret, Error> {
        let next = previous.refreshed(answer, self.clock.now());
        self.store(&next)?;
        Ok(next.access_token)
    }

    /// Marks the realm so later calls fail at once, and says so.
    fn reconnect_needed(&self, mut set: TokenSet, cause: &Error) -> Error {
        let reason = match cause {
            Error::TokenEndpoint {
                description: Some(d),
                ..
            } if !d.trim().is_empty() => format!("QuickBooks refused the refresh token: {d}"),
            _ => "QuickBooks refused the refresh token (invalid_grant): it expired, was revoked \
                  or the app was disconnected in QuickBooks"
                .to_owned(),
        };
        let realm_id = set.realm_id.clone();
        set.reconnect_needed = Some(reason.clone());
        // If even this write fails the next call simply asks Intuit again: still no loop.
        let _ = self.store(&set);
        Error::ReconnectNeeded { realm_id, reason }
    }
}
