//! Every CLI command × every role, against a hand-written expectation table (deliberately not
//! derived from the core's permission table, so a wrong cell there fails here). Denied commands
//! exit 3 and write nothing.
//!
//! Budget commands name demo budgets by id: `{ops}` is Operations FY2026 (PR-DEMO-0001 holds
//! 45,000 there, reserved by the storekeeper), `{sales}` is Sales FY2026 (PR-DEMO-0002 has
//! committed money there), `{administration}` is Administration FY2026 (untouched);
//! `{sample}` is docs/examples/budgets.csv.

use hesabu_app::demo::DEMO_PASSWORD;

use crate::support::{self, env, hesabu};

const ROLES: [(&str, &str); 6] = [
    ("admin", "admin@demo.test"),
    ("finance_manager", "cfo@demo.test"),
    ("finance_user", "accountant@demo.test"),
    ("approver", "ops.manager@demo.test"),
    ("employee", "storekeeper@demo.test"),
    ("auditor", "auditor@demo.test"),
];

/// (command, roles allowed)
const MATRIX: &[(&[&str], &[&str])] = &[
    (
        &["company", "info"],
        &[
            "admin",
            "finance_manager",
            "finance_user",
            "approver",
            "employee",
            "auditor",
        ],
    ),
    (
        &["company", "update", "--trading-name", "Renamed"],
        &["admin"],
    ),
    (
        &["user", "list"],
        &[
            "admin",
            "finance_manager",
            "finance_user",
            "approver",
            "auditor",
        ],
    ),
    (
        &[
            "user",
            "add",
            "--email",
            "new@demo.test",
            "--name",
            "New",
            "--role",
            "employee",
        ],
        &["admin"],
    ),
    (&["user", "deactivate", "sales.rep@demo.test"], &["admin"]),
    (
        &["department", "add", "Logistics"],
        &["admin", "finance_manager"],
    ),
    (
        &["department", "list"],
        &[
            "admin",
            "finance_manager",
            "finance_user",
            "approver",
            "employee",
            "auditor",
        ],
    ),
    (&["audit", "list"], &["admin", "finance_manager", "auditor"]),
    (
        &["audit", "verify"],
        &["admin", "finance_manager", "auditor"],
    ),
    (&["budget", "list"], BUDGET_READERS),
    (&["budget", "report"], BUDGET_READERS),
    (&["budget", "history", "{ops}"], BUDGET_READERS),
    (&["budget", "show", "{ops}"], BUDGET_READERS),
    (&["budget", "sync-history"], BUDGET_READERS),
    (
        &[
            "budget",
            "year",
            "--fiscal-year",
            "FY2026",
            "--department",
            "Operations",
        ],
        BUDGET_READERS,
    ),
    // Another department's budget: the approver (Operations' head) and the employee (in
    // Operations) may neither read nor check nor reserve against Sales (issue 14).
    (&["budget", "show", "{sales}"], EVERY_BUDGET_READERS),
    (&["budget", "history", "{sales}"], EVERY_BUDGET_READERS),
    (
        &[
            "budget",
            "year",
            "--fiscal-year",
            "FY2026",
            "--department",
            "Sales",
        ],
        EVERY_BUDGET_READERS,
    ),
    (
        &[
            "budget",
            "check",
            "--department",
            "Sales",
            "--period",
            "FY2026",
            "--amount",
            "1000",
        ],
        &["admin", "finance_manager", "finance_user"],
    ),
    (
        &[
            "budget",
            "reserve",
            "--budget",
            "{sales}",
            "--amount",
            "1000",
            "--request-id",
            "PR-NEW-2",
        ],
        &["admin", "finance_manager", "finance_user"],
    ),
    (
        &[
            "budget",
            "check",
            "--department",
            "Operations",
            "--period",
            "FY2026",
            "--amount",
            "1000",
        ],
        &[
            "admin",
            "finance_manager",
            "finance_user",
            "approver",
            "employee",
        ],
    ),
    (
        &[
            "budget",
            "reserve",
            "--budget",
            "{ops}",
            "--amount",
            "1000",
            "--request-id",
            "PR-NEW-1",
        ],
        &[
            "admin",
            "finance_manager",
            "finance_user",
            "approver",
            "employee",
        ],
    ),
    (
        &[
            "budget",
            "commit",
            "--budget",
            "{ops}",
            "--request-id",
            "PR-DEMO-0001",
        ],
        &["admin", "finance_manager", "finance_user", "approver"],
    ),
    (
        &[
            "budget",
            "spend",
            "--budget",
            "{sales}",
            "--request-id",
            "PR-DEMO-0002",
            "--amount",
            "1000",
        ],
        &["admin", "finance_manager", "finance_user"],
    ),
    // The seed table: finance and admins release anything; the storekeeper (employee) reserved
    // PR-DEMO-0001, so may release it; the approver did not, so may not.
    (
        &[
            "budget",
            "release",
            "--budget",
            "{ops}",
            "--request-id",
            "PR-DEMO-0001",
            "--action",
            "cancel",
            "--reason",
            "Not needed",
        ],
        &["admin", "finance_manager", "finance_user", "employee"],
    ),
    (
        &["budget", "import", "{sample}"],
        &["admin", "finance_manager"],
    ),
    (
        &["budget", "phase", "{administration}", "--by", "quarter"],
        &["admin", "finance_manager"],
    ),
    (
        &["policy", "list"],
        &[
            "admin",
            "finance_manager",
            "finance_user",
            "approver",
            "auditor",
        ],
    ),
    (
        &["policy", "validate", "{default_policy}"],
        &[
            "admin",
            "finance_manager",
            "finance_user",
            "approver",
            "auditor",
        ],
    ),
    (
        &["policy", "import", "{default_policy}"],
        &["admin", "finance_manager"],
    ),
    (
        &[
            "doc",
            "create",
            "--type",
            "expense_claim",
            "--title",
            "Taxi",
            "--amount",
            "1500",
        ],
        &[
            "admin",
            "finance_manager",
            "finance_user",
            "approver",
            "employee",
        ],
    ),
    (
        &["approval", "inbox"],
        &[
            "admin",
            "finance_manager",
            "finance_user",
            "approver",
            "employee",
        ],
    ),
    (
        &[
            "delegation",
            "add",
            "--to",
            "sales.rep@demo.test",
            "--from",
            "2026-07-01",
            "--until",
            "2026-07-02",
        ],
        &[
            "admin",
            "finance_manager",
            "finance_user",
            "approver",
            "employee",
        ],
    ),
    (
        &["delegation", "list"],
        &[
            "admin",
            "finance_manager",
            "finance_user",
            "approver",
            "employee",
            "auditor",
        ],
    ),
    (&["jobs", "run"], &["admin", "finance_manager"]),
    (
        &["jobs", "run", "--only", "daily_summary"],
        &["admin", "finance_manager"],
    ),
    (
        &["jobs", "run", "--only", "outbox_retries"],
        &["admin", "finance_manager", "finance_user"],
    ),
    (&["jobs", "list"], &["admin", "finance_manager", "auditor"]),
    (
        &["jobs", "set", "backup", "--keep", "3"],
        &["admin", "finance_manager"],
    ),
    (
        &["reports", "list"],
        &["admin", "finance_manager", "auditor"],
    ),
    (
        &["monitor"],
        &["admin", "finance_manager", "finance_user", "auditor"],
    ),
    (
        &["org", "designate", "sales.rep@demo.test", "internal_audit"],
        &["admin"],
    ),
    (
        &[
            "org",
            "set-head",
            "--department",
            "IT",
            "--user",
            "cfo@demo.test",
        ],
        &["admin"],
    ),
    (
        &["sync", "status"],
        &["admin", "finance_manager", "finance_user", "auditor"],
    ),
    (
        &["sync", "dead"],
        &["admin", "finance_manager", "finance_user", "auditor"],
    ),
    (
        &["sync", "run", "--once"],
        &["admin", "finance_manager", "finance_user"],
    ),
    (
        &["sync", "connectivity"],
        &["admin", "finance_manager", "finance_user", "auditor"],
    ),
    (&["backup", "create"], &["admin", "finance_manager"]),
    (&["backup", "list"], &["admin", "finance_manager"]),
    (
        &["workflow", "list"],
        &["admin", "finance_manager", "finance_user", "auditor"],
    ),
    (
        &["workflow", "executions"],
        &["admin", "finance_manager", "finance_user", "auditor"],
    ),
    (
        &["workflow", "events"],
        &["admin", "finance_manager", "finance_user", "auditor"],
    ),
    (
        &[
            "workflow",
            "set",
            "invoice_sync",
            "--file",
            "{workflow_invoice}",
        ],
        &["admin", "finance_manager"],
    ),
    (
        &["workflow", "enable", "customer_sync"],
        &["admin", "finance_manager"],
    ),
    (
        &["workflow", "disable", "item_sync"],
        &["admin", "finance_manager"],
    ),
    // `workflow run` and `workflow retry` need an entity the demo does not have; their row is
    // tests/it/workflows.rs::run_and_retry_need_the_workflow_run_permission.
    (
        &["rules", "list"],
        &["admin", "finance_manager", "finance_user", "auditor"],
    ),
    (
        &["rules", "evaluations"],
        &["admin", "finance_manager", "finance_user", "auditor"],
    ),
    (
        &["rules", "import", "{rules_high_value}"],
        &["admin", "finance_manager"],
    ),
];

