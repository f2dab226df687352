//! `hesabu budget …`: import, list, check, reserve / commit / spend / release, reports, ledger
//! history and the import history. Each subcommand parses its arguments, calls one service in
//! `hesabu_core::budgets` and turns the result into a [`Reply`].

use std::path::PathBuf;

use clap::{Args, Subcommand};
use hesabu_core::budgets::export::entry_label;
use hesabu_core::budgets::{
    self, BudgetCheckInput, BudgetCheckQuery, EnforcementDecision, LedgerOutcome, MoveInput,
    ReleaseAction, ReleaseCommitmentInput, ReleaseInput, ReserveInput, import, phasing, report,
    show,
};
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::export::Format as ExportFormat;
use hesabu_store::export::local_time;
use hesabu_store::money::{Currency, Money};
use rust_decimal::Decimal;

use crate::Failure;
use crate::output::{Reply, table};

#[derive(Debug, Subcommand)]
pub(crate) enum BudgetCommand {
    /// Sync budgets from a CSV or XLSX file (columns: department,period,amount,currency,
    /// enforcement[,auto_approve_threshold,category,project]). All or nothing unless
    /// --skip-invalid. Budgets missing from the file stay active unless --archive-missing.
    Import {
        /// The .csv or .xlsx file.
        file: PathBuf,
        /// Import the good rows and report the bad ones instead of importing nothing.
        #[arg(long)]
        skip_invalid: bool,
        /// Archive the active budgets the file leaves out (refused if one of them holds
        /// reserved or committed money).
        #[arg(long)]
        archive_missing: bool,
        /// Check and count only: nothing is written or recorded.
        #[arg(long)]
        dry_run: bool,
    },
    /// Write the budget list (amounts, reserved, committed, spent, available) to a CSV or XLSX
    /// file. Cells a spreadsheet would run as a formula are escaped with a leading '.
    Export {
        /// csv or xlsx (default: from the output file's extension).
        #[arg(long)]
        format: Option<String>,
        /// The file to write (replaced if it exists).
        #[arg(long)]
        output: PathBuf,
        /// Only budgets within this period: FY2026, 2026-Q1 or 2026-03.
        #[arg(long)]
        period: Option<String>,
        /// Include archived (soft-deleted) budgets.
        #[arg(long)]
        all: bool,
    },
    /// Budgets with their balances.
    List {
        /// Only budgets within this period: FY2026, 2026-Q1 or 2026-03.
        #[arg(long)]
        period: Option<String>,
        /// Include archived (soft-deleted) budgets.
        #[arg(long)]
        all: bool,
    },
    /// One budget with its balance.
    Show { id: String },
    /// Can the department's budget carry this amount? (Logged in the check log.)
    Check(CheckArgs),
    /// Reserve budget for a document.
    Reserve(ReserveArgs),
    /// Commit what a document holds (final approval).
    Commit(MoveArgs),
    /// Record committed money as spent.
    Spend(MoveArgs),
    /// Release what a document holds (reject, cancel, return).
    Release(ReleaseArgs),
    /// Give back money an approved document committed but will not spend (finance roles; a
    /// reason is required; never more than the document committed).
    ReleaseCommitment {
        #[arg(long)]
        budget: String,
        #[arg(long)]
        request_id: String,
        /// Default: everything the document still has committed.
        #[arg(long)]
        amount: Option<String>,
        #[arg(long)]
        reason: String,
    },
    /// Month-by-month utilisation over a fiscal year (planned budget vs reserved, committed and
    /// spent, cumulative).
    Year {
        /// FY2026 (default: the fiscal year containing today).
        #[arg(long)]
        fiscal_year: Option<String>,
        #[arg(long)]
        department: Option<String>,
        /// Default: the company's base currency.
        #[arg(long)]
        currency: Option<String>,
    },
    /// Split an annual budget into months or quarters (equal, or by percentages).
    Phase {
        id: String,
        /// month or quarter.
        #[arg(long, default_value = "month")]
        by: String,
        /// Comma-separated percentages, one per part, summing to 100 (default: equal parts).
        #[arg(long)]
        percentages: Option<String>,
    },
    /// Utilisation, variance and check success rate.
    Report {
        #[arg(long)]
        period: Option<String>,
        /// json or csv (default: text, or JSON with --json).
        #[arg(long)]
        format: Option<String>,
    },
    /// A budget's ledger entries, oldest first: what moved, for which document, by whom.
    History { id: String },
    /// The budget check log, newest first: who asked, about which document, and the answer.
    Checks {
        /// Only checks that found this budget.
        #[arg(long)]
        budget: Option<String>,
        /// Only checks for this document (its number, PO-000012) or request id.
        #[arg(long)]
        request: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Import runs, newest first.
    SyncHistory {
        #[arg(long, default_value_t = 20)]
        limit: u64,
    },
}

#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    #[arg(long)]
    department: String,
    #[arg(long)]
    period: String,
    #[arg(long)]
    amount: String,
    #[arg(long)]
    request_id: Option<String>,
    #[arg(long)]
    vendor: Option<String>,
    #[arg(long)]
    purpose: Option<String>,
    #[arg(long)]
    category: Option<String>,
    #[arg(long)]
    project: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct ReserveArgs {
    #[arg(long)]
    budget: String,
    #[arg(long)]
    amount: String,
    #[arg(long)]
    request_id: String,
    #[arg(long)]
    reason: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct MoveArgs {
    #[arg(long)]
    budget: String,
    #[arg(long)]
    request_id: String,
    /// Default: everything the document holds at this stage.
    #[arg(long)]
    amount: Option<String>,
    #[arg(long)]
    reason: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct ReleaseArgs {
    #[arg(long)]
    budget: String,
    #[arg(long)]
    request_id: String,
    /// Default: everything the document still holds.
    #[arg(long)]
    amount: Option<String>,
    /// reject, cancel or return.
    #[arg(long)]
    action: String,
    #[arg(long)]
    reason: String,
}

fn amount(text: &str) -> Result<Decimal, Failure> {
    Ok(Money::parse(text, Currency::kes())?.amount)
}

fn ledger_text(verb: &str, out: &LedgerOutcome) -> String {
    let b = &out.balance;
    let currency = out.currency.as_str();
    let mut text = format!(
        "{verb} for {} on budget {}.\nHeld: {}  Committed: {}\nBudget: {} budgeted, {} available, \
         {} reserved, {} committed, {} spent.\n",
        out.request_id,
        out.budget_id,
        show(out.held, currency),
        show(out.committed, currency),
        show(b.budgeted, currency),
        show(b.available, currency),
        show(b.reserved, currency),
        show(b.committed, currency),
        show(b.spent, currency),
    );
    match &out.decision {
        EnforcementDecision::WithinBudget => {}
        EnforcementDecision::Refused { reason } => text.push_str(&format!("Refused: {reason}\n")),
        EnforcementDecision::Flagged { flag } => text.push_str(&format!("Warning: {flag}\n")),
        EnforcementDecision::Escalate { reason } => {
            text.push_str(&format!("Escalated: {reason}\n"));
        }
        EnforcementDecision::RouteToFinance { reason } => {
            text.push_str(&format!("Not reserved, for finance to decide: {reason}\n"));
        }
    }
    text
}

pub(crate) async fn run(
    command: &BudgetCommand,
    file: &CompanyFile,
    session: &Session,
) -> Result<Reply, Failure> {
    Ok(match command {
        BudgetCommand::Import {
            file: path,
            skip_invalid,
            archive_missing,
            dry_run,
        } => {
            let options = import::ImportOptions {
                skip_invalid: *skip_invalid,
                archive_missing: *archive_missing,
                dry_run: *dry_run,
            };
            let run = import::import_file(file, session, path, options).await?;
            let text = format!(
                "{} of {} {}: {} created, {} updated, {} unchanged, {} archived, {} skipped \
                 ({} rows in {} ms).\n{}{}",
                if options.dry_run {
                    "Preview (nothing written)"
                } else {
                    "Import"
                },
                run.source,
                run.status,
                run.created,
                run.updated,
                run.unchanged,
                run.soft_deleted,
                run.skipped,
                run.rows_read,
                run.duration_ms,
                if run.errors.is_empty() {
                    String::new()
                } else {
                    format!("{}\n", import::describe_errors(&run.errors))
                },
                if run.warnings.is_empty() {
                    String::new()
                } else {
                    format!("Warnings:\n{}\n", import::describe_errors(&run.warnings))
                }
            );
            let reply = Reply::entity(&run, text);
            if run.status == "failed" {
                // --skip-invalid helps with bad rows (line 2 on), not with the header or a
                // refusal about the whole file.
                let rows_to_fix = run.errors.iter().any(|e| e.line > 1);
                let message = format!(
                    "Nothing was imported from {}: {}:\n{}",
                    run.source,
                    if rows_to_fix {
                        "fix these rows (or pass --skip-invalid)"
                    } else {
                        "fix this"
                    },
                    import::describe_errors(&run.errors)
                );
                reply.with_failure(2, "invalid_input", &message)
            } else {
                reply
            }
        }
        BudgetCommand::Export {
            format,
            output,
            period,
            all,
        } => {
            let format: ExportFormat = match format {
                Some(f) => f.parse()?,
                None => output
                    .extension()
                    .and_then(|e| e.to_str())
                    .unwrap_or_default()
                    .parse()
                    .map_err(|_| {
                        crate::bad_input(
                            "Say which format to write: --format csv or --format xlsx (or end \
                             the output file's name in .csv or .xlsx).",
                        )
                    })?,
            };
            let table = budgets::export::table(file, session, period.as_deref(), *all).await?;
            let bytes = table.to_bytes(format, "Budgets")?;
            std::fs::write(output, &bytes).map_err(|e| {
                crate::bad_input(format!(
                    "Could not write {}: {e}. Check the folder exists and you may write there.",
                    output.display()
                ))
            })?;
            let written = serde_json::json!({
                "output": output.display().to_string(),
                "format": format.extension(),
                "rows": table.rows.len(),
                "bytes": bytes.len(),
            });
            Reply::entity(
                &written,
                format!(
                    "Wrote {} budgets to {} ({}).\n",
                    table.rows.len(),
                    output.display(),
                    format.extension()
                ),
            )
        }
        BudgetCommand::List { period, all } => {
            let list = budgets::list(file, session, period.as_deref(), *all).await?;
            let rows = list
                .iter()
                .map(|b| {
                    let c = &b.currency;
                    vec![
                        b.id.clone(),
                        b.department.clone(),
                        b.period.clone(),
                        [b.category.clone(), b.project.clone()]
                            .into_iter()
                            .flatten()
                            .collect::<Vec<_>>()
                            .join(" / "),
                        b.enforcement.as_str().into(),
                        show(b.balance.budgeted, c),
                        show(b.balance.reserved, c),
                        show(b.balance.committed, c),
                        show(b.balance.spent, c),
                        show(b.balance.available, c),
                        b.status.clone(),
                    ]
                })
                .collect();
            Reply::list(
                &list,
                table(
                    &[
                        "ID",
                        "DEPARTMENT",
                        "PERIOD",
                        "CATEGORY",
                        "MODE",
                        "BUDGETED",
                        "RESERVED",
                        "COMMITTED",
                        "SPENT",
                        "AVAILABLE",
                        "STATUS",
                    ],
                    rows,
                ),
            )
        }
        BudgetCommand::Show { id } => {
            let b = budgets::get(file, session, id).await?;
            let text = format!(
                "{} {} ({}): {} budgeted, {} available.\n",
                b.department,
                b.period,
                b.enforcement.as_str(),
                show(b.balance.budgeted, &b.currency),
                show(b.balance.available, &b.currency)
            );
            Reply::entity(&b, text)
        }
        BudgetCommand::Check(args) => {
            let result = budgets::check(
                file,
                session,
                &BudgetCheckInput {
                    request_id: args.request_id.clone(),
                    department: args.department.clone(),
                    period: args.period.clone(),
                    amount: amount(&args.amount)?,
                    vendor: args.vendor.clone(),
                    purpose: args.purpose.clone(),
                    category: args.category.clone(),
                    project: args.project.clone(),
                },
            )
            .await?;
            let text = format!(
                "{}\nAvailable: {}  Can auto-approve: {}\n",
                result.reason,
                if result.available { "yes" } else { "no" },
                if result.can_auto_approve { "yes" } else { "no" }
            );
            Reply::entity(&result, text)
        }
        BudgetCommand::Reserve(args) => {
            let out = budgets::reserve(
                file,
                session,
                &ReserveInput {
                    budget_id: args.budget.clone(),
                    request_id: args.request_id.clone(),
                    amount: amount(&args.amount)?,
                    reason: args.reason.clone(),
                },
            )
            .await?;
            Reply::entity(&out, ledger_text("Reserved", &out))
        }
        BudgetCommand::Commit(args) | BudgetCommand::Spend(args) => {
            let input = MoveInput {
                budget_id: args.budget.clone(),
                request_id: args.request_id.clone(),
                amount: args.amount.as_deref().map(amount).transpose()?,
                reason: args.reason.clone(),
            };
            let (out, verb) = if matches!(command, BudgetCommand::Commit(_)) {
                (budgets::commit(file, session, &input).await?, "Committed")
            } else {
                (budgets::spend(file, session, &input).await?, "Spent")
            };
            Reply::entity(&out, ledger_text(verb, &out))
        }
        BudgetCommand::Release(args) => {
            let out = budgets::release(
                file,
                session,
                &ReleaseInput {
                    budget_id: args.budget.clone(),
                    request_id: args.request_id.clone(),
                    amount: args.amount.as_deref().map(amount).transpose()?,
                    action: ReleaseAction::parse(&args.action)?,
                    reason: args.reason.clone(),
                },
            )
            .await?;
            Reply::entity(&out, ledger_text("Released", &out))
        }
        BudgetCommand::ReleaseCommitment {
            budget,
            request_id,
            amount: value,
            reason,
        } => {
            let out = budgets::release_commitment(
                file,
                session,
                &ReleaseCommitmentInput {
                    budget_id: budget.clone(),
                    request_id: request_id.clone(),
                    amount: value.as_deref().map(amount).transpose()?,
                    reason: reason.clone(),
                },
            )
            .await?;
            Reply::entity(&out, ledger_text("Released committed budget", &out))
        }
        BudgetCommand::Year {
            fiscal_year,
            department,
            currency,
        } => {
            let y = report::fiscal_year(
                file,
                session,
                fiscal_year.as_deref(),
                department.as_deref(),
                currency.as_deref(),
            )
            .await?;
            let c = &y.currency;
            let rows = y
                .months
                .iter()
                .map(|m| {
                    vec![
                        m.month.clone(),
                        show(m.budgeted, c),
                        show(m.reserved, c),
                        show(m.committed, c),
                        show(m.spent, c),
                        show(m.used, c),
                        if m.future {
                            "plan".into()
                        } else {
                            String::new()
                        },
                    ]
                })
                .collect();
            let mut text = format!(
                "{} ({}{}, {} budgets), cumulative at each month's end:\n",
                y.fiscal_year,
                c,
                y.department
                    .as_deref()
                    .map(|d| format!(", {d}"))
                    .unwrap_or_default(),
                y.budgets
            );
            text.push_str(&table(
                &[
                    "MONTH",
                    "BUDGETED",
                    "RESERVED",
                    "COMMITTED",
                    "SPENT",
                    "USED",
                    "",
                ],
                rows,
            ));
            Reply::entity(&y, text)
        }
        BudgetCommand::Phase {
            id,
            by,
            percentages,
        } => {
            let phasing = match by.trim().to_lowercase().as_str() {
                "month" | "monthly" => phasing::Phasing::Monthly,
                "quarter" | "quarterly" => phasing::Phasing::Quarterly,
                other => {
                    return Err(crate::bad_input(format!(
                        "--by {other} is not known: use month or quarter."
                    )));
                }
            };
            let weights = match percentages {
                None => Vec::new(),
                Some(text) => text.split(',').map(amount).collect::<Result<Vec<_>, _>>()?,
            };
            let parts = phasing::phase(file, session, id, phasing, &weights).await?;
            let rows = parts
                .iter()
                .map(|b| {
                    vec![
                        b.id.clone(),
                        b.period.clone(),
                        show(b.balance.budgeted, &b.currency),
                    ]
                })
                .collect();
            Reply::list(&parts, table(&["ID", "PERIOD", "BUDGETED"], rows))
        }
        BudgetCommand::Report { period, format } => {
            let r = report::report(file, session, period.as_deref()).await?;
            match format.as_deref().map(str::to_lowercase).as_deref() {
                Some("csv") => Reply::entity(&r, report::to_csv(&r)).forced(false),
                Some("json") => Reply::entity(&r, String::new()).forced(true),
                Some(other) => {
                    return Err(crate::bad_input(format!(
                        "--format {other} is not known: use json or csv."
                    )));
                }
                None => {
                    let rows = r
                        .rows
                        .iter()
                        .map(|u| {
                            let c = &u.currency;
                            vec![
                                u.department.clone(),
                                u.period.clone(),
                                u.category.clone().unwrap_or_default(),
                                show(u.balance.budgeted, c),
                                show(u.balance.reserved, c),
                                show(u.balance.committed, c),
                                show(u.balance.spent, c),
                                show(u.balance.available, c),
                                u.percent_used.map(|p| format!("{p}%")).unwrap_or_default(),
                                show(u.variance, c),
                            ]
                        })
                        .collect();
                    let mut text = table(
                        &[
                            "DEPARTMENT",
                            "PERIOD",
                            "CATEGORY",
                            "BUDGETED",
                            "RESERVED",
                            "COMMITTED",
                            "SPENT",
                            "AVAILABLE",
                            "USED",
                            "VARIANCE",
                        ],
                        rows,
                    );
                    text.push_str(&format!(
                        "Checks: {} ({} found funds, {} found no budget); success rate {}\n",
                        r.checks.checks,
                        r.checks.available,
                        r.checks.no_budget,
                        r.checks
                            .success_rate_percent
                            .map_or_else(|| "n/a".to_owned(), |p| format!("{p}%"))
                    ));
                    Reply::entity(&r, text)
                }
            }
        }
        BudgetCommand::History { id } => {
            let entries = budgets::history(file, session, id).await?;
            let zone = hesabu_store::export::zone(&hesabu_core::company::time_zone(file).await?)?;
            let rows = entries
                .iter()
                .map(|e| {
                    vec![
                        e.seq.to_string(),
                        local_time(&e.at, zone),
                        format!(
                            "{}{}",
                            entry_label(&e.kind, e.action.as_deref()),
                            if e.is_override { " (override)" } else { "" }
                        ),
                        e.document_number
                            .clone()
                            .or_else(|| e.request_id.clone())
                            .unwrap_or_default(),
                        e.amount.to_string(),
                        e.available_after.to_string(),
                        e.actor_name.clone(),
                        e.reason.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            Reply::list(
                &entries,
                table(
                    &[
                        "#",
                        "WHEN",
                        "ENTRY",
                        "DOCUMENT",
                        "AMOUNT",
                        "AVAILABLE",
                        "BY",
                        "REASON",
                    ],
                    rows,
                ),
            )
        }
        BudgetCommand::Checks {
            budget,
            request,
            limit,
        } => {
            let query = BudgetCheckQuery {
                budget_id: budget.clone(),
                request_id: request.clone(),
                limit: Some(*limit),
            };
            let checks = budgets::checks::list(file, session, &query).await?;
            let zone = hesabu_store::export::zone(&hesabu_core::company::time_zone(file).await?)?;
            let rows = checks
                .iter()
                .map(|c| {
                    vec![
                        local_time(&c.checked_at, zone),
                        c.document_number
                            .clone()
                            .or_else(|| c.request_id.clone())
                            .unwrap_or_default(),
                        format!("{} {}", c.department, c.period),
                        match &c.currency {
                            Some(currency) => show(c.amount, currency),
                            None => c.amount.to_string(),
                        },
                        c.outcome.words().to_owned(),
                        if c.can_auto_approve { "yes" } else { "no" }.to_owned(),
                        c.asked_by.clone(),
                    ]
                })
                .collect();
            Reply::list(
                &checks,
                table(
                    &[
                        "WHEN",
                        "DOCUMENT",
                        "BUDGET",
                        "AMOUNT",
                        "RESULT",
                        "AUTO-APPROVE",
                        "ASKED BY",
                    ],
                    rows,
                ),
            )
        }
        BudgetCommand::SyncHistory { limit } => {
            let runs = import::sync_history(file, session, *limit).await?;
            let rows = runs
                .iter()
                .map(|r| {
                    vec![
                        r.started_at.clone(),
                        r.source.clone(),
                        r.status.clone(),
                        r.created.to_string(),
                        r.updated.to_string(),
                        r.unchanged.to_string(),
                        r.soft_deleted.to_string(),
                        r.skipped.to_string(),
                        format!("{} ms", r.duration_ms),
                    ]
                })
                .collect();
            Reply::list(
                &runs,
                table(
                    &[
                        "STARTED",
                        "SOURCE",
                        "STATUS",
                        "CREATED",
                        "UPDATED",
                        "UNCHANGED",
                        "ARCHIVED",
                        "SKIPPED",
                        "TOOK",
                    ],
                    rows,
                ),
            )
        }
    })
}
