//! Stripe's API over HTTPS: form-encoded requests with the secret key, JSON answers, an
//! `Idempotency-Key` on every call that makes something, and tenure's attempt id in the
//! metadata so that a call whose answer was lost is found again (some servers that speak
//! Stripe's API ignore the key: the metadata is what tenure relies on).

mod form;
pub mod signature;
pub mod webhook;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use tokio::sync::Semaphore;

use crate::{
    Call, Card, Charge, ChargeRequest, ChargeStatus, CustomerDraft, Provider, ProviderError,
    Refund, RefundRequest, RefundStatus, SetupIntent,
};
use form::Form;

/// Stripe's own API.
pub const STRIPE_API_BASE: &str = "https://api.stripe.com";

/// The metadata key that carries tenure's attempt id.
pub const ATTEMPT_METADATA: &str = "tenure_attempt";

/// How long one call may take before its outcome is unknown, unless told otherwise.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(20);

/// Calls in flight at once, so that a slow provider cannot take every connection.
const CALLS_AT_ONCE: usize = 16;

/// Pages of a list read when looking a lost call up (newest first, 100 each).
const LOOKUP_PAGES: usize = 20;

/// A client of Stripe's API.
#[derive(Clone)]
pub struct Stripe {
    http: reqwest::Client,
    api_base: String,
    secret_key: Arc<str>,
    calls: Arc<Semaphore>,
}

/// The secret key never shows in a log line or a panic.
impl fmt::Debug for Stripe {
    fn fmt(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter
            .debug_struct("Stripe")
            .field("api_base", &self.api_base)
            .field("secret_key", &"[withheld]")
            .finish()
    }
}

impl Stripe {
    /// A client of the server at `api_base` (Stripe's is [`STRIPE_API_BASE`]).
    pub fn new(api_base: &str, secret_key: &str) -> Stripe {
        Stripe::with_timeout(api_base, secret_key, CALL_TIMEOUT)
    }

    /// [`Stripe::new`] whose calls give up after `timeout` (their outcome then unknown).
    pub fn with_timeout(api_base: &str, secret_key: &str, timeout: Duration) -> Stripe {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client with rustls builds");
        Stripe {
            http,
            api_base: api_base.trim_end_matches('/').to_string(),
            secret_key: secret_key.into(),
            calls: Arc::new(Semaphore::new(CALLS_AT_ONCE)),
        }
    }

    async fn call<T: for<'de> Deserialize<'de>>(
        &self,
        method: reqwest::Method,
        path: &str,
        form: Option<Form>,
        idempotency_key: Option<&str>,
    ) -> Result<T, ProviderError> {
        let _slot = self
            .calls
            .acquire()
            .await
            .map_err(|_| ProviderError::Unanswered("the client is closing".into()))?;
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.api_base))
            .bearer_auth(&*self.secret_key);
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        if let Some(form) = form {
            request = request
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(form.finish());
        }
        // The error's own text may hold the URL, never the key (it is a header).
        let response = request
            .send()
            .await
            .map_err(|error| ProviderError::Unanswered(error.without_url().to_string()))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|error| ProviderError::Unanswered(error.without_url().to_string()))?;
        if status.is_success() {
            return serde_json::from_slice(&body).map_err(|error| {
                ProviderError::Unanswered(format!("an answer tenure cannot read: {error}"))
            });
        }
        Err(refusal(status.as_u16(), &body))
    }

    /// The object of `collection` (`payment_intents`, `refunds`) whose metadata names tenure's
    /// attempt, read a page at a time, newest first, as far as [`LOOKUP_PAGES`] pages.
    async fn find_by_attempt<T>(
        &self,
        collection: &str,
        attempt_id: &str,
    ) -> Result<Option<T>, ProviderError>
    where
        T: for<'de> Deserialize<'de> + Attempted,
    {
        let mut after: Option<String> = None;
        for _ in 0..LOOKUP_PAGES {
            let path = match &after {
                Some(after) => format!("/v1/{collection}?limit=100&starting_after={after}"),
                None => format!("/v1/{collection}?limit=100"),
            };
            let page: List<T> = self.call(reqwest::Method::GET, &path, None, None).await?;
            let last_id = page.data.last().map(|object| object.id().to_string());
            if let Some(found) = page
                .data
                .into_iter()
                .find(|object| object.attempt() == Some(attempt_id))
            {
                return Ok(Some(found));
            }
            match (page.has_more, last_id) {
                (true, Some(last_id)) => after = Some(last_id),
                _ => return Ok(None),
            }
        }
        Ok(None)
    }
}

impl Provider for Stripe {
    fn create_customer<'a>(&'a self, customer: &'a CustomerDraft) -> Call<'a, String> {
        Box::pin(async move {
            let mut form = Form::default();
            form.add("name", &customer.name);
            if let Some(email) = &customer.email {
                form.add("email", email);
            }
            form.add("metadata[tenure_account]", &customer.account_id);
            let made: Object = self
                .call(reqwest::Method::POST, "/v1/customers", Some(form), None)
                .await?;
            Ok(made.id)
        })
    }

