//! The operator's home: the fleet at a glance (`GET /v1/overview`): revenue of the last 90
//! days as a chart per currency, what needs a look (overdue and frozen accounts, failing
//! deliveries, stuck steps), instances by product and status, and what will fail next (the
//! fleet forecast, `GET /v1/forecast`): the auto-renewals the accounts' money will not pay.
//! Each count links to the list behind it.

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup};
use serde_json::json;
use tenure_wire::overview::{FleetForecast, Overview, RenewalReminders, RevenueDay};

use super::{money, query, when};
use crate::console::api;
use crate::console::form::Fields;
use crate::console::layout::{message, page, IntoHtml, Nav};
use crate::console::pages::operator::{hidden, operator};
use crate::console::session::Session;
use crate::console::{see_other, SignedForm};
use crate::context::ApiContext;

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route("/console/overview", get(overview))
        .route("/console/overview/reminders", post(send_reminders))
}

async fn overview(
    State(context): State<ApiContext>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let session = match operator(&context, &headers).await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let fields = Fields::parse(raw.as_deref().unwrap_or(""));
    let after = fields.one("after").unwrap_or("");
    overview_page(&context, &session, after, html! {}).await
}

/// The accounts ticked on the forecast's list reminded (`POST /v1/forecast/reminders`), and
/// the overview again with what was done.
async fn send_reminders(
    State(context): State<ApiContext>,
    SignedForm { session, fields }: SignedForm,
) -> Response {
    if !session.is_operator() {
        return see_other("/console/instances");
    }
    let accounts: Vec<&str> = fields.all("account");
    let top = if accounts.is_empty() {
        message("warn", "Tick the accounts to remind first.")
    } else {
        let sent: api::Reply<RenewalReminders> = api::send(
            &context,
            &session,
            axum::http::Method::POST,
            "/v1/forecast/reminders",
            json!({ "accounts": accounts, "days": 30 }),
            Some(fields.one("idempotency_key").unwrap_or("")),
        )
        .await;
        match sent {
            Err(refusal) => message("bad", &refusal.message),
            Ok(sent) => message(
                "good",
                &format!(
                    "Reminded {} account(s) by email and SMS; {} had nothing at risk any more.",
                    sent.reminded.len(),
                    sent.nothing_at_risk.len()
                ),
            ),
        }
    };
    overview_page(&context, &session, fields.one("after").unwrap_or(""), top).await
}

async fn overview_page(
    context: &ApiContext,
    session: &Session,
    after: &str,
    top: Markup,
) -> Response {
    let overview: api::Reply<Overview> = api::read(context, session, "/v1/overview").await;
    let forecast_path = format!(
        "/v1/forecast?{}",
        query(&[("days", "30"), ("limit", "50"), ("after", after)])
    );
    let forecast: api::Reply<FleetForecast> = api::read(context, session, &forecast_path).await;
    let body = html! {
        h1 { "Overview" }
        (top)
        @match &overview {
            Err(refusal) => (message("bad", &refusal.message)),
            Ok(overview) => (fleet(overview)),
        }
        h2 id="forecast" { "What will fail next" }
        @match &forecast {
            Err(refusal) => (message("bad", &refusal.message)),
            Ok(forecast) => (at_risk(forecast, session, after)),
        }
    };
    page(Some(session), "Overview", Nav::Overview, body).into_response_html()
}

/// A count, as a link to the list behind it.
fn count_link(label: &str, count: i64, href: &str, test: &str) -> Markup {
    html! {
        a.stat href=(href) data-test=(test) {
            span.stat-count { (count) }
            span.stat-label { (label) }
        }
    }
}

