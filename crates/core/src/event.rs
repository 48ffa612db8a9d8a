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
    InstanceRenewed,
    InstanceRestored,
    ExpiryReminderSent,
    InstanceExpired,
    InstanceReleased,
    InstanceMovedToFreeTier,
    /// The customer unsubscribed an instance: it is released at once and its data deleted.
    InstanceUnsubscribed,
    /// A pending renewal order was unsubscribed alone; the expiry moved back.
    RenewalUnsubscribed,
    /// A refund was written: to the balance and coupons at once, to an outside method pending.
    RefundCreated,
    /// An outside refund arrived (the payment channel confirmed it).
    RefundCompleted,
    RenewalModeChanged,
    AutoRenewalFailed,
    InstanceUpgraded,
    InstanceDowngraded,
    ChangeApprovalRequested,
    ChangeApproved,
    ChangeRejected,
    ChangeCancelled,
    BillGenerated,
    BillPaid,
    AccountOverdue,
    AccountOverdueSettled,
    InstanceStopped,
    InstanceFrozen,
    InstanceTrialContinued,
    InstanceConvertedToSubscription,
    LowBalanceAlert,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::AccountCreated => "account.created",
            EventKind::FundsDeposited => "funds.deposited",
            EventKind::CouponGranted => "coupon.granted",
            EventKind::VoucherGranted => "voucher.granted",
            EventKind::InstancePurchased => "instance.purchased",
            EventKind::InstanceRenewed => "instance.renewed",
            EventKind::InstanceRestored => "instance.restored",
            EventKind::ExpiryReminderSent => "instance.expiry_reminder_sent",
            EventKind::InstanceExpired => "instance.expired",
            EventKind::InstanceReleased => "instance.released",
            EventKind::InstanceMovedToFreeTier => "instance.moved_to_free_tier",
            EventKind::InstanceUnsubscribed => "instance.unsubscribed",
            EventKind::RenewalUnsubscribed => "order.renewal_unsubscribed",
            EventKind::RefundCreated => "refund.created",
            EventKind::RefundCompleted => "refund.completed",
            EventKind::RenewalModeChanged => "instance.renewal_mode_changed",
            EventKind::AutoRenewalFailed => "instance.auto_renewal_failed",
            EventKind::InstanceUpgraded => "instance.upgraded",
            EventKind::InstanceDowngraded => "instance.downgraded",
            EventKind::ChangeApprovalRequested => "change.approval_requested",
            EventKind::ChangeApproved => "change.approved",
            EventKind::ChangeRejected => "change.rejected",
            EventKind::ChangeCancelled => "change.cancelled",
            EventKind::BillGenerated => "bill.generated",
            EventKind::BillPaid => "bill.paid",
            EventKind::AccountOverdue => "account.overdue",
            EventKind::AccountOverdueSettled => "account.overdue_settled",
            EventKind::InstanceStopped => "instance.stopped",
            EventKind::InstanceFrozen => "instance.frozen",
            EventKind::InstanceTrialContinued => "instance.trial_continued",
            EventKind::InstanceConvertedToSubscription => "instance.converted_to_subscription",
            EventKind::LowBalanceAlert => "account.low_balance",
        }
    }
}

/// An event a decision produced, before the shell stores it with an id and a time.
#[derive(Debug, Clone, PartialEq)]
pub struct EventDraft {
    pub kind: EventKind,
    pub account_id: String,
    pub instance_id: Option<String>,
    pub data: Value,
}

/// A notice a decision produced for a customer, on one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeDraft {
    pub account_id: String,
    pub instance_id: Option<String>,
    pub channel: Channel,
    /// The event kind that caused this notice, such as `instance.expiry_reminder_sent`.
    pub kind: EventKind,
    pub subject: String,
    pub body: String,
}
