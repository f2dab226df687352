//! Shared by the benchmark examples: the median of a sample, and the smallest business write
//! Hesabu can make (the floor every write benchmark is compared against).

use std::time::{Duration, Instant};

use hesabu_core::auth::Session;
use hesabu_core::company_file::CompanyFile;
use sea_orm::ConnectionTrait;

pub fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

/// Times one unit of work (write lock) that inserts one row `id` into `table` — a bench table
/// with columns `(id, at)` — and appends its hash-chained audit entry.
pub async fn timed_audited_insert(
    file: &CompanyFile,
    session: &Session,
    table: &str,
    id: String,
) -> Duration {
    let started = Instant::now();
    let mut uow = file.begin(session).await.unwrap();
    let backend = uow.db().get_database_backend();
    uow.db()
        .execute_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            format!("INSERT INTO {table} (id, at) VALUES (?, ?)"),
            [id.clone().into(), uow.now_text().into()],
        ))
        .await
        .unwrap();
    uow.audit(hesabu_core::audit::AuditDraft {
        action: "bench.insert",
        entity_type: "bench",
        entity_id: id,
        before: None,
        after: None,
    })
    .await
    .unwrap();
    uow.commit().await.unwrap();
    started.elapsed()
}

/// The baseline of the write benchmarks: a bare single-row insert transaction on the same file,
/// on a connection tuned like the company file's writer (WAL, `synchronous=FULL`) and run the
/// cheapest way there is — rusqlite, inline on this thread, a cached statement, `BEGIN
/// IMMEDIATE; INSERT; COMMIT`. (The company file's writer runs its statements the same way; see
/// `hesabu_core::write_connection`.)
pub struct BareInsert {
    conn: rusqlite::Connection,
    table: String,
}

impl BareInsert {
    /// Opens the connection and creates `table (id TEXT PRIMARY KEY, at TEXT NOT NULL)`.
    pub fn open(path: &std::path::Path, table: &str) -> Self {
        let conn = rusqlite::Connection::open(path).unwrap();
        conn.execute_batch(&format!(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
             CREATE TABLE IF NOT EXISTS {table} (id TEXT PRIMARY KEY, at TEXT NOT NULL);"
        ))
        .unwrap();
        conn.busy_timeout(Duration::from_secs(10)).unwrap();
        Self {
            conn,
            table: table.to_owned(),
        }
    }

    /// Times one transaction inserting row `id`.
    pub fn timed_insert(&self, id: &str) -> Duration {
        let started = Instant::now();
        self.conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        self.conn
            .prepare_cached(&format!(
                "INSERT INTO {} (id, at) VALUES (?1, ?2)",
                self.table
            ))
            .unwrap()
            .execute((id, "2026-11-22T00:00:00.000Z"))
            .unwrap();
        self.conn.execute_batch("COMMIT").unwrap();
        started.elapsed()
    }

    /// `PRAGMA synchronous` on this connection (2 = FULL).
    pub fn synchronous(&self) -> i64 {
        self.conn
            .query_row("PRAGMA synchronous", [], |row| row.get(0))
            .unwrap()
    }
}
