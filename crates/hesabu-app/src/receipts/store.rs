//! The receipts tables (migration `20261202000500_receipts.sql`): the stored receipt and its
//! original PDFs, the print log and the receipt settings. Plain SQL on the caller's connection
//! (the reader, or a unit of work's transaction); every write is in a unit of work the caller
//! audits.

use sea_orm::{ConnectionTrait, Statement, Value};
use sha2::{Digest, Sha256};

use hesabu_store::error::{Error, Result};

use super::{OriginalView, PaperFormat, PrintKind, PrintRecord, ReceiptSettings};

/// Hex SHA-256.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn statement(db: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(db.get_database_backend(), sql, values)
}

/// A stored receipt's row (without its PDFs).
pub(crate) struct StoredReceipt {
    pub(crate) snapshot_json: String,
    pub(crate) snapshot_sha256: String,
    pub(crate) renderer_version: String,
    pub(crate) stored_at: String,
    pub(crate) stored_by: String,
}

pub(crate) async fn receipt(
    db: &impl ConnectionTrait,
    document_id: &str,
) -> Result<Option<StoredReceipt>> {
    let row = db
        .query_one_raw(statement(
            db,
            "SELECT r.snapshot_json, r.snapshot_sha256, r.renderer_version, r.stored_at, \
             COALESCE(u.name, r.stored_by, 'Hesabu (at signing)') AS stored_by \
             FROM receipt r LEFT JOIN app_user u ON u.id = r.stored_by WHERE r.document_id = ?",
            vec![document_id.into()],
        ))
        .await?;
    let Some(r) = row else { return Ok(None) };
    let stored = StoredReceipt {
        snapshot_json: r.try_get("", "snapshot_json")?,
        snapshot_sha256: r.try_get("", "snapshot_sha256")?,
        renderer_version: r.try_get("", "renderer_version")?,
        stored_at: r.try_get("", "stored_at")?,
        stored_by: r.try_get("", "stored_by")?,
    };
    if sha256_hex(stored.snapshot_json.as_bytes()) != stored.snapshot_sha256 {
        return Err(tampered(document_id, "content"));
    }
    Ok(Some(stored))
}

fn tampered(document_id: &str, what: &str) -> Error {
    Error::AuditBroken(format!(
        "The stored receipt {what} of sales document {document_id} no longer matches the \
         fingerprint taken when it was stored: the company file was changed outside Hesabu. \
         Restore the company file from a backup, or ask your accountant to check it."
    ))
}

pub(crate) async fn insert_receipt(
    db: &impl ConnectionTrait,
    document_id: &str,
    submission_id: &str,
    snapshot_json: &str,
    at: &str,
    by: Option<&str>,
) -> Result<()> {
    db.execute_raw(statement(
        db,
        "INSERT INTO receipt (document_id, submission_id, snapshot_json, snapshot_sha256, \
         renderer_version, stored_at, stored_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
        vec![
            document_id.into(),
            submission_id.into(),
            snapshot_json.into(),
            sha256_hex(snapshot_json.as_bytes()).into(),
            RENDERER_VERSION.into(),
            at.into(),
            by.into(),
        ],
    ))
    .await?;
    Ok(())
}

/// The version of the renderer crate this build links (kept with each stored receipt).
pub(crate) const RENDERER_VERSION: &str = concat!("hesabu-receipts ", env!("CARGO_PKG_VERSION"));

pub(crate) async fn insert_original(
    db: &impl ConnectionTrait,
    document_id: &str,
    format: PaperFormat,
    pdf: &[u8],
    at: &str,
) -> Result<String> {
    let sha = sha256_hex(pdf);
    db.execute_raw(statement(
        db,
        "INSERT INTO receipt_original (document_id, format, pdf, sha256, size_bytes, \
         rendered_at) VALUES (?, ?, ?, ?, ?, ?)",
        vec![
            document_id.into(),
            format.as_str().into(),
            pdf.to_vec().into(),
            sha.clone().into(),
            i64::try_from(pdf.len()).unwrap_or(i64::MAX).into(),
            at.into(),
        ],
    ))
    .await?;
    Ok(sha)
}

/// The stored original PDF of one format, checked against its hash.
pub(crate) async fn original(
    db: &impl ConnectionTrait,
    document_id: &str,
    format: PaperFormat,
) -> Result<Option<Vec<u8>>> {
    let row = db
        .query_one_raw(statement(
            db,
            "SELECT pdf, sha256 FROM receipt_original WHERE document_id = ? AND format = ?",
            vec![document_id.into(), format.as_str().into()],
        ))
        .await?;
    let Some(r) = row else { return Ok(None) };
    let pdf: Vec<u8> = r.try_get("", "pdf")?;
    let sha: String = r.try_get("", "sha256")?;
    if sha256_hex(&pdf) != sha {
        return Err(tampered(document_id, &format!("{format} PDF")));
    }
    Ok(Some(pdf))
}

