//! Stock at KRA e-TIMS (spec §7.4, §10; go-live cases 17, 18, 19): a local stock ledger of the
//! goods items, every movement reported to KRA, and KRA's own list of the device's movements.
//!
//! - **The ledger**: a movement (`etims_stock_movement`) is one `insertStockIO` at KRA, with
//!   its goods lines (`etims_stock_line`, signed quantities) and the remaining quantity of each
//!   item moved with it (`etims_stock_level`). Services are never stocked (KRA: `itemTyCd` 3
//!   "without stock"); their lines are skipped.
//! - **[`record_movement`]**, in the caller's unit of work: records the movement, takes the
//!   device's next `sarNo` (strictly last + 1: KRA's third counter, apart from sales and
//!   purchases, spec §11.3) and queues one frozen `etims` outbox row (operation
//!   [`STOCK_OPERATION`]) carrying `insertStockIO` then one `saveStockMaster` per item touched
//!   (`rsdQty` the item's new remaining quantity). The row is on the fiscal lane (ordering key
//!   `etims:fiscal`, FIFO with the sales): opening stock recorded before a sale reaches KRA
//!   before it, and the stock-out of a sale, queued when KRA signs the sale, after it (spec
//!   §10: the sale first). A movement is recorded once per source and kind: recording it again
//!   answers the `sarNo` it has.
//! - **Sales**: [`record_signed_sale_in`], called by the fiscal flow in the unit of work that
//!   stores KRA's signature: a sale of goods moves stock out (`11`), a credit note brings it
//!   back in (`03`, see [`StockMovementKind::sar_ty_cd`]). Never for a sale KRA did not sign.
//! - **By hand**: [`opening`] and [`adjust`], audited units of work (`etims.stock.opening`,
//!   `etims.stock.adjust`) needing `SalesMasterData`.
//! - **The checklist**: on the integrator gateway a sale of goods whose item has no stock at KRA
//!   is refused by KRA (spec §7.4); [`sale_findings`] blocks it first, with the fix.
//! - **KRA's list** (`selectStockMoveList`): [`refresh_kra_moves`], pulled by the daily job
//!   (`kra_records::send_refresh`) with its own `resultDt` watermark (row `stock_moves` of
//!   `etims_kra_sync`), listed by [`kra_moves`].
//!
//! Simplifications: one stock location (no warehouses or branches); no average cost kept (each
//! line carries the unit price it was recorded with); the amounts reported are the quantity
//! times that price on the exclusive basis with the item's tax type (a sale's stock-out uses the
//! line's taxable amount per unit); a sale of goods may take the local quantity below zero (KRA
//! signed it already; the level shows it); a `sarNo` is never released: a movement KRA refuses
//! for good leaves its row dead, and later movements wait on KRA's "expected N" until a person
//! retries it. A resend after a lost answer that KRA answers with `994` (the number is taken) is
//! taken as our own earlier attempt (the fiscal lane sends one at a time, in order).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, QueryResult};
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};
use ts_rs::TS;

use super::device::{self, client_error};
use super::queued::{self, cut, statement};
use super::reference::no_device;
use hesabu_core::sales::SalesType;
use hesabu_core::sales::documents::rate_table;
use hesabu_core::sales::fiscal::{self as ledger, FiscalContext, GatewayProfile};
use hesabu_core::sales::items::ProductType;
use hesabu_core::sales::tax::{self, Discount, LineInput, PriceBasis, TaxType};
use hesabu_core::workflows::executions::ETIMS_TARGET;
use hesabu_etims::types::stock::{StockIoItem, StockIoRequest, StockMasterRequest};
use hesabu_etims::{Client, Endpoint, NoData, Timeouts, dates};
use hesabu_store::audit::AuditDraft;
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::{Error, Result};
use hesabu_store::limits;
use hesabu_store::money::MAX_AMOUNT;
use hesabu_store::outbox::{Ack, NewOutboxItem, OutboxItem, SendError};
use hesabu_store::permissions::Permission;
use hesabu_store::secrets::SecretStore;
use hesabu_store::uow::UnitOfWork;

use super::fiscal::Problem;

/// The outbox operation of a stock movement: `insertStockIO` then `saveStockMaster` per item.
pub const STOCK_OPERATION: &str = "stock.io";

/// The fiscal lane (`hesabu_core::workflows::executions`' ordering key of the sales): stock
/// movements share it so that KRA receives them in order with the sales (spec §10, §11.4 step 6).
const FISCAL_ORDERING_KEY: &str = "etims:fiscal";

/// The `etims_kra_sync` row of KRA's stock movement list.
const KRA_MOVES_LIST: &str = "stock_moves";

// ---- the public API ----------------------------------------------------------------------------

/// One line of a movement: an item (its id) and a quantity greater than 0 (the kind says in or
/// out), at a unit price (cost or sale price; reported to KRA, never 0 there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockLine {
    pub item_id: String,
    pub quantity: Decimal,
    pub unit_price: Decimal,
}

/// Why stock moved; each maps to one code of KRA's class 12 (stock in/out type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum StockMovementKind {
    Opening,
    Purchase,
    Sale,
    SaleReturn,
    AdjustmentIn,
    AdjustmentOut,
}

impl StockMovementKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StockMovementKind::Opening => "opening",
            StockMovementKind::Purchase => "purchase",
            StockMovementKind::Sale => "sale",
            StockMovementKind::SaleReturn => "sale_return",
            StockMovementKind::AdjustmentIn => "adjustment_in",
            StockMovementKind::AdjustmentOut => "adjustment_out",
        }
    }

    pub fn parse(text: &str) -> Result<Self> {
        [
            StockMovementKind::Opening,
            StockMovementKind::Purchase,
            StockMovementKind::Sale,
            StockMovementKind::SaleReturn,
            StockMovementKind::AdjustmentIn,
            StockMovementKind::AdjustmentOut,
        ]
        .into_iter()
        .find(|k| k.as_str() == text)
        .ok_or_else(|| Error::Internal(format!("the stored stock movement kind '{text}'")))
    }

    /// KRA's `sarTyCd` (code class 12, spec §9): in `01` import, `02` purchase, `03` return,
    /// `04` stock movement, `05` processing, `06` adjustment; out `11` sale, `12` return, `13`
    /// stock movement, `14` processing, `15` discarding, `16` adjustment. Opening stock has no
    /// code of its own: it is an adjustment in. A customer's return (a credit note) brings the
    /// goods back in: `03` "return" on the in side (`12` is a return *out*, goods sent back to a
    /// supplier).
    pub fn sar_ty_cd(self) -> &'static str {
        match self {
            StockMovementKind::Purchase => "02",
            StockMovementKind::SaleReturn => "03",
            StockMovementKind::Opening | StockMovementKind::AdjustmentIn => "06",
            StockMovementKind::Sale => "11",
            StockMovementKind::AdjustmentOut => "16",
        }
    }

    /// Whether the goods come in (the quantity is added).
    pub fn is_in(self) -> bool {
        matches!(
            self,
            StockMovementKind::Opening
                | StockMovementKind::Purchase
                | StockMovementKind::SaleReturn
                | StockMovementKind::AdjustmentIn
        )
    }
}

/// The other party of a movement (a supplier, a customer), sent as `custTin`/`custNm`/
/// `custBhfId`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counterparty {
    pub tin: String,
    pub name: String,
    pub branch_id: Option<String>,
}

