//! Damaged and foreign files (issue 14, "Company files and backups"): a backup with a damaged
//! page is not restored, another program's SQLite file (or an empty one) is refused without a
//! byte of it changing, every company file carries Hesabu's application id (older files get it
//! when opened), and a deleted audit head is tampering, not a crash.

use std::path::{Path, PathBuf};

use hesabu_app::backup;
use hesabu_core::departments;
use hesabu_store::ErrorKind;
use hesabu_store::company_file::{APPLICATION_ID, CompanyFile};
use sha2::{Digest, Sha256};

use crate::support::{self, ADMIN_EMAIL, ADMIN_PASSWORD, clock, env, hesabu};

fn sha256(path: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}

fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn read_only(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap()
}

fn application_id(path: &Path) -> i32 {
    read_only(path)
        .query_row("PRAGMA application_id", [], |row| row.get(0))
        .unwrap()
}

/// Overwrites the middle half of the page holding `table`'s rows with garbage, as a failing disk
/// sector or a bad copy would, and checks that the damage is real: reading the table fails with
/// SQLite's "malformed" (the symptom of the issue) while the company settings and the audit log,
/// which restore reads, are still readable.
fn damage_table_page(path: &Path, table: &str) {
    let (page_size, root) = {
        let conn = read_only(path);
        let page_size: i64 = conn
            .query_row("PRAGMA page_size", [], |row| row.get(0))
            .unwrap();
        let root: i64 = conn
            .query_row(
                "SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = ?1",
                [table],
                |row| row.get(0),
            )
            .unwrap();
        (
            usize::try_from(page_size).unwrap(),
            usize::try_from(root).unwrap(),
        )
    };
    let mut bytes = std::fs::read(path).unwrap();
    let start = (root - 1) * page_size;
    bytes[start + page_size / 4..start + 3 * page_size / 4].fill(0xA5);
    std::fs::write(path, bytes).unwrap();

    let conn = read_only(path);
    let read = conn
        .prepare(&format!("SELECT * FROM {table}"))
        .and_then(|mut s| s.query_map([], |_| Ok(()))?.collect::<Result<Vec<()>, _>>());
    let malformed = match read {
        Ok(_) => false,
        Err(e) => e.to_string().contains("malformed"),
    };
    assert!(malformed, "the damage must make {table} unreadable");
    let entries: i64 = conn
        .query_row("SELECT COUNT(*) FROM audit_log", [], |row| row.get(0))
        .unwrap();
    assert!(entries > 0, "the audit log is intact");
}

/// A company with a few departments (one page of rows), backed up, and closed.
async fn company_with_a_backup() -> (tempfile::TempDir, PathBuf, backup::BackupInfo) {
    let (dir, file, session) = support::company().await;
    for n in 0..20 {
        departments::add(&file, &session, &format!("Department number {n:02}"))
            .await
            .unwrap();
    }
    let taken = backup::create(&file, &session, None, 10).await.unwrap();
    let path = file.path().to_owned();
    file.close().await.unwrap();
    (dir, path, taken)
}

async fn cli(company: &Path, args: &[&str]) -> hesabu_cli::Outcome {
    let mut all = vec![
        "--company",
        company.to_str().unwrap(),
        "--as",
        ADMIN_EMAIL,
        "--json",
    ];
    all.extend_from_slice(args);
    hesabu(&all, env(Some(ADMIN_PASSWORD), None)).await
}

