//! Money through a payment provider: saved cards and card top-ups. A provider call never runs
//! inside a transaction: a payment is committed first (`started`, its id the call's
//! idempotency key and metadata), the call is made, and its outcome is applied in a
//! transaction of its own. Whatever dies in between leaves a `started` payment, which
//! [`Engine::settle_unanswered_payments`] looks up at the provider by its id and applies: a
//! card is charged once and credited once, however often a request is sent again.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use serde_json::json;
use tenure_core::dispute::{payment_disputed, Disputed};
use tenure_core::event::{EventDraft, EventKind};
use tenure_core::ledger::Entry;
use tenure_core::payment::PaymentMethod;
use tenure_payments::{
    Card, Charge, ChargeRequest, ChargeStatus, CustomerDraft, Provider, ProviderError, SetupIntent,
};
use tenure_store::payments::{self, Outcome, Payment, SavedCard};
use tenure_store::{accounts, ledger, Connection, Tx};

use crate::accounts::{AccountView, MoneyMovement};
use crate::engine::Engine;
use crate::error::EngineError;

/// A payment provider, as the engine is given it.
#[derive(Clone)]
pub struct CardPayments {
    pub provider: Arc<dyn Provider>,
    /// Its name in the records (`stripe`).
    pub name: &'static str,
    /// How long a call may still be running after its payment was committed: a `started`
    /// payment younger than this may have a call in flight and is neither called again nor
    /// looked up. Longer than the provider client's own timeout.
    pub call_in_flight: Duration,
}

impl CardPayments {
    /// Real milliseconds before which a payment's call must be over.
    pub(crate) fn calls_over_before_ms(&self, now: Timestamp) -> i64 {
        now.as_millisecond() - self.call_in_flight.as_millis() as i64
    }
}

/// Why a payment whose call was never answered failed, when the provider holds no charge of it.
const NOT_MADE: (&str, &str) = (
    "not_made",
    "the payment provider holds no charge for this payment",
);

/// What a call may take beyond the provider client's own timeout before it is surely over
/// (the request's own way there and back, a pause of the node).
const CALL_MARGIN: Duration = Duration::from_secs(10);

/// A payment committed before its call, and whether this request made it (and so makes the
/// call) or found it made by an earlier request with the same idempotency key.
#[derive(Debug, Clone)]
pub struct StartedPayment {
    pub payment: Payment,
    pub fresh: bool,
}

/// What a charge call gave that the request's own transaction applies.
#[derive(Debug, Clone)]
pub enum Charged {
    /// The provider took the money: credit it (once).
    Succeeded(Charge),
    /// The provider waits for the customer (3-D Secure) or its processing; a webhook finishes it.
    Pending,
    /// Settled before this request (by an earlier one, a webhook or the settling loop).
    AlreadySettled,
}

/// A card top-up's answer: the payment, the money it moved if it moved now, and the account.
#[derive(Debug, Clone)]
pub struct CardTopUp {
    pub payment: Payment,
    pub amount_minor: i64,
    pub movement: Option<MoneyMovement>,
    pub account: AccountView,
}

fn provider_error(error: ProviderError) -> EngineError {
    match error {
        ProviderError::Declined { code, message, .. } => EngineError::PaymentRequired {
            code: "card_declined",
            message: format!("the card was declined ({code}): {message}"),
        },
        ProviderError::Refused { code, message, .. } => EngineError::invalid(
            "payment_provider_refused",
            format!("the payment provider refused it ({code}): {message}"),
        ),
        ProviderError::Unanswered(why) => EngineError::ProviderUnanswered {
            message: format!(
                "the payment provider did not answer ({why}); send the request again with the same Idempotency-Key to learn the outcome"
            ),
        },
    }
}

