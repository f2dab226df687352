//! Setting up the company's e-TIMS device (spec §3): initialise it once with KRA and keep what
//! KRA answers at once: `sdcId`, `mrcNo`, `dvcId` and the names in the company file
//! (`hesabu_core::sales::fiscal`), the communication key (`cmcKey`) in the secret store, never
//! in the company file.
//!
//! KRA issues a device's key once: a second initialisation answers `902` "This device is
//! installed" (and on the integrator sandbox repeated initialisations have corrupted device
//! records). So an initialised device is not initialised again without `force`, and a `902`
//! tells the person to enter the key they already have (`--cmc-key`), which is then checked
//! with a harmless call instead of initialising again.

use hesabu_core::company;
use hesabu_core::sales::fiscal::{self, DeviceView, GatewayProfile, NewDevice};
use hesabu_core::sales::tax::UnusedBandRate;
use hesabu_etims::{
    Client, ClientConfig, INTEGRATOR_SANDBOX, INTEGRATOR_SANDBOX_TOKEN, IntegratorAuth,
    LEGACY_SANDBOX, Secret, Timeouts, dates,
};
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::{Error, Result};
use hesabu_store::permissions::Permission;
use hesabu_store::secrets::SecretStore;

/// What a person gives to set the device up (`hesabu etims device init`, the set-up wizard).
#[derive(Debug, Clone)]
pub struct DeviceSetup {
    pub profile: GatewayProfile,
    /// Default: KRA's *sandbox* of the profile, so that nothing is declared by accident; a
    /// production device names its URL.
    pub base_url: Option<String>,
    /// Default: the company's KRA PIN.
    pub tin: Option<String>,
    /// Default: the company's branch id. KRA may give an OSCU device branch `01` while the
    /// portal holds `00` (spec §3): use what KRA gave the device.
    pub bhf_id: Option<String>,
    /// The serial declared on the eTIMS portal's commitment form.
    pub serial: String,
    /// A key KRA already issued for this device (after a `902`): entered instead of
    /// initialising again.
    pub cmc_key: Option<String>,
    /// With an entered key: the SCU id and MRC number (from the eTIMS portal or an earlier
    /// receipt), which only initialisation would otherwise tell us.
    pub sdc_id: Option<String>,
    pub mrc_no: Option<String>,
    /// Integrator gateway: the Apigee app's consumer key and secret, and the token URL
    /// (default: the integrator sandbox's).
    pub consumer_key: Option<String>,
    pub consumer_secret: Option<String>,
    pub token_url: Option<String>,
    pub unused_band_rate: Option<UnusedBandRate>,
    /// Replace an initialised device.
    pub force: bool,
}

impl DeviceSetup {
    /// A legacy-gateway device with the serial, everything else by default.
    pub fn legacy(serial: impl Into<String>) -> Self {
        DeviceSetup {
            profile: GatewayProfile::Legacy,
            base_url: None,
            tin: None,
            bhf_id: None,
            serial: serial.into(),
            cmc_key: None,
            sdc_id: None,
            mrc_no: None,
            consumer_key: None,
            consumer_secret: None,
            token_url: None,
            unused_band_rate: None,
            force: false,
        }
    }
}

/// Where a company's e-TIMS communication key is kept in the secret store.
pub fn cmc_key_name(company_id: &str) -> String {
    format!("{company_id}/etims/cmc_key")
}

/// Where a company's integrator consumer secret is kept in the secret store.
pub fn consumer_secret_name(company_id: &str) -> String {
    format!("{company_id}/etims/consumer_secret")
}

fn secret_error(e: hesabu_store::secrets::SecretError) -> Error {
    Error::Unavailable(e.to_string())
}

/// A client-layer failure as the store's error, KRA's words kept: what the person should do.
pub(crate) fn client_error(doing: &str, e: &hesabu_etims::Error) -> Error {
    match e {
        hesabu_etims::Error::Transport { .. } | hesabu_etims::Error::Http { .. } => {
            Error::Unavailable(format!(
                "{doing}: {e}. Check the internet connection and the device's base URL, then \
                 try again."
            ))
        }
        hesabu_etims::Error::Config(_) | hesabu_etims::Error::Auth { .. } => {
            Error::invalid(format!("{doing}: {e}"))
        }
        _ => Error::Conflict(format!("{doing}: {e}")),
    }
}

fn client_config(
    profile: GatewayProfile,
    base_url: &str,
    tin: &str,
    bhf_id: &str,
    integrator: Option<IntegratorAuth>,
) -> Result<ClientConfig> {
    Ok(match profile {
        GatewayProfile::Legacy => ClientConfig::legacy(base_url, tin, bhf_id),
        GatewayProfile::Integrator => {
            let auth = integrator.ok_or_else(|| {
                Error::invalid(
                    "The integrator (GavaConnect) gateway needs the consumer key and secret of \
                     your developer.go.ke app: pass --consumer-key and --consumer-secret.",
                )
            })?;
            ClientConfig::integrator(base_url, tin, bhf_id, auth)
        }
    })
}

