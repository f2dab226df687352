//! The Tauri commands the UI calls, exactly as listed in `docs/desktop-contract.md`. Each one is
//! a thin adapter: take the arguments, call one service of `hesabu-core` (or [`AppState`] for
//! the open-file lifecycle), and return its wire type or a [`WireError`] (`{kind, message}`).
//!
//! [`command_table!`] at the bottom is the one list of commands: it registers them with Tauri
//! ([`handler`]) and describes them to the TypeScript generator ([`signatures`]), and it fails to
//! compile if a listed signature does not match the function, so the two cannot drift.
//!
//! The sales ledger's commands are in [`sales`], exports in [`export`], ETR receipts in
//! [`receipts`] (re-exported here, listed in the same table), KRA e-TIMS in [`etims`] (KRA's records, compositions, insurers and
//! imported items in [`etims_records`], suppliers' sales to answer in [`etims_purchases`], stock in [`etims_stock`]), the
//! receipt printers' test print in [`printers`], QuickBooks Online in [`qbo`].

mod etims;
mod etims_purchases;
mod etims_records;
mod etims_stock;
mod export;
mod printers;
mod qbo;
mod receipts;
mod sales;
pub use crate::desktop_words::{desktop_error, desktop_message};
pub use etims::*;
pub use etims_purchases::*;
pub use etims_records::*;
pub use etims_stock::*;
pub use export::*;
pub use printers::*;
pub use qbo::*;
pub use receipts::*;
pub use sales::*;

use hesabu_app::connectivity::{self, ConnectivityView};
use hesabu_app::monitor::{self, MonitorSnapshot};
use hesabu_app::reports::{self, ReportInfo};
use hesabu_core::approvals::policy_format::PolicySpec;
use hesabu_core::approvals::register::{self, RegisterPage, RegisterQuery};
use hesabu_core::approvals::rule_hooks::{self, TaxReviewResolution, TaxReviewView};
use hesabu_core::approvals::wire::{
    ActionInput, ActionResult, BulkResult, DelegationView, DocumentEdit, DocumentView,
    HistoryEntry, InboxItem, NewDelegation, NewDocument, PolicyValidation, PolicyView,
    SlaCompliance, WorkWeekUpdate, WorkWeekView,
};
use hesabu_core::approvals::{actions, calendar, delegations, documents, policy_service};
use hesabu_core::budgets::{
    self, BudgetCheckInput, BudgetCheckQuery, BudgetCheckResult, BudgetCheckView, BudgetReport,
    BudgetView, FiscalYearUtilisation, ImportProgress, LedgerEntryView, LedgerOutcome,
    ReleaseAction, ReleaseCommitmentInput, ReleaseInput, ReserveInput, SyncRunView, import,
};
use hesabu_core::company::CompanyInfo;
use hesabu_core::company::CompanySettingsUpdate;
use hesabu_core::company::NewCompany;
use hesabu_core::departments::DepartmentView;
use hesabu_core::rules::service::{self as rules, EvaluationView, RuleTableView};
use hesabu_core::sales::customers::{CustomerQuery, CustomerView, NewCustomer};
use hesabu_core::sales::documents::{NewSale, NewSaleLine, SaleSummary, SaleView, SalesQuery};
use hesabu_core::sales::import::MasterImportResult;
use hesabu_core::sales::items::{ItemQuery, ItemView, NewItem};
use hesabu_core::sales::settings::SalesSettings;
use hesabu_core::sales::tax::{DocumentTotals, PriceBasis};
use hesabu_core::users::NewUser;
use hesabu_core::users::UserView;
use hesabu_core::workflows::{self, ExecutionFilter, ExecutionView, WorkflowType, WorkflowView};
use hesabu_core::{company, departments, users};
use hesabu_store::audit::AuditEntryView;
use hesabu_store::audit::AuditVerifyReport;
use hesabu_store::audit::{AuditPage, AuditQuery};
use hesabu_store::auth::SessionInfo;
use hesabu_store::notifications::{self, NotificationView};
use hesabu_store::outbox::OutboxItemView;
use hesabu_store::outbox::SyncStatus;
use hesabu_store::permissions::Permission;
use hesabu_store::scheduler::{JobRunOutcome, ScheduledJobView, names};
use hesabu_store::{WireError, audit, outbox};
use tauri::{Emitter, State};

use crate::state::{AppState, IntoWire};
use crate::wire::{OpenedCompany, SalesCodeLists, StartInfo, SyncProgress};

#[tauri::command]
pub async fn start_info(state: State<'_, AppState>) -> Result<StartInfo, WireError> {
    Ok(StartInfo {
        recent: state.recent(),
        default_folder: state.default_folder().to_string_lossy().into_owned(),
        demo_path: state.demo_path().to_string_lossy().into_owned(),
        open_company: state.opened().await?,
    })
}

#[tauri::command]
pub async fn company_open(
    state: State<'_, AppState>,
    path: String,
) -> Result<OpenedCompany, WireError> {
    state.open_company(&path).await
}

#[tauri::command]
pub async fn company_create(
    state: State<'_, AppState>,
    path: String,
    company: NewCompany,
) -> Result<OpenedCompany, WireError> {
    state.create_company(&path, &company).await
}

#[tauri::command]
pub async fn demo_open(state: State<'_, AppState>) -> Result<OpenedCompany, WireError> {
    state.open_demo().await
}

#[tauri::command]
pub async fn company_close(state: State<'_, AppState>) -> Result<(), WireError> {
    state.close_company().await;
    Ok(())
}

#[tauri::command]
pub async fn login(
    state: State<'_, AppState>,
    email: String,
    password: String,
) -> Result<SessionInfo, WireError> {
    state.login(&email, &password).await
}

#[tauri::command]
pub async fn logout(state: State<'_, AppState>) -> Result<(), WireError> {
    state.logout().await;
    Ok(())
}