const BUDGET_READERS: &[&str] = &[
    "admin",
    "finance_manager",
    "finance_user",
    "approver",
    "auditor",
];

/// Who reads every department's budgets: finance, admins and auditors. Approvers and employees
/// see only their own departments' (docs/budgets.md, "Who sees which budgets").
const EVERY_BUDGET_READERS: &[&str] = &["admin", "finance_manager", "finance_user", "auditor"];

/// The ids behind `{ops}`, `{sales}` and `{administration}` (FY2026, untouched): every demo
/// copy is the same file, so the same ids.
async fn demo_budget_ids() -> (String, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = support::demo_copy(dir.path()).await;
    let file = hesabu_app::open_company_file(&path, support::clock())
        .await
        .unwrap();
    let admin = hesabu_store::auth::login(&file, "admin@demo.test", DEMO_PASSWORD)
        .await
        .unwrap();
    let list = hesabu_core::budgets::list(&file, &admin, None, false)
        .await
        .unwrap();
    let id = |department: &str| {
        list.iter()
            .find(|b| b.department == department && b.period == "FY2026" && b.category.is_none())
            .unwrap()
            .id
            .clone()
    };
    (id("Operations"), id("Sales"), id("Administration"))
}

/// Placeholders in the matrix, filled in at run time.
fn fill(arg: &str) -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap();
    match arg {
        "{default_policy}" => root
            .join("docs/examples/policy-default.json")
            .display()
            .to_string(),
        "{workflow_invoice}" => root
            .join("docs/examples/workflow-invoice-sync.json")
            .display()
            .to_string(),
        "{rules_high_value}" => root
            .join("docs/examples/rules-high-value-invoice.json")
            .display()
            .to_string(),
        other => other.to_owned(),
    }
}

