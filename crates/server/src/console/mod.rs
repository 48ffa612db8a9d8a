//! The web console, served by `tenure serve` itself at `/console` (`/` leads there): pages
//! rendered on the server from maud templates compiled into the binary, one stylesheet and one
//! small script of tenure's own, no build step. Every page reads and every form acts through
//! the API in process (`api.rs`), as the signed-in caller (`session.rs`): the same use cases,
//! permissions and refusals as the API's. A page per concept under `pages/`.
//!
//! Every answer carries the headers of [`security_headers`]; a form's body is read only once
//! its session is checked, and at most the API's [`MAX_BODY_BYTES`].

mod api;
mod form;
mod layout;
mod pages;
mod session;

use axum::extract::{Request, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION, REFERRER_POLICY, SET_COOKIE,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::html;

use crate::api::MAX_BODY_BYTES;
use crate::auth::Caller;
use crate::context::ApiContext;
use form::Fields;
use layout::{answer, message, page, Nav};
use session::Session;

/// The sign-in form's body at most: its token and a key.
const SIGN_IN_BODY_BYTES: usize = 4 * 1024;

pub fn router(context: ApiContext) -> Router<ApiContext> {
    Router::new()
        .route("/", get(|| async { see_other("/console") }))
        .route("/console", get(home))
        .route("/console/assets/console.css", get(stylesheet))
        .route("/console/assets/console.js", get(script))
        .route("/console/assets/cards.js", get(cards_script))
        .route("/console/sign-in", get(sign_in_page).post(sign_in))
        .route("/console/sign-out", post(sign_out))
        .route("/console/account", post(pick_account))
        .merge(pages::router())
        .layer(axum::middleware::from_fn_with_state(
            context,
            security_headers,
        ))
}

/// The headers of every console answer: no page in a frame (clickjacking), no type guessed,
/// no page kept by a cache or a browser's history (they show balances and orders), no
/// path of the console sent to another site; and, when the console is reached over HTTPS,
/// `Secure` cookies. HTTPS is the `--secure-cookies` setting, or a request a proxy in front
/// marked `X-Forwarded-Proto: https` (a client that sends it itself only makes its own
/// cookies `Secure`). The stylesheet and script keep their `max-age`.
async fn security_headers(
    State(context): State<ApiContext>,
    request: Request,
    next: Next,
) -> Response {
    let https = context.secure_cookies || forwarded_over_https(request.headers());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    add_security_headers(headers);
    if https {
        let cookies: Vec<HeaderValue> = headers.get_all(SET_COOKIE).iter().cloned().collect();
        headers.remove(SET_COOKIE);
        for cookie in cookies {
            let secure = format!("{}; Secure", cookie.to_str().unwrap_or_default());
            headers.append(
                SET_COOKIE,
                HeaderValue::from_str(&secure).expect("a cookie tenure made, and `; Secure`"),
            );
        }
    }
    response
}

/// The policy of every console answer.
const BASE_POLICY: &str =
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

/// [`security_headers`]' headers but cookies' `Secure`. A page that set a policy of its own
/// (the card page's scripts) keeps it, after the console's.
fn add_security_headers(headers: &mut HeaderMap) {
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    let policy = match headers
        .get(CONTENT_SECURITY_POLICY)
        .and_then(|own| own.to_str().ok())
    {
        Some(own) => HeaderValue::from_str(&format!("{BASE_POLICY}; {own}"))
            .unwrap_or(HeaderValue::from_static(BASE_POLICY)),
        None => HeaderValue::from_static(BASE_POLICY),
    };
    headers.insert(CONTENT_SECURITY_POLICY, policy);
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers
        .entry(CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
}

/// Whether the first proxy in front says the request came over HTTPS.
fn forwarded_over_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(',').next())
        .is_some_and(|scheme| scheme.trim().eq_ignore_ascii_case("https"))
}

/// A console path naming nothing (an id that is not an id): 404, a page. Answered before the
/// console's routes (`path_ids.rs`), so with their headers added here.
pub fn not_found() -> Response {
    let mut response = answer(
        StatusCode::NOT_FOUND,
        page(
            None,
            "Not found",
            Nav::None,
            message("bad", "There is nothing at this address."),
        ),
    );
    add_security_headers(response.headers_mut());
    response
}

/// A redirect after a form (303: the browser GETs the new place).
pub fn see_other(location: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [(
            LOCATION,
            HeaderValue::from_str(location).expect("a console path"),
        )],
    )
        .into_response()
}

