//! Master data at KRA e-TIMS (spec §6, §7, §14): looking customers' PINs up, registering
//! customers (`saveBhfCustomer`) and items (`saveItem`), and what they add to a sale's pre-send
//! checklist.
//!
//! - **PINs**: the format is checked here first (spec §14, `company::validate_kra_pin`), then
//!   KRA is asked (`selectCustomer {custmTin}`, integrator `/customerPinInfo`; `001` = unknown).
//!   The answer is kept per PIN (`etims_pin_check`). The device's **PIN check mode**
//!   (`etims_master_settings`, default strict) decides what an unknown or inactive PIN does:
//!   *strict* blocks the sale (and the customer's registration), *lenient* warns.
//! - **Customers** are registered with our customer number as `custNo`; **items** with their KRA
//!   item code (`itemCd`, spec §7.1), which the ledger built when the item was added and which
//!   never changes once KRA has it. Before registering an item it is checked against the cached
//!   reference data (`super::reference`): the classification exists in KRA's list (once pulled),
//!   the units, tax type and origin exist in the code lists, and a warning when the tax type
//!   differs from the one KRA attaches to the classification.
//! - **Idempotent**: what KRA accepted is fingerprinted (`etims_registration`); sending an
//!   unchanged, registered customer or item again is a no-op success, a changed one is sent
//!   again under the same `custNo` / `itemCd` (both calls are upserts at KRA, so resending after
//!   a lost answer is harmless).
//! - The entity's own `etims_state` column (`unregistered | registered | failed`) follows, with
//!   KRA's message in `etims_registration`. Every write is an audited unit of work
//!   (`etims.pin.check`, `etims.customer.register`, `etims.item.register`, `etims.item.code`,
//!   `etims.settings`).
//!
//! The ledger's tables (`customer`, `item`) are read and their `etims_state` / unregistered
//! `kra_item_code` written here with plain SQL: the ledger has no writer for these e-TIMS
//! columns, and they belong to this flow.

use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};
use rust_decimal::{Decimal, RoundingStrategy};
use sea_orm::{ConnectionTrait, QueryResult, Statement, Value};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::device::{self, client_error};
use super::fiscal::Problem;
use super::reference::{self, Codes, class};
use hesabu_core::company;
use hesabu_core::sales::fiscal::{self as ledger, FiscalContext, GatewayProfile};
use hesabu_core::sales::items::{ItemView, ProductType, kra_item_code};
use hesabu_etims::types::customers::BranchCustomerRequest;
use hesabu_etims::types::items::SaveItemRequest;
use hesabu_etims::{Client, ResultClass, Timeouts};
use hesabu_store::audit::AuditDraft;
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::{Error, Result};
use hesabu_store::outbox::{Ack, SendError};
use hesabu_store::permissions::Permission;
use hesabu_store::secrets::SecretStore;
use hesabu_store::uow::UnitOfWork;

/// A PIN KRA answered for is asked again after this long (taxpayers' status changes rarely).
pub const PIN_CHECK_MAX_AGE_DAYS: i64 = 30;

fn statement(db: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(db.get_database_backend(), sql, values)
}

fn problem(code: &str, message: impl Into<String>, fix: impl Into<String>) -> Problem {
    Problem {
        code: code.into(),
        message: message.into(),
        fix: fix.into(),
    }
}

fn cut(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

async fn begin(file: &CompanyFile, session: Option<&Session>) -> Result<UnitOfWork> {
    match session {
        Some(s) => file.begin(s).await,
        None => file.begin_system().await,
    }
}

/// Why registering or looking up did not happen.
#[derive(Debug)]
enum Failure {
    /// A local check refused it; the message lists what to fix. Nothing was sent.
    Blocked(String),
    /// KRA (or the way to it) failed.
    Kra {
        doing: String,
        error: hesabu_etims::Error,
    },
    /// The company file.
    Local(Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Local(e)
    }
}

impl Failure {
    fn into_error(self) -> Error {
        match self {
            Failure::Blocked(message) => Error::invalid(message),
            Failure::Kra { doing, error } => client_error(&doing, &error),
            Failure::Local(e) => e,
        }
    }

    fn into_send_error(self) -> SendError {
        match self {
            Failure::Blocked(message) => SendError::permanent(message),
            Failure::Kra { doing, error } => match error.class() {
                ResultClass::Retryable => SendError::Retryable {
                    message: format!("{doing}: {error}"),
                    outcome_unknown: error.outcome_unknown(),
                    retry_after: error.retry_after(),
                },
                _ => SendError::permanent(format!(
                    "{doing}: {error}. Correct what KRA names, then retry the row \
                     (`hesabu sync retry ID`)."
                )),
            },
            Failure::Local(e) => SendError::permanent(e.to_string()),
        }
    }
}

// ---- the device's setting ----------------------------------------------------------------------

/// What a PIN KRA does not know, or lists as inactive, does to a sale or a registration.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PinCheckMode {
    /// It is blocked until the PIN is corrected.
    #[default]
    Strict,
    /// It goes ahead with a warning.
    Lenient,
}

impl PinCheckMode {
    pub fn as_str(self) -> &'static str {
        match self {
            PinCheckMode::Strict => "strict",
            PinCheckMode::Lenient => "lenient",
        }
    }
}

impl FromStr for PinCheckMode {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "strict" => Ok(PinCheckMode::Strict),
            "lenient" => Ok(PinCheckMode::Lenient),
            other => Err(Error::invalid(format!(
                "'{other}' is not a PIN check mode: use strict (block sales to PINs KRA does not \
                 know or lists as inactive) or lenient (warn)."
            ))),
        }
    }
}

/// The device's master-data settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MasterSettings {
    pub pin_check: PinCheckMode,
    /// None: never set (the default applies).
    pub updated_at: Option<String>,
}

async fn settings_in(db: &impl ConnectionTrait) -> Result<MasterSettings> {
    let row = db
        .query_one_raw(statement(
            db,
            "SELECT pin_check, updated_at FROM etims_master_settings LIMIT 1",
            vec![],
        ))
        .await?;
    Ok(match row {
        Some(r) => MasterSettings {
            pin_check: r
                .try_get::<String>("", "pin_check")?
                .parse()
                .map_err(|_| Error::Internal("the stored PIN check mode is not known".into()))?,
            updated_at: r.try_get("", "updated_at")?,
        },
        None => MasterSettings {
            pin_check: PinCheckMode::default(),
            updated_at: None,
        },
    })
}

/// The device's PIN check mode (strict when never set).
pub async fn pin_check_mode(db: &impl ConnectionTrait) -> Result<PinCheckMode> {
    Ok(settings_in(db).await?.pin_check)
}

pub async fn settings(file: &CompanyFile, session: &Session) -> Result<MasterSettings> {
    session.require(Permission::SalesView)?;
    settings_in(file.reader()).await
}

/// Sets the PIN check mode (`hesabu etims device pin-check strict|lenient`). An administrator's
/// decision (`CompanyEdit`), audited.
pub async fn set_pin_check(
    file: &CompanyFile,
    session: &Session,
    mode: PinCheckMode,
) -> Result<MasterSettings> {
    session.require(Permission::CompanyEdit)?;
    let mut uow = file.begin(session).await?;
    let before = settings_in(uow.db()).await?;
    let company = company::load(uow.db()).await?;
    let now = uow.now_text();
    uow.db()
        .execute_raw(statement(
            uow.db(),
            "INSERT INTO etims_master_settings (company_id, pin_check, updated_at) \
             VALUES (?, ?, ?) ON CONFLICT (company_id) DO UPDATE SET \
             pin_check = excluded.pin_check, updated_at = excluded.updated_at",
            vec![company.id.into(), mode.as_str().into(), now.clone().into()],
        ))
        .await?;
    uow.audit(AuditDraft {
        action: "etims.settings",
        entity_type: "etims_device",
        entity_id: "pin_check".into(),
        before: Some(json!({ "pin_check": before.pin_check.as_str() })),
        after: Some(json!({ "pin_check": mode.as_str() })),
    })
    .await?;
    uow.commit().await?;
    Ok(MasterSettings {
        pin_check: mode,
        updated_at: Some(now),
    })
}

