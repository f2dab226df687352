//! The fiscal queue and the status badges: where KRA is with each sale, folded from the sale's
//! status, its submission and its latest send, for the desktop's e-TIMS page and sales list and
//! for `hesabu etims queue` / `etims badge`. Read-only; every service it composes checks its own
//! permission (`SalesView` for the fiscal status and the receipts list, `WorkflowView` for the
//! sends, which are left out for a role without it).

use std::cmp::Reverse;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::receipts::{self, ReceiptQuery, ReceiptRow, ReceiptStatus};
use hesabu_core::sales::fiscal::{self, FiscalState, FiscalStatus};
use hesabu_core::sales::{SalesStatus, SalesType};
use hesabu_core::workflows::{self, ExecutionFilter, ExecutionView};
use hesabu_store::auth::Session;
use hesabu_store::clock::parse_timestamp;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::{Error, Result};
use hesabu_store::permissions::Permission;

/// The most sales the fiscal queue lists per state (awaiting, rejected).
pub const QUEUE_LIMIT: u64 = 500;

/// The most sales one badge request may ask about (a page of the sales list is 100).
pub const BADGES_LIMIT: usize = 500;

/// Where KRA is with a sale, for the status badge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum KraStage {
    /// Not a sale KRA signs (a draft, one awaiting approval, a void one).
    NotForKra,
    /// Issued, not signed yet: not sent, or its number reserved and being sent.
    Awaiting,
    /// Sent without an answer: KRA is asked before anything is sent again.
    Unknown,
    Signed,
    Rejected,
}

/// A sale's e-TIMS status badge.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct FiscalBadge {
    pub document_id: String,
    pub document_number: Option<String>,
    pub document_status: SalesStatus,
    pub stage: KraStage,
    /// The submission's own state (none: never sent).
    pub fiscal_state: Option<FiscalState>,
    /// Awaiting or unknown: seconds since the sale was issued.
    #[ts(type = "number | null")]
    pub waiting_seconds: Option<i64>,
    /// Signed: `{sdcId}/{curRcptNo}`, printed on the receipt.
    pub cu_invoice_no: Option<String>,
    pub signed_at: Option<String>,
    /// KRA's last code and message (not signed), verbatim.
    pub kra_code: Option<String>,
    pub kra_message: Option<String>,
    /// The e-TIMS invoice number the sale holds (or held) at KRA.
    #[ts(type = "number | null")]
    pub invc_no: Option<i64>,
    #[ts(type = "number")]
    pub attempts: i64,
    pub last_attempt_at: Option<String>,
}

/// A sale of the fiscal queue: not signed by KRA yet.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct FiscalQueueRow {
    pub badge: FiscalBadge,
    pub doc_type: SalesType,
    pub customer_name: String,
    pub issue_date: String,
    pub currency: String,
    pub total: String,
    /// The latest send of the sale (its workflow execution): pending | running | completed |
    /// failed | skipped; none when it was never queued or the role cannot see workflows.
    pub send_status: Option<String>,
    pub send_error: Option<String>,
    /// A failed send a person may retry (`workflow_retry`).
    pub retry_execution: Option<String>,
}

/// The badge of a sale's fiscal status; `waiting_seconds`: since it was issued.
pub fn badge_of(status: FiscalStatus, waiting_seconds: Option<i64>) -> FiscalBadge {
    let sub = status.submission;
    let stage = match (&sub, status.document_status) {
        (Some(s), _) if s.state == FiscalState::Signed => KraStage::Signed,
        (_, SalesStatus::Fiscalised) => KraStage::Signed,
        (_, SalesStatus::Draft | SalesStatus::PendingApproval | SalesStatus::Void) => {
            KraStage::NotForKra
        }
        (Some(s), SalesStatus::Issued) => match s.state {
            FiscalState::Unknown => KraStage::Unknown,
            FiscalState::Rejected => KraStage::Rejected,
            FiscalState::Reserved | FiscalState::Signed => KraStage::Awaiting,
        },
        (None, SalesStatus::Issued) => KraStage::Awaiting,
    };
    let waiting = matches!(stage, KraStage::Awaiting | KraStage::Unknown);
    let unsigned = stage != KraStage::Signed;
    FiscalBadge {
        document_id: status.document_id,
        document_number: status.document_number,
        document_status: status.document_status,
        stage,
        fiscal_state: sub.as_ref().map(|s| s.state),
        waiting_seconds: waiting_seconds.filter(|_| waiting),
        cu_invoice_no: sub.as_ref().and_then(|s| s.cu_invoice_no.clone()),
        signed_at: sub.as_ref().and_then(|s| s.signed_at.clone()),
        kra_code: sub
            .as_ref()
            .and_then(|s| s.result_cd.clone())
            .filter(|_| unsigned),
        kra_message: sub
            .as_ref()
            .and_then(|s| s.result_msg.clone())
            .filter(|_| unsigned),
        invc_no: sub.as_ref().and_then(|s| s.invc_no.or(s.released_invc_no)),
        attempts: sub.as_ref().map_or(0, |s| s.attempts),
        last_attempt_at: sub.as_ref().and_then(|s| s.last_attempt_at.clone()),
    }
}

