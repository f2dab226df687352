//! The ESC/POS job: the same lines, in the same order and styles, as the roll PDFs; the QR code
//! as the native command carrying exactly the verification URL; COPY, NOT AN OFFICIAL RECEIPT,
//! widths, code pages.

use hesabu_receipts::print::escpos::{self, Cut, EscPosOptions};
use hesabu_receipts::print::fake::{Printed, decode};
use hesabu_receipts::print::{CodePage, PrintError};
use hesabu_receipts::{
    CREDIT_NOTE_APPROVAL, END_OF_LEGAL_RECEIPT, NOT_OFFICIAL, Receipt, RenderError, TextStyle,
    qr_url, render_lines, samples,
};

fn samples() -> Vec<(&'static str, Receipt)> {
    let copy = Receipt {
        copy: true,
        ..samples::fixture_invoice()
    };
    let unsigned = Receipt {
        signature: None,
        ..samples::shop_invoice()
    };
    let credit_copy = Receipt {
        copy: true,
        ..samples::fixture_credit_note()
    };
    vec![
        ("fixture invoice", samples::fixture_invoice()),
        ("shop invoice", samples::shop_invoice()),
        ("credit note", samples::fixture_credit_note()),
        ("copy", copy),
        ("credit note copy", credit_copy),
        ("unsigned", unsigned),
        ("long invoice", samples::long_invoice(12)),
    ]
}

fn decoded(receipt: &Receipt, options: &EscPosOptions) -> Vec<Printed> {
    let job = escpos::render(receipt, options).unwrap();
    decode(&job.bytes).unwrap().items
}

/// The printed lines and QR codes as (text, style), in the shape of `render_lines`.
fn as_lines(items: &[Printed]) -> Vec<(String, TextStyle)> {
    items
        .iter()
        .filter_map(|item| match item {
            Printed::Line {
                text, bold, double, ..
            } => Some((
                text.clone(),
                match (bold, double) {
                    (_, true) => TextStyle::Double,
                    (true, false) => TextStyle::Bold,
                    (false, false) => TextStyle::Normal,
                },
            )),
            Printed::Qr { data, .. } => {
                Some((String::from_utf8(data.clone()).unwrap(), TextStyle::Qr))
            }
            Printed::Feed(_) | Printed::Cut { .. } => None,
        })
        .collect()
}

fn texts(items: &[Printed]) -> Vec<String> {
    as_lines(items).into_iter().map(|(t, _)| t).collect()
}

#[test]
fn every_line_and_its_style_is_the_roll_pdfs_in_the_same_order() {
    for (name, receipt) in samples() {
        for columns in [32, 42, 48, 64] {
            let printed = as_lines(&decoded(&receipt, &EscPosOptions::with_columns(columns)));
            let expected: Vec<(String, TextStyle)> = render_lines(&receipt, columns)
                .unwrap()
                .into_iter()
                .map(|l| (l.text, l.style))
                .collect();
            assert_eq!(printed, expected, "{name}, {columns} columns");
        }
    }
}

#[test]
fn the_job_initialises_selects_the_code_page_and_ends_with_feed_and_cut() {
    let receipt = samples::fixture_invoice();
    let bytes = escpos::render(&receipt, &EscPosOptions::paper_80mm())
        .unwrap()
        .bytes;
    assert_eq!(bytes[..7], [0x1B, 0x40, 0x1B, 0x74, 0, 0x1B, 0x61]);
    assert_eq!(bytes[bytes.len() - 6..], [0x1B, 0x64, 4, 0x1D, 0x56, 1]);

    let options = EscPosOptions {
        code_page: CodePage::Wpc1252,
        feed_lines: 6,
        cut: Cut::Full,
        ..EscPosOptions::paper_58mm()
    };
    let bytes = escpos::render(&receipt, &options).unwrap().bytes;
    assert_eq!(bytes[..5], [0x1B, 0x40, 0x1B, 0x74, 16]);
    assert_eq!(bytes[bytes.len() - 6..], [0x1B, 0x64, 6, 0x1D, 0x56, 0]);
    let decoded = decode(&bytes).unwrap();
    assert_eq!(decoded.code_page, Some(16));
    assert_eq!(
        decoded.items[decoded.items.len() - 2..],
        [Printed::Feed(6), Printed::Cut { partial: false }]
    );

    let none = EscPosOptions {
        cut: Cut::None,
        ..EscPosOptions::paper_80mm()
    };
    let bytes = escpos::render(&receipt, &none).unwrap().bytes;
    assert_eq!(bytes[bytes.len() - 3..], [0x1B, 0x64, 4]);
}

