//! What approvers do: approve, reject, return, request clarification, delegate a step; their
//! inbox; a document's history; bulk approve.
//!
//! Someone who may not see a document learns nothing about it from a refusal: acting on its
//! request is answered "not waiting for you, or does not exist", never with its number, title,
//! amount, department or approvers, and a bulk approval with nothing waiting for the caller is
//! refused before any of the requests is read.
//!
//! A decision is a compare-and-swap on the step's `version` inside the unit of work: the step is
//! read under the write lock, checked against the version the approver saw, and updated with
//! `WHERE version = ?`. Two approvers (or a double click) racing on one step yield exactly one
//! decision; the loser is told who decided and when.

use crate::entities::{RequestStatus, StepStatus};
use std::collections::{HashMap, HashSet};

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;

use super::Directory;
use super::budget_hooks::{self, BudgetEvent};
use super::calendar::Calendar;
use super::documents::{self, at, event, set_status};
use super::policy_format::{LevelMode, PolicySpec};
use super::routing::{advance, close_request, steps_of};
use super::wire::{
    ActionInput, ActionResult, BulkFailure, BulkResult, Decision, DocumentType, HistoryEntry,
    InboxItem, SlaCompliance,
};
use crate::documents::state::Transition;
use crate::entities::{approval_document, approval_event, approval_request, approval_step};
use hesabu_store::audit::AuditDraft;
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::{Error, Result};
use hesabu_store::limits::{NOTE, check_text, excerpt};
use hesabu_store::notifications;
use hesabu_store::permissions::Permission;
use hesabu_store::uow::UnitOfWork;

/// Whether decisions check the step's version. Always true in the product. The `race-demo`
/// feature builds the naive variant (step read before the transaction, no version predicate) so
/// the race test can show that it then records two decisions; see tests/it/approvals.rs.
const CHECK_VERSION: bool = !cfg!(feature = "race-demo");

/// How many approval steps decided since `since` (optionally: by `decided_by`) have an SLA
/// verdict, and how many of those met it. The one place SLA compliance is counted: the
/// dashboard tile and the monitor both read it.
pub async fn sla_counts(
    db: &impl ConnectionTrait,
    since: &str,
    decided_by: Option<&str>,
) -> Result<(i64, i64)> {
    let mut sql = String::from(
        "SELECT COUNT(*) AS n, COALESCE(SUM(CASE WHEN sla_met THEN 1 ELSE 0 END), 0) AS met \
         FROM approval_step WHERE sla_met IS NOT NULL AND decided_at >= ?",
    );
    let mut values: Vec<sea_orm::Value> = vec![since.into()];
    if let Some(user) = decided_by {
        sql.push_str(" AND decided_by = ?");
        values.push(user.into());
    }
    let row = db
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            db.get_database_backend(),
            sql,
            values,
        ))
        .await?;
    Ok(match row {
        Some(r) => (r.try_get::<i64>("", "n")?, r.try_get::<i64>("", "met")?),
        None => (0, 0),
    })
}

