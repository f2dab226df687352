//! QuickBooks' error bodies, read into one [`Fault`] whatever their shape (spec §2.3, §6.2):
//!
//! - the usual `{"Fault": {"Error": [{"Message", "Detail", "code", "element"}], "type"}}`, on a
//!   4xx/5xx and sometimes inside a 200;
//! - the 401 body's lower-case shape `{"fault": {"error": [{"message", "detail", "code"}],
//!   "type": "AUTHENTICATION"}, "time": <epoch ms>}`;
//! - the throttle body returned as XML even when JSON was asked for
//!   (`<Fault type="SERVICE"><Error code="3001"><Message>…`).
//!
//! Keys are matched without regard to case; `code` may be a string or a number.

use serde_json::Value;

/// QuickBooks' own description of a failure: its words are shown to the user verbatim.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fault {
    /// `ValidationFault`, `SystemFault`, `AuthenticationFault`, `AUTHENTICATION`, `SERVICE`, …
    pub kind: Option<String>,
    pub errors: Vec<FaultError>,
}

/// One `Error` entry of a [`Fault`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultError {
    /// `"6240"`, `"5010"`, `"3200"`: a string, compared without leading zeros.
    pub code: String,
    pub message: String,
    pub detail: Option<String>,
    /// The field the error is about, when QuickBooks names one.
    pub element: Option<String>,
}

impl Fault {
    /// The Fault carried by a whole response body (JSON or XML), if there is one.
    pub fn from_body(body: &str) -> Option<Fault> {
        let trimmed = body.trim_start();
        if trimmed.starts_with('<') {
            return from_xml(trimmed);
        }
        let value: Value = serde_json::from_str(trimmed).ok()?;
        let fault = get_ci(&value, "Fault")?;
        Fault::from_value(fault)
    }

    /// Reads a Fault object itself (`{"Error": [...], "type": ...}`), as found in a response
    /// body, a batch item or an upload's `AttachableResponse` element.
    pub fn from_value(fault: &Value) -> Option<Fault> {
        if !fault.is_object() {
            return None;
        }
        let errors = match get_ci(fault, "Error") {
            Some(Value::Array(items)) => items.iter().filter_map(error_from_value).collect(),
            Some(item @ Value::Object(_)) => error_from_value(item).into_iter().collect(),
            _ => Vec::new(),
        };
        Some(Fault {
            kind: get_ci(fault, "type").and_then(text),
            errors,
        })
    }

    /// Whether any error has this code (`"5010"` matches `"005010"`).
    pub fn has_code(&self, code: &str) -> bool {
        let want = code.trim_start_matches('0');
        self.errors
            .iter()
            .any(|e| e.code.trim().trim_start_matches('0') == want)
    }

    /// The first error's code.
    pub fn code(&self) -> Option<&str> {
        self.errors.first().map(|e| e.code.as_str())
    }

    /// A throttle (code 3001, `ThrottleExceeded`), whatever the HTTP status.
    pub fn is_throttle(&self) -> bool {
        self.has_code("3001")
            || self
                .errors
                .iter()
                .any(|e| e.message.contains("ThrottleExceeded"))
    }

