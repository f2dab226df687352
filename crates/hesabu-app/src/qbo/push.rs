//! Pushing KRA's signature back onto the QuickBooks transaction (spec §4–§5, §5.4), as
//! resumable steps whose state is in `qbo_push`:
//!
//! 1. [`attach`]: the dedupe check (our deterministic file name on that transaction), then the
//!    upload of the receipt PDF with the persisted upload `requestid` (`IncludeOnSend: true`).
//!    The attachment's id is committed at once.
//! 2. [`prepare_update`]: read the transaction by id, merge the ETR block into `PrivateNote`
//!    (what was there is kept) and the CU invoice number into the configured custom field
//!    (every other custom field sent back unchanged); persist the body, its base `SyncToken` and
//!    a new `requestid` before sending. Nothing to change: done.
//! 3. [`send_update`]: the persisted sparse update, same body, same token, same `requestid` on
//!    every retry (QuickBooks replays a processed one). A 5010 (someone changed it meanwhile):
//!    re-read, re-apply, a new `requestid`, at most 3 times. The resulting `SyncToken` is kept
//!    for echo suppression.
//!
//! The reads of steps 1 and 2 (the dedupe check, the transaction) are batched across pending
//! write-backs of the realm (`prefetch.rs`, one `POST /batch` for up to `batch_size` of them);
//! the writes (upload, update) stay one call per document, each with its own persisted
//! `requestid`, so that a retry replays exactly that document's write.
//!
//! The receipt PDF comes from the receipts module (`crate::receipts`): its stored original A4
//! rendering, stored first if needed, so the attachment is the receipt KRA's signature was
//! first printed on.

use std::sync::Arc;

use hesabu_core::sales::SalesStatus;
use hesabu_core::sales::fiscal::{self, FiscalState};
use hesabu_qbo::entities::{CreditMemo, CustomField, Invoice, SalesReceipt};
use hesabu_qbo::{Error as QboError, RequestId, SalesTxnPatch, Upload};
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::{Error, Result};
use hesabu_store::outbox::{
    Ack, NewOutboxItem, OutboxItem, RemoteState, SendError, Target, TargetConfig,
};
use hesabu_store::secrets::SecretStore;
use hesabu_store::uow::UnitOfWork;
use sea_orm::{ConnectionTrait, Value};
use serde_json::json;

use super::{Qbo, opt, prefetch, stmt, text, val};

/// The 5010 re-read-and-re-apply rounds before giving up for now (spec §4.2).
pub const MAX_CONFLICTS: u32 = 3;
/// Where the ETR block starts in `PrivateNote`.
pub const ETR_MARK: &str = "[ETR]";

/// A push failure: the client's classification kept for the outbox.
#[derive(Debug)]
pub enum PushError {
    Qbo(QboError),
    Local(Error),
}

impl std::fmt::Display for PushError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PushError::Qbo(e) => write!(f, "{e}"),
            PushError::Local(e) => write!(f, "{e}"),
        }
    }
}

impl From<Error> for PushError {
    fn from(e: Error) -> Self {
        PushError::Local(e)
    }
}

impl From<QboError> for PushError {
    fn from(e: QboError) -> Self {
        PushError::Qbo(e)
    }
}

impl PushError {
    fn send_error(&self) -> SendError {
        match self {
            PushError::Qbo(e) => hesabu_qbo::contract::send_error(e),
            PushError::Local(
                e @ (Error::InvalidInput(_) | Error::NotFound(_) | Error::Conflict(_)),
            ) => SendError::permanent(e.to_string()),
            PushError::Local(e) => SendError::retryable(e.to_string()),
        }
    }
}

/// The push row of a document.
#[derive(Debug, Clone)]
pub struct PushRow {
    pub document_id: String,
    pub entity: String,
    pub qbo_id: String,
    pub file_name: String,
    pub upload_request_id: String,
    pub attachable_id: Option<String>,
    pub update_request_id: Option<String>,
    pub update_base_token: Option<String>,
    pub update_body: Option<String>,
    pub state: String,
    pub result_sync_token: Option<String>,
    /// The last attempt's failure, until a step succeeds.
    pub last_error: Option<String>,
    /// The SHA-256 of the receipt PDF, written (and committed) before every upload attempt:
    /// set means an upload may have reached QuickBooks, so the dedupe check is always a fresh
    /// single query from then on (never a prefetched answer, `prefetch.rs`).
    pub pdf_sha256: Option<String>,
    /// The 5010s met and re-applied; after one, the transaction is read by id, never from a
    /// batched query (spec §4.2).
    pub conflicts: i64,
}

