//! Refunds sent back to the card through the payment provider. An unsubscription whose refund
//! goes to the card that paid through the provider queues, in its own transaction, one refund
//! payment per charge it gives back from (newest charge first, never more than a charge has
//! left): an outbox, so nothing is sent for an unsubscription that rolled back. The sender
//! claims each (a lease longer than a call), asks the provider first whether a refund was
//! already made for it (an answer lost), else sends it with the payment's id as the
//! idempotency key, and applies the outcome in a write of its own: once every refund payment
//! of a refund succeeded, the refund is complete (`refund.completed`), as the operator's
//! `POST /v1/refunds/{id}/complete` would do.

use std::sync::Arc;

use jiff::Timestamp;
use tenure_core::ledger::Entry;
use tenure_core::payment::PaymentMethod;
use tenure_core::refund::RefundStatus;
use tenure_core::refund::{refund_completed, refund_redirected};
use tenure_core::refund_destination::RefundDestination;
use tenure_payments::{
    ProviderError, Refund as ProviderRefund, RefundRequest, RefundStatus as Said,
};
use tenure_store::payments::{self, Outcome, Payment};
use tenure_store::refunds::{self, Refund};
use tenure_store::{ledger, Tx};

use crate::engine::Engine;
use crate::error::EngineError;
use crate::unsubscriptions::written;

impl Engine {
    /// Queues the provider refunds of `refund`, if it goes to a card that paid through the
    /// provider (in the unsubscription's transaction). A card payment recorded by the operator
    /// is refunded by the operator, as before.
    pub(crate) async fn queue_card_refund(
        &self,
        tx: &mut Tx,
        refund: &Refund,
    ) -> Result<(), EngineError> {
        let Some(card_payments) = &self.card_payments else {
            return Ok(());
        };
        if refund.status != RefundStatus::Processing
            || refund.destination != RefundDestination::Original(PaymentMethod::BankCard)
            || refund.to_external_minor <= 0
        {
            return Ok(());
        }
        // Each part from the newest charge first, never more than a charge has left.
        let mut left_minor = refund.to_external_minor;
        let mut parts = Vec::new();
        for (charge, refunded_minor) in payments::period_charges(tx, &refund.order_id).await? {
            let part_minor = left_minor.min(charge.amount_minor - refunded_minor);
            if part_minor > 0 {
                left_minor -= part_minor;
                parts.push((charge, part_minor));
            }
        }
        // Card money that did not come through the provider (a card payment the operator
        // recorded) is the operator's to give back, the whole refund with it, as before.
        if left_minor > 0 {
            return Ok(());
        }
        for (charge, part_minor) in parts {
            let payment = Payment {
                id: self.ids.next("pay"),
                account_id: refund.account_id.clone(),
                provider: card_payments.name.to_string(),
                kind: "refund".into(),
                purpose: "refund".into(),
                amount_minor: part_minor,
                currency: charge.currency.clone(),
                card_id: charge.card_id.clone(),
                refunds_payment_id: Some(charge.id.clone()),
                refund_id: Some(refund.id.clone()),
                order_id: charge.order_id.clone(),
                request_scope: None,
                request_key: None,
                status: "started".into(),
                provider_id: None,
                failure_code: None,
                failure_message: None,
                created_at: self.clock.now(),
                // Never claimed: the sender takes it at once.
                started_at_ms: 0,
                settled_at: None,
            };
            payments::insert(tx, &payment).await?;
        }
        Ok(())
    }

    /// Sends the queued refunds to the provider and applies what it answers; answers how many
    /// were settled. `now` is real time, the clock calls run on.
    pub async fn send_card_refunds(self: &Arc<Self>, now: Timestamp) -> Result<usize, EngineError> {
        let Some(card_payments) = self.card_payments.clone() else {
            return Ok(0);
        };
        let now_ms = now.as_millisecond();
        let claimed_before_ms = card_payments.calls_over_before_ms(now);
        // Read before any call, the connection given back: a slow provider holds nothing.
        let mut to_send = Vec::new();
        {
            let mut connection = self.store.read().await?;
            for queued in payments::refunds_to_send(&mut connection, claimed_before_ms, 100).await?
            {
                if let Some(charge_id) = charge_provider_id(&mut connection, &queued).await? {
                    to_send.push((queued, charge_id));
                }
            }
        }
        let mut settled = 0;
        for (refund_payment, charge_id) in to_send {
            let (id, last_claim_ms) = (refund_payment.id.clone(), refund_payment.started_at_ms);
            let claimed = self
                .store
                .write(move |tx| {
                    let id = id.clone();
                    Box::pin(async move {
                        payments::claim(tx, &id, last_claim_ms, now_ms)
                            .await
                            .map_err(EngineError::from)
                    })
                })
                .await?;
            if !claimed {
                continue;
            }
            // Claimed before: its call may have been made, its answer lost.
            let found = if last_claim_ms > 0 {
                match card_payments.provider.find_refund(&refund_payment.id).await {
                    Ok(found) => found,
                    Err(error) => {
                        tracing::warn!(payment = %refund_payment.id, %error, "looking up a refund");
                        continue;
                    }
                }
            } else {
                None
            };
            let answer = match found {
                Some(made) => Ok(made),
                None => {
                    let request = RefundRequest {
                        attempt_id: refund_payment.id.clone(),
                        charge_id,
                        amount_minor: refund_payment.amount_minor,
                    };
                    card_payments.provider.refund(&request).await
                }
            };
            let made = match answer {
                Ok(made) => made,
                // Asked again when the claim runs out.
                Err(ProviderError::Unanswered(why)) => {
                    tracing::warn!(payment = %refund_payment.id, %why, "sending a refund");
                    continue;
                }
                Err(
                    ProviderError::Declined { code, message, .. }
                    | ProviderError::Refused { code, message, .. },
                ) => ProviderRefund {
                    provider_id: String::new(),
                    attempt_id: Some(refund_payment.id.clone()),
                    charge_id: String::new(),
                    amount_minor: refund_payment.amount_minor,
                    status: Said::Failed {
                        reason: format!("{code}: {message}"),
                    },
                },
            };
            let (engine, payment_id) = (Arc::clone(self), refund_payment.id.clone());
            self.store
                .write(move |tx| {
                    let (engine, payment_id, made) =
                        (engine.clone(), payment_id.clone(), made.clone());
                    Box::pin(async move { engine.apply_refund(tx, &payment_id, &made).await })
                })
                .await?;
            settled += 1;
        }
        Ok(settled)
    }

