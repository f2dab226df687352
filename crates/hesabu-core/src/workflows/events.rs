//! Local events and matching them to workflows.
//!
//! A service that changes something a workflow cares about calls [`record`] with its unit of
//! work: the event row, the execution it triggers and (for auto-sync workflows) the outbox row
//! all commit or roll back with the change. Matching is by entity type: a `sales_invoice`
//! document feeds `invoice_sync`, a `customer` feeds `customer_sync`, and so on
//! ([`workflow_for`]); an event for anything else (a purchase order, say) is recorded and
//! matches nothing.
//!
//! Which events trigger which workflow (see docs/workflows.md):
//! - invoice_sync: `approved` and `pulled`; `created` only when the invoice is at or below the
//!   config's `requireApprovalAbove`.
//! - credit_note_sync, sales_sync: `created`, `approved`, `pulled`.
//! - customer_sync: a new customer (`created`, or the first version of one `pulled` or
//!   `changed`); later versions only with `syncOnUpdate`.
//! - item_sync: every content change; the config's filters then decide.

use std::str::FromStr;

use rust_decimal::Decimal;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use ts_rs::TS;

use super::config::{
    CustomerType, PinValidation, ServiceLevel, TaxCategory, TransactionType, WorkflowConfig,
    WorkflowSettings, WorkflowType,
};
use super::entities::event;
use super::executions;
use hesabu_store::error::{Error, Result};
use hesabu_store::outbox::MAX_IDEMPOTENCY_KEY_LEN;
use hesabu_store::uow::UnitOfWork;

/// What happened to the entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum EventType {
    Created,
    Updated,
    Approved,
    /// A customer or item changed (created or updated, when the source does not say which).
    Changed,
    /// Pulled from QuickBooks Online.
    Pulled,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Created => "created",
            EventType::Updated => "updated",
            EventType::Approved => "approved",
            EventType::Changed => "changed",
            EventType::Pulled => "pulled",
        }
    }

    /// Whether the entity's content changed (an approval does not change it).
    fn changes_content(self) -> bool {
        !matches!(self, EventType::Approved)
    }

    fn parse(text: &str) -> Option<Self> {
        serde_json::from_value(Value::String(text.to_owned())).ok()
    }
}

/// A local event to record.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub event_type: EventType,
    /// `sales_invoice` (or any other document type), `customer`, `item`, `credit_note`, `sale`.
    pub entity_type: String,
    pub entity_id: String,
    /// `local`, or `quickbooks` for what was pulled from QuickBooks Online.
    pub source: &'static str,
    /// What the workflows need to know about a non-document entity (documents are read from
    /// the approval tables): e.g. a customer's `pin` and `name`, an item's `tax_category` and
    /// `item_type`, a sale's `total`, `transaction_type`, `customer_pin` and `lines`, a credit
    /// note's `original_invoice`.
    pub payload: Value,
}

/// The workflow fed by events about `entity_type`, if any.
pub fn workflow_for(entity_type: &str) -> Option<WorkflowType> {
    match entity_type {
        "sales_invoice" | "invoice" => Some(WorkflowType::InvoiceSync),
        "customer" => Some(WorkflowType::CustomerSync),
        "item" => Some(WorkflowType::ItemSync),
        "credit_note" => Some(WorkflowType::CreditNoteSync),
        "sale" | "sales_receipt" => Some(WorkflowType::SalesSync),
        _ => None,
    }
}

