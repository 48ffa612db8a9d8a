//! The two faces every PDF shows its text in (DejaVu Sans and DejaVu Sans Bold, committed
//! under `fonts/` with their licence), measured for the layout and embedded as subsets: PDF/A
//! forbids a font that is not embedded, the 14 standard fonts included.
//!
//! Text is written as a CID font (`Identity-H`, two bytes a glyph, the subset's glyph ids as
//! CIDs), with a `ToUnicode` map so that the text can be copied and searched. There is no
//! shaping: one character, one glyph, which is what Latin, Greek and Cyrillic text needs.

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Filter, Finish, Name, Pdf, Rect, Ref, Str};
use sha2::{Digest, Sha256};
use subsetter::GlyphRemapper;
use ttf_parser::GlyphId;

use super::{compress, DocumentError};

const REGULAR_TTF: &[u8] = include_bytes!("../../fonts/DejaVuSans.ttf");
const BOLD_TTF: &[u8] = include_bytes!("../../fonts/DejaVuSans-Bold.ttf");

/// PDF widths and font metrics are in thousandths of the text size.
const GLYPH_SPACE_UNITS: f32 = 1000.0;

/// A character the fonts have no glyph for is shown as this one, so that it is visibly missing
/// rather than silently dropped.
const REPLACEMENT: char = '?';

/// The CIDs of an `Identity` font are its glyph ids, in no registered character collection.
const IDENTITY_SYSTEM: SystemInfo = SystemInfo {
    registry: Str(b"Adobe"),
    ordering: Str(b"Identity"),
    supplement: 0,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Regular,
    Bold,
}

impl Style {
    /// The font's name in a page's resources.
    pub fn resource_name(self) -> Name<'static> {
        match self {
            Style::Regular => Name(b"F1"),
            Style::Bold => Name(b"F2"),
        }
    }

    fn face_name(self) -> &'static str {
        match self {
            Style::Regular => "DejaVuSans",
            Style::Bold => "DejaVuSans-Bold",
        }
    }

    fn stem_vertical(self) -> f32 {
        match self {
            Style::Regular => 80.0,
            Style::Bold => 140.0,
        }
    }
}

/// One face, parsed.
pub struct Face {
    style: Style,
    data: &'static [u8],
    parsed: ttf_parser::Face<'static>,
    replacement: GlyphId,
}

impl Face {
    fn load(style: Style, data: &'static [u8]) -> Result<Face, DocumentError> {
        let parsed = ttf_parser::Face::parse(data, 0)
            .map_err(|error| DocumentError::Font(error.to_string()))?;
        let replacement = parsed
            .glyph_index(REPLACEMENT)
            .ok_or_else(|| DocumentError::Font(format!("no glyph for {REPLACEMENT:?}")))?;
        Ok(Face {
            style,
            data,
            parsed,
            replacement,
        })
    }

    /// The character shown for `character` and its glyph: a control character is shown as a
    /// space, one the face lacks as [`REPLACEMENT`].
    fn shown(&self, character: char) -> (char, GlyphId) {
        let character = if character.is_control() {
            ' '
        } else {
            character
        };
        match self.parsed.glyph_index(character) {
            Some(glyph) => (character, glyph),
            None => (REPLACEMENT, self.replacement),
        }
    }

    fn advance_units(&self, glyph: GlyphId) -> f32 {
        f32::from(self.parsed.glyph_hor_advance(glyph).unwrap_or(0))
    }

    fn units_per_em(&self) -> f32 {
        f32::from(self.parsed.units_per_em())
    }

    fn to_glyph_space(&self, font_units: f32) -> f32 {
        font_units * GLYPH_SPACE_UNITS / self.units_per_em()
    }
}

/// Both faces.
pub struct Fonts {
    regular: Face,
    bold: Face,
}

impl Fonts {
    pub fn load() -> Result<Fonts, DocumentError> {
        Ok(Fonts {
            regular: Face::load(Style::Regular, REGULAR_TTF)?,
            bold: Face::load(Style::Bold, BOLD_TTF)?,
        })
    }

    pub fn face(&self, style: Style) -> &Face {
        match style {
            Style::Regular => &self.regular,
            Style::Bold => &self.bold,
        }
    }

    /// How wide `text` is set in `style` at `size_pt`, in points.
    pub fn width_pt(&self, style: Style, text: &str, size_pt: f32) -> f32 {
        let face = self.face(style);
        let units: f32 = text
            .chars()
            .map(|character| face.advance_units(face.shown(character).1))
            .sum();
        units * size_pt / face.units_per_em()
    }
}

/// The glyphs of one face a document shows, gathered while its text is encoded, then embedded.
pub struct Subset<'a> {
    face: &'a Face,
    remapper: GlyphRemapper,
    /// Each CID's character, for the `ToUnicode` map.
    characters: Vec<(u16, char)>,
}

