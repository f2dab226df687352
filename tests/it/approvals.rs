//! The approval engine. Scenarios are data: a policy, a list of steps (create, submit, act,
//! delegate, move the clock, run the jobs, deactivate…) and the statuses and approvers expected
//! after each. Then the race test, the property test and the CLI contract.
//!
//! The company ("Acme") used throughout, made once and copied per test:
//!
//! | short  | name           | role            | department     | manager | also                 |
//! |--------|----------------|-----------------|----------------|---------|----------------------|
//! | admin  | Akinyi Admin   | admin           | —              | —       |                      |
//! | md     | Mary Director  | approver        | Executive      | —       | designated executive |
//! | cfo    | Carol Finance  | finance_manager | Finance        | md      | head of Finance      |
//! | fm2    | Fred Finance   | finance_manager | Finance        | md      |                      |
//! | audit  | Ian Audit      | approver        | Finance        | md      | internal_audit       |
//! | head   | Hannah Head    | approver        | Operations     | md      | head of Operations   |
//! | mgr    | Martin Manager | approver        | Operations     | head    |                      |
//! | deputy | Dan Deputy     | approver        | Operations     | head    |                      |
//! | temp   | Tina Temp      | approver        | Operations     | mgr     |                      |
//! | clerk  | Clara Clerk    | employee        | Operations     | mgr     | the usual requester  |
//!
//! The clock starts on Wednesday 2026-07-01 06:00 UTC (09:00 in Nairobi).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, OnceLock};

use hesabu_app::demo;
use hesabu_core::approvals::policy_format::ApproverSpec;
use hesabu_core::approvals::wire::{
    ActionInput, Decision, DocumentEdit, DocumentStatus, DocumentType, NewDelegation, NewDocument,
};
use hesabu_core::approvals::{actions, delegations, documents, jobs, org, policy_service};
use hesabu_core::users::NewUser;
use hesabu_store::ErrorKind;
use hesabu_store::auth::Session;
use hesabu_store::clock::{SettableClock, parse_timestamp};
use hesabu_store::company_file::CompanyFile;
use hesabu_store::permissions::Role;
use rust_decimal::Decimal;

use crate::support::{self, ADMIN_EMAIL, ADMIN_PASSWORD, env, hesabu};

const PASSWORD: &str = "user-pass-1";
const DEFAULT_POLICY: &str = include_str!("../../docs/examples/policy-default.json");
const PARALLEL_POLICY: &str = include_str!("../../docs/examples/policy-parallel.json");
/// Level 2 is a pool of the department's approvers; one person counts once.
const POOL_POLICY: &str = r#"{
  "name": "Manager then any Operations approver",
  "document_types": ["expense_claim"],
  "levels": [
    {"name": "Manager", "approvers": [{"type": "reporting_manager"}]},
    {"name": "Operations approvers", "approvers": [{"type": "role", "role": "approver"}], "mode": "any_one"}
  ],
  "rules": [{"name": "Every claim", "levels": [1, 2]}]
}"#;
const REPEAT_POLICY: &str = r#"{
  "name": "Repeats allowed",
  "document_types": ["expense_claim"],
  "allow_repeat_approver": true,
  "levels": [
    {"name": "Manager", "approvers": [{"type": "reporting_manager"}]},
    {"name": "Operations approvers", "approvers": [{"type": "role", "role": "approver"}], "mode": "any_one"}
  ],
  "rules": [{"name": "Every claim", "levels": [1, 2]}]
}"#;

/// Escalates to a named user, then auto-approves (off by default; on here).
const AUTO_POLICY: &str = r#"{
  "name": "Escalate to Ian, auto-approve after five days",
  "document_types": ["expense_claim"],
  "levels": [
    {"name": "Manager", "approvers": [{"type": "reporting_manager"}],
     "escalation": {"to": {"type": "user", "email": "audit@acme.test"}, "max": 1},
     "auto_approve_after_days": 5}
  ],
  "rules": [{"name": "Every claim", "levels": [1]}]
}"#;

/// Level 2 has its own amount band: only claims from 50,000 to 200,000 reach the head.
const LEVEL_BAND_POLICY: &str = r#"{
  "name": "Head only for mid-sized claims",
  "document_types": ["expense_claim"],
  "levels": [
    {"name": "Manager", "approvers": [{"type": "reporting_manager"}]},
    {"name": "Head", "approvers": [{"type": "department_head"}], "min_amount": "50000", "max_amount": 200000}
  ],
  "rules": [{"name": "Every claim", "levels": [1, 2]}]
}"#;

/// (short, name, role, department, manager short, designation)
type Person = (
    &'static str,
    &'static str,
    Role,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
);
const PEOPLE: [Person; 9] = [
    (
        "md",
        "Mary Director",
        Role::Approver,
        "Executive",
        None,
        Some("executive"),
    ),
    (
        "cfo",
        "Carol Finance",
        Role::FinanceManager,
        "Finance",
        Some("md"),
        None,
    ),
    (
        "fm2",
        "Fred Finance",
        Role::FinanceManager,
        "Finance",
        Some("md"),
        None,
    ),
    (
        "audit",
        "Ian Audit",
        Role::Approver,
        "Finance",
        Some("md"),
        Some("internal_audit"),
    ),
    (
        "head",
        "Hannah Head",
        Role::Approver,
        "Operations",
        Some("md"),
        None,
    ),
    (
        "mgr",
        "Martin Manager",
        Role::Approver,
        "Operations",
        Some("head"),
        None,
    ),
    (
        "deputy",
        "Dan Deputy",
        Role::Approver,
        "Operations",
        Some("head"),
        None,
    ),
    (
        "temp",
        "Tina Temp",
        Role::Approver,
        "Operations",
        Some("mgr"),
        None,
    ),
    (
        "clerk",
        "Clara Clerk",
        Role::Employee,
        "Operations",
        Some("mgr"),
        None,
    ),
];

fn email(short: &str) -> String {
    format!("{short}@acme.test")
}

fn short(email: &str) -> String {
    email.split('@').next().unwrap_or_default().to_owned()
}

async fn acme_copy(dir: &Path) -> PathBuf {
    static TEMPLATE: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    if TEMPLATE.get().is_none() {
        let (template_dir, file, admin) = support::company().await;
        for d in ["Executive", "Finance", "Operations"] {
            hesabu_core::departments::add(&file, &admin, d)
                .await
                .unwrap();
        }
        for (s, name, role, dept, manager, _) in PEOPLE {
            hesabu_core::users::add(
                &file,
                &admin,
                &NewUser {
                    email: email(s),
                    name: name.into(),
                    role,
                    manager_email: manager.map(email),
                    department: Some(dept.into()),
                    password: PASSWORD.into(),
                },
            )
            .await
            .unwrap();
        }
        for (s, .., designation) in PEOPLE {
            if let Some(d) = designation {
                org::designate(&file, &admin, &email(s), d).await.unwrap();
            }
        }
        org::set_department_head(&file, &admin, "Operations", &email("head"))
            .await
            .unwrap();
        org::set_department_head(&file, &admin, "Finance", &email("cfo"))
            .await
            .unwrap();
        let path = file.path().to_path_buf();
        file.close().await.unwrap();
        let _ = TEMPLATE.set((template_dir, path));
    }
    let (_, template) = TEMPLATE.get().unwrap();
    let copy = dir.join("acme.hesabu");
    std::fs::copy(template, &copy).unwrap();
    copy
}

