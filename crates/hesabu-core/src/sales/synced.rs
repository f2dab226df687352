//! The ledger's side of a sync from an outside books system (QuickBooks Online): customers,
//! items and sales documents written from what was pulled, inside the caller's unit of work.
//! The app's `qbo` module maps QuickBooks' objects onto the plain inputs here; this module
//! keeps the ledger's rules: amounts are computed only by [`super::tax`], a pulled sale is
//! written as a draft and issued by [`super::documents::issue_in`] (its number, its frozen
//! customer details, the event its e-TIMS workflow listens to), customers and items raise the
//! events their workflows listen to (`source: quickbooks`), and an issued sale never changes
//! content: a sale that changed in QuickBooks is the caller's to flag, never rewritten here.
//!
//! A pulled sale skips the approval gate: it was already issued in QuickBooks, where the firm's
//! own controls apply (a decision, stated in docs/quickbooks.md).

use std::str::FromStr;

use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, Set,
};
use serde_json::json;

use super::customers::{self, NewCustomer};
use super::documents;
use super::items::{self, NewItem};
use super::tax::{self, Discount, DocumentTotals, LineInput, PriceBasis, TaxType};
use super::{SalesStatus, SalesType, clean};
use crate::entities::{customer, item, sales_document, sales_line};
use crate::workflows::{self, EventType, NewEvent};
use hesabu_store::audit::AuditDraft;
use hesabu_store::error::{Error, Result};
use hesabu_store::uow::UnitOfWork;

/// Where pulled rows say they came from (`workflow_event.source`).
pub const SOURCE: &str = "quickbooks";

/// A customer as pulled.
#[derive(Debug, Clone, Default)]
pub struct PulledCustomer {
    pub remote_id: String,
    pub sync_token: Option<String>,
    pub name: String,
    /// Already read from the configured source (tax id or a custom field); checked here.
    pub kra_pin: Option<String>,
    pub email: Option<String>,
    pub mobile: Option<String>,
    pub address: Option<String>,
    pub active: bool,
}

/// An item as pulled.
#[derive(Debug, Clone)]
pub struct PulledItem {
    pub remote_id: String,
    pub sync_token: Option<String>,
    /// The SKU, when the item has one.
    pub sku: Option<String>,
    pub name: String,
    pub tax_type: TaxType,
    /// `service` or `finished_good`.
    pub product_type: &'static str,
    pub unit_price: Decimal,
    pub active: bool,
}

/// One item line of a pulled sale.
#[derive(Debug, Clone)]
pub struct PulledLine {
    /// The local item (already pulled), if the line names one.
    pub item_id: Option<String>,
    pub description: String,
    pub quantity: Decimal,
    pub unit_price: Decimal,
    pub tax_type: TaxType,
    /// The line's share of a transaction discount (QuickBooks' discount line, allocated to the
    /// items by the caller), or none.
    pub discount: Discount,
}

/// A sale as pulled, ready to issue.
#[derive(Debug, Clone)]
pub struct PulledSale {
    pub remote_id: String,
    pub sync_token: Option<String>,
    pub doc_type: SalesType,
    /// The local customer (already pulled); none: a walk-in with `customer_name`.
    pub customer_id: Option<String>,
    pub customer_name: String,
    /// yyyy-mm-dd.
    pub issue_date: String,
    pub due_date: Option<String>,
    pub currency: String,
    /// KES per unit of `currency` (QuickBooks' `ExchangeRate`); 1 for a KES sale.
    pub exchange_rate: Decimal,
    pub price_basis: PriceBasis,
    pub payment_method: Option<String>,
    pub notes: Option<String>,
    pub lines: Vec<PulledLine>,
}

/// What a pulled customer became; `warnings` name what was left out (a PIN that is not a KRA
/// PIN, or one another customer has).
#[derive(Debug, Clone)]
pub struct Upserted {
    pub id: String,
    pub created: bool,
    pub warnings: Vec<String>,
}

fn trimmed(text: Option<&str>, max: usize) -> Option<String> {
    clean(text).map(|t| t.chars().take(max).collect())
}

