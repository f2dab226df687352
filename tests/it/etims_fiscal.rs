//! The e-TIMS fiscal flow end to end against the local sandbox (`hesabu-etims-sandbox`, legacy
//! gateway made strict on numbering and line maths): device set-up, signing through the outbox,
//! credit notes, and every way an answer can go wrong (spec §11.4), counting at the sandbox
//! that nothing is ever signed twice.

use std::collections::BTreeSet;
use std::time::Duration;

use hesabu_app::etims::device::{self, DeviceSetup, cmc_key_name};
use hesabu_app::etims::{Timeouts, fiscal, targets_for_file};
use hesabu_core::approvals::sales_gate;
use hesabu_core::sales::SalesType;
use hesabu_core::sales::customers::{self, NewCustomer};
use hesabu_core::sales::documents::{self as sales, NewSale, NewSaleLine, SaleView};
use hesabu_core::sales::fiscal::{self as ledger, Answer, FiscalState};
use hesabu_core::sales::items::{self, NewItem};
use hesabu_core::sales::tax::PriceBasis;
use hesabu_core::workflows::{self, WorkflowType};
use hesabu_etims::Endpoint;
use hesabu_etims_sandbox::Fault;
use hesabu_store::outbox::{self, ClockSleeper, DrainSummary, Drainer, OutboxState, Targets};
use rust_decimal::Decimal;

use crate::etims_support::{CMC_KEY, SERIAL};
use crate::support;

const CUSTOMER_PIN: &str = "A000123456F";