// ---- PIN look-ups --------------------------------------------------------------------------------

/// What KRA said of a PIN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PinStatus {
    Active,
    Inactive,
    /// `001`: KRA does not know it.
    NotFound,
}

impl PinStatus {
    fn as_str(self) -> &'static str {
        match self {
            PinStatus::Active => "active",
            PinStatus::Inactive => "inactive",
            PinStatus::NotFound => "not_found",
        }
    }

    fn parse(text: &str) -> Result<Self> {
        match text {
            "active" => Ok(PinStatus::Active),
            "inactive" => Ok(PinStatus::Inactive),
            "not_found" => Ok(PinStatus::NotFound),
            other => Err(Error::Internal(format!(
                "the stored PIN check result '{other}' is not known"
            ))),
        }
    }
}

/// The last look-up of a PIN at KRA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PinRecord {
    pub pin: String,
    pub status: PinStatus,
    pub taxpayer_name: Option<String>,
    /// `taxprSttsCd` as KRA sent it.
    pub status_cd: Option<String>,
    pub result_cd: String,
    pub result_msg: Option<String>,
    pub checked_at: String,
}

/// The stored look-up of `pin`, if it was ever looked up.
pub async fn pin_record(db: &impl ConnectionTrait, pin: &str) -> Result<Option<PinRecord>> {
    let row = db
        .query_one_raw(statement(
            db,
            "SELECT pin, result, taxpayer_name, status_cd, result_cd, result_msg, checked_at \
             FROM etims_pin_check WHERE pin = ?",
            vec![pin.trim().to_uppercase().into()],
        ))
        .await?;
    let Some(r) = row else { return Ok(None) };
    Ok(Some(PinRecord {
        pin: r.try_get("", "pin")?,
        status: PinStatus::parse(&r.try_get::<String>("", "result")?)?,
        taxpayer_name: r.try_get("", "taxpayer_name")?,
        status_cd: r.try_get("", "status_cd")?,
        result_cd: r.try_get("", "result_cd")?,
        result_msg: r.try_get("", "result_msg")?,
        checked_at: r.try_get("", "checked_at")?,
    }))
}

fn is_fresh(record: &PinRecord, now: DateTime<Utc>) -> bool {
    DateTime::parse_from_rfc3339(&record.checked_at)
        .is_ok_and(|at| now - at.with_timezone(&Utc) < Duration::days(PIN_CHECK_MAX_AGE_DAYS))
}

/// Asks KRA about `pin` (already in its normal form) and stores the answer, audited.
async fn look_up(
    file: &CompanyFile,
    session: Option<&Session>,
    client: &Client,
    pin: &str,
) -> std::result::Result<PinRecord, Failure> {
    let reply = client.lookup_pin(pin).await.map_err(|error| Failure::Kra {
        doing: format!("Could not look KRA PIN {pin} up at KRA"),
        error,
    })?;
    let found = reply.data.as_ref().and_then(|d| {
        d.cust_list
            .iter()
            .find(|t| {
                t.tin
                    .as_deref()
                    .is_some_and(|t| t.trim().eq_ignore_ascii_case(pin))
            })
            .or_else(|| d.cust_list.first())
            .cloned()
    });
    let status = match &found {
        None => PinStatus::NotFound,
        // Spec §6: `A` active, `D` inactive; a taxpayer listed without a status is taken as
        // known and active (KRA found it).
        Some(t) if t.taxpr_stts_cd.as_deref().map(str::trim) == Some("D") => PinStatus::Inactive,
        Some(_) => PinStatus::Active,
    };
    let mut uow = begin(file, session).await?;
    let now = uow.now_text();
    let record = PinRecord {
        pin: pin.to_owned(),
        status,
        taxpayer_name: found.as_ref().and_then(|t| t.taxpr_nm.clone()),
        status_cd: found.as_ref().and_then(|t| t.taxpr_stts_cd.clone()),
        result_cd: reply.result_cd.clone(),
        result_msg: Some(reply.result_msg.clone()),
        checked_at: now.clone(),
    };
    uow.db()
        .execute_raw(statement(
            uow.db(),
            "INSERT INTO etims_pin_check (pin, result, taxpayer_name, status_cd, result_cd, \
             result_msg, response_json, checked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (pin) DO UPDATE SET result = excluded.result, \
             taxpayer_name = excluded.taxpayer_name, status_cd = excluded.status_cd, \
             result_cd = excluded.result_cd, result_msg = excluded.result_msg, \
             response_json = excluded.response_json, checked_at = excluded.checked_at",
            vec![
                record.pin.clone().into(),
                status.as_str().into(),
                record.taxpayer_name.clone().into(),
                record.status_cd.clone().into(),
                record.result_cd.clone().into(),
                record.result_msg.clone().into(),
                Some(reply.raw_body.clone()).into(),
                now.into(),
            ],
        ))
        .await
        .map_err(Error::from)?;
    uow.audit(AuditDraft {
        action: "etims.pin.check",
        entity_type: "etims_pin",
        entity_id: record.pin.clone(),
        before: None,
        after: Some(json!({
            "result": status.as_str(),
            "taxpayer_name": record.taxpayer_name,
            "result_cd": record.result_cd,
        })),
    })
    .await?;
    uow.commit().await?;
    Ok(record)
}

/// A PIN's look-up and what it means under the device's mode.
#[derive(Debug, Clone, Serialize)]
pub struct PinCheck {
    pub record: PinRecord,
    pub mode: PinCheckMode,
    /// Whether sales to (and registering) this PIN may go ahead.
    pub allowed: bool,
    /// In words, with what to do when it is not fine.
    pub message: String,
}

fn verdict(record: PinRecord, mode: PinCheckMode) -> PinCheck {
    let pin = &record.pin;
    let name = record
        .taxpayer_name
        .as_deref()
        .map(|n| format!(" ({n})"))
        .unwrap_or_default();
    let (allowed, message) = match (record.status, mode) {
        (PinStatus::Active, _) => (true, format!("KRA knows PIN {pin}{name}: active.")),
        (status, PinCheckMode::Strict) => (
            false,
            format!(
                "{}. The device checks PINs strictly, so sales to it and registering it are \
                 blocked. Check the PIN with the customer and correct it (`hesabu customer edit \
                 …`), or, if KRA is wrong, switch to lenient checks (`hesabu etims device \
                 pin-check lenient`).",
                pin_words(pin, &name, status)
            ),
        ),
        (status, PinCheckMode::Lenient) => (
            true,
            format!(
                "{}. The device checks PINs leniently, so sales to it go ahead; check the PIN \
                 with the customer.",
                pin_words(pin, &name, status)
            ),
        ),
    };
    PinCheck {
        record,
        mode,
        allowed,
        message,
    }
}

fn pin_words(pin: &str, name: &str, status: PinStatus) -> String {
    match status {
        PinStatus::Active => format!("KRA knows PIN {pin}{name}"),
        PinStatus::Inactive => format!("KRA lists PIN {pin}{name} as inactive"),
        PinStatus::NotFound => format!("KRA does not know PIN {pin}"),
    }
}

/// Checks a PIN (`hesabu etims customer check PIN`): its format here first (nothing is sent for
/// a malformed PIN), then at KRA; the answer is stored for the pre-send checklist.
pub async fn check_pin(
    file: &CompanyFile,
    session: &Session,
    secrets: &dyn SecretStore,
    pin: &str,
    timeouts: Timeouts,
) -> Result<PinCheck> {
    session.require(Permission::SalesView)?;
    let pin = company::validate_kra_pin(pin)?;
    let client = device::client(file, secrets, timeouts)
        .await?
        .ok_or_else(reference::no_device)?;
    let record = look_up(file, Some(session), &client, &pin)
        .await
        .map_err(Failure::into_error)?;
    Ok(verdict(record, pin_check_mode(file.reader()).await?))
}

