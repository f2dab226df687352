//! Workflows: which entities are sent to KRA e-TIMS, when,
//! and what happened to each attempt.
//!
//! Map:
//! - [`config`]: the five workflow types and their typed, validated configs.
//! - [`events`]: local events recorded in the business unit of work, matched to workflows.
//! - [`executions`]: the execution log; an execution that sends owns one outbox row and follows
//!   its outcome (the outbox worker reports each move in the same transaction).
//! - [`export`]: the execution log as an export table, in the page's words.
//! - this file: the services behind `hesabu workflow …` and the Workflows screen.
//!
//! The e-TIMS client is phase 2 of the product: today an execution's outbox row (target
//! `etims`) is the hand-off. It waits in the queue until that client is registered as the
//! `etims` target, and the execution moves to `completed` or `failed` with the row.
//! See docs/workflows.md.

pub mod config;
pub(crate) mod entities;
pub mod events;
pub mod executions;
pub mod export;
pub mod wire;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Statement,
};
use serde_json::{Value, json};

pub use config::{WorkflowConfig, WorkflowSettings, WorkflowType};
pub use events::{EventType, NewEvent};
pub use executions::ExecutionLog;
pub use wire::{
    AttemptView, EventView, ExecutionFilter, ExecutionStatus, ExecutionView, WorkflowView,
};

use entities::{event, workflow_config, workflow_config_history, workflow_execution};
use executions::Trigger;
use hesabu_store::audit::AuditDraft;
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::{Error, Result};
use hesabu_store::permissions::Permission;

/// A workflow's stored settings, or the defaults (disabled, manual) when never set.
pub(crate) async fn settings_of(
    db: &impl ConnectionTrait,
    workflow: WorkflowType,
) -> Result<WorkflowSettings> {
    Ok(stored(db, workflow).await?.1)
}

async fn stored(
    db: &impl ConnectionTrait,
    workflow: WorkflowType,
) -> Result<(Option<workflow_config::Model>, WorkflowSettings)> {
    let row = workflow_config::Entity::find_by_id(workflow.as_str().to_owned())
        .one(db)
        .await?;
    let settings = match &row {
        None => WorkflowSettings {
            enabled: false,
            auto_sync: false,
            config: workflow.default_config(),
        },
        Some(r) => {
            let value: Value = serde_json::from_str(&r.config_json).map_err(|e| {
                Error::Internal(format!("stored {workflow} config does not parse: {e}"))
            })?;
            WorkflowSettings {
                enabled: r.enabled,
                auto_sync: r.auto_sync,
                config: WorkflowConfig::parse(workflow, &value)?,
            }
        }
    };
    Ok((row, settings))
}

fn view(
    workflow: WorkflowType,
    row: Option<&workflow_config::Model>,
    s: &WorkflowSettings,
) -> WorkflowView {
    WorkflowView {
        workflow_type: workflow,
        description: workflow.describe().into(),
        enabled: s.enabled,
        auto_sync: s.auto_sync,
        config: s.config.to_json(),
        version: row.map_or(0, |r| r.version),
        updated_at: row.map(|r| r.updated_at.clone()),
    }
}

/// The five workflows with their settings.
pub async fn list(file: &CompanyFile, session: &Session) -> Result<Vec<WorkflowView>> {
    session.require(Permission::WorkflowView)?;
    let mut out = Vec::new();
    for workflow in WorkflowType::ALL {
        let (row, settings) = stored(file.reader(), workflow).await?;
        out.push(view(workflow, row.as_ref(), &settings));
    }
    Ok(out)
}

/// Replaces a workflow's settings from a file `{"enabled", "autoSync", "config"}` (keys left
/// out keep their value). Versioned and audited.
pub async fn set(
    file: &CompanyFile,
    session: &Session,
    workflow: WorkflowType,
    settings_file: &Value,
) -> Result<WorkflowView> {
    session.require(Permission::WorkflowManage)?;
    let (_, current) = stored(file.reader(), workflow).await?;
    let next = config::parse_settings(workflow, settings_file, &current)?;
    save(file, session, workflow, next, "workflow.set").await
}

/// Turns a workflow on or off, keeping its config.
pub async fn set_enabled(
    file: &CompanyFile,
    session: &Session,
    workflow: WorkflowType,
    enabled: bool,
) -> Result<WorkflowView> {
    session.require(Permission::WorkflowManage)?;
    let (_, current) = stored(file.reader(), workflow).await?;
    let next = WorkflowSettings { enabled, ..current };
    let action = if enabled {
        "workflow.enable"
    } else {
        "workflow.disable"
    };
    save(file, session, workflow, next, action).await
}

