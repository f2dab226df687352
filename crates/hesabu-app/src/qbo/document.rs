//! One sale's QuickBooks side, for the sales screens and `hesabu sale show`: the QuickBooks
//! transaction it was pulled from (entity, `DocNumber`, `Id`), where KRA's signature is on its
//! way back to QuickBooks ([`WriteBack`], in words, with what to do when it failed), and a link
//! that opens the transaction in QuickBooks' web app: `app.qbo.intuit.com` for a production
//! company, `app.sandbox.qbo.intuit.com` for one of Intuit's sandbox companies, none for the
//! demo's local sandbox or another local server (they have no web app).
//!
//! Read-only and cheap: the mirror (`qbo_object`), the push row (`qbo_push`), its outbox row
//! and the open reviews. A sale that did not come from QuickBooks has no view (`None`).

use std::collections::HashMap;

use hesabu_core::sales::SalesStatus;
use hesabu_core::sales::{documents, fiscal, synced};
use hesabu_qbo::Endpoints;
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::Result;
use hesabu_store::permissions::Permission;

use super::{Stored, stmt, text, val};

/// Where KRA's signature is on its way back to QuickBooks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum WriteBack {
    /// Issued, not signed by KRA yet: nothing to write back yet.
    AwaitingSignature,
    /// Signed by KRA; the next pull queues the write-back.
    WaitingForPull,
    /// Queued in the outbox (receipt not attached, or attached and the update to follow).
    Queued,
    /// An attempt failed; the outbox tries again after its backoff.
    Retrying,
    /// The receipt is attached and the transaction carries the CU invoice number and the ETR
    /// details.
    Done,
    /// The outbox gave up (a dead item): a person must act.
    Failed,
    /// Void in Hesabu: nothing is written back.
    NotWrittenBack,
}

/// A sale's QuickBooks transaction and write-back, as the sales screens show it.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct QboDocumentView {
    pub document_id: String,
    /// `Invoice`, `SalesReceipt` or `CreditMemo`.
    pub entity: String,
    pub qbo_id: String,
    pub doc_number: Option<String>,
    /// What to call it: "QuickBooks invoice 1003".
    pub label: String,
    pub stage: WriteBack,
    /// The stage in words, for the sale's page.
    pub words: String,
    /// What to do, when a person must act.
    pub fix: Option<String>,
    pub last_error: Option<String>,
    /// The write-back's outbox item (for a retry on the Sync page).
    pub outbox_id: Option<String>,
    pub attachable_id: Option<String>,
    /// Opens the transaction in QuickBooks' web app; none for a local sandbox.
    pub link: Option<String>,
    /// Which QuickBooks it is in, in words.
    pub location: String,
    /// The demo's local sandbox (not Intuit's QuickBooks).
    pub local_sandbox: bool,
    /// The newest open review of this sale (a difference a person must look at).
    pub review: Option<String>,
}

/// The QuickBooks view of one sale (id or number); `None` when it did not come from QuickBooks.
pub async fn show(
    file: &CompanyFile,
    session: &Session,
    key: &str,
) -> Result<Option<QboDocumentView>> {
    session.require(Permission::SalesView)?;
    let sale = documents::show(file, session, key).await?;
    let connection = super::stored(file.reader()).await?;
    view_of(file.reader(), connection.as_ref(), &sale.id).await
}

/// The QuickBooks views of several sales (ids), in the order asked, leaving out the sales that
/// did not come from QuickBooks. For the sales list's badges.
pub async fn list(
    file: &CompanyFile,
    session: &Session,
    ids: &[String],
) -> Result<Vec<QboDocumentView>> {
    session.require(Permission::SalesView)?;
    let Some(connection) = super::stored(file.reader()).await? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for id in ids {
        if let Some(v) = view_of(file.reader(), Some(&connection), id.trim()).await? {
            out.push(v);
        }
    }
    Ok(out)
}

/// The web app's address of a transaction: Intuit's production or sandbox host by the
/// connection's API host; none for anything else (the local sandbox, a test server).
pub fn link(api_base: &str, entity: &str, qbo_id: &str) -> Option<String> {
    let api = api_base.trim().trim_end_matches('/');
    let host = if api == Endpoints::production().api_base {
        "app.qbo.intuit.com"
    } else if api == Endpoints::intuit_sandbox().api_base {
        "app.sandbox.qbo.intuit.com"
    } else {
        return None;
    };
    let page = match entity {
        "Invoice" => "invoice",
        "SalesReceipt" => "salesreceipt",
        "CreditMemo" => "creditmemo",
        _ => return None,
    };
    // QuickBooks ids are digits; anything else is not put into an address.
    let id = qbo_id.trim();
    (!id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric()))
        .then(|| format!("https://{host}/app/{page}?txnId={id}"))
}