impl Engine {
    /// Records an event of the account's that concerns no instance.
    pub(crate) async fn record_account_event(
        &self,
        tx: &mut Tx,
        account_id: &str,
        kind: EventKind,
        data: serde_json::Value,
    ) -> Result<(), EngineError> {
        let account = accounts::get(tx, account_id)
            .await?
            .ok_or_else(|| EngineError::not_found("account", account_id))?;
        let event = EventDraft {
            kind,
            account_id: account_id.to_string(),
            instance_id: None,
            data: data.into(),
        };
        self.record(tx, self.clock.now(), &account, &[event], &[])
            .await
    }

    /// The engine taking card payments through `provider`, whose calls give up after
    /// `call_timeout`.
    pub fn with_card_payments(
        mut self,
        provider: Arc<dyn Provider>,
        name: &'static str,
        call_timeout: Duration,
    ) -> Engine {
        self.card_payments = Some(CardPayments {
            provider,
            name,
            call_in_flight: call_timeout + CALL_MARGIN,
        });
        self
    }

    fn card_payments(&self) -> Result<&CardPayments, EngineError> {
        self.card_payments.as_ref().ok_or_else(|| {
            EngineError::invalid(
                "payments_not_configured",
                "card payments are not configured on this server (tenure serve --stripe-secret-key)",
            )
        })
    }

    /// Whether card payments are on.
    pub fn takes_cards(&self) -> bool {
        self.card_payments.is_some()
    }

    async fn account_exists(&self, account_id: &str) -> Result<accounts::Account, EngineError> {
        let mut connection = self.store.read().await?;
        accounts::get(&mut connection, account_id)
            .await?
            .ok_or_else(|| EngineError::not_found("account", account_id))
    }

    /// The account's customer at the provider, made on first use.
    async fn customer(&self, account: &accounts::Account) -> Result<String, EngineError> {
        let payments = self.card_payments()?;
        let mut connection = self.store.read().await?;
        if let Some(customer) = payments::customer(&mut connection, &account.id).await? {
            return Ok(customer);
        }
        drop(connection);
        let draft = CustomerDraft {
            account_id: account.id.clone(),
            name: account.name.clone(),
            email: (!account.email.is_empty()).then(|| account.email.clone()),
        };
        let made = payments
            .provider
            .create_customer(&draft)
            .await
            .map_err(provider_error)?;
        let account_id = account.id.clone();
        let provider = payments.name;
        let now = self.clock.now();
        // Two first uses at once may each make a customer: the first kept is the account's,
        // the other stays empty at the provider.
        self.store
            .write(move |tx| {
                let (account_id, made) = (account_id.clone(), made.clone());
                Box::pin(async move {
                    payments::keep_customer(tx, &account_id, provider, &made, now)
                        .await
                        .map_err(EngineError::from)
                })
            })
            .await
    }

    /// Starts saving a card in the browser: a SetupIntent for the account's customer (made on
    /// first use), which the page confirms with the provider's library; the payment method it
    /// makes is then saved with [`Engine::attach_card`].
    pub async fn start_card_setup(&self, account_id: &str) -> Result<SetupIntent, EngineError> {
        let account = self.account_exists(account_id).await?;
        let customer = self.customer(&account).await?;
        self.card_payments()?
            .provider
            .create_setup_intent(&customer)
            .await
            .map_err(provider_error)
    }

    /// Attaches a payment method the browser tokenized to the account's customer (the calls
    /// before [`Engine::keep_card`], outside any transaction).
    pub async fn attach_card(
        &self,
        account_id: &str,
        provider_payment_method: &str,
    ) -> Result<Card, EngineError> {
        let account = self.account_exists(account_id).await?;
        let customer = self.customer(&account).await?;
        self.card_payments()?
            .provider
            .attach_card(&customer, provider_payment_method)
            .await
            .map_err(provider_error)
    }

