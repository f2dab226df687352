//! Where budgets plug into approvals. The engine calls [`on_submitted`] and
//! [`on_document_event`] inside the same unit of work as the status change, so a budget
//! reservation, commitment or release lands (or rolls back) together with the decision.
//!
//! - On submission ([`on_submitted`], before routing, so that policy rules can test the
//!   document's `budget_status`) the document's department budget for the fiscal month
//!   containing the submission date is checked (the budgets module's own lookup: month, then
//!   quarter, then year; a category/project line before the department's general one) and the
//!   amount reserved. HARD_BLOCK with funds short refuses the submission (the whole unit of work
//!   rolls back); SOFT_WARNING flags the document and continues; ESCALATE asks the engine to add
//!   the executive level to the chain once it is routed ([`add_budget_level`]); ROUTE_TO_FINANCE
//!   reserves nothing and asks for a finance manager's level the same way. No budget:
//!   the document is marked "no budget" and goes on. Within budget, at or under the budget's
//!   auto-approve threshold (when it has one), the engine approves the document without an
//!   approval chain ([`OnSubmit::AutoApprove`]).
//! - `FinalApproved` commits what the document holds (an over-budget commit approved by a
//!   finance manager or admin is recorded as an override by the budgets module). A document sent
//!   to finance without reserving is reserved and committed in that one step, past zero when
//!   funds are still short, the shortfall written in the ledger and on the document.
//! - `Rejected`, `Returned`, `Recalled`, `ClarificationRequested` and `Cancelled` release exactly
//!   what the document holds (nothing, when it holds nothing).
//!
//! These are the engine's moves: the acting user's budget permissions are not checked (an
//! approver without `BudgetCommit` may still approve), but every ledger row and audit entry
//! names that user and says "via approval". See docs/budgets.md, "The approval seam".

use crate::entities::StepStatus;
use std::str::FromStr;

use chrono::Datelike;
use rust_decimal::Decimal;
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};

use super::Directory;
use super::policy_format::{ApproverSpec, LevelSpec};
use crate::budgets::{
    self, BudgetCheckInput, EnforcementDecision, LedgerOutcome, MoveInput, Mover, ReleaseAction,
    ReserveInput,
};
use crate::entities::{approval_document, approval_step};
use hesabu_store::error::{Error, Result};
use hesabu_store::permissions::Role;
use hesabu_store::uow::UnitOfWork;

/// A budget-relevant moment in a document's life after submission (submission itself is
/// [`on_submitted`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BudgetEvent {
    FinalApproved,
    Rejected,
    Returned,
    ClarificationRequested,
    Recalled,
    Cancelled,
}

impl BudgetEvent {
    fn verb(self) -> &'static str {
        match self {
            BudgetEvent::FinalApproved => "approved",
            BudgetEvent::Rejected => "rejected",
            BudgetEvent::Returned => "returned",
            BudgetEvent::ClarificationRequested => "sent back for clarification",
            BudgetEvent::Recalled => "recalled",
            BudgetEvent::Cancelled => "cancelled",
        }
    }

    /// The ledger's release action. Recall and clarification hand the document back to its
    /// requester like a return; the ledger reason names the real event.
    fn release_action(self) -> ReleaseAction {
        match self {
            BudgetEvent::Rejected => ReleaseAction::Reject,
            BudgetEvent::Cancelled => ReleaseAction::Cancel,
            _ => ReleaseAction::Return,
        }
    }
}

/// `within_budget`, `over_budget`, `escalated`, `routed_to_finance`, `no_budget`: stored on the
/// document.
pub const WITHIN_BUDGET: &str = "within_budget";
pub const OVER_BUDGET: &str = "over_budget";
pub const ESCALATED: &str = "escalated";
/// ROUTE_TO_FINANCE with funds short: nothing reserved, a finance manager decides.
pub const ROUTED_TO_FINANCE: &str = "routed_to_finance";
pub const NO_BUDGET: &str = "no_budget";

/// What the budget asks of the engine after a submission's check and reservation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OnSubmit {
    /// Route through the policy as usual.
    Route,
    /// Route, then add the executive level ([`add_budget_level`]) with this reason.
    Escalate { reason: String, detail: String },
    /// Route, then add a finance manager's level ([`add_budget_level`]) with this reason:
    /// nothing was reserved.
    RouteToFinance { reason: String, detail: String },
    /// Approve without an approval chain: within budget and at or under the budget's
    /// auto-approve threshold. `reason` goes into the document's history.
    AutoApprove { reason: String },
}

