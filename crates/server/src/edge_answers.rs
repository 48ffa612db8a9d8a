//! Answers made outside any handler, in the same `{code, message}` JSON as every other
//! refusal: a method the path does not take (405, its `allow` header kept), an extractor's
//! rejection (a path that is not UTF-8, say), and a handler that panicked (500: logged and
//! counted; the process and the other requests go on).

use std::any::Any;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// Every refusal that did not come from a handler's `ApiError` (the router's 405, with an
/// empty body; an extractor's rejection, such as a path that is not UTF-8, in plain text)
/// gets the JSON body every other refusal has; its status and headers are kept.
pub async fn refusals_as_json(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value.starts_with("application/json") || value.starts_with("text/html")
        });
    // A console page is HTML whatever its status: a person reads it.
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let message = if status == StatusCode::METHOD_NOT_ALLOWED {
        let allowed = parts
            .headers
            .get(header::ALLOW)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("");
        format!("{path} does not take {method}; it takes {allowed}")
    } else {
        let text = axum::body::to_bytes(body, MESSAGE_BYTES_READ)
            .await
            .map(|bytes| String::from_utf8_lossy(&bytes).trim().to_string())
            .unwrap_or_default();
        if text.is_empty() {
            status.canonical_reason().unwrap_or("refused").to_string()
        } else {
            text
        }
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.remove(header::CONTENT_TYPE);
    let mut answer = Json(json!({ "code": code_of(status), "message": message })).into_response();
    *answer.status_mut() = status;
    answer.headers_mut().extend(
        parts
            .headers
            .into_iter()
            .filter_map(|(name, value)| name.map(|name| (name, value))),
    );
    answer
}

/// The most of a plain-text refusal read into its JSON message.
const MESSAGE_BYTES_READ: usize = 4096;

/// The machine code of a refusal made outside the handlers, by its status.
fn code_of(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::NOT_FOUND => "no_such_endpoint",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "body_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid_request",
        _ if status.is_server_error() => "internal_error",
        _ => "refused",
    }
}

/// What a panicking handler answers (tower-http's `CatchPanicLayer` calls it).
pub fn panic_as_json(panic: Box<dyn Any + Send + 'static>) -> Response<Body> {
    let what = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("a panic without a message");
    let request_id = crate::request_log::panicked();
    tracing::error!(
        panic = what,
        request_id,
        "a request's handler panicked; nothing of it was committed"
    );
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Json(json!({
            "code": "internal_error",
            "message": "tenure could not complete the request; nothing was changed. Try again.",
        })),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use axum::routing::get;
    use axum::Router;
    use tower::ServiceExt;
    use tower_http::catch_panic::CatchPanicLayer;

    use super::*;

    async fn answer(router: Router, method: &str, path: &str) -> (StatusCode, String, String) {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .body(Body::empty())
            .unwrap();
        let response = router.oneshot(request).await.unwrap();
        let status = response.status();
        let allow = response
            .headers()
            .get(header::ALLOW)
            .map(|value| value.to_str().unwrap().to_string())
            .unwrap_or_default();
        let body = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        (status, allow, String::from_utf8(body.to_vec()).unwrap())
    }

    async fn boom() -> &'static str {
        panic!("boom")
    }

    #[tokio::test]
    async fn a_panicking_handler_answers_500_in_json_and_the_next_request_is_served() {
        let router = Router::new()
            .route("/boom", get(boom))
            .route("/fine", get(|| async { "fine" }))
            .layer(CatchPanicLayer::custom(panic_as_json));
        let (status, _, body) = answer(router.clone(), "GET", "/boom").await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["code"], "internal_error");
        let (status, _, body) = answer(router, "GET", "/fine").await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "fine"));
    }

    #[tokio::test]
    async fn an_extractors_plain_text_rejection_becomes_json() {
        let router = Router::new()
            .route(
                "/things/{id}",
                get(|axum::extract::Path(id): axum::extract::Path<String>| async move { id }),
            )
            .layer(axum::middleware::from_fn(refusals_as_json));
        let (status, _, body) = answer(router, "GET", "/things/%FF").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["code"], "bad_request");
        assert!(!body["message"].as_str().unwrap().is_empty(), "{body}");
    }

    #[tokio::test]
    async fn a_method_the_path_does_not_take_answers_405_in_json_with_allow() {
        let router = Router::new()
            .route("/only-get", get(|| async { "ok" }))
            .layer(axum::middleware::from_fn(refusals_as_json));
        let (status, allow, body) = answer(router, "DELETE", "/only-get").await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert!(allow.contains("GET"), "{allow}");
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["code"], "method_not_allowed");
        assert!(
            body["message"].as_str().unwrap().contains("DELETE"),
            "{body}"
        );
    }
}
