//! The audit log: every write leaves an entry, and tampering of any kind is named by verify.

use crate::support::{self, ADMIN_EMAIL, ADMIN_PASSWORD, company, env, hesabu};

/// Builds a file with a handful of entries through the CLI, returns (dir, path).
async fn file_with_history() -> (tempfile::TempDir, std::path::PathBuf) {
    let (dir, file, _) = company().await;
    let path = file.path().to_owned();
    file.close().await.unwrap();
    let p = path.to_str().unwrap();
    let admin = |args: &[&str]| {
        let mut v = vec!["--company", p, "--as", ADMIN_EMAIL, "--json"];
        v.extend_from_slice(args);
        v.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    for args in [
        admin(&["department", "add", "Finance"]),
        admin(&["department", "add", "Sales"]),
        admin(&[
            "user",
            "add",
            "--email",
            "e1@acme.test",
            "--name",
            "E One",
            "--role",
            "employee",
        ]),
        admin(&[
            "user",
            "add",
            "--email",
            "e2@acme.test",
            "--name",
            "E Two",
            "--role",
            "approver",
        ]),
        admin(&["user", "deactivate", "e1@acme.test"]),
        admin(&["company", "update", "--trading-name", "Acme"]),
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = hesabu(&args, env(Some(ADMIN_PASSWORD), Some("new-user-pass"))).await;
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
    }
    (dir, path)
}

async fn verify(path: &std::path::Path) -> hesabu_cli::Outcome {
    hesabu(
        &[
            "--company",
            path.to_str().unwrap(),
            "--as",
            ADMIN_EMAIL,
            "--json",
            "audit",
            "verify",
        ],
        env(Some(ADMIN_PASSWORD), None),
    )
    .await
}

async fn tamper(path: &std::path::Path, sql: &str) {
    let pool = support::raw(path).await;
    sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
}

#[tokio::test]
async fn every_write_leaves_exactly_one_entry_with_its_action() {
    let (_dir, path) = file_with_history().await;
    let out = hesabu(
        &[
            "--company",
            path.to_str().unwrap(),
            "--as",
            ADMIN_EMAIL,
            "--json",
            "audit",
            "list",
            "--limit",
            "100",
        ],
        env(Some(ADMIN_PASSWORD), None),
    )
    .await;
    let actions: Vec<String> = out
        .json()
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        actions,
        [
            "company.create",
            "user.add",
            "department.add",
            "department.add",
            "user.add",
            "user.add",
            "user.deactivate",
            "company.update",
        ]
    );
    let newest = &out.json()[0];
    assert_eq!(newest["before"]["trading_name"], serde_json::Value::Null);
    assert_eq!(newest["after"]["trading_name"], "Acme");
    let text = out.stdout;
    assert!(
        !text.contains("argon2"),
        "password hashes never reach the audit log"
    );
    let ok = verify(&path).await;
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert_eq!(ok.json()["entries_checked"], 8);
}

#[tokio::test]
async fn an_edited_entry_is_named_and_verify_exits_1() {
    let (_dir, path) = file_with_history().await;
    tamper(
        &path,
        "UPDATE audit_log SET after_json = '{\"name\":\"Fraud\"}' WHERE seq = 4",
    )
    .await;
    let out = verify(&path).await;
    assert_eq!(out.code, 1);
    assert_eq!(out.json()["ok"], false);
    assert_eq!(out.json()["first_broken"]["seq"], 4);
    let error = out.error_json();
    assert_eq!(error["error"]["kind"], "audit_broken");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("entry #4") && message.contains("department.add"),
        "{message}"
    );
    assert!(message.contains("edited"), "{message}");
}

#[tokio::test]
async fn an_edited_actor_or_timestamp_is_caught_too() {
    for sql in [
        "UPDATE audit_log SET actor_email = 'someone@else.test' WHERE seq = 6",
        "UPDATE audit_log SET at = '2020-01-01T00:00:00.000Z' WHERE seq = 6",
    ] {
        let (_dir, path) = file_with_history().await;
        tamper(&path, sql).await;
        let out = verify(&path).await;
        assert_eq!(out.code, 1, "{sql}");
        assert_eq!(out.json()["first_broken"]["seq"], 6, "{sql}");
    }
}

#[tokio::test]
async fn a_deleted_entry_in_the_middle_is_named() {
    let (_dir, path) = file_with_history().await;
    tamper(&path, "DELETE FROM audit_log WHERE seq = 3").await;
    let out = verify(&path).await;
    assert_eq!(out.code, 1);
    assert_eq!(out.json()["first_broken"]["seq"], 3);
    assert!(
        out.error_json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("missing")
    );
}

#[tokio::test]
async fn deleting_the_newest_entries_is_caught_by_the_head() {
    let (_dir, path) = file_with_history().await;
    tamper(&path, "DELETE FROM audit_log WHERE seq >= 7").await;
    let out = verify(&path).await;
    assert_eq!(out.code, 1);
    assert_eq!(out.json()["first_broken"]["seq"], 7);
    assert!(
        out.error_json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("deleted")
    );
}

