//! Reading an answer, whichever gateway wrote it.
//!
//! Legacy: `{"resultCd","resultMsg","resultDt","data"}`. Integrator: usually the same wrapped
//! as `{"responseHeader":{responseCode, responseRefID, customerMessage, debugMessage},
//! "responseBody":{resultCd, …}}`, and a validation failure as HTTP 400 with
//! `"responseBody": null`. Both unwrap to one [`Reply`] or one [`Error`]. `data` is kept as raw
//! JSON text until it is decoded into its type, so amounts stay exact ([`crate::amount`]).

use std::time::Duration;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use crate::error::{Error, Rejection};
use crate::lenient;
use crate::result::{ResultClass, classify, classify_gateway};

/// A successful answer (`000`, or `001` for an empty lookup).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply<D> {
    pub http_status: u16,
    /// `"000"` or `"001"`.
    pub result_cd: String,
    /// KRA's message as sent ("Successful", "It is succeeded", "There is no search result").
    pub result_msg: String,
    /// KRA's server time, `yyyyMMddHHmmss` Nairobi: the next `lastReqDt` of an incremental list.
    pub result_dt: Option<String>,
    /// The decoded `data`: `Option<_>` for lookups (`None` on `001`), [`NoData`] for saves.
    pub data: D,
    /// The body as received, for the record (spec §5.5: store the raw response).
    pub raw_body: String,
}

impl<D: DeserializeOwned> Reply<D> {
    /// Reads one answer as the client does (bare or wrapped envelope, gateway rejections): for
    /// a stored raw response, or a test.
    pub fn parse(http_status: u16, body: &str) -> Result<Self, Error> {
        interpret(http_status, body.to_owned(), None)
    }
}

impl<D> Reply<D> {
    pub fn class(&self) -> ResultClass {
        classify(&self.result_cd)
    }

    pub fn is_empty_lookup(&self) -> bool {
        self.class() == ResultClass::EmptyLookup
    }

    pub fn map<E>(self, f: impl FnOnce(D) -> E) -> Reply<E> {
        Reply {
            http_status: self.http_status,
            result_cd: self.result_cd,
            result_msg: self.result_msg,
            result_dt: self.result_dt,
            data: f(self.data),
            raw_body: self.raw_body,
        }
    }
}

/// The `data` of a save: KRA sends `null`; anything else is ignored rather than failing a write
/// that KRA accepted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct NoData;

impl<'de> Deserialize<'de> for NoData {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(deserializer).map(|_| NoData)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEnvelope {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    result_cd: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    result_msg: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    result_dt: Option<String>,
    #[serde(default)]
    data: Option<Box<RawValue>>,
    #[serde(default)]
    response_header: Option<GatewayHeader>,
    #[serde(default)]
    response_body: Option<Box<RawValue>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GatewayHeader {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    response_code: Option<String>,
    #[serde(
        default,
        rename = "responseRefID",
        alias = "responseRefId",
        deserialize_with = "lenient::opt_string"
    )]
    response_ref_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    customer_message: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    debug_message: Option<String>,
}

fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

/// No KRA result code could be found in the answer.
fn unreadable(status: u16, body: String, retry_after: Option<Duration>, why: String) -> Error {
    if is_success(status) {
        Error::Decode { message: why, body }
    } else {
        Error::Http {
            status,
            body,
            retry_after,
        }
    }
}

