use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use tenure_engine::EngineError;

/// How long a client told 503 `busy` waits before sending again (`Retry-After`, seconds).
const RETRY_AFTER_SECONDS: &str = "1";

/// Every error an endpoint answers: a status and `{"code": "...", "message": "..."}`.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("a bearer key is required: send `Authorization: Bearer <key>`")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("{message}")]
    Unprocessable { code: &'static str, message: String },
    #[error("{0}")]
    TooLarge(String),
    /// The body did not arrive within the server's body read timeout.
    #[error("{0}")]
    TimedOut(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("no endpoint {0}")]
    NoRoute(String),
    #[error(transparent)]
    Engine(#[from] EngineError),
}

impl ApiError {
    /// 400: the request itself cannot be read (a signature that does not match, say).
    pub fn bad_request(code: &'static str, message: impl ToString) -> ApiError {
        ApiError::BadRequest {
            code,
            message: message.to_string(),
        }
    }

    pub fn invalid(code: &'static str, message: impl ToString) -> ApiError {
        ApiError::Unprocessable {
            code,
            message: message.to_string(),
        }
    }

    /// The status and JSON body of a use case's refusal (404, 409, 402, 422 from the engine),
    /// which an idempotency key keeps as its answer; `None` for a failure of the database or
    /// of tenure (503, 500), which the request may be sent again past.
    pub fn refusal(&self) -> Option<(StatusCode, String)> {
        let ApiError::Engine(error) = self else {
            return None;
        };
        // Neither a failing database, nor an unanswered payment provider, nor an earlier request
        // with the same key still running is the request's answer: it may be sent again, and
        // learns the outcome then.
        if matches!(
            error,
            EngineError::Store(_)
                | EngineError::ProviderUnanswered { .. }
                | EngineError::StillRunning { .. }
        ) {
            return None;
        }
        let (status, code) = self.status_and_code();
        let body = json!({ "code": code, "message": self.to_string() }).to_string();
        Some((status, body))
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::BadRequest { code, .. } => (StatusCode::BAD_REQUEST, code),
            ApiError::Unprocessable { code, .. } => (StatusCode::UNPROCESSABLE_ENTITY, code),
            ApiError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large"),
            ApiError::TimedOut(_) => (StatusCode::REQUEST_TIMEOUT, "body_timeout"),
            ApiError::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            ApiError::MethodNotAllowed(_) => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            ApiError::NoRoute(_) => (StatusCode::NOT_FOUND, "no_such_endpoint"),
            ApiError::Engine(error) => {
                let status = match error {
                    EngineError::NotFound { .. } => StatusCode::NOT_FOUND,
                    EngineError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
                    EngineError::Refused { .. } => StatusCode::CONFLICT,
                    EngineError::PaymentRequired { .. } => StatusCode::PAYMENT_REQUIRED,
                    // A write that could not commit, or a database lost or full under the
                    // request: not a bug of tenure, and the request may be sent again.
                    EngineError::Store(error) if error.is_unavailable() => {
                        return (StatusCode::SERVICE_UNAVAILABLE, "busy")
                    }
                    EngineError::ProviderUnanswered { .. } => StatusCode::SERVICE_UNAVAILABLE,
                    EngineError::StillRunning { .. } => StatusCode::CONFLICT,
                    EngineError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
                };
                (status, error.code())
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let provider_unanswered = matches!(
            self,
            ApiError::Engine(EngineError::ProviderUnanswered { .. })
        );
        let message = if provider_unanswered {
            tracing::warn!(error = %self, "payment provider did not answer");
            self.to_string()
        } else if status == StatusCode::SERVICE_UNAVAILABLE {
            tracing::warn!(error = %self, "request not committed");
            "tenure could not commit the request now; nothing was changed. Try again.".to_string()
        } else if status == StatusCode::INTERNAL_SERVER_ERROR {
            // Database details stay in the log, never in an answer.
            tracing::error!(error = %self, "request failed");
            "tenure could not complete the request; nothing was changed. Try again.".to_string()
        } else {
            self.to_string()
        };
        let mut response =
            (status, Json(json!({ "code": code, "message": message }))).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static(RETRY_AFTER_SECONDS),
            );
        }
        response
    }
}

/// A store failure met outside a use case (the store's group commit): an internal error, or
/// 503 when the write may simply be sent again.
impl From<tenure_store::StoreError> for ApiError {
    fn from(error: tenure_store::StoreError) -> Self {
        ApiError::Engine(EngineError::Store(error))
    }
}
