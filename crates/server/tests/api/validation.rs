//! Bad input gets a 4xx with a machine code and a sentence, and changes nothing.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, text, Backend, TestApp};
use crate::on_both_backends;

/// Sends a request that must be refused with `status` and `code`, and checks nothing changed.
async fn refused(
    app: &TestApp,
    account_id: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
    status: u16,
    code: &str,
) {
    let events_before = app.event_count().await;
    let account_before = app.account(account_id).await;
    let (actual_status, answer) = app.request(method, path, body.clone(), &[]).await;
    assert_eq!(actual_status, status, "{method} {path} {body:?}: {answer}");
    assert_eq!(answer["code"], code, "{answer}");
    assert!(
        answer["message"]
            .as_str()
            .is_some_and(|message| message.len() > 10),
        "a sentence: {answer}"
    );
    assert_eq!(
        app.event_count().await,
        events_before,
        "no event for a refused request"
    );
    assert_eq!(
        app.account(account_id).await,
        account_before,
        "no money moved"
    );
}

fn purchase(account_id: &str, product: &str, edition: &str, spec: &str, period: &str) -> Value {
    json!({ "account": account_id, "product": product, "edition": edition, "spec": spec, "region": "us-east-1", "period": period })
}

async fn bad_input_is_refused_clearly(backend: Backend) {
    let app = spawn_app(backend, "2026-02-10T00:00:00Z").await;
    let account_id = app.funded_account(100_000).await;
    let deposits = format!("/v1/accounts/{account_id}/deposits");
    refused(
        &app,
        &account_id,
        "POST",
        "/v1/instances",
        Some(purchase(&account_id, "kettle", "basic", "tps-1000", "1M")),
        422,
        "unknown_product",
    )
    .await;
    refused(
        &app,
        &account_id,
        "POST",
        "/v1/instances",
        Some(purchase(
            &account_id,
            "message-queue",
            "gold",
            "tps-1000",
            "1M",
        )),
        422,
        "unknown_edition",
    )
    .await;
    refused(
        &app,
        &account_id,
        "POST",
        "/v1/instances",
        Some(purchase(
            &account_id,
            "message-queue",
            "basic",
            "tps-9",
            "1M",
        )),
        422,
        "unknown_spec",
    )
    .await;
    refused(
        &app,
        &account_id,
        "POST",
        "/v1/instances",
        Some(purchase(
            &account_id,
            "message-queue",
            "basic",
            "tps-1000",
            "5M",
        )),
        422,
        "period_not_sold",
    )
    .await;
    refused(
        &app,
        &account_id,
        "POST",
        "/v1/instances",
        Some(purchase(
            &account_id,
            "message-queue",
            "basic",
            "tps-1000",
            "1 month",
        )),
        422,
        "invalid_field",
    )
    .await;
    refused(
        &app,
        &account_id,
        "POST",
        "/v1/instances",
        Some(purchase(
            "acct_missing",
            "message-queue",
            "basic",
            "tps-1000",
            "1M",
        )),
        404,
        "not_found",
    )
    .await;
    refused(
        &app,
        &account_id,
        "POST",
        &deposits,
        Some(json!({ "amount": -5, "method": "bank_card" })),
        422,
        "invalid_amount",
    )
    .await;
    refused(
        &app,
        &account_id,
        "POST",
        &deposits,
        Some(json!({ "amount": 0, "method": "bank_card" })),
        422,
        "invalid_amount",
    )
    .await;
    refused(
        &app,
        &account_id,
        "POST",
        &deposits,
        Some(json!({ "amount": 1_000_000_000_000_000i64, "method": "bank_card" })),
        422,
        "invalid_amount",
    )
    .await;
    refused(
        &app,
        &account_id,
        "POST",
        &deposits,
        Some(json!({ "amount": 100, "method": "cash" })),
        422,
        "invalid_method",
    )
    .await;
    refused(
        &app,
        &account_id,
        "POST",
        &deposits,
        Some(json!({ "amount": { "amount": 100, "currency": "EUR" }, "method": "paypal" })),
        422,
        "currency_mismatch",
    )
    .await;
    refused(
        &app,
        &account_id,
        "POST",
        &deposits,
        Some(json!({ "amount": 100, "method": "paypal", "extra": 1 })),
        422,
        "invalid_field",
    )
    .await;
    refused(
        &app,
        &account_id,
        "GET",
        "/v1/instances/inst_missing",
        None,
        404,
        "not_found",
    )
    .await;
    refused(
        &app,
        &account_id,
        "POST",
        "/v1/instances/inst_missing/renew",
        Some(json!({ "period": "1M" })),
        404,
        "not_found",
    )
    .await;
    refused(
        &app,
        &account_id,
        "GET",
        "/v1/instances?status=sleeping",
        None,
        422,
        "invalid_query",
    )
    .await;
    refused(
        &app,
        &account_id,
        "GET",
        "/v1/refunds?status=completed",
        None,
        422,
        "invalid_query",
    )
    .await;
    // An event kind no event can have is refused, from the event log and the notices alike.
    for path in [
        "/v1/events?kind=instance.sleeping",
        "/v1/notifications?kind=bogus",
    ] {
        refused(&app, &account_id, "GET", path, None, 422, "invalid_query").await;
    }
    // An order kind or status that no order can have is refused, not an empty page.
    for filter in ["kind=gift", "status=refunded"] {
        refused(
            &app,
            &account_id,
            "GET",
            &format!("/v1/orders?account={account_id}&{filter}"),
            None,
            422,
            "invalid_query",
        )
        .await;
    }
    refused(
        &app,
        &account_id,
        "GET",
        "/v1/instances?limit=100000",
        None,
        422,
        "invalid_page",
    )
    .await;
    refused(
        &app,
        &account_id,
        "POST",
        "/v1/clock/advance",
        Some(json!({ "to": "2020-01-01T00:00:00Z" })),
        409,
        "clock_backwards",
    )
    .await;
    refused(
        &app,
        &account_id,
        "POST",
        "/v1/nothing-here",
        Some(json!({})),
        404,
        "no_such_endpoint",
    )
    .await;

    // Malformed JSON is a 400 whatever the endpoint.
    let response = app
        .client
        .post(format!("{}/v1/accounts/{account_id}/deposits", app.address))
        .bearer_auth(crate::helpers::ADMIN_KEY)
        .header("content-type", "application/json")
        .body("{\"amount\": 100,")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["code"], "malformed_json");

    // A too large body is refused before it is read.
    let (status, answer) = app
        .post(
            "/v1/accounts",
            json!({ "name": "x".repeat(100_000), "email": "a@b.c", "mobile": "12345" }),
        )
        .await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (413, Some("body_too_large"))
    );
    assert_eq!(app.account(&account_id).await["balance_minor"], 100_000);

    // A body declared as something other than JSON is refused, not guessed at.
    let response = app
        .client
        .post(format!("{}/v1/accounts/{account_id}/deposits", app.address))
        .bearer_auth(crate::helpers::ADMIN_KEY)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(r#"{"amount": 100, "method": "bank_card"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 415);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["code"], "unsupported_media_type");
    assert_eq!(app.account(&account_id).await["balance_minor"], 100_000);

    // A method the path does not take: 405 in JSON, with what it takes.
    let response = app
        .client
        .delete(format!("{}/healthz", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 405);
    let allow = response.headers()["allow"].to_str().unwrap().to_string();
    assert!(allow.contains("GET"), "{allow}");
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["code"], "method_not_allowed");

    // On a keyed path too, without a key: the method is wrong whoever asks.
    let response = app
        .client
        .delete(format!("{}/v1/instances/inst_1", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 405);
    assert!(response.headers()["allow"]
        .to_str()
        .unwrap()
        .contains("GET"));
    let answer: Value = response.json().await.unwrap();
    assert!(
        // PATCH names and tags an instance.
        answer["message"]
            .as_str()
            .unwrap()
            .ends_with("GET, PATCH, HEAD"),
        "{answer}"
    );
}
on_both_backends!(bad_input, bad_input_is_refused_clearly);

/// PostgreSQL keeps no NUL character in text: a NUL in a path, a query or a body is refused at
/// the edge with a clear answer on both databases (it was a 500 on PostgreSQL).
async fn a_nul_character_is_refused_at_the_edge(backend: Backend) {
    let app = spawn_app(backend, "2026-02-10T00:00:00Z").await;
    let account_id = app.funded_account(10_000).await;
    let (status, answer) = app.request("GET", "/v1/instances/a%00b", None, &[]).await;
    assert_eq!(
        (status, text(&answer["code"])),
        (400, "bad_request"),
        "{answer}"
    );
    let (status, answer) = app
        .request("GET", "/v1/webhook-endpoints?after=%00", None, &[])
        .await;
    assert_eq!(
        (status, text(&answer["code"])),
        (422, "invalid_query"),
        "{answer}"
    );
    let (status, answer) = app
        .post(
            "/v1/renewals",
            json!({ "instances": ["inst\u{0}1"], "period": "1M" }),
        )
        .await;
    assert_eq!(
        (status, text(&answer["code"])),
        (422, "invalid_field"),
        "{answer}"
    );
    let (status, answer) = app
        .post(
            &format!("/v1/accounts/{account_id}/users"),
            json!({ "name": "a\u{0}b", "role": "billing" }),
        )
        .await;
    assert_eq!(
        (status, text(&answer["code"])),
        (422, "invalid_field"),
        "{answer}"
    );
}
on_both_backends!(nul_character, a_nul_character_is_refused_at_the_edge);

async fn the_operator_key_is_required(backend: Backend) {
    let app = spawn_app(backend, "2026-02-10T00:00:00Z").await;
    let no_key = app
        .client
        .get(format!("{}/v1/products", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(no_key.status().as_u16(), 401);
    let wrong_key = app
        .client
        .get(format!("{}/v1/products", app.address))
        .bearer_auth("guess")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_key.status().as_u16(), 401);
    let answer: Value = wrong_key.json().await.unwrap();
    assert_eq!(answer["code"], "unauthorized");
    let health = app
        .client
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);
}
on_both_backends!(authentication, the_operator_key_is_required);

async fn bad_accounts_are_refused(backend: Backend) {
    let app = spawn_app(backend, "2026-02-10T00:00:00Z").await;
    for (body, code) in [
        (
            json!({ "name": "", "email": "a@example.com", "mobile": "+15550100" }),
            "invalid_field",
        ),
        (
            json!({ "name": "A", "email": "not-an-email", "mobile": "+15550100" }),
            "invalid_field",
        ),
        (
            json!({ "name": "A", "email": "a@example.com", "mobile": "call me" }),
            "invalid_field",
        ),
        (
            json!({ "name": "A", "email": "a@example.com", "mobile": "+15550100", "currency": "EUR" }),
            "unsupported_currency",
        ),
        (
            json!({ "name": "A", "email": "a@example.com", "mobile": "+15550100", "low_balance_threshold": -1 }),
            "invalid_amount",
        ),
        (
            json!({ "name": "A", "email": "a@example.com" }),
            "invalid_field",
        ),
    ] {
        let (status, answer) = app.post("/v1/accounts", body.clone()).await;
        assert_eq!(
            (status, answer["code"].as_str()),
            (422, Some(code)),
            "{body}: {answer}"
        );
    }
    assert_eq!(
        app.get("/v1/accounts").await["data"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}
on_both_backends!(account_validation, bad_accounts_are_refused);
