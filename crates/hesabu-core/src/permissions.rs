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
    // Plain comments, not doc comments, so the generated TypeScript union stays one line.
    // See the sync queue, dead items and notifications.
    SyncView,
    // Drain the queue now and put dead items back in it.
    SyncManage,
    // Create, list and restore backups of the company file.
    BackupManage,
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
            Permission::SyncView => "view the sync queue",
            Permission::SyncManage => "run the sync or retry dead items",
            Permission::BackupManage => "back up or restore the company file",
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
            SyncView,
            SyncManage,
            BackupManage,
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
            SyncView,
            SyncManage,
            BackupManage,
        ],
    ),
    (
        Role::FinanceUser,
        &[CompanyView, UserView, DepartmentView, SyncView, SyncManage],
    ),
    (Role::Approver, &[CompanyView, UserView, DepartmentView]),
    (Role::Employee, &[CompanyView, DepartmentView]),
    (
        Role::Auditor,
        &[
            CompanyView,
            UserView,
            DepartmentView,
            AuditView,
            AuditVerify,
            SyncView,
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
        for write in [CompanyEdit, UserManage, DepartmentManage] {
            assert!(!Role::Auditor.may(write));
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
