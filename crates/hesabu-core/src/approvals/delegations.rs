//! Delegations: "while I am away, my approvals go to Jane". Valid over a half-open period
//! [from, until), optionally limited to document types, departments and a maximum amount. A
//! delegator has at most one delegation in force at any instant; chains (A → B → C) are followed
//! up to a depth limit and cycles are refused at creation and cut at resolution.
//!
//! Creating a delegation that is in force re-routes the delegator's pending steps within scope;
//! revoking it (or its expiry, handled by [`super::jobs`]) routes them back.

use crate::entities::StepStatus;
use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set,
};
use serde_json::json;

use super::Directory;
use super::documents::event;
use super::routing::{MAX_DELEGATION_DEPTH, delegate_for};
use super::wire::{DelegationView, DocumentType, NewDelegation};
use crate::entities::{approval_request, approval_step, delegation};
use hesabu_store::audit::AuditDraft;
use hesabu_store::auth::Session;
use hesabu_store::clock::{format_timestamp, parse_timestamp};
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::{Error, Result};
use hesabu_store::limits::excerpt;
use hesabu_store::notifications;
use hesabu_store::permissions::Permission;
use hesabu_store::uow::UnitOfWork;

/// Parses `YYYY-MM-DD` (midnight in `tz`) or an RFC 3339 instant.
pub fn parse_instant(text: &str, tz: chrono_tz::Tz) -> Result<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(t) = parse_timestamp(text) {
        return Ok(t);
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .and_then(|n| tz.from_local_datetime(&n).earliest())
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| {
            Error::invalid(format!(
                "'{}' is not a date: write 2026-12-01 or 2026-12-01T08:00:00+03:00.",
                excerpt(text)
            ))
        })
}

/// Creates a delegation from the signed-in user.
pub async fn add(
    file: &CompanyFile,
    session: &Session,
    new: &NewDelegation,
) -> Result<DelegationView> {
    session.require(Permission::DelegationManage)?;
    let mut uow = file.begin(session).await?;
    let company = crate::company::load(uow.db()).await?;
    let tz: chrono_tz::Tz = company
        .time_zone
        .parse()
        .unwrap_or(chrono_tz::Africa::Nairobi);
    let from = parse_instant(&new.valid_from, tz)?;
    let until = parse_instant(&new.valid_until, tz)?;
    if from >= until {
        return Err(Error::invalid(format!(
            "The delegation ends ({}) before it starts ({}): --until must be after --from.",
            new.valid_until, new.valid_from
        )));
    }
    if until <= uow.now() {
        return Err(Error::invalid(
            "That period is already over: choose an --until in the future.",
        ));
    }
    if let Some(max) = new.max_amount
        && max <= Decimal::ZERO
    {
        return Err(Error::invalid(
            "--max-amount must be positive (or leave it out).",
        ));
    }
    let dir = Directory::load(uow.db()).await?;
    let delegate = dir
        .by_email(&new.to_email)
        .filter(|u| u.active)
        .ok_or_else(|| {
            Error::invalid(format!(
                "'{}' is not an active user of this company file.",
                excerpt(&new.to_email)
            ))
        })?
        .clone();
    let me = session.user_id().to_owned();
    if delegate.id == me {
        return Err(Error::invalid("You cannot delegate to yourself."));
    }
    let (from_text, until_text) = (format_timestamp(from), format_timestamp(until));
    let overlapping = |rows: Vec<delegation::Model>| -> Vec<delegation::Model> {
        rows.into_iter()
            .filter(|d| d.valid_from < until_text && from_text < d.valid_until)
            .collect()
    };
    let mine = overlapping(open_of(uow.db(), &me).await?);
    if let Some(clash) = mine.first() {
        return Err(Error::Conflict(format!(
            "You already delegate to {} from {} until {}, which overlaps this period. Revoke it \
             (hesabu delegation revoke {}) or choose dates that do not overlap.",
            dir.name(&clash.delegate_id),
            clash.valid_from,
            clash.valid_until,
            clash.id
        )));
    }
    // Cycle: following the delegate's own delegations over this period must not lead back.
    let mut frontier = vec![delegate.id.clone()];
    let mut seen: HashSet<String> = HashSet::new();
    for _ in 0..=MAX_DELEGATION_DEPTH * 2 {
        let Some(person) = frontier.pop() else { break };
        if !seen.insert(person.clone()) {
            continue;
        }
        for d in overlapping(open_of(uow.db(), &person).await?) {
            if d.delegate_id == me {
                return Err(Error::Conflict(format!(
                    "This would make a delegation cycle: {} already delegates (directly or \
                     through others) back to you over this period. Choose another delegate.",
                    delegate.name
                )));
            }
            frontier.push(d.delegate_id);
        }
    }
    let departments = match &new.departments {
        None => None,
        Some(names) => {
            let mut ids = Vec::new();
            for name in names {
                let dept = crate::departments::find_by_name(uow.db(), name)
                    .await?
                    .ok_or_else(|| {
                        Error::invalid(format!("There is no department named '{}'.", excerpt(name)))
                    })?;
                ids.push(dept.id);
            }
            Some(json!(ids).to_string())
        }
    };
    let model = delegation::Model {
        id: uow.new_id(),
        delegator_id: me.clone(),
        delegate_id: delegate.id.clone(),
        valid_from: from_text,
        valid_until: until_text,
        doc_types: new.doc_types.as_ref().map(|t| json!(t).to_string()),
        departments,
        max_amount: new.max_amount.map(|m| m.normalize().into()),
        revoked_at: None,
        created_at: uow.now_text(),
    };
    delegation::ActiveModel::from(model.clone())
        .insert(uow.db())
        .await?;
    notifications::enqueue(
        &uow,
        &delegate.id,
        super::notice::DELEGATION,
        None,
        format!(
            "{} delegated approvals to you from {} until {}.",
            session.name(),
            model.valid_from,
            model.valid_until
        ),
    )
    .await?;
    let rerouted = reroute_pending_of(&uow, &dir, &me).await?;
    uow.audit(AuditDraft {
        action: "delegation.add",
        entity_type: "delegation",
        entity_id: model.id.clone(),
        before: None,
        after: Some(json!({
            "delegator": session.email(),
            "delegate": delegate.email,
            "valid_from": model.valid_from,
            "valid_until": model.valid_until,
            "doc_types": new.doc_types,
            "departments": new.departments,
            "max_amount": model.max_amount,
            "rerouted_steps": rerouted,
        })),
    })
    .await?;
    uow.commit().await?;
    Ok(view(&dir, &model, file.clock().now(), rerouted))
}

