//! What KRA keeps for this company's e-TIMS device, fetched and cached in the company file, and
//! the company's users registered at KRA as branch users (spec §4 rows 6, 8, 11, 13, 17, 23,
//! 24; go-live cases 4, 7, 9, 12, 21, 22, 23).
//!
//! - **KRA's records** ([`KraList`]): the taxpayer's branches (`selectBhfList`), the items
//!   registered at KRA (`selectItemList`), the items customs declared as imported
//!   (`selectImportItemList`), KRA's record of our signed sales (`selectTrnsSalesList`), the
//!   branch's customers (`selectCustomerList`) and the taxpayer (`selectTaxpayerInfo`). Like
//!   [`super::reference`], each list is pulled incrementally from the `resultDt` KRA gave at its
//!   last pull (sent back as `lastReqDt`), one audited unit of work per list
//!   (`etims.kra_records.refresh`), every record an upsert that keeps KRA's JSON as received.
//! - **Reconciliation** ([`reconcile`]): KRA's sales list against the local fiscal submissions:
//!   a sale KRA signed that this file does not hold as signed, a sale signed here that KRA does
//!   not list (only once the list was pulled from the start and for sales signed before the last
//!   pull), and a sale whose total or document number differ. New findings raise one sync notice
//!   (`etims.sales_reconciliation`); the same findings are not announced again.
//! - **Branch users** ([`queue_branch_users`], [`send_branch_user`]): each active user (and a
//!   registered user later deactivated, sent with `useYn: N`) is registered with `saveBhfUser`
//!   through the outbox (operation `branch_user.save`, idempotency key
//!   `bhf_user:<kra user id>:<version>`), queued again when the name, role or active flag
//!   changes. Queued in the same transaction when a user is added or deactivated through the
//!   app's user service ([`crate::users`]; the domain, `hesabu-core`, does not know e-TIMS), by
//!   the daily job (which also catches a change made another way, or a device just set up), and
//!   by `hesabu etims users register`.
//! - **The daily job** (`hesabu_app::jobs::EtimsKraRecords`) queues one `kra_records.refresh`
//!   outbox row a day ([`queue_daily`]); the e-TIMS target runs [`send_refresh`]: the reference
//!   data ([`super::reference::refresh_with`]), these lists, KRA's stock movements
//!   ([`super::stock::refresh_kra_moves_with`]) and the sales suppliers declared
//!   against the PIN ([`super::purchases::refresh_with`]). Through the outbox because the
//!   device's client (and its key) lives in the target, and a day without KRA is retried.
//!
//! Tables: `migrations/20261203000100_etims_kra_records.sql`.

use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, QueryResult, Statement, Value};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::device::{self, client_error};
use super::reference::{self, RefreshOutcome, no_device};
use hesabu_core::sales::fiscal as ledger;
use hesabu_core::workflows::executions::ETIMS_TARGET;
use hesabu_etims::types::kra_lists::BranchUserRequest;
use hesabu_etims::{Client, ResultClass, Timeouts, dates};
use hesabu_store::audit::AuditDraft;
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::{Error, Result};
use hesabu_store::notifications::{self, NewNotification};
use hesabu_store::outbox::{Ack, NewOutboxItem, SendError};
use hesabu_store::permissions::Permission;
use hesabu_store::secrets::SecretStore;
use hesabu_store::uow::UnitOfWork;

/// The outbox operation that registers one branch user.
pub const BRANCH_USER_OPERATION: &str = "branch_user.save";
/// The outbox operation of the daily refresh (reference data and KRA's records).
pub const REFRESH_OPERATION: &str = "kra_records.refresh";
/// The sync notice raised when KRA's sales list and the file disagree.
pub const RECONCILIATION_NOTICE: &str = "etims.sales_reconciliation";

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

fn cut(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

async fn begin(file: &CompanyFile, session: Option<&Session>) -> Result<UnitOfWork> {
    match session {
        Some(s) => file.begin(s).await,
        None => file.begin_system().await,
    }
}

// ---- the lists -------------------------------------------------------------------------------

/// One of KRA's lists of what it keeps for the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KraList {
    Branches,
    Items,
    Imports,
    Sales,
    Customers,
    Taxpayer,
}

impl KraList {
    pub const ALL: [KraList; 6] = [
        KraList::Branches,
        KraList::Items,
        KraList::Imports,
        KraList::Sales,
        KraList::Customers,
        KraList::Taxpayer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            KraList::Branches => "branches",
            KraList::Items => "items",
            KraList::Imports => "imports",
            KraList::Sales => "sales",
            KraList::Customers => "customers",
            KraList::Taxpayer => "taxpayer",
        }
    }

    /// KRA's name of the endpoint (legacy path), for messages.
    pub fn endpoint(self) -> &'static str {
        match self {
            KraList::Branches => "selectBhfList",
            KraList::Items => "selectItemList",
            KraList::Imports => "selectImportItemList",
            KraList::Sales => "selectTrnsSalesList",
            KraList::Customers => "selectCustomerList",
            KraList::Taxpayer => "selectTaxpayerInfo",
        }
    }

    fn table(self) -> &'static str {
        match self {
            KraList::Branches => "etims_kra_branch",
            KraList::Items => "etims_kra_item",
            KraList::Imports => "etims_kra_import_item",
            KraList::Sales => "etims_kra_sale",
            KraList::Customers => "etims_kra_customer",
            KraList::Taxpayer => "etims_kra_taxpayer",
        }
    }

    /// The list a person names (`hesabu etims kra sales`).
    pub fn parse(name: &str) -> Result<KraList> {
        let name = name.trim().to_ascii_lowercase();
        KraList::ALL
            .into_iter()
            .find(|l| l.as_str() == name)
            .ok_or_else(|| {
                Error::invalid(format!(
                    "There is no KRA list '{name}'. The lists are: {}.",
                    KraList::ALL.map(KraList::as_str).join(", ")
                ))
            })
    }
}

/// What is known of one list's pulls.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct KraListState {
    /// KRA's `resultDt` of the last successful pull: the next `lastReqDt`. None: never pulled.
    pub last_req_dt: Option<String>,
    /// Our clock at the last successful pull.
    pub refreshed_at: Option<String>,
    /// Our clock at the first pull from the start: from then on the cache holds all KRA lists.
    pub full_since_at: Option<String>,
    /// The last failed pull's message (cleared by a success).
    pub last_error: Option<String>,
}

async fn list_row(db: &impl ConnectionTrait, list: KraList) -> Result<Option<QueryResult>> {
    Ok(db
        .query_one_raw(statement(
            db,
            "SELECT last_req_dt, refreshed_at, full_since_at, last_error, reconciliation \
             FROM etims_kra_sync WHERE list = ?",
            vec![list.as_str().into()],
        ))
        .await?)
}

/// The state of one list (default when it was never pulled).
pub async fn list_state(db: &impl ConnectionTrait, list: KraList) -> Result<KraListState> {
    let Some(r) = list_row(db, list).await? else {
        return Ok(KraListState::default());
    };
    Ok(KraListState {
        last_req_dt: r.try_get("", "last_req_dt")?,
        refreshed_at: r.try_get("", "refreshed_at")?,
        full_since_at: r.try_get("", "full_since_at")?,
        last_error: r.try_get("", "last_error")?,
    })
}

