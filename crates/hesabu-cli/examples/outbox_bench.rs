//! Outbox throughput against the loopback fake target with injected latency, for a serial
//! target (one send at a time), as a fraction of the 1/latency bound.
//!
//! `cargo run --release -p hesabu-cli --example outbox_bench [ITEMS] [LATENCY_MS] [ordered|unordered]`
//! (defaults: 200 items, 50 ms, ordered). Results are recorded in docs/benchmarks.md.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hesabu_core::company::NewCompany;
use hesabu_store::audit::AuditDraft;
use hesabu_store::clock::SystemClock;
use hesabu_store::outbox::testing::{LoopbackServer, LoopbackTarget};
use hesabu_store::outbox::{Drainer, NewOutboxItem, TargetConfig, Targets, TokioSleeper};
use serde_json::json;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let items: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(200);
    let latency_ms: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(50);
    // "ordered": one ordering key (e-TIMS: one device, FIFO); "unordered": no key. Serial either way.
    let ordered = args.get(3).is_none_or(|a| a != "unordered");

    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bench.hesabu");
    let new = NewCompany {
        legal_name: "Bench Ltd".into(),
        trading_name: None,
        kra_pin: "P051234567X".into(),
        branch_id: None,
        address: None,
        fiscal_year_start_month: None,
        admin_email: "admin@bench.test".into(),
        admin_name: "Bench".into(),
        admin_password: "bench-password".into(),
    };
    let (file, session) = hesabu_app::create_company(&path, &new, Arc::new(SystemClock))
        .await
        .expect("company");
    for i in 0..items {
        let mut uow = file.begin(&session).await.expect("begin");
        uow.enqueue(NewOutboxItem {
            target: "fake".into(),
            operation: "invoice.create".into(),
            payload: json!({ "n": i, "total": "116.00" }),
            idempotency_key: format!("bench-{i}"),
            ordering_key: ordered.then(|| "device-1".to_owned()),
            auto_retry: true,
        })
        .await
        .expect("enqueue");
        uow.audit(AuditDraft {
            action: "bench.enqueue",
            entity_type: "bench",
            entity_id: i.to_string(),
            before: None,
            after: None,
        })
        .await
        .expect("audit");
        uow.commit().await.expect("commit");
    }

    let server = LoopbackServer::start().await.expect("server");
    server.set_latency(Duration::from_millis(latency_ms));
    let config = TargetConfig {
        max_in_flight: 1,
        ..TargetConfig::default()
    };
    let targets = Targets::new().with(Arc::new(LoopbackTarget::new("fake", server.addr(), config)));
    let drainer = Drainer::new(file.clone(), targets, Arc::new(TokioSleeper)).expect("lock");

    let started = Instant::now();
    let summary = drainer.drain_until_idle().await.expect("drain");
    let elapsed = started.elapsed();
    assert_eq!(u64::from(summary.done), items, "every item done");
    assert_eq!(server.max_concurrent_sends(), 1, "serial");

    // Integer arithmetic only (the workspace bans floats): items per 1000 s, and permille of
    // the bound 1000 / latency_ms items per second.
    let elapsed_ms = u64::try_from(elapsed.as_millis())
        .unwrap_or(u64::MAX)
        .max(1);
    let per_ks = items * 1_000_000 / elapsed_ms;
    let bound_per_ks = 1_000_000 / latency_ms.max(1);
    let permille = per_ks * 1000 / bound_per_ks;
    let overhead_us = (u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX) / items)
        .saturating_sub(latency_ms * 1000);
    let shape = if ordered {
        "one ordering key"
    } else {
        "no ordering key"
    };
    println!(
        "outbox bench: {items} items, serial target ({shape}, max_in_flight 1), {latency_ms} ms \
         latency"
    );
    println!("  elapsed      {elapsed_ms} ms");
    println!(
        "  throughput   {}.{:03} items/s (bound {}.{:03} items/s)",
        per_ks / 1000,
        per_ks % 1000,
        bound_per_ks / 1000,
        bound_per_ks % 1000
    );
    println!(
        "  fraction     {}.{}% of the 1/latency bound",
        permille / 10,
        permille % 10
    );
    println!(
        "  overhead     {overhead_us} µs per item above the latency (bookkeeping transactions, TCP, wake-ups)"
    );
}
