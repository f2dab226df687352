//! `hesabu etims stock …`: the stock of goods reported to KRA. Thin: parse, call one service
//! (`hesabu_app::etims::stock`), print. Opening stock and adjustments are queued for KRA;
//! `hesabu sync run` sends them.

use clap::Subcommand;
use hesabu_app::etims::Timeouts;
use hesabu_app::etims::stock::{self, KraStockMoves, StockLevelView, StockMovementView};
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;

use super::secrets;
use crate::Failure;
use crate::output::{Reply, table};

#[derive(Debug, Subcommand)]
pub(crate) enum StockCommand {
    /// Every goods item's quantity on hand and how its last movement stands at KRA.
    Levels,
    /// The stock movements, newest first (sarNo, kind, lines); `--kra`: KRA's list instead.
    Moves {
        /// Only the movements of this item (code, KRA item code or id).
        #[arg(long)]
        item: Option<String>,
        /// At most this many (default 200).
        #[arg(long)]
        limit: Option<u32>,
        /// KRA's list of the device's stock movements (selectStockMoveList), as last pulled.
        #[arg(long)]
        kra: bool,
        /// With --kra: pull what changed at KRA first.
        #[arg(long, requires = "kra")]
        refresh: bool,
    },
    /// Record the opening stock of a goods item (once per item), reported to KRA.
    Opening {
        item: String,
        /// The quantity on hand, greater than 0 (e.g. 10 or 2.5).
        quantity: String,
        /// What one unit cost, greater than 0.
        #[arg(long)]
        unit_cost: String,
    },
    /// Correct the stock of a goods item by DELTA (negative: out), reported to KRA.
    Adjust {
        item: String,
        /// E.g. 5 or -2.5 (write a negative as `-- -2` or `=-2` if the shell needs it).
        #[arg(allow_hyphen_values = true)]
        delta: String,
        /// Why (kept in the audit log, sent to KRA as the remark).
        #[arg(long)]
        reason: String,
    },
}

fn sync_words(state: Option<&str>, error: Option<&str>) -> String {
    match (state, error) {
        (Some("done"), _) => "at KRA".into(),
        (Some("dead"), Some(e)) => format!("failed: {e}"),
        (Some("dead"), None) => "failed".into(),
        (Some(_), _) => "queued (`hesabu sync run` sends it)".into(),
        (None, _) => "-".into(),
    }
}

fn levels_text(levels: &[StockLevelView]) -> String {
    if levels.is_empty() {
        return "No goods items: stock is kept for raw materials and finished goods.\n".into();
    }
    table(
        &["ITEM", "NAME", "ON HAND", "UNIT", "LAST SAR", "KRA"],
        levels
            .iter()
            .map(|l| {
                vec![
                    l.code.clone(),
                    l.name.clone(),
                    if l.recorded {
                        l.quantity.clone()
                    } else {
                        "none recorded".into()
                    },
                    l.quantity_unit.clone(),
                    l.last_sar_no.map(|n| n.to_string()).unwrap_or_default(),
                    sync_words(l.sync_state.as_deref(), l.sync_error.as_deref()),
                ]
            })
            .collect(),
    )
}

fn moves_text(moves: &[StockMovementView]) -> String {
    if moves.is_empty() {
        return "No stock movements yet: `hesabu etims stock opening ITEM QTY --unit-cost C`.\n"
            .into();
    }
    table(
        &["SAR", "DATE", "KIND", "CODE", "LINES", "SOURCE", "KRA"],
        moves
            .iter()
            .map(|m| {
                vec![
                    m.sar_no.to_string(),
                    m.occurred_on.clone(),
                    m.kind.as_str().into(),
                    m.sar_ty_cd.clone(),
                    m.lines
                        .iter()
                        .map(|l| format!("{} {} → {}", l.code, l.quantity, l.remaining_after))
                        .collect::<Vec<_>>()
                        .join(", "),
                    m.source.clone(),
                    sync_words(m.sync_state.as_deref(), m.sync_error.as_deref()),
                ]
            })
            .collect(),
    )
}

fn kra_text(k: &KraStockMoves) -> String {
    let head = match (&k.refreshed_at, &k.last_error) {
        (_, Some(e)) => format!("The last pull failed: {e}\n"),
        (Some(at), None) => format!(
            "Pulled {at} (next lastReqDt {}).\n",
            k.last_req_dt.clone().unwrap_or_default()
        ),
        (None, None) => "Never pulled: `hesabu etims stock moves --kra --refresh`.\n".into(),
    };
    head + &table(
        &["SAR", "DATE", "CUSTOMER", "ITEMS", "TOTAL", "REMARK"],
        k.moves
            .iter()
            .map(|m| {
                vec![
                    m.sar_no.to_string(),
                    m.ocrn_dt.clone().unwrap_or_default(),
                    m.cust_tin.clone().unwrap_or_default(),
                    m.item_count.map(|n| n.to_string()).unwrap_or_default(),
                    m.total.clone().unwrap_or_default(),
                    m.remark.clone().unwrap_or_default(),
                ]
            })
            .collect(),
    )
}

fn movement_text(m: &StockMovementView) -> String {
    format!(
        "Stock movement sarNo {} ({}, KRA code {}) recorded: {}\n{}",
        m.sar_no,
        m.kind.as_str(),
        m.sar_ty_cd,
        sync_words(m.sync_state.as_deref(), m.sync_error.as_deref()),
        moves_text(std::slice::from_ref(m))
    )
}

pub(crate) async fn run(
    command: &StockCommand,
    file: &CompanyFile,
    session: &Session,
) -> Result<Reply, Failure> {
    Ok(match command {
        StockCommand::Levels => {
            let levels = stock::levels(file, session).await?;
            Reply::list(&levels, levels_text(&levels))
        }
        StockCommand::Moves {
            item,
            limit,
            kra,
            refresh,
        } => {
            if *kra {
                if *refresh {
                    let store = secrets()?;
                    stock::refresh_kra_moves(file, session, store.as_ref(), Timeouts::default())
                        .await?;
                }
                let k = stock::kra_moves(file, session).await?;
                Reply::entity(&k, kra_text(&k))
            } else {
                let moves = stock::movements(file, session, item.as_deref(), *limit).await?;
                Reply::list(&moves, moves_text(&moves))
            }
        }
        StockCommand::Opening {
            item,
            quantity,
            unit_cost,
        } => {
            let m = stock::opening(
                file,
                session,
                item,
                stock::parse_decimal(quantity, "quantity")?,
                stock::parse_decimal(unit_cost, "unit cost")?,
            )
            .await?;
            Reply::entity(&m, movement_text(&m))
        }
        StockCommand::Adjust {
            item,
            delta,
            reason,
        } => {
            let m = stock::adjust(
                file,
                session,
                item,
                stock::parse_decimal(delta, "adjustment")?,
                reason,
            )
            .await?;
            Reply::entity(&m, movement_text(&m))
        }
    })
}
