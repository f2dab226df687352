//! The sandbox's KRA: taxpayers, devices, tokens and reference data, and the dispatch of one
//! call to the endpoint that handles it. Everything is in memory and lost when the sandbox stops.
//!
//! Each handler returns an [`Answer`]; `server` writes it in the shape of the gateway the call
//! came through (legacy bare envelope, or the integrator's wrapped one and HTTP 400 bodies).
//! Validation messages are the same on both gateways; the legacy gateway carries them as
//! `resultCd` `910`, the integrator as an HTTP 400 `customerMessage`.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, Utc};
use hesabu_etims::Endpoint;
use hesabu_etims::Secret;
use hesabu_etims::types::ListRequest;
use hesabu_etims::types::customers::BranchCustomerRequest;
use hesabu_etims::types::init::{DeviceInfo, InitData, InitRequest};
use hesabu_etims::types::items::RegisteredItem;
use hesabu_etims::types::purchases::PurchaseSale;
use hesabu_etims::types::reference::{
    Branch, BranchData, CodeListData, CustomerSearchData, CustomerSearchRequest, ItemClassData,
    NoticeData, Taxpayer,
};
use hesabu_etims::types::sales::{SaveSaleData, SaveSaleRequest};
use hesabu_etims::types::stock::StockMove;
use rust_decimal::Decimal;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::clock::{SandboxClock, compact};
use crate::faults::{FaultRule, ReceivedCall};
use crate::reference::{Reference, Stamped, pin_table};
use crate::seeds::{BranchUser, ImportItem, Insurance};
use crate::{Profile, SignedSale, sign};

/// What a handler decided; `server` renders it per gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Answer {
    /// `000` with `data` (raw JSON text, `None` for saves), or `001` without.
    Ok {
        code: &'static str,
        data: Option<String>,
    },
    /// Another KRA result code (`900`, `901`, `902`, `911`, `994`, ...) with its message.
    Kra { code: String, message: String },
    /// A validation failure: legacy `910` with the message, integrator HTTP 400.
    Invalid(String),
    /// Integrator: no valid bearer token (HTTP 401).
    Unauthorized(String),
}

impl Answer {
    pub fn ok(data: &impl Serialize) -> Answer {
        Answer::Ok {
            code: "000",
            data: Some(serde_json::to_string(data).expect("sandbox data serialises")),
        }
    }

    pub fn saved() -> Answer {
        Answer::Ok {
            code: "000",
            data: None,
        }
    }

    pub fn empty() -> Answer {
        Answer::Ok {
            code: "001",
            data: None,
        }
    }

    pub fn kra(code: &str, message: &str) -> Answer {
        Answer::Kra {
            code: code.to_owned(),
            message: message.to_owned(),
        }
    }

    pub fn invalid(message: impl Into<String>) -> Answer {
        Answer::Invalid(message.into())
    }

    /// `994`: the record's key already exists (spec §11.2).
    pub fn duplicate() -> Answer {
        Answer::kra("994", "There is an overlapped data")
    }
}

/// Reads a request body; a missing field is reported the way the integrator words it.
pub(crate) fn parse<T: DeserializeOwned>(body: &str) -> Result<T, Answer> {
    if body.trim().is_empty() {
        return Err(Answer::kra("911", "There is no request full text"));
    }
    serde_json::from_str(body).map_err(|e| {
        let text = e.to_string();
        match text.strip_prefix("missing field `") {
            Some(rest) => Answer::invalid(format!(
                "{} cannot be empty or Null",
                rest.split('`').next().unwrap_or(rest)
            )),
            None => Answer::invalid(format!("Request parameter error: {text}")),
        }
    })
}

/// Refuses the first empty required text field.
pub(crate) fn required(fields: &[(&str, &str)]) -> Result<(), Answer> {
    match fields.iter().find(|(_, value)| value.trim().is_empty()) {
        Some((name, _)) => Err(Answer::invalid(format!("{name} cannot be empty or Null"))),
        None => Ok(()),
    }
}

/// A KRA PIN: a letter, nine digits, a letter (spec §14).
pub(crate) fn valid_pin(pin: &str) -> bool {
    let b = pin.as_bytes();
    b.len() == 11
        && b[0].is_ascii_uppercase()
        && b[10].is_ascii_uppercase()
        && b[1..10].iter().all(u8::is_ascii_digit)
}

pub(crate) fn parse_compact(text: &str) -> Option<NaiveDateTime> {
    (text.len() == 14)
        .then(|| NaiveDateTime::parse_from_str(text, "%Y%m%d%H%M%S").ok())
        .flatten()
}

