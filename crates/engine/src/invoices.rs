//! Invoices and credit notes, issued in the transaction that charges or gives back: an order
//! paid (purchase, renewal, auto-renewal, upgrade charge) issues an invoice; an
//! unsubscription's refund, or a downgrade's, issues a credit note correcting the invoice of
//! the period it gives back; a month's pay-as-you-go bills are one invoice, issued by the
//! sweep once the month ends. The document is
//! made from the order's own amounts, numbered at the flush of the transaction's records (a
//! sweep's batch takes its numbers in one statement per series) and never changes after.

use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde_json::json;
use tenure_core::event::{EventDraft, EventKind};
use tenure_core::invoice::document::{CorrectedInvoice, DocumentKind, InvoiceDocument, Party};
use tenure_core::invoice::issue::{number, series, Sale, SaleLine};
use tenure_core::invoice::tax::{exemption_reason, tax_treatment, BuyerTaxFacts, TaxTreatment};
use tenure_core::lifecycle::Instance;
use tenure_store::accounts::Account;
use tenure_store::bills::{self, Bill};
use tenure_store::invoices::{self, InvoiceFilter, StoredInvoice};
use tenure_store::orders::Order;
use tenure_store::{billing_profiles, Connection, Tx};

use crate::billing_profiles::{buyer_party, invoice_email};

use crate::engine::Engine;
use crate::error::EngineError;
use crate::record::RecordBuffer;

/// A document decided, waiting for its number.
#[derive(Debug, Clone)]
pub(crate) struct PendingInvoice {
    pub id: String,
    pub account_id: String,
    pub order_id: Option<String>,
    pub refund_id: Option<String>,
    pub corrects_id: Option<String>,
    pub issued_at: Timestamp,
    pub prefix: String,
    pub sale: Sale,
    /// Where the email bringing it goes (see [`invoice_email`]), as it is when it is decided.
    pub email_to: String,
}

/// What a credit note gives back, and why.
struct GivenBack<'a> {
    amount_minor: i64,
    /// When it is given back (the refund's or the change's moment).
    at: Timestamp,
    /// The order the note is filed under: the refunded period's opening order, or the
    /// downgrade's own.
    order_id: &'a str,
    refund_id: Option<&'a str>,
    /// The line's detail.
    detail: String,
    /// The note's first words (`Refund ref_…`).
    why: String,
}

/// An issued document, and the document itself.
#[derive(Debug, Clone)]
pub struct IssuedInvoice {
    pub stored: StoredInvoice,
    pub document: InvoiceDocument,
}

impl IssuedInvoice {
    fn read(stored: StoredInvoice) -> Result<IssuedInvoice, EngineError> {
        let document = serde_json::from_str(&stored.document).map_err(|error| {
            EngineError::invalid(
                "unreadable_invoice",
                format!("invoice {} does not read: {error}", stored.id),
            )
        })?;
        Ok(IssuedInvoice { stored, document })
    }
}

/// The day `at` falls on, in UTC: the dates a document shows.
fn day(at: Timestamp) -> jiff::civil::Date {
    at.to_zoned(TimeZone::UTC).date()
}

/// The last day an order's service period covers (it ends at the start of its `ends_at`).
fn last_day_of(order: &Order) -> jiff::civil::Date {
    let last_moment = order
        .ends_at
        .checked_sub(jiff::SignedDuration::from_secs(1))
        .unwrap_or(order.ends_at);
    day(last_moment).max(day(order.starts_at))
}

impl Engine {
    /// The buyer a document names (the account's billing profile, else its name and email),
    /// how that buyer is taxed, and where its documents are emailed. A buyer with no country on
    /// file is taken to buy where the seller sells: EN 16931 wants a buyer's country on every
    /// document (BR-11).
    pub(crate) async fn buyer_and_tax(
        &self,
        tx: &mut Tx,
        account: &Account,
    ) -> Result<(Party, TaxTreatment, String), EngineError> {
        let seller = &self.catalog.seller;
        let profile = billing_profiles::get(tx, &account.id).await?;
        let mut buyer = buyer_party(account, profile.as_ref());
        if buyer.country_code.is_empty() {
            buyer.country_code = seller.country.clone();
        }
        let treatment = tax_treatment(&seller.tax, &seller.country, &BuyerTaxFacts::from(&buyer));
        Ok((buyer, treatment, invoice_email(account, profile.as_ref())))
    }

