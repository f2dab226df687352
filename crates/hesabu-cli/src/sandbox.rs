//! `hesabu sandbox etims|qbo --port P`: the local sandboxes in the foreground, for the demo and
//! manual testing. Each is a **test double** (of KRA's e-TIMS, of Intuit's QuickBooks Online),
//! never the real service: nothing sent to it is declared or kept anywhere. The server listens
//! on `127.0.0.1:P` (`0` picks a free port), prints its base URL(s) at once and serves until the
//! process is stopped (Ctrl-C). The standalone `hesabu-etims-sandbox` and `hesabu-qbo-sandbox`
//! binaries do the same.
//!
//! Also here: the targets of an opened file for `sync` and `jobs` when it is the demo company,
//! whose e-TIMS device and QuickBooks connection are the app's own local sandboxes
//! (`hesabu_app::etims::demo_sandbox`, `hesabu_app::qbo::demo_sandbox`): they are started for
//! the length of the command (the QuickBooks one for `hesabu qbo …` as well, [`demo_qbo`]).

use std::io::Write as _;
use std::net::SocketAddr;

use clap::Subcommand;
use hesabu_app::etims::demo_sandbox::DemoSandbox;
use hesabu_app::qbo::demo_sandbox::DemoQbo;
use hesabu_etims_sandbox::{Profile, Sandbox, SandboxConfig};
use hesabu_store::company_file::CompanyFile;
use serde_json::json;

use crate::output::Reply;
use crate::{Env, Failure, bad_input, etims};

#[derive(Debug, Subcommand)]
pub(crate) enum SandboxCommand {
    /// Run the local e-TIMS OSCU sandbox (a test double of KRA, not KRA) until Ctrl-C.
    Etims {
        /// Port on 127.0.0.1 (0 picks a free one).
        #[arg(long, default_value_t = 8088)]
        port: u16,
        /// The gateway to serve: legacy, integrator or both.
        #[arg(long, default_value = "both")]
        profile: String,
        /// Seed of every made-up key, id, token and signature.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Issue this communication key (cmcKey) to every device, for reproducible set-ups.
        #[arg(long)]
        cmc_key: Option<String>,
        /// Number and check the legacy gateway as strictly as the integrator.
        #[arg(long)]
        strict_legacy: bool,
    },
    /// Run the local QuickBooks Online sandbox (a test double of Intuit, not Intuit) until
    /// Ctrl-C.
    Qbo {
        /// Port on 127.0.0.1 (0 picks a free one).
        #[arg(long, default_value_t = 8790)]
        port: u16,
        /// Limit API calls as Intuit does (10 a second, 500 a minute): 429 past it.
        #[arg(long)]
        rate_limit: bool,
        /// Limit API calls to this many a second (turns the rate limit on).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
        per_second: Option<u32>,
        /// Limit API calls to this many a minute (turns the rate limit on).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
        per_minute: Option<u32>,
        /// Delay every API call's answer by this many milliseconds.
        #[arg(long, default_value_t = 0)]
        latency_ms: u64,
    },
}

