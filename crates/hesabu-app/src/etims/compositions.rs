//! Item compositions at KRA e-TIMS (`saveItemComposition`, spec §4 row 12): an item made of
//! other items, a bill of materials, e.g. a gift hamper of two bottles and a box.
//!
//! [`set`] replaces the composition of an item with the components given: each an item and the
//! exact quantity of it that goes into one composite item. It checks them (at least one
//! component, no item twice, the composite not among its own components nor inside one of
//! them, quantities greater than 0, every item registered at KRA already — KRA refuses a
//! composition naming an item it does not hold), stores them (`etims_composition`,
//! `etims_composition_component`), bumps the composition's version and queues one outbox row
//! with one frozen `saveItemComposition` request per component, idempotency key
//! `cpst:<item id>:v<version>`; one audited unit of work (`etims.composition.set`).
//!
//! KRA's call adds or updates one component; it has no way to remove one. A component dropped
//! from a composition is dropped here and no longer sent, but KRA keeps what it was last told
//! about it (a simplification the spec leaves no way around).

use std::collections::{BTreeSet, HashMap};
use std::str::FromStr;

use rust_decimal::Decimal;
use sea_orm::ConnectionTrait;
use serde::Serialize;
use serde_json::json;

use super::queued::{self, COMPOSITION_OPERATION, ItemRef, find_item, registrar, statement};
use hesabu_etims::types::items::ItemCompositionRequest;
use hesabu_store::audit::AuditDraft;
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::{Error, Result};
use hesabu_store::money::MAX_AMOUNT;
use hesabu_store::permissions::Permission;

/// At most this many components in one composition.
pub const MAX_COMPONENTS: usize = 100;

/// One component as asked for: an item (code, KRA item code or id) and how many of it go into
/// one composite item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentInput {
    pub item: String,
    pub quantity: Decimal,
}

impl FromStr for ComponentInput {
    type Err = Error;

    /// `CODE=QTY`, as `hesabu etims composition set ITEM --component CODE=QTY` takes it.
    fn from_str(text: &str) -> Result<Self> {
        let Some((item, quantity)) = text.split_once('=') else {
            return Err(Error::invalid(format!(
                "'{text}' is not a component: write the item's code, '=' and the quantity that \
                 goes into one composite item, e.g. BOTTLE-750=2."
            )));
        };
        let quantity = Decimal::from_str_exact(quantity.trim()).map_err(|_| {
            Error::invalid(format!(
                "The quantity of component '{}' is '{}', which is not a number: write it with a \
                 dot for decimals, e.g. 2 or 0.5.",
                item.trim(),
                quantity.trim()
            ))
        })?;
        Ok(ComponentInput {
            item: item.trim().to_owned(),
            quantity,
        })
    }
}

/// A stored component.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComponentView {
    pub item_id: String,
    pub code: String,
    pub name: String,
    pub kra_item_code: String,
    /// Exact decimal text.
    pub quantity: String,
}

/// An item's composition and where sending its last version stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CompositionView {
    pub item_id: String,
    pub code: String,
    pub name: String,
    pub kra_item_code: String,
    pub version: i64,
    pub components: Vec<ComponentView>,
    pub outbox_id: Option<String>,
    /// The outbox row's state: `ready`, `in_flight`, `done` (KRA has it) or `dead`.
    pub sync_state: Option<String>,
    pub sync_error: Option<String>,
    pub updated_at: String,
}

fn not_registered(what: &str, item: &ItemRef) -> String {
    format!(
        "{what} {} is not registered at KRA yet (its e-TIMS state is {}): register it first \
         (`hesabu etims item register {}`), then set the composition again.",
        item.label(),
        item.etims_state,
        item.code
    )
}

/// Checks the components against each other and the composite, without the database.
fn check_inputs(components: &[ComponentInput]) -> Result<()> {
    if components.is_empty() {
        return Err(Error::invalid(
            "A composition needs at least one component: give each as --component CODE=QTY.",
        ));
    }
    if components.len() > MAX_COMPONENTS {
        return Err(Error::invalid(format!(
            "A composition has at most {MAX_COMPONENTS} components; {} were given.",
            components.len()
        )));
    }
    for c in components {
        if c.quantity <= Decimal::ZERO {
            return Err(Error::invalid(format!(
                "Component {} has quantity {}: a component's quantity must be greater than 0 \
                 (how many of it go into one composite item).",
                c.item, c.quantity
            )));
        }
        if c.quantity > MAX_AMOUNT {
            return Err(Error::invalid(format!(
                "Component {} has quantity {}, more than the largest allowed ({MAX_AMOUNT}).",
                c.item, c.quantity
            )));
        }
    }
    Ok(())
}

