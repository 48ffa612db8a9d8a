//! Invoices and credit notes of the account, newest first, 50 a page, filtered by kind; one
//! document's lines and taxes; and its PDF, downloaded through the console session (the API's
//! PDF route takes a key, which a browser signed in to the console does not send).

use axum::extract::{Path, Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use maud::{html, Markup};
use serde::Deserialize;
use tenure_wire::invoices::{Invoice, InvoiceKind};
use tenure_wire::Listing;

use super::{money, pick_an_account, query};
use crate::console::api;
use crate::console::layout::IntoHtml;
use crate::console::layout::{answer, message, page, Nav};
use crate::console::session::Session;
use crate::console::SignedIn;
use crate::context::ApiContext;

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route("/console/invoices", get(list))
        .route("/console/invoices/{id}", get(show))
        .route("/console/invoices/{id}/pdf", get(pdf))
}

/// Rows a page shows at most.
const PAGE_ROWS: usize = 50;

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    /// Empty for all, else the API's kind (`invoice`, `credit_note`).
    #[serde(default)]
    kind: String,
    #[serde(default)]
    after: String,
}

/// The kind filter's tabs: the API's value and the label.
const KIND_TABS: [(&str, &str); 3] = [
    ("", "All"),
    ("invoice", "Invoices"),
    ("credit_note", "Credit notes"),
];

async fn list(
    State(context): State<ApiContext>,
    SignedIn(session): SignedIn,
    Query(list_query): Query<ListQuery>,
) -> Response {
    let Some(account_id) = session.account_id.clone() else {
        return page(Some(&session), "Invoices", Nav::Invoices, pick_an_account())
            .into_response_html();
    };
    // One row more than a page shows: whether it comes says whether there is a next page
    // (the API's `next_after` is also set on a full last page).
    let limit = (PAGE_ROWS + 1).to_string();
    let path = format!(
        "/v1/invoices?{}",
        query(&[
            ("account", &account_id),
            ("kind", &list_query.kind),
            ("order", "newest_first"),
            ("limit", &limit),
            ("after", &list_query.after),
        ])
    );
    let invoices: api::Reply<Listing<Invoice>> = api::read(&context, &session, &path).await;
    let body = html! {
        h1 { "Invoices" }
        nav.tabs aria-label="Kind" {
            @for (kind, label) in KIND_TABS {
                a href={"/console/invoices" @if !kind.is_empty() { "?" (query(&[("kind", kind)])) }}
                    aria-current=[(kind == list_query.kind).then_some("page")] { (label) }
            }
        }
        @match &invoices {
            Err(refusal) => (message("bad", &refusal.message)),
            Ok(invoices) if invoices.data.is_empty() => {
                p.muted { "No documents" @if !list_query.after.is_empty() { " past these" } "." }
            }
            Ok(invoices) => {
                (table(&invoices.data[..invoices.data.len().min(PAGE_ROWS)]))
                @if invoices.data.len() > PAGE_ROWS {
                    p { a rel="next" data-test="next-page" href={"/console/invoices?" (query(&[
                        ("kind", &list_query.kind),
                        ("after", &invoices.data[PAGE_ROWS - 1].id),
                    ]))} { "Older documents" } }
                }
            }
        }
    };
    page(Some(&session), "Invoices", Nav::Invoices, body).into_response_html()
}

