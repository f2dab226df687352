//! System notices: short messages about things that need someone (a dead outbox item today).
//! Per-person approval notices are the approval engine's (`approvals::notifications`). A notification is written in the same
//! transaction as the event it announces, so there is never a notice without its cause or the
//! other way round. Deliberately simple: no per-user targeting yet; every user who may view the
//! sync queue sees them.

use sea_orm::{ActiveModelTrait, EntityTrait, QueryOrder, QuerySelect};

use crate::auth::Session;
use crate::company_file::CompanyFile;
use crate::entities::system_notification as notification;
use crate::error::Result;
use crate::permissions::Permission;
use crate::uow::UnitOfWork;
use crate::wire::NotificationView;

/// What to announce.
#[derive(Debug, Clone)]
pub(crate) struct NewNotification {
    pub kind: &'static str,
    pub severity: &'static str,
    pub title: String,
    pub body: String,
    pub entity_type: Option<&'static str>,
    pub entity_id: Option<String>,
}

/// Writes a notification inside `uow`'s transaction.
pub(crate) async fn insert(uow: &UnitOfWork, new: NewNotification) -> Result<String> {
    let model = notification::Model {
        id: uow.new_id(),
        created_at: uow.now_text(),
        kind: new.kind.to_owned(),
        severity: new.severity.to_owned(),
        title: new.title,
        body: new.body,
        entity_type: new.entity_type.map(str::to_owned),
        entity_id: new.entity_id,
        read_at: None,
    };
    let id = model.id.clone();
    notification::ActiveModel::from(model)
        .insert(uow.db())
        .await?;
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
