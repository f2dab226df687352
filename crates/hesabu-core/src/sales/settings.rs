//! The company's sales settings: the price basis new sales use, and the KES total above which
//! issuing a sale goes through approval.

use std::str::FromStr;

use rust_decimal::Decimal;
use sea_orm::{ActiveModelTrait, ConnectionTrait, IntoActiveModel, Set};
use serde::{Deserialize, Serialize};
use serde_json::json;
use ts_rs::TS;

use super::check_amount;
use super::tax::PriceBasis;
use hesabu_store::audit::AuditDraft;
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::Result;
use hesabu_store::permissions::Permission;

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct SalesSettings {
    pub price_basis: PriceBasis,
    /// KES; none: approval only when a business rule or the invoice workflow asks for it.
    #[serde(default, with = "rust_decimal::serde::str_option")]
    #[ts(type = "string | null")]
    pub approval_above: Option<Decimal>,
}

pub(crate) async fn price_basis(db: &impl ConnectionTrait) -> Result<PriceBasis> {
    PriceBasis::from_str(&crate::company::load(db).await?.sales_price_basis)
}

pub(crate) async fn load(db: &impl ConnectionTrait) -> Result<SalesSettings> {
    let c = crate::company::load(db).await?;
    Ok(SalesSettings {
        price_basis: PriceBasis::from_str(&c.sales_price_basis)?,
        approval_above: c.sales_approval_above.map(|d| d.get()),
    })
}

pub async fn show(file: &CompanyFile, session: &Session) -> Result<SalesSettings> {
    session.require(Permission::SalesView)?;
    load(file.reader()).await
}

pub async fn update(
    file: &CompanyFile,
    session: &Session,
    change: &SalesSettings,
) -> Result<SalesSettings> {
    session.require(Permission::SalesSettings)?;
    let above = match change.approval_above {
        Some(a) => Some(check_amount("approval threshold", a, 2)?),
        None => None,
    };
    let mut uow = file.begin(session).await?;
    let before = crate::company::load(uow.db()).await?;
    let mut active = before.clone().into_active_model();
    active.sales_price_basis = Set(change.price_basis.as_str().into());
    active.sales_approval_above = Set(above.map(Into::into));
    active.updated_at = Set(uow.now_text());
    let after = active.update(uow.db()).await?;
    uow.audit(AuditDraft {
        action: "sales.settings",
        entity_type: "company",
        entity_id: after.id.clone(),
        before: Some(json!({
            "price_basis": before.sales_price_basis,
            "approval_above": before.sales_approval_above,
        })),
        after: Some(json!({
            "price_basis": after.sales_price_basis,
            "approval_above": after.sales_approval_above,
        })),
    })
    .await?;
    uow.commit().await?;
    load(file.reader()).await
}