/// Records `new` in the unit of work and matches it to its workflow. Returns the event's id.
pub async fn record(uow: &mut UnitOfWork, new: NewEvent) -> Result<String> {
    if new.entity_type.trim().is_empty() || new.entity_id.trim().is_empty() {
        return Err(Error::invalid(
            "An event needs an entity type and an entity id.",
        ));
    }
    if !new.payload.is_object() {
        return Err(Error::invalid("An event's payload must be a JSON object."));
    }
    let before = content_version(uow.db(), &new.entity_type, &new.entity_id).await?;
    let version = if new.event_type.changes_content() {
        before + 1
    } else {
        before.max(1)
    };
    let row = event::Model {
        id: uow.new_id(),
        event_type: new.event_type.as_str().into(),
        entity_type: new.entity_type.clone(),
        entity_id: new.entity_id.clone(),
        entity_version: version,
        source: new.source.into(),
        payload: new.payload.to_string(),
        actor_id: uow.actor().id.clone(),
        occurred_at: uow.now_text(),
    };
    event::ActiveModel::from(row.clone())
        .insert(uow.db())
        .await?;
    if let Some(workflow) = workflow_for(&new.entity_type) {
        let settings = super::settings_of(uow.db(), workflow).await?;
        let entity = Entity::load(uow.db(), &row.entity_type, &row.entity_id, Some(&row)).await?;
        if triggers(workflow, &settings, new.event_type, &entity) {
            executions::execute(
                uow,
                workflow,
                &settings,
                &entity,
                executions::Trigger::Event(&row.id),
            )
            .await?;
        }
    }
    Ok(row.id)
}

/// How many content changes of the entity are recorded (its current version; 0 if none).
pub(crate) async fn content_version(
    db: &impl sea_orm::ConnectionTrait,
    entity_type: &str,
    entity_id: &str,
) -> Result<i64> {
    let n = event::Entity::find()
        .filter(event::Column::EntityType.eq(entity_type))
        .filter(event::Column::EntityId.eq(entity_id))
        .filter(event::Column::EventType.ne(EventType::Approved.as_str()))
        .count(db)
        .await?;
    Ok(i64::try_from(n).unwrap_or(i64::MAX))
}

/// Whether an event of `event_type` starts `workflow` for `entity` (manual runs skip this).
fn triggers(
    workflow: WorkflowType,
    settings: &WorkflowSettings,
    event_type: EventType,
    entity: &Entity,
) -> bool {
    use EventType::*;
    match (&settings.config, workflow) {
        (WorkflowConfig::Invoice(c), _) => match event_type {
            Approved | Pulled => true,
            Created => c
                .require_approval_above
                .zip(entity.amount())
                .is_some_and(|(limit, amount)| amount <= limit.0),
            Updated | Changed => false,
        },
        (WorkflowConfig::Customer(c), _) => {
            event_type != Approved && (entity.version <= 1 || c.sync_on_update)
        }
        (WorkflowConfig::Item(_), _) => event_type != Approved,
        (WorkflowConfig::CreditNote(_) | WorkflowConfig::Sales(_), _) => {
            matches!(event_type, Created | Approved | Pulled)
        }
    }
}

