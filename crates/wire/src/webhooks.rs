//! The operator's webhook endpoints: where tenure POSTs the events an operator's systems act
//! on, signed as Standard Webhooks sign.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::access::ShownOnce;
use crate::events::EventTypeName;

/// A new endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("examples" = [
    { "url": "https://ops.example.com/tenure", "events": ["instance.expired", "instance.released"],
      "description": "stop and delete resources" }
]))]
pub struct CreateEndpoint {
    /// An http or https URL tenure POSTs each message to.
    #[schemars(
        length(min = 8, max = 2000),
        regex(pattern = r"^https?://[^\x00-\x20\x7f/?#@:\[\]]+[^\x00-\x20\x7f\[\]]*$")
    )]
    pub url: String,
    /// Event types (such as `instance.expired`), or `["*"]` for every one.
    #[schemars(with = "Vec<EventTypeName>", length(min = 1, max = 64))]
    pub events: Vec<String>,
    #[schemars(length(max = 500))]
    pub description: Option<String>,
}

/// A body that carries nothing: the path names the endpoint (deleting it, rotating its
/// secret).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointAction {}

/// An endpoint as shown: everything but its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WebhookEndpoint {
    pub id: String,
    pub url: String,
    pub description: String,
    /// The event types it hears of, or `["*"]` for all.
    pub events: Vec<String>,
    pub created_at: Timestamp,
    pub secret_rotated_at: Option<Timestamp>,
    /// Until when the secret the last rotation replaced still signs every message beside the
    /// current one (a day after the rotation, in real time).
    pub previous_secret_signs_until: Option<Timestamp>,
    /// Set when tenure stopped sending to it (failing for days), with why.
    pub disabled_at: Option<Timestamp>,
    pub disabled_reason: Option<String>,
}

/// An endpoint with its signing secret: shown when it is made and when the secret is rotated,
/// never again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EndpointWithSecret {
    #[serde(flatten)]
    pub endpoint: WebhookEndpoint,
    /// `whsec_` and the base64 of the secret's bytes: verify each message's
    /// `webhook-signature` with it. Shown once.
    pub secret: ShownOnce,
}

/// A deleted endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DeletedEndpoint {
    pub id: String,
    pub deleted: bool,
}

#[cfg(feature = "domain")]
mod from_domain {
    use super::*;

    impl From<tenure_store::webhook_endpoints::WebhookEndpoint> for WebhookEndpoint {
        fn from(endpoint: tenure_store::webhook_endpoints::WebhookEndpoint) -> WebhookEndpoint {
            WebhookEndpoint {
                id: endpoint.id,
                url: endpoint.url,
                description: endpoint.description,
                events: endpoint.events,
                created_at: endpoint.created_at,
                secret_rotated_at: endpoint.secret_rotated_at,
                previous_secret_signs_until: endpoint.previous_secret_signs_until,
                disabled_at: endpoint.disabled_at,
                disabled_reason: endpoint.disabled_reason,
            }
        }
    }

    impl From<tenure_engine::webhook_endpoints::EndpointWithSecret> for EndpointWithSecret {
        fn from(endpoint: tenure_engine::webhook_endpoints::EndpointWithSecret) -> Self {
            EndpointWithSecret {
                endpoint: endpoint.endpoint.into(),
                secret: endpoint.secret.into(),
            }
        }
    }

    impl From<tenure_engine::webhook_endpoints::DeletedEndpoint> for DeletedEndpoint {
        fn from(deleted: tenure_engine::webhook_endpoints::DeletedEndpoint) -> DeletedEndpoint {
            DeletedEndpoint {
                id: deleted.id,
                deleted: deleted.deleted,
            }
        }
    }
}
