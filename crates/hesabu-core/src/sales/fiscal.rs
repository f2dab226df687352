//! The sales ledger's e-TIMS records (spec §3, §5.5, §11.3, §11.4): the company's OSCU device
//! and one fiscal submission per sales document. This module owns both tables and is the only
//! code that writes them; it knows no HTTP (the client and the safe-send algorithm that drives
//! these steps are in `hesabu_app::etims`).
//!
//! The steps, each one audited unit of work:
//!
//! ```text
//!  (none | rejected) ──reserve_in──▶ reserved ──record_unknown_in──▶ unknown
//!                                       │  └──────────┬───────────────┘
//!                                       │             ├─record_signed_in──▶ signed (immutable)
//!                                       │             └─record_rejected_in─▶ rejected
//! ```
//!
//! - [`reserve_in`] takes the device's next `invcNo` (strictly last + 1, under the unit of work's
//!   write lock) and stores the exact JSON to send, frozen, *before* any call is made.
//! - [`record_rejected_in`] releases the number, but only when no later number has been used
//!   (KRA only advances its counter on an accepted sale, spec §11.3).
//! - [`record_signed_in`] stores the signature and marks the sale fiscalised in the same unit of
//!   work. A signed row is never changed again: every writer here refuses one.
//!
//! The cmcKey is not here: it lives in the secret store (never the company file).

use std::collections::HashMap;
use std::str::FromStr;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use ts_rs::TS;

use super::SalesStatus;
use super::documents::{self, SaleView};
use super::items::ItemView;
use super::tax::{PriceBasis, UnusedBandRate};
use crate::entities::{etims_device, fiscal_submission, item};
use hesabu_store::audit::AuditDraft;
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::entities::app_user;
use hesabu_store::error::{Error, Result};
use hesabu_store::permissions::Permission;
use hesabu_store::uow::UnitOfWork;

pub use crate::entities::FiscalState;

/// Which of KRA's two gateways a device talks to (spec §0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum GatewayProfile {
    /// The direct OSCU API: flat paths, header authentication, exclusive prices.
    Legacy,
    /// GavaConnect: an OAuth token as well, strict validation, inclusive prices.
    Integrator,
}

impl GatewayProfile {
    pub fn as_str(self) -> &'static str {
        match self {
            GatewayProfile::Legacy => "legacy",
            GatewayProfile::Integrator => "integrator",
        }
    }

    /// The price basis the gateway validates (spec §12.1): exclusive on legacy, inclusive on
    /// the integrator gateway.
    pub fn price_basis(self) -> PriceBasis {
        match self {
            GatewayProfile::Legacy => PriceBasis::Exclusive,
            GatewayProfile::Integrator => PriceBasis::Inclusive,
        }
    }
}

impl FromStr for GatewayProfile {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "legacy" => Ok(GatewayProfile::Legacy),
            "integrator" | "gavaconnect" => Ok(GatewayProfile::Integrator),
            other => Err(Error::invalid(format!(
                "'{other}' is not an e-TIMS gateway profile: use legacy (the direct OSCU API) or \
                 integrator (GavaConnect)."
            ))),
        }
    }
}

fn band_rate_word(rule: UnusedBandRate) -> &'static str {
    match rule {
        UnusedBandRate::Zero => "zero",
        UnusedBandRate::CodeListRate => "code_list_rate",
    }
}

fn parse_band_rate(text: &str) -> Result<UnusedBandRate> {
    match text {
        "zero" => Ok(UnusedBandRate::Zero),
        "code_list_rate" => Ok(UnusedBandRate::CodeListRate),
        other => Err(Error::Internal(format!(
            "the stored unused-band rate rule '{other}' is not known"
        ))),
    }
}

/// The company's e-TIMS device as stored (no key: that is in the secret store).
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct DeviceView {
    pub company_id: String,
    pub gateway: GatewayProfile,
    pub base_url: String,
    pub token_url: Option<String>,
    pub consumer_key: Option<String>,
    pub tin: String,
    pub bhf_id: String,
    pub dvc_srl_no: String,
    pub dvc_id: Option<String>,
    /// The SCU id printed on every receipt.
    pub sdc_id: Option<String>,
    pub mrc_no: Option<String>,
    pub taxpayer_name: Option<String>,
    pub branch_name: Option<String>,
    /// `init`: KRA issued the key to this file; `entered`: a person typed an existing key.
    pub key_source: String,
    pub initialised_at: String,
    /// The user who set it up (none: the system, e.g. the demo's seeding).
    pub initialised_by: Option<String>,
    /// The sales counter: the last `invcNo` used (0: none yet).
    #[ts(type = "number")]
    pub last_invc_no: i64,
    pub unused_band_rate: UnusedBandRate,
    pub price_basis: PriceBasis,
    pub updated_at: String,
}

impl TryFrom<etims_device::Model> for DeviceView {
    type Error = Error;

