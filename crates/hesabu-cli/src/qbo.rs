//! `hesabu qbo …`: the company's QuickBooks Online connection, pulls and write-backs, and the
//! token broker a firm hosts. Thin: parse, call one service (`hesabu_app::qbo`), print.
//!
//! The Intuit app's client secret is never a flag (it would show in the process list and the
//! shell history): it comes from `HESABU_QBO_CLIENT_SECRET` or, with `--client-secret-stdin`,
//! from the first line of stdin. It goes to the secret store chosen by `HESABU_SECRETS` (the OS
//! keyring by default), as do the tokens; the company file keeps neither.

use std::io::BufRead;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Subcommand};
use hesabu_app::qbo::broker::{Broker, BrokerConfig};
use hesabu_app::qbo::pull::{self, PullReport, ReviewRow};
use hesabu_app::qbo::push::{self, QboTarget};
use hesabu_app::qbo::{self, ConnectMode, ConnectionSettings, ConnectionView, PinSource};
use hesabu_store::audit::AuditDraft;
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::outbox::{DrainSummary, Drainer, Targets, TokioSleeper};
use hesabu_store::permissions::Permission;
use hesabu_store::secrets::{KeyringStore, SecretStore, store_from_spec};
use serde::Serialize;
use serde_json::json;

use crate::output::{Reply, table};
use crate::{Env, Failure, bad_input};

/// Where `connect --loopback` redirects when `configure` was given no redirect in direct mode.
const LOOPBACK_REDIRECT: &str = "http://127.0.0.1/qbo/callback";

#[derive(Debug, Subcommand)]
pub(crate) enum QboCommand {
    /// Choose how the company connects (mode, the Intuit app, the redirect, the CU invoice
    /// number's custom field, where customers' KRA PINs are). The client secret comes from
    /// HESABU_QBO_CLIENT_SECRET or --client-secret-stdin, never a flag.
    Configure(Box<ConfigureArgs>),
    /// Start connecting: print the consent page's address to open in a browser.
    AuthorizeUrl,
    /// Finish connecting: --paste the address the browser showed after consent (or - to read it
    /// from stdin), or --loopback to listen on 127.0.0.1 for the redirect (development keys).
    Connect {
        /// The whole address the browser landed on (code, state, realmId), or - for stdin.
        #[arg(long, value_name = "URL", conflicts_with = "loopback")]
        paste: Option<String>,
        /// Listen once on 127.0.0.1 for the redirect; the consent address is printed to stderr.
        #[arg(long)]
        loopback: bool,
        /// With --loopback: how many seconds to wait for the browser.
        #[arg(long, default_value_t = 300)]
        wait: u64,
    },
    /// The connection: realm, mode, last pull, "reconnect needed", the expiry warning.
    Status,
    /// Pull QuickBooks' customers, items and sales into the ledger (changes since the last
    /// pull; --full: everything again).
    Pull {
        #[arg(long)]
        full: bool,
    },
    /// Write KRA's signature back to QuickBooks for one signed sale (id or number) now,
    /// through the outbox (queued if it was not; other due write-backs go too).
    Push { document: String },
    /// What pulls listed for a person: totals that differ, signed sales changed, voided or
    /// deleted in QuickBooks, objects not imported.
    Reviews,
    /// Revoke the connection at Intuit and wipe the tokens; --force wipes even when Intuit
    /// cannot be reached.
    Disconnect {
        #[arg(long)]
        force: bool,
    },
    /// Run the token broker: holds the Intuit app's secret and forwards token exchange,
    /// refresh and revoke to Intuit, for companies connecting in broker mode. Serves until
    /// stopped.
    Broker(BrokerArgs),
}

