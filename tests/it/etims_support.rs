//! The e-TIMS tests' common ground: a fresh company file, its admin, a settable clock, a local
//! e-TIMS sandbox (strict numbering, a known key) and a file-backed secret store. Each test
//! module adds its own methods to [`Fixture`].

use std::sync::Arc;

use hesabu_etims_sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use hesabu_store::auth::Session;
use hesabu_store::clock::{SettableClock, SharedClock};
use hesabu_store::company_file::CompanyFile;
use hesabu_store::secrets::{SecretStore, store_from_spec};

use hesabu_core::approvals::sales_gate;
use hesabu_core::sales::SalesType;
use hesabu_core::sales::customers::{self, NewCustomer};
use hesabu_core::sales::documents::{self as sales, NewSale, NewSaleLine, SaleView};
use hesabu_core::sales::items::{self, NewItem};
use hesabu_core::workflows::{self, WorkflowType};
use rust_decimal::Decimal;

use crate::support;

/// The key the sandbox issues at initialisation.
pub(crate) const CMC_KEY: &str = "0123456789abcdef0123456789abcdef";
/// The device serial the tests declare.
pub(crate) const SERIAL: &str = "HESABU/P051234567X/1";

pub(crate) struct Fixture {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) file: CompanyFile,
    pub(crate) admin: Session,
    pub(crate) clock: Arc<SettableClock>,
    pub(crate) sandbox: SandboxHandle,
    pub(crate) secrets: Box<dyn SecretStore>,
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
        SandboxConfig {
            cmc_key: Some(CMC_KEY.into()),
            strict_legacy: true,
            ..SandboxConfig::default()
        },
    )
    .await
    .unwrap();
    let secrets = store_from_spec(&format!(
        "file:{}",
        dir.path().join("secrets.json").display()
    ))
    .unwrap();
    Fixture {
        dir,
        file,
        admin,
        clock,
        sandbox,
        secrets,
    }
}

impl Fixture {
    /// Customer "Ralph Jr" (with a PIN), the service item "FOC", the invoice workflow sending by
    /// itself, and one invoice of one FOC issued to Ralph Jr: queued for KRA, not yet sent.
    pub(crate) async fn issue_service_invoice(&self) -> SaleView {
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
        let on = serde_json::json!({ "enabled": true, "autoSync": true });
        workflows::set(&self.file, &self.admin, WorkflowType::InvoiceSync, &on)
            .await
            .unwrap();
        let draft = sales::create(
            &self.file,
            &self.admin,
            &NewSale::new(
                SalesType::Invoice,
                Some("Ralph Jr"),
                vec![NewSaleLine {
                    item: Some("FOC".into()),
                    quantity: Decimal::ONE,
                    ..Default::default()
                }],
            ),
        )
        .await
        .unwrap();
        sales_gate::issue(&self.file, &self.admin, &draft.id)
            .await
            .unwrap()
    }
}
