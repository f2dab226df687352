//! Connecting (paste-back with the state check, direct and broker), single-flight refresh,
//! `invalid_grant` → reconnect needed, re-reading a token another process rotated, disconnect.

use std::sync::Arc;
use std::time::Duration;

use hesabu_qbo::entities::Invoice;
use hesabu_qbo::{
    Client, ClientConfig, ConnectError, Endpoints, Error, ErrorKind, ManualClock, TokenManager,
    TokenService,
};
use hesabu_sync_api::secrets::SecretStore;

use crate::support::{MemoryStore, begin, connected, consent, direct_tokens, now, sandbox};

#[tokio::test]
async fn paste_back_checks_the_state_and_the_code_works_once() {
    let sandbox = sandbox().await;
    let store = Arc::new(MemoryStore::default());
    let clock = Arc::new(ManualClock::new(now()));
    let tokens = direct_tokens(&sandbox, &store, &clock);

    let pending = begin(&sandbox);
    let pasted = consent(&pending).await;
    assert!(pasted.starts_with(crate::support::REDIRECT), "{pasted}");

    // The same address answers another attempt's state: refused before any exchange.
    let other = begin(&sandbox);
    assert_eq!(other.complete(&pasted), Err(ConnectError::StateMismatch));
    let without_state: String = pasted
        .split(['?', '&'])
        .filter(|p| !p.starts_with("state="))
        .collect::<Vec<_>>()
        .join("&")
        .replacen('&', "?", 1);
    assert_eq!(
        pending.complete(&without_state),
        Err(ConnectError::StateMissing)
    );
    assert_eq!(sandbox.stats().code_exchanges, 0);

    let code = pending.complete(&pasted).unwrap();
    assert_eq!(code.realm_id, sandbox.realm_id());
    let set = tokens.connect(&code).await.unwrap();
    assert_eq!(set.realm_id, sandbox.realm_id());
    assert_eq!(set.access_expires_at, now() + chrono::Duration::hours(1));
    assert!(
        set.refresh_hard_expires_at.is_some(),
        "direct mode asks for the hard cap"
    );
    // Stored under the namespaced key, and it works.
    let key = tokens.key(&sandbox.realm_id());
    assert_eq!(key, format!("company-1/qbo/{}/tokens", sandbox.realm_id()));
    assert!(
        store
            .raw(&key)
            .unwrap()
            .contains(set.refresh_token.expose())
    );
    let client = Client::new(
        ClientConfig::new(&sandbox.base_url(), &sandbox.realm_id()),
        tokens.clone(),
    )
    .unwrap();
    let ids = sandbox.ids("Invoice");
    client.read::<Invoice>(&ids[0]).await.unwrap();

    // A code is exchanged once.
    let again = tokens.connect(&code).await.unwrap_err();
    assert!(again.is_invalid_grant(), "{again:?}");
    assert!(
        again.to_string().contains("Connect QuickBooks again"),
        "{again}"
    );

    // A refused consent says so.
    sandbox.deny_next_consent();
    let refused = begin(&sandbox);
    let pasted = consent(&refused).await;
    assert!(matches!(
        refused.complete(&pasted),
        Err(ConnectError::Refused { error, .. }) if error == "access_denied"
    ));
}

#[tokio::test]
async fn direct_mode_needs_the_client_secret_and_the_right_one() {
    let sandbox = sandbox().await;
    let store = Arc::new(MemoryStore::default());
    let clock = Arc::new(ManualClock::new(now()));
    let service = TokenService::direct(
        &Endpoints::under(&sandbox.base_url()),
        &sandbox.client_id(),
        "company-1/qbo/client_secret",
        store.clone(),
    )
    .unwrap();
    let tokens = TokenManager::new(service, store.clone(), clock, "company-1");
    let pending = begin(&sandbox);
    let code = pending.complete(&consent(&pending).await).unwrap();
    let missing = tokens.connect(&code).await.unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::Config);
    assert!(missing.to_string().contains("client secret"), "{missing}");

    store.set("company-1/qbo/client_secret", "wrong").unwrap();
    let wrong = tokens.connect(&code).await.unwrap_err();
    assert!(
        matches!(&wrong, Error::TokenEndpoint { error, status: 401, .. } if error == "invalid_client"),
        "{wrong:?}"
    );
}

