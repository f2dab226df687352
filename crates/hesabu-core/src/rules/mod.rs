//! Business rules as decision tables: per document type, ordered rows of
//! typed conditions, each with actions. No expressions and no code: a fixed set of fields, nine
//! operators and five actions, evaluated by the small function [`evaluate`], which returns what
//! applies and a trace of every row (matched or not, and why).
//!
//! - [`spec`]-level types here: [`RuleTableSpec`], [`RuleRow`], [`RuleCondition`], [`RuleOp`],
//!   [`RuleAction`], and [`validate`].
//! - [`service`]: importing and listing tables, testing a file against a document, and the
//!   approval engine's hook ([`service::on_document`]) that evaluates the active tables in the
//!   same unit of work as a document's creation or submission and applies the actions.
//! - [`definition`]: reading a JSON definition (size, encoding, serde's errors in words), for
//!   rule tables and for the policies and workflow settings of the layers above.
//!
//! See docs/rules.md for the format and the seed examples in docs/examples/rules-*.json.

pub mod definition;
pub mod service;

use std::cmp::Ordering;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use crate::documents::DocumentType;
use hesabu_store::error::{Error, Result};
use hesabu_store::limits::{LABEL, NAME, NOTE, check_optional_text, check_text, excerpt};
use hesabu_store::money::{MAX_AMOUNT, max_amount_text};
use hesabu_store::permissions::Role;

/// One decision table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct RuleTableSpec {
    /// Identifies the table: importing the same name again makes a new version.
    pub name: String,
    pub document_type: DocumentType,
    #[serde(default)]
    pub description: Option<String>,
    /// `all` (default): every matching row's actions apply. `first`: only the first match's.
    #[serde(default)]
    pub hit_policy: HitPolicy,
    pub rows: Vec<RuleRow>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum HitPolicy {
    #[default]
    All,
    First,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct RuleRow {
    pub name: String,
    /// All must hold; empty matches every document.
    #[serde(default)]
    pub when: Vec<RuleCondition>,
    pub then: Vec<RuleAction>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct RuleCondition {
    /// A document field (see [`DOCUMENT_FIELDS`]), `facts.<key>`, or `lines` for `any_line`;
    /// inside `any_line`, a line field (see [`LINE_FIELDS`]).
    pub field: String,
    pub op: RuleOp,
    /// A string, whole number or boolean; `[low, high]` for BETWEEN; a list for IN; absent for
    /// `is_missing` and `any_line`. Write fractional amounts as strings ("2500.50").
    #[serde(default)]
    #[ts(type = "unknown")]
    pub value: Option<Value>,
    /// For `any_line`: the conditions one line must meet (all of them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub when: Vec<RuleCondition>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub enum RuleOp {
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
    /// The field is absent or empty.
    #[serde(rename = "is_missing")]
    IsMissing,
    /// At least one line meets every condition in `when`.
    #[serde(rename = "any_line")]
    AnyLine,
}

impl RuleOp {
    fn symbol(self) -> &'static str {
        match self {
            RuleOp::Eq => "=",
            RuleOp::Gt => ">",
            RuleOp::Gte => ">=",
            RuleOp::Lt => "<",
            RuleOp::Lte => "<=",
            RuleOp::Between => "BETWEEN",
            RuleOp::In => "IN",
            RuleOp::IsMissing => "is_missing",
            RuleOp::AnyLine => "any_line",
        }
    }
}

/// What a matching row does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum RuleAction {
    /// Adds a level to the document's approval chain at submission: any one of the people with
    /// these roles, designations or emails. Someone already in the chain is not added twice.
    RequireApproval {
        level_name: String,
        #[serde(default)]
        roles: Vec<Role>,
        #[serde(default)]
        designations: Vec<String>,
        #[serde(default)]
        users: Vec<String>,
        #[serde(default)]
        reason: Option<String>,
    },
    /// Marks the document for tax review: it is not sent to e-TIMS until someone resolves it.
    FlagForTaxReview { reason: String },
    /// An in-app notice to every active user with the role.
    Notify { role: Role, message: String },
    /// Refuses the submission with the reason.
    Block { reason: String },
    /// Sets `category`, `project` or `facts.<key>` on the document.
    SetField {
        field: String,
        #[ts(type = "unknown")]
        value: Value,
    },
}

impl RuleAction {
    pub fn describe(&self) -> String {
        match self {
            RuleAction::RequireApproval {
                level_name,
                roles,
                designations,
                users,
                ..
            } => {
                let mut who: Vec<String> = roles.iter().map(|r| r.to_string()).collect();
                who.extend(designations.iter().map(|d| format!("designated {d}")));
                who.extend(users.iter().cloned());
                format!("require approval '{level_name}' by {}", who.join(" or "))
            }
            RuleAction::FlagForTaxReview { reason } => format!("flag for tax review: {reason}"),
            RuleAction::Notify { role, message } => format!("notify {role}: {message}"),
            RuleAction::Block { reason } => format!("block: {reason}"),
            RuleAction::SetField { field, value } => format!("set {field} = {value}"),
        }
    }
}

/// Fields a document-level condition may test (plus `facts.<key>`).
pub const DOCUMENT_FIELDS: [&str; 10] = [
    "amount",
    "currency",
    "base_currency",
    "foreign_currency",
    "category",
    "project",
    "department",
    "doc_type",
    "title",
    "line_count",
];

/// Fields a condition inside `any_line` may test.
pub const LINE_FIELDS: [&str; 5] = [
    "description",
    "quantity",
    "unit_price",
    "tax_code",
    "line_amount",
];