    /// Keeps an attached card as the account's; a card kept already is answered as it is.
    pub async fn keep_card(
        &self,
        tx: &mut Tx,
        account_id: &str,
        card: &Card,
        make_default: bool,
    ) -> Result<SavedCard, EngineError> {
        let provider = self.card_payments()?.name;
        self.lock_account(tx, account_id).await?;
        if let Some(kept) = payments::card_by_provider_id(tx, provider, &card.provider_id).await? {
            if kept.removed {
                // The provider detached it when it was removed: it cannot pay again.
                return Err(EngineError::refused(
                    "card_removed",
                    "this payment method was removed; add the card again from the browser",
                ));
            }
            if kept.account_id != account_id {
                return Err(EngineError::refused(
                    "card_of_another_account",
                    "this payment method is saved for another account",
                ));
            }
            if make_default && !kept.is_default {
                payments::make_default(tx, account_id, &kept.id).await?;
                return Ok(SavedCard {
                    is_default: true,
                    ..kept
                });
            }
            return Ok(kept);
        }
        let saved = SavedCard {
            id: self.ids.next("card"),
            account_id: account_id.to_string(),
            provider: provider.to_string(),
            provider_payment_method: card.provider_id.clone(),
            brand: card.brand.clone(),
            last4: card.last4.clone(),
            exp_month: i64::from(card.exp_month),
            exp_year: i64::from(card.exp_year),
            is_default: make_default,
            created_at: self.clock.now(),
            removed: false,
        };
        let saved = payments::save_card(tx, &saved).await?;
        let data = json!({ "brand": saved.brand, "card_id": saved.id,
                           "is_default": saved.is_default, "last4": saved.last4 });
        self.record_account_event(tx, account_id, EventKind::CardSaved, data)
            .await?;
        Ok(saved)
    }

