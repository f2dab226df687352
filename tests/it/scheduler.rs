//! The scheduler on a settable clock: what is due, missed runs run once, a failing job records
//! its error and does not stop the others, run order, claims across two handles, and the
//! built-in jobs through `hesabu jobs run|list|set` and `hesabu reports list` (the daily
//! summary PDF and the automatic backup).

use std::sync::{Arc, Mutex};

use chrono::Duration;
use hesabu_app::demo::DEMO_PASSWORD;
use hesabu_store::auth::Session;
use hesabu_store::clock::{Clock, SettableClock, format_timestamp, parse_timestamp};
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::{Error, Result};
use hesabu_store::outbox::Targets;
use hesabu_store::scheduler::{
    Job, JobContext, JobUpdate, RETRY_AFTER_FAILURE, Schedule, Scheduler,
};
use serde_json::{Value, json};

use crate::support::{self, env, hesabu};

/// The PDF's lines as `pdftotext -layout` extracts them (poppler-utils, installed by
/// scripts/install-deps.sh), each with its whitespace runs made one space.
fn pdf_lines(pdf: &[u8]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("summary.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", path.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext runs (install poppler-utils: scripts/install-deps.sh)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect()
}

/// A job that notes each run in a shared log, or fails when told to.
#[derive(Debug)]
struct Probe {
    name: &'static str,
    schedule: Schedule,
    log: Arc<Mutex<Vec<String>>>,
    fail: bool,
}

#[async_trait::async_trait]
impl Job for Probe {
    fn name(&self) -> &str {
        self.name
    }
    fn description(&self) -> &str {
        "test job"
    }
    fn default_schedule(&self) -> Schedule {
        self.schedule
    }
    async fn run(&self, ctx: &JobContext<'_>) -> Result<Value> {
        self.log.lock().unwrap().push(self.name.to_owned());
        if self.fail {
            return Err(Error::Unavailable(format!(
                "{} could not reach the printer",
                self.name
            )));
        }
        Ok(json!({ "at": format_timestamp(ctx.file.clock().now()) }))
    }
}

fn probe(
    name: &'static str,
    schedule: &str,
    log: &Arc<Mutex<Vec<String>>>,
    fail: bool,
) -> Arc<dyn Job> {
    Arc::new(Probe {
        name,
        schedule: Schedule::parse(schedule).unwrap(),
        log: log.clone(),
        fail,
    })
}

async fn company_at() -> (tempfile::TempDir, CompanyFile, Session, Arc<SettableClock>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("acme.hesabu");
    let clock = support::clock(); // 2026-07-01T06:00Z = 09:00 in Nairobi
    let (file, session) = hesabu_app::create_company(&path, &support::new_company(), clock.clone())
        .await
        .unwrap();
    (dir, file, session, clock)
}

fn taken(log: &Arc<Mutex<Vec<String>>>) -> Vec<String> {
    std::mem::take(&mut *log.lock().unwrap())
}

#[tokio::test]
async fn due_jobs_run_in_order_and_missed_runs_catch_up_once() {
    let (_dir, file, session, clock) = company_at().await;
    let log = Arc::new(Mutex::new(Vec::new()));
    let scheduler = Scheduler::new(
        vec![
            probe("first", "every:15", &log, false),
            probe("daily", "daily:07:00", &log, false),
            probe("second", "every:60", &log, false),
        ],
        Targets::new(),
    );

    // First sight: interval jobs are due at once, in the listed order; the daily job waits for
    // its slot (07:00 Nairobi tomorrow = 04:00Z on the 2nd).
    let ran = scheduler.run_due(&file, &session).await.unwrap();
    assert_eq!(taken(&log), ["first", "second"]);
    assert_eq!(
        ran.iter().map(|o| o.name.as_str()).collect::<Vec<_>>(),
        ["first", "second"]
    );
    let list = scheduler.list(&file, &session).await.unwrap();
    let daily = list.iter().find(|j| j.name == "daily").unwrap();
    assert_eq!(daily.next_run_at, "2026-07-02T04:00:00.000Z");
    assert!(!daily.due);
    assert_eq!(daily.last_run_at, None);
    let first = list.iter().find(|j| j.name == "first").unwrap();
    assert_eq!(first.next_run_at, "2026-07-01T06:15:00.000Z");
    assert_eq!(first.runs, 1);
    assert_eq!(first.last_status.as_deref(), Some("ok"));

    // Nothing is due a minute later.
    clock.advance(Duration::minutes(1));
    assert!(scheduler.run_due(&file, &session).await.unwrap().is_empty());
    assert!(taken(&log).is_empty());

    // 15 minutes in: only the 15-minute job.
    clock.set(parse_timestamp("2026-07-01T06:15:00Z").unwrap());
    scheduler.run_due(&file, &session).await.unwrap();
    assert_eq!(taken(&log), ["first"]);

    // The app was closed for ten days: every job runs exactly once, in order, and the next runs
    // are counted from now, not from the missed slots.
    let back = parse_timestamp("2026-07-11T06:30:00Z").unwrap();
    clock.set(back);
    let ran = scheduler.run_due(&file, &session).await.unwrap();
    assert_eq!(taken(&log), ["first", "daily", "second"]);
    assert_eq!(ran.len(), 3);
    let list = scheduler.list(&file, &session).await.unwrap();
    let next = |name: &str| {
        list.iter()
            .find(|j| j.name == name)
            .unwrap()
            .next_run_at
            .clone()
    };
    assert_eq!(
        next("first"),
        format_timestamp(back + Duration::minutes(15))
    );
    assert_eq!(
        next("second"),
        format_timestamp(back + Duration::minutes(60))
    );
    assert_eq!(next("daily"), "2026-07-12T04:00:00.000Z");
    assert!(list.iter().all(|j| !j.due));
    // And an immediate second run does nothing.
    assert!(scheduler.run_due(&file, &session).await.unwrap().is_empty());
    assert!(taken(&log).is_empty());
}

#[tokio::test]
async fn a_failing_job_records_its_error_and_the_others_still_run() {
    let (_dir, file, session, clock) = company_at().await;
    let log = Arc::new(Mutex::new(Vec::new()));
    let scheduler = Scheduler::new(
        vec![
            probe("broken", "every:120", &log, true),
            probe("healthy", "every:120", &log, false),
        ],
        Targets::new(),
    );
    let ran = scheduler.run_due(&file, &session).await.unwrap();
    assert_eq!(
        taken(&log),
        ["broken", "healthy"],
        "the failure did not stop the run"
    );
    assert_eq!(ran[0].status, "failed");
    assert!(
        ran[0]
            .error
            .as_deref()
            .unwrap()
            .contains("could not reach the printer")
    );
    assert_eq!(ran[1].status, "ok");

    let list = scheduler.list(&file, &session).await.unwrap();
    let broken = list.iter().find(|j| j.name == "broken").unwrap();
    assert_eq!(broken.last_status.as_deref(), Some("failed"));
    assert!(broken.last_error.as_deref().unwrap().contains("printer"));
    assert_eq!((broken.runs, broken.failures), (1, 1));
    // A failure is retried soon, not at the next two-hourly slot.
    let now = clock.now();
    assert_eq!(
        broken.next_run_at,
        format_timestamp(now + RETRY_AFTER_FAILURE)
    );
    let healthy = list.iter().find(|j| j.name == "healthy").unwrap();
    assert_eq!(
        healthy.next_run_at,
        format_timestamp(now + Duration::minutes(120))
    );
    assert_eq!(healthy.last_error, None);

    clock.advance(RETRY_AFTER_FAILURE);
    scheduler.run_due(&file, &session).await.unwrap();
    assert_eq!(taken(&log), ["broken"]);

    // The monitor shows the failing job as an alert.
    let snap = hesabu_app::monitor::snapshot(&file, &session, None)
        .await
        .unwrap();
    assert_eq!(snap.failing_jobs, ["broken"]);
    assert!(snap.alerts.iter().any(|a| a.kind == "job_failed"));
}

#[tokio::test]
async fn two_handles_running_at_once_run_a_due_job_once() {
    let (_dir, file, session, clock) = company_at().await;
    let other = hesabu_app::open_company_file(file.path(), clock.clone())
        .await
        .unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let scheduler = Scheduler::new(vec![probe("once", "every:30", &log, false)], Targets::new());
    // A first run creates the row; half an hour later both handles see it due and race.
    scheduler.run_due(&file, &session).await.unwrap();
    assert_eq!(taken(&log), ["once"]);
    clock.advance(Duration::minutes(30));
    let (a, b) = tokio::join!(
        scheduler.run_due(&file, &session),
        scheduler.run_due(&other, &session)
    );
    assert_eq!(a.unwrap().len() + b.unwrap().len(), 1);
    assert_eq!(taken(&log), ["once"]);
    other.close().await.unwrap();
}

#[tokio::test]
async fn schedule_changes_are_checked_and_audited() {
    let (_dir, file, session, _clock) = company_at().await;
    let scheduler = hesabu_app::jobs::standard_scheduler(Targets::new());
    let view = scheduler
        .update(
            &file,
            &session,
            "backup",
            &JobUpdate {
                schedule: Some("daily:18:30".into()),
                enabled: None,
                config: Some(json!({ "keep": 3 })),
            },
        )
        .await
        .unwrap();
    assert_eq!(view.schedule_text, "daily at 18:30");
    assert_eq!(view.config, json!({ "keep": 3 }));
    // 18:30 Nairobi on the 1st is 15:30Z.
    assert_eq!(view.next_run_at, "2026-07-01T15:30:00.000Z");
    let audit = hesabu_store::audit::list(&file, &session, 5).await.unwrap();
    assert_eq!(audit[0].action, "scheduled_job.update");

    for (update, needle) in [
        (
            JobUpdate {
                schedule: Some("hourly".into()),
                ..Default::default()
            },
            "every:MINUTES",
        ),
        (
            JobUpdate {
                config: Some(json!({ "keep": 0 })),
                ..Default::default()
            },
            "keep",
        ),
    ] {
        let err = scheduler
            .update(&file, &session, "backup", &update)
            .await
            .unwrap_err();
        assert!(err.to_string().contains(needle), "{err}");
    }
    let err = scheduler
        .update(&file, &session, "nope", &JobUpdate::default())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("daily_summary"), "{err}");
}

