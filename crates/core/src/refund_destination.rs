//! Where refunded cash goes: the one rule every refund asks ([`refund_destination`]).
//!
//! - **Unsubscription** (docs/examples.md 8), by how the money was paid and whole days since
//!   it was paid ([`days_since_payment`]: day 150 lasts until 151 × 24 h after payment): bank
//!   card within 150 days → the card, else the balance; PayPal and Alipay (online wallets)
//!   within 180 days → the wallet, else the balance; transfer → the balance (a wire cannot be
//!   reversed by the channel; the customer withdraws from the balance); balance → the balance.
//!   An order paid with coupons only gets its refund back as coupons (credit never turns into
//!   withdrawable cash; see `crate::refund`).
//! - **Downgrade**: always the balance. The instance keeps running, so the refund is credit
//!   for its next fees at once, rather than a partial card or wallet refund that takes up to 30
//!   business days to arrive; the windows above apply when the customer gives the resource up.
//!
//! A refund to an outside method is `processing` until the payment channel confirms it
//! (`refunds_payable` in the ledger); to the balance or coupons it is done at once.

use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use serde::Serialize;

use crate::payment::PaymentMethod;

/// A bank card payment is refunded to the card within this many days of payment.
pub const BANK_CARD_REFUND_WINDOW_DAYS: i64 = 150;
/// A PayPal (or Alipay) payment is refunded to the wallet within this many days of payment.
pub const WALLET_REFUND_WINDOW_DAYS: i64 = 180;

const SECONDS_PER_DAY: i64 = 86_400;

/// Shown as `balance`, `coupons` or the outside method's name (`bank_card`, `paypal`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "&'static str")]
pub enum RefundDestination {
    /// The customer's account balance.
    Balance,
    /// The order was paid with coupons only, so the whole refund returns to coupons.
    Coupons,
    /// Back to the outside method that paid.
    Original(PaymentMethod),
}

impl RefundDestination {
    pub fn as_str(self) -> &'static str {
        match self {
            RefundDestination::Balance => "balance",
            RefundDestination::Coupons => "coupons",
            RefundDestination::Original(method) => method.as_str(),
        }
    }
}

impl FromStr for RefundDestination {
    type Err = String;
    /// The destination shown as `text`: `balance`, `coupons` or an outside method's name.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "balance" => Ok(RefundDestination::Balance),
            "coupons" => Ok(RefundDestination::Coupons),
            other => other
                .parse::<PaymentMethod>()
                .ok()
                .filter(|method| method.is_external())
                .map(RefundDestination::Original)
                .ok_or_else(|| {
                    format!(
                        "`{other}` is not a refund destination: use balance, coupons, bank_card, paypal, alipay or transfer"
                    )
                }),
        }
    }
}

impl fmt::Display for RefundDestination {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl From<RefundDestination> for &'static str {
    fn from(destination: RefundDestination) -> &'static str {
        destination.as_str()
    }
}

/// Why cash is refunded: the destination rule differs (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundCause {
    /// The resource (or a pending renewal of it) is given up.
    Unsubscription,
    /// The resource moves to a cheaper configuration and keeps running.
    Downgrade,
}

/// Whole days from payment to `now`: day 150 lasts until 151 × 24 hours after payment.
pub fn days_since_payment(paid_at: Timestamp, now: Timestamp) -> i64 {
    (now.as_second() - paid_at.as_second()).div_euclid(SECONDS_PER_DAY)
}

/// Where a refund of money paid with `paid_with` (`None`: the balance) at `paid_at` goes when
/// refunded at `now` for `cause`. Every refund asks this one function.
pub fn refund_destination(
    cause: RefundCause,
    paid_with: Option<PaymentMethod>,
    paid_at: Timestamp,
    now: Timestamp,
) -> RefundDestination {
    match cause {
        RefundCause::Downgrade => RefundDestination::Balance,
        RefundCause::Unsubscription => destination_for(paid_with, days_since_payment(paid_at, now)),
    }
}

/// The unsubscription windows, by the method that paid and whole days since payment.
pub fn destination_for(
    paid_with: Option<PaymentMethod>,
    days_since_payment: i64,
) -> RefundDestination {
    let within = |window_days: i64| days_since_payment <= window_days;
    match paid_with {
        Some(PaymentMethod::BankCard) if within(BANK_CARD_REFUND_WINDOW_DAYS) => {
            RefundDestination::Original(PaymentMethod::BankCard)
        }
        Some(method @ (PaymentMethod::Paypal | PaymentMethod::Alipay))
            if within(WALLET_REFUND_WINDOW_DAYS) =>
        {
            RefundDestination::Original(method)
        }
        _ => RefundDestination::Balance,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn wallets_within_180_days_cards_within_150_transfers_and_balance_to_the_balance() {
        let card = RefundDestination::Original(PaymentMethod::BankCard);
        assert_eq!(destination_for(Some(PaymentMethod::BankCard), 150), card);
        assert_eq!(
            destination_for(Some(PaymentMethod::BankCard), 151),
            RefundDestination::Balance
        );
        assert_eq!(
            destination_for(Some(PaymentMethod::Paypal), 180),
            RefundDestination::Original(PaymentMethod::Paypal)
        );
        assert_eq!(
            destination_for(Some(PaymentMethod::Paypal), 181),
            RefundDestination::Balance
        );
        assert_eq!(
            destination_for(Some(PaymentMethod::Alipay), 180),
            RefundDestination::Original(PaymentMethod::Alipay)
        );
        assert_eq!(
            destination_for(Some(PaymentMethod::Alipay), 181),
            RefundDestination::Balance
        );
        assert_eq!(
            destination_for(Some(PaymentMethod::Transfer), 0),
            RefundDestination::Balance
        );
        assert_eq!(destination_for(None, 0), RefundDestination::Balance);
        // PayPal paid 2026-01-01: 2026-06-30 is day 180, 2026-07-01 day 181.
        let paid_at = at("2026-01-01T00:00:00Z");
        assert_eq!(days_since_payment(paid_at, at("2026-06-30T12:00:00Z")), 180);
        assert_eq!(days_since_payment(paid_at, at("2026-07-01T00:00:00Z")), 181);
    }

    #[test]
    fn downgrades_refund_to_the_balance_whatever_paid() {
        let paid_at = at("2026-01-01T00:00:00Z");
        let now = at("2026-01-02T00:00:00Z");
        let card = Some(PaymentMethod::BankCard);
        assert_eq!(
            refund_destination(RefundCause::Downgrade, card, paid_at, now),
            RefundDestination::Balance
        );
        assert_eq!(
            refund_destination(RefundCause::Unsubscription, card, paid_at, now),
            RefundDestination::Original(PaymentMethod::BankCard)
        );
    }

    #[test]
    fn destinations_read_back() {
        for destination in [
            RefundDestination::Balance,
            RefundDestination::Coupons,
            RefundDestination::Original(PaymentMethod::Paypal),
        ] {
            assert_eq!(destination.as_str().parse(), Ok(destination));
            assert_eq!(
                serde_json::to_value(destination).unwrap(),
                serde_json::json!(destination.as_str())
            );
        }
        for refused in ["nowhere", "Balance", ""] {
            assert!(refused.parse::<RefundDestination>().is_err(), "{refused:?}");
        }
    }
}
