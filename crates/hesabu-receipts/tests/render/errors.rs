//! What cannot be printed faithfully is refused with an error that says what to fix, never a
//! panic and never a silently rounded or truncated receipt.

use std::str::FromStr;

use hesabu_receipts::{Format, Receipt, RenderError, render, render_text, samples};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

/// Renders `receipt` in every format and as text; all must fail the same way.
fn refused(receipt: &Receipt) -> RenderError {
    let err = render(receipt, Format::Thermal80).unwrap_err();
    for format in [Format::Thermal58, Format::A4] {
        assert_eq!(render(receipt, format).unwrap_err(), err, "{format:?}");
    }
    err
}

#[track_caller]
fn says(err: &RenderError, words: &[&str]) {
    let message = err.to_string();
    for w in words {
        assert!(message.contains(w), "'{message}' does not say '{w}'");
    }
}

#[test]
fn each_mistake_is_named() {
    let base = samples::fixture_invoice();

    let mut r = base.clone();
    r.signature.as_mut().unwrap().rcpt_sign = String::new();
    let err = refused(&r);
    assert!(
        matches!(err, RenderError::MissingSignedData { .. }),
        "{err:?}"
    );
    says(&err, &["receipt signature", "selectInvoiceDetails"]);

    let mut r = base.clone();
    r.signature.as_mut().unwrap().sdc_date_time = "2024-13-01 00:00:00".to_owned();
    says(&refused(&r), &["sdcDateTime", "2024-13-01"]);

    let mut r = base.clone();
    r.lines[0].description = "x".repeat(201);
    let err = refused(&r);
    assert_eq!(
        err,
        RenderError::TooLong {
            field: "description of line 1".to_owned(),
            max: 200,
            found: 201
        }
    );
    says(&err, &["description of line 1", "200", "Shorten"]);

    let mut r = base.clone();
    r.number = "INV/".repeat(13);
    says(&refused(&r), &["document number", "50"]);

    let mut r = base.clone();
    r.lines[0].amount = d("1.005");
    says(&refused(&r), &["amount of line 1", "2 decimal places"]);

    let mut r = base.clone();
    r.totals.total = d("1.05");
    let err = refused(&r);
    assert!(matches!(err, RenderError::TotalsMismatch { .. }), "{err:?}");
    says(&err, &["TOTAL is 1.05", "SUB TOTAL and VAT add up to 1.04"]);

    let mut r = base.clone();
    r.bands[1].tax = d("0.15");
    says(
        &refused(&r),
        &["VAT is 0.14", "bands' taxes add up to 0.15"],
    );

    let mut r = base.clone();
    r.payments[0].amount = d("-1.04");
    says(&refused(&r), &["amount of payment 1", "negative"]);

    let mut r = base.clone();
    r.lines.clear();
    assert_eq!(refused(&r), RenderError::NoLines);

    let mut r = samples::fixture_credit_note();
    r.original_cu_invoice = None;
    assert_eq!(refused(&r), RenderError::MissingOriginalInvoice);

    let mut r = base.clone();
    r.original_cu_invoice = Some("KRACU0100000001/1".to_owned());
    assert_eq!(refused(&r), RenderError::OriginalInvoiceOnInvoice);

    let mut r = base.clone();
    r.seller.trading_name = "  ".to_owned();
    says(&refused(&r), &["trading name", "empty"]);

    let mut r = base.clone();
    r.buyer.as_mut().unwrap().name = "Tab\there".to_owned();
    says(&refused(&r), &["buyer's name", "control character"]);

    // A character the fonts lack: refused in a PDF, printed in text (the printer decides).
    let mut r = base.clone();
    r.lines[0].description = "茶 (tea)".to_owned();
    says(&refused(&r), &["description of line 1", "茶"]);
    assert!(render_text(&r, 48).unwrap().contains("茶 (tea)"));

    assert!(matches!(
        render_text(&base, 20),
        Err(RenderError::Columns { min: 32, .. })
    ));
}

#[test]
fn a_receipt_too_long_for_a_roll_goes_to_a4() {
    let receipt = samples::long_invoice(2_000);
    for format in [Format::Thermal80, Format::Thermal58] {
        let err = render(&receipt, format).unwrap_err();
        assert!(matches!(err, RenderError::TooLongForRoll { .. }), "{err:?}");
        says(&err, &["A4"]);
    }
    let pdf = render(&receipt, Format::A4).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,80}",
        "[a-zA-Z0-9 éßñ'/,.-]{1,250}",
        Just(String::new()),
        Just("\u{0}\u{7}\n\r".to_owned()),
    ]
}

fn amount() -> impl Strategy<Value = Decimal> {
    prop_oneof![
        (0i64..10_000_000, 0u32..6).prop_map(|(m, s)| Decimal::new(m, s)),
        (i64::MIN..i64::MAX, 0u32..28).prop_map(|(m, s)| Decimal::new(m, s)),
        Just(Decimal::MAX),
        Just(Decimal::MIN),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    /// Whatever goes in, rendering returns: a PDF or an error, never a panic.
    #[test]
    fn no_input_panics(
        name in text(), description in text(), number in text(), pin in text(),
        sign in text(), date in text(), qty in amount(), price in amount(),
        line_amount in amount(), total in amount(), columns in 0usize..300,
        copy in any::<bool>(), signed in any::<bool>(),
    ) {
        let mut r = samples::fixture_invoice();
        r.seller.trading_name = name;
        r.lines[0].description = description;
        r.number = number;
        r.buyer.as_mut().unwrap().pin = Some(pin);
        r.lines[0].quantity = qty;
        r.lines[0].unit_price = price;
        r.lines[0].amount = line_amount;
        r.totals.total = total;
        r.copy = copy;
        if signed {
            let s = r.signature.as_mut().unwrap();
            s.rcpt_sign = sign;
            s.sdc_date_time = date;
        } else {
            r.signature = None;
        }
        for format in Format::ALL {
            let _ = render(&r, format);
        }
        let _ = render_text(&r, columns);
    }
}
