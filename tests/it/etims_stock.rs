//! Stock at KRA e-TIMS (`hesabu_app::etims::stock`), end to end against the local sandbox:
//! opening stock and adjustments by hand, the stock-out of a signed sale and the return of a
//! signed credit note, each reported to KRA (`insertStockIO` then `saveStockMaster`) through the
//! outbox in `sarNo` order after the sale; services and unsigned sales never move stock; the
//! integrator's checklist stops a sale of goods KRA holds no stock of.

use std::time::Duration;

use hesabu_app::etims::device::{self, DeviceSetup};
use hesabu_app::etims::fiscal;
use hesabu_app::etims::stock::{
    self, Counterparty, NewStockMovement, StockLine, StockMovementKind,
};
use hesabu_app::etims::{Timeouts, targets_for_file};
use hesabu_core::approvals::sales_gate;
use hesabu_core::sales::SalesType;
use hesabu_core::sales::customers::{self, NewCustomer};
use hesabu_core::sales::documents::{self as sales, NewSale, NewSaleLine, SaleView};
use hesabu_core::sales::fiscal::{self as ledger, FiscalState, GatewayProfile};
use hesabu_core::sales::items::{self, NewItem};
use hesabu_core::sales::tax::PriceBasis;
use hesabu_core::workflows::{self, WorkflowType};
use hesabu_etims::Endpoint;
use hesabu_etims_sandbox::{CONSUMER_KEY, CONSUMER_SECRET, Fault};
use hesabu_store::audit::AuditDraft;
use hesabu_store::error::Error;
use hesabu_store::outbox::{self, ClockSleeper, DrainSummary, Drainer, OutboxState, Targets};
use rust_decimal::Decimal;
use serde_json::Value;

use crate::etims_support::SERIAL;

const TIN: &str = "P051234567X";
const GOODS: &str = "SUGAR-50";

fn timeouts() -> Timeouts {
    Timeouts::all(Duration::from_secs(2))
}

