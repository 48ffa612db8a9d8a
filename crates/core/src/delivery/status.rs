//! The channels a delivery goes out on and where it stands.

use serde::Serialize;

/// The channel a delivery goes out on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryChannel {
    Email,
    Sms,
    Webhook,
}

impl DeliveryChannel {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryChannel::Email => "email",
            DeliveryChannel::Sms => "sms",
            DeliveryChannel::Webhook => "webhook",
        }
    }
}

impl std::str::FromStr for DeliveryChannel {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        [
            DeliveryChannel::Email,
            DeliveryChannel::Sms,
            DeliveryChannel::Webhook,
        ]
        .into_iter()
        .find(|channel| channel.as_str() == text)
        .ok_or_else(|| format!("`{text}` is not a delivery channel"))
    }
}

/// Where a delivery stands: waiting to be sent (or sent again), sent, or given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Pending,
    Sent,
    Failed,
}

impl DeliveryStatus {
    pub const ALL: [DeliveryStatus; 3] = [
        DeliveryStatus::Pending,
        DeliveryStatus::Sent,
        DeliveryStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Failed => "failed",
        }
    }
}

impl std::str::FromStr for DeliveryStatus {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        DeliveryStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == text)
            .ok_or_else(|| format!("`{text}` is not a delivery status (pending, sent or failed)"))
    }
}
