//! Services with their own unit of work, for the CLI and the UI: reserve, commit, spend and
//! release by hand, create a budget, and adjust what is budgeted.

use super::*;

/// Reserves in its own unit of work. A HARD_BLOCK refusal, and a ROUTE_TO_FINANCE budget short
/// of funds, is an error here (exit 2), and nothing is written.
pub async fn reserve(
    file: &CompanyFile,
    session: &Session,
    input: &ReserveInput,
) -> Result<LedgerOutcome> {
    session.require(Permission::BudgetReserve)?;
    let mut uow = file.begin(session).await?;
    let out = reserve_for_request(&mut uow, session, input).await?;
    match &out.decision {
        EnforcementDecision::Refused { reason } => {
            return Err(Error::Conflict(format!(
                "{reason}. This budget blocks spending beyond what is available: nothing was \
                 reserved. Ask finance to move budget, or lower the amount."
            )));
        }
        EnforcementDecision::RouteToFinance { reason } => {
            return Err(Error::Conflict(format!(
                "{reason}. This budget sends requests it cannot cover to finance: nothing was \
                 reserved. Submit the \
                 document for approval: a finance manager decides on it, and its approval \
                 reserves and commits the amount."
            )));
        }
        _ => {}
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
    if let Some(threshold) = new.auto_approve_threshold {
        check_max("auto-approve threshold", threshold)?;
    }
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
    check_max("budget amount", amount)?;
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
        amount: amount.into(),
        currency: new.currency.code().to_owned(),
        enforcement: new.enforcement.as_str().to_owned(),
        auto_approve_threshold: new.auto_approve_threshold.map(|t| t.normalize().into()),
        parent_id: parent_id.map(str::to_owned),
        status: BudgetStatus::Active,
        created_at: now.clone(),
        updated_at: now.clone(),
    };
    let bal = budget_balance::Model {
        budget_id: id.clone(),
        budgeted: amount.into(),
        available: amount.into(),
        reserved: Decimal::ZERO.into(),
        committed: Decimal::ZERO.into(),
        spent: Decimal::ZERO.into(),
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
        amount: amount.into(),
        is_override: false,
        reason: None,
        available_after: amount.into(),
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
/// `available` (which may go negative if more is held than the new amount). The new amount is
/// at most [`MAX_AMOUNT`], and so is every figure after it (see [`append`]).
pub(crate) async fn adjust_budgeted(
    uow: &UnitOfWork,
    budget_id: &str,
    new_amount: Decimal,
    reason: &str,
) -> Result<()> {
    check_max("budget amount", new_amount)?;
    let (b, stored) = load_budget_with_balance(uow.db(), budget_id).await?;
    let before = stored_balance(uow.db(), &b, &stored).await?;
    let delta = minus(new_amount, before.budgeted, "the change of the budget")?;
    if delta.is_zero() {
        return Ok(());
    }
    let mut after = before;
    after.budgeted = new_amount;
    after.available = plus(after.available, delta, "the budget available")?;
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
