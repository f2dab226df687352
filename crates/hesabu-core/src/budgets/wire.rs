//! Budget wire types: what the budget services return and accept across the core's boundary
//! (CLI `--json`, Tauri commands, the approval engine). Amounts are decimal strings.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What happens when a request would take a budget past what is available.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Enforcement {
    /// Refuse the submission.
    HardBlock,
    /// Let it through, flagged "exceeds budget …".
    SoftWarning,
    /// Let it through, with the executive level added to its approval chain.
    Escalate,
    /// Reserve nothing and send it to a finance manager, who decides; the final approval
    /// reserves and commits in one step (past zero when funds are still short).
    RouteToFinance,
}

impl Enforcement {
    pub const ALL: [Enforcement; 4] = [
        Enforcement::HardBlock,
        Enforcement::SoftWarning,
        Enforcement::Escalate,
        Enforcement::RouteToFinance,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Enforcement::HardBlock => "HARD_BLOCK",
            Enforcement::SoftWarning => "SOFT_WARNING",
            Enforcement::Escalate => "ESCALATE",
            Enforcement::RouteToFinance => "ROUTE_TO_FINANCE",
        }
    }

    pub fn parse(text: &str) -> hesabu_store::Result<Self> {
        let t = text.trim().to_uppercase().replace([' ', '-'], "_");
        Enforcement::ALL
            .into_iter()
            .find(|e| e.as_str() == t)
            .ok_or_else(|| {
                hesabu_store::Error::invalid(format!(
                    "Enforcement '{text}' is not known: use HARD_BLOCK, SOFT_WARNING, ESCALATE or \
                     ROUTE_TO_FINANCE."
                ))
            })
    }
}

/// The enforcement decision for one reservation, for the approval engine to act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EnforcementDecision {
    /// The budget can carry it.
    WithinBudget,
    /// HARD_BLOCK and the funds are short: refuse the submission. Nothing was reserved.
    Refused { reason: String },
    /// SOFT_WARNING and over budget: reserved; flag the document with `flag`.
    Flagged { flag: String },
    /// ESCALATE and over budget: reserved; add the executive level with `reason`.
    Escalate { reason: String },
    /// ROUTE_TO_FINANCE and the funds are short: nothing was reserved; send the document to a
    /// finance manager (`reason` says what was short).
    RouteToFinance { reason: String },
}

/// A budget with its balance.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct BudgetView {
    pub id: String,
    pub department: String,
    pub category: Option<String>,
    pub project: Option<String>,
    pub period: String,
    pub period_start: String,
    pub period_end: String,
    pub currency: String,
    pub enforcement: Enforcement,
    #[serde(with = "rust_decimal::serde::str_option")]
    #[ts(type = "string | null")]
    pub auto_approve_threshold: Option<Decimal>,
    pub parent_id: Option<String>,
    pub status: String,
    pub balance: BalanceView,
    pub updated_at: String,
}

/// The materialised balance. `budgeted = available + reserved + committed + spent`, always.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct BalanceView {
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub budgeted: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub available: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub reserved: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub committed: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub spent: Decimal,
}

/// One immutable ledger entry.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct LedgerEntryView {
    pub id: String,
    pub budget_id: String,
    #[ts(type = "number")]
    pub seq: i64,
    /// budget | adjust | reserve | commit | release | spend | release_commitment
    /// (`export::entry_label` says them in words).
    pub kind: String,
    pub request_id: Option<String>,
    /// The document's number when the request is a document (PO-000012).
    pub document_number: Option<String>,
    pub reservation_id: Option<String>,
    /// For releases: reject | cancel | return.
    pub action: Option<String>,
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub amount: Decimal,
    pub is_override: bool,
    pub reason: Option<String>,
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub available_after: Decimal,
    pub actor_email: String,
    /// Who made the entry, as people read it: the user's name, [`SYSTEM_NAME`] for scheduled
    /// work, the email when the user is no longer in the file.
    pub actor_name: String,
    pub at: String,
}

/// How the system (scheduled jobs, the outbox worker) is named where a person's name would be.
pub const SYSTEM_NAME: &str = "Hesabu (scheduled work)";

/// Which budget checks to list (`budgets::checks::list`), newest first.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
pub struct BudgetCheckQuery {
    /// Only checks that found this budget.
    pub budget_id: Option<String>,
    /// Only checks for this request: a document's number (PO-000012) or a request id as typed.
    pub request_id: Option<String>,
    /// At most this many (default 50, at most 500).
    #[ts(type = "number | null")]
    pub limit: Option<u32>,
}

/// What a budget check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum CheckOutcome {
    /// The budget could carry the amount.
    Available,
    /// A budget covers it, but not enough of it is available.
    NotEnough,
    /// No budget covers the department and period.
    NoBudget,
}

