//! The client against a loopback server speaking the legacy OSCU gateway: flat paths, header
//! auth, bare envelopes.

use std::time::Duration;

use hesabu_etims::{Client, ClientConfig, Endpoint, Error, ResultClass, Secret, Timeouts};
use hesabu_sync_api::SendError;

use crate::sample_sale;
use crate::support::{Canned, Server, fixture};

const KEY: &str = "f0b9831bd2334874b7ec815e40347bc4";

fn client(server: &Server) -> Client {
    let config = ClientConfig::legacy(server.url("/etims-api/"), "P051234567A", "01")
        .with_cmc_key(Secret::new(KEY))
        .with_timeouts(Timeouts::all(Duration::from_secs(10)));
    Client::new(config).unwrap()
}

#[tokio::test]
async fn a_sale_is_signed() {
    let server =
        Server::start(|_| Canned::json(200, fixture("oscu-save-sale-response.json"))).await;
    let sale = sample_sale();
    let reply = client(&server).save_sale(&sale).await.unwrap();

    assert_eq!(reply.class(), ResultClass::Success);
    assert_eq!(reply.data.cur_rcpt_no, 169);
    assert_eq!(reply.data.rcpt_sign, "123456789ODOOGR3");
    assert_eq!(reply.data.sdc_date_time, "20240415153039");
    assert_eq!(reply.raw_body, fixture("oscu-save-sale-response.json"));

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path(), "/etims-api/saveTrnsSalesOsdc");
    assert_eq!(request.header("tin"), Some("P051234567A"));
    assert_eq!(request.header("bhfId"), Some("01"));
    assert_eq!(request.header("cmcKey"), Some(KEY));
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(request.header("authorization"), None);
    // Exactly the payload's own JSON, amounts as written.
    assert_eq!(request.body, sale.to_json().unwrap());
    assert!(
        request.body.contains(r#""taxAmtB":0.14"#),
        "{}",
        request.body
    );
}

#[tokio::test]
async fn a_stored_payload_is_sent_unchanged() {
    let server =
        Server::start(|_| Canned::json(200, fixture("oscu-save-sale-response.json"))).await;
    let payload = sample_sale().to_json().unwrap().replace("0.14", "0.140");
    client(&server).save_sale_json(&payload).await.unwrap();
    assert_eq!(server.requests()[0].body, payload);
}

#[tokio::test]
async fn an_unknown_pin_is_an_empty_lookup() {
    let server = Server::start(|_| {
        Canned::json(
            200,
            r#"{"resultCd":"001","resultMsg":"There is no search result","resultDt":"20240415101010","data":null}"#,
        )
    })
    .await;
    let reply = client(&server).lookup_pin("A000123456F").await.unwrap();
    assert!(reply.is_empty_lookup());
    assert_eq!(reply.class(), ResultClass::EmptyLookup);
    assert_eq!(reply.data, None);
    assert_eq!(reply.result_dt.as_deref(), Some("20240415101010"));
    let request = &server.requests()[0];
    assert_eq!(request.path(), "/etims-api/selectCustomer");
    let body: serde_json::Value = serde_json::from_str(&request.body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"tin": "P051234567A", "bhfId": "01", "custmTin": "A000123456F"})
    );
}

#[tokio::test]
async fn throttling_is_retryable() {
    let server = Server::start(|_| {
        Canned::json(
            200,
            r#"{"resultCd":"990","resultMsg":"Maximum number of views exceeded","resultDt":"20240415101010","data":null}"#,
        )
    })
    .await;
    let error = client(&server).save_sale(&sample_sale()).await.unwrap_err();
    assert_eq!(error.class(), ResultClass::Retryable);
    assert_eq!(error.result_code(), Some("990"));
    assert!(
        !error.outcome_unknown(),
        "990 says the request was not processed"
    );
    assert!(SendError::from(error).is_retryable());
}

#[tokio::test]
async fn a_registration_error_may_have_taken_effect() {
    let server = Server::start(|_| {
        Canned::json(
            200,
            r#"{"resultCd":"991","resultMsg":"Error during registration"}"#,
        )
    })
    .await;
    let error = client(&server).save_sale(&sample_sale()).await.unwrap_err();
    assert!(error.is_retryable() && error.outcome_unknown());
    assert_eq!(SendError::from(error).kind(), "unknown_outcome");
}

#[tokio::test]
async fn a_rejection_carries_kras_message_verbatim() {
    let message = "invcNo:2 is duplicated. Check invcNo (there is an overlapped data)";
    let body = format!(
        r#"{{"resultCd":"994","resultMsg":"{message}","resultDt":"20240415101010","data":null}}"#
    );
    let server = Server::start(move |_| Canned::json(200, body.clone())).await;
    let error = client(&server).save_sale(&sample_sale()).await.unwrap_err();
    assert_eq!(error.class(), ResultClass::Permanent);
    assert_eq!(error.result_code(), Some("994"));
    assert_eq!(error.kra_message(), Some(message));
    assert!(!error.outcome_unknown());
    let sent = SendError::from(error);
    assert_eq!(sent, SendError::permanent(format!("e-TIMS 994: {message}")));
}

