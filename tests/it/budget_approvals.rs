//! Budgets wired into approvals: submit reserves, final approval commits, reject / cancel /
//! return / recall / clarification release exactly what the document holds, and the budget's
//! enforcement mode decides what an over-budget submission does. Scenarios are data: a budget
//! mode, a list of steps, and after each the document's status and the budget's balance (the
//! invariant budgeted = available + reserved + committed + spent is checked every time).
//!
//! The company, built here:
//!
//! | short | role            | department | manager | also                 |
//! |-------|-----------------|------------|---------|----------------------|
//! | md    | approver        | Executive  | —       | designated executive |
//! | cfo   | finance_manager | Finance    | md      |                      |
//! | mgr   | approver        | Operations | md      |                      |
//! | clerk | employee        | Operations | mgr     | the usual requester  |
//! | lead  | employee        | Operations | mgr     | no budget commit/release-any permission |
//! | junior| employee        | Operations | lead    | lead's report        |
//!
//! Policy: the reporting manager approves; over 100,000 a finance manager too; the executive
//! level (3) only over 1,000,000, so below that only ESCALATE brings it in. Operations has a
//! 50,000 KES budget for FY2026 (calendar fiscal year); the clock is 2026-07-01, so the
//! submission month 2026-07 falls back to it.

use std::path::PathBuf;
use std::sync::Arc;

use hesabu_core::approvals::wire::{ActionInput, Decision, DocumentStatus, NewDocument};
use hesabu_core::approvals::{actions, documents, jobs, org, policy_service};
use hesabu_core::budgets::{self, Enforcement, NewBudget};
use hesabu_core::users::NewUser;
use hesabu_store::ErrorKind;
use hesabu_store::auth::Session;
use hesabu_store::clock::SettableClock;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::money::Currency;
use hesabu_store::permissions::{Permission, Role};
use rust_decimal::Decimal;

use crate::support;

const PASSWORD: &str = "user-pass-1";
const POLICY: &str = r#"{
  "name": "Manager, finance over 100,000",
  "document_types": ["purchase_order"],
  "currency": "KES",
  "levels": [
    {"name": "Manager", "approvers": [{"type": "reporting_manager"}], "auto_approve_after_days": 5},
    {"name": "Finance manager", "approvers": [{"type": "role", "role": "finance_manager"}], "mode": "any_one"},
    {"name": "Executive", "approvers": [{"type": "designation", "designation": "executive"}], "mode": "any_one"}
  ],
  "rules": [
    {"name": "Up to 100,000", "when": [{"field": "amount", "op": "<=", "value": 100000}], "levels": [1]},
    {"name": "Over 100,000", "when": [{"field": "amount", "op": ">", "value": 100000}, {"field": "amount", "op": "<=", "value": 1000000}], "levels": [1, 2]},
    {"name": "Over 1,000,000", "when": [{"field": "amount", "op": ">", "value": 1000000}], "levels": [1, 2, 3]}
  ]
}"#;

