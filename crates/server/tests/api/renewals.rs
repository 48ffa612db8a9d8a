//! Bulk manual renewal: all or nothing.

use serde_json::json;

use crate::helpers::{spawn_app, text, Backend};
use crate::on_both_backends;

async fn bulk_renewal_is_all_or_nothing(backend: Backend) {
    let app = spawn_app(backend, "2026-02-10T00:00:00Z").await;
    let account_id = app.funded_account(100_000).await;
    let first = text(
        &app.buy(&account_id, "message-queue", "basic", "tps-1000", "1M")
            .await["instance"]["id"],
    )
    .to_string();
    let second = text(
        &app.buy(
            &account_id,
            "data-management",
            "security-collaboration",
            "instances-10",
            "1M",
        )
        .await["instance"]["id"],
    )
    .to_string();
    assert_eq!(app.account(&account_id).await["balance_minor"], 73_000);

    // One unknown id refuses the whole batch.
    let (status, answer) = app
        .post(
            "/v1/renewals",
            json!({ "instances": [first, "inst_missing"], "period": "1M" }),
        )
        .await;
    assert_eq!((status, answer["code"].as_str()), (404, Some("not_found")));
    assert_eq!(
        app.instance(&first).await["expires_at"],
        "2026-03-10T00:00:00Z"
    );
    assert_eq!(app.account(&account_id).await["balance_minor"], 73_000);

    // A batch the account cannot pay in full is refused in full.
    let (status, answer) = app
        .post(
            "/v1/renewals",
            json!({ "instances": [first, second], "period": "3M" }),
        )
        .await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (402, Some("insufficient_funds"))
    );
    assert!(
        text(&answer["message"]).contains(&second),
        "names the instance: {answer}"
    );
    assert_eq!(
        app.instance(&first).await["expires_at"],
        "2026-03-10T00:00:00Z"
    );

    let renewed = app
        .post_ok(
            "/v1/renewals",
            json!({ "instances": [first, second], "period": "1M" }),
        )
        .await;
    assert_eq!(renewed["data"].as_array().unwrap().len(), 2);
    for instance_id in [&first, &second] {
        assert_eq!(
            app.instance(instance_id).await["expires_at"],
            "2026-04-10T00:00:00Z"
        );
    }
    assert_eq!(app.account(&account_id).await["balance_minor"], 46_000);
}
on_both_backends!(bulk, bulk_renewal_is_all_or_nothing);
