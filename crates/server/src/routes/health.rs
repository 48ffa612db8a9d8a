use axum::extract::State;
use axum::http::Method;
use axum::response::Html;
use serde::Serialize;

use super::Route;
use crate::api::{Answered, Text};
use crate::context::ApiContext;

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::GET,
            "/healthz",
            "Liveness: answers 200 while the server runs",
            healthz,
        )
        .public(),
        Route::new(Method::GET, "/metrics", "Prometheus metrics", metrics).public(),
        Route::new(
            Method::GET,
            "/openapi.json",
            "This API's OpenAPI document",
            openapi,
        )
        .public(),
        Route::new(
            Method::GET,
            "/docs",
            "This API's documentation, as a page",
            docs,
        )
        .public(),
    ]
}

/// The server's health.
#[derive(Debug, Serialize, schemars::JsonSchema)]
struct Health {
    status: &'static str,
}

async fn healthz() -> Answered<Health> {
    Answered::json(&Health { status: "ok" })
}

async fn metrics(State(context): State<ApiContext>) -> Text {
    Text {
        content_type: "text/plain; version=0.0.4",
        body: context.metrics.render(context.engine.store.write_counts()),
    }
}

async fn openapi(State(context): State<ApiContext>) -> Answered<serde_json::Value> {
    Answered::json(&crate::openapi::document(
        &super::table(),
        &context.engine.catalog,
    ))
}

async fn docs(State(context): State<ApiContext>) -> Html<String> {
    Html(crate::openapi::docs_page(&crate::openapi::document(
        &super::table(),
        &context.engine.catalog,
    )))
}