/// Calls give up after this long (a stalled answer is a timeout).
fn timeouts() -> Timeouts {
    Timeouts::all(Duration::from_secs(1))
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
    fn setup(&self) -> DeviceSetup {
        DeviceSetup {
            base_url: Some(self.sandbox.legacy_base_url()),
            ..DeviceSetup::legacy(SERIAL)
        }
    }

    async fn init(&self) {
        device::init(
            &self.file,
            &self.admin,
            self.secrets.as_ref(),
            &self.setup(),
            timeouts(),
        )
        .await
        .unwrap();
    }

    /// A device, the customer and item of the recorded Odoo sale, the invoice and credit-note
    /// workflows on and sending by themselves (autoSync).
    async fn ready(&self) {
        self.init().await;
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
        items::add(
            &self.file,
            &self.admin,
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
        for w in [WorkflowType::InvoiceSync, WorkflowType::CreditNoteSync] {
            let on = serde_json::json!({ "enabled": true, "autoSync": true });
            workflows::set(&self.file, &self.admin, w, &on)
                .await
                .unwrap();
        }
    }

    /// Issues an invoice of `quantity` units (queued for e-TIMS by the invoice workflow).
    async fn invoice(&self, quantity: i64) -> SaleView {
        let line = NewSaleLine {
            item: Some("FOC".into()),
            quantity: Decimal::from(quantity),
            ..Default::default()
        };
        let new = NewSale {
            price_basis: Some(PriceBasis::Exclusive),
            ..NewSale::new(SalesType::Invoice, Some("Ralph Jr"), vec![line])
        };
        let draft = sales::create(&self.file, &self.admin, &new).await.unwrap();
        sales_gate::issue(&self.file, &self.admin, &draft.id)
            .await
            .unwrap()
    }

    async fn credit_note(&self, original: &SaleView, quantity: i64) -> SaleView {
        let line = NewSaleLine {
            item: Some("FOC".into()),
            quantity: Decimal::from(quantity),
            ..Default::default()
        };
        let new = NewSale {
            original: original.number.clone(),
            reason_code: Some("06".into()),
            price_basis: Some(PriceBasis::Exclusive),
            ..NewSale::new(SalesType::CreditNote, None, vec![line])
        };
        let draft = sales::create(&self.file, &self.admin, &new).await.unwrap();
        sales_gate::issue(&self.file, &self.admin, &draft.id)
            .await
            .unwrap()
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

    /// Moves past any backoff.
    fn later(&self) {
        self.clock.advance(chrono::Duration::hours(2));
    }

    async fn state_of(&self, sale: &SaleView) -> ledger::FiscalStatus {
        ledger::status(&self.file, &self.admin, &sale.id)
            .await
            .unwrap()
    }

    async fn outbox_rows(&self, state: OutboxState) -> Vec<outbox::OutboxItemView> {
        outbox::list(&self.file, &self.admin, Some(state), 1000)
            .await
            .unwrap()
    }
}

fn signed(status: &ledger::FiscalStatus) -> &ledger::SubmissionView {
    let s = status.submission.as_ref().expect("a submission");
    assert_eq!(s.state, FiscalState::Signed, "{s:?}");
    s
}

#[tokio::test]
async fn device_init_keeps_the_key_in_the_secret_store_and_is_done_once() {
    let f = fixture().await;
    let d = device::init(
        &f.file,
        &f.admin,
        f.secrets.as_ref(),
        &f.setup(),
        timeouts(),
    )
    .await
    .unwrap();
    assert_eq!(d.tin, "P051234567X");
    assert_eq!(d.bhf_id, "00");
    assert_eq!(d.dvc_srl_no, SERIAL);
    assert_eq!(d.key_source, "init");
    assert_eq!(d.last_invc_no, 0);
    for (what, value) in [
        ("sdc_id", &d.sdc_id),
        ("mrc_no", &d.mrc_no),
        ("dvc_id", &d.dvc_id),
        ("taxpayer_name", &d.taxpayer_name),
        ("branch_name", &d.branch_name),
    ] {
        assert!(value.as_deref().is_some_and(|v| !v.is_empty()), "{what}");
    }
    // The key is in the secret store, and nowhere in the company file (nor its WAL).
    assert_eq!(
        f.secrets
            .get(&cmc_key_name(&d.company_id))
            .unwrap()
            .as_deref(),
        Some(CMC_KEY)
    );
    let shown = ledger::show_device(&f.file, &f.admin)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(shown.sdc_id, d.sdc_id);
    for entry in std::fs::read_dir(f.dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("acme.hesabu")
        {
            let bytes = std::fs::read(&path).unwrap();
            assert!(
                !bytes
                    .windows(CMC_KEY.len())
                    .any(|w| w == CMC_KEY.as_bytes()),
                "the key is in {}",
                path.display()
            );
        }
    }
    assert_eq!(f.sandbox.count(Endpoint::Init), 1);

    // Initialising again is refused here, before KRA is asked.
    let again = device::init(
        &f.file,
        &f.admin,
        f.secrets.as_ref(),
        &f.setup(),
        timeouts(),
    )
    .await
    .unwrap_err();
    assert!(again.to_string().contains("--force"), "{again}");
    assert_eq!(f.sandbox.count(Endpoint::Init), 1);

    // Forced, KRA answers 902: the message says to enter the key we have.
    let forced = DeviceSetup {
        force: true,
        ..f.setup()
    };
    let err = device::init(&f.file, &f.admin, f.secrets.as_ref(), &forced, timeouts())
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("902") && text.contains("--cmc-key"), "{text}");

    // Entering the key is checked with KRA (a wrong one is refused) and kept.
    let wrong = DeviceSetup {
        cmc_key: Some("not-the-key".into()),
        sdc_id: d.sdc_id.clone(),
        mrc_no: d.mrc_no.clone(),
        ..forced.clone()
    };
    assert!(
        device::init(&f.file, &f.admin, f.secrets.as_ref(), &wrong, timeouts())
            .await
            .is_err()
    );
    let entered = DeviceSetup {
        cmc_key: Some(CMC_KEY.into()),
        ..wrong
    };
    let d2 = device::init(&f.file, &f.admin, f.secrets.as_ref(), &entered, timeouts())
        .await
        .unwrap();
    assert_eq!(d2.key_source, "entered");
    assert_eq!(d2.sdc_id, d.sdc_id);
    assert_eq!(f.sandbox.count(Endpoint::Init), 2);

    // Every set-up is audited, and the chain still verifies.
    let audit = hesabu_store::audit::verify(&f.file, &f.admin)
        .await
        .unwrap();
    assert!(audit.first_broken.is_none());
}

#[tokio::test]
async fn an_issued_invoice_is_signed_through_the_outbox_and_a_credit_note_against_it() {
    let f = fixture().await;
    f.ready().await;
    let invoice = f.invoice(2).await;
    // Checklist and preview before anything is sent.
    let list = fiscal::checklist(&f.file, &f.admin, &invoice.id)
        .await
        .unwrap();
    assert!(list.ready, "{:?}", list.problems);
    let preview = fiscal::payload_preview(&f.file, &f.admin, &invoice.id)
        .await
        .unwrap();
    assert_eq!(preview.kind, "preview");
    assert_eq!(preview.payload["invcNo"], 1);
    assert_eq!(f.sandbox.count(Endpoint::SaveSale), 0);

    let summary = f.drain().await;
    assert_eq!((summary.done, summary.dead), (1, 0), "{summary:?}");
    let status = f.state_of(&invoice).await;
    let s = signed(&status);
    assert_eq!(s.invc_no, Some(1));
    assert_eq!(status.document_status.as_str(), "fiscalised");
    // Signed as soon as it was issued: nobody needs telling.
    let bell = hesabu_store::notifications::list(&f.file, &f.admin)
        .await
        .unwrap();
    assert!(
        bell.iter()
            .all(|n| n.kind != fiscal::SIGNED_AFTER_WAIT_KIND),
        "{bell:?}"
    );
    let at_kra = f.sandbox.signed_sales();
    assert_eq!(at_kra.len(), 1);
    assert_eq!(at_kra[0].trd_invc_no, "INV-000001");
    // What is stored is exactly what KRA received, and KRA's signature.
    assert_eq!(s.request_json, at_kra[0].request_json);
    assert_eq!(
        s.rcpt_sign.as_deref(),
        Some(at_kra[0].signature.rcpt_sign.as_str())
    );
    assert_eq!(
        s.intrl_data.as_deref(),
        Some(at_kra[0].signature.intrl_data.as_str())
    );
    assert_eq!(
        s.sdc_date_time.as_deref(),
        Some(at_kra[0].signature.sdc_date_time.as_str())
    );
    let device = ledger::show_device(&f.file, &f.admin)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s.sdc_id, device.sdc_id);
    let cu = format!(
        "{}/{}",
        device.sdc_id.clone().unwrap(),
        at_kra[0].signature.cur_rcpt_no
    );
    assert_eq!(s.cu_invoice_no.as_deref(), Some(cu.as_str()));
    let done = f.outbox_rows(OutboxState::Done).await;
    assert_eq!(done[0].remote_ref.as_deref(), Some(cu.as_str()));
    // The frozen request is what `etims payload` shows now.
    let frozen = fiscal::payload_preview(&f.file, &f.admin, &invoice.id)
        .await
        .unwrap();
    assert_eq!(frozen.kind, "frozen");

    // A signed record never changes.
    let mut uow = f.file.begin(&f.admin).await.unwrap();
    let err = ledger::record_rejected_in(&mut uow, &invoice.id, &Answer::default(), true)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("never changed"), "{err}");
    drop(uow);
    let err = sales::void(&f.file, &f.admin, &invoice.id, "mistake")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("credit note"), "{err}");

    // A credit note carries the original's number and is signed next.
    let note = f.credit_note(&invoice, 1).await;
    let summary = f.drain().await;
    assert_eq!(summary.done, 1, "{summary:?}");
    let status = f.state_of(&note).await;
    let s = signed(&status);
    assert_eq!((s.invc_no, s.org_invc_no), (Some(2), 1));
    let at_kra = f.sandbox.signed_sales();
    assert_eq!(at_kra.len(), 2);
    assert_eq!(
        (at_kra[1].rcpt_ty_cd.as_str(), at_kra[1].org_invc_no),
        ("R", 1)
    );
    // Sending again is a no-op.
    let err = fiscal::queue(&f.file, &f.admin, &invoice.id)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("already signed"), "{err}");
}

