//! The e-TIMS outbox target: what the sync worker drains the `etims` rows to.
//!
//! The rows are queued by the five e-TIMS workflows (`hesabu_core::workflows`) with the
//! payload `{workflow, execution_id, entity_type, entity_id, entity_version, entity, options}`
//! and the operation of the workflow. Sales, invoices and credit notes (ordering key
//! `etims:fiscal`: one in flight, FIFO) are signed by [`super::fiscal::send_document`], the
//! safe-send algorithm; crash recovery and lost answers go through
//! [`super::fiscal::check_document`], which asks KRA before anything is resent.
//!
//! Customers and items (`customer.save`, `item.save`, no ordering key) are registered by
//! [`super::masters`]: pre-checks, the PIN looked up, then `saveBhfCustomer` / `saveItem`;
//! a registered, unchanged entity is acknowledged without a call. Both calls are upserts at
//! KRA, so a lost answer is simply sent again (nothing to look up first).
//!
//! Branch users (`branch_user.save`) and the daily pull of KRA's lists (`kra_records.refresh`)
//! are [`super::kra_records`]: the first an upsert too, the second only reads. Answers to
//! suppliers' sales (`purchase.save`, ordering key `etims:fiscal`) are [`super::purchases`].

use std::time::Duration;

use hesabu_core::workflows::executions::ETIMS_TARGET;
use hesabu_etims::Client;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::outbox::{Ack, OutboxItem, RemoteState, SendError, Target, TargetConfig};
use serde_json::Value;

use super::{fiscal, kra_records, masters, purchases, queued, stock};

/// The operations that sign a sale (`WorkflowType::operation`).
const FISCAL_OPERATIONS: [&str; 3] = ["invoice.submit", "credit_note.submit", "sales.submit"];

/// The e-TIMS client of one open company file, as the outbox sees it.
#[derive(Debug, Clone)]
pub struct EtimsTarget {
    file: CompanyFile,
    client: Client,
}

impl EtimsTarget {
    /// The target of `file`'s device, talking through `client` (with the device's key).
    pub fn new(file: CompanyFile, client: Client) -> Self {
        EtimsTarget { file, client }
    }
}

/// What an outbox row asks for.
enum Job {
    /// Sign this sales document.
    Fiscal(String),
    /// Register this customer; `pin_omitted`: the workflow's lenient PIN validation dropped an
    /// invalid PIN.
    Customer { id: String, pin_omitted: bool },
    /// Register (or update) this item.
    Item(String),
    /// Frozen master-data requests (compositions, insurers, imported items): [`queued`].
    Queued,
    /// A stock movement: insertStockIO then saveStockMaster, frozen: [`stock`].
    Stock,
    /// Answer a supplier's sale (`insertTrnsPurchase`, frozen): [`purchases`], with the
    /// answer's version the row was queued for.
    Purchase { id: String, version: Option<i64> },
    /// Register this user as a branch user (`saveBhfUser`): [`kra_records`].
    BranchUser(String),
    /// The daily pull of KRA's reference data and records: [`kra_records`].
    KraRefresh,
    /// An operation this client does not know: the message says which.
    Unsupported(String),
}

fn job_of(item: &OutboxItem) -> Result<Job, SendError> {
    let payload: Value = serde_json::from_str(&item.payload).map_err(|e| {
        SendError::permanent(format!("the outbox row {} is not JSON: {e}", item.id))
    })?;
    let entity_id = payload
        .get("entity_id")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| {
            SendError::permanent(format!(
                "the outbox row {} names no entity (entity_id) to send",
                item.id
            ))
        })?;
    if FISCAL_OPERATIONS.contains(&item.operation.as_str()) {
        return Ok(Job::Fiscal(entity_id));
    }
    if queued::endpoint_of(&item.operation).is_some() {
        return Ok(Job::Queued);
    }
    if item.operation == stock::STOCK_OPERATION {
        return Ok(Job::Stock);
    }
    Ok(match item.operation.as_str() {
        "customer.save" => Job::Customer {
            id: entity_id,
            pin_omitted: payload
                .pointer("/options/pinOmitted")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        },
        "item.save" => Job::Item(entity_id),
        purchases::PURCHASE_OPERATION => Job::Purchase {
            version: purchases::row_version(&payload),
            id: entity_id,
        },
        kra_records::BRANCH_USER_OPERATION => Job::BranchUser(entity_id),
        kra_records::REFRESH_OPERATION => Job::KraRefresh,
        other => Job::Unsupported(format!(
            "The e-TIMS client does not know the operation '{other}'."
        )),
    })
}

