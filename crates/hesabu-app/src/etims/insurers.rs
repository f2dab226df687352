//! The insurers the branch accepts (pharmacies; `saveBhfInsurance`, spec §4 row 9): a small
//! registry per company file (`etims_insurer`): the insurer's code (`isrccCd`, what a sale
//! line's `isrccCd` carries, spec §5.3), its name and its premium rate (an exact percent from 0
//! to 100), active or not.
//!
//! [`add`] and [`update`] check the input, store it, bump the insurer's version and queue one
//! outbox row with the frozen `saveBhfInsurance` request (idempotency key
//! `isrc:<insurer id>:v<version>`), in one audited unit of work (`etims.insurer.add`,
//! `etims.insurer.update`). KRA's call is an upsert keyed by the code, so a deactivated insurer
//! is sent with `useYn: N`; insurers are never deleted.

use std::str::FromStr;

use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, QueryResult};
use serde::Serialize;
use serde_json::json;

use super::queued::{self, INSURER_OPERATION, registrar, statement};
use hesabu_etims::types::insurance::BranchInsuranceRequest;
use hesabu_store::audit::AuditDraft;
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::{Error, Result};
use hesabu_store::permissions::Permission;
use hesabu_store::uow::UnitOfWork;

/// The longest insurer code (KRA's `isrccCd` on a sale line is CHAR(10)).
pub const MAX_CODE: usize = 10;
/// The longest insurer name (`isrccNm`, CHAR(100)).
pub const MAX_NAME: usize = 100;

/// A new insurer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInsurer {
    pub code: String,
    pub name: String,
    /// Percent, 0 to 100 (e.g. 20 for 20 %).
    pub premium_rate: Decimal,
}

/// A change to an insurer; `None` keeps the field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InsurerChange {
    pub name: Option<String>,
    pub premium_rate: Option<Decimal>,
    pub active: Option<bool>,
}

/// An insurer and where sending its last version to KRA stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InsurerView {
    pub id: String,
    pub code: String,
    pub name: String,
    /// Exact decimal percent.
    pub premium_rate: String,
    pub active: bool,
    pub version: i64,
    pub outbox_id: Option<String>,
    /// The outbox row's state: `ready`, `in_flight`, `done` (KRA has it) or `dead`.
    pub sync_state: Option<String>,
    pub sync_error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// The code, trimmed and upper-cased, checked.
fn clean_code(code: &str) -> Result<String> {
    let code = code.trim().to_uppercase();
    if code.is_empty() {
        return Err(Error::invalid(
            "The insurer's code is empty: give the code the insurer uses with KRA, e.g. AAR01.",
        ));
    }
    if code.chars().count() > MAX_CODE
        || !code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(Error::invalid(format!(
            "'{code}' is not an insurer code: use up to {MAX_CODE} letters, digits, '-' or '_'."
        )));
    }
    Ok(code)
}

fn clean_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::invalid(
            "The insurer's name is empty: give its name.",
        ));
    }
    if name.chars().count() > MAX_NAME {
        return Err(Error::invalid(format!(
            "The insurer's name is {} characters long: KRA takes at most {MAX_NAME}.",
            name.chars().count()
        )));
    }
    Ok(name.to_owned())
}

/// A premium rate is a percent from 0 to 100, with at most 2 decimals (KRA's `isrcRt`).
pub fn check_rate(rate: Decimal) -> Result<Decimal> {
    if rate < Decimal::ZERO || rate > Decimal::ONE_HUNDRED {
        return Err(Error::invalid(format!(
            "The premium rate {rate} is not a percent from 0 to 100: give e.g. 20 for 20 %."
        )));
    }
    if rate.normalize().scale() > 2 {
        return Err(Error::invalid(format!(
            "The premium rate {rate} has more than 2 decimals: KRA keeps rates to 2 (e.g. 12.5)."
        )));
    }
    Ok(rate.normalize())
}

/// Reads a premium rate as typed (`20`, `12.5`, `12.5%`).
pub fn parse_rate(text: &str) -> Result<Decimal> {
    let t = text.trim().trim_end_matches('%').trim();
    let rate = Decimal::from_str(t).map_err(|_| {
        Error::invalid(format!(
            "'{text}' is not a premium rate: give a percent from 0 to 100, e.g. 20 or 12.5."
        ))
    })?;
    check_rate(rate)
}

