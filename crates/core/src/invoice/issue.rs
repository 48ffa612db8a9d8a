//! What a sale or a refund becomes as a document: its lines, its tax per rate and its totals,
//! from the amounts the order or the refund moved. The amounts are never recomputed from the
//! catalog: a document says what was charged (or given back), to the cent.

use jiff::civil::Date;

use super::document::{
    CorrectedInvoice, DocumentKind, DocumentLine, InvoiceDocument, Party, TaxCategory, TaxSubtotal,
};
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
}

impl Sale {
    /// The document numbered `number`. With no tax rule every line is outside the scope of
    /// tax: its amount is its net, and the gross is what the order charged.
    pub fn document(self, number: String) -> Result<InvoiceDocument, AmountOverflow> {
        let category = TaxCategory::NotSubject;
        let lines: Vec<DocumentLine> = self
            .lines
            .into_iter()
            .map(|line| DocumentLine {
                description: line.description,
                detail: line.detail,
                period_start: line.period_start,
                period_end: line.period_end,
                quantity: 1,
                unit_price_minor: line.amount_minor,
                net_minor: line.amount_minor,
                tax_category: category,
                tax_rate_basis_points: 0,
            })
            .collect();
        let net_minor = lines
            .iter()
            .try_fold(0i64, |sum, line| sum.checked_add(line.net_minor))
            .ok_or(AmountOverflow)?;
        let tax_subtotals = vec![TaxSubtotal {
            tax_category: category,
            tax_rate_basis_points: 0,
            taxable_minor: net_minor,
            tax_minor: 0,
            exemption_reason: Some("Not subject to VAT".into()),
        }];
        let gross_minor = net_minor;
        let paid_minor = self.paid_minor.min(gross_minor);
        Ok(InvoiceDocument {
            number,
            kind: self.kind,
            issued_on: self.issued_on,
            currency: self.currency,
            seller: self.seller,
            buyer: self.buyer,
            lines,
            tax_subtotals,
            net_minor,
            tax_minor: 0,
            gross_minor,
            paid_minor,
            due_minor: gross_minor - paid_minor,
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
        };
        assert_eq!(sale.document("INV-2026-000001".into()), Err(AmountOverflow));
    }
}
