//! Budget reports: utilisation per department and period (budgeted, reserved, committed, spent,
//! available, % used, and % reserved / committed / spent for stacked bars), budget vs actual
//! variance, and the check success rate over a period.
//!
//! Definitions: `used = reserved + committed + spent`; `% used = used / budgeted × 100`;
//! actual = `spent`; `variance = budgeted − spent` (positive = under budget);
//! `variance % = variance / budgeted × 100`. Percentages are rounded half-even to one decimal.
//! The check success rate counts checks made (by their timestamp, UTC) within the period's
//! days, or all checks when no period is given.
//!
//! [`fiscal_year`] is the utilisation chart: month by month over one fiscal year, the planned
//! budget (cumulative) against what is reserved, committed and spent at each month's end,
//! replayed from the ledger entries' timestamps.
//!
//! Both keep to the departments the user's [`Scope`] allows (the check statistics too: checks of
//! those departments). Every sum is checked: a figure stored above the maximum (only a file
//! changed outside Hesabu holds one) refuses the report with a message naming the budget.

use std::collections::{HashMap, HashSet};

use chrono::Datelike;
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::period::{FiscalPeriod, PeriodKind};
use super::phasing::split;
use super::{
    BudgetReport, BudgetStatus, BudgetView, CheckStats, FiscalYearUtilisation, MonthUtilisation,
    RELEASE_COMMITMENT, Scope, UtilisationRow, balance_of, fiscal_start_month, list_unchecked,
    minus, plus, stored_out_of_range,
};
use crate::entities::{budget, budget_balance, budget_check_log, budget_ledger};
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::{Error, Result};
use hesabu_store::money::{MAX_AMOUNT, checked_sum, sum_overflow};
use hesabu_store::permissions::Permission;

/// `part / whole × 100`, one decimal; `None` for a zero whole. Checked: with both within the
/// maximum it cannot overflow, and if it ever would the message names `what`.
fn percent(part: Decimal, whole: Decimal, what: &str) -> Result<Option<Decimal>> {
    if whole.is_zero() {
        return Ok(None);
    }
    let mut p = part
        .checked_mul(Decimal::ONE_HUNDRED)
        .and_then(|x| x.checked_div(whole))
        .ok_or_else(|| sum_overflow(what))?
        .round_dp(1);
    p.rescale(1); // always one decimal: "0.0", "12.5"
    Ok(Some(p))
}

/// "Operations 2026-Q1 / Fuel", as the budgets module names a budget in messages.
fn view_label(b: &BudgetView) -> String {
    let mut out = format!("{} {}", b.department, b.period);
    for extra in [&b.category, &b.project].into_iter().flatten() {
        out.push_str(&format!(" / {extra}"));
    }
    out
}

/// One budget's utilisation row: its stored figures refused when out of range, every sum checked.
fn utilisation(b: BudgetView) -> Result<UtilisationRow> {
    let name = view_label(&b);
    let bal = b.balance;
    if let Some((what, figure)) = bal.out_of_range() {
        return Err(stored_out_of_range(&name, what, figure));
    }
    let used = checked_sum([bal.reserved, bal.committed, bal.spent])
        .map_err(|_| sum_overflow(&format!("what budget {name} uses")))?;
    let variance = minus(
        bal.budgeted,
        bal.spent,
        &format!("the variance of budget {name}"),
    )?;
    let of_budget = format!("the percentages of budget {name}");
    Ok(UtilisationRow {
        budget_id: b.id,
        department: b.department,
        period: b.period,
        category: b.category,
        project: b.project,
        currency: b.currency,
        enforcement: b.enforcement,
        percent_used: percent(used, bal.budgeted, &of_budget)?,
        percent_reserved: percent(bal.reserved, bal.budgeted, &of_budget)?,
        percent_committed: percent(bal.committed, bal.budgeted, &of_budget)?,
        percent_spent: percent(bal.spent, bal.budgeted, &of_budget)?,
        variance,
        variance_percent: percent(variance, bal.budgeted, &of_budget)?,
        over_budget: bal.available < Decimal::ZERO,
        balance: bal,
    })
}

/// Utilisation, variance and check statistics, for one period or for everything.
pub async fn report(
    file: &CompanyFile,
    session: &Session,
    period: Option<&str>,
) -> Result<BudgetReport> {
    session.require(Permission::BudgetView)?;
    let db = file.reader();
    let scope = Scope::of(db, session).await?;
    let budgets = list_unchecked(db, &scope, period, false).await?;
    let rows = budgets
        .into_iter()
        .map(utilisation)
        .collect::<Result<Vec<_>>>()?;

    let mut query = budget_check_log::Entity::find();
    let label = match period {
        Some(text) => {
            let p = FiscalPeriod::parse(text, fiscal_start_month(db).await?)?;
            query = query
                .filter(budget_check_log::Column::CheckedAt.gte(p.start_text()))
                .filter(budget_check_log::Column::CheckedAt.lt(p.end_text()));
            Some(p.label)
        }
        None => None,
    };
    let checks: Vec<budget_check_log::Model> = query
        .all(db)
        .await?
        .into_iter()
        .filter(|c| scope.allows_name(&c.department))
        .collect();
    let total = i64::try_from(checks.len()).unwrap_or(i64::MAX);
    let ok = i64::try_from(checks.iter().filter(|c| c.available).count()).unwrap_or(0);
    let no_budget =
        i64::try_from(checks.iter().filter(|c| c.budget_id.is_none()).count()).unwrap_or(0);
    Ok(BudgetReport {
        period: label,
        rows,
        checks: CheckStats {
            checks: total,
            available: ok,
            no_budget,
            success_rate_percent: percent(
                Decimal::from(ok),
                Decimal::from(total),
                "the check success rate",
            )?,
        },
    })
}

