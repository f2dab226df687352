//! The write connection: the one SQLite connection through which a unit of work changes the
//! company file, with every statement run *inline* on the calling task's thread.
//!
//! Why not sqlx, which the readers and migrations use: sqlx runs each SQLite connection on a
//! thread of its own, so every statement is a round trip between two threads. A business write
//! here is 20–40 statements (the change, its history, budget ledger, workflow events, rules,
//! notification, outbox row, audit chain), and on the 2-core machines our users have, waking the
//! other thread costs more than SQLite's own work: an approval measured ~10× a bare one-row insert
//! through sqlx, and `perf` put half of all cycles in thread wake-ups (docs/benchmarks.md). Here
//! the statements run where the unit of work runs, and only the commit's fsync is left to pay.
//!
//! The services do not notice: a [`WriteTxn`] implements sea-orm's [`ConnectionTrait`], the same
//! trait they already take (`db: &impl ConnectionTrait`). Rows come back as sea-orm
//! [`QueryResult`]s typed from the column's declared type, following the schema's convention
//! (migrations: `BIGINT` or `INTEGER` for integers — 64-bit, `i64` in every entity —, `BOOLEAN`,
//! `TEXT`).
//!
//! Blocking: a statement runs on an async worker thread, which is fine because it is short and
//! never waits for a lock. Waiting is done asynchronously, before the transaction starts: for
//! another task of this process on the [`tokio::sync::Mutex`] around the connection, for another
//! process (the CLI while the app is open, a backup) by retrying `BEGIN IMMEDIATE` with a sleep
//! in between, up to [`crate::company_file::BUSY_TIMEOUT`]. Once `BEGIN IMMEDIATE` holds SQLite's
//! write lock, nothing inside the transaction can be made to wait (WAL: readers never block the
//! writer), so the connection's own busy timeout is zero.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusqlite::types::{Value as SqlValue, ValueRef};
use sea_orm::sea_query::Value;
use sea_orm::{
    ConnectionTrait, DbBackend, DbErr, ExecResult, ProxyExecResult, ProxyRow, QueryResult,
    RuntimeErr, Statement,
};

use crate::error::{Error, Result};

/// How many prepared statements each write connection keeps. The busiest unit of work (an
/// approval that opens the next level, reserves budget and queues an e-TIMS submission) uses
/// about forty distinct statements; the rest of the app a few hundred.
const STATEMENT_CACHE: usize = 512;

/// The durability of a write connection's commits (see `company_file`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Durability {
    /// `synchronous=FULL`: the commit is on disk before it returns.
    Full,
    /// `synchronous=NORMAL`: survives a crash of the app, not necessarily a power cut.
    Normal,
}

/// A rusqlite connection that may be shared between threads: the inner mutex is only ever
/// taken by the task that holds the outer (async) one, so it never contends.
pub(crate) struct SharedConnection(pub(crate) Mutex<rusqlite::Connection>);

/// Where the time of the last committed write transaction went: for the benchmarks and for
/// diagnosing a slow save on a user's machine (a slow disk shows as a long `commit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WriteTiming {
    /// Statements run inside the transaction (reads and writes).
    pub statements: u32,
    /// Time spent inside SQLite and converting rows, summed over those statements.
    pub in_statements: Duration,
    /// The `COMMIT`: writing the changed pages to the WAL and, with `synchronous=FULL`, the
    /// fsync that makes them durable.
    pub commit: Duration,
}

/// One write connection to a company file. Cheap to clone.
#[derive(Clone)]
pub(crate) struct WriteConnection {
    inner: Arc<tokio::sync::Mutex<SharedConnection>>,
    busy_timeout: Duration,
    last_timing: Arc<Mutex<Option<WriteTiming>>>,
}

