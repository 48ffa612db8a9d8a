//! Credit before use (issue 33): buying pay-as-you-go, and free instances past the product's
//! allowance, needs available credit (balance + coupons - unpaid bills) of the catalog's
//! minimum, and an account holds at most the catalog's number of open pay-as-you-go instances
//! of a product. A refusal writes nothing.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, text, Backend, TestApp};
use crate::on_both_backends;

/// The default catalog's `[purchase_limits]` of the IoT platform.
const MINIMUM_CREDIT_MINOR: i64 = 1000;
const MAX_OPEN_PAYG: usize = 20;
const FREE_WITHOUT_CREDIT: usize = 5;

fn payg(account_id: &str) -> Value {
    json!({ "account": account_id, "product": "iot-platform", "edition": "legacy-public",
            "region": "us-east-1", "billing": "payg" })
}

fn free(account_id: &str) -> Value {
    json!({ "account": account_id, "product": "iot-platform", "edition": "public",
            "region": "us-east-1", "billing": "free" })
}

async fn empty_account(app: &TestApp) -> String {
    app.funded_account(0).await
}

async fn instance_count(app: &TestApp, account_id: &str) -> usize {
    app.get(&format!("/v1/instances?account={account_id}&limit=1000"))
        .await["data"]
        .as_array()
        .unwrap()
        .len()
}

/// Buys `body` expecting a refusal: the status and code, nothing written (no instance, no
/// event); answers the message.
async fn refused(app: &TestApp, body: Value, status: u16, code: &str) -> String {
    let account_id = text(&body["account"]).to_string();
    let (instances, events) = (
        instance_count(app, &account_id).await,
        app.event_count().await,
    );
    let (answered, refusal) = app.post("/v1/instances", body).await;
    assert_eq!(
        (answered, text(&refusal["code"])),
        (status, code),
        "{refusal}"
    );
    assert_eq!(instance_count(app, &account_id).await, instances);
    assert_eq!(app.event_count().await, events, "a refusal writes nothing");
    text(&refusal["message"]).to_string()
}

async fn pay_as_you_go_needs_available_credit(backend: Backend) {
    let app = spawn_app(backend, "2026-05-04T10:00:00Z").await;
    let account_id = empty_account(&app).await;
    let message = refused(&app, payg(&account_id), 402, "insufficient_credit").await;
    assert_eq!(
        message,
        "buying a pay-as-you-go instance of iot-platform needs available credit (balance + \
         coupons - unpaid bills) of at least 10.00 USD; the account has 0.00 USD: deposit \
         10.00 USD or more first"
    );

    // Vouchers never pay a bill, so they are no credit for pay-as-you-go.
    app.post_ok(
        &format!("/v1/accounts/{account_id}/vouchers"),
        json!({ "amount": 50_000 }),
    )
    .await;
    // One minor unit short.
    app.post_ok(
        &format!("/v1/accounts/{account_id}/deposits"),
        json!({ "amount": MINIMUM_CREDIT_MINOR - 1, "method": "transfer" }),
    )
    .await;
    let message = refused(&app, payg(&account_id), 402, "insufficient_credit").await;
    assert!(
        message.contains("the account has 9.99 USD: deposit 0.01 USD"),
        "{message}"
    );

    // A coupon pays bills: balance + coupons reach the minimum, and the purchase goes through,
    // charging nothing (the credit is a threshold, not a hold).
    app.post_ok(
        &format!("/v1/accounts/{account_id}/coupons"),
        json!({ "amount": 1 }),
    )
    .await;
    let bought = app.post_ok("/v1/instances", payg(&account_id)).await;
    assert_eq!(bought["instance"]["status"], "active");
    let account = app.account(&account_id).await;
    assert_eq!(
        (&account["balance_minor"], &account["coupons_minor"]),
        (&json!(MINIMUM_CREDIT_MINOR - 1), &json!(1))
    );
}
on_both_backends!(payg_needs_credit, pay_as_you_go_needs_available_credit);

async fn unpaid_bills_are_taken_from_the_credit(backend: Backend) {
    // An overdue account may still open free instances (they cost nothing), so past the
    // allowance it is the credit, debt subtracted, that decides.
    let app = spawn_app(backend, "2026-05-04T10:00:00Z").await;
    let account_id = app.funded_account(MINIMUM_CREDIT_MINOR).await;
    let instance = app.post_ok("/v1/instances", payg(&account_id)).await;
    let instance_id = text(&instance["instance"]["id"]).to_string();
    for _ in 0..FREE_WITHOUT_CREDIT {
        app.post_ok("/v1/instances", free(&account_id)).await;
    }
    // 15,000,000 messages at 8 per 10,000: a bill of 12,000 the balance of 1,000 cannot pay.
    app.advance_to("2026-05-04T11:00:00Z").await;
    app.post_ok(
        "/v1/usage",
        json!({ "record_id": "big-hour", "instance": instance_id, "meter": "messages",
                "quantity": 15_000_000, "time": "2026-05-04T10:30:00Z" }),
    )
    .await;
    app.advance_to("2026-05-04T15:00:00Z").await;
    let account = app.account(&account_id).await;
    assert_eq!(
        (&account["debt_minor"], &account["balance_minor"]),
        (&json!(12_000), &json!(MINIMUM_CREDIT_MINOR))
    );
    let message = refused(&app, free(&account_id), 402, "insufficient_credit").await;
    assert!(
        message.ends_with("the account has -110.00 USD: deposit 120.00 USD or more first"),
        "{message}"
    );
    // The deposit pays the bill (1,000 + 12,000 - 12,000): 10.00 is left, the minimum.
    app.post_ok(
        &format!("/v1/accounts/{account_id}/deposits"),
        json!({ "amount": 12_000, "method": "transfer" }),
    )
    .await;
    assert_eq!(app.account(&account_id).await["debt_minor"], 0);
    app.post_ok("/v1/instances", free(&account_id)).await;
}
on_both_backends!(unpaid_bills_count, unpaid_bills_are_taken_from_the_credit);