#[tokio::test]
async fn broker_mode_exchanges_and_refreshes_without_the_secret() {
    let sandbox = sandbox().await;
    let store = Arc::new(MemoryStore::default());
    let clock = Arc::new(ManualClock::new(now()));
    let service = TokenService::broker(&sandbox.broker_url()).unwrap();
    let tokens = Arc::new(TokenManager::new(
        service,
        store.clone(),
        clock.clone(),
        "c2",
    ));
    let pending = begin(&sandbox);
    let code = pending.complete(&consent(&pending).await).unwrap();
    let first = tokens.connect(&code).await.unwrap();
    let client = Client::new(
        ClientConfig::new(&sandbox.base_url(), &sandbox.realm_id()),
        tokens.clone(),
    )
    .unwrap();
    clock.advance(Duration::from_secs(2 * 3600));
    client.preferences().await.unwrap();
    let after = tokens.load(&sandbox.realm_id()).unwrap().unwrap();
    assert_ne!(after.refresh_token, first.refresh_token, "rotated");
    assert_eq!(sandbox.stats().broker_calls, 2);
    assert_eq!(sandbox.stats().refresh_requests, 1);
    tokens.disconnect(&sandbox.realm_id()).await.unwrap();
    assert_eq!(sandbox.stats().broker_calls, 3);
    assert!(tokens.load(&sandbox.realm_id()).unwrap().is_none());
}

/// Two calls find the access token expired at once: one refresh request reaches the sandbox.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_expired_token_is_refreshed_once_for_concurrent_calls() {
    let c = connected().await;
    let ids = c.sandbox.ids("Invoice");
    let before = c.tokens.load(&c.sandbox.realm_id()).unwrap().unwrap();
    c.clock.advance(Duration::from_secs(3600));
    c.sandbox.advance_clock(Duration::from_secs(3600));
    let barrier = Arc::new(tokio::sync::Barrier::new(2));
    let call = |id: String| {
        let client = c.client.clone();
        let barrier = barrier.clone();
        tokio::spawn(async move {
            barrier.wait().await;
            client.read::<Invoice>(&id).await
        })
    };
    let (a, b) = tokio::join!(call(ids[0].clone()), call(ids[1].clone()));
    a.unwrap().unwrap();
    b.unwrap().unwrap();
    assert_eq!(c.sandbox.stats().refresh_requests, 1, "single flight");
    let after = c.tokens.load(&c.sandbox.realm_id()).unwrap().unwrap();
    assert_ne!(
        after.refresh_token, before.refresh_token,
        "the rotated token was stored"
    );
    assert!(after.access_expires_at > before.access_expires_at);
}

/// The sandbox says 401 (the token was killed early) to two calls at once: one refresh, each
/// call replayed once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_401_refreshes_once_and_replays_the_call() {
    let c = connected().await;
    let ids = c.sandbox.ids("Invoice");
    c.sandbox.expire_access_tokens();
    let barrier = Arc::new(tokio::sync::Barrier::new(2));
    let call = |id: String| {
        let client = c.client.clone();
        let barrier = barrier.clone();
        tokio::spawn(async move {
            barrier.wait().await;
            client.read::<Invoice>(&id).await
        })
    };
    let (a, b) = tokio::join!(call(ids[0].clone()), call(ids[1].clone()));
    a.unwrap().unwrap();
    b.unwrap().unwrap();
    let stats = c.sandbox.stats();
    assert_eq!(stats.refresh_requests, 1, "single flight");
    assert_eq!(stats.api_calls, 4, "each call: one 401, one replay");
}

#[tokio::test]
async fn invalid_grant_means_reconnect_needed_without_loops() {
    let c = connected().await;
    let realm = c.sandbox.realm_id();
    let ids = c.sandbox.ids("Invoice");
    // The user disconnected the app inside QuickBooks.
    c.sandbox.revoke_all();
    c.clock.advance(Duration::from_secs(3600));
    let error = c.client.read::<Invoice>(&ids[0]).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ReconnectNeeded, "{error:?}");
    assert!(error.to_string().contains("Reconnect"), "{error}");
    assert_eq!(
        c.sandbox.stats().refresh_requests,
        1,
        "the store held nothing newer"
    );
    assert!(
        c.tokens
            .load(&realm)
            .unwrap()
            .unwrap()
            .reconnect_needed
            .is_some()
    );
    assert_eq!(hesabu_qbo::contract::send_error(&error).kind(), "permanent");

    // Later calls fail at once: no further refresh, no API call.
    let api_calls = c.sandbox.stats().api_calls;
    let again = c.client.read::<Invoice>(&ids[0]).await.unwrap_err();
    assert_eq!(again.kind(), ErrorKind::ReconnectNeeded);
    assert_eq!(c.sandbox.stats().refresh_requests, 1);
    assert_eq!(c.sandbox.stats().api_calls, api_calls);

    // Connecting again clears it.
    let pending = begin(&c.sandbox);
    let code = pending.complete(&consent(&pending).await).unwrap();
    c.tokens.connect(&code).await.unwrap();
    c.client.read::<Invoice>(&ids[0]).await.unwrap();
}

