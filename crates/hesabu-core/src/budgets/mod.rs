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

pub mod import;
pub mod period;
pub mod phasing;
pub mod report;
pub mod wire;

use std::collections::HashMap;

use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, IntoActiveModel,
    QueryFilter, QueryOrder, Set, Statement,
};
use serde_json::json;

use crate::entities::{budget, budget_balance, budget_ledger, budget_reservation, department};
use hesabu_store::audit::AuditDraft;
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::{Error, Result};
use hesabu_store::money::{Currency, Money};
use hesabu_store::permissions::{Permission, Role};
use hesabu_store::uow::UnitOfWork;

use period::FiscalPeriod;
pub use wire::*;

pub const ACTIVE: &str = "active";
pub const ARCHIVED: &str = "archived";

/// The reason ESCALATE gives the approval engine for adding the executive level.
pub const ESCALATE_REASON: &str = "Budget exceeded - requires executive approval";

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
// Reading stored amounts.

pub(crate) fn dec(text: &str) -> Result<Decimal> {
    Decimal::from_str_exact(text)
        .map_err(|_| Error::Internal(format!("the stored amount '{text}' is not a decimal")))
}

fn opt_dec(text: Option<&str>) -> Result<Option<Decimal>> {
    text.map(dec).transpose()
}

/// The amount with its currency, as people read it: `KES 2,000.00`.
pub fn show(amount: Decimal, currency: &str) -> String {
    match currency.parse::<Currency>() {
        Ok(c) => Money::new(amount, c).to_string(),
        Err(_) => format!("{currency} {amount}"),
    }
}

pub(crate) fn balance_of(m: &budget_balance::Model) -> Result<BalanceView> {
    Ok(BalanceView {
        budgeted: dec(&m.budgeted)?,
        available: dec(&m.available)?,
        reserved: dec(&m.reserved)?,
        committed: dec(&m.committed)?,
        spent: dec(&m.spent)?,
    })
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

    /// `budgeted = available + reserved + committed + spent`.
    pub fn holds(&self) -> bool {
        self.available + self.reserved + self.committed + self.spent == self.budgeted
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
        auto_approve_threshold: opt_dec(b.auto_approve_threshold.as_deref())?,
        parent_id: b.parent_id.clone(),
        status: b.status.clone(),
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
        .filter(budget_reservation::Column::Status.eq("open"))
        .order_by_asc(budget_reservation::Column::CreatedAt)
        .all(db)
        .await?
    {
        let held = dec(&r.held)?;
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

// ---------------------------------------------------------------------------------------------
// Writing the ledger.

struct Entry<'a> {
    kind: &'static str,
    request_id: Option<&'a str>,
    reservation_id: Option<&'a str>,
    action: Option<&'static str>,
    amount: Decimal,
    is_override: bool,
    reason: Option<&'a str>,
}

/// Appends one ledger entry and moves the balance row to `after`, in the caller's unit of work.
/// Refuses (as a bug) a balance that breaks the invariant.
async fn append(
    uow: &UnitOfWork,
    budget_id: &str,
    stored: &budget_balance::Model,
    after: &BalanceView,
    entry: Entry<'_>,
) -> Result<String> {
    if !after.holds() {
        return Err(Error::Internal(format!(
            "budget {budget_id} would break budgeted = available + reserved + committed + spent"
        )));
    }
    let id = uow.new_id();
    let now = uow.now_text();
    // The hot path of every reservation, commit and release: a plain INSERT and UPDATE (no
    // RETURNING, nothing here needs the stored rows again), written out rather than built by
    // sea-query each time — building them cost more than SQLite spends running them. The
    // columns are those of `entities::budget_ledger` / `budget_balance`; the budget tests fail
    // on any mismatch.
    let db = uow.db();
    let backend = db.get_database_backend();
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        "INSERT INTO budget_ledger (id, budget_id, seq, kind, request_id, reservation_id, action, \
         amount, is_override, reason, available_after, actor_id, actor_email, at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            id.clone().into(),
            budget_id.into(),
            (stored.entries + 1).into(),
            entry.kind.into(),
            entry.request_id.into(),
            entry.reservation_id.into(),
            entry.action.into(),
            entry.amount.to_string().into(),
            entry.is_override.into(),
            entry.reason.into(),
            after.available.to_string().into(),
            uow.actor().id.clone().into(),
            uow.actor().email.clone().into(),
            now.clone().into(),
        ],
    ))
    .await?;
    let updated = db
        .execute_raw(Statement::from_sql_and_values(
            backend,
            "UPDATE budget_balance SET budgeted = ?, available = ?, reserved = ?, committed = ?, \
             spent = ?, entries = ?, updated_at = ? \
             WHERE budget_id = ? AND entries = ?",
            [
                after.budgeted.to_string().into(),
                after.available.to_string().into(),
                after.reserved.to_string().into(),
                after.committed.to_string().into(),
                after.spent.to_string().into(),
                (stored.entries + 1).into(),
                now.into(),
                budget_id.into(),
                // The row must still be the one that was read (it is: the write lock is held).
                stored.entries.into(),
            ],
        ))
        .await?;
    if updated.rows_affected() != 1 {
        return Err(Error::Internal(format!(
            "the balance of budget {budget_id} changed under the write lock"
        )));
    }
    Ok(id)
}

