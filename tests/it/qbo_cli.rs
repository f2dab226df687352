//! `hesabu qbo …` through the command line against the local QuickBooks sandbox, with
//! `HESABU_SECRETS` pointing at a temporary file store: configure (the client secret never a
//! flag), authorize-url, connect --paste, status, pull, reviews, push through the outbox,
//! disconnect, "reconnect needed"; and `hesabu qbo broker` serving a company in broker mode.

use std::net::TcpListener;
use std::time::Duration;

use hesabu_cli::{Env, Outcome};
use serde_json::Value;

use crate::qbo::{Fixture, consent, fixture, sign};
use crate::support::{ADMIN_EMAIL, ADMIN_PASSWORD, env, hesabu};

const REDIRECT: &str = "https://connect.example.com/qbo/callback";

/// The fixture's company file, closed, for the CLI to open; and the environment `hesabu` gets.
struct Cli {
    f: Fixture,
    path: String,
    secrets_path: std::path::PathBuf,
}

impl Cli {
    async fn new() -> Cli {
        let f = fixture().await;
        let path = f.file.path().to_string_lossy().into_owned();
        let secrets_path = f.dir.path().join("cli-secrets.json");
        f.file.clone().close().await.unwrap();
        Cli {
            f,
            path,
            secrets_path,
        }
    }

    fn env(&self) -> Env {
        let mut e = env(Some(ADMIN_PASSWORD), None);
        e.secrets = Some(format!("file:{}", self.secrets_path.display()));
        e
    }

    async fn run_with(&self, args: &[&str], env: Env) -> Outcome {
        let mut all = vec![
            "--company",
            self.path.as_str(),
            "--as",
            ADMIN_EMAIL,
            "--json",
        ];
        all.extend_from_slice(args);
        Box::pin(hesabu(&all, env)).await
    }

    async fn ok(&self, args: &[&str]) -> Value {
        let out = self.run_with(args, self.env()).await;
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
        out.json()
    }

    fn stored_secrets(&self) -> String {
        std::fs::read_to_string(&self.secrets_path).unwrap_or_default()
    }
}