async fn ensure_state_row(db: &impl ConnectionTrait, list: KraList, now: &str) -> Result<()> {
    db.execute_raw(statement(
        db,
        "INSERT INTO etims_kra_sync (list, updated_at) VALUES (?, ?) ON CONFLICT (list) DO NOTHING",
        vec![list.as_str().into(), now.into()],
    ))
    .await?;
    Ok(())
}

// ---- refreshing ------------------------------------------------------------------------------

/// One list's pull.
#[derive(Debug, Clone, Serialize)]
pub struct KraListRefresh {
    pub list: KraList,
    pub outcome: RefreshOutcome,
    /// The `lastReqDt` sent.
    pub last_req_dt_sent: String,
    /// Records KRA sent (and stored).
    pub received: usize,
    /// The next `lastReqDt` (KRA's `resultDt`).
    pub watermark: Option<String>,
    pub error: Option<String>,
    /// Whether the failure is worth trying again later (KRA unreachable, busy).
    #[serde(skip)]
    retryable: bool,
}

/// What `hesabu etims kra ... --refresh` reports.
#[derive(Debug, Clone, Serialize)]
pub struct KraRefreshReport {
    pub lists: Vec<KraListRefresh>,
    /// After the sales list was pulled: KRA's sales against ours.
    pub reconciliation: Option<Reconciliation>,
}

/// Pulls `only` (or every list) from KRA with the device's client. Needs the permission to
/// change master data (as `hesabu etims codes refresh`).
pub async fn refresh(
    file: &CompanyFile,
    session: &Session,
    secrets: &dyn SecretStore,
    timeouts: Timeouts,
    only: Option<KraList>,
) -> Result<KraRefreshReport> {
    session.require(Permission::SalesMasterData)?;
    let client = device::client(file, secrets, timeouts)
        .await?
        .ok_or_else(no_device)?;
    refresh_with(file, Some(session), &client, only).await
}

/// Pulls each list changed since its watermark and stores it, one audited unit of work per
/// list (a list that fails leaves the others' results and its own cache as it was). The
/// session is the audit actor (none: the system, the daily job). After the sales list, the
/// reconciliation runs (and raises a sync notice for new findings).
pub async fn refresh_with(
    file: &CompanyFile,
    session: Option<&Session>,
    client: &Client,
    only: Option<KraList>,
) -> Result<KraRefreshReport> {
    let mut lists = Vec::new();
    for list in KraList::ALL {
        if only.is_none_or(|o| o == list) {
            lists.push(refresh_list(file, session, client, list).await?);
        }
    }
    let reconciliation = if lists.iter().any(|l| l.list == KraList::Sales) {
        Some(reconcile_and_notify(file).await?)
    } else {
        None
    };
    Ok(KraRefreshReport {
        lists,
        reconciliation,
    })
}

/// What one pull brought: KRA's `resultDt` and the records, each already the row to store.
struct Pulled {
    result_dt: Option<String>,
    rows: Vec<Row>,
}

/// One record to upsert: its table's columns in order, then the JSON.
struct Row {
    values: Vec<Value>,
}

fn json_of(record: &impl Serialize) -> String {
    serde_json::to_string(record).unwrap_or_else(|_| "{}".into())
}

async fn pull(
    client: &Client,
    list: KraList,
    sent: &str,
) -> std::result::Result<Pulled, hesabu_etims::Error> {
    Ok(match list {
        KraList::Branches => {
            let r = client.branches(sent).await?;
            Pulled {
                result_dt: r.result_dt,
                rows: r
                    .data
                    .map(|d| d.bhf_list)
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|b| b.bhf_id.as_deref().is_some_and(|id| !id.trim().is_empty()))
                    .map(|b| Row {
                        values: vec![
                            opt(b.bhf_id.as_deref()),
                            opt(b.bhf_nm.as_deref()),
                            opt(b.bhf_stts_cd.as_deref()),
                            opt(b.hq_yn.as_deref()),
                            opt(b.prvnc_nm.as_deref()),
                            opt(b.dstrt_nm.as_deref()),
                            opt(b.sctr_nm.as_deref()),
                            opt(b.loc_desc.as_deref()),
                            opt(b.mgr_nm.as_deref()),
                            opt(b.mgr_tel_no.as_deref()),
                            opt(b.mgr_email.as_deref()),
                            json_of(&b).into(),
                        ],
                    })
                    .collect(),
            }
        }
        KraList::Items => {
            let r = client.items(sent).await?;
            Pulled {
                result_dt: r.result_dt,
                rows: r
                    .data
                    .map(|d| d.item_list)
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|i| i.item_cd.as_deref().is_some_and(|c| !c.trim().is_empty()))
                    .map(|i| Row {
                        values: vec![
                            opt(i.item_cd.as_deref()),
                            opt(i.item_nm.as_deref()),
                            opt(i.item_cls_cd.as_deref()),
                            opt(i.item_ty_cd.as_deref()),
                            opt(i.tax_ty_cd.as_deref()),
                            opt(i.pkg_unit_cd.as_deref()),
                            opt(i.qty_unit_cd.as_deref()),
                            amount(i.dft_prc),
                            opt(i.reg_bhf_id.as_deref()),
                            json_of(&i).into(),
                        ],
                    })
                    .collect(),
            }
        }
        KraList::Imports => {
            let r = client.import_items(sent).await?;
            Pulled {
                result_dt: r.result_dt,
                rows: r
                    .data
                    .map(|d| d.item_list)
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|i| {
                        i.task_cd.as_deref().is_some_and(|t| !t.trim().is_empty())
                            && i.dcl_de.as_deref().is_some_and(|d| !d.trim().is_empty())
                    })
                    .map(|i| Row {
                        values: vec![
                            opt(i.task_cd.as_deref()),
                            opt(i.dcl_de.as_deref()),
                            i64::from(i.item_seq.unwrap_or(0)).into(),
                            opt(i.dcl_no.as_deref()),
                            opt(i.hs_cd.as_deref()),
                            opt(i.item_nm.as_deref()),
                            opt(i.impt_item_stts_cd.as_deref()),
                            amount(i.qty),
                            opt(i.qty_unit_cd.as_deref()),
                            opt(i.spplr_nm.as_deref()),
                            opt(i.item_cd.as_deref()),
                            json_of(&i).into(),
                        ],
                    })
                    .collect(),
            }
        }
        KraList::Sales => {
            let r = client.sales_list(sent).await?;
            Pulled {
                result_dt: r.result_dt,
                rows: r
                    .data
                    .map(|d| d.sales_list)
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|s| {
                        let invc_no = i64::try_from(s.invc_no?).ok()?;
                        let cur_rcpt_no = s
                            .receipt
                            .as_ref()
                            .and_then(|r| r.cur_rcpt_no)
                            .and_then(|n| i64::try_from(n).ok());
                        Some(Row {
                            values: vec![
                                invc_no.into(),
                                s.org_invc_no.and_then(|n| i64::try_from(n).ok()).into(),
                                opt(s.trd_invc_no.as_deref()),
                                opt(s.rcpt_ty_cd.as_deref()),
                                opt(s.cust_tin.as_deref()),
                                opt(s.cust_nm.as_deref()),
                                opt(s.sales_dt.as_deref()),
                                opt(s.cfm_dt.as_deref()),
                                amount(s.tot_amt),
                                amount(s.tot_tax_amt),
                                cur_rcpt_no.into(),
                                json_of(&s).into(),
                            ],
                        })
                    })
                    .collect(),
            }
        }
        KraList::Customers => {
            let r = client.customer_list(sent).await?;
            Pulled {
                result_dt: r.result_dt,
                rows: r
                    .data
                    .map(|d| d.cust_list)
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|c| c.cust_no.as_deref().is_some_and(|n| !n.trim().is_empty()))
                    .map(|c| Row {
                        values: vec![
                            opt(c.cust_no.as_deref()),
                            opt(c.cust_tin.as_deref()),
                            opt(c.cust_nm.as_deref()),
                            opt(c.use_yn.as_deref()),
                            json_of(&c).into(),
                        ],
                    })
                    .collect(),
            }
        }
        KraList::Taxpayer => {
            let r = client.taxpayer_info(sent).await?;
            Pulled {
                result_dt: r.result_dt,
                rows: r
                    .data
                    .map(|d| d.taxpayer_list)
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|t| t.tin.as_deref().is_some_and(|t| !t.trim().is_empty()))
                    .map(|t| Row {
                        values: vec![
                            opt(t.tin.as_deref()),
                            opt(t.taxpr_nm.as_deref()),
                            opt(t.taxpr_stts_cd.as_deref()),
                            opt(t.prvnc_nm.as_deref()),
                            opt(t.dstrt_nm.as_deref()),
                            opt(t.sctr_nm.as_deref()),
                            opt(t.loc_desc.as_deref()),
                            json_of(&t).into(),
                        ],
                    })
                    .collect(),
            }
        }
    })
}