/// A movement to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewStockMovement {
    pub kind: StockMovementKind,
    /// What caused it, e.g. `purchase:<id>`, `sale:<id>`.
    pub source: String,
    pub counterparty: Option<Counterparty>,
    pub lines: Vec<StockLine>,
    pub occurred_on: NaiveDate,
}

/// In the caller's unit of work: records the movement of the goods lines (service lines are
/// skipped), reserves the next sarNo (strict +1 per device, its own counter), and queues one
/// frozen `etims` outbox row carrying insertStockIO then saveStockMaster (rsdQty = the new
/// remaining quantity) for each item touched. Returns the sarNo, or None when no line was goods.
///
/// A movement already recorded with the same source and kind is not recorded again: its sarNo
/// is returned. Needs an e-TIMS device. The caller audits its own change; this adds the entry
/// `etims.stock.record`.
pub async fn record_movement(
    uow: &mut UnitOfWork,
    movement: &NewStockMovement,
) -> Result<Option<u64>> {
    if let Some(sar_no) = recorded(uow.db(), &movement.source, movement.kind).await? {
        return Ok(Some(sar_no));
    }
    let Some(prepared) = prepare(uow.db(), movement).await? else {
        return Ok(None);
    };
    write(uow, movement, prepared, None).await.map(Some)
}

// ---- preparing and writing a movement -----------------------------------------------------------

/// An item as a stock movement needs it.
#[derive(Debug, Clone)]
struct StockItem {
    id: String,
    code: String,
    name: String,
    kra_item_code: String,
    classification_code: Option<String>,
    packaging_unit: String,
    quantity_unit: String,
    tax_type: String,
    product_type: String,
    barcode: Option<String>,
    unit_price: String,
    etims_state: String,
    active: bool,
}

impl StockItem {
    fn label(&self) -> String {
        format!("{} ({})", self.code, self.name)
    }

    fn is_goods(&self) -> bool {
        self.product_type != ProductType::Service.as_str()
    }
}

const ITEM_COLUMNS: &str = "id, code, name, kra_item_code, classification_code, packaging_unit, \
                            quantity_unit, tax_type, product_type, barcode, unit_price, \
                            etims_state, active";

fn read_item(r: &QueryResult) -> Result<StockItem> {
    Ok(StockItem {
        id: r.try_get("", "id")?,
        code: r.try_get("", "code")?,
        name: r.try_get("", "name")?,
        kra_item_code: r.try_get("", "kra_item_code")?,
        classification_code: r.try_get("", "classification_code")?,
        packaging_unit: r.try_get("", "packaging_unit")?,
        quantity_unit: r.try_get("", "quantity_unit")?,
        tax_type: r.try_get("", "tax_type")?,
        product_type: r.try_get("", "product_type")?,
        barcode: r.try_get("", "barcode")?,
        unit_price: r.try_get("", "unit_price")?,
        etims_state: r.try_get("", "etims_state")?,
        active: r.try_get("", "active")?,
    })
}

async fn item_by_id(db: &impl ConnectionTrait, id: &str) -> Result<StockItem> {
    let row = db
        .query_one_raw(statement(
            db,
            &format!("SELECT {ITEM_COLUMNS} FROM item WHERE id = ?"),
            vec![id.into()],
        ))
        .await?
        .ok_or_else(|| Error::NotFound(format!("There is no item with id '{id}'.")))?;
    read_item(&row)
}

/// The item a person names (code, KRA item code, barcode or id).
async fn item_by_key(db: &impl ConnectionTrait, key: &str) -> Result<StockItem> {
    let found = queued::find_item(db, key).await?;
    item_by_id(db, &found.id).await
}

fn decimal_of(text: &str, what: &str) -> Result<Decimal> {
    text.trim()
        .parse::<Decimal>()
        .map_err(|_| Error::Internal(format!("{what} '{text}' is not a decimal")))
}

/// The item's remaining quantity (0 when it never moved).
async fn level_of(db: &impl ConnectionTrait, item_id: &str) -> Result<Option<Decimal>> {
    db.query_one_raw(statement(
        db,
        "SELECT quantity FROM etims_stock_level WHERE item_id = ?",
        vec![item_id.into()],
    ))
    .await?
    .map(|r| {
        let q: String = r.try_get("", "quantity")?;
        decimal_of(&q, "a stored stock level")
    })
    .transpose()
}

/// The sarNo of a movement already recorded for `source` and `kind`.
async fn recorded(
    db: &impl ConnectionTrait,
    source: &str,
    kind: StockMovementKind,
) -> Result<Option<u64>> {
    let row = db
        .query_one_raw(statement(
            db,
            "SELECT sar_no FROM etims_stock_movement WHERE source = ? AND kind = ?",
            vec![source.into(), kind.as_str().into()],
        ))
        .await?;
    row.map(|r| {
        let n: i64 = r.try_get("", "sar_no")?;
        Ok(u64::try_from(n).unwrap_or(0))
    })
    .transpose()
}

/// A movement checked and costed, nothing written yet.
struct Prepared {
    lines: Vec<PreparedLine>,
}

struct PreparedLine {
    item: StockItem,
    /// Signed: in > 0, out < 0.
    delta: Decimal,
    quantity: Decimal,
    unit_price: Decimal,
    totals: tax::LineTotals,
}

/// Checks the movement and costs its goods lines; `None` when no line is goods.
async fn prepare(
    db: &impl ConnectionTrait,
    movement: &NewStockMovement,
) -> Result<Option<Prepared>> {
    let source = movement.source.trim();
    if source.is_empty() {
        return Err(Error::invalid(
            "A stock movement names its source document (e.g. purchase:<id>).",
        ));
    }
    limits::check_text("stock movement source", source, 200)?;
    let rates = rate_table();
    let mut lines = Vec::new();
    for (i, line) in movement.lines.iter().enumerate() {
        let at = format!("Stock line {}", i + 1);
        let item = item_by_id(db, &line.item_id).await?;
        if !item.is_goods() {
            continue;
        }
        if line.quantity <= Decimal::ZERO {
            return Err(Error::invalid(format!(
                "{at} ({}) has quantity {}: a stock quantity must be greater than 0 (the kind \
                 of movement says in or out).",
                item.label(),
                line.quantity
            )));
        }
        if line.quantity > MAX_AMOUNT || line.unit_price > MAX_AMOUNT {
            return Err(Error::invalid(format!(
                "{at} ({}): the quantity or unit price is larger than allowed ({MAX_AMOUNT}).",
                item.label()
            )));
        }
        if line.unit_price < Decimal::ZERO {
            return Err(Error::invalid(format!(
                "{at} ({}) has a negative unit price {}.",
                item.label(),
                line.unit_price
            )));
        }
        let tax_type: TaxType = item.tax_type.parse()?;
        let totals = tax::compute_line(
            &LineInput {
                quantity: line.quantity,
                unit_price: line.unit_price,
                discount: Discount::None,
                tax_type,
            },
            PriceBasis::Exclusive,
            &rates,
        )
        .map_err(|e| Error::invalid(format!("{at} ({}): {e}", item.label())))?;
        let delta = if movement.kind.is_in() {
            line.quantity
        } else {
            -line.quantity
        };
        lines.push(PreparedLine {
            item,
            delta,
            quantity: line.quantity,
            unit_price: line.unit_price,
            totals,
        });
    }
    Ok((!lines.is_empty()).then_some(Prepared { lines }))
}

