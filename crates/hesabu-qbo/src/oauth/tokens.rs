//! The token endpoint's answer ([`TokenResponse`]) and what is kept per realm ([`TokenSet`]),
//! with the instants that matter: access expiry, the refresh token's rolling expiry and its
//! hard (5-year) cap (spec §1.4–§1.5).

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::secret::Secret;

/// An access token is used until this long before it expires (spec §1.8).
pub const ACCESS_MARGIN: Duration = Duration::from_secs(5 * 60);
/// When the answer has no `expires_in` (Intuit: 3600 s).
const DEFAULT_ACCESS_LIFETIME: u64 = 3600;

/// The token endpoint's answer (exchange and refresh), also what a broker passes through.
#[derive(Debug, Clone, Deserialize)]
pub struct TokenResponse {
    #[serde(default)]
    pub token_type: Option<String>,
    pub access_token: Secret,
    /// Seconds the access token lives (3600).
    #[serde(default, with = "crate::amount::count")]
    pub expires_in: Option<u64>,
    /// The latest refresh token: persist it before using the access token.
    pub refresh_token: Secret,
    /// Seconds left in the rolling window (about 100 days).
    #[serde(default, with = "crate::amount::count")]
    pub x_refresh_token_expires_in: Option<u64>,
    /// Seconds left before the 5-year cap; only when asked for, and not always then.
    #[serde(default, with = "crate::amount::count")]
    pub x_refresh_token_hard_expires_in: Option<u64>,
    /// Only with the `openid` scope.
    #[serde(default)]
    pub id_token: Option<Secret>,
}

/// One realm's connection, as stored (JSON) in the secret store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenSet {
    pub realm_id: String,
    pub access_token: Secret,
    pub access_expires_at: DateTime<Utc>,
    pub refresh_token: Secret,
    /// The end of the rolling window (extended by every refresh).
    pub refresh_expires_at: Option<DateTime<Utc>>,
    /// The hard cap, whatever the use (Intuit's Nov 2025 policy), when Intuit said.
    pub refresh_hard_expires_at: Option<DateTime<Utc>>,
    /// When these tokens were issued.
    pub obtained_at: DateTime<Utc>,
    /// Set when the refresh token was refused for good: the company must connect again, and
    /// no further refresh is tried until it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconnect_needed: Option<String>,
}

/// The refresh token will stop working soon: ask the user to reconnect before it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReconnectWarning {
    /// When the refresh token stops working.
    pub expires_at: DateTime<Utc>,
    /// The hard cap (no refresh extends it), not the rolling window.
    pub hard: bool,
    /// It has already stopped.
    pub expired: bool,
}