/// One step of a scenario.
#[derive(Debug, Clone, Copy)]
enum S {
    /// Import a policy (as admin).
    Policy(&'static str),
    /// `by` creates a draft: type, amount, category. It becomes the scenario's document.
    Create(
        &'static str,
        DocumentType,
        &'static str,
        Option<&'static str>,
    ),
    Submit,
    Resubmit,
    Recall,
    RecallFails(&'static str),
    Cancel(&'static str),
    CancelFails(&'static str, &'static str),
    /// Who acts, what, with which comment; must succeed.
    Act(&'static str, Decision, Option<&'static str>),
    /// Must fail with this error kind and a message containing the text.
    Refused(
        &'static str,
        Decision,
        Option<&'static str>,
        ErrorKind,
        &'static str,
    ),
    /// Hand the step to someone (ad-hoc delegation of one step).
    DelegateStep(&'static str, &'static str),
    DelegateStepFails(&'static str, &'static str, &'static str),
    /// The document's status and who its pending steps are with now (any order).
    Expect(DocumentStatus, &'static [&'static str]),
    /// Every step of the current request: (level, approver), any order.
    Chain(&'static [(i64, &'static str)]),
    /// delegator, delegate, from, until, document types, max amount.
    Delegate(
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        Option<&'static [DocumentType]>,
        Option<&'static str>,
    ),
    DelegateFails(
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
    ),
    /// Revoke the delegator's most recent delegation.
    Revoke(&'static str),
    Clock(&'static str),
    /// Run the jobs; expect (reminders, escalations, returned from delegation).
    Jobs(i64, i64, i64),
    Deactivate(&'static str),
    /// The admin adds a company holiday (YYYY-MM-DD).
    Holiday(&'static str),
    /// Some history line contains this text.
    History(&'static str),
    /// delegator, delegate, from, until, department names (a department-scoped delegation).
    DelegateDepts(
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static [&'static str],
    ),
    /// Create like `Create`, but for another department (by name).
    CreateIn(&'static str, DocumentType, &'static str, &'static str),
    /// This person becomes the head of this department.
    Heads(&'static str, &'static str),
    /// The current request's explanation contains this text.
    Explain(&'static str),
    /// The admin sets the work week: days, start, end.
    WorkWeek(&'static str, &'static str, &'static str),
    /// Every pending step of the current request is due at this instant (RFC 3339, UTC).
    Due(&'static str),
    /// As seen by someone: SLA compliance over the last 30 days (decided, met, percent).
    Sla(&'static str, i64, i64, Option<&'static str>),
    /// `by` edits the document: amount, title, department (`None`: left as it is).
    Edit(
        &'static str,
        Option<&'static str>,
        Option<&'static str>,
        Option<&'static str>,
    ),
    /// The edit (by, amount, department) must fail with this kind and a message containing
    /// the text; the document is unchanged.
    EditFails(
        &'static str,
        Option<&'static str>,
        Option<&'static str>,
        ErrorKind,
        &'static str,
    ),
    /// `by` resubmits; must fail with this kind and a message containing the text.
    ResubmitFails(&'static str, ErrorKind, &'static str),
    /// Someone has a notification about the document containing the text.
    Notified(&'static str, &'static str),
    /// Someone has no notification about the document containing the text.
    NotNotified(&'static str, &'static str),
    /// The admin adds another admin (short name).
    NewAdmin(&'static str),
}

use DocumentType::{ExpenseClaim as EC, PaymentVoucher as PV, PurchaseOrder as PO};
use S::*;
use hesabu_core::approvals::wire::Decision::{
    Approve as A, Clarify as Q, Reject as R, Return as Ret,
};
use hesabu_core::approvals::wire::DocumentStatus::{
    Approved, Cancelled, ClarificationRequested, Draft, PendingApproval as Pending, Rejected,
    Returned,
};

struct World {
    _dir: tempfile::TempDir,
    file: CompanyFile,
    clock: Arc<SettableClock>,
    sessions: HashMap<String, Session>,
    doc: Option<String>,
}

impl World {
    async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = acme_copy(dir.path()).await;
        let clock = support::clock();
        let file = hesabu_app::open_company_file(&path, clock.clone())
            .await
            .unwrap();
        Self {
            _dir: dir,
            file,
            clock,
            sessions: HashMap::new(),
            doc: None,
        }
    }

    async fn who(&mut self, s: &str) -> Session {
        if let Some(session) = self.sessions.get(s) {
            return session.clone();
        }
        let (mail, password) = if s == "admin" {
            (ADMIN_EMAIL.to_owned(), ADMIN_PASSWORD)
        } else {
            (email(s), PASSWORD)
        };
        let session = hesabu_store::auth::login(&self.file, &mail, password)
            .await
            .unwrap_or_else(|e| panic!("login {mail}: {e}"));
        self.sessions.insert(s.to_owned(), session.clone());
        session
    }

    fn doc_id(&self) -> String {
        self.doc.clone().expect("the scenario created a document")
    }

    async fn request_id(&mut self) -> String {
        let admin = self.who("admin").await;
        documents::show(&self.file, &admin, &self.doc_id())
            .await
            .unwrap()
            .current_request
            .expect("the document has a request")
            .id
    }

    async fn requester(&mut self) -> Session {
        let admin = self.who("admin").await;
        let doc = documents::show(&self.file, &admin, &self.doc_id())
            .await
            .unwrap();
        let s = short(&doc.requester_email);
        self.who(&s).await
    }

    async fn act(
        &mut self,
        s: &str,
        decision: Decision,
        comment: Option<&str>,
        delegate_to: Option<String>,
    ) -> hesabu_store::Result<()> {
        let session = self.who(s).await;
        let request = self.request_id().await;
        actions::act(
            &self.file,
            &session,
            &request,
            &ActionInput {
                decision,
                comment: comment.map(str::to_owned),
                delegate_to,
                expected_version: None,
            },
        )
        .await
        .map(|_| ())
    }

    async fn step(&mut self, n: usize, step: S) {
        match step {
            Policy(json) => {
                let admin = self.who("admin").await;
                let spec = policy_service::parse(json).unwrap();
                policy_service::import(&self.file, &admin, &spec)
                    .await
                    .unwrap();
            }
            Create(by, doc_type, amount, category) => {
                let session = self.who(by).await;
                let doc = documents::create(
                    &self.file,
                    &session,
                    &NewDocument {
                        doc_type,
                        title: format!("Scenario step {n}"),
                        amount: Decimal::from_str_exact(amount).unwrap(),
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
                assert_eq!(doc.status, Draft);
                self.doc = Some(doc.id);
            }
            Submit => {
                let requester = self.requester().await;
                documents::submit(&self.file, &requester, &self.doc_id())
                    .await
                    .unwrap();
            }
            Resubmit => {
                let requester = self.requester().await;
                documents::resubmit(&self.file, &requester, &self.doc_id(), Some("fixed"))
                    .await
                    .unwrap();
            }
            Recall => {
                let requester = self.requester().await;
                documents::recall(&self.file, &requester, &self.doc_id())
                    .await
                    .unwrap();
            }
            RecallFails(text) => {
                let requester = self.requester().await;
                let err = documents::recall(&self.file, &requester, &self.doc_id())
                    .await
                    .unwrap_err();
                assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");
                assert!(err.to_string().contains(text), "{err}");
            }
            Cancel(by) => {
                let session = self.who(by).await;
                documents::cancel(&self.file, &session, &self.doc_id())
                    .await
                    .unwrap();
            }
            CancelFails(by, text) => {
                let session = self.who(by).await;
                let err = documents::cancel(&self.file, &session, &self.doc_id())
                    .await
                    .unwrap_err();
                assert!(err.to_string().contains(text), "{err}");
            }
            Act(by, decision, comment) => self
                .act(by, decision, comment, None)
                .await
                .unwrap_or_else(|e| panic!("{by} {decision:?}: {e}")),
            Refused(by, decision, comment, kind, text) => {
                let err = self.act(by, decision, comment, None).await.unwrap_err();
                assert_eq!(err.kind(), kind, "{err}");
                assert!(err.to_string().contains(text), "{err}");
            }
            DelegateStep(by, to) => self
                .act(by, Decision::Delegate, None, Some(email(to)))
                .await
                .unwrap(),
            DelegateStepFails(by, to, text) => {
                let err = self
                    .act(by, Decision::Delegate, None, Some(email(to)))
                    .await
                    .unwrap_err();
                assert!(err.to_string().contains(text), "{err}");
            }
            Expect(status, pending) => {
                let admin = self.who("admin").await;
                let doc = documents::show(&self.file, &admin, &self.doc_id())
                    .await
                    .unwrap();
                assert_eq!(doc.status, status, "document status");
                let mut with: Vec<String> = doc
                    .current_request
                    .map(|r| {
                        r.steps
                            .into_iter()
                            .filter(|s| s.status == "pending")
                            .map(|s| short(&s.acting_email))
                            .collect()
                    })
                    .unwrap_or_default();
                with.sort();
                let mut want: Vec<String> = pending.iter().map(|s| (*s).to_owned()).collect();
                want.sort();
                assert_eq!(with, want, "pending with");
            }
            Chain(expected) => {
                let admin = self.who("admin").await;
                let doc = documents::show(&self.file, &admin, &self.doc_id())
                    .await
                    .unwrap();
                let mut chain: Vec<(i64, String)> = doc
                    .current_request
                    .unwrap()
                    .steps
                    .into_iter()
                    .map(|s| (s.level, short(&s.approver_email)))
                    .collect();
                chain.sort();
                let mut want: Vec<(i64, String)> = expected
                    .iter()
                    .map(|(l, s)| (*l, (*s).to_owned()))
                    .collect();
                want.sort();
                assert_eq!(chain, want, "resolved chain");
            }
            Delegate(from, to, valid_from, until, types, max) => {
                let session = self.who(from).await;
                delegations::add(
                    &self.file,
                    &session,
                    &NewDelegation {
                        to_email: email(to),
                        valid_from: valid_from.into(),
                        valid_until: until.into(),
                        doc_types: types.map(<[DocumentType]>::to_vec),
                        departments: None,
                        max_amount: max.map(|m| Decimal::from_str(m).unwrap()),
                    },
                )
                .await
                .unwrap();
            }
            DelegateFails(from, to, valid_from, until, text) => {
                let session = self.who(from).await;
                let err = delegations::add(
                    &self.file,
                    &session,
                    &NewDelegation {
                        to_email: email(to),
                        valid_from: valid_from.into(),
                        valid_until: until.into(),
                        doc_types: None,
                        departments: None,
                        max_amount: None,
                    },
                )
                .await
                .unwrap_err();
                assert!(err.to_string().contains(text), "{err}");
            }
            Revoke(from) => {
                let session = self.who(from).await;
                let list = delegations::list(&self.file, &session).await.unwrap();
                let mine = list
                    .iter()
                    .find(|d| d.delegator_email == email(from) && d.revoked_at.is_none())
                    .expect("a delegation to revoke");
                delegations::revoke(&self.file, &session, &mine.id)
                    .await
                    .unwrap();
            }
            Clock(at) => self.clock.set(parse_timestamp(at).unwrap()),
            Jobs(reminders, escalations, returned) => {
                let admin = self.who("admin").await;
                let report = jobs::run(&self.file, &admin).await.unwrap();
                assert_eq!(
                    (
                        report.reminders,
                        report.escalations,
                        report.returned_from_delegation
                    ),
                    (reminders, escalations, returned),
                    "jobs (reminders, escalations, returned) {report:?}"
                );
            }
            Holiday(day) => {
                let admin = self.who("admin").await;
                org::add_holiday(&self.file, &admin, day, "Company holiday")
                    .await
                    .unwrap();
            }
            Deactivate(s) => {
                let admin = self.who("admin").await;
                hesabu_core::approvals::org::deactivate_user(&self.file, &admin, &email(s))
                    .await
                    .unwrap();
            }
            DelegateDepts(from, to, valid_from, until, departments) => {
                let session = self.who(from).await;
                delegations::add(
                    &self.file,
                    &session,
                    &NewDelegation {
                        to_email: email(to),
                        valid_from: valid_from.into(),
                        valid_until: until.into(),
                        doc_types: None,
                        departments: Some(departments.iter().map(|d| (*d).to_owned()).collect()),
                        max_amount: None,
                    },
                )
                .await
                .unwrap();
            }
            Heads(who, department) => {
                let admin = self.who("admin").await;
                org::set_department_head(&self.file, &admin, department, &email(who))
                    .await
                    .unwrap();
            }
            CreateIn(by, doc_type, amount, department) => {
                let session = self.who(by).await;
                let doc = documents::create(
                    &self.file,
                    &session,
                    &NewDocument {
                        doc_type,
                        title: format!("Scenario step {n}"),
                        amount: Decimal::from_str_exact(amount).unwrap(),
                        currency: None,
                        department: Some(department.to_owned()),
                        category: None,
                        project: None,
                        facts: None,
                        lines: Vec::new(),
                    },
                )
                .await
                .unwrap();
                self.doc = Some(doc.id);
            }
            WorkWeek(days, start, end) => {
                let admin = self.who("admin").await;
                hesabu_core::approvals::calendar::set_work_week(
                    &self.file,
                    &admin,
                    &hesabu_core::approvals::wire::WorkWeekUpdate {
                        days: vec![days.to_owned()],
                        start: start.to_owned(),
                        end: end.to_owned(),
                    },
                )
                .await
                .unwrap();
            }
            Due(at) => {
                let admin = self.who("admin").await;
                let doc = documents::show(&self.file, &admin, &self.doc_id())
                    .await
                    .unwrap();
                let due: Vec<_> = doc
                    .current_request
                    .expect("a request")
                    .steps
                    .into_iter()
                    .filter(|s| s.status == "pending")
                    .map(|s| parse_timestamp(s.due_at.as_deref().expect("a due time")).unwrap())
                    .collect();
                assert!(!due.is_empty(), "no pending step");
                let want = parse_timestamp(at).unwrap();
                assert!(due.iter().all(|d| *d == want), "due {due:?}, want {want}");
            }
            Explain(text) => {
                let admin = self.who("admin").await;
                let doc = documents::show(&self.file, &admin, &self.doc_id())
                    .await
                    .unwrap();
                let explain = doc.current_request.expect("a request").explain;
                assert!(explain.contains(text), "{explain}");
            }
            Sla(viewer, decided, met, percent) => {
                let session = self.who(viewer).await;
                let sla = actions::sla_compliance(&self.file, &session, 30)
                    .await
                    .unwrap();
                assert_eq!(
                    (sla.decided, sla.met, sla.percent.as_deref()),
                    (decided, met, percent),
                    "SLA compliance as {viewer}: {sla:?}"
                );
            }
            Edit(by, amount, title, department) => {
                let session = self.who(by).await;
                let edited = documents::edit(
                    &self.file,
                    &session,
                    &self.doc_id(),
                    &edit_of(amount, title, department),
                )
                .await
                .unwrap_or_else(|e| panic!("{by} edits: {e}"));
                if let Some(a) = amount {
                    assert_eq!(
                        Decimal::from_str(&edited.amount).unwrap(),
                        Decimal::from_str(a).unwrap()
                    );
                }
                if let Some(t) = title {
                    assert_eq!(edited.title, t);
                }
            }
            EditFails(by, amount, department, kind, text) => {
                let session = self.who(by).await;
                let admin = self.who("admin").await;
                let before = documents::show(&self.file, &admin, &self.doc_id())
                    .await
                    .unwrap();
                let err = documents::edit(
                    &self.file,
                    &session,
                    &self.doc_id(),
                    &edit_of(amount, None, department),
                )
                .await
                .unwrap_err();
                assert_eq!(err.kind(), kind, "{err}");
                assert!(err.to_string().contains(text), "{err}");
                let after = documents::show(&self.file, &admin, &self.doc_id())
                    .await
                    .unwrap();
                assert_eq!(
                    (after.amount, after.department, after.updated_at),
                    (before.amount, before.department, before.updated_at),
                    "a refused edit changed nothing"
                );
            }
            ResubmitFails(by, kind, text) => {
                let session = self.who(by).await;
                let err = documents::resubmit(&self.file, &session, &self.doc_id(), None)
                    .await
                    .unwrap_err();
                assert_eq!(err.kind(), kind, "{err}");
                assert!(err.to_string().contains(text), "{err}");
            }
            Notified(who, text) | NotNotified(who, text) => {
                let session = self.who(who).await;
                let doc = self.doc_id();
                let list = hesabu_store::notifications::list(&self.file, &session)
                    .await
                    .unwrap();
                let found = list.iter().any(|n| {
                    n.document_id.as_deref() == Some(doc.as_str()) && n.message.contains(text)
                });
                let want = matches!(step, Notified(..));
                assert_eq!(
                    found,
                    want,
                    "{who} notified of {text:?}: {:#?}",
                    list.iter().map(|n| &n.message).collect::<Vec<_>>()
                );
            }
            NewAdmin(s) => {
                let admin = self.who("admin").await;
                hesabu_core::users::add(
                    &self.file,
                    &admin,
                    &NewUser {
                        email: email(s),
                        name: format!("Second Admin {s}"),
                        role: Role::Admin,
                        manager_email: None,
                        department: None,
                        password: PASSWORD.into(),
                    },
                )
                .await
                .unwrap();
            }
            History(text) => {
                let admin = self.who("admin").await;
                let history = actions::history(&self.file, &admin, &self.doc_id())
                    .await
                    .unwrap();
                assert!(
                    history.iter().any(|h| h.text.contains(text)),
                    "no history line contains {text:?}: {:#?}",
                    history.iter().map(|h| &h.text).collect::<Vec<_>>()
                );
            }
        }
    }
}

/// A change of amount, title and department; everything else left as it is.
fn edit_of(amount: Option<&str>, title: Option<&str>, department: Option<&str>) -> DocumentEdit {
    DocumentEdit {
        title: title.map(str::to_owned),
        amount: amount.map(|a| Decimal::from_str_exact(a).unwrap()),
        department: department.map(str::to_owned),
        category: None,
        project: None,
        facts: None,
        lines: None,
    }
}

async fn run(name: &str, steps: &[S]) {
    let mut world = World::new().await;
    for (n, step) in steps.iter().enumerate() {
        // A failing assertion names the scenario and the step.
        let outcome = tokio::spawn({
            let step = *step;
            async move {
                world.step(n, step).await;
                world
            }
        })
        .await;
        match outcome {
            Ok(w) => world = w,
            Err(e) => panic!("scenario '{name}', step {n} ({step:?}) failed: {e}"),
        }
    }
    let admin = world.who("admin").await;
    let report = hesabu_store::audit::verify(&world.file, &admin)
        .await
        .unwrap();
    assert!(
        report.ok,
        "scenario '{name}': audit chain {:?}",
        report.first_broken
    );
}

macro_rules! scenario {
    ($name:ident: $($step:expr),* $(,)?) => {
        #[tokio::test]
        async fn $name() {
            run(stringify!($name), &[$($step),*]).await;
        }
    };
}

const NOON_NEXT_WEEK: &str = "2026-07-10";

// --- The default four tiers (a cumulative chain) ---------------------------------------------

scenario!(tier_1_up_to_25000_needs_the_reporting_manager:
    Policy(DEFAULT_POLICY), Create("clerk", PO, "25000", None), Submit,
    Chain(&[(1, "mgr")]), Expect(Pending, &["mgr"]),
    Act("mgr", A, None), Expect(Approved, &[]));

scenario!(tier_2_up_to_100000_adds_the_department_head:
    Policy(DEFAULT_POLICY), Create("clerk", PO, "25000.01", None), Submit,
    Chain(&[(1, "mgr"), (2, "head")]),
    Act("mgr", A, None), Expect(Pending, &["head"]),
    Act("head", A, None), Expect(Approved, &[]));

scenario!(tier_3_up_to_250000_adds_any_one_finance_manager:
    Policy(DEFAULT_POLICY), Create("clerk", PO, "250000", None), Submit,
    Chain(&[(1, "mgr"), (2, "head"), (3, "cfo"), (3, "fm2")]),
    Act("mgr", A, None), Act("head", A, None), Expect(Pending, &["cfo", "fm2"]),
    Act("fm2", A, None), Expect(Approved, &[]),
    Refused("cfo", A, None, ErrorKind::Conflict, "Already decided by Fred Finance"));

scenario!(tier_4_above_250000_adds_the_executive:
    Policy(DEFAULT_POLICY), Create("clerk", PO, "250000.5", None), Submit,
    Chain(&[(1, "mgr"), (2, "head"), (3, "cfo"), (3, "fm2"), (4, "md")]),
    Act("mgr", A, None), Act("head", A, None), Act("cfo", A, None),
    // Fred was in the same any-one pool as Carol: the level is decided.
    Refused("fm2", A, None, ErrorKind::Conflict, "Already decided by Carol Finance"),
    Expect(Pending, &["md"]), Act("md", A, None), Expect(Approved, &[]));

scenario!(a_level_that_resolves_to_the_requester_falls_back_per_policy:
    // Hannah heads Operations: level 2 would be herself, so it falls to the next level; it is
    // the last one, so an admin takes it.
    Policy(DEFAULT_POLICY), Create("head", PO, "60000", None), Submit,
    Chain(&[(1, "md"), (2, "admin")]), Expect(Pending, &["md"]));

// --- A level's own amount band ------------------------------------------------------------------

scenario!(a_level_outside_its_amount_band_is_skipped:
    Policy(LEVEL_BAND_POLICY),
    Create("clerk", EC, "49999.99", None), Submit, Chain(&[(1, "mgr")]),
    Act("mgr", A, None), Expect(Approved, &[]),
    Create("clerk", EC, "50000", None), Submit, Chain(&[(1, "mgr"), (2, "head")]),
    Create("clerk", EC, "200000", None), Submit, Chain(&[(1, "mgr"), (2, "head")]),
    Create("clerk", EC, "200000.01", None), Submit, Chain(&[(1, "mgr")]),
    Explain("Level 2 ('Head') skipped: the amount 200000.01 is above its max_amount 200000."));

// --- Parallel unanimity -----------------------------------------------------------------------

scenario!(parallel_level_needs_every_approver:
    Policy(PARALLEL_POLICY), Create("clerk", PV, "10000", Some("capex")), Submit,
    Chain(&[(1, "mgr"), (2, "cfo"), (2, "fm2"), (2, "audit")]),
    Act("mgr", A, None), Expect(Pending, &["cfo", "fm2", "audit"]),
    Act("cfo", A, None), Expect(Pending, &["fm2", "audit"]),
    Act("audit", A, None), Expect(Pending, &["fm2"]),
    Act("fm2", A, None), Expect(Approved, &[]));

scenario!(parallel_level_any_rejection_rejects:
    Policy(PARALLEL_POLICY), Create("clerk", PV, "60000", None), Submit,
    Act("mgr", A, None), Act("cfo", A, None),
    Act("audit", R, Some("No supporting invoice")), Expect(Rejected, &[]),
    Refused("fm2", A, None, ErrorKind::Conflict, "Already decided by Ian Audit"),
    History("Ian Audit: rejected (level 2, Finance and internal audit) — No supporting invoice"));

scenario!(parallel_policy_bands_route_small_vouchers_to_one_level:
    Policy(PARALLEL_POLICY), Create("clerk", PV, "50000", None), Submit,
    Chain(&[(1, "mgr")]));

// --- Separation of duties ---------------------------------------------------------------------

scenario!(nobody_approves_their_own_submission:
    Policy(DEFAULT_POLICY), Create("mgr", PO, "1000", None), Submit,
    Chain(&[(1, "head")]),
    Refused("mgr", A, None, ErrorKind::PermissionDenied, "Cannot approve own submission"));

scenario!(one_person_counts_once_across_the_chain:
    // Martin is an Operations approver too, but he is level 1, so the level-2 pool leaves him out.
    Policy(POOL_POLICY), Create("clerk", EC, "1000", None), Submit,
    Chain(&[(1, "mgr"), (2, "deputy"), (2, "head"), (2, "temp")]),
    Act("mgr", A, None), Expect(Pending, &["deputy", "head", "temp"]),
    Refused("mgr", A, None, ErrorKind::Conflict, "Already decided by Martin Manager"),
    Act("temp", A, None), Expect(Approved, &[]));

scenario!(a_delegate_already_in_the_chain_does_not_take_the_delegators_step:
    Policy(POOL_POLICY),
    Delegate("mgr", "deputy", "2026-07-01", NOON_NEXT_WEEK, None, None),
    Create("clerk", EC, "1000", None), Submit, Expect(Pending, &["mgr"]));

scenario!(a_delegate_who_decided_one_level_is_not_routed_the_next:
    // Tina approves level 1 for Martin; Hannah also delegates to Tina, but Tina already counts
    // in this chain, so level 2 stays with Hannah.
    Policy(DEFAULT_POLICY),
    Delegate("mgr", "temp", "2026-07-01", NOON_NEXT_WEEK, None, None),
    Delegate("head", "temp", "2026-07-01", NOON_NEXT_WEEK, None, None),
    Create("clerk", PO, "60000", None), Submit, Expect(Pending, &["temp"]),
    Act("temp", A, None), Expect(Pending, &["head"]),
    Create("clerk", PO, "60000", None), Submit, Act("temp", A, None),
    // Revoking and re-adding while level 2 is pending does not move it to Tina either.
    Revoke("head"), Delegate("head", "temp", "2026-07-02", NOON_NEXT_WEEK, None, None),
    // The job run that sees the scheduled delegation start still leaves it with Hannah (two
    // reminders: one per document waiting at level 2).
    Clock("2026-07-02T06:00:00Z"), Jobs(2, 0, 0), Expect(Pending, &["head"]));

scenario!(a_scheduled_delegation_takes_over_when_it_starts:
    Policy(DEFAULT_POLICY), Create("clerk", PO, "20000", None), Submit,
    Delegate("mgr", "temp", "2026-07-02", NOON_NEXT_WEEK, None, None), Expect(Pending, &["mgr"]),
    Clock("2026-07-01T21:30:00Z"), Jobs(1, 0, 0), Expect(Pending, &["temp"]));

scenario!(a_step_cannot_be_handed_to_someone_in_the_chain_but_can_to_others:
    Policy(DEFAULT_POLICY), Create("clerk", PO, "60000", None), Submit,
    Refused("mgr", Decision::Delegate, None, ErrorKind::InvalidInput, "Delegate to whom"),
    DelegateStepFails("mgr", "head", "already in this approval chain"),
    DelegateStepFails("mgr", "clerk", "cannot approve it"),
    DelegateStep("mgr", "temp"), Expect(Pending, &["temp"]),
    Act("temp", A, None), History("Tina Temp on behalf of Martin Manager: approved (level 1, Reporting manager)"),
    Expect(Pending, &["head"]));

scenario!(repeats_count_when_the_policy_allows_them:
    Policy(REPEAT_POLICY), Create("clerk", EC, "1000", None), Submit,
    Chain(&[(1, "mgr"), (2, "deputy"), (2, "head"), (2, "mgr"), (2, "temp")]),
    Act("mgr", A, None), Act("mgr", A, None), Expect(Approved, &[]));

// --- Return, clarify, reject, resubmit, recall, cancel ---------------------------------------

scenario!(return_then_resubmit_restarts_at_level_1:
    Policy(DEFAULT_POLICY), Create("clerk", PO, "60000", None), Submit,
    Act("mgr", A, None), Refused("head", Ret, None, ErrorKind::InvalidInput, "needs a comment"),
    Act("head", Ret, Some("Attach three quotes")), Expect(Returned, &[]),
    Resubmit, Expect(Pending, &["mgr"]), Chain(&[(1, "mgr"), (2, "head")]),
    Act("mgr", A, None), Act("head", A, None), Expect(Approved, &[]));

scenario!(clarification_then_resubmit_restarts_at_level_1:
    Policy(DEFAULT_POLICY), Create("clerk", PO, "60000", None), Submit,
    Refused("mgr", Q, None, ErrorKind::InvalidInput, "needs the question"),
    Act("mgr", Q, Some("Which supplier?")), Expect(ClarificationRequested, &[]),
    Resubmit, Expect(Pending, &["mgr"]));

scenario!(rejection_needs_a_reason_and_can_be_resubmitted:
    Policy(DEFAULT_POLICY), Create("clerk", PO, "1000", None), Submit,
    Refused("mgr", R, None, ErrorKind::InvalidInput, "needs a reason"),
    Act("mgr", R, Some("Over budget")), Expect(Rejected, &[]),
    Resubmit, Expect(Pending, &["mgr"]));

scenario!(recall_only_before_the_first_decision:
    Policy(DEFAULT_POLICY), Create("clerk", PO, "60000", None), Submit, Recall,
    Expect(Draft, &[]), Submit, Expect(Pending, &["mgr"]),
    Act("mgr", A, None), RecallFails("already decided level 1"));

scenario!(cancel_closes_the_chain:
    Policy(DEFAULT_POLICY), Create("clerk", PO, "60000", None), Submit,
    CancelFails("mgr", "may not cancel documents raised by others"),
    Cancel("clerk"), Expect(Cancelled, &[]),
    Refused("mgr", A, None, ErrorKind::Conflict, "no longer waiting"),
    CancelFails("clerk", "cancelled"));

scenario!(approved_documents_are_final:
    Policy(DEFAULT_POLICY), Create("clerk", PO, "100", None), Submit, Act("mgr", A, None),
    CancelFails("admin", "approved and final"));

// --- Delegation -------------------------------------------------------------------------------

scenario!(delegation_within_its_amount_scope:
    Policy(DEFAULT_POLICY),
    Delegate("mgr", "temp", "2026-07-01", NOON_NEXT_WEEK, None, Some("30000")),
    Create("clerk", PO, "20000", None), Submit, Expect(Pending, &["temp"]),
    Act("temp", A, None), History("Tina Temp on behalf of Martin Manager: approved (level 1, Reporting manager)"),
    Expect(Approved, &[]),
    Create("clerk", PO, "30000.01", None), Submit, Expect(Pending, &["mgr"]));

scenario!(delegation_within_its_document_type_scope:
    Policy(DEFAULT_POLICY),
    Delegate("mgr", "temp", "2026-07-01", NOON_NEXT_WEEK, Some(&[EC]), None),
    Create("clerk", PO, "20000", None), Submit, Expect(Pending, &["mgr"]),
    Create("clerk", EC, "20000", None), Submit, Expect(Pending, &["temp"]));

scenario!(a_new_delegation_reroutes_open_steps_and_revoking_routes_them_back:
    Policy(DEFAULT_POLICY), Create("clerk", PO, "20000", None), Submit, Expect(Pending, &["mgr"]),
    Delegate("mgr", "temp", "2026-07-01", NOON_NEXT_WEEK, None, None), Expect(Pending, &["temp"]),
    Revoke("mgr"), Expect(Pending, &["mgr"]));

scenario!(an_expired_delegation_routes_back_on_the_next_job_run:
    Policy(DEFAULT_POLICY),
    // Until 2026-07-02 00:00 Nairobi = 2026-07-01 21:00 UTC.
    Delegate("mgr", "temp", "2026-07-01", "2026-07-02", None, None),
    Create("clerk", PO, "20000", None), Submit, Expect(Pending, &["temp"]),
    Clock("2026-07-01T22:00:00Z"),
    // One reminder is due too (8 business hours after Wednesday 09:00 Nairobi).
    Jobs(1, 0, 1), Expect(Pending, &["mgr"]));

scenario!(delegations_may_not_overlap_cycle_or_be_empty:
    Delegate("mgr", "temp", "2026-07-01", "2026-07-05", None, None),
    DelegateFails("mgr", "deputy", "2026-07-04", "2026-07-08", "overlaps"),
    DelegateFails("temp", "mgr", "2026-07-02", "2026-07-03", "cycle"),
    DelegateFails("deputy", "head", "2026-07-05", "2026-07-04", "before it starts"),
    DelegateFails("deputy", "deputy", "2026-07-02", "2026-07-03", "yourself"),
    // Adjacent periods are fine: the period is half-open.
    Delegate("mgr", "deputy", "2026-07-05", "2026-07-08", None, None));

scenario!(delegation_chains_are_followed:
    Policy(DEFAULT_POLICY),
    Delegate("temp", "deputy", "2026-07-01", NOON_NEXT_WEEK, None, None),
    Delegate("mgr", "temp", "2026-07-01", NOON_NEXT_WEEK, None, None),
    Create("clerk", PO, "20000", None), Submit, Expect(Pending, &["deputy"]),
    Act("deputy", A, None), History("Dan Deputy on behalf of Martin Manager: approved"));

scenario!(delegation_within_its_department_scope:
    // Martin delegates only Finance documents; Clara raises one for Operations (hers) and one
    // for Finance (she heads it here, so she may) — Martin is her reporting manager for both.
    Policy(DEFAULT_POLICY), Heads("clerk", "Finance"),
    DelegateDepts("mgr", "temp", "2026-07-01", NOON_NEXT_WEEK, &["Finance"]),
    Create("clerk", PO, "20000", None), Submit, Expect(Pending, &["mgr"]),
    CreateIn("clerk", PO, "20000", "Finance"), Submit, Expect(Pending, &["temp"]),
    Act("temp", A, None), History("Tina Temp on behalf of Martin Manager: approved (level 1, Reporting manager)"));

scenario!(when_a_later_link_of_a_delegation_chain_expires_the_step_goes_back_one_link:
    // Martin → Tina (all week) → Dan (one day). The step sits with Dan; when Tina → Dan ends it
    // goes back to Tina, who still holds Martin's delegation.
    Policy(DEFAULT_POLICY),
    Delegate("temp", "deputy", "2026-07-01", "2026-07-02", None, None),
    Delegate("mgr", "temp", "2026-07-01", NOON_NEXT_WEEK, None, None),
    Create("clerk", PO, "20000", None), Submit, Expect(Pending, &["deputy"]),
    Clock("2026-07-01T22:00:00Z"),
    Jobs(1, 0, 1), Expect(Pending, &["temp"]), Jobs(0, 0, 0), Expect(Pending, &["temp"]),
    Act("temp", A, None), History("Tina Temp on behalf of Martin Manager: approved (level 1, Reporting manager)"));

scenario!(revoking_a_later_link_of_a_delegation_chain_routes_the_step_back:
    Policy(DEFAULT_POLICY),
    Delegate("temp", "deputy", "2026-07-01", NOON_NEXT_WEEK, None, None),
    Delegate("mgr", "temp", "2026-07-01", NOON_NEXT_WEEK, None, None),
    Create("clerk", PO, "20000", None), Submit, Expect(Pending, &["deputy"]),
    Revoke("temp"), Expect(Pending, &["temp"]),
    Revoke("mgr"), Expect(Pending, &["mgr"]));

// --- SLA compliance ---------------------------------------------------------------------------

scenario!(sla_compliance_counts_decisions_made_by_their_due_time:
    Policy(DEFAULT_POLICY),
    Sla("cfo", 0, 0, None), Sla("mgr", 0, 0, None),
    // On time: decided at once (due Thursday 16:00 Nairobi).
    Create("clerk", PO, "20000", None), Submit, Act("mgr", A, None),
    // Late: decided Friday, after the due time.
    Create("clerk", PO, "20000", None), Submit,
    Clock("2026-07-03T06:00:00Z"), Act("mgr", A, None),
    // Late too, by Hannah on a fresh document at level 2.
    Create("clerk", PO, "60000", None), Submit, Act("mgr", A, None),
    Clock("2026-07-08T06:00:00Z"), Act("head", R, Some("No quotes")),
    // Company-wide for those who view every document: 2 of 4 on time.
    Sla("cfo", 4, 2, Some("50.0")),
    // Otherwise the viewer's own decisions: Martin 2 of 3, Hannah 0 of 1.
    Sla("mgr", 3, 2, Some("66.7")), Sla("head", 1, 0, Some("0.0")),
    // Thirty days on, the window holds only Hannah's decision of 8 July.
    Clock("2026-08-03T06:00:00Z"), Sla("cfo", 1, 0, Some("0.0")),
    Clock("2026-08-08T06:00:01Z"), Sla("cfo", 0, 0, None));

// --- SLA, reminders, escalation ---------------------------------------------------------------

scenario!(escalation_runs_in_business_hours_with_a_settable_clock:
    // Submitted Wednesday 09:00 Nairobi; level 1 SLA 16 business hours → due Thursday 16:00.
    Policy(DEFAULT_POLICY), Create("clerk", PO, "20000", None), Submit,
    Clock("2026-07-02T11:00:00Z"), // Thursday 14:00: one reminder (Wed 17:00), not overdue
    Jobs(1, 0, 0), Jobs(0, 0, 0), Expect(Pending, &["mgr"]),
    Clock("2026-07-02T13:30:00Z"), // Thursday 16:30: overdue → to Martin's manager
    Jobs(0, 1, 0), Expect(Pending, &["head"]),
    Act("head", A, None), History("Hannah Head on behalf of Martin Manager: approved (level 1, Reporting manager)"),
    Expect(Approved, &[]));

scenario!(a_weekend_does_not_count_against_the_sla:
    // Friday 16:00 Nairobi + 16 business hours: 1 h Friday, 9 h Monday, 6 h Tuesday → due
    // Tuesday 14:00 Nairobi (11:00 UTC). The first reminder (8 h) is Monday 15:00.
    Policy(DEFAULT_POLICY), Clock("2026-07-03T13:00:00Z"),
    Create("clerk", PO, "20000", None), Submit,
    Clock("2026-07-05T20:00:00Z"), Jobs(0, 0, 0), // Sunday night: no business time has passed
    Clock("2026-07-06T20:00:00Z"), Jobs(1, 0, 0), // Monday 23:00: one reminder
    Clock("2026-07-07T10:59:00Z"), Jobs(0, 0, 0), // Tuesday 13:59: not yet due
    Clock("2026-07-07T11:01:00Z"), Jobs(0, 1, 0));

scenario!(the_default_work_week_is_monday_to_friday_eight_to_five:
    // Wednesday 09:00 Nairobi + 16 business hours = Thursday 16:00 Nairobi.
    Policy(DEFAULT_POLICY), Create("clerk", PO, "20000", None), Submit,
    Due("2026-07-02T13:00:00Z"));

scenario!(the_sla_counts_in_the_company_work_week:
    // Monday to Saturday, 09:00-13:00 (4 h a day): Wednesday 09:00 + 16 h = Wed 4 h, Thu 4 h,
    // Fri 4 h, Sat 4 h → due Saturday 13:00 Nairobi (10:00 UTC), not Thursday.
    Policy(DEFAULT_POLICY), WorkWeek("mon,tue,wed,thu,fri,sat", "09:00", "13:00"),
    Create("clerk", PO, "20000", None), Submit, Due("2026-07-04T10:00:00Z"),
    // Reminders count in it too: 8 business hours = Thursday 13:00 Nairobi.
    Clock("2026-07-02T09:59:00Z"), Jobs(0, 0, 0),
    Clock("2026-07-02T10:01:00Z"), Jobs(1, 0, 0),
    Clock("2026-07-04T09:59:00Z"), Jobs(0, 0, 0),
    Clock("2026-07-04T10:01:00Z"), Jobs(0, 1, 0), Expect(Pending, &["head"]),
    // Back to the default week: a step that becomes pending now (Saturday 13:01 Nairobi) counts
    // from Monday 08:00: 9 h Monday + 7 h Tuesday → Tuesday 15:00 Nairobi.
    WorkWeek("mon,tue,wed,thu,fri", "08:00", "17:00"),
    Create("clerk", PO, "20000", None), Submit, Due("2026-07-07T12:00:00Z"));

scenario!(a_company_holiday_does_not_count_against_the_sla:
    // Monday 6 July is a holiday: Friday 16:00 + 16 h = 1 h Friday, 9 h Tuesday, 6 h Wednesday
    // → due Wednesday 14:00 Nairobi (11:00 UTC) instead of Tuesday.
    Policy(DEFAULT_POLICY), Holiday("2026-07-06"), Clock("2026-07-03T13:00:00Z"),
    Create("clerk", PO, "20000", None), Submit,
    Clock("2026-07-07T11:01:00Z"), Jobs(0, 0, 0),
    Clock("2026-07-08T11:01:00Z"), Jobs(0, 1, 0));

scenario!(closed_for_ten_days_one_consolidated_escalation_per_step:
    Policy(DEFAULT_POLICY), Create("clerk", PO, "300000", None), Submit,
    Clock("2026-07-11T06:00:00Z"),
    // Hannah is Martin's manager but already level 2 of this chain, so an admin takes it.
    Jobs(0, 1, 0), Expect(Pending, &["admin"]), Jobs(0, 0, 0));

scenario!(closed_for_ten_days_with_a_parallel_level:
    Policy(PARALLEL_POLICY), Create("clerk", PV, "10000", Some("capex")), Submit,
    Act("mgr", A, None), Clock("2026-07-11T06:00:00Z"),
    Jobs(0, 3, 0), Jobs(0, 0, 0));

scenario!(escalation_to_a_named_user_then_auto_approval:
    // Due Thursday 16:00 Nairobi; overdue on Friday morning → to Ian, which restarts the step's
    // clock; five days later the system approves it, and says so.
    Policy(AUTO_POLICY), Create("clerk", EC, "1000", None), Submit,
    Clock("2026-07-03T06:00:00Z"), Jobs(0, 1, 0), Expect(Pending, &["audit"]),
    Jobs(0, 0, 0), // the cap: one escalation
    Clock("2026-07-08T05:59:00Z"), Jobs(0, 0, 0), Expect(Pending, &["audit"]),
    Clock("2026-07-08T06:00:00Z"), Jobs(0, 0, 0), Expect(Approved, &[]),
    History("System: auto-approved (level 1, Manager)"));

scenario!(escalation_to_the_next_level_skips_an_overdue_level:
    // The default's finance level escalates to the next level (the executive) once.
    Policy(DEFAULT_POLICY), Create("clerk", PO, "300000", None), Submit,
    Act("mgr", A, None), Act("head", A, None), Expect(Pending, &["cfo", "fm2"]),
    Clock("2026-07-11T06:00:00Z"),
    // Both pool members' steps are overdue: each is escalated once, then level 4 opens.
    Jobs(0, 2, 0), Expect(Pending, &["md"]),
    History("System: escalated to the next level (level 3, Finance manager)"),
    Act("md", A, None), Expect(Approved, &[]));

/// Escalations that tell someone instead of moving the step: level 1 tells the manager's
/// manager (twice at most); level 2, the top of the chain, has no next level, so the admins are
/// told.
const NOTIFY_POLICY: &str = r#"{
  "name": "Overdue steps stay; someone is told",
  "document_types": ["expense_claim"],
  "levels": [
    {"name": "Reporting manager", "approvers": [{"type": "reporting_manager"}],
     "escalation": {"to": {"type": "manager"}, "max": 2, "mode": "notify"}},
    {"name": "Department head", "approvers": [{"type": "department_head"}],
     "escalation": {"to": {"type": "next_level"}, "max": 1, "mode": "notify"}}
  ],
  "rules": [{"name": "Every claim", "levels": [1, 2]}]
}"#;

scenario!(an_escalated_step_is_late_against_its_original_due_time:
    // Due Thursday 16:00 Nairobi; escalated to Hannah at 16:30, who approves at once: the step
    // was decided after its original due time, so it is late, however soon Hannah acted.
    Policy(DEFAULT_POLICY), Create("clerk", PO, "20000", None), Submit,
    Clock("2026-07-02T13:30:00Z"), Jobs(0, 1, 0), Expect(Pending, &["head"]),
    Act("head", A, None), Expect(Approved, &[]),
    Sla("cfo", 1, 0, Some("0.0")), Sla("head", 1, 0, Some("0.0")));

scenario!(a_notify_escalation_tells_the_manager_and_leaves_the_step_where_it_is:
    Policy(NOTIFY_POLICY), NewAdmin("admin2"), Create("clerk", EC, "1000", None), Submit,
    Due("2026-07-02T13:00:00Z"),
    // Thursday 16:30 Nairobi: overdue. Martin keeps it, still due at its original time; Hannah
    // (his manager) is told, and so is he.
    Clock("2026-07-02T13:30:00Z"), Jobs(0, 1, 0), Expect(Pending, &["mgr"]),
    Due("2026-07-02T13:00:00Z"), Chain(&[(1, "mgr"), (2, "head")]),
    Notified("head", "is overdue at level 1 (Reporting manager) with Martin Manager"),
    Notified("mgr", "is overdue at level 1 (Reporting manager)"),
    NotNotified("admin", "overdue"),
    History("System: overdue, escalation notice sent (level 1, Reporting manager) — Hannah Head told"),
    // The next notice is one SLA (16 business hours) after the due time: Monday 14:00.
    Jobs(0, 0, 0), Clock("2026-07-06T06:00:00Z"), Jobs(0, 0, 0),
    Clock("2026-07-07T06:00:00Z"), Jobs(0, 1, 0), Jobs(0, 0, 0),
    Clock("2026-07-20T06:00:00Z"), Jobs(0, 0, 0), Expect(Pending, &["mgr"]),
    // Martin decides late: it counts as late, against the original due time.
    Act("mgr", A, None), Expect(Pending, &["head"]), Sla("cfo", 1, 0, Some("0.0")),
    // Hannah's level is the top of the chain: nobody higher, so every active admin is told.
    Clock("2026-07-23T06:00:00Z"), Jobs(0, 1, 0), Expect(Pending, &["head"]),
    Notified("admin", "is overdue at level 2 (Department head) with Hannah Head"),
    Notified("admin2", "is overdue at level 2 (Department head) with Hannah Head"),
    Notified("admin", "no higher level"));

scenario!(a_notify_escalation_after_days_closed_sends_one_notice:
    // Closed from Wednesday to the Monday after next: one run, one notice (the counter jumps
    // to the cap), and the step has not moved.
    Policy(NOTIFY_POLICY), Create("clerk", EC, "1000", None), Submit,
    Clock("2026-07-13T06:00:00Z"), Jobs(0, 1, 0), Jobs(0, 0, 0), Expect(Pending, &["mgr"]));

scenario!(an_escalation_with_nowhere_to_go_tells_the_admins:
    // Hannah's own order: level 1 is Mary, who has no manager, and the only admin already holds
    // level 2, so nobody may take the step: it stays with Mary, and the admins are told.
    Policy(DEFAULT_POLICY), Create("head", PO, "60000", None), Submit,
    Chain(&[(1, "md"), (2, "admin")]),
    Clock("2026-07-02T13:30:00Z"), Jobs(0, 1, 0), Expect(Pending, &["md"]),
    Notified("md", "is overdue at level 1"), Notified("admin", "is overdue at level 1"));

// --- Editing before resubmission ----------------------------------------------------------------

scenario!(a_returned_document_is_corrected_and_routed_for_its_new_amount:
    Policy(DEFAULT_POLICY), Create("clerk", PO, "60000", None), Submit,
    Chain(&[(1, "mgr"), (2, "head")]),
    Act("mgr", A, None), Act("head", Ret, Some("The second quote is 20,000: use it")),
    Expect(Returned, &[]),
    Edit("clerk", Some("20000"), Some("Printer toner (second quote)"), None),
    Expect(Returned, &[]),
    History("Clara Clerk: edited — title 'Scenario step 1' → 'Printer toner (second quote)'; amount KES 60,000.00 → KES 20,000.00"),
    // Planned afresh for 20,000: the reporting manager alone.
    Resubmit, Chain(&[(1, "mgr")]), Expect(Pending, &["mgr"]),
    Act("mgr", A, None), Expect(Approved, &[]));

scenario!(only_the_requester_edits_and_only_a_draft_or_a_document_sent_back:
    Policy(DEFAULT_POLICY), Create("clerk", PO, "60000", None),
    // A draft is editable.
    Edit("clerk", Some("65000"), None, None), Submit,
    EditFails("clerk", Some("1000"), None, ErrorKind::Conflict, "waiting for approval: recall it"),
    EditFails("mgr", Some("1000"), None, ErrorKind::PermissionDenied, "Only the requester may edit"),
    Act("mgr", Q, Some("Which supplier?")), Expect(ClarificationRequested, &[]),
    // The limits of create apply.
    EditFails("clerk", Some("0"), None, ErrorKind::InvalidInput, "not positive"),
    EditFails("clerk", Some("1000000000000000.01"), None, ErrorKind::InvalidInput, "largest amount"),
    EditFails("clerk", Some("12.12345"), None, ErrorKind::InvalidInput, "more than 4 decimal places"),
    // So does the department scoping rule: Clara may use only her own department.
    EditFails("clerk", None, Some("Finance"), ErrorKind::PermissionDenied, "only for their own department"),
    EditFails("clerk", None, Some("Nowhere"), ErrorKind::InvalidInput, "no department named 'Nowhere'"),
    ResubmitFails("mgr", ErrorKind::PermissionDenied, "Only the requester may resubmit"),
    Edit("clerk", Some("20000"), None, None), Resubmit, Chain(&[(1, "mgr")]),
    Act("mgr", R, Some("No")), Expect(Rejected, &[]),
    EditFails("clerk", Some("1000"), None, ErrorKind::Conflict, "is rejected"));

scenario!(an_edit_may_move_a_document_to_a_department_the_requester_heads:
    Policy(DEFAULT_POLICY), Heads("clerk", "Finance"), Create("clerk", PO, "60000", None),
    Edit("clerk", None, None, Some("Finance")), Submit,
    // Level 2 is now the head of Finance — Clara herself — so it falls to an admin (in
    // Operations it would have been Hannah).
    Chain(&[(1, "mgr"), (2, "admin")]), Explain("Over 25,000 up to 100,000"));

// --- Deactivation -----------------------------------------------------------------------------

scenario!(deactivating_the_approver_routes_per_the_empty_approver_policy:
    Policy(DEFAULT_POLICY), Create("clerk", PO, "20000", None), Submit,
    Deactivate("mgr"), Expect(Pending, &["admin"]), Chain(&[(1, "admin")]),
    Act("admin", A, None), Expect(Approved, &[]));

scenario!(deactivating_a_pool_member_leaves_the_rest_of_the_pool:
    Policy(DEFAULT_POLICY), Create("clerk", PO, "200000", None), Submit,
    Act("mgr", A, None), Act("head", A, None), Deactivate("cfo"), Expect(Pending, &["fm2"]));

scenario!(deactivating_a_later_level_reassigns_its_waiting_step:
    Policy(DEFAULT_POLICY), Create("clerk", PO, "60000", None), Submit,
    Deactivate("head"), Chain(&[(1, "mgr"), (2, "admin")]),
    Act("mgr", A, None), Expect(Pending, &["admin"]));

// --- Tests that are not a single scenario ------------------------------------------------------

#[tokio::test]
async fn bulk_approve_decides_each_item_and_lists_failures() {
    let mut w = World::new().await;
    w.step(0, Policy(DEFAULT_POLICY)).await;
    let mut requests = Vec::new();
    for amount in ["1000", "2000", "60000"] {
        w.step(1, Create("clerk", PO, amount, None)).await;
        w.step(2, Submit).await;
        requests.push(w.request_id().await);
    }
    // One that is not Martin's: Hannah's own document goes to Mary.
    w.step(3, Create("head", PO, "1000", None)).await;
    w.step(4, Submit).await;
    requests.push(w.request_id().await);
    requests.push("no-such-request".into());
    let mgr = w.who("mgr").await;
    let audit_before = support::count(w.file.path(), "audit_log").await;
    let result = actions::bulk_approve(&w.file, &mgr, &requests)
        .await
        .unwrap();
    assert_eq!(result.succeeded.len(), 3, "{result:?}");
    assert_eq!(result.failed.len(), 2, "{result:?}");
    assert_eq!(result.failed[0].request_id, requests[3]);
    assert_eq!(result.failed[0].kind, ErrorKind::PermissionDenied);
    assert!(result.failed[0].message.contains("not waiting for you"));
    assert_eq!(result.failed[1].kind, ErrorKind::NotFound);
    assert_eq!(
        result.succeeded[2].document_status,
        DocumentStatus::PendingApproval
    );
    // Three decisions and one batch summary.
    assert_eq!(
        support::count(w.file.path(), "audit_log").await,
        audit_before + 4
    );
    let pool = support::raw(w.file.path()).await;
    let batches: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'approval.bulk_approve'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(batches, 1);
    pool.close().await;
}

#[tokio::test]
async fn policies_are_validated_on_save_with_fixes_named() {
    let mut w = World::new().await;
    let admin = w.who("admin").await;
    let mut spec = policy_service::parse(DEFAULT_POLICY).unwrap();
    assert!(
        policy_service::validate(&w.file, &admin, &spec)
            .await
            .unwrap()
            .ok
    );
    // A gap between bands.
    spec.rules[1].when[0].value = serde_json::json!(30000);
    let report = policy_service::validate(&w.file, &admin, &spec)
        .await
        .unwrap();
    assert!(!report.ok);
    assert!(
        report
            .errors
            .iter()
            .any(|e| e.contains("gap between band 'Up to 25,000'")),
        "{report:?}"
    );
    let err = policy_service::import(&w.file, &admin, &spec)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    // Nobody designated: the parallel example resolves once someone is internal audit; without
    // it the level resolves to nobody.
    let mut parallel = policy_service::parse(PARALLEL_POLICY).unwrap();
    parallel.levels[1].approvers[1] =
        hesabu_core::approvals::policy_format::ApproverSpec::Designation {
            designation: "treasury".into(),
        };
    let report = policy_service::validate(&w.file, &admin, &parallel)
        .await
        .unwrap();
    assert!(
        report
            .errors
            .iter()
            .any(|e| e.contains("designation 'treasury'")),
        "{report:?}"
    );
    // An employee may not import.
    let clerk = w.who("clerk").await;
    let spec = policy_service::parse(DEFAULT_POLICY).unwrap();
    assert_eq!(
        policy_service::import(&w.file, &clerk, &spec)
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::PermissionDenied
    );
}

/// Each validator message, and the level (1-based) or rule (0-based) the policy editor shows it
/// next to. `None, None` = policy-wide.
const LOCATED: &[(&str, Option<u8>, Option<u32>)] = &[
    ("gap between band 'Up to 25,000'", None, Some(0)),
    ("Level 2 ('Department head') has sla_hours 0", Some(2), None),
    (
        "Level 4 ('Executive') resolves to nobody today",
        Some(4),
        None,
    ),
    (
        "Rule 'Over 25,000 up to 100,000' names level 9",
        None,
        Some(1),
    ),
    ("The policy needs a name.", None, None),
];

#[tokio::test]
async fn validator_messages_name_the_level_or_rule_they_belong_to() {
    let mut w = World::new().await;
    let admin = w.who("admin").await;
    let mut spec = policy_service::parse(DEFAULT_POLICY).unwrap();
    spec.name = " ".into();
    spec.rules[1].when[0].value = serde_json::json!(30000);
    spec.rules[1].levels.push(9);
    spec.levels[1].sla_hours = 0;
    spec.levels[3].approvers = vec![ApproverSpec::Designation {
        designation: "treasury".into(),
    }];
    let report = policy_service::validate(&w.file, &admin, &spec)
        .await
        .unwrap();
    assert!(!report.ok);
    assert_eq!(report.issues.len(), report.errors.len());
    for (text, level, rule) in LOCATED {
        let issue = report
            .issues
            .iter()
            .find(|i| i.message.contains(text))
            .unwrap_or_else(|| panic!("no message contains {text:?}: {:#?}", report.errors));
        assert_eq!(
            (issue.level, issue.rule),
            (*level, *rule),
            "{}",
            issue.message
        );
    }
    // A level's amount band must not be empty or negative.
    let mut banded = policy_service::parse(DEFAULT_POLICY).unwrap();
    banded.levels[2].min_amount = Some(Decimal::from(10));
    banded.levels[2].max_amount = Some(Decimal::from(5));
    banded.levels[3].min_amount = Some(Decimal::from(-1));
    let report = policy_service::validate(&w.file, &admin, &banded)
        .await
        .unwrap();
    let issue = |text: &str| {
        report
            .issues
            .iter()
            .find(|i| i.message.contains(text))
            .unwrap_or_else(|| panic!("no message contains {text:?}: {:#?}", report.errors))
            .clone()
    };
    assert_eq!(issue("has min_amount 10 above max_amount 5").level, Some(3));
    assert_eq!(issue("has a negative min_amount (-1)").level, Some(4));
    // Fractions must be strings in the JSON (as for condition values).
    let err =
        policy_service::parse(&LEVEL_BAND_POLICY.replace("200000}", "200000.5}")).unwrap_err();
    assert!(err.to_string().contains("is not an amount"), "{err}");
    // A rule whose name starts another's is not confused with it.
    let mut twins = policy_service::parse(DEFAULT_POLICY).unwrap();
    twins.rules[0].name = "Big".into();
    twins.rules[1].name = "Big spend".into();
    twins.rules[1].levels = vec![7];
    let report = policy_service::validate(&w.file, &admin, &twins)
        .await
        .unwrap();
    let issue = report
        .issues
        .iter()
        .find(|i| i.message.contains("names level 7"))
        .unwrap();
    assert_eq!(issue.rule, Some(1), "{}", issue.message);
}

#[tokio::test]
async fn in_flight_requests_keep_their_policy_version_and_explain_why() {
    let mut w = World::new().await;
    w.step(0, Policy(DEFAULT_POLICY)).await;
    w.step(1, Create("clerk", PO, "60000", None)).await;
    w.step(2, Submit).await;
    // A new policy that sends everything to Mary only.
    let only_md = r#"{"name": "Mary decides", "document_types": ["purchase_order"],
        "levels": [{"name": "Executive", "approvers": [{"type": "designation", "designation": "executive"}]}],
        "rules": [{"name": "All", "levels": [1]}]}"#;
    w.step(3, Policy(only_md)).await;
    w.step(4, Chain(&[(1, "mgr"), (2, "head")])).await;
    let mgr = w.who("mgr").await;
    let inbox = actions::inbox(&w.file, &mgr).await.unwrap();
    assert_eq!(inbox.len(), 1);
    assert!(
        inbox[0]
            .why
            .contains("Policy 'Default four-tier approvals' v1"),
        "{}",
        inbox[0].why
    );
    assert!(inbox[0].why.contains("amount > 25000"), "{}", inbox[0].why);
    assert!(
        inbox[0].why.contains("Clara Clerk's reporting manager"),
        "{}",
        inbox[0].why
    );
    // The next submission uses v2.
    w.step(5, Create("clerk", PO, "60000", None)).await;
    w.step(6, Submit).await;
    w.step(7, Chain(&[(1, "md")])).await;
}

/// A desktop without a notification service: every attempt fails.
struct NoService;
impl hesabu_store::notifications::DesktopNotifier for NoService {
    fn show(&self, _: &str, _: &str) -> Result<(), String> {
        Err("org.freedesktop.Notifications is not running".into())
    }
}

/// A desktop that shows every notification, and counts them.
#[derive(Default)]
struct Shown(std::sync::atomic::AtomicU32);
impl Shown {
    fn shown(&self) -> u32 {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }
}
impl hesabu_store::notifications::DesktopNotifier for Shown {
    fn show(&self, _: &str, _: &str) -> Result<(), String> {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }
}

#[tokio::test]
async fn notifications_are_queued_with_the_change_and_delivery_failure_is_not_fatal() {
    use hesabu_store::notifications;
    let mut w = World::new().await;
    w.step(0, Policy(DEFAULT_POLICY)).await;
    w.step(1, Create("clerk", PO, "1000", None)).await;
    w.step(2, Submit).await;
    let mgr = w.who("mgr").await;
    let mine = notifications::list(&w.file, &mgr).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].kind, "approval_request");
    assert_eq!(
        notifications::deliver(&w.file, &mgr, &NoService)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        notifications::deliver(&w.file, &mgr, &Shown::default())
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        notifications::deliver(&w.file, &mgr, &Shown::default())
            .await
            .unwrap(),
        0
    );
    assert_eq!(notifications::unread_count(&w.file, &mgr).await.unwrap(), 1);
    let clerk_before = w.who("clerk").await;
    assert_eq!(
        notifications::mark_read(&w.file, &clerk_before, std::slice::from_ref(&mine[0].id))
            .await
            .unwrap(),
        0,
        "someone else's notification is not marked"
    );
    assert_eq!(
        notifications::mark_read(&w.file, &mgr, std::slice::from_ref(&mine[0].id))
            .await
            .unwrap(),
        1
    );
    assert_eq!(notifications::unread_count(&w.file, &mgr).await.unwrap(), 0);
    assert!(notifications::list(&w.file, &mgr).await.unwrap()[0].read);
    assert_eq!(
        notifications::mark_read(&w.file, &mgr, &[]).await.unwrap(),
        0
    );
    w.step(3, Act("mgr", A, None)).await;
    let clerk = w.who("clerk").await;
    let theirs = notifications::list(&w.file, &clerk).await.unwrap();
    assert!(
        theirs
            .iter()
            .any(|n| n.kind == "decision" && n.message.contains("approved"))
    );
}

#[tokio::test]
async fn desktop_delivery_gives_up_after_a_few_failures_and_the_bell_keeps_the_notification() {
    use hesabu_store::notifications::{self, MAX_DESKTOP_ATTEMPTS};
    let mut w = World::new().await;
    w.step(0, Policy(DEFAULT_POLICY)).await;
    w.step(1, Create("clerk", PO, "1000", None)).await;
    w.step(2, Submit).await;
    let mgr = w.who("mgr").await;
    // A machine without a notification service: every poll fails, until delivery gives up.
    for _ in 0..MAX_DESKTOP_ATTEMPTS + 5 {
        notifications::deliver(&w.file, &mgr, &NoService)
            .await
            .unwrap();
    }
    let pool = support::raw(w.file.path()).await;
    let audited: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'notification.deliver'")
            .fetch_one(&pool)
            .await
            .unwrap();
    pool.close().await;
    assert_eq!(
        audited, MAX_DESKTOP_ATTEMPTS,
        "one audited attempt per try, and no more tries after the cap"
    );
    let late = Shown::default();
    assert_eq!(
        notifications::deliver(&w.file, &mgr, &late).await.unwrap(),
        0
    );
    assert_eq!(
        late.shown(),
        0,
        "a notification given up on is not offered to the desktop again"
    );
    let bell = notifications::list(&w.file, &mgr).await.unwrap();
    assert_eq!(bell.len(), 1, "the bell still lists it");
    assert!(!bell[0].read);
    assert_eq!(notifications::unread_count(&w.file, &mgr).await.unwrap(), 1);
    // A new notification is offered as usual.
    w.step(3, Create("clerk", PO, "2000", None)).await;
    w.step(4, Submit).await;
    assert_eq!(
        notifications::deliver(&w.file, &mgr, &late).await.unwrap(),
        1
    );
}

#[tokio::test]
async fn the_demo_company_routes_with_the_default_policy() {
    let dir = tempfile::tempdir().unwrap();
    let path = support::demo_copy(dir.path()).await;
    let file = hesabu_app::open_company_file(&path, support::clock())
        .await
        .unwrap();
    let login = |e: &'static str| hesabu_store::auth::login(&file, e, demo::DEMO_PASSWORD);
    let storekeeper = login("storekeeper@demo.test").await.unwrap();
    let doc = documents::create(
        &file,
        &storekeeper,
        &NewDocument {
            doc_type: DocumentType::MaterialRequest,
            title: "Cement".into(),
            amount: Decimal::new(300_000, 0),
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
    let doc = documents::submit(&file, &storekeeper, &doc.id)
        .await
        .unwrap();
    let chain: Vec<(i64, String)> = doc
        .current_request
        .unwrap()
        .steps
        .into_iter()
        .map(|s| (s.level, s.approver_email))
        .collect();
    // John is both the reporting manager and the head of Operations: he counts once, level 2
    // falls through to the finance manager, and Amina is the executive.
    assert_eq!(
        chain,
        vec![
            (1, "ops.manager@demo.test".to_owned()),
            (3, "cfo@demo.test".to_owned()),
            (4, "admin@demo.test".to_owned()),
        ]
    );
}

/// What the desktop's E2E does: a 12,500 purchase order from the storekeeper goes to the
/// reporting manager alone, shows in his inbox, is approved, and the storekeeper's own list
/// ("my requests", newest first) shows it approved.
#[tokio::test]
async fn my_requests_list_what_i_raised_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let path = support::demo_copy(dir.path()).await;
    let file = hesabu_app::open_company_file(&path, support::clock())
        .await
        .unwrap();
    let login = |e: &'static str| hesabu_store::auth::login(&file, e, demo::DEMO_PASSWORD);
    let storekeeper = login("storekeeper@demo.test").await.unwrap();
    let manager = login("ops.manager@demo.test").await.unwrap();
    assert!(
        documents::mine(&file, &storekeeper)
            .await
            .unwrap()
            .is_empty()
    );
    let new = |title: &str| NewDocument {
        doc_type: DocumentType::PurchaseOrder,
        title: title.into(),
        amount: Decimal::new(1_250_000, 2),
        currency: None,
        department: None,
        category: None,
        project: None,
        facts: None,
        lines: Vec::new(),
    };
    let first = documents::create(&file, &storekeeper, &new("Toner"))
        .await
        .unwrap();
    let first = documents::submit(&file, &storekeeper, &first.id)
        .await
        .unwrap();
    let steps = &first.current_request.as_ref().unwrap().steps;
    assert_eq!(steps.len(), 1);
    assert_eq!(steps[0].approver_email, "ops.manager@demo.test");
    let second = documents::create(&file, &storekeeper, &new("Paper"))
        .await
        .unwrap();

    let inbox = actions::inbox(&file, &manager).await.unwrap();
    let item = inbox
        .iter()
        .find(|i| i.document_id == first.id)
        .expect("the request is in the manager's inbox");
    actions::act(
        &file,
        &manager,
        &item.request_id,
        &ActionInput {
            decision: Decision::Approve,
            comment: None,
            delegate_to: None,
            expected_version: Some(item.version),
        },
    )
    .await
    .unwrap();

    let mine: Vec<(String, DocumentStatus)> = documents::mine(&file, &storekeeper)
        .await
        .unwrap()
        .into_iter()
        .map(|d| (d.id, d.status))
        .collect();
    assert_eq!(
        mine,
        vec![
            (second.id, DocumentStatus::Draft),
            (first.id, DocumentStatus::Approved)
        ]
    );
    assert!(documents::mine(&file, &manager).await.unwrap().is_empty());
}

// --- Concurrency ------------------------------------------------------------------------------

/// Two tasks, started behind a barrier, approve the same step with the version the inbox showed
/// (a double click, or two windows). Exactly one decision lands each time; the loser is told who
/// decided and when. Against the build without the version check
/// (`cargo test -p hesabu-tests --features hesabu-core/race-demo approvals::racing`) this test
/// fails at the first iteration with `(2, 2)`: both decisions are recorded.
///
/// 1,000 iterations take about 40 s in a debug build on the 2-core CI machine, so the default is
/// 200 (about 8 s) by default; scripts/test.sh (CI) sets HESABU_RACE_ITERATIONS=1000.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_decisions_on_one_step_yield_exactly_one() {
    let iterations: usize = std::env::var("HESABU_RACE_ITERATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(200);
    let mut w = World::new().await;
    w.step(0, Policy(DEFAULT_POLICY)).await;
    let second = hesabu_app::open_company_file(w.file.path(), w.clock.clone())
        .await
        .unwrap();
    let mgr = w.who("mgr").await;
    let pool = support::raw(w.file.path()).await;
    for i in 0..iterations {
        // Two levels, so a second (wrong) decision would not be stopped by the state machine.
        w.step(i, Create("clerk", PO, "60000", None)).await;
        w.step(i, Submit).await;
        let item = actions::inbox(&w.file, &mgr)
            .await
            .unwrap()
            .into_iter()
            .find(|it| Some(&it.document_id) == w.doc.as_ref())
            .unwrap();
        let barrier = Arc::new(tokio::sync::Barrier::new(2));
        let tasks: Vec<_> = [w.file.clone(), second.clone()]
            .into_iter()
            .map(|file| {
                let (mgr, barrier, request) =
                    (mgr.clone(), barrier.clone(), item.request_id.clone());
                let version = item.version;
                tokio::spawn(async move {
                    barrier.wait().await;
                    actions::act(
                        &file,
                        &mgr,
                        &request,
                        &ActionInput {
                            decision: Decision::Approve,
                            comment: None,
                            delegate_to: None,
                            expected_version: Some(version),
                        },
                    )
                    .await
                })
            })
            .collect();
        let mut wins = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => wins += 1,
                Err(e) => {
                    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
                    assert!(
                        e.to_string()
                            .contains("Already decided by Martin Manager at"),
                        "{e}"
                    );
                }
            }
        }
        let decisions: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM approval_event WHERE document_id = ? AND action = 'approve'",
        )
        .bind(w.doc_id())
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!((wins, decisions), (1, 1), "iteration {i}");
    }
    pool.close().await;
}

// --- Crash recovery ---------------------------------------------------------------------------

/// What must hold in a company file whatever moment a process died at: never half an approval.
/// Each query counts rows breaking one rule; all must be 0.
const HALF_AN_APPROVAL: &[(&str, &str)] = &[
    (
        "an approved step without exactly one 'approve' history event",
        "SELECT COUNT(*) FROM approval_step s WHERE s.status = 'approved' AND \
         (SELECT COUNT(*) FROM approval_event e WHERE e.step_id = s.id AND e.action = 'approve') != 1",
    ),
    (
        "an 'approve' history event whose step is not approved",
        "SELECT COUNT(*) FROM approval_event e JOIN approval_step s ON s.id = e.step_id \
         WHERE e.action = 'approve' AND s.status != 'approved'",
    ),
    (
        "an approved step without exactly one audit entry",
        "SELECT COUNT(*) FROM approval_step s WHERE s.status = 'approved' AND \
         (SELECT COUNT(*) FROM audit_log a WHERE a.action = 'approval.approve' \
          AND a.entity_id = s.id) != 1",
    ),
    (
        "a pending request without exactly one pending step",
        "SELECT COUNT(*) FROM approval_request r WHERE r.status = 'pending' AND \
         (SELECT COUNT(*) FROM approval_step s WHERE s.request_id = r.id \
          AND s.status = 'pending') != 1",
    ),
    (
        "an approved request with a step not approved",
        "SELECT COUNT(*) FROM approval_request r WHERE r.status = 'approved' AND EXISTS \
         (SELECT 1 FROM approval_step s WHERE s.request_id = r.id AND s.status != 'approved')",
    ),
    (
        "a request and its document disagreeing about approval",
        "SELECT COUNT(*) FROM approval_request r JOIN approval_document d ON d.id = r.document_id \
         WHERE (r.status = 'approved') != (d.status = 'approved')",
    ),
    (
        "an approved document without exactly one decision notification",
        "SELECT COUNT(*) FROM approval_document d WHERE d.status = 'approved' AND \
         (SELECT COUNT(*) FROM notification n WHERE n.document_id = d.id \
          AND n.kind = 'decision') != 1",
    ),
    (
        "an approved document without exactly one 'approved' workflow event",
        "SELECT COUNT(*) FROM approval_document d WHERE d.status = 'approved' AND \
         (SELECT COUNT(*) FROM events e WHERE e.entity_id = d.id \
          AND e.event_type = 'approved') != 1",
    ),
    (
        "a step opened for the next level without its approval-request notification",
        "SELECT COUNT(*) FROM approval_step s WHERE s.level > 1 AND s.status IN ('pending', \
         'approved') AND (SELECT COUNT(*) FROM notification n JOIN approval_request r \
         ON r.document_id = n.document_id WHERE r.id = s.request_id \
         AND n.kind = 'approval_request' AND n.user_id = s.acting_id) != 1",
    ),
];

/// The file after a crash: SQLite's own check, the rules above, and the audit chain.
async fn assert_whole_after_crash(path: &Path, after: &str) {
    let pool = support::raw(path).await;
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(integrity, "ok", "{after}: integrity_check");
    for (rule, sql) in HALF_AN_APPROVAL {
        let broken: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(*sql))
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(broken, 0, "{after}: {broken} × {rule}");
    }
    pool.close().await;
    let file = hesabu_app::open_company_file(path, support::clock())
        .await
        .unwrap();
    let report = hesabu_store::audit::verify_chain(&file).await.unwrap();
    assert!(report.ok, "{after}: the audit chain breaks: {report:?}");
    file.close().await.unwrap();
}

/// A child process approves every inbox item of the manager and the department head, one unit
/// of work each, and is killed with SIGKILL at `HESABU_APPROVAL_CRASH_KILLS` (default 40)
/// random moments after it has started approving, then restarted; a last run finishes. After
/// every kill the file passes `integrity_check`, holds no half approval (step, history, audit
/// entry, request, document, notifications and workflow event all or nothing — the rules in
/// `HALF_AN_APPROVAL`), and its audit chain verifies. At the end every document is approved and
/// every step was approved exactly once.
///
/// The documents are a mix of one-level (up to 25,000: the manager) and two-level (the manager,
/// then the head) chains, so kills land both in final approvals and in ones that open the next
/// level.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_test_sigkill_during_approvals_never_leaves_half_an_approval() {
    use std::io::BufRead;
    let kills: u32 = std::env::var("HESABU_APPROVAL_CRASH_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    let mut w = World::new().await;
    w.step(0, Policy(DEFAULT_POLICY)).await;
    let documents = 300;
    for i in 0..documents {
        let amount = if i % 2 == 0 { "10000" } else { "50000" };
        w.step(i + 1, Create("clerk", PO, amount, None)).await;
        w.step(i + 1, Submit).await;
    }
    let expected_steps = documents + documents / 2;
    let path = w.file.path().to_owned();
    w.file.close().await.unwrap();
    let child_exe = env!("CARGO_BIN_EXE_approval-crash-child");
    let spawn = |stdout: std::process::Stdio| {
        std::process::Command::new(child_exe)
            .arg(&path)
            .arg(PASSWORD)
            .arg(email("mgr"))
            .arg(email("head"))
            .stdout(stdout)
            .spawn()
            .unwrap()
    };
    let mut rng = 0x5eed_f00d_u64;
    let mut killed = 0;
    while killed < kills {
        let mut child = spawn(std::process::Stdio::piped());
        // Wait for its first approval (start-up is slower than an approval), then let it run a
        // random while longer. Its output is read to the end, so that it never dies of a
        // closed pipe: only the SIGKILL stops it.
        let stdout = child.stdout.take().unwrap();
        let (first_tx, first_rx) = tokio::sync::oneshot::channel();
        let reader = std::thread::spawn(move || {
            let mut lines = std::io::BufReader::new(stdout).lines();
            let _ = first_tx.send(lines.next().and_then(Result::ok).unwrap_or_default());
            lines.count()
        });
        let first = first_rx.await.unwrap();
        assert!(
            first.starts_with("approved "),
            "the child stopped before approving anything after {killed} kills: add documents"
        );
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        tokio::time::sleep(std::time::Duration::from_micros(rng % 30_000)).await;
        assert!(
            child.try_wait().unwrap().is_none(),
            "the child finished after {killed} kills: add documents"
        );
        child.kill().unwrap(); // SIGKILL on Unix
        let status = child.wait().unwrap();
        reader.join().unwrap();
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&status),
            Some(9),
            "the child died of something else than the SIGKILL: {status:?}"
        );
        killed += 1;
        assert_whole_after_crash(&path, &format!("after kill {killed}")).await;
    }
    let pool = support::raw(&path).await;
    let before_last_run: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM approval_step WHERE status = 'approved'")
            .fetch_one(&pool)
            .await
            .unwrap();
    pool.close().await;
    let status = spawn(std::process::Stdio::null()).wait().unwrap();
    assert!(status.success());
    assert_whole_after_crash(&path, "after the last run").await;
    let pool = support::raw(&path).await;
    let approved_steps: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM approval_step WHERE status = 'approved'")
            .fetch_one(&pool)
            .await
            .unwrap();
    let approved_documents: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM approval_document WHERE status = 'approved'")
            .fetch_one(&pool)
            .await
            .unwrap();
    let approve_events: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM approval_event WHERE action = 'approve'")
            .fetch_one(&pool)
            .await
            .unwrap();
    pool.close().await;
    eprintln!(
        "approval crash test: {killed} SIGKILLs, {before_last_run}/{expected_steps} steps \
         approved before the final run"
    );
    assert!(
        before_last_run >= i64::from(kills),
        "every killed run approved at least one step"
    );
    assert_eq!(approved_documents, i64::try_from(documents).unwrap());
    assert_eq!(approved_steps, i64::try_from(expected_steps).unwrap());
    assert_eq!(
        approve_events, approved_steps,
        "each step approved exactly once"
    );
}

// --- Property: no completion without every required distinct approver -------------------------

mod property {
    use super::*;
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    const ACTORS: [&str; 10] = [
        "admin", "md", "cfo", "fm2", "audit", "head", "mgr", "deputy", "temp", "clerk",
    ];

    #[derive(Debug, Clone)]
    enum Move {
        Decide(usize, u8),
        Hand(usize, usize),
        Resubmit,
        Recall,
    }

    fn moves() -> impl Strategy<Value = Vec<Move>> {
        prop::collection::vec(
            prop_oneof![
                // Approve is drawn most often so that random play completes documents.
                6 => (0..ACTORS.len(), prop_oneof![4 => Just(0_u8), 1 => 1_u8..4])
                    .prop_map(|(a, d)| Move::Decide(a, d)),
                1 => (0..ACTORS.len(), 0..ACTORS.len()).prop_map(|(a, b)| Move::Hand(a, b)),
                1 => Just(Move::Resubmit),
                1 => Just(Move::Recall),
            ],
            1..80,
        )
    }

    /// Levels a clerk's document must pass, and how many distinct people each needs.
    fn required(doc_type: DocumentType, amount: i64, capex: bool) -> Vec<(i64, usize)> {
        if doc_type == DocumentType::PaymentVoucher {
            return if capex || amount > 50_000 {
                vec![(1, 1), (2, 3)]
            } else {
                vec![(1, 1)]
            };
        }
        match amount {
            a if a <= 25_000 => vec![(1, 1)],
            a if a <= 100_000 => vec![(1, 1), (2, 1)],
            a if a <= 250_000 => vec![(1, 1), (2, 1), (3, 1)],
            _ => vec![(1, 1), (2, 1), (3, 1), (4, 1)],
        }
    }

    #[test]
    fn random_actions_never_complete_without_every_required_distinct_approver() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let world = std::cell::RefCell::new(rt.block_on(async {
            let mut w = World::new().await;
            w.step(0, Policy(DEFAULT_POLICY)).await;
            // The parallel example needs someone designated internal_audit: Ian is.
            w.step(0, Policy(PARALLEL_POLICY)).await;
            for a in ACTORS {
                w.who(a).await;
            }
            w
        }));
        let completed = std::cell::Cell::new(0_u32);
        let mut runner = TestRunner::new(Config {
            cases: 48,
            failure_persistence: None,
            ..Config::default()
        });
        let strategy = (
            prop_oneof![
                Just(DocumentType::PurchaseOrder),
                Just(DocumentType::PaymentVoucher)
            ],
            prop_oneof![Just(20_000_i64), Just(60_000), Just(200_000), Just(300_000)],
            any::<bool>(),
            moves(),
        );
        runner
            .run(&strategy, |(doc_type, amount, capex, moves)| {
                // One case at a time: the borrow lasts for this case only.
                #[allow(clippy::await_holding_refcell_ref)]
                let mut w = world.borrow_mut();
                rt.block_on(async {
                    let category = if capex { Some("capex") } else { None };
                    let amount_text: &'static str = Box::leak(amount.to_string().into_boxed_str());
                    w.step(0, Create("clerk", doc_type, amount_text, category))
                        .await;
                    w.step(0, Submit).await;
                    let clerk = w.who("clerk").await;
                    let id = w.doc_id();
                    for m in &moves {
                        let _ = match m {
                            Move::Decide(a, d) => {
                                let decision = [
                                    Decision::Approve,
                                    Decision::Reject,
                                    Decision::Return,
                                    Decision::Clarify,
                                ][usize::from(*d)];
                                w.act(ACTORS[*a], decision, Some("because"), None).await
                            }
                            Move::Hand(a, b) => {
                                w.act(
                                    ACTORS[*a],
                                    Decision::Delegate,
                                    None,
                                    Some(email(ACTORS[*b])),
                                )
                                .await
                            }
                            Move::Resubmit => documents::resubmit(&w.file, &clerk, &id, None)
                                .await
                                .map(|_| ()),
                            Move::Recall => {
                                documents::recall(&w.file, &clerk, &id).await.map(|_| ())
                            }
                        };
                    }
                    let admin = w.who("admin").await;
                    let doc = documents::show(&w.file, &admin, &id).await.unwrap();
                    if doc.status != DocumentStatus::Approved {
                        return Ok(());
                    }
                    completed.set(completed.get() + 1);
                    let steps = doc.current_request.unwrap().steps;
                    let mut everyone = std::collections::HashSet::new();
                    for (level, people) in required(doc_type, amount, capex) {
                        let deciders: std::collections::HashSet<String> = steps
                            .iter()
                            .filter(|s| s.level == level && s.status == "approved")
                            .filter_map(|s| s.decided_by_email.clone())
                            .collect();
                        prop_assert!(
                            deciders.len() >= people,
                            "level {level} approved by {deciders:?}, needs {people}: {steps:#?}"
                        );
                        for d in deciders {
                            prop_assert!(d != email("clerk"), "the requester approved");
                            prop_assert!(everyone.insert(d.clone()), "{d} counted twice");
                        }
                    }
                    Ok(())
                })
            })
            .unwrap();
        // The property is only worth something if random play does complete documents.
        assert!(
            completed.get() >= 2,
            "only {} of the random cases completed a document",
            completed.get()
        );
    }
}

// --- CLI --------------------------------------------------------------------------------------

#[tokio::test]
async fn cli_routes_a_document_through_the_demo_company() {
    let dir = tempfile::tempdir().unwrap();
    let path = support::demo_copy(dir.path()).await;
    let company = path.to_str().unwrap();
    let as_ = |who: &'static str, args: &[&str]| {
        let mut all = vec!["--company", company, "--as", who, "--json"];
        all.extend_from_slice(args);
        all.into_iter().map(str::to_owned).collect::<Vec<String>>()
    };
    let run = |args: Vec<String>| async move {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        hesabu(&refs, env(Some(demo::DEMO_PASSWORD), None)).await
    };
    let lines = dir.path().join("lines.json");
    std::fs::write(
        &lines,
        r#"[{"description": "Cement 50kg", "quantity": "100", "unit_price": "750", "tax_code": "B"}]"#,
    )
    .unwrap();
    let created = run(as_(
        "storekeeper@demo.test",
        &[
            "doc",
            "create",
            "--type",
            "purchase_order",
            "--title",
            "Cement",
            "--amount",
            "75,000",
            "--category",
            "materials",
            "--facts",
            r#"{"site": "Thika"}"#,
            "--lines",
            lines.to_str().unwrap(),
        ],
    ))
    .await;
    assert_eq!(created.code, 0, "{}", created.stderr);
    let id = created.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(created.json()["status"], "draft");
    assert_eq!(created.json()["lines"][0]["unit_price"], "750");
    let submitted = run(as_("storekeeper@demo.test", &["doc", "submit", &id])).await;
    assert_eq!(submitted.code, 0, "{}", submitted.stderr);
    assert_eq!(submitted.json()["status"], "pending_approval");

    let inbox = run(as_("ops.manager@demo.test", &["approval", "inbox"])).await;
    assert_eq!(inbox.code, 0, "{}", inbox.stderr);
    let items = inbox.json();
    let item = &items.as_array().unwrap()[0];
    assert_eq!(item["document_id"], id.as_str());
    assert_eq!(item["level"], 1);
    assert!(item["due_at"].as_str().unwrap().ends_with('Z'));
    let request = item["request_id"].as_str().unwrap().to_owned();

    let own = run(as_(
        "storekeeper@demo.test",
        &["approval", "act", &request, "--approve"],
    ))
    .await;
    assert_eq!(own.code, 3, "{}", own.stderr);
    assert!(
        own.error_json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Cannot approve own submission")
    );
    let reject = run(as_(
        "ops.manager@demo.test",
        &["approval", "act", &request, "--reject"],
    ))
    .await;
    assert_eq!(reject.code, 2, "a rejection needs a reason");
    let approved = run(as_(
        "ops.manager@demo.test",
        &["approval", "act", &request, "--approve"],
    ))
    .await;
    assert_eq!(approved.code, 0, "{}", approved.stderr);
    assert_eq!(approved.json()["pending_level"], 2);
    let again = run(as_(
        "ops.manager@demo.test",
        &["approval", "act", &request, "--approve"],
    ))
    .await;
    assert_eq!(again.code, 2);
    assert!(
        again.error_json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Already decided by John Mwangi")
    );

    // Level 2 (head of Operations) is John again, so it went to the admin.
    let admin_inbox = run(as_("admin@demo.test", &["approval", "inbox"])).await;
    assert_eq!(admin_inbox.json()[0]["level"], 2);
    // Ten days later: one escalation... of a step with no escalation rule past its target?
    // Level 2 escalates to the approver's manager; Amina has none, nobody else may take it.
    let jobs = run(as_(
        "admin@demo.test",
        &["jobs", "run", "--as-of", "2026-07-13T09:00:00+03:00"],
    ))
    .await;
    assert_eq!(jobs.code, 0, "{}", jobs.stderr);
    assert_eq!(jobs.json()["as_of"], "2026-07-13T06:00:00.000Z");
    assert_eq!(jobs.json()["escalations"], 1);
    let bulk = run(as_(
        "admin@demo.test",
        &["approval", "bulk-approve", &request, "nope"],
    ))
    .await;
    assert_eq!(bulk.code, 2);
    assert_eq!(bulk.json()["succeeded"].as_array().unwrap().len(), 1);
    assert_eq!(bulk.json()["failed"][0]["kind"], "not_found");
    let shown = run(as_("auditor@demo.test", &["doc", "show", &id])).await;
    assert_eq!(shown.json()["status"], "approved");
    let history = run(as_("storekeeper@demo.test", &["approval", "history", &id])).await;
    let texts: Vec<String> = history
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["text"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        texts
            .iter()
            .any(|t| t == "John Mwangi: approved (level 1, Reporting manager)"),
        "{texts:?}"
    );
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("System: escalated (level 2, Department head)")),
        "{texts:?}"
    );
    let other = run(as_("sales.rep@demo.test", &["doc", "show", &id])).await;
    assert_eq!(other.code, 3, "not hers, not in her chain");
}

