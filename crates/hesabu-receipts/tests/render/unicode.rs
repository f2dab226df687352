//! Names with accents and Swahili text come out of the PDF as they went in (the fonts are
//! embedded, with a Unicode map for text extraction).

use hesabu_receipts::{Buyer, render_text, samples};

use crate::common::{FORMATS, flat, text_of};

#[test]
fn accents_and_swahili_survive_extraction() {
    let mut receipt = samples::fixture_invoice();
    receipt.seller.trading_name = "Café Straße Wanjikũ".to_owned();
    receipt.seller.top_message = Some("Karibu! Huduma bora kwa wateja wetu".to_owned());
    receipt.seller.bottom_message = Some("Asante kwa kununua. Karibu tena".to_owned());
    receipt.buyer = Some(Buyer {
        name: "Zoë Müller-Njoroge".to_owned(),
        pin: Some("A000123456F".to_owned()),
    });
    receipt.lines[0].description = "Maziwa ya ng'ombe, lita moja — crème".to_owned();
    // Whole phrases, in order, whitespace made single (a narrow roll wraps them).
    let phrases = [
        "Café Straße Wanjikũ",
        "Karibu! Huduma bora kwa wateja wetu",
        "Zoë Müller-Njoroge",
        "Maziwa ya ng'ombe, lita moja — crème",
        "Asante kwa kununua. Karibu tena",
    ];
    let texts = FORMATS
        .iter()
        .map(|f| (format!("{f:?}"), text_of(&receipt, *f)))
        .chain([("text".to_owned(), render_text(&receipt, 32).unwrap())]);
    for (name, text) in texts {
        let flat = flat(&text);
        let mut from = 0;
        for phrase in phrases {
            match flat[from..].find(phrase) {
                Some(at) => from += at + phrase.len(),
                None => panic!("{name}: '{phrase}' missing or out of order:\n{text}"),
            }
        }
    }
}
