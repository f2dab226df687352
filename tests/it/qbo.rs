//! QuickBooks Online sync end to end against the local sandbox (`hesabu-qbo-sandbox`):
//! connecting by paste-back with the `state` checked, the initial pull into the ledger, CDC,
//! echo suppression, a signed sale changed in QuickBooks flagged (never re-signed), and the
//! ETR write-back's steps with dropped answers, a crash between upload and update, and a 5010;
//! the write-back drained by the real outbox drainer; connecting through a loopback listener and
//! through the token broker (`hesabu_app::qbo::broker`).

use std::sync::Arc;

use hesabu_app::qbo::broker::{Broker, BrokerConfig};
use hesabu_app::qbo::{self, ConnectMode, ConnectionSettings, PinSource, pull, push};
use hesabu_core::sales::SalesStatus;
use hesabu_core::sales::documents;
use hesabu_core::sales::fiscal::{self, Answer, GatewayProfile, NewDevice, Reservation, Signature};
use hesabu_core::sales::tax::UnusedBandRate;
use hesabu_qbo_sandbox::{InjectedFault, Sandbox, SandboxOptions};
use hesabu_store::auth::Session;
use hesabu_store::clock::{Clock, SettableClock, SharedClock};
use hesabu_store::company_file::CompanyFile;
use hesabu_store::outbox::{self, ClockSleeper, Drainer, OutboxState, Targets};
use hesabu_store::secrets::{SecretStore, store_from_spec};
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::support;

const REDIRECT: &str = "https://connect.example.com/qbo/callback";

pub(crate) struct Fixture {
    pub(crate) dir: tempfile::TempDir,
    clock: Arc<SettableClock>,
    pub(crate) file: CompanyFile,
    pub(crate) admin: Session,
    pub(crate) sandbox: Sandbox,
    secrets: Arc<dyn SecretStore>,
}

pub(crate) async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let clock = support::clock();
    let (file, admin) = hesabu_app::create_company(
        &dir.path().join("acme.hesabu"),
        &support::new_company(),
        clock.clone() as SharedClock,
    )
    .await
    .unwrap();
    let sandbox = Sandbox::start_with(
        "127.0.0.1:0".parse().unwrap(),
        SandboxOptions {
            now: Some(clock.now()),
            ..SandboxOptions::default()
        },
    )
    .await
    .unwrap();
    let secrets: Arc<dyn SecretStore> = Arc::from(
        store_from_spec(&format!(
            "file:{}",
            dir.path().join("secrets.json").display()
        ))
        .unwrap(),
    );
    Fixture {
        dir,
        clock,
        file,
        admin,
        sandbox,
        secrets,
    }
}

/// What the browser's address bar shows after the sandbox's consent page.
pub(crate) async fn consent(url: &str) -> String {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = http.get(url).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 302);
    response.headers()["location"].to_str().unwrap().to_owned()
}

async fn sql(file: &CompanyFile, text: &str) {
    let mut uow = file.begin_system().await.unwrap();
    uow.db()
        .execute_raw(Statement::from_string(DbBackend::Sqlite, text))
        .await
        .unwrap();
    uow.audit(hesabu_store::audit::AuditDraft {
        action: "test.simulate_crash",
        entity_type: "qbo_push",
        entity_id: "test".into(),
        before: None,
        after: None,
    })
    .await
    .unwrap();
    uow.commit().await.unwrap();
}

async fn one_text(file: &CompanyFile, text: &str) -> Option<String> {
    file.reader()
        .query_one_raw(Statement::from_string(DbBackend::Sqlite, text))
        .await
        .unwrap()
        .and_then(|r| r.try_get_by_index::<Option<String>>(0).unwrap())
}

impl Fixture {
    pub(crate) async fn connect(&self) -> qbo::Qbo {
        qbo::configure(
            &self.file,
            &self.admin,
            self.secrets.as_ref(),
            &ConnectionSettings {
                mode: ConnectMode::Paste,
                client_id: Some(self.sandbox.client_id()),
                broker_url: None,
                redirect_uri: REDIRECT.into(),
                base_url: Some(self.sandbox.base_url()),
                sandbox: true,
                cu_field: Some("1".into()),
                pin_source: PinSource::TaxId,
            },
            Some(&self.sandbox.client_secret()),
        )
        .await
        .unwrap();
        let url = qbo::authorize_url(&self.file, &self.admin).await.unwrap();
        let pasted = consent(&url).await;
        let view = qbo::connect_paste(&self.file, &self.admin, self.secrets.clone(), &pasted)
            .await
            .unwrap();
        assert_eq!(
            view.realm_id.as_deref(),
            Some(self.sandbox.realm_id().as_str())
        );
        qbo::open(&self.file, self.secrets.clone())
            .await
            .unwrap()
            .unwrap()
    }

    /// The local document an object was pulled into.
    async fn local_of(&self, entity: &str, id: &str) -> Option<String> {
        one_text(
            &self.file,
            &format!(
                "SELECT local_id FROM qbo_object WHERE entity = '{entity}' AND qbo_id = '{id}'"
            ),
        )
        .await
    }

    /// Signs `document_id` as KRA would (a device and a signature straight into the ledger's
    /// fiscal records; the e-TIMS flow itself is tested in etims_fiscal.rs).
    async fn sign(&self, document_id: &str, invc_no: i64) {
        sign(&self.file, &self.admin, document_id, invc_no).await;
    }
}

/// Signs `document_id` as KRA would: a device and a signature straight into the ledger's fiscal
/// records (the CLI tests use it on a file they then close).
pub(crate) async fn sign(file: &CompanyFile, admin: &Session, document_id: &str, invc_no: i64) {
    let mut uow = file.begin(admin).await.unwrap();
    if fiscal::device(uow.db()).await.unwrap().is_none() {
        fiscal::save_device_in(
            &mut uow,
            &NewDevice {
                gateway: GatewayProfile::Legacy,
                base_url: "http://127.0.0.1:9/etims-api/".into(),
                token_url: None,
                consumer_key: None,
                tin: "P051234567X".into(),
                bhf_id: "00".into(),
                dvc_srl_no: "HESABU/1".into(),
                dvc_id: Some("DVC1".into()),
                sdc_id: Some("KRACU0100000001".into()),
                mrc_no: Some("WIS00000001".into()),
                taxpayer_name: Some("Acme Traders Ltd".into()),
                branch_name: Some("HQ".into()),
                init_info: None,
                key_source: "entered",
                unused_band_rate: UnusedBandRate::Zero,
            },
            false,
        )
        .await
        .unwrap();
    }
    fiscal::reserve_in(
        &mut uow,
        &Reservation {
            document_id: document_id.into(),
            invc_no,
            org_invc_no: 0,
            rcpt_ty_cd: "S".into(),
            request_json: "{}".into(),
            cfm_dt: "20260701090000".into(),
        },
    )
    .await
    .unwrap();
    fiscal::record_signed_in(
        &mut uow,
        document_id,
        &Signature {
            cur_rcpt_no: invc_no,
            tot_rcpt_no: invc_no,
            intrl_data: "ABCDEFGHIJKLMNOPQRSTUVWXYZ".into(),
            rcpt_sign: "SIGNSIGNSIGNSIGN".into(),
            sdc_date_time: "20260701090000".into(),
            answer: Answer {
                result_cd: Some("000".into()),
                result_msg: Some("It is succeeded".into()),
                response_json: None,
            },
            adopted: false,
        },
    )
    .await
    .unwrap();
    uow.commit().await.unwrap();
}

