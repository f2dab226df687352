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
async fn the_desktop_demo_has_a_sales_ledger_whose_issued_invoices_wait_for_etims() {
    let dir = tempfile::tempdir().unwrap();
    let clock: hesabu_store::clock::SharedClock =
        std::sync::Arc::new(hesabu_store::clock::SystemClock);
    let (file, admin) = hesabu_app::demo::create(&dir.path().join("demo.hesabu"), clock)
        .await
        .unwrap();
    hesabu_app::demo::add_workflow_showcase(&file)
        .await
        .unwrap();
    use hesabu_core::sales::documents::{self as sales, SalesQuery};
    use hesabu_core::sales::{SalesStatus, SalesType};
    let all = sales::list(&file, &admin, &SalesQuery::default())
        .await
        .unwrap();
    let count = |t: SalesType, s: SalesStatus| {
        all.iter()
            .filter(|x| x.doc_type == t && x.status == s)
            .count()
    };
    assert_eq!(count(SalesType::Invoice, SalesStatus::Issued), 3, "{all:?}");
    assert_eq!(
        count(SalesType::CreditNote, SalesStatus::Issued),
        1,
        "{all:?}"
    );
    assert_eq!(
        count(SalesType::CashSale, SalesStatus::Issued),
        1,
        "{all:?}"
    );
    assert_eq!(count(SalesType::Invoice, SalesStatus::Draft), 1, "{all:?}");
    // Numbers without gaps, per type.
    let mut invoices: Vec<String> = all
        .iter()
        .filter(|x| x.doc_type == SalesType::Invoice)
        .filter_map(|x| x.number.clone())
        .collect();
    invoices.sort();
    assert_eq!(invoices, ["INV-000001", "INV-000002", "INV-000003"]);
    // The dollar invoice is reported in KES.
    let usd = all.iter().find(|x| x.currency == "USD").unwrap();
    assert_eq!(usd.total, "1200.00");
    assert_eq!(usd.total_kes, "155400.00");
    // Customers with and without PINs; items in every band.
    let customers = hesabu_core::sales::customers::list(&file, &admin, &Default::default())
        .await
        .unwrap();
    assert!(customers.iter().any(|c| c.kra_pin.is_none()));
    assert!(customers.iter().filter(|c| c.kra_pin.is_some()).count() >= 3);
    let items = hesabu_core::sales::items::list(&file, &admin, &Default::default())
        .await
        .unwrap();
    for band in ["A", "B", "C", "D", "E"] {
        assert!(
            items.iter().any(|i| i.tax_type.as_str() == band),
            "band {band}"
        );
    }
    let executions = hesabu_core::workflows::executions(
        &file,
        &admin,
        &hesabu_core::workflows::ExecutionFilter::default(),
    )
    .await
    .unwrap();
    // The log names sales, customers and items by number or code, never by id.
    assert!(
        executions.iter().all(|e| e
            .entity_label
            .as_deref()
            .is_some_and(|l| !l.contains(&e.entity_id))),
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
    assert_eq!(ready, 3, "the three issued invoices wait for e-TIMS");
    assert_eq!(
        hesabu_core::rules::service::list(&file, &admin)
            .await
            .unwrap()
            .len(),
        4
    );
    let report = hesabu_store::audit::verify(&file, &admin).await.unwrap();
    assert!(report.ok);
}
