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
async fn the_docs_page_renders_the_document_with_a_viewer_shipped_inside() {
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
    // The document is in the page, whole.
    let start = page
        .find("<script id=\"openapi-document\" type=\"application/json\">")
        .expect("the document is embedded");
    let embedded = &page[start..];
    let embedded = &embedded[embedded.find('>').unwrap() + 1..embedded.find("</script>").unwrap()];
    let embedded: serde_json::Value = serde_json::from_str(embedded).unwrap();
    assert_eq!(embedded, document);
    // The viewer's script is served by tenure itself; nothing is fetched from elsewhere.
    let script = page
        .split("<script src=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a script source");
    assert!(script.starts_with("/docs/assets/"), "{script}");
    for fetch in [
        "src=\"http",
        "href=\"http",
        "url(http",
        "@import",
        "src=\"//",
    ] {
        assert!(!page.contains(fetch), "{fetch}");
    }
    let viewer = app
        .client
        .get(format!("{}{script}", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(viewer.status(), 200);
    assert!(viewer.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    let viewer = viewer.text().await.unwrap();
    assert!(viewer.contains("Redoc"), "Redoc's bundle");
}

/// Every schema under `value`, with where it is.
fn schemas_in<'d>(value: &'d Value, at: String, found: &mut Vec<(String, &'d Value)>) {
    match value {
        Value::Object(object) => {
            found.push((at.clone(), value));
            for (key, child) in object {
                if !matches!(key.as_str(), "example" | "examples" | "enum" | "default") {
                    schemas_in(child, format!("{at}/{key}"), found);
                }
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                schemas_in(item, format!("{at}/{index}"), found);
            }
        }
        _ => {}
    }
}

#[tokio::test]
async fn the_document_reads_as_client_generators_expect() {
    let app = spawn_app(Backend::Sqlite, "2026-02-10T00:00:00Z").await;
    let document = app.get("/openapi.json").await;
    let tags: Vec<&str> = document["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|tag| tag["name"].as_str().unwrap())
        .collect();
    let mut ids = std::collections::HashSet::new();
    for (path, methods) in document["paths"].as_object().unwrap() {
        for (method, operation) in methods.as_object().unwrap() {
            let id = operation["operationId"].as_str().unwrap();
            assert!(
                id.starts_with(|first: char| first.is_ascii_lowercase())
                    && id.chars().any(|letter| letter.is_ascii_uppercase())
                    && id.chars().all(|letter| letter.is_ascii_alphanumeric()),
                "{method} {path}: {id} is a verb and a noun in camelCase"
            );
            assert!(ids.insert(id), "{id} is used once");
            assert!(!operation["summary"].as_str().unwrap().is_empty());
            let tag = operation["tags"][0].as_str().unwrap();
            assert!(tags.contains(&tag), "{tag} is among the document's tags");
        }
    }
    assert_eq!(
        operation(&document, "post", "/v1/instances")["operationId"],
        "purchaseInstance"
    );
    assert_eq!(
        operation(&document, "get", "/v1/instances/{id}/unsubscribe/quote")["operationId"],
        "quoteUnsubscription"
    );
    let status = &document["components"]["schemas"]["InstanceStatus"];
    assert_eq!(status["type"], "string");
    assert!(status["enum"]
        .as_array()
        .unwrap()
        .contains(&"active".into()));
    let mut found = Vec::new();
    schemas_in(&document, String::new(), &mut found);
    for (at, schema) in found {
        assert!(schema.get("const").is_none(), "{at}: no const");
        assert!(
            schema.get("default") != Some(&Value::Null),
            "{at}: no null default"
        );
        for key in ["items", "schema", "not"] {
            assert_ne!(schema.get(key), Some(&Value::Bool(true)), "{at}/{key}");
        }
        if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
            for (name, property) in properties {
                assert_ne!(property, &Value::Bool(true), "{at}/{name}: a schema");
            }
        }
    }
    // Each body and success answer has an example, where its type allows one.
    let purchase = operation(&document, "post", "/v1/instances");
    assert!(purchase["requestBody"]["content"]["application/json"]["example"].is_object());
    assert!(purchase["responses"]["201"]["content"]["application/json"]["example"].is_object());
}