// ---- the ledger's rows ----------------------------------------------------------------------------

/// A customer as registration needs it.
#[derive(Debug, Clone)]
struct CustomerRow {
    id: String,
    number: String,
    name: String,
    kra_pin: Option<String>,
    email: Option<String>,
    mobile: Option<String>,
    address: Option<String>,
    active: bool,
    etims_state: String,
}

fn one_of(rows: Vec<QueryResult>, what: &str, key: &str) -> Result<QueryResult> {
    let count = rows.len();
    let mut rows = rows.into_iter();
    match (rows.next(), count) {
        (Some(row), 1) => Ok(row),
        (None, _) => Err(Error::NotFound(format!(
            "There is no {what} '{key}'. Use the {what}'s number or code; the {what} list shows \
             them."
        ))),
        _ => Err(Error::invalid(format!(
            "'{key}' matches more than one {what}; use its id."
        ))),
    }
}

async fn find_customer(db: &impl ConnectionTrait, key: &str) -> Result<CustomerRow> {
    let key = key.trim();
    let rows = db
        .query_all_raw(statement(
            db,
            "SELECT id, number, name, kra_pin, email, mobile, address, active, etims_state \
             FROM customer WHERE id = ? OR number = ? OR kra_pin = ?",
            vec![key.into(), key.into(), key.to_uppercase().into()],
        ))
        .await?;
    let r = one_of(rows, "customer", key)?;
    Ok(CustomerRow {
        id: r.try_get("", "id")?,
        number: r.try_get("", "number")?,
        name: r.try_get("", "name")?,
        kra_pin: r.try_get("", "kra_pin")?,
        email: r.try_get("", "email")?,
        mobile: r.try_get("", "mobile")?,
        address: r.try_get("", "address")?,
        active: r.try_get("", "active")?,
        etims_state: r.try_get("", "etims_state")?,
    })
}

/// An item as the checks and registration need it.
#[derive(Debug, Clone)]
struct ItemRow {
    id: String,
    code: String,
    name: String,
    classification_code: Option<String>,
    packaging_unit: String,
    quantity_unit: String,
    tax_type: String,
    product_type: String,
    origin_country: String,
    unit_price: Decimal,
    barcode: Option<String>,
    active: bool,
    kra_item_code: String,
    etims_state: String,
}

impl From<&ItemView> for ItemRow {
    fn from(i: &ItemView) -> Self {
        ItemRow {
            id: i.id.clone(),
            code: i.code.clone(),
            name: i.name.clone(),
            classification_code: i.classification_code.clone(),
            packaging_unit: i.packaging_unit.clone(),
            quantity_unit: i.quantity_unit.clone(),
            tax_type: i.tax_type.as_str().to_owned(),
            product_type: i.product_type.as_str().to_owned(),
            origin_country: i.origin_country.clone(),
            unit_price: Decimal::from_str(&i.unit_price).unwrap_or_default(),
            barcode: i.barcode.clone(),
            active: i.active,
            kra_item_code: i.kra_item_code.clone(),
            etims_state: i.etims_state.clone(),
        }
    }
}

async fn find_item(db: &impl ConnectionTrait, key: &str) -> Result<ItemRow> {
    let key = key.trim();
    let rows = db
        .query_all_raw(statement(
            db,
            "SELECT id, code, name, classification_code, packaging_unit, quantity_unit, \
             tax_type, product_type, origin_country, unit_price, barcode, active, kra_item_code, \
             etims_state FROM item WHERE id = ? OR code = ? OR kra_item_code = ? OR barcode = ?",
            vec![key.into(), key.into(), key.into(), key.into()],
        ))
        .await?;
    let r = one_of(rows, "item", key)?;
    let price: String = r.try_get("", "unit_price")?;
    Ok(ItemRow {
        id: r.try_get("", "id")?,
        code: r.try_get("", "code")?,
        name: r.try_get("", "name")?,
        classification_code: r.try_get("", "classification_code")?,
        packaging_unit: r.try_get("", "packaging_unit")?,
        quantity_unit: r.try_get("", "quantity_unit")?,
        tax_type: r.try_get("", "tax_type")?,
        product_type: r.try_get("", "product_type")?,
        origin_country: r.try_get("", "origin_country")?,
        unit_price: Decimal::from_str(&price)
            .map_err(|e| Error::Internal(format!("the stored unit price '{price}': {e}")))?,
        barcode: r.try_get("", "barcode")?,
        active: r.try_get("", "active")?,
        kra_item_code: r.try_get("", "kra_item_code")?,
        etims_state: r.try_get("", "etims_state")?,
    })
}

/// Whether the item's code was already sent to KRA on a sale (then it cannot change).
async fn item_on_a_submission(db: &impl ConnectionTrait, item_id: &str) -> Result<bool> {
    Ok(db
        .query_one_raw(statement(
            db,
            "SELECT 1 AS one FROM sales_line l JOIN fiscal_submission s \
             ON s.document_id = l.document_id WHERE l.item_id = ? LIMIT 1",
            vec![item_id.into()],
        ))
        .await?
        .is_some())
}

// ---- registration records ----------------------------------------------------------------------

/// A customer's or item's registration with KRA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegistrationView {
    /// `customer` or `item`.
    pub entity_type: String,
    pub entity_id: String,
    /// The customer number or item code.
    pub label: String,
    /// `unregistered`, `registered` or `failed`.
    pub state: String,
    /// The `custNo` / `itemCd` KRA knows it by.
    pub kra_code: String,
    /// Whether this call sent anything (false: it was registered and unchanged).
    pub sent: bool,
    pub result_cd: Option<String>,
    /// KRA's message verbatim, or what blocked it here.
    pub result_msg: Option<String>,
    pub warnings: Vec<String>,
    pub registered_at: Option<String>,
    pub attempts: i64,
}

#[derive(Debug, Clone)]
struct StoredRegistration {
    kra_code: String,
    fingerprint: Option<String>,
    result_cd: Option<String>,
    result_msg: Option<String>,
    warning: Option<String>,
    registered_at: Option<String>,
    attempts: i64,
}

async fn stored_registration(
    db: &impl ConnectionTrait,
    entity_type: &str,
    entity_id: &str,
) -> Result<Option<StoredRegistration>> {
    let row = db
        .query_one_raw(statement(
            db,
            "SELECT kra_code, fingerprint, result_cd, result_msg, warning, registered_at, \
             attempts FROM etims_registration WHERE entity_type = ? AND entity_id = ?",
            vec![entity_type.into(), entity_id.into()],
        ))
        .await?;
    let Some(r) = row else { return Ok(None) };
    Ok(Some(StoredRegistration {
        kra_code: r.try_get("", "kra_code")?,
        fingerprint: r.try_get("", "fingerprint")?,
        result_cd: r.try_get("", "result_cd")?,
        result_msg: r.try_get("", "result_msg")?,
        warning: r.try_get("", "warning")?,
        registered_at: r.try_get("", "registered_at")?,
        attempts: r.try_get("", "attempts")?,
    }))
}

/// The registration of a customer or item as stored (`hesabu etims customer show`, the UI).
pub async fn registration(
    file: &CompanyFile,
    session: &Session,
    entity_type: &str,
    key: &str,
) -> Result<RegistrationView> {
    session.require(Permission::SalesView)?;
    let db = file.reader();
    let (id, label, state, code) = match entity_type {
        "customer" => {
            let c = find_customer(db, key).await?;
            (c.id, c.number.clone(), c.etims_state, c.number)
        }
        "item" => {
            let i = find_item(db, key).await?;
            (i.id, i.code, i.etims_state, i.kra_item_code)
        }
        other => {
            return Err(Error::invalid(format!(
                "'{other}' is not registered with e-TIMS: use customer or item."
            )));
        }
    };
    let stored = stored_registration(db, entity_type, &id).await?;
    Ok(view_of(
        entity_type,
        &id,
        &label,
        &state,
        &code,
        stored,
        false,
    ))
}

