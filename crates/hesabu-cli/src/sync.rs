//! `hesabu sync …`: the outbox queue from the command line. `sync run` drains what is due in
//! this process (taking the company file's sync lock, so it refuses while the desktop app is
//! syncing the same file), with a live progress line on a terminal's stderr.

use std::io::Write;
use std::sync::Arc;

use clap::Subcommand;
use hesabu_app::connectivity;
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::outbox::OutboxItemView;
use hesabu_store::outbox::{self, Drainer, SyncEvent, TokioSleeper};
use hesabu_store::permissions::Permission;

use crate::output::{Reply, table};
use crate::{Env, Failure};

#[derive(Debug, Subcommand)]
pub(crate) enum SyncCommand {
    /// Queue depth by target and state, the oldest ready item's age, the worker's state.
    Status,
    /// Send what is due now (all of it, or one pass with --once).
    Run {
        /// One pass only: each due item is tried at most once.
        #[arg(long)]
        once: bool,
    },
    /// Put a dead item back in the queue (it is checked with the target before any resend).
    Retry { id: String },
    /// The dead items, oldest first.
    Dead,
    /// Online or offline: each target's probe and what the operating system says.
    Connectivity,
}

pub(crate) async fn run(
    command: &SyncCommand,
    file: &CompanyFile,
    session: &Session,
    env: &Env,
) -> Result<Reply, Failure> {
    Ok(match command {
        SyncCommand::Status => {
            let status = outbox::status(file, session, None).await?;
            let rows = status
                .depth
                .iter()
                .map(|d| vec![d.target.clone(), d.state.clone(), d.count.to_string()])
                .collect();
            let mut text = table(&["TARGET", "STATE", "COUNT"], rows);
            text.push_str(&match status.oldest_ready_age_ms {
                Some(ms) => format!("Oldest ready item: {} s old.\n", ms / 1000),
                None => "Nothing is waiting to be sent.\n".to_owned(),
            });
            text.push_str(&format!("Worker: {}.\n", status.worker.replace('_', " ")));
            Reply::entity(&status, text)
        }
        SyncCommand::Run { once } => {
            session.require(Permission::SyncManage)?;
            let drainer = Drainer::new(file.clone(), env.targets.clone(), Arc::new(TokioSleeper))?;
            let progress = env.progress.then(|| spawn_progress(drainer.subscribe()));
            let recovered = drainer.recover().await?;
            let mut summary = if *once {
                drainer.drain_once().await?
            } else {
                drainer.drain_until_idle().await?
            };
            summary.recovered = u32::try_from(recovered).unwrap_or(u32::MAX);
            drop(drainer);
            if let Some(task) = progress {
                let _ = task.await;
            }
            let mut text = format!(
                "Sent {}: {} done, {} to retry later, {} dead.\n",
                summary.sent, summary.done, summary.failed, summary.dead
            );
            if summary.recovered > 0 {
                text.push_str(&format!(
                    "{} item(s) left in flight by an earlier run were checked with their target first.\n",
                    summary.recovered
                ));
            }
            if !summary.offline.is_empty() {
                text.push_str(&format!(
                    "Offline, skipped: {}. They will be sent when the connection is back.\n",
                    summary.offline.join(", ")
                ));
            }
            if summary.no_client > 0 {
                text.push_str(&format!(
                    "{} due item(s) are for targets this installation has no connection for.\n",
                    summary.no_client
                ));
            }
            if summary.dead > 0 {
                text.push_str("See `hesabu sync dead`.\n");
            }
            Reply::entity(&summary, text)
        }
        SyncCommand::Retry { id } => {
            let item = outbox::retry(file, session, id).await?;
            Reply::entity(
                &item,
                format!(
                    "Queued {} ({} to {}) again; it is checked with {} before any resend.\n",
                    item.id, item.operation, item.target, item.target
                ),
            )
        }
        SyncCommand::Connectivity => {
            let view = connectivity::check(file, session, &env.targets, None).await?;
            let mut text = format!(
                "Overall: {}.\nThis computer: {} ({}: {}).\n",
                view.overall, view.os.state, view.os.source, view.os.detail
            );
            if view.targets.is_empty() {
                text.push_str("No sync targets are configured in this installation.\n");
            } else {
                let rows = view
                    .targets
                    .iter()
                    .map(|t| {
                        let state = if t.online { "online" } else { "offline" };
                        vec![t.target.clone(), state.to_owned()]
                    })
                    .collect();
                text.push_str(&table(&["TARGET", "STATE"], rows));
            }
            text.push_str(&format!("Worker: {}.\n", view.worker.replace('_', " ")));
            Reply::entity(&view, text)
        }
        SyncCommand::Dead => {
            let list = outbox::list(file, session, Some(outbox::OutboxState::Dead), 1000).await?;
            Reply::list(&list, dead_table(&list))
        }
    })
}

fn dead_table(list: &[OutboxItemView]) -> String {
    let rows = list
        .iter()
        .map(|i| {
            vec![
                i.id.clone(),
                i.target.clone(),
                i.operation.clone(),
                i.idempotency_key.clone(),
                i.attempts.to_string(),
                i.last_error_message.clone().unwrap_or_default(),
            ]
        })
        .collect();
    table(
        &["ID", "TARGET", "OPERATION", "KEY", "ATTEMPTS", "LAST ERROR"],
        rows,
    )
}

/// A progress bar on stderr, redrawn on each event; ends when the drainer is dropped.
fn spawn_progress(
    mut events: tokio::sync::broadcast::Receiver<SyncEvent>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let (mut total, mut done, mut failed, mut dead) = (0_i64, 0_i64, 0_i64, 0_i64);
        loop {
            let event = match events.recv().await {
                Ok(e) => e,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            };
            match event {
                SyncEvent::Queued { ready } => total = total.max(ready + done + dead),
                SyncEvent::Done { .. } => done += 1,
                SyncEvent::Failed { .. } => failed += 1,
                SyncEvent::Dead { .. } => dead += 1,
                _ => continue,
            }
            let finished = done + dead;
            let width = 30_i64;
            let filled = if total > 0 {
                (finished * width / total).min(width)
            } else {
                0
            };
            let bar: String = (0..width)
                .map(|i| if i < filled { '#' } else { '.' })
                .collect();
            let mut err = std::io::stderr();
            let _ = write!(
                err,
                "\r[{bar}] {finished}/{total} sent, {failed} retrying, {dead} dead"
            );
            let _ = err.flush();
        }
        let _ = writeln!(std::io::stderr());
    })
}
