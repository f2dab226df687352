//! Where business rules act on a document's approval: the rules layer evaluates decision tables
//! (a pure evaluator and the stored tables); this hook applies the results inside the unit of
//! work of the triggering change:
//! - on **create**: `set_field`, `flag_for_tax_review` and `notify` take effect;
//!   `require_approval` and `block` are recorded (they act at submission);
//! - on **submit**: a `block` refuses the submission (the whole unit of work rolls back, and
//!   the evaluation that blocked is stored in its own small audited unit of work so its trace
//!   survives); the others take effect, `require_approval` adding a level to the pinned chain
//!   after routing.
//!
//! Also here: a dry-run test of a rules file against a stored document (visible to whoever may
//! see the document), and resolving a document's tax review (which decides held e-TIMS
//! executions again).

use crate::entities::StepStatus;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, Set,
    Statement,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use ts_rs::TS;

use super::Directory;
use super::documents;
use crate::approvals::policy_format::{ApproverSpec, EmptyApprover, LevelMode, LevelSpec};
use crate::entities::{approval_document, approval_step};
use crate::rules::service::{RuleTrigger, store, subject_of};
use crate::rules::{Evaluation, RuleAction, evaluate};
use crate::workflows::{self, ExecutionView, executions};
use hesabu_store::audit::AuditDraft;
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::{Error, Result};
use hesabu_store::permissions::{Permission, Role};
use hesabu_store::uow::UnitOfWork;

/// The outcome of resolving a document's tax review.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct TaxReviewResolution {
    pub document_id: String,
    pub number: String,
    pub note: String,
    /// Executions that were held for the review and have been decided again.
    pub executions: Vec<ExecutionView>,
}

/// Evaluates a rules file (not imported) against a stored document: a dry run, nothing is
/// stored or changed.
pub async fn test(
    file: &CompanyFile,
    session: &Session,
    text: &str,
    document_id: &str,
) -> Result<Evaluation> {
    session.require(Permission::RulesView)?;
    let spec = crate::rules::parse(text)?;
    let db = file.reader();
    let doc = crate::documents::load(db, document_id).await?;
    documents::ensure_visible(db, session, &doc).await?;
    if spec.document_type.as_str() != doc.doc_type {
        return Err(Error::invalid(format!(
            "The table '{}' is for {}, but {} is a {}. Test it against a {} document.",
            spec.name,
            spec.document_type,
            doc.number,
            doc.doc_type.replace('_', " "),
            spec.document_type
        )));
    }
    let subject = subject_of(db, &doc).await?;
    Ok(evaluate(&[(spec, 0)], &subject))
}

/// Applies the actions that act before routing: set_field, flag_for_tax_review, notify. At
/// creation, require_approval and block are only recorded.
pub(crate) async fn apply_before_routing(
    uow: &UnitOfWork,
    doc: &approval_document::Model,
    evaluation: &mut Evaluation,
    trigger: RuleTrigger,
) -> Result<()> {
    for matched in &mut evaluation.actions {
        matched.effect = match &matched.action {
            RuleAction::SetField { field, value } => set_field(uow, doc, field, value).await?,
            RuleAction::FlagForTaxReview { reason } => {
                flag_for_tax_review(uow, &doc.id, reason).await?;
                "flagged for tax review: not sent to e-TIMS until resolved".into()
            }
            RuleAction::Notify { role, message } => notify(uow, doc, *role, message).await?,
            RuleAction::RequireApproval { .. } if trigger == RuleTrigger::Created => {
                "recorded: applies when the document is submitted".into()
            }
            RuleAction::Block { .. } if trigger == RuleTrigger::Created => {
                "recorded: the document cannot be submitted while this holds".into()
            }
            // Submission: block is handled by the caller, require_approval after routing.
            _ => continue,
        };
    }
    Ok(())
}

/// Applies require_approval after routing: each adds a level to the pinned chain.
pub(crate) async fn apply_require_approval(
    uow: &UnitOfWork,
    doc: &approval_document::Model,
    evaluation: &mut Evaluation,
) -> Result<()> {
    for matched in &mut evaluation.actions {
        if let RuleAction::RequireApproval {
            level_name,
            roles,
            designations,
            users,
            reason,
        } = &matched.action
        {
            let mut approvers: Vec<ApproverSpec> = roles
                .iter()
                .map(|r| ApproverSpec::Role { role: *r })
                .collect();
            approvers.extend(designations.iter().map(|d| ApproverSpec::Designation {
                designation: d.clone(),
            }));
            approvers.extend(
                users
                    .iter()
                    .map(|u| ApproverSpec::User { email: u.clone() }),
            );
            let level = LevelSpec {
                name: level_name.clone(),
                approvers,
                mode: LevelMode::AnyOne,
                sla_hours: 24,
                reminder: None,
                escalation: None,
                auto_approve_after_days: None,
                if_empty: EmptyApprover::Admin,
                min_amount: None,
                max_amount: None,
            };
            let why = reason
                .clone()
                .unwrap_or_else(|| format!("rule '{}' requires it", matched.row_name));
            matched.effect = add_level(uow, doc, &level, &why).await?;
        }
    }
    Ok(())
}

