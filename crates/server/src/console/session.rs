//! Console sessions: a cookie signed by the server, `HttpOnly`, `SameSite=Strict`, holding the
//! session's random id, who signed in (the operator, or the SHA-256 of an account key, never
//! the key), the account shown and until when; every request checks the signature, that the
//! session was not signed out (`console_sessions_ended`, shared by every node on the database)
//! and, for an account key, that the key is still live, so a revoked key's sessions end with it.
//! Every form carries a CSRF token bound to the session (an HMAC of it), checked on every POST.
//!
//! The signing key is random: the deployment's, kept in the database or given by
//! `--console-session-key` (`ApiContext::console_session_key`), never derived from the operator
//! key, so a cookie tells its holder nothing about a key that signs anyone else's session.

use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

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
    payload: Payload,
}

/// What a session's cookie says, signed.
#[derive(Debug, Clone)]
struct Payload {
    /// Random: what signing out records as ended.
    id: String,
    /// `operator` or `key:<hash hex>`.
    who: String,
    /// An account id, or empty.
    account_id: String,
    /// Unix seconds.
    expires_at: i64,
}

impl Payload {
    fn text(&self) -> String {
        format!(
            "{}|{}|{}|{}",
            self.id, self.who, self.account_id, self.expires_at
        )
    }

    fn parse(text: &str) -> Option<Payload> {
        let mut parts = text.split('|');
        let payload = Payload {
            id: parts.next()?.to_string(),
            who: parts.next()?.to_string(),
            account_id: parts.next()?.to_string(),
            expires_at: parts.next()?.parse().ok()?,
        };
        parts.next().is_none().then_some(payload)
    }

    /// The cookie: the payload and its signature.
    fn signed(&self, context: &ApiContext) -> String {
        let text = self.text();
        let encoded = URL_SAFE_NO_PAD.encode(text.as_bytes());
        format!("{encoded}.{}", mac(context, "session", &text))
    }
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

fn mac(context: &ApiContext, purpose: &str, text: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(&context.console_session_key).expect("HMAC takes any key");
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
    Payload {
        id: random_token(),
        who: who.to_string(),
        account_id: account_id.unwrap_or("").to_string(),
        expires_at: now + SESSION_SECONDS,
    }
    .signed(context)
}

/// The session of a request, if it has a valid one.
pub async fn of_request(context: &ApiContext, headers: &HeaderMap) -> Option<Session> {
    let cookie = cookie(headers, COOKIE_NAME)?;
    let (encoded, signature) = cookie.split_once('.')?;
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(encoded).ok()?).ok()?;
    if !crate::auth::same_in_constant_time(
        signature.as_bytes(),
        mac(context, "session", &text).as_bytes(),
    ) {
        return None;
    }
    let payload = Payload::parse(&text)?;
    if payload.expires_at < jiff::Timestamp::now().as_second() {
        return None;
    }
    let mut connection = context.engine.store.read().await.ok()?;
    if tenure_store::console_sessions::has_ended(&mut connection, &payload.id)
        .await
        .ok()?
    {
        return None;
    }
    let account = (!payload.account_id.is_empty()).then(|| payload.account_id.clone());
    let (caller, account_id) = if payload.who == "operator" {
        (Caller::Operator, account)
    } else {
        let hash = payload.who.strip_prefix("key:")?;
        let caller = crate::auth::account_caller(context, &mut connection, hash)
            .await
            .ok()??;
        let Caller::Account { account_id, .. } = &caller else {
            return None;
        };
        let account_id = account_id.clone();
        (caller, Some(account_id))
    };
    Some(Session {
        caller,
        account_id,
        // Bound to the session, not to the account shown: a pick in one tab leaves the
        // forms of another working.
        csrf: mac(context, "csrf", &payload.id),
        payload,
    })
}

impl Session {
    /// Whether `token` is this session's CSRF token.
    pub fn csrf_matches(&self, token: &str) -> bool {
        crate::auth::same_in_constant_time(token.as_bytes(), self.csrf.as_bytes())
    }

    /// The cookie of this session showing another account (the operator's pick): the same
    /// session (signing out ends it), expiring when it would have.
    pub fn showing(&self, context: &ApiContext, account_id: Option<&str>) -> String {
        Payload {
            account_id: account_id.unwrap_or("").to_string(),
            ..self.payload.clone()
        }
        .signed(context)
    }

    /// Seconds until the session expires, for its cookie's `Max-Age`.
    pub fn seconds_left(&self) -> i64 {
        (self.payload.expires_at - jiff::Timestamp::now().as_second()).max(0)
    }

    /// Ends the session on every node: its cookie, wherever it was copied, is refused from now.
    pub async fn end(&self, context: &ApiContext) -> Result<(), tenure_store::StoreError> {
        let id = self.payload.id.clone();
        let expires_at = self.payload.expires_at;
        let now = jiff::Timestamp::now().as_second();
        context
            .engine
            .store
            .write(move |tx| {
                let id = id.clone();
                Box::pin(async move {
                    tenure_store::console_sessions::end(tx, &id, expires_at, now).await
                })
            })
            .await
    }
}

/// A random token for the sign-in form.
pub fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 24]>())
}

pub const SESSION_MAX_AGE: i64 = SESSION_SECONDS;
