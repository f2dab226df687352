//! Decision tables as a service: import (versioned, audited), list, a dry-run test of a file
//! against a stored document, the evaluation log, resolving tax reviews, and the approval
//! engine's hook.
//!
//! The hook runs inside the unit of work of the triggering change:
//! - on **create**: `set_field`, `flag_for_tax_review` and `notify` take effect;
//!   `require_approval` and `block` are recorded (they act at submission);
//! - on **submit**: a `block` refuses the submission (the whole unit of work rolls back, and
//!   the evaluation that blocked is stored in its own small audited unit of work so its trace
//!   survives); the others take effect, `require_approval` adding a level to the pinned chain
//!   after routing.

use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set, Statement,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use ts_rs::TS;

use super::{Evaluation, LineSubject, RuleAction, RuleTableSpec, Subject, TableTrace};
use super::{MatchedAction, evaluate};
use crate::approvals::Directory;
use crate::approvals::documents::{self, CANCELLED};
use crate::approvals::entities::{approval_document, approval_document_line, approval_step};
use crate::approvals::policy::{ApproverSpec, EmptyApprover, LevelMode, LevelSpec};
use crate::audit::AuditDraft;
use crate::auth::Session;
use crate::company_file::CompanyFile;
use crate::error::{Error, Result};
use crate::permissions::{Permission, Role};
use crate::uow::UnitOfWork;
use crate::workflows::{self, ExecutionView, executions};

/// An imported table (the active version of its name).
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct RuleTableView {
    pub id: String,
    pub name: String,
    pub document_type: String,
    #[ts(type = "number")]
    pub version: i64,
    pub imported_at: String,
    pub spec: RuleTableSpec,
}

/// A stored evaluation.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct EvaluationView {
    pub id: String,
    pub document_id: String,
    pub document_number: Option<String>,
    /// created | submitted
    pub trigger: String,
    pub outcome: String,
    pub actions: Vec<MatchedAction>,
    pub trace: Vec<TableTrace>,
    pub evaluated_at: String,
}

/// The outcome of resolving a document's tax review.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct TaxReviewResolution {
    pub document_id: String,
    pub number: String,
    pub note: String,
    /// Executions that were held for the review and have been decided again.
    pub executions: Vec<ExecutionView>,
}

/// When the rules run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RuleTrigger {
    Created,
    Submitted,
}

impl RuleTrigger {
    fn as_str(self) -> &'static str {
        match self {
            RuleTrigger::Created => "created",
            RuleTrigger::Submitted => "submitted",
        }
    }
}

/// Imports a table: a new version of its name. Audited.
pub async fn import(file: &CompanyFile, session: &Session, text: &str) -> Result<RuleTableView> {
    session.require(Permission::RulesManage)?;
    let spec = super::parse(text)?;
    let mut uow = file.begin(session).await?;
    let row = uow
        .db()
        .query_one_raw(Statement::from_sql_and_values(
            uow.db().get_database_backend(),
            "SELECT COALESCE(MAX(version), 0) AS v FROM rule_table WHERE name = ?",
            [spec.name.trim().into()],
        ))
        .await?
        .ok_or_else(|| Error::Internal("MAX(version) returned no row".into()))?;
    let version: i64 = row.try_get::<i64>("", "v")? + 1;
    let id = uow.new_id();
    let now = uow.now_text();
    let spec_json = serde_json::to_string(&spec)
        .map_err(|e| Error::Internal(format!("serialising a rule table: {e}")))?;
    uow.db()
        .execute_raw(Statement::from_sql_and_values(
            uow.db().get_database_backend(),
            "INSERT INTO rule_table (id, name, document_type, version, spec_json, imported_at, \
             imported_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                id.clone().into(),
                spec.name.trim().into(),
                spec.document_type.as_str().into(),
                version.into(),
                spec_json.into(),
                now.clone().into(),
                uow.actor().id.clone().into(),
            ],
        ))
        .await?;
    uow.audit(AuditDraft {
        action: "rules.import",
        entity_type: "rule_table",
        entity_id: id.clone(),
        before: None,
        after: Some(json!({
            "name": spec.name,
            "document_type": spec.document_type,
            "version": version,
            "rows": spec.rows.len(),
        })),
    })
    .await?;
    uow.commit().await?;
    Ok(RuleTableView {
        id,
        name: spec.name.trim().to_owned(),
        document_type: spec.document_type.as_str().into(),
        version,
        imported_at: now,
        spec,
    })
}

