//! The `hesabu` CLI's contract: JSON shapes, exit codes, and nothing written on any failure.

use crate::support::{self, ADMIN_EMAIL, ADMIN_PASSWORD, company, env, hesabu};

async fn admin_file() -> (tempfile::TempDir, String) {
    let (dir, file, _) = company().await;
    let path = file.path().to_str().unwrap().to_owned();
    file.close().await.unwrap();
    (dir, path)
}

#[tokio::test]
async fn company_create_prints_the_company_with_its_id_and_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.hesabu");
    let out = hesabu(
        &[
            "--json",
            "company",
            "create",
            "--name",
            "Jua Kali Works",
            "--kra-pin",
            "p000111222z",
            "--admin-email",
            "Owner@Jua.test",
            "--admin-name",
            "Owner",
            path.to_str().unwrap(),
        ],
        env(Some("owner-pass-1"), None),
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let json = out.json();
    assert!(json["id"].as_str().unwrap().len() == 36);
    assert_eq!(json["kra_pin"], "P000111222Z", "normalised");
    assert_eq!(json["branch_id"], "00");
    assert_eq!(json["base_currency"], "KES");
    assert_eq!(json["time_zone"], "Africa/Nairobi");
    // The first user is the admin and can sign in.
    let users = hesabu(
        &[
            "--company",
            path.to_str().unwrap(),
            "--as",
            "owner@jua.test",
            "--json",
            "user",
            "list",
        ],
        env(Some("owner-pass-1"), None),
    )
    .await;
    assert_eq!(users.code, 0, "{}", users.stderr);
    assert_eq!(users.json()[0]["role"], "admin");
}

#[tokio::test]
async fn an_invalid_kra_pin_exits_2_names_the_format_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.hesabu");
    let out = hesabu(
        &[
            "--json",
            "company",
            "create",
            "--name",
            "Bad",
            "--kra-pin",
            "123456789",
            "--admin-email",
            "a@b.test",
            "--admin-name",
            "A",
            path.to_str().unwrap(),
        ],
        env(Some("owner-pass-1"), None),
    )
    .await;
    assert_eq!(out.code, 2);
    let error = out.error_json();
    assert_eq!(error["error"]["kind"], "invalid_input");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("^[AP]\\d{9}[A-Z]$")
    );
    assert!(out.stdout.is_empty());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no file, no -wal, nothing"
    );
}

#[tokio::test]
async fn a_short_admin_password_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.hesabu");
    let out = hesabu(
        &[
            "company",
            "create",
            "--name",
            "X",
            "--kra-pin",
            "P051234567X",
            "--admin-email",
            "a@b.test",
            "--admin-name",
            "A",
            path.to_str().unwrap(),
        ],
        env(Some("short"), None),
    )
    .await;
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("at least 8"), "{}", out.stderr);
    assert!(!path.exists());
}

#[tokio::test]
async fn a_wrong_password_exits_3_with_a_clear_message() {
    let (_dir, path) = admin_file().await;
    let out = hesabu(
        &[
            "--company",
            &path,
            "--as",
            ADMIN_EMAIL,
            "--json",
            "user",
            "list",
        ],
        env(Some("not-the-password"), None),
    )
    .await;
    assert_eq!(out.code, 3);
    let error = out.error_json();
    assert_eq!(error["error"]["kind"], "auth_failed");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Wrong email or password")
    );
    // Unknown users get the very same answer.
    let out = hesabu(
        &[
            "--company",
            &path,
            "--as",
            "ghost@acme.test",
            "--json",
            "user",
            "list",
        ],
        env(Some(ADMIN_PASSWORD), None),
    )
    .await;
    assert_eq!(out.code, 3);
    assert_eq!(out.error_json(), error);
}

#[tokio::test]
async fn missing_company_user_or_password_say_what_to_pass() {
    let (_dir, path) = admin_file().await;
    let out = hesabu(
        &["--as", ADMIN_EMAIL, "user", "list"],
        env(Some(ADMIN_PASSWORD), None),
    )
    .await;
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("--company"), "{}", out.stderr);
    let out = hesabu(
        &["--company", &path, "user", "list"],
        env(Some(ADMIN_PASSWORD), None),
    )
    .await;
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("--as"), "{}", out.stderr);
    let out = hesabu(
        &["--company", &path, "--as", ADMIN_EMAIL, "user", "list"],
        env(None, None),
    )
    .await;
    assert_eq!(out.code, 3);
    assert!(out.stderr.contains("HESABU_PASSWORD"), "{}", out.stderr);
    let out = hesabu(
        &[
            "--company",
            "/nonexistent/x.hesabu",
            "--as",
            ADMIN_EMAIL,
            "user",
            "list",
        ],
        env(Some(ADMIN_PASSWORD), None),
    )
    .await;
    assert_eq!(out.code, 2);
}

