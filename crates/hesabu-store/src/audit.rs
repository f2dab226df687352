//! The tamper-evident audit log.
//!
//! Every business write appends an entry in its own transaction (see [`crate::uow`]). Entries
//! are chained: `hash = sha256(prev_hash || canonical entry)`, where the canonical entry is a
//! JSON object with a fixed field order built from the stored text. Editing, inserting or
//! deleting a row anywhere breaks the chain at that row; deleting the newest rows is caught by
//! the separately stored head (`audit_head`). [`verify`] walks the chain and names the first
//! broken entry.
//!
//! Limitation, by design of any self-contained chain: someone who can write the file can rebuild
//! the whole chain after an edit. Exporting the head hash elsewhere (a printed daily summary, the
//! backup set) is what catches that; later phases do so.

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use ts_rs::TS;

use crate::auth::Session;
use crate::company_file::CompanyFile;
use crate::entities::audit_log;
use crate::error::{Error, Result};
use crate::permissions::Permission;

/// What a missing `audit_head` row means, in the words of verify and of a refused write.
const HEAD_MISSING: &str = "the audit head (the record of the newest entry, kept apart from the \
                            log) was deleted outside Hesabu";

/// `prev_hash` of the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who an entry is attributed to (defined beside the session that produces one).
pub use crate::auth::AuditActor;

/// What a service records about one change. `before`/`after` are summaries for people to
/// read: never secrets or password hashes.
#[derive(Debug, Clone)]
pub struct AuditDraft {
    pub action: &'static str,
    pub entity_type: &'static str,
    pub entity_id: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// The exact bytes that are hashed. Field order is fixed by the struct.
#[derive(Serialize)]
struct Canonical<'a> {
    seq: i64,
    id: &'a str,
    at: &'a str,
    actor_id: Option<&'a str>,
    actor_email: &'a str,
    action: &'a str,
    entity_type: &'a str,
    entity_id: &'a str,
    before: Option<&'a str>,
    after: Option<&'a str>,
}

fn entry_hash(prev_hash: &str, entry: &Canonical<'_>) -> String {
    let canonical = serde_json::to_vec(entry).expect("canonical audit entry serialises");
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(&canonical);
    hex::encode(hasher.finalize())
}

fn canonical(m: &audit_log::Model) -> Canonical<'_> {
    Canonical {
        seq: m.seq,
        id: &m.id,
        at: &m.at,
        actor_id: m.actor_id.as_deref(),
        actor_email: &m.actor_email,
        action: &m.action,
        entity_type: &m.entity_type,
        entity_id: &m.entity_id,
        before: m.before_json.as_deref(),
        after: m.after_json.as_deref(),
    }
}

/// Appends one entry. Only the unit of work calls this, under the write lock it holds.
pub(crate) async fn append(
    txn: &impl ConnectionTrait,
    actor: &AuditActor,
    id: &str,
    at: &str,
    draft: AuditDraft,
) -> Result<()> {
    let backend = txn.get_database_backend();
    let head = txn
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT last_seq, last_hash FROM audit_head WHERE id = 1",
        ))
        .await?
        .ok_or_else(|| {
            Error::AuditBroken(format!(
                "Nothing was saved: {HEAD_MISSING}. `hesabu audit verify` shows the log as it \
                 is; restore the company file from a backup."
            ))
        })?;
    let last_seq: i64 = head.try_get("", "last_seq")?;
    let last_hash: String = head.try_get("", "last_hash")?;

    let mut model = audit_log::Model {
        seq: last_seq + 1,
        id: id.to_owned(),
        at: at.to_owned(),
        actor_id: actor.id.clone(),
        actor_email: actor.email.clone(),
        action: draft.action.to_owned(),
        entity_type: draft.entity_type.to_owned(),
        entity_id: draft.entity_id,
        before_json: draft.before.map(|v| v.to_string()),
        after_json: draft.after.map(|v| v.to_string()),
        prev_hash: last_hash,
        hash: String::new(),
    };
    model.hash = entry_hash(&model.prev_hash, &canonical(&model));
    let (seq, hash) = (model.seq, model.hash.clone());
    // Every business write runs this, so the statement is written out rather than built by
    // sea-query each time (building it cost more than SQLite spends running it). The columns
    // are those of `entities::audit_log`; the audit tests fail on any mismatch.
    txn.execute_raw(Statement::from_sql_and_values(
        backend,
        "INSERT INTO audit_log (seq, id, at, actor_id, actor_email, action, entity_type, \
         entity_id, before_json, after_json, prev_hash, hash) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            model.seq.into(),
            model.id.into(),
            model.at.into(),
            model.actor_id.into(),
            model.actor_email.into(),
            model.action.into(),
            model.entity_type.into(),
            model.entity_id.into(),
            model.before_json.into(),
            model.after_json.into(),
            model.prev_hash.into(),
            model.hash.into(),
        ],
    ))
    .await?;
    txn.execute_raw(Statement::from_sql_and_values(
        backend,
        "UPDATE audit_head SET last_seq = ?, last_hash = ? WHERE id = 1",
        [seq.into(), hash.into()],
    ))
    .await?;
    Ok(())
}

