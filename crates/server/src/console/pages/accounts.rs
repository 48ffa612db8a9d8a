//! The operator's accounts: the list (search by name, email, mobile or id; overdue, frozen and
//! low-balance filters; by creation, name or balance; 50 a page), and one account's page: its
//! money and states, instances, forecast, ledger, notices, users and keys, and the button that
//! makes it the account the customer pages show. Both the operator's alone (403 otherwise).

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use maud::{html, Markup};
use serde::Deserialize;
use tenure_wire::access::ApiKey;
use tenure_wire::accounts::{AccountSummary, AccountView};
use tenure_wire::events::{Event, Notice};
use tenure_wire::forecast::AccountForecast;
use tenure_wire::instances::Instance;
use tenure_wire::ledger::LedgerPage;
use tenure_wire::Listing;

use super::operator::operator;
use super::{money, query, when};
use crate::console::api;
use crate::console::layout::IntoHtml;
use crate::console::layout::{message, page, Nav};
use crate::console::session::Session;
use crate::context::ApiContext;

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route("/console/accounts", get(list))
        .route("/console/accounts/{id}", get(show))
}

/// Rows a page shows.
const PAGE_ROWS: usize = 50;

/// The list's form, as the browser sends it: a ticked box is `true`, an unticked one absent.
#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    #[serde(default)]
    search: String,
    #[serde(default)]
    overdue: String,
    #[serde(default)]
    frozen: String,
    #[serde(default)]
    low_balance: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    after: String,
}

impl ListQuery {
    fn ticked(value: &str) -> &'static str {
        if value == "true" {
            "true"
        } else {
            ""
        }
    }

    /// The filters and order, without the cursor: what the next page keeps.
    fn pairs(&self) -> Vec<(&'static str, &str)> {
        vec![
            ("search", self.search.as_str()),
            ("overdue", Self::ticked(&self.overdue)),
            ("frozen", Self::ticked(&self.frozen)),
            ("low_balance", Self::ticked(&self.low_balance)),
            ("sort", self.sort.as_str()),
        ]
    }

    /// The page after the cursor `next`, with the same filters and order.
    fn next_page(&self, next: &str) -> String {
        let mut pairs = self.pairs();
        pairs.push(("after", next));
        format!("/console/accounts?{}", query(&pairs))
    }
}

const SORTS: [(&str, &str); 3] = [
    ("created", "Oldest first"),
    ("name", "Name"),
    ("balance", "Balance, lowest first"),
];

const FILTERS: [(&str, &str); 3] = [
    ("overdue", "Overdue"),
    ("frozen", "Frozen"),
    ("low_balance", "Under its low-balance threshold"),
];

async fn list(
    State(context): State<ApiContext>,
    headers: HeaderMap,
    Query(list_query): Query<ListQuery>,
) -> Response {
    let session = match operator(&context, &headers).await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let limit = PAGE_ROWS.to_string();
    let mut pairs = list_query.pairs();
    pairs.push(("limit", &limit));
    pairs.push(("after", &list_query.after));
    let mut listed: api::Reply<Listing<AccountSummary>> = api::read(
        &context,
        &session,
        &format!("/v1/accounts?{}", query(&pairs)),
    )
    .await;
    // A full page names a cursor even when nothing follows it: one row past it says whether
    // the next page has anything, so the last page offers no link to an empty one.
    if let Ok(Listing {
        next_after: Some(next),
        ..
    }) = &listed
    {
        let mut pairs = list_query.pairs();
        pairs.push(("limit", "1"));
        pairs.push(("after", next));
        let peek: api::Reply<Listing<AccountSummary>> = api::read(
            &context,
            &session,
            &format!("/v1/accounts?{}", query(&pairs)),
        )
        .await;
        if peek.is_ok_and(|peek| peek.data.is_empty()) {
            if let Ok(listed) = &mut listed {
                listed.next_after = None;
            }
        }
    }
    let ticked = |name: &str| match name {
        "overdue" => list_query.overdue == "true",
        "frozen" => list_query.frozen == "true",
        _ => list_query.low_balance == "true",
    };
    let body = html! {
        h1 { "Accounts" }
        form.filters method="get" action="/console/accounts" role="search" {
            div {
                label for="a-search" { "Search" }
                input id="a-search" name="search" type="search" value=(list_query.search)
                    placeholder="name, email, mobile or acct_…" maxlength="254";
            }
            fieldset.checks {
                legend { "Only accounts" }
                @for (name, label) in FILTERS {
                    label.check {
                        input type="checkbox" name=(name) value="true" checked[ticked(name)];
                        " " (label)
                    }
                }
            }
            div {
                label for="a-sort" { "Order" }
                select id="a-sort" name="sort" {
                    @for (value, label) in SORTS {
                        option value=(value) selected[value == list_query.sort] { (label) }
                    }
                }
            }
            button type="submit" { "Find" }
        }
        @match &listed {
            Err(refusal) => (message("bad", &refusal.message)),
            Ok(listed) if listed.data.is_empty() => {
                p.muted data-test="no-accounts" {
                    "No account matches" @if !list_query.after.is_empty() { " past these" } "."
                }
            }
            Ok(listed) => {
                @if list_query.after.is_empty() && listed.next_after.is_none() {
                    p data-test="account-count" {
                        (listed.data.len()) @if listed.data.len() == 1 { " account" } @else { " accounts" }
                    }
                }
                (account_table(&listed.data))
                @if let Some(next) = &listed.next_after {
                    p { a rel="next" data-test="next-page" href=(list_query.next_page(next)) { "Next page" } }
                }
            }
        }
    };
    page(Some(&session), "Accounts", Nav::Accounts, body).into_response_html()
}

