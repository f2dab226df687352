//! KRA's e-TIMS go-live list (spec §4: the 23 test cases of KRA's certification dashboard), one
//! test per case, end to end through the product against the local sandbox
//! (`hesabu-etims-sandbox`, legacy gateway made strict on numbering and line maths): the device
//! set up by `hesabu_app::etims::device`, sales issued in the ledger, the outbox drained through
//! `hesabu_app::targets_for_file`, and what the company file stored compared with what KRA (the
//! sandbox) signed.
//!
//! KRA's dashboard turns a case green when it has seen a successful call of the case's endpoint
//! from the device; [`Fixture::passed`] asks the sandbox the same question, for calls from our
//! device only. Each test drives the product the way an accountant would use the feature (a
//! workflow on, a sale issued, a purchase answered, opening stock recorded, or the app's own
//! background work: the scheduled jobs and the outbox, which is how KRA's lists are fetched each
//! day). Every case runs; none is ignored. Should a case ever regress into something the product
//! cannot do, mark it `#[ignore = "what is missing"]` rather than delete it, so
//! `cargo test -p hesabu-tests --test it etims_golive -- --include-ignored` shows the gap.

use std::time::Duration;

use hesabu_app::etims::device::{self, DeviceSetup, cmc_key_name};
use hesabu_app::etims::purchases::{self, PurchaseState};
use hesabu_app::etims::{Timeouts, fiscal, targets_for_file};
use hesabu_core::approvals::sales_gate;
use hesabu_core::sales::SalesType;
use hesabu_core::sales::customers::{self, NewCustomer};
use hesabu_core::sales::documents::{self as sales, NewSale, NewSaleLine, SaleView};
use hesabu_core::sales::fiscal::{self as ledger, FiscalState, GatewayProfile, SubmissionView};
use hesabu_core::sales::items::{self, NewItem};
use hesabu_core::sales::tax::PriceBasis;
use hesabu_core::workflows::{self, WorkflowType};
use hesabu_etims::Endpoint;
use hesabu_etims_sandbox::{CONSUMER_KEY, CONSUMER_SECRET, ReceivedCall, SignedSale};
use hesabu_store::outbox::{self, ClockSleeper, DrainSummary, Drainer, OutboxState, Targets};
use rust_decimal::Decimal;

use crate::etims_support::{CMC_KEY, SERIAL};

const TIN: &str = "P051234567X";
const CUSTOMER_PIN: &str = "A000123456F";

