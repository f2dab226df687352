//! KRA's records and the e-TIMS registries on the desktop (issue 16, "CLI and UI"): what KRA
//! keeps for the company's device (branches, items at KRA, imported items, KRA's record of our
//! sales with its reconciliation, the branch's customers, the taxpayer), the company's users as
//! KRA's branch users, item compositions, insurers and the answers to imported items. Each
//! command is a thin adapter over `hesabu_app::etims::{kra_records, compositions, insurers,
//! imports}`, which check the permissions; listed in the command table in [`super`].
//!
//! The app layer's views carry no TypeScript types (and some are generic or hold decimals), so
//! the wire types here are the desktop's view of them: amounts and quantities as exact decimal
//! text, no outbox ids. The app layer's error messages are written for the command line and
//! sometimes name a `hesabu …` command; `.wire()` puts them in the desktop's words
//! (`crate::desktop_words`) before they reach the window.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use hesabu_app::etims::Timeouts;
use hesabu_app::etims::compositions::{self, ComponentInput, CompositionView};
use hesabu_app::etims::imports::{self, ImportView};
use hesabu_app::etims::insurers::{self, InsurerChange, InsurerView, NewInsurer};
use hesabu_app::etims::kra_records::{
    self, BranchUserView, Discrepancy, KraList, KraRefreshReport, Reconciliation,
};
use hesabu_app::etims::reference::RefreshOutcome;
use hesabu_store::WireError;
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::{Error, Result};
use hesabu_store::secrets::SecretStore;
use tauri::State;

use crate::state::{AppState, IntoWire};

// ---- wire types -------------------------------------------------------------------------------

/// One of KRA's lists as cached in the company file.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct KraListInfo {
    /// `branches`, `items`, `imports`, `sales`, `customers` or `taxpayer`.
    pub list: String,
    pub records: u32,
    /// When it was last fetched from KRA (none: never).
    pub refreshed_at: Option<String>,
    /// Why the last fetch failed, if it did.
    pub last_error: Option<String>,
}

/// A branch of the taxpayer at KRA.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct KraBranchRow {
    pub bhf_id: String,
    pub name: Option<String>,
    /// Open (KRA's `01`), else closed.
    pub open: bool,
    pub head_office: bool,
    pub county: Option<String>,
    pub location: Option<String>,
    pub manager: Option<String>,
    pub manager_phone: Option<String>,
    pub manager_email: Option<String>,
    /// The branch of this company's e-TIMS device.
    pub this_device: bool,
}

/// An item registered at KRA.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct KraItemRow {
    pub item_cd: String,
    pub name: Option<String>,
    pub classification: Option<String>,
    pub tax_type: Option<String>,
    pub quantity_unit: Option<String>,
    pub default_price: Option<String>,
    /// The code of this company's item with this KRA item code (none: not in this file).
    pub local_code: Option<String>,
}

/// A sale or credit note as KRA holds it.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct KraSaleRow {
    #[ts(type = "number")]
    pub invc_no: i64,
    /// Our document number, as sent.
    pub document: Option<String>,
    pub credit_note: bool,
    pub customer_name: Option<String>,
    pub customer_pin: Option<String>,
    /// `yyyyMMdd` as KRA sent it.
    pub sales_date: Option<String>,
    pub total: Option<String>,
    pub tax: Option<String>,
}

/// A customer of the branch as KRA lists it.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct KraCustomerRow {
    pub cust_no: String,
    pub pin: Option<String>,
    pub name: Option<String>,
    pub in_use: bool,
}

/// The taxpayer as KRA registered it.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct KraTaxpayerRow {
    pub tin: String,
    pub name: Option<String>,
    pub active: bool,
    pub county: Option<String>,
    pub location: Option<String>,
}

/// Which way KRA's sales list and this company file disagree about a sale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SalesDifferenceKind {
    /// KRA signed it; this file does not hold it as signed (or has no such sale).
    SignedAtKraOnly,
    /// Signed here before KRA's list was fetched; KRA does not list it.
    MissingAtKra,
    /// Both have it; the total or the document number differ.
    Differs,
}

/// One sale on which KRA and this company file disagree.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct SalesDifference {
    pub kind: SalesDifferenceKind,
    #[ts(type = "number")]
    pub invc_no: i64,
    /// Our document number (as KRA holds it, else this file's).
    pub document: Option<String>,
    pub kra_total: Option<String>,
    pub local_total: Option<String>,
    /// Where this file's send of the sale is (`signed`, `unknown`, `reserved`, `rejected`); none:
    /// this file has no sale with that e-TIMS number.
    pub local_state: Option<String>,
}

