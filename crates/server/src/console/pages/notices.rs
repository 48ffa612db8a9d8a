//! The notices of the account, newest first, 50 a page (channel, status, and why one was not
//! sent), and for the operator the delivery log's latest entries.

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use maud::html;
use serde::Deserialize;
use tenure_wire::deliveries::Delivery;
use tenure_wire::events::Notice;
use tenure_wire::Listing;

use super::{next_page_link, pick_an_account, query, when, wire_name};
use crate::console::api;
use crate::console::layout::IntoHtml;
use crate::console::layout::{message, page, Nav};
use crate::console::signed_in;
use crate::context::ApiContext;

pub fn router() -> Router<ApiContext> {
    Router::new().route("/console/notices", get(list))
}

/// Rows per page of the notices.
const PAGE_ROWS: &str = "50";

/// Where the list goes on from: the `next_after` of the page before.
#[derive(Debug, Default, Deserialize)]
struct NoticesPage {
    #[serde(default)]
    after: String,
}

async fn list(
    State(context): State<ApiContext>,
    headers: HeaderMap,
    Query(notices_page): Query<NoticesPage>,
) -> Response {
    let session = match signed_in(&context, &headers).await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let Some(account_id) = session.account_id.clone() else {
        return page(Some(&session), "Notices", Nav::Notices, pick_an_account())
            .into_response_html();
    };
    let notices: api::Reply<Listing<Notice>> = api::read(
        &context,
        &session,
        &format!(
            "/v1/notifications?{}",
            query(&[
                ("account", &account_id),
                ("order", "newest"),
                ("limit", PAGE_ROWS),
                ("after", &notices_page.after)
            ])
        ),
    )
    .await;
    let deliveries = if session.is_operator() {
        Some(api::read::<Listing<Delivery>>(&context, &session, "/v1/deliveries?limit=50").await)
    } else {
        None
    };
    let body = html! {
        h1 { "Notices" }
        p.muted { "Newest first." }
        @match &notices {
            Err(refusal) => (message("bad", &refusal.message)),
            Ok(notices) => {
                div.table-wrap { table {
                    thead { tr { th { "When" } th { "Channel" } th { "To" } th { "Subject" } th { "Status" } } }
                    tbody { @for notice in &notices.data { tr {
                        td { (when(notice.at)) }
                        td { (notice.channel) }
                        td { (notice.recipient) }
                        td { details { summary { (notice.subject) } p { (notice.body) } } }
                        td { (notice.status)
                            @if let Some(reason) = &notice.status_reason { br; span.muted { (reason) } } }
                    } } }
                } }
                @if let Some(next) = &notices.next_after {
                    (next_page_link(&format!("/console/notices?{}", query(&[("after", next)])), "Older notices"))
                }
            }
        }
        @if let Some(deliveries) = &deliveries {
            h2 { "Deliveries (all accounts, latest first page)" }
            @match deliveries {
                Err(refusal) => (message("bad", &refusal.message)),
                Ok(deliveries) => {
                    div.table-wrap { table {
                        thead { tr { th { "Delivery" } th { "Channel" } th { "Recipient" } th { "Status" } th { "Attempts" } th { "Last error" } } }
                        tbody { @for delivery in &deliveries.data { tr {
                            td { (delivery.id) }
                            td { (wire_name(&delivery.channel)) }
                            td { (delivery.recipient) }
                            td { (wire_name(&delivery.status)) }
                            td { (delivery.attempts.len()) }
                            td { (delivery.last_error.as_deref().unwrap_or("")) }
                        } } }
                    } }
                }
            }
        }
    };
    page(Some(&session), "Notices", Nav::Notices, body).into_response_html()
}
