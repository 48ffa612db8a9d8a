//! A log line per request (method, route pattern, path, status, duration, request id), its
//! latency in `/metrics`, and the request id: taken from the caller's `x-request-id` when it is
//! a sane one, made otherwise, answered in `x-request-id`, and attached to every log line
//! written while the request runs (the `request` span), the panic catcher's included.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use crate::metrics::Metrics;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest request id taken from a caller; a longer one is replaced by one of ours.
const MAX_REQUEST_ID_BYTES: usize = 128;

/// The route label of a request no route matched: its raw path would give `/metrics` a series
/// per path anyone cares to send.
const UNMATCHED: &str = "unmatched";

tokio::task_local! {
    /// The request being served on this task, for code that runs inside it and is handed no
    /// request: the panic catcher.
    static CURRENT: Arc<Current>;
}

struct Current {
    id: String,
    panicked: AtomicBool,
}

/// Where [`note_route`], which runs after routing, leaves the matched route pattern for
/// [`log_request`], which wraps the whole router (and so also sees 404s, and answers rebuilt
/// by the layers in between, which keep no response extension).
#[derive(Clone, Default)]
struct MatchedRoute(Arc<OnceLock<String>>);

/// The outermost layer: times the request, logs it once answered, and answers its id.
pub async fn log_request(
    State(metrics): State<Arc<Metrics>>,
    mut request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let id = sane_request_id(request.headers()).unwrap_or_else(new_request_id);
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let matched = MatchedRoute::default();
    request.extensions_mut().insert(matched.clone());
    let current = Arc::new(Current {
        id,
        panicked: AtomicBool::new(false),
    });
    let span = tracing::info_span!("request", request_id = %current.id);
    let mut response = CURRENT
        .scope(current.clone(), next.run(request))
        .instrument(span)
        .await;
    let elapsed = started.elapsed();
    if current.panicked.load(Ordering::Relaxed) {
        metrics.count_panic();
    }
    let status = response.status().as_u16();
    let route = matched.0.get().map(String::as_str);
    metrics.observe_request(
        method_label(&method),
        route.unwrap_or(UNMATCHED),
        status,
        elapsed,
    );
    // Microseconds, shown as milliseconds with three decimals.
    let duration_ms = elapsed.as_micros() as f64 / 1000.0;
    let id = current.id.as_str();
    if status >= 500 {
        tracing::warn!(%method, route, path = path.as_str(), status, duration_ms, request_id = id, "request");
    } else {
        tracing::info!(%method, route, path = path.as_str(), status, duration_ms, request_id = id, "request");
    }
    let value = HeaderValue::from_str(id).expect("a request id is made of header characters");
    response.headers_mut().insert(REQUEST_ID, value);
    response
}

/// A route layer: runs once the router has matched a route, and notes its pattern.
pub async fn note_route(request: Request, next: Next) -> Response {
    let extensions = request.extensions();
    if let (Some(matched), Some(path)) = (
        extensions.get::<MatchedRoute>(),
        extensions.get::<MatchedPath>(),
    ) {
        let _ = matched.0.set(path.as_str().to_string());
    }
    next.run(request).await
}

/// Notes that the handler of the request being served panicked (counted in `/metrics` once it
/// is answered), and returns the request's id for the panic's log line.
pub fn panicked() -> Option<String> {
    CURRENT
        .try_with(|current| {
            current.panicked.store(true, Ordering::Relaxed);
            current.id.clone()
        })
        .ok()
}

/// The caller's `x-request-id`, if it is one a log line and a header can carry as it is: 1 to
/// 128 letters, digits and `-_.:/+=@` (UUIDs, ULIDs and most tracers' ids are).
fn sane_request_id(headers: &HeaderMap) -> Option<String> {
    let id = headers.get(REQUEST_ID)?.to_str().ok()?;
    let sane = (1..=MAX_REQUEST_ID_BYTES).contains(&id.len())
        && id
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"-_.:/+=@".contains(&byte));
    sane.then(|| id.to_string())
}

fn new_request_id() -> String {
    format!("req_{:016x}", rand::random::<u64>())
}