/// The push row of `document_id`.
pub async fn row(db: &impl ConnectionTrait, document_id: &str) -> Result<Option<PushRow>> {
    let Some(r) = db
        .query_one_raw(stmt(
            "SELECT * FROM qbo_push WHERE document_id = ?",
            vec![val(document_id)],
        ))
        .await?
    else {
        return Ok(None);
    };
    row_from(&r).map(Some)
}

/// A `qbo_push` row read with `SELECT *` (or `p.*`).
pub(crate) fn row_from(r: &sea_orm::QueryResult) -> Result<PushRow> {
    let need = |c: &str| -> Result<String> {
        text(r, c)?.ok_or_else(|| Error::Internal(format!("qbo_push.{c} is empty")))
    };
    Ok(PushRow {
        document_id: need("document_id")?,
        entity: need("entity")?,
        qbo_id: need("qbo_id")?,
        file_name: need("file_name")?,
        upload_request_id: need("upload_request_id")?,
        attachable_id: text(r, "attachable_id")?,
        update_request_id: text(r, "update_request_id")?,
        update_base_token: text(r, "update_base_token")?,
        update_body: text(r, "update_body")?,
        state: need("state")?,
        result_sync_token: text(r, "result_sync_token")?,
        last_error: text(r, "last_error")?,
        pdf_sha256: text(r, "pdf_sha256")?,
        conflicts: r
            .try_get::<i64>("", "conflicts")
            .map_err(|e| Error::Internal(format!("qbo_push.conflicts: {e}")))?,
    })
}

/// The outbox idempotency key of a document's push.
pub(crate) fn outbox_key(document_id: &str) -> String {
    format!("qbo:{document_id}")
}

/// Queues the push-back of one signed sale pulled from QuickBooks (no-op when it is queued
/// already). Returns whether a row was added.
pub async fn enqueue_in(uow: &mut UnitOfWork, realm: &str, document_id: &str) -> Result<bool> {
    if row(uow.db(), document_id).await?.is_some() {
        return Ok(false);
    }
    let found = uow
        .db()
        .query_one_raw(stmt(
            "SELECT o.entity, o.qbo_id, d.number, d.status FROM qbo_object o JOIN sales_document \
             d ON d.id = o.local_id WHERE o.realm_id = ? AND o.local_id = ? AND o.entity IN \
             ('Invoice', 'SalesReceipt', 'CreditMemo')",
            vec![val(realm), val(document_id)],
        ))
        .await?
        .ok_or_else(|| {
            Error::invalid(format!(
                "Sale {document_id} did not come from the connected QuickBooks company, so there \
                 is nothing to write back to."
            ))
        })?;
    let status = text(&found, "status")?.unwrap_or_default();
    if status != "fiscalised" {
        return Err(Error::invalid(format!(
            "Sale {} is not signed by KRA yet ({status}); it is written back once it is.",
            text(&found, "number")?.unwrap_or_default()
        )));
    }
    let entity = text(&found, "entity")?.unwrap_or_default();
    let qbo_id = text(&found, "qbo_id")?.unwrap_or_default();
    let submission = fiscal::submission(uow.db(), document_id).await?;
    let cu = submission
        .as_ref()
        .and_then(|s| s.cu_invoice_no.clone())
        .unwrap_or_default();
    let number = text(&found, "number")?.unwrap_or_default();
    let file_name = file_name(&number, &cu);
    let upload_request_id = uow.new_id();
    let now = uow.now_text();
    uow.db()
        .execute_raw(stmt(
            "INSERT INTO qbo_push (document_id, realm_id, entity, qbo_id, file_name, \
             upload_request_id, state, conflicts, created_at, updated_at) VALUES \
             (?,?,?,?,?,?,'pending',0,?,?)",
            vec![
                val(document_id),
                val(realm),
                val(&entity),
                val(&qbo_id),
                val(&file_name),
                val(&upload_request_id),
                val(&now),
                val(&now),
            ],
        ))
        .await?;
    uow.enqueue(NewOutboxItem {
        target: super::QBO_TARGET.into(),
        operation: "etr.writeback".into(),
        payload: json!({"document_id": document_id, "entity": entity, "qbo_id": qbo_id}),
        idempotency_key: outbox_key(document_id),
        ordering_key: None,
        auto_retry: true,
    })
    .await?;
    Ok(true)
}

