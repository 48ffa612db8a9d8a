//! The operator's webhook endpoints: added with a secret shown once, listed without it,
//! rotated, deleted; a URL or event type tenure would not send is refused and nothing is kept.

use serde_json::{json, Value};
use tenure_core::webhook::{sign, SigningSecret};

use crate::helpers::{spawn_app, text, Backend};
use crate::on_both_backends;

async fn endpoints_are_added_listed_rotated_and_deleted(backend: Backend) {
    let app = spawn_app(backend, "2026-02-10T00:00:00Z").await;
    let (status, created) = app
        .post(
            "/v1/webhook-endpoints",
            json!({ "url": "https://ops.example.com/tenure",
                    "events": ["instance.expired", "instance.released", "instance.expired"],
                    "description": "stop, then delete" }),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = text(&created["id"]).to_string();
    assert_eq!(
        created["events"],
        json!(["instance.expired", "instance.released"])
    );
    assert_eq!(created["description"], "stop, then delete");
    let secret = SigningSecret::parse(text(&created["secret"])).expect("a whsec_ secret");
    // The secret signs as Standard Webhooks verify.
    assert!(sign(&secret, "msg_1", 1_770_681_600, "{}").starts_with("v1,"));

    // Shown once: neither the list nor the endpoint carries it.
    let listed = app.get("/v1/webhook-endpoints").await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    assert_eq!(listed["data"][0]["id"], id.as_str());
    assert!(listed["data"][0].get("secret").is_none(), "{listed}");
    let shown = app.get(&format!("/v1/webhook-endpoints/{id}")).await;
    assert!(shown.get("secret").is_none());
    assert_eq!(shown["url"], "https://ops.example.com/tenure");

    // Rotated: a new secret, answered once.
    let rotated = app
        .post_ok(
            &format!("/v1/webhook-endpoints/{id}/rotate-secret"),
            json!({}),
        )
        .await;
    assert_ne!(rotated["secret"], created["secret"]);
    assert!(SigningSecret::parse(text(&rotated["secret"])).is_some());
    assert!(rotated["secret_rotated_at"].is_string());

    // Every event type.
    let every = app
        .post_ok(
            "/v1/webhook-endpoints",
            json!({ "url": "http://127.0.0.1:9/hook", "events": ["*", "instance.expired"] }),
        )
        .await;
    assert_eq!(every["events"], json!(["*"]));

    // Deleted: gone from the list, 404 after.
    let (status, deleted) = app
        .request("DELETE", &format!("/v1/webhook-endpoints/{id}"), None, &[])
        .await;
    assert_eq!((status, &deleted["deleted"]), (200, &Value::Bool(true)));
    let (status, answer) = app
        .request("GET", &format!("/v1/webhook-endpoints/{id}"), None, &[])
        .await;
    assert_eq!((status, text(&answer["code"])), (404, "not_found"));
    let (status, _) = app
        .request("DELETE", &format!("/v1/webhook-endpoints/{id}"), None, &[])
        .await;
    assert_eq!(status, 404);
    assert_eq!(
        app.get("/v1/webhook-endpoints").await["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
on_both_backends!(
    endpoint_lifecycle,
    endpoints_are_added_listed_rotated_and_deleted
);

async fn an_endpoint_tenure_would_not_send_to_is_refused(backend: Backend) {
    let app = spawn_app(backend, "2026-02-10T00:00:00Z").await;
    for (body, code) in [
        (
            json!({ "url": "ftp://ops.example.com/x", "events": ["*"] }),
            "invalid_url",
        ),
        (json!({ "url": "https://", "events": ["*"] }), "invalid_url"),
        (
            json!({ "url": "https://ops.example.com", "events": ["instance.exploded"] }),
            "unknown_event_type",
        ),
        (
            json!({ "url": "https://ops.example.com", "events": [] }),
            "invalid_field",
        ),
        (
            json!({ "url": "https://ops.example.com", "events": ["*"], "secret": "mine" }),
            "invalid_field",
        ),
    ] {
        let (status, answer) = app.post("/v1/webhook-endpoints", body.clone()).await;
        assert_eq!(
            (status, text(&answer["code"])),
            (422, code),
            "{body}: {answer}"
        );
    }
    assert!(app.get("/v1/webhook-endpoints").await["data"]
        .as_array()
        .unwrap()
        .is_empty());
}
on_both_backends!(
    endpoint_refusals,
    an_endpoint_tenure_would_not_send_to_is_refused
);
