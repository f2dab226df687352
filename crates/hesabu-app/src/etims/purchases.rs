//! Purchases at KRA e-TIMS (spec §4 rows 18–19, §10; go-live cases 15 and 16): the sales
//! suppliers declared against the company's PIN, reviewed here and answered to KRA.
//!
//! - **Fetch** ([`refresh`], [`refresh_with`]): `selectTrnsPurchaseSalesList` from its own
//!   `resultDt` watermark (the row `purchases` of `etims_kra_sync`), each supplier sale stored
//!   once, keyed by the supplier's PIN, branch and `invcNo` (a refetch adds nothing), with its
//!   lines and band totals verbatim (and KRA's JSON as received), state `awaiting_review`. Each
//!   line gets a proposed item when exactly one of the company's items has the supplier's
//!   `itemCd` as its KRA item code or code, or else exactly the supplier's name. One audited
//!   unit of work per pull (`etims.purchases.refresh`). The daily job `etims_kra_records` runs
//!   it too (`kra_records::send_refresh`).
//! - **Review** ([`map_line`], [`accept`], [`reject`]): a person maps each supplier line to one
//!   of the company's items (or keeps the proposal), then accepts or rejects the purchase. An
//!   answer is one audited unit of work (`etims.purchase.accept` / `.reject`) that takes the
//!   next number of the device's **own** purchase counter (`etims_purchase_counter`, strictly
//!   last + 1, spec §11.3: separate from the sales `invcNo`), freezes the `insertTrnsPurchase`
//!   request (the `spplr*` fields copied verbatim; `regTyCd` A, `pchsTyCd` N, `rcptTyCd` P or R
//!   as fetched, `pchsSttsCd` 02 accepted or 04 cancelled (class 34) rejected) and queues one
//!   `etims` outbox row (operation `purchase.save`, ordering key `etims:fiscal`: FIFO with the
//!   other fiscal writes of the device). An accepted purchase's goods lines are then recorded
//!   as a stock-in (`super::stock::record_movement`) in the same unit of work, after the
//!   purchase row, so KRA hears of the purchase before the stock movement it caused.
//! - **Sending** ([`send`], the outbox target): the frozen JSON as stored. `000`: `confirmed`.
//!   `994` (KRA already holds this number): our earlier attempt was taken, `confirmed` too
//!   (simplification: KRA has no lookup of our purchases, so the duplicate answer is trusted).
//!   A definitive rejection (any other refusal, the integrator's "expected N" included): the
//!   purchase is `rejected_by_kra` with KRA's code and message verbatim, and its number is
//!   released when no later purchase number was taken (the counter goes back by one, as sales
//!   do); otherwise the purchase keeps its number and answering it again re-sends under the
//!   same number. Either way the number is never silently lost: the purchase shows it, or the
//!   counter gives it to the next answer. Retryable failures are the outbox's retries; a
//!   resend after a lost answer is safe (the same number: `994` if KRA took it).
//!
//! Who may do what: listing and showing need `SalesView`; fetching and mapping lines
//! `SalesMasterData`; answering (a fiscal write at KRA) `SalesIssue`.
//!
//! Tables: `migrations/20261204000200_etims_purchases.sql`.

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, QueryResult, Statement, Value};
use serde::Serialize;
use serde_json::json;

use super::device::{self, client_error};
use super::queued::{self, registrar};
use super::reference::no_device;
use hesabu_core::sales::fiscal as ledger;
use hesabu_core::workflows::executions::ETIMS_TARGET;
use hesabu_etims::types::LineItem;
use hesabu_etims::types::purchases::{PurchaseSale, TrnsPurchaseSaveLine, TrnsPurchaseSaveReq};
use hesabu_etims::{Client, ResultClass, Timeouts, dates};
use hesabu_store::audit::AuditDraft;
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::{Error, Result};
use hesabu_store::outbox::{Ack, NewOutboxItem, SendError};
use hesabu_store::permissions::Permission;
use hesabu_store::secrets::SecretStore;
use hesabu_store::uow::UnitOfWork;

/// The outbox operation that sends one frozen `insertTrnsPurchase`.
pub const PURCHASE_OPERATION: &str = "purchase.save";
/// The ordering key of the device's fiscal writes (the sales workflows' rows and stock use it
/// too): one in flight, FIFO, so a purchase reaches KRA before the stock-in it caused.
const FISCAL_ORDERING_KEY: &str = "etims:fiscal";
/// The row of `etims_kra_sync` holding the purchases list's watermark.
pub const PURCHASES_LIST: &str = "purchases";
/// `pchsSttsCd` (class 34) of an accepted purchase: approved.
pub const STATUS_APPROVED: &str = "02";
/// `pchsSttsCd` (class 34) of a rejected purchase: cancelled.
pub const STATUS_CANCELLED: &str = "04";
/// At most this many characters of a rejection reason (KRA's `remark`).
pub const MAX_REASON: usize = 400;

fn statement(db: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(db.get_database_backend(), sql, values)
}

fn opt(text: Option<&str>) -> Value {
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .into()
}

fn amount(value: Option<Decimal>) -> Value {
    value.map(|d| d.normalize().to_string()).into()
}

async fn begin(file: &CompanyFile, session: Option<&Session>) -> Result<UnitOfWork> {
    match session {
        Some(s) => file.begin(s).await,
        None => file.begin_system().await,
    }
}

// ---- states ----------------------------------------------------------------------------------

/// Where a supplier's sale stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PurchaseState {
    /// Fetched from KRA; nobody has answered it yet.
    AwaitingReview,
    /// Answered; the answer waits in the outbox for KRA.
    Queued,
    /// KRA took our answer.
    Confirmed,
    /// KRA refused our answer (its message is kept): answer it again.
    RejectedByKra,
}

impl PurchaseState {
    pub const ALL: [PurchaseState; 4] = [
        PurchaseState::AwaitingReview,
        PurchaseState::Queued,
        PurchaseState::Confirmed,
        PurchaseState::RejectedByKra,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PurchaseState::AwaitingReview => "awaiting_review",
            PurchaseState::Queued => "queued",
            PurchaseState::Confirmed => "confirmed",
            PurchaseState::RejectedByKra => "rejected_by_kra",
        }
    }

    /// The state a person names (`--state awaiting_review`).
    pub fn parse(text: &str) -> Result<PurchaseState> {
        let t = text.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        PurchaseState::ALL
            .into_iter()
            .find(|s| s.as_str() == t)
            .ok_or_else(|| {
                Error::invalid(format!(
                    "There is no purchase state '{text}'. The states are: {}.",
                    PurchaseState::ALL.map(PurchaseState::as_str).join(", ")
                ))
            })
    }

    /// Whether a person may (still) answer it.
    pub fn answerable(self) -> bool {
        matches!(
            self,
            PurchaseState::AwaitingReview | PurchaseState::RejectedByKra
        )
    }
}

/// A person's answer to a supplier's sale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PurchaseAnswer {
    Accepted,
    Rejected,
}

impl PurchaseAnswer {
    pub fn as_str(self) -> &'static str {
        match self {
            PurchaseAnswer::Accepted => "accepted",
            PurchaseAnswer::Rejected => "rejected",
        }
    }
}

// ---- views -----------------------------------------------------------------------------------

