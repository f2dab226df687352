//! The shared fixtures (Odoo's expected requests and mocked answers, KRA's init sample) read into
//! our types, and our requests written back digit for digit.

use std::collections::BTreeMap;

use hesabu_etims::types::customers::BranchCustomerRequest;
use hesabu_etims::types::init::InitData;
use hesabu_etims::types::items::SaveItemRequest;
use hesabu_etims::types::reference::CodeListData;
use hesabu_etims::types::sales::{InvoiceDetailsData, SaveSaleData, SaveSaleRequest};
use hesabu_etims::types::stock::{StockIoRequest, StockMasterRequest};
use hesabu_etims::{Reply, ResultClass};
use rust_decimal::Decimal;
use serde_json::value::RawValue;

use crate::support::fixture;

const IGNORE: &str = "\"___ignore___\"";

/// Odoo's expected requests leave some values unchecked (`"___ignore___"`); give each a value of
/// the right type so the request can be read.
fn fill_ignored(text: &str) -> String {
    let values = [
        ("invcNo", "2"),
        ("orgInvcNo", "2"),
        ("trdInvcNo", "\"INV/2024/00002\""),
        ("itemCd", "\"KE3OUU0000042\""),
        ("regrId", "\"2\""),
        ("regrNm", "\"Mitchell Admin\""),
        ("modrId", "\"2\""),
        ("modrNm", "\"Mitchell Admin\""),
    ];
    let mut text = text.to_owned();
    for (key, value) in values {
        text = text.replace(
            &format!("\"{key}\": {IGNORE}"),
            &format!("\"{key}\": {value}"),
        );
    }
    assert!(
        !text.contains(IGNORE),
        "a ___ignore___ value has no placeholder"
    );
    text
}

/// Compares two JSON texts value by value, scalars by their exact text (so `0.90` ≠ `0.9` and
/// `"1"` ≠ `1`), skipping what the expected side marks `"___ignore___"`.
fn differences(expected: &str, actual: &str) -> Vec<String> {
    let mut found = Vec::new();
    compare("$", expected, actual, &mut found);
    found
}

fn compare(path: &str, expected: &str, actual: &str, found: &mut Vec<String>) {
    let (e, a) = (expected.trim(), actual.trim());
    if e == IGNORE {
        return;
    }
    if e.starts_with('{') {
        let (Ok(em), Ok(am)) = (
            serde_json::from_str::<BTreeMap<String, Box<RawValue>>>(e),
            serde_json::from_str::<BTreeMap<String, Box<RawValue>>>(a),
        ) else {
            found.push(format!("{path}: expected an object, found {a}"));
            return;
        };
        for (key, ev) in &em {
            match am.get(key) {
                Some(av) => compare(&format!("{path}.{key}"), ev.get(), av.get(), found),
                // We leave out what KRA's samples send as null.
                None if ev.get() == IGNORE || ev.get() == "null" => {}
                None => found.push(format!("{path}.{key}: missing")),
            }
        }
        for key in am.keys().filter(|k| !em.contains_key(*k)) {
            found.push(format!("{path}.{key}: not in the fixture"));
        }
    } else if e.starts_with('[') {
        let (Ok(ev), Ok(av)) = (
            serde_json::from_str::<Vec<Box<RawValue>>>(e),
            serde_json::from_str::<Vec<Box<RawValue>>>(a),
        ) else {
            found.push(format!("{path}: expected an array, found {a}"));
            return;
        };
        if ev.len() != av.len() {
            found.push(format!("{path}: {} elements, found {}", ev.len(), av.len()));
        }
        for (i, (ev, av)) in ev.iter().zip(&av).enumerate() {
            compare(&format!("{path}[{i}]"), ev.get(), av.get(), found);
        }
    } else if e != a {
        found.push(format!("{path}: expected {e}, found {a}"));
    }
}

fn dec(text: &str) -> Decimal {
    Decimal::from_str_exact(text).unwrap()
}

