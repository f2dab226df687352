//! Reads: listing budgets, one budget, its ledger history, and verifying every balance against
//! its ledger.

use super::*;

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
        query = query.filter(budget::Column::Status.eq(BudgetStatus::Active));
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
                amount: m.amount.get(),
                available_after: m.available_after.get(),
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
        let a = e.amount.get();
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
