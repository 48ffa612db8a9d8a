//! Events (what happened, stored in order, the audit log) and notices (what a customer is told).

use serde::Serialize;
use serde_json::Value;

use crate::catalog::Channel;

/// Every kind of event tenure records. The string form is part of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum EventKind {
    AccountCreated,
    FundsDeposited,
    CouponGranted,
    VoucherGranted,
    InstancePurchased,
    /// A resource plan bought to take effect later took effect.
    InstanceActivated,
    InstanceRenewed,
    InstanceRestored,
    ExpiryReminderSent,
    InstanceExpired,
    /// An expired instance was warned of its coming release.
    ReleaseWarningSent,
    InstanceReleased,
    InstanceMovedToFreeTier,
    /// Released, but the move to the free tier failed for a locked domain: a manual step is
    /// needed.
    InstanceReleaseNeedsManualStep,
    /// The customer unsubscribed an instance: it is released at once and its data deleted.
    InstanceUnsubscribed,
    /// A pending renewal order was unsubscribed alone; the expiry moved back.
    RenewalUnsubscribed,
    /// A refund was written: to the balance and coupons at once, to an outside method pending.
    RefundCreated,
    /// An outside refund arrived (the payment channel confirmed it).
    RefundCompleted,
    /// A refund to a card that the payment provider refused went to the balance instead.
    RefundRedirected,
    RenewalModeChanged,
    AutoRenewalFailed,
    InstanceUpgraded,
    InstanceDowngraded,
    /// An instance's edition or spec changed in effect: beside `instance.upgraded` or
    /// `instance.downgraded` (at once or after an approval), and when a free instance is bought
    /// as a subscription of another edition.
    InstanceChanged,
    ChangeApprovalRequested,
    ChangeApproved,
    ChangeRejected,
    ChangeCancelled,
    BillGenerated,
    BillPaid,
    /// A bill was generated and its settlement left it unpaid (bills are paid in full or not
    /// at all): it is the account's debt.
    BillUnpaid,
    AccountOverdue,
    AccountOverdueSettled,
    /// The account's ledger failed a check: its writes are stopped.
    AccountFrozen,
    /// An operator let a frozen account write again, its ledger checked.
    AccountUnfrozen,
    InstanceStopped,
    InstanceFrozen,
    InstanceTrialContinued,
    InstanceConvertedToSubscription,
    LowBalanceAlert,
    /// A lifecycle step failed every attempt and waits for an operator (`GET /v1/stuck-steps`).
    StepParked,
    /// A webhook endpoint failed every delivery for days in a row and was disabled.
    WebhookEndpointDisabled,
    /// A card was saved for the account at the payment provider.
    CardSaved,
    /// A saved card was removed.
    CardRemoved,
    /// Money moved through the payment provider: a card charged.
    PaymentSucceeded,
    /// A charge through the payment provider failed: declined, or never made.
    PaymentFailed,
    /// The customer disputed a card payment with their bank.
    PaymentDisputed,
    /// The account's billing profile (the buyer its invoices name) was set or replaced.
    BillingProfileUpdated,
    /// An invoice was issued for a paid order.
    InvoiceIssued,
    /// A credit note was issued for a refund, correcting an invoice.
    CreditNoteIssued,
    /// The operator reminded the account that its money will not pay its coming
    /// auto-renewals (the fleet forecast's reminder).
    RenewalFundsReminder,
    /// The customer named, renamed or tagged an instance (`PATCH /v1/instances/{id}`).
    InstanceLabelled,
}

