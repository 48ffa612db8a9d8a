//! Money through a payment provider: an account's saved cards, the payments tenure made, and
//! the provider's webhook (README: Card payments). A provider call never runs inside a
//! transaction: see `tenure_engine::payments`.

use axum::body::Bytes;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{Method, StatusCode};
use tenure_core::access::Permission;
use tenure_wire::payments::{
    CardSetup, Payment, PaymentQuery, ProviderEventReceipt, SaveCard, SavedCard,
};
use tenure_wire::Nothing;

use super::{Made, Route};
use crate::api::{
    execute, read, replay, Answered, Command, Created, Listing, Page, PageSize, Params, Succeeded,
};
use crate::auth::{BodyNames, ListScope};
use crate::context::ApiContext;
use crate::error::ApiError;
use crate::openapi::describe::{DescribeInput, Generators, Operation};

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::POST,
            "/v1/accounts/{id}/payment-methods",
            "Save a card the browser tokenized with the provider's library (tenure never sees its number): makes the account's customer at the provider on first use and attaches the card",
            save_card,
        )
        .account(Permission::Billing)
        .refuses(&[StatusCode::PAYMENT_REQUIRED, StatusCode::SERVICE_UNAVAILABLE])
        .makes(&[Made {
            collection: "/v1/accounts/{id}/payment-methods",
            id_at: "/id",
        }]),
        Route::new(
            Method::POST,
            "/v1/accounts/{id}/payment-methods/setup",
            "Start saving a card in the browser: a SetupIntent for the account's customer (made on first use), whose client secret the page confirms with Stripe.js, and the publishable key to load it with",
            start_card_setup,
        )
        .account(Permission::Billing)
        .refuses(&[StatusCode::SERVICE_UNAVAILABLE]),
        Route::new(
            Method::GET,
            "/v1/accounts/{id}/payment-methods",
            "The account's saved cards: brand, last four digits, expiry, and which is the default",
            list_cards,
        )
        .account(Permission::Read)
        .refuses(&[StatusCode::UNPROCESSABLE_ENTITY]),
        Route::new(
            Method::DELETE,
            "/v1/accounts/{id}/payment-methods/{card_id}",
            "Remove a saved card (detached at the provider); answers the cards left",
            remove_card,
        )
        .account(Permission::Billing)
        .refuses(&[StatusCode::SERVICE_UNAVAILABLE]),
        Route::new(
            Method::POST,
            "/v1/accounts/{id}/payment-methods/{card_id}/default",
            "Make a saved card the default; answers the account's cards",
            make_default,
        )
        .account(Permission::Billing),
        Route::new(
            Method::GET,
            "/v1/payments",
            "Every call that moved money through the provider: what, amount, outcome, provider ids",
            list_payments,
        )
        .account(Permission::Read),
        Route::new(
            Method::POST,
            "/v1/providers/stripe/webhook",
            "Stripe's webhook: its Stripe-Signature checked, each event applied once",
            stripe_webhook,
        )
        .public()
        .refuses(&[StatusCode::BAD_REQUEST, StatusCode::UNPROCESSABLE_ENTITY]),
    ]
}

impl BodyNames for SaveCard {}

/// Names nothing an account key must own beyond the path.
impl BodyNames for Nothing {}

async fn save_card(
    State(context): State<ApiContext>,
    Path(account_id): Path<String>,
    command: Command<SaveCard>,
) -> Result<Answered<SavedCard, Created>, ApiError> {
    // A request sent again after it was answered is answered again, without another call.
    if let Some(replayed) = replay(&context, &command.meta).await? {
        return Ok(Answered::replayed(replayed));
    }
    let card = context
        .engine
        .attach_card(&account_id, &command.body.provider_payment_method)
        .await?;
    let engine = context.engine.clone();
    let make_default = command.body.make_default;
    execute(&context, &command.meta, Created, move |tx| {
        Box::pin(async move { engine.keep_card(tx, &account_id, &card, make_default).await })
    })
    .await
}

/// Makes nothing of tenure's (the customer at most, as saving a card would): answered without
/// an idempotency record; a request sent again starts another SetupIntent, which costs nothing.
async fn start_card_setup(
    State(context): State<ApiContext>,
    Path(account_id): Path<String>,
    _command: Command<Nothing>,
) -> Result<Answered<CardSetup>, ApiError> {
    let setup = context.engine.start_card_setup(&account_id).await?;
    Ok(Answered::json(&CardSetup {
        client_secret: setup.client_secret,
        publishable_key: context
            .stripe_browser
            .as_ref()
            .and_then(|browser| browser.publishable_key.clone()),
    }))
}

