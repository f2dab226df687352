//! Sales documents: invoices, credit notes and cash sales.
//!
//! Life of a sale (the only code that changes `sales_document.status`):
//!
//! ```text
//! draft ──issue──▶ issued ──e-TIMS signs──▶ fiscalised ──(only a credit note corrects it)
//!   │  ▲              │
//!   │  └─ rejected /  └─void──▶ void (keeps its number)
//!   │     returned
//!   └──issue, needs approval──▶ pending_approval ──final approval──▶ issued
//! ```
//!
//! A draft has no number and may be edited freely. Issuing takes the next number of the type's
//! gap-free sequence (INV-, CN-, CS-) in the same unit of work, freezes the document (customer
//! name and PIN copied onto it), and records the event its e-TIMS workflow listens to. Amounts
//! are computed only by [`super::tax`] and stored per line, so what is shown, printed and sent
//! is the same figure.
//!
//! A credit note names an issued invoice or cash sale, carries its customer and PIN, is not
//! dated before it, and cannot credit more than what remains of each line (quantities and
//! amounts, summed over the earlier credit notes that are not void).

use std::collections::HashMap;
use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use ts_rs::TS;

use super::tax::{self, Discount, DocumentTotals, LineInput, PriceBasis, RateTable, TaxType};
use super::{SalesStatus, SalesType, check_amount, check_len, clean, escape_like, next_number};
use crate::entities::{customer, item, sales_document, sales_line};
use crate::workflows::{self, EventType, NewEvent};
use hesabu_store::audit::AuditDraft;
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::{Error, Result};
use hesabu_store::money::Currency;
use hesabu_store::permissions::Permission;
use hesabu_store::uow::UnitOfWork;

impl SalesType {
    pub const ALL: [SalesType; 3] = [
        SalesType::Invoice,
        SalesType::CreditNote,
        SalesType::CashSale,
    ];

    /// INV-000001, CN-000001, CS-000001.
    pub fn number_prefix(self) -> &'static str {
        match self {
            SalesType::Invoice => "INV",
            SalesType::CreditNote => "CN",
            SalesType::CashSale => "CS",
        }
    }

    /// The entity type of the local event its e-TIMS workflow listens to
    /// (`workflows::events::workflow_for`).
    pub fn event_entity(self) -> &'static str {
        match self {
            SalesType::Invoice => "invoice",
            SalesType::CreditNote => "credit_note",
            SalesType::CashSale => "sale",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            SalesType::Invoice => "invoice",
            SalesType::CreditNote => "credit note",
            SalesType::CashSale => "cash sale",
        }
    }

    pub fn parse(text: &str) -> Result<Self> {
        match text.trim().to_lowercase().replace([' ', '-'], "_").as_str() {
            "invoice" | "inv" => Ok(SalesType::Invoice),
            "credit_note" | "cn" | "credit" => Ok(SalesType::CreditNote),
            "cash_sale" | "cs" | "sales_receipt" | "receipt" => Ok(SalesType::CashSale),
            other => Err(Error::invalid(format!(
                "Unknown sale type '{other}'. Use invoice, credit-note or cash-sale."
            ))),
        }
    }
}

/// KRA's credit-note reasons (code class 32, spec §9).
pub const CREDIT_NOTE_REASONS: &[(&str, &str)] = &[
    ("01", "missing quantity"),
    ("02", "missing data"),
    ("03", "damaged"),
    ("04", "wasted"),
    ("05", "raw material shortage"),
    ("06", "refund"),
    ("07", "wrong customer PIN"),
    ("08", "wrong customer name"),
    ("09", "wrong amount or price"),
    ("10", "wrong quantity"),
    ("11", "wrong item(s)"),
    ("12", "wrong tax type"),
    ("13", "other reason"),
];

/// How a sale is paid. e-TIMS maps these by name onto KRA's live payment-type list.
pub const PAYMENT_METHODS: &[&str] =
    &["cash", "mpesa", "bank", "card", "cheque", "credit", "other"];

/// One line as entered. `item` (code) fills description, price and tax type unless given.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
pub struct NewSaleLine {
    #[serde(default)]
    pub item: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub quantity: Decimal,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    #[ts(type = "string | null")]
    pub unit_price: Option<Decimal>,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    #[ts(type = "string | null")]
    pub discount_percent: Option<Decimal>,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    #[ts(type = "string | null")]
    pub discount_amount: Option<Decimal>,
    #[serde(default)]
    pub tax_type: Option<String>,
    /// Credit notes: the position of the original invoice's line this credits (found by item
    /// or description when absent).
    #[serde(default)]
    #[ts(type = "number | null")]
    pub original_line: Option<i64>,
}

/// A sale to write as a draft (or, in [`update_draft`], the draft's new content).
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct NewSale {
    pub doc_type: SalesType,
    /// Customer number, PIN or name; none: a walk-in customer.
    #[serde(default)]
    pub customer: Option<String>,
    /// The name printed for a walk-in (default "Walk-in customer").
    #[serde(default)]
    pub walk_in_name: Option<String>,
    /// yyyy-mm-dd; default today (company time zone).
    #[serde(default)]
    pub issue_date: Option<String>,
    #[serde(default)]
    pub due_date: Option<String>,
    /// Default KES.
    #[serde(default)]
    pub currency: Option<String>,
    /// KES per unit of a foreign currency; required for one, refused for KES.
    #[serde(default, with = "rust_decimal::serde::str_option")]
    #[ts(type = "string | null")]
    pub exchange_rate: Option<Decimal>,
    /// Default: the company's (sales settings).
    #[serde(default)]
    pub price_basis: Option<PriceBasis>,
    #[serde(default)]
    pub payment_method: Option<String>,
    /// Cash sales default to the total; invoices to 0.
    #[serde(default, with = "rust_decimal::serde::str_option")]
    #[ts(type = "string | null")]
    pub amount_paid: Option<Decimal>,
    #[serde(default)]
    pub notes: Option<String>,
    /// Credit notes: the original invoice's number (or id).
    #[serde(default)]
    pub original: Option<String>,
    /// Credit notes: KRA reason code (01–13).
    #[serde(default)]
    pub reason_code: Option<String>,
    pub lines: Vec<NewSaleLine>,
}

impl NewSale {
    /// A sale of `doc_type` with these lines and every other field at its default (today, KES,
    /// the company's price basis, a walk-in customer when `customer` is none).
    pub fn new(doc_type: SalesType, customer: Option<&str>, lines: Vec<NewSaleLine>) -> Self {
        Self {
            doc_type,
            customer: customer.map(str::to_owned),
            walk_in_name: None,
            issue_date: None,
            due_date: None,
            currency: None,
            exchange_rate: None,
            price_basis: None,
            payment_method: None,
            amount_paid: None,
            notes: None,
            original: None,
            reason_code: None,
            lines,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct SaleLineView {
    #[ts(type = "number")]
    pub position: i64,
    pub item_id: Option<String>,
    pub item_code: Option<String>,
    pub description: String,
    pub quantity: String,
    pub unit_price: String,
    pub discount_kind: String,
    pub discount_value: String,
    pub tax_type: TaxType,
    pub tax_rate: String,
    pub supply_amount: String,
    pub discount_amount: String,
    pub taxable_amount: String,
    pub tax_amount: String,
    pub total_amount: String,
    /// Credit notes: the original line's position.
    #[ts(type = "number | null")]
    pub original_line: Option<i64>,
}

/// A sale with its lines and band table.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct SaleView {
    pub id: String,
    pub doc_type: SalesType,
    pub status: SalesStatus,
    /// None while a draft.
    pub number: Option<String>,
    pub customer_id: Option<String>,
    pub customer_number: Option<String>,
    pub customer_name: String,
    pub customer_pin: Option<String>,
    pub issue_date: String,
    pub due_date: Option<String>,
    pub currency: String,
    pub exchange_rate: String,
    pub price_basis: PriceBasis,
    pub payment_method: Option<String>,
    pub amount_paid: String,
    pub notes: Option<String>,
    pub original_id: Option<String>,
    pub original_number: Option<String>,
    pub reason_code: Option<String>,
    pub lines: Vec<SaleLineView>,
    /// In the document's currency, from the stored lines.
    pub totals: DocumentTotals,
    pub total_kes: String,
    pub created_by: String,
    pub created_at: String,
    pub issued_at: Option<String>,
    pub fiscalised_at: Option<String>,
    pub voided_at: Option<String>,
    pub void_reason: Option<String>,
    /// Things worth knowing that did not stop the action (a credit limit passed, say).
    pub warnings: Vec<String>,
}

/// One row of the sales list.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct SaleSummary {
    pub id: String,
    pub doc_type: SalesType,
    pub status: SalesStatus,
    pub number: Option<String>,
    pub customer_name: String,
    pub customer_pin: Option<String>,
    pub issue_date: String,
    pub currency: String,
    pub total: String,
    pub total_kes: String,
    pub created_at: String,
}

/// What to list, newest first. `search`: a number (INV-000012, or its digits), a customer's name
/// or PIN, or an amount (the exact total).
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
pub struct SalesQuery {
    #[serde(default)]
    pub doc_type: Option<SalesType>,
    #[serde(default)]
    pub status: Option<SalesStatus>,
    #[serde(default)]
    pub search: Option<String>,
    /// yyyy-mm-dd, inclusive.
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    #[ts(type = "number | null")]
    pub limit: Option<u64>,
    #[serde(default)]
    #[ts(type = "number | null")]
    pub offset: Option<u64>,
}

/// The computed content of a sale, ready to store.
pub(crate) struct Prepared {
    customer: Option<customer::Model>,
    customer_name: String,
    customer_pin: Option<String>,
    issue_date: String,
    due_date: Option<String>,
    currency: String,
    exchange_rate: Decimal,
    basis: PriceBasis,
    payment_method: Option<String>,
    amount_paid: Option<Decimal>,
    notes: Option<String>,
    original: Option<sales_document::Model>,
    reason_code: Option<String>,
    lines: Vec<PreparedLine>,
    totals: DocumentTotals,
    total_kes: Decimal,
}

struct PreparedLine {
    item: Option<item::Model>,
    description: String,
    input: LineInput,
    original_line_id: Option<String>,
}

/// The rate table sales are computed with. Simplification until the e-TIMS issue caches KRA's
/// code list: KRA's published table (spec §9), as data in `tax::KRA_TAX_TYPES`.
pub fn rate_table() -> RateTable {
    RateTable::kra_default()
}

/// Computes a sale's band table without saving anything (`hesabu sale totals`). Lines naming an
/// item take its price and tax type unless given.
pub async fn preview(
    file: &CompanyFile,
    session: &Session,
    lines: &[NewSaleLine],
    basis: Option<PriceBasis>,
) -> Result<DocumentTotals> {
    session.require(Permission::SalesView)?;
    let db = file.reader();
    let basis = match basis {
        Some(b) => b,
        None => super::settings::price_basis(db).await?,
    };
    let mut inputs = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        inputs.push(prepare_line(db, i + 1, line).await?.input);
    }
    tax::compute(&inputs, basis, &rate_table())
}

