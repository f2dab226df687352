//! The five workflow types and their typed configs. A config file (`hesabu workflow set TYPE
//! --file CONFIG.json`) has the seed's shape `{"enabled": true, "autoSync": true, "config":
//! {...}}`; every object rejects unknown keys, and a wrong type is reported with the key's name.
//! Values use e-TIMS vocabulary (`../shared/specs/etims-oscu.md` §9): tax categories `A`–`E`
//! (code class 04), item types `1`/`2`/`3` (class 24, our "service levels"), transaction types
//! `N`/`C`/`P`/`T` (class 14).

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Value, json};
use ts_rs::TS;

use crate::rules::definition::Definition;
use hesabu_store::error::{Error, Result};
use hesabu_store::limits::{self, check_bytes, excerpt, shorten};
use hesabu_store::money::{MAX_AMOUNT, max_amount_text};

/// A workflow: which kind of entity it sends to e-TIMS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum WorkflowType {
    InvoiceSync,
    CustomerSync,
    ItemSync,
    CreditNoteSync,
    SalesSync,
}

impl WorkflowType {
    pub const ALL: [WorkflowType; 5] = [
        WorkflowType::InvoiceSync,
        WorkflowType::CustomerSync,
        WorkflowType::ItemSync,
        WorkflowType::CreditNoteSync,
        WorkflowType::SalesSync,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            WorkflowType::InvoiceSync => "invoice_sync",
            WorkflowType::CustomerSync => "customer_sync",
            WorkflowType::ItemSync => "item_sync",
            WorkflowType::CreditNoteSync => "credit_note_sync",
            WorkflowType::SalesSync => "sales_sync",
        }
    }

    /// Short form used in idempotency keys (which may be at most 50 characters).
    pub(crate) fn short(self) -> &'static str {
        match self {
            WorkflowType::InvoiceSync => "inv",
            WorkflowType::CustomerSync => "cus",
            WorkflowType::ItemSync => "itm",
            WorkflowType::CreditNoteSync => "crn",
            WorkflowType::SalesSync => "sal",
        }
    }

    /// The outbox operation the e-TIMS client will carry out (OSCU endpoint names, spec §5–§7).
    pub(crate) fn operation(self) -> &'static str {
        match self {
            WorkflowType::InvoiceSync => "invoice.submit",
            WorkflowType::CustomerSync => "customer.save",
            WorkflowType::ItemSync => "item.save",
            WorkflowType::CreditNoteSync => "credit_note.submit",
            WorkflowType::SalesSync => "sales.submit",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            WorkflowType::InvoiceSync => "Send approved sales invoices to KRA e-TIMS",
            WorkflowType::CustomerSync => "Register customers (buyer PINs) with e-TIMS",
            WorkflowType::ItemSync => "Register items with e-TIMS",
            WorkflowType::CreditNoteSync => "Send credit notes to e-TIMS",
            WorkflowType::SalesSync => "Send sales transactions to e-TIMS",
        }
    }

    /// The default (disabled) config of this type.
    pub fn default_config(self) -> WorkflowConfig {
        match self {
            WorkflowType::InvoiceSync => WorkflowConfig::Invoice(InvoiceConfig::default()),
            WorkflowType::CustomerSync => WorkflowConfig::Customer(CustomerConfig::default()),
            WorkflowType::ItemSync => WorkflowConfig::Item(ItemConfig::default()),
            WorkflowType::CreditNoteSync => WorkflowConfig::CreditNote(CreditNoteConfig::default()),
            WorkflowType::SalesSync => WorkflowConfig::Sales(SalesConfig::default()),
        }
    }
}

impl fmt::Display for WorkflowType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for WorkflowType {
    type Err = Error;
    fn from_str(text: &str) -> Result<Self> {
        WorkflowType::ALL
            .into_iter()
            .find(|t| t.as_str() == text.trim())
            .ok_or_else(|| {
                let names: Vec<&str> = WorkflowType::ALL.iter().map(|t| t.as_str()).collect();
                Error::invalid(format!(
                    "Unknown workflow type '{text}'. Use one of: {}.",
                    names.join(", ")
                ))
            })
    }
}