/// Queues the push-back of every signed sale pulled from `realm` that has none yet.
pub async fn enqueue_signed_in(uow: &mut UnitOfWork, realm: &str) -> Result<u64> {
    let rows = uow
        .db()
        .query_all_raw(stmt(
            "SELECT o.local_id FROM qbo_object o JOIN sales_document d ON d.id = o.local_id \
             LEFT JOIN qbo_push p ON p.document_id = d.id WHERE o.realm_id = ? AND o.entity IN \
             ('Invoice', 'SalesReceipt', 'CreditMemo') AND d.status = ? AND p.document_id IS NULL",
            vec![val(realm), val("fiscalised")],
        ))
        .await?;
    let mut n = 0;
    for r in rows {
        if let Some(id) = text(&r, "local_id")?
            && enqueue_in(uow, realm, &id).await?
        {
            n += 1;
        }
    }
    Ok(n)
}

/// `ETR-INV-000012-KRACU0100000001-123.pdf`: deterministic, so the dedupe check finds it.
pub fn file_name(number: &str, cu_invoice_no: &str) -> String {
    let safe = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '-'
                }
            })
            .collect()
    };
    if cu_invoice_no.is_empty() {
        format!("ETR-{}.pdf", safe(number))
    } else {
        format!("ETR-{}-{}.pdf", safe(number), safe(cu_invoice_no))
    }
}

async fn set(
    file: &CompanyFile,
    document_id: &str,
    sql: &str,
    mut values: Vec<Value>,
) -> Result<()> {
    let mut uow = file.begin_system().await?;
    values.push(val(&uow.now_text()));
    values.push(val(document_id));
    uow.db()
        .execute_raw(stmt(
            &format!("UPDATE qbo_push SET {sql}, updated_at = ? WHERE document_id = ?"),
            values,
        ))
        .await?;
    uow.audit(hesabu_store::audit::AuditDraft {
        action: "qbo.push_step",
        entity_type: "sale",
        entity_id: document_id.to_owned(),
        before: None,
        after: Some(json!({"set": sql})),
    })
    .await?;
    uow.commit().await
}

async fn require_row(file: &CompanyFile, document_id: &str) -> Result<PushRow> {
    row(file.reader(), document_id).await?.ok_or_else(|| {
        Error::NotFound(format!(
            "Sale {document_id} has no QuickBooks write-back queued: run hesabu qbo push {document_id}."
        ))
    })
}

/// The receipt PDF of a signed document: the receipts module's stored original (A4), stored
/// now if the fiscal flow has not (a sale signed through it has it already: nothing is written
/// then).
async fn receipt_pdf(file: &CompanyFile, document_id: &str) -> Result<Vec<u8>> {
    if !crate::receipts::store_after_signing(file, document_id).await? {
        return Err(Error::Conflict(format!(
            "Sale {document_id} has no signed receipt yet: KRA must sign it first."
        )));
    }
    let r = file
        .reader()
        .query_one_raw(stmt(
            "SELECT pdf FROM receipt_original WHERE document_id = ? AND format = 'a4'",
            vec![val(document_id)],
        ))
        .await?
        .ok_or_else(|| Error::Internal(format!("no stored A4 receipt for {document_id}")))?;
    r.try_get::<Vec<u8>>("", "pdf")
        .map_err(|e| Error::Internal(format!("receipt_original.pdf: {e}")))
}

/// Step 1: the receipt PDF attached to the transaction, once. Returns the attachment's id.
pub async fn attach(qbo: &Qbo, document_id: &str) -> std::result::Result<String, PushError> {
    let r = require_row(&qbo.file, document_id).await?;
    if let Some(id) = r.attachable_id {
        return Ok(id);
    }
    // The dedupe check first: an upload whose answer was lost (or whose id a crash did not
    // record) is found by its deterministic name, never uploaded twice.
    let found = dedupe_check(qbo, &r).await?;
    let id = match found {
        Some(id) => id,
        None => {
            // An upload is attempted from here on: no prefetched answer about this document's
            // attachment is used again, and the persisted mark (committed before sending)
            // makes every later dedupe check a fresh single query, in any process.
            qbo.prefetch.forget(document_id, prefetch::Part::Attachment);
            let pdf = receipt_pdf(&qbo.file, document_id).await?;
            mark_upload_attempt(&qbo.file, document_id, &pdf).await?;
            let mut upload = Upload::pdf_for(&r.entity, &r.qbo_id, &r.file_name, pdf);
            upload.note = Some(format!("KRA eTIMS receipt ({})", r.file_name));
            let request = RequestId::new(r.upload_request_id.clone())?;
            let reply = qbo.client.upload(&upload, &request).await?;
            reply.value.entity.id.ok_or_else(|| {
                PushError::Local(Error::Internal(
                    "the upload answer has no Attachable Id".into(),
                ))
            })?
        }
    };
    set(
        &qbo.file,
        document_id,
        "attachable_id = ?, state = 'attached'",
        vec![val(&id)],
    )
    .await?;
    Ok(id)
}

