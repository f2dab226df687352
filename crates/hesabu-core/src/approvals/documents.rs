//! Documents and routing: create a draft, submit it (match a rule, resolve and pin approvers,
//! open level 1), resubmit, recall, cancel, show. The routing helpers here are shared with
//! actions, delegations and jobs.

use crate::entities::RequestStatus;
use std::str::FromStr;

use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use super::Directory;
use super::budget_hooks::{self, BudgetEvent, OnSubmit};
use super::routing::{close_request, current_request, route, steps_of};
use super::wire::{
    DocumentEdit, DocumentLineView, DocumentStatus, DocumentView, NewDocument, NewDocumentLine,
    RequestView, StepView,
};
use crate::departments;
use crate::documents::load;
use crate::documents::state::{self, Transition};
use crate::entities::{
    approval_document, approval_document_line, approval_event, approval_policy, approval_request,
    approval_step,
};
use crate::rules::{self, RuleAction, service::RuleTrigger};
use crate::workflows::{self, EventType, NewEvent};
use hesabu_store::audit::AuditDraft;
use hesabu_store::auth::Session;
use hesabu_store::clock::parse_timestamp;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::{Error, Result};
use hesabu_store::limits::{LABEL, NOTE, TITLE, check_optional_text, check_text, excerpt};
use hesabu_store::money::{Currency, check_max, sum_overflow};
use hesabu_store::permissions::Permission;
use hesabu_store::uow::UnitOfWork;

/// Creates a draft document; the signed-in user is its requester.
pub async fn create(
    file: &CompanyFile,
    session: &Session,
    new: &NewDocument,
) -> Result<DocumentView> {
    session.require(Permission::DocumentCreate)?;
    let facts = check_new(new)?;
    let mut uow = file.begin(session).await?;
    let doc = create_in(&mut uow, session, new, facts).await?;
    uow.commit().await?;
    show(file, session, &doc.id).await
}

/// Creates a document and submits it in one unit of work: what the desktop's "New request"
/// does. When the submission is refused (the budget, a business rule, the policy) nothing is
/// kept — no draft, and no number used up — so trying again leaves no stray drafts behind.
/// A business rule's refusal is not stored as an evaluation here, as it is for a draft's
/// submission: there is no document left to store it against; the message names the rule.
pub async fn create_and_submit(
    file: &CompanyFile,
    session: &Session,
    new: &NewDocument,
) -> Result<DocumentView> {
    session.require(Permission::DocumentCreate)?;
    let facts = check_new(new)?;
    let mut uow = file.begin(session).await?;
    let doc = create_in(&mut uow, session, new, facts).await?;
    let id = doc.id.clone();
    match send_in(&mut uow, doc, Transition::Submit, None).await {
        Ok(()) => {}
        Err(Refused::Blocked { detail, .. }) => {
            return Err(Error::Conflict(format!(
                "The request cannot be submitted: {detail}. Correct it and submit it again; \
                 nothing was saved."
            )));
        }
        Err(Refused::Error(e)) => return Err(e),
    }
    uow.commit().await?;
    show(file, session, &id).await
}

/// Checks a new document (or an edited one, as it would be) before anything is written: the
/// text and amount limits, the amount's sign and scale, the facts' shape and each line. Returns
/// the facts to store.
fn check_new(new: &NewDocument) -> Result<serde_json::Value> {
    check_document_text(new)?;
    let title = new.title.trim();
    if title.is_empty() {
        return Err(Error::invalid("The document needs a title."));
    }
    check_max("document amount", new.amount)?;
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
    let mut lines_total = Decimal::ZERO;
    for (i, line) in new.lines.iter().enumerate() {
        if line.description.trim().is_empty() || line.quantity <= Decimal::ZERO {
            return Err(Error::invalid(format!(
                "Line {} needs a description and a positive quantity.",
                i + 1
            )));
        }
        // Each figure, the line's total (quantity × unit price, which rules compute) and the
        // lines' sum stay within the maximum, so nothing computed from them can overflow.
        let n = i + 1;
        check_max(&format!("quantity on line {n}"), line.quantity)?;
        check_max(&format!("unit price on line {n}"), line.unit_price)?;
        let total = line
            .quantity
            .checked_mul(line.unit_price)
            .ok_or_else(|| sum_overflow(&format!("line {n}")))?;
        check_max(&format!("total of line {n} (quantity × unit price)"), total)?;
        lines_total = lines_total
            .checked_add(total)
            .ok_or_else(|| sum_overflow("the lines"))?;
    }
    check_max("total of the lines", lines_total)?;
    Ok(facts)
}