    fn try_from(m: etims_device::Model) -> Result<Self> {
        Ok(DeviceView {
            gateway: GatewayProfile::from_str(&m.gateway)?,
            unused_band_rate: parse_band_rate(&m.unused_band_rate)?,
            price_basis: PriceBasis::from_str(&m.price_basis)?,
            company_id: m.company_id,
            base_url: m.base_url,
            token_url: m.token_url,
            consumer_key: m.consumer_key,
            tin: m.tin,
            bhf_id: m.bhf_id,
            dvc_srl_no: m.dvc_srl_no,
            dvc_id: m.dvc_id,
            sdc_id: m.sdc_id,
            mrc_no: m.mrc_no,
            taxpayer_name: m.taxpayer_name,
            branch_name: m.branch_name,
            key_source: m.key_source,
            initialised_at: m.initialised_at,
            initialised_by: m.initialised_by,
            last_invc_no: m.last_invc_no,
            updated_at: m.updated_at,
        })
    }
}

/// A device as initialisation (or a person entering an existing key) describes it.
#[derive(Debug, Clone)]
pub struct NewDevice {
    pub gateway: GatewayProfile,
    pub base_url: String,
    pub token_url: Option<String>,
    pub consumer_key: Option<String>,
    pub tin: String,
    pub bhf_id: String,
    pub dvc_srl_no: String,
    pub dvc_id: Option<String>,
    pub sdc_id: Option<String>,
    pub mrc_no: Option<String>,
    pub taxpayer_name: Option<String>,
    pub branch_name: Option<String>,
    /// KRA's `data.info` as JSON, the key removed.
    pub init_info: Option<String>,
    /// `init` or `entered`.
    pub key_source: &'static str,
    pub unused_band_rate: UnusedBandRate,
}

/// The company's device, if one has been set up.
pub async fn device(db: &impl ConnectionTrait) -> Result<Option<DeviceView>> {
    let company = crate::company::load(db).await?;
    etims_device::Entity::find_by_id(company.id)
        .one(db)
        .await?
        .map(DeviceView::try_from)
        .transpose()
}

/// The company's device for a person who may see the sales ledger.
pub async fn show_device(file: &CompanyFile, session: &Session) -> Result<Option<DeviceView>> {
    session.require(Permission::SalesView)?;
    device(file.reader()).await
}

async fn device_model(db: &impl ConnectionTrait) -> Result<etims_device::Model> {
    let company = crate::company::load(db).await?;
    etims_device::Entity::find_by_id(company.id)
        .one(db)
        .await?
        .ok_or_else(|| {
            Error::Conflict(
                "This company has no e-TIMS device yet: set it up first with `hesabu etims \
                 device init --serial SERIAL` (the serial declared on the eTIMS portal)."
                    .into(),
            )
        })
}

fn device_summary(d: &etims_device::Model) -> serde_json::Value {
    json!({
        "gateway": d.gateway,
        "base_url": d.base_url,
        "tin": d.tin,
        "bhf_id": d.bhf_id,
        "dvc_srl_no": d.dvc_srl_no,
        "dvc_id": d.dvc_id,
        "sdc_id": d.sdc_id,
        "mrc_no": d.mrc_no,
        "key_source": d.key_source,
        "last_invc_no": d.last_invc_no,
    })
}

/// Submissions whose number is out with no settled outcome (reserved or unknown), other than
/// the one of `except` (a document id).
pub async fn unsettled(
    db: &impl ConnectionTrait,
    except: Option<&str>,
) -> Result<Vec<SubmissionView>> {
    let mut select = fiscal_submission::Entity::find()
        .filter(
            fiscal_submission::Column::State.is_in([FiscalState::Reserved, FiscalState::Unknown]),
        )
        .order_by_asc(fiscal_submission::Column::InvcNo);
    if let Some(id) = except {
        select = select.filter(fiscal_submission::Column::DocumentId.ne(id));
    }
    let rows = select.all(db).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(submission_view(db, row).await?);
    }
    Ok(out)
}

