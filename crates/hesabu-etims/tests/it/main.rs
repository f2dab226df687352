//! The e-TIMS client's integration tests: one binary, a module per area.

mod fixtures;
mod integrator;
mod legacy;
mod support;

use hesabu_etims::types::sales::SaveSaleRequest;

/// Odoo's sale (fixture `oscu-save-sale-request.json`) with its unchecked values filled in.
pub fn sample_sale() -> SaveSaleRequest {
    let text = support::fixture("oscu-save-sale-request.json")
        .replace(r#""invcNo": "___ignore___""#, r#""invcNo": 2"#)
        .replace(
            r#""trdInvcNo": "___ignore___""#,
            r#""trdInvcNo": "INV/2024/00002""#,
        )
        .replace(
            r#""itemCd": "___ignore___""#,
            r#""itemCd": "KE3OUU0000042""#,
        )
        .replace(r#""regrId": "___ignore___""#, r#""regrId": "2""#)
        .replace(r#""modrId": "___ignore___""#, r#""modrId": "2""#)
        .replace(
            r#""regrNm": "___ignore___""#,
            r#""regrNm": "Mitchell Admin""#,
        )
        .replace(
            r#""modrNm": "___ignore___""#,
            r#""modrNm": "Mitchell Admin""#,
        );
    SaveSaleRequest::from_json(&text).unwrap()
}
