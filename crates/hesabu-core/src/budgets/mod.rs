//! Budget control: budgets per department and fiscal period, and the ledger of reserve / commit /
//! release / spend that documents (purchase requests and the like) move through.
//!
//! Ledger, not recomputation: every movement is an immutable `budget_ledger` row linked to the
//! document (`request_id`) and to the reservation it consumes, and the materialised
//! `budget_balance` row is moved in the same unit of work. The invariant
//! `budgeted = available + reserved + committed + spent` is checked on every write.
//!
//! The approval engine calls the `*_for_request` functions inside its own unit of work (see
//! docs/budgets.md, "The approval seam"); the CLI and UI call the wrappers that open one.
//! Because a unit of work takes SQLite's write lock with its first statement, the balance a
//! reservation reads cannot change before the reservation is written, in this process or another.
//!
//! Map: this file has the inputs, reading stored amounts and loading; [`ledger`] writes the
//! ledger (reserve, commit, spend, release); [`checks`] is the budget check and its log;
//! [`services`] are the CLI's and UI's own units of work (and creating budgets); [`listing`] reads
//! budgets, history and verifies balances; [`import`], [`export`], [`phasing`], [`period`] and
//! [`report`] are as named; [`wire`] holds the wire types.
//!
//! Limits (issue 14): every amount that enters is at most [`MAX_AMOUNT`] and no balance figure
//! may leave that range ([`BalanceView::within_limits`]); sums of stored figures are checked, and
//! a figure stored above the maximum (a file changed outside Hesabu) is refused with a message
//! naming the budget, never a panic. Department scoping: [`Scope`] is what a user's role lets
//! them see and move (see docs/budgets.md, "Who sees which budgets").

pub mod checks;
pub mod export;
pub mod import;
pub mod ledger;
pub mod listing;
pub mod period;
pub mod phasing;
pub mod report;
pub mod services;
pub mod wire;

// Not a glob: `checks::list` (the check log) would clash with `listing::list` (the budgets).
pub use checks::{check, check_in, find_covering};
pub(crate) use checks::{check_as, last_checked_budget};
pub use ledger::*;
pub use listing::*;
pub use services::*;

use std::collections::{HashMap, HashSet};

use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, IntoActiveModel,
    QueryFilter, QueryOrder, Set, Statement,
};
use serde_json::json;

pub use crate::entities::{BudgetStatus, ReservationStatus};
use crate::entities::{
    budget, budget_balance, budget_ledger, budget_reservation, department, department_head,
};
use hesabu_store::audit::AuditDraft;
use hesabu_store::auth::Session;
use hesabu_store::columns::DecimalText;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::{Error, Result};
use hesabu_store::money::{Currency, MAX_AMOUNT, Money, check_max, max_amount_text, sum_overflow};
use hesabu_store::permissions::{Permission, Role};
use hesabu_store::uow::UnitOfWork;

use period::FiscalPeriod;
pub use wire::*;

/// The reason ESCALATE gives the approval engine for adding the executive level.
pub const ESCALATE_REASON: &str = "Budget exceeded - requires executive approval";

/// The reason ROUTE_TO_FINANCE gives the approval engine for adding the finance level.
pub const ROUTE_TO_FINANCE_REASON: &str = "Not enough budget - sent to finance without reserving";

/// A budget to create (the import and `budget phase` use the same path).
#[derive(Debug, Clone)]
pub struct NewBudget {
    pub department: String,
    pub period: String,
    pub amount: Decimal,
    pub currency: Currency,
    pub enforcement: Enforcement,
    pub auto_approve_threshold: Option<Decimal>,
    pub category: Option<String>,
    pub project: Option<String>,
}

/// Reserve `amount` of a budget for a document.
#[derive(Debug, Clone)]
pub struct ReserveInput {
    pub budget_id: String,
    pub request_id: String,
    pub amount: Decimal,
    pub reason: Option<String>,
}

/// Commit (on final approval) or spend (on payment) part or all of what a document holds.
/// `amount: None` means everything it holds at that stage.
#[derive(Debug, Clone)]
pub struct MoveInput {
    pub budget_id: String,
    pub request_id: String,
    pub amount: Option<Decimal>,
    pub reason: Option<String>,
}

/// Give back what a document holds in reserve (reject, cancel, return).
#[derive(Debug, Clone)]
pub struct ReleaseInput {
    pub budget_id: String,
    pub request_id: String,
    /// `None` releases everything the document still holds.
    pub amount: Option<Decimal>,
    pub action: ReleaseAction,
    pub reason: String,
}

