//! A repeated request with the same Idempotency-Key returns the first answer and does the work once.

use serde_json::json;

use crate::helpers::{futures_join_all, spawn_app, Backend};
use crate::on_both_backends;

async fn a_replayed_purchase_charges_once(backend: Backend) {
    let app = spawn_app(backend, "2026-02-10T00:00:00Z").await;
    let account_id = app.funded_account(100_000).await;
    let body = json!({ "account": account_id, "product": "message-queue", "edition": "basic", "spec": "tps-1000",
        "region": "us-east-1", "period": "1M" });
    let key = [("Idempotency-Key", "purchase-0001")];
    let (first_status, first) = app
        .request("POST", "/v1/instances", Some(body.clone()), &key)
        .await;
    let (second_status, second) = app
        .request("POST", "/v1/instances", Some(body.clone()), &key)
        .await;
    assert_eq!((first_status, second_status), (201, 201));
    assert_eq!(first, second, "the replay answers the first answer");
    assert_eq!(
        app.account(&account_id).await["balance_minor"],
        88_000,
        "charged once"
    );
    assert_eq!(
        app.get(&format!("/v1/orders?account={account_id}")).await["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // The same key for a different request is refused and changes nothing.
    let other = json!({ "account": account_id, "product": "message-queue", "edition": "basic", "spec": "tps-1000",
        "region": "us-east-1", "period": "2M" });
    let (status, answer) = app
        .request("POST", "/v1/instances", Some(other), &key)
        .await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (422, Some("idempotency_key_reused"))
    );
    assert_eq!(app.account(&account_id).await["balance_minor"], 88_000);

    // A refusal is the key's answer: after a deposit, the same key still answers 402, buys
    // nothing and takes nothing; a new key buys.
    let poor = app.funded_account(0).await;
    let poor_body = json!({ "account": poor, "product": "message-queue", "edition": "basic", "spec": "tps-1000",
        "region": "us-east-1", "period": "1M" });
    let poor_key = [("Idempotency-Key", "purchase-0002")];
    let (status, refused) = app
        .request("POST", "/v1/instances", Some(poor_body.clone()), &poor_key)
        .await;
    assert_eq!(status, 402);
    app.post_ok(
        &format!("/v1/accounts/{poor}/deposits"),
        json!({ "amount": 12_000, "method": "transfer" }),
    )
    .await;
    let (status, again) = app
        .request("POST", "/v1/instances", Some(poor_body.clone()), &poor_key)
        .await;
    assert_eq!(
        (status, &again),
        (402, &refused),
        "the key answers its refusal again"
    );
    assert_eq!(app.account(&poor).await["balance_minor"], 12_000);
    let bought = |account: &str| format!("/v1/instances?account={account}");
    assert_eq!(
        app.get(&bought(&poor)).await["data"],
        json!([]),
        "nothing bought"
    );
    // The refusal's work wrote nothing: no order, no event of a purchase.
    assert_eq!(
        app.get(&format!("/v1/orders?account={poor}")).await["data"],
        json!([])
    );
    // The same key with another body is still refused.
    let mut other = poor_body.clone();
    other["period"] = json!("2M");
    let (status, answer) = app
        .request("POST", "/v1/instances", Some(other), &poor_key)
        .await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (422, Some("idempotency_key_reused"))
    );
    let (status, _) = app
        .request(
            "POST",
            "/v1/instances",
            Some(poor_body),
            &[("Idempotency-Key", "purchase-0003")],
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(app.account(&poor).await["balance_minor"], 0);
}
on_both_backends!(replayed_purchase, a_replayed_purchase_charges_once);

/// A request refused at the edge, before its work ran (a body that does not parse into its
/// type), is not kept: the key is free for the request sent right.
async fn an_edge_refusal_is_not_kept(backend: Backend) {
    let app = spawn_app(backend, "2026-02-10T00:00:00Z").await;
    let account_id = app.funded_account(0).await;
    let path = format!("/v1/accounts/{account_id}/deposits");
    let key = [("Idempotency-Key", "deposit-edge")];
    let (status, answer) = app
        .request(
            "POST",
            &path,
            Some(json!({ "amount": "lots", "method": "transfer" })),
            &key,
        )
        .await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (422, Some("invalid_field"))
    );
    let body = json!({ "amount": 500, "method": "transfer" });
    let (status, first) = app.request("POST", &path, Some(body.clone()), &key).await;
    assert_eq!(status, 201, "{first}");
    let (status, again) = app.request("POST", &path, Some(body), &key).await;
    assert_eq!((status, &again), (201, &first));
    assert_eq!(app.account(&account_id).await["balance_minor"], 500);
}
on_both_backends!(edge_refusal_not_kept, an_edge_refusal_is_not_kept);