/// e-TIMS taxation type (code class 04): A exempt, B 16 %, C zero rated, D non-VAT, E 8 %.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
pub enum TaxCategory {
    A,
    B,
    C,
    D,
    E,
}

impl TaxCategory {
    /// Whether VAT is charged (B, C, E; C at 0 % is still a taxable supply). A (exempt) and
    /// D (non-VAT) are not taxable.
    pub fn is_taxable(self) -> bool {
        matches!(self, TaxCategory::B | TaxCategory::C | TaxCategory::E)
    }

    pub(crate) fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_uppercase().as_str() {
            "A" => Some(TaxCategory::A),
            "B" => Some(TaxCategory::B),
            "C" => Some(TaxCategory::C),
            "D" => Some(TaxCategory::D),
            "E" => Some(TaxCategory::E),
            _ => None,
        }
    }
}

/// e-TIMS item type (code class 24), the workflows' "service levels".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
pub enum ServiceLevel {
    #[serde(rename = "1")]
    RawMaterial,
    #[serde(rename = "2")]
    FinishedProduct,
    #[serde(rename = "3")]
    Service,
}

impl ServiceLevel {
    pub(crate) fn parse(text: &str) -> Option<Self> {
        serde_json::from_value(Value::String(text.trim().to_owned())).ok()
    }
}

/// e-TIMS transaction type (code class 14).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
pub enum TransactionType {
    #[serde(rename = "N")]
    Normal,
    #[serde(rename = "C")]
    Copy,
    #[serde(rename = "P")]
    Proforma,
    #[serde(rename = "T")]
    Training,
}

impl TransactionType {
    pub(crate) fn parse(text: &str) -> Option<Self> {
        serde_json::from_value(Value::String(text.trim().to_owned())).ok()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
pub enum CustomerType {
    /// The buyer has a KRA PIN (it goes on the invoice as `custTin`).
    B2B,
    /// A walk-in or consumer: no PIN.
    B2C,
}

/// How a customer's KRA PIN is checked before it is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum PinValidation {
    /// A missing or malformed PIN fails the execution; nothing is sent.
    #[default]
    Strict,
    /// A malformed PIN is left out (the customer is sent without `custTin`) with a warning.
    Lenient,
}

/// A money threshold written as a string ("50000.00") or a JSON number; kept as a Decimal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Amount(pub Decimal);

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.normalize().to_string())
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        // A JSON number arrives as serde_json's Number; its text is the shortest form that
        // reads back as the same number, which for amounts people type ("50000", "2500.5") is
        // exactly what they wrote. No float type is used here.
        let text = match &value {
            Value::String(s) => s.trim().to_owned(),
            Value::Number(n) => n.to_string(),
            other => {
                return Err(serde::de::Error::custom(format!(
                    "expected an amount such as \"50000.00\", found {}",
                    excerpt(&other.to_string())
                )));
            }
        };
        let amount = Decimal::from_str_exact(&text)
            .or_else(|_| Decimal::from_scientific(&text))
            .map_err(|_| {
                serde::de::Error::custom(format!(
                    "'{}' is not an amount such as \"50000.00\"",
                    excerpt(&text)
                ))
            })?;
        if amount < Decimal::ZERO {
            return Err(serde::de::Error::custom(format!(
                "{text} is negative; amounts here are zero or more"
            )));
        }
        if amount > MAX_AMOUNT {
            return Err(serde::de::Error::custom(format!(
                "{text} is above the largest amount Hesabu accepts ({})",
                max_amount_text()
            )));
        }
        Ok(Amount(amount))
    }
}

fn yes() -> bool {
    true
}

fn three() -> u32 {
    3
}

/// invoice_sync.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct InvoiceConfig {
    /// Let the outbox retry a failed send (off: the first failure fails the execution).
    pub retry_on_failure: bool,
    /// How many times a failed execution may be retried (`workflow retry`).
    pub max_retries: u32,
    /// Post a notice when an execution fails.
    pub notify_on_failure: bool,
    /// Ask the e-TIMS client to fetch and keep the signed ETR receipt.
    #[serde(rename = "syncETRReceipt")]
    pub sync_etr_receipt: bool,
    /// Invoices above this amount are sent only once approved; at or below it they are sent as
    /// soon as they are created. Absent: every invoice waits for its approval.
    #[ts(type = "string | null")]
    pub require_approval_above: Option<Amount>,
}

