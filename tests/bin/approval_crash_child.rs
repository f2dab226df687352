//! The approval crash test's child (`tests/it/approvals.rs`): opens a company file, signs in the
//! given approvers and approves everything in their inboxes, one request per unit of work, until
//! every inbox is empty; then exits 0. It prints `approved REQUEST_ID` after each approval so the
//! test knows it is busy. The test kills it with SIGKILL at random moments and starts it again.
//!
//! Usage: approval-crash-child COMPANY_FILE PASSWORD EMAIL...

use std::io::Write;
use std::sync::Arc;

use hesabu_core::approvals::actions;
use hesabu_core::approvals::wire::{ActionInput, Decision};
use hesabu_store::clock::SystemClock;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: approval-crash-child COMPANY_FILE PASSWORD EMAIL...");
        std::process::exit(2);
    }
    let (path, password, emails) = (&args[1], &args[2], &args[3..]);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let file = hesabu_app::open_company_file(path.as_ref(), Arc::new(SystemClock))
            .await
            .expect("open");
        let mut approvers = Vec::new();
        for email in emails {
            approvers.push(
                hesabu_store::auth::login(&file, email, password)
                    .await
                    .expect("login"),
            );
        }
        let approve = ActionInput {
            decision: Decision::Approve,
            comment: None,
            delegate_to: None,
            expected_version: None,
        };
        let mut out = std::io::stdout();
        loop {
            let mut approved = 0;
            for session in &approvers {
                for item in actions::inbox(&file, session).await.expect("inbox") {
                    actions::act(&file, session, &item.request_id, &approve)
                        .await
                        .expect("approve");
                    approved += 1;
                    writeln!(out, "approved {}", item.request_id).expect("stdout");
                    out.flush().expect("stdout");
                }
            }
            if approved == 0 {
                break;
            }
        }
        file.close().await.expect("close");
    });
}
