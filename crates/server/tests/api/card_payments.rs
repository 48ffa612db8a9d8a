//! Card payments through a real server that speaks Stripe's API (localstripe): saved cards,
//! the payments list, and Stripe's signed webhooks.

use std::time::Duration;

use serde_json::{json, Value};
use tenure_payments::localstripe::LocalStripe;
use tenure_payments::stripe::signature;

use crate::helpers::{spawn_app, spawn_app_with, Backend, TestApp};
use crate::on_both_backends;

const WEBHOOK_SECRET: &str = "whsec_tenure_test_secret";

async fn app_with_stripe(backend: Backend, stripe: &LocalStripe) -> TestApp {
    let base = stripe.base();
    spawn_app_with(backend, "2026-02-10T00:00:00Z", move |settings| {
        settings.card_payments = Some(tenure_server::CardPaymentSettings {
            stripe_secret_key: "sk_test_tenure".into(),
            stripe_webhook_secret: Some(WEBHOOK_SECRET.into()),
            stripe_js_url: format!("{base}/js.stripe.com/v3/"),
            stripe_api_base: base,
            settle_interval: Duration::from_secs(3600),
            call_timeout: Duration::from_secs(20),
            stripe_publishable_key: Some("pk_test_tenure".into()),
        });
    })
    .await
}

/// Stripe's `payment_intent.succeeded` for charge `provider_id` of tenure's payment `attempt`.
fn succeeded_event(
    id: &str,
    provider_id: impl serde::Serialize,
    amount_minor: i64,
    attempt: impl serde::Serialize,
) -> String {
    json!({
        "id": id,
        "type": "payment_intent.succeeded",
        "data": { "object": { "id": provider_id, "amount": amount_minor, "status": "succeeded",
                              "metadata": { "tenure_attempt": attempt } } }
    })
    .to_string()
}

/// Sends `event` to the provider's webhook as Stripe would, signed with the secret now: the
/// status and the answer.
async fn send_signed(app: &TestApp, event: String) -> (u16, Value) {
    let signed = signature::sign(
        event.as_bytes(),
        WEBHOOK_SECRET,
        jiff::Timestamp::now().as_second(),
    );
    post_event(app, signed, event).await
}

/// Posts `event` to the provider's webhook with `signature` as its Stripe-Signature.
async fn post_event(app: &TestApp, signature: String, event: String) -> (u16, Value) {
    let response = app
        .client
        .post(format!("{}/v1/providers/stripe/webhook", app.address))
        .header("Stripe-Signature", signature)
        .header("Content-Type", "application/json")
        .body(event)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A new account: its id and its owner's key.
async fn account(app: &TestApp) -> (String, String) {
    let account = app
        .post_ok(
            "/v1/accounts",
            json!({ "name": "Ada Lovelace", "email": "ada@example.com", "mobile": "+15550100" }),
        )
        .await;
    (
        account["id"].as_str().unwrap().to_string(),
        account["owner_key"].as_str().unwrap().to_string(),
    )
}

async fn cards_are_saved_listed_made_default_and_removed(backend: Backend) {
    let stripe = LocalStripe::start().await;
    let app = app_with_stripe(backend, &stripe).await;
    let (account_id, owner_key) = account(&app).await;
    let cards_path = format!("/v1/accounts/{account_id}/payment-methods");

    let visa = stripe.tokenize("4242424242424242").await;
    let (status, first) = app
        .post(&cards_path, json!({ "provider_payment_method": visa }))
        .await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["last4"], "4242");
    assert_eq!(
        (first["exp_month"].as_i64(), first["exp_year"].as_i64()),
        (Some(12), Some(2030))
    );
    assert_eq!(first["is_default"], true, "the first card is the default");

    let other = stripe.tokenize("4000002500003155").await;
    let (status, second) = app
        .post(
            &cards_path,
            json!({ "provider_payment_method": other, "make_default": true }),
        )
        .await;
    assert_eq!(status, 201, "{second}");
    let listed = app.get(&cards_path).await;
    let defaults: Vec<(&str, bool)> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|card| {
            (
                card["last4"].as_str().unwrap(),
                card["is_default"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(defaults, [("4242", false), ("3155", true)]);

    // A card the provider declines when attached is never saved.
    let declined = stripe.tokenize("4000000000009995").await;
    let (status, refused) = app
        .post(&cards_path, json!({ "provider_payment_method": declined }))
        .await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (402, Some("card_declined")),
        "{refused}"
    );
    assert_eq!(
        app.get(&cards_path).await["data"].as_array().unwrap().len(),
        2
    );

    // Removing the default makes the oldest card left the default.
    let (status, left) = app
        .request(
            "DELETE",
            &format!("{cards_path}/{}", second["id"].as_str().unwrap()),
            None,
            &[],
        )
        .await;
    assert_eq!(status, 200, "{left}");
    assert_eq!(left["data"].as_array().unwrap().len(), 1);
    assert_eq!(left["data"][0]["is_default"], true);

    // A removed card's payment method does not come back: it was detached.
    let (status, refused) = app
        .post(&cards_path, json!({ "provider_payment_method": other }))
        .await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (409, Some("card_removed")),
        "{refused}"
    );

    // An account's own key may save a card: the provider, not the key, vouches for it.
    let third = stripe.tokenize("4242424242424242").await;
    let (status, saved) = app
        .with_key(
            "POST",
            &cards_path,
            &owner_key,
            Some(json!({ "provider_payment_method": third })),
        )
        .await;
    assert_eq!(status, 201, "{saved}");

    let events = app.get(&format!("/v1/events?account={account_id}")).await;
    let kinds: Vec<&str> = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|event| event["type"].as_str().or(event["kind"].as_str()))
        .filter(|kind| kind.starts_with("card."))
        .collect();
    assert_eq!(
        kinds,
        ["card.saved", "card.saved", "card.removed", "card.saved"]
    );
}
on_both_backends!(
    cards_round_trip,
    cards_are_saved_listed_made_default_and_removed
);

