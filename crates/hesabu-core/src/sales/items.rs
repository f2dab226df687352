//! Items: what is sold. Each carries what KRA needs on a sale line (classification, packaging
//! and quantity units, tax type, product type, origin) and its KRA item code (`itemCd`, spec
//! §7.1), assigned once when the item is added and never changed afterwards — KRA keys stock and
//! sales on it.

use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use ts_rs::TS;

use super::tax::TaxType;
use super::{check_amount, check_len, clean, escape_like, next_number};
use crate::entities::item;
use crate::workflows::{self, EventType, NewEvent};
use hesabu_store::audit::AuditDraft;
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::{Error, Result};
use hesabu_store::permissions::Permission;
use hesabu_store::uow::UnitOfWork;

/// KRA code class 10 (quantity units), the snapshot in spec §9. The e-TIMS code-list refresh
/// will reconcile it with KRA's live list; until then these are the accepted codes.
pub const QUANTITY_UNITS: &[(&str, &str)] = &[
    ("4B", "pair"),
    ("AV", "cap"),
    ("BA", "barrel"),
    ("BE", "bundle"),
    ("BG", "bag"),
    ("BL", "block"),
    ("BLL", "barrel (petroleum)"),
    ("BX", "box"),
    ("CA", "can"),
    ("CEL", "cell"),
    ("CMT", "centimetre"),
    ("CR", "carat"),
    ("DR", "drum"),
    ("DZ", "dozen"),
    ("GLL", "gallon"),
    ("GRM", "gram"),
    ("GRO", "gross"),
    ("KG", "kilogram"),
    ("KTM", "kilometre"),
    ("KWT", "kilowatt"),
    ("L", "litre"),
    ("LBR", "pound"),
    ("LK", "link"),
    ("LTR", "litre"),
    ("M", "metre"),
    ("M2", "square metre"),
    ("M3", "cubic metre"),
    ("MGM", "milligram"),
    ("MTR", "metre"),
    ("MWT", "megawatt hour"),
    ("NO", "number"),
    ("NX", "part per thousand"),
    ("PA", "packet"),
    ("PG", "plate"),
    ("PR", "pair"),
    ("RL", "reel"),
    ("RO", "roll"),
    ("SET", "set"),
    ("ST", "sheet"),
    ("TNE", "tonne"),
    ("TU", "tube"),
    ("U", "pieces/item"),
    ("YRD", "yard"),
];

/// KRA code class 17 (packaging units), the snapshot in spec §9.
pub const PACKAGING_UNITS: &[(&str, &str)] = &[
    ("AM", "ampoule"),
    ("BA", "barrel"),
    ("BC", "bottle crate"),
    ("BE", "bundle"),
    ("BF", "balloon, non-protected"),
    ("BG", "bag"),
    ("BJ", "bucket"),
    ("BK", "basket"),
    ("BL", "bale"),
    ("BQ", "bottle, protected cylindrical"),
    ("BR", "bar"),
    ("BV", "bottle, bulbous"),
    ("BZ", "bag"),
    ("CA", "can"),
    ("CH", "chest"),
    ("CJ", "coffin"),
    ("CL", "coil"),
    ("CR", "wooden box, case"),
    ("CS", "cassette"),
    ("CT", "carton"),
    ("CTN", "container"),
    ("CY", "cylinder"),
    ("DR", "drum"),
    ("GT", "extra countable item"),
    ("HH", "hand baggage"),
    ("IZ", "ingots"),
    ("JR", "jar"),
    ("JU", "jug"),
    ("JY", "jerry can, cylindrical"),
    ("KZ", "canister"),
    ("LZ", "logs, in bundle"),
    ("ML", "mills (cigarettes)"),
    ("NT", "net"),
    ("OU", "non-exterior packaging unit (services)"),
    ("PD", "poddon"),
    ("PG", "plate"),
    ("PI", "pipe"),
    ("PO", "pilot"),
    ("PU", "tray pack"),
    ("RL", "reel"),
    ("RO", "roll"),
    ("RZ", "rods, in bundle"),
    ("SK", "skeleton case"),
    ("TN", "TAN (20 bags)"),
    ("TY", "tank, cylindrical"),
    ("VG", "bulk, gas"),
    ("VL", "bulk, liquid"),
    ("VO", "bulk, solid, large particles"),
    ("VQ", "bulk, liquefied gas"),
    ("VR", "bulk, solid, granular particles"),
    ("VT", "extra bulk item"),
    ("VY", "bulk, fine particles (powder)"),
];

