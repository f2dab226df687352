//! Notifications: an in-app queue written in the same unit of work as the change it reports
//! (approval request, reminder, escalation, delegation, decision), and a seam for desktop
//! delivery. The desktop shell implements [`DesktopNotifier`] with notify-rust; the core does
//! not depend on it. When no notification service is running, delivery records the error on the
//! row and carries on: the in-app bell still shows everything.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use serde_json::json;

use super::wire::NotificationView;
use crate::entities::notification;
use hesabu_store::audit::AuditDraft;
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::Result;
use hesabu_store::uow::UnitOfWork;

/// Kinds of notification.
pub const APPROVAL_REQUEST: &str = "approval_request";
pub const REMINDER: &str = "reminder";
pub const ESCALATION: &str = "escalation";
pub const DELEGATION: &str = "delegation";
pub const DECISION: &str = "decision";

/// Shows a notification on the desktop. Implemented outside the core (the desktop shell uses
/// notify-rust); an `Err` means "no notification service", and is recorded, not fatal.
pub trait DesktopNotifier: Send + Sync {
    fn show(&self, title: &str, body: &str) -> std::result::Result<(), String>;
}

/// Queues a notification for `user_id` inside the caller's unit of work.
pub(crate) async fn enqueue(
    uow: &UnitOfWork,
    user_id: &str,
    kind: &str,
    document_id: Option<&str>,
    message: String,
) -> Result<()> {
    notification::ActiveModel::from(notification::Model {
        id: uow.new_id(),
        user_id: user_id.to_owned(),
        kind: kind.to_owned(),
        document_id: document_id.map(str::to_owned),
        message,
        created_at: uow.now_text(),
        read_at: None,
        delivered_at: None,
        attempts: 0,
        last_error: None,
    })
    .insert(uow.db())
    .await?;
    Ok(())
}

/// The signed-in user's notifications, newest first.
pub async fn list(file: &CompanyFile, session: &Session) -> Result<Vec<NotificationView>> {
    let rows = notification::Entity::find()
        .filter(notification::Column::UserId.eq(session.user_id()))
        .order_by_desc(notification::Column::CreatedAt)
        .order_by_desc(notification::Column::Id)
        .all(file.reader())
        .await?;
    Ok(rows
        .into_iter()
        .map(|n| NotificationView {
            id: n.id,
            kind: n.kind,
            document_id: n.document_id,
            message: n.message,
            created_at: n.created_at,
            read: n.read_at.is_some(),
        })
        .collect())
}

/// How many times a notification is offered to the desktop before delivery gives up on it. A
/// machine without a notification service fails every attempt; without a cap each poll would
/// retry (and audit) every such notification for ever. A notification given up on is still in
/// the bell, with the last error on its row.
pub const MAX_DESKTOP_ATTEMPTS: i64 = 3;

/// Shows the signed-in user's undelivered notifications on the desktop and records the outcome
/// of each attempt, at most [`MAX_DESKTOP_ATTEMPTS`] per notification. Returns how many were
/// shown.
pub async fn deliver(
    file: &CompanyFile,
    session: &Session,
    notifier: &dyn DesktopNotifier,
) -> Result<u64> {
    let pending = notification::Entity::find()
        .filter(notification::Column::UserId.eq(session.user_id()))
        .filter(notification::Column::DeliveredAt.is_null())
        .filter(notification::Column::Attempts.lt(MAX_DESKTOP_ATTEMPTS))
        .order_by_asc(notification::Column::CreatedAt)
        .all(file.reader())
        .await?;
    if pending.is_empty() {
        return Ok(0);
    }
    let mut uow = file.begin(session).await?;
    let (mut shown, mut failed) = (0_u64, 0_u64);
    for row in pending {
        let outcome = notifier.show("Hesabu", &row.message);
        let attempts = row.attempts + 1;
        let mut active = row.into_active_model();
        active.attempts = Set(attempts);
        match outcome {
            Ok(()) => {
                active.delivered_at = Set(Some(uow.now_text()));
                active.last_error = Set(None);
                shown += 1;
            }
            Err(error) => {
                active.last_error = Set(Some(error));
                failed += 1;
            }
        }
        active.update(uow.db()).await?;
    }
    uow.audit(AuditDraft {
        action: "notification.deliver",
        entity_type: "user",
        entity_id: session.user_id().to_owned(),
        before: None,
        after: Some(json!({ "shown": shown, "failed": failed })),
    })
    .await?;
    uow.commit().await?;
    Ok(shown)
}

/// How many of the signed-in user's notifications are unread (the bell's badge).
pub async fn unread_count(file: &CompanyFile, session: &Session) -> Result<u64> {
    Ok(notification::Entity::find()
        .filter(notification::Column::UserId.eq(session.user_id()))
        .filter(notification::Column::ReadAt.is_null())
        .count(file.reader())
        .await?)
}

/// Marks the listed notifications of the signed-in user as read (all unread ones when `ids` is
/// empty). Other users' notifications and unknown ids are ignored. Returns how many changed.
pub async fn mark_read(file: &CompanyFile, session: &Session, ids: &[String]) -> Result<u64> {
    let mut query = notification::Entity::find()
        .filter(notification::Column::UserId.eq(session.user_id()))
        .filter(notification::Column::ReadAt.is_null());
    if !ids.is_empty() {
        query = query.filter(notification::Column::Id.is_in(ids.iter().cloned()));
    }
    let unread = query.all(file.reader()).await?;
    if unread.is_empty() {
        return Ok(0);
    }
    let mut uow = file.begin(session).await?;
    let now = uow.now_text();
    let changed = unread.len() as u64;
    for row in unread {
        let mut active = row.into_active_model();
        active.read_at = Set(Some(now.clone()));
        active.update(uow.db()).await?;
    }
    uow.audit(AuditDraft {
        action: "notification.read",
        entity_type: "user",
        entity_id: session.user_id().to_owned(),
        before: None,
        after: Some(json!({ "read": changed })),
    })
    .await?;
    uow.commit().await?;
    Ok(changed)
}
