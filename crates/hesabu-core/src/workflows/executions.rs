//! The execution log: creating an execution (and its outbox row) for an entity, following the
//! outbox row's outcome, and retrying failed executions.
//!
//! An execution that sends something owns exactly one outbox row (`outbox_id`). The outbox
//! worker reports each move of that row through [`on_outbox_change`], inside the same
//! transaction as the move, so the log cannot disagree with the queue:
//! claimed → `running`; acknowledged → `completed` (with the target's reference); a retryable
//! failure → stays `running` with the error; dead → `failed`; a person's retry → `pending`.
//!
//! Each claim is also one *attempt* (`workflow_execution_attempt`), closed by the move that
//! ends it: sent, will retry, failed, or interrupted (found still open by the next claim: the
//! app stopped mid-send). The execution log shows one row per attempt.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use serde_json::{Value, json};

use super::config::{WorkflowConfig, WorkflowSettings, WorkflowType};
use super::entities::{workflow_execution, workflow_execution_attempt};
use super::events::{self, Decision, Entity};
use super::wire::ExecutionStatus;
use hesabu_store::clock::parse_timestamp;
use hesabu_store::entities::outbox;
use hesabu_store::error::{Error, Result};
use hesabu_store::notifications::{self, NewNotification};
use hesabu_store::outbox::{NewOutboxItem, OutboxChange, OutboxMove, OutboxObserver};
use hesabu_store::uow::UnitOfWork;

/// The e-TIMS target name in the outbox. The real client is phase 2 of the product; until it
/// is registered, rows for it wait in the queue (the outbox row is the hand-off).
pub const ETIMS_TARGET: &str = "etims";

/// e-TIMS fiscal writes (sales, invoices, credit notes) go strictly in order, one in flight per
/// device; customers and items need no order.
const FISCAL_ORDERING_KEY: &str = "etims:fiscal";

/// Why an execution was created.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Trigger<'a> {
    Event(&'a str),
    Manual,
}

/// Decides what `workflow` does with `entity` and records the execution (queueing the outbox
/// row when it sends). Never sends the same entity version twice: an earlier execution that
/// queued it makes this one `skipped`.
pub(crate) async fn execute(
    uow: &mut UnitOfWork,
    workflow: WorkflowType,
    settings: &WorkflowSettings,
    entity: &Entity,
    trigger: Trigger<'_>,
) -> Result<workflow_execution::Model> {
    let manual = matches!(trigger, Trigger::Manual);
    let mut decision = events::decide(workflow, settings, entity, manual);
    if matches!(decision, Decision::Send { .. })
        && let Some(earlier) = queued_before(uow.db(), workflow, entity).await?
    {
        decision = Decision::Skip(if earlier.status == ExecutionStatus::Failed {
            format!(
                "skipped: execution {} already sent this version of {} and failed; retry it \
                 with hesabu workflow retry {}",
                earlier.id,
                entity.label(),
                earlier.id
            )
        } else {
            format!(
                "skipped: already sent by execution {} ({})",
                earlier.id, earlier.status
            )
        });
    }
    let now = uow.now_text();
    let mut row = workflow_execution::Model {
        id: uow.new_id(),
        workflow_type: workflow.as_str().into(),
        entity_type: entity.entity_type.clone(),
        entity_id: entity.entity_id.clone(),
        entity_version: entity.version,
        trigger: match trigger {
            Trigger::Event(_) => "event".into(),
            Trigger::Manual => "manual".into(),
        },
        event_id: match trigger {
            Trigger::Event(id) => Some(id.to_owned()),
            Trigger::Manual => None,
        },
        outbox_id: None,
        status: ExecutionStatus::Pending,
        started_at: None,
        completed_at: None,
        duration_ms: None,
        attempts: 1,
        error_kind: None,
        error_message: None,
        result_ref: None,
        created_at: now.clone(),
        updated_at: now.clone(),
        created_by: uow.actor().id.clone(),
    };
    apply(uow, workflow, settings, entity, &mut row, decision).await?;
    workflow_execution::ActiveModel::from(row.clone())
        .insert(uow.db())
        .await?;
    Ok(row)
}

