//! The fiscal pieces of a receipt that KRA's template fixes (spec §13, §13.1): the receipt label
//! (`NS`, `NC`, `CS`, `CC`), the CU invoice number, the dashed signature fields, and the
//! verification URL behind the QR code.

use crate::error::RenderError;
use crate::model::{Environment, ReceiptKind};

/// The receipt label: first letter the transaction type (`N` normal, `C` copy), second the
/// receipt type (`S` sale, `C` credit note). A reprint is a copy: `NS`→`CS`, `NC`→`CC`.
pub fn receipt_label(kind: ReceiptKind, copy: bool) -> &'static str {
    match (kind, copy) {
        (ReceiptKind::Invoice, false) => "NS",
        (ReceiptKind::Invoice, true) => "CS",
        (ReceiptKind::CreditNote, false) => "NC",
        (ReceiptKind::CreditNote, true) => "CC",
    }
}

/// `s` with a dash after every 4 characters, as KRA prints internal data and the receipt
/// signature: `GRKJVWYCFBPT` → `GRKJ-VWYC-FBPT`.
pub fn dashed(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 4);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        out.push(c);
    }
    out
}

/// The CU invoice number: `{sdcId}/{curRcptNo}`, e.g. `KRACU0100000001/152`. The receipt prints
/// it followed by the label (`KRACU0100000001/152 NS`).
pub fn cu_invoice_no(sdc_id: &str, cur_rcpt_no: u64) -> String {
    format!("{sdc_id}/{cur_rcpt_no}")
}

/// Width of the seller's KRA PIN in the QR `Data`.
pub const PIN_WIDTH: usize = 11;
/// Width of the branch id in the QR `Data`.
pub const BRANCH_WIDTH: usize = 2;
/// Width of the receipt signature in the QR `Data`.
pub const SIGNATURE_WIDTH: usize = 16;

const PRODUCTION_HOST: &str = "https://etims.kra.go.ke";
const SANDBOX_HOST: &str = "https://etims-sbx.kra.go.ke";
const RECEIPT_PATH: &str = "/common/link/etims/receipt/indexEtimsReceiptData?Data=";

/// The receipt verification URL the QR code carries (spec §13.1):
/// `https://etims.kra.go.ke/common/link/etims/receipt/indexEtimsReceiptData?Data=<PIN><branch><rcptSign>`,
/// on `etims-sbx.kra.go.ke` for a sandbox device. `Data` is a plain concatenation, so a segment
/// of the wrong width would point at another receipt: it is refused (11-character PIN,
/// 2-character branch, 16-character signature; ASCII letters and digits only).
pub fn qr_url(
    environment: Environment,
    pin: &str,
    branch_id: &str,
    rcpt_sign: &str,
) -> Result<String, RenderError> {
    check_segment("seller KRA PIN", pin, PIN_WIDTH)?;
    check_segment("branch id", branch_id, BRANCH_WIDTH)?;
    check_segment("receipt signature", rcpt_sign, SIGNATURE_WIDTH)?;
    let host = match environment {
        Environment::Production => PRODUCTION_HOST,
        Environment::Sandbox => SANDBOX_HOST,
    };
    Ok(format!("{host}{RECEIPT_PATH}{pin}{branch_id}{rcpt_sign}"))
}

fn check_segment(segment: &'static str, value: &str, expected: usize) -> Result<(), RenderError> {
    let found = value.chars().count();
    if found != expected {
        return Err(RenderError::QrSegment {
            segment,
            expected,
            found,
            value: value.to_owned(),
        });
    }
    // A URL query value: anything but ASCII letters and digits would need escaping, which KRA's
    // portal does not expect; no PIN, branch id or signature KRA issues has such a character.
    if let Some(c) = value.chars().find(|c| !c.is_ascii_alphanumeric()) {
        return Err(RenderError::UnsupportedCharacter {
            field: segment.to_owned(),
            shown: format!("'{}'", c.escape_default()),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(receipt_label(ReceiptKind::Invoice, false), "NS");
        assert_eq!(receipt_label(ReceiptKind::Invoice, true), "CS");
        assert_eq!(receipt_label(ReceiptKind::CreditNote, false), "NC");
        assert_eq!(receipt_label(ReceiptKind::CreditNote, true), "CC");
    }

    #[test]
    fn dashes_every_four() {
        assert_eq!(
            dashed("GRKJVWYCFBPTYQ225X2UEYONVE"),
            "GRKJ-VWYC-FBPT-YQ22-5X2U-EYON-VE"
        );
        assert_eq!(dashed("123456789ODOOGR3"), "1234-5678-9ODO-OGR3");
        assert_eq!(dashed(""), "");
        assert_eq!(dashed("ABCD"), "ABCD");
        assert_eq!(dashed("ABCDE"), "ABCD-E");
    }

    #[test]
    fn the_url_is_the_three_segments_concatenated() {
        assert_eq!(
            qr_url(
                Environment::Production,
                "P052112956W",
                "00",
                "123456789ODOOGR3"
            )
            .unwrap(),
            "https://etims.kra.go.ke/common/link/etims/receipt/indexEtimsReceiptData?Data=P052112956W00123456789ODOOGR3"
        );
        assert_eq!(
            qr_url(
                Environment::Sandbox,
                "P052112956W",
                "00",
                "123456789ODOOGR3"
            )
            .unwrap(),
            "https://etims-sbx.kra.go.ke/common/link/etims/receipt/indexEtimsReceiptData?Data=P052112956W00123456789ODOOGR3"
        );
    }

    #[test]
    fn a_segment_of_the_wrong_width_is_refused() {
        let cases = [
            (
                "P05211295W",
                "00",
                "123456789ODOOGR3",
                "seller KRA PIN",
                11,
                10,
            ),
            (
                "P052112956WX",
                "00",
                "123456789ODOOGR3",
                "seller KRA PIN",
                11,
                12,
            ),
            ("P052112956W", "0", "123456789ODOOGR3", "branch id", 2, 1),
            ("P052112956W", "000", "123456789ODOOGR3", "branch id", 2, 3),
            (
                "P052112956W",
                "00",
                "123456789ODOOGR",
                "receipt signature",
                16,
                15,
            ),
            (
                "P052112956W",
                "00",
                "123456789ODOOGR34",
                "receipt signature",
                16,
                17,
            ),
            ("P052112956W", "00", "", "receipt signature", 16, 0),
        ];
        for (pin, branch, sign, segment, expected, found) in cases {
            let err = qr_url(Environment::Production, pin, branch, sign).unwrap_err();
            match &err {
                RenderError::QrSegment {
                    segment: s,
                    expected: e,
                    found: f,
                    ..
                } => assert_eq!((*s, *e, *f), (segment, expected, found), "{err}"),
                other => panic!("unexpected {other:?}"),
            }
            let message = err.to_string();
            assert!(message.contains(segment), "{message}");
            assert!(
                message.contains(&format!("exactly {expected}")),
                "{message}"
            );
        }
    }

    #[test]
    fn a_character_that_would_need_escaping_is_refused() {
        let err = qr_url(
            Environment::Production,
            "P05211295&W",
            "00",
            "123456789ODOOGR3",
        );
        assert!(matches!(err, Err(RenderError::UnsupportedCharacter { .. })));
        let err = qr_url(
            Environment::Production,
            "P052112956W",
            "0é",
            "123456789ODOOGR3",
        );
        assert!(matches!(err, Err(RenderError::UnsupportedCharacter { .. })));
    }
}
