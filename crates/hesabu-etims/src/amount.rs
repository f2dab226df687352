//! Exact JSON numbers for KRA amounts, rates and quantities: the sync contract's
//! [`hesabu_sync_api::amount`], shared with the other client crates (its docs say why money is
//! read and written as raw JSON text, never through a float). Re-exported here so this crate's
//! types say `#[serde(with = "crate::amount")]`.

pub use hesabu_sync_api::amount::{Scalar, count, deserialize, option, parse, scalar, serialize};
