//! Refunds follow what was paid: which payment, which source and which terms each minor unit
//! of a service period's cash value came from, and how a refund of that value splits among them.
//!
//! A period's cash value is made by several payments: the order that opened it (purchase,
//! renewal, auto-renewal) and the charge of every upgrade in it, each paid by its own sources
//! (coupons, the balance, an outside method) under the terms of the edition it bought (catalog
//! `refundable`). Each (payment, source) is a [`PaidPart`]; the parts together hold the period's
//! cash value.
//!
//! # The rule
//! - **Split in proportion, rounded cumulatively.** An amount is split among parts in proportion
//!   to their amounts ([`PaidParts::split`]): the first `k` parts together get
//!   `round(amount × (their sum) / (all parts' sum))`, by the one rounding rule
//!   ([`crate::money::share_minor`], half to even), and each part gets the difference from the
//!   first `k − 1`. So the parts sum to the amount exactly, none is negative, and none gets more
//!   than its own amount when the amount is at most the whole.
//! - **Value is consumed evenly.** Between two orders the period's value is consumed at the
//!   same rate for every part (see [`crate::proration`]), so what is left unused of each part is
//!   the period's unused value split in proportion.
//! - **A downgrade** gives back cash split in proportion to the parts' unused amounts (so a
//!   coupon part's share goes back to coupons); what is left of each part is its unused amount
//!   less its share of that refund. **An upgrade** adds its charge's sources as new parts, under
//!   the terms of the edition it moves to.
//! - **An unsubscription** splits the period's unused cash in proportion to the parts: a part
//!   paid under a nonrefundable edition keeps its share (the operator keeps it, as a voucher's),
//!   a coupon part's share goes back to coupons, a balance part's to the balance, an outside
//!   method's where [`crate::refund_destination`] sends a payment of that method at that date
//!   (the card within 150 days of *that* payment, else the balance).
//!
//! The parts are derived, never stored: [`PaidParts::from_orders`] replays the period's orders
//! (what each paid, what it gave back, the value it left), so they follow exactly what the
//! orders recorded.

use jiff::Timestamp;
use serde::Serialize;

use crate::money::{share_minor, AmountOverflow};
use crate::payment::{PaymentMethod, PaymentPlan};

/// Where a part of a period's cash came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CashSource {
    Coupons,
    Balance,
    External(PaymentMethod),
}

/// What of a period's cash one source of one payment still holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PaidPart {
    /// When the payment was made: the refund windows of an outside method count from it.
    pub paid_at: Timestamp,
    pub source: CashSource,
    /// The terms of the edition the payment bought: `false` keeps it with the operator.
    pub refundable: bool,
    pub amount_minor: i64,
}

/// One order of a service period as the rule reads it, in the order they were made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeriodOrderPaid {
    pub paid_at: Timestamp,
    /// What the order paid, by source (nothing for a downgrade).
    pub payment: PaymentPlan,
    /// Whether the edition the order bought is refundable.
    pub refundable: bool,
    /// Cash the order gave back (a downgrade).
    pub refunded_minor: i64,
    /// The period's cash value after the order.
    pub value_cash_after_minor: i64,
}

/// The parts holding a period's cash value, and their sum.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaidParts {
    parts: Vec<PaidPart>,
    total_minor: i64,
}

impl PaidParts {
    /// A period as the order that opened it left it.
    pub fn opened(paid_at: Timestamp, payment: &PaymentPlan, refundable: bool) -> PaidParts {
        let mut parts = PaidParts::default();
        // One payment's cash fits in an `i64`: it was paid.
        parts
            .add_payment(paid_at, payment, refundable)
            .expect("one payment's cash is an amount");
        parts
    }

    /// Replays a period's orders, the opening one first. An amount outside `i64` is refused.
    pub fn from_orders(orders: &[PeriodOrderPaid]) -> Result<PaidParts, AmountOverflow> {
        let mut parts = PaidParts::default();
        for (index, order) in orders.iter().enumerate() {
            if index > 0 {
                // What the period held unused when the order was made: the value it left, less
                // what it paid in, plus what it gave back.
                let unused_minor = order
                    .value_cash_after_minor
                    .checked_sub(order.payment.cash_minor())
                    .and_then(|minor| minor.checked_add(order.refunded_minor))
                    .ok_or(AmountOverflow)?;
                parts = parts.after_refund(unused_minor, order.refunded_minor).0;
            }
            parts.add_payment(order.paid_at, &order.payment, order.refundable)?;
        }
        Ok(parts)
    }

