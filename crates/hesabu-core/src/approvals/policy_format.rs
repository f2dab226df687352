//! Approval policies (the approval matrix): their JSON format, the validator, and rule matching.
//!
//! A policy lists up to five *levels* (who approves, how, and how fast) and ordered *rules*;
//! each rule has conditions on document fields and names the levels that documents matching it
//! go through, in order. The first matching rule wins. Rules whose only conditions are on
//! `amount` are the policy's *amount bands* and must cover every amount from zero up, without
//! gaps or overlaps. Rules with other conditions are exceptions checked in their listed order.
//!
//! The evaluator is deliberately small and typed: a fixed set of fields and seven operators, no
//! expressions or code. See `docs/approval-policies.md`.

use std::cmp::Ordering;
use std::collections::HashSet;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use super::wire::DocumentType;
use hesabu_store::limits::{LABEL, NAME, NOTE, check_optional_text, check_text, excerpt, shorten};
use hesabu_store::money::{MAX_AMOUNT, max_amount_text};
use hesabu_store::permissions::Role;

/// At most this many levels per policy.
pub const MAX_LEVELS: usize = 5;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct PolicySpec {
    pub name: String,
    pub document_types: Vec<DocumentType>,
    /// Optional module label (e.g. "procurement"); informational.
    #[serde(default)]
    pub module: Option<String>,
    /// The currency amount conditions are written in. Documents in another currency are refused
    /// at submission rather than converted.
    #[serde(default = "default_currency")]
    pub currency: String,
    /// One person (or their delegate) counts once across the chain unless this is true.
    #[serde(default)]
    pub allow_repeat_approver: bool,
    pub levels: Vec<LevelSpec>,
    pub rules: Vec<RuleSpec>,
}

fn default_currency() -> String {
    "KES".into()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct LevelSpec {
    pub name: String,
    /// Who approves. Several entries are combined: e.g. a finance manager AND someone designated
    /// internal_audit in a parallel level, or a pool for an any-one level.
    pub approvers: Vec<ApproverSpec>,
    #[serde(default)]
    pub mode: LevelMode,
    /// Business hours (company work week, holidays excluded) until the step is due.
    #[serde(default = "default_sla_hours")]
    #[ts(type = "number")]
    pub sla_hours: i64,
    #[serde(default)]
    pub reminder: Option<ReminderSpec>,
    #[serde(default)]
    pub escalation: Option<EscalationSpec>,
    /// Off by default. When set, a step still pending this many days after it became pending is
    /// approved by the system (recorded as such, never silently).
    #[serde(default)]
    #[ts(type = "number | null")]
    pub auto_approve_after_days: Option<i64>,
    #[serde(default)]
    pub if_empty: EmptyApprover,
    /// Optional amount band of the level itself (inclusive, in the policy's currency): when the
    /// document's amount is outside it, the level is skipped for that document even if its rule
    /// names it. Written like condition values: a string ("25000.50") or a whole number.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "amount_opt")]
    #[ts(optional, type = "string | null")]
    pub min_amount: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "amount_opt")]
    #[ts(optional, type = "string | null")]
    pub max_amount: Option<Decimal>,
}

impl LevelSpec {
    /// Why the level is skipped for a document of `amount`, if it is.
    pub fn skipped_for(&self, amount: Decimal) -> Option<String> {
        if let Some(min) = self.min_amount
            && amount < min
        {
            return Some(format!("the amount {amount} is below its min_amount {min}"));
        }
        if let Some(max) = self.max_amount
            && amount > max
        {
            return Some(format!("the amount {amount} is above its max_amount {max}"));
        }
        None
    }
}

/// An optional exact amount in policy JSON: a decimal string or a whole JSON number (a JSON
/// fraction has already been through binary floating point, so it is refused). Saved as a string.
mod amount_opt {
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serializer};
    use serde_json::Value;

    pub fn serialize<S: Serializer>(value: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(d) => s.serialize_str(&d.to_string()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
        let bad = |v: &Value| {
            serde::de::Error::custom(format!(
                "min_amount/max_amount {v} is not an amount: write a string such as \"25000.50\" \
                 or a whole number"
            ))
        };
        match Value::deserialize(d)? {
            Value::Null => Ok(None),
            Value::String(text) if text.trim().is_empty() => Ok(None),
            Value::String(text) => Decimal::from_str_exact(text.trim().replace(',', "").as_str())
                .map(Some)
                .map_err(|_| bad(&Value::String(text))),
            Value::Number(n) if n.is_i64() || n.is_u64() => Decimal::from_str_exact(&n.to_string())
                .map(Some)
                .map_err(|_| bad(&Value::Number(n))),
            other => Err(bad(&other)),
        }
    }
}