/// Revokes one of the signed-in user's delegations; steps it routed go back.
pub async fn revoke(file: &CompanyFile, session: &Session, id: &str) -> Result<DelegationView> {
    session.require(Permission::DelegationManage)?;
    let mut uow = file.begin(session).await?;
    let d = delegation::Entity::find_by_id(id.trim().to_owned())
        .one(uow.db())
        .await?
        .ok_or_else(|| Error::NotFound(format!("There is no delegation {}.", excerpt(id))))?;
    if d.delegator_id != session.user_id() && !session.may(Permission::UserManage) {
        return Err(Error::PermissionDenied(format!(
            "Permission denied: {} may only revoke their own delegations.",
            session.email()
        )));
    }
    if d.revoked_at.is_some() {
        return Err(Error::Conflict(
            "That delegation is already revoked.".into(),
        ));
    }
    let mut active = d.clone().into_active_model();
    active.revoked_at = Set(Some(uow.now_text()));
    let d = active.update(uow.db()).await?;
    let dir = Directory::load(uow.db()).await?;
    let returned =
        route_back(&uow, &dir, &d.id).await? + route_back_later_link(&uow, &dir, &d).await?;
    uow.audit(AuditDraft {
        action: "delegation.revoke",
        entity_type: "delegation",
        entity_id: d.id.clone(),
        before: Some(json!({ "revoked_at": null })),
        after: Some(json!({ "revoked_at": d.revoked_at, "returned_steps": returned })),
    })
    .await?;
    uow.commit().await?;
    Ok(view(&dir, &d, file.clock().now(), 0))
}

/// Delegations from or to the signed-in user; everyone's for user managers and for roles that
/// see every document (auditors).
pub async fn list(file: &CompanyFile, session: &Session) -> Result<Vec<DelegationView>> {
    let sees_all = session.may(Permission::UserManage) || session.may(Permission::DocumentViewAll);
    if !sees_all {
        session.require(Permission::DelegationManage)?;
    }
    let db = file.reader();
    let dir = Directory::load(db).await?;
    let me = session.user_id();
    let rows = delegation::Entity::find()
        .order_by_desc(delegation::Column::ValidFrom)
        .all(db)
        .await?;
    let now = file.clock().now();
    Ok(rows
        .iter()
        .filter(|d| sees_all || d.delegator_id == me || d.delegate_id == me)
        .map(|d| view(&dir, d, now, 0))
        .collect())
}