#[tokio::test]
async fn cli_policy_validate_names_problems_and_delegations_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = support::demo_copy(dir.path()).await;
    let company = path.to_str().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let parallel = root.join("docs/examples/policy-parallel.json");
    let default = root.join("docs/examples/policy-default.json");
    let go = |who: &str, args: &[&str]| {
        let mut all = vec!["--company", company, "--as", who, "--json"];
        all.extend_from_slice(args);
        let all: Vec<String> = all.into_iter().map(str::to_owned).collect();
        async move {
            let refs: Vec<&str> = all.iter().map(String::as_str).collect();
            hesabu(&refs, env(Some(demo::DEMO_PASSWORD), None)).await
        }
    };
    let ok = go(
        "cfo@demo.test",
        &["policy", "validate", default.to_str().unwrap()],
    )
    .await;
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert_eq!(ok.json()["ok"], true);
    // The demo has nobody designated internal_audit.
    let bad = go(
        "cfo@demo.test",
        &["policy", "validate", parallel.to_str().unwrap()],
    )
    .await;
    assert_eq!(bad.code, 2);
    assert!(
        bad.json()["errors"][0]
            .as_str()
            .unwrap()
            .contains("internal_audit"),
        "{}",
        bad.stdout
    );
    let designated = go(
        "admin@demo.test",
        &["org", "designate", "accountant@demo.test", "internal_audit"],
    )
    .await;
    assert_eq!(designated.code, 0, "{}", designated.stderr);
    let imported = go(
        "cfo@demo.test",
        &["policy", "import", parallel.to_str().unwrap()],
    )
    .await;
    assert_eq!(imported.code, 0, "{}", imported.stderr);
    assert_eq!(imported.json()["version"], 2);
    let list = go("auditor@demo.test", &["policy", "list"]).await;
    assert_eq!(
        list.json()[0]["active_for"],
        serde_json::json!(["payment_voucher"])
    );
    assert_eq!(list.json()[1]["active_for"].as_array().unwrap().len(), 6);

    let added = go(
        "ops.manager@demo.test",
        &[
            "delegation",
            "add",
            "--to",
            "sales.manager@demo.test",
            "--from",
            "2026-07-01",
            "--until",
            "2026-07-08",
            "--doc-types",
            "purchase_order,expense_claim",
            "--max-amount",
            "50,000",
        ],
    )
    .await;
    assert_eq!(added.code, 0, "{}", added.stderr);
    assert_eq!(added.json()["state"], "active");
    assert_eq!(added.json()["max_amount"], "50000");
    let id = added.json()["id"].as_str().unwrap().to_owned();
    let overlapping = go(
        "ops.manager@demo.test",
        &[
            "delegation",
            "add",
            "--to",
            "cfo@demo.test",
            "--from",
            "2026-07-07",
            "--until",
            "2026-07-09",
        ],
    )
    .await;
    assert_eq!(overlapping.code, 2);
    let listed = go("sales.manager@demo.test", &["delegation", "list"]).await;
    assert_eq!(listed.json()[0]["delegator_email"], "ops.manager@demo.test");
    let revoked = go("ops.manager@demo.test", &["delegation", "revoke", &id]).await;
    assert_eq!(revoked.json()["state"], "revoked");
}