/// Adds `level` after the last level of the document's current request, unless someone it
/// names already approves in the chain (then their steps carry the reason and nobody is added).
/// Nobody to approve: an admin, as a policy's `if_empty: admin` would; no admin either refuses.
async fn add_level(
    uow: &UnitOfWork,
    doc: &approval_document::Model,
    level: &LevelSpec,
    reason: &str,
) -> Result<String> {
    let request = crate::approvals::routing::current_request(uow.db(), doc)
        .await?
        .ok_or_else(|| Error::Internal("a submitted document has no request".into()))?;
    let spec = crate::approvals::routing::pinned_spec(uow.db(), &request).await?;
    let dir = Directory::load(uow.db()).await?;
    let steps = crate::approvals::routing::steps_of(uow.db(), &request.id).await?;
    let (found, why) = crate::approvals::routing::resolve(level, &dir, doc);
    let already: Vec<&approval_step::Model> = steps
        .iter()
        .filter(|s| s.status != StepStatus::Cancelled && found.contains(&s.approver_id))
        .collect();
    if !already.is_empty() {
        let mut names = Vec::new();
        for step in already {
            names.push(dir.name(&step.approver_id));
            let mut active = step.clone().into_active_model();
            active.why = Set(format!(
                "{} Also required by a business rule: {reason}.",
                step.why
            ));
            active.update(uow.db()).await?;
        }
        names.dedup();
        return Ok(format!(
            "already in the chain ({}): nobody added",
            names.join(", ")
        ));
    }
    let (ids, to_admins) =
        crate::approvals::routing::appended_level_approvers(doc, &spec, &steps, &dir, found);
    let who = if to_admins {
        format!("nobody is the {why}, so an admin")
    } else {
        why
    };
    if ids.is_empty() {
        return Err(Error::invalid(format!(
            "{} cannot be submitted: {reason} (level '{}'), but nobody can approve it. Add \
             someone with that role or designation. Nothing was submitted.",
            doc.number, level.name
        )));
    }
    let number = steps.iter().map(|s| s.level).max().unwrap_or(0) + 1;
    let names: Vec<String> = ids.iter().map(|id| dir.name(id)).collect();
    let why = format!(
        "Business rule: {reason}. Level {number} ('{}') added to the chain: {who}.",
        level.name
    );
    crate::approvals::routing::insert_waiting_level(uow, &request.id, number, level, ids, &why)
        .await?;
    Ok(format!(
        "level {number} '{}' added: {}",
        level.name,
        names.join(", ")
    ))
}

async fn set_field(
    uow: &UnitOfWork,
    doc: &approval_document::Model,
    field: &str,
    value: &Value,
) -> Result<String> {
    let stored = crate::documents::load(uow.db(), &doc.id).await?;
    let mut active = stored.clone().into_active_model();
    match field {
        "category" => active.category = Set(value.as_str().map(str::to_owned)),
        "project" => active.project = Set(value.as_str().map(str::to_owned)),
        _ => {
            let key = field.trim_start_matches("facts.");
            let mut facts: Value =
                serde_json::from_str(&stored.facts_json).unwrap_or_else(|_| json!({}));
            if let Some(map) = facts.as_object_mut() {
                map.insert(key.to_owned(), value.clone());
            }
            active.facts_json = Set(facts.to_string());
        }
    }
    active.updated_at = Set(uow.now_text());
    active.update(uow.db()).await?;
    Ok(format!("{field} set to {value}"))
}

async fn flag_for_tax_review(uow: &UnitOfWork, document_id: &str, reason: &str) -> Result<()> {
    uow.db()
        .execute_raw(Statement::from_sql_and_values(
            uow.db().get_database_backend(),
            "UPDATE approval_document SET tax_review = ?, tax_review_note = ? WHERE id = ?",
            ["flagged".into(), reason.into(), document_id.into()],
        ))
        .await?;
    Ok(())
}

async fn notify(
    uow: &UnitOfWork,
    doc: &approval_document::Model,
    role: Role,
    message: &str,
) -> Result<String> {
    let users = hesabu_store::entities::app_user::Entity::find()
        .filter(hesabu_store::entities::app_user::Column::Role.eq(role.as_str()))
        .filter(hesabu_store::entities::app_user::Column::Active.eq(true))
        .all(uow.db())
        .await?;
    for user in &users {
        hesabu_store::notifications::enqueue(
            uow,
            &user.id,
            "rule_notice",
            Some(&doc.id),
            format!("{} {}: {message}", doc.number, doc.title),
        )
        .await?;
    }
    Ok(format!("notified {} {role}(s)", users.len()))
}

