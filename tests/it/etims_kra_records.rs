//! What KRA keeps for the device, fetched by the product (`hesabu_app::etims::kra_records`):
//! the reconciliation of KRA's sales list with the file's signed sales, failures that say what
//! to fix, branch users re-sent when a user changes, and who may do what. The go-live cases
//! (4, 7, 9, 12, 21, 22, 23) are in `etims_golive`.

use std::time::Duration;

use hesabu_app::etims::device::{self, DeviceSetup};
use hesabu_app::etims::kra_records::{self, KraList, RECONCILIATION_NOTICE};
use hesabu_app::etims::reference::RefreshOutcome;
use hesabu_app::etims::{Timeouts, targets_for_file};
use hesabu_core::sales::fiscal as ledger;
use hesabu_core::users::{self, NewUser};
use hesabu_etims::Endpoint;
use hesabu_etims_sandbox::Fault;
use hesabu_store::auth::Session;
use hesabu_store::outbox::{ClockSleeper, Drainer, Targets};
use hesabu_store::permissions::Role;

use crate::etims_support::{Fixture, SERIAL, fixture};

fn timeouts() -> Timeouts {
    Timeouts::all(Duration::from_secs(2))
}

async fn init(f: &Fixture) {
    device::init(
        &f.file,
        &f.admin,
        f.secrets.as_ref(),
        &DeviceSetup {
            base_url: Some(f.sandbox.legacy_base_url()),
            ..DeviceSetup::legacy(SERIAL)
        },
        timeouts(),
    )
    .await
    .unwrap();
}

async fn drain(f: &Fixture) {
    let targets = targets_for_file(&f.file, f.secrets.as_ref(), &Targets::new(), timeouts())
        .await
        .unwrap();
    let drainer =
        Drainer::new(f.file.clone(), targets, ClockSleeper::new(f.clock.clone())).unwrap();
    drainer.recover().await.unwrap();
    drainer.drain_until_idle().await.unwrap();
}

/// The daily job and the outbox, a day later (as `etims_golive`'s `background`).
async fn background(f: &Fixture) {
    f.clock.advance(chrono::Duration::days(1));
    let targets = targets_for_file(&f.file, f.secrets.as_ref(), &Targets::new(), timeouts())
        .await
        .unwrap();
    hesabu_app::jobs::standard_scheduler(targets)
        .run_due(&f.file, &f.admin)
        .await
        .unwrap();
    drain(f).await;
}

async fn refresh(f: &Fixture, session: &Session) -> kra_records::KraRefreshReport {
    kra_records::refresh(&f.file, session, f.secrets.as_ref(), timeouts(), None)
        .await
        .unwrap()
}

async fn user(f: &Fixture, email: &str, name: &str, role: Role) -> Session {
    users::add(
        &f.file,
        &f.admin,
        &NewUser {
            email: email.into(),
            name: name.into(),
            role,
            manager_email: None,
            department: None,
            password: "user-pass-123".into(),
        },
    )
    .await
    .unwrap();
    hesabu_store::auth::login(&f.file, email, "user-pass-123")
        .await
        .unwrap()
}

/// A device, a customer, a service, the invoice workflow sending by itself, and one invoice
/// signed by KRA. Returns the JSON KRA signed.
async fn one_signed_invoice(f: &Fixture) -> serde_json::Value {
    init(f).await;
    let sale = f.issue_service_invoice().await;
    drain(f).await;
    let status = ledger::status(&f.file, &f.admin, &sale.id).await.unwrap();
    let s = status.submission.expect("signed");
    serde_json::from_str(&s.request_json).unwrap()
}

