//! Master-data calls that go to KRA through the outbox as frozen requests: item compositions
//! ([`super::compositions`]), the branch's insurers ([`super::insurers`]) and the answers to
//! imported items ([`super::imports`]).
//!
//! Each change is one audited unit of work that stores it and queues one `etims` outbox row
//! whose payload carries the exact request bodies (`requests`), frozen then; the target sends
//! them in order, as they are ([`send`]). All three calls are upserts at KRA keyed by what they
//! name (the item pair, the insurer's code, the declaration line), so a resend after a lost
//! answer is harmless: a retry resends every request of the row, and recovery resends without
//! asking first.

use hesabu_core::workflows::executions::ETIMS_TARGET;
use hesabu_etims::{Client, Endpoint, NoData};
use hesabu_store::auth::Session;
use hesabu_store::error::{Error, Result};
use hesabu_store::outbox::{Ack, NewOutboxItem, OutboxItem, SendError};
use hesabu_store::uow::UnitOfWork;
use sea_orm::{ConnectionTrait, Statement, Value};
use serde_json::{Value as Json, json};

/// `saveItemComposition`, one request per component.
pub const COMPOSITION_OPERATION: &str = "item_composition.save";
/// `saveBhfInsurance`.
pub const INSURER_OPERATION: &str = "insurer.save";
/// `updateImportItem`.
pub const IMPORT_OPERATION: &str = "import_item.update";

/// The endpoint of one of this module's operations; `None` for any other operation.
pub fn endpoint_of(operation: &str) -> Option<Endpoint> {
    match operation {
        COMPOSITION_OPERATION => Some(Endpoint::SaveItemComposition),
        INSURER_OPERATION => Some(Endpoint::SaveBranchInsurance),
        IMPORT_OPERATION => Some(Endpoint::UpdateImportItem),
        _ => None,
    }
}

pub(super) fn statement(db: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(db.get_database_backend(), sql, values)
}