/// The storekeeper raises and submits a purchase order, so one approval step is pending.
pub(crate) async fn submit_a_document(dir: &std::path::Path, company: &str) {
    let lines = dir.join("lines.json");
    std::fs::write(
        &lines,
        r#"[{"description": "Cement 50kg", "quantity": "100", "unit_price": "750", "tax_code": "B"}]"#,
    )
    .unwrap();
    let base = [
        "--company",
        company,
        "--as",
        "storekeeper@demo.test",
        "--json",
    ];
    let mut create = base.to_vec();
    create.extend([
        "doc",
        "create",
        "--type",
        "purchase_order",
        "--title",
        "Cement for Thika",
        "--amount",
        "75,000",
        "--category",
        "materials",
        "--lines",
        lines.to_str().unwrap(),
    ]);
    let created = hesabu(&create, demo_env()).await;
    assert_eq!(created.code, 0, "{}", created.stderr);
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let mut submit = base.to_vec();
    submit.extend(["doc", "submit", id.as_str()]);
    let submitted = hesabu(&submit, demo_env()).await;
    assert_eq!(submitted.code, 0, "{}", submitted.stderr);
}

fn demo_env() -> hesabu_cli::Env {
    env(Some(DEMO_PASSWORD), None)
}

fn as_admin<'a>(path: &'a str, args: &[&'a str]) -> Vec<&'a str> {
    let mut all = vec!["--company", path, "--as", "admin@demo.test", "--json"];
    all.extend_from_slice(args);
    all
}

#[tokio::test]
async fn jobs_run_runs_the_standard_jobs_headless_and_keeps_the_approval_report() {
    let dir = tempfile::tempdir().unwrap();
    let path = support::demo_copy(dir.path()).await;
    let path = path.to_str().unwrap();

    submit_a_document(dir.path(), path).await;
    let list = hesabu(&as_admin(path, &["jobs", "list"]), demo_env()).await;
    assert_eq!(list.code, 0, "{}", list.stderr);
    assert_eq!(
        support::count(std::path::Path::new(path), "scheduled_job").await,
        0,
        "listing writes nothing"
    );
    assert_eq!(list.json()[5]["next_run_at"], "2026-07-01T22:00:00.000Z");
    let names: Vec<String> = list
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        names,
        [
            "approval_jobs",
            "qbo_pull",
            "etims_kra_records",
            "outbox_retries",
            "daily_summary",
            "backup"
        ]
    );

    let run = hesabu(&as_admin(path, &["jobs", "run"]), demo_env()).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json = run.json();
    // The approval report stays at the top level, as before the scheduler.
    assert_eq!(json["as_of"], "2026-07-01T06:00:00.000Z");
    assert!(json["escalations"].is_number());
    let ran: Vec<&str> = json["scheduled"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        ran,
        [
            "approval_jobs",
            "qbo_pull",
            "etims_kra_records",
            "outbox_retries"
        ],
        "daily jobs wait for their slot"
    );
    // No QuickBooks here: the pull is skipped, which is not a failure.
    assert_eq!(json["scheduled"][1]["status"], "ok");
    assert!(
        json["scheduled"][1]["result"]["skipped"]
            .as_str()
            .unwrap()
            .contains("not set up")
    );

    // Ten days on: each due job runs once; one summary and one backup, not ten.
    let later = hesabu(
        &as_admin(
            path,
            &["jobs", "run", "--as-of", "2026-07-11T09:00:00+03:00"],
        ),
        demo_env(),
    )
    .await;
    assert_eq!(later.code, 0, "{}", later.stderr);
    assert_eq!(later.json()["scheduled"].as_array().unwrap().len(), 6);
    let reports = hesabu(&as_admin(path, &["reports", "list"]), demo_env()).await;
    assert_eq!(reports.code, 0, "{}", reports.stderr);
    let reports = reports.json();
    assert_eq!(reports.as_array().unwrap().len(), 1);
    assert_eq!(reports[0]["created_at"], "2026-07-11T06:00:00.000Z");
    let backups = std::fs::read_dir(dir.path().join("backups"))
        .unwrap()
        .count();
    assert_eq!(backups, 1);

    // The PDF: a PDF, with the four sections and the demo's figures in it, in order, read as a
    // person would (its text is in compressed streams, in embedded fonts).
    let pdf = std::fs::read(reports[0]["path"].as_str().unwrap()).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let lines = pdf_lines(&pdf);
    // Each step on a line of its own, after the previous step's line; a document's title and
    // amount on one line.
    let mut from = 0;
    for step in [
        &["Daily summary"][..],
        &["Savannah Traders Limited"],
        &["Pending approvals: 1 (0 overdue)"],
        &["Cement for Thika", "KES 75,000.00"],
        &["SLA compliance"],
        &["Budget utilisation per department"],
        &["Operations"],
        &["Sync failures: 0 dead outbox item"],
    ] {
        let on_line = |l: &String| {
            let mut at = 0;
            step.iter().all(|part| match l[at..].find(part) {
                Some(i) => {
                    at += i + part.len();
                    true
                }
                None => false,
            })
        };
        match lines[from..].iter().position(on_line) {
            Some(at) => from += at + 1,
            None => panic!(
                "{step:?} not in the PDF, or out of order:\n{}",
                lines.join("\n")
            ),
        }
    }
    let audit = hesabu(
        &as_admin(path, &["audit", "list", "--limit", "20"]),
        demo_env(),
    )
    .await;
    let actions: Vec<String> = audit
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    assert!(actions.contains(&"report.create".to_owned()), "{actions:?}");
    assert!(actions.contains(&"backup.create".to_owned()), "{actions:?}");

    let shown = hesabu(&as_admin(path, &["jobs", "list"]), demo_env()).await;
    let backup = shown
        .json()
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["name"] == "backup")
        .cloned()
        .unwrap();
    assert_eq!(backup["last_status"], "ok");
    assert_eq!(backup["last_run_at"], "2026-07-11T06:00:00.000Z");
    // 01:00 Nairobi on the 12th.
    assert_eq!(backup["next_run_at"], "2026-07-11T22:00:00.000Z");
}