/// The dedupe check (spec §5.4): the id of our attachment (the deterministic file name on
/// that transaction) if QuickBooks has it.
///
/// Before any upload was attempted for the document (`pdf_sha256` still empty), the answer may
/// come from the write-back's batched prefetch (`prefetch.rs`: one batch call reads the checks
/// and transactions of up to `batch_size` pending write-backs). Why a prefetched "not there"
/// can never cause a duplicate upload:
/// - an attachment named ours is only ever created by an upload of this document, and
///   every upload attempt, by any process, first commits `pdf_sha256` (and forgets this
///   process's prefetched entry). The row is read again after the answer is taken: with
///   `pdf_sha256` still empty, no upload of it was attempted before this moment, hence none
///   between the prefetch and now: the "not there" the prefetch saw still holds;
/// - a prefetched answer is used at most once and only while fresh (a minute), and a
///   prefetch that raced an upload attempt does not store that document's answer;
/// - once an upload was attempted (its answer lost, a crash, a retry), `pdf_sha256` is set
///   and the check below is always a fresh single query, as before batching. The persisted
///   upload `requestid` still makes QuickBooks replay, not repeat, an upload it processed.
///
/// (An older Hesabu without the mark, uploading the same document at the same moment from
/// another process, is the one case the mark cannot see; the requestid still covers it.)
async fn dedupe_check(qbo: &Qbo, r: &PushRow) -> std::result::Result<Option<String>, PushError> {
    if r.pdf_sha256.is_none()
        && let Some(found) = prefetch::attachment(qbo, r).await?
    {
        // A "not there" is trusted only if the row still shows no upload attempt now, after
        // the answer was taken: this leaves the same window as a single check has (between
        // the check and our own mark), never a longer one.
        let still_untried = require_row(&qbo.file, &r.document_id)
            .await?
            .pdf_sha256
            .is_none();
        if found.is_some() || still_untried {
            return Ok(found);
        }
    }
    Ok(qbo
        .client
        .find_attachment(&r.entity, &r.qbo_id, &r.file_name)
        .await?
        .and_then(|a| a.entity.id))
}

/// Commits the mark "an upload of this document may have reached QuickBooks" (the PDF's
/// SHA-256) before the upload is sent.
async fn mark_upload_attempt(
    file: &CompanyFile,
    document_id: &str,
    pdf: &[u8],
) -> std::result::Result<(), PushError> {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(pdf);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    set(file, document_id, "pdf_sha256 = ?", vec![val(&hex)]).await?;
    Ok(())
}

/// What goes into the transaction: the CU invoice number and the ETR details.
struct Etr {
    cu_invoice_no: String,
    block: String,
}

async fn etr_of(file: &CompanyFile, document_id: &str) -> Result<Etr> {
    let ctx = fiscal::context(file.reader(), document_id).await?;
    if ctx.sale.status != SalesStatus::Fiscalised {
        return Err(Error::Conflict(format!(
            "Sale {} is not signed by KRA; nothing to write back.",
            ctx.sale.number.clone().unwrap_or_default()
        )));
    }
    let s = ctx
        .submission
        .filter(|s| s.state == FiscalState::Signed)
        .ok_or_else(|| Error::Conflict("the sale's e-TIMS signature is missing".into()))?;
    let cu = s.cu_invoice_no.clone().unwrap_or_default();
    let environment = ctx
        .device
        .as_ref()
        .map_or(hesabu_receipts::Environment::Sandbox, |d| {
            if d.base_url.contains("sbx")
                || d.base_url.contains("127.0.0.1")
                || d.base_url.contains("localhost")
            {
                hesabu_receipts::Environment::Sandbox
            } else {
                hesabu_receipts::Environment::Production
            }
        });
    let qr = s
        .rcpt_sign
        .as_deref()
        .and_then(|sign| hesabu_receipts::qr_url(environment, &s.tin, &s.bhf_id, sign).ok())
        .unwrap_or_default();
    let block = format!(
        "{ETR_MARK} CU={cu} | RCPT={} | SIGN={} | QR={qr} | SIGNED={}",
        s.cur_rcpt_no.unwrap_or_default(),
        s.rcpt_sign.clone().unwrap_or_default(),
        s.sdc_date_time
            .clone()
            .or(s.signed_at.clone())
            .unwrap_or_default()
    );
    Ok(Etr {
        cu_invoice_no: cu,
        block,
    })
}

