//! The write-back's batched reads (spec §6.1: batch where it pays). Each write-back reads twice
//! before it writes: the dedupe check (our attachment on the transaction?) and the transaction
//! itself (its `SyncToken`, note and custom fields). When a document needs one of them and has
//! no fresh prefetched answer, ONE `POST /batch` reads them for this document and for up to
//! `batch_size − 1` other pending write-backs of the realm (`qbo_push` rows not done, in outbox
//! order): one Attachable query per document and one `Id IN (…)` query per transaction entity,
//! at most `batch_size` items (10 by default). The answers are kept here, in memory, per
//! document:
//!
//! - for [`TTL_SECONDS`] (60 s, on the file's injected clock), and each used at most once;
//! - forgotten as soon as an upload or an update of that document is attempted
//!   ([`Prefetch::forget`]), and a prefetch that was in flight then does not store them;
//! - never trusted where the persisted state says a write may already have happened: the
//!   dedupe check uses a prefetched answer only while the row's `pdf_sha256` (committed before
//!   every upload attempt) is empty, and the transaction read only before any 5010 (`push.rs`
//!   explains why a stale "not there" cannot cause a duplicate upload).
//!
//! Writes are not batched: each upload and update keeps its own persisted `requestid`, so a
//! retry replays exactly one document's write (a batch's `requestid` would cover the whole
//! batch, whose items QuickBooks may apply partly).
//!
//! What a prefetch cannot answer (an item's Fault, an Attachable page that came back full, a
//! transaction missing from its list, a batch QuickBooks refused as a whole) is simply not
//! stored: the step then makes its single call as before, and that call's answer decides.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use hesabu_qbo::batch::BatchItem;
use hesabu_qbo::entities::{Attachable, CreditMemo, Invoice, SalesReceipt};
use hesabu_qbo::{ErrorKind, MAX_RESULTS, Query};
use hesabu_store::error::Error;
use sea_orm::ConnectionTrait;

use super::push::{Current, PushError, PushRow, row_from};
use super::{Qbo, stmt, val};

/// How long a prefetched answer may be used.
pub const TTL_SECONDS: i64 = 60;

/// Which prefetched answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Part {
    /// The dedupe check's answer.
    Attachment,
    /// The transaction's current state.
    Current,
}

/// The prefetched answers of one connection (shared by its clones).
#[derive(Debug, Default)]
pub struct Prefetch {
    state: Mutex<State>,
    /// One prefetch at a time: concurrent sends that miss wait for it, then look again.
    flight: tokio::sync::Mutex<()>,
}

#[derive(Debug, Default)]
struct State {
    entries: HashMap<String, Entry>,
    /// Bumped by every [`Prefetch::forget`].
    epoch: u64,
    /// When (in epochs) a document's part was last forgotten; cleared at the start of each
    /// prefetch (none is in flight then), so it only holds what a running one must skip.
    forgotten: HashMap<(String, Part), u64>,
}

#[derive(Debug)]
struct Entry {
    at: DateTime<Utc>,
    /// `Some(None)`: checked, not there; `Some(Some(id))`: there, with that id.
    attachment: Option<Option<String>>,
    current: Option<Current>,
}

impl Entry {
    fn has(&self, part: Part) -> bool {
        match part {
            Part::Attachment => self.attachment.is_some(),
            Part::Current => self.current.is_some(),
        }
    }
}

fn fresh(at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now >= at && now - at < chrono::Duration::seconds(TTL_SECONDS)
}

impl Prefetch {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Drops `part` of the document's entry and keeps a prefetch in flight from storing it:
    /// an upload (`Attachment`) or an update (`Current`) of it is being attempted.
    pub(crate) fn forget(&self, document_id: &str, part: Part) {
        let mut state = self.lock();
        state.epoch += 1;
        let epoch = state.epoch;
        state
            .forgotten
            .insert((document_id.to_owned(), part), epoch);
        if let Some(entry) = state.entries.get_mut(document_id) {
            match part {
                Part::Attachment => entry.attachment = None,
                Part::Current => entry.current = None,
            }
        }
    }

    fn has_fresh(&self, document_id: &str, part: Part, now: DateTime<Utc>) -> bool {
        self.lock()
            .entries
            .get(document_id)
            .is_some_and(|e| fresh(e.at, now) && e.has(part))
    }