async fn stylesheet() -> Response {
    asset("text/css; charset=utf-8", layout::CSS)
}

async fn script() -> Response {
    asset("text/javascript; charset=utf-8", layout::SCRIPT)
}

async fn cards_script() -> Response {
    asset("text/javascript; charset=utf-8", layout::CARDS_SCRIPT)
}

fn asset(content_type: &'static str, text: &'static str) -> Response {
    (
        [
            (CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (CACHE_CONTROL, HeaderValue::from_static("max-age=300")),
        ],
        text,
    )
        .into_response()
}

/// A page's signed-in session, as an extractor: without one, the browser is sent to sign in.
pub struct SignedIn(pub Session);

impl axum::extract::FromRequestParts<ApiContext> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        context: &ApiContext,
    ) -> Result<SignedIn, Response> {
        signed_in(context, &parts.headers).await.map(SignedIn)
    }
}

/// A posted form with its session, its CSRF token checked (see [`forged`]).
pub struct SignedForm {
    pub session: Session,
    pub fields: Fields,
}

impl axum::extract::FromRequest<ApiContext> for SignedForm {
    type Rejection = Response;

    async fn from_request(
        request: axum::extract::Request,
        context: &ApiContext,
    ) -> Result<SignedForm, Response> {
        let (parts, body) = request.into_parts();
        // The session first: a request without one is answered before its body is read (the
        // connection, its body unread, then closes).
        let session = signed_in(context, &parts.headers).await?;
        let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
            .await
            .map_err(|_| too_large_or_unread(Some(&session)))?;
        let fields = Fields::parse(&String::from_utf8_lossy(&bytes));
        if let Some(refusal) = forged(&session, &fields) {
            return Err(refusal);
        }
        Ok(SignedForm { session, fields })
    }
}

/// The console's home: the overview for the operator, the instances for an account.
async fn home(State(context): State<ApiContext>, headers: HeaderMap) -> Response {
    match session::of_request(&context, &headers).await {
        Some(session) if session.is_operator() => see_other("/console/overview"),
        _ => see_other("/console/instances"),
    }
}

/// The session of a page's request, or the answer that sends the browser to sign in.
pub async fn signed_in(context: &ApiContext, headers: &HeaderMap) -> Result<Session, Response> {
    session::of_request(context, headers)
        .await
        .ok_or_else(|| see_other("/console/sign-in"))
}

/// A form's body too large, or not sent in time: refused, nothing done.
fn too_large_or_unread(session: Option<&Session>) -> Response {
    answer(
        StatusCode::PAYLOAD_TOO_LARGE,
        page(
            session,
            "Refused",
            Nav::None,
            message(
                "bad",
                "The form was too large, or did not arrive in time; nothing was done.",
            ),
        ),
    )
}

/// The refusal of a form whose CSRF token is not its session's: a form from anywhere else is
/// refused (403) and does nothing.
fn forged(session: &Session, fields: &Fields) -> Option<Response> {
    if session.csrf_matches(fields.one("csrf").unwrap_or("")) {
        return None;
    }
    Some(answer(
        StatusCode::FORBIDDEN,
        page(
            Some(session),
            "Refused",
            Nav::None,
            message("bad", "This form did not come from this console session; nothing was done. Reload the page and try again."),
        ),
    ))
}

async fn sign_in_page(State(_context): State<ApiContext>) -> Response {
    sign_in_form(StatusCode::OK, None)
}

fn sign_in_form(status: StatusCode, error: Option<&str>) -> Response {
    let token = session::random_token();
    let markup = page(
        None,
        "Sign in",
        Nav::None,
        html! {
            div.sign-in {
                h1 { "Sign in to tenure" }
                @if let Some(error) = error { (message("bad", error)) }
                form method="post" action="/console/sign-in" {
                    input type="hidden" name="csrf" value=(token);
                    label for="key" { "API key" }
                    input id="key" name="key" type="password" autocomplete="current-password" required;
                    p.muted { "An account key (tnr_…) shows that account; the operator key shows any account." }
                    button type="submit" { "Sign in" }
                }
            }
        },
    );
    let mut response = answer(status, markup);
    let (name, value) = session::set_cookie(session::SIGN_IN_COOKIE, &token, 600);
    response.headers_mut().append(name, value);
    response
}

