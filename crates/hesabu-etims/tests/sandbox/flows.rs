//! Items, sales, invoice lookups and credit notes against the sandbox: the fiscal flow.

use hesabu_etims::dates::EPOCH_LAST_REQ_DT;
use hesabu_etims::types::customers::BranchCustomerRequest;
use hesabu_etims::types::stock::{StockIoItem, StockIoRequest, StockMasterRequest};
use hesabu_etims::{Endpoint, ResultClass, classify};
use hesabu_etims_sandbox::{ACTIVE_PIN, Profile};

use crate::{
    NOW_NAIROBI, both, credit_note, d, first_sale, harness, item_code, sale, service_item,
};

async fn items_keep_their_code(profile: Profile) {
    let h = harness(profile).await;
    let mut item = service_item(profile);
    let saved = h.client.save_item(&item).await.unwrap();
    assert_eq!(saved.result_cd, "000");
    // An update goes through saveItem with the same code.
    item.item_nm = "Fiscal Optimisation Consultancy (2026)".to_owned();
    item.dft_prc = d("150.00");
    h.client.save_item(&item).await.unwrap();
    let listed = h
        .client
        .items(EPOCH_LAST_REQ_DT)
        .await
        .unwrap()
        .data
        .unwrap();
    assert_eq!(listed.item_list.len(), 1, "{listed:?}");
    let registered = &listed.item_list[0];
    assert_eq!(registered.item_cd.as_deref(), Some(item_code(profile)));
    assert_eq!(
        registered.item_nm.as_deref(),
        Some("Fiscal Optimisation Consultancy (2026)")
    );
    assert_eq!(registered.dft_prc, Some(d("150.00")));
    assert_eq!(registered.tin.as_deref(), Some(crate::TIN));
    assert_eq!(registered.reg_bhf_id.as_deref(), Some(crate::BHF));
}
both!(items_keep_their_code);

#[tokio::test]
async fn the_integrator_checks_the_item_code_structure_and_sequence() {
    let h = harness(Profile::Integrator).await;
    let mut item = service_item(Profile::Integrator);
    item.item_cd = "KE3OUNO0000005".to_owned();
    let error = h.client.save_item(&item).await.unwrap_err();
    assert_eq!(
        error.kra_message(),
        Some("Invalid itemCd Sequence. Expected sequence ending with: ********1")
    );
    assert_eq!(
        hesabu_etims::result::expected_value(error.kra_message().unwrap()),
        Some("********1")
    );
    item.item_cd = "KE3OUU0000001".to_owned();
    item.qty_unit_cd = "U".to_owned();
    let error = h.client.save_item(&item).await.unwrap_err();
    assert_eq!(error.kra_message(), Some("Incorrect QtyUnitCd Prefix"));
    item.item_cd = "KE3OUKG0000001".to_owned();
    item.qty_unit_cd = "NO".to_owned();
    let error = h.client.save_item(&item).await.unwrap_err();
    assert_eq!(
        error.kra_message(),
        Some("The ItemCd isn't made up of correct QtyUnitCd")
    );
    assert_eq!(error.class(), ResultClass::Permanent);
    // Legacy takes Odoo's codes as they are (spec §7.1).
    let legacy = harness(Profile::Legacy).await;
    let mut odoo = service_item(Profile::Legacy);
    odoo.item_cd = "KE2BFTNE0000000000000039".to_owned();
    legacy.client.save_item(&odoo).await.unwrap();
}

