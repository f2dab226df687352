//! KRA e-TIMS on the sales ledger: what the app layer adds between the ledger (`hesabu-core`)
//! and the typed client (`hesabu-etims`, which knows no database).
//!
//! - [`payload`]: the `saveTrnsSalesOsdc` request built from a stored sale, its amounts taken
//!   from the ledger's tax module (never recomputed here).
//!
//! Still to come (issue 16): device set-up, reference data, the fiscal outbox target with the
//! safe-send algorithm (spec §11.4), the local sandbox.

pub mod payload;
