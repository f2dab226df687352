//! Writes the sample receipts in every format to a folder, to look at them:
//! `cargo run -p hesabu-receipts --example samples -- /tmp/receipts`, then
//! `pdftoppm -png -r 150 /tmp/receipts/invoice-80mm.pdf /tmp/receipts/invoice-80mm`.

use hesabu_receipts::{Format, Receipt, render, render_text, samples};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "receipts".to_owned());
    std::fs::create_dir_all(&dir)?;
    let mut copy = samples::fixture_invoice();
    copy.copy = true;
    let mut unsigned = samples::shop_invoice();
    unsigned.signature = None;
    let receipts: [(&str, Receipt); 6] = [
        ("invoice", samples::fixture_invoice()),
        ("shop", samples::shop_invoice()),
        ("credit-note", samples::fixture_credit_note()),
        ("copy", copy),
        ("unsigned", unsigned),
        ("long", samples::long_invoice(80)),
    ];
    for (name, receipt) in &receipts {
        for (format, suffix) in [
            (Format::Thermal80, "80mm"),
            (Format::Thermal58, "58mm"),
            (Format::A4, "a4"),
        ] {
            let path = format!("{dir}/{name}-{suffix}.pdf");
            std::fs::write(&path, render(receipt, format)?)?;
            println!("{path}");
        }
        std::fs::write(
            format!("{dir}/{name}-80mm.txt"),
            render_text(receipt, Format::Thermal80.columns())?,
        )?;
    }
    Ok(())
}
