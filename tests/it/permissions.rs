//! Every CLI command × every role, against a hand-written expectation table (deliberately not
//! derived from the core's permission table, so a wrong cell there fails here). Denied commands
//! exit 3 and write nothing.

use hesabu_core::demo::DEMO_PASSWORD;

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
    (&["backup", "create"], &["admin", "finance_manager"]),
    (&["backup", "list"], &["admin", "finance_manager"]),
];

#[tokio::test]
async fn every_command_for_every_role() {
    let mut failures = Vec::new();
    for (command, allowed) in MATRIX {
        for (role, email) in ROLES {
            let dir = tempfile::tempdir().unwrap();
            let path = support::demo_copy(dir.path()).await;
            let audit_before = support::count(&path, "audit_log").await;
            let users_before = support::count(&path, "app_user").await;
            let mut args = vec!["--company", path.to_str().unwrap(), "--as", email, "--json"];
            args.extend_from_slice(command);
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
    let file = hesabu_core::company_file::CompanyFile::open(&path, support::clock())
        .await
        .unwrap();
    let employee = hesabu_core::auth::login(&file, "storekeeper@demo.test", DEMO_PASSWORD)
        .await
        .unwrap();
    let err = hesabu_core::users::add(
        &file,
        &employee,
        &hesabu_core::wire::NewUser {
            email: "x@demo.test".into(),
            name: "X".into(),
            role: hesabu_core::permissions::Role::Admin,
            manager_email: None,
            department: None,
            password: "whatever-1".into(),
        },
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), hesabu_core::ErrorKind::PermissionDenied);
    let err = hesabu_core::users::deactivate(&file, &employee, "admin@demo.test")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), hesabu_core::ErrorKind::PermissionDenied);
}
