//! An instance's life: `active → expired (stopped, data kept) → released` (or `→ free_tier`
//! where release moves data to a free tier). [`due`] says which step is next and when;
//! [`step`] says what taking it does.

pub mod due;
mod instance;
pub mod step;
pub mod usage_steps;

pub use due::{next_due, DueStep, Step};
pub use instance::{DeductionAttemptMark, Instance, InstanceStatus, RenewalMode};
pub use step::{take_step, StepOutcome};

use jiff::Timestamp;

use crate::catalog::{Billing, Product};

/// The next step of any instance: subscriptions follow their expiry ([`due`]); pay-as-you-go
/// and free instances follow their account's overdue state and their activity
/// ([`usage_steps`]). `overdue_since` is the account's. [`take_step`] takes either kind.
pub fn next_step_due(
    instance: &Instance,
    product: &Product,
    overdue_since: Option<Timestamp>,
) -> Option<DueStep> {
    match instance.billing {
        // A resource plan has a validity period like a subscription: it expires and is released.
        Billing::Subscription | Billing::ResourcePlan => next_due(instance, product),
        Billing::Payg | Billing::Free => {
            usage_steps::next_usage_due(instance, product, overdue_since)
        }
    }
}

#[cfg(test)]
mod tests;
