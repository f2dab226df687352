//! `hesabu etims …`: the company's KRA e-TIMS device and the fiscal status of its sales. Thin:
//! parse, call one service (`hesabu_app::etims`, `hesabu_core::sales::fiscal`), print.
//!
//! The device's communication key goes to the secret store chosen by `HESABU_SECRETS` (the OS
//! keyring by default), never to the company file.

use clap::Subcommand;
use hesabu_app::etims::{Timeouts, device, fiscal, masters, reference};
use hesabu_core::sales::fiscal::{self as ledger, DeviceView, GatewayProfile, SubmissionView};
use hesabu_core::sales::tax::UnusedBandRate;
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::secrets::{SecretStore, store_from_env};

use crate::output::{Reply, table};
use crate::{Env, Failure, bad_input};

mod items_extra;
mod kra;
mod purchases;
mod stock;

#[derive(Debug, Subcommand)]
pub(crate) enum EtimsCommand {
    /// The company's OSCU device: initialise it once, show it, set its counter.
    #[command(subcommand)]
    Device(DeviceCommand),
    /// A sale's e-TIMS status: submission state, KRA's message, its numbers.
    Status { document: String },
    /// Print the JSON a sale is (or would be) sent to KRA with, without sending it.
    Payload { document: String },
    /// The pre-send checklist of a sale: every problem that would stop it, with the fix.
    Checklist { document: String },
    /// Look an e-TIMS invoice number up at KRA (changes nothing).
    Lookup { invc_no: i64 },
    /// The fiscal queue: every issued sale KRA has not signed, unknown outcomes first, then the
    /// longest waiting, then the rejected ones, with KRA's message and the last send.
    Queue,
    /// Queue a sale for KRA now (runs its workflow); `hesabu sync run` sends it.
    Send { document: String },
    /// Give up the e-TIMS number of a sale stuck on counter drift, once KRA confirms it holds
    /// that number as another document; the sale is queued again for the next number.
    GiveUp {
        document: String,
        /// Why (what the eTIMS portal showed): kept in the audit log.
        #[arg(long)]
        reason: String,
    },
    /// KRA's reference data (code lists, item classifications, notices) cached in the file.
    #[command(subcommand)]
    Codes(CodesCommand),
    /// KRA's notices, as last pulled (`etims codes refresh`).
    Notices,
    /// Customers at KRA: look a PIN up, register a customer.
    #[command(subcommand)]
    Customer(CustomerCommand),
    /// Items at KRA: check one against the reference data, register it.
    #[command(subcommand)]
    Item(ItemCommand),
    /// What KRA keeps for the device: branches, items, imports, sales (reconciled), customers,
    /// taxpayer; `--refresh` pulls first.
    #[command(subcommand)]
    Kra(kra::KraCommand),
    /// The company's users as KRA's branch users: list them, register them.
    #[command(subcommand)]
    Users(kra::UsersCommand),
    /// Item compositions (bills of materials) at KRA: set one, show one.
    #[command(subcommand)]
    Composition(items_extra::CompositionCommand),
    /// The insurers the branch accepts (pharmacies): add, update, list.
    #[command(subcommand)]
    Insurer(items_extra::InsurerCommand),
    /// Items customs declared as imported: list them, accept one into an item, reject one.
    #[command(subcommand)]
    Imports(items_extra::ImportsCommand),
    /// The sales suppliers declared against the PIN: fetch, list, show, map lines, accept,
    /// reject.
    #[command(subcommand)]
    Purchases(purchases::PurchasesCommand),
    /// Stock of goods at KRA: levels, movements, opening stock, adjustments.
    #[command(subcommand)]
    Stock(stock::StockCommand),
}

#[derive(Debug, Subcommand)]
pub(crate) enum CodesCommand {
    /// Pull what changed at KRA since the last pull (code lists, item classes, notices).
    Refresh,
    /// The cached code lists: every class, or the codes of one (e.g. 04, 10, 17, 32).
    Show {
        #[arg(long = "class")]
        class: Option<String>,
    },
    /// What is cached and when each list was last pulled.
    Status,
}

#[derive(Debug, Subcommand)]
pub(crate) enum CustomerCommand {
    /// Check a KRA PIN: its format here, then at KRA (what strict or lenient mode makes of it).
    Check { pin: String },
    /// Register a customer (number, id or PIN) with KRA (saveBhfCustomer).
    Register { customer: String },
    /// A customer's registration with KRA.
    Show { customer: String },
}