#[tokio::test]
async fn restore_refuses_a_backup_with_a_damaged_page_and_leaves_the_file_untouched() {
    let (dir, path, taken) = company_with_a_backup().await;
    damage_table_page(Path::new(&taken.path), "department");
    let before = sha256(&path);

    let out = cli(&path, &["backup", "restore", &taken.id]).await;
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    let error = out.error_json();
    assert_eq!(error["error"]["kind"], "invalid_input");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(message.contains("is damaged"), "{message}");
    assert!(message.contains("was not changed"), "{message}");
    assert!(!message.contains("Internal error"), "{message}");

    assert_eq!(
        sha256(&path),
        before,
        "the company file is byte for byte the same"
    );
    // Nothing set aside, no staged copy left behind.
    let mut left: Vec<String> = std::fs::read_dir(dir.path().join("backups"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, vec![taken.id.clone()]);
    // And the company still opens and reads its departments.
    let file = hesabu_app::open_company_file(&path, clock()).await.unwrap();
    let admin = hesabu_store::auth::login(&file, ADMIN_EMAIL, ADMIN_PASSWORD)
        .await
        .unwrap();
    assert_eq!(departments::list(&file, &admin).await.unwrap().len(), 20);
    file.close().await.unwrap();
}

#[tokio::test]
async fn opening_a_damaged_company_file_says_so_and_what_to_do() {
    let (_dir, path, _) = company_with_a_backup().await;
    damage_table_page(&path, "department");
    let before = sha256(&path);

    let err = CompanyFile::open(&path, clock()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    let message = err.to_string();
    assert!(
        message.starts_with("The company file") && message.contains("is damaged ("),
        "{message}"
    );
    assert!(message.contains("restore it from a backup"), "{message}");
    assert_eq!(sha256(&path), before);

    let out = cli(&path, &["department", "list"]).await;
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.error_json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("restore it from a backup")
    );
}

/// Another program's database, made the way other programs make theirs: a rollback journal
/// (`journal_mode=DELETE`, SQLite's default), some tables and rows.
fn foreign_database(path: &Path, application_id: i32, tables: &[&str]) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch("PRAGMA journal_mode = DELETE;").unwrap();
    conn.pragma_update(None, "application_id", application_id)
        .unwrap();
    for table in tables {
        conn.execute_batch(&format!(
            "CREATE TABLE {table} (id INTEGER PRIMARY KEY, title TEXT);
             INSERT INTO {table} (title) VALUES ('one'), ('two');"
        ))
        .unwrap();
    }
}

#[tokio::test]
async fn another_programs_sqlite_file_is_refused_without_a_byte_changing() {
    let dir = tempfile::tempdir().unwrap();
    for (name, app_id, tables, says) in [
        (
            "music.db",
            0,
            &["songs", "albums"][..],
            "its tables (albums, songs) are not Hesabu's",
        ),
        // Another program that also uses sqlx's migrator: the migrations table alone is not ours.
        (
            "other-sqlx.db",
            0,
            &["_sqlx_migrations", "orders"][..],
            "its tables (_sqlx_migrations, orders) are not Hesabu's",
        ),
        // A program that stamps its own application id (0x0f055112 is Fossil's).
        (
            "repo.fossil",
            0x0f05_5112,
            &["blob"][..],
            "another program's database (application id 0x0f055112)",
        ),
        // A Hesabu-looking schema under another program's id is still not ours.
        (
            "impostor.hesabu",
            0x0f05_5112,
            &["_sqlx_migrations", "company"][..],
            "another program's database (application id 0x0f055112)",
        ),
    ] {
        let path = dir.path().join(name);
        foreign_database(&path, app_id, tables);
        let before = sha256(&path);

        let err = CompanyFile::open(&path, clock()).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{name}: {err}");
        let message = err.to_string();
        assert!(
            message.starts_with("This file is not a Hesabu company file: "),
            "{name}: {message}"
        );
        assert!(message.contains(says), "{name}: {message}");
        assert!(message.contains(&path.display().to_string()), "{message}");

        assert_eq!(sha256(&path), before, "{name} is byte for byte the same");
        assert!(!sidecar(&path, "-wal").exists(), "{name}: no WAL was made");
        assert!(!sidecar(&path, "-shm").exists(), "{name}");
        let mode: String = read_only(&path)
            .query_row("PRAGMA journal_mode", [], |row| row.get(0))
            .unwrap();
        assert_eq!(mode, "delete", "{name}: its journal mode is its own");
    }
}

#[tokio::test]
async fn an_empty_file_is_refused_and_stays_empty() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.hesabu");
    std::fs::write(&path, b"").unwrap();

    let err = CompanyFile::open(&path, clock()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    let message = err.to_string();
    assert!(
        message.starts_with("This file is not a Hesabu company file: "),
        "{message}"
    );
    assert!(message.contains("empty"), "{message}");
    assert_eq!(
        std::fs::metadata(&path).unwrap().len(),
        0,
        "no schema was made in it"
    );
    assert!(!sidecar(&path, "-wal").exists());

    // Through the CLI: exit 2 with the same words.
    let out = cli(&path, &["company", "info"]).await;
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.error_json()["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("This file is not a Hesabu company file: ")
    );
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
}