/// The browser's way: a SetupIntent for the account's customer, its client secret confirmed
/// with the card at the provider (as Stripe.js does), and the payment method it made saved.
async fn a_card_setup_starts_a_setup_intent_the_browser_confirms(backend: Backend) {
    let stripe = LocalStripe::start().await;
    let app = app_with_stripe(backend, &stripe).await;
    let (account_id, owner_key) = account(&app).await;
    let (status, setup) = app
        .with_key(
            "POST",
            &format!("/v1/accounts/{account_id}/payment-methods/setup"),
            &owner_key,
            None,
        )
        .await;
    assert_eq!(status, 200, "{setup}");
    assert_eq!(setup["publishable_key"], "pk_test_tenure");
    let secret = setup["client_secret"].as_str().unwrap();
    let (intent, _) = secret
        .split_once("_secret_")
        .expect("a SetupIntent's secret");
    assert!(intent.starts_with("seti_"), "{secret}");

    // What Stripe.js does with the secret and the card, with a publishable key alone.
    let confirmed: Value = reqwest::Client::new()
        .post(format!("{}/v1/setup_intents/{intent}/confirm", stripe.base()))
        .body(
            json!({
                "key": "pk_test_tenure",
                "client_secret": secret,
                "payment_method_data": { "type": "card", "card": {
                    "number": "4242424242424242", "exp_month": "12", "exp_year": "2030", "cvc": "123" } }
            })
            .to_string(),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(confirmed["status"], "succeeded", "{confirmed}");
    let method = confirmed["payment_method"].as_str().unwrap();
    let (status, saved) = app
        .with_key(
            "POST",
            &format!("/v1/accounts/{account_id}/payment-methods"),
            &owner_key,
            Some(json!({ "provider_payment_method": method })),
        )
        .await;
    assert_eq!(status, 201, "{saved}");
    assert_eq!(
        (saved["last4"].as_str(), saved["is_default"].as_bool()),
        (Some("4242"), Some(true))
    );

    // The account's customer is made once: a second setup uses it.
    let (status, again) = app
        .post(
            &format!("/v1/accounts/{account_id}/payment-methods/setup"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{again}");
    let customers = stripe.list("customers").await;
    assert_eq!(customers.len(), 1, "{customers:?}");
}
on_both_backends!(
    card_setup,
    a_card_setup_starts_a_setup_intent_the_browser_confirms
);

async fn stripe_webhooks_are_verified_and_applied_once(backend: Backend) {
    let stripe = LocalStripe::start().await;
    let app = app_with_stripe(backend, &stripe).await;
    let event = json!({
        "id": "evt_tenure_1",
        "type": "payment_intent.succeeded",
        "data": { "object": { "id": "pi_unknown", "amount": 100, "status": "succeeded", "metadata": {} } }
    })
    .to_string();
    let now = jiff::Timestamp::now().as_second();
    let send = |header: String, body: String| post_event(&app, header, body);
    let (status, refused) = send(
        signature::sign(event.as_bytes(), "whsec_wrong", now),
        event.clone(),
    )
    .await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (400, Some("invalid_signature"))
    );
    let (status, refused) = send(
        signature::sign(event.as_bytes(), WEBHOOK_SECRET, now - 3_600),
        event.clone(),
    )
    .await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (400, Some("invalid_signature")),
        "too old"
    );

    let signed = signature::sign(event.as_bytes(), WEBHOOK_SECRET, now);
    let (status, first) = send(signed.clone(), event.clone()).await;
    assert_eq!(
        (status, first["applied"].as_bool()),
        (200, Some(true)),
        "{first}"
    );
    let (status, again) = send(signed, event).await;
    assert_eq!(
        (status, again["applied"].as_bool()),
        (200, Some(false)),
        "sent twice, applied once"
    );
}
on_both_backends!(
    stripe_webhooks,
    stripe_webhooks_are_verified_and_applied_once
);

async fn without_a_provider_card_payments_say_so(backend: Backend) {
    let app = spawn_app(backend, "2026-02-10T00:00:00Z").await;
    let (account_id, _) = account(&app).await;
    let (status, refused) = app
        .post(
            &format!("/v1/accounts/{account_id}/payment-methods"),
            json!({ "provider_payment_method": "pm_anything" }),
        )
        .await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (422, Some("payments_not_configured"))
    );
    let (status, refused) = app
        .post(
            &format!("/v1/accounts/{account_id}/payment-methods/setup"),
            json!({}),
        )
        .await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (422, Some("payments_not_configured"))
    );
    let (status, _) = app
        .request("POST", "/v1/providers/stripe/webhook", Some(json!({})), &[])
        .await;
    assert_eq!(status, 422);
}
on_both_backends!(
    payments_not_configured,
    without_a_provider_card_payments_say_so
);

