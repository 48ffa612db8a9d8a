//! Upgrades and downgrades: `POST /v1/instances/{id}/change` and its quote.

use axum::extract::{Path, State};
use axum::http::Method;
use serde::Deserialize;
use tenure_core::change::ChangeTarget;
use tenure_engine::changes::ChangeCommand;

use super::instances::Payment;
use super::Route;
use crate::api::{execute, Answered, Command, Succeeded};
use crate::auth::{outside_payment, BodyNames};
use crate::context::ApiContext;
use crate::error::ApiError;
use tenure_core::access::Permission;

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::POST,
            "/v1/instances/{id}/change",
            "Upgrade or downgrade at once, prorated by started hour: answers the charge or refund per paid period, or a pending approval",
            change,
        )
        .account(Permission::Billing),
        Route::new(
            Method::POST,
            "/v1/instances/{id}/change/quote",
            "Price an upgrade or downgrade, itemised per paid period; changes nothing",
            quote,
        )
        .account(Permission::Read),
    ]
}

/// `{spec}` and/or `{edition}`, and how to pay an upgrade.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("anyOf" = [
    { "required": ["spec"], "properties": { "spec": { "type": "string" } } },
    { "required": ["edition"], "properties": { "edition": { "type": "string" } } }
]))]
struct Change {
    #[schemars(extend("x-catalog" = "spec"))]
    spec: Option<String>,
    #[schemars(extend("x-catalog" = "edition"))]
    edition: Option<String>,
    #[schemars(with = "Option<tenure_core::payment::PaymentMethod>")]
    pay_with: Option<String>,
    use_vouchers: Option<bool>,
    use_coupons: Option<bool>,
}

/// Names nothing an account key must own beyond the path.
impl BodyNames for Change {
    fn outside_money(&self) -> Option<String> {
        outside_payment(self.pay_with.as_deref())
    }
}

impl Change {
    fn into_command(self, instance_id: String) -> Result<ChangeCommand, ApiError> {
        let sources = Payment {
            pay_with: self.pay_with,
            use_vouchers: self.use_vouchers,
            use_coupons: self.use_coupons,
        }
        .sources()?;
        Ok(ChangeCommand {
            instance_id,
            target: ChangeTarget {
                edition_id: self.edition,
                spec_id: self.spec,
            },
            sources,
        })
    }
}

async fn change(
    State(context): State<ApiContext>,
    Path(instance_id): Path<String>,
    command: Command<Change>,
) -> Result<Answered<tenure_engine::changes::ChangeOutcome>, ApiError> {
    let change = command.body.into_command(instance_id)?;
    let engine = context.engine.clone();
    execute(&context, &command.meta, Succeeded, move |tx| {
        Box::pin(async move { engine.change(tx, &change).await })
    })
    .await
}

async fn quote(
    State(context): State<ApiContext>,
    Path(instance_id): Path<String>,
    command: Command<Change>,
) -> Result<Answered<tenure_engine::changes::ChangeQuoteView>, ApiError> {
    let change = command.body.into_command(instance_id)?;
    let engine = context.engine.clone();
    execute(&context, &command.meta, Succeeded, move |tx| {
        Box::pin(async move { engine.quote_change(tx, &change).await })
    })
    .await
}