/// What a condition's field holds, so its values can be checked against it: a threshold typed
/// as text (`"50,000"`) against a number would never match, silently disabling its row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FieldKind {
    Number,
    Text,
    /// true or false (`foreign_currency`).
    YesNo,
    /// `facts.<key>`: only the document knows the type.
    Fact,
}

fn kind_of(field: &str) -> FieldKind {
    match field {
        "amount" | "line_count" | "quantity" | "unit_price" | "line_amount" => FieldKind::Number,
        "foreign_currency" => FieldKind::YesNo,
        _ if field.starts_with("facts.") => FieldKind::Fact,
        _ => FieldKind::Text,
    }
}

/// Refuses text longer than the limits (docs/limits.md) anywhere in a table, before any other
/// check quotes it back.
fn check_lengths(spec: &RuleTableSpec) -> Result<()> {
    check_text("rule table name", &spec.name, NAME)?;
    check_optional_text("rule table description", spec.description.as_deref(), NOTE)?;
    for (i, row) in spec.rows.iter().enumerate() {
        let at = format!("row {}", i + 1);
        check_text(&format!("{at} name"), &row.name, NAME)?;
        for (j, c) in row.when.iter().enumerate() {
            check_condition_lengths(c, &format!("{at}, condition {}", j + 1))?;
        }
        for (j, a) in row.then.iter().enumerate() {
            let at = format!("{at}, action {}", j + 1);
            match a {
                RuleAction::RequireApproval {
                    level_name,
                    designations,
                    users,
                    reason,
                    ..
                } => {
                    check_text(&format!("{at} level_name"), level_name, NAME)?;
                    for d in designations {
                        check_text(&format!("{at} designation"), d, LABEL)?;
                    }
                    for u in users {
                        check_text(&format!("{at} user"), u, NAME)?;
                    }
                    check_optional_text(&format!("{at} reason"), reason.as_deref(), NOTE)?;
                }
                RuleAction::FlagForTaxReview { reason } | RuleAction::Block { reason } => {
                    check_text(&format!("{at} reason"), reason, NOTE)?;
                }
                RuleAction::Notify { message, .. } => {
                    check_text(&format!("{at} message"), message, NOTE)?;
                }
                RuleAction::SetField { field, value } => {
                    check_text(&format!("{at} field"), field, LABEL)?;
                    check_text(&format!("{at} value"), &value.to_string(), NOTE)?;
                }
            }
        }
    }
    Ok(())
}

fn check_condition_lengths(c: &RuleCondition, at: &str) -> Result<()> {
    check_text(&format!("{at} field"), &c.field, LABEL)?;
    if let Some(value) = &c.value {
        let texts: Vec<&Value> = match value.as_array() {
            Some(items) => items.iter().collect(),
            None => vec![value],
        };
        for text in texts.iter().filter_map(|v| v.as_str()) {
            check_text(&format!("{at} value"), text, NOTE)?;
        }
    }
    for (k, inner) in c.when.iter().enumerate() {
        check_condition_lengths(inner, &format!("{at}, line condition {}", k + 1))?;
    }
    Ok(())
}

/// Checks a table's shape beyond what serde checks, naming the row and condition at fault.
pub fn validate(spec: &RuleTableSpec) -> Result<()> {
    check_lengths(spec)?;
    if spec.name.trim().is_empty() {
        return Err(Error::invalid("The rule table needs a name."));
    }
    if spec.rows.is_empty() {
        return Err(Error::invalid(format!(
            "Rule table '{}' has no rows. Add at least one row with when and then.",
            spec.name
        )));
    }
    for (i, row) in spec.rows.iter().enumerate() {
        let at = format!("row {} ('{}')", i + 1, row.name);
        if row.name.trim().is_empty() {
            return Err(Error::invalid(format!("Row {} needs a name.", i + 1)));
        }
        if row.then.is_empty() {
            return Err(Error::invalid(format!(
                "{at} has no actions: list at least one under then."
            )));
        }
        for (j, c) in row.when.iter().enumerate() {
            validate_condition(c, false, &format!("{at}, condition {}", j + 1))?;
        }
        for a in &row.then {
            validate_action(a, &at)?;
        }
    }
    Ok(())
}

fn validate_condition(c: &RuleCondition, in_line: bool, at: &str) -> Result<()> {
    let known = if in_line {
        LINE_FIELDS.contains(&c.field.as_str())
    } else {
        DOCUMENT_FIELDS.contains(&c.field.as_str())
            || c.field == "lines"
            || c.field.strip_prefix("facts.").is_some_and(|k| {
                !k.is_empty() && k.chars().all(|ch| ch.is_alphanumeric() || ch == '_')
            })
    };
    if !known {
        let list = if in_line {
            LINE_FIELDS.join(", ")
        } else {
            format!("{}, facts.<key> or lines", DOCUMENT_FIELDS.join(", "))
        };
        return Err(Error::invalid(format!(
            "{at}: unknown field '{}'. Use one of: {list}.",
            c.field
        )));
    }
    let what = format!("{at} ({} {})", c.field, c.op.symbol());
    match c.op {
        RuleOp::AnyLine => {
            if in_line || c.field != "lines" {
                return Err(Error::invalid(format!(
                    "{what}: any_line takes the field \"lines\" and its own when list."
                )));
            }
            if c.when.is_empty() || c.value.is_some() {
                return Err(Error::invalid(format!(
                    "{what}: give the line conditions under when, and no value."
                )));
            }
            for (k, inner) in c.when.iter().enumerate() {
                validate_condition(inner, true, &format!("{at}, line condition {}", k + 1))?;
            }
            return Ok(());
        }
        RuleOp::IsMissing => {
            if c.value.is_some() {
                return Err(Error::invalid(format!("{what} takes no value.")));
            }
        }
        RuleOp::Between => match c.value.as_ref().and_then(Value::as_array) {
            Some(pair) if pair.len() == 2 && pair.iter().all(valid_scalar) => {}
            _ => {
                return Err(Error::invalid(format!(
                    "{what} needs a value [low, high], e.g. [\"1000\", \"5000\"]."
                )));
            }
        },
        RuleOp::In => match c.value.as_ref().and_then(Value::as_array) {
            Some(list) if !list.is_empty() && list.iter().all(valid_scalar) => {}
            _ => {
                return Err(Error::invalid(format!(
                    "{what} needs a non-empty list, e.g. [\"USD\", \"EUR\"]."
                )));
            }
        },
        RuleOp::Eq | RuleOp::Gt | RuleOp::Gte | RuleOp::Lt | RuleOp::Lte => {
            if !c.value.as_ref().is_some_and(valid_scalar) {
                return Err(Error::invalid(format!(
                    "{what} needs a value: a string, a whole number or true/false (write \
                     fractions as strings, e.g. \"2500.50\")."
                )));
            }
        }
    }
    if !c.when.is_empty() {
        return Err(Error::invalid(format!(
            "{what}: only any_line takes a when list."
        )));
    }
    check_types(c, &what)
}

