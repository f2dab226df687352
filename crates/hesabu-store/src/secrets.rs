//! The one place secrets (e-TIMS keys, QuickBooks tokens) are kept: never in the company file.
//!
//! By default secrets go to the OS keyring (Secret Service on Linux, Keychain on macOS,
//! Credential Manager on Windows). Where no keyring service runs (a headless Linux box, CI) the
//! user opts into a separate file with `HESABU_SECRETS=file:/path/to/secrets.json`, written with
//! mode 0600. With neither, storing a secret fails with a message that says so.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use hesabu_sync_api::secrets::{SecretError, SecretStore};

use crate::error::{Error, Result};

type SecretResult<T> = std::result::Result<T, SecretError>;

/// The environment variable that selects the file store.
pub const SECRETS_ENV: &str = "HESABU_SECRETS";
const KEYRING_SERVICE: &str = "hesabu";

/// The store chosen by `HESABU_SECRETS` (see the module docs).
pub fn store_from_env() -> Result<Box<dyn SecretStore>> {
    match std::env::var(SECRETS_ENV) {
        Ok(spec) => store_from_spec(&spec),
        Err(_) => Ok(Box::new(KeyringStore)),
    }
}

pub fn store_from_spec(spec: &str) -> Result<Box<dyn SecretStore>> {
    match spec.strip_prefix("file:") {
        Some(path) if !path.trim().is_empty() => Ok(Box::new(FileStore::new(path.trim()))),
        _ => Err(Error::invalid(format!(
            "{SECRETS_ENV}='{spec}' is not understood. Use {SECRETS_ENV}=file:/path/to/secrets.json \
             (outside the company file's folder if you can), or unset it to use the OS keyring."
        ))),
    }
}

/// The OS keyring. Calls run on a plain thread: the Linux backend drives its own D-Bus executor,
/// which must not be nested inside the app's async runtime.
#[derive(Debug, Clone, Copy)]
pub struct KeyringStore;

impl KeyringStore {
    fn call<T: Send + 'static>(
        key: &str,
        op: impl FnOnce(keyring::Entry) -> keyring::Result<T> + Send + 'static,
    ) -> SecretResult<T> {
        let key = key.to_owned();
        std::thread::spawn(move || keyring::Entry::new(KEYRING_SERVICE, &key).and_then(op))
            .join()
            .map_err(|_| SecretError::Unavailable("the keyring thread panicked".into()))?
            .map_err(keyring_unavailable)
    }
}

fn keyring_unavailable(error: keyring::Error) -> SecretError {
    SecretError::Unavailable(format!(
        "No OS keyring is available to keep secrets ({error}). Start your desktop's keyring \
         (e.g. GNOME Keyring or KWallet), or opt into a separate file with \
         {SECRETS_ENV}=file:/path/to/secrets.json."
    ))
}

impl SecretStore for KeyringStore {
    fn set(&self, key: &str, value: &str) -> SecretResult<()> {
        let value = value.to_owned();
        Self::call(key, move |entry| entry.set_password(&value))
    }

    fn get(&self, key: &str) -> SecretResult<Option<String>> {
        Self::call(key, |entry| match entry.get_password() {
            Ok(v) => Ok(Some(v)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(e),
        })
    }

    fn delete(&self, key: &str) -> SecretResult<()> {
        Self::call(key, |entry| match entry.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(e),
        })
    }

    fn describe(&self) -> String {
        "the OS keyring".into()
    }
}

/// A JSON file of key → secret, readable only by its owner (0600). Writes replace the file
/// atomically (write a sibling, then rename), so a crash never leaves half a file.
#[derive(Debug, Clone)]
pub struct FileStore {
    path: PathBuf,
}

impl FileStore {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    fn read_all(&self) -> SecretResult<BTreeMap<String, String>> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                SecretError::Invalid(format!(
                    "The secrets file {} is damaged ({e}). Restore it or delete it and enter \
                     the secrets again.",
                    self.path.display()
                ))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(e) => Err(self.io_error(&e)),
        }
    }

    fn write_all(&self, map: &BTreeMap<String, String>) -> SecretResult<()> {
        let tmp = self.path.with_extension("tmp");
        let bytes =
            serde_json::to_vec_pretty(map).map_err(|e| SecretError::Unavailable(e.to_string()))?;
        write_private(&tmp, &bytes).map_err(|e| self.io_error(&e))?;
        std::fs::rename(&tmp, &self.path).map_err(|e| self.io_error(&e))
    }

    fn io_error(&self, e: &std::io::Error) -> SecretError {
        SecretError::Unavailable(format!(
            "The secrets file {} cannot be used ({e}). Check the folder exists and is writable.",
            self.path.display()
        ))
    }
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    // `mode` applies only when the file is created; tighten an older file too.
    f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    // On Windows the file inherits the user profile folder's ACL, which is private to the user.
    std::fs::write(path, bytes)
}

impl SecretStore for FileStore {
    fn set(&self, key: &str, value: &str) -> SecretResult<()> {
        let mut map = self.read_all()?;
        map.insert(key.to_owned(), value.to_owned());
        self.write_all(&map)
    }

    fn get(&self, key: &str) -> SecretResult<Option<String>> {
        Ok(self.read_all()?.remove(key))
    }

    fn delete(&self, key: &str) -> SecretResult<()> {
        let mut map = self.read_all()?;
        if map.remove(key).is_some() {
            self.write_all(&map)?;
        }
        Ok(())
    }

    fn describe(&self) -> String {
        format!("the file {}", self.path.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_store_round_trips_with_owner_only_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let store =
            store_from_spec(&format!("file:{}", dir.path().join("s.json").display())).unwrap();
        assert_eq!(store.get("a/etims").unwrap(), None);
        store.set("a/etims", "k3y").unwrap();
        store.set("b/qbo", "t0ken").unwrap();
        assert_eq!(store.get("a/etims").unwrap().as_deref(), Some("k3y"));
        store.delete("a/etims").unwrap();
        assert_eq!(store.get("a/etims").unwrap(), None);
        assert_eq!(store.get("b/qbo").unwrap().as_deref(), Some("t0ken"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("s.json"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_damaged_file_is_reported_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        std::fs::write(&path, b"{not json").unwrap();
        let store = FileStore::new(&path);
        let err = store.set("k", "v").unwrap_err().to_string();
        assert!(err.contains("damaged"), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), b"{not json");
    }

    #[test]
    fn unknown_specs_say_how_to_write_one() {
        let err = store_from_spec("vault:x").unwrap_err().to_string();
        assert!(err.contains("HESABU_SECRETS=file:"), "{err}");
    }
}