fn view_of(
    entity_type: &str,
    id: &str,
    label: &str,
    state: &str,
    code: &str,
    stored: Option<StoredRegistration>,
    sent: bool,
) -> RegistrationView {
    let stored = stored.as_ref();
    RegistrationView {
        entity_type: entity_type.into(),
        entity_id: id.into(),
        label: label.into(),
        state: state.into(),
        kra_code: stored.map_or_else(|| code.to_owned(), |s| s.kra_code.clone()),
        sent,
        result_cd: stored.and_then(|s| s.result_cd.clone()),
        result_msg: stored.and_then(|s| s.result_msg.clone()),
        warnings: stored
            .and_then(|s| s.warning.clone())
            .map(|w| w.split('\n').map(str::to_owned).collect())
            .unwrap_or_default(),
        registered_at: stored.and_then(|s| s.registered_at.clone()),
        attempts: stored.map_or(0, |s| s.attempts),
    }
}

/// SHA-256 of a request without who sent it: the same entity sent by two people is the same.
/// What a registration call's answer means for the stored attempt: accepted (with the request's
/// fingerprint), or refused with KRA's code and message. A retryable failure is returned as the
/// error (the outbox tries again); nothing is recorded for it.
type Registration = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<hesabu_etims::Error>,
);

fn registration_answer(
    answer: std::result::Result<hesabu_etims::Reply<hesabu_etims::NoData>, hesabu_etims::Error>,
    print: String,
    doing: impl FnOnce() -> String,
) -> std::result::Result<Registration, Failure> {
    Ok(match answer {
        Ok(reply) => (
            Some(print),
            Some(reply.result_cd),
            Some(reply.result_msg),
            None,
        ),
        Err(e) if e.class() == ResultClass::Retryable => {
            return Err(Failure::Kra {
                doing: doing(),
                error: e,
            });
        }
        Err(e) => (
            None,
            e.result_code().map(str::to_owned),
            Some(e.kra_message().map_or_else(|| e.to_string(), str::to_owned)),
            Some(e),
        ),
    })
}

