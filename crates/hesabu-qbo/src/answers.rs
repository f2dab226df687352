//! Reading QuickBooks' answers (spec §2.3): [`check`] tells success from error (a throttle
//! whatever its shape, a Fault even inside a 200), then [`entity`], [`query_page`], [`cdc`] and
//! [`upload`] read the success envelopes. Entities keep their raw JSON ([`Record`]); numbers
//! never pass through a float. The client uses these; they are public so that a stored or
//! recorded answer reads exactly as a live one.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::entities::{Attachable, Entity, MetaData};
use crate::error::{ApiError, Error, excerpt};
use crate::fault::Fault;
use crate::record::Record;

/// A success answer: the value, QuickBooks' `time` and the `intuit_tid` to log.
#[derive(Debug, Clone)]
pub struct Reply<T> {
    pub value: T,
    /// The answer's `time` (server time with offset). The CDC watermark advances to it.
    pub time: Option<DateTime<FixedOffset>>,
    pub intuit_tid: Option<String>,
}

/// One page of a query.
#[derive(Debug, Clone)]
pub struct QueryPage<T> {
    pub records: Vec<Record<T>>,
    pub start_position: Option<u64>,
    /// The number of rows returned (not the number asked for).
    pub max_results: Option<u64>,
}

/// The most objects one CDC answer holds; an answer that reaches it may be truncated.
pub const CDC_MAX_OBJECTS: usize = 1000;

/// A change-data-capture answer: the changed objects grouped by entity.
#[derive(Debug, Clone, Default)]
pub struct Cdc {
    pub groups: Vec<CdcGroup>,
}

/// The changed objects of one entity, active ones first, then deletions.
#[derive(Debug, Clone)]
pub struct CdcGroup {
    /// `"Invoice"`, `"Customer"`, …
    pub entity: String,
    pub objects: Vec<CdcObject>,
}

/// One changed object, before it is typed.
#[derive(Debug, Clone)]
pub struct CdcObject {
    pub id: String,
    /// `{"status": "Deleted", "Id": …}`: the object was deleted in QuickBooks.
    pub deleted: bool,
    pub last_updated: Option<DateTime<FixedOffset>>,
    pub sync_token: Option<String>,
    /// The object's JSON text.
    pub raw: String,
}

/// One change of a `T`.
#[derive(Debug, Clone)]
pub enum Change<T> {
    /// Created or updated (a void is an update with zero amounts).
    Upsert(Record<T>),
    /// Deleted in QuickBooks: mark the local row deleted.
    Deleted {
        id: String,
        last_updated: Option<DateTime<FixedOffset>>,
    },
}

impl Cdc {
    /// The changes of entity `T`, typed.
    pub fn changes<T: Entity>(&self) -> Result<Vec<Change<T>>, Error> {
        self.groups
            .iter()
            .filter(|g| g.entity.eq_ignore_ascii_case(T::NAME))
            .flat_map(|g| &g.objects)
            .map(|object| {
                if object.deleted {
                    Ok(Change::Deleted {
                        id: object.id.clone(),
                        last_updated: object.last_updated,
                    })
                } else {
                    Record::from_json(&object.raw)
                        .map(Change::Upsert)
                        .map_err(|e| decode(format!("a changed {}: {e}", T::NAME), &object.raw))
                }
            })
            .collect()
    }

    /// How many objects the answer holds.
    pub fn total(&self) -> usize {
        self.groups.iter().map(|g| g.objects.len()).sum()
    }

    /// Whether the answer reached QuickBooks' cap and may have left changes out: split the
    /// window or page with a query (spec §3.3).
    pub fn may_be_truncated(&self) -> bool {
        self.total() >= CDC_MAX_OBJECTS
            || self
                .groups
                .iter()
                .any(|g| g.objects.len() >= CDC_MAX_OBJECTS)
    }
}

type Envelope = BTreeMap<String, Box<RawValue>>;

pub(crate) fn decode(message: String, body: &str) -> Error {
    Error::Decode {
        message,
        body: excerpt(body, 2000),
        outcome_unknown: false,
    }
}

