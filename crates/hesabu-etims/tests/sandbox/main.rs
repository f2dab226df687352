//! The e-TIMS client against the local sandbox (`hesabu-etims-sandbox`), on both gateways: one
//! binary, a module per area. Each scenario runs once per gateway (`both!`), on a fresh sandbox
//! bound to 127.0.0.1:0 with a pinned clock and seed.

mod faults;
mod flows;
mod reference;

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use hesabu_etims::types::items::SaveItemRequest;
use hesabu_etims::types::sales::SaveSaleRequest;
use hesabu_etims::{Client, Timeouts};
use hesabu_etims_sandbox::{ManualClock, Profile, Sandbox, SandboxConfig, SandboxHandle};
use rust_decimal::Decimal;

/// The taxpayer every scenario's device belongs to.
pub const TIN: &str = "P600004059A";
pub const BHF: &str = "00";
pub const SERIAL: &str = "HESABU/P600004059A/1";
pub const SEED: u64 = 42;
/// 2026-03-02 10:00 UTC = 13:00 in Nairobi.
pub const NOW_NAIROBI: &str = "20260302130000";

/// Runs a scenario `async fn(Profile)` as one test per gateway.
#[macro_export]
macro_rules! both {
    ($name:ident) => {
        mod $name {
            #[tokio::test]
            async fn legacy() {
                super::$name(hesabu_etims_sandbox::Profile::Legacy).await
            }

            #[tokio::test]
            async fn integrator() {
                super::$name(hesabu_etims_sandbox::Profile::Integrator).await
            }
        }
    };
}

/// A sandbox, its clock, and a client of an initialised device on it.
pub struct Harness {
    pub profile: Profile,
    pub sandbox: SandboxHandle,
    pub clock: Arc<ManualClock>,
    /// Initialised: carries the issued `cmcKey`.
    pub client: Client,
    pub sdc_id: String,
}

pub fn config(seed: u64) -> (SandboxConfig, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap(),
    ));
    let config = SandboxConfig {
        seed,
        clock: clock.clone(),
        ..SandboxConfig::default()
    };
    (config, clock)
}

/// A client without a key yet, for `profile` on `sandbox`.
pub fn bare_client(sandbox: &SandboxHandle, profile: Profile) -> Client {
    let config = sandbox
        .client_config(profile, TIN, BHF)
        .with_timeouts(Timeouts::all(Duration::from_secs(10)));
    Client::new(config).unwrap()
}

pub async fn harness_with(profile: Profile, seed: u64) -> Harness {
    let (config, clock) = config(seed);
    let sandbox = Sandbox::start_with("127.0.0.1:0".parse().unwrap(), config)
        .await
        .unwrap();
    let bare = bare_client(&sandbox, profile);
    let init = bare.init(SERIAL).await.unwrap();
    let info = init.data.info;
    let key = info.cmc_key.clone().unwrap();
    Harness {
        profile,
        client: bare.with_cmc_key(key),
        sdc_id: info.sdc_id.unwrap(),
        sandbox,
        clock,
    }
}

pub async fn harness(profile: Profile) -> Harness {
    harness_with(profile, SEED).await
}

pub fn d(text: &str) -> Decimal {
    text.parse().unwrap()
}

/// A fixture's text (copies of `shared/fixtures/etims/` in tests/fixtures) with its
/// `"___ignore___"` values replaced: `(key, JSON value)`.
pub fn fixture(name: &str, fill: &[(&str, String)]) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let mut text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    for (key, value) in fill {
        text = text.replace(
            &format!(r#""{key}": "___ignore___""#),
            &format!(r#""{key}": {value}"#),
        );
    }
    assert!(!text.contains("___ignore___"), "{name}: unfilled {text}");
    text
}

/// The code of the service item each scenario registers: on the integrator it must follow the
/// strict structure (`NO` instead of `U`, sequence 1); legacy takes Odoo's style.
pub fn item_code(profile: Profile) -> &'static str {
    match profile {
        Profile::Legacy => "KE3OUU0000042",
        Profile::Integrator => "KE3OUNO0000001",
    }
}

fn qty_unit(profile: Profile) -> &'static str {
    match profile {
        Profile::Legacy => "U",
        Profile::Integrator => "NO",
    }
}

