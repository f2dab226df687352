//! The one place that decides what an e-TIMS outcome means (spec §11.1).
//!
//! - [`classify`] sorts KRA's `resultCd`: `000` success, `001` an empty lookup (not an error),
//!   `894`/`990`/`991`–`993`/`999` retryable, everything else permanent (a business rejection a
//!   person must act on, KRA's `resultMsg` shown verbatim).
//! - [`classify_http`] sorts an HTTP status that came without a KRA result code: 408, 429 and
//!   5xx are retryable, other statuses permanent.
//! - [`classify_gateway`] sorts the integrator gateway's own rejections (`responseHeader` with
//!   `responseBody: null`, usually HTTP 400 validation): permanent, except 408/429/5xx and KRA's
//!   own "Please try again later" wording.
//!
//! Transport failures (DNS, TLS, refused connections, timeouts) are always retryable; see
//! [`crate::Error::class`]. Retrying is bounded by the outbox (`TargetConfig::max_retries`, see
//! [`crate::contract::target_config`]), never by this client looping.

/// What an outcome means for the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResultClass {
    /// `000`.
    Success,
    /// `001` "There is no search result": a successful lookup that found nothing.
    EmptyLookup,
    /// Try again later (bounded): transport, HTTP 5xx, `894`, `990`, `991`–`993`, `999`.
    Retryable,
    /// A rejection that retrying will not fix; KRA's message says what to correct.
    Permanent,
}

impl ResultClass {
    pub fn is_ok(self) -> bool {
        matches!(self, ResultClass::Success | ResultClass::EmptyLookup)
    }
}

/// Classifies KRA's `resultCd`. Unknown codes are permanent: a person reads the message.
pub fn classify(result_cd: &str) -> ResultClass {
    match result_cd.trim() {
        "000" => ResultClass::Success,
        "001" => ResultClass::EmptyLookup,
        "894" | "990" | "991" | "992" | "993" | "999" => ResultClass::Retryable,
        _ => ResultClass::Permanent,
    }
}

/// Classifies an HTTP status that carried no KRA result code.
pub fn classify_http(status: u16) -> ResultClass {
    match status {
        200..=299 => ResultClass::Success,
        408 | 429 | 500..=599 => ResultClass::Retryable,
        _ => ResultClass::Permanent,
    }
}

/// Classifies an integrator-gateway rejection (`responseHeader` without a `responseBody`).
///
/// HTTP 400 is business validation ("Invalid taxblAmt on item: 1. Expected: 86.21, But Found:
/// 100.00") and permanent, except when KRA itself says to try again later (seen on the sandbox:
/// "Error occurred while validating item tax type: Please try again later").
pub fn classify_gateway(status: u16, messages: &[&str]) -> ResultClass {
    if classify_http(status) == ResultClass::Retryable {
        return ResultClass::Retryable;
    }
    let later = messages
        .iter()
        .any(|m| m.to_ascii_lowercase().contains("try again later"));
    if later {
        ResultClass::Retryable
    } else {
        ResultClass::Permanent
    }
}

/// Whether a retryable KRA code may mean the request took effect (the outbox then checks with
/// `selectInvoiceDetails` before resending). Only `990` (throttled) says plainly it did not.
pub fn may_have_taken_effect(result_cd: &str) -> bool {
    classify(result_cd) == ResultClass::Retryable && result_cd.trim() != "990"
}

/// KRA's published meaning of a result code (spec §11.1), for logs and tooltips. The message KRA
/// actually sent is what the user sees.
pub fn describe(result_cd: &str) -> Option<&'static str> {
    Some(match result_cd.trim() {
        "000" => "It is succeeded",
        "001" => "There is no search result",
        "891" => "Error while Request URL is created",
        "892" => "Error while Request Header data is created",
        "893" => "Error while Request Body data is created",
        "894" => "Error regarding server communication",
        "895" => "Unallowed Request Method",
        "896" => "Error regarding Request Status",
        "899" => "Error regarding Client",
        "900" => "There is no Header information",
        "901" => "It is not valid device",
        "902" => "This device is installed",
        "903" => "Only OSCU (VSDC) device can be verified",
        "910" => "Request parameter error",
        "911" => "There is no request full text",
        "912" => "Request Method error",
        "921" => "Sales or sales-invoice data already declared cannot be received",
        "922" => "Sales invoice data can be received after receiving the sales data",
        "990" => "Maximum number of views exceeded",
        "991" => "Error during registration",
        "992" => "Error during modification",
        "993" => "Error during deletion",
        "994" => "There is an overlapped data",
        "995" => "There is no downloaded file",
        "999" => "Unknown error, ask the administrator",
        _ => return None,
    })
}

