//! Company settings: create a company file with its first admin, read and change the settings.
//! Validation of the settings (KRA PIN, branch, fiscal year, time zone) lives here.

use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
use serde::{Deserialize, Serialize};
use serde_json::json;
use ts_rs::TS;

use crate::entities::company;
use crate::users;
use hesabu_store::audit::{AuditActor, AuditDraft};
use hesabu_store::auth::{self, Session};
use hesabu_store::clock::SharedClock;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::entities::app_user;
use hesabu_store::error::{Error, Result};
use hesabu_store::limits::{NAME, NOTE, check_optional_text, check_text, excerpt};
use hesabu_store::permissions::{Permission, Role};

pub const DEFAULT_BRANCH: &str = "00";
pub const BASE_CURRENCY: &str = "KES";
pub const DEFAULT_TIME_ZONE: &str = "Africa/Nairobi";

static KRA_PIN: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[AP]\d{9}[A-Z]$").unwrap());
static BRANCH_ID: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\d{2}$").unwrap());

/// Normalises (trim, upper-case) and validates a KRA PIN.
pub fn validate_kra_pin(pin: &str) -> Result<String> {
    let pin = pin.trim().to_uppercase();
    if KRA_PIN.is_match(&pin) {
        Ok(pin)
    } else {
        Err(Error::invalid(format!(
            "KRA PIN '{}' is not valid. Expected format: A or P, nine digits, then a letter \
             (^[AP]\\d{{9}}[A-Z]$), e.g. P051234567X for a company or A012345678B for a person.",
            excerpt(&pin)
        )))
    }
}

pub fn validate_branch_id(branch: &str) -> Result<String> {
    let branch = branch.trim();
    if BRANCH_ID.is_match(branch) {
        Ok(branch.to_owned())
    } else {
        Err(Error::invalid(format!(
            "Branch id '{}' is not valid: use the two digits KRA gave the branch, '00' for the \
             head office.",
            excerpt(branch)
        )))
    }
}

fn validate_fiscal_month(month: u8) -> Result<i64> {
    if (1..=12).contains(&month) {
        Ok(i64::from(month))
    } else {
        Err(Error::invalid(format!(
            "Fiscal year start month {month} is not valid: use 1 (January) to 12 (December)."
        )))
    }
}

fn validate_time_zone(tz: &str) -> Result<String> {
    let tz = tz.trim();
    tz.parse::<chrono_tz::Tz>()
        .map(|_| tz.to_owned())
        .map_err(|_| {
            Error::invalid(format!(
                "Time zone '{}' is not known: use an IANA name such as {DEFAULT_TIME_ZONE}.",
                excerpt(tz)
            ))
        })
}

/// A required name: present, and at most `limits::NAME` characters.
fn required(field: &str, value: &str) -> Result<String> {
    let value = value.trim();
    if value.is_empty() {
        Err(Error::invalid(format!("The {field} is required.")))
    } else {
        check_text(field, value, NAME)?;
        Ok(value.to_owned())
    }
}

/// The free-text settings: a trading name and an address.
fn check_settings_text(trading_name: Option<&str>, address: Option<&str>) -> Result<()> {
    check_optional_text("trading name", trading_name.map(str::trim), NAME)?;
    check_optional_text("address", address.map(str::trim), NOTE)
}

