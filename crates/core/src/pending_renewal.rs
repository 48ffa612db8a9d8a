//! Pending renewal orders: renewals paid for a period that has not started. They follow one
//! another from the current expiry. Unsubscribing one alone refunds all its cash (see
//! [`crate::refund`]), leaves the current service untouched, and re-dates every later pending
//! renewal so the chain has no gap: each keeps its own period length (by the month-end rule of
//! [`crate::period`]) and starts where the previous one now ends. The instance's expiry becomes
//! the end of the last remaining order (docs/examples.md 9).

use jiff::Timestamp;
use serde::Serialize;

use crate::period::Period;

/// A pending renewal order as the re-dating rule sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingRenewal {
    pub order_id: String,
    pub period: Period,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
}

/// New dates of one later order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Redated {
    pub order_id: String,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
}

/// What unsubscribing one pending renewal does to the others and to the expiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redating {
    /// Later orders with their new dates, in order.
    pub redated: Vec<Redated>,
    /// The instance's expiry afterwards (its "updated expiration time").
    pub expires_at: Timestamp,
}

/// Re-dates `pending` (sorted by start, one chain) once `cancelled_order_id` is taken out.
/// Returns `None` if the order is not among them.
pub fn redate_without(pending: &[PendingRenewal], cancelled_order_id: &str) -> Option<Redating> {
    let position = pending
        .iter()
        .position(|order| order.order_id == cancelled_order_id)?;
    let mut cursor = pending[position].starts_at;
    let mut redated = Vec::new();
    for later in &pending[position + 1..] {
        let ends_at = later.period.add_to(cursor);
        redated.push(Redated {
            order_id: later.order_id.clone(),
            starts_at: cursor,
            ends_at,
        });
        cursor = ends_at;
    }
    Some(Redating {
        redated,
        expires_at: cursor,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn chain() -> Vec<PendingRenewal> {
        // docs/examples.md 9: expiry 2026-05-01, renewals paid to 06-01 and to 07-01.
        vec![
            PendingRenewal {
                order_id: "first".into(),
                period: Period::months(1),
                starts_at: at("2026-05-01T00:00:00Z"),
                ends_at: at("2026-06-01T00:00:00Z"),
            },
            PendingRenewal {
                order_id: "second".into(),
                period: Period::months(1),
                starts_at: at("2026-06-01T00:00:00Z"),
                ends_at: at("2026-07-01T00:00:00Z"),
            },
        ]
    }

    #[test]
    fn unsubscribing_the_last_moves_the_expiry_back() {
        let redating = redate_without(&chain(), "second").unwrap();
        assert_eq!(redating.redated, vec![]);
        assert_eq!(redating.expires_at, at("2026-06-01T00:00:00Z"));
    }

    #[test]
    fn unsubscribing_the_first_re_dates_the_second() {
        let redating = redate_without(&chain(), "first").unwrap();
        assert_eq!(
            redating.redated,
            vec![Redated {
                order_id: "second".into(),
                starts_at: at("2026-05-01T00:00:00Z"),
                ends_at: at("2026-06-01T00:00:00Z"),
            }]
        );
        assert_eq!(redating.expires_at, at("2026-06-01T00:00:00Z"));
    }

    #[test]
    fn re_dating_keeps_each_period_by_the_month_end_rule() {
        let pending = vec![
            PendingRenewal {
                order_id: "a".into(),
                period: Period::months(1),
                starts_at: at("2026-01-31T00:00:00Z"),
                ends_at: at("2026-02-28T00:00:00Z"),
            },
            PendingRenewal {
                order_id: "b".into(),
                period: Period::months(3),
                starts_at: at("2026-02-28T00:00:00Z"),
                ends_at: at("2026-05-28T00:00:00Z"),
            },
        ];
        let redating = redate_without(&pending, "a").unwrap();
        assert_eq!(redating.redated[0].ends_at, at("2026-04-30T00:00:00Z"));
        assert_eq!(redate_without(&pending, "missing"), None);
    }
}