/// The value KRA says it expected, from messages such as "Invalid invcNo sequence, expected:
/// 7 but found: 9", "Invc No: 9 is invalid, use the expected value: 7", "Invalid taxblAmt on
/// item: 1. Expected: 86.21, But Found: 100.00" or "Expected sequence ending with: ********3".
/// Counters are re-synchronised from it only after a person checks (spec §11.3).
pub fn expected_value(message: &str) -> Option<&str> {
    let lower = message.to_ascii_lowercase();
    let at = [
        "expected value:",
        "expected sequence ending with:",
        "expected:",
    ]
    .iter()
    .find_map(|marker| lower.find(marker).map(|i| i + marker.len()))?;
    let rest = message[at..].trim_start();
    let end = rest
        .find(|c: char| c.is_whitespace() || c == ',')
        .unwrap_or(rest.len());
    let value = rest[..end].trim_end_matches('.');
    (!value.is_empty()).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::ResultClass::*;
    use super::*;

    /// Every code of spec §11.1, with the class the brief and the spec give it. Written out by
    /// hand on purpose: this table is the specification of `classify`.
    #[test]
    fn every_spec_code_is_classified() {
        let table: &[(&str, ResultClass)] = &[
            ("000", Success),
            ("001", EmptyLookup),
            ("891", Permanent),
            ("892", Permanent),
            ("893", Permanent),
            ("894", Retryable),
            ("895", Permanent),
            ("896", Permanent),
            ("899", Permanent),
            ("900", Permanent),
            ("901", Permanent),
            ("902", Permanent),
            ("903", Permanent),
            ("910", Permanent),
            ("911", Permanent),
            ("912", Permanent),
            ("921", Permanent),
            ("922", Permanent),
            ("990", Retryable),
            ("991", Retryable),
            ("992", Retryable),
            ("993", Retryable),
            ("994", Permanent),
            ("995", Permanent),
            ("999", Retryable),
        ];
        for (code, class) in table {
            assert_eq!(classify(code), *class, "{code}");
            assert!(describe(code).is_some(), "{code} has a description");
        }
    }

    #[test]
    fn unknown_and_odd_codes_are_permanent() {
        for code in ["", "0", "00", "002", "123", "500", "abc", "9999"] {
            assert_eq!(classify(code), Permanent, "{code:?}");
        }
        assert_eq!(classify(" 000 "), Success);
        assert_eq!(describe("123"), None);
    }

    #[test]
    fn http_statuses() {
        let table: &[(u16, ResultClass)] = &[
            (200, Success),
            (204, Success),
            (400, Permanent),
            (401, Permanent),
            (403, Permanent),
            (404, Permanent),
            (408, Retryable),
            (429, Retryable),
            (500, Retryable),
            (502, Retryable),
            (503, Retryable),
            (504, Retryable),
        ];
        for (status, class) in table {
            assert_eq!(classify_http(*status), *class, "{status}");
        }
    }

    #[test]
    fn gateway_rejections() {
        let invalid = "Invalid taxblAmt on item: 1. Expected: 86.21, But Found: 100.00";
        assert_eq!(classify_gateway(400, &[invalid]), Permanent);
        assert_eq!(
            classify_gateway(
                400,
                &["Error occurred while validating item tax type: Please try again later"]
            ),
            Retryable
        );
        assert_eq!(
            classify_gateway(
                400,
                &["Expected a value but found null. Check your payload and try again"]
            ),
            Permanent
        );
        assert_eq!(classify_gateway(503, &["anything"]), Retryable);
        assert_eq!(
            classify_gateway(401, &["Unauthorised-Invalid Access Token"]),
            Permanent
        );
    }

    #[test]
    fn only_throttling_is_known_not_to_have_taken_effect() {
        assert!(!may_have_taken_effect("990"));
        for code in ["894", "991", "992", "993", "999"] {
            assert!(may_have_taken_effect(code), "{code}");
        }
        assert!(!may_have_taken_effect("910"));
    }

    #[test]
    fn expected_values_are_read_from_kra_messages() {
        let table: &[(&str, Option<&str>)] = &[
            (
                "Invalid taxblAmt on item: 1. Expected: 86.21, But Found: 100.00",
                Some("86.21"),
            ),
            (
                "Invalid invcNo sequence, expected: 7 but found: 9",
                Some("7"),
            ),
            (
                "Invc No: 9 is invalid, use the expected value: 7",
                Some("7"),
            ),
            (
                "Invalid itemCd Sequence. Expected sequence ending with: ********3",
                Some("********3"),
            ),
            (
                "Rule taxRtE failed: Tax rate mismatch. Expected: 0.00, Found: 8",
                Some("0.00"),
            ),
            ("Invalid sarNo: Expected: 4 but found: 2", Some("4")),
            ("Invalid RfdRsnCd", None),
        ];
        for (message, value) in table {
            assert_eq!(expected_value(message), *value, "{message}");
        }
    }
}
