use axum::extract::State;
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, Method};
use axum::response::Html;
use tenure_wire::health::{Health, Writes};

use super::Route;
use crate::api::{Answered, Text};
use crate::auth::KeyHash;
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
        Route::new(
            Method::GET,
            "/metrics",
            "Prometheus metrics: the server's requests, sweeps and writes; with the operator key as a bearer token, the fleet's too (instances by product and status, accounts overdue and frozen, deliveries pending and failing, stuck steps, revenue and refunds by currency)",
            metrics,
        )
        .public(),
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

async fn healthz(State(context): State<ApiContext>) -> Answered<Health> {
    let health = context.engine.store.write_health();
    let writes = Writes {
        status: if health.failing.is_some() {
            "failing"
        } else {
            "ok"
        }
        .to_string(),
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
            }
            .to_string(),
            sweep: Some(sweep.into()),
            writes,
            error: None,
        },
        Err(error) => Health {
            status: "degraded".to_string(),
            sweep: None,
            writes,
            error: Some(format!("the database could not be read: {error}")),
        },
    })
}

/// The server's own metrics; with the operator key, the fleet's too (`fleet_metrics`).
async fn metrics(State(context): State<ApiContext>, headers: HeaderMap) -> Text {
    let mut body = context.metrics.render(context.engine.store.write_counts());
    let operator = headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .is_some_and(|key| context.admin_key.matches(&KeyHash::of(key.trim())));
    if operator {
        match crate::fleet_metrics::render(&context).await {
            Ok(fleet) => body.push_str(&fleet),
            Err(error) => tracing::warn!(%error, "the fleet's metrics could not be read"),
        }
    }
    Text {
        content_type: "text/plain; version=0.0.4",
        body,
    }
}

async fn openapi(State(context): State<ApiContext>) -> Answered<serde_json::Value> {
    Answered::json(context.document())
}

async fn docs(State(context): State<ApiContext>) -> Html<String> {
    Html(crate::openapi::docs_page(context.document()))
}
