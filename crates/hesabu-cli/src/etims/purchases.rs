//! `hesabu etims purchases …`: the sales suppliers declared against the company's PIN, and our
//! answers to them. Thin: parse, call one service (`hesabu_app::etims::purchases`), print. An
//! answer is queued for KRA; `hesabu sync run` sends it.

use clap::Subcommand;
use hesabu_app::etims::Timeouts;
use hesabu_app::etims::purchases::{self, PurchaseLineView, PurchaseState, PurchaseView};
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;

use super::secrets;
use crate::Failure;
use crate::output::{Reply, table};

#[derive(Debug, Subcommand)]
pub(crate) enum PurchasesCommand {
    /// Fetch the sales suppliers declared against the PIN since the last fetch
    /// (selectTrnsPurchaseSalesList); each is stored once.
    Refresh,
    /// The suppliers' sales fetched, newest first.
    List {
        /// Only those in this state: awaiting_review, queued, confirmed, rejected_by_kra.
        #[arg(long)]
        state: Option<String>,
    },
    /// One supplier sale with its lines and the items they are mapped to.
    Show { id: String },
    /// Map supplier line LINE of purchase ID to one of the company's items (code, KRA item
    /// code, barcode or id).
    Map {
        id: String,
        line: String,
        item: String,
    },
    /// Accept the purchase: every line must be mapped; KRA is told with our next purchase
    /// number and the goods come into stock.
    Accept { id: String },
    /// Reject the purchase; KRA is told it is cancelled, with the reason.
    Reject {
        id: String,
        #[arg(long)]
        reason: String,
    },
}

fn o(text: &Option<String>) -> String {
    text.clone().unwrap_or_default()
}

fn kra_words(p: &PurchaseView) -> String {
    match (p.state, p.sync_state.as_deref()) {
        (PurchaseState::AwaitingReview, _) => "awaiting review".into(),
        (PurchaseState::Queued, _) => "queued (`hesabu sync run` sends it)".into(),
        (PurchaseState::Confirmed, _) => "KRA has it".into(),
        (PurchaseState::RejectedByKra, _) => {
            format!("refused by KRA ({}): {}", o(&p.result_cd), o(&p.result_msg))
        }
    }
}

fn row(p: &PurchaseView) -> Vec<String> {
    vec![
        p.id.clone(),
        format!(
            "{} ({}/{})",
            o(&p.supplier_name),
            p.supplier_tin,
            p.supplier_bhf_id
        ),
        p.supplier_invc_no.to_string(),
        o(&p.sales_date),
        o(&p.total),
        p.answer.map(|a| a.as_str().to_owned()).unwrap_or_default(),
        p.invc_no.map(|n| n.to_string()).unwrap_or_default(),
        kra_words(p),
    ]
}

const HEADERS: [&str; 8] = [
    "ID",
    "SUPPLIER",
    "THEIR INVOICE",
    "DATE",
    "TOTAL",
    "ANSWER",
    "OUR NO.",
    "STATE",
];

fn line_row(l: &PurchaseLineView) -> Vec<String> {
    vec![
        l.item_seq.to_string(),
        format!("{} {}", o(&l.supplier_item_cd), o(&l.supplier_item_nm)),
        format!("{} {}", o(&l.quantity), o(&l.quantity_unit)),
        o(&l.unit_price),
        o(&l.tax_type),
        o(&l.total),
        match (&l.item_code, &l.mapped_by) {
            (Some(code), by) => format!("{code} {} ({})", o(&l.item_name), o(by)),
            (None, _) => "not mapped".into(),
        },
    ]
}

fn purchase_text(p: &PurchaseView) -> String {
    let mut text = table(&HEADERS, vec![row(p)]);
    if let Some(reason) = &p.reason {
        text.push_str(&format!("Reason: {reason}\n"));
    }
    text.push_str(&table(
        &[
            "LINE",
            "SUPPLIER ITEM",
            "QUANTITY",
            "PRICE",
            "TAX",
            "TOTAL",
            "OUR ITEM",
        ],
        p.lines.iter().map(line_row).collect(),
    ));
    text
}

pub(crate) async fn run(
    command: &PurchasesCommand,
    file: &CompanyFile,
    session: &Session,
) -> Result<Reply, Failure> {
    Ok(match command {
        PurchasesCommand::Refresh => {
            let store = secrets()?;
            let r = purchases::refresh(file, session, store.as_ref(), Timeouts::default()).await?;
            let text = match &r.error {
                Some(e) => format!("{e}\n"),
                None => format!(
                    "KRA listed {} supplier sale(s), {} new. `hesabu etims purchases list --state \
                     awaiting_review` shows those to review.\n",
                    r.received, r.new
                ),
            };
            Reply::entity(&r, text)
        }
        PurchasesCommand::List { state } => {
            let state = state.as_deref().map(PurchaseState::parse).transpose()?;
            let list = purchases::list(file, session, state).await?;
            let text = if list.is_empty() {
                "No supplier sales (`hesabu etims purchases refresh` fetches them).\n".into()
            } else {
                table(&HEADERS, list.iter().map(row).collect())
            };
            Reply::list(&list, text)
        }
        PurchasesCommand::Show { id } => {
            let p = purchases::show(file, session, id).await?;
            Reply::entity(&p, purchase_text(&p))
        }
        PurchasesCommand::Map { id, line, item } => {
            let line = purchases::parse_line(line)?;
            let p = purchases::map_line(file, session, id, line, item).await?;
            Reply::entity(&p, purchase_text(&p))
        }
        PurchasesCommand::Accept { id } => {
            let p = purchases::accept(file, session, id).await?;
            Reply::entity(&p, purchase_text(&p))
        }
        PurchasesCommand::Reject { id, reason } => {
            let p = purchases::reject(file, session, id, reason).await?;
            Reply::entity(&p, purchase_text(&p))
        }
    })
}