#[tokio::test]
async fn every_command_for_every_role() {
    let (ops, sales, administration) = demo_budget_ids().await;
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .join("docs/examples/budgets.csv");
    let sample = sample.to_str().unwrap();
    let mut failures = Vec::new();
    for (command, allowed) in MATRIX {
        let command: Vec<String> = command
            .iter()
            .map(|a| {
                a.replace("{ops}", &ops)
                    .replace("{sales}", &sales)
                    .replace("{administration}", &administration)
                    .replace("{sample}", sample)
            })
            .collect();
        let command: Vec<&str> = command.iter().map(String::as_str).collect();
        for (role, email) in ROLES {
            let dir = tempfile::tempdir().unwrap();
            let path = support::demo_copy(dir.path()).await;
            let audit_before = support::count(&path, "audit_log").await;
            let users_before = support::count(&path, "app_user").await;
            let filled: Vec<String> = command.iter().map(|a| fill(a)).collect();
            let mut args = vec!["--company", path.to_str().unwrap(), "--as", email, "--json"];
            args.extend(filled.iter().map(String::as_str));
            let out = hesabu(&args, env(Some(DEMO_PASSWORD), Some("new-user-pass"))).await;
            let expected = if allowed.contains(&role) { 0 } else { 3 };
            if out.code != expected {
                failures.push(format!(
                    "{role} {command:?}: exit {} (wanted {expected}) {}",
                    out.code, out.stderr
                ));
                continue;
            }
            if expected == 3 {
                let error = out.error_json();
                assert_eq!(
                    error["error"]["kind"], "permission_denied",
                    "{role} {command:?}"
                );
                assert!(
                    error["error"]["message"].as_str().unwrap().contains(role),
                    "{role} {command:?}"
                );
                assert_eq!(
                    support::count(&path, "audit_log").await,
                    audit_before,
                    "{role} {command:?} wrote"
                );
                assert_eq!(
                    support::count(&path, "app_user").await,
                    users_before,
                    "{role} {command:?} wrote"
                );
            }
        }
    }
    assert!(
        failures.is_empty(),
        "permission matrix mismatches:\n{}",
        failures.join("\n")
    );
}

