//! Phasing an annual budget into months or quarters, equally or by percentage, so that the parts
//! sum exactly to the whole (largest-remainder rounding to the cent).
//!
//! Phasing creates one child budget per month/quarter (`parent_id` = the annual budget) with the
//! annual budget's department, category, project, currency, enforcement and threshold, and
//! archives the annual budget so the money is not counted twice. An annual budget that already
//! has movements (anything but its opening entry) cannot be phased: its reservations would be
//! orphaned.
//!
//! The arithmetic is checked: a total within the maximum amount and percentages between 0 and
//! 100 cannot overflow, and other inputs to the public [`split`] are refused, never a panic.

use rust_decimal::Decimal;
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
use serde_json::json;

use super::period::{FiscalPeriod, PeriodKind};
use super::{
    BudgetStatus, BudgetView, Enforcement, NewBudget, balance_of, fiscal_start_month,
    insert_new_budgets, load_balance, load_budget, new_budget_rows, stored_balance, view,
};
use crate::entities::budget;
use hesabu_store::audit::AuditDraft;
use hesabu_store::auth::Session;
use hesabu_store::columns::DecimalText;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::{Error, Result};
use hesabu_store::money::{Currency, checked_sum, sum_overflow};
use hesabu_store::permissions::Permission;

/// Monthly (12 parts) or quarterly (4 parts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phasing {
    Monthly,
    Quarterly,
}

/// Splits `total` into parts proportional to `weights` (equal when empty), each rounded to
/// `scale` decimal places, that sum exactly to `total`. Largest remainder: every part is first
/// rounded down, then the units left over go one each to the parts that lost most, earliest
/// first on ties. Inputs whose arithmetic would overflow (far beyond any amount Hesabu accepts)
/// are refused.
pub fn split(
    total: Decimal,
    parts: usize,
    weights: &[Decimal],
    scale: u32,
) -> Result<Vec<Decimal>> {
    if parts == 0 {
        return Err(Error::invalid("Cannot split an amount into zero parts."));
    }
    let weights: Vec<Decimal> = if weights.is_empty() {
        vec![Decimal::ONE; parts]
    } else {
        weights.to_vec()
    };
    if weights.len() != parts {
        return Err(Error::invalid(format!(
            "Give {parts} percentages (one per part), not {}.",
            weights.len()
        )));
    }
    if weights.iter().any(|w| *w < Decimal::ZERO) {
        return Err(Error::invalid("Percentages cannot be negative."));
    }
    let overflow = || sum_overflow("the parts of the amount");
    let weight_sum = checked_sum(weights.iter().copied()).map_err(|_| overflow())?;
    if weight_sum.is_zero() {
        return Err(Error::invalid("The percentages add up to zero."));
    }
    let unit = Decimal::new(1, scale);
    let negative = total < Decimal::ZERO;
    let total_abs = total
        .abs()
        .round_dp_with_strategy(scale, rust_decimal::RoundingStrategy::ToZero);
    if total_abs != total.abs() {
        return Err(Error::invalid(format!(
            "{total} has more than {scale} decimal places: round it first."
        )));
    }
    let mut floors = Vec::with_capacity(parts);
    let mut remainders = Vec::with_capacity(parts);
    for w in &weights {
        let exact = total_abs
            .checked_mul(*w)
            .and_then(|x| x.checked_div(weight_sum))
            .ok_or_else(overflow)?;
        let floor = exact.round_dp_with_strategy(scale, rust_decimal::RoundingStrategy::ToZero);
        floors.push(floor);
        remainders.push(exact - floor);
    }
    let floored = checked_sum(floors.iter().copied()).map_err(|_| overflow())?;
    let mut left = total_abs.checked_sub(floored).ok_or_else(overflow)?;
    let mut order: Vec<usize> = (0..parts).collect();
    // Stable sort: ties keep the earlier part first.
    order.sort_by(|a, b| remainders[*b].cmp(&remainders[*a]));
    let mut i = 0;
    // No overflow below: each remainder is under one unit, and a part that gets a unit stays at
    // or under the total (the floors sum to at most the total minus what is left).
    while left >= unit {
        floors[order[i % parts]] += unit;
        left -= unit;
        i += 1;
    }
    Ok(floors
        .into_iter()
        .map(|p| if negative { -p } else { p })
        .collect())
}

