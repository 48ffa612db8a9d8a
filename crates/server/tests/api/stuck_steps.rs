//! Issue 23's poison input over HTTP: usage that would take a bill past what it may hold is
//! refused when reported; a bill that still cannot be generated (usage an older tenure
//! accepted) is retried, then parked, and shows in `/healthz`, `GET /v1/stuck-steps`, the
//! event log and `/metrics`, while everyone else's lifecycle goes on; an operator's retry takes
//! it once the cause is gone.

use serde_json::{json, Value};
use tenure_store::database::query;

use crate::helpers::{spawn_app, text, Backend, TestApp};
use crate::on_both_backends;

const START: &str = "2026-05-04T00:00:00Z";

/// A pay-as-you-go data migration (12 minor units per task hour) of a new account holding
/// 1,000.00: the account's id, its owner key and the instance's id.
async fn data_migration(app: &TestApp) -> (String, String, String) {
    let account = app
        .post_ok(
            "/v1/accounts",
            json!({ "name": "Grace Hopper", "email": "grace@example.com", "mobile": "+15550101" }),
        )
        .await;
    let account_id = text(&account["id"]).to_string();
    app.post_ok(
        &format!("/v1/accounts/{account_id}/deposits"),
        json!({ "amount": 100_000, "method": "bank_card" }),
    )
    .await;
    let bought = app
        .post_ok(
            "/v1/instances",
            json!({ "account": account_id, "product": "data-management",
                    "edition": "data-migration", "region": "us-east-1", "billing": "payg" }),
        )
        .await;
    (
        account_id,
        text(&account["owner_key"]).to_string(),
        text(&bought["instance"]["id"]).to_string(),
    )
}

fn task_hours(instance_id: &str, record_id: &str, quantity: i64) -> Value {
    json!({ "record_id": record_id, "instance": instance_id, "meter": "task-hours",
            "quantity": quantity, "time": "2026-05-04T10:30:00Z" })
}

async fn usage_past_a_bills_limit_is_refused_when_reported(backend: Backend) {
    let app = spawn_app(backend, START).await;
    let (_, _, instance_id) = data_migration(&app).await;
    app.advance_to("2026-05-04T10:45:00Z").await;
    // 10^8 task hours a record, 1.2 × 10^12 minor units a report of 1,000: eight fit in a
    // bill (10^13 at most), the ninth does not.
    let report = |number: usize| {
        let records: Vec<Value> = (0..1000)
            .map(|index| task_hours(&instance_id, &format!("r{number}-{index}"), 100_000_000))
            .collect();
        json!({ "records": records })
    };
    for number in 0..8 {
        let receipt = app.post_ok("/v1/usage", report(number)).await;
        assert_eq!(receipt["accepted"], 1000);
    }
    let (status, refusal) = app.post("/v1/usage", report(8)).await;
    assert_eq!(status, 422, "{refusal}");
    assert_eq!(refusal["code"], "usage_exceeds_bill_limit");
    let message = text(&refusal["message"]);
    for part in [
        instance_id.as_str(),
        "2026-05-04T10:00:00Z",
        "10800000000000",
        "10000000000000",
        "nothing of the report was recorded",
    ] {
        assert!(message.contains(part), "`{part}` in: {message}");
    }
    // Nothing of the ninth report was kept: one of its records, sent alone and small, is new.
    let receipt = app
        .post_ok(
            "/v1/usage",
            json!({ "records": [task_hours(&instance_id, "r8-0", 1)] }),
        )
        .await;
    assert_eq!(receipt["records"][0]["status"], "accepted");

    app.advance_to("2026-05-04T15:00:00Z").await;
    let bills = app.get(&format!("/v1/bills?instance={instance_id}")).await;
    assert_eq!(bills["data"][0]["amount_minor"], 9_600_000_000_012i64);
}
on_both_backends!(
    refused_at_intake,
    usage_past_a_bills_limit_is_refused_when_reported
);