async fn a_signed_sale_is_found_with_the_same_signature(profile: Profile) {
    let h = harness(profile).await;
    h.client.save_item(&service_item(profile)).await.unwrap();
    let reply = h.client.save_sale(&sale(profile, 1)).await.unwrap();
    assert_eq!(reply.class(), ResultClass::Success);
    let signed = reply.data;
    assert_eq!((signed.cur_rcpt_no, signed.tot_rcpt_no), (1, 1));
    assert_eq!(signed.intrl_data.len(), 26);
    assert_eq!(signed.rcpt_sign.len(), 16);
    assert!(
        signed
            .rcpt_sign
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    );
    assert_eq!(signed.sdc_date_time, NOW_NAIROBI);

    // The check-before-resend read finds it, signed the same.
    let details = h.client.invoice_details(1).await.unwrap();
    let data = details.data.unwrap();
    let invoice = data.invoice(1).unwrap();
    assert_eq!(invoice.signature(), Some(signed.clone()));
    assert_eq!(
        invoice.receipt.as_ref().unwrap().sdc_date_time.as_deref(),
        Some("2026-03-02 13:00:00.0"),
        "invoice details use their own date shape (spec §5.7)"
    );
    assert_eq!(invoice.trd_invc_no.as_deref(), Some("INV/2026/00001"));
    assert_eq!(invoice.tot_amt, Some(sale(profile, 1).tot_amt));
    assert_eq!(invoice.cust_tin.as_deref(), Some(ACTIVE_PIN));

    // An invoice KRA does not have: 001.
    let missing = h.client.invoice_details(2).await.unwrap();
    assert!(missing.is_empty_lookup());

    // The sales list (spec §4 row 17) has it too, once.
    let listed: hesabu_etims::Reply<Option<hesabu_etims::types::sales::InvoiceDetailsData>> = h
        .client
        .call(
            Endpoint::SalesList,
            &hesabu_etims::types::ListRequest {
                tin: Some(crate::TIN.to_owned()),
                bhf_id: Some(crate::BHF.to_owned()),
                last_req_dt: EPOCH_LAST_REQ_DT.to_owned(),
            },
        )
        .await
        .unwrap();
    assert_eq!(listed.data.unwrap().sales_list.len(), 1);
    let recorded = h.sandbox.signed_sales();
    assert_eq!(recorded.len(), 1);
    assert_eq!(
        recorded[0].request_json,
        sale(profile, 1).to_json().unwrap()
    );
}
both!(a_signed_sale_is_found_with_the_same_signature);

async fn a_credit_note_against_a_signed_sale(profile: Profile) {
    let h = harness(profile).await;
    first_sale(&h).await;
    let note = credit_note(profile, 2, 1);
    assert!(note.is_credit_note());
    let signed = h.client.save_sale(&note).await.unwrap().data;
    // Its own receipt counter, the shared total counter (spec §5.5).
    assert_eq!((signed.cur_rcpt_no, signed.tot_rcpt_no), (1, 2));
    let found = h.client.invoice_details(2).await.unwrap().data.unwrap();
    let invoice = found.invoice(2).unwrap();
    assert_eq!(invoice.rcpt_ty_cd.as_deref(), Some("R"));
    assert_eq!(invoice.org_invc_no, Some(1));
    assert_eq!(invoice.signature(), Some(signed));

    // Against an invoice that does not exist.
    let error = h
        .client
        .save_sale(&credit_note(profile, 3, 77))
        .await
        .unwrap_err();
    assert_eq!(
        error.kra_message(),
        Some("orgInvcNo does not exist"),
        "{error}"
    );
    assert_eq!(error.class(), ResultClass::Permanent);
    // Without a reason.
    let mut no_reason = credit_note(profile, 3, 1);
    no_reason.rfd_rsn_cd = None;
    let error = h.client.save_sale(&no_reason).await.unwrap_err();
    assert_eq!(error.kra_message(), Some("Invalid RfdRsnCd"));
    // The original is fully credited: a second credit note would exceed it.
    let error = h
        .client
        .save_sale(&credit_note(profile, 3, 1))
        .await
        .unwrap_err();
    assert!(
        error
            .kra_message()
            .unwrap()
            .starts_with("The credit notes exceed the original invoice 1"),
        "{error}"
    );
    // Another customer's PIN.
    let mut other = credit_note(profile, 3, 1);
    other.cust_tin = Some("A000654321B".to_owned());
    let error = h.client.save_sale(&other).await.unwrap_err();
    assert!(
        error.kra_message().unwrap().contains("does not match"),
        "{error}"
    );
    // Rejections are per gateway: legacy carries them as 910, the integrator as HTTP 400.
    let rejection = error.rejection().unwrap();
    match profile {
        Profile::Legacy => assert_eq!(
            (rejection.http_status, rejection.code.as_str()),
            (200, "910")
        ),
        Profile::Integrator => {
            assert_eq!(
                (rejection.http_status, rejection.code.as_str()),
                (400, "400")
            )
        }
    }
    assert_eq!(h.sandbox.signed_sales().len(), 2);
}
both!(a_credit_note_against_a_signed_sale);

