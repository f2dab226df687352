//! e-TIMS reference data and master data against the local sandbox (`hesabu-etims-sandbox`):
//! the bundled snapshot until KRA is pulled, incremental pulls from KRA's `resultDt`, offline
//! reading; PINs checked here then at KRA (strict blocks, lenient warns), customers and items
//! registered once (directly and through the workflows' outbox rows), item codes permanent, and
//! what all this adds to a sale's pre-send checklist.

use std::str::FromStr;
use std::time::Duration;

use hesabu_app::etims::device::{self, DeviceSetup};
use hesabu_app::etims::masters::{self, PinCheckMode, PinStatus};
use hesabu_app::etims::reference::{self, RefreshOutcome, class};
use hesabu_app::etims::{EtimsTarget, Timeouts, fiscal, targets_for_file};
use hesabu_core::approvals::sales_gate;
use hesabu_core::sales::SalesType;
use hesabu_core::sales::customers::{self, NewCustomer};
use hesabu_core::sales::documents::{self as sales, NewSale, NewSaleLine, SaleView};
use hesabu_core::sales::fiscal as ledger;
use hesabu_core::sales::items::{self, ItemView, NewItem};
use hesabu_core::sales::tax::PriceBasis;
use hesabu_core::workflows::{self, WorkflowType};
use hesabu_etims::Endpoint;
use hesabu_etims::types::reference::{Code, ItemClass};
use hesabu_etims_sandbox::{ACTIVE_PIN, CONSUMER_KEY, CONSUMER_SECRET, Fault, INACTIVE_PIN};
use hesabu_store::outbox::{
    self, ClockSleeper, DrainSummary, Drainer, OutboxItem, OutboxState, Target, Targets,
};
use rust_decimal::Decimal;

use crate::etims_support::SERIAL;
use crate::support;

/// Well-formed PINs the sandbox does not know.
const UNKNOWN_PIN: &str = "A123456789B";
const NEVER_CHECKED_PIN: &str = "A987654321C";

fn timeouts() -> Timeouts {
    Timeouts::all(Duration::from_secs(2))
}

/// The shared e-TIMS fixture ([`crate::etims_support`]) with this module's own helpers.
struct Fixture(crate::etims_support::Fixture);

impl std::ops::Deref for Fixture {
    type Target = crate::etims_support::Fixture;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

async fn fixture() -> Fixture {
    Fixture(crate::etims_support::fixture().await)
}

impl Fixture {
    async fn init(&self) {
        let setup = DeviceSetup {
            base_url: Some(self.sandbox.legacy_base_url()),
            ..DeviceSetup::legacy(SERIAL)
        };
        device::init(
            &self.file,
            &self.admin,
            self.secrets.as_ref(),
            &setup,
            timeouts(),
        )
        .await
        .unwrap();
    }

    async fn init_integrator(&self) {
        let setup = DeviceSetup {
            profile: ledger::GatewayProfile::Integrator,
            base_url: Some(self.sandbox.integrator_base_url()),
            consumer_key: Some(CONSUMER_KEY.into()),
            consumer_secret: Some(CONSUMER_SECRET.into()),
            token_url: Some(self.sandbox.token_url()),
            ..DeviceSetup::legacy(SERIAL)
        };
        device::init(
            &self.file,
            &self.admin,
            self.secrets.as_ref(),
            &setup,
            timeouts(),
        )
        .await
        .unwrap();
    }

    async fn refresh(&self) -> reference::RefreshReport {
        reference::refresh(&self.file, &self.admin, self.secrets.as_ref(), timeouts())
            .await
            .unwrap()
    }

    async fn customer(&self, name: &str, pin: Option<&str>) -> customers::CustomerView {
        customers::add(
            &self.file,
            &self.admin,
            &NewCustomer {
                name: name.into(),
                kra_pin: pin.map(str::to_owned),
                ..Default::default()
            },
        )
        .await
        .unwrap()
    }