fn outcome(
    entry_id: Option<String>,
    b: &budget::Model,
    request: &str,
    reservation: Option<&budget_reservation::Model>,
    decision: EnforcementDecision,
    balance: BalanceView,
) -> Result<LedgerOutcome> {
    Ok(LedgerOutcome {
        id: entry_id,
        budget_id: b.id.clone(),
        request_id: request.to_owned(),
        reservation_id: reservation.map(|r| r.id.clone()),
        currency: b.currency.clone(),
        decision,
        balance,
        held: match reservation {
            Some(r) => dec(&r.held)?,
            None => Decimal::ZERO,
        },
        committed: match reservation {
            Some(r) => dec(&r.committed)?,
            None => Decimal::ZERO,
        },
    })
}

/// The enforcement decision for reserving `amount` against `available`, without writing.
pub fn decide(
    enforcement: Enforcement,
    available: Decimal,
    amount: Decimal,
    currency: &str,
    budget_label: &str,
) -> EnforcementDecision {
    if amount <= available {
        return EnforcementDecision::WithinBudget;
    }
    match enforcement {
        Enforcement::HardBlock => EnforcementDecision::Refused {
            reason: insufficient(available, amount, currency),
        },
        Enforcement::SoftWarning => EnforcementDecision::Flagged {
            flag: format!(
                "exceeds budget {budget_label} by {}",
                show(amount - available.max(Decimal::ZERO), currency)
            ),
        },
        Enforcement::Escalate => EnforcementDecision::Escalate {
            reason: ESCALATE_REASON.to_owned(),
        },
    }
}

fn insufficient(available: Decimal, requested: Decimal, currency: &str) -> String {
    format!(
        "Insufficient budget. Available: {}, Requested: {}",
        show(available, currency),
        show(requested, currency)
    )
}

/// Reserves budget for a document inside the caller's unit of work (the approval engine's
/// submit). Takes no lock of its own: the unit of work already holds the write lock, so the
/// balance read here is the balance the reservation is written against.
///
/// HARD_BLOCK with funds short returns `decision: Refused` and writes nothing; SOFT_WARNING and
/// ESCALATE reserve (available goes negative) and say so in `decision`.
pub async fn reserve_for_request(
    uow: &mut UnitOfWork,
    session: &Session,
    input: &ReserveInput,
) -> Result<LedgerOutcome> {
    session.require(Permission::BudgetReserve)?;
    reserve_as(uow, &Mover::of(session), input).await
}

/// [`reserve_for_request`] without the permission check: for the approval engine.
pub(crate) async fn reserve_as(
    uow: &mut UnitOfWork,
    mover: &Mover,
    input: &ReserveInput,
) -> Result<LedgerOutcome> {
    let amount = positive(input.amount, "reserve")?;
    let request = request_id(&input.request_id)?;
    let (b, stored) = load_budget_with_balance(uow.db(), &input.budget_id).await?;
    if b.status != ACTIVE {
        let dept = department_name(uow.db(), &b.department_id).await?;
        return Err(Error::Conflict(format!(
            "The budget {} is archived: nothing can be reserved against it.",
            label(&b, &dept)
        )));
    }
    let before = balance_of(&stored)?;
    let enforcement = Enforcement::parse(&b.enforcement)?;
    // The department's name is only needed to word an over-budget flag.
    let budget_label = if amount > before.available {
        label(&b, &department_name(uow.db(), &b.department_id).await?)
    } else {
        String::new()
    };
    let decision = decide(
        enforcement,
        before.available,
        amount,
        &b.currency,
        &budget_label,
    );
    let existing = open_reservation(uow.db(), &b.id, &request).await?;
    if matches!(decision, EnforcementDecision::Refused { .. }) {
        return outcome(None, &b, &request, existing.as_ref(), decision, before);
    }

    let now = uow.now_text();
    let reservation = match existing {
        Some(r) => {
            let held = dec(&r.held)? + amount;
            let mut row = r.into_active_model();
            row.held = Set(held.to_string());
            row.updated_at = Set(now.clone());
            row.update(uow.db()).await?
        }
        None => {
            let r = budget_reservation::Model {
                id: uow.new_id(),
                budget_id: b.id.clone(),
                request_id: request.clone(),
                reserved_by_id: mover.id.clone(),
                reserved_by_email: mover.email.clone(),
                held: amount.to_string(),
                committed: "0".into(),
                spent: "0".into(),
                released: "0".into(),
                status: "open".into(),
                created_at: now.clone(),
                updated_at: now.clone(),
            };
            let db = uow.db();
            db.execute_raw(Statement::from_sql_and_values(
                db.get_database_backend(),
                "INSERT INTO budget_reservation (id, budget_id, request_id, reserved_by_id, \
                 reserved_by_email, held, committed, spent, released, status, created_at, \
                 updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    r.id.clone().into(),
                    r.budget_id.clone().into(),
                    r.request_id.clone().into(),
                    r.reserved_by_id.clone().into(),
                    r.reserved_by_email.clone().into(),
                    r.held.clone().into(),
                    r.committed.clone().into(),
                    r.spent.clone().into(),
                    r.released.clone().into(),
                    r.status.clone().into(),
                    r.created_at.clone().into(),
                    r.updated_at.clone().into(),
                ],
            ))
            .await?;
            r
        }
    };
    let mut after = before.clone();
    after.available -= amount;
    after.reserved += amount;
    let entry_id = append(
        uow,
        &b.id,
        &stored,
        &after,
        Entry {
            kind: "reserve",
            request_id: Some(&request),
            reservation_id: Some(&reservation.id),
            action: None,
            amount,
            is_override: false,
            reason: input.reason.as_deref(),
        },
    )
    .await?;
    uow.audit(AuditDraft {
        action: "budget.reserve",
        entity_type: "budget",
        entity_id: b.id.clone(),
        before: Some(before.summary()),
        after: Some(mover.tag(json!({
            "balance": after.summary(),
            "request_id": request,
            "amount": amount.to_string(),
            "decision": decision,
            "reason": input.reason,
        }))),
    })
    .await?;
    outcome(
        Some(entry_id),
        &b,
        &request,
        Some(&reservation),
        decision,
        after,
    )
}

