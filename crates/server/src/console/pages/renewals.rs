//! Renewal Management: tabs Manual / Auto / Don't renew; select several instances and renew
//! them for one duration (the quote, instance by instance, shown before the confirm button),
//! or enable, modify or disable auto-renewal for the selection, with the API's warnings (an
//! instance that expires too soon for auto-renewal to take effect, say).

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::json;
use tenure_core::access::Permission;
use tenure_wire::accounts::AccountView;
use tenure_wire::instances::Instance;
use tenure_wire::renewals::{RenewalModeResult, RenewedMany};
use tenure_wire::{Listing, Period};

use super::instances::{renewal_label, status_label};
use super::{money, next_page_link, pick_an_account, query, selection_count, when};
use crate::console::api;
use crate::console::form::Fields;
use crate::console::layout::IntoHtml;
use crate::console::layout::{message, page, Nav};
use crate::console::session::Session;
use crate::console::{SignedForm, SignedIn};
use crate::context::ApiContext;

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route("/console/renewals", get(list))
        .route("/console/renewals/review", post(review))
        .route("/console/renewals/confirm", post(confirm))
        .route("/console/renewals/auto", post(auto_renewal))
}

const TABS: [(&str, &str); 3] = [
    ("manual", "Manual"),
    ("auto", "Auto"),
    ("none", "Don't renew"),
];
const PERIODS: [(&str, &str); 5] = [
    ("1M", "1 month"),
    ("3M", "3 months"),
    ("6M", "6 months"),
    ("1Y", "1 year"),
    ("2Y", "2 years"),
];

/// Rows per page: a bulk action works on what the page shows.
const PAGE_ROWS: &str = "50";

#[derive(Debug, Default, Deserialize)]
struct Tab {
    #[serde(default)]
    tab: String,
    /// Where the page goes on from: the `next_after` of the page before.
    #[serde(default)]
    after: String,
}

async fn list(
    State(context): State<ApiContext>,
    SignedIn(session): SignedIn,
    Query(tab): Query<Tab>,
) -> Response {
    let name = if TABS.iter().any(|(id, _)| *id == tab.tab) {
        tab.tab
    } else {
        "manual".to_string()
    };
    renewals_page(&context, &session, &name, &tab.after, html! {}).await
}

async fn renewals_page(
    context: &ApiContext,
    session: &Session,
    tab: &str,
    after: &str,
    top: Markup,
) -> Response {
    let Some(account_id) = session.account_id.clone() else {
        return page(Some(session), "Renewals", Nav::Renewals, pick_an_account())
            .into_response_html();
    };
    let listed: api::Reply<Listing<Instance>> = api::read(
        context,
        session,
        &format!(
            "/v1/instances?{}",
            query(&[
                ("account", &account_id),
                ("renewal", tab),
                ("billing", "subscription"),
                ("limit", PAGE_ROWS),
                ("after", after),
            ])
        ),
    )
    .await;
    let may_renew = session.allows(Permission::Billing);
    let names = super::CatalogNames::read(context, session).await;
    let body = html! {
        h1 { "Renewal Management" }
        (top)
        nav.tabs aria-label="Renewal mode" {
            @for (id, label) in TABS {
                a href={"/console/renewals?tab=" (id)} aria-current=[(id == tab).then_some("page")] { (label) }
            }
        }
        @if !may_renew {
            (message("warn", "This key may look but not renew or change renewal settings (it needs the billing permission)."))
        }
        @match &listed {
            Err(refusal) => (message("bad", &refusal.message)),
            Ok(listed) if listed.data.is_empty() => p.muted { "No instance renews this way." },
            Ok(Listing { data: instances, next_after }) => form method="post" action="/console/renewals/review" {
                input type="hidden" name="csrf" value=(session.csrf);
                input type="hidden" name="tab" value=(tab);
                div.table-wrap { table {
                    thead { tr {
                        th { input type="checkbox" id="select-all" data-select-all="instance" aria-label="Select every instance"; }
                        th { "Instance" } th { "Product" } th { "Status" } th { "Expires" } th { "Renewal" } th { "Auto-renewal period" }
                    } }
                    tbody { @for instance in instances {
                        @let id = &instance.id;
                        tr {
                            td { input type="checkbox" name="instance" value=(id) id={"pick-" (id)} aria-label={"Select " (instance.name.as_deref().unwrap_or(id))}; }
                            td { (super::instance_cell(id, instance.name.as_deref(), &instance.tags)) }
                            td { (names.product(&instance.product_id)) " " span.instance-id { (names.configuration(&instance.product_id, &instance.edition_id, &instance.spec_id)) } }
                            td { (status_label(instance.status)) }
                            td { (when(instance.expires_at)) }
                            td { (renewal_label(instance)) }
                            td { (instance.auto_renew_period.as_ref().map_or("—", Period::as_str)) }
                        }
                    } }
                } }
                @if let Some(next) = next_after {
                    (next_page_link(&format!("/console/renewals?{}", query(&[("tab", tab), ("after", next)])), &format!("Next {PAGE_ROWS} instances")))
                }
                div.filters {
                    (selection_count("instance"))
                    div {
                        label for="period" { "Duration" }
                        select id="period" name="period" {
                            @for (value, label) in PERIODS { option value=(value) { (label) } }
                        }
                    }
                    button type="submit" name="action" value="renew" disabled[!may_renew] { "Review bulk renewal" }
                    button.secondary type="submit" formaction="/console/renewals/auto" name="action" value="enable" disabled[!may_renew] { "Enable or modify auto-renewal" }
                    button.secondary type="submit" formaction="/console/renewals/auto" name="action" value="disable" disabled[!may_renew] { "Disable auto-renewal" }
                }
            },
        }
    };
    page(Some(session), "Renewals", Nav::Renewals, body).into_response_html()
}

