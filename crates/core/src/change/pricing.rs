//! What a change costs or gives back, period by period: the current period and every paid
//! renewal that has not started (see the module documentation of [`crate::change`]).

use jiff::Timestamp;
use serde::Serialize;

use crate::catalog::{PriceError, Spec};
use crate::period::Period;
use crate::proration::{change_amounts, ChangeAmounts, ChangeDirection, PeriodValue, Usage};

/// A paid service period of an instance and the value it still holds, as last set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaidPeriod {
    /// The purchase or renewal order that opened the period.
    pub period_order_id: String,
    pub period: Period,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub value: PeriodValue,
    /// How many changes this period has had: the next change order is this plus one.
    pub revision: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodStatus {
    /// Running now: prorated by the hours left.
    Current,
    /// A paid renewal that has not started: all its hours are left.
    PendingRenewal,
}

/// One period's share of a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeriodChange {
    pub period_order_id: String,
    pub status: PeriodStatus,
    pub period: Period,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub revision: i64,
    #[serde(flatten)]
    pub amounts: ChangeAmounts,
}

/// A priced change: one line per paid period and the totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangeQuote {
    pub direction: ChangeDirection,
    pub periods: Vec<PeriodChange>,
    pub charge_minor: i64,
    pub refund_minor: i64,
    pub voucher_share_kept_minor: i64,
}

/// Prices a change to `new_spec` over the instance's paid periods at `now`. Periods already over
/// are left alone; the rest are priced in time order.
pub fn price_change(
    direction: ChangeDirection,
    new_spec: &Spec,
    periods: &[PaidPeriod],
    now: Timestamp,
) -> Result<ChangeQuote, PriceError> {
    let mut lines = Vec::new();
    let mut ordered: Vec<&PaidPeriod> = periods.iter().filter(|paid| paid.ends_at > now).collect();
    ordered.sort_by_key(|paid| paid.starts_at);
    for paid in ordered {
        let usage = Usage::at(paid.starts_at, paid.ends_at, now);
        let amounts = change_amounts(
            direction,
            paid.value,
            new_spec.list_price_minor(paid.period)?,
            usage,
        );
        lines.push(PeriodChange {
            period_order_id: paid.period_order_id.clone(),
            status: if paid.starts_at <= now {
                PeriodStatus::Current
            } else {
                PeriodStatus::PendingRenewal
            },
            period: paid.period,
            starts_at: paid.starts_at,
            ends_at: paid.ends_at,
            revision: paid.revision + 1,
            amounts,
        });
    }
    let total = |amount: fn(&ChangeAmounts) -> i64| -> i64 {
        lines.iter().map(|line| amount(&line.amounts)).sum()
    };
    Ok(ChangeQuote {
        direction,
        charge_minor: total(|amounts| amounts.charge_minor),
        refund_minor: total(|amounts| amounts.refund_minor),
        voucher_share_kept_minor: total(|amounts| amounts.voucher_share_kept_minor),
        periods: lines,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn spec(monthly_price_minor: i64) -> Spec {
        Spec {
            id: "b".into(),
            name: "b".into(),
            monthly_price_minor,
            yearly_price_minor: monthly_price_minor * 10,
            quota: None,
        }
    }

    fn period(id: &str, starts_at: &str, ends_at: &str, cash_minor: i64) -> PaidPeriod {
        PaidPeriod {
            period_order_id: id.into(),
            period: Period::months(1),
            starts_at: at(starts_at),
            ends_at: at(ends_at),
            value: PeriodValue::paid(cash_minor, 0),
            revision: 0,
        }
    }

    #[test]
    fn a_downgrade_reprices_the_current_period_and_paid_renewals() {
        // docs/examples.md 7 with a paid May renewal (30000) and a finished March period.
        let periods = [
            period(
                "ord_march",
                "2026-03-01T00:00:00Z",
                "2026-04-01T00:00:00Z",
                30_000,
            ),
            period(
                "ord_may",
                "2026-05-01T00:00:00Z",
                "2026-06-01T00:00:00Z",
                30_000,
            ),
            period(
                "ord_april",
                "2026-04-01T00:00:00Z",
                "2026-05-01T00:00:00Z",
                30_000,
            ),
        ];
        let quote = price_change(
            ChangeDirection::Downgrade,
            &spec(12_000),
            &periods,
            at("2026-04-11T00:00:00Z"),
        )
        .unwrap();
        let lines: Vec<(&str, PeriodStatus, i64)> = quote
            .periods
            .iter()
            .map(|line| {
                (
                    line.period_order_id.as_str(),
                    line.status,
                    line.amounts.refund_minor,
                )
            })
            .collect();
        assert_eq!(
            lines,
            [
                ("ord_april", PeriodStatus::Current, 12_000),
                ("ord_may", PeriodStatus::PendingRenewal, 18_000),
            ]
        );
        assert_eq!((quote.refund_minor, quote.charge_minor), (30_000, 0));
        assert_eq!(quote.periods[1].amounts.usage.remaining_hours(), 744);
    }
}
