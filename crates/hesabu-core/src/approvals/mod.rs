//! The approval engine: documents routed through an approval policy, decided,
//! delegated, escalated and audited — all offline, all inside units of work.
//!
//! Map:
//! - [`policy_format`]: the policy JSON format, the shape validator and rule matching (pure).
//! - [`policy_service`]: importing, listing and validating policies against the company's people.
//! - [`documents`]: create, submit, resubmit, recall, cancel, show (the state machine that decides
//!   a document's status is the documents layer's: `crate::documents::state`).
//! - [`routing`]: from a submitted document and its policy to a chain of approvers.
//! - [`actions`]: approve / reject / return / clarify / delegate, the inbox, history, bulk.
//! - [`register`]: every document of the company in one read-only list (approval documents and
//!   sales), for the roles that may view every document.
//! - [`delegations`]: out-of-office delegations and re-routing.
//! - [`jobs`]: reminders, escalations, auto-approvals and delegation expiry as of an instant.
//! - [`calendar`]: business hours for SLAs.
//! - [`org`]: department heads and designations that routing uses; deactivating a user.
//! - [`notice`]: the kinds of personal notification it sends (through the one notification
//!   system, `hesabu_store::notifications`, in the same unit of work as the change).
//! - [`budget_hooks`]: where budget control plugs in.
//! - [`rule_hooks`]: where business rules act on a document's approval.
//!
//! Invariants: a decision is a compare-and-swap on the step's `version` inside the unit of work;
//! nobody approves their own document; one person (or their delegate) counts once per chain
//! unless the policy allows repeats; every change writes an audit entry and history events in
//! the same transaction as the change.

pub mod actions;
pub mod budget_hooks;
pub mod calendar;
pub mod delegations;
pub mod documents;
pub mod jobs;
pub mod org;
pub mod policy_format;
pub mod policy_service;
pub mod register;
pub mod routing;
pub mod rule_hooks;
pub mod sales_gate;
pub mod wire;

/// The kinds of personal notification the approval engine sends.
pub mod notice {
    pub const APPROVAL_REQUEST: &str = "approval_request";
    pub const REMINDER: &str = "reminder";
    pub const ESCALATION: &str = "escalation";
    pub const DELEGATION: &str = "delegation";
    pub const DECISION: &str = "decision";
}

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, EntityTrait, Statement};

use crate::entities::department;
use hesabu_store::entities::app_user;
use hesabu_store::error::Result;

/// Everyone and every department, loaded once per operation (a company has tens of users, not
/// thousands, so this is cheaper than a query per lookup).
#[derive(Debug, Clone)]
pub(crate) struct Directory {
    pub users: HashMap<String, app_user::Model>,
    pub departments: HashMap<String, department::Model>,
    /// department id → head user id
    pub heads: HashMap<String, String>,
    /// (user id, designation)
    pub designations: Vec<(String, String)>,
}

impl Directory {
    pub async fn load(db: &impl ConnectionTrait) -> Result<Self> {
        let users = app_user::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|u| (u.id.clone(), u))
            .collect();
        let departments = department::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|d| (d.id.clone(), d))
            .collect();
        let heads = crate::entities::department_head::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|h| (h.department_id, h.user_id))
            .collect();
        let rows = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT user_id, designation FROM user_designation",
            ))
            .await?;
        let mut designations = Vec::new();
        for row in rows {
            designations.push((row.try_get("", "user_id")?, row.try_get("", "designation")?));
        }
        Ok(Self {
            users,
            departments,
            heads,
            designations,
        })
    }

    pub fn name(&self, id: &str) -> String {
        self.users
            .get(id)
            .map(|u| u.name.clone())
            .unwrap_or_else(|| "(unknown user)".into())
    }

    pub fn email(&self, id: &str) -> String {
        self.users
            .get(id)
            .map(|u| u.email.clone())
            .unwrap_or_default()
    }

    pub fn is_active(&self, id: &str) -> bool {
        self.users.get(id).is_some_and(|u| u.active)
    }

    pub fn department_name(&self, id: Option<&str>) -> Option<String> {
        id.and_then(|id| self.departments.get(id))
            .map(|d| d.name.clone())
    }

    pub fn by_email(&self, email: &str) -> Option<&app_user::Model> {
        let email = hesabu_store::auth::normalise_email(email);
        self.users.values().find(|u| u.email == email)
    }

    /// Active admins, by name.
    pub fn admins(&self) -> Vec<String> {
        let mut admins: Vec<&app_user::Model> = self
            .users
            .values()
            .filter(|u| u.active && u.role == hesabu_store::permissions::Role::Admin.as_str())
            .collect();
        admins.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        admins.into_iter().map(|u| u.id.clone()).collect()
    }
}
