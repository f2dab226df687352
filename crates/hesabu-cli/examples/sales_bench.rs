//! Sales benchmark.
//!
//! 1. Issuing: the median cost of writing a 20-line invoice (draft) and of issuing it (number,
//!    freeze, event, audit — the whole unit of work), with BACKGROUND issued invoices already in
//!    the file, against a bare single-row insert transaction on the same file (`BareInsert`),
//!    alternated in blocks so both see the same machine.
//! 2. Listing: the first page (50) of the sales list — unfiltered, searched by customer name,
//!    and by number — with SMALL and then LARGE sales documents in the file (target: the large
//!    file costs at most 2× the small one).
//!
//! The background rows are written straight into the tables in one transaction (issuing 1M
//! invoices through the service would take hours and measure nothing new); they have the shape
//! the service writes (issued, numbered, a customer, 20 lines for part 1; headers only for part
//! 2, which reads headers only).
//!
//! `cargo run --release -p hesabu-cli --example sales_bench -- [SAMPLES] [BACKGROUND] [SMALL] [LARGE]`
//! (defaults 200, 100,000, 10,000, 1,000,000; figures go in docs/benchmarks.md). The test script
//! runs it with tiny numbers as a smoke test.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hesabu_core::approvals::sales_gate;
use hesabu_core::company::NewCompany;
use hesabu_core::sales::SalesType;
use hesabu_core::sales::customers::{self, NewCustomer};
use hesabu_core::sales::documents::{self, NewSale, NewSaleLine, SalesQuery};
use hesabu_store::auth::Session;
use hesabu_store::clock::SystemClock;
use hesabu_store::company_file::CompanyFile;
use rust_decimal::Decimal;

// Shared with the other benchmarks; this one uses only the timing helpers.
#[allow(dead_code)]
mod common;
use common::{BareInsert, median, times};

/// Customers in the file. 100, so that at 10k documents a customer search still fills the
/// first page (100 sales each): both sizes then read the same 50 rows.
const CUSTOMERS: usize = 100;

async fn company(path: &Path) -> (CompanyFile, Session) {
    hesabu_app::create_company(
        path,
        &NewCompany {
            legal_name: "Bench Ltd".into(),
            trading_name: None,
            kra_pin: "P051234567X".into(),
            branch_id: None,
            address: None,
            fiscal_year_start_month: Some(7),
            admin_email: "bench@bench.test".into(),
            admin_name: "Bench".into(),
            admin_password: "bench-password".into(),
        },
        Arc::new(SystemClock),
    )
    .await
    .unwrap()
}

