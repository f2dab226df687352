//! Departments / cost centres. Names are unique ignoring case.

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use serde_json::json;
use ts_rs::TS;

use crate::entities::department;
use hesabu_store::audit::AuditDraft;
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::{Error, Result};
use hesabu_store::limits::check_text;
use hesabu_store::permissions::Permission;

/// Stricter than `limits::NAME`: a department's name is shown in narrow columns and reports.
pub const MAX_NAME_LEN: usize = 80;

pub async fn add(file: &CompanyFile, session: &Session, name: &str) -> Result<DepartmentView> {
    session.require(Permission::DepartmentManage)?;
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::invalid(format!(
            "A department name needs 1 to {MAX_NAME_LEN} characters."
        )));
    }
    check_text("department name", name, MAX_NAME_LEN)?;
    let mut uow = file.begin(session).await?;
    if find_by_name(uow.db(), name).await?.is_some() {
        return Err(Error::Conflict(format!(
            "A department named '{name}' already exists. Use that one or choose another name."
        )));
    }
    let model = department::Model {
        id: uow.new_id(),
        name: name.to_owned(),
        name_key: name.to_lowercase(),
        active: true,
        created_at: uow.now_text(),
    };
    department::ActiveModel::from(model.clone())
        .insert(uow.db())
        .await?;
    uow.audit(AuditDraft {
        action: "department.add",
        entity_type: "department",
        entity_id: model.id.clone(),
        before: None,
        after: Some(json!({ "name": model.name })),
    })
    .await?;
    uow.commit().await?;
    Ok(model.into())
}

pub async fn list(file: &CompanyFile, session: &Session) -> Result<Vec<DepartmentView>> {
    session.require(Permission::DepartmentView)?;
    let rows = department::Entity::find()
        .order_by_asc(department::Column::NameKey)
        .all(file.reader())
        .await?;
    Ok(rows.into_iter().map(DepartmentView::from).collect())
}

pub(crate) async fn find_by_name(
    db: &impl sea_orm::ConnectionTrait,
    name: &str,
) -> Result<Option<department::Model>> {
    Ok(department::Entity::find()
        .filter(department::Column::NameKey.eq(name.trim().to_lowercase()))
        .one(db)
        .await?)
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
