//! Device initialisation, authentication and the reference lookups (code lists, notices, item
//! classes, branches, the PIN lookup) against the sandbox.

use hesabu_etims::dates::EPOCH_LAST_REQ_DT;
use hesabu_etims::types::reference::Code;
use hesabu_etims::{ResultClass, Secret, classify};
use hesabu_etims_sandbox::{ACTIVE_PIN, INACTIVE_PIN, Profile, Sandbox};

use crate::{BHF, NOW_NAIROBI, SERIAL, TIN, bare_client, both, config, harness, harness_with};

async fn initialisation_issues_the_device_once(profile: Profile) {
    let (config, _clock) = config(7);
    let sandbox = Sandbox::start_with("127.0.0.1:0".parse().unwrap(), config)
        .await
        .unwrap();
    let client = bare_client(&sandbox, profile);
    let reply = client.init(SERIAL).await.unwrap();
    assert_eq!(reply.result_cd, "000");
    assert_eq!(reply.result_dt.as_deref(), Some(NOW_NAIROBI));
    let info = &reply.data.info;
    assert_eq!(info.tin.as_deref(), Some(TIN));
    assert_eq!(info.bhf_id.as_deref(), Some(BHF));
    let sdc_id = info.sdc_id.clone().unwrap();
    assert!(
        sdc_id.starts_with("KRACU") && sdc_id.len() == 15,
        "{sdc_id}"
    );
    assert!(info.mrc_no.as_deref().unwrap().starts_with("WIS"));
    assert_eq!(info.dvc_id.as_deref().unwrap().len(), 16);
    assert!(!info.taxpr_nm.as_deref().unwrap().is_empty());
    assert_eq!(info.bhf_nm.as_deref(), Some("Headquarters"));
    let key = info.cmc_key.clone().unwrap();
    assert_eq!(key.expose().len(), 32);

    // The key is issued once: initialising again answers 902, a permanent rejection.
    let again = client.init(SERIAL).await.unwrap_err();
    assert_eq!(again.result_code(), Some("902"), "{again}");
    assert_eq!(again.kra_message(), Some("This device is installed"));
    assert_eq!(again.class(), ResultClass::Permanent);
    assert_eq!(classify("902"), ResultClass::Permanent);
    // Another serial on the installed branch is not this branch's device.
    let other = client.init("SOMETHING-ELSE").await.unwrap_err();
    assert_eq!(other.result_code(), Some("901"), "{other}");

    // The issued key works; another does not.
    let keyed = client.with_cmc_key(key);
    keyed.notices(EPOCH_LAST_REQ_DT).await.unwrap();
    let wrong = client
        .with_cmc_key(Secret::new("0123456789abcdef0123456789abcdef"))
        .notices(EPOCH_LAST_REQ_DT)
        .await
        .unwrap_err();
    assert_eq!(wrong.result_code(), Some("901"), "{wrong}");
    assert!(!wrong.is_retryable());
    // Two inits were refused; nothing else was installed.
    assert_eq!(sandbox.count(hesabu_etims::Endpoint::Init), 3);
}
both!(initialisation_issues_the_device_once);

async fn an_unknown_branch_is_not_a_valid_device(profile: Profile) {
    let (config, _clock) = config(7);
    let sandbox = Sandbox::start_with("127.0.0.1:0".parse().unwrap(), config)
        .await
        .unwrap();
    let cfg = sandbox.client_config(profile, TIN, "07");
    let error = hesabu_etims::Client::new(cfg)
        .unwrap()
        .init(SERIAL)
        .await
        .unwrap_err();
    assert_eq!(error.result_code(), Some("901"), "{error}");
}
both!(an_unknown_branch_is_not_a_valid_device);

async fn code_lists_follow_the_watermark(profile: Profile) {
    let h = harness(profile).await;
    let first = h.client.code_list(EPOCH_LAST_REQ_DT).await.unwrap();
    let lists = first.data.unwrap();
    // Class 04 comes from the recorded fixture: rates in userDfnCd1.
    assert_eq!(lists.tax_rate("B"), Some(crate::d("16")));
    assert_eq!(lists.tax_rate("E"), Some(crate::d("8")));
    assert!(
        lists
            .class("32")
            .is_some_and(|c| c.dtl_list.iter().any(|x| x.cd == "06"))
    );
    let watermark = first.result_dt.unwrap();
    assert_eq!(watermark, NOW_NAIROBI);

    // Nothing changed since: 001, a successful empty lookup.
    let second = h.client.code_list(&watermark).await.unwrap();
    assert!(second.is_empty_lookup());
    assert_eq!(second.data, None);

    // KRA adds a payment type in the same second: the next pull from the watermark has it,
    // and only it.
    h.sandbox.put_code(
        "07",
        "Payment Type",
        Code {
            cd: "08".to_owned(),
            cd_nm: Some("OTHER".to_owned()),
            use_yn: Some("Y".to_owned()),
            srt_ord: Some(8),
            ..Code::default()
        },
    );
    let third = h.client.code_list(&watermark).await.unwrap();
    let changed = third.data.unwrap();
    assert_eq!(changed.cls_list.len(), 1, "{changed:?}");
    assert_eq!(changed.cls_list[0].cd_cls, "07");
    assert_eq!(changed.cls_list[0].dtl_list.len(), 1);
    assert_eq!(changed.cls_list[0].dtl_list[0].cd, "08");
    // Pulling from the new watermark finds nothing again.
    let fourth = h.client.code_list(&third.result_dt.unwrap()).await.unwrap();
    assert!(fourth.is_empty_lookup());

    // A malformed watermark is refused, with KRA's reason.
    let bad = h.client.code_list("2026-03-02").await.unwrap_err();
    assert_eq!(bad.class(), ResultClass::Permanent);
    assert!(bad.kra_message().unwrap().contains("lastReqDt"), "{bad}");
}
both!(code_lists_follow_the_watermark);