pub(crate) fn parse_day(text: &str) -> Option<NaiveDate> {
    (text.len() == 8)
        .then(|| NaiveDate::parse_from_str(text, "%Y%m%d").ok())
        .flatten()
}

/// The device headers and bearer token of one call.
#[derive(Debug, Clone, Default)]
pub(crate) struct Call {
    pub profile: Option<Profile>,
    pub endpoint: Option<Endpoint>,
    pub tin: Option<String>,
    pub bhf_id: Option<String>,
    pub cmc_key: Option<String>,
    pub authorization: Option<String>,
    pub body: String,
}

/// Settings fixed at start.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub seed: u64,
    pub cmc_key: Option<String>,
    pub open_registration: bool,
    pub consumer_key: String,
    pub consumer_secret: String,
    pub token_lifetime_secs: u64,
    pub strict_legacy: bool,
}

/// One taxpayer (PIN) known to the sandbox.
#[derive(Debug, Clone)]
pub(crate) struct TaxpayerRecord {
    pub tin: String,
    pub name: String,
    pub branches: Vec<Stamped<Branch>>,
    /// Items registered with `saveItem`, by `itemCd` (per PIN, as the integrator's item-code
    /// sequence is).
    pub items: BTreeMap<String, Stamped<RegisteredItem>>,
    /// The highest 7-digit item-code sequence used (integrator rule, spec §7.1).
    pub item_seq: u64,
    /// Sales suppliers declared against this PIN (`selectTrnsPurchaseSalesList`).
    pub incoming: Vec<Stamped<PurchaseSale>>,
    /// `(itemCd, cpstItemCd)` → quantity.
    pub compositions: BTreeMap<(String, String), Decimal>,
}

/// A signed sale or credit note as the sandbox keeps it.
#[derive(Debug, Clone)]
pub(crate) struct StoredSale {
    pub request: SaveSaleRequest,
    /// The body exactly as received.
    pub body: String,
    pub signature: SaveSaleData,
    /// KRA's signing time (`sdcDateTime`).
    pub signed_at: NaiveDateTime,
    /// When it entered the sales list (after every `resultDt` already given out).
    pub listed_at: NaiveDateTime,
}

/// One OSCU device (PIN + branch).
#[derive(Debug, Clone)]
pub(crate) struct Device {
    pub serial: String,
    pub info: DeviceInfo,
    pub cmc_key: String,
    pub sales: BTreeMap<u64, StoredSale>,
    /// `curRcptNo` per receipt type.
    pub cur_rcpt: BTreeMap<String, u64>,
    pub tot_rcpt: u64,
    /// Confirmed purchases by their own `invcNo` counter: the body as received.
    pub purchases: BTreeMap<u64, Stamped<String>>,
    pub stock_ios: BTreeMap<u64, Stamped<StockMove>>,
    /// The stock ledger from `insertStockIO`, per `itemCd`.
    pub stock: BTreeMap<String, Decimal>,
    /// The remaining quantities reported with `saveStockMaster`.
    pub stock_master: BTreeMap<String, Decimal>,
    pub customers: BTreeMap<String, Stamped<BranchCustomerRequest>>,
    pub users: BTreeMap<String, Stamped<BranchUser>>,
    pub insurances: BTreeMap<String, Stamped<Insurance>>,
    pub imports: Vec<Stamped<ImportItem>>,
}

impl Device {
    /// The next `invcNo` the integrator expects: one after the highest accepted.
    pub fn next_invc_no(&self) -> u64 {
        self.sales.keys().next_back().map_or(1, |n| n + 1)
    }
}

pub(crate) type DeviceKey = (String, String);

/// The whole in-memory KRA.
#[derive(Debug)]
pub(crate) struct Kra {
    pub settings: Settings,
    pub clock: Arc<dyn SandboxClock>,
    pub reference: Reference,
    pub pins: Vec<Taxpayer>,
    pub taxpayers: BTreeMap<String, TaxpayerRecord>,
    pub devices: BTreeMap<DeviceKey, Device>,
    /// The latest `resultDt` handed out: changes are stamped after it, so an incremental pull
    /// never misses one made in the same second.
    pub last_result_dt: NaiveDateTime,
    /// The latest change stamp given out.
    pub last_change: NaiveDateTime,
    pub tokens: BTreeMap<String, DateTime<Utc>>,
    pub tokens_issued: u64,
    pub answers: u64,
    pub received: Vec<ReceivedCall>,
    pub faults: Vec<FaultRule>,
    pub latency: std::time::Duration,
    pub signed: Vec<SignedSale>,
}

