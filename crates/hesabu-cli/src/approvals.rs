//! The approval commands: `policy`, `doc`, `approval`, `delegation` and `org`. Each
//! parses its arguments, calls one core service and prints the result (JSON with `--json`).

use std::path::{Path, PathBuf};
use std::str::FromStr;

use clap::{Args, Subcommand};
use hesabu_core::approvals::wire::{
    ActionInput, Decision, DocumentEdit, DocumentType, DocumentView, NewDelegation, NewDocument,
    NewDocumentLine,
};
use hesabu_core::approvals::{actions, delegations, documents, org, policy_service};
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::money::{Currency, Money};
use hesabu_store::notifications;
use serde_json::json;

use crate::output::{Reply, table};
use crate::{Failure, bad_input, read_definition};

#[derive(Debug, Subcommand)]
pub(crate) enum PolicyCommand {
    /// Validate and save a policy file as a new version (see docs/approval-policies.md).
    Import { file: PathBuf },
    /// Every imported version, newest first.
    List,
    /// Check a policy file without saving it; exit 2 listing the problems.
    Validate { file: PathBuf },
}

#[derive(Debug, Subcommand)]
pub(crate) enum DocCommand {
    /// Create a draft document; you are its requester. With --submit, submit it too, in one
    /// step: if the submission is refused, nothing is saved (no draft is left behind).
    Create(CreateDocArgs),
    /// Correct a draft, or a document returned or sent back for clarification, before you
    /// (re)submit it. Only what you pass changes; an empty --department, --category or
    /// --project clears it (an empty department means your own).
    Edit(EditDocArgs),
    /// Send a draft for approval.
    Submit {
        id: String,
    },
    /// Send a returned, questioned or rejected document again (restarts at level 1).
    Resubmit {
        id: String,
        #[arg(long)]
        note: Option<String>,
    },
    /// Take a pending document back to draft before anyone decides.
    Recall {
        id: String,
    },
    Cancel {
        id: String,
    },
    Show {
        id: String,
    },
}

#[derive(Debug, Args)]
pub(crate) struct CreateDocArgs {
    /// purchase_order, expense_claim, payment_voucher, material_request, journal_entry,
    /// budget_revision or sales_invoice.
    #[arg(long = "type")]
    doc_type: String,
    #[arg(long)]
    title: String,
    /// The total, e.g. 12500.00 (thousands separators allowed).
    #[arg(long)]
    amount: String,
    #[arg(long)]
    currency: Option<String>,
    /// Department name (default: yours).
    #[arg(long)]
    department: Option<String>,
    #[arg(long)]
    category: Option<String>,
    #[arg(long)]
    project: Option<String>,
    /// A JSON object of facts for policy conditions, e.g. '{"vehicles": 2}'.
    #[arg(long)]
    facts: Option<String>,
    /// A JSON file with an array of lines: [{"description", "quantity", "unit_price", "tax_code"}].
    #[arg(long)]
    lines: Option<PathBuf>,
    /// Submit it at once; a refused submission saves nothing.
    #[arg(long)]
    submit: bool,
}

