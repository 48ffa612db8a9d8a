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
            "Liveness: answers 200 while the server runs; `status` is `degraded` when the sweep is behind, steps are parked or writes fail",
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

/// The server's health: 200 while the process serves. `degraded` when the lifecycle does not
/// go on (the oldest due step is late, see `SWEEP_BEHIND_LIMIT_SECONDS`, or a step is parked,
/// `GET /v1/stuck-steps`), when the database cannot be read, and while writes fail because the
/// database does (`writes`).
#[derive(Debug, Serialize, schemars::JsonSchema)]
struct Health {
    /// `ok`, or `degraded`.
    status: &'static str,
    /// How far behind the lifecycle sweep is; null when the database could not be read.
    sweep: Option<SweepHealth>,
    /// Whether writes commit.
    writes: Writes,
    /// Why the database could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// Writes as the store saw them. `failing` while the last write was not committed because the
/// database failed (a lost connection, a full disk, a commit refused, writes switched off),
/// with no write committed since, for up to a minute after that failure; `ok` again at the
/// next commit. Refusals of the rules and deadlocks run again are not failures.
#[derive(Debug, Serialize, schemars::JsonSchema)]
struct Writes {
    /// `ok`, or `failing`.
    status: &'static str,
    /// Writes the database failed since the server started.
    failures: u64,
    /// Why the last failed write failed, while `failing`.
    #[serde(skip_serializing_if = "Option::is_none")]
    last_failure: Option<String>,
    /// How long ago it failed, while `failing`.
    #[serde(skip_serializing_if = "Option::is_none")]
    last_failure_seconds_ago: Option<u64>,
}

async fn healthz(State(context): State<ApiContext>) -> Answered<Health> {
    let health = context.engine.store.write_health();
    let writes = Writes {
        status: if health.failing.is_some() {
            "failing"
        } else {
            "ok"
        },
        failures: health.failures,
        last_failure_seconds_ago: health.failing.as_ref().map(|(ago, _)| ago.as_secs()),
        last_failure: health.failing.map(|(_, why)| why),
    };
    let writes_failing = writes.last_failure.is_some();
    Answered::json(&match context.engine.sweep_health().await {
        Ok(sweep) => Health {
            status: if sweep.degraded || writes_failing {
                "degraded"
            } else {
                "ok"
            },
            sweep: Some(sweep),
            writes,
            error: None,
        },
        Err(error) => Health {
            status: "degraded",
            sweep: None,
            writes,
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