impl Kra {
    pub fn new(settings: Settings, clock: Arc<dyn SandboxClock>) -> Kra {
        Kra {
            settings,
            clock,
            reference: Reference::seeded(),
            pins: pin_table(),
            taxpayers: BTreeMap::new(),
            devices: BTreeMap::new(),
            last_result_dt: crate::reference::seeded_at(),
            last_change: crate::reference::seeded_at(),
            tokens: BTreeMap::new(),
            tokens_issued: 0,
            answers: 0,
            received: Vec::new(),
            faults: Vec::new(),
            latency: std::time::Duration::ZERO,
            signed: Vec::new(),
        }
    }

    pub fn now(&self) -> NaiveDateTime {
        self.clock.nairobi()
    }

    /// The `resultDt` of an answer (KRA's server time), remembered for [`Kra::change_stamp`].
    /// Never before a change already recorded, so a client that pulls from it gets each change
    /// exactly once (it runs a second ahead of the clock only right after a change made in the
    /// same second as an earlier `resultDt`).
    pub fn result_dt(&mut self) -> String {
        let at = self.now().max(self.last_result_dt).max(self.last_change);
        self.last_result_dt = at;
        compact(at)
    }

    /// When a change made now is recorded: now, but always after every `resultDt` already
    /// given out, so an incremental pull never misses it.
    pub fn change_stamp(&mut self) -> NaiveDateTime {
        let at = self
            .now()
            .max(self.last_result_dt + TimeDelta::seconds(1))
            .max(self.last_change);
        self.last_change = at;
        at
    }

    /// A reference for the integrator's `responseRefID`.
    pub fn next_ref(&mut self) -> String {
        self.answers += 1;
        let n = self.answers.to_string();
        format!(
            "{}-{}",
            sign::hex(self.settings.seed, &["ref", &n], 8),
            sign::hex(self.settings.seed, &["ref2", &n], 4)
        )
    }

    // ---- the integrator's token ---------------------------------------------------------------