/// A node dies after the provider charged the card and before tenure committed: the payment
/// stays `started`, and looking it up at the provider credits it, once.
async fn a_charge_whose_answer_was_lost_is_credited_once(backend: Backend) {
    use tenure_payments::{ChargeRequest, Provider};

    let stripe = LocalStripe::start().await;
    let app = app_with_stripe(backend, &stripe).await;
    let (account_id, _) = account(&app).await;
    let visa = stripe.tokenize("4242424242424242").await;
    let (status, card) = app
        .post(
            &format!("/v1/accounts/{account_id}/payment-methods"),
            json!({ "provider_payment_method": visa }),
        )
        .await;
    assert_eq!(status, 201, "{card}");

    let engine = app.engine.clone();
    let started = engine
        .start_card_top_up(&account_id, 2_500, None, None)
        .await
        .unwrap();
    assert!(started.fresh);
    // The call a dead node made: the provider took the money, tenure never heard.
    let client = tenure_payments::stripe::Stripe::new(&stripe.base(), "sk_test_tenure");
    let customer = {
        let mut connection = engine.store.read().await.unwrap();
        tenure_store::payments::customer(&mut connection, &account_id)
            .await
            .unwrap()
            .unwrap()
    };
    let charged = client
        .charge(&ChargeRequest {
            attempt_id: started.payment.id.clone(),
            customer_id: customer,
            payment_method_id: visa.clone(),
            amount_minor: 2_500,
            currency: "USD".into(),
        })
        .await
        .unwrap();

    // Too young to look up: its call might still be running.
    let now = jiff::Timestamp::now();
    assert_eq!(engine.settle_unanswered_payments(now).await.unwrap(), 0);
    let later = now + jiff::SignedDuration::from_mins(2);
    assert_eq!(engine.settle_unanswered_payments(later).await.unwrap(), 1);
    assert_eq!(engine.settle_unanswered_payments(later).await.unwrap(), 0);
    assert_eq!(app.account(&account_id).await["balance_minor"], 2_500);

    let payments = app.get(&format!("/v1/payments?account={account_id}")).await;
    let payment = &payments["data"][0];
    assert_eq!(payment["status"], "succeeded");
    assert_eq!(
        payment["provider_id"].as_str(),
        Some(charged.provider_id.as_str())
    );

    // The provider's webhook for the same charge, arriving after, changes nothing.
    let event = succeeded_event(
        "evt_after_settling",
        &charged.provider_id,
        2_500,
        &started.payment.id,
    );
    assert_eq!(send_signed(&app, event).await.0, 200);
    assert_eq!(
        app.account(&account_id).await["balance_minor"],
        2_500,
        "credited once"
    );

    // A payment the provider never received fails, and credits nothing.
    let lost = engine
        .start_card_top_up(&account_id, 700, None, None)
        .await
        .unwrap();
    assert_eq!(engine.settle_unanswered_payments(later).await.unwrap(), 1);
    let payments = app.get(&format!("/v1/payments?account={account_id}")).await;
    let never = payments["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|payment| payment["id"] == lost.payment.id.as_str())
        .unwrap();
    assert_eq!(
        (never["status"].as_str(), never["failure_code"].as_str()),
        (Some("failed"), Some("not_made"))
    );
    assert_eq!(app.account(&account_id).await["balance_minor"], 2_500);
}
on_both_backends!(
    lost_answers,
    a_charge_whose_answer_was_lost_is_credited_once
);

async fn saved_card(app: &TestApp, stripe: &LocalStripe, account_id: &str, number: &str) -> String {
    let method = stripe.tokenize(number).await;
    let (status, card) = app
        .post(
            &format!("/v1/accounts/{account_id}/payment-methods"),
            json!({ "provider_payment_method": method, "make_default": true }),
        )
        .await;
    assert_eq!(status, 201, "{card}");
    card["id"].as_str().unwrap().to_string()
}

async fn a_card_top_up_charges_once_and_credits_once(backend: Backend) {
    let stripe = LocalStripe::start().await;
    let app = app_with_stripe(backend, &stripe).await;
    let (account_id, owner_key) = account(&app).await;
    saved_card(&app, &stripe, &account_id, "4242424242424242").await;
    let deposits = format!("/v1/accounts/{account_id}/deposits");
    let body = json!({ "amount": 5_000, "method": "bank_card" });

    // The account's own key tops up: the provider, not the key, vouches for the money.
    let headers = [("Idempotency-Key", "top-up-1")];
    let (status, first) = app
        .request_with_key(
            "POST",
            &deposits,
            Some(&owner_key),
            Some(body.clone()),
            &headers,
        )
        .await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["payment"]["status"], "succeeded");
    assert_eq!(first["payment"]["amount_minor"], 5_000);
    assert_eq!(first["account"]["balance_minor"], 5_000);
    assert!(first["entry_id"].is_string());

    // Sent again with its key: the same answer, no second charge, no second credit.
    let (status, again) = app
        .request_with_key("POST", &deposits, Some(&owner_key), Some(body), &headers)
        .await;
    assert_eq!((status, &again), (201, &first));
    assert_eq!(stripe.list("payment_intents").await.len(), 1);
    assert_eq!(app.account(&account_id).await["balance_minor"], 5_000);
    app.balanced_ledger(&account_id).await;

    let events = app.get(&format!("/v1/events?account={account_id}")).await;
    let kinds: Vec<&str> = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|event| event["kind"].as_str())
        .filter(|kind| kind.starts_with("payment.") || *kind == "funds.deposited")
        .collect();
    assert_eq!(kinds, ["payment.succeeded", "funds.deposited"]);

    // The secret key shows nowhere a client or a scraper reads.
    assert!(!app.metrics().await.contains("sk_test_tenure"));
    assert!(!first.to_string().contains("sk_test_tenure"));
}
on_both_backends!(card_top_up, a_card_top_up_charges_once_and_credits_once);