#[tauri::command]
pub async fn session_current(state: State<'_, AppState>) -> Result<Option<SessionInfo>, WireError> {
    Ok(state.session_info().await)
}

#[tauri::command]
pub async fn company_info(state: State<'_, AppState>) -> Result<CompanyInfo, WireError> {
    let (open, session) = state.signed_in().await?;
    company::info(&open.file, &session).await.wire()
}

#[tauri::command]
pub async fn company_update(
    state: State<'_, AppState>,
    change: CompanySettingsUpdate,
) -> Result<CompanyInfo, WireError> {
    let (open, session) = state.signed_in().await?;
    company::update(&open.file, &session, &change).await.wire()
}

#[tauri::command]
pub async fn users_list(state: State<'_, AppState>) -> Result<Vec<UserView>, WireError> {
    let (open, session) = state.signed_in().await?;
    users::list(&open.file, &session).await.wire()
}

#[tauri::command]
pub async fn user_add(state: State<'_, AppState>, user: NewUser) -> Result<UserView, WireError> {
    let (open, session) = state.signed_in().await?;
    hesabu_app::users::add(&open.file, &session, &user)
        .await
        .wire()
}

#[tauri::command]
pub async fn user_deactivate(
    state: State<'_, AppState>,
    email: String,
) -> Result<UserView, WireError> {
    let (open, session) = state.signed_in().await?;
    hesabu_app::users::deactivate(&open.file, &session, &email)
        .await
        .wire()
}

#[tauri::command]
pub async fn departments_list(
    state: State<'_, AppState>,
) -> Result<Vec<DepartmentView>, WireError> {
    let (open, session) = state.signed_in().await?;
    departments::list(&open.file, &session).await.wire()
}

#[tauri::command]
pub async fn department_add(
    state: State<'_, AppState>,
    name: String,
) -> Result<DepartmentView, WireError> {
    let (open, session) = state.signed_in().await?;
    departments::add(&open.file, &session, &name).await.wire()
}

#[tauri::command]
pub async fn audit_list(
    state: State<'_, AppState>,
    limit: u32,
) -> Result<Vec<AuditEntryView>, WireError> {
    let (open, session) = state.signed_in().await?;
    audit::list(&open.file, &session, u64::from(limit))
        .await
        .wire()
}

#[tauri::command]
pub async fn audit_verify(state: State<'_, AppState>) -> Result<AuditVerifyReport, WireError> {
    let (open, session) = state.signed_in().await?;
    audit::verify(&open.file, &session).await.wire()
}

// Approvals.

/// The steps waiting for the signed-in user, soonest due first.
#[tauri::command]
pub async fn approvals_inbox(state: State<'_, AppState>) -> Result<Vec<InboxItem>, WireError> {
    let (open, session) = state.signed_in().await?;
    actions::inbox(&open.file, &session).await.wire()
}

/// Creates a draft document raised by the signed-in user.
#[tauri::command]
pub async fn document_create(
    state: State<'_, AppState>,
    document: NewDocument,
) -> Result<DocumentView, WireError> {
    let (open, session) = state.signed_in().await?;
    documents::create(&open.file, &session, &document)
        .await
        .wire()
}

/// Submits a draft: routes it through the active policy.
#[tauri::command]
pub async fn document_submit(
    state: State<'_, AppState>,
    id: String,
) -> Result<DocumentView, WireError> {
    let (open, session) = state.signed_in().await?;
    let result = documents::submit(&open.file, &session, &id).await.wire();
    state.delivery().deliver(&open.file, &session).await;
    result
}

/// Creates a document and submits it in one step (the "New request" form): a refused
/// submission saves nothing, so no draft is left behind.
#[tauri::command]
pub async fn document_create_and_submit(
    state: State<'_, AppState>,
    document: NewDocument,
) -> Result<DocumentView, WireError> {
    let (open, session) = state.signed_in().await?;
    let result = documents::create_and_submit(&open.file, &session, &document)
        .await
        .wire();
    state.delivery().deliver(&open.file, &session).await;
    result
}

/// Corrects a draft, or a document returned or sent back for clarification (requester only).
#[tauri::command]
pub async fn document_edit(
    state: State<'_, AppState>,
    id: String,
    change: DocumentEdit,
) -> Result<DocumentView, WireError> {
    let (open, session) = state.signed_in().await?;
    documents::edit(&open.file, &session, &id, &change)
        .await
        .wire()
}

/// The documents the signed-in user raised, newest first.
#[tauri::command]
pub async fn documents_mine(state: State<'_, AppState>) -> Result<Vec<DocumentView>, WireError> {
    let (open, session) = state.signed_in().await?;
    documents::mine(&open.file, &session).await.wire()
}

/// The audit log, filtered (user, entity, action, days in the company's time zone), newest
/// first, with the actors' names; paged by `before_seq`.
#[tauri::command]
pub async fn audit_search(
    state: State<'_, AppState>,
    query: AuditQuery,
) -> Result<AuditPage, WireError> {
    let (open, session) = state.signed_in().await?;
    let zone = company::time_zone(&open.file).await.wire()?;
    audit::search(&open.file, &session, &query, &zone)
        .await
        .wire()
}

/// Documents held for a tax review, with the rule's reason.
#[tauri::command]
pub async fn tax_reviews_list(state: State<'_, AppState>) -> Result<Vec<TaxReviewView>, WireError> {
    let (open, session) = state.signed_in().await?;
    rule_hooks::tax_reviews(&open.file, &session).await.wire()
}

/// Resolves a tax review (with a note saying how); held executions are decided again.
#[tauri::command]
pub async fn tax_review_resolve(
    state: State<'_, AppState>,
    document: String,
    note: String,
) -> Result<TaxReviewResolution, WireError> {
    let (open, session) = state.signed_in().await?;
    rule_hooks::resolve_tax_review(&open.file, &session, &document, &note)
        .await
        .wire()
}

