//! Notifications: the one system that tells people what needs them. Two audiences, one bell:
//!
//! - **personal** notices, addressed to one user ([`enqueue`]): an approval request, a reminder,
//!   an escalation, a delegation, a decision. They are also offered to the desktop
//!   ([`deliver`], through the [`DesktopNotifier`] seam the desktop shell implements).
//! - **sync notices**, for everyone who may view the sync queue ([`insert`], [`insert_on_move`]):
//!   a dead outbox item, a failed workflow. Shared: one person marking one read marks it read
//!   for all of them (it is one problem to fix, not one per person).
//!
//! [`list`], [`unread_count`] and [`mark_read`] cover both, so the bell shows everything a user
//! should see as one [`NotificationView`] list. A notification is written in the same
//! transaction as the event it announces, so there is never a notice without its cause or the
//! other way round. When no desktop notification service is running, delivery records the error
//! on the row and carries on: the bell still shows everything.
//!
//! (Storage: the personal notices are the `notification` table, the sync notices the
//! `system_notification` table; both predate this module and migrations are append-only.)

use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use ts_rs::TS;

use crate::audit::AuditDraft;
use crate::auth::Session;
use crate::company_file::CompanyFile;
use crate::entities::{notification, system_notification};
use crate::error::Result;
use crate::observers::OutboxMove;
use crate::permissions::Permission;
use crate::uow::UnitOfWork;
use crate::write_connection::WriteTxn;

/// A notice for everyone who watches the sync queue.
#[derive(Debug, Clone)]
pub struct NewNotification {
    pub kind: &'static str,
    /// info | warning | error
    pub severity: &'static str,
    pub title: String,
    pub body: String,
    pub entity_type: Option<&'static str>,
    pub entity_id: Option<String>,
}

/// Who a notification is for.
pub mod audience {
    /// Addressed to the signed-in user.
    pub const PERSONAL: &str = "personal";
    /// For everyone who may view the sync queue.
    pub const SYNC: &str = "sync";
}

/// A notification in the bell, whichever its audience.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct NotificationView {
    pub id: String,
    /// What happened: `approval_request`, `reminder`, `escalation`, `delegation`, `decision`
    /// (personal), or `outbox.dead`, `workflow.failed` (sync).
    pub kind: String,
    /// `personal` or `sync` (see [`audience`]).
    pub audience: String,
    /// info | warning | error.
    pub severity: String,
    /// The document it is about, for personal notices.
    pub document_id: Option<String>,
    /// What else it is about (an outbox item, a workflow execution), for sync notices.
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub message: String,
    pub created_at: String,
    pub read: bool,
}

impl From<notification::Model> for NotificationView {
    fn from(n: notification::Model) -> Self {
        Self {
            id: n.id,
            kind: n.kind,
            audience: audience::PERSONAL.into(),
            severity: "info".into(),
            document_id: n.document_id,
            entity_type: None,
            entity_id: None,
            message: n.message,
            created_at: n.created_at,
            read: n.read_at.is_some(),
        }
    }
}

impl From<system_notification::Model> for NotificationView {
    fn from(n: system_notification::Model) -> Self {
        Self {
            id: n.id,
            kind: n.kind,
            audience: audience::SYNC.into(),
            severity: n.severity,
            document_id: None,
            entity_type: n.entity_type,
            entity_id: n.entity_id,
            message: format!("{}: {}", n.title, n.body),
            created_at: n.created_at,
            read: n.read_at.is_some(),
        }
    }
}