#[test]
fn approval_wire_types_have_typescript_declarations() {
    let all = hesabu_app::typescript::typescript_declarations().join("\n");
    for needle in [
        "export type InboxItem",
        "request_id: string",
        "due_at: string | null",
        "export type PolicySpec",
        "export type Op = \"=\" | \">\" | \">=\" | \"<\" | \"<=\" | \"BETWEEN\" | \"IN\"",
        "export type DocumentStatus",
    ] {
        assert!(all.contains(needle), "missing {needle:?} in:\n{all}");
    }
}

#[tokio::test]
async fn cli_sets_the_work_week_and_refuses_bad_ones() {
    let dir = tempfile::tempdir().unwrap();
    let path = support::demo_copy(dir.path()).await;
    let company = path.to_str().unwrap();
    let go = |who: &str, args: &[&str]| {
        let mut all = vec!["--company", company, "--as", who, "--json"];
        all.extend_from_slice(args);
        let all: Vec<String> = all.into_iter().map(str::to_owned).collect();
        async move {
            let refs: Vec<&str> = all.iter().map(String::as_str).collect();
            hesabu(&refs, env(Some(demo::DEMO_PASSWORD), None)).await
        }
    };
    let shown = go("admin@demo.test", &["company", "work-week"]).await;
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    assert_eq!(
        shown.json()["days"],
        serde_json::json!(["mon", "tue", "wed", "thu", "fri"])
    );
    assert_eq!(
        (shown.json()["start"].clone(), shown.json()["end"].clone()),
        (serde_json::json!("08:00"), serde_json::json!("17:00"))
    );
    assert_eq!(shown.json()["time_zone"], "Africa/Nairobi");
    assert_eq!(shown.json()["hours_per_week"], "45");

    let set = go(
        "admin@demo.test",
        &[
            "company",
            "set-work-week",
            "--days",
            "Saturday,mon,tue",
            "--end",
            "12:30",
        ],
    )
    .await;
    assert_eq!(set.code, 0, "{}", set.stderr);
    assert_eq!(set.json()["days"], serde_json::json!(["mon", "tue", "sat"]));
    assert_eq!(set.json()["start"], "08:00");
    assert_eq!(set.json()["hours_per_week"], "13.50");

    for (args, text) in [
        (&["--days", "mon,funday"][..], "'funday' is not a weekday"),
        (&["--days", ","][..], "at least one working day"),
        (&["--start", "13:00"][..], "the end must be after the start"),
        (&["--end", "5pm"][..], "write it as HH:MM"),
    ] {
        let mut all = vec!["company", "set-work-week"];
        all.extend_from_slice(args);
        let bad = go("admin@demo.test", &all).await;
        assert_eq!(bad.code, 2, "{args:?}: {}", bad.stdout);
        assert!(
            format!("{}{}", bad.stdout, bad.stderr).contains(text),
            "{args:?}: {} {}",
            bad.stdout,
            bad.stderr
        );
    }
    // Only those who may edit the company settings.
    let denied = go(
        "ops.manager@demo.test",
        &["company", "set-work-week", "--days", "mon"],
    )
    .await;
    assert_ne!(denied.code, 0);
    assert!(
        denied.stderr.contains("Permission denied") || denied.stdout.contains("Permission denied")
    );
    // Unchanged by the refusals.
    let shown = go("admin@demo.test", &["company", "work-week"]).await;
    assert_eq!(
        shown.json()["days"],
        serde_json::json!(["mon", "tue", "sat"])
    );

    // SLA compliance from the CLI: nothing decided yet in the demo's last 30 days.
    let sla = go("cfo@demo.test", &["approval", "sla", "--days", "30"]).await;
    assert_eq!(sla.code, 0, "{}", sla.stderr);
    assert_eq!(sla.json()["scope"], "company");
    assert_eq!(sla.json()["percent"], serde_json::Value::Null);
    let bad = go("cfo@demo.test", &["approval", "sla", "--days", "0"]).await;
    assert_eq!(bad.code, 2, "{}", bad.stdout);
}

