//! Wire types of the approval engine: what its services accept and return, what `hesabu --json`
//! prints and what the UI will receive. Amounts are decimal strings; ids and timestamps are text.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use hesabu_store::error::ErrorKind;

/// The document types and statuses are the documents layer's; the approval engine speaks them.
pub use crate::documents::{DocumentStatus, DocumentType};

/// One line of a new document.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct NewDocumentLine {
    pub description: String,
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub quantity: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub unit_price: Decimal,
    #[serde(default)]
    pub tax_code: Option<String>,
}

/// A document to create as a draft. The requester is whoever creates it.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct NewDocument {
    pub doc_type: DocumentType,
    pub title: String,
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub amount: Decimal,
    /// Defaults to the company's base currency (KES).
    pub currency: Option<String>,
    /// Department name; defaults to the requester's department.
    pub department: Option<String>,
    pub category: Option<String>,
    pub project: Option<String>,
    /// Free-form facts that policy conditions can test (`facts.<key>`).
    #[ts(type = "Record<string, unknown> | null")]
    pub facts: Option<Value>,
    pub lines: Vec<NewDocumentLine>,
}

/// A correction of a draft, or of a document returned or sent back for clarification, before it
/// is (re)submitted. Each field left out (`null`) stays as it is; an empty department, category
/// or project clears it (an empty department means the requester's own, as at creation).
/// `lines`, when given, replace every line.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
pub struct DocumentEdit {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    #[ts(type = "string | null")]
    pub amount: Option<Decimal>,
    #[serde(default)]
    pub department: Option<String>,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub project: Option<String>,
    #[serde(default)]
    #[ts(type = "Record<string, unknown> | null")]
    pub facts: Option<Value>,
    #[serde(default)]
    pub lines: Option<Vec<NewDocumentLine>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct DocumentLineView {
    #[ts(type = "number")]
    pub position: i64,
    pub description: String,
    pub quantity: String,
    pub unit_price: String,
    pub tax_code: Option<String>,
}

/// A document with its current approval request.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct DocumentView {
    pub id: String,
    pub doc_type: DocumentType,
    pub number: String,
    pub title: String,
    pub requester_email: String,
    pub requester_name: String,
    pub department: Option<String>,
    pub amount: String,
    pub currency: String,
    pub category: Option<String>,
    pub project: Option<String>,
    #[ts(type = "Record<string, unknown>")]
    pub facts: Value,
    pub status: DocumentStatus,
    pub lines: Vec<DocumentLineView>,
    pub current_request: Option<RequestView>,
    pub created_at: String,
    pub updated_at: String,
    /// What the budget said at the last submission: within_budget | over_budget | escalated |
    /// no_budget. Absent before the first submission.
    pub budget_status: Option<String>,
    /// In words, e.g. "exceeds budget Operations FY2026 by KES 5,000.00".
    pub budget_note: Option<String>,
}

/// One submission round of a document through its approval chain.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct RequestView {
    pub id: String,
    #[ts(type = "number")]
    pub round: i64,
    /// pending | approved | rejected | returned | clarification_requested | recalled | cancelled
    pub status: String,
    pub policy_name: String,
    #[ts(type = "number")]
    pub policy_version: i64,
    pub matched_rule: String,
    /// Why this rule matched, in words.
    pub explain: String,
    pub steps: Vec<StepView>,
}

/// One approver's place in the chain.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct StepView {
    pub id: String,
    #[ts(type = "number")]
    pub level: i64,
    pub level_name: String,
    /// serial | parallel | any_one
    pub mode: String,
    pub approver_email: String,
    pub approver_name: String,
    /// Who the step is with now (a delegate or an escalation target), if not the approver.
    pub acting_email: String,
    pub acting_name: String,
    /// waiting | pending | approved | rejected | returned | clarification_requested | skipped |
    /// cancelled
    pub status: String,
    /// escalated | delegated, on a pending step that moved.
    pub marker: Option<String>,
    pub due_at: Option<String>,
    pub decided_by_email: Option<String>,
    pub decided_at: Option<String>,
    pub comment: Option<String>,
    pub sla_met: Option<bool>,
    /// "Why is this with me?"
    pub why: String,
    #[ts(type = "number")]
    pub version: i64,
}

/// A step waiting for the signed-in user.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct InboxItem {
    pub request_id: String,
    pub step_id: String,
    pub document_id: String,
    pub document_number: String,
    pub doc_type: DocumentType,
    pub title: String,
    pub requester_name: String,
    pub amount: String,
    pub currency: String,
    #[ts(type = "number")]
    pub level: i64,
    pub level_name: String,
    pub due_at: Option<String>,
    pub overdue: bool,
    pub marker: Option<String>,
    /// The approver this is with you on behalf of (a delegation or escalation).
    pub on_behalf_of: Option<String>,
    pub why: String,
    /// Pass back as `expected_version` so a stale screen cannot decide twice.
    #[ts(type = "number")]
    pub version: i64,
}

