//! Instance names and tags: given at purchase or by `PATCH /v1/instances/{id}`, shown, filtered
//! by, refused when malformed (and then nothing changes), and used by notices.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, text, Backend, TestApp};
use crate::on_both_backends;

async fn patch(app: &TestApp, instance_id: &str, body: Value) -> (u16, Value) {
    app.request(
        "PATCH",
        &format!("/v1/instances/{instance_id}"),
        Some(body),
        &[],
    )
    .await
}

fn ids(listing: &Value) -> Vec<String> {
    listing["data"]
        .as_array()
        .unwrap_or_else(|| panic!("a list: {listing}"))
        .iter()
        .map(|instance| text(&instance["id"]).to_string())
        .collect()
}

async fn named_at_purchase_renamed_and_retagged(backend: Backend) {
    let app = spawn_app(backend, "2026-02-10T00:00:00Z").await;
    let account_id = app.funded_account(100_000).await;
    let bought = app
        .post_ok(
            "/v1/instances",
            json!({ "account": account_id, "product": "message-queue", "edition": "basic",
                    "spec": "tps-1000", "region": "us-east-1", "period": "1M",
                    "name": "Billing DB", "tags": ["team:billing", "env.prod"] }),
        )
        .await;
    let named = text(&bought["instance"]["id"]).to_string();
    assert_eq!(bought["instance"]["name"], "Billing DB");
    assert_eq!(
        bought["instance"]["tags"],
        json!(["env.prod", "team:billing"])
    );
    let plain = app
        .buy(&account_id, "message-queue", "basic", "tps-1000", "1M")
        .await;
    let plain = text(&plain["instance"]["id"]).to_string();
    assert_eq!(app.instance(&plain).await["name"], Value::Null);
    assert_eq!(app.instance(&plain).await["tags"], json!([]));

    // Filters: by tag, by a part of the name in any case, and both with the others.
    let by_tag = app.get("/v1/instances?tag=env.prod").await;
    assert_eq!(ids(&by_tag), vec![named.clone()]);
    assert_eq!(by_tag["data"][0]["name"], "Billing DB");
    assert_eq!(
        ids(&app.get("/v1/instances?name=LING%20d").await),
        vec![named.clone()]
    );
    assert_eq!(
        ids(&app
            .get(&format!(
                "/v1/instances?account={account_id}&tag=team:billing&name=billing"
            ))
            .await),
        vec![named.clone()]
    );
    assert!(ids(&app.get("/v1/instances?tag=env.dev").await).is_empty());
    // `%` and `_` stand for themselves, not for any text.
    assert!(ids(&app.get("/v1/instances?name=%25").await).is_empty());
    assert!(ids(&app.get("/v1/instances?name=Billing_DB").await).is_empty());

    // Renamed with an Idempotency-Key: the same answer again, one event.
    let key = [("Idempotency-Key", "rename-0001")];
    let body = json!({ "name": "ledger_50%", "tags": ["env.dev"] });
    let path = format!("/v1/instances/{named}");
    let (status, first) = app.request("PATCH", &path, Some(body.clone()), &key).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(
        (first["name"].clone(), first["tags"].clone()),
        (json!("ledger_50%"), json!(["env.dev"]))
    );
    let (status, again) = app.request("PATCH", &path, Some(body), &key).await;
    assert_eq!((status, &again), (200, &first));
    let labelled = app
        .get(&format!(
            "/v1/events?instance={named}&kind=instance.labelled"
        ))
        .await;
    let labelled = labelled["data"].as_array().unwrap();
    assert_eq!(labelled.len(), 1, "{labelled:?}");
    assert_eq!(
        labelled[0]["data"],
        json!({ "name": "ledger_50%", "tags": ["env.dev"], "previous_name": "Billing DB",
                "previous_tags": ["env.prod", "team:billing"] })
    );
    // The old tag finds it no more, the new one does; a literal `%` and `_` find it now.
    assert!(ids(&app.get("/v1/instances?tag=env.prod").await).is_empty());
    assert_eq!(
        ids(&app.get("/v1/instances?tag=env.dev").await),
        vec![named.clone()]
    );
    assert_eq!(
        ids(&app.get("/v1/instances?name=r_50%25").await),
        vec![named.clone()]
    );

    // A field left out stays; `name: null` removes the name; `tags: []` every tag.
    let (status, kept) = patch(&app, &named, json!({ "tags": ["a", "b"] })).await;
    assert_eq!((status, kept["name"].clone()), (200, json!("ledger_50%")));
    let (status, cleared) = patch(&app, &named, json!({ "name": null, "tags": [] })).await;
    assert_eq!(status, 200, "{cleared}");
    assert_eq!(
        (cleared["name"].clone(), cleared["tags"].clone()),
        (Value::Null, json!([]))
    );
    assert_eq!(app.instance(&named).await["tags"], json!([]));
    assert!(ids(&app.get("/v1/instances?tag=a").await).is_empty());
    // Nothing to change changes nothing: no event.
    let events_before = app.event_count().await;
    let (status, same) = patch(&app, &named, json!({})).await;
    assert_eq!((status, same["id"].clone()), (200, json!(named)));
    assert_eq!(app.event_count().await, events_before);
    let (status, missing) = patch(&app, "inst_missing", json!({ "name": "x" })).await;
    assert_eq!((status, missing["code"].clone()), (404, json!("not_found")));
}
on_both_backends!(names_and_tags, named_at_purchase_renamed_and_retagged);

