//! The crash test's child (`tests/it/outbox.rs`): opens a company file, recovers, and drains its
//! outbox against the loopback fake target at ADDR until every row is done, then exits 0. The
//! test kills it with SIGKILL at random moments and starts it again.
//!
//! Usage: outbox-crash-child COMPANY_FILE ADDR

use std::sync::Arc;
use std::time::Duration;

use hesabu_store::clock::SystemClock;
use hesabu_store::outbox::testing::LoopbackTarget;
use hesabu_store::outbox::{self, Drainer, TargetConfig, Targets, TokioSleeper};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(path), Some(addr)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: outbox-crash-child COMPANY_FILE ADDR");
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
        let config = TargetConfig {
            max_in_flight: 4,
            backoff_base: Duration::from_millis(5),
            backoff_cap: Duration::from_millis(20),
            max_retries: 1000,
            ..TargetConfig::default()
        };
        let target = LoopbackTarget::new("fake", addr.parse().expect("addr"), config);
        let targets = Targets::new().with(Arc::new(target));
        let drainer = Drainer::new(file.clone(), targets, Arc::new(TokioSleeper)).expect("lock");
        drainer.recover().await.expect("recover");
        loop {
            drainer.drain_until_idle().await.expect("drain");
            let counts = outbox::counts(&file).await.expect("counts");
            let open: i64 = counts
                .iter()
                .filter(|(s, _)| s.as_str() != outbox::OutboxState::Done.as_str())
                .map(|(_, n)| n)
                .sum();
            if open == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    });
}