#[test]
fn the_sale_fixture_reads_and_writes_back_equal() {
    let text = fixture("oscu-save-sale-request.json");
    let sale = SaveSaleRequest::from_json(&fill_ignored(&text)).unwrap();
    assert!(!sale.is_credit_note());
    assert_eq!(sale.org_invc_no, 0);
    assert_eq!(sale.cfm_dt, "20240415030000");
    assert_eq!(sale.pmt_ty_cd.as_deref(), Some(""));
    assert_eq!(sale.taxbl_amt_b, dec("0.9"));
    assert_eq!(sale.tax_amt_b, dec("0.14"));
    assert_eq!(sale.tax_rt_e, dec("8.0"));
    assert_eq!(sale.tot_amt, dec("1.04"));
    assert_eq!(sale.item_list.len(), 1);
    assert_eq!(sale.item_list[0].dc_amt, dec("0.1"));
    assert_eq!(sale.receipt.rcpt_pbct_dt, "20240415030000");
    assert_eq!(sale.sales_ty_cd, None);

    let written = sale.to_json().unwrap();
    assert_eq!(
        differences(&text, &written),
        Vec::<String>::new(),
        "{written}"
    );
    // The digits we hold are the digits we send.
    for part in [
        r#""taxblAmtB":0.9,"#,
        r#""taxAmtB":0.14,"#,
        r#""taxRtB":16.0,"#,
        r#""totAmt":1.04,"#,
    ] {
        assert!(written.contains(part), "{part} in {written}");
    }
}

#[test]
fn the_credit_note_fixture_reads_and_writes_back_equal() {
    let text = fixture("oscu-save-credit-note-request.json");
    let note = SaveSaleRequest::from_json(&fill_ignored(&text)).unwrap();
    assert!(note.is_credit_note());
    assert_eq!(note.rfd_rsn_cd.as_deref(), Some("06"));
    assert_eq!(note.org_invc_no, 2);
    assert_eq!(note.sales_dt, "20240415");
    let written = note.to_json().unwrap();
    assert_eq!(
        differences(&text, &written),
        Vec::<String>::new(),
        "{written}"
    );
}