async fn free_instances_past_the_allowance_need_the_same_credit(backend: Backend) {
    let app = spawn_app(backend, "2026-05-04T10:00:00Z").await;
    let account_id = empty_account(&app).await;
    for _ in 0..FREE_WITHOUT_CREDIT {
        app.post_ok("/v1/instances", free(&account_id)).await;
    }
    let message = refused(&app, free(&account_id), 402, "insufficient_credit").await;
    assert!(
        message.starts_with(
            "buying a free instance of iot-platform beyond the 5 an account holds without \
             credit needs available credit (balance + coupons - unpaid bills) of at least \
             10.00 USD"
        ),
        "{message}"
    );
    // A released free instance gives its place back.
    let first = app
        .get(&format!("/v1/instances?account={account_id}&limit=1"))
        .await["data"][0]["id"]
        .clone();
    app.post_ok(
        &format!("/v1/instances/{}/release", text(&first)),
        json!({ "confirm_data_backed_up": true }),
    )
    .await;
    app.post_ok("/v1/instances", free(&account_id)).await;
    refused(&app, free(&account_id), 402, "insufficient_credit").await;
    // With the credit, more are allowed; nothing is charged.
    app.post_ok(
        &format!("/v1/accounts/{account_id}/deposits"),
        json!({ "amount": MINIMUM_CREDIT_MINOR, "method": "transfer" }),
    )
    .await;
    for _ in 0..3 {
        app.post_ok("/v1/instances", free(&account_id)).await;
    }
    assert_eq!(
        app.account(&account_id).await["balance_minor"],
        MINIMUM_CREDIT_MINOR
    );
}
on_both_backends!(
    free_past_allowance,
    free_instances_past_the_allowance_need_the_same_credit
);

async fn an_account_holds_a_limited_number_of_open_payg_instances(backend: Backend) {
    let app = spawn_app(backend, "2026-05-04T10:00:00Z").await;
    let account_id = app.funded_account(1_000_000).await;
    let mut bought = Vec::new();
    for _ in 0..MAX_OPEN_PAYG {
        let answer = app.post_ok("/v1/instances", payg(&account_id)).await;
        bought.push(text(&answer["instance"]["id"]).to_string());
    }
    let message = refused(&app, payg(&account_id), 409, "payg_instance_limit").await;
    assert!(
        message.starts_with(
            "the account already holds 20 open pay-as-you-go instances of iot-platform, the \
             most one account may hold; release one"
        ),
        "{message}"
    );
    // Another product has a limit of its own, and another account is not counted.
    app.post_ok(
        "/v1/instances",
        json!({ "account": account_id, "product": "data-management", "edition": "data-migration",
                "region": "us-east-1", "billing": "payg" }),
    )
    .await;
    let other = app.funded_account(MINIMUM_CREDIT_MINOR).await;
    app.post_ok("/v1/instances", payg(&other)).await;
    // Releasing one makes room for one.
    app.post_ok(
        &format!("/v1/instances/{}/release", bought[0]),
        json!({ "confirm_data_backed_up": true }),
    )
    .await;
    app.post_ok("/v1/instances", payg(&account_id)).await;
    refused(&app, payg(&account_id), 409, "payg_instance_limit").await;
}
on_both_backends!(
    payg_limit,
    an_account_holds_a_limited_number_of_open_payg_instances
);

async fn the_catalog_answers_the_limits(backend: Backend) {
    let app = spawn_app(backend, "2026-05-04T10:00:00Z").await;
    let products = app.get("/v1/products").await;
    let iot = products["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|product| product["id"] == "iot-platform")
        .unwrap()
        .clone();
    assert_eq!(
        iot["purchase_limits"],
        json!({ "payg_minimum_credit_minor": MINIMUM_CREDIT_MINOR,
                "payg_max_open_instances": MAX_OPEN_PAYG,
                "free_instances_without_credit": FREE_WITHOUT_CREDIT })
    );
}
on_both_backends!(catalog_limits, the_catalog_answers_the_limits);
