//! Shared by the benchmark examples: the median of a sample, and the smallest business write
//! Hesabu can make (the floor every write benchmark is compared against).

use std::time::{Duration, Instant};

use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;
use sea_orm::ConnectionTrait;

/// The benchmarks alternate their measurements in blocks of this many writes rather than one by
/// one. SQLite drops a connection's whole page cache when it sees that *another* connection has
/// committed, so strict one-by-one alternation between two connections made every write re-read
/// from the OS each page it touched — a cost that falls on the write touching many pages (an
/// approval reads ~25 b-tree paths) far more than on the one-row insert, and one the app's
/// writer does not pay between two approvals at a desk, since it is the only writer. In blocks,
/// only the first write of each block starts cold; the median sees steady state for both.
pub const BLOCK: usize = 20;

pub fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

/// `part / whole` to two decimals, e.g. `1.76` (integer arithmetic: the workspace bans floats).
pub fn times(part: Duration, whole: Duration) -> String {
    let hundredths = part.as_nanos() * 100 / whole.as_nanos().max(1);
    format!("{}.{:02}", hundredths / 100, hundredths % 100)
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
    uow.audit(hesabu_store::audit::AuditDraft {
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
/// `hesabu_store::write_connection`.)
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

    /// The connection itself, for a benchmark's own hand-written transactions.
    // Each example compiles this module on its own; only approval_bench uses this.
    #[allow(dead_code)]
    pub fn connection(&self) -> &rusqlite::Connection {
        &self.conn
    }

    /// `PRAGMA synchronous` on this connection (2 = FULL).
    pub fn synchronous(&self) -> i64 {
        self.conn
            .query_row("PRAGMA synchronous", [], |row| row.get(0))
            .unwrap()
    }
}

/// Which b-trees (tables and indexes) one write dirties: checkpoints the file (so its WAL is
/// empty), runs `write`, then reads the WAL's frame headers and names each page through the
/// `dbstat` table. A commit writes every dirty page to the WAL and fsyncs it, so this is what a
/// write's COMMIT costs, page by page. Returns `(b-tree, pages)`, most pages first.
pub async fn pages_dirtied_by<F: std::future::Future<Output = ()>>(
    path: &std::path::Path,
    write: F,
) -> Vec<(String, usize)> {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.busy_timeout(Duration::from_secs(10)).unwrap();
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
    write.await;
    let mut wal_path = path.as_os_str().to_owned();
    wal_path.push("-wal");
    let wal = std::fs::read(&wal_path).unwrap();
    let page_size = u32::from_be_bytes(wal[8..12].try_into().unwrap()) as usize;
    let mut pages = std::collections::BTreeMap::<u32, usize>::new();
    let mut at = 32;
    while at + 24 + page_size <= wal.len() {
        let page = u32::from_be_bytes(wal[at..at + 4].try_into().unwrap());
        *pages.entry(page).or_default() += 1;
        at += 24 + page_size;
    }
    let mut names = std::collections::HashMap::<u32, String>::new();
    let mut stmt = conn.prepare("SELECT name, pageno FROM dbstat").unwrap();
    let rows = stmt
        .query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, u32>(1)?))
        })
        .unwrap();
    for row in rows {
        let (name, page) = row.unwrap();
        names.insert(page, name);
    }
    let mut by_tree = std::collections::BTreeMap::<String, usize>::new();
    for page in pages.keys() {
        let name = names
            .get(page)
            .cloned()
            .unwrap_or_else(|| format!("page {page} (header / free list)"));
        *by_tree.entry(name).or_default() += 1;
    }
    let mut by_tree: Vec<_> = by_tree.into_iter().collect();
    by_tree.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    by_tree
}

/// Prints what [`pages_dirtied_by`] found.
pub fn print_pages(label: &str, pages: &[(String, usize)]) {
    let total: usize = pages.iter().map(|(_, n)| n).sum();
    println!("{label}: {total} pages written at COMMIT");
    for (tree, n) in pages {
        println!("  {n:>3}  {tree}");
    }
}
