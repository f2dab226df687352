//! The Accounting API calls against the sandbox: paging, escaping, CDC, sparse update and 5010,
//! `requestid` replay, faults, attachments with the dedupe check, preferences and tax.

use std::time::Duration;

use hesabu_qbo::contract::send_error;
use hesabu_qbo::entities::{
    CustomField, Customer, Entity, Invoice, LineKind, SalesReceipt, TaxCode, TaxRate,
};
use hesabu_qbo::{
    Change, Client, ErrorKind, Query, RequestId, SalesTxnPatch, THROTTLE_WAIT, Upload,
};
use hesabu_qbo_sandbox::InjectedFault;
use rust_decimal::Decimal;

use crate::support::connected;

fn rid(text: &str) -> RequestId {
    RequestId::new(text).unwrap()
}

#[tokio::test]
async fn paging_reads_more_than_a_thousand_invoices_in_order() {
    let c = connected().await;
    c.sandbox.seed_invoices(1500);
    let expected = c.sandbox.ids("Invoice").len();
    assert!(expected > 1000);
    let since = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00+03:00").unwrap();
    let calls_before = c.sandbox.stats().api_calls;
    let mut pages = c
        .client
        .pages::<Invoice>(Query::of::<Invoice>().updated_since(since));
    let mut sizes = Vec::new();
    let mut all = Vec::new();
    while let Some(page) = pages.next().await.unwrap() {
        sizes.push(page.value.records.len());
        all.extend(page.value.records);
    }
    assert_eq!(sizes, vec![1000, expected - 1000]);
    assert_eq!(c.sandbox.stats().api_calls - calls_before, 2);
    let mut ids: Vec<&str> = all.iter().map(|r| r.entity.id().unwrap()).collect();
    assert!(
        all.windows(2)
            .all(|w| w[0].entity.last_updated() <= w[1].entity.last_updated()),
        "ordered by LastUpdatedTime"
    );
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), expected, "every invoice once");
    // Amounts are exact: item lines plus tax make the total, for every invoice.
    for record in &all {
        let invoice = &record.entity;
        let items: Decimal = invoice.item_lines().map(|(l, _)| l.amount.unwrap()).sum();
        let tax = invoice.txn_tax_detail.as_ref().unwrap().total_tax.unwrap();
        assert_eq!(items + tax, invoice.total_amt.unwrap(), "{}", record.raw);
        assert_eq!(invoice.total_amt.unwrap().scale(), 2);
    }
    // A later start position only.
    let tail = c
        .client
        .query_all::<Invoice>(
            Query::of::<Invoice>()
                .updated_since(since)
                .start_position(1001),
        )
        .await
        .unwrap();
    assert_eq!(tail.len(), expected - 1000);
}

#[tokio::test]
async fn query_values_are_escaped() {
    let c = connected().await;
    let found = c
        .client
        .query_all::<Customer>(
            Query::of::<Customer>().where_eq("DisplayName", "Mama Njeri's Kiosk"),
        )
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].entity.display_name.as_deref(),
        Some("Mama Njeri's Kiosk")
    );
    assert_eq!(
        found[0].entity.primary_tax_identifier.as_deref(),
        Some("P051000000A")
    );
    let none = c
        .client
        .query_all::<Customer>(Query::of::<Customer>().where_eq("DisplayName", "x' OR Id > '0"))
        .await
        .unwrap();
    assert!(none.is_empty(), "a quote in a value cannot widen the query");
}

#[tokio::test]
async fn cdc_returns_updates_and_deletions_since_the_watermark() {
    let c = connected().await;
    let invoices = c.sandbox.ids("Invoice");
    let customers = c.sandbox.ids("Customer");
    // The watermark: the time of a first answer, minus the 5-minute overlap.
    let first = c
        .client
        .query::<Invoice>(&Query::of::<Invoice>().max_results(1))
        .await
        .unwrap();
    let watermark = first.time.unwrap() - chrono::Duration::minutes(5);
    c.sandbox.advance_clock(Duration::from_secs(60));
    c.sandbox
        .edit(
            "Invoice",
            &invoices[0],
            "PrivateNote",
            "\"Deliver to the back door\"",
        )
        .unwrap();
    assert!(c.sandbox.delete("Invoice", &invoices[1]));
    c.sandbox
        .edit("Customer", &customers[2], "Notes", "\"Pays by M-Pesa\"")
        .unwrap();
    let reply = c
        .client
        .cdc(&["Invoice", "Customer", "Item"], watermark)
        .await
        .unwrap();
    let cdc = &reply.value;
    assert!(reply.time.unwrap() > watermark);
    let changes = cdc.changes::<Invoice>().unwrap();
    assert_eq!(changes.len(), 2, "{cdc:?}");
    match &changes[0] {
        Change::Upsert(record) => {
            assert_eq!(record.entity.id(), Some(invoices[0].as_str()));
            assert_eq!(record.entity.sync_token(), Some("1"));
            assert_eq!(
                record.entity.private_note.as_deref(),
                Some("Deliver to the back door")
            );
        }
        other => panic!("expected the edit first, got {other:?}"),
    }
    assert!(matches!(&changes[1], Change::Deleted { id, .. } if *id == invoices[1]));
    let customer_changes = cdc.changes::<Customer>().unwrap();
    assert_eq!(customer_changes.len(), 1);
    assert!(!cdc.may_be_truncated());

    // More than 1000 changes in the window: the answer is capped and says it may be truncated.
    c.sandbox.seed_invoices(1200);
    let long_ago = watermark - chrono::Duration::days(25);
    let capped = c.client.cdc(&["Invoice"], long_ago).await.unwrap().value;
    assert_eq!(capped.total(), 1000);
    assert!(capped.may_be_truncated());

    // More than 30 days back is refused, and says why.
    let too_old = c
        .client
        .cdc(&["Invoice"], watermark - chrono::Duration::days(31))
        .await
        .unwrap_err();
    assert_eq!(too_old.kind(), ErrorKind::Validation);
    assert!(too_old.to_string().contains("30 days"), "{too_old}");
}