/// Creates or updates the customer pulled as `c` (`existing`: the local id it was mapped to).
pub async fn upsert_customer_in(
    uow: &mut UnitOfWork,
    c: &PulledCustomer,
    existing: Option<&str>,
) -> Result<Upserted> {
    let mut warnings = Vec::new();
    let name: String = c.name.trim().chars().take(60).collect();
    if name.is_empty() {
        return Err(Error::invalid(format!(
            "QuickBooks customer {} has no display name: give it one in QuickBooks.",
            c.remote_id
        )));
    }
    let pin = match clean(c.kra_pin.as_deref()) {
        Some(p) => match crate::company::validate_kra_pin(&p) {
            Ok(p) => Some(p),
            Err(_) => {
                warnings.push(format!(
                    "QuickBooks customer {name}: '{p}' is not a KRA PIN, so it was left out."
                ));
                None
            }
        },
        None => None,
    };
    // A PIN another customer holds is left out rather than refusing the whole pull.
    let pin = match pin {
        Some(p) => {
            let holder = customer::Entity::find()
                .filter(customer::Column::KraPin.eq(p.clone()))
                .one(uow.db())
                .await?;
            match holder {
                Some(h) if Some(h.id.as_str()) != existing => {
                    warnings.push(format!(
                        "QuickBooks customer {name}: KRA PIN {p} already belongs to {} {}; it \
                         was left out.",
                        h.number, h.name
                    ));
                    None
                }
                _ => Some(p),
            }
        }
        None => None,
    };
    let email = clean(c.email.as_deref()).filter(|e| crate::users::validate_email(e).is_ok());
    let mobile = clean(c.mobile.as_deref()).filter(|m| {
        let digits: String = m.chars().filter(char::is_ascii_digit).collect();
        (9..=15).contains(&digits.len())
    });
    let address = trimmed(c.address.as_deref(), 300);
    let current = match existing {
        Some(id) => {
            customer::Entity::find_by_id(id.to_owned())
                .one(uow.db())
                .await?
        }
        None => None,
    };
    let Some(before) = current else {
        let new = NewCustomer {
            name,
            kra_pin: pin,
            email,
            mobile,
            address,
            ..Default::default()
        };
        let row = customers::add_in(uow, &new).await?;
        let mut active = row.clone().into_active_model();
        active.qbo_id = Set(Some(c.remote_id.clone()));
        active.qbo_sync_token = Set(c.sync_token.clone());
        active.active = Set(c.active);
        let row = active.update(uow.db()).await?;
        record_customer(uow, &row, EventType::Pulled).await?;
        return Ok(Upserted {
            id: row.id,
            created: true,
            warnings,
        });
    };
    let mut active = before.clone().into_active_model();
    active.name_key = Set(name.to_lowercase());
    active.name = Set(name);
    active.kra_pin = Set(pin.clone());
    active.customer_type = Set(if pin.is_some() { "b2b" } else { "b2c" }.into());
    active.email = Set(email);
    active.mobile = Set(mobile);
    active.address = Set(address);
    active.active = Set(c.active);
    active.qbo_id = Set(Some(c.remote_id.clone()));
    active.qbo_sync_token = Set(c.sync_token.clone());
    active.updated_at = Set(uow.now_text());
    let after = active.update(uow.db()).await?;
    uow.audit(AuditDraft {
        action: "customer.pull",
        entity_type: "customer",
        entity_id: after.id.clone(),
        before: Some(json!({"name": before.name, "pin": before.kra_pin, "active": before.active})),
        after: Some(
            json!({"name": after.name, "pin": after.kra_pin, "active": after.active,
            "qbo_id": after.qbo_id, "qbo_sync_token": after.qbo_sync_token}),
        ),
    })
    .await?;
    record_customer(uow, &after, EventType::Pulled).await?;
    Ok(Upserted {
        id: after.id,
        created: false,
        warnings,
    })
}

async fn record_customer(
    uow: &mut UnitOfWork,
    c: &customer::Model,
    event_type: EventType,
) -> Result<()> {
    workflows::events::record(
        uow,
        NewEvent {
            event_type,
            entity_type: "customer".into(),
            entity_id: c.id.clone(),
            source: SOURCE,
            payload: json!({
                "number": c.number,
                "name": c.name,
                "pin": c.kra_pin,
                "customer_type": c.customer_type.to_uppercase(),
                "email": c.email,
                "mobile": c.mobile,
                "address": c.address,
                "active": c.active,
            }),
        },
    )
    .await?;
    Ok(())
}

