//! Backups: create (VACUUM INTO), keep the newest N, restore round trip, and restore refusing a
//! backup whose audit log was tampered with, naming the entry.

use hesabu_app::backup;
use hesabu_core::departments;
use hesabu_store::audit;

use crate::support::{self, ADMIN_EMAIL, ADMIN_PASSWORD, env, hesabu};

#[tokio::test]
async fn backup_and_restore_round_trip_keeps_the_replaced_file() {
    let (dir, file, session) = support::company().await;
    let path = dir.path().join("acme.hesabu");
    departments::add(&file, &session, "Finance").await.unwrap();
    let taken = backup::create(&file, &session, None, 10).await.unwrap();
    assert!(taken.path.contains("backups"), "{}", taken.path);
    assert!(taken.size_bytes > 0);
    assert_eq!(taken.created_at, "2026-07-01T06:00:00.000Z");
    // A change after the backup...
    departments::add(&file, &session, "Logistics")
        .await
        .unwrap();
    assert_eq!(departments::list(&file, &session).await.unwrap().len(), 2);

    // ...is undone by restoring it.
    let report = backup::restore(file, &session, std::path::Path::new(&taken.path), None)
        .await
        .unwrap();
    assert!(report.audit_entries_verified > 0);
    let restored = hesabu_app::open_company_file(&path, support::clock())
        .await
        .unwrap();
    let names: Vec<String> = departments::list(&restored, &session)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.name)
        .collect();
    assert_eq!(names, vec!["Finance"]);
    let log = audit::list(&restored, &session, 1).await.unwrap();
    assert_eq!(log[0].action, "backup.restore");
    assert!(audit::verify_chain(&restored).await.unwrap().ok);
    restored.close().await.unwrap();

    // The replaced file is kept, complete.
    let aside = std::path::Path::new(&report.replaced_file_kept_at);
    assert!(aside.is_file());
    let old = hesabu_app::open_company_file(aside, support::clock())
        .await
        .unwrap();
    assert_eq!(departments::list(&old, &session).await.unwrap().len(), 2);
}

#[tokio::test]
async fn only_the_newest_n_backups_are_kept_newest_first() {
    let (dir, file, session) = support::company().await;
    let elsewhere = dir.path().join("elsewhere");
    let mut made = Vec::new();
    for _ in 0..5 {
        made.push(
            backup::create(&file, &session, Some(&elsewhere), 3)
                .await
                .unwrap()
                .id,
        );
    }
    let list = backup::list(&file, &session, Some(&elsewhere))
        .await
        .unwrap();
    let ids: Vec<String> = list.into_iter().map(|b| b.id).collect();
    let wanted: Vec<String> = made[2..].iter().rev().cloned().collect();
    assert_eq!(ids, wanted);
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 3);
    assert!(!dir.path().join("backups").exists());
}