/// Fills `row` from the decision: queues the outbox row, or marks it skipped / failed / waiting.
async fn apply(
    uow: &mut UnitOfWork,
    workflow: WorkflowType,
    settings: &WorkflowSettings,
    entity: &Entity,
    row: &mut workflow_execution::Model,
    decision: Decision,
) -> Result<()> {
    let now = uow.now_text();
    match decision {
        Decision::Send { options } => {
            let outbox_id = uow
                .enqueue(NewOutboxItem {
                    target: ETIMS_TARGET.into(),
                    operation: workflow.operation().into(),
                    payload: json!({
                        "workflow": workflow.as_str(),
                        "execution_id": row.id,
                        "entity_type": entity.entity_type,
                        "entity_id": entity.entity_id,
                        "entity_version": entity.version,
                        "entity": entity.data,
                        "options": options,
                    }),
                    idempotency_key: events::idempotency_key(
                        workflow,
                        &entity.entity_id,
                        entity.version,
                    ),
                    ordering_key: match workflow {
                        WorkflowType::CustomerSync | WorkflowType::ItemSync => None,
                        _ => Some(FISCAL_ORDERING_KEY.into()),
                    },
                    auto_retry: auto_retry(settings),
                })
                .await?;
            row.outbox_id = Some(outbox_id);
            row.status = ExecutionStatus::Pending;
            row.error_kind = None;
            row.error_message = None;
        }
        Decision::Skip(message) => {
            row.status = ExecutionStatus::Skipped;
            row.started_at = Some(now.clone());
            row.completed_at = Some(now);
            row.duration_ms = Some(0);
            row.error_kind = Some("skipped".into());
            row.error_message = Some(message);
        }
        Decision::Fail { kind, message } => {
            row.status = ExecutionStatus::Failed;
            row.started_at = Some(now.clone());
            row.completed_at = Some(now);
            row.duration_ms = Some(0);
            row.error_kind = Some(kind.into());
            row.error_message = Some(message.clone());
            if notify_on_failure(settings) {
                notifications::insert(
                    uow,
                    failure_notice(workflow, &entity.label(), &row.id, &message),
                )
                .await?;
            }
        }
        Decision::Wait { kind, message } => {
            row.status = ExecutionStatus::Pending;
            row.error_kind = Some(kind.into());
            row.error_message = Some(message);
        }
    }
    Ok(())
}

fn notify_on_failure(settings: &WorkflowSettings) -> bool {
    match &settings.config {
        WorkflowConfig::Invoice(c) => c.notify_on_failure,
        // Only the invoice workflow has the switch; the others' failures show in the log.
        _ => false,
    }
}

fn failure_notice(
    workflow: WorkflowType,
    label: &str,
    execution_id: &str,
    message: &str,
) -> NewNotification {
    NewNotification {
        kind: "workflow.failed",
        severity: "error",
        title: format!("{workflow} failed for {label}"),
        body: format!(
            "{message} Fix the cause, then retry it with `hesabu workflow retry \
             {execution_id}` or from the Workflows page."
        ),
        entity_type: Some("workflow_execution"),
        entity_id: Some(execution_id.to_owned()),
    }
}

/// An earlier execution that queued this entity version (so its outbox key is taken).
async fn queued_before(
    db: &impl sea_orm::ConnectionTrait,
    workflow: WorkflowType,
    entity: &Entity,
) -> Result<Option<workflow_execution::Model>> {
    Ok(workflow_execution::Entity::find()
        .filter(workflow_execution::Column::WorkflowType.eq(workflow.as_str()))
        .filter(workflow_execution::Column::EntityId.eq(entity.entity_id.as_str()))
        .filter(workflow_execution::Column::EntityVersion.eq(entity.version))
        .filter(workflow_execution::Column::OutboxId.is_not_null())
        .one(db)
        .await?)
}

/// A pending execution of this entity version that waits for a person (`manual` or `held`).
pub(crate) async fn waiting(
    db: &impl sea_orm::ConnectionTrait,
    workflow: WorkflowType,
    entity_id: &str,
    kind: &str,
) -> Result<Vec<workflow_execution::Model>> {
    Ok(workflow_execution::Entity::find()
        .filter(workflow_execution::Column::WorkflowType.eq(workflow.as_str()))
        .filter(workflow_execution::Column::EntityId.eq(entity_id))
        .filter(workflow_execution::Column::Status.eq(ExecutionStatus::Pending))
        .filter(workflow_execution::Column::OutboxId.is_null())
        .filter(workflow_execution::Column::ErrorKind.eq(kind))
        .all(db)
        .await?)
}

/// Decides again for a waiting or failed execution (a manual run, a resolved tax review, a
/// retry of an execution that never queued anything) and stores the outcome on the same row.
pub(crate) async fn redecide(
    uow: &mut UnitOfWork,
    mut row: workflow_execution::Model,
    settings: &WorkflowSettings,
    entity: &Entity,
) -> Result<workflow_execution::Model> {
    let workflow: WorkflowType = row.workflow_type.parse()?;
    let decision = events::decide(workflow, settings, entity, true);
    row.entity_version = entity.version;
    row.started_at = None;
    row.completed_at = None;
    row.duration_ms = None;
    apply(uow, workflow, settings, entity, &mut row, decision).await?;
    row.updated_at = uow.now_text();
    // reset_all marks every column as changed, so this writes the whole row back.
    Ok(workflow_execution::ActiveModel::from(row)
        .reset_all()
        .update(uow.db())
        .await?)
}

