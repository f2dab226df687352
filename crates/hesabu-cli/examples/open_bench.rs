//! Open benchmark: what the integrity check costs when a company file opens.
//!
//! Every `CompanyFile::open` first examines the file read-only (`company_file::examine`): the
//! header, the application id, the company row, and `PRAGMA quick_check`, which reads every page.
//! A restore runs the full `PRAGMA integrity_check` on the backup. This prints, for the demo
//! company grown by a budget import of IMPORT_ROWS rows (each a budget, its balance row and its
//! ledger entry), the file's size and the median of SAMPLES runs of: the quick check, the full
//! check, and a whole open (check, migrations, connections) and close.
//!
//! `cargo run --release -p hesabu-cli --example open_bench -- [SAMPLES] [IMPORT_ROWS] [IMPORTS]`
//! (defaults 9, 100,000 and 1: IMPORTS imports of IMPORT_ROWS new budgets each, to grow the file
//! further). The figures go in docs/benchmarks.md. The OS has the file in its cache (it was just
//! written); a first open after a reboot also pays for reading the file from disk.

use std::time::{Duration, Instant};

use hesabu_core::budgets::import;
use hesabu_store::clock::{SharedClock, SystemClock};
use hesabu_store::company_file::{self, CompanyFile, Thoroughness};

// Shared with the other benchmarks; this one uses only the median.
#[allow(dead_code)]
mod common;
use common::median;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let samples: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(9);
    let import_rows: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let imports: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let clock: SharedClock = std::sync::Arc::new(SystemClock);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.hesabu");

    let started = Instant::now();
    let (file, admin) = hesabu_app::demo::create(&path, clock.clone())
        .await
        .unwrap();
    for round in 0..imports {
        let csv = dir.path().join(format!("budgets-{round}.csv"));
        std::fs::write(&csv, budget_csv(import_rows, round)).unwrap();
        let run = import::import_file(&file, &admin, &csv, import::ImportOptions::default())
            .await
            .unwrap();
        assert_eq!(run.status, "ok", "{:?}", run.errors.first());
        assert_eq!(usize::try_from(run.created).ok(), Some(import_rows));
    }
    file.close().await.unwrap();
    let (bytes, pages) = size(&path);
    println!(
        "demo + {imports} × {import_rows}-row budget import: {} MiB, {pages} pages (built in {} s)",
        bytes / (1024 * 1024),
        started.elapsed().as_secs()
    );

    let quick = time(samples, || async {
        company_file::examine(&path, Thoroughness::Quick)
            .await
            .unwrap()
            .unwrap();
    })
    .await;
    let full = time(samples, || async {
        company_file::examine(&path, Thoroughness::Full)
            .await
            .unwrap()
            .unwrap();
    })
    .await;
    let open = time(samples, || async {
        CompanyFile::open(&path, clock.clone())
            .await
            .unwrap()
            .close()
            .await
            .unwrap();
    })
    .await;
    println!(
        "examine, quick_check (every open):      {:>6} ms",
        ms(quick)
    );
    println!(
        "examine, integrity_check (every restore): {:>4} ms",
        ms(full)
    );
    println!("open + close, quick_check included:     {:>6} ms", ms(open));
    let per_mib = quick.as_micros() * 1024 * 1024 / u128::from(bytes.max(1));
    println!("quick_check per MiB of file:            {per_mib:>6} µs");
}

/// IMPORT_ROWS budgets no other round has: periods over 50 years of months, a category per 600.
fn budget_csv(rows: usize, round: usize) -> String {
    let mut text = String::with_capacity(rows * 64);
    text.push_str(
        "department,period,amount,currency,enforcement,auto_approve_threshold,category,project\n",
    );
    for i in 0..rows {
        let m = i % 600;
        let category = i / 600;
        text.push_str(&format!(
            "{},{}-{:02},{}.50,KES,HARD_BLOCK,1000,R{round}C{category},\n",
            hesabu_app::demo::DEMO_DEPARTMENTS[category % 5],
            2000 + m / 12,
            m % 12 + 1,
            1_000 + i
        ));
    }
    text
}

async fn time<F, Fut>(samples: usize, mut run: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    // One warm-up, so every sample sees the same (warm) OS cache.
    run().await;
    let mut times = Vec::with_capacity(samples.max(1));
    for _ in 0..samples.max(1) {
        let started = Instant::now();
        run().await;
        times.push(started.elapsed());
    }
    median(times)
}

fn ms(d: Duration) -> String {
    format!("{}.{}", d.as_millis(), (d.as_micros() % 1_000) / 100)
}

fn size(path: &std::path::Path) -> (u64, i64) {
    let bytes = std::fs::metadata(path).unwrap().len();
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let pages = conn
        .query_row("PRAGMA page_count", [], |row| row.get(0))
        .unwrap();
    (bytes, pages)
}