#[tokio::test]
async fn a_timeout_after_kra_signed_is_looked_up_and_adopted_not_resent() {
    let f = fixture().await;
    f.ready().await;
    let invoice = f.invoice(1).await;
    // KRA signs, then answers after our timeout.
    f.sandbox.fail_next_on(
        Endpoint::SaveSale,
        1,
        Fault::AcceptThenStall(Duration::from_secs(3)),
    );
    let first = f.drain().await;
    assert_eq!((first.done, first.failed), (0, 1), "{first:?}");
    let status = f.state_of(&invoice).await;
    let s = status.submission.as_ref().unwrap();
    assert_eq!(s.state, FiscalState::Unknown);
    assert_eq!(s.invc_no, Some(1));
    // The sale cannot be voided while KRA may have signed it.
    let err = sales::void(&f.file, &f.admin, &invoice.id, "oops")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("may have signed"), "{err}");
    let ready = f.outbox_rows(OutboxState::Ready).await;
    assert!(ready[0].check_first, "{ready:?}");

    f.later();
    let second = f.drain().await;
    assert_eq!(second.done, 1, "{second:?}");
    let status = f.state_of(&invoice).await;
    let s = signed(&status);
    assert!(s.adopted);
    assert_eq!(f.sandbox.signed_sales().len(), 1);
    assert_eq!(f.sandbox.count(Endpoint::SaveSale), 1);
    assert!(f.sandbox.count(Endpoint::InvoiceDetails) >= 1);
    assert_eq!(
        s.rcpt_sign.as_deref(),
        Some(f.sandbox.signed_sales()[0].signature.rcpt_sign.as_str())
    );
}

