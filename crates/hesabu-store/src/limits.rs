//! Size limits on what a person (or a file they import) may hand Hesabu. One table, so every
//! service refuses the same way and docs/limits.md can list them: text is refused, never
//! truncated silently; what is written into a history or the audit log about a refused input is
//! shortened with [`excerpt`], so a 50-MB cell never grows the company file.

use crate::error::{Error, Result};

/// A short name: a person, a department, a budget, a customer, an item, a policy, a rule table.
pub const NAME: usize = 200;
/// A title: a document's, a workflow's.
pub const TITLE: usize = 300;
/// A category, a code, a cost centre, an account: short labels.
pub const LABEL: usize = 100;
/// Free text a person writes: a reason, a comment, notes, a description.
pub const NOTE: usize = 4_000;
/// One cell of an imported CSV or XLSX file.
pub const CELL: usize = 4_000;
/// Rows of data in one imported file (the largest tested import has 200,000).
pub const IMPORT_ROWS: usize = 1_000_000;
/// Bytes of one imported file (CSV, XLSX, JSON).
pub const IMPORT_BYTES: usize = 64 * 1024 * 1024;
/// Bytes of one JSON definition: a policy, a rule table, a workflow configuration.
pub const DEFINITION_BYTES: usize = 1024 * 1024;
/// Characters of an input kept in an error message or a history row when it is refused.
pub const EXCERPT: usize = 80;

/// Refuses `text` longer than `max` characters, naming the field: "The title is 5,000
/// characters long; at most 300 are allowed. Shorten it."
pub fn check_text(what: &str, text: &str, max: usize) -> Result<()> {
    // Counting characters of a 50-MB string is fast; the byte length bounds it first.
    if text.len() > max && text.chars().count() > max {
        return Err(Error::invalid(format!(
            "The {what} is {} characters long; at most {max} are allowed. Shorten it.",
            group(text.chars().count())
        )));
    }
    Ok(())
}

/// Like [`check_text`] for an optional field.
pub fn check_optional_text(what: &str, text: Option<&str>, max: usize) -> Result<()> {
    text.map_or(Ok(()), |t| check_text(what, t, max))
}

/// Refuses a file or definition of more than `max` bytes, naming it.
pub fn check_bytes(what: &str, len: usize, max: usize) -> Result<()> {
    if len > max {
        return Err(Error::invalid(format!(
            "The {what} is {} bytes; at most {} are allowed. Split it into smaller files.",
            group(len),
            group(max)
        )));
    }
    Ok(())
}

/// The first [`EXCERPT`] characters of `text`, with "… (N characters)" when cut: what may be
/// quoted back to the user or stored about an input that was refused.
pub fn excerpt(text: &str) -> String {
    shorten(text, EXCERPT)
}

/// The first `max` characters of `text`, marked when cut.
pub fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_owned(),
        Some((cut, _)) => format!(
            "{}… ({} characters)",
            &text[..cut],
            group(text.chars().count())
        ),
    }
}

fn group(n: usize) -> String {
    crate::money::group_thousands(&n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_refused_with_its_length_and_the_limit() {
        assert!(check_text("title", &"x".repeat(TITLE), TITLE).is_ok());
        // Characters, not bytes: 300 Swahili/accented characters are fine.
        assert!(check_text("title", &"é".repeat(TITLE), TITLE).is_ok());
        let err = check_text("title", &"x".repeat(5_000), TITLE)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "The title is 5,000 characters long; at most 300 are allowed. Shorten it."
        );
        assert!(check_optional_text("note", None, NOTE).is_ok());
        let err = check_bytes("policy file", 2_000_000, DEFINITION_BYTES)
            .unwrap_err()
            .to_string();
        assert!(err.contains("2,000,000 bytes"), "{err}");
    }

    #[test]
    fn excerpts_are_short_whatever_the_input() {
        assert_eq!(excerpt("short"), "short");
        let huge = "a".repeat(50 * 1024 * 1024);
        let cut = excerpt(&huge);
        assert!(cut.len() < 200, "{}", cut.len());
        assert!(cut.ends_with("(52,428,800 characters)"), "{cut}");
        // Never cuts inside a character.
        assert!(shorten(&"ß".repeat(100), 3).starts_with("ßßß…"));
    }
}