/// Queues a personal notification for `user_id` inside the caller's unit of work.
pub async fn enqueue(
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

/// Inserts a sync notice in the caller's unit of work.
pub async fn insert(uow: &UnitOfWork, new: NewNotification) -> Result<String> {
    write(uow.db(), uow.new_id(), uow.now_text(), new).await
}

/// Inserts a sync notice in the transaction that moves an outbox row (an outbox observer's).
pub async fn insert_on_move(moved: &OutboxMove<'_>, new: NewNotification) -> Result<String> {
    write(moved.db, moved.new_id(), moved.now.clone(), new).await
}

async fn write(db: &WriteTxn, id: String, now: String, new: NewNotification) -> Result<String> {
    let model = system_notification::Model {
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
    system_notification::ActiveModel::from(model)
        .insert(db)
        .await?;
    Ok(id)
}

/// The signed-in user's bell: their personal notifications and, if they may view the sync
/// queue, the sync notices; newest first.
pub async fn list(file: &CompanyFile, session: &Session) -> Result<Vec<NotificationView>> {
    let mut all: Vec<NotificationView> = notification::Entity::find()
        .filter(notification::Column::UserId.eq(session.user_id()))
        .all(file.reader())
        .await?
        .into_iter()
        .map(NotificationView::from)
        .collect();
    if session.may(Permission::SyncView) {
        all.extend(
            system_notification::Entity::find()
                .all(file.reader())
                .await?
                .into_iter()
                .map(NotificationView::from),
        );
    }
    all.sort_by(|a, b| (&b.created_at, &b.id).cmp(&(&a.created_at, &a.id)));
    Ok(all)
}

/// How many notifications in the signed-in user's bell are unread (its badge).
pub async fn unread_count(file: &CompanyFile, session: &Session) -> Result<u64> {
    let mut count = notification::Entity::find()
        .filter(notification::Column::UserId.eq(session.user_id()))
        .filter(notification::Column::ReadAt.is_null())
        .count(file.reader())
        .await?;
    if session.may(Permission::SyncView) {
        count += system_notification::Entity::find()
            .filter(system_notification::Column::ReadAt.is_null())
            .count(file.reader())
            .await?;
    }
    Ok(count)
}

/// Marks the listed notifications in the signed-in user's bell as read (all unread ones when
/// `ids` is empty). Other users' notifications, sync notices the user may not see and unknown
/// ids are ignored. Returns how many changed. Audited.
pub async fn mark_read(file: &CompanyFile, session: &Session, ids: &[String]) -> Result<u64> {
    let mut personal = notification::Entity::find()
        .filter(notification::Column::UserId.eq(session.user_id()))
        .filter(notification::Column::ReadAt.is_null());
    let mut sync =
        system_notification::Entity::find().filter(system_notification::Column::ReadAt.is_null());
    if !ids.is_empty() {
        personal = personal.filter(notification::Column::Id.is_in(ids.iter().cloned()));
        sync = sync.filter(system_notification::Column::Id.is_in(ids.iter().cloned()));
    }
    let personal = personal.all(file.reader()).await?;
    let sync = if session.may(Permission::SyncView) {
        sync.all(file.reader()).await?
    } else {
        Vec::new()
    };
    if personal.is_empty() && sync.is_empty() {
        return Ok(0);
    }
    let mut uow = file.begin(session).await?;
    let now = uow.now_text();
    let changed = (personal.len() + sync.len()) as u64;
    for row in personal {
        let mut active = row.into_active_model();
        active.read_at = Set(Some(now.clone()));
        active.update(uow.db()).await?;
    }
    for row in sync {
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

/// Shows a notification on the desktop. Implemented outside the core (the desktop shell uses
/// notify-rust); an `Err` means "no notification service", and is recorded, not fatal.
pub trait DesktopNotifier: Send + Sync {
    fn show(&self, title: &str, body: &str) -> std::result::Result<(), String>;
}

/// How many times a notification is offered to the desktop before delivery gives up on it. A
/// machine without a notification service fails every attempt; without a cap each poll would
/// retry (and audit) every such notification for ever. A notification given up on is still in
/// the bell, with the last error on its row.
pub const MAX_DESKTOP_ATTEMPTS: i64 = 3;

/// Shows the signed-in user's undelivered personal notifications on the desktop and records the
/// outcome of each attempt, at most [`MAX_DESKTOP_ATTEMPTS`] per notification. Returns how many
/// were shown. (Sync notices stay in the bell only: they are shared, and nobody in particular
/// is being asked to act on them now.)
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
