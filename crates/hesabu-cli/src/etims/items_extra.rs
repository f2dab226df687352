//! `hesabu etims composition …`, `hesabu etims insurer …` and `hesabu etims imports …`: item
//! compositions, the branch's insurers and answers to imported items. Thin: parse, call one
//! service (`hesabu_app::etims::{compositions, insurers, imports}`), print. Every change is
//! queued for KRA; `hesabu sync run` sends it.

use clap::Subcommand;
use hesabu_app::etims::Timeouts;
use hesabu_app::etims::compositions::{self, ComponentInput, CompositionView};
use hesabu_app::etims::imports::{self, ImportView};
use hesabu_app::etims::insurers::{self, InsurerChange, InsurerView, NewInsurer};
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;

use super::secrets;
use crate::Failure;
use crate::output::{Reply, table};

#[derive(Debug, Subcommand)]
pub(crate) enum CompositionCommand {
    /// Set what an item is made of (saveItemComposition): every component as CODE=QTY, the
    /// quantity that goes into one item. Replaces the item's composition.
    Set {
        item: String,
        #[arg(long = "component", value_name = "CODE=QTY", required = true)]
        components: Vec<String>,
    },
    /// An item's composition and whether KRA has it.
    Show { item: String },
}

#[derive(Debug, Subcommand)]
pub(crate) enum InsurerCommand {
    /// Add an insurer the branch accepts (saveBhfInsurance).
    Add {
        /// The insurer's code (isrccCd), e.g. AAR01.
        code: String,
        #[arg(long)]
        name: String,
        /// The premium rate in percent, 0 to 100 (e.g. 12.5).
        #[arg(long)]
        rate: String,
    },
    /// Change an insurer's name or rate, or deactivate / reactivate it; sent to KRA again.
    Update {
        code: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        rate: Option<String>,
        #[arg(long, conflicts_with = "activate")]
        deactivate: bool,
        #[arg(long)]
        activate: bool,
    },
    /// The insurers and whether KRA has each.
    List,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ImportsCommand {
    /// The items customs declared as imported, with the answers given.
    List {
        /// Fetch KRA's list first (selectImportItemList).
        #[arg(long)]
        refresh: bool,
    },
    /// Accept an imported item (TASK/SEQ) into one of our items registered at KRA.
    Accept {
        reference: String,
        /// Our item (code, KRA item code or id) the import becomes.
        #[arg(long)]
        item: String,
        #[arg(long)]
        remark: Option<String>,
    },
    /// Reject an imported item (TASK/SEQ).
    Reject {
        reference: String,
        #[arg(long)]
        remark: Option<String>,
    },
}

fn o(text: &Option<String>) -> String {
    text.clone().unwrap_or_default()
}

fn sync_words(state: Option<&str>, error: Option<&str>) -> String {
    match (state, error) {
        (Some("done"), _) => "at KRA".into(),
        (Some("dead"), Some(e)) => format!("failed: {e}"),
        (Some("dead"), None) => "failed".into(),
        (Some(_), _) => "queued (`hesabu sync run` sends it)".into(),
        (None, _) => "not queued".into(),
    }
}

fn composition_text(c: &CompositionView) -> String {
    format!(
        "Item {} ({}, {}), composition version {}: {}\n{}",
        c.code,
        c.name,
        c.kra_item_code,
        c.version,
        sync_words(c.sync_state.as_deref(), c.sync_error.as_deref()),
        table(
            &["COMPONENT", "NAME", "KRA ITEM CODE", "QUANTITY"],
            c.components
                .iter()
                .map(|x| {
                    vec![
                        x.code.clone(),
                        x.name.clone(),
                        x.kra_item_code.clone(),
                        x.quantity.clone(),
                    ]
                })
                .collect(),
        )
    )
}

fn insurer_row(i: &InsurerView) -> Vec<String> {
    vec![
        i.code.clone(),
        i.name.clone(),
        format!("{} %", i.premium_rate),
        if i.active { "yes" } else { "no" }.into(),
        sync_words(i.sync_state.as_deref(), i.sync_error.as_deref()),
    ]
}

const INSURER_HEADERS: [&str; 5] = ["CODE", "NAME", "PREMIUM", "ACTIVE", "KRA"];

fn import_row(i: &ImportView) -> Vec<String> {
    let answer = match &i.answer {
        Some(a) => format!(
            "{}{} ({})",
            a.decision,
            a.item_code
                .as_ref()
                .map(|c| format!(" into {c}"))
                .unwrap_or_default(),
            sync_words(a.sync_state.as_deref(), a.sync_error.as_deref())
        ),
        None if i.is_open() => "waiting".into(),
        None => format!("answered at KRA (status {})", o(&i.kra_status)),
    };
    vec![
        i.reference.clone(),
        i.declared_on.clone(),
        o(&i.name),
        o(&i.hs_code),
        format!("{} {}", o(&i.quantity), o(&i.quantity_unit)),
        o(&i.supplier),
        answer,
    ]
}

fn import_text(i: &ImportView) -> String {
    table(
        &[
            "IMPORT", "DECLARED", "NAME", "HS CODE", "QUANTITY", "SUPPLIER", "ANSWER",
        ],
        vec![import_row(i)],
    )
}

pub(crate) async fn run_composition(
    command: &CompositionCommand,
    file: &CompanyFile,
    session: &Session,
) -> Result<Reply, Failure> {
    Ok(match command {
        CompositionCommand::Set { item, components } => {
            let components = components
                .iter()
                .map(|c| c.parse::<ComponentInput>())
                .collect::<Result<Vec<_>, _>>()?;
            let c = compositions::set(file, session, item, &components).await?;
            Reply::entity(&c, composition_text(&c))
        }
        CompositionCommand::Show { item } => match compositions::show(file, session, item).await? {
            Some(c) => Reply::entity(&c, composition_text(&c)),
            None => Reply::entity(
                &serde_json::Value::Null,
                format!(
                    "Item {item} has no composition: `hesabu etims composition set {item} \
                     --component CODE=QTY`.\n"
                ),
            ),
        },
    })
}

pub(crate) async fn run_insurer(
    command: &InsurerCommand,
    file: &CompanyFile,
    session: &Session,
) -> Result<Reply, Failure> {
    Ok(match command {
        InsurerCommand::Add { code, name, rate } => {
            let i = insurers::add(
                file,
                session,
                &NewInsurer {
                    code: code.clone(),
                    name: name.clone(),
                    premium_rate: insurers::parse_rate(rate)?,
                },
            )
            .await?;
            Reply::entity(&i, table(&INSURER_HEADERS, vec![insurer_row(&i)]))
        }
        InsurerCommand::Update {
            code,
            name,
            rate,
            deactivate,
            activate,
        } => {
            let change = InsurerChange {
                name: name.clone(),
                premium_rate: rate.as_deref().map(insurers::parse_rate).transpose()?,
                active: match (activate, deactivate) {
                    (true, _) => Some(true),
                    (_, true) => Some(false),
                    _ => None,
                },
            };
            let i = insurers::update(file, session, code, &change).await?;
            Reply::entity(&i, table(&INSURER_HEADERS, vec![insurer_row(&i)]))
        }
        InsurerCommand::List => {
            let list = insurers::list(file, session).await?;
            let text = if list.is_empty() {
                "No insurers: `hesabu etims insurer add CODE --name NAME --rate PERCENT`.\n".into()
            } else {
                table(&INSURER_HEADERS, list.iter().map(insurer_row).collect())
            };
            Reply::list(&list, text)
        }
    })
}

pub(crate) async fn run_imports(
    command: &ImportsCommand,
    file: &CompanyFile,
    session: &Session,
) -> Result<Reply, Failure> {
    Ok(match command {
        ImportsCommand::List { refresh } => {
            let list = if *refresh {
                let store = secrets()?;
                imports::refresh(file, session, store.as_ref(), Timeouts::default()).await?
            } else {
                imports::list(file, session).await?
            };
            let text = if list.is_empty() {
                "No imported items in KRA's list as last fetched (`--refresh` fetches it).\n".into()
            } else {
                table(
                    &[
                        "IMPORT", "DECLARED", "NAME", "HS CODE", "QUANTITY", "SUPPLIER", "ANSWER",
                    ],
                    list.iter().map(import_row).collect(),
                )
            };
            Reply::list(&list, text)
        }
        ImportsCommand::Accept {
            reference,
            item,
            remark,
        } => {
            let i = imports::accept(file, session, reference, item, remark.as_deref()).await?;
            Reply::entity(&i, import_text(&i))
        }
        ImportsCommand::Reject { reference, remark } => {
            let i = imports::reject(file, session, reference, remark.as_deref()).await?;
            Reply::entity(&i, import_text(&i))
        }
    })
}