    async fn item(&self, code: &str, class: &str, unit: &str, tax: &str) -> ItemView {
        items::add(
            &self.file,
            &self.admin,
            &NewItem {
                code: code.into(),
                name: format!("Service {code}"),
                classification_code: Some(class.into()),
                packaging_unit: Some("OU".into()),
                quantity_unit: Some(unit.into()),
                tax_type: tax.into(),
                product_type: "service".into(),
                unit_price: Decimal::new(100_000, 2),
                ..Default::default()
            },
        )
        .await
        .unwrap()
    }

    /// Issues an invoice of one unit of `item` to `customer`.
    async fn invoice(&self, customer: Option<&str>, item: &str) -> SaleView {
        let line = NewSaleLine {
            item: Some(item.into()),
            quantity: Decimal::ONE,
            ..Default::default()
        };
        let new = NewSale {
            price_basis: Some(PriceBasis::Exclusive),
            ..NewSale::new(SalesType::Invoice, customer, vec![line])
        };
        let draft = sales::create(&self.file, &self.admin, &new).await.unwrap();
        sales_gate::issue(&self.file, &self.admin, &draft.id)
            .await
            .unwrap()
    }

    async fn enable(&self, workflow: WorkflowType) {
        let on = serde_json::json!({ "enabled": true, "autoSync": true });
        workflows::set(&self.file, &self.admin, workflow, &on)
            .await
            .unwrap();
    }

    async fn drain(&self) -> DrainSummary {
        let targets = targets_for_file(
            &self.file,
            self.secrets.as_ref(),
            &Targets::new(),
            timeouts(),
        )
        .await
        .unwrap();
        let drainer = Drainer::new(
            self.file.clone(),
            targets,
            ClockSleeper::new(self.clock.clone()),
        )
        .unwrap();
        drainer.recover().await.unwrap();
        drainer.drain_until_idle().await.unwrap()
    }

    async fn client(&self) -> hesabu_etims::Client {
        device::client(&self.file, self.secrets.as_ref(), timeouts())
            .await
            .unwrap()
            .unwrap()
    }

    fn bodies(&self, endpoint: Endpoint) -> Vec<serde_json::Value> {
        self.sandbox
            .received()
            .into_iter()
            .filter(|c| c.endpoint == endpoint)
            .map(|c| serde_json::from_str(&c.body).unwrap())
            .collect()
    }