/// `hesabu qbo configure`.
#[derive(Debug, Args)]
pub(crate) struct ConfigureArgs {
    /// direct (the firm's Intuit app, secret here), paste-back (the same, the browser lands on
    /// the firm's https page and the address is pasted back) or broker.
    #[arg(long)]
    mode: String,
    /// The Intuit app's client id (every mode: the consent page needs it).
    #[arg(long)]
    client_id: Option<String>,
    /// Read the client secret from the first line of stdin (else HESABU_QBO_CLIENT_SECRET).
    #[arg(long)]
    client_secret_stdin: bool,
    /// Broker mode: the broker's address (https://…).
    #[arg(long)]
    broker_url: Option<String>,
    /// The redirect registered with Intuit (paste-back and broker: the firm's https page;
    /// direct: default http://127.0.0.1/qbo/callback, and connect --loopback uses its own).
    #[arg(long)]
    redirect_uri: Option<String>,
    /// The QuickBooks legacy custom field (1, 2 or 3) the CU invoice number is written to.
    #[arg(long)]
    cu_field: Option<String>,
    /// Where customers' KRA PINs are: tax_id (QuickBooks' tax id) or field:NAME.
    #[arg(long, default_value = "tax_id")]
    pin_source: String,
    /// A sandbox company (Intuit's development keys, or the local sandbox).
    #[arg(long)]
    sandbox: bool,
    /// Everything under one address (the local sandbox, `hesabu-qbo-sandbox`).
    #[arg(long)]
    base_url: Option<String>,
}

/// `hesabu qbo broker`.
#[derive(Debug, Args)]
pub(crate) struct BrokerArgs {
    /// Where to listen, e.g. 127.0.0.1:8470 (put a TLS reverse proxy in front of it).
    #[arg(long, value_name = "ADDR")]
    listen: SocketAddr,
    /// The Intuit app's client id.
    #[arg(long)]
    client_id: String,
    /// Read the client secret from the first line of stdin (else HESABU_QBO_CLIENT_SECRET).
    #[arg(long)]
    client_secret_stdin: bool,
    /// Intuit's token endpoint (default: production's).
    #[arg(long)]
    token_url: Option<String>,
    /// Intuit's revocation endpoint (default: production's).
    #[arg(long)]
    revoke_url: Option<String>,
    /// The redirect registered with Intuit; when set it is used for every code exchange.
    #[arg(long)]
    redirect_uri: Option<String>,
}

/// The secret store `HESABU_SECRETS` names (the OS keyring when unset).
pub(crate) fn secrets(env: &Env) -> Result<Arc<dyn SecretStore>, Failure> {
    Ok(match env.secrets.as_deref() {
        Some(spec) => Arc::from(store_from_spec(spec)?),
        None => Arc::new(KeyringStore),
    })
}

/// The client secret from stdin (when asked) or the environment.
fn client_secret(env: &Env, from_stdin: bool) -> Result<Option<String>, Failure> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| bad_input(format!("Could not read the client secret from stdin: {e}")))?;
        let line = line.trim().to_owned();
        if line.is_empty() {
            return Err(bad_input(
                "--client-secret-stdin was given but stdin was empty: pipe the secret in.",
            ));
        }
        return Ok(Some(line));
    }
    Ok(env
        .qbo_client_secret
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned))
}

/// `hesabu qbo broker`: needs no company file. Prints where it listens at once (the rest of the
/// CLI prints when a command ends), then serves until the process is stopped.
pub(crate) async fn broker(args: &BrokerArgs, env: &Env, json_out: bool) -> Result<Reply, Failure> {
    let secret = client_secret(env, args.client_secret_stdin)?.ok_or_else(|| {
        bad_input(
            "The broker needs the Intuit app's client secret: set HESABU_QBO_CLIENT_SECRET or \
             pass --client-secret-stdin and pipe it in.",
        )
    })?;
    let mut config = BrokerConfig::intuit(&args.client_id, &secret);
    if let Some(url) = &args.token_url {
        config.token_url.clone_from(url);
    }
    if let Some(url) = &args.revoke_url {
        config.revoke_url.clone_from(url);
    }
    config.redirect_uri.clone_from(&args.redirect_uri);
    let token_url = config.token_url.clone();
    let running = Broker::start(args.listen, config).await?;
    let url = running.url();
    if json_out {
        println!("{}", json!({"listening": url, "token_url": token_url}));
    } else {
        println!(
            "QuickBooks token broker listening on {url} (forwarding to {token_url}). Companies \
             connect with: hesabu qbo configure --mode broker --broker-url <its https address>. \
             Stop it with Ctrl-C."
        );
    }
    running.serve().await;
    Ok(Reply::entity(
        &json!({"stopped": url}),
        format!("The broker on {url} stopped.\n"),
    ))
}

