//! The TypeScript registry: every wire type of the core (kernel, domain and app), in a stable
//! order. The desktop crate adds its own and writes `ui/src/lib/bindings.ts`; a test fails when
//! the committed file drifts. It lives at the top because it names every layer's types.

use serde_json::Value;
use ts_rs::TS;

use hesabu_core::approvals::policy_format as ap;
use hesabu_core::approvals::wire as aw;
use hesabu_core::budgets::wire as budgets;
use hesabu_core::company::{CompanyInfo, CompanySettingsUpdate, NewCompany};
use hesabu_core::departments::DepartmentView;
use hesabu_core::rules as rl;
use hesabu_core::sales as sl;
use hesabu_core::users::{NewUser, UserView};
use hesabu_core::workflows::config as wfc;
use hesabu_core::workflows::wire as wf;
use hesabu_store::audit::{
    AuditEntryView, AuditPage, AuditQuery, AuditVerifyReport, BrokenAuditEntry,
};
use hesabu_store::auth::SessionInfo;
use hesabu_store::error::{ErrorKind, WireError};
use hesabu_store::outbox::{DrainSummary, OutboxItemView, QueueDepth, SyncStatus};
use hesabu_store::permissions::{Permission, Role};

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
        decl::<AuditQuery>(&cfg),
        decl::<AuditPage>(&cfg),
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
        decl::<hesabu_core::approvals::register::RegisterStage>(&cfg),
        decl::<hesabu_core::approvals::register::RegisterSource>(&cfg),
        decl::<hesabu_core::approvals::register::RegisterQuery>(&cfg),
        decl::<hesabu_core::approvals::register::RegisterRow>(&cfg),
        decl::<hesabu_core::approvals::register::RegisterPage>(&cfg),
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
        decl::<hesabu_store::notifications::NotificationView>(&cfg),
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
        decl::<hesabu_store::scheduler::ScheduledJobView>(&cfg),
        decl::<hesabu_store::scheduler::JobRunOutcome>(&cfg),
        decl::<hesabu_store::scheduler::JobUpdate>(&cfg),
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
        decl::<hesabu_core::approvals::rule_hooks::TaxReviewResolution>(&cfg),
        // The sales ledger.
        decl::<sl::SalesType>(&cfg),
        decl::<sl::SalesStatus>(&cfg),
        decl::<sl::tax::TaxType>(&cfg),
        decl::<sl::tax::PriceBasis>(&cfg),
        decl::<sl::tax::Discount>(&cfg),
        decl::<sl::tax::LineInput>(&cfg),
        decl::<sl::tax::LineTotals>(&cfg),
        decl::<sl::tax::BandTotals>(&cfg),
        decl::<sl::tax::DocumentTotals>(&cfg),
        decl::<sl::customers::NewCustomer>(&cfg),
        decl::<sl::customers::CustomerView>(&cfg),
        decl::<sl::customers::CustomerQuery>(&cfg),
        decl::<sl::items::ProductType>(&cfg),
        decl::<sl::items::NewItem>(&cfg),
        decl::<sl::items::ItemView>(&cfg),
        decl::<sl::items::ItemQuery>(&cfg),
        decl::<sl::documents::NewSaleLine>(&cfg),
        decl::<sl::documents::NewSale>(&cfg),
        decl::<sl::documents::SaleLineView>(&cfg),
        decl::<sl::documents::SaleView>(&cfg),
        decl::<sl::documents::SaleSummary>(&cfg),
        decl::<sl::documents::SalesQuery>(&cfg),
        decl::<sl::settings::SalesSettings>(&cfg),
        decl::<sl::import::MasterImportResult>(&cfg),
    ]
}

/// `export type X = …;` for one type.
pub fn decl<T: TS>(cfg: &ts_rs::Config) -> String {
    format!("export {}", T::decl(cfg))
}
