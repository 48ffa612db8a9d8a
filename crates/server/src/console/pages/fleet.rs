//! The operator's instances across the fleet: every account's, filtered by product, status,
//! region and expiry, 50 a page with a next link, and the same selection as a CSV file.

use axum::extract::{Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use jiff::{SignedDuration, Timestamp};
use maud::html;
use serde::Deserialize;
use tenure_wire::clock::ClockView;
use tenure_wire::instances::Instance;
use tenure_wire::Listing;

use super::instances::{product_region_status_filters, renewal_label};
use super::operator::operator;
use super::{label, query, when};
use crate::console::api;
use crate::console::layout::{message, page, IntoHtml, Nav};
use crate::console::session::Session;
use crate::context::ApiContext;

/// The most rows a CSV export holds: a file an operator opens in a spreadsheet.
const CSV_MAX_ROWS: usize = 100_000;
const PAGE_ROWS: &str = "50";

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route("/console/fleet", get(fleet))
        .route("/console/fleet.csv", get(fleet_csv))
}

#[derive(Debug, Default, Deserialize)]
struct Filters {
    #[serde(default)]
    product: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    status: String,
    /// Expiring after now and within this many days (7, 30 or 90).
    #[serde(default)]
    expiring_within_days: String,
    #[serde(default)]
    after: String,
}

impl Filters {
    /// The filters as the page's links carry them, without the cursor.
    fn pairs(&self) -> Vec<(&'static str, &str)> {
        vec![
            ("product", self.product.as_str()),
            ("region", self.region.as_str()),
            ("status", self.status.as_str()),
            ("expiring_within_days", self.expiring_within_days()),
        ]
    }

    /// The page after the cursor `next`, with the same filters.
    fn next_page(&self, next: &str) -> String {
        let mut pairs = self.pairs();
        pairs.push(("after", next));
        format!("/console/fleet?{}", query(&pairs))
    }

    fn expiring_within_days(&self) -> &'static str {
        ["7", "30", "90"]
            .into_iter()
            .find(|days| *days == self.expiring_within_days)
            .unwrap_or("")
    }

    /// `GET /v1/instances` with these filters, from `after`, `limit` a page.
    fn api_path(&self, now: Option<Timestamp>, after: &str, limit: &str) -> String {
        let mut pairs: Vec<(&str, String)> = vec![
            ("product", self.product.clone()),
            ("region", self.region.clone()),
            ("status", self.status.clone()),
            ("limit", limit.to_string()),
            ("after", after.to_string()),
        ];
        if let (Ok(days), Some(now)) = (self.expiring_within_days().parse::<i64>(), now) {
            pairs.push(("expires_after", now.to_string()));
            pairs.push((
                "expires_before",
                (now + SignedDuration::from_hours(24 * days)).to_string(),
            ));
        }
        let pairs: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(name, value)| (*name, value.as_str()))
            .collect();
        format!("/v1/instances?{}", query(&pairs))
    }
}

/// The tenure clock's time (the simulated one on a simulated clock).
async fn now(context: &ApiContext, session: &Session) -> Option<Timestamp> {
    let clock: api::Reply<ClockView> = api::read(context, session, "/v1/clock").await;
    clock.ok().map(|clock| clock.now)
}