fn fleet(overview: &Overview) -> Markup {
    let currencies: std::collections::BTreeSet<&str> = overview
        .revenue_totals
        .iter()
        .map(|total| total.currency.as_str())
        .collect();
    html! {
        p.muted { "As of " (when(overview.at)) "." }
        h2 { "Needs a look" }
        div.stats {
            (count_link("accounts", overview.accounts, "/console/accounts", "accounts"))
            (count_link("overdue accounts", overview.accounts_overdue, "/console/accounts?overdue=true", "accounts-overdue"))
            (count_link("frozen accounts", overview.accounts_frozen, "/console/accounts?frozen=true", "accounts-frozen"))
            (count_link("deliveries retrying", overview.deliveries_retrying, "/console/deliveries?status=pending", "deliveries-retrying"))
            (count_link("deliveries failed", overview.deliveries_failed, "/console/deliveries?status=failed", "deliveries-failed"))
            (count_link("steps retrying", overview.steps_retrying, "/console/stuck-steps", "steps-retrying"))
            (count_link("steps parked", overview.steps_parked, "/console/stuck-steps", "steps-parked"))
            (count_link("expiring in 7 days", overview.expiring_7_days, &format!("/console/fleet?{}", query(&[("expiring_within_days", "7")])), "expiring-7"))
            (count_link("expiring in 30 days", overview.expiring_30_days, &format!("/console/fleet?{}", query(&[("expiring_within_days", "30")])), "expiring-30"))
        }
        h2 { "Revenue, last 90 days" }
        @if currencies.is_empty() {
            p.muted { "No revenue in the last 90 days." }
        }
        @for currency in &currencies {
            @let days: Vec<&RevenueDay> = overview.revenue.iter().filter(|day| day.currency == *currency).collect();
            @if let Some(total) = overview.revenue_totals.iter().find(|total| total.currency == *currency) {
                p data-test={"revenue-total-" (currency)} {
                    strong { (money(total.net_minor, currency)) }
                    " net: " (money(total.earned_minor, currency)) " earned less "
                    (money(total.refunded_minor, currency)) " refunded."
                }
            }
            (revenue_chart(currency, &days, overview.at))
        }
        h2 { "Instances" }
        @if overview.instances.is_empty() {
            p.muted { "No instances yet." }
        } @else {
            div.table-wrap { table data-test="instances-by-product" {
                thead { tr { th { "Product" } th { "Status" } th.amount { "Instances" } th.amount { "Expiring in 7 days" } th.amount { "Expiring in 30 days" } } }
                tbody { @for count in &overview.instances {
                    @let list = format!("/console/fleet?{}", query(&[("product", &count.product), ("status", &count.status)]));
                    tr {
                        td { (count.product_name) }
                        td { (count.status.replace('_', " ")) }
                        td.amount { a href=(list) { (count.instances) } }
                        td.amount { (count.expiring_7_days) }
                        td.amount { (count.expiring_30_days) }
                    }
                } }
            } }
        }
    }
}

const WIDTH: f64 = 800.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 100.0;
const RIGHT: f64 = 10.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 30.0;
const DAYS: i64 = 90;