    fn create_setup_intent<'a>(&'a self, customer_id: &'a str) -> Call<'a, SetupIntent> {
        Box::pin(async move {
            let mut form = Form::default();
            form.add("customer", customer_id);
            form.add("usage", "off_session");
            form.add("payment_method_types[0]", "card");
            let made: StripeSetupIntent = self
                .call(reqwest::Method::POST, "/v1/setup_intents", Some(form), None)
                .await?;
            Ok(SetupIntent {
                id: made.id,
                client_secret: made.client_secret,
            })
        })
    }

    fn attach_card<'a>(
        &'a self,
        customer_id: &'a str,
        payment_method_id: &'a str,
    ) -> Call<'a, Card> {
        Box::pin(async move {
            let mut form = Form::default();
            form.add("customer", customer_id);
            let method: PaymentMethod = self
                .call(
                    reqwest::Method::POST,
                    &format!(
                        "/v1/payment_methods/{}/attach",
                        path_segment(payment_method_id)
                    ),
                    Some(form),
                    None,
                )
                .await?;
            let Some(card) = method.card else {
                return Err(ProviderError::Refused {
                    status: 400,
                    code: "not_a_card".into(),
                    message: format!("{} is not a card", method.id),
                });
            };
            Ok(Card {
                provider_id: method.id,
                brand: card.brand,
                last4: card.last4,
                exp_month: card.exp_month,
                exp_year: card.exp_year,
            })
        })
    }

    fn detach_card<'a>(&'a self, payment_method_id: &'a str) -> Call<'a, ()> {
        Box::pin(async move {
            let _: Object = self
                .call(
                    reqwest::Method::POST,
                    &format!(
                        "/v1/payment_methods/{}/detach",
                        path_segment(payment_method_id)
                    ),
                    Some(Form::default()),
                    None,
                )
                .await?;
            Ok(())
        })
    }

    fn charge<'a>(&'a self, request: &'a ChargeRequest) -> Call<'a, Charge> {
        Box::pin(async move {
            chargeable(request.amount_minor, &request.currency)?;
            let mut form = Form::default();
            form.add("amount", &request.amount_minor.to_string());
            form.add("currency", &request.currency.to_ascii_lowercase());
            form.add("customer", &request.customer_id);
            form.add("payment_method", &request.payment_method_id);
            form.add("confirm", "true");
            form.add("off_session", "true");
            form.add(
                &format!("metadata[{ATTEMPT_METADATA}]"),
                &request.attempt_id,
            );
            let intent: PaymentIntent = self
                .call(
                    reqwest::Method::POST,
                    "/v1/payment_intents",
                    Some(form),
                    Some(&request.attempt_id),
                )
                .await?;
            Ok(intent.into_charge())
        })
    }

    fn find_charge<'a>(&'a self, attempt_id: &'a str) -> Call<'a, Option<Charge>> {
        Box::pin(async move {
            let found: Option<PaymentIntent> =
                self.find_by_attempt("payment_intents", attempt_id).await?;
            Ok(found.map(PaymentIntent::into_charge))
        })
    }

    fn refund<'a>(&'a self, request: &'a RefundRequest) -> Call<'a, Refund> {
        Box::pin(async move {
            let mut form = Form::default();
            form.add("payment_intent", &request.charge_id);
            form.add("amount", &request.amount_minor.to_string());
            form.add(
                &format!("metadata[{ATTEMPT_METADATA}]"),
                &request.attempt_id,
            );
            let refund: StripeRefund = self
                .call(
                    reqwest::Method::POST,
                    "/v1/refunds",
                    Some(form),
                    Some(&request.attempt_id),
                )
                .await?;
            Ok(refund.into_refund())
        })
    }

    fn find_refund<'a>(&'a self, attempt_id: &'a str) -> Call<'a, Option<Refund>> {
        Box::pin(async move {
            let found: Option<StripeRefund> = self.find_by_attempt("refunds", attempt_id).await?;
            Ok(found.map(StripeRefund::into_refund))
        })
    }
}

/// Stripe's rule for the currencies whose minor unit is a thousandth (the dinars): it charges
/// them in tens of thousandths only. Refused before any call, so nothing is charged.
fn chargeable(amount_minor: i64, currency: &str) -> Result<(), ProviderError> {
    let thousandths = ["BHD", "JOD", "KWD", "OMR", "TND"];
    if thousandths.contains(&currency.to_ascii_uppercase().as_str()) && amount_minor % 10 != 0 {
        return Err(ProviderError::Refused {
            status: 400,
            code: "amount_not_chargeable".into(),
            message: format!(
                "Stripe charges {currency} in multiples of 10 thousandths: {amount_minor} is not one"
            ),
        });
    }
    Ok(())
}

/// An id put in a path: anything but an id's characters is refused by the provider anyway,
/// and must not change the path.
fn path_segment(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes()).collect()
}