/// Where the QR store command (`GS ( k pL pH 49 80 48 data`) is, and its data.
fn stored_qr_data(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut found = Vec::new();
    for i in 0..bytes.len().saturating_sub(8) {
        if bytes[i..i + 3] == [0x1D, 0x28, 0x6B] && bytes[i + 5..i + 8] == [0x31, 0x50, 0x30] {
            let len = usize::from(bytes[i + 3]) + 256 * usize::from(bytes[i + 4]);
            found.push(bytes[i + 8..i + 5 + len].to_vec());
        }
    }
    found
}

#[test]
fn the_qr_store_command_carries_exactly_the_verification_url() {
    for (name, receipt) in samples() {
        let bytes = escpos::render(&receipt, &EscPosOptions::paper_80mm())
            .unwrap()
            .bytes;
        let stored = stored_qr_data(&bytes);
        match &receipt.signature {
            Some(sig) => {
                let url = qr_url(
                    sig.environment,
                    &receipt.seller.pin,
                    &receipt.seller.branch_id,
                    &sig.rcpt_sign,
                )
                .unwrap();
                assert_eq!(stored, [url.clone().into_bytes()], "{name}");
                // Model 2, module 5 on 80 mm, error correction M, centred; printed once.
                let qrs: Vec<_> = decode(&bytes)
                    .unwrap()
                    .items
                    .into_iter()
                    .filter(|i| matches!(i, Printed::Qr { .. }))
                    .collect();
                assert_eq!(
                    qrs,
                    [Printed::Qr {
                        data: url.into_bytes(),
                        model: 2,
                        module: 5,
                        ecc: 0x31,
                        justify: 1,
                    }],
                    "{name}"
                );
            }
            None => assert!(stored.is_empty(), "{name}: an unsigned document has no QR"),
        }
    }
    let bytes = escpos::render(&samples::fixture_invoice(), &EscPosOptions::paper_58mm())
        .unwrap()
        .bytes;
    let module = bytes
        .windows(8)
        .find(|w| w[..7] == [0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x43])
        .map(|w| w[7]);
    assert_eq!(module, Some(4));
    assert_eq!(
        stored_qr_data(&bytes),
        [b"https://etims.kra.go.ke/common/link/etims/receipt/indexEtimsReceiptData?Data=P052112956W00123456789ODOOGR3".to_vec()]
    );
}

#[test]
fn no_line_is_wider_than_the_paper() {
    let mut receipt = samples::shop_invoice();
    receipt.copy = true;
    receipt.seller.trading_name =
        "Mama Ngina Wholesale Distributors of Fine Groceries and Household Goods Limited".into();
    receipt.seller.address = "Plot 209/8812, Kenyatta Avenue, Opposite the General Post Office, \
                              Nairobi"
        .into();
    receipt.lines[0].description = "Bookkeeping, payroll, statutory returns (PAYE, NSSF, SHIF, \
                                    housing levy) and e-TIMS reconciliation for April"
        .into();
    receipt.payments[1].method = "M-PESA PAYBILL 247247 ACCOUNT 0712345678".into();
    for columns in 32..=80 {
        let items = decoded(&receipt, &EscPosOptions::with_columns(columns));
        let mut lines = 0;
        for item in &items {
            if let Printed::Line { text, double, .. } = item {
                let width = text.chars().count() * if *double { 2 } else { 1 };
                assert!(
                    width <= columns,
                    "{columns} columns: '{text}' is {width} wide"
                );
                lines += 1;
            }
        }
        assert!(lines > 40, "{columns}: {lines} lines");
    }
}

