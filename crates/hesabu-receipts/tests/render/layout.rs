//! Nothing is cut off: every word lies inside the paper, on the 58 mm roll too, with the
//! longest fields KRA allows; amounts are right-aligned in one column.

use hesabu_receipts::{Format, render, samples};

use crate::common::{FORMATS, words};

fn longest() -> hesabu_receipts::Receipt {
    let mut r = samples::fixture_invoice();
    r.seller.trading_name =
        "Wholesale & Retail Distributors of Kenya Limited, Industrial Area Branch".to_owned();
    r.seller.address = "Plot 209/8765, Enterprise Road off Mombasa Road, Industrial Area, P.O. Box 12345-00100, Nairobi City County, Kenya".to_owned();
    r.number = "INV/2024/BRANCH-INDUSTRIAL-AREA/000000000000000001".to_owned();
    r.buyer.as_mut().unwrap().name =
        "Mwananchi Credit and Savings Cooperative Society Ltd 0001".to_owned();
    r.lines[0].description = format!(
        "{} {}",
        "Supercalifragilisticexpialidociouslylongproductcodewithoutanyspaces1234567890",
        "consultancy on fiscal optimisation, financial year 2024/2025, with follow-up visits and a written report to the board"
    );
    r.payments[0].method = "MOBILE MONEY (M-PESA PAYBILL 123456)".to_owned();
    r
}

#[test]
fn every_word_stays_on_the_paper() {
    let receipt = longest();
    for format in FORMATS {
        let pdf = render(&receipt, format).unwrap();
        let (width, words) = words(&pdf);
        let expected = match format {
            Format::Thermal80 => 226, // 80 mm in points
            Format::Thermal58 => 164,
            Format::A4 => 595,
        };
        assert_eq!(width, expected, "{format:?} page width");
        // Thermal printers print 72 mm (80 mm paper) or 48 mm (58 mm): 4 and 5 mm margins.
        let margin = match format {
            Format::Thermal80 => 11,
            Format::Thermal58 => 14,
            Format::A4 => 50,
        };
        for (word, x0, _, x1, _) in &words {
            assert!(
                *x0 >= margin - 1 && *x1 <= width - margin + 1,
                "{format:?}: '{word}' at {x0}..{x1} leaves the printable width"
            );
        }
        // Every character of the long fields is printed somewhere.
        let all: String = words.iter().map(|w| w.0.as_str()).collect();
        for field in [
            &receipt.number,
            &receipt.lines[0].description,
            &receipt.buyer.as_ref().unwrap().name,
        ] {
            let letters: String = field.split_whitespace().collect();
            assert!(all.contains(&letters[..20]), "{format:?}: {field}");
            assert!(
                all.contains(&letters[letters.len() - 10..]),
                "{format:?}: {field}"
            );
        }
    }
}

#[test]
fn amounts_are_right_aligned_in_one_column() {
    let receipt = samples::shop_invoice();
    for format in FORMATS {
        let pdf = render(&receipt, format).unwrap();
        let (_, words) = words(&pdf);
        // The right edge of each total's amount, and of each item's amount before its code.
        let right = |w: &str| {
            words
                .iter()
                .find(|(t, ..)| t == w)
                .map(|(_, _, _, x1, _)| *x1)
                .unwrap_or_else(|| panic!("{format:?}: no {w}"))
        };
        let totals = [
            "11,320.00",
            "11,140.00",
            "1,348.80",
            "12,488.80",
            "2,488.80",
            "10,000.00",
        ];
        let edge = right(totals[0]);
        for t in totals {
            assert!(
                (right(t) - edge).abs() <= 1,
                "{format:?}: {t} is not aligned"
            );
        }
        let with_code = |w: &str, code: &str| {
            let amount = &w[..w.len() - code.len()];
            match words.iter().find(|(t, ..)| t == w) {
                // One word (the roll): the code's share of its width, by characters.
                Some((_, x0, _, x1, _)) => {
                    x1 - (x1 - x0) * i64::try_from(code.len()).unwrap()
                        / i64::try_from(w.chars().count()).unwrap()
                }
                // The amount and its code drawn apart (A4; text extraction joins them).
                None => words
                    .iter()
                    .filter(|(t, ..)| t == amount)
                    .map(|(_, _, _, x1, _)| *x1)
                    .max()
                    .unwrap_or_else(|| panic!("{format:?}: no {amount}")),
            }
        };
        for (item, code) in [
            ("6,720.00B", "B"),
            ("1,000.00A-EX", "A-EX"),
            ("3,600.00E", "E"),
        ] {
            if format == Format::Thermal58 {
                // 32 columns leave no room for a column of codes: amounts and codes end at
                // the last column, with the totals.
                assert!((right(item) - edge).abs() <= 1, "{format:?}: {item}");
                continue;
            }
            assert!(
                (with_code(item, code) - edge).abs() <= 2,
                "{format:?}: {item} does not end with the totals ({} vs {edge})",
                with_code(item, code)
            );
        }
    }
}
