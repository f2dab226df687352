//! Test plumbing: an in-memory secret store, a sandbox on a fixed clock, a connected client.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use hesabu_qbo::oauth::SCOPE_ACCOUNTING;
use hesabu_qbo::{
    Client, ClientConfig, Endpoints, ManualClock, PendingAuthorization, TokenManager, TokenService,
};
use hesabu_qbo_sandbox::{Sandbox, SandboxOptions};
use hesabu_sync_api::secrets::{SecretError, SecretStore};

/// The instant both clocks start at.
pub const NOW: &str = "2026-03-02T09:00:00Z";
/// The redirect the firm registered (paste-back: the browser lands there).
pub const REDIRECT: &str = "https://connect.example.co.ke/qbo/callback";
/// Where the client secret is kept in direct mode.
pub const SECRET_KEY: &str = "company-1/qbo/client_secret";

pub fn now() -> DateTime<Utc> {
    NOW.parse().unwrap()
}

/// A secret store in memory. `stale_reads` makes the next reads of one key return an old value,
/// as a process that read before another one wrote would see it.
#[derive(Debug, Default)]
pub struct MemoryStore {
    values: Mutex<HashMap<String, String>>,
    stale: Mutex<Option<(String, String, usize)>>,
}

impl MemoryStore {
    pub fn stale_reads(&self, key: &str, old_value: &str, reads: usize) {
        *self.stale.lock().unwrap() = Some((key.to_owned(), old_value.to_owned(), reads));
    }

    pub fn raw(&self, key: &str) -> Option<String> {
        self.values.lock().unwrap().get(key).cloned()
    }
}

impl SecretStore for MemoryStore {
    fn set(&self, key: &str, value: &str) -> Result<(), SecretError> {
        self.values
            .lock()
            .unwrap()
            .insert(key.to_owned(), value.to_owned());
        Ok(())
    }

    fn get(&self, key: &str) -> Result<Option<String>, SecretError> {
        let mut stale = self.stale.lock().unwrap();
        if let Some((stale_key, old, left)) = stale.as_mut()
            && stale_key == key
            && *left > 0
        {
            *left -= 1;
            return Ok(Some(old.clone()));
        }
        Ok(self.values.lock().unwrap().get(key).cloned())
    }

    fn delete(&self, key: &str) -> Result<(), SecretError> {
        self.values.lock().unwrap().remove(key);
        Ok(())
    }

    fn describe(&self) -> String {
        "memory".to_owned()
    }
}

/// A sandbox on loopback whose clock stands at [`NOW`].
pub async fn sandbox() -> Sandbox {
    Sandbox::start_with(
        "127.0.0.1:0".parse().unwrap(),
        SandboxOptions {
            now: Some(now()),
            ..SandboxOptions::default()
        },
    )
    .await
    .unwrap()
}

/// Everything a connected test needs.
pub struct Connected {
    pub sandbox: Sandbox,
    pub store: Arc<MemoryStore>,
    pub clock: Arc<ManualClock>,
    pub tokens: Arc<TokenManager>,
    pub client: Client,
}

/// Direct mode: the client secret in the store.
pub fn direct_tokens(
    sandbox: &Sandbox,
    store: &Arc<MemoryStore>,
    clock: &Arc<ManualClock>,
) -> Arc<TokenManager> {
    store.set(SECRET_KEY, &sandbox.client_secret()).unwrap();
    let service = TokenService::direct(
        &Endpoints::under(&sandbox.base_url()),
        &sandbox.client_id(),
        SECRET_KEY,
        store.clone(),
    )
    .unwrap();
    Arc::new(TokenManager::new(
        service,
        store.clone(),
        clock.clone(),
        "company-1",
    ))
}

/// Follows the consent page without a browser: the sandbox consents at once and answers
/// with a redirect; its `Location` is what the user would paste.
pub async fn consent(pending: &PendingAuthorization) -> String {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = http.get(&pending.url).send().await.unwrap();
    assert_eq!(
        response.status().as_u16(),
        302,
        "the consent page redirects"
    );
    response
        .headers()
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned()
}

pub fn begin(sandbox: &Sandbox) -> PendingAuthorization {
    PendingAuthorization::begin(
        &sandbox.authorize_url(),
        &sandbox.client_id(),
        REDIRECT,
        &[SCOPE_ACCOUNTING],
        None,
    )
    .unwrap()
}

/// A sandbox and a client connected to it through paste-back in direct mode.
pub async fn connected() -> Connected {
    let sandbox = sandbox().await;
    let store = Arc::new(MemoryStore::default());
    let clock = Arc::new(ManualClock::new(now()));
    let tokens = direct_tokens(&sandbox, &store, &clock);
    let pending = begin(&sandbox);
    let pasted = consent(&pending).await;
    let code = pending.complete(&pasted).unwrap();
    tokens.connect(&code).await.unwrap();
    let client = Client::new(
        ClientConfig::new(&sandbox.base_url(), &sandbox.realm_id()),
        tokens.clone(),
    )
    .unwrap();
    Connected {
        sandbox,
        store,
        clock,
        tokens,
        client,
    }
}

/// A fixture's text (copies of `shared/fixtures/quickbooks/`, see tests/fixtures/README.md).
pub fn fixture(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