#[tokio::test]
async fn paste_back_checks_the_state_and_a_foreign_answer_is_refused() {
    let f = fixture().await;
    qbo::configure(
        &f.file,
        &f.admin,
        f.secrets.as_ref(),
        &ConnectionSettings {
            mode: ConnectMode::Paste,
            client_id: Some(f.sandbox.client_id()),
            broker_url: None,
            redirect_uri: REDIRECT.into(),
            base_url: Some(f.sandbox.base_url()),
            sandbox: true,
            cu_field: None,
            pin_source: PinSource::TaxId,
        },
        Some(&f.sandbox.client_secret()),
    )
    .await
    .unwrap();
    // Nothing waiting yet.
    assert!(
        qbo::connect_paste(
            &f.file,
            &f.admin,
            f.secrets.clone(),
            "https://x/cb?code=1&state=2&realmId=3"
        )
        .await
        .is_err()
    );
    let url = qbo::authorize_url(&f.file, &f.admin).await.unwrap();
    let pasted = consent(&url).await;
    let forged = format!(
        "{REDIRECT}?code=STOLEN&state=0123456789abcdef0123456789abcdef&realmId={}",
        f.sandbox.realm_id()
    );
    let err = qbo::connect_paste(&f.file, &f.admin, f.secrets.clone(), &forged)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("different connection attempt"),
        "{err}"
    );
    assert_eq!(
        f.sandbox.stats().code_exchanges,
        0,
        "a foreign code is never exchanged"
    );
    let view = qbo::connect_paste(&f.file, &f.admin, f.secrets.clone(), &pasted)
        .await
        .unwrap();
    assert_eq!(view.realm_id, Some(f.sandbox.realm_id()));
    let status = qbo::status(&f.file, &f.admin, f.secrets.clone())
        .await
        .unwrap();
    assert!(status.connected);
    // The tokens are in the secret store, not the company file.
    let stored = f.secrets.get(&format!(
        "{}/qbo/{}/tokens",
        hesabu_core::company::load(f.file.reader())
            .await
            .unwrap()
            .id,
        f.sandbox.realm_id()
    ));
    assert!(stored.unwrap().is_some());
    let view = qbo::disconnect(&f.file, &f.admin, f.secrets.clone(), false)
        .await
        .unwrap();
    assert_eq!(view.realm_id, None);
    assert_eq!(f.sandbox.stats().revokes, 1);
}

#[tokio::test]
async fn pull_maps_quickbooks_into_the_ledger_then_follows_changes() {
    let f = fixture().await;
    let q = f.connect().await;
    let first = pull::pull(&q, &f.admin, false).await.unwrap();
    assert_eq!(first.mode, Some(pull::PullMode::Initial));
    assert_eq!(first.customers, 5);
    assert_eq!(first.items, 5);
    assert_eq!(
        first.sales_issued, 13,
        "10 invoices and 3 sales receipts: {first:?}"
    );
    assert!(first.watermark.is_some());

    // Every pulled invoice is an issued ledger document with QuickBooks' lines, and its total is
    // either QuickBooks' total to the cent or listed for review with both figures.
    let reviews = pull::reviews(&f.file, &f.admin).await.unwrap();
    for id in f.sandbox.ids("Invoice") {
        let raw: serde_json::Value =
            serde_json::from_str(&f.sandbox.object("Invoice", &id).unwrap()).unwrap();
        let local = f.local_of("Invoice", &id).await.expect("mapped");
        let sale = documents::show(&f.file, &f.admin, &local).await.unwrap();
        assert_eq!(sale.status, SalesStatus::Issued);
        let item_lines: Vec<&serde_json::Value> = raw["Line"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["DetailType"] == "SalesItemLineDetail")
            .collect();
        assert_eq!(sale.lines.len(), item_lines.len());
        for (ours, theirs) in sale.lines.iter().zip(&item_lines) {
            let qty: Decimal = theirs["SalesItemLineDetail"]["Qty"]
                .to_string()
                .parse()
                .unwrap();
            let price: Decimal = theirs["SalesItemLineDetail"]["UnitPrice"]
                .to_string()
                .parse()
                .unwrap();
            assert_eq!(ours.quantity.parse::<Decimal>().unwrap(), qty);
            assert_eq!(ours.unit_price.parse::<Decimal>().unwrap(), price);
            assert_eq!(ours.tax_type.as_str(), "B");
        }
        let qbo_total: Decimal = raw["TotalAmt"].to_string().parse().unwrap();
        let flagged = reviews
            .iter()
            .any(|r| r.qbo_id == id && r.entity == "Invoice" && r.kind == "totals_differ");
        assert_eq!(sale.totals.total != qbo_total, flagged, "invoice {id}");
    }
    // The KRA PIN came from the tax id.
    let customer = hesabu_core::sales::customers::show(&f.file, &f.admin, "P051000000A")
        .await
        .unwrap();
    assert_eq!(customer.name, "Mama Njeri's Kiosk");

    // A memo-only edit and a new invoice: CDC picks up exactly those.
    let edited = f.sandbox.ids("Invoice")[0].clone();
    f.sandbox
        .edit("Invoice", &edited, "PrivateNote", "\"Deliver Tuesday\"")
        .unwrap();
    let new_id = f.sandbox.seed_invoices(1).pop().unwrap();
    let second = pull::pull(&q, &f.admin, false).await.unwrap();
    assert_eq!(second.mode, Some(pull::PullMode::Cdc));
    assert_eq!(second.sales_issued, 1, "{second:?}");
    assert!(f.local_of("Invoice", &new_id).await.is_some());
    assert!(
        second.reviews <= 1,
        "only the new invoice may differ: {second:?}"
    );
    // A third pull with nothing new changes nothing.
    let third = pull::pull(&q, &f.admin, false).await.unwrap();
    assert_eq!(third.sales_issued, 0);
    assert_eq!(third.customers + third.items, 0);
}

/// An item line for a transaction written into the sandbox, after `template` (a pulled
/// invoice's first item line): same item and tax code, this quantity and price.
fn item_line(template: &serde_json::Value, n: u32, qty: &str, price: &str) -> serde_json::Value {
    let mut line = template.clone();
    let (q, p): (Decimal, Decimal) = (qty.parse().unwrap(), price.parse().unwrap());
    line["Id"] = n.to_string().into();
    line["LineNum"] = n.into();
    line["Amount"] = serde_json::from_str(&(q * p).to_string()).unwrap();
    line["SalesItemLineDetail"]["Qty"] = serde_json::from_str(qty).unwrap();
    line["SalesItemLineDetail"]["UnitPrice"] = serde_json::from_str(price).unwrap();
    line
}

