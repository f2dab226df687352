//! Plain A4 reports: a title, lines of text in regular or bold, and tables with right-aligned
//! amount columns, set in the bundled DejaVu Sans on as many A4 pages as they need, each with a
//! footer giving the document's title and page number. Plain data in, PDF bytes out: no
//! database and no Hesabu type, like the rest of the crate (the app's daily summary is built
//! with it).
//!
//! ```no_run
//! # fn demo() -> Result<(), hesabu_receipts::RenderError> {
//! use hesabu_receipts::Stamp;
//! use hesabu_receipts::report::{Column, Report, Weight};
//!
//! let created = Stamp { year: 2026, month: 7, day: 11, hour: 9, minute: 0, second: 0 };
//! let mut report = Report::new("Daily summary – Duka la Mama Wanjikũ", created);
//! report.title("Daily summary").line("Generated 2026-07-11 09:00", Weight::Regular);
//! report.space(4).heading("Budgets");
//! report.table(
//!     [Column::left("Department", 3), Column::right("Budgeted", 2)],
//!     [["Operations".to_owned(), "KES 75,000.00".to_owned()]],
//! );
//! let pdf: Vec<u8> = report.render()?;
//! # Ok(()) }
//! ```
//!
//! It reuses the A4 invoice's page (margins, footer, line filling) and the PDF writer, so it is
//! **deterministic** in the same way: the PDF is dated with the [`Stamp`] given to
//! [`Report::new`], never the wall clock, and the same report renders the same bytes on every
//! run of a build.
//!
//! **Nothing is cut off**: text longer than the page, or than its table column, continues on the
//! next line (a word wider than the line is cut where it overflows), and a row taller than what
//! is left of a page continues on the next one, under the table's repeated heading.
//!
//! **Characters**: the fonts cover Latin (é, ß, ñ, ũ, Swahili), Greek and Cyrillic. Unlike a
//! receipt, which refuses a character it cannot print, a report prints `�` (U+FFFD) in its place
//! and goes on: a report summarises data the user typed (a document title with an emoji), and
//! refusing the whole report over one character would lose the rest. Tabs and line breaks
//! become spaces; other control characters become `�` too.

use crate::a4::{self, BOTTOM, GAP, LEFT, PAGE_H, PAGE_W, PT, RIGHT, RULE, TOP, WIDTH};
use crate::error::RenderError;
use crate::fonts::{self, Face, FaceData};
use crate::model::Stamp;
use crate::pdf::{self, Draw, Page};

/// The title: 18 pt bold.
const TITLE: i64 = 18 * PT;
/// A section heading: 13 pt bold.
const HEADING: i64 = 13 * PT;
/// A subtitle under the title: 12 pt bold.
const SUBTITLE: i64 = 12 * PT;
/// Lines of text: 10 pt.
const BODY: i64 = 10 * PT;
/// Table cells and headings: 9 pt.
const CELL: i64 = 9 * PT;
/// A note: 8 pt.
const NOTE: i64 = 8 * PT;
/// Room kept under a heading so that it is never the last line of a page: two body lines.
const KEEP_WITH_NEXT: i64 = 2 * line_height(BODY);
/// Gap between table columns: smaller than the invoice's, as a report's tables are wider.
const COLUMN_GAP: i64 = GAP * 3 / 5;

/// The printed character for one the fonts lack.
const REPLACEMENT: char = '\u{FFFD}';

/// The height of a line of text `size` µm high: 1.4 times the size.
const fn line_height(size: i64) -> i64 {
    size * 14 / 10
}

/// Regular or bold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Weight {
    Regular,
    Bold,
}

impl Weight {
    fn face(self) -> Face {
        match self {
            Weight::Regular => Face::Sans,
            Weight::Bold => Face::SansBold,
        }
    }
}

/// How a table column's heading and cells sit in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Align {
    /// Text: against the column's left edge.
    Left,
    /// Amounts: against the column's right edge, so that their digits line up.
    Right,
}

/// A table column: its heading, its alignment and its share of the page's width.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Column {
    pub heading: String,
    pub align: Align,
    /// The column's width relative to the others' (a column of share 2 is twice as wide as one
    /// of share 1); the shares of a table divide the width between the margins. A share of 0
    /// counts as 1.
    pub share: u16,
}

