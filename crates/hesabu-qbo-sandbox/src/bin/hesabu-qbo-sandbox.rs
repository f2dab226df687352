//! `hesabu-qbo-sandbox --listen ADDR [--invoices N] [--customers N] [--items N]
//! [--rate-limit] [--per-second N] [--per-minute N] [--latency-ms N]`: runs the local
//! QuickBooks Online sandbox for the demo and by hand, until the process is stopped.
//! `--rate-limit` turns on Intuit's limits (10/s, 500/min); `--per-second` / `--per-minute`
//! turn it on with others.

use std::net::SocketAddr;
use std::time::Duration;

use hesabu_qbo_sandbox::{RateLimit, Sandbox, SandboxOptions};

const USAGE: &str = "usage: hesabu-qbo-sandbox --listen ADDR [--invoices N] [--customers N] \
                     [--items N] [--credit-memos N] [--sales-receipts N] [--rate-limit] \
                     [--per-second N] [--per-minute N] [--latency-ms N]";

fn parse() -> Result<(SocketAddr, SandboxOptions), String> {
    let mut listen: Option<SocketAddr> = None;
    let mut options = SandboxOptions::default();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            return Err(USAGE.to_owned());
        }
        if flag == "--rate-limit" {
            options.rate_limit.get_or_insert(RateLimit::INTUIT);
            continue;
        }
        const FLAGS: &[&str] = &[
            "--listen",
            "--invoices",
            "--customers",
            "--items",
            "--credit-memos",
            "--sales-receipts",
            "--per-second",
            "--per-minute",
            "--latency-ms",
        ];
        if !FLAGS.contains(&flag.as_str()) {
            return Err(format!("unknown option {flag}\n{USAGE}"));
        }
        let value = args
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        let count = || {
            value
                .parse::<usize>()
                .map_err(|_| format!("{flag} takes a number, not {value:?}"))
        };
        match flag.as_str() {
            "--listen" => {
                listen = Some(value.parse().map_err(|_| {
                    format!("--listen takes an address such as 127.0.0.1:8790, not {value:?}")
                })?)
            }
            "--invoices" => options.seed.invoices = count()?,
            "--customers" => options.seed.customers = count()?,
            "--items" => options.seed.items = count()?,
            "--credit-memos" => options.seed.credit_memos = count()?,
            "--sales-receipts" => options.seed.sales_receipts = count()?,
            "--per-second" | "--per-minute" => {
                let n = value
                    .parse::<u32>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| format!("{flag} takes a number above 0, not {value:?}"))?;
                let limit = options.rate_limit.get_or_insert(RateLimit::INTUIT);
                if flag == "--per-second" {
                    limit.per_second = n;
                } else {
                    limit.per_minute = n;
                }
            }
            "--latency-ms" => {
                options.latency = Duration::from_millis(
                    value
                        .parse::<u64>()
                        .map_err(|_| format!("--latency-ms takes a number, not {value:?}"))?,
                )
            }
            other => return Err(format!("unknown option {other}\n{USAGE}")),
        }
    }
    let listen = listen.ok_or_else(|| format!("--listen is required\n{USAGE}"))?;
    Ok((listen, options))
}

#[tokio::main]
async fn main() {
    let (listen, options) = match parse() {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    let sandbox = match Sandbox::start_with(listen, options).await {
        Ok(sandbox) => sandbox,
        Err(e) => {
            eprintln!("could not listen on {listen}: {e}");
            std::process::exit(1);
        }
    };
    println!("QuickBooks Online sandbox (local, not Intuit) listening");
    println!("  API base      {}", sandbox.base_url());
    println!("  realmId       {}", sandbox.realm_id());
    println!("  consent page  {}", sandbox.authorize_url());
    println!("  token URL     {}", sandbox.token_url());
    println!("  revoke URL    {}", sandbox.revoke_url());
    println!("  broker        {}", sandbox.broker_url());
    println!("  client id     {}", sandbox.client_id());
    println!("  client secret {}", sandbox.client_secret());
    match sandbox.rate_limit() {
        Some(limit) => println!(
            "  rate limit    {}/s, {}/min (429 past it)",
            limit.per_second, limit.per_minute
        ),
        None => println!("  rate limit    none"),
    }
    println!("  admin         {}/admin/state", sandbox.base_url());
    std::future::pending::<()>().await;
}