/// Initialises the company's device with KRA (or records the key a person already has), keeps
/// the key in `secrets` and the rest in the company file, audited. Needs the company settings
/// permission (an administrator's): this is done once per company and cannot be undone at KRA.
pub async fn init(
    file: &CompanyFile,
    session: &Session,
    secrets: &dyn SecretStore,
    setup: &DeviceSetup,
    timeouts: Timeouts,
) -> Result<DeviceView> {
    session.require(Permission::CompanyEdit)?;
    let company = company::load(file.reader()).await?;
    if let Some(d) = fiscal::device(file.reader()).await?
        && !setup.force
    {
        return Err(Error::Conflict(format!(
            "This company's e-TIMS device is already initialised (PIN {}, branch {}, serial {}, \
             SCU id {}) since {}. KRA issues a device's key once and answers 902 to a second \
             initialisation. To replace it on purpose, run the command again with --force.",
            d.tin,
            d.bhf_id,
            d.dvc_srl_no,
            d.sdc_id.as_deref().unwrap_or("unknown"),
            d.initialised_at
        )));
    }
    let tin = company::validate_kra_pin(setup.tin.as_deref().unwrap_or(&company.kra_pin))?;
    let bhf_id =
        company::validate_branch_id(setup.bhf_id.as_deref().unwrap_or(&company.branch_id))?;
    let serial = setup.serial.trim();
    if serial.is_empty() || serial.chars().count() > 100 {
        return Err(Error::invalid(
            "Give the device serial number declared on the eTIMS portal (--serial, at most 100 \
             characters).",
        ));
    }
    let base_url = setup.base_url.clone().unwrap_or_else(|| {
        match setup.profile {
            GatewayProfile::Legacy => LEGACY_SANDBOX,
            GatewayProfile::Integrator => INTEGRATOR_SANDBOX,
        }
        .to_owned()
    });
    let integrator = match setup.profile {
        GatewayProfile::Legacy => None,
        GatewayProfile::Integrator => match (&setup.consumer_key, &setup.consumer_secret) {
            (Some(key), Some(secret)) => Some(IntegratorAuth {
                token_url: setup
                    .token_url
                    .clone()
                    .unwrap_or_else(|| INTEGRATOR_SANDBOX_TOKEN.to_owned()),
                consumer_key: key.clone(),
                consumer_secret: Secret::new(secret.clone()),
                apigee_app_id: None,
            }),
            _ => None,
        },
    };
    let config = client_config(setup.profile, &base_url, &tin, &bhf_id, integrator.clone())?
        .with_timeouts(timeouts);
    let client = Client::new(config).map_err(|e| Error::invalid(e.to_string()))?;

    let mut new = NewDevice {
        gateway: setup.profile,
        base_url: base_url.clone(),
        token_url: integrator.as_ref().map(|a| a.token_url.clone()),
        consumer_key: integrator.as_ref().map(|a| a.consumer_key.clone()),
        tin: tin.clone(),
        bhf_id: bhf_id.clone(),
        dvc_srl_no: serial.to_owned(),
        dvc_id: None,
        sdc_id: clean(setup.sdc_id.as_deref()),
        mrc_no: clean(setup.mrc_no.as_deref()),
        taxpayer_name: None,
        branch_name: None,
        init_info: None,
        key_source: "entered",
        unused_band_rate: setup.unused_band_rate.unwrap_or_default(),
    };
    let key = match clean(setup.cmc_key.as_deref()) {
        Some(key) => {
            // Check the key with a harmless lookup rather than initialising again.
            let check = client.with_cmc_key(Secret::new(key.clone()));
            let now = dates::format_datetime(&file.clock().now().with_timezone(&dates::NAIROBI));
            check.code_list(&now).await.map_err(|e| {
                client_error(
                    "KRA did not accept the communication key for this device (checked with a \
                     code-list lookup); check the key, the PIN and the branch id",
                    &e,
                )
            })?;
            key
        }
        None => {
            let reply = client
                .init(serial)
                .await
                .map_err(|e| init_error(&e, serial))?;
            let mut info = reply.data.info;
            let key = info.cmc_key.take().ok_or_else(|| {
                Error::Conflict(
                    "KRA initialised the device but sent no communication key (cmcKey). Ask \
                     KRA (timsupport@kra.go.ke) for the device's key, then run this command \
                     with --cmc-key KEY."
                        .into(),
                )
            })?;
            new.dvc_id = info.dvc_id.clone();
            new.sdc_id = info.sdc_id.clone().or(new.sdc_id);
            new.mrc_no = info.mrc_no.clone().or(new.mrc_no);
            new.taxpayer_name = info.taxpr_nm.clone();
            new.branch_name = info.bhf_nm.clone();
            info.intrl_key = None;
            info.sign_key = None;
            new.init_info = serde_json::to_string(&info).ok();
            new.key_source = "init";
            key.expose().to_owned()
        }
    };
    // The key first: KRA issued it once, and a lost key means a call to KRA. If it cannot be
    // kept, it is shown so the person can keep it and enter it again.
    if let Err(e) = secrets.set(&cmc_key_name(&company.id), &key) {
        return Err(Error::Unavailable(format!(
            "KRA's communication key for this device could not be stored in {} ({e}). Write \
             this key down now: {key}. Then make the secret store available and run the command \
             again with --cmc-key {key}.",
            secrets.describe()
        )));
    }
    if let Some(secret) = &setup.consumer_secret {
        secrets
            .set(&consumer_secret_name(&company.id), secret)
            .map_err(secret_error)?;
    }
    let mut uow = file.begin(session).await?;
    let view = fiscal::save_device_in(&mut uow, &new, setup.force).await?;
    uow.commit().await?;
    Ok(view)
}

