//! QuickBooks Online: the connection's status, setting it up, connecting by paste-back (the
//! consent page opened in the browser), pulling now (its progress sent to the window as
//! `qbo-pull-progress` events), the review list and disconnecting; and each sale's QuickBooks
//! transaction and write-back state, with "Open in QuickBooks". Each is a thin adapter over one
//! service of `hesabu_app::qbo`. Listed in the command table in [`super`].
//!
//! Setting up, connecting and disconnecting change where the company's sales go: the services
//! themselves allow them to admins only (`company_edit` on top of `sync_manage`). Connecting
//! and disconnecting remake the open file's outbox targets, so the write-back starts or stops at
//! once.

use std::sync::Arc;

use hesabu_app::qbo::document::{self, QboDocumentView};
use hesabu_app::qbo::pull::{self, PullProgress, PullReport, ReviewRow};
use hesabu_app::qbo::{self, ConnectionSettings, ConnectionView};
use hesabu_store::permissions::Permission;
use hesabu_store::secrets::{SecretStore, store_from_env};
use hesabu_store::{Error, WireError};
use tauri::{Emitter, State};

use crate::state::{AppState, IntoWire};

fn secrets() -> Result<Arc<dyn SecretStore>, WireError> {
    Ok(store_from_env().wire()?.into())
}

/// The connection, or `null` when QuickBooks is not set up for the company.
#[tauri::command]
pub async fn qbo_status(state: State<'_, AppState>) -> Result<Option<ConnectionView>, WireError> {
    let (open, session) = state.signed_in().await?;
    session.require(Permission::SyncView).wire()?;
    if !qbo::is_configured(&open.file).await.wire()? {
        return Ok(None);
    }
    qbo::status(&open.file, &session, secrets()?)
        .await
        .wire()
        .map(Some)
}

/// Chooses how the company connects; the client secret (direct and paste-back) goes to the
/// OS keyring, never the company file.
#[tauri::command]
pub async fn qbo_configure(
    state: State<'_, AppState>,
    settings: ConnectionSettings,
    secret: Option<String>,
) -> Result<ConnectionView, WireError> {
    let (open, session) = state.signed_in().await?;
    let store = secrets()?;
    qbo::configure(
        &open.file,
        &session,
        store.as_ref(),
        &settings,
        secret.as_deref(),
    )
    .await
    .wire()
}

/// Starts connecting: the consent page's address, opened in the browser when `open` (the
/// address is returned either way, for the user to copy when no browser opens).
#[tauri::command]
pub async fn qbo_authorize_url(
    state: State<'_, AppState>,
    open: bool,
) -> Result<String, WireError> {
    let (company, session) = state.signed_in().await?;
    let url = qbo::authorize_url(&company.file, &session).await.wire()?;
    if open && let Err(e) = crate::opener::open(std::path::Path::new(&url)) {
        // The page shows the address to copy; the failure is only worth a log line.
        eprintln!("hesabu-desktop: the browser did not open: {}", e.message);
    }
    Ok(url)
}

/// Finishes connecting with the address the browser landed on (its `state` is checked).
#[tauri::command]
pub async fn qbo_connect_paste(
    state: State<'_, AppState>,
    pasted: String,
) -> Result<ConnectionView, WireError> {
    let (open, session) = state.signed_in().await?;
    let view = qbo::connect_paste(&open.file, &session, secrets()?, &pasted)
        .await
        .wire()?;
    state.refresh_targets(&open.file).await;
    Ok(view)
}

/// The event `qbo_pull` emits with each [`PullProgress`] report.
pub const QBO_PULL_PROGRESS: &str = "qbo-pull-progress";

/// Pulls QuickBooks now (`full`: everything again); the write-backs it queues go with the next
/// sync. Progress (lists and pages read, then saving) goes to the window as
/// `qbo-pull-progress` events.
#[tauri::command]
pub async fn qbo_pull(
    state: State<'_, AppState>,
    window: tauri::Window,
    full: bool,
) -> Result<PullReport, WireError> {
    let (open, session) = state.signed_in().await?;
    let connected = qbo::open(&open.file, secrets()?).await.wire()?;
    let q = connected.ok_or_else(|| {
        Error::invalid("QuickBooks is not connected for this company: connect it first.").to_wire()
    })?;
    let forward = move |progress: PullProgress| {
        // A window that went away cannot be told; the pull itself carries on.
        if let Err(e) = window.emit(QBO_PULL_PROGRESS, progress) {
            eprintln!("hesabu-desktop: pull progress not delivered: {e}");
        }
    };
    Box::pin(pull::pull_with_progress(&q, &session, full, Some(&forward)))
        .await
        .wire()
}

/// The QuickBooks transaction a sale came from and where its write-back is; `null` for a sale
/// that did not come from QuickBooks.
#[tauri::command]
pub async fn qbo_sale_status(
    state: State<'_, AppState>,
    key: String,
) -> Result<Option<QboDocumentView>, WireError> {
    let (open, session) = state.signed_in().await?;
    document::show(&open.file, &session, &key).await.wire()
}

/// The QuickBooks side of several sales (ids), leaving out those not from QuickBooks: the sales
/// list's QuickBooks column.
#[tauri::command]
pub async fn qbo_sale_statuses(
    state: State<'_, AppState>,
    keys: Vec<String>,
) -> Result<Vec<QboDocumentView>, WireError> {
    let (open, session) = state.signed_in().await?;
    document::list(&open.file, &session, &keys).await.wire()
}

/// Opens a sale's QuickBooks transaction in the browser (Intuit's web app) and returns the
/// address; only the address the service made is ever opened, never one from the page.
#[tauri::command]
pub async fn qbo_sale_open(state: State<'_, AppState>, key: String) -> Result<String, WireError> {
    let (open, session) = state.signed_in().await?;
    let view = document::show(&open.file, &session, &key).await.wire()?;
    let link = view.and_then(|v| v.link).ok_or_else(|| {
        Error::invalid(
            "This sale has no QuickBooks page to open: it did not come from QuickBooks Online, \
             or it came from a local sandbox, which has no web app.",
        )
        .to_wire()
    })?;
    if let Err(e) = crate::opener::open(std::path::Path::new(&link)) {
        // The page shows the address to copy.
        eprintln!("hesabu-desktop: the browser did not open: {}", e.message);
    }
    Ok(link)
}

/// What pulls listed for a person, newest first.
#[tauri::command]
pub async fn qbo_reviews(state: State<'_, AppState>) -> Result<Vec<ReviewRow>, WireError> {
    let (open, session) = state.signed_in().await?;
    pull::reviews(&open.file, &session).await.wire()
}

/// Revokes the connection at Intuit and wipes the tokens (`force`: even when Intuit cannot be
/// reached).
#[tauri::command]
pub async fn qbo_disconnect(
    state: State<'_, AppState>,
    force: bool,
) -> Result<ConnectionView, WireError> {
    let (open, session) = state.signed_in().await?;
    let view = qbo::disconnect(&open.file, &session, secrets()?, force)
        .await
        .wire()?;
    state.refresh_targets(&open.file).await;
    Ok(view)
}
