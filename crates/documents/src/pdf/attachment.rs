//! The Factur-X XML inside the PDF: an embedded file named `factur-x.xml`, listed in the
//! document's embedded files and in the catalog's associated files (`/AF`), as PDF/A-3 and
//! Factur-X want.
//!
//! Its relationship to the PDF is `Alternative`: at the EN 16931 profile the XML is the whole
//! invoice, another form of what the pages show (Factur-X keeps `Data` for MINIMUM and
//! BASIC WL, whose XML is only part of it).

use jiff::civil::Date;
use pdf_writer::types::AssociationKind;
use pdf_writer::{Filter, Name, Pdf, Ref, Str, TextStr};

use super::compress;

pub const FACTUR_X_FILE_NAME: &str = "factur-x.xml";

/// Writes the file specification at `file_spec_ref` and the file it embeds at `file_ref`.
pub fn write(pdf: &mut Pdf, xml: &str, issued_on: Date, file_spec_ref: Ref, file_ref: Ref) {
    pdf.file_spec(file_spec_ref)
        .path(Str(FACTUR_X_FILE_NAME.as_bytes()))
        .unic_file(TextStr(FACTUR_X_FILE_NAME))
        .description(TextStr("Factur-X invoice (EN 16931)"))
        .association_kind(AssociationKind::Alternative)
        .embedded_file_with_unicode(file_ref);

    let compressed = compress(xml.as_bytes());
    let mut file = pdf.embedded_file(file_ref, &compressed);
    file.subtype(Name(b"text/xml"));
    file.filter(Filter::FlateDecode);
    let mut params = file.params();
    // PDF/A-3 wants the file's modification date; the XML is as of the issue date.
    params.modification_date(pdf_date(issued_on));
    if let Ok(size) = i32::try_from(xml.len()) {
        params.size(size);
    }
}

/// A date at midnight UTC, as PDF writes it.
pub fn pdf_date(date: Date) -> pdf_writer::Date {
    // Years before 1 are clamped to 0, as PDF dates cannot say them.
    let year = u16::try_from(date.year()).unwrap_or(0);
    pdf_writer::Date::new(year)
        .month(date.month().unsigned_abs())
        .day(date.day().unsigned_abs())
        .hour(0)
        .minute(0)
        .second(0)
        .utc_offset_hour(0)
        .utc_offset_minute(0)
}
