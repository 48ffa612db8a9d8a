//! The event log (what happened, in order) and the notices sent to customers.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Every kind of event tenure records, by the name the API uses (`instance.expired`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
pub enum EventKind {
    #[serde(rename = "account.created")]
    AccountCreated,
    #[serde(rename = "funds.deposited")]
    FundsDeposited,
    #[serde(rename = "coupon.granted")]
    CouponGranted,
    #[serde(rename = "voucher.granted")]
    VoucherGranted,
    #[serde(rename = "instance.purchased")]
    InstancePurchased,
    // A resource plan bought to take effect later took effect. (Plain comments on the
    // variants: the document lists the names as a plain enum.)
    #[serde(rename = "instance.activated")]
    InstanceActivated,
    #[serde(rename = "instance.renewed")]
    InstanceRenewed,
    #[serde(rename = "instance.restored")]
    InstanceRestored,
    #[serde(rename = "instance.expiry_reminder_sent")]
    ExpiryReminderSent,
    #[serde(rename = "instance.expired")]
    InstanceExpired,
    // An expired instance was warned of its coming release.
    #[serde(rename = "instance.release_warning_sent")]
    ReleaseWarningSent,
    #[serde(rename = "instance.released")]
    InstanceReleased,
    #[serde(rename = "instance.moved_to_free_tier")]
    InstanceMovedToFreeTier,
    // Released, but the move to the free tier failed for a locked domain.
    #[serde(rename = "instance.release_needs_manual_step")]
    InstanceReleaseNeedsManualStep,
    #[serde(rename = "instance.unsubscribed")]
    InstanceUnsubscribed,
    // A pending renewal order was unsubscribed alone; the expiry moved back.
    #[serde(rename = "order.renewal_unsubscribed")]
    RenewalUnsubscribed,
    #[serde(rename = "refund.created")]
    RefundCreated,
    #[serde(rename = "refund.completed")]
    RefundCompleted,
    // A refund to a card that the payment provider refused went to the balance instead.
    #[serde(rename = "refund.redirected")]
    RefundRedirected,
    #[serde(rename = "instance.renewal_mode_changed")]
    RenewalModeChanged,
    #[serde(rename = "instance.auto_renewal_failed")]
    AutoRenewalFailed,
    #[serde(rename = "instance.upgraded")]
    InstanceUpgraded,
    #[serde(rename = "instance.downgraded")]
    InstanceDowngraded,
    #[serde(rename = "instance.changed")]
    InstanceChanged,
    #[serde(rename = "change.approval_requested")]
    ChangeApprovalRequested,
    #[serde(rename = "change.approved")]
    ChangeApproved,
    #[serde(rename = "change.rejected")]
    ChangeRejected,
    #[serde(rename = "change.cancelled")]
    ChangeCancelled,
    #[serde(rename = "bill.generated")]
    BillGenerated,
    #[serde(rename = "bill.paid")]
    BillPaid,
    #[serde(rename = "bill.unpaid")]
    BillUnpaid,
    #[serde(rename = "account.overdue")]
    AccountOverdue,
    #[serde(rename = "account.overdue_settled")]
    AccountOverdueSettled,
    #[serde(rename = "account.frozen")]
    AccountFrozen,
    #[serde(rename = "account.unfrozen")]
    AccountUnfrozen,
    #[serde(rename = "instance.stopped")]
    InstanceStopped,
    #[serde(rename = "instance.frozen")]
    InstanceFrozen,
    #[serde(rename = "instance.trial_continued")]
    InstanceTrialContinued,
    #[serde(rename = "instance.converted_to_subscription")]
    InstanceConvertedToSubscription,
    #[serde(rename = "account.low_balance")]
    LowBalanceAlert,
    // A lifecycle step failed every attempt and waits for an operator.
    #[serde(rename = "lifecycle.step_parked")]
    StepParked,
    // A webhook endpoint failed every delivery for days in a row and was disabled.
    #[serde(rename = "webhook_endpoint.disabled")]
    WebhookEndpointDisabled,
    // A card was saved for the account at the payment provider.
    #[serde(rename = "card.saved")]
    CardSaved,
    // A saved card was removed.
    #[serde(rename = "card.removed")]
    CardRemoved,
    // A card was charged through the payment provider.
    #[serde(rename = "payment.succeeded")]
    PaymentSucceeded,
    // A charge through the payment provider failed: declined, or never made.
    #[serde(rename = "payment.failed")]
    PaymentFailed,
    // The customer disputed a card payment with their bank.
    #[serde(rename = "payment.disputed")]
    PaymentDisputed,
    // The account's billing profile (the buyer its invoices name) was set or replaced.
    #[serde(rename = "billing_profile.updated")]
    BillingProfileUpdated,
    #[serde(rename = "invoice.issued")]
    InvoiceIssued,
    #[serde(rename = "credit_note.issued")]
    CreditNoteIssued,
    // The operator reminded the account that its money will not pay its coming auto-renewals.
    #[serde(rename = "account.renewal_funds_reminder")]
    RenewalFundsReminder,
    // The customer named, renamed or tagged an instance.
    #[serde(rename = "instance.labelled")]
    InstanceLabelled,
}

