//! `hesabu export LIST --format csv|xlsx --output FILE [filters]`: any list to a spreadsheet
//! file, through `hesabu_app::export` (the service behind the desktop's Export buttons). The
//! filters are each list's own (those of its page and of its `list` subcommand). `hesabu budget
//! export` stays: it writes the budget list with its settings in the import's column names.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use hesabu_app::export::{self, ExportRequest};
use hesabu_core::approvals::register::{RegisterQuery, RegisterStage};
use hesabu_core::sales::documents::SalesQuery;
use hesabu_core::sales::{SalesStatus, SalesType};
use hesabu_core::workflows::{ExecutionFilter, WorkflowType};
use hesabu_store::audit::AuditQuery;
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::export::Format;
use serde_json::Value;

use crate::output::Reply;
use crate::{Failure, bad_input};

/// Where an export goes.
#[derive(Debug, Args)]
pub(crate) struct Destination {
    /// csv or xlsx (default: from the output file's extension).
    #[arg(long)]
    format: Option<String>,
    /// The file to write (replaced if it exists; written whole or not at all).
    #[arg(long)]
    output: PathBuf,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ExportCommand {
    /// The budget report: utilisation and variance per budget you may see.
    Budgets {
        /// Only budgets within this period: FY2026, 2026-Q1 or 2026-03.
        #[arg(long)]
        period: Option<String>,
        /// Only this department's budgets (its name).
        #[arg(long)]
        department: Option<String>,
        #[command(flatten)]
        to: Destination,
    },
    /// One budget's ledger, oldest entry first (document numbers, people's names).
    BudgetLedger {
        /// The budget's id (`hesabu budget list`).
        budget: String,
        #[command(flatten)]
        to: Destination,
    },
    /// The document register: every document, approval and sales alike.
    Documents {
        /// purchase_order, expense_claim, …, invoice, credit_note or cash_sale.
        #[arg(long)]
        kind: Option<String>,
        /// draft, in_progress, done or stopped.
        #[arg(long)]
        stage: Option<String>,
        /// A department's name.
        #[arg(long)]
        department: Option<String>,
        /// Part of a number, a title or a customer's name.
        #[arg(long)]
        search: Option<String>,
        /// First day raised, yyyy-mm-dd.
        #[arg(long)]
        from: Option<String>,
        /// Last day raised, yyyy-mm-dd, inclusive.
        #[arg(long)]
        to: Option<String>,
        #[command(flatten)]
        dest: Destination,
    },
    /// The audit log, newest first.
    Audit {
        /// Part of the actor's email.
        #[arg(long)]
        user: Option<String>,
        /// Entries about this kind of thing (budget, approval_document, sales_document, …).
        #[arg(long)]
        entity: Option<String>,
        /// Entries about this one thing (its id).
        #[arg(long)]
        entity_id: Option<String>,
        /// Actions starting with this (budget., document.submit).
        #[arg(long)]
        action: Option<String>,
        /// First day, yyyy-mm-dd, in the company's time zone.
        #[arg(long)]
        from: Option<String>,
        /// Last day, yyyy-mm-dd, inclusive.
        #[arg(long)]
        to: Option<String>,
        #[command(flatten)]
        dest: Destination,
    },
    /// The workflow execution log, newest first.
    Executions {
        /// pending, running, completed, failed or skipped.
        #[arg(long)]
        status: Option<String>,
        /// A workflow type (invoice_sync, customer_sync, …).
        #[arg(long = "type")]
        workflow: Option<String>,
        /// One entity's executions (its id).
        #[arg(long)]
        entity: Option<String>,
        #[command(flatten)]
        to: Destination,
    },
    /// The sales list: invoices, credit notes and cash sales, newest first.
    Sales {
        /// invoice, credit-note or cash-sale.
        #[arg(long = "type")]
        doc_type: Option<String>,
        /// draft, pending_approval, issued, fiscalised or void.
        #[arg(long)]
        status: Option<String>,
        /// A number, customer name or PIN, or a total.
        #[arg(long)]
        search: Option<String>,
        /// First issue date, yyyy-mm-dd.
        #[arg(long)]
        from: Option<String>,
        /// Last issue date, yyyy-mm-dd, inclusive.
        #[arg(long)]
        to: Option<String>,
        #[command(flatten)]
        dest: Destination,
    },
}

pub(crate) async fn run(
    command: &ExportCommand,
    file: &CompanyFile,
    session: &Session,
) -> Result<Reply, Failure> {
    let (request, to) = request(command)?;
    let format = format_of(to)?;
    let result = export::export(file, session, &request, format, &to.output).await?;
    let text = format!(
        "Exported {} {} to {} ({}).\n",
        result.rows,
        if result.rows == 1 { "row" } else { "rows" },
        result.path,
        format.extension()
    );
    Ok(Reply::entity(&result, text))
}

/// The service's request and where it goes.
fn request(command: &ExportCommand) -> Result<(ExportRequest, &Destination), Failure> {
    Ok(match command {
        ExportCommand::Budgets {
            period,
            department,
            to,
        } => (
            ExportRequest::Budgets {
                period: period.clone(),
                department: department.clone(),
            },
            to,
        ),
        ExportCommand::BudgetLedger { budget, to } => (
            ExportRequest::BudgetLedger {
                budget: budget.clone(),
            },
            to,
        ),
        ExportCommand::Documents {
            kind,
            stage,
            department,
            search,
            from,
            to,
            dest,
        } => (
            ExportRequest::Documents {
                query: RegisterQuery {
                    kind: kind.clone(),
                    stage: stage.as_deref().map(register_stage).transpose()?,
                    department: department.clone(),
                    search: search.clone(),
                    from: from.clone(),
                    to: to.clone(),
                    limit: None,
                    offset: None,
                },
            },
            dest,
        ),
        ExportCommand::Audit {
            user,
            entity,
            entity_id,
            action,
            from,
            to,
            dest,
        } => (
            ExportRequest::AuditLog {
                query: AuditQuery {
                    actor: user.clone(),
                    entity_type: entity.clone(),
                    entity_id: entity_id.clone(),
                    action: action.clone(),
                    from: from.clone(),
                    to: to.clone(),
                    before_seq: None,
                    limit: None,
                },
            },
            dest,
        ),
        ExportCommand::Executions {
            status,
            workflow,
            entity,
            to,
        } => (
            ExportRequest::Executions {
                filter: ExecutionFilter {
                    status: status.clone(),
                    workflow_type: workflow
                        .as_deref()
                        .map(str::parse::<WorkflowType>)
                        .transpose()?,
                    entity_id: entity.clone(),
                    limit: None,
                },
            },
            to,
        ),
        ExportCommand::Sales {
            doc_type,
            status,
            search,
            from,
            to,
            dest,
        } => (
            ExportRequest::Sales {
                query: SalesQuery {
                    doc_type: doc_type.as_deref().map(SalesType::parse).transpose()?,
                    status: status.as_deref().map(sales_status).transpose()?,
                    search: search.clone(),
                    from: from.clone(),
                    to: to.clone(),
                    limit: None,
                    offset: None,
                },
            },
            dest,
        ),
    })
}

/// `--format`, or the output file's extension.
fn format_of(to: &Destination) -> Result<Format, Failure> {
    match &to.format {
        Some(f) => Ok(f.parse()?),
        None => to
            .output
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default()
            .parse()
            .map_err(|_| {
                bad_input(
                    "Say which format to write: --format csv or --format xlsx (or end the \
                     output file's name in .csv or .xlsx).",
                )
            }),
    }
}

fn register_stage(text: &str) -> Result<RegisterStage, Failure> {
    serde_json::from_value(Value::String(text.trim().to_lowercase().replace('-', "_"))).map_err(
        |_| {
            bad_input(format!(
                "'{}' is not a stage: use draft, in_progress, done or stopped.",
                hesabu_store::limits::excerpt(text)
            ))
        },
    )
}

fn sales_status(text: &str) -> Result<SalesStatus, Failure> {
    serde_json::from_value(Value::String(text.trim().to_lowercase())).map_err(|_| {
        bad_input(format!(
            "Unknown status '{}'. Use draft, pending_approval, issued, fiscalised or void.",
            hesabu_store::limits::excerpt(text)
        ))
    })
}
