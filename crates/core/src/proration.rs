//! The money rules shared by refunds, downgrades and upgrades. This file
//! is the only place they are computed; unsubscription refunds and spec changes both call it.
//!
//! # The proration rule: by started hour, from the value actually paid
//! - A service period is cut into hours from its start; a started hour counts as used.
//! - Each period carries a [`PeriodValue`]: the cash and the voucher value still to be consumed,
//!   from an hour of the period on. A purchase or renewal order sets it to what the order was paid
//!   (hour 0); each later change in the same period sets it again from the hour of the change.
//!   So a change is always priced from what was actually paid, never from today's catalog price
//!   of the old configuration, and consecutive changes start from what the previous one left.
//! - The value is consumed evenly over the hours it covers:
//!   `consumed = value × hours used since it was set / hours it covers`, rounded once;
//!   `unused = value − consumed`. With a value set at purchase this is the in-use refund rule
//!   (docs/examples.md 6: 30000 × 101 / 720 = 4208 consumed, 25792 unused).
//! - Only cash (balance, coupons, an outside method) is ever refunded; voucher value is never.
//! - A change to a configuration with list price `P` for the period costs, for the remaining
//!   hours, `P × remaining hours / ordered hours` (rounded once).
//!   - Upgrade: charge = max(0, new cost − unused value), the unused value counting cash and
//!     voucher alike (a voucher is not refunded, it keeps paying for service).
//!   - Downgrade: the value released is max(0, unused value − new cost); its cash share is refunded
//!     in proportion to the cash share of the unused value ("the cash share is refunded in
//!     proportion"); the voucher share is kept by the operator. Without vouchers this is exactly
//!     the rule's "unused value − price of the new configuration for the remaining time"
//!     (docs/examples.md 7: 20000 − 8000 = 12000).
//! - A period not started yet (a paid renewal, an unactivated resource plan) has all its hours
//!   remaining: its whole cash is unused.
//! - A resource plan with quota left: the unused share of the quota, of the period's cash value,
//!   by the same shape as time: `consumed = cash × used units / quota units` ([`QuotaUsage`]).
//! - Unsubscription refunds, per period, the cash part of the period's *latest* value still
//!   unused (`tenure_core::refund`), never the opening order's paid amounts: after a downgrade
//!   has refunded part of a period, unsubscribing refunds only what the downgrade left.
//! - Rounding: [`crate::money::share_minor`] (`prorate_minor`'s rule), half to even, once in each
//!   amount the answer shows (consumed, new cost, refund share), so the itemised amounts add up
//!   exactly. Each is a share (at most the whole) of an amount tenure holds, so none overflows.
//!
//! Why no refund can exceed what was paid: a refund is at most the cash part of the unused value,
//! the unused value never grows except by a charge that was paid, and it shrinks by every refund.
//! The property tests at the end of this file check it over random sequences.

use jiff::Timestamp;
use serde::Serialize;

use crate::money::share_minor;

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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

/// What is left to consume of one service period's paid value, from an hour of that period on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PeriodValue {
    /// Value paid with balance, coupons or an outside method: refundable in proportion.
    pub cash_minor: i64,
    /// Value paid with vouchers: pays for service, never refunded.
    pub voucher_minor: i64,
    /// Hours of the period already used when this value was set: 0 for a purchase or renewal.
    pub from_used_hours: i64,
}

impl PeriodValue {
    /// The value a purchase or renewal order gives its period.
    pub fn paid(cash_minor: i64, voucher_minor: i64) -> PeriodValue {
        PeriodValue {
            cash_minor,
            voucher_minor,
            from_used_hours: 0,
        }
    }

    pub fn total_minor(self) -> i64 {
        self.cash_minor + self.voucher_minor
    }

    /// The value still unused at `usage`, consumed evenly over the hours this value covers.
    pub fn unused_at(self, usage: Usage) -> PeriodValue {
        // The clock never moves back, so `usage` is never before this value was set; `max`
        // keeps a value from growing if a caller ever passed an earlier moment.
        let used_hours = usage.used_hours.max(self.from_used_hours);
        let covered_hours = usage.ordered_hours - self.from_used_hours;
        let unused = |amount_minor: i64| {
            unused_share_minor(
                amount_minor,
                used_hours - self.from_used_hours,
                covered_hours,
            )
        };
        PeriodValue {
            cash_minor: unused(self.cash_minor),
            voucher_minor: unused(self.voucher_minor),
            from_used_hours: used_hours,
        }
    }
}

/// Refund of an in-use (or not yet started, `used_hours = 0`) order paid `cash_minor` in cash.
pub fn refund_for_unused_minor(cash_minor: i64, usage: Usage) -> i64 {
    PeriodValue::paid(cash_minor, 0).unused_at(usage).cash_minor
}

