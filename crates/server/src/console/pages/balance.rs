//! Balance and alerts: the balance, coupons and vouchers, debt and overdue state, the
//! low-balance threshold, the forecast of the next 90 days (`forecast_chart.rs`) and the
//! ledger, page by page.

use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use maud::html;
use serde::Deserialize;
use tenure_wire::accounts::AccountView;
use tenure_wire::forecast::AccountForecast;
use tenure_wire::ledger::LedgerPage as Ledger;

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
    let account: AccountView =
        match api::read(&context, &session, &format!("/v1/accounts/{account_id}")).await {
            Ok(account) => account,
            Err(refusal) => {
                return page(
                    Some(&session),
                    "Balance",
                    Nav::Balance,
                    message("bad", &refusal.message),
                )
                .into_response_html()
            }
        };
    let currency = account.account.currency.clone();
    let amount = |amount_minor: i64| money(amount_minor, &currency);
    let ledger: api::Reply<Ledger> = api::read(
        &context,
        &session,
        &format!(
            "/v1/accounts/{account_id}/ledger?{}",
            query(&[("limit", "20"), ("after", &ledger_page.after)])
        ),
    )
    .await;
    let forecast: api::Reply<AccountForecast> = api::read(
        &context,
        &session,
        &format!("/v1/accounts/{account_id}/forecast"),
    )
    .await;
    let body = html! {
        h1 { "Balance" }
        @if account.overdue {
            (message("bad", &format!("Overdue since {}: {} unpaid. Pay-as-you-go services stop until it is paid.", when(account.account.overdue_since), amount(account.debt_minor))))
        }
        dl.facts {
            dt { "Balance" } dd data-test="balance" { (amount(account.balance_minor)) }
            dt { "Coupons" } dd { (amount(account.coupons_minor)) }
            dt { "Vouchers" } dd { (amount(account.vouchers_minor)) }
            dt { "Debt" } dd { (amount(account.debt_minor)) }
            dt { "Low-balance alert" } dd {
                @match account.account.low_balance_threshold_minor {
                    Some(threshold) => { "an SMS under " (money(threshold, &currency)) }
                    None => { "off" }
                }
            }
        }
        @match &forecast {
            Ok(forecast) => (super::forecast_chart::chart(forecast)),
            Err(refusal) => (message("bad", &refusal.message)),
        }
        h2 { "Ledger" }
        @match &ledger {
            Err(refusal) => (message("bad", &refusal.message)),
            Ok(ledger) => {
                div.table-wrap { table {
                    thead { tr { th { "When" } th { "What" } th.amount { "Balance" } th.amount { "Coupons" } th.amount { "Vouchers" } } }
                    tbody { @for entry in &ledger.data {
                        @let change = |source: &str| -> String {
                            let total: i64 = entry.postings.iter()
                                .filter(|posting| posting.ledger_account.ends_with(source))
                                .map(|posting| posting.amount_minor)
                                .sum();
                            if total == 0 { String::new() } else { money(total, &currency) }
                        };
                        tr {
                            td { (when(entry.at)) }
                            td { (if entry.memo.is_empty() { &entry.kind } else { &entry.memo }) }
                            td.amount { (change("balance")) }
                            td.amount { (change("coupons")) }
                            td.amount { (change("vouchers")) }
                        }
                    } }
                } }
                @if let Some(next) = &ledger.next_after {
                    p { a href={"/console/balance?" (query(&[("after", next)]))} { "Older entries" } }
                }
            }
        }
    };
    page(Some(&session), "Balance", Nav::Balance, body).into_response_html()
}