#[tokio::test]
async fn the_core_refuses_even_without_the_cli() {
    // The UI hides buttons, the CLI checks early, but the service is what enforces.
    let dir = tempfile::tempdir().unwrap();
    let path = support::demo_copy(dir.path()).await;
    let file = hesabu_app::open_company_file(&path, support::clock())
        .await
        .unwrap();
    let employee = hesabu_store::auth::login(&file, "storekeeper@demo.test", DEMO_PASSWORD)
        .await
        .unwrap();
    let err = hesabu_core::users::add(
        &file,
        &employee,
        &hesabu_core::users::NewUser {
            email: "x@demo.test".into(),
            name: "X".into(),
            role: hesabu_store::permissions::Role::Admin,
            manager_email: None,
            department: None,
            password: "whatever-1".into(),
        },
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), hesabu_store::ErrorKind::PermissionDenied);
    let err = hesabu_core::approvals::org::deactivate_user(&file, &employee, "admin@demo.test")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), hesabu_store::ErrorKind::PermissionDenied);
}

/// A purchase order raised by the sales rep (Sales) and submitted: it waits for Faith Njeri, her
/// manager. Returns its request id.
async fn pending_sales_request(path: &std::path::Path) -> String {
    use hesabu_core::approvals::{documents, wire};
    let file = hesabu_app::open_company_file(path, support::clock())
        .await
        .unwrap();
    let rep = hesabu_store::auth::login(&file, "sales.rep@demo.test", DEMO_PASSWORD)
        .await
        .unwrap();
    let doc = documents::create(
        &file,
        &rep,
        &wire::NewDocument {
            doc_type: wire::DocumentType::PurchaseOrder,
            title: "Trade fair stand".into(),
            amount: rust_decimal::Decimal::new(75_000, 0),
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
    let doc = documents::submit(&file, &rep, &doc.id).await.unwrap();
    file.close().await.unwrap();
    doc.current_request.unwrap().id
}

/// Bulk actions for every role (the matrix above cannot: the demo has no pending request). Only
/// the approver it waits for may bulk-approve a request; for anyone else the refusal comes
/// before the request is read: exit 3, nothing written, nothing about the document said.
#[tokio::test]
async fn bulk_approve_for_every_role() {
    let mut failures = Vec::new();
    let everyone = ROLES
        .iter()
        .copied()
        .chain([("approver", "sales.manager@demo.test")]);
    for (role, email) in everyone {
        let dir = tempfile::tempdir().unwrap();
        let path = support::demo_copy(dir.path()).await;
        let request = pending_sales_request(&path).await;
        let audit_before = support::count(&path, "audit_log").await;
        let notices_before = support::count(&path, "notification").await;
        let args = [
            "--company",
            path.to_str().unwrap(),
            "--as",
            email,
            "--json",
            "approval",
            "bulk-approve",
            &request,
        ];
        let out = hesabu(&args, env(Some(DEMO_PASSWORD), None)).await;
        let expected = if email == "sales.manager@demo.test" {
            0
        } else {
            3
        };
        if out.code != expected {
            failures.push(format!(
                "{email} bulk-approve: exit {} (wanted {expected}) {}",
                out.code, out.stderr
            ));
            continue;
        }
        if expected == 3 {
            let error = out.error_json();
            assert_eq!(error["error"]["kind"], "permission_denied", "{email}");
            let message = error["error"]["message"].as_str().unwrap();
            assert!(message.contains(role), "{email}: {message}");
            for secret in [
                "Trade fair",
                "PO-",
                "75",
                "Sales",
                "Faith",
                "Njeri",
                "Mercy",
            ] {
                assert!(!message.contains(secret), "{email}: {message}");
            }
            assert_eq!(
                support::count(&path, "audit_log").await,
                audit_before,
                "{email}"
            );
            assert_eq!(
                support::count(&path, "notification").await,
                notices_before,
                "{email}"
            );
        }
    }
    assert!(
        failures.is_empty(),
        "bulk approve mismatches:\n{}",
        failures.join("\n")
    );
}