/// Creates or updates the item pulled as `i`. The code and KRA item code of an existing item
/// never change.
pub async fn upsert_item_in(
    uow: &mut UnitOfWork,
    i: &PulledItem,
    existing: Option<&str>,
) -> Result<Upserted> {
    let name: String = i.name.trim().chars().take(200).collect();
    if name.is_empty() {
        return Err(Error::invalid(format!(
            "QuickBooks item {} has no name: give it one in QuickBooks.",
            i.remote_id
        )));
    }
    // QuickBooks allows more decimals than the ledger keeps for a price: round to 4 places.
    let price = i.unit_price.max(Decimal::ZERO).round_dp(4);
    let current = match existing {
        Some(id) => {
            item::Entity::find_by_id(id.to_owned())
                .one(uow.db())
                .await?
        }
        None => None,
    };
    let Some(before) = current else {
        let sku = clean(i.sku.as_deref()).filter(|s| s.chars().count() <= 40);
        let code = match sku {
            Some(s) if items::find(uow.db(), &s).await.is_err() => s,
            _ => format!("QBO-{}", i.remote_id),
        };
        let new = NewItem {
            code,
            name,
            tax_type: i.tax_type.as_str().into(),
            product_type: i.product_type.into(),
            unit_price: price,
            ..Default::default()
        };
        let row = items::add_in(uow, &new).await?;
        let mut active = row.into_active_model();
        active.qbo_id = Set(Some(i.remote_id.clone()));
        active.qbo_sync_token = Set(i.sync_token.clone());
        active.active = Set(i.active);
        let row = active.update(uow.db()).await?;
        record_item(uow, &row).await?;
        return Ok(Upserted {
            id: row.id,
            created: true,
            warnings: Vec::new(),
        });
    };
    let mut active = before.clone().into_active_model();
    active.name_key = Set(name.to_lowercase());
    active.name = Set(name);
    active.unit_price = Set(price.normalize().into());
    active.tax_type = Set(i.tax_type.as_str().into());
    active.active = Set(i.active);
    active.qbo_id = Set(Some(i.remote_id.clone()));
    active.qbo_sync_token = Set(i.sync_token.clone());
    active.updated_at = Set(uow.now_text());
    let after = active.update(uow.db()).await?;
    uow.audit(AuditDraft {
        action: "item.pull",
        entity_type: "item",
        entity_id: after.id.clone(),
        before: Some(json!({"name": before.name, "unit_price": before.unit_price,
            "tax_type": before.tax_type, "active": before.active})),
        after: Some(json!({"name": after.name, "unit_price": after.unit_price,
            "tax_type": after.tax_type, "active": after.active, "qbo_id": after.qbo_id})),
    })
    .await?;
    record_item(uow, &after).await?;
    Ok(Upserted {
        id: after.id,
        created: false,
        warnings: Vec::new(),
    })
}

async fn record_item(uow: &mut UnitOfWork, i: &item::Model) -> Result<()> {
    workflows::events::record(
        uow,
        NewEvent {
            event_type: EventType::Pulled,
            entity_type: "item".into(),
            entity_id: i.id.clone(),
            source: SOURCE,
            payload: json!({
                "code": i.code,
                "kra_item_code": i.kra_item_code,
                "name": i.name,
                "tax_category": i.tax_type,
                "item_type": items::ProductType::parse(&i.product_type).ok().map(|t| t.kra_code()),
                "unit_price": i.unit_price,
                "active": i.active,
            }),
        },
    )
    .await?;
    Ok(())
}

/// Marks a customer or item deleted in QuickBooks as inactive (issued sales still name it).
pub async fn deactivate_in(uow: &mut UnitOfWork, kind: &str, local_id: &str) -> Result<()> {
    match kind {
        "customer" => {
            if let Some(row) = customer::Entity::find_by_id(local_id.to_owned())
                .one(uow.db())
                .await?
                && row.active
            {
                let mut active = row.into_active_model();
                active.active = Set(false);
                active.updated_at = Set(uow.now_text());
                let row = active.update(uow.db()).await?;
                audit_deleted(uow, "customer", &row.id).await?;
                record_customer(uow, &row, EventType::Pulled).await?;
            }
        }
        "item" => {
            if let Some(row) = item::Entity::find_by_id(local_id.to_owned())
                .one(uow.db())
                .await?
                && row.active
            {
                let mut active = row.into_active_model();
                active.active = Set(false);
                active.updated_at = Set(uow.now_text());
                let row = active.update(uow.db()).await?;
                audit_deleted(uow, "item", &row.id).await?;
                record_item(uow, &row).await?;
            }
        }
        other => return Err(Error::Internal(format!("deactivate_in: {other}"))),
    }
    Ok(())
}