/// The fixture's service (`saveItem`, spec §7.2's Odoo sample).
pub fn service_item(profile: Profile) -> SaveItemRequest {
    SaveItemRequest {
        item_cd: item_code(profile).to_owned(),
        item_cls_cd: "81121500".to_owned(),
        item_ty_cd: "3".to_owned(),
        item_nm: "Fiscal Optimization Consultancy".to_owned(),
        item_std_nm: None,
        orgn_nat_cd: "KE".to_owned(),
        pkg_unit_cd: "OU".to_owned(),
        qty_unit_cd: qty_unit(profile).to_owned(),
        tax_ty_cd: "B".to_owned(),
        btch_no: None,
        bcd: None,
        dft_prc: d("100.00"),
        grp_prc_l1: None,
        grp_prc_l2: None,
        grp_prc_l3: None,
        grp_prc_l4: None,
        grp_prc_l5: None,
        add_info: None,
        sfty_qty: None,
        isrc_aplcb_yn: "N".to_owned(),
        use_yn: "Y".to_owned(),
        regr_id: "2".to_owned(),
        regr_nm: "Mitchell Admin".to_owned(),
        modr_id: "2".to_owned(),
        modr_nm: "Mitchell Admin".to_owned(),
    }
}

fn common_fill(invc_no: u64, trd: &str, profile: Profile) -> Vec<(&'static str, String)> {
    vec![
        ("invcNo", invc_no.to_string()),
        ("trdInvcNo", format!("{trd:?}")),
        ("itemCd", format!("{:?}", item_code(profile))),
        ("regrId", r#""2""#.to_owned()),
        ("regrNm", r#""Mitchell Admin""#.to_owned()),
        ("modrId", r#""2""#.to_owned()),
        ("modrNm", r#""Mitchell Admin""#.to_owned()),
    ]
}

/// Odoo's recorded sale (`oscu-save-sale-request.json`). On the integrator it is moved to the
/// inclusive price basis that gateway checks (spec §12.1: prc 100 → 86.21 + 13.79), with the
/// unused band E at rate 0 (§12.2) and the strict item code.
pub fn sale(profile: Profile, invc_no: u64) -> SaveSaleRequest {
    let text = fixture(
        "oscu-save-sale-request.json",
        &common_fill(invc_no, &format!("INV/2026/{invc_no:05}"), profile),
    );
    let mut sale = SaveSaleRequest::from_json(&text).unwrap();
    if profile == Profile::Integrator {
        inclusive(&mut sale);
    }
    sale
}

/// Odoo's recorded credit note (`oscu-save-credit-note-request.json`) against `org_invc_no`.
pub fn credit_note(profile: Profile, invc_no: u64, org_invc_no: u64) -> SaveSaleRequest {
    let mut fill = common_fill(invc_no, &format!("CN/2026/{invc_no:05}"), profile);
    fill.push(("orgInvcNo", org_invc_no.to_string()));
    let text = fixture("oscu-save-credit-note-request.json", &fill);
    let mut note = SaveSaleRequest::from_json(&text).unwrap();
    if profile == Profile::Integrator {
        inclusive(&mut note);
        // The integrator refuses a credit note without its date ("Missing RfdDt Date").
        note.rfd_dt = Some(NOW_NAIROBI.to_owned());
    }
    note
}

fn inclusive(sale: &mut SaveSaleRequest) {
    let line = &mut sale.item_list[0];
    line.qty_unit_cd = "NO".to_owned();
    line.prc = d("100.00");
    line.sply_amt = d("100.00");
    line.dc_rt = d("0");
    line.dc_amt = d("0");
    line.taxbl_amt = d("86.21");
    line.tax_amt = d("13.79");
    line.tot_amt = d("100.00");
    sale.taxbl_amt_b = d("86.21");
    sale.tax_amt_b = d("13.79");
    sale.tax_rt_e = d("0");
    sale.tot_taxbl_amt = d("86.21");
    sale.tot_tax_amt = d("13.79");
    sale.tot_amt = d("100.00");
}

/// Registers the service item and signs sale 1 (the usual start of a scenario).
pub async fn first_sale(h: &Harness) -> hesabu_etims::types::sales::SaveSaleData {
    h.client.save_item(&service_item(h.profile)).await.unwrap();
    h.client.save_sale(&sale(h.profile, 1)).await.unwrap().data
}