/// The upsert of one list's table: its columns (the key first), then `record_json` and
/// `updated_at`.
fn upsert_sql(list: KraList) -> String {
    let (key, columns): (&[&str], &[&str]) = match list {
        KraList::Branches => (
            &["bhf_id"],
            &[
                "bhf_nm",
                "bhf_stts_cd",
                "hq_yn",
                "prvnc_nm",
                "dstrt_nm",
                "sctr_nm",
                "loc_desc",
                "mgr_nm",
                "mgr_tel_no",
                "mgr_email",
            ],
        ),
        KraList::Items => (
            &["item_cd"],
            &[
                "item_nm",
                "item_cls_cd",
                "item_ty_cd",
                "tax_ty_cd",
                "pkg_unit_cd",
                "qty_unit_cd",
                "dft_prc",
                "reg_bhf_id",
            ],
        ),
        KraList::Imports => (
            &["task_cd", "dcl_de", "item_seq"],
            &[
                "dcl_no",
                "hs_cd",
                "item_nm",
                "impt_item_stts_cd",
                "qty",
                "qty_unit_cd",
                "spplr_nm",
                "item_cd",
            ],
        ),
        KraList::Sales => (
            &["invc_no"],
            &[
                "org_invc_no",
                "trd_invc_no",
                "rcpt_ty_cd",
                "cust_tin",
                "cust_nm",
                "sales_dt",
                "cfm_dt",
                "tot_amt",
                "tot_tax_amt",
                "cur_rcpt_no",
            ],
        ),
        KraList::Customers => (&["cust_no"], &["cust_tin", "cust_nm", "use_yn"]),
        KraList::Taxpayer => (
            &["tin"],
            &[
                "taxpr_nm",
                "taxpr_stts_cd",
                "prvnc_nm",
                "dstrt_nm",
                "sctr_nm",
                "loc_desc",
            ],
        ),
    };
    let mut all: Vec<&str> = key.to_vec();
    all.extend_from_slice(columns);
    all.extend_from_slice(&["record_json", "updated_at"]);
    let marks = vec!["?"; all.len()].join(", ");
    let updates = all[key.len()..]
        .iter()
        .map(|c| format!("{c} = excluded.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "INSERT INTO {} ({}) VALUES ({marks}) ON CONFLICT ({}) DO UPDATE SET {updates}",
        list.table(),
        all.join(", "),
        key.join(", ")
    )
}

async fn refresh_list(
    file: &CompanyFile,
    session: Option<&Session>,
    client: &Client,
    list: KraList,
) -> Result<KraListRefresh> {
    let state = list_state(file.reader(), list).await?;
    let sent = state
        .last_req_dt
        .clone()
        .unwrap_or_else(|| dates::EPOCH_LAST_REQ_DT.to_owned());
    let answer = pull(client, list, &sent).await;
    let mut uow = begin(file, session).await?;
    let now = uow.now_text();
    ensure_state_row(uow.db(), list, &now).await?;
    let pulled = match answer {
        Ok(p) => p,
        Err(e) => {
            let retryable = e.class() == ResultClass::Retryable;
            let message = client_error(&format!("Could not pull {} from KRA", list.endpoint()), &e)
                .to_string();
            uow.db()
                .execute_raw(statement(
                    uow.db(),
                    "UPDATE etims_kra_sync SET last_error = ?, updated_at = ? WHERE list = ?",
                    vec![
                        message.clone().into(),
                        now.clone().into(),
                        list.as_str().into(),
                    ],
                ))
                .await?;
            uow.audit(AuditDraft {
                action: "etims.kra_records.refresh",
                entity_type: "etims_kra_records",
                entity_id: list.as_str().into(),
                before: None,
                after: Some(json!({ "last_req_dt": sent, "error": message })),
            })
            .await?;
            uow.commit().await?;
            return Ok(KraListRefresh {
                list,
                outcome: RefreshOutcome::Failed,
                last_req_dt_sent: sent,
                received: 0,
                watermark: state.last_req_dt,
                error: Some(message),
                retryable,
            });
        }
    };
    let sql = upsert_sql(list);
    for row in &pulled.rows {
        let mut values = row.values.clone();
        values.push(now.clone().into());
        uow.db()
            .execute_raw(statement(uow.db(), &sql, values))
            .await?;
    }
    // KRA's resultDt is the next lastReqDt; without one the watermark stays (a repeated pull
    // is harmless: every record is an upsert).
    let watermark = pulled.result_dt.clone().or(state.last_req_dt.clone());
    let full = state.full_since_at.is_none() && sent == dates::EPOCH_LAST_REQ_DT;
    uow.db()
        .execute_raw(statement(
            uow.db(),
            "UPDATE etims_kra_sync SET last_req_dt = ?, refreshed_at = ?, last_error = NULL, \
             full_since_at = COALESCE(full_since_at, ?), updated_at = ? WHERE list = ?",
            vec![
                watermark.clone().into(),
                now.clone().into(),
                if full { Some(now.clone()) } else { None }.into(),
                now.clone().into(),
                list.as_str().into(),
            ],
        ))
        .await?;
    uow.audit(AuditDraft {
        action: "etims.kra_records.refresh",
        entity_type: "etims_kra_records",
        entity_id: list.as_str().into(),
        before: None,
        after: Some(json!({
            "last_req_dt": sent,
            "received": pulled.rows.len(),
            "watermark": watermark,
        })),
    })
    .await?;
    uow.commit().await?;
    Ok(KraListRefresh {
        list,
        outcome: if pulled.rows.is_empty() {
            RefreshOutcome::Unchanged
        } else {
            RefreshOutcome::Updated
        },
        last_req_dt_sent: sent,
        received: pulled.rows.len(),
        watermark,
        error: None,
        retryable: false,
    })
}

// ---- reading ---------------------------------------------------------------------------------

/// A branch of the taxpayer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KraBranch {
    pub bhf_id: String,
    pub name: Option<String>,
    /// Class 09: `01` open, `02` closed.
    pub status: Option<String>,
    pub head_office: bool,
    pub county: Option<String>,
    pub district: Option<String>,
    pub sector: Option<String>,
    pub location: Option<String>,
    pub manager: Option<String>,
    pub manager_phone: Option<String>,
    pub manager_email: Option<String>,
    /// Whether it is this file's device's branch.
    pub this_device: bool,
}