/// Who moves budget. The public services check the signed-in user's budget permissions and
/// then act as that user; the approval engine acts for the user whose decision moved the
/// document, without their budget permissions (it is the engine's move, not theirs), and every
/// entry it writes says "via approval" (see docs/budgets.md, "The approval seam").
#[derive(Debug, Clone)]
pub(crate) struct Mover {
    pub id: Option<String>,
    pub email: String,
    /// Decides whether an over-budget commit is an override; `None` for the system (jobs).
    pub role: Option<Role>,
    pub via_approval: bool,
}

impl Mover {
    fn of(session: &Session) -> Self {
        Self {
            id: Some(session.user_id().to_owned()),
            email: session.email().to_owned(),
            role: Some(session.role()),
            via_approval: false,
        }
    }

    /// Adds `"via": "approval"` to an audit summary written for the engine.
    fn tag(&self, mut summary: serde_json::Value) -> serde_json::Value {
        if self.via_approval
            && let Some(map) = summary.as_object_mut()
        {
            map.insert("via".into(), json!("approval"));
        }
        summary
    }
}

// ---------------------------------------------------------------------------------------------
// Who sees which budgets.

/// The budgets a user may see and move: every department's, or only their own departments'.
/// Finance roles, admins and auditors see all; an employee or a manager (approver) sees the
/// budgets of the department they belong to and of every department they head. Everything that
/// reads or moves one budget for a signed-in user asks [`Scope::require`] first; listings,
/// reports and the year view keep only what [`Scope::allows`]. The approval engine's own moves
/// (`*_as`) are not scoped: they follow the document's department.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    /// Department ids, with their names (for messages and the check log, which stores names).
    Departments(HashMap<String, String>),
}

impl Scope {
    /// The scope of `session`'s user, read from the company file now (so a move to another
    /// department, or becoming a head, counts at once).
    pub async fn of(db: &impl ConnectionTrait, session: &Session) -> Result<Scope> {
        if session.may(Permission::BudgetViewAll) {
            return Ok(Scope::All);
        }
        let mut ids: HashSet<String> = department_head::Entity::find()
            .filter(department_head::Column::UserId.eq(session.user_id()))
            .all(db)
            .await?
            .into_iter()
            .map(|h| h.department_id)
            .collect();
        let user = hesabu_store::entities::app_user::Entity::find_by_id(session.user_id())
            .one(db)
            .await?;
        ids.extend(user.and_then(|u| u.department_id));
        let names = department::Entity::find()
            .filter(department::Column::Id.is_in(ids))
            .all(db)
            .await?
            .into_iter()
            .map(|d| (d.id, d.name))
            .collect();
        Ok(Scope::Departments(names))
    }

    pub fn allows(&self, department_id: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Departments(ids) => ids.contains_key(department_id),
        }
    }

    /// Whether check-log entries about the department named `name` are visible.
    fn allows_name(&self, name: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Departments(ids) => ids.values().any(|n| n.eq_ignore_ascii_case(name)),
        }
    }

    /// Refuses a budget of another department. The message names neither that department nor
    /// any of its figures: only what the user may see.
    pub(crate) fn require(&self, session: &Session, b: &budget::Model) -> Result<()> {
        if self.allows(&b.department_id) {
            Ok(())
        } else {
            Err(self.denied(
                session,
                &format!("budget {} belongs to another department", b.id),
            ))
        }
    }

    /// The refusal, ending with `clause` (what was asked for, without its figures).
    fn denied(&self, session: &Session, clause: &str) -> Error {
        let own = match self {
            Scope::All => String::new(),
            Scope::Departments(ids) if ids.is_empty() => {
                " (they belong to no department: ask an admin to set theirs)".to_owned()
            }
            Scope::Departments(ids) => {
                let mut names: Vec<&str> = ids.values().map(String::as_str).collect();
                names.sort_unstable();
                format!(" ({})", names.join(", "))
            }
        };
        Error::PermissionDenied(format!(
            "Permission denied: {} ({}) may only see and use the budgets of their own \
             department{own}; {clause}. Ask finance.",
            session.email(),
            session.role(),
        ))
    }
}

// ---------------------------------------------------------------------------------------------
// Reading stored amounts.

/// The amount with its currency, as people read it: `KES 2,000.00`.
pub fn show(amount: Decimal, currency: &str) -> String {
    match currency.parse::<Currency>() {
        Ok(c) => Money::new(amount, c).to_string(),
        Err(_) => format!("{currency} {amount}"),
    }
}

/// The stored balance as it is, for showing (listing, one budget): no arithmetic, so even a
/// figure out of range is shown rather than refused. Anything that computes with a balance
/// refuses one first ([`stored_balance`], [`BalanceView::within_limits`]).
pub(crate) fn balance_of(m: &budget_balance::Model) -> Result<BalanceView> {
    Ok(BalanceView {
        budgeted: m.budgeted.get(),
        available: m.available.get(),
        reserved: m.reserved.get(),
        committed: m.committed.get(),
        spent: m.spent.get(),
    })
}

