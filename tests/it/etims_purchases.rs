//! Purchases at KRA e-TIMS, through the product (`hesabu_app::etims::purchases`): the sales
//! suppliers declared against the PIN fetched once each, lines mapped to the company's items,
//! answers sent with the device's own purchase counter (apart from the sales `invcNo`), a KRA
//! refusal kept verbatim without losing the number, and who may do what. The go-live cases
//! (15, 16) are in `etims_golive`.

use std::time::Duration;

use hesabu_app::etims::device::{self, DeviceSetup};
use hesabu_app::etims::purchases::{self, PurchaseAnswer, PurchaseState, PurchaseView};
use hesabu_app::etims::{Timeouts, targets_for_file};
use hesabu_core::sales::fiscal::{self as ledger, GatewayProfile};
use hesabu_core::sales::items::{self, ItemView, NewItem};
use hesabu_core::users::{self, NewUser};
use hesabu_etims::Endpoint;
use hesabu_etims_sandbox::{CONSUMER_KEY, CONSUMER_SECRET, Fault};
use hesabu_store::auth::Session;
use hesabu_store::error::ErrorKind;
use hesabu_store::outbox::{ClockSleeper, Drainer, Targets};
use hesabu_store::permissions::Role;
use rust_decimal::Decimal;
use serde_json::Value;

use crate::etims_support::{Fixture, SERIAL, fixture};

const TIN: &str = "P051234567X";
/// The supplier sale the sandbox declares against every taxpayer.
const SUPPLIER: &str = "Mombasa Wholesale Supplies Ltd";

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