/// One supplier line and the company's item it is mapped to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PurchaseLineView {
    pub item_seq: i64,
    /// The supplier's item code, classification and name, as declared.
    pub supplier_item_cd: Option<String>,
    pub supplier_item_cls_cd: Option<String>,
    pub supplier_item_nm: Option<String>,
    /// Exact decimal text, as declared.
    pub quantity: Option<String>,
    pub quantity_unit: Option<String>,
    pub unit_price: Option<String>,
    pub tax_type: Option<String>,
    pub taxable_amount: Option<String>,
    pub tax_amount: Option<String>,
    pub total: Option<String>,
    /// The company's item (none: not mapped and nothing proposed).
    pub item_id: Option<String>,
    pub item_code: Option<String>,
    pub item_name: Option<String>,
    pub kra_item_code: Option<String>,
    /// `user` (a person chose it) or `proposed` (an exact match Hesabu found).
    pub mapped_by: Option<String>,
}

/// A supplier's sale to the company and our answer to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PurchaseView {
    pub id: String,
    pub supplier_tin: String,
    pub supplier_bhf_id: String,
    pub supplier_invc_no: i64,
    /// Verbatim as KRA lists it.
    pub supplier_name: Option<String>,
    pub supplier_sdc_id: Option<String>,
    /// The supplier's receipt type: `S` sale (our purchase `P`) or `R` credit note.
    pub receipt_type: Option<String>,
    pub payment_type: Option<String>,
    /// When the supplier's sale was confirmed, as KRA lists it.
    pub supplier_confirmed_at: Option<String>,
    pub sales_date: Option<String>,
    pub total_taxable: Option<String>,
    pub total_tax: Option<String>,
    pub total: Option<String>,
    pub state: PurchaseState,
    pub answer: Option<PurchaseAnswer>,
    pub reason: Option<String>,
    /// Our purchase number at KRA (the device's purchase counter).
    pub invc_no: Option<i64>,
    pub version: i64,
    /// KRA's answer to our last send, verbatim.
    pub result_cd: Option<String>,
    pub result_msg: Option<String>,
    pub outbox_id: Option<String>,
    /// The outbox row's state: `ready`, `in_flight`, `done` or `dead`.
    pub sync_state: Option<String>,
    pub sync_error: Option<String>,
    pub fetched_at: String,
    pub answered_at: Option<String>,
    pub confirmed_at: Option<String>,
    /// The frozen `insertTrnsPurchase` body (none before an answer).
    pub request_json: Option<String>,
    pub lines: Vec<PurchaseLineView>,
}

// ---- items -----------------------------------------------------------------------------------

/// An item as purchases need it.
#[derive(Debug, Clone)]
struct Item {
    id: String,
    code: String,
    name: String,
    kra_item_code: String,
    classification_code: Option<String>,
    product_type: String,
    active: bool,
}

impl Item {
    fn goods(&self) -> bool {
        self.product_type != "service"
    }
}

const ITEM_COLUMNS: &str =
    "id, code, name, kra_item_code, classification_code, product_type, active";

fn read_item(r: &QueryResult) -> Result<Item> {
    Ok(Item {
        id: r.try_get("", "id")?,
        code: r.try_get("", "code")?,
        name: r.try_get("", "name")?,
        kra_item_code: r.try_get("", "kra_item_code")?,
        classification_code: r.try_get("", "classification_code")?,
        product_type: r.try_get("", "product_type")?,
        active: r.try_get("", "active")?,
    })
}

async fn item_by_id(db: &impl ConnectionTrait, id: &str) -> Result<Option<Item>> {
    db.query_one_raw(statement(
        db,
        &format!("SELECT {ITEM_COLUMNS} FROM item WHERE id = ?"),
        vec![id.into()],
    ))
    .await?
    .map(|r| read_item(&r))
    .transpose()
}

/// The one active item matching a supplier line exactly: its `itemCd` as our KRA item code or
/// code, else its name (trimmed, ignoring case). None when nothing or more than one matches.
async fn propose(db: &impl ConnectionTrait, line: &LineItem) -> Result<Option<Item>> {
    let unique = |rows: Vec<QueryResult>| -> Result<Option<Item>> {
        if rows.len() == 1 {
            read_item(&rows[0]).map(Some)
        } else {
            Ok(None)
        }
    };
    if let Some(code) = line
        .item_cd
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        let rows = db
            .query_all_raw(statement(
                db,
                &format!(
                    "SELECT {ITEM_COLUMNS} FROM item WHERE active AND \
                     (kra_item_code = ? OR code = ?)"
                ),
                vec![code.into(), code.into()],
            ))
            .await?;
        if let Some(item) = unique(rows)? {
            return Ok(Some(item));
        }
    }
    if let Some(name) = line
        .item_nm
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        let rows = db
            .query_all_raw(statement(
                db,
                &format!("SELECT {ITEM_COLUMNS} FROM item WHERE active AND LOWER(TRIM(name)) = ?"),
                vec![name.to_lowercase().into()],
            ))
            .await?;
        return unique(rows);
    }
    Ok(None)
}

// ---- fetching --------------------------------------------------------------------------------

/// What one pull of the purchases list did.
#[derive(Debug, Clone, Serialize)]
pub struct PurchasesRefresh {
    /// The `lastReqDt` sent.
    pub last_req_dt_sent: String,
    /// Supplier sales KRA listed.
    pub received: usize,
    /// Of those, the ones stored now (the others were already here).
    pub new: usize,
    /// The next `lastReqDt` (KRA's `resultDt`).
    pub watermark: Option<String>,
    pub error: Option<String>,
    /// Whether the failure is worth trying again later (KRA unreachable, busy).
    #[serde(skip)]
    pub retryable: bool,
}

async fn watermark(db: &impl ConnectionTrait) -> Result<Option<String>> {
    Ok(db
        .query_one_raw(statement(
            db,
            "SELECT last_req_dt FROM etims_kra_sync WHERE list = ?",
            vec![PURCHASES_LIST.into()],
        ))
        .await?
        .map(|r| r.try_get::<Option<String>>("", "last_req_dt"))
        .transpose()?
        .flatten())
}

/// When the purchases list was last fetched and how the last fetch went.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PurchasesFetchState {
    /// KRA's `resultDt` of the last successful pull (None: never pulled).
    pub last_req_dt: Option<String>,
    /// Our clock at the last successful pull.
    pub refreshed_at: Option<String>,
    /// The last failed pull's message (cleared by a success).
    pub last_error: Option<String>,
}

/// The purchases list's fetch state. Needs `SalesView`.
pub async fn fetch_state(file: &CompanyFile, session: &Session) -> Result<PurchasesFetchState> {
    session.require(Permission::SalesView)?;
    let db = file.reader();
    let Some(r) = db
        .query_one_raw(statement(
            db,
            "SELECT last_req_dt, refreshed_at, last_error FROM etims_kra_sync WHERE list = ?",
            vec![PURCHASES_LIST.into()],
        ))
        .await?
    else {
        return Ok(PurchasesFetchState::default());
    };
    Ok(PurchasesFetchState {
        last_req_dt: r.try_get("", "last_req_dt")?,
        refreshed_at: r.try_get("", "refreshed_at")?,
        last_error: r.try_get("", "last_error")?,
    })
}

/// Pulls the sales suppliers declared against the company's PIN with the device's client.
/// Needs `SalesMasterData` and an e-TIMS device.
pub async fn refresh(
    file: &CompanyFile,
    session: &Session,
    secrets: &dyn SecretStore,
    timeouts: Timeouts,
) -> Result<PurchasesRefresh> {
    session.require(Permission::SalesMasterData)?;
    let client = device::client(file, secrets, timeouts)
        .await?
        .ok_or_else(no_device)?;
    refresh_with(file, Some(session), &client).await
}

