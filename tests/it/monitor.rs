//! Monitoring and connectivity: queue depth per target and state, the oldest ready item's age,
//! dead items, execution figures from the workflow execution log (by type and status, p50/p95,
//! the last day's error rate with its > 5 % alert), SLA compliance, `hesabu monitor` and
//! `hesabu sync connectivity` against a loopback target going offline.

use std::sync::Arc;

use chrono::Duration;
use hesabu_app::monitor;
use hesabu_store::audit::AuditDraft;
use hesabu_store::auth::Session;
use hesabu_store::clock::SettableClock;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::outbox::testing::{LoopbackServer, LoopbackTarget};
use hesabu_store::outbox::{NewOutboxItem, TargetConfig, Targets};
use serde_json::json;

use crate::support::{self, ADMIN_EMAIL, ADMIN_PASSWORD, env, hesabu};

async fn company_at() -> (tempfile::TempDir, CompanyFile, Session, Arc<SettableClock>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("acme.hesabu");
    let clock = support::clock();
    let (file, session) = hesabu_app::create_company(&path, &support::new_company(), clock.clone())
        .await
        .unwrap();
    (dir, file, session, clock)
}

async fn enqueue(file: &CompanyFile, session: &Session, target: &str, key: &str) {
    let mut uow = file.begin(session).await.unwrap();
    uow.enqueue(NewOutboxItem {
        target: target.into(),
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

fn count(snap: &monitor::MonitorSnapshot, target: &str, state: &str) -> i64 {
    snap.queue
        .iter()
        .find(|d| d.target == target && d.state == state)
        .map_or(0, |d| d.count)
}

#[tokio::test]
async fn monitor_counts_the_queue_and_dead_items_and_has_no_error_rate_without_executions() {
    let (_dir, file, session, clock) = company_at().await;
    for key in ["a", "b", "c"] {
        enqueue(&file, &session, "etims", key).await;
    }
    clock.advance(Duration::seconds(30));
    enqueue(&file, &session, "quickbooks", "q1").await;
    // One e-TIMS item was given up on (as the worker's dead-lettering would leave it).
    let raw = support::raw(file.path()).await;
    sqlx::query("UPDATE outbox SET state = 'dead' WHERE idempotency_key = 'a'")
        .execute(&raw)
        .await
        .unwrap();
    raw.close().await;
    clock.advance(Duration::seconds(60));

    let snap = monitor::snapshot(&file, &session, None).await.unwrap();
    assert_eq!(count(&snap, "etims", "ready"), 2);
    assert_eq!(count(&snap, "etims", "dead"), 1);
    assert_eq!(count(&snap, "quickbooks", "ready"), 1);
    assert_eq!(snap.dead, 1);
    // The oldest *ready* item is b (a is dead): enqueued 90 s ago.
    assert_eq!(snap.oldest_ready_age_ms, Some(90_000));
    assert_eq!(snap.worker, "not_running");
    assert!(snap.executions.by_type_status.is_empty());
    // No executions is not a 0 % error rate.
    assert_eq!(snap.executions.error_rate_percent, None);
    assert!(!snap.executions.alert);
    assert_eq!(snap.sla.decided, 0);
    assert_eq!(snap.sla.percent, None);
    assert_eq!(
        snap.alerts
            .iter()
            .map(|a| a.kind.as_str())
            .collect::<Vec<_>>(),
        ["dead_items"]
    );

    // The CLI: a table without --json, the snapshot with it.
    let path = file.path().to_str().unwrap().to_owned();
    let args = ["--company", &path, "--as", ADMIN_EMAIL, "monitor"];
    let text = hesabu(&args, env(Some(ADMIN_PASSWORD), None)).await;
    assert_eq!(text.code, 0, "{}", text.stderr);
    for needle in [
        "TARGET",
        "etims",
        "No workflow executions yet",
        "SLA compliance (last 30 days): no approval steps decided",
        "! 1 outbox item(s) were given up on",
    ] {
        assert!(text.stdout.contains(needle), "{needle}:\n{}", text.stdout);
    }
    let args = ["--company", &path, "--as", ADMIN_EMAIL, "--json", "monitor"];
    let json = hesabu(&args, env(Some(ADMIN_PASSWORD), None)).await.json();
    assert_eq!(json["dead"], 1);
    assert_eq!(
        json["executions"]["error_rate_percent"],
        serde_json::Value::Null
    );
}

#[tokio::test]
async fn execution_figures_percentiles_and_the_error_rate_alert() {
    let (_dir, file, session, _clock) = company_at().await;
    let raw = support::raw(file.path()).await;
    // now = 2026-07-01T06:00Z. Within the last day: 18 completed (10..180 ms), 2 failed (500,
    // 600 ms), 3 skipped and 1 pending (neither counts towards the rate). Two days ago: 5
    // failed, outside the window.
    let mut n = 0;
    let mut insert = async |kind: &str, status: &str, at: &str, ms: Option<i64>| {
        n += 1;
        sqlx::query(
            "INSERT INTO workflow_execution (id, workflow_type, entity_type, entity_id, \
             entity_version, trigger, status, started_at, completed_at, duration_ms, attempts, \
             created_at, updated_at) \
             VALUES (?, ?, 'sales_invoice', ?, 1, 'event', ?, ?, ?, ?, 1, ?, ?)",
        )
        .bind(format!("x{n}"))
        .bind(kind)
        .bind(format!("doc-{n}"))
        .bind(status)
        .bind(at)
        .bind(at)
        .bind(ms)
        .bind(at)
        .bind(at)
        .execute(&raw)
        .await
        .unwrap();
    };
    for i in 1..=18_i64 {
        let kind = if i % 2 == 0 {
            "invoice_sync"
        } else {
            "customer_sync"
        };
        insert(kind, "completed", "2026-07-01T01:00:00.000Z", Some(i * 10)).await;
    }
    insert(
        "invoice_sync",
        "failed",
        "2026-07-01T02:00:00.000Z",
        Some(500),
    )
    .await;
    insert(
        "invoice_sync",
        "failed",
        "2026-07-01T03:00:00.000Z",
        Some(600),
    )
    .await;
    for _ in 0..3 {
        insert("item_sync", "skipped", "2026-07-01T04:00:00.000Z", None).await;
    }
    insert("sales_sync", "pending", "2026-07-01T05:00:00.000Z", None).await;
    for _ in 0..5 {
        insert(
            "invoice_sync",
            "failed",
            "2026-06-29T05:00:00.000Z",
            Some(900),
        )
        .await;
    }

    let snap = monitor::snapshot(&file, &session, None).await.unwrap();
    let e = snap.executions;
    let by = |kind: &str, status: &str| {
        e.by_type_status
            .iter()
            .find(|c| c.workflow_type == kind && c.status == status)
            .map_or(0, |c| c.count)
    };
    assert_eq!(by("invoice_sync", "completed"), 9);
    assert_eq!(by("customer_sync", "completed"), 9);
    assert_eq!(by("invoice_sync", "failed"), 7, "all time, old ones too");
    assert_eq!(by("item_sync", "skipped"), 3);
    assert_eq!(by("sales_sync", "pending"), 1);
    assert_eq!((e.last_day_finished, e.last_day_failed), (20, 2));
    assert_eq!(e.error_rate_percent.unwrap().to_string(), "10.0");
    assert!(e.alert);
    let all = &e.durations[0];
    assert_eq!(all.workflow_type, "all");
    assert_eq!(all.samples, 20);
    // Nearest rank over 10, 20, …, 180, 500, 600: the 10th and the 19th.
    assert_eq!((all.p50_ms, all.p95_ms), (Some(100), Some(500)));
    let invoice = e
        .durations
        .iter()
        .find(|d| d.workflow_type == "invoice_sync")
        .unwrap();
    // 20, 40, …, 180, 500, 600: 11 samples; ranks 6 and 11.
    assert_eq!(
        (invoice.samples, invoice.p50_ms, invoice.p95_ms),
        (11, Some(120), Some(600))
    );
    assert!(snap.alerts.iter().any(|a| a.kind == "error_rate"));

    // One failure in twenty is exactly 5 %: not above the threshold, no alert.
    sqlx::query("UPDATE workflow_execution SET status = 'completed' WHERE duration_ms = 600")
        .execute(&raw)
        .await
        .unwrap();
    let snap = monitor::snapshot(&file, &session, None).await.unwrap();
    let e = snap.executions;
    assert_eq!(e.error_rate_percent.unwrap().to_string(), "5.0");
    assert!(!e.alert);
    assert!(!snap.alerts.iter().any(|a| a.kind == "error_rate"));
    raw.close().await;
}

#[tokio::test]
async fn sla_compliance_counts_steps_decided_in_the_last_thirty_days() {
    let dir = tempfile::tempdir().unwrap();
    let path = support::demo_copy(dir.path()).await;
    let file = hesabu_app::open_company_file(&path, support::clock())
        .await
        .unwrap();
    let admin =
        hesabu_store::auth::login(&file, "admin@demo.test", hesabu_app::demo::DEMO_PASSWORD)
            .await
            .unwrap();
    crate::scheduler::submit_a_document(dir.path(), path.to_str().unwrap()).await;
    let raw = support::raw(&path).await;
    let before = monitor::snapshot(&file, &admin, None).await.unwrap().sla;
    // Three on time and one late, decided a week ago; one decided long ago does not count.
    let step: String = sqlx::query_scalar("SELECT id FROM approval_step LIMIT 1")
        .fetch_one(&raw)
        .await
        .unwrap();
    let request: String = sqlx::query_scalar("SELECT request_id FROM approval_step LIMIT 1")
        .fetch_one(&raw)
        .await
        .unwrap();
    let approver: String = sqlx::query_scalar("SELECT approver_id FROM approval_step WHERE id = ?")
        .bind(&step)
        .fetch_one(&raw)
        .await
        .unwrap();
    for (i, (met, at)) in [
        (true, "2026-06-24T06:00:00.000Z"),
        (true, "2026-06-24T06:00:00.000Z"),
        (true, "2026-06-25T06:00:00.000Z"),
        (false, "2026-06-25T06:00:00.000Z"),
        (false, "2026-04-01T06:00:00.000Z"),
    ]
    .into_iter()
    .enumerate()
    {
        sqlx::query(
            "INSERT INTO approval_step (id, request_id, level, position, level_name, mode, \
             approver_id, acting_id, status, version, why, reminders_sent, escalations, \
             decided_at, sla_met) VALUES (?, ?, 9, ?, 'test', 'any', ?, ?, 'approved', 1, 'test', \
             0, 0, ?, ?)",
        )
        .bind(format!("sla-test-{i}"))
        .bind(&request)
        .bind(i64::try_from(i).unwrap())
        .bind(&approver)
        .bind(&approver)
        .bind(at)
        .bind(met)
        .execute(&raw)
        .await
        .unwrap();
    }
    raw.close().await;
    let sla = monitor::snapshot(&file, &admin, None).await.unwrap().sla;
    assert_eq!(sla.window_days, 30);
    assert_eq!(sla.decided - before.decided, 4);
    assert_eq!(sla.met - before.met, 3);
    if before.decided == 0 {
        assert_eq!(sla.percent.unwrap().to_string(), "75.0");
    }
    file.close().await.unwrap();
}

#[tokio::test]
async fn connectivity_shows_each_target_and_follows_it_offline_and_back() {
    let (_dir, file, _session, _clock) = company_at().await;
    let server = LoopbackServer::start().await.unwrap();
    let target = LoopbackTarget::new("etims", server.addr(), TargetConfig::default());
    let mut e = env(Some(ADMIN_PASSWORD), None);
    e.targets = Targets::new().with(Arc::new(target));
    let path = file.path().to_str().unwrap().to_owned();
    let args = [
        "--company",
        &path,
        "--as",
        ADMIN_EMAIL,
        "--json",
        "sync",
        "connectivity",
    ];

    let up = hesabu(&args, e.clone()).await;
    assert_eq!(up.code, 0, "{}", up.stderr);
    let up = up.json();
    assert_eq!(
        up["targets"],
        json!([{ "target": "etims", "online": true }])
    );
    assert_eq!(up["overall"], "online");
    assert_eq!(up["worker"], "not_running");
    // The OS hint depends on the machine; it is always one of three answers.
    let os = up["os"]["state"].as_str().unwrap();
    assert!(["online", "offline", "unknown"].contains(&os), "{os}");

    server.set_offline(true);
    let down = hesabu(&args, e.clone()).await.json();
    assert_eq!(down["targets"][0]["online"], false);
    assert_eq!(down["overall"], "offline");

    server.set_offline(false);
    let back = hesabu(&args, e.clone()).await.json();
    assert_eq!(back["overall"], "online");

    // Without targets the overall state is the OS hint's.
    let bare = hesabu(&args, env(Some(ADMIN_PASSWORD), None)).await.json();
    assert_eq!(bare["targets"], json!([]));
    assert_eq!(bare["overall"], bare["os"]["state"]);
}
