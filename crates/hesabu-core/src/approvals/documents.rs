//! Documents and routing: create a draft, submit it (match a rule, resolve and pin approvers,
//! open level 1), resubmit, recall, cancel, show. The routing helpers here are shared with
//! actions, delegations and jobs.

use std::collections::HashSet;
use std::str::FromStr;

use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};
use serde_json::{Value, json};

use super::Directory;
use super::budget_hooks::{self, BudgetEvent, OnSubmit};
use super::calendar::Calendar;
use super::entities::{
    approval_document, approval_document_line, approval_event, approval_policy, approval_request,
    approval_step, delegation,
};
use super::notifications;
use super::policies;
use super::policy::{ApproverSpec, EmptyApprover, LevelMode, LevelSpec, PolicySpec, Subject};
use super::state::{self, Transition};
use super::wire::{
    DocumentLineView, DocumentStatus, DocumentType, DocumentView, NewDocument, RequestView,
    StepView,
};
use crate::audit::AuditDraft;
use crate::auth::Session;
use crate::clock::{format_timestamp, parse_timestamp};
use crate::company_file::CompanyFile;
use crate::departments;
use crate::error::{Error, Result};
use crate::money::{Currency, Money};
use crate::permissions::Permission;
use crate::rules::{self, RuleAction, service::RuleTrigger};
use crate::uow::UnitOfWork;
use crate::workflows::{self, EventType, NewEvent};

/// Delegation chains are followed at most this far (A → B → C → D).
pub const MAX_DELEGATION_DEPTH: usize = 3;

// Step statuses.
pub(crate) const WAITING: &str = "waiting";
pub(crate) const PENDING: &str = "pending";
pub(crate) const APPROVED: &str = "approved";
pub(crate) const SKIPPED: &str = "skipped";
pub(crate) const CANCELLED: &str = "cancelled";

/// Creates a draft document; the signed-in user is its requester.
pub async fn create(
    file: &CompanyFile,
    session: &Session,
    new: &NewDocument,
) -> Result<DocumentView> {
    session.require(Permission::DocumentCreate)?;
    let title = new.title.trim();
    if title.is_empty() {
        return Err(Error::invalid("The document needs a title."));
    }
    if new.amount <= Decimal::ZERO {
        return Err(Error::invalid(format!(
            "The amount {} is not positive: enter the document's total, e.g. 12500.00.",
            new.amount
        )));
    }
    if new.amount.scale() > 4 {
        return Err(Error::invalid(format!(
            "Amount {} has more than 4 decimal places: round it first.",
            new.amount
        )));
    }
    let facts = new.facts.clone().unwrap_or_else(|| json!({}));
    if !facts.is_object() {
        return Err(Error::invalid(
            "Facts must be a JSON object, e.g. {\"vehicles\": 2}.",
        ));
    }
    for (i, line) in new.lines.iter().enumerate() {
        if line.description.trim().is_empty() || line.quantity <= Decimal::ZERO {
            return Err(Error::invalid(format!(
                "Line {} needs a description and a positive quantity.",
                i + 1
            )));
        }
    }

    let mut uow = file.begin(session).await?;
    let company = crate::company::load(uow.db()).await?;
    let currency = match new.currency.as_deref() {
        Some(c) => Currency::from_str(c)?,
        None => Currency::from_str(&company.base_currency)?,
    };
    let requester = crate::entities::app_user::Entity::find_by_id(session.user_id().to_owned())
        .one(uow.db())
        .await?
        .ok_or_else(|| Error::Internal("the signed-in user is missing".into()))?;
    let department_id = match new
        .department
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        Some(name) => Some(
            departments::find_by_name(uow.db(), name)
                .await?
                .ok_or_else(|| {
                    Error::invalid(format!(
                        "There is no department named '{name}'. Use one from hesabu department \
                         list."
                    ))
                })?
                .id,
        ),
        None => requester.department_id.clone(),
    };
    let count = approval_document::Entity::find()
        .filter(approval_document::Column::DocType.eq(new.doc_type.as_str()))
        .count(uow.db())
        .await?;
    let number = format!("{}-{:06}", new.doc_type.number_prefix(), count + 1);
    let now = uow.now_text();
    let doc = approval_document::Model {
        id: uow.new_id(),
        doc_type: new.doc_type.as_str().into(),
        number,
        title: title.to_owned(),
        requester_id: requester.id.clone(),
        department_id,
        amount: new.amount.normalize().to_string(),
        currency: currency.code().to_owned(),
        category: clean(new.category.as_deref()),
        project: clean(new.project.as_deref()),
        facts_json: facts.to_string(),
        status: DocumentStatus::Draft.as_str().into(),
        current_request_id: None,
        rounds: 0,
        created_at: now.clone(),
        updated_at: now,
        budget_status: None,
        budget_note: None,
    };
    approval_document::ActiveModel::from(doc.clone())
        .insert(uow.db())
        .await?;
    for (i, line) in new.lines.iter().enumerate() {
        approval_document_line::ActiveModel::from(approval_document_line::Model {
            id: uow.new_id(),
            document_id: doc.id.clone(),
            position: i64::try_from(i + 1).unwrap_or(0),
            description: line.description.trim().to_owned(),
            quantity: line.quantity.normalize().to_string(),
            unit_price: line.unit_price.normalize().to_string(),
            tax_code: clean(line.tax_code.as_deref()),
        })
        .insert(uow.db())
        .await?;
    }
    event(&uow, &doc, None, None, "created", None, None).await?;
    // Business rules first (a tax-review flag must be in place before any workflow looks at
    // the document), then the local event that workflows match, all in this unit of work.
    if let Some(mut evaluation) = rules::service::evaluate_document(uow.db(), &doc).await? {
        rules::service::apply_before_routing(&uow, &doc, &mut evaluation, RuleTrigger::Created)
            .await?;
        rules::service::store(&uow, &doc.id, RuleTrigger::Created, &evaluation).await?;
    }
    workflows::events::record(&mut uow, document_event(&doc, EventType::Created)).await?;
    uow.audit(AuditDraft {
        action: "document.create",
        entity_type: "document",
        entity_id: doc.id.clone(),
        before: None,
        after: Some(json!({
            "number": doc.number,
            "type": doc.doc_type,
            "title": doc.title,
            "amount": doc.amount,
            "currency": doc.currency,
        })),
    })
    .await?;
    uow.commit().await?;
    show(file, session, &doc.id).await
}

