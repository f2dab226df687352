//! Hesabu's domain: what an accountant's company does, on the storage kernel (`hesabu-store`).
//! Tauri-free, CLI-free and client-free by design; the app layer (`hesabu-app`), the CLI and the
//! desktop shell stand on it.
//!
//! The modules form layers, each importing only those below it (ARCHITECTURE.md has the table;
//! `tests/it/layers.rs` fails on an upward import):
//!
//! 1. [`entities`] — the stored shape of the domain's tables; [`tabular`] — reading the CSV and
//!    XLSX files every import takes, with the size, encoding and formula checks done once.
//! 2. organisation — [`company`], [`users`], [`departments`].
//! 3. [`budgets`] — the budget ledger: check, reserve, commit, release; import; reports.
//! 4. [`documents`] — the documents every flow works on (tables, lines, statuses, amounts).
//! 5. [`rules`] — decision-table business rules: the format and a pure evaluator, and storing
//!    rule tables.
//! 6. [`workflows`] — what is sent to KRA e-TIMS: configs, local events, the execution log.
//! 7. [`approvals`] — the approval engine: policies, routing, decisions, delegation, SLA jobs,
//!    and the hooks where budgets and rules join a document's approval.

pub mod approvals;
pub mod budgets;
pub mod company;
pub mod departments;
pub mod documents;
mod entities;
pub mod rules;
pub mod sales;
pub mod tabular;
pub mod users;
pub mod workflows;