/// KRA's record of our sales against this company file's signed sales.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct SalesReconciliation {
    /// KRA's sales list was fetched at least once.
    pub fetched: bool,
    /// It was fetched from the start, so a sale missing at KRA can be told.
    pub complete: bool,
    pub as_of: Option<String>,
    pub kra_sales: u32,
    pub local_signed: u32,
    pub differences: Vec<SalesDifference>,
}

/// KRA's records as last fetched.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct KraRecordsView {
    pub lists: Vec<KraListInfo>,
    pub branches: Vec<KraBranchRow>,
    pub items: Vec<KraItemRow>,
    pub sales: Vec<KraSaleRow>,
    pub reconciliation: SalesReconciliation,
    pub customers: Vec<KraCustomerRow>,
    pub taxpayer: Option<KraTaxpayerRow>,
}

/// What fetching one of KRA's lists did.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct KraListFetch {
    pub list: String,
    /// Records KRA sent (0: nothing new).
    pub received: u32,
    /// Why it failed (what was cached stays as it was).
    pub error: Option<String>,
}

/// A company user as a branch user at KRA.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct BranchUserRow {
    pub email: String,
    pub name: String,
    pub role: String,
    pub active: bool,
    /// `queued`, `registered` or `failed`; none: never sent to KRA.
    pub state: Option<String>,
    pub registered_at: Option<String>,
    pub message: Option<String>,
    /// KRA does not hold the user as they are now.
    pub pending: bool,
}

/// What queueing the branch users for KRA did.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct BranchUsersQueued {
    /// The users (emails) queued.
    pub queued: Vec<String>,
    pub up_to_date: u32,
}

/// One component of a composite item.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ComponentRow {
    pub item_id: String,
    pub code: String,
    pub name: String,
    /// Exact decimal text: how many go into one composite item.
    pub quantity: String,
}

/// An item's composition and whether KRA has its last version.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct CompositionRow {
    pub item_id: String,
    pub code: String,
    pub name: String,
    pub components: Vec<ComponentRow>,
    /// `ready`, `in_flight`, `done` (KRA has it) or `dead` (gave up); none: not queued.
    pub sync_state: Option<String>,
    pub sync_error: Option<String>,
    pub updated_at: String,
}

/// A component as the form sends it: an item (id or code) and its quantity as typed.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ComponentEntry {
    pub item: String,
    pub quantity: String,
}

/// An insurer the branch accepts.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct InsurerRow {
    pub id: String,
    pub code: String,
    pub name: String,
    /// Exact decimal percent (20 for 20 %).
    pub premium_rate: String,
    pub active: bool,
    pub sync_state: Option<String>,
    pub sync_error: Option<String>,
    pub updated_at: String,
}

/// A new insurer as the form sends it; the rate is a percent as typed (`20`, `12.5`, `12.5%`).
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct InsurerInput {
    pub code: String,
    pub name: String,
    pub premium_rate: String,
}

/// A change to an insurer; none keeps the field.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
pub struct InsurerEdit {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub premium_rate: Option<String>,
    #[serde(default)]
    pub active: Option<bool>,
}

/// The answer given to an imported item.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ImportAnswerRow {
    /// `accepted` or `rejected`.
    pub decision: String,
    /// Accepted: the code of the item it was mapped to.
    pub item_code: Option<String>,
    pub remark: Option<String>,
    pub decided_at: String,
    pub sync_state: Option<String>,
    pub sync_error: Option<String>,
}

/// An item customs declared as imported, with our answer.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ImportRow {
    /// What the accept and reject commands take: the customs task, declaration date and line.
    pub reference: String,
    /// `yyyyMMdd`.
    pub declared_on: String,
    pub declaration_no: Option<String>,
    #[ts(type = "number")]
    pub line: i64,
    pub hs_code: Option<String>,
    pub name: Option<String>,
    /// KRA's status (class 26): `2` waiting, `3` approved, `4` cancelled.
    pub kra_status: Option<String>,
    pub quantity: Option<String>,
    pub quantity_unit: Option<String>,
    pub supplier: Option<String>,
    /// Waiting for an answer from this company.
    pub open: bool,
    pub answer: Option<ImportAnswerRow>,
}

