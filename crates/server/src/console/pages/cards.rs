//! Saved cards: the account's cards (brand, last four digits, expiry, which is the default),
//! "Make default" and "Remove", and adding a card with Stripe's own card field. Looking at the
//! cards asks Stripe nothing: only the "Add a card" view (`/console/cards/add`, which the
//! cards page's button leads to) starts a SetupIntent (`POST
//! /v1/accounts/{id}/payment-methods/setup`) and loads Stripe.js (`--stripe-js-url`) and
//! `cards.js`, which confirms the SetupIntent with the card: the number goes from the browser
//! to Stripe, never to tenure. The form then posts the payment method Stripe made (`pm_…`),
//! which the console saves through the API.

use axum::extract::{Path, State};
use axum::http::header::CONTENT_SECURITY_POLICY;
use axum::http::{HeaderValue, Method};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup};
use serde_json::json;
use tenure_core::access::Permission;
use tenure_wire::payments::{CardSetup, SavedCard};
use tenure_wire::Listing;

use super::pick_an_account;
use crate::console::api;
use crate::console::layout::IntoHtml;
use crate::console::layout::{message, page, Nav};
use crate::console::session::{random_token, Session};
use crate::console::{SignedForm, SignedIn};
use crate::context::ApiContext;

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route("/console/cards", get(show).post(save))
        .route("/console/cards/add", get(add))
        .route("/console/cards/{id}/default", post(make_default))
        .route("/console/cards/{id}/remove", post(remove))
}

/// What a page says when the server takes no cards.
pub const CARDS_OFF: &str =
    "Card payments are off on this tenure: the operator has not configured a payment provider.";

fn hidden(session: &Session) -> Markup {
    html! {
        input type="hidden" name="csrf" value=(session.csrf);
        input type="hidden" name="idempotency_key" value=(random_token());
    }
}

async fn show(State(context): State<ApiContext>, SignedIn(session): SignedIn) -> Response {
    cards_page(&context, &session, html! {}).await
}

async fn cards_page(context: &ApiContext, session: &Session, top: Markup) -> Response {
    let Some(account_id) = session.account_id.clone() else {
        return page(Some(session), "Cards", Nav::Cards, pick_an_account()).into_response_html();
    };
    if context.stripe_browser.is_none() {
        let body = html! { h1 { "Cards" } (top) (message("warn", CARDS_OFF)) };
        return page(Some(session), "Cards", Nav::Cards, body).into_response_html();
    }
    let cards: api::Reply<Listing<SavedCard>> = api::read(
        context,
        session,
        &format!("/v1/accounts/{account_id}/payment-methods"),
    )
    .await;
    let may_change = session.allows(Permission::Billing);
    let body = html! {
        h1 { "Cards" }
        (top)
        @match &cards {
            Err(refusal) => (message("bad", &refusal.message)),
            Ok(cards) if cards.data.is_empty() => p.muted data-test="no-cards" { "No card is saved yet." },
            Ok(cards) => { div.table-wrap { table data-test="cards" {
                thead { tr { th { "Card" } th { "Expires" } th { "Default" } @if may_change { th { "Actions" } } } }
                tbody { @for card in &cards.data {
                    @let id = &card.id;
                    tr data-test="card" {
                        td { (brand(&card.brand)) " ending " (card.last4) }
                        td { (format!("{:02}/{}", card.exp_month, card.exp_year)) }
                        td data-test="card-default" { @if card.is_default { "Default" } @else { "—" } }
                        @if may_change {
                            td {
                                @if !card.is_default {
                                    form.inline method="post" action={"/console/cards/" (id) "/default"} {
                                        (hidden(session))
                                        button type="submit" aria-label={"Make the card ending " (card.last4) " the default"} { "Make default" }
                                    }
                                    " "
                                }
                                form.inline method="post" action={"/console/cards/" (id) "/remove"} {
                                    (hidden(session))
                                    button.secondary type="submit" aria-label={"Remove the card ending " (card.last4)} { "Remove" }
                                }
                            }
                        }
                    }
                } }
            } } }
        }
        @if may_change {
            // A button to a view of its own: the SetupIntent is made when it is asked for,
            // not each time the cards are looked at.
            form method="get" action="/console/cards/add" {
                button type="submit" data-test="add-card" { "Add a card" }
            }
        } @else {
            p.muted { "Your key's role cannot add or change cards." }
        }
    };
    page(Some(session), "Cards", Nav::Cards, body).into_response_html()
}

