//! The ledger: every movement (reserve, commit, spend, release, give back) is an immutable
//! `budget_ledger` row, and the materialised balance moves in the same unit of work. The
//! `*_for_request` functions are what the approval engine calls inside its own unit of work.

use super::*;
use crate::entities::{DocumentStatus, approval_document};

pub(super) struct Entry<'a> {
    pub(super) kind: &'static str,
    pub(super) request_id: Option<&'a str>,
    pub(super) reservation_id: Option<&'a str>,
    pub(super) action: Option<&'static str>,
    pub(super) amount: Decimal,
    pub(super) is_override: bool,
    pub(super) reason: Option<&'a str>,
}

/// Appends one ledger entry and moves the balance row to `after`, in the caller's unit of work.
/// Refuses a movement that would take a figure of the balance beyond ±[`MAX_AMOUNT`] (so no
/// stored balance can make a later sum overflow), and (as a bug) a balance that breaks the
/// invariant.
pub(super) async fn append(
    uow: &UnitOfWork,
    budget_id: &str,
    stored: &budget_balance::Model,
    after: &BalanceView,
    entry: Entry<'_>,
) -> Result<String> {
    if let Some((what, figure)) = after.out_of_range() {
        return Err(Error::invalid(format!(
            "This would take the {what} figure of budget {} to {figure}, above the largest \
             amount Hesabu accepts ({}). Nothing was changed; split the amount over several \
             budgets or correct it.",
            label_of(uow.db(), budget_id).await?,
            max_amount_text()
        )));
    }
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
            Some(r) => r.held.get(),
            None => Decimal::ZERO,
        },
        committed: match reservation {
            Some(r) => r.committed.get(),
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
    // `amount` is above `available` here, so it is positive, and taking a figure of zero or
    // more from it cannot overflow.
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
        Enforcement::RouteToFinance => EnforcementDecision::RouteToFinance {
            reason: insufficient(available, amount, currency),
        },
    }
}

pub(super) fn insufficient(available: Decimal, requested: Decimal, currency: &str) -> String {
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
/// HARD_BLOCK with funds short returns `decision: Refused` and ROUTE_TO_FINANCE `decision:
/// RouteToFinance`, and both write nothing; SOFT_WARNING and ESCALATE reserve (available goes
/// negative) and say so in `decision`.
pub async fn reserve_for_request(
    uow: &mut UnitOfWork,
    session: &Session,
    input: &ReserveInput,
) -> Result<LedgerOutcome> {
    session.require(Permission::BudgetReserve)?;
    require_in_scope(uow.db(), session, &input.budget_id).await?;
    reserve_as(uow, &Mover::of(session), input).await
}

/// [`reserve_for_request`] without the permission check: for the approval engine.
pub(crate) async fn reserve_as(
    uow: &mut UnitOfWork,
    mover: &Mover,
    input: &ReserveInput,
) -> Result<LedgerOutcome> {
    reserve_with(uow, mover, input, Enforce::Mode).await
}

/// Reserves regardless of the budget's mode, past zero when funds are short: the final approval
/// of a ROUTE_TO_FINANCE document, which a finance manager has decided on (see docs/budgets.md,
/// "ROUTE_TO_FINANCE"). `decision` still says whether funds were short. An archived budget is
/// not refused here, as [`commit_as`] does not refuse one: the document was checked against it.
pub(crate) async fn reserve_decided_as(
    uow: &mut UnitOfWork,
    mover: &Mover,
    input: &ReserveInput,
) -> Result<LedgerOutcome> {
    reserve_with(uow, mover, input, Enforce::Decided).await
}

/// Whether a reservation follows the budget's enforcement mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Enforce {
    Mode,
    /// Someone entitled to has already decided to spend past what is available.
    Decided,
}