#[tokio::test]
async fn a_failing_backup_is_reported_and_the_summary_is_still_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = support::demo_copy(dir.path()).await;
    let path = path.to_str().unwrap();
    // A file where the backups folder should be: the backup cannot be written.
    std::fs::write(dir.path().join("backups"), b"in the way").unwrap();
    // A first run on the 1st creates the job rows (the daily jobs' first slots follow it).
    let first = hesabu(&as_admin(path, &["jobs", "run"]), demo_env()).await;
    assert_eq!(first.code, 0, "{}", first.stderr);
    let run = hesabu(
        &as_admin(
            path,
            &["jobs", "run", "--as-of", "2026-07-03T09:00:00+03:00"],
        ),
        demo_env(),
    )
    .await;
    assert_eq!(
        run.code, 1,
        "a failed job fails the command: {}",
        run.stdout
    );
    assert!(
        run.error_json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("backup failed")
    );
    let outcomes = run.json()["scheduled"].as_array().unwrap().clone();
    let status = |name: &str| {
        outcomes
            .iter()
            .find(|o| o["name"] == name)
            .map(|o| o["status"].as_str().unwrap().to_owned())
    };
    assert_eq!(status("daily_summary").as_deref(), Some("ok"));
    assert_eq!(status("backup").as_deref(), Some("failed"));
    let list = hesabu(&as_admin(path, &["jobs", "list"]), demo_env()).await;
    let backup = list
        .json()
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["name"] == "backup")
        .cloned()
        .unwrap();
    assert!(
        backup["last_error"]
            .as_str()
            .unwrap()
            .contains("backup folder"),
        "{backup}"
    );
    assert_eq!(backup["next_run_at"], "2026-07-03T06:15:00.000Z");
    let monitor = hesabu(&as_admin(path, &["monitor"]), demo_env()).await;
    assert_eq!(monitor.json()["failing_jobs"], json!(["backup"]));
}

