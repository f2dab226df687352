//! The `hesabu` command line as a library: parse arguments, authenticate the `--as` user, call
//! one core service, print the result as text or (with `--json`) as one JSON value.
//!
//! Exit codes: 0 success; 2 bad input (including unknown files and duplicates); 3 permission
//! denied or failed login; 1 anything else (storage, a broken audit chain, internal errors).
//! Errors go to stderr, as `{"error":{"kind":..,"message":..}}` with `--json`.

mod approvals;
mod backup;
mod budget;
mod etims;
mod export;
mod jobs;
mod output;
mod qbo;
mod receipts;
mod sales;
mod sandbox;
mod sync;
mod workflows;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use hesabu_app::demo;
use hesabu_core::company::CompanySettingsUpdate;
use hesabu_core::company::NewCompany;
use hesabu_core::users::NewUser;
use hesabu_core::{company, departments, users};
use hesabu_store::auth::{self, Session};
use hesabu_store::clock::{SharedClock, SystemClock};
use hesabu_store::company_file::CompanyFile;
use hesabu_store::outbox::Targets;
use hesabu_store::permissions::Role;
use hesabu_store::{ErrorKind, audit};
use serde_json::{Value, json};

pub use output::Outcome;
use output::{Reply, table};

/// What the CLI reads from its environment. `main` fills it from the process; tests build one.
#[derive(Debug, Clone)]
pub struct Env {
    /// `HESABU_COMPANY`: the company file when `--company` is not given.
    pub company: Option<String>,
    /// `HESABU_AS`: the acting user when `--as` is not given.
    pub as_email: Option<String>,
    /// `HESABU_PASSWORD`: the acting user's password (or a new company's admin password).
    pub password: Option<String>,
    /// `HESABU_NEW_PASSWORD`: the password for `user add`.
    pub new_password: Option<String>,
    /// Whether stdin is a terminal, so a missing password may be prompted for.
    pub interactive: bool,
    /// Whether stderr is a terminal, so `sync run` may draw a live progress bar there.
    pub progress: bool,
    pub clock: SharedClock,
    /// The outbox targets this installation can send to, besides the open file's own (its
    /// e-TIMS device's target is added per file by `hesabu_app::etims::targets_for_file` for
    /// `sync` and `jobs`); tests pass loopback targets.
    pub targets: Targets,
    /// `HESABU_SECRETS`: where secrets are kept (`file:PATH`); `None`: the OS keyring. Read by
    /// `hesabu qbo` (the other commands read the variable itself).
    pub secrets: Option<String>,
    /// `HESABU_QBO_CLIENT_SECRET`: the Intuit app's client secret for `qbo configure` and `qbo
    /// broker` (never a flag).
    pub qbo_client_secret: Option<String>,
}

