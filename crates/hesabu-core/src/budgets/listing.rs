//! Reads: listing budgets, one budget, its ledger history, and verifying every balance against
//! its ledger. Each keeps to the budgets the user's [`Scope`] allows. Listing and showing need no
//! arithmetic, so they show even a figure stored out of range (finance must be able to find the
//! budget to correct it); the verification adds up and reports such a budget as disagreeing.

use super::*;

/// Budgets with their balances. `period` keeps budgets that lie within it (FY2026 lists the
/// year, its quarters and its months). Archived budgets only with `include_archived`. Only the
/// departments the user may see.
pub async fn list(
    file: &CompanyFile,
    session: &Session,
    period: Option<&str>,
    include_archived: bool,
) -> Result<Vec<BudgetView>> {
    session.require(Permission::BudgetView)?;
    let scope = Scope::of(file.reader(), session).await?;
    list_unchecked(file.reader(), &scope, period, include_archived).await
}

pub(crate) async fn list_unchecked(
    db: &impl ConnectionTrait,
    scope: &Scope,
    period: Option<&str>,
    include_archived: bool,
) -> Result<Vec<BudgetView>> {
    let mut query = budget::Entity::find();
    if let Scope::Departments(ids) = scope {
        query = query.filter(budget::Column::DepartmentId.is_in(ids.keys().cloned()));
    }
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
    Scope::of(file.reader(), session)
        .await?
        .require(session, &b)?;
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
    Scope::of(file.reader(), session)
        .await?
        .require(session, &b)?;
    let rows = budget_ledger::Entity::find()
        .filter(budget_ledger::Column::BudgetId.eq(b.id.as_str()))
        .order_by_asc(budget_ledger::Column::Seq)
        .all(file.reader())
        .await?;
    let actors: HashSet<String> = rows.iter().filter_map(|r| r.actor_id.clone()).collect();
    let names: HashMap<String, String> = hesabu_store::entities::app_user::Entity::find()
        .filter(hesabu_store::entities::app_user::Column::Id.is_in(actors))
        .all(file.reader())
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let requests: HashSet<String> = rows.iter().filter_map(|r| r.request_id.clone()).collect();
    let numbers: HashMap<String, String> = crate::entities::approval_document::Entity::find()
        .filter(crate::entities::approval_document::Column::Id.is_in(requests))
        .all(file.reader())
        .await?
        .into_iter()
        .map(|d| (d.id, d.number))
        .collect();
    rows.into_iter()
        .map(|m| {
            Ok(LedgerEntryView {
                actor_name: checks::person_name(&names, m.actor_id.as_deref(), &m.actor_email),
                document_number: m.request_id.as_ref().and_then(|r| numbers.get(r)).cloned(),
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
/// "ledger, not recomputation" design, checked. Returns the ids of budgets that disagree, and of
/// budgets whose figures are out of range (stored above the maximum, or adding up to more than
/// can be represented): never a crash. Only the budgets the user may see.
pub async fn verify_balances(file: &CompanyFile, session: &Session) -> Result<Vec<String>> {
    session.require(Permission::BudgetView)?;
    let scope = Scope::of(file.reader(), session).await?;
    let visible: Option<HashSet<String>> = match &scope {
        Scope::All => None,
        Scope::Departments(ids) => Some(
            budget::Entity::find()
                .filter(budget::Column::DepartmentId.is_in(ids.keys().cloned()))
                .all(file.reader())
                .await?
                .into_iter()
                .map(|b| b.id)
                .collect(),
        ),
    };
    let shown = |id: &str| visible.as_ref().is_none_or(|v| v.contains(id));
    let entries = budget_ledger::Entity::find().all(file.reader()).await?;
    // `None`: the budget's entries add up to more than can be represented.
    let mut sums: HashMap<String, Option<BalanceView>> = HashMap::new();
    for e in entries.iter().filter(|e| shown(&e.budget_id)) {
        let slot = sums
            .entry(e.budget_id.clone())
            .or_insert_with(|| Some(BalanceView::new_budget(Decimal::ZERO)));
        if let Some(s) = slot.as_mut()
            && replay(s, &e.kind, e.amount.get())?.is_none()
        {
            *slot = None;
        }
    }
    let mut bad = Vec::new();
    for bal in budget_balance::Entity::find().all(file.reader()).await? {
        if !shown(&bal.budget_id) {
            continue;
        }
        let stored = balance_of(&bal)?;
        let summed = sums.get(&bal.budget_id).cloned().flatten();
        if !stored.holds() || !stored.within_limits() || summed.as_ref() != Some(&stored) {
            bad.push(bal.budget_id);
        }
    }
    Ok(bad)
}

/// Applies one ledger entry to a running balance; `None` when a figure overflows.
fn replay(s: &mut BalanceView, kind: &str, a: Decimal) -> Result<Option<()>> {
    let (add, take) = match kind {
        "budget" | "adjust" => {
            s.budgeted = match s.budgeted.checked_add(a) {
                Some(v) => v,
                None => return Ok(None),
            };
            (Some(&mut s.available), None)
        }
        "reserve" => (Some(&mut s.reserved), Some(&mut s.available)),
        "commit" => (Some(&mut s.committed), Some(&mut s.reserved)),
        "spend" => (Some(&mut s.spent), Some(&mut s.committed)),
        "release" => (Some(&mut s.available), Some(&mut s.reserved)),
        RELEASE_COMMITMENT => (Some(&mut s.available), Some(&mut s.committed)),
        other => {
            return Err(Error::Internal(format!("unknown ledger kind '{other}'")));
        }
    };
    if let Some(to) = add {
        match to.checked_add(a) {
            Some(v) => *to = v,
            None => return Ok(None),
        }
    }
    if let Some(from) = take {
        match from.checked_sub(a) {
            Some(v) => *from = v,
            None => return Ok(None),
        }
    }
    Ok(Some(()))
}
