//! Budget reports: utilisation per department and period (budgeted, reserved, committed, spent,
//! available, % used, and % reserved / committed / spent for stacked bars), budget vs actual
//! variance, and the check success rate over a period.
//!
//! Definitions: `used = reserved + committed + spent`; `% used = used / budgeted × 100`;
//! actual = `spent`; `variance = budgeted − spent` (positive = under budget);
//! `variance % = variance / budgeted × 100`. Percentages are rounded half-even to one decimal.
//! The check success rate counts checks made (by their timestamp, UTC) within the period's
//! days, or all checks when no period is given.

use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::period::FiscalPeriod;
use super::{BudgetReport, CheckStats, UtilisationRow, fiscal_start_month, list_unchecked};
use crate::auth::Session;
use crate::company_file::CompanyFile;
use crate::entities::budget_check_log;
use crate::error::Result;
use crate::permissions::Permission;

fn percent(part: Decimal, whole: Decimal) -> Option<Decimal> {
    if whole.is_zero() {
        None
    } else {
        let mut p = (part * Decimal::ONE_HUNDRED / whole).round_dp(1);
        p.rescale(1); // always one decimal: "0.0", "12.5"
        Some(p)
    }
}

/// Utilisation, variance and check statistics, for one period or for everything.
pub async fn report(
    file: &CompanyFile,
    session: &Session,
    period: Option<&str>,
) -> Result<BudgetReport> {
    session.require(Permission::BudgetView)?;
    let db = file.reader();
    let budgets = list_unchecked(db, period, false).await?;
    let rows = budgets
        .into_iter()
        .map(|b| {
            let bal = b.balance;
            let used = bal.reserved + bal.committed + bal.spent;
            let variance = bal.budgeted - bal.spent;
            UtilisationRow {
                budget_id: b.id,
                department: b.department,
                period: b.period,
                category: b.category,
                project: b.project,
                currency: b.currency,
                enforcement: b.enforcement,
                percent_used: percent(used, bal.budgeted),
                percent_reserved: percent(bal.reserved, bal.budgeted),
                percent_committed: percent(bal.committed, bal.budgeted),
                percent_spent: percent(bal.spent, bal.budgeted),
                variance,
                variance_percent: percent(variance, bal.budgeted),
                over_budget: bal.available < Decimal::ZERO,
                balance: bal,
            }
        })
        .collect();

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
    let checks = query.all(db).await?;
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
            success_rate_percent: percent(Decimal::from(ok), Decimal::from(total)),
        },
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
        assert_eq!(
            percent(Decimal::ONE, Decimal::from(3)),
            Some(Decimal::new(333, 1))
        );
        assert_eq!(
            percent(Decimal::from(2), Decimal::from(3)),
            Some(Decimal::new(667, 1))
        );
        assert_eq!(percent(Decimal::ONE, Decimal::ZERO), None);
    }
}