async fn notices_item_classes_and_branches(profile: Profile) {
    let h = harness(profile).await;
    let notices = h.client.notices(EPOCH_LAST_REQ_DT).await.unwrap();
    let watermark = notices.result_dt.clone().unwrap();
    assert_eq!(notices.data.unwrap().notice_list.len(), 1);
    h.clock.advance(chrono::TimeDelta::minutes(5));
    let number = h
        .sandbox
        .publish_notice("System maintenance", "Saturday 22:00-23:00");
    let fresh = h.client.notices(&watermark).await.unwrap().data.unwrap();
    assert_eq!(fresh.notice_list.len(), 1);
    assert_eq!(fresh.notice_list[0].notice_no, Some(number));
    assert_eq!(
        fresh.notice_list[0].reg_dt.as_deref(),
        Some("20260302130500")
    );

    let classes = h.client.item_classes(EPOCH_LAST_REQ_DT).await.unwrap();
    let classes = classes.data.unwrap().item_cls_list;
    assert!(classes.iter().any(|c| c.item_cls_cd == "81121500"));
    assert!(
        h.client
            .item_classes(NOW_NAIROBI)
            .await
            .unwrap()
            .is_empty_lookup()
    );

    let branches = h
        .client
        .branches(EPOCH_LAST_REQ_DT)
        .await
        .unwrap()
        .data
        .unwrap();
    let ids: Vec<_> = branches
        .bhf_list
        .iter()
        .map(|b| b.bhf_id.clone().unwrap())
        .collect();
    assert_eq!(ids, ["00", "01"]);
}
both!(notices_item_classes_and_branches);

async fn pin_lookup(profile: Profile) {
    let h = harness(profile).await;
    let active = h.client.lookup_pin(ACTIVE_PIN).await.unwrap();
    let taxpayer = &active.data.unwrap().cust_list[0];
    assert_eq!(taxpayer.tin.as_deref(), Some(ACTIVE_PIN));
    assert_eq!(taxpayer.taxpr_stts_cd.as_deref(), Some("A"));
    assert_eq!(taxpayer.taxpr_nm.as_deref(), Some("Ralph Jr"));

    let inactive = h.client.lookup_pin(INACTIVE_PIN).await.unwrap();
    assert_eq!(
        inactive.data.unwrap().cust_list[0].taxpr_stts_cd.as_deref(),
        Some("D")
    );

    // An unknown PIN: 001 "There is no search result", a successful empty lookup.
    let unknown = h.client.lookup_pin("P000000001Z").await.unwrap();
    assert!(unknown.is_empty_lookup());
    assert_eq!(unknown.result_msg, "There is no search result");
    assert_eq!(classify(&unknown.result_cd), ResultClass::EmptyLookup);
    assert_eq!(unknown.data, None);
}
both!(pin_lookup);

async fn the_same_seed_gives_the_same_answers(profile: Profile) {
    let a = harness_with(profile, 9).await;
    let b = harness_with(profile, 9).await;
    let c = harness_with(profile, 10).await;
    let key = |h: &crate::Harness| h.client.config().cmc_key.clone().unwrap();
    assert_eq!(key(&a), key(&b));
    assert_ne!(key(&a), key(&c));
    let (sa, sb, sc) = (
        crate::first_sale(&a).await,
        crate::first_sale(&b).await,
        crate::first_sale(&c).await,
    );
    assert_eq!(sa, sb);
    assert_ne!(sa.rcpt_sign, sc.rcpt_sign);
    assert_ne!(sa.intrl_data, sc.intrl_data);
}
both!(the_same_seed_gives_the_same_answers);

#[tokio::test]
async fn an_expired_token_is_renewed_by_the_client() {
    let h = harness(Profile::Integrator).await;
    assert_eq!(h.sandbox.tokens_issued(), 1);
    h.sandbox.expire_tokens();
    h.client.notices(EPOCH_LAST_REQ_DT).await.unwrap();
    assert_eq!(h.sandbox.tokens_issued(), 2);
}

#[tokio::test]
async fn wrong_consumer_credentials_are_refused_before_anything_is_sent() {
    let (config, _clock) = config(1);
    let sandbox = Sandbox::start_with("127.0.0.1:0".parse().unwrap(), config)
        .await
        .unwrap();
    let mut cfg = sandbox.client_config(Profile::Integrator, TIN, BHF);
    if let hesabu_etims::Gateway::Integrator(auth) = &mut cfg.gateway {
        auth.consumer_secret = Secret::new("not-the-secret");
    }
    let error = hesabu_etims::Client::new(cfg)
        .unwrap()
        .init(SERIAL)
        .await
        .unwrap_err();
    assert!(
        matches!(error, hesabu_etims::Error::Auth { status: 401, .. }),
        "{error:?}"
    );
    assert_eq!(sandbox.count(hesabu_etims::Endpoint::Init), 0);
}

#[tokio::test]
async fn a_gateway_that_is_not_served_answers_404() {
    let (mut config, _clock) = config(1);
    config.profiles = vec![Profile::Legacy];
    let sandbox = Sandbox::start_with("127.0.0.1:0".parse().unwrap(), config)
        .await
        .unwrap();
    let error = bare_client(&sandbox, Profile::Integrator)
        .init(SERIAL)
        .await
        .unwrap_err();
    assert!(!error.is_retryable(), "{error:?}");
    bare_client(&sandbox, Profile::Legacy)
        .init(SERIAL)
        .await
        .unwrap();
}