    fn take_attachment(&self, document_id: &str, now: DateTime<Utc>) -> Option<Option<String>> {
        let mut state = self.lock();
        let entry = state.entries.get_mut(document_id)?;
        if !fresh(entry.at, now) {
            return None;
        }
        entry.attachment.take()
    }

    fn take_current(&self, document_id: &str, now: DateTime<Utc>) -> Option<Current> {
        let mut state = self.lock();
        let entry = state.entries.get_mut(document_id)?;
        if !fresh(entry.at, now) {
            return None;
        }
        entry.current.take()
    }

    /// How many documents have an answer kept (fresh or not), for tests.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().entries.len()
    }
}

/// The dedupe check's answer for `row` from the prefetch (a batch call first when there is
/// none): `Some(Some(id))` there, `Some(None)` not there, `None` unknown (make the single
/// check). Only for a row whose `pdf_sha256` is empty (`push::dedupe_check`).
pub(crate) async fn attachment(
    qbo: &Qbo,
    row: &PushRow,
) -> Result<Option<Option<String>>, PushError> {
    if !needs_attachment(row) {
        return Ok(None);
    }
    let now = qbo.file.clock().now();
    if let Some(found) = qbo.prefetch.take_attachment(&row.document_id, now) {
        return Ok(Some(found));
    }
    fill(qbo, row, Part::Attachment).await?;
    let now = qbo.file.clock().now();
    Ok(qbo.prefetch.take_attachment(&row.document_id, now))
}

/// The transaction's current state for `row` from the prefetch (a batch call first when there
/// is none), or `None`: read it by id.
pub(crate) async fn current(qbo: &Qbo, row: &PushRow) -> Result<Option<Current>, PushError> {
    if !needs_current(row) {
        return Ok(None);
    }
    let now = qbo.file.clock().now();
    if let Some(current) = qbo.prefetch.take_current(&row.document_id, now) {
        return Ok(Some(current));
    }
    fill(qbo, row, Part::Current).await?;
    let now = qbo.file.clock().now();
    Ok(qbo.prefetch.take_current(&row.document_id, now))
}

/// No attachment recorded and no upload ever attempted.
fn needs_attachment(row: &PushRow) -> bool {
    row.attachable_id.is_none() && row.pdf_sha256.is_none()
}

/// Not done, no update persisted, no 5010 met (after one: read by id).
fn needs_current(row: &PushRow) -> bool {
    row.state != "done" && row.update_request_id.is_none() && row.conflicts == 0
}

/// One document in a prefetch.
struct Planned {
    row: PushRow,
    attachment: bool,
    current: bool,
}

/// Plans the batch: `first`, then the realm's other pending write-backs in outbox order,
/// while the items (one Attachable query per document, one `Id IN` query per entity) fit
/// in the client's batch size.
fn plan(first: &PushRow, others: Vec<PushRow>, budget: usize) -> Vec<Planned> {
    let mut planned: Vec<Planned> = Vec::new();
    let mut items = 0;
    let mut entities: Vec<String> = Vec::new();
    for row in std::iter::once(first.clone()).chain(others) {
        if planned.len() >= budget {
            break;
        }
        let attachment = needs_attachment(&row);
        let current = needs_current(&row);
        if !attachment && !current {
            continue;
        }
        let new_entity = current && !entities.contains(&row.entity);
        let cost = usize::from(attachment) + usize::from(new_entity);
        if items + cost > budget {
            continue;
        }
        items += cost;
        if new_entity {
            entities.push(row.entity.clone());
        }
        planned.push(Planned {
            row,
            attachment,
            current,
        });
    }
    planned
}

/// The realm's other write-backs still to do whose outbox row is waiting or being sent (or
/// that have none: a push run by hand), in outbox order.
async fn others(qbo: &Qbo, except: &str, limit: usize) -> Result<Vec<PushRow>, Error> {
    let rows = qbo
        .file
        .reader()
        .query_all_raw(stmt(
            "SELECT p.* FROM qbo_push p LEFT JOIN outbox o ON o.target = ? AND \
             o.idempotency_key = 'qbo:' || p.document_id WHERE p.realm_id = ? AND \
             p.state <> 'done' AND p.document_id <> ? AND (o.seq IS NULL OR o.state IN \
             ('ready', 'in_flight')) ORDER BY COALESCE(o.seq, 0), p.created_at, p.document_id \
             LIMIT ?",
            vec![
                val(super::QBO_TARGET),
                val(qbo.realm_id()),
                val(except),
                sea_orm::Value::BigInt(Some(i64::try_from(limit).unwrap_or(i64::MAX))),
            ],
        ))
        .await?;
    rows.iter().map(row_from).collect()
}

