//! Customers: who a sale is made to. A KRA PIN is optional (a consumer has none) but, when
//! given, is checked locally (spec §14) and unique: a second customer with the same PIN is
//! refused with the first one named.

use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use ts_rs::TS;

use super::{check_amount, check_len, clean, escape_like, next_number};
use crate::entities::customer;
use crate::workflows::{self, EventType, NewEvent};
use hesabu_store::audit::AuditDraft;
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::{Error, Result};
use hesabu_store::permissions::Permission;
use hesabu_store::uow::UnitOfWork;

/// A customer to add (or, in [`edit`], the new values of every field).
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
pub struct NewCustomer {
    pub name: String,
    #[serde(default)]
    pub kra_pin: Option<String>,
    /// `b2b` or `b2c`; by default b2b when a PIN is given, b2c otherwise.
    #[serde(default)]
    pub customer_type: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub mobile: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    /// KES; none: no limit.
    #[serde(default, with = "rust_decimal::serde::str_option")]
    #[ts(type = "string | null")]
    pub credit_limit: Option<Decimal>,
}

/// A customer as the services return it.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct CustomerView {
    pub id: String,
    pub number: String,
    pub name: String,
    pub kra_pin: Option<String>,
    pub customer_type: String,
    pub email: Option<String>,
    pub mobile: Option<String>,
    pub address: Option<String>,
    pub credit_limit: Option<String>,
    pub active: bool,
    pub qbo_id: Option<String>,
    pub etims_state: String,
    pub created_at: String,
    pub updated_at: String,
}

