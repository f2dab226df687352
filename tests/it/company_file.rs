//! Opening company files: tuning, migrations, refusing what is not ours, read-only reads.

use hesabu_store::company_file::{CompanyFile, MIGRATOR};
use hesabu_store::{Error, ErrorKind};

use crate::support::{self, clock, company};

#[tokio::test]
async fn every_connection_gets_the_documented_pragmas() {
    let (_dir, file, _) = company().await;
    for writer in [true, false] {
        // SQLite silently ignores a misspelt pragma, so read each one back.
        assert_eq!(
            file.pragma("journal_mode", writer).await.unwrap(),
            "wal",
            "writer={writer}"
        );
        assert_eq!(
            file.pragma("synchronous", writer).await.unwrap(),
            "2",
            "FULL (durable commits), writer={writer}"
        );
        assert_eq!(
            file.pragma("foreign_keys", writer).await.unwrap(),
            "1",
            "writer={writer}"
        );
        // The write connection never waits inside SQLite: it waits for the write lock
        // asynchronously before `BEGIN IMMEDIATE` (see the next test), so a statement can never
        // stall an async worker thread.
        assert_eq!(
            file.pragma("busy_timeout", writer).await.unwrap(),
            if writer { "0" } else { "10000" },
            "writer={writer}"
        );
    }
}

#[tokio::test]
async fn a_write_waits_for_another_process_holding_the_write_lock_then_lands() {
    let (_dir, file, admin) = company().await;
    // Another process (the CLI while the app is open, say): its own connection, holding SQLite's
    // write lock for a moment.
    let other = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(sqlx::sqlite::SqliteConnectOptions::new().filename(file.path()))
        .await
        .unwrap();
    let mut held = other.begin().await.unwrap();
    sqlx::query("UPDATE write_generation SET generation = generation + 1")
        .execute(&mut *held)
        .await
        .unwrap();
    let release = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        held.commit().await.unwrap();
    });
    let started = std::time::Instant::now();
    hesabu_core::departments::add(&file, &admin, "Waited")
        .await
        .expect("the write waits for the lock instead of failing with 'database is locked'");
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(250),
        "the write cannot have landed while the other process held the lock"
    );
    release.await.unwrap();
    other.close().await;
}

#[tokio::test]
async fn all_migrations_apply_to_an_empty_file_and_are_recorded() {
    let (_dir, file, _) = company().await;
    let path = file.path().to_owned();
    file.close().await.unwrap();
    let applied = support::count(&path, "_sqlx_migrations").await;
    assert_eq!(applied, i64::try_from(MIGRATOR.iter().count()).unwrap());
    for table in [
        "company",
        "department",
        "app_user",
        "audit_log",
        "audit_head",
    ] {
        support::count(&path, table).await; // panics if the table is missing
    }
}

#[tokio::test]
async fn the_reader_cannot_write_so_services_must_use_a_unit_of_work() {
    use sea_orm::{ConnectionTrait, Statement};
    let (_dir, file, _) = company().await;
    let err = file
        .reader()
        .execute_raw(Statement::from_string(
            file.reader().get_database_backend(),
            "INSERT INTO department (id, name, name_key, active, created_at) \
             VALUES ('x', 'X', 'x', 1, '2026-01-01T00:00:00.000Z')",
        ))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("readonly"), "{err}");
}

#[tokio::test]
async fn a_unit_of_work_without_an_audit_entry_rolls_back() {
    use sea_orm::{ConnectionTrait, Statement};
    let (_dir, file, session) = company().await;
    let uow = file.begin(&session).await.unwrap();
    uow.db()
        .execute_raw(Statement::from_string(
            uow.db().get_database_backend(),
            "INSERT INTO department (id, name, name_key, active, created_at) \
             VALUES ('sneaky', 'Sneaky', 'sneaky', 1, '2026-01-01T00:00:00.000Z')",
        ))
        .await
        .unwrap();
    let err = uow.commit().await.unwrap_err();
    assert!(matches!(err, Error::Internal(_)), "{err}");
    let names: Vec<String> = hesabu_core::departments::list(&file, &session)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.name)
        .collect();
    assert!(
        names.is_empty(),
        "nothing may land without its audit entry: {names:?}"
    );
}

#[tokio::test]
async fn opening_a_missing_file_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let err = CompanyFile::open(&dir.path().join("nope.hesabu"), clock())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(
        err.to_string().contains("There is no company file"),
        "{err}"
    );
}

