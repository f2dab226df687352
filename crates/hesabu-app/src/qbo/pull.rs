//! Pulling QuickBooks into the ledger (spec §3.3).
//!
//! - **Initial load** (no watermark, or `--full`): every entity paged by query, ordered by
//!   `MetaData.LastUpdatedTime`, 1000 a page. The watermark becomes the first page's `time`.
//! - **Incremental**: one CDC call for Invoice, CreditMemo, SalesReceipt, Customer and Item
//!   since the watermark less a 5-minute overlap. A window that may be truncated (1000 objects)
//!   is fetched again by query paging from the same instant, entity by entity, so nothing is
//!   lost. The watermark becomes the CDC answer's `time`.
//! - **Offline more than 30 days** (CDC looks back at most 30 days and would miss deletions):
//!   query resync from the watermark, and deletions found by comparing the full Id set of each
//!   entity with the mirror. Simplification: the Id set is read with `SELECT *` (the client
//!   builds only `SELECT *` statements), which costs more reads than `SELECT Id`.
//! - TaxCode/TaxRate (not in CDC) and Preferences are queried on every pull.
//!
//! Everything one pull found is applied in **one unit of work**, the new watermark with it, so
//! the watermark never runs ahead of what was stored (a crash re-pulls the same window; the
//! mirror makes the repeat harmless). Each object is compared with the mirror (`qbo_object`):
//! the same `SyncToken` is skipped; the `SyncToken` our own write-back produced is an echo and
//! only updates the mirror; a sale whose lines or totals changed after Hesabu issued it is
//! listed for review (`qbo_review`, with a sync notice) — for a KRA-signed sale that means a
//! credit note, and it is never re-signed.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, FixedOffset, Utc};
use hesabu_core::sales::synced::{self, Voided};
use hesabu_core::sales::tax::TaxType;
use hesabu_core::sales::{SalesStatus, SalesType};
use hesabu_qbo::entities::{
    CreditMemo, Customer, Entity, Invoice, Item, Preferences, SalesReceipt, TaxCode, TaxRate,
};
use hesabu_qbo::{Change, Query, Record};
use sea_orm::{ConnectionTrait, Value};
use serde::{Deserialize, Serialize};
use serde_json::json;
use ts_rs::TS;

use hesabu_store::audit::AuditDraft;
use hesabu_store::auth::Session;
use hesabu_store::error::{Error, Result};
use hesabu_store::notifications::{self, NewNotification};
use hesabu_store::permissions::Permission;
use hesabu_store::uow::UnitOfWork;

use super::mapping::{self, TxnView};
use super::{Qbo, opt, qbo_error, stmt, text, val};

/// The overlap taken off the watermark (spec §3.3).
pub const OVERLAP: Duration = Duration::minutes(5);
/// Past this, CDC cannot be trusted to have every deletion (it looks back 30 days).
pub const CDC_LIMIT: Duration = Duration::days(29);
const CDC_ENTITIES: [&str; 5] = ["Customer", "Item", "Invoice", "CreditMemo", "SalesReceipt"];

/// How a pull ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum PullMode {
    Initial,
    Cdc,
    /// Offline longer than CDC reaches: query resync with deletion reconciliation.
    Resync,
}

/// What a pull did.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
pub struct PullReport {
    pub mode: Option<PullMode>,
    #[ts(type = "number")]
    pub objects: u64,
    #[ts(type = "number")]
    pub customers: u64,
    #[ts(type = "number")]
    pub items: u64,
    /// Sales issued in the ledger from QuickBooks.
    #[ts(type = "number")]
    pub sales_issued: u64,
    /// Objects seen before with the same `SyncToken`.
    #[ts(type = "number")]
    pub unchanged: u64,
    /// Our own write-backs coming back.
    #[ts(type = "number")]
    pub echoes: u64,
    #[ts(type = "number")]
    pub voided: u64,
    #[ts(type = "number")]
    pub deleted: u64,
    /// Review rows added.
    #[ts(type = "number")]
    pub reviews: u64,
    /// CDC windows that reached 1000 objects and were fetched again by query.
    #[ts(type = "number")]
    pub truncated_windows: u64,
    /// Push-backs queued for signed sales.
    #[ts(type = "number")]
    pub pushes_queued: u64,
    pub watermark: Option<String>,
    pub warnings: Vec<String>,
}

/// Everything fetched by one pull, before it is applied.
#[derive(Default)]
struct Fetched {
    tax_codes: Vec<Record<TaxCode>>,
    tax_rates: Vec<Record<TaxRate>>,
    preferences: Option<Record<Preferences>>,
    customers: Vec<Change<Customer>>,
    items: Vec<Change<Item>>,
    invoices: Vec<Change<Invoice>>,
    credit_memos: Vec<Change<CreditMemo>>,
    sales_receipts: Vec<Change<SalesReceipt>>,
    /// Resync: the full Id set per entity (deletions are what the mirror has beyond it).
    id_sets: HashMap<&'static str, HashSet<String>>,
}

