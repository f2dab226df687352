//! Golden content: every element of KRA's TIS template (spec §13) appears, in order, in the
//! text extracted from each format, for an invoice, a credit note, a reprint and an unsigned
//! document; and the plain-text rendering says the same.

use hesabu_receipts::{Format, ReceiptKind, render, render_text, samples};

use crate::common::{FORMATS, expect_in_order, flat, text_of, words};

/// The item line and its discount: on a roll two lines, on A4 one table row.
fn item_steps(
    format: Format,
    amount: &'static str,
    discount: &'static str,
) -> Vec<&'static [&'static str]> {
    let (a, d): (&'static [&str], &'static [&str]) = match (amount, discount) {
        ("1.00B", "-0.10") => (&["1.00 x 1.00", "1.00B"], &["Discount 10%", "-0.10"]),
        _ => (&["1.00 x 1.00", "-1.00B"], &["Discount 10%", "0.10"]),
    };
    match format {
        Format::Thermal80 | Format::Thermal58 => vec![&["Fiscal Optimization Consultancy"], a, d],
        Format::A4 => {
            if amount == "1.00B" {
                vec![&[
                    "Fiscal Optimization Consultancy",
                    "1.00",
                    "1.00",
                    "10%",
                    "-0.10",
                    "1.00B",
                ]]
            } else {
                vec![&[
                    "Fiscal Optimization Consultancy",
                    "1.00",
                    "1.00",
                    "10%",
                    "0.10",
                    "-1.00B",
                ]]
            }
        }
    }
}

#[test]
fn an_invoice_prints_every_tis_element_in_order() {
    let receipt = samples::fixture_invoice();
    for format in FORMATS {
        let text = text_of(&receipt, format);
        let mut steps: Vec<&[&str]> = vec![
            &["The Cucumber Lounge"],
            &["Vineland 00500"],
            &["Nairobi, Kenya"],
            &["PIN: P052112956W"],
            &["TAX INVOICE"],
            &["Welcome"],
            &["Invoice No.:", "INV/2024/00002"],
            &["Date:", "15/04/2024"],
            &["Buyer Name:", "Ralph Jr"],
            &["Buyer PIN:", "A000123456F"],
        ];
        steps.extend(item_steps(format, "1.00B", "-0.10"));
        let more: &[&[&str]] = &[
            &["TOTAL BEFORE DISCOUNT", "1.00"],
            &["TOTAL DISCOUNT AWARDED", "-0.10"],
            &["SUB TOTAL", "0.90"],
            &["VAT", "0.14"],
            &["TOTAL", "1.04"],
            &["CASH", "1.04"],
            &["ITEMS NUMBER", "1"],
            &["RATE", "TAXABLE AMT", "TAX AMT"],
            &["A-EX", "0.00", "0.00"],
            &["B-16%", "0.90", "0.14"],
            &["C-0%", "0.00", "0.00"],
            &["D-Non-VAT", "0.00", "0.00"],
            &["E-8%", "0.00", "0.00"],
            &["SCU INFORMATION"],
            &["Date: 15/04/2024", "Time: 15:30:39"],
            &["SCU ID:", "KRACU0100000001"],
            &["CU INVOICE NO.:"],
            &["KRACU0100000001/169 NS"],
            &["RECEIPT NUMBER:", "169/169 NS"],
            &["Internal Data:"],
            &["GRKJ-VWYC-FBPT-YQ22-5X2U-EYON-VE"],
            &["Receipt Signature:"],
            &["1234-5678-9ODO-OGR3"],
            &["TIS INFORMATION"],
            &["Invoice No.:", "INV/2024/00002"],
            &["Date:", "15/04/2024"],
            &["Time:", "15:30:00"],
            &["MRC:", "WIS01000150"],
            &["THANK YOU"],
            &["End of Legal Receipt"],
        ];
        steps.extend_from_slice(more);
        expect_in_order(&text, &steps);
        for absent in [
            "COPY",
            "NOT AN OFFICIAL",
            " CS",
            "CREDIT NOTE",
            "ORIGINAL CU",
        ] {
            assert!(
                !text.contains(absent),
                "{format:?} prints {absent}:\n{text}"
            );
        }
    }
}