async fn a_declined_card_changes_nothing_and_its_key_keeps_the_decline(backend: Backend) {
    let stripe = LocalStripe::start().await;
    let app = app_with_stripe(backend, &stripe).await;
    let (account_id, _) = account(&app).await;
    saved_card(&app, &stripe, &account_id, "4000000000000341").await;
    let deposits = format!("/v1/accounts/{account_id}/deposits");
    let headers = [("Idempotency-Key", "declined-1")];
    let body = json!({ "amount": 700, "method": "bank_card" });
    let (status, refused) = app
        .request("POST", &deposits, Some(body.clone()), &headers)
        .await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (402, Some("card_declined")),
        "{refused}"
    );
    assert_eq!(app.account(&account_id).await["balance_minor"], 0);
    let (status, again) = app.request("POST", &deposits, Some(body), &headers).await;
    assert_eq!(
        (status, &again),
        (402, &refused),
        "the key answers its decline again"
    );
    assert_eq!(stripe.list("payment_intents").await.len(), 1, "tried once");

    let payments = app.get(&format!("/v1/payments?account={account_id}")).await;
    assert_eq!(payments["data"].as_array().unwrap().len(), 1);
    assert_eq!(payments["data"][0]["status"], "failed");
    assert_eq!(payments["data"][0]["failure_code"], "card_declined");
}
on_both_backends!(
    card_declined,
    a_declined_card_changes_nothing_and_its_key_keeps_the_decline
);

async fn a_payment_that_needs_the_customer_is_credited_when_the_provider_says(backend: Backend) {
    let stripe = LocalStripe::start().await;
    let app = app_with_stripe(backend, &stripe).await;
    let (account_id, _) = account(&app).await;
    saved_card(&app, &stripe, &account_id, "4000002500003155").await;
    let (status, pending) = app
        .post(
            &format!("/v1/accounts/{account_id}/deposits"),
            json!({ "amount": 900, "method": "bank_card" }),
        )
        .await;
    assert_eq!(status, 201, "{pending}");
    assert_eq!(pending["payment"]["status"], "pending");
    assert_eq!(pending["entry_id"], Value::Null);
    assert_eq!(pending["account"]["balance_minor"], 0);

    // The customer authenticated: the provider says so.
    let payment = &pending["payment"];
    let event = succeeded_event(
        "evt_authenticated",
        &payment["provider_id"],
        900,
        &payment["id"],
    );
    assert_eq!(send_signed(&app, event).await.0, 200);
    assert_eq!(app.account(&account_id).await["balance_minor"], 900);
    let payments = app.get(&format!("/v1/payments?account={account_id}")).await;
    assert_eq!(payments["data"][0]["status"], "succeeded");
}
on_both_backends!(
    card_pending,
    a_payment_that_needs_the_customer_is_credited_when_the_provider_says
);

fn purchase_body(account_id: &str) -> Value {
    json!({ "account": account_id, "product": "message-queue", "edition": "basic",
            "spec": "tps-1000", "region": "us-east-1", "period": "1M", "pay_with": "bank_card" })
}

async fn an_order_paid_by_card_charges_what_credit_leaves(backend: Backend) {
    let stripe = LocalStripe::start().await;
    let app = app_with_stripe(backend, &stripe).await;
    let (account_id, owner_key) = account(&app).await;
    saved_card(&app, &stripe, &account_id, "4242424242424242").await;
    app.post_ok(
        &format!("/v1/accounts/{account_id}/coupons"),
        json!({ "amount": 2_000 }),
    )
    .await;

    let headers = [("Idempotency-Key", "buy-by-card")];
    let (status, bought) = app
        .request_with_key(
            "POST",
            "/v1/instances",
            Some(&owner_key),
            Some(purchase_body(&account_id)),
            &headers,
        )
        .await;
    assert_eq!(status, 201, "{bought}");
    let order = &bought["order"];
    assert_eq!(order["list_price_minor"], 12_000);
    assert_eq!(order["paid_coupon_minor"], 2_000, "coupons first");
    assert_eq!(
        order["paid_external_minor"], 10_000,
        "the card pays the rest"
    );
    assert_eq!(order["external_method"], "bank_card");
    let charges = stripe.list("payment_intents").await;
    assert_eq!(charges.len(), 1);
    assert_eq!(charges[0]["amount"], 10_000);

    let payments = app.get(&format!("/v1/payments?account={account_id}")).await;
    assert_eq!(payments["data"][0]["status"], "succeeded");
    assert_eq!(payments["data"][0]["order_id"], order["id"]);
    assert_eq!(
        app.account(&account_id).await["balance_minor"],
        0,
        "no credit: it paid the order"
    );

    // Sent again with its key: the same order, no second charge.
    let (status, again) = app
        .request_with_key(
            "POST",
            "/v1/instances",
            Some(&owner_key),
            Some(purchase_body(&account_id)),
            &headers,
        )
        .await;
    assert_eq!((status, &again), (201, &bought));
    assert_eq!(stripe.list("payment_intents").await.len(), 1);

    // A renewal by card.
    let instance_id = bought["instance"]["id"].as_str().unwrap();
    let (status, renewed) = app
        .post(
            &format!("/v1/instances/{instance_id}/renew"),
            json!({ "period": "1M", "pay_with": "bank_card" }),
        )
        .await;
    assert_eq!(status, 200, "{renewed}");
    assert_eq!(renewed["order"]["paid_external_minor"], 12_000);
    assert_eq!(stripe.list("payment_intents").await.len(), 2);
    app.balanced_ledger(&account_id).await;
}
on_both_backends!(
    order_by_card,
    an_order_paid_by_card_charges_what_credit_leaves
);