/// The newest entries first.
pub async fn list(
    file: &CompanyFile,
    session: &Session,
    limit: u64,
) -> Result<Vec<AuditEntryView>> {
    session.require(Permission::AuditView)?;
    let rows = audit_log::Entity::find()
        .order_by_desc(audit_log::Column::Seq)
        .limit(limit)
        .all(file.reader())
        .await?;
    Ok(rows.into_iter().map(AuditEntryView::from).collect())
}

/// What to read from the audit log, newest first. Every field is optional.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
pub struct AuditQuery {
    /// Part of the actor's email (`grace`, `accountant@demo.test`).
    #[serde(default)]
    pub actor: Option<String>,
    /// Entries about this kind of thing (`budget`, `approval_document`, `sales_document`).
    #[serde(default)]
    pub entity_type: Option<String>,
    /// Entries about this one thing (its id).
    #[serde(default)]
    pub entity_id: Option<String>,
    /// Entries whose action starts with this (`budget.`, `document.submit`).
    #[serde(default)]
    pub action: Option<String>,
    /// yyyy-mm-dd, inclusive, a day in the company's time zone.
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    /// Only entries older than this one (the last `seq` of the page before): paging that stays
    /// put while new entries are written.
    #[serde(default)]
    #[ts(type = "number | null")]
    pub before_seq: Option<i64>,
    #[serde(default)]
    #[ts(type = "number | null")]
    pub limit: Option<u64>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct AuditPage {
    pub entries: Vec<AuditEntryView>,
    /// Older entries match too: ask again with `before_seq` = the last entry's `seq`.
    pub more: bool,
}

/// The audit log, filtered, newest first, with the actors' names. `time_zone` is the company's
/// IANA zone (the days of `from`/`to` are its days).
pub async fn search(
    file: &CompanyFile,
    session: &Session,
    query: &AuditQuery,
    time_zone: &str,
) -> Result<AuditPage> {
    session.require(Permission::AuditView)?;
    let time_zone: chrono_tz::Tz = time_zone.parse().map_err(|_| {
        Error::invalid(format!(
            "The company's time zone '{}' is not known: fix it in the company settings.",
            crate::limits::excerpt(time_zone)
        ))
    })?;
    let text = |v: &Option<String>, what: &str| -> Result<Option<String>> {
        match v.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            None => Ok(None),
            Some(t) => {
                crate::limits::check_text(what, t, crate::limits::LABEL)?;
                // The user's own wildcards are dropped, as in every search.
                Ok(Some(t.replace(['%', '_'], "")))
            }
        }
    };
    let mut select = audit_log::Entity::find();
    if let Some(actor) = text(&query.actor, "user filter")? {
        select = select.filter(audit_log::Column::ActorEmail.like(format!("%{actor}%")));
    }
    if let Some(t) = query
        .entity_type
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        crate::limits::check_text("entity filter", t, crate::limits::LABEL)?;
        select = select.filter(audit_log::Column::EntityType.eq(t));
    }
    if let Some(id) = query
        .entity_id
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        crate::limits::check_text("entity id", id, crate::limits::LABEL)?;
        select = select.filter(audit_log::Column::EntityId.eq(id));
    }
    if let Some(action) = text(&query.action, "action filter")? {
        select = select.filter(audit_log::Column::Action.like(format!("{action}%")));
    }
    if let Some(from) = day_start(query.from.as_deref(), "from", time_zone, 0)? {
        select = select.filter(audit_log::Column::At.gte(from));
    }
    if let Some(to) = day_start(query.to.as_deref(), "to", time_zone, 1)? {
        select = select.filter(audit_log::Column::At.lt(to));
    }
    if let Some(seq) = query.before_seq {
        select = select.filter(audit_log::Column::Seq.lt(seq));
    }
    let limit = query.limit.unwrap_or(100).clamp(1, 1_000);
    let mut rows = select
        .order_by_desc(audit_log::Column::Seq)
        .limit(limit + 1)
        .all(file.reader())
        .await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let names: std::collections::HashMap<String, String> =
        crate::entities::app_user::Entity::find()
            .all(file.reader())
            .await?
            .into_iter()
            .map(|u| (u.id, u.name))
            .collect();
    let entries = rows
        .into_iter()
        .map(|m| {
            let name = m.actor_id.as_ref().and_then(|id| names.get(id)).cloned();
            AuditEntryView {
                actor_name: name,
                ..AuditEntryView::from(m)
            }
        })
        .collect();
    Ok(AuditPage { entries, more })
}