/// The pull itself (see the module docs), with `client`; the session is the audit actor (none:
/// the system, the daily job). A failed pull is recorded (`last_error`) and reported, not an
/// error.
pub async fn refresh_with(
    file: &CompanyFile,
    session: Option<&Session>,
    client: &Client,
) -> Result<PurchasesRefresh> {
    let previous = watermark(file.reader()).await?;
    let sent = previous
        .clone()
        .unwrap_or_else(|| dates::EPOCH_LAST_REQ_DT.to_owned());
    let answer = client.purchase_sales(&sent).await;
    let mut uow = begin(file, session).await?;
    let now = uow.now_text();
    uow.db()
        .execute_raw(statement(
            uow.db(),
            "INSERT INTO etims_kra_sync (list, updated_at) VALUES (?, ?) \
             ON CONFLICT (list) DO NOTHING",
            vec![PURCHASES_LIST.into(), now.clone().into()],
        ))
        .await?;
    let reply = match answer {
        Ok(reply) => reply,
        Err(e) => {
            let retryable = e.class() == ResultClass::Retryable;
            let message =
                client_error("Could not pull selectTrnsPurchaseSalesList from KRA", &e).to_string();
            uow.db()
                .execute_raw(statement(
                    uow.db(),
                    "UPDATE etims_kra_sync SET last_error = ?, updated_at = ? WHERE list = ?",
                    vec![message.clone().into(), now.into(), PURCHASES_LIST.into()],
                ))
                .await?;
            uow.audit(AuditDraft {
                action: "etims.purchases.refresh",
                entity_type: "etims_kra_records",
                entity_id: PURCHASES_LIST.into(),
                before: None,
                after: Some(json!({ "last_req_dt": sent, "error": message })),
            })
            .await?;
            uow.commit().await?;
            return Ok(PurchasesRefresh {
                last_req_dt_sent: sent,
                received: 0,
                new: 0,
                watermark: previous,
                error: Some(message),
                retryable,
            });
        }
    };
    let sales = reply.data.map(|d| d.sale_list).unwrap_or_default();
    let mut new = 0;
    for sale in &sales {
        if store_sale(&mut uow, sale, &now).await? {
            new += 1;
        }
    }
    let mark = reply.result_dt.clone().or(previous);
    uow.db()
        .execute_raw(statement(
            uow.db(),
            "UPDATE etims_kra_sync SET last_req_dt = ?, refreshed_at = ?, last_error = NULL, \
             full_since_at = COALESCE(full_since_at, ?), updated_at = ? WHERE list = ?",
            vec![
                mark.clone().into(),
                now.clone().into(),
                (sent == dates::EPOCH_LAST_REQ_DT)
                    .then(|| now.clone())
                    .into(),
                now.clone().into(),
                PURCHASES_LIST.into(),
            ],
        ))
        .await?;
    uow.audit(AuditDraft {
        action: "etims.purchases.refresh",
        entity_type: "etims_kra_records",
        entity_id: PURCHASES_LIST.into(),
        before: None,
        after: Some(json!({
            "last_req_dt": sent,
            "received": sales.len(),
            "new": new,
            "watermark": mark,
        })),
    })
    .await?;
    uow.commit().await?;
    Ok(PurchasesRefresh {
        last_req_dt_sent: sent,
        received: sales.len(),
        new,
        watermark: mark,
        error: None,
        retryable: false,
    })
}

/// Stores one supplier sale unless it is already here (its key: the supplier's PIN, branch and
/// `invcNo`). Returns whether it was new. A sale without those three cannot be answered and is
/// skipped (simplification: KRA always sends them).
async fn store_sale(uow: &mut UnitOfWork, sale: &PurchaseSale, now: &str) -> Result<bool> {
    let (Some(tin), Some(number)) = (
        sale.spplr_tin
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty()),
        sale.spplr_invc_no.and_then(|n| i64::try_from(n).ok()),
    ) else {
        return Ok(false);
    };
    let bhf = sale
        .spplr_bhf_id
        .as_deref()
        .map(str::trim)
        .filter(|b| !b.is_empty())
        .unwrap_or("00");
    let exists = uow
        .db()
        .query_one_raw(statement(
            uow.db(),
            "SELECT id FROM etims_purchase WHERE spplr_tin = ? AND spplr_bhf_id = ? \
             AND spplr_invc_no = ?",
            vec![tin.into(), bhf.into(), number.into()],
        ))
        .await?
        .is_some();
    if exists {
        return Ok(false);
    }
    let id = uow.new_id();
    let record = serde_json::to_string(sale)
        .map_err(|e| Error::Internal(format!("a supplier sale: {e}")))?;
    let values: Vec<Value> = vec![
        id.clone().into(),
        tin.into(),
        bhf.into(),
        number.into(),
        // spplrNm verbatim: the integrator compares it exactly, spaces included.
        sale.spplr_nm.clone().into(),
        opt(sale.spplr_sdc_id.as_deref()),
        opt(sale.spplr_mrc_no.as_deref()),
        opt(sale.rcpt_ty_cd.as_deref()),
        opt(sale.pmt_ty_cd.as_deref()),
        opt(sale.cfm_dt.as_deref()),
        opt(sale.sales_dt.as_deref()),
        opt(sale.stock_rls_dt.as_deref()),
        sale.tot_item_cnt.map(i64::from).into(),
        amount(sale.taxbl_amt_a),
        amount(sale.taxbl_amt_b),
        amount(sale.taxbl_amt_c),
        amount(sale.taxbl_amt_d),
        amount(sale.taxbl_amt_e),
        amount(sale.tax_rt_a),
        amount(sale.tax_rt_b),
        amount(sale.tax_rt_c),
        amount(sale.tax_rt_d),
        amount(sale.tax_rt_e),
        amount(sale.tax_amt_a),
        amount(sale.tax_amt_b),
        amount(sale.tax_amt_c),
        amount(sale.tax_amt_d),
        amount(sale.tax_amt_e),
        amount(sale.tot_taxbl_amt),
        amount(sale.tot_tax_amt),
        amount(sale.tot_amt),
        opt(sale.remark.as_deref()),
        record.into(),
        PurchaseState::AwaitingReview.as_str().into(),
        now.into(),
        now.into(),
    ];
    uow.db()
        .execute_raw(statement(
            uow.db(),
            "INSERT INTO etims_purchase (id, spplr_tin, spplr_bhf_id, spplr_invc_no, spplr_nm, \
             spplr_sdc_id, spplr_mrc_no, rcpt_ty_cd, pmt_ty_cd, cfm_dt, sales_dt, stock_rls_dt, \
             tot_item_cnt, taxbl_amt_a, taxbl_amt_b, taxbl_amt_c, taxbl_amt_d, taxbl_amt_e, \
             tax_rt_a, tax_rt_b, tax_rt_c, tax_rt_d, tax_rt_e, tax_amt_a, tax_amt_b, tax_amt_c, \
             tax_amt_d, tax_amt_e, tot_taxbl_amt, tot_tax_amt, tot_amt, remark, record_json, \
             state, version, fetched_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, \
             ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
            values,
        ))
        .await?;
    for (line, position) in sale.item_list.iter().zip(1i64..) {
        let seq = line.item_seq.map_or(position, i64::from);
        let proposal = propose(uow.db(), line).await?;
        let line_json = serde_json::to_string(line)
            .map_err(|e| Error::Internal(format!("a supplier line: {e}")))?;
        uow.db()
            .execute_raw(statement(
                uow.db(),
                "INSERT INTO etims_purchase_line (purchase_id, item_seq, item_cd, item_cls_cd, \
                 item_nm, bcd, pkg_unit_cd, pkg, qty_unit_cd, qty, prc, sply_amt, dc_rt, \
                 dc_amt, tax_ty_cd, taxbl_amt, tax_amt, tot_amt, item_expr_dt, line_json, \
                 item_id, mapped_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, \
                 ?, ?, ?, ?, ?) ON CONFLICT (purchase_id, item_seq) DO NOTHING",
                vec![
                    id.clone().into(),
                    seq.into(),
                    opt(line.item_cd.as_deref()),
                    opt(line.item_cls_cd.as_deref()),
                    line.item_nm.clone().into(),
                    opt(line.bcd.as_deref()),
                    opt(line.pkg_unit_cd.as_deref()),
                    amount(line.pkg),
                    opt(line.qty_unit_cd.as_deref()),
                    amount(line.qty),
                    amount(line.prc),
                    amount(line.sply_amt),
                    amount(line.dc_rt),
                    amount(line.dc_amt),
                    opt(line.tax_ty_cd.as_deref()),
                    amount(line.taxbl_amt),
                    amount(line.tax_amt),
                    amount(line.tot_amt),
                    opt(line.item_expr_dt.as_deref()),
                    line_json.into(),
                    proposal.as_ref().map(|i| i.id.clone()).into(),
                    proposal.as_ref().map(|_| "proposed".to_owned()).into(),
                ],
            ))
            .await?;
    }
    Ok(true)
}