async fn a_declined_order_places_nothing(backend: Backend) {
    let stripe = LocalStripe::start().await;
    let app = app_with_stripe(backend, &stripe).await;
    let (account_id, _) = account(&app).await;
    saved_card(&app, &stripe, &account_id, "4000000000000341").await;
    let (status, refused) = app.post("/v1/instances", purchase_body(&account_id)).await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (402, Some("card_declined")),
        "{refused}"
    );
    let instances = app
        .get(&format!("/v1/instances?account={account_id}"))
        .await;
    assert_eq!(instances["data"].as_array().unwrap().len(), 0);
    assert_eq!(app.account(&account_id).await["balance_minor"], 0);

    // A card that needs its holder places nothing either; when the holder completes the
    // payment later, the money goes to the balance.
    saved_card(&app, &stripe, &account_id, "4000002500003155").await;
    let (status, waiting) = app.post("/v1/instances", purchase_body(&account_id)).await;
    assert_eq!(
        (status, waiting["code"].as_str()),
        (402, Some("card_authentication_required")),
        "{waiting}"
    );
    let payments = app.get(&format!("/v1/payments?account={account_id}")).await;
    let pending = payments["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|payment| payment["status"] == "pending")
        .expect("a pending payment")
        .clone();
    let event = succeeded_event(
        "evt_late_authentication",
        &pending["provider_id"],
        12_000,
        &pending["id"],
    );
    assert_eq!(send_signed(&app, event).await.0, 200);
    assert_eq!(app.account(&account_id).await["balance_minor"], 12_000);
    let instances = app
        .get(&format!("/v1/instances?account={account_id}"))
        .await;
    assert_eq!(
        instances["data"].as_array().unwrap().len(),
        0,
        "no order was placed"
    );
    app.balanced_ledger(&account_id).await;
}
on_both_backends!(order_declined, a_declined_order_places_nothing);

async fn an_unsubscription_refunds_the_card_through_the_provider(backend: Backend) {
    let stripe = LocalStripe::start().await;
    let app = app_with_stripe(backend, &stripe).await;
    let (account_id, _) = account(&app).await;
    saved_card(&app, &stripe, &account_id, "4242424242424242").await;
    let (status, bought) = app.post("/v1/instances", purchase_body(&account_id)).await;
    assert_eq!(status, 201, "{bought}");
    let instance_id = bought["instance"]["id"].as_str().unwrap();

    let (status, unsubscribed) = app
        .post(
            &format!("/v1/instances/{instance_id}/unsubscribe"),
            json!({ "confirm_refund": true, "confirm_data_backed_up": true }),
        )
        .await;
    assert_eq!(status, 200, "{unsubscribed}");
    let refunds = app.get(&format!("/v1/refunds?account={account_id}")).await;
    let refund = refunds["data"][0].clone();
    assert_eq!(refund["destination"], "bank_card");
    assert_eq!(refund["status"], "processing");
    let to_card = refund["to_external_minor"].as_i64().unwrap();
    assert!(to_card > 0, "{refund}");

    // The sender gives it back to the card, once.
    let engine = app.engine.clone();
    let now = jiff::Timestamp::now();
    assert_eq!(engine.send_card_refunds(now).await.unwrap(), 1);
    assert_eq!(engine.send_card_refunds(now).await.unwrap(), 0);
    let made = stripe.list("refunds").await;
    assert_eq!(made.len(), 1);
    assert_eq!(made[0]["amount"].as_i64(), Some(to_card));

    let refund = app
        .get(&format!("/v1/refunds/{}", refund["id"].as_str().unwrap()))
        .await;
    assert_eq!(refund["status"], "refunded");
    let payments = app.get(&format!("/v1/payments?account={account_id}")).await;
    let sent = payments["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|payment| payment["kind"] == "refund")
        .expect("the refund payment")
        .clone();
    assert_eq!(sent["status"], "succeeded");
    assert_eq!(sent["amount_minor"].as_i64(), Some(to_card));
    assert_eq!(sent["provider_id"], made[0]["id"]);
    assert_eq!(refund["paid_back_through_provider"][0]["id"], sent["id"]);
    assert_eq!(
        refund["paid_back_through_provider"][0]["status"],
        "succeeded"
    );
    let completed = events_of(&app, &account_id, "refund.completed").await;
    assert_eq!(completed.len(), 1);
    assert_eq!(completed[0]["data"]["amount_minor"].as_i64(), Some(to_card));

    // The books: the card's money came in through the provider and part of it went back.
    let charged = bought["order"]["paid_external_minor"].as_i64().unwrap();
    assert_eq!(
        app.book_total(&account_id, "provider_clearing").await,
        -(charged - to_card),
        "what the provider holds for the operator"
    );
    assert_eq!(app.book_total(&account_id, "external:bank_card").await, 0);
    assert_eq!(app.book_total(&account_id, "refunds_payable").await, 0);

    // The provider completed it: the operator cannot complete it again.
    let refund_id = refund["id"].as_str().unwrap();
    let (status, answer) = app
        .post(&format!("/v1/refunds/{refund_id}/complete"), json!({}))
        .await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (409, Some("refund_not_processing"))
    );
}
on_both_backends!(
    refund_to_card,
    an_unsubscription_refunds_the_card_through_the_provider
);

