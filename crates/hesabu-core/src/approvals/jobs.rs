//! Scheduled approval work, run "as of" an instant: delegation expiry, auto-approvals,
//! escalations and reminders. The desktop app runs it on start-up and periodically; the CLI
//! runs it with `hesabu jobs run [--as-of]`. Also the reassignment of a deactivated user's steps.
//!
//! Catch-up: each run looks at each pending step once and does at most one thing to it. An
//! overdue step gets one escalation (a `move` restarts its SLA from the run's instant), not one
//! per missed reminder; a step with several reminder (or `notify` escalation) intervals elapsed
//! gets one notice and its counter jumps to the number of intervals elapsed. So after the app
//! was closed for ten days, one run produces one consolidated escalation per step.
//!
//! An escalation either moves the step (`move`, the default) or leaves it with its approver and
//! tells someone (`notify`: the approver's manager, a named user, or the next level's
//! approvers). When an escalation has nobody to go to — the top of the chain, nobody who may
//! take it — every active admin is told. Either way the step's SLA verdict is measured against
//! its original due time (see `actions`).

use crate::entities::StepStatus;
use std::collections::{HashMap, HashSet};

use chrono::Duration;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use super::Directory;
use super::actions::after_decision;
use super::calendar::Calendar;
use super::delegations::{
    held_through_later_link, reroute_pending_of, route_back, route_back_later_link,
};
use super::documents::{at, event};
use super::policy_format::{
    EmptyApprover, EscalationMode, EscalationTarget, LevelMode, LevelSpec, PolicySpec,
};
use super::routing::{advance, delegate_for, resolve};
use super::wire::{Decision, JobRunReport};
use crate::entities::{approval_request, approval_step, delegation};
use hesabu_store::audit::{AuditActor, AuditDraft};
use hesabu_store::auth::Session;
use hesabu_store::clock::format_timestamp;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::{Error, Result};
use hesabu_store::notifications;
use hesabu_store::permissions::Permission;
use hesabu_store::uow::UnitOfWork;