/// Commits what a document holds (final approval), inside the caller's unit of work. An
/// over-budget commit by a finance manager (or admin) is recorded as an override.
pub async fn commit_for_request(
    uow: &mut UnitOfWork,
    session: &Session,
    input: &MoveInput,
) -> Result<LedgerOutcome> {
    session.require(Permission::BudgetCommit)?;
    commit_as(uow, &Mover::of(session), input).await
}

/// [`commit_for_request`] without the permission check: for the approval engine. The override
/// flag still follows the role of the user whose approval committed.
pub(crate) async fn commit_as(
    uow: &mut UnitOfWork,
    mover: &Mover,
    input: &MoveInput,
) -> Result<LedgerOutcome> {
    let request = request_id(&input.request_id)?;
    let (b, stored) = load_budget_with_balance(uow.db(), &input.budget_id).await?;
    let reservation = open_reservation(uow.db(), &b.id, &request).await?;
    let held = match &reservation {
        Some(r) => dec(&r.held)?,
        None => Decimal::ZERO,
    };
    let amount = match input.amount {
        Some(asked) => positive(asked, "commit")?,
        None => held,
    };
    let Some(reservation) = reservation.filter(|_| !amount.is_zero() && amount <= held) else {
        let dept = department_name(uow.db(), &b.department_id).await?;
        return Err(exceeds(
            "reserved",
            &request,
            held,
            input.amount,
            &b,
            &dept,
            "committed",
        ));
    };
    let before = balance_of(&stored)?;
    let over_budget = before.available < Decimal::ZERO;
    let is_override = over_budget && matches!(mover.role, Some(Role::FinanceManager | Role::Admin));
    let mut after = before.clone();
    after.reserved -= amount;
    after.committed += amount;
    let entry_id = append(
        uow,
        &b.id,
        &stored,
        &after,
        Entry {
            kind: "commit",
            request_id: Some(&request),
            reservation_id: Some(&reservation.id),
            action: None,
            amount,
            is_override,
            reason: input.reason.as_deref(),
        },
    )
    .await?;
    let committed = dec(&reservation.committed)? + amount;
    let mut row = reservation.into_active_model();
    row.held = Set((held - amount).to_string());
    row.committed = Set(committed.to_string());
    row.updated_at = Set(uow.now_text());
    let reservation = row.update(uow.db()).await?;
    uow.audit(AuditDraft {
        action: if is_override {
            "budget.commit_override"
        } else {
            "budget.commit"
        },
        entity_type: "budget",
        entity_id: b.id.clone(),
        before: Some(before.summary()),
        after: Some(mover.tag(json!({
            "balance": after.summary(),
            "request_id": request,
            "amount": amount.to_string(),
            "override": is_override,
            "reason": input.reason,
        }))),
    })
    .await?;
    outcome(
        Some(entry_id),
        &b,
        &request,
        Some(&reservation),
        EnforcementDecision::WithinBudget,
        after,
    )
}

/// Records committed money as spent (the invoice is paid), inside the caller's unit of work.
pub async fn spend_for_request(
    uow: &mut UnitOfWork,
    session: &Session,
    input: &MoveInput,
) -> Result<LedgerOutcome> {
    session.require(Permission::BudgetSpend)?;
    let request = request_id(&input.request_id)?;
    let (b, stored) = load_budget_with_balance(uow.db(), &input.budget_id).await?;
    let reservation = open_reservation(uow.db(), &b.id, &request).await?;
    let committed = match &reservation {
        Some(r) => dec(&r.committed)?,
        None => Decimal::ZERO,
    };
    let amount = match input.amount {
        Some(asked) => positive(asked, "spend")?,
        None => committed,
    };
    let Some(reservation) = reservation.filter(|_| !amount.is_zero() && amount <= committed) else {
        let dept = department_name(uow.db(), &b.department_id).await?;
        return Err(exceeds(
            "committed",
            &request,
            committed,
            input.amount,
            &b,
            &dept,
            "spent",
        ));
    };
    let before = balance_of(&stored)?;
    let mut after = before.clone();
    after.committed -= amount;
    after.spent += amount;
    let entry_id = append(
        uow,
        &b.id,
        &stored,
        &after,
        Entry {
            kind: "spend",
            request_id: Some(&request),
            reservation_id: Some(&reservation.id),
            action: None,
            amount,
            is_override: false,
            reason: input.reason.as_deref(),
        },
    )
    .await?;
    let held = dec(&reservation.held)?;
    let spent = dec(&reservation.spent)? + amount;
    let mut row = reservation.into_active_model();
    row.committed = Set((committed - amount).to_string());
    row.spent = Set(spent.to_string());
    if held.is_zero() && committed == amount {
        row.status = Set("closed".into());
    }
    row.updated_at = Set(uow.now_text());
    let reservation = row.update(uow.db()).await?;
    uow.audit(AuditDraft {
        action: "budget.spend",
        entity_type: "budget",
        entity_id: b.id.clone(),
        before: Some(before.summary()),
        after: Some(json!({
            "balance": after.summary(),
            "request_id": request,
            "amount": amount.to_string(),
            "reason": input.reason,
        })),
    })
    .await?;
    outcome(
        Some(entry_id),
        &b,
        &request,
        Some(&reservation),
        EnforcementDecision::WithinBudget,
        after,
    )
}