/// KRA's go-live dashboard (spec §4, integrator gateway): the 23 cases and the endpoint each
/// one exercises. Every endpoint of the catalogue but the PIN lookup.
const CASES: [(u8, &str, Endpoint); 23] = [
    (1, "initialisation", Endpoint::Init),
    (2, "code list", Endpoint::CodeList),
    (3, "item classification", Endpoint::ItemClassList),
    (4, "branch list", Endpoint::BranchList),
    (5, "notices", Endpoint::NoticeList),
    (6, "save branch customer", Endpoint::SaveBranchCustomer),
    (7, "save branch user", Endpoint::SaveBranchUser),
    (8, "save branch insurance", Endpoint::SaveBranchInsurance),
    (9, "product list", Endpoint::ItemList),
    (10, "save item", Endpoint::SaveItem),
    (11, "item composition", Endpoint::SaveItemComposition),
    (12, "imported item list", Endpoint::ImportItemList),
    (13, "update imported items", Endpoint::UpdateImportItem),
    (14, "save sales", Endpoint::SaveSale),
    (15, "purchases-sales list", Endpoint::PurchaseSalesList),
    (16, "save purchases", Endpoint::SavePurchase),
    (17, "stock master", Endpoint::SaveStockMaster),
    (18, "stock movement", Endpoint::StockMoveList),
    (19, "stock in/out", Endpoint::SaveStockIo),
    (20, "invoice details", Endpoint::InvoiceDetails),
    (21, "transaction sales list", Endpoint::SalesList),
    (22, "customer list", Endpoint::CustomerList),
    (23, "taxpayer info", Endpoint::TaxpayerInfo),
];

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
    /// Initialises the company's device (legacy gateway) through the product.
    async fn init(&self) -> ledger::DeviceView {
        device::init(
            &self.file,
            &self.admin,
            self.secrets.as_ref(),
            &DeviceSetup {
                base_url: Some(self.sandbox.legacy_base_url()),
                ..DeviceSetup::legacy(SERIAL)
            },
            timeouts(),
        )
        .await
        .unwrap()
    }

    /// The same on the integrator gateway (token, renamed paths, inclusive prices).
    async fn init_integrator(&self) -> ledger::DeviceView {
        device::init(
            &self.file,
            &self.admin,
            self.secrets.as_ref(),
            &DeviceSetup {
                profile: GatewayProfile::Integrator,
                base_url: Some(self.sandbox.integrator_base_url()),
                consumer_key: Some(CONSUMER_KEY.into()),
                consumer_secret: Some(CONSUMER_SECRET.into()),
                token_url: Some(self.sandbox.token_url()),
                ..DeviceSetup::legacy(SERIAL)
            },
            timeouts(),
        )
        .await
        .unwrap()
    }

    async fn workflow_on(&self, w: WorkflowType) {
        let on = serde_json::json!({ "enabled": true, "autoSync": true });
        workflows::set(&self.file, &self.admin, w, &on)
            .await
            .unwrap();
    }

    async fn customer(&self) {
        customers::add(
            &self.file,
            &self.admin,
            &NewCustomer {
                name: "Ralph Jr".into(),
                kra_pin: Some(CUSTOMER_PIN.into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }

    /// A service (no stock at KRA), as in the recorded Odoo sale.
    async fn service(&self, quantity_unit: &str) -> items::ItemView {
        items::add(
            &self.file,
            &self.admin,
            &NewItem {
                code: "FOC".into(),
                name: "Fiscal Optimization Consultancy".into(),
                classification_code: Some("81121500".into()),
                packaging_unit: Some("OU".into()),
                quantity_unit: Some(quantity_unit.into()),
                tax_type: "B".into(),
                product_type: "service".into(),
                unit_price: Decimal::from(1000),
                ..Default::default()
            },
        )
        .await
        .unwrap()
    }

    /// Goods (KRA keeps their stock).
    async fn goods(&self) -> items::ItemView {
        items::add(
            &self.file,
            &self.admin,
            &NewItem {
                code: "SUGAR-50".into(),
                name: "Sugar 50 kg bag".into(),
                classification_code: Some("50161500".into()),
                packaging_unit: Some("BG".into()),
                quantity_unit: Some("KG".into()),
                tax_type: "B".into(),
                product_type: "finished_good".into(),
                unit_price: Decimal::from(6500),
                ..Default::default()
            },
        )
        .await
        .unwrap()
    }

    /// A device, the customer and the service item, and the three sales workflows sending by
    /// themselves (autoSync).
    async fn ready(&self) -> ledger::DeviceView {
        let device = self.init().await;
        self.customer().await;
        self.service("U").await;
        for w in [
            WorkflowType::InvoiceSync,
            WorkflowType::SalesSync,
            WorkflowType::CreditNoteSync,
        ] {
            self.workflow_on(w).await;
        }
        device
    }

    async fn issue(&self, new: NewSale) -> SaleView {
        let draft = sales::create(&self.file, &self.admin, &new).await.unwrap();
        sales_gate::issue(&self.file, &self.admin, &draft.id)
            .await
            .unwrap()
    }

    fn line(item: &str, quantity: i64) -> NewSaleLine {
        NewSaleLine {
            item: Some(item.into()),
            quantity: Decimal::from(quantity),
            ..Default::default()
        }
    }

    async fn invoice(&self, item: &str, quantity: i64, basis: PriceBasis) -> SaleView {
        self.issue(NewSale {
            price_basis: Some(basis),
            ..NewSale::new(
                SalesType::Invoice,
                Some("Ralph Jr"),
                vec![Self::line(item, quantity)],
            )
        })
        .await
    }

    async fn targets(&self) -> Targets {
        targets_for_file(
            &self.file,
            self.secrets.as_ref(),
            &Targets::new(),
            timeouts(),
        )
        .await
        .unwrap()
    }

    /// One drain until idle (recovery first, as at start-up), on the test clock.
    async fn drain(&self) -> DrainSummary {
        let drainer = Drainer::new(
            self.file.clone(),
            self.targets().await,
            ClockSleeper::new(self.clock.clone()),
        )
        .unwrap();
        drainer.recover().await.unwrap();
        drainer.drain_until_idle().await.unwrap()
    }

    /// `hesabu etims codes refresh`: code lists, item classifications and notices from KRA.
    async fn refresh(&self) -> hesabu_app::etims::reference::RefreshReport {
        hesabu_app::etims::reference::refresh(
            &self.file,
            &self.admin,
            self.secrets.as_ref(),
            timeouts(),
        )
        .await
        .unwrap()
    }

    /// The app's own background work of a day: every scheduled job that is due a day later
    /// (the desktop and `hesabu jobs run` run the same scheduler), then the outbox.
    async fn background(&self) {
        self.clock.advance(chrono::Duration::days(1));
        let scheduler = hesabu_app::jobs::standard_scheduler(self.targets().await);
        scheduler.run_due(&self.file, &self.admin).await.unwrap();
        self.drain().await;
    }

    async fn signed(&self, sale: &SaleView) -> SubmissionView {
        let status = ledger::status(&self.file, &self.admin, &sale.id)
            .await
            .unwrap();
        let s = status.submission.expect("a submission");
        assert_eq!(s.state, FiscalState::Signed, "{s:?}");
        assert_eq!(status.document_status.as_str(), "fiscalised");
        s
    }

    /// What KRA signed for `sale`; exactly one.
    fn at_kra(&self, sale: &SaleView) -> SignedSale {
        let number = sale.number.clone().unwrap();
        let mut found: Vec<SignedSale> = self
            .sandbox
            .signed_sales()
            .into_iter()
            .filter(|s| s.trd_invc_no == number)
            .collect();
        assert_eq!(found.len(), 1, "KRA signed {number} {} times", found.len());
        found.remove(0)
    }

    /// The stored submission of `sale` is exactly what KRA received and signed.
    async fn stored_is_kras(&self, sale: &SaleView) -> SubmissionView {
        let s = self.signed(sale).await;
        let kra = self.at_kra(sale);
        assert_eq!(s.invc_no, Some(i64::try_from(kra.invc_no).unwrap()));
        assert_eq!(s.rcpt_ty_cd, kra.rcpt_ty_cd);
        assert_eq!(s.org_invc_no, i64::try_from(kra.org_invc_no).unwrap());
        assert_eq!(s.request_json, kra.request_json, "the JSON sent");
        let sig = &kra.signature;
        assert_eq!(
            (s.cur_rcpt_no, s.tot_rcpt_no),
            (
                Some(i64::try_from(sig.cur_rcpt_no).unwrap()),
                Some(i64::try_from(sig.tot_rcpt_no).unwrap())
            )
        );
        assert_eq!(s.intrl_data.as_deref(), Some(sig.intrl_data.as_str()));
        assert_eq!(s.rcpt_sign.as_deref(), Some(sig.rcpt_sign.as_str()));
        assert_eq!(s.sdc_date_time.as_deref(), Some(sig.sdc_date_time.as_str()));
        assert_eq!(sig.intrl_data.len(), 26);
        assert_eq!(sig.rcpt_sign.len(), 16);
        let sdc_id = s
            .sdc_id
            .clone()
            .expect("the device's SCU id, snapshot at signing");
        assert_eq!(
            s.cu_invoice_no.as_deref(),
            Some(format!("{sdc_id}/{}", sig.cur_rcpt_no).as_str())
        );
        s
    }

    /// The calls to `endpoint` KRA received from our device.
    fn calls(&self, endpoint: Endpoint) -> Vec<ReceivedCall> {
        self.sandbox
            .received()
            .into_iter()
            .filter(|c| c.endpoint == endpoint)
            .filter(|c| endpoint == Endpoint::Init || c.tin.as_deref() == Some(TIN))
            .collect()
    }

    /// KRA's dashboard: go-live case `case` is green when KRA accepted a call of its endpoint
    /// from our device. Returns the accepted calls.
    fn passed(&self, case: u8) -> Vec<ReceivedCall> {
        let (_, name, endpoint) = CASES[usize::from(case) - 1];
        let calls = self.calls(endpoint);
        let accepted: Vec<ReceivedCall> = calls
            .iter()
            .filter(|c| c.outcome == "000")
            .cloned()
            .collect();
        assert!(
            !accepted.is_empty(),
            "go-live case {case} ({name}): KRA accepted no {endpoint:?} call from the device; \
             it received {:?}",
            calls
                .iter()
                .map(|c| (c.outcome.as_str(), c.body.as_str()))
                .collect::<Vec<_>>()
        );
        accepted
    }

    async fn outbox_rows(&self, state: OutboxState) -> Vec<outbox::OutboxItemView> {
        outbox::list(&self.file, &self.admin, Some(state), 1000)
            .await
            .unwrap()
    }

    /// The drain left nothing dead or waiting: every row done.
    async fn all_done(&self) {
        for state in [OutboxState::Dead, OutboxState::Ready] {
            let rows = self.outbox_rows(state).await;
            assert!(
                rows.is_empty(),
                "{state:?}: {:?}",
                rows.iter()
                    .map(|r| (&r.operation, &r.last_error_message))
                    .collect::<Vec<_>>()
            );
        }
    }
}

#[test]
fn the_list_is_kras_23_cases_covering_the_catalogue_but_the_pin_lookup() {
    for (i, (number, _, _)) in CASES.iter().enumerate() {
        assert_eq!(usize::from(*number), i + 1);
    }
    for (_, name, endpoint) in CASES {
        assert_eq!(
            CASES.iter().filter(|(_, _, e)| *e == endpoint).count(),
            1,
            "{name}: {endpoint:?} twice"
        );
    }
    let uncovered: Vec<Endpoint> = Endpoint::ALL
        .into_iter()
        .filter(|e| !CASES.iter().any(|(_, _, c)| c == e))
        .collect();
    assert_eq!(uncovered, vec![Endpoint::CustomerPin]);
}

// ---- 1: initialisation ---------------------------------------------------------------------------

#[tokio::test]
async fn case_01_initialisation() {
    let f = fixture().await;
    let d = f.init().await;
    f.passed(1);
    assert_eq!(f.calls(Endpoint::Init).len(), 1);
    assert_eq!((d.tin.as_str(), d.bhf_id.as_str()), (TIN, "00"));
    assert_eq!(d.dvc_srl_no, SERIAL);
    for (what, value) in [
        ("sdcId", &d.sdc_id),
        ("mrcNo", &d.mrc_no),
        ("dvcId", &d.dvc_id),
        ("taxpayer", &d.taxpayer_name),
        ("branch", &d.branch_name),
    ] {
        assert!(value.as_deref().is_some_and(|v| !v.is_empty()), "{what}");
    }
    // The key KRA issued once is in the secret store, and the device is not initialised twice.
    assert_eq!(
        f.secrets
            .get(&cmc_key_name(&d.company_id))
            .unwrap()
            .as_deref(),
        Some(CMC_KEY)
    );
    let again = device::init(
        &f.file,
        &f.admin,
        f.secrets.as_ref(),
        &DeviceSetup {
            base_url: Some(f.sandbox.legacy_base_url()),
            ..DeviceSetup::legacy(SERIAL)
        },
        timeouts(),
    )
    .await;
    assert!(again.is_err());
    assert_eq!(f.calls(Endpoint::Init).len(), 1);
    // Every later call authenticates with the stored key: the outbox target is built from it.
    assert!(
        f.targets()
            .await
            .get(hesabu_core::workflows::executions::ETIMS_TARGET)
            .is_some()
    );
}

// ---- 2–5: reference data -------------------------------------------------------------------------

#[tokio::test]
async fn case_02_code_list() {
    let f = fixture().await;
    f.init().await;
    let first = f.refresh().await;
    let calls = f.passed(2);
    assert_eq!(calls.len(), 1);
    // The next refresh asks only for what changed since KRA's resultDt, not from the start.
    let watermark = first
        .lists
        .iter()
        .find_map(|l| {
            l.last_req_dt_sent
                .eq("20180101000000")
                .then(|| l.watermark.clone())
                .flatten()
        })
        .expect("a first full pull with KRA's resultDt");
    f.refresh().await;
    let calls = f.calls(Endpoint::CodeList);
    assert_eq!(calls.len(), 2);
    assert!(
        calls[1].body.contains(&watermark) && !calls[1].body.contains("20180101000000"),
        "{:?}",
        calls[1]
    );
}

#[tokio::test]
async fn case_03_item_classification() {
    let f = fixture().await;
    f.init().await;
    f.refresh().await;
    f.passed(3);
}

#[tokio::test]
async fn case_04_branch_list() {
    use hesabu_app::etims::kra_records;
    let f = fixture().await;
    f.init().await;
    f.background().await;
    f.all_done().await;
    let calls = f.passed(4);
    assert!(calls[0].body.contains("20180101000000"), "{:?}", calls[0]);
    // The branch list is kept in the company file, its watermark KRA's resultDt.
    let branches = kra_records::branches(&f.file, &f.admin).await.unwrap();
    let own = branches
        .records
        .iter()
        .find(|b| b.this_device)
        .unwrap_or_else(|| panic!("the device's branch: {branches:?}"));
    assert_eq!(own.bhf_id, "00");
    assert!(own.name.as_deref().is_some_and(|n| !n.is_empty()));
    assert!(branches.state.last_req_dt.is_some());
    // The next day asks only for what changed since.
    f.background().await;
    let calls = f.calls(Endpoint::BranchList);
    assert_eq!(calls.len(), 2);
    assert!(
        calls[1]
            .body
            .contains(branches.state.last_req_dt.as_deref().unwrap()),
        "{:?}",
        calls[1]
    );
}

#[tokio::test]
async fn case_05_notices() {
    let f = fixture().await;
    f.init().await;
    f.sandbox
        .publish_notice("System maintenance", "eTIMS is down on Sunday night.");
    f.refresh().await;
    f.passed(5);
    let inbox = hesabu_app::etims::reference::notices(&f.file, &f.admin)
        .await
        .unwrap();
    assert!(
        inbox
            .iter()
            .any(|n| n.title.as_deref() == Some("System maintenance")),
        "{inbox:?}"
    );
}

// ---- 6–8: branch customers, users, insurers ---------------------------------------------------

#[tokio::test]
async fn case_06_save_branch_customer() {
    let f = fixture().await;
    f.init().await;
    f.workflow_on(WorkflowType::CustomerSync).await;
    f.customer().await;
    f.drain().await;
    f.all_done().await;
    let calls = f.passed(6);
    assert!(calls[0].body.contains(CUSTOMER_PIN), "{}", calls[0].body);
}

#[tokio::test]
async fn case_07_save_branch_user() {
    let f = fixture().await;
    f.init().await;
    hesabu_core::users::add(
        &f.file,
        &f.admin,
        &hesabu_core::users::NewUser {
            email: "cashier@acme.test".into(),
            name: "Wanjiru Cashier".into(),
            role: hesabu_store::permissions::Role::FinanceUser,
            manager_email: None,
            department: None,
            password: "cashier-pass-1".into(),
        },
    )
    .await
    .unwrap();
    f.background().await;
    f.all_done().await;
    let calls = f.passed(7);
    assert!(
        calls.iter().any(|c| c.body.contains("Wanjiru Cashier")),
        "{calls:?}"
    );
    let users = hesabu_app::etims::kra_records::branch_users(&f.file, &f.admin)
        .await
        .unwrap();
    assert!(
        users
            .iter()
            .all(|u| u.state.as_deref() == Some("registered") && !u.pending),
        "{users:?}"
    );
    // Registered and unchanged: the next day sends nothing more.
    let before = f.calls(Endpoint::SaveBranchUser).len();
    f.background().await;
    assert_eq!(f.calls(Endpoint::SaveBranchUser).len(), before);
}

#[tokio::test]
async fn case_08_save_branch_insurance() {
    use hesabu_app::etims::insurers::{self, InsurerChange, NewInsurer};
    let f = fixture().await;
    f.init().await;
    // `hesabu etims insurer add AAR01 --name "AAR Insurance" --rate 12.5`
    let added = insurers::add(
        &f.file,
        &f.admin,
        &NewInsurer {
            code: "aar01".into(),
            name: "AAR Insurance".into(),
            premium_rate: Decimal::new(125, 1),
        },
    )
    .await
    .unwrap();
    assert_eq!((added.code.as_str(), added.version), ("AAR01", 1));
    assert_eq!(added.sync_state.as_deref(), Some("ready"));
    assert!(f.calls(Endpoint::SaveBranchInsurance).is_empty());
    f.drain().await;
    f.all_done().await;
    let calls = f.passed(8);
    assert_eq!(calls.len(), 1);
    let body: serde_json::Value = serde_json::from_str(&calls[0].body).unwrap();
    assert_eq!(body["isrccCd"], "AAR01");
    assert_eq!(body["isrccNm"], "AAR Insurance");
    assert_eq!(
        body["isrcRt"].to_string(),
        "12.5",
        "an exact number: {body}"
    );
    assert_eq!(body["useYn"], "Y");
    assert_eq!(
        f.sandbox.insurance_of(TIN, "00", "AAR01"),
        Some(("AAR Insurance".into(), Decimal::new(125, 1), "Y".into()))
    );

    // Deactivating sends the insurer again with useYn N; an unchanged one is not sent.
    let off = InsurerChange {
        active: Some(false),
        ..Default::default()
    };
    let changed = insurers::update(&f.file, &f.admin, "AAR01", &off)
        .await
        .unwrap();
    assert_eq!(changed.version, 2);
    let same = insurers::update(&f.file, &f.admin, "AAR01", &off)
        .await
        .unwrap();
    assert_eq!(same.version, 2);
    f.drain().await;
    f.all_done().await;
    assert_eq!(f.passed(8).len(), 2);
    assert_eq!(
        f.sandbox.insurance_of(TIN, "00", "AAR01").map(|i| i.2),
        Some("N".into())
    );
    let listed = insurers::list(&f.file, &f.admin).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].active, listed[0].sync_state.as_deref()),
        (false, Some("done"))
    );
}