/// The entity as the workflows see it: a document from the approval tables, anything else
/// from its newest recorded event.
#[derive(Debug, Clone)]
pub(crate) struct Entity {
    pub entity_type: String,
    pub entity_id: String,
    pub version: i64,
    /// What goes into the outbox payload as `entity`.
    pub data: Value,
    pub document: Option<DocumentFacts>,
    /// `Some(reason)` while the entity is flagged for tax review (a sale's approval request
    /// shares the sale's id, so a rule's flag on it holds the sale).
    pub tax_review_flag: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct DocumentFacts {
    pub number: String,
    pub status: String,
    pub amount: Decimal,
}

impl Entity {
    /// Loads the entity `entity_id`; `entity_type` may be empty for "find it" (manual runs).
    /// `at_event`: the event being matched, whose version and payload are used.
    pub async fn load(
        db: &impl sea_orm::ConnectionTrait,
        entity_type: &str,
        entity_id: &str,
        at_event: Option<&event::Model>,
    ) -> Result<Self> {
        // Not a document: look for a recorded event instead. Any other error is real.
        let doc = match crate::documents::load(db, entity_id).await {
            Ok(doc) => Some(doc),
            Err(Error::NotFound(_)) => None,
            Err(e) => return Err(e),
        };
        if let Some(doc) = doc.filter(|d| entity_type.is_empty() || d.doc_type == entity_type) {
            let version = match at_event {
                Some(e) => e.entity_version,
                None => content_version(db, &doc.doc_type, &doc.id).await?.max(1),
            };
            let lines = crate::documents::lines_json(db, &doc.id).await?;
            let review = super::tax_review_of(db, &doc.id).await?;
            let amount = crate::documents::amount_of(&doc);
            let facts: Value = serde_json::from_str(&doc.facts_json).unwrap_or_else(|_| json!({}));
            return Ok(Entity {
                entity_type: doc.doc_type.clone(),
                entity_id: doc.id.clone(),
                version,
                data: json!({
                    "number": doc.number,
                    "doc_type": doc.doc_type,
                    "title": doc.title,
                    "amount": doc.amount,
                    "currency": doc.currency,
                    "status": doc.status,
                    "facts": facts,
                    "lines": lines,
                }),
                document: Some(DocumentFacts {
                    number: doc.number.clone(),
                    status: doc.status.to_string(),
                    amount,
                }),
                tax_review_flag: review.filter(|(s, _)| s == "flagged").map(|(_, n)| n),
            });
        }
        let latest = match at_event {
            Some(e) => Some(e.clone()),
            None => {
                let mut query = event::Entity::find().filter(event::Column::EntityId.eq(entity_id));
                if !entity_type.is_empty() {
                    query = query.filter(event::Column::EntityType.eq(entity_type));
                }
                use sea_orm::QueryOrder;
                query
                    .order_by_desc(event::Column::OccurredAt)
                    .order_by_desc(event::Column::Id)
                    .one(db)
                    .await?
            }
        };
        let Some(latest) = latest else {
            return Err(Error::NotFound(format!(
                "There is no document and no recorded event for '{entity_id}'. Check the id: \
                 documents are listed by hesabu doc, other entities appear once they change \
                 or are pulled from QuickBooks."
            )));
        };
        let version = if at_event.is_some() {
            latest.entity_version
        } else {
            content_version(db, &latest.entity_type, &latest.entity_id)
                .await?
                .max(1)
        };
        let review = super::tax_review_of(db, &latest.entity_id).await?;
        Ok(Entity {
            entity_type: latest.entity_type.clone(),
            entity_id: latest.entity_id.clone(),
            version,
            data: serde_json::from_str(&latest.payload).unwrap_or_else(|_| json!({})),
            document: None,
            tax_review_flag: review.filter(|(s, _)| s == "flagged").map(|(_, n)| n),
        })
    }

    fn amount(&self) -> Option<Decimal> {
        self.document
            .as_ref()
            .map(|d| d.amount)
            .or_else(|| decimal_at(&self.data, "amount"))
            .or_else(|| decimal_at(&self.data, "total"))
    }

    fn text(&self, key: &str) -> Option<String> {
        self.data
            .get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    }