/// The stored components of every composition, by composite item id (for the cycle check).
async fn all_components(db: &impl ConnectionTrait) -> Result<HashMap<String, Vec<String>>> {
    let rows = db
        .query_all_raw(statement(
            db,
            "SELECT item_id, component_item_id FROM etims_composition_component",
            vec![],
        ))
        .await?;
    let mut map: HashMap<String, Vec<String>> = HashMap::new();
    for r in rows {
        map.entry(r.try_get("", "item_id")?)
            .or_default()
            .push(r.try_get("", "component_item_id")?);
    }
    Ok(map)
}

/// Whether `target` is reachable from `start` through stored compositions.
fn contains(map: &HashMap<String, Vec<String>>, start: &str, target: &str) -> bool {
    let mut seen = BTreeSet::new();
    let mut stack = vec![start.to_owned()];
    while let Some(id) = stack.pop() {
        if id == target {
            return true;
        }
        if seen.insert(id.clone())
            && let Some(children) = map.get(&id)
        {
            stack.extend(children.iter().cloned());
        }
    }
    false
}

/// Sets the composition of `item_key` to `components` and queues it for KRA (see the module
/// docs). Needs `SalesMasterData` and an e-TIMS device.
pub async fn set(
    file: &CompanyFile,
    session: &Session,
    item_key: &str,
    components: &[ComponentInput],
) -> Result<CompositionView> {
    session.require(Permission::SalesMasterData)?;
    check_inputs(components)?;
    let mut uow = file.begin(session).await?;
    queued::require_device(uow.db()).await?;
    let composite = find_item(uow.db(), item_key).await?;
    if composite.etims_state != "registered" {
        return Err(Error::invalid(not_registered("Item", &composite)));
    }
    let stored = all_components(uow.db()).await?;
    let mut items = Vec::with_capacity(components.len());
    let mut seen = BTreeSet::new();
    for c in components {
        let item = find_item(uow.db(), &c.item).await?;
        if item.id == composite.id {
            return Err(Error::invalid(format!(
                "Item {} cannot be a component of itself: list only the items it is made of.",
                composite.label()
            )));
        }
        if !seen.insert(item.id.clone()) {
            return Err(Error::invalid(format!(
                "Component {} is listed twice: give each component once, with its whole \
                 quantity.",
                item.label()
            )));
        }
        if contains(&stored, &item.id, &composite.id) {
            return Err(Error::invalid(format!(
                "Component {} is itself made (directly or through its own components) of item \
                 {}: a composition cannot contain itself.",
                item.label(),
                composite.label()
            )));
        }
        if !item.active {
            return Err(Error::invalid(format!(
                "Component {} is inactive: reactivate it or leave it out.",
                item.label()
            )));
        }
        if item.etims_state != "registered" {
            return Err(Error::invalid(not_registered("Component", &item)));
        }
        items.push((item, c.quantity.normalize()));
    }

    let before = show_in(uow.db(), &composite).await?;
    let version = before.as_ref().map_or(0, |b| b.version) + 1;
    let now = uow.now_text();
    let user = session.user_id().to_owned();
    uow.db()
        .execute_raw(statement(
            uow.db(),
            "INSERT INTO etims_composition (item_id, version, outbox_id, updated_by, updated_at) \
             VALUES (?, ?, NULL, ?, ?) ON CONFLICT (item_id) DO UPDATE SET \
             version = excluded.version, updated_by = excluded.updated_by, \
             updated_at = excluded.updated_at",
            vec![
                composite.id.clone().into(),
                version.into(),
                user.into(),
                now.clone().into(),
            ],
        ))
        .await?;
    uow.db()
        .execute_raw(statement(
            uow.db(),
            "DELETE FROM etims_composition_component WHERE item_id = ?",
            vec![composite.id.clone().into()],
        ))
        .await?;
    let (regr_id, regr_nm) = registrar(session);
    let mut requests = Vec::with_capacity(items.len());
    for (position, (item, quantity)) in items.iter().enumerate() {
        uow.db()
            .execute_raw(statement(
                uow.db(),
                "INSERT INTO etims_composition_component \
                 (item_id, component_item_id, quantity, position) VALUES (?, ?, ?, ?)",
                vec![
                    composite.id.clone().into(),
                    item.id.clone().into(),
                    quantity.to_string().into(),
                    i64::try_from(position).unwrap_or(i64::MAX).into(),
                ],
            ))
            .await?;
        let request = ItemCompositionRequest {
            item_cd: composite.kra_item_code.clone(),
            cpst_item_cd: item.kra_item_code.clone(),
            cpst_qty: *quantity,
            regr_id: regr_id.clone(),
            regr_nm: regr_nm.clone(),
        };
        requests.push(
            serde_json::to_value(&request)
                .map_err(|e| Error::Internal(format!("a composition request: {e}")))?,
        );
    }
    let outbox_id = queued::enqueue(
        &mut uow,
        COMPOSITION_OPERATION,
        "item",
        &composite.id,
        version,
        queued::idempotency_key("cpst", &composite.id, version),
        requests,
    )
    .await?;
    uow.db()
        .execute_raw(statement(
            uow.db(),
            "UPDATE etims_composition SET outbox_id = ? WHERE item_id = ?",
            vec![outbox_id.clone().into(), composite.id.clone().into()],
        ))
        .await?;
    let after = show_in(uow.db(), &composite)
        .await?
        .ok_or_else(|| Error::Internal("the composition just stored is missing".into()))?;
    let summary = |v: &CompositionView| {
        json!({
            "version": v.version,
            "components": v.components.iter().map(|c| json!({
                "item": c.code,
                "kra_item_code": c.kra_item_code,
                "quantity": c.quantity,
            })).collect::<Vec<_>>(),
        })
    };
    uow.audit(AuditDraft {
        action: "etims.composition.set",
        entity_type: "item",
        entity_id: composite.id.clone(),
        before: before.as_ref().map(summary),
        after: Some(json!({ "outbox_id": outbox_id, "composition": summary(&after) })),
    })
    .await?;
    uow.commit().await?;
    Ok(after)
}