/// The method as a metric label: the standard ones by name, any other as `OTHER` (a method is
/// any token a caller sends, and each would be a series of its own).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::Mutex;

    use axum::body::Body;
    use axum::routing::get;
    use axum::Router;
    use tower::ServiceExt;
    use tower_http::catch_panic::CatchPanicLayer;

    use super::*;

    /// The log lines written while it lives, as JSON objects.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Captured {
        fn lines(&self) -> Vec<serde_json::Value> {
            String::from_utf8(self.0.lock().unwrap().clone())
                .unwrap()
                .lines()
                .map(|line| serde_json::from_str(line).unwrap())
                .collect()
        }
    }

    async fn boom() -> &'static str {
        tracing::info!("about to fail");
        panic!("boom")
    }

    /// The layers of `routes::router`, in its order, around two routes.
    fn router(metrics: Arc<Metrics>) -> Router {
        Router::new()
            .route("/things/{id}", get(|| async { "thing" }))
            .route("/boom", get(boom))
            .route_layer(axum::middleware::from_fn(note_route))
            .layer(axum::middleware::from_fn(
                crate::edge_answers::refusals_as_json,
            ))
            .layer(CatchPanicLayer::custom(crate::edge_answers::panic_as_json))
            .layer(axum::middleware::from_fn_with_state(metrics, log_request))
    }

    async fn send(router: Router, method: &str, path: &str, id: Option<&str>) -> Response {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(id) = id {
            request = request.header("x-request-id", id);
        }
        router
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap()
    }

    fn answered_id(response: &Response) -> String {
        response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_string()
    }

    /// (The test runtime is single-threaded, so the subscriber set for this thread sees every
    /// line the requests log.)
    #[tokio::test]
    async fn every_line_of_a_request_names_it_and_the_last_says_how_it_went() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_writer(move || writer.clone())
            .finish();
        // While one subscriber exists, tracing asks only the subscriber of the thread that first
        // reaches a log line whether the line is wanted, and remembers the answer: another test
        // reaching the panic catcher's line first, on a thread without one, would silence it
        // here. With two, it asks them all.
        let _second = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());
        let _default = tracing::subscriber::set_default(subscriber);
        let metrics = Arc::new(Metrics::new());

        let response = send(router(metrics.clone()), "GET", "/things/7", Some("trace-1")).await;
        assert_eq!(answered_id(&response), "trace-1");
        let response = send(router(metrics.clone()), "GET", "/boom", Some("trace-2")).await;
        assert_eq!(response.status(), 500);
        let response = send(router(metrics.clone()), "DELETE", "/things/7", None).await;
        assert_eq!(response.status(), 405);
        let made = answered_id(&response);
        assert!(made.starts_with("req_"), "{made}");

        let lines = captured.lines();
        let requests: Vec<_> = lines
            .iter()
            .filter(|line| line["message"] == "request")
            .collect();
        assert_eq!(requests.len(), 3, "{lines:?}");
        assert_eq!(requests[0]["method"], "GET");
        assert_eq!(requests[0]["route"], "/things/{id}");
        assert_eq!(requests[0]["path"], "/things/7");
        assert_eq!(requests[0]["status"], 200);
        assert_eq!(requests[0]["request_id"], "trace-1");
        assert!(requests[0]["duration_ms"].as_f64().unwrap() >= 0.0);
        assert_eq!(requests[1]["status"], 500);
        assert_eq!(requests[1]["level"], "WARN");
        assert_eq!(requests[2]["request_id"], made.as_str());
        // The handler's own line and the panic catcher's carry the request's id.
        let inside: Vec<_> = lines
            .iter()
            .filter(|line| line["message"] != "request")
            .collect();
        assert_eq!(inside.len(), 2, "{lines:?}");
        for line in inside {
            assert_eq!(line["span"]["request_id"], "trace-2", "{line}");
        }
        let panic_line = lines
            .iter()
            .find(|line| line["panic"] == "boom")
            .expect("the panic is logged");
        assert_eq!(panic_line["request_id"], "trace-2");

        let text = metrics.render(tenure_store::WriteCounts::default());
        assert!(text.contains("tenure_http_panics_total 1"), "{text}");
    }

    #[test]
    fn only_a_sane_request_id_is_taken() {
        let id = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(REQUEST_ID, HeaderValue::from_str(value).unwrap());
            sane_request_id(&headers)
        };
        let uuid = "6f1c2b3a-8d4e-4f5a-9b6c-7d8e9f0a1b2c";
        assert_eq!(id(uuid).as_deref(), Some(uuid));
        assert_eq!(
            id("Root=1-5759e988/x").as_deref(),
            Some("Root=1-5759e988/x")
        );
        for insane in ["", "two words", "quote\"d", "line\tbreak", &"x".repeat(129)] {
            assert_eq!(id(insane), None, "{insane:?}");
        }
        assert!(sane_request_id(&HeaderMap::new()).is_none());
    }
}