#[tokio::test]
async fn failed_user_adds_write_nothing() {
    let (_dir, path) = admin_file().await;
    let admin = |extra: &[&str]| {
        let mut v = vec![
            "--company",
            path.as_str(),
            "--as",
            ADMIN_EMAIL,
            "--json",
            "user",
            "add",
        ];
        v.extend_from_slice(extra);
        v.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    let cases: Vec<(Vec<String>, Option<&str>, &str)> = vec![
        (
            admin(&[
                "--email",
                "not-an-email",
                "--name",
                "N",
                "--role",
                "employee",
            ]),
            Some("password-1"),
            "not an email",
        ),
        (
            admin(&[
                "--email",
                ADMIN_EMAIL,
                "--name",
                "Dup",
                "--role",
                "employee",
            ]),
            Some("password-1"),
            "already exists",
        ),
        (
            admin(&["--email", "n@acme.test", "--name", "N", "--role", "boss"]),
            Some("password-1"),
            "Unknown role",
        ),
        (
            admin(&[
                "--email",
                "n@acme.test",
                "--name",
                "N",
                "--role",
                "employee",
                "--department",
                "Nowhere",
            ]),
            Some("password-1"),
            "no department",
        ),
        (
            admin(&[
                "--email",
                "n@acme.test",
                "--name",
                "N",
                "--role",
                "employee",
                "--manager",
                "ghost@acme.test",
            ]),
            Some("password-1"),
            "not a user",
        ),
        (
            admin(&[
                "--email",
                "n@acme.test",
                "--name",
                "N",
                "--role",
                "employee",
            ]),
            Some("short"),
            "at least 8",
        ),
        (
            admin(&[
                "--email",
                "n@acme.test",
                "--name",
                "N",
                "--role",
                "employee",
            ]),
            None,
            "HESABU_NEW_PASSWORD",
        ),
    ];
    let file = std::path::Path::new(&path);
    let users_before = support::count(file, "app_user").await;
    let audit_before = support::count(file, "audit_log").await;
    for (args, new_password, expected) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = hesabu(&args, env(Some(ADMIN_PASSWORD), new_password)).await;
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        let message = out.error_json()["error"]["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(message.contains(expected), "{args:?}: {message}");
    }
    assert_eq!(support::count(file, "app_user").await, users_before);
    assert_eq!(support::count(file, "audit_log").await, audit_before);
}

#[tokio::test]
async fn lists_are_arrays_and_created_entities_have_ids() {
    let (_dir, path) = admin_file().await;
    let run = |args: Vec<&'static str>| {
        let path = path.clone();
        async move {
            let mut v = vec!["--company", path.as_str(), "--as", ADMIN_EMAIL, "--json"];
            v.extend(args);
            hesabu(&v, env(Some(ADMIN_PASSWORD), Some("password-1"))).await
        }
    };
    let d = run(vec!["department", "add", "Finance"]).await;
    assert_eq!(d.code, 0, "{}", d.stderr);
    assert!(d.json()["id"].is_string());
    let dup = run(vec!["department", "add", "FINANCE"]).await;
    assert_eq!(dup.code, 2, "department names are unique ignoring case");
    let u = run(vec![
        "user",
        "add",
        "--email",
        "m@acme.test",
        "--name",
        "M",
        "--role",
        "approver",
        "--department",
        "finance",
    ])
    .await;
    assert_eq!(u.code, 0, "{}", u.stderr);
    assert!(u.json()["id"].is_string());
    assert_eq!(u.json()["department"], "Finance");
    for list in [
        vec!["department", "list"],
        vec!["user", "list"],
        vec!["audit", "list"],
    ] {
        let out = run(list.clone()).await;
        assert_eq!(out.code, 0, "{list:?}");
        assert!(out.json().is_array(), "{list:?}");
        assert!(
            out.json().as_array().unwrap().iter().all(|o| o.is_object()),
            "{list:?}"
        );
    }
    let info = run(vec!["company", "info"]).await;
    assert_eq!(info.json()["legal_name"], "Acme Traders Ltd");
}

#[tokio::test]
async fn deactivated_users_cannot_sign_in_and_the_last_admin_stays() {
    let (_dir, path) = admin_file().await;
    let as_admin = |args: &[&str]| {
        let mut v = vec!["--company", path.as_str(), "--as", ADMIN_EMAIL, "--json"];
        v.extend_from_slice(args);
        v.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    let go = |args: Vec<String>, pw: &'static str| async move {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        hesabu(&a, env(Some(pw), Some("emp-pass-1"))).await
    };
    let out = go(
        as_admin(&[
            "user",
            "add",
            "--email",
            "e@acme.test",
            "--name",
            "E",
            "--role",
            "employee",
        ]),
        ADMIN_PASSWORD,
    )
    .await;
    assert_eq!(out.code, 0);
    let out = go(
        as_admin(&["user", "deactivate", "e@acme.test"]),
        ADMIN_PASSWORD,
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json()["active"], false);
    let out = hesabu(
        &["--company", &path, "--as", "e@acme.test", "company", "info"],
        env(Some("emp-pass-1"), None),
    )
    .await;
    assert_eq!(out.code, 3);
    assert!(out.stderr.contains("deactivated"), "{}", out.stderr);
    let out = go(
        as_admin(&["user", "deactivate", ADMIN_EMAIL]),
        ADMIN_PASSWORD,
    )
    .await;
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("your own account"), "{}", out.stderr);
}

#[tokio::test]
async fn help_and_unknown_commands() {
    let out = hesabu(&["--help"], env(None, None)).await;
    assert_eq!(out.code, 0);
    assert!(out.stdout.contains("company"));
    let out = hesabu(&["--json", "frobnicate"], env(None, None)).await;
    assert_eq!(out.code, 2);
    assert_eq!(out.error_json()["error"]["kind"], "invalid_input");
}