// ---- 9–13: items, compositions, imports ----------------------------------------------------

#[tokio::test]
async fn case_09_product_list() {
    let f = fixture().await;
    f.init().await;
    f.workflow_on(WorkflowType::ItemSync).await;
    let item = f.service("U").await;
    f.drain().await;
    f.background().await;
    f.all_done().await;
    f.passed(9);
    // KRA's item is kept, matched with the local item of the same code.
    let at_kra = hesabu_app::etims::kra_records::items(&f.file, &f.admin)
        .await
        .unwrap();
    let listed = at_kra
        .records
        .iter()
        .find(|i| i.item_cd == item.kra_item_code)
        .unwrap_or_else(|| panic!("{} not listed: {at_kra:?}", item.kra_item_code));
    assert_eq!(listed.local_code.as_deref(), Some("FOC"));
    assert_eq!(listed.tax_type.as_deref(), Some("B"));
}

#[tokio::test]
async fn case_10_save_item() {
    let f = fixture().await;
    f.init().await;
    f.workflow_on(WorkflowType::ItemSync).await;
    let item = f.service("U").await;
    f.drain().await;
    f.all_done().await;
    let calls = f.passed(10);
    assert!(
        calls[0].body.contains(&item.kra_item_code),
        "{}",
        calls[0].body
    );
    let item = items::show(&f.file, &f.admin, "FOC").await.unwrap();
    assert_eq!(item.etims_state, "registered");
}

