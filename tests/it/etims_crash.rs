//! kill -9 during e-TIMS submission (issue 16): a child process (`etims-crash-child`) issues
//! sales and sends them to the local e-TIMS sandbox through the product's outbox target; this
//! test runs the sandbox and kills the child with SIGKILL at random moments, many times. Each
//! restart runs the app's crash recovery and carries on. At the end, KRA's own record (the
//! sandbox's) must hold every issued sale signed exactly once, numbered 1..N without a gap, and
//! the company file must hold exactly KRA's signature for each.
//!
//! `HESABU_ETIMS_CRASH_KILLS` (default 40) sets the number of kills, `HESABU_ETIMS_CRASH_SEED`
//! the seed of the random moments.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hesabu_app::etims::Timeouts;
use hesabu_app::etims::device::{self, DeviceSetup};
use hesabu_core::sales::customers::{self, NewCustomer};
use hesabu_core::sales::fiscal::{self as ledger, FiscalState};
use hesabu_core::sales::items::{self, NewItem};
use hesabu_core::workflows::{self, WorkflowType};
use hesabu_etims::Endpoint;
use hesabu_etims_sandbox::{Sandbox, SandboxConfig};
use hesabu_store::clock::SystemClock;
use hesabu_store::outbox;
use hesabu_store::secrets::store_from_spec;
use rust_decimal::Decimal;

use crate::support;

const CMC_KEY: &str = "0123456789abcdef0123456789abcdef";

