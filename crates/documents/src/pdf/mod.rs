//! The PDF/A-3b a person reads, with the Factur-X XML embedded.
//!
//! - `layout.rs`: where each text goes, page by page; `wrap.rs`: long texts into lines.
//! - `fonts.rs`: the embedded TrueType faces, measured and subset.
//! - `attachment.rs`: `factur-x.xml`, embedded and associated with the document.
//! - `metadata.rs`: the XMP that says PDF/A-3b and Factur-X EN 16931.
//! - `write.rs`: the objects, the sRGB output intent among them.

mod attachment;
mod fonts;
mod layout;
mod metadata;
mod wrap;
mod write;

use tenure_core::invoice::document::{DocumentKind, InvoiceDocument};

use crate::factur_x::factur_x_xml;

/// A limit on what one PDF holds: 10,000 lines make some 400 pages.
pub const MAX_LINES: usize = 10_000;

#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("a document of {0} lines is more than a PDF holds here ({MAX_LINES} at most)")]
    TooManyLines(usize),
    /// The committed font could not be read or subset: a bug of this crate, not of the document.
    #[error("the embedded font could not be used: {0}")]
    Font(String),
}

/// The PDF/A-3b of an invoice or credit note: its pages, and its Factur-X XML embedded.
pub fn pdf(doc: &InvoiceDocument) -> Result<Vec<u8>, DocumentError> {
    if doc.lines.len() > MAX_LINES {
        return Err(DocumentError::TooManyLines(doc.lines.len()));
    }
    let fonts = fonts::Fonts::load()?;
    let pages = layout::pages(doc, &fonts);
    let xml = factur_x_xml(doc);
    let title = match doc.kind {
        DocumentKind::Invoice => format!("Invoice {}", doc.number),
        DocumentKind::CreditNote => format!("Credit note {}", doc.number),
    };
    write::document(doc, &title, &pages, &fonts, &xml)
}

/// Streams are deflated (`FlateDecode`), which every PDF reader inflates.
fn compress(bytes: &[u8]) -> Vec<u8> {
    const LEVEL: u8 = 6;
    miniz_oxide::deflate::compress_to_vec_zlib(bytes, LEVEL)
}
