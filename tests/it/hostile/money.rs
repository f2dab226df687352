//! Money at the limits (issue 14, "Money and arithmetic"): every core entry point refuses an
//! amount above `MAX_AMOUNT`; a ledger full of amounts at the maximum reports, lists and submits;
//! figures stored above it (a file edited outside Hesabu or written by an older version) give a
//! clear message, never a panic, through the core API and the CLI. And budgets are scoped to the
//! departments a role may see: an employee or a manager reads and moves only their own.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use hesabu_app::demo::DEMO_PASSWORD;
use hesabu_core::approvals::wire::{DocumentType, NewDocument, NewDocumentLine};
use hesabu_core::approvals::{documents, org, policy_service};
use hesabu_core::budgets::{
    self, BudgetCheckInput, BudgetView, Enforcement, MoveInput, NewBudget, ReleaseAction,
    ReleaseCommitmentInput, ReleaseInput, ReserveInput, phasing, report,
};
use hesabu_store::ErrorKind;
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::Result;
use hesabu_store::money::{Currency, MAX_AMOUNT};
use rust_decimal::Decimal;

use crate::support::{self, env, hesabu};

/// How the maximum reads in every message about it.
const MAX_TEXT: &str = "1,000,000,000,000,000";

fn d(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

async fn demo() -> (tempfile::TempDir, PathBuf, CompanyFile) {
    let dir = tempfile::tempdir().unwrap();
    let path = support::demo_copy(dir.path()).await;
    let file = hesabu_app::open_company_file(&path, support::clock())
        .await
        .unwrap();
    (dir, path, file)
}

async fn login(file: &CompanyFile, email: &str) -> Session {
    hesabu_store::auth::login(file, email, DEMO_PASSWORD)
        .await
        .unwrap()
}

/// Runs `work` on its own task, so that a panic is caught and reported as a failure of the
/// test's own (the CLI's process would have exited 101).
async fn caught<T: Send + 'static>(work: impl Future<Output = T> + Send + 'static) -> Option<T> {
    match tokio::spawn(work).await {
        Ok(value) => Some(value),
        Err(e) if e.is_panic() => None,
        Err(e) => panic!("the task did not finish: {e}"),
    }
}

fn new_budget(department: &str, period: &str, amount: Decimal) -> NewBudget {
    NewBudget {
        department: department.into(),
        period: period.into(),
        amount,
        currency: Currency::kes(),
        enforcement: Enforcement::SoftWarning,
        auto_approve_threshold: None,
        category: None,
        project: None,
    }
}

fn new_document(title: &str, amount: Decimal, lines: Vec<NewDocumentLine>) -> NewDocument {
    NewDocument {
        doc_type: DocumentType::PurchaseOrder,
        title: title.into(),
        amount,
        currency: None,
        department: None,
        category: None,
        project: None,
        facts: None,
        lines,
    }
}

fn line(quantity: Decimal, unit_price: Decimal) -> NewDocumentLine {
    NewDocumentLine {
        description: "Cement".into(),
        quantity,
        unit_price,
        tax_code: None,
    }
}

/// The error must be an input error that names the maximum.
fn names_the_maximum<T: std::fmt::Debug>(what: &str, result: Result<T>) {
    match result {
        Ok(value) => panic!("{what}: accepted ({value:?})"),
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{what}: {e}");
            assert!(e.to_string().contains(MAX_TEXT), "{what}: {e}");
        }
    }
}

async fn ledger_rows(path: &Path) -> i64 {
    support::count(path, "budget_ledger").await
}

// ---------------------------------------------------------------------------------------------
// Every entry point of an amount refuses one above the maximum.