#[tokio::test]
async fn a_sale_kra_signed_but_missing_here_is_reported_once() {
    let f = fixture().await;
    let mut request = one_signed_invoice(&f).await;
    let first = refresh(&f, &f.admin).await;
    let rec = first.reconciliation.expect("the sales list was pulled");
    assert!(rec.complete && rec.agrees(), "{rec:?}");

    // Another program (a POS with a copy of the device's key) signs invcNo 2 on the device.
    request["invcNo"] = 2.into();
    request["trdInvcNo"] = "POS-77".into();
    let client = device::client(&f.file, f.secrets.as_ref(), timeouts())
        .await
        .unwrap()
        .unwrap();
    client
        .save_sale_json(&request.to_string())
        .await
        .expect("KRA signs the other program's sale");

    let report = refresh(&f, &f.admin).await;
    let rec = report.reconciliation.unwrap();
    assert_eq!(rec.missing_locally.len(), 1, "{rec:?}");
    let d = &rec.missing_locally[0];
    assert_eq!((d.invc_no, d.document.as_deref()), (2, Some("POS-77")));
    assert_eq!(d.local_state, None);
    assert!(d.note.contains("no record of"), "{}", d.note);
    assert!(rec.missing_at_kra.is_empty() && rec.differing.is_empty());
    assert_eq!((rec.kra_sales, rec.local_signed), (2, 1));
    // The view says the same.
    let view = kra_records::sales(&f.file, &f.admin).await.unwrap();
    assert_eq!(view.reconciliation, rec);

    // One sync notice, not repeated while the findings stay the same.
    let notices = || async {
        hesabu_store::notifications::list(&f.file, &f.admin)
            .await
            .unwrap()
            .into_iter()
            .filter(|n| n.kind == RECONCILIATION_NOTICE)
            .collect::<Vec<_>>()
    };
    let raised = notices().await;
    assert_eq!(raised.len(), 1, "{raised:?}");
    assert!(
        raised[0].message.contains("invcNo 2 (POS-77)"),
        "{raised:?}"
    );
    refresh(&f, &f.admin).await;
    assert_eq!(notices().await.len(), 1);
}

#[tokio::test]
async fn a_failed_pull_keeps_the_cache_and_says_what_to_do() {
    let f = fixture().await;
    init(&f).await;
    refresh(&f, &f.admin).await;
    let before = kra_records::branches(&f.file, &f.admin).await.unwrap();
    assert!(!before.records.is_empty());
    f.sandbox
        .fail_next_on(Endpoint::BranchList, 1, Fault::Http(503));
    let report = refresh(&f, &f.admin).await;
    let branches = report
        .lists
        .iter()
        .find(|l| l.list == KraList::Branches)
        .unwrap();
    assert_eq!(branches.outcome, RefreshOutcome::Failed);
    let error = branches.error.clone().unwrap();
    assert!(
        error.contains("selectBhfList") && error.contains("Check the internet connection"),
        "{error}"
    );
    // The other lists went on; the branches stay as they were, the failure recorded.
    assert!(
        report
            .lists
            .iter()
            .filter(|l| l.list != KraList::Branches)
            .all(|l| l.outcome != RefreshOutcome::Failed),
        "{report:?}"
    );
    let after = kra_records::branches(&f.file, &f.admin).await.unwrap();
    assert_eq!(after.records, before.records);
    assert_eq!(after.state.last_req_dt, before.state.last_req_dt);
    assert_eq!(after.state.last_error.as_deref(), Some(error.as_str()));
}

#[tokio::test]
async fn without_a_device_nothing_is_asked_and_the_fix_is_named() {
    let f = fixture().await;
    let err = kra_records::refresh(&f.file, &f.admin, f.secrets.as_ref(), timeouts(), None)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("hesabu etims device init"), "{err}");
    let err = kra_records::queue_branch_users(&f.file, Some(&f.admin))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("no e-TIMS device"), "{err}");
    let err = KraList::parse("stock").unwrap_err().to_string();
    assert!(err.contains("branches, items, imports, sales"), "{err}");
    // The daily job skips, saying why; KRA hears nothing.
    let outcomes = hesabu_app::jobs::standard_scheduler(Targets::new())
        .run_due(&f.file, &f.admin)
        .await
        .unwrap();
    let job = outcomes
        .iter()
        .find(|o| o.name == hesabu_app::jobs::ETIMS_KRA_RECORDS)
        .expect("the job runs at once on a new file");
    assert_eq!(job.status, "ok");
    assert_eq!(
        job.result["skipped"].as_str(),
        Some("this company has no e-TIMS device")
    );
    assert!(f.sandbox.received().is_empty());
}

