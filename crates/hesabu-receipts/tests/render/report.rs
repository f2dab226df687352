//! Plain A4 reports (`hesabu_receipts::report`), read back as a person would: the text poppler
//! extracts, in order, page by page.

use hesabu_receipts::Stamp;
use hesabu_receipts::report::{Column, Report, Weight};

use crate::common::{expect_in_order, flat, pdftotext, pdftotext_pages};

fn created() -> Stamp {
    Stamp {
        year: 2026,
        month: 7,
        day: 11,
        hour: 9,
        minute: 0,
        second: 0,
    }
}

fn sample() -> Report {
    let mut report = Report::new("Ripoti ya siku – Duka la Mama Wanjikũ", created());
    report
        .title("Ripoti ya siku")
        .subtitle("Duka la Mama Wanjikũ")
        .line(
            "Generated 2026-07-11 09:00 (Africa/Nairobi)",
            Weight::Regular,
        )
        .space(4)
        .heading("Mauzo")
        .table(
            [
                Column::left("Bidhaa", 3),
                Column::left("Mteja", 2),
                Column::right("Kiasi", 2),
            ],
            [
                [
                    "Maziwa ya ng'ombe".to_owned(),
                    "Zoë Müller-Njoroge".to_owned(),
                    "KES 75,000.00".to_owned(),
                ],
                [
                    "Crème brûlée".to_owned(),
                    "Café Straße".to_owned(),
                    "KES 1,250.50".to_owned(),
                ],
            ],
        )
        .note("! past its SLA due time")
        .space(4)
        .heading("Bajeti")
        .line("Hakuna bajeti.", Weight::Bold);
    report
}

#[test]
fn text_comes_out_in_order_with_accents_and_swahili() {
    let pdf = sample().render().unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let text = pdftotext(&pdf);
    expect_in_order(
        &text,
        &[
            &["Ripoti ya siku"],
            &["Duka la Mama Wanjikũ"],
            &["Generated 2026-07-11 09:00 (Africa/Nairobi)"],
            &["Mauzo"],
            &["Bidhaa", "Mteja", "Kiasi"],
            &["Maziwa ya ng'ombe", "Zoë Müller-Njoroge", "KES 75,000.00"],
            &["Crème brûlée", "Café Straße", "KES 1,250.50"],
            &["! past its SLA due time"],
            &["Bajeti"],
            &["Hakuna bajeti."],
            &["Ripoti ya siku – Duka la Mama Wanjikũ · Page 1 of 1"],
        ],
    );
}

#[test]
fn amounts_line_up_on_the_right() {
    let pdf = sample().render().unwrap();
    let text = pdftotext(&pdf);
    // With -layout, right-aligned amounts end in the same column.
    let ends: Vec<usize> = text
        .lines()
        .filter(|l| l.contains("KES "))
        .map(|l| l.trim_end().chars().count())
        .collect();
    assert_eq!(ends.len(), 2, "{text}");
    assert_eq!(ends[0], ends[1], "{text}");
}

#[test]
fn a_long_report_breaks_onto_more_pages_and_repeats_the_table_heading() {
    let mut report = Report::new("Orodha ndefu", created());
    report.title("Orodha ndefu").table(
        [Column::left("Nambari", 2), Column::right("Kiasi", 1)],
        (1..=120).map(|i| [format!("Hati {i:03}"), format!("KES {i},000.00")]),
    );
    report
        .heading("Mwisho")
        .line("Asante, karibu tena.", Weight::Regular);
    let pdf = report.render().unwrap();
    let pages = pdftotext_pages(&pdf);
    assert!(pages.len() >= 2, "120 rows fill more than a page");
    let count = pages.len();
    for (n, page) in pages.iter().enumerate() {
        assert!(
            page.lines()
                .any(|l| l.contains("Nambari") && l.contains("Kiasi")),
            "page {} repeats the heading:\n{page}",
            n + 1
        );
        assert!(
            flat(page).contains(&format!("Orodha ndefu · Page {} of {count}", n + 1)),
            "page {} has its number:\n{page}",
            n + 1
        );
    }
    assert!(pages[0].contains("Hati 001") && !pages[0].contains("Hati 120"));
    assert!(pages[1].contains("Hati 0") || pages[1].contains("Hati 1"));
    // Every row once, in order, across the pages.
    let all = pages.join("\n");
    let rows: Vec<&str> = all
        .split_whitespace()
        .filter(|w| w.len() == 3 && w.chars().all(|c| c.is_ascii_digit()))
        .collect();
    let expected: Vec<String> = (1..=120).map(|i| format!("{i:03}")).collect();
    assert_eq!(rows, expected);
    let last = pages.last().unwrap();
    expect_in_order(
        last,
        &[&["Hati 120"], &["Mwisho"], &["Asante, karibu tena."]],
    );
}

#[test]
fn characters_the_fonts_lack_do_not_stop_the_report() {
    let mut report = Report::new("Ripoti", created());
    report.line("Cement for Thika 🚚 中", Weight::Regular);
    let text = pdftotext(&report.render().unwrap());
    assert!(
        flat(&text).contains("Cement for Thika \u{FFFD} \u{FFFD}"),
        "{text}"
    );
}