/// Acts on the signed-in user's pending step of `request_id`.
pub async fn act(
    file: &CompanyFile,
    session: &Session,
    request_id: &str,
    input: &ActionInput,
) -> Result<ActionResult> {
    session.require(Permission::ApprovalAct)?;
    let comment = input
        .comment
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned);
    if let Some(c) = &comment {
        check_text("comment", c, NOTE)?;
    }
    match (input.decision, &comment) {
        (Decision::Reject, None) => {
            return Err(Error::invalid(
                "A rejection needs a reason: pass --comment \"why\".",
            ));
        }
        (Decision::Return, None) => {
            return Err(Error::invalid(
                "Returning for revision needs a comment saying what to change.",
            ));
        }
        (Decision::Clarify, None) => {
            return Err(Error::invalid(
                "A clarification request needs the question: pass --comment \"question\".",
            ));
        }
        _ => {}
    }
    // The naive variant reads the step before taking the write lock, as a screen would.
    let stale = if CHECK_VERSION {
        None
    } else {
        my_pending_step(file.reader(), request_id, session.user_id()).await?
    };

    let mut uow = file.begin(session).await?;
    let request = approval_request::Entity::find_by_id(request_id.trim().to_owned())
        .one(uow.db())
        .await?
        .ok_or_else(|| {
            Error::NotFound(format!(
                "There is no approval request {}. Check the id in hesabu approval inbox.",
                excerpt(request_id)
            ))
        })?;
    let doc = crate::documents::load(uow.db(), &request.document_id).await?;
    if documents::ensure_visible(uow.db(), session, &doc)
        .await
        .is_err()
    {
        return Err(not_yours(request_id));
    }
    let dir = Directory::load(uow.db()).await?;
    let steps = steps_of(uow.db(), &request.id).await?;
    let me = session.user_id();

    let step = match stale {
        Some(step) => step,
        None => steps
            .iter()
            .find(|s| s.status == StepStatus::Pending && s.acting_id == me)
            .cloned()
            .ok_or_else(|| not_with_you(&dir, &doc, &request, &steps, me))?,
    };
    if CHECK_VERSION
        && let Some(expected) = input.expected_version
        && expected != step.version
    {
        return Err(already_decided(&dir, &doc, &steps, &step));
    }
    if doc.requester_id == me {
        return Err(Error::PermissionDenied(format!(
            "Cannot approve own submission: you raised {}. It needs someone else.",
            doc.number
        )));
    }
    let spec = crate::approvals::routing::pinned_spec(uow.db(), &request).await?;
    if input.decision == Decision::Approve && !spec.allow_repeat_approver {
        counts_once(&dir, &steps, &step, me)?;
    }
    if input.decision == Decision::Delegate {
        let target =
            delegate_step(&mut uow, &dir, &spec, &doc, &steps, &step, input, comment).await?;
        uow.commit().await?;
        return Ok(target);
    }

    let sla_met = sla_verdict(&step, uow.now())?;
    let new_status = match input.decision {
        Decision::Approve => StepStatus::Approved,
        Decision::Reject => StepStatus::Rejected,
        Decision::Return => StepStatus::Returned,
        Decision::Clarify => StepStatus::ClarificationRequested,
        Decision::Delegate => unreachable!("handled above"),
    };
    let mut update = approval_step::Entity::update_many()
        .col_expr(approval_step::Column::Status, new_status.into())
        .col_expr(approval_step::Column::Version, (step.version + 1).into())
        .col_expr(approval_step::Column::DecidedBy, Some(me.to_owned()).into())
        .col_expr(
            approval_step::Column::DecidedAt,
            Some(uow.now_text()).into(),
        )
        .col_expr(approval_step::Column::Comment, comment.clone().into())
        .col_expr(approval_step::Column::SlaMet, sla_met.into())
        .filter(approval_step::Column::Id.eq(step.id.as_str()));
    if CHECK_VERSION {
        update = update
            .filter(approval_step::Column::Version.eq(step.version))
            .filter(approval_step::Column::Status.eq(StepStatus::Pending));
    }
    let swapped = update.exec(uow.db()).await?.rows_affected;
    if swapped != 1 {
        let fresh = steps_of(uow.db(), &request.id).await?;
        return Err(already_decided(&dir, &doc, &fresh, &step));
    }
    let decided = approval_step::Entity::find_by_id(step.id.clone())
        .one(uow.db())
        .await?
        .ok_or_else(|| Error::Internal("a decided step vanished".into()))?;
    event(
        &uow,
        &doc,
        None,
        Some(&decided),
        input.decision.as_str(),
        sla_met,
        comment.clone(),
    )
    .await?;
    let cal = Calendar::load(uow.db()).await?;
    let (doc, request_status, pending_level) = after_decision(
        &mut uow,
        &dir,
        &cal,
        &spec,
        doc,
        &request,
        &decided,
        input.decision,
    )
    .await?;
    uow.audit(AuditDraft {
        action: match input.decision {
            Decision::Approve => "approval.approve",
            Decision::Reject => "approval.reject",
            Decision::Return => "approval.return",
            Decision::Clarify => "approval.clarify",
            Decision::Delegate => "approval.delegate",
        },
        entity_type: "approval_step",
        entity_id: decided.id.clone(),
        before: Some(json!({ "status": StepStatus::Pending, "version": step.version })),
        after: Some(json!({
            "document": doc.number,
            "level": decided.level,
            "status": decided.status,
            "version": decided.version,
            "on_behalf_of": (decided.approver_id != me).then(|| dir.email(&decided.approver_id)),
            "comment": comment,
            "sla_met": sla_met,
            "document_status": doc.status,
        })),
    })
    .await?;
    uow.commit().await?;
    Ok(ActionResult {
        request_id: request.id,
        step_id: decided.id,
        document_id: doc.id.clone(),
        decision: input.decision,
        document_status: doc.status,
        request_status: request_status.to_string(),
        pending_level,
    })
}

