//! Renewal Management: enable, modify and disable auto-renewal, or set an instance to manual
//! renewal or to "don't renew". Both endpoints answer `{instance, warnings}`; a warning (such
//! as `renew_manually` when auto-renewal is enabled too close to expiry) never blocks the change.

use axum::extract::{Path, State};
use axum::http::Method;
use tenure_core::auto_renewal::RenewalModeChange;
use tenure_core::lifecycle::RenewalMode;
use tenure_wire::renewals::{AutoRenewal, Mode, RenewalModeResult};

use super::Route;
use crate::api::{execute, Answered, Command, Succeeded};
use crate::auth::BodyNames;
use crate::context::ApiContext;
use crate::error::ApiError;
use tenure_core::access::Permission;

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::PUT,
            "/v1/instances/{id}/auto-renewal",
            "Enable auto-renewal with a period, modify the period, or disable it (back to manual renewal)",
            set_auto_renewal,
        )
        .account(Permission::Billing),
        Route::new(
            Method::PUT,
            "/v1/instances/{id}/renewal-mode",
            "Set the renewal mode: manual, auto (optional period) or none (don't renew)",
            set_renewal_mode,
        )
        .account(Permission::Billing),
    ]
}

/// Names nothing an account key must own beyond the path.
impl BodyNames for AutoRenewal {}

async fn set_auto_renewal(
    State(context): State<ApiContext>,
    Path(instance_id): Path<String>,
    command: Command<AutoRenewal>,
) -> Result<Answered<RenewalModeResult>, ApiError> {
    let change =
        match (command.body.enabled, command.body.period.clone()) {
            (true, period) => RenewalModeChange::Auto {
                period: period.map(Into::into),
            },
            (false, None) => RenewalModeChange::Manual,
            (false, Some(_)) => return Err(ApiError::invalid(
                "invalid_field",
                "`period` applies only when enabling auto-renewal: send {\"enabled\": false} alone",
            )),
        };
    apply(context, command, instance_id, change).await
}

/// Names nothing an account key must own beyond the path.
impl BodyNames for Mode {}

async fn set_renewal_mode(
    State(context): State<ApiContext>,
    Path(instance_id): Path<String>,
    command: Command<Mode>,
) -> Result<Answered<RenewalModeResult>, ApiError> {
    let mode: RenewalMode = command
        .body
        .mode
        .parse()
        .map_err(|message| ApiError::invalid("invalid_field", message))?;
    let change = match (mode, command.body.period.clone()) {
        (RenewalMode::Auto, period) => RenewalModeChange::Auto {
            period: period.map(Into::into),
        },
        (RenewalMode::Manual, None) => RenewalModeChange::Manual,
        (RenewalMode::None, None) => RenewalModeChange::DoNotRenew,
        (_, Some(_)) => {
            return Err(ApiError::invalid(
                "invalid_field",
                "`period` applies only to the `auto` mode",
            ))
        }
    };
    apply(context, command, instance_id, change).await
}

async fn apply<T>(
    context: ApiContext,
    command: Command<T>,
    instance_id: String,
    change: RenewalModeChange,
) -> Result<Answered<RenewalModeResult>, ApiError> {
    let engine = context.engine.clone();
    execute(&context, &command.meta, Succeeded, move |tx| {
        Box::pin(async move { engine.change_renewal_mode(tx, &instance_id, change).await })
    })
    .await
}
