//! Every recorded fixture reads through the same code the client uses ([`hesabu_qbo::answers`]),
//! amounts exactly, and the two Fault shapes classify as the spec says.

use std::time::Duration;

use hesabu_qbo::answers;
use hesabu_qbo::contract::send_error;
use hesabu_qbo::entities::{Attachable, CreditMemo, Customer, Entity, Invoice, Item, LineKind};
use hesabu_qbo::{Change, ErrorKind, THROTTLE_WAIT};
use rust_decimal::Decimal;

use crate::support::fixture;

fn dec(text: &str) -> Decimal {
    Decimal::from_str_exact(text).unwrap()
}

#[test]
fn the_invoice_reads_with_exact_amounts() {
    let reply = answers::entity::<Invoice>(&fixture("invoice.read.json"), None).unwrap();
    let invoice = &reply.value.entity;
    assert_eq!(invoice.id(), Some("130"));
    assert_eq!(invoice.sync_token(), Some("0"));
    assert_eq!(invoice.doc_number.as_deref(), Some("1037"));
    assert_eq!(invoice.txn_date.unwrap().to_string(), "2014-09-19");
    assert_eq!(invoice.customer_ref.as_ref().unwrap().value, "24");
    assert_eq!(invoice.total_amt, Some(dec("362.07")));
    assert_eq!(invoice.balance, Some(dec("362.07")));
    assert_eq!(
        invoice.last_updated().unwrap().to_rfc3339(),
        "2014-09-19T13:16:17-07:00"
    );
    // Three items, a subtotal; the item amounts add up to the subtotal and, with the tax, to
    // the total, digit for digit.
    let items: Vec<_> = invoice.item_lines().collect();
    assert_eq!(items.len(), 3);
    assert_eq!(items[1].1.unit_price, Some(dec("12.75")));
    assert_eq!(items[2].1.qty, Some(dec("5")));
    assert_eq!(
        items[0].1.item_ref.as_ref().unwrap().name.as_deref(),
        Some("Rock Fountain")
    );
    let subtotal: Decimal = items.iter().map(|(line, _)| line.amount.unwrap()).sum();
    let subtotal_line = invoice
        .line
        .iter()
        .find(|l| l.kind() == LineKind::SubTotal)
        .unwrap();
    assert_eq!(subtotal_line.amount, Some(subtotal));
    let tax = invoice.txn_tax_detail.as_ref().unwrap();
    assert_eq!(tax.total_tax, Some(dec("26.82")));
    let tax_line = tax.tax_line[0].tax_line_detail.as_ref().unwrap();
    assert_eq!(tax_line.tax_percent, Some(dec("8")));
    assert_eq!(tax_line.net_amount_taxable, Some(subtotal));
    assert_eq!(
        subtotal + tax.total_tax.unwrap(),
        invoice.total_amt.unwrap()
    );
    assert_eq!(invoice.custom_field[0].string_value.as_deref(), Some("102"));
    assert_eq!(invoice.linked_txn[0].txn_type.as_deref(), Some("Estimate"));
    assert!(!invoice.looks_voided());
    // The raw JSON is kept whole.
    assert!(reply.value.raw.contains("\"ProjectRef\""));
    assert_eq!(
        reply.time.unwrap().to_rfc3339(),
        "2015-07-24T10:48:27.082-07:00"
    );
}

#[test]
fn the_credit_memo_item_and_customer_read() {
    let memo = answers::entity::<CreditMemo>(&fixture("creditmemo.read.json"), None)
        .unwrap()
        .value
        .entity;
    assert_eq!(memo.id(), Some("73"));
    assert_eq!(memo.sync_token(), Some("3"));
    assert_eq!(memo.remaining_credit, Some(dec("0")));
    assert_eq!(memo.total_amt, Some(dec("100.0")));
    assert_eq!(memo.item_lines().count(), 1);

    let item = answers::entity::<Item>(&fixture("item.read.json"), None)
        .unwrap()
        .value
        .entity;
    assert_eq!(item.name.as_deref(), Some("Rock Fountain"));
    assert_eq!(item.kind.as_deref(), Some("Inventory"));
    assert_eq!(item.unit_price, Some(dec("275")));
    assert_eq!(item.purchase_cost, Some(dec("125")));
    assert_eq!(item.qty_on_hand, Some(dec("2")));
    assert_eq!(item.sync_token(), Some("2"));

    let customer = answers::entity::<Customer>(&fixture("customer.read.json"), None)
        .unwrap()
        .value
        .entity;
    assert_eq!(
        customer.display_name.as_deref(),
        Some("Dukes Basketball Camp")
    );
    assert_eq!(
        customer.primary_email_addr.unwrap().address.as_deref(),
        Some("Dukes_bball@intuit.com")
    );
    assert_eq!(
        customer.bill_addr.unwrap().lat.as_deref(),
        Some("32.2841116")
    );
    assert_eq!(customer.default_tax_code_ref.unwrap().value, "2");
    assert_eq!(customer.balance, Some(dec("0")));
}