/// Runs one prefetch for `row` (and others), unless another one brought `part` meanwhile.
async fn fill(qbo: &Qbo, row: &PushRow, part: Part) -> Result<(), PushError> {
    let _turn = qbo.prefetch.flight.lock().await;
    let now = qbo.file.clock().now();
    if qbo.prefetch.has_fresh(&row.document_id, part, now) {
        return Ok(());
    }
    let start = {
        let mut state = qbo.prefetch.lock();
        state.forgotten.clear();
        state.entries.retain(|_, e| fresh(e.at, now));
        state.epoch
    };
    let budget = qbo.client.config().batch_size;
    // Others that already have a fresh answer kept are left out: they need no second read.
    let candidates: Vec<PushRow> = others(qbo, &row.document_id, budget * 3)
        .await?
        .into_iter()
        .filter(|r| {
            !(qbo
                .prefetch
                .has_fresh(&r.document_id, Part::Attachment, now)
                || qbo.prefetch.has_fresh(&r.document_id, Part::Current, now))
        })
        .collect();
    let planned = plan(row, candidates, budget);
    let mut items = Vec::new();
    let mut by_entity: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (i, p) in planned.iter().enumerate() {
        if p.attachment {
            items.push(BatchItem::query(
                format!("a{i}"),
                Query::of::<Attachable>()
                    .where_eq("AttachableRef.EntityRef.Type", &p.row.entity)
                    .where_eq("AttachableRef.EntityRef.value", &p.row.qbo_id),
            ));
        }
        if p.current {
            by_entity
                .entry(p.row.entity.clone())
                .or_default()
                .push(p.row.qbo_id.clone());
        }
    }
    for (entity, ids) in &by_entity {
        items.push(BatchItem::query(
            format!("t{entity}"),
            Query::select_all(entity).where_in("Id", ids),
        ));
    }
    if items.is_empty() {
        return Ok(());
    }
    let answers = match qbo.client.batch(&items, None).await {
        Ok(reply) => reply.value,
        // Refused as a whole for what it holds: nothing is stored, and the single calls that
        // follow say why, per document.
        Err(e) if matches!(e.kind(), ErrorKind::Validation | ErrorKind::Decode) => {
            return Ok(());
        }
        Err(e) => return Err(e.into()),
    };
    let mut currents: HashMap<(String, String), Current> = HashMap::new();
    for entity in by_entity.keys() {
        let b_id = format!("t{entity}");
        macro_rules! rows {
            ($ty:ty) => {
                if let Ok(page) = answers.query::<$ty>(&b_id) {
                    for r in page.records {
                        let e = r.entity;
                        if let Some(id) = e.id.clone() {
                            currents.insert(
                                (entity.clone(), id),
                                Current {
                                    voided: e.looks_voided(),
                                    sync_token: e.sync_token.clone().unwrap_or_default(),
                                    private_note: e.private_note.clone(),
                                    custom_field: e.custom_field.clone(),
                                },
                            );
                        }
                    }
                }
            };
        }
        match entity.as_str() {
            "Invoice" => rows!(Invoice),
            "SalesReceipt" => rows!(SalesReceipt),
            "CreditMemo" => rows!(CreditMemo),
            _ => {}
        }
    }
    let at = qbo.file.clock().now();
    let mut state = qbo.prefetch.lock();
    for (i, p) in planned.into_iter().enumerate() {
        let doc = p.row.document_id.clone();
        let skip = |state: &State, part: Part| {
            state
                .forgotten
                .get(&(doc.clone(), part))
                .is_some_and(|&e| e > start)
        };
        let attachment = if p.attachment && !skip(&state, Part::Attachment) {
            answers
                .query::<Attachable>(&format!("a{i}"))
                .ok()
                .and_then(|page| {
                    let full = page.records.len() >= MAX_RESULTS as usize;
                    let ours = page.records.into_iter().find(|a| {
                        a.entity.file_name.as_deref() == Some(p.row.file_name.as_str())
                            && a.entity.is_linked_to(&p.row.entity, &p.row.qbo_id)
                    });
                    match ours {
                        // Found but without an id: let the single check decide.
                        Some(a) => a.entity.id.map(Some),
                        // A full page may have ours on the next: unknown.
                        None if full => None,
                        None => Some(None),
                    }
                })
        } else {
            None
        };
        let current = if p.current && !skip(&state, Part::Current) {
            currents.remove(&(p.row.entity.clone(), p.row.qbo_id.clone()))
        } else {
            None
        };
        if attachment.is_none() && current.is_none() {
            continue;
        }
        state.entries.insert(
            doc,
            Entry {
                at,
                attachment,
                current,
            },
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(doc: &str, entity: &str) -> PushRow {
        PushRow {
            document_id: doc.into(),
            entity: entity.into(),
            qbo_id: doc.into(),
            file_name: format!("ETR-{doc}.pdf"),
            upload_request_id: "r".into(),
            attachable_id: None,
            update_request_id: None,
            update_base_token: None,
            update_body: None,
            state: "pending".into(),
            result_sync_token: None,
            last_error: None,
            pdf_sha256: None,
            conflicts: 0,
        }
    }

    #[test]
    fn a_plan_keeps_to_the_batch_size_in_items() {
        let others: Vec<PushRow> = (1..20).map(|i| row(&i.to_string(), "Invoice")).collect();
        // One Attachable query each plus one Id IN query for the invoices: 9 documents.
        let p = plan(&row("0", "Invoice"), others.clone(), 10);
        assert_eq!(p.len(), 9);
        assert_eq!(p[0].row.document_id, "0");
        // A credit memo adds its own Id IN query.
        let mut mixed = others;
        mixed.insert(0, row("cm", "CreditMemo"));
        let p = plan(&row("0", "Invoice"), mixed, 10);
        assert_eq!(p.len(), 8);
        // Already attached or uploading: only the transaction read, no Attachable query.
        let mut attached = row("x", "Invoice");
        attached.attachable_id = Some("5".into());
        let mut uploading = row("y", "Invoice");
        uploading.pdf_sha256 = Some("ab".into());
        let mut conflicted = row("z", "Invoice");
        conflicted.pdf_sha256 = Some("ab".into());
        conflicted.conflicts = 1;
        let p = plan(&attached, vec![uploading, conflicted], 10);
        let docs: Vec<_> = p
            .iter()
            .map(|p| (p.row.document_id.as_str(), p.attachment, p.current))
            .collect();
        assert_eq!(docs, vec![("x", false, true), ("y", false, true)]);
    }

    #[test]
    fn answers_are_used_once_while_fresh_and_forgotten_on_an_attempt() {
        let prefetch = Prefetch::default();
        let t0: DateTime<Utc> = "2026-07-01T09:00:00Z".parse().unwrap();
        let current = Current {
            sync_token: "3".into(),
            private_note: None,
            custom_field: Vec::new(),
            voided: false,
        };
        let put = |doc: &str| {
            prefetch.lock().entries.insert(
                doc.into(),
                Entry {
                    at: t0,
                    attachment: Some(None),
                    current: Some(current.clone()),
                },
            );
        };
        put("a");
        assert_eq!(prefetch.take_attachment("a", t0), Some(None));
        assert_eq!(prefetch.take_attachment("a", t0), None, "used once");
        assert!(prefetch.take_current("a", t0).is_some());
        put("b");
        let late = t0 + chrono::Duration::seconds(TTL_SECONDS);
        assert_eq!(prefetch.take_attachment("b", late), None, "stale");
        put("c");
        prefetch.forget("c", Part::Attachment);
        assert_eq!(prefetch.take_attachment("c", t0), None);
        assert!(prefetch.has_fresh("c", Part::Current, t0));
        prefetch.forget("c", Part::Current);
        assert!(!prefetch.has_fresh("c", Part::Current, t0));
        assert_eq!(prefetch.len(), 3);
    }
}