#[tokio::test]
async fn a_rehashed_entry_still_breaks_the_link_of_the_next_one() {
    // An attacker who edits entry 2 and recomputes its hash is caught at entry 3, whose
    // prev_hash still points at the old hash.
    let (_dir, path) = file_with_history().await;
    tamper(&path, "UPDATE audit_log SET hash = 'f00d' WHERE seq = 2").await;
    let out = verify(&path).await;
    assert_eq!(out.code, 1);
    assert_eq!(
        out.json()["first_broken"]["seq"],
        2,
        "entry 2's own hash no longer matches"
    );
}

#[tokio::test]
async fn employees_cannot_read_the_audit_log() {
    let (dir, file, admin) = company().await;
    hesabu_core::users::add(
        &file,
        &admin,
        &hesabu_core::users::NewUser {
            email: "emp@acme.test".into(),
            name: "Emp".into(),
            role: hesabu_store::permissions::Role::Employee,
            manager_email: None,
            department: None,
            password: "emp-pass-1".into(),
        },
    )
    .await
    .unwrap();
    file.close().await.unwrap();
    let path = dir.path().join("acme.hesabu");
    let out = hesabu(
        &[
            "--company",
            path.to_str().unwrap(),
            "--as",
            "emp@acme.test",
            "audit",
            "list",
        ],
        env(Some("emp-pass-1"), None),
    )
    .await;
    assert_eq!(out.code, 3, "{}", out.stderr);
}

/// The audit log page's search (issue 15): filters by person, record and action, days in the
/// company's time zone (not UTC's), people's names, and paging that stays put.
#[tokio::test]
async fn the_audit_log_is_searched_by_person_record_action_and_company_days() {
    use chrono::TimeZone;
    use hesabu_store::audit::{self, AuditQuery};
    let dir = tempfile::tempdir().unwrap();
    let clock = support::clock(); // 2026-07-01 06:00 UTC = 09:00 in Nairobi
    let (file, admin) = hesabu_app::create_company(
        &dir.path().join("acme.hesabu"),
        &support::new_company(),
        clock.clone(),
    )
    .await
    .unwrap();
    hesabu_core::users::add(
        &file,
        &admin,
        &hesabu_core::users::NewUser {
            email: "grace@acme.test".into(),
            name: "Grace Wanjiru".into(),
            role: hesabu_store::permissions::Role::Employee,
            manager_email: None,
            department: None,
            password: "grace-pass-1".into(),
        },
    )
    .await
    .unwrap();
    // 22:30 UTC on 1 July is 01:30 on 2 July in Nairobi.
    clock.set(chrono::Utc.with_ymd_and_hms(2026, 7, 1, 22, 30, 0).unwrap());
    hesabu_core::departments::add(&file, &admin, "Logistics")
        .await
        .unwrap();
    let tz = "Africa/Nairobi";
    let search = |q: AuditQuery| {
        let (file, admin) = (&file, &admin);
        async move { audit::search(file, admin, &q, tz).await }
    };

    let all = search(AuditQuery::default()).await.unwrap();
    assert!(all.entries.len() >= 3, "{:?}", all.entries);
    assert!(all.entries.windows(2).all(|w| w[0].seq > w[1].seq));
    assert_eq!(all.entries[0].action, "department.add");
    assert_eq!(all.entries[0].actor_name.as_deref(), Some("Akinyi Admin"));

    // Days are the company's: the department was added on 2 July in Nairobi (1 July in UTC).
    let second = search(AuditQuery {
        from: Some("2026-07-02".into()),
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(
        second
            .entries
            .iter()
            .map(|e| e.action.as_str())
            .collect::<Vec<_>>(),
        ["department.add"]
    );
    let first = search(AuditQuery {
        to: Some("2026-07-01".into()),
        ..Default::default()
    })
    .await
    .unwrap();
    assert!(first.entries.iter().all(|e| e.action != "department.add"));
    assert_eq!(first.entries.len() + 1, all.entries.len());

    let users = search(AuditQuery {
        action: Some("user.".into()),
        ..Default::default()
    })
    .await
    .unwrap();
    assert!(users.entries.iter().all(|e| e.action.starts_with("user.")));
    assert!(!users.entries.is_empty());
    let by_entity = search(AuditQuery {
        entity_type: Some("department".into()),
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(by_entity.entries.len(), 1);
    let nobody = search(AuditQuery {
        actor: Some("grace".into()),
        ..Default::default()
    })
    .await
    .unwrap();
    assert!(nobody.entries.is_empty(), "Grace changed nothing");

    // Paging by sequence: the second page starts below the first page's last entry.
    let page1 = search(AuditQuery {
        limit: Some(1),
        ..Default::default()
    })
    .await
    .unwrap();
    assert!(page1.more);
    let page2 = search(AuditQuery {
        limit: Some(1),
        before_seq: Some(page1.entries[0].seq),
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(page2.entries[0].seq, all.entries[1].seq);

    let err = search(AuditQuery {
        from: Some("1/7/2026".into()),
        ..Default::default()
    })
    .await
    .unwrap_err();
    assert!(err.to_string().contains("yyyy-mm-dd"), "{err}");
    let grace = hesabu_store::auth::login(&file, "grace@acme.test", "grace-pass-1")
        .await
        .unwrap();
    let err = audit::search(&file, &grace, &AuditQuery::default(), tz)
        .await
        .unwrap_err();
    assert!(
        matches!(err, hesabu_store::Error::PermissionDenied(_)),
        "{err}"
    );
}
