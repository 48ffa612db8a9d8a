use axum::extract::{Path, State};
use axum::http::Method;
use serde::Deserialize;
use tenure_core::access::Permission;

use super::Route;
use crate::api::{execute, Answered, Command, Succeeded};
use crate::auth::BodyNames;
use crate::context::ApiContext;
use crate::error::ApiError;

pub fn routes() -> Vec<Route> {
    vec![Route::new(
        Method::PUT,
        "/v1/accounts/{id}/low-balance-alert",
        "Set the low-balance threshold (`threshold`, minor units; null turns the alert off)",
        set_threshold,
    )
    .account(Permission::Billing)]
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct Threshold {
    #[schemars(range(min = 0, max = 10_000_000_000_000i64))]
    #[serde(default, deserialize_with = "tenure_wire::whole_number::optional")]
    threshold: Option<i64>,
}

/// Names nothing an account key must own beyond the path.
impl BodyNames for Threshold {}

async fn set_threshold(
    State(context): State<ApiContext>,
    Path(account_id): Path<String>,
    command: Command<Threshold>,
) -> Result<Answered<tenure_engine::accounts::AccountView>, ApiError> {
    let threshold_minor = command.body.threshold;
    let engine = context.engine.clone();
    execute(&context, &command.meta, Succeeded, move |tx| {
        Box::pin(async move {
            engine
                .set_low_balance_threshold(tx, &account_id, threshold_minor)
                .await
        })
    })
    .await
}