async fn prepare_line(
    db: &impl ConnectionTrait,
    position: usize,
    line: &NewSaleLine,
) -> Result<PreparedLine> {
    let at = |e: Error| match e {
        Error::InvalidInput(m) | Error::NotFound(m) => {
            Error::invalid(format!("Line {position}: {m}"))
        }
        other => other,
    };
    let item = match clean(line.item.as_deref()) {
        Some(code) => {
            let item = super::items::find(db, &code).await.map_err(at)?;
            if !item.active {
                return Err(Error::invalid(format!(
                    "Line {position}: item {} is inactive. Activate it or choose another item.",
                    item.code
                )));
            }
            Some(item)
        }
        None => None,
    };
    let description = clean(line.description.as_deref())
        .or_else(|| item.as_ref().map(|i| i.name.clone()))
        .ok_or_else(|| {
            Error::invalid(format!(
                "Line {position} has neither an item nor a description: give one."
            ))
        })?;
    check_len("description", &description, 200).map_err(at)?;
    let tax_type = match (clean(line.tax_type.as_deref()), &item) {
        (Some(t), _) => TaxType::from_str(&t).map_err(at)?,
        (None, Some(item)) => TaxType::from_str(&item.tax_type)?,
        (None, None) => {
            return Err(Error::invalid(format!(
                "Line {position} has no item, so it needs a tax type (A exempt, B 16%, C 0%, \
                 D non-VAT, E 8%)."
            )));
        }
    };
    let unit_price = match (line.unit_price, &item) {
        (Some(p), _) => p,
        (None, Some(item)) => item.unit_price.get(),
        (None, None) => {
            return Err(Error::invalid(format!(
                "Line {position} has no item, so it needs a unit price."
            )));
        }
    };
    let discount = match (line.discount_percent, line.discount_amount) {
        (Some(p), None) if !p.is_zero() => Discount::Percent(p),
        (None, Some(a)) if !a.is_zero() => Discount::Amount(a),
        (Some(p), Some(a)) if !p.is_zero() && !a.is_zero() => {
            return Err(Error::invalid(format!(
                "Line {position} has both a discount percentage and a discount amount: keep one."
            )));
        }
        _ => Discount::None,
    };
    Ok(PreparedLine {
        item,
        description,
        input: LineInput {
            quantity: line.quantity,
            unit_price,
            discount,
            tax_type,
        },
        original_line_id: None,
    })
}

fn parse_date(what: &str, text: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
        Error::invalid(format!(
            "The {what} '{text}' is not a date: write it as yyyy-mm-dd, e.g. 2026-12-02."
        ))
    })
}

/// Today in the company's time zone.
async fn today(db: &impl ConnectionTrait, now: chrono::DateTime<chrono::Utc>) -> Result<NaiveDate> {
    let company = crate::company::load(db).await?;
    let tz: chrono_tz::Tz = company
        .time_zone
        .parse()
        .unwrap_or(chrono_tz::Africa::Nairobi);
    Ok(now.with_timezone(&tz).date_naive())
}