/// Releases what a document holds in reserve (reject, cancel, return), inside the caller's unit
/// of work. Never more than it holds: "Amount exceeds reserved", and nothing is written.
///
/// finance_manager, finance_user and admin may release any document's reservation; approver
/// and employee only a reservation they made themselves.
pub async fn release_for_request(
    uow: &mut UnitOfWork,
    session: &Session,
    input: &ReleaseInput,
) -> Result<LedgerOutcome> {
    if !session.may(Permission::BudgetReleaseAny) {
        session.require(Permission::BudgetReleaseOwn)?;
    }
    let request = request_id(&input.request_id)?;
    if !session.may(Permission::BudgetReleaseAny)
        && let Some(r) = open_reservation(uow.db(), input.budget_id.trim(), &request).await?
        && r.reserved_by_id.as_deref() != Some(session.user_id())
    {
        return Err(Error::PermissionDenied(format!(
            "Permission denied: {} ({}) may only release budget for their own requests; request \
             {request} was reserved by {}. Ask finance to release it.",
            session.email(),
            session.role(),
            r.reserved_by_email
        )));
    }
    release_as(uow, &Mover::of(session), input).await
}

/// [`release_for_request`] without the permission checks: for the approval engine.
pub(crate) async fn release_as(
    uow: &mut UnitOfWork,
    mover: &Mover,
    input: &ReleaseInput,
) -> Result<LedgerOutcome> {
    give_back(
        uow,
        mover,
        GiveBack {
            stage: Stage::Reserved,
            budget_id: &input.budget_id,
            request_id: &input.request_id,
            amount: input.amount,
            reason: &input.reason,
            action: Some(input.action.as_str()),
        },
    )
    .await
}

/// Which money of a document's reservation goes back to available.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Reserved, not yet committed (reject, cancel, return…): ledger kind `release`.
    Reserved,
    /// Committed by the final approval, but not going to be spent: [`RELEASE_COMMITMENT`].
    Committed,
}

struct GiveBack<'a> {
    stage: Stage,
    budget_id: &'a str,
    request_id: &'a str,
    amount: Option<Decimal>,
    reason: &'a str,
    action: Option<&'static str>,
}

/// Moves money of one document's reservation at `stage` back to available: never more than it
/// still has there ("Amount exceeds reserved/committed", nothing written), a reason required,
/// one ledger entry, the reservation row and the balance updated, one audit entry.
async fn give_back(
    uow: &mut UnitOfWork,
    mover: &Mover,
    give: GiveBack<'_>,
) -> Result<LedgerOutcome> {
    let request = request_id(give.request_id)?;
    let reason = give.reason.trim();
    let (stage_name, kind, audit_action) = match give.stage {
        Stage::Reserved => ("reserved", "release", "budget.release"),
        Stage::Committed => ("committed", RELEASE_COMMITMENT, "budget.release_commitment"),
    };
    if reason.is_empty() {
        let what = match give.stage {
            Stage::Reserved => "budget",
            Stage::Committed => "committed budget",
        };
        return Err(Error::invalid(format!(
            "A reason is required to release {what} (it goes into the audit log)."
        )));
    }
    let (b, stored) = load_budget_with_balance(uow.db(), give.budget_id).await?;
    let reservation = open_reservation(uow.db(), &b.id, &request).await?;
    let (held, committed) = match &reservation {
        Some(r) => (dec(&r.held)?, dec(&r.committed)?),
        None => (Decimal::ZERO, Decimal::ZERO),
    };
    let there = match give.stage {
        Stage::Reserved => held,
        Stage::Committed => committed,
    };
    let amount = match give.amount {
        Some(asked) => positive(asked, "release")?,
        None => there,
    };
    let Some(reservation) = reservation.filter(|_| !amount.is_zero() && amount <= there) else {
        let dept = department_name(uow.db(), &b.department_id).await?;
        return Err(exceeds(
            stage_name,
            &request,
            there,
            give.amount,
            &b,
            &dept,
            "released",
        ));
    };
    let before = balance_of(&stored)?;
    let mut after = before.clone();
    match give.stage {
        Stage::Reserved => after.reserved -= amount,
        Stage::Committed => after.committed -= amount,
    }
    after.available += amount;
    let entry_id = append(
        uow,
        &b.id,
        &stored,
        &after,
        Entry {
            kind,
            request_id: Some(&request),
            reservation_id: Some(&reservation.id),
            action: give.action,
            amount,
            is_override: false,
            reason: Some(reason),
        },
    )
    .await?;
    let released = dec(&reservation.released)? + amount;
    let (held_after, committed_after) = match give.stage {
        Stage::Reserved => (held - amount, committed),
        Stage::Committed => (held, committed - amount),
    };
    let mut row = reservation.into_active_model();
    row.held = Set(held_after.to_string());
    row.committed = Set(committed_after.to_string());
    row.released = Set(released.to_string());
    if held_after.is_zero() && committed_after.is_zero() {
        row.status = Set("closed".into());
    }
    row.updated_at = Set(uow.now_text());
    let reservation = row.update(uow.db()).await?;
    let mut detail = json!({
        "balance": after.summary(),
        "request_id": request,
        "amount": amount.to_string(),
        "reason": reason,
    });
    match give.stage {
        Stage::Reserved => detail["action"] = json!(give.action),
        Stage::Committed => detail["committed_before"] = json!(committed.to_string()),
    }
    uow.audit(AuditDraft {
        action: audit_action,
        entity_type: "budget",
        entity_id: b.id.clone(),
        before: Some(before.summary()),
        after: Some(mover.tag(detail)),
    })
    .await?;
    outcome(
        Some(entry_id),
        &b,
        &request,
        Some(&reservation),
        EnforcementDecision::WithinBudget,
        after,
    )
}

