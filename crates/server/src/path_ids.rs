//! Ids in paths. Every id tenure makes is a prefix and hexadecimal or digits (`inst_0191d2…`,
//! `acct_000001`): letters, digits, `_` and `-`. A path whose `{id}` is anything else (a space,
//! CR or LF, an encoded `/` or `?`) names nothing, and answers 404 before any handler runs, on
//! the API and the console alike: such text never reaches a query, a header, a log's fields or
//! the path of the console's calls to the API in process.

use axum::extract::{RawPathParams, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tenure_engine::EngineError;

use crate::error::ApiError;

/// The longest id taken (tenure's are 30 characters or fewer).
pub const MAX_ID_CHARS: usize = 64;

/// Whether `text` has the shape of an id tenure makes.
pub fn is_id(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= MAX_ID_CHARS
        && text
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-')
}

/// A route layer: a matched path whose parameters are not all ids answers 404 (a console page
/// on the console's paths, `{code, message}` on the API's).
pub async fn refuse_ids_that_are_not_ids(
    parameters: Result<RawPathParams, axum::extract::rejection::RawPathParamsRejection>,
    request: Request,
    next: Next,
) -> Response {
    // A path that does not decode (not UTF-8) is the extractors' to refuse, as before.
    let not_an_id = parameters
        .ok()
        .is_some_and(|parameters| parameters.iter().any(|(_, value)| !is_id(value)));
    if !not_an_id {
        return next.run(request).await;
    }
    if request.uri().path().starts_with("/console") {
        return crate::console::not_found();
    }
    ApiError::Engine(EngineError::NotFound {
        entity: "resource",
        id: "(not an id: ids are letters, digits, `_` and `-`)".to_string(),
    })
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::is_id;

    #[test]
    fn ids_are_letters_digits_underscores_and_hyphens() {
        for id in [
            "inst_0191d2c3a4b5c6d7e8f9",
            "acct_000001",
            "approve",
            "tps-1000",
        ] {
            assert!(is_id(id), "{id}");
        }
        for text in [
            "",
            "a b",
            "a\r\nb",
            "a/b",
            "a?b",
            "a%2Fb",
            "a|9",
            "a.b",
            &"a".repeat(65),
        ] {
            assert!(!is_id(text), "{text:?}");
        }
    }
}