async fn an_upgrade_is_paid_by_card_and_refunded_to_it(backend: Backend) {
    let stripe = LocalStripe::start().await;
    let app = app_with_stripe(backend, &stripe).await;
    let (account_id, owner_key) = account(&app).await;
    saved_card(&app, &stripe, &account_id, "4242424242424242").await;
    let upgrade = json!({ "spec": "tps-5000", "pay_with": "bank_card" });

    // Two paid periods (bought, then renewed ahead): one charge cannot pay both.
    let (_, renewed_ahead) = app.post("/v1/instances", purchase_body(&account_id)).await;
    let renewed_id = renewed_ahead["instance"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, _) = app
        .post(
            &format!("/v1/instances/{renewed_id}/renew"),
            json!({ "period": "1M", "pay_with": "bank_card" }),
        )
        .await;
    assert_eq!(status, 200);
    let (status, refused) = app
        .request_with_key(
            "POST",
            &format!("/v1/instances/{renewed_id}/change"),
            Some(&owner_key),
            Some(upgrade.clone()),
            &[],
        )
        .await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (409, Some("card_pays_one_period")),
        "{refused}"
    );
    assert_eq!(
        stripe.list("payment_intents").await.len(),
        2,
        "nothing charged"
    );
    let unchanged = app.get(&format!("/v1/instances/{renewed_id}")).await;
    assert_eq!(unchanged["spec_id"], "tps-1000");
    let (status, refused) = app
        .post(
            "/v1/renewals",
            json!({ "instances": [renewed_id], "period": "1M", "pay_with": "bank_card" }),
        )
        .await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (409, Some("card_pays_one_period")),
        "renewing several at once: {refused}"
    );
    assert_eq!(
        stripe.list("payment_intents").await.len(),
        2,
        "nothing charged"
    );

    // One paid period: the account's own key upgrades it by card.
    let (_, bought) = app.post("/v1/instances", purchase_body(&account_id)).await;
    let instance_id = bought["instance"]["id"].as_str().unwrap().to_string();
    let (status, changed) = app
        .request_with_key(
            "POST",
            &format!("/v1/instances/{instance_id}/change"),
            Some(&owner_key),
            Some(upgrade),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["status"], "applied");
    let order = &changed["orders"][0];
    let upgrade_minor = order["paid_external_minor"].as_i64().unwrap();
    assert!(upgrade_minor > 0, "{order}");
    let charges = stripe.list("payment_intents").await;
    assert_eq!(charges.len(), 4);
    assert!(charges
        .iter()
        .any(|charge| charge["amount"].as_i64() == Some(upgrade_minor)));
    let payments = app.get(&format!("/v1/payments?account={account_id}")).await;
    let paid = payments["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|payment| payment["order_id"] == order["id"])
        .expect("the upgrade's payment")
        .clone();
    assert_eq!(paid["status"], "succeeded");
    assert_eq!(paid["amount_minor"].as_i64(), Some(upgrade_minor));
    assert_eq!(app.account(&account_id).await["balance_minor"], 0);

    // Unsubscribed: the period's refund goes back to the card from both of its charges.
    let (status, _) = app
        .post(
            &format!("/v1/instances/{instance_id}/unsubscribe"),
            json!({ "confirm_refund": true, "confirm_data_backed_up": true }),
        )
        .await;
    assert_eq!(status, 200);
    let refund = app
        .get(&format!("/v1/refunds?instance={instance_id}"))
        .await["data"][0]
        .clone();
    let to_card = refund["to_external_minor"].as_i64().unwrap();
    app.engine
        .send_card_refunds(jiff::Timestamp::now())
        .await
        .unwrap();
    let refunded: i64 = stripe
        .list("refunds")
        .await
        .iter()
        .map(|made| made["amount"].as_i64().unwrap())
        .sum();
    assert_eq!(refunded, to_card);
    let refund = app
        .get(&format!("/v1/refunds/{}", refund["id"].as_str().unwrap()))
        .await;
    assert_eq!(refund["status"], "refunded", "{refund}");
    let charged: i64 = charges
        .iter()
        .map(|charge| charge["amount"].as_i64().unwrap())
        .sum();
    assert_eq!(
        app.book_total(&account_id, "provider_clearing").await,
        -(charged - to_card)
    );
    assert_eq!(app.book_total(&account_id, "external:bank_card").await, 0);
}
on_both_backends!(
    upgrade_by_card,
    an_upgrade_is_paid_by_card_and_refunded_to_it
);

/// The events of `kind` recorded for `account_id`.
async fn events_of(app: &TestApp, account_id: &str, kind: &str) -> Vec<Value> {
    app.get(&format!("/v1/events?account={account_id}&kind={kind}"))
        .await["data"]
        .as_array()
        .unwrap()
        .clone()
}