/// Whether a decision at `now` on `step` met its SLA, measured against the step's original due
/// time. An escalation that moves a step gives its new holder a fresh `due_at`, but it only
/// happens once the step is overdue — so a step escalated at least once was decided after its
/// original due time, however soon the new holder acted. `None` for a step with no due time.
fn sla_verdict(
    step: &approval_step::Model,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<bool>> {
    step.due_at
        .as_deref()
        .map(|due| Ok::<bool, Error>(step.escalations == 0 && now <= at(due)?))
        .transpose()
}

/// Moves the chain on after a recorded decision on `decided`.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn after_decision(
    uow: &mut UnitOfWork,
    dir: &Directory,
    cal: &Calendar,
    spec: &PolicySpec,
    doc: approval_document::Model,
    request: &approval_request::Model,
    decided: &approval_step::Model,
    decision: Decision,
) -> Result<(approval_document::Model, RequestStatus, Option<i64>)> {
    let (transition, request_status, budget_event) = match decision {
        Decision::Approve => {
            if decided.mode == LevelMode::AnyOne.as_str() {
                // The pool's other members no longer need to act.
                approval_step::Entity::update_many()
                    .col_expr(
                        approval_step::Column::Status,
                        StepStatus::Skipped.as_str().into(),
                    )
                    .col_expr(
                        approval_step::Column::Version,
                        sea_orm::sea_query::ExprTrait::add(
                            sea_orm::sea_query::Expr::col(approval_step::Column::Version),
                            1,
                        ),
                    )
                    .filter(approval_step::Column::RequestId.eq(request.id.as_str()))
                    .filter(approval_step::Column::Level.eq(decided.level))
                    .filter(
                        approval_step::Column::Status
                            .is_in([StepStatus::Waiting, StepStatus::Pending]),
                    )
                    .exec(uow.db())
                    .await?;
            }
            let next = advance(uow, dir, cal, spec, &doc, request).await?;
            if next.is_some() {
                return Ok((doc, RequestStatus::Pending, next));
            }
            (
                Transition::FinalApprove,
                RequestStatus::Approved,
                BudgetEvent::FinalApproved,
            )
        }
        Decision::Reject => (
            Transition::Reject,
            RequestStatus::Rejected,
            BudgetEvent::Rejected,
        ),
        Decision::Return => (
            Transition::Return,
            RequestStatus::Returned,
            BudgetEvent::Returned,
        ),
        Decision::Clarify => (
            Transition::Clarify,
            RequestStatus::ClarificationRequested,
            BudgetEvent::ClarificationRequested,
        ),
        Decision::Delegate => return Ok((doc, RequestStatus::Pending, Some(decided.level))),
    };
    close_request(uow, request, request_status).await?;
    let doc = set_status(uow, doc, transition).await?;
    budget_hooks::on_document_event(uow, &doc, budget_event).await?;
    let is_sale = crate::sales::documents::exists(uow.db(), &doc.id).await?;
    match transition {
        // A sale's approval request: approved issues the sale (numbered, and its own event is
        // what the e-TIMS workflows match); rejected or returned makes it a draft again.
        Transition::FinalApprove if is_sale => {
            crate::sales::documents::issue_in(uow, &doc.id, true).await?;
        }
        Transition::Reject | Transition::Return if is_sale => {
            crate::sales::documents::back_to_draft(uow, &doc.id).await?;
        }
        Transition::FinalApprove => {
            // Workflows (invoice_sync) match this event in the same unit of work.
            crate::workflows::events::record(
                uow,
                super::documents::document_event(&doc, crate::workflows::EventType::Approved),
            )
            .await?;
        }
        _ => {}
    }
    let by = uow
        .actor()
        .id
        .as_deref()
        .map_or_else(|| "the system".to_owned(), |id| dir.name(id));
    let message = match decision {
        Decision::Approve => format!("{} {} is approved.", doc.number, doc.title),
        Decision::Reject => format!(
            "{} {} was rejected by {by}: {}",
            doc.number,
            doc.title,
            decided.comment.clone().unwrap_or_default()
        ),
        Decision::Return => format!(
            "{} {} was returned for revision by {by}: {}",
            doc.number,
            doc.title,
            decided.comment.clone().unwrap_or_default()
        ),
        _ => format!(
            "{by} asks about {} {}: {}",
            doc.number,
            doc.title,
            decided.comment.clone().unwrap_or_default()
        ),
    };
    notifications::enqueue(
        uow,
        &doc.requester_id,
        super::notice::DECISION,
        Some(&doc.id),
        message,
    )
    .await?;
    Ok((doc, request_status, None))
}