impl Column {
    /// A text column, left-aligned.
    pub fn left(heading: impl Into<String>, share: u16) -> Column {
        Column {
            heading: heading.into(),
            align: Align::Left,
            share,
        }
    }

    /// An amount column, right-aligned.
    pub fn right(heading: impl Into<String>, share: u16) -> Column {
        Column {
            heading: heading.into(),
            align: Align::Right,
            share,
        }
    }
}

/// One part of a report, top to bottom.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Block {
    /// Text filled into lines across the page.
    Text {
        text: String,
        size: i64,
        weight: Weight,
        /// A heading: kept on the page of what follows it.
        keep_with_next: bool,
    },
    /// Empty space, µm.
    Space(i64),
    /// A table: its heading (repeated on each page it spans), a rule, its rows.
    Table {
        columns: Vec<Column>,
        rows: Vec<Vec<String>>,
    },
}

/// A report being written, top to bottom; [`Report::render`] lays it out on A4 pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    title: String,
    created: Stamp,
    blocks: Vec<Block>,
}

impl Report {
    /// An empty report. `title` is the document's title (the PDF's and each page's footer);
    /// `created`, Nairobi time, dates the PDF.
    pub fn new(title: impl Into<String>, created: Stamp) -> Report {
        Report {
            title: title.into(),
            created,
            blocks: Vec::new(),
        }
    }

    fn text(&mut self, text: &str, size: i64, weight: Weight, keep_with_next: bool) -> &mut Self {
        self.blocks.push(Block::Text {
            text: text.to_owned(),
            size,
            weight,
            keep_with_next,
        });
        self
    }

    /// The title printed at the top: 18 pt bold.
    pub fn title(&mut self, text: &str) -> &mut Self {
        self.text(text, TITLE, Weight::Bold, true)
    }

    /// A subtitle: 12 pt bold.
    pub fn subtitle(&mut self, text: &str) -> &mut Self {
        self.text(text, SUBTITLE, Weight::Bold, true)
    }

    /// A section heading: 13 pt bold, never alone at the bottom of a page.
    pub fn heading(&mut self, text: &str) -> &mut Self {
        self.text(text, HEADING, Weight::Bold, true)
    }

    /// A line of text, 10 pt (continued on further lines when longer than the page is wide).
    /// An empty line leaves a blank line.
    pub fn line(&mut self, text: &str, weight: Weight) -> &mut Self {
        self.text(text, BODY, weight, false)
    }

    /// A note: 8 pt regular.
    pub fn note(&mut self, text: &str) -> &mut Self {
        self.text(text, NOTE, Weight::Regular, false)
    }

    /// `mm` millimetres of empty space (none at the top of a page).
    pub fn space(&mut self, mm: u8) -> &mut Self {
        self.blocks.push(Block::Space(i64::from(mm) * 1_000));
        self
    }

    /// A table in 9 pt: the columns' headings in bold over a rule, then one line (or more, for
    /// cells longer than their column) per row. The headings are repeated at the top of each
    /// page the table continues on.
    pub fn table<const N: usize>(
        &mut self,
        columns: [Column; N],
        rows: impl IntoIterator<Item = [String; N]>,
    ) -> &mut Self {
        self.blocks.push(Block::Table {
            columns: columns.into(),
            rows: rows.into_iter().map(Vec::from).collect(),
        });
        self
    }

    /// The report as a PDF. Fails only if the bundled fonts cannot be read or the PDF cannot be
    /// written ([`RenderError::Internal`]: a bug, not an input to fix).
    pub fn render(&self) -> Result<Vec<u8>, RenderError> {
        let pages = self.pages()?;
        pdf::write(&self.title, self.created, &pages)
    }

    /// The laid-out pages.
    fn pages(&self) -> Result<Vec<Page>, RenderError> {
        let mut layout = Layout {
            regular: fonts::face(Face::Sans)?,
            bold: fonts::face(Face::SansBold)?,
            pages: Vec::new(),
            draws: Vec::new(),
            y: TOP,
            table: None,
        };
        for block in &self.blocks {
            match block {
                Block::Text {
                    text,
                    size,
                    weight,
                    keep_with_next,
                } => layout.paragraph(text, *size, *weight, *keep_with_next),
                Block::Space(height) => layout.space(*height),
                Block::Table { columns, rows } => {
                    layout.table(columns, rows);
                    layout.table = None;
                }
            }
        }
        layout.pages.push(std::mem::take(&mut layout.draws));

        let title = printable(layout.regular, &self.title);
        let count = layout.pages.len();
        Ok(layout
            .pages
            .into_iter()
            .enumerate()
            .map(|(i, mut draws)| {
                draws.push(a4::footer(layout.regular, &title, i + 1, count));
                Page {
                    width: PAGE_W,
                    height: PAGE_H,
                    draws,
                }
            })
            .collect())
    }
}