/// Runs the approval jobs as of the file's clock (use a file opened with a `SettableClock` to
/// run as of another instant). Changes are attributed to the system in the audit log.
pub async fn run(file: &CompanyFile, session: &Session) -> Result<JobRunReport> {
    session.require(Permission::JobsRun)?;
    let now = file.clock().now();
    let mut report = JobRunReport {
        as_of: format_timestamp(now),
        reminders: 0,
        escalations: 0,
        auto_approvals: 0,
        returned_from_delegation: 0,
        moved_to_delegates: 0,
    };
    let now_text = format_timestamp(now);

    // Delegations that ended: their steps go back.
    let ended = delegation::Entity::find()
        .filter(delegation::Column::ValidUntil.lte(now_text.as_str()))
        .all(file.reader())
        .await?;
    for d in ended {
        let open = approval_step::Entity::find()
            .filter(approval_step::Column::DelegationId.eq(d.id.as_str()))
            .filter(approval_step::Column::Status.eq(StepStatus::Pending))
            .one(file.reader())
            .await?;
        let later = held_through_later_link(file.reader(), &d).await?;
        if open.is_none() && later.is_empty() {
            continue;
        }
        let mut uow = file.begin_as(AuditActor::system()).await?;
        let dir = Directory::load(uow.db()).await?;
        let n =
            route_back(&uow, &dir, &d.id).await? + route_back_later_link(&uow, &dir, &d).await?;
        if n == 0 {
            continue; // a later link ended, but the chain still leads to the same people
        }
        uow.audit(AuditDraft {
            action: "delegation.expire",
            entity_type: "delegation",
            entity_id: d.id.clone(),
            before: None,
            after: Some(json!({ "valid_until": d.valid_until, "returned_steps": n })),
        })
        .await?;
        uow.commit().await?;
        report.returned_from_delegation += n;
    }

    // Delegations in force now (including scheduled ones that have started): the delegator's
    // pending steps in scope move to the delegate. Creating an active delegation already did
    // this; here it catches the ones that started while nobody was looking.
    let in_force = delegation::Entity::find()
        .filter(delegation::Column::RevokedAt.is_null())
        .filter(delegation::Column::ValidFrom.lte(now_text.as_str()))
        .filter(delegation::Column::ValidUntil.gt(now_text.as_str()))
        .all(file.reader())
        .await?;
    for d in in_force {
        let still_with_delegator = approval_step::Entity::find()
            .filter(approval_step::Column::ApproverId.eq(d.delegator_id.as_str()))
            .filter(approval_step::Column::ActingId.eq(d.delegator_id.as_str()))
            .filter(approval_step::Column::Status.eq(StepStatus::Pending))
            .one(file.reader())
            .await?;
        if still_with_delegator.is_none() {
            continue;
        }
        let mut uow = file.begin_as(AuditActor::system()).await?;
        let dir = Directory::load(uow.db()).await?;
        let n = reroute_pending_of(&uow, &dir, &d.delegator_id).await?;
        if n == 0 {
            continue; // out of scope or blocked: nothing to record
        }
        uow.audit(AuditDraft {
            action: "delegation.start",
            entity_type: "delegation",
            entity_id: d.id.clone(),
            before: None,
            after: Some(json!({ "valid_from": d.valid_from, "moved_steps": n })),
        })
        .await?;
        uow.commit().await?;
        report.moved_to_delegates += n;
    }

    let pending = approval_step::Entity::find()
        .filter(approval_step::Column::Status.eq(StepStatus::Pending))
        .order_by_asc(approval_step::Column::DueAt)
        .all(file.reader())
        .await?;
    // Decide from a read-only snapshot first, so a run over many open steps with nothing due
    // takes no write lock; anything due is re-checked under the lock before it is done.
    let cal = Calendar::load(file.reader()).await?;
    let mut specs: HashMap<String, PolicySpec> = HashMap::new();
    for snapshot in pending {
        let Some(request) = approval_request::Entity::find_by_id(snapshot.request_id.clone())
            .one(file.reader())
            .await?
        else {
            continue;
        };
        if !specs.contains_key(&request.policy_id) {
            let spec = crate::approvals::routing::pinned_spec(file.reader(), &request).await?;
            specs.insert(request.policy_id.clone(), spec);
        }
        let Some(spec) = specs.get(&request.policy_id) else {
            continue;
        };
        let Some(level) = level_of(spec, snapshot.level).cloned() else {
            continue;
        };
        if due_work(&snapshot, &level, &cal, now)?.is_none() {
            continue;
        }
        let mut uow = file.begin_as(AuditActor::system()).await?;
        // Re-read under the write lock: someone may have decided since the snapshot.
        let Some(step) = approval_step::Entity::find_by_id(snapshot.id.clone())
            .one(uow.db())
            .await?
            .filter(|s| s.status == StepStatus::Pending && s.version == snapshot.version)
        else {
            continue;
        };
        let cal = Calendar::load(uow.db()).await?;
        let dir = Directory::load(uow.db()).await?;
        match due_work(&step, &level, &cal, now)? {
            None => continue,
            Some(Work::AutoApprove(days)) => {
                auto_approve(&mut uow, &dir, &cal, spec, &request, &step, days).await?;
                report.auto_approvals += 1;
            }
            Some(Work::Escalate(to)) => {
                escalate(&mut uow, &dir, &cal, spec, &level, &request, &step, &to).await?;
                report.escalations += 1;
            }
            Some(Work::Notify(to, count)) => {
                notify_overdue(&mut uow, &dir, &request, &step, &to, count).await?;
                report.escalations += 1;
            }
            Some(Work::Remind(elapsed)) => {
                remind(&mut uow, &dir, &request, &step, elapsed).await?;
                report.reminders += 1;
            }
        }
        uow.commit().await?;
    }
    Ok(report)
}

/// What a run does to one pending step, if anything: at most one thing.
enum Work {
    AutoApprove(i64),
    /// Move the step (`mode: move`).
    Escalate(EscalationTarget),
    /// Tell someone and leave the step (`mode: notify`); the escalation counter after this one
    /// (the number of intervals elapsed since the due time, capped by the policy's `max`).
    Notify(EscalationTarget, i64),
    /// The reminder counter after this reminder (the number of intervals elapsed).
    Remind(i64),
}

