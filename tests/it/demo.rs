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
    assert_eq!(
        ready, 3,
        "the two KES invoices and the credit note wait for e-TIMS (the dollar invoice is held \
         for tax review)"
    );
    assert_eq!(
        hesabu_core::rules::service::list(&file, &admin)
            .await
            .unwrap()
            .len(),
        5
    );
    let report = hesabu_store::audit::verify(&file, &admin).await.unwrap();
    assert!(report.ok);
}

/// The demo as the desktop makes it on first run: the showcase, then its e-TIMS queue signed by
/// the app's own local sandbox (a test double of KRA). Returns the file, the running sandbox and
/// how long signing took.
async fn signed_demo(
    dir: &std::path::Path,
) -> (
    hesabu_store::company_file::CompanyFile,
    hesabu_app::etims::demo_sandbox::DemoSandbox,
    hesabu_store::outbox::DrainSummary,
) {
    let clock: hesabu_store::clock::SharedClock =
        std::sync::Arc::new(hesabu_store::clock::SystemClock);
    let started = std::time::Instant::now();
    let (file, _admin) = hesabu_app::demo::create(&dir.join("demo.hesabu"), clock)
        .await
        .unwrap();
    hesabu_app::demo::add_workflow_showcase(&file)
        .await
        .unwrap();
    let seeded = started.elapsed();
    let (sandbox, summary) = hesabu_app::demo::sign_with_local_sandbox(&file)
        .await
        .unwrap();
    let signing = started.elapsed() - seeded;
    eprintln!("demo: seeded in {seeded:?}, signed through the local sandbox in {signing:?}");
    // Loopback only: the signing step is a handful of local calls, never a wait on a network.
    assert!(
        signing < std::time::Duration::from_secs(10),
        "signing the demo took {signing:?}"
    );
    (file, sandbox, summary)
}

/// The demo's signed submissions: (sale number, receipt type, invcNo, curRcptNo, totRcptNo).
async fn signed_submissions(
    file: &hesabu_store::company_file::CompanyFile,
    admin: &hesabu_store::auth::Session,
) -> Vec<(String, String, i64, i64, i64)> {
    use hesabu_core::sales::documents::{self as sales, SalesQuery};
    use hesabu_core::sales::fiscal::{self, FiscalState};
    let mut out = Vec::new();
    for sale in sales::list(file, admin, &SalesQuery::default())
        .await
        .unwrap()
    {
        let Some(s) = fiscal::submission(file.reader(), &sale.id).await.unwrap() else {
            continue;
        };
        assert_eq!(s.state, FiscalState::Signed, "{s:?}");
        // What KRA (here its test double) signed is stored with the submission.
        assert!(
            s.rcpt_sign.as_deref().is_some_and(|x| x.len() == 16),
            "{s:?}"
        );
        assert!(
            s.intrl_data.as_deref().is_some_and(|x| x.len() == 26),
            "{s:?}"
        );
        assert!(s.sdc_date_time.is_some() && s.sdc_id.is_some() && s.mrc_no.is_some());
        assert!(s.response_json.is_some());
        out.push((
            sale.number.clone().unwrap(),
            s.rcpt_ty_cd.clone(),
            s.invc_no.unwrap(),
            s.cur_rcpt_no.unwrap(),
            s.tot_rcpt_no.unwrap(),
        ));
    }
    out.sort_by_key(|s| s.2);
    out
}

async fn nothing_dead_nothing_waiting(
    file: &hesabu_store::company_file::CompanyFile,
    admin: &hesabu_store::auth::Session,
) {
    let status = hesabu_store::outbox::status(file, admin, None)
        .await
        .unwrap();
    let stuck: Vec<_> = status
        .depth
        .iter()
        .filter(|d| d.target == "etims" && d.state != "done" && d.count > 0)
        .collect();
    assert!(stuck.is_empty(), "{:?}", status.depth);
}