    /// Issues a bearer token for `Authorization: Basic ...`, or says why not.
    pub fn issue_token(&mut self, authorization: Option<&str>) -> Result<(String, u64), String> {
        use base64::Engine as _;
        let expected = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            self.settings.consumer_key, self.settings.consumer_secret
        ));
        let given = authorization
            .and_then(|a| {
                a.strip_prefix("Basic ")
                    .or_else(|| a.strip_prefix("basic "))
            })
            .map(str::trim);
        if given != Some(expected.as_str()) {
            return Err("ClientId is Invalid".to_owned());
        }
        self.tokens_issued += 1;
        let token = format!(
            "sbx{}",
            sign::base32(
                self.settings.seed,
                &["token", &self.tokens_issued.to_string()],
                29
            )
        );
        let lifetime = self.settings.token_lifetime_secs;
        let expires =
            self.clock.now() + TimeDelta::seconds(i64::try_from(lifetime).unwrap_or(i64::MAX / 2));
        self.tokens.insert(token.clone(), expires);
        Ok((token, lifetime))
    }

    fn check_bearer(&self, authorization: Option<&str>) -> Result<(), Answer> {
        let token = authorization
            .and_then(|a| {
                a.strip_prefix("Bearer ")
                    .or_else(|| a.strip_prefix("bearer "))
            })
            .map(str::trim);
        match token.and_then(|t| self.tokens.get(t)) {
            Some(expires) if self.clock.now() < *expires => Ok(()),
            _ => Err(Answer::Unauthorized(
                "Unauthorised-Invalid Access Token".to_owned(),
            )),
        }
    }

    // ---- dispatch --------------------------------------------------------------------------------

    pub fn process(&mut self, call: &Call) -> Answer {
        let (Some(profile), Some(endpoint)) = (call.profile, call.endpoint) else {
            return Answer::kra("891", "Error while Request URL is created");
        };
        if profile == Profile::Integrator
            && let Err(answer) = self.check_bearer(call.authorization.as_deref())
        {
            return answer;
        }
        if endpoint == Endpoint::Init {
            return self.init(profile, &call.body).unwrap_or_else(|a| a);
        }
        let key = match self.authenticate(call) {
            Ok(key) => key,
            Err(answer) => return answer,
        };
        let body = call.body.as_str();
        let result = match endpoint {
            Endpoint::Init => unreachable!("handled above"),
            Endpoint::CodeList => self.code_list(body),
            Endpoint::ItemClassList => self.item_classes(body),
            Endpoint::CustomerPin => self.lookup_pin(body),
            Endpoint::NoticeList => self.notices(body),
            Endpoint::BranchList => self.branches(&key, body),
            Endpoint::TaxpayerInfo => self.taxpayer_info(&key, body),
            Endpoint::SaveBranchCustomer => self.save_branch_customer(profile, &key, body),
            Endpoint::SaveBranchUser => self.save_branch_user(&key, body),
            Endpoint::SaveBranchInsurance => self.save_branch_insurance(&key, body),
            Endpoint::CustomerList => self.customer_list(&key, body),
            Endpoint::SaveItem => self.save_item(profile, &key, body),
            Endpoint::ItemList => self.item_list(&key, body),
            Endpoint::SaveItemComposition => self.save_item_composition(&key, body),
            Endpoint::ImportItemList => self.import_items(&key, body),
            Endpoint::UpdateImportItem => self.update_import_item(&key, body),
            Endpoint::SaveSale => self.save_sale(profile, &key, body),
            Endpoint::InvoiceDetails => self.invoice_details(&key, body),
            Endpoint::SalesList => self.sales_list(&key, body),
            Endpoint::PurchaseSalesList => self.purchase_sales(profile, &key, body),
            Endpoint::SavePurchase => self.save_purchase(profile, &key, body),
            Endpoint::StockMoveList => self.stock_moves(profile, &key, body),
            Endpoint::SaveStockIo => self.save_stock_io(profile, &key, body),
            Endpoint::SaveStockMaster => self.save_stock_master(profile, &key, body),
        };
        result.unwrap_or_else(|a| a)
    }

    /// The device a call speaks for: the three headers, and the key initialisation issued.
    fn authenticate(&self, call: &Call) -> Result<DeviceKey, Answer> {
        let (Some(tin), Some(bhf_id), Some(key)) = (&call.tin, &call.bhf_id, &call.cmc_key) else {
            return Err(Answer::kra("900", "There is no Header information"));
        };
        match self.devices.get(&(tin.clone(), bhf_id.clone())) {
            Some(device) if device.cmc_key == *key => Ok((tin.clone(), bhf_id.clone())),
            _ => Err(Answer::kra("901", "It is not valid device")),
        }
    }

    pub fn device(&mut self, key: &DeviceKey) -> &mut Device {
        self.devices.get_mut(key).expect("an authenticated device")
    }

    pub fn taxpayer(&mut self, tin: &str) -> &mut TaxpayerRecord {
        self.taxpayers.get_mut(tin).expect("a device's taxpayer")
    }

    /// `lastReqDt` of a list request, as an instant.
    pub fn list_request(body: &str) -> Result<(ListRequest, NaiveDateTime), Answer> {
        let request: ListRequest = parse(body)?;
        let after = parse_compact(request.last_req_dt.trim()).ok_or_else(|| {
            Answer::invalid(format!(
                "Invalid lastReqDt {:?}: expected yyyyMMddHHmmss",
                request.last_req_dt
            ))
        })?;
        Ok((request, after))
    }

    // ---- initialisation --------------------------------------------------------------------------

    /// Registers a taxpayer with branches `00` (head office) and `01`, and one supplier sale
    /// declared against it so the purchases list has something to confirm.
    pub fn register_taxpayer(&mut self, tin: &str, name: &str) {
        let at = crate::reference::seeded_at();
        let branch = |bhf_id: &str, bhf_nm: &str, hq: &str| {
            Stamped::new(
                at,
                Branch {
                    tin: Some(tin.to_owned()),
                    bhf_id: Some(bhf_id.to_owned()),
                    bhf_nm: Some(bhf_nm.to_owned()),
                    bhf_stts_cd: Some("01".to_owned()),
                    prvnc_nm: Some("NAIROBI CITY".to_owned()),
                    dstrt_nm: Some("WESTLANDS".to_owned()),
                    sctr_nm: Some("PARKLANDS".to_owned()),
                    loc_desc: Some("Westlands Towers".to_owned()),
                    mgr_nm: Some("Branch Manager".to_owned()),
                    mgr_tel_no: Some("0700000000".to_owned()),
                    mgr_email: Some("manager@example.co.ke".to_owned()),
                    hq_yn: Some(hq.to_owned()),
                },
            )
        };
        let record = TaxpayerRecord {
            tin: tin.to_owned(),
            name: name.to_owned(),
            branches: vec![
                branch("00", "Headquarters", "Y"),
                branch("01", "Branch 01", "N"),
            ],
            items: BTreeMap::new(),
            item_seq: 0,
            incoming: vec![Stamped::new(at, crate::seeds::seeded_supplier_sale(tin))],
            compositions: BTreeMap::new(),
        };
        self.taxpayers.insert(tin.to_owned(), record);
    }

    fn init(&mut self, profile: Profile, body: &str) -> Result<Answer, Answer> {
        let request: InitRequest = parse(body)?;
        if profile == Profile::Integrator {
            required(&[("tin", &request.tin), ("bhfId", &request.bhf_id)])?;
        }
        let not_valid = || Answer::kra("901", "It is not valid device");
        let branch_ok =
            request.bhf_id.len() == 2 && request.bhf_id.bytes().all(|b| b.is_ascii_digit());
        if !valid_pin(&request.tin) || !branch_ok || request.dvc_srl_no.trim().is_empty() {
            return Err(not_valid());
        }
        if !self.taxpayers.contains_key(&request.tin) {
            if !self.settings.open_registration {
                return Err(not_valid());
            }
            let name = format!("Sandbox Taxpayer {}", request.tin);
            self.register_taxpayer(&request.tin, &name);
        }
        let key = (request.tin.clone(), request.bhf_id.clone());
        if let Some(device) = self.devices.get(&key) {
            // The key is issued once (spec §3); another serial on an installed branch is not
            // this branch's device.
            return Err(if device.serial == request.dvc_srl_no {
                Answer::kra("902", "This device is installed")
            } else {
                not_valid()
            });
        }
        let taxpayer = &self.taxpayers[&request.tin];
        let Some(branch) = taxpayer
            .branches
            .iter()
            .find(|b| b.value.bhf_id.as_deref() == Some(request.bhf_id.as_str()))
        else {
            return Err(not_valid());
        };
        let branch = branch.value.clone();
        let seed = self.settings.seed;
        let parts = [request.tin.as_str(), &request.bhf_id, &request.dvc_srl_no];
        let n = self.devices.len() + 1;
        let cmc_key = self
            .settings
            .cmc_key
            .clone()
            .unwrap_or_else(|| sign::hex(seed, &[&["cmcKey"], &parts[..]].concat(), 32));
        let info = DeviceInfo {
            tin: Some(request.tin.clone()),
            taxpr_nm: Some(taxpayer.name.clone()),
            bsns_actv: Some("business".to_owned()),
            bhf_id: Some(request.bhf_id.clone()),
            bhf_nm: branch.bhf_nm.clone(),
            bhf_open_dt: Some("20240101".to_owned()),
            prvnc_nm: branch.prvnc_nm.clone(),
            dstrt_nm: branch.dstrt_nm.clone(),
            sctr_nm: branch.sctr_nm.clone(),
            loc_desc: branch.loc_desc.clone(),
            hq_yn: branch.hq_yn.clone(),
            mgr_nm: branch.mgr_nm.clone(),
            mgr_tel_no: branch.mgr_tel_no.clone(),
            mgr_email: branch.mgr_email.clone(),
            dvc_id: Some(sign::digits(seed, &[&["dvcId"], &parts[..]].concat(), 16)),
            sdc_id: Some(format!("KRACU01{n:08}")),
            mrc_no: Some(format!("WIS01{n:06}")),
            cmc_key: Some(Secret::new(cmc_key.clone())),
            ..DeviceInfo::default()
        };
        let imports = crate::seeds::seeded_imports(crate::reference::seeded_at());
        self.devices.insert(
            key,
            Device {
                serial: request.dvc_srl_no.clone(),
                info: info.clone(),
                cmc_key,
                sales: BTreeMap::new(),
                cur_rcpt: BTreeMap::new(),
                tot_rcpt: 0,
                purchases: BTreeMap::new(),
                stock_ios: BTreeMap::new(),
                stock: BTreeMap::new(),
                stock_master: BTreeMap::new(),
                customers: BTreeMap::new(),
                users: BTreeMap::new(),
                insurances: BTreeMap::new(),
                imports,
            },
        );
        Ok(Answer::ok(&InitData { info }))
    }

    // ---- reference data ----------------------------------------------------------------------------

    fn code_list(&mut self, body: &str) -> Result<Answer, Answer> {
        let (_, after) = Self::list_request(body)?;
        let cls_list = self.reference.code_list_after(after);
        Ok(non_empty(cls_list, |cls_list| CodeListData { cls_list }))
    }

    fn item_classes(&mut self, body: &str) -> Result<Answer, Answer> {
        let (_, after) = Self::list_request(body)?;
        let list = changed_after(&self.reference.item_classes, after);
        Ok(non_empty(list, |item_cls_list| ItemClassData {
            item_cls_list,
        }))
    }

    fn notices(&mut self, body: &str) -> Result<Answer, Answer> {
        let (_, after) = Self::list_request(body)?;
        let list = changed_after(&self.reference.notices, after);
        Ok(non_empty(list, |notice_list| NoticeData { notice_list }))
    }

    fn branches(&mut self, key: &DeviceKey, body: &str) -> Result<Answer, Answer> {
        let (_, after) = Self::list_request(body)?;
        let list = changed_after(&self.taxpayer(&key.0).branches, after);
        Ok(non_empty(list, |bhf_list| BranchData { bhf_list }))
    }

    /// `selectTaxpayerInfo`: its shape is an open question (spec §17.11). A guess: the
    /// taxpayer as the PIN lookup describes one, under `taxpayerList`.
    fn taxpayer_info(&mut self, key: &DeviceKey, body: &str) -> Result<Answer, Answer> {
        let _ = Self::list_request(body)?;
        let taxpayer = self.own_taxpayer(&key.0);
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct TaxpayerInfo {
            taxpayer_list: Vec<Taxpayer>,
        }
        Ok(Answer::ok(&TaxpayerInfo {
            taxpayer_list: vec![taxpayer],
        }))
    }

    fn own_taxpayer(&self, tin: &str) -> Taxpayer {
        let record = &self.taxpayers[tin];
        let head = record.branches.first().map(|b| &b.value);
        Taxpayer {
            tin: Some(record.tin.clone()),
            taxpr_nm: Some(record.name.clone()),
            taxpr_stts_cd: Some("A".to_owned()),
            prvnc_nm: head.and_then(|b| b.prvnc_nm.clone()),
            dstrt_nm: head.and_then(|b| b.dstrt_nm.clone()),
            sctr_nm: head.and_then(|b| b.sctr_nm.clone()),
            loc_desc: head.and_then(|b| b.loc_desc.clone()),
        }
    }

    /// The PIN lookup: the fixed table, then the sandbox's own taxpayers; otherwise `001`.
    fn lookup_pin(&mut self, body: &str) -> Result<Answer, Answer> {
        let request: CustomerSearchRequest = parse(body)?;
        required(&[("custmTin", &request.custm_tin)])?;
        let pin = request.custm_tin.trim().to_ascii_uppercase();
        let found = self
            .pins
            .iter()
            .find(|t| t.tin.as_deref() == Some(pin.as_str()))
            .cloned()
            .or_else(|| {
                self.taxpayers
                    .contains_key(&pin)
                    .then(|| self.own_taxpayer(&pin))
            });
        Ok(match found {
            Some(taxpayer) => Answer::ok(&CustomerSearchData {
                cust_list: vec![taxpayer],
            }),
            None => Answer::empty(),
        })
    }
}

