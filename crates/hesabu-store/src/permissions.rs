//! Roles and the one permission table. Deny by default: a role may do exactly what its row in
//! [`PERMISSIONS`] lists. Every service checks here before it reads or writes; the UI only hides
//! what the core would refuse anyway.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::Error;

/// What a user is to the company. Stored as the snake_case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Runs the company file: users, settings, everything.
    Admin,
    /// FP&A admin: budgets, approval policies, finance settings.
    FinanceManager,
    /// FP&A user: day-to-day finance work.
    FinanceUser,
    /// A manager who approves requests.
    Approver,
    /// Raises requests.
    Employee,
    /// Reads everything, changes nothing.
    Auditor,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::FinanceManager,
        Role::FinanceUser,
        Role::Approver,
        Role::Employee,
        Role::Auditor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::FinanceManager => "finance_manager",
            Role::FinanceUser => "finance_user",
            Role::Approver => "approver",
            Role::Employee => "employee",
            Role::Auditor => "auditor",
        }
    }

    pub fn may(self, permission: Permission) -> bool {
        PERMISSIONS
            .iter()
            .find(|(role, _)| *role == self)
            .is_some_and(|(_, allowed)| allowed.contains(&permission))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = Error;
    fn from_str(text: &str) -> Result<Self, Error> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == text.trim())
            .ok_or_else(|| {
                let names: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
                Error::invalid(format!(
                    "Unknown role '{text}'. Use one of: {}.",
                    names.join(", ")
                ))
            })
    }
}

/// Something a user may be allowed to do. Later capabilities add variants here and a cell in
/// the table below; nothing else grants access.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    CompanyView,
    CompanyEdit,
    UserView,
    UserManage,
    DepartmentView,
    DepartmentManage,
    AuditView,
    AuditVerify,
    /// Budgets, balances, ledgers, reports and the import history.
    BudgetView,
    /// See and use every department's budgets, and raise documents for any department (without
    /// it: only one's own department and those one heads).
    BudgetViewAll,
    /// Import budgets, phase annual budgets.
    BudgetManage,
    /// Run a budget check (it is logged, so it is a write).
    BudgetCheck,
    /// Reserve budget for a document (submitting a request).
    BudgetReserve,
    /// Commit a reservation (final approval of a document).
    BudgetCommit,
    /// Record committed money as spent.
    BudgetSpend,
    /// Release what any document holds.
    BudgetReleaseAny,
    /// Release what a document holds, only when the user reserved it themselves.
    BudgetReleaseOwn,
    /// Read approval policies and validate policy files.
    ApprovalPolicyView,
    /// Import approval policies.
    ApprovalPolicyManage,
    /// Raise documents for approval (the requester is always the signed-in user).
    DocumentCreate,
    /// See every document, not only one's own and those in one's chain.
    DocumentViewAll,
    /// Cancel documents raised by others.
    DocumentCancelAny,
    /// Act on approval steps assigned to oneself (and see one's inbox).
    ApprovalAct,
    /// Create, list and revoke one's own delegations.
    DelegationManage,
    /// Run reminders, escalations and auto-approvals.
    JobsRun,
    /// Maintain department heads, designations and holidays.
    OrgManage,
    /// See the sync queue, dead items and notifications.
    SyncView,
    /// Drain the queue now and put dead items back in it.
    SyncManage,
    /// Create, list and restore backups of the company file.
    BackupManage,
    /// See the workflows, their execution log and recorded events.
    WorkflowView,
    /// Configure, enable and disable workflows.
    WorkflowManage,
    /// Run a workflow for one entity, retry failed executions, record external events.
    WorkflowRun,
    /// See decision tables and rule evaluations, and test a rules file against a document.
    RulesView,
    /// Import decision tables and resolve tax reviews.
    RulesManage,
    /// See the scheduled jobs, their schedules and how their last runs went.
    JobsView,
    /// Change a scheduled job's schedule or settings (backup copies kept, on/off).
    JobsManage,
    /// List and open the generated reports (the daily summary PDFs).
    ReportView,
    /// See the monitoring figures: queue depth, executions, error rate, SLA compliance.
    MonitorView,
    /// See customers, items and sales documents.
    SalesView,
    /// Write and edit draft sales documents.
    SalesDraft,
    /// Issue a sale (numbered and immutable from then on; e-TIMS signs it next).
    SalesIssue,
    /// Raise a credit note against an issued invoice.
    SalesCredit,
    /// Void an issued sale before KRA has signed it.
    SalesVoid,
    /// Add, edit, deactivate and import customers and items.
    SalesMasterData,
    /// Change how the company prices sales and when issuing needs approval.
    SalesSettings,
}

