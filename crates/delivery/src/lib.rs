//! Sends what tenure decided people and systems must hear of: notices by email (SMTP) and SMS
//! (an HTTP gateway), events to the operator's webhook endpoints, signed as Standard Webhooks
//! says. It runs beside the API: it reads due deliveries from the outbox the engine writes in
//! the same transaction as each notice and event, claims them with a lease (so several nodes
//! never send one twice), sends each once with a timeout, at most `concurrency` at a time, and
//! records every attempt; a failure is tried again on the core's schedule. Times are real:
//! messages leave now, whatever clock the lifecycle runs on.

mod config;
mod html;
mod send;

use std::sync::Arc;

use rand::Rng;
use tenure_core::delivery::{redact_url_credentials, DeliveryChannel};
use tenure_engine::deliveries::{SendAttempt, SendOutcome};
use tenure_engine::{Engine, EngineError};
use tenure_store::deliveries::{Carried, ClaimedDelivery};
use tokio::sync::Semaphore;

pub use config::{ChannelUrls, Channels, ConfigError, DelivererSettings};

/// Told of every attempt (the server counts them in `/metrics`).
pub trait AttemptObserver: Send + Sync {
    /// An attempt on `channel` that gave `outcome` (`delivered`, `failed` or `undeliverable`).
    fn attempted(&self, channel: DeliveryChannel, outcome: &'static str);
}

/// The delivery loop of one server.
pub struct Deliverer {
    engine: Arc<Engine>,
    channels: Channels,
    settings: DelivererSettings,
    http: reqwest::Client,
    observer: Option<Arc<dyn AttemptObserver>>,
}

impl Deliverer {
    pub fn new(engine: Arc<Engine>, channels: Channels, settings: DelivererSettings) -> Deliverer {
        let http = reqwest::Client::builder()
            .timeout(settings.send_timeout)
            // A redirect is an answer that is not a 2xx: the endpoint's URL is to be fixed.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("tenure/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("an HTTP client with rustls builds");
        Deliverer {
            engine,
            channels,
            settings,
            http,
            observer: None,
        }
    }

    /// The deliverer telling `observer` of every attempt.
    pub fn observed_by(mut self, observer: Arc<dyn AttemptObserver>) -> Deliverer {
        self.observer = Some(observer);
        self
    }

    /// Runs until the runtime stops: claims what is due while there is room to send it, else
    /// waits a poll interval.
    pub async fn run(self) {
        let deliverer = Arc::new(self);
        let room = Arc::new(Semaphore::new(deliverer.settings.concurrency));
        loop {
            let free = room.available_permits();
            if free == 0 {
                // Every sender busy: claim again once one is done.
                drop(room.clone().acquire_owned().await);
                continue;
            }
            let claimed = deliverer.claim(free).await.unwrap_or_else(|error| {
                tracing::error!(%error, "claiming deliveries failed; trying again");
                Claim::default()
            });
            if claimed.is_empty() {
                tokio::time::sleep(deliverer.settings.poll_interval).await;
                continue;
            }
            let token = claimed.0;
            for delivery in claimed.1 {
                let permit = room
                    .clone()
                    .acquire_owned()
                    .await
                    .expect("the semaphore is never closed");
                let deliverer = deliverer.clone();
                let token = token.clone();
                tokio::spawn(async move {
                    deliverer.deliver(&token, delivery).await;
                    drop(permit);
                });
            }
        }
    }

    /// Claims at most `limit` due deliveries, with the claim's token; none (and no write) when
    /// nothing is due.
    async fn claim(&self, limit: usize) -> anyhow::Result<Claim> {
        let now_ms = jiff::Timestamp::now().as_millisecond();
        let mut connection = self.engine.store.read().await?;
        let due = tenure_store::deliveries::next_due_at_ms(&mut connection).await?;
        drop(connection);
        if due.is_none_or(|due| due > now_ms) {
            return Ok(Claim::default());
        }
        let token = format!("{:016x}", rand::thread_rng().gen::<u64>());
        let lease_ms = i64::try_from(self.settings.lease().as_millis()).unwrap_or(i64::MAX);
        let engine = self.engine.clone();
        let claim_token = token.clone();
        let claimed = self
            .engine
            .store
            .write(move |tx| {
                let engine = engine.clone();
                let token = claim_token.clone();
                Box::pin(async move {
                    engine
                        .claim_deliveries(tx, now_ms, limit as i64, now_ms + lease_ms, &token)
                        .await
                })
            })
            .await?;
        Ok(Claim(token, claimed))
    }

