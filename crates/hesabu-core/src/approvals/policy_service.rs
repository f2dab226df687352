//! Importing, listing and validating approval policies. A policy is validated on every save;
//! each import is a new immutable version, and in-flight requests keep the version they started
//! with.

use std::collections::HashSet;

use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, QueryOrder};
use serde_json::json;

use super::Directory;
use super::policy_format::{self, ApproverSpec, EscalationTarget, PolicySpec};
use super::wire::{DocumentType, PolicyIssue, PolicyValidation, PolicyView};
use crate::entities::approval_policy;
use crate::rules::definition::Definition;
use hesabu_store::audit::AuditDraft;
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::{Error, Result};
use hesabu_store::limits::{self, excerpt};
use hesabu_store::permissions::Permission;

/// An approval policy (docs/approval-policies.md), as a definition a person gives Hesabu.
pub const POLICY: Definition = Definition {
    what: "policy",
    doc: "docs/approval-policies.md",
};

/// Parses policy JSON, with a message that points at the problem (see
/// `rules::definition`: size, encoding, where the JSON is wrong).
pub fn parse(json_text: &str) -> Result<PolicySpec> {
    POLICY.parse(json_text)
}

/// Validates without saving: the shape, then that every level resolves to at least one active
/// person today.
pub async fn validate(
    file: &CompanyFile,
    session: &Session,
    spec: &PolicySpec,
) -> Result<PolicyValidation> {
    session.require(Permission::ApprovalPolicyView)?;
    let dir = Directory::load(file.reader()).await?;
    Ok(validation(spec, &dir))
}

fn validation(spec: &PolicySpec, dir: &Directory) -> PolicyValidation {
    let mut errors = policy_format::validate_shape(spec);
    let used = policy_format::used_levels(spec);
    for (i, level) in spec.levels.iter().enumerate() {
        let label = format!("Level {} ('{}')", i + 1, level.name);
        let number = u8::try_from(i + 1).unwrap_or(u8::MAX);
        if !used.contains(&number) {
            errors.push(format!(
                "{label} is not used by any rule: add it to a rule's levels or remove it."
            ));
        }
        for approver in &level.approvers {
            if let Some(problem) = nobody_today(approver, dir) {
                errors.push(format!("{label} resolves to nobody today: {problem}"));
            }
        }
        if let Some(esc) = &level.escalation
            && let EscalationTarget::User { email } = &esc.to
            && !dir.by_email(email).is_some_and(|u| u.active)
        {
            errors.push(format!(
                "{label} escalates to {email}, who is not an active user. Name an active user."
            ));
        }
    }
    let issues = errors.iter().map(|m| locate(spec, m)).collect();
    PolicyValidation {
        ok: errors.is_empty(),
        errors,
        issues,
    }
}

/// Which level or rule a validator message is about, so an editor can show it next to it.
///
/// Simplification: the validator builds its messages from fixed prefixes ("Level N ('name')",
/// "Rule 'name'", "band 'name' (…)"), so the place is read back from the message instead of
/// threading a location through every check. A rule name used twice maps to the first rule with
/// that name. `tests/it/approvals.rs` pins the mapping for every kind of message.
pub fn locate(spec: &PolicySpec, message: &str) -> PolicyIssue {
    let mut issue = PolicyIssue {
        level: None,
        rule: None,
        message: message.to_owned(),
    };
    if let Some(rest) = message.strip_prefix("Level ") {
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        issue.level = digits.parse().ok();
        return issue;
    }
    let rule_named = |prefix: &str, at: &str, tail: &str| {
        // The longest matching name wins, so rule "big" does not claim "big spend".
        spec.rules
            .iter()
            .enumerate()
            .filter(|(_, r)| at.starts_with(&format!("{prefix}'{}'{tail}", r.name)))
            .max_by_key(|(i, r)| (r.name.len(), std::cmp::Reverse(*i)))
            .and_then(|(i, _)| u32::try_from(i).ok())
    };
    if message.starts_with("Rule '") {
        issue.rule = rule_named("Rule ", message, "");
        return issue;
    }
    if let Some(pos) = message.find("band '") {
        issue.rule = rule_named("band ", &message[pos..], " (");
    }
    issue
}

/// Why an approver spec resolves to no active person for any requester, if it does.
fn nobody_today(approver: &ApproverSpec, dir: &Directory) -> Option<String> {
    let active = |id: &String| dir.is_active(id);
    let found = match approver {
        ApproverSpec::ReportingManager => dir
            .users
            .values()
            .filter_map(|u| u.manager_id.as_ref())
            .any(active),
        ApproverSpec::DepartmentHead => dir.heads.values().any(active),
        ApproverSpec::User { email } => dir.by_email(email).is_some_and(|u| u.active),
        ApproverSpec::Role { role } => dir
            .users
            .values()
            .any(|u| u.active && u.role == role.as_str()),
        ApproverSpec::Designation { designation } => {
            let d = designation.trim().to_lowercase();
            dir.designations
                .iter()
                .any(|(id, des)| *des == d && dir.is_active(id))
        }
    };
    if found {
        return None;
    }
    Some(match approver {
        ApproverSpec::ReportingManager => {
            "no active user is anyone's reporting manager. Set managers (hesabu user add \
             --manager) or use another approver type."
                .into()
        }
        ApproverSpec::DepartmentHead => {
            "no department has an active head. Assign one with hesabu org set-head.".into()
        }
        ApproverSpec::User { email } => {
            format!("{email} is not an active user. Name an active user.")
        }
        ApproverSpec::Role { role } => {
            format!("no active user has the role {role}. Give someone that role or pick another.")
        }
        ApproverSpec::Designation { designation } => format!(
            "no active user has the designation '{designation}'. Assign it with hesabu org \
             designate EMAIL {designation}."
        ),
    })
}