async fn save(
    file: &CompanyFile,
    session: &Session,
    workflow: WorkflowType,
    next: WorkflowSettings,
    action: &'static str,
) -> Result<WorkflowView> {
    let mut uow = file.begin(session).await?;
    // Read again under the write lock: the version must not be taken twice.
    let (row, before) = stored(uow.db(), workflow).await?;
    let version = row.as_ref().map_or(0, |r| r.version) + 1;
    let model = workflow_config::Model {
        workflow_type: workflow.as_str().into(),
        enabled: next.enabled,
        auto_sync: next.auto_sync,
        config_json: next.config.to_json().to_string(),
        version,
        updated_at: uow.now_text(),
        updated_by: uow.actor().id.clone(),
    };
    let active = workflow_config::ActiveModel::from(model.clone());
    if row.is_some() {
        active.reset_all().update(uow.db()).await?;
    } else {
        active.insert(uow.db()).await?;
    }
    workflow_config_history::ActiveModel::from(workflow_config_history::Model {
        id: uow.new_id(),
        workflow_type: model.workflow_type.clone(),
        version,
        enabled: model.enabled,
        auto_sync: model.auto_sync,
        config_json: model.config_json.clone(),
        changed_at: model.updated_at.clone(),
        changed_by: model.updated_by.clone(),
    })
    .insert(uow.db())
    .await?;
    uow.audit(AuditDraft {
        action,
        entity_type: "workflow",
        entity_id: workflow.as_str().into(),
        before: row.as_ref().map(|_| {
            json!({
                "enabled": before.enabled,
                "autoSync": before.auto_sync,
                "config": before.config.to_json(),
            })
        }),
        after: Some(json!({
            "version": version,
            "enabled": next.enabled,
            "autoSync": next.auto_sync,
            "config": next.config.to_json(),
        })),
    })
    .await?;
    uow.commit().await?;
    Ok(view(workflow, Some(&model), &next))
}

/// Runs `workflow` for one entity now, whatever its auto-sync setting: a document id, or the id
/// of a customer, item, credit note or sale with a recorded event. A disabled workflow records
/// a skipped execution. Audited.
pub async fn run(
    file: &CompanyFile,
    session: &Session,
    workflow: WorkflowType,
    entity_id: &str,
) -> Result<ExecutionView> {
    session.require(Permission::WorkflowRun)?;
    let mut uow = file.begin(session).await?;
    let entity = events::Entity::load(uow.db(), "", entity_id.trim(), None).await?;
    if events::workflow_for(&entity.entity_type) != Some(workflow) {
        return Err(Error::invalid(format!(
            "{} is a {}; {workflow} does not send those. Pick the workflow for it ({}).",
            entity.label(),
            entity.entity_type.replace('_', " "),
            events::workflow_for(&entity.entity_type).map_or_else(
                || "none: it is not sent to e-TIMS".into(),
                |w| w.to_string()
            )
        )));
    }
    let settings = settings_of(uow.db(), workflow).await?;
    let waiting = executions::waiting(uow.db(), workflow, &entity.entity_id, "manual").await?;
    let row = match waiting.into_iter().next() {
        Some(row) => executions::redecide(&mut uow, row, &settings, &entity).await?,
        None => {
            executions::execute(&mut uow, workflow, &settings, &entity, Trigger::Manual).await?
        }
    };
    uow.audit(AuditDraft {
        action: "workflow.run",
        entity_type: "workflow_execution",
        entity_id: row.id.clone(),
        before: None,
        after: Some(json!({
            "workflow": workflow.as_str(),
            "entity": entity.label(),
            "status": row.status,
            "error": row.error_message,
        })),
    })
    .await?;
    let mut view = [ExecutionView::from(row)];
    attach_attempts(uow.db(), &mut view).await?;
    uow.commit().await?;
    let [view] = view;
    Ok(view)
}