impl CheckOutcome {
    /// The words the CLI and the desktop show.
    pub fn words(self) -> &'static str {
        match self {
            CheckOutcome::Available => "Available",
            CheckOutcome::NotEnough => "Not enough",
            CheckOutcome::NoBudget => "No budget",
        }
    }
}

/// One entry of the budget check log, for people: who asked (by name), about which document.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct BudgetCheckView {
    pub id: String,
    pub checked_at: String,
    /// The request id as given (a document's id when the approval engine checked).
    pub request_id: Option<String>,
    /// The document's number when the request is a document (PO-000012).
    pub document_number: Option<String>,
    pub department: String,
    pub period: String,
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub amount: Decimal,
    /// The covering budget's currency; `None` when no budget covered it.
    pub currency: Option<String>,
    pub outcome: CheckOutcome,
    pub can_auto_approve: bool,
    /// The check's answer in words ("Insufficient budget. Available: …").
    pub reason: String,
    pub budget_id: Option<String>,
    /// Who asked: their name ([`SYSTEM_NAME`] for scheduled work).
    pub asked_by: String,
    pub asked_by_email: String,
    pub purpose: Option<String>,
}

/// A budget check, like the seed's Budget Check API. The user is the signed-in user.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct BudgetCheckInput {
    pub request_id: Option<String>,
    /// The department's name.
    pub department: String,
    /// FY2026, 2026-Q1 or 2026-03.
    pub period: String,
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub amount: Decimal,
    pub vendor: Option<String>,
    pub purpose: Option<String>,
    pub category: Option<String>,
    pub project: Option<String>,
}

/// The answer to a budget check. No budget found is `available: false`, not an error.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct BudgetCheckResult {
    /// The check log entry.
    pub id: String,
    pub request_id: Option<String>,
    pub available: bool,
    pub can_auto_approve: bool,
    pub reason: String,
    pub budget_id: Option<String>,
    pub department: String,
    pub period: String,
    pub currency: Option<String>,
    pub enforcement: Option<Enforcement>,
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub requested: Decimal,
    #[serde(with = "rust_decimal::serde::str_option")]
    #[ts(type = "string | null")]
    pub budgeted: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str_option")]
    #[ts(type = "string | null")]
    pub available_amount: Option<Decimal>,
    pub checked_at: String,
}

/// The release actions of the approval lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseAction {
    Reject,
    Cancel,
    Return,
}

impl ReleaseAction {
    pub fn as_str(self) -> &'static str {
        match self {
            ReleaseAction::Reject => "reject",
            ReleaseAction::Cancel => "cancel",
            ReleaseAction::Return => "return",
        }
    }

    pub fn parse(text: &str) -> hesabu_store::Result<Self> {
        match text.trim().to_lowercase().as_str() {
            "reject" => Ok(ReleaseAction::Reject),
            "cancel" => Ok(ReleaseAction::Cancel),
            "return" => Ok(ReleaseAction::Return),
            _ => Err(hesabu_store::Error::invalid(format!(
                "Release action '{text}' is not known: use reject, cancel or return."
            ))),
        }
    }
}

/// The result of a reserve, commit, release or spend.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct LedgerOutcome {
    /// The ledger entry written (absent when a HARD_BLOCK refusal wrote nothing).
    pub id: Option<String>,
    pub budget_id: String,
    pub request_id: String,
    pub reservation_id: Option<String>,
    pub currency: String,
    pub decision: EnforcementDecision,
    pub balance: BalanceView,
    /// What the document still holds on this budget after the operation.
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub held: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub committed: Decimal,
}

/// One row of an import that could not be used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ImportRowError {
    /// 1-based line (CSV) or row (XLSX) number, the header being line 1.
    #[ts(type = "number")]
    pub line: i64,
    pub message: String,
}

/// One import run, as kept in the sync history.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct SyncRunView {
    pub id: String,
    pub started_at: String,
    pub finished_at: String,
    #[ts(type = "number")]
    pub duration_ms: i64,
    pub source: String,
    pub format: String,
    /// ok | partial (rows skipped with --skip-invalid) | failed (nothing imported)
    pub status: String,
    #[ts(type = "number")]
    pub rows_read: i64,
    #[ts(type = "number")]
    pub created: i64,
    #[ts(type = "number")]
    pub updated: i64,
    #[ts(type = "number")]
    pub unchanged: i64,
    #[ts(type = "number")]
    pub soft_deleted: i64,
    #[ts(type = "number")]
    pub skipped: i64,
    pub errors: Vec<ImportRowError>,
    /// What the run noticed without refusing anything: spreadsheet float noise rounded, cells
    /// that start like a formula (kept as text), budgets left active because the run was not
    /// asked to archive what the file leaves out.
    #[serde(default)]
    pub warnings: Vec<ImportRowError>,
    /// Every active budget the file leaves out ("Operations 2026-Q1 Fuel"), on the run just
    /// made or previewed: archived when `soft_deleted` counts them, otherwise left active. Runs
    /// read back from the history do not keep the list (their warning names the first ten).
    #[serde(default)]
    pub missing_from_file: Vec<String>,
    pub actor_email: String,
}