impl Default for InvoiceConfig {
    fn default() -> Self {
        Self {
            retry_on_failure: yes(),
            max_retries: three(),
            notify_on_failure: yes(),
            sync_etr_receipt: yes(),
            require_approval_above: None,
        }
    }
}

/// customer_sync.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct CustomerConfig {
    #[serde(rename = "validatePIN")]
    pub validate_pin: PinValidation,
    /// Send a customer again when it changes (off: only new customers are sent).
    pub sync_on_update: bool,
    /// Carried to the e-TIMS client, which may group customers; today each customer is still
    /// one outbox row (a simplification until the phase-2 client exists).
    pub batch_sync: bool,
}

impl Default for CustomerConfig {
    fn default() -> Self {
        Self {
            validate_pin: PinValidation::Strict,
            sync_on_update: yes(),
            batch_sync: false,
        }
    }
}

/// item_sync.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ItemConfig {
    /// Every item (the default). Exclusive with `taxableOnly`.
    pub sync_all: bool,
    /// Only items whose tax category is taxable (B, C, E); exempt (A) and non-VAT (D) items are
    /// skipped.
    pub taxable_only: bool,
    /// Only these item types (empty: all).
    pub service_levels: Vec<ServiceLevel>,
    /// Only these tax categories (empty: all).
    pub tax_categories: Vec<TaxCategory>,
}

impl Default for ItemConfig {
    fn default() -> Self {
        Self {
            sync_all: yes(),
            taxable_only: false,
            service_levels: Vec::new(),
            tax_categories: Vec::new(),
        }
    }
}

/// credit_note_sync.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct CreditNoteConfig {
    /// A credit note must name the invoice it corrects (e-TIMS `orgInvcNo`); without one the
    /// execution fails and nothing is sent.
    pub require_original_invoice: bool,
}

impl Default for CreditNoteConfig {
    fn default() -> Self {
        Self {
            require_original_invoice: yes(),
        }
    }
}

/// sales_sync.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct SalesConfig {
    /// Only sales whose lines are of these item types (empty: all).
    pub service_levels: Vec<ServiceLevel>,
    /// Sales with a total below this are skipped (absent: none are).
    #[ts(type = "string | null")]
    pub tax_threshold: Option<Amount>,
    /// Only these transaction types (empty: all).
    pub transaction_types: Vec<TransactionType>,
    /// Only these customer types (empty: both).
    pub customer_types: Vec<CustomerType>,
}

/// One workflow's config, typed by its workflow type.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(untagged)]
pub enum WorkflowConfig {
    Invoice(InvoiceConfig),
    Customer(CustomerConfig),
    Item(ItemConfig),
    CreditNote(CreditNoteConfig),
    Sales(SalesConfig),
}

impl WorkflowConfig {
    /// Parses `config` as the config of `workflow`, naming the offending key on error.
    pub fn parse(workflow: WorkflowType, config: &Value) -> Result<Self> {
        let parsed = match workflow {
            WorkflowType::InvoiceSync => WorkflowConfig::Invoice(typed(workflow, config)?),
            WorkflowType::CustomerSync => WorkflowConfig::Customer(typed(workflow, config)?),
            WorkflowType::ItemSync => {
                let item: ItemConfig = typed(workflow, config)?;
                // `syncAll` defaults to true, so `{"taxableOnly": true}` alone means taxable only.
                let explicit_all = config.get("syncAll").and_then(Value::as_bool) == Some(true);
                if item.taxable_only && explicit_all {
                    return Err(Error::invalid(
                        "item_sync config: syncAll and taxableOnly are both true. Choose one: \
                         syncAll sends every item, taxableOnly only taxable ones.",
                    ));
                }
                WorkflowConfig::Item(ItemConfig {
                    sync_all: !item.taxable_only,
                    ..item
                })
            }
            WorkflowType::CreditNoteSync => WorkflowConfig::CreditNote(typed(workflow, config)?),
            WorkflowType::SalesSync => WorkflowConfig::Sales(typed(workflow, config)?),
        };
        Ok(parsed)
    }

    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or_else(|_| json!({}))
    }
}

