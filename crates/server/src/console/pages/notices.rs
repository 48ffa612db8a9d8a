//! The notices of the account (channel, status, and why one was not sent), and for the
//! operator the delivery log's latest entries.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use maud::html;

use super::{pick_an_account, query, when_json};
use crate::console::api;
use crate::console::layout::IntoHtml;
use crate::console::layout::{message, page, Nav};
use crate::console::signed_in;
use crate::context::ApiContext;

pub fn router() -> Router<ApiContext> {
    Router::new().route("/console/notices", get(list))
}

async fn list(State(context): State<ApiContext>, headers: HeaderMap) -> Response {
    let session = match signed_in(&context, &headers).await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let Some(account_id) = session.account_id.clone() else {
        return page(Some(&session), "Notices", Nav::Notices, pick_an_account())
            .into_response_html();
    };
    let notices = api::get(
        &context,
        &session,
        &format!(
            "/v1/notifications?{}",
            query(&[("account", &account_id), ("limit", "200")])
        ),
    )
    .await;
    let deliveries = if session.is_operator() {
        Some(api::get(&context, &session, "/v1/deliveries?limit=50").await)
    } else {
        None
    };
    let body = html! {
        h1 { "Notices" }
        @if !notices.ok() { (message("bad", &notices.message())) } @else {
            div.table-wrap { table {
                thead { tr { th { "When" } th { "Channel" } th { "To" } th { "Subject" } th { "Status" } } }
                tbody { @for notice in notices.body["data"].as_array().map(Vec::as_slice).unwrap_or(&[]) { tr {
                    td { (when_json(&notice["at"])) }
                    td { (notice["channel"].as_str().unwrap_or("")) }
                    td { (notice["recipient"].as_str().unwrap_or("")) }
                    td { details { summary { (notice["subject"].as_str().unwrap_or("")) } p { (notice["body"].as_str().unwrap_or("")) } } }
                    td { (notice["status"].as_str().unwrap_or(""))
                        @if let Some(reason) = notice["status_reason"].as_str() { br; span.muted { (reason) } } }
                } } }
            } }
        }
        @if let Some(deliveries) = deliveries {
            h2 { "Deliveries (all accounts, latest first page)" }
            @if !deliveries.ok() { (message("bad", &deliveries.message())) } @else {
                div.table-wrap { table {
                    thead { tr { th { "Delivery" } th { "Channel" } th { "Recipient" } th { "Status" } th { "Attempts" } th { "Last error" } } }
                    tbody { @for delivery in deliveries.body["data"].as_array().map(Vec::as_slice).unwrap_or(&[]) { tr {
                        td { (delivery["id"].as_str().unwrap_or("")) }
                        td { (delivery["channel"].as_str().unwrap_or("")) }
                        td { (delivery["recipient"].as_str().unwrap_or("")) }
                        td { (delivery["status"].as_str().unwrap_or("")) }
                        td { (delivery["attempts"].as_array().map_or(0, Vec::len)) }
                        td { (delivery["last_error"].as_str().unwrap_or("")) }
                    } } }
                } }
            }
        }
    };
    page(Some(&session), "Notices", Nav::Notices, body).into_response_html()
}