async fn open_of(db: &impl ConnectionTrait, delegator: &str) -> Result<Vec<delegation::Model>> {
    Ok(delegation::Entity::find()
        .filter(delegation::Column::DelegatorId.eq(delegator))
        .filter(delegation::Column::RevokedAt.is_null())
        .all(db)
        .await?)
}

/// Moves `approver`'s pending steps to their delegate where a delegation now applies. Returns
/// how many moved.
pub(crate) async fn reroute_pending_of(
    uow: &UnitOfWork,
    dir: &Directory,
    approver: &str,
) -> Result<i64> {
    let steps = approval_step::Entity::find()
        .filter(approval_step::Column::ApproverId.eq(approver))
        .filter(approval_step::Column::ActingId.eq(approver))
        .filter(approval_step::Column::Status.eq(StepStatus::Pending))
        .all(uow.db())
        .await?;
    let mut moved = 0;
    for step in steps {
        let Some((request, doc, spec, in_chain)) = context(uow, &step).await? else {
            continue;
        };
        if let Some((delegate, delegation_id)) =
            delegate_for(uow.db(), dir, &spec, &doc, approver, &in_chain, uow.now()).await?
        {
            let mut active = step.clone().into_active_model();
            active.acting_id = Set(delegate.clone());
            active.delegation_id = Set(Some(delegation_id));
            active.marker = Set(Some("delegated".into()));
            active.version = Set(step.version + 1);
            let moved_step = active.update(uow.db()).await?;
            event(
                uow,
                &doc,
                Some(&request.id),
                Some(&moved_step),
                "rerouted_to_delegate",
                None,
                Some(format!("to {}", dir.name(&delegate))),
            )
            .await?;
            notifications::enqueue(
                uow,
                &delegate,
                super::notice::DELEGATION,
                Some(&doc.id),
                format!(
                    "{} {} (level {}) is with you on behalf of {}.",
                    doc.number,
                    doc.title,
                    step.level,
                    dir.name(approver)
                ),
            )
            .await?;
            moved += 1;
        }
    }
    Ok(moved)
}

/// Routes steps that `delegation_id` moved back to their approver (or to whoever a delegation
/// still in force names). Returns how many moved.
pub(crate) async fn route_back(
    uow: &UnitOfWork,
    dir: &Directory,
    delegation_id: &str,
) -> Result<i64> {
    let steps = approval_step::Entity::find()
        .filter(approval_step::Column::DelegationId.eq(delegation_id))
        .filter(approval_step::Column::Status.eq(StepStatus::Pending))
        .all(uow.db())
        .await?;
    let mut moved = 0;
    for step in steps {
        let Some((request, doc, spec, in_chain)) = context(uow, &step).await? else {
            continue;
        };
        let routed = delegate_for(
            uow.db(),
            dir,
            &spec,
            &doc,
            &step.approver_id,
            &in_chain,
            uow.now(),
        )
        .await?;
        // Another delegation of the approver still in force takes over; else the approver.
        let routed = routed.filter(|(_, other)| other != delegation_id);
        hand_back(uow, dir, &doc, &request.id, &step, routed).await?;
        moved += 1;
    }
    Ok(moved)
}

/// A step that moved along a delegation chain (Martin → Tina → Dan) records only the chain's
/// first delegation, so when a *later* link (Tina → Dan) ends, [`route_back`] does not see it.
/// This re-resolves the chain for every pending delegated step now held by `ended`'s delegate
/// through another delegation: it goes to whoever the links still in force lead to (Tina), or
/// back to the approver. Steps whose chain still leads to the same person are left alone.
/// Returns how many moved.
pub(crate) async fn route_back_later_link(
    uow: &UnitOfWork,
    dir: &Directory,
    ended: &delegation::Model,
) -> Result<i64> {
    let steps = held_through_later_link(uow.db(), ended).await?;
    let mut moved = 0;
    for step in steps {
        let Some((request, doc, spec, _)) = context(uow, &step).await? else {
            continue;
        };
        // The chain's people, without this step's current holder (who is being re-decided).
        let others: Vec<approval_step::Model> =
            crate::approvals::routing::steps_of(uow.db(), &request.id)
                .await?
                .into_iter()
                .filter(|s| s.id != step.id)
                .collect();
        let mut in_chain = crate::approvals::routing::chain_people(&others);
        in_chain.insert(step.approver_id.clone());
        let routed = delegate_for(
            uow.db(),
            dir,
            &spec,
            &doc,
            &step.approver_id,
            &in_chain,
            uow.now(),
        )
        .await?;
        let now_with = routed
            .as_ref()
            .map_or(step.approver_id.as_str(), |r| r.0.as_str());
        if now_with == step.acting_id {
            continue;
        }
        hand_back(uow, dir, &doc, &request.id, &step, routed).await?;
        moved += 1;
    }
    Ok(moved)
}