    pub fn parts(&self) -> &[PaidPart] {
        &self.parts
    }

    pub fn total_minor(&self) -> i64 {
        self.total_minor
    }

    /// Whether any part was paid under refundable terms; `None` when no cash paid the period.
    pub fn any_refundable(&self) -> Option<bool> {
        if self.parts.is_empty() {
            None
        } else {
            Some(self.parts.iter().any(|part| part.refundable))
        }
    }

    /// `amount_minor` split among the parts in proportion to their amounts (see the module
    /// documentation), one share per part, in the parts' order. All of it to nothing when no
    /// part holds anything: the caller decides (see [`crate::refund`]).
    pub fn split(&self, amount_minor: i64) -> Vec<i64> {
        if self.total_minor <= 0 {
            return vec![0; self.parts.len()];
        }
        let mut shares = Vec::with_capacity(self.parts.len());
        let mut running_minor = 0_i64;
        let mut given_minor = 0_i64;
        for part in &self.parts {
            // Partial sums of non-negative parts never exceed their total, which fits.
            running_minor += part.amount_minor;
            let through_minor = share_minor(amount_minor, running_minor, self.total_minor);
            shares.push(through_minor - given_minor);
            given_minor = through_minor;
        }
        shares
    }

    /// The parts once the period holds `unused_minor` and gives back `refund_minor` of it:
    /// each part's unused share less its share of the refund. Returns the parts left and the
    /// refund's share of each part (in the parts' order).
    pub fn after_refund(&self, unused_minor: i64, refund_minor: i64) -> (PaidParts, Vec<i64>) {
        // Orders that disagree with each other never make a part negative or larger.
        let unused = self.with_amounts(&self.split(unused_minor.clamp(0, self.total_minor)));
        let refund_shares = unused.split(refund_minor.clamp(0, unused.total_minor));
        let left: Vec<i64> = unused
            .parts
            .iter()
            .zip(&refund_shares)
            .map(|(part, refund)| part.amount_minor - refund)
            .collect();
        (unused.with_amounts(&left), refund_shares)
    }

    /// The same parts holding `amounts` (one per part, each at most the part's own or a share of
    /// an amount that fits, so their sum fits).
    fn with_amounts(&self, amounts: &[i64]) -> PaidParts {
        let parts: Vec<PaidPart> = self
            .parts
            .iter()
            .zip(amounts)
            .map(|(part, amount_minor)| PaidPart {
                amount_minor: *amount_minor,
                ..*part
            })
            .collect();
        let total_minor = parts.iter().map(|part| part.amount_minor).sum();
        PaidParts { parts, total_minor }
    }