async fn init_integrator(f: &Fixture) {
    device::init(
        &f.file,
        &f.admin,
        f.secrets.as_ref(),
        &DeviceSetup {
            profile: GatewayProfile::Integrator,
            base_url: Some(f.sandbox.integrator_base_url()),
            consumer_key: Some(CONSUMER_KEY.into()),
            consumer_secret: Some(CONSUMER_SECRET.into()),
            token_url: Some(f.sandbox.token_url()),
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

async fn refresh(f: &Fixture) -> purchases::PurchasesRefresh {
    purchases::refresh(&f.file, &f.admin, f.secrets.as_ref(), timeouts())
        .await
        .unwrap()
}

async fn item(f: &Fixture, code: &str, name: &str, product_type: &str) -> ItemView {
    items::add(
        &f.file,
        &f.admin,
        &NewItem {
            code: code.into(),
            name: name.into(),
            classification_code: Some("44121600".into()),
            packaging_unit: Some("NT".into()),
            quantity_unit: Some("BA".into()),
            tax_type: "B".into(),
            product_type: product_type.into(),
            unit_price: Decimal::from(130),
            ..Default::default()
        },
    )
    .await
    .unwrap()
}

/// The one supplier sale waiting for review.
async fn waiting(f: &Fixture) -> PurchaseView {
    let list = purchases::list(&f.file, &f.admin, Some(PurchaseState::AwaitingReview))
        .await
        .unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    purchases::show(&f.file, &f.admin, &list[0].id)
        .await
        .unwrap()
}

async fn show(f: &Fixture, id: &str) -> PurchaseView {
    purchases::show(&f.file, &f.admin, id).await.unwrap()
}

/// KRA's confirmed purchases of the device: number → the JSON received.
fn at_kra(f: &Fixture) -> Vec<(u64, Value)> {
    f.sandbox
        .purchases_of(TIN, "00")
        .into_iter()
        .map(|(n, body)| (n, serde_json::from_str(&body).unwrap()))
        .collect()
}

async fn user(f: &Fixture, email: &str, role: Role) -> Session {
    users::add(
        &f.file,
        &f.admin,
        &NewUser {
            email: email.into(),
            name: "Some One".into(),
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

/// Sets KRA's watermark of the purchases list back to the start, as a lost watermark (or a
/// restored backup) would: the next pull lists every supplier sale again.
fn forget_watermark(f: &Fixture) {
    let db = rusqlite::Connection::open(f.dir.path().join("acme.hesabu")).unwrap();
    db.busy_timeout(Duration::from_secs(10)).unwrap();
    let changed = db
        .execute(
            "UPDATE etims_kra_sync SET last_req_dt = NULL WHERE list = 'purchases'",
            [],
        )
        .unwrap();
    assert_eq!(changed, 1);
}

#[tokio::test]
async fn fetching_twice_stores_each_supplier_sale_once() {
    let f = fixture().await;
    init(&f).await;
    let first = refresh(&f).await;
    assert_eq!((first.received, first.new), (1, 1), "{first:?}");
    assert!(first.watermark.is_some());
    let again = refresh(&f).await;
    assert_eq!(again.new, 0, "{again:?}");
    assert_ne!(again.last_req_dt_sent, "20180101000000");
    // Even when KRA lists it again from the start: still one.
    forget_watermark(&f);
    let from_start = refresh(&f).await;
    assert_eq!(from_start.last_req_dt_sent, "20180101000000");
    assert_eq!((from_start.received, from_start.new), (1, 0));
    let all = purchases::list(&f.file, &f.admin, None).await.unwrap();
    assert_eq!(all.len(), 1, "{all:?}");
    let p = show(&f, &all[0].id).await;
    // The supplier's sale verbatim: its name, band totals and lines.
    assert_eq!(p.supplier_name.as_deref(), Some(SUPPLIER));
    assert_eq!(
        (p.supplier_tin.as_str(), p.supplier_bhf_id.as_str()),
        ("P052223334R", "00")
    );
    assert_eq!(p.supplier_invc_no, 1041);
    assert_eq!(
        (
            p.total_taxable.as_deref(),
            p.total_tax.as_deref(),
            p.total.as_deref()
        ),
        (Some("1000"), Some("160"), Some("1160"))
    );
    assert_eq!(p.lines.len(), 1);
    assert_eq!(
        p.lines[0].supplier_item_nm.as_deref(),
        Some("A4 paper, 80 gsm")
    );
    assert_eq!(p.lines[0].quantity.as_deref(), Some("10"));
    // Nothing of ours matches: nothing proposed.
    assert_eq!(p.lines[0].item_id, None);
    assert_eq!(p.state, PurchaseState::AwaitingReview);
}

#[tokio::test]
async fn accepting_confirms_at_kra_with_our_own_next_purchase_number() {
    let f = fixture().await;
    init(&f).await;
    // A signed sale first: the sales counter is at 1 (and moved to 41 by hand), the purchase
    // counter is not.
    one_signed_sale(&f).await;
    ledger::set_counter(&f.file, &f.admin, 41).await.unwrap();
    let paper = item(&f, "PAPER-A4", "A4 paper, 80 gsm", "finished_good").await;
    refresh(&f).await;
    let p = waiting(&f).await;
    assert_eq!(p.lines[0].item_id.as_deref(), Some(paper.id.as_str()));
    assert_eq!(p.lines[0].mapped_by.as_deref(), Some("proposed"));
    let answered = purchases::accept(&f.file, &f.admin, &p.id).await.unwrap();
    assert_eq!(answered.state, PurchaseState::Queued);
    assert_eq!(answered.answer, Some(PurchaseAnswer::Accepted));
    assert_eq!(answered.invc_no, Some(1));
    drain(&f).await;
    let done = show(&f, &p.id).await;
    assert_eq!(done.state, PurchaseState::Confirmed, "{done:?}");
    assert_eq!(done.result_cd.as_deref(), Some("000"));
    let kra = at_kra(&f);
    assert_eq!(kra.len(), 1);
    let (number, body) = &kra[0];
    assert_eq!(*number, 1);
    assert_eq!(body["invcNo"], 1);
    assert_eq!(body["orgInvcNo"], 0);
    assert_eq!(body["spplrTin"], "P052223334R");
    assert_eq!(body["spplrNm"], SUPPLIER);
    assert_eq!(body["spplrInvcNo"], 1041);
    assert_eq!(
        (
            &body["regTyCd"],
            &body["pchsTyCd"],
            &body["rcptTyCd"],
            &body["pchsSttsCd"]
        ),
        (
            &Value::from("A"),
            &Value::from("N"),
            &Value::from("P"),
            &Value::from("02")
        )
    );
    assert_eq!(body["pchsDt"], "20240101");
    assert!(body["wrhsDt"].is_string());
    assert_eq!(body["totAmt"], 1160);
    let line = &body["itemList"][0];
    assert_eq!(line["itemCd"], paper.kra_item_code.as_str());
    assert_eq!(line["spplrItemCd"], "KE2NTBA0000012");
    assert_eq!(line["spplrItemClsCd"], "44121600");
    assert_eq!(line["spplrItemNm"], "A4 paper, 80 gsm");
    assert_eq!(line["qty"], 10);
    // What KRA holds is exactly the request frozen at the answer.
    assert_eq!(
        serde_json::from_str::<Value>(done.request_json.as_deref().unwrap()).unwrap(),
        *body
    );
    // The sales counter did not move; the purchase counter did.
    let device = ledger::device(f.file.reader()).await.unwrap().unwrap();
    assert_eq!(device.last_invc_no, 41);
    assert_eq!(purchases::last_number(&f.file, &f.admin).await.unwrap(), 1);
    // The goods came in, reported after the purchase.
    let purchase_seq = f
        .sandbox
        .received()
        .iter()
        .find(|c| c.endpoint == Endpoint::SavePurchase)
        .unwrap()
        .seq;
    let stock: Vec<_> = f
        .sandbox
        .received()
        .into_iter()
        .filter(|c| c.endpoint == Endpoint::SaveStockIo)
        .collect();
    assert!(!stock.is_empty());
    assert!(stock.iter().all(|c| c.seq > purchase_seq), "{stock:?}");
}

/// A device's first signed sale (sales `invcNo` 1).
async fn one_signed_sale(f: &Fixture) {
    f.issue_service_invoice().await;
    drain(f).await;
    assert_eq!(f.sandbox.signed_sales().len(), 1);
    let device = ledger::device(f.file.reader()).await.unwrap().unwrap();
    assert_eq!(device.last_invc_no, 1);
}

#[tokio::test]
async fn a_purchase_is_answered_once() {
    let f = fixture().await;
    init(&f).await;
    let paper = item(&f, "PAPER-A4", "A4 paper, 80 gsm", "finished_good").await;
    refresh(&f).await;
    let p = waiting(&f).await;
    purchases::accept(&f.file, &f.admin, &p.id).await.unwrap();
    for second in [
        purchases::accept(&f.file, &f.admin, &p.id).await,
        purchases::reject(&f.file, &f.admin, &p.id, "changed my mind").await,
        purchases::map_line(&f.file, &f.admin, &p.id, 1, &paper.code).await,
    ] {
        let e = second.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
        assert!(
            e.to_string().contains("already accepted as purchase 1"),
            "{e}"
        );
    }
    drain(&f).await;
    let e = purchases::accept(&f.file, &f.admin, &p.id)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("(confirmed)"), "{e}");
    assert_eq!(at_kra(&f).len(), 1);
    // One number taken, one row sent.
    assert_eq!(purchases::last_number(&f.file, &f.admin).await.unwrap(), 1);
    assert_eq!(f.sandbox.count(Endpoint::SavePurchase), 1);
}

#[tokio::test]
async fn rejecting_sends_it_cancelled_with_the_reason_and_no_mapping() {
    let f = fixture().await;
    init(&f).await;
    refresh(&f).await;
    let p = waiting(&f).await;
    let e = purchases::reject(&f.file, &f.admin, &p.id, "  ")
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    let answered = purchases::reject(&f.file, &f.admin, &p.id, "Goods never delivered")
        .await
        .unwrap();
    assert_eq!(answered.answer, Some(PurchaseAnswer::Rejected));
    assert_eq!(answered.reason.as_deref(), Some("Goods never delivered"));
    drain(&f).await;
    assert_eq!(show(&f, &p.id).await.state, PurchaseState::Confirmed);
    let kra = at_kra(&f);
    assert_eq!(kra.len(), 1);
    let body = &kra[0].1;
    assert_eq!(body["invcNo"], 1);
    assert_eq!(body["pchsSttsCd"], "04");
    assert_eq!(body["remark"], "Goods never delivered");
    assert_eq!(body["spplrNm"], SUPPLIER);
    assert!(body.get("wrhsDt").is_none());
    // Nothing was mapped, so the line names the supplier's item only.
    assert!(body["itemList"][0].get("itemCd").is_none());
    assert_eq!(body["itemList"][0]["itemNm"], "A4 paper, 80 gsm");
    // A rejected purchase moves no stock.
    assert_eq!(f.sandbox.count(Endpoint::SaveStockIo), 0);
}

#[tokio::test]
async fn an_unmapped_line_is_refused_by_name_and_mapping_checks_its_input() {
    let f = fixture().await;
    init(&f).await;
    refresh(&f).await;
    let p = waiting(&f).await;
    let e = purchases::accept(&f.file, &f.admin, &p.id)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    let text = e.to_string();
    assert!(text.contains("line 1 (A4 paper, 80 gsm)"), "{text}");
    assert!(
        text.contains("line 1 (A4 paper, 80 gsm) is not mapped"),
        "{text}"
    );
    assert!(text.contains("purchases map"), "{text}");
    // Nothing was taken or queued.
    assert_eq!(purchases::last_number(&f.file, &f.admin).await.unwrap(), 0);
    assert_eq!(show(&f, &p.id).await.state, PurchaseState::AwaitingReview);

    let unknown = purchases::map_line(&f.file, &f.admin, &p.id, 1, "NO-SUCH")
        .await
        .unwrap_err();
    assert_eq!(unknown.kind(), ErrorKind::NotFound);
    assert!(unknown.to_string().contains("There is no item 'NO-SUCH'"));
    let paper = item(&f, "STATIONERY", "Stationery", "finished_good").await;
    let no_line = purchases::map_line(&f.file, &f.admin, &p.id, 9, "STATIONERY")
        .await
        .unwrap_err();
    assert_eq!(no_line.kind(), ErrorKind::NotFound);
    assert!(
        no_line.to_string().contains("no line 9; its lines are 1"),
        "{no_line}"
    );

    let mapped = purchases::map_line(&f.file, &f.admin, &p.id, 1, "STATIONERY")
        .await
        .unwrap();
    assert_eq!(mapped.lines[0].item_id.as_deref(), Some(paper.id.as_str()));
    assert_eq!(mapped.lines[0].mapped_by.as_deref(), Some("user"));
    purchases::accept(&f.file, &f.admin, &p.id).await.unwrap();
    drain(&f).await;
    assert_eq!(
        at_kra(&f)[0].1["itemList"][0]["itemCd"],
        paper.kra_item_code.as_str()
    );
}

#[tokio::test]
async fn a_refusal_by_kra_is_kept_verbatim_and_the_number_is_not_lost() {
    let f = fixture().await;
    init(&f).await;
    item(&f, "PAPER-A4", "A4 paper, 80 gsm", "service").await;
    refresh(&f).await;
    let p = waiting(&f).await;
    f.sandbox
        .fail_next_on(Endpoint::SavePurchase, 1, Fault::result("910"));
    purchases::accept(&f.file, &f.admin, &p.id).await.unwrap();
    drain(&f).await;
    let refused = show(&f, &p.id).await;
    assert_eq!(refused.state, PurchaseState::RejectedByKra, "{refused:?}");
    assert_eq!(refused.result_cd.as_deref(), Some("910"));
    assert!(refused.result_msg.as_deref().is_some_and(|m| !m.is_empty()));
    assert_eq!(refused.sync_state.as_deref(), Some("dead"));
    // It was the last number taken: released for the next answer.
    assert_eq!(refused.invc_no, None);
    assert_eq!(purchases::last_number(&f.file, &f.admin).await.unwrap(), 0);
    assert!(at_kra(&f).is_empty());
    // It may be answered again: the same number, and KRA takes it.
    let again = purchases::accept(&f.file, &f.admin, &p.id).await.unwrap();
    assert_eq!(again.invc_no, Some(1));
    assert_eq!(again.version, 2);
    drain(&f).await;
    let done = show(&f, &p.id).await;
    assert_eq!(done.state, PurchaseState::Confirmed, "{done:?}");
    assert_eq!(done.result_cd.as_deref(), Some("000"));
    assert_eq!(at_kra(&f).iter().map(|(n, _)| *n).collect::<Vec<_>>(), [1]);
}

#[tokio::test]
async fn on_the_integrator_the_suppliers_name_goes_back_verbatim() {
    let f = fixture().await;
    init_integrator(&f).await;
    // A service: the integrator keeps no stock of it (nothing to register first).
    let printing = item(&f, "PRINTING", "Printing", "service").await;
    refresh(&f).await;
    let p = waiting(&f).await;
    assert_eq!(p.supplier_name.as_deref(), Some(SUPPLIER));
    purchases::map_line(&f.file, &f.admin, &p.id, 1, "PRINTING")
        .await
        .unwrap();
    purchases::accept(&f.file, &f.admin, &p.id).await.unwrap();
    drain(&f).await;
    let done = show(&f, &p.id).await;
    // The integrator compares spplrNm with the supplier's sale exactly, and checks the lines'
    // inclusive arithmetic and the band totals: it took ours.
    assert_eq!(done.state, PurchaseState::Confirmed, "{done:?}");
    let kra = at_kra(&f);
    assert_eq!(kra.len(), 1);
    assert_eq!(kra[0].1["spplrNm"], SUPPLIER);
    assert_eq!(
        kra[0].1["itemList"][0]["itemCd"],
        printing.kra_item_code.as_str()
    );
    assert_eq!(f.sandbox.count(Endpoint::SaveStockIo), 0);
}

#[tokio::test]
async fn who_may_do_what_and_without_a_device() {
    let f = fixture().await;
    let e = purchases::refresh(&f.file, &f.admin, f.secrets.as_ref(), timeouts())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict);
    assert!(e.to_string().contains("no e-TIMS device"), "{e}");
    init(&f).await;
    item(&f, "PAPER-A4", "A4 paper, 80 gsm", "finished_good").await;
    refresh(&f).await;
    let p = waiting(&f).await;
    let auditor = user(&f, "audit@acme.test", Role::Auditor).await;
    // An auditor sees the purchases but may not fetch, map or answer them.
    assert_eq!(
        purchases::list(&f.file, &auditor, None)
            .await
            .unwrap()
            .len(),
        1
    );
    purchases::show(&f.file, &auditor, &p.id).await.unwrap();
    for denied in [
        purchases::accept(&f.file, &auditor, &p.id).await.err(),
        purchases::reject(&f.file, &auditor, &p.id, "no")
            .await
            .err(),
        purchases::map_line(&f.file, &auditor, &p.id, 1, "PAPER-A4")
            .await
            .err(),
        purchases::refresh(&f.file, &auditor, f.secrets.as_ref(), timeouts())
            .await
            .err(),
    ] {
        assert_eq!(denied.unwrap().kind(), ErrorKind::PermissionDenied);
    }
    // A sales rep (an employee drafts sales) may not answer either.
    let employee = user(&f, "emp@acme.test", Role::Employee).await;
    assert_eq!(
        purchases::accept(&f.file, &employee, &p.id)
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::PermissionDenied
    );
    // A finance user answers.
    let finance = user(&f, "fin@acme.test", Role::FinanceUser).await;
    purchases::accept(&f.file, &finance, &p.id).await.unwrap();
    let unknown = purchases::show(&f.file, &f.admin, "nope")
        .await
        .unwrap_err();
    assert_eq!(unknown.kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn the_cli_lists_shows_maps_and_answers_as_json() {
    let f = fixture().await;
    init(&f).await;
    let paper = item(&f, "STATIONERY", "Stationery", "finished_good").await;
    refresh(&f).await;
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
    let out = run(&["etims", "purchases", "list", "--state", "awaiting_review"]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let list = out.json();
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["supplier_name"], SUPPLIER);
    let id = list[0]["id"].as_str().unwrap().to_owned();
    let out = run(&["etims", "purchases", "show", &id]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.json()["lines"][0]["supplier_item_nm"],
        "A4 paper, 80 gsm"
    );
    // Unmapped: refused as invalid input (exit code 2), naming the line.
    let out = run(&["etims", "purchases", "accept", &id]).await;
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert_eq!(out.error_json()["error"]["kind"], "invalid_input");
    assert!(
        out.stderr.contains("line 1 (A4 paper, 80 gsm)"),
        "{}",
        out.stderr
    );
    let out = run(&["etims", "purchases", "map", &id, "1", "STATIONERY"]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json()["lines"][0]["item_id"], paper.id.as_str());
    let out = run(&["etims", "purchases", "accept", &id]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json()["state"], "queued");
    assert_eq!(out.json()["invc_no"], 1);
    let out = run(&["etims", "purchases", "reject", &id, "--reason", "late"]).await;
    assert_eq!(
        out.error_json()["error"]["kind"],
        "conflict",
        "{}",
        out.stderr
    );
    let out = run(&["etims", "purchases", "list", "--state", "nonsense"]).await;
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("awaiting_review, queued"),
        "{}",
        out.stderr
    );
}
