//! One deduction attempt: renew for the auto-renewal period from the current expiry, paid from
//! coupons then the balance only ([`PaymentSources::AUTO_RENEWAL`]: never a voucher, a card or
//! a wallet).
//!
//! - Paid: a renewal exactly like a manual one (it adds the period to the current expiry, so an
//!   expired instance is restored and its stopped days are paid for). The new expiry starts the
//!   schedule again.
//! - Failed (the balance and coupons do not cover the price): an `instance.auto_renewal_failed`
//!   event and an alert on each of the product's `failure_alert_channels`; the next attempt
//!   follows the schedule, and when none is left the normal expiry, retention and release go on.
//!
//! Either way the attempt is marked done on the instance ([`DeductionAttemptMark`]), which the
//! shell writes in the same transaction as the payment: the attempt can never be made twice.

use jiff::Timestamp;

use super::schedule::{due_attempt, next_attempt, ScheduledAttempt};
use crate::catalog::Product;
use crate::event::{EventData, EventDraft, EventKind, NoticeDraft};
use crate::lifecycle::due::release_at;
use crate::lifecycle::{DeductionAttemptMark, Instance, InstanceStatus};
use crate::money::format_minor;
use crate::notice::{readable_time, NoticeTexts, Template};
use crate::payment::{plan_payment, Funds, PaymentPlan, PaymentSources};
use crate::renewal::{apply_renewal, plan_renewal, RenewalError, RenewalPlan};

#[derive(Debug, Clone, PartialEq)]
pub enum AttemptResult {
    /// The renewal is paid as `payment` says; the shell writes the order and its ledger entry.
    Paid {
        renewal: RenewalPlan,
        payment: PaymentPlan,
    },
    /// Nothing was paid.
    Failed {
        /// The renewal price, or 0 when the instance could not be priced.
        due_minor: i64,
        /// What the balance and coupons held.
        available_minor: i64,
        reason: FailureReason,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureReason {
    /// The balance and coupons do not cover the price.
    InsufficientFunds,
    /// The catalog no longer sells the instance's spec or the auto-renewal period.
    NotRenewable,
    /// The auto-renewal period from the expiry would end at or before the attempt: nothing is
    /// charged for time already over (a catalog whose attempts after expiry reach past its
    /// shortest period; the default catalog's do not).
    EndsInThePast,
}

impl FailureReason {
    pub fn as_str(self) -> &'static str {
        match self {
            FailureReason::InsufficientFunds => "insufficient_funds",
            FailureReason::NotRenewable => "not_renewable",
            FailureReason::EndsInThePast => "renewal_ends_in_the_past",
        }
    }
}

impl AttemptResult {
    /// `paid`, or the failure reason: the outcome stored with the attempt.
    pub fn outcome(&self) -> &'static str {
        match self {
            AttemptResult::Paid { .. } => "paid",
            AttemptResult::Failed { reason, .. } => reason.as_str(),
        }
    }
}

/// Everything one attempt decides.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptDecision {
    pub attempt: ScheduledAttempt,
    pub result: AttemptResult,
    /// The instance after the attempt: renewed, or only marked.
    pub instance: Instance,
    pub events: Vec<EventDraft>,
    pub notices: Vec<NoticeDraft>,
}

/// The attempt due at `now`, decided with the account's `funds`; `None` when none is due.
/// `order_id` names the renewal order the shell writes if the attempt pays; `texts` are the
/// catalog's notice texts, for the failure alert.
pub fn attempt_deduction(
    instance: &Instance,
    product: &Product,
    funds: Funds,
    now: Timestamp,
    order_id: &str,
    texts: &NoticeTexts,
) -> Option<AttemptDecision> {
    let attempt = due_attempt(instance, &product.auto_renewal, now)?;
    let period = instance
        .auto_renew_period
        .expect("a pending attempt means an auto-renewal period");
    let mark = DeductionAttemptMark {
        renews_expires_at: attempt.renews_expires_at,
        attempt_offset_days: attempt.attempt_offset_days,
    };
    let available_minor = funds.balance_minor.max(0) + funds.coupons_minor.max(0);
    let priced = plan_renewal(instance, product, period, now);
    let paid = priced.as_ref().ok().and_then(|renewal| {
        plan_payment(
            renewal.list_price_minor,
            funds,
            PaymentSources::AUTO_RENEWAL,
        )
        .ok()
        .map(|payment| (*renewal, payment))
    });
    let decision = match paid {
        Some((renewal, payment)) => {
            let renewed = Instance {
                last_deduction_attempt: Some(mark),
                ..apply_renewal(instance, &renewal)
            };
            let events = paid_events(instance, &attempt, &renewal, &payment, order_id);
            AttemptDecision {
                attempt,
                result: AttemptResult::Paid { renewal, payment },
                instance: renewed,
                events,
                notices: Vec::new(),
            }
        }
        None => {
            let (due_minor, reason) = match &priced {
                Ok(renewal) => (renewal.list_price_minor, FailureReason::InsufficientFunds),
                Err(RenewalError::EndsInThePast { .. }) => (0, FailureReason::EndsInThePast),
                Err(_) => (0, FailureReason::NotRenewable),
            };
            let marked = Instance {
                last_deduction_attempt: Some(mark),
                ..instance.clone()
            };
            let result = AttemptResult::Failed {
                due_minor,
                available_minor,
                reason,
            };
            let (event, notices) = failure_alert(&marked, product, &attempt, &result, texts);
            AttemptDecision {
                attempt,
                result,
                instance: marked,
                events: vec![event],
                notices,
            }
        }
    };
    Some(decision)
}