/// Records the device (after KRA initialised it, or a person entered its existing key) in the
/// caller's unit of work, audited. An initialised device is replaced only with `force`, and
/// never while a submission's outcome is open (it would be looked up on the wrong device). The
/// sales counter carries over for the same PIN and branch; for another it starts after the
/// highest number this file used there.
pub async fn save_device_in(
    uow: &mut UnitOfWork,
    new: &NewDevice,
    force: bool,
) -> Result<DeviceView> {
    let company = crate::company::load(uow.db()).await?;
    let existing = etims_device::Entity::find_by_id(company.id.clone())
        .one(uow.db())
        .await?;
    if let Some(d) = &existing {
        if !force {
            return Err(Error::Conflict(format!(
                "This company's e-TIMS device is already initialised (PIN {}, branch {}, serial \
                 {}, SCU id {}) since {}. KRA issues a device's key once and answers 902 to a \
                 second initialisation. To replace the device on purpose (a new serial, or a key \
                 KRA re-issued), run the command again with --force.",
                d.tin,
                d.bhf_id,
                d.dvc_srl_no,
                d.sdc_id.as_deref().unwrap_or("unknown"),
                d.initialised_at
            )));
        }
        let open = unsettled(uow.db(), None).await?;
        if let Some(s) = open.first() {
            return Err(Error::Conflict(format!(
                "{} was sent to e-TIMS as invoice number {} and its outcome is not known yet; \
                 the device cannot be replaced until it is settled (run `hesabu sync run`, or \
                 `hesabu etims status {}`).",
                s.document_number.as_deref().unwrap_or(&s.document_id),
                s.invc_no.unwrap_or_default(),
                s.document_number.as_deref().unwrap_or(&s.document_id),
            )));
        }
    }
    let last_invc_no = match &existing {
        Some(d) if d.tin == new.tin && d.bhf_id == new.bhf_id => d.last_invc_no,
        _ => highest_number(uow.db(), &new.tin, &new.bhf_id).await?,
    };
    let model = etims_device::Model {
        company_id: company.id.clone(),
        gateway: new.gateway.as_str().into(),
        base_url: new.base_url.clone(),
        token_url: new.token_url.clone(),
        consumer_key: new.consumer_key.clone(),
        tin: new.tin.clone(),
        bhf_id: new.bhf_id.clone(),
        dvc_srl_no: new.dvc_srl_no.clone(),
        dvc_id: new.dvc_id.clone(),
        sdc_id: new.sdc_id.clone(),
        mrc_no: new.mrc_no.clone(),
        taxpayer_name: new.taxpayer_name.clone(),
        branch_name: new.branch_name.clone(),
        init_info: new.init_info.clone(),
        key_source: new.key_source.into(),
        initialised_at: uow.now_text(),
        initialised_by: uow.actor().id.clone(),
        last_invc_no,
        unused_band_rate: band_rate_word(new.unused_band_rate).into(),
        price_basis: new.gateway.price_basis().as_str().into(),
        updated_at: uow.now_text(),
    };
    let active = etims_device::ActiveModel::from(model.clone());
    if existing.is_some() {
        active.reset_all().update(uow.db()).await?;
    } else {
        active.insert(uow.db()).await?;
    }
    uow.audit(AuditDraft {
        action: "etims.device.init",
        entity_type: "etims_device",
        entity_id: company.id,
        before: existing.as_ref().map(device_summary),
        after: Some(device_summary(&model)),
    })
    .await?;
    DeviceView::try_from(model)
}

async fn highest_number(db: &impl ConnectionTrait, tin: &str, bhf_id: &str) -> Result<i64> {
    Ok(fiscal_submission::Entity::find()
        .filter(fiscal_submission::Column::Tin.eq(tin))
        .filter(fiscal_submission::Column::BhfId.eq(bhf_id))
        .filter(fiscal_submission::Column::InvcNo.is_not_null())
        .order_by_desc(fiscal_submission::Column::InvcNo)
        .one(db)
        .await?
        .and_then(|s| s.invc_no)
        .unwrap_or(0))
}

/// An operator's decision after KRA named another expected number (spec §11.3): sets the last
/// `invcNo` used, so the next sale takes `last_invc_no + 1`. Refused while a submission's
/// outcome is open, and below a number KRA has signed for this file. Audited.
pub async fn set_counter(
    file: &CompanyFile,
    session: &Session,
    last_invc_no: i64,
) -> Result<DeviceView> {
    session.require(Permission::CompanyEdit)?;
    let mut uow = file.begin(session).await?;
    let view = set_counter_in(&mut uow, last_invc_no).await?;
    uow.commit().await?;
    Ok(view)
}

/// [`set_counter`] inside a unit of work (also the automatic correction of a counter KRA
/// disagrees with, when every lower number is accounted for locally).
pub async fn set_counter_in(uow: &mut UnitOfWork, last_invc_no: i64) -> Result<DeviceView> {
    if last_invc_no < 0 {
        return Err(Error::invalid("The last invoice number used is 0 or more."));
    }
    let d = device_model(uow.db()).await?;
    if let Some(s) = unsettled(uow.db(), None).await?.first() {
        return Err(Error::Conflict(format!(
            "{} is out at KRA as invoice number {} with no known outcome; settle it first \
             (`hesabu sync run`), then set the counter.",
            s.document_number.as_deref().unwrap_or(&s.document_id),
            s.invc_no.unwrap_or_default()
        )));
    }
    let highest_signed = fiscal_submission::Entity::find()
        .filter(fiscal_submission::Column::Tin.eq(d.tin.clone()))
        .filter(fiscal_submission::Column::BhfId.eq(d.bhf_id.clone()))
        .filter(fiscal_submission::Column::State.eq(FiscalState::Signed))
        .order_by_desc(fiscal_submission::Column::InvcNo)
        .one(uow.db())
        .await?
        .and_then(|s| s.invc_no)
        .unwrap_or(0);
    if last_invc_no < highest_signed {
        return Err(Error::invalid(format!(
            "KRA has signed invoice number {highest_signed} for this company; the counter cannot \
             go below it."
        )));
    }
    let before = device_summary(&d);
    let mut active = d.into_active_model();
    active.last_invc_no = Set(last_invc_no);
    active.updated_at = Set(uow.now_text());
    let d = active.update(uow.db()).await?;
    uow.audit(AuditDraft {
        action: "etims.device.counter",
        entity_type: "etims_device",
        entity_id: d.company_id.clone(),
        before: Some(before),
        after: Some(device_summary(&d)),
    })
    .await?;
    DeviceView::try_from(d)
}

