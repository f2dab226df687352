//! How results are printed: one JSON value with `--json`, aligned text otherwise.

use serde::Serialize;
use serde_json::{Value, json};

use hesabu_core::company::CompanyInfo;

/// What the process prints and how it exits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    pub(crate) fn failure(json: bool, code: i32, kind: &str, message: &str) -> Self {
        let stderr = if json {
            format!(
                "{}\n",
                json!({ "error": { "kind": kind, "message": message } })
            )
        } else {
            format!("error: {message}\n")
        };
        Outcome {
            code,
            stdout: String::new(),
            stderr,
        }
    }

    /// The stdout parsed as JSON (tests).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.stdout))
    }

    /// The `{"error": ...}` object from stderr (tests).
    pub fn error_json(&self) -> Value {
        serde_json::from_str(&self.stderr)
            .unwrap_or_else(|e| panic!("stderr is not JSON ({e}): {}", self.stderr))
    }
}

/// A command's result, ready to print either way.
pub(crate) struct Reply {
    json: Value,
    text: String,
    failure: Option<(i32, String, String)>,
    /// Set by an explicit `--format`: print this way whatever `--json` says.
    forced_json: Option<bool>,
}

impl Reply {
    pub(crate) fn entity(value: &impl Serialize, text: String) -> Self {
        Reply {
            json: to_json(value),
            text,
            failure: None,
            forced_json: None,
        }
    }

    /// Prints as JSON (`true`) or as the text (`false`, e.g. CSV) regardless of `--json`.
    pub(crate) fn forced(mut self, json: bool) -> Self {
        self.forced_json = Some(json);
        self
    }

    pub(crate) fn list<T: Serialize>(items: &[T], text: String) -> Self {
        Reply {
            json: to_json(&items),
            text,
            failure: None,
            forced_json: None,
        }
    }

    /// A result that is still printed but makes the command fail (e.g. a broken audit chain:
    /// the report is the output, the exit code says it is bad).
    pub(crate) fn with_failure(mut self, code: i32, kind: &str, message: &str) -> Self {
        self.failure = Some((code, kind.into(), message.into()));
        self
    }

    pub(crate) fn into_outcome(self, json: bool) -> Outcome {
        let json = self.forced_json.unwrap_or(json);
        let stdout = if json {
            format!("{}\n", self.json)
        } else {
            self.text
        };
        match self.failure {
            None => Outcome {
                code: 0,
                stdout,
                stderr: String::new(),
            },
            Some((code, kind, message)) => {
                let failed = Outcome::failure(json, code, &kind, &message);
                Outcome {
                    code,
                    stdout,
                    stderr: failed.stderr,
                }
            }
        }
    }
}

fn to_json(value: &impl Serialize) -> Value {
    serde_json::to_value(value).unwrap_or_else(|e| json!({ "serialisation_error": e.to_string() }))
}

/// Left-aligned columns, two spaces apart.
pub(crate) fn table(headers: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<w$}", w = widths[i]))
            .collect();
        format!("{}\n", padded.join("  ").trim_end())
    };
    let mut out = line(headers.iter().map(|h| (*h).to_owned()).collect());
    for row in rows {
        out.push_str(&line(row));
    }
    out
}

pub(crate) fn company_text(c: &CompanyInfo) -> String {
    let months = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let month = months
        .get(usize::from(c.fiscal_year_start_month).saturating_sub(1))
        .unwrap_or(&"?");
    format!(
        "Legal name:        {}\nTrading name:      {}\nKRA PIN:           {}\nBranch:            {}\n\
         Address:           {}\nBase currency:     {}\nFiscal year from:  {month}\nTime zone:         {}\n",
        c.legal_name,
        c.trading_name.as_deref().unwrap_or("—"),
        c.kra_pin,
        c.branch_id,
        c.address.as_deref().unwrap_or("—"),
        c.base_currency,
        c.time_zone
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_columns() {
        let t = table(&["A", "BB"], vec![vec!["long".into(), "x".into()]]);
        assert_eq!(t, "A     BB\nlong  x\n");
    }

    #[test]
    fn failures_are_json_objects_with_kind_and_message() {
        let o = Outcome::failure(true, 3, "auth_failed", "Wrong password");
        assert_eq!(o.error_json()["error"]["kind"], "auth_failed");
        assert_eq!(o.code, 3);
    }
}