/// The document register: every document, approval and sales alike, newest first (finance,
/// admins and auditors).
#[tauri::command]
pub async fn documents_register(
    state: State<'_, AppState>,
    query: RegisterQuery,
) -> Result<RegisterPage, WireError> {
    let (open, session) = state.signed_in().await?;
    register::list(&open.file, &session, &query).await.wire()
}

/// One document with its lines and current request (steps carry "why is this with me").
#[tauri::command]
pub async fn document_show(
    state: State<'_, AppState>,
    id: String,
) -> Result<DocumentView, WireError> {
    let (open, session) = state.signed_in().await?;
    documents::show(&open.file, &session, &id).await.wire()
}

/// A document's approval history, oldest first.
#[tauri::command]
pub async fn document_history(
    state: State<'_, AppState>,
    id: String,
) -> Result<Vec<HistoryEntry>, WireError> {
    let (open, session) = state.signed_in().await?;
    actions::history(&open.file, &session, &id).await.wire()
}

/// Approve, reject, return, clarify or delegate the signed-in user's step of `request`.
#[tauri::command]
pub async fn approval_act(
    state: State<'_, AppState>,
    request: String,
    action: ActionInput,
) -> Result<ActionResult, WireError> {
    let (open, session) = state.signed_in().await?;
    let result = actions::act(&open.file, &session, &request, &action)
        .await
        .wire();
    state.delivery().deliver(&open.file, &session).await;
    result
}

/// Approves each listed request on its own; failures are reported per request.
#[tauri::command]
pub async fn approvals_bulk_approve(
    state: State<'_, AppState>,
    requests: Vec<String>,
) -> Result<BulkResult, WireError> {
    let (open, session) = state.signed_in().await?;
    let result = actions::bulk_approve(&open.file, &session, &requests)
        .await
        .wire();
    state.delivery().deliver(&open.file, &session).await;
    result
}

/// Sends a returned, clarification-requested or rejected document again (chain restarts).
#[tauri::command]
pub async fn document_resubmit(
    state: State<'_, AppState>,
    id: String,
    note: Option<String>,
) -> Result<DocumentView, WireError> {
    let (open, session) = state.signed_in().await?;
    let result = documents::resubmit(&open.file, &session, &id, note.as_deref())
        .await
        .wire();
    state.delivery().deliver(&open.file, &session).await;
    result
}

/// Takes a pending document back to draft before anyone decided it (requester only).
#[tauri::command]
pub async fn document_recall(
    state: State<'_, AppState>,
    id: String,
) -> Result<DocumentView, WireError> {
    let (open, session) = state.signed_in().await?;
    documents::recall(&open.file, &session, &id).await.wire()
}

/// Cancels a document that is not approved (requester, or `document_cancel_any`).
#[tauri::command]
pub async fn document_cancel(
    state: State<'_, AppState>,
    id: String,
) -> Result<DocumentView, WireError> {
    let (open, session) = state.signed_in().await?;
    documents::cancel(&open.file, &session, &id).await.wire()
}

/// Share of decisions made within their SLA over the last `days` days.
#[tauri::command]
pub async fn approvals_sla(
    state: State<'_, AppState>,
    days: u32,
) -> Result<SlaCompliance, WireError> {
    let (open, session) = state.signed_in().await?;
    actions::sla_compliance(&open.file, &session, days)
        .await
        .wire()
}

/// The company's work week for SLA business hours.
#[tauri::command]
pub async fn work_week_get(state: State<'_, AppState>) -> Result<WorkWeekView, WireError> {
    let (open, session) = state.signed_in().await?;
    calendar::work_week(&open.file, &session).await.wire()
}

/// Changes the work week; steps that become pending from now on use it.
#[tauri::command]
pub async fn work_week_set(
    state: State<'_, AppState>,
    change: WorkWeekUpdate,
) -> Result<WorkWeekView, WireError> {
    let (open, session) = state.signed_in().await?;
    calendar::set_work_week(&open.file, &session, &change)
        .await
        .wire()
}

// Approval policies (the policy editor).

/// Every saved policy version, newest first, with the types each is active for.
#[tauri::command]
pub async fn policies_list(state: State<'_, AppState>) -> Result<Vec<PolicyView>, WireError> {
    let (open, session) = state.signed_in().await?;
    policy_service::list(&open.file, &session).await.wire()
}

/// Reads policy JSON (e.g. a file's content) into the editor's form; nothing is saved.
#[tauri::command]
pub async fn policy_parse(
    state: State<'_, AppState>,
    text: String,
) -> Result<PolicySpec, WireError> {
    let _ = state.signed_in().await?;
    policy_service::parse(&text).wire()
}

/// Runs the validator without saving.
#[tauri::command]
pub async fn policy_validate(
    state: State<'_, AppState>,
    policy: PolicySpec,
) -> Result<PolicyValidation, WireError> {
    let (open, session) = state.signed_in().await?;
    policy_service::validate(&open.file, &session, &policy)
        .await
        .wire()
}

/// Validates and saves the policy as a new version.
#[tauri::command]
pub async fn policy_save(
    state: State<'_, AppState>,
    policy: PolicySpec,
) -> Result<PolicyView, WireError> {
    let (open, session) = state.signed_in().await?;
    policy_service::import(&open.file, &session, &policy)
        .await
        .wire()
}

// Budgets.

/// Active budgets with their balances, optionally within one period (FY2026, 2026-Q1, 2026-03).
#[tauri::command]
pub async fn budgets_list(
    state: State<'_, AppState>,
    period: Option<String>,
) -> Result<Vec<BudgetView>, WireError> {
    let (open, session) = state.signed_in().await?;
    budgets::list(&open.file, &session, period.as_deref(), false)
        .await
        .wire()
}