/// `text` with every character the face lacks, and every control character, replaced by `�`;
/// tabs and line breaks become spaces.
fn printable(face: &FaceData, text: &str) -> String {
    let replacement = if face.glyph(REPLACEMENT).is_some() {
        REPLACEMENT
    } else {
        '?'
    };
    text.chars()
        .map(|c| match c {
            c if c.is_whitespace() => ' ',
            c if c.is_control() || face.glyph(c).is_none() => replacement,
            c => c,
        })
        .collect()
}

/// A table's columns placed on the page.
#[derive(Debug, Clone)]
struct Placed {
    /// (left edge, width, alignment) of each column, µm.
    columns: Vec<(i64, i64, Align)>,
    headings: Vec<String>,
}

struct Layout {
    regular: &'static FaceData,
    bold: &'static FaceData,
    /// The finished pages' draws (the footers are added at the end, when the count is known).
    pages: Vec<Vec<Draw>>,
    draws: Vec<Draw>,
    /// Top of the next line on the current page, µm.
    y: i64,
    /// In a table: its columns, to repeat its heading on a new page.
    table: Option<Placed>,
}

impl Layout {
    fn data(&self, weight: Weight) -> &'static FaceData {
        match weight {
            Weight::Regular => self.regular,
            Weight::Bold => self.bold,
        }
    }

    /// Makes room for `height` more on this page, or starts a new one (with the table's heading
    /// when in a table). A height taller than a page gets a page of its own.
    fn ensure(&mut self, height: i64) {
        if self.y + height <= BOTTOM || self.y == TOP {
            return;
        }
        self.pages.push(std::mem::take(&mut self.draws));
        self.y = TOP;
        if let Some(table) = self.table.clone() {
            self.table_head(&table);
        }
    }

    fn space(&mut self, height: i64) {
        if self.y == TOP {
            return;
        }
        if self.y + height > BOTTOM {
            self.ensure(height);
        } else {
            self.y += height;
        }
    }

    fn draw_text(&mut self, x: i64, top: i64, size: i64, weight: Weight, text: &str) {
        if text.is_empty() {
            return;
        }
        self.draws.push(Draw::Text {
            x,
            baseline: top + line_height(size) * 3 / 4,
            face: weight.face(),
            size,
            text: text.to_owned(),
        });
    }

    fn paragraph(&mut self, text: &str, size: i64, weight: Weight, keep_with_next: bool) {
        let face = self.data(weight);
        let text = printable(face, text);
        let line = line_height(size);
        let lines = a4::wrap(face, &text, size, WIDTH);
        let last = lines.len().saturating_sub(1);
        for (i, l) in lines.iter().enumerate() {
            let keep = if keep_with_next && i == last {
                KEEP_WITH_NEXT
            } else {
                0
            };
            self.ensure(line + keep);
            self.draw_text(LEFT, self.y, size, weight, l);
            self.y += line;
        }
    }

    fn table(&mut self, columns: &[Column], rows: &[Vec<String>]) {
        let placed = place(columns, self.bold);
        // The heading with its first row, or with a line of room under it.
        self.ensure(line_height(CELL) * 2 + 1_400);
        self.table_head(&placed);
        self.table = Some(placed.clone());
        for row in rows {
            let cells: Vec<Vec<String>> = placed
                .columns
                .iter()
                .zip(row)
                .map(|((_, width, _), cell)| {
                    a4::wrap(self.regular, &printable(self.regular, cell), CELL, *width)
                })
                .collect();
            let height = cells.iter().map(Vec::len).max().unwrap_or(1);
            let line = line_height(CELL);
            // A row is kept on one page, unless it is taller than half a page: that one
            // continues on the next page line by line, rather than leaving a page empty.
            let row = line * i64::try_from(height).unwrap_or(1);
            if row <= (BOTTOM - TOP) / 2 {
                self.ensure(row);
            }
            for n in 0..height {
                self.ensure(line);
                let top = self.y;
                for ((x, width, align), lines) in placed.columns.iter().zip(&cells) {
                    if let Some(l) = lines.get(n) {
                        self.cell(*x, *width, *align, top, Weight::Regular, l);
                    }
                }
                self.y += line;
            }
        }
        // A little air between the last row and what follows.
        self.space(1_000);
    }

    fn cell(&mut self, x: i64, width: i64, align: Align, top: i64, weight: Weight, text: &str) {
        let x = match align {
            Align::Left => x,
            Align::Right => x + width - self.data(weight).width_um(text, CELL),
        };
        self.draw_text(x, top, CELL, weight, text);
    }

    /// The table's headings, in bold over a rule.
    fn table_head(&mut self, table: &Placed) {
        let line = line_height(CELL);
        let heads: Vec<Vec<String>> = table
            .columns
            .iter()
            .zip(&table.headings)
            .map(|((_, width, _), h)| a4::wrap(self.bold, h, CELL, *width))
            .collect();
        let height = heads.iter().map(Vec::len).max().unwrap_or(1);
        for n in 0..height {
            let top = self.y;
            for ((x, width, align), lines) in table.columns.iter().zip(&heads) {
                if let Some(l) = lines.get(n) {
                    self.cell(*x, *width, *align, top, Weight::Bold, l);
                }
            }
            self.y += line;
        }
        self.draws.push(Draw::Rect {
            x: LEFT,
            y: self.y,
            w: WIDTH,
            h: RULE / 2,
        });
        self.y += 1_400;
    }
}

