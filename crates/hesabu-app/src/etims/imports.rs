//! Items customs declared as imported by the taxpayer, and the accountant's answer to each
//! (spec §4 rows 13 and 14; code class 26: `2` waiting, `3` approved, `4` cancelled).
//!
//! The declarations are KRA's list `selectImportItemList`, fetched and cached by
//! [`super::kra_records`] (table `etims_kra_import_item`; [`refresh`] pulls that one list, the
//! daily job pulls it with the others). A declaration line is named `TASK/SEQ` (or
//! `TASK/DATE/SEQ` when one task has lines on two declaration dates).
//!
//! [`accept`] maps a waiting line to one of our items registered at KRA (its `itemClsCd` and
//! `itemCd`) and [`reject`] cancels it; each is one audited unit of work
//! (`etims.import.accept`, `etims.import.reject`) that stores the answer (`etims_import_answer`)
//! and queues one outbox row with the frozen `updateImportItem` request (status `3` or `4`,
//! idempotency key from the line). A line is answered once: a second answer is refused here,
//! as is a line KRA already lists as approved or cancelled (answered elsewhere, e.g. on the
//! portal).

use sea_orm::{ConnectionTrait, QueryResult};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::kra_records::{self, KraList};
use super::queued::{self, IMPORT_OPERATION, find_item, registrar, statement};
use hesabu_etims::Timeouts;
use hesabu_etims::types::imports::{IMPORT_APPROVED, IMPORT_CANCELLED, ImportItemUpdateRequest};
use hesabu_store::audit::AuditDraft;
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::{Error, Result};
use hesabu_store::permissions::Permission;
use hesabu_store::secrets::SecretStore;

/// The longest remark KRA takes (`remark`, CHAR(400)).
pub const MAX_REMARK: usize = 400;

/// The answer given to a declaration line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportAnswer {
    /// `accepted` or `rejected`.
    pub decision: String,
    /// Class 26 as sent: `3` approved, `4` cancelled.
    pub status_cd: String,
    /// Accepted: our item's code, and the `itemClsCd` / `itemCd` sent.
    pub item_code: Option<String>,
    pub item_cls_cd: Option<String>,
    pub item_cd: Option<String>,
    pub remark: Option<String>,
    pub decided_at: String,
    pub outbox_id: String,
    /// The outbox row's state: `ready`, `in_flight`, `done` (KRA has it) or `dead`.
    pub sync_state: Option<String>,
    pub sync_error: Option<String>,
}

/// A declaration line and our answer, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportView {
    /// `TASK/SEQ`, what the commands take.
    pub reference: String,
    pub task_cd: String,
    /// `yyyyMMdd`.
    pub declared_on: String,
    pub item_seq: i64,
    pub declaration_no: Option<String>,
    pub hs_code: Option<String>,
    pub name: Option<String>,
    /// Class 26 as KRA last listed it.
    pub kra_status: Option<String>,
    /// Exact decimal text.
    pub quantity: Option<String>,
    pub quantity_unit: Option<String>,
    pub supplier: Option<String>,
    pub answer: Option<ImportAnswer>,
}

impl ImportView {
    /// Waiting for an answer: none given here and KRA lists it as waiting (or unsent).
    pub fn is_open(&self) -> bool {
        self.answer.is_none()
            && !matches!(
                self.kra_status.as_deref(),
                Some(IMPORT_APPROVED | IMPORT_CANCELLED)
            )
    }
}

const SELECT: &str = "SELECT k.task_cd, k.dcl_de, k.item_seq, k.dcl_no, k.hs_cd, k.item_nm, \
     k.impt_item_stts_cd, k.qty, k.qty_unit_cd, k.spplr_nm, \
     a.decision, a.status_cd, a.item_cls_cd, a.item_cd AS answer_item_cd, a.remark, \
     a.decided_at, a.outbox_id, i.code AS item_code, o.state AS sync_state, \
     o.last_error_message AS sync_error \
     FROM etims_kra_import_item k \
     LEFT JOIN etims_import_answer a ON a.task_cd = k.task_cd AND a.dcl_de = k.dcl_de \
          AND a.item_seq = k.item_seq \
     LEFT JOIN item i ON i.id = a.item_id \
     LEFT JOIN outbox o ON o.id = a.outbox_id";