impl Env {
    pub fn from_process(interactive: bool) -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        Self {
            company: var("HESABU_COMPANY"),
            as_email: var("HESABU_AS"),
            password: var("HESABU_PASSWORD"),
            new_password: var("HESABU_NEW_PASSWORD"),
            interactive,
            progress: std::io::stderr().is_terminal(),
            clock: Arc::new(SystemClock),
            targets: Targets::new(),
            secrets: var(hesabu_store::secrets::SECRETS_ENV),
            qbo_client_secret: var("HESABU_QBO_CLIENT_SECRET"),
        }
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "hesabu",
    version,
    about = "Hesabu: approvals, budgets and KRA e-TIMS for small businesses, from the command line."
)]
struct Cli {
    /// The company file (or set HESABU_COMPANY).
    #[arg(long, global = true, value_name = "PATH")]
    company: Option<PathBuf>,
    /// Act as this user; the password comes from HESABU_PASSWORD or a prompt (or set HESABU_AS).
    #[arg(long = "as", global = true, value_name = "EMAIL")]
    as_email: Option<String>,
    /// Print one JSON value instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a company file, show or change its settings.
    #[command(subcommand)]
    Company(CompanyCommand),
    /// Add, list and deactivate users.
    #[command(subcommand)]
    User(UserCommand),
    /// Add and list departments (cost centres).
    #[command(subcommand)]
    Department(DepartmentCommand),
    /// Read and verify the tamper-evident audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Budgets: import, check, reserve, commit, release, report.
    #[command(subcommand)]
    Budget(budget::BudgetCommand),
    /// Create the demo company.
    #[command(subcommand)]
    Demo(DemoCommand),
    /// Import, list and validate approval policies.
    #[command(subcommand)]
    Policy(approvals::PolicyCommand),
    /// Create and move documents through approval.
    #[command(subcommand)]
    Doc(approvals::DocCommand),
    /// Your approval inbox, decisions, bulk approve and history.
    #[command(subcommand)]
    Approval(approvals::ApprovalCommand),
    /// Delegate your approvals while you are away.
    #[command(subcommand)]
    Delegation(approvals::DelegationCommand),
    /// The scheduler: run what is due (approvals, outbox retries, daily summary, backup), list
    /// the jobs, change a schedule.
    #[command(subcommand)]
    Jobs(jobs::JobsCommand),
    /// Generated reports (the daily summary PDFs).
    #[command(subcommand)]
    Reports(jobs::ReportsCommand),
    /// Queue depth, executions, error rate, SLA compliance (a table, or --json).
    Monitor,
    /// Department heads, designations and holidays used by approval routing.
    #[command(subcommand)]
    Org(approvals::OrgCommand),
    /// The outbox: what is queued for e-TIMS and QuickBooks, and sending it.
    #[command(subcommand)]
    Sync(sync::SyncCommand),
    /// Back up the company file, list backups, restore one.
    #[command(subcommand)]
    Backup(backup::BackupCommand),
    /// Workflows that send invoices, customers, items, credit notes and sales to e-TIMS.
    #[command(subcommand)]
    Workflow(workflows::WorkflowCommand),
    /// Business rules: decision tables evaluated when documents are created and submitted.
    #[command(subcommand)]
    Rules(workflows::RulesCommand),
    /// Customers: add, list, show, edit, deactivate, import.
    #[command(subcommand)]
    Customer(sales::CustomerCommand),
    /// Items: add, list, show, edit, deactivate, import (each gets its KRA item code).
    #[command(subcommand)]
    Item(sales::ItemCommand),
    /// Invoices, credit notes and cash sales: create, issue, void, show, list, totals.
    #[command(subcommand)]
    Sale(sales::SaleCommand),
    /// ETR receipts: list, show, preview, save as PDF, print (original, then COPY), printers.
    #[command(subcommand)]
    Receipt(receipts::ReceiptCommand),
    /// Write a list (budgets, a budget's ledger, documents, the audit log, executions, sales)
    /// to a CSV or XLSX file: --format csv|xlsx --output FILE, and the list's own filters.
    #[command(subcommand)]
    Export(export::ExportCommand),
    /// KRA e-TIMS: the device (init, show), a sale's status, payload, checklist, send; lookup.
    #[command(subcommand)]
    Etims(etims::EtimsCommand),
    /// QuickBooks Online: configure, connect, status, pull, push, reviews, disconnect; and the
    /// token broker a firm hosts (`qbo broker`).
    #[command(subcommand)]
    Qbo(qbo::QboCommand),
    /// Run a local sandbox (a test double of KRA e-TIMS or of QuickBooks Online) until Ctrl-C.
    #[command(subcommand)]
    Sandbox(sandbox::SandboxCommand),
}

