//! The balance forecast: each auto-renewal deduction of the coming days, at the first attempt of
//! its expiry's schedule and at the renewal's price, against what is left, and the day money
//! runs out.

use serde_json::json;

use crate::helpers::{spawn_app, text, Backend};
use crate::on_both_backends;

async fn money_runs_out_at_the_first_deduction_the_balance_cannot_pay(backend: Backend) {
    let app = spawn_app(backend, "2026-02-10T00:00:00Z").await;
    let account_id = app.funded_account(60_000).await;
    let mut instances = Vec::new();
    for _ in 0..2 {
        let bought = app
            .post_ok(
                "/v1/instances",
                json!({ "account": account_id, "product": "message-queue", "edition": "basic",
                        "spec": "tps-1000", "region": "us-east-1", "billing": "subscription",
                        "period": "1M", "auto_renew": { "period": "1M" } }),
            )
            .await;
        instances.push(text(&bought["instance"]["id"]).to_string());
    }
    // A manual one is not charged by anything.
    app.buy(&account_id, "message-queue", "basic", "tps-1000", "1M")
        .await;
    instances.sort();
    let forecast = app
        .get(&format!("/v1/accounts/{account_id}/forecast"))
        .await;
    assert_eq!(forecast["available_minor"], 24_000);
    assert_eq!(forecast["currency"], "USD");
    assert_eq!(forecast["until"], "2026-05-11T00:00:00Z");
    let charges: Vec<(String, String, i64, bool, i64)> = forecast["charges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|charge| {
            (
                text(&charge["at"]).to_string(),
                text(&charge["instance_id"]).to_string(),
                charge["amount_minor"].as_i64().unwrap(),
                charge["paid"].as_bool().unwrap(),
                charge["left_after_minor"].as_i64().unwrap(),
            )
        })
        .collect();
    // Nine days before each expiry (10 March, 10 April, 10 May), 120.00 a month each.
    let expected = [
        ("2026-03-01T00:00:00Z", &instances[0], 12_000, true, 12_000),
        ("2026-03-01T00:00:00Z", &instances[1], 12_000, true, 0),
        ("2026-04-01T00:00:00Z", &instances[0], 12_000, false, 0),
        ("2026-04-01T00:00:00Z", &instances[1], 12_000, false, 0),
        ("2026-05-01T00:00:00Z", &instances[0], 12_000, false, 0),
        ("2026-05-01T00:00:00Z", &instances[1], 12_000, false, 0),
    ]
    .map(|(at, id, amount, paid, left)| (at.to_string(), id.clone(), amount, paid, left));
    assert_eq!(charges, expected);
    assert_eq!(forecast["runs_out_at"], "2026-04-01T00:00:00Z");

    // A deposit moves the day: 120.00 more pays one more deduction.
    app.post_ok(
        &format!("/v1/accounts/{account_id}/deposits"),
        json!({ "amount": 12_000, "method": "bank_card" }),
    )
    .await;
    let forecast = app
        .get(&format!("/v1/accounts/{account_id}/forecast?days=30"))
        .await;
    assert_eq!(forecast["charges"].as_array().unwrap().len(), 2);
    assert_eq!(forecast["runs_out_at"], serde_json::Value::Null);
    let (status, refused) = app
        .get_status(&format!("/v1/accounts/{account_id}/forecast?days=400"))
        .await;
    assert_eq!(status, 422, "{refused}");
}
on_both_backends!(
    forecast_runs_out,
    money_runs_out_at_the_first_deduction_the_balance_cannot_pay
);