#[tokio::test]
async fn another_programs_database_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.db");
    let pool = support::raw_create(&path).await;
    sqlx::query("CREATE TABLE songs (title TEXT)")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let before = std::fs::read(&path).unwrap();

    let err = CompanyFile::open(&path, clock()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(
        err.to_string().contains("not a Hesabu company file"),
        "{err}"
    );
    assert_eq!(
        support::count(&path, "sqlite_master WHERE name = '_sqlx_migrations'").await,
        0
    );
    assert_eq!(std::fs::read(&path).unwrap().len(), before.len());
}

#[tokio::test]
async fn a_text_file_is_not_a_company_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.hesabu");
    std::fs::write(
        &path,
        "these are my notes, not a database, and they are long enough",
    )
    .unwrap();
    let err = CompanyFile::open(&path, clock()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "these are my notes, not a database, and they are long enough"
    );
}

#[tokio::test]
async fn creating_over_an_existing_file_is_refused() {
    let (dir, file, _) = company().await;
    file.close().await.unwrap();
    let err = hesabu_app::create_company(
        &dir.path().join("acme.hesabu"),
        &support::new_company(),
        clock(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");
}

/// A company file written by the previous release (the demo company at schema version
/// 20261123000400, before the tables every write appends to were rebuilt with fewer b-trees) opens
/// in this one: every row of the rebuilt tables comes through unchanged, the audit chain still
/// verifies, foreign keys hold, and new writes land on the new layout.
#[tokio::test]
async fn a_company_file_from_the_previous_release_upgrades_without_losing_a_row() {
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/demo-company-schema-20261123000400.hesabu");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.hesabu");
    std::fs::copy(&fixture, &path).unwrap();

    let rebuilt = [
        ("audit_log", "seq"),
        ("budget_ledger", "budget_id, seq"),
        ("budget_reservation", "id"),
    ];
    let mut before = Vec::new();
    for (table, order) in rebuilt {
        before.push(snapshot(&path, table, order).await);
    }
    assert!(
        before.iter().all(|rows| !rows.is_empty()),
        "the fixture has rows in every rebuilt table"
    );

    let file = CompanyFile::open(&path, clock()).await.unwrap();
    let report = hesabu_store::audit::verify_chain(&file).await.unwrap();
    assert!(report.ok, "{:?}", report.first_broken);
    assert_eq!(
        report.entries_checked,
        i64::try_from(before[0].len()).unwrap()
    );

    // New writes land on the new layout and keep the chain whole.
    let admin = hesabu_store::auth::login(&file, "admin@demo.test", "hesabu-demo")
        .await
        .unwrap();
    let budget = hesabu_core::budgets::list(&file, &admin, None, false)
        .await
        .unwrap()
        .into_iter()
        .next()
        .expect("the demo has an active budget");
    hesabu_core::budgets::reserve(
        &file,
        &admin,
        &hesabu_core::budgets::ReserveInput {
            budget_id: budget.id.clone(),
            request_id: "PR-after-upgrade".into(),
            amount: rust_decimal::Decimal::ONE,
            reason: None,
        },
    )
    .await
    .unwrap();
    let report = hesabu_store::audit::verify_chain(&file).await.unwrap();
    assert!(report.ok, "{:?}", report.first_broken);
    assert_eq!(
        report.entries_checked,
        i64::try_from(before[0].len() + 1).unwrap()
    );
    file.close().await.unwrap();

    // Everything that was there is still there, value for value (the new rows come after).
    for ((table, order), rows) in rebuilt.iter().zip(&before) {
        let after = snapshot(&path, table, order).await;
        for row in rows {
            assert!(after.contains(row), "{table} lost {row}");
        }
        assert_eq!(after.len(), rows.len() + 1, "{table}: one row added");
    }
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let violations: Vec<(String,)> =
        sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert!(violations.is_empty(), "{violations:?}");
    // The point of the rebuild: no extra b-tree for the audit sequence, the text keys or the
    // ids nothing looks up.
    let indexes: Vec<(String,)> = sqlx::query_as(
        "SELECT name FROM sqlite_master WHERE type = 'index' \
         AND tbl_name IN ('audit_log', 'budget_ledger', 'budget_reservation') ORDER BY name",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let indexes: Vec<&str> = indexes.iter().map(|(n,)| n.as_str()).collect();
    assert_eq!(
        indexes,
        [
            "audit_log_entity",
            "budget_ledger_request",
            "budget_reservation_request",
        ]
    );
    pool.close().await;
}

/// Every row of `table` as a JSON array of its column values, in `order`.
async fn snapshot(path: &std::path::Path, table: &str, order: &str) -> Vec<String> {
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let columns: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT name FROM pragma_table_info('{table}') ORDER BY cid"
    )))
    .fetch_all(&pool)
    .await
    .unwrap();
    let rows = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT json_array({}) FROM {table} ORDER BY {order}",
        columns.join(", ")
    )))
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    rows
}
