//! System notices: short messages about things that need someone (a dead outbox item today).
//! Per-person approval notices are the approval engine's (`approvals::notifications`). A notification is written in the same
//! transaction as the event it announces, so there is never a notice without its cause or the
//! other way round. Deliberately simple: no per-user targeting yet; every user who may view the
//! sync queue sees them.

use sea_orm::{ActiveModelTrait, EntityTrait, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::auth::Session;
use crate::company_file::CompanyFile;
use crate::entities::system_notification as notification;
use crate::error::Result;
use crate::observers::OutboxMove;
use crate::permissions::Permission;
use crate::uow::UnitOfWork;
use crate::write_connection::WriteTxn;

/// What to announce.
#[derive(Debug, Clone)]
pub struct NewNotification {
    pub kind: &'static str,
    pub severity: &'static str,
    pub title: String,
    pub body: String,
    pub entity_type: Option<&'static str>,
    pub entity_id: Option<String>,
}

/// Writes a notification inside `uow`'s transaction.
pub async fn insert(uow: &UnitOfWork, new: NewNotification) -> Result<String> {
    write(uow.db(), uow.new_id(), uow.now_text(), new).await
}

/// Inserts a notification in the transaction that moves an outbox row (an outbox observer's).
pub async fn insert_on_move(moved: &OutboxMove<'_>, new: NewNotification) -> Result<String> {
    write(moved.db, moved.new_id(), moved.now.clone(), new).await
}

async fn write(db: &WriteTxn, id: String, now: String, new: NewNotification) -> Result<String> {
    let model = notification::Model {
        id,
        created_at: now,
        kind: new.kind.to_owned(),
        severity: new.severity.to_owned(),
        title: new.title,
        body: new.body,
        entity_type: new.entity_type.map(str::to_owned),
        entity_id: new.entity_id,
        read_at: None,
    };
    let id = model.id.clone();
    notification::ActiveModel::from(model).insert(db).await?;
    Ok(id)
}

/// The newest notifications first.
pub async fn list(
    file: &CompanyFile,
    session: &Session,
    limit: u64,
) -> Result<Vec<NotificationView>> {
    session.require(Permission::SyncView)?;
    let rows = notification::Entity::find()
        .order_by_desc(notification::Column::CreatedAt)
        .order_by_desc(notification::Column::Id)
        .limit(limit)
        .all(file.reader())
        .await?;
    Ok(rows.into_iter().map(NotificationView::from).collect())
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