fn fingerprint(request: &impl Serialize) -> String {
    let mut value = serde_json::to_value(request).unwrap_or_default();
    if let Some(map) = value.as_object_mut() {
        for key in ["regrId", "regrNm", "modrId", "modrNm"] {
            map.remove(key);
        }
    }
    Sha256::digest(value.to_string().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What to record after an attempt.
struct Attempt<'a> {
    entity_type: &'static str,
    entity_id: &'a str,
    label: &'a str,
    kra_code: &'a str,
    request_json: Option<String>,
    /// Set when KRA accepted it.
    accepted_fingerprint: Option<String>,
    result_cd: Option<String>,
    result_msg: Option<String>,
    warnings: &'a [String],
    /// Registered before this attempt (a refused update leaves it registered).
    was_registered: bool,
}

/// Records an attempt, moves the entity's `etims_state`, audits; returns the state.
async fn record(
    file: &CompanyFile,
    session: Option<&Session>,
    a: &Attempt<'_>,
) -> Result<(String, Option<StoredRegistration>)> {
    let accepted = a.accepted_fingerprint.is_some();
    let state = if accepted || a.was_registered {
        "registered"
    } else {
        "failed"
    };
    let mut uow = begin(file, session).await?;
    let now = uow.now_text();
    let warning = (!a.warnings.is_empty()).then(|| a.warnings.join("\n"));
    uow.db()
        .execute_raw(statement(
            uow.db(),
            "INSERT INTO etims_registration (entity_type, entity_id, state, kra_code, \
             request_json, fingerprint, result_cd, result_msg, warning, attempts, registered_at, \
             updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?) \
             ON CONFLICT (entity_type, entity_id) DO UPDATE SET state = excluded.state, \
             kra_code = excluded.kra_code, \
             request_json = COALESCE(excluded.request_json, etims_registration.request_json), \
             fingerprint = COALESCE(excluded.fingerprint, etims_registration.fingerprint), \
             result_cd = excluded.result_cd, result_msg = excluded.result_msg, \
             warning = excluded.warning, attempts = etims_registration.attempts + 1, \
             registered_at = COALESCE(etims_registration.registered_at, excluded.registered_at), \
             updated_at = excluded.updated_at",
            vec![
                a.entity_type.into(),
                a.entity_id.into(),
                state.into(),
                a.kra_code.into(),
                a.request_json.clone().into(),
                a.accepted_fingerprint.clone().into(),
                a.result_cd.clone().into(),
                a.result_msg.clone().into(),
                warning.into(),
                accepted.then(|| now.clone()).into(),
                now.clone().into(),
            ],
        ))
        .await?;
    let table = match a.entity_type {
        "customer" => "customer",
        _ => "item",
    };
    uow.db()
        .execute_raw(statement(
            uow.db(),
            &format!("UPDATE {table} SET etims_state = ? WHERE id = ?"),
            vec![state.into(), a.entity_id.into()],
        ))
        .await?;
    uow.audit(AuditDraft {
        action: match (a.entity_type, accepted) {
            ("customer", true) => "etims.customer.register",
            ("customer", false) => "etims.customer.register_failed",
            (_, true) => "etims.item.register",
            (_, false) => "etims.item.register_failed",
        },
        entity_type: a.entity_type,
        entity_id: a.entity_id.into(),
        before: None,
        after: Some(json!({
            "label": a.label,
            "kra_code": a.kra_code,
            "state": state,
            "result_cd": a.result_cd,
            "result_msg": a.result_msg,
            "warnings": a.warnings,
        })),
    })
    .await?;
    let stored = stored_registration(uow.db(), a.entity_type, a.entity_id).await?;
    uow.commit().await?;
    Ok((state.to_owned(), stored))
}

/// KRA's `regrId` / `regrNm` for whoever acts: the user id without dashes (KRA allows 20
/// characters), or the system.
fn registrar(session: Option<&Session>) -> (String, String) {
    match session {
        Some(s) => (cut(&s.user_id().replace('-', ""), 20), cut(s.name(), 60)),
        None => ("hesabu".into(), "Hesabu".into()),
    }
}

fn blocked_message(label: &str, what: &str, problems: &[Problem]) -> String {
    let list = problems
        .iter()
        .enumerate()
        .map(|(i, p)| format!("{}) {} {}", i + 1, p.message, p.fix))
        .collect::<Vec<_>>()
        .join(" ");
    format!("{what} {label} cannot be registered with e-TIMS yet: {list}")
}

// ---- customers ------------------------------------------------------------------------------------

/// Registers a customer with KRA (`hesabu etims customer register ID`): the PIN looked up
/// first (strict mode: an unknown or inactive PIN blocks it), then `saveBhfCustomer`. A
/// registered, unchanged customer is not sent again. Needs `SalesMasterData`.
pub async fn register_customer(
    file: &CompanyFile,
    session: &Session,
    secrets: &dyn SecretStore,
    key: &str,
    timeouts: Timeouts,
) -> Result<RegistrationView> {
    session.require(Permission::SalesMasterData)?;
    let client = device::client(file, secrets, timeouts)
        .await?
        .ok_or_else(reference::no_device)?;
    register_customer_with(file, Some(session), &client, key, false)
        .await
        .map_err(Failure::into_error)
}

async fn register_customer_with(
    file: &CompanyFile,
    session: Option<&Session>,
    client: &Client,
    key: &str,
    pin_omitted: bool,
) -> std::result::Result<RegistrationView, Failure> {
    let db = file.reader();
    let customer = find_customer(db, key).await?;
    let device = ledger::device(db).await?.ok_or_else(reference::no_device)?;
    let stored = stored_registration(db, "customer", &customer.id).await?;
    let was_registered = customer.etims_state == "registered";
    let label = format!("{} ({})", customer.number, customer.name);
    let mut warnings = Vec::new();
    let mut blocking = Vec::new();

    let pin = if pin_omitted {
        warnings.push(format!(
            "The customer workflow is lenient and the PIN '{}' is not valid: registered \
             without a PIN (custTin).",
            customer.kra_pin.as_deref().unwrap_or("none")
        ));
        None
    } else {
        customer.kra_pin.clone()
    };
    if customer.number.chars().count() > 9 {
        blocking.push(problem(
            "customer_number",
            format!(
                "Customer number {} is longer than KRA's 9 characters (custNo).",
                customer.number
            ),
            "Registering it is not possible with this number; report it to Hesabu's support.",
        ));
    }
    match &pin {
        None if device.gateway == GatewayProfile::Integrator => blocking.push(problem(
            "no_pin",
            format!("Customer {label} has no KRA PIN; the integrator gateway needs one (custTin)."),
            format!(
                "Add it: `hesabu customer edit {} --pin PIN`. A customer without a PIN needs no \
                 registration: sales to them are signed without one.",
                customer.number
            ),
        )),
        None => {}
        Some(p) => {
            if let Err(e) = company::validate_kra_pin(p) {
                blocking.push(problem("customer_pin", e.to_string(), "Correct the PIN."));
            }
        }
    }
    if !blocking.is_empty() {
        let message = blocked_message(&label, "Customer", &blocking);
        record(
            file,
            session,
            &Attempt {
                entity_type: "customer",
                entity_id: &customer.id,
                label: &customer.number,
                kra_code: &customer.number,
                request_json: None,
                accepted_fingerprint: None,
                result_cd: None,
                result_msg: Some(message.clone()),
                warnings: &warnings,
                was_registered,
            },
        )
        .await?;
        return Err(Failure::Blocked(message));
    }

    // The PIN at KRA (spec §14): a fresh stored answer, or asked now.
    if let Some(p) = &pin {
        let mode = pin_check_mode(db).await?;
        let now = file.clock().now();
        let known = pin_record(db, p).await?.filter(|r| is_fresh(r, now));
        let checked = match known {
            Some(r) => Some(r),
            None => match look_up(file, session, client, p).await {
                Ok(r) => Some(r),
                Err(e) if mode == PinCheckMode::Lenient => {
                    warnings.push(format!(
                        "The PIN could not be checked at KRA ({}); registered anyway (lenient \
                         PIN checks).",
                        e.into_error()
                    ));
                    None
                }
                Err(e) => return Err(e),
            },
        };
        if let Some(r) = checked {
            let v = verdict(r, mode);
            if !v.allowed {
                let message = format!("Customer {label} is not registered: {}", v.message);
                record(
                    file,
                    session,
                    &Attempt {
                        entity_type: "customer",
                        entity_id: &customer.id,
                        label: &customer.number,
                        kra_code: &customer.number,
                        request_json: None,
                        accepted_fingerprint: None,
                        result_cd: None,
                        result_msg: Some(message.clone()),
                        warnings: &warnings,
                        was_registered,
                    },
                )
                .await?;
                return Err(Failure::Blocked(message));
            }
            if v.record.status != PinStatus::Active {
                warnings.push(v.message);
            }
        }
    }

    let (regr_id, regr_nm) = registrar(session);
    let email = customer.email.clone().filter(|e| {
        let fits = e.chars().count() <= 50;
        if !fits {
            warnings.push(format!(
                "The e-mail address is longer than KRA's 50 characters and was left out: {e}"
            ));
        }
        fits
    });
    let request = BranchCustomerRequest {
        cust_no: customer.number.clone(),
        cust_tin: pin.clone().unwrap_or_default(),
        cust_nm: cut(&customer.name, 60),
        adrs: customer.address.as_deref().map(|a| cut(a, 300)),
        tel_no: customer.mobile.as_deref().map(|m| cut(m, 20)),
        email,
        fax_no: None,
        use_yn: if customer.active { "Y" } else { "N" }.into(),
        remark: None,
        regr_id: regr_id.clone(),
        regr_nm: regr_nm.clone(),
        modr_id: regr_id,
        modr_nm: regr_nm,
    };
    let print = fingerprint(&request);
    if was_registered
        && let Some(s) = &stored
        && s.fingerprint.as_deref() == Some(print.as_str())
    {
        return Ok(view_of(
            "customer",
            &customer.id,
            &customer.number,
            "registered",
            &customer.number,
            stored,
            false,
        ));
    }
    let request_json = serde_json::to_string(&request).ok();
    let (accepted, result_cd, result_msg, error) =
        registration_answer(client.save_branch_customer(&request).await, print, || {
            format!("Could not register customer {label} with e-TIMS")
        })?;
    let (state, stored) = record(
        file,
        session,
        &Attempt {
            entity_type: "customer",
            entity_id: &customer.id,
            label: &customer.number,
            kra_code: &customer.number,
            request_json,
            accepted_fingerprint: accepted,
            result_cd,
            result_msg,
            warnings: &warnings,
            was_registered,
        },
    )
    .await?;
    if let Some(error) = error {
        return Err(Failure::Kra {
            doing: format!("KRA refused to register customer {label}"),
            error,
        });
    }
    Ok(view_of(
        "customer",
        &customer.id,
        &customer.number,
        &state,
        &customer.number,
        stored,
        true,
    ))
}

// ---- items ---------------------------------------------------------------------------------------

/// Blocking problems and warnings.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Findings {
    pub blocking: Vec<Problem>,
    pub warnings: Vec<Problem>,
}

/// The §7.1 prefix of an item's code for its current fields (origin, type, units).
fn code_prefix(item: &ItemRow) -> Option<String> {
    let product = ProductType::parse(&item.product_type).ok()?;
    let code = kra_item_code(
        &item.origin_country,
        product,
        &item.packaging_unit,
        &item.quantity_unit,
        0,
    );
    Some(code[..code.len() - 7].to_owned())
}

/// `(prefix, 7-digit sequence)` of a code built per §7.1.
fn split_code(code: &str) -> Option<(&str, &str)> {
    if code.len() <= 7 || !code.is_ascii() {
        return None;
    }
    let (prefix, seq) = code.split_at(code.len() - 7);
    seq.bytes()
        .all(|b| b.is_ascii_digit())
        .then_some((prefix, seq))
}

