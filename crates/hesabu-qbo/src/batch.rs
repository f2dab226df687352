//! Batch requests (spec §2.3, §6.1, §7): up to [`MAX_BATCH_ITEMS`] independent items in one
//! `POST /batch`, each a query or an entity operation, each answered on its own.
//!
//! - Items are independent: a create in one item is not visible to another, and QuickBooks
//!   does not promise their order. Each item has a `bId` (ours, unique in the batch) that its
//!   answer carries back.
//! - An item's Fault inside the HTTP 200 is that item's error, classified by the same
//!   [`ApiError::kind`] as a whole answer's (a 5010 is [`ErrorKind::StaleObject`](crate::ErrorKind),
//!   a 610 [`NotFound`](crate::ErrorKind::NotFound), …); the other items' answers still count.
//!   A Fault at the top of the answer (or a throttle) is the whole batch's error, as for any
//!   call.
//! - A batch with operations (writes) carries a `requestid` of at most 36 characters, and its
//!   `bId`s are then at most 10 characters (spec §7); [`Client::batch`](crate::Client::batch)
//!   refuses otherwise.

use std::collections::BTreeMap;

use serde_json::value::RawValue;

use crate::answers::{self, QueryPage, decode};
use crate::entities::Entity;
use crate::error::{ApiError, Error, excerpt};
use crate::fault::Fault;
use crate::query::Query;
use crate::record::Record;

/// Intuit's ceiling on items per batch (API reference; the "learn" page says 10, which is the
/// client's default, [`DEFAULT_BATCH_SIZE`]).
pub const MAX_BATCH_ITEMS: usize = 30;
/// The items per batch the client allows unless configured otherwise: 10 keeps to both of
/// Intuit's statements (spec §6.1 client policy).
pub const DEFAULT_BATCH_SIZE: usize = 10;
/// The longest `bId` when the batch carries a `requestid` (spec §7).
pub const MAX_BID_CHARS: usize = 10;
/// The longest `requestid` of a batch (spec §7).
pub const MAX_BATCH_REQUEST_ID_CHARS: usize = 36;

/// One item of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchItem {
    /// `{"bId": …, "Query": "SELECT …"}`.
    Query { b_id: String, query: Query },
    /// `{"bId": …, "operation": "update", "Invoice": {…}}`: `operation` is `create`,
    /// `update` or `delete`; `entity` the entity's name (`Invoice`); `body` its JSON (for a
    /// sparse update: `Id`, `SyncToken`, `"sparse": true` and the fields).
    Operation {
        b_id: String,
        operation: String,
        entity: String,
        body: serde_json::Value,
    },
}

impl BatchItem {
    /// A query item.
    pub fn query(b_id: impl Into<String>, query: Query) -> Self {
        BatchItem::Query {
            b_id: b_id.into(),
            query,
        }
    }

    pub fn b_id(&self) -> &str {
        match self {
            BatchItem::Query { b_id, .. } | BatchItem::Operation { b_id, .. } => b_id,
        }
    }

    pub fn is_write(&self) -> bool {
        matches!(self, BatchItem::Operation { .. })
    }

    fn to_json(&self) -> Result<serde_json::Value, Error> {
        Ok(match self {
            BatchItem::Query { b_id, query } => {
                serde_json::json!({"bId": b_id, "Query": query.statement()?})
            }
            BatchItem::Operation {
                b_id,
                operation,
                entity,
                body,
            } => {
                if !matches!(operation.as_str(), "create" | "update" | "delete") {
                    return Err(Error::Config(format!(
                        "{operation:?} is not a batch operation: use create, update or delete"
                    )));
                }
                if entity.is_empty() || !entity.chars().all(|c| c.is_ascii_alphanumeric()) {
                    return Err(Error::Config(format!(
                        "{entity:?} is not a QuickBooks entity name"
                    )));
                }
                let mut item = serde_json::Map::new();
                item.insert("bId".into(), b_id.clone().into());
                item.insert("operation".into(), operation.clone().into());
                item.insert(entity.clone(), body.clone());
                serde_json::Value::Object(item)
            }
        })
    }
}

