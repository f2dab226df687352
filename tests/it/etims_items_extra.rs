//! e-TIMS item compositions, the branch's insurers and answers to imported items
//! (`hesabu_app::etims::{compositions, insurers, imports}`) against the local sandbox: what
//! they refuse (with nothing stored, queued or sent), who may change them, and what each
//! change leaves in the audit log. The go-live cases 8, 11 and 13 (`etims_golive`) cover the
//! happy paths.

use std::time::Duration;

use hesabu_app::etims::compositions::{self, ComponentInput};
use hesabu_app::etims::device::{self, DeviceSetup};
use hesabu_app::etims::insurers::{self, InsurerChange, NewInsurer};
use hesabu_app::etims::{Timeouts, imports, targets_for_file};
use hesabu_core::sales::items::{self, ItemView, NewItem};
use hesabu_core::workflows::{self, WorkflowType};
use hesabu_etims::Endpoint;
use hesabu_store::error::Error;
use hesabu_store::outbox::{self, ClockSleeper, Drainer, OutboxState, Targets};
use hesabu_store::permissions::Role;
use rust_decimal::Decimal;

use crate::etims_support::SERIAL;

fn timeouts() -> Timeouts {
    Timeouts::all(Duration::from_secs(2))
}

struct Fixture(crate::etims_support::Fixture);

