//! The registry statuses of a DNS instance's domain, reported by the operator (who knows the
//! domain's registration): a security lock among them makes the move to the free tier at
//! release fail, and the instance then needs a manual step.

use axum::extract::{Path, State};
use axum::http::Method;
use serde::Deserialize;
use tenure_engine::instances::InstanceView;

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

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct DomainStatuses {
    /// The domain's statuses now, replacing those reported before (`[]`: none): EPP status
    /// tokens, letters only.
    #[schemars(
        length(max = 16),
        inner(length(min = 1, max = 64), regex(pattern = r"^[A-Za-z]+$"))
    )]
    statuses: Vec<String>,
}

/// Names nothing an account key must own (the route is the operator's).
impl BodyNames for DomainStatuses {}

async fn set(
    State(context): State<ApiContext>,
    Path(instance_id): Path<String>,
    command: Command<DomainStatuses>,
) -> Result<Answered<InstanceView>, ApiError> {
    let statuses = command.body.statuses;
    let engine = context.engine.clone();
    execute(&context, &command.meta, Succeeded, move |tx| {
        Box::pin(async move { engine.set_domain_statuses(tx, &instance_id, statuses).await })
    })
    .await
}
