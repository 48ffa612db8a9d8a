//! Console sessions: a cookie signed by the server, `HttpOnly`, `SameSite=Strict`, holding who
//! signed in (the operator, or the SHA-256 of an account key, never the key) and until when;
//! every request checks the signature and, for an account key, that the key is still live, so
//! a revoked key's sessions end with it. Every form carries a CSRF token bound to the session
//! (an HMAC of it), checked on every POST. The signing key is derived from the operator key,
//! which every node of one deployment shares.

use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use tenure_core::access::Role;

use crate::auth::Caller;
use crate::context::ApiContext;

pub const COOKIE_NAME: &str = "tenure_session";
/// The sign-in form's own token (double-submitted: cookie and field), before there is a session.
pub const SIGN_IN_COOKIE: &str = "tenure_sign_in";
/// How long a session lasts.
const SESSION_SECONDS: i64 = 12 * 3600;

/// A signed-in console user.
#[derive(Debug, Clone)]
pub struct Session {
    pub caller: Caller,
    /// The account the pages show: the caller's own, or the one the operator picked.
    pub account_id: Option<String>,
    /// The token every form of this session carries.
    pub csrf: String,
    payload: String,
}

impl Session {
    pub fn is_operator(&self) -> bool {
        self.caller == Caller::Operator
    }

    /// Whether the caller's role allows `permission` (the operator's allows everything).
    pub fn allows(&self, permission: tenure_core::access::Permission) -> bool {
        match &self.caller {
            Caller::Operator => true,
            Caller::Account { role, .. } => role.allows(permission),
        }
    }

    pub fn role_name(&self) -> &'static str {
        match &self.caller {
            Caller::Operator => "operator",
            Caller::Account { role, .. } => role.as_str(),
        }
    }
}

fn signing_key(context: &ApiContext) -> Vec<u8> {
    let mut hasher = Sha256::new();
    hasher.update(b"tenure console session\0");
    hasher.update(context.admin_key.as_bytes());
    hasher.finalize().to_vec()
}

fn mac(context: &ApiContext, purpose: &str, text: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(&signing_key(context)).expect("HMAC takes any key");
    mac.update(purpose.as_bytes());
    mac.update(b"\0");
    mac.update(text.as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// The value of cookie `name` in a request's headers.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// A `Set-Cookie` header for the console's paths.
pub fn set_cookie(
    name: &str,
    value: &str,
    max_age_seconds: i64,
) -> (axum::http::HeaderName, HeaderValue) {
    let header = format!(
        "{name}={value}; Path=/console; HttpOnly; SameSite=Strict; Max-Age={max_age_seconds}"
    );
    (
        SET_COOKIE,
        HeaderValue::from_str(&header).expect("cookie values are base64url"),
    )
}

/// The cookie of a new session for `who` (`operator` or `key:<hash hex>`), showing
/// `account_id`.
pub fn issue(context: &ApiContext, who: &str, account_id: Option<&str>, now: i64) -> String {
    let payload = format!(
        "{who}|{}|{}",
        account_id.unwrap_or(""),
        now + SESSION_SECONDS
    );
    let encoded = URL_SAFE_NO_PAD.encode(payload.as_bytes());
    format!("{encoded}.{}", mac(context, "session", &payload))
}

/// The session of a request, if it has a valid one.
pub async fn of_request(context: &ApiContext, headers: &HeaderMap) -> Option<Session> {
    let cookie = cookie(headers, COOKIE_NAME)?;
    let (encoded, signature) = cookie.split_once('.')?;
    let payload = String::from_utf8(URL_SAFE_NO_PAD.decode(encoded).ok()?).ok()?;
    if !crate::auth::same_in_constant_time(
        signature.as_bytes(),
        mac(context, "session", &payload).as_bytes(),
    ) {
        return None;
    }
    let mut parts = payload.split('|');
    let who = parts.next()?;
    let account = parts.next()?;
    let expires: i64 = parts.next()?.parse().ok()?;
    if expires < jiff::Timestamp::now().as_second() {
        return None;
    }
    let account = (!account.is_empty()).then(|| account.to_string());
    let (caller, account_id) = if who == "operator" {
        (Caller::Operator, account)
    } else {
        let hash = who.strip_prefix("key:")?;
        let mut connection = context.engine.store.read().await.ok()?;
        let key = tenure_store::keys::find_live(&mut connection, hash)
            .await
            .ok()??;
        let role: Role = key.role.parse().ok()?;
        let account_id = key.account_id.clone();
        (
            Caller::Account {
                account_id: key.account_id,
                key_id: key.id,
                role,
            },
            Some(account_id),
        )
    };
    Some(Session {
        caller,
        account_id,
        csrf: mac(context, "csrf", &payload),
        payload,
    })
}

impl Session {
    /// Whether `token` is this session's CSRF token.
    pub fn csrf_matches(&self, token: &str) -> bool {
        crate::auth::same_in_constant_time(token.as_bytes(), self.csrf.as_bytes())
    }

    /// The same session showing another account (the operator's pick).
    pub fn showing(&self, context: &ApiContext, account_id: Option<&str>) -> String {
        let who = self.payload.split('|').next().unwrap_or("operator");
        issue(context, who, account_id, jiff::Timestamp::now().as_second())
    }
}

/// A random token for the sign-in form.
pub fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 24]>())
}

pub const SESSION_MAX_AGE: i64 = SESSION_SECONDS;