/// The instant (UTC, as stored) a company day starts, `plus_days` after the given one.
fn day_start(
    text: Option<&str>,
    which: &str,
    time_zone: chrono_tz::Tz,
    plus_days: u64,
) -> Result<Option<String>> {
    use chrono::{NaiveDate, TimeZone};
    let Some(t) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let bad = || {
        Error::invalid(format!(
            "The {which} date '{}' is not a date: write it as yyyy-mm-dd, e.g. 2026-12-02.",
            crate::limits::excerpt(t)
        ))
    };
    let day = NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .map_err(|_| bad())?
        .checked_add_days(chrono::Days::new(plus_days))
        .ok_or_else(bad)?;
    let local = day.and_hms_opt(0, 0, 0).ok_or_else(bad)?;
    let start = time_zone
        .from_local_datetime(&local)
        .earliest()
        .ok_or_else(bad)?
        .with_timezone(&chrono::Utc);
    Ok(Some(
        start.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    ))
}

/// The columns of the audit log's export.
pub const EXPORT_COLUMNS: [&str; 9] = [
    "#",
    "When",
    "Who",
    "What happened",
    "Subject",
    "Subject id",
    "Before",
    "After",
    "Action code",
];

/// Every entry `query` matches (its `before_seq` and `limit` are the screen's paging and are
/// ignored: the whole filtered log is read, a thousand entries at a time by `seq`), as an export
/// table, newest first: times in the company's zone, the actor by name (their email when they
/// are not a user of this file), the action and subject as recorded (what `hesabu audit list
/// --action/--entity` filter on), the before/after summaries as JSON text. Needs what [`search`]
/// needs.
pub async fn table(
    file: &CompanyFile,
    session: &Session,
    query: &AuditQuery,
    time_zone: &str,
) -> Result<crate::export::Table> {
    use crate::export::{Cell, Table, local_time, zone};
    let zone = zone(time_zone)?;
    let mut page_query = AuditQuery {
        before_seq: None,
        limit: Some(1_000),
        ..query.clone()
    };
    let json = |v: Option<Value>| -> Cell {
        v.map_or(Cell::Empty, |v| match v {
            Value::String(text) => Cell::Text(text),
            other => Cell::Text(other.to_string()),
        })
    };
    let mut rows = Vec::new();
    loop {
        let page = search(file, session, &page_query, time_zone).await?;
        page_query.before_seq = page.entries.last().map(|e| e.seq);
        for e in page.entries {
            rows.push(vec![
                Cell::Number(e.seq.into()),
                Cell::Text(local_time(&e.at, zone)),
                Cell::Text(e.actor_name.unwrap_or(e.actor_email)),
                Cell::Text(words::action_label(&e.action)),
                Cell::Text(words::entity_label(&e.entity_type)),
                Cell::Text(e.entity_id),
                json(e.before),
                json(e.after),
                Cell::Text(e.action),
            ]);
        }
        if !page.more || page_query.before_seq.is_none() {
            break;
        }
    }
    Ok(Table {
        headers: EXPORT_COLUMNS.iter().map(|c| (*c).to_owned()).collect(),
        rows,
    })
}