/// An item registered at KRA, with whether this file has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KraItem {
    pub item_cd: String,
    pub name: Option<String>,
    pub classification: Option<String>,
    pub item_type: Option<String>,
    pub tax_type: Option<String>,
    pub packaging_unit: Option<String>,
    pub quantity_unit: Option<String>,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub default_price: Option<Decimal>,
    pub branch: Option<String>,
    /// The local item with this KRA item code, if any.
    pub local_code: Option<String>,
}

/// An item customs declared as imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KraImportItem {
    pub task_cd: String,
    pub declared_on: String,
    pub item_seq: i64,
    pub declaration_no: Option<String>,
    pub hs_code: Option<String>,
    pub name: Option<String>,
    /// Class 26: `2` waiting, `3` approved, `4` cancelled.
    pub status: Option<String>,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub quantity: Option<Decimal>,
    pub quantity_unit: Option<String>,
    pub supplier: Option<String>,
    /// Once accepted: the item it became.
    pub item_cd: Option<String>,
}

/// A sale or credit note as KRA holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KraSale {
    pub invc_no: i64,
    pub org_invc_no: Option<i64>,
    /// Our document number, as sent.
    pub trd_invc_no: Option<String>,
    /// `S` sale, `R` credit note.
    pub rcpt_ty_cd: Option<String>,
    pub customer_pin: Option<String>,
    pub customer_name: Option<String>,
    pub sales_dt: Option<String>,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub total: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub tax: Option<Decimal>,
    pub cur_rcpt_no: Option<i64>,
}

/// A customer of the branch as KRA lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KraCustomer {
    pub cust_no: String,
    pub pin: Option<String>,
    pub name: Option<String>,
    pub in_use: bool,
}

/// The taxpayer as KRA registered it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KraTaxpayer {
    pub tin: String,
    pub name: Option<String>,
    /// Class 15: `A` active, `D` inactive.
    pub status: Option<String>,
    pub county: Option<String>,
    pub district: Option<String>,
    pub sector: Option<String>,
    pub location: Option<String>,
}

/// One list as cached: its state and records.
#[derive(Debug, Clone, Serialize)]
pub struct KraRecords<T> {
    pub list: KraList,
    #[serde(flatten)]
    pub state: KraListState,
    pub records: Vec<T>,
}

async fn records<T>(
    file: &CompanyFile,
    session: &Session,
    list: KraList,
    order: &str,
    read: impl Fn(&QueryResult) -> Result<T>,
) -> Result<KraRecords<T>> {
    session.require(Permission::SalesView)?;
    let db = file.reader();
    let rows = db
        .query_all_raw(statement(
            db,
            &format!("SELECT * FROM {} ORDER BY {order}", list.table()),
            vec![],
        ))
        .await?;
    Ok(KraRecords {
        list,
        state: list_state(db, list).await?,
        records: rows.iter().map(read).collect::<Result<_>>()?,
    })
}

fn decimal(r: &QueryResult, column: &str) -> Result<Option<Decimal>> {
    let text: Option<String> = r.try_get("", column)?;
    Ok(text.and_then(|t| t.parse().ok()))
}

/// The taxpayer's branches (`hesabu etims kra branches`).
pub async fn branches(file: &CompanyFile, session: &Session) -> Result<KraRecords<KraBranch>> {
    let own = ledger::device(file.reader()).await?.map(|d| d.bhf_id);
    records(file, session, KraList::Branches, "bhf_id", |r| {
        let bhf_id: String = r.try_get("", "bhf_id")?;
        let hq: Option<String> = r.try_get("", "hq_yn")?;
        Ok(KraBranch {
            this_device: own.as_deref() == Some(bhf_id.as_str()),
            bhf_id,
            name: r.try_get("", "bhf_nm")?,
            status: r.try_get("", "bhf_stts_cd")?,
            head_office: hq.as_deref() == Some("Y"),
            county: r.try_get("", "prvnc_nm")?,
            district: r.try_get("", "dstrt_nm")?,
            sector: r.try_get("", "sctr_nm")?,
            location: r.try_get("", "loc_desc")?,
            manager: r.try_get("", "mgr_nm")?,
            manager_phone: r.try_get("", "mgr_tel_no")?,
            manager_email: r.try_get("", "mgr_email")?,
        })
    })
    .await
}

/// The items registered at KRA (`hesabu etims kra items`), each with the local item that has
/// its KRA item code.
pub async fn items(file: &CompanyFile, session: &Session) -> Result<KraRecords<KraItem>> {
    let db = file.reader();
    let local: std::collections::HashMap<String, String> = db
        .query_all_raw(statement(
            db,
            "SELECT kra_item_code, code FROM item WHERE kra_item_code IS NOT NULL",
            vec![],
        ))
        .await?
        .iter()
        .map(|r| Ok((r.try_get("", "kra_item_code")?, r.try_get("", "code")?)))
        .collect::<Result<_>>()?;
    records(file, session, KraList::Items, "item_cd", |r| {
        let item_cd: String = r.try_get("", "item_cd")?;
        Ok(KraItem {
            local_code: local.get(&item_cd).cloned(),
            item_cd,
            name: r.try_get("", "item_nm")?,
            classification: r.try_get("", "item_cls_cd")?,
            item_type: r.try_get("", "item_ty_cd")?,
            tax_type: r.try_get("", "tax_ty_cd")?,
            packaging_unit: r.try_get("", "pkg_unit_cd")?,
            quantity_unit: r.try_get("", "qty_unit_cd")?,
            default_price: decimal(r, "dft_prc")?,
            branch: r.try_get("", "reg_bhf_id")?,
        })
    })
    .await
}

/// The items customs declared as imported (`hesabu etims kra imports`), newest declaration
/// first.
pub async fn imports(file: &CompanyFile, session: &Session) -> Result<KraRecords<KraImportItem>> {
    records(
        file,
        session,
        KraList::Imports,
        "dcl_de DESC, task_cd, item_seq",
        |r| {
            Ok(KraImportItem {
                task_cd: r.try_get("", "task_cd")?,
                declared_on: r.try_get("", "dcl_de")?,
                item_seq: r.try_get("", "item_seq")?,
                declaration_no: r.try_get("", "dcl_no")?,
                hs_code: r.try_get("", "hs_cd")?,
                name: r.try_get("", "item_nm")?,
                status: r.try_get("", "impt_item_stts_cd")?,
                quantity: decimal(r, "qty")?,
                quantity_unit: r.try_get("", "qty_unit_cd")?,
                supplier: r.try_get("", "spplr_nm")?,
                item_cd: r.try_get("", "item_cd")?,
            })
        },
    )
    .await
}

fn read_sale(r: &QueryResult) -> Result<KraSale> {
    Ok(KraSale {
        invc_no: r.try_get("", "invc_no")?,
        org_invc_no: r.try_get("", "org_invc_no")?,
        trd_invc_no: r.try_get("", "trd_invc_no")?,
        rcpt_ty_cd: r.try_get("", "rcpt_ty_cd")?,
        customer_pin: r.try_get("", "cust_tin")?,
        customer_name: r.try_get("", "cust_nm")?,
        sales_dt: r.try_get("", "sales_dt")?,
        total: decimal(r, "tot_amt")?,
        tax: decimal(r, "tot_tax_amt")?,
        cur_rcpt_no: r.try_get("", "cur_rcpt_no")?,
    })
}