/// Called by the engine when a document is submitted (or resubmitted), before it is routed,
/// inside the unit of work that changes its status. Returning an error rolls it all back.
pub(crate) async fn on_submitted(
    uow: &mut UnitOfWork,
    document: &approval_document::Model,
) -> Result<OnSubmit> {
    let mover = engine_mover(uow).await?;
    submitted(uow, &mover, document).await
}

/// The value a policy condition on `budget_status` sees: `within`, `exceeds` (SOFT_WARNING
/// flagged, ESCALATE escalated or ROUTE_TO_FINANCE sent to finance) or `no_budget`; `None`
/// before the first check.
pub fn policy_budget_status(stored: Option<&str>) -> Option<&'static str> {
    match stored? {
        WITHIN_BUDGET => Some("within"),
        OVER_BUDGET | ESCALATED | ROUTED_TO_FINANCE => Some("exceeds"),
        NO_BUDGET => Some("no_budget"),
        _ => None,
    }
}

/// Called by the engine inside the unit of work that changes the document's status. Returning
/// an error rolls the whole change back.
pub(crate) async fn on_document_event(
    uow: &mut UnitOfWork,
    document: &approval_document::Model,
    event: BudgetEvent,
) -> Result<()> {
    let mover = engine_mover(uow).await?;
    match event {
        BudgetEvent::FinalApproved => {
            let routed = if document.budget_status.as_deref() == Some(ROUTED_TO_FINANCE) {
                reserve_at_approval(uow, &mover, document).await?
            } else {
                None
            };
            for (budget_id, _) in budgets::held_by(uow.db(), &document.id).await? {
                let shortfall = routed
                    .as_ref()
                    .filter(|r| r.budget_id == budget_id)
                    .and_then(|r| r.shortfall.clone());
                budgets::commit_as(
                    uow,
                    &mover,
                    &MoveInput {
                        budget_id,
                        request_id: document.id.clone(),
                        amount: None,
                        reason: Some(match shortfall {
                            Some(short) => format!(
                                "{} approved, via approval; funds were short by {short}, \
                                 committed past zero",
                                document.number
                            ),
                            None => format!("{} approved, via approval", document.number),
                        }),
                    },
                )
                .await?;
            }
            if let Some(routed) = routed {
                mark(uow, document, ROUTED_TO_FINANCE, routed.note).await?;
            }
            Ok(())
        }
        BudgetEvent::Rejected
        | BudgetEvent::Returned
        | BudgetEvent::ClarificationRequested
        | BudgetEvent::Recalled
        | BudgetEvent::Cancelled => {
            for (budget_id, _) in budgets::held_by(uow.db(), &document.id).await? {
                budgets::release_as(
                    uow,
                    &mover,
                    &budgets::ReleaseInput {
                        budget_id,
                        request_id: document.id.clone(),
                        amount: None,
                        action: event.release_action(),
                        reason: format!("{} {}, via approval", document.number, event.verb()),
                    },
                )
                .await?;
            }
            Ok(())
        }
    }
}

/// What the final approval of a document sent to finance reserved.
struct ReservedAtApproval {
    budget_id: String,
    /// How much more than was available, in words (`KES 30,000.00`), when funds were short.
    shortfall: Option<String>,
    /// The document's new budget note.
    note: String,
}

/// ROUTE_TO_FINANCE: the document reserved nothing at submission, and a finance manager has
/// now approved it. Reserve what it lacks on the budget it was checked against (the latest
/// check logged for it, which its submission wrote) so that the usual commit follows; past
/// zero when funds are still short. `None` when no budget was found for it.
async fn reserve_at_approval(
    uow: &mut UnitOfWork,
    mover: &Mover,
    doc: &approval_document::Model,
) -> Result<Option<ReservedAtApproval>> {
    let Some(budget_id) = budgets::last_checked_budget(uow.db(), &doc.id).await? else {
        return Ok(None);
    };
    let amount = crate::documents::amount_of(doc);
    // A document has at most one open reservation per budget.
    let held = budgets::held_by(uow.db(), &doc.id)
        .await?
        .into_iter()
        .find(|(b, _)| *b == budget_id)
        .map_or(Decimal::ZERO, |(_, held)| held);
    let label = budgets::label_of(uow.db(), &budget_id).await?;
    let lacking = budgets::minus(amount, held, "what the document lacks")?;
    if lacking <= Decimal::ZERO {
        return Ok(None);
    }
    let out: LedgerOutcome = budgets::reserve_decided_as(
        uow,
        mover,
        &ReserveInput {
            budget_id: budget_id.clone(),
            request_id: doc.id.clone(),
            amount: lacking,
            reason: Some(format!(
                "{} approved after finance review: reserved at approval, via approval",
                doc.number
            )),
        },
    )
    .await?;
    let c = &out.currency;
    let available_before = budgets::plus(out.balance.available, lacking, "the budget available")?;
    let short = budgets::minus(
        lacking,
        available_before.max(Decimal::ZERO),
        "the shortfall",
    )?;
    let (shortfall, note) = if short > Decimal::ZERO {
        let words = budgets::show(short, c);
        let note = format!(
            "Approved with funds short: {} reserved and committed at approval on budget \
             {label}, short by {words} (available now {}).",
            budgets::show(amount, c),
            budgets::show(out.balance.available, c)
        );
        (Some(words), note)
    } else {
        let note = format!(
            "Funds sufficed at approval: {} reserved and committed on budget {label}, {} left.",
            budgets::show(amount, c),
            budgets::show(out.balance.available, c)
        );
        (None, note)
    };
    Ok(Some(ReservedAtApproval {
        budget_id,
        shortfall,
        note,
    }))
}