/// The local event for a document (workflows read the document itself when they match it).
pub(crate) fn document_event(doc: &approval_document::Model, event_type: EventType) -> NewEvent {
    NewEvent {
        event_type,
        entity_type: doc.doc_type.clone(),
        entity_id: doc.id.clone(),
        source: "local",
        payload: json!({ "number": doc.number, "status": doc.status, "amount": doc.amount }),
    }
}

fn clean(text: Option<&str>) -> Option<String> {
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

/// Submits a draft: routes it through the active policy and opens its first level.
pub async fn submit(file: &CompanyFile, session: &Session, id: &str) -> Result<DocumentView> {
    send(file, session, id, Transition::Submit, None).await
}

/// Sends a returned, clarification-requested or rejected document again. The chain restarts
/// from level 1 under the policy active now.
pub async fn resubmit(
    file: &CompanyFile,
    session: &Session,
    id: &str,
    note: Option<&str>,
) -> Result<DocumentView> {
    send(file, session, id, Transition::Resubmit, note).await
}

async fn send(
    file: &CompanyFile,
    session: &Session,
    id: &str,
    transition: Transition,
    note: Option<&str>,
) -> Result<DocumentView> {
    session.require(Permission::DocumentCreate)?;
    let mut uow = file.begin(session).await?;
    let doc = load(uow.db(), id).await?;
    if doc.requester_id != session.user_id() {
        return Err(Error::PermissionDenied(format!(
            "Only the requester may submit {}. Ask them to do it.",
            doc.number
        )));
    }
    let doc = set_status(&uow, doc, transition).await?;
    // Business rules: a block refuses the submission (this unit of work rolls back; the
    // evaluation is kept in its own), set_field / tax review / notify act before routing, and
    // require_approval adds levels once the chain exists.
    let mut evaluation = rules::service::evaluate_document(uow.db(), &doc).await?;
    if let Some(blocked) = evaluation.as_ref().and_then(|e| e.blocked().cloned()) {
        drop(uow);
        let reason = match &blocked.action {
            RuleAction::Block { reason } => reason.clone(),
            other => other.describe(),
        };
        if let Some(e) = &evaluation {
            rules::service::record_blocked(file, session, &doc.id, e).await?;
        }
        return Err(Error::Conflict(format!(
            "{} cannot be submitted: {reason} (rule table '{}', row {} '{}'). Fix the \
             document and submit again; nothing was submitted.",
            doc.number, blocked.table, blocked.row, blocked.row_name
        )));
    }
    if let Some(e) = evaluation.as_mut() {
        rules::service::apply_before_routing(&uow, &doc, e, RuleTrigger::Submitted).await?;
    }
    // set_field may have changed what routing looks at.
    let doc = load(uow.db(), &doc.id).await?;
    let action = if transition == Transition::Submit {
        "submitted"
    } else {
        "resubmitted"
    };
    event(&uow, &doc, None, None, action, None, clean(note)).await?;
    // The budget first: policy rules may test its verdict (`budget_status`), and a document
    // within its budget's auto-approve threshold needs no chain at all — unless a business rule
    // requires approval, which always wins over the threshold.
    let budget = budget_hooks::on_submitted(&mut uow, &doc).await?;
    let doc = load(uow.db(), &doc.id).await?;
    let rule_requires_approval = evaluation.as_ref().is_some_and(|e| {
        e.actions
            .iter()
            .any(|a| matches!(a.action, RuleAction::RequireApproval { .. }))
    });
    let (doc, request) = match budget {
        OnSubmit::AutoApprove { reason } if !rule_requires_approval => {
            (auto_approve(&mut uow, doc, &reason).await?, None)
        }
        other => {
            let dir = Directory::load(uow.db()).await?;
            let (doc, request) = route(&mut uow, &dir, doc).await?;
            if let OnSubmit::Escalate { reason, detail } = other {
                budget_hooks::add_executive_level(&uow, &doc, &reason, &detail).await?;
            }
            if let Some(e) = evaluation.as_mut() {
                rules::service::apply_require_approval(&uow, &doc, e).await?;
            }
            (doc, Some(request))
        }
    };
    if let Some(e) = evaluation.as_ref() {
        rules::service::store(&uow, &doc.id, RuleTrigger::Submitted, e).await?;
    }
    uow.audit(AuditDraft {
        action: if transition == Transition::Submit {
            "document.submit"
        } else {
            "document.resubmit"
        },
        entity_type: "document",
        entity_id: doc.id.clone(),
        before: None,
        after: Some(json!({
            "number": doc.number,
            "status": doc.status,
            "request_id": request.as_ref().map(|r| r.id.clone()),
            "round": request.as_ref().map(|r| r.round),
            "policy_id": request.as_ref().map(|r| r.policy_id.clone()),
            "rule": request.as_ref().map(|r| r.matched_rule.clone()),
            "auto_approved": request.is_none(),
            "note": clean(note),
        })),
    })
    .await?;
    uow.commit().await?;
    show(file, session, id).await
}

/// Approves a just-submitted document without a chain, through the state machine: recorded in
/// its history with `reason`, and its reservation committed. The previous round's request (if
/// any, already closed) is no longer the current one.
async fn auto_approve(
    uow: &mut UnitOfWork,
    doc: approval_document::Model,
    reason: &str,
) -> Result<approval_document::Model> {
    let mut doc = set_status(uow, doc, Transition::AutoApprove).await?;
    if doc.current_request_id.is_some() {
        let mut active = doc.into_active_model();
        active.current_request_id = Set(None);
        doc = active.update(uow.db()).await?;
    }
    event(
        uow,
        &doc,
        None,
        None,
        "auto_approved",
        None,
        Some(reason.to_owned()),
    )
    .await?;
    budget_hooks::on_document_event(uow, &doc, BudgetEvent::FinalApproved).await?;
    // Approved is approved, by a chain or by the threshold: workflows (invoice_sync) match the
    // same event.
    workflows::events::record(uow, document_event(&doc, EventType::Approved)).await?;
    Ok(doc)
}

/// Takes a pending document back to draft, before anyone has decided on it. Requester only.
pub async fn recall(file: &CompanyFile, session: &Session, id: &str) -> Result<DocumentView> {
    let mut uow = file.begin(session).await?;
    let doc = load(uow.db(), id).await?;
    if doc.requester_id != session.user_id() {
        return Err(Error::PermissionDenied(format!(
            "Only the requester may recall {}.",
            doc.number
        )));
    }
    let request = current_request(uow.db(), &doc).await?;
    if let Some(request) = &request {
        let steps = steps_of(uow.db(), &request.id).await?;
        if let Some(decided) = steps.iter().find(|s| s.decided_at.is_some()) {
            let dir = Directory::load(uow.db()).await?;
            return Err(Error::Conflict(format!(
                "{} cannot be recalled: {} already decided level {} at {}. Ask them to return \
                 it, or cancel it.",
                doc.number,
                dir.name(decided.decided_by.as_deref().unwrap_or_default()),
                decided.level,
                decided.decided_at.clone().unwrap_or_default()
            )));
        }
    }
    let doc = set_status(&uow, doc, Transition::Recall).await?;
    if let Some(request) = request {
        close_request(&uow, &request, "recalled").await?;
    }
    event(&uow, &doc, None, None, "recalled", None, None).await?;
    budget_hooks::on_document_event(&mut uow, &doc, BudgetEvent::Recalled).await?;
    uow.audit(AuditDraft {
        action: "document.recall",
        entity_type: "document",
        entity_id: doc.id.clone(),
        before: Some(json!({ "status": DocumentStatus::PendingApproval })),
        after: Some(json!({ "number": doc.number, "status": doc.status })),
    })
    .await?;
    uow.commit().await?;
    show(file, session, id).await
}

/// Cancels a document that is not approved. The requester, or anyone allowed to cancel any
/// document (admins).
pub async fn cancel(file: &CompanyFile, session: &Session, id: &str) -> Result<DocumentView> {
    let mut uow = file.begin(session).await?;
    let doc = load(uow.db(), id).await?;
    if doc.requester_id != session.user_id() {
        session.require(Permission::DocumentCancelAny)?;
    }
    let before = doc.status.clone();
    let request = current_request(uow.db(), &doc).await?;
    let doc = set_status(&uow, doc, Transition::Cancel).await?;
    if let Some(request) = request.filter(|r| r.status == PENDING) {
        close_request(&uow, &request, "cancelled").await?;
    }
    event(&uow, &doc, None, None, "cancelled", None, None).await?;
    budget_hooks::on_document_event(&mut uow, &doc, BudgetEvent::Cancelled).await?;
    uow.audit(AuditDraft {
        action: "document.cancel",
        entity_type: "document",
        entity_id: doc.id.clone(),
        before: Some(json!({ "status": before })),
        after: Some(json!({ "number": doc.number, "status": doc.status })),
    })
    .await?;
    uow.commit().await?;
    show(file, session, id).await
}

/// A document with its lines and current request. Visible to its requester, anyone in its
/// chain, and roles that may view every document.
pub async fn show(file: &CompanyFile, session: &Session, id: &str) -> Result<DocumentView> {
    let db = file.reader();
    let doc = load(db, id).await?;
    ensure_visible(db, session, &doc).await?;
    let dir = Directory::load(db).await?;
    view(db, &dir, &doc).await
}

/// The documents the signed-in user raised ("my requests"), newest first, each with its lines
/// and current request.
pub async fn mine(file: &CompanyFile, session: &Session) -> Result<Vec<DocumentView>> {
    let db = file.reader();
    let docs = approval_document::Entity::find()
        .filter(approval_document::Column::RequesterId.eq(session.user_id()))
        .order_by_desc(approval_document::Column::CreatedAt)
        .order_by_desc(approval_document::Column::Number)
        .all(db)
        .await?;
    let dir = Directory::load(db).await?;
    let mut out = Vec::with_capacity(docs.len());
    for doc in &docs {
        out.push(view(db, &dir, doc).await?);
    }
    Ok(out)
}

pub(crate) async fn ensure_visible(
    db: &impl ConnectionTrait,
    session: &Session,
    doc: &approval_document::Model,
) -> Result<()> {
    if doc.requester_id == session.user_id() || session.may(Permission::DocumentViewAll) {
        return Ok(());
    }
    let requests: Vec<String> = approval_request::Entity::find()
        .filter(approval_request::Column::DocumentId.eq(doc.id.as_str()))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    let involved = approval_step::Entity::find()
        .filter(approval_step::Column::RequestId.is_in(requests))
        .all(db)
        .await?
        .iter()
        .any(|s| {
            s.approver_id == session.user_id()
                || s.acting_id == session.user_id()
                || s.decided_by.as_deref() == Some(session.user_id())
        });
    if involved {
        Ok(())
    } else {
        Err(Error::PermissionDenied(format!(
            "Permission denied: {} ({}) may not view {}: it is not yours and not in your \
             approval chain.",
            session.email(),
            session.role(),
            doc.number
        )))
    }
}

pub(crate) async fn view(
    db: &impl ConnectionTrait,
    dir: &Directory,
    doc: &approval_document::Model,
) -> Result<DocumentView> {
    let lines = approval_document_line::Entity::find()
        .filter(approval_document_line::Column::DocumentId.eq(doc.id.as_str()))
        .order_by_asc(approval_document_line::Column::Position)
        .all(db)
        .await?
        .into_iter()
        .map(|l| DocumentLineView {
            position: l.position,
            description: l.description,
            quantity: l.quantity,
            unit_price: l.unit_price,
            tax_code: l.tax_code,
        })
        .collect();
    let current_request = match current_request(db, doc).await? {
        None => None,
        Some(r) => Some(request_view(db, dir, &r).await?),
    };
    Ok(DocumentView {
        id: doc.id.clone(),
        doc_type: doc.doc_type.parse()?,
        number: doc.number.clone(),
        title: doc.title.clone(),
        requester_email: dir.email(&doc.requester_id),
        requester_name: dir.name(&doc.requester_id),
        department: dir.department_name(doc.department_id.as_deref()),
        amount: doc.amount.clone(),
        currency: doc.currency.clone(),
        category: doc.category.clone(),
        project: doc.project.clone(),
        facts: serde_json::from_str(&doc.facts_json).unwrap_or_else(|_| json!({})),
        status: DocumentStatus::parse(&doc.status)?,
        lines,
        current_request,
        created_at: doc.created_at.clone(),
        updated_at: doc.updated_at.clone(),
        budget_status: doc.budget_status.clone(),
        budget_note: doc.budget_note.clone(),
    })
}

async fn request_view(
    db: &impl ConnectionTrait,
    dir: &Directory,
    r: &approval_request::Model,
) -> Result<RequestView> {
    let policy = approval_policy::Entity::find_by_id(r.policy_id.clone())
        .one(db)
        .await?
        .ok_or_else(|| Error::Internal("a request's policy is missing".into()))?;
    let steps = steps_of(db, &r.id)
        .await?
        .into_iter()
        .map(|s| StepView {
            approver_email: dir.email(&s.approver_id),
            approver_name: dir.name(&s.approver_id),
            acting_email: dir.email(&s.acting_id),
            acting_name: dir.name(&s.acting_id),
            decided_by_email: s.decided_by.as_deref().map(|d| dir.email(d)),
            id: s.id,
            level: s.level,
            level_name: s.level_name,
            mode: s.mode,
            status: s.status,
            marker: s.marker,
            due_at: s.due_at,
            decided_at: s.decided_at,
            comment: s.comment,
            sla_met: s.sla_met,
            why: s.why,
            version: s.version,
        })
        .collect();
    Ok(RequestView {
        id: r.id.clone(),
        round: r.round,
        status: r.status.clone(),
        policy_name: policy.name,
        policy_version: policy.version,
        matched_rule: r.matched_rule.clone(),
        explain: r.explain.clone(),
        steps,
    })
}

pub(crate) async fn load(db: &impl ConnectionTrait, id: &str) -> Result<approval_document::Model> {
    approval_document::Entity::find_by_id(id.trim().to_owned())
        .one(db)
        .await?
        .ok_or_else(|| {
            Error::NotFound(format!(
                "There is no document {id}. Check the id (hesabu approval inbox lists them)."
            ))
        })
}

/// A document's lines as JSON (for workflow payloads and rule subjects), in position order.
pub(crate) async fn lines_json(db: &impl ConnectionTrait, document_id: &str) -> Result<Value> {
    let lines = approval_document_line::Entity::find()
        .filter(approval_document_line::Column::DocumentId.eq(document_id))
        .order_by_asc(approval_document_line::Column::Position)
        .all(db)
        .await?
        .into_iter()
        .map(|l| {
            json!({
                "position": l.position,
                "description": l.description,
                "quantity": l.quantity,
                "unit_price": l.unit_price,
                "tax_code": l.tax_code,
            })
        })
        .collect();
    Ok(Value::Array(lines))
}

pub(crate) async fn current_request(
    db: &impl ConnectionTrait,
    doc: &approval_document::Model,
) -> Result<Option<approval_request::Model>> {
    match &doc.current_request_id {
        None => Ok(None),
        Some(id) => Ok(approval_request::Entity::find_by_id(id.clone())
            .one(db)
            .await?),
    }
}

pub(crate) async fn steps_of(
    db: &impl ConnectionTrait,
    request_id: &str,
) -> Result<Vec<approval_step::Model>> {
    Ok(approval_step::Entity::find()
        .filter(approval_step::Column::RequestId.eq(request_id))
        .order_by_asc(approval_step::Column::Level)
        .order_by_asc(approval_step::Column::Position)
        .all(db)
        .await?)
}

/// Moves the document through the state machine and stores the result.
pub(crate) async fn set_status(
    uow: &UnitOfWork,
    doc: approval_document::Model,
    transition: Transition,
) -> Result<approval_document::Model> {
    let from = DocumentStatus::parse(&doc.status)?;
    let to = state::next(from, transition).map_err(|e| match e {
        Error::Conflict(m) => Error::Conflict(format!("{}: {m}", doc.number)),
        other => other,
    })?;
    let mut active = doc.into_active_model();
    active.status = Set(to.as_str().into());
    active.updated_at = Set(uow.now_text());
    Ok(active.update(uow.db()).await?)
}

/// Appends a line to the document's history.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn event(
    uow: &UnitOfWork,
    doc: &approval_document::Model,
    request_id: Option<&str>,
    step: Option<&approval_step::Model>,
    action: &str,
    sla_met: Option<bool>,
    comment: Option<String>,
) -> Result<()> {
    let actor_id = uow.actor().id.clone();
    let on_behalf = step
        .filter(|s| actor_id.as_deref().is_some_and(|a| a != s.approver_id))
        .map(|s| s.approver_id.clone());
    approval_event::ActiveModel::from(approval_event::Model {
        id: uow.new_id(),
        document_id: doc.id.clone(),
        request_id: request_id
            .map(str::to_owned)
            .or_else(|| step.map(|s| s.request_id.clone())),
        step_id: step.map(|s| s.id.clone()),
        at: uow.now_text(),
        actor_id,
        on_behalf_of_id: on_behalf,
        action: action.to_owned(),
        level: step.map(|s| s.level),
        comment,
        sla_met,
    })
    .insert(uow.db())
    .await?;
    Ok(())
}