#[tokio::test]
async fn a_fresh_demo_has_invoices_and_a_credit_note_signed_by_the_local_sandbox() {
    use hesabu_app::etims::demo_sandbox::{self, SANDBOX_BASE_URL};
    let dir = tempfile::tempdir().unwrap();
    let (file, sandbox, summary) = signed_demo(dir.path()).await;
    // Three sales, the stock each of them moved (their goods lines, `etims::stock`), and the
    // opening stock of the demo's four goods items.
    assert_eq!(
        (summary.done, summary.dead, summary.failed),
        (10, 0, 0),
        "{summary:?}"
    );
    let admin = hesabu_store::auth::login(&file, "admin@demo.test", "hesabu-demo")
        .await
        .unwrap();
    let signed = signed_submissions(&file, &admin).await;
    // The two KES invoices, then the credit note of the first; one number sequence (invcNo),
    // KRA's receipt counters per receipt type (curRcptNo) and in total (totRcptNo).
    assert_eq!(
        signed,
        [
            ("INV-000001".to_owned(), "S".to_owned(), 1, 1, 1),
            ("INV-000002".to_owned(), "S".to_owned(), 2, 2, 2),
            ("CN-000001".to_owned(), "R".to_owned(), 3, 1, 3),
        ],
        "{signed:?}"
    );
    // The sandbox signed each exactly once.
    let at_sandbox: Vec<u64> = sandbox
        .handle()
        .signed_sales()
        .iter()
        .map(|s| s.invc_no)
        .collect();
    assert_eq!(at_sandbox, [1, 2, 3]);
    // Every goods item starts from recorded opening stock, and no sale took one below zero.
    let levels = hesabu_app::etims::stock::levels(&file, &admin)
        .await
        .unwrap();
    assert_eq!(levels.len(), 4, "{levels:?}");
    for level in &levels {
        let quantity: rust_decimal::Decimal = level.quantity.parse().unwrap();
        assert!(
            level.recorded && quantity > rust_decimal::Decimal::ZERO,
            "{level:?}"
        );
        assert_eq!(level.sync_state.as_deref(), Some("done"), "{level:?}");
    }
    nothing_dead_nothing_waiting(&file, &admin).await;
    // The dollar invoice waits for its tax review; the cash sale's workflow is off.
    let executions = hesabu_core::workflows::executions(
        &file,
        &admin,
        &hesabu_core::workflows::ExecutionFilter::default(),
    )
    .await
    .unwrap();
    assert!(
        executions
            .iter()
            .any(|e| e.status.as_str() == "pending" && e.error_kind.as_deref() == Some("held")),
        "{executions:?}"
    );
    // The device says where it signs, and the app says plainly that it is not KRA.
    let device = hesabu_core::sales::fiscal::device(file.reader())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(device.base_url, SANDBOX_BASE_URL);
    assert_eq!(device.last_invc_no, 3);
    assert_eq!(
        device.taxpayer_name.as_deref(),
        Some("Savannah Traders Limited")
    );
    let notice = demo_sandbox::notice(&file).await.unwrap().unwrap();
    assert!(notice.contains("test double of KRA") && notice.contains("not by KRA"));
    // The key is in the demo's own secret store beside the file, not in the company file.
    let secrets = std::fs::read_to_string(dir.path().join("demo.sandbox-secrets.json")).unwrap();
    assert!(secrets.contains(demo_sandbox::DEMO_CMC_KEY));
    // The Receipts page: the signed invoice has its receipt.
    let first = hesabu_core::sales::documents::show(&file, &admin, "INV-000001")
        .await
        .unwrap();
    hesabu_app::receipts::show(&file, &admin, &first.id)
        .await
        .unwrap();
    let report = hesabu_store::audit::verify(&file, &admin).await.unwrap();
    assert!(report.ok);
}

