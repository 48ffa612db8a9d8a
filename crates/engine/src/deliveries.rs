//! The delivery outbox's use cases: claiming due deliveries for a sender, recording what an
//! attempt at one gave (tried again later by the core's [`DeliveryPolicy`], given up after
//! days, and an endpoint failing for days disabled, with an event), and an operator's retry. The sending itself is `tenure-delivery`'s.

use jiff::Timestamp;
use tenure_core::delivery::{
    redact_url_credentials, DeliveryChannel, DeliveryPolicy, DeliveryStatus,
};
use tenure_core::event::{EventData, EventDraft, EventKind};
use tenure_store::deliveries::{self, AfterAttempt, AttemptWrite, ClaimedDelivery, StoredDelivery};
use tenure_store::webhook_endpoints;
use tenure_store::Tx;

use crate::engine::Engine;
use crate::error::EngineError;
use crate::record::RecordBuffer;

/// What one attempt at sending gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// The receiver took it (a 2xx, or the SMTP server accepted the message).
    Delivered { answer_code: i64 },
    /// Not taken this time: tried again later.
    Failed {
        answer_code: Option<i64>,
        error: String,
    },
    /// Cannot be sent at all (its endpoint was deleted or disabled, its channel is no longer
    /// configured): given up at once.
    Undeliverable { error: String },
}

/// An attempt: when it started (real Unix milliseconds), how long it took and what it gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendAttempt {
    pub started_at_ms: i64,
    pub duration_ms: i64,
    pub outcome: SendOutcome,
}

/// What became of a delivery after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finished {
    pub after: AfterAttempt,
    /// Whether its endpoint was disabled by this failure.
    pub endpoint_disabled: bool,
}

fn next_after(
    policy: &DeliveryPolicy,
    claimed: &ClaimedDelivery,
    attempt: &SendAttempt,
    jitter_per_mille: i32,
) -> AfterAttempt {
    match attempt.outcome {
        SendOutcome::Delivered { .. } => AfterAttempt::Sent,
        SendOutcome::Undeliverable { .. } => AfterAttempt::Failed,
        SendOutcome::Failed { .. } => {
            let created_at = from_ms(claimed.created_at_ms);
            let failed_at = from_ms(attempt.started_at_ms + attempt.duration_ms);
            let failures = u32::try_from(claimed.attempts + 1).unwrap_or(u32::MAX);
            match policy.next_attempt_at(created_at, failed_at, failures, jitter_per_mille) {
                Some(next) => AfterAttempt::RetryAt {
                    due_at_ms: next.as_millisecond(),
                },
                None => AfterAttempt::Failed,
            }
        }
    }
}

fn from_ms(milliseconds: i64) -> Timestamp {
    Timestamp::from_millisecond(milliseconds).unwrap_or(Timestamp::MAX)
}

impl Engine {
    /// Claims at most `limit` due deliveries for `token` until `lease_until_ms`.
    pub async fn claim_deliveries(
        &self,
        tx: &mut Tx,
        now_ms: i64,
        limit: i64,
        lease_until_ms: i64,
        token: &str,
    ) -> Result<Vec<ClaimedDelivery>, EngineError> {
        Ok(deliveries::claim_due(tx, now_ms, limit, lease_until_ms, token).await?)
    }