async fn concurrent_retries_do_the_work_once(backend: Backend) {
    let app = spawn_app(backend, "2026-02-10T00:00:00Z").await;
    let account_id = app.funded_account(100_000).await;
    let path = format!("/v1/accounts/{account_id}/deposits");
    let body = json!({ "amount": 1_000, "method": "alipay" });
    let retries = (0..20).map(|_| {
        app.request(
            "POST",
            &path,
            Some(body.clone()),
            &[("Idempotency-Key", "deposit-race")],
        )
    });
    let answers = futures_join_all(retries).await;
    let first = &answers[0].1;
    for (status, answer) in &answers {
        assert_eq!(*status, 201);
        assert_eq!(answer, first);
    }
    assert_eq!(
        app.account(&account_id).await["balance_minor"],
        101_000,
        "deposited once"
    );
}
on_both_backends!(concurrent_retries, concurrent_retries_do_the_work_once);

/// A create answers its secret once: the saved answer a replay gives (and an export or a backup
/// holds) says the secret was shown once instead, and the secret itself still works.
async fn a_saved_answer_holds_no_secret(backend: Backend) {
    let app = spawn_app(backend, "2026-02-10T00:00:00Z").await;
    let mut account_id = String::new();
    // (what makes it, its body, the field that answers the secret)
    for (made, body, field) in [
        (
            "account",
            json!({ "name": "Ada", "email": "ada@example.com", "mobile": "+15550100" }),
            "owner_key",
        ),
        (
            "user",
            json!({ "name": "billing", "role": "billing" }),
            "api_key",
        ),
        (
            "webhook endpoint",
            json!({ "url": "https://ops.example.com/hook", "events": ["*"] }),
            "secret",
        ),
        ("rotated owner key", json!({}), "owner_key"),
    ] {
        let path = match made {
            "account" => "/v1/accounts".to_string(),
            "user" => format!("/v1/accounts/{account_id}/users"),
            "rotated owner key" => format!("/v1/accounts/{account_id}/owner-key/rotate"),
            _ => "/v1/webhook-endpoints".to_string(),
        };
        let created = if made == "rotated owner key" {
            200
        } else {
            201
        };
        let idempotency_key = format!("create-{}", made.replace(' ', "-"));
        let key = [("Idempotency-Key", idempotency_key.as_str())];
        let (status, first) = app.request("POST", &path, Some(body.clone()), &key).await;
        assert_eq!(status, created, "{first}");
        let secret = first[field].as_str().unwrap().to_string();
        assert!(secret.len() >= 32, "{made}: {first}");
        if made == "account" {
            account_id = first["id"].as_str().unwrap().to_string();
        }
        let (status, replayed) = app.request("POST", &path, Some(body), &key).await;
        assert_eq!(status, created);
        assert_eq!(
            replayed[field],
            tenure_core::secret::SHOWN_ONCE,
            "{made}: {replayed}"
        );
        assert_eq!(replayed["id"], first["id"], "{made}: made once");
        assert!(replayed["id"].is_string(), "{made}: {replayed}");
        let mut connection = app.engine.store.read().await.unwrap();
        let (_, _, saved) =
            tenure_store::idempotency::find(&mut connection, "operator", &idempotency_key)
                .await
                .unwrap()
                .unwrap();
        assert!(!saved.contains(&secret), "{made}: saved {saved}");
        if made != "webhook endpoint" {
            // The key shown once is the one that works.
            let status = app
                .client
                .get(format!("{}/v1/accounts/{account_id}", app.address))
                .bearer_auth(&secret)
                .send()
                .await
                .unwrap()
                .status();
            assert_eq!(status, 200, "{made}");
        }
    }
}
on_both_backends!(saved_answers_hold_no_secret, a_saved_answer_holds_no_secret);