#[tokio::test]
async fn discounts_bundles_foreign_currency_and_credit_memos_reach_the_ledger() {
    let f = fixture().await;
    let q = f.connect().await;
    pull::pull(&q, &f.admin, false).await.unwrap();
    let first = f.sandbox.ids("Invoice")[0].clone();
    let original: serde_json::Value =
        serde_json::from_str(&f.sandbox.object("Invoice", &first).unwrap()).unwrap();
    let template = original["Line"][0].clone();
    let price = template["SalesItemLineDetail"]["UnitPrice"].to_string();
    let txn = |lines: Vec<serde_json::Value>, extra: serde_json::Value| {
        let mut t = serde_json::json!({
            "TxnDate": original["TxnDate"],
            "CustomerRef": original["CustomerRef"],
            "CurrencyRef": {"value": "KES"},
            "GlobalTaxCalculation": "TaxExcluded",
            "Line": lines,
        });
        for (k, v) in extra.as_object().unwrap() {
            t[k] = v.clone();
        }
        t.to_string()
    };

    // A discount of 100.00 over three lines, one of them inside a bundle.
    let discounted = f
        .sandbox
        .insert(
            "Invoice",
            &txn(
                vec![
                    item_line(&template, 1, "1", "1000"),
                    serde_json::json!({
                        "Id": "2", "LineNum": 2, "Amount": 3000,
                        "DetailType": "GroupLineDetail",
                        "GroupLineDetail": {"Quantity": 1, "Line": [
                            item_line(&template, 3, "1", "1000"),
                            item_line(&template, 4, "2", "1000"),
                        ]}
                    }),
                    serde_json::json!({"Amount": 4000, "DetailType": "SubTotalLineDetail",
                        "SubTotalLineDetail": {}}),
                    serde_json::json!({"Id": "5", "Amount": 100,
                        "DetailType": "DiscountLineDetail",
                        "DiscountLineDetail": {"PercentBased": false}}),
                ],
                serde_json::json!({"DocNumber": "D-1", "TotalAmt": 4524.0}),
            ),
        )
        .unwrap();
    // A sale in US dollars at 129.50 shillings.
    let dollars = f
        .sandbox
        .insert(
            "Invoice",
            &txn(
                vec![item_line(&template, 1, "2", "10")],
                serde_json::json!({"DocNumber": "USD-1", "CurrencyRef": {"value": "USD"},
                    "ExchangeRate": 129.5, "TotalAmt": 23.2}),
            ),
        )
        .unwrap();
    // A credit memo for one unit of the first invoice's first line, naming it; and one
    // naming no invoice.
    let credited = f
        .sandbox
        .insert(
            "CreditMemo",
            &txn(
                vec![item_line(&template, 1, "1", &price)],
                serde_json::json!({"DocNumber": "CM-1", "InvoiceRef": {"value": first}}),
            ),
        )
        .unwrap();
    let unnamed = f
        .sandbox
        .insert(
            "CreditMemo",
            &txn(
                vec![item_line(&template, 1, "1", &price)],
                serde_json::json!({"DocNumber": "CM-2"}),
            ),
        )
        .unwrap();
    // And one crediting more than the invoice sold: the ledger's own check refuses it.
    let too_much = f
        .sandbox
        .insert(
            "CreditMemo",
            &txn(
                vec![item_line(&template, 1, "999", &price)],
                serde_json::json!({"DocNumber": "CM-3", "InvoiceRef": {"value": first}}),
            ),
        )
        .unwrap();

    // A dollar credit memo for one unit, on a later day's rate: raised at the invoice's rate.
    let dollar_credit = f
        .sandbox
        .insert(
            "CreditMemo",
            &txn(
                vec![item_line(&template, 1, "1", "10")],
                serde_json::json!({"DocNumber": "CM-USD", "InvoiceRef": {"value": dollars},
                    "CurrencyRef": {"value": "USD"}, "ExchangeRate": 131.25, "TotalAmt": 11.6}),
            ),
        )
        .unwrap();

    let report = pull::pull(&q, &f.admin, false).await.unwrap();
    assert_eq!(
        report.sales_issued, 4,
        "two invoices, CM-1 and CM-USD: {report:?}"
    );

    let show = |local: String| {
        let (file, admin) = (&f.file, &f.admin);
        async move { documents::show(file, admin, &local).await.unwrap() }
    };
    let sale = show(f.local_of("Invoice", &discounted).await.expect("imported")).await;
    assert_eq!(sale.lines.len(), 3, "the bundle's two lines are opened up");
    let shares: Vec<Decimal> = sale
        .lines
        .iter()
        .map(|l| {
            assert_eq!(l.discount_kind, "amount");
            l.discount_value.parse().unwrap()
        })
        .collect();
    assert_eq!(
        shares,
        [
            Decimal::new(25, 0),
            Decimal::new(25, 0),
            Decimal::new(50, 0)
        ],
        "100.00 shared out by the lines' amounts (1000, 1000, 2000)"
    );
    assert_eq!(sale.totals.total_discount, Decimal::new(100, 0));
    // 3,900.00 taxable at 16 %: 624.00 VAT, total 4,524.00, QuickBooks' figure.
    assert_eq!(sale.totals.total, Decimal::new(4524, 0));

    let usd = show(f.local_of("Invoice", &dollars).await.expect("imported")).await;
    assert_eq!(usd.currency, "USD");
    assert_eq!(usd.exchange_rate, "129.5");
    assert_eq!(usd.totals.total, Decimal::new(2320, 2));
    // KES from the KES lines: 20 × 129.50 = 2,590.00 + 414.40 VAT.
    assert_eq!(usd.total_kes, "3004.40");
    // VAT is reversed at the rate it was charged (129.50, not the memo's 131.25): 10 × 129.50
    // = 1,295.00 + 207.20 VAT.
    let usd_credit = show(
        f.local_of("CreditMemo", &dollar_credit)
            .await
            .expect("raised"),
    )
    .await;
    assert_eq!(usd_credit.exchange_rate, "129.5");
    assert_eq!(usd_credit.total_kes, "1502.20");

    let credit = show(f.local_of("CreditMemo", &credited).await.expect("raised")).await;
    assert_eq!(credit.doc_type, hesabu_core::sales::SalesType::CreditNote);
    assert_eq!(credit.status, SalesStatus::Issued);
    assert_eq!(
        credit.original_id,
        f.local_of("Invoice", &first).await,
        "against the invoice its InvoiceRef names"
    );
    assert_eq!(credit.reason_code.as_deref(), Some("13"));
    assert_eq!(credit.lines.len(), 1);

    let reviews = pull::reviews(&f.file, &f.admin).await.unwrap();
    let review_of = |id: &str| {
        reviews
            .iter()
            .find(|r| r.entity == "CreditMemo" && r.qbo_id == id)
            .unwrap_or_else(|| panic!("no review for credit memo {id}: {reviews:?}"))
    };
    assert!(f.local_of("CreditMemo", &unnamed).await.is_none());
    assert!(
        review_of(&unnamed)
            .detail
            .contains("does not say which invoice"),
        "{:?}",
        review_of(&unnamed)
    );
    assert!(f.local_of("CreditMemo", &too_much).await.is_none());
    let refused = &review_of(&too_much).detail;
    assert!(
        refused.contains("CM-3") && refused.contains("credits 999") && !refused.contains(".."),
        "{refused}"
    );
    // A second pull adds nothing and raises nothing twice.
    let again = pull::pull(&q, &f.admin, false).await.unwrap();
    assert_eq!(again.sales_issued, 0, "{again:?}");
}