/// The active tables (newest version of each name), by document type then name.
pub async fn list(file: &CompanyFile, session: &Session) -> Result<Vec<RuleTableView>> {
    session.require(Permission::RulesView)?;
    active_tables(file.reader(), None).await
}

async fn active_tables(
    db: &impl ConnectionTrait,
    document_type: Option<&str>,
) -> Result<Vec<RuleTableView>> {
    let mut sql = "SELECT t.id, t.name, t.document_type, t.version, t.spec_json, t.imported_at \
                   FROM rule_table t WHERE t.version = (SELECT MAX(version) FROM rule_table u \
                   WHERE u.name = t.name)"
        .to_owned();
    let mut values: Vec<sea_orm::Value> = Vec::new();
    if let Some(d) = document_type {
        sql.push_str(" AND t.document_type = ?");
        values.push(d.into());
    }
    sql.push_str(" ORDER BY t.document_type, t.name");
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            sql,
            values,
        ))
        .await?;
    let mut out = Vec::new();
    for row in rows {
        let spec_json: String = row.try_get("", "spec_json")?;
        let spec: RuleTableSpec = serde_json::from_str(&spec_json)
            .map_err(|e| Error::Internal(format!("a stored rule table does not parse: {e}")))?;
        out.push(RuleTableView {
            id: row.try_get("", "id")?,
            name: row.try_get("", "name")?,
            document_type: row.try_get("", "document_type")?,
            version: row.try_get("", "version")?,
            imported_at: row.try_get("", "imported_at")?,
            spec,
        });
    }
    Ok(out)
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
    let spec = super::parse(text)?;
    let db = file.reader();
    let doc = documents::load(db, document_id).await?;
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

/// Stored evaluations, newest first (optionally of one document).
pub async fn evaluations(
    file: &CompanyFile,
    session: &Session,
    document_id: Option<&str>,
    limit: u64,
) -> Result<Vec<EvaluationView>> {
    session.require(Permission::RulesView)?;
    let db = file.reader();
    let mut sql = "SELECT e.id, e.document_id, d.number, e.trigger, e.outcome, e.actions_json, \
                   e.trace_json, e.evaluated_at FROM rule_evaluation e LEFT JOIN \
                   approval_document d ON d.id = e.document_id"
        .to_owned();
    let mut values: Vec<sea_orm::Value> = Vec::new();
    if let Some(d) = document_id {
        sql.push_str(" WHERE e.document_id = ?");
        values.push(d.trim().into());
    }
    sql.push_str(" ORDER BY e.evaluated_at DESC, e.id DESC LIMIT ?");
    values.push(i64::try_from(limit).unwrap_or(i64::MAX).into());
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            sql,
            values,
        ))
        .await?;
    let mut out = Vec::new();
    for row in rows {
        let actions: String = row.try_get("", "actions_json")?;
        let trace: String = row.try_get("", "trace_json")?;
        out.push(EvaluationView {
            id: row.try_get("", "id")?,
            document_id: row.try_get("", "document_id")?,
            document_number: row.try_get("", "number")?,
            trigger: row.try_get("", "trigger")?,
            outcome: row.try_get("", "outcome")?,
            actions: serde_json::from_str(&actions).unwrap_or_default(),
            trace: serde_json::from_str(&trace).unwrap_or_default(),
            evaluated_at: row.try_get("", "evaluated_at")?,
        });
    }
    Ok(out)
}

