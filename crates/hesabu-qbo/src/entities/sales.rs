//! Sales transactions: [`Invoice`], [`CreditMemo`], [`SalesReceipt`] (spec §2.5–§2.9), their
//! [`Line`]s and [`TxnTaxDetail`].

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;

use super::{CustomField, EmailAddress, MetaData, PhysicalAddress, Ref, TextValue, impl_entity};

/// A link to another transaction (`{TxnId, TxnType}`: payments, estimates).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct LinkedTxn {
    pub txn_id: Option<String>,
    pub txn_type: Option<String>,
    pub txn_line_id: Option<String>,
}

/// One line of a sales transaction. `detail_type` names which of the detail objects is
/// present; [`Line::kind`] gives the typed view. Line ids are not stable across updates
/// (spec §2.9): do not key on them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Line {
    pub id: Option<String>,
    pub line_num: Option<u32>,
    pub description: Option<String>,
    /// The line total. `Qty * UnitPrice` may differ (rounding, tax-inclusive prices): compare,
    /// do not recompute.
    #[serde(with = "crate::amount::option")]
    pub amount: Option<Decimal>,
    /// `SalesItemLineDetail`, `SubTotalLineDetail`, `DiscountLineDetail`, `GroupLineDetail`,
    /// `DescriptionOnly`.
    pub detail_type: String,
    pub sales_item_line_detail: Option<SalesItemLineDetail>,
    pub discount_line_detail: Option<DiscountLineDetail>,
    pub group_line_detail: Option<GroupLineDetail>,
    pub linked_txn: Vec<LinkedTxn>,
}

/// The typed view of a [`Line`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind<'a> {
    /// An item sold: the lines an ETR receipt is made of.
    SalesItem(&'a SalesItemLineDetail),
    /// A computed subtotal (no `Id`): skip when mapping items.
    SubTotal,
    /// A transaction-level discount, to be allocated to the items for an ETR.
    Discount(&'a DiscountLineDetail),
    /// A bundle with nested lines.
    Group(&'a GroupLineDetail),
    /// Text only.
    DescriptionOnly,
    /// A detail type this crate does not know (or one whose detail object is missing).
    Other(&'a str),
}

impl Line {
    pub fn kind(&self) -> LineKind<'_> {
        match self.detail_type.as_str() {
            "SalesItemLineDetail" => self
                .sales_item_line_detail
                .as_ref()
                .map_or(LineKind::Other(&self.detail_type), LineKind::SalesItem),
            "SubTotalLineDetail" => LineKind::SubTotal,
            "DiscountLineDetail" => self
                .discount_line_detail
                .as_ref()
                .map_or(LineKind::Other(&self.detail_type), LineKind::Discount),
            "GroupLineDetail" => self
                .group_line_detail
                .as_ref()
                .map_or(LineKind::Other(&self.detail_type), LineKind::Group),
            "DescriptionOnly" => LineKind::DescriptionOnly,
            other => LineKind::Other(other),
        }
    }
}

/// An item line's detail.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct SalesItemLineDetail {
    pub item_ref: Option<Ref>,
    #[serde(with = "crate::amount::option")]
    pub qty: Option<Decimal>,
    #[serde(with = "crate::amount::option")]
    pub unit_price: Option<Decimal>,
    /// US companies: `TAX`/`NON`; other companies: a real `TaxCode` id.
    pub tax_code_ref: Option<Ref>,
    pub class_ref: Option<Ref>,
    pub item_account_ref: Option<Ref>,
    pub service_date: Option<NaiveDate>,
    #[serde(with = "crate::amount::option")]
    pub tax_inclusive_amt: Option<Decimal>,
    #[serde(with = "crate::amount::option")]
    pub discount_rate: Option<Decimal>,
    #[serde(with = "crate::amount::option")]
    pub discount_amt: Option<Decimal>,
    pub tax_classification_ref: Option<Ref>,
}

/// A discount line's detail.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct DiscountLineDetail {
    pub percent_based: Option<bool>,
    #[serde(with = "crate::amount::option")]
    pub discount_percent: Option<Decimal>,
    pub discount_account_ref: Option<Ref>,
}

/// A bundle line's detail, with its own lines.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct GroupLineDetail {
    pub group_item_ref: Option<Ref>,
    #[serde(with = "crate::amount::option")]
    pub quantity: Option<Decimal>,
    pub line: Vec<Line>,
}

/// The transaction's tax (spec §2.7).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct TxnTaxDetail {
    pub txn_tax_code_ref: Option<Ref>,
    #[serde(with = "crate::amount::option")]
    pub total_tax: Option<Decimal>,
    pub tax_line: Vec<TaxLine>,
    pub use_automated_sales_tax: Option<bool>,
}

/// One tax line (`DetailType: "TaxLineDetail"`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct TaxLine {
    #[serde(with = "crate::amount::option")]
    pub amount: Option<Decimal>,
    pub detail_type: Option<String>,
    pub tax_line_detail: Option<TaxLineDetail>,
}