fn picked(fields: &Fields) -> Vec<String> {
    fields
        .all("instance")
        .into_iter()
        .map(str::to_string)
        .collect()
}

/// The quote of a bulk renewal, instance by instance, and the button that confirms it.
async fn review(
    State(context): State<ApiContext>,
    SignedForm { session, fields }: SignedForm,
) -> Response {
    let tab = fields.one("tab").unwrap_or("manual").to_string();
    let instances = picked(&fields);
    let period = fields.one("period").unwrap_or("1M").to_string();
    if instances.is_empty() {
        return renewals_page(
            &context,
            &session,
            &tab,
            "",
            message("bad", "Select at least one instance to renew."),
        )
        .await;
    }
    let quoted: api::Reply<RenewedMany> = api::send(
        &context,
        &session,
        axum::http::Method::POST,
        "/v1/renewals/quote",
        json!({ "instances": instances, "period": period }),
        None,
    )
    .await;
    let items = match quoted {
        Ok(quoted) => quoted.data,
        Err(refusal) => {
            return renewals_page(
                &context,
                &session,
                &tab,
                "",
                message("bad", &refusal.message),
            )
            .await
        }
    };
    let currency = account_currency(&context, &session).await;
    let total: i64 = items.iter().map(|item| item.order.list_price_minor).sum();
    let body = html! {
        h1 { "Review the renewal" }
        div.quote {
            div.table-wrap { table {
                thead { tr { th { "Instance" } th { "Renewed until" } th.amount { "Price" } th.amount { "From coupons" } th.amount { "From the balance" } } }
                tbody { @for item in &items { tr {
                    td { @match &item.instance.name {
                        Some(name) => { (name) " " span.instance-id { (item.instance.id) } }
                        None => (item.instance.id),
                    } }
                    td { (when(item.instance.expires_at)) }
                    td.amount { (money(item.order.list_price_minor, &currency)) }
                    td.amount { (money(item.order.paid_coupon_minor, &currency)) }
                    td.amount { (money(item.order.paid_balance_minor, &currency)) }
                } } }
                tfoot { tr { th colspan="2" { "Total" } th.amount data-test="renewal-total" { (money(total, &currency)) } th {} th {} } }
            } }
        }
        form method="post" action="/console/renewals/confirm" {
            input type="hidden" name="csrf" value=(session.csrf);
            input type="hidden" name="period" value=(period);
            input type="hidden" name="idempotency_key" value=(crate::console::session::random_token());
            @for id in &instances { input type="hidden" name="instance" value=(id); }
            button type="submit" { "Renew " (items.len()) " for " (money(total, &currency)) }
            " "
            a href={"/console/renewals?tab=" (tab)} { "Cancel" }
        }
    };
    page(Some(&session), "Review the renewal", Nav::Renewals, body).into_response_html()
}

