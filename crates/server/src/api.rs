//! What every endpoint shares: reading a JSON command, running it in one transaction with its
//! idempotency record, and paging lists.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::{Digest, Sha256};
use tenure_core::secret;
use tenure_engine::EngineError;
use tenure_store::idempotency::{self, Claim};
use tenure_store::Connection;
use tenure_store::{Tx, WriteFuture};

use crate::auth::{check_names, BodyNames, Caller, ListScope, Named};
use crate::context::ApiContext;
use crate::error::ApiError;

/// The largest request body accepted.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// The longest idempotency key accepted.
const MAX_IDEMPOTENCY_KEY_CHARS: usize = 255;
/// Page sizes of list endpoints.
pub const DEFAULT_PAGE_SIZE: i64 = 100;
pub const MAX_PAGE_SIZE: i64 = 1000;

/// Who asked, with which idempotency key, for which exact request.
#[derive(Debug, Clone)]
pub struct RequestMeta {
    pub caller: Caller,
    pub idempotency_key: Option<String>,
    /// SHA-256 of method, path and body: a key reused for another request is refused. Taken
    /// only with a key (empty without one, when nothing reads it): hashing every body was 4%
    /// of the process's instructions with 64 clients ordering.
    pub request_hash: String,
}

impl RequestMeta {
    /// The caller's scope and the request's idempotency key, if it has one: what a payment
    /// committed before its call is found again by.
    pub fn keyed(&self) -> Option<(String, String)> {
        self.idempotency_key
            .clone()
            .map(|key| (self.caller.scope(), key))
    }
}

/// A mutating request: its parsed JSON body and its [`RequestMeta`].
pub struct Command<T> {
    pub body: T,
    pub meta: RequestMeta,
}

impl<T: DeserializeOwned + BodyNames + Send> FromRequest<ApiContext> for Command<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &ApiContext) -> Result<Self, Self::Rejection> {
        let caller = request
            .extensions()
            .get::<Caller>()
            .cloned()
            .ok_or(ApiError::Unauthorized)?;
        let idempotency_key = idempotency_key(request.headers())?;
        // What the request's hash covers besides its body, kept only when there is a key.
        let target = idempotency_key.is_some().then(|| {
            (
                request.method().to_string(),
                request.uri().path().to_string(),
            )
        });
        let content_type = request
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .map(|value| value.to_str().unwrap_or("").to_string());
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::TooLarge(format!(
                        "the request body must be at most {MAX_BODY_BYTES} bytes of JSON \
                         ({} for a usage report)",
                        crate::routes::USAGE_BODY_BYTES
                    ))
                } else if let Some(late) = crate::serve::body_timed_out(&rejection) {
                    ApiError::TimedOut(late.to_string())
                } else {
                    ApiError::BadRequest {
                        code: "unreadable_body",
                        message: format!("the request body could not be read: {rejection}"),
                    }
                }
            })?;
        let is_empty = bytes.iter().all(u8::is_ascii_whitespace);
        // A body without a content type is taken as JSON; one declared as something else is
        // refused rather than guessed at.
        if !is_empty
            && content_type
                .as_deref()
                .is_some_and(|declared| !is_json(declared))
        {
            return Err(ApiError::UnsupportedMediaType(format!(
                "send the body as JSON with `Content-Type: application/json` (got {})",
                content_type.as_deref().unwrap_or("no content type")
            )));
        }
        let request_hash = match target {
            Some((method, path)) => {
                let mut hasher = Sha256::new();
                hasher.update(method.as_bytes());
                hasher.update(b" ");
                hasher.update(path.as_bytes());
                hasher.update(b"\n");
                hasher.update(&bytes);
                format!("{:x}", hasher.finalize())
            }
            None => String::new(),
        };
        if holds_escaped_nul(&bytes) {
            return Err(ApiError::invalid(
                "invalid_field",
                "text in the body must not contain the NUL character (\\u0000)",
            ));
        }
        let text: &[u8] = if is_empty { b"{}" } else { &bytes };
        let body = serde_json::from_slice(text).map_err(|error| match error.classify() {
            serde_json::error::Category::Data => ApiError::invalid("invalid_field", error),
            _ => ApiError::BadRequest {
                code: "malformed_json",
                message: format!("the body is not valid JSON: {error}"),
            },
        })?;
        check_names(state, &caller, Named::of(&body)).await?;
        Ok(Command {
            body,
            meta: RequestMeta {
                caller,
                idempotency_key,
                request_hash,
            },
        })
    }
}

