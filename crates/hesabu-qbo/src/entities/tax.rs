//! Tax codes and rates (spec §2.7): read by query, never through CDC. A realm's `TaxCode.Id`s
//! are mapped to KRA tax categories by the caller.

use rust_decimal::Decimal;
use serde::Deserialize;

use super::{MetaData, Ref, impl_entity};

/// A tax code: what a line's `TaxCodeRef` names (non-US companies).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct TaxCode {
    pub id: Option<String>,
    pub sync_token: Option<String>,
    pub meta_data: Option<MetaData>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub active: Option<bool>,
    pub hidden: Option<bool>,
    pub taxable: Option<bool>,
    pub tax_group: Option<bool>,
    pub sales_tax_rate_list: Option<TaxRateList>,
    pub purchase_tax_rate_list: Option<TaxRateList>,
}
impl_entity!(TaxCode, "TaxCode", "taxcode");

/// The rates a tax code applies.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct TaxRateList {
    pub tax_rate_detail: Vec<TaxRateDetail>,
}

/// One rate of a tax code.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct TaxRateDetail {
    pub tax_rate_ref: Option<Ref>,
    pub tax_type_applicable: Option<String>,
    pub tax_order: Option<u32>,
}

/// A tax rate (`RateValue` in percent: `16` is 16 %).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct TaxRate {
    pub id: Option<String>,
    pub sync_token: Option<String>,
    pub meta_data: Option<MetaData>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub active: Option<bool>,
    #[serde(with = "crate::amount::option")]
    pub rate_value: Option<Decimal>,
    pub agency_ref: Option<Ref>,
    pub special_tax_type: Option<String>,
    pub display_type: Option<String>,
    pub effective_tax_rate: Vec<EffectiveTaxRate>,
}
impl_entity!(TaxRate, "TaxRate", "taxrate");

/// A rate's value over a period.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct EffectiveTaxRate {
    #[serde(with = "crate::amount::option")]
    pub rate_value: Option<Decimal>,
    pub effective_date: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub end_date: Option<chrono::DateTime<chrono::FixedOffset>>,
}
