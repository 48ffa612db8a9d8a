//! Quoting a change and changing: decided and priced under the instance's lock, then each paid
//! period's share paid or refunded as its own order. Apart from approvals, which only a change
//! that waits for the operator goes through.

use jiff::Timestamp;
use tenure_core::change::{
    changed_events, decide_change, price_change, ChangeRefusal, PeriodChange,
};
use tenure_core::ledger::Entry;
use tenure_core::lifecycle::{next_due, Instance};
use tenure_core::order::OrderStatus;
use tenure_core::paid_parts::PaidParts;
use tenure_core::payment::{plan_payment, InsufficientFunds, PaymentSources};
use tenure_core::proration::{ChangeAmounts, ChangeDirection};
use tenure_core::refund::{split_downgrade_refund, RefundSplit};
use tenure_core::refund_destination::{refund_destination, RefundCause, RefundDestination};
use tenure_store::accounts::Account;
use tenure_store::approvals;
use tenure_store::instances::{self, StoredInstance};
use tenure_store::orders::{self, Order};
use tenure_store::{ledger, Tx};

use super::{
    ChangeCommand, ChangeOutcome, ChangeQuoteView, Configuration, Prepared, PRORATION_RULE,
};
use crate::engine::Engine;
use crate::error::EngineError;
use crate::instances::InstanceView;
use crate::unsubscriptions::paid_parts;

fn refusal(error: ChangeRefusal) -> EngineError {
    if error.is_invalid_request() {
        EngineError::invalid(error.code(), error)
    } else {
        EngineError::refused(error.code(), error)
    }
}

pub(crate) fn insufficient_funds(shortfall: InsufficientFunds) -> EngineError {
    EngineError::PaymentRequired {
        code: "insufficient_funds",
        message: format!(
            "the change costs {} but the account can pay only {} from the allowed sources; \
             deposit funds or pay with an external method",
            shortfall.due_minor, shortfall.available_minor
        ),
    }
}

impl Engine {
    /// Prices a change and changes nothing.
    pub async fn quote_change(
        &self,
        tx: &mut Tx,
        command: &ChangeCommand,
    ) -> Result<ChangeQuoteView, EngineError> {
        let now = self.clock.now();
        Ok(self.prepare_change(tx, command, now).await?.view)
    }

    /// Applies a change at once, or stores it as a pending approval when the edition needs the
    /// operator for upgrades.
    pub async fn change(
        &self,
        tx: &mut Tx,
        command: &ChangeCommand,
    ) -> Result<ChangeOutcome, EngineError> {
        let now = self.clock.now();
        let prepared = self.prepare_change(tx, command, now).await?;
        if let Some(pending) =
            approvals::pending_for_instance(tx, &prepared.stored.instance.id).await?
        {
            return Err(EngineError::refused(
                "change_pending",
                format!(
                    "instance {} has a change waiting for approval ({}); wait for the operator's \
                     decision or cancel it first",
                    pending.instance_id, pending.id
                ),
            ));
        }
        if prepared.decision.needs_approval {
            return self
                .request_approval(tx, prepared, command.sources, now)
                .await;
        }
        self.apply_change(tx, prepared, command.sources, now).await
    }

