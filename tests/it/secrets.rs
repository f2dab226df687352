//! The secrets store: the file store when opted into, and the keyring's message when there is none.

use hesabu_store::secrets::{KeyringStore, SecretError, SecretStore, store_from_spec};

#[test]
fn the_file_store_keeps_secrets_out_of_the_company_file() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = dir.path().join("secrets.json");
    let store = store_from_spec(&format!("file:{}", secrets.display())).unwrap();
    store.set("company-1/qbo/refresh_token", "rt-123").unwrap();
    assert_eq!(
        store.get("company-1/qbo/refresh_token").unwrap().as_deref(),
        Some("rt-123")
    );
    assert!(store.describe().contains("secrets.json"));
}

#[test]
fn the_keyring_either_works_or_says_how_to_opt_into_the_file_store() {
    // CI has no Secret Service, a developer's desktop usually has one: both must behave.
    let store = KeyringStore;
    let key = "hesabu-test/keyring-probe";
    match store.set(key, "probe") {
        Ok(()) => {
            assert_eq!(store.get(key).unwrap().as_deref(), Some("probe"));
            store.delete(key).unwrap();
            assert_eq!(store.get(key).unwrap(), None);
        }
        Err(e) => {
            assert!(matches!(e, SecretError::Unavailable(_)), "{e:?}");
            assert!(e.to_string().contains("HESABU_SECRETS=file:"), "{e}");
        }
    }
}