#[tokio::test]
async fn a_rejection_releases_the_number_and_the_next_sale_reuses_it() {
    let f = fixture().await;
    f.ready().await;
    let refused = f.invoice(1).await;
    f.sandbox
        .fail_next_on(Endpoint::SaveSale, 1, Fault::result("910"));
    let summary = f.drain().await;
    assert_eq!(summary.dead, 1, "{summary:?}");
    let status = f.state_of(&refused).await;
    let s = status.submission.as_ref().unwrap();
    assert_eq!(s.state, FiscalState::Rejected);
    assert_eq!((s.invc_no, s.released_invc_no), (None, Some(1)));
    assert_eq!(s.result_cd.as_deref(), Some("910"));
    assert_eq!(s.result_msg.as_deref(), Some("Request parameter error"));
    let dead = f.outbox_rows(OutboxState::Dead).await;
    let message = dead[0].last_error_message.clone().unwrap();
    assert!(
        message.contains("Request parameter error") && message.contains("released"),
        "{message}"
    );
    let device = ledger::show_device(&f.file, &f.admin)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(device.last_invc_no, 0);

    // The next sale takes number 1 (the strict sandbox would refuse 2).
    let next = f.invoice(1).await;
    let summary = f.drain().await;
    assert_eq!(summary.done, 1, "{summary:?}");
    assert_eq!(signed(&f.state_of(&next).await).invc_no, Some(1));

    // Retried by a person, the refused sale gets the number after it.
    outbox::retry(&f.file, &f.admin, &dead[0].id).await.unwrap();
    let summary = f.drain().await;
    assert_eq!(summary.done, 1, "{summary:?}");
    assert_eq!(signed(&f.state_of(&refused).await).invc_no, Some(2));
    assert_eq!(f.sandbox.signed_sales().len(), 2);
}

#[tokio::test]
async fn a_994_is_resolved_by_looking_the_invoice_up() {
    let f = fixture().await;
    f.ready().await;
    let invoice = f.invoice(3).await;
    // Signed but the answer lost; then the lookups (the outbox's check, and the target's own
    // before it resends) wrongly say "no such invoice", so the same request goes again and KRA
    // answers 994: resolved by a third lookup.
    f.sandbox
        .fail_next_on(Endpoint::SaveSale, 1, Fault::AcceptThenDrop);
    f.sandbox
        .fail_next_on(Endpoint::InvoiceDetails, 2, Fault::result("001"));
    let first = f.drain().await;
    assert_eq!(first.done, 0, "{first:?}");
    f.later();
    let second = f.drain().await;
    assert_eq!(second.done, 1, "{second:?}");
    let s = f.state_of(&invoice).await;
    assert!(signed(&s).adopted);
    assert_eq!(f.sandbox.count(Endpoint::SaveSale), 2);
    assert!(
        f.sandbox
            .received()
            .iter()
            .any(|c| c.endpoint == Endpoint::SaveSale && c.outcome.starts_with("994")),
        "{:?}",
        f.sandbox.received()
    );
    assert_eq!(f.sandbox.signed_sales().len(), 1);
}

#[tokio::test]
async fn throttling_and_server_errors_are_retried_with_the_same_number() {
    let f = fixture().await;
    f.ready().await;
    let invoice = f.invoice(1).await;
    f.sandbox
        .fail_next_on(Endpoint::SaveSale, 1, Fault::result("990"));
    f.sandbox
        .fail_next_on(Endpoint::SaveSale, 1, Fault::result("999"));
    f.sandbox
        .fail_next_on(Endpoint::SaveSale, 1, Fault::Http(503));
    for _ in 0..3 {
        let pass = f.drain().await;
        assert_eq!((pass.done, pass.failed, pass.dead), (0, 1, 0), "{pass:?}");
        let s = f.state_of(&invoice).await.submission.unwrap();
        assert_eq!(s.invc_no, Some(1));
        f.later();
    }
    let pass = f.drain().await;
    assert_eq!(pass.done, 1, "{pass:?}");
    let s = f.state_of(&invoice).await;
    assert_eq!(signed(&s).invc_no, Some(1));
    assert_eq!(signed(&s).attempts, 4);
    assert_eq!(f.sandbox.signed_sales().len(), 1);
    // It waited six hours for KRA: whoever issued it is told it is signed now (the bell, and
    // the desktop through `notifications::deliver`), linked to the sale.
    let bell = hesabu_store::notifications::list(&f.file, &f.admin)
        .await
        .unwrap();
    let notices: Vec<_> = bell
        .iter()
        .filter(|n| n.kind == fiscal::SIGNED_AFTER_WAIT_KIND)
        .collect();
    assert_eq!(notices.len(), 1, "{bell:?}");
    assert_eq!(notices[0].document_id.as_deref(), Some(invoice.id.as_str()));
    assert!(
        notices[0]
            .message
            .starts_with("INV-000001 is now signed by KRA, 6 hours after it was issued."),
        "{}",
        notices[0].message
    );
}