pub(crate) async fn run(
    command: &QboCommand,
    file: &CompanyFile,
    session: &Session,
    env: &Env,
) -> Result<Reply, Failure> {
    Ok(match command {
        QboCommand::Configure(args) => Box::pin(configure(args, file, session, env)).await?,
        QboCommand::AuthorizeUrl => {
            let url = qbo::authorize_url(file, session).await?;
            Reply::entity(
                &json!({ "url": url }),
                format!(
                    "Open this address in a browser and allow Hesabu, then paste the address the \
                     browser lands on into `hesabu qbo connect --paste URL`:\n{url}\n"
                ),
            )
        }
        QboCommand::Connect {
            paste,
            loopback,
            wait,
        } => {
            let store = secrets(env)?;
            let view = match (paste.as_deref(), loopback) {
                (Some(pasted), false) => {
                    let pasted = if pasted == "-" {
                        read_stdin_line("the pasted address")?
                    } else {
                        pasted.to_owned()
                    };
                    Box::pin(qbo::connect_paste(file, session, store, &pasted)).await?
                }
                (None, true) => {
                    Box::pin(qbo::connect_loopback(
                        file,
                        session,
                        store,
                        |url| {
                            eprintln!(
                                "Open this address in a browser on this computer and allow \
                                 Hesabu (waiting {wait} s):\n{url}"
                            );
                        },
                        Duration::from_secs(*wait),
                    ))
                    .await?
                }
                _ => {
                    return Err(bad_input(
                        "Say how the answer comes back: --paste URL (the address the browser \
                         landed on) or --loopback.",
                    ));
                }
            };
            Reply::entity(&view, status_text(&view))
        }
        QboCommand::Status => {
            let view = qbo::status(file, session, secrets(env)?).await?;
            Reply::entity(&view, status_text(&view))
        }
        QboCommand::Pull { full } => {
            let q = connected(file, env).await?;
            let report = Box::pin(pull::pull(&q, session, *full)).await?;
            Reply::entity(&report, pull_text(&report))
        }
        QboCommand::Push { document } => Box::pin(push_now(file, session, env, document)).await?,
        QboCommand::Reviews => {
            let rows = pull::reviews(file, session).await?;
            Reply::list(&rows, reviews_text(&rows))
        }
        QboCommand::Disconnect { force } => {
            let view = Box::pin(qbo::disconnect(file, session, secrets(env)?, *force)).await?;
            Reply::entity(
                &view,
                "Disconnected from QuickBooks: the tokens are wiped. Pulled sales stay in the \
                 ledger.\n"
                    .into(),
            )
        }
        QboCommand::Broker(_) => crate::unreachable_command()?,
    })
}

fn read_stdin_line(what: &str) -> Result<String, Failure> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| bad_input(format!("Could not read {what} from stdin: {e}")))?;
    Ok(line.trim().to_owned())
}

async fn configure(
    args: &ConfigureArgs,
    file: &CompanyFile,
    session: &Session,
    env: &Env,
) -> Result<Reply, Failure> {
    let mode = ConnectMode::parse(&args.mode)?;
    if args
        .client_id
        .as_deref()
        .is_none_or(|c| c.trim().is_empty())
    {
        return Err(bad_input(
            "Give the Intuit app's client id (--client-id): every mode needs it for the consent \
             page, broker mode included (the broker holds the same app's secret).",
        ));
    }
    let redirect_uri = match (&args.redirect_uri, mode) {
        (Some(r), _) if !r.trim().is_empty() => r.trim().to_owned(),
        (_, ConnectMode::Direct) => LOOPBACK_REDIRECT.to_owned(),
        _ => {
            return Err(bad_input(
                "Give the redirect registered with Intuit (--redirect-uri https://…): the page \
                 the browser lands on after consent, whose address you paste back.",
            ));
        }
    };
    let secret = client_secret(env, args.client_secret_stdin)?;
    if mode == ConnectMode::Broker && secret.is_some() {
        return Err(bad_input(
            "Broker mode keeps the client secret on the broker, not here: unset \
             HESABU_QBO_CLIENT_SECRET (or drop --client-secret-stdin).",
        ));
    }
    let settings = ConnectionSettings {
        mode,
        client_id: args.client_id.clone(),
        broker_url: args.broker_url.clone(),
        redirect_uri,
        base_url: args.base_url.clone(),
        sandbox: args.sandbox || args.base_url.is_some(),
        cu_field: args.cu_field.clone(),
        pin_source: PinSource::parse(&args.pin_source)?,
    };
    let store = secrets(env)?;
    let view = qbo::configure(file, session, store.as_ref(), &settings, secret.as_deref()).await?;
    let mut text = format!(
        "QuickBooks is set up in {} mode ({}).\n",
        mode_words(view.mode),
        view.api_base
    );
    if mode != ConnectMode::Broker {
        let company = hesabu_core::company::load(file.reader()).await?;
        let stored = store
            .get(&qbo::client_secret_name(&company.id))
            .map_err(|e| bad_input(e.to_string()))?
            .is_some();
        text.push_str(&if stored {
            format!("The client secret is kept in {}.\n", store.describe())
        } else {
            "No client secret is stored yet: set HESABU_QBO_CLIENT_SECRET (or pipe it with \
             --client-secret-stdin) and configure again before connecting.\n"
                .to_owned()
        });
    }
    text.push_str("Next: hesabu qbo authorize-url, then hesabu qbo connect --paste URL.\n");
    Ok(Reply::entity(&view, text))
}