/// Validates and saves a policy as a new version; it becomes the active policy for its
/// document types. Requests already in flight keep their version.
pub async fn import(
    file: &CompanyFile,
    session: &Session,
    spec: &PolicySpec,
) -> Result<PolicyView> {
    session.require(Permission::ApprovalPolicyManage)?;
    // Text over the limits is refused before the file is touched (and quoted only in part).
    let too_long = policy_format::check_lengths(spec);
    if !too_long.is_empty() {
        return Err(not_saved(spec, &too_long));
    }
    // The desktop hands over the policy itself, not a file: held to a file's size.
    let spec_json = serde_json::to_string(spec).map_err(|e| Error::Internal(e.to_string()))?;
    limits::check_bytes(POLICY.what, spec_json.len(), limits::DEFINITION_BYTES)?;
    let mut uow = file.begin(session).await?;
    let dir = Directory::load(uow.db()).await?;
    let report = validation(spec, &dir);
    if !report.ok {
        return Err(not_saved(spec, &report.errors));
    }
    let version = approval_policy::Entity::find()
        .order_by_desc(approval_policy::Column::Version)
        .one(uow.db())
        .await?
        .map_or(1, |p| p.version + 1);
    let model = approval_policy::Model {
        id: uow.new_id(),
        name: spec.name.trim().to_owned(),
        version,
        document_types: serde_json::to_string(&spec.document_types)
            .map_err(|e| Error::Internal(e.to_string()))?,
        spec_json,
        imported_at: uow.now_text(),
        imported_by: Some(session.user_id().to_owned()),
    };
    approval_policy::ActiveModel::from(model.clone())
        .insert(uow.db())
        .await?;
    uow.audit(AuditDraft {
        action: "approval_policy.import",
        entity_type: "approval_policy",
        entity_id: model.id.clone(),
        before: None,
        after: Some(json!({
            "name": model.name,
            "version": version,
            "document_types": spec.document_types,
            "levels": spec.levels.len(),
            "rules": spec.rules.len(),
        })),
    })
    .await?;
    uow.commit().await?;
    Ok(view(&model, spec.clone(), &spec.document_types))
}

/// How many problems a refusal lists (a policy may have thousands); the rest are counted.
const LISTED: usize = 20;

fn not_saved(spec: &PolicySpec, errors: &[String]) -> Error {
    let mut listed = errors
        .iter()
        .take(LISTED)
        .cloned()
        .collect::<Vec<_>>()
        .join("\n- ");
    if errors.len() > LISTED {
        listed.push_str(&format!(
            "\n- … and {} more (hesabu policy validate lists them all)",
            errors.len() - LISTED
        ));
    }
    Error::invalid(format!(
        "The policy '{}' was not saved:\n- {listed}",
        excerpt(&spec.name)
    ))
}

/// Every imported version, newest first, with the types each is active for.
pub async fn list(file: &CompanyFile, session: &Session) -> Result<Vec<PolicyView>> {
    session.require(Permission::ApprovalPolicyView)?;
    let rows = approval_policy::Entity::find()
        .order_by_desc(approval_policy::Column::Version)
        .all(file.reader())
        .await?;
    let mut claimed: HashSet<DocumentType> = HashSet::new();
    let mut out = Vec::new();
    for row in rows {
        let spec = spec_of(&row)?;
        let active: Vec<DocumentType> = spec
            .document_types
            .iter()
            .copied()
            .filter(|t| claimed.insert(*t))
            .collect();
        out.push(view(&row, spec, &active));
    }
    Ok(out)
}

fn view(row: &approval_policy::Model, spec: PolicySpec, active: &[DocumentType]) -> PolicyView {
    PolicyView {
        id: row.id.clone(),
        name: row.name.clone(),
        version: row.version,
        document_types: spec.document_types.clone(),
        active_for: active.to_vec(),
        levels: i64::try_from(spec.levels.len()).unwrap_or(0),
        rules: i64::try_from(spec.rules.len()).unwrap_or(0),
        imported_at: row.imported_at.clone(),
        spec,
    }
}

pub(crate) fn spec_of(row: &approval_policy::Model) -> Result<PolicySpec> {
    serde_json::from_str(&row.spec_json).map_err(|e| {
        Error::Internal(format!(
            "stored policy {} v{} does not parse: {e}",
            row.name, row.version
        ))
    })
}

/// The policy new submissions of `doc_type` use: the highest version that covers the type.
pub(crate) async fn active_for(
    db: &impl ConnectionTrait,
    doc_type: DocumentType,
) -> Result<Option<(approval_policy::Model, PolicySpec)>> {
    let rows = approval_policy::Entity::find()
        .order_by_desc(approval_policy::Column::Version)
        .all(db)
        .await?;
    for row in rows {
        let types: Vec<DocumentType> =
            serde_json::from_str(&row.document_types).unwrap_or_default();
        if types.contains(&doc_type) {
            let spec = spec_of(&row)?;
            return Ok(Some((row, spec)));
        }
    }
    Ok(None)
}