/// Checks an item against the cached reference data (spec §7.2 pre-checks). `registered_code`:
/// the `itemCd` KRA has (the code may then not drift from the item's fields). `for_sale`: as part
/// of a sale's checklist (whose own checks already report a missing classification).
async fn item_findings(
    db: &impl ConnectionTrait,
    codes: &Codes,
    item: &ItemRow,
    gateway: Option<GatewayProfile>,
    registered_code: Option<&str>,
    for_sale: bool,
) -> Result<Findings> {
    let mut f = Findings::default();
    let x = &item.code;
    let source = codes.source.describe();
    match &item.classification_code {
        None if !for_sale => f.blocking.push(problem(
            "no_classification",
            format!("Item {x} has no KRA item classification code (itemClsCd)."),
            format!("Add one: `hesabu item edit {x} --classification CODE`."),
        )),
        None => {}
        Some(cls) => {
            if reference::item_classes_fetched(db).await? {
                match reference::item_class(db, cls).await? {
                    None => f.blocking.push(problem(
                        "classification_unknown",
                        format!(
                            "Item {x}'s classification {cls} is not in KRA's item \
                             classification list."
                        ),
                        format!(
                            "Use a code from KRA's list (refreshed with `hesabu etims codes \
                             refresh`): `hesabu item edit {x} --classification CODE`."
                        ),
                    )),
                    Some(c) if !c.in_use => f.blocking.push(problem(
                        "classification_withdrawn",
                        format!(
                            "KRA has withdrawn item classification {cls}{} used by item {x}.",
                            c.name.map(|n| format!(" ({n})")).unwrap_or_default()
                        ),
                        format!(
                            "Choose a current one: `hesabu item edit {x} --classification CODE`."
                        ),
                    )),
                    Some(c) => {
                        if let Some(kra_tax) = c.tax_type.as_deref()
                            && !kra_tax.eq_ignore_ascii_case(&item.tax_type)
                        {
                            f.warnings.push(problem(
                                "tax_type_differs",
                                format!(
                                    "KRA expects tax type {kra_tax} for classification {cls}{}; \
                                     item {x} is taxed {}.",
                                    c.name.map(|n| format!(" ({n})")).unwrap_or_default(),
                                    item.tax_type
                                ),
                                format!(
                                    "Check the item's tax type; if KRA is right, `hesabu item \
                                     edit {x} --tax-type {kra_tax}`."
                                ),
                            ));
                        }
                    }
                }
            } else if !for_sale {
                f.warnings.push(problem(
                    "item_classes_not_pulled",
                    format!(
                        "KRA's item classification list has not been pulled, so classification \
                         {cls} of item {x} could not be checked."
                    ),
                    "Pull it: `hesabu etims codes refresh`.",
                ));
            }
        }
    }
    for (cls, value, what, code_word, flag) in [
        (
            class::PACKAGING_UNIT,
            &item.packaging_unit,
            "packaging unit",
            "packaging_unit_unknown",
            "--packaging-unit",
        ),
        (
            class::QUANTITY_UNIT,
            &item.quantity_unit,
            "quantity unit",
            "quantity_unit_unknown",
            "--quantity-unit",
        ),
        (
            class::TAX_TYPE,
            &item.tax_type,
            "tax type",
            "tax_type_unknown",
            "--tax-type",
        ),
        (
            class::COUNTRY,
            &item.origin_country,
            "country",
            "origin_unknown",
            "--origin",
        ),
    ] {
        if !codes.has(cls, value) {
            f.blocking.push(problem(
                code_word,
                format!(
                    "Item {x}'s {what} '{value}' is not a current code of KRA's class {cls} ({source})."
                ),
                format!("Change it: `hesabu item edit {x} {flag} CODE`."),
            ));
        }
    }
    if gateway == Some(GatewayProfile::Integrator) {
        for (what, unit, example) in [
            ("packaging", &item.packaging_unit, "NT (net) or OU"),
            ("quantity", &item.quantity_unit, "NO (number) instead of U"),
        ] {
            if unit.chars().count() != 2 {
                f.blocking.push(problem(
                    "unit_not_two_letters",
                    format!(
                        "Item {x}'s {what} unit '{unit}' is not two letters; the integrator \
                         gateway refuses item codes without a two-letter unit (\"Incorrect \
                         QtyUnitCd Prefix\")."
                    ),
                    format!("Use a two-letter {what} unit, e.g. {example}."),
                ));
            }
        }
    }
    if let Some(code) = registered_code
        && let (Some(expected), Some((prefix, _))) = (code_prefix(item), split_code(code))
        && prefix != expected
    {
        f.blocking.push(problem(
            "item_code_mismatch",
            format!(
                "Item {x} is registered with KRA as {code}, a code made from origin, item type \
                 and units '{prefix}'; the item now says '{expected}'. KRA keys the item on this \
                 code, which never changes."
            ),
            format!(
                "Set item {x}'s origin, type and units back to what its code says, or add a new \
                 item for the new ones."
            ),
        ));
    }
    Ok(f)
}

/// An item's checks before registering (`hesabu etims item check ID`).
#[derive(Debug, Clone, Serialize)]
pub struct ItemCheck {
    pub item_id: String,
    pub code: String,
    pub etims_state: String,
    /// The `itemCd` it is (or will be) registered under.
    pub item_cd: String,
    pub ready: bool,
    pub problems: Vec<Problem>,
    pub warnings: Vec<Problem>,
    /// Where the code lists checked against come from.
    pub codes_source: String,
}

/// Checks an item against KRA's reference data without sending anything.
pub async fn check_item(file: &CompanyFile, session: &Session, key: &str) -> Result<ItemCheck> {
    session.require(Permission::SalesView)?;
    reference::ensure_loaded(file).await?;
    let db = file.reader();
    let item = find_item(db, key).await?;
    let gateway = ledger::device(db).await?.map(|d| d.gateway);
    let (item_cd, mut findings) = plan_item(db, &item, gateway).await?;
    if gateway.is_none() {
        findings.warnings.push(problem(
            "no_device",
            "This company has no e-TIMS device; the gateway's own rules were not checked.",
            "Set it up: `hesabu etims device init --serial SERIAL`.",
        ));
    }
    Ok(ItemCheck {
        item_id: item.id,
        code: item.code,
        etims_state: item.etims_state,
        item_cd,
        ready: findings.blocking.is_empty(),
        problems: findings.blocking,
        warnings: findings.warnings,
        codes_source: reference::codes(db).await?.source.describe(),
    })
}

/// The `itemCd` an item is registered under, and what stops it. Registered: the code KRA has.
/// Not yet: the ledger's code, rebuilt (same sequence) when the item's units, type or origin
/// changed since it was added, unless the code was already sent on a sale.
async fn plan_item(
    db: &impl ConnectionTrait,
    item: &ItemRow,
    gateway: Option<GatewayProfile>,
) -> Result<(String, Findings)> {
    let codes = reference::codes(db).await?;
    let stored = stored_registration(db, "item", &item.id).await?;
    let registered = (item.etims_state == "registered").then(|| {
        stored
            .map(|s| s.kra_code)
            .unwrap_or_else(|| item.kra_item_code.clone())
    });
    let mut findings =
        item_findings(db, &codes, item, gateway, registered.as_deref(), false).await?;
    if let Some(code) = registered {
        return Ok((code, findings));
    }
    let current = item.kra_item_code.clone();
    let Some(expected) = code_prefix(item) else {
        return Ok((current, findings));
    };
    match split_code(&current) {
        Some((prefix, _)) if prefix == expected => Ok((current, findings)),
        Some((prefix, seq)) => {
            if item_on_a_submission(db, &item.id).await? {
                findings.blocking.push(problem(
                    "item_code_mismatch",
                    format!(
                        "Item {}'s KRA item code {current} was sent to KRA on a sale and says \
                         '{prefix}', but the item now says '{expected}' (origin, type and \
                         units); the code cannot change any more.",
                        item.code
                    ),
                    format!(
                        "Set item {}'s origin, type and units back to what its code says, or \
                         add a new item for the new ones.",
                        item.code
                    ),
                ));
                Ok((current, findings))
            } else {
                let rebuilt = format!("{expected}{seq}");
                findings.warnings.push(problem(
                    "item_code_rebuilt",
                    format!(
                        "Item {}'s KRA item code {current} was made for other units or type; it \
                         is registered as {rebuilt} (same sequence), which then never changes.",
                        item.code
                    ),
                    "Nothing to do.",
                ));
                Ok((rebuilt, findings))
            }
        }
        None => {
            findings.blocking.push(problem(
                "item_code_invalid",
                format!(
                    "Item {}'s KRA item code {current} does not end in a 7-digit sequence (spec \
                     §7.1).",
                    item.code
                ),
                "Add the item again (a new item gets a well-formed code).",
            ));
            Ok((current, findings))
        }
    }
}

