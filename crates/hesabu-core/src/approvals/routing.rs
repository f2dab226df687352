//! Routing: from a submitted document and the active policy to a chain of approvers. Matches a
//! policy rule, resolves each level's approvers (people, roles, department heads, designations),
//! applies exclusions and empty-approver rules, follows delegations, pins the result in a
//! request, opens levels as earlier ones finish, and appends levels that budgets or rules
//! require later. Shared by documents, actions, delegations and jobs.

use crate::entities::{RequestStatus, StepStatus};
use std::collections::HashSet;

use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set,
};
use serde_json::{Value, json};

use super::Directory;
use super::budget_hooks::{self};
use super::calendar::Calendar;
use super::documents::set_status;
use super::policy_format::{
    ApproverSpec, EmptyApprover, LevelMode, LevelSpec, PolicySpec, Subject,
};
use super::policy_service;
use super::wire::DocumentType;
use crate::documents::state::Transition;
use crate::documents::{amount_of, money_text};
use crate::entities::{
    approval_document, approval_policy, approval_request, approval_step, delegation,
};
use hesabu_store::clock::format_timestamp;
use hesabu_store::error::{Error, Result};
use hesabu_store::notifications;
use hesabu_store::uow::UnitOfWork;

/// Delegation chains are followed at most this far (A → B → C → D).
pub const MAX_DELEGATION_DEPTH: usize = 3;

pub(crate) async fn current_request(
    db: &impl ConnectionTrait,
    doc: &approval_document::Model,
) -> Result<Option<approval_request::Model>> {
    match &doc.current_request_id {
        None => Ok(None),
        Some(id) => Ok(approval_request::Entity::find_by_id(id.clone())
            .one(db)
            .await?),
    }
}

pub(crate) async fn steps_of(
    db: &impl ConnectionTrait,
    request_id: &str,
) -> Result<Vec<approval_step::Model>> {
    Ok(approval_step::Entity::find()
        .filter(approval_step::Column::RequestId.eq(request_id))
        .order_by_asc(approval_step::Column::Level)
        .order_by_asc(approval_step::Column::Position)
        .all(db)
        .await?)
}

/// Closes a request: every open step is cancelled (version bumped, so a racing decision on one
/// of them loses its compare-and-swap).
pub(crate) async fn close_request(
    uow: &UnitOfWork,
    request: &approval_request::Model,
    status: RequestStatus,
) -> Result<()> {
    approval_step::Entity::update_many()
        .col_expr(
            approval_step::Column::Status,
            StepStatus::Cancelled.as_str().into(),
        )
        .col_expr(
            approval_step::Column::Version,
            sea_orm::sea_query::ExprTrait::add(
                sea_orm::sea_query::Expr::col(approval_step::Column::Version),
                1,
            ),
        )
        .filter(approval_step::Column::RequestId.eq(request.id.as_str()))
        .filter(approval_step::Column::Status.is_in([StepStatus::Waiting, StepStatus::Pending]))
        .exec(uow.db())
        .await?;
    let mut active = request.clone().into_active_model();
    active.status = Set(status);
    active.finished_at = Set(Some(uow.now_text()));
    active.update(uow.db()).await?;
    Ok(())
}

/// One step of a chain, planned at submission.
#[derive(Debug, Clone)]
pub(crate) struct Planned {
    pub level: i64,
    pub level_name: String,
    pub mode: LevelMode,
    pub approver_id: String,
    pub why: String,
}

/// The subject a policy's conditions test.
pub(crate) fn subject<'a>(
    doc: &'a approval_document::Model,
    facts: &'a Value,
    department: Option<&'a str>,
) -> Result<Subject<'a>> {
    Ok(Subject {
        amount: amount_of(doc),
        category: doc.category.as_deref(),
        project: doc.project.as_deref(),
        department,
        budget_status: budget_hooks::policy_budget_status(doc.budget_status.as_deref()),
        facts,
    })
}