/// The stored originals' formats, sizes and hashes (not their bytes).
pub(crate) async fn originals(
    db: &impl ConnectionTrait,
    document_id: &str,
) -> Result<Vec<OriginalView>> {
    let rows = db
        .query_all_raw(statement(
            db,
            "SELECT format, sha256, size_bytes, rendered_at FROM receipt_original \
             WHERE document_id = ? ORDER BY format",
            vec![document_id.into()],
        ))
        .await?;
    rows.iter()
        .map(|r| {
            let format: String = r.try_get("", "format")?;
            Ok(OriginalView {
                format: PaperFormat::parse(&format)?,
                sha256: r.try_get("", "sha256")?,
                size_bytes: r.try_get("", "size_bytes")?,
                rendered_at: r.try_get("", "rendered_at")?,
            })
        })
        .collect()
}

/// Successful prints of a document's original, and the highest copy number so far.
pub(crate) async fn print_counts(
    db: &impl ConnectionTrait,
    document_id: &str,
) -> Result<(i64, i64)> {
    let row = db
        .query_one_raw(statement(
            db,
            "SELECT COUNT(CASE WHEN kind = 'original' THEN 1 END) AS originals, \
             COALESCE(MAX(copy_number), 0) AS copies \
             FROM receipt_print WHERE document_id = ? AND error IS NULL",
            vec![document_id.into()],
        ))
        .await?;
    Ok(match row {
        Some(r) => (r.try_get("", "originals")?, r.try_get("", "copies")?),
        None => (0, 0),
    })
}

/// The `error_kind` of a print that was started but has not ended: the row that claims a
/// receipt's original before it is sent (see `receipts::claim_original`).
pub(crate) const IN_PROGRESS: &str = "in_progress";

/// How many originals of the document are taken: printed successfully, or claimed by a print
/// started at or after `live_since` and not yet ended. An older claim is a print that never
/// ended (Hesabu stopped while the printer had it) and takes nothing.
pub(crate) async fn originals_taken(
    db: &impl ConnectionTrait,
    document_id: &str,
    live_since: &str,
) -> Result<i64> {
    let row = db
        .query_one_raw(statement(
            db,
            "SELECT COUNT(*) AS taken FROM receipt_print WHERE document_id = ? \
             AND kind = 'original' \
             AND (error IS NULL OR (error_kind = ? AND printed_at >= ?))",
            vec![document_id.into(), IN_PROGRESS.into(), live_since.into()],
        ))
        .await?;
    Ok(match row {
        Some(r) => r.try_get("", "taken")?,
        None => 0,
    })
}

/// Turns a claim (a row written by `insert_print` with `error_kind` [`IN_PROGRESS`]) into the
/// print's outcome.
pub(crate) async fn finish_print(db: &impl ConnectionTrait, p: &NewPrint<'_>) -> Result<()> {
    let done = db
        .execute_raw(statement(
            db,
            "UPDATE receipt_print SET copy_number = ?, destination = ?, job_id = ?, \
             content_sha256 = ?, size_bytes = ?, printed_at = ?, error_kind = ?, error = ? \
             WHERE id = ? AND document_id = ? AND error_kind = ?",
            vec![
                p.copy_number.into(),
                p.destination.into(),
                p.job_id.clone().into(),
                p.content_sha256.clone().into(),
                p.size_bytes.into(),
                p.at.clone().into(),
                p.error_kind.clone().into(),
                p.error.clone().into(),
                p.id.clone().into(),
                p.document_id.into(),
                IN_PROGRESS.into(),
            ],
        ))
        .await?;
    if done.rows_affected() != 1 {
        return Err(Error::Internal(format!(
            "the print {} was not in progress when it ended",
            p.id
        )));
    }
    Ok(())
}

/// A print to record.
pub(crate) struct NewPrint<'a> {
    pub(crate) id: String,
    pub(crate) document_id: &'a str,
    pub(crate) format: PaperFormat,
    pub(crate) kind: PrintKind,
    pub(crate) copy_number: Option<i64>,
    pub(crate) destination: &'a str,
    pub(crate) job_id: Option<String>,
    pub(crate) content_sha256: Option<String>,
    pub(crate) size_bytes: Option<i64>,
    pub(crate) at: String,
    pub(crate) by: String,
    pub(crate) error_kind: Option<String>,
    pub(crate) error: Option<String>,
}

/// Inserts a print, numbered after the document's earlier ones (the caller holds the write
/// lock, in its unit of work).
pub(crate) async fn insert_print(db: &impl ConnectionTrait, p: &NewPrint<'_>) -> Result<()> {
    let seq: i64 = match db
        .query_one_raw(statement(
            db,
            "SELECT COALESCE(MAX(seq), 0) + 1 AS next FROM receipt_print WHERE document_id = ?",
            vec![p.document_id.into()],
        ))
        .await?
    {
        Some(r) => r.try_get("", "next")?,
        None => 1,
    };
    db.execute_raw(statement(
        db,
        "INSERT INTO receipt_print (id, document_id, seq, format, kind, copy_number, \
         destination, job_id, content_sha256, size_bytes, printed_at, printed_by, error_kind, \
         error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        vec![
            p.id.clone().into(),
            p.document_id.into(),
            seq.into(),
            p.format.as_str().into(),
            p.kind.as_str().into(),
            p.copy_number.into(),
            p.destination.into(),
            p.job_id.clone().into(),
            p.content_sha256.clone().into(),
            p.size_bytes.into(),
            p.at.clone().into(),
            p.by.clone().into(),
            p.error_kind.clone().into(),
            p.error.clone().into(),
        ],
    ))
    .await?;
    Ok(())
}