async fn audit_deleted(uow: &mut UnitOfWork, entity_type: &'static str, id: &str) -> Result<()> {
    uow.audit(AuditDraft {
        action: "qbo.deleted",
        entity_type,
        entity_id: id.to_owned(),
        before: None,
        after: Some(json!({"active": false, "reason": "deleted in QuickBooks"})),
    })
    .await
}

/// The ledger's figures for a pulled sale's lines, without writing anything: what the caller
/// compares with QuickBooks' own totals.
pub fn compute(sale: &PulledSale) -> Result<DocumentTotals> {
    tax::compute(&inputs(sale), sale.price_basis, &documents::rate_table())
}

fn inputs(sale: &PulledSale) -> Vec<LineInput> {
    sale.lines
        .iter()
        .map(|l| LineInput {
            quantity: l.quantity,
            unit_price: l.unit_price,
            discount: l.discount,
            tax_type: l.tax_type,
        })
        .collect()
}

/// The sale's exchange rate as the ledger keeps it, and its total in KES computed by the same
/// maths from KES-converted lines (as a sale typed into Hesabu).
async fn in_kes(
    db: &impl ConnectionTrait,
    sale: &PulledSale,
    totals: &DocumentTotals,
) -> Result<(Decimal, Decimal)> {
    let base = crate::company::load(db).await?.base_currency;
    if sale.currency.eq_ignore_ascii_case(&base) {
        return Ok((Decimal::ONE, totals.total));
    }
    let rate = sale.exchange_rate.normalize();
    if rate <= Decimal::ZERO || rate == Decimal::ONE || rate > Decimal::from(1_000_000) {
        return Err(Error::invalid(format!(
            "QuickBooks {} {} is in {} with exchange rate {}: Hesabu needs how many {base} one \
             {} is worth (turn multicurrency on in QuickBooks, or set the rate on the sale).",
            sale.doc_type.describe(),
            sale.remote_id,
            sale.currency,
            sale.exchange_rate,
            sale.currency
        )));
    }
    let converted = tax::in_base_currency(&inputs(sale), rate)?;
    let kes = tax::compute(&converted, sale.price_basis, &documents::rate_table())?;
    Ok((rate, kes.total))
}