async fn malformed_labels_are_refused_and_change_nothing(backend: Backend) {
    let app = spawn_app(backend, "2026-02-10T00:00:00Z").await;
    let account_id = app.funded_account(100_000).await;
    let bought = app
        .buy(&account_id, "message-queue", "basic", "tps-1000", "1M")
        .await;
    let instance_id = text(&bought["instance"]["id"]).to_string();
    let (status, _) = patch(
        &app,
        &instance_id,
        json!({ "name": "kept", "tags": ["kept"] }),
    )
    .await;
    assert_eq!(status, 200);
    let events = app.event_count().await;
    let long_tags: Vec<String> = (0..21).map(|n| format!("t{n}")).collect();
    for (body, code) in [
        (json!({ "name": "" }), "invalid_name"),
        (json!({ "name": "x".repeat(101) }), "invalid_name"),
        (json!({ "name": "line\nbreak" }), "invalid_name"),
        (json!({ "name": "ok", "tags": ["Prod"] }), "invalid_tags"),
        (json!({ "tags": ["a", "a"] }), "invalid_tags"),
        (json!({ "tags": [""] }), "invalid_tags"),
        (json!({ "tags": ["x".repeat(51)] }), "invalid_tags"),
        (json!({ "tags": ["50%"] }), "invalid_tags"),
        (json!({ "tags": long_tags }), "invalid_tags"),
    ] {
        let (status, refused) = patch(&app, &instance_id, body.clone()).await;
        assert_eq!(
            (status, refused["code"].as_str()),
            (422, Some(code)),
            "{body}: {refused}"
        );
        assert!(
            refused["message"].as_str().unwrap().len() < 400,
            "{refused}"
        );
    }
    // Refused before they are read as labels (NUL by every body's check).
    for body in [
        json!({ "name": 5 }),
        json!({ "tags": "a" }),
        json!({ "label": "x" }),
        json!({ "name": "a\u{0}b" }),
    ] {
        let (status, refused) = patch(&app, &instance_id, body.clone()).await;
        assert!((400..500).contains(&status), "{body}: {status} {refused}");
        assert!(refused["code"].is_string(), "{refused}");
    }
    let instance = app.instance(&instance_id).await;
    assert_eq!(
        (instance["name"].clone(), instance["tags"].clone()),
        (json!("kept"), json!(["kept"]))
    );
    assert_eq!(app.event_count().await, events);

    // A purchase with a bad name or tags buys nothing.
    let (status, refused) = app
        .post(
            "/v1/instances",
            json!({ "account": account_id, "product": "message-queue", "edition": "basic",
                    "spec": "tps-1000", "region": "us-east-1", "period": "1M",
                    "name": "ok", "tags": ["dup", "dup"] }),
        )
        .await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (422, Some("invalid_tags")),
        "{refused}"
    );
    assert_eq!(
        ids(&app
            .get(&format!("/v1/instances?account={account_id}"))
            .await)
        .len(),
        1
    );

    // The filters take any text: a clear answer, never a 5xx.
    // 10 KB with the characters a query must not be confused by.
    let ten_kb = format!("{}%25_%27%22", "a".repeat(10_000));
    for (query, expected) in [
        ("name=%00".to_string(), 422),
        ("name=%27%22%3B--".to_string(), 200),
        ("name=%5C".to_string(), 200),
        (format!("name={}", "a".repeat(101)), 422),
        (format!("name={ten_kb}"), 422),
        ("tag=%00".to_string(), 422),
        (format!("tag={ten_kb}"), 422),
        ("tag=A".to_string(), 422),
        ("tag=%27".to_string(), 422),
        ("name=".to_string(), 200),
    ] {
        let (status, answer) = app.get_status(&format!("/v1/instances?{query}")).await;
        let shown: String = query.chars().take(80).collect();
        assert_eq!(status, expected, "{shown}: {answer}");
        if status == 422 {
            assert_eq!(answer["code"], "invalid_query", "{answer}");
        }
    }
}
on_both_backends!(
    malformed_labels,
    malformed_labels_are_refused_and_change_nothing
);

async fn notices_name_a_named_instance(backend: Backend) {
    let app = spawn_app(backend, "2026-02-10T00:00:00Z").await;
    let account_id = app.funded_account(100_000).await;
    let bought = app
        .post_ok(
            "/v1/instances",
            json!({ "account": account_id, "product": "message-queue", "edition": "basic",
                    "spec": "tps-1000", "region": "us-east-1", "period": "1M",
                    "name": "billing-db" }),
        )
        .await;
    let instance_id = text(&bought["instance"]["id"]).to_string();
    // The reminder comes seven days before the expiry (2026-03-10).
    app.advance_to("2026-03-03T00:00:00Z").await;
    let notices = app
        .get(&format!(
            "/v1/notifications?instance={instance_id}&kind=instance.expiry_reminder_sent"
        ))
        .await;
    let notice = &notices["data"][0];
    let called = format!("“billing-db” ({instance_id})");
    assert!(
        notice["body"]
            .as_str()
            .unwrap()
            .contains(&format!("instance {called} expires")),
        "{notice}"
    );
    assert!(
        notice["subject"].as_str().unwrap().contains(&called),
        "{notice}"
    );
}
on_both_backends!(named_notices, notices_name_a_named_instance);