async fn show_in(db: &impl ConnectionTrait, item: &ItemRef) -> Result<Option<CompositionView>> {
    let Some(head) = db
        .query_one_raw(statement(
            db,
            "SELECT version, outbox_id, updated_at FROM etims_composition WHERE item_id = ?",
            vec![item.id.clone().into()],
        ))
        .await?
    else {
        return Ok(None);
    };
    let rows = db
        .query_all_raw(statement(
            db,
            "SELECT c.component_item_id, c.quantity, i.code, i.name, i.kra_item_code \
             FROM etims_composition_component c JOIN item i ON i.id = c.component_item_id \
             WHERE c.item_id = ? ORDER BY c.position",
            vec![item.id.clone().into()],
        ))
        .await?;
    let mut components = Vec::with_capacity(rows.len());
    for r in rows {
        components.push(ComponentView {
            item_id: r.try_get("", "component_item_id")?,
            code: r.try_get("", "code")?,
            name: r.try_get("", "name")?,
            kra_item_code: r.try_get("", "kra_item_code")?,
            quantity: r.try_get("", "quantity")?,
        });
    }
    let outbox_id: Option<String> = head.try_get("", "outbox_id")?;
    let (sync_state, sync_error) = queued::outbox_state(db, outbox_id.as_deref()).await?;
    Ok(Some(CompositionView {
        item_id: item.id.clone(),
        code: item.code.clone(),
        name: item.name.clone(),
        kra_item_code: item.kra_item_code.clone(),
        version: head.try_get("", "version")?,
        components,
        outbox_id,
        sync_state,
        sync_error,
        updated_at: head.try_get("", "updated_at")?,
    }))
}

/// The composition of `item_key`, `None` when it has none. Needs `SalesView`.
pub async fn show(
    file: &CompanyFile,
    session: &Session,
    item_key: &str,
) -> Result<Option<CompositionView>> {
    session.require(Permission::SalesView)?;
    let db = file.reader();
    let item = find_item(db, item_key).await?;
    show_in(db, &item).await
}

/// Every item's composition, by the composite item's code. Needs `SalesView`.
pub async fn list(file: &CompanyFile, session: &Session) -> Result<Vec<CompositionView>> {
    session.require(Permission::SalesView)?;
    let db = file.reader();
    let rows = db
        .query_all_raw(statement(
            db,
            "SELECT c.item_id FROM etims_composition c JOIN item i ON i.id = c.item_id \
             ORDER BY i.code",
            vec![],
        ))
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let id: String = r.try_get("", "item_id")?;
        let item = find_item(db, &id).await?;
        if let Some(view) = show_in(db, &item).await? {
            out.push(view);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(item: &str, q: &str) -> ComponentInput {
        ComponentInput {
            item: item.into(),
            quantity: Decimal::from_str_exact(q).unwrap(),
        }
    }

    #[test]
    fn components_parse_as_code_equals_quantity() {
        assert_eq!(
            "BOTTLE-750=2.5".parse::<ComponentInput>().unwrap(),
            c("BOTTLE-750", "2.5")
        );
        assert!("BOTTLE".parse::<ComponentInput>().is_err());
        assert!("BOTTLE=two".parse::<ComponentInput>().is_err());
    }

    #[test]
    fn quantities_must_be_positive_and_a_list_not_empty() {
        assert!(check_inputs(&[]).is_err());
        assert!(check_inputs(&[c("A", "0")]).is_err());
        assert!(check_inputs(&[c("A", "-1")]).is_err());
        assert!(check_inputs(&[c("A", "0.001")]).is_ok());
    }

    #[test]
    fn cycles_are_found_through_nested_compositions() {
        let mut map = HashMap::new();
        map.insert("kit".to_owned(), vec!["box".to_owned()]);
        map.insert("box".to_owned(), vec!["lid".to_owned()]);
        assert!(contains(&map, "kit", "lid"));
        assert!(!contains(&map, "box", "kit"));
    }
}
