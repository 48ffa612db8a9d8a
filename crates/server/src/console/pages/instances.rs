//! Instances: the list, filtered by product, region, status, renewal mode, tag and name, each
//! by its name (products, editions and specs by the catalog's), and an instance's page: its
//! name and tags (and the form that changes them), expiry, release date, the next deduction and
//! its attempts, its events.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use maud::{html, Markup};
use serde::Deserialize;
use tenure_wire::catalog::Product;
use tenure_wire::events::Event;
use tenure_wire::instances::{Instance, InstanceStatus, RenewalMode};
use tenure_wire::Listing;

use super::{instance_cell, next_page_link, pick_an_account, query, when, CatalogNames};
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
    #[serde(default)]
    tag: String,
    #[serde(default)]
    name: String,
    /// Where the page goes on from: the `next_after` of the page before.
    #[serde(default)]
    after: String,
}

impl Filters {
    /// The filters as the page's links carry them, without the cursor.
    fn pairs(&self) -> [(&'static str, &str); 6] {
        [
            ("product", self.product.as_str()),
            ("region", self.region.as_str()),
            ("status", self.status.as_str()),
            ("renewal", self.renewal.as_str()),
            ("tag", self.tag.as_str()),
            ("name", self.name.as_str()),
        ]
    }
}

/// Rows per page of the instances list.
const PAGE_ROWS: &str = "50";

pub(super) const STATUSES: [&str; 8] = [
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
        query(
            &[
                &[("account", account_id.as_str())][..],
                &filters.pairs(),
                &[("limit", PAGE_ROWS), ("after", filters.after.as_str())],
            ]
            .concat()
        )
    );
    let listed: api::Reply<Listing<Instance>> = api::read(&context, &session, &path).await;
    let names = CatalogNames::read(&context, &session).await;
    let body = html! {
        h1 { "Instances" }
        @if let Some(refusal) = names.refusal() {
            (message("bad", &refusal.message))
        }
        form.filters method="get" action="/console/instances" {
            (product_region_status_filters(names.products(), &filters.product, &filters.region, &filters.status))
            div { label for="f-renewal" { "Renewal" }
                select id="f-renewal" name="renewal" {
                    option value="" { "All" }
                    @for (value, label) in [("manual", "Manual"), ("auto", "Auto"), ("none", "Don't renew")] {
                        option value=(value) selected[value == filters.renewal] { (label) }
                    }
                }
            }
            div { label for="f-tag" { "Tag" }
                input id="f-tag" name="tag" type="text" value=(filters.tag) maxlength="50" placeholder="env:prod"; }
            div { label for="f-name" { "Name holds" }
                input id="f-name" name="name" type="search" value=(filters.name) maxlength="100"; }
            button type="submit" { "Filter" }
        }
        @match &listed {
            Err(refusal) => (message("bad", &refusal.message)),
            Ok(listed) => {
                (instance_table(&listed.data, &names))
                @if let Some(next) = &listed.next_after {
                    (next_page_link(&format!("/console/instances?{}", query(&[&filters.pairs()[..], &[("after", next.as_str())]].concat())), &format!("Next {PAGE_ROWS} instances")))
                }
            }
        }
    };
    page(Some(&session), "Instances", Nav::Instances, body).into_response_html()
}

/// The product, region and status selects of an instances list's filters (this page's and
/// the operator's fleet), each with "All" and the value chosen selected.
pub(super) fn product_region_status_filters(
    catalog: &[Product],
    product: &str,
    region: &str,
    status: &str,
) -> Markup {
    let mut regions: Vec<&str> = catalog
        .iter()
        .flat_map(|product| product.regions.iter().map(String::as_str))
        .collect();
    regions.sort();
    regions.dedup();
    let filters = (product, region, status);
    html! {
            div { label for="f-product" { "Product" }
                select id="f-product" name="product" {
                    option value="" { "All" }
                    @for product in catalog {
                        option value=(product.id) selected[product.id == filters.0] { (product.name) }
                    }
                }
            }
            div { label for="f-region" { "Region" }
                select id="f-region" name="region" {
                    option value="" { "All" }
                    @for region in &regions {
                        option value=(region) selected[*region == filters.1] { (region) }
                    }
                }
            }
            div { label for="f-status" { "Status" }
                select id="f-status" name="status" {
                    option value="" { "All" }
                    @for status in STATUSES {
                        option value=(status) selected[status == filters.2] { (status.replace('_', " ")) }
                    }
                }
            }
    }
}

pub(super) fn instance_table(instances: &[Instance], names: &CatalogNames) -> Markup {
    html! {
        @if instances.is_empty() {
            p.muted { "No instance matches." }
        } @else {
            div.table-wrap { table {
                thead { tr { th { "Instance" } th { "Product" } th { "Edition / spec" } th { "Region" } th { "Status" } th { "Expires" } th { "Renewal" } } }
                tbody {
                    @for instance in instances {
                        tr {
                            td { (instance_cell(&instance.id, instance.name.as_deref(), &instance.tags)) }
                            td { (names.product(&instance.product_id)) }
                            td { (names.configuration(&instance.product_id, &instance.edition_id, &instance.spec_id)) }
                            td { (instance.region) }
                            td { (status_label(instance.status)) }
                            td { (when(instance.expires_at)) }
                            td { (renewal_label(instance)) }
                        }
                    }
                }
            } }
        }
    }
}

