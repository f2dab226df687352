//! Name-list entities: [`Customer`] (spec §2.10) and [`Item`] (spec §2.11).

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;

use super::{EmailAddress, MetaData, PhoneNumber, PhysicalAddress, Ref, impl_entity};

/// A customer. The KRA PIN's natural home is `primary_tax_identifier`, which QuickBooks may
/// mask on read (spec §2.10); keep the authoritative PIN locally.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Customer {
    pub id: Option<String>,
    pub sync_token: Option<String>,
    pub meta_data: Option<MetaData>,
    /// Unique across customers, vendors and employees.
    pub display_name: Option<String>,
    pub company_name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub fully_qualified_name: Option<String>,
    pub primary_email_addr: Option<EmailAddress>,
    pub primary_phone: Option<PhoneNumber>,
    pub mobile: Option<PhoneNumber>,
    pub bill_addr: Option<PhysicalAddress>,
    pub ship_addr: Option<PhysicalAddress>,
    pub active: Option<bool>,
    pub taxable: Option<bool>,
    pub default_tax_code_ref: Option<Ref>,
    pub currency_ref: Option<Ref>,
    #[serde(with = "crate::amount::option")]
    pub balance: Option<Decimal>,
    #[serde(with = "crate::amount::option")]
    pub balance_with_jobs: Option<Decimal>,
    pub parent_ref: Option<Ref>,
    pub job: Option<bool>,
    pub notes: Option<String>,
    pub primary_tax_identifier: Option<String>,
    pub secondary_tax_identifier: Option<String>,
    pub business_number: Option<String>,
    pub resale_num: Option<String>,
    #[serde(rename = "domain")]
    pub domain: Option<String>,
    #[serde(rename = "sparse")]
    pub sparse: Option<bool>,
}
impl_entity!(Customer, "Customer", "customer");

/// A product or service.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Item {
    pub id: Option<String>,
    pub sync_token: Option<String>,
    pub meta_data: Option<MetaData>,
    /// Unique, at most 100 characters.
    pub name: Option<String>,
    pub fully_qualified_name: Option<String>,
    pub sku: Option<String>,
    pub description: Option<String>,
    pub purchase_desc: Option<String>,
    /// `Inventory`, `Service`, `NonInventory`, `Category`, `Group`, …
    #[serde(rename = "Type")]
    pub kind: Option<String>,
    #[serde(with = "crate::amount::option")]
    pub unit_price: Option<Decimal>,
    #[serde(with = "crate::amount::option")]
    pub purchase_cost: Option<Decimal>,
    pub taxable: Option<bool>,
    pub sales_tax_included: Option<bool>,
    pub sales_tax_code_ref: Option<Ref>,
    pub purchase_tax_code_ref: Option<Ref>,
    pub income_account_ref: Option<Ref>,
    pub expense_account_ref: Option<Ref>,
    pub asset_account_ref: Option<Ref>,
    pub track_qty_on_hand: Option<bool>,
    #[serde(with = "crate::amount::option")]
    pub qty_on_hand: Option<Decimal>,
    pub inv_start_date: Option<NaiveDate>,
    pub active: Option<bool>,
    pub sub_item: Option<bool>,
    pub parent_ref: Option<Ref>,
    pub class_ref: Option<Ref>,
    pub tax_classification_ref: Option<Ref>,
    #[serde(rename = "domain")]
    pub domain: Option<String>,
    #[serde(rename = "sparse")]
    pub sparse: Option<bool>,
}
impl_entity!(Item, "Item", "item");