#[tokio::test]
async fn the_core_refuses_amounts_above_the_maximum_at_every_entry_point() {
    let (_dir, path, file) = demo().await;
    let admin = login(&file, "admin@demo.test").await;
    let cfo = login(&file, "cfo@demo.test").await;
    let above = MAX_AMOUNT + d("0.01");

    // Creating a budget: the amount and the auto-approve threshold.
    for amount in [above, Decimal::MAX] {
        names_the_maximum(
            "budget create",
            budgets::create(&file, &cfo, &new_budget("IT", "2026-08", amount)).await,
        );
    }
    let mut with_threshold = new_budget("IT", "2026-08", d("1000"));
    with_threshold.auto_approve_threshold = Some(Decimal::MAX);
    names_the_maximum(
        "budget create threshold",
        budgets::create(&file, &cfo, &with_threshold).await,
    );
    let at_max = budgets::create(&file, &cfo, &new_budget("IT", "2026-08", MAX_AMOUNT))
        .await
        .unwrap();
    assert_eq!(at_max.balance.budgeted, MAX_AMOUNT);

    // Reserving: the decimal maximum is refused and nothing is written (it used to be accepted,
    // after which every further movement on the budget panicked).
    let before = ledger_rows(&path).await;
    let reserve = |amount: Decimal, request: &str| ReserveInput {
        budget_id: at_max.id.clone(),
        request_id: request.into(),
        amount,
        reason: None,
    };
    for amount in [above, Decimal::MAX] {
        names_the_maximum(
            "reserve",
            budgets::reserve(&file, &cfo, &reserve(amount, "PR-MAX-1")).await,
        );
    }
    assert_eq!(
        ledger_rows(&path).await,
        before,
        "a refused reservation wrote"
    );
    // The maximum itself is fine; a second one would take the reserved total above it on a
    // SOFT_WARNING budget, which is refused rather than stored.
    budgets::reserve(&file, &cfo, &reserve(MAX_AMOUNT, "PR-MAX-1"))
        .await
        .unwrap();
    let again = budgets::reserve(&file, &cfo, &reserve(MAX_AMOUNT, "PR-MAX-2")).await;
    names_the_maximum("a reservation past the maximum", again);
    let shown = budgets::get(&file, &cfo, &at_max.id).await.unwrap();
    assert_eq!(shown.balance.reserved, MAX_AMOUNT);
    assert!(shown.balance.holds());

    // Commit, spend, release and release-commitment: an amount above the maximum is refused by
    // its size, before the reservation is looked at.
    let moving = |amount| MoveInput {
        budget_id: at_max.id.clone(),
        request_id: "PR-MAX-1".into(),
        amount: Some(amount),
        reason: None,
    };
    names_the_maximum(
        "commit",
        budgets::commit(&file, &cfo, &moving(Decimal::MAX)).await,
    );
    names_the_maximum(
        "spend",
        budgets::spend(&file, &cfo, &moving(Decimal::MAX)).await,
    );
    names_the_maximum(
        "release",
        budgets::release(
            &file,
            &cfo,
            &ReleaseInput {
                budget_id: at_max.id.clone(),
                request_id: "PR-MAX-1".into(),
                amount: Some(Decimal::MAX),
                action: ReleaseAction::Cancel,
                reason: "typo".into(),
            },
        )
        .await,
    );
    names_the_maximum(
        "release commitment",
        budgets::release_commitment(
            &file,
            &cfo,
            &ReleaseCommitmentInput {
                budget_id: at_max.id.clone(),
                request_id: "PR-MAX-1".into(),
                amount: Some(Decimal::MAX),
                reason: "typo".into(),
            },
        )
        .await,
    );

    // A budget check of the decimal maximum is refused, not answered "insufficient".
    names_the_maximum(
        "check",
        budgets::check(
            &file,
            &cfo,
            &BudgetCheckInput {
                request_id: None,
                department: "IT".into(),
                period: "2026-08".into(),
                amount: Decimal::MAX,
                vendor: None,
                purpose: None,
                category: None,
                project: None,
            },
        )
        .await,
    );

    // Phasing percentages that cannot even be added up are refused, not a crash.
    let administration = budgets::list(&file, &admin, Some("FY2026"), false)
        .await
        .unwrap()
        .into_iter()
        .find(|b| b.department == "Administration" && b.period == "FY2026")
        .unwrap();
    let (f, s, id) = (file.clone(), cfo.clone(), administration.id.clone());
    let phased = caught(async move {
        phasing::phase(&f, &s, &id, phasing::Phasing::Quarterly, &[Decimal::MAX; 4]).await
    })
    .await
    .expect("phasing with huge percentages panicked");
    assert_eq!(phased.unwrap_err().kind(), ErrorKind::InvalidInput);

    // Documents: the amount, each line's quantity and unit price, and a line's total.
    let keeper = login(&file, "storekeeper@demo.test").await;
    names_the_maximum(
        "document amount",
        documents::create(&file, &keeper, &new_document("Huge", above, Vec::new())).await,
    );
    for (what, l) in [
        ("quantity", line(Decimal::MAX, d("1"))),
        ("unit price", line(d("1"), above)),
        ("line total", line(d("2"), MAX_AMOUNT)),
    ] {
        let (f, s) = (file.clone(), keeper.clone());
        let created = caught(async move {
            documents::create(&f, &s, &new_document("Lines", d("100"), vec![l])).await
        })
        .await
        .unwrap_or_else(|| panic!("document with a huge {what} panicked"));
        names_the_maximum(what, created);
    }
    let ok = documents::create(
        &file,
        &keeper,
        &new_document("At the maximum", MAX_AMOUNT, vec![line(d("1"), MAX_AMOUNT)]),
    )
    .await
    .unwrap();
    assert_eq!(ok.amount, MAX_AMOUNT.to_string());

    // Approval policies: a level's max_amount or an amount condition above the maximum.
    let mut policy: serde_json::Value =
        serde_json::from_str(hesabu_app::demo::DEFAULT_POLICY_JSON).unwrap();
    policy["levels"][0]["max_amount"] = serde_json::json!("1000000000000000.01");
    let spec = policy_service::parse(&policy.to_string()).unwrap();
    let checked = policy_service::validate(&file, &admin, &spec)
        .await
        .unwrap();
    assert!(!checked.ok);
    assert!(
        checked
            .errors
            .iter()
            .any(|e| e.starts_with("Level 1") && e.contains(MAX_TEXT)),
        "{:?}",
        checked.errors
    );
    let mut policy: serde_json::Value =
        serde_json::from_str(hesabu_app::demo::DEFAULT_POLICY_JSON).unwrap();
    let rules = policy["rules"].as_array_mut().unwrap();
    let banded = rules
        .iter_mut()
        .find(|r| {
            r["when"]
                .as_array()
                .is_some_and(|w| w.iter().any(|c| c["field"] == "amount"))
        })
        .expect("the default policy has an amount band");
    let name = banded["name"].as_str().unwrap().to_owned();
    banded["when"] = serde_json::json!([
        {"field": "amount", "op": "<=", "value": "79228162514264337593543950335"}
    ]);
    let spec = policy_service::parse(&policy.to_string()).unwrap();
    let checked = policy_service::validate(&file, &admin, &spec)
        .await
        .unwrap();
    assert!(
        checked
            .errors
            .iter()
            .any(|e| e.starts_with(&format!("Rule '{name}'")) && e.contains(MAX_TEXT)),
        "{:?}",
        checked.errors
    );
    let refused = policy_service::import(&file, &admin, &spec).await;
    assert!(
        refused.is_err(),
        "a policy with a threshold above the maximum was imported"
    );
}

