//! Lifecycle steps that failed (retrying) or were parked, and their retry.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// The two kinds of due work a step belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepWork {
    /// An instance's due lifecycle steps (reminder, deduction attempt, expiry, release, ...).
    Instance,
    /// The generation of a pay-as-you-go bill.
    Bill,
}

same_variants!(
    StepWork,
    tenure_core::lifecycle::failed_step::StepWork { Instance, Bill }
);

/// Where a failing step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StuckStatus {
    /// Failed, and tried again at its `retry_at`.
    Retrying,
    /// Failed [`STEP_ATTEMPTS_BEFORE_PARKING`] times: not taken again until an operator
    /// retries it.
    Parked,
}

same_variants!(
    StuckStatus,
    tenure_core::lifecycle::failed_step::StuckStatus { Retrying, Parked }
);

/// `?limit=&after=` of the stuck steps.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StuckQuery {
    /// Items per page, 1 to 1000 (default 100).
    #[schemars(range(min = 1, max = 1000))]
    #[serde(default, deserialize_with = "crate::whole_number::query")]
    pub limit: Option<i64>,
    pub after: Option<String>,
}

/// A lifecycle step that failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StuckStep {
    pub id: String,
    pub work: StepWork,
    /// The instance or the bill whose step failed.
    pub item_id: String,
    pub account_id: String,
    pub instance_id: Option<String>,
    pub status: StuckStatus,
    /// Failed attempts since the step was first set aside (or last retried by an operator).
    pub attempts: i64,
    /// The last failure's machine code and sentence.
    pub last_code: String,
    pub last_error: String,
    pub first_failed_at: Timestamp,
    pub last_failed_at: Timestamp,
    /// When it is tried again (while retrying).
    pub retry_at: Option<Timestamp>,
    pub parked_at: Option<Timestamp>,
}

/// Nothing to say: the path names the step to retry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Retry {}

/// What a retry did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Retried {
    /// The stuck step retried.
    pub id: String,
    /// The step was taken: it is no longer stuck.
    pub taken: bool,
    /// The step as it stands when it failed again; null once taken.
    pub stuck_step: Option<StuckStep>,
    /// Steps the retry's sweep took.
    pub steps_taken: u64,
}

#[cfg(feature = "domain")]
mod from_domain {
    use super::*;

    impl From<tenure_store::stuck_steps::StuckStep> for StuckStep {
        fn from(step: tenure_store::stuck_steps::StuckStep) -> StuckStep {
            StuckStep {
                id: step.id,
                work: step.work.into(),
                item_id: step.item_id,
                account_id: step.account_id,
                instance_id: step.instance_id,
                status: step.status.into(),
                attempts: step.attempts,
                last_code: step.last_code,
                last_error: step.last_error,
                first_failed_at: step.first_failed_at,
                last_failed_at: step.last_failed_at,
                retry_at: step.retry_at,
                parked_at: step.parked_at,
            }
        }
    }
}
