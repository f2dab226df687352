//! Wire types: what services return and accept across the core's boundary — the Tauri commands,
//! the CLI's `--json` output and the UI all speak these. They are not the stored entities; the
//! conversions live here. TypeScript declarations are generated from them (see
//! [`typescript_declarations`]) and committed to `ui/src/lib/bindings.ts`.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use crate::approvals::policy as ap;
use crate::approvals::wire as aw;
use crate::budgets::wire as budgets;
use crate::entities::{
    audit_log, company, department, outbox, system_notification as notification,
};
use crate::error::{ErrorKind, WireError};
use crate::permissions::{Permission, Role};
use crate::rules as rl;
use crate::workflows::config as wfc;
use crate::workflows::wire as wf;

/// Who is signed in, and what they may do (the UI hides what the core would refuse).
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct SessionInfo {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub permissions: Vec<Permission>,
}

/// The company settings.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct CompanyInfo {
    pub id: String,
    pub legal_name: String,
    pub trading_name: Option<String>,
    pub kra_pin: String,
    pub branch_id: String,
    pub address: Option<String>,
    pub base_currency: String,
    /// 1 = January.
    pub fiscal_year_start_month: u8,
    pub time_zone: String,
    pub created_at: String,
    pub updated_at: String,
}

impl From<company::Model> for CompanyInfo {
    fn from(m: company::Model) -> Self {
        Self {
            id: m.id,
            legal_name: m.legal_name,
            trading_name: m.trading_name,
            kra_pin: m.kra_pin,
            branch_id: m.branch_id,
            address: m.address,
            base_currency: m.base_currency,
            fiscal_year_start_month: u8::try_from(m.fiscal_year_start_month).unwrap_or(1),
            time_zone: m.time_zone,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// Everything needed to create a company file and its first (admin) user.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct NewCompany {
    pub legal_name: String,
    pub trading_name: Option<String>,
    pub kra_pin: String,
    /// Two digits; "00" is the head office.
    pub branch_id: Option<String>,
    pub address: Option<String>,
    /// 1 = January (the default).
    pub fiscal_year_start_month: Option<u8>,
    pub admin_email: String,
    pub admin_name: String,
    pub admin_password: String,
}

/// A change to the company settings. Every field is replaced.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct CompanySettingsUpdate {
    pub legal_name: String,
    pub trading_name: Option<String>,
    pub kra_pin: String,
    pub branch_id: String,
    pub address: Option<String>,
    pub fiscal_year_start_month: u8,
    pub time_zone: String,
}

/// A department / cost centre.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct DepartmentView {
    pub id: String,
    pub name: String,
    pub active: bool,
    pub created_at: String,
}

impl From<department::Model> for DepartmentView {
    fn from(m: department::Model) -> Self {
        Self {
            id: m.id,
            name: m.name,
            active: m.active,
            created_at: m.created_at,
        }
    }
}

/// A user as others see them (never the password hash).
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub manager_email: Option<String>,
    pub manager_name: Option<String>,
    pub department: Option<String>,
    pub active: bool,
    pub created_at: String,
}

/// A user to add. `manager_email` and `department` (by name) are optional.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub manager_email: Option<String>,
    pub department: Option<String>,
    pub password: String,
}

/// One audit log entry.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct AuditEntryView {
    #[ts(type = "number")]
    pub seq: i64,
    pub id: String,
    pub at: String,
    pub actor_email: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub hash: String,
}

impl From<audit_log::Model> for AuditEntryView {
    fn from(m: audit_log::Model) -> Self {
        let parse = |text: Option<String>| {
            text.map(|t| serde_json::from_str(&t).unwrap_or(Value::String(t)))
        };
        Self {
            seq: m.seq,
            id: m.id,
            at: m.at,
            actor_email: m.actor_email,
            action: m.action,
            entity_type: m.entity_type,
            entity_id: m.entity_id,
            before: parse(m.before_json),
            after: parse(m.after_json),
            hash: m.hash,
        }
    }
}

