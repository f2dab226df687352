//! The A4 invoice: the same blocks in the same order as the roll, set in DejaVu Sans on as many
//! A4 pages as the items need. The seller's header on the left, the items as a table with
//! right-aligned amount columns (its heading repeated on each page), the totals in a column on
//! the right, the QR code beside the SCU information, and a footer with the page number.

use crate::content::{Block, Content, Group, Item};
use crate::error::RenderError;
use crate::fonts::{self, Face, FaceData};
use crate::pdf::{Draw, Page};
use crate::qr;

pub(crate) const PAGE_W: i64 = 210_000;
pub(crate) const PAGE_H: i64 = 297_000;
pub(crate) const LEFT: i64 = 18_000;
pub(crate) const RIGHT: i64 = PAGE_W - 18_000;
pub(crate) const WIDTH: i64 = RIGHT - LEFT;
pub(crate) const TOP: i64 = 16_000;
/// Where the body stops; the footer is below.
pub(crate) const BOTTOM: i64 = PAGE_H - 20_000;
pub(crate) const FOOTER_BASELINE: i64 = PAGE_H - 10_000;

/// 1 pt in µm, for font sizes.
pub(crate) const PT: i64 = 25_400 / 72;
/// Body text: 9 pt, in lines of 4.6 mm.
const BODY: i64 = 9 * PT;
const LINE: i64 = 4_600;
const BASELINE: i64 = 3_400;
const SELLER: i64 = 15 * PT;
const TITLE: i64 = 17 * PT;
/// COPY: more than twice the amounts' 9 pt.
const COPY: i64 = 22 * PT;
const HEADING: i64 = 10 * PT;
pub(crate) const FOOTER: i64 = 7 * PT;
/// Where a label's value starts, from the left margin.
const VALUE_AT: i64 = 48_000;
/// The totals column: labels start this far left of the right margin.
const TOTALS_W: i64 = 95_000;
/// Gap between table columns.
pub(crate) const GAP: i64 = 5_000;
/// A QR module on A4, µm, and the room kept for the code beside the SCU fields.
const MODULE: i64 = 700;
const QR_ROOM: i64 = 40_000;
pub(crate) const RULE: i64 = 180;