fn view_of(r: &QueryResult) -> Result<ImportView> {
    let task_cd: String = r.try_get("", "task_cd")?;
    let item_seq: i64 = r.try_get("", "item_seq")?;
    let decision: Option<String> = r.try_get("", "decision")?;
    let answer = match decision {
        Some(decision) => Some(ImportAnswer {
            decision,
            status_cd: r.try_get("", "status_cd")?,
            item_code: r.try_get("", "item_code")?,
            item_cls_cd: r.try_get("", "item_cls_cd")?,
            item_cd: r.try_get("", "answer_item_cd")?,
            remark: r.try_get("", "remark")?,
            decided_at: r.try_get("", "decided_at")?,
            outbox_id: r.try_get("", "outbox_id")?,
            sync_state: r.try_get("", "sync_state")?,
            sync_error: r.try_get("", "sync_error")?,
        }),
        None => None,
    };
    Ok(ImportView {
        reference: format!("{task_cd}/{item_seq}"),
        task_cd,
        declared_on: r.try_get("", "dcl_de")?,
        item_seq,
        declaration_no: r.try_get("", "dcl_no")?,
        hs_code: r.try_get("", "hs_cd")?,
        name: r.try_get("", "item_nm")?,
        kra_status: r.try_get("", "impt_item_stts_cd")?,
        quantity: r.try_get("", "qty")?,
        quantity_unit: r.try_get("", "qty_unit_cd")?,
        supplier: r.try_get("", "spplr_nm")?,
        answer,
    })
}

/// A line's name as typed: `TASK/SEQ` or `TASK/DATE/SEQ`.
fn parse_reference(text: &str) -> Result<(String, Option<String>, i64)> {
    let parts: Vec<&str> = text.trim().split('/').map(str::trim).collect();
    let bad = || {
        Error::invalid(format!(
            "'{text}' does not name an imported item: write its task code and line number as \
             TASK/SEQ (e.g. 2231943/1), or TASK/DATE/SEQ; `hesabu etims imports list` shows them."
        ))
    };
    let (task, date, seq) = match parts.as_slice() {
        [task, seq] => (*task, None, *seq),
        [task, date, seq] => (*task, Some((*date).to_owned()), *seq),
        _ => return Err(bad()),
    };
    let seq: i64 = seq.parse().map_err(|_| bad())?;
    if task.is_empty() {
        return Err(bad());
    }
    Ok((task.to_owned(), date, seq))
}

async fn find(db: &impl ConnectionTrait, reference: &str) -> Result<ImportView> {
    let (task, date, seq) = parse_reference(reference)?;
    let rows = match &date {
        Some(date) => {
            db.query_all_raw(statement(
                db,
                &format!("{SELECT} WHERE k.task_cd = ? AND k.dcl_de = ? AND k.item_seq = ?"),
                vec![task.into(), date.clone().into(), seq.into()],
            ))
            .await?
        }
        None => {
            db.query_all_raw(statement(
                db,
                &format!("{SELECT} WHERE k.task_cd = ? AND k.item_seq = ?"),
                vec![task.into(), seq.into()],
            ))
            .await?
        }
    };
    if rows.len() > 1 {
        return Err(Error::invalid(format!(
            "'{reference}' matches lines of more than one declaration date: write it as \
             TASK/DATE/SEQ."
        )));
    }
    match rows.first() {
        Some(r) => view_of(r),
        None => Err(Error::NotFound(format!(
            "There is no imported item '{reference}' in KRA's list as last fetched. Fetch it \
             again (`hesabu etims imports list --refresh`) and use a reference it shows."
        ))),
    }
}

/// The imported items as last fetched from KRA, with our answers; newest declaration first.
/// Needs `SalesView`.
pub async fn list(file: &CompanyFile, session: &Session) -> Result<Vec<ImportView>> {
    session.require(Permission::SalesView)?;
    let db = file.reader();
    let rows = db
        .query_all_raw(statement(
            db,
            &format!("{SELECT} ORDER BY k.dcl_de DESC, k.task_cd, k.item_seq"),
            vec![],
        ))
        .await?;
    rows.iter().map(view_of).collect()
}