/// Walks the whole chain from the first entry and reports the first one that does not verify.
pub async fn verify(file: &CompanyFile, session: &Session) -> Result<AuditVerifyReport> {
    session.require(Permission::AuditVerify)?;
    verify_chain(file).await
}

/// The check itself, without a session: restore and start-up checks use it too.
pub async fn verify_chain(file: &CompanyFile) -> Result<AuditVerifyReport> {
    const PAGE: u64 = 1_000;
    let mut expected_seq = 1_i64;
    let mut prev_hash = GENESIS_HASH.to_owned();
    let mut broken = None;
    'pages: loop {
        let rows = audit_log::Entity::find()
            .order_by_asc(audit_log::Column::Seq)
            .offset(u64::try_from(expected_seq - 1).unwrap_or(0))
            .limit(PAGE)
            .all(file.reader())
            .await?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            let reason = if row.seq != expected_seq {
                Some(format!(
                    "entry #{expected_seq} is missing (the next stored entry is #{})",
                    row.seq
                ))
            } else if row.prev_hash != prev_hash {
                Some(
                    "its link to the previous entry does not match: an entry before it was \
                      removed or replaced"
                        .to_owned(),
                )
            } else if entry_hash(&row.prev_hash, &canonical(row)) != row.hash {
                Some("its contents do not match its hash: the entry was edited".to_owned())
            } else {
                None
            };
            if let Some(reason) = reason {
                broken = Some(BrokenAuditEntry::new(row, expected_seq, reason));
                break 'pages;
            }
            prev_hash.clone_from(&row.hash);
            expected_seq += 1;
        }
    }
    let checked = expected_seq - 1;

    if broken.is_none() {
        let head = file
            .reader()
            .query_one_raw(Statement::from_string(
                file.reader().get_database_backend(),
                "SELECT last_seq, last_hash FROM audit_head WHERE id = 1",
            ))
            .await?;
        let head = match head {
            Some(head) => Some((
                head.try_get::<i64>("", "last_seq")?,
                head.try_get::<String>("", "last_hash")?,
            )),
            None => None,
        };
        let Some((head_seq, head_hash)) = head else {
            // The head is the only witness of the newest entries: without it, deleting them
            // would leave no trace. Its removal is tampering like any other.
            broken = Some(BrokenAuditEntry {
                seq: checked + 1,
                id: None,
                action: None,
                at: None,
                reason: format!(
                    "{HEAD_MISSING}, so entries after #{checked} may have been deleted without \
                     trace"
                ),
            });
            return Ok(AuditVerifyReport {
                ok: false,
                entries_checked: checked,
                first_broken: broken,
            });
        };
        if head_seq != checked || head_hash != prev_hash {
            broken = Some(BrokenAuditEntry {
                seq: checked + 1,
                id: None,
                action: None,
                at: None,
                reason: format!(
                    "the log ends at entry #{checked} but {head_seq} entries were written: the \
                     newest entries were deleted"
                ),
            });
        }
    }

    Ok(AuditVerifyReport {
        ok: broken.is_none(),
        entries_checked: checked,
        first_broken: broken,
    })
}

/// One audit log entry.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct AuditEntryView {
    #[ts(type = "number")]
    pub seq: i64,
    pub id: String,
    pub at: String,
    pub actor_email: String,
    /// The actor's name when they are a user of this file (filled by [`search`]); `None` for
    /// the system and in [`list`].
    #[serde(default)]
    pub actor_name: Option<String>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub hash: String,
}