fn paid_events(
    instance: &Instance,
    attempt: &ScheduledAttempt,
    renewal: &RenewalPlan,
    payment: &PaymentPlan,
    order_id: &str,
) -> Vec<EventDraft> {
    let mut events = vec![EventDraft {
        kind: EventKind::InstanceRenewed,
        account_id: instance.account_id.clone(),
        instance_id: Some(instance.id.clone()),
        data: EventData::object()
            .integer("attempt_offset_days", attempt.attempt_offset_days)
            .time("expires_at", renewal.ends_at)
            .text("order_id", order_id)
            .integer("paid_balance_minor", payment.balance_minor)
            .integer("paid_coupon_minor", payment.coupon_minor)
            .text("period", &renewal.period.to_string())
            .time("previous_expires_at", renewal.starts_at)
            .integer("price_minor", renewal.list_price_minor)
            .text("source", "auto_renewal")
            .finish(),
    }];
    if renewal.restores {
        events.push(EventDraft {
            kind: EventKind::InstanceRestored,
            account_id: instance.account_id.clone(),
            instance_id: Some(instance.id.clone()),
            data: EventData::object()
                .time("expires_at", renewal.ends_at)
                .text("source", "auto_renewal")
                .finish(),
        });
    }
    events
}

/// The failure event and its alerts, saying what happens next.
fn failure_alert(
    marked: &Instance,
    product: &Product,
    attempt: &ScheduledAttempt,
    result: &AttemptResult,
    texts: &NoticeTexts,
) -> (EventDraft, Vec<NoticeDraft>) {
    let AttemptResult::Failed {
        due_minor,
        available_minor,
        reason,
    } = *result
    else {
        unreachable!("alerts are for failed attempts")
    };
    let next_attempt_at = next_attempt(marked, &product.auto_renewal).map(|next| next.at);
    let expires_at = attempt.renews_expires_at;
    let release_time = release_at(expires_at, &product.lifecycle);
    let currency = product.currency.code();
    let why = match reason {
        FailureReason::InsufficientFunds => texts.phrase(
            Template::AutoRenewalFailedReasonInsufficientFunds,
            &[
                ("due", &format_minor(due_minor, currency)),
                ("available", &format_minor(available_minor, currency)),
            ],
        ),
        FailureReason::NotRenewable => {
            texts.phrase(Template::AutoRenewalFailedReasonNotRenewable, &[])
        }
        FailureReason::EndsInThePast => {
            texts.phrase(Template::AutoRenewalFailedReasonEndsInThePast, &[])
        }
    };
    let release = readable_time(release_time);
    let what_next = match (next_attempt_at, marked.status) {
        (Some(next), _) => texts.phrase(
            Template::AutoRenewalFailedNextAttempt,
            &[("next_attempt_at", &readable_time(next))],
        ),
        (None, InstanceStatus::Expired) => texts.phrase(
            Template::AutoRenewalFailedLastAttemptExpired,
            &[("release_at", &release)],
        ),
        (None, _) => texts.phrase(
            Template::AutoRenewalFailedLastAttempt,
            &[
                ("expires_at", &readable_time(expires_at)),
                ("release_at", &release),
            ],
        ),
    };
    let event = EventDraft {
        kind: EventKind::AutoRenewalFailed,
        account_id: marked.account_id.clone(),
        instance_id: Some(marked.id.clone()),
        data: EventData::object()
            .integer("attempt_offset_days", attempt.attempt_offset_days)
            .integer("available_minor", available_minor)
            .integer("due_minor", due_minor)
            .optional_time("next_attempt_at", next_attempt_at)
            .text("reason", reason.as_str())
            .time("renews_expires_at", expires_at)
            .finish(),
    };
    // An attempt after the expiry says the instance expired: no notice names a date gone as
    // one still ahead.
    let expiry = texts.phrase(
        if attempt.at >= expires_at {
            Template::AutoRenewalFailedExpiryPast
        } else {
            Template::AutoRenewalFailedExpiryAhead
        },
        &[],
    );
    let text = texts.notice(
        Template::AutoRenewalFailed,
        &[
            ("product", &product.name),
            ("instance", &marked.called()),
            ("expires_at", &readable_time(expires_at)),
            ("expiry", &expiry),
            ("reason", &why),
            ("next_step", &what_next),
        ],
    );
    let notices = product
        .auto_renewal
        .failure_alert_channels
        .iter()
        .map(|channel| NoticeDraft {
            recipient: None,
            account_id: marked.account_id.clone(),
            instance_id: Some(marked.id.clone()),
            channel: *channel,
            kind: EventKind::AutoRenewalFailed,
            subject: text.subject.clone(),
            body: text.body.clone(),
        })
        .collect();
    (event, notices)
}
