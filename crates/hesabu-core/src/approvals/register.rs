//! The document register: every document of the company in one list, for the roles that may see
//! every document (finance, admins, auditors) — purchase orders, expense claims and the other
//! approval documents, and the sales ledger's invoices, credit notes and cash sales. Read-only;
//! each row says where its detail lives (`source`).
//!
//! A sale that went through approval has an approval document with the sale's own id
//! (`sales_gate`); the register shows it once, as the sale.

use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::documents::DocumentType;
use crate::entities::{DocumentStatus, SalesStatus, SalesType, approval_document, sales_document};
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::{Error, Result};
use hesabu_store::limits;
use hesabu_store::permissions::Permission;

use super::Directory;

/// Where a register row stands, in four words every kind of document shares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RegisterStage {
    /// Being written.
    Draft,
    /// With approvers, or back with the requester to correct.
    InProgress,
    /// Approved; for a sale, issued (and perhaps signed by KRA).
    Done,
    /// Rejected, cancelled or voided.
    Stopped,
}

/// Where a row's detail is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RegisterSource {
    /// An approval document: `document_show`.
    Approval,
    /// A sales document: `sale_show`.
    Sales,
}

/// What to list, newest first. Every field is optional.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
pub struct RegisterQuery {
    /// A document type (`purchase_order`, …) or a sales type (`invoice`, `credit_note`, `cash_sale`).
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub stage: Option<RegisterStage>,
    /// A department's name (sales documents have none and are left out when it is set).
    #[serde(default)]
    pub department: Option<String>,
    /// Part of a number (PO-000012, INV-000003), a title or a customer's name.
    #[serde(default)]
    pub search: Option<String>,
    /// yyyy-mm-dd, inclusive, on the day the document was raised.
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct RegisterRow {
    pub id: String,
    pub source: RegisterSource,
    /// The document type or the sales type, as stored (`purchase_order`, `invoice`, …).
    pub kind: String,
    /// In words: "Purchase order", "Sales invoice", "Credit note".
    pub kind_label: String,
    /// "PO-000012"; a sale not yet issued has none ("Draft").
    pub number: Option<String>,
    /// The document's title, or the sale's customer.
    pub title: String,
    /// Who raised it (a person's name).
    pub raised_by: String,
    pub department: Option<String>,
    pub amount: String,
    pub currency: String,
    pub stage: RegisterStage,
    /// The status in words: "Pending approval", "Issued", "Signed by KRA".
    pub status_label: String,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct RegisterPage {
    pub rows: Vec<RegisterRow>,
    /// More rows follow this page.
    pub more: bool,
}

const SALES_KINDS: [&str; 3] = ["invoice", "credit_note", "cash_sale"];

/// The register, for roles that may view every document.
pub async fn list(
    file: &CompanyFile,
    session: &Session,
    query: &RegisterQuery,
) -> Result<RegisterPage> {
    let offset = query.offset.unwrap_or(0);
    let limit = query.limit.unwrap_or(100).clamp(1, 500);
    let rows = matching(file, session, query, Some(offset + limit + 1)).await?;
    let skip = usize::try_from(offset).unwrap_or(usize::MAX);
    let take = usize::try_from(limit).unwrap_or(100);
    let more = rows.len() > skip.saturating_add(take);
    Ok(RegisterPage {
        rows: rows.into_iter().skip(skip).take(take).collect(),
        more,
    })
}

/// Every row the query's filters match, newest first (its `limit` and `offset` are the
/// screen's paging and are ignored): what the register's export holds. Needs what [`list`]
/// needs.
pub async fn all(
    file: &CompanyFile,
    session: &Session,
    query: &RegisterQuery,
) -> Result<Vec<RegisterRow>> {
    matching(file, session, query, None).await
}

/// The columns of the register's export.
pub const EXPORT_COLUMNS: [&str; 10] = [
    "Number",
    "Kind",
    "Title or customer",
    "Raised by",
    "Department",
    "Currency",
    "Amount",
    "Stage",
    "Status",
    "Raised on",
];

/// Register rows as an export table: kinds, stages and statuses in words, the amount a number,
/// the time raised in the company's zone (`2026-12-02 14:05`).
pub fn table(rows: Vec<RegisterRow>, zone: chrono_tz::Tz) -> hesabu_store::export::Table {
    use hesabu_store::export::{Cell, Table, local_time};
    Table {
        headers: EXPORT_COLUMNS.iter().map(|c| (*c).to_owned()).collect(),
        rows: rows
            .into_iter()
            .map(|r| {
                vec![
                    Cell::Text(
                        r.number
                            .unwrap_or_else(|| "Draft (no number yet)".to_owned()),
                    ),
                    Cell::Text(r.kind_label),
                    Cell::Text(r.title),
                    Cell::Text(r.raised_by),
                    r.department.into(),
                    Cell::Text(r.currency),
                    Cell::money_text(&r.amount),
                    Cell::Text(r.stage.label().to_owned()),
                    Cell::Text(r.status_label),
                    Cell::Text(local_time(&r.created_at, zone)),
                ]
            })
            .collect(),
    }
}

impl RegisterStage {
    /// In words, as the Documents page's stage filter says it.
    pub fn label(self) -> &'static str {
        match self {
            RegisterStage::Draft => "Draft",
            RegisterStage::InProgress => "In approval or returned",
            RegisterStage::Done => "Approved or issued",
            RegisterStage::Stopped => "Rejected, cancelled or void",
        }
    }
}

/// The matching rows, newest first; at most `wanted` of each kind of document when given.
async fn matching(
    file: &CompanyFile,
    session: &Session,
    query: &RegisterQuery,
    wanted: Option<u64>,
) -> Result<Vec<RegisterRow>> {
    if !session.may(Permission::DocumentViewAll) {
        return Err(Error::PermissionDenied(format!(
            "Permission denied: {} ({}) may not view every document. Your own requests, and \
             those waiting for you, are on the Approvals page.",
            session.email(),
            session.role()
        )));
    }
    let db = file.reader();
    let dir = Directory::load(db).await?;
    let search = query
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if let Some(text) = search {
        limits::check_text("search text", text, limits::LABEL)?;
    }
    let from = date_bound("from", query.from.as_deref())?;
    let to = date_bound("to", query.to.as_deref())?.map(|d| format!("{d}T99"));
    let kind = query
        .kind
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty());
    if let Some(k) = kind
        && !SALES_KINDS.contains(&k)
        && k.parse::<DocumentType>().is_err()
    {
        return Err(Error::invalid(format!(
            "'{}' is not a kind of document: use purchase_order, expense_claim, \
             payment_voucher, material_request, journal_entry, budget_revision, invoice, \
             credit_note or cash_sale.",
            limits::excerpt(k)
        )));
    }
    let department_id = match query.department.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(name) => Some(
            dir.departments
                .values()
                .find(|d| d.name.eq_ignore_ascii_case(name))
                .map(|d| d.id.clone())
                .ok_or_else(|| {
                    Error::invalid(format!(
                        "There is no department called '{}'.",
                        limits::excerpt(name)
                    ))
                })?,
        ),
    };

    let mut rows: Vec<RegisterRow> = Vec::new();
    let mut sales_ids = std::collections::HashSet::new();

    // Sales documents: only for a role that may see sales, and not when a department is asked.
    let sales_wanted = session.may(Permission::SalesView)
        && department_id.is_none()
        && kind.is_none_or(|k| SALES_KINDS.contains(&k) || k == "sales_invoice");
    if sales_wanted {
        let mut select = sales_document::Entity::find();
        if let Some(k) = kind.and_then(sales_type) {
            select = select.filter(sales_document::Column::DocType.eq(k));
        }
        if let Some(stage) = query.stage {
            select = select.filter(sales_document::Column::Status.is_in(sales_statuses(stage)));
        }
        if let Some(f) = &from {
            select = select.filter(sales_document::Column::CreatedAt.gte(f.as_str()));
        }
        if let Some(t) = &to {
            select = select.filter(sales_document::Column::CreatedAt.lte(t.as_str()));
        }
        if let Some(text) = search {
            let pattern = like_pattern(text);
            select = select.filter(
                Condition::any()
                    .add(sales_document::Column::Number.like(pattern.as_str()))
                    .add(sales_document::Column::CustomerName.like(pattern.as_str())),
            );
        }
        let sales = select
            .order_by_desc(sales_document::Column::CreatedAt)
            .order_by_desc(sales_document::Column::Id)
            .limit(wanted)
            .all(db)
            .await?;
        for s in sales {
            sales_ids.insert(s.id.clone());
            rows.push(sale_row(&dir, s));
        }
    }

    let approvals_wanted = kind.is_none_or(|k| !SALES_KINDS.contains(&k));
    if approvals_wanted {
        let mut select = approval_document::Entity::find();
        if let Some(k) = kind {
            select = select.filter(approval_document::Column::DocType.eq(k));
        }
        if let Some(stage) = query.stage {
            select =
                select.filter(approval_document::Column::Status.is_in(document_statuses(stage)));
        }
        if let Some(d) = &department_id {
            select = select.filter(approval_document::Column::DepartmentId.eq(d.as_str()));
        }
        if let Some(f) = &from {
            select = select.filter(approval_document::Column::CreatedAt.gte(f.as_str()));
        }
        if let Some(t) = &to {
            select = select.filter(approval_document::Column::CreatedAt.lte(t.as_str()));
        }
        if let Some(text) = search {
            let pattern = like_pattern(text);
            select = select.filter(
                Condition::any()
                    .add(approval_document::Column::Number.like(pattern.as_str()))
                    .add(approval_document::Column::Title.like(pattern.as_str())),
            );
        }
        let docs = select
            .order_by_desc(approval_document::Column::CreatedAt)
            .order_by_desc(approval_document::Column::Id)
            .limit(wanted)
            .all(db)
            .await?;
        for d in docs {
            // A sale's approval mirror: the sale's own row stands for it.
            if !sales_ids.contains(&d.id) {
                rows.push(document_row(&dir, d));
            }
        }
    }

    rows.sort_by(|a, b| (&b.created_at, &b.id).cmp(&(&a.created_at, &a.id)));
    Ok(rows)
}