/// Validates `new` and computes it. Checked again at issue (the customer or the original may
/// have changed since the draft was written).
async fn prepare(uow: &UnitOfWork, new: &NewSale, editing: Option<&str>) -> Result<Prepared> {
    let db = uow.db();
    if new.lines.is_empty() {
        return Err(Error::invalid(format!(
            "A {} needs at least one line.",
            new.doc_type.describe()
        )));
    }
    if new.lines.len() > 1000 {
        return Err(Error::invalid(format!(
            "A sale may have at most 1000 lines; this one has {}. Split it.",
            new.lines.len()
        )));
    }
    let today = today(db, uow.now()).await?;
    let issue_date = match clean(new.issue_date.as_deref()) {
        Some(d) => parse_date("issue date", &d)?,
        None => today,
    };
    let due_date = match clean(new.due_date.as_deref()) {
        Some(d) => {
            let due = parse_date("due date", &d)?;
            if due < issue_date {
                return Err(Error::invalid(format!(
                    "The due date {due} is before the issue date {issue_date}."
                )));
            }
            Some(due.to_string())
        }
        None => None,
    };
    let company = crate::company::load(db).await?;
    let currency = match clean(new.currency.as_deref()) {
        Some(c) => Currency::from_str(&c)?,
        None => Currency::from_str(&company.base_currency)?,
    };
    let is_base = currency.code() == company.base_currency;
    let credit_note = new.doc_type == SalesType::CreditNote;
    let mut exchange_rate = match (is_base, new.exchange_rate) {
        (true, None) => Decimal::ONE,
        (true, Some(r)) if r == Decimal::ONE => Decimal::ONE,
        (true, Some(r)) => {
            return Err(Error::invalid(format!(
                "A {} sale has no exchange rate (got {r}); leave it out.",
                currency.code()
            )));
        }
        // A credit note takes its original's rate (set below, once the original is known).
        (false, None) if credit_note => Decimal::ONE,
        (false, None) => {
            return Err(Error::invalid(format!(
                "A {} sale needs its exchange rate: how many {} one {} is worth, e.g. 129.50.",
                currency.code(),
                company.base_currency,
                currency.code()
            )));
        }
        (false, Some(r))
            if r <= Decimal::ZERO || r.normalize().scale() > 6 || r > Decimal::from(1_000_000) =>
        {
            return Err(Error::invalid(format!(
                "The exchange rate {r} must be above 0 and at most 1,000,000, with at most 6 \
                 decimal places."
            )));
        }
        (false, Some(r)) => r.normalize(),
    };
    let mut basis = match new.price_basis {
        Some(b) => b,
        None => super::settings::price_basis(db).await?,
    };
    let payment_method = match clean(new.payment_method.as_deref()).map(|m| m.to_lowercase()) {
        Some(m) if PAYMENT_METHODS.contains(&m.as_str()) => Some(m),
        Some(m) => {
            return Err(Error::invalid(format!(
                "Payment method '{m}' is not known. Use one of: {}.",
                PAYMENT_METHODS.join(", ")
            )));
        }
        None if new.doc_type == SalesType::CashSale => Some("cash".into()),
        None => None,
    };
    let amount_paid = match new.amount_paid {
        Some(a) => Some(check_amount("amount paid", a, 2)?),
        None => None,
    };
    let notes = clean(new.notes.as_deref());
    if let Some(n) = &notes {
        check_len("notes", n, 400)?;
    }

    // The customer: the original's, for a credit note.
    let mut original = None;
    let mut reason_code = None;
    let mut customer = match clean(new.customer.as_deref()) {
        Some(key) => {
            let c = super::customers::find(db, &key).await?;
            if !c.active {
                return Err(Error::invalid(format!(
                    "Customer {} {} is inactive: activate them first, or choose another \
                     customer.",
                    c.number, c.name
                )));
            }
            Some(c)
        }
        None => None,
    };
    let mut customer_name = customer.as_ref().map_or_else(
        || clean(new.walk_in_name.as_deref()).unwrap_or_else(|| "Walk-in customer".into()),
        |c| c.name.clone(),
    );
    let mut customer_pin = customer.as_ref().and_then(|c| c.kra_pin.clone());
    if new.doc_type == SalesType::CreditNote {
        let key = clean(new.original.as_deref()).ok_or_else(|| {
            Error::invalid(
                "A credit note corrects an issued invoice: name the original invoice, e.g. \
                 INV-000123.",
            )
        })?;
        let orig = find(db, &key).await?;
        if !matches!(orig.doc_type, SalesType::Invoice | SalesType::CashSale) {
            return Err(Error::invalid(format!(
                "{} is a credit note; a credit note corrects an invoice or a cash sale.",
                label(&orig)
            )));
        }
        if !matches!(orig.status, SalesStatus::Issued | SalesStatus::Fiscalised) {
            return Err(Error::invalid(format!(
                "{} is {}; only an issued invoice can be credited.",
                label(&orig),
                orig.status.to_string().replace('_', " ")
            )));
        }
        if let Some(c) = &customer
            && Some(&c.id) != orig.customer_id.as_ref()
        {
            return Err(Error::invalid(format!(
                "A credit note must be to the original's customer ({}), not {}.",
                orig.customer_name, c.name
            )));
        }
        let orig_date = parse_date("original's date", &orig.issue_date)?;
        if issue_date < orig_date {
            return Err(Error::invalid(format!(
                "The credit note is dated {issue_date}, before {} ({orig_date}). Date it on or \
                 after the invoice.",
                label(&orig)
            )));
        }
        if orig.currency != currency.code() {
            return Err(Error::invalid(format!(
                "The credit note must be in {}, the currency of {}.",
                orig.currency,
                label(&orig)
            )));
        }
        // VAT is reversed at the rate it was charged: KRA receives a foreign-currency sale's
        // KES figures, and a credit note at another rate could credit more KES than the
        // original carried (KRA refuses that) or leave VAT behind.
        let original_rate = orig.exchange_rate.get().normalize();
        if !is_base
            && new
                .exchange_rate
                .is_some_and(|r| r.normalize() != original_rate)
        {
            return Err(Error::invalid(format!(
                "A credit note carries the exchange rate of {} ({original_rate}): VAT is \
                 reversed in KES at the rate it was charged. Leave the rate out, or enter \
                 {original_rate}.",
                label(&orig)
            )));
        }
        exchange_rate = if is_base { Decimal::ONE } else { original_rate };
        basis = PriceBasis::from_str(&orig.price_basis)?;
        if new.price_basis.is_some_and(|b| b != basis) {
            return Err(Error::invalid(format!(
                "The credit note must use the {basis} price basis of {}.",
                label(&orig)
            )));
        }
        let code = clean(new.reason_code.as_deref()).ok_or_else(|| {
            Error::invalid(format!(
                "A credit note needs KRA's reason code: {}.",
                reasons_text()
            ))
        })?;
        let code = if code.len() == 1 {
            format!("0{code}")
        } else {
            code
        };
        if !CREDIT_NOTE_REASONS.iter().any(|(c, _)| *c == code) {
            return Err(Error::invalid(format!(
                "Reason code '{code}' is not one of KRA's: {}.",
                reasons_text()
            )));
        }
        reason_code = Some(code);
        customer = match &orig.customer_id {
            Some(id) => customer::Entity::find_by_id(id.clone()).one(db).await?,
            None => None,
        };
        customer_name = orig.customer_name.clone();
        customer_pin = orig.customer_pin.clone();
        original = Some(orig);
    } else if new.original.is_some() || new.reason_code.is_some() {
        return Err(Error::invalid(
            "Only a credit note names an original invoice and a reason.",
        ));
    }

    let mut lines = Vec::with_capacity(new.lines.len());
    for (i, line) in new.lines.iter().enumerate() {
        lines.push(prepare_line(db, i + 1, line).await?);
    }
    let inputs: Vec<LineInput> = lines.iter().map(|l| l.input.clone()).collect();
    let totals = tax::compute(&inputs, basis, &rate_table())?;
    let total_kes = if exchange_rate == Decimal::ONE {
        totals.total
    } else {
        let converted = tax::in_base_currency(&inputs, exchange_rate)?;
        tax::compute(&converted, basis, &rate_table())?.total
    };
    if let Some(orig) = &original {
        match_credit_lines(db, orig, new, &mut lines, &totals, editing).await?;
    }
    Ok(Prepared {
        customer,
        customer_name,
        customer_pin,
        issue_date: issue_date.to_string(),
        due_date,
        currency: currency.code().to_owned(),
        exchange_rate,
        basis,
        payment_method,
        amount_paid,
        notes,
        original,
        reason_code,
        lines,
        totals,
        total_kes,
    })
}