#[test]
fn amounts_carry_their_tax_code_and_all_five_bands_print() {
    let receipt = samples::shop_invoice();
    for format in FORMATS {
        let text = text_of(&receipt, format);
        let (b, a, e): (&[&str], &[&str], &[&str]) = match format {
            Format::A4 => (
                &["Bookkeeping services, April", "6,720.00B"],
                &["Maize flour 2 kg", "1,000.00A-EX"],
                &["Diesel", "5%", "-180.00", "3,600.00E"],
            ),
            _ => (
                &["2.00 x 3,360.00", "6,720.00B"],
                &["10.00 x 100.00", "1,000.00A-EX"],
                &["20.00 x 180.00", "3,600.00E"],
            ),
        };
        expect_in_order(
            &text,
            &[
                b,
                a,
                e,
                &["TOTAL BEFORE DISCOUNT", "11,320.00"],
                &["TOTAL DISCOUNT AWARDED", "-180.00"],
                &["SUB TOTAL", "11,140.00"],
                &["VAT", "1,348.80"],
                &["TOTAL", "12,488.80"],
                &["CASH", "2,488.80"],
                &["MOBILE MONEY", "10,000.00"],
                &["ITEMS NUMBER", "3"],
                &["A-EX", "1,000.00", "0.00"],
                &["B-16%", "6,720.00", "1,075.20"],
                &["C-0%", "0.00", "0.00"],
                &["D-Non-VAT", "0.00", "0.00"],
                &["E-8%", "3,420.00", "273.60"],
                &["KRACU0100000001/170 NS"],
            ],
        );
        // No buyer: no buyer lines (never an invented PIN).
        assert!(!text.contains("Buyer"), "{format:?}:\n{text}");
    }
}

#[test]
fn a_credit_note_is_negative_labelled_nc_and_names_the_original_invoice() {
    let receipt = samples::fixture_credit_note();
    for format in FORMATS {
        let text = text_of(&receipt, format);
        let mut steps: Vec<&[&str]> = vec![
            &["The Cucumber Lounge"],
            &["PIN: P052112956W"],
            &["CREDIT NOTE"],
            &["Credit Note No.:", "RINV/2024/00001"],
            &["Date:", "20/04/2024"],
            &["ORIGINAL CU INVOICE NO.:"],
            &["KRACU0100000001/169"],
            &["Buyer PIN:", "A000123456F"],
        ];
        steps.extend(item_steps(format, "-1.00B", "0.10"));
        let more: &[&[&str]] = &[
            &["TOTAL BEFORE DISCOUNT", "-1.00"],
            &["TOTAL DISCOUNT AWARDED", "0.10"],
            &["SUB TOTAL", "-0.90"],
            &["VAT", "-0.14"],
            &["TOTAL", "-1.04"],
            &["CASH", "-1.04"],
            &["ITEMS NUMBER", "1"],
            &["A-EX", "0.00", "0.00"],
            &["B-16%", "-0.90", "-0.14"],
            &["E-8%", "0.00", "0.00"],
            &["TOTAL B-16.00%", "-0.90"],
            &["TOTAL TAX B", "-0.14"],
            &["CREDIT NOTE IS APPROVED ONLY FOR"],
            &["SCU INFORMATION"],
            &["Date: 20/04/2024", "Time: 10:05:42"],
            &["KRACU0100000001/12 NC"],
            &["RECEIPT NUMBER:", "12/171 NC"],
            &["TIS INFORMATION"],
            &["Credit Note No.:", "RINV/2024/00001"],
            &["MRC:", "WIS01000150"],
            &["End of Legal Receipt"],
        ];
        steps.extend_from_slice(more);
        expect_in_order(&text, &steps);
        assert!(
            flat(&text).contains("CREDIT NOTE IS APPROVED ONLY FOR ORIGINAL SALES RECEIPT"),
            "{format:?}:\n{text}"
        );
        assert!(!text.contains("TAX INVOICE"), "{format:?}:\n{text}");
        assert!(!text.contains(" NS"), "{format:?}:\n{text}");
    }
}

#[test]
fn a_reprint_is_marked_copy_and_labelled_cs_or_cc() {
    for (mut receipt, label) in [
        (samples::fixture_invoice(), "CS"),
        (samples::fixture_credit_note(), "CC"),
    ] {
        receipt.copy = true;
        for format in FORMATS {
            let text = text_of(&receipt, format);
            let title = if receipt.kind == ReceiptKind::Invoice {
                "TAX INVOICE"
            } else {
                "CREDIT NOTE"
            };
            let counter = if label == "CS" { "169/169" } else { "12/171" };
            let cu = format!("/{} {label}", counter.split('/').next().unwrap());
            let counter = format!("{counter} {label}");
            expect_in_order(
                &text,
                &[
                    &[title],
                    &["COPY"],
                    &["SCU INFORMATION"],
                    &[&cu],
                    &["RECEIPT NUMBER:", &counter],
                    &["COPY"],
                    &["End of Legal Receipt"],
                ],
            );
            for absent in [" NS", " NC"] {
                assert!(!text.contains(absent), "{format:?} {absent}:\n{text}");
            }
        }
    }
}

