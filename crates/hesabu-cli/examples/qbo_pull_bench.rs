//! QuickBooks pull rate: an initial load of INVOICES invoices from the local QuickBooks sandbox
//! with its rate limit on, through the product (`hesabu_app::qbo::pull`) into a fresh company
//! file, as a fraction of the rate limit. The client's limiter is given the sandbox's limits.
//!
//! `cargo run --release -p hesabu-cli --example qbo_pull_bench -- [INVOICES] [PAGE_SIZE]
//! [PER_SECOND] [PER_MINUTE] [LATENCY_MS]` (defaults: 10000 invoices, 20 rows a page, Intuit's
//! 10/s and 500/min, no latency). Results are recorded in docs/benchmarks.md.
//!
//! It runs the pull twice, each time against a fresh sandbox and company file: with the
//! product's 1000-row pages (about a dozen requests for 10,000 invoices: not rate-bound), then
//! with PAGE_SIZE-row pages (a bench knob, `ClientConfig::page_size`) so that the load takes
//! hundreds of requests and the limit binds. For each it prints objects/s, the requests made,
//! the request rate achieved over the fetching (first to last request, as the sandbox saw them
//! arrive) against the binding limit, and the 429s received, which must be none.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hesabu_app::qbo::{self, ConnectMode, ConnectionSettings, PinSource, pull};
use hesabu_core::company::NewCompany;
use hesabu_qbo::{ClientConfig, MAX_RESULTS, RateLimits};
use hesabu_qbo_sandbox::{RateLimit, Sandbox, SandboxOptions, Seed};
use hesabu_store::clock::SystemClock;
use hesabu_store::secrets::{SecretStore, store_from_spec};

const REDIRECT: &str = "https://connect.example.com/qbo/callback";

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// `n / 1000` as `x.yyy` (integer arithmetic: the workspace bans floats).
fn thousandths(n: u64) -> String {
    format!("{}.{:03}", n / 1000, n % 1000)
}

/// One pull into a fresh company file from a fresh sandbox.
async fn run(invoices: usize, page_size: u32, limit: RateLimit, latency: Duration) {
    let dir = tempfile::tempdir().expect("temp dir");
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
    let (file, admin) = hesabu_app::create_company(
        &dir.path().join("bench.hesabu"),
        &new,
        Arc::new(SystemClock),
    )
    .await
    .expect("company");
    let secrets: Arc<dyn SecretStore> = Arc::from(
        store_from_spec(&format!(
            "file:{}",
            dir.path().join("secrets.json").display()
        ))
        .expect("secrets"),
    );
    let sandbox = Sandbox::start_with(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        SandboxOptions {
            seed: Seed {
                invoices,
                ..Seed::default()
            },
            rate_limit: Some(limit),
            latency,
            ..SandboxOptions::default()
        },
    )
    .await
    .expect("sandbox");

    // Connect by paste-back, as a person would (the sandbox consents at once).
    qbo::configure(
        &file,
        &admin,
        secrets.as_ref(),
        &ConnectionSettings {
            mode: ConnectMode::Paste,
            client_id: Some(sandbox.client_id()),
            broker_url: None,
            redirect_uri: REDIRECT.into(),
            base_url: Some(sandbox.base_url()),
            sandbox: true,
            cu_field: Some("1".into()),
            pin_source: PinSource::TaxId,
        },
        Some(&sandbox.client_secret()),
    )
    .await
    .expect("configure");
    let url = qbo::authorize_url(&file, &admin).await.expect("authorize");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http");
    let answer = http.get(&url).send().await.expect("consent");
    let pasted = answer.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    qbo::connect_paste(&file, &admin, secrets.clone(), &pasted)
        .await
        .expect("connect");
    let limits = RateLimits {
        per_second: limit.per_second,
        per_minute: limit.per_minute,
    };
    let q = qbo::open(&file, secrets.clone())
        .await
        .expect("open")
        .expect("connected");
    let config = ClientConfig {
        rate_limits: limits,
        page_size,
        ..q.client().config().clone()
    };
    let q = q.with_client_config(config).expect("client");

    let started = Instant::now();
    let report = pull::pull(&q, &admin, false).await.expect("pull");
    let elapsed = started.elapsed();
    let stats = sandbox.stats();
    let (span, let_in) = sandbox.api_traffic().expect("requests arrived");

    let elapsed_ms = millis(elapsed).max(1);
    let span_ms = millis(span).max(1);
    let objects_per_ks = report.objects * 1_000_000 / elapsed_ms;
    // Requests per 1000 s over the fetching: n requests make n - 1 intervals.
    let requests_per_ks = let_in.saturating_sub(1) * 1_000_000 / span_ms;
    let bound_per_ks = limits.per_kilosecond();
    let permille = requests_per_ks * 1000 / bound_per_ks.max(1);
    println!(
        "  {page_size:>4} rows a page: {} objects ({} sales issued) in {elapsed_ms} ms = {} \
         objects/s",
        report.objects,
        report.sales_issued,
        thousandths(objects_per_ks)
    );
    println!(
        "             requests {} ({} let in), fetching {span_ms} ms (first to last request), \
         the rest {} ms (applying in one unit of work)",
        stats.api_calls,
        let_in,
        elapsed_ms.saturating_sub(span_ms)
    );
    println!(
        "             {} requests/s against the binding {} /s = {}.{}% of the limit; 429s \
         received: {}",
        thousandths(requests_per_ks),
        thousandths(bound_per_ks),
        permille / 10,
        permille % 10,
        stats.rate_limited
    );
    assert_eq!(stats.rate_limited, 0, "the client was refused: {stats:?}");
    assert!(
        report.sales_issued >= u64::try_from(invoices).unwrap_or(u64::MAX),
        "every invoice pulled: {report:?}"
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |i: usize| args.get(i).and_then(|a| a.parse::<u64>().ok());
    let invoices = arg(1).map_or(10_000, |n| usize::try_from(n).unwrap_or(usize::MAX));
    let page_size = arg(2).map_or(20, |n| u32::try_from(n).unwrap_or(MAX_RESULTS));
    let limit = RateLimit {
        per_second: arg(3).map_or(RateLimit::INTUIT.per_second, |n| {
            u32::try_from(n).unwrap_or(u32::MAX)
        }),
        per_minute: arg(4).map_or(RateLimit::INTUIT.per_minute, |n| {
            u32::try_from(n).unwrap_or(u32::MAX)
        }),
    };
    let latency = Duration::from_millis(arg(5).unwrap_or(0));
    let interval = RateLimits {
        per_second: limit.per_second,
        per_minute: limit.per_minute,
    }
    .interval();
    println!(
        "QuickBooks pull bench: initial load of {invoices} invoices (plus the sandbox's seeded \
         customers, items, credit memos and sales receipts), sandbox rate limit {}/s and \
         {}/min (client limiter the same: one request per {} ms), latency {} ms",
        limit.per_second,
        limit.per_minute,
        interval.as_millis(),
        latency.as_millis()
    );
    run(invoices, MAX_RESULTS, limit, latency).await;
    if page_size != MAX_RESULTS {
        run(invoices, page_size, limit, latency).await;
    }
}