#[tokio::test]
async fn opening_the_demo_again_starts_a_new_sandbox_that_continues_the_numbers() {
    use hesabu_app::etims::demo_sandbox::DemoSandbox;
    use hesabu_core::approvals::sales_gate;
    use hesabu_core::sales::SalesType;
    use hesabu_core::sales::documents::{self as sales, NewSale, NewSaleLine};
    let dir = tempfile::tempdir().unwrap();
    let (file, first_run, _) = signed_demo(dir.path()).await;
    let first_port = first_run.handle().addr().port();
    first_run.handle().signed_sales();
    drop(first_run);
    let path = file.path().to_path_buf();
    file.close().await.unwrap();

    let clock: hesabu_store::clock::SharedClock =
        std::sync::Arc::new(hesabu_store::clock::SystemClock);
    let file = hesabu_app::open_company_file(&path, clock).await.unwrap();
    let sandbox = DemoSandbox::for_file(&file)
        .await
        .unwrap()
        .expect("the demo's device is the local sandbox's");
    // A fresh sandbox (its own port), brought up to what the file knows.
    assert_eq!(sandbox.handle().signed_sales().len(), 3);
    eprintln!(
        "demo sandbox: first run on port {first_port}, second on {}",
        sandbox.handle().addr().port()
    );
    let accountant = hesabu_store::auth::login(&file, "accountant@demo.test", "hesabu-demo")
        .await
        .unwrap();
    let line = NewSaleLine {
        item: Some("TNR-BLK".into()),
        quantity: 2.into(),
        ..Default::default()
    };
    let draft = sales::create(
        &file,
        &accountant,
        &NewSale::new(
            SalesType::Invoice,
            Some("Kilimani Dental Clinic"),
            vec![line],
        ),
    )
    .await
    .unwrap();
    let issued = sales_gate::issue(&file, &accountant, &draft.id)
        .await
        .unwrap();
    if issued.number.is_none() {
        hesabu_app::demo::approve_through_the_chain(&file, &draft.id)
            .await
            .unwrap();
    }
    let issued = sales::show(&file, &accountant, &draft.id).await.unwrap();
    assert_eq!(issued.number.as_deref(), Some("INV-000004"));
    let summary = sandbox.drain(&file).await.unwrap();
    // The sale and its stock-out (sarNo 4, after the three replayed movements).
    assert_eq!((summary.done, summary.dead), (2, 0), "{summary:?}");
    let admin = hesabu_store::auth::login(&file, "admin@demo.test", "hesabu-demo")
        .await
        .unwrap();
    let signed = signed_submissions(&file, &admin).await;
    assert_eq!(
        signed.last().unwrap(),
        &("INV-000004".to_owned(), "S".to_owned(), 4, 3, 4),
        "{signed:?}"
    );
    let at_sandbox: Vec<u64> = sandbox
        .handle()
        .signed_sales()
        .iter()
        .map(|s| s.invc_no)
        .collect();
    assert_eq!(
        at_sandbox,
        [1, 2, 3, 4],
        "replayed once each, then the new one"
    );
    nothing_dead_nothing_waiting(&file, &admin).await;
    // The sync command of the CLI and the desktop build their targets the same way.
    let targets = sandbox
        .targets(&file, &hesabu_store::outbox::Targets::new())
        .await
        .unwrap();
    assert!(targets.get("etims").is_some());

    // "Check at KRA" outside the outbox reaches the same running sandbox, with the demo's own
    // key store whatever secret store the caller has (here an empty one).
    let empty = hesabu_store::secrets::FileStore::new(dir.path().join("no-secrets.json"));
    let timeouts = hesabu_etims::Timeouts::all(std::time::Duration::from_secs(10));
    let found = hesabu_app::etims::fiscal::lookup(&file, &admin, &empty, 4, timeouts)
        .await
        .unwrap();
    assert_eq!(found.result_cd, "000", "{found:?}");
    assert!(found.kra.is_some() && found.local.is_some(), "{found:?}");
    // Once the demo's sandbox stops, a lookup says why instead of failing on the marker URL.
    drop(sandbox);
    let err = hesabu_app::etims::fiscal::lookup(&file, &admin, &empty, 4, timeouts)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("not running"), "{err}");
}

#[tokio::test]
async fn a_real_company_never_gets_a_sandbox() {
    let dir = tempfile::tempdir().unwrap();
    let path = support::demo_copy(dir.path()).await;
    let file = hesabu_app::open_company_file(&path, support::clock())
        .await
        .unwrap();
    // No device at all.
    assert!(
        hesabu_app::etims::demo_sandbox::DemoSandbox::for_file(&file)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        hesabu_app::etims::demo_sandbox::notice(&file)
            .await
            .unwrap()
            .is_none()
    );
}

