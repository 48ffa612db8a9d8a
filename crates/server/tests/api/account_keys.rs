//! An account's keys (issue 33): the owner key is rotated, by its owner or the operator, and
//! never revoked; users are limited per account and listed a page at a time.

use serde_json::{json, Value};
use tenure_core::access::MAX_USERS_PER_ACCOUNT;

use crate::helpers::{spawn_app, text, Backend, TestApp, ADMIN_KEY};
use crate::on_both_backends;

/// A new account: its id and owner key.
async fn account(app: &TestApp) -> (String, String) {
    let opened = app
        .post_ok(
            "/v1/accounts",
            json!({ "name": "Ada", "email": "ada@example.com", "mobile": "+15550100" }),
        )
        .await;
    (
        text(&opened["id"]).to_string(),
        text(&opened["owner_key"]).to_string(),
    )
}

async fn users(app: &TestApp, account_id: &str) -> Vec<Value> {
    app.get(&format!("/v1/accounts/{account_id}/users?limit=1000"))
        .await["data"]
        .as_array()
        .unwrap()
        .clone()
}

async fn works(app: &TestApp, account_id: &str, key: &str) -> u16 {
    app.with_key("GET", &format!("/v1/accounts/{account_id}"), key, None)
        .await
        .0
}

async fn the_owner_key_is_rotated_by_the_owner_and_the_operator(backend: Backend) {
    let app = spawn_app(backend, "2026-05-04T10:00:00Z").await;
    let (account_id, first_key) = account(&app).await;
    let (other_id, other_key) = account(&app).await;
    let user = app
        .post_ok(
            &format!("/v1/accounts/{account_id}/users"),
            json!({ "name": "Bob", "role": "billing" }),
        )
        .await;
    let user_key = text(&user["api_key"]).to_string();
    let rotate = format!("/v1/accounts/{account_id}/owner-key/rotate");

    // Neither a user nor another account's owner may rotate it.
    let (status, _) = app
        .with_key("POST", &rotate, &user_key, Some(json!({})))
        .await;
    assert_eq!(status, 403);
    let (status, _) = app
        .with_key("POST", &rotate, &other_key, Some(json!({})))
        .await;
    assert_eq!(status, 404);

    // The owner rotates its own key: the new one is answered once, the old one stops at once.
    let (status, rotated) = app
        .with_key("POST", &rotate, &first_key, Some(json!({})))
        .await;
    assert_eq!(status, 200, "{rotated}");
    let second_key = text(&rotated["owner_key"]).to_string();
    assert_ne!(second_key, first_key);
    assert_eq!(rotated["role"], "owner");
    assert_eq!(rotated["account_id"], account_id.as_str());
    assert_eq!(works(&app, &account_id, &first_key).await, 401);
    assert_eq!(works(&app, &account_id, &second_key).await, 200);
    assert_eq!(
        works(&app, &account_id, &user_key).await,
        200,
        "users keep theirs"
    );
    let listed = users(&app, &account_id).await;
    let owners: Vec<&Value> = listed.iter().filter(|key| key["role"] == "owner").collect();
    assert_eq!(owners.len(), 2, "{listed:?}");
    assert_eq!(
        rotated["revoked_key_ids"],
        json!([owners[0]["id"]]),
        "the old key is listed revoked"
    );
    assert!(owners[0]["revoked_at"].is_string());
    assert!(owners[1]["revoked_at"].is_null());
    assert!(listed.iter().all(|key| key.get("owner_key").is_none()
        && key.get("api_key").is_none()
        && key.get("key_hash").is_none()));

    // The operator issues a new owner key, for an owner that lost it.
    let rotated = app.post_ok(&rotate, json!({})).await;
    let third_key = text(&rotated["owner_key"]).to_string();
    assert_eq!(works(&app, &account_id, &second_key).await, 401);
    assert_eq!(works(&app, &account_id, &third_key).await, 200);
    // Another account is untouched; an account that does not exist is 404.
    assert_eq!(works(&app, &other_id, &other_key).await, 200);
    let (status, missing) = app
        .post("/v1/accounts/acct_missing/owner-key/rotate", json!({}))
        .await;
    assert_eq!((status, text(&missing["code"])), (404, "not_found"));
}
on_both_backends!(
    owner_key_rotation,
    the_owner_key_is_rotated_by_the_owner_and_the_operator
);