/// One imported item by its reference. Needs `SalesView`.
pub async fn show(file: &CompanyFile, session: &Session, reference: &str) -> Result<ImportView> {
    session.require(Permission::SalesView)?;
    find(file.reader(), reference).await
}

/// Fetches KRA's list of imported items (`selectImportItemList`, through
/// [`kra_records::refresh`]), then lists them. Needs `SalesMasterData`.
pub async fn refresh(
    file: &CompanyFile,
    session: &Session,
    secrets: &dyn SecretStore,
    timeouts: Timeouts,
) -> Result<Vec<ImportView>> {
    let report =
        kra_records::refresh(file, session, secrets, timeouts, Some(KraList::Imports)).await?;
    if let Some(error) = report.lists.iter().find_map(|l| l.error.clone()) {
        return Err(Error::Unavailable(format!(
            "KRA's list of imported items could not be fetched: {error}"
        )));
    }
    list(file, session).await
}

fn clean_remark(remark: Option<&str>) -> Result<Option<String>> {
    let Some(remark) = remark.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    if remark.chars().count() > MAX_REMARK {
        return Err(Error::invalid(format!(
            "The remark is {} characters long: KRA takes at most {MAX_REMARK}.",
            remark.chars().count()
        )));
    }
    Ok(Some(remark.to_owned()))
}

/// The outbox key of a line's answer: a line is answered once, so the line names it.
fn answer_key(line: &ImportView) -> String {
    let digest = Sha256::digest(
        format!("{}\n{}\n{}", line.task_cd, line.declared_on, line.item_seq).as_bytes(),
    );
    let hex: String = digest.iter().take(20).map(|b| format!("{b:02x}")).collect();
    format!("impt:{hex}")
}

/// Refuses a line that was answered already, here or at KRA.
fn check_open(line: &ImportView) -> Result<()> {
    if let Some(a) = &line.answer {
        return Err(Error::Conflict(format!(
            "Imported item {} ({}) was already {} on {}; a declaration is answered once.",
            line.reference,
            line.name.as_deref().unwrap_or("unnamed"),
            a.decision,
            a.decided_at
        )));
    }
    if let Some(status @ (IMPORT_APPROVED | IMPORT_CANCELLED)) = line.kra_status.as_deref() {
        let words = if status == IMPORT_APPROVED {
            "approved"
        } else {
            "cancelled"
        };
        return Err(Error::Conflict(format!(
            "KRA lists imported item {} as {words} already (answered outside Hesabu, e.g. on the \
             eTIMS portal); it cannot be answered again.",
            line.reference
        )));
    }
    Ok(())
}

/// What an answer maps the line to (accepting), or `None` (rejecting).
struct Mapping {
    item_id: String,
    item_cls_cd: String,
    item_cd: String,
}