/// What an approver does with a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    /// Needs a reason.
    Reject,
    /// Return for revision; needs a comment.
    Return,
    /// Request clarification; needs the question.
    Clarify,
    /// Hand this step to a named user.
    Delegate,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Approve => "approve",
            Decision::Reject => "reject",
            Decision::Return => "return",
            Decision::Clarify => "clarify",
            Decision::Delegate => "delegate",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ActionInput {
    pub decision: Decision,
    pub comment: Option<String>,
    /// For [`Decision::Delegate`]: the user's email.
    pub delegate_to: Option<String>,
    /// The step version the approver saw; a different stored version means someone else acted.
    #[ts(type = "number | null")]
    pub expected_version: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ActionResult {
    pub request_id: String,
    pub step_id: String,
    pub document_id: String,
    pub decision: Decision,
    pub document_status: DocumentStatus,
    pub request_status: String,
    /// The level now pending, if the chain moved on.
    #[ts(type = "number | null")]
    pub pending_level: Option<i64>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct BulkFailure {
    pub request_id: String,
    pub kind: ErrorKind,
    pub message: String,
}

/// Bulk approve: every item decided (or refused) on its own.
#[derive(Debug, Clone, Serialize, TS)]
pub struct BulkResult {
    pub succeeded: Vec<ActionResult>,
    pub failed: Vec<BulkFailure>,
}

/// One line of a document's approval history.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct HistoryEntry {
    pub at: String,
    /// What happened, as stored: `created`, `edited`, `submitted`, `approve`, `reject`,
    /// `return`, `clarify`, `escalated`, `escalation_notice`, … (for code to branch on).
    pub action: String,
    /// The same in words for people: "approved", "returned for revision", "escalated".
    pub action_label: String,
    pub actor_name: String,
    pub actor_email: Option<String>,
    pub on_behalf_of_name: Option<String>,
    #[ts(type = "number | null")]
    pub level: Option<i64>,
    /// The level's name in the policy ("Reporting manager"), when the entry is about a level.
    pub level_name: Option<String>,
    pub comment: Option<String>,
    pub sla_met: Option<bool>,
    /// "Jane Doe on behalf of John Kamau: approved (level 1, Reporting manager)".
    pub text: String,
}

/// A delegation to create. Dates are `YYYY-MM-DD` (midnight in the company's time zone) or
/// RFC 3339; the period is half-open: from inclusive, until exclusive.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct NewDelegation {
    pub to_email: String,
    pub valid_from: String,
    pub valid_until: String,
    pub doc_types: Option<Vec<DocumentType>>,
    /// Department names.
    pub departments: Option<Vec<String>>,
    #[serde(with = "rust_decimal::serde::str_option")]
    #[ts(type = "string | null")]
    pub max_amount: Option<Decimal>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct DelegationView {
    pub id: String,
    pub delegator_email: String,
    pub delegator_name: String,
    pub delegate_email: String,
    pub delegate_name: String,
    pub valid_from: String,
    pub valid_until: String,
    pub doc_types: Option<Vec<DocumentType>>,
    pub departments: Option<Vec<String>>,
    pub max_amount: Option<String>,
    pub revoked_at: Option<String>,
    /// active | scheduled | expired | revoked, as of now.
    pub state: String,
    /// Open steps moved to the delegate when it was created.
    #[ts(type = "number")]
    pub rerouted_steps: i64,
}

/// An imported policy version.
#[derive(Debug, Clone, Serialize, TS)]
pub struct PolicyView {
    pub id: String,
    pub name: String,
    #[ts(type = "number")]
    pub version: i64,
    pub document_types: Vec<DocumentType>,
    /// The types for which this version is the one new submissions use.
    pub active_for: Vec<DocumentType>,
    #[ts(type = "number")]
    pub levels: i64,
    #[ts(type = "number")]
    pub rules: i64,
    pub imported_at: String,
    pub spec: super::policy_format::PolicySpec,
}

/// The validator's verdict on a policy file.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct PolicyValidation {
    pub ok: bool,
    /// Each names the band or level and the fix.
    pub errors: Vec<String>,
    /// The same messages, each with the level or rule it is about (for showing them inline in
    /// the policy editor); both `None` for policy-wide problems.
    pub issues: Vec<PolicyIssue>,
}

/// One validator message and where it belongs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PolicyIssue {
    /// 1-based level number, when the message is about a level.
    pub level: Option<u8>,
    /// 0-based index into `rules`, when the message is about a rule or amount band.
    pub rule: Option<u32>,
    pub message: String,
}

/// Share of approval decisions made within their SLA over a recent window.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct SlaCompliance {
    /// The window, in days back from now.
    pub days: u32,
    /// `company` (everyone's decisions, for those who may view every document) or `mine`
    /// (the steps the signed-in user decided).
    pub scope: String,
    /// Decided steps in the window that have an SLA verdict.
    #[ts(type = "number")]
    pub decided: i64,
    /// Of those, decided by their due time.
    #[ts(type = "number")]
    pub met: i64,
    /// `met / decided` as a percentage with one decimal ("87.5"); `None` when nothing was decided.
    pub percent: Option<String>,
}

/// What one run of the scheduled approval jobs did.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct JobRunReport {
    pub as_of: String,
    #[ts(type = "number")]
    pub reminders: i64,
    #[ts(type = "number")]
    pub escalations: i64,
    #[ts(type = "number")]
    pub auto_approvals: i64,
    /// Steps routed back to their approver because a delegation ended.
    #[ts(type = "number")]
    pub returned_from_delegation: i64,
    /// Steps moved to a delegate because a scheduled delegation started.
    #[ts(type = "number")]
    pub moved_to_delegates: i64,
}

/// The company's work week for SLA business hours.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct WorkWeekView {
    /// Working weekdays, Monday first: `mon`, `tue`, … `sun`.
    pub days: Vec<String>,
    /// `HH:MM`, local time in `time_zone`.
    pub start: String,
    pub end: String,
    /// Business hours per week, e.g. "45" or "42.50".
    pub hours_per_week: String,
    pub time_zone: String,
}

/// A new work week: weekday names (`mon` … `sun` or full names; comma-separated items are split)
/// and the working hours `HH:MM`–`HH:MM` of each working day.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct WorkWeekUpdate {
    pub days: Vec<String>,
    pub start: String,
    pub end: String,
}