/// The imported items as last fetched from KRA.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ImportsView {
    pub items: Vec<ImportRow>,
    pub refreshed_at: Option<String>,
    pub last_error: Option<String>,
}

fn count(n: impl TryInto<u32>) -> u32 {
    n.try_into().unwrap_or(u32::MAX)
}

fn text(d: Option<impl ToString>) -> Option<String> {
    d.map(|d| d.to_string())
}

// ---- services (the commands below call these) -------------------------------------------------

fn difference(kind: SalesDifferenceKind, d: &Discrepancy) -> SalesDifference {
    SalesDifference {
        kind,
        invc_no: d.invc_no,
        document: d.document.clone(),
        kra_total: text(d.kra_total),
        local_total: text(d.local_total),
        local_state: d.local_state.clone(),
    }
}

/// The reconciliation as the desktop shows it: every difference, in KRA's invoice order within
/// each kind (the app layer's notes name CLI commands, so the window words them itself).
pub fn reconciliation_of(r: &Reconciliation) -> SalesReconciliation {
    let differences = r
        .missing_locally
        .iter()
        .map(|d| difference(SalesDifferenceKind::SignedAtKraOnly, d))
        .chain(
            r.missing_at_kra
                .iter()
                .map(|d| difference(SalesDifferenceKind::MissingAtKra, d)),
        )
        .chain(
            r.differing
                .iter()
                .map(|d| difference(SalesDifferenceKind::Differs, d)),
        )
        .collect();
    SalesReconciliation {
        fetched: r.as_of.is_some(),
        complete: r.complete,
        as_of: r.as_of.clone(),
        kra_sales: count(r.kra_sales),
        local_signed: count(r.local_signed),
        differences,
    }
}

/// Every list of KRA's records as cached (anyone who may see sales).
pub async fn kra_records_view(file: &CompanyFile, session: &Session) -> Result<KraRecordsView> {
    let lists = kra_records::status(file, session)
        .await?
        .into_iter()
        .map(|s| KraListInfo {
            list: s.list.as_str().to_owned(),
            records: count(s.records),
            refreshed_at: s.state.refreshed_at,
            last_error: s.state.last_error,
        })
        .collect();
    let branches = kra_records::branches(file, session)
        .await?
        .records
        .into_iter()
        .map(|b| KraBranchRow {
            open: b.status.as_deref() != Some("02"),
            bhf_id: b.bhf_id,
            name: b.name,
            head_office: b.head_office,
            county: b.county,
            location: b.location,
            manager: b.manager,
            manager_phone: b.manager_phone,
            manager_email: b.manager_email,
            this_device: b.this_device,
        })
        .collect();
    let items = kra_records::items(file, session)
        .await?
        .records
        .into_iter()
        .map(|i| KraItemRow {
            item_cd: i.item_cd,
            name: i.name,
            classification: i.classification,
            tax_type: i.tax_type,
            quantity_unit: i.quantity_unit,
            default_price: text(i.default_price),
            local_code: i.local_code,
        })
        .collect();
    let sales_view = kra_records::sales(file, session).await?;
    let sales = sales_view
        .sales
        .records
        .into_iter()
        .map(|s| KraSaleRow {
            invc_no: s.invc_no,
            document: s.trd_invc_no,
            credit_note: s.rcpt_ty_cd.as_deref() == Some("R"),
            customer_name: s.customer_name,
            customer_pin: s.customer_pin,
            sales_date: s.sales_dt,
            total: text(s.total),
            tax: text(s.tax),
        })
        .collect();
    let customers = kra_records::customers(file, session)
        .await?
        .records
        .into_iter()
        .map(|c| KraCustomerRow {
            cust_no: c.cust_no,
            pin: c.pin,
            name: c.name,
            in_use: c.in_use,
        })
        .collect();
    let taxpayer = kra_records::taxpayer(file, session)
        .await?
        .records
        .into_iter()
        .next()
        .map(|t| KraTaxpayerRow {
            active: t.status.as_deref() != Some("D"),
            tin: t.tin,
            name: t.name,
            county: t.county,
            location: t.location,
        });
    Ok(KraRecordsView {
        lists,
        branches,
        items,
        sales,
        reconciliation: reconciliation_of(&sales_view.reconciliation),
        customers,
        taxpayer,
    })
}

