//! The operator's webhook endpoints: added with the event types they hear of and a signing
//! secret shown once, listed, deleted, their secret rotated. What may be an endpoint is the
//! core's rule (`tenure_core::webhook`).

use tenure_core::webhook::{
    check_description, check_url, EndpointError, SigningSecret, Subscription,
    PREVIOUS_SECRET_SIGNS_MS,
};
use tenure_store::webhook_endpoints::{self, NewEndpoint, WebhookEndpoint};
use tenure_store::{Connection, Tx};

use crate::engine::Engine;
use crate::error::EngineError;

/// What the operator asks for.
#[derive(Debug, Clone)]
pub struct NewWebhookEndpoint {
    pub url: String,
    pub events: Vec<String>,
    pub description: Option<String>,
}

/// An endpoint with its signing secret: shown when it is made and when the secret is rotated,
/// never again.
#[derive(Debug, Clone)]
pub struct EndpointWithSecret {
    pub endpoint: WebhookEndpoint,
    /// `whsec_` and the base64 of the secret's bytes: verify each message's
    /// `webhook-signature` with it. Shown once.
    pub secret: tenure_core::secret::ShownOnce,
}

/// A deleted endpoint.
#[derive(Debug, Clone)]
pub struct DeletedEndpoint {
    pub id: String,
    pub deleted: bool,
}

fn refusal(error: EndpointError) -> EngineError {
    let code = match error {
        EndpointError::BadUrl => "invalid_url",
        EndpointError::UnknownEvent(_) => "unknown_event_type",
        EndpointError::NoEvents | EndpointError::LongDescription => "invalid_field",
    };
    EngineError::invalid(code, error)
}

fn new_secret() -> SigningSecret {
    SigningSecret::from_random(rand::random())
}

impl Engine {
    pub async fn create_webhook_endpoint(
        &self,
        tx: &mut Tx,
        new: NewWebhookEndpoint,
    ) -> Result<EndpointWithSecret, EngineError> {
        check_url(&new.url).map_err(refusal)?;
        let description = new.description.unwrap_or_default();
        check_description(&description).map_err(refusal)?;
        let events = Subscription::from_names(&new.events)
            .map_err(refusal)?
            .names();
        let secret = new_secret().to_text();
        let endpoint = WebhookEndpoint {
            id: self.ids.next("whep"),
            url: new.url,
            description,
            events,
            created_at: self.clock.now(),
            secret_rotated_at: None,
            previous_secret_signs_until: None,
            disabled_at: None,
            disabled_reason: None,
        };
        webhook_endpoints::insert(
            tx,
            &NewEndpoint {
                id: &endpoint.id,
                url: &endpoint.url,
                description: &endpoint.description,
                events: &endpoint.events,
                secret: &secret,
                created_at: endpoint.created_at,
            },
        )
        .await?;
        Ok(EndpointWithSecret {
            endpoint,
            secret: tenure_core::secret::ShownOnce(secret),
        })
    }

    pub async fn delete_webhook_endpoint(
        &self,
        tx: &mut Tx,
        id: &str,
    ) -> Result<DeletedEndpoint, EngineError> {
        if !webhook_endpoints::delete(tx, id, self.clock.now()).await? {
            return Err(EngineError::not_found("webhook endpoint", id));
        }
        // What was waiting to be sent to it is given up, and says so in the delivery log.
        tenure_store::deliveries::fail_pending_to_endpoint(tx, id, "the endpoint was deleted")
            .await?;
        Ok(DeletedEndpoint {
            id: id.to_string(),
            deleted: true,
        })
    }

    /// A new secret for the endpoint; messages are signed with it from now on, and for a day
    /// ([`PREVIOUS_SECRET_SIGNS_MS`]) with the one it replaces too. The day is real time, the
    /// clock messages are sent and signed by (on a simulated clock too): a receiver's secret is
    /// changed in the world, not in simulated time.
    pub async fn rotate_webhook_secret(
        &self,
        tx: &mut Tx,
        id: &str,
    ) -> Result<EndpointWithSecret, EngineError> {
        let secret = new_secret().to_text();
        let previous_until_ms = jiff::Timestamp::now().as_millisecond() + PREVIOUS_SECRET_SIGNS_MS;
        if !webhook_endpoints::rotate_secret(tx, id, &secret, self.clock.now(), previous_until_ms)
            .await?
        {
            return Err(EngineError::not_found("webhook endpoint", id));
        }
        let endpoint = webhook_endpoints::get(tx, id)
            .await?
            .ok_or_else(|| EngineError::not_found("webhook endpoint", id))?;
        Ok(EndpointWithSecret {
            endpoint,
            secret: tenure_core::secret::ShownOnce(secret),
        })
    }
}

impl Engine {
    /// Live endpoints in id order, `limit` after `after_id` (never their secrets).
    pub async fn list_webhook_endpoints(
        &self,
        connection: &mut Connection,
        after_id: Option<&str>,
        limit: i64,
    ) -> Result<Vec<WebhookEndpoint>, EngineError> {
        Ok(webhook_endpoints::list(connection, after_id, limit).await?)
    }

    /// A live endpoint (never its secret).
    pub async fn webhook_endpoint(
        &self,
        connection: &mut Connection,
        endpoint_id: &str,
    ) -> Result<WebhookEndpoint, EngineError> {
        webhook_endpoints::get(connection, endpoint_id)
            .await?
            .ok_or_else(|| EngineError::not_found("webhook endpoint", endpoint_id))
    }
}
