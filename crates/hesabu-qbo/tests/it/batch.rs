//! Batch requests: queries and updates in one call against the sandbox, an item's Fault as that
//! item's classified error, the size limits, and a body shaped as spec §2.3 / §4.2 describe (no
//! batch answer is among the recorded fixtures: the body is built from the recorded invoice and
//! the spec's inline 5010 Fault).

use hesabu_qbo::batch::{self, BatchItem};
use hesabu_qbo::entities::{Attachable, Entity, Invoice};
use hesabu_qbo::{Client, ClientConfig, ErrorKind, Query, RequestId};

use crate::support::{connected, fixture};

fn by_id(id: &str) -> Query {
    Query::of::<Invoice>().where_eq("Id", id)
}

#[tokio::test]
async fn one_call_answers_every_query_and_a_bad_item_fails_alone() {
    let c = connected().await;
    let ids = c.sandbox.ids("Invoice");
    let before = c.sandbox.stats();
    let reply = c
        .client
        .batch(
            &[
                BatchItem::query("a", by_id(&ids[0])),
                BatchItem::query("in", Query::of::<Invoice>().where_in("Id", &ids[1..3])),
                BatchItem::query(
                    "att",
                    Query::of::<Attachable>()
                        .where_eq("AttachableRef.EntityRef.Type", "Invoice")
                        .where_eq("AttachableRef.EntityRef.value", &ids[0]),
                ),
                BatchItem::query("bad", Query::select_all("NoSuchEntity")),
            ],
            None,
        )
        .await
        .unwrap();
    let after = c.sandbox.stats();
    assert_eq!(after.api_calls - before.api_calls, 1, "one request");
    assert_eq!(after.batches - before.batches, 1);
    let answers = reply.value;
    assert_eq!(answers.len(), 4);
    let a = answers.query::<Invoice>("a").unwrap();
    assert_eq!(a.records.len(), 1);
    assert_eq!(a.records[0].entity.id(), Some(ids[0].as_str()));
    let mut got: Vec<String> = answers
        .query::<Invoice>("in")
        .unwrap()
        .records
        .iter()
        .map(|r| r.entity.id().unwrap().to_owned())
        .collect();
    got.sort();
    let mut want = ids[1..3].to_vec();
    want.sort();
    assert_eq!(got, want);
    assert!(
        answers
            .query::<Attachable>("att")
            .unwrap()
            .records
            .is_empty()
    );
    let bad = answers.query::<Invoice>("bad").unwrap_err();
    assert_eq!(bad.kind(), ErrorKind::Validation, "{bad}");
    assert!(bad.to_string().contains("batch item bad"), "{bad}");
    // An id the batch did not carry.
    assert_eq!(
        answers.query::<Invoice>("nope").unwrap_err().kind(),
        ErrorKind::Decode
    );
    assert!(reply.time.is_some() && reply.intuit_tid.is_some());
}

#[tokio::test]
async fn updates_in_a_batch_carry_a_requestid_and_a_stale_one_is_5010() {
    let c = connected().await;
    let ids = c.sandbox.ids("Invoice");
    let current = c.client.read::<Invoice>(&ids[0]).await.unwrap().value;
    let token = current.entity.sync_token().unwrap().to_owned();
    let update = |b_id: &str, id: &str, token: &str, note: &str| BatchItem::Operation {
        b_id: b_id.into(),
        operation: "update".into(),
        entity: "Invoice".into(),
        body: serde_json::json!({"Id": id, "SyncToken": token, "sparse": true,
            "PrivateNote": note}),
    };
    let items = [
        update("ok", &ids[0], &token, "from a batch"),
        update("stale", &ids[1], "999", "never"),
    ];
    // Writes need a requestid.
    let refused = c.client.batch(&items, None).await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Config, "{refused}");
    let request = RequestId::new("0b6a2f1e-batch-1").unwrap();
    let reply = c.client.batch(&items, Some(&request)).await.unwrap();
    let updated = reply.value.entity::<Invoice>("ok").unwrap();
    assert_eq!(updated.entity.private_note.as_deref(), Some("from a batch"));
    let stale = reply.value.entity::<Invoice>("stale").unwrap_err();
    assert_eq!(stale.kind(), ErrorKind::StaleObject, "{stale}");
    assert!(stale.is_stale_object());
    // The same requestid again: the original answer, nothing written twice.
    let writes = c.sandbox.stats().writes;
    let again = c.client.batch(&items, Some(&request)).await.unwrap();
    assert_eq!(c.sandbox.stats().writes, writes);
    assert_eq!(
        again
            .value
            .entity::<Invoice>("ok")
            .unwrap()
            .entity
            .sync_token(),
        updated.entity.sync_token()
    );
    // With a requestid, bIds are at most 10 characters; a batch requestid at most 36.
    let long = [update("elevenchars", &ids[0], "0", "x")];
    assert_eq!(
        c.client
            .batch(&long, Some(&request))
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::Config
    );
    let long_id = RequestId::new("x".repeat(37)).unwrap();
    let err = c.client.batch(&items, Some(&long_id)).await.unwrap_err();
    assert!(err.to_string().contains("36"), "{err}");
}

