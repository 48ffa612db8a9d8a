//! Pay-as-you-go usage, reported by the operator's metering, and its receipt.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// One usage record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordBody {
    /// Your id of the record: a record id sent again is ignored.
    #[schemars(length(min = 1, max = 128), regex(pattern = r"^[!-~]+$"))]
    pub record_id: String,
    pub instance: String,
    #[schemars(extend("x-catalog" = "meter"))]
    pub meter: String,
    #[schemars(range(min = 1, max = 1_000_000_000_000i64))]
    #[serde(deserialize_with = "crate::whole_number::number")]
    pub quantity: i64,
    /// When the usage happened, RFC 3339.
    #[schemars(extend("format" = "date-time"))]
    pub time: String,
}

/// Either one record (`record_id`, `instance`, `meter`, `quantity` and `time`), or a batch of
/// 1 to 1000 under `records`; anything else is refused with 422.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("examples" = [
    { "record_id": "meter-7-0001", "instance": "inst_1", "meter": "messages",
      "quantity": 61_728, "time": "2026-05-04T00:30:00Z" }
]))]
pub struct UsageBody {
    /// 1 to 1000 records.
    #[schemars(length(min = 1, max = 1000))]
    pub records: Option<Vec<RecordBody>>,
    #[schemars(length(min = 1, max = 128), regex(pattern = r"^[!-~]+$"))]
    pub record_id: Option<String>,
    pub instance: Option<String>,
    #[schemars(extend("x-catalog" = "meter"))]
    pub meter: Option<String>,
    #[schemars(range(min = 1, max = 1_000_000_000_000i64))]
    #[serde(default, deserialize_with = "crate::whole_number::optional")]
    pub quantity: Option<i64>,
    /// When the usage happened, RFC 3339.
    #[schemars(extend("format" = "date-time"))]
    pub time: Option<String>,
}

/// What became of one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecordStatus {
    Accepted,
    /// Already stored with this id: ignored, never counted twice.
    Replayed,
}

same_variants!(
    RecordStatus,
    tenure_engine::usage::RecordStatus { Accepted, Replayed }
);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RecordReceipt {
    pub record_id: String,
    pub status: RecordStatus,
    /// The hourly cycle the record is billed in.
    pub cycle_start: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct UsageReceipt {
    pub accepted: usize,
    pub replayed: usize,
    pub records: Vec<RecordReceipt>,
}

#[cfg(feature = "domain")]
mod from_domain {
    use super::*;

    impl From<tenure_engine::usage::RecordReceipt> for RecordReceipt {
        fn from(receipt: tenure_engine::usage::RecordReceipt) -> RecordReceipt {
            RecordReceipt {
                record_id: receipt.record_id,
                status: receipt.status.into(),
                cycle_start: receipt.cycle_start,
            }
        }
    }

    impl From<tenure_engine::usage::UsageReceipt> for UsageReceipt {
        fn from(receipt: tenure_engine::usage::UsageReceipt) -> UsageReceipt {
            UsageReceipt {
                accepted: receipt.accepted,
                replayed: receipt.replayed,
                records: receipt.records.into_iter().map(Into::into).collect(),
            }
        }
    }
}