/// After a blocked submission rolled back: stores the evaluation that blocked it, in its own
/// audited unit of work, so "why was this refused" can be answered later.
pub(crate) async fn record_blocked(
    file: &CompanyFile,
    session: &Session,
    document_id: &str,
    evaluation: &Evaluation,
) -> Result<()> {
    let mut uow = file.begin(session).await?;
    let id = store(&uow, document_id, RuleTrigger::Submitted, evaluation).await?;
    uow.audit(AuditDraft {
        action: "rules.blocked",
        entity_type: "document",
        entity_id: document_id.to_owned(),
        before: None,
        after: Some(json!({
            "evaluation_id": id,
            "reason": evaluation.blocked().map(|b| b.action.describe()),
        })),
    })
    .await?;
    uow.commit().await
}

/// A document held for tax review: what the rule said, about which document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TaxReviewView {
    pub document_id: String,
    pub number: String,
    pub title: String,
    /// The rule's reason, as its author wrote it ("Zero-rated sale: check the export papers").
    pub reason: String,
    pub raised_by: String,
    pub department: Option<String>,
    pub amount: String,
    pub currency: String,
    pub created_at: String,
}

/// The documents waiting for a tax review, oldest first (the longest-waiting at the top).
pub async fn tax_reviews(file: &CompanyFile, session: &Session) -> Result<Vec<TaxReviewView>> {
    session.require(Permission::RulesView)?;
    let db = file.reader();
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT id, tax_review_note FROM approval_document WHERE tax_review = ? \
             ORDER BY created_at, id",
            ["flagged".into()],
        ))
        .await?;
    let dir = Directory::load(db).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let id: String = row.try_get("", "id")?;
        let note: Option<String> = row.try_get("", "tax_review_note")?;
        let doc = crate::documents::load(db, &id).await?;
        out.push(TaxReviewView {
            number: doc.number.clone(),
            title: doc.title.clone(),
            reason: note.unwrap_or_default(),
            raised_by: dir.name(&doc.requester_id),
            department: dir.department_name(doc.department_id.as_deref()),
            amount: doc.amount.to_string(),
            currency: doc.currency.clone(),
            created_at: doc.created_at.clone(),
            document_id: doc.id,
        });
    }
    Ok(out)
}

/// Resolves a document's tax review: it may be sent to e-TIMS again, and executions held for
/// the review are decided again (queued, if their workflow still sends). Audited.
pub async fn resolve_tax_review(
    file: &CompanyFile,
    session: &Session,
    document_id: &str,
    note: &str,
) -> Result<TaxReviewResolution> {
    session.require(Permission::RulesManage)?;
    let note = note.trim();
    if note.is_empty() {
        return Err(Error::invalid(
            "Say how the tax review was resolved, e.g. --note \"tax code B added to line 2\".",
        ));
    }
    hesabu_store::limits::check_text("note", note, hesabu_store::limits::NOTE)?;
    let mut uow = file.begin(session).await?;
    // By id, or by the number people use (SI-000002).
    let by_number = approval_document::Entity::find()
        .filter(approval_document::Column::Number.eq(document_id.trim()))
        .one(uow.db())
        .await?;
    let doc = match by_number {
        Some(doc) => doc,
        None => crate::documents::load(uow.db(), document_id).await?,
    };
    let review = workflows::tax_review_of(uow.db(), &doc.id).await?;
    let Some((state, reason)) = review.filter(|(s, _)| s == "flagged") else {
        return Err(Error::Conflict(format!(
            "{} is not flagged for tax review.",
            doc.number
        )));
    };
    uow.db()
        .execute_raw(Statement::from_sql_and_values(
            uow.db().get_database_backend(),
            "UPDATE approval_document SET tax_review = ?, tax_review_note = ? WHERE id = ?",
            ["resolved".into(), note.into(), doc.id.clone().into()],
        ))
        .await?;
    let mut released = Vec::new();
    if let Some(workflow) = workflows::events::workflow_for(&doc.doc_type) {
        let settings = workflows::settings_of(uow.db(), workflow).await?;
        for row in executions::waiting(uow.db(), workflow, &doc.id, "held").await? {
            let entity =
                workflows::events::Entity::load(uow.db(), &doc.doc_type, &doc.id, None).await?;
            let updated = executions::redecide(&mut uow, row, &settings, &entity).await?;
            released.push(ExecutionView::from(updated));
        }
    }
    uow.audit(AuditDraft {
        action: "document.tax_review_resolve",
        entity_type: "document",
        entity_id: doc.id.clone(),
        before: Some(json!({ "tax_review": state, "reason": reason })),
        after: Some(json!({
            "tax_review": "resolved",
            "note": note,
            "executions": released.iter().map(|e| json!({"id": e.id, "status": e.status})).collect::<Vec<_>>(),
        })),
    })
    .await?;
    uow.commit().await?;
    Ok(TaxReviewResolution {
        document_id: doc.id,
        number: doc.number,
        note: note.to_owned(),
        executions: released,
    })
}

/// Helper for views: a document's tax review state as `(state, note)`.
pub async fn tax_review(
    file: &CompanyFile,
    session: &Session,
    document_id: &str,
) -> Result<Option<(String, String)>> {
    session.require(Permission::RulesView)?;
    let doc = crate::documents::load(file.reader(), document_id).await?;
    workflows::tax_review_of(file.reader(), &doc.id).await
}