pub(super) fn cut(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// KRA's `regrId` / `regrNm` (and `modrId` / `modrNm`) for the person acting: the user id
/// without dashes (KRA allows 20 characters) and the name, as `masters` sends them.
pub(super) fn registrar(session: &Session) -> (String, String) {
    (
        cut(&session.user_id().replace('-', ""), 20),
        cut(session.name(), 60),
    )
}

/// Refuses the change when the company has no e-TIMS device: the row would wait for a target
/// that does not exist.
pub(super) async fn require_device(db: &impl ConnectionTrait) -> Result<()> {
    match hesabu_core::sales::fiscal::device(db).await? {
        Some(_) => Ok(()),
        None => Err(super::reference::no_device()),
    }
}

/// An item as these flows need it.
#[derive(Debug, Clone)]
pub(super) struct ItemRef {
    pub id: String,
    pub code: String,
    pub name: String,
    pub kra_item_code: String,
    pub etims_state: String,
    pub active: bool,
}

impl ItemRef {
    pub fn label(&self) -> String {
        format!("{} ({})", self.code, self.name)
    }
}

/// Finds an item by id, code, KRA item code or barcode.
pub(super) async fn find_item(db: &impl ConnectionTrait, key: &str) -> Result<ItemRef> {
    let key = key.trim();
    let rows = db
        .query_all_raw(statement(
            db,
            "SELECT id, code, name, kra_item_code, etims_state, active \
             FROM item WHERE id = ? OR code = ? OR kra_item_code = ? OR barcode = ?",
            vec![key.into(), key.into(), key.into(), key.into()],
        ))
        .await?;
    if rows.len() > 1 {
        return Err(Error::invalid(format!(
            "'{key}' matches more than one item; use the item's id."
        )));
    }
    let Some(r) = rows.into_iter().next() else {
        return Err(Error::NotFound(format!(
            "There is no item '{key}'. Use the item's code, KRA item code or id; `hesabu item \
             list` shows them."
        )));
    };
    Ok(ItemRef {
        id: r.try_get("", "id")?,
        code: r.try_get("", "code")?,
        name: r.try_get("", "name")?,
        kra_item_code: r.try_get("", "kra_item_code")?,
        etims_state: r.try_get("", "etims_state")?,
        active: r.try_get("", "active")?,
    })
}

/// The state of an outbox row (`ready`, `in_flight`, `done`, `dead`) and its last error.
pub(super) async fn outbox_state(
    db: &impl ConnectionTrait,
    outbox_id: Option<&str>,
) -> Result<(Option<String>, Option<String>)> {
    let Some(id) = outbox_id else {
        return Ok((None, None));
    };
    let row = db
        .query_one_raw(statement(
            db,
            "SELECT state, last_error_message FROM outbox WHERE id = ?",
            vec![id.into()],
        ))
        .await?;
    Ok(match row {
        Some(r) => (
            Some(r.try_get("", "state")?),
            r.try_get("", "last_error_message")?,
        ),
        None => (None, None),
    })
}

/// An outbox idempotency key (at most 50 characters): `<kind>:<entity id>:v<version>`, the id
/// without its dashes (a UUID is then 32 characters).
pub(super) fn idempotency_key(kind: &str, entity_id: &str, version: i64) -> String {
    let id: String = entity_id.chars().filter(|c| *c != '-').take(32).collect();
    format!("{kind}:{id}:v{version}")
}

/// Queues the frozen `requests` of `operation` for `entity` (its type and id) under
/// `idempotency_key`, in the caller's unit of work. Returns the outbox row's id.
pub(super) async fn enqueue(
    uow: &mut UnitOfWork,
    operation: &str,
    entity_type: &str,
    entity_id: &str,
    version: i64,
    idempotency_key: String,
    requests: Vec<Json>,
) -> Result<String> {
    uow.enqueue(NewOutboxItem {
        target: ETIMS_TARGET.into(),
        operation: operation.into(),
        payload: json!({
            "entity_type": entity_type,
            "entity_id": entity_id,
            "entity_version": version,
            "requests": requests,
        }),
        idempotency_key,
        ordering_key: None,
        auto_retry: true,
    })
    .await
}

/// Sends the frozen requests of an outbox row of one of this module's operations, in order,
/// each exactly as stored. The first failure stops the row (a retry sends them all again:
/// upserts).
pub async fn send(client: &Client, item: &OutboxItem) -> std::result::Result<Ack, SendError> {
    let endpoint = endpoint_of(&item.operation).ok_or_else(|| {
        SendError::permanent(format!(
            "The e-TIMS client does not know the operation '{}'.",
            item.operation
        ))
    })?;
    let payload: Json = serde_json::from_str(&item.payload).map_err(|e| {
        SendError::permanent(format!("the outbox row {} is not JSON: {e}", item.id))
    })?;
    let requests = payload
        .get("requests")
        .and_then(Json::as_array)
        .filter(|r| !r.is_empty())
        .ok_or_else(|| {
            SendError::permanent(format!(
                "the outbox row {} carries no requests to send",
                item.id
            ))
        })?;
    let total = requests.len();
    for (i, request) in requests.iter().enumerate() {
        let body = serde_json::to_string(request).map_err(|e| {
            SendError::permanent(format!("the outbox row {}'s request: {e}", item.id))
        })?;
        if let Err(error) = client.send_json::<NoData>(endpoint, body).await {
            let doing = format!(
                "KRA did not take {} request {} of {total}",
                item.operation,
                i + 1
            );
            let mut failure = hesabu_etims::contract::send_error(&error);
            match &mut failure {
                SendError::Retryable { message, .. } => *message = format!("{doing}: {message}"),
                SendError::Permanent { message } => {
                    *message = format!(
                        "{doing}: {message}. Correct what KRA names, then retry the row \
                         (`hesabu sync retry ID`)."
                    );
                }
            }
            return Err(failure);
        }
    }
    Ok(Ack {
        remote_ref: payload
            .get("entity_id")
            .and_then(Json::as_str)
            .map(str::to_owned),
        result: Some(json!({ "sent": total })),
    })
}
