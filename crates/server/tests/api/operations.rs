//! What an operator reads: the `x-request-id` of every answer, and `/metrics`.

use crate::helpers::{spawn_app, Backend, TestApp, ADMIN_KEY};
use crate::on_both_backends;

const START: &str = "2026-02-10T00:00:00Z";

async fn answered_id(app: &TestApp, path: &str, sent: Option<&str>) -> String {
    let mut request = app
        .client
        .get(format!("{}{path}", app.address))
        .bearer_auth(ADMIN_KEY);
    if let Some(sent) = sent {
        request = request.header("x-request-id", sent);
    }
    let response = request.send().await.unwrap();
    response
        .headers()
        .get("x-request-id")
        .unwrap_or_else(|| panic!("GET {path} answered no x-request-id"))
        .to_str()
        .unwrap()
        .to_string()
}

async fn a_request_id_is_echoed_or_made(backend: Backend) {
    let app = spawn_app(backend, START).await;
    let sent = "6f1c2b3a-8d4e-4f5a-9b6c-7d8e9f0a1b2c";
    assert_eq!(answered_id(&app, "/v1/products", Some(sent)).await, sent);
    // Refusals carry it too, the router's own included.
    assert_eq!(
        answered_id(&app, "/v1/instances/inst_missing", Some(sent)).await,
        sent
    );
    assert_eq!(answered_id(&app, "/no/such/route", Some(sent)).await, sent);
    let made = answered_id(&app, "/v1/products", None).await;
    assert!(made.starts_with("req_") && made.len() > 4, "{made}");
    assert_ne!(answered_id(&app, "/v1/products", None).await, made);
    // One a log line could not carry as it is is replaced.
    let replaced = answered_id(&app, "/v1/products", Some("two words")).await;
    assert!(replaced.starts_with("req_"), "{replaced}");
}
on_both_backends!(request_ids, a_request_id_is_echoed_or_made);

/// The sample lines of `metrics` named `name` whose labels include every one of `labels`.
fn samples(metrics: &str, name: &str, labels: &[&str]) -> Vec<f64> {
    metrics
        .lines()
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let rest = series.strip_prefix(name)?.strip_prefix('{')?;
            labels
                .iter()
                .all(|label| rest.contains(label))
                .then(|| value.parse().unwrap())
        })
        .collect()
}

async fn request_durations_are_shown_by_route_pattern(backend: Backend) {
    let app = spawn_app(backend, START).await;
    let (status, _) = app
        .request("GET", "/v1/instances/inst_missing", None, &[])
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .request("GET", "/v1/instances/inst_other", None, &[])
        .await;
    assert_eq!(status, 404);
    let (status, _) = app.request("GET", "/v1/products", None, &[]).await;
    assert_eq!(status, 200);
    let (status, _) = app.request("GET", "/nothing/here", None, &[]).await;
    assert_eq!(status, 404);
    let metrics = app.metrics().await;
    let histogram = "tenure_http_request_duration_seconds";
    assert!(
        metrics.contains(&format!("# TYPE {histogram} histogram")),
        "{metrics}"
    );
    // Both instances under their route's pattern, not their paths.
    let instance = [
        "method=\"GET\"",
        "route=\"/v1/instances/{id}\"",
        "class=\"4xx\"",
    ];
    assert_eq!(
        samples(&metrics, &format!("{histogram}_count"), &instance),
        [2.0],
        "{metrics}"
    );
    assert_eq!(
        samples(
            &metrics,
            &format!("{histogram}_bucket"),
            &[instance.as_slice(), &["le=\"+Inf\""]].concat()
        ),
        [2.0],
        "{metrics}"
    );
    assert!(!metrics.contains("inst_missing"), "{metrics}");
    let products = ["route=\"/v1/products\"", "class=\"2xx\""];
    assert_eq!(
        samples(&metrics, &format!("{histogram}_count"), &products),
        [1.0],
        "{metrics}"
    );
    assert_eq!(
        samples(
            &metrics,
            &format!("{histogram}_count"),
            &["route=\"unmatched\""]
        ),
        [1.0],
        "{metrics}"
    );
    assert!(!metrics.contains("/nothing/here"), "{metrics}");
    // The counters that were there before are still there.
    assert_eq!(
        samples(&metrics, "tenure_http_responses_total", &["class=\"4xx\""]),
        [3.0],
        "{metrics}"
    );
    for counter in [
        "tenure_lifecycle_steps_total",
        "tenure_http_panics_total",
        "tenure_writes_total",
        "tenure_write_commits_total",
        "tenure_write_retries_total",
        "tenure_write_failures_total",
    ] {
        assert!(
            metrics
                .lines()
                .any(|line| line.starts_with(&format!("{counter} "))),
            "{counter}: {metrics}"
        );
    }
}
on_both_backends!(
    request_durations,
    request_durations_are_shown_by_route_pattern
);