/// Utilisation per budget plus check statistics, optionally for one period.
#[tauri::command]
pub async fn budget_report(
    state: State<'_, AppState>,
    period: Option<String>,
) -> Result<BudgetReport, WireError> {
    let (open, session) = state.signed_in().await?;
    budgets::report::report(&open.file, &session, period.as_deref())
        .await
        .wire()
}

/// One budget's ledger, oldest entry first.
#[tauri::command]
pub async fn budget_history(
    state: State<'_, AppState>,
    id: String,
) -> Result<Vec<LedgerEntryView>, WireError> {
    let (open, session) = state.signed_in().await?;
    budgets::history(&open.file, &session, &id).await.wire()
}

/// A budget check (like the seed's Budget Check API), logged with its full answer.
#[tauri::command]
pub async fn budget_check(
    state: State<'_, AppState>,
    check: BudgetCheckInput,
) -> Result<BudgetCheckResult, WireError> {
    let (open, session) = state.signed_in().await?;
    budgets::check(&open.file, &session, &check).await.wire()
}

/// An amount typed by the user ("12,500.00", "12500"), or what to fix.
fn typed_amount(text: &str) -> Result<hesabu_store::money::Money, WireError> {
    hesabu_store::money::Money::parse(text, hesabu_store::money::Currency::kes()).wire()
}

/// Reserves `amount` of budget `budget` for document `request`. A HARD_BLOCK budget without
/// the funds refuses, and nothing is written.
#[tauri::command]
pub async fn budget_reserve(
    state: State<'_, AppState>,
    budget: String,
    request: String,
    amount: String,
    reason: Option<String>,
) -> Result<LedgerOutcome, WireError> {
    let (open, session) = state.signed_in().await?;
    let input = ReserveInput {
        budget_id: budget,
        request_id: request,
        amount: typed_amount(&amount)?.amount,
        reason: reason.filter(|r| !r.trim().is_empty()),
    };
    budgets::reserve(&open.file, &session, &input).await.wire()
}

/// Releases what document `request` holds in reserve on `budget` (`amount: null`: all of it).
/// Finance roles may release any document's reservation, others only their own.
#[tauri::command]
pub async fn budget_release(
    state: State<'_, AppState>,
    budget: String,
    request: String,
    amount: Option<String>,
    action: ReleaseAction,
    reason: String,
) -> Result<LedgerOutcome, WireError> {
    let (open, session) = state.signed_in().await?;
    let amount = match amount.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(typed_amount(text)?.amount),
    };
    let input = ReleaseInput {
        budget_id: budget,
        request_id: request,
        amount,
        action,
        reason,
    };
    budgets::release(&open.file, &session, &input).await.wire()
}

/// Gives committed money back to the budget (a purchase that will not go through). Finance
/// roles only; never more than the document has committed.
#[tauri::command]
pub async fn budget_release_commitment(
    state: State<'_, AppState>,
    release: ReleaseCommitmentInput,
) -> Result<LedgerOutcome, WireError> {
    let (open, session) = state.signed_in().await?;
    budgets::release_commitment(&open.file, &session, &release)
        .await
        .wire()
}

/// The event `budget_import` emits with each [`ImportProgress`] report.
pub const BUDGET_IMPORT_PROGRESS: &str = "budget-import-progress";

/// Imports budgets from a CSV or XLSX file at `path` (`skip`: import the good rows and report the
/// bad ones instead of importing nothing; `archive`: archive the active budgets the file leaves
/// out, refused whole if one of them holds reserved or committed money; one word, as Tauri
/// would otherwise expect `archiveMissing` from the page; `preview`: check and count only,
/// writing and recording nothing, so the dialog can show what the import would create, update
/// and archive (`missing_from_file` names the budgets the file leaves out) before the user
/// confirms). Progress goes to the window as `budget-import-progress` events. A run that
/// imported nothing is still `Ok`, with `status: "failed"` and its per-row errors: the dialog
/// shows them.
#[tauri::command]
pub async fn budget_import(
    state: State<'_, AppState>,
    window: tauri::Window,
    path: String,
    skip: bool,
    archive: bool,
    preview: bool,
) -> Result<SyncRunView, WireError> {
    let (open, session) = state.signed_in().await?;
    let forward = move |progress: ImportProgress| {
        // A window that went away cannot be told; the import itself carries on.
        if let Err(e) = window.emit(BUDGET_IMPORT_PROGRESS, progress) {
            eprintln!("hesabu-desktop: import progress not delivered: {e}");
        }
    };
    import::import_file_with_progress(
        &open.file,
        &session,
        std::path::Path::new(path.trim()),
        import::ImportOptions {
            skip_invalid: skip,
            archive_missing: archive,
            dry_run: preview,
        },
        Some(&forward),
    )
    .await
    .wire()
}

/// The budget check log, newest first: who asked (by name), about which document, the answer.
#[tauri::command]
pub async fn budget_checks(
    state: State<'_, AppState>,
    query: BudgetCheckQuery,
) -> Result<Vec<BudgetCheckView>, WireError> {
    let (open, session) = state.signed_in().await?;
    budgets::checks::list(&open.file, &session, &query)
        .await
        .wire()
}

/// Budget import runs, newest first.
#[tauri::command]
pub async fn budget_sync_history(
    state: State<'_, AppState>,
    limit: u32,
) -> Result<Vec<SyncRunView>, WireError> {
    let (open, session) = state.signed_in().await?;
    import::sync_history(&open.file, &session, u64::from(limit))
        .await
        .wire()
}

/// Month-by-month utilisation over a fiscal year (`null`: the current one), in the company's
/// currency, optionally for one department.
#[tauri::command]
pub async fn budget_year(
    state: State<'_, AppState>,
    year: Option<String>,
    department: Option<String>,
) -> Result<FiscalYearUtilisation, WireError> {
    let (open, session) = state.signed_in().await?;
    budgets::report::fiscal_year(
        &open.file,
        &session,
        year.as_deref(),
        department.as_deref(),
        None,
    )
    .await
    .wire()
}