#[derive(Debug, Subcommand)]
enum CompanyCommand {
    /// Create a new company file; its admin's password comes from HESABU_PASSWORD.
    Create(CreateCompanyArgs),
    /// Show the company settings.
    Info,
    /// Change company settings; options not given keep their value.
    Update(UpdateCompanyArgs),
    /// Show the work week that SLA business hours count in.
    WorkWeek,
    /// Set the work week for SLA business hours, e.g. --days mon,tue,wed,thu,fri --start 08:00
    /// --end 17:00. Options not given keep their value. Steps already pending keep their due time.
    SetWorkWeek {
        /// Working weekdays, comma-separated: mon,tue,wed,thu,fri,sat,sun.
        #[arg(long)]
        days: Option<String>,
        /// Start of the working day, HH:MM (company time zone).
        #[arg(long)]
        start: Option<String>,
        /// End of the working day, HH:MM.
        #[arg(long)]
        end: Option<String>,
    },
}

#[derive(Debug, Args)]
struct CreateCompanyArgs {
    /// Legal name, as registered with KRA.
    #[arg(long)]
    name: String,
    #[arg(long)]
    trading_name: Option<String>,
    /// KRA PIN, e.g. P051234567X.
    #[arg(long)]
    kra_pin: String,
    /// KRA branch id (two digits; 00 is the head office).
    #[arg(long, default_value = "00")]
    branch: String,
    #[arg(long)]
    address: Option<String>,
    /// Month the fiscal year starts (1 = January).
    #[arg(long, default_value_t = 1)]
    fiscal_year_start: u8,
    #[arg(long)]
    admin_email: String,
    #[arg(long)]
    admin_name: String,
    /// Where to create the company file (e.g. savannah.hesabu).
    path: PathBuf,
}

#[derive(Debug, Args)]
struct UpdateCompanyArgs {
    #[arg(long)]
    name: Option<String>,
    #[arg(long)]
    trading_name: Option<String>,
    #[arg(long)]
    kra_pin: Option<String>,
    #[arg(long)]
    branch: Option<String>,
    #[arg(long)]
    address: Option<String>,
    #[arg(long)]
    fiscal_year_start: Option<u8>,
    #[arg(long)]
    time_zone: Option<String>,
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Add a user; their password comes from HESABU_NEW_PASSWORD.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// admin, finance_manager, finance_user, approver, employee or auditor.
        #[arg(long)]
        role: String,
        /// Their reporting manager's email.
        #[arg(long)]
        manager: Option<String>,
        /// Their department's name.
        #[arg(long)]
        department: Option<String>,
    },
    List,
    /// Stop a user from signing in; their history stays.
    Deactivate {
        email: String,
    },
}

#[derive(Debug, Subcommand)]
enum DepartmentCommand {
    Add { name: String },
    List,
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// The newest entries first, optionally filtered.
    List {
        #[arg(long, default_value_t = 50)]
        limit: u64,
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
    },
    /// Walk the hash chain; exit 1 naming the first broken entry.
    Verify,
}

#[derive(Debug, Subcommand)]
enum DemoCommand {
    /// Create the demo company (users @demo.test, password hesabu-demo).
    Create {
        path: PathBuf,
        /// Also what the desktop's demo has: rules, the e-TIMS workflows, the sales ledger, and
        /// its invoices and credit note signed by a local test double of KRA (not KRA); and its
        /// QuickBooks, a local test double of QuickBooks Online (not Intuit's), pulled, signed
        /// and written back.
        #[arg(long)]
        showcase: bool,
    },
}

/// A failure on its way out: the kind decides the exit code.
pub(crate) struct Failure {
    kind: ErrorKind,
    message: String,
}

impl Failure {
    pub(crate) fn internal(message: &str) -> Self {
        Failure {
            kind: ErrorKind::Internal,
            message: message.into(),
        }
    }
}

impl From<hesabu_store::Error> for Failure {
    fn from(e: hesabu_store::Error) -> Self {
        Failure {
            kind: e.kind(),
            message: e.to_string(),
        }
    }
}

pub(crate) fn bad_input(message: impl Into<String>) -> Failure {
    Failure {
        kind: ErrorKind::InvalidInput,
        message: message.into(),
    }
}