/// KRA's record of our sales with the reconciliation (`hesabu etims kra sales`).
#[derive(Debug, Clone, Serialize)]
pub struct KraSalesView {
    #[serde(flatten)]
    pub sales: KraRecords<KraSale>,
    pub reconciliation: Reconciliation,
}

pub async fn sales(file: &CompanyFile, session: &Session) -> Result<KraSalesView> {
    let sales = records(file, session, KraList::Sales, "invc_no", read_sale).await?;
    Ok(KraSalesView {
        sales,
        reconciliation: reconcile(file.reader()).await?,
    })
}

/// The branch's customers as KRA lists them (`hesabu etims kra customers`).
pub async fn customers(file: &CompanyFile, session: &Session) -> Result<KraRecords<KraCustomer>> {
    records(file, session, KraList::Customers, "cust_no", |r| {
        let use_yn: Option<String> = r.try_get("", "use_yn")?;
        Ok(KraCustomer {
            cust_no: r.try_get("", "cust_no")?,
            pin: r.try_get("", "cust_tin")?,
            name: r.try_get("", "cust_nm")?,
            in_use: use_yn.as_deref() != Some("N"),
        })
    })
    .await
}

/// The taxpayer as KRA registered it (`hesabu etims kra taxpayer`).
pub async fn taxpayer(file: &CompanyFile, session: &Session) -> Result<KraRecords<KraTaxpayer>> {
    records(file, session, KraList::Taxpayer, "tin", |r| {
        Ok(KraTaxpayer {
            tin: r.try_get("", "tin")?,
            name: r.try_get("", "taxpr_nm")?,
            status: r.try_get("", "taxpr_stts_cd")?,
            county: r.try_get("", "prvnc_nm")?,
            district: r.try_get("", "dstrt_nm")?,
            sector: r.try_get("", "sctr_nm")?,
            location: r.try_get("", "loc_desc")?,
        })
    })
    .await
}

// ---- reconciliation --------------------------------------------------------------------------

/// One sale on which KRA and this file disagree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Discrepancy {
    pub invc_no: i64,
    /// Our document number (KRA's `trdInvcNo`, or the local one).
    pub document: Option<String>,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub kra_total: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub local_total: Option<Decimal>,
    /// The local submission's state (`signed`, `unknown`, ...), when there is one.
    pub local_state: Option<String>,
    /// What it means and what to do.
    pub note: String,
}

/// KRA's sales list against the local fiscal submissions of the device.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Reconciliation {
    /// Whether KRA's list was ever pulled from the start (only then can a sale be missing at
    /// KRA).
    pub complete: bool,
    /// The last pull of the sales list (our clock).
    pub as_of: Option<String>,
    pub kra_sales: usize,
    pub local_signed: usize,
    /// KRA signed it; this file does not hold it as signed.
    pub missing_locally: Vec<Discrepancy>,
    /// Signed here before the last pull; KRA does not list it.
    pub missing_at_kra: Vec<Discrepancy>,
    /// Both have it; the total or the document number differ.
    pub differing: Vec<Discrepancy>,
}

impl Reconciliation {
    pub fn agrees(&self) -> bool {
        self.missing_locally.is_empty()
            && self.missing_at_kra.is_empty()
            && self.differing.is_empty()
    }