    async fn show_item(&self, code: &str) -> ItemView {
        items::show(&self.file, &self.admin, code).await.unwrap()
    }
}

fn codes_of(problems: &[fiscal::Problem]) -> Vec<&str> {
    problems.iter().map(|p| p.code.as_str()).collect()
}

#[tokio::test]
async fn reference_data_is_the_bundled_snapshot_until_pulled_then_incremental_and_offline() {
    let f = fixture().await;
    f.init().await;

    // Nothing pulled: the readers give the bundled snapshot (in memory, no KRA call).
    let codes = reference::codes(f.file.reader()).await.unwrap();
    assert_eq!(codes.source.describe(), "bundled snapshot of 2024-04-24");
    assert_eq!(codes.tax_rate("B"), Some(Decimal::from(16)));
    assert_eq!(codes.tax_rate("E"), Some(Decimal::from(8)));
    assert!(
        codes.has(class::COUNTRY, "DE"),
        "ISO countries in the snapshot"
    );
    assert_eq!(f.sandbox.count(Endpoint::CodeList), 0);
    // First use writes it into the file (audited); it says so.
    let shown = reference::show_codes(&f.file, &f.admin).await.unwrap();
    assert_eq!(shown.source.describe(), "bundled snapshot of 2024-04-24");
    let status = reference::status(&f.file, &f.admin).await.unwrap();
    assert!(status.lists[0].records > 400, "{status:?}");
    assert_eq!(status.lists[0].state.last_req_dt, None);
    assert_eq!(
        status.lists[0].state.snapshot_of.as_deref(),
        Some("2024-04-24")
    );

    // The first pull is full (lastReqDt 20180101000000) and replaces the snapshot with KRA's
    // lists: the sandbox's country list has no DE.
    let first = f.refresh().await;
    for l in &first.lists {
        assert_eq!(l.outcome, RefreshOutcome::Updated, "{l:?}");
        assert_eq!(l.last_req_dt_sent, "20180101000000");
        assert!(l.watermark.is_some(), "{l:?}");
    }
    assert_eq!(first.lists[1].received, 12, "the sandbox's item classes");
    assert_eq!(first.lists[2].new_notices, 1);
    assert!(first.snapshot_loaded.is_none());
    let codes = reference::codes(f.file.reader()).await.unwrap();
    assert!(
        codes
            .source
            .describe()
            .starts_with("KRA's code lists as of"),
        "{:?}",
        codes.source
    );
    assert!(codes.has(class::COUNTRY, "KE") && !codes.has(class::COUNTRY, "DE"));
    assert_eq!(codes.tax_rate("B"), Some(Decimal::from(16)));
    assert_eq!(codes.payment_types().len(), 7);
    let bread = reference::item_class(f.file.reader(), "5059690800")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(bread.tax_type.as_deref(), Some("C"));

    // The next pull sends each list's watermark (KRA's resultDt) and KRA has nothing new.
    let second = f.refresh().await;
    for (l, before) in second.lists.iter().zip(&first.lists) {
        assert_eq!(l.outcome, RefreshOutcome::Unchanged, "{l:?}");
        assert_eq!(Some(&l.last_req_dt_sent), before.watermark.as_ref());
    }
    let sent = f.bodies(Endpoint::CodeList);
    assert_eq!(
        sent.last().unwrap()["lastReqDt"].as_str(),
        first.lists[0].watermark.as_deref()
    );

    // KRA changes things: only the changes come back.
    f.sandbox.put_code(
        class::PAYMENT_TYPE,
        "Payment Type",
        Code {
            cd: "08".into(),
            cd_nm: Some("M-PESA".into()),
            use_yn: Some("Y".into()),
            srt_ord: Some(8),
            ..Code::default()
        },
    );
    f.sandbox.put_item_class(ItemClass {
        item_cls_cd: "5020230000".into(),
        item_cls_nm: Some("Soft drinks".into()),
        item_cls_lvl: Some(5),
        tax_ty_cd: Some("B".into()),
        mjr_tg_yn: None,
        use_yn: Some("Y".into()),
    });
    f.sandbox
        .publish_notice("System maintenance", "e-TIMS is down on Sunday night.");
    let third = f.refresh().await;
    let received: Vec<usize> = third.lists.iter().map(|l| l.received).collect();
    assert_eq!(received, vec![1, 1, 1], "{third:?}");
    assert_eq!(third.lists[2].new_notices, 1);
    let codes = reference::codes(f.file.reader()).await.unwrap();
    assert_eq!(
        codes.payment_type_named("m-pesa").map(|c| c.code.as_str()),
        Some("08")
    );
    assert_eq!(codes.payment_types().len(), 8);
    let notices = reference::notices(&f.file, &f.admin).await.unwrap();
    assert_eq!(notices.len(), 2);
    assert_eq!(notices[0].title.as_deref(), Some("System maintenance"));

    // Offline: every pull fails and says so; the cache keeps working.
    f.sandbox.fail_next(3, Fault::Drop);
    let offline = f.refresh().await;
    for (l, before) in offline.lists.iter().zip(&third.lists) {
        assert_eq!(l.outcome, RefreshOutcome::Failed, "{l:?}");
        assert!(
            l.error
                .as_deref()
                .is_some_and(|e| e.contains("Could not pull")),
            "{l:?}"
        );
        assert_eq!(l.watermark, before.watermark, "the watermark stays");
    }
    let codes = reference::codes(f.file.reader()).await.unwrap();
    assert!(codes.has(class::PAYMENT_TYPE, "08"));
    let status = reference::status(&f.file, &f.admin).await.unwrap();
    assert!(status.lists.iter().all(|l| l.state.last_error.is_some()));

    let audit = hesabu_store::audit::verify(&f.file, &f.admin)
        .await
        .unwrap();
    assert!(audit.first_broken.is_none());
}

#[tokio::test]
async fn a_file_without_a_pull_gets_the_snapshot_when_kra_cannot_be_reached() {
    let f = fixture().await;
    f.init().await;
    f.sandbox.fail_next(3, Fault::Http(503));
    let report = f.refresh().await;
    assert!(
        report
            .lists
            .iter()
            .all(|l| l.outcome == RefreshOutcome::Failed)
    );
    assert_eq!(report.snapshot_loaded.as_deref(), Some("2024-04-24"));
    assert_eq!(report.codes_source, "bundled snapshot of 2024-04-24");
    // Then KRA answers: the first pull is still a full one.
    let report = f.refresh().await;
    assert_eq!(report.lists[0].last_req_dt_sent, "20180101000000");
    assert_eq!(report.lists[0].outcome, RefreshOutcome::Updated);
}

#[tokio::test]
async fn a_pin_is_checked_here_then_at_kra_and_strict_mode_blocks_the_sale_lenient_warns() {
    let f = fixture().await;
    f.init().await;
    let check = |pin: &'static str| {
        let f = &f;
        async move { masters::check_pin(&f.file, &f.admin, f.secrets.as_ref(), pin, timeouts()).await }
    };
    // The format is checked here first: KRA is not asked.
    let err = check("12345").await.unwrap_err();
    assert!(err.to_string().contains("not valid"), "{err}");
    assert_eq!(f.sandbox.count(Endpoint::CustomerPin), 0);

