//! Unsubscribing an instance: it is released at once, its data deleted, and every paid period
//! cancelled and refunded by the rules of [`crate::refund`]. Here: what it announces. Unsubscribing
//! one pending renewal alone is [`crate::pending_renewal`].

use serde_json::json;

use crate::catalog::Channel;
use crate::event::{EventDraft, EventKind, NoticeDraft};
use crate::lifecycle::Instance;
use crate::money::format_minor;
use crate::notice::{NoticeTexts, Template};
use crate::refund::{describe_destinations, RefundType, ResourceKind, WrittenRefund};

/// Announces an unsubscribed instance (`instance.unsubscribed`): released now, data deleted,
/// the periods cancelled (by their opening orders) and what they refund in all. `instance` is
/// the one unsubscribed, as it was before.
pub fn unsubscribed_event(
    instance: &Instance,
    unsubscription_id: &str,
    resource_kind: ResourceKind,
    refund_type: RefundType,
    cancelled_orders: &[String],
    refund_minor: i64,
) -> EventDraft {
    EventDraft {
        kind: EventKind::InstanceUnsubscribed,
        account_id: instance.account_id.clone(),
        instance_id: Some(instance.id.clone()),
        data: json!({
            "unsubscription_id": unsubscription_id,
            "release": "now",
            "data_deleted": true,
            "resource_kind": resource_kind,
            "refund_type": refund_type,
            "cancelled_orders": cancelled_orders,
            "refund_minor": refund_minor,
        })
        .into(),
    }
}

/// Tells the customer by email that the instance was unsubscribed, its data deleted, and where
/// each refund goes; `product_name` names its product, `currency` is the account's, `texts`
/// the catalog's notice texts.
pub fn unsubscribed_notice(
    instance: &Instance,
    product_name: &str,
    refunds: &[WrittenRefund],
    currency: &str,
    texts: &NoticeTexts,
) -> NoticeDraft {
    let refund_minor: i64 = refunds.iter().map(|refund| refund.refund_minor).sum();
    let text = texts.notice(
        Template::InstanceUnsubscribed,
        &[
            ("product", product_name),
            ("instance", &instance.called()),
            ("refund", &format_minor(refund_minor, currency)),
            (
                "refund_destinations",
                &describe_destinations(refunds, currency, texts),
            ),
        ],
    );
    NoticeDraft {
        recipient: None,
        account_id: instance.account_id.clone(),
        instance_id: Some(instance.id.clone()),
        channel: Channel::Email,
        kind: EventKind::InstanceUnsubscribed,
        subject: text.subject,
        body: text.body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unsubscription_announces_the_release_and_tells_where_the_refund_goes() {
        // The card order of server tests/api/unsubscription.rs unsubscribed on day 150: a 1Y
        // message queue paid by card, 70356 back to the card within 30 business days.
        let at = |text: &str| text.parse().unwrap();
        let instance = crate::lifecycle::subscription_for_tests(
            "inst_1",
            "acct_1",
            ("message-queue", "basic", "tps-1000"),
            at("2027-01-01T00:00:00Z"),
        );
        let refund = WrittenRefund {
            id: "rfd_1",
            account_id: "acct_1",
            instance_id: "inst_1",
            order_id: "ord_1",
            refund_type: "partial_refund",
            refund_minor: 70_356,
            to_coupons_minor: 0,
            to_balance_minor: 0,
            to_external_minor: 70_356,
            destination: "bank_card",
            status: "processing",
            expected_arrival_by: at("2026-07-10T23:59:59Z"),
        };
        let event = unsubscribed_event(
            &instance,
            "uns_1",
            ResourceKind::Regular,
            RefundType::PartialRefund,
            &["ord_1".to_string()],
            70_356,
        );
        assert_eq!(event.kind.as_str(), "instance.unsubscribed");
        assert_eq!(
            (event.account_id.as_str(), event.instance_id.as_deref()),
            ("acct_1", Some("inst_1"))
        );
        assert_eq!(
            event.data.as_str(),
            r#"{"cancelled_orders":["ord_1"],"data_deleted":true,"refund_minor":70356,"refund_type":"partial_refund","release":"now","resource_kind":"regular","unsubscription_id":"uns_1"}"#
        );
        let texts = NoticeTexts::builtin();
        let notice =
            unsubscribed_notice(&instance, "Message queue (MQTT)", &[refund], "USD", &texts);
        assert_eq!(
            (notice.channel, notice.kind, notice.instance_id.as_deref()),
            (
                Channel::Email,
                EventKind::InstanceUnsubscribed,
                Some("inst_1")
            )
        );
        assert_eq!(
            notice.subject,
            "Message queue (MQTT) inst_1 was unsubscribed"
        );
        assert_eq!(
            notice.body,
            "Your Message queue (MQTT) instance inst_1 was unsubscribed and released; its data \
             was deleted.\n\nRefund: 703.56 USD.\n\
             - 703.56 USD to bank card, expected by 2026-07-10 23:59 UTC"
        );
    }
}