fn default_sla_hours() -> i64 {
    16
}

/// Who approves at a level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ApproverSpec {
    /// The requester's manager (app_user.manager_id).
    ReportingManager,
    /// The head of the document's department (see `hesabu org set-head`).
    DepartmentHead,
    User {
        email: String,
    },
    /// Users with this role in the document's department; if there are none, in the company.
    Role {
        role: Role,
    },
    /// Users holding a designation such as `executive` or `internal_audit`.
    Designation {
        designation: String,
    },
}

/// How the approvers resolved for one level decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum LevelMode {
    /// One after another, in name order; all must approve.
    #[default]
    Serial,
    /// All at once; all must approve; any rejection rejects.
    Parallel,
    /// A pool: the first one to decide decides for the level.
    AnyOne,
}

impl LevelMode {
    pub fn as_str(self) -> &'static str {
        match self {
            LevelMode::Serial => "serial",
            LevelMode::Parallel => "parallel",
            LevelMode::AnyOne => "any_one",
        }
    }
}

/// What to do when a level resolves to nobody (after removing the requester and anyone already
/// in the chain). Never a silent approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum EmptyApprover {
    /// Refuse the submission, saying which level has nobody.
    #[default]
    Fail,
    /// Drop this level; the chain's later levels still apply. If it is the chain's last level,
    /// route to the company's admins instead.
    NextLevel,
    /// Route this level to the company's active admins.
    Admin,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct ReminderSpec {
    /// Business hours after the step became pending, and between reminders.
    #[ts(type = "number")]
    pub after_hours: i64,
    /// At most this many reminders per step.
    #[ts(type = "number")]
    pub max: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct EscalationSpec {
    /// Escalate when the step is overdue (past `due_at`).
    pub to: EscalationTarget,
    /// At most this many escalations per step. A `move` restarts the step's SLA for its new
    /// holder; with `notify`, the next notice is one more SLA after the previous one's due time.
    #[ts(type = "number")]
    pub max: i64,
    /// What an escalation does: `move` (when left out) hands the step to the target; `notify`
    /// leaves it with its approver and tells the target. See [`EscalationSpec::mode`].
    #[serde(default, rename = "mode", skip_serializing_if = "Option::is_none")]
    #[ts(optional, rename = "mode")]
    pub mode_given: Option<EscalationMode>,
}

impl EscalationSpec {
    /// What the escalation does: `move` unless the policy says `notify`.
    pub fn mode(&self) -> EscalationMode {
        self.mode_given.unwrap_or_default()
    }
}

/// What an escalation does to an overdue step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum EscalationMode {
    /// Hand the step to the target (the approver's manager, a named user, or the next level),
    /// which restarts its SLA for the new holder.
    #[default]
    Move,
    /// The step stays with its approver; the target (the approver's manager, a named user, or
    /// the next level's approvers) is notified and the escalation is recorded in the history.
    /// With no target — the top of the chain — every active admin is notified.
    Notify,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EscalationTarget {
    /// Skip this level (recorded as escalated) and move on to the chain's next level; on the last
    /// level, the approver's manager.
    NextLevel,
    /// Hand the step to the current approver's reporting manager.
    Manager,
    User {
        email: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub name: String,
    /// All must hold. Empty matches everything.
    #[serde(default)]
    pub when: Vec<Condition>,
    /// Level numbers (1-based, ascending) this rule's documents go through.
    pub levels: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// `amount`, `category`, `project`, `department` (name), `budget_status` (`within`,
    /// `exceeds` or `no_budget`: what the budget check said at submission) or `facts.<key>`.
    pub field: String,
    pub op: Op,
    /// A string or integer; `[low, high]` for BETWEEN (inclusive); an array for IN. Write
    /// fractional amounts as strings ("25000.50"): JSON fractions are not exact.
    #[ts(type = "unknown")]
    pub value: Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub enum Op {
    #[serde(rename = "=")]
    Eq,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Gte,
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Lte,
    #[serde(rename = "BETWEEN")]
    Between,
    #[serde(rename = "IN")]
    In,
}

impl Op {
    fn symbol(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Gt => ">",
            Op::Gte => ">=",
            Op::Lt => "<",
            Op::Lte => "<=",
            Op::Between => "BETWEEN",
            Op::In => "IN",
        }
    }
}

/// The document fields conditions can test.
#[derive(Debug, Clone)]
pub struct Subject<'a> {
    pub amount: Decimal,
    pub category: Option<&'a str>,
    pub project: Option<&'a str>,
    pub department: Option<&'a str>,
    /// What the budget said at submission: `within`, `exceeds` or `no_budget`.
    pub budget_status: Option<&'a str>,
    pub facts: &'a Value,
}

/// A scalar from a policy or a document: decimals compare as numbers, everything else as text.
#[derive(Debug, Clone, PartialEq)]
enum Scalar {
    Number(Decimal),
    Text(String),
}

fn scalar(value: &Value) -> Option<Scalar> {
    match value {
        Value::String(s) => Some(
            Decimal::from_str_exact(s.trim())
                .map(Scalar::Number)
                .unwrap_or_else(|_| Scalar::Text(s.clone())),
        ),
        // Only whole numbers: a JSON fraction has already been through binary floating point.
        Value::Number(n) if n.is_i64() || n.is_u64() => Decimal::from_str_exact(&n.to_string())
            .ok()
            .map(Scalar::Number),
        Value::Bool(b) => Some(Scalar::Text(b.to_string())),
        _ => None,
    }
}

fn compare(a: &Scalar, b: &Scalar) -> Option<Ordering> {
    match (a, b) {
        (Scalar::Number(x), Scalar::Number(y)) => Some(x.cmp(y)),
        (Scalar::Text(x), Scalar::Text(y)) => Some(x.to_lowercase().cmp(&y.to_lowercase())),
        _ => None,
    }
}

impl Condition {
    /// Whether the condition holds for `subject`. A missing field never matches.
    pub fn holds(&self, subject: &Subject<'_>) -> bool {
        let Some(actual) = field_value(&self.field, subject) else {
            return false;
        };
        let cmp = |v: &Value| scalar(v).and_then(|want| compare(&actual, &want));
        match self.op {
            Op::Eq => cmp(&self.value) == Some(Ordering::Equal),
            Op::Gt => cmp(&self.value) == Some(Ordering::Greater),
            Op::Gte => matches!(cmp(&self.value), Some(Ordering::Greater | Ordering::Equal)),
            Op::Lt => cmp(&self.value) == Some(Ordering::Less),
            Op::Lte => matches!(cmp(&self.value), Some(Ordering::Less | Ordering::Equal)),
            Op::Between => match self.value.as_array().map(Vec::as_slice) {
                Some([low, high]) => {
                    matches!(cmp(low), Some(Ordering::Greater | Ordering::Equal))
                        && matches!(cmp(high), Some(Ordering::Less | Ordering::Equal))
                }
                _ => false,
            },
            Op::In => self
                .value
                .as_array()
                .is_some_and(|items| items.iter().any(|v| cmp(v) == Some(Ordering::Equal))),
        }
    }

    /// The condition as written, cut short if its value is long (a message quotes it).
    fn describe(&self) -> String {
        shorten(
            &format!("{} {} {}", self.field, self.op.symbol(), self.value),
            LABEL * 2,
        )
    }
}

fn field_value(field: &str, s: &Subject<'_>) -> Option<Scalar> {
    let text = |v: Option<&str>| v.map(|t| Scalar::Text(t.to_owned()));
    match field {
        "amount" => Some(Scalar::Number(s.amount)),
        "category" => text(s.category),
        "project" => text(s.project),
        "department" => text(s.department),
        "budget_status" => text(s.budget_status),
        _ => field
            .strip_prefix("facts.")
            .and_then(|key| s.facts.get(key))
            .and_then(scalar),
    }
}

fn known_field(field: &str) -> bool {
    matches!(
        field,
        "amount" | "category" | "project" | "department" | "budget_status"
    ) || field
        .strip_prefix("facts.")
        .is_some_and(|k| !k.is_empty() && k.chars().all(|c| c.is_alphanumeric() || c == '_'))
}

impl PolicySpec {
    /// The first rule matching `subject`, and why it matched.
    pub fn match_rule(&self, subject: &Subject<'_>) -> Option<(&RuleSpec, String)> {
        self.rules
            .iter()
            .find(|r| r.when.iter().all(|c| c.holds(subject)))
            .map(|r| {
                let why = if r.when.is_empty() {
                    format!("rule '{}' applies to every document", r.name)
                } else {
                    let parts: Vec<String> = r.when.iter().map(Condition::describe).collect();
                    format!(
                        "rule '{}' matched: {} (amount {} {})",
                        r.name,
                        parts.join(" and "),
                        self.currency,
                        subject.amount
                    )
                };
                (r, why)
            })
    }
}

/// An amount interval from a band rule's conditions. `None` bounds are open-ended.
#[derive(Debug, Clone)]
struct Band {
    name: String,
    low: Option<(Decimal, bool)>,  // (value, inclusive)
    high: Option<(Decimal, bool)>, // (value, inclusive)
}

fn show_band(b: &Band) -> String {
    let low = match b.low {
        None => "from 0".to_owned(),
        Some((v, true)) => format!("from {v}"),
        Some((v, false)) => format!("over {v}"),
    };
    let high = match b.high {
        None => "with no upper limit".to_owned(),
        Some((v, true)) => format!("up to {v}"),
        Some((v, false)) => format!("below {v}"),
    };
    format!("band '{}' ({low} {high})", b.name)
}

fn decimal_of(value: &Value) -> Option<Decimal> {
    match scalar(value) {
        Some(Scalar::Number(d)) => Some(d),
        _ => None,
    }
}

/// Text longer than the limits (docs/limits.md) anywhere in a policy, one message per field.
/// Checked before anything else, so no other message quotes a huge name, and before a policy
/// is saved, so its name never reaches the audit log.
pub fn check_lengths(spec: &PolicySpec) -> Vec<String> {
    let mut checks = vec![
        check_text("policy name", &spec.name, NAME),
        check_optional_text("policy module", spec.module.as_deref(), LABEL),
        check_text("policy currency", &spec.currency, LABEL),
    ];
    let email = |what: String, approver: &ApproverSpec| match approver {
        ApproverSpec::User { email } => check_text(&what, email, NAME),
        ApproverSpec::Designation { designation } => check_text(&what, designation, LABEL),
        _ => Ok(()),
    };
    for (i, level) in spec.levels.iter().enumerate() {
        let at = format!("level {}", i + 1);
        checks.push(check_text(&format!("{at} name"), &level.name, NAME));
        for approver in &level.approvers {
            checks.push(email(format!("{at} approver"), approver));
        }
        if let Some(EscalationSpec {
            to: EscalationTarget::User { email },
            ..
        }) = &level.escalation
        {
            checks.push(check_text(&format!("{at} escalation email"), email, NAME));
        }
    }
    for (i, rule) in spec.rules.iter().enumerate() {
        let at = format!("rule {}", i + 1);
        checks.push(check_text(&format!("{at} name"), &rule.name, NAME));
        for (j, c) in rule.when.iter().enumerate() {
            let at = format!("{at}, condition {}", j + 1);
            checks.push(check_text(&format!("{at} field"), &c.field, LABEL));
            let values: Vec<&Value> = match c.value.as_array() {
                Some(items) => items.iter().collect(),
                None => vec![&c.value],
            };
            for text in values.iter().filter_map(|v| v.as_str()) {
                checks.push(check_text(&format!("{at} value"), text, NOTE));
            }
        }
    }
    checks
        .into_iter()
        .filter_map(|c| c.err().map(|e| e.to_string()))
        .collect()
}

/// Checks a policy's shape. Errors name the level, rule or band and say how to fix it. The
/// checks that need the company's people live in `approvals::policy_service::validate`.
pub fn validate_shape(spec: &PolicySpec) -> Vec<String> {
    let too_long = check_lengths(spec);
    if !too_long.is_empty() {
        return too_long;
    }
    let mut errors = Vec::new();
    if spec.name.trim().is_empty() {
        errors.push("The policy needs a name.".into());
    }
    if spec.document_types.is_empty() {
        errors.push(
            "The policy applies to no document type: list at least one in document_types, e.g. \
             [\"purchase_order\"]."
                .into(),
        );
    }
    if spec
        .currency
        .parse::<hesabu_store::money::Currency>()
        .is_err()
    {
        errors.push(format!(
            "Currency '{}' is not a currency code: use three letters such as KES.",
            excerpt(&spec.currency)
        ));
    }
    let n = spec.levels.len();
    if n == 0 || n > MAX_LEVELS {
        errors.push(format!(
            "The policy has {n} levels: a policy needs 1 to {MAX_LEVELS}. {}",
            if n == 0 {
                "Add a level (e.g. the reporting manager)."
            } else {
                "Merge levels, or use a parallel level for approvers who sign at the same stage."
            }
        ));
    }
    for (i, level) in spec.levels.iter().enumerate() {
        let label = format!("Level {} ('{}')", i + 1, level.name);
        if level.sla_hours <= 0 {
            errors.push(format!(
                "{label} has sla_hours {}: use a positive number of business hours, e.g. 16.",
                level.sla_hours
            ));
        }
        if let Some(r) = &level.reminder
            && (r.after_hours <= 0 || r.max < 1)
        {
            errors.push(format!(
                "{label}: a reminder needs after_hours > 0 and max >= 1 (or remove it)."
            ));
        }
        if let Some(e) = &level.escalation
            && e.max < 1
        {
            errors.push(format!(
                "{label}: an escalation needs max >= 1 (or remove it)."
            ));
        }
        if let Some(days) = level.auto_approve_after_days
            && days < 1
        {
            errors.push(format!(
                "{label}: auto_approve_after_days must be at least 1 (or leave it out to keep \
                 auto-approval off)."
            ));
        }
        if let (Some(min), Some(max)) = (level.min_amount, level.max_amount)
            && min > max
        {
            errors.push(format!(
                "{label} has min_amount {min} above max_amount {max}: no amount fits. Swap them \
                 or remove one."
            ));
        }
        for (what, value) in [
            ("min_amount", level.min_amount),
            ("max_amount", level.max_amount),
        ] {
            if let Some(v) = value
                && v < Decimal::ZERO
            {
                errors.push(format!(
                    "{label} has a negative {what} ({v}): use 0 or more, or remove it."
                ));
            }
            if let Some(v) = value
                && v.abs() > MAX_AMOUNT
            {
                errors.push(format!(
                    "{label} has a {what} of {v}, above the largest amount Hesabu accepts \
                     ({}): lower it, or remove it.",
                    max_amount_text()
                ));
            }
        }
        if level.approvers.is_empty() {
            errors.push(format!(
                "{label} names no approvers: add one, e.g. {{\"type\": \"reporting_manager\"}}."
            ));
        }
        for approver in &level.approvers {
            if let ApproverSpec::Designation { designation } = approver
                && designation.trim().is_empty()
            {
                errors.push(format!("{label}: a designation is empty."));
            }
        }
    }
    if spec.rules.is_empty() {
        errors.push(
            "The policy has no rules: add at least one rule that names the levels documents go \
             through."
                .into(),
        );
    }
    let mut bands = Vec::new();
    for rule in &spec.rules {
        let label = format!("Rule '{}'", rule.name);
        if rule.levels.is_empty() {
            errors.push(format!(
                "{label} names no levels: list at least one, e.g. [1]."
            ));
        }
        let mut previous = 0_u8;
        for &l in &rule.levels {
            if l == 0 || usize::from(l) > n {
                errors.push(format!(
                    "{label} names level {l}, but the policy has levels 1 to {n}."
                ));
            } else if l <= previous {
                errors.push(format!(
                    "{label} lists levels {:?}: list each level once, in ascending order.",
                    rule.levels
                ));
            }
            previous = l;
        }
        let mut band = Band {
            name: rule.name.clone(),
            low: None,
            high: None,
        };
        let mut amount_only = true;
        for c in &rule.when {
            if !known_field(&c.field) {
                errors.push(format!(
                    "{label}: unknown field '{}'. Use amount, category, project, department, \
                     budget_status (within, exceeds or no_budget) or facts.<key>.",
                    c.field
                ));
                continue;
            }
            let shape_ok = match c.op {
                Op::Between => matches!(c.value.as_array().map(Vec::as_slice),
                    Some([a, b]) if scalar(a).is_some() && scalar(b).is_some()),
                Op::In => c
                    .value
                    .as_array()
                    .is_some_and(|v| !v.is_empty() && v.iter().all(|x| scalar(x).is_some())),
                _ => scalar(&c.value).is_some(),
            };
            if !shape_ok {
                errors.push(format!(
                    "{label}: condition {} has the wrong value. BETWEEN takes [low, high], IN a \
                     non-empty list, the others one string or whole number (write fractions as \
                     strings, e.g. \"25000.50\").",
                    c.describe()
                ));
                continue;
            }
            if c.field == "budget_status" {
                let values: Vec<&Value> = match c.value.as_array() {
                    Some(items) => items.iter().collect(),
                    None => vec![&c.value],
                };
                let known = ["within", "exceeds", "no_budget"];
                let ok = matches!(c.op, Op::Eq | Op::In)
                    && values.iter().all(|v| {
                        v.as_str()
                            .is_some_and(|t| known.contains(&t.trim().to_lowercase().as_str()))
                    });
                if !ok {
                    errors.push(format!(
                        "{label}: condition {} cannot match: budget_status is within, exceeds or \
                         no_budget, compared with = or IN.",
                        c.describe()
                    ));
                }
            }
            if c.field != "amount" {
                amount_only = false;
                continue;
            }
            let values: Vec<&Value> = match c.value.as_array() {
                Some(items) => items.iter().collect(),
                None => vec![&c.value],
            };
            if let Some(v) = values
                .into_iter()
                .filter_map(decimal_of)
                .find(|v| v.abs() > MAX_AMOUNT)
            {
                errors.push(format!(
                    "{label}: condition {} compares the amount with {v}, above the largest amount \
                     Hesabu accepts ({}). Use an amount up to it (a band with no upper limit \
                     covers everything above).",
                    c.describe(),
                    max_amount_text()
                ));
            }
            let tighten =
                |band: &mut Band, low: Option<(Decimal, bool)>, high: Option<(Decimal, bool)>| {
                    if low.is_some() {
                        band.low = low;
                    }
                    if high.is_some() {
                        band.high = high;
                    }
                };
            match c.op {
                Op::Gt => tighten(&mut band, decimal_of(&c.value).map(|v| (v, false)), None),
                Op::Gte => tighten(&mut band, decimal_of(&c.value).map(|v| (v, true)), None),
                Op::Lt => tighten(&mut band, None, decimal_of(&c.value).map(|v| (v, false))),
                Op::Lte => tighten(&mut band, None, decimal_of(&c.value).map(|v| (v, true))),
                Op::Between => {
                    let items = c.value.as_array().cloned().unwrap_or_default();
                    let low = items.first().and_then(decimal_of);
                    let high = items.get(1).and_then(decimal_of);
                    if let (Some(l), Some(h)) = (low, high)
                        && l > h
                    {
                        errors.push(format!(
                            "{label}: BETWEEN [{l}, {h}] is empty: put the lower amount first."
                        ));
                    }
                    tighten(&mut band, low.map(|v| (v, true)), high.map(|v| (v, true)));
                }
                Op::Eq | Op::In => amount_only = false,
            }
            if decimal_of(&c.value).is_none() && !matches!(c.op, Op::Between | Op::In) {
                errors.push(format!(
                    "{label}: condition {} compares the amount with something that is not a \
                     number.",
                    c.describe()
                ));
            }
        }
        if amount_only {
            bands.push(band);
        }
    }
    errors.extend(check_bands(bands));
    errors
}

/// Amount bands must tile [0, ∞): no gaps, no overlaps.
fn check_bands(mut bands: Vec<Band>) -> Vec<String> {
    let mut errors = Vec::new();
    if bands.is_empty() {
        errors.push(
            "No rule covers documents by amount alone, so some documents would match no rule. \
             Add amount bands (rules whose conditions are only on amount) that together cover \
             every amount, or one rule with no conditions."
                .into(),
        );
        return errors;
    }
    let low_key = |b: &Band| match b.low {
        None => (None, false),
        Some((v, inclusive)) => (Some(v), !inclusive),
    };
    bands.sort_by_key(low_key);
    if let Some(first) = bands.first()
        && let Some((v, inclusive)) = first.low
        && (v > Decimal::ZERO || (v == Decimal::ZERO && !inclusive))
    {
        errors.push(format!(
            "Amounts from 0 {} {v} have no route: the lowest band is {}. Start it at 0 (or leave \
             its lower limit out).",
            if inclusive { "up to below" } else { "up to" },
            show_band(first)
        ));
    }
    for pair in bands.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        let Some((high, high_inclusive)) = a.high else {
            errors.push(format!(
                "{} overlaps {}: the first has no upper limit. Give it one that ends where the \
                 next band starts.",
                show_band(a),
                show_band(b)
            ));
            continue;
        };
        match b.low {
            None => errors.push(format!(
                "{} overlaps {}: both start from 0. Make the second start where the first ends \
                 ('>' {high}).",
                show_band(a),
                show_band(b)
            )),
            Some((low, low_inclusive)) => {
                let touching = low == high && (high_inclusive != low_inclusive);
                if touching {
                    continue;
                }
                if low < high || (low == high && high_inclusive && low_inclusive) {
                    errors.push(format!(
                        "{} overlaps {}: an amount of {low} would match both. Make the second \
                         band start over {high} (op '>'), or end the first below {low}.",
                        show_band(a),
                        show_band(b)
                    ));
                } else {
                    errors.push(format!(
                        "There is a gap between {} and {}: amounts between {high} and {low} have \
                         no route. Make the second band start with '>' {high}.",
                        show_band(a),
                        show_band(b)
                    ));
                }
            }
        }
    }
    if let Some(last) = bands.last()
        && let Some((v, _)) = last.high
    {
        errors.push(format!(
            "Amounts above {v} have no route: the highest band is {}. Add a band for larger \
             amounts (op '>' {v}, no upper limit).",
            show_band(last)
        ));
    }
    errors
}

