//! The QR code scans (rasterised at 300 dpi, read by zbar) to KRA's verification URL, in every
//! format, on a copy (over its watermark) and for a sandbox device; a wrong segment is refused.

use hesabu_receipts::{Environment, Format, RenderError, qr_url, render, samples};

use crate::common::{FORMATS, qr_codes};

const FIXTURE_URL: &str = "https://etims.kra.go.ke/common/link/etims/receipt/indexEtimsReceiptData?Data=P052112956W00123456789ODOOGR3";

#[test]
fn the_qr_code_scans_to_the_verification_url() {
    let receipt = samples::fixture_invoice();
    assert_eq!(
        qr_url(
            Environment::Production,
            "P052112956W",
            "00",
            "123456789ODOOGR3"
        )
        .unwrap(),
        FIXTURE_URL
    );
    for format in FORMATS {
        let pdf = render(&receipt, format).unwrap();
        assert_eq!(qr_codes(&pdf), [FIXTURE_URL], "{format:?}");
    }
}

#[test]
fn a_copy_and_a_credit_note_scan_too() {
    let mut copy = samples::fixture_invoice();
    copy.copy = true;
    let credit = samples::fixture_credit_note();
    for format in FORMATS {
        assert_eq!(
            qr_codes(&render(&copy, format).unwrap()),
            [FIXTURE_URL],
            "{format:?}"
        );
        assert_eq!(
            qr_codes(&render(&credit, format).unwrap()),
            [
                "https://etims.kra.go.ke/common/link/etims/receipt/indexEtimsReceiptData?Data=P052112956W00CRN0000000000012"
            ],
            "{format:?}"
        );
    }
}

#[test]
fn a_sandbox_receipt_points_at_the_sandbox() {
    let mut receipt = samples::fixture_invoice();
    if let Some(s) = receipt.signature.as_mut() {
        s.environment = Environment::Sandbox;
    }
    let pdf = render(&receipt, Format::Thermal58).unwrap();
    assert_eq!(
        qr_codes(&pdf),
        [
            "https://etims-sbx.kra.go.ke/common/link/etims/receipt/indexEtimsReceiptData?Data=P052112956W00123456789ODOOGR3"
        ]
    );
}

#[test]
fn an_unsigned_document_has_no_qr_code() {
    let mut receipt = samples::shop_invoice();
    receipt.signature = None;
    for format in FORMATS {
        assert!(
            qr_codes(&render(&receipt, format).unwrap()).is_empty(),
            "{format:?}"
        );
    }
}

#[test]
fn a_segment_of_the_wrong_width_is_refused_before_anything_prints() {
    type Spoil = fn(&mut hesabu_receipts::Receipt);
    let cases: [(&str, Spoil); 4] = [
        ("seller KRA PIN", |r| r.seller.pin = "P05211295W".to_owned()),
        ("branch id", |r| r.seller.branch_id = "0".to_owned()),
        ("receipt signature", |r| {
            if let Some(s) = r.signature.as_mut() {
                s.rcpt_sign = "123456789ODOOGR".to_owned();
            }
        }),
        ("receipt signature", |r| {
            if let Some(s) = r.signature.as_mut() {
                s.rcpt_sign = "123456789ODOOGR34".to_owned();
            }
        }),
    ];
    for (segment, spoil) in cases {
        let mut receipt = samples::fixture_invoice();
        spoil(&mut receipt);
        for format in FORMATS {
            match render(&receipt, format) {
                Err(RenderError::QrSegment { segment: s, .. }) => assert_eq!(s, segment),
                other => panic!("{segment} {format:?}: {other:?}"),
            }
        }
        assert!(matches!(
            hesabu_receipts::render_text(&receipt, 48),
            Err(RenderError::QrSegment { .. })
        ));
    }
}
