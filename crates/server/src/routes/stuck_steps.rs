//! Lifecycle steps that failed (retrying) or were parked, for the operator: the list, and a
//! retry once the cause is fixed. See `tenure_core::lifecycle::failed_step`.

use axum::extract::{Path, State};
use axum::http::Method;
use tenure_wire::stuck_steps::{Retried, Retry, StuckQuery, StuckStep};

use super::Route;
use crate::api::{execute, read, Answered, Command, Listing, Page, PageSize, Params, Succeeded};
use crate::auth::{BodyNames, ListScope};
use crate::context::ApiContext;
use crate::error::ApiError;

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::GET,
            "/v1/stuck-steps",
            "Lifecycle steps that failed: retrying, or parked after every attempt failed (operator)",
            list,
        ),
        Route::new(
            Method::POST,
            "/v1/stuck-steps/{id}/retry",
            "Retry a stuck step now, its attempts counted afresh; answers whether it was taken (operator)",
            retry,
        ),
    ]
}

/// The operator's alone: no account's list.
impl ListScope for StuckQuery {}

async fn list(
    State(context): State<ApiContext>,
    Params(query): Params<StuckQuery>,
) -> Result<Answered<Listing<StuckStep>>, ApiError> {
    let limit = Page {
        limit: query.limit,
        after: None,
    }
    .limit()?;
    let engine = context.engine.clone();
    read(&context, move |connection| {
        Box::pin(async move {
            let found = engine
                .list_stuck_steps(connection, query.after.as_deref(), limit)
                .await?;
            Ok(Listing::new(found, limit, |step| step.id.clone()).map())
        })
    })
    .await
}

/// Names nothing: the route is the operator's.
impl BodyNames for Retry {}

async fn retry(
    State(context): State<ApiContext>,
    Path(id): Path<String>,
    command: Command<Retry>,
) -> Result<Answered<Retried>, ApiError> {
    // A retry runs a sweep, which commits on its own; so, as for the clock, a key that has
    // answered replays first, and only the answer goes through `execute`.
    if let Some(replay) = crate::api::replay(&context, &command.meta).await? {
        return Ok(Answered::replayed(replay));
    }
    // From here the request runs: a refusal (no such step, say) is its key's answer.
    let retried = match context.engine.retry_stuck_step(&id).await {
        Ok(retried) => retried,
        Err(error) => return crate::api::keep_refusal(&context, &command.meta, error.into()).await,
    };
    context.metrics.add_steps(retried.report.steps_taken);
    context.metrics.add_parked(retried.report.steps_parked);
    execute(&context, &command.meta, Succeeded, move |_tx| {
        Box::pin(async move {
            Ok(Retried {
                id,
                taken: retried.taken,
                stuck_step: retried.stuck_step.map(StuckStep::from),
                steps_taken: retried.report.steps_taken,
            })
        })
    })
    .await
}
