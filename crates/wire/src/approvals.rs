//! Changes waiting for the operator (message queue Enterprise Platinum upgrades): the approval,
//! the decision on it, and the approval list's query.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Approval {
    pub id: String,
    pub account_id: String,
    pub instance_id: String,
    /// `pending`, then `approved`, `rejected` or `cancelled`.
    pub status: String,
    /// `upgrade` (downgrades never wait).
    pub direction: String,
    pub from_edition_id: String,
    pub from_spec_id: String,
    pub to_edition_id: String,
    pub to_spec_id: String,
    /// How the customer chose to pay, applied when approved.
    pub pay_with: String,
    pub use_vouchers: bool,
    pub use_coupons: bool,
    /// The charge quoted when requested; the charge approved is priced at approval time.
    pub quoted_charge_minor: i64,
    pub requested_at: Timestamp,
    pub decided_at: Option<Timestamp>,
    /// The operator's reason for a decision.
    pub reason: Option<String>,
}

/// The statuses of an approval, as the list filter takes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalStatus {
    Pending,
    Approved,
    Rejected,
    Cancelled,
}

impl ApprovalStatus {
    pub const ALL: [ApprovalStatus; 4] = [
        ApprovalStatus::Pending,
        ApprovalStatus::Approved,
        ApprovalStatus::Rejected,
        ApprovalStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalStatus::Pending => "pending",
            ApprovalStatus::Approved => "approved",
            ApprovalStatus::Rejected => "rejected",
            ApprovalStatus::Cancelled => "cancelled",
        }
    }
}

// Approving, rejecting or withdrawing a change, with an optional reason.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    pub reason: Option<String>,
}

// `GET /v1/approvals`: filters and the page.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApprovalQuery {
    pub account: Option<String>,
    pub instance: Option<String>,
    #[schemars(with = "Option<ApprovalStatus>")]
    pub status: Option<String>,
    /// Items per page, 1 to 1000 (default 100).
    #[schemars(range(min = 1, max = 1000))]
    #[serde(default, deserialize_with = "crate::whole_number::query")]
    pub limit: Option<i64>,
    pub after: Option<String>,
}

#[cfg(feature = "domain")]
mod from_domain {
    use super::*;

    impl From<tenure_store::approvals::Approval> for Approval {
        fn from(approval: tenure_store::approvals::Approval) -> Approval {
            Approval {
                id: approval.id,
                account_id: approval.account_id,
                instance_id: approval.instance_id,
                status: approval.status,
                direction: approval.direction,
                from_edition_id: approval.from_edition_id,
                from_spec_id: approval.from_spec_id,
                to_edition_id: approval.to_edition_id,
                to_spec_id: approval.to_spec_id,
                pay_with: approval.pay_with,
                use_vouchers: approval.use_vouchers,
                use_coupons: approval.use_coupons,
                quoted_charge_minor: approval.quoted_charge_minor,
                requested_at: approval.requested_at,
                decided_at: approval.decided_at,
                reason: approval.reason,
            }
        }
    }
}
