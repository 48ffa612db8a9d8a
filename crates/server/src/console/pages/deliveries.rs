//! The operator's delivery log (`GET /v1/deliveries`): emails, SMS and webhooks by status,
//! 50 a page, each with its attempts' last error, and "Send again" for those not sent.

use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup};
use tenure_wire::deliveries::{Delivery, DeliveryStatus};
use tenure_wire::Listing;

use super::operator::{hidden, operator, operator_action};
use super::{label, query, when};
use crate::console::api;
use crate::console::form::Fields;
use crate::console::layout::{message, page, IntoHtml, Nav};
use crate::console::session::Session;
use crate::console::{see_other, SignedForm};
use crate::context::ApiContext;

const STATUSES: [(&str, &str); 3] = [
    ("failed", "Failed"),
    ("pending", "Pending"),
    ("sent", "Sent"),
];

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route("/console/deliveries", get(deliveries))
        .route("/console/deliveries/{id}/retry", post(retry))
}

/// The status asked for, if it is one; failed ones first otherwise.
fn status_of(fields: &Fields) -> &'static str {
    let asked = fields.one("status").unwrap_or("");
    STATUSES
        .iter()
        .map(|(status, _)| *status)
        .find(|status| *status == asked)
        .unwrap_or("failed")
}

async fn deliveries(
    State(context): State<ApiContext>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let session = match operator(&context, &headers).await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let fields = Fields::parse(raw.as_deref().unwrap_or(""));
    let status = status_of(&fields);
    let after = fields.one("after").unwrap_or("");
    deliveries_page(&context, &session, status, after, html! {}).await
}

async fn deliveries_page(
    context: &ApiContext,
    session: &Session,
    status: &str,
    after: &str,
    top: Markup,
) -> Response {
    let path = format!(
        "/v1/deliveries?{}",
        query(&[("status", status), ("limit", "50"), ("after", after)])
    );
    let listed: api::Reply<Listing<Delivery>> = api::read(context, session, &path).await;
    let body = html! {
        h1 { "Deliveries" }
        (top)
        nav.tabs aria-label="Status" {
            @for (value, name) in STATUSES {
                a href={"/console/deliveries?" (query(&[("status", value)]))} aria-current=[(value == status).then_some("page")] { (name) }
            }
        }
        @match &listed {
            Err(refusal) => (message("bad", &refusal.message)),
            Ok(listed) if listed.data.is_empty() => p.muted { "No " (status) " deliveries." },
            Ok(listed) => {
                div.table-wrap { table data-test="deliveries" {
                    thead { tr { th { "Made" } th { "Channel" } th { "Account" } th { "To" } th { "Attempts" } th { "Last error" } th { "" } } }
                    tbody { @for delivery in &listed.data { tr data-test="delivery-row" {
                        td { (when(delivery.created_at)) }
                        td { (label(&delivery.channel)) }
                        td { @if delivery.account_id.is_empty() { "the operator" } @else { a href={"/console/accounts/" (delivery.account_id)} { (delivery.account_id) } } }
                        td { (delivery.recipient) }
                        td { (delivery.attempts.len()) }
                        td { (delivery.last_error.as_deref().unwrap_or("—")) }
                        td { @if delivery.status != DeliveryStatus::Sent {
                            form.inline method="post" action={"/console/deliveries/" (delivery.id) "/retry"} {
                                (hidden(session))
                                input type="hidden" name="status" value=(status);
                                button type="submit" { "Send again" }
                            }
                        } }
                    } } }
                } }
                @if let Some(next) = &listed.next_after {
                    p { a rel="next" href={"/console/deliveries?" (query(&[("status", status), ("after", next)]))} { "Next page" } }
                }
            }
        }
    };
    page(Some(session), "Deliveries", Nav::Deliveries, body).into_response_html()
}

async fn retry(
    State(context): State<ApiContext>,
    Path(id): Path<String>,
    SignedForm { session, fields }: SignedForm,
) -> Response {
    if !session.is_operator() {
        return see_other("/console/instances");
    }
    let done: api::Reply<Delivery> = operator_action(
        &context,
        &session,
        &fields,
        &format!("/v1/deliveries/{id}/retry"),
    )
    .await;
    let top = match done {
        Err(refusal) => message("bad", &refusal.message),
        Ok(delivery) => message("good", &format!("{id}: {} again", label(&delivery.status))),
    };
    deliveries_page(&context, &session, status_of(&fields), "", top).await
}
