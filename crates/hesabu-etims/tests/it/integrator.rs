//! The client against a loopback server speaking the integrator (GavaConnect) gateway: bearer
//! token plus device headers, renamed paths, wrapped envelopes, HTTP 400 validation bodies.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use hesabu_etims::{Client, ClientConfig, Error, IntegratorAuth, ResultClass, Secret, Timeouts};
use hesabu_sync_api::SendError;

use crate::sample_sale;
use crate::support::{Canned, Recorded, Server, fixture};

const KEY: &str = "cmc-key-of-the-device";
const TOKEN_PATH: &str = "/v1/token/generate";

fn wrap(body: &str) -> String {
    format!(
        r#"{{"responseHeader":{{"responseCode":200,"responseRefID":"5e1c","customerMessage":"Successful","debugMessage":""}},"responseBody":{body}}}"#
    )
}

/// Answers the token endpoint with `tok-<n>` (n counts token requests); everything else with
/// `answer`.
fn gateway(
    answer: impl Fn(&Recorded) -> Canned + Send + Sync + 'static,
) -> impl Fn(&Recorded) -> Canned + Send + Sync + 'static {
    let issued = Arc::new(AtomicUsize::new(0));
    move |request: &Recorded| {
        if request.path() == TOKEN_PATH {
            let n = issued.fetch_add(1, Ordering::SeqCst) + 1;
            Canned::json(
                200,
                format!(
                    r#"{{"access_token":"tok-{n}","token_type":"BearerToken","expires_in":"3599"}}"#
                ),
            )
        } else {
            answer(request)
        }
    }
}

fn config(server: &Server) -> ClientConfig {
    let auth = IntegratorAuth {
        token_url: server.url("/v1/token/generate?grant_type=client_credentials"),
        consumer_key: "ck".to_owned(),
        consumer_secret: Secret::new("cs"),
        apigee_app_id: Some("app-1".to_owned()),
    };
    ClientConfig::integrator(server.url("/etims-oscu/api/v1"), "P600004059A", "00", auth)
        .with_cmc_key(Secret::new(KEY))
        .with_timeouts(Timeouts::all(Duration::from_secs(10)))
}

fn client(server: &Server) -> Client {
    Client::new(config(server)).unwrap()
}

#[tokio::test]
async fn a_sale_is_signed_through_the_gateway() {
    let server = Server::start(gateway(|_| {
        Canned::json(200, wrap(&fixture("oscu-save-sale-response.json")))
    }))
    .await;
    let sale = sample_sale();
    let reply = client(&server).save_sale(&sale).await.unwrap();
    assert_eq!(reply.class(), ResultClass::Success);
    assert_eq!(reply.data.cur_rcpt_no, 169);
    assert_eq!(reply.data.intrl_data, "GRKJVWYCFBPTYQ225X2UEYONVE");

    let requests = server.requests();
    assert_eq!(requests.len(), 2, "{requests:?}");
    let token = &requests[0];
    assert_eq!(token.method, "GET");
    assert_eq!(
        token.target,
        "/v1/token/generate?grant_type=client_credentials"
    );
    assert_eq!(token.header("authorization"), Some("Basic Y2s6Y3M="));
    let call = &requests[1];
    assert_eq!(call.method, "POST");
    assert_eq!(call.path(), "/etims-oscu/api/v1/sendSalesTransaction");
    assert_eq!(call.header("authorization"), Some("Bearer tok-1"));
    assert_eq!(call.header("tin"), Some("P600004059A"));
    assert_eq!(call.header("bhfId"), Some("00"));
    assert_eq!(call.header("cmcKey"), Some(KEY));
    assert_eq!(call.header("apigee_app_id"), Some("app-1"));
    assert_eq!(call.body, sale.to_json().unwrap());
}

