//! The receipt as ESC/POS bytes for a thermal printer: the roll layout the thermal PDFs draw
//! (`content` → `grid`), so the paper shows the same content in the same order, line for line,
//! as the 80 mm or 58 mm PDF.
//!
//! What is sent, in order: `ESC @` (initialise), `ESC t n` (the [`CodePage`]), then each line of
//! the layout followed by LF, with `ESC E` (bold) and `GS !` (double width and height) switched
//! only where the style changes. Text is aligned with spaces exactly as on the PDF roll (left
//! justified, `ESC a 0`); the QR code is centred (`ESC a 1`) and sent as the printer's native
//! QR command (`GS ( k`: model 2, module size, error correction M as on the PDF, store the URL,
//! print). A reprint's COPY is bold at double width and height, twice the amounts' size. The
//! job ends with the style reset, `ESC d n` (feed the last line past the cutter) and `GS V`
//! (cut).
//!
//! Characters the code page lacks follow the policy of [`super::codepage`]: transliterated from
//! a documented table, else `?`, and reported in [`EscPosReceipt`].

use std::collections::BTreeSet;

use crate::content::{self, Block, Content};
use crate::error::RenderError;
use crate::grid::{self, MAX_COLUMNS, MIN_COLUMNS, TextLine, TextStyle};
use crate::model::Receipt;
use crate::validate;

use super::PrintError;
use super::codepage::{CodePage, Spelling, spell};

/// `ESC @`: initialise the printer (clears styles and the buffer, back to the power-on state).
pub const INITIALISE: [u8; 2] = [0x1B, 0x40];
/// `ESC t`: select the character code table; followed by [`CodePage::escpos_number`].
pub const SELECT_CODE_PAGE: [u8; 2] = [0x1B, 0x74];
/// `ESC a`: justification; followed by 0 (left), 1 (centre) or 2 (right).
pub const JUSTIFY: [u8; 2] = [0x1B, 0x61];
/// `ESC E`: emphasis (bold); followed by 0 (off) or 1 (on).
pub const BOLD: [u8; 2] = [0x1B, 0x45];
/// `GS !`: character size; followed by 0x00 (normal) or 0x11 (double width and height).
pub const SIZE: [u8; 2] = [0x1D, 0x21];
/// `GS ( k`: the 2D-code function; followed by pL pH cn fn and the function's parameters.
pub const QR_FUNCTION: [u8; 3] = [0x1D, 0x28, 0x6B];
/// `ESC d`: print and feed n lines.
pub const FEED_LINES: [u8; 2] = [0x1B, 0x64];
/// `GS V`: cut; followed by 0 (full) or 1 (partial).
pub const CUT: [u8; 2] = [0x1D, 0x56];
/// Line feed: print the line and move to the next.
pub const LF: u8 = 0x0A;

/// `GS !` parameter for double width and height.
const DOUBLE: u8 = 0x11;
/// QR error correction level M (15 %), as the PDF's QR code: `GS ( k` fn 69 parameter 49.
const QR_ECC_M: u8 = 0x31;

/// How the paper is cut after the receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Cut {
    /// Leave a small tab holding the receipt (`GS V 1`), the usual choice at a till.
    #[default]
    Partial,
    /// Cut through (`GS V 0`).
    Full,
    /// No cut command (printers without a cutter; the receipt is torn off).
    None,
}

/// How to print on one ESC/POS printer: its width in characters, its code page, the QR code's
/// module size and what happens at the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EscPosOptions {
    /// Characters per line in the printer's normal font (48 on 80 mm paper, 32 on 58 mm; some
    /// printers give 42 or 64 with another font). From 32 to 160.
    pub columns: usize,
    /// The code page the printer is switched to.
    pub code_page: CodePage,
    /// The QR code's module (dot square) size in printer dots, 1 to 16; 5 on 80 mm and 4 on
    /// 58 mm match the PDFs' 0.625 mm and 0.5 mm at 203 dpi.
    pub qr_module: u8,
    /// Lines fed after the last line so that it clears the cutter (0 to 255).
    pub feed_lines: u8,
    /// How the paper is cut.
    pub cut: Cut,
}

impl EscPosOptions {
    /// An 80 mm printer: 48 columns, QR modules of 5 dots.
    pub fn paper_80mm() -> EscPosOptions {
        EscPosOptions {
            columns: 48,
            code_page: CodePage::default(),
            qr_module: 5,
            feed_lines: 4,
            cut: Cut::Partial,
        }
    }