impl From<customer::Model> for CustomerView {
    fn from(m: customer::Model) -> Self {
        Self {
            id: m.id,
            number: m.number,
            name: m.name,
            kra_pin: m.kra_pin,
            customer_type: m.customer_type,
            email: m.email,
            mobile: m.mobile,
            address: m.address,
            credit_limit: m.credit_limit.map(|d| d.to_string()),
            active: m.active,
            qbo_id: m.qbo_id,
            etims_state: m.etims_state,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// What to list: `search` matches the name (anywhere), the number or the PIN.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
pub struct CustomerQuery {
    #[serde(default)]
    pub search: Option<String>,
    #[serde(default)]
    pub include_inactive: bool,
    #[serde(default)]
    #[ts(type = "number | null")]
    pub limit: Option<u64>,
}

/// The validated fields of a customer.
#[derive(Debug)]
struct Fields {
    name: String,
    kra_pin: Option<String>,
    customer_type: String,
    email: Option<String>,
    mobile: Option<String>,
    address: Option<String>,
    credit_limit: Option<Decimal>,
}

fn validate(new: &NewCustomer) -> Result<Fields> {
    let name = new.name.trim().to_owned();
    if name.is_empty() {
        return Err(Error::invalid("The customer needs a name."));
    }
    check_len("customer name", &name, 60)?;
    let kra_pin = match clean(new.kra_pin.as_deref()) {
        Some(pin) => Some(crate::company::validate_kra_pin(&pin)?),
        None => None,
    };
    let customer_type = match clean(new.customer_type.as_deref()).map(|t| t.to_lowercase()) {
        Some(t) if t == "b2b" || t == "b2c" => t,
        Some(other) => {
            return Err(Error::invalid(format!(
                "Customer type '{other}' is not known: use b2b (a business with a KRA PIN) or \
                 b2c (a consumer)."
            )));
        }
        None if kra_pin.is_some() => "b2b".into(),
        None => "b2c".into(),
    };
    if customer_type == "b2b" && kra_pin.is_none() {
        return Err(Error::invalid(
            "A b2b customer needs a KRA PIN (it goes on every invoice): give their KRA PIN, or make \
             the customer b2c.",
        ));
    }
    let email = match clean(new.email.as_deref()) {
        Some(e) => Some(crate::users::validate_email(&e)?),
        None => None,
    };
    let mobile = match clean(new.mobile.as_deref()) {
        Some(m) => Some(validate_mobile(&m)?),
        None => None,
    };
    let address = clean(new.address.as_deref());
    if let Some(a) = &address {
        check_len("address", a, 300)?;
    }
    let credit_limit = match new.credit_limit {
        Some(limit) => Some(check_amount("credit limit", limit, 2)?),
        None => None,
    };
    Ok(Fields {
        name,
        kra_pin,
        customer_type,
        email,
        mobile,
        address,
        credit_limit,
    })
}

/// `+254712345678`, `0712 345 678` or `254712345678`: digits (spaces and dashes dropped), an
/// optional leading `+`, 9 to 15 digits.
fn validate_mobile(text: &str) -> Result<String> {
    let compact: String = text
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
        .collect();
    let digits = compact.strip_prefix('+').unwrap_or(&compact);
    if (9..=15).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()) {
        Ok(compact)
    } else {
        Err(Error::invalid(format!(
            "'{text}' is not a phone number: write it like +254712345678 or 0712345678."
        )))
    }
}

/// Refuses a PIN another customer has, naming that customer.
async fn ensure_pin_free(
    db: &impl ConnectionTrait,
    pin: Option<&str>,
    except_id: Option<&str>,
) -> Result<()> {
    let Some(pin) = pin else { return Ok(()) };
    let mut query = customer::Entity::find().filter(customer::Column::KraPin.eq(pin));
    if let Some(id) = except_id {
        query = query.filter(customer::Column::Id.ne(id));
    }
    if let Some(existing) = query.one(db).await? {
        return Err(Error::Conflict(format!(
            "KRA PIN {pin} already belongs to customer {} {}. Use that customer, or correct the \
             PIN.",
            existing.number, existing.name
        )));
    }
    Ok(())
}

/// Adds a customer.
pub async fn add(file: &CompanyFile, session: &Session, new: &NewCustomer) -> Result<CustomerView> {
    session.require(Permission::SalesMasterData)?;
    let mut uow = file.begin(session).await?;
    let row = add_in(&mut uow, new).await?;
    uow.commit().await?;
    Ok(row.into())
}

/// Adds a customer inside `uow` (the import adds many in one).
pub(crate) async fn add_in(uow: &mut UnitOfWork, new: &NewCustomer) -> Result<customer::Model> {
    let fields = validate(new)?;
    ensure_pin_free(uow.db(), fields.kra_pin.as_deref(), None).await?;
    let seq = next_number(uow, "customer").await?;
    let now = uow.now_text();
    let row = customer::Model {
        id: uow.new_id(),
        number: format!("C-{seq:05}"),
        name_key: fields.name.to_lowercase(),
        name: fields.name,
        kra_pin: fields.kra_pin,
        customer_type: fields.customer_type,
        email: fields.email,
        mobile: fields.mobile,
        address: fields.address,
        credit_limit: fields.credit_limit.map(Into::into),
        active: true,
        qbo_id: None,
        qbo_sync_token: None,
        etims_state: "unregistered".into(),
        created_at: now.clone(),
        updated_at: now,
    };
    customer::ActiveModel::from(row.clone())
        .insert(uow.db())
        .await?;
    uow.audit(AuditDraft {
        action: "customer.add",
        entity_type: "customer",
        entity_id: row.id.clone(),
        before: None,
        after: Some(summary(&row)),
    })
    .await?;
    workflows::events::record(uow, event(&row, EventType::Created)).await?;
    Ok(row)
}

/// Replaces a customer's details. The number never changes.
pub async fn edit(
    file: &CompanyFile,
    session: &Session,
    key: &str,
    change: &NewCustomer,
) -> Result<CustomerView> {
    session.require(Permission::SalesMasterData)?;
    let fields = validate(change)?;
    let mut uow = file.begin(session).await?;
    let before = find(uow.db(), key).await?;
    ensure_pin_free(uow.db(), fields.kra_pin.as_deref(), Some(&before.id)).await?;
    let mut active = before.clone().into_active_model();
    active.name_key = Set(fields.name.to_lowercase());
    active.name = Set(fields.name);
    active.kra_pin = Set(fields.kra_pin);
    active.customer_type = Set(fields.customer_type);
    active.email = Set(fields.email);
    active.mobile = Set(fields.mobile);
    active.address = Set(fields.address);
    active.credit_limit = Set(fields.credit_limit.map(Into::into));
    active.updated_at = Set(uow.now_text());
    let after = active.update(uow.db()).await?;
    changed(&mut uow, "customer.edit", &before, &after).await?;
    uow.commit().await?;
    Ok(after.into())
}

/// Sets a customer inactive (never deleted: issued sales name them). New sales refuse them.
pub async fn set_active(
    file: &CompanyFile,
    session: &Session,
    key: &str,
    active_flag: bool,
) -> Result<CustomerView> {
    session.require(Permission::SalesMasterData)?;
    let mut uow = file.begin(session).await?;
    let before = find(uow.db(), key).await?;
    if before.active == active_flag {
        return Ok(before.into());
    }
    let mut active = before.clone().into_active_model();
    active.active = Set(active_flag);
    active.updated_at = Set(uow.now_text());
    let after = active.update(uow.db()).await?;
    let action = if active_flag {
        "customer.activate"
    } else {
        "customer.deactivate"
    };
    changed(&mut uow, action, &before, &after).await?;
    uow.commit().await?;
    Ok(after.into())
}

async fn changed(
    uow: &mut UnitOfWork,
    action: &'static str,
    before: &customer::Model,
    after: &customer::Model,
) -> Result<()> {
    uow.audit(AuditDraft {
        action,
        entity_type: "customer",
        entity_id: after.id.clone(),
        before: Some(summary(before)),
        after: Some(summary(after)),
    })
    .await?;
    workflows::events::record(uow, event(after, EventType::Updated)).await?;
    Ok(())
}

/// One customer by id, number (C-00001), KRA PIN or exact name.
pub async fn show(file: &CompanyFile, session: &Session, key: &str) -> Result<CustomerView> {
    session.require(Permission::SalesView)?;
    Ok(find(file.reader(), key).await?.into())
}

/// Customers by name, newest changes last; `search` over name, number and PIN.
pub async fn list(
    file: &CompanyFile,
    session: &Session,
    query: &CustomerQuery,
) -> Result<Vec<CustomerView>> {
    session.require(Permission::SalesView)?;
    let mut select = customer::Entity::find().order_by_asc(customer::Column::NameKey);
    if !query.include_inactive {
        select = select.filter(customer::Column::Active.eq(true));
    }
    if let Some(text) = clean(query.search.as_deref()) {
        let like = format!("%{}%", escape_like(&text.to_lowercase()));
        let upper = text.to_uppercase();
        select = select.filter(
            sea_orm::Condition::any()
                .add(customer::Column::NameKey.like(like))
                .add(customer::Column::Number.eq(upper.clone()))
                .add(customer::Column::KraPin.eq(upper)),
        );
    }
    let rows = select
        .limit(query.limit.unwrap_or(500).min(5000))
        .all(file.reader())
        .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// A customer by id, number, PIN or exact (case-insensitive) name.
pub(crate) async fn find(db: &impl ConnectionTrait, key: &str) -> Result<customer::Model> {
    let key = key.trim();
    let upper = key.to_uppercase();
    let found = customer::Entity::find()
        .filter(
            sea_orm::Condition::any()
                .add(customer::Column::Id.eq(key))
                .add(customer::Column::Number.eq(upper.clone()))
                .add(customer::Column::KraPin.eq(upper))
                .add(customer::Column::NameKey.eq(key.to_lowercase())),
        )
        .all(db)
        .await?;
    match found.len() {
        1 => Ok(found.into_iter().next().expect("one row")),
        0 => Err(Error::NotFound(format!(
            "There is no customer '{key}'. Use the customer's number (C-00001), KRA PIN or exact \
             name; the customer list shows them."
        ))),
        _ => Err(Error::invalid(format!(
            "'{key}' names more than one customer ({}). Use the customer's number instead.",
            found
                .iter()
                .map(|c| c.number.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

fn summary(c: &customer::Model) -> Value {
    json!({
        "number": c.number,
        "name": c.name,
        "kra_pin": c.kra_pin,
        "customer_type": c.customer_type,
        "email": c.email,
        "mobile": c.mobile,
        "address": c.address,
        "credit_limit": c.credit_limit,
        "active": c.active,
    })
}

/// The event customer_sync listens to, with the customer's real data.
fn event(c: &customer::Model, event_type: EventType) -> NewEvent {
    NewEvent {
        event_type,
        entity_type: "customer".into(),
        entity_id: c.id.clone(),
        source: "local",
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobiles_keep_digits_and_refuse_words() {
        assert_eq!(validate_mobile("0712 345-678").unwrap(), "0712345678");
        assert_eq!(validate_mobile("+254712345678").unwrap(), "+254712345678");
        assert!(validate_mobile("call me").is_err());
        assert!(validate_mobile("12").is_err());
    }

    #[test]
    fn a_business_needs_a_pin_and_the_type_follows_it() {
        let mut c = NewCustomer {
            name: "Acme".into(),
            ..Default::default()
        };
        assert_eq!(validate(&c).unwrap().customer_type, "b2c");
        c.kra_pin = Some(" p051234567x ".into());
        let f = validate(&c).unwrap();
        assert_eq!(f.customer_type, "b2b");
        assert_eq!(f.kra_pin.as_deref(), Some("P051234567X"));
        c.kra_pin = None;
        c.customer_type = Some("B2B".into());
        assert!(validate(&c).unwrap_err().to_string().contains("KRA PIN"));
        c.kra_pin = Some("X1".into());
        assert!(validate(&c).is_err());
    }
}