fn account_table(accounts: &[AccountSummary]) -> Markup {
    html! {
        div.table-wrap { table {
            thead { tr {
                th { "Name" } th { "Email" } th { "Mobile" } th.amount { "Balance" } th { "State" }
            } }
            tbody { @for summary in accounts {
                @let account = &summary.account;
                tr data-test="account-row" data-id=(account.id) {
                    td data-test="name" { a href={"/console/accounts/" (account.id)} { (account.name) } }
                    td data-test="email" { (account.email) }
                    td data-test="mobile" { (account.mobile) }
                    td.amount data-test="balance" { (money(summary.balance_minor, &account.currency)) }
                    td data-test="states" { (badges(summary.overdue, summary.frozen, summary.low_balance)) }
                }
            } }
        } }
    }
}

/// The states an operator looks for, as badges; nothing when there are none.
fn badges(overdue: bool, frozen: bool, low_balance: bool) -> Markup {
    html! {
        @if overdue { span.badge.bad data-test="overdue" { "overdue" } " " }
        @if frozen { span.badge.bad data-test="frozen" { "frozen" } " " }
        @if low_balance { span.badge.warn data-test="low-balance" { "low balance" } }
    }
}

#[derive(Debug, Default, Deserialize)]
struct ShowQuery {
    #[serde(default)]
    ledger_after: String,
}

/// Notices the page shows, the latest first.
const RECENT_NOTICES: usize = 20;