impl EventKind {
    /// Every kind, in declaration order.
    pub const ALL: [EventKind; 52] = [
        EventKind::AccountCreated,
        EventKind::FundsDeposited,
        EventKind::CouponGranted,
        EventKind::VoucherGranted,
        EventKind::InstancePurchased,
        EventKind::InstanceActivated,
        EventKind::InstanceRenewed,
        EventKind::InstanceRestored,
        EventKind::ExpiryReminderSent,
        EventKind::InstanceExpired,
        EventKind::ReleaseWarningSent,
        EventKind::InstanceReleased,
        EventKind::InstanceMovedToFreeTier,
        EventKind::InstanceReleaseNeedsManualStep,
        EventKind::InstanceUnsubscribed,
        EventKind::RenewalUnsubscribed,
        EventKind::RefundCreated,
        EventKind::RefundCompleted,
        EventKind::RefundRedirected,
        EventKind::RenewalModeChanged,
        EventKind::AutoRenewalFailed,
        EventKind::InstanceUpgraded,
        EventKind::InstanceDowngraded,
        EventKind::InstanceChanged,
        EventKind::ChangeApprovalRequested,
        EventKind::ChangeApproved,
        EventKind::ChangeRejected,
        EventKind::ChangeCancelled,
        EventKind::BillGenerated,
        EventKind::BillPaid,
        EventKind::BillUnpaid,
        EventKind::AccountOverdue,
        EventKind::AccountOverdueSettled,
        EventKind::AccountFrozen,
        EventKind::AccountUnfrozen,
        EventKind::InstanceStopped,
        EventKind::InstanceFrozen,
        EventKind::InstanceTrialContinued,
        EventKind::InstanceConvertedToSubscription,
        EventKind::LowBalanceAlert,
        EventKind::StepParked,
        EventKind::WebhookEndpointDisabled,
        EventKind::CardSaved,
        EventKind::CardRemoved,
        EventKind::PaymentSucceeded,
        EventKind::PaymentFailed,
        EventKind::PaymentDisputed,
        EventKind::BillingProfileUpdated,
        EventKind::InvoiceIssued,
        EventKind::CreditNoteIssued,
        EventKind::RenewalFundsReminder,
        EventKind::InstanceLabelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::AccountCreated => "account.created",
            EventKind::FundsDeposited => "funds.deposited",
            EventKind::CouponGranted => "coupon.granted",
            EventKind::VoucherGranted => "voucher.granted",
            EventKind::InstancePurchased => "instance.purchased",
            EventKind::InstanceActivated => "instance.activated",
            EventKind::InstanceRenewed => "instance.renewed",
            EventKind::InstanceRestored => "instance.restored",
            EventKind::ExpiryReminderSent => "instance.expiry_reminder_sent",
            EventKind::InstanceExpired => "instance.expired",
            EventKind::ReleaseWarningSent => "instance.release_warning_sent",
            EventKind::InstanceReleased => "instance.released",
            EventKind::InstanceMovedToFreeTier => "instance.moved_to_free_tier",
            EventKind::InstanceReleaseNeedsManualStep => "instance.release_needs_manual_step",
            EventKind::InstanceUnsubscribed => "instance.unsubscribed",
            EventKind::RenewalUnsubscribed => "order.renewal_unsubscribed",
            EventKind::RefundCreated => "refund.created",
            EventKind::RefundCompleted => "refund.completed",
            EventKind::RefundRedirected => "refund.redirected",
            EventKind::RenewalModeChanged => "instance.renewal_mode_changed",
            EventKind::AutoRenewalFailed => "instance.auto_renewal_failed",
            EventKind::InstanceUpgraded => "instance.upgraded",
            EventKind::InstanceDowngraded => "instance.downgraded",
            EventKind::InstanceChanged => "instance.changed",
            EventKind::ChangeApprovalRequested => "change.approval_requested",
            EventKind::ChangeApproved => "change.approved",
            EventKind::ChangeRejected => "change.rejected",
            EventKind::ChangeCancelled => "change.cancelled",
            EventKind::BillGenerated => "bill.generated",
            EventKind::BillPaid => "bill.paid",
            EventKind::BillUnpaid => "bill.unpaid",
            EventKind::AccountOverdue => "account.overdue",
            EventKind::AccountOverdueSettled => "account.overdue_settled",
            EventKind::AccountFrozen => "account.frozen",
            EventKind::AccountUnfrozen => "account.unfrozen",
            EventKind::InstanceStopped => "instance.stopped",
            EventKind::InstanceFrozen => "instance.frozen",
            EventKind::InstanceTrialContinued => "instance.trial_continued",
            EventKind::InstanceConvertedToSubscription => "instance.converted_to_subscription",
            EventKind::LowBalanceAlert => "account.low_balance",
            EventKind::StepParked => "lifecycle.step_parked",
            EventKind::WebhookEndpointDisabled => "webhook_endpoint.disabled",
            EventKind::CardSaved => "card.saved",
            EventKind::CardRemoved => "card.removed",
            EventKind::PaymentSucceeded => "payment.succeeded",
            EventKind::PaymentFailed => "payment.failed",
            EventKind::PaymentDisputed => "payment.disputed",
            EventKind::BillingProfileUpdated => "billing_profile.updated",
            EventKind::InvoiceIssued => "invoice.issued",
            EventKind::CreditNoteIssued => "credit_note.issued",
            EventKind::RenewalFundsReminder => "account.renewal_funds_reminder",
            EventKind::InstanceLabelled => "instance.labelled",
        }
    }
}