/// The result of walking the audit chain.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct AuditVerifyReport {
    pub ok: bool,
    #[ts(type = "number")]
    pub entries_checked: i64,
    pub first_broken: Option<BrokenAuditEntry>,
}

/// The first entry at which the chain stops verifying.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct BrokenAuditEntry {
    #[ts(type = "number")]
    pub seq: i64,
    pub id: Option<String>,
    pub action: Option<String>,
    pub at: Option<String>,
    pub reason: String,
}

impl BrokenAuditEntry {
    pub(crate) fn new(row: &audit_log::Model, expected_seq: i64, reason: String) -> Self {
        Self {
            seq: expected_seq,
            id: Some(row.id.clone()),
            action: Some(row.action.clone()),
            at: Some(row.at.clone()),
            reason,
        }
    }

    /// "entry #5 (user.add at 2026-…, id …): its contents do not match its hash: …"
    pub fn describe(&self) -> String {
        match (&self.action, &self.at, &self.id) {
            (Some(action), Some(at), Some(id)) => {
                format!(
                    "entry #{} ({action} at {at}, id {id}): {}",
                    self.seq, self.reason
                )
            }
            _ => format!("entry #{}: {}", self.seq, self.reason),
        }
    }
}

/// One outbox row as people and programs see it (`hesabu sync dead`, the sync page).
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct OutboxItemView {
    pub id: String,
    #[ts(type = "number")]
    pub seq: i64,
    pub target: String,
    pub operation: String,
    pub idempotency_key: String,
    pub ordering_key: Option<String>,
    /// ready | in_flight | done | dead
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: String,
    pub check_first: bool,
    pub last_error_kind: Option<String>,
    pub last_error_message: Option<String>,
    pub remote_ref: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub done_at: Option<String>,
}

impl From<outbox::Model> for OutboxItemView {
    fn from(m: outbox::Model) -> Self {
        Self {
            id: m.id,
            seq: m.seq,
            target: m.target,
            operation: m.operation,
            idempotency_key: m.idempotency_key,
            ordering_key: m.ordering_key,
            state: m.state,
            // A count of sends: far inside 32 bits (the outbox gives up long before).
            attempts: i32::try_from(m.attempts).unwrap_or(i32::MAX),
            next_attempt_at: m.next_attempt_at,
            check_first: m.check_first,
            last_error_kind: m.last_error_kind,
            last_error_message: m.last_error_message,
            remote_ref: m.remote_ref,
            created_at: m.created_at,
            updated_at: m.updated_at,
            done_at: m.done_at,
        }
    }
}

/// How many outbox rows one target has in one state.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct QueueDepth {
    pub target: String,
    pub state: String,
    #[ts(type = "number")]
    pub count: i64,
}

/// `hesabu sync status`: the queue and whether a worker is draining it.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct SyncStatus {
    pub depth: Vec<QueueDepth>,
    /// The oldest ready row's age in milliseconds (by its creation time), if any is ready.
    #[ts(type = "number | null")]
    pub oldest_ready_age_ms: Option<i64>,
    /// idle | running | paused_offline | stopped, or "not_running" when no worker holds this
    /// company file's sync lock, "other_process" when another process does.
    pub worker: String,
}

/// What one `sync run` did.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
pub struct DrainSummary {
    pub recovered: u32,
    pub sent: u32,
    pub done: u32,
    pub failed: u32,
    pub dead: u32,
    /// Targets skipped because their probe failed.
    pub offline: Vec<String>,
    /// Due rows whose target has no client in this build or configuration.
    pub no_client: u32,
}

/// An in-app notification.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct NotificationView {
    pub id: String,
    pub created_at: String,
    pub kind: String,
    pub severity: String,
    pub title: String,
    pub body: String,
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub read_at: Option<String>,
}