    /// Applies what the provider says of refund payment `payment_id` (its answer, a lookup or
    /// a webhook): once each, by the payment's status.
    pub async fn apply_refund(
        &self,
        tx: &mut Tx,
        payment_id: &str,
        made: &ProviderRefund,
    ) -> Result<(), EngineError> {
        let now = self.clock.now();
        let provider_id = (!made.provider_id.is_empty()).then_some(made.provider_id.as_str());
        let (status, failure) = match &made.status {
            Said::Succeeded => ("succeeded", None),
            Said::Pending => ("pending", None),
            Said::Failed { reason } => ("failed", Some(reason.as_str())),
        };
        let outcome = Outcome {
            status,
            provider_id,
            failure_code: failure.map(|_| "refund_failed"),
            failure_message: failure,
            settled_at: (status != "pending").then_some(now),
        };
        let from: &[&str] = if status == "pending" {
            &["started"]
        } else {
            &["started", "pending"]
        };
        if !payments::settle(tx, payment_id, from, &outcome).await? {
            return Ok(());
        }
        let payment = payments::get(tx, payment_id)
            .await?
            .ok_or_else(|| EngineError::not_found("payment", payment_id))?;
        let Some(refund_id) = payment.refund_id.clone() else {
            return Ok(());
        };
        match failure {
            None if status == "succeeded" => {
                let at = payment.settled_at.unwrap_or(now);
                for entry in [
                    Entry::refund_completed(PaymentMethod::BankCard, payment.amount_minor),
                    Entry::provider_paid_back(payment.amount_minor),
                ] {
                    let memo = format!("refund {refund_id} paid back to the card ({payment_id})");
                    let entry_id = self.ids.next("led");
                    ledger::write_entry(
                        tx,
                        &entry_id,
                        &payment.account_id,
                        &entry,
                        at,
                        payment.order_id.as_deref(),
                        &memo,
                    )
                    .await?;
                }
            }
            Some(reason) => {
                self.redirect_to_balance(tx, &refund_id, &payment, reason)
                    .await?
            }
            None => return Ok(()),
        }
        self.finish_provider_refund(tx, &refund_id).await
    }

    /// A part of refund `refund_id` the provider refused goes to the balance instead, and the
    /// customer is told why.
    async fn redirect_to_balance(
        &self,
        tx: &mut Tx,
        refund_id: &str,
        payment: &Payment,
        reason: &str,
    ) -> Result<(), EngineError> {
        let now = self.clock.now();
        let account = self.lock_account(tx, &payment.account_id).await?;
        let refund = refunds::get(tx, refund_id)
            .await?
            .ok_or_else(|| EngineError::not_found("refund", refund_id))?;
        ledger::write_entry(
            tx,
            &self.ids.next("led"),
            &account.id,
            &Entry::refund_redirected(payment.amount_minor),
            now,
            Some(&refund.order_id),
            &format!("refund {refund_id}: the card refused it ({reason}), to the balance"),
        )
        .await?;
        let (event, notice) = refund_redirected(
            &written(&refund),
            payment.amount_minor,
            reason,
            &account.currency,
            &self.catalog.notices,
        );
        self.record(tx, now, &account, &[event], &[notice]).await
    }

    /// Once every part of refund `refund_id` sent through the provider is settled, the refund
    /// is done: what reached the card is announced (`refund.completed`), the rest was
    /// redirected to the balance part by part.
    async fn finish_provider_refund(
        &self,
        tx: &mut Tx,
        refund_id: &str,
    ) -> Result<(), EngineError> {
        let parts = payments::of_refund(tx, refund_id).await?;
        if parts
            .iter()
            .any(|part| part.status == "started" || part.status == "pending")
        {
            return Ok(());
        }
        let now = self.clock.now();
        let refund = refunds::lock(tx, refund_id)
            .await?
            .ok_or_else(|| EngineError::not_found("refund", refund_id))?;
        if refund.status != RefundStatus::Processing {
            return Ok(());
        }
        refunds::complete(tx, refund_id, now).await?;
        let paid_back_minor: i64 = parts
            .iter()
            .filter(|part| part.status == "succeeded")
            .map(|part| part.amount_minor)
            .sum();
        if paid_back_minor > 0 {
            let account = self.lock_account(tx, &refund.account_id).await?;
            let arrived = Refund {
                to_external_minor: paid_back_minor,
                ..refund
            };
            let (event, notice) =
                refund_completed(&written(&arrived), &account.currency, &self.catalog.notices);
            self.record(tx, now, &account, &[event], &[notice]).await?;
        }
        Ok(())
    }
}

/// The provider's id of the charge a refund payment gives back from.
async fn charge_provider_id(
    connection: &mut tenure_store::Connection,
    refund_payment: &Payment,
) -> Result<Option<String>, EngineError> {
    let Some(charge_id) = &refund_payment.refunds_payment_id else {
        return Ok(None);
    };
    Ok(payments::get(connection, charge_id)
        .await?
        .and_then(|charge| charge.provider_id))
}
