//! The company file: one SQLite database per client company, like a QuickBooks Desktop company
//! file. [`CompanyFile::open`] and [`CompanyFile::create_new`] are the only ways to get at one, and
//! the app, the CLI and the tests all go through them, so every connection is tuned the same way
//! and the schema is always migrated before the first query.
//!
//! Two kinds of connection, both running their statements inline on the caller's thread: the
//! *write connection* ([`crate::write_connection`]), which only the unit of work
//! ([`crate::uow::UnitOfWork`]) can reach, and a few *read-only* connections for queries
//! ([`crate::read_connection`]), behind sea-orm's `DatabaseConnection`. Migrations run through
//! sqlx's migrator, on a connection closed before the others open. A service that tried to write
//! through the reader would get SQLite's "attempt to write a readonly database", so the
//! one-transaction rule holds by construction.
//!
//! Durability: the writer commits with `synchronous=FULL`, so a write the user was told is saved
//! survives a power cut (frequent where our users work, often without a UPS). That costs one
//! fsync per commit (0.15–0.3 ms on the development VM; see docs/benchmarks.md). A third, crate-private connection with
//! `synchronous=NORMAL` serves only the outbox worker's settle bookkeeping, whose loss in a power
//! cut is recovered by design (see `outbox::begin_settle`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::clock::SharedClock;
use crate::error::{Error, Result};
use crate::write_connection::{Durability, WriteConnection};

/// All schema migrations, embedded at compile time from the top-level `migrations/` folder.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations");

/// How long a connection waits for another writer (another window, the CLI, a backup) before it
/// gives up with "database is locked". Long enough to ride out any single write transaction.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Read-only connections per open file: the desktop's screens, the scheduler and the sync worker
/// may read at once; more would only hold more page caches.
const READERS: usize = 4;

/// The file extension Hesabu gives company files.
pub const EXTENSION: &str = "hesabu";

/// An open company file.
#[derive(Clone)]
pub struct CompanyFile {
    path: PathBuf,
    writer: WriteConnection,
    /// `synchronous=NORMAL`; only for [`CompanyFile::begin_outbox_settle`]. Opened on first use:
    /// most processes (a CLI command, a report) never settle an outbox row.
    settle_writer: std::sync::Arc<tokio::sync::OnceCell<WriteConnection>>,
    reader: DatabaseConnection,
    clock: SharedClock,
    /// Told of every move of an outbox row (see [`Self::add_outbox_observer`]).
    outbox_observers: crate::observers::Observers,
}