fn envelope(body: &str) -> Result<Envelope, Error> {
    serde_json::from_str(body).map_err(|e| decode(format!("not a JSON object: {e}"), body))
}

fn time_of(envelope: &Envelope) -> Option<DateTime<FixedOffset>> {
    let raw = envelope.get("time")?;
    let text: String = serde_json::from_str(raw.get()).ok()?;
    DateTime::parse_from_rfc3339(&text).ok()
}

/// The `time` of an answer's body, if it has one.
pub(crate) fn time_of_body(body: &str) -> Option<DateTime<FixedOffset>> {
    envelope(body).ok().as_ref().and_then(time_of)
}

/// `{"<Entity>": {…}, "time": …}`: a read, an update's result.
pub fn entity<T: Entity>(
    body: &str,
    intuit_tid: Option<String>,
) -> Result<Reply<Record<T>>, Error> {
    let envelope = envelope(body)?;
    let raw = envelope
        .get(T::NAME)
        .ok_or_else(|| decode(format!("the answer has no {}", T::NAME), body))?;
    let record =
        Record::from_json(raw.get()).map_err(|e| decode(format!("the {}: {e}", T::NAME), body))?;
    Ok(Reply {
        value: record,
        time: time_of(&envelope),
        intuit_tid,
    })
}

/// `{"QueryResponse": {"<Entity>": […], "startPosition": 1, "maxResults": n}, "time": …}`; an
/// empty page is `"QueryResponse": {}`.
pub fn query_page<T: Entity>(
    body: &str,
    intuit_tid: Option<String>,
) -> Result<Reply<QueryPage<T>>, Error> {
    let envelope = envelope(body)?;
    let response = envelope
        .get("QueryResponse")
        .ok_or_else(|| decode("the answer has no QueryResponse".to_owned(), body))?;
    let fields: Envelope = serde_json::from_str(response.get())
        .map_err(|e| decode(format!("the QueryResponse: {e}"), body))?;
    let records = match fields.iter().find(|(k, _)| k.eq_ignore_ascii_case(T::NAME)) {
        Some((_, rows)) => serde_json::from_str::<Vec<Record<T>>>(rows.get())
            .map_err(|e| decode(format!("the {} rows: {e}", T::NAME), body))?,
        None => Vec::new(),
    };
    let number = |key: &str| {
        fields
            .get(key)
            .and_then(|raw| raw.get().trim().parse::<u64>().ok())
    };
    Ok(Reply {
        value: QueryPage {
            records,
            start_position: number("startPosition"),
            max_results: number("maxResults"),
        },
        time: time_of(&envelope),
        intuit_tid,
    })
}

#[derive(Deserialize)]
struct CdcPart {
    #[serde(rename = "QueryResponse", default)]
    responses: Vec<Envelope>,
}

#[derive(Deserialize)]
struct CdcHead {
    #[serde(rename = "Id")]
    id: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(rename = "SyncToken", default)]
    sync_token: Option<String>,
    #[serde(rename = "MetaData", default)]
    meta_data: Option<MetaData>,
}

