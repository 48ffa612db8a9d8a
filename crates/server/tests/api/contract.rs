//! The OpenAPI document describes what the handlers really take and answer.

use serde_json::Value;

use crate::helpers::{spawn_app, Backend};

fn operation<'d>(document: &'d Value, method: &str, path: &str) -> &'d Value {
    let operation = &document["paths"][path][method];
    assert!(operation.is_object(), "{method} {path} is in the document");
    operation
}

fn schema_name(reference: &Value) -> &str {
    reference["$ref"]
        .as_str()
        .and_then(|reference| reference.strip_prefix("#/components/schemas/"))
        .unwrap_or_else(|| panic!("a reference to a component: {reference}"))
}

#[tokio::test]
async fn the_document_gives_every_operation_its_body_answer_status_and_security() {
    let app = spawn_app(Backend::Sqlite, "2026-02-10T00:00:00Z").await;
    let document = app.get("/openapi.json").await;
    assert_eq!(document["openapi"], "3.1.0");
    let schemas = document["components"]["schemas"].as_object().unwrap();

    // Creates answer 201 with the type the handler returns.
    let purchase = operation(&document, "post", "/v1/instances");
    let created = &purchase["responses"]["201"]["content"]["application/json"]["schema"];
    assert_eq!(schema_name(created), "PurchaseResult");
    assert!(purchase["responses"]["200"].is_null());
    let body = &purchase["requestBody"]["content"]["application/json"]["schema"];
    let body = &schemas[schema_name(body)];
    assert_eq!(
        body["additionalProperties"], false,
        "unknown fields are refused"
    );
    let required: Vec<&str> = body["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|name| name.as_str().unwrap())
        .collect();
    assert_eq!(required, ["account", "product", "edition", "region"]);
    assert_eq!(purchase["security"][0]["bearer"], Value::Array(vec![]));
    for status in ["400", "401", "403", "404", "409", "413", "415", "422"] {
        assert_eq!(
            schema_name(&purchase["responses"][status]["content"]["application/json"]["schema"]),
            "Error",
            "{status}"
        );
    }
    let opened = operation(&document, "post", "/v1/accounts");
    assert!(opened["responses"]["201"].is_object());

    // Query parameters come from the handler's query type, enums included.
    let list = operation(&document, "get", "/v1/instances");
    let status = list["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|parameter| parameter["name"] == "status")
        .expect("a status filter");
    assert_eq!(status["in"], "query");
    let status_schema = &schemas[schema_name(&status["schema"])];
    assert!(
        status_schema.to_string().contains("release_pending")
            || status_schema.to_string().contains("expired"),
        "{status_schema}"
    );

    // Public routes need no key.
    assert_eq!(
        operation(&document, "get", "/healthz")["security"],
        Value::Array(vec![])
    );

    // Every operation answers a described success, and every reference resolves.
    let text = document.to_string();
    for (path, methods) in document["paths"].as_object().unwrap() {
        for (method, operation) in methods.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|status| status.starts_with('2')),
                "{method} {path} has a success answer"
            );
        }
    }
    for piece in text.split("\"#/components/schemas/").skip(1) {
        let name = &piece[..piece.find('"').unwrap()];
        assert!(schemas.contains_key(name), "{name} is defined");
    }
}

#[tokio::test]
async fn the_docs_page_lists_every_operation_without_fetching_anything() {
    let app = spawn_app(Backend::Sqlite, "2026-02-10T00:00:00Z").await;
    let document = app.get("/openapi.json").await;
    let response = app
        .client
        .get(format!("{}/docs", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let page = response.text().await.unwrap();
    for path in document["paths"].as_object().unwrap().keys() {
        assert!(page.contains(&format!("<code>{path}</code>")), "{path}");
    }
    assert!(!page.contains("<script"), "no script");
    // Nothing is fetched from elsewhere: no source, link or import names another host (the
    // examples' URLs are text).
    for fetch in ["src=\"http", "href=\"http", "url(http", "@import"] {
        assert!(!page.contains(fetch), "{fetch}");
    }
}