/// The signed-in user, who raises (or edits) the document.
async fn requester_of(
    db: &impl ConnectionTrait,
    session: &Session,
) -> Result<hesabu_store::entities::app_user::Model> {
    hesabu_store::entities::app_user::Entity::find_by_id(session.user_id().to_owned())
        .one(db)
        .await?
        .ok_or_else(|| Error::Internal("the signed-in user is missing".into()))
}

/// The department a document is raised for: the one named, or (none named, or an empty name)
/// the requester's own. A document reserves against its department's budget, so a role that
/// may use only its own departments' budgets may raise documents only for them (the name of
/// another department is not echoed back with anything about it).
async fn department_for(
    db: &impl ConnectionTrait,
    session: &Session,
    requester: &hesabu_store::entities::app_user::Model,
    name: Option<&str>,
) -> Result<Option<String>> {
    let department_id = match name.map(str::trim).filter(|d| !d.is_empty()) {
        Some(name) => Some(
            departments::find_by_name(db, name)
                .await?
                .ok_or_else(|| {
                    Error::invalid(format!(
                        "There is no department named '{}'. Use one from hesabu department list.",
                        excerpt(name)
                    ))
                })?
                .id,
        ),
        None => requester.department_id.clone(),
    };
    if let Some(id) = department_id.as_deref() {
        let scope = crate::budgets::Scope::of(db, session).await?;
        if !scope.allows(id) {
            return Err(Error::PermissionDenied(format!(
                "Permission denied: {} ({}) may raise documents only for their own department \
                 or those they head. Leave the department out to use your own, or ask finance.",
                session.email(),
                session.role()
            )));
        }
    }
    Ok(department_id)
}

/// Writes a checked new document as a draft inside `uow` (with its lines, history, rules
/// evaluation, workflow event and audit entry).
async fn create_in(
    uow: &mut UnitOfWork,
    session: &Session,
    new: &NewDocument,
    facts: serde_json::Value,
) -> Result<approval_document::Model> {
    let company = crate::company::load(uow.db()).await?;
    let currency = match new.currency.as_deref() {
        Some(c) => Currency::from_str(c)?,
        None => Currency::from_str(&company.base_currency)?,
    };
    let requester = requester_of(uow.db(), session).await?;
    let department_id =
        department_for(uow.db(), session, &requester, new.department.as_deref()).await?;
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
        title: new.title.trim().to_owned(),
        requester_id: requester.id.clone(),
        department_id,
        amount: new.amount.normalize().into(),
        currency: currency.code().to_owned(),
        category: clean(new.category.as_deref()),
        project: clean(new.project.as_deref()),
        facts_json: facts.to_string(),
        status: DocumentStatus::Draft,
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
    insert_lines(uow, &doc.id, &new.lines).await?;
    event(uow, &doc, None, None, "created", None, None).await?;
    // Business rules first (a tax-review flag must be in place before any workflow looks at
    // the document), then the local event that workflows match, all in this unit of work.
    if let Some(mut evaluation) = rules::service::evaluate_document(uow.db(), &doc).await? {
        super::rule_hooks::apply_before_routing(uow, &doc, &mut evaluation, RuleTrigger::Created)
            .await?;
        rules::service::store(uow, &doc.id, RuleTrigger::Created, &evaluation).await?;
    }
    workflows::events::record(uow, document_event(&doc, EventType::Created)).await?;
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
    Ok(doc)
}