/// Closes a request: every open step is cancelled (version bumped, so a racing decision on one
/// of them loses its compare-and-swap).
pub(crate) async fn close_request(
    uow: &UnitOfWork,
    request: &approval_request::Model,
    status: &str,
) -> Result<()> {
    approval_step::Entity::update_many()
        .col_expr(approval_step::Column::Status, CANCELLED.into())
        .col_expr(
            approval_step::Column::Version,
            sea_orm::sea_query::ExprTrait::add(
                sea_orm::sea_query::Expr::col(approval_step::Column::Version),
                1,
            ),
        )
        .filter(approval_step::Column::RequestId.eq(request.id.as_str()))
        .filter(approval_step::Column::Status.is_in([WAITING, PENDING]))
        .exec(uow.db())
        .await?;
    let mut active = request.clone().into_active_model();
    active.status = Set(status.to_owned());
    active.finished_at = Set(Some(uow.now_text()));
    active.update(uow.db()).await?;
    Ok(())
}

/// One step of a chain, planned at submission.
#[derive(Debug, Clone)]
pub(crate) struct Planned {
    pub level: i64,
    pub level_name: String,
    pub mode: LevelMode,
    pub approver_id: String,
    pub why: String,
}

/// The subject a policy's conditions test.
pub(crate) fn subject<'a>(
    doc: &'a approval_document::Model,
    facts: &'a Value,
    department: Option<&'a str>,
) -> Result<Subject<'a>> {
    Ok(Subject {
        amount: amount_of(doc)?,
        category: doc.category.as_deref(),
        project: doc.project.as_deref(),
        department,
        budget_status: budget_hooks::policy_budget_status(doc.budget_status.as_deref()),
        facts,
    })
}