#[tokio::test]
async fn cli_creates_and_submits_in_one_step_and_edits_a_returned_document() {
    let dir = tempfile::tempdir().unwrap();
    let path = support::demo_copy(dir.path()).await;
    let company = path.to_str().unwrap();
    let as_ = |who: &'static str, args: &[&str]| {
        let mut all = vec!["--company", company, "--as", who, "--json"];
        all.extend_from_slice(args);
        all.into_iter().map(str::to_owned).collect::<Vec<String>>()
    };
    let run = |args: Vec<String>| async move {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        hesabu(&refs, env(Some(demo::DEMO_PASSWORD), None)).await
    };
    let sent = run(as_(
        "storekeeper@demo.test",
        &[
            "doc",
            "create",
            "--type",
            "purchase_order",
            "--title",
            "Cement",
            "--amount",
            "75,000",
            "--submit",
        ],
    ))
    .await;
    assert_eq!(sent.code, 0, "{}", sent.stderr);
    assert_eq!(sent.json()["status"], "pending_approval");
    let id = sent.json()["id"].as_str().unwrap().to_owned();
    let request = sent.json()["current_request"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // While it is with the approver it cannot be edited.
    let early = run(as_(
        "storekeeper@demo.test",
        &["doc", "edit", &id, "--amount", "20000"],
    ))
    .await;
    assert_eq!(early.code, 2, "a conflict: {}", early.stderr);
    assert!(
        early.error_json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("recall it first"),
        "{}",
        early.stderr
    );
    let returned = run(as_(
        "ops.manager@demo.test",
        &[
            "approval",
            "act",
            &request,
            "--return",
            "--comment",
            "Get a second quote",
        ],
    ))
    .await;
    assert_eq!(returned.code, 0, "{}", returned.stderr);

    let not_json = run(as_(
        "storekeeper@demo.test",
        &["doc", "edit", &id, "--facts", "{nope"],
    ))
    .await;
    assert_eq!(not_json.code, 2, "{}", not_json.stderr);
    let theirs = run(as_(
        "ops.manager@demo.test",
        &["doc", "edit", &id, "--amount", "1"],
    ))
    .await;
    assert_eq!(theirs.code, 3, "{}", theirs.stderr);
    assert!(
        theirs.error_json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Only the requester may edit"),
        "{}",
        theirs.stderr
    );
    let edited = run(as_(
        "storekeeper@demo.test",
        &[
            "doc",
            "edit",
            &id,
            "--amount",
            "20,000",
            "--title",
            "Cement (second quote)",
            "--category",
            "materials",
        ],
    ))
    .await;
    assert_eq!(edited.code, 0, "{}", edited.stderr);
    assert_eq!(edited.json()["amount"], "20000");
    assert_eq!(edited.json()["title"], "Cement (second quote)");
    assert_eq!(edited.json()["category"], "materials");
    assert_eq!(edited.json()["status"], "returned");

    let other = run(as_("ops.manager@demo.test", &["doc", "resubmit", &id])).await;
    assert_eq!(other.code, 3, "{}", other.stderr);
    assert!(
        other.error_json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Only the requester may resubmit"),
        "{}",
        other.stderr
    );
    let again = run(as_("storekeeper@demo.test", &["doc", "resubmit", &id])).await;
    assert_eq!(again.code, 0, "{}", again.stderr);
    // Planned afresh for 20,000: the reporting manager alone.
    let levels: Vec<i64> = again.json()["current_request"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["level"].as_i64().unwrap())
        .collect();
    assert_eq!(levels, vec![1]);
    let history = run(as_("storekeeper@demo.test", &["approval", "history", &id])).await;
    let texts: Vec<String> = history
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["text"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        texts.iter().any(|t| t.contains(
            "edited — title 'Cement' → 'Cement (second quote)'; amount KES 75,000.00 → KES \
             20,000.00; category none → materials"
        )),
        "{texts:?}"
    );
    assert!(
        texts.iter().any(
            |t| t == "John Mwangi: returned for revision (level 1, Reporting manager) — Get a second quote"
        ),
        "{texts:?}"
    );
}

#[tokio::test]
async fn a_create_and_submit_blocked_by_a_business_rule_saves_nothing() {
    let d = crate::workflows::demo().await;
    let cfo = crate::workflows::login(&d.file, "cfo@demo.test").await;
    hesabu_core::rules::service::import(
        &d.file,
        &cfo,
        include_str!("../../docs/examples/rules-foreign-currency.json"),
    )
    .await
    .unwrap();
    let rep = crate::workflows::login(&d.file, "sales.rep@demo.test").await;
    let mut new = crate::workflows::invoice(1_000, &[Some("B")], serde_json::json!({}));
    new.currency = Some("USD".into());
    let before = support::count(&d.path, "approval_document").await;
    let audit_before = support::count(&d.path, "audit_log").await;
    let err = documents::create_and_submit(&d.file, &rep, &new)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");
    let text = err.to_string();
    for part in [
        "The request cannot be submitted:",
        "no exchange rate",
        "(rule table",
        "nothing was saved",
    ] {
        assert!(text.contains(part), "{text}");
    }
    assert_eq!(support::count(&d.path, "approval_document").await, before);
    assert_eq!(support::count(&d.path, "audit_log").await, audit_before);
}