/// Releases money an approved document has committed but will not spend (the order fell
/// through), back to available. Approved documents are final in the state machine (they cannot
/// be cancelled), so this is the explicit, audited way to give the money back. Finance roles
/// only (`BudgetReleaseAny`), a reason is required, and never more than the document has
/// committed on that budget ("Amount exceeds committed", nothing written).
pub async fn release_commitment(
    file: &CompanyFile,
    session: &Session,
    input: &ReleaseCommitmentInput,
) -> Result<LedgerOutcome> {
    session.require(Permission::BudgetReleaseAny)?;
    let mut uow = file.begin(session).await?;
    let out = release_commitment_as(&mut uow, &Mover::of(session), input).await?;
    uow.commit().await?;
    Ok(out)
}

async fn release_commitment_as(
    uow: &mut UnitOfWork,
    mover: &Mover,
    input: &ReleaseCommitmentInput,
) -> Result<LedgerOutcome> {
    give_back(
        uow,
        mover,
        GiveBack {
            stage: Stage::Committed,
            budget_id: &input.budget_id,
            request_id: &input.request_id,
            amount: input.amount,
            reason: &input.reason,
            action: None,
        },
    )
    .await
}

/// The ledger kind of [`release_commitment`]: committed money back to available.
pub const RELEASE_COMMITMENT: &str = "release_commitment";

/// "Amount exceeds reserved: …" — a move larger than what the document holds at that stage.
fn exceeds(
    stage: &str,
    request: &str,
    held: Decimal,
    asked: Option<Decimal>,
    b: &budget::Model,
    dept: &str,
    verb: &str,
) -> Error {
    let asked = asked.map_or_else(|| "anything".to_owned(), |a| show(a, &b.currency));
    Error::invalid(format!(
        "Amount exceeds {stage}: request {request} holds {} {stage} on budget {}, so {asked} \
         cannot be {verb}. Nothing was changed.",
        show(held, &b.currency),
        label(b, dept)
    ))
}

// ---------------------------------------------------------------------------------------------
// Budget check.

/// Checks whether a budget can carry a request, in its own unit of work (every check is
/// written to the check log with its full response, and audited).
pub async fn check(
    file: &CompanyFile,
    session: &Session,
    input: &BudgetCheckInput,
) -> Result<BudgetCheckResult> {
    session.require(Permission::BudgetCheck)?;
    let mut uow = file.begin(session).await?;
    let result = check_in(&mut uow, session, input).await?;
    uow.commit().await?;
    Ok(result)
}

/// The budget that covers `period` for a department: the exact period, or else the narrowest
/// active budget containing it (a month falls back to its quarter, then its fiscal year). A
/// category/project budget is preferred; the department's general budget is the fallback.
pub async fn find_covering(
    db: &impl ConnectionTrait,
    department_id: &str,
    period: &FiscalPeriod,
    category: Option<&str>,
    project: Option<&str>,
) -> Result<Option<budget::Model>> {
    let rows = budget::Entity::find()
        .filter(budget::Column::DepartmentId.eq(department_id))
        .filter(budget::Column::Status.eq(ACTIVE))
        .filter(budget::Column::PeriodStart.lte(period.start_text()))
        .filter(budget::Column::PeriodEnd.gte(period.end_text()))
        .all(db)
        .await?;
    let wanted = (
        category.map(str::trim).unwrap_or_default().to_owned(),
        project.map(str::trim).unwrap_or_default().to_owned(),
    );
    let narrowest = |key: (&str, &str)| {
        rows.iter()
            .filter(|b| {
                b.category.eq_ignore_ascii_case(key.0) && b.project.eq_ignore_ascii_case(key.1)
            })
            // Dates are fixed-width text, so the latest start then earliest end is narrowest.
            .max_by(|a, b| {
                (&a.period_start, std::cmp::Reverse(&a.period_end))
                    .cmp(&(&b.period_start, std::cmp::Reverse(&b.period_end)))
            })
            .cloned()
    };
    Ok(narrowest((&wanted.0, &wanted.1)).or_else(|| narrowest(("", ""))))
}

/// The budget check inside the caller's unit of work (the approval engine's submit).
pub async fn check_in(
    uow: &mut UnitOfWork,
    session: &Session,
    input: &BudgetCheckInput,
) -> Result<BudgetCheckResult> {
    session.require(Permission::BudgetCheck)?;
    check_as(uow, &Mover::of(session), input).await
}

