use axum::extract::State;
use axum::http::Method;
use axum::response::Html;
use serde::Serialize;

use tenure_engine::scheduler::SweepHealth;

use super::Route;
use crate::api::{Answered, Text};
use crate::context::ApiContext;

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::GET,
            "/healthz",
            "Liveness: answers 200 while the server runs; `status` is `degraded` when the sweep is behind or steps are parked",
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

/// The server's health: 200 while the process serves. The sweep's health says whether the
/// lifecycle goes on: `degraded` when the oldest due step is late (see
/// `SWEEP_BEHIND_LIMIT_SECONDS`) or a step is parked (`GET /v1/stuck-steps`), and when the
/// database cannot be asked.
#[derive(Debug, Serialize, schemars::JsonSchema)]
struct Health {
    /// `ok`, or `degraded`.
    status: &'static str,
    /// How far behind the lifecycle sweep is; null when the database could not be read.
    sweep: Option<SweepHealth>,
    /// Why the database could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

async fn healthz(State(context): State<ApiContext>) -> Answered<Health> {
    Answered::json(&match context.engine.sweep_health().await {
        Ok(sweep) => Health {
            status: if sweep.degraded { "degraded" } else { "ok" },
            sweep: Some(sweep),
            error: None,
        },
        Err(error) => Health {
            status: "degraded",
            sweep: None,
            error: Some(format!("the database could not be read: {error}")),
        },
    })
}

async fn metrics(State(context): State<ApiContext>) -> Text {
    Text {
        content_type: "text/plain; version=0.0.4",
        body: context.metrics.render(context.engine.store.write_counts()),
    }
}

async fn openapi(State(context): State<ApiContext>) -> Answered<serde_json::Value> {
    Answered::json(context.document())
}

async fn docs(State(context): State<ApiContext>) -> Html<String> {
    Html(crate::openapi::docs_page(context.document()))
}
