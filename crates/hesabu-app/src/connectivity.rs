//! Connectivity: is this machine online, and can each outbox target be reached?
//!
//! Two sources, both cheap and read-only. Each configured target's own probe
//! ([`hesabu_store::outbox::Target::probe`], the same check the worker uses before a pass; an offline
//! target is paused and re-probed on every tick), and an OS hint: NetworkManager's overall state
//! (`nmcli -t -f STATE general`) when `nmcli` is installed, else whether the kernel has a default
//! route (`/proc/net/route`). The hint never touches the network; "no default route" reliably
//! means offline, while a route only means "probably". Where neither exists (macOS, Windows, a
//! container) the hint is `unknown`.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use hesabu_store::auth::Session;
use hesabu_store::error::Result;
use hesabu_store::outbox::{SyncLock, Targets, WorkerState};
use hesabu_store::permissions::Permission;

/// How long one target's probe may take before it counts as offline.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// One target's probe.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct TargetConnectivity {
    pub target: String,
    pub online: bool,
}

/// What the operating system says about the network.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct OsNetworkHint {
    /// online | offline | unknown
    pub state: String,
    /// nmcli | proc_net_route | none
    pub source: String,
    /// The raw answer, for the curious ("connected", "default route via eth0").
    pub detail: String,
}

/// `hesabu sync connectivity` and the Sync page's indicator.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ConnectivityView {
    /// online (every target answers) | partial | offline | unknown (no targets and no OS hint).
    /// With no targets configured it is the OS hint's state.
    pub overall: String,
    pub os: OsNetworkHint,
    pub targets: Vec<TargetConnectivity>,
    /// The sync worker's state (paused_offline while its targets are unreachable), as
    /// `hesabu sync status` reports it.
    pub worker: String,
}

/// Reads `/proc/net/route`: `Some(interface)` when a default route (destination 0, flag UP) exists.
pub fn default_route(route_table: &str) -> Option<String> {
    route_table.lines().skip(1).find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (iface, destination, flags) = (fields.first()?, fields.get(1)?, fields.get(3)?);
        let up = u32::from_str_radix(flags, 16).ok()? & 0x1 == 1;
        (*destination == "00000000" && up).then(|| (*iface).to_owned())
    })
}

/// NetworkManager's `STATE` to online / offline / unknown.
pub fn nmcli_state(output: &str) -> &'static str {
    match output.trim() {
        "connected" => "online",
        // "site/local only": a network but no internet, by NetworkManager's own check.
        "connected (site only)"
        | "connected (local only)"
        | "disconnected"
        | "asleep"
        | "disconnecting" => "offline",
        _ => "unknown",
    }
}

fn nmcli_hint() -> Option<OsNetworkHint> {
    let out = std::process::Command::new("nmcli")
        .args(["-t", "-f", "STATE", "general"])
        .output()
        .ok()?;
    if !out.status.success() {
        return None; // installed but NetworkManager not running: fall back
    }
    let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    Some(OsNetworkHint {
        state: nmcli_state(&text).into(),
        source: "nmcli".into(),
        detail: text,
    })
}

fn route_hint() -> Option<OsNetworkHint> {
    let table = std::fs::read_to_string("/proc/net/route").ok()?;
    Some(match default_route(&table) {
        Some(iface) => OsNetworkHint {
            state: "online".into(),
            source: "proc_net_route".into(),
            detail: format!("default route via {iface}"),
        },
        None => OsNetworkHint {
            state: "offline".into(),
            source: "proc_net_route".into(),
            detail: "no default route".into(),
        },
    })
}

/// The OS hint (runs `nmcli` if present; blocking, so off the async threads).
pub async fn os_hint() -> OsNetworkHint {
    tokio::task::spawn_blocking(|| nmcli_hint().or_else(route_hint))
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| OsNetworkHint {
            state: "unknown".into(),
            source: "none".into(),
            detail: "this system offers no network hint Hesabu can read".into(),
        })
}

/// Probes every target (at most [`PROBE_TIMEOUT`] each, concurrently) and reads the OS hint.
/// `worker_state`: the running worker's, if this process has one.
pub async fn check(
    file: &hesabu_store::company_file::CompanyFile,
    session: &Session,
    targets: &Targets,
    worker_state: Option<WorkerState>,
) -> Result<ConnectivityView> {
    session.require(Permission::SyncView)?;
    // Each probe on its own task, so they overlap; the OS hint meanwhile.
    let probes: Vec<_> = targets
        .names()
        .into_iter()
        .filter_map(|name| {
            let target = targets.get(&name)?.clone();
            Some(tokio::spawn(async move {
                let online = tokio::time::timeout(PROBE_TIMEOUT, target.probe())
                    .await
                    .unwrap_or(false);
                TargetConnectivity {
                    target: name,
                    online,
                }
            }))
        })
        .collect();
    let os = os_hint().await;
    let mut results = Vec::with_capacity(probes.len());
    for probe in probes {
        if let Ok(result) = probe.await {
            results.push(result);
        }
    }
    let up = results.iter().filter(|t| t.online).count();
    let overall = if results.is_empty() {
        os.state.clone()
    } else if up == results.len() {
        "online".into()
    } else if up == 0 {
        "offline".into()
    } else {
        "partial".into()
    };
    let worker = match worker_state {
        Some(s) => s.as_str().to_owned(),
        None if SyncLock::is_held_elsewhere(file.path()) => "other_process".into(),
        None => "not_running".into(),
    };
    Ok(ConnectivityView {
        overall,
        os,
        targets: results,
        worker,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const WITH_DEFAULT: &str = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n\
        eth0\t00000000\t0100A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n\
        eth0\t0000A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n";
    const WITHOUT_DEFAULT: &str = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n\
        eth0\t0000A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n";
    const DEFAULT_DOWN: &str = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n\
        wlan0\t00000000\t0100A8C0\t0002\t0\t0\t600\t00000000\t0\t0\t0\n";

    #[test]
    fn a_default_route_that_is_up_means_probably_online() {
        assert_eq!(default_route(WITH_DEFAULT).as_deref(), Some("eth0"));
        assert_eq!(default_route(WITHOUT_DEFAULT), None);
        assert_eq!(default_route(DEFAULT_DOWN), None);
        assert_eq!(default_route(""), None);
    }

    #[test]
    fn network_manager_states() {
        assert_eq!(nmcli_state("connected\n"), "online");
        assert_eq!(nmcli_state("connected (site only)"), "offline");
        assert_eq!(nmcli_state("disconnected"), "offline");
        assert_eq!(nmcli_state("asleep"), "offline");
        assert_eq!(nmcli_state("connecting"), "unknown");
    }
}