const PRINT_COLUMNS: &str = "p.id, p.document_id, p.seq, p.format, p.kind, p.copy_number, \
     p.destination, p.job_id, p.content_sha256, p.size_bytes, p.printed_at, p.printed_by, \
     COALESCE(u.name, p.printed_by) AS printed_by_name, p.error_kind, p.error";

fn print_record(r: &sea_orm::QueryResult) -> Result<PrintRecord> {
    let format: String = r.try_get("", "format")?;
    let kind: String = r.try_get("", "kind")?;
    Ok(PrintRecord {
        id: r.try_get("", "id")?,
        document_id: r.try_get("", "document_id")?,
        seq: r.try_get("", "seq")?,
        format: PaperFormat::parse(&format)?,
        kind: PrintKind::parse(&kind)?,
        copy_number: r.try_get("", "copy_number")?,
        destination: r.try_get("", "destination")?,
        job_id: r.try_get("", "job_id")?,
        content_sha256: r.try_get("", "content_sha256")?,
        size_bytes: r.try_get("", "size_bytes")?,
        printed_at: r.try_get("", "printed_at")?,
        printed_by: r.try_get("", "printed_by")?,
        printed_by_name: r.try_get("", "printed_by_name")?,
        error_kind: r.try_get("", "error_kind")?,
        error: r.try_get("", "error")?,
    })
}

/// A document's print history, newest first.
pub(crate) async fn prints(
    db: &impl ConnectionTrait,
    document_id: &str,
) -> Result<Vec<PrintRecord>> {
    let rows = db
        .query_all_raw(statement(
            db,
            &format!(
                "SELECT {PRINT_COLUMNS} FROM receipt_print p \
                 LEFT JOIN app_user u ON u.id = p.printed_by \
                 WHERE p.document_id = ? ORDER BY p.seq DESC"
            ),
            vec![document_id.into()],
        ))
        .await?;
    rows.iter().map(print_record).collect()
}

/// One print by id.
pub(crate) async fn print(db: &impl ConnectionTrait, id: &str) -> Result<PrintRecord> {
    let row = db
        .query_one_raw(statement(
            db,
            &format!(
                "SELECT {PRINT_COLUMNS} FROM receipt_print p \
                 LEFT JOIN app_user u ON u.id = p.printed_by WHERE p.id = ?"
            ),
            vec![id.into()],
        ))
        .await?
        .ok_or_else(|| Error::Internal(format!("the print {id} was not recorded")))?;
    print_record(&row)
}

/// The receipt settings: the stored row, else the defaults (no top message, "THANK YOU" at the
/// bottom, 80 mm, no printers chosen).
pub(crate) async fn settings(db: &impl ConnectionTrait) -> Result<ReceiptSettings> {
    let row = db
        .query_one_raw(statement(
            db,
            "SELECT top_message, bottom_message, default_format, printer_80mm, printer_58mm, \
             printer_a4 FROM receipt_settings LIMIT 1",
            vec![],
        ))
        .await?;
    let Some(r) = row else {
        return Ok(ReceiptSettings::default());
    };
    let format: String = r.try_get("", "default_format")?;
    Ok(ReceiptSettings {
        top_message: r.try_get("", "top_message")?,
        bottom_message: r.try_get("", "bottom_message")?,
        default_format: PaperFormat::parse(&format)?,
        printer_80mm: r.try_get("", "printer_80mm")?,
        printer_58mm: r.try_get("", "printer_58mm")?,
        printer_a4: r.try_get("", "printer_a4")?,
    })
}

/// Writes the settings row (inserted the first time).
pub(crate) async fn save_settings(
    db: &impl ConnectionTrait,
    company_id: &str,
    s: &ReceiptSettings,
    at: &str,
    by: &str,
) -> Result<()> {
    db.execute_raw(statement(db, "DELETE FROM receipt_settings", vec![]))
        .await?;
    db.execute_raw(statement(
        db,
        "INSERT INTO receipt_settings (company_id, top_message, bottom_message, default_format, \
         printer_80mm, printer_58mm, printer_a4, updated_at, updated_by) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        vec![
            company_id.into(),
            s.top_message.clone().into(),
            s.bottom_message.clone().into(),
            s.default_format.as_str().into(),
            s.printer_80mm.clone().into(),
            s.printer_58mm.clone().into(),
            s.printer_a4.clone().into(),
            at.into(),
            by.into(),
        ],
    ))
    .await?;
    Ok(())
}
