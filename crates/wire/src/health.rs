//! The server's health (`/healthz`).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// The server's health: 200 while the process serves. `degraded` when the lifecycle does not
/// go on (the oldest due step is late, see `SWEEP_BEHIND_LIMIT_SECONDS`, or a step is parked,
/// `GET /v1/stuck-steps`), when the database cannot be read, and while writes fail because the
/// database does (`writes`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Health {
    /// `ok`, or `degraded`.
    pub status: String,
    /// How far behind the lifecycle sweep is; null when the database could not be read.
    pub sweep: Option<SweepHealth>,
    /// Whether writes commit.
    pub writes: Writes,
    /// Why the database could not be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Writes as the store saw them. `failing` while the last write was not committed because the
/// database failed (a lost connection, a full disk, a commit refused, writes switched off),
/// with no write committed since, for up to a minute after that failure; `ok` again at the
/// next commit. Refusals of the rules and deadlocks run again are not failures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Writes {
    /// `ok`, or `failing`.
    pub status: String,
    /// Writes the database failed since the server started.
    pub failures: u64,
    /// Why the last failed write failed, while `failing`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_failure: Option<String>,
    /// How long ago it failed, while `failing`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_failure_seconds_ago: Option<u64>,
}

/// The sweep's health (`/healthz`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SweepHealth {
    pub behind_seconds: i64,
    pub oldest_due_at: Option<Timestamp>,
    pub parked_steps: i64,
}

#[cfg(feature = "domain")]
mod from_domain {
    use super::*;

    impl From<tenure_engine::scheduler::SweepHealth> for SweepHealth {
        fn from(sweep: tenure_engine::scheduler::SweepHealth) -> SweepHealth {
            SweepHealth {
                behind_seconds: sweep.behind_seconds,
                oldest_due_at: sweep.oldest_due_at,
                parked_steps: sweep.parked_steps,
            }
        }
    }
}