    let active = check(ACTIVE_PIN).await.unwrap();
    assert!(active.allowed);
    assert_eq!(active.record.status, PinStatus::Active);
    assert_eq!(active.record.taxpayer_name.as_deref(), Some("Ralph Jr"));
    let inactive = check(INACTIVE_PIN).await.unwrap();
    assert_eq!(inactive.record.status, PinStatus::Inactive);
    assert!(!inactive.allowed);
    assert!(
        inactive.message.contains("pin-check lenient"),
        "{inactive:?}"
    );
    let unknown = check(UNKNOWN_PIN).await.unwrap();
    assert_eq!(unknown.record.status, PinStatus::NotFound);
    assert_eq!(unknown.record.result_cd, "001");
    assert!(!unknown.allowed);
    assert_eq!(f.sandbox.count(Endpoint::CustomerPin), 3);

    // A sale to the inactive PIN: strict mode blocks it in the checklist, lenient warns.
    f.customer("Dormant Traders", Some(INACTIVE_PIN)).await;
    f.item("FOC", "81121500", "U", "B").await;
    let dormant = f.invoice(Some("Dormant Traders"), "FOC").await;
    let list = fiscal::checklist(&f.file, &f.admin, &dormant.id)
        .await
        .unwrap();
    assert!(!list.ready);
    assert!(
        codes_of(&list.problems).contains(&"customer_pin_inactive"),
        "{list:?}"
    );
    masters::set_pin_check(&f.file, &f.admin, PinCheckMode::Lenient)
        .await
        .unwrap();
    let list = fiscal::checklist(&f.file, &f.admin, &dormant.id)
        .await
        .unwrap();
    assert!(list.ready, "{list:?}");
    assert!(codes_of(&list.warnings).contains(&"customer_pin_inactive"));
    // An unregistered item on the legacy gateway is a warning, not a blocker.
    assert!(codes_of(&list.warnings).contains(&"item_not_registered"));
    masters::set_pin_check(&f.file, &f.admin, PinCheckMode::Strict)
        .await
        .unwrap();

    // A sale to a PIN never looked up: ready (with a warning) until it is sent; the send looks
    // the PIN up first, KRA does not know it, and nothing is numbered or signed.
    f.enable(WorkflowType::InvoiceSync).await;
    f.customer("Ghost Buyer", Some(NEVER_CHECKED_PIN)).await;
    let ghost = f.invoice(Some("Ghost Buyer"), "FOC").await;
    let list = fiscal::checklist(&f.file, &f.admin, &ghost.id)
        .await
        .unwrap();
    assert!(list.ready, "{list:?}");
    assert!(codes_of(&list.warnings).contains(&"pin_not_checked"));
    let before = f.sandbox.count(Endpoint::CustomerPin);
    let summary = f.drain().await;
    assert_eq!((summary.done, summary.dead), (0, 1), "{summary:?}");
    assert_eq!(f.sandbox.count(Endpoint::CustomerPin), before + 1);
    let dead = outbox::list(&f.file, &f.admin, Some(OutboxState::Dead), 10)
        .await
        .unwrap();
    let message = dead[0].last_error_message.clone().unwrap();
    assert!(
        message.contains("does not know PIN") && message.contains(ghost.number.as_deref().unwrap()),
        "{message}"
    );
    assert!(f.sandbox.signed_sales().is_empty());
    assert_eq!(f.sandbox.count(Endpoint::SaveSale), 0);
    let device = ledger::show_device(&f.file, &f.admin)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(device.last_invc_no, 0, "no number was taken");
}