/// KRA's `regrId`/`regrNm` for whoever acts in the unit of work: the user id without dashes
/// (or `system`) and the e-mail.
fn registrar_of(uow: &UnitOfWork) -> (String, String) {
    let actor = uow.actor();
    let id = actor
        .id
        .as_deref()
        .map_or_else(|| "system".to_owned(), |id| cut(&id.replace('-', ""), 20));
    (id, cut(&actor.email, 60))
}

fn to_json(value: &impl Serialize, what: &str) -> Result<Json> {
    serde_json::to_value(value).map_err(|e| Error::Internal(format!("{what}: {e}")))
}

/// Writes a prepared movement: the next sarNo, its lines, the levels, the outbox row and the
/// audit entry. Returns the sarNo.
async fn write(
    uow: &mut UnitOfWork,
    movement: &NewStockMovement,
    prepared: Prepared,
    reason: Option<&str>,
) -> Result<u64> {
    let db = uow.db();
    let last: i64 = db
        .query_one_raw(statement(
            db,
            "SELECT COALESCE(MAX(sar_no), 0) AS n FROM etims_stock_movement",
            vec![],
        ))
        .await?
        .map(|r| r.try_get("", "n"))
        .transpose()?
        .unwrap_or(0);
    let sar_no = last + 1;
    let id = uow.new_id();
    let now = uow.now_text();
    let created_by = uow.actor().id.clone();
    let counterparty = movement.counterparty.as_ref();
    uow.db()
        .execute_raw(statement(
            uow.db(),
            "INSERT INTO etims_stock_movement (id, sar_no, kind, sar_ty_cd, source, \
             counterparty_tin, counterparty_name, counterparty_bhf, occurred_on, reason, \
             outbox_id, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)",
            vec![
                id.clone().into(),
                sar_no.into(),
                movement.kind.as_str().into(),
                movement.kind.sar_ty_cd().into(),
                movement.source.trim().into(),
                counterparty.map(|c| c.tin.clone()).into(),
                counterparty.map(|c| c.name.clone()).into(),
                counterparty.and_then(|c| c.branch_id.clone()).into(),
                movement.occurred_on.format("%Y-%m-%d").to_string().into(),
                reason.map(str::to_owned).into(),
                created_by.into(),
                now.clone().into(),
            ],
        ))
        .await?;

    // The lines, each moving its item's level; the remaining quantity after the movement per
    // item, for saveStockMaster.
    let mut remaining: BTreeMap<String, (StockItem, Decimal)> = BTreeMap::new();
    let mut items = Vec::with_capacity(prepared.lines.len());
    let (mut taxbl, mut tax_amt, mut tot) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    for (line, seq) in prepared.lines.iter().zip(1u32..) {
        let before = match remaining.get(&line.item.id) {
            Some((_, q)) => *q,
            None => level_of(uow.db(), &line.item.id).await?.unwrap_or_default(),
        };
        let after = before + line.delta;
        uow.db()
            .execute_raw(statement(
                uow.db(),
                "INSERT INTO etims_stock_line (movement_id, position, item_id, quantity, \
                 unit_price, remaining_after) VALUES (?, ?, ?, ?, ?, ?)",
                vec![
                    id.clone().into(),
                    i64::from(seq).into(),
                    line.item.id.clone().into(),
                    line.delta.normalize().to_string().into(),
                    line.unit_price.normalize().to_string().into(),
                    after.normalize().to_string().into(),
                ],
            ))
            .await?;
        uow.db()
            .execute_raw(statement(
                uow.db(),
                "INSERT INTO etims_stock_level (item_id, quantity, last_movement_id, updated_at) \
                 VALUES (?, ?, ?, ?) ON CONFLICT (item_id) DO UPDATE SET \
                 quantity = excluded.quantity, last_movement_id = excluded.last_movement_id, \
                 updated_at = excluded.updated_at",
                vec![
                    line.item.id.clone().into(),
                    after.normalize().to_string().into(),
                    id.clone().into(),
                    now.clone().into(),
                ],
            ))
            .await?;
        remaining.insert(line.item.id.clone(), (line.item.clone(), after));
        let t = &line.totals;
        taxbl += t.taxable_amount;
        tax_amt += t.tax_amount;
        tot += t.total_amount;
        items.push(StockIoItem {
            item_seq: seq,
            item_cd: line.item.kra_item_code.clone(),
            item_cls_cd: line.item.classification_code.clone().unwrap_or_default(),
            item_nm: line.item.name.clone(),
            bcd: line.item.barcode.clone(),
            pkg_unit_cd: line.item.packaging_unit.clone(),
            pkg: line.quantity,
            qty_unit_cd: line.item.quantity_unit.clone(),
            qty: line.quantity,
            item_expr_dt: None,
            prc: line.unit_price,
            sply_amt: t.supply_amount,
            tot_dc_amt: t.discount_amount,
            taxbl_amt: t.taxable_amount,
            tax_ty_cd: t.tax_type.as_str().to_owned(),
            tax_amt: t.tax_amount,
            tot_amt: t.total_amount,
        });
    }
    let (regr_id, regr_nm) = registrar_of(uow);
    let io = StockIoRequest {
        sar_no: u64::try_from(sar_no).unwrap_or(0),
        // 0 when none: null crashes the integrator (spec §10).
        org_sar_no: 0,
        reg_ty_cd: if uow.actor().id.is_some() { "M" } else { "A" }.into(),
        cust_tin: counterparty.map(|c| c.tin.clone()),
        cust_nm: counterparty.map(|c| cut(&c.name, 60)),
        cust_bhf_id: counterparty.and_then(|c| c.branch_id.clone()),
        sar_ty_cd: movement.kind.sar_ty_cd().into(),
        ocrn_dt: dates::format_naive_date(movement.occurred_on),
        tot_item_cnt: u32::try_from(items.len()).unwrap_or(u32::MAX),
        tot_taxbl_amt: taxbl,
        tot_tax_amt: tax_amt,
        tot_amt: tot,
        remark: reason.map(|r| cut(r, 400)),
        regr_id: regr_id.clone(),
        regr_nm: regr_nm.clone(),
        modr_id: regr_id.clone(),
        modr_nm: regr_nm.clone(),
        item_list: items,
    };
    let mut requests = vec![json!({
        "endpoint": "insertStockIO",
        "body": to_json(&io, "a stock movement request")?,
    })];
    for (item, after) in remaining.values() {
        let master = StockMasterRequest {
            item_cd: item.kra_item_code.clone(),
            rsd_qty: *after,
            regr_id: regr_id.clone(),
            regr_nm: regr_nm.clone(),
            modr_id: regr_id.clone(),
            modr_nm: regr_nm.clone(),
        };
        requests.push(json!({
            "endpoint": "saveStockMaster",
            "body": to_json(&master, "a stock master request")?,
        }));
    }
    let outbox_id = uow
        .enqueue(NewOutboxItem {
            target: ETIMS_TARGET.into(),
            operation: STOCK_OPERATION.into(),
            payload: json!({
                "entity_type": "etims_stock_movement",
                "entity_id": id,
                "entity_version": 1,
                "sar_no": sar_no,
                "requests": requests,
            }),
            idempotency_key: queued::idempotency_key("stock", &id, 1),
            ordering_key: Some(FISCAL_ORDERING_KEY.into()),
            auto_retry: true,
        })
        .await?;
    uow.db()
        .execute_raw(statement(
            uow.db(),
            "UPDATE etims_stock_movement SET outbox_id = ? WHERE id = ?",
            vec![outbox_id.clone().into(), id.clone().into()],
        ))
        .await?;
    uow.audit(AuditDraft {
        action: "etims.stock.record",
        entity_type: "etims_stock_movement",
        entity_id: id,
        before: None,
        after: Some(json!({
            "sar_no": sar_no,
            "kind": movement.kind.as_str(),
            "sar_ty_cd": movement.kind.sar_ty_cd(),
            "source": movement.source.trim(),
            "outbox_id": outbox_id,
            "remaining": remaining.values().map(|(item, q)| json!({
                "item": item.code, "quantity": q.normalize().to_string(),
            })).collect::<Vec<_>>(),
        })),
    })
    .await?;
    Ok(u64::try_from(sar_no).unwrap_or(0))
}