// Notifications (the bell).

/// The signed-in user's notifications, newest first.
#[tauri::command]
pub async fn notifications_list(
    state: State<'_, AppState>,
) -> Result<Vec<NotificationView>, WireError> {
    let (open, session) = state.signed_in().await?;
    notifications::list(&open.file, &session).await.wire()
}

/// How many of the signed-in user's notifications are unread. The UI polls this, so it also
/// delivers pending notifications to the desktop (skipped for a while after a failure).
#[tauri::command]
pub async fn notifications_unread_count(state: State<'_, AppState>) -> Result<u32, WireError> {
    let (open, session) = state.signed_in().await?;
    state.delivery().deliver_on_poll(&open.file, &session).await;
    let count = notifications::unread_count(&open.file, &session)
        .await
        .wire()?;
    Ok(u32::try_from(count).unwrap_or(u32::MAX))
}

/// Marks the listed notifications of the signed-in user read (every unread one when empty).
/// Returns how many changed.
#[tauri::command]
pub async fn notifications_mark_read(
    state: State<'_, AppState>,
    ids: Vec<String>,
) -> Result<u32, WireError> {
    let (open, session) = state.signed_in().await?;
    let changed = notifications::mark_read(&open.file, &session, &ids)
        .await
        .wire()?;
    Ok(u32::try_from(changed).unwrap_or(u32::MAX))
}

// Delegations.

/// Delegations from or to the signed-in user (everyone's for user managers and auditors).
#[tauri::command]
pub async fn delegations_list(
    state: State<'_, AppState>,
) -> Result<Vec<DelegationView>, WireError> {
    let (open, session) = state.signed_in().await?;
    delegations::list(&open.file, &session).await.wire()
}

/// Delegates the signed-in user's approvals over a period; pending steps in scope move.
#[tauri::command]
pub async fn delegation_add(
    state: State<'_, AppState>,
    delegation: NewDelegation,
) -> Result<DelegationView, WireError> {
    let (open, session) = state.signed_in().await?;
    let result = delegations::add(&open.file, &session, &delegation)
        .await
        .wire();
    state.delivery().deliver(&open.file, &session).await;
    result
}

/// Revokes a delegation; the steps it moved go back.
#[tauri::command]
pub async fn delegation_revoke(
    state: State<'_, AppState>,
    id: String,
) -> Result<DelegationView, WireError> {
    let (open, session) = state.signed_in().await?;
    let result = delegations::revoke(&open.file, &session, &id).await.wire();
    state.delivery().deliver(&open.file, &session).await;
    result
}

// Workflows and rules (docs/workflows.md, docs/rules.md).

/// The five workflows with their settings.
#[tauri::command]
pub async fn workflows_list(state: State<'_, AppState>) -> Result<Vec<WorkflowView>, WireError> {
    let (open, session) = state.signed_in().await?;
    workflows::list(&open.file, &session).await.wire()
}

/// Replaces a workflow's settings: `{"enabled", "autoSync", "config"}` (keys left out are
/// kept). An unknown key or a wrong type is an `invalid_input` naming the key.
#[tauri::command]
pub async fn workflow_set(
    state: State<'_, AppState>,
    workflow: WorkflowType,
    settings: serde_json::Value,
) -> Result<WorkflowView, WireError> {
    let (open, session) = state.signed_in().await?;
    workflows::set(&open.file, &session, workflow, &settings)
        .await
        .wire()
}

/// Turns a workflow on or off, keeping its config.
#[tauri::command]
pub async fn workflow_set_enabled(
    state: State<'_, AppState>,
    workflow: WorkflowType,
    enabled: bool,
) -> Result<WorkflowView, WireError> {
    let (open, session) = state.signed_in().await?;
    workflows::set_enabled(&open.file, &session, workflow, enabled)
        .await
        .wire()
}

/// Runs a workflow for one entity now.
#[tauri::command]
pub async fn workflow_run(
    state: State<'_, AppState>,
    workflow: WorkflowType,
    entity: String,
) -> Result<ExecutionView, WireError> {
    let (open, session) = state.signed_in().await?;
    workflows::run(&open.file, &session, workflow, &entity)
        .await
        .wire()
}

/// The execution log, newest first, filtered.
#[tauri::command]
pub async fn workflow_executions(
    state: State<'_, AppState>,
    filter: ExecutionFilter,
) -> Result<Vec<ExecutionView>, WireError> {
    let (open, session) = state.signed_in().await?;
    let mut rows = workflows::executions(&open.file, &session, &filter)
        .await
        .wire()?;
    // A held or manual execution's message names its command-line fix; the desktop says where
    // the fix is in the window instead (the CLI keeps the command).
    for row in &mut rows {
        row.error_message =
            etims::desktop_send_error(row.error_kind.as_deref(), row.error_message.take());
    }
    Ok(rows)
}

/// Retries a failed execution.
#[tauri::command]
pub async fn workflow_retry(
    state: State<'_, AppState>,
    id: String,
) -> Result<ExecutionView, WireError> {
    let (open, session) = state.signed_in().await?;
    workflows::retry(&open.file, &session, &id).await.wire()
}

/// The active decision tables.
#[tauri::command]
pub async fn rules_list(state: State<'_, AppState>) -> Result<Vec<RuleTableView>, WireError> {
    let (open, session) = state.signed_in().await?;
    rules::list(&open.file, &session).await.wire()
}

/// Stored rule evaluations with their traces, newest first (optionally of one document).
#[tauri::command]
pub async fn rules_evaluations(
    state: State<'_, AppState>,
    document: Option<String>,
    limit: u32,
) -> Result<Vec<EvaluationView>, WireError> {
    let (open, session) = state.signed_in().await?;
    rules::evaluations(&open.file, &session, document.as_deref(), u64::from(limit))
        .await
        .wire()
}

