//! One attempt at one delivery, on its channel: an email through the SMTP server, an SMS
//! POSTed to the gateway, an event POSTed to a webhook endpoint, signed. Every attempt is
//! bounded by the send timeout; what the receiver answered (or what went wrong) is the
//! outcome, which the engine records.

use std::time::{Duration, Instant};

use lettre::message::header::ContentType;
use lettre::message::{Attachment as MailAttachment, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncTransport, Message};
use tenure_core::delivery::{redact_credentials_in, DeliveryChannel};
use tenure_core::webhook::{message_body, signatures, PreviousSecret, SigningSecret};
use tenure_engine::deliveries::{SendAttempt, SendOutcome};
use tenure_store::deliveries::{Carried, ClaimedDelivery, EndpointTarget};

use crate::config::Channels;

/// A file an email carries beside its text: an invoice's PDF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Attachment {
    pub file_name: String,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

/// Sends `delivery` once, an email with `attachment` if given.
pub(crate) async fn attempt(
    channels: &Channels,
    http: &reqwest::Client,
    timeout: Duration,
    delivery: &ClaimedDelivery,
    attachment: Option<&Attachment>,
) -> SendAttempt {
    let started_at_ms = jiff::Timestamp::now().as_millisecond();
    let started = Instant::now();
    let sent = tokio::time::timeout(timeout, send(channels, http, delivery, attachment)).await;
    let outcome = sent.unwrap_or_else(|_| SendOutcome::Failed {
        answer_code: None,
        error: format!("no answer within {} s", timeout.as_secs_f64()),
    });
    SendAttempt {
        started_at_ms,
        duration_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
        outcome,
    }
}

async fn send(
    channels: &Channels,
    http: &reqwest::Client,
    delivery: &ClaimedDelivery,
    attachment: Option<&Attachment>,
) -> SendOutcome {
    match (&delivery.carried, delivery.channel) {
        (Carried::Notice { subject, body, .. }, DeliveryChannel::Email) => {
            email(channels, delivery, subject, body, attachment).await
        }
        (Carried::Notice { body, .. }, DeliveryChannel::Sms) => {
            sms(channels, http, delivery, body).await
        }
        (
            Carried::Event {
                kind,
                at,
                data,
                endpoint,
            },
            DeliveryChannel::Webhook,
        ) => match endpoint {
            None => SendOutcome::Undeliverable {
                error: "the endpoint was deleted or disabled".to_string(),
            },
            Some(endpoint) => {
                let body = message_body(&delivery.message_id, kind, *at, data);
                webhook(http, &delivery.message_id, endpoint, body).await
            }
        },
        (_, channel) => SendOutcome::Undeliverable {
            error: format!(
                "a {} delivery carries nothing it can send",
                channel.as_str()
            ),
        },
    }
}

async fn email(
    channels: &Channels,
    delivery: &ClaimedDelivery,
    subject: &str,
    body: &str,
    attachment: Option<&Attachment>,
) -> SendOutcome {
    let Some(smtp) = &channels.smtp else {
        return SendOutcome::Undeliverable {
            error: "no SMTP server is configured (tenure serve --smtp-url)".to_string(),
        };
    };
    let Ok(to) = delivery.recipient.parse::<Mailbox>() else {
        return SendOutcome::Undeliverable {
            error: format!("`{}` is not an email address", delivery.recipient),
        };
    };
    let builder = Message::builder()
        .from(smtp.from.clone())
        .to(to)
        // The notice's id: the same on every attempt, so a mailbox can tell a repeat.
        .message_id(Some(format!("<{}@tenure>", delivery.message_id)))
        .subject(subject);
    // The text and its HTML beside it, for the reader to choose; an attachment goes beside
    // both (multipart/mixed holding the alternative and the file).
    let alternative = MultiPart::alternative()
        .singlepart(SinglePart::plain(body.to_string()))
        .singlepart(SinglePart::html(crate::html::notice_html(subject, body)));
    let message = match attachment {
        None => builder.multipart(alternative),
        Some(attachment) => {
            let Ok(content_type) = ContentType::parse(attachment.content_type) else {
                return SendOutcome::Undeliverable {
                    error: format!(
                        "`{}` is not a content type an attachment can have",
                        attachment.content_type
                    ),
                };
            };
            builder.multipart(
                MultiPart::mixed().multipart(alternative).singlepart(
                    MailAttachment::new(attachment.file_name.clone())
                        .body(attachment.bytes.clone(), content_type),
                ),
            )
        }
    };
    let message = match message {
        Ok(message) => message,
        Err(error) => {
            return SendOutcome::Undeliverable {
                error: format!("the email could not be built: {error}"),
            }
        }
    };
    match smtp.transport.send(message).await {
        Ok(response) => SendOutcome::Delivered {
            answer_code: smtp_code(&response.code().to_string()),
        },
        Err(error) => SendOutcome::Failed {
            answer_code: error.status().map(|code| smtp_code(&code.to_string())),
            error: format!("the SMTP server did not take it: {error}"),
        },
    }
}

fn smtp_code(text: &str) -> i64 {
    text.parse().unwrap_or(0)
}

async fn sms(
    channels: &Channels,
    http: &reqwest::Client,
    delivery: &ClaimedDelivery,
    text: &str,
) -> SendOutcome {
    let Some(gateway) = &channels.sms_gateway else {
        return SendOutcome::Undeliverable {
            error: "no SMS gateway is configured (tenure serve --sms-gateway-url)".to_string(),
        };
    };
    let body = serde_json::json!({
        "to": delivery.recipient,
        "text": text,
        "notice_id": delivery.message_id,
    });
    let request = http
        .post(gateway.clone())
        .header("content-type", "application/json")
        .body(body.to_string());
    answered(request.send().await)
}

async fn webhook(
    http: &reqwest::Client,
    message_id: &str,
    endpoint: &EndpointTarget,
    body: String,
) -> SendOutcome {
    let Some(secret) = SigningSecret::parse(&endpoint.secret) else {
        return SendOutcome::Undeliverable {
            error: "the endpoint's secret cannot be read".to_string(),
        };
    };
    // The secret a rotation replaced signs too for a day; one that cannot be read is left out
    // (the current secret's signature still goes).
    let previous = endpoint
        .previous_secret
        .as_ref()
        .and_then(|(text, until_ms)| {
            Some(PreviousSecret {
                secret: SigningSecret::parse(text)?,
                until_ms: *until_ms,
            })
        });
    // When it is sent, in real time: receivers check it against their own clocks.
    let timestamp = jiff::Timestamp::now().as_second();
    let signature = signatures(&secret, previous.as_ref(), message_id, timestamp, &body);
    let request = http
        .post(&endpoint.url)
        .header("content-type", "application/json")
        .header("webhook-id", message_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(body);
    answered(request.send().await)
}

/// A 2xx is taken; anything else, or no answer, is tried again.
fn answered(result: Result<reqwest::Response, reqwest::Error>) -> SendOutcome {
    match result {
        Ok(response) if response.status().is_success() => SendOutcome::Delivered {
            answer_code: i64::from(response.status().as_u16()),
        },
        Ok(response) => SendOutcome::Failed {
            answer_code: Some(i64::from(response.status().as_u16())),
            error: format!("answered {}", response.status()),
        },
        Err(error) => SendOutcome::Failed {
            answer_code: None,
            error: describe(&error),
        },
    }
}

/// A request's error with its causes (reqwest's own line is only "error sending request"),
/// without the credentials of the URL it names: the text is logged and shown in the delivery
/// log.
fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    redact_credentials_in(&text)
}