/// The connected company's client, or an error saying to connect.
async fn connected(file: &CompanyFile, env: &Env) -> Result<qbo::Qbo, Failure> {
    qbo::open(file, secrets(env)?).await?.ok_or_else(|| {
        bad_input(
            "QuickBooks is not connected for this company: run hesabu qbo authorize-url and \
             hesabu qbo connect first.",
        )
    })
}

/// What `qbo push` reports.
#[derive(Debug, Serialize)]
struct PushOutcome {
    document_id: String,
    number: Option<String>,
    /// Whether this command queued the write-back (a pull queues it otherwise).
    queued: bool,
    /// `pending`, `attached` or `done` (`qbo_push.state`).
    state: String,
    attachable_id: Option<String>,
    sync_token: Option<String>,
    drain: DrainSummary,
}

/// Queues the document's write-back if a pull has not, then drains the outbox's QuickBooks rows
/// in this process (taking the file's sync lock, like `hesabu sync run`; the e-TIMS rows are left
/// for `sync run`).
async fn push_now(
    file: &CompanyFile,
    session: &Session,
    env: &Env,
    document: &str,
) -> Result<Reply, Failure> {
    session.require(Permission::SyncManage)?;
    let q = connected(file, env).await?;
    let sale = hesabu_core::sales::documents::show(file, session, document).await?;
    let mut queued = false;
    if push::row(file.reader(), &sale.id).await?.is_none() {
        let mut uow = file.begin(session).await?;
        queued = push::enqueue_in(&mut uow, q.realm_id(), &sale.id).await?;
        uow.audit(AuditDraft {
            action: "qbo.push_queue",
            entity_type: "sale",
            entity_id: sale.id.clone(),
            before: None,
            after: Some(json!({"realm_id": q.realm_id(), "queued": queued})),
        })
        .await?;
        uow.commit().await?;
    }
    let targets = Targets::new().with(Arc::new(QboTarget::new(q)));
    let drainer = Drainer::new(file.clone(), targets, Arc::new(TokioSleeper))?;
    let recovered = drainer.recover().await?;
    let mut drain = drainer.drain_until_idle().await?;
    drain.recovered = u32::try_from(recovered).unwrap_or(u32::MAX);
    drop(drainer);
    let row = push::row(file.reader(), &sale.id).await?;
    let outcome = PushOutcome {
        document_id: sale.id.clone(),
        number: sale.number.clone(),
        queued,
        state: row.as_ref().map_or_else(String::new, |r| r.state.clone()),
        attachable_id: row.as_ref().and_then(|r| r.attachable_id.clone()),
        sync_token: row.as_ref().and_then(|r| r.result_sync_token.clone()),
        drain,
    };
    let label = outcome.number.clone().unwrap_or_else(|| sale.id.clone());
    let text = if outcome.state == "done" {
        format!(
            "{label}: KRA's signature is on the QuickBooks transaction (receipt attached as {}).\n",
            outcome.attachable_id.as_deref().unwrap_or("?")
        )
    } else {
        format!(
            "{label}: the write-back is not finished ({}); it stays queued and is retried. See \
             hesabu sync status and hesabu sync dead.\n",
            if outcome.state.is_empty() {
                "not queued"
            } else {
                outcome.state.as_str()
            }
        )
    };
    Ok(Reply::entity(&outcome, text))
}

fn mode_words(mode: ConnectMode) -> &'static str {
    match mode {
        ConnectMode::Direct => "direct",
        ConnectMode::Paste => "paste-back",
        ConnectMode::Broker => "broker",
    }
}