fn table(invoices: &[Invoice]) -> Markup {
    html! {
        div.table-wrap { table.documents {
            thead { tr {
                th { "Number" } th { "Kind" } th { "Issued" } th { "Period of service" }
                th.amount { "Net" } th.amount { "Tax" } th.amount { "Gross" } th.amount { "Paid" } th.amount { "Due" }
                th { "Corrects" } th { "PDF" }
            } }
            tbody { @for invoice in invoices {
                @let amount = |amount_minor: i64| money(amount_minor, &invoice.currency);
                tr data-test="invoice-row" data-id=(invoice.id) {
                    td data-test="number" { a href={"/console/invoices/" (invoice.id)} { (invoice.number) } }
                    td data-test="kind" { (kind_label(invoice.kind)) }
                    td { (invoice.issued_on) }
                    td { (period_of_service(invoice)) }
                    td.amount data-test="net" { (amount(invoice.net_minor)) }
                    td.amount data-test="tax" { (amount(invoice.tax_minor)) }
                    td.amount data-test="gross" { (amount(invoice.gross_minor)) }
                    td.amount data-test="paid" { (amount(invoice.paid_minor)) }
                    td.amount data-test="due" { (amount(invoice.due_minor)) }
                    td data-test="corrects" { (corrects(invoice)) }
                    td { a href={"/console/invoices/" (invoice.id) "/pdf"} download
                        aria-label={"Download " (invoice.number) " as PDF"} { "PDF" } }
                }
            } }
        } }
    }
}

fn kind_label(kind: InvoiceKind) -> &'static str {
    match kind {
        InvoiceKind::Invoice => "Invoice",
        InvoiceKind::CreditNote => "Credit note",
    }
}

/// The days the document's lines cover, first to last; a dash for a document without lines.
fn period_of_service(invoice: &Invoice) -> String {
    let first = invoice.lines.iter().map(|line| line.period_start).min();
    let last = invoice.lines.iter().map(|line| line.period_end).max();
    match (first, last) {
        (Some(first), Some(last)) => format!("{first} – {last}"),
        _ => "—".to_string(),
    }
}

/// The invoice a credit note corrects, as a link to it; nothing for an invoice.
fn corrects(invoice: &Invoice) -> Markup {
    html! {
        @if let (Some(id), Some(number)) = (&invoice.corrects_id, &invoice.corrects_number) {
            a href={"/console/invoices/" (id)} { (number) }
        }
    }
}

/// The document as the API answers it, or the page of its refusal (404 for another account's).
async fn read_invoice(
    context: &ApiContext,
    session: &Session,
    invoice_id: &str,
) -> Result<Invoice, Response> {
    api::read(context, session, &format!("/v1/invoices/{invoice_id}"))
        .await
        .map_err(|refusal| {
            answer(
                refusal.status,
                page(
                    Some(session),
                    "Invoice",
                    Nav::Invoices,
                    message("bad", &refusal.message),
                ),
            )
        })
}

async fn show(
    State(context): State<ApiContext>,
    SignedIn(session): SignedIn,
    Path(invoice_id): Path<String>,
) -> Response {
    let invoice = match read_invoice(&context, &session, &invoice_id).await {
        Ok(invoice) => invoice,
        Err(refusal) => return refusal,
    };
    let amount = |amount_minor: i64| money(amount_minor, &invoice.currency);
    let title = format!("{} {}", kind_label(invoice.kind), invoice.number);
    let body = html! {
        h1 { (title) }
        p { a href={"/console/invoices/" (invoice.id) "/pdf"} download { "Download the PDF" } }
        dl.facts {
            dt { "Issued" } dd { (invoice.issued_on) }
            dt { "Period of service" } dd { (period_of_service(&invoice)) }
            dt { "Seller" } dd { (invoice.seller.legal_name) }
            dt { "Buyer" } dd { (invoice.buyer.legal_name) }
            @if invoice.corrects_id.is_some() {
                dt { "Corrects" } dd { (corrects(&invoice)) }
            }
            @if let Some(order_id) = &invoice.order_id {
                dt { "Order" } dd { a href={"/console/orders/" (order_id)} { (order_id) } }
            }
            dt { "Net" } dd { (amount(invoice.net_minor)) }
            dt { "Tax" } dd { (amount(invoice.tax_minor)) }
            dt { "Gross" } dd { (amount(invoice.gross_minor)) }
            dt { "Paid" } dd { (amount(invoice.paid_minor)) }
            dt { "Due" } dd { (amount(invoice.due_minor)) }
            @if let Some(note) = &invoice.note {
                dt { "Note" } dd { (note) }
            }
        }
        h2 { "Lines" }
        div.table-wrap { table {
            thead { tr { th { "Description" } th { "Period" } th.amount { "Quantity" } th.amount { "Unit price" } th.amount { "Net" } th.amount { "Tax rate" } } }
            tbody { @for line in &invoice.lines { tr {
                td { (line.description) @if let Some(detail) = &line.detail { br; span.muted { (detail) } } }
                td { (line.period_start) " – " (line.period_end) }
                td.amount { (line.quantity) }
                td.amount { (amount(line.unit_price_minor)) }
                td.amount { (amount(line.net_minor)) }
                td.amount { (percent(line.tax_rate_basis_points)) }
            } } }
        } }
        h2 { "Tax" }
        div.table-wrap { table {
            thead { tr { th { "Category" } th.amount { "Rate" } th.amount { "Taxable" } th.amount { "Tax" } th { "Exemption" } } }
            tbody { @for tax in &invoice.taxes { tr {
                td { (tax.tax_category) }
                td.amount { (percent(tax.tax_rate_basis_points)) }
                td.amount { (amount(tax.taxable_minor)) }
                td.amount { (amount(tax.tax_minor)) }
                td { (tax.exemption_reason.as_deref().unwrap_or("")) }
            } } }
        } }
    };
    page(Some(&session), &title, Nav::Invoices, body).into_response_html()
}