/// What a refresh did, list by list.
pub fn fetches_of(report: &KraRefreshReport) -> Vec<KraListFetch> {
    report
        .lists
        .iter()
        .map(|l| KraListFetch {
            list: l.list.as_str().to_owned(),
            received: count(l.received),
            error: match l.outcome {
                RefreshOutcome::Failed => Some(
                    l.error
                        .clone()
                        .unwrap_or_else(|| "KRA did not answer".to_owned()),
                ),
                RefreshOutcome::Updated | RefreshOutcome::Unchanged => None,
            },
        })
        .collect()
}

/// Fetches one of KRA's lists (all of them without `list`) with the company's device (those who
/// keep the sales master data; the app layer checks).
pub async fn refresh_kra_lists(
    file: &CompanyFile,
    session: &Session,
    secrets: &dyn SecretStore,
    list: Option<&str>,
    timeouts: Timeouts,
) -> Result<Vec<KraListFetch>> {
    let only = list.map(KraList::parse).transpose()?;
    let report = kra_records::refresh(file, session, secrets, timeouts, only).await?;
    Ok(fetches_of(&report))
}

fn branch_user_row(u: BranchUserView) -> BranchUserRow {
    BranchUserRow {
        email: u.email,
        name: u.name,
        role: u.role,
        active: u.active,
        state: u.state,
        registered_at: u.registered_at,
        message: u.message,
        pending: u.pending,
    }
}

fn composition_row(c: CompositionView) -> CompositionRow {
    CompositionRow {
        item_id: c.item_id,
        code: c.code,
        name: c.name,
        components: c
            .components
            .into_iter()
            .map(|p| ComponentRow {
                item_id: p.item_id,
                code: p.code,
                name: p.name,
                quantity: p.quantity,
            })
            .collect(),
        sync_state: c.sync_state,
        sync_error: c.sync_error,
        updated_at: c.updated_at,
    }
}

/// The components as the app layer takes them: each quantity read as an exact number, the
/// list not empty (said here in the form's words; the app layer checks the rest).
pub fn components_of(entries: &[ComponentEntry]) -> Result<Vec<ComponentInput>> {
    if entries.is_empty() {
        return Err(Error::invalid(
            "A composition needs at least one component: add the items it is made of, each \
             with the quantity that goes into one composite item.",
        ));
    }
    entries
        .iter()
        .map(|e| {
            let quantity = e.quantity.trim();
            Ok(ComponentInput {
                item: e.item.trim().to_owned(),
                quantity: quantity.parse().map_err(|_| {
                    Error::invalid(format!(
                        "The quantity '{quantity}' of component {} is not a number: write it \
                         with a dot for decimals, e.g. 2 or 0.5.",
                        e.item.trim()
                    ))
                })?,
            })
        })
        .collect()
}

/// Sets an item's composition and queues it for KRA.
pub async fn set_composition(
    file: &CompanyFile,
    session: &Session,
    item: &str,
    entries: &[ComponentEntry],
) -> Result<CompositionRow> {
    let components = components_of(entries)?;
    compositions::set(file, session, item, &components)
        .await
        .map(composition_row)
}

fn insurer_row(i: InsurerView) -> InsurerRow {
    InsurerRow {
        id: i.id,
        code: i.code,
        name: i.name,
        premium_rate: i.premium_rate,
        active: i.active,
        sync_state: i.sync_state,
        sync_error: i.sync_error,
        updated_at: i.updated_at,
    }
}

/// Adds an insurer (the rate as typed) and queues it for KRA.
pub async fn add_insurer(
    file: &CompanyFile,
    session: &Session,
    input: &InsurerInput,
) -> Result<InsurerRow> {
    let new = NewInsurer {
        code: input.code.clone(),
        name: input.name.clone(),
        premium_rate: insurers::parse_rate(&input.premium_rate)?,
    };
    insurers::add(file, session, &new).await.map(insurer_row)
}

/// Changes an insurer and queues the new version for KRA.
pub async fn edit_insurer(
    file: &CompanyFile,
    session: &Session,
    key: &str,
    edit: &InsurerEdit,
) -> Result<InsurerRow> {
    let change = InsurerChange {
        name: edit.name.clone(),
        premium_rate: edit
            .premium_rate
            .as_deref()
            .map(insurers::parse_rate)
            .transpose()?,
        active: edit.active,
    };
    insurers::update(file, session, key, &change)
        .await
        .map(insurer_row)
}