/// One sale's e-TIMS submission.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct SubmissionView {
    pub id: String,
    pub document_id: String,
    pub document_number: Option<String>,
    pub state: FiscalState,
    pub tin: String,
    pub bhf_id: String,
    #[ts(type = "number | null")]
    pub invc_no: Option<i64>,
    /// A number given back after a rejection (the next sale used it).
    #[ts(type = "number | null")]
    pub released_invc_no: Option<i64>,
    #[ts(type = "number")]
    pub org_invc_no: i64,
    pub rcpt_ty_cd: String,
    /// The exact JSON sent (frozen before the first call).
    pub request_json: String,
    pub response_json: Option<String>,
    #[ts(type = "number | null")]
    pub cur_rcpt_no: Option<i64>,
    #[ts(type = "number | null")]
    pub tot_rcpt_no: Option<i64>,
    pub intrl_data: Option<String>,
    pub rcpt_sign: Option<String>,
    /// As KRA sent it (`yyyyMMddHHmmss`, or `yyyy-MM-dd HH:mm:ss.S` when adopted by a lookup).
    pub sdc_date_time: Option<String>,
    pub sdc_id: Option<String>,
    pub mrc_no: Option<String>,
    pub cfm_dt: String,
    /// KRA's code and message of the last answer, verbatim.
    pub result_cd: Option<String>,
    pub result_msg: Option<String>,
    /// Signed by looking the invoice up at KRA (after a lost answer or a 994), not by an answer.
    pub adopted: bool,
    #[ts(type = "number")]
    pub attempts: i64,
    pub created_at: String,
    pub updated_at: String,
    pub last_attempt_at: Option<String>,
    pub signed_at: Option<String>,
    /// The CU invoice number printed on the receipt, `{sdcId}/{curRcptNo}`, once signed.
    pub cu_invoice_no: Option<String>,
}

async fn submission_view(
    db: &impl ConnectionTrait,
    m: fiscal_submission::Model,
) -> Result<SubmissionView> {
    let number = crate::entities::sales_document::Entity::find_by_id(m.document_id.clone())
        .one(db)
        .await?
        .and_then(|d| d.number);
    Ok(view_of(m, number))
}

fn view_of(m: fiscal_submission::Model, document_number: Option<String>) -> SubmissionView {
    let cu_invoice_no = match (&m.state, &m.sdc_id, m.cur_rcpt_no) {
        (FiscalState::Signed, Some(sdc), Some(n)) => Some(format!("{sdc}/{n}")),
        _ => None,
    };
    SubmissionView {
        id: m.id,
        document_id: m.document_id,
        document_number,
        state: m.state,
        tin: m.tin,
        bhf_id: m.bhf_id,
        invc_no: m.invc_no,
        released_invc_no: m.released_invc_no,
        org_invc_no: m.org_invc_no,
        rcpt_ty_cd: m.rcpt_ty_cd,
        request_json: m.request_json,
        response_json: m.response_json,
        cur_rcpt_no: m.cur_rcpt_no,
        tot_rcpt_no: m.tot_rcpt_no,
        intrl_data: m.intrl_data,
        rcpt_sign: m.rcpt_sign,
        sdc_date_time: m.sdc_date_time,
        sdc_id: m.sdc_id,
        mrc_no: m.mrc_no,
        cfm_dt: m.cfm_dt,
        result_cd: m.result_cd,
        result_msg: m.result_msg,
        adopted: m.adopted,
        attempts: m.attempts,
        created_at: m.created_at,
        updated_at: m.updated_at,
        last_attempt_at: m.last_attempt_at,
        signed_at: m.signed_at,
        cu_invoice_no,
    }
}

/// The submission of a document (by id), if it has one.
pub async fn submission(
    db: &impl ConnectionTrait,
    document_id: &str,
) -> Result<Option<SubmissionView>> {
    match find_submission(db, document_id).await? {
        Some(m) => Ok(Some(submission_view(db, m).await?)),
        None => Ok(None),
    }
}