fn init_error(e: &hesabu_etims::Error, serial: &str) -> Error {
    match e.result_code() {
        Some("902") => Error::Conflict(format!(
            "KRA says this device is already installed ({e}). KRA issues a device's \
             communication key once, at its first initialisation, so it cannot be fetched \
             again. Run the command again with --cmc-key KEY (the key you kept), and \
             --sdc-id / --mrc-no from the eTIMS portal or an earlier receipt. If the key is \
             lost, ask KRA (timsupport@kra.go.ke) to issue a new one."
        )),
        Some("901") => Error::invalid(format!(
            "KRA does not recognise this device ({e}). Check that the serial '{serial}' is the \
             one declared and approved on the eTIMS portal, and that the PIN and branch id \
             are right (KRA may give the device branch 01: pass --bhf-id)."
        )),
        _ => client_error("Could not initialise the e-TIMS device", e),
    }
}

fn clean(text: Option<&str>) -> Option<String> {
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

/// The client of the company's device, with its key from `secrets`. `None` when no device has
/// been set up; an error when the device is set up but its key cannot be read.
pub async fn client(
    file: &CompanyFile,
    secrets: &dyn SecretStore,
    timeouts: Timeouts,
) -> Result<Option<Client>> {
    let Some(device) = fiscal::device(file.reader()).await? else {
        return Ok(None);
    };
    client_for(file, &device, secrets, timeouts).map(Some)
}

/// The client of `device` as this process reaches it: a real device at its base URL with its
/// key from `secrets`; the demo's device (stored with the sandbox marker as its URL) at the demo
/// sandbox this process runs, with the demo's own key store beside its file.
pub fn client_for(
    file: &CompanyFile,
    device: &DeviceView,
    secrets: &dyn SecretStore,
    timeouts: Timeouts,
) -> Result<Client> {
    if !super::demo_sandbox::is_sandbox_device(device) {
        return client_of(device, secrets, timeouts);
    }
    let url = super::demo_sandbox::running_base_url(&device.company_id).ok_or_else(|| {
        Error::Unavailable(
            "The demo company signs with a local test double of KRA that runs only while the \
             demo is open in Hesabu or during `hesabu sync`; it is not running in this process. \
             Open the demo in the desktop, or run `hesabu sync run` for it."
                .into(),
        )
    })?;
    let mut device = device.clone();
    device.base_url = url;
    client_of(&device, &super::demo_sandbox::secrets(file), timeouts)
}

/// The client of `device`, with its key (and consumer secret) from `secrets`.
pub fn client_of(
    device: &DeviceView,
    secrets: &dyn SecretStore,
    timeouts: Timeouts,
) -> Result<Client> {
    let missing = |what: &str| {
        Error::Unavailable(format!(
            "The e-TIMS {what} of this company is not in {}. If it was kept elsewhere, enter it \
             again with `hesabu etims device init --serial {} --cmc-key KEY --force`; if it is \
             lost, ask KRA (timsupport@kra.go.ke) to issue a new one.",
            secrets.describe(),
            device.dvc_srl_no
        ))
    };
    let key = secrets
        .get(&cmc_key_name(&device.company_id))
        .map_err(secret_error)?
        .ok_or_else(|| missing("communication key (cmcKey)"))?;
    let integrator = match device.gateway {
        GatewayProfile::Legacy => None,
        GatewayProfile::Integrator => {
            let secret = secrets
                .get(&consumer_secret_name(&device.company_id))
                .map_err(secret_error)?
                .ok_or_else(|| missing("consumer secret"))?;
            Some(IntegratorAuth {
                token_url: device
                    .token_url
                    .clone()
                    .unwrap_or_else(|| INTEGRATOR_SANDBOX_TOKEN.to_owned()),
                consumer_key: device.consumer_key.clone().unwrap_or_default(),
                consumer_secret: Secret::new(secret),
                apigee_app_id: None,
            })
        }
    };
    let config = client_config(
        device.gateway,
        &device.base_url,
        &device.tin,
        &device.bhf_id,
        integrator,
    )?
    .with_timeouts(timeouts)
    .with_cmc_key(Secret::new(key));
    Client::new(config).map_err(|e| Error::invalid(e.to_string()))
}