async fn confirm(
    State(context): State<ApiContext>,
    SignedForm { session, fields }: SignedForm,
) -> Response {
    let instances = picked(&fields);
    let period = fields.one("period").unwrap_or("1M");
    // The form's own key: a double click, or a reload of the answer, renews once.
    let key = fields.one("idempotency_key").unwrap_or("");
    let renewed: api::Reply<RenewedMany> = api::send(
        &context,
        &session,
        axum::http::Method::POST,
        "/v1/renewals",
        json!({ "instances": instances, "period": period }),
        Some(key),
    )
    .await;
    let (top, status) = match renewed {
        Ok(renewed) => (
            message(
                "good",
                &format!("Renewed {} instance(s) for {period}.", renewed.data.len()),
            ),
            StatusCode::OK,
        ),
        Err(refusal) => (message("bad", &refusal.message), refusal.status),
    };
    let response = renewals_page(&context, &session, "manual", "", top).await;
    with_status(response, status)
}

async fn auto_renewal(
    State(context): State<ApiContext>,
    SignedForm { session, fields }: SignedForm,
) -> Response {
    let tab = fields.one("tab").unwrap_or("manual").to_string();
    let instances = picked(&fields);
    if instances.is_empty() {
        return renewals_page(
            &context,
            &session,
            &tab,
            "",
            message("bad", "Select at least one instance."),
        )
        .await;
    }
    let enable = fields.one("action") == Some("enable");
    let period = fields.one("period").unwrap_or("1M");
    let mut lines = Vec::new();
    for id in &instances {
        let set = match set_auto_renewal(&context, &session, id, enable.then_some(period)).await {
            Ok(set) => set,
            Err(refusal) => {
                lines.push(("bad", format!("{id}: {}", refusal.message)));
                continue;
            }
        };
        lines.push((
            "good",
            format!(
                "{id}: {}",
                if enable {
                    format!("renews automatically every {period}")
                } else {
                    "renewed by hand".to_string()
                }
            ),
        ));
        for warning in &set.warnings {
            lines.push(("warn", format!("{id}: {}", warning.message)));
        }
    }
    let done = lines.iter().filter(|(kind, _)| *kind == "good").count();
    let summary = if enable {
        format!(
            "Auto-renewal set for {done} of the {} selected.",
            instances.len()
        )
    } else {
        format!(
            "Auto-renewal turned off for {done} of the {} selected.",
            instances.len()
        )
    };
    let top = html! {
        (message(if done == instances.len() { "good" } else { "warn" }, &summary))
        @for (kind, line) in &lines { (message(kind, line)) }
    };
    renewals_page(
        &context,
        &session,
        if enable { "auto" } else { "manual" },
        "",
        top,
    )
    .await
}

/// Enables auto-renewal of instance `id` every `period`, or (`None`) turns it off.
pub async fn set_auto_renewal(
    context: &ApiContext,
    session: &Session,
    id: &str,
    period: Option<&str>,
) -> api::Reply<RenewalModeResult> {
    if !crate::path_ids::is_id(id) {
        return api::Answer::not_an_id().read();
    }
    let body = match period {
        Some(period) => json!({ "enabled": true, "period": period }),
        None => json!({ "enabled": false }),
    };
    api::send(
        context,
        session,
        axum::http::Method::PUT,
        &format!("/v1/instances/{id}/auto-renewal"),
        body,
        None,
    )
    .await
}

/// The account's currency, for showing amounts.
pub async fn account_currency(context: &ApiContext, session: &Session) -> String {
    let Some(account_id) = &session.account_id else {
        return "USD".to_string();
    };
    let account: api::Reply<AccountView> =
        api::read(context, session, &format!("/v1/accounts/{account_id}")).await;
    match account {
        Ok(account) => account.account.currency,
        Err(refusal) => {
            tracing::warn!(
                status = %refusal.status,
                message = %refusal.message,
                "the console could not read the account's currency; amounts are shown in USD"
            );
            "USD".to_string()
        }
    }
}

fn with_status(mut response: Response, status: StatusCode) -> Response {
    *response.status_mut() = status;
    response
}
