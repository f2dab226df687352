//! Hesabu's application layer: the top of the core, where the layers below are put together for
//! a running app. The CLI and the desktop shell call it; it never depends on Tauri.
//!
//! - [`open_company_file`] and [`create_company`]: how the app, the CLI and the tests get a
//!   company file, with the domain's observers registered on it (the workflow execution log
//!   follows the outbox through [`hesabu_store::outbox::OutboxObserver`]).
//! - [`jobs`]: the built-in scheduled jobs (the scheduler engine is the store's).
//! - [`reports`], [`monitor`], [`connectivity`]: the daily summary PDF, monitoring figures, and
//!   the online/offline view behind the Sync and Monitoring pages.
//! - [`backup`]: `VACUUM INTO` backups, keep-N and verified restore.
//! - [`export`]: any list (budgets, a budget's ledger, documents, the audit log, the execution
//!   log, sales) to a CSV or XLSX file.
//! - [`receipts`]: ETR receipts: stored at first rendering after KRA signed, PDF, printing,
//!   the print log.
//! - [`qbo`]: QuickBooks Online: the connection, pulling sales into the ledger, the ETR
//!   write-back (outbox target `qbo`).
//! - [`demo`]: the demo company seed (shared by the desktop and `hesabu demo create`).
//! - [`users`]: adding and deactivating users, with their registration at KRA as branch users
//!   in the same transaction when the company has an e-TIMS device.

pub mod backup;
pub mod connectivity;
pub mod demo;
pub mod demo_support;
pub mod etims;
pub mod export;
pub mod jobs;
pub mod monitor;
pub mod qbo;
pub mod receipts;
pub mod reports;
pub mod typescript;
pub mod users;

use std::path::Path;
use std::sync::Arc;

use hesabu_core::company::NewCompany;
use hesabu_store::auth::Session;
use hesabu_store::clock::SharedClock;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::Result;

/// Whether `file` sends anywhere outside: an initialised e-TIMS device or a connected QuickBooks
/// company. When it does not, [`targets_for_file`] needs no secret store.
pub async fn has_external_targets(file: &CompanyFile) -> Result<bool> {
    Ok(hesabu_core::sales::fiscal::device(file.reader())
        .await?
        .is_some()
        || qbo::stored(file.reader())
            .await?
            .is_some_and(|s| s.realm_id.is_some()))
}

/// The outbox targets of an opened company file: `base` (the process's own, e.g. a test's
/// loopback targets) plus the file's e-TIMS device ([`etims::targets_for_file`]) and its
/// QuickBooks connection ([`qbo::push::QboTarget`]), each unless `base` already has a target of
/// that name. The CLI (`sync`, `jobs`) and the desktop (on opening a file, and after a device is
/// set up or QuickBooks connected) call it.
pub async fn targets_for_file(
    file: &CompanyFile,
    secrets: Arc<dyn hesabu_store::secrets::SecretStore>,
    base: &hesabu_store::outbox::Targets,
) -> Result<hesabu_store::outbox::Targets> {
    let mut targets =
        etims::targets_for_file(file, secrets.as_ref(), base, etims::Timeouts::default()).await?;
    if targets.get(qbo::QBO_TARGET).is_none()
        && let Some(target) = qbo::push::QboTarget::for_file(file, secrets).await?
    {
        targets.add(Arc::new(target));
    }
    Ok(targets)
}

/// Opens an existing company file (see [`CompanyFile::open`]) with the domain's observers
/// registered. What the app, the CLI and the tests use.
pub async fn open_company_file(path: &Path, clock: SharedClock) -> Result<CompanyFile> {
    let file = CompanyFile::open(path, clock).await?;
    register_observers(&file);
    Ok(file)
}

/// Creates a company file (see [`hesabu_core::company::create`]) with the domain's observers
/// registered, and its admin signed in.
pub async fn create_company(
    path: &Path,
    new: &NewCompany,
    clock: SharedClock,
) -> Result<(CompanyFile, Session)> {
    let (file, admin) = hesabu_core::company::create(path, new, clock).await?;
    register_observers(&file);
    Ok((file, admin))
}

/// What the layers above the store want to hear from it, registered on an open file: the
/// workflow execution log follows each move of its outbox row, in the same transaction.
pub fn register_observers(file: &CompanyFile) {
    file.add_outbox_observer(Arc::new(hesabu_core::workflows::ExecutionLog));
}