/// Registers an item with KRA (`hesabu etims item register ID`) after the pre-checks; a
/// registered, unchanged item is not sent again, a changed one is sent again under the same
/// `itemCd`. Needs `SalesMasterData`.
pub async fn register_item(
    file: &CompanyFile,
    session: &Session,
    secrets: &dyn SecretStore,
    key: &str,
    timeouts: Timeouts,
) -> Result<RegistrationView> {
    session.require(Permission::SalesMasterData)?;
    let client = device::client(file, secrets, timeouts)
        .await?
        .ok_or_else(reference::no_device)?;
    register_item_with(file, Some(session), &client, key)
        .await
        .map_err(Failure::into_error)
}

async fn register_item_with(
    file: &CompanyFile,
    session: Option<&Session>,
    client: &Client,
    key: &str,
) -> std::result::Result<RegistrationView, Failure> {
    reference::ensure_loaded(file).await?;
    let db = file.reader();
    let item = find_item(db, key).await?;
    let device = ledger::device(db).await?.ok_or_else(reference::no_device)?;
    let was_registered = item.etims_state == "registered";
    let (item_cd, findings) = plan_item(db, &item, Some(device.gateway)).await?;
    let warnings: Vec<String> = findings
        .warnings
        .iter()
        .map(|w| format!("{} {}", w.message, w.fix))
        .collect();
    let label = format!("{} ({})", item.code, item.name);
    if !findings.blocking.is_empty() {
        let message = blocked_message(&label, "Item", &findings.blocking);
        record(
            file,
            session,
            &Attempt {
                entity_type: "item",
                entity_id: &item.id,
                label: &item.code,
                kra_code: &item_cd,
                request_json: None,
                accepted_fingerprint: None,
                result_cd: None,
                result_msg: Some(message.clone()),
                warnings: &warnings,
                was_registered,
            },
        )
        .await?;
        return Err(Failure::Blocked(message));
    }
    let Some(classification) = item.classification_code.clone() else {
        return Err(Failure::Blocked(format!(
            "Item {label} has no KRA item classification code."
        )));
    };
    let product =
        ProductType::parse(&item.product_type).map_err(|e| Failure::Blocked(e.to_string()))?;
    let (regr_id, regr_nm) = registrar(session);
    let request = SaveItemRequest {
        item_cd: item_cd.clone(),
        item_cls_cd: classification,
        item_ty_cd: product.kra_code().into(),
        item_nm: cut(&item.name, 200),
        item_std_nm: None,
        orgn_nat_cd: item.origin_country.clone(),
        pkg_unit_cd: item.packaging_unit.clone(),
        qty_unit_cd: item.quantity_unit.clone(),
        tax_ty_cd: item.tax_type.clone(),
        btch_no: None,
        bcd: item.barcode.clone(),
        // KRA's dftPrc is NUMBER(18,2): the item's price (up to 4 places) to 2, half away from
        // zero. It is a default shown at KRA, not an amount any tax is computed from.
        dft_prc: item
            .unit_price
            .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero),
        grp_prc_l1: None,
        grp_prc_l2: None,
        grp_prc_l3: None,
        grp_prc_l4: None,
        grp_prc_l5: None,
        add_info: None,
        sfty_qty: None,
        isrc_aplcb_yn: "N".into(),
        use_yn: if item.active { "Y" } else { "N" }.into(),
        regr_id: regr_id.clone(),
        regr_nm: regr_nm.clone(),
        modr_id: regr_id,
        modr_nm: regr_nm,
    };
    let print = fingerprint(&request);
    let stored = stored_registration(db, "item", &item.id).await?;
    if was_registered
        && let Some(s) = &stored
        && s.fingerprint.as_deref() == Some(print.as_str())
        && s.kra_code == item_cd
    {
        return Ok(view_of(
            "item",
            &item.id,
            &item.code,
            "registered",
            &item_cd,
            stored,
            false,
        ));
    }
    if item_cd != item.kra_item_code {
        set_item_code(file, session, &item, &item_cd).await?;
    }
    let request_json = serde_json::to_string(&request).ok();
    let (accepted, result_cd, result_msg, error) =
        registration_answer(client.save_item(&request).await, print, || {
            format!("Could not register item {label} with e-TIMS")
        })?;
    let (state, stored) = record(
        file,
        session,
        &Attempt {
            entity_type: "item",
            entity_id: &item.id,
            label: &item.code,
            kra_code: &item_cd,
            request_json,
            accepted_fingerprint: accepted,
            result_cd,
            result_msg,
            warnings: &warnings,
            was_registered,
        },
    )
    .await?;
    if let Some(error) = error {
        let hint = if hesabu_etims::result::expected_value(&error.to_string()).is_some()
            && error.to_string().to_lowercase().contains("sequence")
        {
            " KRA numbers item codes per PIN in the order they are registered: register the \
             items added before this one first."
        } else {
            ""
        };
        return Err(Failure::Kra {
            doing: format!("KRA refused to register item {label} as {item_cd}{hint}"),
            error,
        });
    }
    Ok(view_of(
        "item", &item.id, &item.code, &state, &item_cd, stored, true,
    ))
}

/// Gives an item that KRA has never seen its rebuilt code (before it is sent, so a lost answer
/// resends the same code). Audited (`etims.item.code`).
async fn set_item_code(
    file: &CompanyFile,
    session: Option<&Session>,
    item: &ItemRow,
    code: &str,
) -> Result<()> {
    let mut uow = begin(file, session).await?;
    let taken = uow
        .db()
        .query_one_raw(statement(
            uow.db(),
            "SELECT code FROM item WHERE kra_item_code = ? AND id <> ?",
            vec![code.into(), item.id.clone().into()],
        ))
        .await?;
    if let Some(other) = taken {
        let other: String = other.try_get("", "code")?;
        return Err(Error::Conflict(format!(
            "Item {}'s KRA item code would become {code}, which item {other} already has. Add \
             the item again with its current units (it gets a new code) and deactivate this one.",
            item.code
        )));
    }
    let changed = uow
        .db()
        .execute_raw(statement(
            uow.db(),
            "UPDATE item SET kra_item_code = ? WHERE id = ? AND etims_state <> 'registered'",
            vec![code.into(), item.id.clone().into()],
        ))
        .await?;
    if changed.rows_affected() != 1 {
        return Err(Error::Conflict(format!(
            "Item {} was registered meanwhile; its KRA item code stays {}.",
            item.code, item.kra_item_code
        )));
    }
    uow.audit(AuditDraft {
        action: "etims.item.code",
        entity_type: "item",
        entity_id: item.id.clone(),
        before: Some(json!({ "kra_item_code": item.kra_item_code })),
        after: Some(json!({ "kra_item_code": code })),
    })
    .await?;
    uow.commit().await
}

// ---- the outbox ------------------------------------------------------------------------------------

fn ack_of(view: &RegistrationView) -> Ack {
    Ack {
        remote_ref: Some(view.kra_code.clone()),
        result: Some(json!({
            "state": view.state,
            "sent": view.sent,
            "kra_code": view.kra_code,
            "warnings": view.warnings,
        })),
    }
}

/// A `customer.save` row of the customer workflow: registers the customer (`pin_omitted`: the
/// workflow's lenient PIN validation dropped an invalid PIN).
pub async fn send_customer(
    file: &CompanyFile,
    client: &Client,
    customer_id: &str,
    pin_omitted: bool,
) -> std::result::Result<Ack, SendError> {
    register_customer_with(file, None, client, customer_id, pin_omitted)
        .await
        .map(|v| ack_of(&v))
        .map_err(Failure::into_send_error)
}

/// An `item.save` row of the item workflow: registers (or updates) the item.
pub async fn send_item(
    file: &CompanyFile,
    client: &Client,
    item_id: &str,
) -> std::result::Result<Ack, SendError> {
    register_item_with(file, None, client, item_id)
        .await
        .map(|v| ack_of(&v))
        .map_err(Failure::into_send_error)
}

// ---- a sale's checklist ------------------------------------------------------------------------------

