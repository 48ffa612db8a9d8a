//! Resource Unsubscription: a tab of active resources, grouped by resource type, refund type
//! and activation status (filters: product, instance, order time), and a tab of renewals not
//! yet in effect, picked by their updated expiration time. The refund is shown before
//! confirming, and the Unsubscribe button stays disabled until both confirmations are ticked
//! (the server refuses without them too). At most 50 at a time, as the API takes.

use axum::extract::{Query, State};
use axum::http::Method;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::json;
use tenure_core::access::Permission;
use tenure_wire::refunds::{ActivationStatus, RefundType, ResourceKind};
use tenure_wire::unsubscriptions::{
    EligibleListing, PendingRenewalOrder, RenewalUnsubscriptionResult, UnsubscribedMany,
};
use tenure_wire::Listing;

use super::{money, next_page_link, pick_an_account, query, selection_count, when};
use crate::console::api;
use crate::console::layout::IntoHtml;
use crate::console::layout::{message, page, Nav};
use crate::console::session::{random_token, Session};
use crate::console::{SignedForm, SignedIn};
use crate::context::ApiContext;

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route("/console/unsubscribe", get(list))
        .route(
            "/console/unsubscribe/resources",
            post(unsubscribe_resources),
        )
        .route("/console/unsubscribe/renewals", post(unsubscribe_renewals))
}

#[derive(Debug, Default, Deserialize)]
struct Filters {
    #[serde(default)]
    tab: String,
    #[serde(default)]
    product: String,
    #[serde(default)]
    instance: String,
    #[serde(default)]
    ordered_from: String,
    #[serde(default)]
    ordered_until: String,
    /// Where the page goes on from: the `next_after` of the page before.
    #[serde(default)]
    after: String,
}

/// Rows per page: the most one unsubscription takes.
const PAGE_ROWS: &str = "50";