#[tokio::test]
async fn a_counter_kra_disagrees_with_is_corrected_only_when_every_number_is_accounted_for() {
    let f = fixture().await;
    f.ready().await;
    // Someone set the counter ahead: KRA expects 1, every lower number (none) is accounted for.
    ledger::set_counter(&f.file, &f.admin, 5).await.unwrap();
    let first = f.invoice(1).await;
    let pass = f.drain().await;
    assert_eq!(pass.failed, 1, "{pass:?}");
    f.later();
    f.drain().await;
    assert_eq!(signed(&f.state_of(&first).await).invc_no, Some(1));

    // Another system signs number 2 on the same device: our next sale's 2 is KRA's 994 for
    // someone else's invoice. Nothing more is numbered until a person looks.
    let other = hesabu_etims::Client::new(
        f.sandbox
            .client_config(hesabu_etims_sandbox::Profile::Legacy, "P051234567X", "00")
            .with_cmc_key(hesabu_etims::Secret::new(CMC_KEY)),
    )
    .unwrap();
    let mut foreign: hesabu_etims::types::sales::SaveSaleRequest =
        serde_json::from_str(&signed(&f.state_of(&first).await).request_json).unwrap();
    foreign.invc_no = 2;
    foreign.trd_invc_no = "OTHER-1".into();
    other.save_sale(&foreign).await.unwrap();
    let second = f.invoice(1).await;
    let pass = f.drain().await;
    assert_eq!(pass.dead, 1, "{pass:?}");
    let s = f.state_of(&second).await.submission.unwrap();
    assert_eq!(s.state, FiscalState::Unknown);
    assert!(
        s.result_msg.as_deref().unwrap().contains("OTHER-1"),
        "{:?}",
        s.result_msg
    );
    let third = f.invoice(1).await;
    let pass = f.drain().await;
    assert_eq!(pass.done, 0, "{pass:?}");
    assert!(f.state_of(&third).await.submission.is_none());
    let ready = f.outbox_rows(OutboxState::Ready).await;
    assert!(
        ready[0]
            .last_error_message
            .as_deref()
            .is_some_and(|m| m.contains("waits")),
        "{ready:?}"
    );
    assert_eq!(f.sandbox.signed_sales().len(), 2);

    // The way out, after checking the portal: the administrator gives number 2 up for the
    // second sale, which is then sent again with a new number. Refused without a reason, for
    // someone without company rights, and for a sale with no number out.
    let err = fiscal::give_up_number(
        &f.file,
        &f.admin,
        f.secrets.as_ref(),
        &second.id,
        "  ",
        timeouts(),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("--reason"), "{err}");
    hesabu_core::users::add(
        &f.file,
        &f.admin,
        &hesabu_core::users::NewUser {
            email: "clerk@acme.test".into(),
            name: "Wanjiru Clerk".into(),
            role: hesabu_store::permissions::Role::FinanceUser,
            manager_email: None,
            department: None,
            password: "clerk-pass-1".into(),
        },
    )
    .await
    .unwrap();
    let clerk = hesabu_store::auth::login(&f.file, "clerk@acme.test", "clerk-pass-1")
        .await
        .unwrap();
    let err = fiscal::give_up_number(
        &f.file,
        &clerk,
        f.secrets.as_ref(),
        &second.id,
        "portal shows OTHER-1",
        timeouts(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, hesabu_store::error::Error::PermissionDenied(_)),
        "{err:?}"
    );
    let err = fiscal::give_up_number(
        &f.file,
        &f.admin,
        f.secrets.as_ref(),
        &first.id,
        "portal shows OTHER-1",
        timeouts(),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("credit note"), "{err}");
    let given = fiscal::give_up_number(
        &f.file,
        &f.admin,
        f.secrets.as_ref(),
        &second.id,
        "portal shows OTHER-1 from the old till",
        timeouts(),
    )
    .await
    .unwrap();
    assert_eq!(given.state, FiscalState::Rejected);
    assert!(
        given.result_msg.as_deref().unwrap().contains("OTHER-1"),
        "{given:?}"
    );
    f.later();
    f.drain().await;
    assert_eq!(signed(&f.state_of(&second).await).invc_no, Some(3));
    assert_eq!(signed(&f.state_of(&third).await).invc_no, Some(4));
    assert_eq!(f.sandbox.signed_sales().len(), 4);
    let audit = hesabu_store::audit::verify(&f.file, &f.admin)
        .await
        .unwrap();
    assert!(audit.first_broken.is_none());
}

