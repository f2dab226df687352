//! [`Record`]: an entity's typed projection together with the JSON text QuickBooks sent.
//!
//! QuickBooks adds fields without bumping the minor version (spec §2.2), and this crate types
//! only the fields Hesabu uses. Keeping the raw text beside the projection (store both) means a
//! field nobody typed yet is never lost.

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

/// One entity as received: `entity` is the typed projection, `raw` the object's exact JSON text.
#[derive(Debug, Clone)]
pub struct Record<T> {
    pub entity: T,
    pub raw: String,
}

impl<T: DeserializeOwned> Record<T> {
    /// Reads one entity object from its JSON text.
    pub fn from_json(raw: &str) -> Result<Self, serde_json::Error> {
        Ok(Record {
            entity: serde_json::from_str(raw)?,
            raw: raw.to_owned(),
        })
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Record<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        Record::from_json(raw.get()).map_err(D::Error::custom)
    }
}