#[tokio::test]
async fn customers_are_registered_once_directly_and_through_the_workflow_row() {
    let f = fixture().await;
    f.init().await;
    let ralph = f.customer("Ralph Jr", Some(ACTIVE_PIN)).await;
    let view = masters::register_customer(
        &f.file,
        &f.admin,
        f.secrets.as_ref(),
        &ralph.number,
        timeouts(),
    )
    .await
    .unwrap();
    assert_eq!(
        (view.state.as_str(), view.sent, view.kra_code.as_str()),
        ("registered", true, ralph.number.as_str())
    );
    let sent = f.bodies(Endpoint::SaveBranchCustomer);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["custTin"], ACTIVE_PIN);
    assert_eq!(sent[0]["custNo"], ralph.number.as_str());
    assert_eq!(sent[0]["custNm"], "Ralph Jr");
    assert_eq!(sent[0]["useYn"], "Y");
    let shown = customers::show(&f.file, &f.admin, &ralph.id).await.unwrap();
    assert_eq!(shown.etims_state, "registered");
    // Unchanged: nothing is sent again.
    let again =
        masters::register_customer(&f.file, &f.admin, f.secrets.as_ref(), &ralph.id, timeouts())
            .await
            .unwrap();
    assert!(!again.sent);
    assert_eq!(f.bodies(Endpoint::SaveBranchCustomer).len(), 1);

    // The customer workflow's rows now register through the e-TIMS target.
    f.enable(WorkflowType::CustomerSync).await;
    let acme = f.customer("Acme Supplies", Some("P000000003Y")).await;
    f.sandbox
        .register_taxpayer("P000000003Y", "Acme Supplies Ltd");
    let summary = f.drain().await;
    assert_eq!((summary.done, summary.dead), (1, 0), "{summary:?}");
    let done = outbox::list(&f.file, &f.admin, Some(OutboxState::Done), 10)
        .await
        .unwrap();
    assert_eq!(done[0].remote_ref.as_deref(), Some(acme.number.as_str()));
    let shown = customers::show(&f.file, &f.admin, &acme.id).await.unwrap();
    assert_eq!(shown.etims_state, "registered");
    assert_eq!(f.bodies(Endpoint::SaveBranchCustomer).len(), 2);

    // A change is sent again under the same custNo.
    customers::edit(
        &f.file,
        &f.admin,
        &acme.id,
        &NewCustomer {
            name: "Acme Supplies".into(),
            kra_pin: Some("P000000003Y".into()),
            address: Some("Moi Avenue, Mombasa".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let summary = f.drain().await;
    assert_eq!(summary.done, 1, "{summary:?}");
    let sent = f.bodies(Endpoint::SaveBranchCustomer);
    assert_eq!(sent.len(), 3);
    assert_eq!(sent[2]["custNo"], acme.number.as_str());
    assert_eq!(sent[2]["adrs"], "Moi Avenue, Mombasa");

    // Strict PIN checks: a customer whose PIN KRA lists as inactive is not registered; the row
    // fails with what to do and the customer is marked failed.
    let dormant = f.customer("Dormant Traders", Some(INACTIVE_PIN)).await;
    let summary = f.drain().await;
    assert_eq!(summary.dead, 1, "{summary:?}");
    let dead = outbox::list(&f.file, &f.admin, Some(OutboxState::Dead), 10)
        .await
        .unwrap();
    let message = dead[0].last_error_message.clone().unwrap();
    assert!(
        message.contains("inactive") && message.contains("pin-check lenient"),
        "{message}"
    );
    let shown = customers::show(&f.file, &f.admin, &dormant.id)
        .await
        .unwrap();
    assert_eq!(shown.etims_state, "failed");
    let reg = masters::registration(&f.file, &f.admin, "customer", &dormant.number)
        .await
        .unwrap();
    assert!(reg.result_msg.unwrap().contains("inactive"));
    assert_eq!(
        f.bodies(Endpoint::SaveBranchCustomer).len(),
        3,
        "nothing sent"
    );

    // Lenient: registered, with the warning kept.
    masters::set_pin_check(&f.file, &f.admin, PinCheckMode::Lenient)
        .await
        .unwrap();
    outbox::retry(&f.file, &f.admin, &dead[0].id).await.unwrap();
    let summary = f.drain().await;
    assert_eq!(summary.done, 1, "{summary:?}");
    let reg = masters::registration(&f.file, &f.admin, "customer", &dormant.number)
        .await
        .unwrap();
    assert_eq!(reg.state, "registered");
    assert!(
        reg.warnings.iter().any(|w| w.contains("inactive")),
        "{reg:?}"
    );

    let audit = hesabu_store::audit::verify(&f.file, &f.admin)
        .await
        .unwrap();
    assert!(audit.first_broken.is_none());
}

#[tokio::test]
async fn items_are_checked_against_the_cache_registered_once_and_their_code_never_changes() {
    let f = fixture().await;
    f.init().await;
    let foc = f.item("FOC", "81121500", "U", "B").await;
    f.item("BREAD", "5059690800", "NO", "B").await;
    f.item("ODD", "99999999", "NO", "B").await;

    // Before KRA's item classes were pulled, a class cannot be called unknown.
    let odd = masters::check_item(&f.file, &f.admin, "ODD").await.unwrap();
    assert!(odd.ready, "{odd:?}");
    assert!(codes_of(&odd.warnings).contains(&"item_classes_not_pulled"));
    assert_eq!(odd.codes_source, "bundled snapshot of 2024-04-24");

    f.refresh().await;
    let odd = masters::check_item(&f.file, &f.admin, "ODD").await.unwrap();
    assert!(!odd.ready);
    assert_eq!(codes_of(&odd.problems), vec!["classification_unknown"]);
    let bread = masters::check_item(&f.file, &f.admin, "BREAD")
        .await
        .unwrap();
    assert!(bread.ready, "{bread:?}");
    assert_eq!(codes_of(&bread.warnings), vec!["tax_type_differs"]);
    assert!(bread.warnings[0].message.contains("expects tax type C"));

    // A sale's checklist gains the same checks.
    f.customer("Ralph Jr", Some(ACTIVE_PIN)).await;
    let sale = f.invoice(Some("Ralph Jr"), "ODD").await;
    let list = fiscal::checklist(&f.file, &f.admin, &sale.id)
        .await
        .unwrap();
    assert!(!list.ready);
    assert!(codes_of(&list.problems).contains(&"classification_unknown"));

    // Registering: the itemCd the ledger built (spec §7.1), the fields KRA needs.
    let view = masters::register_item(&f.file, &f.admin, f.secrets.as_ref(), "FOC", timeouts())
        .await
        .unwrap();
    assert_eq!(
        (view.state.as_str(), view.sent, view.kra_code.as_str()),
        ("registered", true, foc.kra_item_code.as_str())
    );
    assert_eq!(view.kra_code, "KE3OUXU0000001");
    let sent = f.bodies(Endpoint::SaveItem);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["itemCd"], "KE3OUXU0000001");
    assert_eq!(sent[0]["itemClsCd"], "81121500");
    assert_eq!(sent[0]["itemTyCd"], "3");
    assert_eq!(sent[0]["qtyUnitCd"], "U");
    assert_eq!(sent[0]["taxTyCd"], "B");
    assert_eq!(
        Decimal::from_str(&sent[0]["dftPrc"].to_string()).unwrap(),
        Decimal::from(1000)
    );
    assert_eq!(f.show_item("FOC").await.etims_state, "registered");
    // Unchanged: nothing sent, directly or through the target.
    let again = masters::register_item(&f.file, &f.admin, f.secrets.as_ref(), "FOC", timeouts())
        .await
        .unwrap();
    assert!(!again.sent);
    let target = EtimsTarget::new(f.file.clone(), f.client().await);
    let row = OutboxItem {
        id: "manual".into(),
        seq: 1,
        target: "etims".into(),
        operation: "item.save".into(),
        payload: serde_json::json!({ "entity_id": foc.id }).to_string(),
        idempotency_key: "manual".into(),
        ordering_key: None,
        attempts: 1,
    };
    let ack = target.send(&row).await.unwrap();
    assert_eq!(ack.remote_ref.as_deref(), Some("KE3OUXU0000001"));
    assert_eq!(ack.result.unwrap()["sent"], false);
    assert_eq!(f.bodies(Endpoint::SaveItem).len(), 1);

    // A blocked item is not sent, and is marked failed with what to fix.
    let err = masters::register_item(&f.file, &f.admin, f.secrets.as_ref(), "ODD", timeouts())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("99999999"), "{err}");
    assert_eq!(f.show_item("ODD").await.etims_state, "failed");
    assert_eq!(f.bodies(Endpoint::SaveItem).len(), 1);

    // The item workflow's rows: a changed item is sent again under the same itemCd.
    f.enable(WorkflowType::ItemSync).await;
    let change = NewItem {
        code: "FOC".into(),
        name: "Fiscal Optimisation Consultancy".into(),
        classification_code: Some("81121500".into()),
        packaging_unit: Some("OU".into()),
        quantity_unit: Some("U".into()),
        tax_type: "B".into(),
        product_type: "service".into(),
        unit_price: Decimal::new(120_000, 2),
        ..Default::default()
    };
    items::edit(&f.file, &f.admin, "FOC", &change)
        .await
        .unwrap();
    let summary = f.drain().await;
    assert_eq!((summary.done, summary.dead), (1, 0), "{summary:?}");
    let sent = f.bodies(Endpoint::SaveItem);
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[1]["itemCd"], "KE3OUXU0000001");
    assert_eq!(sent[1]["itemNm"], "Fiscal Optimisation Consultancy");

    // Its units cannot drift from its registered code any more.
    let drift = NewItem {
        quantity_unit: Some("NO".into()),
        ..change
    };
    items::edit(&f.file, &f.admin, "FOC", &drift).await.unwrap();
    let check = masters::check_item(&f.file, &f.admin, "FOC").await.unwrap();
    assert_eq!(codes_of(&check.problems), vec!["item_code_mismatch"]);
    assert_eq!(check.item_cd, "KE3OUXU0000001");
    let summary = f.drain().await;
    assert_eq!(summary.dead, 1, "{summary:?}");
    assert_eq!(f.bodies(Endpoint::SaveItem).len(), 2, "nothing sent");
    let shown = f.show_item("FOC").await;
    assert_eq!(shown.kra_item_code, "KE3OUXU0000001");
    assert_eq!(shown.etims_state, "registered", "still registered at KRA");

    // An item KRA never saw gets its code rebuilt for its current units (same sequence).
    let late = f.item("LATE", "81111500", "U", "B").await;
    let seq = &late.kra_item_code[late.kra_item_code.len() - 7..];
    let edit = NewItem {
        code: "LATE".into(),
        name: "Late service".into(),
        classification_code: Some("81111500".into()),
        packaging_unit: Some("OU".into()),
        quantity_unit: Some("NO".into()),
        tax_type: "B".into(),
        product_type: "service".into(),
        unit_price: Decimal::ONE,
        ..Default::default()
    };
    items::edit(&f.file, &f.admin, "LATE", &edit).await.unwrap();
    let check = masters::check_item(&f.file, &f.admin, "LATE")
        .await
        .unwrap();
    assert_eq!(check.item_cd, format!("KE3OUNO{seq}"));
    assert!(codes_of(&check.warnings).contains(&"item_code_rebuilt"));
    // Two rows (added, edited): the first registers the item as it is now, the second finds
    // it registered and unchanged.
    let summary = f.drain().await;
    assert_eq!((summary.done, summary.dead), (2, 0), "{summary:?}");
    assert_eq!(f.bodies(Endpoint::SaveItem).len(), 3);
    let shown = f.show_item("LATE").await;
    assert_eq!(shown.kra_item_code, format!("KE3OUNO{seq}"));
    assert_eq!(shown.etims_state, "registered");

    let audit = hesabu_store::audit::verify(&f.file, &f.admin)
        .await
        .unwrap();
    assert!(audit.first_broken.is_none());
}

