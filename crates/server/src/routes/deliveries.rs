//! The delivery log (operator): every email, SMS and webhook message tenure sent or is
//! sending, with each attempt, and a retry of one that failed. See `tenure-delivery`.

use axum::extract::{Path, State};
use axum::http::Method;
use serde::Deserialize;
use tenure_core::delivery::DeliveryStatus;
use tenure_store::deliveries::{DeliveryFilter, StoredDelivery};

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

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct DeliveryQuery {
    /// The deliveries of this notice (`ntc_…`).
    notice: Option<String>,
    /// The webhook deliveries of this event (`evt_…`).
    event: Option<String>,
    /// The deliveries to this webhook endpoint (`whep_…`).
    endpoint: Option<String>,
    #[schemars(with = "Option<DeliveryStatus>")]
    status: Option<String>,
    /// Items per page, 1 to 1000 (default 100).
    #[schemars(range(min = 1, max = 1000))]
    #[serde(default, deserialize_with = "tenure_wire::whole_number::query")]
    limit: Option<i64>,
    after: Option<String>,
}

/// The operator's alone: a delivery names the operator's endpoints.
impl ListScope for DeliveryQuery {}

async fn list(
    State(context): State<ApiContext>,
    Params(query): Params<DeliveryQuery>,
) -> Result<Answered<Listing<StoredDelivery>>, ApiError> {
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
            Ok(Listing::new(found, limit, |delivery| delivery.id.clone()))
        })
    })
    .await
}

async fn show(
    State(context): State<ApiContext>,
    Path(id): Path<String>,
) -> Result<Answered<StoredDelivery>, ApiError> {
    let engine = context.engine.clone();
    read(&context, move |connection| {
        Box::pin(async move { engine.delivery(connection, &id).await })
    })
    .await
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct Retry {}

/// Names nothing: the route is the operator's.
impl BodyNames for Retry {}

async fn retry(
    State(context): State<ApiContext>,
    Path(id): Path<String>,
    command: Command<Retry>,
) -> Result<Answered<StoredDelivery>, ApiError> {
    let engine = context.engine.clone();
    execute(&context, &command.meta, Succeeded, move |tx| {
        let id = id.clone();
        Box::pin(async move { engine.retry_delivery(tx, &id).await })
    })
    .await
}