async fn fleet(
    State(context): State<ApiContext>,
    headers: HeaderMap,
    Query(filters): Query<Filters>,
) -> Response {
    let session = match operator(&context, &headers).await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let now = now(&context, &session).await;
    let path = filters.api_path(now, &filters.after, PAGE_ROWS);
    let listed: api::Reply<Listing<Instance>> = api::read(&context, &session, &path).await;
    let names = super::CatalogNames::read(&context, &session).await;
    let csv = format!("/console/fleet.csv?{}", query(&filters.pairs()));
    let body = html! {
        h1 { "Fleet" }
        p.muted { "Every account's instances." }
        form.filters method="get" action="/console/fleet" {
            (product_region_status_filters(names.products(), &filters.product, &filters.region, &filters.status))
            div { label for="f-expiring" { "Expiring within" }
                select id="f-expiring" name="expiring_within_days" {
                    option value="" { "Any time" }
                    @for days in ["7", "30", "90"] {
                        option value=(days) selected[days == filters.expiring_within_days()] { (days) " days" }
                    }
                }
            }
            button type="submit" { "Filter" }
        }
        p { a href=(csv) download="instances.csv" data-test="csv" { "Download these as CSV" } }
        @match &listed {
            Err(refusal) => (message("bad", &refusal.message)),
            Ok(listed) if listed.data.is_empty() => p.muted { "No instance matches." },
            Ok(listed) => {
                div.table-wrap { table data-test="fleet" {
                    thead { tr { th { "Instance" } th { "Account" } th { "Product" } th { "Edition / spec" } th { "Region" } th { "Status" } th { "Expires" } th { "Renewal" } } }
                    tbody { @for instance in &listed.data { tr data-test="fleet-row" {
                        td { (super::instance_cell(&instance.id, instance.name.as_deref(), &instance.tags)) }
                        td { a href={"/console/accounts/" (instance.account_id)} { (instance.account_id) } }
                        td { (names.product(&instance.product_id)) }
                        td { (names.configuration(&instance.product_id, &instance.edition_id, &instance.spec_id)) }
                        td { (instance.region) }
                        td { (label(&instance.status)) }
                        td { (when(instance.expires_at)) }
                        td { (renewal_label(instance)) }
                    } } }
                } }
                @if let Some(next) = &listed.next_after {
                    (super::next_page_link(&filters.next_page(next), "Next page"))
                }
            }
        }
    };
    page(Some(&session), "Fleet", Nav::Fleet, body).into_response_html()
}

/// The selection as CSV, every page of it up to [`CSV_MAX_ROWS`]; a refusal of the API is
/// the page's answer, not a file.
async fn fleet_csv(
    State(context): State<ApiContext>,
    headers: HeaderMap,
    Query(filters): Query<Filters>,
) -> Response {
    let session = match operator(&context, &headers).await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let now = now(&context, &session).await;
    let mut csv = String::from(
        "instance_id,name,tags,account_id,product_id,edition_id,spec_id,region,status,expires_at,renewal_mode\r\n",
    );
    let mut after = String::new();
    let mut rows = 0;
    loop {
        let path = filters.api_path(now, &after, "1000");
        let listed: api::Reply<Listing<Instance>> = api::read(&context, &session, &path).await;
        let listed = match listed {
            Ok(listed) => listed,
            Err(refusal) => {
                return (
                    refusal.status,
                    page(
                        Some(&session),
                        "Fleet",
                        Nav::Fleet,
                        message("bad", &refusal.message),
                    )
                    .into_string(),
                )
                    .into_response();
            }
        };
        for instance in &listed.data {
            let fields = [
                instance.id.clone(),
                instance.name.clone().unwrap_or_default(),
                instance.tags.join(" "),
                instance.account_id.clone(),
                instance.product_id.clone(),
                instance.edition_id.clone(),
                instance.spec_id.clone(),
                instance.region.clone(),
                super::wire_name(&instance.status),
                instance
                    .expires_at
                    .map(|at| at.to_string())
                    .unwrap_or_default(),
                super::wire_name(&instance.renewal_mode),
            ];
            let fields: Vec<String> = fields.iter().map(|field| csv_field(field)).collect();
            csv.push_str(&fields.join(","));
            csv.push_str("\r\n");
            rows += 1;
        }
        match listed.next_after {
            Some(next) if rows < CSV_MAX_ROWS => after = next,
            _ => break,
        }
    }
    (
        StatusCode::OK,
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                CONTENT_DISPOSITION,
                "attachment; filename=\"instances.csv\"",
            ),
        ],
        csv,
    )
        .into_response()
}

/// A field of RFC 4180 CSV, quoted when it holds a comma, quote or line break; one that a
/// spreadsheet would run as a formula (`=`, `+`, `-`, `@` first) is quoted behind a `'`.
fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if value.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        assert_eq!(csv_field("inst_1"), "inst_1");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=1+1"), "'=1+1");
        assert_eq!(csv_field("-2,3"), "\"'-2,3\"");
    }
}
