//! A card payment the customer disputed with their bank: the `payment.disputed` event on the
//! account, and a notice for the operator, who answers disputes at the payment provider.
//!
//! The notice goes to the operator's own address (`tenure serve --operator-email`), never to
//! the customer: it is recorded as the operator's, of no account (its `account_id` is empty,
//! as the events of the operator's webhook endpoints are), so that an account's listing of its
//! notices, which goes through the account's events, leaves it out. Without an operator
//! address the dispute is the event alone.

use serde_json::json;

use crate::catalog::Channel;
use crate::event::{EventDraft, EventKind, NoticeDraft};
use crate::money::format_minor;
use crate::notice::{NoticeTexts, Template};

/// A dispute as the provider told it, with the account and tenure payment it concerns.
#[derive(Debug, Clone, Copy)]
pub struct Disputed<'a> {
    pub account_id: &'a str,
    pub account_name: &'a str,
    /// The account's currency, which the charge was made in.
    pub currency: &'a str,
    /// tenure's payment disputed.
    pub payment_id: &'a str,
    /// The provider's id of the charge (a PaymentIntent's, `pi_…`).
    pub provider_id: &'a str,
    pub amount_minor: i64,
    /// The provider's reason, such as `fraudulent`.
    pub reason: &'a str,
}

/// The event, and the operator's notice when the operator gave an address for notices.
pub fn payment_disputed(
    dispute: &Disputed,
    operator_email: Option<&str>,
    texts: &NoticeTexts,
) -> (EventDraft, Option<NoticeDraft>) {
    let event = EventDraft {
        kind: EventKind::PaymentDisputed,
        account_id: dispute.account_id.to_string(),
        instance_id: None,
        data: json!({
            "amount_minor": dispute.amount_minor,
            "payment_id": dispute.payment_id,
            "provider_id": dispute.provider_id,
            "reason": dispute.reason,
        })
        .into(),
    };
    let notice = operator_email.map(|address| {
        let text = texts.notice(
            Template::PaymentDisputed,
            &[
                ("account_id", dispute.account_id),
                ("account_name", dispute.account_name),
                (
                    "amount",
                    &format_minor(dispute.amount_minor, dispute.currency),
                ),
                ("reason", dispute.reason),
                ("payment_id", dispute.payment_id),
                ("charge_id", dispute.provider_id),
            ],
        );
        NoticeDraft {
            // The operator's, of no account: see the module's documentation.
            account_id: String::new(),
            instance_id: None,
            channel: Channel::Email,
            recipient: Some(address.to_string()),
            kind: EventKind::PaymentDisputed,
            subject: text.subject,
            body: text.body,
        }
    });
    (event, notice)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dispute() -> Disputed<'static> {
        Disputed {
            account_id: "acc_1",
            account_name: "Ada Lovelace",
            currency: "JPY",
            payment_id: "pay_1",
            provider_id: "pi_1",
            amount_minor: 5_000,
            reason: "fraudulent",
        }
    }

    #[test]
    fn the_operator_is_told_of_a_dispute_at_its_own_address() {
        let (event, notice) =
            payment_disputed(&dispute(), Some("ops@example.com"), &NoticeTexts::builtin());
        assert_eq!(event.account_id, "acc_1");
        let notice = notice.expect("a notice for the operator");
        assert_eq!(notice.recipient.as_deref(), Some("ops@example.com"));
        assert_eq!(notice.account_id, "", "the operator's, not the account's");
        // A zero-decimal currency reads without decimals.
        assert!(notice.subject.contains("5000 JPY"), "{}", notice.subject);
        for said in ["Ada Lovelace", "acc_1", "fraudulent", "pay_1", "pi_1"] {
            assert!(notice.body.contains(said), "{said}: {}", notice.body);
        }
    }

    #[test]
    fn without_an_operator_address_a_dispute_is_an_event_only() {
        let (event, notice) = payment_disputed(&dispute(), None, &NoticeTexts::builtin());
        assert_eq!(event.kind, EventKind::PaymentDisputed);
        assert!(notice.is_none());
    }
}