/// One step of a scenario.
#[derive(Debug, Clone, Copy)]
enum S {
    /// The clerk drafts a purchase order: amount, category.
    Create(i64, Option<&'static str>),
    Submit,
    Resubmit,
    Recall,
    Cancel,
    /// Submission must fail with this kind, its message containing every text; nothing written.
    SubmitRefused(ErrorKind, &'static [&'static str]),
    Act(&'static str, Decision),
    /// Document status and the budget's (available, reserved, committed).
    Expect(DocumentStatus, i64, i64, i64),
    /// The same for the Fuel category line.
    ExpectFuel(i64, i64, i64),
    /// The document's budget status and a text its note contains.
    Flag(&'static str, &'static str),
    /// Every open step of the current request: (level, approver), and a text each step of the
    /// last level's "why" contains.
    Chain(&'static [(i64, &'static str)], &'static str),
    /// The last commit on the budget: override or not.
    Override(bool),
    /// Days pass and the jobs run: this many auto-approvals.
    Jobs(i64, i64),
    /// Who the budget's last commit is attributed to.
    CommitBy(&'static str),
    /// The budget's last commit's ledger reason contains this text.
    CommitReason(&'static str),
    /// The admin deactivates someone.
    Deactivate(&'static str),
    /// The document is in this person's inbox and "why is this with me" contains the text.
    Inbox(&'static str, &'static str),
    /// This person releases, by hand, everything the document holds on the Operations budget
    /// (action cancel): refused with this kind and every text (nothing written), or done.
    Release(&'static str, Option<ErrorKind>, &'static [&'static str]),
    /// The admin imports a file setting the Operations budget to this amount (same mode).
    Rebudget(i64),
}

use Decision::{Approve as A, Clarify as Q, Reject as R, Return as Ret};
use DocumentStatus::{
    Approved, Cancelled, ClarificationRequested, Draft, PendingApproval as Pending, Rejected,
    Returned,
};
use S::*;

struct World {
    _dir: tempfile::TempDir,
    path: PathBuf,
    file: CompanyFile,
    admin: Session,
    budget: String,
    fuel: Option<String>,
    doc: Option<String>,
    clock: Arc<SettableClock>,
    /// Who creates and submits (short name).
    requester: &'static str,
    /// The Operations budget's enforcement mode and currency.
    mode: Enforcement,
    currency: String,
}

fn d(n: i64) -> Decimal {
    Decimal::from(n)
}

fn email(short: &str) -> String {
    format!("{short}@acme.test")
}

impl World {
    /// A company with `mode` on the Operations budget (in `currency`), and optionally a 10,000
    /// HARD_BLOCK Fuel line for Operations.
    async fn new(mode: Enforcement, currency: &str, fuel: bool) -> Self {
        Self::build(mode, currency, fuel, None).await
    }

    /// [`World::new`] with an auto-approve threshold on the Operations budget.
    async fn build(mode: Enforcement, currency: &str, fuel: bool, threshold: Option<i64>) -> Self {
        let (dir, file, admin) = support::company().await;
        for dept in ["Executive", "Finance", "Operations"] {
            hesabu_core::departments::add(&file, &admin, dept)
                .await
                .unwrap();
        }
        let people = [
            ("md", Role::Approver, "Executive", None),
            ("cfo", Role::FinanceManager, "Finance", Some("md")),
            ("mgr", Role::Approver, "Operations", Some("md")),
            ("clerk", Role::Employee, "Operations", Some("mgr")),
            ("lead", Role::Employee, "Operations", Some("mgr")),
            ("junior", Role::Employee, "Operations", Some("lead")),
        ];
        for (short, role, dept, manager) in people {
            hesabu_core::users::add(
                &file,
                &admin,
                &NewUser {
                    email: email(short),
                    name: format!("{short} person"),
                    role,
                    manager_email: manager.map(email),
                    department: Some(dept.into()),
                    password: PASSWORD.into(),
                },
            )
            .await
            .unwrap();
        }
        org::designate(&file, &admin, &email("md"), "executive")
            .await
            .unwrap();
        policy_service::import(&file, &admin, &policy_service::parse(POLICY).unwrap())
            .await
            .unwrap();
        let new = |amount: i64, mode, category: Option<&str>, currency: &str| NewBudget {
            department: "Operations".into(),
            period: "FY2026".into(),
            amount: d(amount),
            currency: currency.parse::<Currency>().unwrap(),
            enforcement: mode,
            auto_approve_threshold: None,
            category: category.map(str::to_owned),
            project: None,
        };
        let operations = NewBudget {
            auto_approve_threshold: threshold.map(d),
            ..new(50_000, mode, None, currency)
        };
        let budget = budgets::create(&file, &admin, &operations)
            .await
            .unwrap()
            .id;
        let fuel = if fuel {
            let b = new(10_000, Enforcement::HardBlock, Some("Fuel"), currency);
            Some(budgets::create(&file, &admin, &b).await.unwrap().id)
        } else {
            None
        };
        // Reopened with a clock the scenario can move (the scheduled jobs read the file's clock).
        let path = file.path().to_path_buf();
        file.close().await.unwrap();
        let clock = support::clock();
        let file = hesabu_app::open_company_file(&path, clock.clone())
            .await
            .unwrap();
        let admin = hesabu_store::auth::login(&file, support::ADMIN_EMAIL, support::ADMIN_PASSWORD)
            .await
            .unwrap();
        Self {
            path,
            _dir: dir,
            file,
            admin,
            budget,
            fuel,
            doc: None,
            clock,
            requester: "clerk",
            mode,
            currency: currency.to_owned(),
        }
    }

    async fn who(&self, short: &str) -> Session {
        if short == "admin" {
            return self.admin.clone();
        }
        hesabu_store::auth::login(&self.file, &email(short), PASSWORD)
            .await
            .unwrap()
    }

    fn doc(&self) -> String {
        self.doc.clone().expect("the scenario created a document")
    }

    async fn view(&self) -> hesabu_core::approvals::wire::DocumentView {
        documents::show(&self.file, &self.admin, &self.doc())
            .await
            .unwrap()
    }

    async fn balance(&self, id: &str) -> (i64, i64, i64) {
        let b = budgets::get(&self.file, &self.admin, id).await.unwrap();
        assert!(b.balance.holds(), "invariant broken: {:?}", b.balance);
        let n = |x: Decimal| i64::try_from(x).unwrap();
        (
            n(b.balance.available),
            n(b.balance.reserved),
            n(b.balance.committed),
        )
    }

    async fn step(&mut self, at: &str, step: S) {
        let clerk = self.who(self.requester).await;
        match step {
            Create(amount, category) => {
                let doc = documents::create(
                    &self.file,
                    &clerk,
                    &NewDocument {
                        doc_type: hesabu_core::approvals::wire::DocumentType::PurchaseOrder,
                        title: "Generator service".into(),
                        amount: d(amount),
                        currency: None,
                        department: None,
                        category: category.map(str::to_owned),
                        project: None,
                        facts: None,
                        lines: Vec::new(),
                    },
                )
                .await
                .unwrap();
                self.doc = Some(doc.id);
            }
            Submit => {
                documents::submit(&self.file, &clerk, &self.doc())
                    .await
                    .unwrap_or_else(|e| panic!("{at}: {e}"));
            }
            Resubmit => {
                documents::resubmit(&self.file, &clerk, &self.doc(), None)
                    .await
                    .unwrap_or_else(|e| panic!("{at}: {e}"));
            }
            Recall => {
                documents::recall(&self.file, &clerk, &self.doc())
                    .await
                    .unwrap_or_else(|e| panic!("{at}: {e}"));
            }
            Cancel => {
                documents::cancel(&self.file, &clerk, &self.doc())
                    .await
                    .unwrap_or_else(|e| panic!("{at}: {e}"));
            }
            SubmitRefused(kind, texts) => {
                let tables = [
                    "audit_log",
                    "budget_ledger",
                    "budget_check_log",
                    "budget_reservation",
                    "approval_request",
                    "approval_step",
                    "approval_event",
                ];
                let mut before = Vec::new();
                for t in tables {
                    before.push(support::count(&self.path, t).await);
                }
                let e = documents::submit(&self.file, &clerk, &self.doc())
                    .await
                    .expect_err(at);
                assert_eq!(e.kind(), kind, "{at}: {e}");
                for text in texts {
                    assert!(e.to_string().contains(text), "{at}: '{e}' lacks '{text}'");
                }
                for (t, n) in tables.iter().zip(before) {
                    assert_eq!(support::count(&self.path, t).await, n, "{at}: {t} changed");
                }
            }
            Act(who, decision) => {
                let session = self.who(who).await;
                let request = self.view().await.current_request.unwrap().id;
                actions::act(
                    &self.file,
                    &session,
                    &request,
                    &ActionInput {
                        decision,
                        comment: Some("scenario".into()),
                        delegate_to: None,
                        expected_version: None,
                    },
                )
                .await
                .unwrap_or_else(|e| panic!("{at}: {who} {decision:?}: {e}"));
            }
            Expect(status, available, reserved, committed) => {
                assert_eq!(self.view().await.status, status, "{at}");
                assert_eq!(
                    self.balance(&self.budget.clone()).await,
                    (available, reserved, committed),
                    "{at}: (available, reserved, committed)"
                );
            }
            ExpectFuel(available, reserved, committed) => {
                let fuel = self.fuel.clone().unwrap();
                assert_eq!(
                    self.balance(&fuel).await,
                    (available, reserved, committed),
                    "{at}: Fuel (available, reserved, committed)"
                );
            }
            Flag(status, text) => {
                let v = self.view().await;
                assert_eq!(v.budget_status.as_deref(), Some(status), "{at}");
                let note = v.budget_note.unwrap_or_default();
                assert!(note.contains(text), "{at}: note '{note}' lacks '{text}'");
            }
            Chain(expected, why) => {
                let request = self.view().await.current_request.unwrap();
                let mut got: Vec<(i64, String)> = request
                    .steps
                    .iter()
                    .filter(|s| s.status != "cancelled")
                    .map(|s| (s.level, s.approver_email.clone()))
                    .collect();
                got.sort();
                let mut want: Vec<(i64, String)> =
                    expected.iter().map(|(l, s)| (*l, email(s))).collect();
                want.sort();
                assert_eq!(got, want, "{at}: chain");
                let last = want.iter().map(|w| w.0).max().unwrap();
                for s in request.steps.iter().filter(|s| s.level == last) {
                    assert!(s.why.contains(why), "{at}: why '{}' lacks '{why}'", s.why);
                }
            }
            Jobs(days, auto_approvals) => {
                self.clock.advance(chrono::Duration::days(days));
                let report = jobs::run(&self.file, &self.admin).await.unwrap();
                assert_eq!(report.auto_approvals, auto_approvals, "{at}");
            }
            CommitBy(who) => {
                let entries = budgets::history(&self.file, &self.admin, &self.budget)
                    .await
                    .unwrap();
                let commit = entries.iter().rev().find(|e| e.kind == "commit").unwrap();
                assert_eq!(commit.actor_email, who, "{at}");
            }
            CommitReason(text) => {
                let entries = budgets::history(&self.file, &self.admin, &self.budget)
                    .await
                    .unwrap();
                let commit = entries.iter().rev().find(|e| e.kind == "commit").unwrap();
                let reason = commit.reason.clone().unwrap_or_default();
                assert!(
                    reason.contains(text),
                    "{at}: reason '{reason}' lacks '{text}'"
                );
            }
            Deactivate(who) => {
                hesabu_core::approvals::org::deactivate_user(&self.file, &self.admin, &email(who))
                    .await
                    .unwrap();
            }
            Inbox(who, why) => {
                let session = self.who(who).await;
                let items = actions::inbox(&self.file, &session).await.unwrap();
                let item = items
                    .iter()
                    .find(|i| i.document_id == self.doc())
                    .unwrap_or_else(|| panic!("{at}: not in {who}'s inbox"));
                assert!(item.why.contains(why), "{at}: why '{}'", item.why);
            }
            Release(who, refused, texts) => {
                let session = self.who(who).await;
                let tables = ["audit_log", "budget_ledger", "budget_reservation"];
                let mut before = Vec::new();
                for t in tables {
                    before.push(support::count(&self.path, t).await);
                }
                let input = budgets::ReleaseInput {
                    budget_id: self.budget.clone(),
                    request_id: self.doc(),
                    amount: None,
                    action: budgets::ReleaseAction::Cancel,
                    reason: "no longer needed".into(),
                };
                let result = budgets::release(&self.file, &session, &input).await;
                match refused {
                    Some(kind) => {
                        let e = result.expect_err(at);
                        assert_eq!(e.kind(), kind, "{at}: {e}");
                        for text in texts {
                            assert!(e.to_string().contains(text), "{at}: '{e}' lacks '{text}'");
                        }
                        for (t, n) in tables.iter().zip(before) {
                            assert_eq!(support::count(&self.path, t).await, n, "{at}: {t} changed");
                        }
                    }
                    None => {
                        result.unwrap_or_else(|e| panic!("{at}: {e}"));
                    }
                }
            }
            Rebudget(amount) => {
                let csv = self.path.with_file_name(format!("rebudget-{amount}.csv"));
                std::fs::write(
                    &csv,
                    format!(
                        "department,period,amount,currency,enforcement\n\
                         Operations,FY2026,{amount},{},{}\n",
                        self.currency,
                        self.mode.as_str()
                    ),
                )
                .unwrap();
                let run = budgets::import::import_file(
                    &self.file,
                    &self.admin,
                    &csv,
                    budgets::import::ImportOptions::default(),
                )
                .await
                .unwrap_or_else(|e| panic!("{at}: {e}"));
                assert_eq!(
                    (run.status.as_str(), run.updated),
                    ("ok", 1),
                    "{at}: {run:?}"
                );
            }
            Override(expected) => {
                let entries = budgets::history(&self.file, &self.admin, &self.budget)
                    .await
                    .unwrap();
                let commit = entries
                    .iter()
                    .rev()
                    .find(|e| e.kind == "commit")
                    .unwrap_or_else(|| panic!("{at}: no commit"));
                assert_eq!(commit.is_override, expected, "{at}: override");
                assert_eq!(commit.request_id.as_deref(), Some(self.doc().as_str()));
                let reason = commit.reason.clone().unwrap_or_default();
                assert!(reason.contains("via approval"), "{at}: reason '{reason}'");
            }
        }
    }
}

async fn run(name: &str, mode: Enforcement, currency: &str, steps: &[S]) {
    let mut world = World::new(mode, currency, true).await;
    for (i, step) in steps.iter().enumerate() {
        let at = format!("{name} ({mode:?}) step {}: {step:?}", i + 1);
        world.step(&at, *step).await;
    }
    let report = hesabu_store::audit::verify(&world.file, &world.admin)
        .await
        .unwrap();
    assert!(report.ok, "{name}: the audit chain broke");
    let broken = budgets::verify_balances(&world.file, &world.admin)
        .await
        .unwrap();
    assert!(broken.is_empty(), "{name}: {broken:?}");
}

const MODES: [Enforcement; 3] = [
    Enforcement::HardBlock,
    Enforcement::SoftWarning,
    Enforcement::Escalate,
];

/// Within budget, every mode behaves the same: 30,000 of 50,000.
const WITHIN: [(&str, &[S]); 8] = [
    (
        "auto-approved by the scheduled jobs: the system commits",
        &[
            Create(30_000, None),
            Submit,
            Jobs(6, 1),
            Expect(Approved, 20_000, 0, 30_000),
            CommitBy("system"),
            Override(false),
        ],
    ),
    (
        "submit and approve to the end",
        &[
            Create(30_000, None),
            Expect(Draft, 50_000, 0, 0),
            Submit,
            Flag("within_budget", "Within budget Operations FY2026"),
            Expect(Pending, 20_000, 30_000, 0),
            Act("mgr", A),
            Expect(Approved, 20_000, 0, 30_000),
            Override(false),
        ],
    ),
    (
        "reject",
        &[
            Create(30_000, None),
            Submit,
            Act("mgr", R),
            Expect(Rejected, 50_000, 0, 0),
        ],
    ),
    (
        "cancel while pending",
        &[
            Create(30_000, None),
            Submit,
            Cancel,
            Expect(Cancelled, 50_000, 0, 0),
        ],
    ),
    (
        "cancel a draft (nothing held, nothing released)",
        &[
            Create(30_000, None),
            Cancel,
            Expect(Cancelled, 50_000, 0, 0),
        ],
    ),
    (
        "return, resubmit, approve",
        &[
            Create(30_000, None),
            Submit,
            Act("mgr", Ret),
            Expect(Returned, 50_000, 0, 0),
            Resubmit,
            Expect(Pending, 20_000, 30_000, 0),
            Act("mgr", A),
            Expect(Approved, 20_000, 0, 30_000),
        ],
    ),
    (
        "recall, submit again",
        &[
            Create(30_000, None),
            Submit,
            Recall,
            Expect(Draft, 50_000, 0, 0),
            Submit,
            Expect(Pending, 20_000, 30_000, 0),
        ],
    ),
    (
        "clarification releases, resubmit reserves",
        &[
            Create(30_000, None),
            Submit,
            Act("mgr", Q),
            Expect(ClarificationRequested, 50_000, 0, 0),
            Resubmit,
            Expect(Pending, 20_000, 30_000, 0),
            Act("mgr", R),
            Expect(Rejected, 50_000, 0, 0),
        ],
    ),
];

#[tokio::test]
async fn within_budget_every_mode_reserves_commits_and_releases_exactly() {
    for mode in MODES {
        for (name, steps) in WITHIN {
            run(name, mode, "KES", steps).await;
        }
    }
}

/// Over budget (80,000 against 50,000): what each mode does, and what follows.
const OVER: [(&str, Enforcement, &[S]); 11] = [
    (
        "HARD_BLOCK refuses the submission and writes nothing",
        Enforcement::HardBlock,
        &[
            Create(80_000, None),
            SubmitRefused(
                ErrorKind::Conflict,
                &[
                    "Not enough budget: Operations FY2026 has KES 50,000.00 available, this \
                     request needs KES 80,000.00. Ask finance to move budget, or lower the amount.",
                ],
            ),
            Expect(Draft, 50_000, 0, 0),
        ],
    ),
    (
        "HARD_BLOCK: a draft that fits after another is rejected",
        Enforcement::HardBlock,
        &[
            Create(50_000, None),
            Submit,
            Expect(Pending, 0, 50_000, 0),
            Act("mgr", R),
            Expect(Rejected, 50_000, 0, 0),
            Create(50_000, None),
            Submit,
            Expect(Pending, 0, 50_000, 0),
        ],
    ),
    (
        "SOFT_WARNING flags and continues; an approver's approval is no override",
        Enforcement::SoftWarning,
        &[
            Create(80_000, None),
            Submit,
            Flag(
                "over_budget",
                "Exceeds budget Operations FY2026 by KES 30,000.00",
            ),
            Expect(Pending, -30_000, 80_000, 0),
            Act("mgr", A),
            Expect(Approved, -30_000, 0, 80_000),
            Override(false),
        ],
    ),
    (
        "SOFT_WARNING over budget approved by the finance manager is an override",
        Enforcement::SoftWarning,
        &[
            Create(150_000, None),
            Submit,
            Flag("over_budget", "by KES 100,000.00"),
            Expect(Pending, -100_000, 150_000, 0),
            Act("mgr", A),
            Expect(Pending, -100_000, 150_000, 0),
            Act("cfo", A),
            Expect(Approved, -100_000, 0, 150_000),
            Override(true),
        ],
    ),
    (
        "SOFT_WARNING: return and resubmit flag again; cancel releases",
        Enforcement::SoftWarning,
        &[
            Create(80_000, None),
            Submit,
            Act("mgr", Ret),
            Expect(Returned, 50_000, 0, 0),
            Resubmit,
            Flag("over_budget", "budget Operations FY2026 by KES 30,000.00"),
            Expect(Pending, -30_000, 80_000, 0),
            Cancel,
            Expect(Cancelled, 50_000, 0, 0),
        ],
    ),
    (
        "ESCALATE adds the executive level with the reason",
        Enforcement::Escalate,
        &[
            Create(80_000, None),
            Submit,
            Flag("escalated", "Budget exceeded - requires executive approval"),
            Chain(
                &[(1, "mgr"), (3, "md")],
                "Budget exceeded - requires executive approval (budget Operations FY2026, \
                 available KES 50,000.00, requested KES 80,000.00)",
            ),
            Expect(Pending, -30_000, 80_000, 0),
            Act("mgr", A),
            Expect(Pending, -30_000, 80_000, 0),
            Inbox(
                "md",
                "Budget exceeded - requires executive approval (budget Operations FY2026",
            ),
            Act("md", A),
            Expect(Approved, -30_000, 0, 80_000),
            Override(false),
        ],
    ),
    (
        "ESCALATE when the executive is already in the chain adds nobody",
        Enforcement::Escalate,
        &[
            Create(1_200_000, None),
            Submit,
            Flag("escalated", "requested KES 1,200,000.00"),
            Chain(
                &[(1, "mgr"), (2, "cfo"), (3, "md")],
                "Budget exceeded - requires executive approval",
            ),
            Act("mgr", A),
            Act("cfo", A),
            Act("md", A),
            Expect(Approved, -1_150_000, 0, 1_200_000),
        ],
    ),
    (
        "ESCALATE with nobody designated executive goes to an admin",
        Enforcement::Escalate,
        &[
            Deactivate("md"),
            Create(80_000, None),
            Submit,
            Chain(
                &[(1, "mgr"), (3, "admin")],
                "nobody else is designated executive, so an admin",
            ),
            Act("mgr", A),
            Inbox("admin", "Budget exceeded - requires executive approval"),
        ],
    ),
    (
        "ESCALATE: the executive rejects, everything is released",
        Enforcement::Escalate,
        &[
            Create(80_000, None),
            Submit,
            Act("mgr", A),
            Act("md", R),
            Expect(Rejected, 50_000, 0, 0),
        ],
    ),
    (
        "ESCALATE: recall before anyone decides, resubmit escalates again",
        Enforcement::Escalate,
        &[
            Create(80_000, None),
            Submit,
            Recall,
            Expect(Draft, 50_000, 0, 0),
            Submit,
            Chain(&[(1, "mgr"), (3, "md")], "requires executive approval"),
            Expect(Pending, -30_000, 80_000, 0),
        ],
    ),
    (
        "a category line is used when the document's category has one",
        Enforcement::SoftWarning,
        &[
            Create(8_000, Some("Fuel")),
            Submit,
            Flag("within_budget", "Operations FY2026 / Fuel"),
            ExpectFuel(2_000, 8_000, 0),
            Expect(Pending, 50_000, 0, 0),
            Act("mgr", A),
            ExpectFuel(2_000, 0, 8_000),
            Create(5_000, Some("Fuel")),
            SubmitRefused(
                ErrorKind::Conflict,
                &[
                    "Not enough budget: Operations FY2026 / Fuel has KES 2,000.00 available, \
                     this request needs KES 5,000.00.",
                ],
            ),
            Create(5_000, Some("Stationery")),
            Submit,
            Expect(Pending, 45_000, 5_000, 0),
        ],
    ),
];

#[tokio::test]
async fn over_budget_follows_the_budgets_enforcement_mode() {
    for (name, mode, steps) in OVER {
        run(name, mode, "KES", steps).await;
    }
}

#[tokio::test]
async fn an_approver_without_budget_permissions_still_commits_and_releases_via_approval() {
    let mut world = World::new(Enforcement::HardBlock, "KES", false).await;
    world.requester = "junior";
    let lead = world.who("lead").await;
    assert!(!lead.may(Permission::BudgetCommit));
    assert!(!lead.may(Permission::BudgetReleaseAny));
    let steps = [
        Create(30_000, None),
        Submit,
        Act("lead", A),
        Expect(Approved, 20_000, 0, 30_000),
        Create(15_000, None),
        Submit,
        Expect(Pending, 5_000, 15_000, 30_000),
        Act("lead", R),
        Expect(Rejected, 20_000, 0, 30_000),
    ];
    for (i, step) in steps.iter().enumerate() {
        world.step(&format!("step {}", i + 1), *step).await;
    }
    let entries = budgets::history(&world.file, &world.admin, &world.budget)
        .await
        .unwrap();
    let by_kind = |kind: &str| -> Vec<String> {
        entries
            .iter()
            .filter(|e| e.kind == kind)
            .map(|e| e.actor_email.clone())
            .collect()
    };
    assert_eq!(by_kind("reserve"), vec![email("junior"), email("junior")]);
    assert_eq!(by_kind("commit"), vec![email("lead")]);
    assert_eq!(by_kind("release"), vec![email("lead")]);
    let audit = hesabu_store::audit::list(&world.file, &world.admin, 1_000)
        .await
        .unwrap();
    for action in [
        "budget.check",
        "budget.reserve",
        "budget.commit",
        "budget.release",
    ] {
        let entry = audit
            .iter()
            .find(|a| a.action == action)
            .unwrap_or_else(|| panic!("{action} is audited"));
        assert_eq!(
            entry.after.as_ref().and_then(|a| a.get("via")),
            Some(&serde_json::json!("approval")),
            "{action}"
        );
    }
    let commit = audit.iter().find(|a| a.action == "budget.commit").unwrap();
    assert_eq!(commit.actor_email, email("lead"));
}

#[tokio::test]
async fn no_budget_is_recorded_and_does_not_block() {
    let mut world = World::new(Enforcement::HardBlock, "KES", false).await;
    // Clara heads Finance too, so she may raise its documents (a role scoped to its own
    // departments may raise documents only for them).
    let admin = world.who("admin").await;
    org::set_department_head(&world.file, &admin, "Finance", &email("clerk"))
        .await
        .unwrap();
    let clerk = world.who("clerk").await;
    let doc = documents::create(
        &world.file,
        &clerk,
        &NewDocument {
            doc_type: hesabu_core::approvals::wire::DocumentType::PurchaseOrder,
            title: "Finance's printer".into(),
            amount: d(70_000),
            currency: None,
            department: Some("Finance".into()),
            category: None,
            project: None,
            facts: None,
            lines: Vec::new(),
        },
    )
    .await
    .unwrap();
    world.doc = Some(doc.id);
    for (i, step) in [
        Submit,
        Flag("no_budget", "No budget found for Finance in 2026-07"),
        Act("mgr", A),
        Expect(Approved, 50_000, 0, 0),
    ]
    .iter()
    .enumerate()
    {
        world.step(&format!("step {}", i + 1), *step).await;
    }
}

#[tokio::test]
async fn a_budget_in_another_currency_refuses_the_submission() {
    let mut world = World::new(Enforcement::SoftWarning, "USD", false).await;
    for (i, step) in [
        Create(30_000, None),
        SubmitRefused(
            ErrorKind::InvalidInput,
            &["is in KES, but its budget Operations FY2026 is in USD"],
        ),
        Expect(Draft, 50_000, 0, 0),
    ]
    .iter()
    .enumerate()
    {
        world.step(&format!("step {}", i + 1), *step).await;
    }
}

#[tokio::test]
async fn doc_show_prints_the_budget_note() {
    let mut world = World::new(Enforcement::SoftWarning, "KES", false).await;
    for step in [Create(80_000, None), Submit] {
        world.step("setup", step).await;
    }
    let out = support::hesabu(
        &[
            "--company",
            world.path.to_str().unwrap(),
            "--as",
            &email("clerk"),
            "doc",
            "show",
            &world.doc(),
        ],
        support::env(Some(PASSWORD), None),
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .contains("Budget:     Exceeds budget Operations FY2026 by KES 30,000.00."),
        "{}",
        out.stdout
    );
}

#[tokio::test]
async fn the_demo_company_reserves_against_its_sample_budgets() {
    let dir = tempfile::tempdir().unwrap();
    let path = support::demo_copy(dir.path()).await;
    let file = hesabu_app::open_company_file(&path, support::clock())
        .await
        .unwrap();
    let login = |who: &'static str| {
        let file = &file;
        async move {
            hesabu_store::auth::login(file, who, hesabu_app::demo::DEMO_PASSWORD)
                .await
                .unwrap()
        }
    };
    let admin = login("admin@demo.test").await;
    let operations = || async {
        budgets::list(&file, &admin, None, false)
            .await
            .unwrap()
            .into_iter()
            .find(|b| b.department == "Operations" && b.period == "FY2026" && b.category.is_none())
            .expect("the demo's Operations FY2026 budget")
    };
    let before = operations().await.balance;
    let keeper = login("storekeeper@demo.test").await;
    let doc = documents::create(
        &file,
        &keeper,
        &NewDocument {
            doc_type: hesabu_core::approvals::wire::DocumentType::PurchaseOrder,
            title: "Cement".into(),
            // Over the demo Operations budget's 10,000 auto-approve threshold: routed.
            amount: d(25_000),
            currency: None,
            department: None,
            category: None,
            project: None,
            facts: None,
            lines: Vec::new(),
        },
    )
    .await
    .unwrap();
    let shown = documents::submit(&file, &keeper, &doc.id).await.unwrap();
    assert_eq!(shown.budget_status.as_deref(), Some("within_budget"));
    let after = operations().await.balance;
    assert!(after.holds());
    assert_eq!(after.reserved, before.reserved + d(25_000));
    assert_eq!(after.available, before.available - d(25_000));

    // At or under the threshold, with funds: approved at once and committed.
    let small = documents::create(
        &file,
        &keeper,
        &NewDocument {
            doc_type: hesabu_core::approvals::wire::DocumentType::PurchaseOrder,
            title: "Gloves".into(),
            amount: d(8_000),
            currency: None,
            department: None,
            category: None,
            project: None,
            facts: None,
            lines: Vec::new(),
        },
    )
    .await
    .unwrap();
    let shown = documents::submit(&file, &keeper, &small.id).await.unwrap();
    assert_eq!(shown.status, Approved);
    let last = operations().await.balance;
    assert_eq!(last.committed, after.committed + d(8_000));
    assert_eq!(last.reserved, after.reserved);
}

// ---------------------------------------------------------------------------------------------
// The auto-approve threshold, releasing committed money, and policy rules on budget status.

#[tokio::test]
async fn within_the_auto_approve_threshold_and_funds_a_document_is_approved_at_once() {
    let mut world = World::build(Enforcement::SoftWarning, "KES", false, Some(20_000)).await;
    let at_threshold = [
        Create(20_000, None),
        Submit,
        Expect(Approved, 30_000, 0, 20_000),
        Flag(
            "within_budget",
            "Auto-approved: within budget auto-approve threshold",
        ),
        CommitBy("clerk@acme.test"),
        Override(false),
    ];
    for (i, step) in at_threshold.iter().enumerate() {
        world
            .step(&format!("at threshold, step {}", i + 1), *step)
            .await;
    }
    let view = world.view().await;
    assert!(
        view.current_request.is_none(),
        "no approval chain: {view:?}"
    );
    let history = actions::history(&world.file, &world.admin, &world.doc())
        .await
        .unwrap();
    let auto = history
        .iter()
        .find(|h| h.action == "auto_approved")
        .unwrap_or_else(|| panic!("no auto_approved event: {history:?}"));
    assert_eq!(
        auto.comment.as_deref(),
        Some("Auto-approved: within budget auto-approve threshold KES 20,000.00")
    );
    let approvals = support::count(&world.path, "approval_step").await;
    assert_eq!(approvals, 0, "nobody was asked");

    let rest = [
        // Over the threshold: the normal chain.
        Create(25_000, None),
        Submit,
        Expect(Pending, 5_000, 25_000, 20_000),
        // Under the threshold but more than is available: the normal chain, flagged.
        Create(10_000, None),
        Submit,
        Expect(Pending, -5_000, 35_000, 20_000),
        Flag("over_budget", "Exceeds budget"),
    ];
    for (i, step) in rest.iter().enumerate() {
        world.step(&format!("after, step {}", i + 1), *step).await;
    }
    let broken = budgets::verify_balances(&world.file, &world.admin)
        .await
        .unwrap();
    assert!(broken.is_empty(), "{broken:?}");
    assert!(
        hesabu_store::audit::verify(&world.file, &world.admin)
            .await
            .unwrap()
            .ok
    );
}

#[tokio::test]
async fn finance_releases_committed_money_of_an_approved_document_never_more() {
    use hesabu_core::budgets::ReleaseCommitmentInput;
    let mut world = World::new(Enforcement::HardBlock, "KES", false).await;
    for (i, step) in [
        Create(30_000, None),
        Submit,
        Act("mgr", A),
        Expect(Approved, 20_000, 0, 30_000),
    ]
    .iter()
    .enumerate()
    {
        world.step(&format!("step {}", i + 1), *step).await;
    }
    let (budget_id, request_id) = (world.budget.clone(), world.doc());
    let input = |amount: Option<i64>, reason: &str| ReleaseCommitmentInput {
        budget_id: budget_id.clone(),
        request_id: request_id.clone(),
        amount: amount.map(d),
        reason: reason.into(),
    };
    let clerk = world.who("clerk").await;
    let denied = budgets::release_commitment(&world.file, &clerk, &input(None, "mine"))
        .await
        .unwrap_err();
    assert_eq!(denied.kind(), ErrorKind::PermissionDenied, "{denied}");
    let cfo = world.who("cfo").await;
    let too_much =
        budgets::release_commitment(&world.file, &cfo, &input(Some(40_000), "Order cut"))
            .await
            .unwrap_err();
    assert_eq!(too_much.kind(), ErrorKind::InvalidInput);
    assert!(
        too_much.to_string().contains("Amount exceeds committed"),
        "{too_much}"
    );
    let no_reason = budgets::release_commitment(&world.file, &cfo, &input(Some(1), " "))
        .await
        .unwrap_err();
    assert!(no_reason.to_string().contains("reason is required"));
    world
        .step("unchanged", Expect(Approved, 20_000, 0, 30_000))
        .await;

    let part = budgets::release_commitment(
        &world.file,
        &cfo,
        &input(Some(10_000), "Supplier delivers only two thirds"),
    )
    .await
    .unwrap();
    assert_eq!(part.committed, d(20_000));
    world
        .step("part released", Expect(Approved, 30_000, 0, 20_000))
        .await;
    let rest = budgets::release_commitment(&world.file, &cfo, &input(None, "Order closed"))
        .await
        .unwrap();
    assert_eq!(rest.committed, d(0));
    world
        .step("all released", Expect(Approved, 50_000, 0, 0))
        .await;
    let again = budgets::release_commitment(&world.file, &cfo, &input(None, "Twice"))
        .await
        .unwrap_err();
    assert!(
        again.to_string().contains("Amount exceeds committed"),
        "{again}"
    );

    let entries = budgets::history(&world.file, &world.admin, &world.budget)
        .await
        .unwrap();
    let released: Vec<(String, String)> = entries
        .iter()
        .filter(|e| e.kind == budgets::RELEASE_COMMITMENT)
        .map(|e| (e.amount.to_string(), e.actor_email.clone()))
        .collect();
    assert_eq!(
        released,
        [
            ("10000".to_owned(), email("cfo")),
            ("20000".to_owned(), email("cfo"))
        ]
    );
    let audit = hesabu_store::audit::list(&world.file, &world.admin, 1_000)
        .await
        .unwrap();
    let entry = audit
        .iter()
        .find(|a| a.action == "budget.release_commitment")
        .expect("audited");
    assert_eq!(entry.actor_email, email("cfo"));
    let after = entry.after.as_ref().unwrap();
    assert!(after["reason"].is_string(), "{after}");
    assert!(after["committed_before"].is_string(), "{after}");
    assert!(
        budgets::verify_balances(&world.file, &world.admin)
            .await
            .unwrap()
            .is_empty(),
        "the ledger replays to the stored balance"
    );
}

#[tokio::test]
async fn a_policy_rule_can_route_on_the_budget_status() {
    let mut world = World::new(Enforcement::SoftWarning, "KES", false).await;
    let policy = r#"{
      "name": "Manager, finance over 100,000",
      "document_types": ["purchase_order"],
      "currency": "KES",
      "levels": [
        {"name": "Manager", "approvers": [{"type": "reporting_manager"}]},
        {"name": "Finance manager", "approvers": [{"type": "role", "role": "finance_manager"}], "mode": "any_one"}
      ],
      "rules": [
        {"name": "Over budget", "when": [{"field": "budget_status", "op": "IN", "value": ["exceeds", "no_budget"]}], "levels": [1, 2]},
        {"name": "Everything else", "when": [{"field": "amount", "op": ">=", "value": 0}], "levels": [1]}
      ]
    }"#;
    policy_service::import(
        &world.file,
        &world.admin,
        &policy_service::parse(policy).unwrap(),
    )
    .await
    .unwrap();
    for (i, step) in [
        Create(30_000, None),
        Submit,
        Flag("within_budget", "Within budget"),
        Chain(&[(1, "mgr")], "Manager"),
        Create(30_000, None),
        Submit,
        Flag("over_budget", "Exceeds budget"),
        Chain(&[(1, "mgr"), (2, "cfo")], "Finance manager"),
    ]
    .iter()
    .enumerate()
    {
        world.step(&format!("step {}", i + 1), *step).await;
    }
    let request = world.view().await.current_request.unwrap();
    assert!(
        request.explain.contains("budget_status IN"),
        "{}",
        request.explain
    );
    let bad = policy.replace("\"field\": \"budget_status\"", "\"field\": \"budget\"");
    let refused = policy_service::import(
        &world.file,
        &world.admin,
        &policy_service::parse(&bad).unwrap(),
    )
    .await
    .unwrap_err();
    assert!(refused.to_string().contains("budget_status"), "{refused}");
}

// ---------------------------------------------------------------------------------------------
// Releasing by hand while the document is live, and ROUTE_TO_FINANCE.

/// A document waiting for a decision keeps its reservation: releasing it by hand (as its owner
/// or as finance) would leave the document pending with nothing held, approvable with nothing
/// committed. The release is refused and names the way out; once the document is decided,
/// releases follow the usual rules.
const LIVE: [(&str, &[S]); 3] = [
    (
        "a pending document's reservation is not released by hand",
        &[
            Create(30_000, None),
            Submit,
            Release(
                "clerk",
                Some(ErrorKind::Conflict),
                &[
                    "PO-000001 is waiting for approval",
                    "Cancel or recall the document PO-000001 instead",
                    "Nothing was released",
                ],
            ),
            Release(
                "cfo",
                Some(ErrorKind::Conflict),
                &["Cancel or recall the document PO-000001 instead"],
            ),
            Expect(Pending, 20_000, 30_000, 0),
            Flag("within_budget", "KES 30,000.00 reserved"),
            Act("mgr", A),
            Expect(Approved, 20_000, 0, 30_000),
            Override(false),
        ],
    ),
    (
        "returned or questioned, still live; cancelled, the usual rules",
        &[
            Create(30_000, None),
            Submit,
            Act("mgr", Ret),
            Release(
                "cfo",
                Some(ErrorKind::Conflict),
                &[
                    "PO-000001 was returned",
                    "Cancel or recall the document PO-000001",
                ],
            ),
            Resubmit,
            Act("mgr", Q),
            Release(
                "clerk",
                Some(ErrorKind::Conflict),
                &["Cancel or recall the document PO-000001 instead"],
            ),
            Cancel,
            Expect(Cancelled, 50_000, 0, 0),
            Release(
                "cfo",
                Some(ErrorKind::InvalidInput),
                &["Amount exceeds reserved"],
            ),
        ],
    ),
    (
        "an approved document's commitment is not a reservation to release",
        &[
            Create(30_000, None),
            Submit,
            Act("mgr", A),
            Release(
                "cfo",
                Some(ErrorKind::InvalidInput),
                &["Amount exceeds reserved"],
            ),
            Expect(Approved, 20_000, 0, 30_000),
        ],
    ),
];

#[tokio::test]
async fn a_live_documents_reservation_is_released_by_deciding_the_document_not_by_hand() {
    for (name, steps) in LIVE {
        run(name, Enforcement::HardBlock, "KES", steps).await;
    }
}

/// ROUTE_TO_FINANCE, over budget (80,000 against 50,000): nothing is reserved, a finance
/// manager joins the chain, and the final approval reserves and commits in one step.
const ROUTED: [(&str, &[S]); 6] = [
    (
        "short: nothing reserved, finance decides, committed past zero as an override",
        &[
            Create(80_000, None),
            Submit,
            Flag("routed_to_finance", "nothing was reserved"),
            Flag("routed_to_finance", "Not enough budget"),
            Expect(Pending, 50_000, 0, 0),
            Chain(
                &[(1, "mgr"), (2, "cfo")],
                "Not enough budget - sent to finance without reserving (budget Operations \
                 FY2026, available KES 50,000.00, requested KES 80,000.00)",
            ),
            Act("mgr", A),
            Expect(Pending, 50_000, 0, 0),
            Inbox("cfo", "sent to finance without reserving"),
            Act("cfo", A),
            Expect(Approved, -30_000, 0, 80_000),
            Override(true),
            CommitBy("cfo@acme.test"),
            CommitReason("funds were short by KES 30,000.00, committed past zero"),
            Flag("routed_to_finance", "short by KES 30,000.00"),
        ],
    ),
    (
        "funds suffice by the time finance approves: reserved and committed, no override",
        &[
            Create(80_000, None),
            Submit,
            Expect(Pending, 50_000, 0, 0),
            Rebudget(100_000),
            Expect(Pending, 100_000, 0, 0),
            Act("mgr", A),
            Act("cfo", A),
            Expect(Approved, 20_000, 0, 80_000),
            Override(false),
            CommitReason("PO-000001 approved, via approval"),
            Flag("routed_to_finance", "Funds sufficed at approval"),
        ],
    ),
    (
        "within budget reserves as usual and finance is not asked",
        &[
            Create(30_000, None),
            Submit,
            Flag("within_budget", "Within budget Operations FY2026"),
            Chain(&[(1, "mgr")], "reporting manager"),
            Expect(Pending, 20_000, 30_000, 0),
        ],
    ),
    (
        "finance rejects: nothing was held, nothing is released",
        &[
            Create(80_000, None),
            Submit,
            Act("mgr", A),
            Act("cfo", R),
            Expect(Rejected, 50_000, 0, 0),
        ],
    ),
    (
        "finance already in the chain (over 100,000): nobody added, the reason on its step",
        &[
            Create(150_000, None),
            Submit,
            Chain(
                &[(1, "mgr"), (2, "cfo")],
                "sent to finance without reserving",
            ),
            Expect(Pending, 50_000, 0, 0),
        ],
    ),
    (
        "no finance manager: an admin decides",
        &[
            Deactivate("cfo"),
            Create(80_000, None),
            Submit,
            Chain(
                &[(1, "mgr"), (2, "admin")],
                "nobody else is a finance manager, so an admin",
            ),
            Expect(Pending, 50_000, 0, 0),
        ],
    ),
];

#[tokio::test]
async fn route_to_finance_reserves_nothing_when_short_and_commits_on_final_approval() {
    for (name, steps) in ROUTED {
        run(name, Enforcement::RouteToFinance, "KES", steps).await;
    }
}

/// A purchase order for the Operations budget, as the desktop's "New request" form sends it.
fn new_order(amount: i64) -> NewDocument {
    NewDocument {
        doc_type: hesabu_core::approvals::wire::DocumentType::PurchaseOrder,
        title: "Generator service".into(),
        amount: d(amount),
        currency: None,
        department: None,
        category: None,
        project: None,
        facts: None,
        lines: Vec::new(),
    }
}

#[tokio::test]
async fn a_refused_create_and_submit_leaves_no_draft_and_says_why_in_words() {
    let world = World::new(Enforcement::HardBlock, "KES", false).await;
    let clerk = world.who("clerk").await;
    let tables = [
        "approval_document",
        "approval_document_line",
        "approval_event",
        "audit_log",
        "budget_ledger",
        "budget_reservation",
    ];
    let mut before = Vec::new();
    for t in tables {
        before.push(support::count(&world.path, t).await);
    }
    // Twice, as someone retrying the form would: no draft piles up.
    for attempt in 1..=2 {
        let e = documents::create_and_submit(&world.file, &clerk, &new_order(80_000))
            .await
            .expect_err("over a HARD_BLOCK budget");
        assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
        let message = e.to_string();
        assert!(
            message.contains(
                "Not enough budget: Operations FY2026 has KES 50,000.00 available, this request \
                 needs KES 80,000.00. Ask finance to move budget, or lower the amount."
            ),
            "attempt {attempt}: {message}"
        );
        for word in ["HARD_BLOCK", "SOFT_WARNING", "ESCALATE"] {
            assert!(!message.contains(word), "attempt {attempt}: {message}");
        }
        for (t, n) in tables.iter().zip(&before) {
            assert_eq!(
                support::count(&world.path, t).await,
                *n,
                "attempt {attempt}: {t} changed"
            );
        }
    }
    let mine = documents::mine(&world.file, &clerk).await.unwrap();
    assert!(mine.is_empty(), "no stray drafts: {mine:?}");

    // Lowered, it goes through in one step, with the first number (nothing was used up).
    let sent = documents::create_and_submit(&world.file, &clerk, &new_order(30_000))
        .await
        .unwrap();
    assert_eq!(sent.status, Pending);
    assert_eq!(sent.number, "PO-000001");
    assert_eq!(world.balance(&world.budget).await, (20_000, 30_000, 0));
    let audit = hesabu_store::audit::list(&world.file, &world.admin, 100)
        .await
        .unwrap();
    let actions: Vec<&str> = audit
        .iter()
        .filter(|a| a.entity_id == sent.id)
        .map(|a| a.action.as_str())
        .collect();
    assert!(
        actions.contains(&"document.create") && actions.contains(&"document.submit"),
        "{actions:?}"
    );
}

#[tokio::test]
async fn an_edited_document_is_checked_and_reserved_again_for_its_new_amount() {
    let mut world = World::new(Enforcement::HardBlock, "KES", false).await;
    let first = [
        Create(30_000, None),
        Submit,
        Expect(Pending, 20_000, 30_000, 0),
        Act("mgr", Ret),
        Expect(Returned, 50_000, 0, 0),
    ];
    for (i, step) in first.iter().enumerate() {
        world.step(&format!("step {}", i + 1), *step).await;
    }
    let clerk = world.who("clerk").await;
    let edit = |amount: i64| hesabu_core::approvals::wire::DocumentEdit {
        title: None,
        amount: Some(d(amount)),
        department: None,
        category: None,
        project: None,
        facts: None,
        lines: None,
    };
    // Editing does not check the budget; resubmitting does, and refuses in words.
    documents::edit(&world.file, &clerk, &world.doc(), &edit(80_000))
        .await
        .unwrap();
    let e = documents::resubmit(&world.file, &clerk, &world.doc(), None)
        .await
        .expect_err("80,000 over a HARD_BLOCK budget of 50,000");
    assert!(
        e.to_string()
            .contains("has KES 50,000.00 available, this request needs KES 80,000.00"),
        "{e}"
    );
    world.step("refused", Expect(Returned, 50_000, 0, 0)).await;
    // Lowered to 45,000: reserved at that amount, and approved at it.
    documents::edit(&world.file, &clerk, &world.doc(), &edit(45_000))
        .await
        .unwrap();
    for (i, step) in [
        Resubmit,
        Expect(Pending, 5_000, 45_000, 0),
        Act("mgr", A),
        Expect(Approved, 5_000, 0, 45_000),
    ]
    .iter()
    .enumerate()
    {
        world
            .step(&format!("after the edit, step {}", i + 1), *step)
            .await;
    }
    // The edit is audited with what it was and what it became.
    let audit = hesabu_store::audit::list(&world.file, &world.admin, 100)
        .await
        .unwrap();
    let edits: Vec<_> = audit
        .iter()
        .filter(|a| a.action == "document.edit" && a.entity_id == world.doc())
        .collect();
    assert_eq!(edits.len(), 2, "{edits:?}");
    let last = edits
        .iter()
        .find(|a| format!("{:?}", a.after).contains("45000"))
        .expect("the edit to 45,000");
    assert!(format!("{:?}", last.before).contains("80000"), "{last:?}");
}
