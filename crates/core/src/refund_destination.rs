//! Where refunded cash goes.
//!
//! A downgrade's refund goes to the account balance for now. Unsubscription (issue 5) adds the
//! billing centre's rules: back to the bank card within 150 days of payment, to PayPal within
//! 180 days, otherwise to the balance. Those rules belong in [`refund_destination`], the one
//! function every refund asks, so downgrades will follow them without other changes.

use jiff::Timestamp;
use serde::Serialize;

use crate::payment::PaymentMethod;

/// Shown as `balance` or the outside method's name (`bank_card`, `paypal`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "&'static str")]
pub enum RefundDestination {
    /// The customer's account balance.
    Balance,
    /// Back to the outside method that paid.
    Original(PaymentMethod),
}

impl RefundDestination {
    pub fn as_str(self) -> &'static str {
        match self {
            RefundDestination::Balance => "balance",
            RefundDestination::Original(method) => method.as_str(),
        }
    }
}

impl From<RefundDestination> for &'static str {
    fn from(destination: RefundDestination) -> &'static str {
        destination.as_str()
    }
}

/// Where a refund of money paid with `paid_with` at `paid_at` goes when refunded at `now`.
/// Today every refund goes to the balance; see the module documentation.
pub fn refund_destination(
    _paid_with: Option<PaymentMethod>,
    _paid_at: Timestamp,
    _now: Timestamp,
) -> RefundDestination {
    RefundDestination::Balance
}