impl WriteConnection {
    /// Opens a write connection to an existing, migrated company file.
    pub(crate) fn open(
        path: &Path,
        durability: Durability,
        busy_timeout: Duration,
    ) -> Result<Self> {
        let conn = rusqlite::Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| storage(format!("opening {}: {e}", path.display())))?;
        let synchronous = match durability {
            Durability::Full => "FULL",
            Durability::Normal => "NORMAL",
        };
        // journal_mode is stored in the file (set when it was created); the rest is per
        // connection and must match the readers' tuning in `company_file`.
        conn.execute_batch(&format!(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = {synchronous}; \
             PRAGMA foreign_keys = ON;"
        ))
        .map_err(sql_error)?;
        conn.busy_timeout(Duration::ZERO).map_err(sql_error)?;
        // Without the query planner stability guarantee SQLite treats a bound `LIMIT` as a
        // constant worth planning for, so every run of such a statement — sea-orm binds the
        // `LIMIT` of every `.one()` and `find_by_id` — parsed and planned it again: five of an
        // approval's reads, ~15 µs each (seen on the statements' RePrepare counters). With it
        // the plan made at prepare time is kept; Hesabu keeps no statistics (no ANALYZE) that a
        // bound value could improve a plan with anyway.
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
            true,
        )
        .map_err(sql_error)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(Self {
            inner: Arc::new(tokio::sync::Mutex::new(SharedConnection(Mutex::new(conn)))),
            busy_timeout,
            last_timing: Arc::default(),
        })
    }

    /// Starts a write transaction holding SQLite's write lock (`BEGIN IMMEDIATE`), waiting — without
    /// blocking a thread — for this process's other writers and then for other processes'.
    pub(crate) async fn begin(&self) -> Result<WriteTxn> {
        let guard = self.inner.clone().lock_owned().await;
        let deadline = Instant::now() + self.busy_timeout;
        let mut pause = Duration::from_millis(1);
        loop {
            let attempt = with_conn(&guard, |conn| conn.execute_batch("BEGIN IMMEDIATE"));
            match attempt {
                Ok(()) => {
                    return Ok(WriteTxn {
                        guard,
                        open: true,
                        statements: AtomicU32::new(0),
                        in_statements_ns: AtomicU64::new(0),
                        last_timing: self.last_timing.clone(),
                    });
                }
                Err(e) if is_busy(&e) && Instant::now() < deadline => {
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_millis(50));
                }
                Err(e) if is_busy(&e) => {
                    return Err(Error::Unavailable(format!(
                        "The company file stayed busy for {} seconds: another Hesabu window, a \
                         command or a backup is writing to it. Wait for it to finish, then try \
                         again.",
                        self.busy_timeout.as_secs()
                    )));
                }
                Err(e) => return Err(sql_error(e).into()),
            }
        }
    }

    /// The timing of the last transaction committed on this connection.
    pub(crate) fn last_timing(&self) -> Option<WriteTiming> {
        *self.last_timing.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on the connection outside any transaction (pragmas, the closing checkpoint).
    pub(crate) async fn with_connection<T>(
        &self,
        f: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T>,
    ) -> Result<T> {
        let guard = self.inner.lock().await;
        Ok(with_conn(&guard, f).map_err(sql_error)?)
    }
}

pub(crate) fn with_conn<T>(
    shared: &SharedConnection,
    f: impl FnOnce(&rusqlite::Connection) -> T,
) -> T {
    // A poisoned lock means a panic mid-statement; the connection itself is still consistent
    // (SQLite rolls back an unfinished transaction), so carry on with it.
    let conn = shared
        .0
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    f(&conn)
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// An open write transaction. Commit with [`WriteTxn::commit`]; dropping it rolls back.
pub struct WriteTxn {
    guard: tokio::sync::OwnedMutexGuard<SharedConnection>,
    open: bool,
    statements: AtomicU32,
    in_statements_ns: AtomicU64,
    last_timing: Arc<Mutex<Option<WriteTiming>>>,
}

impl std::fmt::Debug for WriteTxn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteTxn")
            .field("open", &self.open)
            .finish()
    }
}

