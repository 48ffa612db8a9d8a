//! An instance's life: `active → expired (stopped, data kept) → released` (or `→ free_tier`
//! where release moves data to a free tier). [`due`] says which step is next and when;
//! [`step`] says what taking it does.

pub mod due;
mod instance;
pub mod step;

pub use due::{next_due, DueStep, Step};
pub use instance::{DeductionAttemptMark, Instance, InstanceStatus, RenewalMode};
pub use step::{take_step, StepOutcome};

#[cfg(test)]
mod tests;