/// Writes the pulled sale as a draft with the ledger's own figures and issues it (its number,
/// its event). Returns the document and the totals it was stored with, or `Ok(Err(why))` when
/// the ledger's maths refuses its figures (a quantity or discount out of range, a foreign sale
/// without its rate): nothing was written then, and the caller lists it for a person.
pub async fn issue_pulled_in(
    uow: &mut UnitOfWork,
    sale: &PulledSale,
) -> Result<std::result::Result<(sales_document::Model, DocumentTotals), Error>> {
    if sale.lines.is_empty() {
        return Err(Error::invalid(format!(
            "QuickBooks {} {} has no item lines.",
            sale.doc_type.describe(),
            sale.remote_id
        )));
    }
    let created_by = uow.actor().id.clone().ok_or_else(|| {
        Error::invalid("Pulling sales from QuickBooks needs a signed-in user (it issues them).")
    })?;
    let refused = |e: Error| match e {
        Error::InvalidInput(_) => Ok(Err(e)),
        other => Err(other),
    };
    let totals = match compute(sale) {
        Ok(t) => t,
        Err(e) => return refused(e),
    };
    let (exchange_rate, total_kes) = match in_kes(uow.db(), sale, &totals).await {
        Ok(k) => k,
        Err(e) => return refused(e),
    };
    let now = uow.now_text();
    let amount_paid = if sale.doc_type == SalesType::CashSale {
        totals.total
    } else {
        Decimal::ZERO
    };
    let doc = sales_document::Model {
        id: uow.new_id(),
        doc_type: sale.doc_type,
        status: SalesStatus::Draft,
        sequence_number: None,
        number: None,
        customer_id: sale.customer_id.clone(),
        customer_name: sale.customer_name.chars().take(60).collect(),
        customer_pin: None,
        issue_date: sale.issue_date.clone(),
        due_date: sale.due_date.clone(),
        currency: sale.currency.clone(),
        exchange_rate: exchange_rate.into(),
        price_basis: sale.price_basis.as_str().into(),
        payment_method: sale.payment_method.clone(),
        amount_paid: amount_paid.into(),
        notes: trimmed(sale.notes.as_deref(), 400),
        original_id: None,
        reason_code: None,
        total_taxable: totals.total_taxable.into(),
        total_tax: totals.total_tax.into(),
        total: totals.total.into(),
        total_kes: total_kes.into(),
        created_by,
        created_at: now.clone(),
        updated_at: now,
        issued_by: None,
        issued_at: None,
        fiscalised_at: None,
        voided_by: None,
        voided_at: None,
        void_reason: None,
        qbo_id: Some(sale.remote_id.clone()),
        qbo_sync_token: sale.sync_token.clone(),
    };
    let doc = sales_document::ActiveModel::from(doc)
        .insert(uow.db())
        .await?;
    for (i, (line, computed)) in sale.lines.iter().zip(&totals.lines).enumerate() {
        sales_line::ActiveModel::from(sales_line::Model {
            id: uow.new_id(),
            document_id: doc.id.clone(),
            position: i64::try_from(i + 1).unwrap_or(i64::MAX),
            item_id: line.item_id.clone(),
            original_line_id: None,
            description: line.description.chars().take(200).collect(),
            quantity: line.quantity.normalize().into(),
            unit_price: line.unit_price.normalize().into(),
            discount_kind: match line.discount {
                Discount::None => "none",
                Discount::Percent(_) => "percent",
                Discount::Amount(_) => "amount",
            }
            .into(),
            discount_value: match line.discount {
                Discount::None => Decimal::ZERO,
                Discount::Percent(v) | Discount::Amount(v) => v.normalize(),
            }
            .into(),
            tax_type: line.tax_type.as_str().into(),
            tax_rate: computed.rate.into(),
            supply_amount: computed.supply_amount.into(),
            discount_amount: computed.discount_amount.into(),
            taxable_amount: computed.taxable_amount.into(),
            tax_amount: computed.tax_amount.into(),
            total_amount: computed.total_amount.into(),
        })
        .insert(uow.db())
        .await?;
    }
    uow.audit(AuditDraft {
        action: "sale.pull",
        entity_type: "sale",
        entity_id: doc.id.clone(),
        before: None,
        after: Some(json!({
            "qbo_id": sale.remote_id,
            "qbo_sync_token": sale.sync_token,
            "doc_type": sale.doc_type,
            "total": totals.total,
        })),
    })
    .await?;
    let doc = documents::issue_in(uow, &doc.id, false).await?;
    Ok(Ok((doc, totals)))
}

/// KRA's reason for a credit note pulled from QuickBooks, which records none: 13, "other
/// reason". Simplification: a firm that wants the real reason raises the credit note in Hesabu.
pub const PULLED_CREDIT_REASON: &str = "13";

/// Writes a pulled credit memo as a ledger credit note against `original_id` (a sale Hesabu
/// issued) and issues it, through every check a credit note typed into Hesabu passes: the
/// original's customer, currency and basis, quantities and amounts no more than what remains
/// creditable. KRA's reason is [`PULLED_CREDIT_REASON`]. `Ok(Err(why))` when those checks
/// refuse it: nothing was written (the caller lists it for a person).
pub async fn issue_pulled_credit_note_in(
    uow: &mut UnitOfWork,
    sale: &PulledSale,
    original_id: &str,
) -> Result<std::result::Result<(sales_document::Model, DocumentTotals), Error>> {
    let new = documents::NewSale {
        doc_type: SalesType::CreditNote,
        customer: None,
        walk_in_name: None,
        issue_date: Some(sale.issue_date.clone()),
        due_date: None,
        currency: Some(sale.currency.clone()),
        // The original's rate, not QuickBooks' rate of the memo's day: VAT is reversed in KES
        // at the rate it was charged (a credit note's rule, `documents::prepare`). QuickBooks
        // keeps its own exchange gain or loss; the ledger's KES figures are KRA's.
        exchange_rate: None,
        price_basis: Some(sale.price_basis),
        payment_method: None,
        amount_paid: None,
        notes: sale.notes.clone(),
        original: Some(original_id.to_owned()),
        reason_code: Some(PULLED_CREDIT_REASON.to_owned()),
        lines: sale
            .lines
            .iter()
            .map(|l| documents::NewSaleLine {
                item: l.item_id.clone(),
                description: Some(l.description.clone()),
                quantity: l.quantity,
                unit_price: Some(l.unit_price),
                discount_percent: match l.discount {
                    Discount::Percent(p) => Some(p),
                    _ => None,
                },
                discount_amount: match l.discount {
                    Discount::Amount(a) => Some(a),
                    _ => None,
                },
                tax_type: Some(l.tax_type.as_str().to_owned()),
                original_line: None,
            })
            .collect(),
    };
    documents::create_pulled_in(uow, &new, &sale.remote_id, sale.sync_token.as_deref()).await
}