/// The columns' left edges and widths: the page's width less the gaps, shared out by their
/// shares; the last column ends at the right margin.
fn place(columns: &[Column], bold: &FaceData) -> Placed {
    let n = i64::try_from(columns.len()).unwrap_or(1).max(1);
    let shares: Vec<i64> = columns.iter().map(|c| i64::from(c.share.max(1))).collect();
    let total: i64 = shares.iter().sum::<i64>().max(1);
    let room = WIDTH - COLUMN_GAP * (n - 1);
    let mut x = LEFT;
    let mut placed = Vec::with_capacity(columns.len());
    for (i, (c, share)) in columns.iter().zip(&shares).enumerate() {
        let width = if i + 1 == columns.len() {
            RIGHT - x
        } else {
            room * share / total
        };
        placed.push((x, width, c.align));
        x += width + COLUMN_GAP;
    }
    Placed {
        columns: placed,
        headings: columns
            .iter()
            .map(|c| printable(bold, &c.heading))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    /// Each page's text draws, top to bottom: (page, baseline, x, text).
    fn texts(pages: &[Page]) -> Vec<(usize, i64, i64, String)> {
        let mut out = Vec::new();
        for (n, page) in pages.iter().enumerate() {
            for d in &page.draws {
                if let Draw::Text {
                    x, baseline, text, ..
                } = d
                {
                    out.push((n, *baseline, *x, text.clone()));
                }
            }
        }
        out
    }

    #[test]
    fn characters_the_fonts_lack_print_as_the_replacement_character() {
        let sans = fonts::face(Face::Sans).unwrap();
        let bold = fonts::face(Face::SansBold).unwrap();
        assert!(sans.glyph(REPLACEMENT).is_some() && bold.glyph(REPLACEMENT).is_some());
        assert_eq!(
            printable(sans, "Karibu\t中 Wanjikũ\u{7}\nÉté"),
            "Karibu \u{FFFD} Wanjikũ\u{FFFD} Été"
        );
    }

    #[test]
    fn amounts_are_right_aligned_at_their_column_edge() {
        let mut report = Report::new("T", created());
        report.table(
            [Column::left("Item", 3), Column::right("Amount", 1)],
            [
                ["Cement".to_owned(), "75,000.00".to_owned()],
                ["Sand".to_owned(), "5.00".to_owned()],
            ],
        );
        let pages = report.pages().unwrap();
        let sans = fonts::face(Face::Sans).unwrap();
        let bold = fonts::face(Face::SansBold).unwrap();
        let right_edges: Vec<i64> = texts(&pages)
            .iter()
            .filter(|(_, _, _, t)| ["Amount", "75,000.00", "5.00"].contains(&t.as_str()))
            .map(|(_, _, x, t)| {
                let face = if t == "Amount" { bold } else { sans };
                x + face.width_um(t, CELL)
            })
            .collect();
        assert_eq!(right_edges.len(), 3);
        // Integer division in the widths may differ by a micrometre.
        assert!(
            right_edges.iter().all(|r| (r - RIGHT).abs() <= 1),
            "{right_edges:?} should end at {RIGHT}"
        );
    }

    #[test]
    fn a_long_table_repeats_its_heading_on_each_page_and_nothing_passes_the_bottom() {
        let mut report = Report::new("Long", created());
        report.title("Long").table(
            [Column::left("Row", 1), Column::right("Amount", 1)],
            (0..150).map(|i| [format!("Row {i}"), format!("{i}.00")]),
        );
        let pages = report.pages().unwrap();
        assert!(pages.len() >= 2, "150 rows need more than a page");
        let all = texts(&pages);
        for n in 0..pages.len() {
            let on_page: Vec<&(usize, i64, i64, String)> =
                all.iter().filter(|(p, ..)| *p == n).collect();
            assert!(
                on_page.iter().any(|(.., t)| t == "Row"),
                "page {n} has the heading"
            );
            assert!(
                on_page
                    .iter()
                    .filter(|(.., t)| !t.contains("Page"))
                    .all(|(_, baseline, ..)| *baseline <= BOTTOM),
                "page {n} stays above the footer"
            );
        }
        let rows: Vec<&String> = all
            .iter()
            .map(|(.., t)| t)
            .filter(|t| t.starts_with("Row "))
            .collect();
        assert_eq!(rows.len(), 150, "every row once, in order");
        assert_eq!(rows[0], "Row 0");
        assert_eq!(rows[149], "Row 149");
    }

    #[test]
    fn a_cell_longer_than_its_column_wraps_within_it() {
        let long = "a very long description that cannot fit in a narrow column at all";
        let mut report = Report::new("T", created());
        report.table(
            [Column::left("Text", 1), Column::right("Amount", 5)],
            [[long.to_owned(), "1.00".to_owned()]],
        );
        let pages = report.pages().unwrap();
        let placed = place(
            &[Column::left("Text", 1), Column::right("Amount", 5)],
            fonts::face(Face::SansBold).unwrap(),
        );
        let (_, width, _) = placed.columns[0];
        let sans = fonts::face(Face::Sans).unwrap();
        let pieces: Vec<String> = texts(&pages)
            .into_iter()
            .filter(|(_, _, x, t)| *x == LEFT && t != "Text" && !t.contains("Page"))
            .map(|(.., t)| t)
            .collect();
        assert!(pieces.len() > 1, "{pieces:?}");
        assert!(pieces.iter().all(|p| sans.width_um(p, CELL) <= width));
        assert_eq!(pieces.join(" "), long);
    }

    #[test]
    fn a_heading_is_not_left_alone_at_the_bottom_of_a_page() {
        let mut report = Report::new("T", created());
        // Fill the page to just above the bottom, leaving room for the heading alone.
        let body = line_height(BODY);
        let lines = (BOTTOM - TOP - line_height(HEADING)) / body;
        for i in 0..lines {
            report.line(&format!("line {i}"), Weight::Regular);
        }
        report
            .heading("Next section")
            .line("its text", Weight::Regular);
        let pages = report.pages().unwrap();
        assert_eq!(pages.len(), 2);
        let all = texts(&pages);
        let heading = all.iter().find(|(.., t)| t == "Next section").unwrap();
        assert_eq!(heading.0, 1, "the heading moves to the page of its text");
    }

    #[test]
    fn the_same_report_renders_the_same_bytes() {
        let build = || {
            let mut report = Report::new("Ripoti ya kila siku", created());
            report
                .title("Ripoti")
                .line("Karibu", Weight::Regular)
                .table(
                    [Column::left("A", 1), Column::right("B", 1)],
                    [["x".to_owned(), "1.00".to_owned()]],
                );
            report.render().unwrap()
        };
        let first = build();
        assert!(first.starts_with(b"%PDF-"));
        assert_eq!(first, build());
    }
}