/// Level numbers used by any rule.
pub fn used_levels(spec: &PolicySpec) -> HashSet<u8> {
    spec.rules
        .iter()
        .flat_map(|r| r.levels.iter().copied())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn policy(rules: Value) -> PolicySpec {
        serde_json::from_value(json!({
            "name": "p",
            "document_types": ["purchase_order"],
            "levels": [{"name": "Manager", "approvers": [{"type": "reporting_manager"}]}],
            "rules": rules,
        }))
        .unwrap()
    }

    #[test]
    fn bands_must_tile_from_zero_up() {
        let good = policy(json!([
            {"name": "small", "when": [{"field": "amount", "op": "<=", "value": 25000}], "levels": [1]},
            {"name": "large", "when": [{"field": "amount", "op": ">", "value": 25000}], "levels": [1]},
        ]));
        assert!(
            validate_shape(&good).is_empty(),
            "{:?}",
            validate_shape(&good)
        );

        let gap = policy(json!([
            {"name": "small", "when": [{"field": "amount", "op": "<=", "value": 25000}], "levels": [1]},
            {"name": "large", "when": [{"field": "amount", "op": ">", "value": 30000}], "levels": [1]},
        ]));
        let errors = validate_shape(&gap).join("\n");
        assert!(errors.contains("gap between band 'small'"), "{errors}");
        assert!(errors.contains("'>' 25000"), "{errors}");

        let overlap = policy(json!([
            {"name": "small", "when": [{"field": "amount", "op": "<=", "value": 25000}], "levels": [1]},
            {"name": "large", "when": [{"field": "amount", "op": ">=", "value": 25000}], "levels": [1]},
        ]));
        assert!(validate_shape(&overlap).join("\n").contains("overlaps"));

        let capped = policy(json!([
            {"name": "small", "when": [{"field": "amount", "op": "BETWEEN", "value": [0, 100]}], "levels": [1]},
        ]));
        assert!(validate_shape(&capped).join("\n").contains("above 100"));
    }

    #[test]
    fn conditions_use_every_operator() {
        let facts = json!({"urgent": "yes", "vehicles": 3});
        let subject = Subject {
            amount: Decimal::new(30_000, 0),
            category: Some("Capex"),
            project: None,
            department: Some("Operations"),
            budget_status: Some("exceeds"),
            facts: &facts,
        };
        let c = |field: &str, op: Op, value: Value| Condition {
            field: field.into(),
            op,
            value,
        };
        assert!(c("amount", Op::Gt, json!(25000)).holds(&subject));
        assert!(c("amount", Op::Gte, json!("30000.00")).holds(&subject));
        assert!(!c("amount", Op::Lt, json!(30000)).holds(&subject));
        assert!(c("amount", Op::Lte, json!(30000)).holds(&subject));
        assert!(c("amount", Op::Between, json!([25000, "30000"])).holds(&subject));
        assert!(c("category", Op::Eq, json!("capex")).holds(&subject));
        assert!(c("department", Op::In, json!(["Sales", "Operations"])).holds(&subject));
        assert!(c("facts.vehicles", Op::Gte, json!(2)).holds(&subject));
        assert!(c("budget_status", Op::Eq, json!("exceeds")).holds(&subject));
        assert!(!c("budget_status", Op::Eq, json!("within")).holds(&subject));
        assert!(
            !c("project", Op::Eq, json!("x")).holds(&subject),
            "missing never matches"
        );
        assert!(!c("facts.nope", Op::Eq, json!("x")).holds(&subject));
    }

    #[test]
    fn budget_status_conditions_name_a_known_status() {
        let ok = policy(json!([
            {"name": "over", "when": [{"field": "budget_status", "op": "IN", "value": ["exceeds", "no_budget"]}], "levels": [1]},
            {"name": "all", "when": [{"field": "amount", "op": ">=", "value": 0}], "levels": [1]},
        ]));
        assert!(validate_shape(&ok).is_empty(), "{:?}", validate_shape(&ok));
        let typo = policy(json!([
            {"name": "over", "when": [{"field": "budget_status", "op": "=", "value": "over"}], "levels": [1]},
            {"name": "all", "when": [{"field": "amount", "op": ">=", "value": 0}], "levels": [1]},
        ]));
        assert!(
            validate_shape(&typo)
                .join("\n")
                .contains("budget_status is within, exceeds or no_budget")
        );
    }

    #[test]
    fn escalation_moves_the_step_unless_the_policy_says_notify() {
        let level = |escalation: Value| {
            serde_json::from_value::<LevelSpec>(json!({
                "name": "Manager",
                "approvers": [{"type": "reporting_manager"}],
                "escalation": escalation,
            }))
        };
        let moved = level(json!({"to": {"type": "manager"}, "max": 1})).unwrap();
        assert_eq!(
            moved.escalation.as_ref().map(EscalationSpec::mode),
            Some(EscalationMode::Move)
        );
        // Saved as it was written: the default is not added.
        let saved = serde_json::to_value(&moved).unwrap();
        assert_eq!(
            saved["escalation"],
            json!({"to": {"type": "manager"}, "max": 1})
        );
        let told =
            level(json!({"to": {"type": "next_level"}, "max": 2, "mode": "notify"})).unwrap();
        assert_eq!(
            told.escalation.as_ref().map(EscalationSpec::mode),
            Some(EscalationMode::Notify)
        );
        assert_eq!(
            serde_json::to_value(&told).unwrap()["escalation"]["mode"],
            "notify"
        );
        let typo = level(json!({"to": {"type": "manager"}, "max": 1, "mode": "tell"})).unwrap_err();
        assert!(typo.to_string().contains("notify"), "{typo}");
    }

    #[test]
    fn level_counts_and_references_are_checked() {
        let mut p = policy(json!([{"name": "all", "levels": [1, 2]}]));
        assert!(validate_shape(&p).join("\n").contains("names level 2"));
        p.levels.clear();
        assert!(validate_shape(&p).join("\n").contains("has 0 levels"));
        let level = policy(json!([])).levels[0].clone();
        p.levels = vec![level; 6];
        assert!(validate_shape(&p).join("\n").contains("has 6 levels"));
    }
}