// ---------------------------------------------------------------------------------------------
// A ledger full of maximum amounts, then figures above it written behind Hesabu's back.

/// One call of the probe: the core API, or the CLI as the admin.
struct Probe {
    path: PathBuf,
    failures: Vec<String>,
}

impl Probe {
    /// Runs a core call on its own task; records a panic. Returns the result when it finished.
    async fn core<T, F, Fut>(
        &mut self,
        what: &str,
        file: &CompanyFile,
        session: &Session,
        call: F,
    ) -> Option<Result<T>>
    where
        T: Send + 'static,
        F: FnOnce(CompanyFile, Session) -> Fut,
        Fut: Future<Output = Result<T>> + Send + 'static,
    {
        let out = caught(call(file.clone(), session.clone())).await;
        if out.is_none() {
            self.failures.push(format!("core {what}: panicked"));
        }
        out
    }

    /// Runs `hesabu --json ARGS` as the admin; records a panic (exit 101) and an error that does
    /// not say what is out of range. Returns the exit code.
    async fn cli(&mut self, args: &[&str]) -> i32 {
        let mut argv: Vec<String> = [
            "--company",
            self.path.to_str().unwrap(),
            "--as",
            "admin@demo.test",
            "--json",
        ]
        .iter()
        .map(|a| (*a).to_owned())
        .collect();
        argv.extend(args.iter().map(|a| (*a).to_owned()));
        let out = caught(async move {
            let refs: Vec<&str> = argv.iter().map(String::as_str).collect();
            hesabu(&refs, env(Some(DEMO_PASSWORD), None)).await
        })
        .await;
        match out {
            None => {
                self.failures
                    .push(format!("hesabu {args:?}: exit 101 (panic)"));
                101
            }
            Some(out) => {
                if out.code != 0 && !out.stderr.contains(MAX_TEXT) {
                    self.failures.push(format!(
                        "hesabu {args:?}: exit {} without naming the maximum: {}",
                        out.code, out.stderr
                    ));
                }
                out.code
            }
        }
    }

