//! Decision tables as a service: import (versioned, audited), list, the evaluation log, and
//! evaluating the active tables against a stored document (the subject the conditions see).
//! Where the results act on a document's approval (set a field, flag it for tax review, add an
//! approval level, block a submission) is the approval engine's: `approvals::rule_hooks`.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Statement};
use serde::{Deserialize, Serialize};
use serde_json::json;
use ts_rs::TS;

use super::{Evaluation, LineSubject, RuleTableSpec, Subject, TableTrace};
use super::{MatchedAction, evaluate};
use crate::entities::{approval_document, approval_document_line};
use hesabu_store::audit::AuditDraft;
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::{Error, Result};
use hesabu_store::permissions::Permission;
use hesabu_store::uow::UnitOfWork;

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
    let mut lines = Vec::new();
    for l in approval_document_line::Entity::find()
        .filter(approval_document_line::Column::DocumentId.eq(doc.id.as_str()))
        .order_by_asc(approval_document_line::Column::Position)
        .all(db)
        .await?
    {
        lines.push(LineSubject {
            quantity: l.quantity.get(),
            unit_price: l.unit_price.get(),
            description: l.description,
            tax_code: l.tax_code,
        });
    }
    Ok(Subject {
        amount: crate::documents::amount_of(doc),
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

/// Whether any active rule table applies to `document_type`.
pub(crate) async fn has_active_tables(
    db: &impl ConnectionTrait,
    document_type: &str,
) -> Result<bool> {
    Ok(!active_tables(db, Some(document_type)).await?.is_empty())
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

/// How many evaluations the CLI lists by default.
pub const DEFAULT_EVALUATIONS: u64 = 20;