// ---- sales -------------------------------------------------------------------------------------

/// In the unit of work that stores KRA's signature of a sale (`fiscal`): the stock-out of its
/// goods lines (a credit note: their return), recorded and queued after the sale. Nothing for
/// a sale of services only, or a sale already recorded (a signature adopted again).
///
/// The signature must never be lost to a stock problem: a movement that cannot be built (it
/// is checked before anything is written) is left out, and the audit entry
/// `etims.stock.not_recorded` says why; `hesabu etims stock adjust` records it by hand.
pub async fn record_signed_sale_in(uow: &mut UnitOfWork, document_id: &str) -> Result<()> {
    let ctx = ledger::context(uow.db(), document_id).await?;
    // KRA's figures are KES (a foreign-currency sale was signed as its KES view), and so are
    // the stock movement's prices. The view was just built for the payload, so it is there.
    let sale = &match ctx.sale.in_base_currency() {
        Ok(kes) => kes,
        Err(e) => {
            return not_recorded(uow, &ctx.sale.id, StockMovementKind::Sale, &e).await;
        }
    };
    let kind = match sale.doc_type {
        SalesType::CreditNote => StockMovementKind::SaleReturn,
        SalesType::Invoice | SalesType::CashSale => StockMovementKind::Sale,
    };
    let source = format!("sale:{}", sale.id);
    if recorded(uow.db(), &source, kind).await?.is_some() {
        return Ok(());
    }
    let mut lines = Vec::new();
    for line in &sale.lines {
        let Some(item_id) = &line.item_id else {
            continue;
        };
        if ctx
            .items
            .get(item_id)
            .is_some_and(|i| i.product_type == ProductType::Service)
        {
            continue;
        }
        let quantity = decimal_of(&line.quantity, "a sale line's quantity")?;
        let taxable = decimal_of(&line.taxable_amount, "a sale line's taxable amount")?;
        // The net price per unit after discount, to 4 places (the ledger's precision).
        let unit_price = if quantity.is_zero() {
            Decimal::ZERO
        } else {
            (taxable / quantity).round_dp(4)
        };
        lines.push(StockLine {
            item_id: item_id.clone(),
            quantity,
            unit_price,
        });
    }
    if lines.is_empty() {
        return Ok(());
    }
    let occurred_on = NaiveDate::parse_from_str(&sale.issue_date, "%Y-%m-%d")
        .unwrap_or_else(|_| uow.now().date_naive());
    let movement = NewStockMovement {
        kind,
        source,
        counterparty: sale.customer_pin.as_ref().map(|pin| Counterparty {
            tin: pin.clone(),
            name: sale.customer_name.clone(),
            branch_id: None,
        }),
        lines,
        occurred_on,
    };
    match prepare(uow.db(), &movement).await {
        Ok(Some(prepared)) => {
            write(uow, &movement, prepared, None).await?;
        }
        Ok(None) => {}
        Err(e) => not_recorded(uow, &sale.id, kind, &e).await?,
    }
    Ok(())
}

/// The signature stands; the audit says why the sale's stock movement was not recorded.
async fn not_recorded(
    uow: &mut UnitOfWork,
    sale_id: &str,
    kind: StockMovementKind,
    e: &Error,
) -> Result<()> {
    uow.audit(AuditDraft {
        action: "etims.stock.not_recorded",
        entity_type: "sale",
        entity_id: sale_id.to_owned(),
        before: None,
        after: Some(json!({
            "kind": kind.as_str(),
            "error": e.to_string(),
        })),
    })
    .await
}

// ---- opening stock and adjustments -------------------------------------------------------------

/// A quantity, cost or adjustment as a person typed it (the CLI's and the desktop's text):
/// exact, with a dot for decimals.
pub fn parse_decimal(text: &str, what: &str) -> Result<Decimal> {
    Decimal::from_str_exact(text.trim()).map_err(|_| {
        Error::invalid(format!(
            "The {what} '{text}' is not a number: write it with a dot for decimals, e.g. 10 or \
             2.5."
        ))
    })
}

/// A goods item a person may record stock for; services are refused with what to do.
async fn goods_item(db: &impl ConnectionTrait, key: &str) -> Result<StockItem> {
    let item = item_by_key(db, key).await?;
    if !item.is_goods() {
        return Err(Error::invalid(format!(
            "Item {} is a service: services carry no stock at KRA (item type 3). Record stock \
             only for goods (raw materials and finished goods).",
            item.label()
        )));
    }
    if !item.active {
        return Err(Error::invalid(format!(
            "Item {} is inactive: reactivate it first (`hesabu item edit {}`).",
            item.label(),
            item.code
        )));
    }
    Ok(item)
}

/// On the integrator gateway KRA refuses stock of an item it does not hold.
async fn require_registered(db: &impl ConnectionTrait, item: &StockItem) -> Result<()> {
    let device = ledger::device(db).await?.ok_or_else(no_device)?;
    if device.gateway == GatewayProfile::Integrator && item.etims_state != "registered" {
        return Err(Error::invalid(format!(
            "Item {} is not registered at KRA yet (its e-TIMS state is {}), and the integrator \
             gateway refuses stock of an unregistered item: register it first (`hesabu etims \
             item register {}`, then `hesabu sync run`).",
            item.label(),
            item.etims_state,
            item.code
        )));
    }
    Ok(())
}

fn check_quantity(quantity: Decimal, what: &str) -> Result<()> {
    if quantity.is_zero() {
        return Err(Error::invalid(format!(
            "The {what} is 0: give the quantity that moves (e.g. 10 or 2.5)."
        )));
    }
    if quantity.abs() > MAX_AMOUNT {
        return Err(Error::invalid(format!(
            "The {what} {quantity} is larger than allowed ({MAX_AMOUNT})."
        )));
    }
    if quantity.scale() > 4 && quantity.normalize().scale() > 4 {
        return Err(Error::invalid(format!(
            "The {what} {quantity} has more than 4 decimal places."
        )));
    }
    Ok(())
}