async fn a_parked_bill_is_reported_and_retried(backend: Backend) {
    let app = spawn_app(backend, START).await;
    let health = app.get("/healthz").await;
    assert_eq!(health["status"], "ok");
    assert_eq!(health["sweep"]["parked_steps"], 0);
    assert_eq!(health["sweep"]["behind_seconds"], 0);
    let (account_id, owner_key, instance_id) = data_migration(&app).await;
    // Someone else's month of a message queue, expired on 06-04.
    let other_account = app.funded_account(100_000).await;
    let queue = app
        .buy(&other_account, "message-queue", "basic", "tps-1000", "1M")
        .await;
    let queue_id = text(&queue["instance"]["id"]).to_string();

    app.advance_to("2026-05-04T10:45:00Z").await;
    app.post_ok(
        "/v1/usage",
        json!({ "records": [task_hours(&instance_id, "honest", 1)] }),
    )
    .await;
    // 999 records of the largest quantity beside it, as an older tenure accepted them: about
    // 1.2 × 10^16 minor units, a thousand times what a bill may hold.
    let mut connection = app.engine.store.read().await.unwrap();
    query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 999)
         INSERT INTO usage_records (record_id, account_id, instance_id, meter_id, quantity, at,
             cycle_start, received_at)
         SELECT 'poison-' || i, account_id, instance_id, meter_id, 1000000000000, at,
             cycle_start, received_at
         FROM n, (SELECT * FROM usage_records WHERE record_id = 'honest') AS honest",
    )
    .execute(&mut connection)
    .await
    .unwrap();
    drop(connection);

    let advanced = app.advance_to("2026-06-10T00:00:00Z").await;
    assert_eq!(advanced["now"], "2026-06-10T00:00:00Z");
    assert_eq!(app.instance(&queue_id).await["status"], "expired");

    let health = app.get("/healthz").await;
    assert_eq!(health["status"], "degraded", "{health}");
    assert_eq!(health["sweep"]["parked_steps"], 1);
    assert_eq!(health["sweep"]["behind_seconds"], 0);
    let stuck = app.get("/v1/stuck-steps?limit=1").await;
    let step = &stuck["data"][0];
    assert_eq!(step["status"], "parked");
    assert_eq!(step["work"], "bill");
    assert_eq!(step["attempts"], 3);
    assert_eq!(step["account_id"], account_id.as_str());
    assert_eq!(step["instance_id"], instance_id.as_str());
    assert_eq!(step["last_code"], "bill_exceeds_limit");
    assert_eq!(step["first_failed_at"], "2026-05-04T15:00:00Z");
    assert_eq!(step["parked_at"], "2026-05-04T17:00:00Z");
    let step_id = text(&step["id"]).to_string();
    assert_eq!(stuck["next_after"], step_id.as_str(), "a full page");
    let next = app
        .get(&format!("/v1/stuck-steps?limit=1&after={step_id}"))
        .await;
    assert_eq!(next["data"], json!([]));
    assert_eq!(next["next_after"], Value::Null);
    let events = app
        .get(&format!(
            "/v1/events?account={account_id}&kind=lifecycle.step_parked"
        ))
        .await;
    let events = events["data"].as_array().unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["instance_id"], instance_id.as_str());
    assert_eq!(events[0]["data"]["stuck_step_id"], step_id.as_str());
    let metrics = app.metrics().await;
    assert!(
        metrics.contains("\ntenure_steps_parked_total 1\n"),
        "{metrics}"
    );
    // The operator's list is the operator's.
    let by_owner = app
        .client
        .get(format!("{}/v1/stuck-steps", app.address))
        .bearer_auth(&owner_key)
        .send()
        .await
        .unwrap();
    assert_eq!(by_owner.status().as_u16(), 403);

    let (status, unknown) = app
        .post("/v1/stuck-steps/stuck_missing/retry", json!({}))
        .await;
    assert_eq!(status, 404, "{unknown}");
    // The cause removed, a retry takes the step: the bill of the honest hour is paid.
    let mut connection = app.engine.store.read().await.unwrap();
    query("DELETE FROM usage_records WHERE record_id LIKE 'poison-%'")
        .execute(&mut connection)
        .await
        .unwrap();
    drop(connection);
    let retried = app
        .post_ok(&format!("/v1/stuck-steps/{step_id}/retry"), json!({}))
        .await;
    assert_eq!(retried["taken"], true, "{retried}");
    assert_eq!(retried["stuck_step"], Value::Null);
    assert_eq!(retried["steps_taken"], 1);
    let bills = app.get(&format!("/v1/bills?instance={instance_id}")).await;
    assert_eq!(bills["data"][0]["status"], "paid");
    assert_eq!(bills["data"][0]["amount_minor"], 12);
    assert_eq!(app.get("/v1/stuck-steps").await["data"], json!([]));
    let health = app.get("/healthz").await;
    assert_eq!(health["status"], "ok", "{health}");
    assert_eq!(health["sweep"]["parked_steps"], 0);
}
on_both_backends!(parked_and_retried, a_parked_bill_is_reported_and_retried);