    /// A 58 mm printer: 32 columns, QR modules of 4 dots.
    pub fn paper_58mm() -> EscPosOptions {
        EscPosOptions {
            columns: 32,
            qr_module: 4,
            ..EscPosOptions::paper_80mm()
        }
    }

    /// A printer `columns` wide; the QR module size follows the nearer paper width.
    pub fn with_columns(columns: usize) -> EscPosOptions {
        let base = if columns >= 48 {
            EscPosOptions::paper_80mm()
        } else {
            EscPosOptions::paper_58mm()
        };
        EscPosOptions { columns, ..base }
    }

    fn check(&self) -> Result<(), PrintError> {
        if !(MIN_COLUMNS..=MAX_COLUMNS).contains(&self.columns) {
            return Err(PrintError::Render(RenderError::Columns {
                min: MIN_COLUMNS,
                max: MAX_COLUMNS,
                found: self.columns,
            }));
        }
        if !(1..=16).contains(&self.qr_module) {
            return Err(PrintError::Setting {
                setting: "QR module size",
                message: format!(
                    "{} dots was asked for; ESC/POS printers take 1 to 16 (4 on 58 mm paper, 5 \
                     on 80 mm is usual)",
                    self.qr_module
                ),
            });
        }
        Ok(())
    }
}

impl Default for EscPosOptions {
    fn default() -> EscPosOptions {
        EscPosOptions::paper_80mm()
    }
}

/// A receipt ready for an ESC/POS printer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscPosReceipt {
    /// The print job, from `ESC @` to the cut.
    pub bytes: Vec<u8>,
    /// Characters the code page lacks that were printed as their ASCII spelling (`Ł` as `L`).
    pub transliterated: Vec<char>,
    /// Characters printed as `?`: neither in the code page nor in the transliteration table.
    pub unprintable: Vec<char>,
}

/// The receipt as ESC/POS bytes for a printer set up as `options`. Refused as the PDF would be
/// (the same checks), and for settings a printer cannot take.
pub fn render(receipt: &Receipt, options: &EscPosOptions) -> Result<EscPosReceipt, PrintError> {
    options.check()?;
    let checked = validate::check(receipt, None)?;
    let mut content = content::build(receipt, &checked);
    let mut spelt = Spelt::default();
    spell_content(&mut content, options.code_page, &mut spelt);
    let lines = grid::lay_out(&content, options.columns);
    Ok(EscPosReceipt {
        bytes: encode(&lines, options),
        transliterated: spelt.transliterated.into_iter().collect(),
        unprintable: spelt.unprintable.into_iter().collect(),
    })
}

/// The `GS ( k` commands that print `data` as a QR code (model 2, `module` dots, error
/// correction M): select the model, set the module size, set the error correction, store the
/// data, print it.
pub fn qr_commands(data: &[u8], module: u8) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 40);
    // fn 165: model 2 (n1 = 50), n2 = 0.
    out.extend(QR_FUNCTION);
    out.extend([0x04, 0x00, 0x31, 0x41, 0x32, 0x00]);
    // fn 167: module size.
    out.extend(QR_FUNCTION);
    out.extend([0x03, 0x00, 0x31, 0x43, module]);
    // fn 169: error correction level.
    out.extend(QR_FUNCTION);
    out.extend([0x03, 0x00, 0x31, 0x45, QR_ECC_M]);
    // fn 180: store the data; pL pH count the data and the three bytes cn fn m.
    let stored = data.len() + 3;
    out.extend(QR_FUNCTION);
    out.extend([
        u8::try_from(stored % 256).unwrap_or(0),
        u8::try_from(stored / 256).unwrap_or(0),
        0x31,
        0x50,
        0x30,
    ]);
    out.extend(data);
    // fn 181: print the stored symbol.
    out.extend(QR_FUNCTION);
    out.extend([0x03, 0x00, 0x31, 0x51, 0x30]);
    out
}

/// What the code page policy did to the receipt's characters.
#[derive(Default)]
struct Spelt {
    transliterated: BTreeSet<char>,
    unprintable: BTreeSet<char>,
}

impl Spelt {
    /// `text` with every character the code page has, the others spelt by the policy.
    fn text(&mut self, page: CodePage, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        for c in text.chars() {
            match spell(page, c) {
                Spelling::Direct => out.push(c),
                Spelling::Transliterated(s) => {
                    self.transliterated.insert(c);
                    out.push_str(s);
                }
                Spelling::Unprintable => {
                    self.unprintable.insert(c);
                    out.push('?');
                }
            }
        }
        out
    }
}