impl std::ops::Deref for Fixture {
    type Target = crate::etims_support::Fixture;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl Fixture {
    async fn init(&self) {
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
    }

    async fn drain(&self) {
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
        drainer.drain_until_idle().await.unwrap();
    }

    async fn item(&self, code: &str) -> ItemView {
        items::add(
            &self.file,
            &self.admin,
            &NewItem {
                code: code.into(),
                name: format!("Item {code}"),
                classification_code: Some("50161500".into()),
                packaging_unit: Some("CT".into()),
                quantity_unit: Some("U".into()),
                tax_type: "B".into(),
                product_type: "finished_good".into(),
                unit_price: Decimal::from(100),
                ..Default::default()
            },
        )
        .await
        .unwrap()
    }

    /// Items registered at KRA through the item workflow.
    async fn registered(&self, codes: &[&str]) -> Vec<ItemView> {
        let on = serde_json::json!({ "enabled": true, "autoSync": true });
        workflows::set(&self.file, &self.admin, WorkflowType::ItemSync, &on)
            .await
            .unwrap();
        let mut out = Vec::new();
        for code in codes {
            out.push(self.item(code).await);
        }
        self.drain().await;
        out
    }

    async fn outbox_rows(&self) -> usize {
        let mut n = 0;
        for state in [OutboxState::Ready, OutboxState::Dead, OutboxState::Done] {
            n += outbox::list(&self.file, &self.admin, Some(state), 1000)
                .await
                .unwrap()
                .len();
        }
        n
    }

    async fn audit_actions(&self) -> Vec<String> {
        hesabu_store::audit::list(&self.file, &self.admin, 1000)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect()
    }
}

async fn fixture() -> Fixture {
    Fixture(crate::etims_support::fixture().await)
}

fn component(text: &str) -> ComponentInput {
    text.parse().unwrap()
}

fn invalid<T: std::fmt::Debug>(result: Result<T, Error>, words: &str) {
    match result {
        Err(Error::InvalidInput(message)) => {
            assert!(message.contains(words), "{message:?} lacks {words:?}")
        }
        other => panic!("expected InvalidInput ({words}), got {other:?}"),
    }
}

#[tokio::test]
async fn a_composition_refuses_itself_bad_quantities_and_unregistered_items() {
    let f = fixture().await;
    f.init().await;
    f.registered(&["KIT", "PART-A", "PART-B"]).await;
    let rows = f.outbox_rows().await;

    invalid(
        compositions::set(&f.file, &f.admin, "KIT", &[component("KIT=1")]).await,
        "component of itself",
    );
    invalid(
        compositions::set(&f.file, &f.admin, "KIT", &[component("PART-A=-2")]).await,
        "greater than 0",
    );
    invalid(
        compositions::set(&f.file, &f.admin, "KIT", &[component("PART-A=0")]).await,
        "greater than 0",
    );
    invalid(
        compositions::set(&f.file, &f.admin, "KIT", &[]).await,
        "at least one",
    );
    invalid(
        compositions::set(
            &f.file,
            &f.admin,
            "KIT",
            &[component("PART-A=1"), component("PART-A=2")],
        )
        .await,
        "listed twice",
    );
    assert!("PART-A=two".parse::<ComponentInput>().is_err());
    // A component KRA does not hold yet (added after the workflow was switched off).
    let off = serde_json::json!({ "enabled": false });
    workflows::set(&f.file, &f.admin, WorkflowType::ItemSync, &off)
        .await
        .unwrap();
    f.item("PART-C").await;
    invalid(
        compositions::set(&f.file, &f.admin, "KIT", &[component("PART-C=1")]).await,
        "not registered at KRA",
    );
    // A composite inside its own component: PART-A made of KIT, then KIT made of PART-A.
    compositions::set(&f.file, &f.admin, "PART-A", &[component("KIT=1")])
        .await
        .unwrap();
    invalid(
        compositions::set(&f.file, &f.admin, "KIT", &[component("PART-A=1")]).await,
        "cannot contain itself",
    );
    // Nothing of the refused ones was stored or queued; KRA saw nothing.
    assert!(
        compositions::show(&f.file, &f.admin, "KIT")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(f.outbox_rows().await, rows + 1);
    assert!(
        f.sandbox
            .received()
            .iter()
            .all(|c| c.endpoint != Endpoint::SaveItemComposition)
    );

    // A good one: versions count up, each its own outbox row, each audited.
    let v1 = compositions::set(&f.file, &f.admin, "KIT", &[component("PART-B=1.25")])
        .await
        .unwrap();
    let v2 = compositions::set(&f.file, &f.admin, "KIT", &[component("PART-B=3")])
        .await
        .unwrap();
    assert_eq!((v1.version, v2.version), (1, 2));
    assert_ne!(v1.outbox_id, v2.outbox_id);
    let audited = f.audit_actions().await;
    assert_eq!(
        audited
            .iter()
            .filter(|a| *a == "etims.composition.set")
            .count(),
        3
    );
}

#[tokio::test]
async fn an_insurer_refuses_rates_outside_0_to_100_and_duplicates() {
    let f = fixture().await;
    f.init().await;
    let new = |code: &str, rate: Decimal| NewInsurer {
        code: code.into(),
        name: "Jubilee Health".into(),
        premium_rate: rate,
    };
    invalid(
        insurers::add(&f.file, &f.admin, &new("JUB01", Decimal::from(120))).await,
        "from 0 to 100",
    );
    invalid(
        insurers::add(&f.file, &f.admin, &new("JUB01", Decimal::from(-5))).await,
        "from 0 to 100",
    );
    invalid(insurers::parse_rate("120%"), "from 0 to 100");
    invalid(
        insurers::add(&f.file, &f.admin, &new("JUB 01", Decimal::from(10))).await,
        "not an insurer code",
    );
    invalid(
        insurers::add(
            &f.file,
            &f.admin,
            &NewInsurer {
                name: "  ".into(),
                ..new("JUB01", Decimal::from(10))
            },
        )
        .await,
        "name is empty",
    );
    assert!(insurers::list(&f.file, &f.admin).await.unwrap().is_empty());
    assert_eq!(f.outbox_rows().await, 0);

    insurers::add(&f.file, &f.admin, &new("JUB01", Decimal::from(10)))
        .await
        .unwrap();
    let again = insurers::add(&f.file, &f.admin, &new("jub01", Decimal::from(15))).await;
    assert!(matches!(again, Err(Error::Conflict(_))), "{again:?}");
    invalid(
        insurers::update(
            &f.file,
            &f.admin,
            "JUB01",
            &InsurerChange {
                premium_rate: Some(Decimal::new(1001, 1)),
                ..Default::default()
            },
        )
        .await,
        "from 0 to 100",
    );
    assert_eq!(f.outbox_rows().await, 1);
    assert!(
        f.audit_actions()
            .await
            .iter()
            .any(|a| a == "etims.insurer.add")
    );
}

#[tokio::test]
async fn an_imported_item_is_answered_once_and_only_into_a_registered_item() {
    let f = fixture().await;
    f.init().await;
    f.registered(&["LAPTOP"]).await;
    let off = serde_json::json!({ "enabled": false });
    workflows::set(&f.file, &f.admin, WorkflowType::ItemSync, &off)
        .await
        .unwrap();
    f.item("NOTEBOOK").await;
    imports::refresh(&f.file, &f.admin, f.secrets.as_ref(), timeouts())
        .await
        .unwrap();
    invalid(
        imports::accept(&f.file, &f.admin, "2231943/2", "NOTEBOOK", None).await,
        "not registered at KRA",
    );
    invalid(
        imports::accept(&f.file, &f.admin, "2231943", "LAPTOP", None).await,
        "TASK/SEQ",
    );
    let missing = imports::accept(&f.file, &f.admin, "2231943/9", "LAPTOP", None).await;
    assert!(matches!(missing, Err(Error::NotFound(_))), "{missing:?}");

    imports::accept(&f.file, &f.admin, "2231943/1", "LAPTOP", None)
        .await
        .unwrap();
    let twice = imports::accept(&f.file, &f.admin, "2231943/1", "LAPTOP", None).await;
    assert!(matches!(twice, Err(Error::Conflict(_))), "{twice:?}");
    let flipped = imports::reject(&f.file, &f.admin, "2231943/1", None).await;
    assert!(matches!(flipped, Err(Error::Conflict(_))), "{flipped:?}");
    assert_eq!(
        f.outbox_rows().await,
        2,
        "LAPTOP's registration and one answer"
    );
    f.drain().await;
    assert_eq!(
        f.sandbox
            .received()
            .iter()
            .filter(|c| c.endpoint == Endpoint::UpdateImportItem)
            .count(),
        1
    );
    let audited = f.audit_actions().await;
    assert_eq!(
        audited
            .iter()
            .filter(|a| *a == "etims.import.accept")
            .count(),
        1
    );
}

#[tokio::test]
async fn only_those_who_may_change_master_data_set_compositions_insurers_and_imports() {
    let f = fixture().await;
    f.init().await;
    f.registered(&["KIT", "PART-A"]).await;
    imports::refresh(&f.file, &f.admin, f.secrets.as_ref(), timeouts())
        .await
        .unwrap();
    hesabu_core::users::add(
        &f.file,
        &f.admin,
        &hesabu_core::users::NewUser {
            email: "approver@acme.test".into(),
            name: "Amina Approver".into(),
            role: Role::Approver,
            manager_email: None,
            department: None,
            password: "approver-pass-1".into(),
        },
    )
    .await
    .unwrap();
    let approver = hesabu_store::auth::login(&f.file, "approver@acme.test", "approver-pass-1")
        .await
        .unwrap();
    let denied = |r: Result<(), Error>| {
        assert!(matches!(r, Err(Error::PermissionDenied(_))), "{r:?}");
    };
    denied(
        compositions::set(&f.file, &approver, "KIT", &[component("PART-A=1")])
            .await
            .map(|_| ()),
    );
    denied(
        insurers::add(
            &f.file,
            &approver,
            &NewInsurer {
                code: "AAR01".into(),
                name: "AAR Insurance".into(),
                premium_rate: Decimal::from(10),
            },
        )
        .await
        .map(|_| ()),
    );
    denied(
        imports::reject(&f.file, &approver, "2231943/1", None)
            .await
            .map(|_| ()),
    );
    // Reading is allowed to those who see sales.
    assert!(insurers::list(&f.file, &approver).await.unwrap().is_empty());
    assert_eq!(imports::list(&f.file, &approver).await.unwrap().len(), 2);
    assert!(
        compositions::show(&f.file, &approver, "KIT")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn the_cli_sets_a_composition_adds_an_insurer_and_answers_an_import() {
    let f = fixture().await;
    f.init().await;
    f.registered(&["KIT", "PART-A", "PART-B"]).await;
    imports::refresh(&f.file, &f.admin, f.secrets.as_ref(), timeouts())
        .await
        .unwrap();
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
        "composition",
        "set",
        "KIT",
        "--component",
        "PART-A=2",
        "--component",
        "PART-B=0.25",
    ])
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let set: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(set["components"][1]["quantity"], "0.25", "{set}");
    let out = run(&["etims", "composition", "set", "KIT", "--component", "KIT=1"]).await;
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(out.stderr.contains("component of itself"), "{}", out.stderr);

    let out = run(&[
        "etims", "insurer", "add", "AAR01", "--name", "AAR", "--rate", "120",
    ])
    .await;
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(out.stderr.contains("from 0 to 100"), "{}", out.stderr);
    let out = run(&[
        "etims", "insurer", "add", "AAR01", "--name", "AAR", "--rate", "12.5%",
    ])
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = run(&["etims", "insurer", "list"]).await;
    assert!(
        out.stdout.contains("AAR01") && out.stdout.contains("12.5 %"),
        "{}",
        out.stdout
    );

    let out = run(&[
        "etims",
        "imports",
        "reject",
        "2231943/2",
        "--remark",
        "Not ours",
    ])
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = run(&["etims", "imports", "list"]).await;
    assert!(out.stdout.contains("rejected"), "{}", out.stdout);
    assert!(out.stdout.contains("waiting"), "{}", out.stdout);
    let out = run(&["etims", "imports", "reject", "2231943/2"]).await;
    assert_ne!(out.code, 0, "{}", out.stdout);
    assert!(out.stderr.contains("answered once"), "{}", out.stderr);
    f.drain().await;
    let sent = |e: Endpoint| {
        f.sandbox
            .received()
            .iter()
            .filter(|c| c.endpoint == e)
            .count()
    };
    assert_eq!(sent(Endpoint::SaveItemComposition), 2);
    assert_eq!(sent(Endpoint::SaveBranchInsurance), 1);
    assert_eq!(sent(Endpoint::UpdateImportItem), 1);
}