fn import_row(v: ImportView) -> ImportRow {
    ImportRow {
        open: v.is_open(),
        // With the declaration date: one customs task can have lines on two dates, and the short
        // `TASK/SEQ` is then refused as ambiguous.
        reference: format!("{}/{}/{}", v.task_cd, v.declared_on, v.item_seq),
        declared_on: v.declared_on,
        declaration_no: v.declaration_no,
        line: v.item_seq,
        hs_code: v.hs_code,
        name: v.name,
        kra_status: v.kra_status,
        quantity: v.quantity,
        quantity_unit: v.quantity_unit,
        supplier: v.supplier,
        answer: v.answer.map(|a| ImportAnswerRow {
            decision: a.decision,
            item_code: a.item_code,
            remark: a.remark,
            decided_at: a.decided_at,
            sync_state: a.sync_state,
            sync_error: a.sync_error,
        }),
    }
}

/// The imported items with our answers, and when KRA's list was last fetched.
pub async fn imports_view(file: &CompanyFile, session: &Session) -> Result<ImportsView> {
    let items = imports::list(file, session)
        .await?
        .into_iter()
        .map(import_row)
        .collect();
    let state = kra_records::list_state(file.reader(), KraList::Imports).await?;
    Ok(ImportsView {
        items,
        refreshed_at: state.refreshed_at,
        last_error: state.last_error,
    })
}

// ---- commands ---------------------------------------------------------------------------------

/// KRA's records as last fetched, with the sales reconciliation.
#[tauri::command]
pub async fn etims_kra_records(state: State<'_, AppState>) -> Result<KraRecordsView, WireError> {
    let (open, session) = state.signed_in().await?;
    kra_records_view(&open.file, &session).await.wire()
}

/// Fetches one of KRA's lists (all without `list`) with the company's device.
#[tauri::command]
pub async fn etims_kra_refresh(
    state: State<'_, AppState>,
    list: Option<String>,
) -> Result<Vec<KraListFetch>, WireError> {
    let (open, session) = state.signed_in().await?;
    let secrets = hesabu_store::secrets::store_from_env().wire()?;
    refresh_kra_lists(
        &open.file,
        &session,
        secrets.as_ref(),
        list.as_deref(),
        Timeouts::default(),
    )
    .await
    .wire()
}

/// The company's users and their registration as branch users at KRA.
#[tauri::command]
pub async fn etims_branch_users(
    state: State<'_, AppState>,
) -> Result<Vec<BranchUserRow>, WireError> {
    let (open, session) = state.signed_in().await?;
    kra_records::branch_users(&open.file, &session)
        .await
        .map(|users| users.into_iter().map(branch_user_row).collect())
        .wire()
}

/// Queues every user KRA does not hold as they are now (those who manage users).
#[tauri::command]
pub async fn etims_branch_users_register(
    state: State<'_, AppState>,
) -> Result<BranchUsersQueued, WireError> {
    let (open, session) = state.signed_in().await?;
    kra_records::queue_branch_users(&open.file, Some(&session))
        .await
        .map(|q| BranchUsersQueued {
            up_to_date: count(q.up_to_date),
            queued: q.queued,
        })
        .wire()
}

/// Every item's composition.
#[tauri::command]
pub async fn etims_compositions(
    state: State<'_, AppState>,
) -> Result<Vec<CompositionRow>, WireError> {
    let (open, session) = state.signed_in().await?;
    compositions::list(&open.file, &session)
        .await
        .map(|list| list.into_iter().map(composition_row).collect())
        .wire()
}

/// Sets an item's components and queues the composition for KRA.
#[tauri::command]
pub async fn etims_composition_set(
    state: State<'_, AppState>,
    item: String,
    components: Vec<ComponentEntry>,
) -> Result<CompositionRow, WireError> {
    let (open, session) = state.signed_in().await?;
    set_composition(&open.file, &session, &item, &components)
        .await
        .wire()
}

/// The insurers the branch accepts.
#[tauri::command]
pub async fn etims_insurers(state: State<'_, AppState>) -> Result<Vec<InsurerRow>, WireError> {
    let (open, session) = state.signed_in().await?;
    insurers::list(&open.file, &session)
        .await
        .map(|list| list.into_iter().map(insurer_row).collect())
        .wire()
}

/// Adds an insurer and queues it for KRA.
#[tauri::command]
pub async fn etims_insurer_add(
    state: State<'_, AppState>,
    insurer: InsurerInput,
) -> Result<InsurerRow, WireError> {
    let (open, session) = state.signed_in().await?;
    add_insurer(&open.file, &session, &insurer).await.wire()
}

