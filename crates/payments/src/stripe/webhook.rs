//! Stripe's webhook events, read into what tenure applies: a charge's or a refund's outcome,
//! or a dispute. Anything else is acknowledged and ignored.

use serde::Deserialize;

use super::{PaymentIntent, StripeRefund};
use crate::{Charge, Refund};

/// An event Stripe sent, after its signature was checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Stripe's event id (`evt_…`): an event applied once is not applied again.
    pub id: String,
    /// Stripe's event type, such as `payment_intent.succeeded`.
    pub kind: String,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A charge succeeded, failed or was given up.
    Charge(Charge),
    /// A refund succeeded, failed or is pending.
    Refund(Refund),
    /// The customer disputed a charge with their bank.
    Dispute {
        charge_id: String,
        amount_minor: i64,
        reason: String,
    },
    /// Nothing tenure applies.
    Ignored,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a Stripe event tenure cannot read: {0}")]
pub struct UnreadableEvent(String);

/// Reads an event's body.
pub fn read(body: &[u8]) -> Result<Event, UnreadableEvent> {
    #[derive(Deserialize)]
    struct Raw {
        id: String,
        #[serde(rename = "type")]
        kind: String,
        data: Data,
    }
    #[derive(Deserialize)]
    struct Data {
        object: serde_json::Value,
    }
    #[derive(Deserialize)]
    struct Dispute {
        #[serde(default)]
        payment_intent: Option<String>,
        #[serde(default)]
        charge: Option<String>,
        amount: i64,
        #[serde(default)]
        reason: Option<String>,
    }
    let raw: Raw =
        serde_json::from_slice(body).map_err(|error| UnreadableEvent(error.to_string()))?;
    let object = raw.data.object;
    let unreadable = |error: serde_json::Error| UnreadableEvent(format!("{}: {error}", raw.kind));
    let outcome = match raw.kind.as_str() {
        "payment_intent.succeeded"
        | "payment_intent.payment_failed"
        | "payment_intent.canceled"
        | "payment_intent.processing"
        | "payment_intent.requires_action" => Outcome::Charge(
            serde_json::from_value::<PaymentIntent>(object)
                .map_err(unreadable)?
                .into_charge(),
        ),
        "refund.created" | "refund.updated" | "refund.failed" | "charge.refund.updated" => {
            Outcome::Refund(
                serde_json::from_value::<StripeRefund>(object)
                    .map_err(unreadable)?
                    .into_refund(),
            )
        }
        "charge.dispute.created" => {
            let dispute: Dispute = serde_json::from_value(object).map_err(unreadable)?;
            Outcome::Dispute {
                charge_id: dispute
                    .payment_intent
                    .or(dispute.charge)
                    .unwrap_or_default(),
                amount_minor: dispute.amount,
                reason: dispute.reason.unwrap_or_else(|| "unknown".into()),
            }
        }
        _ => Outcome::Ignored,
    };
    Ok(Event {
        id: raw.id,
        kind: raw.kind,
        outcome,
    })
}
