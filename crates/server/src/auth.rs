//! Authentication. The operator key (env `TENURE_ADMIN_KEY`) is kept only as a SHA-256 hash
//! and compared in constant time.

use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::Response;
use sha2::{Digest, Sha256};

use crate::context::ApiContext;
use crate::error::ApiError;

#[derive(Clone, PartialEq, Eq)]
pub struct KeyHash([u8; 32]);

impl KeyHash {
    pub fn of(key: &str) -> KeyHash {
        KeyHash(Sha256::digest(key.as_bytes()).into())
    }

    fn matches(&self, other: &KeyHash) -> bool {
        self.0
            .iter()
            .zip(other.0.iter())
            .fold(0u8, |difference, (left, right)| difference | (left ^ right))
            == 0
    }
}

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    Operator,
}

impl Caller {
    /// The namespace of the caller's idempotency keys.
    pub fn scope(&self) -> &'static str {
        match self {
            Caller::Operator => "operator",
        }
    }
}

pub async fn require_key(
    State(context): State<ApiContext>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let presented = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .ok_or(ApiError::Unauthorized)?;
    if !context.admin_key.matches(&KeyHash::of(presented.trim())) {
        return Err(ApiError::Unauthorized);
    }
    request.extensions_mut().insert(Caller::Operator);
    Ok(next.run(request).await)
}

/// PERMISSION HOOK (issue 7 is not done): may `caller` unsubscribe resources of `account_id`?
/// Reference 004: only the account owner and users granted the billing permission (like
/// AliyunBSSFullAccess) may. Today the only caller is the operator, who acts for every
/// account, so this allows it; when account keys and users arrive, this is the one place that
/// must answer for them (owner or billing user of `account_id`: yes; anyone else: 403).
pub fn may_unsubscribe(caller: &Caller, account_id: &str) -> Result<(), ApiError> {
    match caller {
        Caller::Operator => Ok(()),
        #[allow(unreachable_patterns)]
        _ => Err(ApiError::Forbidden {
            code: "permission_denied",
            message: format!(
                "only the owner of account {account_id} or a user with the billing permission may unsubscribe its resources"
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_operator_may_unsubscribe_for_any_account() {
        assert!(may_unsubscribe(&Caller::Operator, "acct_1").is_ok());
    }
}