/// Phases an annual budget (see the module docs). `percentages` empty = equal parts.
pub async fn phase(
    file: &CompanyFile,
    session: &Session,
    budget_id: &str,
    phasing: Phasing,
    percentages: &[Decimal],
) -> Result<Vec<BudgetView>> {
    session.require(Permission::BudgetManage)?;
    if let Some(bad) = percentages
        .iter()
        .find(|p| **p < Decimal::ZERO || **p > Decimal::ONE_HUNDRED)
    {
        return Err(Error::invalid(format!(
            "A percentage of {bad} is not between 0 and 100: give each part's share of the year."
        )));
    }
    if !percentages.is_empty() {
        // Each at most 100: no list of them adds up past a Decimal.
        let sum = checked_sum(percentages.iter().copied())?;
        if sum != Decimal::ONE_HUNDRED {
            return Err(Error::invalid(format!(
                "The percentages add up to {sum}, not 100: adjust them."
            )));
        }
    }
    let mut uow = file.begin(session).await?;
    let annual = load_budget(uow.db(), budget_id).await?;
    let fiscal = fiscal_start_month(uow.db()).await?;
    let period = FiscalPeriod::parse(&annual.period, fiscal)?;
    if period.kind != PeriodKind::Year || annual.status != BudgetStatus::Active {
        return Err(Error::invalid(format!(
            "Only an active annual budget (FY…) can be phased; {} is {} {}.",
            annual.id, annual.status, annual.period
        )));
    }
    let stored = load_balance(uow.db(), &annual.id).await?;
    if stored.entries > 1 {
        return Err(Error::Conflict(
            "This budget already has reservations or adjustments; phase it before use.".into(),
        ));
    }
    let total = stored_balance(uow.db(), &annual, &stored).await?.budgeted;
    let periods = match phasing {
        Phasing::Monthly => period.months(),
        Phasing::Quarterly => period.quarters(),
    };
    let amounts = split(total, periods.len(), percentages, 2)?;
    let template = NewBudget {
        department: String::new(),
        period: String::new(),
        amount: Decimal::ZERO,
        currency: annual.currency.parse::<Currency>()?,
        enforcement: Enforcement::parse(&annual.enforcement)?,
        auto_approve_threshold: annual.auto_approve_threshold.map(DecimalText::get),
        category: None,
        project: None,
    };
    let rows: Vec<_> = periods
        .iter()
        .zip(&amounts)
        .map(|(p, amount)| {
            new_budget_rows(
                &uow,
                &annual.department_id,
                p,
                *amount,
                &template,
                &annual.category,
                &annual.project,
                Some(&annual.id),
            )
        })
        .collect();
    // A child period may already have its own budget: refuse rather than overwrite it.
    for (b, _, _) in &rows {
        let clash = budget::Entity::find()
            .filter_by_key(b)
            .one(uow.db())
            .await?;
        if let Some(c) = clash {
            return Err(Error::Conflict(format!(
                "There is already a budget for {} ({}): archive it or phase by hand.",
                c.period, c.id
            )));
        }
    }
    insert_new_budgets(&uow, &rows).await?;
    let mut archived = annual.clone().into_active_model();
    archived.status = Set(BudgetStatus::Archived);
    archived.updated_at = Set(uow.now_text());
    archived.update(uow.db()).await?;
    uow.audit(AuditDraft {
        action: "budget.phase",
        entity_type: "budget",
        entity_id: annual.id.clone(),
        before: Some(json!({ "period": annual.period, "amount": annual.amount, "status": BudgetStatus::Active })),
        after: Some(json!({
            "status": BudgetStatus::Archived,
            "parts": rows.iter().map(|r| json!({ "period": r.0.period, "amount": r.0.amount }))
                .collect::<Vec<_>>(),
        })),
    })
    .await?;
    uow.commit().await?;
    let dept = super::department_name(file.reader(), &annual.department_id).await?;
    rows.iter()
        .map(|(b, bal, _)| view(b, &dept, &balance_of(bal)?))
        .collect()
}

trait FilterByKey {
    fn filter_by_key(self, b: &budget::Model) -> Self;
}

impl FilterByKey for sea_orm::Select<budget::Entity> {
    fn filter_by_key(self, b: &budget::Model) -> Self {
        use sea_orm::{ColumnTrait, QueryFilter};
        self.filter(budget::Column::DepartmentId.eq(b.department_id.as_str()))
            .filter(budget::Column::Period.eq(b.period.as_str()))
            .filter(budget::Column::Category.eq(b.category.as_str()))
            .filter(budget::Column::Project.eq(b.project.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    #[test]
    fn equal_parts_sum_exactly_and_differ_by_at_most_a_cent() {
        for (total, parts) in [("100", 3), ("1000000", 12), ("0.05", 12), ("999999.99", 4)] {
            let split = split(d(total), parts, &[], 2).unwrap();
            assert_eq!(split.iter().sum::<Decimal>(), d(total), "{total}/{parts}");
            let max = split.iter().max().unwrap();
            let min = split.iter().min().unwrap();
            assert!(*max - *min <= d("0.01"), "{split:?}");
        }
        assert_eq!(
            split(d("100"), 3, &[], 2).unwrap(),
            vec![d("33.34"), d("33.33"), d("33.33")]
        );
    }

    #[test]
    fn percentages_use_the_largest_remainder() {
        // 10 / 3 by 33.33/33.33/33.34: 3.333, 3.333, 3.334 → floors 3.33 ×3 (0.01 left) → the
        // largest remainder (the third part, .004) gets it.
        let parts = split(d("10"), 3, &[d("33.33"), d("33.33"), d("33.34")], 2).unwrap();
        assert_eq!(parts, vec![d("3.33"), d("3.33"), d("3.34")]);
        assert_eq!(parts.iter().sum::<Decimal>(), d("10"));
    }

    #[test]
    fn bad_splits_are_refused() {
        // Far beyond any amount Hesabu accepts: refused, not a panic.
        assert!(split(Decimal::MAX, 2, &[d("100"), d("1")], 2).is_err());
        assert!(split(d("10"), 2, &[Decimal::MAX, Decimal::MAX], 2).is_err());
        assert!(split(d("10"), 0, &[], 2).is_err());
        assert!(split(d("10"), 3, &[d("1")], 2).is_err());
        assert!(split(d("10.001"), 3, &[], 2).is_err());
        assert!(split(d("10"), 2, &[d("0"), d("0")], 2).is_err());
    }
}