impl std::fmt::Debug for CompanyFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompanyFile")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl CompanyFile {
    /// Opens an existing company file, bringing its schema up to date first. The app, the CLI
    /// and the tests open files through `hesabu_app::open_company_file`, which also registers
    /// the layers' outbox observers ([`Self::add_outbox_observer`]) on it.
    pub async fn open(path: &Path, clock: SharedClock) -> Result<Self> {
        if !path.is_file() {
            return Err(Error::NotFound(format!(
                "There is no company file at {}. Check the path, or create a company first.",
                path.display()
            )));
        }
        let file = Self::connect(path, false, clock).await?;
        if !file.has_company_row().await? {
            return Err(Error::invalid(format!(
                "{} is not a Hesabu company file (it has no company settings). Pick another file.",
                path.display()
            )));
        }
        Ok(file)
    }

    /// Creates an empty, migrated company file at `path`, which must not exist yet. The company
    /// row and first user are added by the domain's `company::create`, which is what callers
    /// use: until then [`Self::open`] refuses the file.
    pub async fn create_new(path: &Path, clock: SharedClock) -> Result<Self> {
        if path.exists() {
            return Err(Error::Conflict(format!(
                "A file already exists at {}. Choose another name, or open that file instead.",
                path.display()
            )));
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
            && !parent.is_dir()
        {
            return Err(Error::invalid(format!(
                "The folder {} does not exist. Create it first or choose another location.",
                parent.display()
            )));
        }
        Self::connect(path, true, clock).await
    }

    async fn connect(path: &Path, create: bool, clock: SharedClock) -> Result<Self> {
        // The tuning every connection gets. Pragmas are per connection (except journal_mode,
        // which is stored in the file), so they are set in the connect options, not once.
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(create)
            // WAL: readers never block the writer and a crash mid-write cannot corrupt the file.
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: every commit is on disk before the unit of work returns. NORMAL would be
            // faster but can lose the last transactions in a power cut: an approval the approver
            // saw succeed, an e-TIMS receipt already signed by KRA. See the module doc.
            .synchronous(SqliteSynchronous::Full)
            // Off by default in SQLite; references between rows must hold.
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);

        // Migrations run through sqlx (its migrator), on a connection closed before the write
        // connection opens: writes from here on go through `WriteConnection` (see its module doc
        // for why it is not sqlx).
        let migrate_pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await
            .map_err(|e| not_a_company_file(path, e))?;
        if !create {
            refuse_foreign_database(path, &migrate_pool).await?;
        }
        MIGRATOR.run(&migrate_pool).await?;
        migrate_pool.close().await;
        let writer = WriteConnection::open(path, Durability::Full, BUSY_TIMEOUT)?;

        let reader = crate::read_connection::open_readers(path, READERS, BUSY_TIMEOUT).await?;

        Ok(Self {
            path: path.to_path_buf(),
            writer,
            settle_writer: Default::default(),
            reader,
            clock,
            outbox_observers: Default::default(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }

    /// A read-only connection for queries. Writes through it fail.
    pub fn reader(&self) -> &DatabaseConnection {
        &self.reader
    }

    /// The durable write connection (`synchronous=FULL`). Only a unit of work uses it: the
    /// ways to start one are in [`crate::uow`] (people and the system), `outbox/` and
    /// `scheduler/` (their own unaudited bookkeeping, private to those modules).
    pub(crate) fn writer(&self) -> &WriteConnection {
        &self.writer
    }

    /// The outbox worker's settle connection: same file and tuning, but `synchronous=NORMAL`
    /// (see `outbox::begin_settle` for why that is safe). Opened on first use. Writers in this
    /// process take turns through SQLite's write lock exactly like the app and the CLI do across
    /// processes.
    pub(crate) async fn settle_writer(&self) -> Result<&WriteConnection> {
        self.settle_writer
            .get_or_try_init(|| async {
                WriteConnection::open(&self.path, Durability::Normal, BUSY_TIMEOUT)
            })
            .await
    }

    /// Registers an observer of outbox rows for this open file and its clones (the app registers
    /// the workflow execution log when it opens a file; see [`crate::observers::OutboxObserver`]).
    pub fn add_outbox_observer(
        &self,
        observer: std::sync::Arc<dyn crate::observers::OutboxObserver>,
    ) {
        self.outbox_observers.add(observer);
    }

    pub(crate) fn outbox_observers(&self) -> &crate::observers::Observers {
        &self.outbox_observers
    }

    async fn has_company_row(&self) -> Result<bool> {
        let row = self
            .reader
            .query_one_raw(Statement::from_string(
                self.reader.get_database_backend(),
                "SELECT COUNT(*) AS n FROM company",
            ))
            .await?;
        Ok(row
            .map(|r| r.try_get::<i64>("", "n"))
            .transpose()?
            .unwrap_or(0)
            > 0)
    }

    /// Where the time of this process's last committed unit of work went (statements vs the
    /// durable commit); `None` before the first. For the benchmarks and for diagnosing a slow
    /// save.
    pub fn last_write_timing(&self) -> Option<crate::write_connection::WriteTiming> {
        self.writer.last_timing()
    }

    /// Reads a pragma back from a connection of the given pool (tests and diagnostics).
    pub async fn pragma(&self, name: &str, writer: bool) -> Result<String> {
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(Error::invalid(format!("'{name}' is not a pragma name")));
        }
        if writer {
            return self
                .writer
                .with_connection(|conn| {
                    conn.query_row(&format!("PRAGMA {name}"), [], |row| {
                        Ok(match row.get_ref(0)? {
                            rusqlite::types::ValueRef::Integer(n) => n.to_string(),
                            other => other.as_str().unwrap_or_default().to_owned(),
                        })
                    })
                })
                .await;
        }
        let conn = &self.reader;
        let row = conn
            .query_one_raw(Statement::from_string(
                conn.get_database_backend(),
                format!("PRAGMA {name}"),
            ))
            .await?
            .ok_or_else(|| Error::Internal(format!("PRAGMA {name} returned no row")))?;
        // Pragmas answer as integers or text depending on the pragma.
        let value = row
            .try_get_by_index::<i64>(0)
            .map(|n| n.to_string())
            .or_else(|_| row.try_get_by_index::<String>(0))?;
        Ok(value)
    }

    /// Closes both pools after folding the WAL back into the main file, so that a user who
    /// copies the `.hesabu` file alone (to a USB stick, say) copies everything.
    pub async fn close(self) -> Result<()> {
        self.reader.close().await?;
        // Dropping a write connection closes it; the settle one first, so that the checkpoint
        // below is the last word.
        drop(self.settle_writer);
        self.writer
            .with_connection(|conn| {
                conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            })
            .await?;
        Ok(())
    }
}

/// Migrating some other program's SQLite database would modify it; refuse before touching it.
async fn refuse_foreign_database(path: &Path, pool: &sqlx::SqlitePool) -> Result<()> {
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
            .fetch_all(pool)
            .await
            .map_err(|e| not_a_company_file(path, e))?;
    if !tables.is_empty() && !tables.iter().any(|t| t == "_sqlx_migrations") {
        return Err(Error::invalid(format!(
            "{} is a database, but not a Hesabu company file. Pick another file.",
            path.display()
        )));
    }
    Ok(())
}

fn not_a_company_file(path: &Path, error: sqlx::Error) -> Error {
    let text = error.to_string();
    if text.contains("file is not a database") {
        Error::invalid(format!(
            "{} is not a Hesabu company file (it is not a database). Pick another file.",
            path.display()
        ))
    } else {
        Error::Storage(sea_orm::DbErr::Conn(sea_orm::RuntimeErr::Internal(
            format!("opening {}: {text}", path.display()),
        )))
    }
}
