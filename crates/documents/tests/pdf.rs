//! The PDF's own promises, without outside tools (`validation.rs` has those): the same
//! document gives the same bytes, and a document past the limit is refused, not rendered.

mod fixtures;

use tenure_documents::{pdf, DocumentError};

#[test]
fn the_same_document_gives_the_same_bytes() {
    let doc = fixtures::eur_invoice();
    let first = pdf(&doc).unwrap();
    assert!(first.starts_with(b"%PDF-1.7"));
    assert_eq!(first, pdf(&doc).unwrap());
    assert_ne!(first, pdf(&fixtures::eur_credit_note()).unwrap());
}

#[test]
fn a_document_past_the_line_limit_is_refused() {
    let doc = fixtures::many_lines_invoice(tenure_documents::pdf::MAX_LINES + 1);
    assert!(matches!(
        pdf(&doc),
        Err(DocumentError::TooManyLines(lines)) if lines == tenure_documents::pdf::MAX_LINES + 1
    ));
}

#[test]
fn a_document_without_lines_or_subtotals_still_renders() {
    let mut doc = fixtures::eur_invoice();
    doc.lines.clear();
    doc.tax_subtotals.clear();
    doc.note = None;
    doc.buyer.address_lines.clear();
    assert!(pdf(&doc).unwrap().starts_with(b"%PDF"));
}