    /// Records an attempt at a claimed delivery and what becomes of it; for a webhook, the
    /// endpoint's run of failures, and the endpoint disabled (with a
    /// `webhook_endpoint.disabled` event) when the policy says it has failed long enough.
    /// `None` if the claim is no longer `token`'s (nothing is recorded then).
    pub async fn finish_delivery(
        &self,
        tx: &mut Tx,
        claimed: &ClaimedDelivery,
        token: &str,
        attempt: &SendAttempt,
        jitter_per_mille: i32,
    ) -> Result<Option<Finished>, EngineError> {
        let after = next_after(&self.delivery_policy, claimed, attempt, jitter_per_mille);
        let (answer_code, error) = match &attempt.outcome {
            SendOutcome::Delivered { answer_code } => (Some(*answer_code), None),
            SendOutcome::Failed { answer_code, error } => (*answer_code, Some(error.clone())),
            SendOutcome::Undeliverable { error } => (None, Some(error.clone())),
        };
        let write = AttemptWrite {
            at_ms: attempt.started_at_ms,
            duration_ms: attempt.duration_ms,
            answer_code,
            error,
        };
        if !deliveries::finish(tx, claimed, token, &write, after).await? {
            return Ok(None);
        }
        let mut endpoint_disabled = false;
        if let (DeliveryChannel::Webhook, Some(endpoint_id)) =
            (claimed.channel, &claimed.endpoint_id)
        {
            match attempt.outcome {
                SendOutcome::Delivered { .. } => {
                    webhook_endpoints::record_success(tx, endpoint_id).await?;
                }
                SendOutcome::Failed { .. } => {
                    let failed_at_ms = attempt.started_at_ms + attempt.duration_ms;
                    if let Some(since_ms) =
                        webhook_endpoints::record_failure(tx, endpoint_id, failed_at_ms).await?
                    {
                        if self
                            .delivery_policy
                            .should_disable(from_ms(since_ms), from_ms(failed_at_ms))
                        {
                            self.disable_endpoint(tx, endpoint_id, &claimed.recipient, since_ms)
                                .await?;
                            endpoint_disabled = true;
                        }
                    }
                }
                SendOutcome::Undeliverable { .. } => {}
            }
        }
        Ok(Some(Finished {
            after,
            endpoint_disabled,
        }))
    }

    async fn disable_endpoint(
        &self,
        tx: &mut Tx,
        endpoint_id: &str,
        url: &str,
        failing_since_ms: i64,
    ) -> Result<(), EngineError> {
        let now = self.clock.now();
        // The delivery's recipient, redacted when written; again for one an older tenure wrote.
        let url = redact_url_credentials(url);
        let url = url.as_str();
        let failing_since = from_ms(failing_since_ms);
        let reason = format!(
            "every delivery failed since {failing_since}, for {} hours or more",
            self.delivery_policy.disable_endpoint_after.as_hours()
        );
        if !webhook_endpoints::disable(tx, endpoint_id, now, &reason).await? {
            return Ok(());
        }
        deliveries::fail_pending_to_endpoint(tx, endpoint_id, "the endpoint was disabled").await?;
        tracing::warn!(endpoint_id, url, %failing_since, "webhook endpoint disabled");
        let event = EventDraft {
            kind: EventKind::WebhookEndpointDisabled,
            // An endpoint is the operator's, of no account.
            account_id: String::new(),
            instance_id: None,
            data: EventData::object()
                .text("endpoint_id", endpoint_id)
                .time("failing_since", failing_since)
                .text("reason", &reason)
                .text("url", url)
                .finish(),
        };
        let mut buffer = RecordBuffer::default();
        self.buffer_events(&mut buffer, now, [event]);
        buffer.flush(tx, self).await
    }

    /// An operator's retry: a pending or failed delivery is sent again now (its attempts
    /// kept); one already sent is refused, as sending it again would be a duplicate.
    pub async fn retry_delivery(
        &self,
        tx: &mut Tx,
        id: &str,
    ) -> Result<StoredDelivery, EngineError> {
        match deliveries::retry(tx, id, crate::record::real_now_ms()).await? {
            None => Err(EngineError::not_found("delivery", id)),
            Some(DeliveryStatus::Sent) => Err(EngineError::refused(
                "delivery_sent",
                format!("delivery {id} was sent already; it is not sent twice"),
            )),
            Some(_) => deliveries::get(tx, id)
                .await?
                .ok_or_else(|| EngineError::not_found("delivery", id)),
        }
    }
}