#[tokio::test]
async fn permissions_are_checked() {
    let f = fixture().await;
    init(&f).await;
    let finance = user(&f, "fin@acme.test", "Fin User", Role::FinanceUser).await;
    let approver = user(&f, "appr@acme.test", "Appr Over", Role::Approver).await;
    // Pulling is changing master data: a finance user may, an approver may not.
    refresh(&f, &finance).await;
    let err = kra_records::refresh(&f.file, &approver, f.secrets.as_ref(), timeouts(), None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, hesabu_store::Error::PermissionDenied(_)),
        "{err:?}"
    );
    // Registering users at KRA is managing users: admins only.
    let err = kra_records::queue_branch_users(&f.file, Some(&finance))
        .await
        .unwrap_err();
    assert!(
        matches!(err, hesabu_store::Error::PermissionDenied(_)),
        "{err:?}"
    );
    // Anyone who sees sales sees KRA's records.
    assert!(kra_records::sales(&f.file, &finance).await.is_ok());
}

#[tokio::test]
async fn a_changed_user_is_registered_again_and_a_deactivated_one_with_use_n() {
    let f = fixture().await;
    init(&f).await;
    user(
        &f,
        "cashier@acme.test",
        "Wanjiru Cashier",
        Role::FinanceUser,
    )
    .await;
    let queued = kra_records::queue_branch_users(&f.file, Some(&f.admin))
        .await
        .unwrap();
    let mut emails = queued.queued.clone();
    emails.sort();
    assert_eq!(emails, ["admin@acme.test", "cashier@acme.test"]);
    drain(&f).await;
    let sent = |name: &str| {
        f.sandbox
            .received()
            .into_iter()
            .filter(|c| c.endpoint == Endpoint::SaveBranchUser && c.body.contains(name))
            .collect::<Vec<_>>()
    };
    let calls = sent("Wanjiru Cashier");
    assert_eq!(calls.len(), 1);
    assert!(
        calls[0].body.contains("\"useYn\":\"Y\""),
        "{}",
        calls[0].body
    );
    // Nothing changed: nothing queued.
    let again = kra_records::queue_branch_users(&f.file, Some(&f.admin))
        .await
        .unwrap();
    assert!(again.queued.is_empty(), "{again:?}");

    // Deactivated: the daily job tells KRA (useYn N), once.
    hesabu_core::approvals::org::deactivate_user(&f.file, &f.admin, "cashier@acme.test")
        .await
        .unwrap();
    background(&f).await;
    let calls = sent("Wanjiru Cashier");
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert!(
        calls[1].body.contains("\"useYn\":\"N\""),
        "{}",
        calls[1].body
    );
    background(&f).await;
    assert_eq!(sent("Wanjiru Cashier").len(), 2);
    let users = kra_records::branch_users(&f.file, &f.admin).await.unwrap();
    let cashier = users
        .iter()
        .find(|u| u.email == "cashier@acme.test")
        .unwrap();
    assert_eq!(cashier.state.as_deref(), Some("registered"));
    assert!(!cashier.active && !cashier.pending);
    // The password KRA requires is never stored.
    let stored: String =
        sqlx::query_scalar("SELECT request_json FROM etims_branch_user WHERE kra_user_id = ?")
            .bind(&cashier.kra_user_id)
            .fetch_one(&crate::support::raw(&f.dir.path().join("acme.hesabu")).await)
            .await
            .unwrap();
    assert!(!stored.contains("pwd"), "{stored}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_shows_kras_lists_and_queues_users_as_json() {
    let f = fixture().await;
    one_signed_invoice(&f).await;
    refresh(&f, &f.admin).await;
    let company = f.dir.path().join("acme.hesabu");
    let company = company.to_str().unwrap().to_owned();
    let run = |args: &[&str]| {
        let mut argv = vec![
            "--company".to_owned(),
            company.clone(),
            "--as".into(),
            crate::support::ADMIN_EMAIL.into(),
            "--json".into(),
        ];
        argv.extend(args.iter().map(|a| (*a).to_owned()));
        async move {
            let args: Vec<&str> = argv.iter().map(String::as_str).collect();
            crate::support::hesabu(
                &args,
                crate::support::env(Some(crate::support::ADMIN_PASSWORD), None),
            )
            .await
        }
    };
    let out = run(&["etims", "kra", "sales"]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let sales = out.json();
    assert_eq!(sales["records"][0]["invc_no"], 1, "{sales}");
    assert_eq!(sales["records"][0]["trd_invc_no"], "INV-000001");
    assert_eq!(sales["reconciliation"]["complete"], true);
    assert_eq!(
        sales["reconciliation"]["missing_locally"],
        serde_json::json!([])
    );
    let out = run(&["etims", "kra", "branches"]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.json()["records"][0]["this_device"],
        true,
        "{}",
        out.stdout
    );
    let out = run(&["etims", "kra", "status"]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json().as_array().unwrap().len(), 6);
    let out = run(&["etims", "users", "register"]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json()["queued"], serde_json::json!(["admin@acme.test"]));
    let out = run(&["etims", "users", "list"]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json()[0]["state"], "queued", "{}", out.stdout);
    // A list that does not exist is refused by the parser, as invalid input.
    let out = run(&["etims", "kra", "stock"]).await;
    assert_ne!(out.code, 0);
    assert_eq!(out.error_json()["error"]["kind"], "invalid_input");
    assert!(
        out.stderr.contains("unrecognized subcommand 'stock'"),
        "{}",
        out.stderr
    );
}

/// A user added or deactivated through the app's user service (what the desktop and the CLI
/// call) is queued for KRA in the same transaction: sent at the next drain, not a day later.
/// Without a device, adding a user queues nothing.
#[tokio::test]
async fn a_user_added_or_deactivated_in_the_app_reaches_kra_at_the_next_drain() {
    let f = fixture().await;
    let new = |email: &str, name: &str| NewUser {
        email: email.into(),
        name: name.into(),
        role: Role::FinanceUser,
        manager_email: None,
        department: None,
        password: "user-pass-123".into(),
    };
    // No device yet: the user is added, nothing waits for KRA.
    hesabu_app::users::add(&f.file, &f.admin, &new("early@acme.test", "Early Bird"))
        .await
        .unwrap();
    let waiting = hesabu_store::outbox::list(&f.file, &f.admin, None, 100)
        .await
        .unwrap();
    assert!(waiting.is_empty(), "{waiting:?}");

    init(&f).await;
    hesabu_app::users::add(
        &f.file,
        &f.admin,
        &new("cashier@acme.test", "Wanjiru Cashier"),
    )
    .await
    .unwrap();
    // The new user and everyone KRA does not hold yet, in the add's own transaction.
    let rows = hesabu_store::outbox::list(&f.file, &f.admin, None, 100)
        .await
        .unwrap();
    assert_eq!(
        rows.iter()
            .filter(|r| r.operation == kra_records::BRANCH_USER_OPERATION)
            .count(),
        3,
        "{rows:?}"
    );
    drain(&f).await;
    let sent = |name: &str| {
        f.sandbox
            .received()
            .into_iter()
            .filter(|c| c.endpoint == Endpoint::SaveBranchUser && c.body.contains(name))
            .map(|c| c.body)
            .collect::<Vec<_>>()
    };
    assert_eq!(sent("Wanjiru Cashier").len(), 1);

    hesabu_app::users::deactivate(&f.file, &f.admin, "cashier@acme.test")
        .await
        .unwrap();
    drain(&f).await;
    let calls = sent("Wanjiru Cashier");
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert!(calls[1].contains("\"useYn\":\"N\""), "{}", calls[1]);

    // A refused add leaves nothing behind: no user, no row for KRA.
    let before = hesabu_store::outbox::list(&f.file, &f.admin, None, 100)
        .await
        .unwrap()
        .len();
    let err = hesabu_app::users::add(&f.file, &f.admin, &new("cashier@acme.test", "Again"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("already exists"), "{err}");
    let after = hesabu_store::outbox::list(&f.file, &f.admin, None, 100)
        .await
        .unwrap()
        .len();
    assert_eq!(before, after);
}
