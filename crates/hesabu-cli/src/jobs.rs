//! `hesabu jobs …` (the scheduler, headless), `hesabu reports list` and `hesabu monitor`.

use clap::Subcommand;
use hesabu_app::{monitor, reports};
use hesabu_core::approvals::wire::JobRunReport;
use hesabu_store::auth::Session;
use hesabu_store::clock::{SettableClock, parse_timestamp};
use hesabu_store::company_file::CompanyFile;
use hesabu_store::scheduler::{JobRunOutcome, JobUpdate, ScheduledJobView, Scheduler, names};
use serde_json::{Value, json};

use crate::output::{Reply, table};
use crate::{Env, Failure, bad_input};

#[derive(Debug, Subcommand)]
pub(crate) enum JobsCommand {
    /// Run every scheduled job that is due (approval reminders and escalations, outbox
    /// retries, the daily summary, the backup); missed runs run once.
    Run {
        /// Run as of this instant (RFC 3339) instead of now.
        #[arg(long)]
        as_of: Option<String>,
        /// Run only this job, now, whether or not it is due.
        #[arg(long, value_name = "NAME")]
        only: Option<String>,
    },
    /// The scheduled jobs: schedule, last and next run, how the last run went.
    List,
    /// Change a job's schedule or settings; options not given keep their value.
    Set {
        name: String,
        /// Run every N minutes.
        #[arg(long, value_name = "N", conflicts_with = "daily_at")]
        every_minutes: Option<u32>,
        /// Run once a day at HH:MM, company time.
        #[arg(long, value_name = "HH:MM")]
        daily_at: Option<String>,
        /// backup: how many copies to keep.
        #[arg(long, value_name = "N")]
        keep: Option<u64>,
        #[arg(long, conflicts_with = "disable")]
        enable: bool,
        #[arg(long)]
        disable: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum ReportsCommand {
    /// The generated reports (daily summaries), newest first.
    List,
}

/// The standard jobs; the QuickBooks pull reads its tokens from the store `hesabu qbo` uses
/// (`HESABU_SECRETS`, else the OS keyring). A store named wrongly is reported by the pull's run.
fn scheduler(env: &Env) -> Scheduler {
    match crate::qbo::secrets(env) {
        Ok(secrets) => {
            hesabu_app::jobs::standard_scheduler_with_secrets(env.targets.clone(), secrets)
        }
        Err(_) => hesabu_app::jobs::standard_scheduler(env.targets.clone()),
    }
}

pub(crate) async fn jobs(
    command: &JobsCommand,
    file: &CompanyFile,
    session: &Session,
    env: &Env,
) -> Result<Reply, Failure> {
    match command {
        JobsCommand::Run { as_of, only } => {
            run(file, session, env, as_of.as_deref(), only.as_deref()).await
        }
        JobsCommand::List => {
            let list = scheduler(env).list(file, session).await?;
            Ok(Reply::list(&list, jobs_table(&list)))
        }
        JobsCommand::Set {
            name,
            every_minutes,
            daily_at,
            keep,
            enable,
            disable,
        } => {
            let schedule = match (every_minutes, daily_at) {
                (Some(n), _) => Some(format!("every:{n}")),
                (None, Some(at)) => Some(format!("daily:{at}")),
                (None, None) => None,
            };
            let update = JobUpdate {
                schedule,
                enabled: if *enable {
                    Some(true)
                } else if *disable {
                    Some(false)
                } else {
                    None
                },
                config: keep.map(|n| json!({ "keep": n })),
            };
            if update.schedule.is_none() && update.enabled.is_none() && update.config.is_none() {
                return Err(bad_input(
                    "Nothing to change: pass --every-minutes, --daily-at, --keep, --enable or --disable.",
                ));
            }
            let view = scheduler(env).update(file, session, name, &update).await?;
            let text = format!(
                "{} now runs {}{}; next run {}.\n",
                view.name,
                view.schedule_text,
                if view.enabled { "" } else { " (disabled)" },
                view.next_run_at
            );
            Ok(Reply::entity(&view, text))
        }
    }
}

async fn run(
    file: &CompanyFile,
    session: &Session,
    env: &Env,
    as_of: Option<&str>,
    only: Option<&str>,
) -> Result<Reply, Failure> {
    let scheduler = scheduler(env);
    let at_file = match as_of {
        None => None,
        Some(text) => {
            let instant = parse_timestamp(text).map_err(|_| {
                bad_input(format!(
                    "--as-of '{text}' is not an RFC 3339 instant: write 2026-07-10T09:00:00+03:00."
                ))
            })?;
            // A second handle on the same file whose clock stands at that instant.
            Some(hesabu_app::open_company_file(file.path(), SettableClock::new(instant)).await?)
        }
    };
    let acting = at_file.as_ref().unwrap_or(file);
    let as_of_text = hesabu_store::clock::format_timestamp(acting.clock().now());
    let outcomes = match only {
        Some(name) => scheduler
            .run_now(acting, session, name)
            .await
            .map(|o| vec![o]),
        None => scheduler.run_due(acting, session).await,
    };
    if let Some(f) = at_file {
        let _ = f.close().await;
    }
    let outcomes = outcomes?;
    Ok(run_reply(&as_of_text, &outcomes))
}

/// The reply keeps the approval jobs' report at the top level (as `jobs run` printed before the
/// scheduler existed; zeros when that job was not due) and adds `scheduled`: every job run.
fn run_reply(as_of: &str, outcomes: &[JobRunOutcome]) -> Reply {
    let approvals = outcomes
        .iter()
        .find(|o| o.name == names::APPROVALS)
        .and_then(|o| serde_json::from_value::<JobRunReport>(o.result.clone()).ok())
        .unwrap_or(JobRunReport {
            as_of: as_of.to_owned(),
            reminders: 0,
            escalations: 0,
            auto_approvals: 0,
            returned_from_delegation: 0,
            moved_to_delegates: 0,
        });
    let mut value = serde_json::to_value(&approvals).unwrap_or_else(|_| json!({}));
    if let Value::Object(map) = &mut value {
        map.insert(
            "scheduled".into(),
            serde_json::to_value(outcomes).unwrap_or(Value::Null),
        );
    }
    let mut text = if outcomes.is_empty() {
        format!("Nothing was due as of {as_of}. `hesabu jobs list` shows the next runs.\n")
    } else {
        let rows = outcomes
            .iter()
            .map(|o| {
                vec![
                    o.name.clone(),
                    o.status.clone(),
                    format!("{} ms", o.duration_ms),
                    o.next_run_at.clone(),
                    o.error.clone().unwrap_or_else(|| summary_of(o)),
                ]
            })
            .collect();
        table(&["JOB", "STATUS", "TOOK", "NEXT RUN", "RESULT"], rows)
    };
    if outcomes.iter().any(|o| o.name == names::APPROVALS) {
        text.push_str(&format!(
            "Approval jobs as of {}: {} reminder(s), {} escalation(s), {} auto-approval(s), {} \
             step(s) back from delegation, {} step(s) to delegates.\n",
            approvals.as_of,
            approvals.reminders,
            approvals.escalations,
            approvals.auto_approvals,
            approvals.returned_from_delegation,
            approvals.moved_to_delegates
        ));
    }
    let failed: Vec<&str> = outcomes
        .iter()
        .filter(|o| o.status == "failed")
        .map(|o| o.name.as_str())
        .collect();
    let reply = Reply::entity(&value, text);
    if failed.is_empty() {
        reply
    } else {
        // The other jobs ran; the exit code still tells a cron job that one did not.
        reply.with_failure(
            1,
            "job_failed",
            &format!(
                "{} failed; `hesabu jobs list` shows the error. It is tried again within 15 minutes.",
                failed.join(", ")
            ),
        )
    }
}

/// One line about what a job did, for the text table.
fn summary_of(o: &JobRunOutcome) -> String {
    let r = &o.result;
    match o.name.as_str() {
        names::OUTBOX => match r.get("skipped").and_then(Value::as_str) {
            Some(why) => format!("skipped: {why}"),
            None => format!("sent {}, {} done, {} dead", r["sent"], r["done"], r["dead"]),
        },
        names::DAILY_SUMMARY | names::BACKUP => r
            .get("path")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        _ => String::new(),
    }
}

fn jobs_table(list: &[ScheduledJobView]) -> String {
    let rows = list
        .iter()
        .map(|j| {
            vec![
                j.name.clone(),
                if j.enabled {
                    j.schedule_text.clone()
                } else {
                    format!("{} (disabled)", j.schedule_text)
                },
                j.last_run_at.clone().unwrap_or_else(|| "never".into()),
                j.last_status.clone().unwrap_or_else(|| "-".into()),
                j.next_run_at.clone(),
                j.last_error.clone().unwrap_or_default(),
            ]
        })
        .collect();
    table(
        &[
            "JOB",
            "SCHEDULE",
            "LAST RUN",
            "STATUS",
            "NEXT RUN",
            "LAST ERROR",
        ],
        rows,
    )
}

pub(crate) async fn reports_cmd(
    command: &ReportsCommand,
    file: &CompanyFile,
    session: &Session,
) -> Result<Reply, Failure> {
    let ReportsCommand::List = command;
    let list = reports::list(file, session).await?;
    let text = if list.is_empty() {
        "No reports yet; the daily summary is written by `hesabu jobs run` when it is due \
         (or `hesabu jobs run --only daily_summary`).\n"
            .to_owned()
    } else {
        let rows = list
            .iter()
            .map(|r| {
                vec![
                    r.created_at.clone(),
                    r.kind.clone(),
                    format!("{} KB", r.size_bytes.div_ceil(1024)),
                    r.path.clone(),
                ]
            })
            .collect();
        table(&["CREATED", "KIND", "SIZE", "PATH"], rows)
    };
    Ok(Reply::list(&list, text))
}

pub(crate) async fn monitor_cmd(file: &CompanyFile, session: &Session) -> Result<Reply, Failure> {
    let snap = monitor::snapshot(file, session, None).await?;
    let mut text = String::from("Outbox queue\n");
    if snap.queue.is_empty() {
        text.push_str("  (empty)\n");
    } else {
        let rows = snap
            .queue
            .iter()
            .map(|d| vec![d.target.clone(), d.state.clone(), d.count.to_string()])
            .collect();
        text.push_str(&table(&["TARGET", "STATE", "COUNT"], rows));
    }
    text.push_str(&match snap.oldest_ready_age_ms {
        Some(ms) => format!("Oldest ready item: {} s old. ", ms / 1000),
        None => "Nothing waiting. ".to_owned(),
    });
    text.push_str(&format!(
        "Dead: {}. Worker: {}.\n\n",
        snap.dead,
        snap.worker.replace('_', " ")
    ));
    text.push_str("Workflow executions\n");
    let e = &snap.executions;
    if e.by_type_status.is_empty() {
        text.push_str("  No workflow executions yet.\n");
    } else {
        let rows = e
            .by_type_status
            .iter()
            .map(|c| {
                vec![
                    c.workflow_type.clone(),
                    c.status.clone(),
                    c.count.to_string(),
                ]
            })
            .collect();
        text.push_str(&table(&["TYPE", "STATUS", "COUNT"], rows));
    }
    let rows = e
        .durations
        .iter()
        .map(|d| {
            let ms = |v: Option<i64>| v.map_or("-".to_owned(), |v| format!("{v} ms"));
            vec![
                d.workflow_type.clone(),
                d.samples.to_string(),
                ms(d.p50_ms),
                ms(d.p95_ms),
            ]
        })
        .collect();
    text.push_str(&table(&["TYPE (LAST DAY)", "SAMPLES", "P50", "P95"], rows));
    text.push_str(&match e.error_rate_percent {
        Some(p) => format!(
            "Error rate, last day: {p}% ({} of {}){}\n",
            e.last_day_failed,
            e.last_day_finished,
            if e.alert { "  ALERT: above 5%" } else { "" }
        ),
        None => "Error rate, last day: nothing finished.\n".to_owned(),
    });
    text.push('\n');
    text.push_str(&match snap.sla.percent {
        Some(p) => format!(
            "SLA compliance (last {} days): {p}% ({} of {} approval steps on time)\n",
            snap.sla.window_days, snap.sla.met, snap.sla.decided
        ),
        None => format!(
            "SLA compliance (last {} days): no approval steps decided.\n",
            snap.sla.window_days
        ),
    });
    if !snap.alerts.is_empty() {
        text.push_str("\nAlerts\n");
        for a in &snap.alerts {
            text.push_str(&format!("  ! {}\n", a.message));
        }
    }
    Ok(Reply::entity(&snap, text))
}
