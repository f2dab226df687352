//! The sales ledger: customers, items, and the sales documents (invoices, credit notes, cash
//! sales) that e-TIMS signs, receipts print and QuickBooks sends in. Usable on its own by an
//! accountant who does not use QuickBooks, and the one source those three read.
//!
//! - [`tax`] — KRA tax maths (spec §12), the only place a line or band total is computed;
//! - [`customers`], [`items`] — the master data, with their import ([`import`]);
//! - [`documents`] — drafts, issuing (numbered without gaps), voiding, credit-note limits;
//! - [`settings`] — the company's price basis and approval threshold;
//! - [`export`] — the sales list as an export table.
//!
//! Issuing may need approval: that gate is `approvals::sales_gate`, one layer up, which calls
//! [`documents::issue_in`] once a sale may be issued (at once, or on final approval).
//! Issuing and master-data changes raise the events the five e-TIMS workflows listen to, in the
//! same unit of work (`workflows::events::record`).

pub mod customers;
pub mod documents;
pub mod export;
pub mod fiscal;
pub mod import;
pub mod items;
pub mod settings;
pub mod synced;
pub mod tax;

use rust_decimal::Decimal;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};

use crate::entities::number_sequence;
use hesabu_store::error::{Error, Result};
use hesabu_store::uow::UnitOfWork;

pub use crate::entities::{SalesStatus, SalesType};

/// Takes the next number of the gap-free sequence `name` inside `uow`. The unit of work holds
/// the write lock (`BEGIN IMMEDIATE`) from its start, so two processes cannot read the same
/// value; a rolled-back unit of work takes no number.
pub(crate) async fn next_number(uow: &UnitOfWork, name: &str) -> Result<i64> {
    let row = number_sequence::Entity::find_by_id(name.to_owned())
        .one(uow.db())
        .await?;
    match row {
        Some(row) => {
            let next = row
                .last_number
                .checked_add(1)
                .ok_or_else(|| Error::Internal(format!("the {name} sequence is exhausted")))?;
            let mut active: number_sequence::ActiveModel = row.into();
            active.last_number = Set(next);
            active.update(uow.db()).await?;
            Ok(next)
        }
        None => {
            number_sequence::ActiveModel::from(number_sequence::Model {
                name: name.to_owned(),
                last_number: 1,
            })
            .insert(uow.db())
            .await?;
            Ok(1)
        }
    }
}

/// Trimmed text, `None` when empty.
pub(crate) fn clean(text: Option<&str>) -> Option<String> {
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

/// A money amount a person typed: not negative, at most 2 decimals (4 for unit prices), below
/// [`tax::MAX_AMOUNT`]. `what` names the field in the message.
pub(crate) fn check_amount(what: &str, amount: Decimal, max_scale: u32) -> Result<Decimal> {
    if amount.is_sign_negative() && !amount.is_zero() {
        return Err(Error::invalid(format!(
            "The {what} {amount} is negative: enter 0 or more."
        )));
    }
    if amount.normalize().scale() > max_scale {
        return Err(Error::invalid(format!(
            "The {what} {amount} has more than {max_scale} decimal places: round it first."
        )));
    }
    if amount > tax::MAX_AMOUNT {
        return Err(Error::invalid(format!(
            "The {what} {amount} is above the largest amount Hesabu accepts ({}).",
            tax::MAX_AMOUNT
        )));
    }
    Ok(amount.normalize())
}

/// Text with a length limit (KRA's field widths): refuse, never truncate silently.
pub(crate) fn check_len(what: &str, text: &str, max: usize) -> Result<()> {
    let n = text.chars().count();
    if n > max {
        return Err(Error::invalid(format!(
            "The {what} is {n} characters long; KRA accepts at most {max}. Shorten it."
        )));
    }
    Ok(())
}

/// The LIKE wildcards a user typed are dropped rather than escaped (SQLite has no default
/// escape character), so a search for "50%" looks for "50". Shared by every sales search.
pub(crate) fn escape_like(text: &str) -> String {
    text.replace(['%', '_'], "")
}
