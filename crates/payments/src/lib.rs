//! Card payments through a payment provider. This crate makes the provider's calls and reads
//! its answers and webhooks; it decides nothing about an account. The engine commits an
//! attempt (its id is the call's idempotency key and is written into the provider's metadata)
//! before it calls, and applies the outcome after, in a transaction of its own: a call never
//! happens inside a transaction, so a slow provider holds no lock.
//!
//! [`Provider`] is what the engine needs of any provider; [`stripe::Stripe`] speaks Stripe's
//! API (or any server that speaks it, such as localstripe in the tests).

pub mod stripe;

#[cfg(feature = "test-support")]
pub mod localstripe;

use std::future::Future;
use std::pin::Pin;

/// A provider call in flight.
pub type Call<'a, T> = Pin<Box<dyn Future<Output = Result<T, ProviderError>> + Send + 'a>>;

/// A customer to create at the provider: the account it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerDraft {
    pub account_id: String,
    pub name: String,
    pub email: Option<String>,
}

/// A saved card as the provider describes it (never its number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    /// The provider's id of the payment method (`pm_…`).
    pub provider_id: String,
    pub brand: String,
    pub last4: String,
    pub exp_month: u32,
    pub exp_year: u32,
}

/// A SetupIntent: the browser confirms it with the provider's own library (Stripe.js), which
/// sends the card's number to the provider and answers the payment method it made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupIntent {
    /// The provider's id (`seti_…`).
    pub id: String,
    /// What the browser confirms it with; it lets the holder of the page add a card and
    /// nothing else.
    pub client_secret: String,
}

/// An off-session charge of a saved card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeRequest {
    /// tenure's id of the attempt: the idempotency key and the metadata the charge is found by.
    pub attempt_id: String,
    pub customer_id: String,
    pub payment_method_id: String,
    /// In the currency's smallest unit, as tenure keeps amounts (yen for JPY, cents for USD).
    pub amount_minor: i64,
    /// ISO 4217, any case.
    pub currency: String,
}

/// A refund of (part of) a charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest {
    pub attempt_id: String,
    /// The provider's id of the charge refunded (a PaymentIntent, `pi_…`).
    pub charge_id: String,
    pub amount_minor: i64,
}

/// Where a charge stands at the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChargeStatus {
    Succeeded,
    /// The customer must authenticate (3-D Secure): it succeeds or fails later, as a webhook
    /// says.
    RequiresAction,
    /// Accepted, not settled yet.
    Processing,
    /// Declined, or given up: nothing was taken.
    Failed {
        code: String,
        message: String,
    },
}

/// A charge as the provider knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    pub provider_id: String,
    pub attempt_id: Option<String>,
    pub amount_minor: i64,
    pub status: ChargeStatus,
}

/// Where a refund stands at the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundStatus {
    Succeeded,
    Pending,
    Failed { reason: String },
}

/// A refund as the provider knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    pub provider_id: String,
    pub attempt_id: Option<String>,
    pub charge_id: String,
    pub amount_minor: i64,
    pub status: RefundStatus,
}

/// Why a call did not give an answer to apply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// The card was declined: nothing was taken. `code` is the provider's (a decline code such
    /// as `insufficient_funds` when it gives one).
    #[error("the card was declined ({code}): {message}")]
    Declined {
        code: String,
        message: String,
        /// The charge the decline belongs to, when the provider made one.
        charge_id: Option<String>,
    },
    /// The provider refused the request itself (an unknown payment method, say): nothing
    /// happened.
    #[error("the payment provider refused the request ({status} {code}): {message}")]
    Refused {
        status: u16,
        code: String,
        message: String,
    },
    /// No answer (a timeout, a lost connection, the provider's own failure): the call may or
    /// may not have taken effect, and must be looked up before it is tried again.
    #[error("the payment provider did not answer: {0}")]
    Unanswered(String),
}

impl ProviderError {
    /// Whether the call surely changed nothing at the provider.
    pub fn changed_nothing(&self) -> bool {
        !matches!(self, ProviderError::Unanswered(_))
    }

    /// Why the provider said no, for the record of a call that failed: its code, its sentence
    /// and the charge a decline belongs to. None when it did not answer.
    pub fn failure(&self) -> Option<(&str, &str, Option<&str>)> {
        match self {
            ProviderError::Declined {
                code,
                message,
                charge_id,
            } => Some((code, message, charge_id.as_deref())),
            ProviderError::Refused { code, message, .. } => Some((code, message, None)),
            ProviderError::Unanswered(_) => None,
        }
    }
}

/// What the engine needs of a card payment provider.
pub trait Provider: Send + Sync {
    /// Makes the customer an account's cards are saved under.
    fn create_customer<'a>(&'a self, customer: &'a CustomerDraft) -> Call<'a, String>;
    /// Starts saving a card for a customer, for later off-session charges: the browser
    /// confirms the answer's client secret with the card.
    fn create_setup_intent<'a>(&'a self, customer_id: &'a str) -> Call<'a, SetupIntent>;
    /// Attaches a payment method the browser tokenized to a customer.
    fn attach_card<'a>(
        &'a self,
        customer_id: &'a str,
        payment_method_id: &'a str,
    ) -> Call<'a, Card>;
    /// Detaches a saved card.
    fn detach_card<'a>(&'a self, payment_method_id: &'a str) -> Call<'a, ()>;
    /// Charges a saved card off-session.
    fn charge<'a>(&'a self, request: &'a ChargeRequest) -> Call<'a, Charge>;
    /// The charge made for tenure's attempt, if the provider holds one (settles an attempt whose
    /// answer was lost).
    fn find_charge<'a>(&'a self, attempt_id: &'a str) -> Call<'a, Option<Charge>>;
    /// Refunds part or all of a charge.
    fn refund<'a>(&'a self, request: &'a RefundRequest) -> Call<'a, Refund>;
    /// The refund made for tenure's attempt, if any.
    fn find_refund<'a>(&'a self, attempt_id: &'a str) -> Call<'a, Option<Refund>>;
}