/// The body of `POST /batch` for `items`, checked: at least one item and at most `limit`
/// (itself at most [`MAX_BATCH_ITEMS`]), unique non-empty `bId`s, at most
/// [`MAX_BID_CHARS`] each when `with_request_id`.
pub(crate) fn request_body(
    items: &[BatchItem],
    limit: usize,
    with_request_id: bool,
) -> Result<String, Error> {
    if items.is_empty() {
        return Err(Error::Config("a batch needs at least one item".to_owned()));
    }
    let limit = limit.min(MAX_BATCH_ITEMS);
    if items.len() > limit {
        return Err(Error::Config(format!(
            "a batch of {} items is too large: this client sends at most {limit} per batch \
             (ClientConfig::batch_size; QuickBooks takes at most {MAX_BATCH_ITEMS}). Split it",
            items.len()
        )));
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut list = Vec::with_capacity(items.len());
    for item in items {
        let b_id = item.b_id();
        if b_id.is_empty() || !b_id.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::Config(format!(
                "{b_id:?} cannot be a batch item id (bId): use printable characters without \
                 spaces"
            )));
        }
        if with_request_id && b_id.chars().count() > MAX_BID_CHARS {
            return Err(Error::Config(format!(
                "the batch item id {b_id:?} is longer than {MAX_BID_CHARS} characters, \
                 QuickBooks' limit when the batch carries a requestid"
            )));
        }
        if !seen.insert(b_id) {
            return Err(Error::Config(format!(
                "the batch item id {b_id:?} is used twice: each item needs its own bId"
            )));
        }
        list.push(item.to_json()?);
    }
    Ok(serde_json::json!({ "BatchItemRequest": list }).to_string())
}

/// The answers of one batch, by `bId`.
#[derive(Debug, Clone, Default)]
pub struct BatchAnswers {
    /// `bId` → the item's JSON (`{"bId": …, "QueryResponse": {…}}`) or its error.
    items: BTreeMap<String, Result<String, Error>>,
}

impl BatchAnswers {
    /// How many items were answered.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The answered `bId`s.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.items.keys().map(String::as_str)
    }

    /// The item's answer as it came (its JSON), or its Fault as an [`Error`].
    pub fn raw(&self, b_id: &str) -> Result<&str, Error> {
        match self.items.get(b_id) {
            Some(Ok(text)) => Ok(text),
            Some(Err(e)) => Err(e.clone()),
            None => Err(Error::Decode {
                message: format!("the batch answer has no item {b_id:?}"),
                body: String::new(),
                outcome_unknown: false,
            }),
        }
    }

    /// A query item's rows (`{"bId": …, "QueryResponse": {"Invoice": […]}}`).
    pub fn query<T: Entity>(&self, b_id: &str) -> Result<QueryPage<T>, Error> {
        Ok(answers::query_page::<T>(self.raw(b_id)?, None)?.value)
    }

    /// An operation item's entity (`{"bId": …, "Invoice": {…}}`).
    pub fn entity<T: Entity>(&self, b_id: &str) -> Result<Record<T>, Error> {
        Ok(answers::entity::<T>(self.raw(b_id)?, None)?.value)
    }
}

/// `{"BatchItemResponse": [{"bId": …, "Invoice": {…}} | {"bId": …, "Fault": {…}} |
/// {"bId": …, "QueryResponse": {…}}], "time": …}` (spec §2.3): each item kept by its `bId`,
/// a Fault as that item's [`Error::Api`] (status 200).
pub fn parse(body: &str, intuit_tid: Option<&str>) -> Result<BatchAnswers, Error> {
    type Envelope = BTreeMap<String, Box<RawValue>>;
    let envelope: Envelope =
        serde_json::from_str(body).map_err(|e| decode(format!("not a JSON object: {e}"), body))?;
    let raw = envelope
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("BatchItemResponse"))
        .map(|(_, v)| v)
        .ok_or_else(|| decode("the answer has no BatchItemResponse".to_owned(), body))?;
    let items: Vec<Box<RawValue>> = serde_json::from_str(raw.get())
        .map_err(|e| decode(format!("the BatchItemResponse: {e}"), body))?;
    let mut answers = BatchAnswers::default();
    for item in items {
        let fields: Envelope = serde_json::from_str(item.get())
            .map_err(|e| decode(format!("a batch item: {e}"), body))?;
        let b_id = fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("bId"))
            .and_then(|(_, v)| serde_json::from_str::<String>(v.get()).ok())
            .ok_or_else(|| decode("a batch item has no bId".to_owned(), body))?;
        let fault = fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("Fault"))
            .map(|(_, v)| v);
        let outcome = match fault {
            Some(fault) => {
                let value: serde_json::Value =
                    serde_json::from_str(fault.get()).unwrap_or_default();
                Err(Error::Api(Box::new(ApiError {
                    status: 200,
                    fault: Fault::from_value(&value),
                    body: excerpt(item.get(), 2000),
                    intuit_tid: intuit_tid.map(str::to_owned),
                    retry_after: None,
                    operation: format!("POST batch item {b_id}"),
                })))
            }
            None => Ok(item.get().to_owned()),
        };
        answers.items.insert(b_id, outcome);
    }
    Ok(answers)
}