/// Whether a JSON text holds `\u0000` in a string: PostgreSQL keeps no NUL in text, and no
/// name tenure stores has one, so it is refused at the edge on every database alike. (An
/// escaped backslash before `u0000` is not an escape.)
fn holds_escaped_nul(json: &[u8]) -> bool {
    let mut backslashes = 0;
    for (index, byte) in json.iter().enumerate() {
        if *byte == b'\\' {
            backslashes += 1;
            continue;
        }
        if backslashes % 2 == 1 && json[index..].starts_with(b"u0000") {
            return true;
        }
        backslashes = 0;
    }
    false
}

/// `application/json`, or a `+json` type such as `application/merge-patch+json`, with any
/// parameters (`; charset=utf-8`).
fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = value.to_str().unwrap_or("").trim();
    // Visible ASCII only (`^[!-~]+$`, as the API document says): no spaces inside.
    let visible = key.bytes().all(|byte| byte.is_ascii_graphic());
    if key.is_empty() || !visible || key.chars().count() > MAX_IDEMPOTENCY_KEY_CHARS {
        return Err(ApiError::BadRequest {
            code: "invalid_idempotency_key",
            message: format!(
                "Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY_CHARS} visible characters"
            ),
        });
    }
    Ok(Some(key.to_string()))
}

/// The success status of an endpoint, as a type, so that the OpenAPI document reads it from the
/// handler's signature.
pub trait AnswerStatus: Send + 'static {
    const STATUS: StatusCode;
}

/// 200: done, or read.
pub struct Succeeded;
/// 201: something new was made.
pub struct Created;

impl AnswerStatus for Succeeded {
    const STATUS: StatusCode = StatusCode::OK;
}

impl AnswerStatus for Created {
    const STATUS: StatusCode = StatusCode::CREATED;
}

/// A success answer whose JSON body is a `T`. The type is what the OpenAPI document shows; the
/// response itself is already written.
pub struct Answered<T, S = Succeeded> {
    response: Response,
    answer: PhantomData<fn() -> (T, S)>,
}

impl<T, S: AnswerStatus> Answered<T, S> {
    fn new(response: Response) -> Answered<T, S> {
        Answered {
            response,
            answer: PhantomData,
        }
    }
}

impl<T, S: AnswerStatus> Answered<T, S> {
    /// The saved answer of a request already committed with the same idempotency key.
    pub fn replayed(response: Response) -> Answered<T, S> {
        Answered::new(response)
    }
}

/// A success answer that is not JSON (the metrics' text, the docs page): its content type and
/// body.
/// The request's `Accept` header, as sent (empty when none).
pub struct Accepts(pub String);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Accepts {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Accepts, Self::Rejection> {
        let accept = parts
            .headers
            .get(axum::http::header::ACCEPT)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default();
        Ok(Accepts(accept.to_string()))
    }
}

impl Accepts {
    /// Whether the client asks for `media_type` and not for `instead`.
    pub fn prefers(&self, media_type: &str, instead: &str) -> bool {
        self.0.contains(media_type) && !self.0.contains(instead)
    }
}

/// A PDF answer, named `{file_name}` for a browser that saves it; as plain bytes
/// (`application/octet-stream`) to a client that asks for those and not for a PDF.
pub struct Pdf {
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub as_bytes: bool,
}

impl IntoResponse for Pdf {
    fn into_response(self) -> Response {
        let disposition = format!("inline; filename=\"{}\"", self.file_name);
        let media_type = if self.as_bytes {
            "application/octet-stream"
        } else {
            "application/pdf"
        };
        (
            [
                (axum::http::header::CONTENT_TYPE, media_type.to_string()),
                (axum::http::header::CONTENT_DISPOSITION, disposition),
            ],
            self.bytes,
        )
            .into_response()
    }
}

pub struct Text {
    pub content_type: &'static str,
    pub body: String,
}

impl IntoResponse for Text {
    fn into_response(self) -> Response {
        (
            [(axum::http::header::CONTENT_TYPE, self.content_type)],
            self.body,
        )
            .into_response()
    }
}