#[tokio::test]
async fn random_faults_never_sign_anything_twice_and_lose_nothing() {
    let f = fixture().await;
    f.ready().await;
    let mut rng = crate::support::Lcg(0x5eed_e71a5);
    let mut sales = Vec::new();
    for round in 0..30 {
        if sales.len() < 8 && rng.below(2) == 0 {
            sales.push(f.invoice(1 + i64::try_from(rng.below(5)).unwrap()).await);
        }
        let endpoint = if rng.below(3) == 0 {
            Endpoint::InvoiceDetails
        } else {
            Endpoint::SaveSale
        };
        let fault = match rng.below(7) {
            0 => Some(Fault::Drop),
            1 => Some(Fault::AcceptThenDrop),
            2 => Some(Fault::Http(503)),
            3 => Some(Fault::result("990")),
            4 => Some(Fault::result("991")),
            5 => Some(Fault::result("999")),
            _ => None,
        };
        if let Some(fault) = fault {
            f.sandbox.fail_next_on(endpoint, 1, fault);
        }
        f.drain().await;
        f.later();
        // A row out of retries is put back by a person (it is checked with KRA first).
        for dead in f.outbox_rows(OutboxState::Dead).await {
            outbox::retry(&f.file, &f.admin, &dead.id).await.unwrap();
        }
        let _ = round;
    }
    f.sandbox.clear_faults();
    while sales.len() < 8 {
        sales.push(f.invoice(1).await);
    }
    for _ in 0..4 {
        f.drain().await;
        f.later();
    }
    let at_kra = f.sandbox.signed_sales();
    let numbers: BTreeSet<String> = at_kra.iter().map(|s| s.trd_invc_no.clone()).collect();
    assert_eq!(numbers.len(), at_kra.len(), "signed twice: {at_kra:?}");
    assert_eq!(at_kra.len(), 8, "{at_kra:?}");
    let invc: Vec<u64> = at_kra.iter().map(|s| s.invc_no).collect();
    assert_eq!(invc, (1..=8).collect::<Vec<_>>());
    for sale in &sales {
        let status = f.state_of(sale).await;
        let s = signed(&status);
        let kra = at_kra
            .iter()
            .find(|k| Some(&k.trd_invc_no) == sale.number.as_ref())
            .unwrap();
        assert_eq!(s.invc_no, Some(i64::try_from(kra.invc_no).unwrap()));
        assert_eq!(
            s.rcpt_sign.as_deref(),
            Some(kra.signature.rcpt_sign.as_str())
        );
        assert_eq!(s.request_json, kra.request_json);
    }
}