/// The view that adds a card: a SetupIntent for its form, which the browser confirms with the
/// card in Stripe's field, made now because the customer asked to add a card.
async fn add(State(context): State<ApiContext>, SignedIn(session): SignedIn) -> Response {
    let Some(account_id) = session.account_id.clone() else {
        return page(Some(&session), "Add a card", Nav::Cards, pick_an_account())
            .into_response_html();
    };
    let Some(browser) = context.stripe_browser.clone() else {
        let body = html! { h1 { "Add a card" } (message("warn", CARDS_OFF)) };
        return page(Some(&session), "Add a card", Nav::Cards, body).into_response_html();
    };
    let back = html! { p { a href="/console/cards" { "Back to the saved cards" } } };
    if !session.allows(Permission::Billing) {
        let body = html! {
            h1 { "Add a card" }
            p.muted { "Your key's role cannot add or change cards." }
            (back)
        };
        return page(Some(&session), "Add a card", Nav::Cards, body).into_response_html();
    }
    let setup: api::Reply<CardSetup> = api::send(
        &context,
        &session,
        Method::POST,
        &format!("/v1/accounts/{account_id}/payment-methods/setup"),
        json!({}),
        None,
    )
    .await;
    let body = html! {
        h1 { "Add a card" }
        @match (&setup, &browser.publishable_key) {
            (Err(refusal), _) => (message("bad", &refusal.message)),
            (Ok(_), None) => (message("warn", "The operator has not given tenure Stripe's publishable key (--stripe-publishable-key): cards can be added through the API only.")),
            (Ok(setup), Some(publishable_key)) => {
                form #card-form method="post" action="/console/cards"
                    data-publishable-key=(publishable_key)
                    data-client-secret=(setup.client_secret) {
                    (hidden(&session))
                    input type="hidden" name="payment_method" id="payment-method";
                    p.muted { "The card's number goes from this page to Stripe, never to tenure." }
                    div.field {
                        span id="card-label" { "Card" }
                        div #card-element role="group" aria-labelledby="card-label" {}
                    }
                    p #card-errors role="alert" aria-live="polite" {}
                    button type="submit" id="card-submit" { "Save card" }
                }
                script src=(browser.js_url) defer {}
                script src="/console/assets/cards.js" defer {}
            }
        }
        (back)
    };
    let mut response = page(Some(&session), "Add a card", Nav::Cards, body).into_response_html();
    if let Ok(policy) = HeaderValue::from_str(&script_policy(&browser.js_url, &browser.api_base)) {
        response
            .headers_mut()
            .insert(CONTENT_SECURITY_POLICY, policy);
    }
    response
}

/// The card page's scripts: tenure's own and Stripe.js alone, which talks to Stripe's API
/// (and, localstripe's stand-in, to its own server). Added to the console's policy.
fn script_policy(js_url: &str, api_base: &str) -> String {
    let origin = |address: &str| {
        url::Url::parse(address)
            .map(|parsed| parsed.origin().ascii_serialization())
            .ok()
            .filter(|origin| origin != "null")
    };
    let mut scripts = vec!["'self'".to_string()];
    let mut connects = vec!["'self'".to_string()];
    if let Some(js) = origin(js_url) {
        // Stripe's own library loads more of itself from its subdomains.
        if js == "https://js.stripe.com" {
            scripts.push("https://*.js.stripe.com".into());
        }
        scripts.push(js.clone());
        connects.push(js);
    }
    if let Some(api) = origin(api_base) {
        if !connects.contains(&api) {
            connects.push(api);
        }
    }
    format!(
        "script-src {}; connect-src {}",
        scripts.join(" "),
        connects.join(" ")
    )
}

