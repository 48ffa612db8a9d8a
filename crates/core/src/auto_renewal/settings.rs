//! Enabling, modifying and disabling auto-renewal: the Manual, Auto and Don't renew tabs of
//! Renewal Management.
//!
//! - Enabling (from `manual` or `none`) chooses the product's standard schedule and takes
//!   effect at the start of the next UTC day ([`super::schedule::effective_from`]).
//! - Enabling fewer than the product's `min_lead_days` before expiry (or after it) is accepted,
//!   with a `renew_manually` warning: the first deduction may come too late, so the caller is
//!   told to renew by hand. "Fewer days" is measured exactly: `expires_at - now < min_lead_days × 24 h`.
//! - Modifying (already `auto`, new period) changes the period only: the schedule, the moment it
//!   took effect and the attempts made so far stay, so a modification never delays or repeats an
//!   attempt.
//! - Disabling (to `manual` or `none`) stops the attempts at once and forgets the schedule.

use jiff::Timestamp;
use serde::Serialize;
use serde_json::json;

use super::schedule::{effective_from, next_attempt};
use crate::catalog::{Billing, DeductionScheduleChoice, Product};
use crate::event::{EventDraft, EventKind};
use crate::lifecycle::{Instance, RenewalMode};
use crate::period::Period;
use crate::purchase::{check_auto_renew_period, PurchaseError};

/// What the caller asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RenewalModeChange {
    /// Enable auto-renewal, or modify its period when it is on. `None` keeps the current period
    /// (or takes the product's default when enabling).
    Auto { period: Option<Period> },
    /// Renew by hand (reminders still go out).
    Manual,
    /// Don't renew: let the instance expire.
    DoNotRenew,
}

/// Something the caller should know about an accepted change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    pub code: &'static str,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RenewalModeOutcome {
    pub instance: Instance,
    pub warnings: Vec<Warning>,
    /// `None` when nothing changed.
    pub event: Option<EventDraft>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenewalModeError {
    #[error("instance {0} was released; its renewal can no longer change")]
    Released(String),
    #[error("instance {0} is not a subscription; only subscriptions renew")]
    NotSubscription(String),
    #[error(transparent)]
    PeriodNotOffered(PurchaseError),
}

/// The instance after `change` at `now`, with any warning and the event to record.
pub fn change_renewal_mode(
    instance: &Instance,
    product: &Product,
    change: RenewalModeChange,
    now: Timestamp,
) -> Result<RenewalModeOutcome, RenewalModeError> {
    if instance.status.is_final() {
        return Err(RenewalModeError::Released(instance.id.clone()));
    }
    let (Billing::Subscription, Some(expires_at)) = (instance.billing, instance.expires_at) else {
        return Err(RenewalModeError::NotSubscription(instance.id.clone()));
    };
    let mut next = instance.clone();
    let mut warnings = Vec::new();
    match change {
        RenewalModeChange::Auto { period } => {
            let subscription_period = instance
                .subscription_period
                .unwrap_or_else(|| Period::months(1));
            let requested = period.or(instance.auto_renew_period);
            next.auto_renew_period = Some(
                check_auto_renew_period(product, requested, subscription_period)
                    .map_err(RenewalModeError::PeriodNotOffered)?,
            );
            if instance.renewal_mode != RenewalMode::Auto {
                next.renewal_mode = RenewalMode::Auto;
                next.auto_renew_schedule = Some(DeductionScheduleChoice::Standard);
                next.auto_renew_effective_from = Some(effective_from(now));
                warnings.extend(late_enabling_warning(&next, product, expires_at, now));
            }
        }
        RenewalModeChange::Manual | RenewalModeChange::DoNotRenew => {
            next.renewal_mode = match change {
                RenewalModeChange::Manual => RenewalMode::Manual,
                _ => RenewalMode::None,
            };
            next.auto_renew_period = None;
            next.auto_renew_schedule = None;
            next.auto_renew_effective_from = None;
        }
    }
    let event = (next != *instance).then(|| EventDraft {
        kind: EventKind::RenewalModeChanged,
        account_id: instance.account_id.clone(),
        instance_id: Some(instance.id.clone()),
        data: json!({
            "previous_mode": instance.renewal_mode,
            "mode": next.renewal_mode,
            "previous_auto_renew_period": instance.auto_renew_period.map(|period| period.to_string()),
            "auto_renew_period": next.auto_renew_period.map(|period| period.to_string()),
            "auto_renew_effective_from": next.auto_renew_effective_from.map(|time| time.to_string()),
        }).into(),
    });
    Ok(RenewalModeOutcome {
        instance: next,
        warnings,
        event,
    })
}

/// The `renew_manually` warning when auto-renewal was enabled too close to (or after) expiry.
fn late_enabling_warning(
    enabled: &Instance,
    product: &Product,
    expires_at: Timestamp,
    now: Timestamp,
) -> Option<Warning> {
    let min_lead_days = product.auto_renewal.min_lead_days;
    let lead_seconds = expires_at.as_second() - now.as_second();
    if lead_seconds >= min_lead_days * 86_400 {
        return None;
    }
    let first_attempt = match next_attempt(enabled, &product.auto_renewal) {
        Some(attempt) if attempt.at < expires_at => {
            format!("the first deduction is scheduled for {}", attempt.at)
        }
        Some(attempt) => format!(
            "the first deduction is scheduled for {}, after the instance stops",
            attempt.at
        ),
        None => "no deduction is left in the schedule for this expiry".to_string(),
    };
    let effective_from = enabled
        .auto_renew_effective_from
        .expect("set when enabling");
    let when = if lead_seconds > 0 {
        format!("expires at {expires_at}, less than {min_lead_days} days from now")
    } else {
        format!("expired at {expires_at}")
    };
    Some(Warning {
        code: "renew_manually",
        message: format!(
            "Auto-renewal is on, but it takes effect only at {effective_from} and instance {} \
             {when}: {first_attempt}, so it may not renew in time. Renew the instance by hand \
             now to keep it running.",
            enabled.id
        ),
    })
}