#[test]
fn the_sections_follow_the_tis_template() {
    let items = decoded(&samples::fixture_invoice(), &EscPosOptions::paper_80mm());
    let lines = texts(&items);
    let url = "https://etims.kra.go.ke/common/link/etims/receipt/indexEtimsReceiptData?Data=P052112956W00123456789ODOOGR3";
    let steps = [
        "The Cucumber Lounge",
        "PIN: P052112956W",
        "TAX INVOICE",
        "Welcome",
        "Invoice No.:",
        "Buyer PIN:",
        "Fiscal Optimization Consultancy",
        "Discount 10%",
        "TOTAL BEFORE DISCOUNT",
        "TOTAL DISCOUNT AWARDED",
        "SUB TOTAL",
        "VAT",
        "TOTAL",
        "CASH",
        "ITEMS NUMBER",
        "RATE",
        "A-EX",
        "B-16%",
        "C-0%",
        "D-Non-VAT",
        "E-8%",
        "SCU INFORMATION",
        "SCU ID:",
        "CU INVOICE NO.:",
        "RECEIPT NUMBER:",
        "Internal Data:",
        "Receipt Signature:",
        url,
        "TIS INFORMATION",
        "MRC:",
        "THANK YOU",
        END_OF_LEGAL_RECEIPT,
    ];
    let mut at = 0;
    for step in steps {
        let found = lines[at..]
            .iter()
            .position(|l| l.trim_start().starts_with(step))
            .unwrap_or_else(|| panic!("'{step}' not found after line {at}:\n{}", lines.join("\n")));
        at += found + 1;
    }
    assert!(lines.iter().any(|l| l.ends_with("KRACU0100000001/169 NS")));
    assert!(
        lines
            .iter()
            .any(|l| l.ends_with("GRKJ-VWYC-FBPT-YQ22-5X2U-EYON-VE"))
    );
    assert_eq!(lines.last().map(|l| l.trim()), Some(END_OF_LEGAL_RECEIPT));
    // Nothing is double size on an original.
    assert!(
        !items
            .iter()
            .any(|i| matches!(i, Printed::Line { double: true, .. }))
    );
}

#[test]
fn a_reprint_says_copy_in_bold_at_double_size_and_is_labelled_cs() {
    let receipt = Receipt {
        copy: true,
        ..samples::fixture_invoice()
    };
    let items = decoded(&receipt, &EscPosOptions::paper_80mm());
    let copies: Vec<_> = items
        .iter()
        .filter(|i| matches!(i, Printed::Line { text, .. } if text.trim() == "COPY"))
        .collect();
    assert_eq!(copies.len(), 2, "after the title and before the last line");
    for copy in copies {
        let Printed::Line { bold, double, .. } = copy else {
            unreachable!()
        };
        assert!(*bold && *double, "{copy:?}");
    }
    // The amounts are normal size: COPY's double width and height is twice theirs.
    let total = items
        .iter()
        .find(|i| matches!(i, Printed::Line { text, .. } if text.starts_with("TOTAL ")))
        .unwrap();
    assert!(
        matches!(total, Printed::Line { double: false, .. }),
        "{total:?}"
    );
    let lines = texts(&items);
    assert!(lines.iter().any(|l| l.ends_with("KRACU0100000001/169 CS")));
    assert!(!lines.iter().any(|l| l.ends_with(" NS")));
}

#[test]
fn an_unsigned_document_says_it_is_not_an_official_receipt() {
    let receipt = Receipt {
        signature: None,
        ..samples::fixture_invoice()
    };
    let items = decoded(&receipt, &EscPosOptions::paper_58mm());
    let lines = texts(&items);
    let notices: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.trim() == NOT_OFFICIAL)
        .map(|(n, _)| n)
        .collect();
    assert_eq!(notices.len(), 2, "{}", lines.join("\n"));
    assert!(notices[0] < 8, "at the top");
    assert_eq!(notices[1], lines.len() - 1, "and as the last line");
    for n in notices {
        assert!(matches!(&items[n], Printed::Line { bold: true, .. }));
    }
    assert!(lines.iter().any(|l| l.trim() == "INVOICE"));
    for absent in [
        "TAX INVOICE",
        "SCU INFORMATION",
        "CU INVOICE NO.",
        END_OF_LEGAL_RECEIPT,
    ] {
        assert!(!lines.iter().any(|l| l.contains(absent)), "{absent}");
    }
    assert!(!items.iter().any(|i| matches!(i, Printed::Qr { .. })));
}

#[test]
fn a_credit_note_prints_its_own_lines() {
    let items = decoded(
        &samples::fixture_credit_note(),
        &EscPosOptions::paper_80mm(),
    );
    let lines = texts(&items);
    let flat = lines.iter().map(|l| l.trim()).collect::<Vec<_>>().join(" ");
    for expected in [
        "CREDIT NOTE",
        "ORIGINAL CU INVOICE NO.:",
        "KRACU0100000001/169",
        "CREDIT NOTE IS APPROVED ONLY FOR",
        "KRACU0100000001/12 NC",
        "-1.04",
    ] {
        assert!(
            flat.contains(expected),
            "{expected} in:\n{}",
            lines.join("\n")
        );
    }
    // The approval line is the same words as the constant, wrapped.
    let words: Vec<&str> = flat.split_whitespace().collect();
    let approval: Vec<&str> = CREDIT_NOTE_APPROVAL.split_whitespace().collect();
    assert!(
        words
            .windows(approval.len())
            .any(|w| w == approval.as_slice())
    );
}

