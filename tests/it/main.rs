//! Hesabu's cross-crate integration tests: one binary, a module per area. Run with
//! `cargo test -p hesabu-tests`. Each test makes its own company file in a temporary folder.

mod approvals;
mod audit;
mod backup;
mod budget_approvals;
mod budgets;
mod cli;
mod company_file;
mod concurrency;
mod demo;
mod etims_crash;
mod etims_fiscal;
mod etims_golive;
mod etims_masters;
mod etims_payload;
mod etims_support;
mod exports;
mod hostile;
mod layers;
mod monitor;
mod outbox;
mod permissions;
mod qbo;
mod qbo_cli;
mod qbo_crash;
mod qbo_load;
mod receipts;
mod register;
mod rules;
mod sales;
mod scheduler;
mod secrets;
mod source_rules;
mod support;
mod workflows;