    /// `SI-000001` for documents, the number in the event for sales and customers, the
    /// entity id otherwise.
    pub fn label(&self) -> String {
        match (&self.document, self.text("number")) {
            (Some(d), _) => d.number.clone(),
            // A sale (INV-000012) or a customer (C-00003) names itself in its event.
            (None, Some(number)) => number,
            (None, None) => format!("{} {}", self.entity_type, self.entity_id),
        }
    }
}

fn decimal_at(data: &Value, key: &str) -> Option<Decimal> {
    match data.get(key)? {
        Value::String(s) => Decimal::from_str_exact(s.trim()).ok(),
        Value::Number(n) => Decimal::from_str(&n.to_string()).ok(),
        _ => None,
    }
}

/// What a workflow does with an entity.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Decision {
    /// Queue it for e-TIMS with these options (merged into the payload).
    Send { options: Value },
    /// Record a skipped execution with this message ("skipped: …").
    Skip(String),
    /// Record a failed execution; nothing is sent.
    Fail { kind: &'static str, message: String },
    /// Record a pending execution that is not queued yet (`held` for tax review, `manual` for a
    /// workflow without auto-sync).
    Wait { kind: &'static str, message: String },
}

/// Applies the workflow's settings to `entity`. `manual`: a person asked for it (so a workflow
/// without auto-sync still sends).
pub(crate) fn decide(
    workflow: WorkflowType,
    settings: &WorkflowSettings,
    entity: &Entity,
    manual: bool,
) -> Decision {
    if !settings.enabled {
        return Decision::Skip("skipped: workflow not enabled".into());
    }
    let label = entity.label();
    let mut options = json!({});
    match &settings.config {
        WorkflowConfig::Invoice(c) => {
            if let Some(doc) = &entity.document {
                let early = c
                    .require_approval_above
                    .is_some_and(|limit| doc.amount <= limit.0);
                if doc.status != crate::documents::DocumentStatus::Approved.as_str() && !early {
                    let why = match c.require_approval_above {
                        Some(limit) => format!(
                            "invoices above requireApprovalAbove ({}) are sent once approved",
                            limit.0.normalize()
                        ),
                        None => "invoices are sent once approved".into(),
                    };
                    return Decision::Skip(format!(
                        "skipped: {label} is {}; {why}",
                        doc.status.replace('_', " ")
                    ));
                }
            }
            options = json!({
                "retryOnFailure": c.retry_on_failure,
                "maxRetries": c.max_retries,
                "notifyOnFailure": c.notify_on_failure,
                "syncETRReceipt": c.sync_etr_receipt,
            });
        }
        WorkflowConfig::CreditNote(c) => {
            if c.require_original_invoice && entity.text("original_invoice").is_none() {
                return Decision::Fail {
                    kind: "missing_original_invoice",
                    message: format!(
                        "{label} names no original invoice (original_invoice), and the workflow \
                         requires one (requireOriginalInvoice). Add it at the source, then \
                         retry."
                    ),
                };
            }
        }
        WorkflowConfig::Customer(c) => {
            let pin = entity.text("pin");
            let valid = pin
                .as_deref()
                .is_some_and(|p| crate::company::validate_kra_pin(p).is_ok());
            if !valid {
                let shown = pin.unwrap_or_else(|| "none".into());
                match c.validate_pin {
                    PinValidation::Strict => {
                        return Decision::Fail {
                            kind: "invalid_pin",
                            message: format!(
                                "{label} has no valid KRA PIN ({shown}); a PIN is a letter A or \
                                 P, nine digits and a letter, e.g. P051234567X. Fix it, or set \
                                 validatePIN to lenient to send the customer without one."
                            ),
                        };
                    }
                    PinValidation::Lenient => {
                        options = json!({
                            "pinOmitted": true,
                            "warning": format!("PIN '{shown}' is not valid; sent without custTin"),
                        });
                    }
                }
            }
            options["batchSync"] = json!(c.batch_sync);
        }
        WorkflowConfig::Item(c) => {
            let tax = entity
                .text("tax_category")
                .and_then(|t| TaxCategory::parse(&t));
            if c.taxable_only && !tax.is_some_and(TaxCategory::is_taxable) {
                return Decision::Skip(format!(
                    "skipped: {label} is not taxable (tax category {}) and the workflow sends \
                     taxable items only",
                    tax.map_or("unknown".into(), |t| format!("{t:?}"))
                ));
            }
            if !c.tax_categories.is_empty() && !tax.is_some_and(|t| c.tax_categories.contains(&t)) {
                return Decision::Skip(format!(
                    "skipped: {label}'s tax category ({}) is not one of the workflow's \
                     taxCategories",
                    tax.map_or("unknown".into(), |t| format!("{t:?}"))
                ));
            }
            let level = entity
                .text("item_type")
                .and_then(|t| ServiceLevel::parse(&t));
            if !c.service_levels.is_empty() && !level.is_some_and(|l| c.service_levels.contains(&l))
            {
                return Decision::Skip(format!(
                    "skipped: {label}'s item type ({}) is not one of the workflow's \
                     serviceLevels",
                    entity.text("item_type").unwrap_or_else(|| "unknown".into())
                ));
            }
        }
        WorkflowConfig::Sales(c) => {
            if let (Some(limit), Some(total)) = (c.tax_threshold, entity.amount())
                && total < limit.0
            {
                return Decision::Skip(format!(
                    "skipped: {label}'s total {} is below the taxThreshold {}",
                    total.normalize(),
                    limit.0.normalize()
                ));
            }
            let kind = entity
                .text("transaction_type")
                .unwrap_or_else(|| "N".into());
            if !c.transaction_types.is_empty()
                && !TransactionType::parse(&kind).is_some_and(|t| c.transaction_types.contains(&t))
            {
                return Decision::Skip(format!(
                    "skipped: {label}'s transaction type {kind} is not one of the workflow's \
                     transactionTypes"
                ));
            }
            let customer = if entity.text("customer_pin").is_some() {
                CustomerType::B2B
            } else {
                CustomerType::B2C
            };
            if !c.customer_types.is_empty() && !c.customer_types.contains(&customer) {
                return Decision::Skip(format!(
                    "skipped: {label} is a {customer:?} sale and the workflow's customerTypes \
                     exclude it"
                ));
            }
            if !c.service_levels.is_empty() {
                let lines = entity
                    .data
                    .get("lines")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                let outside = lines.iter().any(|l| {
                    !l.get("item_type")
                        .and_then(Value::as_str)
                        .and_then(ServiceLevel::parse)
                        .is_some_and(|s| c.service_levels.contains(&s))
                });
                if outside {
                    return Decision::Skip(format!(
                        "skipped: {label} has lines whose item type is not one of the \
                         workflow's serviceLevels"
                    ));
                }
            }
        }
    }
    if let Some(reason) = entity.tax_review_flag.clone() {
        return Decision::Wait {
            kind: "held",
            message: format!(
                "held: {label} is flagged for tax review ({reason}); it is not sent to e-TIMS \
                 until resolved (hesabu rules resolve {})",
                entity.entity_id
            ),
        };
    }
    if !settings.auto_sync && !manual {
        return Decision::Wait {
            kind: "manual",
            message: format!(
                "waiting for a manual run (autoSync is off): hesabu workflow run {workflow} \
                 --entity {}",
                entity.entity_id
            ),
        };
    }
    Decision::Send { options }
}

/// The outbox idempotency key: workflow, entity and version, at most 50 characters (a long
/// entity id is replaced by a hash of it).
pub(crate) fn idempotency_key(workflow: WorkflowType, entity_id: &str, version: i64) -> String {
    let key = format!("{}:{entity_id}:v{version}", workflow.short());
    if key.chars().count() <= MAX_IDEMPOTENCY_KEY_LEN {
        return key;
    }
    let hash = hex::encode(Sha256::digest(entity_id.as_bytes()));
    format!("{}:{}:v{version}", workflow.short(), &hash[..32])
}

/// Parses a stored event type (for views and tests).
pub fn parse_event_type(text: &str) -> Result<EventType> {
    EventType::parse(text).ok_or_else(|| {
        Error::invalid(format!(
            "Unknown event type '{text}'. Use created, updated, approved, changed or pulled."
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idempotency_keys_fit_the_outbox_limit() {
        let short = idempotency_key(WorkflowType::InvoiceSync, "0199-abc", 2);
        assert_eq!(short, "inv:0199-abc:v2");
        let long = idempotency_key(WorkflowType::CustomerSync, &"x".repeat(80), 12);
        assert!(long.len() <= MAX_IDEMPOTENCY_KEY_LEN, "{long}");
        assert_ne!(
            long,
            idempotency_key(WorkflowType::CustomerSync, &"y".repeat(80), 12)
        );
    }
}