/// The records changed after `after`.
pub(crate) fn changed_after<T: Clone>(records: &[Stamped<T>], after: NaiveDateTime) -> Vec<T> {
    records
        .iter()
        .filter(|s| s.at > after)
        .map(|s| s.value.clone())
        .collect()
}

/// `000` with the list, or `001` when nothing changed.
pub(crate) fn non_empty<T, D: Serialize>(list: Vec<T>, wrap: impl FnOnce(Vec<T>) -> D) -> Answer {
    if list.is_empty() {
        Answer::empty()
    } else {
        Answer::ok(&wrap(list))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_and_dates() {
        assert!(valid_pin("P600004059A") && valid_pin("A000123456F"));
        assert!(!valid_pin("P60000405A") && !valid_pin("p600004059a") && !valid_pin(""));
        assert!(parse_compact("20240415030000").is_some());
        assert!(
            parse_compact("2024041503000").is_none() && parse_compact("20241315030000").is_none()
        );
        assert!(parse_day("20240128").is_some() && parse_day("2024-01-28").is_none());
    }

    #[test]
    fn missing_fields_are_named() {
        let e = parse::<InitRequest>(r#"{"bhfId":"00","dvcSrlNo":"x"}"#).unwrap_err();
        assert_eq!(e, Answer::invalid("tin cannot be empty or Null"));
        assert_eq!(
            parse::<InitRequest>(" ").unwrap_err(),
            Answer::kra("911", "There is no request full text")
        );
    }
}
