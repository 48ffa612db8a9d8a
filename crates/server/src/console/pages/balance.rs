//! Balance and alerts: the balance, coupons and vouchers, debt and overdue state, the
//! low-balance threshold, the forecast of the next 90 days (`forecast_chart.rs`) and the
//! ledger, page by page; with card payments on, adding funds by the default card; and the
//! account's billing profile (`billing_profile.rs`).

use axum::extract::{Query, State};
use axum::http::Method;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::json;
use tenure_core::access::Permission;
use tenure_wire::accounts::{AccountView, MoneyMovement};
use tenure_wire::forecast::AccountForecast;
use tenure_wire::ledger::LedgerPage as Ledger;
use tenure_wire::payments::PaymentStatus;

use super::{money, pick_an_account, query, when};
use crate::console::api;
use crate::console::layout::IntoHtml;
use crate::console::layout::{message, page, Nav};
use crate::console::session::{random_token, Session};
use crate::console::{SignedForm, SignedIn};
use crate::context::ApiContext;

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route("/console/balance", get(show))
        .route("/console/balance/card-top-up", post(card_top_up))
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
    balance_page(&context, &session, &ledger_page.after, html! {}).await
}

/// Adds funds by the account's default card: the amount in the account's currency's major
/// units (`50.00`), sent to the API as a `bank_card` deposit, which charges the card.
async fn card_top_up(
    State(context): State<ApiContext>,
    SignedForm { session, fields }: SignedForm,
) -> Response {
    let Some(account_id) = session.account_id.clone() else {
        return balance_page(&context, &session, "", html! {}).await;
    };
    let account: api::Reply<AccountView> =
        api::read(&context, &session, &format!("/v1/accounts/{account_id}")).await;
    let top = match account {
        Err(refusal) => message("bad", &refusal.message),
        Ok(account) => {
            let currency = account.account.currency.clone();
            let typed = fields.one("amount").unwrap_or("").trim();
            match minor_of(typed, tenure_core::money::minor_unit_digits(&currency)) {
                None => message(
                    "bad",
                    &format!("“{typed}” is not an amount in {currency}: type one such as 50.00."),
                ),
                Some(amount_minor) => {
                    let moved: api::Reply<MoneyMovement> = api::send(
                        &context,
                        &session,
                        Method::POST,
                        &format!("/v1/accounts/{account_id}/deposits"),
                        json!({ "amount": amount_minor, "method": "bank_card" }),
                        Some(fields.one("idempotency_key").unwrap_or("")),
                    )
                    .await;
                    match moved {
                        Err(refusal) => message("bad", &refusal.message),
                        Ok(moved) => match moved.payment.map(|payment| payment.status) {
                            Some(PaymentStatus::Pending | PaymentStatus::Started) => message(
                                "warn",
                                &format!(
                                    "The card payment of {} waits for the card's holder or the bank; the balance is credited once Stripe says it was paid.",
                                    money(amount_minor, &currency)
                                ),
                            ),
                            _ => message(
                                "good",
                                &format!(
                                    "Added {} by card.",
                                    money(moved.amount_minor, &currency)
                                ),
                            ),
                        },
                    }
                }
            }
        }
    };
    balance_page(&context, &session, "", top).await
}

