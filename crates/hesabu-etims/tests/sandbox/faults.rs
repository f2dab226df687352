//! Failure modes: the sandbox's injected faults as the client classifies them, and the
//! dropped-answer case that check-before-resend exists for (spec §11.4).

use std::time::Duration;

use hesabu_etims::dates::EPOCH_LAST_REQ_DT;
use hesabu_etims::{Client, Endpoint, Error, ResultClass, Timeouts, classify};
use hesabu_etims_sandbox::{Fault, Profile};

use crate::{both, first_sale, harness, sale, service_item};

async fn a_sale_accepted_then_dropped_is_found_not_resent(profile: Profile) {
    let h = harness(profile).await;
    h.client.save_item(&service_item(profile)).await.unwrap();
    h.sandbox
        .fail_next_on(Endpoint::SaveSale, 1, Fault::AcceptThenDrop);
    let error = h.client.save_sale(&sale(profile, 1)).await.unwrap_err();
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
    assert!(error.is_retryable(), "{error}");
    assert!(
        error.outcome_unknown(),
        "the sale may have been signed: {error}"
    );
    // KRA did sign it.
    assert_eq!(h.sandbox.signed_sales().len(), 1);

    // Check before resending: KRA has it, so the signature is adopted and nothing is resent.
    let found = h.client.invoice_details(1).await.unwrap().data.unwrap();
    let signature = found.invoice(1).unwrap().signature().unwrap();
    assert_eq!(signature, h.sandbox.signed_sales()[0].signature);
    assert_eq!(h.sandbox.count(Endpoint::SaveSale), 1);
    // Had the client resent anyway, KRA would refuse the number, and still sign nothing twice.
    let resend = h.client.save_sale(&sale(profile, 1)).await.unwrap_err();
    assert_eq!(resend.result_code(), Some("994"));
    assert_eq!(h.sandbox.signed_sales().len(), 1);
    let received = h.sandbox.received();
    let sales: Vec<_> = received
        .iter()
        .filter(|r| r.endpoint == Endpoint::SaveSale)
        .map(|r| r.outcome.as_str())
        .collect();
    assert_eq!(sales, ["000, then dropped", "994"]);
}
both!(a_sale_accepted_then_dropped_is_found_not_resent);

async fn a_sale_dropped_before_kra_is_resent_once(profile: Profile) {
    let h = harness(profile).await;
    h.client.save_item(&service_item(profile)).await.unwrap();
    h.sandbox.fail_next_on(Endpoint::SaveSale, 1, Fault::Drop);
    let payload = sale(profile, 1).to_json().unwrap();
    let error = h.client.save_sale_json(&payload).await.unwrap_err();
    assert!(error.is_retryable() && error.outcome_unknown(), "{error}");
    assert!(h.sandbox.signed_sales().is_empty());
    // The lookup says KRA has nothing: resend the same frozen payload, same number.
    assert!(h.client.invoice_details(1).await.unwrap().is_empty_lookup());
    let signed = h.client.save_sale_json(&payload).await.unwrap().data;
    assert_eq!(signed.cur_rcpt_no, 1);
    let all = h.sandbox.signed_sales();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].request_json, payload);
}
both!(a_sale_dropped_before_kra_is_resent_once);

async fn a_timeout_after_commit_is_an_unknown_outcome(profile: Profile) {
    let h = harness(profile).await;
    h.client.save_item(&service_item(profile)).await.unwrap();
    h.sandbox.fail_next_on(
        Endpoint::SaveSale,
        1,
        Fault::AcceptThenStall(Duration::from_secs(5)),
    );
    let impatient = Client::new(
        h.client
            .config()
            .clone()
            .with_timeouts(Timeouts::all(Duration::from_millis(300))),
    )
    .unwrap();
    let error = impatient.save_sale(&sale(profile, 1)).await.unwrap_err();
    assert!(
        matches!(error, Error::Transport { timeout: true, .. }),
        "{error:?}"
    );
    assert!(error.is_retryable() && error.outcome_unknown());
    assert!(h.client.invoice_details(1).await.unwrap().data.is_some());
    assert_eq!(h.sandbox.signed_sales().len(), 1);
}
both!(a_timeout_after_commit_is_an_unknown_outcome);

async fn retryable_and_permanent_follow_classify(profile: Profile) {
    let h = harness(profile).await;
    h.client.save_item(&service_item(profile)).await.unwrap();
    for code in ["894", "990", "991", "992", "993", "999"] {
        h.sandbox
            .fail_next_on(Endpoint::SaveSale, 1, Fault::result(code));
        let error = h.client.save_sale(&sale(profile, 1)).await.unwrap_err();
        assert_eq!(error.result_code(), Some(code), "{error}");
        assert_eq!(classify(code), ResultClass::Retryable, "{code}");
        assert_eq!(error.class(), classify(code), "{code}");
        // Only throttling says plainly that nothing happened (spec §11.1).
        assert_eq!(error.outcome_unknown(), code != "990", "{code}");
        assert_eq!(
            error.kra_message(),
            hesabu_etims::result::describe(code),
            "KRA's published message, verbatim"
        );
    }
    for code in ["910", "921", "995"] {
        h.sandbox
            .fail_next_on(Endpoint::SaveSale, 1, Fault::result(code));
        let error = h.client.save_sale(&sale(profile, 1)).await.unwrap_err();
        assert_eq!(error.class(), ResultClass::Permanent, "{code}");
        assert_eq!(classify(code), ResultClass::Permanent, "{code}");
    }
    for status in [500, 502, 503] {
        h.sandbox
            .fail_next_on(Endpoint::SaveSale, 1, Fault::Http(status));
        let error = h.client.save_sale(&sale(profile, 1)).await.unwrap_err();
        assert!(
            matches!(&error, Error::Http { status: s, .. } if *s == status),
            "{error:?}"
        );
        assert!(error.is_retryable() && error.outcome_unknown());
    }
    // None of it signed anything; the number is still free.
    assert!(h.sandbox.signed_sales().is_empty());
    let signed = h.client.save_sale(&sale(profile, 1)).await.unwrap().data;
    assert_eq!(signed.tot_rcpt_no, 1);
}
both!(retryable_and_permanent_follow_classify);

async fn faults_apply_to_their_endpoint_and_run_out(profile: Profile) {
    let h = harness(profile).await;
    first_sale(&h).await;
    h.sandbox.fail_next(2, Fault::result("990"));
    for _ in 0..2 {
        let error = h.client.notices(EPOCH_LAST_REQ_DT).await.unwrap_err();
        assert_eq!(error.result_code(), Some("990"));
    }
    h.client.notices(EPOCH_LAST_REQ_DT).await.unwrap();
    h.sandbox
        .fail_next_on(Endpoint::InvoiceDetails, 1, Fault::Drop);
    h.client.code_list(EPOCH_LAST_REQ_DT).await.unwrap();
    let error = h.client.invoice_details(1).await.unwrap_err();
    assert!(error.is_retryable());
    h.client.invoice_details(1).await.unwrap();
    // Latency: every call waits.
    h.sandbox.set_latency(Duration::from_millis(200));
    let started = std::time::Instant::now();
    h.client.invoice_details(1).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(200));
}
both!(faults_apply_to_their_endpoint_and_run_out);
