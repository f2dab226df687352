//! [`ConnectError`]: why a QuickBooks redirect could not be used. Its own module so that the
//! OAuth flow (which raises it) and the crate's [`crate::Error`] (which carries it) both depend on
//! it rather than on each other.

/// Why the redirect could not be used. Each message says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectError {
    #[error(
        "that is not the address QuickBooks sent you to ({0}). Copy the whole address from the \
         browser's address bar after QuickBooks redirected, and paste it here"
    )]
    NotAnAddress(String),
    #[error(
        "QuickBooks did not connect ({error}{}). Sign in as a QuickBooks admin user and allow \
         Hesabu access, then start Connect again",
        .description.as_deref().map(|d| format!(": {d}")).unwrap_or_default()
    )]
    Refused {
        /// OAuth's `error`: `access_denied`, `invalid_scope`, …
        error: String,
        description: Option<String>,
    },
    #[error(
        "the pasted address has no `state`, so Hesabu cannot tell that it answers this \
         connection attempt. Paste the whole address the browser shows after QuickBooks \
         redirected, not just the code"
    )]
    StateMissing,
    #[error(
        "the pasted address answers a different connection attempt (its `state` does not \
         match). Start Connect again and paste the address from that attempt"
    )]
    StateMismatch,
    #[error(
        "the pasted address has no authorization `code`. Paste the whole address the browser \
         shows after QuickBooks redirected"
    )]
    CodeMissing,
    #[error(
        "the pasted address has no `realmId` (the QuickBooks company id). Paste the whole \
         address the browser shows after QuickBooks redirected"
    )]
    RealmMissing,
    #[error(
        "no answer came back from the browser within {0} minutes. Start Connect again, or \
         paste the address the browser shows"
    )]
    TimedOut(u64),
}