/// The note with our block: what was there kept, an earlier ETR block replaced, at most 4000
/// characters (the existing text is shortened, never our block).
pub fn merge_note(existing: Option<&str>, block: &str) -> String {
    let kept: Vec<&str> = existing
        .unwrap_or("")
        .lines()
        .filter(|l| !l.trim_start().starts_with(ETR_MARK))
        .collect();
    let mut kept = kept.join("\n").trim_end().to_owned();
    let room = 4000usize.saturating_sub(block.chars().count() + 1);
    if kept.chars().count() > room {
        kept = kept.chars().take(room).collect();
    }
    if kept.is_empty() {
        block.to_owned()
    } else {
        format!("{kept}\n{block}")
    }
}

/// The transaction's current note, custom fields and token.
#[derive(Debug, Clone)]
pub(crate) struct Current {
    pub(crate) sync_token: String,
    pub(crate) private_note: Option<String>,
    pub(crate) custom_field: Vec<CustomField>,
    pub(crate) voided: bool,
}

async fn read_current(
    qbo: &Qbo,
    entity: &str,
    id: &str,
) -> std::result::Result<Current, PushError> {
    macro_rules! current {
        ($ty:ty) => {{
            let r = qbo.client.read::<$ty>(id).await?.value.entity;
            Current {
                voided: r.looks_voided(),
                sync_token: r.sync_token.clone().unwrap_or_default(),
                private_note: r.private_note.clone(),
                custom_field: r.custom_field.clone(),
            }
        }};
    }
    Ok(match entity {
        "Invoice" => current!(Invoice),
        "SalesReceipt" => current!(SalesReceipt),
        "CreditMemo" => current!(CreditMemo),
        other => {
            return Err(PushError::Local(Error::Internal(format!(
                "qbo push: entity {other}"
            ))));
        }
    })
}

fn patch_for(current: &Current, etr: &Etr, cu_field: Option<&str>) -> Option<SalesTxnPatch> {
    let note = merge_note(current.private_note.as_deref(), &etr.block);
    let note_changed = current.private_note.as_deref() != Some(note.as_str());
    let mut fields = current.custom_field.clone();
    let mut field_changed = false;
    if let Some(def) = cu_field {
        match fields
            .iter_mut()
            .find(|f| f.definition_id.as_deref() == Some(def))
        {
            Some(f) => {
                if f.string_value.as_deref() != Some(etr.cu_invoice_no.as_str()) {
                    f.string_value = Some(etr.cu_invoice_no.clone());
                    f.kind = Some("StringType".into());
                    field_changed = true;
                }
            }
            None => {
                fields.push(CustomField::string(def, etr.cu_invoice_no.clone()));
                field_changed = true;
            }
        }
    }
    (note_changed || field_changed).then(|| SalesTxnPatch {
        private_note: Some(note),
        custom_field: field_changed.then_some(fields),
        customer_memo: None,
    })
}