/// The demo's QuickBooks as the desktop makes it on first run: the signed demo, then connected
/// to the app's own local QuickBooks sandbox (a test double of QuickBooks Online). Returns the
/// file, both sandboxes and what connecting did; prints how long each part took.
async fn demo_with_quickbooks(
    dir: &std::path::Path,
) -> (
    hesabu_store::company_file::CompanyFile,
    hesabu_app::etims::demo_sandbox::DemoSandbox,
    hesabu_app::qbo::demo_sandbox::DemoQbo,
    hesabu_app::demo::QuickBooksSeed,
) {
    let (file, etims, _) = signed_demo(dir).await;
    let started = std::time::Instant::now();
    let (qbo, seed) = hesabu_app::demo::connect_local_quickbooks(&file, &etims)
        .await
        .unwrap();
    let took = started.elapsed();
    if u64::from(seed.write_back.done) != seed.second_pull.pushes_queued {
        let admin = hesabu_store::auth::login(&file, "admin@demo.test", "hesabu-demo")
            .await
            .unwrap();
        let rows = hesabu_store::outbox::list(&file, &admin, None, 100)
            .await
            .unwrap();
        panic!("the write-back did not finish: {seed:?}\n{rows:#?}");
    }
    eprintln!(
        "demo: connected to its local QuickBooks sandbox, pulled, signed and wrote back in \
         {took:?}"
    );
    // Loopback only, a handful of objects: never a wait on a network.
    assert!(
        took < std::time::Duration::from_secs(15),
        "connecting the demo's QuickBooks took {took:?}"
    );
    (file, etims, qbo, seed)
}