/// Every text of the content spelt for the code page, before the layout measures it. The QR
/// code's URL is ASCII letters, digits and URL punctuation (`fiscal::qr_url`) and is left as
/// it is: the printer encodes it, not the code page.
fn spell_content(content: &mut Content, page: CodePage, spelt: &mut Spelt) {
    let mut fix = |s: &mut String| *s = spelt.text(page, s);
    for block in &mut content.blocks {
        match block {
            Block::SellerName(t) | Block::SellerLine(t) | Block::Title(t) | Block::Heading(t) => {
                fix(t);
            }
            Block::Center { text, .. } => fix(text),
            Block::Field { label, value, .. } => {
                fix(label);
                fix(value);
            }
            Block::Item(item) => {
                fix(&mut item.description);
                fix(&mut item.quantity);
                fix(&mut item.unit_price);
                fix(&mut item.amount);
                fix(&mut item.tax);
                if let Some((rate, amount)) = &mut item.discount {
                    fix(rate);
                    fix(amount);
                }
            }
            Block::TaxTable { head, rows } => {
                head.iter_mut().for_each(&mut fix);
                rows.iter_mut().flatten().for_each(&mut fix);
            }
            Block::Copy | Block::Rule | Block::Qr(_) => {}
        }
    }
}

/// The laid-out lines as one print job.
fn encode(lines: &[TextLine], options: &EscPosOptions) -> Vec<u8> {
    let mut out = Vec::with_capacity(lines.len() * (options.columns + 4) + 256);
    out.extend(INITIALISE);
    out.extend(SELECT_CODE_PAGE);
    out.push(options.code_page.escpos_number());
    out.extend(JUSTIFY);
    out.push(0);
    let (mut bold, mut size) = (false, 0);
    out.extend(BOLD);
    out.push(0);
    out.extend(SIZE);
    out.push(0);
    for line in lines {
        if line.style == TextStyle::Qr {
            out.extend(JUSTIFY);
            out.push(1);
            out.extend(qr_commands(line.text.as_bytes(), options.qr_module));
            out.push(LF);
            out.extend(JUSTIFY);
            out.push(0);
            continue;
        }
        let (want_bold, want_size) = match line.style {
            TextStyle::Normal => (false, 0),
            TextStyle::Bold => (true, 0),
            TextStyle::Double | TextStyle::Qr => (true, DOUBLE),
        };
        if want_bold != bold {
            out.extend(BOLD);
            out.push(u8::from(want_bold));
            bold = want_bold;
        }
        if want_size != size {
            out.extend(SIZE);
            out.push(want_size);
            size = want_size;
        }
        // Every character is the code page's by now (spell_content); `?` is a last guard.
        out.extend(
            line.text
                .chars()
                .map(|c| options.code_page.encode(c).unwrap_or(b'?')),
        );
        out.push(LF);
    }
    if bold {
        out.extend(BOLD);
        out.push(0);
    }
    if size != 0 {
        out.extend(SIZE);
        out.push(0);
    }
    out.extend(FEED_LINES);
    out.push(options.feed_lines);
    match options.cut {
        Cut::Partial => out.extend([CUT[0], CUT[1], 1]),
        Cut::Full => out.extend([CUT[0], CUT[1], 0]),
        Cut::None => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_qr_commands_are_epsons_fn_165_167_169_180_181() {
        let bytes = qr_commands(b"ABC", 5);
        assert_eq!(
            bytes,
            [
                0x1D, 0x28, 0x6B, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00, // model 2
                0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x43, 0x05, // module 5 dots
                0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x45, 0x31, // ECC M
                0x1D, 0x28, 0x6B, 0x06, 0x00, 0x31, 0x50, 0x30, b'A', b'B', b'C', // store
                0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x51, 0x30, // print
            ]
        );
        // A store of more than 252 bytes carries its length in pH too.
        let long = vec![b'x'; 300];
        let bytes = qr_commands(&long, 4);
        let store = 9 + 8 + 8; // after model, module size and error correction
        assert_eq!(bytes[store..store + 5], [0x1D, 0x28, 0x6B, 47, 1]); // 303 = 47 + 256
    }

    #[test]
    fn combining_accents_and_unknown_characters_are_reported() {
        let mut spelt = Spelt::default();
        assert_eq!(spelt.text(CodePage::Pc437, "Łódź"), "Lódz");
        assert_eq!(
            spelt.text(CodePage::Pc437, "Re\u{301}sume\u{301}"),
            "Resume"
        );
        assert_eq!(spelt.text(CodePage::Pc437, "Жк"), "??");
        assert_eq!(spelt.transliterated.iter().collect::<String>(), "Łź\u{301}");
        assert_eq!(spelt.unprintable.iter().collect::<String>(), "Жк");
    }
}