/// The execution log as an observer of the outbox: registered on every open company file by the
/// app (`hesabu_app::open_company_file`), told of each move of a row inside the transaction that
/// makes it.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExecutionLog;

#[async_trait::async_trait]
impl OutboxObserver for ExecutionLog {
    async fn on_outbox_change(
        &self,
        moved: &OutboxMove<'_>,
        outbox_id: &str,
        change: OutboxChange<'_>,
    ) -> Result<()> {
        on_outbox_change(moved, outbox_id, change).await
    }
}

/// Follows the outbox: called by `outbox/` in the transaction that moves row `outbox_id`.
/// Rows that belong to no execution are left alone.
async fn on_outbox_change(
    moved: &OutboxMove<'_>,
    outbox_id: &str,
    change: OutboxChange<'_>,
) -> Result<()> {
    let Some(row) = workflow_execution::Entity::find()
        .filter(workflow_execution::Column::OutboxId.eq(outbox_id))
        .one(moved.db)
        .await?
    else {
        return Ok(());
    };
    let now = moved.now.clone();
    record_attempt(moved, &row, change).await?;
    let mut active = row.clone().into_active_model();
    active.updated_at = Set(now.clone());
    let finish = |active: &mut workflow_execution::ActiveModel| {
        active.completed_at = Set(Some(now.clone()));
        let start = row.started_at.as_deref().unwrap_or(&row.created_at);
        let ms = match (parse_timestamp(start), parse_timestamp(&now)) {
            (Ok(a), Ok(b)) => (b - a).num_milliseconds().max(0),
            _ => 0,
        };
        active.duration_ms = Set(Some(ms));
    };
    match change {
        OutboxChange::Claimed => {
            active.status = Set(ExecutionStatus::Running);
            if row.started_at.is_none() {
                active.started_at = Set(Some(now.clone()));
            }
        }
        OutboxChange::Done { remote_ref } => {
            active.status = Set(ExecutionStatus::Completed);
            active.result_ref = Set(remote_ref.map(str::to_owned));
            active.error_kind = Set(None);
            active.error_message = Set(None);
            finish(&mut active);
        }
        OutboxChange::Retrying { kind, message } => {
            // Still the same execution: the outbox tries again after its backoff.
            active.status = Set(ExecutionStatus::Running);
            active.error_kind = Set(Some(kind.to_owned()));
            active.error_message = Set(Some(format!("retrying: {message}")));
        }
        OutboxChange::Dead { kind, message } => {
            active.status = Set(ExecutionStatus::Failed);
            active.error_kind = Set(Some(kind.to_owned()));
            active.error_message = Set(Some(message.to_owned()));
            finish(&mut active);
            let payload = outbox::Entity::find_by_id(outbox_id.to_owned())
                .one(moved.db)
                .await?
                .and_then(|o| serde_json::from_str::<Value>(&o.payload).ok());
            let notify = payload
                .as_ref()
                .and_then(|p| p.pointer("/options/notifyOnFailure"))
                .and_then(Value::as_bool)
                .unwrap_or(false);
            if notify {
                let workflow: WorkflowType = row.workflow_type.parse()?;
                let label = payload
                    .as_ref()
                    .and_then(|p| p.pointer("/entity/number"))
                    .and_then(Value::as_str)
                    .map_or_else(|| row.entity_id.clone(), str::to_owned);
                notifications::insert_on_move(
                    moved,
                    failure_notice(workflow, &label, &row.id, message),
                )
                .await?;
            }
        }
        OutboxChange::Requeued => {
            active.status = Set(ExecutionStatus::Pending);
            active.completed_at = Set(None);
            active.duration_ms = Set(None);
        }
        OutboxChange::Unclaimed => {
            active.status = Set(ExecutionStatus::Pending);
        }
    }
    active.update(moved.db).await?;
    Ok(())
}

/// What an attempt's outcome is called in `workflow_execution_attempt.outcome`.
pub(crate) mod outcome {
    pub const SENDING: &str = "sending";
    pub const SENT: &str = "sent";
    pub const WILL_RETRY: &str = "will_retry";
    pub const FAILED: &str = "failed";
    pub const INTERRUPTED: &str = "interrupted";
}