impl<T: Serialize> Answered<T> {
    /// A 200 answer of `value`.
    pub fn json(value: &T) -> Answered<T> {
        Answered::new(json_response(StatusCode::OK, written(value), false))
    }
}

impl<T, S> IntoResponse for Answered<T, S> {
    fn into_response(self) -> Response {
        self.response
    }
}

pub type Work<'t, T> = Pin<Box<dyn Future<Output = Result<T, EngineError>> + Send + 't>>;

/// What a request's work produced: the status and JSON body, and whether it is a replay.
pub struct Answer {
    pub status: StatusCode,
    pub body: AnswerBody,
    pub replayed: bool,
}

/// An answer's JSON: written inside the transaction when it must be saved with it (the request
/// has an idempotency key), otherwise written by the request's own task after the commit, so
/// that the store's committer, which all writes queue for, does not spend its time on it.
pub enum AnswerBody {
    Written(String),
    Deferred(Box<dyn FnOnce() -> String + Send>),
}

impl AnswerBody {
    fn deferred<T: Serialize + Send + 'static>(value: T) -> AnswerBody {
        AnswerBody::Deferred(Box::new(move || written(&value)))
    }

    fn into_text(self) -> String {
        match self {
            AnswerBody::Written(text) => text,
            AnswerBody::Deferred(write) => write(),
        }
    }
}

fn written<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("answers serialise")
}

/// Runs `work` in one transaction. With an idempotency key, the key is claimed first and the
/// answer saved before commit, in the same transaction: a replay of a committed request gets
/// the first answer. A key answers once its request began to run: the use case's refusal
/// (402, 404, 409, 422) is saved under the key too, its work undone (a savepoint), and a
/// replay answers it again. A request refused before it ran (parsing, authentication, the
/// edge's checks) never reaches here; one that could not be committed (503 `busy`) or failed
/// (500) leaves nothing behind, key included, and may be sent again.
///
/// Writes go through the store's group commit ([`tenure_store::Store::write`]): requests that
/// arrive together share a transaction and its flush, each isolated from the others, and are
/// answered once it is durable. A request may run more than once there (`work` must be
/// `Clone`: each run works on a copy), but only one run is ever committed.
pub async fn execute<T, W, S, F>(
    context: &ApiContext,
    meta: &RequestMeta,
    _status: S,
    work: F,
) -> Result<Answered<W, S>, ApiError>
where
    T: Send + 'static,
    W: From<T> + Serialize + Send + 'static,
    S: AnswerStatus,
    F: for<'t> FnOnce(&'t mut Tx) -> Work<'t, T> + Clone + Send + 'static,
{
    let status = S::STATUS;
    let engine = context.engine.clone();
    let meta = meta.clone();
    let answer = context
        .engine
        .store
        .write(move |tx| -> AnswerWork<'_> {
            let engine = engine.clone();
            let meta = meta.clone();
            let work = work.clone();
            Box::pin(async move { answer_in::<T, W, F>(&engine, tx, &meta, status, work).await })
        })
        .await?;
    Ok(Answered::new(json_response(
        answer.status,
        answer.body.into_text(),
        answer.replayed,
    )))
}

pub type AnswerWork<'t> = WriteFuture<'t, Result<Answer, ApiError>>;

/// The part of [`execute`] inside the transaction: claim the key, work, save the answer.
async fn answer_in<T, W, F>(
    engine: &tenure_engine::Engine,
    tx: &mut Tx,
    meta: &RequestMeta,
    status: StatusCode,
    work: F,
) -> Result<Answer, ApiError>
where
    W: From<T> + Serialize + Send + 'static,
    F: for<'t> FnOnce(&'t mut Tx) -> Work<'t, T>,
{
    // The events this request's work writes name its caller; the next job of the group sets
    // its own, and tenure's own steps none.
    tx.set_actor(Some(meta.caller.actor()));
    let answered = answer_as_actor::<T, W, F>(engine, tx, meta, status, work).await;
    tx.set_actor(None);
    answered
}

