//! Invoices and credit notes: what a sale or a refund becomes for a customer's accountant.
//!
//! - [`document`]: the document as issued (parties, lines, tax per rate, totals), which never
//!   changes once numbered; rendered to JSON, PDF/A-3 and Factur-X from this one value.
//! - [`issue`]: a sale or a refund as a document: lines, tax, totals, its series and number.
//! - [`notice`]: the email that brings an issued document to its buyer.

pub mod document;
pub mod issue;
pub mod notice;
pub mod tax;
