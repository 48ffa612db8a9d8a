//! The route table: every endpoint once, with its method, path and summary. The router and the
//! OpenAPI document are both made from it, so neither can miss an endpoint.

mod accounts;
mod alerts;
mod approvals;
mod auto_renewal;
mod bill_details;
mod billing_profiles;
mod bills;
mod card_orders;
mod catalog;
mod changes;
mod clock;
mod deliveries;
mod domain_statuses;
mod events;
mod free_instances;
mod health;
mod instances;
mod invoices;
mod ledger_audit;
mod orders;
mod overview;
mod payments;
mod refunds;
mod release;
mod stuck_steps;
mod unsubscriptions;
mod usage;
mod users;
mod webhook_endpoints;

use std::collections::BTreeMap;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::handler::Handler;
use axum::http::{Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter};
use axum::Router;

use crate::api::MAX_BODY_BYTES;
use crate::auth::{authenticate, authorize};
use crate::context::ApiContext;
use crate::error::ApiError;
use crate::openapi::describe::{Described, Generators, Operation};
pub use ledger_audit::AUDIT_BATCH_ACCOUNTS;
use tenure_core::access::Permission;
pub use usage::USAGE_BODY_BYTES;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No key needed: health, metrics, the OpenAPI document.
    Public,
    /// The operator key only.
    Operator,
    /// The operator, or a key of the account the request concerns whose role has this permission.
    Account(Permission),
}

pub struct Route {
    pub method: Method,
    pub path: &'static str,
    pub summary: &'static str,
    pub access: Access,
    pub handler: MethodRouter<ApiContext>,
    /// What the handler takes and answers, read from its signature (see `openapi::describe`).
    pub describe: fn(&mut Operation, &mut Generators),
    /// Refusals of the use case beyond those every route of its kind may answer.
    pub refusals: &'static [StatusCode],
    /// What the answer makes: ids at these JSON pointers of the answer name `{id}` of the
    /// paths under these collections (OpenAPI links, which clients and fuzzers follow).
    pub makes: &'static [Made],
}

/// Something an answer makes, and where its id is.
pub struct Made {
    /// The collection its id is the `{…}` segment after, such as `/v1/instances`.
    pub collection: &'static str,
    /// The id's JSON pointer in the answer, such as `/instance/id`.
    pub id_at: &'static str,
}

impl Route {
    /// A route to `handler`, open to the operator only until [`Route::public`] or
    /// [`Route::account`] opens it.
    pub fn new<H, T, D>(
        method: Method,
        path: &'static str,
        summary: &'static str,
        handler: H,
    ) -> Route
    where
        H: Handler<T, ApiContext> + Described<D>,
        T: 'static,
    {
        let filter = MethodFilter::try_from(method.clone())
            .unwrap_or_else(|_| panic!("{method} is a method axum routes"));
        Route {
            method,
            path,
            summary,
            access: Access::Operator,
            handler: axum::routing::on(filter, handler),
            describe: <H as Described<D>>::describe,
            refusals: &[],
            makes: &[],
        }
    }

    /// Takes bodies up to `bytes` instead of [`MAX_BODY_BYTES`].
    pub fn body_limit(mut self, bytes: usize) -> Route {
        self.handler = self.handler.layer(DefaultBodyLimit::max(bytes));
        self
    }

    /// Declares what the answer makes (see [`Made`]).
    pub fn makes(mut self, made: &'static [Made]) -> Route {
        self.makes = made;
        self
    }

    /// Declares refusals particular to this use case (402 when it takes payment, say).
    pub fn refuses(mut self, refusals: &'static [StatusCode]) -> Route {
        self.refusals = refusals;
        self
    }

    pub fn public(mut self) -> Route {
        self.access = Access::Public;
        self
    }

    /// Opens the route to keys of the account concerned that have `permission`.
    pub fn account(mut self, permission: Permission) -> Route {
        self.access = Access::Account(permission);
        self
    }
}