/// Where a pulled sale stands in the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaleState {
    pub id: String,
    pub status: SalesStatus,
    pub number: Option<String>,
    pub doc_type: SalesType,
}

/// The ledger state of the sale `id`, if it exists.
pub async fn sale_state(db: &impl ConnectionTrait, id: &str) -> Result<Option<SaleState>> {
    Ok(sales_document::Entity::find_by_id(id.to_owned())
        .one(db)
        .await?
        .map(|d| SaleState {
            id: d.id,
            status: d.status,
            number: d.number,
            doc_type: d.doc_type,
        }))
}

/// Keeps QuickBooks' current `SyncToken` on the sale (echo suppression; no content change).
pub async fn set_sale_sync_token_in(uow: &UnitOfWork, id: &str, token: Option<&str>) -> Result<()> {
    if let Some(doc) = sales_document::Entity::find_by_id(id.to_owned())
        .one(uow.db())
        .await?
    {
        let mut active = doc.into_active_model();
        active.qbo_sync_token = Set(token.map(str::to_owned));
        active.update(uow.db()).await?;
    }
    Ok(())
}

/// What became of a sale voided or deleted in QuickBooks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Voided {
    /// It was issued and not at KRA: voided here too.
    Voided,
    /// Already void.
    AlreadyVoid,
    /// KRA signed it, or its number may be out at KRA: only a credit note corrects it. The text
    /// says why.
    NeedsCreditNote(String),
}

/// Voids the pulled sale `id` because it was voided or deleted in QuickBooks, unless KRA has
/// (or may have) signed it.
pub async fn void_pulled_in(uow: &mut UnitOfWork, id: &str, reason: &str) -> Result<Voided> {
    let doc = documents::find(uow.db(), id).await?;
    match doc.status {
        SalesStatus::Void => return Ok(Voided::AlreadyVoid),
        SalesStatus::Fiscalised => {
            return Ok(Voided::NeedsCreditNote(format!(
                "{} is signed by KRA",
                documents::label(&doc)
            )));
        }
        _ => {}
    }
    if let Some(why) = super::fiscal::blocks_void(uow.db(), &doc.id).await? {
        return Ok(Voided::NeedsCreditNote(why));
    }
    let before_status = doc.status;
    let mut active = doc.into_active_model();
    active.status = Set(SalesStatus::Void);
    active.voided_by = Set(uow.actor().id.clone());
    active.voided_at = Set(Some(uow.now_text()));
    active.void_reason = Set(Some(reason.chars().take(400).collect()));
    active.updated_at = Set(uow.now_text());
    let doc = active.update(uow.db()).await?;
    uow.audit(AuditDraft {
        action: "sale.void",
        entity_type: "sale",
        entity_id: doc.id.clone(),
        before: Some(json!({"status": before_status})),
        after: Some(
            json!({"number": doc.number, "status": doc.status, "reason": reason,
            "source": SOURCE}),
        ),
    })
    .await?;
    workflows::events::record(
        uow,
        NewEvent {
            event_type: EventType::Updated,
            entity_type: doc.doc_type.event_entity().into(),
            entity_id: doc.id.clone(),
            source: SOURCE,
            payload: json!({"number": doc.number, "status": doc.status, "reason": reason}),
        },
    )
    .await?;
    Ok(Voided::Voided)
}

/// Reads `A`…`E` (for the tax-code mapping).
pub fn tax_type(text: &str) -> Result<TaxType> {
    TaxType::from_str(text)
}
