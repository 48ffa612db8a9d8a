//! The channels a delivery goes out on and where it stands.

use serde::Serialize;

/// The channel a delivery goes out on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
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

/// Why a notice could not be sent at all: kept with it (as its code), shown as a sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Undeliverable {
    NoSmtpServer,
    NoSmsGateway,
    NoEmailAddress,
    NoMobileNumber,
    /// Notices are for people; the operator's systems hear of the event itself.
    WebhookChannel,
    /// Written before tenure delivered notices (schema version 7).
    WrittenBeforeDelivery,
}

impl Undeliverable {
    const ALL: [Undeliverable; 6] = [
        Undeliverable::NoSmtpServer,
        Undeliverable::NoSmsGateway,
        Undeliverable::NoEmailAddress,
        Undeliverable::NoMobileNumber,
        Undeliverable::WebhookChannel,
        Undeliverable::WrittenBeforeDelivery,
    ];

    /// The code it is stored as: a few bytes on each notice a sweep writes, not a sentence.
    pub fn as_str(self) -> &'static str {
        match self {
            Undeliverable::NoSmtpServer => "no_smtp_server",
            Undeliverable::NoSmsGateway => "no_sms_gateway",
            Undeliverable::NoEmailAddress => "no_email_address",
            Undeliverable::NoMobileNumber => "no_mobile_number",
            Undeliverable::WebhookChannel => "webhook_channel",
            Undeliverable::WrittenBeforeDelivery => "written_before_delivery",
        }
    }

    pub fn from_code(code: &str) -> Option<Undeliverable> {
        Undeliverable::ALL
            .into_iter()
            .find(|reason| reason.as_str() == code)
    }

    pub fn sentence(self) -> &'static str {
        match self {
            Undeliverable::NoSmtpServer => "no SMTP server is configured (tenure serve --smtp-url)",
            Undeliverable::NoSmsGateway => {
                "no SMS gateway is configured (tenure serve --sms-gateway-url)"
            }
            Undeliverable::NoEmailAddress => "the account has no email address",
            Undeliverable::NoMobileNumber => "the account has no mobile number",
            Undeliverable::WebhookChannel => {
                "notices are not sent to webhooks: the event they were sent for is, to the \
                 endpoints that hear of its type"
            }
            Undeliverable::WrittenBeforeDelivery => "written before tenure delivered notices",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_reads_back_from_its_code() {
        for reason in Undeliverable::ALL {
            assert_eq!(Undeliverable::from_code(reason.as_str()), Some(reason));
        }
        assert_eq!(Undeliverable::from_code("answered 500"), None);
    }
}