impl Permission {
    /// The action in words, for "You may not …" messages.
    pub fn describe(self) -> &'static str {
        match self {
            Permission::CompanyView => "view the company settings",
            Permission::CompanyEdit => "change the company settings",
            Permission::UserView => "view the user list",
            Permission::UserManage => "add or deactivate users",
            Permission::DepartmentView => "view departments",
            Permission::DepartmentManage => "add departments",
            Permission::AuditView => "read the audit log",
            Permission::AuditVerify => "verify the audit log",
            Permission::BudgetView => "view budgets",
            Permission::BudgetViewAll => "see and use every department's budgets",
            Permission::BudgetManage => "import or change budgets",
            Permission::BudgetCheck => "check budgets",
            Permission::BudgetReserve => "reserve budget",
            Permission::BudgetCommit => "commit reserved budget",
            Permission::BudgetSpend => "record budget spending",
            Permission::BudgetReleaseAny => "release budget reserved by others",
            Permission::BudgetReleaseOwn => "release budget",
            Permission::ApprovalPolicyView => "view approval policies",
            Permission::ApprovalPolicyManage => "import approval policies",
            Permission::DocumentCreate => "raise documents for approval",
            Permission::DocumentViewAll => "view every document",
            Permission::DocumentCancelAny => "cancel documents raised by others",
            Permission::ApprovalAct => "act on approvals",
            Permission::DelegationManage => "manage delegations",
            Permission::JobsRun => "run the approval jobs",
            Permission::OrgManage => "change department heads, designations or holidays",
            Permission::SyncView => "view the sync queue",
            Permission::SyncManage => "run the sync or retry dead items",
            Permission::BackupManage => "back up or restore the company file",
            Permission::WorkflowView => "view workflows and their executions",
            Permission::WorkflowManage => "configure workflows",
            Permission::WorkflowRun => "run or retry workflows",
            Permission::RulesView => "view business rules",
            Permission::RulesManage => "import business rules or resolve tax reviews",
            Permission::JobsView => "view the scheduled jobs",
            Permission::JobsManage => "change the scheduled jobs",
            Permission::ReportView => "view the generated reports",
            Permission::MonitorView => "view the monitoring figures",
            Permission::SalesView => "view customers, items and sales",
            Permission::SalesDraft => "write draft sales documents",
            Permission::SalesIssue => "issue sales documents",
            Permission::SalesCredit => "raise credit notes",
            Permission::SalesVoid => "void sales documents",
            Permission::SalesMasterData => "add or change customers and items",
            Permission::SalesSettings => "change the sales settings",
        }
    }
}

use Permission::*;