/// Utilisation month by month over a fiscal year (`FY2026`; the one containing today when
/// `None`), for one currency (the company's base currency when `None`), optionally for one
/// department.
///
/// - The budgets counted are the active ones whose period lies inside the year. A phased annual
///   budget is archived by phasing, so only its parts count (any active parent with active parts
///   is skipped too, should one exist). Simplification: budgets that overlap without being
///   phased from one another (a department with both a year and a quarter budget) are both
///   counted.
/// - `budgeted` at a month is the plan up to that month's end: each budget's current amount
///   spread evenly over the months of its own period (largest remainder), summed.
/// - `reserved`, `committed` and `spent` are replayed from the ledger: every entry made before
///   the first day of the next month (UTC, like the check statistics) counts.
pub async fn fiscal_year(
    file: &CompanyFile,
    session: &Session,
    fiscal_year: Option<&str>,
    department: Option<&str>,
    currency: Option<&str>,
) -> Result<FiscalYearUtilisation> {
    session.require(Permission::BudgetView)?;
    let db = file.reader();
    let scope = Scope::of(db, session).await?;
    let start_month = fiscal_start_month(db).await?;
    let company = crate::company::load(db).await?;
    let tz: chrono_tz::Tz = company
        .time_zone
        .parse()
        .unwrap_or(chrono_tz::Africa::Nairobi);
    let today = file.clock().now().with_timezone(&tz).date_naive();
    let label = match fiscal_year.map(str::trim).filter(|t| !t.is_empty()) {
        Some(text) => text.to_owned(),
        None => {
            let year = if today.month() >= start_month {
                today.year()
            } else {
                today.year() - 1
            };
            format!("FY{year}")
        }
    };
    let year = FiscalPeriod::parse(&label, start_month)?;
    if year.kind != PeriodKind::Year {
        return Err(Error::invalid(format!(
            "The chart covers a fiscal year: write it like FY{}, not {label}.",
            today.year()
        )));
    }
    let currency = currency
        .map(|c| c.trim().to_uppercase())
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| company.base_currency.clone());

    let mut query = budget::Entity::find()
        .filter(budget::Column::Status.eq(BudgetStatus::Active))
        .filter(budget::Column::Currency.eq(currency.as_str()))
        .filter(budget::Column::PeriodStart.gte(year.start_text()))
        .filter(budget::Column::PeriodEnd.lte(year.end_text()));
    let department_name = match department.map(str::trim).filter(|d| !d.is_empty()) {
        Some(name) => {
            let d = crate::departments::find_by_name(db, name)
                .await?
                .ok_or_else(|| {
                    Error::invalid(format!(
                        "There is no department named '{name}'. Pick one from the list."
                    ))
                })?;
            if !scope.allows(&d.id) {
                return Err(scope.denied(session, &format!("{} is another department", d.name)));
            }
            query = query.filter(budget::Column::DepartmentId.eq(d.id.as_str()));
            Some(d.name)
        }
        None => {
            if let Scope::Departments(ids) = &scope {
                query = query.filter(budget::Column::DepartmentId.is_in(ids.keys().cloned()));
            }
            None
        }
    };
    let all = query.all(db).await?;
    let parents: HashSet<&str> = all.iter().filter_map(|b| b.parent_id.as_deref()).collect();
    let budgets: Vec<&budget::Model> = all
        .iter()
        .filter(|b| !parents.contains(b.id.as_str()))
        .collect();
    let ids: Vec<&str> = budgets.iter().map(|b| b.id.as_str()).collect();

    let months = year.months();
    let month_index: HashMap<String, usize> = months
        .iter()
        .enumerate()
        .map(|(i, m)| (m.label.clone(), i))
        .collect();
    // The plan: each budget's amount over the months of its own period.
    let mut planned = vec![Decimal::ZERO; months.len()];
    let balances: HashMap<String, budget_balance::Model> = budget_balance::Entity::find()
        .filter(budget_balance::Column::BudgetId.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|b| (b.budget_id.clone(), b))
        .collect();
    // Names a budget in a message about one of its figures (only on that path: a query).
    let name_of = |id: &str| {
        let found = all.iter().find(|b| b.id == id).cloned();
        let fallback = id.to_owned();
        async move {
            match found {
                Some(b) => Ok::<String, Error>(super::label(
                    &b,
                    &super::department_name(db, &b.department_id).await?,
                )),
                None => Ok(fallback),
            }
        }
    };
    for b in &budgets {
        let (amount, out_of_range) = match balances.get(&b.id) {
            Some(bal) => {
                let stored = balance_of(bal)?;
                (stored.budgeted, stored.out_of_range())
            }
            None => (
                b.amount.get(),
                Some(("budgeted", b.amount.get())).filter(|(_, a)| a.abs() > MAX_AMOUNT),
            ),
        };
        if let Some((what, figure)) = out_of_range {
            return Err(stored_out_of_range(&name_of(&b.id).await?, what, figure));
        }
        let own: Vec<usize> = FiscalPeriod::parse(&b.period, start_month)?
            .months()
            .iter()
            .filter_map(|m| month_index.get(&m.label).copied())
            .collect();
        if own.is_empty() {
            continue;
        }
        let parts = split(amount, own.len(), &[], amount.scale().max(2))?;
        for (i, part) in own.into_iter().zip(parts) {
            planned[i] = plus(planned[i], part, "the budget planned for the year")?;
        }
    }

    // The ledger, replayed month by month.
    let entries = budget_ledger::Entity::find()
        .filter(budget_ledger::Column::BudgetId.is_in(ids.iter().copied()))
        .order_by_asc(budget_ledger::Column::At)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(months.len());
    let (mut reserved, mut committed, mut spent) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    let mut budgeted = Decimal::ZERO;
    let mut next = entries.iter().peekable();
    for (i, m) in months.iter().enumerate() {
        // Timestamps are RFC 3339 text in UTC, so "before the next month's first day" is a
        // text comparison.
        let end = m.end_text();
        while let Some(e) = next.next_if(|e| e.at.as_str() < end.as_str()) {
            let a = e.amount.get();
            if a.abs() > MAX_AMOUNT {
                return Err(stored_out_of_range(
                    &name_of(&e.budget_id).await?,
                    &format!("ledger entry #{} ({})", e.seq, e.kind),
                    a,
                ));
            }
            let (r, c, s) = (
                "the year's reserved amounts",
                "the year's committed amounts",
                "the year's spending",
            );
            match e.kind.as_str() {
                "reserve" => reserved = plus(reserved, a, r)?,
                "commit" => {
                    reserved = minus(reserved, a, r)?;
                    committed = plus(committed, a, c)?;
                }
                "spend" => {
                    committed = minus(committed, a, c)?;
                    spent = plus(spent, a, s)?;
                }
                "release" => reserved = minus(reserved, a, r)?,
                k if k == RELEASE_COMMITMENT => committed = minus(committed, a, c)?,
                _ => {} // budget and adjust entries: the plan uses the current amount
            }
        }
        budgeted = plus(budgeted, planned[i], "the budget planned for the year")?;
        out.push(MonthUtilisation {
            month: m.label.clone(),
            budgeted,
            reserved,
            committed,
            spent,
            used: checked_sum([reserved, committed, spent])
                .map_err(|_| sum_overflow("what the year's budgets use"))?,
            future: m.start > today,
        });
    }
    Ok(FiscalYearUtilisation {
        fiscal_year: year.label,
        currency,
        department: department_name,
        budgets: i64::try_from(budgets.len()).unwrap_or(i64::MAX),
        months: out,
    })
}