/// Customers through the service (their ids are needed for the rows below).
async fn add_customers(file: &CompanyFile, admin: &Session) -> Vec<(String, String)> {
    let mut out = Vec::with_capacity(CUSTOMERS);
    for i in 0..CUSTOMERS {
        let c = customers::add(
            file,
            admin,
            &NewCustomer {
                name: format!("Customer {i:04} Traders"),
                kra_pin: Some(format!("P{:09}A", 100_000_000 + i)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        out.push((c.id, c.name));
    }
    out
}

/// Writes `count` issued invoices (numbers from `first`) straight into the tables, with
/// `lines` lines each, in one transaction.
fn seed(
    path: &Path,
    customers: &[(String, String)],
    admin_id: &str,
    first: usize,
    count: usize,
    lines: usize,
) {
    let mut conn = rusqlite::Connection::open(path).unwrap();
    conn.busy_timeout(Duration::from_secs(30)).unwrap();
    let tx = conn.transaction().unwrap();
    {
        let mut doc = tx
            .prepare(
                "INSERT INTO sales_document (id, doc_type, status, sequence_number, number, \
                 customer_id, customer_name, customer_pin, issue_date, currency, exchange_rate, \
                 price_basis, amount_paid, total_taxable, total_tax, total, total_kes, \
                 created_by, created_at, updated_at, issued_by, issued_at) VALUES \
                 (?1, 'invoice', 'issued', ?2, ?3, ?4, ?5, NULL, '2026-07-01', 'KES', '1', \
                 'exclusive', '0', '2000.00', '320.00', '2320.00', '2320.00', ?6, ?7, ?7, ?6, ?7)",
            )
            .unwrap();
        let mut line = tx
            .prepare(
                "INSERT INTO sales_line (id, document_id, position, description, quantity, \
                 unit_price, discount_kind, discount_value, tax_type, tax_rate, supply_amount, \
                 discount_amount, taxable_amount, tax_amount, total_amount) VALUES \
                 (?1, ?2, ?3, 'Background line', '1', '100', 'none', '0', 'B', '16.00', \
                 '100.00', '0.00', '100.00', '16.00', '116.00')",
            )
            .unwrap();
        for n in first..first + count {
            let id = format!("bg-{n:09}");
            let (cid, cname) = &customers[n % customers.len()];
            // Older than anything the service writes now, later for a higher number (n seconds
            // after 2025-01-01, in the canonical shape; months taken as 28 days is enough here).
            let at = format!(
                "2025-{:02}-{:02}T{:02}:{:02}:{:02}.000Z",
                1 + (n / (28 * 86_400)) % 12,
                1 + (n / 86_400) % 28,
                (n / 3_600) % 24,
                (n / 60) % 60,
                n % 60
            );
            doc.execute(rusqlite::params![
                id,
                n as i64,
                format!("INV-{n:06}"),
                cid,
                cname,
                admin_id,
                at
            ])
            .unwrap();
            for p in 1..=lines {
                line.execute(rusqlite::params![format!("{id}-{p:02}"), id, p as i64])
                    .unwrap();
            }
        }
    }
    tx.execute(
        "INSERT INTO number_sequence (name, last_number) VALUES ('invoice', ?1) \
         ON CONFLICT (name) DO UPDATE SET last_number = excluded.last_number",
        [(first + count - 1) as i64],
    )
    .unwrap();
    tx.commit().unwrap();
}

fn twenty_lines(i: usize) -> Vec<NewSaleLine> {
    (0..20)
        .map(|p| NewSaleLine {
            description: Some(format!("Line {p} of {i}")),
            quantity: Decimal::from(1 + p),
            unit_price: Some(Decimal::new(12_345 + p as i64, 2)),
            discount_percent: (p % 3 == 0).then(|| Decimal::from(5)),
            tax_type: Some(["A", "B", "C", "D", "E"][p % 5].into()),
            ..Default::default()
        })
        .collect()
}

fn invoice(customer: &str, lines: Vec<NewSaleLine>) -> NewSale {
    NewSale::new(SalesType::Invoice, Some(customer), lines)
}

async fn list_costs(file: &CompanyFile, admin: &Session, runs: usize) -> [Duration; 3] {
    let queries = [
        SalesQuery::default(),
        SalesQuery {
            search: Some("Customer 0042 Traders".into()),
            ..Default::default()
        },
        SalesQuery {
            search: Some("INV-000007".into()),
            ..Default::default()
        },
    ];
    let mut out = [Duration::ZERO; 3];
    for (k, q) in queries.iter().enumerate() {
        // Warm the cache once, then measure.
        documents::list(file, admin, q).await.unwrap();
        let mut samples = Vec::with_capacity(runs);
        for _ in 0..runs {
            let started = Instant::now();
            let page = documents::list(file, admin, q).await.unwrap();
            samples.push(started.elapsed());
            assert!(!page.is_empty());
        }
        out[k] = median(samples);
    }
    out
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let samples: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let background: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let small: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let large: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);

    // Part 1: issuing with `background` invoices in the file.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("issue.hesabu");
    let (file, admin) = company(&path).await;
    let customers = add_customers(&file, &admin).await;
    let seeded = Instant::now();
    seed(&path, &customers, admin.user_id(), 1, background, 20);
    println!(
        "seeded {background} issued invoices of 20 lines in {} s",
        seeded.elapsed().as_secs()
    );
    let bare_insert = BareInsert::open(&path, "bench_row");
    let (mut bare, mut create, mut issue) = (Vec::new(), Vec::new(), Vec::new());
    let mut i = 0;
    while i < samples {
        let end = (i + common::BLOCK).min(samples);
        for j in i..end {
            bare.push(bare_insert.timed_insert(&format!("row-{j}")));
        }
        for j in i..end {
            let customer = &customers[j % customers.len()].1;
            let started = Instant::now();
            let draft = documents::create(&file, &admin, &invoice(customer, twenty_lines(j)))
                .await
                .unwrap();
            create.push(started.elapsed());
            let started = Instant::now();
            let done = sales_gate::issue(&file, &admin, &draft.id).await.unwrap();
            issue.push(started.elapsed());
            assert!(done.number.is_some());
        }
        i = end;
    }
    let (bare, create, issue) = (median(bare), median(create), median(issue));
    println!("issuing a 20-line invoice, {background} invoices in the file, median of {samples}:");
    println!("  bare insert transaction   {:>7} µs", bare.as_micros());
    println!(
        "  write the draft           {:>7} µs  ({}x the bare insert)",
        create.as_micros(),
        times(create, bare)
    );
    println!(
        "  issue it                  {:>7} µs  ({}x the bare insert)",
        issue.as_micros(),
        times(issue, bare)
    );
    file.close().await.unwrap();

    // Part 2: the first page of the list at `small` and at `large` documents.
    let path = dir.path().join("list.hesabu");
    let (file, admin) = company(&path).await;
    let customers = add_customers(&file, &admin).await;
    seed(&path, &customers, admin.user_id(), 1, small, 0);
    let runs = 50;
    let at_small = list_costs(&file, &admin, runs).await;
    let seeded = Instant::now();
    seed(
        &path,
        &customers,
        admin.user_id(),
        small + 1,
        large - small,
        0,
    );
    println!(
        "seeded {} more documents in {} s",
        large - small,
        seeded.elapsed().as_secs()
    );
    let at_large = list_costs(&file, &admin, runs).await;
    println!("first page of the sales list, median of {runs}:");
    for (k, what) in ["newest first", "search: customer name", "search: number"]
        .iter()
        .enumerate()
    {
        println!(
            "  {what:<24} {small:>8}: {:>7} µs   {large:>8}: {:>7} µs  ({}x)",
            at_small[k].as_micros(),
            at_large[k].as_micros(),
            times(at_large[k], at_small[k])
        );
    }
    file.close().await.unwrap();
}
