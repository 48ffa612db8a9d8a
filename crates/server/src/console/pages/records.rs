//! Orders (with the price actually paid, by source) and unsubscription records (the refunds:
//! type, amount, destination, status, refund time), and an order's details with its refund.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use maud::html;
use serde::Deserialize;
use tenure_wire::orders::{Order, OrderDetails};
use tenure_wire::refunds::Refund;
use tenure_wire::Listing;

use super::renewals::account_currency;
use super::{label, money, pick_an_account, query, when};
use crate::console::api;
use crate::console::layout::IntoHtml;
use crate::console::layout::{answer, message, page, Nav};
use crate::console::SignedIn;
use crate::context::ApiContext;

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route("/console/orders", get(list))
        .route("/console/orders/{id}", get(show))
}

#[derive(Debug, Default, Deserialize)]
struct Tab {
    #[serde(default)]
    tab: String,
    /// Where the list goes on from: the `next_after` of the page before.
    #[serde(default)]
    after: String,
}

/// Rows per page of the orders and the unsubscription records.
const PAGE_ROWS: &str = "50";

async fn list(
    State(context): State<ApiContext>,
    SignedIn(session): SignedIn,
    Query(tab): Query<Tab>,
) -> Response {
    let Some(account_id) = session.account_id.clone() else {
        return page(Some(&session), "Orders", Nav::Orders, pick_an_account()).into_response_html();
    };
    let currency = account_currency(&context, &session).await;
    let refunds_tab = tab.tab == "unsubscriptions";
    let filter = query(&[
        ("account", &account_id),
        ("limit", PAGE_ROWS),
        ("after", &tab.after),
    ]);
    // The link to the rest of the list, in the same tab.
    let next_link = |next: &Option<String>| {
        html! {
            @if let Some(next) = next {
                p { a rel="next" href={"/console/orders?" (query(&[("tab", tab.tab.as_str()), ("after", next.as_str())]))} { "Next " (PAGE_ROWS) } }
            }
        }
    };
    let listing = if refunds_tab {
        let refunds: api::Reply<Listing<Refund>> =
            api::read(&context, &session, &format!("/v1/refunds?{filter}")).await;
        html! {
            @match &refunds {
                Err(refusal) => (message("bad", &refusal.message)),
                Ok(refunds) => {
                    div.table-wrap { table {
                        thead { tr { th { "Unsubscription" } th { "Instance" } th { "Order" } th { "Refund type" } th.amount { "Amount" } th { "Destination" } th { "Status" } th { "Refund time" } } }
                        tbody { @for refund in &refunds.data { tr {
                            td { (refund.unsubscription_id) }
                            td { a href={"/console/instances/" (refund.instance_id)} { (refund.instance_id) } }
                            td { a href={"/console/orders/" (refund.order_id)} { (refund.order_id) } }
                            td { (label(&refund.refund_type)) }
                            td.amount { (money(refund.refund_minor, &currency)) }
                            td { (label(&refund.destination)) }
                            td { (label(&refund.status)) }
                            td { (when(refund.refunded_at)) }
                        } } }
                    } }
                    (next_link(&refunds.next_after))
                }
            }
        }
    } else {
        let orders: api::Reply<Listing<Order>> =
            api::read(&context, &session, &format!("/v1/orders?{filter}")).await;
        html! {
            @match &orders {
                Err(refusal) => (message("bad", &refusal.message)),
                Ok(orders) => {
                    div.table-wrap { table {
                        thead { tr { th { "Order" } th { "Kind" } th { "Status" } th { "Instance" } th { "Period" } th.amount { "Price" } th.amount { "Balance" } th.amount { "Coupons" } th.amount { "Vouchers" } th.amount { "Outside" } } }
                        tbody { @for order in &orders.data {
                            @let amount = |amount_minor: i64| money(amount_minor, &currency);
                            tr {
                                td { a href={"/console/orders/" (order.id)} { (order.id) } }
                                td { (label(&order.kind)) }
                                td { (label(&order.status)) }
                                td { (order.instance_id) }
                                td { (when(order.starts_at)) " – " (when(order.ends_at)) }
                                td.amount { (amount(order.list_price_minor)) }
                                td.amount { (amount(order.paid_balance_minor)) }
                                td.amount { (amount(order.paid_coupon_minor)) }
                                td.amount { (amount(order.paid_voucher_minor)) }
                                td.amount { (amount(order.paid_external_minor)) }
                            }
                        } }
                    } }
                    (next_link(&orders.next_after))
                }
            }
        }
    };
    let body = html! {
        h1 { "Orders" }
        nav.tabs aria-label="Records" {
            a href="/console/orders" aria-current=[(!refunds_tab).then_some("page")] { "Orders" }
            a href="/console/orders?tab=unsubscriptions" aria-current=[refunds_tab.then_some("page")] { "Unsubscription records" }
        }
        (listing)
    };
    page(Some(&session), "Orders", Nav::Orders, body).into_response_html()
}

async fn show(
    State(context): State<ApiContext>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
) -> Response {
    let details: OrderDetails =
        match api::read(&context, &session, &format!("/v1/orders/{id}")).await {
            Ok(details) => details,
            Err(refusal) => {
                return answer(
                    refusal.status,
                    page(
                        Some(&session),
                        "Order",
                        Nav::Orders,
                        message("bad", &refusal.message),
                    ),
                )
            }
        };
    let currency = account_currency(&context, &session).await;
    let order = &details.order;
    let amount = |amount_minor: i64| money(amount_minor, &currency);
    let body = html! {
        h1 { "Order " (id) }
        dl.facts {
            dt { "Kind" } dd { (label(&order.kind)) }
            dt { "Status" } dd { (label(&order.status)) }
            dt { "Instance" } dd { a href={"/console/instances/" (order.instance_id)} { (order.instance_id) } }
            dt { "Configuration" } dd { (order.product_id) " " (order.edition_id) "/" (order.spec_id) }
            dt { "Period" } dd { (when(order.starts_at)) " – " (when(order.ends_at)) }
            dt { "Price" } dd { (amount(order.list_price_minor)) }
            dt { "Paid from the balance" } dd { (amount(order.paid_balance_minor)) }
            dt { "Paid with coupons" } dd { (amount(order.paid_coupon_minor)) }
            dt { "Paid with vouchers" } dd { (amount(order.paid_voucher_minor)) }
            dt { "Paid outside" } dd { (amount(order.paid_external_minor)) }
        }
        @if let Some(refund) = &details.refund {
            h2 { "Unsubscription" }
            dl.facts {
                dt { "Refund type" } dd { (label(&refund.refund_type)) }
                dt { "Amount" } dd { (amount(refund.refund_minor)) }
                dt { "Destination" } dd { (label(&refund.destination)) }
                dt { "Status" } dd { (label(&refund.status)) }
                dt { "Refund time" } dd { (when(refund.refunded_at)) }
                dt { "Expected by" } dd { (when(refund.expected_arrival_by)) }
            }
        }
    };
    page(Some(&session), &format!("Order {id}"), Nav::Orders, body).into_response_html()
}