#[tokio::test]
async fn the_qbo_commands_configure_connect_pull_push_and_disconnect() {
    let cli = Cli::new().await;
    let base = cli.f.sandbox.base_url();
    let client_id = cli.f.sandbox.client_id();
    let secret = cli.f.sandbox.client_secret();
    let configure = [
        "qbo",
        "configure",
        "--mode",
        "paste-back",
        "--client-id",
        client_id.as_str(),
        "--redirect-uri",
        REDIRECT,
        "--base-url",
        base.as_str(),
        "--cu-field",
        "1",
    ];

    // The secret is never a flag.
    let mut flagged = configure.to_vec();
    flagged.extend(["--client-secret", secret.as_str()]);
    let out = cli.run_with(&flagged, cli.env()).await;
    assert_eq!(out.code, 2, "{}", out.stderr);
    // From the environment variable: kept in the secret store, not in the company file.
    let mut with_secret = cli.env();
    with_secret.qbo_client_secret = Some(secret.clone());
    let out = cli.run_with(&configure, with_secret).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let view = out.json();
    assert_eq!(view["mode"], "paste");
    assert_eq!(view["connected"], false);
    assert!(cli.stored_secrets().contains(&secret));
    let bytes = std::fs::read(&cli.path).unwrap();
    assert!(
        !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
        "the client secret is not in the company file"
    );
    // A wrong custom field is refused with the fix.
    let mut wrong = configure.to_vec();
    let last = wrong.len() - 1;
    wrong[last] = "7";
    let out = cli.run_with(&wrong, cli.env()).await;
    assert_eq!(out.code, 2);
    assert!(
        out.error_json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("use 1, 2 or 3")
    );

    // Paste-back.
    let url = cli.ok(&["qbo", "authorize-url"]).await["url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(url.starts_with(&format!("{base}/connect/oauth2?")), "{url}");
    let pasted = consent(&url).await;
    let view = cli.ok(&["qbo", "connect", "--paste", &pasted]).await;
    assert_eq!(view["realm_id"], cli.f.sandbox.realm_id());
    let status = cli.ok(&["qbo", "status"]).await;
    assert_eq!(status["connected"], true);
    assert_eq!(status["reconnect_needed"], Value::Null);
    assert!(cli.stored_secrets().contains("/tokens"));

    // Pulls: the first loads everything, the next follows changes.
    let first = cli.ok(&["qbo", "pull"]).await;
    assert_eq!(first["mode"], "initial");
    assert_eq!(first["sales_issued"], 13);
    let second = cli.ok(&["qbo", "pull"]).await;
    assert_eq!(second["mode"], "cdc");
    assert_eq!(second["sales_issued"], 0);
    let full = cli.ok(&["qbo", "pull", "--full"]).await;
    assert_eq!(full["mode"], "initial");
    assert_eq!(full["sales_issued"], 0, "nothing is issued twice");
    let status = cli.ok(&["qbo", "status"]).await;
    assert!(status["last_pull_at"].is_string());
    let reviews = cli.ok(&["qbo", "reviews"]).await;
    let reviews = reviews.as_array().unwrap();
    assert_eq!(
        reviews.len() as i64,
        status["open_reviews"].as_i64().unwrap()
    );

    // A signed invoice changed in QuickBooks shows up in the reviews, in words.
    let invoice = cli.f.sandbox.ids("Invoice")[0].clone();
    let file =
        hesabu_app::open_company_file(std::path::Path::new(&cli.path), crate::support::clock())
            .await
            .unwrap();
    let admin = hesabu_store::auth::login(&file, ADMIN_EMAIL, ADMIN_PASSWORD)
        .await
        .unwrap();
    let local: String = {
        use sea_orm::{ConnectionTrait, DbBackend, Statement};
        file.reader()
            .query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                format!(
                    "SELECT local_id FROM qbo_object WHERE entity = 'Invoice' AND qbo_id = \
                     '{invoice}'"
                ),
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get_by_index(0)
            .unwrap()
    };
    sign(&file, &admin, &local, 1).await;
    let number = hesabu_core::sales::documents::show(&file, &admin, &local)
        .await
        .unwrap()
        .number
        .unwrap();
    file.close().await.unwrap();

    // Push by number: queued here (no pull since signing), drained through the outbox.
    let pushed = cli.ok(&["qbo", "push", &number]).await;
    assert_eq!(pushed["queued"], true);
    assert_eq!(pushed["state"], "done", "{pushed}");
    assert_eq!(pushed["drain"]["done"], 1);
    assert_eq!(cli.f.sandbox.stats().uploads, 1);
    let after: Value =
        serde_json::from_str(&cli.f.sandbox.object("Invoice", &invoice).unwrap()).unwrap();
    assert!(after["PrivateNote"].as_str().unwrap().contains("[ETR] CU="));
    let again = cli.ok(&["qbo", "push", &number]).await;
    assert_eq!(again["queued"], false);
    assert_eq!(cli.f.sandbox.stats().uploads, 1, "nothing uploaded twice");

    cli.f
        .sandbox
        .edit("Invoice", &invoice, "TotalAmt", "999.00")
        .unwrap();
    let pulled = cli.ok(&["qbo", "pull"]).await;
    assert_eq!(pulled["reviews"], 1, "{pulled}");
    let reviews = cli.ok(&["qbo", "reviews"]).await;
    assert!(
        reviews
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["kind"] == "changed_after_signing")
    );
    let text = hesabu(
        &[
            "--company",
            cli.path.as_str(),
            "--as",
            ADMIN_EMAIL,
            "qbo",
            "reviews",
        ],
        cli.env(),
    )
    .await;
    assert_eq!(text.code, 0, "{}", text.stderr);
    assert!(
        text.stdout.contains("changed after KRA signed it"),
        "{}",
        text.stdout
    );

    // Disconnect revokes and wipes the tokens.
    let view = cli.ok(&["qbo", "disconnect"]).await;
    assert_eq!(view["realm_id"], Value::Null);
    assert_eq!(cli.f.sandbox.stats().revokes, 1);
    assert!(!cli.stored_secrets().contains("/tokens\""));
    let out = cli.run_with(&["qbo", "pull"], cli.env()).await;
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("not connected"), "{}", out.stderr);

    // Connected again, then the user disconnects Hesabu inside QuickBooks: reconnect needed.
    let url = cli.ok(&["qbo", "authorize-url"]).await["url"]
        .as_str()
        .unwrap()
        .to_owned();
    let pasted = consent(&url).await;
    cli.ok(&["qbo", "connect", "--paste", &pasted]).await;
    cli.f.sandbox.revoke_all();
    cli.f.sandbox.expire_access_tokens();
    let out = cli.run_with(&["qbo", "pull"], cli.env()).await;
    assert_ne!(out.code, 0);
    let status = cli.ok(&["qbo", "status"]).await;
    assert!(status["reconnect_needed"].is_string(), "{status}");
    assert_eq!(status["connected"], false);
    let view = cli.ok(&["qbo", "disconnect", "--force"]).await;
    assert_eq!(view["realm_id"], Value::Null);
}