async fn a_refund_the_provider_refuses_goes_to_the_balance(backend: Backend) {
    let stripe = LocalStripe::start().await;
    let app = app_with_stripe(backend, &stripe).await;
    let (account_id, _) = account(&app).await;
    saved_card(&app, &stripe, &account_id, "4242424242424242").await;
    let (status, bought) = app.post("/v1/instances", purchase_body(&account_id)).await;
    assert_eq!(status, 201, "{bought}");
    let instance_id = bought["instance"]["id"].as_str().unwrap();
    let (status, unsubscribed) = app
        .post(
            &format!("/v1/instances/{instance_id}/unsubscribe"),
            json!({ "confirm_refund": true, "confirm_data_backed_up": true }),
        )
        .await;
    assert_eq!(status, 200, "{unsubscribed}");
    let refund = app.get(&format!("/v1/refunds?account={account_id}")).await["data"][0].clone();
    let refund_id = refund["id"].as_str().unwrap().to_string();
    let to_card = refund["to_external_minor"].as_i64().unwrap();
    let part = refund["paid_back_through_provider"][0].clone();
    assert_eq!(part["status"], "started", "queued for the sender: {refund}");
    assert_eq!(part["amount_minor"].as_i64(), Some(to_card));

    // The operator cannot complete what the provider is paying back.
    let (status, answer) = app
        .post(&format!("/v1/refunds/{refund_id}/complete"), json!({}))
        .await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (409, Some("refund_through_provider"))
    );

    // Stripe says the refund failed (the card was closed).
    let failed = json!({
        "id": "evt_refund_failed",
        "type": "refund.failed",
        "data": { "object": { "id": "re_closed_card", "amount": to_card, "status": "failed",
                              "failure_reason": "expired_or_canceled_card",
                              "metadata": { "tenure_attempt": part["id"] } } }
    })
    .to_string();
    assert_eq!(send_signed(&app, failed.clone()).await.0, 200);
    assert_eq!(
        send_signed(&app, failed).await.0,
        200,
        "sent again: acknowledged"
    );
    assert_eq!(
        app.engine
            .send_card_refunds(jiff::Timestamp::now())
            .await
            .unwrap(),
        0,
        "nothing left to send"
    );
    assert!(stripe.list("refunds").await.is_empty());

    let refund = app.get(&format!("/v1/refunds/{refund_id}")).await;
    assert_eq!(refund["status"], "refunded", "{refund}");
    let part = &refund["paid_back_through_provider"][0];
    assert_eq!(part["status"], "failed");
    assert_eq!(part["provider_id"], "re_closed_card");
    assert_eq!(part["failure_message"], "expired_or_canceled_card");
    assert_eq!(
        app.account(&account_id).await["balance_minor"].as_i64(),
        Some(to_card),
        "the refund went to the balance"
    );
    let redirected = events_of(&app, &account_id, "refund.redirected").await;
    assert_eq!(redirected.len(), 1, "once");
    assert_eq!(
        redirected[0]["data"]["amount_minor"].as_i64(),
        Some(to_card)
    );
    assert_eq!(redirected[0]["data"]["reason"], "expired_or_canceled_card");
    assert!(events_of(&app, &account_id, "refund.completed")
        .await
        .is_empty());
    let notices = app
        .get(&format!(
            "/v1/notifications?account={account_id}&kind=refund.redirected"
        ))
        .await;
    let told = notices["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|notice| notice["kind"] == "refund.redirected")
        .expect("the customer is told")
        .clone();
    assert!(
        told["body"]
            .as_str()
            .unwrap()
            .contains("expired_or_canceled_card"),
        "{told}"
    );

    let charged = bought["order"]["paid_external_minor"].as_i64().unwrap();
    assert_eq!(
        app.book_total(&account_id, "provider_clearing").await,
        -charged
    );
    assert_eq!(app.book_total(&account_id, "refunds_payable").await, 0);
    assert_eq!(app.book_total(&account_id, "balance").await, to_card);
}
on_both_backends!(
    refund_refused,
    a_refund_the_provider_refuses_goes_to_the_balance
);

async fn a_free_instance_is_upgraded_to_a_subscription_paid_by_card(backend: Backend) {
    let stripe = LocalStripe::start().await;
    let app = app_with_stripe(backend, &stripe).await;
    let (account_id, owner_key) = account(&app).await;
    saved_card(&app, &stripe, &account_id, "4242424242424242").await;
    let free = app
        .post_ok(
            "/v1/instances",
            json!({ "account": account_id, "product": "iot-platform", "edition": "public",
                    "region": "us-east-1", "billing": "free" }),
        )
        .await;
    let instance_id = free["instance"]["id"].as_str().unwrap();
    let (status, upgraded) = app
        .with_key(
            "POST",
            &format!("/v1/instances/{instance_id}/upgrade-to-subscription"),
            &owner_key,
            Some(
                json!({ "edition": "enterprise", "spec": "units-10", "period": "1M",
                         "pay_with": "bank_card" }),
            ),
        )
        .await;
    assert_eq!(status, 200, "{upgraded}");
    assert_eq!(upgraded["instance"]["billing"], "subscription");
    let card_minor = upgraded["order"]["paid_external_minor"].as_i64().unwrap();
    assert_eq!(
        card_minor,
        upgraded["order"]["list_price_minor"].as_i64().unwrap()
    );
    let charges = stripe.list("payment_intents").await;
    assert_eq!(charges.len(), 1);
    assert_eq!(charges[0]["amount"].as_i64(), Some(card_minor));
    assert_eq!(app.account(&account_id).await["balance_minor"], 0);
    app.balanced_ledger(&account_id).await;
}
on_both_backends!(
    free_upgrade_by_card,
    a_free_instance_is_upgraded_to_a_subscription_paid_by_card
);

/// Stripe may say an order's charge succeeded before the request that made it has placed the
/// order: the webhook leaves it to that request, and credits nothing.
async fn a_webhook_does_not_take_an_order_charge_from_its_request(backend: Backend) {
    let stripe = LocalStripe::start().await;
    let app = app_with_stripe(backend, &stripe).await;
    let (account_id, _) = account(&app).await;
    saved_card(&app, &stripe, &account_id, "4242424242424242").await;
    let placing = app
        .engine
        .start_card_charge(&account_id, 12_000, None, None, "order")
        .await
        .unwrap();
    let event = succeeded_event(
        "evt_before_the_order",
        "pi_placing",
        12_000,
        &placing.payment.id,
    );
    assert_eq!(send_signed(&app, event).await.0, 200);
    assert_eq!(app.account(&account_id).await["balance_minor"], 0);
    let payments = app.get(&format!("/v1/payments?account={account_id}")).await;
    assert_eq!(
        payments["data"][0]["status"], "started",
        "left to its request"
    );
}
on_both_backends!(
    order_charge_webhook,
    a_webhook_does_not_take_an_order_charge_from_its_request
);