/// A resource plan's quota split into used and total units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaUsage {
    pub quota_units: i64,
    pub used_units: i64,
}

/// Refund of a resource plan whose period holds `cash_minor` in cash: the unused share of its
/// quota, by the same shape as hours.
pub fn refund_for_unused_quota_minor(cash_minor: i64, usage: QuotaUsage) -> i64 {
    let quota_units = usage.quota_units.max(1);
    unused_share_minor(
        cash_minor,
        usage.used_units.clamp(0, quota_units),
        quota_units,
    )
}

/// The one consumption shape: amount − amount × used / total, rounded once, never below zero;
/// nothing is left of a value that covers nothing.
fn unused_share_minor(amount_minor: i64, used: i64, total: i64) -> i64 {
    if total <= 0 {
        return 0;
    }
    let consumed_minor = share_minor(amount_minor, used, total);
    (amount_minor - consumed_minor).max(0)
}

/// Whether a change moves to a dearer configuration (charged) or not (refunded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeDirection {
    Upgrade,
    Downgrade,
}

impl ChangeDirection {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeDirection::Upgrade => "upgrade",
            ChangeDirection::Downgrade => "downgrade",
        }
    }
}

/// The money of a change in one service period, itemised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ChangeAmounts {
    pub usage: Usage,
    /// The period's value before the change, as last set (purchase, renewal or earlier change).
    pub value_before: PeriodValue,
    /// What of it is still unused now.
    pub unused: PeriodValue,
    /// The new configuration's list price for the whole period.
    pub new_list_price_minor: i64,
    /// The new configuration for the remaining hours.
    pub new_cost_minor: i64,
    /// To pay (upgrade).
    pub charge_minor: i64,
    /// To give back in cash (downgrade).
    pub refund_minor: i64,
    /// Released voucher value the operator keeps (downgrade): vouchers are never refunded.
    pub voucher_share_kept_minor: i64,
}

impl ChangeAmounts {
    /// The period's value after the change, once `charge` has been paid as `paid_cash_minor` and
    /// `paid_voucher_minor` (both zero for a downgrade).
    pub fn value_after(&self, paid_cash_minor: i64, paid_voucher_minor: i64) -> PeriodValue {
        debug_assert_eq!(paid_cash_minor + paid_voucher_minor, self.charge_minor);
        PeriodValue {
            cash_minor: self.unused.cash_minor - self.refund_minor + paid_cash_minor,
            voucher_minor: self.unused.voucher_minor - self.voucher_share_kept_minor
                + paid_voucher_minor,
            from_used_hours: self.unused.from_used_hours,
        }
    }
}