pub(crate) fn pages(content: &Content) -> Result<Vec<Page>, RenderError> {
    let mut a4 = A4 {
        regular: fonts::face(Face::Sans)?,
        bold: fonts::face(Face::SansBold)?,
        pages: Vec::new(),
        draws: Vec::new(),
        y: TOP,
        table: None,
        qr_top: None,
        amount_right: RIGHT,
    };
    let items: Vec<&Item> = content
        .blocks
        .iter()
        .filter_map(|b| match b {
            Block::Item(i) => Some(i),
            _ => None,
        })
        .collect();
    let columns = Columns::fit(&items, a4.regular, a4.bold);
    a4.amount_right = columns.numbers.last().map_or(RIGHT, |(_, right)| *right);

    for (n, block) in content.blocks.iter().enumerate() {
        if !matches!(block, Block::Item(_)) {
            a4.table = None;
        }
        match block {
            Block::SellerName(t) => a4.paragraph(t, Face::SansBold, SELLER, 7_000, Align::Left),
            Block::SellerLine(t) => a4.paragraph(t, Face::Sans, BODY, LINE, Align::Left),
            Block::Title(t) => {
                a4.y += 3_000;
                a4.paragraph(t, Face::SansBold, TITLE, 8_500, Align::Center);
            }
            Block::Copy => a4.paragraph("COPY", Face::SansBold, COPY, 10_500, Align::Center),
            Block::Center { text, bold } => {
                let face = if *bold { Face::SansBold } else { Face::Sans };
                a4.paragraph(text, face, BODY, LINE, Align::Center);
            }
            Block::Heading(t) => {
                // Keep the SCU block, QR code included, on one page.
                if matches!(content.blocks.get(n + 1..), Some(rest) if rest.iter().take_while(|b| !matches!(b, Block::Rule)).any(|b| matches!(b, Block::Qr(_))))
                {
                    a4.ensure(48_000);
                    a4.qr_top = Some(a4.y);
                }
                a4.y += 1_000;
                a4.paragraph(t, Face::SansBold, HEADING, 5_500, Align::Left);
            }
            Block::Rule => {
                a4.ensure(3_000);
                a4.y += 1_400;
                a4.rule();
                a4.y += 1_600;
            }
            Block::Field {
                label,
                value,
                bold,
                group,
            } => match group {
                Group::Totals => a4.total(label, value, *bold),
                Group::Document | Group::Fiscal => a4.field(label, value, *bold, *group),
            },
            Block::Item(item) => a4.item(item, &columns),
            Block::TaxTable { head, rows } => a4.tax_table(head, rows),
            Block::Qr(url) => a4.qr(url)?,
        }
    }
    a4.finish(content)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Align {
    Left,
    Center,
}

/// The items table's columns: right edges of the number columns, and the description's width.
#[derive(Debug, Clone)]
struct Columns {
    /// (heading, right edge) of each number column, left to right.
    numbers: Vec<(&'static str, i64)>,
    description: i64,
    /// A description too narrow to share its line: it goes on a line of its own.
    stacked: bool,
}

impl Columns {
    fn fit(items: &[&Item], regular: &FaceData, bold: &FaceData) -> Columns {
        let discounted = items.iter().any(|i| i.discount.is_some());
        let mut heads = vec!["Qty", "Unit price"];
        if discounted {
            heads.extend(["Disc. %", "Discount"]);
        }
        heads.push("Amount");
        let cell = |i: &Item, h: &str| -> String {
            match h {
                "Qty" => i.quantity.clone(),
                "Unit price" => i.unit_price.clone(),
                "Disc. %" => i.discount.as_ref().map(|d| d.0.clone()).unwrap_or_default(),
                "Discount" => i.discount.as_ref().map(|d| d.1.clone()).unwrap_or_default(),
                _ => i.amount.clone(),
            }
        };
        let widths: Vec<i64> = heads
            .iter()
            .map(|h| {
                items
                    .iter()
                    .map(|i| regular.width_um(&cell(i, h), BODY))
                    .chain([bold.width_um(h, BODY)])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        // Right to left from the right margin, the amounts leaving room for their tax codes.
        let tax_w = items
            .iter()
            .map(|i| regular.width_um(&i.tax, BODY))
            .max()
            .unwrap_or(0);
        let mut right = RIGHT - tax_w;
        let mut numbers = Vec::with_capacity(heads.len());
        for (h, w) in heads.iter().zip(&widths).rev() {
            numbers.push((*h, right));
            right -= w + GAP;
        }
        numbers.reverse();
        let description = right - LEFT;
        Columns {
            numbers,
            description: if description < 45_000 {
                WIDTH
            } else {
                description
            },
            stacked: description < 45_000,
        }
    }
}

struct A4 {
    regular: &'static FaceData,
    bold: &'static FaceData,
    pages: Vec<Vec<Draw>>,
    draws: Vec<Draw>,
    /// Top of the next line on the current page, µm.
    y: i64,
    /// In the items table: its columns, to repeat the heading on a new page.
    table: Option<Columns>,
    /// Top of the SCU block, where the QR code goes.
    qr_top: Option<i64>,
    /// The right edge of the items' amounts, where the totals end too.
    amount_right: i64,
}

impl A4 {
    fn data(&self, face: Face) -> &'static FaceData {
        match face {
            Face::SansBold | Face::MonoBold => self.bold,
            Face::Sans | Face::Mono => self.regular,
        }
    }

    /// Makes room for `height` more on this page, or starts a new one.
    fn ensure(&mut self, height: i64) {
        if self.y + height <= BOTTOM {
            return;
        }
        self.pages.push(std::mem::take(&mut self.draws));
        self.y = TOP;
        self.qr_top = None;
        if let Some(columns) = self.table.clone() {
            self.table_head(&columns);
        }
    }

    fn text(&mut self, x: i64, top: i64, face: Face, size: i64, text: &str) {
        if text.is_empty() {
            return;
        }
        // The baseline sits at the same fraction of a line whatever the size.
        let baseline = top + BASELINE * size / BODY;
        self.draws.push(Draw::Text {
            x,
            baseline,
            face,
            size,
            text: text.to_owned(),
        });
    }

    fn right_text(&mut self, right: i64, top: i64, face: Face, size: i64, text: &str) {
        let w = self.data(face).width_um(text, size);
        self.text(right - w, top, face, size, text);
    }

    fn paragraph(&mut self, text: &str, face: Face, size: i64, line: i64, align: Align) {
        for l in wrap(self.data(face), text, size, WIDTH) {
            self.ensure(line);
            let x = match align {
                Align::Left => LEFT,
                Align::Center => LEFT + (WIDTH - self.data(face).width_um(&l, size)) / 2,
            };
            let top = self.y + (line - LINE * size / BODY) / 2;
            self.text(x, top, face, size, &l);
            self.y += line;
        }
    }

    fn rule(&mut self) {
        self.draws.push(Draw::Rect {
            x: LEFT,
            y: self.y,
            w: WIDTH,
            h: RULE,
        });
    }

    /// A label with its value in a column to its right.
    fn field(&mut self, label: &str, value: &str, bold: bool, group: Group) {
        let face = if bold { Face::SansBold } else { Face::Sans };
        // Beside the SCU block the QR code takes the right-hand side.
        let room = if group == Group::Fiscal {
            WIDTH - VALUE_AT - QR_ROOM
        } else {
            WIDTH - VALUE_AT
        };
        let label_w = self.data(face).width_um(label, BODY);
        let lines = wrap(self.data(face), value, BODY, room);
        // A label wider than its column gets a line of its own.
        let own_line = label_w > VALUE_AT - 2_000;
        self.ensure(LINE * (i64::try_from(lines.len()).unwrap_or(1) + i64::from(own_line)));
        self.text(LEFT, self.y, face, BODY, label);
        if own_line {
            self.y += LINE;
        }
        for l in lines {
            self.text(LEFT + VALUE_AT, self.y, face, BODY, &l);
            self.y += LINE;
        }
    }

    /// A line of the totals column: label on its left, amount right-aligned at the margin.
    fn total(&mut self, label: &str, value: &str, bold: bool) {
        let face = if bold { Face::SansBold } else { Face::Sans };
        let value_w = self.data(face).width_um(value, BODY);
        let labels = wrap(
            self.data(face),
            label,
            BODY,
            (self.amount_right - (RIGHT - TOTALS_W) - value_w - GAP).max(20_000),
        );
        let n = i64::try_from(labels.len()).unwrap_or(1);
        self.ensure(LINE * n);
        let top = self.y;
        for l in labels {
            self.text(RIGHT - TOTALS_W, self.y, face, BODY, &l);
            self.y += LINE;
        }
        self.right_text(self.amount_right, top + LINE * (n - 1), face, BODY, value);
    }

    fn table_head(&mut self, columns: &Columns) {
        self.ensure(LINE + 2_000);
        let top = self.y;
        self.text(LEFT, top, Face::SansBold, BODY, "Description");
        for (head, right) in &columns.numbers {
            self.right_text(*right, top, Face::SansBold, BODY, head);
        }
        self.y += LINE;
        self.draws.push(Draw::Rect {
            x: LEFT,
            y: self.y,
            w: WIDTH,
            h: RULE / 2,
        });
        self.y += 1_400;
    }

    fn item(&mut self, item: &Item, columns: &Columns) {
        if self.table.is_none() {
            self.table = Some(columns.clone());
            self.table_head(columns);
        }
        let description = wrap(
            self.regular,
            &item.description,
            BODY,
            columns.description - 2_000,
        );
        let n = i64::try_from(description.len()).unwrap_or(1);
        let height = if columns.stacked { n + 1 } else { n } * LINE;
        self.ensure(height);
        let top = self.y;
        for (i, l) in description.iter().enumerate() {
            let line = i64::try_from(i).unwrap_or(0);
            self.text(LEFT, top + line * LINE, Face::Sans, BODY, l);
        }
        let numbers_top = if columns.stacked { top + n * LINE } else { top };
        for (head, right) in &columns.numbers {
            let value = match *head {
                "Qty" => &item.quantity,
                "Unit price" => &item.unit_price,
                "Disc. %" => match &item.discount {
                    Some((rate, _)) => rate,
                    None => continue,
                },
                "Discount" => match &item.discount {
                    Some((_, amount)) => amount,
                    None => continue,
                },
                _ => {
                    // The tax code right after the amount: `6,720.00B`.
                    self.text(*right, numbers_top, Face::Sans, BODY, &item.tax);
                    &item.amount
                }
            };
            self.right_text(*right, numbers_top, Face::Sans, BODY, value);
        }
        self.y = top + height;
    }

    fn tax_table(&mut self, head: &[String; 3], rows: &[[String; 3]]) {
        let w = |i: usize| {
            rows.iter()
                .map(|r| self.regular.width_um(&r[i], BODY))
                .chain([self.bold.width_um(&head[i], BODY)])
                .max()
                .unwrap_or(0)
        };
        let c1 = LEFT + w(0).max(30_000) + 2 * GAP + w(1);
        let c2 = c1 + 2 * GAP + w(2);
        self.ensure(LINE * 6);
        let top = self.y;
        self.text(LEFT, top, Face::SansBold, BODY, &head[0]);
        self.right_text(c1, top, Face::SansBold, BODY, &head[1]);
        self.right_text(c2, top, Face::SansBold, BODY, &head[2]);
        self.y += LINE;
        for r in rows {
            let top = self.y;
            self.text(LEFT, top, Face::Sans, BODY, &r[0]);
            self.right_text(c1, top, Face::Sans, BODY, &r[1]);
            self.right_text(c2, top, Face::Sans, BODY, &r[2]);
            self.y += LINE;
        }
    }

    fn qr(&mut self, url: &str) -> Result<(), RenderError> {
        let (width, runs) = qr::runs(url)?;
        let size = width * MODULE;
        let top = match self.qr_top {
            Some(top) => top + 2_000,
            None => {
                self.ensure(size + 4_000);
                self.y + 2_000
            }
        };
        let x0 = RIGHT - size;
        let quiet = 4 * MODULE;
        self.draws.push(Draw::Clear {
            x: x0 - quiet,
            y: top - quiet,
            w: size + 2 * quiet,
            h: size + 2 * quiet,
        });
        self.draws.extend(runs.iter().map(|r| Draw::Rect {
            x: x0 + r.col * MODULE,
            y: top + r.row * MODULE,
            w: r.len * MODULE,
            h: MODULE,
        }));
        self.y = self.y.max(top + size + 2_000);
        self.qr_top = None;
        Ok(())
    }

    fn finish(mut self, content: &Content) -> Result<Vec<Page>, RenderError> {
        self.pages.push(std::mem::take(&mut self.draws));
        let count = self.pages.len();
        let watermark_size = if content.watermark {
            let bold = self.bold;
            150_000 * COPY / bold.width_um("COPY", COPY).max(1)
        } else {
            0
        };
        let mut pages = Vec::with_capacity(count);
        for (i, mut draws) in self.pages.into_iter().enumerate() {
            draws.push(footer(self.regular, &content.title, i + 1, count));
            if content.watermark {
                draws.push(Draw::Watermark {
                    cx: PAGE_W / 2,
                    cy: PAGE_H / 2,
                    face: Face::SansBold,
                    size: watermark_size,
                    text: "COPY".to_owned(),
                });
            }
            pages.push(Page {
                width: PAGE_W,
                height: PAGE_H,
                draws,
            });
        }
        Ok(pages)
    }
}

/// The footer of page `page` of `count`: the title and the page number, centred under the body.
pub(crate) fn footer(regular: &FaceData, title: &str, page: usize, count: usize) -> Draw {
    let text = format!("{title} · Page {page} of {count}");
    let w = regular.width_um(&text, FOOTER);
    Draw::Text {
        x: LEFT + (WIDTH - w) / 2,
        baseline: FOOTER_BASELINE,
        face: Face::Sans,
        size: FOOTER,
        text,
    }
}

/// `text` filled into lines no wider than `max` µm; a word wider than a line is cut.
pub(crate) fn wrap(face: &FaceData, text: &str, size: i64, max: i64) -> Vec<String> {
    let fits = |s: &str| face.width_um(s, size) <= max;
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_owned()
        } else {
            format!("{line} {word}")
        };
        if fits(&candidate) {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        // The word alone: cut it where it overflows.
        for c in word.chars() {
            line.push(c);
            if !fits(&line) && line.chars().count() > 1 {
                line.pop();
                lines.push(std::mem::take(&mut line));
                line.push(c);
            }
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}
