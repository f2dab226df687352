//! The demo company: every role present, every documented user can sign in.

use hesabu_app::demo::{DEMO_DEPARTMENTS, DEMO_PASSWORD, DEMO_USERS};
use hesabu_store::permissions::Role;

use crate::support;

#[tokio::test]
async fn the_demo_company_has_every_role_and_documented_logins() {
    let dir = tempfile::tempdir().unwrap();
    let path = support::demo_copy(dir.path()).await;
    let file = hesabu_app::open_company_file(&path, support::clock())
        .await
        .unwrap();
    for (email, name, role, _, _) in DEMO_USERS {
        let session = hesabu_store::auth::login(&file, email, DEMO_PASSWORD)
            .await
            .unwrap();
        assert_eq!(session.role(), role, "{email}");
        assert_eq!(session.name(), name);
        assert!(email.ends_with("@demo.test"));
    }
    for role in Role::ALL {
        assert!(
            DEMO_USERS.iter().any(|u| u.2 == role),
            "no demo user is {role}"
        );
    }
    let admin = hesabu_store::auth::login(&file, "admin@demo.test", DEMO_PASSWORD)
        .await
        .unwrap();
    let departments: Vec<String> = hesabu_core::departments::list(&file, &admin)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.name)
        .collect();
    assert_eq!(departments.len(), DEMO_DEPARTMENTS.len());
    let users = hesabu_core::users::list(&file, &admin).await.unwrap();
    let storekeeper = users
        .iter()
        .find(|u| u.email == "storekeeper@demo.test")
        .unwrap();
    assert_eq!(
        storekeeper.manager_email.as_deref(),
        Some("ops.manager@demo.test")
    );
    assert_eq!(storekeeper.department.as_deref(), Some("Operations"));
    let report = hesabu_store::audit::verify(&file, &admin).await.unwrap();
    assert!(report.ok);
}

#[tokio::test]
async fn the_desktop_demo_shows_an_invoice_queued_for_etims_and_one_held_for_tax_review() {
    let dir = tempfile::tempdir().unwrap();
    let clock: hesabu_store::clock::SharedClock =
        std::sync::Arc::new(hesabu_store::clock::SystemClock);
    let (file, admin) = hesabu_app::demo::create(&dir.path().join("demo.hesabu"), clock)
        .await
        .unwrap();
    hesabu_app::demo::add_workflow_showcase(&file)
        .await
        .unwrap();
    let executions = hesabu_core::workflows::executions(
        &file,
        &admin,
        &hesabu_core::workflows::ExecutionFilter::default(),
    )
    .await
    .unwrap();
    assert!(
        executions.iter().any(|e| e
            .error_message
            .as_deref()
            .is_some_and(|m| m.contains("tax review"))),
        "{executions:?}"
    );
    // The log names the invoices by number, not by id.
    assert!(
        executions.iter().all(|e| e
            .entity_label
            .as_deref()
            .is_some_and(|l| l.starts_with("SI-"))),
        "{executions:?}"
    );
    let status = hesabu_store::outbox::status(&file, &admin, None)
        .await
        .unwrap();
    let ready: i64 = status
        .depth
        .iter()
        .filter(|d| d.target == "etims" && d.state == "ready")
        .map(|d| d.count)
        .sum();
    assert_eq!(ready, 1, "one invoice waits for e-TIMS");
    assert_eq!(
        hesabu_core::rules::service::list(&file, &admin)
            .await
            .unwrap()
            .len(),
        4
    );
}