#[derive(Debug, Args)]
pub(crate) struct EditDocArgs {
    /// The document's id.
    id: String,
    #[arg(long)]
    title: Option<String>,
    /// The new total, e.g. 12500.00 (thousands separators allowed), in the document's currency.
    #[arg(long)]
    amount: Option<String>,
    /// Department name ("" for your own).
    #[arg(long)]
    department: Option<String>,
    #[arg(long)]
    category: Option<String>,
    #[arg(long)]
    project: Option<String>,
    /// A JSON file with an array of lines, replacing every line.
    #[arg(long)]
    lines: Option<PathBuf>,
    /// A JSON object of facts, replacing the facts, e.g. '{"vehicles": 2}'.
    #[arg(long)]
    facts: Option<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ApprovalCommand {
    /// Steps waiting for you, most urgent first.
    Inbox,
    /// Decide your step of a request.
    Act(ActArgs),
    /// Approve several requests; each is decided on its own and failures are listed.
    BulkApprove {
        #[arg(required = true)]
        request_ids: Vec<String>,
    },
    /// A document's approval history.
    History { document_id: String },
    /// Your in-app notifications: your own, and the sync notices if you may view the sync queue.
    Notifications,
    /// SLA compliance: the share of decisions made within their SLA over the last N days
    /// (everyone's for roles that may view every document, else yours).
    Sla {
        #[arg(long, default_value_t = 30)]
        days: u32,
    },
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("decision").required(true).args(["approve", "reject", "return_", "clarify", "delegate_to"])))]
pub(crate) struct ActArgs {
    request_id: String,
    #[arg(long)]
    approve: bool,
    #[arg(long)]
    reject: bool,
    #[arg(long = "return")]
    return_: bool,
    #[arg(long)]
    clarify: bool,
    #[arg(long, value_name = "EMAIL")]
    delegate_to: Option<String>,
    /// The reason (reject), what to change (return) or the question (clarify).
    #[arg(long)]
    comment: Option<String>,
    /// The step version you saw (from the inbox); refuse if it changed.
    #[arg(long)]
    expected_version: Option<i64>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum DelegationCommand {
    /// Delegate your approvals for a period [from, until).
    Add {
        #[arg(long, value_name = "EMAIL")]
        to: String,
        /// YYYY-MM-DD (midnight, company time) or RFC 3339.
        #[arg(long)]
        from: String,
        /// Exclusive end: YYYY-MM-DD or RFC 3339.
        #[arg(long)]
        until: String,
        /// Comma-separated document types (default: all).
        #[arg(long, value_delimiter = ',')]
        doc_types: Option<Vec<String>>,
        /// Comma-separated department names (default: all).
        #[arg(long, value_delimiter = ',')]
        departments: Option<Vec<String>>,
        #[arg(long)]
        max_amount: Option<String>,
    },
    List,
    Revoke {
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum OrgCommand {
    /// Make a user the head of a department.
    SetHead {
        #[arg(long)]
        department: String,
        #[arg(long, value_name = "EMAIL")]
        user: String,
    },
    /// Give a user a designation, e.g. executive or internal_audit.
    Designate { email: String, designation: String },
    /// Add a company holiday (no SLA time runs on it).
    Holiday { date: String, name: String },
}

fn read_file(path: &Path) -> Result<String, Failure> {
    std::fs::read_to_string(path)
        .map_err(|e| bad_input(format!("Could not read {}: {e}", path.display())))
}

pub(crate) async fn policy(
    command: &PolicyCommand,
    file: &CompanyFile,
    session: &Session,
) -> Result<Reply, Failure> {
    Ok(match command {
        PolicyCommand::Import { file: path } => {
            let spec = policy_service::parse(&read_definition(path, policy_service::POLICY)?)?;
            let p = policy_service::import(file, session, &spec).await?;
            let text = format!(
                "Imported policy '{}' as version {} for {}.\n",
                p.name,
                p.version,
                p.document_types
                    .iter()
                    .map(|t| t.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            Reply::entity(&p, text)
        }
        PolicyCommand::List => {
            let list = policy_service::list(file, session).await?;
            let rows = list
                .iter()
                .map(|p| {
                    vec![
                        p.version.to_string(),
                        p.name.clone(),
                        p.levels.to_string(),
                        p.active_for
                            .iter()
                            .map(|t| t.as_str())
                            .collect::<Vec<_>>()
                            .join(","),
                        p.imported_at.clone(),
                    ]
                })
                .collect();
            Reply::list(
                &list,
                table(
                    &["VERSION", "NAME", "LEVELS", "ACTIVE FOR", "IMPORTED"],
                    rows,
                ),
            )
        }
        PolicyCommand::Validate { file: path } => {
            let spec = policy_service::parse(&read_definition(path, policy_service::POLICY)?)?;
            let report = policy_service::validate(file, session, &spec).await?;
            if report.ok {
                Reply::entity(&report, "The policy is valid.\n".into())
            } else {
                let message = format!(
                    "The policy has {} problem(s):\n- {}",
                    report.errors.len(),
                    report.errors.join("\n- ")
                );
                Reply::entity(&report, String::new()).with_failure(2, "invalid_input", &message)
            }
        }
    })
}

pub(crate) async fn doc(
    command: &DocCommand,
    file: &CompanyFile,
    session: &Session,
) -> Result<Reply, Failure> {
    let view = match command {
        DocCommand::Create(args) => {
            let doc_type = DocumentType::from_str(&args.doc_type)?;
            let currency = match &args.currency {
                Some(c) => Currency::from_str(c)?,
                None => Currency::kes(),
            };
            let amount = Money::parse(&args.amount, currency)?.amount;
            let facts = args.facts.as_deref().map(parse_facts).transpose()?;
            let lines = args
                .lines
                .as_deref()
                .map(read_lines)
                .transpose()?
                .unwrap_or_default();
            let new = NewDocument {
                doc_type,
                title: args.title.clone(),
                amount,
                currency: args.currency.clone(),
                department: args.department.clone(),
                category: args.category.clone(),
                project: args.project.clone(),
                facts,
                lines,
            };
            if args.submit {
                documents::create_and_submit(file, session, &new).await?
            } else {
                documents::create(file, session, &new).await?
            }
        }
        DocCommand::Edit(args) => {
            // The amount is read in the document's own currency.
            let amount = match &args.amount {
                None => None,
                Some(text) => {
                    let current = documents::show(file, session, &args.id).await?;
                    Some(Money::parse(text, Currency::from_str(&current.currency)?)?.amount)
                }
            };
            let change = DocumentEdit {
                title: args.title.clone(),
                amount,
                department: args.department.clone(),
                category: args.category.clone(),
                project: args.project.clone(),
                facts: args.facts.as_deref().map(parse_facts).transpose()?,
                lines: args.lines.as_deref().map(read_lines).transpose()?,
            };
            documents::edit(file, session, &args.id, &change).await?
        }
        DocCommand::Submit { id } => documents::submit(file, session, id).await?,
        DocCommand::Resubmit { id, note } => {
            documents::resubmit(file, session, id, note.as_deref()).await?
        }
        DocCommand::Recall { id } => documents::recall(file, session, id).await?,
        DocCommand::Cancel { id } => documents::cancel(file, session, id).await?,
        DocCommand::Show { id } => documents::show(file, session, id).await?,
    };
    let text = document_text(&view);
    Ok(Reply::entity(&view, text))
}

fn parse_facts(text: &str) -> Result<serde_json::Value, Failure> {
    serde_json::from_str(text).map_err(|e| {
        bad_input(format!(
            "--facts is not JSON ({e}): write '{{\"key\": \"value\"}}'."
        ))
    })
}

fn read_lines(path: &Path) -> Result<Vec<NewDocumentLine>, Failure> {
    serde_json::from_str(&read_file(path)?).map_err(|e| {
        bad_input(format!(
            "{} is not a JSON array of lines ({e}). Each line: {{\"description\": \"..\", \
             \"quantity\": \"2\", \"unit_price\": \"1500.00\", \"tax_code\": \"B\"}}.",
            path.display()
        ))
    })
}

/// A stored word as people read it: "pending approval", not `pending_approval`.
fn words(stored: &str) -> String {
    stored.replace('_', " ")
}

/// "KES 12,500.00", like every other amount Hesabu shows; the raw text if it does not parse.
fn display_amount(amount: &str, currency: &str) -> String {
    currency
        .parse::<Currency>()
        .and_then(|c| Money::parse(amount, c))
        .map(|m| m.to_string())
        .unwrap_or_else(|_| format!("{currency} {amount}"))
}

fn document_text(d: &DocumentView) -> String {
    let mut out = format!(
        "{} {} — {}\nStatus:     {}\nAmount:     {}\nRequester:  {} <{}>\nDepartment: {}\nId:         {}\n",
        d.number,
        words(d.doc_type.as_str()),
        d.title,
        words(d.status.as_str()),
        display_amount(&d.amount, &d.currency),
        d.requester_name,
        d.requester_email,
        d.department.as_deref().unwrap_or("—"),
        d.id
    );
    if let Some(note) = &d.budget_note {
        out.push_str(&format!("Budget:     {note}\n"));
    }
    if let Some(r) = &d.current_request {
        out.push_str(&format!(
            "Request:    {} (round {}, {})\nWhy:        {}\n",
            r.id, r.round, r.status, r.explain
        ));
        let rows = r
            .steps
            .iter()
            .map(|s| {
                let who = if s.acting_email == s.approver_email {
                    s.approver_name.clone()
                } else {
                    format!("{} for {}", s.acting_name, s.approver_name)
                };
                vec![
                    s.level.to_string(),
                    s.level_name.clone(),
                    who,
                    words(&s.status),
                    s.due_at.clone().unwrap_or_default(),
                ]
            })
            .collect();
        out.push_str(&table(
            &["LEVEL", "NAME", "APPROVER", "STATUS", "DUE"],
            rows,
        ));
    }
    out
}

pub(crate) async fn approval(
    command: &ApprovalCommand,
    file: &CompanyFile,
    session: &Session,
) -> Result<Reply, Failure> {
    Ok(match command {
        ApprovalCommand::Inbox => {
            let items = actions::inbox(file, session).await?;
            let rows = items
                .iter()
                .map(|i| {
                    vec![
                        i.request_id.clone(),
                        i.document_number.clone(),
                        i.title.clone(),
                        format!("{} {}", i.currency, i.amount),
                        i.level.to_string(),
                        format!(
                            "{}{}",
                            i.due_at.clone().unwrap_or_default(),
                            if i.overdue { " (overdue)" } else { "" }
                        ),
                    ]
                })
                .collect();
            Reply::list(
                &items,
                table(
                    &["REQUEST", "DOCUMENT", "TITLE", "AMOUNT", "LEVEL", "DUE"],
                    rows,
                ),
            )
        }
        ApprovalCommand::Act(args) => {
            let decision = if args.approve {
                Decision::Approve
            } else if args.reject {
                Decision::Reject
            } else if args.return_ {
                Decision::Return
            } else if args.clarify {
                Decision::Clarify
            } else {
                Decision::Delegate
            };
            let result = actions::act(
                file,
                session,
                &args.request_id,
                &ActionInput {
                    decision,
                    comment: args.comment.clone(),
                    delegate_to: args.delegate_to.clone(),
                    expected_version: args.expected_version,
                },
            )
            .await?;
            let text = format!(
                "Done: {}. The document is now {}{}.\n",
                result.decision.as_str(),
                words(result.document_status.as_str()),
                result
                    .pending_level
                    .map(|l| format!(" (waiting at level {l})"))
                    .unwrap_or_default()
            );
            Reply::entity(&result, text)
        }
        ApprovalCommand::BulkApprove { request_ids } => {
            let result = actions::bulk_approve(file, session, request_ids).await?;
            let mut text = format!(
                "Approved {} of {}.\n",
                result.succeeded.len(),
                request_ids.len()
            );
            for f in &result.failed {
                text.push_str(&format!("  {}: {}\n", f.request_id, f.message));
            }
            let reply = Reply::entity(&result, text);
            if result.failed.is_empty() {
                reply
            } else {
                let message = format!(
                    "{} of {} requests were not approved (see the per-item reasons).",
                    result.failed.len(),
                    request_ids.len()
                );
                reply.with_failure(2, "conflict", &message)
            }
        }
        ApprovalCommand::History { document_id } => {
            let entries = actions::history(file, session, document_id).await?;
            let rows = entries
                .iter()
                .map(|e| vec![e.at.clone(), e.text.clone()])
                .collect();
            Reply::list(&entries, table(&["AT", "WHAT"], rows))
        }
        ApprovalCommand::Notifications => {
            let list = notifications::list(file, session).await?;
            let rows = list
                .iter()
                .map(|n| vec![n.created_at.clone(), n.kind.clone(), n.message.clone()])
                .collect();
            Reply::list(&list, table(&["AT", "KIND", "MESSAGE"], rows))
        }
        ApprovalCommand::Sla { days } => {
            let sla = actions::sla_compliance(file, session, *days).await?;
            let text = match &sla.percent {
                Some(p) => format!(
                    "SLA compliance ({}, last {} days): {p}% ({} of {} decisions on time)",
                    sla.scope, sla.days, sla.met, sla.decided
                ),
                None => format!("No decisions yet in the last {} days.", sla.days),
            };
            Reply::entity(&sla, text)
        }
    })
}

pub(crate) async fn delegation(
    command: &DelegationCommand,
    file: &CompanyFile,
    session: &Session,
) -> Result<Reply, Failure> {
    Ok(match command {
        DelegationCommand::Add {
            to,
            from,
            until,
            doc_types,
            departments,
            max_amount,
        } => {
            let doc_types = doc_types
                .as_ref()
                .map(|types| {
                    types
                        .iter()
                        .map(|t| DocumentType::from_str(t))
                        .collect::<Result<Vec<_>, _>>()
                })
                .transpose()?;
            let max_amount = max_amount
                .as_deref()
                .map(|m| Money::parse(m, Currency::kes()).map(|m| m.amount))
                .transpose()?;
            let d = delegations::add(
                file,
                session,
                &NewDelegation {
                    to_email: to.clone(),
                    valid_from: from.clone(),
                    valid_until: until.clone(),
                    doc_types,
                    departments: departments.clone(),
                    max_amount,
                },
            )
            .await?;
            let text = format!(
                "Delegated to {} from {} until {} ({}); {} open step(s) moved.\n",
                d.delegate_name, d.valid_from, d.valid_until, d.state, d.rerouted_steps
            );
            Reply::entity(&d, text)
        }
        DelegationCommand::List => {
            let list = delegations::list(file, session).await?;
            let rows = list
                .iter()
                .map(|d| {
                    vec![
                        d.id.clone(),
                        d.delegator_email.clone(),
                        d.delegate_email.clone(),
                        d.valid_from.clone(),
                        d.valid_until.clone(),
                        d.state.clone(),
                    ]
                })
                .collect();
            Reply::list(
                &list,
                table(
                    &["ID", "FROM USER", "TO USER", "FROM", "UNTIL", "STATE"],
                    rows,
                ),
            )
        }
        DelegationCommand::Revoke { id } => {
            let d = delegations::revoke(file, session, id).await?;
            Reply::entity(
                &d,
                format!("Revoked the delegation to {}.\n", d.delegate_name),
            )
        }
    })
}

pub(crate) async fn org(
    command: &OrgCommand,
    file: &CompanyFile,
    session: &Session,
) -> Result<Reply, Failure> {
    Ok(match command {
        OrgCommand::SetHead { department, user } => {
            org::set_department_head(file, session, department, user).await?;
            Reply::entity(
                &json!({ "department": department, "head": user }),
                format!("{user} now heads {department}.\n"),
            )
        }
        OrgCommand::Designate { email, designation } => {
            org::designate(file, session, email, designation).await?;
            Reply::entity(
                &json!({ "email": email, "designation": designation }),
                format!("{email} is designated {designation}.\n"),
            )
        }
        OrgCommand::Holiday { date, name } => {
            org::add_holiday(file, session, date, name).await?;
            Reply::entity(
                &json!({ "date": date, "name": name }),
                format!("Added the holiday {name} on {date}.\n"),
            )
        }
    })
}
