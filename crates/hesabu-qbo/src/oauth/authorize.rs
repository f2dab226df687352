//! The authorization request (a random `state`) and reading the redirect back, whether a
//! loopback listener caught it or the user pasted it (spec §1.3).

use reqwest::Url;

use crate::connect_error::ConnectError;
use crate::error::Error;
use crate::secret::Secret;

/// A started connection attempt: open `url` in the browser, keep this to check the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingAuthorization {
    /// The consent page address, with every parameter.
    pub url: String,
    /// The unguessable value the redirect must carry back.
    pub state: String,
    /// The redirect address, sent again with the code exchange.
    pub redirect_uri: String,
}

/// What a verified redirect gives: exchange `code` at once, and only once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationCode {
    pub code: Secret,
    /// The QuickBooks company id: part of every API URL; key everything by it.
    pub realm_id: String,
    /// The redirect the code was issued for (the exchange must repeat it exactly).
    pub redirect_uri: String,
}

impl PendingAuthorization {
    /// Starts an attempt: a fresh random `state` (128 bits from the operating system), optionally
    /// followed by `.{state_suffix}` (the hosted page's loopback port, spec §1.6 option A).
    pub fn begin(
        authorize_url: &str,
        client_id: &str,
        redirect_uri: &str,
        scopes: &[&str],
        state_suffix: Option<&str>,
    ) -> Result<Self, Error> {
        let mut nonce = [0u8; 16];
        getrandom::fill(&mut nonce).map_err(|e| {
            Error::Config(format!(
                "the operating system gave no random numbers for the connection: {e}"
            ))
        })?;
        let mut state: String = nonce.iter().map(|b| format!("{b:02x}")).collect();
        if let Some(suffix) = state_suffix {
            state.push('.');
            state.push_str(suffix);
        }
        let mut url = Url::parse(authorize_url).map_err(|e| {
            Error::Config(format!(
                "the QuickBooks consent address {authorize_url:?} is not a URL: {e}"
            ))
        })?;
        url.query_pairs_mut()
            .append_pair("client_id", client_id)
            .append_pair("response_type", "code")
            .append_pair("scope", &scopes.join(" "))
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("state", &state);
        Ok(PendingAuthorization {
            url: url.into(),
            state,
            redirect_uri: redirect_uri.to_owned(),
        })
    }

    /// Reads the redirect address (pasted, or caught by a loopback listener) and checks that it
    /// answers this attempt. Accepts the whole address, or just its query (`code=…&state=…`).
    pub fn complete(&self, redirect: &str) -> Result<AuthorizationCode, ConnectError> {
        let params = redirect_params(redirect)?;
        let get = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        if let Some(error) = get("error") {
            return Err(ConnectError::Refused {
                error,
                description: get("error_description"),
            });
        }
        let state = get("state").ok_or(ConnectError::StateMissing)?;
        if !same(&state, &self.state) {
            return Err(ConnectError::StateMismatch);
        }
        let code = get("code").ok_or(ConnectError::CodeMissing)?;
        let realm_id = get("realmId").ok_or(ConnectError::RealmMissing)?;
        Ok(AuthorizationCode {
            code: Secret::new(code),
            realm_id,
            redirect_uri: self.redirect_uri.clone(),
        })
    }
}

fn redirect_params(text: &str) -> Result<Vec<(String, String)>, ConnectError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(ConnectError::NotAnAddress("nothing was pasted".to_owned()));
    }
    let url = match Url::parse(text) {
        Ok(url) => url,
        // Just the query: `code=…&state=…` or `?code=…`.
        Err(_) if text.contains('=') && !text.contains(char::is_whitespace) => Url::parse(
            &format!("http://pasted.invalid/?{}", text.trim_start_matches('?')),
        )
        .map_err(|e| ConnectError::NotAnAddress(e.to_string()))?,
        Err(e) => return Err(ConnectError::NotAnAddress(e.to_string())),
    };
    let mut params: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    // Some hosted pages hand the parameters over in the fragment.
    if let Some(fragment) = url.fragment()
        && let Ok(extra) = Url::parse(&format!("http://pasted.invalid/?{fragment}"))
    {
        params.extend(extra.query_pairs().into_owned());
    }
    if params.is_empty() {
        return Err(ConnectError::NotAnAddress(
            "it carries no parameters".to_owned(),
        ));
    }
    Ok(params)
}

/// Compares without an early exit, so the time taken does not tell how much matched.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending() -> PendingAuthorization {
        PendingAuthorization::begin(
            "https://appcenter.intuit.com/connect/oauth2",
            "client-1",
            "https://connect.example.com/qbo/callback",
            &[crate::oauth::SCOPE_ACCOUNTING],
            None,
        )
        .unwrap()
    }

    #[test]
    fn the_authorize_url_carries_every_parameter_and_a_fresh_state() {
        let a = pending();
        let b = pending();
        assert_ne!(a.state, b.state, "state is random");
        assert_eq!(a.state.len(), 32);
        let url = Url::parse(&a.url).unwrap();
        let q: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("client_id"), Some("client-1"));
        assert_eq!(get("response_type"), Some("code"));
        assert_eq!(get("scope"), Some("com.intuit.quickbooks.accounting"));
        assert_eq!(
            get("redirect_uri"),
            Some("https://connect.example.com/qbo/callback")
        );
        assert_eq!(get("state"), Some(a.state.as_str()));
        let with_port = PendingAuthorization::begin(
            "https://appcenter.intuit.com/connect/oauth2",
            "c",
            "https://x/cb",
            &[crate::oauth::SCOPE_ACCOUNTING],
            Some("53682"),
        )
        .unwrap();
        assert!(with_port.state.ends_with(".53682"));
    }

    #[test]
    fn a_pasted_address_is_checked_against_the_state() {
        let p = pending();
        let ok = format!(
            "https://connect.example.com/qbo/callback?code=AB11&state={}&realmId=9130",
            p.state
        );
        let code = p.complete(&ok).unwrap();
        assert_eq!(code.code.expose(), "AB11");
        assert_eq!(code.realm_id, "9130");
        assert_eq!(code.redirect_uri, p.redirect_uri);
        // Just the query, with spaces around it, works too.
        let query = format!("  ?code=AB11&state={}&realmId=9130 \n", p.state);
        assert_eq!(p.complete(&query).unwrap().realm_id, "9130");

        let other = pending();
        let foreign = format!(
            "https://connect.example.com/qbo/callback?code=AB11&state={}&realmId=9130",
            other.state
        );
        assert_eq!(p.complete(&foreign), Err(ConnectError::StateMismatch));
        assert_eq!(
            p.complete("https://connect.example.com/qbo/callback?code=AB11&realmId=9130"),
            Err(ConnectError::StateMissing)
        );
        assert_eq!(
            p.complete(&format!("https://x/cb?state={}&realmId=1", p.state)),
            Err(ConnectError::CodeMissing)
        );
        assert_eq!(
            p.complete(&format!("https://x/cb?state={}&code=1", p.state)),
            Err(ConnectError::RealmMissing)
        );
        let refused = p
            .complete(&format!(
                "https://x/cb?error=access_denied&error_description=User+denied&state={}",
                p.state
            ))
            .unwrap_err();
        assert_eq!(
            refused,
            ConnectError::Refused {
                error: "access_denied".into(),
                description: Some("User denied".into())
            }
        );
        assert!(refused.to_string().contains("access_denied: User denied"));
        assert!(matches!(
            p.complete("AB11"),
            Err(ConnectError::NotAnAddress(_))
        ));
        assert!(matches!(p.complete(""), Err(ConnectError::NotAnAddress(_))));
    }
}
