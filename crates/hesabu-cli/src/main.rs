//! The `hesabu` binary: reads the process environment, runs the command, exits with its code.
//! Everything else is in the library so tests can run commands in-process.

use std::io::IsTerminal;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let env = hesabu_cli::Env::from_process(std::io::stdin().is_terminal());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("the async runtime starts");
    let outcome = runtime.block_on(hesabu_cli::run(args, env));
    print!("{}", outcome.stdout);
    eprint!("{}", outcome.stderr);
    std::process::exit(outcome.code);
}