/// Puts a failed execution back to work: its dead outbox row is queued again (checked with the
/// target before any resend), or, when it never queued anything, the workflow decides again.
/// Counts an attempt; the invoice workflow's `maxRetries` caps them. Audited.
pub async fn retry(file: &CompanyFile, session: &Session, id: &str) -> Result<ExecutionView> {
    session.require(Permission::WorkflowRun)?;
    let mut uow = file.begin(session).await?;
    let row = executions::find(uow.db(), id).await?;
    if row.status != ExecutionStatus::Failed {
        return Err(Error::Conflict(format!(
            "Execution {} is {}; only failed executions can be retried.",
            row.id, row.status
        )));
    }
    let workflow: WorkflowType = row.workflow_type.parse()?;
    let settings = settings_of(uow.db(), workflow).await?;
    if let Some(max) = executions::max_retries(&settings)
        && row.attempts > i64::from(max)
    {
        return Err(Error::Conflict(format!(
            "Execution {} has been tried {} times and {workflow} allows {max} retries \
             (maxRetries). Raise maxRetries with hesabu workflow set, or run the entity again \
             with hesabu workflow run.",
            row.id, row.attempts
        )));
    }
    let before =
        json!({ "status": row.status, "attempts": row.attempts, "error": row.error_message });
    let mut updated = match &row.outbox_id {
        Some(outbox_id) => {
            // The file's observers (the execution log below) put the execution back to pending.
            hesabu_store::outbox::requeue_dead(file, &uow, outbox_id).await?;
            executions::find(uow.db(), &row.id).await?
        }
        None => {
            let entity =
                events::Entity::load(uow.db(), &row.entity_type, &row.entity_id, None).await?;
            executions::redecide(&mut uow, row.clone(), &settings, &entity).await?
        }
    };
    updated.attempts = row.attempts + 1;
    updated.trigger = "retry".into();
    if updated.status == ExecutionStatus::Pending && updated.outbox_id.is_some() {
        updated.error_kind = None;
        updated.error_message = None;
    }
    updated.updated_at = uow.now_text();
    let updated = workflow_execution::ActiveModel::from(updated)
        .reset_all()
        .update(uow.db())
        .await?;
    uow.audit(AuditDraft {
        action: "workflow.retry",
        entity_type: "workflow_execution",
        entity_id: updated.id.clone(),
        before: Some(before),
        after: Some(json!({
            "status": updated.status,
            "attempts": updated.attempts,
            "outbox_id": updated.outbox_id,
        })),
    })
    .await?;
    let mut view = [ExecutionView::from(updated)];
    attach_attempts(uow.db(), &mut view).await?;
    uow.commit().await?;
    let [view] = view;
    Ok(view)
}

/// The execution log, newest first.
pub async fn executions(
    file: &CompanyFile,
    session: &Session,
    filter: &ExecutionFilter,
) -> Result<Vec<ExecutionView>> {
    session.require(Permission::WorkflowView)?;
    let mut query = workflow_execution::Entity::find();
    if let Some(s) = filter
        .status
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        query = query.filter(workflow_execution::Column::Status.eq(ExecutionStatus::parse(s)?));
    }
    if let Some(w) = filter.workflow_type {
        query = query.filter(workflow_execution::Column::WorkflowType.eq(w.as_str()));
    }
    if let Some(e) = filter.entity_id.as_deref() {
        query = query.filter(workflow_execution::Column::EntityId.eq(e.trim()));
    }
    let rows = query
        .order_by_desc(workflow_execution::Column::CreatedAt)
        .order_by_desc(workflow_execution::Column::Id)
        .limit(filter.limit.unwrap_or(200))
        .all(file.reader())
        .await?;
    let mut views: Vec<ExecutionView> = rows.into_iter().map(ExecutionView::from).collect();
    label_documents(file.reader(), &mut views).await?;
    attach_attempts(file.reader(), &mut views).await?;
    Ok(views)
}

/// Fills each view's `attempt_log`, oldest attempt first (one query per few hundred views).
async fn attach_attempts(db: &impl ConnectionTrait, views: &mut [ExecutionView]) -> Result<()> {
    use entities::workflow_execution_attempt as attempt;
    let ids: Vec<String> = views.iter().map(|v| v.id.clone()).collect();
    let mut by_execution: std::collections::HashMap<String, Vec<AttemptView>> =
        std::collections::HashMap::new();
    for ids in ids.chunks(500) {
        for a in attempt::Entity::find()
            .filter(attempt::Column::ExecutionId.is_in(ids.to_vec()))
            .order_by_asc(attempt::Column::ExecutionId)
            .order_by_asc(attempt::Column::Number)
            .all(db)
            .await?
        {
            by_execution
                .entry(a.execution_id.clone())
                .or_default()
                .push(AttemptView::from(a));
        }
    }
    for v in views {
        v.attempt_log = by_execution.remove(&v.id).unwrap_or_default();
    }
    Ok(())
}