fn optional(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// Creates a company file at `path` with its settings and its first user, who is its admin, and
/// returns it with that admin signed in. Everything is validated before the file is created; if
/// anything fails after that, the half-made file is removed, so nothing is left behind.
pub async fn create(
    path: &Path,
    new: &NewCompany,
    clock: SharedClock,
) -> Result<(CompanyFile, Session)> {
    let legal_name = required("legal name", &new.legal_name)?;
    check_settings_text(new.trading_name.as_deref(), new.address.as_deref())?;
    let kra_pin = validate_kra_pin(&new.kra_pin)?;
    let branch_id = validate_branch_id(new.branch_id.as_deref().unwrap_or(DEFAULT_BRANCH))?;
    let fiscal = validate_fiscal_month(new.fiscal_year_start_month.unwrap_or(1))?;
    let admin_email = users::validate_email(&new.admin_email)?;
    let admin_name = required("admin's name", &new.admin_name)?;
    let password_hash = auth::hash_password(&new.admin_password)?;

    let file = CompanyFile::create_new(path, clock).await?;
    let result = async {
        let now = hesabu_store::clock::format_timestamp(file.clock().now());
        let company_id = hesabu_store::ids::new_id(file.clock().as_ref());
        let admin_id = hesabu_store::ids::new_id(file.clock().as_ref());
        let mut uow = file
            .begin_as(AuditActor {
                id: Some(admin_id.clone()),
                email: admin_email.clone(),
            })
            .await?;
        let company = company::Model {
            id: company_id.clone(),
            legal_name,
            trading_name: optional(new.trading_name.as_deref()),
            kra_pin,
            branch_id,
            address: optional(new.address.as_deref()),
            base_currency: BASE_CURRENCY.into(),
            fiscal_year_start_month: fiscal,
            time_zone: DEFAULT_TIME_ZONE.into(),
            created_at: now.clone(),
            updated_at: now.clone(),
            sales_price_basis: "exclusive".into(),
            sales_approval_above: None,
        };
        company::ActiveModel::from(company.clone())
            .insert(uow.db())
            .await?;
        uow.audit(AuditDraft {
            action: "company.create",
            entity_type: "company",
            entity_id: company_id,
            before: None,
            after: Some(settings_summary(&company)),
        })
        .await?;
        let admin = app_user::Model {
            id: admin_id,
            email: admin_email,
            name: admin_name,
            role: Role::Admin.as_str().into(),
            manager_id: None,
            department_id: None,
            active: true,
            password_hash,
            created_at: now.clone(),
            updated_at: now,
        };
        app_user::ActiveModel::from(admin.clone())
            .insert(uow.db())
            .await?;
        uow.audit(AuditDraft {
            action: "user.add",
            entity_type: "user",
            entity_id: admin.id.clone(),
            before: None,
            after: Some(users::user_summary(&admin, None, None)),
        })
        .await?;
        uow.commit().await?;
        Session::from_user(&admin)
    }
    .await;

    match result {
        Ok(session) => Ok((file, session)),
        Err(error) => {
            let _ = file.close().await;
            remove_company_file(path);
            Err(error)
        }
    }
}

/// Removes a company file and its WAL side files (used only to undo a failed create).
fn remove_company_file(path: &Path) {
    let _ = std::fs::remove_file(path);
    for suffix in ["-wal", "-shm"] {
        let mut side = path.as_os_str().to_owned();
        side.push(suffix);
        let _ = std::fs::remove_file(side);
    }
}

pub(crate) fn settings_summary(c: &company::Model) -> serde_json::Value {
    json!({
        "legal_name": c.legal_name,
        "trading_name": c.trading_name,
        "kra_pin": c.kra_pin,
        "branch_id": c.branch_id,
        "address": c.address,
        "base_currency": c.base_currency,
        "fiscal_year_start_month": c.fiscal_year_start_month,
        "time_zone": c.time_zone,
    })
}

pub async fn load(db: &impl sea_orm::ConnectionTrait) -> Result<company::Model> {
    company::Entity::find()
        .one(db)
        .await?
        .ok_or_else(|| Error::Internal("the company settings row is missing".into()))
}

/// The company's name as shown on the sign-in screen and in window titles: the trading name if
/// set, else the legal name. Needs no session (it is what you see before signing in).
pub async fn display_name(file: &CompanyFile) -> Result<String> {
    let c = load(file.reader()).await?;
    Ok(c.trading_name.unwrap_or(c.legal_name))
}

/// The company's time zone (IANA name): every time the desktop shows is in it, whatever the
/// machine's own zone. Readable before sign-in, like the name.
pub async fn time_zone(file: &CompanyFile) -> Result<String> {
    Ok(load(file.reader()).await?.time_zone)
}

/// The company settings.
pub async fn info(file: &CompanyFile, session: &Session) -> Result<CompanyInfo> {
    session.require(Permission::CompanyView)?;
    Ok(load(file.reader()).await?.into())
}

/// Replaces the company settings.
pub async fn update(
    file: &CompanyFile,
    session: &Session,
    change: &CompanySettingsUpdate,
) -> Result<CompanyInfo> {
    session.require(Permission::CompanyEdit)?;
    let legal_name = required("legal name", &change.legal_name)?;
    check_settings_text(change.trading_name.as_deref(), change.address.as_deref())?;
    let kra_pin = validate_kra_pin(&change.kra_pin)?;
    let branch_id = validate_branch_id(&change.branch_id)?;
    let fiscal = validate_fiscal_month(change.fiscal_year_start_month)?;
    let time_zone = validate_time_zone(&change.time_zone)?;

    let mut uow = file.begin(session).await?;
    let before = load(uow.db()).await?;
    let mut active = before.clone().into_active_model();
    active.legal_name = Set(legal_name);
    active.trading_name = Set(optional(change.trading_name.as_deref()));
    active.kra_pin = Set(kra_pin);
    active.branch_id = Set(branch_id);
    active.address = Set(optional(change.address.as_deref()));
    active.fiscal_year_start_month = Set(fiscal);
    active.time_zone = Set(time_zone);
    active.updated_at = Set(uow.now_text());
    let after = active.update(uow.db()).await?;
    uow.audit(AuditDraft {
        action: "company.update",
        entity_type: "company",
        entity_id: after.id.clone(),
        before: Some(settings_summary(&before)),
        after: Some(settings_summary(&after)),
    })
    .await?;
    uow.commit().await?;
    Ok(after.into())
}

/// The company settings.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct CompanyInfo {
    pub id: String,
    pub legal_name: String,
    pub trading_name: Option<String>,
    pub kra_pin: String,
    pub branch_id: String,
    pub address: Option<String>,
    pub base_currency: String,
    /// 1 = January.
    pub fiscal_year_start_month: u8,
    pub time_zone: String,
    pub created_at: String,
    pub updated_at: String,
}