pub(crate) fn amount_of(doc: &approval_document::Model) -> Result<Decimal> {
    Decimal::from_str_exact(&doc.amount)
        .map_err(|_| Error::Internal(format!("stored amount '{}' does not parse", doc.amount)))
}

/// Who a level's approvers are for this document, and why, before exclusions.
pub(crate) fn resolve(
    level: &LevelSpec,
    dir: &Directory,
    doc: &approval_document::Model,
) -> (Vec<String>, String) {
    let mut ids = Vec::new();
    let mut whys = Vec::new();
    for approver in &level.approvers {
        let (found, why) = resolve_one(approver, dir, doc);
        for id in found {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        whys.push(why);
    }
    (ids, whys.join(" and "))
}

fn resolve_one(
    approver: &ApproverSpec,
    dir: &Directory,
    doc: &approval_document::Model,
) -> (Vec<String>, String) {
    let requester = dir.users.get(&doc.requester_id);
    let requester_name = dir.name(&doc.requester_id);
    let dept_name = dir
        .department_name(doc.department_id.as_deref())
        .unwrap_or_else(|| "no department".into());
    let mut ids: Vec<String>;
    let why: String;
    match approver {
        ApproverSpec::ReportingManager => {
            ids = requester
                .and_then(|r| r.manager_id.clone())
                .filter(|m| dir.is_active(m))
                .into_iter()
                .collect();
            why = format!("{requester_name}'s reporting manager");
        }
        ApproverSpec::DepartmentHead => {
            ids = doc
                .department_id
                .as_ref()
                .and_then(|d| dir.heads.get(d))
                .filter(|h| dir.is_active(h))
                .cloned()
                .into_iter()
                .collect();
            why = format!("head of {dept_name}");
        }
        ApproverSpec::User { email } => {
            ids = dir
                .by_email(email)
                .filter(|u| u.active)
                .map(|u| u.id.clone())
                .into_iter()
                .collect();
            why = format!("named in the policy ({email})");
        }
        ApproverSpec::Role { role } => {
            let with_role = |in_dept: bool| -> Vec<String> {
                dir.users
                    .values()
                    .filter(|u| u.active && u.role == role.as_str())
                    .filter(|u| {
                        !in_dept
                            || (doc.department_id.is_some() && u.department_id == doc.department_id)
                    })
                    .map(|u| u.id.clone())
                    .collect()
            };
            ids = with_role(true);
            if ids.is_empty() {
                ids = with_role(false);
                why = format!("a {role} (none in {dept_name}, so company-wide)");
            } else {
                why = format!("a {role} in {dept_name}");
            }
        }
        ApproverSpec::Designation { designation } => {
            let d = designation.trim().to_lowercase();
            ids = dir
                .designations
                .iter()
                .filter(|(id, des)| *des == d && dir.is_active(id))
                .map(|(id, _)| id.clone())
                .collect();
            why = format!("designated {d}");
        }
    }
    ids.sort_by_key(|id| (dir.name(id), id.clone()));
    ids.dedup();
    (ids, why)
}

/// Plans the chain for `rule_levels`: resolves each level, removes the requester and (unless
/// the policy allows repeats) anyone already in the chain, and applies the level's
/// empty-approver policy.
pub(crate) fn plan(
    spec: &PolicySpec,
    rule_levels: &[u8],
    dir: &Directory,
    doc: &approval_document::Model,
) -> Result<Vec<Planned>> {
    let mut planned: Vec<Planned> = Vec::new();
    let mut used: HashSet<String> = HashSet::new();
    let amount = amount_of(doc)?;
    // Levels whose own amount band excludes this document are skipped (see
    // `LevelSpec::min_amount`); the "last level" of the empty-approver fallback is the last one
    // that applies.
    let rule_levels: Vec<u8> = rule_levels
        .iter()
        .copied()
        .filter(|&n| {
            spec.levels[usize::from(n) - 1]
                .skipped_for(amount)
                .is_none()
        })
        .collect();
    for (i, &number) in rule_levels.iter().enumerate() {
        let level = &spec.levels[usize::from(number) - 1];
        let (found, why) = resolve(level, dir, doc);
        let usable = |ids: Vec<String>, used: &HashSet<String>| -> Vec<String> {
            ids.into_iter()
                .filter(|id| *id != doc.requester_id)
                .filter(|id| spec.allow_repeat_approver || !used.contains(id))
                .collect()
        };
        let mut ids = usable(found.clone(), &used);
        let mut reason = format!("level {number} ('{}'): {why}", level.name);
        if ids.is_empty() {
            let gone = if found.is_empty() {
                format!("nobody is the {why}")
            } else {
                format!(
                    "the {why} ({}) is the requester or already approves earlier in the chain",
                    found
                        .iter()
                        .map(|id| dir.name(id))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            let last = i + 1 == rule_levels.len();
            match level.if_empty {
                EmptyApprover::Fail => {
                    return Err(Error::invalid(format!(
                        "{} cannot be submitted: level {number} ('{}') has nobody to approve it \
                         ({gone}). Fix the organisation (managers, department heads, \
                         designations) or set the level's if_empty in the policy.",
                        doc.number, level.name
                    )));
                }
                EmptyApprover::NextLevel if !last => continue,
                EmptyApprover::NextLevel | EmptyApprover::Admin => {
                    ids = usable(dir.admins(), &used);
                    reason = format!(
                        "level {number} ('{}'): routed to an admin because {gone}",
                        level.name
                    );
                    if ids.is_empty() {
                        return Err(Error::invalid(format!(
                            "{} cannot be submitted: level {number} ('{}') has nobody to approve \
                             it ({gone}) and no other admin can take it. Add an approver.",
                            doc.number, level.name
                        )));
                    }
                }
            }
        }
        for id in ids {
            used.insert(id.clone());
            planned.push(Planned {
                level: i64::from(number),
                level_name: level.name.clone(),
                mode: level.mode,
                approver_id: id,
                why: reason.clone(),
            });
        }
    }
    if planned.is_empty() {
        return Err(Error::invalid(format!(
            "{} cannot be submitted: its chain has no approver. Documents are never approved \
             without one; fix the policy or the organisation.",
            doc.number
        )));
    }
    Ok(planned)
}

/// Routes a submitted document: matches a rule of the active policy, pins the policy version
/// and the resolved approvers in a new request, and opens the first level.
pub(crate) async fn route(
    uow: &mut UnitOfWork,
    dir: &Directory,
    doc: approval_document::Model,
) -> Result<(approval_document::Model, approval_request::Model)> {
    let doc_type: DocumentType = doc.doc_type.parse()?;
    let (policy_row, spec) = policies::active_for(uow.db(), doc_type)
        .await?
        .ok_or_else(|| {
            Error::invalid(format!(
                "There is no approval policy for {doc_type}. An admin or finance manager imports \
             one with hesabu policy import FILE.json."
            ))
        })?;
    if spec.currency != doc.currency {
        return Err(Error::invalid(format!(
            "{} is in {}, but the approval policy '{}' is written in {}. Enter the document in \
             {} (convert the amount first).",
            doc.number, doc.currency, spec.name, spec.currency, spec.currency
        )));
    }
    let facts: Value = serde_json::from_str(&doc.facts_json).unwrap_or_else(|_| json!({}));
    let dept_name = dir.department_name(doc.department_id.as_deref());
    let subj = subject(&doc, &facts, dept_name.as_deref())?;
    let (rule, why_rule) = spec.match_rule(&subj).ok_or_else(|| {
        Error::invalid(format!(
            "No rule of the policy '{}' matches {} (amount {}). Fix the policy's bands.",
            spec.name, doc.number, doc.amount
        ))
    })?;
    let planned = plan(&spec, &rule.levels, dir, &doc)?;
    let rule_name = rule.name.clone();
    let amount = amount_of(&doc)?;
    let skipped: String = rule
        .levels
        .iter()
        .filter_map(|&n| {
            let level = &spec.levels[usize::from(n) - 1];
            level
                .skipped_for(amount)
                .map(|why| format!(" Level {n} ('{}') skipped: {why}.", level.name))
        })
        .collect();

    let round = doc.rounds + 1;
    let request = approval_request::Model {
        id: uow.new_id(),
        document_id: doc.id.clone(),
        policy_id: policy_row.id.clone(),
        round,
        status: PENDING.into(),
        matched_rule: rule_name,
        explain: format!(
            "Policy '{}' v{}: {why_rule}.{skipped}",
            policy_row.name, policy_row.version
        ),
        started_at: uow.now_text(),
        finished_at: None,
    };
    approval_request::ActiveModel::from(request.clone())
        .insert(uow.db())
        .await?;
    let mut position_in_level = 0_i64;
    let mut last_level = 0_i64;
    for p in planned {
        if p.level != last_level {
            position_in_level = 0;
            last_level = p.level;
        }
        position_in_level += 1;
        approval_step::ActiveModel::from(waiting_step(
            uow,
            &request.id,
            (p.level, position_in_level),
            p.level_name,
            p.mode.as_str(),
            p.approver_id,
            format!("{} {}", request.explain, capitalise(&p.why)),
        ))
        .insert(uow.db())
        .await?;
    }
    let mut active = doc.into_active_model();
    active.current_request_id = Set(Some(request.id.clone()));
    active.rounds = Set(round);
    let doc = active.update(uow.db()).await?;
    let doc = set_status(uow, doc, Transition::Route).await?;
    let cal = Calendar::load(uow.db()).await?;
    advance(uow, dir, &cal, &spec, &doc, &request).await?;
    Ok((doc, request))
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Opens the next waiting step(s) if nothing is pending: the next level (all of it for parallel
/// and any-one levels, its first approver for serial ones), or the next approver of a serial
/// level. Returns the level now pending, or `None` when every step is done.
pub(crate) async fn advance(
    uow: &UnitOfWork,
    dir: &Directory,
    cal: &Calendar,
    spec: &PolicySpec,
    doc: &approval_document::Model,
    request: &approval_request::Model,
) -> Result<Option<i64>> {
    let steps = steps_of(uow.db(), &request.id).await?;
    if let Some(pending) = steps.iter().find(|s| s.status == PENDING) {
        return Ok(Some(pending.level));
    }
    let Some(next) = steps.iter().find(|s| s.status == WAITING) else {
        return Ok(None);
    };
    let level = next.level;
    let to_open: Vec<&approval_step::Model> = if next.mode == LevelMode::Serial.as_str() {
        vec![next]
    } else {
        steps
            .iter()
            .filter(|s| s.status == WAITING && s.level == level)
            .collect()
    };
    let sla_hours = spec
        .levels
        .get(usize::try_from(level - 1).unwrap_or(0))
        .map_or(16, |l| l.sla_hours);
    let due = format_timestamp(cal.add_business_hours(uow.now(), sla_hours));
    let in_chain = chain_people(&steps);
    for step in to_open {
        let routed = delegate_for(
            uow.db(),
            dir,
            spec,
            doc,
            &step.approver_id,
            &in_chain,
            uow.now(),
        )
        .await?;
        let mut active = step.clone().into_active_model();
        active.status = Set(PENDING.into());
        active.activated_at = Set(Some(uow.now_text()));
        active.due_at = Set(Some(due.clone()));
        active.version = Set(step.version + 1);
        if let Some((delegate, delegation_id)) = &routed {
            active.acting_id = Set(delegate.clone());
            active.delegation_id = Set(Some(delegation_id.clone()));
            active.marker = Set(Some("delegated".into()));
        }
        let opened = active.update(uow.db()).await?;
        let message = match &routed {
            None => format!(
                "{} {} ({}) from {} needs your approval (level {}).",
                doc.number,
                doc.title,
                money_text(doc),
                dir.name(&doc.requester_id),
                level
            ),
            Some(_) => format!(
                "{} {} needs your approval on behalf of {} (delegation, level {}).",
                doc.number,
                doc.title,
                dir.name(&step.approver_id),
                level
            ),
        };
        notifications::enqueue(
            uow,
            &opened.acting_id,
            notifications::APPROVAL_REQUEST,
            Some(&doc.id),
            message,
        )
        .await?;
    }
    Ok(Some(level))
}

/// Everyone in a request's chain: each step's approver, whoever holds it now, and whoever
/// decided it. Delegation, escalation and reassignment never hand a step to one of them (unless
/// the policy allows repeats), so one person counts once.
pub(crate) fn chain_people(steps: &[approval_step::Model]) -> HashSet<String> {
    steps
        .iter()
        .flat_map(|s| {
            [
                Some(&s.approver_id),
                Some(&s.acting_id),
                s.decided_by.as_ref(),
            ]
            .into_iter()
            .flatten()
            .cloned()
        })
        .collect()
}

/// Whom an approver's step goes to under the delegations in force at `at`: follows delegator →
/// delegate chains up to [`MAX_DELEGATION_DEPTH`], stops at a cycle, at an inactive user, or at
/// someone who may not take it (the requester, or someone already in the chain when repeats are
/// not allowed). `None` when the approver keeps it.
pub(crate) async fn delegate_for(
    db: &impl ConnectionTrait,
    dir: &Directory,
    spec: &PolicySpec,
    doc: &approval_document::Model,
    approver_id: &str,
    in_chain: &HashSet<String>,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<Option<(String, String)>> {
    let at_text = format_timestamp(at);
    let amount = amount_of(doc)?;
    let mut current = approver_id.to_owned();
    let mut first_delegation: Option<String> = None;
    let mut seen: HashSet<String> = HashSet::from([current.clone()]);
    for _ in 0..MAX_DELEGATION_DEPTH {
        let candidates = delegation::Entity::find()
            .filter(delegation::Column::DelegatorId.eq(current.as_str()))
            .filter(delegation::Column::RevokedAt.is_null())
            .filter(delegation::Column::ValidFrom.lte(at_text.as_str()))
            .filter(delegation::Column::ValidUntil.gt(at_text.as_str()))
            .all(db)
            .await?;
        let Some(d) = candidates.into_iter().find(|d| in_scope(d, doc, amount)) else {
            break;
        };
        let next = d.delegate_id.clone();
        let blocked = seen.contains(&next)
            || !dir.is_active(&next)
            || next == doc.requester_id
            || (!spec.allow_repeat_approver && in_chain.contains(&next));
        if blocked {
            break;
        }
        seen.insert(next.clone());
        first_delegation.get_or_insert(d.id.clone());
        current = next;
    }
    Ok((current != approver_id).then(|| (current, first_delegation.unwrap_or_default())))
}

pub(crate) fn in_scope(
    d: &delegation::Model,
    doc: &approval_document::Model,
    amount: Decimal,
) -> bool {
    let listed = |json: &Option<String>, value: Option<&str>| match json {
        None => true,
        Some(text) => {
            let items: Vec<String> = serde_json::from_str(text).unwrap_or_default();
            value.is_some_and(|v| items.iter().any(|i| i == v))
        }
    };
    listed(&d.doc_types, Some(doc.doc_type.as_str()))
        && listed(&d.departments, doc.department_id.as_deref())
        && d.max_amount
            .as_deref()
            .and_then(|m| Decimal::from_str_exact(m).ok())
            .is_none_or(|max| amount <= max)
}

/// The policy a request was started with.
pub(crate) async fn pinned_spec(
    db: &impl ConnectionTrait,
    request: &approval_request::Model,
) -> Result<PolicySpec> {
    let row = approval_policy::Entity::find_by_id(request.policy_id.clone())
        .one(db)
        .await?
        .ok_or_else(|| Error::Internal("a request's policy is missing".into()))?;
    policies::spec_of(&row)
}

/// Parses a stored timestamp.
pub(crate) fn at(text: &str) -> Result<chrono::DateTime<chrono::Utc>> {
    parse_timestamp(text).map_err(|e| Error::Internal(format!("stored time '{text}': {e}")))
}

/// `KES 12,500.00` for messages.
pub(crate) fn money_text(doc: &approval_document::Model) -> String {
    match (amount_of(doc), Currency::from_str(&doc.currency)) {
        (Ok(a), Ok(c)) => Money::new(a, c).to_string(),
        _ => format!("{} {}", doc.currency, doc.amount),
    }
}

/// A step not yet open: `waiting` at (`level`, `position`) for `approver_id`, version 1, with
/// nothing decided. Both the policy's chain and levels added later start their steps this way.
fn waiting_step(
    uow: &UnitOfWork,
    request_id: &str,
    (level, position): (i64, i64),
    level_name: String,
    mode: &str,
    approver_id: String,
    why: String,
) -> approval_step::Model {
    approval_step::Model {
        id: uow.new_id(),
        request_id: request_id.to_owned(),
        level,
        position,
        level_name,
        mode: mode.into(),
        approver_id: approver_id.clone(),
        acting_id: approver_id,
        delegation_id: None,
        status: WAITING.into(),
        marker: None,
        version: 1,
        why,
        activated_at: None,
        due_at: None,
        reminders_sent: 0,
        escalations: 0,
        decided_by: None,
        decided_at: None,
        comment: None,
        sla_met: None,
    }
}

/// Appends a level to a request's chain: one `waiting` step per approver, in order, each carrying
/// `why` (what "why is this with me?" shows). Used when something other than the policy adds a
/// level — the budget's ESCALATE mode and business rules' `require_approval`.
pub(crate) async fn insert_waiting_level(
    uow: &UnitOfWork,
    request_id: &str,
    number: i64,
    level: &super::policy::LevelSpec,
    approver_ids: Vec<String>,
    why: &str,
) -> Result<()> {
    for (i, approver_id) in approver_ids.into_iter().enumerate() {
        approval_step::ActiveModel::from(waiting_step(
            uow,
            request_id,
            (number, i64::try_from(i + 1).unwrap_or(0)),
            level.name.clone(),
            level.mode.as_str(),
            approver_id,
            why.to_owned(),
        ))
        .insert(uow.db())
        .await?;
    }
    Ok(())
}
