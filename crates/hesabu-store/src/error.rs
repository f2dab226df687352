//! The core's one error type. Every message tells the user what to do next; the [`ErrorKind`]
//! lets callers branch (the CLI maps it to an exit code, the UI to a style) without parsing text.

use serde::Serialize;
use ts_rs::TS;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The caller's input is wrong; the message says which field and how to fix it.
    #[error("{0}")]
    InvalidInput(String),
    /// Authenticated, but the role does not allow this.
    #[error("{0}")]
    PermissionDenied(String),
    /// Login failed or the account cannot sign in.
    #[error("{0}")]
    AuthFailed(String),
    #[error("{0}")]
    NotFound(String),
    /// The change clashes with what is stored (duplicate email, already decided, …).
    #[error("{0}")]
    Conflict(String),
    /// The tamper-evident audit chain does not verify.
    #[error("{0}")]
    AuditBroken(String),
    /// A local facility (the OS keyring, a folder) is not available.
    #[error("{0}")]
    Unavailable(String),
    #[error(
        "The company file could not be read or written ({0}). Check that the file still exists, \
         that its drive is connected and that you may write to its folder, then try again."
    )]
    Storage(#[from] sea_orm::DbErr),
    #[error(
        "The company file could not be brought up to date ({0}). It may have been made by a newer \
         Hesabu, or edited outside Hesabu; restore it from a backup or update Hesabu."
    )]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// A broken invariant inside Hesabu itself: a bug to report, not something the user did.
    #[error("Internal error: {0}. Please report this; no data was changed.")]
    Internal(String),
}

impl From<hesabu_sync_api::secrets::SecretError> for Error {
    fn from(error: hesabu_sync_api::secrets::SecretError) -> Self {
        use hesabu_sync_api::secrets::SecretError;
        match error {
            SecretError::Unavailable(message) => Error::Unavailable(message),
            SecretError::Invalid(message) => Error::InvalidInput(message),
        }
    }
}

impl Error {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::InvalidInput(_) => ErrorKind::InvalidInput,
            Error::PermissionDenied(_) => ErrorKind::PermissionDenied,
            Error::AuthFailed(_) => ErrorKind::AuthFailed,
            Error::NotFound(_) => ErrorKind::NotFound,
            Error::Conflict(_) => ErrorKind::Conflict,
            Error::AuditBroken(_) => ErrorKind::AuditBroken,
            Error::Unavailable(_) => ErrorKind::Unavailable,
            Error::Storage(_) | Error::Migration(_) => ErrorKind::Storage,
            Error::Internal(_) => ErrorKind::Internal,
        }
    }

    /// The error as data for the UI and for `--json` output.
    pub fn to_wire(&self) -> WireError {
        WireError {
            kind: self.kind(),
            message: self.to_string(),
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Error::InvalidInput(message.into())
    }
}

/// What went wrong, as a stable code for programs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    InvalidInput,
    PermissionDenied,
    AuthFailed,
    NotFound,
    Conflict,
    AuditBroken,
    Unavailable,
    Storage,
    Internal,
}

/// An error as it crosses to the UI or out of `hesabu --json`: `{"kind": .., "message": ..}`.
#[derive(Debug, Clone, Serialize, TS)]
pub struct WireError {
    pub kind: ErrorKind,
    pub message: String,
}