#[derive(Debug, Subcommand)]
pub(crate) enum ItemCommand {
    /// Check an item against KRA's reference data (nothing is sent).
    Check { item: String },
    /// Register an item (code, id or KRA item code) with KRA (saveItem).
    Register { item: String },
    /// An item's registration with KRA.
    Show { item: String },
}

#[derive(Debug, Subcommand)]
pub(crate) enum DeviceCommand {
    /// Initialise the device with KRA (once), or enter the key of an installed device.
    Init(Box<InitArgs>),
    /// The device as stored (never the key).
    Show,
    /// Set the last e-TIMS invoice number used, after KRA named another one ("expected N").
    Counter {
        #[arg(long)]
        last: i64,
    },
    /// Show or set what a PIN KRA does not know (or lists as inactive) does: strict blocks the
    /// sale, lenient warns.
    PinCheck { mode: Option<String> },
}

/// `hesabu etims device init`.
#[derive(Debug, clap::Args)]
pub(crate) struct InitArgs {
    /// The device serial number declared on the eTIMS portal.
    #[arg(long)]
    pub(crate) serial: String,
    /// legacy (the direct OSCU API) or integrator (GavaConnect).
    #[arg(long, default_value = "legacy")]
    pub(crate) profile: String,
    /// The gateway's base URL (default: KRA's sandbox of the profile).
    #[arg(long)]
    pub(crate) base_url: Option<String>,
    /// The taxpayer's KRA PIN (default: the company's).
    #[arg(long)]
    pub(crate) tin: Option<String>,
    /// The branch id KRA gave the device (default: the company's).
    #[arg(long)]
    pub(crate) bhf_id: Option<String>,
    /// The key KRA issued at the first initialisation (after a 902 "device installed").
    #[arg(long, env = "HESABU_ETIMS_CMC_KEY", hide_env_values = true)]
    pub(crate) cmc_key: Option<String>,
    /// With --cmc-key: the SCU id (sdcId) from the portal or an earlier receipt.
    #[arg(long)]
    pub(crate) sdc_id: Option<String>,
    /// With --cmc-key: the MRC number.
    #[arg(long)]
    pub(crate) mrc_no: Option<String>,
    /// Integrator: the consumer key of your developer.go.ke app.
    #[arg(long)]
    pub(crate) consumer_key: Option<String>,
    /// Integrator: its consumer secret.
    #[arg(long, env = "HESABU_ETIMS_CONSUMER_SECRET", hide_env_values = true)]
    pub(crate) consumer_secret: Option<String>,
    /// Integrator: the OAuth token URL (default: the integrator sandbox's).
    #[arg(long)]
    pub(crate) token_url: Option<String>,
    /// The rate sent for tax bands a sale does not use: zero or code-list.
    #[arg(long, default_value = "zero")]
    pub(crate) unused_band_rate: String,
    /// Replace an initialised device (KRA answers 902 to a second initialisation).
    #[arg(long)]
    pub(crate) force: bool,
}

fn secrets() -> Result<Box<dyn SecretStore>, Failure> {
    Ok(store_from_env()?)
}

/// `env` with the targets of the open file (its e-TIMS device's, its QuickBooks connection's),
/// for the commands that drain the outbox (`sync`, `jobs`).
pub(crate) async fn with_file_targets(env: &Env, file: &CompanyFile) -> Result<Env, Failure> {
    if !hesabu_app::has_external_targets(file).await? {
        return Ok(env.clone());
    }
    let store: std::sync::Arc<dyn SecretStore> = secrets()?.into();
    let targets = hesabu_app::targets_for_file(file, store, &env.targets).await?;
    Ok(Env {
        targets,
        ..env.clone()
    })
}