impl WriteTxn {
    /// Commits. On failure (a full disk, an I/O error) the transaction is rolled back and
    /// nothing of it is kept.
    pub(crate) fn commit(mut self) -> Result<()> {
        let started = Instant::now();
        let result = self.conn(|conn| conn.execute_batch("COMMIT"));
        if result.is_ok() {
            self.open = false;
            let timing = WriteTiming {
                statements: self.statements.load(Ordering::Relaxed),
                in_statements: Duration::from_nanos(self.in_statements_ns.load(Ordering::Relaxed)),
                commit: started.elapsed(),
            };
            *self.last_timing.lock().unwrap_or_else(|p| p.into_inner()) = Some(timing);
        }
        // On error `Drop` rolls back what SQLite has not already.
        Ok(result.map_err(sql_error)?)
    }

    fn conn<T>(&self, f: impl FnOnce(&rusqlite::Connection) -> T) -> T {
        with_conn(&self.guard, f)
    }

    /// Runs one statement, counting it and its time for [`WriteTiming`].
    fn timed<T>(&self, f: impl FnOnce(&rusqlite::Connection) -> T) -> T {
        let started = Instant::now();
        let out = self.conn(f);
        let took = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.statements.fetch_add(1, Ordering::Relaxed);
        self.in_statements_ns.fetch_add(took, Ordering::Relaxed);
        out
    }

    fn run_execute(&self, stmt: &Statement) -> std::result::Result<ExecResult, DbErr> {
        self.timed(|conn| execute_statement(conn, stmt).map(ExecResult::from))
    }

    fn run_query(
        &self,
        stmt: &Statement,
        limit: Option<usize>,
    ) -> std::result::Result<Vec<QueryResult>, DbErr> {
        self.timed(|conn| {
            Ok(query_rows(conn, stmt, limit)?
                .into_iter()
                .map(QueryResult::from)
                .collect())
        })
    }
}

/// Runs one statement that changes something on `conn`, inline.
pub(crate) fn execute_statement(
    conn: &rusqlite::Connection,
    stmt: &Statement,
) -> std::result::Result<ProxyExecResult, DbErr> {
    let mut prepared = conn.prepare_cached(&stmt.sql).map_err(sql_error)?;
    bind_all(&mut prepared, stmt)?;
    // Stepped like a query, so a statement that also returns rows (`… RETURNING`) runs to
    // completion instead of failing.
    let mut rows = prepared.raw_query();
    while rows.next().map_err(sql_error)?.is_some() {}
    drop(rows);
    Ok(ProxyExecResult::new(
        conn.last_insert_rowid() as u64,
        conn.changes(),
    ))
}

/// Runs one query on `conn`, inline, and returns its rows (at most `limit`) typed from the
/// columns' declared types. Shared by the write transaction and the readers.
pub(crate) fn query_rows(
    conn: &rusqlite::Connection,
    stmt: &Statement,
    limit: Option<usize>,
) -> std::result::Result<Vec<ProxyRow>, DbErr> {
    let mut prepared = conn.prepare_cached(&stmt.sql).map_err(sql_error)?;
    bind_all(&mut prepared, stmt)?;
    let read_only = prepared.readonly();
    let columns: Vec<(String, ColumnKind)> = prepared
        .columns()
        .iter()
        .map(|c| (c.name().to_owned(), ColumnKind::of(c.decl_type())))
        .collect();
    let mut rows = prepared.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(sql_error)? {
        let mut values = BTreeMap::new();
        for (i, (name, kind)) in columns.iter().enumerate() {
            let value = row.get_ref(i).map_err(sql_error)?;
            values.insert(name.clone(), kind.to_value(value)?);
        }
        out.push(ProxyRow::new(values));
        if limit.is_some_and(|n| out.len() >= n) {
            break;
        }
    }
    // A write that returns rows (`INSERT … RETURNING`) runs to completion even when only its
    // first row is wanted.
    if !read_only {
        while rows.next().map_err(sql_error)?.is_some() {}
    }
    Ok(out)
}

