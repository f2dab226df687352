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

/// `PRAGMA application_id` of every company file: "HSBU" in ASCII. It sits in the file's header,
/// so Hesabu (and `file(1)`) can tell a company file from another program's SQLite database
/// without reading, let alone changing, anything else.
pub const APPLICATION_ID: i32 = 0x4853_4255;

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
    ///
    /// Before anything that writes (the journal mode, the migrations), the file is [`examine`]d
    /// read-only: another program's database, an empty file or a damaged company file is refused
    /// exactly as it was found.
    pub async fn open(path: &Path, clock: SharedClock) -> Result<Self> {
        if !path.is_file() {
            return Err(Error::NotFound(format!(
                "There is no company file at {}. Check the path, or create a company first.",
                path.display()
            )));
        }
        match examine(path, Thoroughness::Quick).await? {
            Ok(()) => {}
            Err(Unfit::NotACompanyFile(what)) => {
                return Err(Error::invalid(format!(
                    "This file is not a Hesabu company file: {} {what}. Pick another file, or \
                     create a company.",
                    path.display()
                )));
            }
            Err(Unfit::Damaged(detail)) => {
                return Err(Error::invalid(format!(
                    "The company file {} is damaged ({detail}): restore it from a backup. Move \
                     the damaged file aside (keep it), then copy your newest backup (in the \
                     backups folder next to it) in its place under the same name.",
                    path.display()
                )));
            }
        }
        Self::connect(path, false, clock).await
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
            .map_err(|e| storage(path, e))?;
        MIGRATOR.run(&migrate_pool).await?;
        // A new file gets Hesabu's mark here; one made before the mark existed (recognised by
        // `examine` from its tables) gets it the first time it is opened.
        let application_id: i32 = sqlx::query_scalar("PRAGMA application_id")
            .fetch_one(&migrate_pool)
            .await
            .map_err(|e| storage(path, e))?;
        if application_id != APPLICATION_ID {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "PRAGMA application_id = {APPLICATION_ID}"
            )))
            .execute(&migrate_pool)
            .await
            .map_err(|e| storage(path, e))?;
        }
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

/// How thoroughly [`examine`] reads a file's pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Thoroughness {
    /// `PRAGMA quick_check`: every page of every b-tree is read and its structure checked (the
    /// damage a failing disk or a bad copy does), but indexes are not matched against their
    /// tables. What every open runs; its cost is in docs/benchmarks.md.
    Quick,
    /// `PRAGMA integrity_check`: also that every index holds exactly its table's rows, and the
    /// `UNIQUE` and `NOT NULL` constraints. What a restore runs on the backup before it replaces
    /// the company file.
    Full,
}

/// Why a file cannot be opened as a company file, found by [`examine`] without changing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unfit {
    /// Not a company file; what it is instead, as a phrase that follows the file's name: "is
    /// empty (0 bytes)", "is another program's database (application id 0x0f055112)".
    NotACompanyFile(String),
    /// A company file with damaged pages: SQLite's first findings, shortened for a message.
    Damaged(String),
}

/// Problems an integrity check reports at most; the first is named in the message.
const CHECK_PROBLEMS: u32 = 20;

/// Tables that only a Hesabu company file has together: how a file made before Hesabu set its
/// application id is recognised.
const HESABU_TABLES: [&str; 2] = ["_sqlx_migrations", "company"];

/// Looks at `path` through a read-only connection, so that nothing in it changes whatever it
/// turns out to be, and says whether it is a sound company file: SQLite's header, Hesabu's
/// application id (or, for a file from before it was set, Hesabu's tables), the company settings
/// row, and then an integrity check of every page ([`Thoroughness`]). Only an error that says
/// nothing about the file (it cannot be read at all) is an `Err`.
pub async fn examine(
    path: &Path,
    thoroughness: Thoroughness,
) -> Result<std::result::Result<(), Unfit>> {
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || examine_blocking(&path, thoroughness))
        .await
        .map_err(|e| Error::Internal(format!("the file check stopped: {e}")))?
}

