//! Reading a JSON definition a person gives Hesabu: a rule table here, and (from the layers
//! above, which read theirs through this) an approval policy or a workflow settings file. Every
//! one is refused the same way, in words an accountant can act on:
//!
//! - a definition larger than [`limits::DEFINITION_BYTES`] is refused before it is parsed;
//! - a UTF-8 byte order mark (Notepad's "UTF-8 with BOM") is accepted and dropped;
//! - a file saved as UTF-16 (Notepad's "Unicode"), in another 8-bit encoding, or that is not
//!   text at all is named as such, with the fix;
//! - serde's errors never reach the user raw: the message says which definition, where (line
//!   and column), what was expected, and which document describes the format.
//!
//! Simplification: this lives in the rules layer, the lowest of the three that read
//! definitions, because the domain has no shared layer below them for it; policies
//! (`approvals::policy_service`) and workflows (`workflows::config`) call it from above.

use serde::de::DeserializeOwned;
use serde_json::error::Category;

use hesabu_store::error::{Error, Result};
use hesabu_store::limits;

/// A kind of definition: what messages call it, and the document that describes its format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Definition {
    /// "rule table", "policy", "workflow file".
    pub what: &'static str,
    /// "docs/rules.md".
    pub doc: &'static str,
}

/// A decision table (docs/rules.md).
pub const RULE_TABLE: Definition = Definition {
    what: "rule table",
    doc: "docs/rules.md",
};

/// How much of serde's own words a message keeps (it may quote the offending value).
const DETAIL: usize = 300;

impl Definition {
    /// "rule table file"; "workflow file" stays itself.
    fn file(self) -> String {
        if self.what.ends_with("file") {
            self.what.to_owned()
        } else {
            format!("{} file", self.what)
        }
    }

    /// The text of a definition file's bytes: refused when too large, in UTF-16, not text, or
    /// not UTF-8; a UTF-8 byte order mark is dropped.
    pub fn text_of(self, bytes: &[u8]) -> Result<String> {
        limits::check_bytes(&self.file(), bytes.len(), limits::DEFINITION_BYTES)?;
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") || looks_utf16(bytes) {
            return Err(Error::invalid(format!(
                "The {} is saved as UTF-16 (Notepad calls it \"Unicode\"): save it as UTF-8 \
                 (in Notepad: File, Save As, Encoding UTF-8) and try again.",
                self.file()
            )));
        }
        if bytes.iter().any(|b| is_binary(*b)) {
            return Err(self.not_text());
        }
        match std::str::from_utf8(bytes) {
            Ok(text) => Ok(text.to_owned()),
            Err(e) => Err(Error::invalid(format!(
                "The {} is not UTF-8 text (byte {} cannot be read; it may be saved as ANSI or \
                 Latin-1): save it as UTF-8 and try again.",
                self.file(),
                e.valid_up_to() + 1
            ))),
        }
    }

    fn not_text(self) -> Error {
        Error::invalid(format!(
            "The {} is not a text file: it holds binary data (a picture, a spreadsheet or a \
             word-processor document?). Save the definition as JSON text in UTF-8; see {} for \
             the format.",
            self.file(),
            self.doc
        ))
    }

    /// Parses a definition's text (a file's, or what a screen was given). The size is checked
    /// before anything is parsed.
    pub fn parse<T: DeserializeOwned>(self, text: &str) -> Result<T> {
        limits::check_bytes(self.what, text.len(), limits::DEFINITION_BYTES)?;
        let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
        if text.bytes().any(is_binary) {
            return Err(self.not_text());
        }
        if text.trim().is_empty() {
            return Err(Error::invalid(format!(
                "The {} is empty. See {} for the format.",
                self.what, self.doc
            )));
        }
        serde_json::from_str(text).map_err(|e| self.explain(&e))
    }

    /// serde's error in words: which definition, where, what was expected, which doc.
    fn explain(self, e: &serde_json::Error) -> Error {
        let (what, doc) = (self.what, self.doc);
        let text = e.to_string();
        let position = format!(" at line {} column {}", e.line(), e.column());
        let detail = limits::shorten(text.strip_suffix(&position).unwrap_or(&text), DETAIL);
        let place = if e.line() == 0 {
            String::new()
        } else {
            format!(" at line {}, column {}", e.line(), e.column())
        };
        Error::invalid(match e.classify() {
            Category::Syntax => {
                format!("The {what} is not valid JSON{place} ({detail}). See {doc} for the format.")
            }
            Category::Eof => format!(
                "The {what} ends too early{place} ({detail}): a bracket, brace or quote is not \
                 closed. See {doc} for the format."
            ),
            Category::Data => format!(
                "The {what} does not have the expected shape{place}: {detail}. See {doc} for the \
                 format."
            ),
            Category::Io => format!("The {what} could not be read ({detail})."),
        })
    }
}

/// Control bytes that never appear in a JSON text file (tab, line feed, form feed and carriage
/// return do).
fn is_binary(b: u8) -> bool {
    matches!(b, 0x00..=0x08 | 0x0E..=0x1F | 0x7F) || b == 0x0B
}

/// UTF-16 without a byte order mark: JSON is mostly ASCII, so every other byte is zero.
fn looks_utf16(bytes: &[u8]) -> bool {
    let sample = &bytes[..bytes.len().min(1024)];
    if sample.len() < 4 {
        return false;
    }
    let zeros = |parity: usize| {
        sample
            .iter()
            .skip(parity)
            .step_by(2)
            .filter(|b| **b == 0)
            .count()
    };
    let half = sample.len() / 2;
    let (even, odd) = (zeros(0), zeros(1));
    (odd * 10 >= half * 9 && even * 10 <= half) || (even * 10 >= half * 9 && odd * 10 <= half)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn encodings_are_named_and_a_bom_is_dropped() {
        let table = RULE_TABLE;
        assert_eq!(table.text_of(b"\xEF\xBB\xBF{}").unwrap(), "{}");
        let utf16: Vec<u8> = "{\"a\": 1}"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        for bytes in [utf16.clone(), [b"\xFF\xFE".as_slice(), &utf16].concat()] {
            let e = table.text_of(&bytes).unwrap_err().to_string();
            assert!(e.contains("rule table file is saved as UTF-16"), "{e}");
        }
        let e = table
            .text_of(b"\x89PNG\r\n\x1a\n\0\0")
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a text file"), "{e}");
        let e = table
            .text_of(b"{\"name\": \"Caf\xE9\"}")
            .unwrap_err()
            .to_string();
        assert!(e.contains("not UTF-8 text (byte 14"), "{e}");
        let e = table
            .parse::<Value>("{\"a\":\u{0}1}")
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a text file"), "{e}");
        assert!(table.parse::<Value>("\u{FEFF}{\"a\": 1}").is_ok());
    }

    #[test]
    fn serde_errors_become_sentences() {
        let e = RULE_TABLE
            .parse::<Value>("{\"a\": [1 2]}")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "The rule table is not valid JSON at line 1, column 10 (expected `,` or `]`). See \
             docs/rules.md for the format."
        );
        // A quoted value is cut short, so the message stays short.
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        enum Colour {
            Red,
        }
        let long = format!("\"{}\"", "b".repeat(10_000));
        let e = RULE_TABLE.parse::<Colour>(&long).unwrap_err().to_string();
        assert!(e.len() < 600 && e.contains("unknown variant"), "{e}");
    }
}
