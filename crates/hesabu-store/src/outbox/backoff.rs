//! Capped exponential backoff with deterministic jitter, in integer milliseconds (no floats).

use std::time::Duration;

use sha2::{Digest, Sha256};

use super::TargetConfig;

/// How long to wait after the `failed_attempts`-th failed attempt (1 = the first failure):
/// `d = min(cap, base · 2^(failed_attempts − 1))`, minus a jitter of up to
/// `d · jitter_permille / 1000` derived from the row id and the attempt number. So the delay is
/// always within `[d · (1 − j), d]` and never above the cap, and the same row and attempt always
/// get the same delay (reproducible tests; different rows spread out).
pub fn retry_delay(config: &TargetConfig, row_id: &str, failed_attempts: u32) -> Duration {
    let base = u128::from(u64::try_from(config.backoff_base.as_millis()).unwrap_or(u64::MAX));
    let cap = u128::from(u64::try_from(config.backoff_cap.as_millis()).unwrap_or(u64::MAX));
    let exponent = failed_attempts.saturating_sub(1).min(62);
    let uncapped = base.saturating_mul(1_u128 << exponent);
    let d = uncapped.min(cap);
    let jitter_permille = u128::from(config.jitter_permille.min(1000));
    let max_jitter = d * jitter_permille / 1000;
    let jitter = if max_jitter == 0 {
        0
    } else {
        u128::from(unit_permille(row_id, failed_attempts)) * max_jitter / 1000
    };
    Duration::from_millis(u64::try_from(d - jitter).unwrap_or(u64::MAX))
}

/// A number in 0..=1000 from the row id and attempt (sha256, so well spread).
fn unit_permille(row_id: &str, attempt: u32) -> u32 {
    let digest = Sha256::new()
        .chain_update(row_id.as_bytes())
        .chain_update(attempt.to_be_bytes())
        .finalize();
    let n = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]);
    n % 1001
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> TargetConfig {
        TargetConfig {
            backoff_base: Duration::from_secs(2),
            backoff_cap: Duration::from_secs(60),
            jitter_permille: 250,
            ..TargetConfig::default()
        }
    }

    #[test]
    fn delays_double_within_the_jitter_band_and_stop_at_the_cap() {
        let c = config();
        for id in ["a", "b", "0193-xyz"] {
            for n in 1..=12_u32 {
                let d = u128::from(2000_u64) * (1_u128 << (n - 1));
                let d = d.min(60_000);
                let got = retry_delay(&c, id, n).as_millis();
                assert!(
                    got <= d && got >= d * 750 / 1000,
                    "{id} attempt {n}: {got} vs {d}"
                );
            }
        }
    }

    #[test]
    fn jitter_is_deterministic_and_spreads_rows() {
        let c = config();
        assert_eq!(retry_delay(&c, "x", 3), retry_delay(&c, "x", 3));
        let distinct: std::collections::BTreeSet<_> = (0..50)
            .map(|i| retry_delay(&c, &format!("row-{i}"), 3))
            .collect();
        assert!(distinct.len() > 10, "{distinct:?}");
    }

    #[test]
    fn huge_attempt_numbers_do_not_overflow() {
        assert_eq!(
            retry_delay(
                &TargetConfig {
                    jitter_permille: 0,
                    ..config()
                },
                "x",
                u32::MAX
            ),
            Duration::from_secs(60)
        );
    }
}
