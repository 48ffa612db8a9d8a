//! What happens to a lifecycle step (an instance's due steps, a bill's generation) that fails:
//! it is set aside and tried again a few times, then parked until an operator retries it. A
//! step that cannot be taken never holds back the sweep, the clock or anyone else's steps.
//!
//! The attempts are counted in the database (the stuck step's row), so a restart neither
//! resets them nor tries a poison step forever. A failure the database reports as a conflict
//! with another transaction (busy, deadlock) says nothing about the step and is not counted.

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use serde_json::json;

use crate::event::{EventDraft, EventKind};

/// How long a step that failed waits before it is tried again.
pub const FAILED_STEP_RETRY_HOURS: i64 = 1;
/// Failed attempts after which a step is parked: the first and two more, an hour apart.
pub const STEP_ATTEMPTS_BEFORE_PARKING: i64 = 3;

/// The two kinds of due work a step belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepWork {
    /// An instance's due lifecycle steps (reminder, deduction attempt, expiry, release, ...).
    Instance,
    /// The generation of a pay-as-you-go bill.
    Bill,
}

impl StepWork {
    pub fn as_str(self) -> &'static str {
        match self {
            StepWork::Instance => "instance",
            StepWork::Bill => "bill",
        }
    }
}

impl std::str::FromStr for StepWork {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "instance" => Ok(StepWork::Instance),
            "bill" => Ok(StepWork::Bill),
            other => Err(format!("`{other}` is not a kind of step: instance or bill")),
        }
    }
}

/// Where a failing step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StuckStatus {
    /// Failed, and tried again at its `retry_at`.
    Retrying,
    /// Failed [`STEP_ATTEMPTS_BEFORE_PARKING`] times: not taken again until an operator
    /// retries it.
    Parked,
}

impl StuckStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StuckStatus::Retrying => "retrying",
            StuckStatus::Parked => "parked",
        }
    }
}

impl std::str::FromStr for StuckStatus {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "retrying" => Ok(StuckStatus::Retrying),
            "parked" => Ok(StuckStatus::Parked),
            other => Err(format!(
                "`{other}` is not a stuck step status: retrying or parked"
            )),
        }
    }
}

/// What to do with a step that has now failed `attempts` times (this failure included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    RetryAt(Timestamp),
    Park,
}

pub fn after_failure(attempts: i64, now: Timestamp) -> AfterFailure {
    if attempts >= STEP_ATTEMPTS_BEFORE_PARKING {
        AfterFailure::Park
    } else {
        AfterFailure::RetryAt(now + SignedDuration::from_hours(FAILED_STEP_RETRY_HOURS))
    }
}

/// Announces a parked step (`lifecycle.step_parked`): which work, after how many attempts, and
/// the machine code of its last failure (the sentence, which may name internals, is for the
/// operator's `GET /v1/stuck-steps`).
pub fn step_parked_event(
    account_id: &str,
    instance_id: Option<&str>,
    stuck_step_id: &str,
    work: StepWork,
    item_id: &str,
    attempts: i64,
    code: &str,
) -> EventDraft {
    EventDraft {
        kind: EventKind::StepParked,
        account_id: account_id.to_string(),
        instance_id: instance_id.map(str::to_string),
        data: json!({ "stuck_step_id": stuck_step_id, "work": work.as_str(), "item_id": item_id,
                      "attempts": attempts, "code": code })
        .into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retried_an_hour_later_then_parked_at_the_third_failure() {
        let now: Timestamp = "2026-05-04T17:00:00Z".parse().unwrap();
        let hour_later: Timestamp = "2026-05-04T18:00:00Z".parse().unwrap();
        assert_eq!(after_failure(1, now), AfterFailure::RetryAt(hour_later));
        assert_eq!(after_failure(2, now), AfterFailure::RetryAt(hour_later));
        assert_eq!(after_failure(3, now), AfterFailure::Park);
        for text in ["instance", "bill"] {
            assert_eq!(text.parse::<StepWork>().unwrap().as_str(), text);
        }
        for text in ["retrying", "parked"] {
            assert_eq!(text.parse::<StuckStatus>().unwrap().as_str(), text);
        }
    }
}
