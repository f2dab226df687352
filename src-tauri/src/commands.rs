//! The Tauri commands the UI calls, exactly as listed in `docs/desktop-contract.md`. Each one is
//! a thin adapter: take the arguments, call one service of `hesabu-core` (or [`AppState`] for
//! the open-file lifecycle), and return its wire type or a [`WireError`] (`{kind, message}`).
//!
//! [`command_table!`] at the bottom is the one list of commands: it registers them with Tauri
//! ([`handler`]) and describes them to the TypeScript generator ([`signatures`]), and it fails to
//! compile if a listed signature does not match the function, so the two cannot drift.

use hesabu_core::wire::{
    AuditEntryView, AuditVerifyReport, CompanyInfo, CompanySettingsUpdate, DepartmentView,
    NewCompany, NewUser, SessionInfo, UserView,
};
use hesabu_core::{WireError, audit, company, departments, users};
use tauri::State;

use crate::state::{AppState, IntoWire};
use crate::wire::{OpenedCompany, StartInfo};

#[tauri::command]
pub async fn start_info(state: State<'_, AppState>) -> Result<StartInfo, WireError> {
    Ok(StartInfo {
        recent: state.recent(),
        default_folder: state.default_folder().to_string_lossy().into_owned(),
        demo_path: state.demo_path().to_string_lossy().into_owned(),
        open_company: state.opened().await?,
    })
}

#[tauri::command]
pub async fn company_open(
    state: State<'_, AppState>,
    path: String,
) -> Result<OpenedCompany, WireError> {
    state.open_company(&path).await
}

#[tauri::command]
pub async fn company_create(
    state: State<'_, AppState>,
    path: String,
    company: NewCompany,
) -> Result<OpenedCompany, WireError> {
    state.create_company(&path, &company).await
}

#[tauri::command]
pub async fn demo_open(state: State<'_, AppState>) -> Result<OpenedCompany, WireError> {
    state.open_demo().await
}

#[tauri::command]
pub async fn company_close(state: State<'_, AppState>) -> Result<(), WireError> {
    state.close_company().await;
    Ok(())
}

#[tauri::command]
pub async fn login(
    state: State<'_, AppState>,
    email: String,
    password: String,
) -> Result<SessionInfo, WireError> {
    state.login(&email, &password).await
}

#[tauri::command]
pub async fn logout(state: State<'_, AppState>) -> Result<(), WireError> {
    state.logout().await;
    Ok(())
}

#[tauri::command]
pub async fn session_current(state: State<'_, AppState>) -> Result<Option<SessionInfo>, WireError> {
    Ok(state.session_info().await)
}

#[tauri::command]
pub async fn company_info(state: State<'_, AppState>) -> Result<CompanyInfo, WireError> {
    let (open, session) = state.signed_in().await?;
    company::info(&open.file, &session).await.wire()
}

#[tauri::command]
pub async fn company_update(
    state: State<'_, AppState>,
    change: CompanySettingsUpdate,
) -> Result<CompanyInfo, WireError> {
    let (open, session) = state.signed_in().await?;
    company::update(&open.file, &session, &change).await.wire()
}

#[tauri::command]
pub async fn users_list(state: State<'_, AppState>) -> Result<Vec<UserView>, WireError> {
    let (open, session) = state.signed_in().await?;
    users::list(&open.file, &session).await.wire()
}

#[tauri::command]
pub async fn user_add(state: State<'_, AppState>, user: NewUser) -> Result<UserView, WireError> {
    let (open, session) = state.signed_in().await?;
    users::add(&open.file, &session, &user).await.wire()
}

#[tauri::command]
pub async fn user_deactivate(
    state: State<'_, AppState>,
    email: String,
) -> Result<UserView, WireError> {
    let (open, session) = state.signed_in().await?;
    users::deactivate(&open.file, &session, &email).await.wire()
}

#[tauri::command]
pub async fn departments_list(
    state: State<'_, AppState>,
) -> Result<Vec<DepartmentView>, WireError> {
    let (open, session) = state.signed_in().await?;
    departments::list(&open.file, &session).await.wire()
}

#[tauri::command]
pub async fn department_add(
    state: State<'_, AppState>,
    name: String,
) -> Result<DepartmentView, WireError> {
    let (open, session) = state.signed_in().await?;
    departments::add(&open.file, &session, &name).await.wire()
}

#[tauri::command]
pub async fn audit_list(
    state: State<'_, AppState>,
    limit: u32,
) -> Result<Vec<AuditEntryView>, WireError> {
    let (open, session) = state.signed_in().await?;
    audit::list(&open.file, &session, u64::from(limit))
        .await
        .wire()
}

#[tauri::command]
pub async fn audit_verify(state: State<'_, AppState>) -> Result<AuditVerifyReport, WireError> {
    let (open, session) = state.signed_in().await?;
    audit::verify(&open.file, &session).await.wire()
}

/// One command as the TypeScript generator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandSignature {
    pub name: &'static str,
    /// (argument name as passed to `invoke`, TypeScript type)
    pub args: Vec<(&'static str, String)>,
    /// TypeScript type of the resolved value.
    pub returns: String,
}

/// Declares the command list once. Every command takes `State<AppState>` first (not listed) and
/// returns `Result<returns, WireError>`.
macro_rules! command_table {
    ($( $name:ident ( $($arg:ident : $ty:ty),* ) -> $ret:ty; )*) => {
        /// Tauri's invoke handler for every command in the table.
        pub fn handler() -> impl Fn(tauri::ipc::Invoke<tauri::Wry>) -> bool + Send + Sync + 'static {
            tauri::generate_handler![$($name),*]
        }

        /// Every command's name, arguments and result, in table order.
        pub fn signatures(cfg: &ts_rs::Config) -> Vec<CommandSignature> {
            vec![$(
                CommandSignature {
                    name: stringify!($name),
                    args: vec![$( (stringify!($arg), <$ty as ts_rs::TS>::name(cfg)) ),*],
                    returns: <$ret as ts_rs::TS>::name(cfg),
                }
            ),*]
        }

        /// Never called: it only compiles if each listed signature matches the real function.
        #[allow(dead_code)]
        mod signature_check {
            use super::*;
            $(
                pub async fn $name(
                    state: State<'_, AppState>,
                    $($arg: $ty),*
                ) -> Result<$ret, WireError> {
                    super::$name(state, $($arg),*).await
                }
            )*
        }
    };
}

command_table! {
    start_info() -> StartInfo;
    company_open(path: String) -> OpenedCompany;
    company_create(path: String, company: NewCompany) -> OpenedCompany;
    demo_open() -> OpenedCompany;
    company_close() -> ();
    login(email: String, password: String) -> SessionInfo;
    logout() -> ();
    session_current() -> Option<SessionInfo>;
    company_info() -> CompanyInfo;
    company_update(change: CompanySettingsUpdate) -> CompanyInfo;
    users_list() -> Vec<UserView>;
    user_add(user: NewUser) -> UserView;
    user_deactivate(email: String) -> UserView;
    departments_list() -> Vec<DepartmentView>;
    department_add(name: String) -> DepartmentView;
    audit_list(limit: u32) -> Vec<AuditEntryView>;
    audit_verify() -> AuditVerifyReport;
}