impl Drop for WriteTxn {
    fn drop(&mut self) {
        if self.open {
            // Fails only when SQLite already rolled back (after an I/O error, say): either way
            // nothing of this transaction is kept.
            let _ = self.conn(|conn| conn.execute_batch("ROLLBACK"));
        }
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for WriteTxn {
    fn get_database_backend(&self) -> DbBackend {
        DbBackend::Sqlite
    }

    async fn execute_raw(&self, stmt: Statement) -> std::result::Result<ExecResult, DbErr> {
        self.run_execute(&stmt)
    }

    async fn execute_unprepared(&self, sql: &str) -> std::result::Result<ExecResult, DbErr> {
        self.timed(|conn| {
            conn.execute_batch(sql).map_err(sql_error)?;
            Ok(ProxyExecResult::new(conn.last_insert_rowid() as u64, conn.changes()).into())
        })
    }

    async fn query_one_raw(
        &self,
        stmt: Statement,
    ) -> std::result::Result<Option<QueryResult>, DbErr> {
        Ok(self.run_query(&stmt, Some(1))?.into_iter().next())
    }

    async fn query_all_raw(&self, stmt: Statement) -> std::result::Result<Vec<QueryResult>, DbErr> {
        self.run_query(&stmt, None)
    }
}

fn bind_all(
    prepared: &mut rusqlite::CachedStatement<'_>,
    stmt: &Statement,
) -> std::result::Result<(), DbErr> {
    let Some(values) = &stmt.values else {
        return Ok(());
    };
    for (i, value) in values.0.iter().enumerate() {
        prepared
            .raw_bind_parameter(i + 1, to_sql(value)?)
            .map_err(sql_error)?;
    }
    Ok(())
}

/// A sea-query value as SQLite stores it, matching what sqlx writes for the same value (so rows
/// written by either connection read back the same).
fn to_sql(value: &Value) -> std::result::Result<SqlValue, DbErr> {
    fn int(v: Option<i64>) -> SqlValue {
        v.map_or(SqlValue::Null, SqlValue::Integer)
    }
    Ok(match value {
        Value::Bool(v) => int(v.map(i64::from)),
        Value::TinyInt(v) => int(v.map(i64::from)),
        Value::SmallInt(v) => int(v.map(i64::from)),
        Value::Int(v) => int(v.map(i64::from)),
        Value::BigInt(v) => int(*v),
        Value::TinyUnsigned(v) => int(v.map(i64::from)),
        Value::SmallUnsigned(v) => int(v.map(i64::from)),
        Value::Unsigned(v) => int(v.map(i64::from)),
        Value::BigUnsigned(v) => match v {
            None => SqlValue::Null,
            Some(n) => SqlValue::Integer(i64::try_from(*n).map_err(|_| {
                DbErr::Type(format!("{n} does not fit in a 64-bit SQLite integer"))
            })?),
        },
        Value::String(v) => v.clone().map_or(SqlValue::Null, SqlValue::Text),
        Value::Char(v) => v.map_or(SqlValue::Null, |c| SqlValue::Text(c.to_string())),
        Value::Bytes(v) => v.clone().map_or(SqlValue::Null, SqlValue::Blob),
        Value::Json(v) => v
            .as_ref()
            .map_or(SqlValue::Null, |j| SqlValue::Text(j.to_string())),
        // Floats are banned in this workspace (money is Decimal, stored as text), so a float or
        // any other kind of value reaching the company file is a bug to hear about.
        other => {
            return Err(DbErr::Type(format!(
                "the company file does not store values like {other:?}"
            )));
        }
    })
}

/// What Rust type a result column decodes to, from its declared SQL type.
#[derive(Debug, Clone, Copy)]
enum ColumnKind {
    /// `BIGINT` and `INTEGER` (both 64-bit: every integer column of the schema is an `i64` in
    /// its entity, and `INTEGER PRIMARY KEY` is SQLite's 64-bit rowid), and expressions
    /// (`COUNT(*)`, …) that yield integers.
    BigInt,
    Bool,
    /// `TEXT`, and anything else.
    Text,
    /// An expression: decoded by what SQLite returns.
    Untyped,
}

impl ColumnKind {
    fn of(decl_type: Option<&str>) -> Self {
        let Some(decl) = decl_type else {
            return ColumnKind::Untyped;
        };
        if decl.eq_ignore_ascii_case("BIGINT") || decl.eq_ignore_ascii_case("INTEGER") {
            ColumnKind::BigInt
        } else if decl.eq_ignore_ascii_case("BOOLEAN") {
            ColumnKind::Bool
        } else {
            ColumnKind::Text
        }
    }

    fn to_value(self, value: ValueRef<'_>) -> std::result::Result<Value, DbErr> {
        Ok(match (self, value) {
            (ColumnKind::BigInt, ValueRef::Null) => Value::BigInt(None),
            (ColumnKind::Bool, ValueRef::Null) => Value::Bool(None),
            (ColumnKind::Text, ValueRef::Null) => Value::String(None),
            // An expression that yields NULL (`MAX(x)` over no rows): in this code base such
            // expressions are integer aggregates; text ones are wrapped in COALESCE.
            (ColumnKind::Untyped, ValueRef::Null) => Value::BigInt(None),
            (ColumnKind::Bool, ValueRef::Integer(n)) => Value::Bool(Some(n != 0)),
            (_, ValueRef::Integer(n)) => Value::BigInt(Some(n)),
            (_, ValueRef::Text(t)) => Value::String(Some(
                std::str::from_utf8(t)
                    .map_err(|e| DbErr::Type(format!("text that is not UTF-8: {e}")))?
                    .to_owned(),
            )),
            (_, ValueRef::Blob(b)) => Value::Bytes(Some(b.to_vec())),
            (_, ValueRef::Real(_)) => {
                return Err(DbErr::Type(
                    "a floating-point value in the company file (money and counts are never \
                     floats here)"
                        .into(),
                ));
            }
        })
    }
}

pub(crate) fn sql_error(e: rusqlite::Error) -> DbErr {
    DbErr::Query(RuntimeErr::Internal(e.to_string()))
}

pub(crate) fn storage(message: String) -> DbErr {
    DbErr::Conn(RuntimeErr::Internal(message))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch() -> (tempfile::TempDir, WriteConnection) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("scratch.db");
        rusqlite::Connection::open(&path)
            .unwrap()
            .execute_batch(
                "CREATE TABLE t (id TEXT PRIMARY KEY, n BIGINT, small INTEGER, flag BOOLEAN);",
            )
            .unwrap();
        let conn = WriteConnection::open(&path, Durability::Full, Duration::from_secs(1)).unwrap();
        (dir, conn)
    }

    fn insert(id: &str, n: i64) -> Statement {
        Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "INSERT INTO t (id, n, small, flag) VALUES (?, ?, ?, ?)",
            [id.into(), n.into(), 7i32.into(), true.into()],
        )
    }