/// Turns one HTTP answer into a reply or the error it means.
pub(crate) fn interpret<D: DeserializeOwned>(
    status: u16,
    body: String,
    retry_after: Option<Duration>,
) -> Result<Reply<D>, Error> {
    let outer: RawEnvelope = match serde_json::from_str(&body) {
        Ok(envelope) => envelope,
        Err(e) => return Err(unreadable(status, body, retry_after, e.to_string())),
    };
    let header = outer.response_header;
    let envelope = match outer.response_body {
        Some(inner) => match serde_json::from_str::<RawEnvelope>(inner.get()) {
            Ok(envelope) => envelope,
            Err(e) => return Err(unreadable(status, body, retry_after, e.to_string())),
        },
        None => RawEnvelope {
            response_header: None,
            response_body: None,
            ..outer
        },
    };

    let Some(code) = envelope.result_cd else {
        // A header alone is the gateway refusing; a 2xx without a result code is unreadable
        // (and reached KRA, so its outcome is unknown).
        return Err(match header {
            Some(header) if !is_success(status) => gateway_rejection(status, header, body),
            _ => unreadable(status, body, retry_after, "no resultCd".to_owned()),
        });
    };
    let class = classify(&code);
    let message = envelope.result_msg.unwrap_or_default();
    if !class.is_ok() {
        let (debug_message, response_ref_id) = match header {
            Some(h) => (h.debug_message, h.response_ref_id),
            None => (None, None),
        };
        return Err(Error::rejected(Rejection {
            http_status: status,
            code,
            message,
            debug_message,
            response_ref_id,
            class,
            raw_body: body,
        }));
    }
    // `001` carries no data worth reading, whatever KRA put there.
    let data_text = match (&class, &envelope.data) {
        (ResultClass::Success, Some(raw)) => raw.get(),
        _ => "null",
    };
    let data = match serde_json::from_str::<D>(data_text) {
        Ok(data) => data,
        Err(e) => {
            return Err(Error::Decode {
                message: format!("resultCd {code} but its data does not fit: {e}"),
                body,
            });
        }
    };
    Ok(Reply {
        http_status: status,
        result_cd: code,
        result_msg: message,
        result_dt: envelope.result_dt,
        data,
        raw_body: body,
    })
}

fn gateway_rejection(status: u16, header: GatewayHeader, body: String) -> Error {
    let customer = header.customer_message.filter(|m| !m.trim().is_empty());
    let debug = header.debug_message.filter(|m| !m.trim().is_empty());
    let message = customer
        .clone()
        .or_else(|| debug.clone())
        .unwrap_or_else(|| format!("HTTP {status} without a message"));
    let mut texts = vec![message.as_str()];
    if let Some(debug) = &debug {
        texts.push(debug);
    }
    let class = classify_gateway(status, &texts);
    Error::rejected(Rejection {
        http_status: status,
        code: header.response_code.unwrap_or_else(|| status.to_string()),
        message,
        debug_message: debug,
        response_ref_id: header.response_ref_id,
        class,
        raw_body: body,
    })
}

#[cfg(test)]
mod tests {
    use serde::Serialize;

    use super::*;

