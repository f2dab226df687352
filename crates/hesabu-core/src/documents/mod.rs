//! The documents layer: the documents every flow of Hesabu works on — purchase orders, expense
//! claims, sales invoices held for approval, and the coming sales ledger's invoices — with their
//! lines, types and statuses. The approval engine, workflows and rules all build on it; it
//! knows nothing of them.
//!
//! - the document tables (`approval_document`, `approval_document_line`; the names are the
//!   schema's, from when approvals were the only flow) are in [`crate::entities`];
//! - [`DocumentType`] and [`DocumentStatus`], and [`state`], the state machine: the only code that
//!   decides a document's next status;
//! - reading a document ([`load`], [`lines_json`], [`amount_of`]).

pub mod state;

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use ts_rs::TS;

use crate::entities::{approval_document, approval_document_line};
use hesabu_store::error::{Error, Result};
use hesabu_store::money::{Currency, Money};

/// The documents that go through approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum DocumentType {
    PurchaseOrder,
    ExpenseClaim,
    PaymentVoucher,
    MaterialRequest,
    JournalEntry,
    BudgetRevision,
    /// A sales invoice held for approval before it is signed by KRA e-TIMS.
    SalesInvoice,
}

impl DocumentType {
    pub const ALL: [DocumentType; 7] = [
        DocumentType::PurchaseOrder,
        DocumentType::ExpenseClaim,
        DocumentType::PaymentVoucher,
        DocumentType::MaterialRequest,
        DocumentType::JournalEntry,
        DocumentType::BudgetRevision,
        DocumentType::SalesInvoice,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DocumentType::PurchaseOrder => "purchase_order",
            DocumentType::ExpenseClaim => "expense_claim",
            DocumentType::PaymentVoucher => "payment_voucher",
            DocumentType::MaterialRequest => "material_request",
            DocumentType::JournalEntry => "journal_entry",
            DocumentType::BudgetRevision => "budget_revision",
            DocumentType::SalesInvoice => "sales_invoice",
        }
    }

    /// The prefix of the document numbers of this type (PO-000001).
    pub fn number_prefix(self) -> &'static str {
        match self {
            DocumentType::PurchaseOrder => "PO",
            DocumentType::ExpenseClaim => "EC",
            DocumentType::PaymentVoucher => "PV",
            DocumentType::MaterialRequest => "MR",
            DocumentType::JournalEntry => "JE",
            DocumentType::BudgetRevision => "BR",
            DocumentType::SalesInvoice => "SI",
        }
    }
}

impl fmt::Display for DocumentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DocumentType {
    type Err = Error;
    fn from_str(text: &str) -> Result<Self, Error> {
        DocumentType::ALL
            .into_iter()
            .find(|t| t.as_str() == text.trim())
            .ok_or_else(|| {
                let names: Vec<&str> = DocumentType::ALL.iter().map(|t| t.as_str()).collect();
                Error::invalid(format!(
                    "Unknown document type '{text}'. Use one of: {}.",
                    names.join(", ")
                ))
            })
    }
}

/// A document's status: the stored shape is the entities' (the column is TEXT); only [`state`]
/// decides a change.
pub use crate::entities::DocumentStatus;

/// A document by id, or "there is no document".
pub async fn load(db: &impl ConnectionTrait, id: &str) -> Result<approval_document::Model> {
    approval_document::Entity::find_by_id(id.trim().to_owned())
        .one(db)
        .await?
        .ok_or_else(|| {
            Error::NotFound(format!(
                "There is no document {id}. Check the id (hesabu approval inbox lists them)."
            ))
        })
}

/// A document's lines as JSON (for workflow payloads and rule subjects), in position order.
pub async fn lines_json(db: &impl ConnectionTrait, document_id: &str) -> Result<Value> {
    let lines = approval_document_line::Entity::find()
        .filter(approval_document_line::Column::DocumentId.eq(document_id))
        .order_by_asc(approval_document_line::Column::Position)
        .all(db)
        .await?
        .into_iter()
        .map(|l| {
            json!({
                "position": l.position,
                "description": l.description,
                "quantity": l.quantity,
                "unit_price": l.unit_price,
                "tax_code": l.tax_code,
            })
        })
        .collect();
    Ok(Value::Array(lines))
}

/// The document's amount.
pub fn amount_of(doc: &approval_document::Model) -> Decimal {
    doc.amount.get()
}

/// `KES 12,500.00` for messages.
pub fn money_text(doc: &approval_document::Model) -> String {
    match Currency::from_str(&doc.currency) {
        Ok(c) => Money::new(amount_of(doc), c).to_string(),
        _ => format!("{} {}", doc.currency, doc.amount),
    }
}