/// How much of serde's words a config message keeps (they may quote the offending value).
const DETAIL: usize = 300;

/// Deserialises a config object. serde's own message for a wrong type gives a line and column,
/// not a key; since every field has a default, trying each key on its own finds the culprit.
fn typed<T: DeserializeOwned>(workflow: WorkflowType, config: &Value) -> Result<T> {
    let Some(object) = config.as_object() else {
        return Err(Error::invalid(format!(
            "{workflow} config must be a JSON object, e.g. {{\"maxRetries\": 3}}."
        )));
    };
    match serde_json::from_value::<T>(config.clone()) {
        Ok(parsed) => Ok(parsed),
        Err(whole) => {
            for (key, value) in object {
                let single = Value::Object([(key.clone(), value.clone())].into_iter().collect());
                if let Err(e) = serde_json::from_value::<T>(single) {
                    let text = shorten(&e.to_string(), DETAIL);
                    let key = excerpt(key);
                    let message = if text.starts_with("unknown field") {
                        format!("{workflow} config: unknown key '{key}' ({text}).")
                    } else {
                        format!("{workflow} config: key '{key}' has the wrong value: {text}.")
                    };
                    return Err(Error::invalid(message));
                }
            }
            Err(Error::invalid(format!(
                "{workflow} config: {}.",
                shorten(&whole.to_string(), DETAIL)
            )))
        }
    }
}

/// The file given to `hesabu workflow set`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SettingsFile {
    enabled: Option<bool>,
    auto_sync: Option<bool>,
    config: Option<Value>,
}

/// A workflow's settings after validation.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkflowSettings {
    pub enabled: bool,
    pub auto_sync: bool,
    pub config: WorkflowConfig,
}

/// A workflow settings file (docs/workflows.md), as a definition a person gives Hesabu.
pub const WORKFLOW_FILE: Definition = Definition {
    what: "workflow file",
    doc: "docs/workflows.md",
};

/// Reads the text of a settings file, before [`parse_settings`] checks its keys (see
/// `rules::definition`: size, encoding, where the JSON is wrong).
pub fn parse_settings_json(text: &str) -> Result<Value> {
    WORKFLOW_FILE.parse(text)
}