/// Checks a condition's values against what its field holds (numbers, text or true/false):
/// a value of the wrong type would make the condition never hold.
fn check_types(c: &RuleCondition, what: &str) -> Result<()> {
    let kind = kind_of(&c.field);
    if kind == FieldKind::YesNo && !matches!(c.op, RuleOp::Eq | RuleOp::In | RuleOp::IsMissing) {
        return Err(Error::invalid(format!(
            "{what}: {} is true or false, so it can only be compared with = or IN.",
            c.field
        )));
    }
    let values: Vec<&Value> = match (&c.value, c.op) {
        (Some(Value::Array(items)), RuleOp::Between | RuleOp::In) => items.iter().collect(),
        (Some(value), _) => vec![value],
        (None, _) => Vec::new(),
    };
    for value in values {
        match (kind, value) {
            (FieldKind::Fact, _) => {}
            (FieldKind::Number, Value::String(text)) => {
                let number = Decimal::from_str_exact(text.trim()).map_err(|_| {
                    Error::invalid(format!(
                        "{what}: the value '{}' is not a number, so the condition could never \
                         hold. Write digits only, without thousands separators or a currency, \
                         e.g. \"50000\" or \"2500.50\".",
                        excerpt(text)
                    ))
                })?;
                check_threshold(number, what)?;
            }
            (FieldKind::Number, Value::Number(n)) => {
                // validate_condition let only whole numbers through.
                if let Ok(number) = Decimal::from_str_exact(&n.to_string()) {
                    check_threshold(number, what)?;
                }
            }
            (FieldKind::Number, other) => {
                return Err(Error::invalid(format!(
                    "{what}: the value {other} is not a number, so the condition could never \
                     hold. Write a number such as \"50000\"."
                )));
            }
            (FieldKind::YesNo, Value::Bool(_)) | (FieldKind::Text, Value::String(_)) => {}
            (FieldKind::YesNo, other) => {
                return Err(Error::invalid(format!(
                    "{what}: {} is true or false; write true or false without quotes, not {}.",
                    c.field,
                    excerpt(&other.to_string())
                )));
            }
            (FieldKind::Text, other) => {
                return Err(Error::invalid(format!(
                    "{what}: {} holds text, so {other} would never match it. Write the value as \
                     text in quotes, e.g. \"{}\".",
                    c.field,
                    excerpt(&other.to_string())
                )));
            }
        }
    }
    Ok(())
}

fn check_threshold(number: Decimal, what: &str) -> Result<()> {
    if number.abs() > MAX_AMOUNT {
        return Err(Error::invalid(format!(
            "{what}: the value {number} is above the largest amount Hesabu accepts ({}); check \
             the figure.",
            max_amount_text()
        )));
    }
    Ok(())
}

fn valid_scalar(v: &Value) -> bool {
    match v {
        Value::String(_) | Value::Bool(_) => true,
        // JSON fractions have been through binary floating point: refuse them.
        Value::Number(n) => n.is_i64() || n.is_u64(),
        _ => false,
    }
}

fn validate_action(a: &RuleAction, at: &str) -> Result<()> {
    let empty = |s: &str| s.trim().is_empty();
    match a {
        RuleAction::RequireApproval {
            level_name,
            roles,
            designations,
            users,
            ..
        } => {
            if empty(level_name)
                || (roles.is_empty() && designations.is_empty() && users.is_empty())
            {
                return Err(Error::invalid(format!(
                    "{at}: require_approval needs a level_name and at least one of roles, \
                     designations or users."
                )));
            }
        }
        RuleAction::FlagForTaxReview { reason } | RuleAction::Block { reason } => {
            if empty(reason) {
                return Err(Error::invalid(format!("{at}: the action needs a reason.")));
            }
        }
        RuleAction::Notify { message, .. } => {
            if empty(message) {
                return Err(Error::invalid(format!("{at}: notify needs a message.")));
            }
        }
        RuleAction::SetField { field, value } => {
            let settable = matches!(field.as_str(), "category" | "project")
                || field.strip_prefix("facts.").is_some_and(|k| {
                    !k.is_empty() && k.chars().all(|ch| ch.is_alphanumeric() || ch == '_')
                });
            if !settable {
                return Err(Error::invalid(format!(
                    "{at}: set_field can set category, project or facts.<key>, not '{field}'."
                )));
            }
            if matches!(field.as_str(), "category" | "project") && !value.is_string() {
                return Err(Error::invalid(format!(
                    "{at}: set_field {field} needs a string value."
                )));
            }
        }
    }
    Ok(())
}

