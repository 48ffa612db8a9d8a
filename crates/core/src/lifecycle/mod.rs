//! An instance's life: `active → expired (stopped, data kept) → released` (or `→ free_tier`
//! where release moves data to a free tier). [`due`] says which step is next and when;
//! [`step`] says what taking it does.

pub mod due;
pub mod failed_step;
pub mod free_tier_move;
mod instance;
pub mod release_warning;
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

/// A running subscription instance, for the tests of the rules that announce what happens to
/// one: `(product, edition, spec)` and its expiry.
#[cfg(test)]
pub(crate) fn subscription_for_tests(
    id: &str,
    account_id: &str,
    (product_id, edition_id, spec_id): (&str, &str, &str),
    expires_at: Timestamp,
) -> Instance {
    Instance {
        id: id.into(),
        account_id: account_id.into(),
        product_id: product_id.into(),
        edition_id: edition_id.into(),
        spec_id: spec_id.into(),
        region: "us-east-1".into(),
        billing: Billing::Subscription,
        status: InstanceStatus::Active,
        created_at: expires_at,
        expires_at: Some(expires_at),
        released_at: None,
        renewal_mode: RenewalMode::Manual,
        auto_renew_period: None,
        subscription_period: None,
        reminded_for_expiry: None,
        auto_renew_schedule: None,
        auto_renew_effective_from: None,
        last_deduction_attempt: None,
        last_active_at: None,
        activates_at: None,
        release_warned_for_expiry: None,
        domain_statuses: Vec::new(),
        name: None,
        tags: Vec::new(),
    }
}

#[cfg(test)]
mod tests;
