//! KRA e-TIMS on the sales ledger: what the app layer adds between the ledger (`hesabu-core`,
//! whose `sales::fiscal` keeps the device and the fiscal records) and the typed client
//! (`hesabu-etims`, which knows no database). See docs/etims.md.
//!
//! - [`payload`]: the `saveTrnsSalesOsdc` request built from a stored sale, its amounts taken
//!   from the ledger's tax module (never recomputed here).
//! - [`device`]: setting the device up once (the key to the secret store), and its client.
//! - [`fiscal`]: the safe-send algorithm (spec §11.4), the pre-send checklist, the payload
//!   preview, looking an invoice up at KRA, queueing a sale.
//! - [`target`]: [`EtimsTarget`], the outbox target the sync worker drains `etims` rows to.
//! - [`targets_for_file`]: the targets of an opened company file (its device's target).
//! - [`reference`]: KRA's code lists, item classes and notices, cached with per-list watermarks
//!   (a bundled snapshot until the first pull); [`masters`]: PIN look-ups, registering customers
//!   and items, and what they add to a sale's checklist.
//! - [`compositions`] (item compositions, `saveItemComposition`), [`insurers`] (the branch's
//!   insurers, `saveBhfInsurance`), [`imports`] (answering items customs declared as imported,
//!   `updateImportItem`): stored here and sent as frozen requests through the outbox
//!   ([`queued`]).
//! - [`kra_records`]: what KRA keeps for the device (branches, items, imported items, our sales
//!   reconciled with the local submissions, branch customers, the taxpayer), cached with
//!   watermarks, and the company's users registered as branch users; the daily refresh.
//! - [`stock`]: the local stock ledger of goods, each movement reported to KRA (insertStockIO,
//!   saveStockMaster) through the outbox, and KRA's list of the device's stock movements.
//! - [`purchases`]: the sales suppliers declared against the PIN, fetched with a watermark,
//!   reviewed (lines mapped to items), answered to KRA through the outbox with their own counter.
//! - [`demo_sandbox`]: the demo company's local e-TIMS sandbox (a test double of KRA), run by
//!   the app itself.

pub mod compositions;
pub mod demo_sandbox;
pub mod device;
pub mod fiscal;
pub mod imports;
pub mod insurers;
pub mod kra_records;
pub mod masters;
pub mod payload;
pub mod purchases;
pub mod queue;
pub mod queued;
pub mod reference;
pub mod stock;
pub mod target;

pub use hesabu_etims::Timeouts;
pub use target::EtimsTarget;

use std::sync::Arc;

use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::Result;
use hesabu_store::outbox::Targets;
use hesabu_store::secrets::SecretStore;

/// The outbox targets of an opened company file: `base` (the process's own, e.g. a test's
/// loopback target) plus, when the company has an initialised e-TIMS device and `base` has no
/// `etims` target, an [`EtimsTarget`] with the device's key from `secrets`. An initialised
/// device whose key cannot be read is an error that says what to do (rows would otherwise wait
/// silently). Call it after opening a file, and again after `etims device init`.
pub async fn targets_for_file(
    file: &CompanyFile,
    secrets: &dyn SecretStore,
    base: &Targets,
    timeouts: Timeouts,
) -> Result<Targets> {
    let mut targets = base.clone();
    if targets
        .get(hesabu_core::workflows::executions::ETIMS_TARGET)
        .is_some()
    {
        return Ok(targets);
    }
    if let Some(client) = device::client(file, secrets, timeouts).await? {
        targets.add(Arc::new(EtimsTarget::new(file.clone(), client)));
    }
    Ok(targets)
}