/// Goods added through the ledger (registered at KRA by the item workflow once drained).
async fn goods_item(f: &Fixture, code: &str, name: &str, price: i64) -> items::ItemView {
    items::add(
        &f.file,
        &f.admin,
        &NewItem {
            code: code.into(),
            name: name.into(),
            classification_code: Some("50161500".into()),
            packaging_unit: Some("CT".into()),
            quantity_unit: Some("U".into()),
            tax_type: "B".into(),
            product_type: "finished_good".into(),
            unit_price: Decimal::from(price),
            ..Default::default()
        },
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn case_11_item_composition() {
    use hesabu_app::etims::compositions::{self, ComponentInput};
    let f = fixture().await;
    f.init().await;
    f.workflow_on(WorkflowType::ItemSync).await;
    let hamper = goods_item(&f, "HAMPER", "Gift hamper", 5000).await;
    let wine = goods_item(&f, "WINE-750", "Wine 750 ml", 1800).await;
    let cheese = goods_item(&f, "CHEESE-250", "Cheese 250 g", 650).await;
    f.drain().await;
    f.all_done().await;

    // `hesabu etims composition set HAMPER --component WINE-750=2 --component CHEESE-250=0.5`
    let set = compositions::set(
        &f.file,
        &f.admin,
        "HAMPER",
        &[
            "WINE-750=2".parse::<ComponentInput>().unwrap(),
            "CHEESE-250=0.5".parse::<ComponentInput>().unwrap(),
        ],
    )
    .await
    .unwrap();
    assert_eq!(set.version, 1);
    assert_eq!(set.sync_state.as_deref(), Some("ready"));
    // Nothing reaches KRA before the outbox sends it.
    assert!(f.calls(Endpoint::SaveItemComposition).is_empty());
    f.drain().await;
    f.all_done().await;
    let calls = f.passed(11);
    assert_eq!(calls.len(), 2, "one call per component: {calls:?}");
    for (component, qty) in [(&wine, "2"), (&cheese, "0.5")] {
        let body: serde_json::Value = calls
            .iter()
            .map(|c| serde_json::from_str::<serde_json::Value>(&c.body).unwrap())
            .find(|b| b["cpstItemCd"] == component.kra_item_code.as_str())
            .unwrap_or_else(|| panic!("no call for {}: {calls:?}", component.code));
        assert_eq!(body["itemCd"], hamper.kra_item_code.as_str());
        assert_eq!(body["cpstQty"].to_string(), qty, "{body}");
    }
    let at_kra = f.sandbox.composition_of(TIN, &hamper.kra_item_code);
    assert_eq!(at_kra.get(&wine.kra_item_code), Some(&Decimal::from(2)));
    assert_eq!(at_kra.get(&cheese.kra_item_code), Some(&Decimal::new(5, 1)));
    let shown = compositions::show(&f.file, &f.admin, "HAMPER")
        .await
        .unwrap()
        .expect("the stored composition");
    assert_eq!(shown.sync_state.as_deref(), Some("done"));
    assert_eq!(
        shown
            .components
            .iter()
            .map(|c| (c.code.as_str(), c.quantity.as_str()))
            .collect::<Vec<_>>(),
        [("WINE-750", "2"), ("CHEESE-250", "0.5")]
    );
}

#[tokio::test]
async fn case_12_imported_item_list() {
    let f = fixture().await;
    f.init().await;
    f.background().await;
    f.all_done().await;
    f.passed(12);
    // The sandbox's customs declarations for the device are kept, waiting for an answer.
    let imports = hesabu_app::etims::kra_records::imports(&f.file, &f.admin)
        .await
        .unwrap();
    assert!(!imports.records.is_empty(), "{imports:?}");
    assert!(
        imports
            .records
            .iter()
            .all(|i| !i.task_cd.is_empty() && i.name.is_some()),
        "{imports:?}"
    );
}

#[tokio::test]
async fn case_13_update_imported_items() {
    use hesabu_app::etims::imports;
    let f = fixture().await;
    f.init().await;
    f.workflow_on(WorkflowType::ItemSync).await;
    let laptop = goods_item(&f, "LAPTOP", "Laptop computer", 95000).await;
    f.drain().await;
    f.all_done().await;

    // `hesabu etims imports list --refresh`: KRA's two waiting customs lines.
    let lines = imports::refresh(&f.file, &f.admin, f.secrets.as_ref(), timeouts())
        .await
        .unwrap();
    assert_eq!(
        lines
            .iter()
            .map(|l| l.reference.as_str())
            .collect::<Vec<_>>(),
        ["2231943/1", "2231943/2"]
    );
    assert!(lines.iter().all(imports::ImportView::is_open), "{lines:?}");

    // Accept the laptops into our item, reject the notebooks.
    let accepted = imports::accept(&f.file, &f.admin, "2231943/1", "LAPTOP", None)
        .await
        .unwrap();
    let answer = accepted.answer.expect("the answer");
    assert_eq!(
        (answer.decision.as_str(), answer.status_cd.as_str()),
        ("accepted", "3")
    );
    assert_eq!(
        answer.item_cd.as_deref(),
        Some(laptop.kra_item_code.as_str())
    );
    imports::reject(
        &f.file,
        &f.admin,
        "2231943/2",
        Some("Not ordered by this branch"),
    )
    .await
    .unwrap();
    assert!(f.calls(Endpoint::UpdateImportItem).is_empty());
    f.drain().await;
    f.all_done().await;
    let calls = f.passed(13);
    assert_eq!(calls.len(), 2, "{calls:?}");
    let bodies: Vec<serde_json::Value> = calls
        .iter()
        .map(|c| serde_json::from_str(&c.body).unwrap())
        .collect();
    assert_eq!(bodies[0]["imptItemSttsCd"], "3");
    assert_eq!(bodies[0]["itemCd"], laptop.kra_item_code.as_str());
    assert_eq!(bodies[0]["itemClsCd"], "50161500");
    assert_eq!(bodies[1]["imptItemSttsCd"], "4");
    assert!(bodies[1].get("itemCd").is_none(), "{}", bodies[1]);
    assert_eq!(
        f.sandbox.import_status(TIN, "00", "2231943", 1),
        Some(("3".into(), Some(laptop.kra_item_code.clone())))
    );
    assert_eq!(
        f.sandbox.import_status(TIN, "00", "2231943", 2),
        Some(("4".into(), None))
    );
    // Answered once: a second answer is refused before anything is queued.
    let again = imports::reject(&f.file, &f.admin, "2231943/1", None).await;
    assert!(
        matches!(again, Err(hesabu_store::error::Error::Conflict(_))),
        "{again:?}"
    );
    let shown = imports::show(&f.file, &f.admin, "2231943/1").await.unwrap();
    assert_eq!(
        shown.answer.and_then(|a| a.sync_state).as_deref(),
        Some("done")
    );
}

// ---- 14: sales -------------------------------------------------------------------------------------

#[tokio::test]
async fn case_14_save_sales() {
    let f = fixture().await;
    f.ready().await;
    let invoice = f.invoice("FOC", 2, PriceBasis::Exclusive).await;
    let cash = f
        .issue(NewSale {
            price_basis: Some(PriceBasis::Exclusive),
            walk_in_name: Some("Walk-in buyer".into()),
            ..NewSale::new(SalesType::CashSale, None, vec![Fixture::line("FOC", 1)])
        })
        .await;
    // Nothing reaches KRA before the outbox sends it, and the checklist is clear.
    for sale in [&invoice, &cash] {
        let list = fiscal::checklist(&f.file, &f.admin, &sale.id)
            .await
            .unwrap();
        assert!(list.ready, "{:?}", list.problems);
    }
    assert!(f.calls(Endpoint::SaveSale).is_empty());
    let summary = f.drain().await;
    assert_eq!((summary.done, summary.dead), (2, 0), "{summary:?}");

    // The credit note carries the original's number; it is signed after it.
    let note = f
        .issue(NewSale {
            original: invoice.number.clone(),
            reason_code: Some("06".into()),
            price_basis: Some(PriceBasis::Exclusive),
            ..NewSale::new(SalesType::CreditNote, None, vec![Fixture::line("FOC", 1)])
        })
        .await;
    let summary = f.drain().await;
    assert_eq!((summary.done, summary.dead), (1, 0), "{summary:?}");
    f.all_done().await;

    let s_invoice = f.stored_is_kras(&invoice).await;
    let s_cash = f.stored_is_kras(&cash).await;
    let s_note = f.stored_is_kras(&note).await;
    assert_eq!(
        [s_invoice.invc_no, s_cash.invc_no, s_note.invc_no],
        [Some(1), Some(2), Some(3)]
    );
    assert_eq!(
        [
            s_invoice.rcpt_ty_cd.as_str(),
            s_cash.rcpt_ty_cd.as_str(),
            s_note.rcpt_ty_cd.as_str()
        ],
        ["S", "S", "R"]
    );
    assert_eq!(s_note.org_invc_no, 1);
    // Receipt counters: per receipt type, and over all of them.
    assert_eq!(
        [
            s_invoice.cur_rcpt_no,
            s_cash.cur_rcpt_no,
            s_note.cur_rcpt_no
        ],
        [Some(1), Some(2), Some(1)]
    );
    assert_eq!(
        [
            s_invoice.tot_rcpt_no,
            s_cash.tot_rcpt_no,
            s_note.tot_rcpt_no
        ],
        [Some(1), Some(2), Some(3)]
    );
    // The credit note's request names the original, its reason and its customer's PIN.
    let sent: serde_json::Value = serde_json::from_str(&s_note.request_json).unwrap();
    assert_eq!(sent["orgInvcNo"], 1);
    assert_eq!(sent["rfdRsnCd"], "06");
    assert_eq!(sent["custTin"], CUSTOMER_PIN);
    // Every sale was sent once: no lookup, no resend on a clean run.
    let passed = f.passed(14);
    assert_eq!(passed.len(), 3);
    assert_eq!(f.calls(Endpoint::SaveSale).len(), 3);
    assert_eq!(f.sandbox.signed_sales().len(), 3);
}

#[tokio::test]
async fn case_14_save_sales_on_the_integrator_gateway() {
    let f = fixture().await;
    let d = f.init_integrator().await;
    assert_eq!(d.price_basis, PriceBasis::Inclusive);
    f.customer().await;
    for w in [WorkflowType::ItemSync, WorkflowType::InvoiceSync] {
        f.workflow_on(w).await;
    }
    // The integrator validates the quantity unit inside the item code: two letters (NO).
    f.service("NO").await;
    f.drain().await;
    let invoice = f.invoice("FOC", 1, PriceBasis::Inclusive).await;
    f.drain().await;
    f.all_done().await;
    f.passed(10);
    f.passed(14);
    let s = f.stored_is_kras(&invoice).await;
    let sent: serde_json::Value = serde_json::from_str(&s.request_json).unwrap();
    // Inclusive basis: 1000 incl. VAT at 16 % is 862.07 + 137.93.
    let amount = |field: &str| Decimal::from_str_exact(&sent[field].to_string()).unwrap();
    assert_eq!(amount("totAmt"), Decimal::from(1000));
    assert_eq!(amount("taxblAmtB"), Decimal::new(86207, 2));
    assert_eq!(amount("taxAmtB"), Decimal::new(13793, 2));

    // An accountant's tax-exclusive invoice on the same device: its lines re-expressed on the
    // inclusive basis (spec §12.1), accepted by the integrator's line check, and KRA's totals
    // are the ledger's: 3 × 1000 + 16 % = 3000 + 480 = 3480.
    let exclusive = f.invoice("FOC", 3, PriceBasis::Exclusive).await;
    f.drain().await;
    f.all_done().await;
    let s = f.stored_is_kras(&exclusive).await;
    let sent: serde_json::Value = serde_json::from_str(&s.request_json).unwrap();
    let amount = |field: &str| Decimal::from_str_exact(&sent[field].to_string()).unwrap();
    let line =
        |field: &str| Decimal::from_str_exact(&sent["itemList"][0][field].to_string()).unwrap();
    assert_eq!(line("prc"), Decimal::from(1160));
    assert_eq!(line("splyAmt"), Decimal::from(3480));
    assert_eq!(amount("taxblAmtB"), Decimal::from(3000));
    assert_eq!(amount("taxAmtB"), Decimal::from(480));
    assert_eq!(amount("totAmt"), Decimal::from(3480));
}

// ---- 15–16: purchases ------------------------------------------------------------------------

#[tokio::test]
async fn case_15_purchases_sales_list() {
    let f = fixture().await;
    f.init().await;
    // The daily job (`etims_kra_records`) fetches the sales suppliers declared against the PIN.
    f.background().await;
    f.passed(15);
    let waiting = purchases::list(&f.file, &f.admin, Some(PurchaseState::AwaitingReview))
        .await
        .unwrap();
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    assert_eq!(
        waiting[0].supplier_name.as_deref(),
        Some("Mombasa Wholesale Supplies Ltd")
    );
}

#[tokio::test]
async fn case_16_save_purchases() {
    let f = fixture().await;
    f.init().await;
    // The supplier's "A4 paper, 80 gsm" is one of our goods: proposed by its name.
    let paper = items::add(
        &f.file,
        &f.admin,
        &NewItem {
            code: "PAPER-A4".into(),
            name: "A4 paper, 80 gsm".into(),
            classification_code: Some("44121600".into()),
            packaging_unit: Some("NT".into()),
            quantity_unit: Some("BA".into()),
            tax_type: "B".into(),
            product_type: "finished_good".into(),
            unit_price: Decimal::from(130),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    f.background().await;
    let waiting = purchases::list(&f.file, &f.admin, Some(PurchaseState::AwaitingReview))
        .await
        .unwrap();
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    // The accountant's step: review the proposal and accept.
    let shown = purchases::show(&f.file, &f.admin, &waiting[0].id)
        .await
        .unwrap();
    assert_eq!(shown.lines[0].item_id.as_deref(), Some(paper.id.as_str()));
    purchases::accept(&f.file, &f.admin, &shown.id)
        .await
        .unwrap();
    f.drain().await;
    let saved = f.passed(16);
    let body: serde_json::Value = serde_json::from_str(&saved[0].body).unwrap();
    assert_eq!(body["invcNo"], 1);
    assert_eq!(body["spplrNm"], "Mombasa Wholesale Supplies Ltd");
    assert_eq!(body["pchsSttsCd"], "02");
    assert_eq!(body["itemList"][0]["itemCd"], paper.kra_item_code.as_str());
    assert_eq!(body["itemList"][0]["spplrItemCd"], "KE2NTBA0000012");
    let done = purchases::show(&f.file, &f.admin, &shown.id).await.unwrap();
    assert_eq!(done.state, PurchaseState::Confirmed, "{done:?}");
    // KRA hears of the purchase before the stock-in it caused (spec §10).
    let purchase_seq = saved[0].seq;
    assert!(
        f.calls(Endpoint::SaveStockIo)
            .iter()
            .all(|c| c.seq > purchase_seq)
    );
}

// ---- 17–19: stock ------------------------------------------------------------------------------

/// A signed sale of goods, as the stock cases start from.
async fn goods_sold(f: &Fixture) -> (items::ItemView, SaleView) {
    f.init().await;
    f.customer().await;
    let item = f.goods().await;
    f.workflow_on(WorkflowType::InvoiceSync).await;
    let sale = f.invoice("SUGAR-50", 2, PriceBasis::Exclusive).await;
    f.drain().await;
    f.stored_is_kras(&sale).await;
    (item, sale)
}

#[tokio::test]
async fn case_19_stock_in_out() {
    let f = fixture().await;
    let (item, _) = goods_sold(&f).await;
    f.background().await;
    f.all_done().await;
    let io = f.passed(19);
    // KRA wants the sale reported before the stock movement it caused (spec §10).
    let sale_seq = f.calls(Endpoint::SaveSale)[0].seq;
    assert!(io.iter().all(|c| c.seq > sale_seq), "{io:?}");
    assert!(
        io.iter().any(|c| c.body.contains(&item.kra_item_code)),
        "{io:?}"
    );
    assert!(f.sandbox.stock_of(TIN, "00", &item.kra_item_code).is_some());
}

#[tokio::test]
async fn case_17_stock_master() {
    let f = fixture().await;
    let (item, _) = goods_sold(&f).await;
    f.background().await;
    f.all_done().await;
    let master = f.passed(17);
    // The remaining quantity follows the stock movement it sums up (spec §10).
    let io_seq = f.passed(19)[0].seq;
    assert!(master.iter().all(|c| c.seq > io_seq), "{master:?}");
    assert!(
        master.iter().any(|c| c.body.contains(&item.kra_item_code)),
        "{master:?}"
    );
}

#[tokio::test]
async fn case_18_stock_movement() {
    let f = fixture().await;
    goods_sold(&f).await;
    f.background().await;
    f.passed(18);
}

// ---- 20: invoice details ---------------------------------------------------------------------

#[tokio::test]
async fn case_20_invoice_details() {
    let f = fixture().await;
    f.ready().await;
    let invoice = f.invoice("FOC", 3, PriceBasis::Exclusive).await;
    f.drain().await;
    let stored = f.stored_is_kras(&invoice).await;

    // `hesabu etims lookup 1`: KRA's record of the invoice, beside the submission holding it.
    let found = fiscal::lookup(&f.file, &f.admin, f.secrets.as_ref(), 1, timeouts())
        .await
        .unwrap();
    assert_eq!(found.result_cd, "000");
    let kra = found.kra.expect("KRA's invoice");
    assert_eq!(kra.trd_invc_no.as_deref(), invoice.number.as_deref());
    let sig = kra.signature().expect("KRA's signature");
    assert_eq!(Some(sig.rcpt_sign.as_str()), stored.rcpt_sign.as_deref());
    assert_eq!(Some(sig.intrl_data.as_str()), stored.intrl_data.as_deref());
    assert_eq!(
        Some(i64::try_from(sig.cur_rcpt_no).unwrap()),
        stored.cur_rcpt_no
    );
    let local = found.local.expect("the local submission");
    assert_eq!(local.document_id, invoice.id);
    f.passed(20);

    // A number KRA does not hold: an empty lookup (001), not an error, and nothing local.
    let missing = fiscal::lookup(&f.file, &f.admin, f.secrets.as_ref(), 99, timeouts())
        .await
        .unwrap();
    assert_eq!(missing.result_cd, "001");
    assert!(missing.kra.is_none() && missing.local.is_none());
    // Looking up changes nothing.
    let after = f.signed(&invoice).await;
    assert_eq!(
        (after.rcpt_sign, after.updated_at, after.attempts),
        (stored.rcpt_sign, stored.updated_at, stored.attempts)
    );
    assert_eq!(f.sandbox.signed_sales().len(), 1);
}

// ---- 21–23: KRA's lists ------------------------------------------------------------------------

#[tokio::test]
async fn case_21_transaction_sales_list() {
    use hesabu_app::etims::kra_records;
    let f = fixture().await;
    f.ready().await;
    let sale = f.invoice("FOC", 1, PriceBasis::Exclusive).await;
    f.drain().await;
    f.background().await;
    f.all_done().await;
    f.passed(21);
    let signed = f.stored_is_kras(&sale).await;
    let view = kra_records::sales(&f.file, &f.admin).await.unwrap();
    let at_kra = view
        .sales
        .records
        .iter()
        .find(|s| Some(s.invc_no) == signed.invc_no)
        .unwrap_or_else(|| panic!("{view:?}"));
    assert_eq!(at_kra.trd_invc_no, sale.number);
    assert_eq!(at_kra.total, Some(Decimal::from(1160)));
    // KRA's record and ours agree.
    let rec = &view.reconciliation;
    assert!(rec.complete && rec.agrees(), "{rec:?}");
    assert_eq!((rec.kra_sales, rec.local_signed), (1, 1));
}

#[tokio::test]
async fn case_22_customer_list() {
    let f = fixture().await;
    f.init().await;
    f.workflow_on(WorkflowType::CustomerSync).await;
    f.customer().await;
    f.drain().await;
    f.background().await;
    f.all_done().await;
    f.passed(22);
    let listed = hesabu_app::etims::kra_records::customers(&f.file, &f.admin)
        .await
        .unwrap();
    assert!(
        listed
            .records
            .iter()
            .any(|c| c.pin.as_deref() == Some(CUSTOMER_PIN) && c.in_use),
        "{listed:?}"
    );
}

#[tokio::test]
async fn case_23_taxpayer_info() {
    let f = fixture().await;
    f.init().await;
    f.background().await;
    f.all_done().await;
    f.passed(23);
    let info = hesabu_app::etims::kra_records::taxpayer(&f.file, &f.admin)
        .await
        .unwrap();
    let me = info
        .records
        .iter()
        .find(|t| t.tin == TIN)
        .unwrap_or_else(|| panic!("{info:?}"));
    assert_eq!(me.status.as_deref(), Some("A"));
    assert!(me.name.as_deref().is_some_and(|n| !n.is_empty()));
}
