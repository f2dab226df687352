//! The secrets seam: e-TIMS keys and QuickBooks tokens are kept by a [`SecretStore`], never in
//! the company file. The implementations (the OS keyring, an opt-in file) are in
//! `hesabu_store::secrets`; a client crate only needs this trait.

/// Why a secret could not be stored or read. The message says what the user should do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// No place to keep secrets is available (no keyring service, an unreadable file).
    #[error("{0}")]
    Unavailable(String),
    /// The store's configuration or contents are not understood.
    #[error("{0}")]
    Invalid(String),
}

/// A place to keep secrets, addressed by a key such as `"<company id>/etims/cmc_key"`.
pub trait SecretStore: Send + Sync + std::fmt::Debug {
    fn set(&self, key: &str, value: &str) -> Result<(), SecretError>;
    fn get(&self, key: &str) -> Result<Option<String>, SecretError>;
    fn delete(&self, key: &str) -> Result<(), SecretError>;
    /// Where the secrets live, for settings screens ("OS keyring", "file /path").
    fn describe(&self) -> String;
}