    /// The invoice of a paid order, or none when it charged nothing.
    pub(crate) async fn invoice_for_order(
        &self,
        tx: &mut Tx,
        account: &Account,
        instance: &Instance,
        order: &Order,
    ) -> Result<Option<PendingInvoice>, EngineError> {
        let paid_minor = order.paid_voucher_minor
            + order.paid_coupon_minor
            + order.paid_balance_minor
            + order.paid_external_minor;
        if paid_minor <= 0 {
            return Ok(None);
        }
        let (buyer, tax, email_to) = self.buyer_and_tax(tx, account).await?;
        let seller = &self.catalog.seller;
        let product = self.catalog.product(&order.product_id);
        let edition = product.and_then(|product| product.edition(&order.edition_id));
        let spec = edition.and_then(|edition| edition.spec(&order.spec_id));
        let detail = format!(
            "{} order: {}, {}, {}",
            order.kind.as_str(),
            edition.map_or(order.edition_id.as_str(), |edition| edition.name.as_str()),
            spec.map_or(order.spec_id.as_str(), |spec| spec.name.as_str()),
            instance.region,
        );
        // The order's own moment: in a sweep, the clock moves only when its transaction commits.
        let now = order.created_at;
        Ok(Some(PendingInvoice {
            id: self.ids.next("inv"),
            account_id: account.id.clone(),
            order_id: Some(order.id.clone()),
            refund_id: None,
            corrects_id: None,
            issued_at: now,
            prefix: seller.invoice_prefix.clone(),
            sale: Sale {
                kind: DocumentKind::Invoice,
                issued_on: day(now),
                currency: account.currency.clone(),
                seller: seller.party(),
                buyer,
                lines: vec![SaleLine {
                    description: product
                        .map_or(order.product_id.clone(), |product| product.name.clone()),
                    detail: Some(format!("{detail} (instance {})", instance.id)),
                    period_start: day(order.starts_at),
                    period_end: last_day_of(order),
                    amount_minor: paid_minor,
                }],
                paid_minor,
                corrects: None,
                note: Some(format!("Order {}", order.id)),
                tax,
                prices_include_tax: seller.tax.prices_include_tax,
            },
            email_to,
        }))
    }

    /// The credit note of a refund that gives cash back, correcting the invoice of the
    /// period's opening order. None when nothing comes back or the order was never invoiced
    /// (paid before invoices, or free).
    pub(crate) async fn credit_note_for_refund(
        &self,
        tx: &mut Tx,
        account: &Account,
        refund: &tenure_store::refunds::Refund,
        order: &Order,
    ) -> Result<Option<PendingInvoice>, EngineError> {
        let given_back = GivenBack {
            amount_minor: refund.refund_minor,
            at: refund.created_at,
            order_id: &order.id,
            refund_id: Some(&refund.id),
            detail: format!(
                "{} refund {} of order {}",
                refund.refund_type.as_str(),
                refund.id,
                order.id
            ),
            why: format!("Refund {}", refund.id),
        };
        self.credit_note(tx, account, order, given_back).await
    }

    /// The credit note of a downgrade's refund of one period: `change` (the downgrade's order
    /// for that period) gives back what it refunded, correcting the invoice of the period's
    /// opening order. None when nothing comes back or that order was never invoiced.
    pub(crate) async fn credit_note_for_downgrade(
        &self,
        tx: &mut Tx,
        account: &Account,
        change: &Order,
    ) -> Result<Option<PendingInvoice>, EngineError> {
        if change.refunded_minor <= 0 {
            return Ok(None);
        }
        let Some(opening) = tenure_store::orders::get(tx, &change.period_order_id).await? else {
            return Ok(None);
        };
        let given_back = GivenBack {
            amount_minor: change.refunded_minor,
            at: change.created_at,
            order_id: &change.id,
            refund_id: None,
            detail: format!(
                "downgrade {} of order {}: refund of the rest of the period",
                change.id, opening.id
            ),
            why: format!("Downgrade {}", change.id),
        };
        self.credit_note(tx, account, &opening, given_back).await
    }

