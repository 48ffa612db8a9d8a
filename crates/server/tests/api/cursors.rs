//! List cursors answer the same for "not yours" as for "no such" (issue 33): a cursor naming
//! another account's item tells an account key nothing that one naming no item would not.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, text, Backend, TestApp};
use crate::on_both_backends;

async fn as_key(app: &TestApp, path: &str, key: &str) -> (u16, Value) {
    app.request_with_key("GET", path, Some(key), None, &[])
        .await
}

/// An account with a few notices (the deposit's and a purchase's); its id and owner key.
async fn busy_account(app: &TestApp, name: &str) -> (String, String) {
    let opened = app
        .post_ok(
            "/v1/accounts",
            json!({ "name": name, "email": "x@example.com", "mobile": "+15550100",
                    "low_balance_threshold": 100_000 }),
        )
        .await;
    let account_id = text(&opened["id"]).to_string();
    app.post_ok(
        &format!("/v1/accounts/{account_id}/deposits"),
        json!({ "amount": 50_000, "method": "transfer" }),
    )
    .await;
    app.buy(&account_id, "message-queue", "basic", "tps-1000", "1M")
        .await;
    (account_id, text(&opened["owner_key"]).to_string())
}

async fn seqs(app: &TestApp, path: &str, key: &str) -> Vec<i64> {
    let (status, page) = as_key(app, path, key).await;
    assert_eq!(status, 200, "{page}");
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["seq"].as_i64().unwrap())
        .collect()
}

async fn cursors_of_other_accounts_are_no_cursors(backend: Backend) {
    let app = spawn_app(backend, "2026-05-04T10:00:00Z").await;
    let (ada, ada_key) = busy_account(&app, "Ada").await;
    let (bob, bob_key) = busy_account(&app, "Bob").await;
    let bob_notices = seqs(&app, "/v1/notifications", &bob_key).await;
    let ada_notices = seqs(&app, "/v1/notifications", &ada_key).await;
    assert!(!bob_notices.is_empty() && !ada_notices.is_empty());
    let unused = bob_notices.iter().chain(&ada_notices).max().unwrap() + 1_000;

    // Ada's key, after one of Bob's notices, and after a number no notice has: the same answer.
    let (status, foreign) = as_key(
        &app,
        &format!("/v1/notifications?after={}", bob_notices[0]),
        &ada_key,
    )
    .await;
    let (unused_status, missing) =
        as_key(&app, &format!("/v1/notifications?after={unused}"), &ada_key).await;
    assert_eq!((status, unused_status), (404, 404), "{foreign} {missing}");
    assert_eq!(foreign["code"], missing["code"]);
    // Her own notice is a cursor as before.
    let after_own = seqs(
        &app,
        &format!("/v1/notifications?after={}", ada_notices[0]),
        &ada_key,
    )
    .await;
    assert_eq!(after_own, ada_notices[1..]);
    // The operator listing Ada's notices: Bob's notice is no cursor of that list either.
    let (status, _) = app
        .get_status(&format!(
            "/v1/notifications?account={ada}&after={}",
            bob_notices[0]
        ))
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .get_status(&format!("/v1/notifications?after={}", bob_notices[0]))
        .await;
    assert_eq!(status, 200, "for the whole log, any notice is a cursor");

    // The event log's cursor is a number: after Bob's event or after an unused number, Ada's
    // key lists her own events after it, 200 both times.
    let bob_events = seqs(&app, &format!("/v1/events?account={bob}"), &bob_key).await;
    let last_of_ada = *seqs(&app, "/v1/events", &ada_key).await.last().unwrap();
    assert!(
        bob_events[0] > last_of_ada,
        "Bob's account was opened after Ada's"
    );
    assert_eq!(
        seqs(
            &app,
            &format!("/v1/events?after={}", bob_events[0]),
            &ada_key
        )
        .await,
        Vec::<i64>::new()
    );
    assert_eq!(
        seqs(&app, &format!("/v1/events?after={unused}"), &ada_key).await,
        Vec::<i64>::new()
    );

    // The ledger's cursor: another account's entry answers like an entry that does not exist.
    let bob_entry = app.get(&format!("/v1/accounts/{bob}/ledger")).await["data"][0]["id"].clone();
    let (status, foreign) = as_key(
        &app,
        &format!("/v1/accounts/{ada}/ledger?after={}", text(&bob_entry)),
        &ada_key,
    )
    .await;
    let (unused_status, missing) = as_key(
        &app,
        &format!("/v1/accounts/{ada}/ledger?after=led_missing"),
        &ada_key,
    )
    .await;
    assert_eq!((status, unused_status), (404, 404));
    assert_eq!(foreign["code"], missing["code"]);

    // Id cursors of the other lists are places in id order, whoever's: 200 and Ada's own.
    let bob_instance =
        app.get(&format!("/v1/instances?account={bob}")).await["data"][0]["id"].clone();
    let (status, listed) = as_key(
        &app,
        &format!("/v1/instances?after={}", text(&bob_instance)),
        &ada_key,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(listed["data"], json!([]));
}
on_both_backends!(
    other_accounts_cursors,
    cursors_of_other_accounts_are_no_cursors
);