/// A yyyy-mm-dd bound, checked.
fn date_bound(which: &str, text: Option<&str>) -> Result<Option<String>> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .map(|d| Some(d.format("%Y-%m-%d").to_string()))
            .map_err(|_| {
                Error::invalid(format!(
                    "The {which} date '{}' is not a date: write it as yyyy-mm-dd, e.g. 2026-12-02.",
                    limits::excerpt(t)
                ))
            }),
    }
}

/// `%text%` for a LIKE, with the user's own wildcards dropped (as the sales search does).
fn like_pattern(text: &str) -> String {
    format!("%{}%", crate::sales::escape_like(text))
}

fn sales_type(kind: &str) -> Option<SalesType> {
    match kind {
        "invoice" => Some(SalesType::Invoice),
        "credit_note" => Some(SalesType::CreditNote),
        "cash_sale" => Some(SalesType::CashSale),
        _ => None,
    }
}

fn document_type_label(t: DocumentType) -> &'static str {
    match t {
        DocumentType::PurchaseOrder => "Purchase order",
        DocumentType::ExpenseClaim => "Expense claim",
        DocumentType::PaymentVoucher => "Payment voucher",
        DocumentType::MaterialRequest => "Material request",
        DocumentType::JournalEntry => "Journal entry",
        DocumentType::BudgetRevision => "Budget revision",
        DocumentType::SalesInvoice => "Sales invoice",
    }
}