#[tokio::test]
async fn the_integrator_gateway_gets_two_letter_units_and_codes_in_sequence() {
    let f = fixture().await;
    f.init_integrator().await;
    f.refresh().await;
    f.item("SVC1", "9901200000", "U", "B").await;
    f.item("SVC2", "9901200000", "NO", "B").await;

    // A one-letter unit is refused here, before KRA.
    let check = masters::check_item(&f.file, &f.admin, "SVC1")
        .await
        .unwrap();
    assert_eq!(codes_of(&check.problems), vec!["unit_not_two_letters"]);
    let register = |code: &'static str| {
        let f = &f;
        async move {
            masters::register_item(&f.file, &f.admin, f.secrets.as_ref(), code, timeouts()).await
        }
    };
    assert!(register("SVC1").await.is_err());
    assert_eq!(f.sandbox.count(Endpoint::SaveItem), 0);

    // KRA numbers item codes per PIN in registration order: SVC2 (sequence 2) first is refused
    // with KRA's words and a hint.
    let err = register("SVC2").await.unwrap_err().to_string();
    assert!(
        err.contains("Expected sequence ending with") && err.contains("register the items"),
        "{err}"
    );
    assert_eq!(f.show_item("SVC2").await.etims_state, "failed");

    // SVC1 with a two-letter unit: its code is rebuilt (same sequence 1) and accepted; then
    // SVC2 goes through.
    let edit = NewItem {
        code: "SVC1".into(),
        name: "Service SVC1".into(),
        classification_code: Some("9901200000".into()),
        packaging_unit: Some("OU".into()),
        quantity_unit: Some("NO".into()),
        tax_type: "B".into(),
        product_type: "service".into(),
        unit_price: Decimal::new(100_000, 2),
        ..Default::default()
    };
    items::edit(&f.file, &f.admin, "SVC1", &edit).await.unwrap();
    let one = register("SVC1").await.unwrap();
    assert_eq!(one.kra_code, "KE3OUNO0000001");
    let two = register("SVC2").await.unwrap();
    assert_eq!(two.kra_code, "KE3OUNO0000002");
    assert_eq!(f.show_item("SVC2").await.etims_state, "registered");
}