/// Records the opening stock of a goods item: `quantity` (> 0) at `unit_cost` (> 0: KRA takes
/// no zero amounts), dated today, reported to KRA as an adjustment in (`06`). An item has one
/// opening; after it, stock changes by [`adjust`] (or purchases and sales). One audited unit of
/// work (`etims.stock.opening`); needs `SalesMasterData` and an e-TIMS device.
pub async fn opening(
    file: &CompanyFile,
    session: &Session,
    item_key: &str,
    quantity: Decimal,
    unit_cost: Decimal,
) -> Result<StockMovementView> {
    session.require(Permission::SalesMasterData)?;
    check_quantity(quantity, "opening quantity")?;
    if quantity < Decimal::ZERO {
        return Err(Error::invalid(format!(
            "The opening quantity is {quantity}: opening stock is what is on hand, greater \
             than 0."
        )));
    }
    if unit_cost <= Decimal::ZERO {
        return Err(Error::invalid(format!(
            "The unit cost is {unit_cost}: give what one unit cost, greater than 0 (KRA takes \
             no zero amounts), e.g. --unit-cost 5200."
        )));
    }
    let mut uow = file.begin(session).await?;
    queued::require_device(uow.db()).await?;
    let item = goods_item(uow.db(), item_key).await?;
    require_registered(uow.db(), &item).await?;
    if let Some(level) = level_of(uow.db(), &item.id).await? {
        return Err(Error::invalid(format!(
            "Item {} already has stock recorded ({} on hand): opening stock is recorded once. \
             Correct it with `hesabu etims stock adjust {} DELTA --reason TEXT`.",
            item.label(),
            level.normalize(),
            item.code
        )));
    }
    let movement = NewStockMovement {
        kind: StockMovementKind::Opening,
        source: format!("opening:{}", item.id),
        counterparty: None,
        lines: vec![StockLine {
            item_id: item.id.clone(),
            quantity,
            unit_price: unit_cost,
        }],
        occurred_on: uow.now().date_naive(),
    };
    let prepared = prepare(uow.db(), &movement)
        .await?
        .ok_or_else(|| Error::Internal("the opening stock of goods has no goods line".into()))?;
    let sar_no = write(&mut uow, &movement, prepared, Some("opening stock")).await?;
    uow.audit(AuditDraft {
        action: "etims.stock.opening",
        entity_type: "item",
        entity_id: item.id.clone(),
        before: None,
        after: Some(json!({
            "quantity": quantity.normalize().to_string(),
            "unit_cost": unit_cost.normalize().to_string(),
            "sar_no": sar_no,
        })),
    })
    .await?;
    let view = movement_by_sar(uow.db(), sar_no).await?;
    uow.commit().await?;
    Ok(view)
}

/// Corrects the stock of a goods item by `delta` (positive: found; negative: lost, damaged,
/// counted less), for `reason`; reported to KRA as an adjustment in (`06`) or out (`16`) at the
/// unit price the item last moved at (else its sale price). The result may not be negative.
/// One audited unit of work (`etims.stock.adjust`); needs `SalesMasterData` and a device.
pub async fn adjust(
    file: &CompanyFile,
    session: &Session,
    item_key: &str,
    delta: Decimal,
    reason: &str,
) -> Result<StockMovementView> {
    session.require(Permission::SalesMasterData)?;
    check_quantity(delta, "adjustment")?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Error::invalid(
            "Say why the stock changes (--reason), e.g. \"stock count 2026-12-31\" or \"damaged \
             in transit\": it is kept in the audit log and sent to KRA as the remark.",
        ));
    }
    limits::check_text("adjustment reason", reason, 400)?;
    let mut uow = file.begin(session).await?;
    queued::require_device(uow.db()).await?;
    let item = goods_item(uow.db(), item_key).await?;
    require_registered(uow.db(), &item).await?;
    let before = level_of(uow.db(), &item.id).await?;
    let on_hand = before.unwrap_or_default();
    let after = on_hand + delta;
    if after < Decimal::ZERO {
        return Err(Error::invalid(format!(
            "Item {} has {} on hand; taking {} would leave {}: stock cannot go below 0. Check \
             the quantity (record missing purchases or opening stock first).",
            item.label(),
            on_hand.normalize(),
            (-delta).normalize(),
            after.normalize()
        )));
    }
    let unit_price = match last_unit_price(uow.db(), &item.id).await? {
        Some(p) if p > Decimal::ZERO => p,
        _ => decimal_of(&item.unit_price, "the item's unit price")?,
    };
    if unit_price <= Decimal::ZERO {
        return Err(Error::invalid(format!(
            "Item {} has no price to report the adjustment at (KRA takes no zero amounts): \
             set its unit price (`hesabu item edit {} --price P`) or record its opening stock \
             with a cost first.",
            item.label(),
            item.code
        )));
    }
    let kind = if delta > Decimal::ZERO {
        StockMovementKind::AdjustmentIn
    } else {
        StockMovementKind::AdjustmentOut
    };
    let movement = NewStockMovement {
        kind,
        source: format!("adjustment:{}", uow.new_id()),
        counterparty: None,
        lines: vec![StockLine {
            item_id: item.id.clone(),
            quantity: delta.abs(),
            unit_price,
        }],
        occurred_on: uow.now().date_naive(),
    };
    let prepared = prepare(uow.db(), &movement)
        .await?
        .ok_or_else(|| Error::Internal("an adjustment of goods has no goods line".into()))?;
    let sar_no = write(&mut uow, &movement, prepared, Some(reason)).await?;
    uow.audit(AuditDraft {
        action: "etims.stock.adjust",
        entity_type: "item",
        entity_id: item.id.clone(),
        before: before.map(|b| json!({ "quantity": b.normalize().to_string() })),
        after: Some(json!({
            "quantity": after.normalize().to_string(),
            "delta": delta.normalize().to_string(),
            "reason": reason,
            "sar_no": sar_no,
        })),
    })
    .await?;
    let view = movement_by_sar(uow.db(), sar_no).await?;
    uow.commit().await?;
    Ok(view)
}

async fn last_unit_price(db: &impl ConnectionTrait, item_id: &str) -> Result<Option<Decimal>> {
    db.query_one_raw(statement(
        db,
        "SELECT l.unit_price FROM etims_stock_line l \
         JOIN etims_stock_movement m ON m.id = l.movement_id \
         WHERE l.item_id = ? ORDER BY m.sar_no DESC, l.position DESC LIMIT 1",
        vec![item_id.into()],
    ))
    .await?
    .map(|r| {
        let p: String = r.try_get("", "unit_price")?;
        decimal_of(&p, "a stored unit price")
    })
    .transpose()
}

// ---- the checklist -----------------------------------------------------------------------------

/// What stock adds to a sale's pre-send checklist: on the integrator gateway (which refuses a
/// sale of goods KRA holds no stock of, spec §7.4), each goods item of a sale or cash sale must
/// have a stock movement KRA has taken (its outbox row done). Credit notes bring goods back and
/// are not checked; the legacy gateway signs without stock.
pub async fn sale_findings(db: &impl ConnectionTrait, ctx: &FiscalContext) -> Result<Vec<Problem>> {
    let integrator = ctx
        .device
        .as_ref()
        .is_some_and(|d| d.gateway == GatewayProfile::Integrator);
    if !integrator || ctx.sale.doc_type == SalesType::CreditNote {
        return Ok(Vec::new());
    }
    let mut items: Vec<_> = ctx
        .items
        .values()
        .filter(|i| i.product_type != ProductType::Service)
        .collect();
    items.sort_by(|a, b| a.code.cmp(&b.code));
    let mut out = Vec::new();
    for item in items {
        let row = db
            .query_one_raw(statement(
                db,
                "SELECT COUNT(*) AS moves, \
                 SUM(CASE WHEN o.state = 'done' THEN 1 ELSE 0 END) AS at_kra \
                 FROM etims_stock_line l JOIN etims_stock_movement m ON m.id = l.movement_id \
                 LEFT JOIN outbox o ON o.id = m.outbox_id WHERE l.item_id = ?",
                vec![item.id.clone().into()],
            ))
            .await?;
        let (moves, at_kra): (i64, Option<i64>) = match row {
            Some(r) => (r.try_get("", "moves")?, r.try_get("", "at_kra")?),
            None => (0, None),
        };
        if at_kra.unwrap_or(0) > 0 {
            continue;
        }
        let label = format!("{} ({})", item.code, item.name);
        out.push(if moves == 0 {
            Problem {
                code: "no_stock".into(),
                message: format!(
                    "Item {label} is goods with no stock reported at KRA; the integrator \
                     gateway refuses a sale of goods KRA holds no stock of."
                ),
                fix: format!(
                    "record opening stock for {} (hesabu etims stock opening {} QTY \
                     --unit-cost COST), then `hesabu sync run`.",
                    item.code, item.code
                ),
            }
        } else {
            Problem {
                code: "stock_not_at_kra".into(),
                message: format!(
                    "The stock of item {label} is recorded but KRA does not have it yet."
                ),
                fix: "Send it: `hesabu sync run` (a failed row: `hesabu sync dead`, then \
                      `hesabu sync retry ID`)."
                    .into(),
            }
        });
    }
    Ok(out)
}