    /// In words, for the notice and the CLI.
    pub fn summary(&self) -> String {
        if self.kra_sales == 0 && self.as_of.is_none() {
            return "KRA's sales list has not been pulled yet".into();
        }
        let mut parts = Vec::new();
        let numbers = |d: &[Discrepancy]| {
            d.iter()
                .map(|d| match &d.document {
                    Some(doc) => format!("{} ({doc})", d.invc_no),
                    None => d.invc_no.to_string(),
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !self.missing_locally.is_empty() {
            parts.push(format!(
                "{} sale(s) signed at KRA but not signed in this file: invcNo {}",
                self.missing_locally.len(),
                numbers(&self.missing_locally)
            ));
        }
        if !self.missing_at_kra.is_empty() {
            parts.push(format!(
                "{} sale(s) signed in this file but not in KRA's list: invcNo {}",
                self.missing_at_kra.len(),
                numbers(&self.missing_at_kra)
            ));
        }
        if !self.differing.is_empty() {
            parts.push(format!(
                "{} sale(s) differ between KRA and this file: invcNo {}",
                self.differing.len(),
                numbers(&self.differing)
            ));
        }
        if parts.is_empty() {
            format!(
                "KRA's {} sale(s) and this file's {} signed sale(s) agree",
                self.kra_sales, self.local_signed
            )
        } else {
            parts.join("; ")
        }
    }

    fn fingerprint(&self) -> String {
        let keys: Vec<String> = self
            .missing_locally
            .iter()
            .map(|d| format!("L{}", d.invc_no))
            .chain(
                self.missing_at_kra
                    .iter()
                    .map(|d| format!("K{}", d.invc_no)),
            )
            .chain(self.differing.iter().map(|d| format!("D{}", d.invc_no)))
            .collect();
        keys.join(",")
    }
}

struct LocalSale {
    state: String,
    document: Option<String>,
    total: Option<Decimal>,
    signed_at: Option<String>,
}

/// Compares the cached KRA sales list with the device's local submissions. Read-only.
pub async fn reconcile(db: &impl ConnectionTrait) -> Result<Reconciliation> {
    let state = list_state(db, KraList::Sales).await?;
    let kra: Vec<KraSale> = db
        .query_all_raw(statement(
            db,
            "SELECT * FROM etims_kra_sale ORDER BY invc_no",
            vec![],
        ))
        .await?
        .iter()
        .map(read_sale)
        .collect::<Result<_>>()?;
    let Some(device) = ledger::device(db).await? else {
        return Ok(Reconciliation {
            as_of: state.refreshed_at,
            kra_sales: kra.len(),
            ..Default::default()
        });
    };
    let mut local = std::collections::BTreeMap::new();
    for r in db
        .query_all_raw(statement(
            db,
            "SELECT f.invc_no, f.state, f.request_json, f.signed_at, d.number \
             FROM fiscal_submission f JOIN sales_document d ON d.id = f.document_id \
             WHERE f.tin = ? AND f.bhf_id = ? AND f.invc_no IS NOT NULL",
            vec![device.tin.clone().into(), device.bhf_id.clone().into()],
        ))
        .await?
    {
        let request: Option<String> = r.try_get("", "request_json")?;
        let request: serde_json::Value = request
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        let total = request.get("totAmt").and_then(|v| match v {
            serde_json::Value::Number(n) => n.to_string().parse::<Decimal>().ok(),
            serde_json::Value::String(s) => s.parse::<Decimal>().ok(),
            _ => None,
        });
        let number: Option<String> = r.try_get("", "number")?;
        let invc_no: i64 = r.try_get("", "invc_no")?;
        local.insert(
            invc_no,
            LocalSale {
                state: r.try_get("", "state")?,
                document: request
                    .get("trdInvcNo")
                    .and_then(|v| v.as_str())
                    .map(str::to_owned)
                    .or(number),
                total,
                signed_at: r.try_get("", "signed_at")?,
            },
        );
    }
    let mut rec = Reconciliation {
        complete: state.full_since_at.is_some(),
        as_of: state.refreshed_at.clone(),
        kra_sales: kra.len(),
        local_signed: local.values().filter(|l| l.state == "signed").count(),
        ..Default::default()
    };
    let kra_numbers: std::collections::BTreeSet<i64> = kra.iter().map(|s| s.invc_no).collect();
    for s in &kra {
        match local.get(&s.invc_no) {
            Some(l) if l.state == "signed" => {
                let total_differs = matches!((s.total, l.total), (Some(a), Some(b)) if a != b);
                let document_differs = matches!(
                    (&s.trd_invc_no, &l.document),
                    (Some(a), Some(b)) if a.trim() != b.trim()
                );
                if total_differs || document_differs {
                    rec.differing.push(Discrepancy {
                        invc_no: s.invc_no,
                        document: s.trd_invc_no.clone(),
                        kra_total: s.total,
                        local_total: l.total,
                        local_state: Some(l.state.clone()),
                        note: format!(
                            "KRA holds invcNo {} as {} for {}; this file signed {} for {}. \
                             Compare the receipt with `hesabu etims lookup` and tell KRA or your \
                             accountant which is right.",
                            s.invc_no,
                            s.trd_invc_no.as_deref().unwrap_or("?"),
                            s.total.map(|t| t.to_string()).unwrap_or_else(|| "?".into()),
                            l.document.as_deref().unwrap_or("?"),
                            l.total.map(|t| t.to_string()).unwrap_or_else(|| "?".into()),
                        ),
                    });
                }
            }
            Some(l) => rec.missing_locally.push(Discrepancy {
                invc_no: s.invc_no,
                document: s.trd_invc_no.clone().or(l.document.clone()),
                kra_total: s.total,
                local_total: l.total,
                local_state: Some(l.state.clone()),
                note: format!(
                    "KRA signed invcNo {} while this file still has it {}: the sync queue's \
                     check adopts KRA's signature when it next sends (`hesabu sync run`).",
                    s.invc_no, l.state
                ),
            }),
            None => rec.missing_locally.push(Discrepancy {
                invc_no: s.invc_no,
                document: s.trd_invc_no.clone(),
                kra_total: s.total,
                local_total: None,
                local_state: None,
                note: format!(
                    "KRA signed invcNo {} ({}), which this file has no record of: it was \
                     signed by another program or copy of this company file with the same \
                     device. Find that sale and record it here, or ask KRA.",
                    s.invc_no,
                    s.trd_invc_no.as_deref().unwrap_or("no document number")
                ),
            }),
        }
    }
    if let (true, Some(as_of)) = (rec.complete, state.refreshed_at.as_deref()) {
        for (invc_no, l) in &local {
            let before_pull = l.signed_at.as_deref().is_some_and(|t| t <= as_of);
            if l.state == "signed" && before_pull && !kra_numbers.contains(invc_no) {
                rec.missing_at_kra.push(Discrepancy {
                    invc_no: *invc_no,
                    document: l.document.clone(),
                    kra_total: None,
                    local_total: l.total,
                    local_state: Some(l.state.clone()),
                    note: format!(
                        "This file holds KRA's signature for invcNo {invc_no} but KRA's sales \
                         list does not have it. Check it with `hesabu etims lookup` and raise it \
                         with KRA (timsupport@kra.go.ke) if KRA has no record."
                    ),
                });
            }
        }
    }
    Ok(rec)
}

/// Reconciles and, when the findings are new and not empty, raises one sync notice; the
/// findings' fingerprint is kept so the same ones are not announced daily.
async fn reconcile_and_notify(file: &CompanyFile) -> Result<Reconciliation> {
    let mut uow = file.begin_system().await?;
    let rec = reconcile(uow.db()).await?;
    let previous: Option<String> = match list_row(uow.db(), KraList::Sales).await? {
        Some(r) => r.try_get("", "reconciliation")?,
        None => None,
    };
    let fingerprint = rec.fingerprint();
    if previous.as_deref().unwrap_or("") == fingerprint {
        return Ok(rec);
    }
    let now = uow.now_text();
    ensure_state_row(uow.db(), KraList::Sales, &now).await?;
    uow.db()
        .execute_raw(statement(
            uow.db(),
            "UPDATE etims_kra_sync SET reconciliation = ?, updated_at = ? WHERE list = ?",
            vec![
                fingerprint.into(),
                now.into(),
                KraList::Sales.as_str().into(),
            ],
        ))
        .await?;
    if !rec.agrees() {
        notifications::insert(
            &uow,
            NewNotification {
                kind: RECONCILIATION_NOTICE,
                severity: "warning",
                title: "KRA's sales list and this company file disagree".into(),
                body: format!(
                    "{}. See `hesabu etims kra sales` for each sale and what to do.",
                    rec.summary()
                ),
                entity_type: Some("etims_kra_sale"),
                entity_id: None,
            },
        )
        .await?;
    }
    uow.audit(AuditDraft {
        action: "etims.kra_records.reconcile",
        entity_type: "etims_kra_records",
        entity_id: KraList::Sales.as_str().into(),
        before: None,
        after: Some(json!({ "summary": rec.summary() })),
    })
    .await?;
    uow.commit().await?;
    Ok(rec)
}

// ---- branch users ----------------------------------------------------------------------------

/// A company user and their registration as a branch user at KRA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BranchUserView {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub role: String,
    pub active: bool,
    /// The `userId` sent to KRA (CHAR 20).
    pub kra_user_id: String,
    /// `queued`, `registered`, `failed`; none: never queued.
    pub state: Option<String>,
    pub registered_at: Option<String>,
    /// KRA's message, or what stopped it.
    pub message: Option<String>,
    /// Whether KRA does not hold the user as they are now (a registration is due).
    pub pending: bool,
}

/// The `userId` KRA gets for a user: the id without dashes, cut to 20 characters (as the
/// `regrId` of every registration).
pub fn kra_user_id(user_id: &str) -> String {
    cut(&user_id.replace('-', ""), 20)
}

struct UserRow {
    id: String,
    email: String,
    name: String,
    role: String,
    active: bool,
    state: Option<String>,
    version: Option<i64>,
    queued_fingerprint: Option<String>,
    fingerprint: Option<String>,
    registered_at: Option<String>,
    message: Option<String>,
}

impl UserRow {
    /// What KRA should hold for the user: name, role and whether they are active.
    fn current_fingerprint(&self) -> String {
        let mut h = Sha256::new();
        h.update(format!("{}\n{}\n{}", self.name.trim(), self.role, self.active).as_bytes());
        format!("{:x}", h.finalize())
    }

    fn view(&self) -> BranchUserView {
        BranchUserView {
            user_id: self.id.clone(),
            email: self.email.clone(),
            name: self.name.clone(),
            role: self.role.clone(),
            active: self.active,
            kra_user_id: kra_user_id(&self.id),
            state: self.state.clone(),
            registered_at: self.registered_at.clone(),
            message: self.message.clone(),
            pending: (self.active || self.fingerprint.is_some())
                && self.fingerprint.as_deref() != Some(self.current_fingerprint().as_str()),
        }
    }
}

async fn user_rows(db: &impl ConnectionTrait, only: Option<&str>) -> Result<Vec<UserRow>> {
    let (filter, values): (&str, Vec<Value>) = match only {
        Some(id) => ("WHERE u.id = ?", vec![id.into()]),
        None => ("", vec![]),
    };
    db.query_all_raw(statement(
        db,
        &format!(
            "SELECT u.id, u.email, u.name, u.role, u.active, b.state, b.version, \
             b.queued_fingerprint, b.fingerprint, b.registered_at, b.result_msg \
             FROM app_user u LEFT JOIN etims_branch_user b ON b.user_id = u.id {filter} \
             ORDER BY u.active DESC, u.name"
        ),
        values,
    ))
    .await?
    .iter()
    .map(|r| {
        Ok(UserRow {
            id: r.try_get("", "id")?,
            email: r.try_get("", "email")?,
            name: r.try_get("", "name")?,
            role: r.try_get("", "role")?,
            active: r.try_get("", "active")?,
            state: r.try_get("", "state")?,
            version: r.try_get("", "version")?,
            queued_fingerprint: r.try_get("", "queued_fingerprint")?,
            fingerprint: r.try_get("", "fingerprint")?,
            registered_at: r.try_get("", "registered_at")?,
            message: r.try_get("", "result_msg")?,
        })
    })
    .collect()
}

/// The company's users and their registration at KRA (`hesabu etims users`).
pub async fn branch_users(file: &CompanyFile, session: &Session) -> Result<Vec<BranchUserView>> {
    session.require(Permission::UserView)?;
    Ok(user_rows(file.reader(), None)
        .await?
        .iter()
        .map(UserRow::view)
        .collect())
}

/// What queueing the branch users did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct UsersQueued {
    /// The users (emails) queued for `saveBhfUser`.
    pub queued: Vec<String>,
    /// Users KRA already holds as they are (or queued as they are).
    pub up_to_date: usize,
}

/// Queues `saveBhfUser` for every user KRA does not hold as they are now (active users, and
/// registered users since deactivated), one outbox row each. With a session (`hesabu etims
/// users register`) it needs the permission to manage users; without, the system does it (the
/// daily job, the device's initialisation). Needs an e-TIMS device.
pub async fn queue_branch_users(
    file: &CompanyFile,
    session: Option<&Session>,
) -> Result<UsersQueued> {
    if let Some(s) = session {
        s.require(Permission::UserManage)?;
    }
    if ledger::device(file.reader()).await?.is_none() {
        return Err(no_device());
    }
    let mut uow = begin(file, session).await?;
    let report = queue_branch_users_in(&mut uow).await?;
    // Nothing queued: nothing to save (the unit of work is rolled back when dropped).
    if !report.queued.is_empty() {
        uow.commit().await?;
    }
    Ok(report)
}

/// [`queue_branch_users`] in the caller's unit of work, for the company's device (the caller
/// checks there is one): the app's user service calls it when a user is added or deactivated,
/// so KRA hears of the change in the same transaction ([`crate::users`]).
pub async fn queue_branch_users_in(uow: &mut UnitOfWork) -> Result<UsersQueued> {
    let mut report = UsersQueued::default();
    for u in user_rows(uow.db(), None).await? {
        let current = u.current_fingerprint();
        // A user never registered and no longer active has nothing to tell KRA.
        if !u.active && u.fingerprint.is_none() && u.queued_fingerprint.is_none() {
            continue;
        }
        if u.queued_fingerprint.as_deref() == Some(current.as_str()) {
            report.up_to_date += 1;
            continue;
        }
        let version = u.version.unwrap_or(0) + 1;
        let now = uow.now_text();
        let kra_id = kra_user_id(&u.id);
        uow.db()
            .execute_raw(statement(
                uow.db(),
                "INSERT INTO etims_branch_user (user_id, kra_user_id, state, version, \
                 queued_fingerprint, updated_at) VALUES (?, ?, 'queued', ?, ?, ?) \
                 ON CONFLICT (user_id) DO UPDATE SET state = 'queued', version = excluded.version, \
                 queued_fingerprint = excluded.queued_fingerprint, \
                 updated_at = excluded.updated_at",
                vec![
                    u.id.clone().into(),
                    kra_id.clone().into(),
                    version.into(),
                    current.clone().into(),
                    now.into(),
                ],
            ))
            .await?;
        uow.enqueue(NewOutboxItem {
            target: ETIMS_TARGET.into(),
            operation: BRANCH_USER_OPERATION.into(),
            payload: json!({
                "entity_type": "user",
                "entity_id": u.id,
                "version": version,
            }),
            idempotency_key: format!("bhf_user:{kra_id}:{version}"),
            ordering_key: None,
            auto_retry: true,
        })
        .await?;
        uow.audit(AuditDraft {
            action: "etims.branch_user.queue",
            entity_type: "user",
            entity_id: u.id.clone(),
            before: None,
            after: Some(json!({
                "kra_user_id": kra_id,
                "name": u.name,
                "role": u.role,
                "active": u.active,
                "version": version,
            })),
        })
        .await?;
        report.queued.push(u.email.clone());
    }
    Ok(report)
}

/// A `branch_user.save` row: registers the user as they are now. A user KRA already holds as
/// they are is acknowledged without a call (a later row overtook this one). `saveBhfUser` is an
/// upsert keyed by `userId`, so a lost answer is simply sent again.
pub async fn send_branch_user(
    file: &CompanyFile,
    client: &Client,
    user_id: &str,
) -> std::result::Result<Ack, SendError> {
    let local = |e: Error| SendError::permanent(e.to_string());
    let Some(u) = user_rows(file.reader(), Some(user_id))
        .await
        .map_err(local)?
        .into_iter()
        .next()
    else {
        return Err(SendError::permanent(format!(
            "The user {user_id} is not in this company file; nothing to register at KRA."
        )));
    };
    let fingerprint = u.current_fingerprint();
    let kra_id = kra_user_id(&u.id);
    if u.fingerprint.as_deref() == Some(fingerprint.as_str()) {
        return Ok(Ack {
            remote_ref: Some(kra_id),
            result: Some(json!({ "state": "registered", "sent": false })),
        });
    }
    // Nobody signs in to KRA as a branch user (every call carries the device's cmcKey), but
    // KRA requires a password: a random one, sent once and kept nowhere.
    let mut h = Sha256::new();
    h.update(
        format!(
            "{}:{}",
            hesabu_store::ids::new_id(file.clock().as_ref()),
            u.id
        )
        .as_bytes(),
    );
    let pwd = cut(&format!("{:x}", h.finalize()), 20);
    let request = BranchUserRequest {
        user_id: kra_id.clone(),
        user_nm: cut(u.name.trim(), 60),
        pwd,
        adrs: None,
        cntc: Some(cut(&u.email, 20)).filter(|e| e.len() == u.email.len()),
        auth_cd: Some(u.role.clone()),
        remark: None,
        use_yn: if u.active { "Y" } else { "N" }.into(),
        regr_id: "hesabu".into(),
        regr_nm: "Hesabu".into(),
        modr_id: "hesabu".into(),
        modr_nm: "Hesabu".into(),
    };
    let mut shown = serde_json::to_value(&request).unwrap_or_default();
    if let Some(map) = shown.as_object_mut() {
        map.remove("pwd");
    }
    let answer = client.save_branch_user(&request).await;
    let record = async {
        let mut uow = file.begin_system().await?;
        let now = uow.now_text();
        let (state, result_cd, message) = match &answer {
            Ok(reply) => (
                "registered",
                Some(reply.result_cd.clone()),
                Some(reply.result_msg.clone()),
            ),
            Err(e) => (
                "failed",
                match e {
                    hesabu_etims::Error::Rejected(r) => Some(r.code.clone()),
                    _ => None,
                },
                Some(client_error("KRA refused the branch user", e).to_string()),
            ),
        };
        uow.db()
            .execute_raw(statement(
                uow.db(),
                "UPDATE etims_branch_user SET state = ?, request_json = ?, result_cd = ?, \
                 result_msg = ?, fingerprint = CASE WHEN ? THEN ? ELSE fingerprint END, \
                 registered_at = CASE WHEN ? THEN ? ELSE registered_at END, updated_at = ? \
                 WHERE user_id = ?",
                vec![
                    state.into(),
                    shown.to_string().into(),
                    result_cd.into(),
                    message.clone().into(),
                    answer.is_ok().into(),
                    fingerprint.clone().into(),
                    answer.is_ok().into(),
                    now.clone().into(),
                    now.into(),
                    u.id.clone().into(),
                ],
            ))
            .await?;
        uow.audit(AuditDraft {
            action: "etims.branch_user.register",
            entity_type: "user",
            entity_id: u.id.clone(),
            before: None,
            after: Some(json!({ "state": state, "request": shown, "message": message })),
        })
        .await?;
        uow.commit().await
    };
    record.await.map_err(local)?;
    match answer {
        Ok(_) => Ok(Ack {
            remote_ref: Some(kra_id),
            result: Some(json!({ "state": "registered", "sent": true })),
        }),
        Err(e) => {
            let doing = format!("Registering {} as a branch user at KRA", u.email);
            Err(match e.class() {
                ResultClass::Retryable => SendError::Retryable {
                    message: format!("{doing}: {e}"),
                    outcome_unknown: e.outcome_unknown(),
                    retry_after: e.retry_after(),
                },
                _ => SendError::permanent(format!(
                    "{doing}: {e}. Correct what KRA names (the user's name in `hesabu user`), \
                     then retry the row (`hesabu sync retry ID`)."
                )),
            })
        }
    }
}

// ---- the daily refresh -----------------------------------------------------------------------

/// What the daily job queued.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DailyQueued {
    /// Whether a refresh row was queued (false: today's is already queued).
    pub refresh_queued: bool,
    pub users: UsersQueued,
}

