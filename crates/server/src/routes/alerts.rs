use axum::extract::{Path, State};
use axum::http::Method;
use tenure_core::access::Permission;
use tenure_wire::accounts::{AccountView, Threshold};

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

/// Names nothing an account key must own beyond the path.
impl BodyNames for Threshold {}

async fn set_threshold(
    State(context): State<ApiContext>,
    Path(account_id): Path<String>,
    command: Command<Threshold>,
) -> Result<Answered<AccountView>, ApiError> {
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