// Sync, scheduled jobs, reports and monitoring (docs/scheduler.md).

/// Queue depth by target and state, the oldest ready item's age.
#[tauri::command]
pub async fn sync_status(state: State<'_, AppState>) -> Result<SyncStatus, WireError> {
    let (open, session) = state.signed_in().await?;
    outbox::status(&open.file, &session, None).await.wire()
}

/// The progress bar of the current (or last) drain.
#[tauri::command]
pub async fn sync_progress(state: State<'_, AppState>) -> Result<SyncProgress, WireError> {
    let (_open, session) = state.signed_in().await?;
    session.require(Permission::SyncView).wire()?;
    Ok(state.sync().progress())
}

/// Each target's probe and the OS network hint.
#[tauri::command]
pub async fn sync_connectivity(state: State<'_, AppState>) -> Result<ConnectivityView, WireError> {
    let (open, session) = state.signed_in().await?;
    // This window sends through its scheduler (the outbox job every few minutes) while a
    // user who may run jobs is signed in: that is this window's worker.
    let worker = if state.background().is_running().await {
        let progress = state.sync().progress();
        Some(if progress.running {
            hesabu_store::outbox::WorkerState::Running
        } else if !progress.offline.is_empty() {
            hesabu_store::outbox::WorkerState::PausedOffline
        } else {
            hesabu_store::outbox::WorkerState::Idle
        })
    } else {
        None
    };
    connectivity::check(&open.file, &session, &state.targets(), worker)
        .await
        .wire()
}

/// The dead items, oldest first.
#[tauri::command]
pub async fn sync_dead(state: State<'_, AppState>) -> Result<Vec<OutboxItemView>, WireError> {
    let (open, session) = state.signed_in().await?;
    let mut items = outbox::list(&open.file, &session, Some(outbox::OutboxState::Dead), 1000)
        .await
        .wire()?;
    // The stored error says what to do in the command line's words; the Sync page shows the
    // desktop's.
    for item in &mut items {
        item.last_error_message = item.last_error_message.take().map(|m| desktop_message(&m));
    }
    Ok(items)
}

/// Puts a dead item back in the queue (checked with its target before any resend).
#[tauri::command]
pub async fn sync_retry(
    state: State<'_, AppState>,
    id: String,
) -> Result<OutboxItemView, WireError> {
    let (open, session) = state.signed_in().await?;
    outbox::retry(&open.file, &session, &id).await.wire()
}

/// "Sync now": runs the outbox job at once; progress arrives through `sync_progress`.
#[tauri::command]
pub async fn sync_run_now(state: State<'_, AppState>) -> Result<JobRunOutcome, WireError> {
    let (open, session) = state.signed_in().await?;
    state
        .scheduler()
        .run_now(&open.file, &session, names::OUTBOX)
        .await
        .wire()
}

/// The scheduled jobs with their last and next runs.
#[tauri::command]
pub async fn jobs_list(state: State<'_, AppState>) -> Result<Vec<ScheduledJobView>, WireError> {
    let (open, session) = state.signed_in().await?;
    state.scheduler().list(&open.file, &session).await.wire()
}

/// Queue, executions, error rate, SLA compliance and alerts.
#[tauri::command]
pub async fn monitor_snapshot(state: State<'_, AppState>) -> Result<MonitorSnapshot, WireError> {
    let (open, session) = state.signed_in().await?;
    monitor::snapshot(&open.file, &session, None).await.wire()
}

/// The generated reports, newest first.
#[tauri::command]
pub async fn reports_list(state: State<'_, AppState>) -> Result<Vec<ReportInfo>, WireError> {
    let (open, session) = state.signed_in().await?;
    reports::list(&open.file, &session).await.wire()
}

/// Opens a report in the system's PDF viewer; returns its path.
#[tauri::command]
pub async fn report_open(state: State<'_, AppState>, id: String) -> Result<String, WireError> {
    let (open, session) = state.signed_in().await?;
    let path = reports::path_of(&open.file, &session, &id).await.wire()?;
    crate::opener::open(&path)
}

/// Opens the reports folder in the file manager; returns its path.
#[tauri::command]
pub async fn reports_folder_open(state: State<'_, AppState>) -> Result<String, WireError> {
    let (open, session) = state.signed_in().await?;
    let path = reports::folder(&open.file, &session).await.wire()?;
    crate::opener::open(&path)
}

/// One command as the TypeScript generator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandSignature {
    pub name: &'static str,
    /// (argument name as passed to `invoke`, TypeScript type)
    pub args: Vec<(&'static str, String)>,
    /// TypeScript type of the resolved value.
    pub returns: String,
}

/// Declares the command list once. Every command takes `State<AppState>` first (not listed) and
/// returns `Result<returns, WireError>`. `name[window](…)` marks a command that also takes the
/// calling `tauri::Window` second (to emit events to it); it is not an argument of `invoke`.
macro_rules! command_table {
    ($( $name:ident $([$window:ident])? ( $($arg:ident : $ty:ty),* ) -> $ret:ty; )*) => {
        /// Tauri's invoke handler for every command in the table.
        pub fn handler() -> impl Fn(tauri::ipc::Invoke<tauri::Wry>) -> bool + Send + Sync + 'static {
            tauri::generate_handler![$($name),*]
        }

        /// Every command's name, arguments and result, in table order.
        pub fn signatures(cfg: &ts_rs::Config) -> Vec<CommandSignature> {
            vec![$(
                CommandSignature {
                    name: stringify!($name),
                    args: vec![$( (stringify!($arg), <$ty as ts_rs::TS>::name(cfg)) ),*],
                    returns: <$ret as ts_rs::TS>::name(cfg),
                }
            ),*]
        }

        /// Never called: it only compiles if each listed signature matches the real function.
        #[allow(dead_code)]
        mod signature_check {
            use super::*;
            $(
                pub async fn $name(
                    state: State<'_, AppState>,
                    $($window: tauri::Window,)?
                    $($arg: $ty),*
                ) -> Result<$ret, WireError> {
                    super::$name(state, $($window,)? $($arg),*).await
                }
            )*
        }
    };
}

