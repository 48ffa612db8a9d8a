//! Money through a payment provider: an account's saved cards and the provider calls that
//! moved money (card top-ups, card-paid orders, refunds to the card).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// `POST /v1/accounts/{id}/payment-methods`: a card the browser tokenized with the provider's
/// own library (Stripe.js), so that tenure never sees its number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SaveCard {
    /// The provider's id of the payment method (`pm_…`).
    #[schemars(length(min = 1, max = 255))]
    pub provider_payment_method: String,
    /// Make it the default card (the account's first card always is).
    #[serde(default)]
    pub make_default: bool,
}

/// `POST /v1/accounts/{id}/payment-methods/setup`: what the browser saves a card with. It
/// confirms `client_secret` with Stripe.js (`stripe.confirmCardSetup`), loaded with
/// `publishable_key`, so the card's number goes to the provider alone; the payment method that
/// makes (`pm_…`) is then saved with `POST /v1/accounts/{id}/payment-methods`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CardSetup {
    /// The SetupIntent's client secret: it lets the page add a card to the account's
    /// customer, and nothing else.
    pub client_secret: String,
    /// The provider's publishable key (`pk_…`); null when the server was given none
    /// (`--stripe-publishable-key`).
    pub publishable_key: Option<String>,
}

/// A card saved for an account: what the provider says of it, never its number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SavedCard {
    /// tenure's id of the card (`card_…`): what a top-up or an order names.
    pub id: String,
    pub account_id: String,
    /// The provider's id of the payment method.
    pub provider_payment_method: String,
    /// `visa`, `mastercard`, `amex`…
    pub brand: String,
    pub last4: String,
    pub exp_month: i64,
    pub exp_year: i64,
    /// The card a top-up or an order uses when it names none.
    pub is_default: bool,
    pub created_at: Timestamp,
}

/// Where a payment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// Committed, its call to the provider not answered yet (or its answer lost): tenure looks
    /// it up at the provider and settles it.
    Started,
    /// The provider waits for the customer (3-D Secure) or its own processing.
    Pending,
    /// The money moved.
    Succeeded,
    /// Nothing moved: declined, or never reached the provider.
    Failed,
}

/// A call that moved (or tried to move) money through the provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Payment {
    /// tenure's id, sent to the provider as the idempotency key and in the metadata.
    pub id: String,
    pub account_id: String,
    /// `stripe`.
    pub provider: String,
    /// `charge` or `refund`.
    pub kind: String,
    /// `deposit` (a card top-up), `order` or `refund`.
    pub purpose: String,
    pub amount_minor: i64,
    pub currency: String,
    /// The saved card charged.
    pub card_id: Option<String>,
    /// For a refund: the charge it gives back from.
    pub refunds_payment_id: Option<String>,
    /// For a refund: tenure's refund it pays.
    pub refund_id: Option<String>,
    /// For a charge that paid an order: the order.
    pub order_id: Option<String>,
    pub status: PaymentStatus,
    /// The provider's id (`pi_…`, `re_…`).
    pub provider_id: Option<String>,
    /// Why it failed: the provider's decline code, or `not_made`.
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    pub created_at: Timestamp,
    /// When it succeeded or failed.
    pub settled_at: Option<Timestamp>,
}

/// `GET /v1/payments`: payments of an account (or every account, for the operator).
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentQuery {
    pub account: Option<String>,
    /// Items per page, 1 to 1000 (default 100).
    #[schemars(range(min = 1, max = 1000))]
    #[serde(default, deserialize_with = "crate::whole_number::query")]
    pub limit: Option<i64>,
    pub after: Option<String>,
}

/// A provider's webhook, applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ProviderEventReceipt {
    /// The provider's event id.
    pub id: String,
    /// False when the event was applied before (sent again).
    pub applied: bool,
}

#[cfg(feature = "domain")]
mod from_domain {
    use super::*;

    impl From<tenure_store::payments::SavedCard> for SavedCard {
        fn from(card: tenure_store::payments::SavedCard) -> SavedCard {
            SavedCard {
                id: card.id,
                account_id: card.account_id,
                provider_payment_method: card.provider_payment_method,
                brand: card.brand,
                last4: card.last4,
                exp_month: card.exp_month,
                exp_year: card.exp_year,
                is_default: card.is_default,
                created_at: card.created_at,
            }
        }
    }

    impl From<tenure_store::payments::Payment> for Payment {
        fn from(payment: tenure_store::payments::Payment) -> Payment {
            let status = match payment.status.as_str() {
                "pending" => PaymentStatus::Pending,
                "succeeded" => PaymentStatus::Succeeded,
                "failed" => PaymentStatus::Failed,
                _ => PaymentStatus::Started,
            };
            Payment {
                id: payment.id,
                account_id: payment.account_id,
                provider: payment.provider,
                kind: payment.kind,
                purpose: payment.purpose,
                amount_minor: payment.amount_minor,
                currency: payment.currency,
                card_id: payment.card_id,
                refunds_payment_id: payment.refunds_payment_id,
                refund_id: payment.refund_id,
                order_id: payment.order_id,
                status,
                provider_id: payment.provider_id,
                failure_code: payment.failure_code,
                failure_message: payment.failure_message,
                created_at: payment.created_at,
                settled_at: payment.settled_at,
            }
        }
    }
}
