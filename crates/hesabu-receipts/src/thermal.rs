//! The thermal roll PDFs (80 mm and 58 mm): the roll layout's lines (`grid.rs`) drawn in the
//! monospace face on one page as long as the receipt. The geometry is a thermal printer's:
//! 203 dpi, 12 × 24-dot characters (1.5 × 3 mm cells), 576 dots (72 mm, 48 columns) printable
//! on 80 mm paper and 384 dots (48 mm, 32 columns) on 58 mm, so the PDF looks like what the
//! printer would print.

use crate::content::Content;
use crate::error::RenderError;
use crate::fonts::{self, Face};
use crate::grid::{self, TextLine, TextStyle};
use crate::pdf::{Draw, Page};
use crate::qr;

/// A roll width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Roll {
    /// Paper width, µm.
    paper: i64,
    /// Columns of text.
    pub(crate) columns: usize,
    /// Side of one QR module, µm (4–5 printer dots).
    module: i64,
}

pub(crate) const ROLL_80: Roll = Roll {
    paper: 80_000,
    columns: 48,
    module: 625,
};
pub(crate) const ROLL_58: Roll = Roll {
    paper: 58_000,
    columns: 32,
    module: 500,
};

/// One character cell's width, µm.
const CELL: i64 = 1_500;
/// A line's height (24-dot characters plus spacing), µm.
const LINE: i64 = 3_500;
/// From a line's top to its baseline, µm.
const BASELINE: i64 = 2_550;
const TOP_MARGIN: i64 = 4_000;
/// Paper fed after the last line so that it can be torn off, µm.
const BOTTOM_MARGIN: i64 = 12_000;
/// The QR code's quiet zone, in modules (the standard's minimum).
const QUIET: i64 = 4;
/// Longest page a PDF reader accepts (200 inches), kept under.
const MAX_LENGTH: i64 = 5_000_000;
/// Distance between two COPY watermarks along the roll, µm.
const WATERMARK_EVERY: i64 = 110_000;

pub(crate) fn pages(content: &Content, roll: Roll) -> Result<Vec<Page>, RenderError> {
    let lines = grid::lay_out(content, roll.columns);
    let printable = CELL * i64::try_from(roll.columns).unwrap_or(0);
    let left = (roll.paper - printable) / 2;
    let em = fonts::face(Face::Mono)?.em_for_advance('0', CELL);

    let mut draws = Vec::with_capacity(lines.len() + 16);
    let mut y = TOP_MARGIN;
    for TextLine { text, style } in &lines {
        match style {
            TextStyle::Normal | TextStyle::Bold => {
                if !text.is_empty() {
                    draws.push(Draw::Text {
                        x: left,
                        baseline: y + BASELINE,
                        face: if *style == TextStyle::Bold {
                            Face::MonoBold
                        } else {
                            Face::Mono
                        },
                        size: em,
                        text: text.clone(),
                    });
                }
                y += LINE;
            }
            TextStyle::Double => {
                draws.push(Draw::Text {
                    x: left,
                    baseline: y + 2 * BASELINE,
                    face: Face::MonoBold,
                    size: 2 * em,
                    text: text.clone(),
                });
                y += 2 * LINE;
            }
            TextStyle::Qr => {
                let (width, runs) = qr::runs(text)?;
                let m = roll.module;
                let x0 = left + (printable - width * m) / 2;
                let y0 = y + QUIET * m;
                draws.push(Draw::Clear {
                    x: x0 - QUIET * m,
                    y,
                    w: (width + 2 * QUIET) * m,
                    h: (width + 2 * QUIET) * m,
                });
                draws.extend(runs.iter().map(|r| Draw::Rect {
                    x: x0 + r.col * m,
                    y: y0 + r.row * m,
                    w: r.len * m,
                    h: m,
                }));
                y += (width + 2 * QUIET) * m;
            }
        }
        if y > MAX_LENGTH {
            return Err(RenderError::TooLongForRoll {
                length_mm: y / 1000,
                max_mm: MAX_LENGTH / 1000,
            });
        }
    }
    let height = y + BOTTOM_MARGIN;

    if content.watermark {
        // "COPY" across the printable width, at 45°, every WATERMARK_EVERY along the roll (at
        // least once, in the middle of a short receipt).
        let bold = fonts::face(Face::MonoBold)?;
        let size = printable * em / bold.width_um("COPY", em).max(1);
        let mut marks = Vec::new();
        let mut cy = WATERMARK_EVERY / 2;
        while cy + WATERMARK_EVERY / 4 < height {
            marks.push(cy);
            cy += WATERMARK_EVERY;
        }
        if marks.is_empty() {
            marks.push(height / 2);
        }
        draws.extend(marks.into_iter().map(|cy| Draw::Watermark {
            cx: roll.paper / 2,
            cy,
            face: Face::MonoBold,
            size,
            text: "COPY".to_owned(),
        }));
    }

    Ok(vec![Page {
        width: roll.paper,
        height,
        draws,
    }])
}