/// A rate in hundredths of a percent as a reader sees it (2000 reads "20 %", 550 "5.5 %").
fn percent(basis_points: u32) -> String {
    let (whole, hundredths) = (basis_points / 100, basis_points % 100);
    if hundredths == 0 {
        format!("{whole} %")
    } else {
        let fraction = format!("{hundredths:02}");
        format!("{whole}.{} %", fraction.trim_end_matches('0'))
    }
}

/// The document's PDF as a download named by its number. The API renders it, as the session's
/// caller: an account's session gets its own documents only, as its key would.
async fn pdf(
    State(context): State<ApiContext>,
    SignedIn(session): SignedIn,
    Path(invoice_id): Path<String>,
) -> Response {
    let invoice = match read_invoice(&context, &session, &invoice_id).await {
        Ok(invoice) => invoice,
        Err(refusal) => return refusal,
    };
    let path = format!("/v1/invoices/{}/pdf", invoice.id);
    let rendered = api::respond(&context, &session, Method::GET, &path, None, None).await;
    let refused = |text: &str| {
        answer(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            page(
                Some(&session),
                "Invoice",
                Nav::Invoices,
                message("bad", text),
            ),
        )
    };
    let Some(rendered) = rendered else {
        return refused("tenure could not render this document.");
    };
    if !rendered.status().is_success() {
        let status = rendered.status();
        let bytes = axum::body::to_bytes(rendered.into_body(), 64 * 1024)
            .await
            .unwrap_or_default();
        let refusal = api::Answer {
            status,
            body: serde_json::from_slice(&bytes).unwrap_or_default(),
        };
        return answer(
            status,
            page(
                Some(&session),
                "Invoice",
                Nav::Invoices,
                message("bad", &refusal.message()),
            ),
        );
    }
    let Ok(bytes) = axum::body::to_bytes(rendered.into_body(), 64 * 1024 * 1024).await else {
        return refused("tenure could not read the rendered document.");
    };
    // Numbers are the series' letters, digits and dashes (`INV-2026-000001`); anything else
    // is left out of the header rather than quoted.
    let file_name: String = invoice
        .number
        .chars()
        .filter(|character| character.is_ascii_alphanumeric() || "-_.".contains(*character))
        .collect();
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}.pdf\""))
        .expect("letters, digits, dashes and dots");
    (
        [
            (CONTENT_TYPE, HeaderValue::from_static("application/pdf")),
            (CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::percent;

    #[test]
    fn rates_read_as_percents() {
        assert_eq!(percent(2000), "20 %");
        assert_eq!(percent(0), "0 %");
        assert_eq!(percent(550), "5.5 %");
        assert_eq!(percent(1905), "19.05 %");
    }
}