// ---- reading ---------------------------------------------------------------------------------

const PURCHASE_COLUMNS: &str = "id, spplr_tin, spplr_bhf_id, spplr_invc_no, spplr_nm, \
     spplr_sdc_id, rcpt_ty_cd, pmt_ty_cd, cfm_dt, sales_dt, tot_taxbl_amt, tot_tax_amt, tot_amt, \
     state, answer, reason, invc_no, version, result_cd, result_msg, outbox_id, fetched_at, \
     answered_at, confirmed_at, request_json, record_json";

/// A stored purchase row with what `show` and the answers need.
struct Row {
    view: PurchaseView,
    record_json: String,
}

fn read_state(text: &str) -> Result<PurchaseState> {
    PurchaseState::parse(text)
        .map_err(|_| Error::Internal(format!("etims_purchase.state '{text}' is not a state")))
}

async fn read_row(db: &impl ConnectionTrait, r: &QueryResult, lines: bool) -> Result<Row> {
    let id: String = r.try_get("", "id")?;
    let state: String = r.try_get("", "state")?;
    let answer: Option<String> = r.try_get("", "answer")?;
    let outbox_id: Option<String> = r.try_get("", "outbox_id")?;
    let (sync_state, sync_error) = queued::outbox_state(db, outbox_id.as_deref()).await?;
    let view = PurchaseView {
        supplier_tin: r.try_get("", "spplr_tin")?,
        supplier_bhf_id: r.try_get("", "spplr_bhf_id")?,
        supplier_invc_no: r.try_get("", "spplr_invc_no")?,
        supplier_name: r.try_get("", "spplr_nm")?,
        supplier_sdc_id: r.try_get("", "spplr_sdc_id")?,
        receipt_type: r.try_get("", "rcpt_ty_cd")?,
        payment_type: r.try_get("", "pmt_ty_cd")?,
        supplier_confirmed_at: r.try_get("", "cfm_dt")?,
        sales_date: r.try_get("", "sales_dt")?,
        total_taxable: r.try_get("", "tot_taxbl_amt")?,
        total_tax: r.try_get("", "tot_tax_amt")?,
        total: r.try_get("", "tot_amt")?,
        state: read_state(&state)?,
        answer: match answer.as_deref() {
            Some("accepted") => Some(PurchaseAnswer::Accepted),
            Some("rejected") => Some(PurchaseAnswer::Rejected),
            _ => None,
        },
        reason: r.try_get("", "reason")?,
        invc_no: r.try_get("", "invc_no")?,
        version: r.try_get("", "version")?,
        result_cd: r.try_get("", "result_cd")?,
        result_msg: r.try_get("", "result_msg")?,
        outbox_id,
        sync_state,
        sync_error,
        fetched_at: r.try_get("", "fetched_at")?,
        answered_at: r.try_get("", "answered_at")?,
        confirmed_at: r.try_get("", "confirmed_at")?,
        request_json: r.try_get("", "request_json")?,
        lines: if lines {
            read_lines(db, &id).await?
        } else {
            Vec::new()
        },
        id,
    };
    Ok(Row {
        view,
        record_json: r.try_get("", "record_json")?,
    })
}

async fn read_lines(db: &impl ConnectionTrait, purchase_id: &str) -> Result<Vec<PurchaseLineView>> {
    let rows = db
        .query_all_raw(statement(
            db,
            "SELECT l.item_seq, l.item_cd, l.item_cls_cd, l.item_nm, l.qty, l.qty_unit_cd, \
             l.prc, l.tax_ty_cd, l.taxbl_amt, l.tax_amt, l.tot_amt, l.line_json, l.item_id, \
             l.mapped_by, i.code, i.name, i.kra_item_code \
             FROM etims_purchase_line l LEFT JOIN item i ON i.id = l.item_id \
             WHERE l.purchase_id = ? ORDER BY l.item_seq",
            vec![purchase_id.into()],
        ))
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let mut line = PurchaseLineView {
            item_seq: r.try_get("", "item_seq")?,
            supplier_item_cd: r.try_get("", "item_cd")?,
            supplier_item_cls_cd: r.try_get("", "item_cls_cd")?,
            supplier_item_nm: r.try_get("", "item_nm")?,
            quantity: r.try_get("", "qty")?,
            quantity_unit: r.try_get("", "qty_unit_cd")?,
            unit_price: r.try_get("", "prc")?,
            tax_type: r.try_get("", "tax_ty_cd")?,
            taxable_amount: r.try_get("", "taxbl_amt")?,
            tax_amount: r.try_get("", "tax_amt")?,
            total: r.try_get("", "tot_amt")?,
            item_id: r.try_get("", "item_id")?,
            item_code: r.try_get("", "code")?,
            item_name: r.try_get("", "name")?,
            kra_item_code: r.try_get("", "kra_item_code")?,
            mapped_by: r.try_get("", "mapped_by")?,
        };
        // An unmapped line shows what accepting would take: a proposal found now (an item
        // added since the fetch).
        if line.item_id.is_none() {
            let json: String = r.try_get("", "line_json")?;
            let supplier: LineItem = serde_json::from_str(&json).unwrap_or_default();
            if let Some(item) = propose(db, &supplier).await? {
                line.item_id = Some(item.id);
                line.item_code = Some(item.code);
                line.item_name = Some(item.name);
                line.kra_item_code = Some(item.kra_item_code);
                line.mapped_by = Some("proposed".into());
            }
        }
        out.push(line);
    }
    Ok(out)
}

async fn load(db: &impl ConnectionTrait, id: &str) -> Result<Row> {
    let id = id.trim();
    let row = db
        .query_one_raw(statement(
            db,
            &format!("SELECT {PURCHASE_COLUMNS} FROM etims_purchase WHERE id = ?"),
            vec![id.into()],
        ))
        .await?
        .ok_or_else(|| {
            Error::NotFound(format!(
                "There is no supplier purchase '{id}'; it may not be fetched from KRA yet \
                 (`hesabu etims purchases list` shows those fetched)."
            ))
        })?;
    read_row(db, &row, true).await
}

