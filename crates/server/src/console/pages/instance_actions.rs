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
use serde_json::json;
use tenure_core::access::Permission;
use tenure_wire::catalog::{Billing, Products};
use tenure_wire::changes::{ChangeDirection, ChangeOutcome, ChangeQuoteView};
use tenure_wire::instances::{Instance, InstanceStatus, RenewalMode};
use tenure_wire::renewals::{RenewalResult, RenewedMany};

use super::renewals::account_currency;
use super::{money, when};
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
        .route("/console/instances/{id}/labels", post(set_labels))
}

/// The form that names and tags an instance (`PATCH /v1/instances/{id}`); disabled for a key
/// without the billing permission, as the API refuses it.
pub fn label_form(session: &Session, instance: &Instance) -> Markup {
    let may = session.allows(Permission::Billing);
    html! {
        h2 { "Name and tags" }
        form.filters method="post" action={"/console/instances/" (instance.id) "/labels"} {
            input type="hidden" name="csrf" value=(session.csrf);
            input type="hidden" name="idempotency_key" value=(random_token());
            div { label for="label-name" { "Name" }
                input id="label-name" name="name" type="text" maxlength="100"
                    value=(instance.name.as_deref().unwrap_or("")); }
            div { label for="label-tags" { "Tags (separated by spaces)" }
                input id="label-tags" name="tags" type="text" value=(instance.tags.join(" "))
                    aria-describedby="label-tags-help"; }
            button type="submit" disabled[!may] { "Save name and tags" }
        }
        p.muted id="label-tags-help" { "Tags: a-z, 0-9 and _ - : . — at most 20. An empty name removes it." }
    }
}

async fn set_labels(
    State(context): State<ApiContext>,
    Path(id): Path<String>,
    SignedForm { session, fields }: SignedForm,
) -> Response {
    let name = fields.one("name").unwrap_or("").trim();
    let tags: Vec<&str> = fields
        .one("tags")
        .unwrap_or("")
        .split([' ', ','])
        .filter(|tag| !tag.is_empty())
        .collect();
    let body = json!({
        "name": (!name.is_empty()).then_some(name),
        "tags": tags,
    });
    let labelled: api::Reply<Instance> = api::send(
        &context,
        &session,
        Method::PATCH,
        &format!("/v1/instances/{id}"),
        body,
        fields.one("idempotency_key"),
    )
    .await;
    if let Err(refusal) = labelled {
        return review_page(&session, "Name and tags", message("bad", &refusal.message));
    }
    see_other(&format!("/console/instances/{id}"))
}