/// The utilisation rows as CSV (for `budget report --format csv`).
pub fn to_csv(report: &BudgetReport) -> String {
    let mut out = String::from(
        "department,period,category,project,currency,enforcement,budgeted,reserved,committed,\
         spent,available,percent_used,variance,variance_percent,over_budget\n",
    );
    let field = |text: &str| {
        if text.contains([',', '"', '\n']) {
            format!("\"{}\"", text.replace('"', "\"\""))
        } else {
            text.to_owned()
        }
    };
    for r in &report.rows {
        let b = &r.balance;
        let cells = [
            field(&r.department),
            field(&r.period),
            field(r.category.as_deref().unwrap_or("")),
            field(r.project.as_deref().unwrap_or("")),
            r.currency.clone(),
            r.enforcement.as_str().to_owned(),
            b.budgeted.to_string(),
            b.reserved.to_string(),
            b.committed.to_string(),
            b.spent.to_string(),
            b.available.to_string(),
            r.percent_used.map(|p| p.to_string()).unwrap_or_default(),
            r.variance.to_string(),
            r.variance_percent
                .map(|p| p.to_string())
                .unwrap_or_default(),
            r.over_budget.to_string(),
        ];
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_round_to_one_decimal_and_skip_zero_budgets() {
        let p = |part, whole| percent(part, whole, "test").unwrap();
        assert_eq!(
            p(Decimal::ONE, Decimal::from(3)),
            Some(Decimal::new(333, 1))
        );
        assert_eq!(
            p(Decimal::from(2), Decimal::from(3)),
            Some(Decimal::new(667, 1))
        );
        assert_eq!(p(Decimal::ONE, Decimal::ZERO), None);
        // Far beyond any stored figure: an error naming the total, never a panic.
        let err = percent(Decimal::MAX, Decimal::ONE, "test figures").unwrap_err();
        assert!(err.to_string().contains("test figures"), "{err}");
    }
}