/// The supplier sales fetched, newest first, optionally only those in `state`. Needs
/// `SalesView`. Lines are left out (see [`show`]).
pub async fn list(
    file: &CompanyFile,
    session: &Session,
    state: Option<PurchaseState>,
) -> Result<Vec<PurchaseView>> {
    session.require(Permission::SalesView)?;
    let db = file.reader();
    let (filter, values): (&str, Vec<Value>) = match state {
        Some(s) => ("WHERE state = ?", vec![s.as_str().into()]),
        None => ("", vec![]),
    };
    let rows = db
        .query_all_raw(statement(
            db,
            &format!(
                "SELECT {PURCHASE_COLUMNS} FROM etims_purchase {filter} \
                 ORDER BY fetched_at DESC, spplr_tin, spplr_invc_no DESC"
            ),
            values,
        ))
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        out.push(read_row(db, r, false).await?.view);
    }
    Ok(out)
}

/// One supplier sale with its lines and their mapping. Needs `SalesView`.
pub async fn show(file: &CompanyFile, session: &Session, id: &str) -> Result<PurchaseView> {
    session.require(Permission::SalesView)?;
    Ok(load(file.reader(), id).await?.view)
}

// ---- mapping ---------------------------------------------------------------------------------

fn already_answered(view: &PurchaseView) -> Error {
    let answer = view.answer.map_or("answered", PurchaseAnswer::as_str);
    let number = view
        .invc_no
        .map(|n| format!(" as purchase {n}"))
        .unwrap_or_default();
    Error::Conflict(format!(
        "The purchase from {} (their invoice {}) is already {answer}{number} ({}); it cannot be \
         changed or answered again{}.",
        view.supplier_name.as_deref().unwrap_or(&view.supplier_tin),
        view.supplier_invc_no,
        view.state.as_str(),
        if view.state == PurchaseState::Queued {
            " while KRA has not answered"
        } else {
            ""
        }
    ))
}

/// Maps line `item_seq` of purchase `id` to the company's item `item_key` (its code, KRA item
/// code, barcode or id). Only while the purchase may be answered. One audited unit of work
/// (`etims.purchase.map`). Needs `SalesMasterData`.
pub async fn map_line(
    file: &CompanyFile,
    session: &Session,
    id: &str,
    item_seq: i64,
    item_key: &str,
) -> Result<PurchaseView> {
    session.require(Permission::SalesMasterData)?;
    let mut uow = file.begin(session).await?;
    let row = load(uow.db(), id).await?;
    if !row.view.state.answerable() {
        return Err(already_answered(&row.view));
    }
    let Some(line) = row.view.lines.iter().find(|l| l.item_seq == item_seq) else {
        return Err(Error::NotFound(format!(
            "The purchase from {} has no line {item_seq}; its lines are {}.",
            row.view
                .supplier_name
                .as_deref()
                .unwrap_or(&row.view.supplier_tin),
            row.view
                .lines
                .iter()
                .map(|l| l.item_seq.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    };
    let found = queued::find_item(uow.db(), item_key).await?;
    let item = item_by_id(uow.db(), &found.id)
        .await?
        .ok_or_else(|| Error::Internal("the item just found is missing".into()))?;
    if !item.active {
        return Err(Error::invalid(format!(
            "Item {} ({}) is inactive: reactivate it or map line {item_seq} to another item.",
            item.code, item.name
        )));
    }
    uow.db()
        .execute_raw(statement(
            uow.db(),
            "UPDATE etims_purchase_line SET item_id = ?, mapped_by = 'user' \
             WHERE purchase_id = ? AND item_seq = ?",
            vec![
                item.id.clone().into(),
                row.view.id.clone().into(),
                item_seq.into(),
            ],
        ))
        .await?;
    uow.db()
        .execute_raw(statement(
            uow.db(),
            "UPDATE etims_purchase SET updated_at = ? WHERE id = ?",
            vec![uow.now_text().into(), row.view.id.clone().into()],
        ))
        .await?;
    uow.audit(AuditDraft {
        action: "etims.purchase.map",
        entity_type: "etims_purchase",
        entity_id: row.view.id.clone(),
        before: Some(
            json!({ "item_seq": item_seq, "item_id": line.item_id, "mapped_by": line.mapped_by }),
        ),
        after: Some(json!({ "item_seq": item_seq, "item_id": item.id, "item": item.code })),
    })
    .await?;
    let after = load(uow.db(), &row.view.id).await?.view;
    uow.commit().await?;
    Ok(after)
}

// ---- answering -------------------------------------------------------------------------------

/// Accepts purchase `id`: every line must be mapped (or have a proposal) to an active item.
/// See the module docs. Needs `SalesIssue` and an e-TIMS device.
pub async fn accept(file: &CompanyFile, session: &Session, id: &str) -> Result<PurchaseView> {
    answer(file, session, id, PurchaseAnswer::Accepted, None).await
}

/// Rejects purchase `id` with `reason` (sent as KRA's `remark`). Lines need no mapping. Needs
/// `SalesIssue` and an e-TIMS device.
pub async fn reject(
    file: &CompanyFile,
    session: &Session,
    id: &str,
    reason: &str,
) -> Result<PurchaseView> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Error::invalid(
            "Say why the purchase is rejected (--reason), e.g. 'goods never delivered'.",
        ));
    }
    if reason.chars().count() > MAX_REASON {
        return Err(Error::invalid(format!(
            "The reason has {} characters; KRA keeps at most {MAX_REASON}. Shorten it.",
            reason.chars().count()
        )));
    }
    answer(file, session, id, PurchaseAnswer::Rejected, Some(reason)).await
}

/// The next number of the device's purchase counter (strictly last + 1), taken in `uow`.
async fn next_number(uow: &UnitOfWork, tin: &str, bhf_id: &str) -> Result<i64> {
    let now = uow.now_text();
    uow.db()
        .execute_raw(statement(
            uow.db(),
            "INSERT INTO etims_purchase_counter (tin, bhf_id, last_invc_no, updated_at) \
             VALUES (?, ?, 0, ?) ON CONFLICT (tin, bhf_id) DO NOTHING",
            vec![tin.into(), bhf_id.into(), now.clone().into()],
        ))
        .await?;
    let last: i64 = uow
        .db()
        .query_one_raw(statement(
            uow.db(),
            "SELECT last_invc_no FROM etims_purchase_counter WHERE tin = ? AND bhf_id = ?",
            vec![tin.into(), bhf_id.into()],
        ))
        .await?
        .map(|r| r.try_get("", "last_invc_no"))
        .transpose()?
        .unwrap_or(0);
    let next = last + 1;
    uow.db()
        .execute_raw(statement(
            uow.db(),
            "UPDATE etims_purchase_counter SET last_invc_no = ?, updated_at = ? \
             WHERE tin = ? AND bhf_id = ?",
            vec![next.into(), now.into(), tin.into(), bhf_id.into()],
        ))
        .await?;
    Ok(next)
}

/// The last purchase number the device's counter gave out (0: none yet).
pub async fn last_number(file: &CompanyFile, session: &Session) -> Result<i64> {
    session.require(Permission::SalesView)?;
    let db = file.reader();
    let Some(device) = ledger::device(db).await? else {
        return Ok(0);
    };
    Ok(db
        .query_one_raw(statement(
            db,
            "SELECT last_invc_no FROM etims_purchase_counter WHERE tin = ? AND bhf_id = ?",
            vec![device.tin.into(), device.bhf_id.into()],
        ))
        .await?
        .map(|r| r.try_get("", "last_invc_no"))
        .transpose()?
        .unwrap_or(0))
}

/// `yyyyMMdd` of the supplier's sale (its `salesDt`, else the day of its `cfmDt`), else today.
fn purchase_day(sale: &PurchaseSale, now: DateTime<Utc>) -> NaiveDate {
    [sale.sales_dt.as_deref(), sale.cfm_dt.as_deref()]
        .into_iter()
        .flatten()
        .find_map(|t| dates::parse_date(t).ok())
        .unwrap_or_else(|| now.with_timezone(&dates::NAIROBI).date_naive())
}

struct Mapped<'a> {
    line: &'a LineItem,
    seq: u32,
    item: Option<Item>,
}