/// The forms of an instance's page (disabled for a key without the billing permission).
pub async fn forms(context: &ApiContext, session: &Session, instance: &Instance) -> Markup {
    let id = &instance.id;
    if instance.billing != Billing::Subscription
        || instance.status == InstanceStatus::Released
        || instance.status == InstanceStatus::Unsubscribed
    {
        return html! {};
    }
    let may = session.allows(Permission::Billing);
    let product = match api::read::<Products>(context, session, "/v1/products").await {
        Ok(products) => products
            .data
            .into_iter()
            .find(|product| product.id == instance.product_id),
        Err(refusal) => return message("bad", &refusal.message),
    };
    let (periods, auto_periods, specs) = match &product {
        Some(product) => (
            product.periods.as_slice(),
            product.auto_renewal.periods.as_slice(),
            product
                .editions
                .iter()
                .find(|edition| edition.id == instance.edition_id)
                .map(|edition| {
                    edition
                        .specs
                        .iter()
                        .filter(|spec| spec.id != instance.spec_id)
                        .collect()
                })
                .unwrap_or_default(),
        ),
        None => (&[][..], &[][..], Vec::new()),
    };
    let auto = instance.renewal_mode == RenewalMode::Auto;
    html! {
        @if !may { (message("warn", "This key may look but not renew or change (it needs the billing permission).")) }
        h2 { "Renew" }
        form.filters method="post" action={"/console/instances/" (id) "/renew/review"} {
            input type="hidden" name="csrf" value=(session.csrf);
            div { label for="renew-period" { "Duration" }
                select id="renew-period" name="period" { @for period in periods { option value=(period) { (period) } } } }
            button type="submit" disabled[!may] { "Review renewal" }
        }
        @if !specs.is_empty() {
            h2 { "Upgrade or downgrade" }
            form.filters method="post" action={"/console/instances/" (id) "/change/review"} {
                input type="hidden" name="csrf" value=(session.csrf);
                div { label for="change-spec" { "New spec" }
                    select id="change-spec" name="spec" { @for spec in &specs { option value=(spec.id) { (spec.name) " (" (spec.id) ")" } } } }
                button type="submit" disabled[!may] { "Review change" }
            }
        }
        @if !auto_periods.is_empty() {
            h2 { "Auto-renewal" }
            form.filters method="post" action={"/console/instances/" (id) "/auto-renewal"} {
                input type="hidden" name="csrf" value=(session.csrf);
                div { label for="auto-period" { "Renew automatically every" }
                    select id="auto-period" name="period" { @for period in auto_periods {
                        option value=(period) selected[instance.auto_renew_period.as_ref() == Some(period)] { (period) } } } }
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
    let quoted: api::Reply<RenewedMany> = api::send(
        &context,
        &session,
        Method::POST,
        "/v1/renewals/quote",
        json!({ "instances": [id], "period": period }),
        None,
    )
    .await;
    let item = match quoted.map(|quoted| quoted.data.into_iter().next()) {
        Ok(Some(item)) => item,
        Ok(None) => {
            return review_page(
                &session,
                "Renew",
                message("bad", "tenure quoted no renewal for this instance."),
            )
        }
        Err(refusal) => return review_page(&session, "Renew", message("bad", &refusal.message)),
    };
    let currency = account_currency(&context, &session).await;
    let price = item.order.list_price_minor;
    review_page(
        &session,
        "Review the renewal",
        html! {
            h1 { "Renew " (tenure_core::label::called(&id, item.instance.name.as_deref())) " for " (period) }
            div.quote { dl.facts {
                dt { "Renewed until" } dd { (when(item.instance.expires_at)) }
                dt { "Price" } dd data-test="renewal-price" { (money(price, &currency)) }
                dt { "From coupons" } dd { (money(item.order.paid_coupon_minor, &currency)) }
                dt { "From the balance" } dd { (money(item.order.paid_balance_minor, &currency)) }
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
    let renewed: api::Reply<RenewalResult> = api::send(
        &context,
        &session,
        Method::POST,
        &format!("/v1/instances/{id}/renew"),
        json!({ "period": fields.one("period").unwrap_or("1M") }),
        Some(fields.one("idempotency_key").unwrap_or("")),
    )
    .await;
    if let Err(refusal) = renewed {
        return review_page(&session, "Renew", message("bad", &refusal.message));
    }
    see_other(&format!("/console/instances/{id}"))
}

/// The API's itemised computation of a change, period by period.
fn computation(quote: &ChangeQuoteView) -> Markup {
    let amount = |amount_minor: i64| money(amount_minor, &quote.currency);
    html! {
        p { "From " (quote.from.spec_id) " to " (quote.to.spec_id) " (" (direction_name(quote.direction)) ")." }
        p.muted { "How it is computed: " (quote.proration_rule) "." }
        div.table-wrap { table {
            thead { tr { th { "Period" } th { "Used / ordered hours" } th.amount { "Unused value" } th.amount { "New cost" } th.amount { "Charge" } th.amount { "Refund" } } }
            tbody { @for period in &quote.periods {
                tr {
                    td { (when(period.starts_at)) " – " (when(period.ends_at)) }
                    td { (period.usage.used_hours) " / " (period.usage.ordered_hours) }
                    td.amount { (amount(period.unused.cash_minor)) }
                    td.amount { (amount(period.new_cost_minor)) }
                    td.amount { (amount(period.charge_minor)) }
                    td.amount { (amount(period.refund_minor)) }
                }
            } }
            tfoot { tr { th colspan="4" { "Total" } th.amount data-test="change-charge" { (amount(quote.charge_minor)) } th.amount data-test="change-refund" { (amount(quote.refund_minor)) } } }
        } }
        @if quote.needs_approval { (message("warn", "This change waits for the operator's approval before it takes effect.")) }
    }
}

/// A change's direction as the API writes it.
fn direction_name(direction: ChangeDirection) -> &'static str {
    match direction {
        ChangeDirection::Upgrade => "upgrade",
        ChangeDirection::Downgrade => "downgrade",
    }
}

async fn review_change(
    State(context): State<ApiContext>,
    Path(id): Path<String>,
    SignedForm { session, fields }: SignedForm,
) -> Response {
    let spec = fields.one("spec").unwrap_or("").to_string();
    let quoted: ChangeQuoteView = match api::send(
        &context,
        &session,
        Method::POST,
        &format!("/v1/instances/{id}/change/quote"),
        json!({ "spec": spec }),
        None,
    )
    .await
    {
        Ok(quoted) => quoted,
        Err(refusal) => return review_page(&session, "Change", message("bad", &refusal.message)),
    };
    let label = if quoted.charge_minor > 0 {
        format!(
            "Pay {} and change",
            money(quoted.charge_minor, &quoted.currency)
        )
    } else {
        format!(
            "Change, refunded {}",
            money(quoted.refund_minor, &quoted.currency)
        )
    };
    review_page(
        &session,
        "Review the change",
        html! {
            h1 { "Change " (id) }
            div.quote { (computation(&quoted)) }
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
    let changed: api::Reply<ChangeOutcome> = api::send(
        &context,
        &session,
        Method::POST,
        &format!("/v1/instances/{id}/change"),
        json!({ "spec": fields.one("spec").unwrap_or("") }),
        Some(fields.one("idempotency_key").unwrap_or("")),
    )
    .await;
    if let Err(refusal) = changed {
        return review_page(&session, "Change", message("bad", &refusal.message));
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
    if let Err(refusal) = set {
        return review_page(&session, "Auto-renewal", message("bad", &refusal.message));
    }
    see_other(&format!("/console/instances/{id}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_direction_is_named_as_the_api_writes_it() {
        for direction in [ChangeDirection::Upgrade, ChangeDirection::Downgrade] {
            assert_eq!(json!(direction_name(direction)), json!(direction));
        }
    }
}