    /// Sends one claimed delivery and records the attempt.
    async fn deliver(&self, token: &str, delivery: ClaimedDelivery) {
        let attempt = match self.attachment(&delivery).await {
            Ok(attachment) => {
                send::attempt(
                    &self.channels,
                    &self.http,
                    self.settings.send_timeout,
                    &delivery,
                    attachment.as_ref(),
                )
                .await
            }
            Err(outcome) => SendAttempt {
                started_at_ms: jiff::Timestamp::now().as_millisecond(),
                duration_ms: 0,
                outcome,
            },
        };
        if let Some(observer) = &self.observer {
            let outcome = match attempt.outcome {
                SendOutcome::Delivered { .. } => "delivered",
                SendOutcome::Failed { .. } => "failed",
                SendOutcome::Undeliverable { .. } => "undeliverable",
            };
            observer.attempted(delivery.channel, outcome);
        }
        let jitter_per_mille = rand::thread_rng().gen_range(-100..=100);
        let engine = self.engine.clone();
        let token_owned = token.to_string();
        let recorded_delivery = delivery.clone();
        let recorded_attempt = attempt.clone();
        let finished = self
            .engine
            .store
            .write(move |tx| {
                let engine = engine.clone();
                let token = token_owned.clone();
                let delivery = recorded_delivery.clone();
                let attempt = recorded_attempt.clone();
                Box::pin(async move {
                    engine
                        .finish_delivery(tx, &delivery, &token, &attempt, jitter_per_mille)
                        .await
                })
            })
            .await;
        match finished {
            Ok(Some(finished)) => tracing::info!(
                delivery = delivery.id,
                channel = delivery.channel.as_str(),
                // Redacted when written; again for a delivery an older tenure wrote.
                recipient = redact_url_credentials(&delivery.recipient),
                outcome = ?attempt.outcome,
                after = ?finished.after,
                "delivery attempted"
            ),
            Ok(None) => tracing::warn!(
                delivery = delivery.id,
                "a delivery's lease ran out before its attempt was recorded; another sender has it"
            ),
            Err(error) => tracing::error!(
                delivery = delivery.id,
                %error,
                "recording a delivery's attempt failed; it is tried again when its lease runs out"
            ),
        }
    }

    /// What an email carries beside its text: the PDF of the invoice or credit note its notice
    /// brings, rendered now from the stored document (the same bytes as `GET
    /// /v1/invoices/{id}/pdf`), so nothing but the document is kept. Reading it may fail for a
    /// while (tried again); a document that does not render never will (given up).
    async fn attachment(
        &self,
        delivery: &ClaimedDelivery,
    ) -> Result<Option<send::Attachment>, SendOutcome> {
        let (
            Carried::Notice {
                invoice_id: Some(invoice_id),
                ..
            },
            DeliveryChannel::Email,
        ) = (&delivery.carried, delivery.channel)
        else {
            return Ok(None);
        };
        let read = async {
            let mut connection = self.engine.store.read().await?;
            self.engine.invoice(&mut connection, invoice_id).await
        };
        let issued = read
            .await
            .map_err(|error: EngineError| SendOutcome::Failed {
                answer_code: None,
                error: format!("invoice {invoice_id} could not be read: {error}"),
            })?;
        let bytes = tenure_documents::pdf(&issued.document).map_err(|error| {
            SendOutcome::Undeliverable {
                error: format!("invoice {invoice_id} does not render as a PDF: {error}"),
            }
        })?;
        Ok(Some(send::Attachment {
            file_name: format!("{}.pdf", issued.document.number),
            content_type: "application/pdf",
            bytes,
        }))
    }
}

/// Deliveries claimed together, with their claim's token.
#[derive(Default)]
struct Claim(String, Vec<ClaimedDelivery>);

impl Claim {
    fn is_empty(&self) -> bool {
        self.1.is_empty()
    }
}