impl From<notification::Model> for NotificationView {
    fn from(m: notification::Model) -> Self {
        Self {
            id: m.id,
            created_at: m.created_at,
            kind: m.kind,
            severity: m.severity,
            title: m.title,
            body: m.body,
            entity_type: m.entity_type,
            entity_id: m.entity_id,
            read_at: m.read_at,
        }
    }
}

/// A backup of the company file.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct BackupInfo {
    /// The backup's file name; also its id for `hesabu backup restore`.
    pub id: String,
    pub path: String,
    #[ts(type = "number")]
    pub size_bytes: u64,
    /// When it was taken (from the file name, which the clock stamped).
    pub created_at: String,
}

/// What `hesabu backup restore` did.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct RestoreReport {
    pub restored_from: String,
    /// Where the file that was replaced now is.
    pub replaced_file_kept_at: String,
    #[ts(type = "number")]
    pub audit_entries_verified: i64,
}

/// TypeScript declarations of every core wire type, in a stable order. The desktop crate adds
/// its own and writes `ui/src/lib/bindings.ts`; a test fails when the committed file drifts.
pub fn typescript_declarations() -> Vec<String> {
    let cfg = ts_rs::Config::default();
    vec![
        // Free JSON (audit before/after summaries); the types below refer to it.
        decl::<Value>(&cfg),
        decl::<ErrorKind>(&cfg),
        decl::<WireError>(&cfg),
        decl::<Role>(&cfg),
        decl::<Permission>(&cfg),
        decl::<SessionInfo>(&cfg),
        decl::<CompanyInfo>(&cfg),
        decl::<NewCompany>(&cfg),
        decl::<CompanySettingsUpdate>(&cfg),
        decl::<DepartmentView>(&cfg),
        decl::<UserView>(&cfg),
        decl::<NewUser>(&cfg),
        decl::<AuditEntryView>(&cfg),
        decl::<AuditVerifyReport>(&cfg),
        decl::<BrokenAuditEntry>(&cfg),
        decl::<budgets::Enforcement>(&cfg),
        decl::<budgets::EnforcementDecision>(&cfg),
        decl::<budgets::BudgetView>(&cfg),
        decl::<budgets::BalanceView>(&cfg),
        decl::<budgets::LedgerEntryView>(&cfg),
        decl::<budgets::BudgetCheckInput>(&cfg),
        decl::<budgets::BudgetCheckResult>(&cfg),
        decl::<budgets::ReleaseAction>(&cfg),
        decl::<budgets::LedgerOutcome>(&cfg),
        decl::<budgets::ImportRowError>(&cfg),
        decl::<budgets::SyncRunView>(&cfg),
        decl::<budgets::UtilisationRow>(&cfg),
        decl::<budgets::CheckStats>(&cfg),
        decl::<budgets::BudgetReport>(&cfg),
        decl::<budgets::ImportStage>(&cfg),
        decl::<budgets::ImportProgress>(&cfg),
        decl::<budgets::ReleaseCommitmentInput>(&cfg),
        decl::<budgets::MonthUtilisation>(&cfg),
        decl::<budgets::FiscalYearUtilisation>(&cfg),
        decl::<aw::DocumentType>(&cfg),
        decl::<aw::DocumentStatus>(&cfg),
        decl::<aw::NewDocumentLine>(&cfg),
        decl::<aw::NewDocument>(&cfg),
        decl::<aw::DocumentLineView>(&cfg),
        decl::<aw::DocumentView>(&cfg),
        decl::<aw::RequestView>(&cfg),
        decl::<aw::StepView>(&cfg),
        decl::<aw::InboxItem>(&cfg),
        decl::<aw::Decision>(&cfg),
        decl::<aw::ActionInput>(&cfg),
        decl::<aw::ActionResult>(&cfg),
        decl::<aw::BulkFailure>(&cfg),
        decl::<aw::BulkResult>(&cfg),
        decl::<aw::HistoryEntry>(&cfg),
        decl::<aw::NewDelegation>(&cfg),
        decl::<aw::DelegationView>(&cfg),
        decl::<aw::PolicyView>(&cfg),
        decl::<aw::PolicyValidation>(&cfg),
        decl::<aw::PolicyIssue>(&cfg),
        decl::<aw::SlaCompliance>(&cfg),
        decl::<aw::WorkWeekView>(&cfg),
        decl::<aw::WorkWeekUpdate>(&cfg),
        decl::<aw::JobRunReport>(&cfg),
        decl::<aw::NotificationView>(&cfg),
        decl::<ap::PolicySpec>(&cfg),
        decl::<ap::LevelSpec>(&cfg),
        decl::<ap::ApproverSpec>(&cfg),
        decl::<ap::LevelMode>(&cfg),
        decl::<ap::EmptyApprover>(&cfg),
        decl::<ap::ReminderSpec>(&cfg),
        decl::<ap::EscalationSpec>(&cfg),
        decl::<ap::EscalationTarget>(&cfg),
        decl::<ap::RuleSpec>(&cfg),
        decl::<ap::Condition>(&cfg),
        decl::<ap::Op>(&cfg),
        decl::<QueueDepth>(&cfg),
        decl::<SyncStatus>(&cfg),
        decl::<OutboxItemView>(&cfg),
        decl::<DrainSummary>(&cfg),
        decl::<crate::scheduler::ScheduledJobView>(&cfg),
        decl::<crate::scheduler::JobRunOutcome>(&cfg),
        decl::<crate::scheduler::JobUpdate>(&cfg),
        decl::<crate::reports::ReportInfo>(&cfg),
        decl::<crate::monitor::SlaFigures>(&cfg),
        decl::<crate::monitor::ExecutionCount>(&cfg),
        decl::<crate::monitor::DurationStats>(&cfg),
        decl::<crate::monitor::ExecutionMetrics>(&cfg),
        decl::<crate::monitor::MonitorAlert>(&cfg),
        decl::<crate::monitor::MonitorSnapshot>(&cfg),
        decl::<crate::connectivity::TargetConnectivity>(&cfg),
        decl::<crate::connectivity::OsNetworkHint>(&cfg),
        decl::<crate::connectivity::ConnectivityView>(&cfg),
        decl::<wfc::WorkflowType>(&cfg),
        decl::<wf::WorkflowView>(&cfg),
        decl::<wf::ExecutionView>(&cfg),
        decl::<wf::ExecutionFilter>(&cfg),
        decl::<wf::EventView>(&cfg),
        decl::<wfc::InvoiceConfig>(&cfg),
        decl::<wfc::CustomerConfig>(&cfg),
        decl::<wfc::ItemConfig>(&cfg),
        decl::<wfc::CreditNoteConfig>(&cfg),
        decl::<wfc::SalesConfig>(&cfg),
        decl::<wfc::PinValidation>(&cfg),
        decl::<wfc::TaxCategory>(&cfg),
        decl::<wfc::ServiceLevel>(&cfg),
        decl::<wfc::TransactionType>(&cfg),
        decl::<wfc::CustomerType>(&cfg),
        decl::<rl::RuleTableSpec>(&cfg),
        decl::<rl::HitPolicy>(&cfg),
        decl::<rl::RuleRow>(&cfg),
        decl::<rl::RuleCondition>(&cfg),
        decl::<rl::RuleOp>(&cfg),
        decl::<rl::RuleAction>(&cfg),
        decl::<rl::ConditionTrace>(&cfg),
        decl::<rl::RowTrace>(&cfg),
        decl::<rl::TableTrace>(&cfg),
        decl::<rl::MatchedAction>(&cfg),
        decl::<rl::Evaluation>(&cfg),
        decl::<rl::service::RuleTableView>(&cfg),
        decl::<rl::service::EvaluationView>(&cfg),
        decl::<rl::service::TaxReviewResolution>(&cfg),
    ]
}

/// `export type X = …;` for one type.
pub fn decl<T: TS>(cfg: &ts_rs::Config) -> String {
    format!("export {}", T::decl(cfg))
}