    /// A credit note giving back `given_back` of what `opening` (a period's opening order) was
    /// invoiced for: taxed as that invoice was, its amount tax included, so the invoice's tax
    /// comes back in proportion; its service from today (or the period's start) to the
    /// period's last day.
    async fn credit_note(
        &self,
        tx: &mut Tx,
        account: &Account,
        opening: &Order,
        given_back: GivenBack<'_>,
    ) -> Result<Option<PendingInvoice>, EngineError> {
        if given_back.amount_minor <= 0 {
            return Ok(None);
        }
        let Some(corrected) = invoices::of_order(tx, &opening.id).await? else {
            return Ok(None);
        };
        let corrected = IssuedInvoice::read(corrected)?;
        let Some(first_line) = corrected.document.lines.first() else {
            return Ok(None);
        };
        let tax = TaxTreatment {
            category: first_line.tax_category,
            rate_basis_points: first_line.tax_rate_basis_points,
            exemption_reason: exemption_reason(first_line.tax_category),
        };
        // The buyer is the corrected invoice's, as issued; the email goes where the account's
        // documents go now.
        let profile = billing_profiles::get(tx, &account.id).await?;
        let email_to = invoice_email(account, profile.as_ref());
        let now = given_back.at;
        let seller = &self.catalog.seller;
        Ok(Some(PendingInvoice {
            id: self.ids.next("inv"),
            account_id: account.id.clone(),
            order_id: Some(given_back.order_id.to_string()),
            refund_id: given_back.refund_id.map(str::to_string),
            corrects_id: Some(corrected.stored.id.clone()),
            issued_at: now,
            prefix: seller.credit_note_prefix.clone(),
            sale: Sale {
                kind: DocumentKind::CreditNote,
                issued_on: day(now),
                currency: account.currency.clone(),
                seller: seller.party(),
                buyer: corrected.document.buyer.clone(),
                lines: vec![SaleLine {
                    description: first_line.description.clone(),
                    detail: Some(given_back.detail),
                    period_start: day(now)
                        .max(day(opening.starts_at))
                        .min(last_day_of(opening)),
                    period_end: last_day_of(opening),
                    amount_minor: given_back.amount_minor,
                }],
                paid_minor: given_back.amount_minor,
                corrects: Some(CorrectedInvoice {
                    number: corrected.document.number.clone(),
                    issued_on: corrected.document.issued_on,
                }),
                note: Some(format!(
                    "{} corrects invoice {}",
                    given_back.why, corrected.document.number
                )),
                tax,
                prices_include_tax: true,
            },
            email_to,
        }))
    }

    /// Invoices the month of pay-as-you-go bills that `bill_id` belongs to, if it is due at
    /// `now` and not invoiced yet: one invoice for all the account's bills generated that
    /// month, a line per instance and edition. Answers the steps taken (0 when another bill of
    /// the month, or another node, invoiced it first).
    pub(crate) async fn invoice_due_month(
        &self,
        tx: &mut Tx,
        bill_id: &str,
        now: Timestamp,
    ) -> Result<u64, EngineError> {
        let Some((account_id, invoice_at)) = bills::invoice_due(tx, bill_id).await? else {
            return Ok(0);
        };
        if invoice_at > now {
            return Ok(0);
        }
        let month = bills::lock_month_to_invoice(tx, &account_id, invoice_at).await?;
        if month.is_empty() {
            return Ok(0);
        }
        let account = tenure_store::accounts::get(tx, &account_id)
            .await?
            .ok_or_else(|| EngineError::not_found("account", &account_id))?;
        let invoice = self.invoice_for_bills(tx, &account, &month, now).await?;
        let invoice_id = invoice.id.clone();
        self.issue_now(tx, vec![invoice]).await?;
        bills::mark_invoiced(tx, &account_id, invoice_at, &invoice_id).await?;
        Ok(1)
    }