/// Parses and validates a rule table file (see [`definition`] for what is refused before
/// the table is read).
pub fn parse(text: &str) -> Result<RuleTableSpec> {
    let spec: RuleTableSpec = definition::RULE_TABLE.parse(text)?;
    validate(&spec)?;
    Ok(spec)
}

/// What the conditions test: one document, with its lines and facts.
#[derive(Debug, Clone)]
pub struct Subject {
    pub amount: Decimal,
    pub currency: String,
    pub base_currency: String,
    pub category: Option<String>,
    pub project: Option<String>,
    pub department: Option<String>,
    pub doc_type: String,
    pub title: String,
    pub facts: Value,
    pub lines: Vec<LineSubject>,
}

#[derive(Debug, Clone)]
pub struct LineSubject {
    pub description: String,
    pub quantity: Decimal,
    pub unit_price: Decimal,
    pub tax_code: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
enum Scalar {
    Number(Decimal),
    Text(String),
    Bool(bool),
}

impl Scalar {
    fn show(&self) -> String {
        match self {
            Scalar::Number(d) => d.normalize().to_string(),
            Scalar::Text(t) => t.clone(),
            Scalar::Bool(b) => b.to_string(),
        }
    }
}

fn scalar(value: &Value) -> Option<Scalar> {
    match value {
        Value::String(s) if s.trim().is_empty() => None,
        Value::String(s) => Some(
            Decimal::from_str_exact(s.trim())
                .map(Scalar::Number)
                .unwrap_or_else(|_| Scalar::Text(s.clone())),
        ),
        Value::Number(n) => Decimal::from_str_exact(&n.to_string())
            .ok()
            .map(Scalar::Number),
        Value::Bool(b) => Some(Scalar::Bool(*b)),
        _ => None,
    }
}

fn compare(a: &Scalar, b: &Scalar) -> Option<Ordering> {
    match (a, b) {
        (Scalar::Number(x), Scalar::Number(y)) => Some(x.cmp(y)),
        (Scalar::Text(x), Scalar::Text(y)) => Some(x.to_lowercase().cmp(&y.to_lowercase())),
        (Scalar::Bool(x), Scalar::Bool(y)) => (x == y).then_some(Ordering::Equal),
        _ => None,
    }
}

fn text(v: Option<&String>) -> Option<Scalar> {
    v.map(|t| t.trim())
        .filter(|t| !t.is_empty())
        .map(|t| Scalar::Text(t.to_owned()))
}

fn document_field(field: &str, s: &Subject) -> Option<Scalar> {
    match field {
        "amount" => Some(Scalar::Number(s.amount)),
        "currency" => text(Some(&s.currency)),
        "base_currency" => text(Some(&s.base_currency)),
        "foreign_currency" => Some(Scalar::Bool(
            !s.currency.eq_ignore_ascii_case(&s.base_currency),
        )),
        "category" => text(s.category.as_ref()),
        "project" => text(s.project.as_ref()),
        "department" => text(s.department.as_ref()),
        "doc_type" => text(Some(&s.doc_type)),
        "title" => text(Some(&s.title)),
        "line_count" => Some(Scalar::Number(Decimal::from(s.lines.len()))),
        _ => field
            .strip_prefix("facts.")
            .and_then(|key| s.facts.get(key))
            .and_then(scalar),
    }
}

fn line_field(field: &str, l: &LineSubject) -> Option<Scalar> {
    match field {
        "description" => text(Some(&l.description)),
        "quantity" => Some(Scalar::Number(l.quantity)),
        "unit_price" => Some(Scalar::Number(l.unit_price)),
        "tax_code" => text(l.tax_code.as_ref()),
        // Too large to compute counts as missing, never a panic.
        "line_amount" => l.quantity.checked_mul(l.unit_price).map(Scalar::Number),
        _ => None,
    }
}

/// A condition's value as `field` holds it: for a text field, text stays text even when it is
/// digits (`project = "2024"`); otherwise as [`scalar`] reads it.
fn wanted(field: &str, value: &Value) -> Option<Scalar> {
    match (kind_of(field), value) {
        (FieldKind::Text, Value::String(s)) if !s.trim().is_empty() => {
            Some(Scalar::Text(s.trim().to_owned()))
        }
        _ => scalar(value),
    }
}

/// Whether `actual` (the value of `field`) meets `op value` (not for `any_line`).
fn holds(field: &str, op: RuleOp, actual: Option<&Scalar>, value: Option<&Value>) -> bool {
    if op == RuleOp::IsMissing {
        return actual.is_none();
    }
    let Some(actual) = actual else { return false };
    let cmp = |v: &Value| wanted(field, v).and_then(|want| compare(actual, &want));
    match op {
        RuleOp::Eq => value.and_then(cmp) == Some(Ordering::Equal),
        RuleOp::Gt => value.and_then(cmp) == Some(Ordering::Greater),
        RuleOp::Gte => matches!(
            value.and_then(cmp),
            Some(Ordering::Greater | Ordering::Equal)
        ),
        RuleOp::Lt => value.and_then(cmp) == Some(Ordering::Less),
        RuleOp::Lte => matches!(value.and_then(cmp), Some(Ordering::Less | Ordering::Equal)),
        RuleOp::Between => match value.and_then(Value::as_array).map(Vec::as_slice) {
            Some([low, high]) => {
                matches!(cmp(low), Some(Ordering::Greater | Ordering::Equal))
                    && matches!(cmp(high), Some(Ordering::Less | Ordering::Equal))
            }
            _ => false,
        },
        RuleOp::In => value
            .and_then(Value::as_array)
            .is_some_and(|items| items.iter().any(|v| cmp(v) == Some(Ordering::Equal))),
        RuleOp::IsMissing | RuleOp::AnyLine => false,
    }
}

/// One condition's outcome in the trace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ConditionTrace {
    /// The condition as written, e.g. `amount > "50000"`.
    pub condition: String,
    /// The document's value (`None`: missing); for `any_line`, which lines met it.
    pub actual: Option<String>,
    pub holds: bool,
    /// The outcome as a sentence for people: "Amount KES 12,500.00 is at most KES 25,000.00".
    /// Empty in evaluations stored before it existed (show `condition` then).
    #[serde(default)]
    pub sentence: String,
}

