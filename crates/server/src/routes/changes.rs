//! Upgrades and downgrades: `POST /v1/instances/{id}/change` and its quote.

use axum::extract::{Path, State};
use axum::http::Method;
use tenure_core::change::ChangeTarget;
use tenure_core::payment::PaymentMethod;
use tenure_engine::changes::ChangeCommand;
use tenure_wire::changes::{Change, ChangeOutcome, ChangeQuoteView};

use super::card_orders::{in_transaction, owner_of, pay_by_card};
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

/// Names nothing an account key must own beyond the path.
impl BodyNames for Change {
    fn outside_money(&self) -> Option<String> {
        outside_payment(self.pay_with.as_deref())
    }

    fn charges_a_card(&self) -> bool {
        self.pay_with.as_deref() == Some("bank_card")
    }
}

/// The change `body` asks of the instance.
fn change_command(body: Change, instance_id: String) -> Result<ChangeCommand, ApiError> {
    let sources = Payment {
        pay_with: body.pay_with,
        use_vouchers: body.use_vouchers,
        use_coupons: body.use_coupons,
    }
    .sources()?;
    Ok(ChangeCommand {
        instance_id,
        target: ChangeTarget {
            edition_id: body.edition,
            spec_id: body.spec,
        },
        sources,
    })
}

async fn change(
    State(context): State<ApiContext>,
    Path(instance_id): Path<String>,
    command: Command<Change>,
) -> Result<Answered<ChangeOutcome>, ApiError> {
    let change = change_command(command.body, instance_id)?;
    let engine = context.engine.clone();
    let by_card = change.sources.method == PaymentMethod::BankCard && engine.takes_cards();
    let instance_id = change.instance_id.clone();
    let work = in_transaction(move |tx| Box::pin(async move { engine.change(tx, &change).await }));
    if by_card {
        let account_id = owner_of(&context, &instance_id).await?;
        return pay_by_card(&context, &command.meta, Succeeded, account_id, work).await;
    }
    execute(&context, &command.meta, Succeeded, work).await
}

async fn quote(
    State(context): State<ApiContext>,
    Path(instance_id): Path<String>,
    command: Command<Change>,
) -> Result<Answered<ChangeQuoteView>, ApiError> {
    let change = change_command(command.body, instance_id)?;
    let engine = context.engine.clone();
    execute(&context, &command.meta, Succeeded, move |tx| {
        Box::pin(async move { engine.quote_change(tx, &change).await })
    })
    .await
}