    /// QuickBooks' words: each error's message, detail and code, verbatim.
    pub fn summary(&self) -> String {
        if self.errors.is_empty() {
            return format!(
                "a {} fault without details",
                self.kind.as_deref().unwrap_or("QuickBooks")
            );
        }
        self.errors
            .iter()
            .map(|e| {
                let mut text = e.message.trim().to_owned();
                if let Some(detail) = e.detail.as_deref().map(str::trim)
                    && !detail.is_empty()
                    && detail != text
                {
                    if text.is_empty() {
                        text = detail.to_owned();
                    } else {
                        text.push_str(" — ");
                        text.push_str(detail);
                    }
                }
                if let Some(element) = e.element.as_deref().map(str::trim)
                    && !element.is_empty()
                {
                    text.push_str(&format!(" (field {element})"));
                }
                if !e.code.is_empty() {
                    text.push_str(&format!(" [code {}]", e.code));
                }
                text
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Whether a non-success body is a throttle, even when it is not JSON (spec §6.2).
pub(crate) fn looks_throttled(body: &str) -> bool {
    body.contains("ThrottleExceeded") || body.contains("003001")
}

fn error_from_value(item: &Value) -> Option<FaultError> {
    if !item.is_object() {
        return None;
    }
    Some(FaultError {
        code: get_ci(item, "code").and_then(text).unwrap_or_default(),
        message: get_ci(item, "Message").and_then(text).unwrap_or_default(),
        detail: get_ci(item, "Detail").and_then(text),
        element: get_ci(item, "element").and_then(text),
    })
}

/// A key of a JSON object, matched without regard to case.
pub(crate) fn get_ci<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    let object = value.as_object()?;
    object.get(key).or_else(|| {
        object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The `<Fault>` of an XML body: enough of XML for QuickBooks' fault documents.
fn from_xml(body: &str) -> Option<Fault> {
    let fault_at = find_tag(body, "Fault")?;
    let fault_open = &body[fault_at..];
    let open_end = fault_open.find('>')?;
    let kind = attribute(&fault_open[..open_end], "type");
    let mut errors = Vec::new();
    let mut rest = &fault_open[open_end..];
    while let Some(at) = find_tag(rest, "Error") {
        let element = &rest[at..];
        let head_end = element.find('>').unwrap_or(element.len());
        let head = &element[..head_end];
        let end = element
            .find("</Error>")
            .map_or(element.len(), |e| e + "</Error>".len());
        let inner = &element[head_end.min(end)..end];
        errors.push(FaultError {
            code: attribute(head, "code").unwrap_or_default(),
            message: child_text(inner, "Message").unwrap_or_default(),
            detail: child_text(inner, "Detail"),
            element: attribute(head, "element"),
        });
        rest = &element[end..];
    }
    Some(Fault { kind, errors })
}

/// Where `<name` (or `<prefix:name`) opens, followed by a space, `>` or `/`.
fn find_tag(text: &str, name: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(offset) = text[from..].find('<') {
        let at = from + offset;
        let after = &text[at + 1..];
        let local = after
            .split(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .next()
            .unwrap_or("");
        let local = local.rsplit(':').next().unwrap_or(local);
        if local == name {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

fn attribute(head: &str, name: &str) -> Option<String> {
    for quote in ['"', '\''] {
        let needle = format!(" {name}={quote}");
        if let Some(at) = head.find(&needle) {
            let value = &head[at + needle.len()..];
            let end = value.find(quote)?;
            return Some(unescape(&value[..end]));
        }
    }
    None
}

fn child_text(inner: &str, name: &str) -> Option<String> {
    let at = find_tag(inner, name)?;
    let element = &inner[at..];
    let start = element.find('>')? + 1;
    let end = element[start..].find("</")? + start;
    Some(unescape(element[start..end].trim()))
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_xml_throttle_body_is_read() {
        let body = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="2016-01-28T09:31:48.148-08:00">
  <Fault type="SERVICE">
    <Error code="3001" element="">
      <Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message>
      <Detail>The request limit was reached. Try again later</Detail>
    </Error>
  </Fault>
</IntuitResponse>"#;
        let fault = Fault::from_body(body).unwrap();
        assert_eq!(fault.kind.as_deref(), Some("SERVICE"));
        assert_eq!(fault.errors.len(), 1);
        assert_eq!(fault.code(), Some("3001"));
        assert!(fault.is_throttle());
        assert_eq!(
            fault.errors[0].detail.as_deref(),
            Some("The request limit was reached. Try again later")
        );
    }

    #[test]
    fn codes_compare_without_leading_zeros_and_numbers_are_text() {
        let fault = Fault::from_body(
            r#"{"Fault":{"Error":[{"Message":"Stale Object Error","Detail":"d","code":5010}],"type":"ValidationFault"}}"#,
        )
        .unwrap();
        assert!(fault.has_code("5010"));
        assert!(fault.has_code("005010"));
        assert!(!fault.has_code("6240"));
        assert_eq!(fault.summary(), "Stale Object Error — d [code 5010]");
    }

    #[test]
    fn bodies_without_a_fault_have_none() {
        assert_eq!(Fault::from_body(r#"{"Invoice":{"Id":"1"}}"#), None);
        assert_eq!(Fault::from_body("<html>502 Bad Gateway</html>"), None);
        assert_eq!(Fault::from_body("not json"), None);
    }
}