#[tokio::test]
async fn a_signed_sale_changed_in_quickbooks_is_flagged_and_our_write_back_is_an_echo() {
    let f = fixture().await;
    let q = f.connect().await;
    pull::pull(&q, &f.admin, false).await.unwrap();
    let ids = f.sandbox.ids("Invoice");
    let (a, b) = (ids[0].clone(), ids[1].clone());
    let doc_a = f.local_of("Invoice", &a).await.unwrap();
    let doc_b = f.local_of("Invoice", &b).await.unwrap();
    f.sign(&doc_a, 1).await;
    f.sign(&doc_b, 2).await;
    // The next pull queues the write-back of both.
    let report = pull::pull(&q, &f.admin, false).await.unwrap();
    assert_eq!(report.pushes_queued, 2);

    // Our write-back comes back through CDC as an echo, not a change.
    push::push_document(&q, &doc_a).await.unwrap();
    let echo = pull::pull(&q, &f.admin, false).await.unwrap();
    assert_eq!(echo.echoes, 1, "{echo:?}");
    assert_eq!(echo.reviews, 0);

    // Someone changes the signed invoice's total in QuickBooks: flagged, never re-signed.
    f.sandbox.edit("Invoice", &b, "TotalAmt", "999.00").unwrap();
    let changed = pull::pull(&q, &f.admin, false).await.unwrap();
    assert_eq!(changed.reviews, 1, "{changed:?}");
    let reviews = pull::reviews(&f.file, &f.admin).await.unwrap();
    let r = reviews
        .iter()
        .find(|r| r.kind == "changed_after_signing")
        .expect("flagged for a credit note");
    assert_eq!(r.document_id.as_deref(), Some(doc_b.as_str()));
    let sale = documents::show(&f.file, &f.admin, &doc_b).await.unwrap();
    assert_eq!(sale.status, SalesStatus::Fiscalised);
    let status = fiscal::status(&f.file, &f.admin, &doc_b).await.unwrap();
    assert_eq!(
        status.submission.unwrap().attempts,
        1,
        "signed once, never again"
    );
    // Pulling again does not flag it twice.
    let again = pull::pull(&q, &f.admin, false).await.unwrap();
    assert_eq!(again.reviews, 0);
}

#[tokio::test]
async fn the_write_back_attaches_and_updates_once_through_lost_answers_crashes_and_conflicts() {
    let f = fixture().await;
    let q = f.connect().await;
    pull::pull(&q, &f.admin, false).await.unwrap();
    let ids = f.sandbox.ids("Invoice");
    let (a, b) = (ids[0].clone(), ids[1].clone());
    let doc_a = f.local_of("Invoice", &a).await.unwrap();
    let doc_b = f.local_of("Invoice", &b).await.unwrap();
    f.sign(&doc_a, 1).await;
    f.sign(&doc_b, 2).await;
    pull::pull(&q, &f.admin, false).await.unwrap();

    // Upload, then a "crash" before the attachment's id was recorded: the retry finds it by
    // its name and uploads nothing.
    let attachment = push::attach(&q, &doc_a).await.unwrap();
    assert_eq!(f.sandbox.stats().uploads, 1);
    sql(&f.file, &format!("UPDATE qbo_push SET attachable_id = NULL, state = 'pending' WHERE document_id = '{doc_a}'")).await;
    assert_eq!(push::attach(&q, &doc_a).await.unwrap(), attachment);
    assert_eq!(f.sandbox.stats().uploads, 1, "no duplicate attachment");
    let pdf = f.sandbox.attachment_bytes(&attachment).unwrap();
    assert!(pdf.starts_with(b"%PDF"));

    // The update's answer is lost after QuickBooks applied it: the retry sends the same
    // requestid and gets the original answer back.
    assert!(push::prepare_update(&q, &doc_a).await.unwrap());
    let row = push::row(f.file.reader(), &doc_a).await.unwrap().unwrap();
    let request_id = row.update_request_id.clone().unwrap();
    f.sandbox.fail_next(1, InjectedFault::DropAfterProcessing);
    assert!(push::send_update(&q, &doc_a).await.is_err());
    let replays = f.sandbox.stats().replays;
    push::send_update(&q, &doc_a).await.unwrap();
    assert_eq!(f.sandbox.stats().replays, replays + 1);
    let updates: Vec<_> = f
        .sandbox
        .writes()
        .into_iter()
        .filter(|w| w.entity == "Invoice" && w.id == a)
        .collect();
    assert_eq!(updates.len(), 1, "{updates:?}");
    assert_eq!(updates[0].request_id.as_deref(), Some(request_id.as_str()));
    let cu = fiscal::status(&f.file, &f.admin, &doc_a)
        .await
        .unwrap()
        .submission
        .unwrap()
        .cu_invoice_no
        .unwrap();
    let after: serde_json::Value =
        serde_json::from_str(&f.sandbox.object("Invoice", &a).unwrap()).unwrap();
    assert!(
        after["PrivateNote"]
            .as_str()
            .unwrap()
            .contains(&format!("[ETR] CU={cu}"))
    );
    assert_eq!(after["CustomField"][0]["StringValue"], cu.as_str());
    // Done: pushing again writes nothing.
    let writes = f.sandbox.stats().writes;
    push::push_document(&q, &doc_a).await.unwrap();
    assert_eq!(f.sandbox.stats().writes, writes);

    // 5010: someone edits the invoice between our read and our update. Re-read, re-apply, a
    // new requestid; what they wrote is kept.
    push::attach(&q, &doc_b).await.unwrap();
    assert!(push::prepare_update(&q, &doc_b).await.unwrap());
    let first_id = push::row(f.file.reader(), &doc_b)
        .await
        .unwrap()
        .unwrap()
        .update_request_id
        .unwrap();
    f.sandbox
        .edit("Invoice", &b, "PrivateNote", "\"Deliver Tuesday\"")
        .unwrap();
    push::send_update(&q, &doc_b).await.unwrap();
    let after: serde_json::Value =
        serde_json::from_str(&f.sandbox.object("Invoice", &b).unwrap()).unwrap();
    let note = after["PrivateNote"].as_str().unwrap();
    assert!(note.starts_with("Deliver Tuesday\n[ETR] CU="), "{note}");
    let ours: Vec<_> = f
        .sandbox
        .writes()
        .into_iter()
        .filter(|w| w.entity == "Invoice" && w.id == b && w.request_id.is_some())
        .collect();
    assert_eq!(ours.len(), 1, "{ours:?}");
    assert_ne!(ours[0].request_id.as_deref(), Some(first_id.as_str()));
    assert_eq!(
        one_text(
            &f.file,
            &format!("SELECT CAST(conflicts AS TEXT) FROM qbo_push WHERE document_id = '{doc_b}'")
        )
        .await
        .as_deref(),
        Some("1")
    );
}

