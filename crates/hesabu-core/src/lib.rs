//! Hesabu's core: the domain, the company file and every service. Tauri-free by design; the
//! CLI (`hesabu-cli`) and the desktop shell (`src-tauri`) are thin adapters over this crate.
//!
//! Start with [`company_file`] (opening a company file), [`uow`] (the one-transaction rule),
//! [`auth`] and [`permissions`] (who may do what), then the services: [`company`], [`users`],
//! [`departments`], [`audit`], the approval engine in [`approvals`] and budget control in
//! [`budgets`]. The outbox and its sync worker are in [`outbox`]; backups of the company file in
//! [`backup`]. Workflows (what is sent to e-TIMS, events, the execution log) are in
//! [`workflows`]; decision-table business rules in [`rules`]. The [`scheduler`] runs the
//! periodic jobs (approval reminders, outbox retries, the daily summary in [`reports`],
//! backups); [`monitor`] and [`connectivity`] are the figures and the online/offline view behind
//! the Monitoring and Sync pages. Wire types for the UI and CLI are in [`wire`].

pub mod approvals;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod budgets;
pub mod clock;
pub mod company;
pub mod company_file;
pub mod connectivity;
pub mod demo;
pub mod departments;
mod entities;
pub mod error;
pub mod ids;
pub mod money;
pub mod monitor;
pub mod notifications;
pub mod outbox;
pub mod permissions;
pub mod reports;
pub mod rules;
pub mod scheduler;
pub mod secrets;
pub mod uow;
pub mod users;
pub mod wire;
pub mod workflows;
pub mod write_connection;

pub use error::{Error, ErrorKind, Result, WireError};