/// What the master data adds to a sale's pre-send checklist (`fiscal::checklist`, and the
/// safe send before a number is reserved): the customer's PIN as KRA answered (strict mode:
/// unknown or inactive blocks), each item registered (the legacy gateway signs without: a
/// warning; the integrator's own check is in `fiscal::problems_of`), and each item's units, tax
/// type and classification valid per the cached reference data.
pub async fn sale_findings(db: &impl ConnectionTrait, ctx: &FiscalContext) -> Result<Findings> {
    let mut f = Findings::default();
    if let Some(pin) = ctx.sale.customer_pin.as_deref()
        && let Ok(pin) = company::validate_kra_pin(pin)
    {
        let mode = pin_check_mode(db).await?;
        match pin_record(db, &pin).await? {
            None => f.warnings.push(problem(
                "pin_not_checked",
                format!("The customer's PIN {pin} has not been looked up at KRA yet."),
                match mode {
                    PinCheckMode::Strict => format!(
                        "It is looked up before the sale is sent, and a PIN KRA does not know or \
                         lists as inactive stops it then. To know now: `hesabu etims customer \
                         check {pin}`."
                    ),
                    PinCheckMode::Lenient => {
                        format!("To know now: `hesabu etims customer check {pin}`.")
                    }
                },
            )),
            Some(r) if r.status == PinStatus::Active => {}
            Some(r) => {
                let status = r.status;
                let v = verdict(r, mode);
                let code = match status {
                    PinStatus::Inactive => "customer_pin_inactive",
                    _ => "customer_pin_unknown",
                };
                let found = problem(
                    code,
                    pin_words(&pin, "", status) + ".",
                    if v.allowed {
                        "Lenient PIN checks: the sale goes ahead. Check the PIN with the \
                         customer."
                            .to_owned()
                    } else {
                        "Correct the customer's PIN, credit this sale and issue it again; or, if \
                         KRA is wrong, `hesabu etims device pin-check lenient`."
                            .to_owned()
                    },
                );
                if v.allowed {
                    f.warnings.push(found);
                } else {
                    f.blocking.push(found);
                }
            }
        }
    }
    let gateway = ctx.device.as_ref().map(|d| d.gateway);
    let codes = reference::codes(db).await?;
    let mut items: Vec<&ItemView> = ctx.items.values().collect();
    items.sort_by(|a, b| a.code.cmp(&b.code));
    let mut unchecked_classes = Vec::new();
    for view in items {
        let item = ItemRow::from(view);
        let registered = item.etims_state == "registered";
        let code = registered.then(|| item.kra_item_code.clone());
        let found = item_findings(db, &codes, &item, gateway, code.as_deref(), true).await?;
        f.blocking.extend(found.blocking);
        f.warnings.extend(found.warnings);
        if !registered && gateway == Some(GatewayProfile::Legacy) {
            f.warnings.push(problem(
                "item_not_registered",
                format!("Item {} is not registered with e-TIMS.", item.code),
                format!(
                    "The legacy gateway signs the sale without it; register it anyway: `hesabu \
                     etims item register {}`.",
                    item.code
                ),
            ));
        }
        if item.classification_code.is_some() {
            unchecked_classes.push(item.code.clone());
        }
    }
    if !unchecked_classes.is_empty() && !reference::item_classes_fetched(db).await? {
        f.warnings.push(problem(
            "item_classes_not_pulled",
            format!(
                "KRA's item classification list has not been pulled, so the classification of \
                 {} could not be checked.",
                unchecked_classes.join(", ")
            ),
            "Pull it: `hesabu etims codes refresh`.",
        ));
    }
    // Goods need stock at KRA on the integrator gateway (spec §7.4).
    f.blocking
        .extend(super::stock::sale_findings(db, ctx).await?);
    Ok(f)
}

/// Before a sale's number is reserved: looks the customer's PIN up at KRA unless a fresh answer
/// is stored, so the checklist can stop a sale to an unknown or inactive PIN (strict mode). A
/// failed look-up stops the sale in strict mode (retried later) and is ignored in lenient mode.
pub async fn look_up_sale_pin(
    file: &CompanyFile,
    client: &Client,
    ctx: &FiscalContext,
) -> std::result::Result<(), SendError> {
    let Some(pin) = ctx
        .sale
        .customer_pin
        .as_deref()
        .and_then(|p| company::validate_kra_pin(p).ok())
    else {
        return Ok(());
    };
    let stored = |e: Error| SendError::permanent(e.to_string());
    let now = file.clock().now();
    if pin_record(file.reader(), &pin)
        .await
        .map_err(stored)?
        .is_some_and(|r| is_fresh(&r, now))
    {
        return Ok(());
    }
    let mode = pin_check_mode(file.reader()).await.map_err(stored)?;
    match look_up(file, None, client, &pin).await {
        Ok(_) => Ok(()),
        Err(_) if mode == PinCheckMode::Lenient => Ok(()),
        Err(e) => {
            let label = ctx.sale.number.as_deref().unwrap_or(&ctx.sale.id);
            let e = e.into_send_error();
            let message = format!(
                "{label} waits: the customer's PIN {pin} must be looked up at KRA first (strict \
                 PIN checks) and that failed: {}",
                e.message()
            );
            Err(match e {
                SendError::Retryable { retry_after, .. } => SendError::Retryable {
                    message,
                    outcome_unknown: false,
                    retry_after,
                },
                _ => SendError::permanent(message),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(pkg: &str, qty: &str, code: &str) -> ItemRow {
        ItemRow {
            id: "i".into(),
            code: "X".into(),
            name: "Thing".into(),
            classification_code: None,
            packaging_unit: pkg.into(),
            quantity_unit: qty.into(),
            tax_type: "B".into(),
            product_type: "service".into(),
            origin_country: "KE".into(),
            unit_price: Decimal::ONE,
            barcode: None,
            active: true,
            kra_item_code: code.into(),
            etims_state: "unregistered".into(),
        }
    }

    #[test]
    fn item_codes_split_into_the_spec_prefix_and_sequence() {
        assert_eq!(split_code("KE3OUNO0000012"), Some(("KE3OUNO", "0000012")));
        assert_eq!(split_code("KE3OUXU0000001"), Some(("KE3OUXU", "0000001")));
        assert_eq!(split_code("KE3OU"), None);
        assert_eq!(split_code("KE3OUNO00000AB"), None);
        assert_eq!(
            code_prefix(&item("OU", "NO", "")).as_deref(),
            Some("KE3OUNO")
        );
        assert_eq!(
            code_prefix(&item("OU", "U", "")).as_deref(),
            Some("KE3OUXU")
        );
    }

    #[test]
    fn a_fingerprint_ignores_who_sent_it() {
        let a = json!({ "itemCd": "KE3OUNO0000001", "regrId": "a", "modrNm": "A" });
        let b = json!({ "itemCd": "KE3OUNO0000001", "regrId": "b", "modrNm": "B" });
        let c = json!({ "itemCd": "KE3OUNO0000002", "regrId": "a", "modrNm": "A" });
        assert_eq!(fingerprint(&a), fingerprint(&b));
        assert_ne!(fingerprint(&a), fingerprint(&c));
    }

    #[test]
    fn strict_blocks_and_lenient_warns() {
        let record = |status| PinRecord {
            pin: "P051234567Q".into(),
            status,
            taxpayer_name: Some("Dormant Traders".into()),
            status_cd: Some("D".into()),
            result_cd: "000".into(),
            result_msg: None,
            checked_at: "2026-07-01T06:00:00Z".into(),
        };
        let strict = verdict(record(PinStatus::Inactive), PinCheckMode::Strict);
        assert!(!strict.allowed);
        assert!(
            strict.message.contains("inactive") && strict.message.contains("pin-check lenient")
        );
        let lenient = verdict(record(PinStatus::NotFound), PinCheckMode::Lenient);
        assert!(lenient.allowed && lenient.message.contains("does not know"));
        assert!(verdict(record(PinStatus::Active), PinCheckMode::Strict).allowed);
    }
}
