//! The email that brings an issued invoice or credit note to its buyer. Its PDF is attached
//! when the email is sent, rendered from the stored document: the notice names the document,
//! it does not hold it.

use super::document::{DocumentKind, InvoiceDocument};
use crate::catalog::Channel;
use crate::event::{EventKind, NoticeDraft};
use crate::money::format_minor;
use crate::notice::{NoticeTexts, Template};

/// The email announcing `document` to `recipient` (the billing profile's invoice address, else
/// the account's email), by email only: a PDF is no SMS.
pub fn issued_notice(
    document: &InvoiceDocument,
    account_id: &str,
    recipient: &str,
    texts: &NoticeTexts,
) -> NoticeDraft {
    let issued_on = document.issued_on.to_string();
    let gross = format_minor(document.gross_minor, &document.currency);
    let paid = format_minor(document.paid_minor, &document.currency);
    let due = format_minor(document.due_minor, &document.currency);
    let number = document.number.as_str();
    let (kind, text) = match document.kind {
        DocumentKind::Invoice => (
            EventKind::InvoiceIssued,
            texts.notice(
                Template::InvoiceIssued,
                &[
                    ("number", number),
                    ("issued_on", &issued_on),
                    ("gross", &gross),
                    ("paid", &paid),
                    ("due", &due),
                ],
            ),
        ),
        DocumentKind::CreditNote => (
            EventKind::CreditNoteIssued,
            texts.notice(
                Template::CreditNoteIssued,
                &[
                    ("number", number),
                    ("issued_on", &issued_on),
                    ("gross", &gross),
                    // Every credit note tenure issues corrects an invoice (the one whose
                    // refund it gives back).
                    (
                        "corrects",
                        document
                            .corrects
                            .as_ref()
                            .map_or("-", |corrected| corrected.number.as_str()),
                    ),
                ],
            ),
        ),
    };
    NoticeDraft {
        account_id: account_id.to_string(),
        instance_id: None,
        channel: Channel::Email,
        recipient: Some(recipient.to_string()),
        kind,
        subject: text.subject,
        body: text.body,
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;
    use crate::invoice::document::{CorrectedInvoice, Party, TaxCategory};
    use crate::invoice::issue::{Sale, SaleLine};
    use crate::invoice::tax::{exemption_reason, TaxTreatment};

    fn party() -> Party {
        Party {
            legal_name: "Example".into(),
            address_lines: vec!["1 Main Street".into()],
            city: "Springfield".into(),
            postcode: "12345".into(),
            country_code: "US".into(),
            tax_id: None,
            registration_id: None,
            email: None,
        }
    }

    fn document(
        kind: DocumentKind,
        number: &str,
        corrects: Option<CorrectedInvoice>,
    ) -> InvoiceDocument {
        Sale {
            kind,
            issued_on: date(2026, 3, 11),
            currency: "USD".into(),
            seller: party(),
            buyer: party(),
            lines: vec![SaleLine {
                description: "Message queue (MQTT)".into(),
                detail: None,
                period_start: date(2026, 3, 11),
                period_end: date(2026, 3, 31),
                amount_minor: 8_129,
            }],
            paid_minor: 8_129,
            corrects,
            note: None,
            tax: TaxTreatment {
                category: TaxCategory::NotSubject,
                rate_basis_points: 0,
                exemption_reason: exemption_reason(TaxCategory::NotSubject),
            },
            prices_include_tax: true,
        }
        .document(number.into())
        .unwrap()
    }

    #[test]
    fn an_invoice_email_names_its_number_date_and_gross_to_the_address_given() {
        let texts = NoticeTexts::builtin();
        let invoice = document(DocumentKind::Invoice, "INV-2026-000007", None);
        let notice = issued_notice(&invoice, "acct_1", "books@example.com", &texts);
        assert_eq!(notice.kind, EventKind::InvoiceIssued);
        assert_eq!(notice.channel, Channel::Email);
        assert_eq!(notice.recipient.as_deref(), Some("books@example.com"));
        assert_eq!(notice.subject, "Invoice INV-2026-000007");
        assert!(notice.body.contains("INV-2026-000007"), "{}", notice.body);
        assert!(notice.body.contains("2026-03-11"), "{}", notice.body);
        assert!(notice.body.contains("81.29 USD"), "{}", notice.body);
    }

    #[test]
    fn a_credit_note_email_names_the_invoice_it_corrects() {
        let texts = NoticeTexts::builtin();
        let corrected = CorrectedInvoice {
            number: "INV-2026-000001".into(),
            issued_on: date(2026, 3, 1),
        };
        let credit_note = document(DocumentKind::CreditNote, "CN-2026-000001", Some(corrected));
        let notice = issued_notice(&credit_note, "acct_1", "ada@example.com", &texts);
        assert_eq!(notice.kind, EventKind::CreditNoteIssued);
        assert_eq!(notice.subject, "Credit note CN-2026-000001");
        assert!(notice.body.contains("INV-2026-000001"), "{}", notice.body);
        assert!(notice.body.contains("81.29 USD"), "{}", notice.body);
    }
}