fn location_of(connection: Option<&Stored>) -> (String, bool) {
    let Some(s) = connection else {
        return ("QuickBooks (no longer set up here)".into(), false);
    };
    if s.local_sandbox {
        return (
            "The demo's local sandbox inside Hesabu (not Intuit's QuickBooks)".into(),
            true,
        );
    }
    let api = s.endpoints.api_base.trim_end_matches('/');
    let words = if api == Endpoints::production().api_base {
        "QuickBooks Online".to_owned()
    } else if api == Endpoints::intuit_sandbox().api_base {
        "Intuit's sandbox company (QuickBooks Online for developers)".to_owned()
    } else {
        format!("A local QuickBooks test server at {api} (not Intuit's QuickBooks)")
    };
    (words, false)
}

fn entity_words(entity: &str) -> &'static str {
    match entity {
        "Invoice" => "invoice",
        "SalesReceipt" => "sales receipt",
        "CreditMemo" => "credit memo",
        _ => "transaction",
    }
}

async fn view_of(
    db: &impl ConnectionTrait,
    connection: Option<&Stored>,
    document_id: &str,
) -> Result<Option<QboDocumentView>> {
    // The transaction it was pulled from (the newest, should the company have been connected
    // to another QuickBooks since).
    let Some(object) = db
        .query_one_raw(stmt(
            "SELECT realm_id, entity, qbo_id, raw_json FROM qbo_object WHERE local_id = ? AND \
             entity IN ('Invoice', 'SalesReceipt', 'CreditMemo') ORDER BY pulled_at DESC LIMIT 1",
            vec![val(document_id)],
        ))
        .await?
    else {
        return Ok(None);
    };
    let entity = text(&object, "entity")?.unwrap_or_default();
    let qbo_id = text(&object, "qbo_id")?.unwrap_or_default();
    let doc_number = text(&object, "raw_json")?
        .and_then(|raw| serde_json::from_str::<HashMap<String, serde_json::Value>>(&raw).ok())
        .and_then(|raw| {
            raw.get("DocNumber")
                .and_then(|d| d.as_str())
                .map(str::to_owned)
        });
    let label = format!(
        "QuickBooks {} {}",
        entity_words(&entity),
        doc_number.as_deref().unwrap_or(&qbo_id)
    );
    let (location, local_sandbox) = location_of(connection);
    let link = connection
        .filter(|s| !s.local_sandbox)
        .and_then(|s| link(&s.endpoints.api_base, &entity, &qbo_id));

    let sale = synced::sale_state(db, document_id).await?;
    let push = super::push::row(db, document_id).await?;
    let outbox = match &push {
        Some(_) => {
            db.query_one_raw(stmt(
                "SELECT id, state, attempts, last_error_message FROM outbox WHERE target = ? \
                 AND idempotency_key = ?",
                vec![
                    val(super::QBO_TARGET),
                    val(&super::push::outbox_key(document_id)),
                ],
            ))
            .await?
        }
        None => None,
    };
    let outbox_id = outbox
        .as_ref()
        .map(|o| text(o, "id"))
        .transpose()?
        .flatten();
    let outbox_state = outbox
        .as_ref()
        .map(|o| text(o, "state"))
        .transpose()?
        .flatten()
        .unwrap_or_default();
    let attempts = outbox
        .as_ref()
        .and_then(|o| o.try_get::<i64>("", "attempts").ok())
        .unwrap_or(0);
    let last_error = push.as_ref().and_then(|p| p.last_error.clone()).or(outbox
        .as_ref()
        .map(|o| text(o, "last_error_message"))
        .transpose()?
        .flatten());

    let status = sale.as_ref().map(|s| s.status);
    let mut fix = None;
    let (stage, words) = match (&push, status) {
        (Some(p), _) if p.state == "done" => {
            let cu = fiscal::submission(db, document_id)
                .await?
                .and_then(|s| s.cu_invoice_no)
                .unwrap_or_default();
            (
                WriteBack::Done,
                format!(
                    "Attached and updated: the KRA receipt is attached to {label} and its CU \
                     invoice number{} and ETR details are written on it.",
                    if cu.is_empty() {
                        String::new()
                    } else {
                        format!(" {cu}")
                    }
                ),
            )
        }
        (Some(_), _) if outbox_state == "dead" => {
            let why = last_error
                .clone()
                .unwrap_or_else(|| "no reason recorded".into());
            fix = Some(
                if why.contains("connected again") || why.contains("connect again") {
                    "Connect QuickBooks again on the QuickBooks page, then retry the item on the Sync \
                 page (or `hesabu sync retry ID`)."
                    .to_owned()
                } else if why.contains("voided") {
                    "It is voided in QuickBooks: see the QuickBooks page's review list; nothing more \
                 is written to it."
                    .to_owned()
                } else {
                    "Do what the reason says, then retry the item on the Sync page (or `hesabu sync \
                 retry ID`)."
                    .to_owned()
                },
            );
            (WriteBack::Failed, format!("Failed: {why}"))
        }
        (Some(_), _) if attempts > 0 && last_error.is_some() => (
            WriteBack::Retrying,
            format!(
                "Retrying after {attempts} attempt(s): {}. It is sent again with a later sync.",
                last_error.clone().unwrap_or_default()
            ),
        ),
        (Some(p), _) if p.state == "attached" => (
            WriteBack::Queued,
            "Queued: the KRA receipt is attached; the CU invoice number and ETR details follow \
             with the next sync."
                .to_owned(),
        ),
        (Some(_), _) => (
            WriteBack::Queued,
            "Queued: the KRA receipt and CU invoice number go to QuickBooks with the next sync."
                .to_owned(),
        ),
        (None, Some(SalesStatus::Fiscalised)) => (
            WriteBack::WaitingForPull,
            "Signed by KRA: the next pull from QuickBooks queues the write-back of its receipt \
             and CU invoice number."
                .to_owned(),
        ),
        (None, Some(SalesStatus::Void)) => (
            WriteBack::NotWrittenBack,
            "Void in Hesabu: nothing is written back to QuickBooks.".to_owned(),
        ),
        (None, _) => (
            WriteBack::AwaitingSignature,
            "Waiting for KRA's signature: its receipt and CU invoice number go to QuickBooks once \
             KRA signs it."
                .to_owned(),
        ),
    };
    let review = db
        .query_one_raw(stmt(
            "SELECT detail FROM qbo_review WHERE document_id = ? AND resolved_at IS NULL ORDER BY \
             created_at DESC, id DESC LIMIT 1",
            vec![val(document_id)],
        ))
        .await?
        .map(|r| text(&r, "detail"))
        .transpose()?
        .flatten();
    Ok(Some(QboDocumentView {
        document_id: document_id.to_owned(),
        entity,
        qbo_id,
        doc_number,
        label,
        stage,
        words,
        fix,
        last_error: matches!(stage, WriteBack::Failed | WriteBack::Retrying)
            .then_some(last_error)
            .flatten(),
        outbox_id,
        attachable_id: push.and_then(|p| p.attachable_id),
        link,
        location,
        local_sandbox,
        review,
    }))
}

