//! The money rules shared by refunds, downgrades and upgrades (SPEC "Money rules").
//!
//! - Only cash is refunded: what an order was paid with balance, coupons or an outside method.
//!   Voucher payments are never refunded.
//! - In-use period: refund = max(0, cash − consumed), consumed = cash × used hours / ordered
//!   hours, where a started hour counts as used.
//! - A period not yet started: the whole cash comes back.
//! - A resource plan with quota left: the unused share of the quota, of the cash paid, by the
//!   same shape as time: consumed = cash × used units / quota units.
//! - Change of spec: downgrade refund = unused value of the current period − price of the new
//!   configuration for the same remaining time; an upgrade charges the opposite. Both from the
//!   price actually paid, never from today's catalog price for the old spec.
//! - Rounding: [`crate::money::prorate_minor`], half to even, once per computation.

use jiff::Timestamp;

use crate::money::prorate_minor;

const SECONDS_PER_HOUR: i64 = 3600;

/// Whole hours from `start` to `end`, counting a started hour as a whole one.
pub fn started_hours(start: Timestamp, end: Timestamp) -> i64 {
    let seconds = end.as_second() - start.as_second();
    if seconds <= 0 {
        0
    } else {
        (seconds + SECONDS_PER_HOUR - 1) / SECONDS_PER_HOUR
    }
}

/// A service period split at `now` into used and remaining hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    pub ordered_hours: i64,
    pub used_hours: i64,
}

impl Usage {
    pub fn at(starts_at: Timestamp, ends_at: Timestamp, now: Timestamp) -> Usage {
        let ordered_hours = started_hours(starts_at, ends_at).max(1);
        let used_hours = started_hours(starts_at, now).min(ordered_hours);
        Usage {
            ordered_hours,
            used_hours,
        }
    }

    pub fn remaining_hours(self) -> i64 {
        self.ordered_hours - self.used_hours
    }
}

/// Refund of an in-use (or not yet started, `used_hours = 0`) order paid `cash_minor` in cash.
pub fn refund_for_unused_minor(cash_minor: i64, usage: Usage) -> i64 {
    unused_share_minor(cash_minor, usage.used_hours, usage.ordered_hours)
}

/// A resource plan's quota split into used and total units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaUsage {
    pub quota_units: i64,
    pub used_units: i64,
}

/// Refund of a resource plan paid `cash_minor` in cash: the unused share of its quota.
pub fn refund_for_unused_quota_minor(cash_minor: i64, usage: QuotaUsage) -> i64 {
    let quota_units = usage.quota_units.max(1);
    unused_share_minor(
        cash_minor,
        usage.used_units.clamp(0, quota_units),
        quota_units,
    )
}

/// The one refund shape: cash − cash × used / total, rounded once, never below zero.
fn unused_share_minor(cash_minor: i64, used: i64, total: i64) -> i64 {
    let consumed_minor = prorate_minor(cash_minor, used, total);
    (cash_minor - consumed_minor).max(0)
}

/// The net of a spec change for the remaining hours: positive is a charge (upgrade), negative a
/// refund (downgrade). `cash_minor` is what the current period was paid in cash, and
/// `new_price_minor` the new configuration's list price for the same period length.
pub fn change_difference_minor(cash_minor: i64, new_price_minor: i64, usage: Usage) -> i64 {
    prorate_minor(
        new_price_minor - cash_minor,
        usage.remaining_hours(),
        usage.ordered_hours,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn in_use_refund_counts_a_started_hour() {
        // EXAMPLES.md 6: 30000 cash + a 5000 voucher, 720 ordered hours, 100 h 20 min used.
        let starts_at = at("2026-04-01T00:00:00Z");
        let ends_at = at("2026-05-01T00:00:00Z");
        let usage = Usage::at(starts_at, ends_at, at("2026-04-05T04:20:00Z"));
        assert_eq!(
            usage,
            Usage {
                ordered_hours: 720,
                used_hours: 101
            }
        );
        assert_eq!(refund_for_unused_minor(30_000, usage), 25_792);
    }

    #[test]
    fn a_period_not_started_refunds_all_cash() {
        let usage = Usage::at(
            at("2026-05-01T00:00:00Z"),
            at("2026-06-01T00:00:00Z"),
            at("2026-04-10T00:00:00Z"),
        );
        assert_eq!(usage.used_hours, 0);
        assert_eq!(refund_for_unused_minor(12_345, usage), 12_345);
    }

    #[test]
    fn a_resource_plan_refunds_the_unused_share_of_its_quota() {
        let usage = |used_units| QuotaUsage {
            quota_units: 10_000_000,
            used_units,
        };
        assert_eq!(refund_for_unused_quota_minor(2000, usage(0)), 2000);
        // consumed = 2000 × 2,500,001 / 10,000,000 = 500.0002, rounded to 500
        assert_eq!(refund_for_unused_quota_minor(2000, usage(2_500_001)), 1500);
        // consumed = 2000 × 3 / 10,000,000 = 0.0006, rounded to 0: a started unit is not an hour
        assert_eq!(refund_for_unused_quota_minor(2000, usage(3)), 2000);
        assert_eq!(refund_for_unused_quota_minor(2000, usage(10_000_000)), 0);
    }

    #[test]
    fn downgrade_and_upgrade_are_symmetric() {
        // EXAMPLES.md 7: 30000 cash, 720 h from 04-01, change at 04-11 to a 12000 spec.
        let usage = Usage::at(
            at("2026-04-01T00:00:00Z"),
            at("2026-05-01T00:00:00Z"),
            at("2026-04-11T00:00:00Z"),
        );
        assert_eq!(usage.remaining_hours(), 480);
        assert_eq!(change_difference_minor(30_000, 12_000, usage), -12_000);
        assert_eq!(change_difference_minor(12_000, 30_000, usage), 12_000);
    }
}
