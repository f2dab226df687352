//! The e-TIMS tests' common ground: a fresh company file, its admin, a settable clock, a local
//! e-TIMS sandbox (strict numbering, a known key) and a file-backed secret store. Each test
//! module adds its own methods to [`Fixture`].

use std::sync::Arc;

use hesabu_etims_sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use hesabu_store::auth::Session;
use hesabu_store::clock::{SettableClock, SharedClock};
use hesabu_store::company_file::CompanyFile;
use hesabu_store::secrets::{SecretStore, store_from_spec};

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