fn examine_blocking(
    path: &Path,
    thoroughness: Thoroughness,
) -> Result<std::result::Result<(), Unfit>> {
    let not_ours = |what: String| Ok(Err(Unfit::NotACompanyFile(what)));

    // The header first, with plain file reads: SQLite would take an empty file for an empty
    // database, and a journal left beside a foreign file for one to roll back.
    let mut header = Vec::with_capacity(100);
    std::fs::File::open(path)
        .and_then(|f| std::io::Read::read_to_end(&mut std::io::Read::take(f, 100), &mut header))
        .map_err(|e| storage(path, e))?;
    if header.is_empty() {
        return not_ours("is empty (0 bytes)".into());
    }
    if !header.starts_with(b"SQLite format 3\0") {
        return not_ours(
            "is not a database (it holds something else, a document or a spreadsheet perhaps)"
                .into(),
        );
    }

    let conn = rusqlite::Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| storage(path, e))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| storage(path, e))?;
    // Reading the schema is where a damaged first page or a short file shows.
    let found = (|| -> rusqlite::Result<(i32, Vec<String>)> {
        let application_id = conn.query_row("PRAGMA application_id", [], |row| row.get(0))?;
        let mut statement =
            conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")?;
        let tables = statement
            .query_map([], |row| row.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        Ok((application_id, tables))
    })();
    let (application_id, tables) = match found {
        Ok(found) => found,
        Err(e) => return unreadable(path, e),
    };
    let has_hesabu_tables = HESABU_TABLES
        .iter()
        .all(|t| tables.iter().any(|have| have == t));
    match application_id {
        APPLICATION_ID => {}
        0 if has_hesabu_tables => {}
        0 if tables.is_empty() => return not_ours("is an empty database".into()),
        0 => {
            let shown = tables
                .iter()
                .take(5)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            let more = if tables.len() > 5 { ", …" } else { "" };
            return not_ours(format!(
                "is a database, but its tables ({}{more}) are not Hesabu's",
                crate::limits::excerpt(&shown)
            ));
        }
        other => {
            return not_ours(format!(
                "is another program's database (application id {:#010x})",
                other.cast_unsigned()
            ));
        }
    }
    let companies = if tables.iter().any(|t| t == "company") {
        match conn.query_row("SELECT COUNT(*) FROM company", [], |row| {
            row.get::<_, i64>(0)
        }) {
            Ok(n) => n,
            Err(e) => return unreadable(path, e),
        }
    } else {
        0
    };
    if companies == 0 {
        return not_ours(
            "has Hesabu's tables but no company settings (creating the company did not finish)"
                .into(),
        );
    }

    let pragma = match thoroughness {
        Thoroughness::Quick => "quick_check",
        Thoroughness::Full => "integrity_check",
    };
    let problems = (|| -> rusqlite::Result<Vec<String>> {
        let mut statement = conn.prepare(&format!("PRAGMA {pragma}({CHECK_PROBLEMS})"))?;
        statement
            .query_map([], |row| row.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()
    })();
    match problems {
        Ok(lines) if lines.len() == 1 && lines[0] == "ok" => Ok(Ok(())),
        Ok(lines) => Ok(Err(Unfit::Damaged(describe_problems(&lines)))),
        Err(e) => unreadable(path, e),
    }
}

/// "SQLite's check found: Tree 7 page 7 cell 4: Extends off end of page, and 3 other
/// problems". The check answers a row per problem, the first prefixed with the database's name.
fn describe_problems(rows: &[String]) -> String {
    let problems: Vec<&str> = rows
        .iter()
        .flat_map(|row| row.lines())
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with("*** in database"))
        .collect();
    let first = problems.first().copied().unwrap_or("no answer");
    // At CHECK_PROBLEMS rows the check stopped counting.
    let at_least = if rows.len() >= CHECK_PROBLEMS as usize {
        "at least "
    } else {
        ""
    };
    let more = match problems.len() {
        0 | 1 => String::new(),
        2 => format!(", and {at_least}1 other problem"),
        n => format!(", and {at_least}{} other problems", n - 1),
    };
    format!(
        "SQLite's check found: {}{more}",
        crate::limits::excerpt(first)
    )
}

/// A read that failed while examining: damage if SQLite says so, otherwise a storage error.
fn unreadable(path: &Path, error: rusqlite::Error) -> Result<std::result::Result<(), Unfit>> {
    match error.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseCorrupt) => Ok(Err(Unfit::Damaged(format!(
            "SQLite could not read it: {}",
            crate::limits::excerpt(&error.to_string())
        )))),
        Some(rusqlite::ErrorCode::NotADatabase) => Ok(Err(Unfit::NotACompanyFile(
            "is not a database, or is encrypted".into(),
        ))),
        _ => Err(storage(path, error)),
    }
}

fn storage(path: &Path, error: impl std::fmt::Display) -> Error {
    Error::Storage(sea_orm::DbErr::Conn(sea_orm::RuntimeErr::Internal(
        format!("opening {}: {error}", path.display()),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_findings_are_named_first_and_counted() {
        let rows = |lines: &[&str]| lines.iter().map(|l| (*l).to_owned()).collect::<Vec<_>>();
        for (found, expected) in [
            (
                rows(&["*** in database main ***\nTree 7 page 7 cell 4: Extends off end of page"]),
                "SQLite's check found: Tree 7 page 7 cell 4: Extends off end of page",
            ),
            (
                rows(&[
                    "*** in database main ***\nPage 9: never used",
                    "Tree 7 page 7 cell 4: Extends off end of page",
                ]),
                "SQLite's check found: Page 9: never used, and 1 other problem",
            ),
            (
                rows(&[
                    "Page 9: never used",
                    "Page 10: never used",
                    "Page 11: never used",
                ]),
                "SQLite's check found: Page 9: never used, and 2 other problems",
            ),
            (
                vec!["Page 9: never used".to_owned(); CHECK_PROBLEMS as usize],
                "SQLite's check found: Page 9: never used, and at least 19 other problems",
            ),
            (rows(&[]), "SQLite's check found: no answer"),
        ] {
            assert_eq!(describe_problems(&found), expected, "{found:?}");
        }
        // A finding as long as a hostile file can make it is cut for the message.
        let long = describe_problems(&[format!("Tree 7: {}", "x".repeat(10_000))]);
        assert!(long.len() < 200, "{long}");
    }
}
