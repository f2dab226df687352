//! Backups of the company file: `VACUUM INTO` copies, kept in a `backups/` folder next to the
//! file (or another folder), the newest N kept; restore refuses a backup that is not a company
//! file, whose pages fail SQLite's full integrity check, or whose audit chain does not verify,
//! and keeps the file it replaces.
//!
//! sqlx has no binding for SQLite's online backup API; `VACUUM INTO 'path'` (SQLite ≥ 3.27) is
//! its SQL form: it reads one consistent snapshot of the database through a read transaction,
//! so other connections keep working while it runs, and writes a compact copy. It runs on the
//! read-only pool, so a backup can never change the company file.
//!
//! Backup names are `<stem>-<UTC timestamp>-<nnn>.hesabu`, so name order is age order.

use std::path::{Path, PathBuf};

use sea_orm::{ConnectionTrait, Statement};
use serde::{Deserialize, Serialize};
use serde_json::json;
use ts_rs::TS;

use hesabu_store::audit::{self, AuditDraft};
use hesabu_store::auth::Session;
use hesabu_store::clock::SharedClock;
use hesabu_store::company_file::{self, CompanyFile, EXTENSION, Thoroughness, Unfit};
use hesabu_store::error::{Error, Result};
use hesabu_store::permissions::Permission;

/// Backups kept when the caller does not say.
pub const DEFAULT_KEEP: usize = 10;

/// `backups/` next to the company file.
pub fn default_dir(company: &Path) -> PathBuf {
    company
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .join("backups")
}

fn stem(company: &Path) -> String {
    company
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "company".into())
}

fn compact_timestamp(file: &CompanyFile) -> String {
    file.clock().now().format("%Y%m%dT%H%M%S%3fZ").to_string()
}

/// Copies the company file into `dir` (default: [`default_dir`]) and keeps the newest `keep`.
pub async fn create(
    file: &CompanyFile,
    session: &Session,
    dir: Option<&Path>,
    keep: usize,
) -> Result<BackupInfo> {
    session.require(Permission::BackupManage)?;
    if keep == 0 {
        return Err(Error::invalid(
            "Keep at least one backup (--keep 1 or more).",
        ));
    }
    let dir = dir.map_or_else(|| default_dir(file.path()), Path::to_path_buf);
    std::fs::create_dir_all(&dir).map_err(|e| {
        Error::Unavailable(format!(
            "Could not create the backup folder {} ({e}). Choose a folder you may write to.",
            dir.display()
        ))
    })?;
    let prefix = format!("{}-{}-", stem(file.path()), compact_timestamp(file));
    let taken = existing(&dir, &stem(file.path()))?;
    // One more than the highest number already used in this millisecond, so name order stays
    // creation order even when the clock stands still (tests, `--as-of` runs).
    let n = taken
        .iter()
        .filter_map(|p| {
            let name = file_name(p);
            name.strip_prefix(&prefix)?
                .strip_suffix(&format!(".{EXTENSION}"))?
                .parse::<u32>()
                .ok()
        })
        .max()
        .unwrap_or(0)
        + 1;
    let path = dir.join(format!("{prefix}{n:03}.{EXTENSION}"));
    let target = path.to_string_lossy().into_owned();
    file.reader()
        .execute_raw(Statement::from_sql_and_values(
            file.reader().get_database_backend(),
            "VACUUM INTO ?",
            [target.into()],
        ))
        .await?;
    // Record it in the company file (the backup itself predates this entry).
    let mut uow = file.begin(session).await?;
    uow.audit(AuditDraft {
        action: "backup.create",
        entity_type: "backup",
        entity_id: file_name(&path),
        before: None,
        after: Some(json!({ "path": path.display().to_string() })),
    })
    .await?;
    uow.commit().await?;
    prune(&dir, &stem(file.path()), keep)?;
    info(&path)
}

/// The backups in `dir` (default: [`default_dir`]), newest first.
pub async fn list(
    file: &CompanyFile,
    session: &Session,
    dir: Option<&Path>,
) -> Result<Vec<BackupInfo>> {
    session.require(Permission::BackupManage)?;
    let dir = dir.map_or_else(|| default_dir(file.path()), Path::to_path_buf);
    let mut paths = existing(&dir, &stem(file.path()))?;
    paths.reverse();
    paths.iter().map(|p| info(p)).collect()
}