/// The user whose action moved the document (or the system, for jobs), with their role.
async fn engine_mover(uow: &UnitOfWork) -> Result<Mover> {
    let actor = uow.actor().clone();
    let role = match &actor.id {
        None => None,
        Some(id) => hesabu_store::entities::app_user::Entity::find_by_id(id.clone())
            .one(uow.db())
            .await?
            .and_then(|u| Role::from_str(&u.role).ok()),
    };
    Ok(Mover {
        id: actor.id,
        email: actor.email,
        role,
        via_approval: true,
    })
}

/// Check and reserve on submission, then act on the budget's enforcement decision.
async fn submitted(
    uow: &mut UnitOfWork,
    mover: &Mover,
    doc: &approval_document::Model,
) -> Result<OnSubmit> {
    // A sale earns money; it never reserves or consumes an expense budget.
    if doc.doc_type == crate::documents::DocumentType::SalesInvoice.as_str() {
        return Ok(OnSubmit::Route);
    }
    let amount = crate::documents::amount_of(doc);
    // Documents are created within the maximum; one above it was changed outside Hesabu.
    hesabu_store::money::check_max(&format!("amount of {}", doc.number), amount)?;
    let Some(department_id) = doc.department_id.as_deref() else {
        mark(
            uow,
            doc,
            NO_BUDGET,
            "No budget: the document has no department, so no budget covers it.".into(),
        )
        .await?;
        return Ok(OnSubmit::Route);
    };
    let department = crate::entities::department::Entity::find_by_id(department_id.to_owned())
        .one(uow.db())
        .await?
        .map_or_else(|| department_id.to_owned(), |d| d.name);
    let company = crate::company::load(uow.db()).await?;
    let tz: chrono_tz::Tz = company
        .time_zone
        .parse()
        .unwrap_or(chrono_tz::Africa::Nairobi);
    let today = uow.now().with_timezone(&tz).date_naive();
    let check = budgets::check_as(
        uow,
        mover,
        &BudgetCheckInput {
            request_id: Some(doc.id.clone()),
            department,
            period: format!("{}-{:02}", today.year(), today.month()),
            amount,
            vendor: None,
            purpose: Some(format!("{} {}", doc.number, doc.title)),
            category: doc.category.clone(),
            project: doc.project.clone(),
        },
    )
    .await?;
    let Some(budget_id) = check.budget_id.clone() else {
        mark(uow, doc, NO_BUDGET, format!("No budget: {}", check.reason)).await?;
        return Ok(OnSubmit::Route);
    };
    // Off unless the budget has a threshold: `can_auto_approve` needs funds and a threshold.
    let threshold = if check.can_auto_approve {
        crate::entities::budget::Entity::find_by_id(budget_id.clone())
            .one(uow.db())
            .await?
            .and_then(|b| b.auto_approve_threshold)
    } else {
        None
    };
    let label = budgets::label_of(uow.db(), &budget_id).await?;
    let budget_currency = check.currency.clone().unwrap_or_default();
    if budget_currency != doc.currency {
        return Err(Error::invalid(format!(
            "{} cannot be submitted: it is in {}, but its budget {label} is in \
             {budget_currency}. Enter the document in {budget_currency} (convert the amount \
             first). Nothing was submitted.",
            doc.number, doc.currency,
        )));
    }
    let out = budgets::reserve_as(
        uow,
        mover,
        &ReserveInput {
            budget_id: budget_id.clone(),
            request_id: doc.id.clone(),
            amount,
            reason: Some(format!("{} submitted, via approval", doc.number)),
        },
    )
    .await?;
    match out.decision {
        EnforcementDecision::WithinBudget => {
            let note = format!(
                "Within budget {label}: {} reserved, {} left.",
                budgets::show(amount, &out.currency),
                budgets::show(out.balance.available, &out.currency)
            );
            match threshold {
                Some(t) => {
                    let reason = format!(
                        "Auto-approved: within budget auto-approve threshold {}",
                        budgets::show(t.get(), &out.currency)
                    );
                    mark(uow, doc, WITHIN_BUDGET, format!("{note} {reason}.")).await?;
                    Ok(OnSubmit::AutoApprove { reason })
                }
                None => {
                    mark(uow, doc, WITHIN_BUDGET, note).await?;
                    Ok(OnSubmit::Route)
                }
            }
        }
        // In words, without the document's number: a refused create-and-submit leaves no
        // document behind to number (`documents::create_and_submit`).
        EnforcementDecision::Refused { .. } => Err(Error::Conflict(format!(
            "Not enough budget: {label} has {} available, this request needs {}. Ask finance \
             to move budget, or lower the amount. Nothing was submitted or reserved.",
            budgets::show(out.balance.available, &out.currency),
            budgets::show(amount, &out.currency)
        ))),
        EnforcementDecision::Flagged { flag } => {
            let note = capitalise(&flag);
            mark(uow, doc, OVER_BUDGET, format!("{note}.")).await?;
            Ok(OnSubmit::Route)
        }
        EnforcementDecision::Escalate { reason } => {
            // What was available before this reservation (both figures are within the maximum).
            let available = budgets::plus(out.balance.available, amount, "the budget available")?;
            let detail = format!(
                "budget {label}, available {}, requested {}",
                budgets::show(available, &out.currency),
                budgets::show(amount, &out.currency)
            );
            mark(uow, doc, ESCALATED, format!("{reason} ({detail}).")).await?;
            Ok(OnSubmit::Escalate { reason, detail })
        }
        EnforcementDecision::RouteToFinance { .. } => {
            // Nothing was reserved, so the balance is the one before.
            let available = budgets::show(out.balance.available, &out.currency);
            let requested = budgets::show(amount, &out.currency);
            let detail = format!("budget {label}, available {available}, requested {requested}");
            let note = format!(
                "Not enough budget on {label} (available {available}, requested {requested}), \
                 so nothing was reserved. Sent to a finance manager to decide; the final \
                 approval reserves and commits it."
            );
            mark(uow, doc, ROUTED_TO_FINANCE, note).await?;
            Ok(OnSubmit::RouteToFinance {
                reason: budgets::ROUTE_TO_FINANCE_REASON.to_owned(),
                detail,
            })
        }
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Stores what the budget said on the document (`doc show` prints it; `DocumentView` carries it).
async fn mark(
    uow: &UnitOfWork,
    doc: &approval_document::Model,
    status: &str,
    note: String,
) -> Result<()> {
    let stored = crate::documents::load(uow.db(), &doc.id).await?;
    let mut active = stored.into_active_model();
    active.budget_status = Set(Some(status.to_owned()));
    active.budget_note = Set(Some(note));
    active.update(uow.db()).await?;
    Ok(())
}

/// The level a budget decision adds to a routed document's chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AddedLevel {
    /// ESCALATE: everyone designated `executive`.
    Executive,
    /// ROUTE_TO_FINANCE: the finance managers.
    Finance,
}

impl AddedLevel {
    /// Whether a policy level is this one: its approvers include the executive designation, or
    /// the finance_manager role.
    fn is(self, level: &LevelSpec) -> bool {
        level.approvers.iter().any(|a| match (self, a) {
            (AddedLevel::Executive, ApproverSpec::Designation { designation }) => {
                designation.trim().eq_ignore_ascii_case("executive")
            }
            (AddedLevel::Finance, ApproverSpec::Role { role }) => *role == Role::FinanceManager,
            _ => false,
        })
    }

    /// The level used when the policy has none of its own: any one of them.
    fn default_level(self) -> serde_json::Value {
        match self {
            AddedLevel::Executive => serde_json::json!({
                "name": "Executive",
                "approvers": [{ "type": "designation", "designation": "executive" }],
                "mode": "any_one",
                "sla_hours": 24,
            }),
            AddedLevel::Finance => serde_json::json!({
                "name": "Finance manager",
                "approvers": [{ "type": "role", "role": "finance_manager" }],
                "mode": "any_one",
                "sla_hours": 24,
            }),
        }
    }

    /// Who takes the level when nobody else can: said in each added step's "why".
    fn to_admins(self) -> &'static str {
        match self {
            AddedLevel::Executive => "nobody else is designated executive, so an admin",
            AddedLevel::Finance => "nobody else is a finance manager, so an admin",
        }
    }

    /// What to do when nobody at all can take it.
    fn remedy(self) -> &'static str {
        match self {
            AddedLevel::Executive => "designate one with hesabu org designate EMAIL executive",
            AddedLevel::Finance => {
                "add a finance manager with hesabu user add --role finance_manager"
            }
        }
    }
}