/// [`check_in`] without the permission check: for the approval engine's submit.
pub(crate) async fn check_as(
    uow: &mut UnitOfWork,
    mover: &Mover,
    input: &BudgetCheckInput,
) -> Result<BudgetCheckResult> {
    let amount = positive(input.amount, "requested")?;
    let fiscal = fiscal_start_month(uow.db()).await?;
    let period = FiscalPeriod::parse(&input.period, fiscal)?;
    let dept = crate::departments::find_by_name(uow.db(), &input.department).await?;
    let found = match &dept {
        Some(d) => {
            find_covering(
                uow.db(),
                &d.id,
                &period,
                input.category.as_deref(),
                input.project.as_deref(),
            )
            .await?
        }
        None => None,
    };
    let department = dept
        .as_ref()
        .map_or_else(|| input.department.trim().to_owned(), |d| d.name.clone());
    let id = uow.new_id();
    let checked_at = uow.now_text();
    let request = input
        .request_id
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned);
    let result = match &found {
        None => BudgetCheckResult {
            id: id.clone(),
            request_id: request.clone(),
            available: false,
            can_auto_approve: false,
            reason: format!("No budget found for {department} in {period}."),
            budget_id: None,
            department: department.clone(),
            period: period.label.clone(),
            currency: None,
            enforcement: None,
            requested: amount,
            budgeted: None,
            available_amount: None,
            checked_at: checked_at.clone(),
        },
        Some(b) => {
            let bal = balance_of(&load_balance(uow.db(), &b.id).await?)?;
            let available = amount <= bal.available;
            let threshold = opt_dec(b.auto_approve_threshold.as_deref())?;
            let reason = if available {
                format!(
                    "Within budget. Available: {}, Requested: {}",
                    show(bal.available, &b.currency),
                    show(amount, &b.currency)
                )
            } else {
                insufficient(bal.available, amount, &b.currency)
            };
            BudgetCheckResult {
                id: id.clone(),
                request_id: request.clone(),
                available,
                can_auto_approve: available && threshold.is_some_and(|t| amount <= t),
                reason,
                budget_id: Some(b.id.clone()),
                department: department.clone(),
                period: b.period.clone(),
                currency: Some(b.currency.clone()),
                enforcement: Some(Enforcement::parse(&b.enforcement)?),
                requested: amount,
                budgeted: Some(bal.budgeted),
                available_amount: Some(bal.available),
                checked_at: checked_at.clone(),
            }
        }
    };
    let response = serde_json::to_string(&result)
        .map_err(|e| Error::Internal(format!("serialising a budget check: {e}")))?;
    crate::entities::budget_check_log::ActiveModel::from(
        crate::entities::budget_check_log::Model {
            id: id.clone(),
            checked_at,
            request_id: request,
            user_id: mover.id.clone(),
            user_email: mover.email.clone(),
            department,
            period: period.label.clone(),
            amount: amount.to_string(),
            vendor: input.vendor.clone(),
            purpose: input.purpose.clone(),
            budget_id: result.budget_id.clone(),
            available: result.available,
            can_auto_approve: result.can_auto_approve,
            reason: result.reason.clone(),
            response_json: response,
        },
    )
    .insert(uow.db())
    .await?;
    uow.audit(AuditDraft {
        action: "budget.check",
        entity_type: "budget_check",
        entity_id: id,
        before: None,
        after: Some(mover.tag(json!({
            "budget_id": result.budget_id,
            "request_id": result.request_id,
            "amount": amount.to_string(),
            "available": result.available,
            "reason": result.reason,
        }))),
    })
    .await?;
    Ok(result)
}

// ---------------------------------------------------------------------------------------------
// Services with their own unit of work (CLI, UI).

/// Reserves in its own unit of work. A HARD_BLOCK refusal is an error here (exit 2), and
/// nothing is written.
pub async fn reserve(
    file: &CompanyFile,
    session: &Session,
    input: &ReserveInput,
) -> Result<LedgerOutcome> {
    session.require(Permission::BudgetReserve)?;
    let mut uow = file.begin(session).await?;
    let out = reserve_for_request(&mut uow, session, input).await?;
    if let EnforcementDecision::Refused { reason } = &out.decision {
        return Err(Error::Conflict(format!(
            "{reason}. The budget is HARD_BLOCK: nothing was reserved."
        )));
    }
    uow.commit().await?;
    Ok(out)
}

pub async fn commit(
    file: &CompanyFile,
    session: &Session,
    input: &MoveInput,
) -> Result<LedgerOutcome> {
    session.require(Permission::BudgetCommit)?;
    let mut uow = file.begin(session).await?;
    let out = commit_for_request(&mut uow, session, input).await?;
    uow.commit().await?;
    Ok(out)
}

pub async fn spend(
    file: &CompanyFile,
    session: &Session,
    input: &MoveInput,
) -> Result<LedgerOutcome> {
    session.require(Permission::BudgetSpend)?;
    let mut uow = file.begin(session).await?;
    let out = spend_for_request(&mut uow, session, input).await?;
    uow.commit().await?;
    Ok(out)
}

pub async fn release(
    file: &CompanyFile,
    session: &Session,
    input: &ReleaseInput,
) -> Result<LedgerOutcome> {
    if !session.may(Permission::BudgetReleaseAny) {
        session.require(Permission::BudgetReleaseOwn)?;
    }
    let mut uow = file.begin(session).await?;
    let out = release_for_request(&mut uow, session, input).await?;
    uow.commit().await?;
    Ok(out)
}