/// Changes an insurer (by id or code) and queues it for KRA.
#[tauri::command]
pub async fn etims_insurer_update(
    state: State<'_, AppState>,
    key: String,
    change: InsurerEdit,
) -> Result<InsurerRow, WireError> {
    let (open, session) = state.signed_in().await?;
    edit_insurer(&open.file, &session, &key, &change)
        .await
        .wire()
}

/// The imported items as last fetched from KRA, with our answers.
#[tauri::command]
pub async fn etims_imports(state: State<'_, AppState>) -> Result<ImportsView, WireError> {
    let (open, session) = state.signed_in().await?;
    imports_view(&open.file, &session).await.wire()
}

/// Fetches KRA's list of imported items, then answers the list.
#[tauri::command]
pub async fn etims_imports_refresh(state: State<'_, AppState>) -> Result<ImportsView, WireError> {
    let (open, session) = state.signed_in().await?;
    let secrets = hesabu_store::secrets::store_from_env().wire()?;
    imports::refresh(&open.file, &session, secrets.as_ref(), Timeouts::default())
        .await
        .wire()?;
    imports_view(&open.file, &session).await.wire()
}

/// Accepts an imported item into one of our items (registered at KRA) and queues the answer.
#[tauri::command]
pub async fn etims_import_accept(
    state: State<'_, AppState>,
    reference: String,
    item: String,
    remark: Option<String>,
) -> Result<ImportRow, WireError> {
    let (open, session) = state.signed_in().await?;
    imports::accept(&open.file, &session, &reference, &item, remark.as_deref())
        .await
        .map(import_row)
        .wire()
}