#[tokio::test]
async fn write_backs_drain_through_the_outbox_and_a_failure_is_retried() {
    let f = fixture().await;
    let q = f.connect().await;
    pull::pull(&q, &f.admin, false).await.unwrap();
    let ids = f.sandbox.ids("Invoice");
    let (a, b) = (ids[0].clone(), ids[1].clone());
    let doc_a = f.local_of("Invoice", &a).await.unwrap();
    let doc_b = f.local_of("Invoice", &b).await.unwrap();
    f.sign(&doc_a, 1).await;
    f.sign(&doc_b, 2).await;
    // The e-TIMS target of the file needs its device key; the drain below must not touch KRA.
    let company = hesabu_core::company::load(f.file.reader()).await.unwrap();
    f.secrets
        .set(
            &hesabu_app::etims::device::cmc_key_name(&company.id),
            "TESTKEY",
        )
        .unwrap();
    let report = pull::pull(&q, &f.admin, false).await.unwrap();
    assert_eq!(report.pushes_queued, 2);

    // The outbox targets the CLI and the desktop use for this file, drained for real.
    let drain = || async {
        let targets = hesabu_app::targets_for_file(&f.file, f.secrets.clone(), &Targets::new())
            .await
            .unwrap();
        assert!(targets.get(qbo::QBO_TARGET).is_some());
        let drainer =
            Drainer::new(f.file.clone(), targets, ClockSleeper::new(f.clock.clone())).unwrap();
        drainer.recover().await.unwrap();
        drainer.drain_until_idle().await.unwrap()
    };
    // QuickBooks fails the first call: that write-back waits for its retry, the other goes.
    f.sandbox.fail_next(1, InjectedFault::ServerError);
    let first = drain().await;
    assert_eq!(
        (first.done, first.failed, first.dead),
        (1, 1, 0),
        "{first:?}"
    );
    assert_eq!(f.sandbox.stats().uploads, 1);
    f.clock.advance(chrono::Duration::hours(2));
    let second = drain().await;
    assert_eq!((second.done, second.failed), (1, 0), "{second:?}");
    assert_eq!(f.sandbox.stats().uploads, 2, "one attachment each");

    for (qbo_id, doc) in [(&a, &doc_a), (&b, &doc_b)] {
        let row = push::row(f.file.reader(), doc).await.unwrap().unwrap();
        assert_eq!(row.state, "done");
        let after: serde_json::Value =
            serde_json::from_str(&f.sandbox.object("Invoice", qbo_id).unwrap()).unwrap();
        assert!(
            after["PrivateNote"].as_str().unwrap().contains("[ETR] CU="),
            "{after}"
        );
        let updates = f
            .sandbox
            .writes()
            .into_iter()
            .filter(|w| w.entity == "Invoice" && &w.id == qbo_id && w.request_id.is_some())
            .count();
        assert_eq!(updates, 1, "invoice {qbo_id} updated once");
    }
    let done = outbox::list(&f.file, &f.admin, Some(OutboxState::Done), 100)
        .await
        .unwrap();
    assert_eq!(
        done.iter().filter(|r| r.target == qbo::QBO_TARGET).count(),
        2
    );
    // Nothing is left: another drain sends nothing to QuickBooks.
    let writes = f.sandbox.stats().writes;
    let third = drain().await;
    assert_eq!(third.sent, 0);
    assert_eq!(f.sandbox.stats().writes, writes);
}

/// Settings of a direct connection to the fixture's sandbox.
fn direct(f: &Fixture) -> ConnectionSettings {
    ConnectionSettings {
        mode: ConnectMode::Direct,
        client_id: Some(f.sandbox.client_id()),
        broker_url: None,
        redirect_uri: "http://127.0.0.1/qbo/callback".into(),
        base_url: Some(f.sandbox.base_url()),
        sandbox: true,
        cu_field: None,
        pin_source: PinSource::TaxId,
    }
}

/// A browser: follows the consent page's redirect to wherever it points.
fn browse(url: &str) {
    let url = url.to_owned();
    tokio::spawn(async move {
        // The listener answers with a short page; a refused consent lands there too.
        let _ = reqwest::get(&url).await;
    });
}

#[tokio::test]
async fn connect_loopback_receives_the_sandboxs_redirect() {
    let f = fixture().await;
    qbo::configure(
        &f.file,
        &f.admin,
        f.secrets.as_ref(),
        &direct(&f),
        Some(&f.sandbox.client_secret()),
    )
    .await
    .unwrap();
    let mut opened = None;
    let view = qbo::connect_loopback(
        &f.file,
        &f.admin,
        f.secrets.clone(),
        |url| {
            opened = Some(url.to_owned());
            browse(url);
        },
        std::time::Duration::from_secs(20),
    )
    .await
    .unwrap();
    let opened = opened.expect("the consent address was handed out");
    assert!(
        opened.contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A"),
        "the listener's own port, not the configured redirect: {opened}"
    );
    assert_eq!(view.realm_id, Some(f.sandbox.realm_id()));
    assert!(
        qbo::status(&f.file, &f.admin, f.secrets.clone())
            .await
            .unwrap()
            .connected
    );
    assert_eq!(f.sandbox.stats().code_exchanges, 1);

    // A refused consent comes back to the listener as an error, and nothing is exchanged.
    f.sandbox.deny_next_consent();
    let err = qbo::connect_loopback(
        &f.file,
        &f.admin,
        f.secrets.clone(),
        browse,
        std::time::Duration::from_secs(20),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().to_lowercase().contains("denied"), "{err}");
    assert_eq!(f.sandbox.stats().code_exchanges, 1);
}

#[tokio::test]
async fn a_company_connects_through_the_broker_which_holds_the_secret() {
    let f = fixture().await;
    let broker = Broker::start(
        "127.0.0.1:0".parse().unwrap(),
        BrokerConfig {
            client_id: f.sandbox.client_id(),
            client_secret: f.sandbox.client_secret(),
            token_url: f.sandbox.token_url(),
            revoke_url: f.sandbox.revoke_url(),
            redirect_uri: None,
        },
    )
    .await
    .unwrap();
    qbo::configure(
        &f.file,
        &f.admin,
        f.secrets.as_ref(),
        &ConnectionSettings {
            mode: ConnectMode::Broker,
            client_id: Some(f.sandbox.client_id()),
            broker_url: Some(broker.url()),
            redirect_uri: REDIRECT.into(),
            base_url: Some(f.sandbox.base_url()),
            sandbox: true,
            cu_field: None,
            pin_source: PinSource::TaxId,
        },
        None,
    )
    .await
    .unwrap();
    let url = qbo::authorize_url(&f.file, &f.admin).await.unwrap();
    let pasted = consent(&url).await;
    let view = qbo::connect_paste(&f.file, &f.admin, f.secrets.clone(), &pasted)
        .await
        .unwrap();
    assert_eq!(view.realm_id, Some(f.sandbox.realm_id()));
    assert_eq!(f.sandbox.stats().code_exchanges, 1);

    // The access token expires: the refresh goes through the broker too.
    f.sandbox.expire_access_tokens();
    let q = qbo::open(&f.file, f.secrets.clone())
        .await
        .unwrap()
        .unwrap();
    let report = pull::pull(&q, &f.admin, false).await.unwrap();
    assert_eq!(report.sales_issued, 13);
    let stats = f.sandbox.stats();
    assert!(stats.refresh_requests >= 1, "{stats:?}");
    assert_eq!(stats.refresh_rejected, 0);
    assert_eq!(
        stats.broker_calls, 0,
        "our broker, not the sandbox's stand-in, did the work"
    );
    // The secret is on the broker only.
    let company = hesabu_core::company::load(f.file.reader()).await.unwrap();
    assert_eq!(
        f.secrets
            .get(&qbo::client_secret_name(&company.id))
            .unwrap(),
        None
    );

    // Disconnecting revokes through the broker.
    let view = qbo::disconnect(&f.file, &f.admin, f.secrets.clone(), false)
        .await
        .unwrap();
    assert_eq!(view.realm_id, None);
    assert_eq!(f.sandbox.stats().revokes, 1);

    // A broker that is gone: Intuit cannot be told, nothing is wiped without --force.
    let url = qbo::authorize_url(&f.file, &f.admin).await.unwrap();
    let pasted = consent(&url).await;
    qbo::connect_paste(&f.file, &f.admin, f.secrets.clone(), &pasted)
        .await
        .unwrap();
    drop(broker);
    let err = qbo::disconnect(&f.file, &f.admin, f.secrets.clone(), false)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("--force"), "{err}");
    let view = qbo::disconnect(&f.file, &f.admin, f.secrets.clone(), true)
        .await
        .unwrap();
    assert_eq!(view.realm_id, None);
}