fn status_text(v: &ConnectionView) -> String {
    let mut rows = vec![
        vec![
            "Connection".into(),
            match (&v.realm_id, v.connected, &v.reconnect_needed) {
                (_, _, Some(_)) => "reconnect needed".into(),
                (Some(realm), true, None) => format!("connected to company {realm}"),
                (Some(realm), false, None) => format!("company {realm}, no tokens here"),
                (None, _, None) => "not connected".into(),
            },
        ],
        vec!["Mode".into(), mode_words(v.mode).into()],
        vec![
            "QuickBooks".into(),
            if v.local_sandbox {
                "a local sandbox inside Hesabu (not Intuit's QuickBooks)".to_owned()
            } else {
                format!(
                    "{}{}",
                    v.api_base,
                    if v.sandbox { " (sandbox)" } else { "" }
                )
            },
        ],
        vec![
            "Connected at".into(),
            v.connected_at.clone().unwrap_or_default(),
        ],
        vec![
            "Last pull".into(),
            v.last_pull_at.clone().unwrap_or_default(),
        ],
        vec![
            "Changes up to".into(),
            v.cdc_watermark.clone().unwrap_or_default(),
        ],
        vec![
            "CU number field".into(),
            v.cu_field.as_ref().map_or_else(
                || "none (note only)".into(),
                |f| format!("custom field {f}"),
            ),
        ],
        vec![
            "KRA PIN from".into(),
            match &v.pin_source {
                PinSource::TaxId => "the customer's tax id".into(),
                PinSource::Field(name) => format!("custom field {name}"),
            },
        ],
        vec!["Open reviews".into(), v.open_reviews.to_string()],
    ];
    if let Some(e) = &v.last_error {
        rows.push(vec!["Last error".into(), e.clone()]);
    }
    let mut text = table(&["QUICKBOOKS", ""], rows);
    if let Some(notice) = &v.notice {
        text.push_str(notice);
        text.push('\n');
    }
    if let Some(why) = &v.reconnect_needed {
        text.push_str(&format!(
            "QuickBooks refused the connection ({why}): connect again (hesabu qbo authorize-url, \
             then hesabu qbo connect).\n"
        ));
    }
    if let Some(w) = &v.warning {
        text.push_str(w);
        text.push('\n');
    }
    text
}

fn pull_text(r: &PullReport) -> String {
    let mode = match r.mode {
        Some(pull::PullMode::Initial) => "a first full load",
        Some(pull::PullMode::Cdc) => "the changes since the last pull",
        Some(pull::PullMode::Resync) => {
            "a full resync (offline longer than QuickBooks keeps changes)"
        }
        None => "nothing",
    };
    let mut text = format!(
        "Pulled {mode}: {} object(s); {} customer(s), {} item(s), {} sale(s) issued, {} voided, \
         {} deleted, {} unchanged, {} of our own write-backs.\n",
        r.objects, r.customers, r.items, r.sales_issued, r.voided, r.deleted, r.unchanged, r.echoes
    );
    if r.reviews > 0 {
        text.push_str(&format!(
            "{} new difference(s) to review: hesabu qbo reviews.\n",
            r.reviews
        ));
    }
    if r.pushes_queued > 0 {
        text.push_str(&format!(
            "{} signed sale(s) queued to be written back to QuickBooks (hesabu sync run).\n",
            r.pushes_queued
        ));
    }
    for w in &r.warnings {
        text.push_str(&format!("Warning: {w}\n"));
    }
    text
}

/// A review's kind in words.
fn kind_words(kind: &str) -> &str {
    match kind {
        "totals_differ" => "totals differ",
        "changed_after_signing" => "changed after KRA signed it",
        "changed_after_issue" => "changed after it was issued",
        "voided_after_signing" => "voided after KRA signed it",
        "deleted_after_signing" => "deleted after KRA signed it",
        "not_imported" => "not imported",
        other => other,
    }
}

fn reviews_text(rows: &[ReviewRow]) -> String {
    if rows.is_empty() {
        return "Nothing to review: every pulled sale matches.\n".into();
    }
    let lines = rows
        .iter()
        .map(|r| {
            vec![
                kind_words(&r.kind).to_owned(),
                format!("{} {}", r.entity, r.qbo_id),
                r.detail.clone(),
            ]
        })
        .collect();
    table(&["WHAT", "QUICKBOOKS", "DETAIL"], lines)
}