/// Net revenue per day as bars (refund-heavy days below the zero line), 90 days wide, with
/// the same figures in a table for a screen reader.
fn revenue_chart(currency: &str, days: &[&RevenueDay], at: jiff::Timestamp) -> Markup {
    let today = at.to_zoned(jiff::tz::TimeZone::UTC).date();
    let first = today
        .checked_sub(jiff::Span::new().days(DAYS - 1))
        .unwrap_or(today);
    let top = days
        .iter()
        .map(|day| day.net_minor.max(0))
        .max()
        .unwrap_or(0)
        .max(1);
    let bottom = days
        .iter()
        .map(|day| day.net_minor.min(0))
        .min()
        .unwrap_or(0);
    let span = (top - bottom).max(1) as f64;
    let y = |minor: i64| TOP + (top - minor) as f64 / span * (HEIGHT - TOP - BOTTOM);
    let slot = (WIDTH - LEFT - RIGHT) / DAYS as f64;
    let x = |date: jiff::civil::Date| {
        let offset = first
            .until(date)
            .map_or(0, |span| i64::from(span.get_days()));
        LEFT + offset as f64 * slot
    };
    let id = format!("revenue-{currency}");
    html! {
        figure.chart {
            figcaption { "Net revenue per day, " (currency) }
            svg viewBox={"0 0 " (WIDTH) " " (HEIGHT)} role="img" aria-labelledby={(id) "-title"} xmlns="http://www.w3.org/2000/svg" {
                title id={(id) "-title"} { "Net revenue per day in " (currency) " from " (first) " to " (today) }
                line x1=(LEFT) y1=(TOP) x2=(LEFT) y2=(HEIGHT - BOTTOM) stroke="#4a5360" {}
                line x1=(LEFT) y1=(y(0)) x2=(WIDTH - RIGHT) y2=(y(0)) stroke="#4a5360" {}
                text x=(LEFT - 6.0) y=(y(top) + 4.0) text-anchor="end" font-size="12" fill="#1b1f24" { (money(top, currency)) }
                text x=(LEFT - 6.0) y=(y(0) + 4.0) text-anchor="end" font-size="12" fill="#1b1f24" { (money(0, currency)) }
                text x=(LEFT) y=(HEIGHT - 10.0) font-size="12" fill="#1b1f24" { (first) }
                text x=(WIDTH - RIGHT) y=(HEIGHT - 10.0) text-anchor="end" font-size="12" fill="#1b1f24" { (today) }
                @for day in days {
                    @let (from, to) = (y(day.net_minor.max(0)), y(day.net_minor.min(0)));
                    rect x=(format!("{:.1}", x(day.date) + 0.5)) y=(format!("{:.1}", from)) width=(format!("{:.1}", (slot - 1.0).max(1.0))) height=(format!("{:.1}", (to - from).max(1.0)))
                        fill=(if day.net_minor < 0 { "#a4161a" } else { "#0b5cad" }) {}
                }
            }
        }
        details {
            summary { "Revenue in " (currency) ", day by day" }
            div.table-wrap { table data-test={"revenue-days-" (currency)} {
                thead { tr { th { "Day" } th.amount { "Earned" } th.amount { "Refunded" } th.amount { "Net" } } }
                tbody { @for day in days { tr {
                    td { (day.date) }
                    td.amount { (money(day.earned_minor, currency)) }
                    td.amount { (money(day.refunded_minor, currency)) }
                    td.amount { (money(day.net_minor, currency)) }
                } } }
            } }
        }
    }
}

fn at_risk(forecast: &FleetForecast, session: &Session, after: &str) -> Markup {
    html! {
        @if forecast.totals.is_empty() {
            p.notice.good data-test="nothing-at-risk" {
                "The accounts' balances and coupons pay every auto-renewal until " (when(forecast.until)) "."
            }
        } @else {
            @for total in &forecast.totals {
                p.notice.bad data-test={"at-risk-" (total.currency)} {
                    strong { (money(total.amount_minor, &total.currency)) }
                    " of auto-renewals in the next 30 days cannot be paid: "
                    (total.deductions) " deductions of " (total.accounts) " accounts."
                }
            }
            div.table-wrap { table data-test="at-risk-days" {
                caption { "By day" }
                thead { tr { th { "Day" } th.amount { "At risk" } th.amount { "Accounts" } th.amount { "Instances" } } }
                tbody { @for day in &forecast.days { tr {
                    td { (day.date) }
                    td.amount { (money(day.amount_minor, &day.currency)) }
                    td.amount { (day.accounts) }
                    td.amount { (day.instances) }
                } } }
            } }
            form method="post" action="/console/overview/reminders" {
            (hidden(session))
            input type="hidden" name="after" value=(after);
            div.table-wrap { table data-test="at-risk-accounts" {
                caption { "Accounts whose money runs out first (" (forecast.accounts_at_risk) " in all)" }
                thead { tr { th { "Remind" } th { "Account" } th { "Email" } th { "Money runs out" } th.amount { "Has" } th.amount { "At risk" } th.amount { "Deductions" } } }
                tbody { @for account in &forecast.accounts { tr {
                    td { input type="checkbox" name="account" value=(account.account_id) checked aria-label={"Remind " (account.name)}; }
                    td { a href={"/console/accounts/" (account.account_id)} { (account.name) } br; small.muted { (account.account_id) } }
                    td { (account.email) }
                    td { (when(account.runs_out_at)) }
                    td.amount { (money(account.available_minor, &account.currency)) }
                    td.amount { (money(account.at_risk_minor, &account.currency)) }
                    td.amount { (account.unpaid.len()) }
                } } }
            } }
            button type="submit" data-test="remind" { "Remind the ticked accounts (" (forecast.accounts.len()) " on this page) by email and SMS" }
            }
            @if let Some(next) = &forecast.next_after {
                p { a href={"/console/overview?" (query(&[("after", next)])) "#forecast"} rel="next" { "Next accounts" } }
            }
        }
    }
}
