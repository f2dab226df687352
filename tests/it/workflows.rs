//! Workflows: typed configs (CLI, exit 2 naming the key), events matched in the unit of work of
//! the change, the execution log following the outbox (done → completed, dead → failed),
//! retries, manual runs, skipped/held/manual executions, and the non-document workflows.

use std::sync::Arc;
use std::time::Duration;

use hesabu_app::demo::DEMO_PASSWORD;
use hesabu_core::approvals::wire::{
    ActionInput, Decision, DocumentType, NewDocument, NewDocumentLine,
};
use hesabu_core::approvals::{actions, documents};
use hesabu_core::workflows::{
    self, EventType, ExecutionFilter, ExecutionView, NewEvent, WorkflowType,
};
use hesabu_store::ErrorKind;
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::outbox::testing::{Fault, LoopbackServer, LoopbackTarget};
use hesabu_store::outbox::{self, ClockSleeper, Drainer, TargetConfig, Targets};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::support::{self, env, hesabu};

pub(crate) struct Demo {
    pub _dir: tempfile::TempDir,
    pub path: std::path::PathBuf,
    pub file: CompanyFile,
    pub clock: Arc<hesabu_store::clock::SettableClock>,
}

pub(crate) async fn demo() -> Demo {
    let dir = tempfile::tempdir().unwrap();
    let path = support::demo_copy(dir.path()).await;
    let clock = support::clock();
    let file = hesabu_app::open_company_file(&path, clock.clone())
        .await
        .unwrap();
    Demo {
        _dir: dir,
        path,
        file,
        clock,
    }
}

pub(crate) async fn login(file: &CompanyFile, email: &str) -> Session {
    hesabu_store::auth::login(file, email, DEMO_PASSWORD)
        .await
        .unwrap()
}

pub(crate) fn invoice(amount: i64, tax_codes: &[Option<&str>], facts: Value) -> NewDocument {
    NewDocument {
        doc_type: DocumentType::SalesInvoice,
        title: "Consulting".into(),
        amount: Decimal::new(amount, 0),
        currency: None,
        department: None,
        category: None,
        project: None,
        facts: Some(facts),
        lines: tax_codes
            .iter()
            .map(|t| NewDocumentLine {
                description: "Advisory".into(),
                quantity: Decimal::ONE,
                unit_price: Decimal::new(amount, 0),
                tax_code: t.map(str::to_owned),
            })
            .collect(),
    }
}

/// Approves every pending step, as whoever holds it, until the document is final.
pub(crate) async fn approve_all(file: &CompanyFile, doc_id: &str) {
    for _ in 0..10 {
        let admin = login(file, "admin@demo.test").await;
        let doc = documents::show(file, &admin, doc_id).await.unwrap();
        let Some(request) = doc.current_request.filter(|r| r.status == "pending") else {
            return;
        };
        for step in request.steps.iter().filter(|s| s.status == "pending") {
            let who = login(file, &step.acting_email).await;
            actions::act(
                file,
                &who,
                &request.id,
                &ActionInput {
                    decision: Decision::Approve,
                    comment: None,
                    delegate_to: None,
                    expected_version: Some(step.version),
                },
            )
            .await
            .unwrap();
        }
    }
    panic!("{doc_id} was not approved after 10 rounds");
}

/// Raises a sales invoice as the sales rep (manager: Faith), submits and approves it.
pub(crate) async fn approved_invoice(file: &CompanyFile, amount: i64) -> String {
    let rep = login(file, "sales.rep@demo.test").await;
    let doc = documents::create(file, &rep, &invoice(amount, &[Some("B")], json!({})))
        .await
        .unwrap();
    documents::submit(file, &rep, &doc.id).await.unwrap();
    approve_all(file, &doc.id).await;
    doc.id
}

pub(crate) async fn enable(file: &CompanyFile, workflow: WorkflowType, settings: Value) {
    let admin = login(file, "admin@demo.test").await;
    workflows::set(file, &admin, workflow, &settings)
        .await
        .unwrap();
}