    pub(super) async fn prepare_change<'engine>(
        &'engine self,
        tx: &mut Tx,
        command: &ChangeCommand,
        now: Timestamp,
    ) -> Result<Prepared<'engine>, EngineError> {
        let stored = self.lock_instance(tx, &command.instance_id).await?;
        let product = self.product(&stored.instance.product_id)?;
        let decision =
            decide_change(&stored.instance, product, &command.target, now).map_err(refusal)?;
        // A downgrade's refund to the balance pays unpaid bills: lock what settling them changes.
        let account = match decision.direction {
            ChangeDirection::Downgrade => {
                self.lock_for_settlement(tx, &stored.instance.account_id)
                    .await?
            }
            ChangeDirection::Upgrade => self.lock_account(tx, &stored.instance.account_id).await?,
        };
        let periods = orders::paid_periods(tx, &stored.instance.id, now).await?;
        let quote = price_change(decision.direction, decision.spec, &periods, now)
            .map_err(|error| EngineError::invalid("invalid_amount", error))?;
        let first_refund = quote
            .periods
            .iter()
            .find(|line| line.amounts.refund_minor > 0);
        let destination = match first_refund {
            Some(line) => Some(
                self.period_refund_destination(tx, &line.period_order_id, now)
                    .await?,
            ),
            None => None,
        };
        let view = ChangeQuoteView {
            instance_id: stored.instance.id.clone(),
            from: Configuration {
                edition_id: stored.instance.edition_id.clone(),
                spec_id: stored.instance.spec_id.clone(),
            },
            to: Configuration {
                edition_id: decision.edition.id.clone(),
                spec_id: decision.spec.id.clone(),
            },
            needs_approval: decision.needs_approval,
            currency: product.currency.code().to_string(),
            proration_rule: PRORATION_RULE,
            refund_destination: destination,
            quote,
        };
        Ok(Prepared {
            stored,
            product,
            decision,
            account,
            view,
        })
    }

    /// Where a downgrade's refund of a period's cash goes: asked of the one destination rule
    /// (`tenure_core::refund_destination`) with how and when the period's opening order was
    /// paid. Downgrades go to the balance; unsubscriptions follow the card and wallet windows.
    async fn period_refund_destination(
        &self,
        tx: &mut Tx,
        period_order_id: &str,
        now: Timestamp,
    ) -> Result<RefundDestination, EngineError> {
        let opening = orders::get(tx, period_order_id)
            .await?
            .expect("a paid period has its opening order");
        Ok(refund_destination(
            RefundCause::Downgrade,
            opening.external_method,
            opening.created_at,
            now,
        ))
    }

    /// Fee operations (purchase, upgrade, renewal) are refused while the account is overdue
    /// (`Engine::ensure_not_overdue`, in `overdue.rs`). Downgrades never ask: they cost nothing.
    pub(crate) async fn refuse_fee_operation_if_overdue(
        &self,
        tx: &mut Tx,
        account: &Account,
    ) -> Result<(), EngineError> {
        self.ensure_not_overdue(
            tx,
            account,
            tenure_core::overdue::FeeOperation::Upgrade,
            tenure_core::catalog::Billing::Subscription,
        )
        .await
    }

    /// Pays or refunds each period's share, writes the change orders, and moves the instance.
    pub(super) async fn apply_change(
        &self,
        tx: &mut Tx,
        prepared: Prepared<'_>,
        sources: PaymentSources,
        now: Timestamp,
    ) -> Result<ChangeOutcome, EngineError> {
        let account = &prepared.account;
        let direction = prepared.decision.direction;
        if direction == ChangeDirection::Upgrade {
            self.refuse_fee_operation_if_overdue(tx, account).await?;
            // Check the whole charge first, so a refusal names the total, not one period's share.
            let funds = ledger::funds(tx, &account.id).await?;
            plan_payment(prepared.view.quote.charge_minor, funds, sources)
                .map_err(insufficient_funds)?;
        }
        let instance = &prepared.stored.instance;
        let changed = Instance {
            edition_id: prepared.decision.edition.id.clone(),
            spec_id: prepared.decision.spec.id.clone(),
            ..instance.clone()
        };
        let mut written = Vec::with_capacity(prepared.view.quote.periods.len());
        for line in &prepared.view.quote.periods {
            let order = self
                .write_change_order(tx, account, &changed, direction, line, sources, now)
                .await?;
            written.push(order);
        }
        let next_due_at = next_due(&changed, prepared.product).map(|due| due.at);
        instances::update(tx, &changed, next_due_at).await?;
        let quote = &prepared.view.quote;
        let order_ids: Vec<&str> = written.iter().map(|order| order.id.as_str()).collect();
        let events = changed_events(
            instance,
            direction,
            &prepared.view.from,
            &prepared.view.to,
            quote,
            prepared.view.refund_destination,
            &order_ids,
        );
        self.record(tx, now, account, &events, &[]).await?;
        // Downgrades refund to the balance (and the coupons' share to coupons), the credit
        // that pays bills.
        let credited_minor = written.iter().map(|order| order.refunded_minor).sum();
        self.settle_after_refund(tx, &account.id, credited_minor, now)
            .await?;
        let stored = StoredInstance {
            instance: changed,
            next_due_at,
        };
        Ok(ChangeOutcome {
            status: "applied",
            instance: InstanceView::new(stored, Some(prepared.product)),
            quote: prepared.view,
            orders: written,
            approval: None,
        })
    }

    /// One period's share of a change: its order, and the payment or refund entry.
    #[allow(clippy::too_many_arguments)]
    async fn write_change_order(
        &self,
        tx: &mut Tx,
        account: &Account,
        changed: &Instance,
        direction: ChangeDirection,
        line: &PeriodChange,
        sources: PaymentSources,
        now: Timestamp,
    ) -> Result<Order, EngineError> {
        let amounts = &line.amounts;
        let payment = if amounts.charge_minor > 0 {
            let funds = ledger::funds(tx, &account.id).await?;
            Some(plan_payment(amounts.charge_minor, funds, sources).map_err(insufficient_funds)?)
        } else {
            None
        };
        let paid = payment.unwrap_or_default();
        let destination = if amounts.refund_minor > 0 {
            Some(
                self.period_refund_destination(tx, &line.period_order_id, now)
                    .await?,
            )
        } else {
            None
        };
        // Split before this order joins the period: by the parts its earlier orders left.
        let refund_split = match destination {
            Some(destination) => Some(
                self.downgrade_refund_split(tx, changed, line, destination, now)
                    .await?,
            ),
            None => None,
        };
        let value = amounts.value_after(paid.cash_minor(), paid.voucher_minor);
        let order = Order {
            id: self.ids.next("ord"),
            account_id: account.id.clone(),
            instance_id: changed.id.clone(),
            kind: direction.into(),
            status: OrderStatus::Paid,
            product_id: changed.product_id.clone(),
            edition_id: changed.edition_id.clone(),
            spec_id: changed.spec_id.clone(),
            period: line.period,
            // The change covers the rest of the period from now (all of a period not started).
            starts_at: now.max(line.starts_at),
            ends_at: line.ends_at,
            list_price_minor: amounts.new_list_price_minor,
            paid_voucher_minor: paid.voucher_minor,
            paid_coupon_minor: paid.coupon_minor,
            paid_balance_minor: paid.balance_minor,
            paid_external_minor: paid.external_minor,
            external_method: paid.external_method,
            created_at: now,
            period_order_id: line.period_order_id.clone(),
            period_revision: line.revision,
            value_cash_minor: value.cash_minor,
            value_voucher_minor: value.voucher_minor,
            value_from_hours: value.from_used_hours,
            refunded_minor: amounts.refund_minor,
            refund_destination: destination,
        };
        orders::insert(tx, &order).await?;
        // An upgrade's charge is invoiced; a downgrade's refund is a credit note of the
        // period's invoice.
        let documents: Vec<_> = [
            self.invoice_for_order(tx, account, changed, &order).await?,
            self.credit_note_for_downgrade(tx, account, &order).await?,
        ]
        .into_iter()
        .flatten()
        .collect();
        if !documents.is_empty() {
            self.issue_now(tx, documents).await?;
        }
        let memo = format!("{} of {}", order.kind, changed.id);
        let mut entries = Vec::new();
        if let Some(plan) = payment {
            entries.push(Entry::order_payment(&plan));
        }
        if let Some(split) = refund_split {
            entries.push(Entry::refund(&split));
        }
        for entry in &entries {
            ledger::write_entry(
                tx,
                &self.ids.next("led"),
                &account.id,
                entry,
                now,
                Some(&order.id),
                &memo,
            )
            .await?;
        }
        Ok(order)
    }
}