impl Filters {
    /// The filters as the page's links carry them, without the cursor.
    fn pairs(&self) -> [(&'static str, &str); 5] {
        [
            ("tab", self.tab.as_str()),
            ("product", self.product.as_str()),
            ("instance", self.instance.as_str()),
            ("ordered_from", self.ordered_from.as_str()),
            ("ordered_until", self.ordered_until.as_str()),
        ]
    }

    fn next_page(&self, next: &str) -> String {
        format!(
            "/console/unsubscribe?{}",
            query(&[&self.pairs()[..], &[("after", next)]].concat())
        )
    }
}

async fn list(
    State(context): State<ApiContext>,
    SignedIn(session): SignedIn,
    Query(filters): Query<Filters>,
) -> Response {
    unsubscribe_page(&context, &session, &filters, html! {}).await
}

async fn unsubscribe_page(
    context: &ApiContext,
    session: &Session,
    filters: &Filters,
    top: Markup,
) -> Response {
    let Some(account_id) = session.account_id.clone() else {
        return page(
            Some(session),
            "Unsubscribe",
            Nav::Unsubscribe,
            pick_an_account(),
        )
        .into_response_html();
    };
    let renewals_tab = filters.tab == "renewals";
    let filter_query = query(&[
        ("account", &account_id),
        ("product", &filters.product),
        ("instance", &filters.instance),
        ("ordered_from", &filters.ordered_from),
        ("ordered_until", &filters.ordered_until),
        ("limit", PAGE_ROWS),
        ("after", &filters.after),
    ]);
    let may = session.allows(Permission::Billing);
    let listing = if renewals_tab {
        renewals_tab_body(context, session, filters, &filter_query, may).await
    } else {
        resources_tab_body(context, session, filters, &filter_query, may).await
    };
    let body = html! {
        h1 { "Resource Unsubscription" }
        (top)
        nav.tabs aria-label="What to unsubscribe" {
            a href="/console/unsubscribe" aria-current=[(!renewals_tab).then_some("page")] { "Active resources" }
            a href="/console/unsubscribe?tab=renewals" aria-current=[renewals_tab.then_some("page")] { "Pending renewals" }
        }
        form.filters method="get" action="/console/unsubscribe" {
            input type="hidden" name="tab" value=(filters.tab);
            div { label for="u-product" { "Product" } input id="u-product" name="product" value=(filters.product); }
            div { label for="u-instance" { "Instance" } input id="u-instance" name="instance" value=(filters.instance); }
            div { label for="u-from" { "Ordered from" } input id="u-from" name="ordered_from" placeholder="2026-01-01T00:00:00Z" value=(filters.ordered_from); }
            div { label for="u-until" { "Ordered until" } input id="u-until" name="ordered_until" placeholder="2026-12-31T00:00:00Z" value=(filters.ordered_until); }
            button type="submit" { "Filter" }
        }
        @if !may {
            (message("warn", "This key may look but not unsubscribe (it needs the billing permission)."))
        }
        (listing)
    };
    page(Some(session), "Unsubscribe", Nav::Unsubscribe, body).into_response_html()
}

/// The two confirmations and the button they enable.
fn confirmations(session: &Session, may: bool, with_backup: bool, label: &str) -> Markup {
    let requires = if with_backup {
        "confirm-refund confirm-backup"
    } else {
        "confirm-refund"
    };
    html! {
        input type="hidden" name="csrf" value=(session.csrf);
        input type="hidden" name="idempotency_key" value=(random_token());
        p { input type="checkbox" id="confirm-refund" name="confirm_refund" value="true";
            label.inline-label for="confirm-refund" style="display:inline" { " I understand the refund shown above, and that vouchers and discounts are not refunded." } }
        @if with_backup {
            p { input type="checkbox" id="confirm-backup" name="confirm_data_backed_up" value="true";
                label for="confirm-backup" style="display:inline" { " I have backed up my data: it is deleted at once and cannot be restored." } }
        }
        button type="submit" data-requires=(requires) disabled[!may] { (label) }
    }
}

async fn resources_tab_body(
    context: &ApiContext,
    session: &Session,
    filters: &Filters,
    filter_query: &str,
    may: bool,
) -> Markup {
    let listed: EligibleListing = match api::read(
        context,
        session,
        &format!("/v1/unsubscriptions/eligible?{filter_query}"),
    )
    .await
    {
        Ok(listed) => listed,
        Err(refusal) => return message("bad", &refusal.message),
    };
    let groups = &listed.groups;
    let names = super::CatalogNames::read(context, session).await;
    html! {
        @if groups.is_empty() {
            p.muted { "Nothing can be unsubscribed." }
        } @else {
            form method="post" action="/console/unsubscribe/resources" {
                @for group in groups {
                    h2 { (label(resource_kind_name(group.resource_kind))) " · "
                         (label(refund_type_name(group.refund_type))) " · "
                         (label(activation_status_name(group.activation_status))) }
                    div.table-wrap { table {
                        thead { tr { th { "Select" } th { "Instance" } th { "Product" } th { "Ordered" } th { "Expires" } th.amount { "Refund" } } }
                        tbody { @for resource in &group.resources {
                            @let id = &resource.instance_id;
                            tr {
                                td { input type="checkbox" name="instance" value=(id) aria-label={"Unsubscribe " (id)}; }
                                td { a href={"/console/instances/" (id)} { (id) } }
                                td { (names.product(&resource.product_id)) " " span.instance-id { (names.configuration(&resource.product_id, &resource.edition_id, &resource.spec_id)) } }
                                td { (when(resource.ordered_at)) }
                                td { (when(resource.expires_at)) }
                                td.amount data-test="refund" { (money(resource.refund_minor, &resource.currency)) }
                            }
                        } }
                    } }
                }
                @if let Some(next) = &listed.next_after {
                    (next_page_link(&filters.next_page(next), &format!("Next {PAGE_ROWS} resources")))
                }
                p { (selection_count("instance")) }
                (confirmations(session, may, true, "Unsubscribe now"))
            }
        }
    }
}

async fn renewals_tab_body(
    context: &ApiContext,
    session: &Session,
    filters: &Filters,
    filter_query: &str,
    may: bool,
) -> Markup {
    let listed: Listing<PendingRenewalOrder> = match api::read(
        context,
        session,
        &format!("/v1/unsubscriptions/pending-renewals?{filter_query}"),
    )
    .await
    {
        Ok(listed) => listed,
        Err(refusal) => return message("bad", &refusal.message),
    };
    let orders = &listed.data;
    html! {
        @if orders.is_empty() {
            p.muted { "No renewal waits to take effect." }
        } @else {
            form method="post" action="/console/unsubscribe/renewals" {
                div.table-wrap { table {
                    thead { tr { th { "Select" } th { "Order" } th { "Instance" } th { "Period" } th { "Starts" } th { "Updated expiration time" } th.amount { "Refund" } } }
                    tbody { @for order in orders {
                        @let id = &order.order_id;
                        tr {
                            td { input type="checkbox" name="order" value=(id) aria-label={"Unsubscribe " (id)}; }
                            td { (id) }
                            td { a href={"/console/instances/" (order.instance_id)} { (order.instance_id) } }
                            td { (order.period) }
                            td { (when(order.starts_at)) }
                            td { (when(order.updated_expiration_time)) }
                            td.amount { (money(order.refund_minor, &order.currency)) }
                        }
                    } }
                } }
                @if let Some(next) = &listed.next_after {
                    (next_page_link(&filters.next_page(next), &format!("Next {PAGE_ROWS} renewals")))
                }
                p { (selection_count("order")) }
                (confirmations(session, may, false, "Unsubscribe the renewals"))
            }
        }
    }
}

async fn unsubscribe_resources(
    State(context): State<ApiContext>,
    SignedForm { session, fields }: SignedForm,
) -> Response {
    let instances: Vec<&str> = fields.all("instance");
    let top = if instances.is_empty() {
        message("bad", "Select at least one resource to unsubscribe.")
    } else {
        let done: api::Reply<UnsubscribedMany> = api::send(
            &context,
            &session,
            Method::POST,
            "/v1/unsubscriptions",
            json!({ "instances": instances, "confirm_refund": fields.ticked("confirm_refund"),
                    "confirm_data_backed_up": fields.ticked("confirm_data_backed_up") }),
            Some(fields.one("idempotency_key").unwrap_or("")),
        )
        .await;
        match done {
            Ok(done) => message(
                "good",
                &format!(
                    "Unsubscribed {} resource(s); the refunds are in Orders and Balance.",
                    done.data.len()
                ),
            ),
            Err(refusal) => message("bad", &refusal.message),
        }
    };
    unsubscribe_page(&context, &session, &Filters::default(), top).await
}

async fn unsubscribe_renewals(
    State(context): State<ApiContext>,
    SignedForm { session, fields }: SignedForm,
) -> Response {
    let orders = fields.all("order");
    let mut lines = Vec::new();
    if orders.is_empty() {
        lines.push((
            "bad",
            "Select at least one renewal to unsubscribe.".to_string(),
        ));
    }
    for (index, order) in orders.iter().enumerate() {
        let key = format!("{}-{index}", fields.one("idempotency_key").unwrap_or(""));
        let done: api::Reply<RenewalUnsubscriptionResult> = if crate::path_ids::is_id(order) {
            api::send(
                &context,
                &session,
                Method::POST,
                &format!("/v1/orders/{order}/unsubscribe"),
                json!({ "confirm_refund": fields.ticked("confirm_refund") }),
                Some(&key),
            )
            .await
        } else {
            api::Answer::not_an_id().read()
        };
        lines.push(match done {
            Ok(_) => ("good", format!("{order}: unsubscribed, refunded in full")),
            Err(refusal) => ("bad", format!("{order}: {}", refusal.message)),
        });
    }
    let done = lines.iter().filter(|(kind, _)| *kind == "good").count();
    let top = html! {
        @if !orders.is_empty() {
            (message(
                if done == orders.len() { "good" } else { "warn" },
                &format!("Unsubscribed {done} of the {} selected renewals.", orders.len()),
            ))
        }
        @for (kind, line) in &lines { (message(kind, line)) }
    };
    let filters = Filters {
        tab: "renewals".to_string(),
        ..Filters::default()
    };
    unsubscribe_page(&context, &session, &filters, top).await
}

/// An enum's API name as the page shows it, words apart (`partial refund`).
fn label(name: &str) -> String {
    name.replace('_', " ")
}

fn resource_kind_name(kind: ResourceKind) -> &'static str {
    match kind {
        ResourceKind::Regular => "regular",
        ResourceKind::ResourcePlan => "resource_plan",
    }
}

fn refund_type_name(refund_type: RefundType) -> &'static str {
    match refund_type {
        RefundType::PartialRefund => "partial_refund",
        RefundType::Nonrefundable => "nonrefundable",
        RefundType::UnactivatedSubscriptionRefund => "unactivated_subscription_refund",
        RefundType::FullRefundForUnusedResources => "full_refund_for_unused_resources",
    }
}

fn activation_status_name(status: ActivationStatus) -> &'static str {
    match status {
        ActivationStatus::Activated => "activated",
        ActivationStatus::Unactivated => "unactivated",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_group_heading_names_the_enum_as_the_api_writes_it() {
        for kind in [ResourceKind::Regular, ResourceKind::ResourcePlan] {
            assert_eq!(json!(resource_kind_name(kind)), json!(kind));
        }
        for refund_type in [
            RefundType::PartialRefund,
            RefundType::Nonrefundable,
            RefundType::UnactivatedSubscriptionRefund,
            RefundType::FullRefundForUnusedResources,
        ] {
            assert_eq!(json!(refund_type_name(refund_type)), json!(refund_type));
        }
        for status in [ActivationStatus::Activated, ActivationStatus::Unactivated] {
            assert_eq!(json!(activation_status_name(status)), json!(status));
        }
    }
}
