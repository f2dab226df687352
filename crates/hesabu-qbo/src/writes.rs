//! What writes carry: the caller's [`RequestId`], the [`SalesTxnPatch`] of a write-back, the
//! [`Upload`] of an attachment, and the sparse-update body.

use serde::Serialize;
use serde::de::IgnoredAny;

use crate::entities::{AttachableRef, CustomField, Ref, TextValue};
use crate::error::Error;

/// The idempotency key of one logical write (spec §7): generated once by the caller, persisted
/// (in the outbox row) before the first attempt, and reused on every retry — transport errors,
/// 5xx, throttles, the 401 refresh replay. QuickBooks then replays the original answer instead
/// of writing twice. Take a new one only after re-reading on 5010.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RequestId(String);

impl RequestId {
    /// At most 50 characters (QuickBooks' limit), printable ASCII without spaces (a UUID is
    /// fine).
    pub fn new(id: impl Into<String>) -> Result<Self, Error> {
        let id = id.into();
        if id.is_empty() || id.len() > 50 || !id.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::Config(format!(
                "{id:?} cannot be a QuickBooks requestid: use 1 to 50 printable characters \
                 without spaces (a UUID)"
            )));
        }
        Ok(RequestId(id))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The fields an ETR write-back changes on an invoice, credit memo or sales receipt (spec
/// §2.12, §4.1). Never `Line`: a sparse update replaces arrays wholesale. Send every existing
/// `CustomField` back with only ours changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SalesTxnPatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private_note: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_field: Option<Vec<CustomField>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_memo: Option<TextValue>,
}

/// An attachment to upload (spec §5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    /// Deterministic (`ETR-1037-KRACU0100000001-123.pdf`), so a dedupe query can find it.
    pub file_name: String,
    /// `application/pdf`, `image/png`, …
    pub content_type: String,
    pub bytes: Vec<u8>,
    /// The entities it is attached to.
    pub links: Vec<AttachableRef>,
    pub note: Option<String>,
    /// `Document`, `Image`, …
    pub category: Option<String>,
}

impl Upload {
    /// A PDF attached to one transaction (`entity_type` `"Invoice"`), included when QuickBooks
    /// emails it.
    pub fn pdf_for(entity_type: &str, id: &str, file_name: &str, bytes: Vec<u8>) -> Self {
        Upload {
            file_name: file_name.to_owned(),
            content_type: "application/pdf".to_owned(),
            bytes,
            links: vec![AttachableRef {
                entity_ref: Ref {
                    value: id.to_owned(),
                    name: None,
                    kind: Some(entity_type.to_owned()),
                },
                include_on_send: Some(true),
            }],
            note: None,
            category: Some("Document".to_owned()),
        }
    }

    /// The `file_metadata_01` part: the Attachable to create.
    pub(crate) fn metadata_json(&self) -> Result<String, Error> {
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct Metadata<'a> {
            attachable_ref: &'a [AttachableRef],
            file_name: &'a str,
            content_type: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            category: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            note: Option<&'a str>,
        }
        serde_json::to_string(&Metadata {
            attachable_ref: &self.links,
            file_name: &self.file_name,
            content_type: &self.content_type,
            category: self.category.as_deref(),
            note: self.note.as_deref(),
        })
        .map_err(|e| Error::Config(format!("could not write the attachment's metadata: {e}")))
    }
}

/// `{"Id": …, "SyncToken": …, "sparse": true, <the fields>}`. The fields are written by their
/// own serializer and spliced in as text, so exact amounts stay exact.
pub(crate) fn sparse_body(
    id: &str,
    sync_token: &str,
    fields: &impl Serialize,
) -> Result<String, Error> {
    let fields = serde_json::to_string(fields)
        .map_err(|e| Error::Config(format!("could not write the update: {e}")))?;
    let keys: std::collections::BTreeMap<String, IgnoredAny> = serde_json::from_str(&fields)
        .map_err(|_| Error::Config("a sparse update's fields must be a JSON object".to_owned()))?;
    if let Some(key) = keys
        .keys()
        .find(|k| matches!(k.as_str(), "Id" | "SyncToken" | "sparse"))
    {
        return Err(Error::Config(format!(
            "a sparse update's fields may not set {key}: pass it as an argument"
        )));
    }
    let head = format!(
        "{{\"Id\":{},\"SyncToken\":{},\"sparse\":true",
        serde_json::Value::from(id),
        serde_json::Value::from(sync_token)
    );
    let inner = fields.trim();
    let inner = inner[1..inner.len() - 1].trim();
    Ok(if inner.is_empty() {
        format!("{head}}}")
    } else {
        format!("{head},{inner}}}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sparse_body_carries_id_token_flag_and_fields() {
        let patch = SalesTxnPatch {
            private_note: Some("[ETR] CU=KRACU0100000001/123".into()),
            custom_field: Some(vec![CustomField::string("1", "KRACU0100000001/123")]),
            customer_memo: None,
        };
        assert_eq!(
            sparse_body("130", "4", &patch).unwrap(),
            r#"{"Id":"130","SyncToken":"4","sparse":true,"PrivateNote":"[ETR] CU=KRACU0100000001/123","CustomField":[{"DefinitionId":"1","Type":"StringType","StringValue":"KRACU0100000001/123"}]}"#
        );
        assert_eq!(
            sparse_body("1", "0", &SalesTxnPatch::default()).unwrap(),
            r#"{"Id":"1","SyncToken":"0","sparse":true}"#
        );
        assert!(sparse_body("1", "0", &serde_json::json!({"SyncToken": "9"})).is_err());
        assert!(sparse_body("1", "0", &[1, 2]).is_err());
    }

    #[test]
    fn request_ids_follow_quickbooks_rules() {
        assert!(RequestId::new("7d3c1f0e-2b1a-4c8e-9f00-1234567890ab").is_ok());
        assert!(RequestId::new("").is_err());
        assert!(RequestId::new("x".repeat(51)).is_err());
        assert!(RequestId::new("has space").is_err());
    }

    #[test]
    fn upload_metadata_links_the_transaction() {
        let upload = Upload::pdf_for("Invoice", "130", "ETR-1037.pdf", vec![1, 2]);
        assert_eq!(
            upload.metadata_json().unwrap(),
            r#"{"AttachableRef":[{"EntityRef":{"value":"130","type":"Invoice"},"IncludeOnSend":true}],"FileName":"ETR-1037.pdf","ContentType":"application/pdf","Category":"Document"}"#
        );
    }
}