    /// Payments of an account (or every account), in id order, `limit` after `after_id`.
    pub async fn list_payments(
        &self,
        connection: &mut Connection,
        account_id: Option<&str>,
        after_id: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Payment>, EngineError> {
        Ok(payments::list(connection, account_id, after_id, limit).await?)
    }

    /// The account's saved cards, oldest first.
    pub async fn saved_cards(
        &self,
        connection: &mut Connection,
        account_id: &str,
    ) -> Result<Vec<SavedCard>, EngineError> {
        self.card_payments()?;
        accounts::get(connection, account_id)
            .await?
            .ok_or_else(|| EngineError::not_found("account", account_id))?;
        Ok(payments::cards(connection, account_id).await?)
    }

    /// Makes a saved card the default; answers the account's cards.
    pub async fn make_default_card(
        &self,
        tx: &mut Tx,
        account_id: &str,
        card_id: &str,
    ) -> Result<Vec<SavedCard>, EngineError> {
        self.card_payments()?;
        self.lock_account(tx, account_id).await?;
        if !payments::make_default(tx, account_id, card_id).await? {
            return Err(EngineError::not_found("card", card_id));
        }
        Ok(payments::cards(tx, account_id).await?)
    }

    /// Detaches a saved card at the provider (outside any transaction), then removes it.
    pub async fn detach_card(&self, account_id: &str, card_id: &str) -> Result<(), EngineError> {
        let payments = self.card_payments()?;
        let mut connection = self.store.read().await?;
        let card = payments::card(&mut connection, account_id, card_id)
            .await?
            .ok_or_else(|| EngineError::not_found("card", card_id))?;
        drop(connection);
        match payments
            .provider
            .detach_card(&card.provider_payment_method)
            .await
        {
            // Already detached at the provider: removing it here is all that is left.
            Ok(()) | Err(ProviderError::Refused { .. }) => Ok(()),
            Err(error) => Err(provider_error(error)),
        }
    }

    /// Removes a saved card (after [`Engine::detach_card`]); answers the cards left.
    pub async fn remove_card(
        &self,
        tx: &mut Tx,
        account_id: &str,
        card_id: &str,
    ) -> Result<Vec<SavedCard>, EngineError> {
        self.lock_account(tx, account_id).await?;
        if !payments::remove_card(tx, account_id, card_id, self.clock.now()).await? {
            return Err(EngineError::not_found("card", card_id));
        }
        let data = json!({ "card_id": card_id });
        self.record_account_event(tx, account_id, EventKind::CardRemoved, data)
            .await?;
        Ok(payments::cards(tx, account_id).await?)
    }

    /// A card top-up, first step: the payment, committed before the call. A request sent
    /// again with its idempotency key (`request`: the caller's scope and the key) finds the
    /// payment the first one made.
    pub async fn start_card_top_up(
        &self,
        account_id: &str,
        amount_minor: i64,
        card_id: Option<&str>,
        request: Option<(String, String)>,
    ) -> Result<StartedPayment, EngineError> {
        self.start_card_charge(account_id, amount_minor, card_id, request, "deposit")
            .await
    }

    /// A charge of a saved card for `purpose` (`deposit`, `order`), committed before its call
    /// (see [`Engine::start_card_top_up`]).
    pub async fn start_card_charge(
        &self,
        account_id: &str,
        amount_minor: i64,
        card_id: Option<&str>,
        request: Option<(String, String)>,
        purpose: &'static str,
    ) -> Result<StartedPayment, EngineError> {
        let provider = self.card_payments()?.name;
        if amount_minor <= 0 {
            return Err(EngineError::invalid(
                "invalid_amount",
                "the amount must be a positive number of minor units",
            ));
        }
        let (account_id, card_id) = (account_id.to_string(), card_id.map(str::to_string));
        let id = self.ids.next("pay");
        let now = self.clock.now();
        let real_now = Timestamp::now();
        self.store
            .write(move |tx| {
                let (account_id, card_id, request, id) = (
                    account_id.clone(),
                    card_id.clone(),
                    request.clone(),
                    id.clone(),
                );
                Box::pin(async move {
                    if let Some((scope, key)) = &request {
                        if let Some(payment) = payments::of_request(tx, scope, key).await? {
                            return Ok(StartedPayment {
                                payment,
                                fresh: false,
                            });
                        }
                    }
                    let account = accounts::get(tx, &account_id)
                        .await?
                        .ok_or_else(|| EngineError::not_found("account", &account_id))?;
                    if let Some(reason) = &account.frozen_reason {
                        return Err(EngineError::refused(
                            "account_frozen",
                            format!("the account's writes are stopped: {reason}"),
                        ));
                    }
                    let card = match &card_id {
                        Some(card_id) => payments::card(tx, &account_id, card_id)
                            .await?
                            .ok_or_else(|| EngineError::not_found("card", card_id))?,
                        None => payments::default_card(tx, &account_id).await?.ok_or_else(|| {
                            EngineError::invalid(
                                "no_saved_card",
                                "the account has no saved card: save one first (POST /v1/accounts/{id}/payment-methods)",
                            )
                        })?,
                    };
                    let payment = Payment {
                        id,
                        account_id: account_id.clone(),
                        provider: provider.to_string(),
                        kind: "charge".into(),
                        purpose: purpose.into(),
                        amount_minor,
                        currency: account.currency.clone(),
                        card_id: Some(card.id),
                        refunds_payment_id: None,
                        refund_id: None,
                        order_id: None,
                        request_scope: request.as_ref().map(|(scope, _)| scope.clone()),
                        request_key: request.as_ref().map(|(_, key)| key.clone()),
                        status: "started".into(),
                        provider_id: None,
                        failure_code: None,
                        failure_message: None,
                        created_at: now,
                        started_at_ms: real_now.as_millisecond(),
                        settled_at: None,
                    };
                    payments::insert(tx, &payment).await?;
                    Ok(StartedPayment {
                        payment,
                        fresh: true,
                    })
                })
            })
            .await
    }

    /// A card top-up, second step: the charge (or, for a payment an earlier request made, its
    /// lookup). A decline and a payment left waiting are written here, in a write of their
    /// own; a success is left to the request's transaction ([`Engine::finish_card_top_up`]),
    /// which credits it.
    pub async fn charge_card(
        self: &Arc<Self>,
        started: &StartedPayment,
    ) -> Result<Charged, EngineError> {
        let payments = self.card_payments()?;
        let payment = &started.payment;
        if payment.status != "started" {
            return Ok(Charged::AlreadySettled);
        }
        let charge = if started.fresh {
            let mut connection = self.store.read().await?;
            let card_id = payment.card_id.clone().unwrap_or_default();
            let card = payments::card(&mut connection, &payment.account_id, &card_id)
                .await?
                .ok_or_else(|| EngineError::not_found("card", &card_id))?;
            let customer = payments::customer(&mut connection, &payment.account_id)
                .await?
                .ok_or_else(|| EngineError::not_found("customer", &payment.account_id))?;
            drop(connection);
            let request = ChargeRequest {
                attempt_id: payment.id.clone(),
                customer_id: customer,
                payment_method_id: card.provider_payment_method,
                amount_minor: payment.amount_minor,
                currency: payment.currency.clone(),
            };
            match payments.provider.charge(&request).await {
                Ok(charge) => charge,
                Err(error) => {
                    // A refusal is written down; an unanswered call stays `started`, looked up.
                    if let Some((code, message, charge_id)) = error.failure() {
                        self.record_charge_failure(payment, charge_id, code, message)
                            .await?;
                    }
                    return Err(provider_error(error));
                }
            }
        } else {
            // An earlier request made this payment: its call may still be running.
            if payment.started_at_ms >= payments.calls_over_before_ms(Timestamp::now()) {
                return Err(EngineError::StillRunning {
                    code: "payment_in_progress",
                    message: "an earlier request with this Idempotency-Key is still waiting for the payment provider; send it again in a minute".into(),
                });
            }
            match payments
                .provider
                .find_charge(&payment.id)
                .await
                .map_err(provider_error)?
            {
                Some(charge) => charge,
                None => {
                    self.record_charge_failure(payment, None, NOT_MADE.0, NOT_MADE.1)
                        .await?;
                    return Err(EngineError::PaymentRequired {
                        code: "card_declined",
                        message: "the card was not charged: the payment never reached the payment provider".into(),
                    });
                }
            }
        };
        match &charge.status {
            ChargeStatus::Succeeded => Ok(Charged::Succeeded(charge)),
            ChargeStatus::RequiresAction | ChargeStatus::Processing => {
                self.apply_charge_now(&payment.id, &charge).await?;
                Ok(Charged::Pending)
            }
            ChargeStatus::Failed { code, message } => {
                self.apply_charge_now(&payment.id, &charge).await?;
                Err(EngineError::PaymentRequired {
                    code: "card_declined",
                    message: format!("the card was declined ({code}): {message}"),
                })
            }
        }
    }

    /// Marks `payment` failed for the provider's `code` and `message`, in a write of its own.
    async fn record_charge_failure(
        self: &Arc<Self>,
        payment: &Payment,
        provider_id: Option<&str>,
        code: &str,
        message: &str,
    ) -> Result<(), EngineError> {
        let failed = Charge {
            provider_id: provider_id.unwrap_or_default().to_string(),
            attempt_id: Some(payment.id.clone()),
            amount_minor: payment.amount_minor,
            status: ChargeStatus::Failed {
                code: code.to_string(),
                message: message.to_string(),
            },
        };
        self.apply_charge_now(&payment.id, &failed)
            .await
            .map(|_| ())
    }

    /// [`Engine::apply_charge`] in a write of its own.
    async fn apply_charge_now(
        self: &Arc<Self>,
        payment_id: &str,
        charge: &Charge,
    ) -> Result<Option<MoneyMovement>, EngineError> {
        let (engine, payment_id, charge) =
            (Arc::clone(self), payment_id.to_string(), charge.clone());
        self.store
            .write(move |tx| {
                let (engine, payment_id, charge) =
                    (engine.clone(), payment_id.clone(), charge.clone());
                Box::pin(async move { engine.apply_charge(tx, &payment_id, &charge).await })
            })
            .await
    }

    /// A card top-up, last step, in the request's transaction: a succeeded charge is
    /// credited to the balance (once: the payment moves to `succeeded` once).
    pub async fn finish_card_top_up(
        &self,
        tx: &mut Tx,
        payment_id: &str,
        charged: &Charged,
    ) -> Result<CardTopUp, EngineError> {
        let movement = match charged {
            Charged::Succeeded(charge) => self.apply_charge(tx, payment_id, charge).await?,
            Charged::Pending | Charged::AlreadySettled => None,
        };
        let payment = payments::get(tx, payment_id)
            .await?
            .ok_or_else(|| EngineError::not_found("payment", payment_id))?;
        let account = match &movement {
            Some(movement) => movement.account.clone(),
            None => self.account_view(tx, &payment.account_id).await?,
        };
        Ok(CardTopUp {
            amount_minor: payment.amount_minor,
            payment,
            movement,
            account,
        })
    }

    /// Applies what the provider says of a charge to payment `payment_id`: a success credits
    /// a top-up once (also one marked failed because its answer was lost: the money was taken),
    /// a failure marks it, a wait marks it pending. Answers the money moved, if any.
    pub async fn apply_charge(
        &self,
        tx: &mut Tx,
        payment_id: &str,
        charge: &Charge,
    ) -> Result<Option<MoneyMovement>, EngineError> {
        let payment = payments::get(tx, payment_id)
            .await?
            .ok_or_else(|| EngineError::not_found("payment", payment_id))?;
        let now = self.clock.now();
        // A call refused before the provider made anything has no id of its own.
        let provider_id = (!charge.provider_id.is_empty()).then_some(charge.provider_id.as_str());
        match &charge.status {
            ChargeStatus::Succeeded => {
                let outcome = Outcome {
                    status: "succeeded",
                    provider_id,
                    failure_code: None,
                    failure_message: None,
                    settled_at: Some(now),
                };
                let moved =
                    payments::settle(tx, payment_id, &["started", "pending", "failed"], &outcome)
                        .await?;
                if !moved {
                    return Ok(None);
                }
                let data = json!({ "amount_minor": payment.amount_minor, "payment_id": payment.id,
                                   "provider_id": charge.provider_id, "purpose": payment.purpose });
                self.record_account_event(
                    tx,
                    &payment.account_id,
                    EventKind::PaymentSucceeded,
                    data,
                )
                .await?;
                // An order's charge that paid no order (the order was refused after the charge,
                // or its node died, or the customer authenticated too late) is the customer's
                // money all the same: it goes to the balance.
                if payment.purpose != "deposit" && payment.order_id.is_some() {
                    return Ok(None);
                }
                let movement = self
                    .deposit(
                        tx,
                        &payment.account_id,
                        payment.amount_minor,
                        PaymentMethod::BankCard,
                    )
                    .await?;
                self.write_collected(tx, &payment).await?;
                Ok(Some(movement))
            }
            ChargeStatus::Failed { code, message } => {
                let outcome = Outcome {
                    status: "failed",
                    provider_id,
                    failure_code: Some(code),
                    failure_message: Some(message),
                    settled_at: Some(now),
                };
                if payments::settle(tx, payment_id, &["started", "pending"], &outcome).await? {
                    failed_event(self, tx, payment_id).await?;
                }
                Ok(None)
            }
            ChargeStatus::RequiresAction | ChargeStatus::Processing => {
                let outcome = Outcome {
                    status: "pending",
                    provider_id,
                    failure_code: None,
                    failure_message: None,
                    settled_at: None,
                };
                payments::settle(tx, payment_id, &["started"], &outcome).await?;
                Ok(None)
            }
        }
    }

    /// Marks a succeeded charge as the payment of `order_id`, in the order's transaction, so
    /// that nothing credits it again.
    pub async fn settle_card_order(
        &self,
        tx: &mut Tx,
        payment_id: &str,
        charge: &Charge,
        order_id: &str,
    ) -> Result<(), EngineError> {
        let now = self.clock.now();
        if !payments::settle_for_order(tx, payment_id, order_id, &charge.provider_id, now).await? {
            return Err(EngineError::refused(
                "payment_settled",
                "this card payment was settled before the order could use it; its amount is in the balance",
            ));
        }
        let payment = payments::get(tx, payment_id)
            .await?
            .ok_or_else(|| EngineError::not_found("payment", payment_id))?;
        self.write_collected(tx, &payment).await?;
        let data = json!({ "amount_minor": payment.amount_minor, "order_id": order_id,
                           "payment_id": payment.id, "provider_id": charge.provider_id,
                           "purpose": payment.purpose });
        self.record_account_event(tx, &payment.account_id, EventKind::PaymentSucceeded, data)
            .await
    }

    /// The ledger's record that the provider collected `payment`'s card money, beside the
    /// deposit or order its money paid (see `LedgerAccount::ProviderClearing`).
    async fn write_collected(&self, tx: &mut Tx, payment: &Payment) -> Result<(), EngineError> {
        let memo = format!(
            "card payment {} collected by {}",
            payment.id, payment.provider
        );
        ledger::write_entry(
            tx,
            &self.ids.next("led"),
            &payment.account_id,
            &Entry::provider_collected(payment.amount_minor),
            self.clock.now(),
            payment.order_id.as_deref(),
            &memo,
        )
        .await?;
        Ok(())
    }

    /// Credits a charge that paid no order to the balance, at once (what the lookup of lost
    /// answers would do later).
    pub async fn credit_unused_charge(
        self: &Arc<Self>,
        payment_id: &str,
        charge: &Charge,
    ) -> Result<(), EngineError> {
        self.apply_charge_now(payment_id, charge).await.map(|_| ())
    }

    /// The payment a provider's charge or refund belongs to: by the attempt id in its
    /// metadata, else by the provider's id.
    pub async fn payment_of(
        &self,
        connection: &mut Connection,
        attempt_id: Option<&str>,
        provider_id: &str,
    ) -> Result<Option<Payment>, EngineError> {
        if let Some(attempt_id) = attempt_id {
            if let Some(payment) = payments::get(connection, attempt_id).await? {
                return Ok(Some(payment));
            }
        }
        Ok(payments::by_provider_id(connection, provider_id).await?)
    }

    /// Looks up at the provider every payment whose call was never answered (a node died, the
    /// provider timed out) and applies what it says; one it never received failed. `now` is
    /// real time, the clock calls run on. Answers how many were settled.
    pub async fn settle_unanswered_payments(
        self: &Arc<Self>,
        now: Timestamp,
    ) -> Result<usize, EngineError> {
        let Some(card_payments) = self.card_payments.clone() else {
            return Ok(0);
        };
        let before_ms = card_payments.calls_over_before_ms(now);
        let mut connection = self.store.read().await?;
        let unanswered = payments::unanswered(&mut connection, before_ms, 100).await?;
        drop(connection);
        let mut settled = 0;
        for payment in unanswered {
            let found = match card_payments.provider.find_charge(&payment.id).await {
                Ok(found) => found,
                // Asked again on the next round.
                Err(error) => {
                    tracing::warn!(payment = %payment.id, %error, "looking up an unanswered payment");
                    continue;
                }
            };
            match found {
                Some(charge) => {
                    self.apply_charge_now(&payment.id, &charge).await?;
                }
                None => {
                    self.record_charge_failure(&payment, None, NOT_MADE.0, NOT_MADE.1)
                        .await?;
                }
            }
            settled += 1;
        }
        Ok(settled)
    }
}

impl Engine {
    /// Applies a provider's webhook event in one transaction, once: an event id applied
    /// before is acknowledged and changes nothing. Answers whether it was applied now.
    pub async fn apply_provider_event(
        self: &Arc<Self>,
        event: tenure_payments::stripe::webhook::Event,
    ) -> Result<bool, EngineError> {
        let card_payments = self.card_payments()?.clone();
        let provider = card_payments.name;
        let engine = Arc::clone(self);
        self.store
            .write(move |tx| {
                let (engine, event, card_payments) =
                    (engine.clone(), event.clone(), card_payments.clone());
                Box::pin(async move {
                    let now = engine.clock.now();
                    if !payments::first_time(tx, &event.id, provider, &event.kind, now).await? {
                        return Ok(false);
                    }
                    use tenure_payments::stripe::webhook::Outcome as Said;
                    match &event.outcome {
                        Said::Charge(charge) => {
                            let attempt_id = charge.attempt_id.as_deref();
                            let payment = engine
                                .payment_of(tx, attempt_id, &charge.provider_id)
                                .await?;
                            // An order's charge whose request may still be placing the order is
                            // that request's to settle (with the order); were it to die, the
                            // lookup of lost answers settles it. Crediting it here would pay
                            // the balance instead of the order the customer is buying.
                            let placing = |payment: &Payment| {
                                payment.purpose == "order"
                                    && payment.status == "started"
                                    && payment.started_at_ms
                                        >= card_payments.calls_over_before_ms(Timestamp::now())
                            };
                            if let Some(payment) = payment.filter(|payment| !placing(payment)) {
                                engine.apply_charge(tx, &payment.id, charge).await?;
                            }
                        }
                        Said::Dispute {
                            charge_id,
                            amount_minor,
                            reason,
                        } => {
                            if let Some(payment) = payments::by_provider_id(tx, charge_id).await? {
                                engine
                                    .record_dispute(tx, &payment, charge_id, *amount_minor, reason)
                                    .await?;
                            }
                        }
                        Said::Refund(made) => {
                            let attempt_id = made.attempt_id.as_deref();
                            let payment =
                                engine.payment_of(tx, attempt_id, &made.provider_id).await?;
                            if let Some(payment) =
                                payment.filter(|payment| payment.kind == "refund")
                            {
                                engine.apply_refund(tx, &payment.id, made).await?;
                            }
                        }
                        Said::Ignored => {}
                    }
                    Ok(true)
                })
            })
            .await
    }
}

impl Engine {
    /// A dispute of `payment`: the `payment.disputed` event on its account and, when the
    /// operator gave an address, the operator's notice (see `tenure_core::dispute`).
    async fn record_dispute(
        &self,
        tx: &mut Tx,
        payment: &Payment,
        provider_id: &str,
        amount_minor: i64,
        reason: &str,
    ) -> Result<(), EngineError> {
        let account = accounts::get(tx, &payment.account_id)
            .await?
            .ok_or_else(|| EngineError::not_found("account", &payment.account_id))?;
        let disputed = Disputed {
            account_id: &account.id,
            account_name: &account.name,
            currency: &account.currency,
            payment_id: &payment.id,
            provider_id,
            amount_minor,
            reason,
        };
        let (event, notice) = payment_disputed(
            &disputed,
            self.operator_email.as_deref(),
            &self.catalog.notices,
        );
        let notices: Vec<_> = notice.into_iter().collect();
        self.record(tx, self.clock.now(), &account, &[event], &notices)
            .await
    }
}

/// `payment.failed` for a payment just marked failed.
async fn failed_event(engine: &Engine, tx: &mut Tx, payment_id: &str) -> Result<(), EngineError> {
    let payment = payments::get(tx, payment_id)
        .await?
        .ok_or_else(|| EngineError::not_found("payment", payment_id))?;
    let data = json!({
        "amount_minor": payment.amount_minor,
        "code": payment.failure_code,
        "message": payment.failure_message,
        "payment_id": payment.id,
        "purpose": payment.purpose,
    });
    engine
        .record_account_event(tx, &payment.account_id, EventKind::PaymentFailed, data)
        .await
}
