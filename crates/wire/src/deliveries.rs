//! The delivery log: every email, SMS and webhook message sent or being sent, with its
//! attempts.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// The channel a delivery goes out on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryChannel {
    Email,
    Sms,
    Webhook,
}

same_variants!(
    DeliveryChannel,
    tenure_core::delivery::DeliveryChannel {
        Email,
        Sms,
        Webhook
    }
);

/// Where a delivery stands: waiting to be sent (or sent again), sent, or given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Pending,
    Sent,
    Failed,
}

same_variants!(
    DeliveryStatus,
    tenure_core::delivery::DeliveryStatus {
        Pending,
        Sent,
        Failed
    }
);

/// `?notice=&event=&endpoint=&status=&limit=&after=` of the delivery log.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliveryQuery {
    /// The deliveries of this notice (`ntc_…`).
    pub notice: Option<String>,
    /// The webhook deliveries of this event (`evt_…`).
    pub event: Option<String>,
    /// The deliveries to this webhook endpoint (`whep_…`).
    pub endpoint: Option<String>,
    #[schemars(with = "Option<DeliveryStatus>")]
    pub status: Option<String>,
    /// Items per page, 1 to 1000 (default 100).
    #[schemars(range(min = 1, max = 1000))]
    #[serde(default, deserialize_with = "crate::whole_number::query")]
    pub limit: Option<i64>,
    pub after: Option<String>,
}

/// A delivery as listed, with every attempt made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Delivery {
    pub id: String,
    /// The id receivers deduplicate by: the notice's or the event's.
    pub message_id: String,
    pub channel: DeliveryChannel,
    pub account_id: String,
    pub notice_id: Option<String>,
    pub event_id: Option<String>,
    pub endpoint_id: Option<String>,
    pub recipient: String,
    pub status: DeliveryStatus,
    /// Real time, whatever clock the lifecycle runs on.
    pub created_at: Timestamp,
    /// When it is tried next, while pending.
    pub next_attempt_at: Option<Timestamp>,
    pub sent_at: Option<Timestamp>,
    pub last_error: Option<String>,
    pub attempts: Vec<DeliveryAttempt>,
}

/// One attempt to send a delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DeliveryAttempt {
    pub number: i64,
    pub at: Timestamp,
    pub duration_ms: i64,
    /// The receiver's HTTP status, or the SMTP server's reply code.
    pub answer_code: Option<i64>,
    pub error: Option<String>,
}

/// Nothing to say: the path names the delivery to send again.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RetryDelivery {}

#[cfg(feature = "domain")]
mod from_domain {
    use super::*;

    impl From<tenure_store::deliveries::StoredDelivery> for Delivery {
        fn from(delivery: tenure_store::deliveries::StoredDelivery) -> Delivery {
            Delivery {
                id: delivery.id,
                message_id: delivery.message_id,
                channel: delivery.channel.into(),
                account_id: delivery.account_id,
                notice_id: delivery.notice_id,
                event_id: delivery.event_id,
                endpoint_id: delivery.endpoint_id,
                recipient: delivery.recipient,
                status: delivery.status.into(),
                created_at: delivery.created_at,
                next_attempt_at: delivery.next_attempt_at,
                sent_at: delivery.sent_at,
                last_error: delivery.last_error,
                attempts: delivery.attempts.into_iter().map(Into::into).collect(),
            }
        }
    }

    impl From<tenure_store::deliveries::StoredAttempt> for DeliveryAttempt {
        fn from(attempt: tenure_store::deliveries::StoredAttempt) -> DeliveryAttempt {
            DeliveryAttempt {
                number: attempt.number,
                at: attempt.at,
                duration_ms: attempt.duration_ms,
                answer_code: attempt.answer_code,
                error: attempt.error,
            }
        }
    }
}
