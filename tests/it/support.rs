//! Shared helpers: a fixed clock, temporary company files, and running `hesabu` in-process.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use chrono::{TimeZone, Utc};
use hesabu_cli::{Env, Outcome};
use hesabu_core::company::NewCompany;
use hesabu_store::auth::Session;
use hesabu_store::clock::{SettableClock, SharedClock};
use hesabu_store::company_file::CompanyFile;

pub const ADMIN_EMAIL: &str = "admin@acme.test";
pub const ADMIN_PASSWORD: &str = "admin-pass-1";

pub fn clock() -> Arc<SettableClock> {
    SettableClock::new(Utc.with_ymd_and_hms(2026, 7, 1, 6, 0, 0).unwrap())
}

pub fn new_company() -> NewCompany {
    NewCompany {
        legal_name: "Acme Traders Ltd".into(),
        trading_name: None,
        kra_pin: "P051234567X".into(),
        branch_id: None,
        address: None,
        fiscal_year_start_month: None,
        admin_email: ADMIN_EMAIL.into(),
        admin_name: "Akinyi Admin".into(),
        admin_password: ADMIN_PASSWORD.into(),
    }
}

/// A fresh company file with its admin signed in. Keep the TempDir alive for the test.
pub async fn company() -> (tempfile::TempDir, CompanyFile, Session) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("acme.hesabu");
    let (file, session) = hesabu_app::create_company(&path, &new_company(), clock())
        .await
        .unwrap();
    (dir, file, session)
}

/// The demo company is slow-ish to seed (a password hash per user), so it is made once per test
/// run and copied for each test that needs one.
pub async fn demo_copy(dir: &Path) -> PathBuf {
    static TEMPLATE: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    if TEMPLATE.get().is_none() {
        let template_dir = tempfile::tempdir().unwrap();
        let path = template_dir.path().join("demo.hesabu");
        let (file, _) = hesabu_app::demo::create(&path, clock()).await.unwrap();
        file.close().await.unwrap();
        let _ = TEMPLATE.set((template_dir, path));
    }
    let (_, template) = TEMPLATE.get().unwrap();
    let copy = dir.join("demo.hesabu");
    std::fs::copy(template, &copy).unwrap();
    copy
}

/// What a test passes for the process environment of `hesabu`.
pub fn env(password: Option<&str>, new_password: Option<&str>) -> Env {
    Env {
        company: None,
        as_email: None,
        password: password.map(str::to_owned),
        new_password: new_password.map(str::to_owned),
        interactive: false,
        progress: false,
        clock: clock() as SharedClock,
        targets: hesabu_store::outbox::Targets::new(),
        secrets: None,
        qbo_client_secret: None,
    }
}

/// Runs `hesabu ARGS…` in-process.
pub async fn hesabu(args: &[&str], env: Env) -> Outcome {
    let mut argv = vec!["hesabu".to_owned()];
    argv.extend(args.iter().map(|a| (*a).to_owned()));
    hesabu_cli::run(argv, env).await
}

/// A raw connection for tests that play the attacker or inspect the file.
pub async fn raw(path: &Path) -> sqlx::SqlitePool {
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(path);
    sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .unwrap()
}

pub async fn count(path: &Path, table: &str) -> i64 {
    let pool = raw(path).await;
    let n = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    n
}

/// A raw connection that creates the file (for foreign databases).
pub async fn raw_create(path: &Path) -> sqlx::SqlitePool {
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true);
    sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .unwrap()
}

/// A small deterministic generator (a 64-bit LCG, no dependency), so the random moments of the
/// crash and fault tests are reproducible from their seed.
pub struct Lcg(pub u64);

impl Lcg {
    /// The next number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n.max(1)
    }
}

/// A whole number from the environment (a test's size or seed), else `default`.
pub fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
