//! The readers: a few read-only SQLite connections behind sea-orm's `DatabaseConnection`, with
//! every query run *inline* on the calling task's thread, like the write connection's
//! ([`crate::write_connection`], whose statement code they share).
//!
//! Why not sqlx's pool, which the readers used before: the same thread round trip per statement
//! that made the writer slow, and it needed sea-orm's `sqlx-sqlite` feature beside `proxy`, a
//! combination sea-orm 2.0.4 does not compile without a patched copy. Through sea-orm's proxy
//! connection (`ProxyDatabaseTrait`) the services keep taking `file.reader()` as a
//! `DatabaseConnection` and notice nothing; sqlx stays for the migrator alone.
//!
//! Each connection is opened `SQLITE_OPEN_READ_ONLY`, so a service that tried to write through
//! a reader would get SQLite's "attempt to write a readonly database": the one-transaction rule
//! holds by construction. A query takes whichever connection is free (they are few and queries
//! are short); with WAL, readers never wait for the writer.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sea_orm::{
    Database, DatabaseConnection, DbBackend, DbErr, ProxyDatabaseTrait, ProxyExecResult, ProxyRow,
    Statement,
};

use crate::error::Result;
use crate::write_connection::{
    SharedConnection, execute_statement, query_rows, sql_error, storage, with_conn,
};

/// Prepared statements kept per reader (the app's reads are a few hundred distinct statements).
const STATEMENT_CACHE: usize = 256;

/// A few read-only connections; a query takes a free one.
struct ReadPool {
    connections: Vec<Arc<tokio::sync::Mutex<SharedConnection>>>,
    next: AtomicUsize,
}

impl std::fmt::Debug for ReadPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadPool")
            .field("connections", &self.connections.len())
            .finish_non_exhaustive()
    }
}

impl ReadPool {
    async fn acquire(&self) -> tokio::sync::OwnedMutexGuard<SharedConnection> {
        for conn in &self.connections {
            if let Ok(guard) = conn.clone().try_lock_owned() {
                return guard;
            }
        }
        // All busy: wait for one, taking turns so no connection is favoured.
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.connections.len();
        self.connections[i].clone().lock_owned().await
    }
}

#[async_trait::async_trait]
impl ProxyDatabaseTrait for ReadPool {
    async fn query(&self, statement: Statement) -> std::result::Result<Vec<ProxyRow>, DbErr> {
        let guard = self.acquire().await;
        with_conn(&guard, |conn| query_rows(conn, &statement, None))
    }

    async fn execute(&self, statement: Statement) -> std::result::Result<ProxyExecResult, DbErr> {
        // Fails with "attempt to write a readonly database" for anything that writes.
        let guard = self.acquire().await;
        with_conn(&guard, |conn| execute_statement(conn, &statement))
    }
}

/// Opens `count` read-only connections to an existing, migrated company file, tuned like the
/// writer (see `company_file`), behind a sea-orm connection.
pub(crate) async fn open_readers(
    path: &Path,
    count: usize,
    busy_timeout: Duration,
) -> Result<DatabaseConnection> {
    let mut connections = Vec::with_capacity(count);
    for _ in 0..count.max(1) {
        let conn = rusqlite::Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| storage(format!("opening {}: {e}", path.display())))?;
        conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")
            .map_err(sql_error)?;
        // A reader waits only while a checkpoint resets the WAL; the same patience as a writer.
        conn.busy_timeout(busy_timeout).map_err(sql_error)?;
        // See the write connection: keep the plan of a statement whose LIMIT is bound.
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
            true,
        )
        .map_err(sql_error)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        connections.push(Arc::new(tokio::sync::Mutex::new(SharedConnection(
            Mutex::new(conn),
        ))));
    }
    let pool: Box<dyn ProxyDatabaseTrait> = Box::new(ReadPool {
        connections,
        next: AtomicUsize::new(0),
    });
    Ok(Database::connect_proxy(DbBackend::Sqlite, Arc::new(pool)).await?)
}
