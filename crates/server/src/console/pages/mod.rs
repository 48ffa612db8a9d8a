//! The console's pages, a file per concept.

mod accounts;
mod balance;
mod billing_profile;
mod cards;
mod deliveries;
mod fleet;
mod forecast_chart;
mod instance_actions;
mod instances;
mod invoices;
mod notices;
mod operator;
mod overview;
mod records;
mod renewals;
mod unsubscribe;

use axum::Router;
use maud::{html, Markup};

use crate::context::ApiContext;

pub fn router() -> Router<ApiContext> {
    Router::new()
        .merge(instances::router())
        .merge(instance_actions::router())
        .merge(balance::router())
        .merge(billing_profile::router())
        .merge(cards::router())
        .merge(renewals::router())
        .merge(unsubscribe::router())
        .merge(records::router())
        .merge(invoices::router())
        .merge(notices::router())
        .merge(operator::router())
        .merge(overview::router())
        .merge(deliveries::router())
        .merge(fleet::router())
        .merge(accounts::router())
}

/// An amount in its currency, as a reader sees it.
pub fn money(amount_minor: i64, currency: &str) -> String {
    tenure_core::money::format_minor(amount_minor, currency)
}

/// A time as the pages show it: the day and the minute, UTC; a dash for none.
pub fn when(time: impl Into<Option<jiff::Timestamp>>) -> String {
    match time.into() {
        Some(time) => time.strftime("%Y-%m-%d %H:%M UTC").to_string(),
        None => "—".to_string(),
    }
}

/// An enum of an answer as a reader sees it: its name on the wire, underscores as spaces
/// (`pending_renewal` reads "pending renewal").
pub fn label(value: &impl serde::Serialize) -> String {
    wire_name(value).replace('_', " ")
}

/// An enum of an answer by its name on the wire (`bank_card`).
pub fn wire_name(value: &impl serde::Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => String::new(),
    }
}

/// What a page shows when the signed-in caller has no account to show (the operator before
/// picking one).
pub fn pick_an_account() -> Markup {
    html! {
        p.notice { "Pick an account (its id, acct_…) in the box at the top to see its pages." }
    }
}

/// A query string from pairs, the empty ones left out.
pub fn query(pairs: &[(&str, &str)]) -> String {
    let mut serializer = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in pairs {
        if !value.is_empty() {
            serializer.append_pair(key, value);
        }
    }
    serializer.finish()
}