/// A figure stored above [`MAX_AMOUNT`]: Hesabu never writes one, so the file was changed
/// outside it (or by an older version). Says which budget and figure, and what to do.
pub(crate) fn stored_out_of_range(label: &str, what: &str, figure: Decimal) -> Error {
    Error::invalid(format!(
        "Budget {label} holds a {what} figure of {figure}, above the largest amount Hesabu \
         accepts ({}): the company file was changed outside Hesabu. Restore it from a backup \
         made before the change (hesabu backup list shows them); nothing was changed.",
        max_amount_text()
    ))
}

/// `a + b`, or a message naming the total when it cannot be represented.
pub(crate) fn plus(a: Decimal, b: Decimal, what: &str) -> Result<Decimal> {
    a.checked_add(b).ok_or_else(|| sum_overflow(what))
}

/// `a - b`, or a message naming the figure when it cannot be represented.
pub(crate) fn minus(a: Decimal, b: Decimal, what: &str) -> Result<Decimal> {
    a.checked_sub(b).ok_or_else(|| sum_overflow(what))
}

impl BalanceView {
    /// A fresh budget: all of it available.
    pub fn new_budget(amount: Decimal) -> Self {
        Self {
            budgeted: amount,
            available: amount,
            reserved: Decimal::ZERO,
            committed: Decimal::ZERO,
            spent: Decimal::ZERO,
        }
    }

    /// `budgeted = available + reserved + committed + spent`. A sum too large to represent does
    /// not hold (it cannot equal a stored figure).
    pub fn holds(&self) -> bool {
        hesabu_store::money::checked_sum([
            self.available,
            self.reserved,
            self.committed,
            self.spent,
        ])
        .is_ok_and(|sum| sum == self.budgeted)
    }

    /// Every figure is within ±[`MAX_AMOUNT`]: what every movement keeps, so that any sum of a
    /// balance's figures can be computed.
    pub fn within_limits(&self) -> bool {
        self.out_of_range().is_none()
    }

    /// The first figure beyond ±[`MAX_AMOUNT`], named.
    fn out_of_range(&self) -> Option<(&'static str, Decimal)> {
        [
            ("budgeted", self.budgeted),
            ("available", self.available),
            ("reserved", self.reserved),
            ("committed", self.committed),
            ("spent", self.spent),
        ]
        .into_iter()
        .find(|(_, figure)| figure.abs() > MAX_AMOUNT)
    }

    fn summary(&self) -> serde_json::Value {
        json!({
            "budgeted": self.budgeted.to_string(),
            "available": self.available.to_string(),
            "reserved": self.reserved.to_string(),
            "committed": self.committed.to_string(),
            "spent": self.spent.to_string(),
        })
    }
}

fn positive(amount: Decimal, what: &str) -> Result<Decimal> {
    check_max(&format!("{what} amount"), amount)?;
    if amount <= Decimal::ZERO {
        return Err(Error::invalid(format!(
            "The {what} amount must be more than zero (got {amount})."
        )));
    }
    if amount.scale() > 4 {
        return Err(Error::invalid(format!(
            "The {what} amount {amount} has more than 4 decimal places: round it first."
        )));
    }
    Ok(amount.normalize())
}

fn none_if_empty(text: &str) -> Option<String> {
    if text.is_empty() {
        None
    } else {
        Some(text.to_owned())
    }
}

// ---------------------------------------------------------------------------------------------
// Loading.

async fn load_budget(db: &impl ConnectionTrait, id: &str) -> Result<budget::Model> {
    budget::Entity::find_by_id(id.trim().to_owned())
        .one(db)
        .await?
        .ok_or_else(|| {
            Error::NotFound(format!(
                "There is no budget {id}. List budgets with `hesabu budget list`."
            ))
        })
}

async fn load_balance(db: &impl ConnectionTrait, id: &str) -> Result<budget_balance::Model> {
    budget_balance::Entity::find_by_id(id.to_owned())
        .one(db)
        .await?
        .ok_or_else(|| Error::Internal(format!("budget {id} has no balance row")))
}

/// The budget and its balance in one query (the reservation hot path).
async fn load_budget_with_balance(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<(budget::Model, budget_balance::Model)> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT b.*, bb.budget_id AS bb_budget_id, bb.budgeted AS bb_budgeted, \
             bb.available AS bb_available, bb.reserved AS bb_reserved, \
             bb.committed AS bb_committed, bb.spent AS bb_spent, bb.entries AS bb_entries, \
             bb.updated_at AS bb_updated_at \
             FROM budget b JOIN budget_balance bb ON bb.budget_id = b.id WHERE b.id = ?",
            [id.trim().into()],
        ))
        .await?
        .ok_or_else(|| {
            Error::NotFound(format!(
                "There is no budget {id}. List budgets with `hesabu budget list`."
            ))
        })?;
    Ok((
        budget::Model::from_query_result(&row, "")?,
        budget_balance::Model::from_query_result(&row, "bb_")?,
    ))
}