/// A tax line's rate and base.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct TaxLineDetail {
    pub tax_rate_ref: Option<Ref>,
    pub percent_based: Option<bool>,
    #[serde(with = "crate::amount::option")]
    pub tax_percent: Option<Decimal>,
    #[serde(with = "crate::amount::option")]
    pub net_amount_taxable: Option<Decimal>,
    #[serde(with = "crate::amount::option")]
    pub tax_inclusive_amount: Option<Decimal>,
    #[serde(with = "crate::amount::option")]
    pub override_delta_amount: Option<Decimal>,
}

/// The fields every sales transaction shares, then each one's own.
macro_rules! sales_txn {
    ($(#[$doc:meta])* $name:ident { $($(#[$fdoc:meta])* $field:ident : $ty:ty,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
        #[serde(default, rename_all = "PascalCase")]
        pub struct $name {
            pub id: Option<String>,
            /// Required for updates; never increment it yourself (spec §4.2).
            pub sync_token: Option<String>,
            pub meta_data: Option<MetaData>,
            /// At most 21 characters.
            pub doc_number: Option<String>,
            pub txn_date: Option<NaiveDate>,
            pub customer_ref: Option<Ref>,
            pub currency_ref: Option<Ref>,
            #[serde(with = "crate::amount::option")]
            pub exchange_rate: Option<Decimal>,
            pub line: Vec<Line>,
            pub txn_tax_detail: Option<TxnTaxDetail>,
            /// `TaxExcluded`, `TaxInclusive` or `NotApplicable` (non-US companies).
            pub global_tax_calculation: Option<String>,
            pub apply_tax_after_discount: Option<bool>,
            /// Computed by QuickBooks.
            #[serde(with = "crate::amount::option")]
            pub total_amt: Option<Decimal>,
            #[serde(with = "crate::amount::option")]
            pub home_total_amt: Option<Decimal>,
            #[serde(with = "crate::amount::option")]
            pub balance: Option<Decimal>,
            /// The internal memo (max 4000 characters, not printed): where the ETR block goes.
            pub private_note: Option<String>,
            /// Printed on the document.
            pub customer_memo: Option<TextValue>,
            pub custom_field: Vec<CustomField>,
            pub bill_email: Option<EmailAddress>,
            pub email_status: Option<String>,
            pub print_status: Option<String>,
            pub linked_txn: Vec<LinkedTxn>,
            pub class_ref: Option<Ref>,
            pub department_ref: Option<Ref>,
            pub project_ref: Option<Ref>,
            pub bill_addr: Option<PhysicalAddress>,
            pub ship_addr: Option<PhysicalAddress>,
            #[serde(rename = "domain")]
            pub domain: Option<String>,
            /// `true` on partial query results.
            #[serde(rename = "sparse")]
            pub sparse: Option<bool>,
            $($(#[$fdoc])* pub $field: $ty,)*
        }

        impl $name {
            /// The item lines (what an ETR receipt lists), skipping subtotals and text.
            pub fn item_lines(&self) -> impl Iterator<Item = (&Line, &SalesItemLineDetail)> {
                self.line.iter().filter_map(|line| match line.kind() {
                    LineKind::SalesItem(detail) => Some((line, detail)),
                    _ => None,
                })
            }

            /// A void keeps the transaction with zero totals and `PrivateNote` "Voided…" (spec
            /// §2.13). A heuristic: keep the previous totals locally as well.
            pub fn looks_voided(&self) -> bool {
                self.total_amt.is_some_and(|t| t.is_zero())
                    && self
                        .private_note
                        .as_deref()
                        .is_some_and(|n| n.trim_start().starts_with("Voided"))
            }
        }
    };
}

sales_txn!(
    /// An invoice (spec §2.5).
    Invoice {
        due_date: Option<NaiveDate>,
        #[serde(with = "crate::amount::option")]
        home_balance: Option<Decimal>,
        #[serde(with = "crate::amount::option")]
        deposit: Option<Decimal>,
        sales_term_ref: Option<Ref>,
        /// A shareable link (read-only).
        invoice_link: Option<String>,
    }
);
impl_entity!(Invoice, "Invoice", "invoice");

sales_txn!(
    /// A credit memo (spec §2.8): the ETR credit note's source.
    CreditMemo {
        /// The unapplied amount.
        #[serde(with = "crate::amount::option")]
        remaining_credit: Option<Decimal>,
        /// The original invoice, when set (often empty: ask the user).
        invoice_ref: Option<Ref>,
    }
);
impl_entity!(CreditMemo, "CreditMemo", "creditmemo");

sales_txn!(
    /// A sales receipt (spec §2.9): paid at once, `Balance` normally 0.
    SalesReceipt {
        payment_method_ref: Option<Ref>,
        payment_ref_num: Option<String>,
        deposit_to_account_ref: Option<Ref>,
    }
);
impl_entity!(SalesReceipt, "SalesReceipt", "salesreceipt");