/// The document as the conditions see it.
pub(crate) async fn subject_of(
    db: &impl ConnectionTrait,
    doc: &approval_document::Model,
) -> Result<Subject> {
    let company = crate::company::load(db).await?;
    let department = match &doc.department_id {
        Some(id) => crate::entities::department::Entity::find_by_id(id.clone())
            .one(db)
            .await?
            .map(|d| d.name),
        None => None,
    };
    let decimal = |text: &str| {
        Decimal::from_str_exact(text)
            .map_err(|_| Error::Internal(format!("stored amount '{text}' does not parse")))
    };
    let mut lines = Vec::new();
    for l in approval_document_line::Entity::find()
        .filter(approval_document_line::Column::DocumentId.eq(doc.id.as_str()))
        .order_by_asc(approval_document_line::Column::Position)
        .all(db)
        .await?
    {
        lines.push(LineSubject {
            quantity: decimal(&l.quantity)?,
            unit_price: decimal(&l.unit_price)?,
            description: l.description,
            tax_code: l.tax_code,
        });
    }
    Ok(Subject {
        amount: documents::amount_of(doc)?,
        currency: doc.currency.clone(),
        base_currency: company.base_currency,
        category: doc.category.clone(),
        project: doc.project.clone(),
        department,
        doc_type: doc.doc_type.clone(),
        title: doc.title.clone(),
        facts: serde_json::from_str(&doc.facts_json).unwrap_or_else(|_| json!({})),
        lines,
    })
}

/// Evaluates the active tables for `doc`'s type. `None` when there are none.
pub(crate) async fn evaluate_document(
    db: &impl ConnectionTrait,
    doc: &approval_document::Model,
) -> Result<Option<Evaluation>> {
    let tables = active_tables(db, Some(&doc.doc_type)).await?;
    if tables.is_empty() {
        return Ok(None);
    }
    let subject = subject_of(db, doc).await?;
    let specs: Vec<(RuleTableSpec, i64)> =
        tables.into_iter().map(|t| (t.spec, t.version)).collect();
    Ok(Some(evaluate(&specs, &subject)))
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
    let request = documents::current_request(uow.db(), doc)
        .await?
        .ok_or_else(|| Error::Internal("a submitted document has no request".into()))?;
    let spec = documents::pinned_spec(uow.db(), &request).await?;
    let dir = Directory::load(uow.db()).await?;
    let steps = documents::steps_of(uow.db(), &request.id).await?;
    let (found, why) = documents::resolve(level, &dir, doc);
    let already: Vec<&approval_step::Model> = steps
        .iter()
        .filter(|s| s.status != CANCELLED && found.contains(&s.approver_id))
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
    let in_chain = documents::chain_people(&steps);
    let usable = |ids: Vec<String>| -> Vec<String> {
        ids.into_iter()
            .filter(|id| *id != doc.requester_id)
            .filter(|id| spec.allow_repeat_approver || !in_chain.contains(id))
            .collect()
    };
    let mut ids = usable(found);
    let mut who = why;
    if ids.is_empty() {
        ids = usable(dir.admins());
        who = format!("nobody is the {who}, so an admin");
    }
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
    documents::insert_waiting_level(uow, &request.id, number, level, ids, &why).await?;
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
    let stored = documents::load(uow.db(), &doc.id).await?;
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
    let users = crate::entities::app_user::Entity::find()
        .filter(crate::entities::app_user::Column::Role.eq(role.as_str()))
        .filter(crate::entities::app_user::Column::Active.eq(true))
        .all(uow.db())
        .await?;
    for user in &users {
        crate::approvals::notifications::enqueue(
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

/// Stores an evaluation in the caller's unit of work.
pub(crate) async fn store(
    uow: &UnitOfWork,
    document_id: &str,
    trigger: RuleTrigger,
    evaluation: &Evaluation,
) -> Result<String> {
    let id = uow.new_id();
    uow.db()
        .execute_raw(Statement::from_sql_and_values(
            uow.db().get_database_backend(),
            "INSERT INTO rule_evaluation (id, document_id, trigger, outcome, actions_json, \
             trace_json, evaluated_at, evaluated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                id.clone().into(),
                document_id.into(),
                trigger.as_str().into(),
                evaluation.outcome.clone().into(),
                to_text(&evaluation.actions).into(),
                to_text(&evaluation.trace).into(),
                uow.now_text().into(),
                uow.actor().id.clone().into(),
            ],
        ))
        .await?;
    Ok(id)
}

/// JSON text of a wire value (serialising these cannot fail; an empty list if it did).
fn to_text(value: &impl Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "[]".into())
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
    let mut uow = file.begin(session).await?;
    let doc = documents::load(uow.db(), document_id).await?;
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
    let doc = documents::load(file.reader(), document_id).await?;
    workflows::tax_review_of(file.reader(), &doc.id).await
}

/// How many evaluations the CLI lists by default.
pub const DEFAULT_EVALUATIONS: u64 = 20;
