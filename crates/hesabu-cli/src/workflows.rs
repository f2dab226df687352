//! `hesabu workflow …` (what is sent to e-TIMS, and what happened) and `hesabu rules …`
//! (decision tables). Thin: parse, call one service, print.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use hesabu_core::approvals::rule_hooks;
use hesabu_core::rules::service as rules;
use hesabu_core::rules::{Evaluation, TableTrace};
use hesabu_core::workflows::{self, ExecutionFilter, ExecutionView, WorkflowType, WorkflowView};
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;

use crate::output::{Reply, table};
use crate::{Failure, read_definition};

#[derive(Debug, Subcommand)]
pub(crate) enum WorkflowCommand {
    /// The five workflows: enabled, auto-sync, config.
    List,
    /// Replace a workflow's settings from a file {"enabled", "autoSync", "config"}.
    Set {
        /// invoice_sync, customer_sync, item_sync, credit_note_sync or sales_sync.
        workflow: String,
        #[arg(long)]
        file: PathBuf,
    },
    /// Turn a workflow on (its config is kept).
    Enable { workflow: String },
    /// Turn a workflow off (its config is kept).
    Disable { workflow: String },
    /// Run a workflow for one entity now (a document id, or a customer/item/... id).
    Run {
        workflow: String,
        #[arg(long)]
        entity: String,
    },
    /// The execution log, newest first.
    Executions {
        /// pending, running, completed, failed or skipped.
        #[arg(long)]
        status: Option<String>,
        /// A workflow type.
        #[arg(long = "type")]
        workflow: Option<String>,
        #[arg(long)]
        entity: Option<String>,
        #[arg(long, default_value_t = 200)]
        limit: u64,
    },
    /// Retry a failed execution.
    Retry { id: String },
    /// Recorded local events, newest first.
    Events {
        #[arg(long)]
        entity: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u64,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum RulesCommand {
    /// Import a decision table (a new version of its name); see docs/rules.md.
    Import { file: PathBuf },
    /// The active decision tables.
    List,
    /// Evaluate a rules file against a stored document without saving anything.
    Test {
        file: PathBuf,
        #[arg(long)]
        doc: String,
    },
    /// Stored evaluations with their traces, newest first.
    Evaluations {
        #[arg(long)]
        doc: Option<String>,
        #[arg(long, default_value_t = rules::DEFAULT_EVALUATIONS)]
        limit: u64,
    },
    /// Documents held for a tax review, with the rule's reason.
    Reviews,
    /// Resolve a document's tax review so it may be sent to e-TIMS (its number or id).
    Resolve {
        doc: String,
        #[arg(long)]
        note: String,
    },
}

fn read_rules(path: &Path) -> Result<String, Failure> {
    read_definition(path, hesabu_core::rules::definition::RULE_TABLE)
}

fn workflow_type(text: &str) -> Result<WorkflowType, Failure> {
    Ok(text.parse::<WorkflowType>()?)
}

pub(crate) async fn workflow(
    command: &WorkflowCommand,
    file: &CompanyFile,
    session: &Session,
) -> Result<Reply, Failure> {
    Ok(match command {
        WorkflowCommand::List => {
            let list = workflows::list(file, session).await?;
            let rows = list
                .iter()
                .map(|w| {
                    vec![
                        w.workflow_type.to_string(),
                        on_off(w.enabled),
                        if w.auto_sync { "auto" } else { "manual" }.into(),
                        w.version.to_string(),
                        w.config.to_string(),
                    ]
                })
                .collect();
            Reply::list(
                &list,
                table(&["WORKFLOW", "ENABLED", "SYNC", "VERSION", "CONFIG"], rows),
            )
        }
        WorkflowCommand::Set {
            workflow,
            file: path,
        } => {
            let w = workflow_type(workflow)?;
            let text = read_definition(path, workflows::config::WORKFLOW_FILE)?;
            let value = workflows::config::parse_settings_json(&text)?;
            let view = workflows::set(file, session, w, &value).await?;
            Reply::entity(&view, saved_text(&view))
        }
        WorkflowCommand::Enable { workflow } | WorkflowCommand::Disable { workflow } => {
            let enable = matches!(command, WorkflowCommand::Enable { .. });
            let view =
                workflows::set_enabled(file, session, workflow_type(workflow)?, enable).await?;
            Reply::entity(&view, saved_text(&view))
        }
        WorkflowCommand::Run { workflow, entity } => {
            let e = workflows::run(file, session, workflow_type(workflow)?, entity).await?;
            Reply::entity(&e, execution_text(&e))
        }
        WorkflowCommand::Executions {
            status,
            workflow,
            entity,
            limit,
        } => {
            let filter = ExecutionFilter {
                status: status.clone(),
                workflow_type: workflow.as_deref().map(workflow_type).transpose()?,
                entity_id: entity.clone(),
                limit: Some(*limit),
            };
            let list = workflows::executions(file, session, &filter).await?;
            Reply::list(&list, executions_table(&list))
        }
        WorkflowCommand::Retry { id } => {
            let e = workflows::retry(file, session, id).await?;
            Reply::entity(&e, execution_text(&e))
        }
        WorkflowCommand::Events { entity, limit } => {
            let list = workflows::events_list(file, session, entity.as_deref(), *limit).await?;
            let rows = list
                .iter()
                .map(|e| {
                    vec![
                        e.occurred_at.clone(),
                        e.event_type.clone(),
                        e.entity_type.clone(),
                        e.entity_id.clone(),
                        e.entity_version.to_string(),
                        e.source.clone(),
                    ]
                })
                .collect();
            Reply::list(
                &list,
                table(
                    &["AT", "EVENT", "ENTITY TYPE", "ENTITY", "VERSION", "SOURCE"],
                    rows,
                ),
            )
        }
    })
}

fn on_off(on: bool) -> String {
    if on { "on" } else { "off" }.into()
}

fn saved_text(w: &WorkflowView) -> String {
    format!(
        "{} is {} ({}), version {}. Config: {}\n",
        w.workflow_type,
        if w.enabled { "enabled" } else { "disabled" },
        if w.auto_sync {
            "auto-sync"
        } else {
            "manual runs only"
        },
        w.version,
        w.config
    )
}

fn execution_text(e: &ExecutionView) -> String {
    let mut text = format!(
        "Execution {}: {} for {} {} is {}",
        e.id, e.workflow_type, e.entity_type, e.entity_id, e.status
    );
    if let Some(m) = &e.error_message {
        text.push_str(&format!(" ({m})"));
    }
    if let Some(o) = &e.outbox_id {
        text.push_str(&format!(". Queued for e-TIMS as outbox item {o}"));
    }
    text.push_str(".\n");
    text
}

/// One line per attempt (newest first, like the desktop's log); an execution that sent nothing
/// is one line with its status.
fn executions_table(list: &[ExecutionView]) -> String {
    let mut rows = Vec::new();
    for e in list {
        let entity = format!(
            "{} {}",
            e.entity_type,
            e.entity_label.as_deref().unwrap_or(&e.entity_id)
        );
        if e.attempt_log.is_empty() {
            rows.push(vec![
                e.id.clone(),
                e.workflow_type.clone(),
                entity,
                String::new(),
                e.trigger.clone(),
                e.status.clone(),
                e.duration_ms.map(|d| format!("{d} ms")).unwrap_or_default(),
                e.error_message.clone().unwrap_or_default(),
            ]);
            continue;
        }
        for a in e.attempt_log.iter().rev() {
            rows.push(vec![
                e.id.clone(),
                e.workflow_type.clone(),
                entity.clone(),
                a.number.to_string(),
                a.started_by.clone(),
                a.outcome.clone(),
                a.duration_ms.map(|d| format!("{d} ms")).unwrap_or_default(),
                a.error_message.clone().unwrap_or_default(),
            ]);
        }
    }
    table(
        &[
            "ID",
            "WORKFLOW",
            "ENTITY",
            "ATTEMPT",
            "STARTED BY",
            "OUTCOME",
            "DURATION",
            "ERROR",
        ],
        rows,
    )
}

pub(crate) async fn rules_command(
    command: &RulesCommand,
    file: &CompanyFile,
    session: &Session,
) -> Result<Reply, Failure> {
    Ok(match command {
        RulesCommand::Import { file: path } => {
            let t = rules::import(file, session, &read_rules(path)?).await?;
            Reply::entity(
                &t,
                format!(
                    "Imported '{}' v{} for {} ({} rows).\n",
                    t.name,
                    t.version,
                    t.document_type,
                    t.spec.rows.len()
                ),
            )
        }
        RulesCommand::List => {
            let list = rules::list(file, session).await?;
            let rows = list
                .iter()
                .map(|t| {
                    vec![
                        t.name.clone(),
                        t.document_type.clone(),
                        t.version.to_string(),
                        t.spec.rows.len().to_string(),
                        t.imported_at.clone(),
                    ]
                })
                .collect();
            Reply::list(
                &list,
                table(
                    &["NAME", "DOCUMENT TYPE", "VERSION", "ROWS", "IMPORTED"],
                    rows,
                ),
            )
        }
        RulesCommand::Test { file: path, doc } => {
            let ev = rule_hooks::test(file, session, &read_rules(path)?, doc).await?;
            Reply::entity(&ev, evaluation_text(&ev))
        }
        RulesCommand::Evaluations { doc, limit } => {
            let list = rules::evaluations(file, session, doc.as_deref(), *limit).await?;
            let mut text = String::new();
            for e in &list {
                text.push_str(&format!(
                    "{} {} ({}) at {}: {}\n",
                    e.document_number.as_deref().unwrap_or(&e.document_id),
                    e.trigger,
                    e.id,
                    e.evaluated_at,
                    e.outcome
                ));
                text.push_str(&trace_text(&e.trace));
                for a in &e.actions {
                    text.push_str(&format!("  -> {}: {}\n", a.action.describe(), a.effect));
                }
            }
            if list.is_empty() {
                text.push_str("No rule evaluations yet.\n");
            }
            Reply::list(&list, text)
        }
        RulesCommand::Reviews => {
            let list = rule_hooks::tax_reviews(file, session).await?;
            let rows = list
                .iter()
                .map(|r| {
                    vec![
                        r.number.clone(),
                        r.title.clone(),
                        r.raised_by.clone(),
                        format!("{} {}", r.currency, r.amount),
                        r.reason.clone(),
                    ]
                })
                .collect();
            Reply::list(
                &list,
                table(&["NUMBER", "TITLE", "RAISED BY", "AMOUNT", "WHY"], rows),
            )
        }
        RulesCommand::Resolve { doc, note } => {
            let r = rule_hooks::resolve_tax_review(file, session, doc, note).await?;
            Reply::entity(
                &r,
                format!(
                    "Resolved the tax review of {}; {} held execution(s) decided again.\n",
                    r.number,
                    r.executions.len()
                ),
            )
        }
    })
}

fn evaluation_text(ev: &Evaluation) -> String {
    let mut text = format!("Outcome: {}\n", ev.outcome);
    text.push_str(&trace_text(&ev.trace));
    for a in &ev.actions {
        text.push_str(&format!(
            "  -> {} (row {} '{}')\n",
            a.action.describe(),
            a.row,
            a.row_name
        ));
    }
    text
}

fn trace_text(trace: &[TableTrace]) -> String {
    let mut text = String::new();
    for t in trace {
        text.push_str(&format!("  table '{}' v{}\n", t.table, t.version));
        for r in &t.rows {
            let verdict = if !r.evaluated {
                "not evaluated"
            } else if r.matched {
                "MATCHED"
            } else {
                "no match"
            };
            text.push_str(&format!("    row {} '{}': {verdict}\n", r.row, r.name));
            for c in &r.conditions {
                let mark = if c.holds { "✓" } else { "✗" };
                if c.sentence.is_empty() {
                    // An evaluation stored before sentences existed.
                    text.push_str(&format!(
                        "      {mark} {} (value: {})\n",
                        c.condition,
                        c.actual.as_deref().unwrap_or("missing")
                    ));
                } else {
                    text.push_str(&format!("      {mark} {} [{}]\n", c.sentence, c.condition));
                }
            }
        }
    }
    text
}
