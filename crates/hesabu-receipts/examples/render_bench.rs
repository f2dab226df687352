//! How long a receipt takes to render, and how that compares with wkhtmltopdf rendering the
//! same receipt as HTML on the same machine (if `wkhtmltopdf` is installed; it runs headless
//! with `QT_QPA_PLATFORM=offscreen`).
//!
//! `cargo run --release -p hesabu-receipts --example render_bench -- [RUNS] [WKHTML_RUNS] [DIR]`
//! (defaults 300 and 15; with DIR, the HTML and wkhtmltopdf's PDFs are kept there to look at).
//! Prints medians in whole microseconds. Figures: docs/benchmarks.md.

use std::process::Command;
use std::time::{Duration, Instant};

use hesabu_receipts::{Format, Receipt, TextStyle, render, render_lines, samples};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let runs: usize = args.next().map_or(Ok(300), |a| a.parse())?;
    let wk_runs: usize = args.next().map_or(Ok(15), |a| a.parse())?;
    let keep = args.next().map(std::path::PathBuf::from);

    let shop = samples::shop_invoice();
    let long = samples::long_invoice(40);
    // The first render parses the bundled fonts; every later one reuses them.
    let first = Instant::now();
    render(&shop, Format::Thermal80)?;
    println!(
        "first render (parses the fonts once): {} µs",
        first.elapsed().as_micros()
    );

    let cases: [(&str, &Receipt, Format); 4] = [
        ("80 mm receipt (3 items)", &shop, Format::Thermal80),
        ("58 mm receipt (3 items)", &shop, Format::Thermal58),
        ("A4 invoice (3 items)", &shop, Format::A4),
        ("A4 invoice (40 items, 2 pages)", &long, Format::A4),
    ];
    let mut ours = Vec::new();
    for (name, receipt, format) in cases {
        let mut size = 0;
        let median = median_us(runs, || {
            size = render(receipt, format).map(|pdf| pdf.len()).unwrap_or(0);
        });
        println!("{name}: median {median} µs over {runs} renders, {size} bytes");
        ours.push((name, median));
    }

    let probe = Command::new("wkhtmltopdf")
        .arg("--version")
        .env("QT_QPA_PLATFORM", "offscreen")
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        println!("wkhtmltopdf: not installed (apt-get install wkhtmltopdf), no comparison");
        return Ok(());
    }
    let dir = match &keep {
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            dir.clone()
        }
        None => tempfile_dir()?,
    };
    let html = dir.join("receipt.html");
    std::fs::write(&html, receipt_html(&shop)?)?;
    for (name, size_args, our, file) in [
        (
            "80 mm receipt (3 items)",
            &["--page-width", "80mm", "--page-height", "300mm"][..],
            ours[0].1,
            "wkhtmltopdf-80mm.pdf",
        ),
        (
            "A4 invoice (3 items)",
            &["--page-size", "A4"][..],
            ours[2].1,
            "wkhtmltopdf-a4.pdf",
        ),
    ] {
        let out = dir.join(file);
        let mut failed = false;
        let median = median_us(wk_runs, || {
            let status = Command::new("wkhtmltopdf")
                .env("QT_QPA_PLATFORM", "offscreen")
                .args(["--quiet", "--margin-top", "4mm", "--margin-bottom", "4mm"])
                .args(size_args)
                .arg(&html)
                .arg(&out)
                .stderr(std::process::Stdio::null())
                .status();
            failed |= !status.is_ok_and(|s| s.success());
        });
        if failed {
            println!("wkhtmltopdf failed on {name}");
            continue;
        }
        // The ratio to one decimal, in integers.
        let tenths = median * 10 / our.max(1);
        println!(
            "wkhtmltopdf, {name}: median {median} µs over {wk_runs} runs; this crate is {}.{}× faster",
            tenths / 10,
            tenths % 10
        );
    }
    if keep.is_none() {
        std::fs::remove_dir_all(&dir)?;
    }
    Ok(())
}

fn median_us(runs: usize, mut f: impl FnMut()) -> u128 {
    let mut times: Vec<Duration> = (0..runs.max(1))
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2].as_micros()
}

fn tempfile_dir() -> std::io::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("hesabu-render-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// The same receipt as HTML: the roll's lines (same text, same bold and double-size lines) in
/// DejaVu Sans Mono, and the QR code as an inline SVG, as a web-rendered receipt would be.
fn receipt_html(receipt: &Receipt) -> Result<String, Box<dyn std::error::Error>> {
    let mut body = String::new();
    for line in render_lines(receipt, 48)? {
        let text = line
            .text
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        match line.style {
            TextStyle::Normal => body.push_str(&format!("<div>{text}&nbsp;</div>\n")),
            TextStyle::Bold => body.push_str(&format!("<div class=b>{text}&nbsp;</div>\n")),
            TextStyle::Double => body.push_str(&format!("<div class=d>{text}</div>\n")),
            TextStyle::Qr => body.push_str(&qr_svg(&line.text)?),
        }
    }
    Ok(format!(
        "<!doctype html><html><head><meta charset=utf-8><style>\
         body{{font-family:'DejaVu Sans Mono',monospace;font-size:7pt;margin:0}}\
         div{{white-space:pre;line-height:3.5mm}} .b{{font-weight:bold}}\
         .d{{font-weight:bold;font-size:14pt;line-height:7mm}} svg{{display:block;margin:2mm auto}}\
         </style></head><body>{body}</body></html>"
    ))
}

fn qr_svg(url: &str) -> Result<String, Box<dyn std::error::Error>> {
    let code = qrcodegen::QrCode::encode_text(url, qrcodegen::QrCodeEcc::Medium)?;
    let width = code.size();
    let mut svg = format!(
        "<svg xmlns='http://www.w3.org/2000/svg' width='28mm' height='28mm' viewBox='-4 -4 {} {}'>",
        width + 8,
        width + 8
    );
    for y in 0..width {
        for x in 0..width {
            if code.get_module(x, y) {
                svg.push_str(&format!("<rect x='{x}' y='{y}' width='1' height='1'/>"));
            }
        }
    }
    svg.push_str("</svg>\n");
    Ok(svg)
}