/// Moves a pending step whose delegation ended to `routed` (a delegate and the first delegation
/// of the chain that leads there) or, with `None`, back to its approver; records the history
/// event and tells the person who now holds it.
async fn hand_back(
    uow: &UnitOfWork,
    dir: &Directory,
    doc: &crate::entities::approval_document::Model,
    request_id: &str,
    step: &approval_step::Model,
    routed: Option<(String, String)>,
) -> Result<()> {
    let mut active = step.clone().into_active_model();
    active.version = Set(step.version + 1);
    match routed {
        Some((delegate, first)) => {
            active.acting_id = Set(delegate);
            active.delegation_id = Set(Some(first));
        }
        None => {
            active.acting_id = Set(step.approver_id.clone());
            active.delegation_id = Set(None);
            active.marker = Set(None);
        }
    }
    let back = active.update(uow.db()).await?;
    event(
        uow,
        doc,
        Some(request_id),
        None,
        "delegation_ended",
        None,
        Some(format!("back to {}", dir.name(&back.acting_id))),
    )
    .await?;
    notifications::enqueue(
        uow,
        &back.acting_id,
        super::notice::DELEGATION,
        Some(&doc.id),
        format!(
            "{} {} (level {}) is back with you: a delegation ended.",
            doc.number, doc.title, back.level
        ),
    )
    .await?;
    Ok(())
}

/// Pending steps held by `ended`'s delegate through a chain that started with another
/// delegation.
pub(crate) async fn held_through_later_link(
    db: &impl sea_orm::ConnectionTrait,
    ended: &delegation::Model,
) -> Result<Vec<approval_step::Model>> {
    Ok(approval_step::Entity::find()
        .filter(approval_step::Column::ActingId.eq(ended.delegate_id.as_str()))
        .filter(approval_step::Column::Status.eq(StepStatus::Pending))
        .filter(approval_step::Column::DelegationId.is_not_null())
        .filter(approval_step::Column::DelegationId.ne(ended.id.as_str()))
        .filter(approval_step::Column::ApproverId.ne(ended.delegator_id.as_str()))
        .all(db)
        .await?)
}

type StepContext = (
    approval_request::Model,
    crate::entities::approval_document::Model,
    super::policy_format::PolicySpec,
    HashSet<String>,
);

async fn context(uow: &UnitOfWork, step: &approval_step::Model) -> Result<Option<StepContext>> {
    let Some(request) = approval_request::Entity::find_by_id(step.request_id.clone())
        .one(uow.db())
        .await?
    else {
        return Ok(None);
    };
    let doc = crate::documents::load(uow.db(), &request.document_id).await?;
    let spec = crate::approvals::routing::pinned_spec(uow.db(), &request).await?;
    let in_chain = crate::approvals::routing::chain_people(
        &crate::approvals::routing::steps_of(uow.db(), &request.id).await?,
    );
    Ok(Some((request, doc, spec, in_chain)))
}

fn view(
    dir: &Directory,
    d: &delegation::Model,
    now: DateTime<Utc>,
    rerouted: i64,
) -> DelegationView {
    let now_text = format_timestamp(now);
    let state = if d.revoked_at.is_some() {
        "revoked"
    } else if now_text < d.valid_from {
        "scheduled"
    } else if now_text >= d.valid_until {
        "expired"
    } else {
        "active"
    };
    DelegationView {
        id: d.id.clone(),
        delegator_email: dir.email(&d.delegator_id),
        delegator_name: dir.name(&d.delegator_id),
        delegate_email: dir.email(&d.delegate_id),
        delegate_name: dir.name(&d.delegate_id),
        valid_from: d.valid_from.clone(),
        valid_until: d.valid_until.clone(),
        doc_types: d
            .doc_types
            .as_deref()
            .and_then(|t| serde_json::from_str::<Vec<DocumentType>>(t).ok()),
        departments: d.departments.as_deref().map(|t| {
            serde_json::from_str::<Vec<String>>(t)
                .unwrap_or_default()
                .iter()
                .filter_map(|id| dir.department_name(Some(id)))
                .collect()
        }),
        max_amount: d.max_amount.map(|m| m.to_string()),
        revoked_at: d.revoked_at.clone(),
        state: state.into(),
        rerouted_steps: rerouted,
    }
}