/// The permission table. Read a row as "this role may …".
pub const PERMISSIONS: &[(Role, &[Permission])] = &[
    (
        Role::Admin,
        &[
            CompanyView,
            CompanyEdit,
            UserView,
            UserManage,
            DepartmentView,
            DepartmentManage,
            AuditView,
            AuditVerify,
            BudgetView,
            BudgetViewAll,
            BudgetManage,
            BudgetCheck,
            BudgetReserve,
            BudgetCommit,
            BudgetSpend,
            BudgetReleaseAny,
            ApprovalPolicyView,
            ApprovalPolicyManage,
            DocumentCreate,
            DocumentViewAll,
            DocumentCancelAny,
            ApprovalAct,
            DelegationManage,
            JobsRun,
            OrgManage,
            SyncView,
            SyncManage,
            BackupManage,
            WorkflowView,
            WorkflowManage,
            WorkflowRun,
            RulesView,
            RulesManage,
            JobsView,
            JobsManage,
            ReportView,
            MonitorView,
            SalesView,
            SalesDraft,
            SalesIssue,
            SalesCredit,
            SalesVoid,
            SalesMasterData,
            SalesSettings,
        ],
    ),
    (
        Role::FinanceManager,
        &[
            CompanyView,
            UserView,
            DepartmentView,
            DepartmentManage,
            AuditView,
            AuditVerify,
            BudgetView,
            BudgetViewAll,
            BudgetManage,
            BudgetCheck,
            BudgetReserve,
            BudgetCommit,
            BudgetSpend,
            BudgetReleaseAny,
            ApprovalPolicyView,
            ApprovalPolicyManage,
            DocumentCreate,
            DocumentViewAll,
            ApprovalAct,
            DelegationManage,
            JobsRun,
            SyncView,
            SyncManage,
            BackupManage,
            WorkflowView,
            WorkflowManage,
            WorkflowRun,
            RulesView,
            RulesManage,
            JobsView,
            JobsManage,
            ReportView,
            MonitorView,
            SalesView,
            SalesDraft,
            SalesIssue,
            SalesCredit,
            SalesVoid,
            SalesMasterData,
            SalesSettings,
        ],
    ),
    (
        Role::FinanceUser,
        &[
            CompanyView,
            UserView,
            DepartmentView,
            BudgetView,
            BudgetViewAll,
            BudgetCheck,
            BudgetReserve,
            BudgetCommit,
            BudgetSpend,
            BudgetReleaseAny,
            ApprovalPolicyView,
            DocumentCreate,
            ApprovalAct,
            DelegationManage,
            SyncView,
            SyncManage,
            WorkflowView,
            WorkflowRun,
            RulesView,
            MonitorView,
            // The accountant's daily sales work; voiding and the settings stay with managers.
            SalesView,
            SalesDraft,
            SalesIssue,
            SalesCredit,
            SalesMasterData,
        ],
    ),
    (
        Role::Approver,
        &[
            CompanyView,
            UserView,
            DepartmentView,
            BudgetView,
            BudgetCheck,
            BudgetReserve,
            BudgetCommit,
            BudgetReleaseOwn,
            ApprovalPolicyView,
            DocumentCreate,
            ApprovalAct,
            DelegationManage,
            SalesView,
        ],
    ),
    // Employees raise documents; they may also be named as a delegate or pool member, so they
    // can act on steps assigned to them (the engine checks the assignment).
    (
        Role::Employee,
        &[
            CompanyView,
            DepartmentView,
            BudgetCheck,
            BudgetReserve,
            BudgetReleaseOwn,
            DocumentCreate,
            ApprovalAct,
            DelegationManage,
            // A sales rep writes drafts; an accountant issues them.
            SalesView,
            SalesDraft,
        ],
    ),
    (
        Role::Auditor,
        &[
            CompanyView,
            UserView,
            DepartmentView,
            AuditView,
            AuditVerify,
            BudgetView,
            BudgetViewAll,
            ApprovalPolicyView,
            DocumentViewAll,
            SyncView,
            WorkflowView,
            RulesView,
            JobsView,
            ReportView,
            MonitorView,
            SalesView,
        ],
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_has_exactly_one_row() {
        for role in Role::ALL {
            assert_eq!(
                PERMISSIONS.iter().filter(|(r, _)| *r == role).count(),
                1,
                "{role}"
            );
        }
    }

    #[test]
    fn only_admins_manage_users_and_auditors_change_nothing() {
        for role in Role::ALL {
            assert_eq!(role.may(UserManage), role == Role::Admin, "{role}");
        }
        for write in [
            CompanyEdit,
            UserManage,
            DepartmentManage,
            BudgetManage,
            BudgetCheck,
            BudgetReserve,
            BudgetCommit,
            BudgetSpend,
            BudgetReleaseAny,
            BudgetReleaseOwn,
            ApprovalPolicyManage,
            DocumentCreate,
            ApprovalAct,
            DelegationManage,
            JobsRun,
            OrgManage,
            WorkflowManage,
            WorkflowRun,
            RulesManage,
            JobsManage,
            SalesDraft,
            SalesIssue,
            SalesCredit,
            SalesVoid,
            SalesMasterData,
            SalesSettings,
        ] {
            assert!(!Role::Auditor.may(write));
        }
    }

    #[test]
    fn budget_release_follows_the_seed_table() {
        // finance_manager, finance_user, admin: any budget; approver, employee: their own only.
        for role in Role::ALL {
            let any = matches!(role, Role::Admin | Role::FinanceManager | Role::FinanceUser);
            let own = matches!(role, Role::Approver | Role::Employee);
            assert_eq!(role.may(BudgetReleaseAny), any, "{role}");
            assert_eq!(role.may(BudgetReleaseOwn), own, "{role}");
        }
    }

    #[test]
    fn roles_parse_from_their_names_and_reject_others() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
        let err = "boss".parse::<Role>().unwrap_err().to_string();
        assert!(err.contains("finance_manager"), "{err}");
    }
}