/// How a change's refund is booked: to the balance, each part of the period's cash (its
/// opening payment and every upgrade charge, source by source) giving back its share, coupons
/// to coupons (`tenure_core::refund::split_downgrade_refund`, the rule unsubscriptions follow
/// too).
fn refund_split(
    amounts: &ChangeAmounts,
    destination: RefundDestination,
    parts: &PaidParts,
) -> RefundSplit {
    match destination {
        RefundDestination::Balance => {
            split_downgrade_refund(amounts.refund_minor, amounts.unused.cash_minor, parts)
        }
        other => RefundSplit::whole_to(amounts.refund_minor, other),
    }
}

impl Engine {
    /// A downgrade's refund of one period, split by the parts of the period's cash.
    async fn downgrade_refund_split(
        &self,
        tx: &mut Tx,
        changed: &Instance,
        line: &PeriodChange,
        destination: RefundDestination,
        now: Timestamp,
    ) -> Result<RefundSplit, EngineError> {
        let periods = orders::periods(tx, &changed.id, now).await?;
        let period = periods
            .iter()
            .find(|period| period.opening().id == line.period_order_id)
            .expect("a priced period is a paid period of the instance");
        let parts = paid_parts(period, &self.catalog)?;
        Ok(refund_split(&line.amounts, destination, &parts))
    }
}