/// A free loopback port (bound, then released for the broker to take).
fn free_addr() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().to_string()
}

async fn wait_listening(addr: &str) {
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("nothing listens on {addr}");
}

#[tokio::test]
async fn hesabu_qbo_broker_serves_a_company_in_broker_mode() {
    let cli = Cli::new().await;
    let sandbox = &cli.f.sandbox;

    // No secret: refused before listening.
    let out = hesabu(
        &[
            "qbo",
            "broker",
            "--listen",
            "127.0.0.1:0",
            "--client-id",
            "x",
        ],
        env(None, None),
    )
    .await;
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("HESABU_QBO_CLIENT_SECRET"),
        "{}",
        out.stderr
    );

    let addr = free_addr();
    let mut broker_env = env(None, None);
    broker_env.qbo_client_secret = Some(sandbox.client_secret());
    let argv: Vec<String> = [
        "hesabu",
        "qbo",
        "broker",
        "--listen",
        addr.as_str(),
        "--client-id",
        sandbox.client_id().as_str(),
        "--token-url",
        sandbox.token_url().as_str(),
        "--revoke-url",
        sandbox.revoke_url().as_str(),
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let running = tokio::spawn(Box::pin(hesabu_cli::run(argv, broker_env)));
    wait_listening(&addr).await;

    // Broker mode keeps no secret here: giving one is refused.
    let base = sandbox.base_url();
    let client_id = sandbox.client_id();
    let broker_url = format!("http://{addr}");
    let configure = [
        "qbo",
        "configure",
        "--mode",
        "broker",
        "--client-id",
        client_id.as_str(),
        "--broker-url",
        broker_url.as_str(),
        "--redirect-uri",
        REDIRECT,
        "--base-url",
        base.as_str(),
    ];
    let mut with_secret = cli.env();
    with_secret.qbo_client_secret = Some("oops".into());
    let out = cli.run_with(&configure, with_secret).await;
    assert_eq!(out.code, 2, "{}", out.stderr);
    let view = cli.ok(&configure).await;
    assert_eq!(view["mode"], "broker");

    let url = cli.ok(&["qbo", "authorize-url"]).await["url"]
        .as_str()
        .unwrap()
        .to_owned();
    let pasted = consent(&url).await;
    let view = cli.ok(&["qbo", "connect", "--paste", &pasted]).await;
    assert_eq!(view["realm_id"], sandbox.realm_id());
    sandbox.expire_access_tokens();
    let pulled = cli.ok(&["qbo", "pull"]).await;
    assert_eq!(pulled["sales_issued"], 13);
    let stats = sandbox.stats();
    assert_eq!(stats.code_exchanges, 1);
    assert!(stats.refresh_requests >= 1, "{stats:?}");
    assert_eq!(stats.broker_calls, 0, "the CLI's broker did the work");
    assert!(!cli.stored_secrets().contains(&sandbox.client_secret()));
    cli.ok(&["qbo", "disconnect"]).await;
    assert_eq!(sandbox.stats().revokes, 1);

    running.abort();
    let _ = running.await;
    // Stopped with the command: the port is free again.
    let mut freed = false;
    for _ in 0..100 {
        if TcpListener::bind(&addr).is_ok() {
            freed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(freed, "the broker still listens on {addr}");
}
