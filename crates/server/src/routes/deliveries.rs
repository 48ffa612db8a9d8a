//! The delivery log (operator): every email, SMS and webhook message tenure sent or is
//! sending, with each attempt, and a retry of one that failed. See `tenure-delivery`.

use axum::extract::{Path, State};
use axum::http::Method;
use tenure_core::delivery::DeliveryStatus;
use tenure_store::deliveries::DeliveryFilter;
use tenure_wire::deliveries::{Delivery, DeliveryQuery, RetryDelivery};

use super::Route;
use crate::api::{execute, read, Answered, Command, Listing, Page, PageSize, Params, Succeeded};
use crate::auth::{BodyNames, ListScope};
use crate::context::ApiContext;
use crate::error::ApiError;

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::GET,
            "/v1/deliveries",
            "The delivery log: each email, SMS and webhook message with its status and every attempt (time, answer code or error, duration), filtered by notice, event, endpoint and status (operator)",
            list,
        ),
        Route::new(
            Method::GET,
            "/v1/deliveries/{id}",
            "One delivery with its attempts (operator)",
            show,
        ),
        Route::new(
            Method::POST,
            "/v1/deliveries/{id}/retry",
            "Send a pending or failed delivery again now, its attempts kept; a sent one is refused (operator)",
            retry,
        )
        .refuses(&[axum::http::StatusCode::CONFLICT]),
    ]
}

/// The operator's alone: a delivery names the operator's endpoints.
impl ListScope for DeliveryQuery {}

async fn list(
    State(context): State<ApiContext>,
    Params(query): Params<DeliveryQuery>,
) -> Result<Answered<Listing<Delivery>>, ApiError> {
    let limit = Page {
        limit: query.limit,
        after: None,
    }
    .limit()?;
    if let Some(status) = &query.status {
        status
            .parse::<DeliveryStatus>()
            .map_err(|message| ApiError::invalid("invalid_query", message))?;
    }
    let filter = DeliveryFilter {
        account_id: None,
        notice_id: query.notice,
        event_id: query.event,
        endpoint_id: query.endpoint,
        status: query.status,
    };
    let engine = context.engine.clone();
    read(&context, move |connection| {
        Box::pin(async move {
            let found = engine
                .list_deliveries(connection, &filter, query.after.as_deref(), limit)
                .await?;
            Ok(Listing::new(found, limit, |delivery| delivery.id.clone()).map())
        })
    })
    .await
}

async fn show(
    State(context): State<ApiContext>,
    Path(id): Path<String>,
) -> Result<Answered<Delivery>, ApiError> {
    let engine = context.engine.clone();
    read(&context, move |connection| {
        Box::pin(async move { engine.delivery(connection, &id).await })
    })
    .await
}

/// Names nothing: the route is the operator's.
impl BodyNames for RetryDelivery {}

async fn retry(
    State(context): State<ApiContext>,
    Path(id): Path<String>,
    command: Command<RetryDelivery>,
) -> Result<Answered<Delivery>, ApiError> {
    let engine = context.engine.clone();
    execute(&context, &command.meta, Succeeded, move |tx| {
        let id = id.clone();
        Box::pin(async move { engine.retry_delivery(tx, &id).await })
    })
    .await
}