pub(crate) async fn run(
    command: &EtimsCommand,
    file: &CompanyFile,
    session: &Session,
) -> Result<Reply, Failure> {
    Ok(match command {
        EtimsCommand::Kra(command) => kra::run(command, file, session).await?,
        EtimsCommand::Users(command) => kra::run_users(command, file, session).await?,
        EtimsCommand::Composition(command) => {
            items_extra::run_composition(command, file, session).await?
        }
        EtimsCommand::Insurer(command) => items_extra::run_insurer(command, file, session).await?,
        EtimsCommand::Imports(command) => items_extra::run_imports(command, file, session).await?,
        EtimsCommand::Purchases(command) => purchases::run(command, file, session).await?,
        EtimsCommand::Stock(command) => stock::run(command, file, session).await?,
        EtimsCommand::Device(DeviceCommand::Init(args)) => {
            let InitArgs {
                serial,
                profile,
                base_url,
                tin,
                bhf_id,
                cmc_key,
                sdc_id,
                mrc_no,
                consumer_key,
                consumer_secret,
                token_url,
                unused_band_rate,
                force,
            } = args.as_ref();
            let setup = device::DeviceSetup {
                profile: profile.parse::<GatewayProfile>()?,
                base_url: base_url.clone(),
                tin: tin.clone(),
                bhf_id: bhf_id.clone(),
                serial: serial.clone(),
                cmc_key: cmc_key.clone(),
                sdc_id: sdc_id.clone(),
                mrc_no: mrc_no.clone(),
                consumer_key: consumer_key.clone(),
                consumer_secret: consumer_secret.clone(),
                token_url: token_url.clone(),
                unused_band_rate: Some(match unused_band_rate.as_str() {
                    "zero" => UnusedBandRate::Zero,
                    "code-list" | "code_list" | "code_list_rate" => UnusedBandRate::CodeListRate,
                    other => {
                        return Err(bad_input(format!(
                            "--unused-band-rate '{other}': use zero or code-list."
                        )));
                    }
                }),
                force: *force,
            };
            let store = secrets()?;
            let d =
                device::init(file, session, store.as_ref(), &setup, Timeouts::default()).await?;
            let text = format!(
                "{}The key is kept in {}, not in the company file.\n",
                device_text(&d),
                store.describe()
            );
            Reply::entity(&d, text)
        }
        EtimsCommand::Device(DeviceCommand::Show) => {
            match ledger::show_device(file, session).await? {
                Some(d) => Reply::entity(&d, device_text(&d)),
                None => Reply::entity(
                    &serde_json::Value::Null,
                    "No e-TIMS device is set up. Run `hesabu etims device init --serial SERIAL`.\n"
                        .into(),
                ),
            }
        }
        EtimsCommand::Device(DeviceCommand::Counter { last }) => {
            let d = ledger::set_counter(file, session, *last).await?;
            Reply::entity(
                &d,
                format!(
                    "The last e-TIMS invoice number used is now {}; the next sale is sent as {}.\n",
                    d.last_invc_no,
                    d.last_invc_no + 1
                ),
            )
        }
        EtimsCommand::Device(DeviceCommand::PinCheck { mode }) => {
            let settings = match mode {
                Some(mode) => masters::set_pin_check(file, session, mode.parse()?).await?,
                None => masters::settings(file, session).await?,
            };
            let text = match settings.pin_check {
                masters::PinCheckMode::Strict => {
                    "PIN checks are strict: a sale to a PIN KRA does \
                    not know, or lists as inactive, is blocked.\n"
                }
                masters::PinCheckMode::Lenient => {
                    "PIN checks are lenient: a sale to a PIN KRA \
                    does not know, or lists as inactive, goes ahead with a warning.\n"
                }
            };
            Reply::entity(&settings, text.into())
        }
        EtimsCommand::Codes(CodesCommand::Refresh) => {
            let store = secrets()?;
            let report =
                reference::refresh(file, session, store.as_ref(), Timeouts::default()).await?;
            let rows = report
                .lists
                .iter()
                .map(|l| {
                    vec![
                        l.list.endpoint().into(),
                        format!("{:?}", l.outcome).to_lowercase(),
                        l.received.to_string(),
                        l.last_req_dt_sent.clone(),
                        l.watermark.clone().unwrap_or_default(),
                        l.error.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            let mut text = table(
                &[
                    "LIST",
                    "OUTCOME",
                    "RECEIVED",
                    "SENT lastReqDt",
                    "NEXT lastReqDt",
                    "ERROR",
                ],
                rows,
            );
            if let Some(of) = &report.snapshot_loaded {
                text.push_str(&format!(
                    "Nothing could be pulled yet: the bundled snapshot of {of} is loaded.\n"
                ));
            }
            text.push_str(&format!("Code lists: {}.\n", report.codes_source));
            Reply::entity(&report, text)
        }
        EtimsCommand::Codes(CodesCommand::Show { class }) => {
            let codes = reference::show_codes(file, session).await?;
            let source = codes.source.describe();
            match class {
                Some(cls) => {
                    let found = codes.class(cls.trim()).ok_or_else(|| {
                        bad_input(format!(
                            "There is no code class '{cls}' ({source}). `hesabu etims codes \
                             show` lists the classes."
                        ))
                    })?;
                    let rows = found
                        .codes
                        .iter()
                        .map(|c| {
                            vec![
                                c.code.clone(),
                                c.name.clone().unwrap_or_default(),
                                if c.in_use { "" } else { "withdrawn" }.into(),
                                c.user_defined_1.clone().unwrap_or_default(),
                            ]
                        })
                        .collect();
                    let text = format!(
                        "Class {} {} ({source}):\n{}",
                        found.cls,
                        found.name.clone().unwrap_or_default(),
                        table(&["CODE", "NAME", "", "USER 1"], rows)
                    );
                    Reply::entity(&found, text)
                }
                None => {
                    let rows = codes
                        .classes()
                        .map(|c| {
                            vec![
                                c.cls.clone(),
                                c.name.clone().unwrap_or_default(),
                                c.codes.len().to_string(),
                            ]
                        })
                        .collect();
                    let text = format!(
                        "Code lists ({source}):\n{}",
                        table(&["CLASS", "NAME", "CODES"], rows)
                    );
                    Reply::entity(&codes, text)
                }
            }
        }
        EtimsCommand::Codes(CodesCommand::Status) => {
            let status = reference::status(file, session).await?;
            let rows = status
                .lists
                .iter()
                .map(|l| {
                    vec![
                        l.list.endpoint().into(),
                        l.records.to_string(),
                        l.state
                            .last_req_dt
                            .clone()
                            .unwrap_or_else(|| "never".into()),
                        l.state.refreshed_at.clone().unwrap_or_default(),
                        l.state.last_error.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            let text = format!(
                "{}Code lists: {}.\n",
                table(
                    &["LIST", "CACHED", "LAST resultDt", "PULLED AT", "LAST ERROR"],
                    rows
                ),
                status.codes_source
            );
            Reply::entity(&status, text)
        }
        EtimsCommand::Notices => {
            let notices = reference::notices(file, session).await?;
            let text = if notices.is_empty() {
                "No notices from KRA (pull them with `hesabu etims codes refresh`).\n".into()
            } else {
                notices
                    .iter()
                    .map(|n| {
                        format!(
                            "#{} {} ({})\n{}\n",
                            n.notice_no,
                            n.title.as_deref().unwrap_or(""),
                            n.registered_at.as_deref().unwrap_or(""),
                            n.content.as_deref().unwrap_or("")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            Reply::entity(&notices, text)
        }
        EtimsCommand::Customer(CustomerCommand::Check { pin }) => {
            let store = secrets()?;
            let check =
                masters::check_pin(file, session, store.as_ref(), pin, Timeouts::default()).await?;
            let text = format!("{}\n", check.message);
            Reply::entity(&check, text)
        }
        EtimsCommand::Customer(CustomerCommand::Register { customer }) => {
            let store = secrets()?;
            let view = masters::register_customer(
                file,
                session,
                store.as_ref(),
                customer,
                Timeouts::default(),
            )
            .await?;
            Reply::entity(&view, registration_text("Customer", &view))
        }
        EtimsCommand::Customer(CustomerCommand::Show { customer }) => {
            let view = masters::registration(file, session, "customer", customer).await?;
            Reply::entity(&view, registration_text("Customer", &view))
        }
        EtimsCommand::Item(ItemCommand::Check { item }) => {
            let check = masters::check_item(file, session, item).await?;
            let mut text = if check.ready {
                format!(
                    "Item {} can be registered with e-TIMS as {} ({}).\n",
                    check.code, check.item_cd, check.etims_state
                )
            } else {
                format!(
                    "Item {} cannot be registered yet:\n{}",
                    check.code,
                    table(&["PROBLEM", "WHAT", "FIX"], problem_rows(&check.problems))
                )
            };
            if !check.warnings.is_empty() {
                text.push_str(&format!(
                    "Warnings:\n{}",
                    table(&["WARNING", "WHAT", "FIX"], problem_rows(&check.warnings))
                ));
            }
            text.push_str(&format!("Checked against {}.\n", check.codes_source));
            Reply::entity(&check, text)
        }
        EtimsCommand::Item(ItemCommand::Register { item }) => {
            let store = secrets()?;
            let view =
                masters::register_item(file, session, store.as_ref(), item, Timeouts::default())
                    .await?;
            Reply::entity(&view, registration_text("Item", &view))
        }
        EtimsCommand::Item(ItemCommand::Show { item }) => {
            let view = masters::registration(file, session, "item", item).await?;
            Reply::entity(&view, registration_text("Item", &view))
        }
        EtimsCommand::Status { document } => {
            let status = ledger::status(file, session, document).await?;
            let label = status
                .document_number
                .clone()
                .unwrap_or_else(|| status.document_id.clone());
            let text = match &status.submission {
                None => format!(
                    "{label} ({}): not sent to e-TIMS yet.\n",
                    status.document_status
                ),
                Some(s) => submission_text(&label, s),
            };
            Reply::entity(&status, text)
        }
        EtimsCommand::Payload { document } => {
            let preview = fiscal::payload_preview(file, session, document).await?;
            let mut text = serde_json::to_string_pretty(&preview.payload).unwrap_or_default();
            text.push('\n');
            if preview.kind == "preview" {
                text.push_str(
                    "(A preview: invcNo is the next free number, taken only when the sale is sent.)\n",
                );
            }
            Reply::entity(&preview, text)
        }
        EtimsCommand::Checklist { document } => {
            let list = fiscal::checklist(file, session, document).await?;
            let label = list
                .document_number
                .clone()
                .unwrap_or_else(|| list.document_id.clone());
            let mut text = if list.ready {
                format!("{label} is ready to be sent to KRA.\n")
            } else {
                let rows = list
                    .problems
                    .iter()
                    .map(|p| vec![p.code.clone(), p.message.clone(), p.fix.clone()])
                    .collect();
                format!(
                    "{label} cannot be sent yet:\n{}",
                    table(&["PROBLEM", "WHAT", "FIX"], rows)
                )
            };
            if !list.warnings.is_empty() {
                text.push_str(&format!(
                    "Warnings:\n{}",
                    table(&["WARNING", "WHAT", "FIX"], problem_rows(&list.warnings))
                ));
            }
            Reply::entity(&list, text)
        }
        EtimsCommand::Lookup { invc_no } => {
            let store = secrets()?;
            let found =
                fiscal::lookup(file, session, store.as_ref(), *invc_no, Timeouts::default())
                    .await?;
            let mut text = match &found.kra {
                Some(k) => format!(
                    "KRA has e-TIMS invoice {}: {} total {} ({}).\n",
                    found.invc_no,
                    k.trd_invc_no.as_deref().unwrap_or("?"),
                    k.tot_amt.map(|t| t.to_string()).unwrap_or_default(),
                    k.rcpt_ty_cd.as_deref().unwrap_or("?")
                ),
                None => format!(
                    "KRA has no e-TIMS invoice {} ({} {}).\n",
                    found.invc_no, found.result_cd, found.result_msg
                ),
            };
            if let Some(s) = &found.local {
                text.push_str(&format!(
                    "In this company file it is {} ({}).\n",
                    s.document_number.as_deref().unwrap_or(&s.document_id),
                    s.state
                ));
            }
            Reply::entity(&found, text)
        }
        EtimsCommand::Send { document } => {
            let execution = fiscal::queue(file, session, document).await?;
            let text = match &execution.error_message {
                Some(m) => format!("Execution {} {}: {m}\n", execution.id, execution.status),
                None => format!(
                    "Queued for KRA (execution {}); `hesabu sync run` sends it.\n",
                    execution.id
                ),
            };
            Reply::entity(&execution, text)
        }
        EtimsCommand::Queue => {
            let rows = hesabu_app::etims::queue::queue(file, session).await?;
            let text = if rows.is_empty() {
                "Nothing is waiting for KRA: every issued sale is signed.\n".to_owned()
            } else {
                crate::output::table(
                    &[
                        "Sale",
                        "Customer",
                        "Total",
                        "KRA",
                        "Waiting",
                        "e-TIMS no.",
                        "KRA says",
                    ],
                    rows.iter()
                        .map(|r| {
                            vec![
                                r.badge.document_number.clone().unwrap_or_default(),
                                r.customer_name.clone(),
                                format!("{} {}", r.total, r.currency),
                                format!("{:?}", r.badge.stage).to_lowercase(),
                                r.badge
                                    .waiting_seconds
                                    .map(|s| format!("{} min", s / 60))
                                    .unwrap_or_default(),
                                r.badge.invc_no.map(|n| n.to_string()).unwrap_or_default(),
                                r.badge
                                    .kra_message
                                    .clone()
                                    .or_else(|| r.send_error.clone())
                                    .unwrap_or_default(),
                            ]
                        })
                        .collect(),
                )
            };
            Reply::list(&rows, text)
        }
        EtimsCommand::GiveUp { document, reason } => {
            let store = secrets()?;
            let given = fiscal::give_up_number(
                file,
                session,
                store.as_ref(),
                document,
                reason,
                Timeouts::default(),
            )
            .await?;
            let text = format!(
                "{}: e-TIMS invoice {} given up; it is queued again and is signed with the next \
                 number at the next sync (`hesabu sync run`).\n",
                given.document_number.as_deref().unwrap_or(document),
                given.invc_no.unwrap_or_default()
            );
            Reply::entity(&given, text)
        }
    })
}

fn problem_rows(problems: &[fiscal::Problem]) -> Vec<Vec<String>> {
    problems
        .iter()
        .map(|p| vec![p.code.clone(), p.message.clone(), p.fix.clone()])
        .collect()
}

fn registration_text(what: &str, v: &masters::RegistrationView) -> String {
    let mut text = match (v.state.as_str(), v.sent) {
        ("registered", false) => format!(
            "{what} {} is registered with e-TIMS as {} and unchanged: nothing was sent.\n",
            v.label, v.kra_code
        ),
        ("registered", true) => format!(
            "{what} {} is registered with e-TIMS as {}.\n",
            v.label, v.kra_code
        ),
        (state, _) => format!("{what} {}: e-TIMS {state} ({}).\n", v.label, v.kra_code),
    };
    if let Some(message) = &v.result_msg {
        text.push_str(&format!(
            "KRA: {}{message}\n",
            v.result_cd
                .as_deref()
                .map(|c| format!("{c} "))
                .unwrap_or_default()
        ));
    }
    for w in &v.warnings {
        text.push_str(&format!("Warning: {w}\n"));
    }
    text
}

fn device_text(d: &DeviceView) -> String {
    let rows = vec![
        vec!["Gateway".into(), d.gateway.as_str().into()],
        vec!["Base URL".into(), d.base_url.clone()],
        vec!["PIN".into(), d.tin.clone()],
        vec!["Branch".into(), d.bhf_id.clone()],
        vec!["Serial".into(), d.dvc_srl_no.clone()],
        vec!["SCU id".into(), d.sdc_id.clone().unwrap_or_default()],
        vec!["MRC".into(), d.mrc_no.clone().unwrap_or_default()],
        vec!["Device id".into(), d.dvc_id.clone().unwrap_or_default()],
        vec![
            "Taxpayer".into(),
            d.taxpayer_name.clone().unwrap_or_default(),
        ],
        vec![
            "Branch name".into(),
            d.branch_name.clone().unwrap_or_default(),
        ],
        vec!["Key".into(), d.key_source.clone()],
        vec!["Initialised".into(), d.initialised_at.clone()],
        vec!["Last invcNo".into(), d.last_invc_no.to_string()],
    ];
    table(&["DEVICE", ""], rows)
}

fn submission_text(label: &str, s: &SubmissionView) -> String {
    let mut text = format!("{label}: e-TIMS {}", s.state);
    if let Some(n) = s.invc_no {
        text.push_str(&format!(", invoice number {n}"));
    }
    if let Some(cu) = &s.cu_invoice_no {
        text.push_str(&format!(", CU invoice {cu}"));
    }
    text.push_str(&format!(" ({} attempt(s)).\n", s.attempts));
    if let (Some(code), Some(message)) = (&s.result_cd, &s.result_msg) {
        text.push_str(&format!("KRA: {code} {message}\n"));
    } else if let Some(message) = &s.result_msg {
        text.push_str(&format!("Last error: {message}\n"));
    }
    text
}