async fn answer_as_actor<T, W, F>(
    engine: &tenure_engine::Engine,
    tx: &mut Tx,
    meta: &RequestMeta,
    status: StatusCode,
    work: F,
) -> Result<Answer, ApiError>
where
    W: From<T> + Serialize + Send + 'static,
    F: for<'t> FnOnce(&'t mut Tx) -> Work<'t, T>,
{
    let now = engine.clock.now();
    if let Some(key) = &meta.idempotency_key {
        if let Some(replayed) = claim_key(tx, meta, key, now).await? {
            return Ok(replayed);
        }
    }
    let Some(key) = &meta.idempotency_key else {
        let value = W::from(work(tx).await?);
        return Ok(Answer {
            status,
            body: AnswerBody::deferred(value),
            replayed: false,
        });
    };
    // The work runs in a savepoint of its own: a refusal undoes what it wrote, and the key
    // keeps the refusal. A key answers once its request began to run.
    let (status, kept, shown) = match tx.attempt(async |tx: &mut Tx| work(tx).await).await? {
        Ok(value) => {
            let value = W::from(value);
            // The kept copy says a secret was shown once instead of holding it: a replay, an
            // export or a backup never shows an owner key, an API key or a signing secret.
            let kept = secret::kept_copy(|| written(&value));
            // Written again for the caller only when the kept copy withheld a secret.
            let shown = kept.withheld_secret.then_some(value);
            (status, kept.copy, shown)
        }
        Err(error) => {
            let error = ApiError::from(error);
            // A failing database or a bug is not the request's answer: the request may be
            // sent again, and nothing of it, key included, is kept.
            let Some((status, body)) = error.refusal() else {
                return Err(error);
            };
            (status, body, None)
        }
    };
    idempotency::save(
        tx,
        &meta.caller.scope(),
        key,
        &meta.request_hash,
        status.as_u16(),
        &kept,
        now,
    )
    .await
    .map_err(EngineError::from)?;
    let body = match shown {
        Some(value) => AnswerBody::Written(written(&value)),
        None => AnswerBody::Written(kept),
    };
    Ok(Answer {
        status,
        body,
        replayed: false,
    })
}

/// Keeps `error` as the answer of a request whose work runs outside [`execute`] (the clock's
/// advance, a stuck step's retry): a refusal met once the request began to run is saved
/// under its key, as `execute` saves one, and answered; any other error is handed back.
pub async fn keep_refusal<T, S: AnswerStatus>(
    context: &ApiContext,
    meta: &RequestMeta,
    error: ApiError,
) -> Result<Answered<T, S>, ApiError> {
    let (Some(key), Some((status, body))) = (meta.idempotency_key.clone(), error.refusal()) else {
        return Err(error);
    };
    let engine = context.engine.clone();
    let meta = meta.clone();
    let answer = context
        .engine
        .store
        .write(move |tx| -> AnswerWork<'_> {
            let (engine, meta, key, body) =
                (engine.clone(), meta.clone(), key.clone(), body.clone());
            Box::pin(async move {
                let now = engine.clock.now();
                if let Some(replayed) = claim_key(tx, &meta, &key, now).await? {
                    return Ok(replayed);
                }
                idempotency::save(
                    tx,
                    &meta.caller.scope(),
                    &key,
                    &meta.request_hash,
                    status.as_u16(),
                    &body,
                    now,
                )
                .await
                .map_err(EngineError::from)?;
                Ok(Answer {
                    status,
                    body: AnswerBody::Written(body),
                    replayed: false,
                })
            })
        })
        .await?;
    Ok(Answered::new(json_response(
        answer.status,
        answer.body.into_text(),
        answer.replayed,
    )))
}

/// Claims the request's idempotency `key` in `tx`: `Some` with the answer already saved under
/// it (a replay), `None` when the request is the key's first, a refusal when the key was used
/// for another request.
async fn claim_key(
    tx: &mut Tx,
    meta: &RequestMeta,
    key: &str,
    now: jiff::Timestamp,
) -> Result<Option<Answer>, ApiError> {
    match idempotency::claim(tx, &meta.caller.scope(), key, &meta.request_hash, now)
        .await
        .map_err(EngineError::from)?
    {
        Claim::New => Ok(None),
        Claim::Replay { status_code, body } => Ok(Some(Answer {
            status: StatusCode::from_u16(status_code).unwrap_or(StatusCode::OK),
            body: AnswerBody::Written(body),
            replayed: true,
        })),
        Claim::Mismatch => Err(key_reused()),
    }
}