/// The text of a JSON definition file (a policy, a rule table, a workflow file): its size is
/// checked before it is read, then its encoding (see `hesabu_core::rules::definition`).
pub(crate) fn read_definition(
    path: &std::path::Path,
    definition: hesabu_core::rules::definition::Definition,
) -> Result<String, Failure> {
    let unreadable =
        |e: std::io::Error| bad_input(format!("Could not read {}: {e}", path.display()));
    let size = std::fs::metadata(path).map_err(unreadable)?.len();
    hesabu_store::limits::check_bytes(
        &format!("{} {}", definition.what, path.display()),
        usize::try_from(size).unwrap_or(usize::MAX),
        hesabu_store::limits::DEFINITION_BYTES,
    )?;
    Ok(definition.text_of(&std::fs::read(path).map_err(unreadable)?)?)
}

pub fn exit_code(kind: ErrorKind) -> i32 {
    match kind {
        ErrorKind::InvalidInput | ErrorKind::NotFound | ErrorKind::Conflict => 2,
        ErrorKind::PermissionDenied | ErrorKind::AuthFailed => 3,
        ErrorKind::AuditBroken
        | ErrorKind::Unavailable
        | ErrorKind::Storage
        | ErrorKind::Internal => 1,
    }
}

/// Runs one command line (`args[0]` is the program name) and returns what to print and the
/// exit code. Never panics on bad input and never exits the process itself.
pub async fn run(args: Vec<String>, env: Env) -> Outcome {
    let wants_json = args.iter().any(|a| a == "--json");
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version arrive here too, as "errors" that print to stdout.
            if !e.use_stderr() {
                return Outcome {
                    code: 0,
                    stdout: e.to_string(),
                    stderr: String::new(),
                };
            }
            return Outcome::failure(wants_json, 2, "invalid_input", &e.to_string());
        }
    };
    let json = cli.json;
    match dispatch(cli, &env).await {
        Ok(reply) => reply.into_outcome(json),
        Err(failure) => {
            let kind = serde_json::to_value(failure.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            Outcome::failure(json, exit_code(failure.kind), &kind, &failure.message)
        }
    }
}

async fn dispatch(cli: Cli, env: &Env) -> Result<Reply, Failure> {
    match &cli.command {
        Command::Company(CompanyCommand::Create(args)) => create_company(args, env).await,
        Command::Qbo(qbo::QboCommand::Broker(args)) => {
            Box::pin(qbo::broker(args, env, cli.json)).await
        }
        Command::Demo(DemoCommand::Create { path, showcase }) => {
            create_demo(path, *showcase, env).await
        }
        Command::Sandbox(command) => sandbox::run(command, cli.json).await,
        Command::Backup(restore @ backup::BackupCommand::Restore { .. }) => {
            // Restore replaces the file, so it takes (and closes) the open handle itself.
            let (file, session) = sign_in(&cli, env).await?;
            backup::restore(restore, file, &session).await
        }
        _ => {
            let (file, session) = sign_in(&cli, env).await?;
            let reply = acting_command(&cli.command, &file, &session, env).await;
            let _ = file.close().await;
            reply
        }
    }
}

async fn sign_in(cli: &Cli, env: &Env) -> Result<(CompanyFile, Session), Failure> {
    let path = cli
        .company
        .clone()
        .or_else(|| env.company.as_ref().map(PathBuf::from))
        .ok_or_else(|| {
            bad_input("Which company file? Pass --company PATH or set HESABU_COMPANY.")
        })?;
    let email = cli
        .as_email
        .clone()
        .or_else(|| env.as_email.clone())
        .ok_or_else(|| {
            bad_input("Who is acting? Pass --as EMAIL (the password comes from HESABU_PASSWORD).")
        })?;
    let password = password_for(
        env,
        env.password.as_deref(),
        &format!("Password for {email}: "),
    )?;
    let file = hesabu_app::open_company_file(&path, env.clock.clone()).await?;
    let session = auth::login(&file, &email, &password).await?;
    Ok((file, session))
}