/// `{"CDCResponse": [{"QueryResponse": [{"Invoice": […], "startPosition": 1, "maxResults": n},
/// …]}], "time": …}`.
pub fn cdc(body: &str, intuit_tid: Option<String>) -> Result<Reply<Cdc>, Error> {
    let envelope = envelope(body)?;
    let raw = envelope
        .get("CDCResponse")
        .ok_or_else(|| decode("the answer has no CDCResponse".to_owned(), body))?;
    let parts: Vec<CdcPart> = serde_json::from_str(raw.get())
        .map_err(|e| decode(format!("the CDCResponse: {e}"), body))?;
    let mut groups: Vec<CdcGroup> = Vec::new();
    for response in parts.iter().flat_map(|p| &p.responses) {
        for (entity, rows) in response {
            if matches!(
                entity.as_str(),
                "startPosition" | "maxResults" | "totalCount"
            ) {
                continue;
            }
            let rows: Vec<Box<RawValue>> = serde_json::from_str(rows.get())
                .map_err(|e| decode(format!("the changed {entity} rows: {e}"), body))?;
            let mut objects = Vec::with_capacity(rows.len());
            for row in rows {
                let head: CdcHead = serde_json::from_str(row.get())
                    .map_err(|e| decode(format!("a changed {entity}: {e}"), body))?;
                objects.push(CdcObject {
                    id: head.id,
                    deleted: head
                        .status
                        .as_deref()
                        .is_some_and(|s| s.eq_ignore_ascii_case("Deleted")),
                    last_updated: head.meta_data.and_then(|m| m.last_updated_time),
                    sync_token: head.sync_token,
                    raw: row.get().to_owned(),
                });
            }
            match groups.iter_mut().find(|g| g.entity == *entity) {
                Some(group) => group.objects.extend(objects),
                None => groups.push(CdcGroup {
                    entity: entity.clone(),
                    objects,
                }),
            }
        }
    }
    Ok(Reply {
        value: Cdc { groups },
        time: time_of(&envelope),
        intuit_tid,
    })
}

/// `{"AttachableResponse": [{"Attachable": {…}} | {"Fault": {…}}], "time": …}`: every element
/// is checked, a Fault inside the 200 is an error.
pub fn upload(
    body: &str,
    intuit_tid: Option<String>,
) -> Result<Reply<Vec<Record<Attachable>>>, Error> {
    let envelope = envelope(body)?;
    let raw = envelope
        .get("AttachableResponse")
        .ok_or_else(|| decode("the answer has no AttachableResponse".to_owned(), body))?;
    let items: Vec<Envelope> = serde_json::from_str(raw.get())
        .map_err(|e| decode(format!("the AttachableResponse: {e}"), body))?;
    let mut records = Vec::new();
    for item in items {
        if let Some((_, fault)) = item.iter().find(|(k, _)| k.eq_ignore_ascii_case("Fault")) {
            let value: serde_json::Value = serde_json::from_str(fault.get()).unwrap_or_default();
            return Err(Error::Api(Box::new(ApiError {
                status: 200,
                fault: Fault::from_value(&value),
                body: excerpt(body, 2000),
                intuit_tid,
                retry_after: None,
                operation: "POST upload".to_owned(),
            })));
        }
        let attachable = item
            .get("Attachable")
            .ok_or_else(|| decode("an upload result has no Attachable".to_owned(), body))?;
        records.push(
            Record::from_json(attachable.get())
                .map_err(|e| decode(format!("the Attachable: {e}"), body))?,
        );
    }
    Ok(Reply {
        value: records,
        time: time_of(&envelope),
        intuit_tid,
    })
}

/// Tells a success answer from an error: a throttle whatever its shape (HTTP 429, or a 3001 /
/// `ThrottleExceeded` body even as XML or with 403), a Fault even inside a 200 (spec §2.3,
/// §6.2). Returns the body of a success.
pub fn check(
    status: u16,
    body: String,
    intuit_tid: Option<String>,
    retry_after: Option<Duration>,
    operation: &str,
) -> Result<String, Error> {
    let success = (200..300).contains(&status);
    let fault = if success {
        top_level_fault(&body)
    } else {
        Fault::from_body(&body)
    };
    if success && fault.is_none() {
        return Ok(body);
    }
    Err(Error::Api(Box::new(ApiError {
        status,
        fault,
        body: excerpt(&body, 4000),
        intuit_tid,
        retry_after,
        operation: operation.to_owned(),
    })))
}

/// A Fault at the top of a success body (`{"Fault": …}`), without reading the whole body into
/// a `Value` (it may hold amounts).
fn top_level_fault(body: &str) -> Option<Fault> {
    let trimmed = body.trim_start();
    if trimmed.starts_with('<') {
        return Fault::from_body(trimmed);
    }
    let envelope: Envelope = serde_json::from_str(trimmed).ok()?;
    let (_, raw) = envelope
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("Fault"))?;
    let value: serde_json::Value = serde_json::from_str(raw.get()).ok()?;
    Fault::from_value(&value)
}