/// One person (or their delegate) counts once across the chain.
fn counts_once(
    dir: &Directory,
    steps: &[approval_step::Model],
    step: &approval_step::Model,
    me: &str,
) -> Result<()> {
    let persons = |s: &approval_step::Model| {
        let mut p = vec![s.approver_id.clone()];
        p.extend(s.decided_by.clone());
        p
    };
    let mine: HashSet<String> = [me.to_owned(), step.approver_id.clone()].into();
    if let Some(other) = steps
        .iter()
        .filter(|s| s.id != step.id && s.status == StepStatus::Approved)
        .find(|s| persons(s).iter().any(|p| mine.contains(p)))
    {
        return Err(Error::Conflict(format!(
            "One person counts once in an approval chain: {} already approved level {} ('{}') \
             of this request. Delegate this step to someone else.",
            dir.name(other.decided_by.as_deref().unwrap_or(&other.approver_id)),
            other.level,
            other.level_name
        )));
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn delegate_step(
    uow: &mut UnitOfWork,
    dir: &Directory,
    spec: &PolicySpec,
    doc: &approval_document::Model,
    steps: &[approval_step::Model],
    step: &approval_step::Model,
    input: &ActionInput,
    comment: Option<String>,
) -> Result<ActionResult> {
    let email = input.delegate_to.as_deref().unwrap_or_default();
    let target = dir
        .by_email(email)
        .filter(|u| u.active)
        .ok_or_else(|| {
            Error::invalid(format!(
                "Delegate to whom? '{}' is not an active user of this company file.",
                excerpt(email)
            ))
        })?
        .clone();
    if target.id == doc.requester_id {
        return Err(Error::invalid(format!(
            "{} raised {}: they cannot approve it. Delegate to someone else.",
            target.name, doc.number
        )));
    }
    if target.id == step.acting_id {
        return Err(Error::invalid("The step is already with that user."));
    }
    if !spec.allow_repeat_approver
        && steps.iter().any(|s| {
            s.id != step.id
                && (s.approver_id == target.id || s.decided_by.as_deref() == Some(&target.id))
        })
    {
        return Err(Error::invalid(format!(
            "{} is already in this approval chain, and one person counts once. Delegate to \
             someone else.",
            target.name
        )));
    }
    let swapped = approval_step::Entity::update_many()
        .col_expr(approval_step::Column::ActingId, target.id.clone().into())
        .col_expr(
            approval_step::Column::Marker,
            Some("delegated".to_owned()).into(),
        )
        .col_expr(
            approval_step::Column::DelegationId,
            Option::<String>::None.into(),
        )
        .col_expr(approval_step::Column::Version, (step.version + 1).into())
        .filter(approval_step::Column::Id.eq(step.id.as_str()))
        .filter(approval_step::Column::Version.eq(step.version))
        .filter(approval_step::Column::Status.eq(StepStatus::Pending))
        .exec(uow.db())
        .await?
        .rows_affected;
    if swapped != 1 {
        return Err(already_decided(dir, doc, steps, step));
    }
    event(
        uow,
        doc,
        None,
        Some(step),
        "delegated",
        None,
        Some(format!(
            "to {}{}",
            target.name,
            comment
                .as_deref()
                .map(|c| format!(": {c}"))
                .unwrap_or_default()
        )),
    )
    .await?;
    notifications::enqueue(
        uow,
        &target.id,
        super::notice::DELEGATION,
        Some(&doc.id),
        format!(
            "{} delegated {} {} (level {}) to you.",
            dir.name(&step.acting_id),
            doc.number,
            doc.title,
            step.level
        ),
    )
    .await?;
    uow.audit(AuditDraft {
        action: "approval.delegate",
        entity_type: "approval_step",
        entity_id: step.id.clone(),
        before: Some(json!({ "acting": dir.email(&step.acting_id), "version": step.version })),
        after: Some(
            json!({ "acting": target.email, "version": step.version + 1, "comment": comment }),
        ),
    })
    .await?;
    Ok(ActionResult {
        request_id: step.request_id.clone(),
        step_id: step.id.clone(),
        document_id: doc.id.clone(),
        decision: Decision::Delegate,
        document_status: doc.status,
        request_status: RequestStatus::Pending.to_string(),
        pending_level: Some(step.level),
    })
}

fn already_decided(
    dir: &Directory,
    doc: &approval_document::Model,
    steps: &[approval_step::Model],
    step: &approval_step::Model,
) -> Error {
    let fresh = steps.iter().find(|s| s.id == step.id).unwrap_or(step);
    match (&fresh.decided_by, &fresh.decided_at) {
        (Some(by), Some(when)) => Error::Conflict(format!(
            "Already decided by {} at {when} ({}): {} level {} needs nothing more from you.",
            dir.name(by),
            fresh.status,
            doc.number,
            fresh.level
        )),
        _ => Error::Conflict(format!(
            "{} level {} changed since you opened it (it is now {} and with {}). Refresh and \
             try again.",
            doc.number,
            fresh.level,
            fresh.status,
            dir.name(&fresh.acting_id)
        )),
    }
}

/// The refusal for a request whose document the caller may not see: the same words whether it
/// exists or not, and nothing about it.
fn not_yours(request_id: &str) -> Error {
    Error::PermissionDenied(format!(
        "Approval request {} is not waiting for you, or does not exist. Check the id in hesabu \
         approval inbox.",
        excerpt(request_id.trim())
    ))
}

fn not_with_you(
    dir: &Directory,
    doc: &approval_document::Model,
    request: &approval_request::Model,
    steps: &[approval_step::Model],
    me: &str,
) -> Error {
    if doc.requester_id == me {
        return Error::PermissionDenied(format!(
            "Cannot approve own submission: you raised {}. It needs someone else.",
            doc.number
        ));
    }
    if let Some(mine) = steps
        .iter()
        .rev()
        .find(|s| s.acting_id == me || s.decided_by.as_deref() == Some(me) || s.approver_id == me)
        && let (Some(by), Some(when)) = (&mine.decided_by, &mine.decided_at)
    {
        return Error::Conflict(format!(
            "Already decided by {} at {when} ({}).",
            dir.name(by),
            mine.status
        ));
    }
    // A pool member whose step was skipped because another member decided the level.
    if let Some(skipped) = steps
        .iter()
        .find(|s| s.status == StepStatus::Skipped && (s.acting_id == me || s.approver_id == me))
        && let Some(decider) = steps
            .iter()
            .find(|s| s.level == skipped.level && s.decided_at.is_some() && s.decided_by.is_some())
    {
        return Error::Conflict(format!(
            "Already decided by {} at {} ({} level {} for the pool).",
            dir.name(decider.decided_by.as_deref().unwrap_or_default()),
            decider.decided_at.clone().unwrap_or_default(),
            doc.number,
            skipped.level
        ));
    }
    if request.status != RequestStatus::Pending {
        let last = steps
            .iter()
            .filter(|s| s.decided_at.is_some())
            .max_by(|a, b| a.decided_at.cmp(&b.decided_at));
        return Error::Conflict(match last {
            Some(s) => format!(
                "Already decided by {} at {}: {} is {}.",
                dir.name(s.decided_by.as_deref().unwrap_or_default()),
                s.decided_at.clone().unwrap_or_default(),
                doc.number,
                request.status.as_str().replace('_', " ")
            ),
            None => format!(
                "{} is no longer waiting for approval ({}).",
                doc.number, request.status
            ),
        });
    }
    let with: Vec<String> = steps
        .iter()
        .filter(|s| s.status == StepStatus::Pending)
        .map(|s| format!("{} (level {})", dir.name(&s.acting_id), s.level))
        .collect();
    Error::PermissionDenied(format!(
        "{} is not waiting for you: it is with {}.",
        doc.number,
        with.join(", ")
    ))
}

async fn my_pending_step(
    db: &impl ConnectionTrait,
    request_id: &str,
    me: &str,
) -> Result<Option<approval_step::Model>> {
    Ok(approval_step::Entity::find()
        .filter(approval_step::Column::RequestId.eq(request_id.trim()))
        .filter(approval_step::Column::ActingId.eq(me))
        .filter(approval_step::Column::Status.eq(StepStatus::Pending))
        .one(db)
        .await?)
}

/// Steps waiting for the signed-in user, most urgent first.
pub async fn inbox(file: &CompanyFile, session: &Session) -> Result<Vec<InboxItem>> {
    session.require(Permission::ApprovalAct)?;
    let db = file.reader();
    let steps = approval_step::Entity::find()
        .filter(approval_step::Column::ActingId.eq(session.user_id()))
        .filter(approval_step::Column::Status.eq(StepStatus::Pending))
        .order_by_asc(approval_step::Column::DueAt)
        .all(db)
        .await?;
    if steps.is_empty() {
        return Ok(Vec::new());
    }
    let dir = Directory::load(db).await?;
    let now = file.clock().now();
    let mut items = Vec::new();
    for step in steps {
        let Some(request) = approval_request::Entity::find_by_id(step.request_id.clone())
            .one(db)
            .await?
        else {
            continue;
        };
        let doc = crate::documents::load(db, &request.document_id).await?;
        let overdue = step
            .due_at
            .as_deref()
            .map(at)
            .transpose()?
            .is_some_and(|due| now > due);
        items.push(InboxItem {
            request_id: request.id,
            step_id: step.id.clone(),
            document_id: doc.id.clone(),
            document_number: doc.number.clone(),
            doc_type: doc.doc_type.parse::<DocumentType>()?,
            title: doc.title.clone(),
            requester_name: dir.name(&doc.requester_id),
            amount: doc.amount.to_string(),
            currency: doc.currency.clone(),
            level: step.level,
            level_name: step.level_name.clone(),
            due_at: step.due_at.clone(),
            overdue,
            marker: step.marker.clone(),
            on_behalf_of: (step.acting_id != step.approver_id).then(|| dir.name(&step.approver_id)),
            why: step.why.clone(),
            version: step.version,
        });
    }
    Ok(items)
}

/// A document's history, oldest first, across all its submission rounds.
pub async fn history(
    file: &CompanyFile,
    session: &Session,
    document_id: &str,
) -> Result<Vec<HistoryEntry>> {
    let db = file.reader();
    let doc = crate::documents::load(db, document_id).await?;
    documents::ensure_visible(db, session, &doc).await?;
    let dir = Directory::load(db).await?;
    let events = approval_event::Entity::find()
        .filter(approval_event::Column::DocumentId.eq(doc.id.as_str()))
        .order_by_asc(approval_event::Column::At)
        .order_by_asc(approval_event::Column::Id)
        .all(db)
        .await?;
    // The level names of the steps the events are about, as the policy named them.
    let step_ids: Vec<String> = events.iter().filter_map(|e| e.step_id.clone()).collect();
    let level_names: HashMap<String, String> = if step_ids.is_empty() {
        HashMap::new()
    } else {
        approval_step::Entity::find()
            .filter(approval_step::Column::Id.is_in(step_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|s| (s.id, s.level_name))
            .collect()
    };
    Ok(events
        .into_iter()
        .map(|e| {
            let actor_name = e
                .actor_id
                .as_deref()
                .map_or_else(|| "System".to_owned(), |id| dir.name(id));
            let on_behalf = e.on_behalf_of_id.as_deref().map(|id| dir.name(id));
            let level_name = e
                .step_id
                .as_deref()
                .and_then(|id| level_names.get(id))
                .cloned();
            let action_label = action_words(&e.action);
            let mut text = actor_name.clone();
            if let Some(other) = &on_behalf {
                text.push_str(&format!(" on behalf of {other}"));
            }
            text.push_str(&format!(": {action_label}"));
            match (e.level, &level_name) {
                (Some(level), Some(name)) => text.push_str(&format!(" (level {level}, {name})")),
                (Some(level), None) => text.push_str(&format!(" (level {level})")),
                _ => {}
            }
            if let Some(c) = &e.comment {
                text.push_str(&format!(" — {c}"));
            }
            HistoryEntry {
                at: e.at,
                action: e.action,
                action_label,
                actor_email: e.actor_id.as_deref().map(|id| dir.email(id)),
                actor_name,
                on_behalf_of_name: on_behalf,
                level: e.level,
                level_name,
                comment: e.comment,
                sla_met: e.sla_met,
                text,
            }
        })
        .collect())
}

/// A history action in words for people ("returned for revision", not `return`).
pub fn action_words(action: &str) -> String {
    match action {
        "approve" => "approved",
        "reject" => "rejected",
        "return" => "returned for revision",
        "clarify" => "asked for clarification",
        "delegated" => "handed over",
        "auto_approved" => "auto-approved",
        "escalated_to_next_level" => "escalated to the next level",
        "escalation_notice" => "overdue, escalation notice sent",
        "delegation_ended" => "back from a delegation",
        "rerouted_to_delegate" => "moved to a delegate",
        other => return other.replace('_', " "),
    }
    .to_owned()
}

/// Approves each request in its own unit of work; one failure does not stop the others. One
/// audit entry summarises a batch that approved anything.
///
/// Refused before any request is read when none of them waits for the caller (only the
/// caller's own pending steps are looked at): nothing is written, and the message names none
/// of the requests' documents or approvers.
pub async fn bulk_approve(
    file: &CompanyFile,
    session: &Session,
    request_ids: &[String],
) -> Result<BulkResult> {
    session.require(Permission::ApprovalAct)?;
    if request_ids.is_empty() {
        return Err(Error::invalid(
            "Bulk approve needs at least one request id.",
        ));
    }
    let waiting: HashSet<String> = approval_step::Entity::find()
        .filter(approval_step::Column::ActingId.eq(session.user_id()))
        .filter(approval_step::Column::Status.eq(StepStatus::Pending))
        .all(file.reader())
        .await?
        .into_iter()
        .map(|s| s.request_id)
        .collect();
    if !request_ids.iter().any(|id| waiting.contains(id.trim())) {
        return Err(Error::PermissionDenied(format!(
            "Permission denied: {} ({}) has none of these approval requests waiting for them, so \
             nothing was approved. Your inbox (hesabu approval inbox) lists what you may \
             approve.",
            session.email(),
            session.role()
        )));
    }
    let mut result = BulkResult {
        succeeded: Vec::new(),
        failed: Vec::new(),
    };
    let input = ActionInput {
        decision: Decision::Approve,
        comment: None,
        delegate_to: None,
        expected_version: None,
    };
    for id in request_ids {
        match act(file, session, id, &input).await {
            Ok(r) => result.succeeded.push(r),
            Err(e) => result.failed.push(BulkFailure {
                request_id: id.clone(),
                kind: e.kind(),
                message: e.to_string(),
            }),
        }
    }
    if result.succeeded.is_empty() {
        // Nothing changed: nothing to record.
        return Ok(result);
    }
    let mut uow = file.begin(session).await?;
    uow.audit(AuditDraft {
        action: "approval.bulk_approve",
        entity_type: "approval_batch",
        entity_id: uow.new_id(),
        before: None,
        after: Some(json!({
            "requested": request_ids.len(),
            "approved": result.succeeded.iter().map(|r| r.request_id.clone()).collect::<Vec<_>>(),
            "failed": result.failed.iter().map(|f| json!({"request_id": f.request_id, "reason": f.message})).collect::<Vec<_>>(),
        })),
    })
    .await?;
    uow.commit().await?;
    Ok(result)
}

/// SLA compliance over the last `days` days: of the steps decided in that window that carry an
/// SLA verdict (`sla_met`, recorded on every decision — approve, reject, return, clarify, and
/// auto-approval, which counts as late; skipped or cancelled steps — including a level skipped by
/// an escalation to the next level — have none), the share decided by their due time.
/// Everyone's decisions for roles that may view every document, else the signed-in user's own.
pub async fn sla_compliance(
    file: &CompanyFile,
    session: &Session,
    days: u32,
) -> Result<SlaCompliance> {
    session.require(Permission::ApprovalAct)?;
    if days == 0 || days > 3660 {
        return Err(Error::invalid(format!(
            "The SLA window is {days} days: use 1 to 3660 days, e.g. 30."
        )));
    }
    let now = file.clock().now();
    let since =
        hesabu_store::clock::format_timestamp(now - chrono::Duration::days(i64::from(days)));
    let company_wide = session.may(Permission::DocumentViewAll);
    let (decided, met) = sla_counts(
        file.reader(),
        &since,
        (!company_wide).then(|| session.user_id()),
    )
    .await?;
    let percent = (decided > 0).then(|| {
        let share = rust_decimal::Decimal::from(met) * rust_decimal::Decimal::ONE_HUNDRED
            / rust_decimal::Decimal::from(decided);
        format!("{:.1}", share.round_dp(1))
    });
    Ok(SlaCompliance {
        days,
        scope: if company_wide { "company" } else { "mine" }.into(),
        decided,
        met,
        percent,
    })
}