/// "A bold COPY at ≥ 2× the amount text": measured on the extracted words' boxes.
#[test]
fn copy_is_at_least_twice_the_height_of_the_amounts() {
    let mut receipt = samples::fixture_invoice();
    receipt.copy = true;
    for format in FORMATS {
        let pdf = render(&receipt, format).unwrap();
        let (_, words) = words(&pdf);
        let height = |w: &str| {
            words
                .iter()
                .filter(|(t, ..)| t == w)
                .map(|(_, _, y0, _, y1)| y1 - y0)
                // The diagonal watermark's box is larger; the printed word is the smallest.
                .min()
                .unwrap_or_else(|| panic!("{format:?}: no word {w}"))
        };
        let (copy, amount) = (height("COPY"), height("1.04"));
        assert!(
            copy >= 2 * amount,
            "{format:?}: COPY {copy} pt, amounts {amount} pt"
        );
    }
}

#[test]
fn an_unsigned_document_never_looks_fiscal() {
    for mut receipt in [samples::shop_invoice(), samples::fixture_credit_note()] {
        receipt.signature = None;
        for format in FORMATS {
            let text = text_of(&receipt, format);
            let title = if receipt.kind == ReceiptKind::Invoice {
                "INVOICE"
            } else {
                "CREDIT NOTE"
            };
            expect_in_order(
                &text,
                &[
                    &[title],
                    &["THIS IS NOT AN OFFICIAL RECEIPT"],
                    &["SUB TOTAL"],
                    &["TOTAL"],
                    &["B-16%"],
                    &["TIS INFORMATION"],
                    &["THIS IS NOT AN OFFICIAL RECEIPT"],
                ],
            );
            for absent in [
                "TAX INVOICE",
                "SCU INFORMATION",
                "SCU ID",
                "Internal Data",
                "Receipt Signature",
                "MRC",
                "End of Legal Receipt",
                " NS",
                " NC",
            ] {
                assert!(
                    !text.contains(absent),
                    "{format:?} prints {absent}:\n{text}"
                );
            }
            assert!(
                !text
                    .lines()
                    .any(|l| l.trim_start().starts_with("CU INVOICE NO")),
                "{format:?}:\n{text}"
            );
            let last = text
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty() && !l.contains("Page "))
                .unwrap();
            assert!(
                last.contains("THIS IS NOT AN OFFICIAL RECEIPT"),
                "{format:?}: {last}"
            );
        }
    }
}

#[test]
fn the_text_rendering_says_the_same_in_the_same_order() {
    let receipt = samples::fixture_invoice();
    for columns in [32, 48, 80] {
        let text = render_text(&receipt, columns).unwrap();
        for line in text.lines() {
            assert!(line.chars().count() <= columns, "{columns}: {line}");
        }
        expect_in_order(
            &text,
            &[
                &["The Cucumber Lounge"],
                &["TAX INVOICE"],
                &["Fiscal Optimization Consultancy"],
                &["1.00 x 1.00", "1.00B"],
                &["TOTAL", "1.04"],
                &["B-16%", "0.90", "0.14"],
                &["SCU INFORMATION"],
                &["KRACU0100000001/169 NS"],
                &["https://etims.kra.go.ke/"],
                &["TIS INFORMATION"],
                &["End of Legal Receipt"],
            ],
        );
    }
    // The roll PDF draws exactly the text rendering's lines (the QR code aside).
    let text = render_text(&receipt, 48).unwrap();
    let pdf = text_of(&receipt, Format::Thermal80);
    let pdf_lines: Vec<&str> = pdf
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let url = "https://etims.kra.go.ke/common/link/etims/receipt/indexEtimsReceiptData?Data=P052112956W00123456789ODOOGR3";
    let text_lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !url.contains(l))
        .collect();
    assert_eq!(
        pdf_lines.iter().map(|l| flat(l)).collect::<Vec<_>>(),
        text_lines.iter().map(|l| flat(l)).collect::<Vec<_>>()
    );
}