/// Every route of the API.
pub fn table() -> Vec<Route> {
    [
        health::routes(),
        catalog::routes(),
        accounts::routes(),
        instances::routes(),
        auto_renewal::routes(),
        changes::routes(),
        approvals::routes(),
        orders::routes(),
        unsubscriptions::routes(),
        refunds::routes(),
        users::routes(),
        events::routes(),
        clock::routes(),
        ledger_audit::routes(),
        usage::routes(),
        bills::routes(),
        bill_details::routes(),
        free_instances::routes(),
        release::routes(),
        domain_statuses::routes(),
        alerts::routes(),
        billing_profiles::routes(),
        webhook_endpoints::routes(),
        stuck_steps::routes(),
        deliveries::routes(),
        payments::routes(),
        invoices::routes(),
        overview::routes(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

pub fn router(context: ApiContext) -> Router {
    // Keys are checked per method, not per path: a method the path does not take answers 405
    // with what it takes, key or no key.
    let mut by_path: BTreeMap<&'static str, MethodRouter<ApiContext>> = BTreeMap::new();
    let mut methods_by_path: BTreeMap<&'static str, Vec<Method>> = BTreeMap::new();
    for route in table() {
        methods_by_path
            .entry(route.path)
            .or_default()
            .push(route.method.clone());
        let mut handler = route.handler;
        if route.access != Access::Public {
            handler = handler
                .route_layer(middleware::from_fn_with_state(
                    (context.clone(), route.access),
                    authorize,
                ))
                .route_layer(middleware::from_fn_with_state(
                    context.clone(),
                    authenticate,
                ));
        }
        let merged = match by_path.remove(route.path) {
            Some(existing) => existing.merge(handler),
            None => handler,
        };
        by_path.insert(route.path, merged);
    }
    let mut routes = Router::new();
    for (path, handler) in by_path {
        let mut allowed = methods_by_path.remove(path).unwrap_or_default();
        if allowed.contains(&Method::GET) {
            allowed.push(Method::HEAD);
        }
        let allowed: Vec<String> = allowed.iter().map(ToString::to_string).collect();
        let allowed = allowed.join(", ");
        routes = routes.route(
            path,
            handler.fallback(move |method: Method, uri: axum::http::Uri| {
                let allowed = allowed.clone();
                async move { method_not_allowed(&method, uri.path(), &allowed) }
            }),
        );
    }
    routes
        // `/docs`'s viewer script, shipped inside the binary (not an operation of the API).
        .route(
            crate::openapi::VIEWER_PATH,
            axum::routing::get(crate::openapi::viewer_script),
        )
        .merge(crate::console::router(context.clone()))
        .route_layer(middleware::from_fn(
            crate::path_ids::refuse_ids_that_are_not_ids,
        ))
        .route_layer(middleware::from_fn(crate::request_log::note_route))
        .fallback(no_route)
        .layer(middleware::from_fn(refuse_nul_in_path))
        .layer(middleware::from_fn(crate::edge_answers::refusals_as_json))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            crate::edge_answers::panic_as_json,
        ))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn_with_state(
            context.clone(),
            count_responses,
        ))
        .layer(middleware::from_fn_with_state(
            context.metrics.clone(),
            crate::request_log::log_request,
        ))
        .with_state(context)
}

/// A method the path does not take: 405 with what it takes, in the `allow` header and in words.
fn method_not_allowed(method: &Method, path: &str, allowed: &str) -> Response {
    let mut answer =
        ApiError::MethodNotAllowed(format!("{path} does not take {method}; it takes {allowed}"))
            .into_response();
    if let Ok(value) = axum::http::HeaderValue::from_str(allowed) {
        answer
            .headers_mut()
            .insert(axum::http::header::ALLOW, value);
    }
    answer
}

/// A path with a NUL character (`%00`) names nothing tenure keeps; refused before routing, on
/// every database alike (PostgreSQL keeps no NUL in text).
async fn refuse_nul_in_path(request: Request, next: Next) -> Response {
    // (`%00` has no letters: no case to fold.)
    if request.uri().path().contains("%00") {
        return ApiError::BadRequest {
            code: "bad_request",
            message: "the path must not contain the NUL character (%00)".to_string(),
        }
        .into_response();
    }
    next.run(request).await
}

async fn no_route(method: Method, uri: axum::http::Uri) -> ApiError {
    ApiError::NoRoute(format!("{method} {}", uri.path()))
}

async fn count_responses(
    State(context): State<ApiContext>,
    request: Request,
    next: Next,
) -> Response {
    let response = next.run(request).await;
    context.metrics.count_response(response.status().as_u16());
    response
}
