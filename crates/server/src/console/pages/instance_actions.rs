//! What an instance's page does: renew it (the renewal's quote, then the confirm button),
//! upgrade or downgrade it (the API's itemised computation, period by period, before the
//! confirm button), and its auto-renewal settings. Each is a form that reviews first: money is
//! moved only by a second click that names the amount.

use axum::extract::{Path, State};
use axum::http::Method;
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use maud::{html, Markup};
use serde_json::{json, Value};
use tenure_core::access::Permission;

use super::renewals::account_currency;
use super::{money, when_json};
use crate::console::api;
use crate::console::layout::IntoHtml;
use crate::console::layout::{message, page, Nav};
use crate::console::session::{random_token, Session};
use crate::console::{see_other, SignedForm};
use crate::context::ApiContext;

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route("/console/instances/{id}/renew/review", post(review_renewal))
        .route(
            "/console/instances/{id}/renew/confirm",
            post(confirm_renewal),
        )
        .route("/console/instances/{id}/change/review", post(review_change))
        .route(
            "/console/instances/{id}/change/confirm",
            post(confirm_change),
        )
        .route(
            "/console/instances/{id}/auto-renewal",
            post(set_auto_renewal),
        )
}

/// The forms of an instance's page (disabled for a key without the billing permission).
pub async fn forms(context: &ApiContext, session: &Session, instance: &Value) -> Markup {
    let id = instance["id"].as_str().unwrap_or("");
    if instance["billing"] != "subscription"
        || instance["status"] == "released"
        || instance["status"] == "unsubscribed"
    {
        return html! {};
    }
    let may = session.allows(Permission::Billing);
    let products = api::get(context, session, "/v1/products").await;
    let product = products.body["data"]
        .as_array()
        .and_then(|products| {
            products
                .iter()
                .find(|product| product["id"] == instance["product_id"])
        })
        .cloned()
        .unwrap_or(Value::Null);
    let periods: Vec<String> = product["periods"]
        .as_array()
        .map(|periods| {
            periods
                .iter()
                .filter_map(|period| period.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let auto_periods: Vec<String> = product["auto_renewal"]["periods"]
        .as_array()
        .map(|periods| {
            periods
                .iter()
                .filter_map(|period| period.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let specs: Vec<(String, String)> = product["editions"]
        .as_array()
        .and_then(|editions| {
            editions
                .iter()
                .find(|edition| edition["id"] == instance["edition_id"])
        })
        .and_then(|edition| edition["specs"].as_array())
        .map(|specs| {
            specs
                .iter()
                .filter(|spec| spec["id"] != instance["spec_id"])
                .map(|spec| {
                    (
                        spec["id"].as_str().unwrap_or("").to_string(),
                        spec["name"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let auto = instance["renewal_mode"] == "auto";
    html! {
        @if !may { (message("warn", "This key may look but not renew or change (it needs the billing permission).")) }
        h2 { "Renew" }
        form.filters method="post" action={"/console/instances/" (id) "/renew/review"} {
            input type="hidden" name="csrf" value=(session.csrf);
            div { label for="renew-period" { "Duration" }
                select id="renew-period" name="period" { @for period in &periods { option value=(period) { (period) } } } }
            button type="submit" disabled[!may] { "Review renewal" }
        }
        @if !specs.is_empty() {
            h2 { "Upgrade or downgrade" }
            form.filters method="post" action={"/console/instances/" (id) "/change/review"} {
                input type="hidden" name="csrf" value=(session.csrf);
                div { label for="change-spec" { "New spec" }
                    select id="change-spec" name="spec" { @for (spec, name) in &specs { option value=(spec) { (name) " (" (spec) ")" } } } }
                button type="submit" disabled[!may] { "Review change" }
            }
        }
        @if !auto_periods.is_empty() {
            h2 { "Auto-renewal" }
            form.filters method="post" action={"/console/instances/" (id) "/auto-renewal"} {
                input type="hidden" name="csrf" value=(session.csrf);
                div { label for="auto-period" { "Renew automatically every" }
                    select id="auto-period" name="period" { @for period in &auto_periods {
                        option value=(period) selected[instance["auto_renew_period"] == period.as_str()] { (period) } } } }
                button type="submit" name="enabled" value="true" disabled[!may] { @if auto { "Modify auto-renewal" } @else { "Enable auto-renewal" } }
                @if auto { button.secondary type="submit" name="enabled" value="false" disabled[!may] { "Disable auto-renewal" } }
            }
        }
    }
}

fn review_page(session: &Session, title: &str, body: Markup) -> Response {
    page(Some(session), title, Nav::Instances, body).into_response_html()
}

async fn review_renewal(
    State(context): State<ApiContext>,
    Path(id): Path<String>,
    SignedForm { session, fields }: SignedForm,
) -> Response {
    let period = fields.one("period").unwrap_or("1M").to_string();
    let quoted = api::call(
        &context,
        &session,
        Method::POST,
        "/v1/renewals/quote",
        Some(json!({ "instances": [id], "period": period })),
        None,
    )
    .await;
    if !quoted.ok() {
        return review_page(&session, "Renew", message("bad", &quoted.message()));
    }
    let currency = account_currency(&context, &session).await;
    let item = &quoted.body["data"][0];
    let price = item["order"]["list_price_minor"].as_i64().unwrap_or(0);
    review_page(
        &session,
        "Review the renewal",
        html! {
            h1 { "Renew " (id) " for " (period) }
            div.quote { dl.facts {
                dt { "Renewed until" } dd { (when_json(&item["instance"]["expires_at"])) }
                dt { "Price" } dd data-test="renewal-price" { (money(price, &currency)) }
                dt { "From coupons" } dd { (money(item["order"]["paid_coupon_minor"].as_i64().unwrap_or(0), &currency)) }
                dt { "From the balance" } dd { (money(item["order"]["paid_balance_minor"].as_i64().unwrap_or(0), &currency)) }
            } }
            form method="post" action={"/console/instances/" (id) "/renew/confirm"} {
                input type="hidden" name="csrf" value=(session.csrf);
                input type="hidden" name="period" value=(period);
                input type="hidden" name="idempotency_key" value=(random_token());
                button type="submit" { "Renew for " (money(price, &currency)) }
                " " a href={"/console/instances/" (id)} { "Cancel" }
            }
        },
    )
}

async fn confirm_renewal(
    State(context): State<ApiContext>,
    Path(id): Path<String>,
    SignedForm { session, fields }: SignedForm,
) -> Response {
    let renewed = api::post(
        &context,
        &session,
        &format!("/v1/instances/{id}/renew"),
        json!({ "period": fields.one("period").unwrap_or("1M") }),
        fields.one("idempotency_key").unwrap_or(""),
    )
    .await;
    if !renewed.ok() {
        return review_page(&session, "Renew", message("bad", &renewed.message()));
    }
    see_other(&format!("/console/instances/{id}"))
}

/// The API's itemised computation of a change, period by period.
fn computation(quote: &Value) -> Markup {
    let currency = quote["currency"].as_str().unwrap_or("USD");
    let amount = |value: &Value| money(value.as_i64().unwrap_or(0), currency);
    html! {
        p { "From " (quote["from"]["spec_id"].as_str().unwrap_or("")) " to " (quote["to"]["spec_id"].as_str().unwrap_or("")) " (" (quote["direction"].as_str().unwrap_or("")) ")." }
        p.muted { "How it is computed: " (quote["proration_rule"].as_str().unwrap_or("")) "." }
        div.table-wrap { table {
            thead { tr { th { "Period" } th { "Used / ordered hours" } th.amount { "Unused value" } th.amount { "New cost" } th.amount { "Charge" } th.amount { "Refund" } } }
            tbody { @for period in quote["periods"].as_array().map(Vec::as_slice).unwrap_or(&[]) {
                @let amounts = period;
                tr {
                    td { (when_json(&period["starts_at"])) " – " (when_json(&period["ends_at"])) }
                    td { (amounts["usage"]["used_hours"].as_i64().unwrap_or(0)) " / " (amounts["usage"]["ordered_hours"].as_i64().unwrap_or(0)) }
                    td.amount { (amount(&amounts["unused"]["cash_minor"])) }
                    td.amount { (amount(&amounts["new_cost_minor"])) }
                    td.amount { (amount(&amounts["charge_minor"])) }
                    td.amount { (amount(&amounts["refund_minor"])) }
                }
            } }
            tfoot { tr { th colspan="4" { "Total" } th.amount data-test="change-charge" { (amount(&quote["charge_minor"])) } th.amount data-test="change-refund" { (amount(&quote["refund_minor"])) } } }
        } }
        @if quote["needs_approval"] == true { (message("warn", "This change waits for the operator's approval before it takes effect.")) }
    }
}

async fn review_change(
    State(context): State<ApiContext>,
    Path(id): Path<String>,
    SignedForm { session, fields }: SignedForm,
) -> Response {
    let spec = fields.one("spec").unwrap_or("").to_string();
    let quoted = api::call(
        &context,
        &session,
        Method::POST,
        &format!("/v1/instances/{id}/change/quote"),
        Some(json!({ "spec": spec })),
        None,
    )
    .await;
    if !quoted.ok() {
        return review_page(&session, "Change", message("bad", &quoted.message()));
    }
    let currency = quoted.body["currency"]
        .as_str()
        .unwrap_or("USD")
        .to_string();
    let charge = quoted.body["charge_minor"].as_i64().unwrap_or(0);
    let refund = quoted.body["refund_minor"].as_i64().unwrap_or(0);
    let label = if charge > 0 {
        format!("Pay {} and change", money(charge, &currency))
    } else {
        format!("Change, refunded {}", money(refund, &currency))
    };
    review_page(
        &session,
        "Review the change",
        html! {
            h1 { "Change " (id) }
            div.quote { (computation(&quoted.body)) }
            form method="post" action={"/console/instances/" (id) "/change/confirm"} {
                input type="hidden" name="csrf" value=(session.csrf);
                input type="hidden" name="spec" value=(spec);
                input type="hidden" name="idempotency_key" value=(random_token());
                button type="submit" { (label) }
                " " a href={"/console/instances/" (id)} { "Cancel" }
            }
        },
    )
}

async fn confirm_change(
    State(context): State<ApiContext>,
    Path(id): Path<String>,
    SignedForm { session, fields }: SignedForm,
) -> Response {
    let changed = api::post(
        &context,
        &session,
        &format!("/v1/instances/{id}/change"),
        json!({ "spec": fields.one("spec").unwrap_or("") }),
        fields.one("idempotency_key").unwrap_or(""),
    )
    .await;
    if !changed.ok() {
        return review_page(&session, "Change", message("bad", &changed.message()));
    }
    see_other(&format!("/console/instances/{id}"))
}

async fn set_auto_renewal(
    State(context): State<ApiContext>,
    Path(id): Path<String>,
    SignedForm { session, fields }: SignedForm,
) -> Response {
    let period =
        (fields.one("enabled") == Some("true")).then(|| fields.one("period").unwrap_or("1M"));
    let set = super::renewals::set_auto_renewal(&context, &session, &id, period).await;
    if !set.ok() {
        return review_page(&session, "Auto-renewal", message("bad", &set.message()));
    }
    see_other(&format!("/console/instances/{id}"))
}