fn dec(text: &str) -> Decimal {
    Decimal::from_str_exact(text).unwrap()
}

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
    /// A legacy device (strict numbering), a customer, the goods and a service, and the sales
    /// workflows sending by themselves.
    async fn legacy(&self) {
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
        .unwrap();
        self.masters("50161500", "U").await;
        self.workflows(&[WorkflowType::InvoiceSync, WorkflowType::CreditNoteSync])
            .await;
    }

    /// The same on the integrator gateway, with the items registered at KRA first.
    async fn integrator(&self) {
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
        .unwrap();
        self.workflows(&[WorkflowType::ItemSync]).await;
        // The integrator checks the classification against KRA's list and the two-letter
        // quantity unit inside the item code.
        self.masters("43211500", "NO").await;
        self.drain().await;
        self.workflows(&[WorkflowType::InvoiceSync]).await;
    }

    async fn workflows(&self, list: &[WorkflowType]) {
        for w in list {
            let on = serde_json::json!({ "enabled": true, "autoSync": true });
            workflows::set(&self.file, &self.admin, *w, &on)
                .await
                .unwrap();
        }
    }

    async fn masters(&self, goods_class: &str, service_unit: &str) {
        customers::add(
            &self.file,
            &self.admin,
            &NewCustomer {
                name: "Ralph Jr".into(),
                kra_pin: Some("A000123456F".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        items::add(
            &self.file,
            &self.admin,
            &NewItem {
                code: GOODS.into(),
                name: "Sugar 50 kg bag".into(),
                classification_code: Some(goods_class.into()),
                packaging_unit: Some("BG".into()),
                quantity_unit: Some("KG".into()),
                tax_type: "B".into(),
                product_type: "finished_good".into(),
                unit_price: Decimal::from(6500),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        items::add(
            &self.file,
            &self.admin,
            &NewItem {
                code: "FOC".into(),
                name: "Fiscal Optimization Consultancy".into(),
                classification_code: Some("81121500".into()),
                packaging_unit: Some("OU".into()),
                quantity_unit: Some(service_unit.into()),
                tax_type: "B".into(),
                product_type: "service".into(),
                unit_price: Decimal::from(1000),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }

    fn line(item: &str, quantity: i64) -> NewSaleLine {
        NewSaleLine {
            item: Some(item.into()),
            quantity: Decimal::from(quantity),
            ..Default::default()
        }
    }

    async fn issue(&self, new: NewSale) -> SaleView {
        let draft = sales::create(&self.file, &self.admin, &new).await.unwrap();
        sales_gate::issue(&self.file, &self.admin, &draft.id)
            .await
            .unwrap()
    }

    async fn invoice(&self, lines: Vec<NewSaleLine>, basis: PriceBasis) -> SaleView {
        self.issue(NewSale {
            price_basis: Some(basis),
            ..NewSale::new(SalesType::Invoice, Some("Ralph Jr"), lines)
        })
        .await
    }

    async fn credit_note(&self, original: &SaleView, quantity: i64) -> SaleView {
        self.issue(NewSale {
            original: original.number.clone(),
            reason_code: Some("06".into()),
            price_basis: Some(PriceBasis::Exclusive),
            ..NewSale::new(
                SalesType::CreditNote,
                None,
                vec![Self::line(GOODS, quantity)],
            )
        })
        .await
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

    async fn state(&self, sale: &SaleView) -> Option<FiscalState> {
        ledger::status(&self.file, &self.admin, &sale.id)
            .await
            .unwrap()
            .submission
            .map(|s| s.state)
    }

    /// The local stock of the goods: (quantity, last sarNo, last row's state).
    async fn level(&self) -> (Decimal, Option<i64>, Option<String>) {
        let levels = stock::levels(&self.file, &self.admin).await.unwrap();
        let l = levels.iter().find(|l| l.code == GOODS).unwrap().clone();
        (dec(&l.quantity), l.last_sar_no, l.sync_state)
    }

    fn at_kra(&self) -> Option<Decimal> {
        let item = self
            .sandbox
            .received()
            .into_iter()
            .find(|c| c.endpoint == Endpoint::SaveStockIo)
            .map(|c| serde_json::from_str::<Value>(&c.body).unwrap());
        let code = item?["itemList"][0]["itemCd"].as_str()?.to_owned();
        self.sandbox.stock_of(TIN, "00", &code)
    }

    /// The accepted calls to `endpoint`, each body as JSON, with its arrival number.
    fn accepted(&self, endpoint: Endpoint) -> Vec<(u64, Value)> {
        self.sandbox
            .received()
            .into_iter()
            .filter(|c| c.endpoint == endpoint && c.outcome == "000")
            .map(|c| (c.seq, serde_json::from_str(&c.body).unwrap()))
            .collect()
    }

    async fn dead(&self) -> Vec<outbox::OutboxItemView> {
        outbox::list(&self.file, &self.admin, Some(OutboxState::Dead), 100)
            .await
            .unwrap()
    }
}

fn amount(v: &Value) -> Decimal {
    dec(&v.to_string())
}

#[tokio::test]
async fn opening_stock_then_a_sale_reach_kra_in_sar_order_after_the_sale() {
    let f = fixture().await;
    f.legacy().await;
    let (q, sar, _) = f.level().await;
    assert_eq!((q, sar), (Decimal::ZERO, None), "nothing recorded yet");

    let opening = stock::opening(&f.file, &f.admin, GOODS, dec("10"), dec("5200"))
        .await
        .unwrap();
    assert_eq!(opening.sar_no, 1);
    assert_eq!(opening.kind, StockMovementKind::Opening);
    assert_eq!(opening.sar_ty_cd, "06");
    assert_eq!(opening.lines[0].remaining_after, "10");
    f.drain().await;
    assert_eq!(f.at_kra(), Some(dec("10")));
    assert_eq!(f.level().await, (dec("10"), Some(1), Some("done".into())));

    let sale = f
        .invoice(vec![Fixture::line(GOODS, 3)], PriceBasis::Exclusive)
        .await;
    f.drain().await;
    assert_eq!(f.state(&sale).await, Some(FiscalState::Signed));
    assert_eq!(f.level().await, (dec("7"), Some(2), Some("done".into())));
    assert_eq!(f.at_kra(), Some(dec("7")));

    // KRA received sarNo 1 then 2, the sale's stock-out (11) after the sale itself, each
    // followed by the remaining quantity.
    let ios = f.accepted(Endpoint::SaveStockIo);
    let sar_nos: Vec<_> = ios.iter().map(|(_, b)| b["sarNo"].as_u64()).collect();
    assert_eq!(sar_nos, [Some(1), Some(2)]);
    assert_eq!(ios[0].1["sarTyCd"], "06");
    assert_eq!(ios[1].1["sarTyCd"], "11");
    assert_eq!(amount(&ios[1].1["itemList"][0]["qty"]), dec("3"));
    // 3 × 6500 + 16 % VAT: amounts KRA can take (none 0), ocrnDt yyyyMMdd.
    assert_eq!(amount(&ios[1].1["totTaxblAmt"]), dec("19500"));
    assert_eq!(amount(&ios[1].1["totTaxAmt"]), dec("3120"));
    assert_eq!(amount(&ios[1].1["totAmt"]), dec("22620"));
    assert_eq!(ios[1].1["ocrnDt"].as_str().unwrap().len(), 8);
    assert_eq!(ios[1].1["custTin"], "A000123456F");
    let sale_seq = f.accepted(Endpoint::SaveSale)[0].0;
    assert!(ios[0].0 < sale_seq && sale_seq < ios[1].0, "{ios:?}");
    let masters = f.accepted(Endpoint::SaveStockMaster);
    let rsd: Vec<_> = masters.iter().map(|(_, b)| amount(&b["rsdQty"])).collect();
    assert_eq!(rsd, [dec("10"), dec("7")]);
    assert!(masters[1].0 > ios[1].0);

    let moves = stock::movements(&f.file, &f.admin, Some(GOODS), None)
        .await
        .unwrap();
    assert_eq!(moves.len(), 2);
    assert_eq!(moves[0].kind, StockMovementKind::Sale);
    assert_eq!(moves[0].source, format!("sale:{}", sale.id));
    assert_eq!(moves[0].lines[0].quantity, "-3");
    assert_eq!(moves[0].sync_state.as_deref(), Some("done"));

    // A person's adjustment out (16) after a count.
    let adj = stock::adjust(&f.file, &f.admin, GOODS, dec("-2"), "stock count")
        .await
        .unwrap();
    assert_eq!((adj.sar_no, adj.sar_ty_cd.as_str()), (3, "16"));
    f.drain().await;
    assert_eq!(f.level().await, (dec("5"), Some(3), Some("done".into())));
    assert_eq!(f.at_kra(), Some(dec("5")));

    // The daily job pulls KRA's list of stock movements with its own watermark.
    f.clock.advance(chrono::Duration::days(1));
    let targets = targets_for_file(&f.file, f.secrets.as_ref(), &Targets::new(), timeouts())
        .await
        .unwrap();
    hesabu_app::jobs::standard_scheduler(targets)
        .run_due(&f.file, &f.admin)
        .await
        .unwrap();
    f.drain().await;
    let kra = stock::kra_moves(&f.file, &f.admin).await.unwrap();
    assert!(kra.last_req_dt.is_some());
    let listed: Vec<i64> = kra.moves.iter().map(|m| m.sar_no).collect();
    assert_eq!(listed, [3, 2, 1]);
}

#[tokio::test]
async fn a_signed_credit_note_returns_the_goods() {
    let f = fixture().await;
    f.legacy().await;
    stock::opening(&f.file, &f.admin, GOODS, dec("10"), dec("5200"))
        .await
        .unwrap();
    let sale = f
        .invoice(vec![Fixture::line(GOODS, 4)], PriceBasis::Exclusive)
        .await;
    f.drain().await;
    assert_eq!(f.state(&sale).await, Some(FiscalState::Signed));
    let note = f.credit_note(&sale, 1).await;
    f.drain().await;
    assert_eq!(f.state(&note).await, Some(FiscalState::Signed));
    assert_eq!(f.level().await, (dec("7"), Some(3), Some("done".into())));
    assert_eq!(f.at_kra(), Some(dec("7")));
    let moves = stock::movements(&f.file, &f.admin, None, None)
        .await
        .unwrap();
    assert_eq!(moves[0].kind, StockMovementKind::SaleReturn);
    assert_eq!(moves[0].sar_ty_cd, "03");
    assert_eq!(moves[0].lines[0].quantity, "1");
    assert!(f.dead().await.is_empty());
}

#[tokio::test]
async fn services_never_move_stock_and_a_mixed_sale_moves_only_its_goods() {
    let f = fixture().await;
    f.legacy().await;
    let services = f
        .invoice(vec![Fixture::line("FOC", 2)], PriceBasis::Exclusive)
        .await;
    f.drain().await;
    assert_eq!(f.state(&services).await, Some(FiscalState::Signed));
    assert!(
        stock::movements(&f.file, &f.admin, None, None)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(f.sandbox.count(Endpoint::SaveStockIo), 0);
    // Services are not listed among the stock levels.
    let levels = stock::levels(&f.file, &f.admin).await.unwrap();
    assert_eq!(
        levels.iter().map(|l| l.code.as_str()).collect::<Vec<_>>(),
        [GOODS]
    );

    let mixed = f
        .invoice(
            vec![Fixture::line("FOC", 1), Fixture::line(GOODS, 2)],
            PriceBasis::Exclusive,
        )
        .await;
    f.drain().await;
    assert_eq!(f.state(&mixed).await, Some(FiscalState::Signed));
    let moves = stock::movements(&f.file, &f.admin, None, None)
        .await
        .unwrap();
    assert_eq!(moves.len(), 1);
    assert_eq!(moves[0].lines.len(), 1);
    assert_eq!(moves[0].lines[0].code, GOODS);
    let ios = f.accepted(Endpoint::SaveStockIo);
    assert_eq!(ios.len(), 1);
    assert_eq!(ios[0].1["totItemCnt"], 1);

    // The API another flow calls: a movement of services only records nothing.
    let foc = items::show(&f.file, &f.admin, "FOC").await.unwrap();
    let mut uow = f.file.begin(&f.admin).await.unwrap();
    let none = stock::record_movement(
        &mut uow,
        &NewStockMovement {
            kind: StockMovementKind::Purchase,
            source: "purchase:test".into(),
            counterparty: None,
            lines: vec![StockLine {
                item_id: foc.id.clone(),
                quantity: dec("1"),
                unit_price: dec("100"),
            }],
            occurred_on: chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
        },
    )
    .await
    .unwrap();
    assert_eq!(none, None);
    drop(uow);
}

#[tokio::test]
async fn record_movement_takes_the_next_sar_no_once_per_source() {
    let f = fixture().await;
    f.legacy().await;
    let sugar = items::show(&f.file, &f.admin, GOODS).await.unwrap();
    let foc = items::show(&f.file, &f.admin, "FOC").await.unwrap();
    let purchase = NewStockMovement {
        kind: StockMovementKind::Purchase,
        source: "purchase:0001".into(),
        counterparty: Some(Counterparty {
            tin: "P000111222Z".into(),
            name: "Mumias Sugar".into(),
            branch_id: Some("00".into()),
        }),
        lines: vec![
            StockLine {
                item_id: sugar.id.clone(),
                quantity: dec("12.5"),
                unit_price: dec("5000"),
            },
            StockLine {
                item_id: foc.id.clone(),
                quantity: dec("1"),
                unit_price: dec("100"),
            },
        ],
        occurred_on: chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
    };
    // Recorded twice (as a caller might after a retry): one movement, one sarNo.
    for _ in 0..2 {
        let mut uow = f.file.begin(&f.admin).await.unwrap();
        let sar = stock::record_movement(&mut uow, &purchase).await.unwrap();
        assert_eq!(sar, Some(1));
        // The caller audits its own change in its unit of work.
        uow.audit(AuditDraft {
            action: "test.purchase",
            entity_type: "purchase",
            entity_id: "0001".into(),
            before: None,
            after: None,
        })
        .await
        .unwrap();
        uow.commit().await.unwrap();
    }
    f.drain().await;
    let ios = f.accepted(Endpoint::SaveStockIo);
    assert_eq!(ios.len(), 1);
    assert_eq!(ios[0].1["sarTyCd"], "02");
    assert_eq!(ios[0].1["ocrnDt"], "20261201");
    assert_eq!(ios[0].1["custTin"], "P000111222Z");
    assert_eq!(ios[0].1["custBhfId"], "00");
    assert_eq!(f.at_kra(), Some(dec("12.5")));
    assert_eq!(f.level().await, (dec("12.5"), Some(1), Some("done".into())));

    // A quantity of 0 is refused, and nothing is written.
    let mut zero = purchase.clone();
    zero.source = "purchase:0002".into();
    zero.lines[0].quantity = Decimal::ZERO;
    let mut uow = f.file.begin(&f.admin).await.unwrap();
    let e = stock::record_movement(&mut uow, &zero).await.unwrap_err();
    assert!(matches!(e, Error::InvalidInput(_)), "{e}");
}

#[tokio::test]
async fn a_rejected_sale_never_moves_stock() {
    let f = fixture().await;
    f.legacy().await;
    stock::opening(&f.file, &f.admin, GOODS, dec("10"), dec("5200"))
        .await
        .unwrap();
    f.drain().await;
    f.sandbox
        .fail_next_on(Endpoint::SaveSale, 1, Fault::result("910"));
    let sale = f
        .invoice(vec![Fixture::line(GOODS, 3)], PriceBasis::Exclusive)
        .await;
    let summary = f.drain().await;
    assert_eq!(summary.dead, 1, "{summary:?}");
    assert_eq!(f.state(&sale).await, Some(FiscalState::Rejected));
    assert_eq!(f.level().await, (dec("10"), Some(1), Some("done".into())));
    assert_eq!(f.sandbox.count(Endpoint::SaveStockIo), 1);
    assert_eq!(f.at_kra(), Some(dec("10")));
}

#[tokio::test]
async fn bad_stock_input_is_refused_with_what_to_do() {
    let f = fixture().await;
    // Without a device there is nowhere to report stock.
    let e = stock::opening(&f.file, &f.admin, GOODS, dec("1"), dec("1"))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("device"), "{e}");
    f.legacy().await;

    let service = stock::opening(&f.file, &f.admin, "FOC", dec("5"), dec("100"))
        .await
        .unwrap_err();
    assert!(matches!(service, Error::InvalidInput(_)), "{service}");
    assert!(service.to_string().contains("service"), "{service}");
    let unknown = stock::opening(&f.file, &f.admin, "NOPE", dec("5"), dec("100"))
        .await
        .unwrap_err();
    assert!(matches!(unknown, Error::NotFound(_)), "{unknown}");
    let zero = stock::opening(&f.file, &f.admin, GOODS, Decimal::ZERO, dec("100"))
        .await
        .unwrap_err();
    assert!(matches!(zero, Error::InvalidInput(_)), "{zero}");
    let no_cost = stock::opening(&f.file, &f.admin, GOODS, dec("5"), Decimal::ZERO)
        .await
        .unwrap_err();
    assert!(no_cost.to_string().contains("unit cost"), "{no_cost}");

    stock::opening(&f.file, &f.admin, GOODS, dec("10"), dec("5200"))
        .await
        .unwrap();
    let twice = stock::opening(&f.file, &f.admin, GOODS, dec("10"), dec("5200"))
        .await
        .unwrap_err();
    assert!(twice.to_string().contains("stock adjust"), "{twice}");
    let negative = stock::adjust(&f.file, &f.admin, GOODS, dec("-11"), "count")
        .await
        .unwrap_err();
    assert!(matches!(negative, Error::InvalidInput(_)), "{negative}");
    assert!(negative.to_string().contains("below 0"), "{negative}");
    let zero = stock::adjust(&f.file, &f.admin, GOODS, Decimal::ZERO, "count")
        .await
        .unwrap_err();
    assert!(matches!(zero, Error::InvalidInput(_)), "{zero}");
    let no_reason = stock::adjust(&f.file, &f.admin, GOODS, dec("1"), "  ")
        .await
        .unwrap_err();
    assert!(no_reason.to_string().contains("--reason"), "{no_reason}");
    let service = stock::adjust(&f.file, &f.admin, "FOC", dec("1"), "count")
        .await
        .unwrap_err();
    assert!(service.to_string().contains("service"), "{service}");
    // None of the refusals wrote anything: one movement, the opening.
    assert_eq!(f.level().await.0, dec("10"));
    assert_eq!(
        stock::movements(&f.file, &f.admin, None, None)
            .await
            .unwrap()
            .len(),
        1
    );
    // Exactly to 0 is fine.
    let all = stock::adjust(&f.file, &f.admin, GOODS, dec("-10"), "written off")
        .await
        .unwrap();
    assert_eq!(all.lines[0].remaining_after, "0");
}

#[tokio::test]
async fn an_integrator_sale_of_goods_waits_for_opening_stock_then_is_signed() {
    let f = fixture().await;
    f.integrator().await;
    let sale = f
        .invoice(vec![Fixture::line(GOODS, 2)], PriceBasis::Inclusive)
        .await;
    let check = fiscal::checklist(&f.file, &f.admin, &sale.id)
        .await
        .unwrap();
    assert!(!check.ready);
    let p = check
        .problems
        .iter()
        .find(|p| p.code == "no_stock")
        .unwrap_or_else(|| panic!("{:?}", check.problems));
    assert!(
        p.fix
            .contains("record opening stock for SUGAR-50 (hesabu etims stock opening"),
        "{}",
        p.fix
    );
    // Sent anyway, it stops before KRA: no number, no call.
    f.drain().await;
    let dead = f.dead().await;
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert!(
        dead[0]
            .last_error_message
            .as_deref()
            .unwrap()
            .contains("record opening stock"),
        "{dead:?}"
    );
    assert_eq!(f.sandbox.count(Endpoint::SaveSale), 0);

    stock::opening(&f.file, &f.admin, GOODS, dec("10"), dec("5200"))
        .await
        .unwrap();
    // Queued but not at KRA yet: still blocked, with another fix.
    let check = fiscal::checklist(&f.file, &f.admin, &sale.id)
        .await
        .unwrap();
    assert!(
        check.problems.iter().any(|p| p.code == "stock_not_at_kra"),
        "{:?}",
        check.problems
    );
    f.drain().await;
    assert!(
        fiscal::checklist(&f.file, &f.admin, &sale.id)
            .await
            .unwrap()
            .ready
    );
    outbox::retry(&f.file, &f.admin, &dead[0].id).await.unwrap();
    f.drain().await;
    assert_eq!(f.state(&sale).await, Some(FiscalState::Signed));
    // The integrator checks rsdQty against its own ledger: 10 − 2.
    assert_eq!(f.level().await, (dec("8"), Some(2), Some("done".into())));
    assert_eq!(f.at_kra(), Some(dec("8")));
    assert!(f.dead().await.is_empty());
}

#[tokio::test]
async fn the_cli_records_opening_stock_adjusts_it_and_lists_levels_and_moves() {
    let f = fixture().await;
    f.legacy().await;
    let company = f.dir.path().join("acme.hesabu");
    let company = company.to_str().unwrap().to_owned();
    let run = |args: &[&str]| {
        let mut argv: Vec<String> = ["--company", &company, "--as", crate::support::ADMIN_EMAIL]
            .iter()
            .map(|s| s.to_string())
            .collect();
        argv.extend(args.iter().map(|s| s.to_string()));
        async move {
            let args: Vec<&str> = argv.iter().map(String::as_str).collect();
            crate::support::hesabu(
                &args,
                crate::support::env(Some(crate::support::ADMIN_PASSWORD), None),
            )
            .await
        }
    };
    let out = run(&[
        "--json",
        "etims",
        "stock",
        "opening",
        GOODS,
        "12.5",
        "--unit-cost",
        "5200",
    ])
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let m: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        (m["sar_no"].as_i64(), m["kind"].as_str()),
        (Some(1), Some("opening"))
    );
    let out = run(&["etims", "stock", "opening", "FOC", "1", "--unit-cost", "1"]).await;
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(out.stderr.contains("service"), "{}", out.stderr);
    let out = run(&[
        "etims", "stock", "adjust", GOODS, "-20", "--reason", "count",
    ])
    .await;
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(out.stderr.contains("below 0"), "{}", out.stderr);
    let out = run(&[
        "etims", "stock", "adjust", GOODS, "-2.5", "--reason", "count",
    ])
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = run(&["--json", "etims", "stock", "levels"]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let levels: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(levels[0]["code"], GOODS);
    assert_eq!(levels[0]["quantity"], "10");
    assert_eq!(levels[0]["last_sar_no"], 2);
    let out = run(&["etims", "stock", "moves"]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("adjustment_out") && out.stdout.contains("opening"),
        "{}",
        out.stdout
    );
    f.drain().await;
    assert_eq!(f.at_kra(), Some(dec("10")));
}