async fn find_submission(
    db: &impl ConnectionTrait,
    document_id: &str,
) -> Result<Option<fiscal_submission::Model>> {
    Ok(fiscal_submission::Entity::find()
        .filter(fiscal_submission::Column::DocumentId.eq(document_id))
        .one(db)
        .await?)
}

/// The submission holding `invc_no` on the device `tin`/`bhf_id`, if any.
pub async fn submission_by_number(
    db: &impl ConnectionTrait,
    tin: &str,
    bhf_id: &str,
    invc_no: i64,
) -> Result<Option<SubmissionView>> {
    let row = fiscal_submission::Entity::find()
        .filter(fiscal_submission::Column::Tin.eq(tin))
        .filter(fiscal_submission::Column::BhfId.eq(bhf_id))
        .filter(fiscal_submission::Column::InvcNo.eq(invc_no))
        .one(db)
        .await?;
    match row {
        Some(m) => Ok(Some(submission_view(db, m).await?)),
        None => Ok(None),
    }
}

/// Whether every number below `below` is accounted for locally: each of 1..below is a signed
/// submission of this file on the device, and none at `below` or above is (spec §11.3: the
/// only case in which a counter KRA disagrees with may be corrected automatically).
pub async fn accounted_below(
    db: &impl ConnectionTrait,
    tin: &str,
    bhf_id: &str,
    below: i64,
) -> Result<bool> {
    let lower = fiscal_submission::Entity::find()
        .filter(fiscal_submission::Column::Tin.eq(tin))
        .filter(fiscal_submission::Column::BhfId.eq(bhf_id))
        .filter(fiscal_submission::Column::State.eq(FiscalState::Signed))
        .filter(fiscal_submission::Column::InvcNo.lt(below))
        .count(db)
        .await?;
    let higher = fiscal_submission::Entity::find()
        .filter(fiscal_submission::Column::Tin.eq(tin))
        .filter(fiscal_submission::Column::BhfId.eq(bhf_id))
        .filter(fiscal_submission::Column::State.eq(FiscalState::Signed))
        .filter(fiscal_submission::Column::InvcNo.gte(below))
        .count(db)
        .await?;
    Ok(below >= 1 && lower == u64::try_from(below - 1).unwrap_or(u64::MAX) && higher == 0)
}

/// How many sales documents of this file KRA has signed (invoices, cash sales, credit notes).
pub async fn signed_count(db: &impl ConnectionTrait) -> Result<u64> {
    Ok(fiscal_submission::Entity::find()
        .filter(fiscal_submission::Column::State.eq(FiscalState::Signed))
        .count(db)
        .await?)
}

/// A sale's e-TIMS status, for the status badge and `hesabu etims status`.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct FiscalStatus {
    pub document_id: String,
    pub document_number: Option<String>,
    pub document_status: SalesStatus,
    pub submission: Option<SubmissionView>,
}

/// The e-TIMS status of a sale (by id or number).
pub async fn status(file: &CompanyFile, session: &Session, key: &str) -> Result<FiscalStatus> {
    session.require(Permission::SalesView)?;
    let doc = documents::find(file.reader(), key).await?;
    let submission = match find_submission(file.reader(), &doc.id).await? {
        Some(m) => Some(view_of(m, doc.number.clone())),
        None => None,
    };
    Ok(FiscalStatus {
        document_id: doc.id,
        document_number: doc.number,
        document_status: doc.status,
        submission,
    })
}

/// What building a sale's e-TIMS request needs from the ledger: the sale, its items, the
/// original's submission (a credit note), who issued it, the company's trade name and address,
/// its own submission so far, and the device.
#[derive(Debug, Clone)]
pub struct FiscalContext {
    pub sale: SaleView,
    /// By item id, every item on the sale.
    pub items: HashMap<String, ItemView>,
    /// A credit note: the original sale's submission (signed, when it may be sent).
    pub original: Option<SubmissionView>,
    pub issuer_id: String,
    pub issuer_name: String,
    pub trade_name: String,
    pub address: Option<String>,
    pub submission: Option<SubmissionView>,
    pub device: Option<DeviceView>,
}