fn upserts<T>(records: Vec<Record<T>>) -> Vec<Change<T>> {
    records.into_iter().map(Change::Upsert).collect()
}

/// Where a running pull is, for a progress bar: one step per list read (tax codes, rates,
/// preferences, each entity or the CDC call) plus saving into the ledger, and the pages and
/// objects read so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PullProgress {
    /// What is being done, in words ("Reading invoices").
    pub step: String,
    pub steps_done: u32,
    /// Known once the pull knows its mode; grows when a truncated CDC window is re-read.
    pub steps_total: u32,
    pub pages: u32,
    #[ts(type = "number")]
    pub objects: u64,
    /// The last report of a pull that committed.
    pub finished: bool,
}

/// What receives a running pull's progress (called on the pull's task; keep it quick).
pub type ProgressSink<'a> = &'a (dyn Fn(PullProgress) + Send + Sync);

/// A pull's progress so far and where it goes (nowhere for a plain [`pull`]).
struct Progress<'a> {
    sink: Option<ProgressSink<'a>>,
    now: std::sync::Mutex<PullProgress>,
}

impl Progress<'_> {
    fn update(&self, change: impl FnOnce(&mut PullProgress)) {
        let Some(sink) = self.sink else {
            return;
        };
        let snapshot = {
            let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
            change(&mut now);
            now.clone()
        };
        sink(snapshot);
    }

    fn step(&self, words: String) {
        self.update(|p| p.step = words);
    }

    fn step_done(&self) {
        self.update(|p| p.steps_done += 1);
    }
}

/// A list's name in words, for the progress bar.
fn list_words(entity: &str) -> &'static str {
    match entity {
        "Customer" => "customers",
        "Item" => "items",
        "Invoice" => "invoices",
        "CreditMemo" => "credit memos",
        "SalesReceipt" => "sales receipts",
        "TaxCode" => "tax codes",
        "TaxRate" => "tax rates",
        _ => "records",
    }
}

impl Qbo {
    async fn all_since<T: Entity>(
        &self,
        since: Option<DateTime<FixedOffset>>,
        progress: &Progress<'_>,
    ) -> Result<(Vec<Record<T>>, Option<DateTime<FixedOffset>>)> {
        progress.step(format!("Reading {}", list_words(T::NAME)));
        let query = match since {
            Some(s) => Query::of::<T>().updated_since(s),
            None => Query::of::<T>().order_by_last_updated(),
        };
        let mut pages = self.client.pages::<T>(query);
        let mut records = Vec::new();
        let mut first_time = None;
        while let Some(page) = pages.next().await.map_err(qbo_error)? {
            first_time = first_time.or(page.time);
            let read = u64::try_from(page.value.records.len()).unwrap_or(u64::MAX);
            records.extend(page.value.records);
            progress.update(|p| {
                p.pages += 1;
                p.objects += read;
            });
        }
        progress.step_done();
        Ok((records, first_time))
    }

    async fn fetch_by_query(
        &self,
        since: Option<DateTime<FixedOffset>>,
        into: &mut Fetched,
        progress: &Progress<'_>,
    ) -> Result<Option<DateTime<FixedOffset>>> {
        let (c, t1) = self.all_since::<Customer>(since, progress).await?;
        let (i, t2) = self.all_since::<Item>(since, progress).await?;
        let (inv, t3) = self.all_since::<Invoice>(since, progress).await?;
        let (cm, t4) = self.all_since::<CreditMemo>(since, progress).await?;
        let (sr, t5) = self.all_since::<SalesReceipt>(since, progress).await?;
        into.customers.extend(upserts(c));
        into.items.extend(upserts(i));
        into.invoices.extend(upserts(inv));
        into.credit_memos.extend(upserts(cm));
        into.sales_receipts.extend(upserts(sr));
        // The earliest answer's time: changes made while later pages were read are seen again.
        Ok([t1, t2, t3, t4, t5].into_iter().flatten().min())
    }

    async fn id_set<T: Entity>(&self, progress: &Progress<'_>) -> Result<HashSet<String>> {
        let (all, _) = self.all_since::<T>(None, progress).await?;
        Ok(all
            .into_iter()
            .filter_map(|r| r.entity.id().map(str::to_owned))
            .collect())
    }
}

/// Pulls QuickBooks into the ledger (see the module docs). `full`: an initial load even when a
/// watermark exists. Runs as `session` (pulled sales are issued by them).
pub async fn pull(qbo: &Qbo, session: &Session, full: bool) -> Result<PullReport> {
    pull_with_progress(qbo, session, full, None).await
}