/// One row's outcome in the trace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct RowTrace {
    /// 1-based, in the table's order.
    pub row: u32,
    pub name: String,
    /// false when the hit policy `first` stopped before this row.
    pub evaluated: bool,
    pub matched: bool,
    pub conditions: Vec<ConditionTrace>,
    /// The row's actions, described (whether or not it matched).
    pub actions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct TableTrace {
    pub table: String,
    #[ts(type = "number")]
    pub version: i64,
    pub rows: Vec<RowTrace>,
}

/// An action that applies, with where it came from. `effect` says what it did to the document
/// (filled when applied; empty for a dry run).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct MatchedAction {
    pub table: String,
    pub row: u32,
    pub row_name: String,
    pub action: RuleAction,
    pub effect: String,
}

/// The result of evaluating tables against one document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Evaluation {
    /// `passed` (no row matched), `actions` (some did), `blocked` (a block action applies).
    pub outcome: String,
    pub actions: Vec<MatchedAction>,
    pub trace: Vec<TableTrace>,
}

impl Evaluation {
    /// The first block's reason, if any action blocks.
    pub fn blocked(&self) -> Option<&MatchedAction> {
        self.actions
            .iter()
            .find(|a| matches!(a.action, RuleAction::Block { .. }))
    }
}

fn trace_condition(c: &RuleCondition, s: &Subject) -> ConditionTrace {
    let written = match (&c.value, c.op) {
        (_, RuleOp::AnyLine) => {
            let inner: Vec<String> = c
                .when
                .iter()
                .map(|i| match &i.value {
                    Some(v) => format!("{} {} {v}", i.field, i.op.symbol()),
                    None => format!("{} {}", i.field, i.op.symbol()),
                })
                .collect();
            format!("any line: {}", inner.join(" and "))
        }
        (Some(v), op) => format!("{} {} {v}", c.field, op.symbol()),
        (None, op) => format!("{} {}", c.field, op.symbol()),
    };
    if c.op == RuleOp::AnyLine {
        let hits: Vec<String> = s
            .lines
            .iter()
            .enumerate()
            .filter(|(_, l)| {
                c.when.iter().all(|i| {
                    let actual = line_field(&i.field, l);
                    holds(&i.field, i.op, actual.as_ref(), i.value.as_ref())
                })
            })
            .map(|(n, _)| (n + 1).to_string())
            .collect();
        let wanted: Vec<String> = c
            .when
            .iter()
            .map(|i| {
                let v = i.value.as_ref();
                format!(
                    "{} {}",
                    field_words(&i.field).to_lowercase(),
                    op_words(&i.field, i.op, v, true, &s.currency)
                )
            })
            .collect();
        let sentence = if hits.is_empty() {
            format!(
                "On none of the {} lines: {}",
                s.lines.len(),
                wanted.join(" and ")
            )
        } else {
            format!(
                "On line{} {}: {}",
                if hits.len() == 1 { "" } else { "s" },
                hits.join(", "),
                wanted.join(" and ")
            )
        };
        return ConditionTrace {
            condition: written,
            actual: Some(if hits.is_empty() {
                format!("no line of {}", s.lines.len())
            } else {
                format!("line {}", hits.join(", "))
            }),
            holds: !hits.is_empty(),
            sentence,
        };
    }
    let actual = document_field(&c.field, s);
    let held = holds(&c.field, c.op, actual.as_ref(), c.value.as_ref());
    let sentence = match (&actual, c.op) {
        (None, RuleOp::IsMissing) => format!("{} is missing", field_words(&c.field)),
        (None, _) => format!(
            "{} is missing, so it is not compared",
            field_words(&c.field)
        ),
        (Some(a), _) => format!(
            "{} {} {}",
            field_words(&c.field),
            scalar_words(&c.field, a, &s.currency),
            op_words(&c.field, c.op, c.value.as_ref(), held, &s.currency)
        ),
    };
    ConditionTrace {
        condition: written,
        holds: held,
        actual: actual.map(|a| a.show()),
        sentence,
    }
}

/// Fields whose values are money, shown with the document's currency.
fn is_money(field: &str) -> bool {
    matches!(field, "amount" | "unit_price" | "line_amount")
}

/// A field as people call it: "Amount", "Tax code", "Fact 'supplier'".
fn field_words(field: &str) -> String {
    if let Some(key) = field.strip_prefix("facts.") {
        return format!("Fact '{key}'");
    }
    match field {
        "doc_type" => "Document type".into(),
        "line_count" => "Number of lines".into(),
        "line_amount" => "Line amount".into(),
        "foreign_currency" => "Foreign currency".into(),
        "base_currency" => "Base currency".into(),
        other => {
            let spaced = other.replace('_', " ");
            let mut chars = spaced.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
                .unwrap_or_default()
        }
    }
}

