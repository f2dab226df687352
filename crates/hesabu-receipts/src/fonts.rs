//! The bundled fonts (DejaVu Sans Mono for the thermal rolls, DejaVu Sans for A4, regular and
//! bold; licence in `fonts/LICENSE`), compiled into the binary so that a receipt renders the
//! same on every machine. Parsed once, on first use; each PDF embeds a subset holding only the
//! glyphs it uses (`pdf.rs`).
//!
//! Widths are integers: advance widths in font units, and text widths in micrometres
//! (`um`), the unit of every layout coordinate in this crate.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::error::RenderError;

/// One of the four bundled faces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Face {
    Mono,
    MonoBold,
    Sans,
    SansBold,
}

impl Face {
    pub(crate) const ALL: [Face; 4] = [Face::Mono, Face::MonoBold, Face::Sans, Face::SansBold];

    fn index(self) -> usize {
        match self {
            Face::Mono => 0,
            Face::MonoBold => 1,
            Face::Sans => 2,
            Face::SansBold => 3,
        }
    }

    /// The font's PostScript-style name, used as the PDF resource and base font name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Face::Mono => "DejaVuSansMono",
            Face::MonoBold => "DejaVuSansMono-Bold",
            Face::Sans => "DejaVuSans",
            Face::SansBold => "DejaVuSans-Bold",
        }
    }

    fn bytes(self) -> &'static [u8] {
        match self {
            Face::Mono => include_bytes!("../fonts/DejaVuSansMono.ttf"),
            Face::MonoBold => include_bytes!("../fonts/DejaVuSansMono-Bold.ttf"),
            Face::Sans => include_bytes!("../fonts/DejaVuSans.ttf"),
            Face::SansBold => include_bytes!("../fonts/DejaVuSans-Bold.ttf"),
        }
    }
}

/// A parsed face: which characters it has, and how wide each is.
#[derive(Debug)]
pub(crate) struct FaceData {
    pub(crate) bytes: &'static [u8],
    cmap: BTreeMap<u32, u16>,
    widths: BTreeMap<u16, u16>,
    units_per_em: i64,
}

impl FaceData {
    /// The glyph id of `c`, if the face has one.
    pub(crate) fn glyph(&self, c: char) -> Option<u16> {
        self.cmap.get(&u32::from(c)).copied().filter(|g| *g != 0)
    }

    /// Width of `text` at an em size of `size_um` micrometres (characters the face lacks count
    /// as zero: validation refuses them before layout).
    pub(crate) fn width_um(&self, text: &str, size_um: i64) -> i64 {
        let units: i64 = text
            .chars()
            .filter_map(|c| self.glyph(c))
            .map(|g| i64::from(self.widths.get(&g).copied().unwrap_or(0)))
            .sum();
        units * size_um / self.units_per_em
    }

    /// The em size at which one advance of `c` is `advance_um` wide (a monospace cell).
    pub(crate) fn em_for_advance(&self, c: char, advance_um: i64) -> i64 {
        let units = self
            .glyph(c)
            .and_then(|g| self.widths.get(&g))
            .map_or(self.units_per_em, |w| i64::from(*w));
        advance_um * self.units_per_em / units.max(1)
    }
}

static FACES: OnceLock<Result<Vec<FaceData>, String>> = OnceLock::new();

/// The parsed face `face` (parsed, with the other three, on first use).
pub(crate) fn face(face: Face) -> Result<&'static FaceData, RenderError> {
    let faces = FACES
        .get_or_init(|| Face::ALL.iter().map(|f| parse(*f)).collect())
        .as_ref()
        .map_err(|e| RenderError::Internal(e.clone()))?;
    faces
        .get(face.index())
        .ok_or_else(|| RenderError::Internal(format!("{} is not loaded", face.name())))
}

fn parse(face: Face) -> Result<FaceData, String> {
    let bytes = face.bytes();
    let parsed = printpdf::ParsedFont::from_bytes(bytes, 0, &mut Vec::new())
        .ok_or_else(|| format!("the bundled {} could not be parsed", face.name()))?;
    Ok(FaceData {
        bytes,
        cmap: parsed.codepoint_to_glyph,
        widths: parsed.glyph_widths,
        units_per_em: i64::from(parsed.units_per_em.max(1)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_faces_cover_the_languages_we_print() {
        for f in Face::ALL {
            let data = face(f).unwrap();
            for c in "AZaz09,.-/:%éßÉÜñçčšžőłøåæœ€£ÀÿŁΩЖ".chars() {
                assert!(data.glyph(c).is_some(), "{} lacks {c}", f.name());
            }
            assert!(data.glyph('\u{4E2D}').is_none(), "no CJK in DejaVu");
        }
    }

    #[test]
    fn mono_cells_are_equal() {
        let mono = face(Face::Mono).unwrap();
        let size = mono.em_for_advance('0', 1500);
        assert_eq!(mono.width_um("0", size), 1499);
        assert_eq!(mono.width_um("W", size), mono.width_um("i", size));
        let bold = face(Face::MonoBold).unwrap();
        assert_eq!(bold.em_for_advance('0', 1500), size);
    }
}