async fn sign_in(State(context): State<ApiContext>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let headers = parts.headers;
    let expected = session::cookie(&headers, session::SIGN_IN_COOKIE).unwrap_or("");
    // Without the form's cookie the body is not read at all.
    let fields = if expected.is_empty() {
        Fields::parse("")
    } else {
        match axum::body::to_bytes(body, SIGN_IN_BODY_BYTES).await {
            Ok(bytes) => Fields::parse(&String::from_utf8_lossy(&bytes)),
            Err(_) => return too_large_or_unread(None),
        }
    };
    let token = fields.one("csrf").unwrap_or("");
    if expected.is_empty()
        || !crate::auth::same_in_constant_time(expected.as_bytes(), token.as_bytes())
    {
        return sign_in_form(
            StatusCode::FORBIDDEN,
            Some("The sign-in form expired; it has been renewed. Sign in again."),
        );
    }
    let key = fields.one("key").unwrap_or("").trim();
    let now = jiff::Timestamp::now().as_second();
    // The API's own resolver: the operator's key compared in constant time, else a live key.
    // The operator lands on the overview, an account on its instances.
    let (cookie, home) = match crate::auth::resolve(&context, key).await {
        Ok(Some(Caller::Operator)) => (
            session::issue(&context, "operator", None, now),
            "/console/overview",
        ),
        Ok(Some(Caller::Account { account_id, .. })) => {
            let hash = tenure_engine::access::hash_key(key);
            (
                session::issue(&context, &format!("key:{hash}"), Some(&account_id), now),
                "/console/instances",
            )
        }
        Ok(None) => {
            return sign_in_form(
                StatusCode::UNAUTHORIZED,
                Some("That key is not a live key of this tenure."),
            )
        }
        // The database could not be asked: not a wrong key, so not said to be one.
        Err(error) => {
            tracing::warn!(%error, "a console sign-in could not look up its key");
            return sign_in_form(
                StatusCode::SERVICE_UNAVAILABLE,
                Some("tenure could not check the key just now; sign in again in a moment."),
            );
        }
    };
    let mut response = see_other(home);
    let (name, value) =
        session::set_cookie(session::COOKIE_NAME, &cookie, session::SESSION_MAX_AGE);
    response.headers_mut().append(name, value);
    let (name, value) = session::set_cookie(session::SIGN_IN_COOKIE, "", 0);
    response.headers_mut().append(name, value);
    response
}

/// Only a form of the session itself signs it out (`SignedForm` checks its token). The
/// session ends on the server, on every node: a copy of its cookie is refused from now on.
async fn sign_out(
    State(context): State<ApiContext>,
    SignedForm { session, .. }: SignedForm,
) -> Response {
    if let Err(error) = session.end(&context).await {
        tracing::error!(%error, "recording a console sign-out failed");
        return answer(
            StatusCode::SERVICE_UNAVAILABLE,
            page(
                Some(&session),
                "Not signed out",
                Nav::None,
                message(
                    "bad",
                    "tenure could not record the sign-out; you are still signed in. Try again.",
                ),
            ),
        );
    }
    let mut response = see_other("/console/sign-in");
    let (name, value) = session::set_cookie(session::COOKIE_NAME, "", 0);
    response.headers_mut().append(name, value);
    response
}

/// The operator picks the account the pages show: an account id (`acct_…`), or nothing to
/// show none. Anything else is refused: it would be written into the session's cookie.
async fn pick_account(
    State(context): State<ApiContext>,
    SignedForm { session, fields }: SignedForm,
) -> Response {
    if !session.is_operator() {
        return see_other("/console/instances");
    }
    let account = fields
        .one("account")
        .map(str::trim)
        .filter(|account| !account.is_empty());
    if let Some(account) = account {
        if !is_account_id(account) {
            return answer(
                StatusCode::UNPROCESSABLE_ENTITY,
                page(
                    Some(&session),
                    "Not an account id",
                    Nav::None,
                    message(
                        "bad",
                        "That is not an account id: ids are acct_ then letters and digits, as the account's pages and the API show them.",
                    ),
                ),
            );
        }
    }
    let mut response = see_other("/console/instances");
    let (name, value) = session::set_cookie(
        session::COOKIE_NAME,
        &session.showing(&context, account),
        session.seconds_left(),
    );
    response.headers_mut().append(name, value);
    response
}

/// Whether `text` is an account's id in shape (`acct_` and the rest of an id).
fn is_account_id(text: &str) -> bool {
    text.strip_prefix("acct_")
        .is_some_and(|rest| !rest.is_empty() && crate::path_ids::is_id(text))
}