/// Creates one budget (all of it available) in its own unit of work.
pub async fn create(file: &CompanyFile, session: &Session, new: &NewBudget) -> Result<BudgetView> {
    session.require(Permission::BudgetManage)?;
    let mut uow = file.begin(session).await?;
    let fiscal = fiscal_start_month(uow.db()).await?;
    let period = FiscalPeriod::parse(&new.period, fiscal)?;
    let dept = crate::departments::find_by_name(uow.db(), &new.department)
        .await?
        .ok_or_else(|| {
            Error::invalid(format!(
                "There is no department named '{}'. Add it first (hesabu department add).",
                new.department.trim()
            ))
        })?;
    let amount = non_negative(new.amount)?;
    let category = new.category.as_deref().unwrap_or("").trim().to_owned();
    let project = new.project.as_deref().unwrap_or("").trim().to_owned();
    let clash = budget::Entity::find()
        .filter(budget::Column::DepartmentId.eq(dept.id.as_str()))
        .filter(budget::Column::Period.eq(period.label.as_str()))
        .filter(budget::Column::Category.eq(category.as_str()))
        .filter(budget::Column::Project.eq(project.as_str()))
        .one(uow.db())
        .await?;
    if clash.is_some() {
        return Err(Error::Conflict(format!(
            "{} already has a budget for {period}{}.",
            dept.name,
            if category.is_empty() && project.is_empty() {
                String::new()
            } else {
                format!(" ({category} {project})")
            }
        )));
    }
    let rows = new_budget_rows(
        &uow, &dept.id, &period, amount, new, &category, &project, None,
    );
    insert_new_budgets(&uow, std::slice::from_ref(&rows)).await?;
    uow.audit(AuditDraft {
        action: "budget.create",
        entity_type: "budget",
        entity_id: rows.0.id.clone(),
        before: None,
        after: Some(json!({
            "department": dept.name,
            "period": period.label,
            "amount": amount.to_string(),
            "currency": new.currency.code(),
            "enforcement": new.enforcement.as_str(),
        })),
    })
    .await?;
    uow.commit().await?;
    view(&rows.0, &dept.name, &BalanceView::new_budget(amount))
}

fn non_negative(amount: Decimal) -> Result<Decimal> {
    if amount < Decimal::ZERO || amount.scale() > 4 {
        return Err(Error::invalid(format!(
            "A budget amount must be zero or more with at most 4 decimal places (got {amount})."
        )));
    }
    Ok(amount.normalize())
}

type NewRows = (budget::Model, budget_balance::Model, budget_ledger::Model);

/// The rows of a new budget: the budget, its balance and its first ledger entry ("budget").
#[allow(clippy::too_many_arguments)]
pub(crate) fn new_budget_rows(
    uow: &UnitOfWork,
    department_id: &str,
    period: &FiscalPeriod,
    amount: Decimal,
    new: &NewBudget,
    category: &str,
    project: &str,
    parent_id: Option<&str>,
) -> NewRows {
    let now = uow.now_text();
    let id = uow.new_id();
    let b = budget::Model {
        id: id.clone(),
        department_id: department_id.to_owned(),
        category: category.to_owned(),
        project: project.to_owned(),
        period: period.label.clone(),
        period_start: period.start_text(),
        period_end: period.end_text(),
        amount: amount.to_string(),
        currency: new.currency.code().to_owned(),
        enforcement: new.enforcement.as_str().to_owned(),
        auto_approve_threshold: new
            .auto_approve_threshold
            .map(|t| t.normalize().to_string()),
        parent_id: parent_id.map(str::to_owned),
        status: ACTIVE.into(),
        created_at: now.clone(),
        updated_at: now.clone(),
    };
    let bal = budget_balance::Model {
        budget_id: id.clone(),
        budgeted: amount.to_string(),
        available: amount.to_string(),
        reserved: "0".into(),
        committed: "0".into(),
        spent: "0".into(),
        entries: 1,
        updated_at: now.clone(),
    };
    let entry = budget_ledger::Model {
        id: uow.new_id(),
        budget_id: id,
        seq: 1,
        kind: "budget".into(),
        request_id: None,
        reservation_id: None,
        action: None,
        amount: amount.to_string(),
        is_override: false,
        reason: None,
        available_after: amount.to_string(),
        actor_id: uow.actor().id.clone(),
        actor_email: uow.actor().email.clone(),
        at: now,
    };
    (b, bal, entry)
}

/// Inserts new budgets in batches (an import may bring 100k rows).
pub(crate) async fn insert_new_budgets(uow: &UnitOfWork, rows: &[NewRows]) -> Result<()> {
    // 15 columns × 400 rows stays well under SQLite's 32,766 bound parameters.
    for chunk in rows.chunks(400) {
        budget::Entity::insert_many(chunk.iter().map(|r| budget::ActiveModel::from(r.0.clone())))
            .exec_without_returning(uow.db())
            .await?;
        budget_balance::Entity::insert_many(
            chunk
                .iter()
                .map(|r| budget_balance::ActiveModel::from(r.1.clone())),
        )
        .exec_without_returning(uow.db())
        .await?;
        budget_ledger::Entity::insert_many(
            chunk
                .iter()
                .map(|r| budget_ledger::ActiveModel::from(r.2.clone())),
        )
        .exec_without_returning(uow.db())
        .await?;
    }
    Ok(())
}