// ---- sending ----------------------------------------------------------------------------------

/// Sends a stock row's frozen requests in order: `insertStockIO`, then `saveStockMaster` per
/// item. A retry sends them all again; `994` on `insertStockIO` (its sarNo taken) is our own
/// earlier attempt whose answer was lost (see the module docs), and the master calls follow.
pub async fn send(client: &Client, item: &OutboxItem) -> std::result::Result<Ack, SendError> {
    let payload: Json = serde_json::from_str(&item.payload).map_err(|e| {
        SendError::permanent(format!("the outbox row {} is not JSON: {e}", item.id))
    })?;
    let requests = payload
        .get("requests")
        .and_then(Json::as_array)
        .filter(|r| !r.is_empty())
        .ok_or_else(|| {
            SendError::permanent(format!(
                "the outbox row {} carries no stock requests to send",
                item.id
            ))
        })?;
    let sar_no = payload.get("sar_no").and_then(Json::as_i64).unwrap_or(0);
    let total = requests.len();
    let mut adopted = false;
    for (i, request) in requests.iter().enumerate() {
        let endpoint = match request.get("endpoint").and_then(Json::as_str) {
            Some("insertStockIO") => Endpoint::SaveStockIo,
            Some("saveStockMaster") => Endpoint::SaveStockMaster,
            other => {
                return Err(SendError::permanent(format!(
                    "the outbox row {} names an unknown stock call {other:?}",
                    item.id
                )));
            }
        };
        let body = request
            .get("body")
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| SendError::permanent(format!("the outbox row {}: {e}", item.id)))?
            .ok_or_else(|| {
                SendError::permanent(format!(
                    "the outbox row {} has a request without a body",
                    item.id
                ))
            })?;
        match client.send_json::<NoData>(endpoint, body).await {
            Ok(_) => {}
            Err(e) if endpoint == Endpoint::SaveStockIo && e.result_code() == Some("994") => {
                adopted = true;
            }
            Err(error) => {
                let doing = format!(
                    "KRA did not take stock movement sarNo {sar_no} (request {} of {total}, {})",
                    i + 1,
                    endpoint.legacy_path()
                );
                let mut failure = hesabu_etims::contract::send_error(&error);
                match &mut failure {
                    SendError::Retryable { message, .. } => {
                        *message = format!("{doing}: {message}");
                    }
                    SendError::Permanent { message } => {
                        *message = format!(
                            "{doing}: {message}. Correct what KRA names, then retry the row \
                             (`hesabu sync retry ID`); later stock movements wait for this \
                             number."
                        );
                    }
                }
                return Err(failure);
            }
        }
    }
    Ok(Ack {
        remote_ref: Some(sar_no.to_string()),
        result: Some(json!({ "sar_no": sar_no, "sent": total, "already_at_kra": adopted })),
    })
}

/// The demo's fresh local sandbox on a later run (`demo_sandbox::restore`, after the signed
/// sales): every stock movement KRA took (its outbox row done) sent again as it was frozen, in
/// `sarNo` order, so the sandbox's stock counter and ledger continue where the file is. Returns
/// how many movements were replayed.
pub async fn replay_sent(file: &CompanyFile, client: &Client) -> Result<usize> {
    let db = file.reader();
    let rows = db
        .query_all_raw(statement(
            db,
            "SELECT m.sar_no, o.payload FROM etims_stock_movement m \
             JOIN outbox o ON o.id = m.outbox_id WHERE o.state = 'done' ORDER BY m.sar_no",
            vec![],
        ))
        .await?;
    let mut replayed = 0;
    for r in rows {
        let sar_no: i64 = r.try_get("", "sar_no")?;
        let payload: String = r.try_get("", "payload")?;
        let payload: Json = serde_json::from_str(&payload)
            .map_err(|e| Error::Internal(format!("stock movement {sar_no}'s outbox row: {e}")))?;
        for request in payload
            .get("requests")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            let endpoint = match request.get("endpoint").and_then(Json::as_str) {
                Some("insertStockIO") => Endpoint::SaveStockIo,
                Some("saveStockMaster") => Endpoint::SaveStockMaster,
                _ => continue,
            };
            let body = request.get("body").map(Json::to_string).unwrap_or_default();
            client
                .send_json::<NoData>(endpoint, body)
                .await
                .map_err(|e| {
                    client_error(
                        &format!(
                            "The demo's local e-TIMS sandbox refused stock movement {sar_no} \
                             when it was replayed; stock movements will wait in the sync queue"
                        ),
                        &e,
                    )
                })?;
        }
        replayed += 1;
    }
    Ok(replayed)
}

// ---- reading -----------------------------------------------------------------------------------

/// One goods item's stock: what is on hand here, and how its last movement stands at KRA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct StockLevelView {
    pub item_id: String,
    pub code: String,
    pub name: String,
    pub kra_item_code: String,
    pub quantity_unit: String,
    /// Exact decimal text; "0" for an item that never moved.
    pub quantity: String,
    /// Whether any stock was recorded (false: opening stock is still to be recorded).
    pub recorded: bool,
    #[ts(type = "number | null")]
    pub last_sar_no: Option<i64>,
    pub last_kind: Option<StockMovementKind>,
    /// The last movement's outbox row: `ready`, `in_flight`, `done` (KRA has it) or `dead`.
    pub sync_state: Option<String>,
    pub sync_error: Option<String>,
    pub updated_at: Option<String>,
}

/// One goods line of a movement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct StockLineView {
    pub item_id: String,
    pub code: String,
    pub name: String,
    /// Signed exact decimal: in > 0, out < 0.
    pub quantity: String,
    pub unit_price: String,
    /// The item's remaining quantity after this line.
    pub remaining_after: String,
}

/// A stock movement and how it stands at KRA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct StockMovementView {
    pub id: String,
    #[ts(type = "number")]
    pub sar_no: i64,
    pub kind: StockMovementKind,
    /// KRA's code of class 12.
    pub sar_ty_cd: String,
    pub source: String,
    pub counterparty_tin: Option<String>,
    pub counterparty_name: Option<String>,
    pub occurred_on: String,
    pub reason: Option<String>,
    pub lines: Vec<StockLineView>,
    pub outbox_id: Option<String>,
    pub sync_state: Option<String>,
    pub sync_error: Option<String>,
    pub created_at: String,
}