#[tokio::test]
async fn batches_are_at_most_the_configured_size_and_never_more_than_thirty() {
    let c = connected().await;
    let ids = c.sandbox.ids("Invoice");
    let items = |n: usize| -> Vec<BatchItem> {
        (0..n)
            .map(|i| BatchItem::query(format!("q{i}"), by_id(&ids[i % ids.len()])))
            .collect()
    };
    let calls = c.sandbox.stats().api_calls;
    // The default is the spec's client policy, 10.
    assert_eq!(c.client.config().batch_size, 10);
    let err = c.client.batch(&items(11), None).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.to_string().contains("at most 10"), "{err}");
    assert!(c.client.batch(&[], None).await.is_err());
    let dup = [
        BatchItem::query("x", by_id(&ids[0])),
        BatchItem::query("x", by_id(&ids[1])),
    ];
    assert!(c.client.batch(&dup, None).await.is_err());
    assert_eq!(
        c.sandbox.stats().api_calls,
        calls,
        "nothing refused was sent"
    );
    // Configured up to 30 (Intuit's ceiling), not beyond.
    let wide = Client::new(
        ClientConfig {
            batch_size: 30,
            ..c.client.config().clone()
        },
        c.tokens.clone(),
    )
    .unwrap();
    let reply = wide.batch(&items(30), None).await.unwrap();
    assert_eq!(reply.value.len(), 30);
    assert!(wide.batch(&items(31), None).await.is_err());
    for size in [0, 31] {
        let err = Client::new(
            ClientConfig {
                batch_size: size,
                ..c.client.config().clone()
            },
            c.tokens.clone(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("1 to 30"), "{err}");
    }
    // The sandbox itself refuses more than 30 with a 400 Fault (sent by hand: the client
    // never would).
    let list: Vec<_> = (0..31)
        .map(|i| serde_json::json!({"bId": format!("q{i}"), "Query": "SELECT * FROM Item"}))
        .collect();
    let token = c.tokens.access_token(&c.sandbox.realm_id()).await.unwrap();
    let response = reqwest::Client::new()
        .post(format!(
            "{}/v3/company/{}/batch",
            c.sandbox.base_url(),
            c.sandbox.realm_id()
        ))
        .bearer_auth(token.expose())
        .header("content-type", "application/json")
        .body(serde_json::json!({ "BatchItemRequest": list }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    assert!(response.text().await.unwrap().contains("Fault"));
}

#[test]
fn a_batch_answer_shaped_as_the_spec_reads_item_by_item() {
    // Spec §2.3's envelope around the recorded invoice (as a query answer and as an
    // operation's entity) and §4.2's 5010 Fault, recorded inside a batch answer.
    let invoice: serde_json::Value = serde_json::from_str(&fixture("invoice.read.json")).unwrap();
    let invoice = &invoice["Invoice"];
    let body = serde_json::json!({
        "BatchItemResponse": [
            {"bId": "bid1", "QueryResponse": {"Invoice": [invoice], "startPosition": 1,
                "maxResults": 1}},
            {"bId": "bid2", "Invoice": invoice},
            {"bId": "bid3", "Fault": {"Error": [{"Message": "Stale Object Error",
                "Detail": "Stale Object Error : You and Christian Pelczarski were working on \
                    this at the same time. Christian Pelczarski finished before you did, so \
                    your work was not saved.",
                "code": "5010", "element": ""}], "type": "ValidationFault"}},
            {"bId": "bid4", "Fault": {"Error": [{"Message": "Object Not Found",
                "Detail": "Object Not Found : Something you're trying to use has been made \
                    inactive.", "code": "610", "element": ""}], "type": "ValidationFault"}},
            {"bId": "bid5", "QueryResponse": {}}
        ],
        "time": "2015-07-24T11:59:56.816-07:00"
    })
    .to_string();
    let answers = batch::parse(&body, Some("1-tid")).unwrap();
    assert_eq!(answers.len(), 5);
    let page = answers.query::<Invoice>("bid1").unwrap();
    assert_eq!(page.records[0].entity.id(), Some("130"));
    assert_eq!(
        page.records[0].entity.total_amt,
        Some(rust_decimal::Decimal::from_str_exact("362.07").unwrap())
    );
    assert_eq!(
        answers
            .entity::<Invoice>("bid2")
            .unwrap()
            .entity
            .doc_number
            .as_deref(),
        Some("1037")
    );
    let stale = answers.entity::<Invoice>("bid3").unwrap_err();
    assert_eq!(stale.kind(), ErrorKind::StaleObject);
    let gone = answers.query::<Invoice>("bid4").unwrap_err();
    assert_eq!(gone.kind(), ErrorKind::NotFound);
    assert!(gone.to_string().contains("Object Not Found"), "{gone}");
    assert!(answers.query::<Invoice>("bid5").unwrap().records.is_empty());
    // Not a batch answer at all.
    assert_eq!(
        batch::parse("{\"QueryResponse\":{}}", None)
            .unwrap_err()
            .kind(),
        ErrorKind::Decode
    );
}