/// Parses a settings file `{"enabled", "autoSync", "config"}`; keys left out keep `current`.
/// Settings handed over as a value (the desktop's) are held to the size of a file.
pub fn parse_settings(
    workflow: WorkflowType,
    file: &Value,
    current: &WorkflowSettings,
) -> Result<WorkflowSettings> {
    check_bytes(
        WORKFLOW_FILE.what,
        file.to_string().len(),
        limits::DEFINITION_BYTES,
    )?;
    let Some(object) = file.as_object() else {
        return Err(Error::invalid(
            "A workflow file must be a JSON object: {\"enabled\": true, \"autoSync\": true, \
             \"config\": {...}}.",
        ));
    };
    for (key, value) in object {
        let ok = match key.as_str() {
            "enabled" | "autoSync" => value.is_boolean(),
            "config" => true,
            _ => {
                return Err(Error::invalid(format!(
                    "Unknown key '{}' in the workflow file. Use enabled, autoSync and config.",
                    excerpt(key)
                )));
            }
        };
        if !ok {
            return Err(Error::invalid(format!(
                "Key '{key}' must be true or false, not {}.",
                excerpt(&value.to_string())
            )));
        }
    }
    let parsed: SettingsFile = serde_json::from_value(file.clone()).map_err(|e| {
        Error::invalid(format!(
            "The workflow file: {}.",
            shorten(&e.to_string(), DETAIL)
        ))
    })?;
    Ok(WorkflowSettings {
        enabled: parsed.enabled.unwrap_or(current.enabled),
        auto_sync: parsed.auto_sync.unwrap_or(current.auto_sync),
        config: match &parsed.config {
            Some(c) => WorkflowConfig::parse(workflow, c)?,
            None => current.config.clone(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(workflow: WorkflowType, config: Value) -> String {
        WorkflowConfig::parse(workflow, &config)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn invoice_config_parses_amounts_from_strings_and_numbers() {
        for (given, want) in [
            (json!("50000.00"), "50000"),
            (json!(50000), "50000"),
            (json!(2500.5), "2500.5"),
        ] {
            let c = WorkflowConfig::parse(
                WorkflowType::InvoiceSync,
                &json!({ "requireApprovalAbove": given, "maxRetries": 5 }),
            )
            .unwrap();
            let WorkflowConfig::Invoice(c) = c else {
                panic!("not an invoice config")
            };
            assert_eq!(
                c.require_approval_above.unwrap().0.normalize().to_string(),
                want
            );
            assert_eq!(c.max_retries, 5);
            assert!(c.retry_on_failure, "defaults fill the rest");
        }
    }

    #[test]
    fn unknown_keys_and_wrong_types_name_the_key() {
        let e = err(WorkflowType::InvoiceSync, json!({ "maxRetrys": 3 }));
        assert!(e.contains("'maxRetrys'") && e.contains("unknown"), "{e}");
        let e = err(WorkflowType::InvoiceSync, json!({ "maxRetries": "three" }));
        assert!(e.contains("'maxRetries'"), "{e}");
        let e = err(
            WorkflowType::InvoiceSync,
            json!({ "requireApprovalAbove": "lots" }),
        );
        assert!(
            e.contains("'requireApprovalAbove'") && e.contains("lots"),
            "{e}"
        );
        let e = err(
            WorkflowType::CustomerSync,
            json!({ "validatePIN": "sometimes" }),
        );
        assert!(e.contains("'validatePIN'") && e.contains("strict"), "{e}");
        let e = err(
            WorkflowType::ItemSync,
            json!({ "taxCategories": ["B", "F"] }),
        );
        assert!(e.contains("'taxCategories'"), "{e}");
        let e = err(WorkflowType::SalesSync, json!({ "customerTypes": ["B2G"] }));
        assert!(e.contains("'customerTypes'"), "{e}");
        let e = err(
            WorkflowType::CreditNoteSync,
            json!({ "requireOriginalInvoice": 1 }),
        );
        assert!(e.contains("'requireOriginalInvoice'"), "{e}");
        let e = err(
            WorkflowType::ItemSync,
            json!({ "syncAll": true, "taxableOnly": true }),
        );
        assert!(e.contains("syncAll and taxableOnly"), "{e}");
    }

    #[test]
    fn etims_vocabulary_is_accepted() {
        let c = WorkflowConfig::parse(
            WorkflowType::SalesSync,
            &json!({
                "serviceLevels": ["3", "2"],
                "taxThreshold": "1000",
                "transactionTypes": ["N"],
                "customerTypes": ["B2B", "B2C"]
            }),
        )
        .unwrap();
        let WorkflowConfig::Sales(s) = c else {
            panic!("not sales")
        };
        assert_eq!(
            s.service_levels,
            vec![ServiceLevel::Service, ServiceLevel::FinishedProduct]
        );
        assert_eq!(s.transaction_types, vec![TransactionType::Normal]);
        let c =
            WorkflowConfig::parse(WorkflowType::ItemSync, &json!({ "taxableOnly": true })).unwrap();
        let WorkflowConfig::Item(i) = c else {
            panic!("not item")
        };
        assert!(i.taxable_only && !i.sync_all);
    }

    #[test]
    fn settings_file_has_the_seed_shape() {
        let current = WorkflowSettings {
            enabled: false,
            auto_sync: false,
            config: WorkflowType::InvoiceSync.default_config(),
        };
        let s = parse_settings(
            WorkflowType::InvoiceSync,
            &json!({ "enabled": true, "autoSync": true, "config": { "maxRetries": 1 } }),
            &current,
        )
        .unwrap();
        assert!(s.enabled && s.auto_sync);
        let e = parse_settings(
            WorkflowType::InvoiceSync,
            &json!({ "enabled": "yes" }),
            &current,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("'enabled'"), "{e}");
        let e = parse_settings(
            WorkflowType::InvoiceSync,
            &json!({ "auto": true }),
            &current,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("'auto'"), "{e}");
    }
}