#[tokio::test]
async fn a_stale_sync_token_is_its_own_kind_and_a_reread_applies() {
    let c = connected().await;
    let id = c.sandbox.ids("Invoice")[2].clone();
    let read = c.client.read::<Invoice>(&id).await.unwrap().value.entity;
    let token = read.sync_token().unwrap().to_owned();
    // Someone edits the invoice in QuickBooks meanwhile.
    c.sandbox.edit(
        "Invoice",
        &id,
        "CustomerMemo",
        r#"{"value":"Edited in QBO"}"#,
    );
    let mut fields = read.custom_field.clone();
    fields[0] = CustomField::string("1", "KRACU0100000001/123");
    let patch = SalesTxnPatch {
        private_note: Some("[ETR] CU=KRACU0100000001/123 | QR=https://etims.kra.go.ke/x".into()),
        custom_field: Some(fields),
        customer_memo: None,
    };
    let stale = c
        .client
        .sparse_update::<Invoice>(&id, &token, &patch, &rid("etr-1-a"))
        .await
        .unwrap_err();
    assert_eq!(stale.kind(), ErrorKind::StaleObject, "{stale:?}");
    assert!(stale.is_stale_object());
    assert!(stale.to_string().contains("Stale Object Error"), "{stale}");
    assert!(send_error(&stale).is_retryable());
    assert!(
        stale.intuit_tid().is_some(),
        "every answer carries intuit_tid"
    );

    // Re-read by id, re-apply, new requestid.
    let fresh = c.client.read::<Invoice>(&id).await.unwrap().value.entity;
    assert_eq!(fresh.sync_token(), Some("1"));
    let updated = c
        .client
        .sparse_update::<Invoice>(&id, fresh.sync_token().unwrap(), &patch, &rid("etr-1-b"))
        .await
        .unwrap()
        .value
        .entity;
    assert_eq!(updated.sync_token(), Some("2"));
    assert_eq!(updated.private_note, patch.private_note);
    assert_eq!(
        updated.custom_field[0].string_value.as_deref(),
        Some("KRACU0100000001/123")
    );
    // Sparse: the lines and the other edit are untouched.
    assert_eq!(updated.line, fresh.line);
    assert_eq!(updated.customer_memo.unwrap().value, "Edited in QBO");
    assert!(updated.line.iter().any(|l| l.kind() == LineKind::SubTotal));
}