#[async_trait::async_trait]
impl Target for EtimsTarget {
    fn name(&self) -> &str {
        ETIMS_TARGET
    }

    fn config(&self) -> TargetConfig {
        hesabu_etims::contract::target_config()
    }

    async fn send(&self, item: &OutboxItem) -> Result<Ack, SendError> {
        match job_of(item)? {
            Job::Fiscal(document_id) => {
                fiscal::send_document(&self.file, &self.client, &document_id).await
            }
            Job::Customer { id, pin_omitted } => {
                masters::send_customer(&self.file, &self.client, &id, pin_omitted).await
            }
            Job::Item(id) => masters::send_item(&self.file, &self.client, &id).await,
            Job::Queued => queued::send(&self.client, item).await,
            Job::Stock => stock::send(&self.client, item).await,
            Job::Purchase { id, version } => {
                purchases::send(&self.file, &self.client, &id, version).await
            }
            Job::BranchUser(id) => {
                kra_records::send_branch_user(&self.file, &self.client, &id).await
            }
            Job::KraRefresh => kra_records::send_refresh(&self.file, &self.client).await,
            Job::Unsupported(message) => Err(SendError::permanent(message)),
        }
    }

    async fn check_before_resend(&self, item: &OutboxItem) -> RemoteState {
        match job_of(item) {
            Ok(Job::Fiscal(document_id)) => {
                fiscal::check_document(&self.file, &self.client, &document_id).await
            }
            // Registrations are upserts keyed by custNo / itemCd: sending again is harmless.
            // So are the queued compositions, insurers and import answers (`queued`).
            // Unknown operations were never sent.
            // Branch users are upserts keyed by userId; the refresh only reads.
            // A stock row is resent whole: KRA's 994 for its sarNo is taken as ours (`stock`).
            // So is a purchase: its frozen number, 994 taken as ours (`purchases`).
            Ok(
                Job::Customer { .. }
                | Job::Item(_)
                | Job::Queued
                | Job::Stock
                | Job::Purchase { .. }
                | Job::BranchUser(_)
                | Job::KraRefresh
                | Job::Unsupported(_),
            )
            | Err(_) => RemoteState::NotReceived,
        }
    }

    /// A TCP connection to the gateway's host: cheap, and it sends KRA nothing (an API call
    /// would count against KRA's rate limit).
    async fn probe(&self) -> bool {
        let Some(addr) = host_port(&self.client.config().base_url) else {
            return false;
        };
        matches!(
            tokio::time::timeout(Duration::from_secs(5), tokio::net::TcpStream::connect(addr))
                .await,
            Ok(Ok(_))
        )
    }
}

/// `host:port` of an http(s) URL (the scheme's port when none is given).
fn host_port(url: &str) -> Option<String> {
    let (scheme, rest) = url.trim().split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit('@').next()?;
    if authority.is_empty() {
        return None;
    }
    let has_port = match authority.rfind(']') {
        Some(close) => authority[close..].contains(':'),
        None => authority.contains(':'),
    };
    if has_port {
        return Some(authority.to_owned());
    }
    let port = match scheme.to_ascii_lowercase().as_str() {
        "https" => 443,
        "http" => 80,
        _ => return None,
    };
    Some(format!("{authority}:{port}"))
}

#[cfg(test)]
mod tests {
    use super::host_port;

    #[test]
    fn probe_addresses() {
        assert_eq!(
            host_port("http://127.0.0.1:4711/etims-api/").as_deref(),
            Some("127.0.0.1:4711")
        );
        assert_eq!(
            host_port("https://etims-api-sbx.kra.go.ke/etims-api/").as_deref(),
            Some("etims-api-sbx.kra.go.ke:443")
        );
        assert_eq!(host_port("not a url"), None);
    }
}