impl From<audit_log::Model> for AuditEntryView {
    fn from(m: audit_log::Model) -> Self {
        let parse = |text: Option<String>| {
            text.map(|t| serde_json::from_str(&t).unwrap_or(Value::String(t)))
        };
        Self {
            seq: m.seq,
            id: m.id,
            at: m.at,
            actor_email: m.actor_email,
            actor_name: None,
            action: m.action,
            entity_type: m.entity_type,
            entity_id: m.entity_id,
            before: parse(m.before_json),
            after: parse(m.after_json),
            hash: m.hash,
        }
    }
}

/// The result of walking the audit chain.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct AuditVerifyReport {
    pub ok: bool,
    #[ts(type = "number")]
    pub entries_checked: i64,
    pub first_broken: Option<BrokenAuditEntry>,
}

/// The first entry at which the chain stops verifying.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct BrokenAuditEntry {
    #[ts(type = "number")]
    pub seq: i64,
    pub id: Option<String>,
    pub action: Option<String>,
    pub at: Option<String>,
    pub reason: String,
}

impl BrokenAuditEntry {
    pub(crate) fn new(row: &audit_log::Model, expected_seq: i64, reason: String) -> Self {
        Self {
            seq: expected_seq,
            id: Some(row.id.clone()),
            action: Some(row.action.clone()),
            at: Some(row.at.clone()),
            reason,
        }
    }