async fn a_duplicate_invoice_number_is_994_and_signs_nothing(profile: Profile) {
    let h = harness(profile).await;
    let first = first_sale(&h).await;
    let error = h.client.save_sale(&sale(profile, 1)).await.unwrap_err();
    assert_eq!(error.result_code(), Some("994"), "{error}");
    assert_eq!(error.kra_message(), Some("There is an overlapped data"));
    assert_eq!(classify("994"), ResultClass::Permanent);
    assert_eq!(error.class(), ResultClass::Permanent);
    assert!(!error.outcome_unknown());
    // The lookup that resolves a 994 (spec §11.2) still finds the first signature.
    let found = h.client.invoice_details(1).await.unwrap().data.unwrap();
    assert_eq!(found.invoice(1).unwrap().signature(), Some(first));
    assert_eq!(h.sandbox.signed_sales().len(), 1);
    assert_eq!(h.sandbox.count(Endpoint::SaveSale), 2);
}
both!(a_duplicate_invoice_number_is_994_and_signs_nothing);

#[tokio::test]
async fn numbering_is_strict_on_the_integrator_and_lenient_on_legacy() {
    let h = harness(Profile::Integrator).await;
    first_sale(&h).await;
    let error = h
        .client
        .save_sale(&sale(Profile::Integrator, 5))
        .await
        .unwrap_err();
    assert_eq!(
        error.kra_message(),
        Some("Invalid invcNo sequence, expected: 2 but found: 5")
    );
    assert_eq!(
        hesabu_etims::result::expected_value(error.kra_message().unwrap()),
        Some("2")
    );
    h.client
        .save_sale(&sale(Profile::Integrator, 2))
        .await
        .unwrap();

    // Legacy: Odoo's live tests seeded invcNo from the clock, and were accepted (spec §11.3).
    let legacy = harness(Profile::Legacy).await;
    legacy
        .client
        .save_sale(&sale(Profile::Legacy, 1_713_150_000))
        .await
        .unwrap();
    legacy
        .client
        .save_sale(&sale(Profile::Legacy, 2))
        .await
        .unwrap();
    assert_eq!(legacy.sandbox.signed_sales().len(), 2);
}