#[tokio::test]
async fn a_company_file_whose_creation_did_not_finish_is_refused_unchanged() {
    // `create_new` makes the schema; the company row comes after, in `company::create`. A file
    // left between the two (the process killed) is Hesabu's, but not a company yet.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("half-made.hesabu");
    CompanyFile::create_new(&path, clock())
        .await
        .unwrap()
        .close()
        .await
        .unwrap();
    let before = sha256(&path);
    let err = CompanyFile::open(&path, clock()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    let message = err.to_string();
    assert!(
        message.starts_with("This file is not a Hesabu company file: ")
            && message.contains("no company settings (creating the company did not finish)"),
        "{message}"
    );
    assert_eq!(sha256(&path), before);
}

#[tokio::test]
async fn a_database_that_is_not_sqlite_or_is_cut_short_is_refused_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let (_company_dir, company, _) = company_with_a_backup().await;
    let whole = std::fs::read(&company).unwrap();
    let cases: [(&str, Vec<u8>, &str); 2] = [
        (
            "spreadsheet.hesabu",
            b"PK\x03\x04 this is a zip file, an XLSX perhaps".to_vec(),
            "is not a database",
        ),
        // A company file copied only halfway (the header survives, the pages do not).
        (
            "halfway.hesabu",
            whole[..whole.len() / 2].to_vec(),
            "is damaged (",
        ),
    ];
    for (name, bytes, says) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        let err = CompanyFile::open(&path, clock()).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{name}: {err}");
        assert!(err.to_string().contains(says), "{name}: {err}");
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "{name}");
    }
}

#[tokio::test]
async fn every_new_company_file_carries_hesabus_application_id() {
    let (_dir, path, taken) = company_with_a_backup().await;
    assert_eq!(application_id(&path), APPLICATION_ID);
    // VACUUM INTO keeps it, so a backup is recognised as a company file too.
    assert_eq!(application_id(Path::new(&taken.path)), APPLICATION_ID);
}

/// Files made before Hesabu stamped its application id are recognised by their migrations and
/// company tables, open, and get the id when opened (for writing).
#[tokio::test]
async fn a_company_file_from_before_the_application_id_opens_and_is_stamped() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/demo-company-schema-20261123000400.hesabu");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.hesabu");
    std::fs::copy(&fixture, &path).unwrap();
    assert_eq!(application_id(&path), 0, "the fixture predates the id");

    let file = CompanyFile::open(&path, clock()).await.unwrap();
    assert!(hesabu_store::audit::verify_chain(&file).await.unwrap().ok);
    file.close().await.unwrap();
    assert_eq!(application_id(&path), APPLICATION_ID);
}

async fn delete_audit_head(path: &Path) {
    let pool = support::raw(path).await;
    sqlx::query("DELETE FROM audit_head")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
}

#[tokio::test]
async fn a_deleted_audit_head_is_tampering_for_verify_and_for_the_next_write() {
    let (_dir, path, _) = company_with_a_backup().await;
    delete_audit_head(&path).await;

    let out = cli(&path, &["audit", "verify"]).await;
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(out.json()["ok"], false);
    let error = out.error_json();
    assert_eq!(error["error"]["kind"], "audit_broken");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(message.contains("audit head"), "{message}");
    assert!(!message.contains("Internal error"), "{message}");

    // A write cannot extend a chain whose head is gone: tampering, not a bug to report.
    let out = cli(&path, &["department", "add", "After the tampering"]).await;
    assert_eq!(out.code, 1, "{}", out.stderr);
    let error = out.error_json();
    assert_eq!(error["error"]["kind"], "audit_broken", "{error}");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(message.contains("restore"), "{message}");
}

#[tokio::test]
async fn restore_refuses_a_backup_whose_audit_head_was_deleted() {
    let (_dir, path, taken) = company_with_a_backup().await;
    delete_audit_head(Path::new(&taken.path)).await;
    let before = sha256(&path);
    let out = cli(&path, &["backup", "restore", &taken.id]).await;
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(out.error_json()["error"]["kind"], "audit_broken");
    assert_eq!(sha256(&path), before);
}
