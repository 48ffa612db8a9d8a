//! Releasing a pay-as-you-go or free instance by hand (prepaid ones are unsubscribed). Who
//! may: the billing permission, as for unsubscribing, since it deletes data for good.

use axum::extract::{Path, State};
use axum::http::Method;
use tenure_core::access::Permission;
use tenure_wire::instances::{Release, ReleaseResult};

use super::Route;
use crate::api::{execute, Answered, Command, Succeeded};
use crate::auth::BodyNames;
use crate::context::ApiContext;
use crate::error::ApiError;

pub fn routes() -> Vec<Route> {
    vec![Route::new(
        Method::POST,
        "/v1/instances/{id}/release",
        "Release a pay-as-you-go or free instance now (data deleted): its open usage is billed at once, the last bill final; needs confirm_data_backed_up",
        release,
    )
    .account(Permission::Billing)]
}

/// Names nothing an account key must own beyond the path.
impl BodyNames for Release {}

async fn release(
    State(context): State<ApiContext>,
    Path(instance_id): Path<String>,
    command: Command<Release>,
) -> Result<Answered<ReleaseResult>, ApiError> {
    let confirmed = command.body.confirm_data_backed_up.unwrap_or(false);
    let engine = context.engine.clone();
    execute(&context, &command.meta, Succeeded, move |tx| {
        Box::pin(async move { engine.release_instance(tx, &instance_id, confirmed).await })
    })
    .await
}
