//! The QR code as dark rectangles: each row's runs of dark modules, so a PDF draws a few hundred
//! filled rectangles (vector, sharp at any printer resolution) instead of an image.

use qrcodegen::{QrCode, QrCodeEcc};

use crate::error::RenderError;

/// A run of dark modules: row, first column, length (in modules).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Run {
    pub(crate) row: i64,
    pub(crate) col: i64,
    pub(crate) len: i64,
}

/// The QR code of `data`: its width in modules (without the quiet zone) and its dark runs.
/// Error correction M (15 %), enough for a receipt that gets creased or smudged.
pub(crate) fn runs(data: &str) -> Result<(i64, Vec<Run>), RenderError> {
    let code =
        QrCode::encode_text(data, QrCodeEcc::Medium).map_err(|e| RenderError::Qr(e.to_string()))?;
    let width = code.size();
    let mut runs = Vec::new();
    for row in 0..width {
        let mut col = 0;
        while col < width {
            if code.get_module(col, row) {
                let start = col;
                while col < width && code.get_module(col, row) {
                    col += 1;
                }
                runs.push(Run {
                    row: i64::from(row),
                    col: i64::from(start),
                    len: i64::from(col - start),
                });
            } else {
                col += 1;
            }
        }
    }
    Ok((i64::from(width), runs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_receipt_url_fits_a_small_code() {
        let url = "https://etims.kra.go.ke/common/link/etims/receipt/indexEtimsReceiptData?Data=P052112956W00123456789ODOOGR3";
        let (width, runs) = runs(url).unwrap();
        assert!((21..=45).contains(&width), "{width}");
        // The three finder patterns start with a dark run of 7 in row 0.
        assert_eq!(
            runs[0],
            Run {
                row: 0,
                col: 0,
                len: 7
            }
        );
    }
}