#[test]
fn the_cdc_answer_groups_changes_and_deletions() {
    let reply = answers::cdc(&fixture("cdc.response.json"), None).unwrap();
    let cdc = reply.value;
    assert_eq!(cdc.groups.len(), 1);
    assert_eq!(cdc.groups[0].entity, "Estimate");
    let ids: Vec<&str> = cdc.groups[0]
        .objects
        .iter()
        .map(|o| o.id.as_str())
        .collect();
    assert_eq!(ids, ["48", "46", "41", "100"]);
    assert_eq!(cdc.total(), 4);
    assert!(!cdc.may_be_truncated());
    assert!(cdc.groups[0].objects.iter().all(|o| !o.deleted));
    assert!(cdc.changes::<Invoice>().unwrap().is_empty());
    assert!(reply.time.is_some());

    // The deleted-row shape (spec §2.13) and the "no changes" shape (spec §3.1).
    let invoice = fixture("invoice.read.json");
    let envelope: std::collections::BTreeMap<String, Box<serde_json::value::RawValue>> =
        serde_json::from_str(&invoice).unwrap();
    let invoice_object = envelope["Invoice"].get();
    let body = format!(
        r#"{{"CDCResponse":[{{"QueryResponse":[{{"Invoice":[{invoice_object},{{"status":"Deleted","domain":"QBO","Id":"979","MetaData":{{"LastUpdatedTime":"2015-12-11T12:36:19-08:00"}}}}],"startPosition":1,"maxResults":2}}]}}],"time":"2015-12-11T12:40:00.000-08:00"}}"#
    );
    let changes = answers::cdc(&body, None)
        .unwrap()
        .value
        .changes::<Invoice>()
        .unwrap();
    assert_eq!(changes.len(), 2);
    match &changes[0] {
        Change::Upsert(record) => assert_eq!(record.entity.total_amt, Some(dec("362.07"))),
        other => panic!("expected an upsert, got {other:?}"),
    }
    match &changes[1] {
        Change::Deleted { id, last_updated } => {
            assert_eq!(id, "979");
            assert!(last_updated.is_some());
        }
        other => panic!("expected a deletion, got {other:?}"),
    }
    let none = answers::cdc(
        r#"{"CDCResponse":[{"QueryResponse":[{}]}],"time":"2025-06-01T09:00:00.000+03:00"}"#,
        None,
    )
    .unwrap();
    assert_eq!(none.value.total(), 0);
}

#[test]
fn the_upload_answer_reads() {
    let reply = answers::upload(&fixture("attachable.upload.response.json"), None).unwrap();
    assert_eq!(reply.value.len(), 1);
    let attachable: &Attachable = &reply.value[0].entity;
    assert_eq!(attachable.id(), Some("5000000000000503624"));
    assert_eq!(attachable.size, Some(538));
    assert_eq!(attachable.content_type.as_deref(), Some("text/xml"));
    assert!(attachable.is_linked_to("Invoice", "75"));
    assert!(!attachable.is_linked_to("Invoice", "76"));
    assert_eq!(attachable.attachable_ref[0].include_on_send, Some(false));

    // A per-file Fault inside the 200 is an error.
    let failed = answers::upload(
        r#"{"AttachableResponse":[{"Fault":{"Error":[{"Message":"Object Not Found","Detail":"gone","code":"610"}],"type":"ValidationFault"}}],"time":"2020-09-29T06:33:45.445-07:00"}"#,
        None,
    )
    .unwrap_err();
    assert_eq!(failed.kind(), ErrorKind::NotFound);
}

