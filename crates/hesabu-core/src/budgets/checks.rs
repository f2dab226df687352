//! The budget check: would this amount fit, which budget covers it, and what the enforcement
//! mode decides; every check is logged.

use super::*;

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
        .filter(budget::Column::Status.eq(BudgetStatus::Active))
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
    let scope = Scope::of(uow.db(), session).await?;
    if scope != Scope::All
        && let Some(d) = crate::departments::find_by_name(uow.db(), &input.department).await?
        && !scope.allows(&d.id)
    {
        return Err(scope.denied(session, &format!("{} is another department", d.name)));
    }
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
            let bal = stored_balance(uow.db(), b, &load_balance(uow.db(), &b.id).await?).await?;
            let available = amount <= bal.available;
            let threshold = b.auto_approve_threshold.map(DecimalText::get);
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
            amount: amount.into(),
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
