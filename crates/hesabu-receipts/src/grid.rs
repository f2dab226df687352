//! The roll layout: the content's blocks as lines of a fixed number of monospace columns, like
//! a thermal printer's (48 on an 80 mm roll, 32 on 58 mm). The thermal PDFs draw these lines;
//! the plain-text rendering prints them, and the ESC/POS path can send them with their styles.
//!
//! Amounts are right-aligned to the last column; a label and its value that do not fit on one
//! line go on two, and words longer than a line are cut, so nothing is ever cut off.

use crate::content::{Block, Content, Group, Item};

/// The narrowest roll a receipt is laid out for (58 mm paper, 32 columns).
pub const MIN_COLUMNS: usize = 32;
/// The widest text layout.
pub const MAX_COLUMNS: usize = 160;

/// How a [`TextLine`] is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TextStyle {
    Normal,
    Bold,
    /// Bold at double width and height (COPY): the text is laid out in half the columns.
    Double,
    /// Not text: the QR code of the URL in [`TextLine::text`].
    Qr,
}

/// One printed line of a roll receipt.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TextLine {
    /// The line, already aligned with spaces (no trailing spaces), or the QR code's URL.
    pub text: String,
    pub style: TextStyle,
}

pub(crate) fn lay_out(content: &Content, cols: usize) -> Vec<TextLine> {
    // Amounts end one tax code before the last column, so that their decimal points align
    // whatever the code's width (`6,720.00B`, `1,000.00A-EX`); the totals line up with them.
    let tax_width = content
        .blocks
        .iter()
        .filter_map(|b| match b {
            Block::Item(item) => Some(len(&item.tax)),
            _ => None,
        })
        .max()
        .unwrap_or(0);
    // On a narrow roll where the totals would then not fit on one line, amounts end at the
    // last column instead, codes included.
    let fits = content.blocks.iter().all(|b| match b {
        Block::Field {
            label,
            value,
            group: Group::Totals,
            ..
        } => len(label) + 1 + len(value) + tax_width <= cols,
        _ => true,
    });
    let tax_width = if fits { tax_width } else { 0 };
    let mut out = Vec::with_capacity(content.blocks.len() * 2);
    let mut push = |lines: Vec<String>, style: TextStyle| {
        out.extend(lines.into_iter().map(|text| TextLine {
            text: text.trim_end().to_owned(),
            style,
        }));
    };
    for block in &content.blocks {
        match block {
            Block::SellerName(t) | Block::Title(t) | Block::Heading(t) => {
                push(centered(t, cols), TextStyle::Bold);
            }
            Block::SellerLine(t) => push(centered(t, cols), TextStyle::Normal),
            Block::Center { text, bold } => push(
                centered(text, cols),
                if *bold {
                    TextStyle::Bold
                } else {
                    TextStyle::Normal
                },
            ),
            Block::Copy => push(centered("COPY", cols / 2), TextStyle::Double),
            Block::Rule => push(vec!["-".repeat(cols)], TextStyle::Normal),
            Block::Field {
                label,
                value,
                bold,
                group,
            } => push(
                if *group == Group::Totals {
                    pair(label, &format!("{value}{}", " ".repeat(tax_width)), cols)
                } else {
                    pair(label, value, cols)
                },
                if *bold {
                    TextStyle::Bold
                } else {
                    TextStyle::Normal
                },
            ),
            Block::Item(item) => push(item_lines(item, tax_width, cols), TextStyle::Normal),
            Block::TaxTable { head, rows } => {
                let (head_lines, row_lines) = table(head, rows, cols);
                push(head_lines, TextStyle::Bold);
                push(row_lines, TextStyle::Normal);
            }
            Block::Qr(url) => push(vec![url.clone()], TextStyle::Qr),
        }
    }
    out
}

/// The lines as plain text: a Double line centred on the full width, the QR code as its URL
/// (cut to the width).
pub(crate) fn to_text(lines: &[TextLine], cols: usize) -> String {
    let mut out = String::new();
    for line in lines {
        match line.style {
            TextStyle::Normal | TextStyle::Bold => out.push_str(&line.text),
            TextStyle::Double => {
                let word = line.text.trim();
                out.push_str(&centered(word, cols).concat());
            }
            TextStyle::Qr => out.push_str(&chunks(&line.text, cols).join("\n")),
        }
        out.push('\n');
    }
    out
}

fn len(s: &str) -> usize {
    s.chars().count()
}

/// `s` cut into pieces of at most `width` characters.
fn chunks(s: &str, width: usize) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    chars
        .chunks(width.max(1))
        .map(|c| c.iter().collect())
        .collect()
}