#[tokio::test]
async fn a_timeout_is_retryable_with_an_unknown_outcome() {
    let server = Server::start(|_| {
        Canned::json(200, fixture("oscu-save-sale-response.json")).after(Duration::from_secs(30))
    })
    .await;
    let config = ClientConfig::legacy(server.url("/etims-api"), "P051234567A", "01")
        .with_cmc_key(Secret::new(KEY))
        .with_timeouts(Timeouts::all(Duration::from_millis(300)));
    let error = Client::new(config)
        .unwrap()
        .save_sale(&sample_sale())
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Transport {
                timeout: true,
                outcome_unknown: true,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(error.class(), ResultClass::Retryable);
    assert_eq!(SendError::from(error).kind(), "unknown_outcome");
}

#[tokio::test]
async fn a_refused_connection_is_retryable_and_never_reached_kra() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let config = ClientConfig::legacy(
        format!("http://127.0.0.1:{port}/etims-api/"),
        "P051234567A",
        "01",
    )
    .with_cmc_key(Secret::new(KEY))
    .with_timeouts(Timeouts::all(Duration::from_secs(5)));
    let error = Client::new(config)
        .unwrap()
        .save_sale(&sample_sale())
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Transport {
                outcome_unknown: false,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.is_retryable());
}

#[tokio::test]
async fn server_errors_without_an_envelope_are_retryable() {
    let server = Server::start(|_| Canned::json(503, "<html>Service Unavailable</html>")).await;
    let error = client(&server)
        .code_list("20180101000000")
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::Http { status: 503, .. }),
        "{error:?}"
    );
    assert!(error.is_retryable());
}

#[tokio::test]
async fn initialisation_sends_no_device_headers() {
    let server = Server::start(|_| Canned::json(200, fixture("oscu-init-response.json"))).await;
    // No key yet: initialisation is what issues it.
    let config = ClientConfig::legacy(server.url("/etims-api/"), "A123456789Z", "00");
    let client = Client::new(config).unwrap();
    let reply = client.init("dvcv1130").await.unwrap();
    let key = reply.data.info.cmc_key.clone().unwrap();
    assert_eq!(key.expose(), KEY);

    let request = &server.requests()[0];
    assert_eq!(request.path(), "/etims-api/selectInitOsdcInfo");
    assert_eq!(request.header("tin"), None);
    assert_eq!(request.header("cmcKey"), None);
    let body: serde_json::Value = serde_json::from_str(&request.body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"tin": "A123456789Z", "bhfId": "00", "dvcSrlNo": "dvcv1130"})
    );

    // With the key, business calls carry it.
    let keyed = client.with_cmc_key(key);
    let _ = keyed.notices("20180101000000").await;
    assert_eq!(server.requests()[1].header("cmcKey"), Some(KEY));
}

#[tokio::test]
async fn business_calls_need_a_key_first() {
    let server = Server::start(|_| Canned::json(200, "{}")).await;
    let config = ClientConfig::legacy(server.url("/etims-api/"), "A123456789Z", "00");
    let error = Client::new(config)
        .unwrap()
        .save_sale(&sample_sale())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Config(_)), "{error:?}");
    assert_eq!(error.class(), ResultClass::Permanent);
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn invoice_details_recover_a_signature() {
    let server =
        Server::start(|_| Canned::json(200, fixture("oscu-select-invoice-details-response.json")))
            .await;
    let reply = client(&server).invoice_details(2).await.unwrap();
    let signature = reply.data.unwrap().invoice(2).unwrap().signature().unwrap();
    assert_eq!(signature.cur_rcpt_no, 169);
    assert_eq!(signature.sdc_date_time, "20240415153039");
    let request = &server.requests()[0];
    assert_eq!(request.path(), "/etims-api/selectInvoiceDetails");
    assert!(request.body.contains(r#""invcNo":2"#), "{}", request.body);
}

#[tokio::test]
async fn every_list_goes_to_its_legacy_path() {
    let server = Server::start(|_| {
        Canned::json(
            200,
            r#"{"resultCd":"001","resultMsg":"There is no search result","data":null}"#,
        )
    })
    .await;
    let c = client(&server);
    let since = "20180101000000";
    assert!(c.code_list(since).await.unwrap().data.is_none());
    assert!(c.item_classes(since).await.unwrap().data.is_none());
    assert!(c.notices(since).await.unwrap().data.is_none());
    assert!(c.branches(since).await.unwrap().data.is_none());
    assert!(c.items(since).await.unwrap().data.is_none());
    assert!(c.stock_moves(since).await.unwrap().data.is_none());
    assert!(c.purchase_sales(since).await.unwrap().data.is_none());
    let paths: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.path().to_owned())
        .collect();
    let expected: Vec<String> = [
        Endpoint::CodeList,
        Endpoint::ItemClassList,
        Endpoint::NoticeList,
        Endpoint::BranchList,
        Endpoint::ItemList,
        Endpoint::StockMoveList,
        Endpoint::PurchaseSalesList,
    ]
    .iter()
    .map(|e| format!("/etims-api/{}", e.legacy_path()))
    .collect();
    assert_eq!(paths, expected);
    for request in server.requests() {
        assert!(
            request.body.contains(r#""lastReqDt":"20180101000000""#),
            "{}",
            request.body
        );
    }
}