#[tokio::test]
async fn the_cli_shows_the_device_checklist_payload_and_status_as_json() {
    let f = fixture().await;
    f.ready().await;
    let invoice = f.invoice(1).await;
    let company = f.dir.path().join("acme.hesabu");
    let company = company.to_str().unwrap();
    let run = |args: Vec<&str>| {
        let mut argv = vec!["--company", company, "--as", support::ADMIN_EMAIL, "--json"];
        argv.extend(args);
        let argv: Vec<String> = argv.into_iter().map(str::to_owned).collect();
        async move {
            let args: Vec<&str> = argv.iter().map(String::as_str).collect();
            let out =
                support::hesabu(&args, support::env(Some(support::ADMIN_PASSWORD), None)).await;
            assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
            serde_json::from_str::<serde_json::Value>(&out.stdout).unwrap()
        }
    };
    let device = run(vec!["etims", "device", "show"]).await;
    assert_eq!(device["dvc_srl_no"], SERIAL);
    assert!(device.get("cmc_key").is_none());
    let list = run(vec!["etims", "checklist", "INV-000001"]).await;
    assert_eq!(list["ready"], true, "{list}");
    let payload = run(vec!["etims", "payload", "INV-000001"]).await;
    assert_eq!(payload["kind"], "preview");
    assert_eq!(payload["payload"]["trdInvcNo"], "INV-000001");
    let status = run(vec!["etims", "status", "INV-000001"]).await;
    assert!(status["submission"].is_null(), "{status}");
    // The fiscal queue lists it, awaiting KRA, until it is signed.
    let queue = run(vec!["etims", "queue"]).await;
    assert_eq!(queue.as_array().unwrap().len(), 1, "{queue}");
    assert_eq!(queue[0]["badge"]["document_number"], "INV-000001");
    assert_eq!(queue[0]["badge"]["stage"], "awaiting");
    // Giving up a number needs one out at KRA: refused in words.
    let mut argv = vec!["--company", company, "--as", support::ADMIN_EMAIL];
    argv.extend(["etims", "give-up", "INV-000001", "--reason", "test"]);
    let out = support::hesabu(&argv, support::env(Some(support::ADMIN_PASSWORD), None)).await;
    assert_ne!(out.code, 0, "{}", out.stdout);
    assert!(out.stderr.contains("nothing to give up"), "{}", out.stderr);
    f.drain().await;
    let queue = run(vec!["etims", "queue"]).await;
    assert_eq!(queue, serde_json::json!([]));
    let status = run(vec!["etims", "status", &invoice.id]).await;
    assert_eq!(status["submission"]["state"], "signed", "{status}");
    assert_eq!(status["submission"]["invc_no"], 1);
    // A signed sale has one problem left, and sending it again is refused.
    let list = run(vec!["etims", "checklist", "INV-000001"]).await;
    assert_eq!(list["problems"][0]["code"], "signed", "{list}");
    let mut argv = vec!["--company", company, "--as", support::ADMIN_EMAIL];
    argv.extend(["etims", "send", "INV-000001"]);
    let out = support::hesabu(&argv, support::env(Some(support::ADMIN_PASSWORD), None)).await;
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(out.stderr.contains("already signed"), "{}", out.stderr);
}

/// The receipt is stored when KRA signs, with the receipt messages of that moment: a message
/// changed before the first print does not change the original.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_receipt_is_stored_when_kra_signs_not_when_first_printed() {
    use hesabu_app::receipts::{self, PaperFormat, ReceiptSettings};
    let f = fixture().await;
    f.ready().await;
    let at_signing = ReceiptSettings {
        top_message: Some("Karibu sana".into()),
        ..ReceiptSettings::default()
    };
    receipts::update_settings(&f.file, &f.admin, &at_signing)
        .await
        .unwrap();
    let invoice = f.invoice(1).await;
    let summary = f.drain().await;
    assert_eq!((summary.done, summary.dead), (1, 0), "{summary:?}");
    // Stored on its own task right after the signature committed: wait for it (bounded).
    let mut stored = None;
    for _ in 0..200 {
        stored = receipts::show(&f.file, &f.admin, &invoice.id)
            .await
            .unwrap()
            .stored;
        if stored.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let stored = stored.expect("the receipt was stored after signing, before any print");
    assert_eq!(stored.originals.len(), 3, "{stored:?}");
    assert_eq!(
        stored.stored_by, "Hesabu (at signing)",
        "stored by the fiscal flow"
    );

    receipts::update_settings(
        &f.file,
        &f.admin,
        &ReceiptSettings {
            top_message: Some("Changed later".into()),
            ..ReceiptSettings::default()
        },
    )
    .await
    .unwrap();
    let original = receipts::preview(&f.file, &f.admin, &invoice.id, PaperFormat::Roll80, false)
        .await
        .unwrap();
    assert!(original.text.contains("Karibu sana"), "{}", original.text);
    assert!(
        !original.text.contains("Changed later"),
        "{}",
        original.text
    );
}