/// The comparison itself catches a changed digit, a quoted number and a dropped field.
#[test]
fn the_comparison_is_exact() {
    let fixture = r#"{"a": 0.9, "b": "x", "c": [1, 2], "d": "___ignore___"}"#;
    assert!(differences(fixture, r#"{"a":0.9,"b":"x","c":[1,2],"d":7}"#).is_empty());
    assert!(differences(fixture, r#"{"a":0.9,"b":"x","c":[1,2]}"#).is_empty());
    assert_eq!(
        differences(fixture, r#"{"a":0.90,"b":"x","c":[1,2]}"#).len(),
        1
    );
    assert_eq!(
        differences(fixture, r#"{"a":"0.9","b":"x","c":[1,2]}"#).len(),
        1
    );
    assert_eq!(differences(fixture, r#"{"a":0.9,"c":[1,2]}"#).len(), 1);
    assert_eq!(
        differences(fixture, r#"{"a":0.9,"b":"x","c":[1,3],"e":1}"#).len(),
        2
    );
    assert!(differences(r#"{"a": null, "b": 1}"#, r#"{"b":1}"#).is_empty());
}

/// Reads `json` as `T` and writes it back: the same values, numbers digit for digit.
fn round_trip<T: serde::Serialize + serde::de::DeserializeOwned>(json: &str) -> T {
    let value: T = serde_json::from_str(json).unwrap();
    let written = serde_json::to_string(&value).unwrap();
    assert_eq!(
        differences(json, &written),
        Vec::<String>::new(),
        "{written}"
    );
    value
}

#[test]
fn the_other_requests_write_back_equal() {
    // Shapes of the spec's samples and of requests confirmed on the integrator sandbox.
    let item: SaveItemRequest = round_trip(
        r#"{"itemCd": "KE2NTNO0000001", "itemClsCd": "1010150000", "itemTyCd": "2",
            "itemNm": "Test Item", "itemStdNm": null, "orgnNatCd": "KE", "pkgUnitCd": "NT",
            "qtyUnitCd": "NO", "taxTyCd": "B", "btchNo": null, "bcd": null, "dftPrc": 100,
            "grpPrcL1": 3500.50, "grpPrcL2": null, "grpPrcL3": null, "grpPrcL4": null,
            "grpPrcL5": null, "addInfo": null, "sftyQty": 0, "isrcAplcbYn": "N", "useYn": "Y",
            "regrId": "Admin", "regrNm": "Admin", "modrId": "Admin", "modrNm": "Admin"}"#,
    );
    assert_eq!(item.grp_prc_l1, Some(dec("3500.50")));
    let stock: StockIoRequest = round_trip(
        r#"{"sarNo": 1, "orgSarNo": 0, "regTyCd": "M", "custTin": null, "custNm": null,
            "custBhfId": null, "sarTyCd": "02", "ocrnDt": "20260811", "totItemCnt": 1,
            "totTaxblAmt": 8620.69, "totTaxAmt": 1379.31, "totAmt": 10000, "remark": "Opening",
            "regrId": "u", "regrNm": "u", "modrId": "u", "modrNm": "u",
            "itemList": [{"itemSeq": 1, "itemCd": "KE2NTNO0000001", "itemClsCd": "1010150000",
                "itemNm": "Test Item", "bcd": null, "pkgUnitCd": "NT", "pkg": 100,
                "qtyUnitCd": "NO", "qty": 100, "itemExprDt": null, "prc": 100,
                "splyAmt": 10000, "totDcAmt": 0, "taxblAmt": 8620.69, "taxTyCd": "B",
                "taxAmt": 1379.31, "totAmt": 10000}]}"#,
    );
    assert_eq!(stock.tot_tax_amt, dec("1379.31"));
    let master: StockMasterRequest = round_trip(
        r#"{"itemCd": "KE2NTNO0000001", "rsdQty": 99.5, "regrId": "u", "regrNm": "u",
            "modrId": "u", "modrNm": "u"}"#,
    );
    assert_eq!(master.rsd_qty, dec("99.5"));
    let customer: BranchCustomerRequest = round_trip(
        r#"{"custNo": "999991113", "custTin": "A123456789Z", "custNm": "Taxpayer1113",
            "adrs": null, "telNo": null, "email": null, "faxNo": null, "useYn": "Y",
            "remark": null, "regrId": "u", "regrNm": "u", "modrId": "u", "modrNm": "u"}"#,
    );
    assert_eq!(customer.cust_no, "999991113");
}

#[test]
fn the_init_answer_parses() {
    let reply = Reply::<InitData>::parse(200, &fixture("oscu-init-response.json")).unwrap();
    assert_eq!(reply.class(), ResultClass::Success);
    assert_eq!(reply.result_msg, "It is succeeded");
    let info = reply.data.info;
    assert_eq!(
        info.cmc_key.unwrap().expose(),
        "f0b9831bd2334874b7ec815e40347bc4"
    );
    assert_eq!(info.sdc_id.as_deref(), Some("KRACU013000001"));
    assert_eq!(info.mrc_no.as_deref(), Some("WIS01000150"));
    assert_eq!(info.dvc_id.as_deref(), Some("9999911300000001"));
    assert_eq!(info.bhf_open_dt.as_deref(), Some("20200226"));
    assert_eq!(info.taxpr_nm.as_deref(), Some("Taxpayer1130"));
}

#[test]
fn the_save_sale_answer_parses() {
    let reply =
        Reply::<SaveSaleData>::parse(200, &fixture("oscu-save-sale-response.json")).unwrap();
    assert_eq!(
        reply.data,
        SaveSaleData {
            cur_rcpt_no: 169,
            tot_rcpt_no: 169,
            intrl_data: "GRKJVWYCFBPTYQ225X2UEYONVE".to_owned(),
            rcpt_sign: "123456789ODOOGR3".to_owned(),
            sdc_date_time: "20240415153039".to_owned(),
        }
    );
    assert_eq!(reply.result_dt.as_deref(), Some("20240415000000"));
}

#[test]
fn the_code_list_answer_parses() {
    let reply =
        Reply::<Option<CodeListData>>::parse(200, &fixture("oscu-select-code-list-response.json"))
            .unwrap();
    let codes = reply.data.unwrap();
    assert_eq!(codes.cls_list.len(), 2);
    let tax = codes.class("04").unwrap();
    assert_eq!(tax.cd_cls_nm.as_deref(), Some("Taxation Type"));
    assert_eq!(tax.dtl_list.len(), 5);
    assert_eq!(codes.tax_rate("B"), Some(dec("16")));
    assert_eq!(codes.tax_rate("E"), Some(dec("8")));
    assert_eq!(codes.tax_rate("A"), Some(dec("0")));
    let offices = codes.class("45").unwrap();
    assert_eq!(offices.dtl_list[0].srt_ord, Some(1));
    assert_eq!(offices.dtl_list[0].use_yn.as_deref(), Some("N"));
}

#[test]
fn the_invoice_details_answer_parses() {
    let reply = Reply::<Option<InvoiceDetailsData>>::parse(
        200,
        &fixture("oscu-select-invoice-details-response.json"),
    )
    .unwrap();
    let details = reply.data.unwrap();
    let invoice = details.invoice(2).unwrap();
    assert_eq!(invoice.tot_amt, Some(dec("1.04")));
    assert_eq!(invoice.taxbl_amt_b, Some(dec("0.9")));
    assert_eq!(invoice.modr_id, None);
    // Odoo's mock sends `"itemCd": false`.
    assert_eq!(invoice.item_list[0].item_cd, None);
    assert_eq!(invoice.item_list[0].dc_amt, Some(dec("0.1")));
    let receipt = invoice.receipt.as_ref().unwrap();
    assert_eq!(
        receipt.sdc_date_time.as_deref(),
        Some("2024-04-15 15:30:39.0")
    );
    assert_eq!(
        invoice.signature().unwrap(),
        SaveSaleData {
            cur_rcpt_no: 169,
            tot_rcpt_no: 169,
            intrl_data: "GRKJVWYCFBPTYQ225X2UEYONVE".to_owned(),
            rcpt_sign: "123456789ODOOGR3".to_owned(),
            sdc_date_time: "20240415153039".to_owned(),
        }
    );
}

/// The integrator gateway's invoice details differ: counters as strings, dashed dates, integer
/// amounts, `null` where Odoo had values.
#[test]
fn integrator_style_invoice_details_parse() {
    let body = r#"{"resultCd":"000","resultMsg":"Successful","resultDt":"20260918110155","data":{"salesList":[{"invcNo":3,"orgInvcNo":0,"custTin":null,"rcptTyCd":"S","cfmDt":"2026-09-18 03:00:00","salesDt":"20260918","rfdDt":null,"totItemCnt":1,"taxblAmtB":86.21,"taxAmtB":13.79,"totAmt":100,"taxRtE":0,"receipt":{"rptNo":1,"rcptPbctDt":"2026-09-18 11:00:36.0","intrlData":"ABCDEFGHIJKLMNOPQRSTUVWXYZ","rcptSign":"ABCDEFGHIJKLMNOP","curRcptNo":"3","totRcptNo":"3","sdcDateTime":"2026-09-18 11:00:36.0"},"itemList":[{"itemSeq":1,"itemCd":"KE2NTNO0000001","pkg":1,"qty":2,"prc":50,"splyAmt":100,"isrcRt":null,"taxblAmt":86.21,"taxAmt":13.79,"totAmt":100}]}]}}"#;
    let details = Reply::<Option<InvoiceDetailsData>>::parse(200, body)
        .unwrap()
        .data
        .unwrap();
    let invoice = details.invoice(3).unwrap();
    assert_eq!(invoice.tot_amt, Some(dec("100")));
    assert_eq!(invoice.item_list[0].taxbl_amt, Some(dec("86.21")));
    assert_eq!(invoice.item_list[0].isrc_rt, None);
    let signature = invoice.signature().unwrap();
    assert_eq!((signature.cur_rcpt_no, signature.tot_rcpt_no), (3, 3));
    assert_eq!(signature.sdc_date_time, "20260918110036");
    assert_eq!(details.invoice(4), None);
}