async fn answer(
    file: &CompanyFile,
    session: &Session,
    reference: &str,
    item: Option<&str>,
    remark: Option<&str>,
) -> Result<ImportView> {
    session.require(Permission::SalesMasterData)?;
    let remark = clean_remark(remark)?;
    let mut uow = file.begin(session).await?;
    queued::require_device(uow.db()).await?;
    let line = find(uow.db(), reference).await?;
    check_open(&line)?;
    let mapping = match item {
        None => None,
        Some(key) => {
            let item = find_item(uow.db(), key).await?;
            if item.etims_state != "registered" {
                return Err(Error::invalid(format!(
                    "Item {} is not registered at KRA yet (its e-TIMS state is {}): register it \
                     first (`hesabu etims item register {}`), then accept the import into it.",
                    item.label(),
                    item.etims_state,
                    item.code
                )));
            }
            let classification = classification_of(uow.db(), &item.id).await?;
            let Some(item_cls_cd) = classification else {
                return Err(Error::invalid(format!(
                    "Item {} has no KRA item classification code: set one, register the item \
                     again, then accept the import into it.",
                    item.label()
                )));
            };
            Some(Mapping {
                item_id: item.id,
                item_cls_cd,
                item_cd: item.kra_item_code,
            })
        }
    };
    let accepted = mapping.is_some();
    let status = if accepted {
        IMPORT_APPROVED
    } else {
        IMPORT_CANCELLED
    };
    let (modr_id, modr_nm) = registrar(session);
    let seq = u32::try_from(line.item_seq).map_err(|_| {
        Error::invalid(format!(
            "Imported item {}'s line number is out of KRA's range.",
            line.reference
        ))
    })?;
    let request = ImportItemUpdateRequest {
        task_cd: line.task_cd.clone(),
        dcl_de: line.declared_on.clone(),
        item_seq: seq,
        hs_cd: line.hs_code.clone(),
        item_cls_cd: mapping.as_ref().map(|m| m.item_cls_cd.clone()),
        item_cd: mapping.as_ref().map(|m| m.item_cd.clone()),
        impt_item_stts_cd: status.into(),
        remark: remark.clone(),
        modr_id,
        modr_nm,
    };
    let request_json = serde_json::to_value(&request)
        .map_err(|e| Error::Internal(format!("an import answer: {e}")))?;
    let outbox_id = queued::enqueue(
        &mut uow,
        IMPORT_OPERATION,
        "import_item",
        &line.reference,
        1,
        answer_key(&line),
        vec![request_json],
    )
    .await?;
    let decision = if accepted { "accepted" } else { "rejected" };
    let now = uow.now_text();
    uow.db()
        .execute_raw(statement(
            uow.db(),
            "INSERT INTO etims_import_answer (task_cd, dcl_de, item_seq, decision, status_cd, \
             item_id, item_cls_cd, item_cd, remark, outbox_id, decided_by, decided_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            vec![
                line.task_cd.clone().into(),
                line.declared_on.clone().into(),
                line.item_seq.into(),
                decision.into(),
                status.into(),
                mapping.as_ref().map(|m| m.item_id.clone()).into(),
                request.item_cls_cd.clone().into(),
                request.item_cd.clone().into(),
                remark.clone().into(),
                outbox_id.clone().into(),
                session.user_id().to_owned().into(),
                now.into(),
            ],
        ))
        .await?;
    uow.audit(AuditDraft {
        action: if accepted {
            "etims.import.accept"
        } else {
            "etims.import.reject"
        },
        entity_type: "import_item",
        entity_id: format!("{}/{}/{}", line.task_cd, line.declared_on, line.item_seq),
        before: Some(json!({ "kra_status": line.kra_status })),
        after: Some(json!({
            "decision": decision,
            "status_cd": status,
            "name": line.name,
            "item_cls_cd": request.item_cls_cd,
            "item_cd": request.item_cd,
            "remark": remark,
            "outbox_id": outbox_id,
        })),
    })
    .await?;
    let view = find(uow.db(), &line.reference).await?;
    uow.commit().await?;
    Ok(view)
}

async fn classification_of(db: &impl ConnectionTrait, item_id: &str) -> Result<Option<String>> {
    let row = db
        .query_one_raw(statement(
            db,
            "SELECT classification_code FROM item WHERE id = ?",
            vec![item_id.into()],
        ))
        .await?;
    Ok(match row {
        Some(r) => r
            .try_get::<Option<String>>("", "classification_code")?
            .filter(|c| !c.trim().is_empty()),
        None => None,
    })
}

/// Accepts imported item `reference` into our item `item` (registered at KRA) and queues the
/// answer (`updateImportItem`, status `3`). Needs `SalesMasterData`.
pub async fn accept(
    file: &CompanyFile,
    session: &Session,
    reference: &str,
    item: &str,
    remark: Option<&str>,
) -> Result<ImportView> {
    answer(file, session, reference, Some(item), remark).await
}

/// Rejects imported item `reference` and queues the answer (`updateImportItem`, status `4`).
/// Needs `SalesMasterData`.
pub async fn reject(
    file: &CompanyFile,
    session: &Session,
    reference: &str,
    remark: Option<&str>,
) -> Result<ImportView> {
    answer(file, session, reference, None, remark).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_name_a_line() {
        assert_eq!(
            parse_reference("2231943/1").unwrap(),
            ("2231943".into(), None, 1)
        );
        assert_eq!(
            parse_reference(" 2231943 / 20240101 / 2 ").unwrap(),
            ("2231943".into(), Some("20240101".into()), 2)
        );
        assert!(parse_reference("2231943").is_err());
        assert!(parse_reference("2231943/one").is_err());
        assert!(parse_reference("/1").is_err());
    }
}