async fn department_name(db: &impl ConnectionTrait, id: &str) -> Result<String> {
    Ok(department::Entity::find_by_id(id.to_owned())
        .one(db)
        .await?
        .map(|d| d.name)
        .unwrap_or_else(|| id.to_owned()))
}

/// Refuses, for a user who sees only some departments, a budget outside them (and an unknown
/// budget, as not found). Finance roles, admins and auditors cost no query.
async fn require_in_scope(
    db: &impl ConnectionTrait,
    session: &Session,
    budget_id: &str,
) -> Result<()> {
    let scope = Scope::of(db, session).await?;
    if scope == Scope::All {
        return Ok(());
    }
    scope.require(session, &load_budget(db, budget_id).await?)
}

/// The stored balance of `b`, for a movement or a check: refused when a figure is out of range
/// (the department's name is looked up only then, to say which budget).
async fn stored_balance(
    db: &impl ConnectionTrait,
    b: &budget::Model,
    stored: &budget_balance::Model,
) -> Result<BalanceView> {
    let balance = balance_of(stored)?;
    match balance.out_of_range() {
        None => Ok(balance),
        Some((what, figure)) => {
            let dept = department_name(db, &b.department_id).await?;
            Err(stored_out_of_range(&label(b, &dept), what, figure))
        }
    }
}

/// "Operations 2026-Q1" (plus category and project when set): how a budget is named in messages.
fn label(b: &budget::Model, department: &str) -> String {
    let mut out = format!("{department} {}", b.period);
    for extra in [&b.category, &b.project] {
        if !extra.is_empty() {
            out.push_str(&format!(" / {extra}"));
        }
    }
    out
}

pub(crate) fn view(b: &budget::Model, department: &str, bal: &BalanceView) -> Result<BudgetView> {
    Ok(BudgetView {
        id: b.id.clone(),
        department: department.to_owned(),
        category: none_if_empty(&b.category),
        project: none_if_empty(&b.project),
        period: b.period.clone(),
        period_start: b.period_start.clone(),
        period_end: b.period_end.clone(),
        currency: b.currency.clone(),
        enforcement: Enforcement::parse(&b.enforcement)?,
        auto_approve_threshold: b.auto_approve_threshold.map(DecimalText::get),
        parent_id: b.parent_id.clone(),
        status: b.status.to_string(),
        balance: bal.clone(),
        updated_at: b.updated_at.clone(),
    })
}

pub(crate) async fn fiscal_start_month(db: &impl ConnectionTrait) -> Result<u32> {
    let company = crate::company::load(db).await?;
    Ok(u32::try_from(company.fiscal_year_start_month).unwrap_or(1))
}

async fn open_reservation(
    db: &impl ConnectionTrait,
    budget_id: &str,
    request_id: &str,
) -> Result<Option<budget_reservation::Model>> {
    // Written out, like the other statements of a reservation (see `append`).
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT * FROM budget_reservation \
             WHERE budget_id = ? AND request_id = ? AND status = 'open' LIMIT 1",
            [budget_id.into(), request_id.into()],
        ))
        .await?;
    Ok(row
        .map(|row| budget_reservation::Model::from_query_result(&row, ""))
        .transpose()?)
}

/// What a document still holds in reserve, per budget: (budget id, held), only where held > 0.
/// The approval engine commits or releases exactly this.
pub(crate) async fn held_by(
    db: &impl ConnectionTrait,
    request_id: &str,
) -> Result<Vec<(String, Decimal)>> {
    let mut out = Vec::new();
    for r in budget_reservation::Entity::find()
        .filter(budget_reservation::Column::RequestId.eq(request_id))
        .filter(budget_reservation::Column::Status.eq(ReservationStatus::Open))
        .order_by_asc(budget_reservation::Column::CreatedAt)
        .all(db)
        .await?
    {
        let held = r.held.get();
        if held > Decimal::ZERO {
            out.push((r.budget_id, held));
        }
    }
    Ok(out)
}

/// How a budget is named in messages ("Operations FY2026 / Fuel").
pub(crate) async fn label_of(db: &impl ConnectionTrait, budget_id: &str) -> Result<String> {
    let b = load_budget(db, budget_id).await?;
    let dept = department_name(db, &b.department_id).await?;
    Ok(label(&b, &dept))
}

fn request_id(text: &str) -> Result<String> {
    let t = text.trim();
    if t.is_empty() {
        Err(Error::invalid(
            "A request id is required: the document the budget is reserved for.",
        ))
    } else {
        Ok(t.to_owned())
    }
}
