//! Balance and alerts: the balance, coupons and vouchers, debt and overdue state, the
//! low-balance threshold, the forecast of the next 90 days (`forecast_chart.rs`) and the
//! ledger, page by page.

use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use maud::html;
use serde::Deserialize;

use super::{money, pick_an_account, query, when};
use crate::console::api;
use crate::console::layout::IntoHtml;
use crate::console::layout::{message, page, Nav};
use crate::console::SignedIn;
use crate::context::ApiContext;

pub fn router() -> Router<ApiContext> {
    Router::new().route("/console/balance", get(show))
}

#[derive(Debug, Default, Deserialize)]
struct LedgerPage {
    #[serde(default)]
    after: String,
}

async fn show(
    State(context): State<ApiContext>,
    SignedIn(session): SignedIn,
    Query(ledger_page): Query<LedgerPage>,
) -> Response {
    let Some(account_id) = session.account_id.clone() else {
        return page(Some(&session), "Balance", Nav::Balance, pick_an_account())
            .into_response_html();
    };
    let account = api::get(&context, &session, &format!("/v1/accounts/{account_id}")).await;
    if !account.ok() {
        return page(
            Some(&session),
            "Balance",
            Nav::Balance,
            message("bad", &account.message()),
        )
        .into_response_html();
    }
    let account = account.body;
    let currency = account["currency"].as_str().unwrap_or("USD").to_string();
    let amount = |field: &str| money(account[field].as_i64().unwrap_or(0), &currency);
    let ledger = api::get(
        &context,
        &session,
        &format!(
            "/v1/accounts/{account_id}/ledger?{}",
            query(&[("limit", "20"), ("after", &ledger_page.after)])
        ),
    )
    .await;
    let forecast = api::get(
        &context,
        &session,
        &format!("/v1/accounts/{account_id}/forecast"),
    )
    .await;
    let body = html! {
        h1 { "Balance" }
        @if account["overdue"].as_bool() == Some(true) {
            (message("bad", &format!("Overdue since {}: {} unpaid. Pay-as-you-go services stop until it is paid.", when(&account["overdue_since"]), amount("debt_minor"))))
        }
        dl.facts {
            dt { "Balance" } dd data-test="balance" { (amount("balance_minor")) }
            dt { "Coupons" } dd { (amount("coupons_minor")) }
            dt { "Vouchers" } dd { (amount("vouchers_minor")) }
            dt { "Debt" } dd { (amount("debt_minor")) }
            dt { "Low-balance alert" } dd {
                @match account["low_balance_threshold_minor"].as_i64() {
                    Some(threshold) => { "an SMS under " (money(threshold, &currency)) }
                    None => { "off" }
                }
            }
        }
        @if forecast.ok() { (super::forecast_chart::chart(&forecast.body)) } @else { (message("bad", &forecast.message())) }
        h2 { "Ledger" }
        @if !ledger.ok() {
            (message("bad", &ledger.message()))
        } @else {
            div.table-wrap { table {
                thead { tr { th { "When" } th { "What" } th.amount { "Balance" } th.amount { "Coupons" } th.amount { "Vouchers" } } }
                tbody { @for entry in ledger.body["data"].as_array().map(Vec::as_slice).unwrap_or(&[]) {
                    @let change = |source: &str| -> String {
                        let total: i64 = entry["postings"].as_array().map(Vec::as_slice).unwrap_or(&[]).iter()
                            .filter(|posting| posting["ledger_account"].as_str().is_some_and(|name| name.ends_with(source)))
                            .map(|posting| posting["amount_minor"].as_i64().unwrap_or(0))
                            .sum();
                        if total == 0 { String::new() } else { money(total, &currency) }
                    };
                    tr {
                        td { (when(&entry["at"])) }
                        td { (entry["memo"].as_str().filter(|memo| !memo.is_empty()).or(entry["kind"].as_str()).unwrap_or("")) }
                        td.amount { (change("balance")) }
                        td.amount { (change("coupons")) }
                        td.amount { (change("vouchers")) }
                    }
                } }
            } }
            @if let Some(next) = ledger.body["next_after"].as_str() {
                p { a href={"/console/balance?" (query(&[("after", next)]))} { "Older entries" } }
            }
        }
    };
    page(Some(&session), "Balance", Nav::Balance, body).into_response_html()
}