/// A password from the environment, or typed at a terminal prompt.
fn password_for(env: &Env, from_env: Option<&str>, prompt: &str) -> Result<String, Failure> {
    if let Some(p) = from_env {
        return Ok(p.to_owned());
    }
    if env.interactive {
        return rpassword::prompt_password(prompt)
            .map_err(|e| bad_input(format!("Could not read the password: {e}")));
    }
    Err(Failure {
        kind: ErrorKind::AuthFailed,
        message: "No password given: set HESABU_PASSWORD (or run in a terminal to be asked)."
            .into(),
    })
}

async fn acting_command(
    command: &Command,
    file: &CompanyFile,
    session: &Session,
    env: &Env,
) -> Result<Reply, Failure> {
    Ok(match command {
        Command::Company(CompanyCommand::Info) => {
            let info = company::info(file, session).await?;
            Reply::entity(&info, output::company_text(&info))
        }
        Command::Company(CompanyCommand::Update(args)) => {
            let current = company::info(file, session).await?;
            let change = CompanySettingsUpdate {
                legal_name: args.name.clone().unwrap_or(current.legal_name),
                trading_name: args.trading_name.clone().or(current.trading_name),
                kra_pin: args.kra_pin.clone().unwrap_or(current.kra_pin),
                branch_id: args.branch.clone().unwrap_or(current.branch_id),
                address: args.address.clone().or(current.address),
                fiscal_year_start_month: args
                    .fiscal_year_start
                    .unwrap_or(current.fiscal_year_start_month),
                time_zone: args.time_zone.clone().unwrap_or(current.time_zone),
            };
            let info = company::update(file, session, &change).await?;
            Reply::entity(&info, output::company_text(&info))
        }
        Command::Company(CompanyCommand::WorkWeek) => {
            let week = hesabu_core::approvals::calendar::work_week(file, session).await?;
            let text = work_week_text(&week);
            Reply::entity(&week, text)
        }
        Command::Company(CompanyCommand::SetWorkWeek { days, start, end }) => {
            let current = hesabu_core::approvals::calendar::work_week(file, session).await?;
            let change = hesabu_core::approvals::wire::WorkWeekUpdate {
                days: days.clone().map_or(current.days, |d| vec![d]),
                start: start.clone().unwrap_or(current.start),
                end: end.clone().unwrap_or(current.end),
            };
            let week =
                hesabu_core::approvals::calendar::set_work_week(file, session, &change).await?;
            let text = work_week_text(&week);
            Reply::entity(&week, text)
        }
        Command::User(UserCommand::Add {
            email,
            name,
            role,
            manager,
            department,
        }) => {
            let role: Role = role.parse()?;
            // Check the permission before asking for a password nobody will use.
            session.require(hesabu_store::permissions::Permission::UserManage)?;
            let password = password_for(
                env,
                env.new_password.as_deref(),
                &format!("New password for {email}: "),
            )
            .map_err(|_| bad_input("Set HESABU_NEW_PASSWORD to the new user's password."))?;
            let user = hesabu_app::users::add(
                file,
                session,
                &NewUser {
                    email: email.clone(),
                    name: name.clone(),
                    role,
                    manager_email: manager.clone(),
                    department: department.clone(),
                    password,
                },
            )
            .await?;
            let text = format!("Added {} <{}> as {}.\n", user.name, user.email, user.role);
            Reply::entity(&user, text)
        }
        Command::User(UserCommand::List) => {
            let list = users::list(file, session).await?;
            let rows = list
                .iter()
                .map(|u| {
                    vec![
                        u.name.clone(),
                        u.email.clone(),
                        u.role.to_string(),
                        u.department.clone().unwrap_or_default(),
                        u.manager_email.clone().unwrap_or_default(),
                        if u.active { "active" } else { "deactivated" }.into(),
                    ]
                })
                .collect();
            let text = table(
                &["NAME", "EMAIL", "ROLE", "DEPARTMENT", "MANAGER", "STATUS"],
                rows,
            );
            Reply::list(&list, text)
        }
        Command::User(UserCommand::Deactivate { email }) => {
            let user = hesabu_app::users::deactivate(file, session, email).await?;
            Reply::entity(
                &user,
                format!("Deactivated {} <{}>.\n", user.name, user.email),
            )
        }
        Command::Department(DepartmentCommand::Add { name }) => {
            let d = departments::add(file, session, name).await?;
            Reply::entity(&d, format!("Added department {}.\n", d.name))
        }
        Command::Department(DepartmentCommand::List) => {
            let list = departments::list(file, session).await?;
            let rows = list
                .iter()
                .map(|d| vec![d.name.clone(), d.id.clone()])
                .collect();
            Reply::list(&list, table(&["NAME", "ID"], rows))
        }
        Command::Audit(AuditCommand::List {
            limit,
            user,
            entity,
            entity_id,
            action,
            from,
            to,
        }) => {
            let query = audit::AuditQuery {
                actor: user.clone(),
                entity_type: entity.clone(),
                entity_id: entity_id.clone(),
                action: action.clone(),
                from: from.clone(),
                to: to.clone(),
                before_seq: None,
                limit: Some(*limit),
            };
            let zone = hesabu_core::company::time_zone(file).await?;
            let page = audit::search(file, session, &query, &zone).await?;
            let rows = page
                .entries
                .iter()
                .map(|e| {
                    vec![
                        e.seq.to_string(),
                        e.at.clone(),
                        e.actor_name
                            .clone()
                            .unwrap_or_else(|| e.actor_email.clone()),
                        e.action.clone(),
                        format!("{} {}", e.entity_type, e.entity_id),
                    ]
                })
                .collect();
            Reply::list(
                &page.entries,
                table(&["#", "AT", "ACTOR", "ACTION", "ENTITY"], rows),
            )
        }
        Command::Audit(AuditCommand::Verify) => {
            let report = audit::verify(file, session).await?;
            match &report.first_broken {
                None => Reply::entity(
                    &report,
                    format!(
                        "Audit log intact: {} entries verified.\n",
                        report.entries_checked
                    ),
                ),
                Some(broken) => {
                    let message = format!(
                        "The audit log has been tampered with at {}. Restore the company file \
                         from a backup taken before that entry and report it to your auditor.",
                        broken.describe()
                    );
                    Reply::entity(&report, String::new()).with_failure(1, "audit_broken", &message)
                }
            }
        }
        Command::Budget(command) => budget::run(command, file, session).await?,
        Command::Policy(c) => approvals::policy(c, file, session).await?,
        Command::Doc(c) => approvals::doc(c, file, session).await?,
        Command::Approval(c) => approvals::approval(c, file, session).await?,
        Command::Delegation(c) => approvals::delegation(c, file, session).await?,
        Command::Jobs(c) => {
            let (env, _demo_sandbox) = sandbox::with_file_targets(env, file).await?;
            jobs::jobs(c, file, session, &env).await?
        }
        Command::Reports(c) => jobs::reports_cmd(c, file, session).await?,
        Command::Monitor => jobs::monitor_cmd(file, session).await?,
        Command::Org(c) => approvals::org(c, file, session).await?,
        Command::Sync(command) => {
            let (env, _demo_sandbox) = sandbox::with_file_targets(env, file).await?;
            sync::run(command, file, session, &env).await?
        }
        Command::Backup(command) => backup::run(command, file, session).await?,
        Command::Workflow(c) => workflows::workflow(c, file, session).await?,
        Command::Rules(c) => workflows::rules_command(c, file, session).await?,
        Command::Customer(c) => sales::customer(c, file, session).await?,
        Command::Item(c) => sales::item(c, file, session).await?,
        Command::Sale(c) => sales::sale(c, file, session).await?,
        Command::Receipt(c) => receipts::run(c, file, session).await?,
        Command::Export(c) => export::run(c, file, session).await?,
        Command::Etims(c) => etims::run(c, file, session).await?,
        // Boxed: the QuickBooks futures are large, and an inline one grows every command's. The
        // demo's QuickBooks (the app's local sandbox) runs for the length of the command.
        Command::Qbo(c) => {
            let _demo_qbo = Box::pin(sandbox::demo_qbo(file)).await?;
            Box::pin(qbo::run(c, file, session, env)).await?
        }
        Command::Company(CompanyCommand::Create(_)) | Command::Demo(_) | Command::Sandbox(_) => {
            unreachable_command()?
        }
    })
}

