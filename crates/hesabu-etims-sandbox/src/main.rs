//! `hesabu-etims-sandbox --listen ADDR [--gateway legacy|integrator|both]`: a local test double
//! of KRA's e-TIMS OSCU API for the demo and manual testing. It is not KRA: nothing sent to it is
//! declared, and its receipt signatures are made up.

use std::net::SocketAddr;

use anyhow::Context as _;
use clap::Parser;
use hesabu_etims_sandbox::{Profile, Sandbox, SandboxConfig};

/// A local e-TIMS OSCU sandbox (a test double of KRA; nothing sent here reaches KRA).
#[derive(Debug, Parser)]
#[command(name = "hesabu-etims-sandbox", version)]
struct Args {
    /// Address to listen on, e.g. 127.0.0.1:8088 (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:8088")]
    listen: SocketAddr,
    /// Which gateway to serve: legacy, integrator, or both.
    #[arg(long, default_value = "both")]
    gateway: String,
    /// Seed of every made-up key, id, token and signature.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Issue this communication key (cmcKey) to every device, for reproducible set-ups.
    #[arg(long)]
    cmc_key: Option<String>,
    /// The integrator's consumer key.
    #[arg(long, default_value = hesabu_etims_sandbox::CONSUMER_KEY)]
    consumer_key: String,
    /// The integrator's consumer secret.
    #[arg(long, default_value = hesabu_etims_sandbox::CONSUMER_SECRET)]
    consumer_secret: String,
    /// Number and check the legacy gateway as strictly as the integrator.
    #[arg(long)]
    strict_legacy: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let profiles = match args.gateway.trim().to_ascii_lowercase().as_str() {
        "both" => Profile::BOTH.to_vec(),
        one => vec![one.parse::<Profile>().map_err(|_| {
            anyhow::anyhow!("--gateway {one:?} is not a gateway: use legacy, integrator or both")
        })?],
    };
    let config = SandboxConfig {
        profiles: profiles.clone(),
        seed: args.seed,
        cmc_key: args.cmc_key,
        consumer_key: args.consumer_key,
        consumer_secret: args.consumer_secret,
        strict_legacy: args.strict_legacy,
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start_with(args.listen, config)
        .await
        .with_context(|| format!("could not listen on {}", args.listen))?;
    println!(
        "Hesabu e-TIMS sandbox (a local test double of KRA, not KRA) on {}",
        sandbox.addr()
    );
    if profiles.contains(&Profile::Legacy) {
        println!("  legacy base URL:     {}", sandbox.legacy_base_url());
    }
    if profiles.contains(&Profile::Integrator) {
        println!("  integrator base URL: {}", sandbox.integrator_base_url());
        println!("  token URL:           {}", sandbox.token_url());
    }
    println!(
        "  what was signed:     http://{}/_sandbox/signed",
        sandbox.addr()
    );
    println!("Stop it with Ctrl-C.");
    std::future::pending::<()>().await;
    Ok(())
}