/// Rejects an imported item and queues the answer.
#[tauri::command]
pub async fn etims_import_reject(
    state: State<'_, AppState>,
    reference: String,
    remark: Option<String>,
) -> Result<ImportRow, WireError> {
    let (open, session) = state.signed_in().await?;
    imports::reject(&open.file, &session, &reference, remark.as_deref())
        .await
        .map(import_row)
        .wire()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use hesabu_app::demo;
    use hesabu_etims_sandbox::Sandbox;
    use hesabu_store::ErrorKind;
    use hesabu_store::clock::SystemClock;
    use hesabu_store::secrets::store_from_spec;

    use super::*;
    use crate::commands::{DeviceSetupInput, init_device};
    use crate::desktop_words::desktop_error;

    #[test]
    fn every_reconciliation_finding_reaches_the_window_with_its_kind() {
        let d = |n: i64, state: Option<&str>| Discrepancy {
            invc_no: n,
            document: Some(format!("INV-{n}")),
            kra_total: Some(rust_decimal_of("116.00")),
            local_total: Some(rust_decimal_of("100")),
            local_state: state.map(str::to_owned),
            note: "hesabu …".into(),
        };
        let r = Reconciliation {
            complete: true,
            as_of: Some("2026-12-01T06:00:00Z".into()),
            kra_sales: 3,
            local_signed: 2,
            missing_locally: vec![d(7, None)],
            missing_at_kra: vec![d(9, Some("signed"))],
            differing: vec![d(8, Some("signed"))],
        };
        let v = reconciliation_of(&r);
        assert!(v.fetched && v.complete);
        assert_eq!((v.kra_sales, v.local_signed), (3, 2));
        let kinds: Vec<_> = v.differences.iter().map(|d| (d.kind, d.invc_no)).collect();
        assert_eq!(
            kinds,
            vec![
                (SalesDifferenceKind::SignedAtKraOnly, 7),
                (SalesDifferenceKind::MissingAtKra, 9),
                (SalesDifferenceKind::Differs, 8),
            ]
        );
        assert_eq!(v.differences[2].kra_total.as_deref(), Some("116.00"));
        assert_eq!(v.differences[2].local_total.as_deref(), Some("100"));
        let never = reconciliation_of(&Reconciliation::default());
        assert!(!never.fetched && never.differences.is_empty());
    }

    /// A decimal as the app layer holds it, without naming the crate (the desktop does not
    /// depend on it).
    fn rust_decimal_of<T: std::str::FromStr>(text: &str) -> T
    where
        T::Err: std::fmt::Debug,
    {
        text.parse().unwrap()
    }

    #[test]
    fn components_need_one_and_numbers() {
        let err = components_of(&[]).unwrap_err().to_string();
        assert!(
            err.contains("at least one component") && !err.contains("--"),
            "{err}"
        );
        let err = components_of(&[ComponentEntry {
            item: "BOX".into(),
            quantity: "two".into(),
        }])
        .unwrap_err()
        .to_string();
        assert!(err.contains("'two'"), "{err}");
        let ok = components_of(&[ComponentEntry {
            item: " BOX ".into(),
            quantity: " 0.5 ".into(),
        }])
        .unwrap();
        assert_eq!(ok[0].item, "BOX");
        assert_eq!(ok[0].quantity.to_string(), "0.5");
    }

    #[tokio::test]
    async fn kra_records_insurers_and_imports_through_the_local_kra_sandbox() {
        let dir = tempfile::tempdir().unwrap();
        let (file, _) = demo::create(&dir.path().join("demo.hesabu"), Arc::new(SystemClock))
            .await
            .unwrap();
        demo::add_sales_ledger(&file).await.unwrap();
        let admin = hesabu_store::auth::login(&file, demo::DEMO_ADMIN_EMAIL, demo::DEMO_PASSWORD)
            .await
            .unwrap();
        let auditor = hesabu_store::auth::login(&file, "auditor@demo.test", demo::DEMO_PASSWORD)
            .await
            .unwrap();
        let secrets = store_from_spec(&format!(
            "file:{}",
            dir.path().join("secrets.json").display()
        ))
        .unwrap();
        let timeouts = Timeouts::all(Duration::from_secs(5));

        // Before a device: nothing fetched, and asking KRA says where to set one up.
        let empty = kra_records_view(&file, &admin).await.unwrap();
        assert_eq!(empty.lists.len(), 6);
        assert!(empty.lists.iter().all(|l| l.refreshed_at.is_none()));
        assert!(!empty.reconciliation.fetched);
        let err = refresh_kra_lists(&file, &admin, secrets.as_ref(), None, timeouts)
            .await
            .map_err(desktop_error)
            .unwrap_err();
        assert!(err.message.contains("Device tab"), "{}", err.message);
        let err = add_insurer(
            &file,
            &admin,
            &InsurerInput {
                code: "AAR01".into(),
                name: "AAR Insurance".into(),
                premium_rate: "20".into(),
            },
        )
        .await
        .map_err(desktop_error)
        .unwrap_err();
        assert!(!err.message.contains("hesabu "), "{}", err.message);

        let sandbox = Sandbox::start("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        init_device(
            &file,
            &admin,
            secrets.as_ref(),
            &DeviceSetupInput {
                serial: "SN-RECORDS-1".into(),
                base_url: Some(sandbox.legacy_base_url()),
                ..DeviceSetupInput::default()
            },
            timeouts,
        )
        .await
        .unwrap();

        // An auditor may read KRA's records but not fetch them (the app layer checks).
        let err = refresh_kra_lists(&file, &auditor, secrets.as_ref(), None, timeouts)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PermissionDenied);
        let fetched = refresh_kra_lists(&file, &admin, secrets.as_ref(), None, timeouts)
            .await
            .unwrap();
        assert_eq!(fetched.len(), 6);
        assert!(fetched.iter().all(|f| f.error.is_none()), "{fetched:?}");
        let one = refresh_kra_lists(&file, &admin, secrets.as_ref(), Some("branches"), timeouts)
            .await
            .unwrap();
        assert_eq!(one.len(), 1);
        assert!(
            refresh_kra_lists(&file, &admin, secrets.as_ref(), Some("stock"), timeouts)
                .await
                .is_err()
        );
        let view = kra_records_view(&file, &auditor).await.unwrap();
        assert!(view.lists.iter().all(|l| l.refreshed_at.is_some()));
        assert!(view.branches.iter().any(|b| b.this_device), "{view:?}");
        assert!(view.taxpayer.is_some());
        assert!(view.reconciliation.fetched);

        // Insurers: the rate as typed, a duplicate in the desktop's words, the auditor refused.
        let added = add_insurer(
            &file,
            &admin,
            &InsurerInput {
                code: " aar01 ".into(),
                name: "AAR Insurance".into(),
                premium_rate: "12.5%".into(),
            },
        )
        .await
        .unwrap();
        assert_eq!(
            (added.code.as_str(), added.premium_rate.as_str()),
            ("AAR01", "12.5")
        );
        assert_eq!(added.sync_state.as_deref(), Some("ready"));
        let err = add_insurer(
            &file,
            &admin,
            &InsurerInput {
                code: "AAR01".into(),
                name: "Again".into(),
                premium_rate: "20".into(),
            },
        )
        .await
        .map_err(desktop_error)
        .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Conflict);
        assert!(
            err.message.contains("Edit in the insurers list") && !err.message.contains("hesabu"),
            "{}",
            err.message
        );
        let edited = edit_insurer(
            &file,
            &admin,
            &added.id,
            &InsurerEdit {
                premium_rate: Some("15".into()),
                active: Some(false),
                ..InsurerEdit::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(edited.premium_rate, "15");
        assert!(!edited.active);
        let err = edit_insurer(&file, &auditor, &added.id, &InsurerEdit::default())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PermissionDenied);
        assert_eq!(insurers::list(&file, &auditor).await.unwrap().len(), 1);

        // Compositions: an item not registered at KRA is refused in the desktop's words.
        let items = hesabu_core::sales::items::list(
            &file,
            &admin,
            &hesabu_core::sales::items::ItemQuery::default(),
        )
        .await
        .unwrap();
        let err = set_composition(
            &file,
            &admin,
            &items[0].id,
            &[ComponentEntry {
                item: items[1].code.clone(),
                quantity: "2".into(),
            }],
        )
        .await
        .map_err(desktop_error)
        .unwrap_err();
        assert!(
            err.message.contains("not registered at KRA") && !err.message.contains("hesabu"),
            "{}",
            err.message
        );
        assert!(
            compositions::list(&file, &auditor)
                .await
                .unwrap()
                .is_empty()
        );
        // Registered at KRA, the same items make a composition that the list then shows.
        for i in &items[..3] {
            hesabu_app::etims::masters::register_item(
                &file,
                &admin,
                secrets.as_ref(),
                &i.id,
                timeouts,
            )
            .await
            .unwrap();
        }
        let set = set_composition(
            &file,
            &admin,
            &items[0].id,
            &[
                ComponentEntry {
                    item: items[1].code.clone(),
                    quantity: "2".into(),
                },
                ComponentEntry {
                    item: items[2].id.clone(),
                    quantity: "0.5".into(),
                },
            ],
        )
        .await
        .unwrap();
        assert_eq!(set.components.len(), 2);
        let err = set_composition(
            &file,
            &auditor,
            &items[0].id,
            &[ComponentEntry {
                item: items[1].code.clone(),
                quantity: "1".into(),
            }],
        )
        .await
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PermissionDenied);
        let listed = compositions::list(&file, &auditor).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].code, items[0].code);
        let quantities: Vec<(&str, &str)> = listed[0]
            .components
            .iter()
            .map(|c| (c.code.as_str(), c.quantity.as_str()))
            .collect();
        assert_eq!(
            quantities,
            vec![
                (items[1].code.as_str(), "2"),
                (items[2].code.as_str(), "0.5")
            ]
        );

        // Imported items: KRA's waiting declarations; one rejected, then no longer open.
        let imports = imports_view(&file, &auditor).await.unwrap();
        assert!(imports.refreshed_at.is_some());
        let open = imports
            .items
            .iter()
            .find(|i| i.open)
            .expect("the sandbox seeds waiting imports")
            .clone();
        let err = imports::reject(&file, &auditor, &open.reference, None)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PermissionDenied);
        // items[3] was never registered at KRA: refused, in the desktop's words.
        let err = imports::accept(&file, &admin, &open.reference, &items[3].code, None)
            .await
            .map_err(desktop_error)
            .unwrap_err();
        assert!(
            err.message.contains("not registered") && !err.message.contains("hesabu"),
            "{}",
            err.message
        );
        let second = imports
            .items
            .iter()
            .find(|i| i.open && i.reference != open.reference)
            .expect("the sandbox seeds more than one waiting import")
            .clone();
        let accepted = imports::accept(&file, &admin, &second.reference, &items[1].code, None)
            .await
            .map(import_row)
            .unwrap();
        assert!(!accepted.open);
        assert_eq!(
            accepted.answer.and_then(|a| a.item_code).as_deref(),
            Some(items[1].code.as_str())
        );
        let rejected = imports::reject(&file, &admin, &open.reference, Some("Not ours"))
            .await
            .map(import_row)
            .unwrap();
        assert!(!rejected.open);
        assert_eq!(rejected.reference, open.reference);
        assert_eq!(
            rejected.reference.matches('/').count(),
            2,
            "{}",
            rejected.reference
        );
        assert_eq!(
            rejected.answer.as_ref().map(|a| a.decision.as_str()),
            Some("rejected")
        );
    }
}