/// A brand as a reader names it.
fn brand(brand: &str) -> String {
    match brand {
        "visa" => "Visa".into(),
        "mastercard" => "Mastercard".into(),
        "amex" => "American Express".into(),
        "discover" => "Discover".into(),
        "diners" => "Diners Club".into(),
        "jcb" => "JCB".into(),
        "unionpay" => "UnionPay".into(),
        other => other.to_string(),
    }
}

async fn save(
    State(context): State<ApiContext>,
    SignedForm { session, fields }: SignedForm,
) -> Response {
    let Some(account_id) = session.account_id.clone() else {
        return cards_page(&context, &session, html! {}).await;
    };
    let payment_method = fields.one("payment_method").unwrap_or("").trim();
    let top = if payment_method.is_empty() {
        message(
            "bad",
            "No card came from Stripe's field: fill it in and save again (the page needs JavaScript).",
        )
    } else {
        let saved: api::Reply<SavedCard> = api::send(
            &context,
            &session,
            Method::POST,
            &format!("/v1/accounts/{account_id}/payment-methods"),
            json!({ "provider_payment_method": payment_method }),
            Some(fields.one("idempotency_key").unwrap_or("")),
        )
        .await;
        match saved {
            Ok(card) => message(
                "good",
                &format!(
                    "Saved the {} card ending {}{}.",
                    brand(&card.brand),
                    card.last4,
                    if card.is_default { ", the default" } else { "" }
                ),
            ),
            Err(refusal) => message("bad", &refusal.message),
        }
    };
    cards_page(&context, &session, top).await
}

async fn make_default(
    State(context): State<ApiContext>,
    Path(id): Path<String>,
    SignedForm { session, fields }: SignedForm,
) -> Response {
    card_action(&context, &session, &fields, &id, "default").await
}

async fn remove(
    State(context): State<ApiContext>,
    Path(id): Path<String>,
    SignedForm { session, fields }: SignedForm,
) -> Response {
    card_action(&context, &session, &fields, &id, "remove").await
}

async fn card_action(
    context: &ApiContext,
    session: &Session,
    fields: &crate::console::form::Fields,
    card_id: &str,
    action: &str,
) -> Response {
    let Some(account_id) = session.account_id.clone() else {
        return cards_page(context, session, html! {}).await;
    };
    let key = Some(fields.one("idempotency_key").unwrap_or(""));
    let done: api::Reply<Listing<SavedCard>> = if action == "default" {
        api::send(
            context,
            session,
            Method::POST,
            &format!("/v1/accounts/{account_id}/payment-methods/{card_id}/default"),
            json!({}),
            key,
        )
        .await
    } else {
        api::call(
            context,
            session,
            Method::DELETE,
            &format!("/v1/accounts/{account_id}/payment-methods/{card_id}"),
            None,
            key,
        )
        .await
        .read()
    };
    let top = match done {
        Ok(_) if action == "default" => message("good", "That card is now the default."),
        Ok(_) => message("good", "The card was removed."),
        Err(refusal) => message("bad", &refusal.message),
    };
    cards_page(context, session, top).await
}

#[cfg(test)]
mod tests {
    use super::script_policy;

    #[test]
    fn the_card_page_runs_stripe_js_and_talks_to_stripe_alone() {
        assert_eq!(
            script_policy("https://js.stripe.com/v3/", "https://api.stripe.com"),
            "script-src 'self' https://*.js.stripe.com https://js.stripe.com; connect-src 'self' https://js.stripe.com https://api.stripe.com"
        );
        assert_eq!(
            script_policy(
                "http://127.0.0.1:8420/js.stripe.com/v3/",
                "http://127.0.0.1:8420"
            ),
            "script-src 'self' http://127.0.0.1:8420; connect-src 'self' http://127.0.0.1:8420"
        );
    }
}
