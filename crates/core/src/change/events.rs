//! What a change and its approval announce: the change applied (`instance.upgraded` or
//! `instance.downgraded`, and `instance.changed`, which any move of an instance's
//! configuration in effect announces), an approval asked for, granted, refused or withdrawn.

use serde::Serialize;
use serde_json::json;

use super::pricing::ChangeQuote;
use crate::event::{EventDraft, EventKind};
use crate::lifecycle::Instance;
use crate::proration::ChangeDirection;
use crate::refund_destination::RefundDestination;

/// An edition and spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Configuration {
    pub edition_id: String,
    pub spec_id: String,
}

/// How a pending change ends without being applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClosedApproval {
    /// The operator refused it.
    Rejected,
    /// The customer withdrew it.
    Cancelled,
}

impl ClosedApproval {
    pub fn as_str(self) -> &'static str {
        match self {
            ClosedApproval::Rejected => "rejected",
            ClosedApproval::Cancelled => "cancelled",
        }
    }
}

/// Announces a change applied to `instance` (as it was before) from `from` to `to`:
/// `instance.upgraded` or `instance.downgraded`, with its totals, where a refund goes and the
/// change orders written, one per paid period in time order; then `instance.changed`, the
/// configuration in effect, naming the first of them (the period running now).
pub fn changed_events(
    instance: &Instance,
    direction: ChangeDirection,
    from: &Configuration,
    to: &Configuration,
    quote: &ChangeQuote,
    refund_destination: Option<RefundDestination>,
    order_ids: &[&str],
) -> [EventDraft; 2] {
    let changed = configuration_changed_event(
        instance,
        ChangeCause::from(direction),
        from,
        to,
        order_ids.first().copied(),
    );
    let applied = EventDraft {
        kind: match direction {
            ChangeDirection::Upgrade => EventKind::InstanceUpgraded,
            ChangeDirection::Downgrade => EventKind::InstanceDowngraded,
        },
        account_id: instance.account_id.clone(),
        instance_id: Some(instance.id.clone()),
        data: json!({
            "from": from,
            "to": to,
            "charge_minor": quote.charge_minor,
            "refund_minor": quote.refund_minor,
            "voucher_share_kept_minor": quote.voucher_share_kept_minor,
            "refund_destination": refund_destination,
            "order_ids": order_ids,
        })
        .into(),
    };
    [applied, changed]
}

/// What changed an instance's configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeCause {
    Upgrade,
    Downgrade,
    /// A free instance bought as a subscription of another edition.
    ConversionToSubscription,
}

impl ChangeCause {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeCause::Upgrade => "upgrade",
            ChangeCause::Downgrade => "downgrade",
            ChangeCause::ConversionToSubscription => "conversion_to_subscription",
        }
    }
}

impl From<ChangeDirection> for ChangeCause {
    fn from(direction: ChangeDirection) -> Self {
        match direction {
            ChangeDirection::Upgrade => ChangeCause::Upgrade,
            ChangeDirection::Downgrade => ChangeCause::Downgrade,
        }
    }
}

/// Announces that `instance`'s configuration in effect moved from `from` to `to`
/// (`instance.changed`), whatever moved it: one event for an operator's systems that follow
/// what each instance runs as, beside the event that says why. `order_id` is the order that
/// paid for it, if any.
pub fn configuration_changed_event(
    instance: &Instance,
    cause: ChangeCause,
    from: &Configuration,
    to: &Configuration,
    order_id: Option<&str>,
) -> EventDraft {
    EventDraft {
        kind: EventKind::InstanceChanged,
        account_id: instance.account_id.clone(),
        instance_id: Some(instance.id.clone()),
        data: json!({
            "cause": cause.as_str(),
            "from": from,
            "to": to,
            "order_id": order_id,
        })
        .into(),
    }
}

/// Announces a change that waits for the operator (`change.approval_requested`), with the
/// charge quoted now (it is priced again at approval).
pub fn approval_requested_event(
    instance: &Instance,
    approval_id: &str,
    from: &Configuration,
    to: &Configuration,
    quoted_charge_minor: i64,
) -> EventDraft {
    EventDraft {
        kind: EventKind::ChangeApprovalRequested,
        account_id: instance.account_id.clone(),
        instance_id: Some(instance.id.clone()),
        data: json!({
            "approval_id": approval_id,
            "from": from,
            "to": to,
            "quoted_charge_minor": quoted_charge_minor,
        })
        .into(),
    }
}

/// Announces the operator's approval of a pending change (`change.approved`), with its reason.
pub fn approved_event(
    account_id: &str,
    instance_id: &str,
    approval_id: &str,
    reason: Option<&str>,
) -> EventDraft {
    EventDraft {
        kind: EventKind::ChangeApproved,
        account_id: account_id.to_string(),
        instance_id: Some(instance_id.to_string()),
        data: json!({ "approval_id": approval_id, "reason": reason }).into(),
    }
}

