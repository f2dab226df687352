//! Organisation facts that routing needs beyond users and departments: who heads each
//! department ("department head" approvers), designations such as `executive` or
//! `internal_audit` ("designation" approvers), and company holidays for SLA business hours.
//! Admins maintain them; every change is audited.

use chrono::NaiveDate;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Statement};
use serde_json::json;

use crate::departments;
use crate::entities::department_head;
use crate::users;
use hesabu_store::audit::AuditDraft;
use hesabu_store::auth::{self, Session};
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::{Error, Result};
use hesabu_store::limits::{LABEL, NAME, check_text, excerpt};
use hesabu_store::permissions::Permission;
use hesabu_store::uow::UnitOfWork;

/// Makes `email` the head of `department` (replacing any previous head).
pub async fn set_department_head(
    file: &CompanyFile,
    session: &Session,
    department: &str,
    email: &str,
) -> Result<()> {
    session.require(Permission::OrgManage)?;
    let mut uow = file.begin(session).await?;
    let dept = departments::find_by_name(uow.db(), department)
        .await?
        .ok_or_else(|| {
            Error::invalid(format!(
                "There is no department named '{}'. Add it first (hesabu department add).",
                excerpt(department)
            ))
        })?;
    let user = active_user(uow.db(), email).await?;
    let before = department_head::Entity::find_by_id(dept.id.clone())
        .one(uow.db())
        .await?;
    if before.is_some() {
        department_head::Entity::delete_by_id(dept.id.clone())
            .exec(uow.db())
            .await?;
    }
    department_head::ActiveModel::from(department_head::Model {
        department_id: dept.id.clone(),
        user_id: user.id.clone(),
        assigned_at: uow.now_text(),
    })
    .insert(uow.db())
    .await?;
    uow.audit(AuditDraft {
        action: "department.set_head",
        entity_type: "department",
        entity_id: dept.id,
        before: before.map(|b| json!({ "head_user_id": b.user_id })),
        after: Some(json!({ "department": dept.name, "head": user.email })),
    })
    .await?;
    uow.commit().await
}

/// Gives `email` a designation (lower-cased, e.g. `executive`). Idempotent.
pub async fn designate(
    file: &CompanyFile,
    session: &Session,
    email: &str,
    designation: &str,
) -> Result<()> {
    session.require(Permission::OrgManage)?;
    let designation = normalise_designation(designation)?;
    let mut uow = file.begin(session).await?;
    let user = active_user(uow.db(), email).await?;
    uow.db()
        .execute_raw(Statement::from_sql_and_values(
            uow.db().get_database_backend(),
            "INSERT INTO user_designation (user_id, designation, assigned_at) VALUES (?, ?, ?) \
             ON CONFLICT (user_id, designation) DO NOTHING",
            [
                user.id.clone().into(),
                designation.clone().into(),
                uow.now_text().into(),
            ],
        ))
        .await?;
    uow.audit(AuditDraft {
        action: "user.designate",
        entity_type: "user",
        entity_id: user.id,
        before: None,
        after: Some(json!({ "email": user.email, "designation": designation })),
    })
    .await?;
    uow.commit().await
}

/// Adds a company holiday (`YYYY-MM-DD`): SLA clocks do not run on it.
pub async fn add_holiday(
    file: &CompanyFile,
    session: &Session,
    day: &str,
    name: &str,
) -> Result<()> {
    session.require(Permission::OrgManage)?;
    check_text("holiday name", name.trim(), NAME)?;
    let date = NaiveDate::parse_from_str(day.trim(), "%Y-%m-%d").map_err(|_| {
        Error::invalid(format!(
            "'{}' is not a date: write it like 2026-12-12.",
            excerpt(day)
        ))
    })?;
    let mut uow = file.begin(session).await?;
    uow.db()
        .execute_raw(Statement::from_sql_and_values(
            uow.db().get_database_backend(),
            "INSERT INTO holiday (day, name) VALUES (?, ?) ON CONFLICT (day) DO UPDATE SET name = excluded.name",
            [date.to_string().into(), name.trim().to_owned().into()],
        ))
        .await?;
    uow.audit(AuditDraft {
        action: "holiday.add",
        entity_type: "holiday",
        entity_id: date.to_string(),
        before: None,
        after: Some(json!({ "day": date.to_string(), "name": name.trim() })),
    })
    .await?;
    uow.commit().await
}

pub(crate) fn normalise_designation(text: &str) -> Result<String> {
    check_text("designation", text.trim(), LABEL)?;
    let d = text.trim().to_lowercase();
    if d.is_empty() || !d.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(Error::invalid(format!(
            "Designation '{text}' is not valid: use letters, digits and underscores, e.g. \
             executive or internal_audit."
        )));
    }
    Ok(d)
}

async fn active_user(
    db: &impl ConnectionTrait,
    email: &str,
) -> Result<hesabu_store::entities::app_user::Model> {
    let email = auth::normalise_email(email);
    let user = users::find_by_email(db, &email).await?.ok_or_else(|| {
        Error::NotFound(format!(
            "There is no user {} in this company file.",
            excerpt(&email)
        ))
    })?;
    if !user.active {
        return Err(Error::invalid(format!(
            "{email} is deactivated: choose an active user."
        )));
    }
    Ok(user)
}

/// Deactivates a user (see [`crate::users::deactivate_in`]: they can no longer sign in) and, in
/// the same unit of work, hands their open approval steps on (see
/// [`super::jobs::reassign_for_deactivated`]: back to the approver, to another pool member,
/// re-resolved, or per the level's empty-approver policy). The one service for deactivating a
/// user: it lives here, above users, because only the approval engine knows its steps.
pub async fn deactivate_user(
    file: &CompanyFile,
    session: &Session,
    email: &str,
) -> Result<crate::users::UserView> {
    let mut uow = file.begin(session).await?;
    let after = deactivate_user_in(&mut uow, session, email).await?;
    uow.commit().await?;
    crate::users::view_of(file, &after).await
}

/// [`deactivate_user`] in the caller's unit of work (the app layer tells KRA in the same
/// transaction); returns the user as stored after it.
pub async fn deactivate_user_in(
    uow: &mut UnitOfWork,
    session: &Session,
    email: &str,
) -> Result<hesabu_store::entities::app_user::Model> {
    let (before, after) = crate::users::deactivate_in(uow, session, email).await?;
    let reassigned = super::jobs::reassign_for_deactivated(uow, &after.id).await?;
    uow.audit(AuditDraft {
        action: "user.deactivate",
        entity_type: "user",
        entity_id: after.id.clone(),
        before: Some(serde_json::json!({ "email": before.email, "active": before.active })),
        after: Some(serde_json::json!({
            "email": after.email,
            "active": after.active,
            "reassigned_approval_steps": reassigned,
        })),
    })
    .await?;
    Ok(after)
}
