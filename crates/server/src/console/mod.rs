//! The web console, served by `tenure serve` itself at `/console` (`/` leads there): pages
//! rendered on the server from maud templates compiled into the binary, one stylesheet and one
//! small script of tenure's own, no build step. Every page reads and every form acts through
//! the API in process (`api.rs`), as the signed-in caller (`session.rs`): the same use cases,
//! permissions and refusals as the API's. A page per concept under `pages/`.

mod api;
mod form;
mod layout;
mod pages;
mod session;

use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::html;

use crate::context::ApiContext;
use form::Fields;
use layout::{answer, message, page, Nav};
use session::Session;

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route("/", get(|| async { see_other("/console") }))
        .route(
            "/console",
            get(|| async { see_other("/console/instances") }),
        )
        .route("/console/assets/console.css", get(stylesheet))
        .route("/console/assets/console.js", get(script))
        .route("/console/sign-in", get(sign_in_page).post(sign_in))
        .route("/console/sign-out", post(sign_out))
        .route("/console/account", post(pick_account))
        .merge(pages::router())
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

/// A posted form with its session, its CSRF token checked (see [`signed_form`]).
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
        let bytes = axum::body::to_bytes(body, 1024 * 1024)
            .await
            .map_err(|_| see_other("/console"))?;
        let fields = Fields::parse(&String::from_utf8_lossy(&bytes));
        let session = signed_form(context, &parts.headers, &fields).await?;
        Ok(SignedForm { session, fields })
    }
}

/// The session of a page's request, or the answer that sends the browser to sign in.
pub async fn signed_in(context: &ApiContext, headers: &HeaderMap) -> Result<Session, Response> {
    session::of_request(context, headers)
        .await
        .ok_or_else(|| see_other("/console/sign-in"))
}

/// The session of a form's request, its CSRF token checked: a form from anywhere else is
/// refused (403) and does nothing.
pub async fn signed_form(
    context: &ApiContext,
    headers: &HeaderMap,
    fields: &Fields,
) -> Result<Session, Response> {
    let session = signed_in(context, headers).await?;
    if !session.csrf_matches(fields.one("csrf").unwrap_or("")) {
        return Err(answer(
            StatusCode::FORBIDDEN,
            page(
                Some(&session),
                "Refused",
                Nav::None,
                message("bad", "This form did not come from this console session; nothing was done. Reload the page and try again."),
            ),
        ));
    }
    Ok(session)
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

async fn sign_in(State(context): State<ApiContext>, headers: HeaderMap, body: String) -> Response {
    let fields = Fields::parse(&body);
    let expected = session::cookie(&headers, session::SIGN_IN_COOKIE).unwrap_or("");
    let token = fields.one("csrf").unwrap_or("");
    if expected.is_empty() || expected != token {
        return sign_in_form(
            StatusCode::FORBIDDEN,
            Some("The sign-in form expired; it has been renewed. Sign in again."),
        );
    }
    let key = fields.one("key").unwrap_or("").trim();
    let now = jiff::Timestamp::now().as_second();
    let cookie = if crate::auth::KeyHash::of(key) == context.admin_key {
        session::issue(&context, "operator", None, now)
    } else {
        let hash = tenure_engine::access::hash_key(key);
        let found = match context.engine.store.read().await {
            Ok(mut connection) => tenure_store::keys::find_live(&mut connection, &hash)
                .await
                .ok()
                .flatten(),
            Err(_) => None,
        };
        match found {
            Some(found) => session::issue(
                &context,
                &format!("key:{hash}"),
                Some(&found.account_id),
                now,
            ),
            None => {
                return sign_in_form(
                    StatusCode::UNAUTHORIZED,
                    Some("That key is not a live key of this tenure."),
                )
            }
        }
    };
    let mut response = see_other("/console/instances");
    let (name, value) =
        session::set_cookie(session::COOKIE_NAME, &cookie, session::SESSION_MAX_AGE);
    response.headers_mut().append(name, value);
    let (name, value) = session::set_cookie(session::SIGN_IN_COOKIE, "", 0);
    response.headers_mut().append(name, value);
    response
}

/// Only a form of the session itself signs it out (`SignedForm` checks its token).
async fn sign_out(_form: SignedForm) -> Response {
    let mut response = see_other("/console/sign-in");
    let (name, value) = session::set_cookie(session::COOKIE_NAME, "", 0);
    response.headers_mut().append(name, value);
    response
}

/// The operator picks the account the pages show.
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
    let mut response = see_other("/console/instances");
    let (name, value) = session::set_cookie(
        session::COOKIE_NAME,
        &session.showing(&context, account),
        session::SESSION_MAX_AGE,
    );
    response.headers_mut().append(name, value);
    response
}
