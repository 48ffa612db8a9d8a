//! What an order is ([`OrderKind`]) and whether its service period still holds
//! ([`OrderStatus`]), with the texts they are stored and shown as.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::proration::ChangeDirection;

/// What an order pays for: a service period opened by a purchase or a renewal (by hand or
/// automatic), or a change of configuration (upgrade or downgrade) within one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderKind {
    Purchase,
    /// Renewed by hand.
    Renewal,
    /// Renewed by the auto-renewal deduction.
    AutoRenewal,
    Upgrade,
    Downgrade,
}

impl OrderKind {
    pub const ALL: [OrderKind; 5] = [
        OrderKind::Purchase,
        OrderKind::Renewal,
        OrderKind::AutoRenewal,
        OrderKind::Upgrade,
        OrderKind::Downgrade,
    ];

    /// Order kinds that pay for a later period: a paid renewal not yet started is a "pending
    /// renewal order", whether it was renewed by hand or automatically.
    pub const RENEWALS: [OrderKind; 2] = [OrderKind::Renewal, OrderKind::AutoRenewal];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderKind::Purchase => "purchase",
            OrderKind::Renewal => "renewal",
            OrderKind::AutoRenewal => "auto_renewal",
            OrderKind::Upgrade => "upgrade",
            OrderKind::Downgrade => "downgrade",
        }
    }

    /// A renewal, by hand or automatic (see [`OrderKind::RENEWALS`]).
    pub fn is_renewal(self) -> bool {
        OrderKind::RENEWALS.contains(&self)
    }
}

impl From<ChangeDirection> for OrderKind {
    fn from(direction: ChangeDirection) -> OrderKind {
        match direction {
            ChangeDirection::Upgrade => OrderKind::Upgrade,
            ChangeDirection::Downgrade => OrderKind::Downgrade,
        }
    }
}

impl FromStr for OrderKind {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        OrderKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
            .ok_or_else(|| {
                format!(
                    "`{text}` is not an order kind: use purchase, renewal, auto_renewal, upgrade or downgrade"
                )
            })
    }
}

impl fmt::Display for OrderKind {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// Whether an order's service period still holds: `paid`, or `cancelled` by an unsubscription
/// (with every order in the period).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Paid,
    Cancelled,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 2] = [OrderStatus::Paid, OrderStatus::Cancelled];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Paid => "paid",
            OrderStatus::Cancelled => "cancelled",
        }
    }
}

impl FromStr for OrderStatus {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        OrderStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == text)
            .ok_or_else(|| format!("`{text}` is not an order status: use paid or cancelled"))
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_round_trip_and_others_are_refused() {
        for kind in OrderKind::ALL {
            assert_eq!(kind.as_str().parse::<OrderKind>(), Ok(kind));
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::json!(kind.as_str())
            );
        }
        for status in OrderStatus::ALL {
            assert_eq!(status.as_str().parse::<OrderStatus>(), Ok(status));
            assert_eq!(
                serde_json::to_value(status).unwrap(),
                serde_json::json!(status.as_str())
            );
        }
        for bad in ["", "Renewal", "renewals", "auto-renewal", " paid"] {
            assert!(bad.parse::<OrderKind>().is_err(), "{bad:?}");
            assert!(bad.parse::<OrderStatus>().is_err(), "{bad:?}");
        }
        assert!(OrderKind::AutoRenewal.is_renewal() && !OrderKind::Purchase.is_renewal());
        assert_eq!(
            OrderKind::from(ChangeDirection::Downgrade),
            OrderKind::Downgrade
        );
    }
}