fn after(now: DateTime<Utc>, seconds: u64) -> DateTime<Utc> {
    let seconds = i64::try_from(seconds).unwrap_or(i64::MAX);
    now.checked_add_signed(chrono::Duration::seconds(seconds))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

impl TokenSet {
    /// The tokens of a first exchange, issued at `now`.
    pub fn from_response(realm_id: &str, answer: &TokenResponse, now: DateTime<Utc>) -> Self {
        TokenSet {
            realm_id: realm_id.to_owned(),
            access_token: answer.access_token.clone(),
            access_expires_at: after(now, answer.expires_in.unwrap_or(DEFAULT_ACCESS_LIFETIME)),
            refresh_token: answer.refresh_token.clone(),
            refresh_expires_at: answer.x_refresh_token_expires_in.map(|s| after(now, s)),
            refresh_hard_expires_at: answer
                .x_refresh_token_hard_expires_in
                .map(|s| after(now, s)),
            obtained_at: now,
            reconnect_needed: None,
        }
    }

    /// The tokens after a refresh: the new values, the hard cap kept when this answer omits it.
    pub fn refreshed(&self, answer: &TokenResponse, now: DateTime<Utc>) -> Self {
        let mut next = TokenSet::from_response(&self.realm_id, answer, now);
        if next.refresh_hard_expires_at.is_none() {
            next.refresh_hard_expires_at = self.refresh_hard_expires_at;
        }
        if next.refresh_expires_at.is_none() {
            next.refresh_expires_at = self.refresh_expires_at;
        }
        next
    }

    /// Whether the access token may still be used (more than 5 minutes left).
    pub fn access_is_fresh(&self, now: DateTime<Utc>) -> bool {
        let margin = chrono::Duration::from_std(ACCESS_MARGIN).unwrap_or_default();
        now < self.access_expires_at - margin
    }

    /// A warning when the refresh token stops working within `warn_before` (QuickBooks itself
    /// warns 30 and 7 days ahead): the earlier of the hard cap and the rolling window.
    pub fn reconnect_warning(
        &self,
        now: DateTime<Utc>,
        warn_before: Duration,
    ) -> Option<ReconnectWarning> {
        let window = chrono::Duration::from_std(warn_before).unwrap_or(chrono::Duration::MAX);
        let candidates = [
            self.refresh_hard_expires_at.map(|at| (at, true)),
            self.refresh_expires_at.map(|at| (at, false)),
        ];
        let (expires_at, hard) = candidates.into_iter().flatten().min_by_key(|(at, _)| *at)?;
        let warn_from = expires_at
            .checked_sub_signed(window)
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        (now >= warn_from).then_some(ReconnectWarning {
            expires_at,
            hard,
            expired: now >= expires_at,
        })
    }

    /// Whether the hard cap falls within `within` of `now`.
    pub fn hard_expiry_near(&self, now: DateTime<Utc>, within: Duration) -> bool {
        let window = chrono::Duration::from_std(within).unwrap_or(chrono::Duration::MAX);
        self.refresh_hard_expires_at
            .is_some_and(|at| now + window >= at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(json: &str) -> TokenResponse {
        serde_json::from_str(json).unwrap()
    }

    fn t(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn expiry_instants_come_from_the_answer_and_now() {
        let now = t("2026-01-10T09:00:00Z");
        let set = TokenSet::from_response(
            "9130",
            &answer(
                r#"{"token_type":"bearer","access_token":"A1","expires_in":3600,
                "refresh_token":"RT1","x_refresh_token_expires_in":8726400,
                "x_refresh_token_hard_expires_in":156032154}"#,
            ),
            now,
        );
        assert_eq!(set.access_expires_at, t("2026-01-10T10:00:00Z"));
        assert_eq!(set.refresh_expires_at, Some(t("2026-04-21T09:00:00Z")));
        assert!(set.refresh_hard_expires_at.unwrap() > t("2030-12-01T00:00:00Z"));
        assert!(set.access_is_fresh(t("2026-01-10T09:54:59Z")));
        assert!(!set.access_is_fresh(t("2026-01-10T09:55:00Z")));

        // A refresh that omits the hard cap keeps the one we had.
        let later = t("2026-01-11T09:00:00Z");
        let next = set.refreshed(
            &answer(r#"{"access_token":"A2","expires_in":"3600","refresh_token":"RT2"}"#),
            later,
        );
        assert_eq!(next.refresh_token.expose(), "RT2");
        assert_eq!(next.refresh_hard_expires_at, set.refresh_hard_expires_at);
        assert_eq!(next.access_expires_at, t("2026-01-11T10:00:00Z"));
    }

    #[test]
    fn the_reconnect_warning_comes_before_the_earliest_expiry() {
        let now = t("2028-09-01T00:00:00Z");
        let set = TokenSet {
            realm_id: "1".into(),
            access_token: Secret::new("a"),
            access_expires_at: now,
            refresh_token: Secret::new("r"),
            refresh_expires_at: Some(t("2028-12-01T00:00:00Z")),
            refresh_hard_expires_at: Some(t("2028-10-01T00:00:00Z")),
            obtained_at: now,
            reconnect_needed: None,
        };
        let thirty = Duration::from_secs(30 * 86400);
        let early = t("2028-08-31T23:59:59Z");
        assert_eq!(set.reconnect_warning(early, thirty), None);
        let w = set
            .reconnect_warning(t("2028-09-05T00:00:00Z"), thirty)
            .unwrap();
        assert_eq!(w.expires_at, t("2028-10-01T00:00:00Z"));
        assert!(w.hard);
        assert!(!w.expired);
        assert!(set.hard_expiry_near(t("2028-09-05T00:00:00Z"), thirty));
        assert!(!set.hard_expiry_near(early, thirty));
        assert!(
            set.reconnect_warning(t("2028-10-02T00:00:00Z"), thirty)
                .unwrap()
                .expired
        );
    }
}