/// What an item is, for KRA (code class 24, `itemTyCd`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ProductType {
    RawMaterial,
    FinishedGood,
    /// Sold without stock (KRA requires stock only for goods).
    Service,
}

impl ProductType {
    pub fn as_str(self) -> &'static str {
        match self {
            ProductType::RawMaterial => "raw_material",
            ProductType::FinishedGood => "finished_good",
            ProductType::Service => "service",
        }
    }

    /// KRA's `itemTyCd`: 1, 2 or 3.
    pub fn kra_code(self) -> &'static str {
        match self {
            ProductType::RawMaterial => "1",
            ProductType::FinishedGood => "2",
            ProductType::Service => "3",
        }
    }

    pub fn parse(text: &str) -> Result<Self> {
        match text.trim().to_lowercase().replace([' ', '-'], "_").as_str() {
            "raw_material" | "1" => Ok(ProductType::RawMaterial),
            "finished_good" | "finished_product" | "good" | "goods" | "2" => {
                Ok(ProductType::FinishedGood)
            }
            "service" | "services" | "3" => Ok(ProductType::Service),
            other => Err(Error::invalid(format!(
                "Product type '{other}' is not known: use raw_material, finished_good or \
                 service."
            ))),
        }
    }
}

/// An item to add (or, in [`edit`], the new values; the code and KRA item code stay).
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
pub struct NewItem {
    /// Our code (SKU), unique.
    pub code: String,
    pub name: String,
    /// KRA item classification code (`itemClsCd`, 8 or 10 digits).
    #[serde(default)]
    pub classification_code: Option<String>,
    /// Code class 17; default `OU` for a service, `NT` for goods.
    #[serde(default)]
    pub packaging_unit: Option<String>,
    /// Code class 10; default `NO` (number).
    #[serde(default)]
    pub quantity_unit: Option<String>,
    /// A to E.
    pub tax_type: String,
    /// raw_material | finished_good | service.
    pub product_type: String,
    /// Two letters, default `KE`.
    #[serde(default)]
    pub origin_country: Option<String>,
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub unit_price: Decimal,
    #[serde(default)]
    pub barcode: Option<String>,
    #[serde(default)]
    pub service_level: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ItemView {
    pub id: String,
    pub code: String,
    pub name: String,
    pub classification_code: Option<String>,
    pub packaging_unit: String,
    pub quantity_unit: String,
    pub tax_type: TaxType,
    pub product_type: ProductType,
    pub origin_country: String,
    pub unit_price: String,
    pub barcode: Option<String>,
    pub service_level: Option<String>,
    pub active: bool,
    pub kra_item_code: String,
    pub qbo_id: Option<String>,
    pub etims_state: String,
    pub created_at: String,
    pub updated_at: String,
}

impl TryFrom<item::Model> for ItemView {
    type Error = Error;
    fn try_from(m: item::Model) -> Result<Self> {
        Ok(Self {
            tax_type: m.tax_type.parse()?,
            product_type: ProductType::parse(&m.product_type)?,
            id: m.id,
            code: m.code,
            name: m.name,
            classification_code: m.classification_code,
            packaging_unit: m.packaging_unit,
            quantity_unit: m.quantity_unit,
            origin_country: m.origin_country,
            unit_price: m.unit_price.to_string(),
            barcode: m.barcode,
            service_level: m.service_level,
            active: m.active,
            kra_item_code: m.kra_item_code,
            qbo_id: m.qbo_id,
            etims_state: m.etims_state,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
pub struct ItemQuery {
    /// Matches the code (prefix), the name (anywhere) or the barcode.
    #[serde(default)]
    pub search: Option<String>,
    #[serde(default)]
    pub include_inactive: bool,
    #[serde(default)]
    #[ts(type = "number | null")]
    pub limit: Option<u64>,
}

#[derive(Debug)]
struct Fields {
    code: String,
    name: String,
    classification_code: Option<String>,
    packaging_unit: String,
    quantity_unit: String,
    tax_type: TaxType,
    product_type: ProductType,
    origin_country: String,
    unit_price: Decimal,
    barcode: Option<String>,
    service_level: Option<String>,
}

fn unit(what: &str, text: Option<&str>, default: &str, list: &[(&str, &str)]) -> Result<String> {
    let code = clean(text).map_or_else(|| default.to_owned(), |t| t.to_uppercase());
    if list.iter().any(|(c, _)| *c == code) {
        Ok(code)
    } else {
        Err(Error::invalid(format!(
            "'{code}' is not a KRA {what} code. Use one of: {}.",
            list.iter()
                .map(|(c, n)| format!("{c} ({n})"))
                .collect::<Vec<_>>()
                .join(", ")
        )))
    }
}

fn validate(new: &NewItem) -> Result<Fields> {
    let code = new.code.trim().to_owned();
    if code.is_empty() {
        return Err(Error::invalid(
            "The item needs a code (your SKU), e.g. SRV-001.",
        ));
    }
    check_len("item code", &code, 40)?;
    let name = new.name.trim().to_owned();
    if name.is_empty() {
        return Err(Error::invalid(format!("Item {code} needs a name.")));
    }
    check_len("item name", &name, 200)?;
    let classification_code = clean(new.classification_code.as_deref());
    if let Some(c) = &classification_code
        && (!matches!(c.len(), 6 | 8 | 10) || !c.chars().all(|ch| ch.is_ascii_digit()))
    {
        return Err(Error::invalid(format!(
            "Classification code '{c}' is not a KRA item class: use the 8- or 10-digit code \
             from KRA's item classification list, e.g. 81121500."
        )));
    }
    let product_type = ProductType::parse(&new.product_type)?;
    let default_pkg = if product_type == ProductType::Service {
        "OU"
    } else {
        "NT"
    };
    let packaging_unit = unit(
        "packaging unit",
        new.packaging_unit.as_deref(),
        default_pkg,
        PACKAGING_UNITS,
    )?;
    let quantity_unit = unit(
        "quantity unit",
        new.quantity_unit.as_deref(),
        "NO",
        QUANTITY_UNITS,
    )?;
    let tax_type: TaxType = new.tax_type.parse()?;
    let origin_country =
        clean(new.origin_country.as_deref()).map_or_else(|| "KE".to_owned(), |c| c.to_uppercase());
    if origin_country.len() != 2 || !origin_country.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(Error::invalid(format!(
            "Origin country '{origin_country}' is not a two-letter country code such as KE, \
             CN or DE."
        )));
    }
    let unit_price = check_amount("unit price", new.unit_price, 4)?;
    let barcode = clean(new.barcode.as_deref());
    if let Some(b) = &barcode {
        check_len("barcode", b, 20)?;
    }
    Ok(Fields {
        code,
        name,
        classification_code,
        packaging_unit,
        quantity_unit,
        tax_type,
        product_type,
        origin_country,
        unit_price,
        barcode,
        service_level: clean(new.service_level.as_deref()),
    })
}

/// The KRA item code, spec §7.1: origin (2) + item type (1) + packaging unit (2) + quantity unit
/// (2) + a 7-digit sequence, a one-letter unit padded with `X` (`KE1NTXU0000001`). A three-letter
/// unit (BLL, LTR…) is kept whole, which the legacy gateway accepts; the integrator gateway's
/// stricter form (2-letter units only) is the e-TIMS issue's to enforce per device.
pub fn kra_item_code(
    origin: &str,
    product_type: ProductType,
    packaging_unit: &str,
    quantity_unit: &str,
    sequence: i64,
) -> String {
    let pad = |u: &str| {
        if u.len() == 1 {
            format!("X{u}")
        } else {
            u.to_owned()
        }
    };
    format!(
        "{origin}{}{}{}{sequence:07}",
        product_type.kra_code(),
        pad(packaging_unit),
        pad(quantity_unit)
    )
}

/// Adds an item and assigns its KRA item code.
pub async fn add(file: &CompanyFile, session: &Session, new: &NewItem) -> Result<ItemView> {
    session.require(Permission::SalesMasterData)?;
    let mut uow = file.begin(session).await?;
    let row = add_in(&mut uow, new).await?;
    uow.commit().await?;
    row.try_into()
}

pub(crate) async fn add_in(uow: &mut UnitOfWork, new: &NewItem) -> Result<item::Model> {
    let f = validate(new)?;
    if let Some(existing) = item::Entity::find()
        .filter(item::Column::Code.eq(f.code.clone()))
        .one(uow.db())
        .await?
    {
        return Err(Error::Conflict(format!(
            "Item code {} is already used by '{}'. Choose another code, or edit that item.",
            existing.code, existing.name
        )));
    }
    let seq = next_number(uow, "kra_item_code").await?;
    let now = uow.now_text();
    let row = item::Model {
        id: uow.new_id(),
        kra_item_code: kra_item_code(
            &f.origin_country,
            f.product_type,
            &f.packaging_unit,
            &f.quantity_unit,
            seq,
        ),
        code: f.code,
        name_key: f.name.to_lowercase(),
        name: f.name,
        classification_code: f.classification_code,
        packaging_unit: f.packaging_unit,
        quantity_unit: f.quantity_unit,
        tax_type: f.tax_type.as_str().into(),
        product_type: f.product_type.as_str().into(),
        origin_country: f.origin_country,
        unit_price: f.unit_price.into(),
        barcode: f.barcode,
        service_level: f.service_level,
        active: true,
        qbo_id: None,
        qbo_sync_token: None,
        etims_state: "unregistered".into(),
        created_at: now.clone(),
        updated_at: now,
    };
    item::ActiveModel::from(row.clone())
        .insert(uow.db())
        .await?;
    uow.audit(AuditDraft {
        action: "item.add",
        entity_type: "item",
        entity_id: row.id.clone(),
        before: None,
        after: Some(summary(&row)),
    })
    .await?;
    workflows::events::record(uow, event(&row, EventType::Created)).await?;
    Ok(row)
}

/// Replaces an item's details. Its code and KRA item code never change.
pub async fn edit(
    file: &CompanyFile,
    session: &Session,
    key: &str,
    change: &NewItem,
) -> Result<ItemView> {
    session.require(Permission::SalesMasterData)?;
    let mut uow = file.begin(session).await?;
    let before = find(uow.db(), key).await?;
    let mut change = change.clone();
    if change.code.trim().is_empty() {
        change.code = before.code.clone();
    }
    let f = validate(&change)?;
    if f.code != before.code {
        return Err(Error::invalid(format!(
            "An item's code cannot change (it is {}); add a new item instead.",
            before.code
        )));
    }
    let mut active = before.clone().into_active_model();
    active.name_key = Set(f.name.to_lowercase());
    active.name = Set(f.name);
    active.classification_code = Set(f.classification_code);
    active.packaging_unit = Set(f.packaging_unit);
    active.quantity_unit = Set(f.quantity_unit);
    active.tax_type = Set(f.tax_type.as_str().into());
    active.product_type = Set(f.product_type.as_str().into());
    active.origin_country = Set(f.origin_country);
    active.unit_price = Set(f.unit_price.into());
    active.barcode = Set(f.barcode);
    active.service_level = Set(f.service_level);
    active.updated_at = Set(uow.now_text());
    let after = active.update(uow.db()).await?;
    changed(&mut uow, "item.edit", &before, &after).await?;
    uow.commit().await?;
    after.try_into()
}

/// Sets an item inactive or active again (never deleted: issued sales name it).
pub async fn set_active(
    file: &CompanyFile,
    session: &Session,
    key: &str,
    active_flag: bool,
) -> Result<ItemView> {
    session.require(Permission::SalesMasterData)?;
    let mut uow = file.begin(session).await?;
    let before = find(uow.db(), key).await?;
    if before.active == active_flag {
        return before.try_into();
    }
    let mut active = before.clone().into_active_model();
    active.active = Set(active_flag);
    active.updated_at = Set(uow.now_text());
    let after = active.update(uow.db()).await?;
    let action = if active_flag {
        "item.activate"
    } else {
        "item.deactivate"
    };
    changed(&mut uow, action, &before, &after).await?;
    uow.commit().await?;
    after.try_into()
}

async fn changed(
    uow: &mut UnitOfWork,
    action: &'static str,
    before: &item::Model,
    after: &item::Model,
) -> Result<()> {
    uow.audit(AuditDraft {
        action,
        entity_type: "item",
        entity_id: after.id.clone(),
        before: Some(summary(before)),
        after: Some(summary(after)),
    })
    .await?;
    workflows::events::record(uow, event(after, EventType::Updated)).await?;
    Ok(())
}

pub async fn show(file: &CompanyFile, session: &Session, key: &str) -> Result<ItemView> {
    session.require(Permission::SalesView)?;
    find(file.reader(), key).await?.try_into()
}

pub async fn list(
    file: &CompanyFile,
    session: &Session,
    query: &ItemQuery,
) -> Result<Vec<ItemView>> {
    session.require(Permission::SalesView)?;
    let mut select = item::Entity::find().order_by_asc(item::Column::Code);
    if !query.include_inactive {
        select = select.filter(item::Column::Active.eq(true));
    }
    if let Some(text) = clean(query.search.as_deref()) {
        let cleaned = escape_like(&text);
        select = select.filter(
            sea_orm::Condition::any()
                .add(item::Column::Code.like(format!("{cleaned}%")))
                .add(item::Column::NameKey.like(format!("%{}%", cleaned.to_lowercase())))
                .add(item::Column::Barcode.eq(text.clone())),
        );
    }
    select
        .limit(query.limit.unwrap_or(500).min(5000))
        .all(file.reader())
        .await?
        .into_iter()
        .map(TryInto::try_into)
        .collect()
}

/// An item by id, code, KRA item code or barcode.
pub(crate) async fn find(db: &impl ConnectionTrait, key: &str) -> Result<item::Model> {
    let key = key.trim();
    let found = item::Entity::find()
        .filter(
            sea_orm::Condition::any()
                .add(item::Column::Id.eq(key))
                .add(item::Column::Code.eq(key))
                .add(item::Column::KraItemCode.eq(key))
                .add(item::Column::Barcode.eq(key)),
        )
        .all(db)
        .await?;
    match found.len() {
        1 => Ok(found.into_iter().next().expect("one row")),
        0 => Err(Error::NotFound(format!(
            "There is no item '{key}'. Use the item's code; the item list shows them."
        ))),
        _ => Err(Error::invalid(format!(
            "'{key}' matches more than one item; use the item's code."
        ))),
    }
}

fn summary(i: &item::Model) -> Value {
    json!({
        "code": i.code,
        "name": i.name,
        "classification_code": i.classification_code,
        "packaging_unit": i.packaging_unit,
        "quantity_unit": i.quantity_unit,
        "tax_type": i.tax_type,
        "product_type": i.product_type,
        "origin_country": i.origin_country,
        "unit_price": i.unit_price,
        "barcode": i.barcode,
        "active": i.active,
        "kra_item_code": i.kra_item_code,
    })
}

/// The event item_sync listens to, with the item's real data (`tax_category`, `item_type` are
/// the keys its filters read).
fn event(i: &item::Model, event_type: EventType) -> NewEvent {
    let item_type = ProductType::parse(&i.product_type).map_or("", |t| t.kra_code());
    NewEvent {
        event_type,
        entity_type: "item".into(),
        entity_id: i.id.clone(),
        source: "local",
        payload: json!({
            "code": i.code,
            "name": i.name,
            "kra_item_code": i.kra_item_code,
            "classification_code": i.classification_code,
            "tax_category": i.tax_type,
            "item_type": item_type,
            "packaging_unit": i.packaging_unit,
            "quantity_unit": i.quantity_unit,
            "origin_country": i.origin_country,
            "unit_price": i.unit_price,
            "active": i.active,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_codes_follow_the_spec_layout() {
        assert_eq!(
            kra_item_code("KE", ProductType::FinishedGood, "NT", "BA", 12),
            "KE2NTBA0000012"
        );
        assert_eq!(
            kra_item_code("KE", ProductType::RawMaterial, "NT", "U", 1),
            "KE1NTXU0000001"
        );
    }

    #[test]
    fn units_are_checked_against_the_code_lists() {
        let mut new = NewItem {
            code: "X".into(),
            name: "Thing".into(),
            tax_type: "B".into(),
            product_type: "service".into(),
            unit_price: Decimal::ONE,
            ..Default::default()
        };
        let f = validate(&new).unwrap();
        assert_eq!(
            (f.packaging_unit.as_str(), f.quantity_unit.as_str()),
            ("OU", "NO")
        );
        new.quantity_unit = Some("parsec".into());
        let err = validate(&new).unwrap_err().to_string();
        assert!(err.contains("not a KRA quantity unit"), "{err}");
        new.quantity_unit = Some("kg".into());
        assert_eq!(validate(&new).unwrap().quantity_unit, "KG");
    }
}