/// After routing: the level the budget asked for on submission, if any (ESCALATE's executive
/// level, ROUTE_TO_FINANCE's finance level); nothing for the other answers.
pub(crate) async fn add_budget_level(
    uow: &UnitOfWork,
    doc: &approval_document::Model,
    on_submit: &OnSubmit,
) -> Result<()> {
    match on_submit {
        OnSubmit::Escalate { reason, detail } => {
            add_level(uow, doc, AddedLevel::Executive, reason, detail).await
        }
        OnSubmit::RouteToFinance { reason, detail } => {
            add_level(uow, doc, AddedLevel::Finance, reason, detail).await
        }
        OnSubmit::Route | OnSubmit::AutoApprove { .. } => Ok(()),
    }
}

/// ESCALATE: the executive level joins the request's pinned chain (after everything already in
/// it), with the reason on each added step so "why is this with me" shows it. The policy's own
/// executive level (the first level whose approvers include the `executive` designation) is
/// used when it has one; otherwise an any-one level of everyone designated executive. When the
/// chain already includes an executive, their steps get the reason and nobody is added. Nobody
/// designated executive: the level goes to an admin, as a policy's `if_empty: admin` would; no
/// admin either refuses the submission. ROUTE_TO_FINANCE does the same with the finance
/// managers (the policy's first level whose approvers include the `finance_manager` role).
async fn add_level(
    uow: &UnitOfWork,
    doc: &approval_document::Model,
    added: AddedLevel,
    reason: &str,
    detail: &str,
) -> Result<()> {
    let request = crate::approvals::routing::current_request(uow.db(), doc)
        .await?
        .ok_or_else(|| Error::Internal("a submitted document has no request".into()))?;
    let spec = crate::approvals::routing::pinned_spec(uow.db(), &request).await?;
    let dir = Directory::load(uow.db()).await?;
    let steps = crate::approvals::routing::steps_of(uow.db(), &request.id).await?;
    let (number, level) = match spec.levels.iter().position(|l| added.is(l)) {
        Some(i) => (i64::try_from(i + 1).unwrap_or(0), spec.levels[i].clone()),
        None => (
            0,
            serde_json::from_value::<LevelSpec>(added.default_level())
                .map_err(|e| Error::Internal(format!("the {added:?} level: {e}")))?,
        ),
    };
    let (found, why) = crate::approvals::routing::resolve(&level, &dir, doc);
    let open = |s: &&approval_step::Model| s.status != StepStatus::Cancelled;
    let already: Vec<&approval_step::Model> = steps
        .iter()
        .filter(open)
        .filter(|s| found.contains(&s.approver_id) || (number > 0 && s.level == number))
        .collect();
    if !already.is_empty() {
        for step in already {
            let mut active = step.clone().into_active_model();
            active.why = Set(format!("{} {reason} ({detail}).", step.why));
            active.update(uow.db()).await?;
        }
        return Ok(());
    }
    let (ids, to_admins) =
        crate::approvals::routing::appended_level_approvers(doc, &spec, &steps, &dir, found);
    let who = if to_admins {
        added.to_admins().to_owned()
    } else {
        why
    };
    if ids.is_empty() {
        return Err(Error::invalid(format!(
            "{} cannot be submitted: {reason} ({detail}), but nobody can give it ({}). Nothing \
             was submitted.",
            doc.number,
            added.remedy()
        )));
    }
    let last = steps.iter().map(|s| s.level).max().unwrap_or(0);
    let number = if number > last { number } else { last + 1 };
    let why = format!(
        "{reason} ({detail}). Level {number} ('{}') added to the chain: {who}.",
        level.name
    );
    crate::approvals::routing::insert_waiting_level(uow, &request.id, number, &level, ids, &why)
        .await?;
    Ok(())
}