/// The ETR block our write-back put in an object's `PrivateNote`, and its `SyncToken`.
fn written_back(json: &str) -> (Option<String>, String) {
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    (
        v["PrivateNote"]
            .as_str()
            .filter(|n| n.contains("[ETR] CU="))
            .map(str::to_owned),
        v["SyncToken"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn the_demo_is_connected_to_a_local_quickbooks_sandbox_and_its_signed_sales_are_written_back()
{
    use hesabu_app::qbo::document::{self, WriteBack};
    use hesabu_core::sales::documents::{self as sales, SalesQuery};
    let dir = tempfile::tempdir().unwrap();
    let (file, _etims, qbo, seed) = demo_with_quickbooks(dir.path()).await;
    // The first pull: the sandbox's customers, items, four invoices and two cash sales; the
    // credit memo is listed for review, never issued automatically.
    let first = &seed.first_pull;
    assert_eq!(
        (first.customers, first.items, first.sales_issued),
        (4, 5, 6),
        "{first:?}"
    );
    assert!(first.reviews >= 1, "{first:?}");
    // The pulled invoices signed by the local e-TIMS sandbox (the cash-sale workflow is off),
    // queued by the second pull and written back.
    // With the opening stock of the three pulled goods items and the stock-outs of the three
    // sales that sell goods (`etims::stock`).
    assert_eq!((seed.signing.done, seed.signing.dead), (10, 0), "{seed:?}");
    assert_eq!(seed.second_pull.pushes_queued, 4, "{seed:?}");
    assert_eq!(
        (seed.write_back.done, seed.write_back.dead),
        (4, 0),
        "{seed:?}"
    );
    // In QuickBooks (here its test double): each invoice carries KRA's signature and the CU
    // invoice number, with the receipt attached.
    let invoices = qbo.sandbox().ids("Invoice");
    assert_eq!(invoices.len(), 4);
    for id in &invoices {
        let json = qbo.sandbox().object("Invoice", id).unwrap();
        let (note, _) = written_back(&json);
        assert!(note.is_some(), "invoice {id}: {json}");
        assert!(json.contains(r#""DefinitionId":"1""#), "{json}");
    }
    assert_eq!(qbo.sandbox().stats().uploads, 4);

    let admin = hesabu_store::auth::login(&file, "admin@demo.test", "hesabu-demo")
        .await
        .unwrap();
    // The connection: the demo's local sandbox, and it says so; the row keeps the marker, the
    // tokens are in the demo's own secret store beside the file.
    let anywhere: std::sync::Arc<dyn hesabu_store::secrets::SecretStore> = std::sync::Arc::new(
        hesabu_store::secrets::FileStore::new(dir.path().join("unused-secrets.json")),
    );
    let view = hesabu_app::qbo::status(&file, &admin, anywhere)
        .await
        .unwrap();
    assert!(view.connected && view.local_sandbox, "{view:?}");
    assert!(view.reconnect_needed.is_none());
    let notice = view.notice.unwrap();
    assert!(
        notice.contains("local sandbox") && notice.contains("not Intuit's QuickBooks"),
        "{notice}"
    );
    let stored: String = {
        use sea_orm::{ConnectionTrait, DbBackend, Statement};
        file.reader()
            .query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT api_base FROM qbo_connection",
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get_by_index(0)
            .unwrap()
    };
    assert_eq!(stored, hesabu_app::qbo::demo_sandbox::SANDBOX_BASE_URL);
    let secrets = std::fs::read_to_string(dir.path().join("demo.sandbox-secrets.json")).unwrap();
    assert!(
        secrets.contains("/qbo/client_secret") && secrets.contains("/tokens"),
        "{secrets}"
    );

    // Each pulled sale shows its QuickBooks transaction and where the write-back is, in words;
    // no link leads out of the app for the local sandbox.
    let all = sales::list(&file, &admin, &SalesQuery::default())
        .await
        .unwrap();
    let ids: Vec<String> = all.iter().map(|s| s.id.clone()).collect();
    let views = document::list(&file, &admin, &ids).await.unwrap();
    assert_eq!(views.len(), 6, "the six pulled sales, not the demo's own");
    let done: Vec<_> = views
        .iter()
        .filter(|v| v.stage == WriteBack::Done)
        .collect();
    assert_eq!(done.len(), 4, "{views:?}");
    for v in &done {
        assert_eq!(v.entity, "Invoice");
        assert!(v.doc_number.is_some(), "{v:?}");
        assert!(v.words.starts_with("Attached and updated"), "{v:?}");
        assert!(v.link.is_none() && v.local_sandbox, "{v:?}");
        assert!(v.location.contains("local sandbox"), "{v:?}");
    }
    let receipts: Vec<_> = views
        .iter()
        .filter(|v| v.entity == "SalesReceipt")
        .collect();
    assert_eq!(receipts.len(), 2);
    assert!(
        receipts
            .iter()
            .all(|v| v.stage == WriteBack::AwaitingSignature),
        "{receipts:?}"
    );
    let own = sales::show(&file, &admin, "INV-000001").await.unwrap();
    assert!(
        document::show(&file, &admin, &own.id)
            .await
            .unwrap()
            .is_none()
    );
    let report = hesabu_store::audit::verify(&file, &admin).await.unwrap();
    assert!(report.ok);
}

#[tokio::test]
async fn reopening_the_demo_brings_its_local_quickbooks_back_as_the_file_left_it() {
    use hesabu_app::etims::demo_sandbox::DemoSandbox;
    use hesabu_app::qbo::demo_sandbox::DemoQbo;
    let dir = tempfile::tempdir().unwrap();
    let (file, etims, qbo, _) = demo_with_quickbooks(dir.path()).await;
    let before: Vec<(String, (Option<String>, String))> = qbo
        .sandbox()
        .ids("Invoice")
        .into_iter()
        .map(|id| {
            let json = qbo.sandbox().object("Invoice", &id).unwrap();
            (id, written_back(&json))
        })
        .collect();
    let first_url = qbo.base_url();
    drop(qbo);
    drop(etims);
    let path = file.path().to_path_buf();
    file.close().await.unwrap();

    let clock: hesabu_store::clock::SharedClock =
        std::sync::Arc::new(hesabu_store::clock::SystemClock);
    let file = hesabu_app::open_company_file(&path, clock).await.unwrap();
    let _etims = DemoSandbox::for_file(&file).await.unwrap().unwrap();
    let started = std::time::Instant::now();
    let qbo = DemoQbo::for_file(&file)
        .await
        .unwrap()
        .expect("the demo's QuickBooks is the local sandbox");
    eprintln!("demo: local QuickBooks restored in {:?}", started.elapsed());
    assert_ne!(qbo.base_url(), first_url, "a fresh sandbox on its own port");
    // The fresh sandbox holds what the file recorded: the same invoices with the same ETR
    // blocks and SyncTokens (the mirror's own tokens), and the receipts attached again.
    let after: Vec<(String, (Option<String>, String))> = qbo
        .sandbox()
        .ids("Invoice")
        .into_iter()
        .map(|id| {
            let json = qbo.sandbox().object("Invoice", &id).unwrap();
            (id, written_back(&json))
        })
        .collect();
    assert_eq!(after, before);
    assert_eq!(qbo.sandbox().stats().uploads, 4);
    // Connected again with new tokens; a pull sees only its own write-backs coming back.
    let admin = hesabu_store::auth::login(&file, "admin@demo.test", "hesabu-demo")
        .await
        .unwrap();
    let secrets: std::sync::Arc<dyn hesabu_store::secrets::SecretStore> = std::sync::Arc::new(
        hesabu_store::secrets::FileStore::new(dir.path().join("unused-secrets.json")),
    );
    let connected = hesabu_app::qbo::open(&file, secrets)
        .await
        .unwrap()
        .unwrap();
    let report = hesabu_app::qbo::pull::pull(&connected, &admin, false)
        .await
        .unwrap();
    assert_eq!(
        (report.sales_issued, report.reviews, report.pushes_queued),
        (0, 0, 0),
        "{report:?}"
    );
    // Once the sandbox stops, the app says why instead of failing on the marker address.
    drop(qbo);
    let err = hesabu_app::qbo::open(
        &file,
        std::sync::Arc::new(hesabu_store::secrets::FileStore::new(
            dir.path().join("unused-secrets.json"),
        )),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(err.contains("not running"), "{err}");
}

#[tokio::test]
async fn on_the_command_line_the_demo_shows_each_pulled_sales_quickbooks_side() {
    use crate::support::{env, hesabu};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.hesabu");
    let path = path.to_str().unwrap();
    let created = hesabu(
        &["--json", "demo", "create", path, "--showcase"],
        env(Some("hesabu-demo"), None),
    )
    .await;
    assert_eq!(created.code, 0, "{}", created.stderr);
    let run = |args: &[&str], json: bool| {
        let mut all: Vec<String> = ["--company", path, "--as", "admin@demo.test"]
            .iter()
            .map(|a| (*a).to_owned())
            .collect();
        if json {
            all.push("--json".into());
        }
        all.extend(args.iter().map(|a| (*a).to_owned()));
        async move {
            let all: Vec<&str> = all.iter().map(String::as_str).collect();
            Box::pin(hesabu(&all, env(Some("hesabu-demo"), None))).await
        }
    };
    // `qbo` commands start the demo's sandbox for their length, and say what it is.
    let status = run(&["qbo", "status"], true).await;
    assert_eq!(status.code, 0, "{}", status.stderr);
    let status = status.json();
    assert_eq!(status["local_sandbox"], true, "{status}");
    assert_eq!(status["connected"], true, "{status}");
    assert!(
        status["notice"]
            .as_str()
            .unwrap()
            .contains("not Intuit's QuickBooks")
    );
    let text = run(&["qbo", "status"], false).await;
    assert!(
        text.stdout
            .contains("a local sandbox inside Hesabu (not Intuit's QuickBooks)"),
        "{}",
        text.stdout
    );
    // The demo's own invoices come first (INV-000001 to 3); the pulled ones follow.
    let pulled = run(&["sale", "show", "INV-000004"], true).await;
    assert_eq!(pulled.code, 0, "{}", pulled.stderr);
    let pulled = pulled.json();
    assert_eq!(pulled["number"], "INV-000004");
    assert_eq!(pulled["quickbooks"]["entity"], "Invoice", "{pulled}");
    assert_eq!(pulled["quickbooks"]["stage"], "done", "{pulled}");
    assert_eq!(pulled["quickbooks"]["local_sandbox"], true);
    assert!(pulled["quickbooks"]["link"].is_null());
    let text = run(&["sale", "show", "INV-000004"], false).await;
    assert!(
        text.stdout.contains("QuickBooks: QuickBooks invoice 1001")
            && text.stdout.contains("write-back: Attached and updated"),
        "{}",
        text.stdout
    );
    let own = run(&["sale", "show", "INV-000001"], true).await.json();
    assert_eq!(own["number"], "INV-000001");
    assert!(own["quickbooks"].is_null(), "{own}");
    // The scheduled pull runs against the demo's sandbox, started for `jobs run`.
    let jobs = run(&["jobs", "run", "--only", "qbo_pull"], true).await;
    assert_eq!(jobs.code, 0, "{}", jobs.stderr);
    let outcome = &jobs.json()["scheduled"][0];
    assert_eq!(outcome["status"], "ok", "{outcome}");
    assert_eq!(outcome["result"]["pulled"]["sales_issued"], 0, "{outcome}");
}
