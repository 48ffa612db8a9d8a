//! Buying instances, and the views of them. Renewing them is `renew.rs`.

use jiff::Timestamp;
use tenure_core::auto_renewal::{effective_from, next_attempt};
use tenure_core::catalog::{Billing, Product};
use tenure_core::event::{EventDraft, EventKind};
use tenure_core::ledger::Entry;
use tenure_core::lifecycle::{next_step_due, Instance, InstanceStatus, RenewalMode};
use tenure_core::order::{OrderKind, OrderStatus};
use tenure_core::overdue::FeeOperation;
use tenure_core::payment::{plan_payment, PaymentPlan, PaymentSources};
use tenure_core::period::Period;
use tenure_core::purchase::{plan_purchase, purchased_event, PurchaseError, PurchaseRequest};
use tenure_core::purchase_credit::{self, CreditRefusal, CreditRequirement};
use tenure_store::accounts::Account;
use tenure_store::deduction_attempts::{self, DeductionAttempt};
use tenure_store::instances::{self, StoredInstance};
use tenure_store::ledger::EntryWrite;
use tenure_store::orders::Order;
use tenure_store::{bills, ledger, Connection, Tx};

use crate::engine::Engine;
use crate::error::EngineError;
use crate::record::RecordBuffer;

pub use crate::renew::{RenewalResult, MAX_BULK_RENEWAL};

/// An instance as the API shows it: its state plus the scheduler's view of it.
#[derive(Debug, Clone)]
pub struct InstanceView {
    pub instance: Instance,
    /// When the next lifecycle step (reminder, expiry, release) is due.
    pub next_due_at: Option<Timestamp>,
    /// When an expired instance will be released.
    pub release_at: Option<Timestamp>,
    /// When auto-renewal next tries to pay; none unless the renewal mode is `auto` and an
    /// attempt is left for the current expiry.
    pub next_deduction_at: Option<Timestamp>,
    /// The deduction attempts made so far for the current expiry (instance details only).
    pub deduction_attempts: Option<Vec<DeductionAttempt>>,
}