async fn the_owner_key_is_never_revoked(backend: Backend) {
    let app = spawn_app(backend, "2026-05-04T10:00:00Z").await;
    let (account_id, owner_key) = account(&app).await;
    let owner_id = text(&users(&app, &account_id).await[0]["id"]).to_string();
    let revoke = format!("/v1/accounts/{account_id}/users/{owner_id}");
    for key in [owner_key.as_str(), ADMIN_KEY] {
        let (status, refusal) = app.with_key("DELETE", &revoke, key, Some(json!({}))).await;
        assert_eq!(
            (status, text(&refusal["code"])),
            (409, "owner_key_not_revocable"),
            "{refusal}"
        );
        assert!(
            text(&refusal["message"])
                .contains("rotate it instead (POST /v1/accounts/{id}/owner-key/rotate)"),
            "{refusal}"
        );
    }
    assert_eq!(works(&app, &account_id, &owner_key).await, 200);
    // A user's key is revoked as before, once.
    let user = app
        .post_ok(
            &format!("/v1/accounts/{account_id}/users"),
            json!({ "name": "Bob", "role": "read_only" }),
        )
        .await;
    let revoke_user = format!("/v1/accounts/{account_id}/users/{}", text(&user["id"]));
    let (status, _) = app
        .with_key("DELETE", &revoke_user, &owner_key, Some(json!({})))
        .await;
    assert_eq!(status, 200);
    assert_eq!(works(&app, &account_id, text(&user["api_key"])).await, 401);
    let (status, _) = app
        .with_key("DELETE", &revoke_user, &owner_key, Some(json!({})))
        .await;
    assert_eq!(status, 404);
}
on_both_backends!(owner_key_not_revocable, the_owner_key_is_never_revoked);

async fn users_are_limited_per_account_and_listed_by_page(backend: Backend) {
    let app = spawn_app(backend, "2026-05-04T10:00:00Z").await;
    let (account_id, _) = account(&app).await;
    let add = format!("/v1/accounts/{account_id}/users");
    let mut user_ids = Vec::new();
    for number in 0..MAX_USERS_PER_ACCOUNT {
        let user = app
            .post_ok(
                &add,
                json!({ "name": format!("user {number}"), "role": "read_only" }),
            )
            .await;
        user_ids.push(text(&user["id"]).to_string());
    }
    let (status, refusal) = app
        .post(&add, json!({ "name": "one too many", "role": "read_only" }))
        .await;
    assert_eq!(
        (status, text(&refusal["code"])),
        (409, "user_limit_reached"),
        "{refusal}"
    );
    assert!(
        text(&refusal["message"]).contains("the account already has 100 users"),
        "{refusal}"
    );
    // A revoked user frees its place.
    app.request(
        "DELETE",
        &format!("{add}/{}", user_ids[0]),
        Some(json!({})),
        &[],
    )
    .await;
    app.post_ok(&add, json!({ "name": "replacement", "role": "billing" }))
        .await;

    // Pages of 7, following `next_after`, list every key once, in order: the owner's, the
    // hundred users' (one revoked) and the replacement.
    let mut listed = Vec::new();
    let mut path = format!("{add}?limit=7");
    loop {
        let page = app.get(&path).await;
        let data = page["data"].as_array().unwrap();
        assert!(data.len() <= 7);
        listed.extend(data.iter().map(|key| text(&key["id"]).to_string()));
        match page["next_after"].as_str() {
            Some(after) => path = format!("{add}?limit=7&after={after}"),
            None => break,
        }
    }
    assert_eq!(listed.len(), MAX_USERS_PER_ACCOUNT as usize + 2);
    let mut sorted = listed.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, listed, "in order, each once");
    assert_eq!(users(&app, &account_id).await.len(), listed.len());
    // The default page is 100; a page size out of range is refused.
    let first = app.get(&add).await;
    assert_eq!(first["data"].as_array().unwrap().len(), 100);
    assert!(first["next_after"].is_string());
    let (status, refusal) = app.get_status(&format!("{add}?limit=0")).await;
    assert_eq!((status, text(&refusal["code"])), (422, "invalid_page"));
}
on_both_backends!(
    users_limited_and_paged,
    users_are_limited_per_account_and_listed_by_page
);