command_table! {
    start_info() -> StartInfo;
    company_open(path: String) -> OpenedCompany;
    company_create(path: String, company: NewCompany) -> OpenedCompany;
    demo_open() -> OpenedCompany;
    company_close() -> ();
    login(email: String, password: String) -> SessionInfo;
    logout() -> ();
    session_current() -> Option<SessionInfo>;
    company_info() -> CompanyInfo;
    company_update(change: CompanySettingsUpdate) -> CompanyInfo;
    users_list() -> Vec<UserView>;
    user_add(user: NewUser) -> UserView;
    user_deactivate(email: String) -> UserView;
    departments_list() -> Vec<DepartmentView>;
    department_add(name: String) -> DepartmentView;
    audit_list(limit: u32) -> Vec<AuditEntryView>;
    audit_verify() -> AuditVerifyReport;
    audit_search(query: AuditQuery) -> AuditPage;
    tax_reviews_list() -> Vec<TaxReviewView>;
    tax_review_resolve(document: String, note: String) -> TaxReviewResolution;
    approvals_inbox() -> Vec<InboxItem>;
    document_create(document: NewDocument) -> DocumentView;
    document_submit(id: String) -> DocumentView;
    document_create_and_submit(document: NewDocument) -> DocumentView;
    document_edit(id: String, change: DocumentEdit) -> DocumentView;
    documents_mine() -> Vec<DocumentView>;
    documents_register(query: RegisterQuery) -> RegisterPage;
    document_show(id: String) -> DocumentView;
    document_history(id: String) -> Vec<HistoryEntry>;
    approval_act(request: String, action: ActionInput) -> ActionResult;
    approvals_bulk_approve(requests: Vec<String>) -> BulkResult;
    document_resubmit(id: String, note: Option<String>) -> DocumentView;
    document_recall(id: String) -> DocumentView;
    document_cancel(id: String) -> DocumentView;
    approvals_sla(days: u32) -> SlaCompliance;
    work_week_get() -> WorkWeekView;
    work_week_set(change: WorkWeekUpdate) -> WorkWeekView;
    policies_list() -> Vec<PolicyView>;
    policy_parse(text: String) -> PolicySpec;
    policy_validate(policy: PolicySpec) -> PolicyValidation;
    policy_save(policy: PolicySpec) -> PolicyView;
    budgets_list(period: Option<String>) -> Vec<BudgetView>;
    budget_report(period: Option<String>) -> BudgetReport;
    budget_history(id: String) -> Vec<LedgerEntryView>;
    budget_check(check: BudgetCheckInput) -> BudgetCheckResult;
    budget_reserve(budget: String, request: String, amount: String, reason: Option<String>) -> LedgerOutcome;
    budget_release(budget: String, request: String, amount: Option<String>, action: ReleaseAction, reason: String) -> LedgerOutcome;
    budget_release_commitment(release: ReleaseCommitmentInput) -> LedgerOutcome;
    budget_import[window](path: String, skip: bool, archive: bool, preview: bool) -> SyncRunView;
    budget_checks(query: BudgetCheckQuery) -> Vec<BudgetCheckView>;
    budget_sync_history(limit: u32) -> Vec<SyncRunView>;
    budget_year(year: Option<String>, department: Option<String>) -> FiscalYearUtilisation;
    notifications_list() -> Vec<NotificationView>;
    notifications_unread_count() -> u32;
    notifications_mark_read(ids: Vec<String>) -> u32;
    delegations_list() -> Vec<DelegationView>;
    delegation_add(delegation: NewDelegation) -> DelegationView;
    delegation_revoke(id: String) -> DelegationView;
    workflows_list() -> Vec<WorkflowView>;
    workflow_set(workflow: WorkflowType, settings: serde_json::Value) -> WorkflowView;
    workflow_set_enabled(workflow: WorkflowType, enabled: bool) -> WorkflowView;
    workflow_run(workflow: WorkflowType, entity: String) -> ExecutionView;
    workflow_executions(filter: ExecutionFilter) -> Vec<ExecutionView>;
    workflow_retry(id: String) -> ExecutionView;
    rules_list() -> Vec<RuleTableView>;
    rules_evaluations(document: Option<String>, limit: u32) -> Vec<EvaluationView>;
    sync_status() -> SyncStatus;
    sync_progress() -> SyncProgress;
    sync_connectivity() -> ConnectivityView;
    sync_dead() -> Vec<OutboxItemView>;
    sync_retry(id: String) -> OutboxItemView;
    sync_run_now() -> JobRunOutcome;
    jobs_list() -> Vec<ScheduledJobView>;
    monitor_snapshot() -> MonitorSnapshot;
    reports_list() -> Vec<ReportInfo>;
    report_open(id: String) -> String;
    reports_folder_open() -> String;
    customers_list(query: CustomerQuery) -> Vec<CustomerView>;
    customer_show(key: String) -> CustomerView;
    customer_add(customer: NewCustomer) -> CustomerView;
    customer_edit(key: String, customer: NewCustomer) -> CustomerView;
    customer_set_active(key: String, active: bool) -> CustomerView;
    customers_import(path: String) -> MasterImportResult;
    items_list(query: ItemQuery) -> Vec<ItemView>;
    item_show(key: String) -> ItemView;
    item_add(item: NewItem) -> ItemView;
    item_edit(key: String, item: NewItem) -> ItemView;
    item_set_active(key: String, active: bool) -> ItemView;
    items_import(path: String) -> MasterImportResult;
    sales_code_lists() -> SalesCodeLists;
    sales_list(query: SalesQuery) -> Vec<SaleSummary>;
    sale_show(key: String) -> SaleView;
    sale_credit_template(key: String) -> SaleView;
    sale_create(sale: NewSale) -> SaleView;
    sale_update(key: String, sale: NewSale) -> SaleView;
    sale_issue(key: String) -> SaleView;
    sale_void(key: String, reason: String) -> SaleView;
    sale_preview(lines: Vec<NewSaleLine>, basis: Option<PriceBasis>) -> DocumentTotals;
    sales_settings_get() -> SalesSettings;
    sales_settings_set(change: SalesSettings) -> SalesSettings;
    export_list(request: hesabu_app::export::ExportRequest, format: hesabu_store::export::Format, path: String) -> hesabu_app::export::ExportResult;
    receipts_list(query: hesabu_app::receipts::ReceiptQuery) -> hesabu_app::receipts::ReceiptPage;
    receipt_show(key: String) -> hesabu_app::receipts::ReceiptDetail;
    receipt_preview(key: String, format: hesabu_app::receipts::PaperFormat, copy: bool) -> hesabu_app::receipts::ReceiptPreview;
    receipt_save_pdf(key: String, format: hesabu_app::receipts::PaperFormat, copy: bool, path: String) -> hesabu_app::receipts::PrintResult;
    receipt_print(key: String, request: hesabu_app::receipts::PrintRequest) -> hesabu_app::receipts::PrintResult;
    receipt_printers() -> hesabu_app::receipts::PrinterList;
    receipt_settings_set(change: hesabu_app::receipts::ReceiptSettings) -> hesabu_app::receipts::ReceiptSettings;
    receipt_test_print(format: hesabu_app::receipts::PaperFormat, printer: Option<String>) -> printers::TestPrintResult;
    etims_device() -> etims::EtimsDeviceInfo;
    etims_device_init(setup: etims::DeviceSetupInput) -> etims::DeviceSetupResult;
    etims_device_counter(last: u32) -> hesabu_core::sales::fiscal::DeviceView;
    etims_status(key: String) -> etims::FiscalBadge;
    etims_statuses(keys: Vec<String>) -> Vec<etims::FiscalBadge>;
    etims_checklist(key: String) -> etims::ChecklistView;
    etims_payload(key: String) -> etims::PayloadView;
    etims_send(key: String) -> ExecutionView;
    etims_give_up(key: String, reason: String) -> hesabu_core::sales::fiscal::SubmissionView;
    etims_lookup(number: u32) -> etims::LookupResult;
    etims_queue() -> Vec<etims::FiscalQueueRow>;
    etims_notices() -> etims::NoticesView;
    etims_reference_refresh() -> etims::NoticesView;
    etims_kra_records() -> etims_records::KraRecordsView;
    etims_kra_refresh(list: Option<String>) -> Vec<etims_records::KraListFetch>;
    etims_branch_users() -> Vec<etims_records::BranchUserRow>;
    etims_branch_users_register() -> etims_records::BranchUsersQueued;
    etims_compositions() -> Vec<etims_records::CompositionRow>;
    etims_composition_set(item: String, components: Vec<etims_records::ComponentEntry>) -> etims_records::CompositionRow;
    etims_insurers() -> Vec<etims_records::InsurerRow>;
    etims_insurer_add(insurer: etims_records::InsurerInput) -> etims_records::InsurerRow;
    etims_insurer_update(key: String, change: etims_records::InsurerEdit) -> etims_records::InsurerRow;
    etims_imports() -> etims_records::ImportsView;
    etims_imports_refresh() -> etims_records::ImportsView;
    etims_import_accept(reference: String, item: String, remark: Option<String>) -> etims_records::ImportRow;
    etims_import_reject(reference: String, remark: Option<String>) -> etims_records::ImportRow;
    etims_purchases(filter: Option<String>) -> etims_purchases::PurchasesView;
    etims_purchases_refresh() -> etims_purchases::PurchasesFetched;
    etims_purchase_show(id: String) -> etims_purchases::PurchaseRow;
    etims_purchase_map(id: String, line: u32, item: String) -> etims_purchases::PurchaseRow;
    etims_purchase_accept(id: String) -> etims_purchases::PurchaseRow;
    etims_purchase_reject(id: String, reason: String) -> etims_purchases::PurchaseRow;
    etims_stock_levels() -> Vec<etims_stock::StockLevelView>;
    etims_stock_moves(item: Option<String>) -> Vec<etims_stock::StockMovementView>;
    etims_stock_opening(item: String, quantity: String, cost: String) -> etims_stock::StockMovementView;
    etims_stock_adjust(item: String, delta: String, reason: String) -> etims_stock::StockMovementView;
    qbo_status() -> Option<hesabu_app::qbo::ConnectionView>;
    qbo_configure(settings: hesabu_app::qbo::ConnectionSettings, secret: Option<String>) -> hesabu_app::qbo::ConnectionView;
    qbo_authorize_url(open: bool) -> String;
    qbo_connect_paste(pasted: String) -> hesabu_app::qbo::ConnectionView;
    qbo_pull[window](full: bool) -> hesabu_app::qbo::pull::PullReport;
    qbo_sale_status(key: String) -> Option<hesabu_app::qbo::document::QboDocumentView>;
    qbo_sale_statuses(keys: Vec<String>) -> Vec<hesabu_app::qbo::document::QboDocumentView>;
    qbo_sale_open(key: String) -> String;
    qbo_reviews() -> Vec<hesabu_app::qbo::pull::ReviewRow>;
    qbo_disconnect(force: bool) -> hesabu_app::qbo::ConnectionView;
}