#[tokio::test]
async fn jobs_set_keeps_the_configured_number_of_backups() {
    let dir = tempfile::tempdir().unwrap();
    let path = support::demo_copy(dir.path()).await;
    let path = path.to_str().unwrap();
    let set = hesabu(
        &as_admin(path, &["jobs", "set", "backup", "--keep", "2"]),
        demo_env(),
    )
    .await;
    assert_eq!(set.code, 0, "{}", set.stderr);
    assert_eq!(set.json()["config"]["keep"], 2);
    for _ in 0..3 {
        let run = hesabu(
            &as_admin(path, &["jobs", "run", "--only", "backup"]),
            demo_env(),
        )
        .await;
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    let backups = hesabu(&as_admin(path, &["backup", "list"]), demo_env()).await;
    assert_eq!(backups.json().as_array().unwrap().len(), 2);

    for (args, code) in [
        (vec!["jobs", "set", "backup", "--keep", "0"], 2),
        (vec!["jobs", "set", "backup"], 2),
        (vec!["jobs", "set", "backup", "--daily-at", "25:00"], 2),
        (vec!["jobs", "set", "nope", "--enable"], 2),
        (vec!["jobs", "run", "--only", "nope"], 2),
        (vec!["jobs", "run", "--as-of", "yesterday"], 2),
    ] {
        let out = hesabu(&as_admin(path, &args), demo_env()).await;
        assert_eq!(out.code, code, "{args:?}: {}", out.stderr);
    }
    let disabled = hesabu(
        &as_admin(path, &["jobs", "set", "outbox_retries", "--disable"]),
        demo_env(),
    )
    .await;
    assert_eq!(disabled.json()["enabled"], false);
    // `jobs set` created the rows (interval jobs due at once) and `--only` ran just the backup:
    // the approval job is due now, the disabled outbox job is skipped.
    let run = hesabu(&as_admin(path, &["jobs", "run"]), demo_env()).await;
    let json = run.json();
    let ran: Vec<&str> = json["scheduled"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        ran,
        ["approval_jobs", "qbo_pull", "etims_kra_records"],
        "a disabled job does not run"
    );
}

#[tokio::test]
async fn the_outbox_job_drains_due_items_and_reports_progress() {
    use hesabu_store::audit::AuditDraft;
    use hesabu_store::outbox::testing::{LoopbackServer, LoopbackTarget};
    use hesabu_store::outbox::{NewOutboxItem, SyncEvent, TargetConfig, WorkerState};

    let (_dir, file, session, _clock) = company_at().await;
    for key in ["k1", "k2"] {
        let mut uow = file.begin(&session).await.unwrap();
        uow.enqueue(NewOutboxItem {
            target: "fake".into(),
            operation: "invoice.create".into(),
            payload: json!({ "key": key }),
            idempotency_key: key.into(),
            ordering_key: None,
            auto_retry: true,
        })
        .await
        .unwrap();
        uow.audit(AuditDraft {
            action: "test.send",
            entity_type: "test",
            entity_id: key.into(),
            before: None,
            after: None,
        })
        .await
        .unwrap();
        uow.commit().await.unwrap();
    }
    let server = LoopbackServer::start().await.unwrap();
    let targets = Targets::new().with(Arc::new(LoopbackTarget::new(
        "fake",
        server.addr(),
        TargetConfig::default(),
    )));
    let (events, mut rx) = tokio::sync::broadcast::channel(64);
    let scheduler = hesabu_app::jobs::standard_scheduler(targets).with_sync_events(events);
    let outcome = scheduler
        .run_now(&file, &session, "outbox_retries")
        .await
        .unwrap();
    assert_eq!(outcome.status, "ok", "{:?}", outcome.error);
    assert_eq!(outcome.result["done"], 2);
    assert_eq!(server.deliveries().len(), 2);
    let mut seen = Vec::new();
    while let Ok(event) = rx.try_recv() {
        seen.push(event);
    }
    assert_eq!(seen.first(), Some(&SyncEvent::State(WorkerState::Running)));
    assert_eq!(seen.last(), Some(&SyncEvent::State(WorkerState::Idle)));
    let done = seen
        .iter()
        .filter(|e| matches!(e, SyncEvent::Done { .. }))
        .count();
    assert_eq!(done, 2);

    // While another drainer holds the sync lock the job succeeds without sending.
    let _held = hesabu_store::outbox::SyncLock::acquire(file.path()).unwrap();
    let skipped = scheduler
        .run_now(&file, &session, "outbox_retries")
        .await
        .unwrap();
    assert_eq!(skipped.status, "ok");
    assert!(skipped.result["skipped"].is_string(), "{}", skipped.result);
}