/// A dispute is the account's `payment.disputed` event and an email to the operator's address
/// (`--operator-email`), through a real SMTP server; the account's own key never sees that
/// notice, which is the operator's view of its customer.
async fn a_dispute_is_an_event_and_an_email_to_the_operator(backend: Backend) {
    let stripe = LocalStripe::start().await;
    let smtp = crate::smtp::SmtpServer::start().await;
    let base = stripe.base();
    let smtp_url = smtp.url();
    let app = spawn_app_with(backend, "2026-02-10T00:00:00Z", move |settings| {
        settings.card_payments = Some(tenure_server::CardPaymentSettings {
            stripe_secret_key: "sk_test_tenure".into(),
            stripe_webhook_secret: Some(WEBHOOK_SECRET.into()),
            stripe_js_url: format!("{base}/js.stripe.com/v3/"),
            stripe_api_base: base,
            settle_interval: Duration::from_secs(3600),
            call_timeout: Duration::from_secs(20),
            stripe_publishable_key: Some("pk_test_tenure".into()),
        });
        settings.delivery = Some(tenure_server::Delivery {
            channels: tenure_server::ChannelUrls {
                smtp_url: Some(smtp_url),
                smtp_from: Some("Billing <billing@example.com>".into()),
                sms_gateway_url: None,
                operator_email: Some("ops@example.com".into()),
            },
            deliverer: tenure_server::DelivererSettings {
                poll_interval: Duration::from_millis(20),
                ..Default::default()
            },
        });
    })
    .await;
    let (account_id, owner_key) = account(&app).await;
    saved_card(&app, &stripe, &account_id, "4242424242424242").await;
    let (status, topped_up) = app
        .post(
            &format!("/v1/accounts/{account_id}/deposits"),
            json!({ "amount": 5_000, "method": "bank_card" }),
        )
        .await;
    assert_eq!(status, 201, "{topped_up}");
    let payment_id = topped_up["payment"]["id"].as_str().unwrap().to_string();
    let charge_id = topped_up["payment"]["provider_id"]
        .as_str()
        .unwrap()
        .to_string();

    let dispute = json!({
        "id": "evt_dispute_1",
        "type": "charge.dispute.created",
        "data": { "object": { "id": "dp_1", "object": "dispute", "payment_intent": charge_id,
                              "amount": 1_250, "reason": "fraudulent", "status": "needs_response" } }
    })
    .to_string();
    let (status, answer) = send_signed(&app, dispute.clone()).await;
    assert_eq!(status, 200, "{answer}");
    // Stripe sending it again changes nothing: one event, one email.
    assert_eq!(send_signed(&app, dispute).await.0, 200);

    let disputed = events_of(&app, &account_id, "payment.disputed").await;
    assert_eq!(disputed.len(), 1, "{disputed:?}");
    assert_eq!(disputed[0]["data"]["amount_minor"], 1_250);
    assert_eq!(disputed[0]["data"]["reason"], "fraudulent");
    assert_eq!(disputed[0]["data"]["payment_id"], payment_id.as_str());

    let mail = smtp.wait_for(1).await;
    assert_eq!(mail.len(), 1, "{mail:?}");
    let email = &mail[0];
    assert_eq!(email.header("To"), "ops@example.com");
    assert!(email.header("Subject").contains("12.50 USD"), "{email:?}");
    for said in [
        "12.50 USD",
        "fraudulent",
        "Ada Lovelace",
        account_id.as_str(),
        payment_id.as_str(),
        charge_id.as_str(),
    ] {
        assert!(email.body.contains(said), "{said}: {}", email.body);
    }

    // The operator lists it among the notices of no account, sent to its own address.
    let operators = app.get("/v1/notifications?kind=payment.disputed").await;
    let listed = operators["data"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{operators}");
    assert_eq!(listed[0]["recipient"], "ops@example.com");
    assert_eq!(listed[0]["account_id"], "");

    // The account's key sees its event, never the operator's notice of it.
    for path in [
        "/v1/notifications".to_string(),
        "/v1/notifications?kind=payment.disputed".to_string(),
        format!("/v1/notifications?account={account_id}"),
    ] {
        let (status, notices) = app.with_key("GET", &path, &owner_key, None).await;
        assert_eq!(status, 200, "{path}: {notices}");
        assert!(
            notices["data"]
                .as_array()
                .unwrap()
                .iter()
                .all(|notice| notice["kind"] != "payment.disputed"
                    && notice["recipient"] != "ops@example.com"),
            "{path}: {notices}"
        );
    }
    let (status, events) = app
        .with_key("GET", "/v1/events?kind=payment.disputed", &owner_key, None)
        .await;
    assert_eq!(status, 200, "{events}");
    assert_eq!(events["data"].as_array().unwrap().len(), 1, "{events}");
}
on_both_backends!(
    dispute_notice,
    a_dispute_is_an_event_and_an_email_to_the_operator
);

/// Without `--operator-email` a dispute is the event alone: no notice is written.
async fn without_an_operator_address_a_dispute_is_an_event_only(backend: Backend) {
    let stripe = LocalStripe::start().await;
    let app = app_with_stripe(backend, &stripe).await;
    let (account_id, _) = account(&app).await;
    saved_card(&app, &stripe, &account_id, "4242424242424242").await;
    let (status, topped_up) = app
        .post(
            &format!("/v1/accounts/{account_id}/deposits"),
            json!({ "amount": 5_000, "method": "bank_card" }),
        )
        .await;
    assert_eq!(status, 201, "{topped_up}");
    let dispute = json!({
        "id": "evt_dispute_2",
        "type": "charge.dispute.created",
        "data": { "object": { "id": "dp_2", "payment_intent": topped_up["payment"]["provider_id"],
                              "amount": 5_000, "reason": "product_not_received" } }
    })
    .to_string();
    assert_eq!(send_signed(&app, dispute).await.0, 200);
    assert_eq!(
        events_of(&app, &account_id, "payment.disputed").await.len(),
        1
    );
    let notices = app.get("/v1/notifications?kind=payment.disputed").await;
    assert_eq!(notices["data"].as_array().unwrap().len(), 0, "{notices}");
}
on_both_backends!(
    dispute_event_only,
    without_an_operator_address_a_dispute_is_an_event_only
);