async fn reserve_with(
    uow: &mut UnitOfWork,
    mover: &Mover,
    input: &ReserveInput,
    enforce: Enforce,
) -> Result<LedgerOutcome> {
    let amount = positive(input.amount, "reserve")?;
    let request = request_id(&input.request_id)?;
    let (b, stored) = load_budget_with_balance(uow.db(), &input.budget_id).await?;
    if b.status != BudgetStatus::Active && enforce == Enforce::Mode {
        let dept = department_name(uow.db(), &b.department_id).await?;
        return Err(Error::Conflict(format!(
            "The budget {} is archived: nothing can be reserved against it.",
            label(&b, &dept)
        )));
    }
    let before = stored_balance(uow.db(), &b, &stored).await?;
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
    let writes_nothing = matches!(
        decision,
        EnforcementDecision::Refused { .. } | EnforcementDecision::RouteToFinance { .. }
    );
    if writes_nothing && enforce == Enforce::Mode {
        return outcome(None, &b, &request, existing.as_ref(), decision, before);
    }

    let now = uow.now_text();
    let reservation = match existing {
        Some(r) => {
            let held = plus(r.held.get(), amount, &format!("what {request} holds"))?;
            let mut row = r.into_active_model();
            row.held = Set(held.into());
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
                held: amount.into(),
                committed: Decimal::ZERO.into(),
                spent: Decimal::ZERO.into(),
                released: Decimal::ZERO.into(),
                status: ReservationStatus::Open,
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
                    r.held.into(),
                    r.committed.into(),
                    r.spent.into(),
                    r.released.into(),
                    r.status.into(),
                    r.created_at.clone().into(),
                    r.updated_at.clone().into(),
                ],
            ))
            .await?;
            r
        }
    };
    let mut after = before.clone();
    after.available = minus(after.available, amount, "the budget available")?;
    after.reserved = plus(after.reserved, amount, "the budget reserved")?;
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
    require_in_scope(uow.db(), session, &input.budget_id).await?;
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
    let before = stored_balance(uow.db(), &b, &stored).await?;
    let reservation = open_reservation(uow.db(), &b.id, &request).await?;
    let held = match &reservation {
        Some(r) => r.held.get(),
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
    let over_budget = before.available < Decimal::ZERO;
    let is_override = over_budget && matches!(mover.role, Some(Role::FinanceManager | Role::Admin));
    let mut after = before.clone();
    after.reserved = minus(after.reserved, amount, "the budget reserved")?;
    after.committed = plus(after.committed, amount, "the budget committed")?;
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
    let committed = plus(
        reservation.committed.get(),
        amount,
        &format!("what {request} has committed"),
    )?;
    let mut row = reservation.into_active_model();
    row.held = Set(minus(held, amount, &format!("what {request} holds"))?.into());
    row.committed = Set(committed.into());
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
    require_in_scope(uow.db(), session, &input.budget_id).await?;
    let request = request_id(&input.request_id)?;
    let (b, stored) = load_budget_with_balance(uow.db(), &input.budget_id).await?;
    let before = stored_balance(uow.db(), &b, &stored).await?;
    let reservation = open_reservation(uow.db(), &b.id, &request).await?;
    let committed = match &reservation {
        Some(r) => r.committed.get(),
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
    let mut after = before.clone();
    after.committed = minus(after.committed, amount, "the budget committed")?;
    after.spent = plus(after.spent, amount, "the budget spent")?;
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
    let held = reservation.held.get();
    let spent = plus(
        reservation.spent.get(),
        amount,
        &format!("what {request} has spent"),
    )?;
    let mut row = reservation.into_active_model();
    row.committed = Set(minus(committed, amount, &format!("what {request} has committed"))?.into());
    row.spent = Set(spent.into());
    if held.is_zero() && committed == amount {
        row.status = Set(ReservationStatus::Closed);
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
    require_in_scope(uow.db(), session, &input.budget_id).await?;
    if let Some(doc) = live_document(uow.db(), &request).await? {
        return Err(Error::Conflict(format!(
            "{number} {state}, and its budget moves with the document. Cancel or recall the \
             document {number} instead: that releases what it holds. Nothing was released.",
            number = doc.number,
            state = live_state(doc.status),
        )));
    }
    release_as(uow, &Mover::of(session), input).await
}

/// The approval document `request` names (its id, or its number as people type it) when it is
/// still live: submitted, waiting for approval, returned or waiting for clarification. Its
/// reservation then belongs to the approval engine, which releases it when the document is
/// cancelled, recalled, rejected or returned, and commits it on approval: released by hand,
/// the document would stay pending and could be approved with nothing committed.
async fn live_document(
    db: &impl ConnectionTrait,
    request: &str,
) -> Result<Option<approval_document::Model>> {
    let doc = match approval_document::Entity::find_by_id(request.to_owned())
        .one(db)
        .await?
    {
        Some(doc) => Some(doc),
        None => {
            approval_document::Entity::find()
                .filter(approval_document::Column::Number.eq(request.to_uppercase()))
                .one(db)
                .await?
        }
    };
    Ok(doc.filter(|d| {
        matches!(
            d.status,
            DocumentStatus::Submitted
                | DocumentStatus::PendingApproval
                | DocumentStatus::Returned
                | DocumentStatus::ClarificationRequested
        )
    }))
}

/// "is waiting for approval": a live document's state, after its number.
fn live_state(status: DocumentStatus) -> &'static str {
    match status {
        DocumentStatus::Submitted => "has been submitted",
        DocumentStatus::PendingApproval => "is waiting for approval",
        DocumentStatus::Returned => "was returned to its requester",
        DocumentStatus::ClarificationRequested => "is waiting for its requester's clarification",
        _ => "is still open",
    }
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
    let before = stored_balance(uow.db(), &b, &stored).await?;
    let reservation = open_reservation(uow.db(), &b.id, &request).await?;
    let (held, committed) = match &reservation {
        Some(r) => (r.held.get(), r.committed.get()),
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
    let mut after = before.clone();
    match give.stage {
        Stage::Reserved => {
            after.reserved = minus(after.reserved, amount, "the budget reserved")?;
        }
        Stage::Committed => {
            after.committed = minus(after.committed, amount, "the budget committed")?;
        }
    }
    after.available = plus(after.available, amount, "the budget available")?;
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
    let released = plus(
        reservation.released.get(),
        amount,
        &format!("what {request} has released"),
    )?;
    let (held_after, committed_after) = match give.stage {
        Stage::Reserved => (minus(held, amount, "what the document holds")?, committed),
        Stage::Committed => (
            held,
            minus(committed, amount, "what the document committed")?,
        ),
    };
    let mut row = reservation.into_active_model();
    row.held = Set(held_after.into());
    row.committed = Set(committed_after.into());
    row.released = Set(released.into());
    if held_after.is_zero() && committed_after.is_zero() {
        row.status = Set(ReservationStatus::Closed);
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
    require_in_scope(uow.db(), session, &input.budget_id).await?;
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
