//! Upgrades and downgrades of a subscription instance: they take effect at once, in the current
//! period, and the expiry stays.
//!
//! - [`rules`]: whether the catalog and the instance's state allow a change, and which rule
//!   refuses it ([`ChangeRefusal`], each with a machine code and a sentence).
//! - [`pricing`]: what a change costs or gives back in each paid period, by the money rule of
//!   [`crate::proration`].
//! - [`events`]: what a change and its approval announce.
//! - [`withdrawal`]: when a change waiting for approval is withdrawn (its instance expired or
//!   was released).
//!
//! # Paid renewals (periods that have not started)
//! A change applies to the instance from now on, for all the time already paid: the renewal
//! orders paid for future periods are re-priced at the new configuration too. A period that has
//! not started has all its hours left, so an upgrade charges the whole difference between the new
//! list price for that period and what the period holds, and a downgrade gives back the cash
//! share of the whole difference. So the instance never runs two configurations at once, and
//! unsubscribing a paid renewal later refunds what that period holds after the change.

pub mod events;
pub mod pricing;
pub mod rules;
pub mod withdrawal;

pub use events::{
    approval_closed_event, approval_requested_event, approved_event, changed_events,
    configuration_changed_event, ChangeCause, ClosedApproval, Configuration,
};
pub use pricing::{price_change, ChangeQuote, PaidPeriod, PeriodChange, PeriodStatus};
pub use rules::{decide_change, ChangeDecision, ChangeRefusal, ChangeTarget};
pub use withdrawal::{withdrawal_reason, withdrawn_event};