fn due_work(
    step: &approval_step::Model,
    level: &LevelSpec,
    cal: &Calendar,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<Work>> {
    let Some(activated) = step.activated_at.as_deref().map(at).transpose()? else {
        return Ok(None);
    };
    let due = step.due_at.as_deref().map(at).transpose()?;
    if let Some(days) = level.auto_approve_after_days
        && now >= activated + Duration::days(days)
    {
        return Ok(Some(Work::AutoApprove(days)));
    }
    if let (Some(due), Some(esc)) = (due, &level.escalation)
        && now > due
        && step.escalations < esc.max
    {
        match esc.mode() {
            EscalationMode::Move => return Ok(Some(Work::Escalate(esc.to.clone()))),
            EscalationMode::Notify => {
                // The step keeps its due time; the n-th notice is due (n - 1) SLAs after it.
                let mut count = step.escalations;
                while count < esc.max
                    && (count == 0 || now > cal.add_business_hours(due, level.sla_hours * count))
                {
                    count += 1;
                }
                if count > step.escalations {
                    return Ok(Some(Work::Notify(esc.to.clone(), count)));
                }
            }
        }
    }
    if let Some(reminder) = &level.reminder {
        let mut elapsed = step.reminders_sent;
        while elapsed < reminder.max
            && cal.add_business_hours(activated, reminder.after_hours * (elapsed + 1)) <= now
        {
            elapsed += 1;
        }
        if elapsed > step.reminders_sent {
            return Ok(Some(Work::Remind(elapsed)));
        }
    }
    Ok(None)
}

fn level_of(spec: &PolicySpec, level: i64) -> Option<&LevelSpec> {
    usize::try_from(level - 1)
        .ok()
        .and_then(|i| spec.levels.get(i))
}

async fn auto_approve(
    uow: &mut UnitOfWork,
    dir: &Directory,
    cal: &Calendar,
    spec: &PolicySpec,
    request: &approval_request::Model,
    step: &approval_step::Model,
    days: i64,
) -> Result<()> {
    let doc = crate::documents::load(uow.db(), &request.document_id).await?;
    let comment = format!("Auto-approved by the system after {days} days, as the policy allows.");
    let mut active = step.clone().into_active_model();
    active.status = Set(StepStatus::Approved);
    active.version = Set(step.version + 1);
    active.decided_at = Set(Some(uow.now_text()));
    active.comment = Set(Some(comment.clone()));
    active.sla_met = Set(Some(false));
    let decided = active.update(uow.db()).await?;
    event(
        uow,
        &doc,
        None,
        Some(&decided),
        "auto_approved",
        Some(false),
        Some(comment),
    )
    .await?;
    let (doc, status, _) = after_decision(
        uow,
        dir,
        cal,
        spec,
        doc,
        request,
        &decided,
        Decision::Approve,
    )
    .await?;
    uow.audit(AuditDraft {
        action: "approval.auto_approve",
        entity_type: "approval_step",
        entity_id: decided.id.clone(),
        before: Some(json!({ "status": StepStatus::Pending })),
        after: Some(json!({ "document": doc.number, "level": decided.level, "after_days": days, "request_status": status })),
    })
    .await
}

#[allow(clippy::too_many_arguments)]
async fn escalate(
    uow: &mut UnitOfWork,
    dir: &Directory,
    cal: &Calendar,
    spec: &PolicySpec,
    level: &LevelSpec,
    request: &approval_request::Model,
    step: &approval_step::Model,
    to: &EscalationTarget,
) -> Result<()> {
    let doc = crate::documents::load(uow.db(), &request.document_id).await?;
    let steps = crate::approvals::routing::steps_of(uow.db(), &request.id).await?;
    let new_due = format_timestamp(cal.add_business_hours(uow.now(), level.sla_hours));
    let overdue_since = step.due_at.clone().unwrap_or_default();
    let later_level_waiting = steps
        .iter()
        .any(|s| s.status == StepStatus::Waiting && s.level > step.level);

    if matches!(to, EscalationTarget::NextLevel) && later_level_waiting {
        // Skip this level, recorded as escalated, and open the next one.
        let mut active = step.clone().into_active_model();
        active.status = Set(StepStatus::Skipped);
        active.marker = Set(Some("escalated".into()));
        active.version = Set(step.version + 1);
        active.escalations = Set(step.escalations + 1);
        let skipped = active.update(uow.db()).await?;
        event(
            uow,
            &doc,
            None,
            Some(&skipped),
            "escalated_to_next_level",
            Some(false),
            Some(format!("overdue since {overdue_since}")),
        )
        .await?;
        notifications::enqueue(
            uow,
            &step.acting_id,
            super::notice::ESCALATION,
            Some(&doc.id),
            format!(
                "{} {} was overdue at level {} and has moved to the next level.",
                doc.number, doc.title, step.level
            ),
        )
        .await?;
        let next = advance(uow, dir, cal, spec, &doc, request).await?;
        return uow
            .audit(AuditDraft {
                action: "approval.escalate",
                entity_type: "approval_step",
                entity_id: step.id.clone(),
                before: Some(json!({ "status": StepStatus::Pending, "due_at": overdue_since })),
                after: Some(
                    json!({ "document": doc.number, "to": "next_level", "pending_level": next }),
                ),
            })
            .await;
    }

    let in_chain = crate::approvals::routing::chain_people(&steps);
    // Not the requester, not someone already in the chain (unless repeats are allowed), and not
    // someone already holding another open step of this request.
    let may_take = |id: &str| {
        dir.is_active(id)
            && id != doc.requester_id
            && id != step.acting_id
            && (spec.allow_repeat_approver || !in_chain.contains(id) || id == step.approver_id)
            && !steps.iter().any(|s| {
                s.id != step.id
                    && s.acting_id == id
                    && (s.status == StepStatus::Pending || s.status == StepStatus::Waiting)
            })
    };
    let named = match to {
        EscalationTarget::User { email } => dir.by_email(email).map(|u| u.id.clone()),
        EscalationTarget::Manager | EscalationTarget::NextLevel => dir
            .users
            .get(&step.acting_id)
            .and_then(|u| u.manager_id.clone()),
    };
    let target = named
        .filter(|id| may_take(id))
        .or_else(|| dir.admins().into_iter().find(|id| may_take(id)));

    let mut active = step.clone().into_active_model();
    active.version = Set(step.version + 1);
    active.escalations = Set(step.escalations + 1);
    active.due_at = Set(Some(new_due.clone()));
    // The step starts afresh with its holder: reminders (and any auto-approval) count from now.
    active.activated_at = Set(Some(uow.now_text()));
    active.reminders_sent = Set(0);
    if let Some(target) = &target {
        active.acting_id = Set(target.clone());
        active.delegation_id = Set(None);
        active.marker = Set(Some("escalated".into()));
    }
    let escalated = active.update(uow.db()).await?;
    let comment = match &target {
        Some(t) => format!("to {} (overdue since {overdue_since})", dir.name(t)),
        None => format!("overdue since {overdue_since}; nobody else may take it, so it stays"),
    };
    event(
        uow,
        &doc,
        None,
        Some(&escalated),
        "escalated",
        None,
        Some(comment),
    )
    .await?;
    let message = format!(
        "{} {} is overdue at level {} (due {overdue_since}){}.",
        doc.number,
        doc.title,
        step.level,
        target
            .as_ref()
            .map(|t| format!(" and was escalated to {}", dir.name(t)))
            .unwrap_or_default()
    );
    // Nobody may take it: the admins are told, so that someone with the authority to act does.
    let admins = if target.is_none() {
        dir.admins()
    } else {
        Vec::new()
    };
    let mut told = HashSet::new();
    for who in target
        .iter()
        .chain([&step.acting_id, &step.approver_id])
        .chain(admins.iter())
    {
        if told.insert(who.clone()) {
            notifications::enqueue(
                uow,
                who,
                super::notice::ESCALATION,
                Some(&doc.id),
                message.clone(),
            )
            .await?;
        }
    }
    uow.audit(AuditDraft {
        action: "approval.escalate",
        entity_type: "approval_step",
        entity_id: step.id.clone(),
        before: Some(json!({ "acting": dir.email(&step.acting_id), "due_at": overdue_since })),
        after: Some(json!({
            "document": doc.number,
            "acting": dir.email(&escalated.acting_id),
            "due_at": new_due,
            "escalations": escalated.escalations,
        })),
    })
    .await
}

/// A `notify` escalation: the step stays with its holder, keeps its due time (the SLA verdict
/// is against it) and its reminders; the target is told — the holder's manager, a named user,
/// or the next level's approvers — and so are the holder and the approver. With no target (the
/// top of the chain, no manager, an inactive user) every active admin is told instead.
/// Recorded in the document's history as `escalation_notice`.
async fn notify_overdue(
    uow: &mut UnitOfWork,
    dir: &Directory,
    request: &approval_request::Model,
    step: &approval_step::Model,
    to: &EscalationTarget,
    count: i64,
) -> Result<()> {
    let doc = crate::documents::load(uow.db(), &request.document_id).await?;
    let steps = crate::approvals::routing::steps_of(uow.db(), &request.id).await?;
    let holder = dir.name(&step.acting_id);
    // Someone to tell: active, not the requester, not the holder.
    let may_hear =
        |id: &String| dir.is_active(id) && *id != doc.requester_id && *id != step.acting_id;
    let (targets, as_who): (Vec<String>, String) = match to {
        EscalationTarget::Manager => {
            let ids: Vec<String> = dir
                .users
                .get(&step.acting_id)
                .and_then(|u| u.manager_id.clone())
                .filter(may_hear)
                .into_iter()
                .collect();
            (ids, format!("{holder}'s manager"))
        }
        EscalationTarget::User { email } => (
            dir.by_email(email)
                .map(|u| u.id.clone())
                .filter(may_hear)
                .into_iter()
                .collect(),
            "named in the policy".to_owned(),
        ),
        EscalationTarget::NextLevel => {
            let next = steps
                .iter()
                .filter(|s| s.status == StepStatus::Waiting && s.level > step.level)
                .map(|s| s.level)
                .min();
            let mut ids: Vec<String> = steps
                .iter()
                .filter(|s| Some(s.level) == next)
                .map(|s| s.acting_id.clone())
                .filter(may_hear)
                .collect();
            ids.dedup();
            (ids, "the next level's approver".to_owned())
        }
    };
    let names = |ids: &[String]| {
        ids.iter()
            .map(|id| dir.name(id))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (told_ids, told_words) = if targets.is_empty() {
        let admins = dir.admins();
        let why = match to {
            EscalationTarget::NextLevel => "there is no higher level".to_owned(),
            EscalationTarget::Manager => format!("{holder} has no manager who may be told"),
            EscalationTarget::User { .. } => {
                "the user the policy names may not be told (inactive, or the requester)".into()
            }
        };
        let words = format!("{why}, so the admins ({}) are told", names(&admins));
        (admins, words)
    } else {
        let words = format!("{} ({as_who}) told", names(&targets));
        (targets, words)
    };
    let zone = company_zone(uow).await?;
    let due = step
        .due_at
        .as_deref()
        .map(|d| hesabu_store::export::local_time(d, zone))
        .unwrap_or_default();
    let level = format!("level {} ({})", step.level, step.level_name);
    let mut active = step.clone().into_active_model();
    active.version = Set(step.version + 1);
    active.escalations = Set(count);
    let noted = active.update(uow.db()).await?;
    event(
        uow,
        &doc,
        None,
        Some(&noted),
        "escalation_notice",
        None,
        Some(format!(
            "{} told; it stays with {holder} (due {due})",
            names(&told_ids)
        )),
    )
    .await?;
    let message = format!(
        "{} {} is overdue at {level} with {holder} (due {due}): {told_words}. It stays with \
         {holder}.",
        doc.number, doc.title
    );
    let mut told = HashSet::new();
    for who in told_ids.iter().chain([&step.acting_id, &step.approver_id]) {
        if told.insert(who.clone()) {
            notifications::enqueue(
                uow,
                who,
                super::notice::ESCALATION,
                Some(&doc.id),
                message.clone(),
            )
            .await?;
        }
    }
    uow.audit(AuditDraft {
        action: "approval.escalate",
        entity_type: "approval_step",
        entity_id: step.id.clone(),
        before: Some(json!({ "escalations": step.escalations, "due_at": step.due_at })),
        after: Some(json!({
            "document": doc.number,
            "mode": "notify",
            "acting": dir.email(&step.acting_id),
            "told": told_ids.iter().map(|id| dir.email(id)).collect::<Vec<_>>(),
            "escalations": count,
        })),
    })
    .await
}

/// The company's time zone, for the times in notices.
async fn company_zone(uow: &UnitOfWork) -> Result<chrono_tz::Tz> {
    let company = crate::company::load(uow.db()).await?;
    Ok(company
        .time_zone
        .parse()
        .unwrap_or(chrono_tz::Africa::Nairobi))
}

async fn remind(
    uow: &mut UnitOfWork,
    dir: &Directory,
    request: &approval_request::Model,
    step: &approval_step::Model,
    sent: i64,
) -> Result<()> {
    let doc = crate::documents::load(uow.db(), &request.document_id).await?;
    let mut active = step.clone().into_active_model();
    active.reminders_sent = Set(sent);
    active.version = Set(step.version + 1);
    active.update(uow.db()).await?;
    notifications::enqueue(
        uow,
        &step.acting_id,
        super::notice::REMINDER,
        Some(&doc.id),
        format!(
            "Reminder: {} {} from {} is waiting for your approval (level {}, due {}).",
            doc.number,
            doc.title,
            dir.name(&doc.requester_id),
            step.level,
            step.due_at.clone().unwrap_or_default()
        ),
    )
    .await?;
    uow.audit(AuditDraft {
        action: "approval.remind",
        entity_type: "approval_step",
        entity_id: step.id.clone(),
        before: Some(json!({ "reminders_sent": step.reminders_sent })),
        after: Some(json!({ "document": doc.number, "reminders_sent": sent })),
    })
    .await
}

/// Called by `users::deactivate` inside its unit of work: moves the user's open steps.
/// A step they hold for someone else (delegation, escalation) goes back to its approver. A step
/// that is theirs is re-resolved from the pinned policy level without them; a pool member's
/// step is dropped while others remain; when nobody else qualifies, the level's empty-approver
/// policy applies — except that `fail` cannot refuse a deactivation, so it routes to an admin.
/// Returns how many steps moved.
pub(crate) async fn reassign_for_deactivated(uow: &UnitOfWork, user_id: &str) -> Result<i64> {
    let open = approval_step::Entity::find()
        .filter(approval_step::Column::Status.is_in([StepStatus::Pending, StepStatus::Waiting]))
        .filter(
            sea_orm::Condition::any()
                .add(approval_step::Column::ApproverId.eq(user_id))
                .add(approval_step::Column::ActingId.eq(user_id)),
        )
        .all(uow.db())
        .await?;
    if open.is_empty() {
        return Ok(0);
    }
    let dir = Directory::load(uow.db()).await?;
    let cal = Calendar::load(uow.db()).await?;
    let mut moved = 0;
    for step in open {
        let Some(request) = approval_request::Entity::find_by_id(step.request_id.clone())
            .one(uow.db())
            .await?
        else {
            continue;
        };
        let doc = crate::documents::load(uow.db(), &request.document_id).await?;
        let spec = crate::approvals::routing::pinned_spec(uow.db(), &request).await?;
        let steps = crate::approvals::routing::steps_of(uow.db(), &request.id).await?;
        let in_chain = crate::approvals::routing::chain_people(&steps);
        let mut active = step.clone().into_active_model();
        active.version = Set(step.version + 1);

        if step.approver_id != user_id {
            // They held it for someone else: back to the approver (or their delegate).
            let routed = delegate_for(
                uow.db(),
                &dir,
                &spec,
                &doc,
                &step.approver_id,
                &in_chain,
                uow.now(),
            )
            .await?;
            let acting = routed
                .as_ref()
                .map_or(step.approver_id.clone(), |r| r.0.clone());
            active.acting_id = Set(acting.clone());
            active.delegation_id = Set(routed.map(|r| r.1));
            active.marker = Set(None);
            let back = active.update(uow.db()).await?;
            event(
                uow,
                &doc,
                None,
                Some(&back),
                "reassigned",
                None,
                Some(format!(
                    "{} was deactivated; back to {}",
                    dir.name(user_id),
                    dir.name(&acting)
                )),
            )
            .await?;
            moved += 1;
            continue;
        }
        let pool_others = step.mode == LevelMode::AnyOne.as_str()
            && steps.iter().any(|s| {
                s.id != step.id
                    && s.level == step.level
                    && (s.status == StepStatus::Pending || s.status == StepStatus::Waiting)
            });
        if pool_others {
            active.status = Set(StepStatus::Cancelled);
            let dropped = active.update(uow.db()).await?;
            event(
                uow,
                &doc,
                None,
                Some(&dropped),
                "reassigned",
                None,
                Some(format!(
                    "{} was deactivated; the rest of the pool decides",
                    dir.name(user_id)
                )),
            )
            .await?;
            moved += 1;
            continue;
        }
        let Some(level) = level_of(&spec, step.level) else {
            continue;
        };
        let (found, why) = resolve(level, &dir, &doc);
        let usable = |ids: Vec<String>| -> Vec<String> {
            ids.into_iter()
                .filter(|id| id != user_id && *id != doc.requester_id)
                .filter(|id| spec.allow_repeat_approver || !in_chain.contains(id))
                .collect()
        };
        let mut replacement = usable(found).into_iter().next();
        let mut reason = format!("{why} (replacing {}, deactivated)", dir.name(user_id));
        if replacement.is_none() {
            let later = steps
                .iter()
                .any(|s| s.status == StepStatus::Waiting && s.level > step.level);
            if level.if_empty == EmptyApprover::NextLevel && later {
                active.status = Set(StepStatus::Skipped);
                let skipped = active.update(uow.db()).await?;
                event(uow, &doc, None, Some(&skipped), "reassigned", None, Some(format!("{} was deactivated and nobody else is the {why}; this level is skipped per the policy", dir.name(user_id)))).await?;
                if step.status == StepStatus::Pending {
                    advance(uow, &dir, &cal, &spec, &doc, &request).await?;
                }
                moved += 1;
                continue;
            }
            replacement = usable(dir.admins()).into_iter().next();
            reason = format!(
                "routed to an admin: {} was deactivated and nobody else is the {why}",
                dir.name(user_id)
            );
        }
        let Some(new_approver) = replacement else {
            return Err(Error::invalid(format!(
                "{} cannot be deactivated yet: they hold level {} of {} and nobody else can take \
                 it. Add an approver (or another admin) first.",
                dir.name(user_id),
                step.level,
                doc.number
            )));
        };
        let routed = if step.status == StepStatus::Pending {
            delegate_for(
                uow.db(),
                &dir,
                &spec,
                &doc,
                &new_approver,
                &in_chain,
                uow.now(),
            )
            .await?
        } else {
            None
        };
        active.approver_id = Set(new_approver.clone());
        active.acting_id = Set(routed
            .as_ref()
            .map_or(new_approver.clone(), |r| r.0.clone()));
        active.delegation_id = Set(routed.map(|r| r.1));
        active.why = Set(format!(
            "{} Level {} ('{}'): {reason}.",
            request.explain, step.level, step.level_name
        ));
        let moved_step = active.update(uow.db()).await?;
        event(
            uow,
            &doc,
            None,
            None,
            "reassigned",
            None,
            Some(format!(
                "level {} from {} to {}",
                step.level,
                dir.name(user_id),
                dir.name(&new_approver)
            )),
        )
        .await?;
        if moved_step.status == StepStatus::Pending {
            notifications::enqueue(
                uow,
                &moved_step.acting_id,
                super::notice::APPROVAL_REQUEST,
                Some(&doc.id),
                format!(
                    "{} {} needs your approval (level {}): {} was deactivated.",
                    doc.number,
                    doc.title,
                    step.level,
                    dir.name(user_id)
                ),
            )
            .await?;
        }
        moved += 1;
    }
    Ok(moved)
}