impl std::str::FromStr for EventKind {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        EventKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
            .ok_or_else(|| {
                format!("`{text}` is not an event kind (such as instance.expired or bill.paid)")
            })
    }
}

/// An event a decision produced, before the shell stores it with an id and a time.
#[derive(Debug, Clone, PartialEq)]
pub struct EventDraft {
    pub kind: EventKind,
    pub account_id: String,
    pub instance_id: Option<String>,
    pub data: EventData,
}

/// An event's data: a JSON object, held as the text it is stored as. The decisions a sweep
/// makes by the thousand (renewals, failed attempts, reminders, expiries, releases) and
/// purchases, which HTTP clients make by the thousand, write it straight into text with
/// [`EventData::object`]; the others build a `Value` with `json!` and convert it (`.into()`). Building a map of values for every event, writing it out and
/// dropping it was about 5% of a simulated year's instructions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventData(String);

impl EventData {
    /// Starts an object. Its keys must come in ascending order, as serde_json writes a map's,
    /// so that both ways give the same text.
    pub fn object() -> DataObject {
        DataObject {
            text: String::with_capacity(192),
            last_key: None,
        }
    }

    /// The JSON text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The data as a JSON value.
    pub fn to_value(&self) -> Value {
        serde_json::from_str(&self.0).expect("event data is JSON")
    }
}

impl From<Value> for EventData {
    fn from(value: Value) -> Self {
        EventData(serde_json::to_string(&value).expect("JSON values serialise"))
    }
}

/// A JSON object being written, member by member (see [`EventData::object`]).
#[derive(Debug)]
pub struct DataObject {
    text: String,
    last_key: Option<&'static str>,
}

impl DataObject {
    fn key(&mut self, key: &'static str) {
        debug_assert!(
            self.last_key.is_none_or(|last| last < key),
            "data keys in ascending order: {key} after {:?}",
            self.last_key
        );
        debug_assert!(
            key.bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_'),
            "a data key needs no escaping: {key}"
        );
        self.text.push_str(if self.last_key.is_none() {
            "{\""
        } else {
            ",\""
        });
        self.text.push_str(key);
        self.text.push_str("\":");
        self.last_key = Some(key);
    }

    pub fn text(mut self, key: &'static str, value: &str) -> Self {
        self.key(key);
        push_json_string(&mut self.text, value);
        self
    }

    /// A text, or `null`.
    pub fn optional_text(self, key: &'static str, value: Option<&str>) -> Self {
        match value {
            Some(text) => self.text(key, text),
            None => self.null(key),
        }
    }

    fn null(mut self, key: &'static str) -> Self {
        self.key(key);
        self.text.push_str("null");
        self
    }

    pub fn integer(mut self, key: &'static str, value: i64) -> Self {
        use std::fmt::Write;
        self.key(key);
        write!(self.text, "{value}").expect("writing to a String succeeds");
        self
    }