/// Reads a sale's [`FiscalContext`] (by id or number) on `db`: the reader, or a unit of work's
/// transaction when the number is about to be reserved.
pub async fn context(db: &impl ConnectionTrait, key: &str) -> Result<FiscalContext> {
    let doc = documents::find(db, key).await?;
    let issuer_id = doc
        .issued_by
        .clone()
        .unwrap_or_else(|| doc.created_by.clone());
    let issuer_name = app_user::Entity::find_by_id(issuer_id.clone())
        .one(db)
        .await?
        .map_or_else(|| "Hesabu".to_owned(), |u| u.name);
    let submission = match find_submission(db, &doc.id).await? {
        Some(m) => Some(view_of(m, doc.number.clone())),
        None => None,
    };
    let original = match &doc.original_id {
        Some(id) => self::submission(db, id).await?,
        None => None,
    };
    let sale = documents::view(db, doc).await?;
    let mut items = HashMap::new();
    for line in &sale.lines {
        if let Some(id) = &line.item_id
            && !items.contains_key(id)
            && let Some(m) = item::Entity::find_by_id(id.clone()).one(db).await?
        {
            items.insert(id.clone(), ItemView::try_from(m)?);
        }
    }
    let company = crate::company::load(db).await?;
    Ok(FiscalContext {
        sale,
        items,
        original,
        issuer_id,
        issuer_name,
        trade_name: company.trading_name.unwrap_or(company.legal_name),
        address: company.address,
        submission,
        device: device(db).await?,
    })
}

/// A number reserved for a sale with its frozen request.
#[derive(Debug, Clone)]
pub struct Reservation {
    pub document_id: String,
    pub invc_no: i64,
    pub org_invc_no: i64,
    pub rcpt_ty_cd: String,
    /// The exact JSON that will be sent.
    pub request_json: String,
    pub cfm_dt: String,
}

fn immutable(m: &fiscal_submission::Model) -> Error {
    Error::Conflict(format!(
        "The e-TIMS submission of this sale was signed by KRA (invoice number {}); a signed \
         fiscal record is never changed. Correct the sale with a credit note.",
        m.invc_no.unwrap_or_default()
    ))
}

/// Step 2 of the safe-send algorithm: takes the device's next number (`last + 1`, checked
/// under the write lock) for an issued sale and stores the request, frozen, before any call.
/// A sale whose earlier submission was rejected is reserved again (a new number, a new
/// request); one whose number is out with no known outcome is refused (look it up first).
pub async fn reserve_in(uow: &mut UnitOfWork, r: &Reservation) -> Result<SubmissionView> {
    let device = device_model(uow.db()).await?;
    let expected = device.last_invc_no + 1;
    if r.invc_no != expected {
        return Err(Error::Conflict(format!(
            "e-TIMS invoice number {} cannot be reserved: the device's next number is {expected}.",
            r.invc_no
        )));
    }
    let doc = documents::find(uow.db(), &r.document_id).await?;
    if doc.status != SalesStatus::Issued {
        return Err(Error::Conflict(format!(
            "{} is {}; only an issued sale is sent to KRA.",
            documents::label(&doc),
            doc.status
        )));
    }
    let now = uow.now_text();
    let existing = find_submission(uow.db(), &doc.id).await?;
    let row = match existing {
        Some(m) if m.state == FiscalState::Signed => return Err(immutable(&m)),
        Some(m) if m.state != FiscalState::Rejected => {
            return Err(Error::Conflict(format!(
                "{} already has e-TIMS invoice number {} out at KRA with no known outcome; it \
                 is looked up at KRA before anything is sent again.",
                documents::label(&doc),
                m.invc_no.unwrap_or_default()
            )));
        }
        Some(m) => {
            let mut active = m.into_active_model();
            active.state = Set(FiscalState::Reserved);
            active.tin = Set(device.tin.clone());
            active.bhf_id = Set(device.bhf_id.clone());
            active.invc_no = Set(Some(r.invc_no));
            active.org_invc_no = Set(r.org_invc_no);
            active.rcpt_ty_cd = Set(r.rcpt_ty_cd.clone());
            active.request_json = Set(r.request_json.clone());
            active.response_json = Set(None);
            active.cfm_dt = Set(r.cfm_dt.clone());
            active.result_cd = Set(None);
            active.result_msg = Set(None);
            active.updated_at = Set(now.clone());
            active.update(uow.db()).await?
        }
        None => {
            fiscal_submission::ActiveModel::from(fiscal_submission::Model {
                id: uow.new_id(),
                document_id: doc.id.clone(),
                state: FiscalState::Reserved,
                tin: device.tin.clone(),
                bhf_id: device.bhf_id.clone(),
                invc_no: Some(r.invc_no),
                released_invc_no: None,
                org_invc_no: r.org_invc_no,
                rcpt_ty_cd: r.rcpt_ty_cd.clone(),
                request_json: r.request_json.clone(),
                response_json: None,
                cur_rcpt_no: None,
                tot_rcpt_no: None,
                intrl_data: None,
                rcpt_sign: None,
                sdc_date_time: None,
                sdc_id: None,
                mrc_no: None,
                cfm_dt: r.cfm_dt.clone(),
                result_cd: None,
                result_msg: None,
                adopted: false,
                attempts: 0,
                created_at: now.clone(),
                updated_at: now.clone(),
                last_attempt_at: None,
                signed_at: None,
            })
            .insert(uow.db())
            .await?
        }
    };
    let mut active = device.into_active_model();
    active.last_invc_no = Set(r.invc_no);
    active.updated_at = Set(now);
    active.update(uow.db()).await?;
    uow.audit(AuditDraft {
        action: "etims.reserve",
        entity_type: "sale",
        entity_id: doc.id.clone(),
        before: None,
        after: Some(json!({
            "number": doc.number,
            "invc_no": r.invc_no,
            "org_invc_no": r.org_invc_no,
            "rcpt_ty_cd": r.rcpt_ty_cd,
        })),
    })
    .await?;
    Ok(view_of(row, doc.number))
}