/// [`pull`], telling `progress` (when given) what it reads page by page, then when it saves.
pub async fn pull_with_progress(
    qbo: &Qbo,
    session: &Session,
    full: bool,
    progress: Option<ProgressSink<'_>>,
) -> Result<PullReport> {
    session.require(Permission::SyncManage)?;
    session.require(Permission::SalesIssue)?;
    let file = &qbo.file;
    let settings = super::require_stored(file.reader()).await?;
    let now = file.clock().now();
    let watermark = settings
        .cdc_watermark
        .as_deref()
        .and_then(|w| DateTime::parse_from_rfc3339(w).ok());
    let mut fetched = Fetched::default();
    let mut report = PullReport::default();
    let progress = Progress {
        sink: progress,
        now: std::sync::Mutex::new(PullProgress::default()),
    };
    // Tax codes, rates and preferences, then the mode's reads (below), then saving.
    let planned = match watermark {
        Some(w) if !full && now.signed_duration_since(w.with_timezone(&Utc)) <= CDC_LIMIT => 5,
        Some(_) if !full => 14,
        _ => 9,
    };
    progress.update(|p| p.steps_total = planned);
    let (tax_codes, _) = qbo.all_since::<TaxCode>(None, &progress).await?;
    let (tax_rates, _) = qbo.all_since::<TaxRate>(None, &progress).await?;
    fetched.tax_codes = tax_codes;
    fetched.tax_rates = tax_rates;
    progress.step("Reading the company's preferences".into());
    fetched.preferences = Some(qbo.client.preferences().await.map_err(qbo_error)?.value);
    progress.step_done();
    let new_watermark = match watermark {
        Some(w) if !full && now.signed_duration_since(w.with_timezone(&Utc)) <= CDC_LIMIT => {
            report.mode = Some(PullMode::Cdc);
            let since = w - OVERLAP;
            progress.step("Reading the changes since the last pull".into());
            let reply = qbo
                .client
                .cdc(&CDC_ENTITIES, since)
                .await
                .map_err(qbo_error)?;
            progress.update(|p| {
                p.steps_done += 1;
                p.pages += 1;
            });
            if reply.value.may_be_truncated() {
                // The answer may have left changes out: page the same window by query instead.
                report.truncated_windows += 1;
                progress.update(|p| p.steps_total += 5);
                let t = qbo
                    .fetch_by_query(Some(since), &mut fetched, &progress)
                    .await?;
                t.or(reply.time)
            } else {
                let cdc = &reply.value;
                fetched.customers = cdc.changes::<Customer>().map_err(qbo_error)?;
                fetched.items = cdc.changes::<Item>().map_err(qbo_error)?;
                fetched.invoices = cdc.changes::<Invoice>().map_err(qbo_error)?;
                fetched.credit_memos = cdc.changes::<CreditMemo>().map_err(qbo_error)?;
                fetched.sales_receipts = cdc.changes::<SalesReceipt>().map_err(qbo_error)?;
                reply.time
            }
        }
        Some(w) if !full => {
            report.mode = Some(PullMode::Resync);
            let t = qbo
                .fetch_by_query(Some(w - OVERLAP), &mut fetched, &progress)
                .await?;
            fetched
                .id_sets
                .insert("Customer", qbo.id_set::<Customer>(&progress).await?);
            fetched
                .id_sets
                .insert("Item", qbo.id_set::<Item>(&progress).await?);
            fetched
                .id_sets
                .insert("Invoice", qbo.id_set::<Invoice>(&progress).await?);
            fetched
                .id_sets
                .insert("CreditMemo", qbo.id_set::<CreditMemo>(&progress).await?);
            fetched
                .id_sets
                .insert("SalesReceipt", qbo.id_set::<SalesReceipt>(&progress).await?);
            t
        }
        _ => {
            report.mode = Some(PullMode::Initial);
            qbo.fetch_by_query(None, &mut fetched, &progress).await?
        }
    };
    progress.step("Saving into the ledger".into());
    let mut uow = file.begin(session).await?;
    let realm = qbo.realm_id().to_owned();
    apply(&mut uow, &realm, &settings.pin_source, fetched, &mut report).await?;
    report.pushes_queued = super::push::enqueue_signed_in(&mut uow, &realm).await?;
    let watermark_text = new_watermark
        .or(watermark)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, false));
    let full_sync = matches!(report.mode, Some(PullMode::Initial | PullMode::Resync));
    uow.db()
        .execute_raw(stmt(
            "UPDATE qbo_connection SET cdc_watermark = ?, last_pull_at = ?, last_error = NULL, \
             last_full_sync_at = CASE WHEN ? THEN ? ELSE last_full_sync_at END, updated_at = ?",
            vec![
                opt(watermark_text.as_deref()),
                val(&uow.now_text()),
                Value::Bool(Some(full_sync)),
                val(&uow.now_text()),
                val(&uow.now_text()),
            ],
        ))
        .await?;
    uow.audit(AuditDraft {
        action: "qbo.pull",
        entity_type: "qbo_connection",
        entity_id: settings.company_id.clone(),
        before: settings
            .cdc_watermark
            .as_ref()
            .map(|w| json!({"watermark": w})),
        after: Some(json!({
            "mode": report.mode, "objects": report.objects, "sales_issued": report.sales_issued,
            "echoes": report.echoes, "reviews": report.reviews, "deleted": report.deleted,
            "watermark": watermark_text,
        })),
    })
    .await?;
    uow.commit().await?;
    progress.update(|p| {
        p.steps_done += 1;
        p.finished = true;
    });
    report.watermark = watermark_text;
    Ok(report)
}

