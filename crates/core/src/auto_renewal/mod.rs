//! Auto-renewal: when deductions are attempted ([`schedule`]), how a customer turns it on, off
//! or changes it ([`settings`]), and what one attempt does ([`attempt`]).
//!
//! The schedules themselves are catalog data ([`crate::catalog::AutoRenewalPolicy`]); the
//! instance stores which one it follows, when auto-renewal took effect and the last attempt
//! made, and [`crate::lifecycle::next_due`] turns that into the scheduler's next step.

pub mod attempt;
pub mod schedule;
pub mod settings;

pub use attempt::{attempt_deduction, AttemptDecision, AttemptResult, FailureReason};
pub use schedule::{
    attempt_at, due_attempt, effective_from, next_attempt, pending_attempts, skip_passed_attempts,
    ScheduledAttempt,
};
pub use settings::{
    change_renewal_mode, RenewalModeChange, RenewalModeError, RenewalModeOutcome, Warning,
};

#[cfg(test)]
mod tests;
