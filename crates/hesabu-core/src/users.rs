//! Local users: add, list, deactivate. The first user of a company is made by
//! [`crate::company::create`] and is its admin.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use ts_rs::TS;

use crate::departments;
use crate::entities::department;
use hesabu_store::audit::AuditDraft;
use hesabu_store::auth::{self, Session};
use hesabu_store::company_file::CompanyFile;
use hesabu_store::entities::app_user;
use hesabu_store::error::{Error, Result};
use hesabu_store::limits::{NAME, check_text, excerpt};
use hesabu_store::permissions::{Permission, Role};
use hesabu_store::uow::UnitOfWork;

static EMAIL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[^@\s]+@[^@\s]+\.[^@\s]+$").unwrap());

/// Normalises (trim, lower-case) and checks an email address.
pub fn validate_email(email: &str) -> Result<String> {
    check_text("email address", email.trim(), NAME)?;
    let email = auth::normalise_email(email);
    if EMAIL.is_match(&email) {
        Ok(email)
    } else {
        Err(Error::invalid(format!(
            "'{email}' is not an email address: write it like jane@example.co.ke."
        )))
    }
}

/// A user to add, checked and with the password hashed: [`prepare`] does the slow part before
/// the write lock is taken, [`add_in`] writes it.
pub struct PreparedUser {
    email: String,
    name: String,
    new: NewUser,
    password_hash: String,
}

impl std::fmt::Debug for PreparedUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedUser")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// Checks `new` (admins only) and hashes its password, outside any transaction.
pub fn prepare(session: &Session, new: &NewUser) -> Result<PreparedUser> {
    session.require(Permission::UserManage)?;
    let email = validate_email(&new.email)?;
    let name = new.name.trim().to_owned();
    if name.is_empty() {
        return Err(Error::invalid("The user's name is required."));
    }
    check_text("user name", &name, NAME)?;
    let password_hash = auth::hash_password(&new.password)?;
    Ok(PreparedUser {
        email,
        name,
        new: NewUser {
            password: String::new(),
            ..new.clone()
        },
        password_hash,
    })
}

/// Adds a user. Admins only.
pub async fn add(file: &CompanyFile, session: &Session, new: &NewUser) -> Result<UserView> {
    let prepared = prepare(session, new)?;
    let mut uow = file.begin(session).await?;
    let user = add_in(&mut uow, prepared).await?;
    uow.commit().await?;
    Ok(user)
}

/// Adds a prepared user in the caller's unit of work (the app layer adds what e-TIMS needs to
/// the same transaction). Audited `user.add`.
pub async fn add_in(uow: &mut UnitOfWork, prepared: PreparedUser) -> Result<UserView> {
    let PreparedUser {
        email,
        name,
        new,
        password_hash,
    } = prepared;
    let new = &new;
    if find_by_email(uow.db(), &email).await?.is_some() {
        return Err(Error::Conflict(format!(
            "A user with email {email} already exists in this company file."
        )));
    }
    let manager = match new
        .manager_email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        None => None,
        Some(manager_email) => {
            let manager = find_by_email(uow.db(), &auth::normalise_email(manager_email))
                .await?
                .ok_or_else(|| {
                    Error::invalid(format!(
                        "The manager {} is not a user of this company file. Add them first, or \
                         leave the manager empty.",
                        excerpt(manager_email)
                    ))
                })?;
            if !manager.active {
                return Err(Error::invalid(format!(
                    "The manager {manager_email} is deactivated: choose an active manager."
                )));
            }
            Some(manager)
        }
    };
    let department = match new
        .department
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        None => None,
        Some(name) => Some(
            departments::find_by_name(uow.db(), name)
                .await?
                .ok_or_else(|| {
                    Error::invalid(format!(
                        "There is no department named '{}'. Add it first (hesabu department add).",
                        excerpt(name)
                    ))
                })?,
        ),
    };
    let now = uow.now_text();
    let model = app_user::Model {
        id: uow.new_id(),
        email,
        name,
        role: new.role.as_str().into(),
        manager_id: manager.as_ref().map(|m| m.id.clone()),
        department_id: department.as_ref().map(|d| d.id.clone()),
        active: true,
        password_hash,
        created_at: now.clone(),
        updated_at: now,
    };
    app_user::ActiveModel::from(model.clone())
        .insert(uow.db())
        .await?;
    uow.audit(AuditDraft {
        action: "user.add",
        entity_type: "user",
        entity_id: model.id.clone(),
        before: None,
        after: Some(user_summary(&model, manager.as_ref(), department.as_ref())),
    })
    .await?;
    Ok(view(&model, manager.as_ref(), department.as_ref()))
}