#[tokio::test]
async fn a_retry_with_the_same_requestid_does_not_write_twice() {
    let c = connected().await;
    let id = c.sandbox.ids("SalesReceipt")[0].clone();
    let patch = SalesTxnPatch {
        private_note: Some("[ETR] CU=KRACU0100000001/200".into()),
        ..SalesTxnPatch::default()
    };
    // The write is applied, then the connection drops before the answer.
    c.sandbox.fail_next(1, InjectedFault::DropAfterProcessing);
    let lost = c
        .client
        .sparse_update::<SalesReceipt>(&id, "0", &patch, &rid("etr-200"))
        .await
        .unwrap_err();
    assert_eq!(lost.kind(), ErrorKind::Transport, "{lost:?}");
    assert!(lost.outcome_unknown());
    assert_eq!(send_error(&lost).kind(), "unknown_outcome");
    assert_eq!(c.sandbox.stats().writes, 1);

    // The retry carries the same requestid and gets the original answer.
    let replayed = c
        .client
        .sparse_update::<SalesReceipt>(&id, "0", &patch, &rid("etr-200"))
        .await
        .unwrap()
        .value
        .entity;
    assert_eq!(replayed.sync_token(), Some("1"));
    let stats = c.sandbox.stats();
    assert_eq!(stats.writes, 1, "written once");
    assert_eq!(stats.replays, 1);
    let writes: Vec<_> = c
        .sandbox
        .writes()
        .into_iter()
        .filter(|w| w.request_id.as_deref() == Some("etr-200"))
        .collect();
    assert_eq!(writes.len(), 1);
    assert_eq!(writes[0].sync_token, "1");

    // A 500 does nothing; the retry writes once.
    c.sandbox.fail_next(1, InjectedFault::ServerError);
    let patch = SalesTxnPatch {
        private_note: Some("second".into()),
        ..SalesTxnPatch::default()
    };
    let failed = c
        .client
        .sparse_update::<SalesReceipt>(&id, "1", &patch, &rid("etr-201"))
        .await
        .unwrap_err();
    assert_eq!(failed.kind(), ErrorKind::Server);
    assert!(send_error(&failed).is_retryable());
    let ok = c
        .client
        .sparse_update::<SalesReceipt>(&id, "1", &patch, &rid("etr-201"))
        .await
        .unwrap();
    assert_eq!(ok.value.entity.sync_token(), Some("2"));
    assert_eq!(c.sandbox.stats().writes, 2);
}

#[tokio::test]
async fn throttles_and_drops_are_retryable_with_the_wait() {
    let c = connected().await;
    let id = c.sandbox.ids("Invoice")[0].clone();
    // A second client of the same company (another window, the outbox): one limiter.
    let other = Client::new(c.client.config().clone(), c.tokens.clone()).unwrap();
    c.sandbox.fail_next(
        1,
        InjectedFault::Throttle {
            retry_after: Some(7),
        },
    );
    let told = c.client.read::<Invoice>(&id).await.unwrap_err();
    assert_eq!(told.kind(), ErrorKind::Throttled);
    assert_eq!(told.retry_after(), Some(Duration::from_secs(7)));
    // The whole realm is paused for the wait (spec §6.2): both clients refuse at once, unsent,
    // with the time left, until the clock has moved past it.
    let calls = c.sandbox.stats().api_calls;
    c.clock.advance(Duration::from_secs(3));
    // A client made after the throttle (the next pull's) is paused too.
    let later = Client::new(c.client.config().clone(), c.tokens.clone()).unwrap();
    for client in [&c.client, &other, &later] {
        let paused = client.read::<Invoice>(&id).await.unwrap_err();
        assert!(
            matches!(paused, hesabu_qbo::Error::Paused { .. }),
            "{paused:?}"
        );
        assert_eq!(paused.kind(), ErrorKind::Throttled);
        assert!(paused.is_retryable());
        assert_eq!(paused.retry_after(), Some(Duration::from_secs(4)));
        assert_eq!(
            send_error(&paused),
            hesabu_sync_api::SendError::Retryable {
                message: paused.to_string(),
                outcome_unknown: false,
                retry_after: Some(Duration::from_secs(4)),
            }
        );
    }
    assert_eq!(c.sandbox.stats().api_calls, calls, "nothing was sent");
    c.clock.advance(Duration::from_secs(4));
    // Waited out: the same read is sent again and answered.
    other.read::<Invoice>(&id).await.unwrap();

    c.sandbox
        .fail_next(1, InjectedFault::Throttle { retry_after: None });
    let untold = c.client.read::<Invoice>(&id).await.unwrap_err();
    assert_eq!(untold.retry_after(), Some(THROTTLE_WAIT));
    c.clock.advance(THROTTLE_WAIT - Duration::from_secs(1));
    assert_eq!(
        c.client
            .read::<Invoice>(&id)
            .await
            .unwrap_err()
            .retry_after(),
        Some(Duration::from_secs(1))
    );
    c.clock.advance(Duration::from_secs(1));
    c.sandbox.fail_next(1, InjectedFault::ThrottleXml);
    let xml = c.client.read::<Invoice>(&id).await.unwrap_err();
    assert_eq!(xml.kind(), ErrorKind::Throttled, "{xml:?}");
    assert_eq!(
        send_error(&xml),
        hesabu_sync_api::SendError::Retryable {
            message: xml.to_string(),
            outcome_unknown: false,
            retry_after: Some(THROTTLE_WAIT),
        }
    );
    c.clock.advance(THROTTLE_WAIT);
    c.sandbox.fail_next(1, InjectedFault::DropConnection);
    let dropped = c.client.read::<Invoice>(&id).await.unwrap_err();
    assert_eq!(dropped.kind(), ErrorKind::Transport, "{dropped:?}");
    assert!(dropped.is_retryable());
    // A dropped connection pauses nothing: the next read goes at once and works.
    c.client.read::<Invoice>(&id).await.unwrap();
}

