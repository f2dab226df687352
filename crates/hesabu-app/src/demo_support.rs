//! What the demo company's parts share, below all of them: its customers (the ledger's seed and
//! the local KRA double's taxpayers), its secret store beside the file, and the customers pulled
//! from its local QuickBooks. Its own module so that `demo`, `etims::demo_sandbox` and
//! `qbo::demo_sandbox` depend on it rather than on each other.

use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::{Error, Result};
use hesabu_store::secrets::FileStore;
use sea_orm::{ConnectionTrait, Statement};

/// A demo customer: name, KRA PIN, email, mobile.
pub type DemoCustomer = (
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
);

/// The demo's customers.
pub const DEMO_CUSTOMERS: [DemoCustomer; 5] = [
    (
        "Kilimani Dental Clinic",
        Some("P051987654K"),
        Some("accounts@kilimanidental.co.ke"),
        Some("+254722100200"),
    ),
    (
        "Rift Valley Hardware Ltd",
        Some("P052246810R"),
        Some("orders@rvhardware.co.ke"),
        None,
    ),
    (
        "Safari Tours International",
        Some("P051357913S"),
        Some("finance@safaritours.com"),
        None,
    ),
    ("Wanjiku Kamau", None, None, Some("0712345678")),
    (
        "Mombasa Fresh Produce",
        Some("A004416331M"),
        None,
        Some("+254733555111"),
    ),
];

/// The secret store of a demo company file: a file beside it, never the OS keyring (its keys
/// and tokens are a local test double's; see `etims::demo_sandbox`).
pub fn secrets(file: &CompanyFile) -> FileStore {
    FileStore::new(file.path().with_extension("sandbox-secrets.json"))
}

/// The customers pulled from QuickBooks with a KRA PIN, as (PIN, name): in the demo file, the
/// customers of its local QuickBooks sandbox, which the local KRA double knows as taxpayers.
pub async fn pulled_taxpayers(db: &impl ConnectionTrait) -> Result<Vec<(String, String)>> {
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT kra_pin, name FROM customer WHERE qbo_id IS NOT NULL AND kra_pin IS NOT NULL \
             ORDER BY name",
            [],
        ))
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let pin: Option<String> = r
            .try_get("", "kra_pin")
            .map_err(|e| Error::Internal(format!("customer.kra_pin: {e}")))?;
        let name: Option<String> = r
            .try_get("", "name")
            .map_err(|e| Error::Internal(format!("customer.name: {e}")))?;
        if let (Some(pin), Some(name)) = (pin, name) {
            out.push((pin, name));
        }
    }
    Ok(out)
}
