//! `hesabu backup create|list|restore`.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use hesabu_app::backup;
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;

use crate::Failure;
use crate::output::{Reply, table};

#[derive(Debug, Subcommand)]
pub(crate) enum BackupCommand {
    /// Copy the company file into the backup folder and keep the newest N.
    Create {
        #[command(flatten)]
        place: Place,
        /// How many backups to keep.
        #[arg(long, default_value_t = backup::DEFAULT_KEEP)]
        keep: usize,
    },
    /// The backups, newest first.
    List {
        #[command(flatten)]
        place: Place,
    },
    /// Replace the company file with a backup whose pages pass SQLite's integrity check and
    /// whose audit log verifies; the replaced file is kept in the backup folder.
    Restore {
        #[command(flatten)]
        place: Place,
        /// A backup's name (from `backup list`) or path.
        file: String,
    },
}

#[derive(Debug, Args)]
pub(crate) struct Place {
    /// The backup folder (default: backups/ next to the company file).
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

/// Create and list; restore needs the file by value and is [`restore`].
pub(crate) async fn run(
    command: &BackupCommand,
    file: &CompanyFile,
    session: &Session,
) -> Result<Reply, Failure> {
    Ok(match command {
        BackupCommand::Create { place, keep } => {
            let info = backup::create(file, session, place.dir.as_deref(), *keep).await?;
            Reply::entity(&info, format!("Backed up to {}.\n", info.path))
        }
        BackupCommand::List { place } => {
            let list = backup::list(file, session, place.dir.as_deref()).await?;
            let rows = list
                .iter()
                .map(|b| vec![b.id.clone(), b.created_at.clone(), b.size_bytes.to_string()])
                .collect();
            Reply::list(&list, table(&["BACKUP", "TAKEN", "BYTES"], rows))
        }
        BackupCommand::Restore { .. } => {
            return Err(Failure::internal("restore takes the company file by value"));
        }
    })
}

pub(crate) async fn restore(
    command: &BackupCommand,
    file: CompanyFile,
    session: &Session,
) -> Result<Reply, Failure> {
    let BackupCommand::Restore { place, file: name } = command else {
        return Err(Failure::internal("not a restore"));
    };
    session.require(hesabu_store::permissions::Permission::BackupManage)?;
    let path = backup::resolve(file.path(), place.dir.as_deref(), name)?;
    let report = backup::restore(file, session, &path, place.dir.as_deref()).await?;
    let text = format!(
        "Restored {} (every page checked, {} audit entries verified). The replaced file is kept \
         at {}.\n",
        report.restored_from, report.audit_entries_verified, report.replaced_file_kept_at
    );
    Ok(Reply::entity(&report, text))
}