/// Words of `text` filled into lines of at most `width` characters; a longer word is cut.
pub(crate) fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        for piece in chunks(word, width) {
            if line.is_empty() {
                line = piece;
            } else if len(&line) + 1 + len(&piece) <= width {
                line.push(' ');
                line.push_str(&piece);
            } else {
                lines.push(std::mem::take(&mut line));
                line = piece;
            }
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

fn centered(text: &str, width: usize) -> Vec<String> {
    wrap(text, width)
        .into_iter()
        .map(|l| format!("{}{l}", " ".repeat((width - len(&l)) / 2)))
        .collect()
}

fn right(text: &str, width: usize) -> String {
    format!("{}{text}", " ".repeat(width.saturating_sub(len(text))))
}

/// `label` on the left and `value` right-aligned; on two lines (or more) when they do not fit.
fn pair(label: &str, value: &str, width: usize) -> Vec<String> {
    let (l, v) = (len(label), len(value));
    if l + 1 + v <= width {
        return vec![format!("{label}{}{value}", " ".repeat(width - l - v))];
    }
    let mut lines = wrap(label, width);
    if v <= width {
        lines.push(right(value, width));
    } else {
        lines.extend(wrap(value, width - 2).into_iter().map(|l| format!("  {l}")));
    }
    lines
}

fn item_lines(item: &Item, tax_width: usize, width: usize) -> Vec<String> {
    let mut lines = wrap(&item.description, width);
    let pad = |n: usize| " ".repeat(tax_width.saturating_sub(n));
    lines.extend(pair(
        &format!("  {} x {}", item.quantity, item.unit_price),
        &format!("{}{}{}", item.amount, item.tax, pad(len(&item.tax))),
        width,
    ));
    if let Some((rate, amount)) = &item.discount {
        lines.extend(pair(
            &format!("  Discount {rate}"),
            &format!("{amount}{}", pad(0)),
            width,
        ));
    }
    lines
}

/// The tax table: three columns when they fit (label left, amounts right-aligned), else each
/// band on three lines.
fn table(head: &[String; 3], rows: &[[String; 3]], width: usize) -> (Vec<String>, Vec<String>) {
    let w = |i: usize| {
        rows.iter()
            .map(|r| len(&r[i]))
            .chain([len(&head[i])])
            .max()
            .unwrap_or(0)
    };
    let (w0, w1, w2) = (w(0), w(1), w(2));
    if w0 + 2 + w1 + 2 + w2 <= width {
        let row = |r: &[String; 3]| {
            let first = width - w2 - 2 - w1;
            format!(
                "{}{}  {}",
                format_args!("{:<first$}", r[0]),
                right(&r[1], w1),
                right(&r[2], w2)
            )
        };
        return (vec![row(head)], rows.iter().map(row).collect());
    }
    let mut lines = Vec::new();
    for r in rows {
        lines.push(r[0].clone());
        lines.extend(pair(&format!("  {}", head[1]), &r[1], width));
        lines.extend(pair(&format!("  {}", head[2]), &r[2], width));
    }
    (Vec::new(), lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_never_exceeds_the_width() {
        assert_eq!(wrap("a bb ccc", 4), ["a bb", "ccc"]);
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 4), [""]);
        assert_eq!(wrap("Fiscal Optimization", 32), ["Fiscal Optimization"]);
    }

    #[test]
    fn pairs_right_align_and_fall_back_to_two_lines() {
        assert_eq!(pair("TOTAL", "1.04", 12), ["TOTAL   1.04"]);
        assert_eq!(
            pair("TOTAL BEFORE", "1,000.04", 12),
            ["TOTAL BEFORE", "    1,000.04"]
        );
        assert_eq!(
            pair("Buyer Name:", "A very long buyer name", 12),
            ["Buyer Name:", "  A very", "  long buyer", "  name"]
        );
    }

    #[test]
    fn the_tax_table_aligns_its_amounts() {
        let head = ["RATE".to_owned(), "TAXABLE".to_owned(), "TAX".to_owned()];
        let rows = [
            ["A-EX".to_owned(), "0.00".to_owned(), "0.00".to_owned()],
            [
                "B-16%".to_owned(),
                "1,000.00".to_owned(),
                "160.00".to_owned(),
            ],
        ];
        let (h, r) = table(&head, &rows, 32);
        assert_eq!(h, ["RATE             TAXABLE     TAX"]);
        assert_eq!(r[0], "A-EX                0.00    0.00");
        assert_eq!(r[1], "B-16%           1,000.00  160.00");
        let (h, r) = table(&head, &rows, 20);
        assert!(h.is_empty());
        assert_eq!(
            r[..3],
            ["A-EX", "  TAXABLE       0.00", "  TAX           0.00"][..]
        );
    }
}