#[tokio::test]
async fn the_token_is_fetched_once_and_reused() {
    let server = Server::start(gateway(|_| {
        Canned::json(
            200,
            wrap(r#"{"resultCd":"001","resultMsg":"There is no search result","data":null}"#),
        )
    }))
    .await;
    let c = client(&server);
    c.lookup_pin("A000123456F").await.unwrap();
    c.invoice_details(7).await.unwrap();
    c.clone().notices("20180101000000").await.unwrap();
    assert_eq!(server.hits(TOKEN_PATH), 1);
    let bearers: Vec<_> = server
        .requests()
        .iter()
        .filter(|r| r.path() != TOKEN_PATH)
        .map(|r| r.header("authorization").unwrap().to_owned())
        .collect();
    assert_eq!(bearers, vec!["Bearer tok-1"; 3]);
    // A client made from it for the initialised key shares the token too.
    c.with_cmc_key(Secret::new("other"))
        .notices("20180101000000")
        .await
        .unwrap();
    assert_eq!(server.hits(TOKEN_PATH), 1);
}

#[tokio::test]
async fn a_rejected_token_is_renewed_once() {
    let server = Server::start(gateway(|request| {
        if request.header("authorization") == Some("Bearer tok-1") {
            Canned::json(
                401,
                r#"{"responseHeader":{"responseCode":401,"customerMessage":"Unauthorised-Invalid Access Token"},"responseBody":null}"#,
            )
        } else {
            Canned::json(200, wrap(&fixture("oscu-save-sale-response.json")))
        }
    }))
    .await;
    let reply = client(&server).save_sale(&sample_sale()).await.unwrap();
    assert_eq!(reply.data.tot_rcpt_no, 169);
    assert_eq!(server.hits(TOKEN_PATH), 2);
    assert_eq!(server.hits("/etims-oscu/api/v1/sendSalesTransaction"), 2);
}

#[tokio::test]
async fn a_validation_failure_is_permanent_with_kras_message() {
    let body = r#"{"responseHeader":{"responseCode":400,"responseRefID":"067775b0-a265","customerMessage":"Invalid taxblAmt on item: 1. Expected: 86.21, But Found: 100.00","debugMessage":"Invalid taxblAmt on item: 1. Expected: 86.21, But Found: 100.00"},"responseBody":null}"#;
    let server = Server::start(gateway(move |_| Canned::json(400, body))).await;
    let error = client(&server).save_sale(&sample_sale()).await.unwrap_err();
    assert_eq!(error.class(), ResultClass::Permanent);
    assert!(!error.outcome_unknown());
    assert_eq!(
        error.kra_message(),
        Some("Invalid taxblAmt on item: 1. Expected: 86.21, But Found: 100.00")
    );
    let rejection = error.rejection().unwrap();
    assert_eq!(rejection.http_status, 400);
    assert_eq!(rejection.code, "400");
    assert_eq!(rejection.response_ref_id.as_deref(), Some("067775b0-a265"));
    assert_eq!(rejection.raw_body, body);
    assert_eq!(
        hesabu_etims::result::expected_value(&rejection.message),
        Some("86.21")
    );
    assert_eq!(
        SendError::from(error),
        SendError::permanent(
            "e-TIMS 400: Invalid taxblAmt on item: 1. Expected: 86.21, But Found: 100.00"
        )
    );
}

#[tokio::test]
async fn a_wrapped_empty_lookup() {
    let server = Server::start(gateway(|_| {
        Canned::json(200, wrap(r#"{"resultCd":"001","resultMsg":"There is no search result","resultDt":"20260731120000","data":null}"#))
    }))
    .await;
    let reply = client(&server).lookup_pin("A000123456F").await.unwrap();
    assert!(reply.is_empty_lookup());
    assert_eq!(reply.data, None);
    let request = server
        .requests()
        .into_iter()
        .find(|r| r.path() != TOKEN_PATH)
        .unwrap();
    assert_eq!(request.path(), "/etims-oscu/api/v1/customerPinInfo");
}

#[tokio::test]
async fn a_wrapped_throttle_is_retryable() {
    let server = Server::start(gateway(|_| {
        Canned::json(
            200,
            wrap(
                r#"{"resultCd":"990","resultMsg":"Maximum number of views exceeded","data":null}"#,
            ),
        )
    }))
    .await;
    let error = client(&server)
        .code_list("20180101000000")
        .await
        .unwrap_err();
    assert_eq!(error.class(), ResultClass::Retryable);
    assert_eq!(error.result_code(), Some("990"));
}

#[tokio::test]
async fn a_timeout_is_retryable() {
    let server = Server::start(gateway(|_| {
        Canned::json(200, wrap(&fixture("oscu-save-sale-response.json")))
            .after(Duration::from_secs(30))
    }))
    .await;
    let c = Client::new(config(&server).with_timeouts(Timeouts::all(Duration::from_millis(300))))
        .unwrap();
    let error = c.save_sale(&sample_sale()).await.unwrap_err();
    assert!(
        matches!(error, Error::Transport { timeout: true, .. }),
        "{error:?}"
    );
    assert!(error.is_retryable() && error.outcome_unknown());
}

#[tokio::test]
async fn refused_credentials_are_permanent_and_nothing_is_sent() {
    let server = Server::start(|request: &Recorded| {
        if request.path() == TOKEN_PATH {
            Canned::json(
                401,
                r#"{"ErrorCode":"invalid_client","Error":"Client credentials are invalid"}"#,
            )
        } else {
            Canned::json(200, wrap(&fixture("oscu-save-sale-response.json")))
        }
    })
    .await;
    let error = client(&server).save_sale(&sample_sale()).await.unwrap_err();
    assert!(
        matches!(error, Error::Auth { status: 401, .. }),
        "{error:?}"
    );
    assert_eq!(error.class(), ResultClass::Permanent);
    assert_eq!(server.hits("/etims-oscu/api/v1/sendSalesTransaction"), 0);
}

#[tokio::test]
async fn initialisation_goes_to_initialize_with_the_device_in_headers_and_body() {
    let server = Server::start(gateway(|_| {
        Canned::json(200, wrap(&fixture("oscu-init-response.json")))
    }))
    .await;
    let mut config = config(&server);
    config.cmc_key = None;
    let reply = Client::new(config)
        .unwrap()
        .init("JM9QLXNJ75")
        .await
        .unwrap();
    assert_eq!(reply.data.info.sdc_id.as_deref(), Some("KRACU013000001"));
    let request = server
        .requests()
        .into_iter()
        .find(|r| r.path() != TOKEN_PATH)
        .unwrap();
    assert_eq!(request.path(), "/etims-oscu/api/v1/initialize");
    assert_eq!(request.header("tin"), Some("P600004059A"));
    assert_eq!(request.header("cmcKey"), None);
    assert!(
        request
            .header("authorization")
            .unwrap()
            .starts_with("Bearer ")
    );
    assert!(
        request.body.contains(r#""dvcSrlNo":"JM9QLXNJ75""#),
        "{}",
        request.body
    );
}