/// Backup files of this company in `dir`, oldest first.
fn existing(dir: &Path, stem: &str) -> Result<Vec<PathBuf>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(Vec::new());
    };
    let prefix = format!("{stem}-");
    let suffix = format!(".{EXTENSION}");
    let mut paths: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name().is_some_and(|f| {
                let f = f.to_string_lossy();
                f.starts_with(&prefix)
                    && f.ends_with(&suffix)
                    && f[prefix.len()..].starts_with(|c: char| c.is_ascii_digit())
            })
        })
        .collect();
    paths.sort();
    Ok(paths)
}

fn prune(dir: &Path, stem: &str, keep: usize) -> Result<()> {
    let paths = existing(dir, stem)?;
    let excess = paths.len().saturating_sub(keep);
    for old in &paths[..excess] {
        std::fs::remove_file(old).map_err(|e| {
            Error::Unavailable(format!(
                "Could not remove the old backup {} ({e}).",
                old.display()
            ))
        })?;
    }
    Ok(())
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn info(path: &Path) -> Result<BackupInfo> {
    let size_bytes = std::fs::metadata(path).map(|m| m.len()).map_err(|e| {
        Error::NotFound(format!(
            "The backup {} cannot be read ({e}).",
            path.display()
        ))
    })?;
    let name = file_name(path);
    // <stem>-YYYYMMDDTHHMMSSmmmZ-nnn.hesabu → RFC 3339
    let created_at = name
        .rsplit('-')
        .nth(1)
        .and_then(|ts| chrono::NaiveDateTime::parse_from_str(ts, "%Y%m%dT%H%M%S%3fZ").ok())
        .map(|t| hesabu_store::clock::format_timestamp(t.and_utc()))
        .unwrap_or_default();
    Ok(BackupInfo {
        id: name,
        path: path.display().to_string(),
        size_bytes,
        created_at,
    })
}

/// Finds a backup given as a path or as a name in the backup folder.
pub fn resolve(company: &Path, dir: Option<&Path>, backup: &str) -> Result<PathBuf> {
    let given = PathBuf::from(backup);
    if given.is_file() {
        return Ok(given);
    }
    let in_dir = dir
        .map_or_else(|| default_dir(company), Path::to_path_buf)
        .join(backup);
    if in_dir.is_file() {
        return Ok(in_dir);
    }
    Err(Error::NotFound(format!(
        "There is no backup {backup}. `hesabu backup list` shows the backups."
    )))
}

fn remove_sidecars(path: &Path) {
    for suffix in ["-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(name));
    }
}

/// Replaces the company file with `backup`, after checking that the backup is a sound company
/// file (every page, `PRAGMA integrity_check`), that it is of this company, and that its whole
/// audit chain verifies; refuses otherwise and changes nothing. The
/// replaced file is kept in the backup folder as `<stem>.replaced-<timestamp>.hesabu`. Consumes
/// (closes) `file`: the caller reopens the restored file if it needs it.
pub async fn restore(
    file: CompanyFile,
    session: &Session,
    backup: &Path,
    dir: Option<&Path>,
) -> Result<RestoreReport> {
    session.require(Permission::BackupManage)?;
    let company = file.path().to_path_buf();
    let clock: SharedClock = file.clock().clone();
    let dir = dir.map_or_else(|| default_dir(&company), Path::to_path_buf);
    std::fs::create_dir_all(&dir)
        .map_err(|e| Error::Unavailable(format!("Could not create {} ({e}).", dir.display())))?;
    // No sync worker may be writing while the file is swapped.
    let _sync = hesabu_store::outbox::SyncLock::acquire(&company).map_err(|_| {
        Error::Conflict(
            "This company file is being synced (by the app or `hesabu sync run`). Close it \
             there, then restore."
                .into(),
        )
    })?;

    // Verify a private copy, then move that very copy into place (what was checked is what is
    // restored, even if the backup file changes meanwhile).
    let staged = dir.join(format!(
        ".restoring-{}.{EXTENSION}",
        compact_timestamp(&file)
    ));
    std::fs::copy(backup, &staged).map_err(|e| {
        Error::NotFound(format!(
            "The backup {} cannot be read ({e}).",
            backup.display()
        ))
    })?;
    // Every page of the copy, before anything reads it as a company file: the audit chain and
    // the company settings live on a few pages, and a backup damaged elsewhere (a failing disk,
    // a copy cut short) would otherwise be installed and fail at the next read.
    let unfit = match company_file::examine(&staged, Thoroughness::Full).await {
        Ok(Ok(())) => None,
        Ok(Err(Unfit::NotACompanyFile(what))) => Some(format!(
            "The backup {} cannot be restored: it is not a Hesabu company file (it {what}). Your \
             company file was not changed.",
            backup.display()
        )),
        Ok(Err(Unfit::Damaged(detail))) => Some(format!(
            "The backup {} is damaged ({detail}) and was not restored. Your company file was not \
             changed; restore another backup (`hesabu backup list` shows them).",
            backup.display()
        )),
        Err(e) => Some(format!(
            "The backup {} cannot be restored: {e} Your company file was not changed.",
            backup.display()
        )),
    };
    if let Some(message) = unfit {
        let _ = std::fs::remove_file(&staged);
        remove_sidecars(&staged);
        return Err(Error::invalid(message));
    }
    let this = hesabu_core::company::load(file.reader()).await?;
    let checked = async {
        let copy = CompanyFile::open(&staged, clock.clone()).await?;
        // A backup of another company (another KRA PIN) would silently swap one client's books
        // for another's: refuse it.
        let theirs = hesabu_core::company::load(copy.reader()).await;
        let report = match theirs {
            Ok(theirs) if theirs.kra_pin != this.kra_pin => Err(Error::invalid(format!(
                "it is a backup of {} (KRA PIN {}), not of {} (KRA PIN {}). Open that company's \
                 file to restore it there.",
                theirs.legal_name, theirs.kra_pin, this.legal_name, this.kra_pin
            ))),
            Ok(_) => audit::verify_chain(&copy).await,
            Err(e) => Err(e),
        };
        copy.close().await?;
        report
    }
    .await;
    let report = match checked {
        Ok(report) => report,
        Err(e) => {
            let _ = std::fs::remove_file(&staged);
            remove_sidecars(&staged);
            return Err(Error::invalid(format!(
                "The backup {} cannot be restored: {e} Your company file was not changed.",
                backup.display()
            )));
        }
    };
    remove_sidecars(&staged);
    if let Some(broken) = &report.first_broken {
        let _ = std::fs::remove_file(&staged);
        return Err(Error::AuditBroken(format!(
            "The backup {} was not restored: its audit log does not verify at {}. Your company \
             file was not changed; restore an older backup.",
            backup.display(),
            broken.describe()
        )));
    }

    let aside = dir.join(format!(
        "{}.replaced-{}.{EXTENSION}",
        stem(&company),
        compact_timestamp(&file)
    ));
    file.close().await?;
    std::fs::rename(&company, &aside).map_err(|e| {
        Error::Unavailable(format!(
            "Could not move the current company file aside to {} ({e}); nothing was restored.",
            aside.display()
        ))
    })?;
    // A stale WAL next to the restored file would be replayed into it.
    remove_sidecars(&company);
    std::fs::rename(&staged, &company).map_err(|e| {
        Error::Unavailable(format!(
            "Could not put the backup in place ({e}). Your previous file is at {}.",
            aside.display()
        ))
    })?;

    let restored = CompanyFile::open(&company, clock).await?;
    let after = audit::verify_chain(&restored).await?;
    if !after.ok {
        return Err(Error::AuditBroken(
            "The restored file does not verify; your previous file is kept aside.".into(),
        ));
    }
    let mut uow = restored.begin(session).await?;
    uow.audit(AuditDraft {
        action: "backup.restore",
        entity_type: "backup",
        entity_id: file_name(backup),
        before: None,
        after: Some(json!({ "replaced_file_kept_at": aside.display().to_string() })),
    })
    .await?;
    uow.commit().await?;
    restored.close().await?;
    Ok(RestoreReport {
        restored_from: backup.display().to_string(),
        replaced_file_kept_at: aside.display().to_string(),
        audit_entries_verified: after.entries_checked,
    })
}

/// A backup of the company file.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct BackupInfo {
    /// The backup's file name; also its id for `hesabu backup restore`.
    pub id: String,
    pub path: String,
    #[ts(type = "number")]
    pub size_bytes: u64,
    /// When it was taken (from the file name, which the clock stamped).
    pub created_at: String,
}

/// What `hesabu backup restore` did.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct RestoreReport {
    pub restored_from: String,
    /// Where the file that was replaced now is.
    pub replaced_file_kept_at: String,
    #[ts(type = "number")]
    pub audit_entries_verified: i64,
}