/// A sale's badge (by id or number).
pub async fn badge(file: &CompanyFile, session: &Session, key: &str) -> Result<FiscalBadge> {
    let status = fiscal::status(file, session, key).await?;
    let sale = hesabu_core::sales::documents::show(file, session, &status.document_id).await?;
    let now = file.clock().now();
    let waited = sale
        .issued_at
        .as_deref()
        .and_then(|t| parse_timestamp(t).ok())
        .map(|at| (now - at).num_seconds().max(0));
    Ok(badge_of(status, waited))
}

/// The badges of several sales (a page of the sales list), in the order asked.
pub async fn badges(
    file: &CompanyFile,
    session: &Session,
    keys: &[String],
) -> Result<Vec<FiscalBadge>> {
    if keys.len() > BADGES_LIMIT {
        return Err(Error::invalid(format!(
            "Ask for at most {BADGES_LIMIT} sales' KRA status at a time."
        )));
    }
    let mut out = Vec::with_capacity(keys.len());
    for key in keys {
        out.push(badge(file, session, key).await?);
    }
    Ok(out)
}

/// The latest send (workflow execution) of a sale, when the role may see workflows.
async fn latest_send(
    file: &CompanyFile,
    session: &Session,
    document_id: &str,
) -> Result<Option<ExecutionView>> {
    if !session.may(Permission::WorkflowView) {
        return Ok(None);
    }
    let filter = ExecutionFilter {
        status: None,
        workflow_type: None,
        entity_id: Some(document_id.to_owned()),
        limit: Some(1),
    };
    Ok(workflows::executions(file, session, &filter)
        .await?
        .into_iter()
        .next())
}

fn queue_row(row: ReceiptRow, badge: FiscalBadge, send: Option<ExecutionView>) -> FiscalQueueRow {
    let failed = send.as_ref().filter(|e| e.status == "failed");
    FiscalQueueRow {
        retry_execution: failed.map(|e| e.id.clone()),
        send_error: send.as_ref().and_then(|e| e.error_message.clone()),
        send_status: send.map(|e| e.status),
        badge,
        doc_type: row.doc_type,
        customer_name: row.customer_name,
        issue_date: row.issue_date,
        currency: row.currency,
        total: row.total,
    }
}

/// The fiscal queue: every issued sale KRA has not signed, outcomes unknown first, then those
/// awaiting KRA (longest waiting first), then the rejected ones.
pub async fn queue(file: &CompanyFile, session: &Session) -> Result<Vec<FiscalQueueRow>> {
    let mut out = Vec::new();
    for status in [ReceiptStatus::Awaiting, ReceiptStatus::Rejected] {
        let query = ReceiptQuery {
            status: Some(status),
            limit: Some(QUEUE_LIMIT),
            ..ReceiptQuery::default()
        };
        for row in receipts::list(file, session, &query).await?.rows {
            let fiscal_status = fiscal::status(file, session, &row.document_id).await?;
            let badge = badge_of(fiscal_status, row.awaiting_seconds);
            let send = latest_send(file, session, &row.document_id).await?;
            out.push(queue_row(row, badge, send));
        }
    }
    out.sort_by_key(|r| {
        let rank = match r.badge.stage {
            KraStage::Unknown => 0,
            KraStage::Awaiting => 1,
            _ => 2,
        };
        (
            rank,
            Reverse(r.badge.waiting_seconds.unwrap_or(0)),
            r.issue_date.clone(),
        )
    });
    Ok(out)
}
