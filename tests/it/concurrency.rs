//! Concurrent writers: two handles on one file (as two windows, or the app and the CLI) writing
//! at once must all succeed, in some order, with an unbroken audit chain.

use std::sync::Arc;

use tokio::sync::Barrier;

use crate::support::{self, ADMIN_EMAIL, ADMIN_PASSWORD, company};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_writers_on_two_handles_all_land_and_the_chain_holds() {
    let (_dir, first, admin) = company().await;
    let second = hesabu_app::open_company_file(first.path(), support::clock())
        .await
        .unwrap();
    let second_admin = hesabu_store::auth::login(&second, ADMIN_EMAIL, ADMIN_PASSWORD)
        .await
        .unwrap();
    let barrier = Arc::new(Barrier::new(20));
    let mut tasks = Vec::new();
    for i in 0..20 {
        let (file, session) = if i % 2 == 0 {
            (first.clone(), admin.clone())
        } else {
            (second.clone(), second_admin.clone())
        };
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            hesabu_core::departments::add(&file, &session, &format!("Dept {i:02}")).await
        }));
    }
    for task in tasks {
        task.await.unwrap().expect("every concurrent write lands");
    }
    let report = hesabu_store::audit::verify(&first, &admin).await.unwrap();
    assert!(report.ok, "{:?}", report.first_broken);
    assert_eq!(report.entries_checked, 2 + 20);
    assert_eq!(
        hesabu_core::departments::list(&first, &admin)
            .await
            .unwrap()
            .len(),
        20
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_duplicate_names_yield_exactly_one_department() {
    let (_dir, file, admin) = company().await;
    let barrier = Arc::new(Barrier::new(8));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (file, admin, barrier) = (file.clone(), admin.clone(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            hesabu_core::departments::add(&file, &admin, "Procurement").await
        }));
    }
    let mut ok = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => ok += 1,
            Err(e) => assert_eq!(e.kind(), hesabu_store::ErrorKind::Conflict, "{e}"),
        }
    }
    assert_eq!(
        ok, 1,
        "the check-then-insert runs under the write lock, so only one wins"
    );
}