/// KRA takes KES (spec §12.3): a dollar invoice goes as its KES figures, converted line by line
/// at its exchange rate by the tax module, and adds up to the `total_kes` the ledger stored at
/// issue. Its credit note takes the invoice's rate (another is refused), so VAT is reversed at
/// the rate it was charged. The receipt prints what KRA signed.
#[tokio::test]
async fn a_foreign_currency_sale_and_its_credit_note_go_to_kra_in_kes() {
    use hesabu_app::receipts::{self, PaperFormat};
    let f = fixture().await;
    f.ready().await;
    let dollars = |quantity: i64, price: &str| NewSaleLine {
        item: Some("FOC".into()),
        quantity: Decimal::from(quantity),
        unit_price: Some(Decimal::from_str_exact(price).unwrap()),
        ..Default::default()
    };
    let new = NewSale {
        price_basis: Some(PriceBasis::Exclusive),
        currency: Some("USD".into()),
        exchange_rate: Some(Decimal::from_str_exact("129.37").unwrap()),
        ..NewSale::new(
            SalesType::Invoice,
            Some("Ralph Jr"),
            vec![dollars(3, "7.7333"), dollars(1, "19.99")],
        )
    };
    let draft = sales::create(&f.file, &f.admin, &new).await.unwrap();
    let invoice = sales_gate::issue(&f.file, &f.admin, &draft.id)
        .await
        .unwrap();
    let list = fiscal::checklist(&f.file, &f.admin, &invoice.id)
        .await
        .unwrap();
    assert!(list.ready, "{:?}", list.problems);
    let summary = f.drain().await;
    assert_eq!(
        (summary.done, summary.dead),
        (1, 0),
        "{:?}",
        f.outbox_rows(OutboxState::Dead).await
    );
    signed(&f.state_of(&invoice).await);

    // By hand: 7.7333 × 129.37 = 1000.457021 → 1000.4570 a unit; 3 units = 3001.371 → 3001.37.
    // 19.99 × 129.37 = 2586.1063 → 2586.11 (rounded to the cent at the line). VAT 16 %:
    // 480.22 + 413.78 = 894.00; total 3001.37 + 2586.11 + 894.00 = 6481.48.
    let at_kra = f.sandbox.signed_sales();
    let sent: serde_json::Value = serde_json::from_str(&at_kra[0].request_json).unwrap();
    let amount = |v: &serde_json::Value| Decimal::from_str_exact(&v.to_string()).unwrap();
    // KRA checks `splyAmt = round(qty × prc)` with a 2-place price: 3 × 1000.46 = 3001.38
    // misses the line, so it goes re-expressed (a 2-place price less a 2-place discount rate)
    // to the same net; the second line's 2586.1063 a unit happens to need no change.
    let line = |n: usize, field: &str| amount(&sent["itemList"][n][field]);
    assert_eq!(line(0, "taxblAmt"), Decimal::new(300137, 2));
    assert_eq!(
        line(0, "splyAmt"),
        (Decimal::from(3) * line(0, "prc")).round_dp(2)
    );
    assert_eq!(line(0, "splyAmt") - line(0, "dcAmt"), line(0, "taxblAmt"));
    assert_eq!(line(1, "taxblAmt"), Decimal::new(258611, 2));
    assert_eq!(line(1, "prc"), Decimal::new(258611, 2));
    assert_eq!(amount(&sent["taxblAmtB"]), Decimal::new(558748, 2));
    assert_eq!(amount(&sent["taxAmtB"]), Decimal::new(89400, 2));
    assert_eq!(amount(&sent["totAmt"]), Decimal::new(648148, 2));
    assert_eq!(
        amount(&sent["totAmt"]),
        Decimal::from_str_exact(&invoice.total_kes).unwrap(),
        "KRA's total is the ledger's KES total"
    );

    // The credit note: another rate is refused in words, none takes the invoice's.
    let credit = |rate: Option<&str>| NewSale {
        original: invoice.number.clone(),
        reason_code: Some("06".into()),
        price_basis: Some(PriceBasis::Exclusive),
        currency: Some("USD".into()),
        exchange_rate: rate.map(|r| Decimal::from_str_exact(r).unwrap()),
        ..NewSale::new(
            SalesType::CreditNote,
            None,
            vec![NewSaleLine {
                original_line: Some(2),
                ..dollars(1, "19.99")
            }],
        )
    };
    let err = sales::create(&f.file, &f.admin, &credit(Some("131.00")))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("exchange rate of INV-000001 (129.37)"),
        "{err}"
    );
    let draft = sales::create(&f.file, &f.admin, &credit(None))
        .await
        .unwrap();
    assert_eq!(draft.exchange_rate, "129.37");
    let note = sales_gate::issue(&f.file, &f.admin, &draft.id)
        .await
        .unwrap();
    let summary = f.drain().await;
    assert_eq!((summary.done, summary.dead), (1, 0), "{summary:?}");
    signed(&f.state_of(&note).await);
    let at_kra = f.sandbox.signed_sales();
    let sent: serde_json::Value = serde_json::from_str(&at_kra[1].request_json).unwrap();
    assert_eq!(amount(&sent["totAmt"]), Decimal::new(299989, 2)); // 2586.11 + 413.78
    assert_eq!(
        amount(&sent["totAmt"]),
        Decimal::from_str_exact(&note.total_kes).unwrap()
    );

    // The receipt prints the KES figures KRA signed, not the dollars.
    let receipt = receipts::preview(&f.file, &f.admin, &invoice.id, PaperFormat::Roll80, false)
        .await
        .unwrap();
    assert!(
        receipt.text.contains("6,481.48") || receipt.text.contains("6481.48"),
        "{}",
        receipt.text
    );
}
