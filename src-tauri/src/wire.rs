//! Desktop-only wire types: what the start screen needs before any company file is open, the
//! sync progress the desktop folds from the outbox's events, and the sales code lists the sales
//! screens offer (the core keeps them as constants). The
//! core's wire types (`hesabu_core::wire`) cover everything after that. Both are generated into
//! `ui/src/lib/bindings.ts` by [`crate::bindings`].

use hesabu_core::sales::tax::TaxType;
use serde::Serialize;
use ts_rs::TS;

use crate::recent::RecentCompany;

/// The company file that is open in this window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct OpenedCompany {
    /// Absolute path of the company file.
    pub path: String,
    /// The trading name if set, else the legal name.
    pub name: String,
    /// The company's time zone (IANA name, e.g. "Africa/Nairobi"): times are shown in it.
    pub time_zone: String,
    /// Set when the company signs with the app's local e-TIMS sandbox (the demo company): what
    /// to tell people, plainly, in a banner (it is a test double of KRA, not KRA).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub etims_sandbox: Option<String>,
}

/// Everything the start screen shows.
#[derive(Debug, Clone, Serialize, TS)]
pub struct StartInfo {
    /// Recently opened company files, most recent first.
    pub recent: Vec<RecentCompany>,
    /// Where new company files go unless the user names another folder.
    pub default_folder: String,
    /// Where "Open the demo company" keeps the demo file.
    pub demo_path: String,
    /// The company file that is already open (after a reload of the window), if any.
    pub open_company: Option<OpenedCompany>,
}

/// The Sync page's progress bar: what the current (or last) drain of the outbox did, folded from
/// the worker's progress events.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
pub struct SyncProgress {
    /// A drain is running now.
    pub running: bool,
    /// Items in this drain (ready when it started, plus those finished).
    pub total: u32,
    pub done: u32,
    /// Failed and queued again for a retry later.
    pub failed: u32,
    pub dead: u32,
    /// The idempotency key being sent.
    pub current: Option<String>,
    /// Targets whose last probe failed.
    pub offline: Vec<String>,
}

/// One entry of a KRA code list: its code and what it means ("KG", "kilogram").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct CodeName {
    pub code: String,
    pub name: String,
}

/// A KRA tax band as sales are computed with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct TaxBand {
    pub tax_type: TaxType,
    /// Percent, e.g. "16".
    pub rate: String,
    /// "Standard rated VAT".
    pub name: String,
    /// As printed on receipts: "B-16%", "A-EX".
    pub label: String,
}

/// The code lists of the sales screens (`sales_code_lists`), from the core's constants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct SalesCodeLists {
    /// A to E.
    pub tax_types: Vec<TaxBand>,
    /// KRA code class 10.
    pub quantity_units: Vec<CodeName>,
    /// KRA code class 17.
    pub packaging_units: Vec<CodeName>,
    /// KRA code class 32, for credit notes.
    pub credit_note_reasons: Vec<CodeName>,
    /// cash, mpesa, bank, …
    pub payment_methods: Vec<String>,
}