fn build_request(
    sale: &PurchaseSale,
    lines: &[Mapped<'_>],
    invc_no: i64,
    answer: PurchaseAnswer,
    reason: Option<&str>,
    now: DateTime<Utc>,
    who: (String, String),
) -> TrnsPurchaseSaveReq {
    let z = |d: Option<Decimal>| d.unwrap_or(Decimal::ZERO);
    let accepted = answer == PurchaseAnswer::Accepted;
    let item_list = lines
        .iter()
        .map(|m| {
            let l = m.line;
            TrnsPurchaseSaveLine {
                item_seq: m.seq,
                item_cd: m.item.as_ref().map(|i| i.kra_item_code.clone()),
                item_cls_cd: m
                    .item
                    .as_ref()
                    .and_then(|i| i.classification_code.clone())
                    .or_else(|| l.item_cls_cd.clone()),
                item_nm: m
                    .item
                    .as_ref()
                    .map(|i| i.name.clone())
                    .or_else(|| l.item_nm.clone())
                    .unwrap_or_default(),
                bcd: l.bcd.clone(),
                spplr_item_cls_cd: l.item_cls_cd.clone(),
                spplr_item_cd: l.item_cd.clone(),
                spplr_item_nm: l.item_nm.clone(),
                pkg_unit_cd: l.pkg_unit_cd.clone(),
                pkg: l.pkg.or(l.qty).unwrap_or(Decimal::ZERO),
                qty_unit_cd: l.qty_unit_cd.clone(),
                qty: z(l.qty),
                prc: z(l.prc),
                sply_amt: z(l.sply_amt),
                dc_rt: z(l.dc_rt),
                dc_amt: z(l.dc_amt.or(l.tot_dc_amt)),
                taxbl_amt: z(l.taxbl_amt),
                tax_ty_cd: l.tax_ty_cd.clone().unwrap_or_default(),
                tax_amt: z(l.tax_amt),
                tot_amt: z(l.tot_amt),
                item_expr_dt: l.item_expr_dt.clone(),
            }
        })
        .collect::<Vec<_>>();
    let (regr_id, regr_nm) = who;
    TrnsPurchaseSaveReq {
        invc_no: u64::try_from(invc_no).unwrap_or(0),
        org_invc_no: 0,
        spplr_tin: sale.spplr_tin.clone(),
        spplr_bhf_id: sale.spplr_bhf_id.clone(),
        spplr_nm: sale.spplr_nm.clone(),
        spplr_invc_no: sale.spplr_invc_no,
        spplr_sdc_id: sale.spplr_sdc_id.clone(),
        spplr_mrc_no: sale.spplr_mrc_no.clone(),
        reg_ty_cd: "A".into(),
        pchs_ty_cd: "N".into(),
        rcpt_ty_cd: if sale.rcpt_ty_cd.as_deref().map(str::trim) == Some("R") {
            "R".into()
        } else {
            "P".into()
        },
        pmt_ty_cd: sale.pmt_ty_cd.clone(),
        pchs_stts_cd: if accepted {
            STATUS_APPROVED
        } else {
            STATUS_CANCELLED
        }
        .into(),
        cfm_dt: dates::format_datetime(&now),
        pchs_dt: dates::format_naive_date(purchase_day(sale, now)),
        // The goods enter the warehouse when the purchase is accepted.
        wrhs_dt: accepted.then(|| dates::format_datetime(&now)),
        cncl_req_dt: None,
        cncl_dt: (!accepted).then(|| dates::format_datetime(&now)),
        rfd_dt: None,
        tot_item_cnt: sale
            .tot_item_cnt
            .unwrap_or_else(|| u32::try_from(lines.len()).unwrap_or(u32::MAX)),
        taxbl_amt_a: z(sale.taxbl_amt_a),
        taxbl_amt_b: z(sale.taxbl_amt_b),
        taxbl_amt_c: z(sale.taxbl_amt_c),
        taxbl_amt_d: z(sale.taxbl_amt_d),
        taxbl_amt_e: z(sale.taxbl_amt_e),
        tax_rt_a: z(sale.tax_rt_a),
        tax_rt_b: z(sale.tax_rt_b),
        tax_rt_c: z(sale.tax_rt_c),
        tax_rt_d: z(sale.tax_rt_d),
        tax_rt_e: z(sale.tax_rt_e),
        tax_amt_a: z(sale.tax_amt_a),
        tax_amt_b: z(sale.tax_amt_b),
        tax_amt_c: z(sale.tax_amt_c),
        tax_amt_d: z(sale.tax_amt_d),
        tax_amt_e: z(sale.tax_amt_e),
        tot_taxbl_amt: z(sale.tot_taxbl_amt),
        tot_tax_amt: z(sale.tot_tax_amt),
        tot_amt: z(sale.tot_amt),
        remark: reason.map(str::to_owned),
        regr_id: regr_id.clone(),
        regr_nm: regr_nm.clone(),
        modr_id: regr_id,
        modr_nm: regr_nm,
        item_list,
    }
}

async fn answer(
    file: &CompanyFile,
    session: &Session,
    id: &str,
    answer: PurchaseAnswer,
    reason: Option<&str>,
) -> Result<PurchaseView> {
    session.require(Permission::SalesIssue)?;
    let mut uow = file.begin(session).await?;
    let device = ledger::device(uow.db()).await?.ok_or_else(no_device)?;
    let row = load(uow.db(), id).await?;
    let before = row.view;
    if !before.state.answerable() {
        return Err(already_answered(&before));
    }
    let sale: PurchaseSale = serde_json::from_str(&row.record_json).map_err(|e| {
        Error::Internal(format!(
            "the stored supplier sale {} is unreadable: {e}",
            before.id
        ))
    })?;
    // Each supplier line with the item it maps to (the stored mapping, else a proposal now).
    let mut mapped = Vec::with_capacity(sale.item_list.len());
    let mut unmapped = Vec::new();
    for (line, position) in sale.item_list.iter().zip(1u32..) {
        let seq = line.item_seq.unwrap_or(position);
        let stored = before.lines.iter().find(|l| l.item_seq == i64::from(seq));
        let item = match stored.and_then(|l| l.item_id.as_deref()) {
            Some(item_id) => Some(item_by_id(uow.db(), item_id).await?.ok_or_else(|| {
                Error::NotFound(format!(
                    "Line {seq} of the purchase is mapped to an item that no longer exists: map \
                     it again (`hesabu etims purchases map {} {seq} ITEM`).",
                    before.id
                ))
            })?),
            None => None,
        };
        if answer == PurchaseAnswer::Accepted {
            match &item {
                None => unmapped.push(format!(
                    "line {seq} ({})",
                    line.item_nm.as_deref().unwrap_or("no name")
                )),
                Some(i) if !i.active => {
                    return Err(Error::invalid(format!(
                        "Line {seq} is mapped to item {} ({}), which is inactive: reactivate it \
                         or map the line to another item.",
                        i.code, i.name
                    )));
                }
                Some(_) => {}
            }
        }
        mapped.push(Mapped { line, seq, item });
    }
    if !unmapped.is_empty() {
        return Err(Error::invalid(format!(
            "The purchase cannot be accepted: {} {} not mapped to one of the company's items. \
             Map each to one of your items (`hesabu etims purchases map {} LINE ITEM`), or \
             reject the purchase.",
            unmapped.join(", "),
            if unmapped.len() == 1 { "is" } else { "are" },
            before.id
        )));
    }
    if mapped.is_empty() && answer == PurchaseAnswer::Accepted {
        return Err(Error::invalid(
            "The supplier's sale has no lines, so there is nothing to accept; reject it instead.",
        ));
    }
    // A purchase KRA refused keeps the number it was sent with while a later one was taken:
    // answering again re-sends it under the same number (nothing is lost).
    let invc_no = match before.invc_no {
        Some(n) => n,
        None => next_number(&uow, &device.tin, &device.bhf_id).await?,
    };
    let now = uow.now();
    let request = build_request(
        &sale,
        &mapped,
        invc_no,
        answer,
        reason,
        now,
        registrar(session),
    );
    let json = request
        .to_json()
        .map_err(|e| Error::Internal(format!("the purchase request could not be written: {e}")))?;
    let version = before.version + 1;
    let now_text = uow.now_text();
    let outbox_id = uow
        .enqueue(NewOutboxItem {
            target: ETIMS_TARGET.into(),
            operation: PURCHASE_OPERATION.into(),
            payload: json!({
                "entity_type": "etims_purchase",
                "entity_id": before.id,
                "entity_version": version,
            }),
            idempotency_key: queued::idempotency_key("pchs", &before.id, version),
            ordering_key: Some(FISCAL_ORDERING_KEY.into()),
            auto_retry: true,
        })
        .await?;
    uow.db()
        .execute_raw(statement(
            uow.db(),
            "UPDATE etims_purchase SET state = ?, answer = ?, reason = ?, invc_no = ?, \
             request_json = ?, outbox_id = ?, version = ?, result_cd = NULL, result_msg = NULL, \
             answered_by = ?, answered_at = ?, updated_at = ? WHERE id = ?",
            vec![
                PurchaseState::Queued.as_str().into(),
                answer.as_str().into(),
                reason.map(str::to_owned).into(),
                invc_no.into(),
                json.clone().into(),
                outbox_id.clone().into(),
                version.into(),
                session.user_id().to_owned().into(),
                now_text.clone().into(),
                now_text.clone().into(),
                before.id.clone().into(),
            ],
        ))
        .await?;
    // The mapping used (proposals included) is what was sent: keep it.
    for m in &mapped {
        if let Some(item) = &m.item {
            uow.db()
                .execute_raw(statement(
                    uow.db(),
                    "UPDATE etims_purchase_line SET item_id = ?, \
                     mapped_by = COALESCE(mapped_by, 'proposed') \
                     WHERE purchase_id = ? AND item_seq = ?",
                    vec![
                        item.id.clone().into(),
                        before.id.clone().into(),
                        i64::from(m.seq).into(),
                    ],
                ))
                .await?;
        }
    }
    // The stock-in the purchase causes, after the purchase row (FIFO per target): KRA wants the
    // purchase confirmed before the stock movement.
    let stock_movement = if answer == PurchaseAnswer::Accepted {
        record_stock_in(&mut uow, &before, &mapped, purchase_day(&sale, now)).await?
    } else {
        None
    };
    uow.audit(AuditDraft {
        action: match answer {
            PurchaseAnswer::Accepted => "etims.purchase.accept",
            PurchaseAnswer::Rejected => "etims.purchase.reject",
        },
        entity_type: "etims_purchase",
        entity_id: before.id.clone(),
        before: Some(json!({ "state": before.state, "invc_no": before.invc_no })),
        after: Some(json!({
            "state": PurchaseState::Queued,
            "answer": answer,
            "reason": reason,
            "invc_no": invc_no,
            "version": version,
            "outbox_id": outbox_id,
            "stock_movement": stock_movement,
            "lines": mapped.iter().map(|m| json!({
                "item_seq": m.seq,
                "item": m.item.as_ref().map(|i| i.code.clone()),
            })).collect::<Vec<_>>(),
        })),
    })
    .await?;
    let after = load(uow.db(), &before.id).await?.view;
    uow.commit().await?;
    Ok(after)
}

/// Records the goods lines of an accepted purchase as a stock-in (`super::stock`), in the
/// answer's unit of work. Services move no stock. Returns the movement's number (`sarNo`).
async fn record_stock_in(
    uow: &mut UnitOfWork,
    purchase: &PurchaseView,
    lines: &[Mapped<'_>],
    occurred_on: NaiveDate,
) -> Result<Option<u64>> {
    use super::stock::{Counterparty, NewStockMovement, StockLine, StockMovementKind};
    let goods: Vec<StockLine> = lines
        .iter()
        .filter_map(|m| {
            let item = m.item.as_ref().filter(|i| i.goods())?;
            Some(StockLine {
                item_id: item.id.clone(),
                quantity: m.line.qty.unwrap_or(Decimal::ZERO),
                unit_price: m.line.prc.unwrap_or(Decimal::ZERO),
            })
        })
        .collect();
    if goods.is_empty() {
        return Ok(None);
    }
    let movement = NewStockMovement {
        kind: StockMovementKind::Purchase,
        source: format!("purchase:{}", purchase.id),
        counterparty: Some(Counterparty {
            tin: purchase.supplier_tin.clone(),
            name: purchase.supplier_name.clone().unwrap_or_default(),
            branch_id: Some(purchase.supplier_bhf_id.clone()),
        }),
        lines: goods,
        occurred_on,
    };
    super::stock::record_movement(uow, &movement).await
}

// ---- sending ---------------------------------------------------------------------------------

fn kra_message(e: &hesabu_etims::Error) -> (Option<String>, String) {
    match e.rejection() {
        Some(r) => (
            Some(r.code.clone()),
            match &r.debug_message {
                Some(d) if !d.trim().is_empty() && d.trim() != r.message.trim() => {
                    format!("{} ({})", r.message, d)
                }
                _ => r.message.clone(),
            },
        ),
        None => (None, e.to_string()),
    }
}

/// Sends a `purchase.save` row: the frozen request of purchase `id` as stored (see the module
/// docs for what each answer does). A row older than the purchase's last answer is
/// acknowledged without a call (a later answer superseded it).
pub async fn send(
    file: &CompanyFile,
    client: &Client,
    id: &str,
    version: Option<i64>,
) -> std::result::Result<Ack, SendError> {
    let local = |e: Error| SendError::permanent(e.to_string());
    let row = load(file.reader(), id).await.map_err(local)?.view;
    let number = row.invc_no.unwrap_or_default();
    let ack = |sent: bool| Ack {
        remote_ref: Some(number.to_string()),
        result: Some(json!({ "invc_no": number, "state": "confirmed", "sent": sent })),
    };
    if row.state == PurchaseState::Confirmed {
        return Ok(ack(false));
    }
    if version.is_some_and(|v| v != row.version) || row.state != PurchaseState::Queued {
        return Ok(Ack {
            remote_ref: None,
            result: Some(json!({ "superseded": true, "state": row.state })),
        });
    }
    let Some(json) = row.request_json.clone() else {
        return Err(SendError::permanent(format!(
            "The purchase {id} has no frozen request to send; answer it again."
        )));
    };
    let label = format!(
        "Purchase {number} (the sale {} of {})",
        row.supplier_invc_no,
        row.supplier_name.as_deref().unwrap_or(&row.supplier_tin)
    );
    let result = client.save_purchase_json(&json).await;
    let (confirmed, code, message) = match &result {
        Ok(reply) => (
            true,
            Some(reply.result_cd.clone()),
            reply.result_msg.clone(),
        ),
        // 994: KRA holds this number already: our earlier attempt (the answer was lost).
        Err(e) if e.result_code() == Some("994") => {
            let (code, message) = kra_message(e);
            (true, code, message)
        }
        Err(e) if e.is_retryable() => {
            return Err(SendError::Retryable {
                message: format!("{label} will be sent to KRA again: {e}"),
                outcome_unknown: e.outcome_unknown(),
                retry_after: e.retry_after(),
            });
        }
        Err(e) => {
            let (code, message) = kra_message(e);
            (false, code, message)
        }
    };
    let settle = async {
        let mut uow = file.begin_system().await?;
        let now = uow.now_text();
        let mut released = false;
        if confirmed {
            uow.db()
                .execute_raw(statement(
                    uow.db(),
                    "UPDATE etims_purchase SET state = ?, result_cd = ?, result_msg = ?, \
                     confirmed_at = ?, updated_at = ? WHERE id = ?",
                    vec![
                        PurchaseState::Confirmed.as_str().into(),
                        code.clone().into(),
                        message.clone().into(),
                        now.clone().into(),
                        now.clone().into(),
                        row.id.clone().into(),
                    ],
                ))
                .await?;
        } else {
            // The number goes back only when no later one was taken (as sales do).
            let device = ledger::device(uow.db()).await?;
            if let Some(d) = device {
                let last: Option<i64> = uow
                    .db()
                    .query_one_raw(statement(
                        uow.db(),
                        "SELECT last_invc_no FROM etims_purchase_counter \
                         WHERE tin = ? AND bhf_id = ?",
                        vec![d.tin.clone().into(), d.bhf_id.clone().into()],
                    ))
                    .await?
                    .map(|r| r.try_get("", "last_invc_no"))
                    .transpose()?;
                if last == Some(number) {
                    uow.db()
                        .execute_raw(statement(
                            uow.db(),
                            "UPDATE etims_purchase_counter SET last_invc_no = ?, updated_at = ? \
                             WHERE tin = ? AND bhf_id = ?",
                            vec![
                                (number - 1).into(),
                                now.clone().into(),
                                d.tin.into(),
                                d.bhf_id.into(),
                            ],
                        ))
                        .await?;
                    released = true;
                }
            }
            uow.db()
                .execute_raw(statement(
                    uow.db(),
                    "UPDATE etims_purchase SET state = ?, result_cd = ?, result_msg = ?, \
                     invc_no = CASE WHEN ? THEN NULL ELSE invc_no END, updated_at = ? WHERE id = ?",
                    vec![
                        PurchaseState::RejectedByKra.as_str().into(),
                        code.clone().into(),
                        message.clone().into(),
                        released.into(),
                        now.clone().into(),
                        row.id.clone().into(),
                    ],
                ))
                .await?;
        }
        uow.audit(AuditDraft {
            action: if confirmed {
                "etims.purchase.confirmed"
            } else {
                "etims.purchase.refused"
            },
            entity_type: "etims_purchase",
            entity_id: row.id.clone(),
            before: None,
            after: Some(json!({
                "invc_no": number,
                "result_cd": code,
                "result_msg": message,
                "number_released": released,
            })),
        })
        .await?;
        uow.commit().await?;
        Ok::<bool, Error>(released)
    };
    let released = settle.await.map_err(local)?;
    if confirmed {
        return Ok(ack(result.is_ok()));
    }
    let kept = if released {
        format!("Its number {number} was released for the next purchase answered.")
    } else {
        format!(
            "It keeps its number {number} (a later purchase number was already taken) and is \
             sent with it again when answered again."
        )
    };
    Err(SendError::permanent(format!(
        "KRA refused {label}: {}. {kept} Correct what KRA names (map its lines with `hesabu \
         etims purchases map`), then answer it again (`hesabu etims purchases accept {}` or \
         `reject`).",
        message, row.id
    )))
}

/// The entity version an outbox row carries (`entity_version`).
pub fn row_version(payload: &serde_json::Value) -> Option<i64> {
    payload
        .get("entity_version")
        .and_then(serde_json::Value::as_i64)
}

/// Parses a line number as a person gives it.
pub fn parse_line(text: &str) -> Result<i64> {
    i64::from_str(text.trim())
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| {
            Error::invalid(format!(
                "'{text}' is not a line number: give the supplier line's number (1, 2, ...), as \
                 `hesabu etims purchases show ID` lists them."
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_parse_in_either_spelling() {
        assert_eq!(
            PurchaseState::parse("Awaiting review").unwrap(),
            PurchaseState::AwaitingReview
        );
        assert_eq!(
            PurchaseState::parse("rejected-by-kra").unwrap(),
            PurchaseState::RejectedByKra
        );
        let err = PurchaseState::parse("done").unwrap_err().to_string();
        assert!(err.contains("awaiting_review, queued"), "{err}");
        assert!(parse_line("0").is_err());
        assert_eq!(parse_line(" 2 ").unwrap(), 2);
    }

    #[test]
    fn a_rejection_is_cancelled_and_an_acceptance_approved_with_the_supplier_verbatim() {
        let sale = PurchaseSale {
            spplr_tin: Some("P052223334R".into()),
            spplr_nm: Some("Mombasa  Wholesale Ltd ".into()),
            spplr_bhf_id: Some("00".into()),
            spplr_invc_no: Some(7),
            rcpt_ty_cd: Some("R".into()),
            sales_dt: Some("20240101".into()),
            item_list: vec![LineItem {
                item_seq: Some(1),
                item_nm: Some("Paper".into()),
                qty: Some(Decimal::TEN),
                ..LineItem::default()
            }],
            ..PurchaseSale::default()
        };
        let lines = [Mapped {
            line: &sale.item_list[0],
            seq: 1,
            item: None,
        }];
        let now = DateTime::parse_from_rfc3339("2026-12-04T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let who = ("u".to_owned(), "U".to_owned());
        let r = build_request(
            &sale,
            &lines,
            3,
            PurchaseAnswer::Rejected,
            Some("never delivered"),
            now,
            who.clone(),
        );
        assert_eq!(r.pchs_stts_cd, STATUS_CANCELLED);
        assert_eq!(r.rcpt_ty_cd, "R");
        assert_eq!(r.spplr_nm.as_deref(), Some("Mombasa  Wholesale Ltd "));
        assert_eq!(r.pchs_dt, "20240101");
        assert_eq!(r.cfm_dt, "20261204120000");
        assert!(r.wrhs_dt.is_none());
        assert_eq!(r.item_list[0].item_nm, "Paper");
        assert_eq!(r.remark.as_deref(), Some("never delivered"));
        let a = build_request(&sale, &lines, 3, PurchaseAnswer::Accepted, None, now, who);
        assert_eq!(a.pchs_stts_cd, STATUS_APPROVED);
        assert_eq!(a.wrhs_dt.as_deref(), Some("20261204120000"));
        assert_eq!((a.reg_ty_cd.as_str(), a.pchs_ty_cd.as_str()), ("A", "N"));
    }
}