    /// A core result that is fine, or an error naming the maximum.
    fn clear<T>(&mut self, what: &str, result: Option<Result<T>>) {
        if let Some(Err(e)) = result
            && !e.to_string().contains(MAX_TEXT)
        {
            self.failures.push(format!(
                "core {what}: an unclear error ({:?}): {e}",
                e.kind()
            ));
        }
    }
}

fn find<'a>(list: &'a [BudgetView], department: &str, period: &str) -> &'a BudgetView {
    list.iter()
        .find(|b| b.department == department && b.period == period)
        .unwrap_or_else(|| panic!("no {department} {period} budget"))
}

#[tokio::test]
async fn stored_amounts_at_and_above_the_maximum_never_panic() {
    let (_dir, path, file) = demo().await;
    let admin = login(&file, "admin@demo.test").await;
    let cfo = login(&file, "cfo@demo.test").await;
    let months = [
        "2026-07", "2026-08", "2026-09", "2026-10", "2026-11", "2026-12", "2027-01", "2027-02",
        "2027-03", "2027-04", "2027-05", "2027-06",
    ];
    let departments = ["Operations", "Sales", "IT", "Finance", "Administration"];
    // 60 budgets at the maximum: every department, every month of FY2026.
    for department in departments {
        for month in months {
            budgets::create(&file, &cfo, &new_budget(department, month, MAX_AMOUNT))
                .await
                .unwrap();
        }
    }
    let list = budgets::list(&file, &admin, None, false).await.unwrap();
    // Entries at the maximum: reserved, committed and spent in full, month after month.
    for department in ["IT", "Finance", "Administration"] {
        for month in &months[1..6] {
            let b = find(&list, department, month);
            let request = format!("PR-{department}-{month}");
            budgets::reserve(
                &file,
                &cfo,
                &ReserveInput {
                    budget_id: b.id.clone(),
                    request_id: request.clone(),
                    amount: MAX_AMOUNT,
                    reason: None,
                },
            )
            .await
            .unwrap();
            let all = MoveInput {
                budget_id: b.id.clone(),
                request_id: request,
                amount: None,
                reason: None,
            };
            budgets::commit(&file, &cfo, &all).await.unwrap();
            budgets::spend(&file, &cfo, &all).await.unwrap();
        }
    }
    // A document of the maximum amount is submitted against Operations 2026-07.
    let keeper = login(&file, "storekeeper@demo.test").await;
    let doc = documents::create(&file, &keeper, &new_document("Max", MAX_AMOUNT, Vec::new()))
        .await
        .unwrap();
    let submitted = documents::submit(&file, &keeper, &doc.id).await.unwrap();
    assert_eq!(submitted.budget_status.as_deref(), Some("within_budget"));

    // Everything at the maximum adds up exactly.
    let r = report::report(&file, &admin, Some("FY2026")).await.unwrap();
    let spent = r
        .rows
        .iter()
        .find(|row| row.department == "IT" && row.period == "2026-08")
        .unwrap();
    assert_eq!(spent.balance.spent, MAX_AMOUNT);
    assert_eq!(spent.percent_used, Some(d("100.0")));
    let year = report::fiscal_year(&file, &admin, Some("FY2026"), None, None)
        .await
        .unwrap();
    assert!(year.months[11].budgeted >= MAX_AMOUNT * Decimal::from(60));
    assert_eq!(
        year.months[11].spent,
        MAX_AMOUNT * Decimal::from(15) + Decimal::from(60_000)
    );
    assert!(
        budgets::verify_balances(&file, &admin)
            .await
            .unwrap()
            .is_empty()
    );

    // Now a file changed outside Hesabu: figures above the maximum, up to the decimal maximum.
    let sales_jul = find(&list, "Sales", "2026-07").id.clone();
    let it_jul = find(&list, "IT", "2026-07").id.clone();
    let finance_jul = find(&list, "Finance", "2026-07").id.clone();
    let ops_jul = find(&list, "Operations", "2026-07").id.clone();
    let rep = login(&file, "sales.rep@demo.test").await;
    let sales_doc = documents::create(&file, &rep, &new_document("Edited", d("10"), Vec::new()))
        .await
        .unwrap();
    file.close().await.unwrap();
    let huge = Decimal::MAX.to_string();
    let minus_huge = (-Decimal::MAX).to_string();
    let pool = support::raw(&path).await;
    for (sql, binds) in [
        // Sales 2026-07: reserved and committed at the decimal maximum (their sum overflows).
        (
            "UPDATE budget_balance SET available = ?, reserved = ?, committed = ? \
             WHERE budget_id = ?",
            vec![
                minus_huge.clone(),
                huge.clone(),
                huge.clone(),
                sales_jul.clone(),
            ],
        ),
        // IT 2026-07: just above the maximum (nothing overflows; still out of range).
        (
            "UPDATE budget_balance SET budgeted = '1000000000000000.01', \
             available = '1000000000000000.01' WHERE budget_id = ?",
            vec![it_jul.clone()],
        ),
        // Operations 2026-07: available at minus the decimal maximum.
        (
            "UPDATE budget_balance SET available = ?, reserved = ? WHERE budget_id = ?",
            vec![minus_huge.clone(), huge.clone(), ops_jul.clone()],
        ),
        // A document whose amount was edited to the decimal maximum.
        (
            "UPDATE approval_document SET amount = ? WHERE id = ?",
            vec![huge.clone(), sales_doc.id.clone()],
        ),
    ] {
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for b in binds {
            query = query.bind(b);
        }
        assert_eq!(
            query.execute(&pool).await.unwrap().rows_affected(),
            1,
            "{sql}"
        );
    }
    // Finance 2026-07: two reservations of the decimal maximum in its ledger (the replay of the
    // year and the verification add them up).
    for seq in [2, 3] {
        sqlx::query(
            "INSERT INTO budget_ledger (id, budget_id, seq, kind, request_id, reservation_id, \
             action, amount, is_override, reason, available_after, actor_id, actor_email, at) \
             VALUES (?, ?, ?, 'reserve', 'PR-EDITED', NULL, NULL, ?, 0, NULL, '0', NULL, \
             'someone', '2026-07-01T06:00:00Z')",
        )
        .bind(format!("edited-{seq}"))
        .bind(&finance_jul)
        .bind(seq)
        .bind(&huge)
        .execute(&pool)
        .await
        .unwrap();
    }
    pool.close().await;

    let file = hesabu_app::open_company_file(&path, support::clock())
        .await
        .unwrap();
    let admin = login(&file, "admin@demo.test").await;
    let keeper = login(&file, "storekeeper@demo.test").await;
    let rep = login(&file, "sales.rep@demo.test").await;
    let mut probe = Probe {
        path: path.clone(),
        failures: Vec::new(),
    };

    // Reads that only show stored figures still work, so finance can find the budget.
    let listed = probe
        .core("list", &file, &admin, |f, s| async move {
            budgets::list(&f, &s, None, false).await
        })
        .await;
    assert!(matches!(listed, Some(Ok(_))), "{listed:?}");
    for id in [&sales_jul, &it_jul, &finance_jul, &ops_jul] {
        let (id, id2) = (id.clone(), id.clone());
        let shown = probe
            .core("show", &file, &admin, |f, s| async move {
                budgets::get(&f, &s, &id).await
            })
            .await;
        probe.clear("show", shown);
        let history = probe
            .core("history", &file, &admin, |f, s| async move {
                budgets::history(&f, &s, &id2).await
            })
            .await;
        probe.clear("history", history);
    }
    // Reports and the year view add figures up: a clear refusal naming the maximum.
    for period in [None, Some("FY2026"), Some("2026-07")] {
        let r = probe
            .core("report", &file, &admin, move |f, s| async move {
                report::report(&f, &s, period).await
            })
            .await;
        assert!(matches!(r, Some(Err(_))), "report {period:?}: {r:?}");
        probe.clear("report", r);
    }
    for department in [None, Some("Finance"), Some("Sales"), Some("IT")] {
        let y = probe
            .core("year", &file, &admin, move |f, s| async move {
                report::fiscal_year(&f, &s, Some("FY2026"), department, None).await
            })
            .await;
        assert!(matches!(y, Some(Err(_))), "year {department:?}: {y:?}");
        probe.clear("year", y);
    }
    // The verification lists the damaged budgets instead of crashing.
    let verified = probe
        .core("verify", &file, &admin, |f, s| async move {
            budgets::verify_balances(&f, &s).await
        })
        .await;
    match verified {
        Some(Ok(bad)) => {
            for id in [&sales_jul, &it_jul, &finance_jul, &ops_jul] {
                assert!(bad.contains(id), "{id} not flagged: {bad:?}");
            }
        }
        other => probe.failures.push(format!("verify: {other:?}")),
    }
    // Checks, reservations and moves on the damaged budgets: refused, naming the maximum.
    for (department, id) in [
        ("Sales", &sales_jul),
        ("IT", &it_jul),
        ("Operations", &ops_jul),
    ] {
        let check = BudgetCheckInput {
            request_id: None,
            department: department.into(),
            period: "2026-07".into(),
            amount: d("1"),
            vendor: None,
            purpose: None,
            category: None,
            project: None,
        };
        let c = probe
            .core("check", &file, &admin, |f, s| async move {
                budgets::check(&f, &s, &check).await
            })
            .await;
        assert!(matches!(c, Some(Err(_))), "check {department}: {c:?}");
        probe.clear("check", c);
        let input = ReserveInput {
            budget_id: id.clone(),
            request_id: "PR-AFTER".into(),
            amount: d("1"),
            reason: None,
        };
        let reserved = probe
            .core("reserve", &file, &admin, |f, s| async move {
                budgets::reserve(&f, &s, &input).await
            })
            .await;
        assert!(matches!(reserved, Some(Err(_))), "reserve {department}");
        probe.clear("reserve", reserved);
    }
    // Submitting against a damaged budget, and a document whose own amount was edited.
    let fresh = documents::create(
        &file,
        &keeper,
        &new_document("After the edit", d("10"), Vec::new()),
    )
    .await
    .unwrap();
    for (who, id) in [(&keeper, fresh.id), (&rep, sales_doc.id.clone())] {
        let submitted = probe
            .core("submit", &file, who, |f, s| async move {
                documents::submit(&f, &s, &id).await
            })
            .await;
        assert!(matches!(submitted, Some(Err(_))), "{submitted:?}");
        probe.clear("submit", submitted);
    }
    file.close().await.unwrap();

    // The same through the CLI: never exit 101, and a refusal says what is out of range.
    for args in [
        vec!["budget", "list"],
        vec!["budget", "list", "--period", "FY2026"],
        vec!["budget", "show", &sales_jul],
        vec!["budget", "history", &finance_jul],
        vec!["budget", "report"],
        vec!["budget", "report", "--period", "FY2026", "--format", "csv"],
        vec!["budget", "year", "--fiscal-year", "FY2026"],
        vec![
            "budget",
            "year",
            "--fiscal-year",
            "FY2026",
            "--department",
            "Finance",
        ],
        vec![
            "budget",
            "check",
            "--department",
            "Sales",
            "--period",
            "2026-07",
            "--amount",
            "1",
        ],
        vec![
            "budget",
            "reserve",
            "--budget",
            &sales_jul,
            "--amount",
            "1",
            "--request-id",
            "PR-CLI",
        ],
        vec![
            "budget",
            "reserve",
            "--budget",
            &ops_jul,
            "--amount",
            "79228162514264337593543950335",
            "--request-id",
            "PR-CLI",
        ],
        vec![
            "budget",
            "commit",
            "--budget",
            &sales_jul,
            "--request-id",
            "PR-CLI",
        ],
    ] {
        probe.cli(&args).await;
    }
    let report_code = probe.cli(&["budget", "report"]).await;
    assert_eq!(report_code, 2, "a report over a damaged figure is refused");
    assert!(
        probe.failures.is_empty(),
        "out-of-range figures:\n{}",
        probe.failures.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Department scoping: employees and managers see and move only their own departments' budgets.

#[tokio::test]
async fn budgets_are_scoped_to_the_departments_a_role_may_see() {
    let (_dir, path, file) = demo().await;
    let admin = login(&file, "admin@demo.test").await;
    let all = budgets::list(&file, &admin, None, false).await.unwrap();
    let ops = all
        .iter()
        .find(|b| b.department == "Operations" && b.period == "FY2026" && b.category.is_none())
        .unwrap()
        .clone();
    let sales = all
        .iter()
        .find(|b| b.department == "Sales" && b.period == "FY2026" && b.category.is_none())
        .unwrap()
        .clone();
    // Figures of the Sales budget that a refusal must not give away.
    let secrets = [
        sales.balance.budgeted.to_string(),
        sales.balance.available.to_string(),
        budgets::show(sales.balance.budgeted, "KES"),
        budgets::show(sales.balance.available, "KES"),
    ];
    let no_secrets = |what: &str, message: &str| {
        for s in &secrets {
            assert!(
                !message.contains(s.as_str()),
                "{what} gave away {s}: {message}"
            );
        }
    };
    let denied = |what: &str, err: hesabu_store::Error| {
        assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{what}: {err}");
        no_secrets(what, &err.to_string());
    };

    // Finance roles, admins and auditors see every department's budgets.
    let departments_of = |list: &[BudgetView]| {
        let mut names: Vec<String> = list.iter().map(|b| b.department.clone()).collect();
        names.dedup();
        names
    };
    for who in ["cfo@demo.test", "accountant@demo.test", "auditor@demo.test"] {
        let s = login(&file, who).await;
        assert_eq!(
            budgets::list(&file, &s, None, false).await.unwrap().len(),
            all.len(),
            "{who}"
        );
    }
    // The Operations manager: Operations only, in the list, the report and the year view.
    let manager = login(&file, "ops.manager@demo.test").await;
    let mine = budgets::list(&file, &manager, None, false).await.unwrap();
    assert_eq!(departments_of(&mine), vec!["Operations".to_owned()]);
    let r = report::report(&file, &manager, None).await.unwrap();
    assert!(r.rows.iter().all(|row| row.department == "Operations"));
    assert!(!r.rows.is_empty());
    let year = report::fiscal_year(&file, &manager, Some("FY2026"), None, None)
        .await
        .unwrap();
    assert_eq!(
        year.budgets,
        i64::try_from(
            mine.iter()
                .filter(|b| b.currency == "KES" && b.parent_id.is_none())
                .count()
        )
        .unwrap()
    );
    denied(
        "year for Sales",
        report::fiscal_year(&file, &manager, Some("FY2026"), Some("Sales"), None)
            .await
            .unwrap_err(),
    );
    denied(
        "show",
        budgets::get(&file, &manager, &sales.id).await.unwrap_err(),
    );
    denied(
        "history",
        budgets::history(&file, &manager, &sales.id)
            .await
            .unwrap_err(),
    );
    budgets::get(&file, &manager, &ops.id).await.unwrap();

    // Checks and moves on another department's budget: refused, and nothing is written.
    let audit_before = support::count(&path, "audit_log").await;
    let checks_before = support::count(&path, "budget_check_log").await;
    let ledger_before = ledger_rows(&path).await;
    let check = |department: &str| BudgetCheckInput {
        request_id: None,
        department: department.into(),
        period: "FY2026".into(),
        amount: d("1000"),
        vendor: None,
        purpose: None,
        category: None,
        project: None,
    };
    let reserve = |budget: &BudgetView| ReserveInput {
        budget_id: budget.id.clone(),
        request_id: "PR-SCOPE-1".into(),
        amount: d("1000"),
        reason: None,
    };
    let storekeeper = login(&file, "storekeeper@demo.test").await;
    for (who, session) in [("manager", &manager), ("employee", &storekeeper)] {
        denied(
            &format!("{who} check"),
            budgets::check(&file, session, &check("Sales"))
                .await
                .unwrap_err(),
        );
        denied(
            &format!("{who} reserve"),
            budgets::reserve(&file, session, &reserve(&sales))
                .await
                .unwrap_err(),
        );
    }
    denied(
        "commit",
        budgets::commit(
            &file,
            &manager,
            &MoveInput {
                budget_id: sales.id.clone(),
                request_id: "PR-DEMO-0002".into(),
                amount: None,
                reason: None,
            },
        )
        .await
        .unwrap_err(),
    );
    let rep = login(&file, "sales.rep@demo.test").await;
    denied(
        "reserve on Operations",
        budgets::reserve(&file, &rep, &reserve(&ops))
            .await
            .unwrap_err(),
    );
    assert_eq!(support::count(&path, "audit_log").await, audit_before);
    assert_eq!(
        support::count(&path, "budget_check_log").await,
        checks_before
    );
    assert_eq!(ledger_rows(&path).await, ledger_before);

    // Their own department works as before.
    let checked = budgets::check(&file, &storekeeper, &check("Operations"))
        .await
        .unwrap();
    assert!(checked.available);
    budgets::reserve(&file, &storekeeper, &reserve(&ops))
        .await
        .unwrap();
    let accountant = login(&file, "accountant@demo.test").await;
    budgets::reserve(&file, &accountant, &reserve(&sales))
        .await
        .unwrap();

    // The manager's report counts only the checks made against their department.
    budgets::check(&file, &admin, &check("Sales"))
        .await
        .unwrap();
    let theirs = report::report(&file, &manager, None).await.unwrap();
    let everyone = report::report(&file, &admin, None).await.unwrap();
    assert_eq!(theirs.checks.checks, 1, "{:?}", theirs.checks);
    assert_eq!(everyone.checks.checks, 2, "{:?}", everyone.checks);

    // A manager who also heads IT sees IT's budgets too.
    org::set_department_head(&file, &admin, "IT", "ops.manager@demo.test")
        .await
        .unwrap();
    let manager = login(&file, "ops.manager@demo.test").await;
    let mine = budgets::list(&file, &manager, None, false).await.unwrap();
    assert_eq!(
        departments_of(&mine),
        vec!["IT".to_owned(), "Operations".to_owned()]
    );
}