/// Step 2: reads the transaction and persists the update to send (body, base token, a new
/// `requestid`). Returns false when the transaction already carries everything (done).
pub async fn prepare_update(qbo: &Qbo, document_id: &str) -> std::result::Result<bool, PushError> {
    let r = require_row(&qbo.file, document_id).await?;
    let etr = etr_of(&qbo.file, document_id).await?;
    // The first read of the transaction may come from the batched prefetch (a list query by
    // Id): a stale copy costs nothing but a 5010, since the update carries its SyncToken, and
    // after a 5010 (`conflicts` > 0) the transaction is always read by id (spec §4.2).
    let current = match prefetch::current(qbo, &r).await? {
        Some(current) => current,
        None => read_current(qbo, &r.entity, &r.qbo_id).await?,
    };
    if current.voided {
        return Err(PushError::Local(Error::Conflict(format!(
            "QuickBooks {} {} is voided: the ETR details are not written to it (pull to see the \
             review).",
            r.entity, r.qbo_id
        ))));
    }
    match patch_for(&current, &etr, qbo.settings.cu_field.as_deref()) {
        None => {
            set(
                &qbo.file,
                document_id,
                "state = 'done', result_sync_token = ?",
                vec![val(&current.sync_token)],
            )
            .await?;
            Ok(false)
        }
        Some(patch) => {
            let body = serde_json::to_string(&patch)
                .map_err(|e| PushError::Local(Error::Internal(e.to_string())))?;
            let request_id = hesabu_store::ids::new_id(qbo.file.clock().as_ref());
            set(
                &qbo.file,
                document_id,
                "update_request_id = ?, update_base_token = ?, update_body = ?",
                vec![val(&request_id), val(&current.sync_token), val(&body)],
            )
            .await?;
            Ok(true)
        }
    }
}

