//! The QuickBooks initial load at size, against the local sandbox with its rate limit on
//! (issue 18): 10,000 invoices pulled by `hesabu_app::qbo::pull` into a company file through a
//! client whose limiter has the sandbox's limits (Intuit's: 10 a second, 500 a minute). The
//! sandbox refuses nothing, every invoice is in the ledger, and the requests arrived no closer
//! than the limit allows. Pages of 100 rows make the load take about a hundred requests, so an
//! unpaced client would be refused (`hesabu-qbo`'s `limits` tests show the sandbox refusing
//! one); the product's pages are 1000 rows.
//!
//! `HESABU_QBO_LOAD_INVOICES` changes the number of invoices (10,000 by default).

use std::time::{Duration, Instant};

use hesabu_app::qbo::pull::{self, PullMode};
use hesabu_qbo::RateLimits;
use hesabu_qbo_sandbox::{ARRIVAL_TOLERANCE, RateLimit};
use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::qbo::fixture;

const PAGE_SIZE: u32 = 100;

fn invoices() -> usize {
    std::env::var("HESABU_QBO_LOAD_INVOICES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}

async fn count(file: &hesabu_store::company_file::CompanyFile, sql: &str) -> i64 {
    file.reader()
        .query_one_raw(Statement::from_string(DbBackend::Sqlite, sql))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap()
}

#[tokio::test]
async fn an_initial_load_of_ten_thousand_invoices_keeps_to_the_rate_limit() {
    let wanted = invoices();
    let f = fixture().await;
    let seeded = f.sandbox.ids("Invoice").len();
    assert!(wanted >= seeded, "at least the {seeded} seeded invoices");
    f.sandbox.seed_invoices(wanted - seeded);
    assert_eq!(f.sandbox.ids("Invoice").len(), wanted);
    f.sandbox.set_rate_limit(Some(RateLimit::INTUIT));
    let q = f.connect().await;
    let limits = RateLimits {
        per_second: RateLimit::INTUIT.per_second,
        per_minute: RateLimit::INTUIT.per_minute,
    };
    let config = hesabu_qbo::ClientConfig {
        rate_limits: limits,
        page_size: PAGE_SIZE,
        ..q.client().config().clone()
    };
    let q = q.with_client_config(config).unwrap();

    let started = Instant::now();
    let report = pull::pull(&q, &f.admin, false).await.unwrap();
    let elapsed = started.elapsed();
    assert_eq!(report.mode, Some(PullMode::Initial));

    let stats = f.sandbox.stats();
    assert_eq!(stats.rate_limited, 0, "no 429 received: {stats:?}");
    assert_eq!(stats.injected_faults, 0);
    // Every invoice is mirrored and issued in the ledger, once.
    let mirrored = count(
        &f.file,
        "SELECT COUNT(*) FROM qbo_object WHERE entity = 'Invoice' AND local_id IS NOT NULL",
    )
    .await;
    let issued = count(
        &f.file,
        "SELECT COUNT(*) FROM sales_document WHERE doc_type = 'invoice' AND status = 'issued' \
         AND qbo_id IS NOT NULL",
    )
    .await;
    let wanted_i64 = i64::try_from(wanted).unwrap();
    assert_eq!(mirrored, wanted_i64);
    assert_eq!(issued, wanted_i64);
    assert!(
        report.sales_issued >= u64::try_from(wanted).unwrap(),
        "{report:?}"
    );

    // The pull took the requests a 100-row page makes, paced: the arrivals are at least one
    // interval (120 ms) apart on average, less the jitter the sandbox forgives.
    let (span, let_in) = f.sandbox.api_traffic().unwrap();
    let pages = u64::try_from(wanted).unwrap() / u64::from(PAGE_SIZE);
    assert!(let_in > pages, "{let_in} requests for {pages} pages");
    let paced = limits.interval() * u32::try_from(let_in - 1).unwrap();
    assert!(
        span + ARRIVAL_TOLERANCE >= paced,
        "{let_in} requests arrived over {span:?}, faster than {paced:?}"
    );
    eprintln!(
        "qbo_load: {wanted} invoices, {let_in} requests over {} ms of fetching, pull {} ms",
        span.as_millis(),
        elapsed.as_millis()
    );
    assert!(elapsed >= span && span > Duration::ZERO);
}