async fn show(
    State(context): State<ApiContext>,
    headers: HeaderMap,
    Path(account_id): Path<String>,
    Query(show_query): Query<ShowQuery>,
) -> Response {
    let session = match operator(&context, &headers).await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let base = format!("/v1/accounts/{account_id}");
    let account: api::Reply<AccountView> = api::read(&context, &session, &base).await;
    // One row more than the page shows: whether it comes says there are more.
    let instances: api::Reply<Listing<Instance>> = api::read(
        &context,
        &session,
        &format!(
            "/v1/instances?{}",
            query(&[("account", &account_id), ("limit", "51")])
        ),
    )
    .await;
    let forecast: api::Reply<AccountForecast> =
        api::read(&context, &session, &format!("{base}/forecast")).await;
    let ledger: api::Reply<LedgerPage> = api::read(
        &context,
        &session,
        &format!(
            "{base}/ledger?{}",
            query(&[("limit", "50"), ("after", &show_query.ledger_after)])
        ),
    )
    .await;
    // The latest events, newest first, each with who it was done for.
    let recent = RECENT_NOTICES.to_string();
    let events: api::Reply<Listing<Event>> = api::read(
        &context,
        &session,
        &format!(
            "/v1/events?{}",
            query(&[
                ("account", &account_id),
                ("order", "newest"),
                ("limit", &recent)
            ])
        ),
    )
    .await;
    // The latest notices, newest first.
    let notices: api::Reply<Listing<Notice>> = api::read(
        &context,
        &session,
        &format!(
            "/v1/notifications?{}",
            query(&[
                ("account", &account_id),
                ("order", "newest"),
                ("limit", &recent)
            ])
        ),
    )
    .await;
    let users: api::Reply<Listing<ApiKey>> =
        api::read(&context, &session, &format!("{base}/users?limit=50")).await;
    let names = super::CatalogNames::read(&context, &session).await;

    let title = match &account {
        Ok(account) => account.account.name.clone(),
        Err(_) => account_id.clone(),
    };
    let body = html! {
        p { a href="/console/accounts" { "All accounts" } }
        h1 { (title) }
        (pick_form(&session, &account_id))
        @match &account {
            Err(refusal) => (message("bad", &refusal.message)),
            Ok(account) => (details(account)),
        }
        h2 { "Instances" }
        @match &instances {
            Err(refusal) => (message("bad", &refusal.message)),
            Ok(instances) => {
                (super::instances::instance_table(&instances.data[..instances.data.len().min(50)], &names))
                @if instances.data.len() > 50 {
                    p data-test="more-instances" { "The first 50 are shown; "
                        "the account's Instances page (“Show its pages” above) lists them all, with filters." }
                }
            }
        }
        @match &forecast {
            Ok(forecast) => (super::forecast_chart::chart(forecast)),
            Err(refusal) => { h2 { "Forecast" } (message("bad", &refusal.message)) }
        }
        h2 { "Ledger" }
        @match &ledger {
            Err(refusal) => (message("bad", &refusal.message)),
            Ok(ledger) => {
                (super::balance::ledger_table(ledger))
                @if let Some(next) = &ledger.next_after {
                    p { a rel="next" data-test="ledger-next" href={"/console/accounts/" (account_id) "?" (query(&[("ledger_after", next)]))} { "Older entries" } }
                }
            }
        }
        h2 { "Notices" }
        @match &notices {
            Err(refusal) => (message("bad", &refusal.message)),
            Ok(notices) if notices.data.is_empty() => p.muted { "No notice yet." },
            Ok(notices) => {
                div.table-wrap { table {
                    thead { tr { th { "When" } th { "Channel" } th { "To" } th { "Subject" } th { "Status" } } }
                    tbody { @for notice in notices.data.iter() { tr data-test="notice-row" {
                        td { (when(notice.at)) }
                        td { (notice.channel) }
                        td { (notice.recipient) }
                        td { (notice.subject) }
                        td { (notice.status) }
                    } } }
                } }
            }
        }
        h2 { "Events" }
        @match &events {
            Err(refusal) => (message("bad", &refusal.message)),
            Ok(events) if events.data.is_empty() => p.muted { "No event yet." },
            Ok(events) => {
                div.table-wrap { table {
                    thead { tr { th { "When" } th { "Event" } th { "By" } } }
                    tbody { @for event in events.data.iter() { tr data-test="event-row" {
                        td { (when(event.at)) }
                        td { (event.kind) }
                        td data-test="actor" { (event.actor) }
                    } } }
                } }
            }
        }
        h2 { "Users and keys" }
        @match &users {
            Err(refusal) => (message("bad", &refusal.message)),
            Ok(users) => {
                div.table-wrap { table {
                    thead { tr { th { "Name" } th { "Role" } th { "Id" } th { "Created" } th { "Revoked" } } }
                    tbody { @for user in &users.data { tr data-test="user-row" {
                        td { (user.name) }
                        td { (user.role) }
                        td { (user.id) }
                        td { (when(user.created_at)) }
                        td { (when(user.revoked_at)) }
                    } } }
                } }
            }
        }
    };
    page(Some(&session), &title, Nav::Accounts, body).into_response_html()
}

/// The account's money and states, as its own view says them.
fn details(account: &AccountView) -> Markup {
    let currency = &account.account.currency;
    let amount = |amount_minor: i64| money(amount_minor, currency);
    html! {
        dl.facts data-test="account-facts" {
            dt { "Id" } dd data-test="id" { (account.account.id) }
            dt { "Email" } dd data-test="email" { (account.account.email) }
            dt { "Mobile" } dd data-test="mobile" { (account.account.mobile) }
            dt { "Opened" } dd { (when(account.account.created_at)) }
            dt { "Balance" } dd data-test="balance" { (amount(account.balance_minor)) }
            dt { "Coupons" } dd data-test="coupons" { (amount(account.coupons_minor)) }
            dt { "Vouchers" } dd data-test="vouchers" { (amount(account.vouchers_minor)) }
            dt { "Debt" } dd data-test="debt" { (amount(account.debt_minor)) }
            dt { "Low-balance alert" } dd {
                @match account.account.low_balance_threshold_minor {
                    Some(threshold) => { "under " (amount(threshold)) }
                    None => { "off" }
                }
            }
            dt { "State" } dd data-test="states" {
                (badges(account.overdue, false, account.low_balance))
                @if account.overdue { "since " (when(account.account.overdue_since)) }
                @if !account.overdue && !account.low_balance { "in good standing" }
            }
        }
    }
}

/// Makes the account the one the customer pages (Instances, Renewals, Balance, …) show: the
/// console's account picker, with the session's CSRF token.
fn pick_form(session: &Session, account_id: &str) -> Markup {
    html! {
        form.inline method="post" action="/console/account" data-test="pick-account" {
            input type="hidden" name="csrf" value=(session.csrf);
            input type="hidden" name="account" value=(account_id);
            button type="submit" { "Show its pages" }
        }
        " "
        span.muted { "The customer pages (Instances, Renewals, Balance, …) then show this account." }
    }
}
