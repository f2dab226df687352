//! The execution log as an export table (`hesabu export executions`, the Export button of the
//! Workflows page's execution log): the columns the page shows, in the page's words. Writing
//! the table to CSV or XLSX is `hesabu_store::export`'s.
//!
//! The words mirror the page's (`ui/src/lib/workflows.ts`: `WORKFLOW_LABELS`,
//! `executionStatusLabel`, `entityTypeLabel`); a change to one is a change to both.

use super::{ExecutionFilter, ExecutionView, WorkflowType, executions};
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::Result;
use hesabu_store::export::{Cell, Table, local_time};

/// The columns, in order. One row per attempt; an execution that sent nothing (skipped, held,
/// waiting in the queue) is one row with no attempt number.
pub const COLUMNS: [&str; 9] = [
    "When",
    "Workflow",
    "Subject",
    "Number or name",
    "Attempt",
    "Started by",
    "Outcome",
    "Duration (ms)",
    "Error",
];

/// Every execution `filter` matches (its `limit` is the page's and is ignored), newest first,
/// as a table; times in the company's zone. Needs what `workflows::executions` needs.
pub async fn table(
    file: &CompanyFile,
    session: &Session,
    filter: &ExecutionFilter,
    zone: chrono_tz::Tz,
) -> Result<Table> {
    let every = ExecutionFilter {
        // The largest LIMIT SQLite takes: no limit.
        limit: Some(u64::try_from(i64::MAX).unwrap_or(u64::MAX)),
        ..filter.clone()
    };
    let views = executions(file, session, &every).await?;
    Ok(Table {
        headers: COLUMNS.iter().map(|c| (*c).to_owned()).collect(),
        rows: views.into_iter().flat_map(|v| rows(v, zone)).collect(),
    })
}

/// The execution's rows: one per attempt, newest first like the log; one for an execution
/// that sent nothing.
fn rows(v: ExecutionView, zone: chrono_tz::Tz) -> Vec<Vec<Cell>> {
    let workflow = v.workflow_type.parse::<WorkflowType>().map_or_else(
        |_| v.workflow_type.clone(),
        |w| workflow_label(w).to_owned(),
    );
    let subject = entity_type_label(&v.entity_type);
    let name = v
        .entity_label
        .clone()
        .unwrap_or_else(|| v.entity_id.clone());
    if v.attempt_log.is_empty() {
        return vec![vec![
            Cell::Text(local_time(&v.created_at, zone)),
            Cell::Text(workflow),
            Cell::Text(subject),
            Cell::Text(name),
            Cell::Empty,
            Cell::Text(trigger_label(&v.trigger).to_owned()),
            Cell::Text(status_label(&v).to_owned()),
            v.duration_ms.map(rust_decimal::Decimal::from).into(),
            v.error_message.into(),
        ]];
    }
    v.attempt_log
        .into_iter()
        .rev()
        .map(|a| {
            vec![
                Cell::Text(local_time(&a.started_at, zone)),
                Cell::Text(workflow.clone()),
                Cell::Text(subject.clone()),
                Cell::Text(name.clone()),
                Cell::Number(a.number.into()),
                Cell::Text(trigger_label(&a.started_by).to_owned()),
                Cell::Text(outcome_label(&a.outcome).to_owned()),
                a.duration_ms.map(rust_decimal::Decimal::from).into(),
                a.error_message.into(),
            ]
        })
        .collect()
}

/// How one attempt ended, as the page says it.
pub fn outcome_label(outcome: &str) -> &'static str {
    match outcome {
        "sending" => "Sending",
        "sent" => "Sent",
        "will_retry" => "Failed, will retry",
        "failed" => "Failed",
        "interrupted" => "Interrupted (app stopped)",
        _ => "Unknown",
    }
}

/// What each workflow sends, as the page names it.
pub fn workflow_label(workflow: WorkflowType) -> &'static str {
    match workflow {
        WorkflowType::InvoiceSync => "Invoices",
        WorkflowType::CustomerSync => "Customers",
        WorkflowType::ItemSync => "Items",
        WorkflowType::CreditNoteSync => "Credit notes",
        WorkflowType::SalesSync => "Sales",
    }
}

/// What an execution is doing, truthfully: a pending one with an outbox row waits to be sent;
/// one without is held for a person.
pub fn status_label(v: &ExecutionView) -> &'static str {
    match v.status.as_str() {
        "pending" if v.outbox_id.is_some() => "Waiting to send",
        "pending" if v.error_kind.as_deref() == Some("held") => "Held for tax review",
        "pending" if v.error_kind.as_deref() == Some("manual") => "Held: run it by hand",
        "pending" => "Held",
        "running"
            if v.error_message
                .as_deref()
                .is_some_and(|m| m.starts_with("retrying")) =>
        {
            "Retrying"
        }
        "running" => "Sending",
        "completed" => "Sent",
        "failed" => "Failed",
        "skipped" => "Skipped",
        _ => "Unknown",
    }
}

