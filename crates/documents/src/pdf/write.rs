//! The PDF's objects: the catalog (metadata, sRGB output intent, the embedded XML and its `/AF`
//! entry), the pages and their content, and the fonts, subset to the glyphs the pages show.

use pdf_writer::types::OutputIntentSubtype;
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use sha2::{Digest, Sha256};
use tenure_core::invoice::document::InvoiceDocument;

use super::fonts::{Fonts, Style, Subset};
use super::layout::{Item, Page, PAGE_HEIGHT_PT, PAGE_WIDTH_PT};
use super::{attachment, compress, metadata, DocumentError};

/// The sRGB profile every colour is meant in (`color/NOTICE` says where it comes from).
const SRGB_ICC: &[u8] = include_bytes!("../../color/sRGB.icc");
const SRGB_NAME: &str = "sRGB IEC61966-2.1";

const RULE_WIDTH_PT: f32 = 0.5;
const RULE_GRAY: f32 = 0.75;

/// The PDF of `pages`, with `xml` embedded.
pub fn document(
    doc: &InvoiceDocument,
    title: &str,
    pages: &[Page],
    fonts: &Fonts,
    xml: &str,
) -> Result<Vec<u8>, DocumentError> {
    let mut next_ref = Ref::new(1);
    let catalog_ref = next_ref.bump();
    let page_tree_ref = next_ref.bump();
    let metadata_ref = next_ref.bump();
    let icc_ref = next_ref.bump();
    let file_spec_ref = next_ref.bump();
    let file_ref = next_ref.bump();
    let regular_ref = next_ref.bump();
    let bold_ref = next_ref.bump();
    let page_refs: Vec<(Ref, Ref)> = pages
        .iter()
        .map(|_| (next_ref.bump(), next_ref.bump()))
        .collect();

    let mut pdf = Pdf::new();
    // PDF/A-3 is PDF 1.7; pdf-writer's header says 1.7 already. The file id PDF/A wants is the
    // hash of the XML: the same document, the same id.
    let id = Sha256::digest(xml.as_bytes())[..16].to_vec();
    pdf.set_file_id((id.clone(), id));

    let mut catalog = pdf.catalog(catalog_ref);
    catalog
        .pages(page_tree_ref)
        .metadata(metadata_ref)
        .lang(TextStr("en"));
    catalog
        .output_intents()
        .push()
        .subtype(OutputIntentSubtype::PDFA)
        .output_condition_identifier(TextStr(SRGB_NAME))
        .info(TextStr(SRGB_NAME))
        .registry_name(TextStr("http://www.color.org"))
        .dest_output_profile(icc_ref);
    catalog.names().embedded_files().names().insert(
        Str(attachment::FACTUR_X_FILE_NAME.as_bytes()),
        file_spec_ref,
    );
    // The associated file is the same file specification, by reference.
    catalog.insert(Name(b"AF")).array().item(file_spec_ref);
    catalog.finish();

    let xmp = metadata::xmp(title, doc.issued_on);
    pdf.metadata(metadata_ref, &xmp);
    pdf.icc_profile(icc_ref, SRGB_ICC).n(3);
    attachment::write(&mut pdf, xml, doc.issued_on, file_spec_ref, file_ref);

    pdf.pages(page_tree_ref)
        .kids(page_refs.iter().map(|(page_ref, _)| *page_ref))
        .count(i32::try_from(pages.len()).unwrap_or(i32::MAX));

    let mut regular = Subset::new(fonts.face(Style::Regular));
    let mut bold = Subset::new(fonts.face(Style::Bold));
    for (page, (page_ref, content_ref)) in pages.iter().zip(&page_refs) {
        let mut page_writer = pdf.page(*page_ref);
        page_writer
            .parent(page_tree_ref)
            .media_box(Rect::new(0.0, 0.0, PAGE_WIDTH_PT, PAGE_HEIGHT_PT))
            .contents(*content_ref);
        let mut resources = page_writer.resources();
        let mut font_names = resources.fonts();
        font_names.pair(Style::Regular.resource_name(), regular_ref);
        font_names.pair(Style::Bold.resource_name(), bold_ref);
        font_names.finish();
        resources.finish();
        page_writer.finish();

        let content = content(page, &mut regular, &mut bold);
        pdf.stream(*content_ref, &compress(&content))
            .filter(Filter::FlateDecode);
    }

    regular.write(&mut pdf, regular_ref, &mut next_ref)?;
    bold.write(&mut pdf, bold_ref, &mut next_ref)?;
    Ok(pdf.finish())
}

/// A page's content stream.
fn content<'a>(page: &Page, regular: &mut Subset<'a>, bold: &mut Subset<'a>) -> Vec<u8> {
    let mut content = Content::new();
    for item in &page.items {
        match item {
            Item::Text {
                x_pt,
                y_pt,
                size_pt,
                style,
                ink,
                text,
            } => {
                let subset = match style {
                    Style::Regular => &mut *regular,
                    Style::Bold => &mut *bold,
                };
                let encoded = subset.encode(text);
                let [red, green, blue] = ink.rgb();
                content
                    .begin_text()
                    .set_font(style.resource_name(), *size_pt)
                    .set_fill_rgb(red, green, blue)
                    .next_line(*x_pt, *y_pt)
                    .show(Str(&encoded))
                    .end_text();
            }
            Item::Rule {
                x_from_pt,
                x_to_pt,
                y_pt,
            } => {
                content
                    .set_stroke_rgb(RULE_GRAY, RULE_GRAY, RULE_GRAY)
                    .set_line_width(RULE_WIDTH_PT)
                    .move_to(*x_from_pt, *y_pt)
                    .line_to(*x_to_pt, *y_pt)
                    .stroke();
            }
        }
    }
    content.finish().to_vec()
}