#[tokio::test]
async fn a_validation_fault_is_permanent() {
    let c = connected().await;
    let customers = c.sandbox.ids("Customer");
    #[derive(serde::Serialize)]
    struct Rename {
        #[serde(rename = "DisplayName")]
        display_name: &'static str,
    }
    let error = c
        .client
        .sparse_update::<Customer>(
            &customers[1],
            "0",
            &Rename {
                display_name: "Savannah Cafe",
            },
            &rid("rename-1"),
        )
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Validation);
    assert_eq!(error.fault().unwrap().code(), Some("6240"));
    assert!(error.to_string().contains("Duplicate Name Exists Error"));
    assert_eq!(send_error(&error).kind(), "permanent");
    // Reading something that is not there.
    let missing = c.client.read::<Invoice>("999999").await.unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn an_attachment_uploads_once_and_the_dedupe_check_finds_it() {
    let c = connected().await;
    let invoice = c.sandbox.ids("Invoice")[3].clone();
    let name = format!("ETR-{invoice}-KRACU0100000001-123.pdf");
    assert!(
        c.client
            .find_attachment("Invoice", &invoice, &name)
            .await
            .unwrap()
            .is_none()
    );
    let pdf = b"%PDF-1.7\n\x00\xff binary receipt bytes\n%%EOF\n".to_vec();
    let upload = Upload::pdf_for("Invoice", &invoice, &name, pdf.clone());
    let uploaded = c
        .client
        .upload(&upload, &rid("upload-123"))
        .await
        .unwrap()
        .value
        .entity;
    let attachment_id = uploaded.id().unwrap().to_owned();
    assert_eq!(uploaded.file_name.as_deref(), Some(name.as_str()));
    assert_eq!(uploaded.content_type.as_deref(), Some("application/pdf"));
    assert_eq!(uploaded.size, Some(pdf.len() as u64));
    assert!(uploaded.is_linked_to("Invoice", &invoice));
    assert_eq!(uploaded.attachable_ref[0].include_on_send, Some(true));
    assert_eq!(
        c.sandbox.attachment_bytes(&attachment_id),
        Some(pdf.clone())
    );

    let found = c
        .client
        .find_attachment("Invoice", &invoice, &name)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.entity.id(), Some(attachment_id.as_str()));
    assert!(
        c.client
            .find_attachment("Invoice", &invoice, "other.pdf")
            .await
            .unwrap()
            .is_none()
    );
    let other_invoice = c.sandbox.ids("Invoice")[4].clone();
    assert!(
        c.client
            .attachments_of("Invoice", &other_invoice)
            .await
            .unwrap()
            .is_empty()
    );

    // The same requestid replays; no second attachment.
    let again = c.client.upload(&upload, &rid("upload-123")).await.unwrap();
    assert_eq!(again.value.entity.id(), Some(attachment_id.as_str()));
    assert_eq!(c.sandbox.stats().uploads, 1);
    assert_eq!(
        c.client
            .attachments_of("Invoice", &invoice)
            .await
            .unwrap()
            .len(),
        1
    );

    // A link to a missing invoice fails inside the 200, per file.
    let orphan = Upload::pdf_for("Invoice", "999999", "x.pdf", pdf);
    let error = c
        .client
        .upload(&orphan, &rid("upload-999"))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotFound, "{error:?}");
}

#[tokio::test]
async fn preferences_and_tax_codes_read() {
    let c = connected().await;
    let prefs = c.client.preferences().await.unwrap().value.entity;
    let fields = prefs.legacy_custom_fields();
    assert_eq!(fields.len(), 3);
    assert_eq!(fields[0].definition_id, "1");
    assert_eq!(fields[0].name.as_deref(), Some("CU Invoice No"));
    assert!(fields[0].in_use);
    assert!(!fields[1].in_use);
    assert_eq!(fields[1].name, None);
    assert_eq!(
        prefs.currency_prefs.unwrap().home_currency.unwrap().value,
        "KES"
    );
    let codes = c
        .client
        .query_all::<TaxCode>(Query::of::<TaxCode>())
        .await
        .unwrap();
    let vat = codes
        .iter()
        .find(|c| c.entity.name.as_deref() == Some("VAT 16%"))
        .unwrap();
    let rate_id = vat
        .entity
        .sales_tax_rate_list
        .as_ref()
        .unwrap()
        .tax_rate_detail[0]
        .tax_rate_ref
        .as_ref()
        .unwrap()
        .value
        .clone();
    let rate = c
        .client
        .read::<TaxRate>(&rate_id)
        .await
        .unwrap()
        .value
        .entity;
    assert_eq!(rate.rate_value, Some(Decimal::from(16)));
}