fn reasons_text() -> String {
    CREDIT_NOTE_REASONS
        .iter()
        .map(|(c, n)| format!("{c} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What remains creditable of each line of `original`: (quantity, total amount), after every
/// credit note that is not void (except `editing`, the draft being rewritten).
pub(crate) async fn remaining_of(
    db: &impl ConnectionTrait,
    original: &sales_document::Model,
    editing: Option<&str>,
) -> Result<Vec<(sales_line::Model, Decimal, Decimal)>> {
    let lines = lines_of(db, &original.id).await?;
    let mut credits = sales_document::Entity::find()
        .filter(sales_document::Column::OriginalId.eq(original.id.clone()))
        .filter(sales_document::Column::Status.ne(SalesStatus::Void));
    if let Some(id) = editing {
        credits = credits.filter(sales_document::Column::Id.ne(id));
    }
    let credit_ids: Vec<String> = credits.all(db).await?.into_iter().map(|c| c.id).collect();
    let mut used: HashMap<String, (Decimal, Decimal)> = HashMap::new();
    if !credit_ids.is_empty() {
        for line in sales_line::Entity::find()
            .filter(sales_line::Column::DocumentId.is_in(credit_ids))
            .all(db)
            .await?
        {
            if let Some(orig) = line.original_line_id {
                let e = used.entry(orig).or_default();
                e.0 = e.0.saturating_add(line.quantity.get());
                e.1 = e.1.saturating_add(line.total_amount.get());
            }
        }
    }
    Ok(lines
        .into_iter()
        .map(|l| {
            let (q, a) = used.get(&l.id).copied().unwrap_or_default();
            let qty = l.quantity.get() - q;
            let amount = l.total_amount.get() - a;
            (l, qty, amount)
        })
        .collect())
}

/// Ties each credit-note line to a line of the original and refuses more than remains.
async fn match_credit_lines(
    db: &impl ConnectionTrait,
    original: &sales_document::Model,
    new: &NewSale,
    lines: &mut [PreparedLine],
    totals: &DocumentTotals,
    editing: Option<&str>,
) -> Result<()> {
    let mut remaining = remaining_of(db, original, editing).await?;
    for (i, line) in lines.iter_mut().enumerate() {
        let position = i + 1;
        let wanted = new.lines[i].original_line;
        let matches = |orig: &sales_line::Model| match wanted {
            Some(p) => orig.position == p,
            None => match (&line.item, &orig.item_id) {
                (Some(item), Some(id)) => &item.id == id,
                (None, None) => orig.description.eq_ignore_ascii_case(&line.description),
                _ => false,
            },
        };
        // The first matching line with something left, else the first matching line (so the
        // message says nothing remains, rather than that the item was never sold).
        let index = remaining
            .iter()
            .position(|(orig, qty, _)| matches(orig) && *qty > Decimal::ZERO)
            .or_else(|| remaining.iter().position(|(orig, _, _)| matches(orig)));
        let candidate = index.map(|i| &mut remaining[i]);
        let Some((orig, qty_left, amount_left)) = candidate.map(|(o, q, a)| (&*o, q, a)) else {
            return Err(Error::invalid(format!(
                "Line {position} ({}) is not on {}: a credit note may only credit the \
                 original's lines{}.",
                line.description,
                label(original),
                wanted.map_or(String::new(), |p| format!(" (there is no line {p})"))
            )));
        };
        if orig.tax_type != line.input.tax_type.as_str() {
            return Err(Error::invalid(format!(
                "Line {position}: the original line is in tax band {}, not {}.",
                orig.tax_type, line.input.tax_type
            )));
        }
        let amount = totals.lines[i].total_amount;
        if line.input.unit_price > orig.unit_price.get() {
            return Err(Error::invalid(format!(
                "Line {position} credits {} at {}, above the price on {} line {} ({}); KRA \
                 refuses a credit note priced higher than the invoice.",
                line.description,
                line.input.unit_price.normalize(),
                label(original),
                orig.position,
                orig.unit_price
            )));
        }
        if line.input.quantity > *qty_left {
            return Err(Error::invalid(format!(
                "Line {position} credits {} of {}, but only {} remain{} on {} line {}.",
                line.input.quantity.normalize(),
                line.description,
                qty_left.normalize(),
                if *qty_left == orig.quantity.get() {
                    ""
                } else {
                    " after earlier credit notes"
                },
                label(original),
                orig.position
            )));
        }
        if amount > *amount_left {
            return Err(Error::invalid(format!(
                "Line {position} credits {amount} but only {} remains of {} line {} ({}).",
                amount_left.normalize(),
                label(original),
                orig.position,
                line.description
            )));
        }
        *qty_left -= line.input.quantity;
        *amount_left -= amount;
        line.original_line_id = Some(orig.id.clone());
    }
    Ok(())
}

/// Writes a draft.
pub async fn create(file: &CompanyFile, session: &Session, new: &NewSale) -> Result<SaleView> {
    require_for(session, new.doc_type)?;
    let mut uow = file.begin(session).await?;
    let prepared = prepare(&uow, new, None).await?;
    let doc = write_content(
        &uow,
        empty_draft(&uow, new.doc_type, session.user_id()),
        &prepared,
        true,
    )
    .await?;
    uow.audit(AuditDraft {
        action: "sale.create",
        entity_type: "sale",
        entity_id: doc.id.clone(),
        before: None,
        after: Some(summary(&doc)),
    })
    .await?;
    uow.commit().await?;
    show(file, session, &doc.id).await
}

/// Writes `new` through every check a sale typed into Hesabu passes (a credit note's original,
/// reason and limits included), marks it as QuickBooks' object `qbo_id` at `sync_token`, and
/// issues it: the pulled credit memo's way into the ledger (`super::synced`). Audited
/// `sale.pull`. `Ok(Err(why))` when the checks refuse it: nothing was written, and the caller
/// may go on with its unit of work.
pub(crate) async fn create_pulled_in(
    uow: &mut UnitOfWork,
    new: &NewSale,
    qbo_id: &str,
    sync_token: Option<&str>,
) -> Result<std::result::Result<(sales_document::Model, DocumentTotals), Error>> {
    let created_by = uow.actor().id.clone().ok_or_else(|| {
        Error::invalid("Pulling sales from QuickBooks needs a signed-in user (it issues them).")
    })?;
    let prepared = match prepare(uow, new, None).await {
        Ok(p) => p,
        Err(e @ (Error::InvalidInput(_) | Error::NotFound(_) | Error::Conflict(_))) => {
            return Ok(Err(e));
        }
        Err(other) => return Err(other),
    };
    let today = today(uow.db(), uow.now()).await?;
    if parse_date("issue date", &prepared.issue_date)? > today {
        return Ok(Err(Error::invalid(format!(
            "it is dated {}, after today ({today}); KRA refuses post-dated sales",
            prepared.issue_date
        ))));
    }
    let draft = sales_document::Model {
        qbo_id: Some(qbo_id.to_owned()),
        qbo_sync_token: sync_token.map(str::to_owned),
        ..empty_draft(uow, new.doc_type, &created_by)
    };
    let doc = write_content(uow, draft, &prepared, true).await?;
    uow.audit(AuditDraft {
        action: "sale.pull",
        entity_type: "sale",
        entity_id: doc.id.clone(),
        before: None,
        after: Some(json!({
            "qbo_id": qbo_id,
            "qbo_sync_token": sync_token,
            "doc_type": new.doc_type,
            "original": new.original,
            "reason_code": new.reason_code,
            "total": prepared.totals.total,
        })),
    })
    .await?;
    let doc = issue_in(uow, &doc.id, false).await?;
    Ok(Ok((doc, prepared.totals)))
}

/// A new draft with nothing in it yet: `write_content` fills it.
fn empty_draft(uow: &UnitOfWork, doc_type: SalesType, created_by: &str) -> sales_document::Model {
    let now = uow.now_text();
    sales_document::Model {
        id: uow.new_id(),
        doc_type,
        status: SalesStatus::Draft,
        sequence_number: None,
        number: None,
        customer_id: None,
        customer_name: String::new(),
        customer_pin: None,
        issue_date: String::new(),
        due_date: None,
        currency: String::new(),
        exchange_rate: Decimal::ONE.into(),
        price_basis: String::new(),
        payment_method: None,
        amount_paid: Decimal::ZERO.into(),
        notes: None,
        original_id: None,
        reason_code: None,
        total_taxable: Decimal::ZERO.into(),
        total_tax: Decimal::ZERO.into(),
        total: Decimal::ZERO.into(),
        total_kes: Decimal::ZERO.into(),
        created_by: created_by.to_owned(),
        created_at: now.clone(),
        updated_at: now,
        issued_by: None,
        issued_at: None,
        fiscalised_at: None,
        voided_by: None,
        voided_at: None,
        void_reason: None,
        qbo_id: None,
        qbo_sync_token: None,
    }
}

fn require_for(session: &Session, doc_type: SalesType) -> Result<()> {
    session.require(Permission::SalesDraft)?;
    if doc_type == SalesType::CreditNote {
        session.require(Permission::SalesCredit)?;
    }
    Ok(())
}

/// Stores the prepared content on `doc` (a draft) and replaces its lines.
async fn write_content(
    uow: &UnitOfWork,
    doc: sales_document::Model,
    p: &Prepared,
    insert: bool,
) -> Result<sales_document::Model> {
    let amount_paid = p
        .amount_paid
        .unwrap_or(if doc.doc_type == SalesType::CashSale {
            p.totals.total
        } else {
            Decimal::ZERO
        });
    let doc = sales_document::Model {
        customer_id: p.customer.as_ref().map(|c| c.id.clone()),
        customer_name: p.customer_name.clone(),
        customer_pin: p.customer_pin.clone(),
        issue_date: p.issue_date.clone(),
        due_date: p.due_date.clone(),
        currency: p.currency.clone(),
        exchange_rate: p.exchange_rate.into(),
        price_basis: p.basis.as_str().into(),
        payment_method: p.payment_method.clone(),
        amount_paid: amount_paid.into(),
        notes: p.notes.clone(),
        original_id: p.original.as_ref().map(|o| o.id.clone()),
        reason_code: p.reason_code.clone(),
        total_taxable: p.totals.total_taxable.into(),
        total_tax: p.totals.total_tax.into(),
        total: p.totals.total.into(),
        total_kes: p.total_kes.into(),
        updated_at: uow.now_text(),
        ..doc
    };
    let doc = if insert {
        sales_document::ActiveModel::from(doc)
            .insert(uow.db())
            .await?
    } else {
        sales_line::Entity::delete_many()
            .filter(sales_line::Column::DocumentId.eq(doc.id.clone()))
            .exec(uow.db())
            .await?;
        let mut active = doc.into_active_model();
        for column in [
            sales_document::Column::CustomerId,
            sales_document::Column::CustomerName,
            sales_document::Column::CustomerPin,
            sales_document::Column::IssueDate,
            sales_document::Column::DueDate,
            sales_document::Column::Currency,
            sales_document::Column::ExchangeRate,
            sales_document::Column::PriceBasis,
            sales_document::Column::PaymentMethod,
            sales_document::Column::AmountPaid,
            sales_document::Column::Notes,
            sales_document::Column::OriginalId,
            sales_document::Column::ReasonCode,
            sales_document::Column::TotalTaxable,
            sales_document::Column::TotalTax,
            sales_document::Column::Total,
            sales_document::Column::TotalKes,
            sales_document::Column::UpdatedAt,
        ] {
            active.reset(column);
        }
        active.update(uow.db()).await?
    };
    for (i, (line, computed)) in p.lines.iter().zip(&p.totals.lines).enumerate() {
        let (kind, value) = match line.input.discount {
            Discount::None => ("none", Decimal::ZERO),
            Discount::Percent(v) => ("percent", v),
            Discount::Amount(v) => ("amount", v),
        };
        sales_line::ActiveModel::from(sales_line::Model {
            id: uow.new_id(),
            document_id: doc.id.clone(),
            position: i64::try_from(i + 1).unwrap_or(i64::MAX),
            item_id: line.item.as_ref().map(|i| i.id.clone()),
            original_line_id: line.original_line_id.clone(),
            description: line.description.clone(),
            quantity: line.input.quantity.normalize().into(),
            unit_price: line.input.unit_price.normalize().into(),
            discount_kind: kind.into(),
            discount_value: value.normalize().into(),
            tax_type: line.input.tax_type.as_str().into(),
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
    Ok(doc)
}

/// Rewrites a draft (a returned or rejected sale is a draft again). Issued sales are immutable.
pub async fn update_draft(
    file: &CompanyFile,
    session: &Session,
    key: &str,
    new: &NewSale,
) -> Result<SaleView> {
    require_for(session, new.doc_type)?;
    let mut uow = file.begin(session).await?;
    let before = find(uow.db(), key).await?;
    ensure_draft(&before, "edited")?;
    if before.doc_type != new.doc_type {
        return Err(Error::invalid(format!(
            "{} is a {}; it cannot become a {}. Write a new one instead.",
            label(&before),
            before.doc_type.describe(),
            new.doc_type.describe()
        )));
    }
    let prepared = prepare(&uow, new, Some(&before.id)).await?;
    let after = write_content(&uow, before.clone(), &prepared, false).await?;
    uow.audit(AuditDraft {
        action: "sale.edit",
        entity_type: "sale",
        entity_id: after.id.clone(),
        before: Some(summary(&before)),
        after: Some(summary(&after)),
    })
    .await?;
    uow.commit().await?;
    show(file, session, &after.id).await
}

fn ensure_draft(doc: &sales_document::Model, verb: &str) -> Result<()> {
    match doc.status {
        SalesStatus::Draft => Ok(()),
        SalesStatus::PendingApproval => Err(Error::Conflict(format!(
            "{} is waiting for approval and cannot be {verb}. Recall the approval request \
             first (Approvals, or hesabu doc recall {}).",
            label(doc),
            doc.id
        ))),
        _ => Err(Error::Conflict(format!(
            "{} is {} and cannot be {verb}: an issued sale never changes. {}",
            label(doc),
            doc.status.to_string().replace('_', " "),
            if doc.status == SalesStatus::Void {
                "Write a new one."
            } else {
                "Raise a credit note to correct it (or void it before KRA signs it)."
            }
        ))),
    }
}

/// What the approval gate needs to decide on a draft: it is re-validated (customer still
/// active, credit limits, dates) and its totals recomputed from the stored lines' inputs.
pub(crate) async fn check_issuable(
    uow: &UnitOfWork,
    doc: &sales_document::Model,
) -> Result<Vec<String>> {
    let new = to_new_sale(uow.db(), doc).await?;
    let prepared = prepare(uow, &new, Some(&doc.id)).await?;
    let today = today(uow.db(), uow.now()).await?;
    if parse_date("issue date", &prepared.issue_date)? > today {
        return Err(Error::invalid(format!(
            "{} is dated {}, after today ({today}); KRA refuses post-dated sales. Change the \
             date to today or earlier.",
            label(doc),
            prepared.issue_date
        )));
    }
    let mut warnings = Vec::new();
    if let (Some(c), SalesType::Invoice) = (&prepared.customer, doc.doc_type)
        && let Some(limit) = c.credit_limit
    {
        let open = open_balance(uow.db(), &c.id).await?;
        let after = open
            .checked_add(prepared.total_kes)
            .unwrap_or(Decimal::MAX)
            .saturating_sub(prepared.amount_paid.unwrap_or_default());
        if after > limit.get() {
            warnings.push(format!(
                "{} owes KES {} with this invoice, above their credit limit of KES {}.",
                c.name,
                after.round_dp(2),
                limit.get()
            ));
        }
    }
    Ok(warnings)
}

/// What a customer owes on issued invoices (KES): totals less amounts paid less credit notes.
/// Simplification: Hesabu records no payments after issue yet, so this overstates a balance
/// that was paid later; it only produces a warning.
async fn open_balance(db: &impl ConnectionTrait, customer_id: &str) -> Result<Decimal> {
    let docs = sales_document::Entity::find()
        .filter(sales_document::Column::CustomerId.eq(customer_id))
        .filter(
            sales_document::Column::Status.is_in([SalesStatus::Issued, SalesStatus::Fiscalised]),
        )
        .all(db)
        .await?;
    let mut owed = Decimal::ZERO;
    for d in docs {
        let rate = d.exchange_rate.get();
        let paid_kes = d
            .amount_paid
            .get()
            .checked_mul(rate)
            .unwrap_or(Decimal::MAX)
            .round_dp(2);
        match d.doc_type {
            SalesType::Invoice => {
                owed = owed
                    .checked_add(d.total_kes.get() - paid_kes.min(d.total_kes.get()))
                    .unwrap_or(Decimal::MAX);
            }
            SalesType::CreditNote => owed = owed.checked_sub(d.total_kes.get()).unwrap_or(owed),
            SalesType::CashSale => {}
        }
    }
    Ok(owed)
}

/// The items named by `lines`, by id (one query).
async fn items_of(
    db: &impl ConnectionTrait,
    lines: &[sales_line::Model],
) -> Result<HashMap<String, item::Model>> {
    let ids: Vec<String> = lines.iter().filter_map(|l| l.item_id.clone()).collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(item::Entity::find()
        .filter(item::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|i| (i.id.clone(), i))
        .collect())
}

/// The number of the sale a credit note corrects (none for other sales).
async fn original_number(
    db: &impl ConnectionTrait,
    doc: &sales_document::Model,
) -> Result<Option<String>> {
    Ok(match &doc.original_id {
        Some(id) => sales_document::Entity::find_by_id(id.clone())
            .one(db)
            .await?
            .and_then(|o| o.number),
        None => None,
    })
}

/// The stored draft as the input it was written from.
async fn to_new_sale(db: &impl ConnectionTrait, doc: &sales_document::Model) -> Result<NewSale> {
    let lines = lines_of(db, &doc.id).await?;
    let items = items_of(db, &lines).await?;
    let originals = original_positions(db, &lines).await?;
    let original = doc.original_id.clone();
    Ok(NewSale {
        doc_type: doc.doc_type,
        customer: doc.customer_id.clone(),
        walk_in_name: doc.customer_id.is_none().then(|| doc.customer_name.clone()),
        issue_date: Some(doc.issue_date.clone()),
        due_date: doc.due_date.clone(),
        currency: Some(doc.currency.clone()),
        exchange_rate: (doc.exchange_rate.get() != Decimal::ONE).then(|| doc.exchange_rate.get()),
        price_basis: Some(PriceBasis::from_str(&doc.price_basis)?),
        payment_method: doc.payment_method.clone(),
        amount_paid: Some(doc.amount_paid.get()),
        notes: doc.notes.clone(),
        original,
        reason_code: doc.reason_code.clone(),
        lines: lines
            .iter()
            .map(|l| NewSaleLine {
                item: l
                    .item_id
                    .as_ref()
                    .and_then(|id| items.get(id))
                    .map(|i| i.code.clone()),
                description: Some(l.description.clone()),
                quantity: l.quantity.get(),
                unit_price: Some(l.unit_price.get()),
                discount_percent: (l.discount_kind == "percent").then(|| l.discount_value.get()),
                discount_amount: (l.discount_kind == "amount").then(|| l.discount_value.get()),
                tax_type: Some(l.tax_type.clone()),
                original_line: l
                    .original_line_id
                    .as_ref()
                    .and_then(|id| originals.get(id).copied()),
            })
            .collect(),
    })
}

async fn original_positions(
    db: &impl ConnectionTrait,
    lines: &[sales_line::Model],
) -> Result<HashMap<String, i64>> {
    let ids: Vec<String> = lines
        .iter()
        .filter_map(|l| l.original_line_id.clone())
        .collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(sales_line::Entity::find()
        .filter(sales_line::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|l| (l.id, l.position))
        .collect())
}

/// Issues a draft (or a sale just approved) inside `uow`: takes its number, freezes it, and
/// records the event its e-TIMS workflow listens to. `approved_by_chain`: it went through an
/// approval request (recorded in its history and the event).
pub(crate) async fn issue_in(
    uow: &mut UnitOfWork,
    id: &str,
    approved_by_chain: bool,
) -> Result<sales_document::Model> {
    let doc = find(uow.db(), id).await?;
    match doc.status {
        SalesStatus::Draft | SalesStatus::PendingApproval => {}
        _ => {
            return Err(Error::Conflict(format!(
                "{} is already {}.",
                label(&doc),
                doc.status
            )));
        }
    }
    check_issuable(uow, &doc).await?;
    let seq = next_number(uow, doc.doc_type.as_str()).await?;
    let number = format!("{}-{seq:06}", doc.doc_type.number_prefix());
    let before = doc.clone();
    // The customer's details as they are now are what is printed and sent, from now on.
    let (name, pin) = match (&doc.customer_id, doc.doc_type) {
        (Some(cid), SalesType::Invoice | SalesType::CashSale) => {
            let c = customer::Entity::find_by_id(cid.clone())
                .one(uow.db())
                .await?
                .ok_or_else(|| Error::Internal(format!("customer {cid} is missing")))?;
            (c.name, c.kra_pin)
        }
        _ => (doc.customer_name.clone(), doc.customer_pin.clone()),
    };
    let mut active = doc.into_active_model();
    active.status = Set(SalesStatus::Issued);
    active.sequence_number = Set(Some(seq));
    active.number = Set(Some(number));
    active.customer_name = Set(name);
    active.customer_pin = Set(pin);
    active.issued_by = Set(uow.actor().id.clone());
    active.issued_at = Set(Some(uow.now_text()));
    active.updated_at = Set(uow.now_text());
    let doc = active.update(uow.db()).await?;
    uow.audit(AuditDraft {
        action: "sale.issue",
        entity_type: "sale",
        entity_id: doc.id.clone(),
        before: Some(summary(&before)),
        after: Some(json!({
            "number": doc.number,
            "status": doc.status,
            "total": doc.total,
            "total_kes": doc.total_kes,
            "approved_by_chain": approved_by_chain,
        })),
    })
    .await?;
    let payload = event_payload(uow.db(), &doc).await?;
    workflows::events::record(
        uow,
        NewEvent {
            // Issued is cleared for e-TIMS, whether an approval chain was needed or not: the
            // five workflows all start on `approved`.
            event_type: EventType::Approved,
            entity_type: doc.doc_type.event_entity().into(),
            entity_id: doc.id.clone(),
            source: "local",
            payload,
        },
    )
    .await?;
    Ok(doc)
}

/// Marks a draft as waiting for approval (the gate has opened a request for it).
pub(crate) async fn set_pending(uow: &UnitOfWork, id: &str) -> Result<sales_document::Model> {
    set_status(uow, id, SalesStatus::Draft, SalesStatus::PendingApproval).await
}

/// An approval request for the sale was rejected, returned, recalled or cancelled: it is a
/// draft again, to be corrected and issued anew.
pub(crate) async fn back_to_draft(
    uow: &UnitOfWork,
    id: &str,
) -> Result<Option<sales_document::Model>> {
    match find(uow.db(), id).await {
        Ok(doc) if doc.status == SalesStatus::PendingApproval => Ok(Some(
            set_status(uow, id, SalesStatus::PendingApproval, SalesStatus::Draft).await?,
        )),
        Ok(_) | Err(Error::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

async fn set_status(
    uow: &UnitOfWork,
    id: &str,
    from: SalesStatus,
    to: SalesStatus,
) -> Result<sales_document::Model> {
    let doc = find(uow.db(), id).await?;
    if doc.status != from {
        return Err(Error::Conflict(format!(
            "{} is {}, not {from}.",
            label(&doc),
            doc.status
        )));
    }
    let mut active = doc.into_active_model();
    active.status = Set(to);
    active.updated_at = Set(uow.now_text());
    Ok(active.update(uow.db()).await?)
}

/// Whether `id` is a sales document (the approval engine asks, for the sale's approval request).
pub(crate) async fn exists(db: &impl ConnectionTrait, id: &str) -> Result<bool> {
    Ok(sales_document::Entity::find_by_id(id.to_owned())
        .one(db)
        .await?
        .is_some())
}

/// Records that KRA e-TIMS signed the sale. After this only a credit note corrects it.
pub async fn mark_fiscalised_in(uow: &mut UnitOfWork, id: &str) -> Result<sales_document::Model> {
    let doc = set_status(uow, id, SalesStatus::Issued, SalesStatus::Fiscalised).await?;
    let mut active = doc.into_active_model();
    active.fiscalised_at = Set(Some(uow.now_text()));
    let doc = active.update(uow.db()).await?;
    uow.audit(AuditDraft {
        action: "sale.fiscalise",
        entity_type: "sale",
        entity_id: doc.id.clone(),
        before: None,
        after: Some(json!({ "number": doc.number, "status": doc.status })),
    })
    .await?;
    Ok(doc)
}

/// Voids an issued sale that KRA has not signed. It keeps its number (the sequence has no gap)
/// and its event is recorded so the workflows drop it.
pub async fn void(
    file: &CompanyFile,
    session: &Session,
    key: &str,
    reason: &str,
) -> Result<SaleView> {
    session.require(Permission::SalesVoid)?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Error::invalid(
            "Say why the sale is voided: the reason is kept with it.",
        ));
    }
    check_len("reason", reason, 400)?;
    let mut uow = file.begin(session).await?;
    let doc = find(uow.db(), key).await?;
    match doc.status {
        SalesStatus::Issued => {
            // Its number may be out at KRA (issue 16): KRA may have signed it.
            if let Some(why) = super::fiscal::blocks_void(uow.db(), &doc.id).await? {
                return Err(Error::Conflict(format!(
                    "{} cannot be voided: {why}.",
                    label(&doc)
                )));
            }
        }
        SalesStatus::Fiscalised => {
            return Err(Error::Conflict(format!(
                "{} is signed by KRA and cannot be voided: raise a credit note against it \
                 instead.",
                label(&doc)
            )));
        }
        SalesStatus::Draft | SalesStatus::PendingApproval => {
            return Err(Error::Conflict(format!(
                "{} is not issued; a draft is simply not issued (nothing to void).",
                label(&doc)
            )));
        }
        SalesStatus::Void => {
            return Err(Error::Conflict(format!("{} is already void.", label(&doc))));
        }
    }
    if doc.doc_type != SalesType::CreditNote {
        let credits = sales_document::Entity::find()
            .filter(sales_document::Column::OriginalId.eq(doc.id.clone()))
            .filter(sales_document::Column::Status.ne(SalesStatus::Void))
            .count(uow.db())
            .await?;
        if credits > 0 {
            return Err(Error::Conflict(format!(
                "{} has credit notes against it; void those first.",
                label(&doc)
            )));
        }
    }
    let before = doc.clone();
    let mut active = doc.into_active_model();
    active.status = Set(SalesStatus::Void);
    active.voided_by = Set(Some(session.user_id().to_owned()));
    active.voided_at = Set(Some(uow.now_text()));
    active.void_reason = Set(Some(reason.to_owned()));
    active.updated_at = Set(uow.now_text());
    let doc = active.update(uow.db()).await?;
    uow.audit(AuditDraft {
        action: "sale.void",
        entity_type: "sale",
        entity_id: doc.id.clone(),
        before: Some(summary(&before)),
        after: Some(json!({ "number": doc.number, "status": doc.status, "reason": reason })),
    })
    .await?;
    let payload = event_payload(uow.db(), &doc).await?;
    workflows::events::record(
        &mut uow,
        NewEvent {
            event_type: EventType::Updated,
            entity_type: doc.doc_type.event_entity().into(),
            entity_id: doc.id.clone(),
            source: "local",
            payload,
        },
    )
    .await?;
    uow.commit().await?;
    show(file, session, &doc.id).await
}

/// A sale by id or number (INV-000012; the digits alone are not enough across types).
pub(crate) async fn find(db: &impl ConnectionTrait, key: &str) -> Result<sales_document::Model> {
    let key = key.trim();
    sales_document::Entity::find()
        .filter(
            sea_orm::Condition::any()
                .add(sales_document::Column::Id.eq(key))
                .add(sales_document::Column::Number.eq(key.to_uppercase())),
        )
        .one(db)
        .await?
        .ok_or_else(|| {
            Error::NotFound(format!(
                "There is no sale '{key}'. Use its number (INV-000012) or id; the sales list \
                 shows them."
            ))
        })
}

pub(crate) async fn lines_of(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<Vec<sales_line::Model>> {
    Ok(sales_line::Entity::find()
        .filter(sales_line::Column::DocumentId.eq(id))
        .order_by_asc(sales_line::Column::Position)
        .all(db)
        .await?)
}

/// `INV-000012`, or `draft invoice to Acme` before it has a number.
pub(crate) fn label(doc: &sales_document::Model) -> String {
    doc.number.clone().unwrap_or_else(|| {
        format!(
            "the draft {} to {}",
            doc.doc_type.describe(),
            doc.customer_name
        )
    })
}

/// A sale with its lines.
pub async fn show(file: &CompanyFile, session: &Session, key: &str) -> Result<SaleView> {
    session.require(Permission::SalesView)?;
    view(file.reader(), find(file.reader(), key).await?).await
}

pub(crate) async fn view(
    db: &impl ConnectionTrait,
    doc: sales_document::Model,
) -> Result<SaleView> {
    let lines = lines_of(db, &doc.id).await?;
    let originals = original_positions(db, &lines).await?;
    let items = items_of(db, &lines).await?;
    let basis = PriceBasis::from_str(&doc.price_basis)?;
    let totals = stored_totals(&lines, basis)?;
    let original_number = original_number(db, &doc).await?;
    let customer_number = match &doc.customer_id {
        Some(id) => customer::Entity::find_by_id(id.clone())
            .one(db)
            .await?
            .map(|c| c.number),
        None => None,
    };
    Ok(SaleView {
        lines: lines
            .iter()
            .map(|l| {
                Ok(SaleLineView {
                    position: l.position,
                    item_id: l.item_id.clone(),
                    item_code: l
                        .item_id
                        .as_ref()
                        .and_then(|id| items.get(id))
                        .map(|i| i.code.clone()),
                    description: l.description.clone(),
                    quantity: l.quantity.to_string(),
                    unit_price: l.unit_price.to_string(),
                    discount_kind: l.discount_kind.clone(),
                    discount_value: l.discount_value.to_string(),
                    tax_type: TaxType::from_str(&l.tax_type)?,
                    tax_rate: l.tax_rate.to_string(),
                    supply_amount: l.supply_amount.to_string(),
                    discount_amount: l.discount_amount.to_string(),
                    taxable_amount: l.taxable_amount.to_string(),
                    tax_amount: l.tax_amount.to_string(),
                    total_amount: l.total_amount.to_string(),
                    original_line: l
                        .original_line_id
                        .as_ref()
                        .and_then(|id| originals.get(id).copied()),
                })
            })
            .collect::<Result<_>>()?,
        totals,
        id: doc.id,
        doc_type: doc.doc_type,
        status: doc.status,
        number: doc.number,
        customer_id: doc.customer_id,
        customer_number,
        customer_name: doc.customer_name,
        customer_pin: doc.customer_pin,
        issue_date: doc.issue_date,
        due_date: doc.due_date,
        currency: doc.currency,
        exchange_rate: doc.exchange_rate.to_string(),
        price_basis: basis,
        payment_method: doc.payment_method,
        amount_paid: doc.amount_paid.to_string(),
        notes: doc.notes,
        original_id: doc.original_id,
        original_number,
        reason_code: doc.reason_code,
        total_kes: doc.total_kes.to_string(),
        created_by: doc.created_by,
        created_at: doc.created_at,
        issued_at: doc.issued_at,
        fiscalised_at: doc.fiscalised_at,
        voided_at: doc.voided_at,
        void_reason: doc.void_reason,
        warnings: Vec::new(),
    })
}

/// The band table of the stored lines, recomputed by the tax module from their inputs with the
/// rates stored on them (so a later change of KRA's table does not rewrite an issued sale), and
/// checked against the stored amounts.
fn stored_totals(lines: &[sales_line::Model], basis: PriceBasis) -> Result<DocumentTotals> {
    let mut rates: Vec<(TaxType, Decimal)> = rate_table_pairs();
    for l in lines {
        let t = TaxType::from_str(&l.tax_type)?;
        if let Some(r) = rates.iter_mut().find(|(tt, _)| *tt == t) {
            r.1 = l.tax_rate.get();
        }
    }
    let table = RateTable::from_rates(&rates)?;
    let inputs: Vec<LineInput> = lines
        .iter()
        .map(|l| {
            Ok(LineInput {
                quantity: l.quantity.get(),
                unit_price: l.unit_price.get(),
                discount: match l.discount_kind.as_str() {
                    "percent" => Discount::Percent(l.discount_value.get()),
                    "amount" => Discount::Amount(l.discount_value.get()),
                    _ => Discount::None,
                },
                tax_type: TaxType::from_str(&l.tax_type)?,
            })
        })
        .collect::<Result<_>>()?;
    let totals = tax::compute(&inputs, basis, &table)?;
    for (l, t) in lines.iter().zip(&totals.lines) {
        if l.total_amount.get() != t.total_amount || l.tax_amount.get() != t.tax_amount {
            return Err(Error::Internal(format!(
                "sale line {} of document {} no longer adds up (stored {} + {}, computed {} + \
                 {})",
                l.position,
                l.document_id,
                l.taxable_amount,
                l.tax_amount,
                t.taxable_amount,
                t.tax_amount
            )));
        }
    }
    Ok(totals)
}

impl SaleView {
    /// The sale as KRA receives it: in the company's base currency (KES). Spec §12.3: "Send KES
    /// amounts". A foreign-currency sale's lines are converted by the tax module
    /// ([`tax::in_base_currency`]: unit prices and amount discounts at the sale's exchange
    /// rate, to the cent) and its band table recomputed from the converted lines with the rates
    /// stored on them. That is the computation that gave `total_kes` when the sale was issued,
    /// and the result is checked against it. A sale in KES comes back unchanged.
    pub fn in_base_currency(&self) -> Result<SaleView> {
        let rate = Decimal::from_str(&self.exchange_rate).map_err(|_| {
            Error::Internal(format!(
                "the stored exchange rate '{}' is not a number",
                self.exchange_rate
            ))
        })?;
        if self.currency == crate::company::BASE_CURRENCY && rate == Decimal::ONE {
            return Ok(self.clone());
        }
        let number = |what: &str, text: &str| {
            Decimal::from_str(text)
                .map_err(|_| Error::Internal(format!("the stored {what} '{text}' is not a number")))
        };
        let mut rates = rate_table_pairs();
        let mut inputs = Vec::with_capacity(self.lines.len());
        for l in &self.lines {
            if let Some(r) = rates.iter_mut().find(|(t, _)| *t == l.tax_type) {
                r.1 = number("tax rate", &l.tax_rate)?;
            }
            let value = || number("discount", &l.discount_value);
            inputs.push(LineInput {
                quantity: number("quantity", &l.quantity)?,
                unit_price: number("unit price", &l.unit_price)?,
                discount: match l.discount_kind.as_str() {
                    "percent" => Discount::Percent(value()?),
                    "amount" => Discount::Amount(value()?),
                    _ => Discount::None,
                },
                tax_type: l.tax_type,
            });
        }
        let converted = tax::in_base_currency(&inputs, rate)?;
        let totals = tax::compute(
            &converted,
            self.price_basis,
            &RateTable::from_rates(&rates)?,
        )?;
        let total_kes = number("KES total", &self.total_kes)?;
        if totals.total != total_kes {
            return Err(Error::Internal(format!(
                "the KES figures of {} add up to {}, not the {total_kes} stored when it was \
                 issued",
                self.number.as_deref().unwrap_or("the sale"),
                totals.total
            )));
        }
        let mut kes = self.clone();
        for ((line, input), t) in kes.lines.iter_mut().zip(&converted).zip(&totals.lines) {
            line.unit_price = input.unit_price.to_string();
            if let Discount::Amount(amount) = input.discount {
                line.discount_value = amount.to_string();
            }
            line.supply_amount = t.supply_amount.to_string();
            line.discount_amount = t.discount_amount.to_string();
            line.taxable_amount = t.taxable_amount.to_string();
            line.tax_amount = t.tax_amount.to_string();
            line.total_amount = t.total_amount.to_string();
        }
        kes.currency = crate::company::BASE_CURRENCY.to_owned();
        kes.exchange_rate = Decimal::ONE.to_string();
        kes.totals = totals;
        Ok(kes)
    }
}

fn rate_table_pairs() -> Vec<(TaxType, Decimal)> {
    let table = rate_table();
    TaxType::ALL.iter().map(|t| (*t, table.rate(*t))).collect()
}

/// Where a credit note against `key` starts: the original with, on each line, what is still
/// creditable after the earlier credit notes that are not void (lines with nothing left are
/// dropped). The desktop's "credit note from this invoice" pre-fills its lines from it.
pub async fn credit_template(file: &CompanyFile, session: &Session, key: &str) -> Result<SaleView> {
    session.require(Permission::SalesView)?;
    let db = file.reader();
    let original = find(db, key).await?;
    if !matches!(original.doc_type, SalesType::Invoice | SalesType::CashSale)
        || !matches!(
            original.status,
            SalesStatus::Issued | SalesStatus::Fiscalised
        )
    {
        return Err(Error::invalid(format!(
            "{} is a {} that is {}; only an issued invoice or cash sale can be credited.",
            label(&original),
            original.doc_type.describe(),
            original.status.to_string().replace('_', " ")
        )));
    }
    let remaining = remaining_of(db, &original, None).await?;
    let mut view = view(db, original).await?;
    view.lines = view
        .lines
        .into_iter()
        .zip(remaining)
        .filter(|(_, (_, qty, _))| *qty > Decimal::ZERO)
        .map(|(mut line, (_, qty, _))| {
            line.quantity = qty.normalize().to_string();
            line
        })
        .collect();
    if view.lines.is_empty() {
        return Err(Error::Conflict(format!(
            "Everything on {} has been credited already; there is nothing left to credit.",
            view.number.clone().unwrap_or_default()
        )));
    }
    Ok(view)
}

/// Sales, newest first, one page at a time.
pub async fn list(
    file: &CompanyFile,
    session: &Session,
    query: &SalesQuery,
) -> Result<Vec<SaleSummary>> {
    session.require(Permission::SalesView)?;
    let db = file.reader();
    let mut select = sales_document::Entity::find();
    if let Some(t) = query.doc_type {
        select = select.filter(sales_document::Column::DocType.eq(t));
    }
    if let Some(s) = query.status {
        select = select.filter(sales_document::Column::Status.eq(s));
    }
    if let Some(from) = clean(query.from.as_deref()) {
        parse_date("from date", &from)?;
        select = select.filter(sales_document::Column::IssueDate.gte(from));
    }
    if let Some(to) = clean(query.to.as_deref()) {
        parse_date("to date", &to)?;
        select = select.filter(sales_document::Column::IssueDate.lte(to));
    }
    let offset = query.offset.unwrap_or(0);
    let limit = query.limit.unwrap_or(50).clamp(1, 500);
    let newest_first = |select: sea_orm::Select<sales_document::Entity>| {
        select
            .order_by_desc(sales_document::Column::CreatedAt)
            .order_by_desc(sales_document::Column::Id)
    };
    let rows = match clean(query.search.as_deref()) {
        None => {
            newest_first(select)
                .offset(offset)
                .limit(limit)
                .all(db)
                .await?
        }
        Some(text) => {
            // Each way the text can match is its own query, so each walks its own index in
            // order and stops at the page (one OR across them would read every match and sort).
            let mut rows: Vec<sales_document::Model> = Vec::new();
            for condition in search_alternatives(db, &text).await? {
                rows.extend(
                    newest_first(select.clone().filter(condition))
                        .limit(offset + limit)
                        .all(db)
                        .await?,
                );
            }
            rows.sort_by(|a, b| (&b.created_at, &b.id).cmp(&(&a.created_at, &a.id)));
            rows.dedup_by(|a, b| a.id == b.id);
            rows.into_iter()
                .skip(usize::try_from(offset).unwrap_or(usize::MAX))
                .take(usize::try_from(limit).unwrap_or(50))
                .collect()
        }
    };
    Ok(rows
        .into_iter()
        .map(|d| SaleSummary {
            id: d.id,
            doc_type: d.doc_type,
            status: d.status,
            number: d.number,
            customer_name: d.customer_name,
            customer_pin: d.customer_pin,
            issue_date: d.issue_date,
            currency: d.currency,
            total: d.total.to_string(),
            total_kes: d.total_kes.to_string(),
            created_at: d.created_at,
        })
        .collect())
}

/// The ways a search text can match: a document number (exact, or the digits of one: `12`
/// finds INV-000012, CN-000012…), an exact total, or customers by name, number or PIN —
/// resolved to customer ids first, so the list walks the (customer, created_at) index instead of
/// scanning every sale's name.
async fn search_alternatives(
    db: &impl ConnectionTrait,
    text: &str,
) -> Result<Vec<sea_orm::Condition>> {
    let mut out = Vec::new();
    let upper = text.to_uppercase();
    out.push(sea_orm::Condition::all().add(sales_document::Column::Number.eq(upper.clone())));
    if let Ok(n) = text.trim_start_matches('#').parse::<i64>() {
        out.push(sea_orm::Condition::all().add(sales_document::Column::SequenceNumber.eq(n)));
    }
    if let Ok(amount) = Decimal::from_str_exact(&text.replace(',', "")) {
        out.push(
            sea_orm::Condition::all()
                .add(sales_document::Column::Total.eq(format!("{:.2}", amount))),
        );
    }
    let like = format!("%{}%", escape_like(&text.to_lowercase()));
    let customers: Vec<String> = customer::Entity::find()
        .filter(
            sea_orm::Condition::any()
                .add(customer::Column::NameKey.like(like))
                .add(customer::Column::KraPin.eq(upper.clone()))
                .add(customer::Column::Number.eq(upper)),
        )
        .limit(200)
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    // One query per customer: each is an ordered walk of its index that stops at the page.
    for id in customers {
        out.push(sea_orm::Condition::all().add(sales_document::Column::CustomerId.eq(id)));
    }
    Ok(out)
}

fn summary(d: &sales_document::Model) -> Value {
    json!({
        "type": d.doc_type,
        "status": d.status,
        "number": d.number,
        "customer": d.customer_name,
        "customer_pin": d.customer_pin,
        "issue_date": d.issue_date,
        "currency": d.currency,
        "total": d.total,
        "total_kes": d.total_kes,
        "original_id": d.original_id,
    })
}

/// The sale's real data as its e-TIMS workflow sees it: the keys the workflow filters read
/// (`total`, `transaction_type`, `customer_pin`, `lines[].item_type`, `original_invoice`) and
/// what the payload builder needs.
async fn event_payload(db: &impl ConnectionTrait, doc: &sales_document::Model) -> Result<Value> {
    let lines = lines_of(db, &doc.id).await?;
    let items = items_of(db, &lines).await?;
    let original_number = original_number(db, doc).await?;
    Ok(json!({
        "number": doc.number,
        "doc_type": doc.doc_type,
        "status": doc.status,
        "customer_name": doc.customer_name,
        "customer_pin": doc.customer_pin,
        "issue_date": doc.issue_date,
        "currency": doc.currency,
        "exchange_rate": doc.exchange_rate,
        "price_basis": doc.price_basis,
        "payment_method": doc.payment_method,
        "total": doc.total_kes,
        "total_in_currency": doc.total,
        "total_taxable": doc.total_taxable,
        "total_tax": doc.total_tax,
        "transaction_type": "N",
        "original_invoice": original_number,
        "original_id": doc.original_id,
        "reason_code": doc.reason_code,
        "lines": lines.iter().map(|l| {
            let item = l.item_id.as_ref().and_then(|id| items.get(id));
            json!({
                "position": l.position,
                "item_code": item.map(|i| i.code.clone()),
                "kra_item_code": item.map(|i| i.kra_item_code.clone()),
                "item_type": item
                    .and_then(|i| super::items::ProductType::parse(&i.product_type).ok())
                    .map(|t| t.kra_code()),
                "description": l.description,
                "quantity": l.quantity,
                "unit_price": l.unit_price,
                "discount_amount": l.discount_amount,
                "tax_type": l.tax_type,
                "taxable_amount": l.taxable_amount,
                "tax_amount": l.tax_amount,
                "total_amount": l.total_amount,
            })
        }).collect::<Vec<_>>(),
    }))
}

/// Rows and facts for the sale's approval request (`approvals::sales_gate`): the request is the
/// same document, seen by the approval engine and the business rules.
pub(crate) struct ApprovalSubject {
    pub title: String,
    pub amount_kes: Decimal,
    pub facts: Value,
    /// description, quantity, unit price, tax type
    pub lines: Vec<(String, Decimal, Decimal, String)>,
}

pub(crate) async fn approval_subject(
    db: &impl ConnectionTrait,
    doc: &sales_document::Model,
) -> Result<ApprovalSubject> {
    let lines = lines_of(db, &doc.id).await?;
    let payload = event_payload(db, doc).await?;
    // How long the company has known the customer (rules such as a new-customer credit check
    // test it), in days, from the customer's creation to the sale's date.
    let customer_age_days = match &doc.customer_id {
        Some(id) => match customer::Entity::find_by_id(id.clone()).one(db).await? {
            Some(c) => {
                let since = c.created_at.get(..10).unwrap_or_default();
                match (
                    NaiveDate::parse_from_str(since, "%Y-%m-%d"),
                    NaiveDate::parse_from_str(&doc.issue_date, "%Y-%m-%d"),
                ) {
                    (Ok(from), Ok(to)) => Some((to - from).num_days().max(0)),
                    _ => None,
                }
            }
            None => None,
        },
        None => None,
    };
    Ok(ApprovalSubject {
        title: format!(
            "{} to {}",
            match doc.doc_type {
                SalesType::Invoice => "Invoice",
                SalesType::CreditNote => "Credit note",
                SalesType::CashSale => "Cash sale",
            },
            doc.customer_name
        ),
        amount_kes: doc.total_kes.get(),
        facts: json!({
            "sales_type": doc.doc_type,
            "customer": doc.customer_name,
            "customer_pin": doc.customer_pin,
            "has_customer_pin": doc.customer_pin.is_some(),
            "price_basis": doc.price_basis,
            "currency": doc.currency,
            "exchange_rate": doc.exchange_rate,
            "customer_age_days": customer_age_days,
            "total_tax": doc.total_tax,
            "payment_method": doc.payment_method,
            "original_invoice": payload["original_invoice"],
            "line_count": lines.len(),
        }),
        lines: lines
            .into_iter()
            .map(|l| {
                (
                    l.description,
                    l.quantity.get(),
                    l.unit_price.get(),
                    l.tax_type,
                )
            })
            .collect(),
    })
}
