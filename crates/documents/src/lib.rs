//! Renders an issued invoice or credit note ([`InvoiceDocument`]) for its reader and for the
//! reader's software: the Factur-X XML (CII at the EN 16931 profile) and a PDF/A-3b a person
//! reads, with that XML embedded, so one file carries both and they cannot disagree.
//!
//! - [`factur_x`]: the XML.
//! - [`pdf`](mod@pdf): the PDF: its layout, its fonts, the embedded XML and the metadata PDF/A
//!   and Factur-X ask for.
//! - `amount.rs`: amounts and rates as decimal text, from integers; `xml.rs`: the small writer.
//!
//! Nothing here reads a clock, a file or the network: the same document gives the same bytes.

mod amount;
pub mod factur_x;
pub mod pdf;
mod xml;

pub use factur_x::factur_x_xml;
pub use pdf::{pdf, DocumentError};

#[doc(no_inline)]
pub use tenure_core::invoice::document::InvoiceDocument;