/// All users, active first, then by name.
pub async fn list(file: &CompanyFile, session: &Session) -> Result<Vec<UserView>> {
    session.require(Permission::UserView)?;
    let users = app_user::Entity::find()
        .order_by_desc(app_user::Column::Active)
        .order_by_asc(app_user::Column::Name)
        .all(file.reader())
        .await?;
    let departments: HashMap<String, department::Model> = department::Entity::find()
        .all(file.reader())
        .await?
        .into_iter()
        .map(|d| (d.id.clone(), d))
        .collect();
    let by_id: HashMap<&str, &app_user::Model> = users.iter().map(|u| (u.id.as_str(), u)).collect();
    Ok(users
        .iter()
        .map(|u| {
            let manager = u
                .manager_id
                .as_deref()
                .and_then(|id| by_id.get(id).copied());
            let department = u.department_id.as_ref().and_then(|id| departments.get(id));
            view(u, manager, department)
        })
        .collect())
}

/// Deactivates a user inside the caller's unit of work: they can no longer sign in; their
/// history stays. Admins cannot deactivate themselves or the last active admin (the file would
/// have nobody to run it). Returns the row before and after; the caller audits.
///
/// The service people call is `approvals::org::deactivate_user`, which also hands the user's
/// open approval steps on in the same unit of work: the approval engine sits above this layer.
pub async fn deactivate_in(
    uow: &UnitOfWork,
    session: &Session,
    email: &str,
) -> Result<(app_user::Model, app_user::Model)> {
    session.require(Permission::UserManage)?;
    let email = auth::normalise_email(email);
    let user = find_by_email(uow.db(), &email).await?.ok_or_else(|| {
        Error::NotFound(format!(
            "There is no user {} in this company file.",
            excerpt(&email)
        ))
    })?;
    if user.id == session.user_id() {
        return Err(Error::invalid(
            "You cannot deactivate your own account. Ask another admin to do it.",
        ));
    }
    if !user.active {
        return Err(Error::Conflict(format!("{email} is already deactivated.")));
    }
    if user.role == Role::Admin.as_str() {
        let active_admins = app_user::Entity::find()
            .filter(app_user::Column::Role.eq(Role::Admin.as_str()))
            .filter(app_user::Column::Active.eq(true))
            .all(uow.db())
            .await?
            .len();
        if active_admins <= 1 {
            return Err(Error::invalid(format!(
                "{email} is the last active admin. Make another user an admin first."
            )));
        }
    }
    let before = user.clone();
    let mut active = user.into_active_model();
    active.active = Set(false);
    active.updated_at = Set(uow.now_text());
    let after = active.update(uow.db()).await?;
    Ok((before, after))
}

/// A user as others see them, with their manager and department looked up.
pub async fn view_of(file: &CompanyFile, user: &app_user::Model) -> Result<UserView> {
    let manager = match &user.manager_id {
        Some(id) => {
            app_user::Entity::find_by_id(id.clone())
                .one(file.reader())
                .await?
        }
        None => None,
    };
    let department = match &user.department_id {
        Some(id) => {
            department::Entity::find_by_id(id.clone())
                .one(file.reader())
                .await?
        }
        None => None,
    };
    Ok(view(user, manager.as_ref(), department.as_ref()))
}

pub async fn find_by_email(
    db: &impl sea_orm::ConnectionTrait,
    email: &str,
) -> Result<Option<app_user::Model>> {
    Ok(app_user::Entity::find()
        .filter(app_user::Column::Email.eq(email))
        .one(db)
        .await?)
}

fn view(
    u: &app_user::Model,
    manager: Option<&app_user::Model>,
    department: Option<&department::Model>,
) -> UserView {
    UserView {
        id: u.id.clone(),
        email: u.email.clone(),
        name: u.name.clone(),
        role: u.role.parse().unwrap_or(Role::Employee),
        manager_email: manager.map(|m| m.email.clone()),
        manager_name: manager.map(|m| m.name.clone()),
        department: department.map(|d| d.name.clone()),
        active: u.active,
        created_at: u.created_at.clone(),
    }
}

/// What the audit log records about a user: never the password hash.
pub(crate) fn user_summary(
    u: &app_user::Model,
    manager: Option<&app_user::Model>,
    department: Option<&department::Model>,
) -> serde_json::Value {
    json!({
        "email": u.email,
        "name": u.name,
        "role": u.role,
        "manager": manager.map(|m| m.email.clone()),
        "department": department.map(|d| d.name.clone()),
        "active": u.active,
    })
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
