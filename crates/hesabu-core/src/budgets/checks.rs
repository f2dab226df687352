//! The budget check: would this amount fit, which budget covers it, and what the enforcement
//! mode decides; every check is logged.

use super::*;
use crate::entities::{approval_document, budget_check_log};
use sea_orm::QuerySelect;

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

/// The budget the latest check for `request_id` found: for a document, the check its latest
/// submission wrote (the approval engine checks with the document's id; a person checking by
/// hand with a document's id would be read here too, which nobody does on purpose).
pub(crate) async fn last_checked_budget(
    db: &impl ConnectionTrait,
    request_id: &str,
) -> Result<Option<String>> {
    Ok(budget_check_log::Entity::find()
        .filter(budget_check_log::Column::RequestId.eq(request_id))
        .order_by_desc(budget_check_log::Column::CheckedAt)
        .order_by_desc(budget_check_log::Column::Id)
        .one(db)
        .await?
        .and_then(|c| c.budget_id))
}

/// The check log, newest first, for people: who asked by name, the document's number, the
/// answer as [`CheckOutcome`]. Needs `budget_view`; a user who sees only some departments sees
/// only checks about them (by the department name each check stored), and asking for another
/// department's budget is refused like reading its ledger.
pub async fn list(
    file: &CompanyFile,
    session: &Session,
    query: &BudgetCheckQuery,
) -> Result<Vec<BudgetCheckView>> {
    session.require(Permission::BudgetView)?;
    let db = file.reader();
    let scope = Scope::of(db, session).await?;
    let mut select = budget_check_log::Entity::find();
    if let Some(id) = query
        .budget_id
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let b = load_budget(db, id).await?;
        scope.require(session, &b)?;
        select = select.filter(budget_check_log::Column::BudgetId.eq(b.id));
    }
    if let Some(text) = query
        .request_id
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        // A document's number stands for the document (the engine checks with its id).
        let by_number = approval_document::Entity::find()
            .filter(approval_document::Column::Number.eq(text.to_uppercase()))
            .one(db)
            .await?;
        let mut ids = vec![text.to_owned()];
        ids.extend(by_number.map(|d| d.id));
        select = select.filter(budget_check_log::Column::RequestId.is_in(ids));
    }
    if let Scope::Departments(names) = &scope {
        select = select.filter(budget_check_log::Column::Department.is_in(names.values().cloned()));
    }
    let limit = u64::from(query.limit.unwrap_or(50).clamp(1, 500));
    let rows = select
        .order_by_desc(budget_check_log::Column::CheckedAt)
        .order_by_desc(budget_check_log::Column::Id)
        .limit(limit)
        .all(db)
        .await?;

    let user_ids: HashSet<String> = rows.iter().filter_map(|r| r.user_id.clone()).collect();
    let names: HashMap<String, String> = hesabu_store::entities::app_user::Entity::find()
        .filter(hesabu_store::entities::app_user::Column::Id.is_in(user_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let request_ids: HashSet<String> = rows.iter().filter_map(|r| r.request_id.clone()).collect();
    let numbers: HashMap<String, String> = approval_document::Entity::find()
        .filter(approval_document::Column::Id.is_in(request_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.id, d.number))
        .collect();
    Ok(rows
        .into_iter()
        .map(|r| {
            // The stored answer carries the budget's currency; the row itself does not.
            let currency = serde_json::from_str::<serde_json::Value>(&r.response_json)
                .ok()
                .and_then(|v| v.get("currency")?.as_str().map(str::to_owned));
            let outcome = if r.available {
                CheckOutcome::Available
            } else if r.budget_id.is_some() {
                CheckOutcome::NotEnough
            } else {
                CheckOutcome::NoBudget
            };
            BudgetCheckView {
                asked_by: person_name(&names, r.user_id.as_deref(), &r.user_email),
                document_number: r
                    .request_id
                    .as_ref()
                    .and_then(|id| numbers.get(id))
                    .cloned(),
                amount: r.amount.get(),
                id: r.id,
                checked_at: r.checked_at,
                request_id: r.request_id,
                department: r.department,
                period: r.period,
                currency,
                outcome,
                can_auto_approve: r.can_auto_approve,
                reason: r.reason,
                budget_id: r.budget_id,
                asked_by_email: r.user_email,
                purpose: r.purpose,
            }
        })
        .collect())
}

/// A person as people read them: their name; [`SYSTEM_NAME`] for scheduled work; the email
/// when the user is not in `names` (no longer in the file).
pub(crate) fn person_name(
    names: &HashMap<String, String>,
    user_id: Option<&str>,
    email: &str,
) -> String {
    match user_id {
        None => SYSTEM_NAME.to_owned(),
        Some(id) => names.get(id).cloned().unwrap_or_else(|| email.to_owned()),
    }
}