/// Changes a budget's budgeted amount through an `adjust` ledger entry: the difference moves
/// `available` (which may go negative if more is held than the new amount).
pub(crate) async fn adjust_budgeted(
    uow: &UnitOfWork,
    budget_id: &str,
    new_amount: Decimal,
    reason: &str,
) -> Result<()> {
    let stored = load_balance(uow.db(), budget_id).await?;
    let before = balance_of(&stored)?;
    let delta = new_amount - before.budgeted;
    if delta.is_zero() {
        return Ok(());
    }
    let mut after = before;
    after.budgeted = new_amount;
    after.available += delta;
    append(
        uow,
        budget_id,
        &stored,
        &after,
        Entry {
            kind: "adjust",
            request_id: None,
            reservation_id: None,
            action: None,
            amount: delta,
            is_override: false,
            reason: Some(reason),
        },
    )
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Reads.

/// Budgets with their balances. `period` keeps budgets that lie within it (FY2026 lists the
/// year, its quarters and its months). Archived budgets only with `include_archived`.
pub async fn list(
    file: &CompanyFile,
    session: &Session,
    period: Option<&str>,
    include_archived: bool,
) -> Result<Vec<BudgetView>> {
    session.require(Permission::BudgetView)?;
    list_unchecked(file.reader(), period, include_archived).await
}

pub(crate) async fn list_unchecked(
    db: &impl ConnectionTrait,
    period: Option<&str>,
    include_archived: bool,
) -> Result<Vec<BudgetView>> {
    let mut query = budget::Entity::find();
    if let Some(text) = period {
        let p = FiscalPeriod::parse(text, fiscal_start_month(db).await?)?;
        query = query
            .filter(budget::Column::PeriodStart.gte(p.start_text()))
            .filter(budget::Column::PeriodEnd.lte(p.end_text()));
    }
    if !include_archived {
        query = query.filter(budget::Column::Status.eq(ACTIVE));
    }
    let budgets = query
        .order_by_asc(budget::Column::PeriodStart)
        .order_by_asc(budget::Column::PeriodEnd)
        .all(db)
        .await?;
    let departments: HashMap<String, String> = department::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect();
    let balances: HashMap<String, budget_balance::Model> = budget_balance::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|b| (b.budget_id.clone(), b))
        .collect();
    let mut out = Vec::with_capacity(budgets.len());
    for b in &budgets {
        let dept = departments
            .get(&b.department_id)
            .cloned()
            .unwrap_or_default();
        let bal = balances
            .get(&b.id)
            .ok_or_else(|| Error::Internal(format!("budget {} has no balance row", b.id)))?;
        out.push(view(b, &dept, &balance_of(bal)?)?);
    }
    out.sort_by(|a, b| {
        (&a.department, &a.period_start, &a.period_end, &a.category).cmp(&(
            &b.department,
            &b.period_start,
            &b.period_end,
            &b.category,
        ))
    });
    Ok(out)
}

/// One budget with its balance.
pub async fn get(file: &CompanyFile, session: &Session, id: &str) -> Result<BudgetView> {
    session.require(Permission::BudgetView)?;
    let b = load_budget(file.reader(), id).await?;
    let dept = department_name(file.reader(), &b.department_id).await?;
    let bal = balance_of(&load_balance(file.reader(), &b.id).await?)?;
    view(&b, &dept, &bal)
}

/// A budget's ledger, oldest entry first.
pub async fn history(
    file: &CompanyFile,
    session: &Session,
    id: &str,
) -> Result<Vec<LedgerEntryView>> {
    session.require(Permission::BudgetView)?;
    let b = load_budget(file.reader(), id).await?;
    let rows = budget_ledger::Entity::find()
        .filter(budget_ledger::Column::BudgetId.eq(b.id.as_str()))
        .order_by_asc(budget_ledger::Column::Seq)
        .all(file.reader())
        .await?;
    rows.into_iter()
        .map(|m| {
            Ok(LedgerEntryView {
                amount: dec(&m.amount)?,
                available_after: dec(&m.available_after)?,
                id: m.id,
                budget_id: m.budget_id,
                seq: m.seq,
                kind: m.kind,
                request_id: m.request_id,
                reservation_id: m.reservation_id,
                action: m.action,
                is_override: m.is_override,
                reason: m.reason,
                actor_email: m.actor_email,
                at: m.at,
            })
        })
        .collect()
}

/// Recomputes every balance from the ledger and compares it with the materialised row: the
/// "ledger, not recomputation" design, checked. Returns the ids of budgets that disagree.
pub async fn verify_balances(file: &CompanyFile, session: &Session) -> Result<Vec<String>> {
    session.require(Permission::BudgetView)?;
    let entries = budget_ledger::Entity::find().all(file.reader()).await?;
    let mut sums: HashMap<String, BalanceView> = HashMap::new();
    for e in &entries {
        let s = sums
            .entry(e.budget_id.clone())
            .or_insert_with(|| BalanceView::new_budget(Decimal::ZERO));
        let a = dec(&e.amount)?;
        match e.kind.as_str() {
            "budget" | "adjust" => {
                s.budgeted += a;
                s.available += a;
            }
            "reserve" => {
                s.available -= a;
                s.reserved += a;
            }
            "commit" => {
                s.reserved -= a;
                s.committed += a;
            }
            "spend" => {
                s.committed -= a;
                s.spent += a;
            }
            "release" => {
                s.reserved -= a;
                s.available += a;
            }
            RELEASE_COMMITMENT => {
                s.committed -= a;
                s.available += a;
            }
            other => {
                return Err(Error::Internal(format!("unknown ledger kind '{other}'")));
            }
        }
    }
    let mut bad = Vec::new();
    for bal in budget_balance::Entity::find().all(file.reader()).await? {
        let stored = balance_of(&bal)?;
        let summed = sums.get(&bal.budget_id);
        if !stored.holds() || summed != Some(&stored) {
            bad.push(bal.budget_id);
        }
    }
    Ok(bad)
}