/// Who a level's approvers are for this document, and why, before exclusions.
pub(crate) fn resolve(
    level: &LevelSpec,
    dir: &Directory,
    doc: &approval_document::Model,
) -> (Vec<String>, String) {
    let mut ids = Vec::new();
    let mut whys = Vec::new();
    for approver in &level.approvers {
        let (found, why) = resolve_one(approver, dir, doc);
        for id in found {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        whys.push(why);
    }
    (ids, whys.join(" and "))
}

fn resolve_one(
    approver: &ApproverSpec,
    dir: &Directory,
    doc: &approval_document::Model,
) -> (Vec<String>, String) {
    let requester = dir.users.get(&doc.requester_id);
    let requester_name = dir.name(&doc.requester_id);
    let dept_name = dir
        .department_name(doc.department_id.as_deref())
        .unwrap_or_else(|| "no department".into());
    let mut ids: Vec<String>;
    let why: String;
    match approver {
        ApproverSpec::ReportingManager => {
            ids = requester
                .and_then(|r| r.manager_id.clone())
                .filter(|m| dir.is_active(m))
                .into_iter()
                .collect();
            why = format!("{requester_name}'s reporting manager");
        }
        ApproverSpec::DepartmentHead => {
            ids = doc
                .department_id
                .as_ref()
                .and_then(|d| dir.heads.get(d))
                .filter(|h| dir.is_active(h))
                .cloned()
                .into_iter()
                .collect();
            why = format!("head of {dept_name}");
        }
        ApproverSpec::User { email } => {
            ids = dir
                .by_email(email)
                .filter(|u| u.active)
                .map(|u| u.id.clone())
                .into_iter()
                .collect();
            why = format!("named in the policy ({email})");
        }
        ApproverSpec::Role { role } => {
            let with_role = |in_dept: bool| -> Vec<String> {
                dir.users
                    .values()
                    .filter(|u| u.active && u.role == role.as_str())
                    .filter(|u| {
                        !in_dept
                            || (doc.department_id.is_some() && u.department_id == doc.department_id)
                    })
                    .map(|u| u.id.clone())
                    .collect()
            };
            ids = with_role(true);
            if ids.is_empty() {
                ids = with_role(false);
                why = format!("a {role} (none in {dept_name}, so company-wide)");
            } else {
                why = format!("a {role} in {dept_name}");
            }
        }
        ApproverSpec::Designation { designation } => {
            let d = designation.trim().to_lowercase();
            ids = dir
                .designations
                .iter()
                .filter(|(id, des)| *des == d && dir.is_active(id))
                .map(|(id, _)| id.clone())
                .collect();
            why = format!("designated {d}");
        }
    }
    ids.sort_by_key(|id| (dir.name(id), id.clone()));
    ids.dedup();
    (ids, why)
}

/// Plans the chain for `rule_levels`: resolves each level, removes the requester and (unless
/// the policy allows repeats) anyone already in the chain, and applies the level's
/// empty-approver policy.
pub(crate) fn plan(
    spec: &PolicySpec,
    rule_levels: &[u8],
    dir: &Directory,
    doc: &approval_document::Model,
) -> Result<Vec<Planned>> {
    let mut planned: Vec<Planned> = Vec::new();
    let mut used: HashSet<String> = HashSet::new();
    let amount = amount_of(doc);
    // Levels whose own amount band excludes this document are skipped (see
    // `LevelSpec::min_amount`); the "last level" of the empty-approver fallback is the last one
    // that applies.
    let rule_levels: Vec<u8> = rule_levels
        .iter()
        .copied()
        .filter(|&n| {
            spec.levels[usize::from(n) - 1]
                .skipped_for(amount)
                .is_none()
        })
        .collect();
    for (i, &number) in rule_levels.iter().enumerate() {
        let level = &spec.levels[usize::from(number) - 1];
        let (found, why) = resolve(level, dir, doc);
        let usable = |ids: Vec<String>, used: &HashSet<String>| -> Vec<String> {
            ids.into_iter()
                .filter(|id| *id != doc.requester_id)
                .filter(|id| spec.allow_repeat_approver || !used.contains(id))
                .collect()
        };
        let mut ids = usable(found.clone(), &used);
        let mut reason = format!("level {number} ('{}'): {why}", level.name);
        if ids.is_empty() {
            let gone = if found.is_empty() {
                format!("nobody is the {why}")
            } else {
                format!(
                    "the {why} ({}) is the requester or already approves earlier in the chain",
                    found
                        .iter()
                        .map(|id| dir.name(id))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            let last = i + 1 == rule_levels.len();
            match level.if_empty {
                EmptyApprover::Fail => {
                    return Err(Error::invalid(format!(
                        "{} cannot be submitted: level {number} ('{}') has nobody to approve it \
                         ({gone}). Fix the organisation (managers, department heads, \
                         designations) or set the level's if_empty in the policy.",
                        doc.number, level.name
                    )));
                }
                EmptyApprover::NextLevel if !last => continue,
                EmptyApprover::NextLevel | EmptyApprover::Admin => {
                    ids = usable(dir.admins(), &used);
                    reason = format!(
                        "level {number} ('{}'): routed to an admin because {gone}",
                        level.name
                    );
                    if ids.is_empty() {
                        return Err(Error::invalid(format!(
                            "{} cannot be submitted: level {number} ('{}') has nobody to approve \
                             it ({gone}) and no other admin can take it. Add an approver.",
                            doc.number, level.name
                        )));
                    }
                }
            }
        }
        for id in ids {
            used.insert(id.clone());
            planned.push(Planned {
                level: i64::from(number),
                level_name: level.name.clone(),
                mode: level.mode,
                approver_id: id,
                why: reason.clone(),
            });
        }
    }
    if planned.is_empty() {
        return Err(Error::invalid(format!(
            "{} cannot be submitted: its chain has no approver. Documents are never approved \
             without one; fix the policy or the organisation.",
            doc.number
        )));
    }
    Ok(planned)
}

/// Routes a submitted document: matches a rule of the active policy, pins the policy version
/// and the resolved approvers in a new request, and opens the first level.
pub(crate) async fn route(
    uow: &mut UnitOfWork,
    dir: &Directory,
    doc: approval_document::Model,
) -> Result<(approval_document::Model, approval_request::Model)> {
    let doc_type: DocumentType = doc.doc_type.parse()?;
    let (policy_row, spec) = policy_service::active_for(uow.db(), doc_type)
        .await?
        .ok_or_else(|| {
            Error::invalid(format!(
                "There is no approval policy for {doc_type}. An admin or finance manager imports \
             one with hesabu policy import FILE.json."
            ))
        })?;
    if spec.currency != doc.currency {
        return Err(Error::invalid(format!(
            "{} is in {}, but the approval policy '{}' is written in {}. Enter the document in \
             {} (convert the amount first).",
            doc.number, doc.currency, spec.name, spec.currency, spec.currency
        )));
    }
    let facts: Value = serde_json::from_str(&doc.facts_json).unwrap_or_else(|_| json!({}));
    let dept_name = dir.department_name(doc.department_id.as_deref());
    let subj = subject(&doc, &facts, dept_name.as_deref())?;
    let (rule, why_rule) = spec.match_rule(&subj).ok_or_else(|| {
        Error::invalid(format!(
            "No rule of the policy '{}' matches {} (amount {}). Fix the policy's bands.",
            spec.name, doc.number, doc.amount
        ))
    })?;
    let planned = plan(&spec, &rule.levels, dir, &doc)?;
    let rule_name = rule.name.clone();
    let amount = amount_of(&doc);
    let skipped: String = rule
        .levels
        .iter()
        .filter_map(|&n| {
            let level = &spec.levels[usize::from(n) - 1];
            level
                .skipped_for(amount)
                .map(|why| format!(" Level {n} ('{}') skipped: {why}.", level.name))
        })
        .collect();

    let round = doc.rounds + 1;
    let request = approval_request::Model {
        id: uow.new_id(),
        document_id: doc.id.clone(),
        policy_id: policy_row.id.clone(),
        round,
        status: RequestStatus::Pending,
        matched_rule: rule_name,
        explain: format!(
            "Policy '{}' v{}: {why_rule}.{skipped}",
            policy_row.name, policy_row.version
        ),
        started_at: uow.now_text(),
        finished_at: None,
    };
    approval_request::ActiveModel::from(request.clone())
        .insert(uow.db())
        .await?;
    let mut position_in_level = 0_i64;
    let mut last_level = 0_i64;
    for p in planned {
        if p.level != last_level {
            position_in_level = 0;
            last_level = p.level;
        }
        position_in_level += 1;
        approval_step::ActiveModel::from(waiting_step(
            uow,
            &request.id,
            (p.level, position_in_level),
            p.level_name,
            p.mode.as_str(),
            p.approver_id,
            format!("{} {}", request.explain, capitalise(&p.why)),
        ))
        .insert(uow.db())
        .await?;
    }
    let mut active = doc.into_active_model();
    active.current_request_id = Set(Some(request.id.clone()));
    active.rounds = Set(round);
    let doc = active.update(uow.db()).await?;
    let doc = set_status(uow, doc, Transition::Route).await?;
    let cal = Calendar::load(uow.db()).await?;
    advance(uow, dir, &cal, &spec, &doc, &request).await?;
    Ok((doc, request))
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Opens the next waiting step(s) if nothing is pending: the next level (all of it for parallel
/// and any-one levels, its first approver for serial ones), or the next approver of a serial
/// level. Returns the level now pending, or `None` when every step is done.
pub(crate) async fn advance(
    uow: &UnitOfWork,
    dir: &Directory,
    cal: &Calendar,
    spec: &PolicySpec,
    doc: &approval_document::Model,
    request: &approval_request::Model,
) -> Result<Option<i64>> {
    let steps = steps_of(uow.db(), &request.id).await?;
    if let Some(pending) = steps.iter().find(|s| s.status == StepStatus::Pending) {
        return Ok(Some(pending.level));
    }
    let Some(next) = steps.iter().find(|s| s.status == StepStatus::Waiting) else {
        return Ok(None);
    };
    let level = next.level;
    let to_open: Vec<&approval_step::Model> = if next.mode == LevelMode::Serial.as_str() {
        vec![next]
    } else {
        steps
            .iter()
            .filter(|s| s.status == StepStatus::Waiting && s.level == level)
            .collect()
    };
    let sla_hours = spec
        .levels
        .get(usize::try_from(level - 1).unwrap_or(0))
        .map_or(16, |l| l.sla_hours);
    let due = format_timestamp(cal.add_business_hours(uow.now(), sla_hours));
    let in_chain = chain_people(&steps);
    for step in to_open {
        let routed = delegate_for(
            uow.db(),
            dir,
            spec,
            doc,
            &step.approver_id,
            &in_chain,
            uow.now(),
        )
        .await?;
        let mut active = step.clone().into_active_model();
        active.status = Set(StepStatus::Pending);
        active.activated_at = Set(Some(uow.now_text()));
        active.due_at = Set(Some(due.clone()));
        active.version = Set(step.version + 1);
        if let Some((delegate, delegation_id)) = &routed {
            active.acting_id = Set(delegate.clone());
            active.delegation_id = Set(Some(delegation_id.clone()));
            active.marker = Set(Some("delegated".into()));
        }
        let opened = active.update(uow.db()).await?;
        let message = match &routed {
            None => format!(
                "{} {} ({}) from {} needs your approval (level {}).",
                doc.number,
                doc.title,
                money_text(doc),
                dir.name(&doc.requester_id),
                level
            ),
            Some(_) => format!(
                "{} {} needs your approval on behalf of {} (delegation, level {}).",
                doc.number,
                doc.title,
                dir.name(&step.approver_id),
                level
            ),
        };
        notifications::enqueue(
            uow,
            &opened.acting_id,
            super::notice::APPROVAL_REQUEST,
            Some(&doc.id),
            message,
        )
        .await?;
    }
    Ok(Some(level))
}

/// Everyone in a request's chain: each step's approver, whoever holds it now, and whoever
/// decided it. Delegation, escalation and reassignment never hand a step to one of them (unless
/// the policy allows repeats), so one person counts once.
pub(crate) fn chain_people(steps: &[approval_step::Model]) -> HashSet<String> {
    steps
        .iter()
        .flat_map(|s| {
            [
                Some(&s.approver_id),
                Some(&s.acting_id),
                s.decided_by.as_ref(),
            ]
            .into_iter()
            .flatten()
            .cloned()
        })
        .collect()
}

/// Whom an approver's step goes to under the delegations in force at `at`: follows delegator →
/// delegate chains up to [`MAX_DELEGATION_DEPTH`], stops at a cycle, at an inactive user, or at
/// someone who may not take it (the requester, or someone already in the chain when repeats are
/// not allowed). `None` when the approver keeps it.
pub(crate) async fn delegate_for(
    db: &impl ConnectionTrait,
    dir: &Directory,
    spec: &PolicySpec,
    doc: &approval_document::Model,
    approver_id: &str,
    in_chain: &HashSet<String>,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<Option<(String, String)>> {
    let at_text = format_timestamp(at);
    let amount = amount_of(doc);
    let mut current = approver_id.to_owned();
    let mut first_delegation: Option<String> = None;
    let mut seen: HashSet<String> = HashSet::from([current.clone()]);
    for _ in 0..MAX_DELEGATION_DEPTH {
        let candidates = delegation::Entity::find()
            .filter(delegation::Column::DelegatorId.eq(current.as_str()))
            .filter(delegation::Column::RevokedAt.is_null())
            .filter(delegation::Column::ValidFrom.lte(at_text.as_str()))
            .filter(delegation::Column::ValidUntil.gt(at_text.as_str()))
            .all(db)
            .await?;
        let Some(d) = candidates.into_iter().find(|d| in_scope(d, doc, amount)) else {
            break;
        };
        let next = d.delegate_id.clone();
        let blocked = seen.contains(&next)
            || !dir.is_active(&next)
            || next == doc.requester_id
            || (!spec.allow_repeat_approver && in_chain.contains(&next));
        if blocked {
            break;
        }
        seen.insert(next.clone());
        first_delegation.get_or_insert(d.id.clone());
        current = next;
    }
    Ok((current != approver_id).then(|| (current, first_delegation.unwrap_or_default())))
}

pub(crate) fn in_scope(
    d: &delegation::Model,
    doc: &approval_document::Model,
    amount: Decimal,
) -> bool {
    let listed = |json: &Option<String>, value: Option<&str>| match json {
        None => true,
        Some(text) => {
            let items: Vec<String> = serde_json::from_str(text).unwrap_or_default();
            value.is_some_and(|v| items.iter().any(|i| i == v))
        }
    };
    listed(&d.doc_types, Some(doc.doc_type.as_str()))
        && listed(&d.departments, doc.department_id.as_deref())
        && d.max_amount.is_none_or(|max| amount <= max.get())
}

/// The policy a request was started with.
pub(crate) async fn pinned_spec(
    db: &impl ConnectionTrait,
    request: &approval_request::Model,
) -> Result<PolicySpec> {
    let row = approval_policy::Entity::find_by_id(request.policy_id.clone())
        .one(db)
        .await?
        .ok_or_else(|| Error::Internal("a request's policy is missing".into()))?;
    policy_service::spec_of(&row)
}

/// Who of `candidates` may take a level appended to `doc`'s chain later (budget escalation, a
/// business rule's `require_approval`): not the requester and, unless the policy allows repeats,
/// nobody already in the chain. With nobody left, the admins under the same rule, as a policy's
/// `if_empty: admin` would; the `bool` says the level fell to them.
pub(crate) fn appended_level_approvers(
    doc: &approval_document::Model,
    spec: &PolicySpec,
    steps: &[approval_step::Model],
    dir: &Directory,
    candidates: Vec<String>,
) -> (Vec<String>, bool) {
    let in_chain = chain_people(steps);
    let usable = |ids: Vec<String>| -> Vec<String> {
        ids.into_iter()
            .filter(|id| *id != doc.requester_id)
            .filter(|id| spec.allow_repeat_approver || !in_chain.contains(id))
            .collect()
    };
    let ids = usable(candidates);
    if ids.is_empty() {
        (usable(dir.admins()), true)
    } else {
        (ids, false)
    }
}

/// A step not yet open: `waiting` at (`level`, `position`) for `approver_id`, version 1, with
/// nothing decided. Both the policy's chain and levels added later start their steps this way.
fn waiting_step(
    uow: &UnitOfWork,
    request_id: &str,
    (level, position): (i64, i64),
    level_name: String,
    mode: &str,
    approver_id: String,
    why: String,
) -> approval_step::Model {
    approval_step::Model {
        id: uow.new_id(),
        request_id: request_id.to_owned(),
        level,
        position,
        level_name,
        mode: mode.into(),
        approver_id: approver_id.clone(),
        acting_id: approver_id,
        delegation_id: None,
        status: StepStatus::Waiting,
        marker: None,
        version: 1,
        why,
        activated_at: None,
        due_at: None,
        reminders_sent: 0,
        escalations: 0,
        decided_by: None,
        decided_at: None,
        comment: None,
        sla_met: None,
    }
}

/// Appends a level to a request's chain: one `waiting` step per approver, in order, each carrying
/// `why` (what "why is this with me?" shows). Used when something other than the policy adds a
/// level — the budget's ESCALATE mode and business rules' `require_approval`.
pub(crate) async fn insert_waiting_level(
    uow: &UnitOfWork,
    request_id: &str,
    number: i64,
    level: &super::policy_format::LevelSpec,
    approver_ids: Vec<String>,
    why: &str,
) -> Result<()> {
    for (i, approver_id) in approver_ids.into_iter().enumerate() {
        approval_step::ActiveModel::from(waiting_step(
            uow,
            request_id,
            (number, i64::try_from(i + 1).unwrap_or(0)),
            level.name.clone(),
            level.mode.as_str(),
            approver_id,
            why.to_owned(),
        ))
        .insert(uow.db())
        .await?;
    }
    Ok(())
}