fn view_of(r: &QueryResult) -> Result<InsurerView> {
    Ok(InsurerView {
        id: r.try_get("", "id")?,
        code: r.try_get("", "code")?,
        name: r.try_get("", "name")?,
        premium_rate: r.try_get("", "premium_rate")?,
        active: r.try_get("", "active")?,
        version: r.try_get("", "version")?,
        outbox_id: r.try_get("", "outbox_id")?,
        sync_state: r.try_get("", "sync_state")?,
        sync_error: r.try_get("", "sync_error")?,
        created_at: r.try_get("", "created_at")?,
        updated_at: r.try_get("", "updated_at")?,
    })
}

const SELECT: &str = "SELECT i.id, i.code, i.name, i.premium_rate, i.active, i.version, \
     i.outbox_id, i.created_at, i.updated_at, o.state AS sync_state, \
     o.last_error_message AS sync_error \
     FROM etims_insurer i LEFT JOIN outbox o ON o.id = i.outbox_id";

async fn find(db: &impl ConnectionTrait, key: &str) -> Result<InsurerView> {
    let key = key.trim();
    let row = db
        .query_one_raw(statement(
            db,
            &format!("{SELECT} WHERE i.id = ? OR i.code = ?"),
            vec![key.into(), key.to_uppercase().into()],
        ))
        .await?;
    match row {
        Some(r) => view_of(&r),
        None => Err(Error::NotFound(format!(
            "There is no insurer '{key}'. `hesabu etims insurer list` shows the insurers."
        ))),
    }
}

/// Queues the insurer's current version for KRA and records the row on it.
async fn queue(uow: &mut UnitOfWork, session: &Session, insurer: &InsurerView) -> Result<String> {
    let (regr_id, regr_nm) = registrar(session);
    let request = BranchInsuranceRequest {
        isrcc_cd: insurer.code.clone(),
        isrcc_nm: insurer.name.clone(),
        isrc_rt: Decimal::from_str_exact(&insurer.premium_rate)
            .map_err(|e| Error::Internal(format!("the stored premium rate: {e}")))?,
        use_yn: if insurer.active { "Y" } else { "N" }.into(),
        regr_id: regr_id.clone(),
        regr_nm: regr_nm.clone(),
        modr_id: regr_id,
        modr_nm: regr_nm,
    };
    let request = serde_json::to_value(&request)
        .map_err(|e| Error::Internal(format!("an insurance request: {e}")))?;
    let outbox_id = queued::enqueue(
        uow,
        INSURER_OPERATION,
        "insurer",
        &insurer.id,
        insurer.version,
        queued::idempotency_key("isrc", &insurer.id, insurer.version),
        vec![request],
    )
    .await?;
    uow.db()
        .execute_raw(statement(
            uow.db(),
            "UPDATE etims_insurer SET outbox_id = ? WHERE id = ?",
            vec![outbox_id.clone().into(), insurer.id.clone().into()],
        ))
        .await?;
    Ok(outbox_id)
}

fn summary(v: &InsurerView) -> serde_json::Value {
    json!({
        "code": v.code,
        "name": v.name,
        "premium_rate": v.premium_rate,
        "active": v.active,
        "version": v.version,
    })
}

/// Adds an insurer and queues it for KRA. Needs `SalesMasterData` and an e-TIMS device.
pub async fn add(file: &CompanyFile, session: &Session, new: &NewInsurer) -> Result<InsurerView> {
    session.require(Permission::SalesMasterData)?;
    let code = clean_code(&new.code)?;
    let name = clean_name(&new.name)?;
    let rate = check_rate(new.premium_rate)?;
    let mut uow = file.begin(session).await?;
    queued::require_device(uow.db()).await?;
    match find(uow.db(), &code).await {
        Ok(existing) => {
            return Err(Error::Conflict(format!(
                "Insurer {code} ({}) is already in the list: change it with `hesabu etims \
                 insurer update {code}`.",
                existing.name
            )));
        }
        Err(Error::NotFound(_)) => {}
        Err(e) => return Err(e),
    }
    let id = uow.new_id();
    let now = uow.now_text();
    uow.db()
        .execute_raw(statement(
            uow.db(),
            "INSERT INTO etims_insurer (id, code, name, premium_rate, active, version, \
             outbox_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 1, NULL, ?, ?)",
            vec![
                id.clone().into(),
                code.into(),
                name.into(),
                rate.to_string().into(),
                true.into(),
                now.clone().into(),
                now.into(),
            ],
        ))
        .await?;
    let stored = find(uow.db(), &id).await?;
    let outbox_id = queue(&mut uow, session, &stored).await?;
    uow.audit(AuditDraft {
        action: "etims.insurer.add",
        entity_type: "insurer",
        entity_id: id.clone(),
        before: None,
        after: Some(json!({ "insurer": summary(&stored), "outbox_id": outbox_id })),
    })
    .await?;
    let view = find(uow.db(), &id).await?;
    uow.commit().await?;
    Ok(view)
}