#[cfg(test)]
mod tests {
    use super::link;

    #[test]
    fn links_go_to_intuits_web_app_for_its_own_hosts_only() {
        assert_eq!(
            link("https://quickbooks.api.intuit.com", "Invoice", "130").as_deref(),
            Some("https://app.qbo.intuit.com/app/invoice?txnId=130")
        );
        assert_eq!(
            link(
                "https://sandbox-quickbooks.api.intuit.com/",
                "SalesReceipt",
                "9"
            )
            .as_deref(),
            Some("https://app.sandbox.qbo.intuit.com/app/salesreceipt?txnId=9")
        );
        assert_eq!(
            link("https://quickbooks.api.intuit.com", "CreditMemo", "7").as_deref(),
            Some("https://app.qbo.intuit.com/app/creditmemo?txnId=7")
        );
        // A local sandbox or test server has no web app; an odd id is not put in a URL.
        assert_eq!(link("http://127.0.0.1:8790", "Invoice", "130"), None);
        assert_eq!(link("sandbox:local-qbo", "Invoice", "130"), None);
        assert_eq!(
            link("https://quickbooks.api.intuit.com", "Customer", "1"),
            None
        );
        assert_eq!(
            link("https://quickbooks.api.intuit.com", "Invoice", "1&x=2"),
            None
        );
    }
}