/// A refusal's answer: `{"error": {"type", "code", "decline_code", "message", "payment_intent"}}`.
fn refusal(status: u16, body: &[u8]) -> ProviderError {
    #[derive(Deserialize)]
    struct Answer {
        error: Option<Details>,
    }
    #[derive(Deserialize)]
    struct Details {
        #[serde(default)]
        code: Option<String>,
        #[serde(default)]
        decline_code: Option<String>,
        #[serde(default)]
        message: Option<String>,
        #[serde(default)]
        payment_intent: Option<Object>,
    }
    if status >= 500 || status == 429 {
        return ProviderError::Unanswered(format!("the payment provider answered {status}"));
    }
    let details = serde_json::from_slice::<Answer>(body)
        .ok()
        .and_then(|answer| answer.error);
    let Some(details) = details else {
        return ProviderError::Refused {
            status,
            code: "unreadable".into(),
            message: format!("the payment provider answered {status}"),
        };
    };
    let message = details
        .message
        .unwrap_or_else(|| format!("answered {status}"));
    if status == 402 {
        return ProviderError::Declined {
            code: details
                .decline_code
                .or(details.code)
                .unwrap_or_else(|| "card_declined".into()),
            message,
            charge_id: details.payment_intent.map(|intent| intent.id),
        };
    }
    ProviderError::Refused {
        status,
        code: details.code.unwrap_or_else(|| "invalid_request".into()),
        message,
    }
}

#[derive(Debug, Clone, Deserialize)]
struct Object {
    id: String,
}

#[derive(Debug, Clone, Deserialize)]
struct StripeSetupIntent {
    id: String,
    client_secret: String,
}

#[derive(Debug, Clone, Deserialize)]
struct List<T> {
    data: Vec<T>,
    #[serde(default)]
    has_more: bool,
}

/// An object tenure made, found again by the attempt id in its metadata.
trait Attempted {
    fn id(&self) -> &str;
    fn attempt(&self) -> Option<&str>;
}

impl Attempted for PaymentIntent {
    fn id(&self) -> &str {
        &self.id
    }

    fn attempt(&self) -> Option<&str> {
        self.metadata.attempt()
    }
}

impl Attempted for StripeRefund {
    fn id(&self) -> &str {
        &self.id
    }

    fn attempt(&self) -> Option<&str> {
        self.metadata.attempt()
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
struct Metadata(#[serde(default)] std::collections::BTreeMap<String, String>);

impl Metadata {
    fn attempt(&self) -> Option<&str> {
        self.0.get(ATTEMPT_METADATA).map(String::as_str)
    }
}

#[derive(Debug, Clone, Deserialize)]
struct PaymentMethod {
    id: String,
    card: Option<CardDetails>,
}

#[derive(Debug, Clone, Deserialize)]
struct CardDetails {
    brand: String,
    last4: String,
    exp_month: u32,
    exp_year: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct PaymentIntent {
    id: String,
    amount: i64,
    status: String,
    #[serde(default)]
    metadata: Metadata,
    #[serde(default)]
    last_payment_error: Option<PaymentError>,
}

#[derive(Debug, Clone, Deserialize)]
struct PaymentError {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    decline_code: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

impl PaymentIntent {
    pub(crate) fn into_charge(self) -> Charge {
        let status = match self.status.as_str() {
            "succeeded" => ChargeStatus::Succeeded,
            "requires_action" | "requires_confirmation" => ChargeStatus::RequiresAction,
            "processing" | "requires_capture" => ChargeStatus::Processing,
            // `requires_payment_method` after a try is a failed payment; `canceled` too.
            _ => {
                let error = self.last_payment_error.unwrap_or(PaymentError {
                    code: None,
                    decline_code: None,
                    message: None,
                });
                ChargeStatus::Failed {
                    code: error
                        .decline_code
                        .or(error.code)
                        .unwrap_or_else(|| self.status.clone()),
                    message: error
                        .message
                        .unwrap_or_else(|| format!("the payment is {}", self.status)),
                }
            }
        };
        Charge {
            attempt_id: self.metadata.attempt().map(str::to_string),
            provider_id: self.id,
            amount_minor: self.amount,
            status,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct StripeRefund {
    id: String,
    amount: i64,
    status: String,
    #[serde(default)]
    failure_reason: Option<String>,
    #[serde(default)]
    payment_intent: Option<String>,
    #[serde(default)]
    metadata: Metadata,
}

impl StripeRefund {
    pub(crate) fn into_refund(self) -> Refund {
        let status = match self.status.as_str() {
            "succeeded" => RefundStatus::Succeeded,
            "failed" | "canceled" => RefundStatus::Failed {
                reason: self
                    .failure_reason
                    .clone()
                    .unwrap_or_else(|| self.status.clone()),
            },
            _ => RefundStatus::Pending,
        };
        Refund {
            attempt_id: self.metadata.attempt().map(str::to_string),
            provider_id: self.id,
            charge_id: self.payment_intent.unwrap_or_default(),
            amount_minor: self.amount,
            status,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::chargeable;

    #[test]
    fn thousandths_are_charged_in_tens_and_other_currencies_as_they_are() {
        assert!(chargeable(1_230, "KWD").is_ok());
        assert!(chargeable(1_234, "kwd").is_err());
        assert!(chargeable(1_234, "USD").is_ok());
        assert!(chargeable(7, "JPY").is_ok());
    }
}