/// Another process rotated the refresh token after we read it: our refresh gets
/// `invalid_grant`, the re-read finds the newer tokens, and we use them.
#[tokio::test]
async fn a_token_rotated_by_another_process_is_reread_once() {
    let c = connected().await;
    let realm = c.sandbox.realm_id();
    let key = c.tokens.key(&realm);
    let old = c.store.raw(&key).unwrap();
    c.clock.advance(Duration::from_secs(3600));
    // The other process: its own manager over the same store refreshes first.
    let other = direct_tokens(&c.sandbox, &c.store, &c.clock);
    other.access_token(&realm).await.unwrap();
    assert_eq!(c.sandbox.stats().refresh_requests, 1);
    // We read before it wrote: our first two reads see the old tokens.
    c.store.stale_reads(&key, &old, 2);
    let ids = c.sandbox.ids("Invoice");
    c.client.read::<Invoice>(&ids[0]).await.unwrap();
    let stats = c.sandbox.stats();
    assert_eq!(
        stats.refresh_requests, 2,
        "ours was refused, and not retried"
    );
    assert_eq!(stats.refresh_rejected, 1);
    assert!(
        c.tokens
            .load(&realm)
            .unwrap()
            .unwrap()
            .reconnect_needed
            .is_none()
    );
}

#[tokio::test]
async fn disconnect_revokes_and_wipes() {
    let c = connected().await;
    let realm = c.sandbox.realm_id();
    let stored = c.tokens.load(&realm).unwrap().unwrap();
    c.tokens.disconnect(&realm).await.unwrap();
    assert_eq!(c.sandbox.stats().revokes, 1);
    assert!(c.tokens.load(&realm).unwrap().is_none());
    let error = c.client.preferences().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotConnected);
    // The revoked refresh token is dead at Intuit's end too.
    let refused = c
        .tokens
        .service()
        .refresh(&stored.refresh_token)
        .await
        .unwrap_err();
    assert!(refused.is_invalid_grant());
}

#[tokio::test]
async fn the_hard_expiry_warning_comes_in_time() {
    let c = connected().await;
    let realm = c.sandbox.realm_id();
    let thirty_days = Duration::from_secs(30 * 86_400);
    assert_eq!(
        c.tokens.reconnect_warning(&realm, thirty_days).unwrap(),
        None
    );
    let set = c.tokens.load(&realm).unwrap().unwrap();
    let hard = set.refresh_hard_expires_at.unwrap();
    // Refresh often enough that the rolling window never ends: only the hard cap is left.
    let mut set = set;
    set.refresh_expires_at = Some(hard + chrono::Duration::days(90));
    c.tokens.store(&set).unwrap();
    c.clock.set(hard - chrono::Duration::days(10));
    let warning = c
        .tokens
        .reconnect_warning(&realm, thirty_days)
        .unwrap()
        .unwrap();
    assert!(warning.hard);
    assert!(!warning.expired);
    assert_eq!(warning.expires_at, hard);
}

/// Direct mode with development keys: the browser comes back to a one-shot loopback listener.
#[tokio::test]
async fn the_loopback_listener_catches_the_redirect() {
    let sandbox = sandbox().await;
    let store = Arc::new(MemoryStore::default());
    let clock = Arc::new(ManualClock::new(now()));
    let tokens = direct_tokens(&sandbox, &store, &clock);
    let listener = hesabu_qbo::oauth::LoopbackListener::bind(0, "/qbo/callback")
        .await
        .unwrap();
    let redirect_uri = listener.redirect_uri().to_owned();
    assert!(redirect_uri.starts_with("http://127.0.0.1:"));
    let pending = hesabu_qbo::PendingAuthorization::begin(
        &sandbox.authorize_url(),
        &sandbox.client_id(),
        &redirect_uri,
        &[hesabu_qbo::oauth::SCOPE_ACCOUNTING],
        None,
    )
    .unwrap();
    let waiting = tokio::spawn(listener.wait(Duration::from_secs(30)));
    // The browser: the consent page redirects, then it follows the redirect (a stray favicon
    // request first, which the listener ignores).
    let location = consent(&pending).await;
    let http = reqwest::Client::new();
    let stray = http
        .get(format!(
            "{}favicon.ico",
            &redirect_uri[..redirect_uri.len() - "qbo/callback".len()]
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(stray.status().as_u16(), 404);
    let page = http.get(&location).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    assert!(page.text().await.unwrap().contains("close this window"));
    let caught = waiting.await.unwrap().unwrap();
    assert_eq!(caught, location);
    let code = pending.complete(&caught).unwrap();
    assert_eq!(code.redirect_uri, redirect_uri);
    tokens.connect(&code).await.unwrap();

    // Nobody comes back: a clear time-out.
    let idle = hesabu_qbo::oauth::LoopbackListener::bind(0, "/cb")
        .await
        .unwrap();
    let error = idle.wait(Duration::from_millis(50)).await.unwrap_err();
    assert!(matches!(error, Error::Connect(ConnectError::TimedOut(_))));
}