fn unreachable_command() -> Result<Reply, Failure> {
    Err(Failure {
        kind: ErrorKind::Internal,
        message: "this command does not act on an open company file".into(),
    })
}

async fn create_company(args: &CreateCompanyArgs, env: &Env) -> Result<Reply, Failure> {
    let password = password_for(
        env,
        env.password.as_deref(),
        &format!("Choose a password for {}: ", args.admin_email),
    )
    .map_err(|_| bad_input("Set HESABU_PASSWORD to the new admin's password."))?;
    let new = NewCompany {
        legal_name: args.name.clone(),
        trading_name: args.trading_name.clone(),
        kra_pin: args.kra_pin.clone(),
        branch_id: Some(args.branch.clone()),
        address: args.address.clone(),
        fiscal_year_start_month: Some(args.fiscal_year_start),
        admin_email: args.admin_email.clone(),
        admin_name: args.admin_name.clone(),
        admin_password: password,
    };
    let (file, session) = hesabu_app::create_company(&args.path, &new, env.clock.clone()).await?;
    let info = company::info(&file, &session).await?;
    let _ = file.close().await;
    let text = format!(
        "Created {} at {} with admin {}.\n",
        info.legal_name,
        args.path.display(),
        session.email()
    );
    Ok(Reply::entity(&with_path(&info, &args.path), text))
}

