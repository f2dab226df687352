//! Budget benchmark: the median cost of one reservation (a full unit of work: write lock,
//! balance read, ledger entry, balance update, reservation row, audit entry) against two
//! baselines on the same company file — a bare single-row insert transaction (raw sqlx: BEGIN,
//! INSERT, COMMIT) and the smallest possible unit of work (write lock, one INSERT, the audit entry
//! every business write must have, COMMIT) — and the import throughput of a 100k-row CSV.
//!
//! `cargo run --release -p hesabu-cli --example budget_bench -- [SAMPLES] [IMPORT_ROWS]`
//! (defaults 1,000 and 100,000; figures go in docs/benchmarks.md). The test script runs it with
//! tiny numbers as a smoke test so a change cannot silently break it.

use std::sync::Arc;
use std::time::Instant;

use hesabu_core::budgets::{self, Enforcement, NewBudget, ReserveInput, import};
use hesabu_core::company::NewCompany;
use hesabu_store::clock::SystemClock;
use hesabu_store::money::Currency;
use rust_decimal::Decimal;

mod common;
use common::{BareInsert, median, timed_audited_insert};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let samples: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1_000);
    let import_rows: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.hesabu");
    let (file, admin) = hesabu_app::create_company(
        &path,
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
    .unwrap();
    for name in ["Operations", "Sales"] {
        hesabu_core::departments::add(&file, &admin, name)
            .await
            .unwrap();
    }
    let budget = budgets::create(
        &file,
        &admin,
        &NewBudget {
            department: "Operations".into(),
            period: "FY2026".into(),
            amount: Decimal::from(1_000_000_000),
            currency: Currency::kes(),
            enforcement: Enforcement::HardBlock,
            auto_approve_threshold: None,
            category: None,
            project: None,
        },
    )
    .await
    .unwrap();

    // The baseline: a bare single-row insert transaction on the same file (see `BareInsert`).
    let bare_insert = BareInsert::open(&path, "bench_row");
    // Alternating in blocks (see `common::BLOCK`): the three see the same machine load and the
    // same file size, and each is measured as it runs in steady state.
    let mut bare = Vec::with_capacity(samples);
    let mut minimal = Vec::with_capacity(samples);
    let mut reserve = Vec::with_capacity(samples);
    let (mut statements, mut in_statements, mut commits) = (Vec::new(), Vec::new(), Vec::new());
    let mut i = 0;
    while i < samples {
        let end = (i + common::BLOCK).min(samples);
        for j in i..end {
            bare.push(bare_insert.timed_insert(&format!("row-{j}")));
        }
        for j in i..end {
            minimal
                .push(timed_audited_insert(&file, &admin, "bench_row", format!("uow-{j}")).await);
        }
        for j in i..end {
            let input = ReserveInput {
                budget_id: budget.id.clone(),
                request_id: format!("PR-{j}"),
                amount: Decimal::ONE,
                reason: None,
            };
            let started = Instant::now();
            budgets::reserve(&file, &admin, &input).await.unwrap();
            reserve.push(started.elapsed());
            let timing = file.last_write_timing().expect("the reservation committed");
            statements.push(timing.statements);
            in_statements.push(timing.in_statements);
            commits.push(timing.commit);
        }
        i = end;
    }
    let (bare, minimal, reserve) = (median(bare), median(minimal), median(reserve));
    statements.sort_unstable();
    println!(
        "company file writer: synchronous={}, bare insert connection: synchronous={} (2 = FULL)",
        file.pragma("synchronous", true).await.unwrap(),
        bare_insert.synchronous()
    );
    println!(
        "bare single-row insert transaction (rusqlite inline): median {} µs",
        bare.as_micros()
    );
    println!(
        "minimal unit of work (one insert + audit entry): median {} µs",
        minimal.as_micros()
    );
    println!(
        "budget reservation (unit of work): median {} µs = {}x the bare insert, {}x the minimal \
         unit of work (target <= 2x)",
        reserve.as_micros(),
        common::times(reserve, bare),
        common::times(reserve, minimal)
    );
    println!(
        "  of which: {} statements taking {} µs in SQLite (median), the COMMIT {} µs (median), \
         the rest in Hesabu's code",
        statements[statements.len() / 2],
        median(in_statements).as_micros(),
        median(commits).as_micros()
    );

    let pages = common::pages_dirtied_by(&path, async {
        let input = ReserveInput {
            budget_id: budget.id.clone(),
            request_id: "PR-inspected".into(),
            amount: Decimal::ONE,
            reason: None,
        };
        budgets::reserve(&file, &admin, &input).await.unwrap();
    })
    .await;
    common::print_pages("one reservation", &pages);
    let pages = common::pages_dirtied_by(&path, async {
        bare_insert.timed_insert("inspected-row");
    })
    .await;
    common::print_pages("one bare insert", &pages);

    let csv = dir.path().join("budgets-100k.csv");
    let mut text = String::with_capacity(import_rows * 64);
    text.push_str(
        "department,period,amount,currency,enforcement,auto_approve_threshold,category,project\n",
    );
    for i in 0..import_rows {
        let m = i % 600;
        let category = i / 600;
        text.push_str(&format!(
            "{},{}-{:02},{}.50,KES,HARD_BLOCK,1000,C{category},\n",
            ["Operations", "Sales"][category % 2],
            2000 + m / 12,
            m % 12 + 1,
            1_000 + i
        ));
    }
    std::fs::write(&csv, text).unwrap();
    for label in ["first import (100k creates)", "re-import (100k unchanged)"] {
        let started = Instant::now();
        let run = import::import_file(&file, &admin, &csv, import::ImportOptions::default())
            .await
            .unwrap();
        let took = started.elapsed();
        assert_eq!(run.status, "ok", "{:?}", run.errors.first());
        let per_second = u128::try_from(import_rows).unwrap_or(0) * 1_000 / took.as_millis().max(1);
        println!(
            "{label}: {} ms, {per_second} rows/s (created {}, unchanged {})",
            took.as_millis(),
            run.created,
            run.unchanged
        );
    }
    file.close().await.unwrap();
}
