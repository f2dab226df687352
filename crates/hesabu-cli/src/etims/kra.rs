//! `hesabu etims kra …` and `hesabu etims users …`: what KRA keeps for the device (branches,
//! items, imported items, our sales reconciled with the file, branch customers, the taxpayer)
//! and the company's users registered at KRA. Thin: parse, call one service
//! (`hesabu_app::etims::kra_records`), print.

use clap::{Args, Subcommand};
use hesabu_app::etims::Timeouts;
use hesabu_app::etims::kra_records::{self, KraList, KraRecords};
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;
use serde::Serialize;

use super::secrets;
use crate::Failure;
use crate::output::{Reply, table};

/// `--refresh`: pull the list from KRA first.
#[derive(Debug, Clone, Copy, Args)]
pub(crate) struct RefreshFlag {
    /// Pull what changed at KRA first (needs the device and a connection).
    #[arg(long)]
    refresh: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum KraCommand {
    /// The taxpayer's branches (selectBhfList).
    Branches(RefreshFlag),
    /// The items registered at KRA (selectItemList), matched with local items.
    Items(RefreshFlag),
    /// The items customs declared as imported (selectImportItemList).
    Imports(RefreshFlag),
    /// KRA's record of our sales (selectTrnsSalesList), reconciled with the signed sales here.
    Sales(RefreshFlag),
    /// The branch's customers as KRA lists them (selectCustomerList).
    Customers(RefreshFlag),
    /// The taxpayer as KRA registered it (selectTaxpayerInfo).
    Taxpayer(RefreshFlag),
    /// Pull every list now (the daily job does it by itself).
    Refresh,
    /// What is cached and when each list was last pulled.
    Status,
}

#[derive(Debug, Subcommand)]
pub(crate) enum UsersCommand {
    /// The company's users and whether KRA holds them as branch users.
    List,
    /// Queue every user KRA does not hold as they are (saveBhfUser); `hesabu sync run` sends.
    Register,
}

fn o(text: &Option<String>) -> String {
    text.clone().unwrap_or_default()
}

fn state_line<T>(r: &KraRecords<T>) -> String {
    match (&r.state.last_req_dt, &r.state.last_error) {
        (None, None) => format!(
            "Never pulled from KRA ({}): `--refresh`, or wait for the daily job.\n",
            r.list.endpoint()
        ),
        (Some(dt), None) => format!("KRA's {} as of {dt}.\n", r.list.endpoint()),
        (dt, Some(e)) => format!(
            "KRA's {} as of {}; the last pull failed: {e}\n",
            r.list.endpoint(),
            dt.as_deref().unwrap_or("never")
        ),
    }
}

fn listing<T: Serialize>(
    r: &KraRecords<T>,
    headers: &[&str],
    row: impl Fn(&T) -> Vec<String>,
) -> Reply {
    let text = format!(
        "{}{}",
        table(headers, r.records.iter().map(row).collect()),
        state_line(r)
    );
    Reply::entity(r, text)
}

async fn refresh_first(
    file: &CompanyFile,
    session: &Session,
    list: KraList,
    flag: RefreshFlag,
) -> Result<(), Failure> {
    if flag.refresh {
        let store = secrets()?;
        let report = kra_records::refresh(
            file,
            session,
            store.as_ref(),
            Timeouts::default(),
            Some(list),
        )
        .await?;
        if let Some(e) = report.lists.iter().find_map(|l| l.error.clone()) {
            return Err(hesabu_store::Error::Unavailable(e).into());
        }
    }
    Ok(())
}

pub(crate) async fn run(
    command: &KraCommand,
    file: &CompanyFile,
    session: &Session,
) -> Result<Reply, Failure> {
    Ok(match command {
        KraCommand::Branches(flag) => {
            refresh_first(file, session, KraList::Branches, *flag).await?;
            let r = kra_records::branches(file, session).await?;
            listing(
                &r,
                &["BRANCH", "NAME", "STATUS", "HQ", "LOCATION", "MANAGER", ""],
                |b| {
                    vec![
                        b.bhf_id.clone(),
                        o(&b.name),
                        o(&b.status),
                        if b.head_office { "yes" } else { "" }.into(),
                        o(&b.location),
                        o(&b.manager),
                        if b.this_device { "this device" } else { "" }.into(),
                    ]
                },
            )
        }
        KraCommand::Items(flag) => {
            refresh_first(file, session, KraList::Items, *flag).await?;
            let r = kra_records::items(file, session).await?;
            listing(
                &r,
                &["ITEM CODE", "NAME", "CLASS", "TAX", "PRICE", "LOCAL ITEM"],
                |i| {
                    vec![
                        i.item_cd.clone(),
                        o(&i.name),
                        o(&i.classification),
                        o(&i.tax_type),
                        i.default_price.map(|p| p.to_string()).unwrap_or_default(),
                        i.local_code.clone().unwrap_or_else(|| "(not here)".into()),
                    ]
                },
            )
        }
        KraCommand::Imports(flag) => {
            refresh_first(file, session, KraList::Imports, *flag).await?;
            let r = kra_records::imports(file, session).await?;
            listing(
                &r,
                &[
                    "TASK",
                    "DECLARED",
                    "SEQ",
                    "ITEM",
                    "QTY",
                    "STATUS",
                    "ITEM CODE",
                ],
                |i| {
                    vec![
                        i.task_cd.clone(),
                        i.declared_on.clone(),
                        i.item_seq.to_string(),
                        o(&i.name),
                        format!(
                            "{} {}",
                            i.quantity.map(|q| q.to_string()).unwrap_or_default(),
                            o(&i.quantity_unit)
                        ),
                        match i.status.as_deref() {
                            Some("2") => "waiting".into(),
                            Some("3") => "approved".into(),
                            Some("4") => "cancelled".into(),
                            other => other.unwrap_or_default().to_owned(),
                        },
                        o(&i.item_cd),
                    ]
                },
            )
        }
        KraCommand::Sales(flag) => {
            refresh_first(file, session, KraList::Sales, *flag).await?;
            let view = kra_records::sales(file, session).await?;
            let rows = view
                .sales
                .records
                .iter()
                .map(|s| {
                    vec![
                        s.invc_no.to_string(),
                        o(&s.rcpt_ty_cd),
                        o(&s.trd_invc_no),
                        o(&s.customer_name),
                        s.total.map(|t| t.to_string()).unwrap_or_default(),
                        o(&s.sales_dt),
                    ]
                })
                .collect();
            let rec = &view.reconciliation;
            let mut text = format!(
                "{}{}",
                table(
                    &["invcNo", "TYPE", "DOCUMENT", "CUSTOMER", "TOTAL", "DATE"],
                    rows
                ),
                state_line(&view.sales)
            );
            text.push_str(&format!("Reconciliation: {}.\n", rec.summary()));
            for d in rec
                .missing_locally
                .iter()
                .chain(&rec.missing_at_kra)
                .chain(&rec.differing)
            {
                text.push_str(&format!("  {}: {}\n", d.invc_no, d.note));
            }
            if !rec.complete && rec.as_of.is_some() {
                text.push_str(
                    "  (KRA's list was not pulled from the start: sales missing at KRA are not \
                     checked.)\n",
                );
            }
            Reply::entity(&view, text)
        }
        KraCommand::Customers(flag) => {
            refresh_first(file, session, KraList::Customers, *flag).await?;
            let r = kra_records::customers(file, session).await?;
            listing(&r, &["CUSTOMER NO", "PIN", "NAME", ""], |c| {
                vec![
                    c.cust_no.clone(),
                    o(&c.pin),
                    o(&c.name),
                    if c.in_use { "" } else { "deactivated" }.into(),
                ]
            })
        }
        KraCommand::Taxpayer(flag) => {
            refresh_first(file, session, KraList::Taxpayer, *flag).await?;
            let r = kra_records::taxpayer(file, session).await?;
            listing(&r, &["PIN", "NAME", "STATUS", "COUNTY", "LOCATION"], |t| {
                vec![
                    t.tin.clone(),
                    o(&t.name),
                    match t.status.as_deref() {
                        Some("A") => "active".into(),
                        Some("D") => "inactive".into(),
                        other => other.unwrap_or_default().to_owned(),
                    },
                    o(&t.county),
                    o(&t.location),
                ]
            })
        }
        KraCommand::Refresh => {
            let store = secrets()?;
            let report =
                kra_records::refresh(file, session, store.as_ref(), Timeouts::default(), None)
                    .await?;
            let rows = report
                .lists
                .iter()
                .map(|l| {
                    vec![
                        l.list.endpoint().into(),
                        format!("{:?}", l.outcome).to_lowercase(),
                        l.received.to_string(),
                        l.last_req_dt_sent.clone(),
                        l.watermark.clone().unwrap_or_default(),
                        l.error.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            let mut text = table(
                &[
                    "LIST",
                    "OUTCOME",
                    "RECEIVED",
                    "SENT lastReqDt",
                    "NEXT lastReqDt",
                    "ERROR",
                ],
                rows,
            );
            if let Some(rec) = &report.reconciliation {
                text.push_str(&format!("Reconciliation: {}.\n", rec.summary()));
            }
            Reply::entity(&report, text)
        }
        KraCommand::Status => {
            let status = kra_records::status(file, session).await?;
            let rows = status
                .iter()
                .map(|l| {
                    vec![
                        l.endpoint.into(),
                        l.records.to_string(),
                        l.state
                            .last_req_dt
                            .clone()
                            .unwrap_or_else(|| "never".into()),
                        o(&l.state.refreshed_at),
                        o(&l.state.last_error),
                    ]
                })
                .collect();
            let text = table(
                &["LIST", "CACHED", "LAST resultDt", "PULLED AT", "LAST ERROR"],
                rows,
            );
            Reply::entity(&status, text)
        }
    })
}

pub(crate) async fn run_users(
    command: &UsersCommand,
    file: &CompanyFile,
    session: &Session,
) -> Result<Reply, Failure> {
    Ok(match command {
        UsersCommand::List => {
            let users = kra_records::branch_users(file, session).await?;
            let rows = users
                .iter()
                .map(|u| {
                    vec![
                        u.email.clone(),
                        u.name.clone(),
                        u.role.clone(),
                        u.kra_user_id.clone(),
                        u.state.clone().unwrap_or_else(|| "not queued".into()),
                        if u.pending { "due" } else { "" }.into(),
                        o(&u.message),
                    ]
                })
                .collect();
            let text = table(
                &[
                    "USER",
                    "NAME",
                    "ROLE",
                    "KRA userId",
                    "STATE",
                    "",
                    "KRA SAID",
                ],
                rows,
            );
            Reply::list(&users, text)
        }
        UsersCommand::Register => {
            let queued = kra_records::queue_branch_users(file, Some(session)).await?;
            let text = if queued.queued.is_empty() {
                format!(
                    "KRA holds every user as they are ({} up to date); nothing queued.\n",
                    queued.up_to_date
                )
            } else {
                format!(
                    "Queued for KRA (saveBhfUser): {}. `hesabu sync run` sends them.\n",
                    queued.queued.join(", ")
                )
            };
            Reply::entity(&queued, text)
        }
    })
}