/// The mirror row of an object.
struct Mirror {
    sync_token: Option<String>,
    own_sync_token: Option<String>,
    fingerprint: Option<String>,
    local_id: Option<String>,
    deleted: bool,
}

impl Mirror {
    /// Whether the mirror already holds this version of the object (same SyncToken, not
    /// deleted): nothing to do.
    fn holds(&self, sync_token: Option<&str>) -> bool {
        self.sync_token.is_some() && self.sync_token.as_deref() == sync_token && !self.deleted
    }
}

async fn mirror(uow: &UnitOfWork, realm: &str, entity: &str, id: &str) -> Result<Option<Mirror>> {
    let Some(row) = uow
        .db()
        .query_one_raw(stmt(
            "SELECT sync_token, own_sync_token, fingerprint, local_id, deleted FROM qbo_object \
             WHERE realm_id = ? AND entity = ? AND qbo_id = ?",
            vec![val(realm), val(entity), val(id)],
        ))
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(Mirror {
        sync_token: text(&row, "sync_token")?,
        own_sync_token: text(&row, "own_sync_token")?,
        fingerprint: text(&row, "fingerprint")?,
        local_id: text(&row, "local_id")?,
        deleted: row.try_get::<bool>("", "deleted").unwrap_or(false),
    }))
}

