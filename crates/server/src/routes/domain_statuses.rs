//! The registry statuses of a DNS instance's domain, reported by the operator (who knows the
//! domain's registration): a security lock among them makes the move to the free tier at
//! release fail, and the instance then needs a manual step.

use axum::extract::{Path, State};
use axum::http::Method;
use tenure_wire::domain_statuses::DomainStatuses;
use tenure_wire::instances::Instance;

use super::Route;
use crate::api::{execute, Answered, Command, Succeeded};
use crate::auth::BodyNames;
use crate::context::ApiContext;
use crate::error::ApiError;

pub fn routes() -> Vec<Route> {
    vec![Route::new(
        Method::PUT,
        "/v1/instances/{id}/domain-statuses",
        "Operator: the registry statuses of a DNS instance's domain (serverUpdateProhibited, ...); a security lock makes its move to the free tier fail at release",
        set,
    )]
}

/// Names nothing an account key must own (the route is the operator's).
impl BodyNames for DomainStatuses {}

async fn set(
    State(context): State<ApiContext>,
    Path(instance_id): Path<String>,
    command: Command<DomainStatuses>,
) -> Result<Answered<Instance>, ApiError> {
    let statuses = command.body.statuses;
    let engine = context.engine.clone();
    execute(&context, &command.meta, Succeeded, move |tx| {
        Box::pin(async move { engine.set_domain_statuses(tx, &instance_id, statuses).await })
    })
    .await
}