#[tokio::test]
async fn restore_refuses_a_tampered_backup_and_names_the_entry() {
    let (dir, file, session) = support::company().await;
    let path = dir.path().join("acme.hesabu");
    departments::add(&file, &session, "Finance").await.unwrap();
    let taken = backup::create(&file, &session, None, 10).await.unwrap();
    file.close().await.unwrap();

    // Someone edits the backup's audit log.
    let pool = support::raw(std::path::Path::new(&taken.path)).await;
    sqlx::query("UPDATE audit_log SET actor_email = 'mallory@acme.test' WHERE seq = 2")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let audit_before = support::count(&path, "audit_log").await;

    let out = hesabu(
        &[
            "--company",
            path.to_str().unwrap(),
            "--as",
            ADMIN_EMAIL,
            "--json",
            "backup",
            "restore",
            &taken.id,
        ],
        env(Some(ADMIN_PASSWORD), None),
    )
    .await;
    assert_eq!(out.code, 1, "{}", out.stderr);
    let error = out.error_json();
    assert_eq!(error["error"]["kind"], "audit_broken");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(message.contains("entry #2"), "{message}");
    assert!(message.contains("was not changed"), "{message}");
    // Nothing changed: the company file is still there, untouched, and nothing was set aside.
    assert_eq!(support::count(&path, "audit_log").await, audit_before);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("backups"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(leftovers, vec![taken.id.clone()]);
}

#[tokio::test]
async fn backup_commands_through_the_cli() {
    let (dir, file, _session) = support::company().await;
    file.close().await.unwrap();
    let path = dir.path().join("acme.hesabu");
    let company = path.to_str().unwrap();
    let run = |args: Vec<&str>| {
        let mut all = vec!["--company", company, "--as", ADMIN_EMAIL, "--json"];
        all.extend(args);
        all.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    let a = run(vec!["backup", "create"]);
    let out = hesabu(
        &a.iter().map(String::as_str).collect::<Vec<_>>(),
        env(Some(ADMIN_PASSWORD), None),
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let id = out.json()["id"].as_str().unwrap().to_owned();
    let a = run(vec!["backup", "list"]);
    let out = hesabu(
        &a.iter().map(String::as_str).collect::<Vec<_>>(),
        env(Some(ADMIN_PASSWORD), None),
    )
    .await;
    assert_eq!(out.json()[0]["id"], id.as_str());
    let a = run(vec!["backup", "restore", &id]);
    let out = hesabu(
        &a.iter().map(String::as_str).collect::<Vec<_>>(),
        env(Some(ADMIN_PASSWORD), None),
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.json()["replaced_file_kept_at"]
            .as_str()
            .unwrap()
            .contains(".replaced-")
    );
    let a = run(vec!["backup", "restore", "nope.hesabu"]);
    let out = hesabu(
        &a.iter().map(String::as_str).collect::<Vec<_>>(),
        env(Some(ADMIN_PASSWORD), None),
    )
    .await;
    assert_eq!(out.code, 2);
}

#[tokio::test]
async fn only_admins_and_finance_managers_may_restore() {
    // `backup restore` is not in the permission matrix (it needs a backup to exist); checked here.
    let dir = tempfile::tempdir().unwrap();
    let path = support::demo_copy(dir.path()).await;
    let company = path.to_str().unwrap();
    let demo = hesabu_app::demo::DEMO_PASSWORD;
    let out = hesabu(
        &[
            "--company",
            company,
            "--as",
            "cfo@demo.test",
            "--json",
            "backup",
            "create",
        ],
        env(Some(demo), None),
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let id = out.json()["id"].as_str().unwrap().to_owned();
    for email in [
        "accountant@demo.test",
        "auditor@demo.test",
        "storekeeper@demo.test",
    ] {
        let out = hesabu(
            &[
                "--company",
                company,
                "--as",
                email,
                "--json",
                "backup",
                "restore",
                &id,
            ],
            env(Some(demo), None),
        )
        .await;
        assert_eq!(out.code, 3, "{email}: {}", out.stderr);
    }
    let out = hesabu(
        &[
            "--company",
            company,
            "--as",
            "cfo@demo.test",
            "--json",
            "backup",
            "restore",
            &id,
        ],
        env(Some(demo), None),
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[tokio::test]
async fn restore_refuses_while_the_file_is_being_synced() {
    let (_dir, file, session) = support::company().await;
    let taken = backup::create(&file, &session, None, 10).await.unwrap();
    let syncing = hesabu_store::outbox::Drainer::new(
        file.clone(),
        hesabu_store::outbox::Targets::new(),
        std::sync::Arc::new(hesabu_store::outbox::TokioSleeper),
    )
    .unwrap();
    let err = backup::restore(
        file.clone(),
        &session,
        std::path::Path::new(&taken.path),
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), hesabu_store::ErrorKind::Conflict);
    assert!(err.to_string().contains("being synced"), "{err}");
    drop(syncing);
    // Still open and usable: nothing was closed or moved.
    assert_eq!(departments::list(&file, &session).await.unwrap().len(), 0);
}

#[tokio::test]
async fn restore_refuses_a_backup_of_another_company() {
    let (dir, file, session) = support::company().await;
    departments::add(&file, &session, "Finance").await.unwrap();
    // Another client's company file (another KRA PIN), backed up.
    let other_dir = tempfile::tempdir().unwrap();
    let (other, other_admin) = hesabu_app::create_company(
        &other_dir.path().join("other.hesabu"),
        &hesabu_core::company::NewCompany {
            legal_name: "Baraka Hardware Ltd".into(),
            kra_pin: "P051999999Z".into(),
            ..support::new_company()
        },
        support::clock(),
    )
    .await
    .unwrap();
    let taken = backup::create(&other, &other_admin, None, 10)
        .await
        .unwrap();
    other.close().await.unwrap();

    let path = dir.path().join("acme.hesabu");
    let audit_before = support::count(&path, "audit_log").await;
    let err = backup::restore(file, &session, std::path::Path::new(&taken.path), None)
        .await
        .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("Baraka Hardware Ltd (KRA PIN P051999999Z), not of Acme Traders Ltd"),
        "{message}"
    );
    assert!(message.contains("was not changed"), "{message}");
    // Nothing changed: the same company, the same audit log.
    let reopened = hesabu_app::open_company_file(&path, support::clock())
        .await
        .unwrap();
    let names: Vec<String> = departments::list(&reopened, &session)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.name)
        .collect();
    assert!(names.contains(&"Finance".to_owned()));
    assert_eq!(support::count(&path, "audit_log").await, audit_before);
    reopened.close().await.unwrap();
}