/// The open (reserved or unknown) submission of a document, for a step that settles it.
async fn open_submission(uow: &UnitOfWork, document_id: &str) -> Result<fiscal_submission::Model> {
    let m = find_submission(uow.db(), document_id)
        .await?
        .ok_or_else(|| {
            Error::NotFound(format!("The sale {document_id} has no e-TIMS submission."))
        })?;
    match m.state {
        FiscalState::Signed => Err(immutable(&m)),
        FiscalState::Rejected => Err(Error::Conflict(format!(
            "The e-TIMS submission of {document_id} was rejected; it has no number out at KRA."
        ))),
        FiscalState::Reserved | FiscalState::Unknown => Ok(m),
    }
}

/// KRA's answer (or silence) as this module records it.
#[derive(Debug, Clone, Default)]
pub struct Answer {
    pub result_cd: Option<String>,
    pub result_msg: Option<String>,
    /// The raw body, when there was one.
    pub response_json: Option<String>,
}

/// Step 5: sent, no answer (a timeout, a dropped connection, a 5xx). The number is kept; the
/// next attempt looks the invoice up at KRA before anything is resent.
pub async fn record_unknown_in(
    uow: &mut UnitOfWork,
    document_id: &str,
    answer: &Answer,
) -> Result<SubmissionView> {
    let m = open_submission(uow, document_id).await?;
    let mut active = m.into_active_model();
    active.state = Set(FiscalState::Unknown);
    active.attempts = Set(active.attempts.as_ref() + 1);
    active.result_cd = Set(answer.result_cd.clone());
    active.result_msg = Set(answer.result_msg.clone());
    if answer.response_json.is_some() {
        active.response_json = Set(answer.response_json.clone());
    }
    active.last_attempt_at = Set(Some(uow.now_text()));
    active.updated_at = Set(uow.now_text());
    let m = active.update(uow.db()).await?;
    uow.audit(AuditDraft {
        action: "etims.unknown",
        entity_type: "sale",
        entity_id: m.document_id.clone(),
        before: None,
        after: Some(json!({
            "invc_no": m.invc_no,
            "result_cd": m.result_cd,
            "result_msg": m.result_msg,
        })),
    })
    .await?;
    submission_view(uow.db(), m).await
}

/// A sent attempt that certainly did not take effect (KRA throttled it, `990`; the connection
/// was refused). The number and the frozen request are kept for the resend.
pub async fn record_not_taken_in(
    uow: &mut UnitOfWork,
    document_id: &str,
    answer: &Answer,
) -> Result<SubmissionView> {
    let m = open_submission(uow, document_id).await?;
    let mut active = m.into_active_model();
    active.attempts = Set(active.attempts.as_ref() + 1);
    active.result_cd = Set(answer.result_cd.clone());
    active.result_msg = Set(answer.result_msg.clone());
    active.last_attempt_at = Set(Some(uow.now_text()));
    active.updated_at = Set(uow.now_text());
    let m = active.update(uow.db()).await?;
    uow.audit(AuditDraft {
        action: "etims.retry",
        entity_type: "sale",
        entity_id: m.document_id.clone(),
        before: None,
        after: Some(json!({
            "invc_no": m.invc_no,
            "result_cd": m.result_cd,
            "result_msg": m.result_msg,
        })),
    })
    .await?;
    submission_view(uow.db(), m).await
}

/// KRA's signature of a sale (spec §5.5).
#[derive(Debug, Clone)]
pub struct Signature {
    pub cur_rcpt_no: i64,
    pub tot_rcpt_no: i64,
    pub intrl_data: String,
    pub rcpt_sign: String,
    /// As KRA sent it.
    pub sdc_date_time: String,
    pub answer: Answer,
    /// Found by a lookup rather than received as the answer to our call.
    pub adopted: bool,
}