    /// The invoice of a month of an account's pay-as-you-go bills: a line per instance and
    /// edition, its amount what those bills charged, its period from the first cycle's start to
    /// the last one's end; paid what the paid bills were paid.
    async fn invoice_for_bills(
        &self,
        tx: &mut Tx,
        account: &Account,
        month: &[Bill],
        now: Timestamp,
    ) -> Result<PendingInvoice, EngineError> {
        let too_large = || {
            EngineError::invalid(
                "amount_too_large",
                "an invoice's total is too large to hold",
            )
        };
        let mut lines: Vec<(&Bill, SaleLine, usize)> = Vec::new();
        let mut paid_minor: i64 = 0;
        for bill in month {
            let paid = bill.paid_balance_minor.checked_add(bill.paid_coupon_minor);
            paid_minor = paid_minor
                .checked_add(paid.ok_or_else(too_large)?)
                .ok_or_else(too_large)?;
            let last_day = day(bill
                .cycle_end
                .checked_sub(jiff::SignedDuration::from_secs(1))
                .unwrap_or(bill.cycle_end));
            let same = lines.iter_mut().find(|(first, _, _)| {
                first.instance_id == bill.instance_id && first.edition_id == bill.edition_id
            });
            match same {
                Some((_, line, count)) => {
                    line.amount_minor = line
                        .amount_minor
                        .checked_add(bill.amount_minor)
                        .ok_or_else(too_large)?;
                    line.period_start = line.period_start.min(day(bill.cycle_start));
                    line.period_end = line.period_end.max(last_day);
                    *count += 1;
                }
                None => {
                    let product = self.catalog.product(&bill.product_id);
                    let line = SaleLine {
                        description: product
                            .map_or(bill.product_id.clone(), |product| product.name.clone()),
                        detail: None,
                        period_start: day(bill.cycle_start),
                        period_end: last_day,
                        amount_minor: bill.amount_minor,
                    };
                    lines.push((bill, line, 1));
                }
            }
        }
        let lines = lines
            .into_iter()
            .map(|(first, mut line, count)| {
                let edition = self
                    .catalog
                    .product(&first.product_id)
                    .and_then(|product| product.edition(&first.edition_id))
                    .map_or(first.edition_id.as_str(), |edition| edition.name.as_str());
                line.detail = Some(format!(
                    "pay-as-you-go: {edition}, {count} hourly bills (instance {})",
                    first.instance_id
                ));
                line
            })
            .collect();
        let (buyer, tax, email_to) = self.buyer_and_tax(tx, account).await?;
        let seller = &self.catalog.seller;
        let billed_month = month
            .first()
            .and_then(|bill| bill.generated_at)
            .map(|generated| day(generated).strftime("%B %Y").to_string())
            .unwrap_or_default();
        Ok(PendingInvoice {
            id: self.ids.next("inv"),
            account_id: account.id.clone(),
            order_id: None,
            refund_id: None,
            corrects_id: None,
            issued_at: now,
            email_to,
            prefix: seller.invoice_prefix.clone(),
            sale: Sale {
                kind: DocumentKind::Invoice,
                issued_on: day(now),
                currency: account.currency.clone(),
                seller: seller.party(),
                buyer,
                lines,
                paid_minor,
                corrects: None,
                note: Some(format!("Pay-as-you-go bills of {billed_month}")),
                tax,
                prices_include_tax: seller.tax.prices_include_tax,
            },
        })
    }

    pub async fn list_invoices(
        &self,
        connection: &mut Connection,
        filter: &InvoiceFilter,
    ) -> Result<Vec<IssuedInvoice>, EngineError> {
        invoices::list(connection, filter)
            .await?
            .into_iter()
            .map(IssuedInvoice::read)
            .collect()
    }