/// Prices a change to a configuration listed at `new_list_price_minor` for the period, in a
/// period whose value is `value_before`, at `usage`. See the module documentation for the rule.
pub fn change_amounts(
    direction: ChangeDirection,
    value_before: PeriodValue,
    new_list_price_minor: i64,
    usage: Usage,
) -> ChangeAmounts {
    let unused = value_before.unused_at(usage);
    let new_cost_minor = share_minor(
        new_list_price_minor,
        usage.remaining_hours(),
        usage.ordered_hours,
    );
    let unused_total_minor = unused.total_minor();
    let (charge_minor, refund_minor, voucher_share_kept_minor) = match direction {
        ChangeDirection::Upgrade => ((new_cost_minor - unused_total_minor).max(0), 0, 0),
        ChangeDirection::Downgrade => {
            let released_minor = (unused_total_minor - new_cost_minor).max(0);
            let refund_minor = if unused_total_minor == 0 {
                0
            } else {
                share_minor(released_minor, unused.cash_minor, unused_total_minor)
            };
            (0, refund_minor, released_minor - refund_minor)
        }
    };
    let amounts = ChangeAmounts {
        usage,
        value_before,
        unused,
        new_list_price_minor,
        new_cost_minor,
        charge_minor,
        refund_minor,
        voucher_share_kept_minor,
    };
    debug_assert!(amounts.refund_minor <= amounts.unused.cash_minor);
    debug_assert!(amounts.voucher_share_kept_minor <= amounts.unused.voucher_minor);
    amounts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn april_usage(now: &str) -> Usage {
        Usage::at(
            at("2026-04-01T00:00:00Z"),
            at("2026-05-01T00:00:00Z"),
            at(now),
        )
    }

    #[test]
    fn in_use_refund_counts_a_started_hour() {
        // docs/examples.md 6: 30000 cash + a 5000 voucher, 720 ordered hours, 100 h 20 min used.
        let usage = april_usage("2026-04-05T04:20:00Z");
        assert_eq!(
            usage,
            Usage {
                ordered_hours: 720,
                used_hours: 101
            }
        );
        assert_eq!(refund_for_unused_minor(30_000, usage), 25_792);
        let unused = PeriodValue::paid(30_000, 5_000).unused_at(usage);
        assert_eq!(
            unused.cash_minor, 25_792,
            "the voucher does not change the cash refund"
        );
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
    fn example_7_downgrade_and_upgrade_are_symmetric() {
        // docs/examples.md 7: 30000 cash, 720 h from 04-01, change at 04-11 to a 12000 spec.
        let usage = april_usage("2026-04-11T00:00:00Z");
        assert_eq!(usage.remaining_hours(), 480);
        let down = change_amounts(
            ChangeDirection::Downgrade,
            PeriodValue::paid(30_000, 0),
            12_000,
            usage,
        );
        assert_eq!(down.unused.cash_minor, 20_000);
        assert_eq!(down.new_cost_minor, 8_000);
        assert_eq!(
            (
                down.refund_minor,
                down.charge_minor,
                down.voucher_share_kept_minor
            ),
            (12_000, 0, 0)
        );
        assert_eq!(down.value_after(0, 0).cash_minor, 8_000);
        let up = change_amounts(
            ChangeDirection::Upgrade,
            PeriodValue::paid(12_000, 0),
            30_000,
            usage,
        );
        assert_eq!((up.charge_minor, up.refund_minor), (12_000, 0));
        assert_eq!(up.value_after(12_000, 0).cash_minor, 20_000);
    }

    #[test]
    fn vouchers_are_never_refunded_but_keep_paying_for_service() {
        // 25000 cash + 5000 voucher for a 30000 spec; at 480 of 720 hours left, down to 12000.
        let usage = april_usage("2026-04-11T00:00:00Z");
        let down = change_amounts(
            ChangeDirection::Downgrade,
            PeriodValue::paid(25_000, 5_000),
            12_000,
            usage,
        );
        // Unused: 16667 cash + 3333 voucher; the new spec costs 8000; 12000 is released, of which
        // the cash share (16667 / 20000) is refunded and the voucher share kept.
        assert_eq!(
            (down.unused.cash_minor, down.unused.voucher_minor),
            (16_667, 3_333)
        );
        assert_eq!(
            (down.refund_minor, down.voucher_share_kept_minor),
            (10_000, 2_000)
        );
        let after = down.value_after(0, 0);
        assert_eq!(after.total_minor(), 8_000);
        // An upgrade counts the voucher's unused value: a fully voucher-paid 30000 month moving
        // to 60000 at mid-period pays only the difference.
        let up = change_amounts(
            ChangeDirection::Upgrade,
            PeriodValue::paid(0, 30_000),
            60_000,
            april_usage("2026-04-16T00:00:00Z"),
        );
        assert_eq!(up.charge_minor, 15_000);
    }

    #[test]
    fn consecutive_changes_start_from_what_the_last_one_left() {
        // 30000 paid; down to 12000 at hour 240 (refund 12000, 8000 left for 480 h); at hour
        // 480 (240 h left) the 8000 is half used: 4000 unused. Back up to 30000, which costs
        // 30000 × 240 / 720 = 10000 for the rest: charge 10000 − 4000.
        let down = change_amounts(
            ChangeDirection::Downgrade,
            PeriodValue::paid(30_000, 0),
            12_000,
            april_usage("2026-04-11T00:00:00Z"),
        );
        let value = down.value_after(0, 0);
        assert_eq!(value.from_used_hours, 240);
        let up = change_amounts(
            ChangeDirection::Upgrade,
            value,
            30_000,
            april_usage("2026-04-21T00:00:00Z"),
        );
        assert_eq!(up.unused.cash_minor, 4_000);
        assert_eq!(up.new_cost_minor, 10_000);
        assert_eq!(up.charge_minor, 6_000);
        // Two changes within one started hour consume nothing in between.
        let same_hour = change_amounts(
            ChangeDirection::Downgrade,
            value,
            12_000,
            april_usage("2026-04-11T00:00:00Z"),
        );
        assert_eq!(same_hour.unused.cash_minor, 8_000);
    }

    #[test]
    fn the_last_hour_has_nothing_left_to_refund() {
        let usage = april_usage("2026-04-30T23:30:00Z");
        assert_eq!(usage.remaining_hours(), 0);
        let down = change_amounts(
            ChangeDirection::Downgrade,
            PeriodValue::paid(30_000, 0),
            12_000,
            usage,
        );
        assert_eq!((down.refund_minor, down.new_cost_minor), (0, 0));
        let again = change_amounts(ChangeDirection::Downgrade, down.value_after(0, 0), 1, usage);
        assert_eq!(again.refund_minor, 0);
    }
}