/// Setting up, connecting and disconnecting QuickBooks are for admins, in the service itself:
/// a finance manager (who may run the sync) is refused by every one of them, whatever calls it.
#[tokio::test]
async fn only_admins_set_up_connect_or_disconnect_quickbooks() {
    let f = fixture().await;
    hesabu_core::users::add(
        &f.file,
        &f.admin,
        &hesabu_core::users::NewUser {
            email: "fm@acme.test".into(),
            name: "Fiona Finance".into(),
            role: hesabu_store::permissions::Role::FinanceManager,
            manager_email: None,
            department: None,
            password: "fm-pass-12345".into(),
        },
    )
    .await
    .unwrap();
    let fm = hesabu_store::auth::login(&f.file, "fm@acme.test", "fm-pass-12345")
        .await
        .unwrap();
    assert!(fm.may(hesabu_store::permissions::Permission::SyncManage));
    let settings = ConnectionSettings {
        mode: ConnectMode::Paste,
        client_id: Some(f.sandbox.client_id()),
        broker_url: None,
        redirect_uri: REDIRECT.into(),
        base_url: Some(f.sandbox.base_url()),
        sandbox: true,
        cu_field: None,
        pin_source: PinSource::TaxId,
    };
    let refused = |e: hesabu_store::error::Error| {
        assert!(
            matches!(e, hesabu_store::error::Error::PermissionDenied(_)),
            "{e:?}"
        );
    };
    refused(
        qbo::configure(
            &f.file,
            &fm,
            f.secrets.as_ref(),
            &settings,
            Some(&f.sandbox.client_secret()),
        )
        .await
        .unwrap_err(),
    );
    // Set up by the admin: the finance manager still may not connect or disconnect.
    qbo::configure(
        &f.file,
        &f.admin,
        f.secrets.as_ref(),
        &settings,
        Some(&f.sandbox.client_secret()),
    )
    .await
    .unwrap();
    refused(qbo::authorize_url(&f.file, &fm).await.unwrap_err());
    refused(
        qbo::connect_paste(&f.file, &fm, f.secrets.clone(), "https://x/cb?code=1")
            .await
            .unwrap_err(),
    );
    refused(
        qbo::disconnect(&f.file, &fm, f.secrets.clone(), true)
            .await
            .unwrap_err(),
    );
    // Reading the connection is still theirs.
    assert!(qbo::status(&f.file, &fm, f.secrets.clone()).await.is_ok());
    assert_eq!(f.sandbox.stats().code_exchanges, 0);
}

// ---- Issue 18: a pull's progress, each sale's QuickBooks side, the scheduled pull ----------

#[tokio::test]
async fn a_pull_reports_its_progress_list_by_list_then_saving() {
    let f = fixture().await;
    let q = f.connect().await;
    let seen = std::sync::Mutex::new(Vec::new());
    let sink = |p: pull::PullProgress| seen.lock().unwrap().push(p);
    let report = pull::pull_with_progress(&q, &f.admin, false, Some(&sink))
        .await
        .unwrap();
    let seen = std::mem::take(&mut *seen.lock().unwrap());
    let last = seen.last().unwrap().clone();
    // A first load: tax codes, tax rates, preferences, the five entities, then saving.
    assert_eq!(
        (last.steps_done, last.steps_total, last.finished),
        (9, 9, true),
        "{last:?}"
    );
    assert!(last.pages >= 5, "{last:?}");
    assert!(last.objects >= report.objects, "{last:?} {report:?}");
    // It only moves forward, and says finished once, at the end.
    assert!(seen.windows(2).all(|w| {
        w[0].steps_done <= w[1].steps_done
            && w[0].pages <= w[1].pages
            && w[0].objects <= w[1].objects
    }));
    assert_eq!(seen.iter().filter(|p| p.finished).count(), 1);
    let mut steps: Vec<String> = seen.iter().map(|p| p.step.clone()).collect();
    steps.dedup();
    assert_eq!(
        steps,
        [
            "",
            "Reading tax codes",
            "Reading tax rates",
            "Reading the company's preferences",
            "Reading customers",
            "Reading items",
            "Reading invoices",
            "Reading credit memos",
            "Reading sales receipts",
            "Saving into the ledger",
        ]
    );
    // The next pull is one CDC call: five steps.
    let seen = std::sync::Mutex::new(Vec::new());
    let sink = |p: pull::PullProgress| seen.lock().unwrap().push(p);
    pull::pull_with_progress(&q, &f.admin, false, Some(&sink))
        .await
        .unwrap();
    let last = seen.lock().unwrap().last().unwrap().clone();
    assert_eq!((last.steps_done, last.steps_total), (5, 5), "{last:?}");
}