/// Step 3: KRA signed the sale. Stores the signature with the device's `sdcId`/`mrcNo` as they
/// are now, and marks the sale fiscalised, in the caller's unit of work. Signing an already
/// signed submission with the same signature is a no-op; with another, a conflict.
pub async fn record_signed_in(
    uow: &mut UnitOfWork,
    document_id: &str,
    sig: &Signature,
) -> Result<SubmissionView> {
    if let Some(m) = find_submission(uow.db(), document_id).await?
        && m.state == FiscalState::Signed
    {
        if m.rcpt_sign.as_deref() == Some(sig.rcpt_sign.as_str())
            && m.cur_rcpt_no == Some(sig.cur_rcpt_no)
        {
            return submission_view(uow.db(), m).await;
        }
        return Err(immutable(&m));
    }
    let m = open_submission(uow, document_id).await?;
    let device = device_model(uow.db()).await?;
    let now = uow.now_text();
    let mut active = m.into_active_model();
    active.state = Set(FiscalState::Signed);
    if !sig.adopted {
        active.attempts = Set(active.attempts.as_ref() + 1);
        active.last_attempt_at = Set(Some(now.clone()));
    }
    active.cur_rcpt_no = Set(Some(sig.cur_rcpt_no));
    active.tot_rcpt_no = Set(Some(sig.tot_rcpt_no));
    active.intrl_data = Set(Some(sig.intrl_data.clone()));
    active.rcpt_sign = Set(Some(sig.rcpt_sign.clone()));
    active.sdc_date_time = Set(Some(sig.sdc_date_time.clone()));
    active.sdc_id = Set(device.sdc_id.clone());
    active.mrc_no = Set(device.mrc_no.clone());
    active.result_cd = Set(sig.answer.result_cd.clone());
    active.result_msg = Set(sig.answer.result_msg.clone());
    active.response_json = Set(sig.answer.response_json.clone());
    active.adopted = Set(sig.adopted);
    active.signed_at = Set(Some(now.clone()));
    active.updated_at = Set(now);
    let m = active.update(uow.db()).await?;
    documents::mark_fiscalised_in(uow, document_id).await?;
    uow.audit(AuditDraft {
        action: "etims.sign",
        entity_type: "sale",
        entity_id: m.document_id.clone(),
        before: None,
        after: Some(json!({
            "invc_no": m.invc_no,
            "cur_rcpt_no": m.cur_rcpt_no,
            "tot_rcpt_no": m.tot_rcpt_no,
            "sdc_id": m.sdc_id,
            "adopted": m.adopted,
        })),
    })
    .await?;
    submission_view(uow.db(), m).await
}

/// Step 4: KRA refused the sale. Its code and message are kept verbatim. With `release`, the
/// number goes back to the device, but only when it is still the last one used (no later
/// number was taken); returns whether it was released.
pub async fn record_rejected_in(
    uow: &mut UnitOfWork,
    document_id: &str,
    answer: &Answer,
    release: bool,
) -> Result<(SubmissionView, bool)> {
    let m = open_submission(uow, document_id).await?;
    let device = device_model(uow.db()).await?;
    let now = uow.now_text();
    let number = m.invc_no;
    let released = release
        && number == Some(device.last_invc_no)
        && m.tin == device.tin
        && m.bhf_id == device.bhf_id;
    let mut active = m.into_active_model();
    active.state = Set(FiscalState::Rejected);
    active.attempts = Set(active.attempts.as_ref() + 1);
    active.result_cd = Set(answer.result_cd.clone());
    active.result_msg = Set(answer.result_msg.clone());
    active.response_json = Set(answer.response_json.clone());
    active.last_attempt_at = Set(Some(now.clone()));
    active.updated_at = Set(now.clone());
    if released {
        active.invc_no = Set(None);
        active.released_invc_no = Set(number);
    }
    let m = active.update(uow.db()).await?;
    if released {
        let mut d = device.into_active_model();
        d.last_invc_no = Set(number.unwrap_or(1) - 1);
        d.updated_at = Set(now);
        d.update(uow.db()).await?;
    }
    uow.audit(AuditDraft {
        action: "etims.reject",
        entity_type: "sale",
        entity_id: m.document_id.clone(),
        before: None,
        after: Some(json!({
            "invc_no": number,
            "released": released,
            "result_cd": m.result_cd,
            "result_msg": m.result_msg,
        })),
    })
    .await?;
    Ok((submission_view(uow.db(), m).await?, released))
}

/// Why a sale may not be voided now, if its number is out at KRA with no known outcome (KRA
/// may have signed it: it must be looked up first) or KRA signed it.
pub async fn blocks_void(db: &impl ConnectionTrait, document_id: &str) -> Result<Option<String>> {
    Ok(match find_submission(db, document_id).await? {
        Some(m) if matches!(m.state, FiscalState::Reserved | FiscalState::Unknown) => {
            Some(format!(
                "it was sent to KRA e-TIMS as invoice number {} and the answer has not come back; \
             KRA may have signed it. Run `hesabu sync run` (it looks the invoice up at KRA) and \
             try again once its e-TIMS status is settled",
                m.invc_no.unwrap_or_default()
            ))
        }
        Some(m) if m.state == FiscalState::Signed => {
            Some("KRA e-TIMS has signed it: raise a credit note against it instead".to_owned())
        }
        _ => None,
    })
}
