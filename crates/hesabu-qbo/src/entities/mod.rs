//! The QuickBooks entities Hesabu reads, typed with the fields the spec lists (§2.5–§2.12).
//!
//! Conventions (spec §2.4): ids and `SyncToken`s are strings; money and quantities are
//! [`Decimal`] read from their exact JSON text ([`crate::amount`]); every field is optional
//! because QuickBooks omits empty ones; unknown fields are ignored here and kept in
//! [`crate::Record::raw`]. Entities are read-only projections: writes send the caller's own
//! small structs (see [`crate::SalesTxnPatch`]).

mod attachable;
mod names;
mod preferences;
mod sales;
mod tax;

pub use attachable::{Attachable, AttachableRef};
pub use names::{Customer, Item};
pub use preferences::{
    CurrencyPrefs, LegacyCustomField, Preferences, PrefsCustomField, PrefsCustomFieldGroup,
    SalesFormsPrefs, TaxPrefs,
};
pub use sales::{
    CreditMemo, DiscountLineDetail, GroupLineDetail, Invoice, Line, LineKind, LinkedTxn,
    SalesItemLineDetail, SalesReceipt, TaxLine, TaxLineDetail, TxnTaxDetail,
};
pub use tax::{EffectiveTaxRate, TaxCode, TaxRate, TaxRateDetail, TaxRateList};

use chrono::{DateTime, FixedOffset};
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;

/// A QuickBooks entity this crate can read, query and update.
pub trait Entity: DeserializeOwned + Send + 'static {
    /// The entity's name in queries, CDC and response envelopes (`"Invoice"`).
    const NAME: &'static str;
    /// The path segment of reads and writes (`"invoice"`).
    const PATH: &'static str;
    fn id(&self) -> Option<&str>;
    fn sync_token(&self) -> Option<&str>;
    fn meta_data(&self) -> Option<&MetaData>;
    /// `MetaData.LastUpdatedTime`: the pull watermark's unit.
    fn last_updated(&self) -> Option<DateTime<FixedOffset>> {
        self.meta_data().and_then(|m| m.last_updated_time)
    }
}

macro_rules! impl_entity {
    ($ty:ty, $name:literal, $path:literal) => {
        impl $crate::entities::Entity for $ty {
            const NAME: &'static str = $name;
            const PATH: &'static str = $path;
            fn id(&self) -> Option<&str> {
                self.id.as_deref()
            }
            fn sync_token(&self) -> Option<&str> {
                self.sync_token.as_deref()
            }
            fn meta_data(&self) -> Option<&$crate::entities::MetaData> {
                self.meta_data.as_ref()
            }
        }
    };
}
pub(crate) use impl_entity;

/// A reference to another entity: `{"value": "<id>", "name": "<display>"}`; `type` only on
/// attachment links (`{"type": "Invoice", "value": "130"}`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Ref {
    pub value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

impl Ref {
    /// A reference by id alone.
    pub fn to(value: impl Into<String>) -> Self {
        Ref {
            value: value.into(),
            ..Ref::default()
        }
    }
}

/// Creation and last-change instants, with QuickBooks' offset kept (company time zone).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct MetaData {
    pub create_time: Option<DateTime<FixedOffset>>,
    pub last_updated_time: Option<DateTime<FixedOffset>>,
    pub last_modified_by_ref: Option<Ref>,
}

/// A legacy sales custom field value (spec §2.12): up to three `StringType` fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct CustomField {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub definition_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(rename = "Type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub string_value: Option<String>,
}

impl CustomField {
    /// A string value for the definition `definition_id` (`"1"`–`"3"`), as a sparse update
    /// writes it.
    pub fn string(definition_id: impl Into<String>, value: impl Into<String>) -> Self {
        CustomField {
            definition_id: Some(definition_id.into()),
            name: None,
            kind: Some("StringType".to_owned()),
            string_value: Some(value.into()),
        }
    }
}

/// `{"value": "…"}`: `CustomerMemo` and similar wrapped text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TextValue {
    pub value: String,
}

/// `{"Address": "…"}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct EmailAddress {
    pub address: Option<String>,
}

/// `{"FreeFormNumber": "…"}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct PhoneNumber {
    pub free_form_number: Option<String>,
}

/// A postal address. `Lat`/`Long` are text: QuickBooks sends `"INVALID"` for unknown ones.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct PhysicalAddress {
    #[serde(deserialize_with = "text")]
    pub id: Option<String>,
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub line3: Option<String>,
    pub line4: Option<String>,
    pub line5: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    pub country_sub_division_code: Option<String>,
    pub postal_code: Option<String>,
    #[serde(deserialize_with = "text")]
    pub lat: Option<String>,
    #[serde(deserialize_with = "text")]
    pub long: Option<String>,
}

/// Text that may arrive as a string or a number (kept as written); `null` is `None`.
pub(crate) fn text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    let raw = Box::<RawValue>::deserialize(deserializer)?;
    let text = raw.get().trim();
    match text.as_bytes().first() {
        Some(b'n') => Ok(None),
        Some(b'"') => serde_json::from_str::<String>(text)
            .map(Some)
            .map_err(D::Error::custom),
        Some(b'-' | b'0'..=b'9' | b't' | b'f') => Ok(Some(text.to_owned())),
        _ => Err(D::Error::custom(format!("expected text, found {text}"))),
    }
}