    pub async fn invoice(
        &self,
        connection: &mut Connection,
        invoice_id: &str,
    ) -> Result<IssuedInvoice, EngineError> {
        let stored = invoices::get(connection, invoice_id)
            .await?
            .ok_or_else(|| EngineError::not_found("invoice", invoice_id))?;
        IssuedInvoice::read(stored)
    }
}

/// What announces an issued document (`invoice.issued`, `credit_note.issued`).
pub(crate) fn issued_event(invoice: &StoredInvoice) -> EventDraft {
    EventDraft {
        kind: if invoice.kind == "credit_note" {
            EventKind::CreditNoteIssued
        } else {
            EventKind::InvoiceIssued
        },
        account_id: invoice.account_id.clone(),
        instance_id: None,
        data: json!({
            "invoice_id": invoice.id,
            "number": invoice.number,
            "order_id": invoice.order_id,
            "refund_id": invoice.refund_id,
            "corrects_id": invoice.corrects_id,
            "gross_minor": invoice.gross_minor,
            "currency": invoice.currency,
        })
        .into(),
    }
}

impl Engine {
    /// Issues `pending` at once, outside a sweep's buffer, with their events and emails.
    pub(crate) async fn issue_now(
        &self,
        tx: &mut Tx,
        pending: Vec<PendingInvoice>,
    ) -> Result<(), EngineError> {
        let mut buffer = RecordBuffer::default();
        for invoice in pending {
            buffer.add_invoice(invoice);
        }
        buffer.flush(tx, self).await
    }
}

/// Numbers `pending` (in order, gap-free per series) and writes them, in `tx`; answers them
/// as written, each with where its email goes.
pub(crate) async fn issue(
    tx: &mut Tx,
    pending: Vec<PendingInvoice>,
) -> Result<Vec<(IssuedInvoice, String)>, EngineError> {
    if pending.is_empty() {
        return Ok(Vec::new());
    }
    let mut by_series: Vec<(String, Vec<PendingInvoice>)> = Vec::new();
    for invoice in pending {
        let name = series(&invoice.prefix, invoice.sale.issued_on);
        match by_series.iter_mut().find(|(known, _)| *known == name) {
            Some((_, invoices)) => invoices.push(invoice),
            None => by_series.push((name, vec![invoice])),
        }
    }
    let mut stored = Vec::new();
    let mut documents = Vec::new();
    for (series_name, invoices) in by_series {
        let count = i64::try_from(invoices.len()).expect("a batch is far below i64::MAX");
        let first = invoices::take_sequences(tx, &series_name, count).await?;
        for (sequence, invoice) in (first..).zip(invoices) {
            let document_number = number(&series_name, sequence);
            let document = invoice
                .sale
                .document(document_number.clone())
                .map_err(|_| {
                    EngineError::invalid(
                        "amount_too_large",
                        "an invoice's total is too large to hold",
                    )
                })?;
            stored.push(StoredInvoice {
                id: invoice.id,
                number: document_number,
                series: series_name.clone(),
                sequence,
                kind: match document.kind {
                    DocumentKind::Invoice => "invoice".into(),
                    DocumentKind::CreditNote => "credit_note".into(),
                },
                account_id: invoice.account_id,
                order_id: invoice.order_id,
                refund_id: invoice.refund_id,
                corrects_id: invoice.corrects_id,
                issued_at: invoice.issued_at,
                currency: document.currency.clone(),
                gross_minor: document.gross_minor,
                document: serde_json::to_string(&document)
                    .expect("a document is plain data and serializes"),
            });
            documents.push((document, invoice.email_to));
        }
    }
    invoices::insert_many(tx, &stored).await?;
    Ok(stored
        .into_iter()
        .zip(documents)
        .map(|(stored, (document, email_to))| (IssuedInvoice { stored, document }, email_to))
        .collect())
}