/// Changes an insurer's name, premium rate or whether it is active, and queues the new version
/// for KRA. An unchanged insurer is not sent again. Needs `SalesMasterData`.
pub async fn update(
    file: &CompanyFile,
    session: &Session,
    key: &str,
    change: &InsurerChange,
) -> Result<InsurerView> {
    session.require(Permission::SalesMasterData)?;
    let name = change.name.as_deref().map(clean_name).transpose()?;
    let rate = change.premium_rate.map(check_rate).transpose()?;
    let mut uow = file.begin(session).await?;
    queued::require_device(uow.db()).await?;
    let before = find(uow.db(), key).await?;
    let name = name.unwrap_or_else(|| before.name.clone());
    let rate = rate.map_or_else(|| before.premium_rate.clone(), |r| r.to_string());
    let active = change.active.unwrap_or(before.active);
    if name == before.name && rate == before.premium_rate && active == before.active {
        return Ok(before);
    }
    let now = uow.now_text();
    uow.db()
        .execute_raw(statement(
            uow.db(),
            "UPDATE etims_insurer SET name = ?, premium_rate = ?, active = ?, \
             version = version + 1, updated_at = ? WHERE id = ?",
            vec![
                name.into(),
                rate.into(),
                active.into(),
                now.into(),
                before.id.clone().into(),
            ],
        ))
        .await?;
    let stored = find(uow.db(), &before.id).await?;
    let outbox_id = queue(&mut uow, session, &stored).await?;
    uow.audit(AuditDraft {
        action: "etims.insurer.update",
        entity_type: "insurer",
        entity_id: before.id.clone(),
        before: Some(summary(&before)),
        after: Some(json!({ "insurer": summary(&stored), "outbox_id": outbox_id })),
    })
    .await?;
    let view = find(uow.db(), &before.id).await?;
    uow.commit().await?;
    Ok(view)
}

/// Every insurer, by code. Needs `SalesView`.
pub async fn list(file: &CompanyFile, session: &Session) -> Result<Vec<InsurerView>> {
    session.require(Permission::SalesView)?;
    let db = file.reader();
    let rows = db
        .query_all_raw(statement(db, &format!("{SELECT} ORDER BY i.code"), vec![]))
        .await?;
    rows.iter().map(view_of).collect()
}

/// One insurer by code or id. Needs `SalesView`.
pub async fn show(file: &CompanyFile, session: &Session, key: &str) -> Result<InsurerView> {
    session.require(Permission::SalesView)?;
    find(file.reader(), key).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_percents_from_0_to_100() {
        assert_eq!(parse_rate("20").unwrap(), Decimal::from(20));
        assert_eq!(parse_rate("12.5%").unwrap(), Decimal::new(125, 1));
        assert_eq!(parse_rate("100").unwrap(), Decimal::ONE_HUNDRED);
        assert!(parse_rate("120").is_err());
        assert!(parse_rate("-1").is_err());
        assert!(parse_rate("12.345").is_err());
        assert!(parse_rate("twenty").is_err());
    }

    #[test]
    fn codes_are_short_and_plain() {
        assert_eq!(clean_code(" aar01 ").unwrap(), "AAR01");
        assert!(clean_code("").is_err());
        assert!(clean_code("AAR 01").is_err());
        assert!(clean_code("ABCDEFGHIJK").is_err());
    }
}
