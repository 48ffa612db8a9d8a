//! The frame of every console page: the head (one stylesheet, one script, both served by
//! tenure), the navigation with the current page marked, who is signed in, and the operator's
//! account picker.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use maud::{html, Markup, DOCTYPE};

use super::session::Session;

pub const CSS: &str = include_str!("assets/console.css");
pub const SCRIPT: &str = include_str!("assets/console.js");
/// The card page's script: Stripe's card field, and the SetupIntent confirmed with it.
pub const CARDS_SCRIPT: &str = include_str!("assets/cards.js");

/// The pages of the navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Overview,
    Deliveries,
    Fleet,
    Instances,
    Renewals,
    Unsubscribe,
    Orders,
    Invoices,
    Balance,
    Cards,
    Notices,
    Accounts,
    Approvals,
    StuckSteps,
    Webhooks,
    Clock,
    None,
}

const CUSTOMER_PAGES: [(Nav, &str, &str); 8] = [
    (Nav::Instances, "/console/instances", "Instances"),
    (Nav::Renewals, "/console/renewals", "Renewals"),
    (Nav::Unsubscribe, "/console/unsubscribe", "Unsubscribe"),
    (Nav::Orders, "/console/orders", "Orders"),
    (Nav::Invoices, "/console/invoices", "Invoices"),
    (Nav::Balance, "/console/balance", "Balance"),
    (Nav::Cards, "/console/cards", "Cards"),
    (Nav::Notices, "/console/notices", "Notices"),
];

const OPERATOR_PAGES: [(Nav, &str, &str); 8] = [
    (Nav::Overview, "/console/overview", "Overview"),
    (Nav::Fleet, "/console/fleet", "Fleet"),
    (Nav::Accounts, "/console/accounts", "Accounts"),
    (Nav::Approvals, "/console/approvals", "Approvals"),
    (Nav::StuckSteps, "/console/stuck-steps", "Stuck steps"),
    (Nav::Deliveries, "/console/deliveries", "Deliveries"),
    (Nav::Webhooks, "/console/webhooks", "Webhooks"),
    (Nav::Clock, "/console/clock", "Clock"),
];

/// A whole page.
pub fn page(session: Option<&Session>, title: &str, current: Nav, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · tenure" }
                link rel="stylesheet" href="/console/assets/console.css";
                script src="/console/assets/console.js" defer {}
            }
            body {
                header.top {
                    a.brand href="/console" { "tenure" }
                    @if let Some(session) = session {
                        nav aria-label="Console" {
                            ul {
                                @for (nav, href, label) in CUSTOMER_PAGES {
                                    li { a href=(href) aria-current=[(nav == current).then_some("page")] { (label) } }
                                }
                                @if session.is_operator() {
                                    @for (nav, href, label) in OPERATOR_PAGES {
                                        li { a href=(href) aria-current=[(nav == current).then_some("page")] { (label) } }
                                    }
                                }
                            }
                        }
                        div.who {
                            @if session.is_operator() {
                                form.inline method="post" action="/console/account" {
                                    input type="hidden" name="csrf" value=(session.csrf);
                                    label for="pick-account" { "Account" }
                                    input id="pick-account" name="account" placeholder="acct_…"
                                        value=(session.account_id.as_deref().unwrap_or(""));
                                    " "
                                    button.secondary type="submit" { "Show" }
                                }
                            } @else {
                                span.muted { (session.account_id.as_deref().unwrap_or("")) " (" (session.role_name()) ")" }
                            }
                            form.inline method="post" action="/console/sign-out" {
                                input type="hidden" name="csrf" value=(session.csrf);
                                button.secondary type="submit" { "Sign out" }
                            }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// A page as an answer with `status`.
pub fn answer(status: StatusCode, markup: Markup) -> Response {
    (status, Html(markup.into_string())).into_response()
}

/// A message in a box: `bad` for refusals, `good` for what was done, `warn` for warnings.
pub fn message(kind: &str, text: &str) -> Markup {
    html! { p class={"notice " (kind)} role=[(kind == "bad").then_some("alert")] { (text) } }
}

/// A page as a 200 answer.
pub trait IntoHtml {
    fn into_response_html(self) -> Response;
}

impl IntoHtml for Markup {
    fn into_response_html(self) -> Response {
        Html(self.into_string()).into_response()
    }
}
