//! The document register (issue 15): every document, approval and sales alike, for the roles
//! that may view every document; nobody else.

use hesabu_app::demo::{self, DEMO_PASSWORD};
use hesabu_core::approvals::documents;
use hesabu_core::approvals::register::{self, RegisterQuery, RegisterSource, RegisterStage};
use hesabu_core::approvals::wire::{DocumentType, NewDocument};
use hesabu_store::Error;
use hesabu_store::auth::login;
use rust_decimal::Decimal;

async fn demo_with_a_purchase_order() -> (tempfile::TempDir, hesabu_store::company_file::CompanyFile)
{
    let dir = tempfile::tempdir().unwrap();
    let clock: hesabu_store::clock::SharedClock =
        std::sync::Arc::new(hesabu_store::clock::SystemClock);
    let (file, _admin) = demo::create(&dir.path().join("demo.hesabu"), clock)
        .await
        .unwrap();
    demo::add_workflow_showcase(&file).await.unwrap();
    let storekeeper = login(&file, "storekeeper@demo.test", DEMO_PASSWORD)
        .await
        .unwrap();
    documents::create(
        &file,
        &storekeeper,
        &NewDocument {
            doc_type: DocumentType::PurchaseOrder,
            title: "Forklift tyres".into(),
            amount: Decimal::from(48_000),
            currency: None,
            department: None,
            category: None,
            project: None,
            facts: None,
            lines: Vec::new(),
        },
    )
    .await
    .unwrap();
    (dir, file)
}

#[tokio::test]
async fn the_auditor_sees_every_document_once_and_the_employee_is_sent_to_approvals() {
    let (_dir, file) = demo_with_a_purchase_order().await;
    let auditor = login(&file, "auditor@demo.test", DEMO_PASSWORD)
        .await
        .unwrap();
    let all = register::list(&file, &auditor, &RegisterQuery::default())
        .await
        .unwrap();
    let numbers: Vec<_> = all.rows.iter().filter_map(|r| r.number.clone()).collect();
    for n in [
        "INV-000001",
        "INV-000002",
        "INV-000003",
        "CN-000001",
        "CS-000001",
    ] {
        assert!(numbers.contains(&n.to_owned()), "{n} in {numbers:?}");
    }
    let po = all
        .rows
        .iter()
        .find(|r| r.title == "Forklift tyres")
        .expect("the purchase order");
    assert_eq!(po.source, RegisterSource::Approval);
    assert_eq!(po.kind_label, "Purchase order");
    assert_eq!(po.raised_by, "Brian Otieno");
    assert_eq!(po.department.as_deref(), Some("Operations"));
    assert_eq!(po.stage, RegisterStage::Draft);
    // Each document once, newest first.
    let mut ids: Vec<_> = all.rows.iter().map(|r| r.id.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), all.rows.len());
    assert!(
        all.rows
            .windows(2)
            .all(|w| w[0].created_at >= w[1].created_at)
    );
    assert!(!all.more);

    // Filters.
    let credit = register::list(
        &file,
        &auditor,
        &RegisterQuery {
            kind: Some("credit_note".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(credit.rows.len(), 1);
    assert_eq!(credit.rows[0].kind_label, "Credit note");
    let ops = register::list(
        &file,
        &auditor,
        &RegisterQuery {
            department: Some("operations".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(ops.rows.len(), 1, "{:?}", ops.rows);
    let drafts = register::list(
        &file,
        &auditor,
        &RegisterQuery {
            stage: Some(RegisterStage::Draft),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(drafts.rows.iter().all(|r| r.stage == RegisterStage::Draft));
    assert_eq!(drafts.rows.len(), 2, "the demo's draft sale and the PO");
    let found = register::list(
        &file,
        &auditor,
        &RegisterQuery {
            search: Some("000002".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(found.rows.len(), 1);
    assert_eq!(found.rows[0].number.as_deref(), Some("INV-000002"));
    let page = register::list(
        &file,
        &auditor,
        &RegisterQuery {
            limit: Some(2),
            offset: Some(1),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(page.rows, all.rows[1..3].to_vec());
    assert!(page.more);

    // Bad input says what to fix.
    for (query, says) in [
        (
            RegisterQuery {
                from: Some("2/12/2026".into()),
                ..Default::default()
            },
            "yyyy-mm-dd",
        ),
        (
            RegisterQuery {
                kind: Some("receipt".into()),
                ..Default::default()
            },
            "not a kind of document",
        ),
        (
            RegisterQuery {
                department: Some("Marketing".into()),
                ..Default::default()
            },
            "no department called 'Marketing'",
        ),
    ] {
        let err = register::list(&file, &auditor, &query).await.unwrap_err();
        assert!(
            matches!(&err, Error::InvalidInput(m) if m.contains(says)),
            "{err}"
        );
    }

    // An employee may not read the register, and is told where their own documents are.
    let employee = login(&file, "storekeeper@demo.test", DEMO_PASSWORD)
        .await
        .unwrap();
    let err = register::list(&file, &employee, &RegisterQuery::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::PermissionDenied(m) if m.contains("Approvals page")),
        "{err}"
    );
}

/// A document reserves against its department's budget, so a role scoped to its own
/// departments may raise documents only for them (issue 14's scoping, through documents).
#[tokio::test]
async fn a_scoped_role_raises_documents_only_for_its_own_departments() {
    let (_dir, file) = demo_with_a_purchase_order().await;
    let raise = |department: &'static str| NewDocument {
        doc_type: DocumentType::PurchaseOrder,
        title: "Shelving".into(),
        amount: Decimal::from(9_000),
        currency: None,
        department: Some(department.into()),
        category: None,
        project: None,
        facts: None,
        lines: Vec::new(),
    };
    let storekeeper = login(&file, "storekeeper@demo.test", DEMO_PASSWORD)
        .await
        .unwrap();
    let before = hesabu_store::audit::verify_chain(&file).await.unwrap();
    let err = documents::create(&file, &storekeeper, &raise("Sales"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::PermissionDenied(m) if m.contains("own department") && !m.contains("Sales")),
        "{err}"
    );
    let after = hesabu_store::audit::verify_chain(&file).await.unwrap();
    assert_eq!(
        before.entries_checked, after.entries_checked,
        "nothing written"
    );
    documents::create(&file, &storekeeper, &raise("Operations"))
        .await
        .unwrap();
    let accountant = login(&file, "accountant@demo.test", DEMO_PASSWORD)
        .await
        .unwrap();
    documents::create(&file, &accountant, &raise("Sales"))
        .await
        .unwrap();
}
