//! Invoices and credit notes: `GET /v1/invoices`, `GET /v1/invoices/{id}` (the document as
//! JSON) and `GET /v1/invoices/{id}/pdf` (the PDF/A-3 with its Factur-X XML).

use jiff::civil::Date;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Whether a document charges or gives back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceKind {
    /// Charges (EN 16931 type code 380).
    Invoice,
    /// Gives back, correcting an invoice (type code 381).
    CreditNote,
}

/// The seller or the buyer, as the document names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct InvoiceParty {
    pub legal_name: String,
    pub address_lines: Vec<String>,
    pub city: String,
    pub postcode: String,
    /// ISO 3166-1 alpha-2.
    pub country_code: String,
    pub tax_id: Option<String>,
    pub registration_id: Option<String>,
    pub email: Option<String>,
}

/// One thing sold or given back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct InvoiceLine {
    pub description: String,
    pub detail: Option<String>,
    /// The service period, first and last day.
    pub period_start: Date,
    pub period_end: Date,
    pub quantity: i64,
    pub unit_price_minor: i64,
    pub net_minor: i64,
    /// UNTDID 5305: `S`, `Z`, `E`, `AE` or `O`.
    pub tax_category: String,
    /// Hundredths of a percent (2000 is 20 %).
    pub tax_rate_basis_points: u32,
}

/// The tax of one category and rate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct InvoiceTax {
    pub tax_category: String,
    pub tax_rate_basis_points: u32,
    pub taxable_minor: i64,
    pub tax_minor: i64,
    pub exemption_reason: Option<String>,
}

/// An issued invoice or credit note. It never changes: a correction is a credit note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Invoice {
    pub id: String,
    /// Gap-free in its series (`INV-2026-000001`).
    pub number: String,
    pub kind: InvoiceKind,
    pub account_id: String,
    /// The order an invoice charges.
    pub order_id: Option<String>,
    /// The refund a credit note gives back.
    pub refund_id: Option<String>,
    /// The invoice a credit note corrects (tenure's id).
    pub corrects_id: Option<String>,
    pub issued_at: Timestamp,
    pub issued_on: Date,
    pub currency: String,
    pub seller: InvoiceParty,
    pub buyer: InvoiceParty,
    pub lines: Vec<InvoiceLine>,
    pub taxes: Vec<InvoiceTax>,
    pub net_minor: i64,
    pub tax_minor: i64,
    pub gross_minor: i64,
    pub paid_minor: i64,
    pub due_minor: i64,
    /// The number of the invoice a credit note corrects.
    pub corrects_number: Option<String>,
    pub note: Option<String>,
}

/// `GET /v1/invoices`: filters and the page.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InvoiceQuery {
    pub account: Option<String>,
    pub kind: Option<InvoiceKind>,
    /// Issued at or after this time.
    pub issued_from: Option<Timestamp>,
    /// Issued before this time.
    pub issued_before: Option<Timestamp>,
    /// Items per page, 1 to 1000 (default 100).
    #[schemars(range(min = 1, max = 1000))]
    #[serde(default, deserialize_with = "crate::whole_number::query")]
    pub limit: Option<i64>,
    /// The cursor: the list goes on past this id, in the list's order.
    pub after: Option<String>,
    /// `oldest_first` (the default) or `newest_first`, as a statement lists them.
    pub order: Option<InvoiceOrder>,
}

/// The order `GET /v1/invoices` lists in; `after` goes on in that order, so with
/// `newest_first` the next page holds the older documents.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceOrder {
    #[default]
    OldestFirst,
    NewestFirst,
}

#[cfg(feature = "domain")]
mod from_domain {
    use super::*;
    use tenure_core::invoice::document::{DocumentKind, Party};

    impl From<DocumentKind> for InvoiceKind {
        fn from(kind: DocumentKind) -> InvoiceKind {
            match kind {
                DocumentKind::Invoice => InvoiceKind::Invoice,
                DocumentKind::CreditNote => InvoiceKind::CreditNote,
            }
        }
    }

    impl From<Party> for InvoiceParty {
        fn from(party: Party) -> InvoiceParty {
            InvoiceParty {
                legal_name: party.legal_name,
                address_lines: party.address_lines,
                city: party.city,
                postcode: party.postcode,
                country_code: party.country_code,
                tax_id: party.tax_id,
                registration_id: party.registration_id,
                email: party.email,
            }
        }
    }

    impl From<tenure_engine::invoices::IssuedInvoice> for Invoice {
        fn from(issued: tenure_engine::invoices::IssuedInvoice) -> Invoice {
            let (stored, document) = (issued.stored, issued.document);
            Invoice {
                id: stored.id,
                number: document.number,
                kind: document.kind.into(),
                account_id: stored.account_id,
                order_id: stored.order_id,
                refund_id: stored.refund_id,
                corrects_id: stored.corrects_id,
                issued_at: stored.issued_at,
                issued_on: document.issued_on,
                currency: document.currency,
                seller: document.seller.into(),
                buyer: document.buyer.into(),
                lines: document
                    .lines
                    .into_iter()
                    .map(|line| InvoiceLine {
                        description: line.description,
                        detail: line.detail,
                        period_start: line.period_start,
                        period_end: line.period_end,
                        quantity: line.quantity,
                        unit_price_minor: line.unit_price_minor,
                        net_minor: line.net_minor,
                        tax_category: line.tax_category.code().to_string(),
                        tax_rate_basis_points: line.tax_rate_basis_points,
                    })
                    .collect(),
                taxes: document
                    .tax_subtotals
                    .into_iter()
                    .map(|tax| InvoiceTax {
                        tax_category: tax.tax_category.code().to_string(),
                        tax_rate_basis_points: tax.tax_rate_basis_points,
                        taxable_minor: tax.taxable_minor,
                        tax_minor: tax.tax_minor,
                        exemption_reason: tax.exemption_reason,
                    })
                    .collect(),
                net_minor: document.net_minor,
                tax_minor: document.tax_minor,
                gross_minor: document.gross_minor,
                paid_minor: document.paid_minor,
                due_minor: document.due_minor,
                corrects_number: document.corrects.map(|corrected| corrected.number),
                note: document.note,
            }
        }
    }
}