/// Keeps the attempt rows in step with the outbox: a claim opens an attempt (closing one a
/// stopped app left open as interrupted), the move that ends the send closes it, a claim given
/// back unsent removes it. A person's retry (`Requeued`) opens nothing: the next claim does.
async fn record_attempt(
    moved: &OutboxMove<'_>,
    execution: &workflow_execution::Model,
    change: OutboxChange<'_>,
) -> Result<()> {
    let last = workflow_execution_attempt::Entity::find()
        .filter(workflow_execution_attempt::Column::ExecutionId.eq(execution.id.as_str()))
        .order_by_desc(workflow_execution_attempt::Column::Number)
        .one(moved.db)
        .await?;
    let open = last.clone().filter(|a| a.outcome == outcome::SENDING);
    let close = |attempt: workflow_execution_attempt::Model,
                 outcome: &str,
                 error: Option<(&str, &str)>,
                 result_ref: Option<&str>| {
        let ms = match (
            parse_timestamp(&attempt.started_at),
            parse_timestamp(&moved.now),
        ) {
            (Ok(a), Ok(b)) => (b - a).num_milliseconds().max(0),
            _ => 0,
        };
        let mut active = attempt.into_active_model();
        active.outcome = Set(outcome.to_owned());
        active.finished_at = Set(Some(moved.now.clone()));
        active.duration_ms = Set(Some(ms));
        active.error_kind = Set(error.map(|(kind, _)| kind.to_owned()));
        active.error_message = Set(error.map(|(_, message)| message.to_owned()));
        active.result_ref = Set(result_ref.map(str::to_owned));
        active
    };
    match change {
        OutboxChange::Claimed => {
            if let Some(open) = open {
                close(
                    open,
                    outcome::INTERRUPTED,
                    Some((
                        "interrupted",
                        "the app stopped during the send; the target is checked before \
                         sending again",
                    )),
                    None,
                )
                .update(moved.db)
                .await?;
            }
            let started_by = match last.as_ref().map(|a| a.outcome.as_str()) {
                None => execution.trigger.clone(),
                Some(outcome::FAILED) => "retry".to_owned(),
                Some(_) => "automatic".to_owned(),
            };
            let number = last.as_ref().map_or(1, |a| a.number + 1);
            workflow_execution_attempt::ActiveModel::from(workflow_execution_attempt::Model {
                id: moved.new_id(),
                execution_id: execution.id.clone(),
                number,
                started_by,
                outcome: outcome::SENDING.to_owned(),
                started_at: moved.now.clone(),
                finished_at: None,
                duration_ms: None,
                error_kind: None,
                error_message: None,
                result_ref: None,
            })
            .insert(moved.db)
            .await?;
        }
        OutboxChange::Done { remote_ref } => {
            if let Some(open) = open {
                close(open, outcome::SENT, None, remote_ref)
                    .update(moved.db)
                    .await?;
            }
        }
        OutboxChange::Retrying { kind, message } => {
            if let Some(open) = open {
                close(open, outcome::WILL_RETRY, Some((kind, message)), None)
                    .update(moved.db)
                    .await?;
            }
        }
        OutboxChange::Dead { kind, message } => {
            if let Some(open) = open {
                close(open, outcome::FAILED, Some((kind, message)), None)
                    .update(moved.db)
                    .await?;
            }
        }
        OutboxChange::Unclaimed => {
            // Claimed in a batch and given back before anything went out: not an attempt.
            if let Some(open) = open {
                workflow_execution_attempt::Entity::delete_by_id(open.id)
                    .exec(moved.db)
                    .await?;
            }
        }
        OutboxChange::Requeued => {}
    }
    Ok(())
}

/// Whether the outbox may retry a failed send on its own: the invoice workflow's
/// `retryOnFailure: false` makes the first failure final (the row is dead-lettered and the
/// execution fails; `workflow retry` can still send it again). Set on the row at enqueue.
fn auto_retry(settings: &WorkflowSettings) -> bool {
    match &settings.config {
        WorkflowConfig::Invoice(c) => c.retry_on_failure,
        _ => true,
    }
}

/// How many retries of an execution the workflow allows (`maxRetries`; unlimited for the
/// workflows without the setting).
pub(crate) fn max_retries(settings: &WorkflowSettings) -> Option<u32> {
    match &settings.config {
        WorkflowConfig::Invoice(c) => Some(c.max_retries),
        _ => None,
    }
}

pub(crate) async fn find(
    db: &impl sea_orm::ConnectionTrait,
    id: &str,
) -> Result<workflow_execution::Model> {
    workflow_execution::Entity::find_by_id(id.trim().to_owned())
        .one(db)
        .await?
        .ok_or_else(|| {
            Error::NotFound(format!(
                "There is no workflow execution {id}. `hesabu workflow executions` lists them."
            ))
        })
}