#[allow(clippy::too_many_arguments)]
async fn keep(
    uow: &UnitOfWork,
    realm: &str,
    entity: &str,
    id: &str,
    sync_token: Option<&str>,
    last_updated: Option<DateTime<FixedOffset>>,
    fingerprint: Option<&str>,
    raw: &str,
    deleted: bool,
    local_id: Option<&str>,
) -> Result<()> {
    let updated = last_updated.map(|t| t.to_rfc3339());
    uow.db()
        .execute_raw(stmt(
            "INSERT INTO qbo_object (realm_id, entity, qbo_id, sync_token, last_updated, \
             fingerprint, raw_json, deleted, local_id, pulled_at) VALUES (?,?,?,?,?,?,?,?,?,?) \
             ON CONFLICT (realm_id, entity, qbo_id) DO UPDATE SET sync_token = \
             COALESCE(excluded.sync_token, qbo_object.sync_token), last_updated = \
             COALESCE(excluded.last_updated, qbo_object.last_updated), fingerprint = \
             COALESCE(excluded.fingerprint, qbo_object.fingerprint), raw_json = \
             excluded.raw_json, deleted = excluded.deleted, local_id = \
             COALESCE(excluded.local_id, qbo_object.local_id), pulled_at = excluded.pulled_at",
            vec![
                val(realm),
                val(entity),
                val(id),
                opt(sync_token),
                opt(updated.as_deref()),
                opt(fingerprint),
                val(raw),
                Value::Bool(Some(deleted)),
                opt(local_id),
                val(&uow.now_text()),
            ],
        ))
        .await?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn review(
    uow: &UnitOfWork,
    realm: &str,
    entity: &str,
    qbo_id: &str,
    document_id: Option<&str>,
    kind: &'static str,
    detail: String,
    sync_token: Option<&str>,
    report: &mut PullReport,
) -> Result<()> {
    // One row per object, kind and version: a repeated pull of the same window adds nothing.
    let seen = uow
        .db()
        .query_one_raw(stmt(
            "SELECT id FROM qbo_review WHERE realm_id = ? AND entity = ? AND qbo_id = ? AND kind \
             = ? AND COALESCE(sync_token, '') = ?",
            vec![
                val(realm),
                val(entity),
                val(qbo_id),
                val(kind),
                val(sync_token.unwrap_or("")),
            ],
        ))
        .await?;
    if seen.is_some() {
        return Ok(());
    }
    let id = uow.new_id();
    uow.db()
        .execute_raw(stmt(
            "INSERT INTO qbo_review (id, realm_id, entity, qbo_id, document_id, kind, detail, \
             sync_token, created_at) VALUES (?,?,?,?,?,?,?,?,?)",
            vec![
                val(&id),
                val(realm),
                val(entity),
                val(qbo_id),
                opt(document_id),
                val(kind),
                val(&detail),
                opt(sync_token),
                val(&uow.now_text()),
            ],
        ))
        .await?;
    let severity = if kind.ends_with("after_signing") {
        "error"
    } else {
        "warning"
    };
    notifications::insert(
        uow,
        NewNotification {
            kind: "qbo.review",
            severity,
            title: format!("QuickBooks {entity} {qbo_id} needs a look"),
            body: detail,
            entity_type: Some("qbo_review"),
            entity_id: Some(id),
        },
    )
    .await?;
    report.reviews += 1;
    Ok(())
}

async fn local_map(uow: &UnitOfWork, realm: &str, entity: &str) -> Result<HashMap<String, String>> {
    let rows = uow
        .db()
        .query_all_raw(stmt(
            "SELECT qbo_id, local_id FROM qbo_object WHERE realm_id = ? AND entity = ? AND \
             local_id IS NOT NULL",
            vec![val(realm), val(entity)],
        ))
        .await?;
    let mut map = HashMap::new();
    for row in rows {
        if let (Some(q), Some(l)) = (text(&row, "qbo_id")?, text(&row, "local_id")?) {
            map.insert(q, l);
        }
    }
    Ok(map)
}

async fn apply(
    uow: &mut UnitOfWork,
    realm: &str,
    pin_source: &super::PinSource,
    f: Fetched,
    report: &mut PullReport,
) -> Result<()> {
    // Tax codes: the stored mapping wins; new codes get the guessed KRA type.
    let rates = mapping::rate_values(&f.tax_rates);
    for code in &f.tax_codes {
        let Some(id) = code.entity.id.as_deref() else {
            continue;
        };
        let guess = mapping::kra_type_of(&code.entity, &rates);
        let rate = code
            .entity
            .sales_tax_rate_list
            .as_ref()
            .and_then(|l| l.tax_rate_detail.first())
            .and_then(|d| d.tax_rate_ref.as_ref())
            .and_then(|r| rates.get(&r.value))
            .map(|r| r.normalize().to_string());
        uow.db()
            .execute_raw(stmt(
                "INSERT INTO qbo_tax_map (realm_id, tax_code_id, name, rate, kra_tax_type) VALUES \
                 (?,?,?,?,?) ON CONFLICT (realm_id, tax_code_id) DO UPDATE SET name = \
                 excluded.name, rate = excluded.rate",
                vec![
                    val(realm),
                    val(id),
                    val(code.entity.name.as_deref().unwrap_or("")),
                    opt(rate.as_deref()),
                    val(guess.as_str()),
                ],
            ))
            .await?;
        keep(
            uow,
            realm,
            "TaxCode",
            id,
            code.entity.sync_token.as_deref(),
            code.entity.last_updated(),
            None,
            &code.raw,
            false,
            None,
        )
        .await?;
    }
    for rate in &f.tax_rates {
        let Some(id) = rate.entity.id.as_deref() else {
            continue;
        };
        keep(
            uow,
            realm,
            "TaxRate",
            id,
            rate.entity.sync_token.as_deref(),
            rate.entity.last_updated(),
            None,
            &rate.raw,
            false,
            None,
        )
        .await?;
    }
    if let Some(p) = &f.preferences {
        keep(
            uow,
            realm,
            "Preferences",
            p.entity.id.as_deref().unwrap_or("1"),
            p.entity.sync_token.as_deref(),
            p.entity.last_updated(),
            None,
            &p.raw,
            false,
            None,
        )
        .await?;
    }
    let mut tax: HashMap<String, TaxType> = HashMap::new();
    for row in uow
        .db()
        .query_all_raw(stmt(
            "SELECT tax_code_id, kra_tax_type FROM qbo_tax_map WHERE realm_id = ?",
            vec![val(realm)],
        ))
        .await?
    {
        if let (Some(id), Some(t)) = (text(&row, "tax_code_id")?, text(&row, "kra_tax_type")?) {
            tax.insert(id, synced::tax_type(&t)?);
        }
    }

    for change in f.customers {
        report.objects += 1;
        match change {
            Change::Upsert(rec) => {
                let id = rec.entity.id.clone().unwrap_or_default();
                let m = mirror(uow, realm, "Customer", &id).await?;
                if m.as_ref()
                    .is_some_and(|m| m.holds(rec.entity.sync_token.as_deref()))
                {
                    report.unchanged += 1;
                    continue;
                }
                let pulled = mapping::customer(&rec, pin_source);
                let local = m.as_ref().and_then(|m| m.local_id.clone());
                let up = synced::upsert_customer_in(uow, &pulled, local.as_deref()).await?;
                report.warnings.extend(up.warnings);
                report.customers += 1;
                keep(
                    uow,
                    realm,
                    "Customer",
                    &id,
                    rec.entity.sync_token.as_deref(),
                    rec.entity.last_updated(),
                    None,
                    &rec.raw,
                    false,
                    Some(&up.id),
                )
                .await?;
            }
            Change::Deleted { id, last_updated } => {
                deleted(uow, realm, "Customer", &id, last_updated, report).await?;
            }
        }
    }
    for change in f.items {
        report.objects += 1;
        match change {
            Change::Upsert(rec) => {
                let id = rec.entity.id.clone().unwrap_or_default();
                let m = mirror(uow, realm, "Item", &id).await?;
                if m.as_ref()
                    .is_some_and(|m| m.holds(rec.entity.sync_token.as_deref()))
                {
                    report.unchanged += 1;
                    continue;
                }
                let pulled = mapping::item(&rec, &tax);
                let local = m.as_ref().and_then(|m| m.local_id.clone());
                let up = synced::upsert_item_in(uow, &pulled, local.as_deref()).await?;
                report.items += 1;
                keep(
                    uow,
                    realm,
                    "Item",
                    &id,
                    rec.entity.sync_token.as_deref(),
                    rec.entity.last_updated(),
                    None,
                    &rec.raw,
                    false,
                    Some(&up.id),
                )
                .await?;
            }
            Change::Deleted { id, last_updated } => {
                deleted(uow, realm, "Item", &id, last_updated, report).await?;
            }
        }
    }

    // Local customers (id, name) and items (id, tax type) by QuickBooks id.
    let mut customers = HashMap::new();
    for (q, l) in local_map(uow, realm, "Customer").await? {
        if let Some(row) = uow
            .db()
            .query_one_raw(stmt(
                "SELECT name FROM customer WHERE id = ?",
                vec![val(&l)],
            ))
            .await?
        {
            customers.insert(q, (l, text(&row, "name")?.unwrap_or_default()));
        }
    }
    let mut items = HashMap::new();
    for (q, l) in local_map(uow, realm, "Item").await? {
        if let Some(row) = uow
            .db()
            .query_one_raw(stmt(
                "SELECT tax_type FROM item WHERE id = ?",
                vec![val(&l)],
            ))
            .await?
        {
            let t = text(&row, "tax_type")?.unwrap_or_else(|| "B".into());
            items.insert(q, (l, synced::tax_type(&t)?));
        }
    }
    let maps = Maps {
        customers,
        items,
        tax,
    };
    for change in f.invoices {
        sale_change(uow, realm, change, &maps, report).await?;
    }
    for change in f.sales_receipts {
        sale_change(uow, realm, change, &maps, report).await?;
    }
    // After the invoices: a credit memo names its original, which may have come in this pull.
    for change in f.credit_memos {
        sale_change(uow, realm, change, &maps, report).await?;
    }
    // Offline past CDC's reach: what the mirror has and QuickBooks no longer lists was deleted.
    for (entity, ids) in &f.id_sets {
        let rows = uow
            .db()
            .query_all_raw(stmt(
                "SELECT qbo_id FROM qbo_object WHERE realm_id = ? AND entity = ? AND deleted = ?",
                vec![val(realm), val(entity), Value::Bool(Some(false))],
            ))
            .await?;
        for row in rows {
            if let Some(id) = text(&row, "qbo_id")?
                && !ids.contains(&id)
            {
                deleted(uow, realm, entity, &id, None, report).await?;
            }
        }
    }
    Ok(())
}

struct Maps {
    customers: HashMap<String, (String, String)>,
    items: HashMap<String, (String, TaxType)>,
    tax: HashMap<String, TaxType>,
}

/// The ledger sale a pulled credit memo credits: the invoice its `InvoiceRef` names, when
/// Hesabu pulled and issued that invoice; else why not, in words.
async fn original_of(
    uow: &UnitOfWork,
    realm: &str,
    view: &TxnView<'_>,
) -> Result<std::result::Result<String, String>> {
    let Some(invoice) = view.original_ref else {
        return Ok(Err(format!(
            "QuickBooks does not say which invoice it credits (its InvoiceRef is empty). \
             Raise the credit note in Hesabu against the original invoice, with KRA's reason \
             (total {})",
            view.total_amt.unwrap_or_default()
        )));
    };
    let local = mirror(uow, realm, "Invoice", invoice)
        .await?
        .and_then(|m| m.local_id);
    Ok(local.ok_or_else(|| {
        format!(
            "it credits QuickBooks invoice {invoice}, which Hesabu has not imported. Raise the \
             credit note in Hesabu against the original invoice, with KRA's reason"
        )
    }))
}

async fn sale_change<T>(
    uow: &mut UnitOfWork,
    realm: &str,
    change: Change<T>,
    maps: &Maps,
    report: &mut PullReport,
) -> Result<()>
where
    T: Entity,
    for<'a> TxnView<'a>: From<&'a T>,
{
    report.objects += 1;
    let rec = match change {
        Change::Upsert(rec) => rec,
        Change::Deleted { id, last_updated } => {
            return deleted(uow, realm, T::NAME, &id, last_updated, report).await;
        }
    };
    let view = TxnView::from(&rec.entity);
    let entity = view.entity;
    let id = view.id.unwrap_or_default().to_owned();
    let token = view.sync_token;
    let fp = mapping::fingerprint(&view);
    let label = format!("{} {}", entity, view.doc_number.unwrap_or(&id));
    let m = mirror(uow, realm, entity, &id).await?;
    if let Some(m) = &m {
        if m.holds(token) {
            report.unchanged += 1;
            return Ok(());
        }
        if m.own_sync_token.is_some() && m.own_sync_token.as_deref() == token {
            // Our own write-back coming back through CDC: nothing changed in the content.
            report.echoes += 1;
            keep(
                uow,
                realm,
                entity,
                &id,
                token,
                rec.entity.last_updated(),
                None,
                &rec.raw,
                false,
                None,
            )
            .await?;
            return Ok(());
        }
    }
    let local = m.as_ref().and_then(|m| m.local_id.clone());
    let Some(local) = local else {
        if view.voided {
            keep(
                uow,
                realm,
                entity,
                &id,
                token,
                rec.entity.last_updated(),
                Some(&fp),
                &rec.raw,
                false,
                None,
            )
            .await?;
            return Ok(());
        }
        let issued = match mapping::sale(&view, &maps.customers, &maps.items, &maps.tax) {
            Ok(sale) if view.doc_type == SalesType::CreditNote => {
                match original_of(uow, realm, &view).await? {
                    Ok(original) => synced::issue_pulled_credit_note_in(uow, &sale, &original)
                        .await?
                        .map_err(|e| e.to_string()),
                    Err(why) => Err(why),
                }
            }
            Ok(sale) => synced::issue_pulled_in(uow, &sale)
                .await?
                .map_err(|e| e.to_string()),
            Err(why) => Err(why),
        };
        match issued {
            Ok((doc, totals)) => {
                report.sales_issued += 1;
                let number = doc.number.clone().unwrap_or_default();
                let qbo_total = view.total_amt.unwrap_or_default();
                let qbo_tax = view.total_tax.unwrap_or_default();
                if qbo_total != totals.total || qbo_tax != totals.total_tax {
                    review(
                        uow,
                        realm,
                        entity,
                        &id,
                        Some(&doc.id),
                        "totals_differ",
                        format!(
                            "{label} was issued as {number} with Hesabu's figures: total {} \
                             (VAT {}); QuickBooks says total {} (VAT {}). Hesabu computes VAT \
                             per line as KRA does; check the difference before KRA signs it.",
                            totals.total, totals.total_tax, qbo_total, qbo_tax
                        ),
                        token,
                        report,
                    )
                    .await?;
                }
                keep(
                    uow,
                    realm,
                    entity,
                    &id,
                    token,
                    rec.entity.last_updated(),
                    Some(&fp),
                    &rec.raw,
                    false,
                    Some(&doc.id),
                )
                .await?;
            }
            Err(why) => {
                review(
                    uow,
                    realm,
                    entity,
                    &id,
                    None,
                    "not_imported",
                    format!("{label} was not imported: {}.", why.trim_end_matches('.')),
                    token,
                    report,
                )
                .await?;
                keep(
                    uow,
                    realm,
                    entity,
                    &id,
                    token,
                    rec.entity.last_updated(),
                    Some(&fp),
                    &rec.raw,
                    false,
                    None,
                )
                .await?;
            }
        }
        return Ok(());
    };
    let state = synced::sale_state(uow.db(), &local).await?;
    let number = state
        .as_ref()
        .and_then(|s| s.number.clone())
        .unwrap_or_default();
    let signed = state
        .as_ref()
        .is_some_and(|s| s.status == SalesStatus::Fiscalised);
    let same_content = m.as_ref().and_then(|m| m.fingerprint.as_deref()) == Some(fp.as_str());
    if view.voided && !same_content {
        match synced::void_pulled_in(uow, &local, "Voided in QuickBooks").await? {
            Voided::Voided => report.voided += 1,
            Voided::AlreadyVoid => {}
            Voided::NeedsCreditNote(why) => {
                review(
                    uow,
                    realm,
                    entity,
                    &id,
                    Some(&local),
                    "voided_after_signing",
                    format!(
                        "{label} was voided in QuickBooks, but {why}: raise a credit note \
                         against {number} in Hesabu."
                    ),
                    token,
                    report,
                )
                .await?;
            }
        }
    } else if !same_content {
        let (kind, what) = if signed {
            (
                "changed_after_signing",
                format!(
                    "{label} changed in QuickBooks (lines or totals) after KRA signed it as \
                     {number}. It is not signed again: raise a credit note against {number} and \
                     issue the corrected sale."
                ),
            )
        } else {
            (
                "changed_after_issue",
                format!(
                    "{label} changed in QuickBooks (lines or totals) after Hesabu issued it as \
                     {number}; an issued sale never changes. Void {number} and pull again, or \
                     undo the change in QuickBooks."
                ),
            )
        };
        review(
            uow,
            realm,
            entity,
            &id,
            Some(&local),
            kind,
            what,
            token,
            report,
        )
        .await?;
    }
    synced::set_sale_sync_token_in(uow, &local, token).await?;
    // The stored fingerprint stays the one of what the ledger holds, so the difference is
    // still seen (and not re-flagged: one review per version) until a person resolves it.
    keep(
        uow,
        realm,
        entity,
        &id,
        token,
        rec.entity.last_updated(),
        None,
        &rec.raw,
        false,
        None,
    )
    .await?;
    Ok(())
}

async fn deleted(
    uow: &mut UnitOfWork,
    realm: &str,
    entity: &str,
    id: &str,
    last_updated: Option<DateTime<FixedOffset>>,
    report: &mut PullReport,
) -> Result<()> {
    let m = mirror(uow, realm, entity, id).await?;
    if m.as_ref().is_some_and(|m| m.deleted) {
        report.unchanged += 1;
        return Ok(());
    }
    report.deleted += 1;
    let local = m.as_ref().and_then(|m| m.local_id.clone());
    if let Some(local) = &local {
        match entity {
            "Customer" => synced::deactivate_in(uow, "customer", local).await?,
            "Item" => synced::deactivate_in(uow, "item", local).await?,
            _ => match synced::void_pulled_in(uow, local, "Deleted in QuickBooks").await? {
                Voided::Voided | Voided::AlreadyVoid => {}
                Voided::NeedsCreditNote(why) => {
                    let number = synced::sale_state(uow.db(), local)
                        .await?
                        .and_then(|s| s.number)
                        .unwrap_or_default();
                    review(
                        uow,
                        realm,
                        entity,
                        id,
                        Some(local),
                        "deleted_after_signing",
                        format!(
                            "QuickBooks {entity} {id} was deleted, but {why}: raise a credit \
                             note against {number} in Hesabu."
                        ),
                        None,
                        report,
                    )
                    .await?;
                }
            },
        }
    }
    let raw = json!({"Id": id, "status": "Deleted"}).to_string();
    keep(
        uow,
        realm,
        entity,
        id,
        None,
        last_updated,
        None,
        &raw,
        true,
        None,
    )
    .await?;
    Ok(())
}

/// The open review rows, newest first.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ReviewRow {
    pub id: String,
    pub entity: String,
    pub qbo_id: String,
    pub document_id: Option<String>,
    pub kind: String,
    pub detail: String,
    pub created_at: String,
}

/// What a person must look at after pulls.
pub async fn reviews(
    qbo_file: &hesabu_store::company_file::CompanyFile,
    session: &Session,
) -> Result<Vec<ReviewRow>> {
    session.require(Permission::SyncView)?;
    let rows = qbo_file
        .reader()
        .query_all_raw(stmt(
            "SELECT id, entity, qbo_id, document_id, kind, detail, created_at FROM qbo_review \
             WHERE resolved_at IS NULL ORDER BY created_at DESC, id DESC",
            vec![],
        ))
        .await?;
    rows.iter()
        .map(|r| {
            let need = |c: &str| -> Result<String> {
                text(r, c)?.ok_or_else(|| Error::Internal(format!("qbo_review.{c}")))
            };
            Ok(ReviewRow {
                id: need("id")?,
                entity: need("entity")?,
                qbo_id: need("qbo_id")?,
                document_id: text(r, "document_id")?,
                kind: need("kind")?,
                detail: need("detail")?,
                created_at: need("created_at")?,
            })
        })
        .collect()
}
