use axum::extract::State;
use axum::http::{header, Method};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Json;
use serde_json::json;

use super::Route;
use crate::context::ApiContext;

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::GET,
            "/healthz",
            "Liveness: answers 200 while the server runs",
            get(healthz),
        )
        .public(),
        Route::new(Method::GET, "/metrics", "Prometheus metrics", get(metrics)).public(),
        Route::new(
            Method::GET,
            "/openapi.json",
            "This API's OpenAPI document",
            get(openapi),
        )
        .public(),
    ]
}

async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

async fn metrics(State(context): State<ApiContext>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        context.metrics.render(context.engine.store.write_counts()),
    )
}

async fn openapi() -> Json<serde_json::Value> {
    Json(crate::openapi::document(&super::table()))
}