    /// A time as its RFC 3339 text (`Timestamp`'s display, which needs no escaping).
    pub fn time(mut self, key: &'static str, value: jiff::Timestamp) -> Self {
        use std::fmt::Write;
        self.key(key);
        write!(self.text, "\"{value}\"").expect("writing to a String succeeds");
        self
    }

    /// A time, or `null`.
    pub fn optional_time(self, key: &'static str, value: Option<jiff::Timestamp>) -> Self {
        match value {
            Some(time) => self.time(key, time),
            None => self.null(key),
        }
    }

    pub fn finish(mut self) -> EventData {
        if self.last_key.is_none() {
            self.text.push('{');
        }
        self.text.push('}');
        EventData(self.text)
    }
}

/// Appends `value` as a JSON string: quoted, with the characters JSON requires escaped.
fn push_json_string(text: &mut String, value: &str) {
    text.push('"');
    for character in value.chars() {
        match character {
            '"' => text.push_str("\\\""),
            '\\' => text.push_str("\\\\"),
            '\n' => text.push_str("\\n"),
            '\r' => text.push_str("\\r"),
            '\t' => text.push_str("\\t"),
            '\u{8}' => text.push_str("\\b"),
            '\u{c}' => text.push_str("\\f"),
            control if u32::from(control) < 0x20 => {
                use std::fmt::Write;
                write!(text, "\\u{:04x}", u32::from(control))
                    .expect("writing to a String succeeds");
            }
            other => text.push(other),
        }
    }
    text.push('"');
}

/// A notice a decision produced for a customer, on one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeDraft {
    pub account_id: String,
    pub instance_id: Option<String>,
    pub channel: Channel,
    /// Where it goes when not to the account's own address for the channel: an invoice's
    /// email to the billing profile's invoice address.
    pub recipient: Option<String>,
    /// The event kind that caused this notice, such as `instance.expiry_reminder_sent`.
    pub kind: EventKind,
    pub subject: String,
    pub body: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_event_kind_reads_back_from_its_text_and_no_two_share_one() {
        let mut texts = std::collections::HashSet::new();
        for kind in EventKind::ALL {
            assert_eq!(kind.as_str().parse::<EventKind>(), Ok(kind));
            assert!(texts.insert(kind.as_str()), "{} twice", kind.as_str());
        }
        assert!("instance.sleeping".parse::<EventKind>().is_err());
    }

    #[test]
    fn every_event_kind_is_documented() {
        // docs/events.md is what an operator's systems are written against.
        let documented = include_str!("../../../docs/events.md");
        let missing: Vec<&str> = EventKind::ALL
            .iter()
            .map(|kind| kind.as_str())
            .filter(|kind| !documented.contains(&format!("`{kind}`")))
            .collect();
        assert!(missing.is_empty(), "docs/events.md misses {missing:?}");
    }

    #[test]
    fn written_data_is_the_text_serde_json_writes_for_the_same_object() {
        let expires_at: jiff::Timestamp = "2026-10-02T00:00:00Z".parse().unwrap();
        let awkward = "quote \" backslash \\ newline \n tab \t bell \u{7} unit \u{1f} é 日本";
        let written = EventData::object()
            .integer("attempt_offset_days", -9)
            .time("expires_at", expires_at)
            .optional_time("next_attempt_at", None)
            .optional_text("order_id", Some("ord_1"))
            .optional_text("previous_order_id", None)
            .text("reason", awkward)
            .finish();
        let built: EventData = json!({
            "order_id": "ord_1",
            "previous_order_id": null,
            "reason": awkward,
            "attempt_offset_days": -9,
            "expires_at": expires_at.to_string(),
            "next_attempt_at": null,
        })
        .into();
        assert_eq!(written, built);
        assert_eq!(written.to_value()["reason"], awkward);
        assert_eq!(EventData::object().finish(), EventData::from(json!({})));
    }
}
