//! The low-balance alert: the account sets a threshold, and when its available
//! credit (balance + coupons, what pays bills) falls below it, one SMS goes out.
//!
//! "Falls below" is a transition: the alert is sent when money is spent (a bill or an order
//! paid) and leaves the credit under the threshold, once; it is re-armed only when the credit
//! is back at or above the threshold. So a run of hourly bills sends one SMS, not one per bill,
//! and a deposit that still leaves the credit under the threshold sends nothing.

use crate::catalog::Channel;
use crate::event::{EventDraft, EventKind, NoticeDraft};
use crate::money::format_minor;
use crate::notice::{NoticeTexts, Template};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LowBalanceDecision {
    /// Send the alert and remember it was sent.
    Alert,
    /// The credit is back above the threshold: the next fall alerts again.
    Rearm,
    Nothing,
}

/// Whether the credit is under the threshold: the state the alert announces, which the
/// account's view and the operator's list of accounts show (and the list filters by, in SQL:
/// `tenure_store::accounts::search` says the same). No threshold, never low.
pub fn is_low(threshold_minor: Option<i64>, credit_minor: i64) -> bool {
    threshold_minor.is_some_and(|threshold_minor| credit_minor < threshold_minor)
}

/// What to do after a movement of money. `spent` is true when money left the account.
pub fn decide(
    threshold_minor: Option<i64>,
    alerted: bool,
    credit_minor: i64,
    spent: bool,
) -> LowBalanceDecision {
    let Some(threshold_minor) = threshold_minor else {
        return LowBalanceDecision::Nothing;
    };
    match (is_low(Some(threshold_minor), credit_minor), alerted) {
        (true, false) if spent => LowBalanceDecision::Alert,
        (false, true) => LowBalanceDecision::Rearm,
        _ => LowBalanceDecision::Nothing,
    }
}

/// The alert's event and SMS; `currency` is the account's, `texts` the catalog's notice texts.
pub fn alert(
    account_id: &str,
    threshold_minor: i64,
    credit_minor: i64,
    currency: &str,
    texts: &NoticeTexts,
) -> (EventDraft, NoticeDraft) {
    let event = EventDraft {
        kind: EventKind::LowBalanceAlert,
        account_id: account_id.to_string(),
        instance_id: None,
        data: serde_json::json!({ "threshold_minor": threshold_minor,
                                  "available_credit_minor": credit_minor })
        .into(),
    };
    let text = texts.notice(
        Template::LowBalance,
        &[
            ("available_credit", &format_minor(credit_minor, currency)),
            ("threshold", &format_minor(threshold_minor, currency)),
        ],
    );
    let notice = NoticeDraft {
        recipient: None,
        account_id: account_id.to_string(),
        instance_id: None,
        channel: Channel::Sms,
        kind: EventKind::LowBalanceAlert,
        subject: text.subject,
        body: text.body,
    };
    (event, notice)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_alert_is_one_sms_with_the_credit_and_the_threshold() {
        let texts = crate::notice::NoticeTexts::builtin();
        let (event, notice) = alert("acct_1", 1000, 871, "EUR", &texts);
        assert_eq!(
            event.data.as_str(),
            r#"{"available_credit_minor":871,"threshold_minor":1000}"#
        );
        assert_eq!((notice.channel, notice.instance_id), (Channel::Sms, None));
        assert_eq!(
            notice.body,
            "Your available credit is 8.71 EUR, below your alert threshold of 10.00 EUR. Add \
             funds to keep pay-as-you-go services running."
        );
    }

    #[test]
    fn alerts_once_per_fall_and_rearms_above_the_threshold() {
        use LowBalanceDecision::*;
        assert_eq!(decide(None, false, 0, true), Nothing);
        assert_eq!(decide(Some(1000), false, 999, true), Alert);
        assert_eq!(
            decide(Some(1000), true, 900, true),
            Nothing,
            "one SMS per fall"
        );
        assert_eq!(
            decide(Some(1000), false, 500, false),
            Nothing,
            "a deposit is no fall"
        );
        assert_eq!(decide(Some(1000), true, 1000, false), Rearm);
        assert_eq!(decide(Some(1000), false, 1000, true), Nothing);
    }
}