/// Fills `entity_label` for the page (a few queries for the whole page): a sale's number
/// (INV-000012), a customer's number, an item's code, or an approval document's number.
async fn label_documents(db: &impl ConnectionTrait, views: &mut [ExecutionView]) -> Result<()> {
    use crate::entities::{approval_document, customer, item, sales_document};
    let mut ids: Vec<String> = views.iter().map(|v| v.entity_id.clone()).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut labels: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    // A few hundred ids per query: an export labels every execution, far more than SQLite
    // takes as parameters of one statement.
    for ids in ids.chunks(500) {
        for d in approval_document::Entity::find()
            .filter(approval_document::Column::Id.is_in(ids.to_vec()))
            .all(db)
            .await?
        {
            labels.entry(d.id).or_insert(d.number);
        }
        // A sale shares its id with its approval request; the sale's own number wins.
        for d in sales_document::Entity::find()
            .filter(sales_document::Column::Id.is_in(ids.to_vec()))
            .all(db)
            .await?
        {
            if let Some(number) = d.number {
                labels.insert(d.id, number);
            }
        }
        for c in customer::Entity::find()
            .filter(customer::Column::Id.is_in(ids.to_vec()))
            .all(db)
            .await?
        {
            labels.insert(c.id, format!("{} {}", c.number, c.name));
        }
        for i in item::Entity::find()
            .filter(item::Column::Id.is_in(ids.to_vec()))
            .all(db)
            .await?
        {
            labels.insert(i.id, format!("{} {}", i.code, i.name));
        }
    }
    for v in views {
        v.entity_label = labels.get(&v.entity_id).cloned();
    }
    Ok(())
}

/// One execution.
pub async fn execution(file: &CompanyFile, session: &Session, id: &str) -> Result<ExecutionView> {
    session.require(Permission::WorkflowView)?;
    let mut view = [ExecutionView::from(
        executions::find(file.reader(), id).await?,
    )];
    label_documents(file.reader(), &mut view).await?;
    attach_attempts(file.reader(), &mut view).await?;
    let [view] = view;
    Ok(view)
}

/// Recorded events, newest first (optionally for one entity).
pub async fn events_list(
    file: &CompanyFile,
    session: &Session,
    entity_id: Option<&str>,
    limit: u64,
) -> Result<Vec<EventView>> {
    session.require(Permission::WorkflowView)?;
    let mut query = event::Entity::find();
    if let Some(e) = entity_id {
        query = query.filter(event::Column::EntityId.eq(e.trim()));
    }
    let rows = query
        .order_by_desc(event::Column::OccurredAt)
        .order_by_desc(event::Column::Id)
        .limit(limit)
        .all(file.reader())
        .await?;
    Ok(rows.into_iter().map(EventView::from).collect())
}

/// Records an event about something the core does not store itself yet (a customer or item
/// changed in another module, something pulled from QuickBooks) and matches it to its
/// workflow, in one audited unit of work. Services that own the entity call
/// [`events::record`] with their own unit of work instead.
pub async fn record_event(
    file: &CompanyFile,
    session: &Session,
    new: NewEvent,
) -> Result<EventView> {
    session.require(Permission::WorkflowRun)?;
    let mut uow = file.begin(session).await?;
    let id = events::record(&mut uow, new.clone()).await?;
    uow.audit(AuditDraft {
        action: "event.record",
        entity_type: static_str(&new.entity_type),
        entity_id: new.entity_id.clone(),
        before: None,
        after: Some(json!({ "event": new.event_type.as_str(), "source": new.source, "id": id })),
    })
    .await?;
    uow.commit().await?;
    let row = event::Entity::find_by_id(id)
        .one(file.reader())
        .await?
        .ok_or_else(|| Error::Internal("a recorded event is missing".into()))?;
    Ok(EventView::from(row))
}

/// Audit entity types are static strings; map the known ones, everything else is "entity".
fn static_str(entity_type: &str) -> &'static str {
    match entity_type {
        "customer" => "customer",
        "item" => "item",
        "credit_note" => "credit_note",
        "sale" | "sales_receipt" => "sale",
        "sales_invoice" | "invoice" => "invoice",
        _ => "entity",
    }
}

/// A document's tax review state: `(flagged|resolved, note)`, or `None` if never flagged.
pub(crate) async fn tax_review_of(
    db: &impl ConnectionTrait,
    document_id: &str,
) -> Result<Option<(String, String)>> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT tax_review, tax_review_note FROM approval_document WHERE id = ?",
            [document_id.into()],
        ))
        .await?;
    let Some(row) = row else { return Ok(None) };
    let review: Option<String> = row.try_get("", "tax_review")?;
    let note: Option<String> = row.try_get("", "tax_review_note")?;
    Ok(review.map(|r| (r, note.unwrap_or_default())))
}
