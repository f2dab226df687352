//! Company [`Preferences`]: which legacy sales custom fields exist (the CU invoice number can go
//! into one, spec §2.12), the home currency, whether sales tax is on.

use serde::Deserialize;

use super::{MetaData, Ref, impl_entity};

/// The company's preferences (`GET /preferences`); only the parts Hesabu reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Preferences {
    pub id: Option<String>,
    pub sync_token: Option<String>,
    pub meta_data: Option<MetaData>,
    pub sales_forms_prefs: Option<SalesFormsPrefs>,
    pub currency_prefs: Option<CurrencyPrefs>,
    pub tax_prefs: Option<TaxPrefs>,
}
impl_entity!(Preferences, "Preferences", "preferences");

/// Sales form settings, with the custom field definitions in QuickBooks' name/value form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct SalesFormsPrefs {
    pub custom_field: Vec<PrefsCustomFieldGroup>,
    pub custom_txn_numbers: Option<bool>,
    pub allow_deposit: Option<bool>,
    pub allow_discount: Option<bool>,
    pub default_terms: Option<Ref>,
}

/// A group of preference settings (QuickBooks nests them: `CustomField[].CustomField[]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct PrefsCustomFieldGroup {
    pub custom_field: Vec<PrefsCustomField>,
}

/// One setting: `SalesFormsPrefs.UseSalesCustom1` (boolean) or
/// `SalesFormsPrefs.SalesCustomName1` (string).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct PrefsCustomField {
    pub name: Option<String>,
    #[serde(rename = "Type")]
    pub kind: Option<String>,
    pub string_value: Option<String>,
    pub boolean_value: Option<bool>,
}

/// Multicurrency and the home currency.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct CurrencyPrefs {
    pub multi_currency_enabled: Option<bool>,
    pub home_currency: Option<Ref>,
}

/// Sales tax settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct TaxPrefs {
    pub using_sales_tax: Option<bool>,
    pub partner_tax_enabled: Option<bool>,
    pub tax_group_code_ref: Option<Ref>,
}

/// One of the three legacy sales custom fields, as the settings screen offers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyCustomField {
    /// `"1"`, `"2"` or `"3"`: the `DefinitionId` a transaction's `CustomField` uses.
    pub definition_id: String,
    /// The name the company gave it, if any.
    pub name: Option<String>,
    /// Whether the company turned it on.
    pub in_use: bool,
}

impl Preferences {
    /// The legacy sales custom fields the company defined (spec §2.12), in definition order.
    /// Only these can carry the CU invoice number through the free REST API.
    pub fn legacy_custom_fields(&self) -> Vec<LegacyCustomField> {
        let settings: Vec<&PrefsCustomField> = self
            .sales_forms_prefs
            .iter()
            .flat_map(|p| &p.custom_field)
            .flat_map(|g| &g.custom_field)
            .collect();
        let find = |name: String| {
            settings
                .iter()
                .find(|s| s.name.as_deref() == Some(name.as_str()))
                .copied()
        };
        (1..=3)
            .filter_map(|n| {
                let used = find(format!("SalesFormsPrefs.UseSalesCustom{n}"));
                let named = find(format!("SalesFormsPrefs.SalesCustomName{n}"));
                if used.is_none() && named.is_none() {
                    return None;
                }
                Some(LegacyCustomField {
                    definition_id: n.to_string(),
                    name: named
                        .and_then(|s| s.string_value.clone())
                        .filter(|s| !s.trim().is_empty()),
                    in_use: used.and_then(|s| s.boolean_value).unwrap_or(false),
                })
            })
            .collect()
    }
}