same_variants!(
    EventKind,
    tenure_core::event::EventKind {
        AccountCreated,
        FundsDeposited,
        CouponGranted,
        VoucherGranted,
        InstancePurchased,
        InstanceActivated,
        InstanceRenewed,
        InstanceRestored,
        ExpiryReminderSent,
        InstanceExpired,
        ReleaseWarningSent,
        InstanceReleased,
        InstanceMovedToFreeTier,
        InstanceReleaseNeedsManualStep,
        InstanceUnsubscribed,
        RenewalUnsubscribed,
        RefundCreated,
        RefundCompleted,
        RefundRedirected,
        RenewalModeChanged,
        AutoRenewalFailed,
        InstanceUpgraded,
        InstanceDowngraded,
        InstanceChanged,
        ChangeApprovalRequested,
        ChangeApproved,
        ChangeRejected,
        ChangeCancelled,
        BillGenerated,
        BillPaid,
        BillUnpaid,
        AccountOverdue,
        AccountOverdueSettled,
        AccountFrozen,
        AccountUnfrozen,
        InstanceStopped,
        InstanceFrozen,
        InstanceTrialContinued,
        InstanceConvertedToSubscription,
        LowBalanceAlert,
        StepParked,
        WebhookEndpointDisabled,
        CardSaved,
        CardRemoved,
        PaymentSucceeded,
        PaymentFailed,
        PaymentDisputed,
        BillingProfileUpdated,
        InvoiceIssued,
        CreditNoteIssued,
        RenewalFundsReminder,
        InstanceLabelled,
    }
);

/// An event type's name (`instance.expired`), or `*` for every one: what a webhook endpoint
/// hears of.
pub struct EventTypeName;

impl schemars::JsonSchema for EventTypeName {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "EventTypeName".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let kinds = <EventKind as schemars::JsonSchema>::json_schema(generator);
        let mut names: Vec<serde_json::Value> = kinds
            .get("enum")
            .and_then(serde_json::Value::as_array)
            .cloned()
            .unwrap_or_default();
        names.push("*".into());
        schemars::json_schema!({ "type": "string", "enum": names })
    }
}

/// `?account=&instance=&kind=&limit=&after=&order=` of the event log and the notices.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogQuery {
    pub account: Option<String>,
    pub instance: Option<String>,
    #[schemars(with = "Option<EventKind>")]
    pub kind: Option<String>,
    /// Items per page, 1 to 1000 (default 100).
    #[schemars(range(min = 1, max = 1000))]
    #[serde(default, deserialize_with = "crate::whole_number::query")]
    pub limit: Option<i64>,
    /// The `seq` of the last item of the page before: the list goes on past it.
    #[schemars(range(min = 0))]
    #[serde(default, deserialize_with = "crate::whole_number::query")]
    pub after: Option<i64>,
    /// `oldest` first (the default) or `newest` first.
    pub order: Option<LogOrder>,
}

/// The order of the event log and the notices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LogOrder {
    Oldest,
    Newest,
}

/// Something that happened, in the order it happened (`seq`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Event {
    pub seq: i64,
    pub id: String,
    pub at: Timestamp,
    pub account_id: String,
    pub instance_id: Option<String>,
    #[schemars(with = "EventKind")]
    pub kind: String,
    pub data: serde_json::Value,
    /// Who it was done for: `operator` (the operator's key or console), `owner` (the account's
    /// owner key), a user's id (`usr_…`), `system` (tenure itself: the lifecycle, a payment
    /// provider's webhook) or `unrecorded` (written before events named their actor).
    pub actor: String,
}

/// A notice sent (or being sent) to a customer about an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Notice {
    pub seq: i64,
    pub id: String,
    /// The `seq` of the event the notice was sent for (same account, instance, kind and time).
    pub event_seq: i64,
    pub at: Timestamp,
    pub account_id: String,
    pub instance_id: Option<String>,
    pub channel: String,
    pub kind: String,
    /// The mobile number or email address the notice went to.
    pub recipient: String,
    pub subject: String,
    pub body: String,
    /// `pending` until its delivery is sent (`sent`) or given up (`failed`); `undeliverable`
    /// when no delivery could carry it (`status_reason` says why).
    pub status: String,
    pub status_reason: Option<String>,
}

#[cfg(feature = "domain")]
mod from_domain {
    use super::*;

    impl From<tenure_store::events::StoredEvent> for Event {
        fn from(event: tenure_store::events::StoredEvent) -> Event {
            Event {
                seq: event.seq,
                id: event.id,
                at: event.at,
                account_id: event.account_id,
                instance_id: event.instance_id,
                kind: event.kind,
                data: event.data,
                actor: event.actor,
            }
        }
    }

    impl From<tenure_store::events::StoredNotice> for Notice {
        fn from(notice: tenure_store::events::StoredNotice) -> Notice {
            Notice {
                seq: notice.seq,
                id: notice.id,
                event_seq: notice.event_seq,
                at: notice.at,
                account_id: notice.account_id,
                instance_id: notice.instance_id,
                channel: notice.channel,
                kind: notice.kind,
                recipient: notice.recipient,
                subject: notice.subject,
                body: notice.body,
                status: notice.status,
                status_reason: notice.status_reason,
            }
        }
    }
}

#[cfg(all(test, feature = "domain"))]
mod tests {
    use super::*;

    #[test]
    fn every_event_kind_is_written_as_the_core_names_it() {
        for kind in tenure_core::event::EventKind::ALL {
            let shown = serde_json::to_value(EventKind::from(kind)).unwrap();
            assert_eq!(shown, kind.as_str());
        }
    }
}
