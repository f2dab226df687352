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
    assert_eq!(
        (summary.done, summary.dead, summary.failed),
        (3, 0, 0),
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
    assert_eq!((summary.done, summary.dead), (1, 0), "{summary:?}");
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
