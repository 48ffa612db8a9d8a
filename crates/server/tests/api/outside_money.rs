//! No key but the operator's creates money. Money that arrives outside tenure (a deposit, an
//! order "paid" by card, PayPal, Alipay or transfer) is recorded on the operator's word alone:
//! an account's key cannot vouch for money paid to itself.
//!
//! - A table over every writing operation of the OpenAPI document × every kind of key (the
//!   operator, the owner, a user of each role, another account's owner), each body with its
//!   money-bearing fields at their most generous (the largest amount, every outside method,
//!   vouchers and coupons on, both confirmations): after each request, neither account holds
//!   more value than before unless the operator's key made it.
//! - The same table on a server that charges cards through a provider (localstripe), where
//!   an account's key may pay by its own saved card (`bank_card`: the provider vouches): the
//!   account's value grows by what the provider charged, to the cent, and by nothing else;
//!   another account's saved card and the outside methods stay refused.
//! - A property over random sequences of operations made with account keys only (the
//!   operator's only for the first deposit and grants): what an account spent plus what it
//!   holds never exceeds what the operator deposited and granted it.
//!
//! "Value" is read from the account's ledger: what came in from outside tenure or from grants,
//! less what went back out. Every entry balances, so this is what the account holds (balance,
//! coupons, vouchers) plus what it spent (orders and bills paid, net of refunds) plus refunds on
//! their way to it.

use std::time::Duration;

use proptest::prelude::*;
use serde_json::{json, Value};
use tenure_payments::localstripe::LocalStripe;
use tenure_payments::stripe::signature;

use crate::helpers::{spawn_app, spawn_app_with, text, Backend, TestApp, ADMIN_KEY};

const OUTSIDE_METHODS: [&str; 4] = ["bank_card", "paypal", "alipay", "transfer"];
/// The largest amount a request may carry (10^13 minor units).
const MOST_GENEROUS_MINOR: i64 = 10_000_000_000_000;

/// An account's ledger read so far: the cursor of the last entry seen and the value that came
/// in from outside tenure and grants up to it.
struct Inflow {
    account_id: String,
    after: Option<String>,
    value_minor: i64,
}

impl Inflow {
    fn of(account_id: &str) -> Inflow {
        Inflow {
            account_id: account_id.to_string(),
            after: None,
            value_minor: 0,
        }
    }