/// An amount typed in major units (`50`, `50.5`, `1,000.00`) in the smallest unit of a
/// currency with `digits` decimals; `None` for anything else, zero or less, or too large.
fn minor_of(typed: &str, digits: u32) -> Option<i64> {
    let typed = typed.replace(',', "");
    let (whole, fraction) = typed.split_once('.').unwrap_or((&typed, ""));
    if whole.is_empty() && fraction.is_empty()
        || !whole.bytes().all(|byte| byte.is_ascii_digit())
        || !fraction.bytes().all(|byte| byte.is_ascii_digit())
        || fraction.len() > digits as usize
        || whole.len() > 13
    {
        return None;
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let scale = 10i64.pow(digits);
    let fraction: i64 = if fraction.is_empty() {
        0
    } else {
        format!("{fraction:0<width$}", width = digits as usize)
            .parse()
            .ok()?
    };
    let minor = whole.checked_mul(scale)?.checked_add(fraction)?;
    (minor > 0).then_some(minor)
}

pub(super) async fn balance_page(
    context: &ApiContext,
    session: &Session,
    after: &str,
    top: Markup,
) -> Response {
    let Some(account_id) = session.account_id.clone() else {
        return page(Some(session), "Balance", Nav::Balance, pick_an_account())
            .into_response_html();
    };
    let account: AccountView =
        match api::read(context, session, &format!("/v1/accounts/{account_id}")).await {
            Ok(account) => account,
            Err(refusal) => {
                return page(
                    Some(session),
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
        context,
        session,
        &format!(
            "/v1/accounts/{account_id}/ledger?{}",
            query(&[("limit", "20"), ("after", after)])
        ),
    )
    .await;
    let forecast: api::Reply<AccountForecast> = api::read(
        context,
        session,
        &format!("/v1/accounts/{account_id}/forecast"),
    )
    .await;
    let billing_profile = super::billing_profile::section(context, session, &account_id).await;
    let body = html! {
        h1 { "Balance" }
        (top)
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
        @if context.stripe_browser.is_some() && session.allows(Permission::Billing) {
            h2 { "Add funds by card" }
            form.inline method="post" action="/console/balance/card-top-up" data-test="card-top-up" {
                input type="hidden" name="csrf" value=(session.csrf);
                input type="hidden" name="idempotency_key" value=(random_token());
                label for="top-up-amount" { "Amount (" (currency) ")" }
                " "
                input id="top-up-amount" name="amount" inputmode="decimal" placeholder="50.00" required;
                " "
                button type="submit" { "Charge the default card" }
            }
            p.muted { "Charged to the account's default card; " a href="/console/cards" { "manage cards" } "." }
        }
        (billing_profile)
        @match &forecast {
            Ok(forecast) => (super::forecast_chart::chart(forecast)),
            Err(refusal) => (message("bad", &refusal.message)),
        }
        h2 { "Ledger" }
        @match &ledger {
            Err(refusal) => (message("bad", &refusal.message)),
            Ok(ledger) => {
                (ledger_table(ledger))
                @if let Some(next) = &ledger.next_after {
                    p { a href={"/console/balance?" (query(&[("after", next)]))} { "Older entries" } }
                }
            }
        }
    };
    page(Some(session), "Balance", Nav::Balance, body).into_response_html()
}

/// A page of the ledger: each entry's change to the balance, coupons and vouchers.
pub(super) fn ledger_table(ledger: &Ledger) -> Markup {
    let currency = &ledger.currency;
    html! {
        div.table-wrap { table {
            thead { tr { th { "When" } th { "What" } th.amount { "Balance" } th.amount { "Coupons" } th.amount { "Vouchers" } } }
            tbody { @for entry in &ledger.data {
                @let change = |source: &str| -> String {
                    let total: i64 = entry.postings.iter()
                        .filter(|posting| posting.ledger_account.ends_with(source))
                        .map(|posting| posting.amount_minor)
                        .sum();
                    if total == 0 { String::new() } else { money(total, currency) }
                };
                tr data-test="ledger-row" {
                    td { (when(entry.at)) }
                    td { (if entry.memo.is_empty() { &entry.kind } else { &entry.memo }) }
                    td.amount { (change("balance")) }
                    td.amount { (change("coupons")) }
                    td.amount { (change("vouchers")) }
                }
            } }
        } }
    }
}

#[cfg(test)]
mod tests {
    use super::minor_of;

    #[test]
    fn amounts_are_read_in_major_units() {
        assert_eq!(minor_of("50", 2), Some(5000));
        assert_eq!(minor_of("50.00", 2), Some(5000));
        assert_eq!(minor_of("50.5", 2), Some(5050));
        assert_eq!(minor_of("1,000.01", 2), Some(100_001));
        assert_eq!(minor_of(".5", 2), Some(50));
        assert_eq!(minor_of("500", 0), Some(500));
        for refused in ["", ".", "0", "0.00", "-5", "5.001", "abc", "1e3", "5.5.5"] {
            assert_eq!(minor_of(refused, 2), None, "{refused}");
        }
        assert_eq!(minor_of("5.5", 0), None);
        assert_eq!(minor_of("99999999999999", 2), None);
    }
}
