//! Invoices and credit notes (README: Invoices): listed, shown as JSON, and rendered as a
//! PDF/A-3 carrying its Factur-X XML, from the document stored when it was issued.

use axum::extract::{Path, State};
use axum::http::Method;
use tenure_core::access::Permission;
use tenure_store::invoices::InvoiceFilter;
use tenure_store::ListDirection;
use tenure_wire::invoices::{Invoice, InvoiceKind, InvoiceOrder, InvoiceQuery};

use super::Route;
use crate::api::{read, Accepts, Answered, Listing, Page, PageSize, Params, Pdf};
use crate::auth::ListScope;
use crate::context::ApiContext;
use crate::error::ApiError;

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::GET,
            "/v1/invoices",
            "Invoices and credit notes, oldest first, or newest first with `order=newest_first` (filters: account, kind, issued_from, issued_before)",
            list,
        )
        .account(Permission::Read),
        Route::new(
            Method::GET,
            "/v1/invoices/{id}",
            "One invoice or credit note: parties, lines, tax per rate, totals",
            show,
        )
        .account(Permission::Read),
        Route::new(
            Method::GET,
            "/v1/invoices/{id}/pdf",
            "The document as a PDF/A-3 with its Factur-X (EN 16931) XML embedded",
            pdf,
        )
        .account(Permission::Read),
    ]
}

impl ListScope for InvoiceQuery {
    fn scope_to_account(&mut self, account_id: &str) {
        self.account = Some(account_id.to_string());
    }
}

async fn list(
    State(context): State<ApiContext>,
    Params(query): Params<InvoiceQuery>,
) -> Result<Answered<Listing<Invoice>>, ApiError> {
    let limit = Page {
        limit: query.limit,
        after: None,
    }
    .limit()?;
    let filter = InvoiceFilter {
        account_id: query.account,
        kind: query.kind.map(|kind| {
            match kind {
                InvoiceKind::Invoice => "invoice",
                InvoiceKind::CreditNote => "credit_note",
            }
            .to_string()
        }),
        issued_from: query.issued_from,
        issued_before: query.issued_before,
        after_id: query.after,
        limit,
        direction: match query.order.unwrap_or_default() {
            InvoiceOrder::OldestFirst => ListDirection::OldestFirst,
            InvoiceOrder::NewestFirst => ListDirection::NewestFirst,
        },
    };
    let engine = context.engine.clone();
    read(&context, move |connection| {
        Box::pin(async move {
            let found = engine.list_invoices(connection, &filter).await?;
            Ok(Listing::new(found, limit, |issued| issued.stored.id.clone()).map())
        })
    })
    .await
}

async fn show(
    State(context): State<ApiContext>,
    Path(invoice_id): Path<String>,
) -> Result<Answered<Invoice>, ApiError> {
    let engine = context.engine.clone();
    read(&context, move |connection| {
        Box::pin(async move { engine.invoice(connection, &invoice_id).await })
    })
    .await
}

async fn pdf(
    State(context): State<ApiContext>,
    accepts: Accepts,
    Path(invoice_id): Path<String>,
) -> Result<Pdf, ApiError> {
    let mut connection = crate::api::connection(&context).await?;
    let issued = context.engine.invoice(&mut connection, &invoice_id).await?;
    drop(connection);
    let bytes = tenure_documents::pdf(&issued.document).map_err(|error| {
        ApiError::invalid(
            "unrenderable_invoice",
            format!("invoice {invoice_id}: {error}"),
        )
    })?;
    Ok(Pdf {
        file_name: format!("{}.pdf", issued.document.number),
        bytes,
        as_bytes: accepts.prefers("application/octet-stream", "application/pdf"),
    })
}
