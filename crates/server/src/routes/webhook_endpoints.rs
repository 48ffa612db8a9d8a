//! The operator's webhook endpoints: where tenure POSTs the events an operator's systems act
//! on, signed as Standard Webhooks sign (README: Webhooks).

use axum::extract::{Path, State};
use axum::http::Method;
use tenure_engine::webhook_endpoints::NewWebhookEndpoint;
use tenure_wire::webhooks::{
    CreateEndpoint, DeletedEndpoint, EndpointAction, EndpointWithSecret, WebhookEndpoint,
};

use super::{Made, Route};
use crate::api::{
    execute, read, Answered, Command, Created, Listing, Page, PageSize, Params, Succeeded,
};
use crate::auth::BodyNames;
use crate::context::ApiContext;
use crate::error::ApiError;

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::POST,
            "/v1/webhook-endpoints",
            "Add a webhook endpoint: its URL and the event types it hears of; answers its signing secret once",
            create,
        )
        .makes(&[Made {
            collection: "/v1/webhook-endpoints",
            id_at: "/id",
        }]),
        Route::new(
            Method::GET,
            "/v1/webhook-endpoints",
            "The webhook endpoints (never their secrets)",
            list,
        ),
        Route::new(
            Method::GET,
            "/v1/webhook-endpoints/{id}",
            "One webhook endpoint (never its secret)",
            show,
        ),
        Route::new(
            Method::DELETE,
            "/v1/webhook-endpoints/{id}",
            "Delete a webhook endpoint: nothing more is sent to it",
            delete,
        ),
        Route::new(
            Method::POST,
            "/v1/webhook-endpoints/{id}/rotate-secret",
            "Give an endpoint a new signing secret, answered once; messages are signed with it from now on",
            rotate_secret,
        ),
    ]
}

/// Names nothing an account key must own: the route is the operator's.
impl BodyNames for CreateEndpoint {}

/// Names nothing an account key must own: the route is the operator's.
impl BodyNames for EndpointAction {}

async fn create(
    State(context): State<ApiContext>,
    command: Command<CreateEndpoint>,
) -> Result<Answered<EndpointWithSecret, Created>, ApiError> {
    let body = command.body;
    let new = NewWebhookEndpoint {
        url: body.url,
        events: body.events,
        description: body.description,
    };
    let engine = context.engine.clone();
    execute(&context, &command.meta, Created, move |tx| {
        Box::pin(async move { engine.create_webhook_endpoint(tx, new).await })
    })
    .await
}

async fn list(
    State(context): State<ApiContext>,
    Params(page): Params<Page>,
) -> Result<Answered<Listing<WebhookEndpoint>>, ApiError> {
    let limit = page.limit()?;
    let engine = context.engine.clone();
    read(&context, move |connection| {
        Box::pin(async move {
            let found = engine
                .list_webhook_endpoints(connection, page.after.as_deref(), limit)
                .await?;
            Ok(Listing::new(found, limit, |endpoint| endpoint.id.clone()).map())
        })
    })
    .await
}

async fn show(
    State(context): State<ApiContext>,
    Path(endpoint_id): Path<String>,
) -> Result<Answered<WebhookEndpoint>, ApiError> {
    let engine = context.engine.clone();
    read(&context, move |connection| {
        Box::pin(async move { engine.webhook_endpoint(connection, &endpoint_id).await })
    })
    .await
}

async fn delete(
    State(context): State<ApiContext>,
    Path(endpoint_id): Path<String>,
    command: Command<EndpointAction>,
) -> Result<Answered<DeletedEndpoint>, ApiError> {
    let engine = context.engine.clone();
    execute(&context, &command.meta, Succeeded, move |tx| {
        Box::pin(async move { engine.delete_webhook_endpoint(tx, &endpoint_id).await })
    })
    .await
}

async fn rotate_secret(
    State(context): State<ApiContext>,
    Path(endpoint_id): Path<String>,
    command: Command<EndpointAction>,
) -> Result<Answered<EndpointWithSecret>, ApiError> {
    let engine = context.engine.clone();
    execute(&context, &command.meta, Succeeded, move |tx| {
        Box::pin(async move { engine.rotate_webhook_secret(tx, &endpoint_id).await })
    })
    .await
}