fn trigger_label(trigger: &str) -> &'static str {
    match trigger {
        "event" => "Automatically",
        "manual" => "By hand",
        "retry" => "Retry by a person",
        "automatic" => "Automatic retry",
        _ => "Other",
    }
}

fn entity_type_label(entity_type: &str) -> String {
    let known = match entity_type {
        "invoice" | "sales_invoice" => Some("Invoice"),
        "credit_note" => Some("Credit note"),
        "sale" | "sales_receipt" => Some("Cash sale"),
        "customer" => Some("Customer"),
        "item" => Some("Item"),
        "document" => Some("Document"),
        _ => None,
    };
    known.map_or_else(
        || {
            let spaced = entity_type.replace('_', " ");
            let mut chars = spaced.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_uppercase().chain(chars).collect::<String>()
            })
        },
        str::to_owned,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflows::AttemptView;

    fn view(status: &str) -> ExecutionView {
        ExecutionView {
            id: "e".into(),
            workflow_type: "invoice_sync".into(),
            entity_type: "invoice".into(),
            entity_id: "id".into(),
            entity_label: None,
            entity_version: 1,
            trigger: "event".into(),
            event_id: None,
            outbox_id: None,
            status: status.into(),
            started_at: None,
            completed_at: None,
            duration_ms: None,
            attempts: 0,
            error_kind: None,
            error_message: None,
            result_ref: None,
            created_at: "2026-12-02T09:00:00.000Z".into(),
            updated_at: "2026-12-02T09:00:00.000Z".into(),
            attempt_log: Vec::new(),
        }
    }

    #[test]
    fn statuses_and_subjects_are_words() {
        let waiting = ExecutionView {
            outbox_id: Some("o".into()),
            ..view("pending")
        };
        assert_eq!(status_label(&waiting), "Waiting to send");
        let held = ExecutionView {
            error_kind: Some("held".into()),
            ..view("pending")
        };
        assert_eq!(status_label(&held), "Held for tax review");
        assert_eq!(status_label(&view("pending")), "Held");
        assert_eq!(status_label(&view("completed")), "Sent");
        assert_eq!(entity_type_label("credit_note"), "Credit note");
        assert_eq!(entity_type_label("purchase_order"), "Purchase order");
        let nairobi = hesabu_store::export::zone("Africa/Nairobi").unwrap();
        let cells = rows(view("skipped"), nairobi).remove(0);
        assert_eq!(cells[0], Cell::Text("2026-12-02 12:00".into()));
        assert_eq!(cells[1], Cell::Text("Invoices".into()));
        assert_eq!(cells[4], Cell::Empty);
        assert_eq!(cells[5], Cell::Text("Automatically".into()));
        assert_eq!(cells[6], Cell::Text("Skipped".into()));
    }

    #[test]
    fn one_row_per_attempt_newest_first() {
        let attempt = |number: i64, started_by: &str, outcome: &str, at: &str| AttemptView {
            number,
            started_by: started_by.into(),
            outcome: outcome.into(),
            started_at: at.into(),
            finished_at: Some(at.into()),
            duration_ms: Some(12),
            error_kind: None,
            error_message: (outcome != "sent").then(|| format!("try {number} failed")),
            result_ref: None,
        };
        let v = ExecutionView {
            attempt_log: vec![
                attempt(1, "event", "will_retry", "2026-12-02T09:00:00.000Z"),
                attempt(2, "automatic", "failed", "2026-12-02T09:01:00.000Z"),
                attempt(3, "retry", "sent", "2026-12-02T10:00:00.000Z"),
            ],
            ..view("completed")
        };
        let nairobi = hesabu_store::export::zone("Africa/Nairobi").unwrap();
        let table = rows(v, nairobi);
        assert_eq!(table.len(), 3);
        let column = |i: usize| table.iter().map(|r| r[i].clone()).collect::<Vec<_>>();
        assert_eq!(
            column(4),
            vec![
                Cell::Number(3.into()),
                Cell::Number(2.into()),
                Cell::Number(1.into())
            ]
        );
        assert_eq!(
            column(6),
            vec![
                Cell::Text("Sent".into()),
                Cell::Text("Failed".into()),
                Cell::Text("Failed, will retry".into())
            ]
        );
        assert_eq!(table[0][5], Cell::Text("Retry by a person".into()));
        assert_eq!(table[1][5], Cell::Text("Automatic retry".into()));
        assert_eq!(table[2][0], Cell::Text("2026-12-02 12:00".into()));
    }
}
