//! The console acts through the API itself: each page reads, and each form posts, by calling
//! the API's router in process as the signed-in caller. So a page shows what the API answers,
//! an action runs the one use case the API runs, with its checks, its permissions and its
//! refusals (`{code, message}`, shown beside the form), and nothing of a rule is written twice.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use axum::response::Response;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tower::ServiceExt;

use super::session::Session;
use crate::context::ApiContext;

/// An answer of the API: its status and JSON.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
}

impl Answer {
    pub fn ok(&self) -> bool {
        self.status.is_success()
    }

    /// What the API answers a path whose id is not an id (see `path_ids.rs`), answered here
    /// without a call.
    pub fn not_an_id() -> Answer {
        Answer {
            status: StatusCode::NOT_FOUND,
            body: serde_json::to_value(tenure_wire::Error {
                code: "not_found".into(),
                message: "no such resource: that is not an id".into(),
            })
            .expect("an error is JSON"),
        }
    }

    /// The refusal's sentence, for the page.
    pub fn message(&self) -> String {
        match serde_json::from_value::<tenure_wire::Error>(self.body.clone()) {
            Ok(error) => error.message,
            Err(_) => format!("the request failed ({})", self.status),
        }
    }
}

/// Calls `method path` with `body` as the session's caller. A path holding anything but an
/// API path's characters (a form's id with a space, `/` or `?`, say) is not called: 404.
pub async fn call(
    context: &ApiContext,
    session: &Session,
    method: Method,
    path: &str,
    body: Option<Value>,
    idempotency_key: Option<&str>,
) -> Answer {
    let Some(response) = respond(context, session, method, path, body, idempotency_key).await
    else {
        return Answer::not_an_id();
    };
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 16 * 1024 * 1024)
        .await
        .unwrap_or_default();
    Answer {
        status,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    }
}

/// The API's answer whole, for one that is not JSON (an invoice's PDF); `None` for a path
/// that is not an API path (see [`call`]).
pub async fn respond(
    context: &ApiContext,
    session: &Session,
    method: Method,
    path: &str,
    body: Option<Value>,
    idempotency_key: Option<&str>,
) -> Option<Response> {
    let path_alone = path
        .split_once('?')
        .map_or(path, |(path_alone, _)| path_alone);
    if !path_alone
        .bytes()
        .all(|byte| byte.is_ascii_alphanumeric() || b"/_-".contains(&byte))
    {
        return None;
    }
    let router = context.api_router();
    let mut request = Request::builder().method(method).uri(path);
    if body.is_some() {
        request = request.header("content-type", "application/json");
    }
    if let Some(key) = idempotency_key {
        request = request.header("idempotency-key", key);
    }
    let mut request = request
        .body(match body {
            Some(body) => Body::from(body.to_string()),
            None => Body::empty(),
        })
        .ok()?;
    request.extensions_mut().insert(session.caller.clone());
    Some(
        router
            .oneshot(request)
            .await
            .expect("the router answers every request"),
    )
}

async fn get(context: &ApiContext, session: &Session, path: &str) -> Answer {
    call(context, session, Method::GET, path, None, None).await
}

/// What the API refused (or a page could not read), for the page to show beside its form.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub status: StatusCode,
    pub message: String,
}

/// An answer of the API read as the wire type `T` it is documented as (`tenure_wire`), or its
/// refusal. An answer that does not read as `T` is a bug of tenure's, shown as one: a page
/// never fills a missing field with 0, USD or a dash.
pub type Reply<T> = Result<T, Refusal>;

impl Answer {
    /// The answer read as `T`.
    pub fn read<T: DeserializeOwned>(self) -> Reply<T> {
        if !self.ok() {
            return Err(Refusal {
                status: self.status,
                message: self.message(),
            });
        }
        serde_json::from_value(self.body).map_err(|error| {
            tracing::error!(%error, "the console could not read an answer of the API");
            Refusal {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                message: format!("tenure could not read its own answer: {error}"),
            }
        })
    }
}

/// `GET path`, read as `T`.
pub async fn read<T: DeserializeOwned>(
    context: &ApiContext,
    session: &Session,
    path: &str,
) -> Reply<T> {
    get(context, session, path).await.read()
}

/// `method path` with `body` (and an idempotency key, for a POST), read as `T`.
pub async fn send<T: DeserializeOwned>(
    context: &ApiContext,
    session: &Session,
    method: Method,
    path: &str,
    body: Value,
    idempotency_key: Option<&str>,
) -> Reply<T> {
    call(context, session, method, path, Some(body), idempotency_key)
        .await
        .read()
}
