//! Pending renewal orders: renewals paid for a period that has not started. They follow one
//! another from the current expiry. Unsubscribing one alone refunds all its cash (see
//! [`crate::refund`]), leaves the current service untouched, and re-dates every later pending
//! renewal so the chain has no gap: each keeps its own period length (by the month-end rule of
//! [`crate::period`]) and starts where the previous one now ends. The instance's expiry becomes
//! the end of the last remaining order (docs/examples.md 9).

use jiff::Timestamp;
use serde::Serialize;
use serde_json::json;

use crate::catalog::Channel;
use crate::event::{EventDraft, EventKind, NoticeDraft};
use crate::lifecycle::Instance;
use crate::money::format_minor;
use crate::notice::{readable_time, NoticeTexts, Template};
use crate::period::Period;
use crate::refund::{describe_destinations, WrittenRefund};

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

/// Announces a pending renewal `order_id` unsubscribed alone (`order.renewal_unsubscribed`):
/// the expiry moved back, the later renewals re-dated, the refund; and tells the customer by
/// email. `instance` is as it was before; `currency` is the account's, `texts` the catalog's
/// notice texts.
pub fn renewal_unsubscribed(
    instance: &Instance,
    unsubscription_id: &str,
    order_id: &str,
    redating: &Redating,
    refund: &WrittenRefund,
    currency: &str,
    texts: &NoticeTexts,
) -> (EventDraft, NoticeDraft) {
    let event = EventDraft {
        kind: EventKind::RenewalUnsubscribed,
        account_id: instance.account_id.clone(),
        instance_id: Some(instance.id.clone()),
        data: json!({
            "unsubscription_id": unsubscription_id,
            "order_id": order_id,
            "previous_expires_at": instance.expires_at.map(|time| time.to_string()),
            "expires_at": redating.expires_at.to_string(),
            "redated_orders": redating.redated.iter().map(|later| json!({
                "order_id": later.order_id,
                "starts_at": later.starts_at.to_string(),
                "ends_at": later.ends_at.to_string(),
            })).collect::<Vec<_>>(),
            "refund_minor": refund.refund_minor,
        })
        .into(),
    };
    let text = texts.notice(
        Template::RenewalUnsubscribed,
        &[
            ("order", order_id),
            ("instance", &instance.called()),
            ("expires_at", &readable_time(redating.expires_at)),
            ("refund", &format_minor(refund.refund_minor, currency)),
            (
                "refund_destinations",
                &describe_destinations(std::slice::from_ref(refund), currency, texts),
            ),
        ],
    );
    let notice = NoticeDraft {
        recipient: None,
        account_id: instance.account_id.clone(),
        instance_id: Some(instance.id.clone()),
        channel: Channel::Email,
        kind: EventKind::RenewalUnsubscribed,
        subject: text.subject,
        body: text.body,
    };
    (event, notice)
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

    #[test]
    fn unsubscribing_a_renewal_announces_the_new_expiry_and_the_re_dated_orders() {
        // Server tests/api/unsubscription.rs (docs/examples.md 9): the first of two pending
        // renewals is unsubscribed; the second now runs 05-01 to 06-01; 12000 back to the balance.
        let instance = crate::lifecycle::subscription_for_tests(
            "inst_1",
            "acct_1",
            ("message-queue", "basic", "tps-1000"),
            at("2026-07-01T00:00:00Z"),
        );
        let redating = redate_without(&chain(), "first").unwrap();
        let refund = WrittenRefund {
            id: "rfd_1",
            account_id: "acct_1",
            instance_id: "inst_1",
            order_id: "first",
            refund_type: "partial_refund",
            refund_minor: 12_000,
            to_coupons_minor: 0,
            to_balance_minor: 12_000,
            to_external_minor: 0,
            destination: "balance",
            status: "refunded",
            expected_arrival_by: at("2026-04-10T00:00:00Z"),
        };
        let texts = NoticeTexts::builtin();
        let (event, notice) = renewal_unsubscribed(
            &instance, "uns_1", "first", &redating, &refund, "USD", &texts,
        );
        assert_eq!(event.kind.as_str(), "order.renewal_unsubscribed");
        assert_eq!(
            (event.account_id.as_str(), event.instance_id.as_deref()),
            ("acct_1", Some("inst_1"))
        );
        assert_eq!(
            event.data.as_str(),
            r#"{"expires_at":"2026-06-01T00:00:00Z","order_id":"first","previous_expires_at":"2026-07-01T00:00:00Z","redated_orders":[{"ends_at":"2026-06-01T00:00:00Z","order_id":"second","starts_at":"2026-05-01T00:00:00Z"}],"refund_minor":12000,"unsubscription_id":"uns_1"}"#
        );
        assert_eq!(
            (notice.channel, notice.kind, notice.instance_id.as_deref()),
            (
                Channel::Email,
                EventKind::RenewalUnsubscribed,
                Some("inst_1")
            )
        );
        assert_eq!(notice.subject, "Renewal first of inst_1 was unsubscribed");
        assert_eq!(
            notice.body,
            "The renewal first of inst_1 was unsubscribed; the instance now expires on \
             2026-06-01 00:00 UTC. Renew it again before then if you need it longer.\n\n\
             Refund: 120.00 USD.\n- 120.00 USD to your balance, now"
        );
    }
}