/// How an instance renews, in the Renewal Management tabs' words.
pub fn renewal_label(instance: &Instance) -> &'static str {
    match instance.renewal_mode {
        RenewalMode::Auto => "Auto",
        RenewalMode::None => "Don't renew",
        RenewalMode::Manual => "Manual",
    }
}

/// An instance's status as the pages show it: its API name, words apart (`free tier`).
pub fn status_label(status: InstanceStatus) -> String {
    status_name(status).replace('_', " ")
}

/// The status's name on the wire.
fn status_name(status: InstanceStatus) -> &'static str {
    match status {
        InstanceStatus::Unactivated => "unactivated",
        InstanceStatus::Active => "active",
        InstanceStatus::Expired => "expired",
        InstanceStatus::Released => "released",
        InstanceStatus::FreeTier => "free_tier",
        InstanceStatus::ReleaseNeedsManualStep => "release_needs_manual_step",
        InstanceStatus::Unsubscribed => "unsubscribed",
        InstanceStatus::Stopped => "stopped",
        InstanceStatus::Frozen => "frozen",
    }
}

/// Where an instance's list of events goes on from.
#[derive(Debug, Default, Deserialize)]
struct EventsPage {
    #[serde(default)]
    events_after: String,
}

async fn show(
    State(context): State<ApiContext>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
    Query(events_page): Query<EventsPage>,
) -> Response {
    let instance: Instance =
        match api::read(&context, &session, &format!("/v1/instances/{id}")).await {
            Ok(instance) => instance,
            Err(refusal) => {
                return crate::console::layout::answer(
                    refusal.status,
                    page(
                        Some(&session),
                        "Instance",
                        Nav::Instances,
                        message("bad", &refusal.message),
                    ),
                )
            }
        };
    let events: api::Reply<Listing<Event>> = api::read(
        &context,
        &session,
        &format!(
            "/v1/events?{}",
            query(&[
                ("instance", &id),
                ("order", "newest"),
                ("limit", PAGE_ROWS),
                ("after", &events_page.events_after)
            ])
        ),
    )
    .await;
    let names = CatalogNames::read(&context, &session).await;
    let title = match &instance.name {
        Some(name) => format!("Instance {name}"),
        None => format!("Instance {id}"),
    };
    let body = html! {
        h1 { (title) }
        dl.facts {
            dt { "Id" } dd { (id) }
            dt { "Name" } dd { (instance.name.as_deref().unwrap_or("—")) }
            dt { "Tags" } dd {
                @if instance.tags.is_empty() { "—" }
                @else { ul.tags { @for tag in &instance.tags { li.tag { (tag) } } } }
            }
            dt { "Product" } dd { (names.product(&instance.product_id)) }
            dt { "Edition / spec" } dd { (names.configuration(&instance.product_id, &instance.edition_id, &instance.spec_id)) }
            dt { "Region" } dd { (instance.region) }
            dt { "Status" } dd { (status_label(instance.status)) }
            dt { "Expires" } dd { (when(instance.expires_at)) }
            dt { "Released on" } dd { (when(instance.release_at)) }
            dt { "Renewal" } dd { (renewal_label(&instance)) }
            dt { "Next deduction" } dd { (when(instance.next_deduction_at)) }
        }
        @if let Some(attempts) = instance.deduction_attempts.as_deref().filter(|attempts| !attempts.is_empty()) {
            h2 { "Deduction attempts" }
            div.table-wrap { table {
                thead { tr { th { "When" } th { "Outcome" } th.amount { "Due" } } }
                tbody { @for attempt in attempts { tr {
                    td { (when(attempt.attempted_at)) }
                    td { (attempt.outcome.replace('_', " ")) }
                    td.amount { (attempt.due_minor) }
                } } }
            } }
        }
        (super::instance_actions::label_form(&session, &instance))
        (super::instance_actions::forms(&context, &session, &instance).await)
        h2 { "Events" }
        p.muted { "Newest first." }
        @match &events {
            Err(refusal) => (message("bad", &refusal.message)),
            Ok(events) => {
                div.table-wrap { table {
                    thead { tr { th { "When" } th { "Event" } th { "By" } } }
                    tbody { @for event in &events.data { tr {
                        td { (when(event.at)) }
                        td { (event.kind) }
                        td data-test="actor" { (event.actor) }
                    } } }
                } }
                @if let Some(next) = &events.next_after {
                    (next_page_link(&format!("/console/instances/{id}?{}", query(&[("events_after", next)])), "Older events"))
                }
            }
        }
    };
    page(Some(&session), &title, Nav::Instances, body).into_response_html()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_is_named_as_the_api_writes_it() {
        for status in [
            InstanceStatus::Unactivated,
            InstanceStatus::Active,
            InstanceStatus::Expired,
            InstanceStatus::Released,
            InstanceStatus::FreeTier,
            InstanceStatus::ReleaseNeedsManualStep,
            InstanceStatus::Unsubscribed,
            InstanceStatus::Stopped,
            InstanceStatus::Frozen,
        ] {
            assert_eq!(
                serde_json::json!(status_name(status)),
                serde_json::json!(status)
            );
        }
    }
}
