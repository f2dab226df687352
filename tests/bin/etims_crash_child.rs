//! The e-TIMS crash test's child (`tests/it/etims_crash.rs`): opens a company file whose device
//! is set up against the test's sandbox, runs the app's crash recovery, then issues sales
//! (invoices and cash sales, alternately) and drains them to KRA through the product's own
//! outbox target (`hesabu_app::etims::targets_for_file`) until TOTAL sales are issued and every
//! one is signed; then exits 0. The test kills it with SIGKILL at random moments and starts it
//! again.
//!
//! Usage: etims-crash-child COMPANY_FILE SECRETS_FILE TOTAL

use std::sync::Arc;
use std::time::Duration;

use hesabu_app::etims::{Timeouts, targets_for_file};
use hesabu_core::approvals::sales_gate;
use hesabu_core::sales::SalesType;
use hesabu_core::sales::documents::{self, NewSale, NewSaleLine};
use hesabu_core::sales::tax::PriceBasis;
use hesabu_store::clock::SystemClock;
use hesabu_store::outbox::{self, Drainer, OutboxState, Targets, TokioSleeper};
use rust_decimal::Decimal;

/// The admin of `tests/it/support.rs`'s company.
const EMAIL: &str = "admin@acme.test";
const PASSWORD: &str = "admin-pass-1";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(path), Some(secrets), Some(total)) = (args.get(1), args.get(2), args.get(3)) else {
        eprintln!("usage: etims-crash-child COMPANY_FILE SECRETS_FILE TOTAL");
        std::process::exit(2);
    };
    let total: i64 = total.parse().expect("TOTAL is a number");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let file = hesabu_app::open_company_file(path.as_ref(), Arc::new(SystemClock))
            .await
            .expect("open");
        let admin = hesabu_store::auth::login(&file, EMAIL, PASSWORD)
            .await
            .expect("login");
        let secrets =
            hesabu_store::secrets::store_from_spec(&format!("file:{secrets}")).expect("secrets");
        let targets = targets_for_file(
            &file,
            secrets.as_ref(),
            &Targets::new(),
            Timeouts::all(Duration::from_secs(5)),
        )
        .await
        .expect("targets");
        let drainer = Drainer::new(file.clone(), targets, Arc::new(TokioSleeper)).expect("lock");
        // Crash recovery, as at every start-up: rows a killed process left in flight are put
        // back, to be checked with KRA before anything is resent.
        drainer.recover().await.expect("recover");
        loop {
            // Every issued sale queued exactly one outbox row in its own unit of work, so the
            // rows count the sales issued by all the runs before this one.
            let counts = outbox::counts(&file).await.expect("counts");
            let issued: i64 = counts.values().sum();
            if issued < total {
                issue(&file, &admin, issued).await;
            }
            drainer.drain_until_idle().await.expect("drain");
            let open: i64 = outbox::counts(&file)
                .await
                .expect("counts")
                .iter()
                .filter(|(s, _)| s.as_str() != OutboxState::Done.as_str())
                .map(|(_, n)| n)
                .sum();
            if issued >= total && open == 0 {
                break;
            }
            if issued >= total {
                // Only rows waiting for a backoff are left; they become due on the wall clock.
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    });
}

/// Issues the `n`-th sale: an invoice to the registered customer, or a walk-in cash sale.
async fn issue(
    file: &hesabu_store::company_file::CompanyFile,
    admin: &hesabu_store::auth::Session,
    n: i64,
) {
    let line = NewSaleLine {
        item: Some("FOC".into()),
        quantity: Decimal::from(1 + n % 4),
        ..Default::default()
    };
    let new = if n % 2 == 0 {
        NewSale::new(SalesType::Invoice, Some("Ralph Jr"), vec![line])
    } else {
        NewSale {
            walk_in_name: Some(format!("Walk-in {n}")),
            ..NewSale::new(SalesType::CashSale, None, vec![line])
        }
    };
    let new = NewSale {
        price_basis: Some(PriceBasis::Exclusive),
        ..new
    };
    let draft = documents::create(file, admin, &new).await.expect("create");
    sales_gate::issue(file, admin, &draft.id)
        .await
        .expect("issue");
}
