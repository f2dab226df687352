//! The query language's statements (spec §3.2), built so that values are always quoted and
//! escaped and field names are checked.
//!
//! `SELECT * FROM Invoice WHERE MetaData.LastUpdatedTime >= '2025-05-01T00:00:00+03:00'
//! ORDERBY MetaData.LastUpdatedTime STARTPOSITION 1 MAXRESULTS 1000`

use chrono::{DateTime, FixedOffset, SecondsFormat};

use crate::entities::Entity;
use crate::error::Error;

/// The most rows one query page may return.
pub const MAX_RESULTS: u32 = 1000;

/// A `SELECT * FROM <Entity>` statement under construction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    entity: String,
    /// `(field, operator, quoted value)`.
    conditions: Vec<(String, &'static str, String)>,
    order_by: Option<String>,
    start_position: u32,
    max_results: u32,
}

impl Query {
    /// All rows of `entity` (`"Invoice"`), 1000 per page.
    pub fn select_all(entity: &str) -> Self {
        Query {
            entity: entity.to_owned(),
            conditions: Vec::new(),
            order_by: None,
            start_position: 1,
            max_results: MAX_RESULTS,
        }
    }

    /// All rows of `T`.
    pub fn of<T: Entity>() -> Self {
        Query::select_all(T::NAME)
    }

    /// Rows changed at or after `since` (`MetaData.LastUpdatedTime >= '…'`), ordered by that
    /// time: the initial load and the fallback for a truncated CDC window (spec §3.2–§3.3).
    /// `>=` rather than `>` so that rows sharing the boundary second are seen again, not lost;
    /// the caller's upsert makes the repeat harmless.
    pub fn updated_since(mut self, since: DateTime<FixedOffset>) -> Self {
        self.conditions.push((
            "MetaData.LastUpdatedTime".to_owned(),
            ">=",
            quote(&since.to_rfc3339_opts(SecondsFormat::Secs, false)),
        ));
        self.order_by_last_updated()
    }

    /// `field = 'value'`, the value quoted and escaped.
    pub fn where_eq(mut self, field: &str, value: &str) -> Self {
        self.conditions.push((field.to_owned(), "=", quote(value)));
        self
    }

    /// `field IN ('a', 'b')`, each value quoted and escaped (one batch item reads several
    /// transactions by id this way). An empty list matches nothing: `IN ('')`.
    pub fn where_in<S: AsRef<str>>(mut self, field: &str, values: &[S]) -> Self {
        let list = if values.is_empty() {
            quote("")
        } else {
            values
                .iter()
                .map(|v| quote(v.as_ref()))
                .collect::<Vec<_>>()
                .join(", ")
        };
        self.conditions
            .push((field.to_owned(), "IN", format!("({list})")));
        self
    }

    /// `ORDERBY MetaData.LastUpdatedTime` (offset paging is only stable in a fixed order).
    pub fn order_by_last_updated(mut self) -> Self {
        self.order_by = Some("MetaData.LastUpdatedTime".to_owned());
        self
    }

    /// The 1-based position of the page's first row.
    pub fn start_position(mut self, position: u32) -> Self {
        self.start_position = position.max(1);
        self
    }

    /// Rows per page, at most [`MAX_RESULTS`].
    pub fn max_results(mut self, count: u32) -> Self {
        self.max_results = count.clamp(1, MAX_RESULTS);
        self
    }

    pub fn entity(&self) -> &str {
        &self.entity
    }

    pub fn page_size(&self) -> u32 {
        self.max_results
    }

    pub fn position(&self) -> u32 {
        self.start_position
    }

    /// The statement's text. Fails on an entity or field name that is not a plain name.
    pub fn statement(&self) -> Result<String, Error> {
        check_name("entity", &self.entity)?;
        let mut text = format!("SELECT * FROM {}", self.entity);
        for (i, (field, op, value)) in self.conditions.iter().enumerate() {
            check_name("field", field)?;
            text.push_str(if i == 0 { " WHERE " } else { " AND " });
            text.push_str(&format!("{field} {op} {value}"));
        }
        if let Some(field) = &self.order_by {
            check_name("field", field)?;
            text.push_str(&format!(" ORDERBY {field}"));
        }
        text.push_str(&format!(
            " STARTPOSITION {} MAXRESULTS {}",
            self.start_position, self.max_results
        ));
        Ok(text)
    }
}

/// A string literal: in single quotes, with `\` and `'` escaped by a backslash (spec §3.2).
pub fn quote(value: &str) -> String {
    let mut text = String::with_capacity(value.len() + 2);
    text.push('\'');
    for c in value.chars() {
        if c == '\'' || c == '\\' {
            text.push('\\');
        }
        text.push(c);
    }
    text.push('\'');
    text
}

fn check_name(what: &str, name: &str) -> Result<(), Error> {
    let ok = !name.is_empty()
        && name
            .split('.')
            .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric()));
    if ok {
        Ok(())
    } else {
        Err(Error::Config(format!(
            "{name:?} is not a QuickBooks {what} name (letters and digits, dot-separated)"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entities::Invoice;

    #[test]
    fn statements_page_by_last_updated_time() {
        let since = DateTime::parse_from_rfc3339("2025-05-01T00:00:00+03:00").unwrap();
        let q = Query::of::<Invoice>()
            .updated_since(since)
            .start_position(1001);
        assert_eq!(
            q.statement().unwrap(),
            "SELECT * FROM Invoice WHERE MetaData.LastUpdatedTime >= \
             '2025-05-01T00:00:00+03:00' ORDERBY MetaData.LastUpdatedTime STARTPOSITION 1001 \
             MAXRESULTS 1000"
        );
        assert_eq!(
            Query::select_all("Item").max_results(5000).page_size(),
            1000
        );
    }

    #[test]
    fn values_are_quoted_and_escaped() {
        assert_eq!(quote("Amy's Bird"), r"'Amy\'s Bird'");
        assert_eq!(quote(r"a\b"), r"'a\\b'");
        assert_eq!(quote(r"x\' OR 1=1"), r"'x\\\' OR 1=1'");
        let q = Query::select_all("Customer").where_eq("DisplayName", "Mama Njeri's Kiosk");
        assert_eq!(
            q.statement().unwrap(),
            r"SELECT * FROM Customer WHERE DisplayName = 'Mama Njeri\'s Kiosk' STARTPOSITION 1 MAXRESULTS 1000"
        );
    }

    #[test]
    fn in_lists_are_quoted() {
        let q = Query::of::<Invoice>().where_in("Id", &["12", "1'3"]);
        assert_eq!(
            q.statement().unwrap(),
            r"SELECT * FROM Invoice WHERE Id IN ('12', '1\'3') STARTPOSITION 1 MAXRESULTS 1000"
        );
    }

    #[test]
    fn names_are_checked() {
        assert!(Query::select_all("Invoice; DROP").statement().is_err());
        assert!(
            Query::select_all("Invoice")
                .where_eq("Id = '1' OR Id", "2")
                .statement()
                .is_err()
        );
        assert!(
            Query::select_all("Attachable")
                .where_eq("AttachableRef.EntityRef.Type", "Invoice")
                .statement()
                .is_ok()
        );
    }
}
