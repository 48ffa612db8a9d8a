//! Overdue accounts.
//!
//! - An account is overdue from the moment a bill is generated that its available credit
//!   (balance + coupons) does not cover, until every unpaid bill is paid.
//! - While it is overdue, per instance kind: subscription instances keep running, but fee
//!   operations (purchase, upgrade, renewal) are refused; free instances are unaffected (and
//!   new free ones may still be created: they cost nothing); pay-as-you-go instances keep
//!   running `overdue_grace_hours`, then stop.
//! - Paying the debt restores stopped instances at once, in the payment's transaction (the
//!   reference allows up to 30 minutes; tenure has no reason to wait).

use jiff::Timestamp;
use serde_json::json;

use crate::catalog::{Billing, Channel, PayAsYouGoPolicy};
use crate::event::{EventDraft, EventKind, NoticeDraft};
use crate::money::format_minor;
use crate::notice::{NoticeText, NoticeTexts, Template};

/// Operations that incur fees, refused while the account is overdue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeeOperation {
    Purchase,
    Upgrade,
    Renewal,
}

impl FeeOperation {
    pub fn as_str(self) -> &'static str {
        match self {
            FeeOperation::Purchase => "purchase",
            FeeOperation::Upgrade => "upgrade",
            FeeOperation::Renewal => "renewal",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "the account has been overdue since {overdue_since}: {} is refused until its unpaid bills \
     ({debt_minor}) are paid; deposit funds to settle them",
    operation.as_str()
)]
pub struct OverdueRefusal {
    pub operation: FeeOperation,
    pub overdue_since: Timestamp,
    pub debt_minor: i64,
}

/// Whether a fee operation on something billed as `billing` may go ahead.
pub fn check_fee_operation(
    operation: FeeOperation,
    billing: Billing,
    overdue_since: Option<Timestamp>,
    debt_minor: i64,
) -> Result<(), OverdueRefusal> {
    match (billing, overdue_since) {
        // A free instance incurs no fee, so being overdue does not stop it.
        (Billing::Free, _) | (_, None) => Ok(()),
        (_, Some(overdue_since)) => Err(OverdueRefusal {
            operation,
            overdue_since,
            debt_minor,
        }),
    }
}

/// When a pay-as-you-go instance of an account overdue since `overdue_since` stops.
pub fn stop_at(overdue_since: Timestamp, policy: &PayAsYouGoPolicy) -> Timestamp {
    Timestamp::from_second(overdue_since.as_second() + policy.overdue_grace_hours * 3600)
        .expect("valid time")
}

fn account_notices(
    account_id: &str,
    kind: EventKind,
    channels: &[Channel],
    text: NoticeText,
) -> Vec<NoticeDraft> {
    channels
        .iter()
        .map(|&channel| NoticeDraft {
            recipient: None,
            account_id: account_id.to_string(),
            instance_id: None,
            channel,
            kind,
            subject: text.subject.clone(),
            body: text.body.clone(),
        })
        .collect()
}

/// The event and notices of an account becoming overdue: SMS and email, because services are
/// about to stop. `currency` is the account's; `texts` the catalog's notice texts.
pub fn became_overdue(
    account_id: &str,
    now: Timestamp,
    debt_minor: i64,
    available_minor: i64,
    currency: &str,
    texts: &NoticeTexts,
) -> (EventDraft, Vec<NoticeDraft>) {
    let event = EventDraft {
        kind: EventKind::AccountOverdue,
        account_id: account_id.to_string(),
        instance_id: None,
        data: json!({ "overdue_since": now.to_string(), "debt_minor": debt_minor,
                      "available_credit_minor": available_minor })
        .into(),
    };
    let text = texts.notice(
        Template::AccountOverdue,
        &[
            ("debt", &format_minor(debt_minor, currency)),
            ("available_credit", &format_minor(available_minor, currency)),
        ],
    );
    let notices = account_notices(
        account_id,
        EventKind::AccountOverdue,
        &[Channel::Sms, Channel::Email],
        text,
    );
    (event, notices)
}

/// The event and notice of an overdue account whose debt was paid.
pub fn overdue_settled(
    account_id: &str,
    overdue_since: Timestamp,
    paid_minor: i64,
    currency: &str,
    texts: &NoticeTexts,
) -> (EventDraft, Vec<NoticeDraft>) {
    let event = EventDraft {
        kind: EventKind::AccountOverdueSettled,
        account_id: account_id.to_string(),
        instance_id: None,
        data: json!({ "overdue_since": overdue_since.to_string(), "paid_minor": paid_minor })
            .into(),
    };
    let text = texts.notice(
        Template::AccountOverdueSettled,
        &[("paid", &format_minor(paid_minor, currency))],
    );
    let notices = account_notices(
        account_id,
        EventKind::AccountOverdueSettled,
        &[Channel::Email],
        text,
    );
    (event, notices)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_free_instances_escape_the_refusal() {
        let since: Timestamp = "2026-05-04T17:00:00Z".parse().unwrap();
        for billing in [Billing::Subscription, Billing::Payg] {
            let refusal =
                check_fee_operation(FeeOperation::Renewal, billing, Some(since), 129).unwrap_err();
            assert!(refusal.to_string().contains("renewal is refused"));
        }
        assert!(check_fee_operation(FeeOperation::Purchase, Billing::Free, Some(since), 1).is_ok());
        assert!(check_fee_operation(FeeOperation::Upgrade, Billing::Payg, None, 0).is_ok());
    }

    #[test]
    fn becoming_overdue_and_settling_tell_the_amounts_in_the_currency() {
        // docs/examples.md 10: a bill of 129 on an account holding nothing, paid the next day.
        let texts = crate::notice::NoticeTexts::builtin();
        let since: Timestamp = "2026-05-04T17:00:00Z".parse().unwrap();
        let (event, notices) = became_overdue("acct_1", since, 129, 0, "USD", &texts);
        assert_eq!(
            event.data.as_str(),
            r#"{"available_credit_minor":0,"debt_minor":129,"overdue_since":"2026-05-04T17:00:00Z"}"#
        );
        let channels: Vec<Channel> = notices.iter().map(|notice| notice.channel).collect();
        assert_eq!(channels, [Channel::Sms, Channel::Email]);
        assert_eq!(notices[1].subject, "Your account has an overdue payment");
        assert_eq!(
            notices[1].body,
            "A bill of your pay-as-you-go usage could not be paid: your available credit \
             (0.00 USD) is less than the amount due (1.29 USD).\n\nAdd funds now: pay-as-you-go \
             instances keep running for their grace period and then stop, and purchases, \
             upgrades and renewals are refused until the bills are paid."
        );
        let (_, notices) = overdue_settled("acct_1", since, 129, "USD", &texts);
        assert_eq!(notices.len(), 1);
        assert!(
            notices[0]
                .body
                .starts_with("Your unpaid bills (1.29 USD) are paid"),
            "{}",
            notices[0].body
        );
    }

    #[test]
    fn pay_as_you_go_stops_after_the_grace_hours() {
        let policy = PayAsYouGoPolicy {
            bill_delay_hours: 4,
            overdue_grace_hours: 24,
        };
        assert_eq!(
            stop_at("2026-05-04T17:00:00Z".parse().unwrap(), &policy),
            "2026-05-05T17:00:00Z".parse::<Timestamp>().unwrap()
        );
    }
}
