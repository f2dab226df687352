//! What the tests read PDFs with: poppler's `pdftotext` and `pdftoppm`, and zbar's `zbarimg`
//! (Debian packages poppler-utils and zbar-tools, installed by scripts/install-deps.sh), so a
//! test sees what a person or a scanner would.

use std::path::Path;
use std::process::Command;

use hesabu_receipts::{Format, Receipt};

fn run(program: &str, args: &[&str], package: &str) -> String {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run {program} ({e}): install {package} (scripts/install-deps.sh)")
        });
    assert!(
        output.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn save(dir: &Path, pdf: &[u8]) -> String {
    let path = dir.join("receipt.pdf");
    std::fs::write(&path, pdf).unwrap();
    path.to_str().unwrap().to_owned()
}

/// The PDF's text as `pdftotext -layout` extracts it.
pub fn pdftotext(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = save(dir.path(), pdf);
    run("pdftotext", &["-layout", &path, "-"], "poppler-utils")
}

/// The text of each page of the PDF (`pdftotext -layout`, split at its form feeds).
pub fn pdftotext_pages(pdf: &[u8]) -> Vec<String> {
    let text = pdftotext(pdf);
    let mut pages: Vec<String> = text.split('\x0c').map(str::to_owned).collect();
    // pdftotext ends every page, the last included, with a form feed.
    if pages.last().is_some_and(|p| p.trim().is_empty()) {
        pages.pop();
    }
    pages
}

/// A word and its box in points: (word, x_min, y_min, x_max, y_max).
pub type Word = (String, i64, i64, i64, i64);

/// Each word of the PDF with its box, and the page width in points.
pub fn words(pdf: &[u8]) -> (i64, Vec<Word>) {
    let dir = tempfile::tempdir().unwrap();
    let path = save(dir.path(), pdf);
    let html = run("pdftotext", &["-bbox", &path, "-"], "poppler-utils");
    let attr = |tag: &str, name: &str| -> i64 {
        let start = tag.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        let value = &tag[start..start + tag[start..].find('"').unwrap()];
        // Whole points are enough here; the fraction is dropped without floats.
        value.split('.').next().unwrap().parse().unwrap()
    };
    let page = html.find("<page ").unwrap();
    let width = attr(&html[page..], "width");
    let mut out = Vec::new();
    for chunk in html.split("<word ").skip(1) {
        let (tag, rest) = chunk.split_once('>').unwrap();
        let word = rest.split("</word>").next().unwrap();
        out.push((
            word.replace("&amp;", "&")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'"),
            attr(tag, "xMin"),
            attr(tag, "yMin"),
            attr(tag, "xMax"),
            attr(tag, "yMax"),
        ));
    }
    (width, out)
}

/// What `zbarimg` reads from the PDF rasterised at 300 dpi (`pdftoppm -r 300`), one string per
/// code found on any page.
pub fn qr_codes(pdf: &[u8]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = save(dir.path(), pdf);
    let prefix = dir.path().join("page");
    run(
        "pdftoppm",
        &["-r", "300", "-png", &path, prefix.to_str().unwrap()],
        "poppler-utils",
    );
    let mut found = Vec::new();
    let mut pages: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    pages.sort();
    for png in pages {
        let output = Command::new("zbarimg")
            .args(["--raw", "-q", png.to_str().unwrap()])
            .output()
            .unwrap_or_else(|e| {
                panic!("cannot run zbarimg ({e}): install zbar-tools (scripts/install-deps.sh)")
            });
        // zbarimg exits 4 when a page has no code: not an error here.
        found.extend(
            String::from_utf8(output.stdout)
                .unwrap()
                .lines()
                .map(str::to_owned),
        );
    }
    found
}

/// Checks that `text` has each step, in order: a step's fragments on one line, in order, after
/// where the previous step ended.
#[track_caller]
pub fn expect_in_order(text: &str, steps: &[&[&str]]) {
    let lines: Vec<&str> = text.lines().collect();
    let (mut line, mut col) = (0, 0);
    for step in steps {
        let mut found = None;
        for (n, l) in lines.iter().enumerate().skip(line) {
            let mut at = if n == line { col } else { 0 };
            let mut all = true;
            for fragment in *step {
                match l.get(at..).and_then(|rest| rest.find(fragment)) {
                    Some(i) => at += i + fragment.len(),
                    None => {
                        all = false;
                        break;
                    }
                }
            }
            if all {
                found = Some((n, at));
                break;
            }
        }
        match found {
            Some(position) => (line, col) = position,
            None => panic!(
                "{step:?} not found (in order, on one line) after line {}:\n{}",
                line + 1,
                numbered(text)
            ),
        }
    }
}

/// `text` with every run of whitespace made one space: a sentence wrapped over lines reads
/// whole again.
pub fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub fn numbered(text: &str) -> String {
    text.lines()
        .enumerate()
        .map(|(n, l)| format!("{:3} {l}\n", n + 1))
        .collect()
}

pub const FORMATS: [Format; 3] = Format::ALL;

/// Renders and extracts the text, naming the format on failure.
pub fn text_of(receipt: &Receipt, format: Format) -> String {
    let pdf =
        hesabu_receipts::render(receipt, format).unwrap_or_else(|e| panic!("{format:?}: {e}"));
    pdftotext(&pdf)
}