    /// Reads the entries written since the last look; answers the value now.
    async fn now(&mut self, app: &TestApp) -> i64 {
        loop {
            let mut path = format!("/v1/accounts/{}/ledger?limit=1000", self.account_id);
            if let Some(after) = &self.after {
                path.push_str(&format!("&after={after}"));
            }
            let page = app.get(&path).await;
            let entries = page["data"].as_array().unwrap();
            for entry in entries {
                let postings = entry["postings"].as_array().unwrap();
                let sum: i64 = postings
                    .iter()
                    .map(|posting| posting["amount_minor"].as_i64().unwrap())
                    .sum();
                assert_eq!(sum, 0, "every entry balances: {entry}");
                // Money from outside or from grants is posted negative on its source; a card
                // charged through the provider nets out on `external:bank_card` and comes from
                // `provider_clearing`, the money the provider holds for the operator.
                self.value_minor -= postings
                    .iter()
                    .filter(|posting| {
                        let account = text(&posting["ledger_account"]);
                        account.starts_with("external:")
                            || account == "grants"
                            || account == "provider_clearing"
                    })
                    .map(|posting| posting["amount_minor"].as_i64().unwrap())
                    .sum::<i64>();
                self.after = Some(text(&entry["id"]).to_string());
            }
            if page["next_after"].is_null() {
                return self.value_minor;
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    Operator,
    Owner,
    User(&'static str),
    OtherAccountsOwner,
}

const CALLERS: [Caller; 6] = [
    Caller::Operator,
    Caller::Owner,
    Caller::User("billing"),
    Caller::User("purchase"),
    Caller::User("read_only"),
    Caller::OtherAccountsOwner,
];

/// The accounts, keys and resources the table's requests name.
struct World {
    account_id: String,
    other_account_id: String,
    owner_key: String,
    other_owner_key: String,
    user_keys: Vec<(&'static str, String)>,
    refund_id: String,
}

impl World {
    fn key(&self, caller: Caller) -> String {
        match caller {
            Caller::Operator => ADMIN_KEY.to_string(),
            Caller::Owner => self.owner_key.clone(),
            Caller::OtherAccountsOwner => self.other_owner_key.clone(),
            Caller::User(role) => self
                .user_keys
                .iter()
                .find(|(held, _)| *held == role)
                .map(|(_, key)| key.clone())
                .unwrap(),
        }
    }
}

async fn open_account(app: &TestApp, name: &str) -> (String, String) {
    let account = app
        .post_ok(
            "/v1/accounts",
            json!({ "name": name, "email": "a@example.com", "mobile": "+15550100" }),
        )
        .await;
    (
        text(&account["id"]).to_string(),
        text(&account["owner_key"]).to_string(),
    )
}

async fn subscription(app: &TestApp, account_id: &str, edition: &str, spec: &str) -> String {
    let bought = app
        .post_ok(
            "/v1/instances",
            json!({ "account": account_id, "product": "message-queue", "edition": edition,
                    "spec": spec, "region": "us-east-1", "period": "1M" }),
        )
        .await;
    text(&bought["instance"]["id"]).to_string()
}

async fn instance_of(app: &TestApp, account_id: &str, billing: &str) -> String {
    let body = match billing {
        "free" => json!({ "account": account_id, "product": "iot-platform", "edition": "public",
                          "region": "us-east-1", "billing": "free" }),
        _ => json!({ "account": account_id, "product": "iot-platform", "edition": "legacy-public",
                     "region": "us-east-1", "billing": "payg" }),
    };
    text(&app.post_ok("/v1/instances", body).await["instance"]["id"]).to_string()
}

/// The concrete path of `pattern` for one request, on resources made for it by the operator
/// (paid from the account's balance, so the operator's own requests leave the measure alone).
async fn target(app: &TestApp, world: &World, pattern: &str) -> (String, Option<String>) {
    let account_id = &world.account_id;
    let id = if pattern.starts_with("/v1/instances/{id}/upgrade-to-subscription")
        || pattern.starts_with("/v1/instances/{id}/continue-trial")
    {
        instance_of(app, account_id, "free").await
    } else if pattern.starts_with("/v1/instances/{id}/release") {
        instance_of(app, account_id, "payg").await
    } else if pattern.starts_with("/v1/instances/{id}") {
        subscription(app, account_id, "basic", "tps-1000").await
    } else if pattern.starts_with("/v1/orders/{id}") {
        let instance_id = subscription(app, account_id, "basic", "tps-1000").await;
        let renewed = app
            .post_ok(
                &format!("/v1/instances/{instance_id}/renew"),
                json!({ "period": "1M" }),
            )
            .await;
        text(&renewed["order"]["id"]).to_string()
    } else if pattern.starts_with("/v1/approvals/{id}") {
        let instance_id = subscription(app, account_id, "enterprise-platinum", "tps-100000").await;
        let requested = app
            .post_ok(
                &format!("/v1/instances/{instance_id}/change"),
                json!({ "spec": "tps-500000" }),
            )
            .await;
        text(&requested["approval"]["id"]).to_string()
    } else if pattern.starts_with("/v1/refunds/{id}") {
        world.refund_id.clone()
    } else if pattern.starts_with("/v1/accounts/{id}") {
        account_id.clone()
    } else {
        // Operator-only resources (stuck steps, deliveries, webhook endpoints): an id that
        // names nothing; account keys are refused before it is looked up.
        "none".to_string()
    };
    let user_id = if pattern.contains("{user_id}") {
        let user = app
            .post_ok(
                &format!("/v1/accounts/{account_id}/users"),
                json!({ "name": "to revoke", "role": "read_only" }),
            )
            .await;
        Some(text(&user["id"]).to_string())
    } else {
        None
    };
    let path = pattern
        .replace("{id}", &id)
        .replace("{user_id}", user_id.as_deref().unwrap_or(""))
        .replace("{card_id}", "card_0");
    // A body that names instances gets one made for it.
    let named_instance = if matches!(
        pattern,
        "/v1/renewals" | "/v1/renewals/quote" | "/v1/unsubscriptions" | "/v1/usage"
    ) {
        Some(if pattern == "/v1/usage" {
            instance_of(app, account_id, "payg").await
        } else {
            subscription(app, account_id, "basic", "tps-1000").await
        })
    } else {
        None
    };
    (path, named_instance)
}

/// The body of each writing operation with its money-bearing fields at their most generous,
/// in each variant worth trying (one per outside method where it names one). `None` for an
/// operation this table does not know: the test then fails, asking for its row.
fn generous_bodies(
    method: &str,
    pattern: &str,
    account_id: &str,
    instance: Option<&str>,
    others_card: Option<&str>,
) -> Option<Vec<Option<Value>>> {
    let paid = |body: Value| -> Vec<Option<Value>> {
        // With credit used first, and with none (so the outside method pays it all).
        OUTSIDE_METHODS
            .iter()
            .flat_map(|method| {
                [true, false].map(|credit| {
                    let mut body = body.clone();
                    body["pay_with"] = json!(method);
                    body["use_vouchers"] = json!(credit);
                    body["use_coupons"] = json!(credit);
                    Some(body)
                })
            })
            .collect()
    };
    let one = |body: Value| vec![Some(body)];
    Some(match (method, pattern) {
        ("POST", "/v1/accounts") => one(
            json!({ "name": "Mallory", "email": "m@example.com", "mobile": "+15550199",
                         "low_balance_threshold": MOST_GENEROUS_MINOR }),
        ),
        ("POST", "/v1/accounts/{id}/deposits") => OUTSIDE_METHODS
            .iter()
            .map(|method| Some(json!({ "amount": MOST_GENEROUS_MINOR, "method": method })))
            // Another account's saved card, where cards are charged: never this account's.
            .chain(others_card.map(|card| {
                Some(
                    json!({ "amount": MOST_GENEROUS_MINOR, "method": "bank_card",
                             "payment_method": card }),
                )
            }))
            .collect(),
        ("POST", "/v1/accounts/{id}/coupons" | "/v1/accounts/{id}/vouchers") => {
            one(json!({ "amount": MOST_GENEROUS_MINOR }))
        }
        ("PUT", "/v1/accounts/{id}/low-balance-alert") => {
            one(json!({ "threshold": MOST_GENEROUS_MINOR }))
        }
        ("POST", "/v1/accounts/{id}/users") => one(json!({ "name": "u", "role": "billing" })),
        ("POST", "/v1/forecast/reminders") => one(json!({ "accounts": [account_id], "days": 366 })),
        ("PUT", "/v1/accounts/{id}/billing-profile") => one(json!({
            "legal_name": "Mallory SARL", "address_line1": "1 rue", "address_line2": "Bât. B",
            "address_line3": "3e étage", "city": "Paris", "postal_code": "75002",
            "country": "FR", "tax_id": "FR40303265045", "invoice_email": "m@example.com" })),
        ("DELETE", "/v1/accounts/{id}/users/{user_id}" | "/v1/webhook-endpoints/{id}") => {
            vec![None]
        }
        (
            "POST",
            "/v1/accounts/{id}/unfreeze"
            | "/v1/approvals/{id}/approve"
            | "/v1/approvals/{id}/cancel"
            | "/v1/approvals/{id}/reject"
            | "/v1/deliveries/{id}/retry"
            | "/v1/stuck-steps/{id}/retry"
            | "/v1/refunds/{id}/complete"
            | "/v1/instances/{id}/continue-trial"
            | "/v1/accounts/{id}/owner-key/rotate"
            | "/v1/webhook-endpoints/{id}/rotate-secret",
        ) => one(json!({})),
        ("POST", "/v1/clock/advance") => one(json!({ "by": "PT1H" })),
        ("POST", "/v1/ledger/audit") => one(json!({})),
        ("POST", "/v1/instances") => {
            let mut bodies = paid(json!({ "account": account_id, "product": "message-queue",
                        "edition": "enterprise-platinum", "spec": "tps-500000",
                        "region": "us-east-1", "billing": "subscription", "period": "1Y" }));
            bodies.push(Some(
                json!({ "account": account_id, "product": "iot-platform",
                        "edition": "legacy-public", "region": "us-east-1", "billing": "payg" }),
            ));
            bodies
        }
        ("PUT", "/v1/instances/{id}/auto-renewal") => {
            one(json!({ "enabled": true, "period": "1Y" }))
        }
        ("PUT", "/v1/instances/{id}/renewal-mode") => {
            one(json!({ "mode": "auto", "period": "1Y" }))
        }
        ("POST", "/v1/instances/{id}/change" | "/v1/instances/{id}/change/quote") => {
            paid(json!({ "spec": "tps-5000" }))
        }
        ("PUT", "/v1/instances/{id}/domain-statuses") => one(json!({ "statuses": [] })),
        ("PATCH", "/v1/instances/{id}") => one(json!({ "name": "generous", "tags": ["env:prod"] })),
        ("POST", "/v1/instances/{id}/quota-usage") => one(json!({ "units": 1 })),
        ("POST", "/v1/instances/{id}/release") => one(json!({ "confirm_data_backed_up": true })),
        ("POST", "/v1/instances/{id}/renew") => paid(json!({ "period": "1Y" })),
        ("POST", "/v1/instances/{id}/unsubscribe") => {
            one(json!({ "confirm_refund": true, "confirm_data_backed_up": true }))
        }
        ("POST", "/v1/instances/{id}/upgrade-to-subscription") => {
            paid(json!({ "edition": "enterprise", "spec": "units-50", "period": "1Y" }))
        }
        ("POST", "/v1/orders/{id}/unsubscribe") => one(json!({ "confirm_refund": true })),
        ("POST", "/v1/renewals" | "/v1/renewals/quote") => {
            paid(json!({ "instances": [instance], "period": "1Y" }))
        }
        ("POST", "/v1/unsubscriptions") => one(
            json!({ "instances": [instance], "confirm_refund": true, "confirm_data_backed_up": true }),
        ),
        ("POST", "/v1/usage") => one(
            json!({ "record_id": "generous", "instance": instance, "meter": "messages",
                    "quantity": 1, "time": "2026-02-10T00:00:00Z" }),
        ),
        ("POST", "/v1/webhook-endpoints") => {
            one(json!({ "url": "https://ops.example.com/hook", "events": ["*"] }))
        }
        // Cards are saved at the provider, which vouches for what they pay (none here).
        ("POST", "/v1/accounts/{id}/payment-methods") => {
            one(json!({ "provider_payment_method": "pm_generous", "make_default": true }))
        }
        ("POST", "/v1/accounts/{id}/payment-methods/setup") => one(json!({})),
        ("DELETE", "/v1/accounts/{id}/payment-methods/{card_id}") => vec![None],
        ("POST", "/v1/accounts/{id}/payment-methods/{card_id}/default") => one(json!({})),
        // Unsigned: refused before it is read.
        ("POST", "/v1/providers/stripe/webhook") => one(json!({
            "id": "evt_generous", "type": "payment_intent.succeeded",
            "data": { "object": { "id": "pi_generous", "amount": MOST_GENEROUS_MINOR,
                                  "status": "succeeded", "metadata": {} } }
        })),
        _ => return None,
    })
}

/// Whether a body records money from outside tenure: a deposit, or `pay_with` naming an
/// outside method.
fn records_outside_money(pattern: &str, body: Option<&Value>) -> bool {
    pattern == "/v1/accounts/{id}/deposits"
        || body.is_some_and(|body| {
            body["pay_with"]
                .as_str()
                .is_some_and(|method| method != "balance")
        })
}

/// Whether a body pays by a saved card (a `bank_card` deposit or `pay_with`), which a server
/// with a provider charges rather than records.
fn pays_by_card(body: Option<&Value>) -> bool {
    body.is_some_and(|body| body["method"] == "bank_card" || body["pay_with"] == "bank_card")
}

const WEBHOOK_SECRET: &str = "whsec_outside_money";

/// What the provider charged in all: the succeeded PaymentIntents' amounts.
async fn charged_minor(stripe: &LocalStripe) -> i64 {
    stripe
        .list("payment_intents")
        .await
        .iter()
        .filter(|intent| intent["status"] == "succeeded")
        .map(|intent| intent["amount"].as_i64().unwrap())
        .sum()
}

#[tokio::test]
async fn no_key_but_the_operators_creates_money() {
    let app = spawn_app(Backend::Sqlite, "2026-02-10T00:00:00Z").await;
    key_checks(&app, None).await;
}

/// The table again where cards are charged through a provider: account keys may pay by the
/// account's own card, and what that adds is what the provider charged.
#[tokio::test]
async fn with_a_card_provider_an_account_key_adds_only_what_its_card_was_charged() {
    let stripe = LocalStripe::start().await;
    let base = stripe.base();
    let app = spawn_app_with(Backend::Sqlite, "2026-02-10T00:00:00Z", move |settings| {
        settings.card_payments = Some(tenure_server::CardPaymentSettings {
            stripe_secret_key: "sk_test_outside_money".into(),
            stripe_webhook_secret: Some(WEBHOOK_SECRET.into()),
            stripe_js_url: format!("{base}/js.stripe.com/v3/"),
            stripe_api_base: base,
            settle_interval: Duration::from_secs(3600),
            call_timeout: Duration::from_secs(20),
            stripe_publishable_key: None,
        });
    })
    .await;
    key_checks(&app, Some(&stripe)).await;
}

/// Saves the card numbered `number` for `account_id` with `key`: tenure's id of it.
async fn save_card(
    app: &TestApp,
    stripe: &LocalStripe,
    account_id: &str,
    key: &str,
    number: &str,
) -> String {
    let method = stripe.tokenize(number).await;
    let (status, card) = app
        .with_key(
            "POST",
            &format!("/v1/accounts/{account_id}/payment-methods"),
            key,
            Some(json!({ "provider_payment_method": method, "make_default": true })),
        )
        .await;
    assert_eq!(status, 201, "{card}");
    text(&card["id"]).to_string()
}

/// The table over every writing operation × every kind of key; with `stripe`, on a server
/// charging cards through it, each account having a saved card.
async fn key_checks(app: &TestApp, stripe: Option<&LocalStripe>) {
    let (account_id, owner_key) = open_account(app, "A").await;
    let (other_account_id, other_owner_key) = open_account(app, "B").await;
    for account in [&account_id, &other_account_id] {
        app.post_ok(
            &format!("/v1/accounts/{account}/deposits"),
            json!({ "amount": 1_000_000_000_000i64, "method": "transfer" }),
        )
        .await;
        app.post_ok(
            &format!("/v1/accounts/{account}/coupons"),
            json!({ "amount": 50_000 }),
        )
        .await;
        app.post_ok(
            &format!("/v1/accounts/{account}/vouchers"),
            json!({ "amount": 50_000 }),
        )
        .await;
    }
    // Each account's own card, the default: account A's pays what its keys order by card;
    // account B's is the one A's keys must not use.
    let mut others_card = None;
    if let Some(stripe) = stripe {
        save_card(app, stripe, &account_id, ADMIN_KEY, "4242424242424242").await;
        others_card = Some(
            save_card(
                app,
                stripe,
                &other_account_id,
                ADMIN_KEY,
                "4242424242424242",
            )
            .await,
        );
    }
    let others_card = others_card.as_deref();
    let mut user_keys = Vec::new();
    for role in ["billing", "purchase", "read_only"] {
        let user = app
            .post_ok(
                &format!("/v1/accounts/{account_id}/users"),
                json!({ "name": role, "role": role }),
            )
            .await;
        user_keys.push((role, text(&user["api_key"]).to_string()));
    }
    // A refund on its way to a card the operator recorded as paid, for the operator's
    // "it arrived" (with a provider, the card is charged and the refund sent through it).
    let card_paid = app
        .post_ok(
            "/v1/instances",
            json!({ "account": account_id, "product": "message-queue", "edition": "basic",
                    "spec": "tps-1000", "region": "us-east-1", "period": "1M", "pay_with": "bank_card" }),
        )
        .await;
    let refunded = app
        .post_ok(
            &format!(
                "/v1/instances/{}/unsubscribe",
                text(&card_paid["instance"]["id"])
            ),
            json!({ "confirm_refund": true, "confirm_data_backed_up": true }),
        )
        .await;
    let mut world = World {
        account_id: account_id.clone(),
        other_account_id: other_account_id.clone(),
        owner_key,
        other_owner_key,
        user_keys,
        refund_id: text(&refunded["refunds"][0]["id"]).to_string(),
    };
    let mut inflows = [Inflow::of(&account_id), Inflow::of(&other_account_id)];

    let document = app.get("/openapi.json").await;
    let mut operations = Vec::new();
    for (pattern, item) in document["paths"].as_object().unwrap() {
        for method in ["post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                operations.push((method.to_uppercase(), pattern.clone()));
            }
        }
    }
    assert!(operations.len() >= 30, "{operations:?}");

    let mut refused_outside_money = 0;
    let mut operator_vouched = 0;
    let mut paid_by_own_card = 0;
    for (method, pattern) in &operations {
        let variants = generous_bodies(method, pattern, &account_id, None, others_card)
            .unwrap_or_else(|| {
                panic!("{method} {pattern} writes: give it a row in `generous_bodies`")
            })
            .len();
        for caller in CALLERS {
            for variant in 0..variants {
                // Each request gets resources of its own, made first, so that measuring
                // starts after them.
                let (path, instance) = target(app, &world, pattern).await;
                let body = generous_bodies(
                    method,
                    pattern,
                    &account_id,
                    instance.as_deref(),
                    others_card,
                )
                .unwrap()
                .swap_remove(variant);
                let mut before = [0; 2];
                for (value, inflow) in before.iter_mut().zip(inflows.iter_mut()) {
                    *value = inflow.now(app).await;
                }
                let charged_before = match stripe {
                    Some(stripe) => charged_minor(stripe).await,
                    None => 0,
                };
                let (status, answer) = app
                    .with_key(method, &path, &world.key(caller), body.clone())
                    .await;
                let context = format!(
                    "{method} {path} {} as {caller:?}: {status} {answer}",
                    body.as_ref().map(Value::to_string).unwrap_or_default()
                );
                assert!(status < 500, "{context}");
                let mut after = [0; 2];
                for (value, inflow) in after.iter_mut().zip(inflows.iter_mut()) {
                    *value = inflow.now(app).await;
                }
                if pattern.ends_with("/owner-key/rotate") && status == 200 {
                    // The owner's key is now the one answered.
                    world.owner_key = text(&answer["owner_key"]).to_string();
                }
                let charged = match stripe {
                    Some(stripe) => charged_minor(stripe).await - charged_before,
                    None => 0,
                };
                // With a provider, a card pays: the provider, not the key, vouches for it; the
                // card must be the account's own (another account's is no card of its).
                let by_card = stripe.is_some() && pays_by_card(body.as_ref());
                let outside = records_outside_money(pattern, body.as_ref()) && !by_card;
                if body
                    .as_ref()
                    .is_some_and(|body| body["payment_method"].is_string())
                {
                    assert!(
                        [403, 404].contains(&status),
                        "another account's card: {context}"
                    );
                    assert_eq!(charged, 0, "another account's card was charged: {context}");
                }
                if caller == Caller::Operator {
                    // The operator vouches: its deposits and outside payments are money in.
                    let paid_outside = pattern.ends_with("/deposits")
                        || body
                            .as_ref()
                            .is_some_and(|body| body["use_vouchers"] == false);
                    if outside
                        && paid_outside
                        && (200..300).contains(&status)
                        && !pattern.ends_with("/quote")
                    {
                        assert!(
                            after[0] > before[0],
                            "the operator's money came in: {context}"
                        );
                        operator_vouched += 1;
                    }
                    continue;
                }
                // What the account's card was charged is all its value may grow by, to the cent.
                assert!(charged >= 0, "{context}");
                assert!(
                    after[0] - before[0] <= charged,
                    "account A's value grew from {} to {} with {charged} charged: {context}",
                    before[0],
                    after[0]
                );
                if charged > 0 {
                    assert!(by_card, "a charge no card order asked for: {context}");
                    assert_eq!(
                        after[0] - before[0],
                        charged,
                        "credited what was charged: {context}"
                    );
                    paid_by_own_card += 1;
                }
                assert!(
                    after[1] <= before[1],
                    "account B's value grew from {} to {}: {context}",
                    before[1],
                    after[1]
                );
                if outside {
                    let expected = if caller == Caller::OtherAccountsOwner {
                        [403, 404]
                    } else {
                        [403, 403]
                    };
                    assert!(expected.contains(&status), "{context}");
                    if caller == Caller::Owner {
                        assert!(
                            text(&answer["message"]).contains("only the operator"),
                            "{context}"
                        );
                    }
                    refused_outside_money += 1;
                }
            }
        }
    }
    // Deposits (4 methods) and the seven operations that take `pay_with` (4 methods, with
    // credit and without), for five account keys; the operator's own were credited. With a
    // provider, `bank_card` is a card charged, not money recorded: 3 methods then.
    let methods = if stripe.is_some() { 3 } else { 4 };
    assert!(
        refused_outside_money >= (methods + 7 * 2 * methods) * 5,
        "{refused_outside_money}"
    );
    assert!(
        operator_vouched >= methods + 4 * methods,
        "{operator_vouched}"
    );
    if let Some(stripe) = stripe {
        // Top-ups by the owner and the billing user, and orders by each key that may buy.
        assert!(paid_by_own_card >= 6, "{paid_by_own_card}");
        tops_up_by_its_own_card_only(app, stripe, &world, &mut inflows[0]).await;
    }
}

/// An account's key tops up by a card it saved itself: the balance is credited what the
/// provider charged, to the cent, once; a forged word of the provider adds nothing.
async fn tops_up_by_its_own_card_only(
    app: &TestApp,
    stripe: &LocalStripe,
    world: &World,
    inflow: &mut Inflow,
) {
    let account_id = &world.account_id;
    let card = save_card(
        app,
        stripe,
        account_id,
        &world.owner_key,
        "5555555555554444",
    )
    .await;
    let before = inflow.now(app).await;
    let balance_before = app.account(account_id).await["balance_minor"]
        .as_i64()
        .unwrap();
    let charged_before = charged_minor(stripe).await;
    let deposits = format!("/v1/accounts/{account_id}/deposits");
    let body = json!({ "amount": 1_234, "method": "bank_card", "payment_method": card });
    let headers = [("Idempotency-Key", "own-card-1234")];
    let (status, topped) = app
        .request_with_key(
            "POST",
            &deposits,
            Some(&world.owner_key),
            Some(body.clone()),
            &headers,
        )
        .await;
    assert_eq!(status, 201, "{topped}");
    assert_eq!(topped["payment"]["status"], "succeeded", "{topped}");
    let charged = charged_minor(stripe).await - charged_before;
    assert_eq!(charged, 1_234);
    assert_eq!(inflow.now(app).await - before, 1_234);
    assert_eq!(
        app.account(account_id).await["balance_minor"],
        balance_before + 1_234
    );

    // Another account's card, by the provider's id of it: not saved for this account, and
    // nothing charged.
    let others = app
        .get(&format!(
            "/v1/accounts/{}/payment-methods",
            world.other_account_id
        ))
        .await;
    let others_method = text(&others["data"][0]["provider_payment_method"]).to_string();
    let (status, refused) = app
        .with_key(
            "POST",
            &format!("/v1/accounts/{account_id}/payment-methods"),
            &world.owner_key,
            Some(json!({ "provider_payment_method": others_method })),
        )
        .await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (409, Some("card_of_another_account")),
        "{refused}"
    );
    let mine = app
        .get(&format!("/v1/accounts/{account_id}/payment-methods"))
        .await;
    assert!(
        mine["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|card| card["provider_payment_method"] != others_method.as_str()),
        "{mine}"
    );
    // And it still pays for its own account.
    let (status, theirs) = app
        .post(
            &format!("/v1/accounts/{}/deposits", world.other_account_id),
            json!({ "amount": 100, "method": "bank_card" }),
        )
        .await;
    assert_eq!(status, 201, "{theirs}");
    assert_eq!(theirs["payment"]["status"], "succeeded", "{theirs}");
    let charged_before = charged_before + 100;

    // Sent again: the same answer, no second charge, no second credit.
    let (status, again) = app
        .request_with_key(
            "POST",
            &deposits,
            Some(&world.owner_key),
            Some(body),
            &headers,
        )
        .await;
    assert_eq!((status, &again), (201, &topped));
    // The provider's word that the payment was for more, signed with a secret the key does
    // not have (or not signed at all): refused, nothing credited.
    let forged = json!({
        "id": "evt_forged", "type": "payment_intent.succeeded",
        "data": { "object": { "id": topped["payment"]["provider_id"], "amount": MOST_GENEROUS_MINOR,
                              "status": "succeeded",
                              "metadata": { "tenure_attempt": topped["payment"]["id"] } } }
    })
    .to_string();
    for signed in [
        signature::sign(
            forged.as_bytes(),
            "whsec_guessed",
            jiff::Timestamp::now().as_second(),
        ),
        String::new(),
    ] {
        let (status, answer) = app
            .request_with_key(
                "POST",
                "/v1/providers/stripe/webhook",
                Some(&world.owner_key),
                Some(serde_json::from_str(&forged).unwrap()),
                &[("Stripe-Signature", signed.as_str())],
            )
            .await;
        assert_eq!(status, 400, "{answer}");
    }
    assert_eq!(charged_minor(stripe).await - charged_before, 1_234);
    assert_eq!(inflow.now(app).await - before, 1_234);
}

// --- The property: account keys alone never make an account richer than the operator did.

#[derive(Debug, Clone)]
enum Operation {
    Deposit(usize),
    Buy {
        method: usize,
        platinum: bool,
    },
    Renew {
        instance: usize,
        method: usize,
    },
    RenewMany {
        method: usize,
    },
    Change {
        instance: usize,
        up: bool,
        method: usize,
    },
    Unsubscribe {
        instance: usize,
    },
    UnsubscribeRenewal {
        instance: usize,
    },
    BuyPayg,
    Advance {
        days: u32,
    },
}

fn operation() -> impl Strategy<Value = Operation> {
    prop_oneof![
        any::<usize>().prop_map(Operation::Deposit),
        (any::<usize>(), any::<bool>())
            .prop_map(|(method, platinum)| Operation::Buy { method, platinum }),
        (any::<usize>(), any::<usize>())
            .prop_map(|(instance, method)| Operation::Renew { instance, method }),
        any::<usize>().prop_map(|method| Operation::RenewMany { method }),
        (any::<usize>(), any::<bool>(), any::<usize>()).prop_map(|(instance, up, method)| {
            Operation::Change {
                instance,
                up,
                method,
            }
        }),
        any::<usize>().prop_map(|instance| Operation::Unsubscribe { instance }),
        any::<usize>().prop_map(|instance| Operation::UnsubscribeRenewal { instance }),
        Just(Operation::BuyPayg),
        (1u32..200).prop_map(|days| Operation::Advance { days }),
    ]
}

async fn play(operations: &[Operation]) {
    let app = spawn_app(Backend::Sqlite, "2026-02-10T00:00:00Z").await;
    let (account_id, owner_key) = open_account(&app, "A").await;
    let billing_key = text(
        &app.post_ok(
            &format!("/v1/accounts/{account_id}/users"),
            json!({ "name": "billing", "role": "billing" }),
        )
        .await["api_key"],
    )
    .to_string();
    // The operator's only part: the first deposit and grants.
    let given_minor = 300_000 + 40_000 + 30_000;
    app.post_ok(
        &format!("/v1/accounts/{account_id}/deposits"),
        json!({ "amount": 300_000, "method": "transfer" }),
    )
    .await;
    app.post_ok(
        &format!("/v1/accounts/{account_id}/coupons"),
        json!({ "amount": 40_000 }),
    )
    .await;
    app.post_ok(
        &format!("/v1/accounts/{account_id}/vouchers"),
        json!({ "amount": 30_000 }),
    )
    .await;
    let mut instances: Vec<String> = Vec::new();
    let mut renewal_orders: Vec<String> = Vec::new();
    for (step, operation) in operations.iter().enumerate() {
        // The owner and a billing user take turns.
        let key = if step % 2 == 0 {
            &owner_key
        } else {
            &billing_key
        };
        let pick = |index: &usize| instances.get(index % instances.len().max(1)).cloned();
        // Half the requests pay from the balance, so that the account does buy and renew;
        // the other half name each outside method in turn.
        let method = |index: &usize| {
            if index.is_multiple_of(2) {
                "balance"
            } else {
                OUTSIDE_METHODS[(index / 2) % OUTSIDE_METHODS.len()]
            }
        };
        let (path, body) = match operation {
            Operation::Deposit(index) => (
                format!("/v1/accounts/{account_id}/deposits"),
                json!({ "amount": MOST_GENEROUS_MINOR, "method": OUTSIDE_METHODS[index % 4] }),
            ),
            Operation::Buy {
                method: index,
                platinum,
            } => {
                let (edition, spec) = if *platinum {
                    ("enterprise-platinum", "tps-100000")
                } else {
                    ("basic", "tps-1000")
                };
                (
                    "/v1/instances".to_string(),
                    json!({ "account": account_id, "product": "message-queue", "edition": edition,
                            "spec": spec, "region": "us-east-1", "period": "1M",
                            "pay_with": method(index) }),
                )
            }
            Operation::Renew {
                instance,
                method: index,
            } => {
                let Some(id) = pick(instance) else { continue };
                (
                    format!("/v1/instances/{id}/renew"),
                    json!({ "period": "1M", "pay_with": method(index) }),
                )
            }
            Operation::RenewMany { method: index } => {
                if instances.is_empty() {
                    continue;
                }
                (
                    "/v1/renewals".to_string(),
                    json!({ "instances": instances, "period": "1M", "pay_with": method(index) }),
                )
            }
            Operation::Change {
                instance,
                up,
                method: index,
            } => {
                let Some(id) = pick(instance) else { continue };
                let spec = if *up { "tps-5000" } else { "tps-1000" };
                (
                    format!("/v1/instances/{id}/change"),
                    json!({ "spec": spec, "pay_with": method(index) }),
                )
            }
            Operation::Unsubscribe { instance } => {
                let Some(id) = pick(instance) else { continue };
                (
                    format!("/v1/instances/{id}/unsubscribe"),
                    json!({ "confirm_refund": true, "confirm_data_backed_up": true }),
                )
            }
            Operation::UnsubscribeRenewal { instance } => {
                let Some(id) = renewal_orders
                    .get(instance % renewal_orders.len().max(1))
                    .cloned()
                else {
                    continue;
                };
                (
                    format!("/v1/orders/{id}/unsubscribe"),
                    json!({ "confirm_refund": true }),
                )
            }
            Operation::BuyPayg => (
                "/v1/instances".to_string(),
                json!({ "account": account_id, "product": "iot-platform", "edition": "legacy-public",
                        "region": "us-east-1", "billing": "payg" }),
            ),
            Operation::Advance { days } => {
                // Time is the operator's; it moves money only out of the account.
                app.post_ok("/v1/clock/advance", json!({ "by": format!("P{days}D") }))
                    .await;
                continue;
            }
        };
        let (status, answer) = app.with_key("POST", &path, key, Some(body.clone())).await;
        assert!(status < 500, "POST {path} {body}: {status} {answer}");
        if (200..300).contains(&status) {
            match operation {
                Operation::Buy { .. } => {
                    instances.push(text(&answer["instance"]["id"]).to_string());
                }
                Operation::Renew { .. } => {
                    renewal_orders.push(text(&answer["order"]["id"]).to_string());
                }
                _ => {}
            }
        }
    }
    let mut inflow = Inflow::of(&account_id);
    let spent_and_held_minor = inflow.now(&app).await;
    assert!(
        spent_and_held_minor <= given_minor,
        "the account spent and holds {spent_and_held_minor}, more than the {given_minor} the \
         operator gave it"
    );
    // And what it holds is accounted for: its funds are what its postings say (the server
    // checks this on every read, answering 500 on a difference).
    let account = app.account(&account_id).await;
    let held_minor = ["balance_minor", "coupons_minor", "vouchers_minor"]
        .iter()
        .map(|fund| account[*fund].as_i64().unwrap())
        .sum::<i64>();
    assert!(held_minor <= given_minor, "{account}");
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(8)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn account_keys_never_make_an_account_richer(
        operations in prop::collection::vec(operation(), 1..30)
    ) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(play(&operations));
    }
}