/// The daily job's work: one `kra_records.refresh` row a day (Nairobi date in its key) and the
/// branch users KRA does not hold yet. The system is the actor. Fails without a device.
pub async fn queue_daily(file: &CompanyFile) -> Result<DailyQueued> {
    if ledger::device(file.reader()).await?.is_none() {
        return Err(no_device());
    }
    let day = dates::format_date(&file.clock().now());
    let key = format!("kra_records:{day}");
    let db = file.reader();
    let queued = db
        .query_one_raw(statement(
            db,
            "SELECT 1 AS one FROM outbox WHERE target = ? AND idempotency_key = ?",
            vec![ETIMS_TARGET.into(), key.clone().into()],
        ))
        .await?
        .is_some();
    let mut report = DailyQueued::default();
    if !queued {
        let mut uow = file.begin_system().await?;
        uow.enqueue(NewOutboxItem {
            target: ETIMS_TARGET.into(),
            operation: REFRESH_OPERATION.into(),
            payload: json!({ "entity_type": "etims_kra_records", "entity_id": day }),
            idempotency_key: key,
            ordering_key: None,
            auto_retry: true,
        })
        .await?;
        uow.audit(AuditDraft {
            action: "etims.kra_records.queue",
            entity_type: "etims_kra_records",
            entity_id: day,
            before: None,
            after: None,
        })
        .await?;
        uow.commit().await?;
        report.refresh_queued = true;
    }
    report.users = queue_branch_users(file, None).await?;
    Ok(report)
}