/// Utilisation and variance of one budget. `used = reserved + committed + spent`;
/// `percent_used = used / budgeted × 100` (one decimal); `variance = budgeted − spent`.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct UtilisationRow {
    pub budget_id: String,
    pub department: String,
    pub period: String,
    pub category: Option<String>,
    pub project: Option<String>,
    pub currency: String,
    pub enforcement: Enforcement,
    pub balance: BalanceView,
    #[serde(with = "rust_decimal::serde::str_option")]
    #[ts(type = "string | null")]
    pub percent_used: Option<Decimal>,
    /// reserved / budgeted × 100, one decimal (for stacked utilisation bars).
    #[serde(with = "rust_decimal::serde::str_option")]
    #[ts(type = "string | null")]
    pub percent_reserved: Option<Decimal>,
    /// committed / budgeted × 100, one decimal.
    #[serde(with = "rust_decimal::serde::str_option")]
    #[ts(type = "string | null")]
    pub percent_committed: Option<Decimal>,
    /// spent / budgeted × 100, one decimal.
    #[serde(with = "rust_decimal::serde::str_option")]
    #[ts(type = "string | null")]
    pub percent_spent: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub variance: Decimal,
    #[serde(with = "rust_decimal::serde::str_option")]
    #[ts(type = "string | null")]
    pub variance_percent: Option<Decimal>,
    pub over_budget: bool,
}

/// How often checks found funds, over the report's period.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct CheckStats {
    #[ts(type = "number")]
    pub checks: i64,
    #[ts(type = "number")]
    pub available: i64,
    #[ts(type = "number")]
    pub no_budget: i64,
    /// available / checks × 100, one decimal; null when there were no checks.
    #[serde(with = "rust_decimal::serde::str_option")]
    #[ts(type = "string | null")]
    pub success_rate_percent: Option<Decimal>,
}

/// `budget report`: utilisation per budget plus check statistics.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct BudgetReport {
    pub period: Option<String>,
    pub rows: Vec<UtilisationRow>,
    pub checks: CheckStats,
}

/// Where an import run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ImportStage {
    /// The file is being read (no row count yet).
    Reading,
    /// Rows are being checked; `total` is the number of data rows read.
    Validating,
    /// Budgets are being created, updated or left alone; `total` is the number of valid rows.
    Writing,
    /// The run is recorded (its counts are in the returned [`SyncRunView`]).
    Done,
}

/// A progress report from a running import, sent every few hundred rows (see
/// `import::PROGRESS_EVERY`) and at each stage's start and end. The desktop forwards them to the
/// window as `budget-import-progress` events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ImportProgress {
    pub stage: ImportStage,
    #[ts(type = "number")]
    pub done: i64,
    #[ts(type = "number")]
    pub total: i64,
}

/// Release committed money of an approved document that will not be paid (the order fell
/// through). Never more than the document has committed on that budget.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ReleaseCommitmentInput {
    pub budget_id: String,
    pub request_id: String,
    /// `None` releases everything still committed.
    #[serde(with = "rust_decimal::serde::str_option")]
    #[ts(type = "string | null")]
    pub amount: Option<Decimal>,
    pub reason: String,
}

/// One month of the fiscal-year utilisation chart: cumulative figures at the end of the month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct MonthUtilisation {
    /// `2026-07`.
    pub month: String,
    /// The budget planned up to the end of this month: each budget's current amount spread
    /// evenly over the months of its period (largest-remainder cents), summed cumulatively.
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub budgeted: Decimal,
    /// Held in reserve at the end of the month (from ledger entry timestamps).
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub reserved: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub committed: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub spent: Decimal,
    /// reserved + committed + spent.
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub used: Decimal,
    /// The month starts after today: its figures are the plan only (used stays as of today).
    pub future: bool,
}

/// Utilisation over one fiscal year, month by month, for one currency.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct FiscalYearUtilisation {
    /// `FY2026`.
    pub fiscal_year: String,
    pub currency: String,
    /// The department filter, when one was given.
    pub department: Option<String>,
    /// How many budgets the figures add up.
    #[ts(type = "number")]
    pub budgets: i64,
    pub months: Vec<MonthUtilisation>,
}