async fn list_cards(
    State(context): State<ApiContext>,
    Path(account_id): Path<String>,
) -> Result<Answered<Listing<SavedCard>>, ApiError> {
    let engine = context.engine.clone();
    read(&context, move |connection| {
        Box::pin(async move {
            let cards = engine.saved_cards(connection, &account_id).await?;
            Ok(Listing {
                data: cards.into_iter().map(SavedCard::from).collect(),
                next_after: None,
            })
        })
    })
    .await
}

async fn remove_card(
    State(context): State<ApiContext>,
    Path((account_id, card_id)): Path<(String, String)>,
    command: Command<Nothing>,
) -> Result<Answered<Listing<SavedCard>>, ApiError> {
    context.engine.detach_card(&account_id, &card_id).await?;
    let engine = context.engine.clone();
    execute(&context, &command.meta, Succeeded, move |tx| {
        Box::pin(async move {
            let cards = engine.remove_card(tx, &account_id, &card_id).await?;
            Ok(Listing {
                data: cards.into_iter().map(SavedCard::from).collect(),
                next_after: None,
            })
        })
    })
    .await
}

async fn make_default(
    State(context): State<ApiContext>,
    Path((account_id, card_id)): Path<(String, String)>,
    command: Command<Nothing>,
) -> Result<Answered<Listing<SavedCard>>, ApiError> {
    let engine = context.engine.clone();
    execute(&context, &command.meta, Succeeded, move |tx| {
        Box::pin(async move {
            let cards = engine.make_default_card(tx, &account_id, &card_id).await?;
            Ok(Listing {
                data: cards.into_iter().map(SavedCard::from).collect(),
                next_after: None,
            })
        })
    })
    .await
}

impl ListScope for PaymentQuery {
    fn scope_to_account(&mut self, account_id: &str) {
        self.account = Some(account_id.to_string());
    }
}

async fn list_payments(
    State(context): State<ApiContext>,
    Params(query): Params<PaymentQuery>,
) -> Result<Answered<Listing<Payment>>, ApiError> {
    let limit = Page {
        limit: query.limit,
        after: None,
    }
    .limit()?;
    let engine = context.engine.clone();
    read(&context, move |connection| {
        Box::pin(async move {
            let found = engine
                .list_payments(
                    connection,
                    query.account.as_deref(),
                    query.after.as_deref(),
                    limit,
                )
                .await?;
            Ok(Listing::new(found, limit, |payment| payment.id.clone()).map())
        })
    })
    .await
}

/// A provider's webhook request: its signature header and its body, exactly as sent (the
/// signature is over the bytes).
pub struct ProviderWebhook {
    signature: Option<String>,
    body: Bytes,
}

impl FromRequest<ApiContext> for ProviderWebhook {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &ApiContext) -> Result<Self, Self::Rejection> {
        let signature = request
            .headers()
            .get("stripe-signature")
            .and_then(|value| value.to_str().ok())
            .map(str::to_string);
        let body = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| ApiError::bad_request("invalid_body", rejection.body_text()))?;
        Ok(ProviderWebhook { signature, body })
    }
}

impl DescribeInput for ProviderWebhook {
    fn describe(operation: &mut Operation, _generators: &mut Generators) {
        operation.body = Some(schemars::json_schema!({
            "type": "object",
            "description": "An event as the provider sends it, signed in the Stripe-Signature header"
        }));
    }
}

async fn stripe_webhook(
    State(context): State<ApiContext>,
    webhook: ProviderWebhook,
) -> Result<Answered<ProviderEventReceipt>, ApiError> {
    let Some(secret) = context.stripe_webhook_secret.clone() else {
        return Err(ApiError::invalid(
            "payments_not_configured",
            "card payments are not configured on this server (tenure serve --stripe-webhook-secret)",
        ));
    };
    let now = jiff::Timestamp::now().as_second();
    tenure_payments::stripe::signature::verify(
        webhook.signature.as_deref().unwrap_or(""),
        &webhook.body,
        &secret,
        now,
    )
    .map_err(|error| ApiError::bad_request("invalid_signature", error.to_string()))?;
    let event = tenure_payments::stripe::webhook::read(&webhook.body)
        .map_err(|error| ApiError::bad_request("invalid_event", error.to_string()))?;
    let engine = context.engine.clone();
    let id = event.id.clone();
    let applied = engine.apply_provider_event(event).await?;
    Ok(Answered::json(&ProviderEventReceipt { id, applied }))
}