async fn insert_lines(
    uow: &UnitOfWork,
    document_id: &str,
    lines: &[NewDocumentLine],
) -> Result<()> {
    for (i, line) in lines.iter().enumerate() {
        approval_document_line::ActiveModel::from(approval_document_line::Model {
            id: uow.new_id(),
            document_id: document_id.to_owned(),
            position: i64::try_from(i + 1).unwrap_or(0),
            description: line.description.trim().to_owned(),
            quantity: line.quantity.normalize().into(),
            unit_price: line.unit_price.normalize().into(),
            tax_code: clean(line.tax_code.as_deref()),
        })
        .insert(uow.db())
        .await?;
    }
    Ok(())
}

/// Text over the limits (docs/limits.md) is refused, never cut: title, category, project,
/// department, facts (as JSON) and each line's description and tax code.
fn check_document_text(new: &NewDocument) -> Result<()> {
    check_text("title", new.title.trim(), TITLE)?;
    for (what, text) in [
        ("category", &new.category),
        ("project", &new.project),
        ("department", &new.department),
    ] {
        check_optional_text(what, text.as_deref().map(str::trim), LABEL)?;
    }
    if let Some(facts) = &new.facts {
        check_text("facts (as JSON)", &facts.to_string(), NOTE)?;
    }
    for (i, line) in new.lines.iter().enumerate() {
        let n = i + 1;
        check_text(
            &format!("line {n} description"),
            line.description.trim(),
            NOTE,
        )?;
        check_optional_text(
            &format!("line {n} tax code"),
            line.tax_code.as_deref(),
            LABEL,
        )?;
    }
    Ok(())
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
    check_optional_text("note", note.map(str::trim), NOTE)?;
    let mut uow = file.begin(session).await?;
    let doc = load(uow.db(), id).await?;
    if doc.requester_id != session.user_id() {
        // Someone who may not see it is told only that (no number).
        ensure_visible(uow.db(), session, &doc).await?;
        let dir = Directory::load(uow.db()).await?;
        return Err(Error::PermissionDenied(format!(
            "Only the requester may {} {}: ask {} to do it.",
            if transition == Transition::Resubmit {
                "resubmit"
            } else {
                "submit"
            },
            doc.number,
            dir.name(&doc.requester_id)
        )));
    }
    let number = doc.number.clone();
    match send_in(&mut uow, doc, transition, note).await {
        Ok(()) => {}
        Err(Refused::Blocked {
            document_id,
            evaluation,
            detail,
        }) => {
            // This unit of work rolls back; the evaluation is kept in its own.
            drop(uow);
            super::rule_hooks::record_blocked(file, session, &document_id, &evaluation).await?;
            return Err(Error::Conflict(format!(
                "{number} cannot be submitted: {detail}. Fix the document and submit again; \
                 nothing was submitted."
            )));
        }
        Err(Refused::Error(e)) => return Err(e),
    }
    uow.commit().await?;
    show(file, session, id).await
}

/// Why a submission did not go through.
enum Refused {
    /// A business rule blocked it: `detail` says which rule and why. The caller words the
    /// refusal and keeps the evaluation where there is a document to keep it for.
    Blocked {
        document_id: String,
        evaluation: rules::Evaluation,
        detail: String,
    },
    Error(Error),
}

impl From<Error> for Refused {
    fn from(e: Error) -> Self {
        Refused::Error(e)
    }
}