#[tokio::test]
async fn an_integrator_validation_failure_surfaces_kras_message_verbatim() {
    let h = harness(Profile::Integrator).await;
    h.client
        .save_item(&service_item(Profile::Integrator))
        .await
        .unwrap();
    // The exclusive-basis line of the legacy fixture, as the integrator sees it (spec §12.1).
    let mut wrong = sale(Profile::Integrator, 1);
    wrong.item_list[0].taxbl_amt = d("100.00");
    wrong.item_list[0].tax_amt = d("16.00");
    wrong.item_list[0].tot_amt = d("116.00");
    let error = h.client.save_sale(&wrong).await.unwrap_err();
    let message = "Invalid taxblAmt on item: 1. Expected: 86.21, But Found: 100.00";
    assert_eq!(error.kra_message(), Some(message));
    assert_eq!(error.to_string(), format!("e-TIMS 400: {message}"));
    let rejection = error.rejection().unwrap();
    assert_eq!(rejection.http_status, 400);
    assert_eq!(rejection.debug_message.as_deref(), Some(message));
    assert!(rejection.response_ref_id.is_some());
    assert!(rejection.raw_body.contains(r#""responseBody":null"#));
    assert_eq!(error.class(), ResultClass::Permanent);
    assert_eq!(hesabu_sync_api::SendError::from(error).kind(), "permanent");

    // The band totals are recomputed from the lines and compared.
    let mut bands = sale(Profile::Integrator, 1);
    bands.tax_amt_b = d("13.80");
    let error = h.client.save_sale(&bands).await.unwrap_err();
    assert_eq!(
        error.kra_message(),
        Some("Invalid taxAmtB. Expected: 13.79, But Found: 13.80")
    );
    // An unused band at its code-list rate (spec §12.2).
    let mut rate = sale(Profile::Integrator, 1);
    rate.tax_rt_e = d("8");
    let error = h.client.save_sale(&rate).await.unwrap_err();
    assert_eq!(
        error.kra_message(),
        Some("Rule taxRtE failed: Tax rate mismatch. Expected: 0.00, Found: 8")
    );
    // A required field left empty.
    let mut empty = sale(Profile::Integrator, 1);
    empty.modr_id = String::new();
    let error = h.client.save_sale(&empty).await.unwrap_err();
    assert_eq!(error.kra_message(), Some("modrId cannot be empty or Null"));
    // A missing one.
    let json = sale(Profile::Integrator, 1)
        .to_json()
        .unwrap()
        .replace(r#""regrNm":"Mitchell Admin","#, "");
    let error = h.client.save_sale_json(&json).await.unwrap_err();
    assert_eq!(error.kra_message(), Some("regrNm cannot be empty or Null"));
    assert!(h.sandbox.signed_sales().is_empty());
    // And the right one is signed as number 1: nothing above used a number.
    h.client
        .save_sale(&sale(Profile::Integrator, 1))
        .await
        .unwrap();
}

#[tokio::test]
async fn legacy_band_totals_are_checked_too() {
    let h = harness(Profile::Legacy).await;
    let mut wrong = sale(Profile::Legacy, 1);
    wrong.taxbl_amt_b = d("1.00");
    let error = h.client.save_sale(&wrong).await.unwrap_err();
    assert_eq!(error.result_code(), Some("910"));
    assert_eq!(
        error.kra_message(),
        Some("Invalid taxblAmtB. Expected: 0.90, But Found: 1.00")
    );
    assert_eq!(error.class(), ResultClass::Permanent);
}

#[tokio::test]
async fn goods_need_stock_on_the_integrator() {
    let h = harness(Profile::Integrator).await;
    let mut goods = service_item(Profile::Integrator);
    goods.item_ty_cd = "2".to_owned();
    goods.pkg_unit_cd = "NT".to_owned();
    goods.item_cd = "KE2NTNO0000001".to_owned();
    goods.item_nm = "Printer paper".to_owned();
    h.client.save_item(&goods).await.unwrap();
    let mut paper = sale(Profile::Integrator, 1);
    paper.item_list[0].item_cd = goods.item_cd.clone();
    paper.item_list[0].pkg_unit_cd = "NT".to_owned();
    let error = h.client.save_sale(&paper).await.unwrap_err();
    assert!(
        error
            .kra_message()
            .unwrap()
            .starts_with("Items provided under the itemList section do not exist in your stock"),
        "{error}"
    );
    // Opening stock: a stock movement, then the remaining quantity.
    let line = StockIoItem {
        item_seq: 1,
        item_cd: goods.item_cd.clone(),
        item_cls_cd: goods.item_cls_cd.clone(),
        item_nm: goods.item_nm.clone(),
        bcd: None,
        pkg_unit_cd: "NT".to_owned(),
        pkg: d("10"),
        qty_unit_cd: "NO".to_owned(),
        qty: d("10"),
        item_expr_dt: None,
        prc: d("100"),
        sply_amt: d("1000"),
        tot_dc_amt: d("0"),
        taxbl_amt: d("862.07"),
        tax_ty_cd: "B".to_owned(),
        tax_amt: d("137.93"),
        tot_amt: d("1000"),
    };
    let io = StockIoRequest {
        sar_no: 1,
        org_sar_no: 0,
        reg_ty_cd: "M".to_owned(),
        cust_tin: None,
        cust_nm: None,
        cust_bhf_id: None,
        sar_ty_cd: "06".to_owned(),
        ocrn_dt: "20260302".to_owned(),
        tot_item_cnt: 1,
        tot_taxbl_amt: d("862.07"),
        tot_tax_amt: d("137.93"),
        tot_amt: d("1000"),
        remark: None,
        regr_id: "2".to_owned(),
        regr_nm: "Admin".to_owned(),
        modr_id: "2".to_owned(),
        modr_nm: "Admin".to_owned(),
        item_list: vec![line],
    };
    let mut skipped = io.clone();
    skipped.sar_no = 3;
    let error = h.client.save_stock_io(&skipped).await.unwrap_err();
    assert_eq!(
        error.kra_message(),
        Some("Invalid sarNo: Expected: 1 but found: 3")
    );
    h.client.save_stock_io(&io).await.unwrap();
    assert_eq!(
        h.sandbox.stock_of(crate::TIN, crate::BHF, &goods.item_cd),
        Some(d("10"))
    );
    let master = |rsd_qty| StockMasterRequest {
        item_cd: goods.item_cd.clone(),
        rsd_qty,
        regr_id: "2".to_owned(),
        regr_nm: "Admin".to_owned(),
        modr_id: "2".to_owned(),
        modr_nm: "Admin".to_owned(),
    };
    let error = h
        .client
        .save_stock_master(&master(d("7")))
        .await
        .unwrap_err();
    assert!(
        error.kra_message().unwrap().contains("Expected: 10.00"),
        "{error}"
    );
    h.client.save_stock_master(&master(d("10"))).await.unwrap();
    h.client.save_sale(&paper).await.unwrap();
    let moves = h
        .client
        .stock_moves(EPOCH_LAST_REQ_DT)
        .await
        .unwrap()
        .data
        .unwrap();
    assert_eq!(moves.stock_list.len(), 1);
    assert_eq!(moves.stock_list[0].sar_no, Some(1));
}

async fn branch_customers_and_purchases(profile: Profile) {
    let h = harness(profile).await;
    let customer = BranchCustomerRequest {
        cust_no: "7".to_owned(),
        cust_tin: ACTIVE_PIN.to_owned(),
        cust_nm: "Ralph Jr".to_owned(),
        adrs: Some("The Cucumber Lounge, Vineland".to_owned()),
        tel_no: None,
        email: None,
        fax_no: None,
        use_yn: "Y".to_owned(),
        remark: None,
        regr_id: "2".to_owned(),
        regr_nm: "Admin".to_owned(),
        modr_id: "2".to_owned(),
        modr_nm: "Admin".to_owned(),
    };
    h.client.save_branch_customer(&customer).await.unwrap();
    let mut no_pin = customer.clone();
    no_pin.cust_tin = String::new();
    let result = h.client.save_branch_customer(&no_pin).await;
    match profile {
        // Only the integrator refuses an empty PIN (spec §6).
        Profile::Legacy => assert!(result.is_ok(), "{result:?}"),
        Profile::Integrator => assert_eq!(
            result.unwrap_err().kra_message(),
            Some("custTin cannot be empty or Null")
        ),
    }
    // Every taxpayer finds one supplier sale to confirm.
    let purchases = h.client.purchase_sales(EPOCH_LAST_REQ_DT).await.unwrap();
    let list = purchases.data.unwrap().sale_list;
    assert_eq!(list.len(), 1);
    assert_eq!(
        list[0].spplr_nm.as_deref(),
        Some("Mombasa Wholesale Supplies Ltd")
    );
    assert!(
        h.client
            .purchase_sales(&purchases.result_dt.unwrap())
            .await
            .unwrap()
            .is_empty_lookup()
    );
}
both!(branch_customers_and_purchases);

/// The certification endpoints the client has no typed method for yet (spec §4 rows 8, 9, 12,
/// 13, 14, 19, 23, 24), through `Client::call`.
async fn the_other_certification_endpoints(profile: Profile) {
    use hesabu_etims::NoData;
    use serde_json::json;
    type Lookup = Option<serde_json::Value>;

    let h = harness(profile).await;
    let who = json!({"regrId": "2", "regrNm": "Admin", "modrId": "2", "modrNm": "Admin"});
    let with_who = |mut body: serde_json::Value| {
        for (k, v) in who.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let user = with_who(
        json!({"userId": "cashier1", "userNm": "Wanjiru", "pwd": "secret!",
        "useYn": "Y"}),
    );
    h.client
        .call::<NoData>(Endpoint::SaveBranchUser, &user)
        .await
        .unwrap();
    let insurer = with_who(json!({"isrccCd": "AAR01", "isrccNm": "AAR Insurance",
        "isrcRt": 20, "useYn": "Y"}));
    h.client
        .call::<NoData>(Endpoint::SaveBranchInsurance, &insurer)
        .await
        .unwrap();
    let bad_rate = with_who(json!({"isrccCd": "X", "isrccNm": "X", "isrcRt": 120, "useYn": "Y"}));
    let error = h
        .client
        .call::<NoData>(Endpoint::SaveBranchInsurance, &bad_rate)
        .await
        .unwrap_err();
    assert_eq!(error.class(), ResultClass::Permanent, "{error}");

    // Composition: both items must be registered.
    h.client.save_item(&service_item(profile)).await.unwrap();
    let composition = json!({"itemCd": item_code(profile), "cpstItemCd": "KE1NTNO0000099",
        "cpstQty": 2, "regrId": "2", "regrNm": "Admin"});
    let error = h
        .client
        .call::<NoData>(Endpoint::SaveItemComposition, &composition)
        .await
        .unwrap_err();
    assert!(
        error.kra_message().unwrap().contains("is not registered"),
        "{error}"
    );

    // Imported items: listed, then approved against a registered item.
    let list = json!({"tin": crate::TIN, "bhfId": crate::BHF, "lastReqDt": EPOCH_LAST_REQ_DT});
    let imports: hesabu_etims::Reply<Lookup> = h
        .client
        .call(Endpoint::ImportItemList, &list)
        .await
        .unwrap();
    let imports = imports.data.unwrap();
    let first = &imports["itemList"][0];
    assert_eq!(first["imptItemSttsCd"], "2");
    let update = json!({"taskCd": first["taskCd"], "dclDe": first["dclDe"],
        "itemSeq": first["itemSeq"], "hsCd": first["hsCd"], "itemClsCd": "43211500",
        "itemCd": item_code(profile), "imptItemSttsCd": "3", "modrId": "2", "modrNm": "Admin"});
    h.client
        .call::<NoData>(Endpoint::UpdateImportItem, &update)
        .await
        .unwrap();
    // The same answer again (a resend after a lost reply) is accepted; another is refused.
    h.client
        .call::<NoData>(Endpoint::UpdateImportItem, &update)
        .await
        .unwrap();
    let mut cancel = update.clone();
    cancel["imptItemSttsCd"] = json!("4");
    let error = h
        .client
        .call::<NoData>(Endpoint::UpdateImportItem, &cancel)
        .await
        .unwrap_err();
    assert!(
        error.kra_message().unwrap().contains("already answered"),
        "{error}"
    );
    // Cancelling needs no item: the second line, without itemClsCd / itemCd.
    let second = &imports["itemList"][1];
    let reject = json!({"taskCd": second["taskCd"], "dclDe": second["dclDe"],
        "itemSeq": second["itemSeq"], "imptItemSttsCd": "4", "modrId": "2", "modrNm": "Admin"});
    h.client
        .call::<NoData>(Endpoint::UpdateImportItem, &reject)
        .await
        .unwrap();
    // Approving does.
    let mut no_item = update.clone();
    no_item.as_object_mut().unwrap().remove("itemCd");
    let error = h
        .client
        .call::<NoData>(Endpoint::UpdateImportItem, &no_item)
        .await
        .unwrap_err();
    assert!(error.kra_message().unwrap().contains("itemCd"), "{error}");

    // Confirming the supplier's sale: its own invcNo counter, the supplier's name verbatim.
    let line = json!({"itemSeq": 1, "itemCd": item_code(profile), "itemClsCd": "44121600",
        "itemNm": "A4 paper, 80 gsm", "spplrItemCd": "KE2NTBA0000012", "pkgUnitCd": "NT",
        "pkg": 10, "qtyUnitCd": "BA", "qty": 10, "prc": 116, "splyAmt": 1160, "dcRt": 0,
        "dcAmt": 0, "taxTyCd": "B", "taxblAmt": 1000, "taxAmt": 160, "totAmt": 1160});
    let purchase = |name: &str| {
        with_who(
            json!({"invcNo": 1, "orgInvcNo": 0, "spplrTin": "P052223334R",
            "spplrNm": name, "spplrInvcNo": 1041, "regTyCd": "A", "pchsTyCd": "N",
            "rcptTyCd": "P", "pmtTyCd": "01", "pchsSttsCd": "02", "cfmDt": NOW_NAIROBI,
            "pchsDt": "20260302", "totItemCnt": 1,
            "taxblAmtA": 0, "taxblAmtB": 1000, "taxblAmtC": 0, "taxblAmtD": 0, "taxblAmtE": 0,
            "taxRtA": 0, "taxRtB": 16, "taxRtC": 0, "taxRtD": 0, "taxRtE": 0,
            "taxAmtA": 0, "taxAmtB": 160, "taxAmtC": 0, "taxAmtD": 0, "taxAmtE": 0,
            "totTaxblAmt": 1000, "totTaxAmt": 160, "totAmt": 1160, "itemList": [line.clone()]}),
        )
    };
    let misspelt = h
        .client
        .call::<NoData>(
            Endpoint::SavePurchase,
            &purchase("Mombasa Wholesale Supplies"),
        )
        .await;
    match profile {
        Profile::Legacy => assert!(misspelt.is_ok(), "{misspelt:?}"),
        Profile::Integrator => {
            assert_eq!(
                misspelt.unwrap_err().kra_message(),
                Some(
                    "Invalid spplrNm. Expected: Mombasa Wholesale Supplies Ltd, But Found: \
                     Mombasa Wholesale Supplies"
                )
            );
            h.client
                .call::<NoData>(
                    Endpoint::SavePurchase,
                    &purchase("Mombasa Wholesale Supplies Ltd"),
                )
                .await
                .unwrap();
        }
    }
    let again = h
        .client
        .call::<NoData>(
            Endpoint::SavePurchase,
            &purchase("Mombasa Wholesale Supplies Ltd"),
        )
        .await
        .unwrap_err();
    assert_eq!(again.result_code(), Some("994"));

    // Customer list and taxpayer info answer in their (guessed, spec §17.11) shapes.
    let customers: hesabu_etims::Reply<Lookup> =
        h.client.call(Endpoint::CustomerList, &list).await.unwrap();
    assert!(customers.is_empty_lookup());
    let info: hesabu_etims::Reply<Lookup> =
        h.client.call(Endpoint::TaxpayerInfo, &list).await.unwrap();
    assert_eq!(info.data.unwrap()["taxpayerList"][0]["tin"], crate::TIN);
}
both!(the_other_certification_endpoints);

#[tokio::test]
async fn a_sale_to_another_sandbox_taxpayer_shows_in_its_purchases() {
    let seller = harness(Profile::Legacy).await;
    let buyer_pin = "P051112223Z";
    seller
        .sandbox
        .register_taxpayer(buyer_pin, "Buyer Traders Ltd");
    let buyer = hesabu_etims::Client::new(seller.sandbox.client_config(
        Profile::Legacy,
        buyer_pin,
        "00",
    ))
    .unwrap();
    let key = buyer
        .init("BUYER-1")
        .await
        .unwrap()
        .data
        .info
        .cmc_key
        .unwrap();
    let buyer = buyer.with_cmc_key(key);
    let mut to_buyer = sale(Profile::Legacy, 1);
    to_buyer.cust_tin = Some(buyer_pin.to_owned());
    to_buyer.receipt.cust_tin = Some(buyer_pin.to_owned());
    seller.client.save_sale(&to_buyer).await.unwrap();
    let list = buyer
        .purchase_sales(EPOCH_LAST_REQ_DT)
        .await
        .unwrap()
        .data
        .unwrap();
    let from_seller = list
        .sale_list
        .iter()
        .find(|s| s.spplr_tin.as_deref() == Some(crate::TIN))
        .unwrap();
    assert_eq!(from_seller.spplr_invc_no, Some(1));
    assert_eq!(
        from_seller.spplr_sdc_id.as_deref(),
        Some(seller.sdc_id.as_str())
    );
    assert_eq!(from_seller.cfm_dt.as_deref(), Some("2024-04-15 03:00:00"));
    assert_eq!(from_seller.tot_amt, Some(d("1.04")));
}