/// Calls to KRA that may be the child's sends and lookups.
fn fiscal_calls(sandbox: &hesabu_etims_sandbox::SandboxHandle) -> usize {
    sandbox.count(Endpoint::SaveSale) + sandbox.count(Endpoint::InvoiceDetails)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_submission_signs_every_sale_exactly_once_without_gaps() {
    let kills = crate::support::env_number("HESABU_ETIMS_CRASH_KILLS", 40);
    let seed = crate::support::env_number("HESABU_ETIMS_CRASH_SEED", 0x5eed_e71a);
    // More sales than the killed runs can sign (about one a run here), so that every run is cut
    // off while working; the last run (not killed) signs the rest.
    let total = kills * 2 + 10;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("acme.hesabu");
    let secrets_path = dir.path().join("secrets.json");
    // The wall clock: the child runs on it too, and the sandbox checks dates against it.
    let (file, admin) =
        hesabu_app::create_company(&path, &support::new_company(), Arc::new(SystemClock))
            .await
            .unwrap();
    let sandbox = Sandbox::start_with(
        "127.0.0.1:0".parse().unwrap(),
        SandboxConfig {
            cmc_key: Some(CMC_KEY.into()),
            strict_legacy: true,
            ..SandboxConfig::default()
        },
    )
    .await
    .unwrap();
    let secrets = store_from_spec(&format!("file:{}", secrets_path.display())).unwrap();
    device::init(
        &file,
        &admin,
        secrets.as_ref(),
        &DeviceSetup {
            base_url: Some(sandbox.legacy_base_url()),
            ..DeviceSetup::legacy("HESABU/P051234567X/1")
        },
        Timeouts::all(Duration::from_secs(5)),
    )
    .await
    .unwrap();
    customers::add(
        &file,
        &admin,
        &NewCustomer {
            name: "Ralph Jr".into(),
            kra_pin: Some("A000123456F".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    items::add(
        &file,
        &admin,
        &NewItem {
            code: "FOC".into(),
            name: "Fiscal Optimization Consultancy".into(),
            classification_code: Some("81121500".into()),
            packaging_unit: Some("OU".into()),
            quantity_unit: Some("U".into()),
            tax_type: "B".into(),
            product_type: "service".into(),
            unit_price: Decimal::from(1000),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    for w in [WorkflowType::InvoiceSync, WorkflowType::SalesSync] {
        let on = serde_json::json!({ "enabled": true, "autoSync": true });
        workflows::set(&file, &admin, w, &on).await.unwrap();
    }
    file.close().await.unwrap();

    // KRA answers after a few milliseconds, so a kill often lands while a sale is out.
    sandbox.set_latency(Duration::from_millis(8));
    let child_exe = env!("CARGO_BIN_EXE_etims-crash-child");
    let spawn = || {
        std::process::Command::new(child_exe)
            .arg(&path)
            .arg(&secrets_path)
            .arg(total.to_string())
            .spawn()
            .unwrap()
    };
    let mut rng = crate::support::Lcg(seed);
    let started = Instant::now();
    let mut killed = 0;
    // Kills that left a sale's number out at KRA with no recorded answer (between the
    // reservation and the signature), and kills that left an outbox row in flight.
    let mut cut_number_out = 0;
    let mut cut_in_flight = 0;
    while killed < kills {
        let mut child = spawn();
        // Wait until this child talks to KRA (start-up — open, sign in, recover — takes longer
        // on a busy disk, and a kill before it tests nothing new), then a random while longer.
        let before = fiscal_calls(&sandbox);
        let waiting = Instant::now();
        while fiscal_calls(&sandbox) == before
            && child.try_wait().unwrap().is_none()
            && waiting.elapsed() < Duration::from_secs(20)
        {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        tokio::time::sleep(Duration::from_millis(rng.below(60))).await;
        let finished = child.try_wait().unwrap();
        assert!(
            finished.is_none(),
            "the child finished ({finished:?}) after {killed} kills: issue more sales"
        );
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        killed += 1;
        let pool = support::raw(&path).await;
        let out: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM fiscal_submission WHERE state IN ('reserved', 'unknown')",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        let in_flight: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE state = 'in_flight'")
                .fetch_one(&pool)
                .await
                .unwrap();
        pool.close().await;
        cut_number_out += i32::from(out > 0);
        cut_in_flight += i32::from(in_flight > 0);
    }
    let signed_before_last_run = sandbox.signed_sales().len();
    let status = spawn().wait().unwrap();
    assert!(status.success(), "the last run failed: {status:?}");
    let elapsed = started.elapsed();
    let at_kra = sandbox.signed_sales();
    let adopted_calls = sandbox
        .received()
        .iter()
        .filter(|c| c.endpoint == Endpoint::SaveSale && c.outcome.starts_with("994"))
        .count();
    eprintln!(
        "e-TIMS crash test: {killed} SIGKILLs ({cut_number_out} with a number out at KRA, \
         {cut_in_flight} with an outbox row in flight), {signed_before_last_run}/{total} signed \
         before the last run, {} saves and {} lookups received, {adopted_calls} answered 994, \
         seed {seed:#x}, {elapsed:.1?}",
        sandbox.count(Endpoint::SaveSale),
        sandbox.count(Endpoint::InvoiceDetails),
    );
    // The kills interrupted real submissions, not only idle or starting children.
    assert!(
        i64::from(cut_number_out) >= i64::try_from(kills / 5).unwrap(),
        "only {cut_number_out} of {killed} kills left a number out"
    );

    // KRA: every number 1..N once, each document once.
    let numbers: Vec<u64> = at_kra.iter().map(|s| s.invc_no).collect();
    assert_eq!(
        numbers,
        (1..=total).collect::<Vec<_>>(),
        "KRA's invoice numbers have a gap, a repeat or a missing sale"
    );
    let documents: BTreeSet<&str> = at_kra.iter().map(|s| s.trd_invc_no.as_str()).collect();
    assert_eq!(documents.len(), at_kra.len(), "a sale was signed twice");

    // The company file: every issued sale is signed, with exactly KRA's signature.
    let file = hesabu_app::open_company_file(&path, Arc::new(SystemClock))
        .await
        .unwrap();
    let admin = hesabu_store::auth::login(&file, support::ADMIN_EMAIL, support::ADMIN_PASSWORD)
        .await
        .unwrap();
    let pool = support::raw(&path).await;
    let issued: Vec<(String, String)> = sqlx::query_as(
        "SELECT id, number FROM sales_document WHERE number IS NOT NULL ORDER BY number",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    assert_eq!(
        issued.len(),
        usize::try_from(total).unwrap(),
        "issued sales: {issued:?}"
    );
    let by_document: BTreeMap<&str, &hesabu_etims_sandbox::SignedSale> =
        at_kra.iter().map(|s| (s.trd_invc_no.as_str(), s)).collect();
    let mut adopted = 0;
    for (id, number) in &issued {
        let kra = by_document
            .get(number.as_str())
            .unwrap_or_else(|| panic!("{number} was issued but never signed by KRA"));
        let status = ledger::status(&file, &admin, id).await.unwrap();
        let s = status.submission.as_ref().expect("a submission");
        assert_eq!(s.state, FiscalState::Signed, "{number}: {s:?}");
        assert_eq!(s.invc_no, Some(i64::try_from(kra.invc_no).unwrap()));
        assert_eq!(s.request_json, kra.request_json, "{number}: the JSON sent");
        assert_eq!(
            s.rcpt_sign.as_deref(),
            Some(kra.signature.rcpt_sign.as_str())
        );
        assert_eq!(
            s.intrl_data.as_deref(),
            Some(kra.signature.intrl_data.as_str())
        );
        assert_eq!(status.document_status.as_str(), "fiscalised");
        adopted += i32::from(s.adopted);
    }
    eprintln!("e-TIMS crash test: {adopted} signatures adopted by a lookup after a lost answer");
    let counts = outbox::counts(&file).await.unwrap();
    assert_eq!(
        counts,
        BTreeMap::from([("done".to_owned(), i64::try_from(total).unwrap())])
    );
    let device = ledger::show_device(&file, &admin).await.unwrap().unwrap();
    assert_eq!(device.last_invc_no, i64::try_from(total).unwrap());
    let audit = hesabu_store::audit::verify(&file, &admin).await.unwrap();
    assert!(audit.first_broken.is_none());
}