/// Submits (or resubmits) `doc` inside `uow`: the state machine, business rules, the budget
/// check and reservation, then routing (or approval at the budget's auto-approve threshold).
/// Every refusal leaves `uow` to be dropped, so nothing of the submission is written.
async fn send_in(
    uow: &mut UnitOfWork,
    doc: approval_document::Model,
    transition: Transition,
    note: Option<&str>,
) -> std::result::Result<(), Refused> {
    let doc = set_status(uow, doc, transition).await?;
    // Business rules: a block refuses the submission, set_field / tax review / notify act
    // before routing, and require_approval adds levels once the chain exists.
    let mut evaluation = rules::service::evaluate_document(uow.db(), &doc).await?;
    if let Some(e) = evaluation.as_ref()
        && let Some(blocked) = e.blocked().cloned()
    {
        let reason = match &blocked.action {
            RuleAction::Block { reason } => reason.clone(),
            other => other.describe(),
        };
        return Err(Refused::Blocked {
            document_id: doc.id.clone(),
            evaluation: e.clone(),
            detail: format!(
                "{reason} (rule table '{}', row {} '{}')",
                blocked.table, blocked.row, blocked.row_name
            ),
        });
    }
    if let Some(e) = evaluation.as_mut() {
        super::rule_hooks::apply_before_routing(uow, &doc, e, RuleTrigger::Submitted).await?;
    }
    // set_field may have changed what routing looks at.
    let doc = load(uow.db(), &doc.id).await?;
    let action = if transition == Transition::Submit {
        "submitted"
    } else {
        "resubmitted"
    };
    event(uow, &doc, None, None, action, None, clean(note)).await?;
    // The budget first: policy rules may test its verdict (`budget_status`), and a document
    // within its budget's auto-approve threshold needs no chain at all — unless a business rule
    // requires approval, which always wins over the threshold.
    let budget = budget_hooks::on_submitted(uow, &doc).await?;
    let doc = load(uow.db(), &doc.id).await?;
    let rule_requires_approval = evaluation.as_ref().is_some_and(|e| {
        e.actions
            .iter()
            .any(|a| matches!(a.action, RuleAction::RequireApproval { .. }))
    });
    let (doc, request) = match budget {
        OnSubmit::AutoApprove { reason } if !rule_requires_approval => {
            (auto_approve(uow, doc, &reason).await?, None)
        }
        other => {
            let dir = Directory::load(uow.db()).await?;
            let (doc, request) = route(uow, &dir, doc).await?;
            // ESCALATE's executive level, ROUTE_TO_FINANCE's finance level.
            budget_hooks::add_budget_level(uow, &doc, &other).await?;
            if let Some(e) = evaluation.as_mut() {
                super::rule_hooks::apply_require_approval(uow, &doc, e).await?;
            }
            (doc, Some(request))
        }
    };
    if let Some(e) = evaluation.as_ref() {
        rules::service::store(uow, &doc.id, RuleTrigger::Submitted, e).await?;
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
    Ok(())
}

/// Corrects a draft, or a document returned or sent back for clarification, before it is
/// (re)submitted: its title, amount, department, category, project, facts or lines. Requester
/// only; the text and amount limits of [`create`] apply, and so does its department rule (a
/// role without `budget_view_all` may move a document only to its own departments). Audited
/// with what changed, before and after, and recorded in the history.
///
/// The budget and the chain follow at the (re)submission: a document that can be edited holds
/// no budget (a return, a clarification request and a recall release what it held; a draft
/// never reserved), so the submission checks the budget for the new amount and reserves it,
/// and routing plans the chain afresh for it. The budget's verdict of the last submission no
/// longer applies to an edited amount or department, so it is cleared.
pub async fn edit(
    file: &CompanyFile,
    session: &Session,
    id: &str,
    change: &DocumentEdit,
) -> Result<DocumentView> {
    session.require(Permission::DocumentCreate)?;
    let mut uow = file.begin(session).await?;
    let doc = load(uow.db(), id).await?;
    if doc.requester_id != session.user_id() {
        ensure_visible(uow.db(), session, &doc).await?;
        let dir = Directory::load(uow.db()).await?;
        return Err(Error::PermissionDenied(format!(
            "Only the requester may edit {}: ask {} to correct it (return it to them with a \
             comment saying what to change).",
            doc.number,
            dir.name(&doc.requester_id)
        )));
    }
    state::editable(&doc.number, doc.status)?;
    if crate::sales::documents::exists(uow.db(), &doc.id).await? {
        return Err(Error::Conflict(format!(
            "{} is the approval request of a sale: correct the sale itself (Sales), then \
             submit it again.",
            doc.number
        )));
    }
    let old_lines: Vec<NewDocumentLine> = approval_document_line::Entity::find()
        .filter(approval_document_line::Column::DocumentId.eq(doc.id.as_str()))
        .order_by_asc(approval_document_line::Column::Position)
        .all(uow.db())
        .await?
        .into_iter()
        .map(|l| NewDocumentLine {
            description: l.description,
            quantity: l.quantity.get(),
            unit_price: l.unit_price.get(),
            tax_code: l.tax_code,
        })
        .collect();
    let old_facts: serde_json::Value =
        serde_json::from_str(&doc.facts_json).unwrap_or_else(|_| json!({}));
    // The document as it would be, checked exactly as a new one.
    let keep_or = |new: &Option<String>, old: &Option<String>| match new {
        Some(text) => clean(Some(text)),
        None => old.clone(),
    };
    let proposed = NewDocument {
        doc_type: doc.doc_type.parse()?,
        title: change.title.clone().unwrap_or_else(|| doc.title.clone()),
        amount: change.amount.unwrap_or_else(|| doc.amount.get()),
        currency: Some(doc.currency.clone()),
        department: change.department.clone(),
        category: keep_or(&change.category, &doc.category),
        project: keep_or(&change.project, &doc.project),
        facts: Some(change.facts.clone().unwrap_or_else(|| old_facts.clone())),
        lines: change.lines.clone().unwrap_or_else(|| old_lines.clone()),
    };
    let facts = check_new(&proposed)?;
    let department_id = match &change.department {
        None => doc.department_id.clone(),
        Some(name) => {
            let requester = requester_of(uow.db(), session).await?;
            department_for(uow.db(), session, &requester, Some(name)).await?
        }
    };

    let dir = Directory::load(uow.db()).await?;
    let money = |amount: Decimal| match Currency::from_str(&doc.currency) {
        Ok(c) => hesabu_store::money::Money::new(amount, c).to_string(),
        Err(_) => format!("{} {amount}", doc.currency),
    };
    let or_none = |text: Option<String>| text.unwrap_or_else(|| "none".into());
    let mut said: Vec<String> = Vec::new();
    let mut before = serde_json::Map::new();
    let mut after = serde_json::Map::new();
    let mut note = |field: &str, old: serde_json::Value, new: serde_json::Value, words: String| {
        before.insert(field.to_owned(), old);
        after.insert(field.to_owned(), new);
        said.push(words);
    };
    let title = proposed.title.trim().to_owned();
    if title != doc.title {
        note(
            "title",
            json!(doc.title),
            json!(title),
            format!("title '{}' → '{title}'", doc.title),
        );
    }
    let amount = proposed.amount.normalize();
    if amount != doc.amount.get() {
        note(
            "amount",
            json!(doc.amount),
            json!(amount.to_string()),
            format!("amount {} → {}", money(doc.amount.get()), money(amount)),
        );
    }
    if department_id != doc.department_id {
        let name = |id: &Option<String>| dir.department_name(id.as_deref());
        note(
            "department",
            json!(name(&doc.department_id)),
            json!(name(&department_id)),
            format!(
                "department {} → {}",
                or_none(name(&doc.department_id)),
                or_none(name(&department_id))
            ),
        );
    }
    for (field, old, new) in [
        ("category", &doc.category, &proposed.category),
        ("project", &doc.project, &proposed.project),
    ] {
        if old != new {
            note(
                field,
                json!(old),
                json!(new),
                format!(
                    "{field} {} → {}",
                    or_none(old.clone()),
                    or_none(new.clone())
                ),
            );
        }
    }
    if facts != old_facts {
        note(
            "facts",
            old_facts.clone(),
            facts.clone(),
            "facts changed".into(),
        );
    }
    let lines_changed = proposed.lines.len() != old_lines.len()
        || proposed.lines.iter().zip(&old_lines).any(|(a, b)| {
            a.description.trim() != b.description
                || a.quantity != b.quantity
                || a.unit_price != b.unit_price
                || clean(a.tax_code.as_deref()) != b.tax_code
        });
    if lines_changed {
        // The audit entry keeps how many lines there were and are, not their text (up to 4,000
        // characters each): the document holds the lines, and the chain stays small.
        let count = |n: usize| format!("{n} line{}", if n == 1 { "" } else { "s" });
        note(
            "lines",
            json!(old_lines.len()),
            json!(proposed.lines.len()),
            format!(
                "lines replaced ({} → {})",
                count(old_lines.len()),
                count(proposed.lines.len())
            ),
        );
    }
    if said.is_empty() {
        // Nothing to change, nothing to record.
        drop(uow);
        return show(file, session, id).await;
    }
    let budget_inputs_changed = ["amount", "department", "category", "project"]
        .iter()
        .any(|f| after.contains_key(*f));
    let mut active = doc.clone().into_active_model();
    active.title = Set(title);
    active.amount = Set(amount.into());
    active.department_id = Set(department_id);
    active.category = Set(proposed.category.clone());
    active.project = Set(proposed.project.clone());
    active.facts_json = Set(facts.to_string());
    active.updated_at = Set(uow.now_text());
    if budget_inputs_changed {
        active.budget_status = Set(None);
        active.budget_note = Set(None);
    }
    let edited = active.update(uow.db()).await?;
    if lines_changed {
        approval_document_line::Entity::delete_many()
            .filter(approval_document_line::Column::DocumentId.eq(doc.id.as_str()))
            .exec(uow.db())
            .await?;
        insert_lines(&uow, &doc.id, &proposed.lines).await?;
    }
    event(
        &uow,
        &edited,
        None,
        None,
        "edited",
        None,
        Some(said.join("; ")),
    )
    .await?;
    before.insert("number".into(), json!(doc.number));
    before.insert("status".into(), json!(doc.status));
    after.insert("number".into(), json!(edited.number));
    uow.audit(AuditDraft {
        action: "document.edit",
        entity_type: "document",
        entity_id: doc.id.clone(),
        before: Some(serde_json::Value::Object(before)),
        after: Some(serde_json::Value::Object(after)),
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
        ensure_visible(uow.db(), session, &doc).await?;
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
        close_request(&uow, &request, RequestStatus::Recalled).await?;
    }
    // The approval request of a sale: the sale is a draft again.
    crate::sales::documents::back_to_draft(&uow, &doc.id).await?;
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
    let before = doc.status;
    let request = current_request(uow.db(), &doc).await?;
    let doc = set_status(&uow, doc, Transition::Cancel).await?;
    if let Some(request) = request.filter(|r| r.status == RequestStatus::Pending) {
        close_request(&uow, &request, RequestStatus::Cancelled).await?;
    }
    crate::sales::documents::back_to_draft(&uow, &doc.id).await?;
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
        // The id the caller gave, never the document's number or anything else about it.
        Err(Error::PermissionDenied(format!(
            "Permission denied: {} ({}) may not view document {}: it does not exist, or it is \
             not yours and not in your approval chain.",
            session.email(),
            session.role(),
            doc.id
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
            quantity: l.quantity.to_string(),
            unit_price: l.unit_price.to_string(),
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
        amount: doc.amount.to_string(),
        currency: doc.currency.clone(),
        category: doc.category.clone(),
        project: doc.project.clone(),
        facts: serde_json::from_str(&doc.facts_json).unwrap_or_else(|_| json!({})),
        status: doc.status,
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
            status: s.status.to_string(),
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
        status: r.status.to_string(),
        policy_name: policy.name,
        policy_version: policy.version,
        matched_rule: r.matched_rule.clone(),
        explain: r.explain.clone(),
        steps,
    })
}

/// Moves the document through the state machine and stores the result.
pub(crate) async fn set_status(
    uow: &UnitOfWork,
    doc: approval_document::Model,
    transition: Transition,
) -> Result<approval_document::Model> {
    let from = doc.status;
    let to = state::next(from, transition).map_err(|e| match e {
        Error::Conflict(m) => Error::Conflict(format!("{}: {m}", doc.number)),
        other => other,
    })?;
    let mut active = doc.into_active_model();
    active.status = Set(to);
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

/// Parses a stored timestamp.
pub(crate) fn at(text: &str) -> Result<chrono::DateTime<chrono::Utc>> {
    parse_timestamp(text).map_err(|e| Error::Internal(format!("stored time '{text}': {e}")))
}
