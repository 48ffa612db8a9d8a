//! Orders paid by a saved card through the payment provider (`pay_with: bank_card` with card
//! payments configured). The order is first run and undone to learn the part the card pays
//! (vouchers and coupons first, the order of sources of `tenure_core::payment`); that part is
//! committed as a payment and charged with no transaction open; then the order runs for real
//! in the request's transaction, which marks the payment as the order's. Purchases, renewals
//! and changes are paid so; a change only when it charges one paid period at once. A decline is the
//! request's answer (402, nothing written, kept under its key). A charge that ends up paying no
//! order (the order refused in between, the customer authenticating later) goes to the balance:
//! the money is never lost.

use serde::Serialize;
use tenure_engine::changes::ChangeOutcome;
use tenure_engine::instances::PurchaseResult;
use tenure_engine::payments::Charged;
use tenure_engine::renew::RenewalResult;
use tenure_engine::EngineError;
use tenure_store::Tx;

use crate::api::{execute, keep_refusal, replay, AnswerStatus, Answered, RequestMeta, Work};
use crate::context::ApiContext;
use crate::error::ApiError;

/// What an order's use case answers about the part an outside method paid.
pub trait CardShare {
    /// The order and what the card pays of it; none when no order was made. Refused when one
    /// charge cannot pay it.
    fn card_share(&self) -> Result<Option<(String, i64)>, EngineError>;
}

impl CardShare for PurchaseResult {
    fn card_share(&self) -> Result<Option<(String, i64)>, EngineError> {
        Ok(self
            .order
            .as_ref()
            .map(|order| (order.id.clone(), order.paid_external_minor)))
    }
}

impl CardShare for RenewalResult {
    fn card_share(&self) -> Result<Option<(String, i64)>, EngineError> {
        Ok(Some((
            self.order.id.clone(),
            self.order.paid_external_minor,
        )))
    }
}

/// A change is charged to the card only when it applies at once and charges one paid period:
/// a charge is one payment of one order, which its period's refund gives back from.
impl CardShare for ChangeOutcome {
    fn card_share(&self) -> Result<Option<(String, i64)>, EngineError> {
        if self.approval.is_some() {
            return Err(EngineError::refused(
                "card_change_needs_approval",
                "this change waits for the operator's approval, and a card is charged only for \
                 a change applied at once: add funds by card, then ask for the change paid \
                 from the balance",
            ));
        }
        let charged: Vec<_> = self
            .orders
            .iter()
            .filter(|order| order.paid_external_minor > 0)
            .collect();
        match charged.as_slice() {
            [] => Ok(None),
            [order] => Ok(Some((order.id.clone(), order.paid_external_minor))),
            _ => Err(EngineError::refused(
                "card_pays_one_period",
                format!(
                    "this change charges {} paid periods (the current one and renewals paid \
                     ahead), and a card charge pays one: add funds by card, then ask for the \
                     change paid from the balance",
                    charged.len()
                ),
            )),
        }
    }
}

/// Why a dry run stopped: it always stops, undone.
enum DryRun {
    Quoted(Option<i64>),
    Refused(EngineError),
}

impl From<tenure_store::StoreError> for DryRun {
    fn from(error: tenure_store::StoreError) -> DryRun {
        DryRun::Refused(EngineError::Store(error))
    }
}

/// `work` as a use case run in a transaction (a closure's signature fixed where it is made,
/// so that it can be run twice, by [`pay_by_card`], or once, by `execute`).
pub fn in_transaction<T, F>(work: F) -> F
where
    F: for<'t> FnOnce(&'t mut Tx) -> Work<'t, T>,
{
    work
}

/// The account instance `instance_id` belongs to, which pays for it.
pub async fn owner_of(context: &ApiContext, instance_id: &str) -> Result<String, ApiError> {
    let mut connection = crate::api::connection(context).await?;
    let shown = context
        .engine
        .instance_view(&mut connection, instance_id)
        .await?;
    Ok(shown.instance.account_id)
}

/// Runs `work`, an order with `pay_with: bank_card`, paid by `account_id`'s saved card.
pub async fn pay_by_card<T, W, S, F>(
    context: &ApiContext,
    meta: &RequestMeta,
    status: S,
    account_id: String,
    work: F,
) -> Result<Answered<W, S>, ApiError>
where
    T: CardShare + Send + 'static,
    W: From<T> + Serialize + Send + 'static,
    S: AnswerStatus,
    F: for<'t> FnOnce(&'t mut Tx) -> Work<'t, T> + Clone + Send + 'static,
{
    if let Some(replayed) = replay(context, meta).await? {
        return Ok(Answered::replayed(replayed));
    }
    let engine = context.engine.clone();
    // What the card would pay now: the order run and undone.
    let quoting = work.clone();
    let quoted = engine
        .store
        .write(move |tx| {
            let work = quoting.clone();
            Box::pin(async move {
                let tried = tx
                    .attempt(async |tx: &mut Tx| -> Result<(), DryRun> {
                        let answer = work(tx).await.map_err(DryRun::Refused)?;
                        let share = answer.card_share().map_err(DryRun::Refused)?;
                        Err(DryRun::Quoted(share.map(|(_, minor)| minor)))
                    })
                    .await?;
                match tried {
                    Err(DryRun::Quoted(share)) => Ok(share),
                    Err(DryRun::Refused(error)) => Err(error),
                    Ok(()) => Ok(None),
                }
            })
        })
        .await;
    let card_minor = match quoted {
        Ok(share) => share.unwrap_or(0),
        Err(error) => return keep_refusal(context, meta, error.into()).await,
    };
    if card_minor == 0 {
        // Credit pays it all: nothing to charge.
        return execute(context, meta, status, work).await;
    }
    let request = meta.keyed();
    let started = engine
        .start_card_charge(&account_id, card_minor, None, request, "order")
        .await?;
    let charge = match engine.charge_card(&started).await {
        Ok(Charged::Succeeded(charge)) => charge,
        Ok(Charged::Pending) => {
            let waiting = EngineError::PaymentRequired {
                code: "card_authentication_required",
                message: "the card needs its holder to authenticate the payment, so the order \
                          was not placed; if the holder completes it, the amount is credited to \
                          the balance"
                    .to_string(),
            };
            return keep_refusal(context, meta, waiting.into()).await;
        }
        Ok(Charged::AlreadySettled) => {
            let settled = EngineError::refused(
                "payment_settled",
                "the card payment of this request was settled before; its amount is in the balance",
            );
            return keep_refusal(context, meta, settled.into()).await;
        }
        Err(error) => return keep_refusal(context, meta, error.into()).await,
    };
    let payment_id = started.payment.id.clone();
    let (ordering, paying) = (engine.clone(), charge.clone());
    let placed = execute(context, meta, status, move |tx| {
        Box::pin(async move {
            let answer = work(tx).await?;
            match answer.card_share()? {
                Some((order_id, minor)) if minor == card_minor => {
                    ordering
                        .settle_card_order(tx, &payment_id, &paying, &order_id)
                        .await?;
                    Ok(answer)
                }
                _ => Err(EngineError::refused(
                    "price_changed",
                    "what the card pays of this order changed while it was charged; the charge \
                     is credited to the balance: send the request again",
                )),
            }
        })
    })
    .await;
    if placed.is_err() {
        // The order was not placed: the money the card paid goes to the balance now.
        engine
            .credit_unused_charge(&started.payment.id, &charge)
            .await?;
    }
    placed
}