impl InstanceView {
    pub fn new(stored: StoredInstance, product: Option<&Product>) -> InstanceView {
        let release_at = match (stored.instance.status, stored.instance.expires_at, product) {
            (InstanceStatus::Expired, Some(expires_at), Some(product)) => Some(
                tenure_core::lifecycle::due::release_at(expires_at, &product.lifecycle),
            ),
            _ => None,
        };
        let next_deduction_at = product
            .and_then(|product| next_attempt(&stored.instance, &product.auto_renewal))
            .map(|attempt| attempt.at);
        InstanceView {
            instance: stored.instance,
            next_due_at: stored.next_due_at,
            release_at,
            next_deduction_at,
            deduction_attempts: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct PurchaseCommand {
    pub account_id: String,
    pub request: PurchaseRequest,
    pub auto_renew: bool,
    pub sources: PaymentSources,
    /// Checked at the edge (`tenure_core::label`).
    pub name: Option<String>,
    /// Checked and sorted at the edge (`tenure_core::label::check_tags`).
    pub tags: Vec<String>,
}

/// What `PATCH /v1/instances/{id}` changes, checked at the edge (`tenure_core::label`):
/// `None` leaves a field as it is; `Some(None)` removes the name.
#[derive(Debug, Clone, Default)]
pub struct LabelChange {
    pub name: Option<Option<String>>,
    pub tags: Option<Vec<String>>,
}

#[derive(Debug, Clone)]
pub struct PurchaseResult {
    pub instance: InstanceView,
    /// The paid order; none for pay-as-you-go and free instances.
    pub order: Option<Order>,
}

fn purchase_error(error: PurchaseError) -> EngineError {
    let code = match &error {
        PurchaseError::UnknownProduct(_) => "unknown_product",
        PurchaseError::UnknownEdition { .. } => "unknown_edition",
        PurchaseError::UnknownSpec { .. } | PurchaseError::SpecRequired { .. } => "unknown_spec",
        PurchaseError::UnknownRegion { .. } => "unknown_region",
        PurchaseError::BillingMismatch { .. } => "billing_mismatch",
        PurchaseError::PeriodRequired
        | PurchaseError::PeriodNotAllowed(_)
        | PurchaseError::PeriodNotSold { .. } => "period_not_sold",
        PurchaseError::AutoRenewPeriodNotOffered { .. } | PurchaseError::AutoRenewNotAllowed => {
            "auto_renewal_not_offered"
        }
        PurchaseError::ActivationNotAllowed | PurchaseError::ActivationOutOfRange => {
            "invalid_activation"
        }
        PurchaseError::Price(_) => "invalid_amount",
    };
    EngineError::invalid(code, error)
}

/// An order's payment as planned from the account's funds ([`Engine::plan_order_payment`]),
/// with the funds it read, to be written by [`Engine::pay_planned_order`].
pub(crate) struct PlannedPayment {
    plan: PaymentPlan,
    buffer: RecordBuffer,
}

/// What an order is for, before it is paid.
pub(crate) struct OrderDraft<'a> {
    pub kind: OrderKind,
    pub instance: &'a Instance,
    pub period: Period,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub list_price_minor: i64,
}

impl Engine {
    /// Pays an order from the allowed sources and writes the order and its ledger entry.
    pub(crate) async fn pay_order(
        &self,
        tx: &mut Tx,
        account: &Account,
        draft: OrderDraft<'_>,
        sources: PaymentSources,
        now: Timestamp,
    ) -> Result<Order, EngineError> {
        let payment = self
            .plan_order_payment(tx, account, draft.list_price_minor, sources)
            .await?;
        self.pay_planned_order(tx, account, draft, payment, now)
            .await
    }

    /// How an order of `list_price_minor` would be paid from the account's funds now, or
    /// `insufficient_funds`: a read, so that a use case can refuse before its first write.
    pub(crate) async fn plan_order_payment(
        &self,
        tx: &mut Tx,
        account: &Account,
        list_price_minor: i64,
        sources: PaymentSources,
    ) -> Result<PlannedPayment, EngineError> {
        let mut buffer = RecordBuffer::default();
        let funds = buffer.funds(tx, &account.id).await?;
        let plan = plan_payment(list_price_minor, funds, sources).map_err(|shortfall| {
            EngineError::PaymentRequired {
                code: "insufficient_funds",
                message: format!(
                    "the order costs {} but the account can pay only {} from the allowed sources; \
                     deposit funds or pay with an external method",
                    shortfall.due_minor, shortfall.available_minor
                ),
            }
        })?;
        Ok(PlannedPayment { plan, buffer })
    }

    /// Writes an order paid as planned by [`Engine::plan_order_payment`] in this transaction,
    /// with nothing written to the account's funds in between.
    pub(crate) async fn pay_planned_order(
        &self,
        tx: &mut Tx,
        account: &Account,
        draft: OrderDraft<'_>,
        payment: PlannedPayment,
        now: Timestamp,
    ) -> Result<Order, EngineError> {
        let PlannedPayment { plan, mut buffer } = payment;
        let order = self
            .write_paid_order(
                tx,
                account,
                &self.ids.next("ord"),
                draft,
                &plan,
                now,
                &mut buffer,
            )
            .await?;
        buffer.flush(tx, self).await?;
        Ok(order)
    }

    /// Adds an order paid as `plan` says, and its ledger entry, to `buffer`, which the caller
    /// writes in the same transaction; so does a low-balance alert it causes. `account` is as
    /// read (and locked) in this transaction.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn write_paid_order(
        &self,
        tx: &mut Tx,
        account: &Account,
        order_id: &str,
        draft: OrderDraft<'_>,
        plan: &PaymentPlan,
        now: Timestamp,
        buffer: &mut RecordBuffer,
    ) -> Result<Order, EngineError> {
        let order = Order {
            id: order_id.to_string(),
            account_id: account.id.clone(),
            instance_id: draft.instance.id.clone(),
            kind: draft.kind,
            status: OrderStatus::Paid,
            product_id: draft.instance.product_id.clone(),
            edition_id: draft.instance.edition_id.clone(),
            spec_id: draft.instance.spec_id.clone(),
            period: draft.period,
            starts_at: draft.starts_at,
            ends_at: draft.ends_at,
            list_price_minor: draft.list_price_minor,
            paid_voucher_minor: plan.voucher_minor,
            paid_coupon_minor: plan.coupon_minor,
            paid_balance_minor: plan.balance_minor,
            paid_external_minor: plan.external_minor,
            external_method: plan.external_method,
            created_at: now,
            // A purchase or renewal opens its own service period, holding what it was paid.
            period_order_id: order_id.to_string(),
            period_revision: 0,
            value_cash_minor: plan.cash_minor(),
            value_voucher_minor: plan.voucher_minor,
            value_from_hours: 0,
            refunded_minor: 0,
            refund_destination: None,
        };
        buffer.add_order(order.clone());
        if let Some(invoice) = self
            .invoice_for_order(tx, account, draft.instance, &order)
            .await?
        {
            buffer.add_invoice(invoice);
        }
        buffer.add_entry(EntryWrite {
            entry_id: self.ids.next("led"),
            account_id: account.id.clone(),
            entry: Entry::order_payment(plan),
            at: now,
            order_id: Some(order.id.clone()),
            memo: format!("{} of {}", draft.kind, draft.instance.id),
        });
        // The threshold is read with the account, whose lock the caller holds: without one
        // there is nothing to check, and no need to read the account again.
        if account.low_balance_threshold_minor.is_some() {
            self.check_low_balance_into(tx, &account.id, now, true, buffer)
                .await?;
        }
        Ok(order)
    }

    pub async fn purchase(
        &self,
        tx: &mut Tx,
        command: PurchaseCommand,
    ) -> Result<PurchaseResult, EngineError> {
        let now = self.clock.now();
        let plan = plan_purchase(&self.catalog, &command.request, command.auto_renew, now)
            .map_err(purchase_error)?;
        let account = self.lock_account(tx, &command.account_id).await?;
        self.ensure_not_overdue(tx, &account, FeeOperation::Purchase, plan.billing)
            .await?;
        let product = self.product(&command.request.product_id)?;
        self.ensure_credit_before_use(tx, &account, product, plan.billing)
            .await?;
        let request = &command.request;
        let instance = Instance {
            id: self.ids.next("inst"),
            account_id: account.id.clone(),
            product_id: request.product_id.clone(),
            edition_id: request.edition_id.clone(),
            spec_id: plan.spec_id.clone(),
            region: request.region.clone(),
            billing: plan.billing,
            // A resource plan bought to take effect later waits for it, unactivated.
            status: if plan.starts_at > now {
                InstanceStatus::Unactivated
            } else {
                InstanceStatus::Active
            },
            created_at: now,
            expires_at: plan.expires_at,
            released_at: None,
            renewal_mode: if plan.auto_renew_period.is_some() {
                RenewalMode::Auto
            } else {
                RenewalMode::Manual
            },
            auto_renew_period: plan.auto_renew_period,
            subscription_period: plan.period,
            reminded_for_expiry: None,
            auto_renew_schedule: plan
                .auto_renew_period
                .map(|_| product.auto_renewal.choice_at_purchase()),
            auto_renew_effective_from: plan.auto_renew_period.map(|_| effective_from(now)),
            last_deduction_attempt: None,
            last_active_at: None,
            activates_at: (plan.starts_at > now).then_some(plan.starts_at),
            release_warned_for_expiry: None,
            domain_statuses: Vec::new(),
            name: command.name.clone(),
            tags: command.tags.clone(),
        };
        // Paid for before anything is written: a purchase the account cannot pay for (the
        // most common refusal) then writes nothing, and the store has nothing to undo.
        let payment = match (plan.period, plan.expires_at) {
            (Some(_), Some(_)) => Some(
                self.plan_order_payment(tx, &account, plan.list_price_minor, command.sources)
                    .await?,
            ),
            _ => None,
        };
        let next_due_at =
            next_step_due(&instance, product, account.overdue_since).map(|due| due.at);
        instances::insert(tx, &instance, next_due_at).await?;
        if plan.billing == Billing::ResourcePlan {
            self.open_plan_quota(tx, &instance, product, plan.starts_at)
                .await?;
        }
        let order = match (plan.period, plan.expires_at, payment) {
            (Some(period), Some(expires_at), Some(payment)) => {
                let draft = OrderDraft {
                    kind: OrderKind::Purchase,
                    instance: &instance,
                    period,
                    starts_at: plan.starts_at,
                    ends_at: expires_at,
                    list_price_minor: plan.list_price_minor,
                };
                Some(
                    self.pay_planned_order(tx, &account, draft, payment, now)
                        .await?,
                )
            }
            _ => None,
        };
        let event = purchased_event(
            &instance,
            order.as_ref().map(|order| order.id.as_str()),
            plan.list_price_minor,
            plan.starts_at,
        );
        self.record(tx, now, &account, &[event], &[]).await?;
        let stored = StoredInstance {
            instance,
            next_due_at,
        };
        Ok(PurchaseResult {
            instance: InstanceView::new(stored, Some(product)),
            order,
        })
    }

    /// Refuses buying one more instance billed after its use (pay-as-you-go, or a free one
    /// past the product's allowance) that the account's credit or the product's limit of open
    /// pay-as-you-go instances does not allow (`tenure_core::purchase_credit`): 409
    /// `payg_instance_limit` or 402 `insufficient_credit`. The caller holds the account's lock,
    /// so two purchases cannot both take the last place, and has written nothing yet.
    async fn ensure_credit_before_use(
        &self,
        tx: &mut Tx,
        account: &Account,
        product: &Product,
        billing: Billing,
    ) -> Result<(), EngineError> {
        if billing.is_prepaid() {
            return Ok(());
        }
        let limits = &product.purchase_limits;
        let refused = |refusal: CreditRefusal| match refusal {
            CreditRefusal::PaygLimitReached { .. } => EngineError::refused(refusal.code(), refusal),
            CreditRefusal::InsufficientCredit { .. } => EngineError::PaymentRequired {
                code: refusal.code(),
                message: refusal.to_string(),
            },
        };
        let counts =
            instances::count_of_account_by_status(tx, &account.id, &product.id, billing).await?;
        let needed = purchase_credit::requirement(
            &product.id,
            billing,
            limits,
            purchase_credit::open_count(&counts),
        )
        .map_err(refused)?;
        if needed == CreditRequirement::None {
            return Ok(());
        }
        let funds = ledger::funds(tx, &account.id).await?;
        let debt_minor = bills::debt_minor(tx, &account.id).await?;
        purchase_credit::check_credit(
            needed,
            purchase_credit::available_credit_minor(funds, debt_minor),
            &product.id,
            billing,
            limits,
            &account.currency,
        )
        .map_err(refused)
    }

    /// Names, renames or tags an instance (`instance.labelled`), in the caller's transaction.
    /// A change that changes nothing writes nothing.
    pub async fn label_instance(
        &self,
        tx: &mut Tx,
        instance_id: &str,
        change: LabelChange,
    ) -> Result<InstanceView, EngineError> {
        let now = self.clock.now();
        let mut stored = self.lock_instance(tx, instance_id).await?;
        let before = stored.instance.clone();
        if let Some(name) = change.name {
            stored.instance.name = name;
        }
        if let Some(tags) = change.tags {
            stored.instance.tags = tags;
        }
        let instance = &stored.instance;
        if instance.name != before.name || instance.tags != before.tags {
            instances::set_labels(tx, &instance.id, instance.name.as_deref(), &instance.tags)
                .await?;
            let account = self.lock_account(tx, &instance.account_id).await?;
            let event = EventDraft {
                kind: EventKind::InstanceLabelled,
                account_id: account.id.clone(),
                instance_id: Some(instance.id.clone()),
                data: serde_json::json!({
                    "name": instance.name,
                    "tags": instance.tags,
                    "previous_name": before.name,
                    "previous_tags": before.tags,
                })
                .into(),
            };
            self.record(tx, now, &account, &[event], &[]).await?;
        }
        let product = self.catalog.product(&stored.instance.product_id);
        Ok(InstanceView::new(stored, product))
    }

    pub async fn instance_view(
        &self,
        connection: &mut Connection,
        instance_id: &str,
    ) -> Result<InstanceView, EngineError> {
        let stored = instances::get(connection, instance_id)
            .await?
            .ok_or_else(|| EngineError::not_found("instance", instance_id))?;
        let product = self.catalog.product(&stored.instance.product_id);
        let attempts = match stored.instance.expires_at {
            Some(expires_at) => {
                deduction_attempts::for_expiry(connection, instance_id, expires_at).await?
            }
            None => Vec::new(),
        };
        Ok(InstanceView {
            deduction_attempts: Some(attempts),
            ..InstanceView::new(stored, product)
        })
    }
}
