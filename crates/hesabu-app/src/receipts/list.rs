//! The receipts list: every issued sales document (invoice, cash sale, credit note) with where
//! KRA is with it, newest first, one page at a time. A read-only query of its own over the
//! ledger's and the fiscal flow's tables (the fiscal module has no list of this shape).

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, Statement, Value};

use hesabu_core::sales::SalesType;
use hesabu_store::clock::parse_timestamp;
use hesabu_store::error::{Error, Result};

use super::{ReceiptPage, ReceiptQuery, ReceiptRow, ReceiptStatus};

const COLUMNS: &str = "d.id, d.number, d.doc_type, d.customer_name, d.customer_pin, \
     d.issue_date, d.issued_at, d.currency, d.total, f.state, f.result_cd, f.result_msg, \
     f.sdc_id, f.cur_rcpt_no, f.signed_at, \
     (SELECT COUNT(*) FROM receipt_print p WHERE p.document_id = d.id AND p.error IS NULL) \
       AS prints, \
     (SELECT COUNT(*) FROM receipt_print p WHERE p.document_id = d.id AND p.error IS NULL \
       AND p.kind = 'copy') AS copies";

const FROM: &str = "FROM sales_document d LEFT JOIN fiscal_submission f ON f.document_id = d.id \
     WHERE d.status IN ('issued', 'fiscalised')";

fn date(what: &str, text: &str) -> Result<String> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map(|d| d.format("%Y-%m-%d").to_string())
        .map_err(|_| {
            Error::invalid(format!(
                "The {what} '{text}' is not a date: use yyyy-mm-dd."
            ))
        })
}

/// The WHERE clause and its values for a query.
fn filters(query: &ReceiptQuery) -> Result<(String, Vec<Value>)> {
    let mut sql = String::new();
    let mut values: Vec<Value> = Vec::new();
    if let Some(from) = query.from.as_deref().filter(|t| !t.trim().is_empty()) {
        sql.push_str(" AND d.issue_date >= ?");
        values.push(date("from date", from)?.into());
    }
    if let Some(to) = query.to.as_deref().filter(|t| !t.trim().is_empty()) {
        sql.push_str(" AND d.issue_date <= ?");
        values.push(date("to date", to)?.into());
    }
    match query.status {
        Some(ReceiptStatus::Signed) => sql.push_str(" AND f.state = 'signed'"),
        Some(ReceiptStatus::Rejected) => sql.push_str(" AND f.state = 'rejected'"),
        Some(ReceiptStatus::Awaiting) => {
            sql.push_str(" AND (f.state IS NULL OR f.state IN ('reserved', 'unknown'))");
        }
        None => {}
    }
    if let Some(text) = query
        .search
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        // A document number (whole, or part of it: "12" finds INV-000012), a customer's name
        // (part of it) or PIN, or KRA's CU invoice number (KRACU0100000001/152).
        let like = format!("%{}%", text.replace(['%', '_'], "").to_lowercase());
        sql.push_str(
            " AND (LOWER(d.number) LIKE ? OR LOWER(d.customer_name) LIKE ? \
             OR d.customer_pin = ? OR (f.sdc_id || '/' || f.cur_rcpt_no) = ?)",
        );
        values.push(like.clone().into());
        values.push(like.into());
        values.push(text.to_uppercase().into());
        values.push(text.to_uppercase().into());
    }
    Ok((sql, values))
}

/// One page of receipts; `now` dates the "awaiting KRA signature" ages.
pub(crate) async fn page(
    db: &impl ConnectionTrait,
    query: &ReceiptQuery,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<ReceiptPage> {
    let (where_sql, values) = filters(query)?;
    let backend = db.get_database_backend();
    let limit = query.limit.unwrap_or(50).clamp(1, 500);
    let offset = query.offset.unwrap_or(0);
    let total_row = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            format!("SELECT COUNT(*) AS n {FROM}{where_sql}"),
            values.clone(),
        ))
        .await?;
    let total: i64 = match total_row {
        Some(r) => r.try_get("", "n")?,
        None => 0,
    };
    let mut page_values = values;
    page_values.push(i64::try_from(limit).unwrap_or(500).into());
    page_values.push(i64::try_from(offset).unwrap_or(i64::MAX).into());
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT {COLUMNS} {FROM}{where_sql} \
                 ORDER BY d.issued_at DESC, d.id DESC LIMIT ? OFFSET ?"
            ),
            page_values,
        ))
        .await?;
    let rows = rows
        .iter()
        .map(|r| row(r, now))
        .collect::<Result<Vec<_>>>()?;
    Ok(ReceiptPage { rows, total })
}

/// One document's row (by id), if it is an issued sales document.
pub(crate) async fn one(
    db: &impl ConnectionTrait,
    document_id: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<ReceiptRow>> {
    let r = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            format!("SELECT {COLUMNS} {FROM} AND d.id = ?"),
            vec![document_id.into()],
        ))
        .await?;
    r.map(|r| row(&r, now)).transpose()
}

fn row(r: &sea_orm::QueryResult, now: chrono::DateTime<chrono::Utc>) -> Result<ReceiptRow> {
    let doc_type: String = r.try_get("", "doc_type")?;
    let state: Option<String> = r.try_get("", "state")?;
    let issued_at: Option<String> = r.try_get("", "issued_at")?;
    let sdc_id: Option<String> = r.try_get("", "sdc_id")?;
    let cur: Option<i64> = r.try_get("", "cur_rcpt_no")?;
    let status = match state.as_deref() {
        Some("signed") => ReceiptStatus::Signed,
        Some("rejected") => ReceiptStatus::Rejected,
        _ => ReceiptStatus::Awaiting,
    };
    let awaiting_seconds = (status == ReceiptStatus::Awaiting)
        .then(|| {
            issued_at
                .as_deref()
                .and_then(|t| parse_timestamp(t).ok())
                .map(|at| (now - at).num_seconds().max(0))
        })
        .flatten();
    let (kra_code, kra_message) = if status == ReceiptStatus::Signed {
        (None, None)
    } else {
        (r.try_get("", "result_cd")?, r.try_get("", "result_msg")?)
    };
    Ok(ReceiptRow {
        document_id: r.try_get("", "id")?,
        number: r
            .try_get::<Option<String>>("", "number")?
            .unwrap_or_default(),
        doc_type: SalesType::parse(&doc_type)?,
        customer_name: r.try_get("", "customer_name")?,
        customer_pin: r.try_get("", "customer_pin")?,
        issue_date: r.try_get("", "issue_date")?,
        issued_at,
        currency: r.try_get("", "currency")?,
        total: r.try_get("", "total")?,
        status,
        awaiting_seconds,
        kra_code,
        kra_message,
        cu_invoice_no: match (status, sdc_id, cur) {
            (ReceiptStatus::Signed, Some(sdc), Some(n)) => Some(format!("{sdc}/{n}")),
            _ => None,
        },
        signed_at: r.try_get("", "signed_at")?,
        prints: r.try_get("", "prints")?,
        copies: r.try_get("", "copies")?,
    })
}