pub(crate) async fn executions_of(file: &CompanyFile, entity: &str) -> Vec<ExecutionView> {
    let admin = login(file, "admin@demo.test").await;
    workflows::executions(
        file,
        &admin,
        &ExecutionFilter {
            entity_id: Some(entity.into()),
            ..ExecutionFilter::default()
        },
    )
    .await
    .unwrap()
}

fn config() -> TargetConfig {
    TargetConfig {
        max_in_flight: 1,
        min_interval: Duration::ZERO,
        max_retries: 2,
        backoff_base: Duration::from_secs(10),
        backoff_cap: Duration::from_secs(60),
        jitter_permille: 0,
    }
}

/// A drainer whose `etims` target is the loopback fake (the real client is phase 2).
fn etims_drainer(d: &Demo, server: &LoopbackServer) -> Drainer {
    let targets = Targets::new().with(Arc::new(LoopbackTarget::new(
        "etims",
        server.addr(),
        config(),
    )));
    Drainer::new(d.file.clone(), targets, ClockSleeper::new(d.clock.clone())).unwrap()
}

#[tokio::test]
async fn an_approved_invoice_is_queued_for_etims_and_its_execution_follows_the_outbox() {
    let d = demo().await;
    enable(
        &d.file,
        WorkflowType::InvoiceSync,
        json!({ "enabled": true, "autoSync": true }),
    )
    .await;
    let id = approved_invoice(&d.file, 10_000).await;

    // Created did not trigger (no requireApprovalAbove); approval did, in its unit of work.
    let list = executions_of(&d.file, &id).await;
    assert_eq!(list.len(), 1, "{list:#?}");
    let e = &list[0];
    assert_eq!(
        (e.workflow_type.as_str(), e.status.as_str()),
        ("invoice_sync", "pending")
    );
    assert_eq!((e.trigger.as_str(), e.attempts), ("event", 1));
    let admin = login(&d.file, "admin@demo.test").await;
    let row = outbox::get(&d.file, &admin, e.outbox_id.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(
        (
            row.target.as_str(),
            row.operation.as_str(),
            row.idempotency_key.as_str()
        ),
        ("etims", "invoice.submit", format!("inv:{id}:v1").as_str())
    );
    let events = workflows::events_list(&d.file, &admin, Some(&id), 10)
        .await
        .unwrap();
    let mut kinds: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
    kinds.sort_unstable();
    assert_eq!(kinds, vec!["approved", "created"]);

    let server = LoopbackServer::start().await.unwrap();
    d.clock.advance(chrono::Duration::milliseconds(1500));
    let summary = etims_drainer(&d, &server).drain_until_idle().await.unwrap();
    assert_eq!(summary.done, 1);
    let e = &executions_of(&d.file, &id).await[0];
    assert_eq!(e.status, "completed");
    assert!(e.result_ref.is_some(), "{e:?}");
    assert!(e.started_at.is_some() && e.completed_at.is_some());
    assert!(e.duration_ms.is_some_and(|ms| ms >= 0));
    // One attempt, sent, carrying the target's reference.
    assert_eq!(e.attempt_log.len(), 1, "{:#?}", e.attempt_log);
    let a = &e.attempt_log[0];
    assert_eq!(
        (a.number, a.started_by.as_str(), a.outcome.as_str()),
        (1, "event", "sent")
    );
    assert_eq!(a.result_ref, e.result_ref);
    assert!(a.finished_at.is_some() && a.duration_ms.is_some());
    let applied = server.applied();
    let payload = &applied[&format!("inv:{id}:v1")];
    assert_eq!(payload["entity"]["amount"], "10000");
    assert_eq!(payload["options"]["syncETRReceipt"], true);
}

#[tokio::test]
async fn a_dead_send_fails_the_execution_notifies_and_retry_requeues_it() {
    let d = demo().await;
    enable(
        &d.file,
        WorkflowType::InvoiceSync,
        json!({ "enabled": true, "autoSync": true, "config": { "maxRetries": 1 } }),
    )
    .await;
    let id = approved_invoice(&d.file, 8_000).await;
    let server = LoopbackServer::start().await.unwrap();
    server.inject([Fault::Rejected]);
    etims_drainer(&d, &server).drain_until_idle().await.unwrap();

    let e = executions_of(&d.file, &id).await.remove(0);
    assert_eq!(e.status, "failed");
    assert_eq!(e.error_kind.as_deref(), Some("permanent"));
    assert!(e.completed_at.is_some());
    let admin = login(&d.file, "admin@demo.test").await;
    let notices = hesabu_store::notifications::list(&d.file, &admin)
        .await
        .unwrap();
    assert!(
        notices
            .iter()
            .any(|n| n.kind == "workflow.failed" && n.entity_id.as_deref() == Some(&e.id)),
        "{notices:#?}"
    );

    // Retry through the CLI: pending again, one more attempt, the same outbox row queued.
    let out = hesabu(
        &[
            "--company",
            d.path.to_str().unwrap(),
            "--as",
            "cfo@demo.test",
            "--json",
            "workflow",
            "retry",
            &e.id,
        ],
        env(Some(DEMO_PASSWORD), None),
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let retried = out.json();
    assert_eq!(retried["status"], "pending");
    assert_eq!(retried["attempts"], 2);
    assert_eq!(retried["outbox_id"], e.outbox_id.clone().unwrap());
    let audit = hesabu_store::audit::list(&d.file, &admin, 5).await.unwrap();
    assert!(audit.iter().any(|a| a.action == "workflow.retry"));

    etims_drainer(&d, &server).drain_until_idle().await.unwrap();
    let e2 = executions_of(&d.file, &id).await.remove(0);
    assert_eq!(e2.status, "completed");
    assert_eq!(server.deliveries()[&format!("inv:{id}:v1")], 2);

    // Only failed executions can be retried, and maxRetries caps the retries.
    let err = workflows::retry(&d.file, &admin, &e.id).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");
    let id2 = approved_invoice(&d.file, 9_000).await;
    server.inject([Fault::Rejected, Fault::Rejected]);
    etims_drainer(&d, &server).drain_until_idle().await.unwrap();
    let failed = executions_of(&d.file, &id2).await.remove(0);
    workflows::retry(&d.file, &admin, &failed.id).await.unwrap();
    etims_drainer(&d, &server).drain_until_idle().await.unwrap();
    let failed = executions_of(&d.file, &id2).await.remove(0);
    assert_eq!((failed.status.as_str(), failed.attempts), ("failed", 2));
    let err = workflows::retry(&d.file, &admin, &failed.id)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("maxRetries"), "{err}");
}

/// The execution log keeps one row per try: the first send, the queue's own retries after a
/// retryable failure, the final failure, and a person's retry that went through.
#[tokio::test]
async fn every_attempt_of_an_execution_is_kept_in_order() {
    let d = demo().await;
    enable(
        &d.file,
        WorkflowType::InvoiceSync,
        json!({ "enabled": true, "autoSync": true }),
    )
    .await;
    let id = approved_invoice(&d.file, 6_000).await;
    let server = LoopbackServer::start().await.unwrap();
    server.inject([Fault::Unavailable, Fault::Unavailable, Fault::Unavailable]);
    let drainer = etims_drainer(&d, &server);
    for _ in 0..10 {
        drainer.drain_until_idle().await.unwrap();
        if executions_of(&d.file, &id).await[0].status == "failed" {
            break;
        }
        d.clock.advance(chrono::Duration::seconds(61));
    }
    let e = executions_of(&d.file, &id).await.remove(0);
    assert_eq!(e.status, "failed", "{e:#?}");
    let tries = &e.attempt_log;
    assert_eq!(tries.len(), 3, "max_retries 2: three sends, {tries:#?}");
    let outline: Vec<(i64, &str, &str)> = tries
        .iter()
        .map(|a| (a.number, a.started_by.as_str(), a.outcome.as_str()))
        .collect();
    assert_eq!(
        outline,
        vec![
            (1, "event", "will_retry"),
            (2, "automatic", "will_retry"),
            (3, "automatic", "failed"),
        ]
    );
    assert!(
        tries
            .iter()
            .all(|a| a.error_message.is_some() && a.finished_at.is_some())
    );
    assert!(tries[0].started_at < tries[1].started_at);

    let admin = login(&d.file, "admin@demo.test").await;
    let retried = workflows::retry(&d.file, &admin, &e.id).await.unwrap();
    assert_eq!(
        retried.attempt_log.len(),
        3,
        "a retry opens no attempt until it is sent"
    );
    drainer.drain_until_idle().await.unwrap();
    let e = workflows::execution(&d.file, &admin, &e.id).await.unwrap();
    assert_eq!(e.status, "completed");
    let last = e.attempt_log.last().unwrap();
    assert_eq!(
        (last.number, last.started_by.as_str(), last.outcome.as_str()),
        (4, "retry", "sent")
    );
    assert_eq!(e.entity_label.as_deref().map(|l| l.is_empty()), Some(false));

    // The export has the same rows, newest first.
    let table = hesabu_core::workflows::export::table(
        &d.file,
        &admin,
        &ExecutionFilter {
            entity_id: Some(id.clone()),
            ..ExecutionFilter::default()
        },
        hesabu_store::export::zone("Africa/Nairobi").unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(table.rows.len(), 4);
    assert_eq!(
        table.rows[0][6],
        hesabu_store::export::Cell::Text("Sent".into())
    );
    assert_eq!(
        table.rows[3][6],
        hesabu_store::export::Cell::Text("Failed, will retry".into())
    );
}

#[tokio::test]
async fn retry_on_failure_off_makes_the_first_failure_final() {
    let d = demo().await;
    enable(
        &d.file,
        WorkflowType::InvoiceSync,
        json!({ "enabled": true, "autoSync": true, "config": { "retryOnFailure": false } }),
    )
    .await;
    let id = approved_invoice(&d.file, 7_000).await;
    let server = LoopbackServer::start().await.unwrap();
    server.inject([Fault::Unavailable]);
    etims_drainer(&d, &server).drain_once().await.unwrap();
    let e = executions_of(&d.file, &id).await.remove(0);
    assert_eq!(e.status, "failed", "{e:?}");
    assert_eq!(e.error_kind.as_deref(), Some("retryable"));
}

#[tokio::test]
async fn disabled_manual_and_early_invoices() {
    let d = demo().await;
    let admin = login(&d.file, "admin@demo.test").await;
    // Disabled (the default): the approval event records a skipped execution, and so does a
    // manual run.
    let id = approved_invoice(&d.file, 6_000).await;
    let on_event = executions_of(&d.file, &id).await;
    assert_eq!(on_event.len(), 1);
    assert_eq!(on_event[0].status, "skipped");
    assert_eq!(
        on_event[0].error_message.as_deref(),
        Some("skipped: workflow not enabled")
    );
    let e = workflows::run(&d.file, &admin, WorkflowType::InvoiceSync, &id)
        .await
        .unwrap();
    assert_eq!(e.status, "skipped");
    assert_eq!(
        e.error_message.as_deref(),
        Some("skipped: workflow not enabled")
    );
    assert!(e.outbox_id.is_none());

    // Enabled without auto-sync: the approval records a pending execution waiting for a
    // person; a manual run queues that same execution; a second run is skipped.
    enable(
        &d.file,
        WorkflowType::InvoiceSync,
        json!({ "enabled": true, "autoSync": false }),
    )
    .await;
    let id = approved_invoice(&d.file, 6_500).await;
    let waiting = executions_of(&d.file, &id).await.remove(0);
    assert_eq!(
        (
            waiting.status.as_str(),
            waiting.error_kind.as_deref(),
            waiting.outbox_id.as_deref()
        ),
        ("pending", Some("manual"), None)
    );
    let run = workflows::run(&d.file, &admin, WorkflowType::InvoiceSync, &id)
        .await
        .unwrap();
    assert_eq!(run.id, waiting.id);
    assert!(
        run.outbox_id.is_some() && run.error_kind.is_none(),
        "{run:?}"
    );
    let again = workflows::run(&d.file, &admin, WorkflowType::InvoiceSync, &id)
        .await
        .unwrap();
    assert_eq!(again.status, "skipped");
    assert!(again.error_message.unwrap().contains(&run.id));

    // The wrong workflow for the entity is refused.
    let err = workflows::run(&d.file, &admin, WorkflowType::CustomerSync, &id)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);

    // requireApprovalAbove: a small invoice is sent when created, before approval; approving
    // it later does not send it twice.
    enable(
        &d.file,
        WorkflowType::InvoiceSync,
        json!({ "autoSync": true, "config": { "requireApprovalAbove": "5000" } }),
    )
    .await;
    let rep = login(&d.file, "sales.rep@demo.test").await;
    let small = documents::create(&d.file, &rep, &invoice(4_000, &[Some("B")], json!({})))
        .await
        .unwrap();
    let first = executions_of(&d.file, &small.id).await;
    assert_eq!(first.len(), 1);
    assert!(first[0].outbox_id.is_some() && first[0].status == "pending");
    documents::submit(&d.file, &rep, &small.id).await.unwrap();
    approve_all(&d.file, &small.id).await;
    let after = executions_of(&d.file, &small.id).await;
    assert_eq!(after.len(), 2);
    // (Ids made in one millisecond of the frozen test clock do not sort by creation.)
    let skipped = after.iter().find(|e| e.status == "skipped").unwrap();
    assert!(
        skipped
            .error_message
            .as_deref()
            .unwrap()
            .contains("already sent")
    );
    assert_eq!(after.iter().filter(|e| e.outbox_id.is_some()).count(), 1);
    // An invoice above it waits for its approval.
    let big = documents::create(&d.file, &rep, &invoice(5_001, &[Some("B")], json!({})))
        .await
        .unwrap();
    assert!(executions_of(&d.file, &big.id).await.is_empty());
}

#[tokio::test]
async fn customers_items_credit_notes_and_sales_follow_their_configs() {
    let d = demo().await;
    let admin = login(&d.file, "admin@demo.test").await;
    let record = |entity_type: &'static str, id: &'static str, payload: Value, kind: EventType| {
        let file = d.file.clone();
        let admin = admin.clone();
        async move {
            workflows::record_event(
                &file,
                &admin,
                NewEvent {
                    event_type: kind,
                    entity_type: entity_type.into(),
                    entity_id: id.into(),
                    source: "quickbooks",
                    payload,
                },
            )
            .await
            .unwrap();
            executions_of(&file, id).await
        }
    };
    let on = json!({ "enabled": true, "autoSync": true });

    // Customers: strict PIN validation fails the execution; lenient sends without the PIN.
    enable(&d.file, WorkflowType::CustomerSync, on.clone()).await;
    let e = record(
        "customer",
        "C-1",
        json!({ "name": "Ralph", "pin": "123" }),
        EventType::Created,
    )
    .await;
    assert_eq!(
        (e[0].status.as_str(), e[0].error_kind.as_deref()),
        ("failed", Some("invalid_pin"))
    );
    enable(
        &d.file,
        WorkflowType::CustomerSync,
        json!({ "config": { "validatePIN": "lenient" } }),
    )
    .await;
    let e = record(
        "customer",
        "C-2",
        json!({ "name": "Joy", "pin": "bad" }),
        EventType::Pulled,
    )
    .await;
    assert_eq!(e[0].status, "pending");
    let row = outbox::get(&d.file, &admin, e[0].outbox_id.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(row.idempotency_key, "cus:C-2:v1");
    let e = record(
        "customer",
        "C-3",
        json!({ "name": "Ok", "pin": "P051234567X" }),
        EventType::Created,
    )
    .await;
    assert_eq!(e[0].status, "pending");
    // A later change is sent only with syncOnUpdate.
    enable(
        &d.file,
        WorkflowType::CustomerSync,
        json!({ "config": { "syncOnUpdate": false } }),
    )
    .await;
    let e = record(
        "customer",
        "C-3",
        json!({ "name": "Ok Ltd", "pin": "P051234567X" }),
        EventType::Updated,
    )
    .await;
    assert_eq!(e.len(), 1, "an update without syncOnUpdate starts nothing");

    // Items: taxable only skips exempt (A) and non-VAT (D) items.
    enable(
        &d.file,
        WorkflowType::ItemSync,
        json!({ "enabled": true, "autoSync": true, "config": { "taxableOnly": true } }),
    )
    .await;
    let e = record(
        "item",
        "I-1",
        json!({ "name": "Bread", "tax_category": "A", "item_type": "2" }),
        EventType::Changed,
    )
    .await;
    assert_eq!(e[0].status, "skipped");
    assert!(
        e[0].error_message
            .as_deref()
            .unwrap()
            .contains("not taxable")
    );
    let e = record(
        "item",
        "I-2",
        json!({ "name": "Consulting", "tax_category": "B", "item_type": "3" }),
        EventType::Changed,
    )
    .await;
    assert_eq!(e[0].status, "pending");

    // Credit notes need their original invoice.
    enable(&d.file, WorkflowType::CreditNoteSync, on.clone()).await;
    let e = record(
        "credit_note",
        "CN-1",
        json!({ "total": "100" }),
        EventType::Created,
    )
    .await;
    assert_eq!(e[0].error_kind.as_deref(), Some("missing_original_invoice"));
    let e = record(
        "credit_note",
        "CN-2",
        json!({ "total": "100", "original_invoice": "SI-000001" }),
        EventType::Created,
    )
    .await;
    assert_eq!(e[0].status, "pending");

    // Sales: below the threshold, or the wrong customer type, is skipped.
    enable(&d.file, WorkflowType::SalesSync, json!({ "enabled": true, "autoSync": true, "config": { "taxThreshold": "1000", "customerTypes": ["B2B"] } })).await;
    let e = record(
        "sale",
        "S-1",
        json!({ "total": "999.99", "customer_pin": "P051234567X" }),
        EventType::Created,
    )
    .await;
    assert!(
        e[0].error_message
            .as_deref()
            .unwrap()
            .contains("below the taxThreshold")
    );
    let e = record(
        "sale",
        "S-2",
        json!({ "total": "5000" }),
        EventType::Created,
    )
    .await;
    assert!(e[0].error_message.as_deref().unwrap().contains("B2C"));
    let e = record(
        "sale",
        "S-3",
        json!({ "total": "5000", "customer_pin": "P051234567X" }),
        EventType::Created,
    )
    .await;
    assert_eq!(e[0].status, "pending");

    // A manual run of a non-document entity uses its newest recorded state.
    let e = workflows::run(&d.file, &admin, WorkflowType::CustomerSync, "C-1")
        .await
        .unwrap();
    assert_eq!(e.status, "failed");
    let err = workflows::run(&d.file, &admin, WorkflowType::CustomerSync, "nobody")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn cli_workflow_settings_are_validated_versioned_and_audited() {
    let d = demo().await;
    let company = d.path.to_str().unwrap().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let run = |args: Vec<String>| {
        let company = company.clone();
        async move {
            let mut all = vec![
                "--company".to_owned(),
                company,
                "--as".into(),
                "admin@demo.test".into(),
                "--json".into(),
            ];
            all.extend(args);
            let refs: Vec<&str> = all.iter().map(String::as_str).collect();
            hesabu(&refs, env(Some(DEMO_PASSWORD), None)).await
        }
    };
    let args = |a: &[&str]| a.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();

    let out = run(args(&["workflow", "list"])).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let list = out.json();
    assert_eq!(list.as_array().unwrap().len(), 5);
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|w| w["enabled"] == false)
    );

    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .join("docs/examples/workflow-invoice-sync.json");
    let out = run(args(&[
        "workflow",
        "set",
        "invoice_sync",
        "--file",
        example.to_str().unwrap(),
    ]))
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let set = out.json();
    assert_eq!(
        (set["enabled"].clone(), set["version"].clone()),
        (json!(true), json!(1))
    );
    assert_eq!(set["config"]["requireApprovalAbove"], "50000");
    assert_eq!(set["config"]["syncETRReceipt"], true);

    for (body, key) in [
        (
            json!({ "enabled": true, "config": { "maxRetrys": 3 } }),
            "maxRetrys",
        ),
        (json!({ "config": { "maxRetries": "3" } }), "maxRetries"),
        (
            json!({ "config": { "requireApprovalAbove": [1] } }),
            "requireApprovalAbove",
        ),
        (json!({ "autoSync": "yes" }), "autoSync"),
        (json!({ "enabled": true, "schedule": "daily" }), "schedule"),
    ] {
        let path = dir.path().join("bad.json");
        std::fs::write(&path, body.to_string()).unwrap();
        let out = run(args(&[
            "workflow",
            "set",
            "invoice_sync",
            "--file",
            path.to_str().unwrap(),
        ]))
        .await;
        assert_eq!(out.code, 2, "{body}: {}", out.stdout);
        let err = out.error_json();
        assert_eq!(err["error"]["kind"], "invalid_input");
        assert!(
            err["error"]["message"]
                .as_str()
                .unwrap()
                .contains(&format!("'{key}'")),
            "{err}"
        );
    }
    let path = dir.path().join("items.json");
    std::fs::write(
        &path,
        json!({ "config": { "taxCategories": ["B", "Z"] } }).to_string(),
    )
    .unwrap();
    let out = run(args(&[
        "workflow",
        "set",
        "item_sync",
        "--file",
        path.to_str().unwrap(),
    ]))
    .await;
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("taxCategories"), "{}", out.stderr);
    let out = run(args(&["workflow", "enable", "sales_thing"])).await;
    assert_eq!(out.code, 2);

    let out = run(args(&["workflow", "disable", "invoice_sync"])).await;
    assert_eq!(out.code, 0);
    assert_eq!(out.json()["version"], 2);
    assert_eq!(
        out.json()["config"]["requireApprovalAbove"],
        "50000",
        "config kept"
    );
    let out = run(args(&["workflow", "enable", "invoice_sync"])).await;
    assert_eq!(out.json()["version"], 3);

    let out = run(args(&["workflow", "executions", "--status", "finished"])).await;
    assert_eq!(out.code, 2);
    let out = run(args(&[
        "workflow",
        "executions",
        "--status",
        "failed",
        "--type",
        "invoice_sync",
    ]))
    .await;
    assert_eq!((out.code, out.json()), (0, json!([])));

    let admin = login(&d.file, "admin@demo.test").await;
    let audit = hesabu_store::audit::list(&d.file, &admin, 10)
        .await
        .unwrap();
    let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
    for want in ["workflow.set", "workflow.disable", "workflow.enable"] {
        assert!(actions.contains(&want), "{actions:?}");
    }
    let report = hesabu_store::audit::verify(&d.file, &admin).await.unwrap();
    assert!(report.first_broken.is_none());
}

#[tokio::test]
async fn run_and_retry_need_the_workflow_run_permission() {
    // Hand-written: who may run and retry (the CLI matrix cannot, with no document in the demo).
    let d = demo().await;
    for (email, allowed) in [
        ("admin@demo.test", true),
        ("cfo@demo.test", true),
        ("accountant@demo.test", true),
        ("ops.manager@demo.test", false),
        ("storekeeper@demo.test", false),
        ("auditor@demo.test", false),
    ] {
        let who = login(&d.file, email).await;
        let run = workflows::run(&d.file, &who, WorkflowType::InvoiceSync, "missing")
            .await
            .unwrap_err();
        let retry = workflows::retry(&d.file, &who, "missing")
            .await
            .unwrap_err();
        let want = if allowed {
            ErrorKind::NotFound
        } else {
            ErrorKind::PermissionDenied
        };
        assert_eq!((run.kind(), retry.kind()), (want, want), "{email}");
    }
}