    async fn count(conn: &WriteConnection) -> i64 {
        conn.with_connection(|c| c.query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0)))
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn rows_come_back_typed_by_declared_column_type() {
        let (_dir, conn) = scratch();
        let txn = conn.begin().await.unwrap();
        txn.execute_raw(insert("a", 5_000_000_000)).await.unwrap();
        let row = txn
            .query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT id, n, small, flag, COUNT(*) AS how_many, MAX(NULL) AS missing FROM t",
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.try_get::<String>("", "id").unwrap(), "a");
        assert_eq!(row.try_get::<i64>("", "n").unwrap(), 5_000_000_000);
        // INTEGER is 64-bit like BIGINT (see `ColumnKind`).
        assert_eq!(row.try_get::<i64>("", "small").unwrap(), 7);
        assert!(row.try_get::<bool>("", "flag").unwrap());
        assert_eq!(row.try_get::<i64>("", "how_many").unwrap(), 1);
        assert_eq!(row.try_get::<Option<i64>>("", "missing").unwrap(), None);
        txn.commit().unwrap();
        let timing = conn.last_timing().expect("a commit was timed");
        assert_eq!(timing.statements, 2);
    }

    #[tokio::test]
    async fn dropping_a_transaction_rolls_it_back_and_frees_the_connection() {
        let (_dir, conn) = scratch();
        {
            let txn = conn.begin().await.unwrap();
            txn.execute_raw(insert("gone", 1)).await.unwrap();
        }
        // The next transaction can start (the lock was released) and sees nothing of the first.
        let txn = conn.begin().await.unwrap();
        txn.execute_raw(insert("kept", 2)).await.unwrap();
        txn.commit().unwrap();
        assert_eq!(count(&conn).await, 1);
    }

    #[tokio::test]
    async fn a_failed_statement_says_why_and_keeps_the_transaction_usable_for_rollback() {
        let (_dir, conn) = scratch();
        let txn = conn.begin().await.unwrap();
        txn.execute_raw(insert("dup", 1)).await.unwrap();
        let err = txn.execute_raw(insert("dup", 1)).await.unwrap_err();
        assert!(
            err.to_string().contains("UNIQUE constraint failed"),
            "{err}"
        );
        drop(txn);
        assert_eq!(count(&conn).await, 0);
    }

    #[tokio::test]
    async fn floats_are_refused_on_the_way_in() {
        let (_dir, conn) = scratch();
        let txn = conn.begin().await.unwrap();
        let err = txn
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                "INSERT INTO t (id, n) VALUES (?, ?)",
                ["f".into(), 1.5f64.into()],
            ))
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("does not store values like"),
            "{err}"
        );
    }

    /// sea-orm binds `LIMIT` (every `.one()`); SQLite would parse and plan such a statement
    /// again on every run unless the connection has the query planner stability guarantee
    /// (see `open`). Fails (3 re-prepares) without it.
    #[tokio::test]
    async fn a_cached_statement_is_not_prepared_again_when_its_limit_is_bound() {
        let (_dir, conn) = scratch();
        let sql = "SELECT id, n FROM t LIMIT ?";
        let txn = conn.begin().await.unwrap();
        txn.execute_raw(insert("a", 1)).await.unwrap();
        for limit in [1i64, 2, 3] {
            let rows = txn
                .query_all_raw(Statement::from_sql_and_values(
                    DbBackend::Sqlite,
                    sql,
                    [limit.into()],
                ))
                .await
                .unwrap();
            assert_eq!(rows.len(), 1);
        }
        let reprepared = txn.conn(|c| {
            c.prepare_cached(sql)
                .unwrap()
                .get_status(rusqlite::StatementStatus::RePrepare)
        });
        assert_eq!(reprepared, 0, "the statement was parsed again after a bind");
        txn.commit().unwrap();
    }

    #[tokio::test]
    async fn writers_in_one_process_take_turns() {
        let (_dir, conn) = scratch();
        let first = conn.begin().await.unwrap();
        let second = {
            let conn = conn.clone();
            tokio::spawn(async move {
                let txn = conn.begin().await.unwrap();
                txn.execute_raw(insert("second", 2)).await.unwrap();
                txn.commit().unwrap();
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(
            !second.is_finished(),
            "the second writer waits for the first"
        );
        first.execute_raw(insert("first", 1)).await.unwrap();
        first.commit().unwrap();
        second.await.unwrap();
        assert_eq!(count(&conn).await, 2);
    }
}