#[test]
fn the_validation_fault_is_permanent_with_intuits_words() {
    let error = answers::check(
        400,
        fixture("fault.400.validation.json"),
        Some("1-5f734c9d-204a81e60006ee1844b369cc".into()),
        None,
        "POST customer",
    )
    .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Validation);
    assert!(!error.is_retryable());
    let fault = error.fault().unwrap();
    assert_eq!(fault.kind.as_deref(), Some("ValidationFault"));
    assert_eq!(fault.code(), Some("6240"));
    let text = error.to_string();
    assert!(text.contains("Duplicate Name Exists Error"), "{text}");
    assert!(
        text.contains("The name supplied already exists. : null"),
        "{text}"
    );
    assert!(text.contains("[code 6240]"), "{text}");
    assert!(text.contains("Correct the data"), "{text}");
    assert!(
        text.contains("1-5f734c9d-204a81e60006ee1844b369cc"),
        "{text}"
    );
    let mapped = send_error(&error);
    assert_eq!(mapped.kind(), "permanent");
    assert_eq!(mapped.message(), text);
}

#[test]
fn the_lower_case_401_body_is_an_authentication_failure() {
    let error = answers::check(
        401,
        fixture("fault.401.authentication.json"),
        None,
        None,
        "GET invoice",
    )
    .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Authentication);
    let fault = error.fault().unwrap();
    assert_eq!(fault.kind.as_deref(), Some("AUTHENTICATION"));
    assert_eq!(fault.code(), Some("3200"));
    assert_eq!(
        fault.errors[0].detail.as_deref(),
        Some("Token expired: REDACTED")
    );
    assert!(error.to_string().contains("connect again"));
    assert_eq!(send_error(&error).kind(), "permanent");
}

#[test]
fn answers_classify_as_the_spec_says() {
    let stale = r#"{"Fault":{"Error":[{"Message":"Stale Object Error","Detail":"Stale Object Error : You and Christian Pelczarski were working on this at the same time.","code":"5010","element":""}],"type":"ValidationFault"},"time":"2020-09-29T06:58:50.262-07:00"}"#;
    let error = answers::check(400, stale.into(), None, None, "POST invoice").unwrap_err();
    assert_eq!(error.kind(), ErrorKind::StaleObject);
    assert!(error.is_stale_object());
    assert!(
        send_error(&error).is_retryable(),
        "re-read, re-apply, resend"
    );

    // A Fault inside a 200 is an error.
    let in_200 = answers::check(200, stale.into(), None, None, "POST invoice").unwrap_err();
    assert_eq!(in_200.kind(), ErrorKind::StaleObject);

    // Throttles: 429 with and without Retry-After, the XML body on a 403.
    let throttle = r#"{"Fault":{"Error":[{"Message":"message=ThrottleExceeded; errorCode=003001; statusCode=429","Detail":"The request limit was reached. Try again later","code":"3001"}],"type":"SERVICE"}}"#;
    let told = answers::check(
        429,
        throttle.into(),
        None,
        Some(Duration::from_secs(7)),
        "GET query",
    )
    .unwrap_err();
    assert_eq!(told.kind(), ErrorKind::Throttled);
    assert_eq!(told.retry_after(), Some(Duration::from_secs(7)));
    assert_eq!(
        send_error(&told),
        hesabu_sync_api::SendError::Retryable {
            message: told.to_string(),
            outcome_unknown: false,
            retry_after: Some(Duration::from_secs(7)),
        }
    );
    let untold = answers::check(429, String::new(), None, None, "GET query").unwrap_err();
    assert_eq!(untold.retry_after(), Some(THROTTLE_WAIT));
    let xml = r#"<?xml version="1.0"?><IntuitResponse><Fault type="SERVICE"><Error code="3001"><Message>message=ThrottleExceeded; errorCode=003001; statusCode=403</Message><Detail>The request limit was reached.</Detail></Error></Fault></IntuitResponse>"#;
    let as_403 = answers::check(403, xml.into(), None, None, "GET query").unwrap_err();
    assert_eq!(as_403.kind(), ErrorKind::Throttled);

    // A proxy's 503 page: retryable, and a write may have gone through.
    let server = answers::check(
        503,
        "<html>Service Unavailable</html>".into(),
        None,
        None,
        "POST invoice",
    )
    .unwrap_err();
    assert_eq!(server.kind(), ErrorKind::Server);
    assert!(server.is_retryable());
    assert!(server.outcome_unknown());
    // A plain 403 is an authorization problem, not retryable.
    let forbidden = answers::check(403, "{}".into(), None, None, "GET query").unwrap_err();
    assert_eq!(forbidden.kind(), ErrorKind::Authorization);
    assert!(!forbidden.is_retryable());

    // Data that happens to contain a throttle code is still a success.
    let body = r#"{"Invoice":{"Id":"1","DocNumber":"003001","PrivateNote":"ThrottleExceeded"},"time":"2020-09-29T06:58:50.262-07:00"}"#;
    assert!(answers::check(200, body.into(), None, None, "GET invoice").is_ok());
}
