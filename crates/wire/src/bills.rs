//! Pay-as-you-go bills, and what settling an account's debt paid.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Where a bill stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BillStatus {
    // First, as the store's schema listed it: the document's examples show the first value.
    /// Generated and paid.
    Paid,
    /// Usage is still accumulating; not yet billed.
    Open,
    /// Generated, but the available credit did not cover it: debt.
    Unpaid,
}

same_variants!(
    BillStatus,
    tenure_store::bills::BillStatus { Open, Paid, Unpaid }
);

/// `?account=&instance=&status=&limit=&after=` of the bills.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BillQuery {
    pub account: Option<String>,
    pub instance: Option<String>,
    #[schemars(with = "Option<BillStatus>")]
    pub status: Option<String>,
    /// Items per page, 1 to 1000 (default 100).
    #[schemars(range(min = 1, max = 1000))]
    #[serde(default, deserialize_with = "crate::whole_number::query")]
    pub limit: Option<i64>,
    pub after: Option<String>,
}

/// One pay-as-you-go instance's bill for one cycle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Bill {
    pub id: String,
    pub account_id: String,
    pub instance_id: String,
    pub product_id: String,
    pub edition_id: String,
    pub cycle_start: Timestamp,
    pub cycle_end: Timestamp,
    /// When the bill is (or was) generated: the cycle's end plus the product's bill delay.
    pub generate_at: Timestamp,
    pub status: BillStatus,
    pub amount_minor: i64,
    pub paid_balance_minor: i64,
    pub paid_coupon_minor: i64,
    /// The priced lines, a JSON array (empty while open).
    pub lines: serde_json::Value,
    pub generated_at: Option<Timestamp>,
    pub paid_at: Option<Timestamp>,
}

/// What settling an account paid and restored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Settlement {
    /// Bills paid, oldest first.
    pub bills_paid: Vec<String>,
    pub paid_minor: i64,
    /// Stopped pay-as-you-go instances running again because the debt is paid.
    pub instances_restored: Vec<String>,
    /// The account was overdue before and is not any more.
    pub overdue_settled: bool,
    /// The account has just become overdue.
    pub became_overdue: bool,
}

#[cfg(feature = "domain")]
mod from_domain {
    use super::*;

    impl From<tenure_store::bills::Bill> for Bill {
        fn from(bill: tenure_store::bills::Bill) -> Bill {
            Bill {
                id: bill.id,
                account_id: bill.account_id,
                instance_id: bill.instance_id,
                product_id: bill.product_id,
                edition_id: bill.edition_id,
                cycle_start: bill.cycle_start,
                cycle_end: bill.cycle_end,
                generate_at: bill.generate_at,
                status: bill.status.into(),
                amount_minor: bill.amount_minor,
                paid_balance_minor: bill.paid_balance_minor,
                paid_coupon_minor: bill.paid_coupon_minor,
                lines: bill.lines,
                generated_at: bill.generated_at,
                paid_at: bill.paid_at,
            }
        }
    }

    impl From<tenure_engine::overdue::Settlement> for Settlement {
        fn from(settlement: tenure_engine::overdue::Settlement) -> Settlement {
            Settlement {
                bills_paid: settlement.bills_paid,
                paid_minor: settlement.paid_minor,
                instances_restored: settlement.instances_restored,
                overdue_settled: settlement.overdue_settled,
                became_overdue: settlement.became_overdue,
            }
        }
    }
}