/// Announces a pending change that ends unapplied (`change.rejected` or `change.cancelled`),
/// with its reason.
pub fn approval_closed_event(
    account_id: &str,
    instance_id: &str,
    approval_id: &str,
    closed: ClosedApproval,
    reason: Option<&str>,
) -> EventDraft {
    EventDraft {
        kind: match closed {
            ClosedApproval::Rejected => EventKind::ChangeRejected,
            ClosedApproval::Cancelled => EventKind::ChangeCancelled,
        },
        account_id: account_id.to_string(),
        instance_id: Some(instance_id.to_string()),
        data: json!({ "approval_id": approval_id, "reason": reason }).into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn configuration(edition_id: &str, spec_id: &str) -> Configuration {
        Configuration {
            edition_id: edition_id.into(),
            spec_id: spec_id.into(),
        }
    }

    fn instance() -> Instance {
        crate::lifecycle::subscription_for_tests(
            "inst_1",
            "acct_1",
            ("message-queue", "basic", "tps-5000"),
            "2026-05-01T00:00:00Z".parse().unwrap(),
        )
    }

    #[test]
    fn a_downgrade_announces_its_refund_and_the_voucher_share_kept() {
        // Server tests/api/changes.rs `vouchers_are_never_refunded`: tps-5000 down to tps-1000
        // on 04-11; 10000 of cash back to the balance, 2000 of voucher value kept.
        let quote = ChangeQuote {
            direction: ChangeDirection::Downgrade,
            periods: Vec::new(),
            charge_minor: 0,
            refund_minor: 10_000,
            voucher_share_kept_minor: 2_000,
        };
        let [event, changed] = changed_events(
            &instance(),
            ChangeDirection::Downgrade,
            &configuration("basic", "tps-5000"),
            &configuration("basic", "tps-1000"),
            &quote,
            Some(RefundDestination::Balance),
            &["ord_2", "ord_3"],
        );
        assert_eq!(event.kind.as_str(), "instance.downgraded");
        assert_eq!(
            (event.account_id.as_str(), event.instance_id.as_deref()),
            ("acct_1", Some("inst_1"))
        );
        assert_eq!(
            event.data.as_str(),
            r#"{"charge_minor":0,"from":{"edition_id":"basic","spec_id":"tps-5000"},"order_ids":["ord_2","ord_3"],"refund_destination":"balance","refund_minor":10000,"to":{"edition_id":"basic","spec_id":"tps-1000"},"voucher_share_kept_minor":2000}"#
        );
        // Beside it, the configuration in effect, with the current period's change order.
        assert_eq!(changed.kind.as_str(), "instance.changed");
        assert_eq!(
            (changed.account_id.as_str(), changed.instance_id.as_deref()),
            ("acct_1", Some("inst_1"))
        );
        assert_eq!(
            changed.data.as_str(),
            r#"{"cause":"downgrade","from":{"edition_id":"basic","spec_id":"tps-5000"},"order_id":"ord_2","to":{"edition_id":"basic","spec_id":"tps-1000"}}"#
        );
        let upgrade = ChangeQuote {
            direction: ChangeDirection::Upgrade,
            charge_minor: 12_000,
            refund_minor: 0,
            voucher_share_kept_minor: 0,
            ..quote
        };
        let [event, changed] = changed_events(
            &instance(),
            ChangeDirection::Upgrade,
            &configuration("basic", "tps-1000"),
            &configuration("basic", "tps-5000"),
            &upgrade,
            None,
            &["ord_2"],
        );
        assert_eq!(event.kind.as_str(), "instance.upgraded");
        assert_eq!(
            event.data.as_str(),
            r#"{"charge_minor":12000,"from":{"edition_id":"basic","spec_id":"tps-1000"},"order_ids":["ord_2"],"refund_destination":null,"refund_minor":0,"to":{"edition_id":"basic","spec_id":"tps-5000"},"voucher_share_kept_minor":0}"#
        );
        assert_eq!(
            changed.data.as_str(),
            r#"{"cause":"upgrade","from":{"edition_id":"basic","spec_id":"tps-1000"},"order_id":"ord_2","to":{"edition_id":"basic","spec_id":"tps-5000"}}"#
        );
    }

    #[test]
    fn an_approval_announces_its_request_and_how_it_ends() {
        // Server tests/api/changes.rs: an enterprise-platinum upgrade waits for the operator.
        let requested = approval_requested_event(
            &instance(),
            "apr_1",
            &configuration("enterprise-platinum", "tps-100000"),
            &configuration("enterprise-platinum", "tps-500000"),
            800_000,
        );
        assert_eq!(requested.kind.as_str(), "change.approval_requested");
        assert_eq!(
            requested.data.as_str(),
            r#"{"approval_id":"apr_1","from":{"edition_id":"enterprise-platinum","spec_id":"tps-100000"},"quoted_charge_minor":800000,"to":{"edition_id":"enterprise-platinum","spec_id":"tps-500000"}}"#
        );
        let approved = approved_event("acct_1", "inst_1", "apr_1", None);
        assert_eq!(approved.kind.as_str(), "change.approved");
        assert_eq!(
            approved.data.as_str(),
            r#"{"approval_id":"apr_1","reason":null}"#
        );
        let rejected = approval_closed_event(
            "acct_1",
            "inst_1",
            "apr_1",
            ClosedApproval::Rejected,
            Some("no capacity in us-east-1"),
        );
        assert_eq!(rejected.kind.as_str(), "change.rejected");
        assert_eq!(
            rejected.data.as_str(),
            r#"{"approval_id":"apr_1","reason":"no capacity in us-east-1"}"#
        );
        let withdrawn = approval_closed_event(
            "acct_1",
            "inst_1",
            "apr_1",
            ClosedApproval::Cancelled,
            Some("the instance was unsubscribed"),
        );
        assert_eq!(withdrawn.kind.as_str(), "change.cancelled");
        assert_eq!(
            (
                withdrawn.account_id.as_str(),
                withdrawn.instance_id.as_deref()
            ),
            ("acct_1", Some("inst_1"))
        );
        assert_eq!(
            withdrawn.data.as_str(),
            r#"{"approval_id":"apr_1","reason":"the instance was unsubscribed"}"#
        );
    }
}