fn document_statuses(stage: RegisterStage) -> Vec<DocumentStatus> {
    use DocumentStatus::*;
    match stage {
        RegisterStage::Draft => vec![Draft],
        RegisterStage::InProgress => {
            vec![Submitted, PendingApproval, Returned, ClarificationRequested]
        }
        RegisterStage::Done => vec![Approved],
        RegisterStage::Stopped => vec![Rejected, Cancelled],
    }
}

fn sales_statuses(stage: RegisterStage) -> Vec<SalesStatus> {
    match stage {
        RegisterStage::Draft => vec![SalesStatus::Draft],
        RegisterStage::InProgress => vec![SalesStatus::PendingApproval],
        RegisterStage::Done => vec![SalesStatus::Issued, SalesStatus::Fiscalised],
        RegisterStage::Stopped => vec![SalesStatus::Void],
    }
}

fn document_row(dir: &Directory, d: approval_document::Model) -> RegisterRow {
    use DocumentStatus::*;
    let (stage, status_label) = match d.status {
        Draft => (RegisterStage::Draft, "Draft"),
        Submitted => (RegisterStage::InProgress, "Submitted"),
        PendingApproval => (RegisterStage::InProgress, "Pending approval"),
        Returned => (RegisterStage::InProgress, "Returned for correction"),
        ClarificationRequested => (RegisterStage::InProgress, "Clarification requested"),
        Approved => (RegisterStage::Done, "Approved"),
        Rejected => (RegisterStage::Stopped, "Rejected"),
        Cancelled => (RegisterStage::Stopped, "Cancelled"),
    };
    let kind_label = d
        .doc_type
        .parse::<DocumentType>()
        .map(|t| document_type_label(t).to_owned())
        .unwrap_or_else(|_| d.doc_type.clone());
    RegisterRow {
        source: RegisterSource::Approval,
        kind: d.doc_type,
        kind_label,
        number: Some(d.number),
        title: d.title,
        raised_by: dir.name(&d.requester_id),
        department: dir.department_name(d.department_id.as_deref()),
        amount: d.amount.to_string(),
        currency: d.currency,
        stage,
        status_label: status_label.into(),
        created_at: d.created_at,
        id: d.id,
    }
}

fn sale_row(dir: &Directory, s: sales_document::Model) -> RegisterRow {
    let (stage, status_label) = match s.status {
        SalesStatus::Draft => (RegisterStage::Draft, "Draft"),
        SalesStatus::PendingApproval => (RegisterStage::InProgress, "Pending approval"),
        SalesStatus::Issued => (RegisterStage::Done, "Issued, waiting for KRA"),
        SalesStatus::Fiscalised => (RegisterStage::Done, "Signed by KRA"),
        SalesStatus::Void => (RegisterStage::Stopped, "Void"),
    };
    let kind_label = match s.doc_type {
        SalesType::Invoice => "Sales invoice",
        SalesType::CreditNote => "Credit note",
        SalesType::CashSale => "Cash sale",
    };
    RegisterRow {
        source: RegisterSource::Sales,
        kind: s.doc_type.to_string(),
        kind_label: kind_label.into(),
        number: s.number,
        title: s.customer_name,
        raised_by: dir.name(&s.created_by),
        department: None,
        amount: s.total.to_string(),
        currency: s.currency,
        stage,
        status_label: status_label.into(),
        created_at: s.created_at,
        id: s.id,
    }
}