fn key_reused() -> ApiError {
    ApiError::invalid(
        "idempotency_key_reused",
        "this Idempotency-Key was already used for a different request",
    )
}

fn json_response(status: StatusCode, body: String, replayed: bool) -> Response {
    let mut response = (
        status,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response();
    if replayed {
        response.headers_mut().insert(
            "idempotent-replayed",
            axum::http::HeaderValue::from_static("true"),
        );
    }
    response
}

/// The saved answer of an already committed request with the same key, checked before work
/// that cannot run inside the request's transaction (the clock advance).
pub async fn replay(
    context: &ApiContext,
    meta: &RequestMeta,
) -> Result<Option<Response>, ApiError> {
    let Some(key) = &meta.idempotency_key else {
        return Ok(None);
    };
    let mut connection = connection(context).await?;
    match idempotency::find(&mut connection, &meta.caller.scope(), key)
        .await
        .map_err(EngineError::from)?
    {
        None => Ok(None),
        Some((hash, _, _)) if hash != meta.request_hash => Err(key_reused()),
        Some((_, status_code, body)) => {
            let status = StatusCode::from_u16(status_code).unwrap_or(StatusCode::OK);
            Ok(Some(json_response(status, body, true)))
        }
    }
}

/// A pooled connection for a read outside any transaction.
pub async fn connection(context: &ApiContext) -> Result<Connection, ApiError> {
    Ok(context
        .engine
        .store
        .read()
        .await
        .map_err(EngineError::from)?)
}

/// Runs a read on a pooled connection and answers 200.
pub async fn read<T, W, F>(context: &ApiContext, work: F) -> Result<Answered<W>, ApiError>
where
    W: From<T> + Serialize,
    F: for<'c> FnOnce(&'c mut Connection) -> Work<'c, T>,
{
    let mut connection = connection(context).await?;
    let value = W::from(work(&mut connection).await?);
    Ok(Answered::json(&value))
}

pub use tenure_wire::{Listing, Page};

impl ListScope for Page {}

/// The page size a list asked for, checked: 1 to [`MAX_PAGE_SIZE`], or the default.
pub trait PageSize {
    fn limit(&self) -> Result<i64, ApiError>;
}

impl PageSize for Page {
    fn limit(&self) -> Result<i64, ApiError> {
        match self.limit {
            None => Ok(DEFAULT_PAGE_SIZE),
            Some(limit) if (1..=MAX_PAGE_SIZE).contains(&limit) => Ok(limit),
            Some(_) => Err(ApiError::invalid(
                "invalid_page",
                format!("`limit` must be 1 to {MAX_PAGE_SIZE}"),
            )),
        }
    }
}

/// Query-string parameters; a bad one answers `{code, message}` like every other error.
pub struct Params<T>(pub T);

impl<T: DeserializeOwned + ListScope + Send> axum::extract::FromRequestParts<ApiContext>
    for Params<T>
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &ApiContext,
    ) -> Result<Self, Self::Rejection> {
        if parts
            .uri
            .query()
            .is_some_and(|query| query.contains('\0') || query.contains("%00"))
        {
            return Err(ApiError::invalid(
                "invalid_query",
                "query parameters must not contain the NUL character (%00)",
            ));
        }
        let axum::extract::Query(mut query) =
            axum::extract::Query::<T>::from_request_parts(parts, state)
                .await
                .map_err(|rejection| ApiError::invalid("invalid_query", rejection.body_text()))?;
        if let Some(Caller::Account { account_id, .. }) = parts.extensions.get::<Caller>() {
            query.scope_to_account(account_id);
        }
        Ok(Params(query))
    }
}

#[cfg(test)]
mod tests {
    use super::holds_escaped_nul;

    #[test]
    fn finds_an_escaped_nul_and_only_that() {
        assert!(holds_escaped_nul(br#"{"name": "a\u0000b"}"#));
        assert!(holds_escaped_nul(br#"{"name": "\\\u0000"}"#));
        assert!(
            !holds_escaped_nul(br#"{"name": "\\u0000"}"#),
            "an escaped backslash"
        );
        assert!(!holds_escaped_nul(br#"{"name": "u0000"}"#));
    }
}