    /// "entry #5 (user.add at 2026-…, id …): its contents do not match its hash: …"
    pub fn describe(&self) -> String {
        match (&self.action, &self.at, &self.id) {
            (Some(action), Some(at), Some(id)) => {
                format!(
                    "entry #{} ({action} at {at}, id {id}): {}",
                    self.seq, self.reason
                )
            }
            _ => format!("entry #{}: {}", self.seq, self.reason),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_covers_every_field() {
        let base = audit_log::Model {
            seq: 1,
            id: "a".into(),
            at: "2026-01-01T00:00:00.000Z".into(),
            actor_id: Some("u".into()),
            actor_email: "x@y.test".into(),
            action: "user.add".into(),
            entity_type: "user".into(),
            entity_id: "e".into(),
            before_json: None,
            after_json: Some("{}".into()),
            prev_hash: GENESIS_HASH.into(),
            hash: String::new(),
        };
        let h = entry_hash(GENESIS_HASH, &canonical(&base));
        let mut edited = base.clone();
        edited.after_json = Some("{ }".into());
        assert_ne!(h, entry_hash(GENESIS_HASH, &canonical(&edited)));
        let mut other_actor = base.clone();
        other_actor.actor_email = "z@y.test".into();
        assert_ne!(h, entry_hash(GENESIS_HASH, &canonical(&other_actor)));
        assert_ne!(h, entry_hash("1", &canonical(&base)));
    }
}

/// The audit log in words: what an action ("budget.reserve" → "Budget reserved") and an entity
/// type ("approval_document" → "Document") are called on the Audit log page and in its export.
/// The one vocabulary: the desktop's bindings carry these tables (`AUDIT_SUBJECTS`,
/// `AUDIT_VERBS`, `AUDIT_ENTITIES` in ui/src/lib/bindings.ts) and ui/src/lib/audit.ts reads them.
pub mod words {
    /// The part of an action before the dot.
    pub const SUBJECTS: &[(&str, &str)] = &[
        ("approval", "Approval"),
        ("approval_policy", "Approval policy"),
        ("backup", "Backup"),
        ("budget", "Budget"),
        ("company", "Company"),
        ("customer", "Customer"),
        ("delegation", "Delegation"),
        ("department", "Department"),
        ("document", "Document"),
        ("event", "Event"),
        ("holiday", "Holiday"),
        ("item", "Item"),
        ("notification", "Notification"),
        ("outbox", "Sync item"),
        ("report", "Report"),
        ("rules", "Business rules"),
        ("sale", "Sale"),
        ("sales", "Sales"),
        ("scheduled_job", "Scheduled job"),
        ("user", "User"),
        ("workflow", "Workflow"),
    ];

    /// The part after the dot, as a past participle.
    pub const VERBS: &[(&str, &str)] = &[
        ("add", "added"),
        ("approve", "approved"),
        ("auto_approve", "approved automatically"),
        ("blocked", "blocked a submission"),
        ("bulk_approve", "approved in bulk"),
        ("cancel", "cancelled"),
        ("check", "checked"),
        ("create", "created"),
        ("deactivate", "deactivated"),
        ("dead_letter", "given up on"),
        ("delegate", "delegated"),
        ("deliver", "delivered"),
        ("designate", "designation set"),
        ("edit", "edited"),
        ("enable", "switched on"),
        ("disable", "switched off"),
        ("set", "set up"),
        ("escalate", "escalated"),
        ("expire", "expired"),
        ("fiscalise", "signed by KRA"),
        ("import", "imported"),
        ("issue", "issued"),
        ("phase", "phased by month"),
        ("read", "read"),
        ("recall", "recalled"),
        ("record", "recorded"),
        ("release", "released"),
        ("remind", "reminder sent"),
        ("reserve", "reserved"),
        ("restore", "restored"),
        ("retry", "retried"),
        ("revoke", "revoked"),
        ("run", "run"),
        ("set_head", "head set"),
        ("settings", "settings changed"),
        ("spend", "spent"),
        ("start", "started"),
        ("submit", "submitted"),
        ("tax_review_resolve", "tax review resolved"),
        ("update", "changed"),
        ("void", "voided"),
        ("work_week", "work week changed"),
        ("commit", "committed"),
        ("reject", "rejected"),
        ("return", "returned"),
        ("clarify", "clarification asked"),
        ("resubmit", "resubmitted"),
    ];

    /// Entity types whose name is not a subject's.
    pub const ENTITIES: &[(&str, &str)] = &[
        ("approval_document", "Document"),
        ("approval_request", "Approval request"),
        ("approval_step", "Approval step"),
        ("sales_document", "Sale"),
        ("app_user", "User"),
        ("budget_reservation", "Reservation"),
    ];

    fn find(table: &[(&str, &'static str)], key: &str) -> Option<&'static str> {
        table.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }

    /// "stock_move" → "Stock move".
    fn spelt_out(text: &str) -> String {
        let spaced = text.replace(['.', '_'], " ");
        let spaced = spaced.trim();
        let mut chars = spaced.chars();
        chars.next().map_or_else(String::new, |first| {
            first.to_uppercase().chain(chars).collect::<String>()
        })
    }

    /// "budget.reserve" → "Budget reserved"; an action it does not know, spelt out in words.
    pub fn action_label(action: &str) -> String {
        if let Some((subject, verb)) = action.split_once('.')
            && let (Some(subject), Some(verb)) = (find(SUBJECTS, subject), find(VERBS, verb))
        {
            return format!("{subject} {verb}");
        }
        spelt_out(action)
    }

    /// "approval_document" → "Document".
    pub fn entity_label(entity_type: &str) -> String {
        find(ENTITIES, entity_type)
            .or_else(|| find(SUBJECTS, entity_type))
            .map_or_else(|| spelt_out(entity_type), str::to_owned)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        /// The same examples as ui/src/lib/audit.test.ts.
        #[test]
        fn says_what_happened_in_words() {
            assert_eq!(action_label("budget.reserve"), "Budget reserved");
            assert_eq!(
                action_label("document.tax_review_resolve"),
                "Document tax review resolved"
            );
            assert_eq!(action_label("sale.fiscalise"), "Sale signed by KRA");
            assert_eq!(action_label("outbox.dead_letter"), "Sync item given up on");
            assert_eq!(action_label("widget.frobnicate"), "Widget frobnicate");
            assert_eq!(entity_label("approval_document"), "Document");
            assert_eq!(entity_label("budget"), "Budget");
            assert_eq!(entity_label("stock_move"), "Stock move");
        }
    }
}
