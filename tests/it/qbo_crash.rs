//! kill -9 during the QuickBooks write-back (issue 18): a child process (`qbo-crash-child`)
//! drains a company file's ETR write-backs (attach the receipt PDF, then write the CU number
//! and the ETR block into the transaction) to the local QuickBooks sandbox through the
//! product's outbox targets; this test kills it with SIGKILL at random moments while it talks
//! to QuickBooks, many times, and starts it again each time (the child runs the outbox's crash
//! recovery first, as every start-up does). At the end every signed sale must have exactly one
//! receipt attached in QuickBooks, its transaction updated once with the ETR block once, and
//! every write-back done: nothing lost, nothing sent twice.
//!
//! `HESABU_QBO_CRASH_KILLS` (default 25) sets the number of kills, `HESABU_QBO_CRASH_SEED` the
//! seed of the random moments.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hesabu_app::qbo::{self, ConnectMode, ConnectionSettings, PinSource, pull, push};
use hesabu_qbo_sandbox::{Sandbox, SandboxOptions};
use hesabu_store::clock::SystemClock;
use hesabu_store::secrets::{SecretStore, store_from_spec};

use crate::support;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_the_write_back_attaches_once_and_loses_nothing() {
    let kills = crate::support::env_number("HESABU_QBO_CRASH_KILLS", 25);
    let seed = crate::support::env_number("HESABU_QBO_CRASH_SEED", 0x0b0c_4a54);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("acme.hesabu");
    let secrets_path = dir.path().join("secrets.json");
    // The wall clock: the child runs on it too.
    let (file, admin) =
        hesabu_app::create_company(&path, &support::new_company(), Arc::new(SystemClock))
            .await
            .unwrap();
    let sandbox = Sandbox::start_with("127.0.0.1:0".parse().unwrap(), SandboxOptions::default())
        .await
        .unwrap();
    // Enough sales that every killed run is cut off while working.
    sandbox.seed_invoices(usize::try_from(kills * 2).unwrap());
    let secrets: Arc<dyn SecretStore> =
        Arc::from(store_from_spec(&format!("file:{}", secrets_path.display())).unwrap());
    qbo::configure(
        &file,
        &admin,
        secrets.as_ref(),
        &ConnectionSettings {
            mode: ConnectMode::Paste,
            client_id: Some(sandbox.client_id()),
            broker_url: None,
            redirect_uri: "https://connect.example.com/qbo/callback".into(),
            base_url: Some(sandbox.base_url()),
            sandbox: true,
            cu_field: Some("1".into()),
            pin_source: PinSource::TaxId,
        },
        Some(&sandbox.client_secret()),
    )
    .await
    .unwrap();
    let url = qbo::authorize_url(&file, &admin).await.unwrap();
    let pasted = crate::qbo::consent(&url).await;
    qbo::connect_paste(&file, &admin, secrets.clone(), &pasted)
        .await
        .unwrap();
    let q = qbo::open(&file, secrets.clone()).await.unwrap().unwrap();
    pull::pull(&q, &admin, false).await.unwrap();
    // Every pulled sale signed by KRA (straight into the ledger: e-TIMS is not under test).
    let pool = support::raw(&path).await;
    let pulled: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT entity, qbo_id, local_id FROM qbo_object WHERE local_id IS NOT NULL \
         AND entity IN ('Invoice', 'SalesReceipt') ORDER BY entity, qbo_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    for (n, (_, _, local)) in pulled.iter().enumerate() {
        crate::qbo::sign(&file, &admin, local, i64::try_from(n + 1).unwrap()).await;
    }
    // The file's e-TIMS target needs its device key to build; nothing here goes to KRA.
    let company = hesabu_core::company::load(file.reader()).await.unwrap();
    secrets
        .set(
            &hesabu_app::etims::device::cmc_key_name(&company.id),
            "TESTKEY",
        )
        .unwrap();
    let report = pull::pull(&q, &admin, false).await.unwrap();
    let total = pulled.len();
    assert_eq!(report.pushes_queued, u64::try_from(total).unwrap());
    drop(q);
    file.close().await.unwrap();

    // QuickBooks answers after a few milliseconds, so a kill often lands while a call is out.
    sandbox.set_latency(Duration::from_millis(6));
    let child_exe = env!("CARGO_BIN_EXE_qbo-crash-child");
    let spawn = || {
        std::process::Command::new(child_exe)
            .arg(&path)
            .arg(&secrets_path)
            .spawn()
            .unwrap()
    };
    let mut rng = crate::support::Lcg(seed);
    let started = Instant::now();
    let mut killed = 0;
    let mut cut_in_flight = 0;
    while killed < kills {
        let mut child = spawn();
        // Wait until this child talks to QuickBooks, then a random while longer.
        let before = sandbox.stats().api_calls;
        let waiting = Instant::now();
        while sandbox.stats().api_calls == before
            && child.try_wait().unwrap().is_none()
            && waiting.elapsed() < Duration::from_secs(20)
        {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        tokio::time::sleep(Duration::from_millis(rng.below(50))).await;
        let finished = child.try_wait().unwrap();
        assert!(
            finished.is_none(),
            "the child finished ({finished:?}) after {killed} kills: seed more invoices"
        );
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        killed += 1;
        let pool = support::raw(&path).await;
        let in_flight: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM outbox WHERE state = 'in_flight' AND target = ?",
        )
        .bind(qbo::QBO_TARGET)
        .fetch_one(&pool)
        .await
        .unwrap();
        pool.close().await;
        cut_in_flight += i32::from(in_flight > 0);
    }
    let status = spawn().wait().unwrap();
    assert!(status.success(), "the last run failed: {status:?}");
    let stats = sandbox.stats();
    eprintln!(
        "QuickBooks crash test: {killed} SIGKILLs ({cut_in_flight} with a write-back in flight), \
         {total} write-backs, {} API calls, {} writes, {} requestid replays, seed {seed:#x}, \
         {:.1?}",
        stats.api_calls,
        stats.writes,
        stats.replays,
        started.elapsed()
    );
    // The kills interrupted real write-backs, not only idle or starting children.
    assert!(
        i64::from(cut_in_flight) >= i64::try_from(kills / 3).unwrap(),
        "only {cut_in_flight} of {killed} kills left a write-back in flight"
    );

    // QuickBooks: one receipt attached to each sale, each sale updated once, the ETR block once.
    // Keyed by entity and Id: an Invoice and a SalesReceipt may share an Id in QuickBooks.
    let mut attached: BTreeMap<(String, String), usize> = BTreeMap::new();
    for id in sandbox.ids("Attachable") {
        let a: serde_json::Value =
            serde_json::from_str(&sandbox.object("Attachable", &id).unwrap()).unwrap();
        for r in a["AttachableRef"].as_array().unwrap() {
            let entity = r["EntityRef"]["type"].as_str().unwrap().to_owned();
            let id = r["EntityRef"]["value"].as_str().unwrap().to_owned();
            *attached.entry((entity, id)).or_default() += 1;
        }
    }
    assert_eq!(
        stats.uploads,
        u64::try_from(total).unwrap(),
        "one upload each"
    );
    let writes = sandbox.writes();
    for (entity, qbo_id, _) in &pulled {
        assert_eq!(
            attached.get(&(entity.clone(), qbo_id.clone())),
            Some(&1),
            "{entity} {qbo_id}: attachments {attached:?}"
        );
        let updates = writes
            .iter()
            .filter(|w| &w.entity == entity && &w.id == qbo_id && w.operation.contains("update"))
            .count();
        assert_eq!(updates, 1, "{entity} {qbo_id} updated once");
        let after: serde_json::Value =
            serde_json::from_str(&sandbox.object(entity, qbo_id).unwrap()).unwrap();
        let note = after["PrivateNote"].as_str().unwrap_or_default();
        assert_eq!(
            note.matches("[ETR]").count(),
            1,
            "{entity} {qbo_id}: {note}"
        );
    }

    // The company file: every write-back done, nothing dead, the audit chain whole.
    let file = hesabu_app::open_company_file(&path, Arc::new(SystemClock))
        .await
        .unwrap();
    let admin = hesabu_store::auth::login(&file, support::ADMIN_EMAIL, support::ADMIN_PASSWORD)
        .await
        .unwrap();
    for (entity, qbo_id, local) in &pulled {
        let row = push::row(file.reader(), local).await.unwrap().unwrap();
        assert_eq!(row.state, "done", "{entity} {qbo_id}: {row:?}");
    }
    let audit = hesabu_store::audit::verify(&file, &admin).await.unwrap();
    assert!(audit.first_broken.is_none());
}
