use axum::extract::{Path, State};
use axum::http::Method;
use tenure_core::access::Permission;
use tenure_engine::free_instances::FreeUpgrade;
use tenure_wire::instances::{ContinueTrial, Instance, PurchaseResult, Upgrade};

use super::card_orders::{in_transaction, owner_of, pay_by_card};
use super::instances::Payment;
use super::Route;
use crate::api::{execute, Answered, Command, Succeeded};
use crate::auth::{outside_payment, BodyNames};
use crate::context::ApiContext;
use crate::error::ApiError;
use tenure_core::payment::PaymentMethod;

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::POST,
            "/v1/instances/{id}/continue-trial",
            "Unfreeze a frozen free instance for another inactivity period",
            continue_trial,
        )
        .account(Permission::Purchase),
        Route::new(
            Method::POST,
            "/v1/instances/{id}/upgrade-to-subscription",
            "Turn a free instance into a paid subscription: `edition`, `spec`, `period`, payment fields as for buying",
            upgrade,
        )
        .account(Permission::Billing),
    ]
}

/// Names nothing an account key must own beyond the path.
impl BodyNames for ContinueTrial {}

async fn continue_trial(
    State(context): State<ApiContext>,
    Path(instance_id): Path<String>,
    command: Command<ContinueTrial>,
) -> Result<Answered<Instance>, ApiError> {
    let engine = context.engine.clone();
    execute(&context, &command.meta, Succeeded, move |tx| {
        Box::pin(async move { engine.continue_trial(tx, &instance_id).await })
    })
    .await
}

/// Names nothing an account key must own beyond the path.
impl BodyNames for Upgrade {
    fn outside_money(&self) -> Option<String> {
        outside_payment(self.pay_with.as_deref())
    }

    fn charges_a_card(&self) -> bool {
        self.pay_with.as_deref() == Some("bank_card")
    }
}

async fn upgrade(
    State(context): State<ApiContext>,
    Path(instance_id): Path<String>,
    command: Command<Upgrade>,
) -> Result<Answered<PurchaseResult>, ApiError> {
    let body = command.body;
    let sources = Payment {
        pay_with: body.pay_with,
        use_vouchers: body.use_vouchers,
        use_coupons: body.use_coupons,
    }
    .sources()?;
    let upgrade = FreeUpgrade {
        edition_id: body.edition,
        spec_id: body.spec,
        period: body.period.into(),
        auto_renew: body
            .auto_renew
            .map(|auto_renew| auto_renew.period.map(Into::into)),
        sources,
    };
    let engine = context.engine.clone();
    let by_card = upgrade.sources.method == PaymentMethod::BankCard && engine.takes_cards();
    let account_id = if by_card {
        Some(owner_of(&context, &instance_id).await?)
    } else {
        None
    };
    let work = in_transaction(move |tx| {
        Box::pin(async move {
            engine
                .upgrade_free_instance(tx, &instance_id, upgrade)
                .await
        })
    });
    match account_id {
        Some(account_id) => pay_by_card(&context, &command.meta, Succeeded, account_id, work).await,
        None => execute(&context, &command.meta, Succeeded, work).await,
    }
}