#[tokio::test]
async fn a_pulled_sale_shows_its_quickbooks_transaction_and_write_back_in_words() {
    use hesabu_app::qbo::document::{self, WriteBack};
    let f = fixture().await;
    let q = f.connect().await;
    pull::pull(&q, &f.admin, false).await.unwrap();
    let id = f.sandbox.ids("Invoice")[0].clone();
    let doc = f.local_of("Invoice", &id).await.unwrap();
    let show = || async {
        document::show(&f.file, &f.admin, &doc)
            .await
            .unwrap()
            .expect("pulled from QuickBooks")
    };
    let v = show().await;
    assert_eq!(
        (v.entity.as_str(), v.qbo_id.as_str()),
        ("Invoice", id.as_str())
    );
    assert_eq!(v.doc_number.as_deref(), Some("1001"));
    assert_eq!(v.label, "QuickBooks invoice 1001");
    assert_eq!(v.stage, WriteBack::AwaitingSignature, "{v:?}");
    assert!(v.words.contains("Waiting for KRA's signature"), "{v:?}");
    // A local test server has no web app to link to, and is not called QuickBooks Online.
    assert!(v.link.is_none() && !v.local_sandbox, "{v:?}");
    assert!(v.location.contains("local QuickBooks test server"), "{v:?}");

    f.sign(&doc, 1).await;
    assert_eq!(show().await.stage, WriteBack::WaitingForPull);
    assert_eq!(
        pull::pull(&q, &f.admin, false).await.unwrap().pushes_queued,
        1
    );
    let v = show().await;
    assert_eq!(v.stage, WriteBack::Queued, "{v:?}");
    assert!(v.outbox_id.is_some());

    // QuickBooks refuses the connection: the write-back fails for good, and says what to do.
    f.sandbox.revoke_all();
    f.sandbox.expire_access_tokens();
    let drain = |q: qbo::Qbo| {
        let file = f.file.clone();
        let clock = f.clock.clone();
        async move {
            let targets = Targets::new().with(Arc::new(push::QboTarget::new(q)));
            let drainer = Drainer::new(file, targets, ClockSleeper::new(clock)).unwrap();
            drainer.drain_until_idle().await.unwrap()
        }
    };
    let failed = drain(q.clone()).await;
    assert_eq!(failed.dead, 1, "{failed:?}");
    let v = show().await;
    assert_eq!(v.stage, WriteBack::Failed, "{v:?}");
    assert!(
        v.words
            .starts_with("Failed: QuickBooks must be connected again"),
        "{v:?}"
    );
    assert!(
        v.fix
            .as_deref()
            .is_some_and(|x| x.contains("Connect QuickBooks again")),
        "{v:?}"
    );
    assert!(v.last_error.is_some());
    // Connected again and the item retried: attached and updated.
    let q = f.connect().await;
    outbox::retry(&f.file, &f.admin, v.outbox_id.as_deref().unwrap())
        .await
        .unwrap();
    let sent = drain(q).await;
    assert_eq!(sent.done, 1, "{sent:?}");
    let v = show().await;
    assert_eq!(v.stage, WriteBack::Done, "{v:?}");
    assert!(v.words.starts_with("Attached and updated"), "{v:?}");
    assert!(v.attachable_id.is_some() && v.fix.is_none() && v.last_error.is_none());

    // For a company in Intuit's sandbox the link opens the invoice in Intuit's web app.
    sql(
        &f.file,
        "UPDATE qbo_connection SET api_base = 'https://sandbox-quickbooks.api.intuit.com'",
    )
    .await;
    let v = show().await;
    assert_eq!(
        v.link.as_deref(),
        Some(format!("https://app.sandbox.qbo.intuit.com/app/invoice?txnId={id}").as_str())
    );
    assert!(v.location.starts_with("Intuit's sandbox company"), "{v:?}");

    // The list leaves out sales that did not come from QuickBooks; every role that sees sales
    // may read it.
    let own = documents::create(
        &f.file,
        &f.admin,
        &documents::NewSale::new(
            hesabu_core::sales::SalesType::Invoice,
            Some("Mama Njeri's Kiosk"),
            vec![documents::NewSaleLine {
                description: Some("Counter sale".into()),
                quantity: 1.into(),
                unit_price: Some(Decimal::from(100)),
                tax_type: Some("B".into()),
                ..Default::default()
            }],
        ),
    )
    .await
    .unwrap();
    let listed = document::list(&f.file, &f.admin, &[doc.clone(), own.id.clone()])
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert!(
        document::show(&f.file, &f.admin, &own.id)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn the_scheduled_pull_pulls_when_connected_and_skips_instead_of_failing() {
    use hesabu_app::jobs::{QBO_PULL, standard_scheduler_with_secrets};
    use hesabu_store::scheduler::JobRunOutcome;
    let mut f = fixture().await;
    let scheduler = standard_scheduler_with_secrets(Targets::new(), f.secrets.clone());
    let later = |f: &Fixture| {
        f.clock.advance(chrono::Duration::minutes(16));
        f.sandbox
            .advance_clock(std::time::Duration::from_secs(16 * 60));
    };
    let run = |outcomes: Vec<JobRunOutcome>| -> JobRunOutcome {
        outcomes
            .into_iter()
            .find(|o| o.name == QBO_PULL)
            .expect("the pull was due")
    };
    // Not set up: skipped, and that is a successful run.
    let first = run(scheduler.run_due(&f.file, &f.admin).await.unwrap());
    assert_eq!(first.status, "ok", "{first:?}");
    assert!(
        first.result["skipped"]
            .as_str()
            .unwrap()
            .contains("not set up"),
        "{first:?}"
    );
    // Connected: the next slot (15 minutes on) loads everything, the one after pulls changes.
    let _q = f.connect().await;
    let early = scheduler.run_due(&f.file, &f.admin).await.unwrap();
    assert!(early.iter().all(|o| o.name != QBO_PULL), "not due yet");
    later(&f);
    let loaded = run(scheduler.run_due(&f.file, &f.admin).await.unwrap());
    assert_eq!(loaded.status, "ok", "{loaded:?}");
    assert_eq!(loaded.result["pulled"]["mode"], "initial", "{loaded:?}");
    assert_eq!(loaded.result["pulled"]["sales_issued"], 13, "{loaded:?}");
    // Someone adds an invoice in QuickBooks (a copy of the first, numbered 2001).
    let mut copy: serde_json::Value = serde_json::from_str(
        &f.sandbox
            .object("Invoice", &f.sandbox.ids("Invoice")[0])
            .unwrap(),
    )
    .unwrap();
    for field in ["Id", "SyncToken", "MetaData", "domain", "sparse"] {
        copy.as_object_mut().unwrap().remove(field);
    }
    copy["DocNumber"] = "2001".into();
    f.sandbox.insert("Invoice", &copy.to_string()).unwrap();
    later(&f);
    let changes = run(scheduler.run_due(&f.file, &f.admin).await.unwrap());
    assert_eq!(changes.result["pulled"]["mode"], "cdc", "{changes:?}");
    assert_eq!(changes.result["pulled"]["sales_issued"], 1, "{changes:?}");

    // QuickBooks refuses the refresh token: "reconnect needed", not a failure; the connection
    // says so, and the runs after it ask QuickBooks nothing.
    f.sandbox.revoke_all();
    f.sandbox.expire_access_tokens();
    later(&f);
    let refused = run(scheduler.run_due(&f.file, &f.admin).await.unwrap());
    assert_eq!(refused.status, "ok", "{refused:?}");
    assert!(
        refused.result["skipped"]
            .as_str()
            .unwrap()
            .starts_with("reconnect needed"),
        "{refused:?}"
    );
    let status = qbo::status(&f.file, &f.admin, f.secrets.clone())
        .await
        .unwrap();
    assert!(status.reconnect_needed.is_some(), "{status:?}");
    let asked = f.sandbox.stats();
    later(&f);
    let again = run(scheduler.run_due(&f.file, &f.admin).await.unwrap());
    assert_eq!(again.status, "ok");
    assert!(
        again.result["skipped"]
            .as_str()
            .unwrap()
            .starts_with("reconnect needed")
    );
    let after = f.sandbox.stats();
    assert_eq!(
        (after.token_requests, after.api_calls),
        (asked.token_requests, asked.api_calls),
        "no call to QuickBooks while a reconnect is needed"
    );
    let job = scheduler
        .list(&f.file, &f.admin)
        .await
        .unwrap()
        .into_iter()
        .find(|j| j.name == QBO_PULL)
        .unwrap();
    assert_eq!(job.schedule_text, "every 15 minutes");
    assert_eq!(job.failures, 0, "{job:?}");

    // Connected again, then offline (QuickBooks unreachable): skipped; the next run catches up.
    f.connect().await;
    let other = Sandbox::start("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    drop(std::mem::replace(&mut f.sandbox, other));
    later(&f);
    let offline = run(scheduler.run_due(&f.file, &f.admin).await.unwrap());
    assert_eq!(offline.status, "ok", "{offline:?}");
    assert!(
        offline.result["skipped"]
            .as_str()
            .unwrap()
            .starts_with("offline"),
        "{offline:?}"
    );
}

/// The write-back batches its reads (issue 18, spec §6.1): 20 signed sales drained through
/// the outbox, every one attached once and updated once, with the dedupe checks and the
/// transaction reads prefetched `batch_size` at a time instead of 2 calls per sale. Prints
/// the calls made (docs/benchmarks.md):
/// `cargo test -p hesabu-tests --test it qbo::the_write_back_batches -- --nocapture`.
#[tokio::test]
async fn the_write_back_batches_its_reads_and_still_writes_once_per_sale() {
    const SALES: usize = 20;
    let f = fixture().await;
    f.sandbox.seed_invoices(SALES);
    let q = f.connect().await;
    pull::pull(&q, &f.admin, false).await.unwrap();
    let ids: Vec<String> = f.sandbox.ids("Invoice").into_iter().take(SALES).collect();
    assert_eq!(ids.len(), SALES);
    let mut docs = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let doc = f.local_of("Invoice", id).await.unwrap();
        f.sign(&doc, i64::try_from(i).unwrap() + 1).await;
        docs.push(doc);
    }
    assert_eq!(
        pull::pull(&q, &f.admin, false).await.unwrap().pushes_queued,
        SALES as u64
    );
    let batch_size = q.client().config().batch_size;
    assert_eq!(batch_size, 10, "the spec's client policy");

    let before = f.sandbox.stats();
    let targets = Targets::new().with(Arc::new(push::QboTarget::new(q.clone())));
    let drainer =
        Drainer::new(f.file.clone(), targets, ClockSleeper::new(f.clock.clone())).unwrap();
    let report = drainer.drain_until_idle().await.unwrap();
    let after = f.sandbox.stats();
    assert_eq!(
        (report.done, report.failed, report.dead),
        (SALES as u32, 0, 0),
        "{report:?}"
    );

    // Every sale attached once and updated once.
    assert_eq!(after.uploads - before.uploads, SALES as u64);
    for (id, doc) in ids.iter().zip(&docs) {
        let row = push::row(f.file.reader(), doc).await.unwrap().unwrap();
        assert_eq!(row.state, "done", "{row:?}");
        let updates = f
            .sandbox
            .writes()
            .into_iter()
            .filter(|w| w.entity == "Invoice" && &w.id == id && w.request_id.is_some())
            .count();
        assert_eq!(updates, 1, "invoice {id} updated once");
        let note: serde_json::Value =
            serde_json::from_str(&f.sandbox.object("Invoice", id).unwrap()).unwrap();
        assert!(note["PrivateNote"].as_str().unwrap().contains("[ETR] CU="));
    }
    let calls = after.api_calls - before.api_calls;
    let batches = after.batches - before.batches;
    let unbatched = 4 * SALES as u64;
    println!(
        "ETR write-back of {SALES} sales: {calls} API calls ({batches} batch calls, {} uploads, \
         {} updates); unbatched: {unbatched} (4 per sale)",
        after.uploads - before.uploads,
        SALES
    );
    // The design's bound: the writes (one upload and one update per sale) plus the batch
    // calls. One batch reads the dedupe checks and transactions of batch_size − 1 sales (one
    // Attachable query each, one `Id IN` query for the invoices); with the outbox's 4 sends in
    // flight, up to 3 sales of the previous round may still be mid-write when the next batch
    // is planned and take room in it, so each batch brings at least batch_size − 1 − 3 new
    // sales: ⌈20 / 6⌉ = 4 batch calls at most. No single dedupe query or read was needed.
    let per_batch = (batch_size - 1 - 3) as u64;
    let most_batches = (SALES as u64).div_ceil(per_batch);
    assert!(batches >= 1, "the sandbox saw batch calls");
    assert!(batches <= most_batches, "{batches} batch calls");
    assert_eq!(calls, 2 * SALES as u64 + batches, "only writes and batches");
    assert!(calls < unbatched);
    // Each sale carries exactly one attachment, ours.
    for id in &ids {
        let attached = q.client().attachments_of("Invoice", id).await.unwrap();
        assert_eq!(attached.len(), 1, "invoice {id}");
    }
}

/// A prefetched "not there" is never trusted once an upload may have happened: another
/// process (its own connection, its own prefetch) uploads sale B and crashes before recording
/// the attachment's id; this process still holds B's prefetched "not there" from A's batch,
/// yet its retry asks QuickBooks afresh, finds the attachment and sends no upload.
#[tokio::test]
async fn a_prefetched_not_there_is_not_used_after_an_upload_was_attempted() {
    let f = fixture().await;
    let q = f.connect().await;
    pull::pull(&q, &f.admin, false).await.unwrap();
    let ids = f.sandbox.ids("Invoice");
    let doc_a = f.local_of("Invoice", &ids[0]).await.unwrap();
    let doc_b = f.local_of("Invoice", &ids[1]).await.unwrap();
    f.sign(&doc_a, 1).await;
    f.sign(&doc_b, 2).await;
    pull::pull(&q, &f.admin, false).await.unwrap();

    // A's dedupe check is one batch call that also reads B's (not there yet).
    let before = f.sandbox.stats();
    push::attach(&q, &doc_a).await.unwrap();
    let after = f.sandbox.stats();
    assert_eq!(after.batches - before.batches, 1);
    assert_eq!(
        after.api_calls - before.api_calls,
        2,
        "the batch and A's upload"
    );

    // The other process uploads B, then "crashes" before its id is recorded.
    let other = qbo::open(&f.file, f.secrets.clone())
        .await
        .unwrap()
        .unwrap();
    let uploaded = push::attach(&other, &doc_b).await.unwrap();
    sql(
        &f.file,
        &format!(
            "UPDATE qbo_push SET attachable_id = NULL, state = 'pending' WHERE document_id = \
             '{doc_b}'"
        ),
    )
    .await;
    let before = f.sandbox.stats();
    assert_eq!(push::attach(&q, &doc_b).await.unwrap(), uploaded);
    let after = f.sandbox.stats();
    assert_eq!(after.uploads, before.uploads, "no second upload");
    assert_eq!(after.replays, before.replays, "not even a replayed one");
    assert_eq!(
        after.batches, before.batches,
        "a single fresh check, no batch"
    );
    assert_eq!(after.api_calls - before.api_calls, 1);
}
