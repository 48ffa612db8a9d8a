//! Instances: the list, filtered by product, region, status and renewal mode, and an
//! instance's page: expiry, release date, the next deduction and its attempts, its events.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::Value;

use super::{pick_an_account, query, when_json};
use crate::console::api;
use crate::console::layout::{message, page, IntoHtml, Nav};
use crate::console::SignedIn;
use crate::context::ApiContext;

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route("/console/instances", get(list))
        .route("/console/instances/{id}", get(show))
}

#[derive(Debug, Default, Deserialize)]
struct Filters {
    #[serde(default)]
    product: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    renewal: String,
}

const STATUSES: [&str; 8] = [
    "active",
    "expired",
    "released",
    "unactivated",
    "stopped",
    "frozen",
    "free_tier",
    "unsubscribed",
];

async fn list(
    State(context): State<ApiContext>,
    SignedIn(session): SignedIn,
    Query(filters): Query<Filters>,
) -> Response {
    let Some(account_id) = session.account_id.clone() else {
        return page(
            Some(&session),
            "Instances",
            Nav::Instances,
            pick_an_account(),
        )
        .into_response_html();
    };
    let path = format!(
        "/v1/instances?{}",
        query(&[
            ("account", &account_id),
            ("product", &filters.product),
            ("region", &filters.region),
            ("status", &filters.status),
            ("renewal", &filters.renewal),
            ("limit", "1000"),
        ])
    );
    let listed = api::get(&context, &session, &path).await;
    let products = api::get(&context, &session, "/v1/products").await;
    let catalog = products.body["data"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let regions: Vec<String> = {
        let mut regions: Vec<String> = catalog
            .iter()
            .flat_map(|product| product["regions"].as_array().cloned().unwrap_or_default())
            .filter_map(|region| region.as_str().map(str::to_string))
            .collect();
        regions.sort();
        regions.dedup();
        regions
    };
    let body = html! {
        h1 { "Instances" }
        form.filters method="get" action="/console/instances" {
            div { label for="f-product" { "Product" }
                select id="f-product" name="product" {
                    option value="" { "All" }
                    @for product in &catalog {
                        @let id = product["id"].as_str().unwrap_or("");
                        option value=(id) selected[id == filters.product] { (product["name"].as_str().unwrap_or(id)) }
                    }
                }
            }
            div { label for="f-region" { "Region" }
                select id="f-region" name="region" {
                    option value="" { "All" }
                    @for region in &regions {
                        option value=(region) selected[*region == filters.region] { (region) }
                    }
                }
            }
            div { label for="f-status" { "Status" }
                select id="f-status" name="status" {
                    option value="" { "All" }
                    @for status in STATUSES {
                        option value=(status) selected[status == filters.status] { (status.replace('_', " ")) }
                    }
                }
            }
            div { label for="f-renewal" { "Renewal" }
                select id="f-renewal" name="renewal" {
                    option value="" { "All" }
                    @for (value, label) in [("manual", "Manual"), ("auto", "Auto"), ("none", "Don't renew")] {
                        option value=(value) selected[value == filters.renewal] { (label) }
                    }
                }
            }
            button type="submit" { "Filter" }
        }
        @if !listed.ok() {
            (message("bad", &listed.message()))
        } @else {
            (instance_table(listed.body["data"].as_array().map(Vec::as_slice).unwrap_or(&[])))
        }
    };
    page(Some(&session), "Instances", Nav::Instances, body).into_response_html()
}

fn instance_table(instances: &[Value]) -> Markup {
    html! {
        @if instances.is_empty() {
            p.muted { "No instance matches." }
        } @else {
            div.table-wrap { table {
                thead { tr { th { "Instance" } th { "Product" } th { "Edition / spec" } th { "Region" } th { "Status" } th { "Expires" } th { "Renewal" } } }
                tbody {
                    @for instance in instances {
                        @let id = instance["id"].as_str().unwrap_or("");
                        tr {
                            td { a href={"/console/instances/" (id)} { (id) } }
                            td { (instance["product_id"].as_str().unwrap_or("")) }
                            td { (instance["edition_id"].as_str().unwrap_or("")) " / " (instance["spec_id"].as_str().unwrap_or("")) }
                            td { (instance["region"].as_str().unwrap_or("")) }
                            td { (instance["status"].as_str().unwrap_or("").replace('_', " ")) }
                            td { (when_json(&instance["expires_at"])) }
                            td { (renewal_label(instance)) }
                        }
                    }
                }
            } }
        }
    }
}

/// How an instance renews, in the Renewal Management tabs' words.
pub fn renewal_label(instance: &Value) -> &'static str {
    match instance["renewal_mode"].as_str() {
        Some("auto") => "Auto",
        Some("none") => "Don't renew",
        Some("manual") => "Manual",
        _ => "—",
    }
}

async fn show(
    State(context): State<ApiContext>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
) -> Response {
    let shown = api::get(&context, &session, &format!("/v1/instances/{id}")).await;
    if !shown.ok() {
        return crate::console::layout::answer(
            shown.status,
            page(
                Some(&session),
                "Instance",
                Nav::Instances,
                message("bad", &shown.message()),
            ),
        );
    }
    let instance = shown.body;
    let events = api::get(
        &context,
        &session,
        &format!(
            "/v1/events?{}",
            query(&[("instance", &id), ("limit", "1000")])
        ),
    )
    .await;
    let body = html! {
        h1 { "Instance " (id) }
        dl.facts {
            dt { "Product" } dd { (instance["product_id"].as_str().unwrap_or("")) }
            dt { "Edition / spec" } dd { (instance["edition_id"].as_str().unwrap_or("")) " / " (instance["spec_id"].as_str().unwrap_or("")) }
            dt { "Region" } dd { (instance["region"].as_str().unwrap_or("")) }
            dt { "Status" } dd { (instance["status"].as_str().unwrap_or("").replace('_', " ")) }
            dt { "Expires" } dd { (when_json(&instance["expires_at"])) }
            dt { "Released on" } dd { (when_json(&instance["release_at"])) }
            dt { "Renewal" } dd { (renewal_label(&instance)) }
            dt { "Next deduction" } dd { (when_json(&instance["next_deduction_at"])) }
        }
        @if let Some(attempts) = instance["deduction_attempts"].as_array().filter(|attempts| !attempts.is_empty()) {
            h2 { "Deduction attempts" }
            div.table-wrap { table {
                thead { tr { th { "When" } th { "Outcome" } th.amount { "Due" } } }
                tbody { @for attempt in attempts { tr {
                    td { (when_json(&attempt["attempted_at"])) }
                    td { (attempt["outcome"].as_str().unwrap_or("").replace('_', " ")) }
                    td.amount { (attempt["due_minor"].as_i64().unwrap_or(0)) }
                } } }
            } }
        }
        (super::instance_actions::forms(&context, &session, &instance).await)
        h2 { "Events" }
        div.table-wrap { table {
            thead { tr { th { "When" } th { "Event" } } }
            tbody { @for event in events.body["data"].as_array().map(Vec::as_slice).unwrap_or(&[]) { tr {
                td { (when_json(&event["at"])) }
                td { (event["kind"].as_str().unwrap_or("")) }
            } } }
        } }
    };
    page(
        Some(&session),
        &format!("Instance {id}"),
        Nav::Instances,
        body,
    )
    .into_response_html()
}
