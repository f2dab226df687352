//! A tiny text-only PDF layout on top of `pdf-writer`: A4 pages, the standard Helvetica fonts
//! (no embedding), lines of text at integer point coordinates, automatic page breaks.
//!
//! Coordinates are whole points (1/72 inch) passed as integers, so no float is needed; amounts
//! arrive as already formatted strings (from `Decimal`). Content streams are left uncompressed:
//! the files are small and their text can be checked by tests and read by `grep`.

use pdf_writer::{Content, Finish, Name, Pdf, Ref, Str, TextStr};

/// A4 in points.
const PAGE_WIDTH: i32 = 595;
const PAGE_HEIGHT: i32 = 842;
const MARGIN: i32 = 50;

const REGULAR: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Font {
    Regular,
    Bold,
}

/// Builds a document line by line, top to bottom.
pub(crate) struct Layout {
    pages: Vec<Vec<u8>>,
    current: Content,
    /// Baseline of the current line, from the bottom of the page.
    y: i32,
}

impl std::fmt::Debug for Layout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Layout")
            .field("pages", &self.pages.len())
            .field("y", &self.y)
            .finish_non_exhaustive()
    }
}

/// PDF's standard fonts use WinAnsiEncoding: Latin-1 plus a few typographic characters. Text is
/// mapped to it; anything else becomes '?', except common dashes and quotes, which get their
/// plain equivalents.
fn win_ansi(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\u{2013}' | '\u{2014}' | '\u{2212}' => out.push(b'-'),
            '\u{2018}' | '\u{2019}' => out.push(b'\''),
            '\u{201c}' | '\u{201d}' => out.push(b'"'),
            '\u{2026}' => out.extend_from_slice(b"..."),
            '\u{a0}'..='\u{ff}' => out.push(u8::try_from(u32::from(c)).unwrap_or(b'?')),
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c as u8),
            _ => out.push(b'?'),
        }
    }
    out
}

impl Layout {
    pub(crate) fn new() -> Self {
        Self {
            pages: Vec::new(),
            current: Content::new(),
            y: PAGE_HEIGHT - MARGIN,
        }
    }

    /// Moves down by `step` points; starts a new page if the next line would not fit.
    pub(crate) fn down(&mut self, step: i32) {
        self.y -= step;
        if self.y < MARGIN {
            self.break_page();
        }
    }

    fn break_page(&mut self) {
        let page = std::mem::replace(&mut self.current, Content::new());
        self.pages.push(page.finish().to_vec());
        self.y = PAGE_HEIGHT - MARGIN;
    }

    /// Writes `text` on the current line, starting `x` points from the left margin.
    pub(crate) fn text(&mut self, x: i32, font: Font, size: i32, text: &str) {
        let name = match font {
            Font::Regular => REGULAR,
            Font::Bold => BOLD,
        };
        let bytes = win_ansi(text);
        self.current.begin_text();
        self.current.op("Tf").operand(name).operand(size);
        self.current.op("Td").operand(MARGIN + x).operand(self.y);
        self.current.show(Str(&bytes));
        self.current.end_text();
    }

    /// A line of cells at the given offsets, then moves down one line.
    pub(crate) fn row(&mut self, cells: &[(i32, &str)], font: Font, size: i32) {
        for (x, text) in cells {
            self.text(*x, font, size, text);
        }
        self.down(size + 4);
    }

    /// A thin rule across the page under the current line.
    pub(crate) fn rule(&mut self) {
        let y = self.y + 8;
        self.current.op("w").operand(1);
        self.current.op("m").operand(MARGIN).operand(y);
        self.current.op("l").operand(PAGE_WIDTH - MARGIN).operand(y);
        self.current.op("S");
    }

    /// The finished file.
    pub(crate) fn finish(mut self, title: &str) -> Vec<u8> {
        let last = std::mem::replace(&mut self.current, Content::new());
        self.pages.push(last.finish().to_vec());

        let catalog = Ref::new(1);
        let tree = Ref::new(2);
        let regular = Ref::new(3);
        let bold = Ref::new(4);
        let info = Ref::new(5);
        let first_page = 6;
        let page_refs: Vec<(Ref, Ref)> = (0..self.pages.len())
            .map(|i| {
                let n = first_page + 2 * i32::try_from(i).unwrap_or(0);
                (Ref::new(n), Ref::new(n + 1))
            })
            .collect();

        let mut pdf = Pdf::new();
        pdf.catalog(catalog).pages(tree);
        pdf.pages(tree)
            .kids(page_refs.iter().map(|(page, _)| *page))
            .count(i32::try_from(page_refs.len()).unwrap_or(1));
        for ((page_id, content_id), stream) in page_refs.iter().zip(&self.pages) {
            let mut page = pdf.page(*page_id);
            page.parent(tree);
            // The media box as integers (Rect would need floats; these are not money, but
            // integers are all a page size needs).
            page.insert(Name(b"MediaBox"))
                .array()
                .items([0, 0, PAGE_WIDTH, PAGE_HEIGHT]);
            page.contents(*content_id);
            page.resources()
                .fonts()
                .pair(REGULAR, regular)
                .pair(BOLD, bold);
            page.finish();
            pdf.stream(*content_id, stream);
        }
        pdf.type1_font(regular)
            .base_font(Name(b"Helvetica"))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
        pdf.type1_font(bold)
            .base_font(Name(b"Helvetica-Bold"))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
        pdf.document_info(info)
            .title(TextStr(title))
            .creator(TextStr("Hesabu"));
        pdf.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_mapped_to_win_ansi() {
        assert_eq!(win_ansi("Café – 5"), b"Caf\xe9 - 5".to_vec());
        assert_eq!(win_ansi("日"), b"?".to_vec());
    }

    #[test]
    fn a_long_document_breaks_into_pages_and_keeps_its_text() {
        let mut layout = Layout::new();
        for i in 0..200 {
            layout.row(&[(0, &format!("Line {i}"))], Font::Regular, 10);
        }
        let bytes = layout.finish("Test");
        assert!(bytes.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("(Line 0) Tj"));
        assert!(text.contains("(Line 199) Tj"));
        assert!(
            text.contains("/Count 4"),
            "200 lines at 54 a page need 4 pages"
        );
        assert!(text.trim_end().ends_with("%%EOF"));
    }
}
