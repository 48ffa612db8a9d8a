//! Free public instances: no expiry, frozen after the edition's inactivity
//! days, usage counts as activity, "continue trial" unfreezes, upgrade to a paid edition.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, text, Backend};
use crate::on_both_backends;

async fn free_instance_freezes_continues_and_upgrades(backend: Backend) {
    let app = spawn_app(backend, "2026-05-01T00:00:00Z").await;
    let account_id = app.funded_account(30_000).await;
    let bought = app
        .post_ok(
            "/v1/instances",
            json!({ "account": account_id, "product": "iot-platform", "edition": "public",
                    "region": "us-east-1", "billing": "free" }),
        )
        .await;
    let instance_id = text(&bought["instance"]["id"]).to_string();
    assert_eq!(bought["instance"]["expires_at"], Value::Null);
    assert_eq!(
        bought["instance"]["next_due_at"], "2026-05-31T00:00:00Z",
        "frozen after 30 days without activity"
    );

    // A usage report is activity: the freeze moves to 30 days after it. Free usage is never billed.
    app.advance_to("2026-05-11T00:00:00Z").await;
    app.post_ok(
        "/v1/usage",
        json!({ "record_id": "free-1", "instance": instance_id, "meter": "device-minutes",
                "quantity": 100, "time": "2026-05-11T00:00:00Z" }),
    )
    .await;
    let instance = app.instance(&instance_id).await;
    assert_eq!(instance["last_active_at"], "2026-05-11T00:00:00Z");
    assert_eq!(instance["next_due_at"], "2026-06-10T00:00:00Z");

    app.advance_to("2026-06-09T23:59:59Z").await;
    assert_eq!(app.instance(&instance_id).await["status"], "active");
    app.advance_to("2026-06-10T00:00:00Z").await;
    let frozen = app.instance(&instance_id).await;
    assert_eq!(frozen["status"], "frozen");
    assert_eq!(frozen["next_due_at"], Value::Null);
    let notices = app
        .get(&format!(
            "/v1/notifications?instance={instance_id}&kind=instance.frozen"
        ))
        .await;
    assert_eq!(notices["data"].as_array().unwrap().len(), 1);
    let bills = app.get(&format!("/v1/bills?instance={instance_id}")).await;
    assert_eq!(bills["data"], json!([]));

    // Only "continue trial" unfreezes it.
    app.advance_to("2026-06-12T00:00:00Z").await;
    let continued = app
        .post_ok(
            &format!("/v1/instances/{instance_id}/continue-trial"),
            json!({}),
        )
        .await;
    assert_eq!(continued["status"], "active");
    assert_eq!(continued["next_due_at"], "2026-07-12T00:00:00Z");
    let (status, refusal) = app
        .post(
            &format!("/v1/instances/{instance_id}/continue-trial"),
            json!({}),
        )
        .await;
    assert_eq!((status, text(&refusal["code"])), (409, "not_frozen"));

    // Frozen again, then upgraded to a paid Enterprise edition from today.
    app.advance_to("2026-07-15T00:00:00Z").await;
    assert_eq!(app.instance(&instance_id).await["status"], "frozen");
    let (status, refusal) = app
        .post(
            &format!("/v1/instances/{instance_id}/upgrade-to-subscription"),
            json!({ "edition": "public", "period": "1M" }),
        )
        .await;
    assert_eq!((status, text(&refusal["code"])), (422, "invalid_upgrade"));
    let upgraded = app
        .post_ok(
            &format!("/v1/instances/{instance_id}/upgrade-to-subscription"),
            json!({ "edition": "enterprise", "spec": "units-10", "period": "1M" }),
        )
        .await;
    assert_eq!(upgraded["instance"]["id"], instance_id.as_str());
    assert_eq!(upgraded["instance"]["billing"], "subscription");
    assert_eq!(upgraded["instance"]["edition_id"], "enterprise");
    assert_eq!(upgraded["instance"]["status"], "active");
    assert_eq!(upgraded["instance"]["expires_at"], "2026-08-15T00:00:00Z");
    assert_eq!(upgraded["instance"]["next_due_at"], "2026-08-08T00:00:00Z");
    assert_eq!(upgraded["order"]["kind"], "purchase");
    assert_eq!(upgraded["order"]["paid_balance_minor"], 30_000);
    assert_eq!(app.account(&account_id).await["balance_minor"], 0);
    let (status, refusal) = app
        .post(
            &format!("/v1/instances/{instance_id}/upgrade-to-subscription"),
            json!({ "edition": "enterprise", "spec": "units-10", "period": "1M" }),
        )
        .await;
    assert_eq!((status, text(&refusal["code"])), (409, "not_free"));

    let kinds: Vec<String> = app
        .instance_events(&instance_id)
        .await
        .into_iter()
        .map(|(at, kind)| format!("{at} {kind}"))
        .collect();
    assert_eq!(
        kinds,
        [
            "2026-05-01T00:00:00Z instance.purchased",
            "2026-06-10T00:00:00Z instance.frozen",
            "2026-06-12T00:00:00Z instance.trial_continued",
            "2026-07-12T00:00:00Z instance.frozen",
            "2026-07-15T00:00:00Z instance.converted_to_subscription",
            "2026-07-15T00:00:00Z instance.changed",
        ]
    );
}
on_both_backends!(
    freeze_continue_upgrade,
    free_instance_freezes_continues_and_upgrades
);