impl<'a> Subset<'a> {
    pub fn new(face: &'a Face) -> Subset<'a> {
        Subset {
            face,
            remapper: GlyphRemapper::new(),
            characters: Vec::new(),
        }
    }

    /// `text` as the bytes a content stream shows: each glyph's CID, two bytes big-endian.
    pub fn encode(&mut self, text: &str) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(text.len() * 2);
        for character in text.chars() {
            let (shown, glyph) = self.face.shown(character);
            let known = self.remapper.get(glyph.0).is_some();
            let cid = self.remapper.remap(glyph.0);
            if !known {
                self.characters.push((cid, shown));
            }
            bytes.extend_from_slice(&cid.to_be_bytes());
        }
        bytes
    }

    /// Writes the font: the Type 0 font at `type0_ref`, which pages name, and the objects it
    /// needs, numbered from `next_ref`.
    pub fn write(
        self,
        pdf: &mut Pdf,
        type0_ref: Ref,
        next_ref: &mut Ref,
    ) -> Result<(), DocumentError> {
        let face = self.face;
        let cid_font_ref = next_ref.bump();
        let descriptor_ref = next_ref.bump();
        let font_file_ref = next_ref.bump();
        let to_unicode_ref = next_ref.bump();
        let style = face.style;
        let base_font = subset_name(style, &self.remapper);
        let base_font = Name(base_font.as_bytes());

        pdf.type0_font(type0_ref)
            .base_font(base_font)
            .encoding_predefined(Name(b"Identity-H"))
            .descendant_font(cid_font_ref)
            .to_unicode(to_unicode_ref);

        let widths: Vec<f32> = self
            .remapper
            .remapped_gids()
            .map(|glyph| face.to_glyph_space(face.advance_units(GlyphId(glyph))))
            .collect();
        let mut cid_font = pdf.cid_font(cid_font_ref);
        cid_font
            .subtype(CidFontType::Type2)
            .base_font(base_font)
            .system_info(IDENTITY_SYSTEM)
            .font_descriptor(descriptor_ref)
            // PDF/A wants the map written; the subset's glyph ids are the CIDs.
            .cid_to_gid_map_predefined(Name(b"Identity"));
        cid_font.widths().consecutive(0, widths);
        cid_font.finish();

        let parsed = &face.parsed;
        let bounding_box = parsed.global_bounding_box();
        let scale = |units: i16| face.to_glyph_space(f32::from(units));
        let ascender = scale(parsed.ascender());
        pdf.font_descriptor(descriptor_ref)
            .name(base_font)
            // Symbolic: the font's own glyphs, addressed by CID, not a standard character set.
            .flags(FontFlags::SYMBOLIC)
            .bbox(Rect::new(
                scale(bounding_box.x_min),
                scale(bounding_box.y_min),
                scale(bounding_box.x_max),
                scale(bounding_box.y_max),
            ))
            .italic_angle(parsed.italic_angle())
            .ascent(ascender)
            .descent(scale(parsed.descender()))
            .cap_height(parsed.capital_height().map(scale).unwrap_or(ascender))
            .stem_v(style.stem_vertical())
            .font_file2(font_file_ref);

        let subset = subsetter::subset(face.data, 0, &self.remapper)
            .map_err(|error| DocumentError::Font(error.to_string()))?;
        let subset_length = i32::try_from(subset.len())
            .map_err(|_| DocumentError::Font("the font subset is too large".into()))?;
        let compressed = compress(&subset);
        pdf.stream(font_file_ref, &compressed)
            .filter(Filter::FlateDecode)
            .pair(Name(b"Length1"), subset_length);

        let mut to_unicode = UnicodeCmap::new(Name(b"Custom"), IDENTITY_SYSTEM);
        for (cid, character) in &self.characters {
            to_unicode.pair(*cid, *character);
        }
        let to_unicode = compress(&to_unicode.finish());
        pdf.stream(to_unicode_ref, &to_unicode)
            .filter(Filter::FlateDecode);
        Ok(())
    }
}

/// The embedded font's name: six capital letters, then the face's. The letters are a hash of
/// the glyphs kept, so two different subsets never share a name, even in two PDFs a printer
/// merges (a reader may take one subset for the other when they do).
fn subset_name(style: Style, remapper: &GlyphRemapper) -> String {
    let mut hasher = Sha256::new();
    for glyph in remapper.remapped_gids() {
        hasher.update(glyph.to_be_bytes());
    }
    let hash = hasher.finalize();
    let tag: String = hash[..6]
        .iter()
        .map(|byte| char::from(b'A' + byte % 26))
        .collect();
    format!("{tag}+{}", style.face_name())
}
