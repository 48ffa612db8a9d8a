//! Every event names who it was done for: the operator, the account's owner, a user by their
//! key's id, or tenure itself.

use serde_json::json;

use crate::helpers::{spawn_app, text, Backend};
use crate::on_both_backends;

async fn every_event_names_its_actor(backend: Backend) {
    let app = spawn_app(backend, "2026-02-10T00:00:00Z").await;
    let account = app
        .post_ok(
            "/v1/accounts",
            json!({ "name": "Ada Lovelace", "email": "ada@example.com", "mobile": "+15550100" }),
        )
        .await;
    let account_id = text(&account["id"]).to_string();
    let owner_key = text(&account["owner_key"]).to_string();
    // The operator deposits.
    app.post_ok(
        &format!("/v1/accounts/{account_id}/deposits"),
        json!({ "amount": 100_000, "method": "transfer" }),
    )
    .await;
    // The owner buys.
    let (status, bought) = app
        .request_with_key(
            "POST",
            "/v1/instances",
            Some(&owner_key),
            Some(
                json!({ "account": account_id, "product": "message-queue", "edition": "basic",
                         "spec": "tps-1000", "region": "us-east-1", "period": "1M" }),
            ),
            &[],
        )
        .await;
    assert_eq!(status, 201, "{bought}");
    let instance_id = text(&bought["instance"]["id"]).to_string();
    // A billing user renews.
    let user = app
        .post_ok(
            &format!("/v1/accounts/{account_id}/users"),
            json!({ "name": "Bob", "role": "billing" }),
        )
        .await;
    let (status, renewed) = app
        .request_with_key(
            "POST",
            &format!("/v1/instances/{instance_id}/renew"),
            Some(text(&user["api_key"])),
            Some(json!({ "period": "1M" })),
            &[],
        )
        .await;
    assert!(matches!(status, 200 | 201), "{renewed}");
    // The lifecycle reminds of the expiry by itself.
    app.advance_to("2026-04-05T00:00:00Z").await;

    let events = app
        .get(&format!("/v1/events?account={account_id}&limit=1000"))
        .await;
    let actor_of = |kind: &str| -> Vec<String> {
        events["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|event| event["kind"] == kind)
            .map(|event| text(&event["actor"]).to_string())
            .collect()
    };
    assert_eq!(actor_of("account.created"), ["operator"]);
    assert_eq!(actor_of("funds.deposited"), ["operator"]);
    assert_eq!(actor_of("instance.purchased"), ["owner"]);
    assert_eq!(actor_of("instance.renewed"), [text(&user["id"])]);
    assert_eq!(actor_of("instance.expiry_reminder_sent"), ["system"]);
    for event in events["data"].as_array().unwrap() {
        assert!(event["actor"].is_string(), "{event}");
    }
}
on_both_backends!(every_event_names_its_actor, every_event_names_its_actor);