/// A value of `field` as people read it: money with its currency and separators.
fn scalar_words(field: &str, value: &Scalar, currency: &str) -> String {
    match value {
        Scalar::Number(d) if is_money(field) => money_words(*d, currency),
        Scalar::Number(d) => d.normalize().to_string(),
        Scalar::Text(t) => format!("'{t}'"),
        Scalar::Bool(true) => "yes".into(),
        Scalar::Bool(false) => "no".into(),
    }
}

fn money_words(amount: Decimal, currency: &str) -> String {
    match currency.parse::<hesabu_store::money::Currency>() {
        Ok(c) => hesabu_store::money::Money::new(amount, c).to_string(),
        Err(_) => amount.normalize().to_string(),
    }
}

/// A value written in the table, in words.
fn value_words(field: &str, value: &Value, currency: &str) -> String {
    match value {
        Value::Array(items) => {
            let words: Vec<String> = items
                .iter()
                .map(|v| value_words(field, v, currency))
                .collect();
            words.join(", ")
        }
        other => match scalar(other) {
            Some(v) => scalar_words(field, &v, currency),
            None => other.to_string(),
        },
    }
}

/// The comparison in words, affirmed or denied: "is at most KES 25,000.00", "is not one of …".
fn op_words(field: &str, op: RuleOp, value: Option<&Value>, holds: bool, currency: &str) -> String {
    let v = || {
        value
            .map(|v| value_words(field, v, currency))
            .unwrap_or_default()
    };
    match (op, holds) {
        (RuleOp::Eq, true) => format!("is {}", v()),
        (RuleOp::Eq, false) => format!("is not {}", v()),
        (RuleOp::Gt, true) => format!("is more than {}", v()),
        (RuleOp::Gt, false) => format!("is not more than {}", v()),
        (RuleOp::Gte, true) => format!("is at least {}", v()),
        (RuleOp::Gte, false) => format!("is less than {}", v()),
        (RuleOp::Lt, true) => format!("is less than {}", v()),
        (RuleOp::Lt, false) => format!("is not less than {}", v()),
        (RuleOp::Lte, true) => format!("is at most {}", v()),
        (RuleOp::Lte, false) => format!("is more than {}", v()),
        (RuleOp::Between, h) => {
            let bounds = match value {
                Some(Value::Array(b)) if b.len() == 2 => format!(
                    "{} and {}",
                    value_words(field, &b[0], currency),
                    value_words(field, &b[1], currency)
                ),
                _ => v(),
            };
            format!("is {}between {bounds}", if h { "" } else { "not " })
        }
        (RuleOp::In, true) => format!("is one of {}", v()),
        (RuleOp::In, false) => format!("is none of {}", v()),
        (RuleOp::IsMissing, true) => "is missing".into(),
        (RuleOp::IsMissing, false) => "is given".into(),
        (RuleOp::AnyLine, _) => String::new(),
    }
}