#[test]
fn characters_outside_the_code_page_are_transliterated_or_reported() {
    let mut receipt = samples::fixture_invoice();
    receipt.seller.trading_name = "Café Łódź — “Jambo” Жук Straße".into();
    receipt.buyer.as_mut().unwrap().name = "Zoë Müller".into();

    let job = escpos::render(&receipt, &EscPosOptions::paper_80mm()).unwrap();
    let items = decode(&job.bytes).unwrap().items;
    let lines = texts(&items);
    // PC437 has é, ó, ß, ë, ü; Ł, ź, the dash and curly quotes are spelt; Cyrillic is '?'.
    assert_eq!(lines[0].trim(), "Café Lódz - \"Jambo\" ??? Straße");
    assert!(lines.iter().any(|l| l.ends_with("Zoë Müller")));
    assert_eq!(job.transliterated, ['Ł', 'ź', '—', '“', '”']);
    assert_eq!(job.unprintable, ['Ж', 'к', 'у']);
    // The bytes are PC437's: é is 0x82, ß 0xE1.
    assert!(job.bytes.windows(4).any(|w| w == b"Caf\x82"));
    assert!(job.bytes.windows(4).any(|w| w == b"Stra"));
    assert!(job.bytes.contains(&0xE1));

    // Windows-1252 has the dash and the quotes.
    let options = EscPosOptions {
        code_page: CodePage::Wpc1252,
        ..EscPosOptions::paper_80mm()
    };
    let job = escpos::render(&receipt, &options).unwrap();
    let lines = texts(&decode(&job.bytes).unwrap().items);
    assert_eq!(lines[0].trim(), "Café Lódz — “Jambo” ??? Straße");
    assert_eq!(job.transliterated, ['Ł', 'ź']);

    // A longer spelling is laid out like any text: nothing grows past the paper.
    receipt.seller.trading_name = "ŁŁŁŁŁŁŁŁ ßßßßßßßßßßßßßßß ŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒ €€€€€€€€".into();
    for page in CodePage::ALL {
        let options = EscPosOptions {
            code_page: page,
            ..EscPosOptions::paper_58mm()
        };
        let job = escpos::render(&receipt, &options).unwrap();
        for item in decode(&job.bytes).unwrap().items {
            if let Printed::Line { text, .. } = item {
                assert!(text.chars().count() <= 32, "{page:?}: {text}");
            }
        }
    }
}

#[test]
fn settings_a_printer_cannot_take_are_refused() {
    let receipt = samples::fixture_invoice();
    let narrow = EscPosOptions::with_columns(24);
    assert!(matches!(
        escpos::render(&receipt, &narrow),
        Err(PrintError::Render(RenderError::Columns { found: 24, .. }))
    ));
    for module in [0, 17] {
        let options = EscPosOptions {
            qr_module: module,
            ..EscPosOptions::paper_80mm()
        };
        let err = escpos::render(&receipt, &options).unwrap_err();
        assert!(matches!(err, PrintError::Setting { .. }), "{err}");
        assert!(err.to_string().contains("1 to 16"), "{err}");
    }
    // A receipt the PDF refuses is refused here too, with the same error.
    let mut bad = samples::fixture_invoice();
    bad.seller.pin = "P05211295".into();
    let err = escpos::render(&bad, &EscPosOptions::paper_80mm()).unwrap_err();
    assert_eq!(
        err.to_string(),
        hesabu_receipts::render(&bad, hesabu_receipts::Format::Thermal80)
            .unwrap_err()
            .to_string()
    );
}

#[test]
fn the_decoder_refuses_what_hesabu_never_sends() {
    assert!(decode(b"hello\n").is_err(), "no ESC @");
    assert!(decode(b"\x1b@hello").is_err(), "no final LF");
    assert!(decode(b"\x1b@\x1b\x99\x00").is_err(), "unknown command");
    assert!(
        decode(b"\x1b@ab\x1bE\x01c\n").is_err(),
        "style change mid-line"
    );
    assert!(
        decode(b"\x1b@\x1d(k\x03\x001Q0").is_err(),
        "QR printed with nothing stored"
    );
    assert_eq!(
        decode(b"\x1b@\x1bE\x01ab\n").unwrap().items,
        [Printed::Line {
            text: "ab".into(),
            bold: true,
            double: false,
            justify: 0
        }]
    );
}
