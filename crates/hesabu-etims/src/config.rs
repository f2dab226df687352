//! One device's client configuration: gateway, base URL, identity, key and timeouts.

use std::time::Duration;

use crate::gateway::{Gateway, IntegratorAuth, TimeoutKind};
use crate::secret::Secret;

/// How long calls may take. The defaults follow production peers (spec §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Establishing the TCP/TLS connection.
    pub connect: Duration,
    /// Device initialisation and the token request.
    pub init: Duration,
    /// Every other call, fiscal writes included.
    pub call: Duration,
    /// The item-classification download.
    pub bulk: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(15),
            init: Duration::from_secs(30),
            call: Duration::from_secs(120),
            bulk: Duration::from_secs(30 * 60),
        }
    }
}

impl Timeouts {
    /// Every limit the same (tests).
    pub fn all(limit: Duration) -> Self {
        Timeouts {
            connect: limit,
            init: limit,
            call: limit,
            bulk: limit,
        }
    }

    pub fn for_kind(&self, kind: TimeoutKind) -> Duration {
        match kind {
            TimeoutKind::Init => self.init,
            TimeoutKind::Call => self.call,
            TimeoutKind::Bulk => self.bulk,
        }
    }
}

/// One OSCU device (PIN + branch) as the client sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    pub gateway: Gateway,
    /// `https://etims-api-sbx.kra.go.ke/etims-api/`, `https://sbx.kra.go.ke/etims-oscu/api/v1`,
    /// our local sandbox ...; a trailing slash is optional.
    pub base_url: String,
    /// The taxpayer's KRA PIN.
    pub tin: String,
    /// KRA's branch id for this device (never assume `"00"`, spec §3).
    pub bhf_id: String,
    /// The communication key from initialisation; `None` until the device is initialised.
    pub cmc_key: Option<Secret>,
    pub timeouts: Timeouts,
}

impl ClientConfig {
    pub fn legacy(
        base_url: impl Into<String>,
        tin: impl Into<String>,
        bhf_id: impl Into<String>,
    ) -> Self {
        ClientConfig {
            gateway: Gateway::Legacy,
            base_url: base_url.into(),
            tin: tin.into(),
            bhf_id: bhf_id.into(),
            cmc_key: None,
            timeouts: Timeouts::default(),
        }
    }

    pub fn integrator(
        base_url: impl Into<String>,
        tin: impl Into<String>,
        bhf_id: impl Into<String>,
        auth: IntegratorAuth,
    ) -> Self {
        ClientConfig {
            gateway: Gateway::Integrator(auth),
            ..ClientConfig::legacy(base_url, tin, bhf_id)
        }
    }

    pub fn with_cmc_key(mut self, cmc_key: Secret) -> Self {
        self.cmc_key = Some(cmc_key);
        self
    }

    pub fn with_timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_show_in_debug_output() {
        let config = ClientConfig::legacy("http://x", "P000000000A", "00")
            .with_cmc_key(Secret::new("f0b9831bd2334874b7ec815e40347bc4"));
        let shown = format!("{config:?}");
        assert!(!shown.contains("f0b9831b"), "{shown}");
        assert!(shown.contains("Secret(***)"), "{shown}");
    }
}