#[tokio::test]
async fn the_cli_shows_codes_checks_items_and_sets_the_pin_mode() {
    let f = fixture().await;
    f.init().await;
    f.item("FOC", "81121500", "U", "B").await;
    let company = f.dir.path().join("acme.hesabu");
    let company = company.to_str().unwrap().to_owned();
    let run = |args: Vec<&'static str>| {
        let company = company.clone();
        async move {
            let mut argv = vec![
                "--company",
                company.as_str(),
                "--as",
                support::ADMIN_EMAIL,
                "--json",
            ];
            argv.extend(args);
            let out =
                support::hesabu(&argv, support::env(Some(support::ADMIN_PASSWORD), None)).await;
            assert_eq!(out.code, 0, "{argv:?}: {}", out.stderr);
            serde_json::from_str::<serde_json::Value>(&out.stdout).unwrap()
        }
    };
    let tax = run(vec!["etims", "codes", "show", "--class", "04"]).await;
    assert_eq!(tax["codes"][1]["code"], "B");
    assert_eq!(tax["codes"][1]["user_defined_1"], "16");
    let status = run(vec!["etims", "codes", "status"]).await;
    assert_eq!(status["codes_source"], "bundled snapshot of 2024-04-24");
    let check = run(vec!["etims", "item", "check", "FOC"]).await;
    assert_eq!(check["ready"], true, "{check}");
    assert_eq!(check["item_cd"], "KE3OUXU0000001");
    let mode = run(vec!["etims", "device", "pin-check", "lenient"]).await;
    assert_eq!(mode["pin_check"], "lenient");
    let mode = run(vec!["etims", "device", "pin-check"]).await;
    assert_eq!(mode["pin_check"], "lenient");
    assert_eq!(
        masters::settings(&f.file, &f.admin)
            .await
            .unwrap()
            .pin_check,
        PinCheckMode::Lenient
    );
}