async fn movement_view(db: &impl ConnectionTrait, r: &QueryResult) -> Result<StockMovementView> {
    let id: String = r.try_get("", "id")?;
    let kind: String = r.try_get("", "kind")?;
    let outbox_id: Option<String> = r.try_get("", "outbox_id")?;
    let (sync_state, sync_error) = queued::outbox_state(db, outbox_id.as_deref()).await?;
    let rows = db
        .query_all_raw(statement(
            db,
            "SELECT l.item_id, l.quantity, l.unit_price, l.remaining_after, i.code, i.name \
             FROM etims_stock_line l JOIN item i ON i.id = l.item_id \
             WHERE l.movement_id = ? ORDER BY l.position",
            vec![id.clone().into()],
        ))
        .await?;
    let mut lines = Vec::with_capacity(rows.len());
    for l in rows {
        lines.push(StockLineView {
            item_id: l.try_get("", "item_id")?,
            code: l.try_get("", "code")?,
            name: l.try_get("", "name")?,
            quantity: l.try_get("", "quantity")?,
            unit_price: l.try_get("", "unit_price")?,
            remaining_after: l.try_get("", "remaining_after")?,
        });
    }
    Ok(StockMovementView {
        id,
        sar_no: r.try_get("", "sar_no")?,
        kind: StockMovementKind::parse(&kind)?,
        sar_ty_cd: r.try_get("", "sar_ty_cd")?,
        source: r.try_get("", "source")?,
        counterparty_tin: r.try_get("", "counterparty_tin")?,
        counterparty_name: r.try_get("", "counterparty_name")?,
        occurred_on: r.try_get("", "occurred_on")?,
        reason: r.try_get("", "reason")?,
        lines,
        outbox_id,
        sync_state,
        sync_error,
        created_at: r.try_get("", "created_at")?,
    })
}

const MOVEMENT_COLUMNS: &str = "m.id, m.sar_no, m.kind, m.sar_ty_cd, m.source, \
                                m.counterparty_tin, m.counterparty_name, m.occurred_on, \
                                m.reason, m.outbox_id, m.created_at";

async fn movement_by_sar(db: &impl ConnectionTrait, sar_no: u64) -> Result<StockMovementView> {
    let row = db
        .query_one_raw(statement(
            db,
            &format!("SELECT {MOVEMENT_COLUMNS} FROM etims_stock_movement m WHERE m.sar_no = ?"),
            vec![i64::try_from(sar_no).unwrap_or(i64::MAX).into()],
        ))
        .await?
        .ok_or_else(|| Error::NotFound(format!("There is no stock movement {sar_no}.")))?;
    movement_view(db, &row).await
}

/// The stock of every goods item (active, or inactive with stock recorded), by code. Needs
/// `SalesView`.
pub async fn levels(file: &CompanyFile, session: &Session) -> Result<Vec<StockLevelView>> {
    session.require(Permission::SalesView)?;
    let db = file.reader();
    let rows = db
        .query_all_raw(statement(
            db,
            "SELECT i.id, i.code, i.name, i.kra_item_code, i.quantity_unit, s.quantity, \
             s.updated_at, m.sar_no, m.kind, m.outbox_id \
             FROM item i LEFT JOIN etims_stock_level s ON s.item_id = i.id \
             LEFT JOIN etims_stock_movement m ON m.id = s.last_movement_id \
             WHERE i.product_type <> ? AND (i.active OR s.item_id IS NOT NULL) \
             ORDER BY i.code",
            vec![ProductType::Service.as_str().into()],
        ))
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let quantity: Option<String> = r.try_get("", "quantity")?;
        let outbox_id: Option<String> = r.try_get("", "outbox_id")?;
        let kind: Option<String> = r.try_get("", "kind")?;
        let (sync_state, sync_error) = queued::outbox_state(db, outbox_id.as_deref()).await?;
        out.push(StockLevelView {
            item_id: r.try_get("", "id")?,
            code: r.try_get("", "code")?,
            name: r.try_get("", "name")?,
            kra_item_code: r.try_get("", "kra_item_code")?,
            quantity_unit: r.try_get("", "quantity_unit")?,
            recorded: quantity.is_some(),
            quantity: quantity.unwrap_or_else(|| "0".into()),
            last_sar_no: r.try_get("", "sar_no")?,
            last_kind: kind.as_deref().map(StockMovementKind::parse).transpose()?,
            sync_state,
            sync_error,
            updated_at: r.try_get("", "updated_at")?,
        });
    }
    Ok(out)
}

/// The stock movements, newest first, of one item (code, KRA item code or id) or all; at most
/// `limit` (default 200). Needs `SalesView`.
pub async fn movements(
    file: &CompanyFile,
    session: &Session,
    item_key: Option<&str>,
    limit: Option<u32>,
) -> Result<Vec<StockMovementView>> {
    session.require(Permission::SalesView)?;
    let db = file.reader();
    let limit = i64::from(limit.unwrap_or(200).clamp(1, 10_000));
    let rows = match item_key {
        Some(key) => {
            let item = item_by_key(db, key).await?;
            db.query_all_raw(statement(
                db,
                &format!(
                    "SELECT {MOVEMENT_COLUMNS} FROM etims_stock_movement m WHERE EXISTS \
                     (SELECT 1 FROM etims_stock_line l WHERE l.movement_id = m.id \
                     AND l.item_id = ?) ORDER BY m.sar_no DESC LIMIT ?"
                ),
                vec![item.id.into(), limit.into()],
            ))
            .await?
        }
        None => {
            db.query_all_raw(statement(
                db,
                &format!(
                    "SELECT {MOVEMENT_COLUMNS} FROM etims_stock_movement m \
                     ORDER BY m.sar_no DESC LIMIT ?"
                ),
                vec![limit.into()],
            ))
            .await?
        }
    };
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        out.push(movement_view(db, r).await?);
    }
    Ok(out)
}

// ---- KRA's list of stock movements -------------------------------------------------------------

/// A stock movement as KRA lists it (`selectStockMoveList`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct KraStockMove {
    #[ts(type = "number")]
    pub sar_no: i64,
    /// `yyyyMMdd` as KRA sent it.
    pub ocrn_dt: Option<String>,
    pub cust_tin: Option<String>,
    pub cust_bhf_id: Option<String>,
    #[ts(type = "number | null")]
    pub item_count: Option<i64>,
    pub total: Option<String>,
    pub remark: Option<String>,
}

/// KRA's list as last pulled, and its watermark.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct KraStockMoves {
    /// KRA's `resultDt` of the last pull (the next `lastReqDt`); none: never pulled.
    pub last_req_dt: Option<String>,
    pub refreshed_at: Option<String>,
    pub last_error: Option<String>,
    pub moves: Vec<KraStockMove>,
}

/// What one pull of KRA's list did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KraMovesRefresh {
    pub last_req_dt_sent: String,
    pub received: usize,
    pub watermark: Option<String>,
    pub error: Option<String>,
}

async fn moves_state(
    db: &impl ConnectionTrait,
) -> Result<(Option<String>, Option<String>, Option<String>)> {
    let row = db
        .query_one_raw(statement(
            db,
            "SELECT last_req_dt, refreshed_at, last_error FROM etims_kra_sync WHERE list = ?",
            vec![KRA_MOVES_LIST.into()],
        ))
        .await?;
    Ok(match row {
        Some(r) => (
            r.try_get("", "last_req_dt")?,
            r.try_get("", "refreshed_at")?,
            r.try_get("", "last_error")?,
        ),
        None => (None, None, None),
    })
}