    /// Adds a payment's cash sources as parts: coupons, then the balance, then an outside
    /// method (the order [`crate::payment::plan_payment`] spends them in).
    fn add_payment(
        &mut self,
        paid_at: Timestamp,
        payment: &PaymentPlan,
        refundable: bool,
    ) -> Result<(), AmountOverflow> {
        let sources = [
            (CashSource::Coupons, payment.coupon_minor),
            (CashSource::Balance, payment.balance_minor),
            (
                CashSource::External(payment.external_method.unwrap_or(PaymentMethod::Balance)),
                payment.external_minor,
            ),
        ];
        for (source, amount_minor) in sources {
            if amount_minor <= 0 {
                continue;
            }
            self.total_minor = self
                .total_minor
                .checked_add(amount_minor)
                .ok_or(AmountOverflow)?;
            self.parts.push(PaidPart {
                paid_at,
                source,
                refundable,
                amount_minor,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn balance(amount_minor: i64) -> PaymentPlan {
        PaymentPlan {
            balance_minor: amount_minor,
            ..PaymentPlan::default()
        }
    }

    fn coupons(amount_minor: i64) -> PaymentPlan {
        PaymentPlan {
            coupon_minor: amount_minor,
            ..PaymentPlan::default()
        }
    }

    fn amounts(parts: &PaidParts) -> Vec<(CashSource, bool, i64)> {
        parts
            .parts()
            .iter()
            .map(|part| (part.source, part.refundable, part.amount_minor))
            .collect()
    }

    #[test]
    fn splits_sum_exactly_and_round_cumulatively_half_to_even() {
        let parts = PaidParts::from_orders(&[PeriodOrderPaid {
            paid_at: at("2026-04-01T00:00:00Z"),
            payment: PaymentPlan {
                coupon_minor: 3,
                balance_minor: 3,
                ..PaymentPlan::default()
            },
            refundable: true,
            refunded_minor: 0,
            value_cash_after_minor: 6,
        }])
        .unwrap();
        // 3 × 3 / 6 = 1.5 → 2 (half to even); the balance gets 3 − 2.
        assert_eq!(parts.split(3), [2, 1]);
        // 5 × 3 / 6 = 2.5 → 2; then 5 − 2.
        assert_eq!(parts.split(5), [2, 3]);
        assert_eq!(parts.split(6), [3, 3]);
        assert_eq!(parts.split(0), [0, 0]);
        assert_eq!(PaidParts::default().split(10), Vec::<i64>::new());
    }

    #[test]
    fn an_upgrade_adds_its_payment_under_the_terms_it_bought() {
        // The case: DNS Personal for a month, 800 from the balance (nonrefundable),
        // upgraded at hour 240 of 720: 533 of the 800 unused, plus a 2800 charge paid with
        // coupons under Enterprise Standard's refundable terms.
        let parts = PaidParts::from_orders(&[
            PeriodOrderPaid {
                paid_at: at("2026-04-01T00:00:00Z"),
                payment: balance(800),
                refundable: false,
                refunded_minor: 0,
                value_cash_after_minor: 800,
            },
            PeriodOrderPaid {
                paid_at: at("2026-04-11T00:00:00Z"),
                payment: coupons(2800),
                refundable: true,
                refunded_minor: 0,
                value_cash_after_minor: 533 + 2800,
            },
        ])
        .unwrap();
        assert_eq!(
            amounts(&parts),
            [
                (CashSource::Balance, false, 533),
                (CashSource::Coupons, true, 2800)
            ]
        );
        assert_eq!(parts.any_refundable(), Some(true));
    }

    #[test]
    fn a_downgrade_gives_back_each_parts_share_and_keeps_the_rest() {
        // 1000 coupons + 2000 balance; at a third of the period 2000 is unused, of which a
        // downgrade gives back 1200: 2000 splits 667 / 1333 (666.67 → 667), the 1200 splits
        // 400 / 800 (1200 × 667 / 2000 = 400.2 → 400), and 267 / 533 are left.
        let opened = PaidParts::opened(
            at("2026-04-01T00:00:00Z"),
            &PaymentPlan {
                coupon_minor: 1000,
                balance_minor: 2000,
                ..PaymentPlan::default()
            },
            true,
        );
        let (left, refund_shares) = opened.after_refund(2000, 1200);
        assert_eq!(refund_shares, [400, 800]);
        assert_eq!(
            amounts(&left),
            [
                (CashSource::Coupons, true, 267),
                (CashSource::Balance, true, 533)
            ]
        );
        // Replaying the stored downgrade order gives the same parts.
        let replayed = PaidParts::from_orders(&[
            PeriodOrderPaid {
                paid_at: at("2026-04-01T00:00:00Z"),
                payment: PaymentPlan {
                    coupon_minor: 1000,
                    balance_minor: 2000,
                    ..PaymentPlan::default()
                },
                refundable: true,
                refunded_minor: 0,
                value_cash_after_minor: 3000,
            },
            PeriodOrderPaid {
                paid_at: at("2026-04-11T00:00:00Z"),
                payment: PaymentPlan::default(),
                refundable: true,
                refunded_minor: 1200,
                value_cash_after_minor: 800,
            },
        ])
        .unwrap();
        assert_eq!(replayed, left);
    }

    #[test]
    fn no_part_gets_more_than_it_holds() {
        for total in 1..40_i64 {
            for first in 0..=total {
                let parts = PaidParts::opened(
                    at("2026-04-01T00:00:00Z"),
                    &PaymentPlan {
                        coupon_minor: first,
                        balance_minor: total - first,
                        ..PaymentPlan::default()
                    },
                    true,
                );
                for amount in 0..=total {
                    let shares = parts.split(amount);
                    assert_eq!(shares.iter().sum::<i64>(), amount);
                    for (share, part) in shares.iter().zip(parts.parts()) {
                        assert!(*share >= 0 && *share <= part.amount_minor);
                    }
                }
            }
        }
    }
}
