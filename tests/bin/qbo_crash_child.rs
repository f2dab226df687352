//! The QuickBooks crash test's child (`tests/it/qbo_crash.rs`): opens a company file connected
//! to the test's QuickBooks sandbox, runs the outbox's crash recovery as every start-up does,
//! then drains the file's outbox through the product's own targets
//! (`hesabu_app::targets_for_file`: the QuickBooks write-back among them) until no QuickBooks
//! row is left open; then exits 0. The test kills it with SIGKILL at random moments and starts
//! it again.
//!
//! Usage: qbo-crash-child COMPANY_FILE SECRETS_FILE

use std::sync::Arc;
use std::time::Duration;

use hesabu_app::qbo::QBO_TARGET;
use hesabu_store::clock::SystemClock;
use hesabu_store::outbox::{self, Drainer, OutboxState, Targets, TokioSleeper};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(path), Some(secrets)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: qbo-crash-child COMPANY_FILE SECRETS_FILE");
        std::process::exit(2);
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let file = hesabu_app::open_company_file(path.as_ref(), Arc::new(SystemClock))
            .await
            .expect("open");
        let secrets: Arc<dyn hesabu_store::secrets::SecretStore> = Arc::from(
            hesabu_store::secrets::store_from_spec(&format!("file:{secrets}")).expect("secrets"),
        );
        let targets = hesabu_app::targets_for_file(&file, secrets, &Targets::new())
            .await
            .expect("targets");
        assert!(targets.get(QBO_TARGET).is_some(), "the file is connected");
        let drainer = Drainer::new(file.clone(), targets, Arc::new(TokioSleeper)).expect("lock");
        drainer.recover().await.expect("recover");
        let admin = admin(&file).await;
        loop {
            drainer.drain_until_idle().await.expect("drain");
            let rows: Vec<_> = outbox::list(&file, &admin, None, 10_000)
                .await
                .expect("list")
                .into_iter()
                .filter(|r| r.target == QBO_TARGET)
                .collect();
            if let Some(dead) = rows.iter().find(|r| r.state == OutboxState::Dead.as_str()) {
                eprintln!("a write-back went dead: {dead:?}");
                std::process::exit(3);
            }
            if rows.iter().all(|r| r.state == OutboxState::Done.as_str()) {
                break;
            }
            // Only rows waiting for a backoff are left; they become due on the wall clock.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
}

/// The admin of `tests/it/support.rs`'s company.
async fn admin(file: &hesabu_store::company_file::CompanyFile) -> hesabu_store::auth::Session {
    hesabu_store::auth::login(file, "admin@acme.test", "admin-pass-1")
        .await
        .expect("login")
}