/// Pulls KRA's stock movements of the device changed since the watermark and stores them (an
/// upsert by sarNo, KRA's JSON kept), one audited unit of work (`etims.stock.kra_moves`); the
/// session is the audit actor (none: the system, the daily job). A failed pull is stored as the
/// list's last error and reported, not raised.
pub async fn refresh_kra_moves_with(
    file: &CompanyFile,
    session: Option<&Session>,
    client: &Client,
) -> Result<KraMovesRefresh> {
    let (last, _, _) = moves_state(file.reader()).await?;
    let sent = last
        .clone()
        .unwrap_or_else(|| dates::EPOCH_LAST_REQ_DT.to_owned());
    let answer = client.stock_moves(&sent).await;
    let mut uow = match session {
        Some(s) => file.begin(s).await?,
        None => file.begin_system().await?,
    };
    let now = uow.now_text();
    uow.db()
        .execute_raw(statement(
            uow.db(),
            "INSERT INTO etims_kra_sync (list, updated_at) VALUES (?, ?) \
             ON CONFLICT (list) DO NOTHING",
            vec![KRA_MOVES_LIST.into(), now.clone().into()],
        ))
        .await?;
    let report = match answer {
        Err(e) => {
            let message =
                client_error("Could not pull selectStockMoveList from KRA", &e).to_string();
            uow.db()
                .execute_raw(statement(
                    uow.db(),
                    "UPDATE etims_kra_sync SET last_error = ?, updated_at = ? WHERE list = ?",
                    vec![
                        message.clone().into(),
                        now.clone().into(),
                        KRA_MOVES_LIST.into(),
                    ],
                ))
                .await?;
            KraMovesRefresh {
                last_req_dt_sent: sent,
                received: 0,
                watermark: last,
                error: Some(message),
            }
        }
        Ok(reply) => {
            let moves = reply.data.map(|d| d.stock_list).unwrap_or_default();
            let mut received = 0;
            for m in &moves {
                let Some(sar_no) = m.sar_no.and_then(|n| i64::try_from(n).ok()) else {
                    continue;
                };
                received += 1;
                let record = serde_json::to_string(m).unwrap_or_else(|_| "{}".into());
                uow.db()
                    .execute_raw(statement(
                        uow.db(),
                        "INSERT INTO etims_kra_stock_move (sar_no, ocrn_dt, cust_tin, \
                         cust_bhf_id, tot_item_cnt, tot_amt, remark, record_json, updated_at) \
                         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sar_no) DO UPDATE SET \
                         ocrn_dt = excluded.ocrn_dt, cust_tin = excluded.cust_tin, \
                         cust_bhf_id = excluded.cust_bhf_id, \
                         tot_item_cnt = excluded.tot_item_cnt, tot_amt = excluded.tot_amt, \
                         remark = excluded.remark, record_json = excluded.record_json, \
                         updated_at = excluded.updated_at",
                        vec![
                            sar_no.into(),
                            m.ocrn_dt.clone().into(),
                            m.cust_tin.clone().into(),
                            m.cust_bhf_id.clone().into(),
                            m.tot_item_cnt.map(i64::from).into(),
                            m.tot_amt.map(|d| d.normalize().to_string()).into(),
                            m.remark.clone().into(),
                            record.into(),
                            now.clone().into(),
                        ],
                    ))
                    .await?;
            }
            // KRA's resultDt is the next lastReqDt; without one the watermark stays.
            let watermark = reply.result_dt.clone().or(last);
            uow.db()
                .execute_raw(statement(
                    uow.db(),
                    "UPDATE etims_kra_sync SET last_req_dt = ?, refreshed_at = ?, \
                     last_error = NULL, updated_at = ? WHERE list = ?",
                    vec![
                        watermark.clone().into(),
                        now.clone().into(),
                        now.clone().into(),
                        KRA_MOVES_LIST.into(),
                    ],
                ))
                .await?;
            KraMovesRefresh {
                last_req_dt_sent: sent,
                received,
                watermark,
                error: None,
            }
        }
    };
    uow.audit(AuditDraft {
        action: "etims.stock.kra_moves",
        entity_type: "etims_kra_records",
        entity_id: KRA_MOVES_LIST.into(),
        before: None,
        after: Some(to_json(&report, "the stock moves report")?),
    })
    .await?;
    uow.commit().await?;
    Ok(report)
}

/// `hesabu etims stock moves --kra --refresh`: pulls KRA's list with the device's client. Needs
/// `SalesMasterData` (as the other pulls).
pub async fn refresh_kra_moves(
    file: &CompanyFile,
    session: &Session,
    secrets: &dyn SecretStore,
    timeouts: Timeouts,
) -> Result<KraMovesRefresh> {
    session.require(Permission::SalesMasterData)?;
    let client = device::client(file, secrets, timeouts)
        .await?
        .ok_or_else(no_device)?;
    refresh_kra_moves_with(file, Some(session), &client).await
}

/// KRA's stock movements as last pulled, newest first. Needs `SalesView`.
pub async fn kra_moves(file: &CompanyFile, session: &Session) -> Result<KraStockMoves> {
    session.require(Permission::SalesView)?;
    let db = file.reader();
    let (last_req_dt, refreshed_at, last_error) = moves_state(db).await?;
    let rows = db
        .query_all_raw(statement(
            db,
            "SELECT sar_no, ocrn_dt, cust_tin, cust_bhf_id, tot_item_cnt, tot_amt, remark \
             FROM etims_kra_stock_move ORDER BY sar_no DESC",
            vec![],
        ))
        .await?;
    let mut moves = Vec::with_capacity(rows.len());
    for r in rows {
        moves.push(KraStockMove {
            sar_no: r.try_get("", "sar_no")?,
            ocrn_dt: r.try_get("", "ocrn_dt")?,
            cust_tin: r.try_get("", "cust_tin")?,
            cust_bhf_id: r.try_get("", "cust_bhf_id")?,
            item_count: r.try_get("", "tot_item_cnt")?,
            total: r.try_get("", "tot_amt")?,
            remark: r.try_get("", "remark")?,
        });
    }
    Ok(KraStockMoves {
        last_req_dt,
        refreshed_at,
        last_error,
        moves,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_map_to_kras_class_12_and_round_trip() {
        let expect = [
            (StockMovementKind::Opening, "06", true),
            (StockMovementKind::Purchase, "02", true),
            (StockMovementKind::SaleReturn, "03", true),
            (StockMovementKind::AdjustmentIn, "06", true),
            (StockMovementKind::Sale, "11", false),
            (StockMovementKind::AdjustmentOut, "16", false),
        ];
        for (kind, code, is_in) in expect {
            assert_eq!(kind.sar_ty_cd(), code, "{kind:?}");
            assert_eq!(kind.is_in(), is_in, "{kind:?}");
            assert_eq!(StockMovementKind::parse(kind.as_str()).unwrap(), kind);
        }
        assert!(StockMovementKind::parse("theft").is_err());
    }

    #[test]
    fn quantities_are_checked() {
        assert!(check_quantity(Decimal::ZERO, "q").is_err());
        assert!(check_quantity(Decimal::new(12345, 5), "q").is_err());
        assert!(check_quantity(Decimal::new(-25, 1), "q").is_ok());
        assert!(check_quantity(MAX_AMOUNT + Decimal::ONE, "q").is_err());
    }
}
