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

/// The columns, in order.
pub const COLUMNS: [&str; 9] = [
    "When",
    "Workflow",
    "Subject",
    "Number or name",
    "Status",
    "Run by",
    "Attempts",
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
        rows: views.into_iter().map(|v| row(v, zone)).collect(),
    })
}

fn row(v: ExecutionView, zone: chrono_tz::Tz) -> Vec<Cell> {
    let status = status_label(&v);
    let workflow = v.workflow_type.parse::<WorkflowType>().map_or_else(
        |_| v.workflow_type.clone(),
        |w| workflow_label(w).to_owned(),
    );
    vec![
        Cell::Text(local_time(&v.created_at, zone)),
        Cell::Text(workflow),
        Cell::Text(entity_type_label(&v.entity_type)),
        Cell::Text(v.entity_label.unwrap_or(v.entity_id)),
        Cell::Text(status.to_owned()),
        Cell::Text(trigger_label(&v.trigger).to_owned()),
        Cell::Number(v.attempts.into()),
        v.duration_ms.map(rust_decimal::Decimal::from).into(),
        v.error_message.into(),
    ]
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
        "retry" => "Retry",
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
        let cells = row(view("failed"), nairobi);
        assert_eq!(cells[0], Cell::Text("2026-12-02 12:00".into()));
        assert_eq!(cells[1], Cell::Text("Invoices".into()));
        assert_eq!(cells[4], Cell::Text("Failed".into()));
        assert_eq!(cells[5], Cell::Text("Automatically".into()));
    }
}