    #[derive(Debug, Deserialize, Serialize, PartialEq)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        #[serde(with = "crate::amount")]
        tot_amt: rust_decimal::Decimal,
    }

    fn ok<D: DeserializeOwned>(status: u16, body: &str) -> Reply<D> {
        interpret(status, body.to_owned(), None).unwrap()
    }

    fn err(status: u16, body: &str) -> Error {
        interpret::<Option<Data>>(status, body.to_owned(), None).unwrap_err()
    }

    #[test]
    fn bare_and_wrapped_success_read_the_same() {
        let bare = r#"{"resultCd":"000","resultMsg":"Successful","resultDt":"20240415000000","data":{"totAmt":1.04}}"#;
        let wrapped = format!(
            r#"{{"responseHeader":{{"responseCode":200,"responseRefID":"r1","customerMessage":"ok"}},"responseBody":{bare}}}"#
        );
        for body in [bare.to_owned(), wrapped] {
            let reply: Reply<Option<Data>> = ok(200, &body);
            assert_eq!(reply.result_cd, "000");
            assert_eq!(reply.result_dt.as_deref(), Some("20240415000000"));
            assert_eq!(reply.data.unwrap().tot_amt.to_string(), "1.04");
            assert_eq!(reply.raw_body, body);
        }
    }

    #[test]
    fn an_empty_lookup_is_a_reply_without_data() {
        let reply: Reply<Option<Data>> = ok(
            200,
            r#"{"resultCd":"001","resultMsg":"There is no search result","resultDt":"20240415000000","data":null}"#,
        );
        assert!(reply.is_empty_lookup());
        assert_eq!(reply.data, None);
        assert_eq!(reply.result_msg, "There is no search result");
    }

    #[test]
    fn saves_ignore_their_data() {
        let reply: Reply<NoData> = ok(
            200,
            r#"{"resultCd":"000","resultMsg":"It is succeeded","data":null}"#,
        );
        assert_eq!(reply.data, NoData);
        let reply: Reply<NoData> = ok(200, r#"{"resultCd":"000","resultMsg":"ok","data":{"x":1}}"#);
        assert_eq!(reply.data, NoData);
    }

    #[test]
    fn kra_codes_become_rejections_with_the_message_verbatim() {
        let e = err(
            200,
            r#"{"resultCd":"910","resultMsg":"Request parameter error ","data":null}"#,
        );
        let r = e.rejection().unwrap();
        assert_eq!(
            (r.code.as_str(), r.message.as_str()),
            ("910", "Request parameter error ")
        );
        assert_eq!(r.class, ResultClass::Permanent);
        let e = err(
            200,
            r#"{"resultCd":"990","resultMsg":"Maximum number of views exceeded"}"#,
        );
        assert!(e.is_retryable() && !e.outcome_unknown());
        let e = err(200, r#"{"resultCd":"999","resultMsg":"Unknown error"}"#);
        assert!(e.is_retryable() && e.outcome_unknown());
    }

    #[test]
    fn gateway_validation_failures_are_permanent_rejections() {
        let body = r#"{"responseHeader":{"responseCode":400,"responseRefID":"067775b0","customerMessage":"Invalid taxblAmt on item: 1. Expected: 86.21, But Found: 100.00","debugMessage":"Invalid taxblAmt on item: 1. Expected: 86.21, But Found: 100.00"},"responseBody":null}"#;
        let e = err(400, body);
        let r = e.rejection().unwrap();
        assert_eq!(r.code, "400");
        assert_eq!(
            r.message,
            "Invalid taxblAmt on item: 1. Expected: 86.21, But Found: 100.00"
        );
        assert_eq!(r.response_ref_id.as_deref(), Some("067775b0"));
        assert_eq!(r.class, ResultClass::Permanent);
        assert_eq!(r.raw_body, body);
    }

    #[test]
    fn a_blank_customer_message_falls_back_to_the_debug_message() {
        let e = err(
            400,
            r#"{"responseHeader":{"responseCode":400,"customerMessage":"  ","debugMessage":"Missing RfdDt Date"},"responseBody":null}"#,
        );
        assert_eq!(e.kra_message(), Some("Missing RfdDt Date"));
    }

    #[test]
    fn try_again_later_from_the_gateway_is_retryable() {
        let e = err(
            400,
            r#"{"responseHeader":{"responseCode":"400","customerMessage":"Error occurred while validating item tax type: Please try again later"},"responseBody":null}"#,
        );
        assert!(e.is_retryable());
    }

    #[test]
    fn non_json_answers() {
        let e = err(502, "<html>Bad Gateway</html>");
        assert!(matches!(e, Error::Http { status: 502, .. }));
        assert!(e.is_retryable() && e.outcome_unknown());
        let e = err(404, "Not Found");
        assert!(matches!(e, Error::Http { status: 404, .. }) && !e.is_retryable());
        let e = err(200, "<html>portal</html>");
        assert!(matches!(e, Error::Decode { .. }) && e.outcome_unknown());
        let e = err(200, r#"{"something":"else"}"#);
        assert!(matches!(e, Error::Decode { .. }));
    }

    #[test]
    fn success_with_unreadable_data_is_an_unknown_outcome() {
        let e = interpret::<Data>(200, r#"{"resultCd":"000","data":null}"#.to_owned(), None)
            .unwrap_err();
        assert!(matches!(e, Error::Decode { .. }) && e.outcome_unknown());
    }
}