async fn create_demo(path: &std::path::Path, showcase: bool, env: &Env) -> Result<Reply, Failure> {
    let (file, session) = demo::create(path, env.clock.clone()).await?;
    let mut signed = String::new();
    if showcase {
        demo::add_workflow_showcase(&file).await?;
        // The sandboxes stop when this command ends; `sync`, `jobs` and `qbo` start others for
        // the demo.
        let (sandbox, _summary) = demo::sign_with_local_sandbox(&file).await?;
        // Counted from the signatures, not the drain: the drain also sends stock movements.
        let signed_sales = hesabu_core::sales::fiscal::signed_count(file.reader()).await?;
        let (_qbo, seed) = Box::pin(demo::connect_local_quickbooks(&file, &sandbox)).await?;
        signed = format!(
            "{} sales signed by the app's local e-TIMS sandbox (a test double of KRA, not KRA).\n\
             Connected to the app's local QuickBooks sandbox (a test double of QuickBooks \
             Online, not Intuit's): {} sales pulled, {} signed and written back.\n",
            signed_sales, seed.first_pull.sales_issued, seed.write_back.done
        );
    }
    let info = company::info(&file, &session).await?;
    let _ = file.close().await;
    let text = format!(
        "Created the demo company {} at {}.\n{signed}Sign in as {} (or any user ending \
         @demo.test) with the password {}.\n",
        info.legal_name,
        path.display(),
        demo::DEMO_ADMIN_EMAIL,
        demo::DEMO_PASSWORD
    );
    Ok(Reply::entity(&with_path(&info, path), text))
}

/// The company as JSON, plus where its file is.
fn with_path(info: &hesabu_core::company::CompanyInfo, path: &std::path::Path) -> Value {
    let mut value = serde_json::to_value(info).unwrap_or_else(|_| json!({}));
    if let Value::Object(map) = &mut value {
        map.insert("path".into(), Value::String(path.display().to_string()));
    }
    value
}

fn work_week_text(week: &hesabu_core::approvals::wire::WorkWeekView) -> String {
    format!(
        "Work week: {} {}-{} ({}), {} business hours a week.",
        week.days.join(","),
        week.start,
        week.end,
        week.time_zone,
        week.hours_per_week
    )
}
