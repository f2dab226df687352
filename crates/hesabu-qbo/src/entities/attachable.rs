//! [`Attachable`]: a file (the ETR receipt PDF) linked to transactions (spec §5.1).

use serde::{Deserialize, Serialize};

use super::{MetaData, Ref, impl_entity};

/// An attachment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Attachable {
    pub id: Option<String>,
    pub sync_token: Option<String>,
    pub meta_data: Option<MetaData>,
    /// At most 1000 characters. Hesabu's names are deterministic, for the dedupe check.
    pub file_name: Option<String>,
    pub note: Option<String>,
    /// `Document`, `Image`, `Receipt`, `Other`, …
    pub category: Option<String>,
    pub content_type: Option<String>,
    #[serde(with = "crate::amount::count")]
    pub size: Option<u64>,
    pub tag: Option<String>,
    pub attachable_ref: Vec<AttachableRef>,
    pub file_access_uri: Option<String>,
    /// A presigned URL valid for about 15 minutes.
    pub temp_download_uri: Option<String>,
    pub thumbnail_file_access_uri: Option<String>,
    #[serde(rename = "domain")]
    pub domain: Option<String>,
    #[serde(rename = "sparse")]
    pub sparse: Option<bool>,
}
impl_entity!(Attachable, "Attachable", "attachable");

impl Attachable {
    /// Whether this attachment is linked to the entity `entity_type` (`"Invoice"`) `id`.
    pub fn is_linked_to(&self, entity_type: &str, id: &str) -> bool {
        self.attachable_ref.iter().any(|r| {
            r.entity_ref.value == id
                && r.entity_ref
                    .kind
                    .as_deref()
                    .is_some_and(|k| k.eq_ignore_ascii_case(entity_type))
        })
    }
}

/// A link from an attachment to an entity; `include_on_send` makes QuickBooks attach the file
/// when the transaction is emailed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct AttachableRef {
    pub entity_ref: Ref,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include_on_send: Option<bool>,
}