/// Step 3: sends the persisted update (same `requestid` on every retry); on 5010 re-reads,
/// re-applies and sends with a new `requestid`, at most [`MAX_CONFLICTS`] times. Returns the
/// transaction's new `SyncToken`.
pub async fn send_update(qbo: &Qbo, document_id: &str) -> std::result::Result<String, PushError> {
    let mut conflicts = 0;
    loop {
        let r = require_row(&qbo.file, document_id).await?;
        if r.state == "done"
            && let Some(t) = r.result_sync_token
        {
            return Ok(t);
        }
        let (Some(request_id), Some(base), Some(body)) =
            (r.update_request_id, r.update_base_token, r.update_body)
        else {
            if !prepare_update(qbo, document_id).await? {
                return Ok(require_row(&qbo.file, document_id)
                    .await?
                    .result_sync_token
                    .unwrap_or_default());
            }
            continue;
        };
        let fields: serde_json::Value = serde_json::from_str(&body)
            .map_err(|e| PushError::Local(Error::Internal(format!("qbo_push.update_body: {e}"))))?;
        let request = RequestId::new(request_id)?;
        // An update is attempted: nothing prefetched about this document is used again.
        qbo.prefetch.forget(document_id, prefetch::Part::Current);
        let answer = match r.entity.as_str() {
            "Invoice" => qbo
                .client
                .sparse_update::<Invoice>(&r.qbo_id, &base, &fields, &request)
                .await
                .map(|a| a.value.entity.sync_token),
            "SalesReceipt" => qbo
                .client
                .sparse_update::<SalesReceipt>(&r.qbo_id, &base, &fields, &request)
                .await
                .map(|a| a.value.entity.sync_token),
            _ => qbo
                .client
                .sparse_update::<CreditMemo>(&r.qbo_id, &base, &fields, &request)
                .await
                .map(|a| a.value.entity.sync_token),
        };
        match answer {
            Ok(token) => {
                let token = token.unwrap_or_default();
                done(qbo, &r.document_id, &r.entity, &r.qbo_id, &token).await?;
                return Ok(token);
            }
            Err(e) if e.is_stale_object() && conflicts < MAX_CONFLICTS => {
                // Someone changed it meanwhile: forget this update (a new logical request),
                // re-read and re-apply on the fresh copy.
                conflicts += 1;
                set(
                    &qbo.file,
                    document_id,
                    "update_request_id = NULL, update_base_token = NULL, update_body = NULL, \
                     conflicts = conflicts + 1",
                    vec![],
                )
                .await?;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

async fn done(qbo: &Qbo, document_id: &str, entity: &str, qbo_id: &str, token: &str) -> Result<()> {
    let mut uow = qbo.file.begin_system().await?;
    uow.db()
        .execute_raw(stmt(
            "UPDATE qbo_push SET state = 'done', result_sync_token = ?, last_error = NULL, \
             updated_at = ? WHERE document_id = ?",
            vec![val(token), val(&uow.now_text()), val(document_id)],
        ))
        .await?;
    // Echo suppression: this SyncToken is ours; the next pull only updates the mirror.
    uow.db()
        .execute_raw(stmt(
            "UPDATE qbo_object SET own_sync_token = ? WHERE realm_id = ? AND entity = ? AND qbo_id = ?",
            vec![val(token), val(qbo.realm_id()), val(entity), val(qbo_id)],
        ))
        .await?;
    hesabu_core::sales::synced::set_sale_sync_token_in(&uow, document_id, Some(token)).await?;
    uow.audit(hesabu_store::audit::AuditDraft {
        action: "qbo.push",
        entity_type: "sale",
        entity_id: document_id.to_owned(),
        before: None,
        after: Some(json!({"entity": entity, "qbo_id": qbo_id, "sync_token": token})),
    })
    .await?;
    uow.commit().await
}

/// The whole write-back of one document: attach, prepare, send.
pub async fn push_document(qbo: &Qbo, document_id: &str) -> std::result::Result<String, PushError> {
    attach(qbo, document_id).await?;
    send_update(qbo, document_id).await
}

/// The outbox target `qbo`: drains `etr.writeback` rows through [`push_document`].
#[derive(Debug, Clone)]
pub struct QboTarget {
    qbo: Qbo,
}

impl QboTarget {
    pub fn new(qbo: Qbo) -> Self {
        QboTarget { qbo }
    }

    /// The target of `file`'s connection, if it is connected. None as well for the demo's local
    /// sandbox when it does not run in this process: its rows wait in the queue (as for a
    /// missing target) instead of the file's other targets failing to build.
    pub async fn for_file(
        file: &CompanyFile,
        secrets: Arc<dyn SecretStore>,
    ) -> Result<Option<Self>> {
        if super::stored(file.reader())
            .await?
            .is_some_and(|s| s.unreachable_sandbox())
        {
            return Ok(None);
        }
        Ok(super::open(file, secrets).await?.map(QboTarget::new))
    }
}

fn document_of(item: &OutboxItem) -> std::result::Result<String, SendError> {
    serde_json::from_str::<serde_json::Value>(&item.payload)
        .ok()
        .and_then(|v| {
            v.get("document_id")
                .and_then(|d| d.as_str())
                .map(str::to_owned)
        })
        .ok_or_else(|| SendError::permanent(format!("outbox row {} names no document", item.id)))
}

#[async_trait::async_trait]
impl Target for QboTarget {
    fn name(&self) -> &str {
        super::QBO_TARGET
    }

    fn config(&self) -> TargetConfig {
        hesabu_qbo::contract::target_config()
    }

    async fn send(&self, item: &OutboxItem) -> std::result::Result<Ack, SendError> {
        let document_id = document_of(item)?;
        match push_document(&self.qbo, &document_id).await {
            Ok(token) => Ok(Ack {
                remote_ref: row(self.qbo.file.reader(), &document_id)
                    .await
                    .ok()
                    .flatten()
                    .and_then(|r| r.attachable_id),
                result: Some(json!({"sync_token": token})),
            }),
            Err(e) => {
                let message = e.to_string();
                let _ = set(
                    &self.qbo.file,
                    &document_id,
                    "last_error = ?",
                    vec![opt(Some(&message))],
                )
                .await;
                Err(e.send_error())
            }
        }
    }

    /// Every step is safe to resend: the dedupe check and the persisted `requestid`s decide.
    async fn check_before_resend(&self, _item: &OutboxItem) -> RemoteState {
        RemoteState::NotReceived
    }

    async fn probe(&self) -> bool {
        self.qbo.reachable().await
    }
}

impl Qbo {
    /// Whether QuickBooks' API host answers a TCP connection within 5 s: the outbox target's
    /// probe, and the scheduled pull's "online" check.
    pub async fn reachable(&self) -> bool {
        let Ok(url) = reqwest_free_host(&self.settings.endpoints.api_base) else {
            return false;
        };
        matches!(
            tokio::time::timeout(
                std::time::Duration::from_secs(5),
                tokio::net::TcpStream::connect(url)
            )
            .await,
            Ok(Ok(_))
        )
    }
}

/// `host:port` of an http(s) URL.
fn reqwest_free_host(url: &str) -> std::result::Result<String, ()> {
    let (scheme, rest) = url.trim().split_once("://").ok_or(())?;
    let authority = rest.split(['/', '?', '#']).next().ok_or(())?;
    if authority.contains(':') {
        return Ok(authority.to_owned());
    }
    Ok(format!(
        "{authority}:{}",
        if scheme == "https" { 443 } else { 80 }
    ))
}