/// A `kra_records.refresh` row: KRA's reference data (code lists, item classes, notices) and
/// the lists of this module. Retried (retryable) only when every pull failed and at least one
/// for a reason worth retrying (KRA unreachable); otherwise acknowledged with what each list
/// did, failures kept in each list's state.
pub async fn send_refresh(
    file: &CompanyFile,
    client: &Client,
) -> std::result::Result<Ack, SendError> {
    let local = |e: Error| SendError::permanent(e.to_string());
    let reference = reference::refresh_with(file, None, client)
        .await
        .map_err(local)?;
    let records = refresh_with(file, None, client, None)
        .await
        .map_err(local)?;
    // KRA's list of the device's stock movements, with its own watermark (`stock`).
    let stock_moves = super::stock::refresh_kra_moves_with(file, None, client)
        .await
        .map_err(local)?;
    // The sales suppliers declared against the PIN, to review (`purchases`).
    let purchases = super::purchases::refresh_with(file, None, client)
        .await
        .map_err(local)?;
    let reference_failed = reference
        .lists
        .iter()
        .filter(|l| l.outcome == RefreshOutcome::Failed)
        .count();
    let failed: Vec<&KraListRefresh> = records
        .lists
        .iter()
        .filter(|l| l.outcome == RefreshOutcome::Failed)
        .collect();
    if reference_failed == reference.lists.len()
        && failed.len() == records.lists.len()
        && failed.iter().any(|l| l.retryable)
    {
        return Err(SendError::retryable(
            failed
                .first()
                .and_then(|l| l.error.clone())
                .unwrap_or_else(|| "KRA could not be reached".into()),
        ));
    }
    Ok(Ack {
        remote_ref: None,
        result: Some(json!({
            "reference": reference.lists.iter().map(|l| json!({
                "list": l.list, "outcome": l.outcome, "received": l.received, "error": l.error,
            })).collect::<Vec<_>>(),
            "records": records.lists.iter().map(|l| json!({
                "list": l.list, "outcome": l.outcome, "received": l.received, "error": l.error,
            })).collect::<Vec<_>>(),
            "reconciliation": records.reconciliation.map(|r| r.summary()),
            "stock_moves": stock_moves,
            "purchases": purchases,
        })),
    })
}

/// What is cached per list (`hesabu etims kra status`).
#[derive(Debug, Clone, Serialize)]
pub struct KraListStatus {
    pub list: KraList,
    pub endpoint: &'static str,
    pub records: i64,
    #[serde(flatten)]
    pub state: KraListState,
}

pub async fn status(file: &CompanyFile, session: &Session) -> Result<Vec<KraListStatus>> {
    session.require(Permission::SalesView)?;
    let db = file.reader();
    let mut out = Vec::new();
    for list in KraList::ALL {
        let records: i64 = db
            .query_one_raw(statement(
                db,
                &format!("SELECT COUNT(*) AS n FROM {}", list.table()),
                vec![],
            ))
            .await?
            .map(|r| r.try_get("", "n"))
            .transpose()?
            .unwrap_or(0);
        out.push(KraListStatus {
            list,
            endpoint: list.endpoint(),
            records,
            state: list_state(db, list).await?,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_parse_and_upserts_name_every_column() {
        assert_eq!(KraList::parse(" Sales ").unwrap(), KraList::Sales);
        let err = KraList::parse("stock").unwrap_err().to_string();
        assert!(err.contains("branches, items, imports"), "{err}");
        let sql = upsert_sql(KraList::Imports);
        assert!(
            sql.starts_with("INSERT INTO etims_kra_import_item (task_cd, dcl_de, item_seq, dcl_no"),
            "{sql}"
        );
        assert!(sql.contains("ON CONFLICT (task_cd, dcl_de, item_seq) DO UPDATE"));
        assert!(!sql.contains("task_cd = excluded"));
        assert_eq!(
            kra_user_id("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b").len(),
            20
        );
    }
}