/// Starts the sandbox, prints where it listens and serves until the process is stopped: this
/// never returns on success (run in-process, it would block its caller for good).
pub(crate) async fn run(command: &SandboxCommand, json: bool) -> Result<Reply, Failure> {
    match command {
        SandboxCommand::Etims {
            port,
            profile,
            seed,
            cmc_key,
            strict_legacy,
        } => {
            let profiles = match profile.trim().to_ascii_lowercase().as_str() {
                "both" => Profile::BOTH.to_vec(),
                one => vec![one.parse::<Profile>().map_err(|_| {
                    bad_input(format!(
                        "--profile {one:?} is not an e-TIMS gateway: use legacy, integrator or \
                         both."
                    ))
                })?],
            };
            let config = SandboxConfig {
                profiles: profiles.clone(),
                seed: *seed,
                cmc_key: cmc_key.clone(),
                strict_legacy: *strict_legacy,
                ..SandboxConfig::default()
            };
            let sandbox = Sandbox::start_with(loopback(*port), config)
                .await
                .map_err(|e| listen_failure(*port, &e))?;
            let legacy = profiles
                .contains(&Profile::Legacy)
                .then(|| sandbox.legacy_base_url());
            let integrator = profiles
                .contains(&Profile::Integrator)
                .then(|| sandbox.integrator_base_url());
            let token = integrator.as_ref().map(|_| sandbox.token_url());
            let signed = format!("http://{}/_sandbox/signed", sandbox.addr());
            if json {
                announce(&json!({
                    "service": "etims",
                    "test_double": true,
                    "note": "a local test double of KRA e-TIMS, not KRA",
                    "addr": sandbox.addr().to_string(),
                    "legacy_base_url": legacy,
                    "integrator_base_url": integrator,
                    "token_url": token,
                    "consumer_key": integrator.as_ref().map(|_| hesabu_etims_sandbox::CONSUMER_KEY),
                    "consumer_secret":
                        integrator.as_ref().map(|_| hesabu_etims_sandbox::CONSUMER_SECRET),
                    "signed_url": signed,
                })
                .to_string());
            } else {
                let mut text = format!(
                    "Hesabu e-TIMS sandbox on {}: a local test double of KRA, NOT KRA. Nothing \
                     sent here is declared to KRA; its signatures are made up.\n",
                    sandbox.addr()
                );
                if let Some(url) = &legacy {
                    text.push_str(&format!("  legacy base URL:     {url}\n"));
                }
                if let Some(url) = &integrator {
                    text.push_str(&format!("  integrator base URL: {url}\n"));
                    text.push_str(&format!(
                        "  token URL:           {}\n  consumer key/secret: {} / {}\n",
                        token.as_deref().unwrap_or_default(),
                        hesabu_etims_sandbox::CONSUMER_KEY,
                        hesabu_etims_sandbox::CONSUMER_SECRET
                    ));
                }
                text.push_str(&format!(
                    "  what was signed:     {signed}\nStop it with Ctrl-C."
                ));
                announce(&text);
            }
            serve_forever(sandbox).await
        }
        SandboxCommand::Qbo {
            port,
            rate_limit,
            per_second,
            per_minute,
            latency_ms,
        } => {
            let intuit = hesabu_qbo_sandbox::RateLimit::INTUIT;
            let limit = (*rate_limit || per_second.is_some() || per_minute.is_some()).then(|| {
                hesabu_qbo_sandbox::RateLimit {
                    per_second: per_second.unwrap_or(intuit.per_second),
                    per_minute: per_minute.unwrap_or(intuit.per_minute),
                }
            });
            let options = hesabu_qbo_sandbox::SandboxOptions {
                rate_limit: limit,
                latency: std::time::Duration::from_millis(*latency_ms),
                ..hesabu_qbo_sandbox::SandboxOptions::default()
            };
            let sandbox = hesabu_qbo_sandbox::Sandbox::start_with(loopback(*port), options)
                .await
                .map_err(|e| listen_failure(*port, &e))?;
            let limit_text = match limit {
                Some(l) => format!("{}/s, {}/min (429 past it)", l.per_second, l.per_minute),
                None => "none".to_owned(),
            };
            if json {
                announce(
                    &json!({
                        "service": "qbo",
                        "test_double": true,
                        "note": "a local test double of QuickBooks Online, not Intuit",
                        "addr": sandbox.addr().to_string(),
                        "base_url": sandbox.base_url(),
                        "realm_id": sandbox.realm_id(),
                        "authorize_url": sandbox.authorize_url(),
                        "token_url": sandbox.token_url(),
                        "revoke_url": sandbox.revoke_url(),
                        "broker_url": sandbox.broker_url(),
                        "client_id": sandbox.client_id(),
                        "client_secret": sandbox.client_secret(),
                        "rate_limit": limit.map(|l| json!({
                            "per_second": l.per_second,
                            "per_minute": l.per_minute,
                        })),
                        "latency_ms": latency_ms,
                    })
                    .to_string(),
                );
            } else {
                announce(&format!(
                    "QuickBooks Online sandbox on {}: a local test double, NOT Intuit.\n  API \
                     base URL:  {}\n  realmId:       {}\n  consent page:  {}\n  token URL:     \
                     {}\n  revoke URL:    {}\n  broker:        {}\n  client id:     {}\n  client \
                     secret: {}\n  rate limit:    {limit_text}\n  latency:       {latency_ms} ms\n  \
                     admin:         {}/admin/state\nStop it with Ctrl-C.",
                    sandbox.addr(),
                    sandbox.base_url(),
                    sandbox.realm_id(),
                    sandbox.authorize_url(),
                    sandbox.token_url(),
                    sandbox.revoke_url(),
                    sandbox.broker_url(),
                    sandbox.client_id(),
                    sandbox.client_secret(),
                    sandbox.base_url()
                ));
            }
            serve_forever(sandbox).await
        }
    }
}

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

fn listen_failure(port: u16, e: &std::io::Error) -> Failure {
    Failure {
        kind: hesabu_store::ErrorKind::Unavailable,
        message: format!(
            "Could not listen on 127.0.0.1:{port} ({e}). Choose another port with --port, or \
             --port 0 for any free one."
        ),
    }
}

/// Printed at once (not at the end, like other commands' replies): whoever started the
/// sandbox needs its address while it runs.
fn announce(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}");
    let _ = out.flush();
}

/// Keeps `server` (which serves while it lives) until the process is stopped.
async fn serve_forever<T>(server: T) -> Result<Reply, Failure> {
    let _server = server;
    std::future::pending::<Result<Reply, Failure>>().await
}

/// The demo's sandboxes a command runs while it works: keep them until it is done.
pub(crate) type DemoSandboxes = (Option<DemoSandbox>, Option<DemoQbo>);

/// For the demo company (its QuickBooks connection is the app's local sandbox), that sandbox
/// started and brought up to what the file knows for the length of a command; `None` for any
/// other company.
pub(crate) async fn demo_qbo(file: &CompanyFile) -> Result<Option<DemoQbo>, Failure> {
    Ok(DemoQbo::for_file(file).await?)
}

/// `env` with the targets of the open file, for `sync` and `jobs`. For the demo company (its
/// e-TIMS device and QuickBooks connection are the app's local sandboxes) the sandboxes are
/// started and brought up to date for the command: keep the returned value until the command
/// is done.
pub(crate) async fn with_file_targets(
    env: &Env,
    file: &CompanyFile,
) -> Result<(Env, DemoSandboxes), Failure> {
    // First, so the file's QuickBooks target reaches it.
    let qbo = demo_qbo(file).await?;
    let Some(sandbox) = DemoSandbox::for_file(file).await? else {
        return Ok((etims::with_file_targets(env, file).await?, (None, qbo)));
    };
    let with_etims = Env {
        targets: sandbox.targets(file, &env.targets).await?,
        ..env.clone()
    };
    // QuickBooks, when connected; the e-TIMS target is the sandbox's, already there.
    let env = etims::with_file_targets(&with_etims, file).await?;
    Ok((env, (Some(sandbox), qbo)))
}