impl From<company::Model> for CompanyInfo {
    fn from(m: company::Model) -> Self {
        Self {
            id: m.id,
            legal_name: m.legal_name,
            trading_name: m.trading_name,
            kra_pin: m.kra_pin,
            branch_id: m.branch_id,
            address: m.address,
            base_currency: m.base_currency,
            fiscal_year_start_month: u8::try_from(m.fiscal_year_start_month).unwrap_or(1),
            time_zone: m.time_zone,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// Everything needed to create a company file and its first (admin) user.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct NewCompany {
    pub legal_name: String,
    pub trading_name: Option<String>,
    pub kra_pin: String,
    /// Two digits; "00" is the head office.
    pub branch_id: Option<String>,
    pub address: Option<String>,
    /// 1 = January (the default).
    pub fiscal_year_start_month: Option<u8>,
    pub admin_email: String,
    pub admin_name: String,
    pub admin_password: String,
}

/// A change to the company settings. Every field is replaced.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct CompanySettingsUpdate {
    pub legal_name: String,
    pub trading_name: Option<String>,
    pub kra_pin: String,
    pub branch_id: String,
    pub address: Option<String>,
    pub fiscal_year_start_month: u8,
    pub time_zone: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kra_pins_are_normalised_and_checked() {
        assert_eq!(validate_kra_pin(" p051234567x ").unwrap(), "P051234567X");
        assert_eq!(validate_kra_pin("A012345678B").unwrap(), "A012345678B");
        for bad in [
            "",
            "P05123456X",
            "B051234567X",
            "P0512345678",
            "P051234567XX",
        ] {
            let err = validate_kra_pin(bad).unwrap_err();
            assert!(matches!(err, Error::InvalidInput(_)));
            assert!(err.to_string().contains("^[AP]\\d{9}[A-Z]$"), "{err}");
        }
    }

    #[test]
    fn branches_are_two_digits() {
        assert_eq!(validate_branch_id("00").unwrap(), "00");
        assert!(validate_branch_id("0").is_err());
        assert!(validate_branch_id("AB").is_err());
    }

    #[test]
    fn time_zones_and_months_are_checked() {
        assert!(validate_time_zone("Africa/Nairobi").is_ok());
        assert!(validate_time_zone("Nairobi").is_err());
        assert!(validate_fiscal_month(7).is_ok());
        assert!(validate_fiscal_month(13).is_err());
    }
}