/// Evaluates `tables` (each with its version) against `subject`. Pure: no effects.
pub fn evaluate(tables: &[(RuleTableSpec, i64)], subject: &Subject) -> Evaluation {
    let mut actions = Vec::new();
    let mut trace = Vec::new();
    for (spec, version) in tables {
        let mut rows = Vec::new();
        let mut stopped = false;
        for (i, row) in spec.rows.iter().enumerate() {
            let number = u32::try_from(i + 1).unwrap_or(u32::MAX);
            let described = row.then.iter().map(RuleAction::describe).collect();
            if stopped {
                rows.push(RowTrace {
                    row: number,
                    name: row.name.clone(),
                    evaluated: false,
                    matched: false,
                    conditions: Vec::new(),
                    actions: described,
                });
                continue;
            }
            let conditions: Vec<ConditionTrace> = row
                .when
                .iter()
                .map(|c| trace_condition(c, subject))
                .collect();
            let matched = conditions.iter().all(|c| c.holds);
            if matched {
                for action in &row.then {
                    actions.push(MatchedAction {
                        table: spec.name.clone(),
                        row: number,
                        row_name: row.name.clone(),
                        action: action.clone(),
                        effect: String::new(),
                    });
                }
                stopped = spec.hit_policy == HitPolicy::First;
            }
            rows.push(RowTrace {
                row: number,
                name: row.name.clone(),
                evaluated: true,
                matched,
                conditions,
                actions: described,
            });
        }
        trace.push(TableTrace {
            table: spec.name.clone(),
            version: *version,
            rows,
        });
    }
    let outcome = if actions
        .iter()
        .any(|a| matches!(a.action, RuleAction::Block { .. }))
    {
        "blocked"
    } else if actions.is_empty() {
        "passed"
    } else {
        "actions"
    };
    Evaluation {
        outcome: outcome.into(),
        actions,
        trace,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const HIGH_VALUE: &str =
        include_str!("../../../../docs/examples/rules-high-value-invoice.json");
    const NEW_CUSTOMER: &str =
        include_str!("../../../../docs/examples/rules-new-customer-credit-check.json");
    const FOREIGN: &str = include_str!("../../../../docs/examples/rules-foreign-currency.json");
    const TAX_CODE: &str = include_str!("../../../../docs/examples/rules-missing-tax-code.json");

    fn d(text: &str) -> Decimal {
        Decimal::from_str_exact(text).unwrap()
    }

    fn line(tax_code: Option<&str>) -> LineSubject {
        LineSubject {
            description: "Consulting".into(),
            quantity: d("1"),
            unit_price: d("100"),
            tax_code: tax_code.map(str::to_owned),
        }
    }

    fn invoice(amount: &str, currency: &str, facts: Value, lines: Vec<LineSubject>) -> Subject {
        Subject {
            amount: d(amount),
            currency: currency.into(),
            base_currency: "KES".into(),
            category: None,
            project: None,
            department: Some("Sales".into()),
            doc_type: "sales_invoice".into(),
            title: "Invoice".into(),
            facts,
            lines,
        }
    }

    /// The action kinds that apply, e.g. ["require_approval:Finance", "block"].
    fn kinds(file: &str, subject: &Subject) -> Vec<String> {
        let spec = parse(file).unwrap();
        evaluate(&[(spec, 1)], subject)
            .actions
            .iter()
            .map(|a| match &a.action {
                RuleAction::RequireApproval { level_name, .. } => {
                    format!("require_approval:{level_name}")
                }
                RuleAction::FlagForTaxReview { .. } => "flag_for_tax_review".into(),
                RuleAction::Notify { .. } => "notify".into(),
                RuleAction::Block { reason } => format!("block:{}", &reason[..12]),
                RuleAction::SetField { .. } => "set_field".into(),
            })
            .collect()
    }

    #[test]
    fn high_value_invoice_needs_finance_and_executive() {
        let both = vec!["require_approval:Finance", "require_approval:Executive"];
        for (amount, want) in [
            ("50000", vec![]),
            ("50000.01", both.clone()),
            ("120000", both),
            ("4999", vec![]),
        ] {
            let s = invoice(amount, "KES", json!({}), vec![line(Some("B"))]);
            assert_eq!(kinds(HIGH_VALUE, &s), want, "amount {amount}");
        }
    }

    #[test]
    fn new_customer_over_5000_needs_a_credit_check() {
        let check = vec!["require_approval:Credit check", "notify"];
        for (age, amount, want) in [
            (json!(10), "6000", check.clone()),
            (json!(29), "5000.01", check.clone()),
            (json!("3"), "7000", check),
            (json!(30), "6000", vec![]),
            (json!(10), "5000", vec![]),
            (json!(400), "90000", vec![]),
        ] {
            let s = invoice(
                amount,
                "KES",
                json!({ "customer_age_days": age }),
                vec![line(Some("B"))],
            );
            assert_eq!(kinds(NEW_CUSTOMER, &s), want, "age {age} amount {amount}");
        }
        // No age in the facts: the customer is not known to be new, so no check.
        let s = invoice("6000", "KES", json!({}), vec![]);
        assert!(kinds(NEW_CUSTOMER, &s).is_empty());
    }

    #[test]
    fn foreign_currency_needs_a_positive_exchange_rate() {
        for (currency, facts, want) in [
            ("USD", json!({}), vec!["block:the invoice "]),
            (
                "USD",
                json!({ "exchange_rate": "0" }),
                vec!["block:the exchange"],
            ),
            (
                "USD",
                json!({ "exchange_rate": "-1" }),
                vec!["block:the exchange"],
            ),
            ("USD", json!({ "exchange_rate": "129.50" }), vec![]),
            ("USD", json!({ "exchange_rate": 130 }), vec![]),
            ("KES", json!({}), vec![]),
            ("kes", json!({}), vec![]),
        ] {
            let s = invoice("1000", currency, facts.clone(), vec![]);
            assert_eq!(kinds(FOREIGN, &s), want, "{currency} {facts}");
        }
    }

    #[test]
    fn a_line_without_a_tax_code_is_flagged() {
        for (lines, want) in [
            (
                vec![line(Some("B")), line(None)],
                vec!["flag_for_tax_review"],
            ),
            (vec![line(Some(" "))], vec!["flag_for_tax_review"]),
            (vec![line(Some("B")), line(Some("A"))], vec![]),
            (vec![], vec![]),
        ] {
            let n = lines.len();
            let s = invoice("1000", "KES", json!({}), lines);
            assert_eq!(kinds(TAX_CODE, &s), want, "{n} lines");
        }
    }

    #[test]
    fn the_trace_says_which_rows_matched_and_why() {
        let spec = parse(FOREIGN).unwrap();
        let s = invoice("1000", "USD", json!({ "exchange_rate": "0" }), vec![]);
        let ev = evaluate(&[(spec, 3)], &s);
        assert_eq!(ev.outcome, "blocked");
        let table = &ev.trace[0];
        assert_eq!(
            (table.table.as_str(), table.version),
            ("Foreign currency exchange rate", 3)
        );
        let first = &table.rows[0];
        assert!(first.evaluated && !first.matched);
        assert_eq!(first.conditions[0].actual.as_deref(), Some("true"));
        assert!(first.conditions[0].holds);
        assert_eq!(
            first.conditions[1].condition,
            "facts.exchange_rate is_missing"
        );
        assert_eq!(first.conditions[1].actual.as_deref(), Some("0"));
        assert!(!first.conditions[1].holds);
        let second = &table.rows[1];
        assert!(second.matched);
        assert_eq!(
            second.conditions[1].condition,
            "facts.exchange_rate <= \"0\""
        );

        // hit policy first: a row after the first match is not evaluated.
        let s = invoice("1000", "USD", json!({}), vec![]);
        let ev = evaluate(&[(parse(FOREIGN).unwrap(), 1)], &s);
        assert!(ev.trace[0].rows[0].matched);
        assert!(!ev.trace[0].rows[1].evaluated);
        assert_eq!(ev.actions.len(), 1);

        // any_line names the lines that met it.
        let s = invoice(
            "1000",
            "KES",
            json!({}),
            vec![line(Some("B")), line(None), line(None)],
        );
        let ev = evaluate(&[(parse(TAX_CODE).unwrap(), 1)], &s);
        assert_eq!(
            ev.trace[0].rows[0].conditions[0].actual.as_deref(),
            Some("line 2, 3")
        );
        assert_eq!(ev.actions[0].row_name, "A line has no tax code");
    }

    #[test]
    fn every_condition_is_explained_in_a_sentence() {
        let sentence = |cond: Value, s: &Subject| {
            let spec = parse(
                &json!({
                    "name": "t", "document_type": "sales_invoice",
                    "rows": [{ "name": "r", "when": [cond], "then": [{ "action": "notify", "role": "admin", "message": "m" }] }]
                })
                .to_string(),
            )
            .unwrap();
            evaluate(&[(spec, 1)], s).trace[0].rows[0].conditions[0]
                .sentence
                .clone()
        };
        let s = invoice(
            "12500",
            "KES",
            json!({ "region": "Coast" }),
            vec![line(Some("B")), line(None)],
        );
        for (cond, want) in [
            (
                json!({ "field": "amount", "op": "<=", "value": "25000" }),
                "Amount KES 12,500.00 is at most KES 25,000.00",
            ),
            (
                json!({ "field": "amount", "op": ">", "value": "50000" }),
                "Amount KES 12,500.00 is not more than KES 50,000.00",
            ),
            (
                json!({ "field": "amount", "op": "BETWEEN", "value": ["10000", "20000"] }),
                "Amount KES 12,500.00 is between KES 10,000.00 and KES 20,000.00",
            ),
            (
                json!({ "field": "facts.region", "op": "IN", "value": ["Nairobi", "Kisumu"] }),
                "Fact 'region' 'Coast' is none of 'Nairobi', 'Kisumu'",
            ),
            (
                json!({ "field": "category", "op": "is_missing" }),
                "Category is missing",
            ),
            (
                json!({ "field": "project", "op": "=", "value": "Dam" }),
                "Project is missing, so it is not compared",
            ),
            (
                json!({ "field": "lines", "op": "any_line", "when": [{ "field": "tax_code", "op": "is_missing" }] }),
                "On line 2: tax code is missing",
            ),
        ] {
            assert_eq!(sentence(cond.clone(), &s), want, "{cond}");
        }
    }

    #[test]
    fn operators_between_and_in() {
        let table = |cond: Value| {
            parse(
                &json!({
                    "name": "t", "document_type": "sales_invoice",
                    "rows": [{ "name": "r", "when": [cond], "then": [{ "action": "notify", "role": "admin", "message": "m" }] }]
                })
                .to_string(),
            )
            .unwrap()
        };
        let s = invoice("2500.50", "KES", json!({ "region": "Coast" }), vec![]);
        for (cond, want) in [
            (
                json!({ "field": "amount", "op": "BETWEEN", "value": ["2500.50", "3000"] }),
                true,
            ),
            (
                json!({ "field": "amount", "op": "BETWEEN", "value": ["2500.51", "3000"] }),
                false,
            ),
            (
                json!({ "field": "facts.region", "op": "IN", "value": ["coast", "Nairobi"] }),
                true,
            ),
            (
                json!({ "field": "facts.region", "op": "IN", "value": ["Nairobi"] }),
                false,
            ),
            (
                json!({ "field": "department", "op": "=", "value": "sales" }),
                true,
            ),
            (json!({ "field": "category", "op": "is_missing" }), true),
            (
                json!({ "field": "line_count", "op": ">=", "value": 0 }),
                true,
            ),
            // Text never compares with numbers: a mismatch is false, not an error.
            (
                json!({ "field": "facts.region", "op": ">", "value": 5 }),
                false,
            ),
        ] {
            let ev = evaluate(&[(table(cond.clone()), 1)], &s);
            assert_eq!(!ev.actions.is_empty(), want, "{cond}");
        }
    }

    #[test]
    fn bad_tables_are_refused_with_the_place_named() {
        let bad = |table: Value| parse(&table.to_string()).unwrap_err().to_string();
        let row = |when: Value, then: Value| {
            json!({ "name": "t", "document_type": "sales_invoice",
                    "rows": [{ "name": "r1", "when": when, "then": then }] })
        };
        let notify = json!([{ "action": "notify", "role": "admin", "message": "m" }]);
        let e = bad(row(
            json!([{ "field": "colour", "op": "=", "value": "red" }]),
            notify.clone(),
        ));
        assert!(e.contains("row 1 ('r1')") && e.contains("'colour'"), "{e}");
        let e = bad(row(
            json!([{ "field": "amount", "op": ">", "value": 2.5 }]),
            notify.clone(),
        ));
        assert!(e.contains("fractions as strings"), "{e}");
        let e = bad(row(
            json!([{ "field": "amount", "op": "LIKE", "value": "1" }]),
            notify.clone(),
        ));
        assert!(e.contains("LIKE"), "{e}");
        let e = bad(row(
            json!([]),
            json!([{ "action": "run_script", "code": "rm -rf" }]),
        ));
        assert!(e.contains("run_script"), "{e}");
        let e = bad(row(
            json!([]),
            json!([{ "action": "block", "reason": "x", "extra": 1 }]),
        ));
        assert!(e.contains("extra"), "{e}");
        let e = bad(row(
            json!([]),
            json!([{ "action": "set_field", "field": "amount", "value": "1" }]),
        ));
        assert!(e.contains("'amount'"), "{e}");
        let e = bad(row(
            json!([{ "field": "lines", "op": "any_line", "when": [{ "field": "amount", "op": "is_missing" }] }]),
            notify.clone(),
        ));
        assert!(e.contains("'amount'") && e.contains("tax_code"), "{e}");
        let e = bad(row(json!([]), json!([])));
        assert!(e.contains("no actions"), "{e}");
        let e = bad(row(
            json!([]),
            json!([{ "action": "require_approval", "level_name": "X" }]),
        ));
        assert!(e.contains("at least one of roles"), "{e}");
    }
}
