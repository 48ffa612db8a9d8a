//! The clock tenure runs on, and moving a simulated one.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// The clock tenure runs on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ClockView {
    pub now: Timestamp,
    /// True when the server runs on a simulated clock (the database keeps one: started by
    /// `--simulated-clock`, resumed on every start until `--clock system`).
    pub simulated: bool,
}

/// Where an advance got to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AdvanceReport {
    pub now: Timestamp,
    /// Lifecycle steps taken on the way (reminders, deductions, expiries, releases, bills).
    pub steps_taken: u64,
}

/// Exactly one of `to` and `by`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("oneOf" = [
    { "required": ["to"], "properties": { "to": { "type": "string" }, "by": { "type": "null" } } },
    { "required": ["by"], "properties": { "by": { "type": "string" }, "to": { "type": "null" } } }
]))]
pub struct Advance {
    /// An RFC 3339 time, not before the clock's and at most ten years after it.
    #[schemars(extend("format" = "date-time", "examples" = ["2026-03-10T00:00:00Z"]))]
    pub to: Option<String>,
    /// An ISO 8601 duration such as P3D or PT12H, at most ten years.
    #[schemars(regex(pattern = r"^P(?=[0-9]|T[0-9])([0-9]{1,2}Y)?([0-9]{1,3}M)?([0-9]{1,3}W)?([0-9]{1,4}D)?(T(?=[0-9])([0-9]{1,5}H)?([0-9]{1,6}M)?([0-9]{1,8}S)?)?$"), extend("examples" = ["P3D", "PT12H"]))]
    pub by: Option<String>,
}
