//! What a sale or a refund becomes as a document: its lines, its tax per rate and its totals,
//! from the amounts the order or the refund moved. The amounts are never recomputed from the
//! catalog: a document says what was charged (or given back), to the cent.

use jiff::civil::Date;

use super::document::{CorrectedInvoice, DocumentKind, DocumentLine, InvoiceDocument, Party};
use super::tax::{document_taxes, ChargedLine, TaxTreatment};
use crate::money::AmountOverflow;

/// One thing sold or given back, as the order says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaleLine {
    pub description: String,
    pub detail: Option<String>,
    pub period_start: Date,
    pub period_end: Date,
    /// What the line charged (or gives back), tax included when there is tax.
    pub amount_minor: i64,
}

/// A document before its number: what was sold, to whom, and how much of it is paid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sale {
    pub kind: DocumentKind,
    pub issued_on: Date,
    pub currency: String,
    pub seller: Party,
    pub buyer: Party,
    pub lines: Vec<SaleLine>,
    /// Paid when issued (an invoice) or given back (a credit note).
    pub paid_minor: i64,
    pub corrects: Option<CorrectedInvoice>,
    pub note: Option<String>,
    /// How the buyer is taxed (`crate::invoice::tax::tax_treatment`).
    pub tax: TaxTreatment,
    /// Whether what the lines charged includes the tax (else the tax is added on top).
    pub prices_include_tax: bool,
}

impl Sale {
    /// The document numbered `number`: each line taxed as the buyer is, the tax rounded once
    /// per rate (`crate::invoice::tax::document_taxes`). Prices with tax included keep the
    /// gross what the order charged, to the minor unit; prices without have the tax added, and
    /// what the order did not charge of it is due.
    pub fn document(self, number: String) -> Result<InvoiceDocument, AmountOverflow> {
        let charged: Vec<ChargedLine> = self
            .lines
            .iter()
            .map(|line| ChargedLine {
                charged_minor: line.amount_minor,
                tax_category: self.tax.category,
                tax_rate_basis_points: self.tax.rate_basis_points,
            })
            .collect();
        let taxes = document_taxes(&charged, self.prices_include_tax)?;
        let lines: Vec<DocumentLine> = self
            .lines
            .into_iter()
            .zip(&taxes.lines)
            .map(|(line, split)| DocumentLine {
                description: line.description,
                detail: line.detail,
                period_start: line.period_start,
                period_end: line.period_end,
                quantity: 1,
                unit_price_minor: split.net_minor,
                net_minor: split.net_minor,
                tax_category: self.tax.category,
                tax_rate_basis_points: self.tax.rate_basis_points,
            })
            .collect();
        let paid_minor = self.paid_minor.min(taxes.gross_minor);
        Ok(InvoiceDocument {
            number,
            kind: self.kind,
            issued_on: self.issued_on,
            currency: self.currency,
            seller: self.seller,
            buyer: self.buyer,
            lines,
            tax_subtotals: taxes.tax_subtotals,
            net_minor: taxes.net_minor,
            tax_minor: taxes.tax_minor,
            gross_minor: taxes.gross_minor,
            paid_minor,
            due_minor: taxes.gross_minor - paid_minor,
            corrects: self.corrects,
            note: self.note,
        })
    }
}

/// The series a document is numbered in: its prefix and the year it is issued
/// (`INV-2026`), numbers gap-free within it.
pub fn series(prefix: &str, issued_on: Date) -> String {
    format!("{prefix}-{}", issued_on.year())
}

/// The document number of the `sequence`-th document of `series` (`INV-2026-000001`).
pub fn number(series: &str, sequence: i64) -> String {
    format!("{series}-{sequence:06}")
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;
    use crate::invoice::document::TaxCategory;
    use crate::invoice::tax::exemption_reason;

    fn no_tax() -> TaxTreatment {
        TaxTreatment {
            category: TaxCategory::NotSubject,
            rate_basis_points: 0,
            exemption_reason: exemption_reason(TaxCategory::NotSubject),
        }
    }

    fn party() -> Party {
        Party {
            legal_name: "Example".into(),
            address_lines: vec!["1 Main Street".into()],
            city: "Springfield".into(),
            postcode: "12345".into(),
            country_code: "US".into(),
            tax_id: None,
            registration_id: Some("12-3456789".into()),
            email: None,
        }
    }

    #[test]
    fn without_tax_the_gross_is_what_was_charged_and_what_is_unpaid_is_due() {
        let sale = Sale {
            kind: DocumentKind::Invoice,
            issued_on: date(2026, 3, 1),
            currency: "USD".into(),
            seller: party(),
            buyer: party(),
            lines: vec![SaleLine {
                description: "Message queue (MQTT)".into(),
                detail: None,
                period_start: date(2026, 3, 1),
                period_end: date(2026, 3, 31),
                amount_minor: 12_000,
            }],
            paid_minor: 10_000,
            corrects: None,
            note: None,
            tax: no_tax(),
            prices_include_tax: false,
        };
        let document = sale
            .document(number(&series("INV", date(2026, 3, 1)), 7))
            .unwrap();
        assert_eq!(document.number, "INV-2026-000007");
        assert_eq!(
            (document.net_minor, document.tax_minor, document.gross_minor),
            (12_000, 0, 12_000)
        );
        assert_eq!((document.paid_minor, document.due_minor), (10_000, 2_000));
        assert_eq!(document.tax_subtotals[0].taxable_minor, 12_000);
    }

    #[test]
    fn lines_that_overflow_are_refused() {
        let line = SaleLine {
            description: "x".into(),
            detail: None,
            period_start: date(2026, 3, 1),
            period_end: date(2026, 3, 31),
            amount_minor: i64::MAX,
        };
        let sale = Sale {
            kind: DocumentKind::Invoice,
            issued_on: date(2026, 3, 1),
            currency: "USD".into(),
            seller: party(),
            buyer: party(),
            lines: vec![line.clone(), line],
            paid_minor: 0,
            corrects: None,
            note: None,
            tax: no_tax(),
            prices_include_tax: false,
        };
        assert_eq!(sale.document("INV-2026-000001".into()), Err(AmountOverflow));
    }

    #[test]
    fn prices_with_tax_included_keep_the_gross_charged() {
        let sale = Sale {
            kind: DocumentKind::Invoice,
            issued_on: date(2026, 3, 1),
            currency: "EUR".into(),
            seller: party(),
            buyer: party(),
            lines: vec![SaleLine {
                description: "Message queue (MQTT)".into(),
                detail: None,
                period_start: date(2026, 3, 1),
                period_end: date(2026, 3, 31),
                amount_minor: 12_000,
            }],
            paid_minor: 12_000,
            corrects: None,
            note: None,
            tax: TaxTreatment {
                category: TaxCategory::Standard,
                rate_basis_points: 2000,
                exemption_reason: None,
            },
            prices_include_tax: true,
        };
        let document = sale.document("INV-2026-000001".into()).unwrap();
        assert_eq!(
            (document.net_minor, document.tax_minor, document.gross_minor),
            (10_000, 2_000, 12_000)
        );
        assert_eq!(document.due_minor, 0);
    }
}
