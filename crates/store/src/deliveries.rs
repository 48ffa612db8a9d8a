//! The delivery outbox (see the version 7 migration): deliveries written beside the notices and
//! events they carry, claimed by senders with a lease, finished with one attempt recorded each
//! time, and listed with their attempts. Times here are real Unix milliseconds.

use jiff::Timestamp;
use tenure_core::delivery::{DeliveryChannel, DeliveryStatus};

use crate::connect::{Dialect, StoreError, Tx};
use crate::database::{execute_rows, list_placeholders, query, Connection, DatabaseError, Row};
use crate::time::from_seconds;

/// A delivery to write: pending, due at once.
#[derive(Debug, Clone)]
pub struct DeliveryWrite {
    pub id: String,
    /// What receivers deduplicate by: the notice's id, or the event's (`webhook-id`).
    pub message_id: String,
    pub channel: DeliveryChannel,
    pub account_id: String,
    pub notice_id: Option<String>,
    pub event_id: Option<String>,
    pub endpoint_id: Option<String>,
    /// The email address, mobile number or URL, as it was when the delivery was made.
    pub recipient: String,
    pub created_at_ms: i64,
}

pub async fn insert_many(tx: &mut Tx, deliveries: &[DeliveryWrite]) -> Result<(), StoreError> {
    execute_rows(
        tx,
        "{insert} deliveries (id, message_id, channel, account_id, notice_id, event_id, endpoint_id, recipient, status, created_at_ms, due_at_ms, attempts) VALUES {values}",
        12,
        deliveries,
        |query, write| {
            query
                .bind(&write.id)
                .bind(&write.message_id)
                .bind(write.channel.as_str())
                .bind(&write.account_id)
                .bind(&write.notice_id)
                .bind(&write.event_id)
                .bind(&write.endpoint_id)
                .bind(&write.recipient)
                .bind(DeliveryStatus::Pending.as_str())
                .bind(write.created_at_ms)
                .bind(write.created_at_ms)
                .bind(0_i64)
        },
    )
    .await?;
    Ok(())
}

/// What a claimed delivery carries, read with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Carried {
    /// A notice's email or SMS.
    Notice {
        kind: String,
        subject: String,
        body: String,
        /// The invoice or credit note whose PDF the email carries.
        invoice_id: Option<String>,
    },
    /// An event, for a webhook endpoint: its URL and secret as they are now (the endpoint is
    /// `None` if it was deleted or disabled since).
    Event {
        kind: String,
        at: Timestamp,
        data: String,
        endpoint: Option<EndpointTarget>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointTarget {
    pub url: String,
    pub secret: String,
    /// The secret the last rotation replaced and until when it signs too (real Unix
    /// milliseconds); the sender decides, at its sending time, whether it still does.
    pub previous_secret: Option<(String, i64)>,
}

/// A delivery a sender has claimed, until `lease_until_ms`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedDelivery {
    pub id: String,
    pub message_id: String,
    pub channel: DeliveryChannel,
    pub account_id: String,
    pub notice_id: Option<String>,
    pub endpoint_id: Option<String>,
    pub recipient: String,
    pub created_at_ms: i64,
    /// Attempts made before this one.
    pub attempts: i64,
    pub carried: Carried,
}

/// Claims at most `limit` deliveries due at `now_ms` whose lease (if any) has run out, for the
/// claim `token` until `lease_until_ms`, and reads what they carry. On PostgreSQL the rows are
/// picked `FOR UPDATE SKIP LOCKED`, so nodes claiming at once take different deliveries; the
/// lease keeps them apart after the claim commits, while the message is being sent.
pub async fn claim_due(
    tx: &mut Tx,
    now_ms: i64,
    limit: i64,
    lease_until_ms: i64,
    token: &str,
) -> Result<Vec<ClaimedDelivery>, StoreError> {
    let skip_locked = match tx.dialect() {
        Dialect::Sqlite => "",
        Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
    };
    let claim = format!(
        "UPDATE deliveries SET lease_until_ms = $1, lease_token = $2
         WHERE id IN (
            SELECT id FROM deliveries
            WHERE status = 'pending' AND due_at_ms <= $3
              AND (lease_until_ms IS NULL OR lease_until_ms <= $3)
            ORDER BY due_at_ms LIMIT $4{skip_locked}
         )"
    );
    let claimed = query(&claim)
        .bind(lease_until_ms)
        .bind(token)
        .bind(now_ms)
        .bind(limit)
        .execute(tx)
        .await?;
    if claimed.rows_affected() == 0 {
        return Ok(Vec::new());
    }
    // The claimed rows are among the pending ones due now: read through the same index.
    let rows = query(
        "SELECT d.id, d.message_id, d.channel, d.account_id, d.notice_id, d.endpoint_id,
                d.recipient, d.created_at_ms, d.attempts,
                n.kind AS notice_kind, n.subject, n.body, n.invoice_id,
                e.kind AS event_kind, e.at AS event_at, e.data AS event_data,
                w.url AS endpoint_url, w.secret AS endpoint_secret,
                w.previous_secret AS endpoint_previous_secret,
                w.previous_secret_until_ms AS endpoint_previous_until_ms
         FROM deliveries d
         LEFT JOIN notifications n ON n.id = d.notice_id
         LEFT JOIN events e ON e.id = d.event_id
         LEFT JOIN webhook_endpoints w ON w.id = d.endpoint_id
            AND w.deleted_at IS NULL AND w.disabled_at IS NULL
         WHERE d.status = 'pending' AND d.due_at_ms <= $1 AND d.lease_token = $2
         ORDER BY d.due_at_ms",
    )
    .bind(now_ms)
    .bind(token)
    .fetch_all(tx)
    .await?;
    Ok(rows
        .iter()
        .map(claimed_from_row)
        .collect::<Result<_, _>>()?)
}

fn claimed_from_row(row: &Row) -> Result<ClaimedDelivery, DatabaseError> {
    let carried = match row.try_get::<Option<String>>("event_kind")? {
        Some(kind) => Carried::Event {
            kind,
            at: from_seconds(row.try_get("event_at")?),
            data: row.try_get("event_data")?,
            endpoint: match row.try_get::<Option<String>>("endpoint_url")? {
                Some(url) => Some(EndpointTarget {
                    url,
                    secret: row.try_get("endpoint_secret")?,
                    previous_secret: match (
                        row.try_get::<Option<String>>("endpoint_previous_secret")?,
                        row.try_get::<Option<i64>>("endpoint_previous_until_ms")?,
                    ) {
                        (Some(secret), Some(until_ms)) => Some((secret, until_ms)),
                        _ => None,
                    },
                }),
                None => None,
            },
        },
        None => Carried::Notice {
            kind: row.try_get("notice_kind")?,
            subject: row.try_get("subject")?,
            body: row.try_get("body")?,
            invoice_id: row.try_get("invoice_id")?,
        },
    };
    Ok(ClaimedDelivery {
        id: row.try_get("id")?,
        message_id: row.try_get("message_id")?,
        channel: row.try_parse("channel")?,
        account_id: row.try_get("account_id")?,
        notice_id: row.try_get("notice_id")?,
        endpoint_id: row.try_get("endpoint_id")?,
        recipient: row.try_get("recipient")?,
        created_at_ms: row.try_get("created_at_ms")?,
        attempts: row.try_get("attempts")?,
        carried,
    })
}

/// When the next pending delivery falls due, if one is pending (leased or not).
pub async fn next_due_at_ms(connection: &mut Connection) -> Result<Option<i64>, StoreError> {
    Ok(
        query("SELECT MIN(due_at_ms) AS due FROM deliveries WHERE status = 'pending'")
            .fetch_one(connection)
            .await?
            .try_get("due")?,
    )
}

/// One attempt at sending a delivery: when, how long it took, and the receiver's answer (an
/// HTTP status or an SMTP reply code) or what went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptWrite {
    pub at_ms: i64,
    pub duration_ms: i64,
    pub answer_code: Option<i64>,
    pub error: Option<String>,
}

/// What becomes of a delivery after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterAttempt {
    Sent,
    RetryAt { due_at_ms: i64 },
    Failed,
}

/// Records `attempt` of the claimed delivery and what becomes of it, and the status of its
/// notice with it. `false`, changing nothing, if the claim is no longer this sender's (its
/// lease ran out and another claimed it).
pub async fn finish(
    tx: &mut Tx,
    claimed: &ClaimedDelivery,
    token: &str,
    attempt: &AttemptWrite,
    after: AfterAttempt,
) -> Result<bool, StoreError> {
    let (status, due_at_ms, sent_at_ms) = match after {
        AfterAttempt::Sent => (DeliveryStatus::Sent, None, Some(attempt.at_ms)),
        AfterAttempt::RetryAt { due_at_ms } => (DeliveryStatus::Pending, Some(due_at_ms), None),
        AfterAttempt::Failed => (DeliveryStatus::Failed, None, None),
    };
    let number = claimed.attempts + 1;
    let updated = query(
        "UPDATE deliveries SET status = $3, due_at_ms = $4, lease_until_ms = NULL,
            lease_token = NULL, attempts = $5, last_error = $6, sent_at_ms = $7
         WHERE id = $1 AND lease_token = $2",
    )
    .bind(&claimed.id)
    .bind(token)
    .bind(status.as_str())
    .bind(due_at_ms)
    .bind(number)
    .bind(&attempt.error)
    .bind(sent_at_ms)
    .execute(tx)
    .await?;
    if updated.rows_affected() == 0 {
        return Ok(false);
    }
    query(
        "INSERT INTO delivery_attempts (delivery_id, number, at_ms, duration_ms, answer_code, error)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&claimed.id)
    .bind(number)
    .bind(attempt.at_ms)
    .bind(attempt.duration_ms)
    .bind(attempt.answer_code)
    .bind(&attempt.error)
    .execute(tx)
    .await?;
    if let Some(notice_id) = &claimed.notice_id {
        set_notice_status(tx, notice_id, status.as_str(), attempt.error.as_deref()).await?;
    }
    Ok(true)
}

/// A notice's status (`pending`, `sent`, `failed` or `undeliverable`) and why, if not sent.
pub async fn set_notice_status(
    tx: &mut Tx,
    notice_id: &str,
    status: &str,
    reason: Option<&str>,
) -> Result<(), StoreError> {
    query("UPDATE notifications SET status = $2, status_reason = $3 WHERE id = $1")
        .bind(notice_id)
        .bind(status)
        .bind(reason)
        .execute(tx)
        .await?;
    Ok(())
}

/// Gives up the pending deliveries to an endpoint (disabled or deleted), with why.
pub async fn fail_pending_to_endpoint(
    tx: &mut Tx,
    endpoint_id: &str,
    reason: &str,
) -> Result<u64, StoreError> {
    let done = query(
        "UPDATE deliveries SET status = 'failed', due_at_ms = NULL, lease_until_ms = NULL,
            lease_token = NULL, last_error = $2
         WHERE endpoint_id = $1 AND status = 'pending'",
    )
    .bind(endpoint_id)
    .bind(reason)
    .execute(tx)
    .await?;
    Ok(done.rows_affected())
}

/// A delivery as listed, with every attempt made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDelivery {
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
    pub attempts: Vec<StoredAttempt>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAttempt {
    pub number: i64,
    pub at: Timestamp,
    pub duration_ms: i64,
    /// The receiver's HTTP status, or the SMTP server's reply code.
    pub answer_code: Option<i64>,
    pub error: Option<String>,
}

/// Filters of the delivery log.
#[derive(Debug, Clone, Default)]
pub struct DeliveryFilter {
    pub account_id: Option<String>,
    pub notice_id: Option<String>,
    pub event_id: Option<String>,
    pub endpoint_id: Option<String>,
    pub status: Option<String>,
}

const COLUMNS: &str = "id, message_id, channel, account_id, notice_id, event_id, endpoint_id, \
    recipient, status, created_at_ms, due_at_ms, sent_at_ms, last_error";

fn from_milliseconds(milliseconds: i64) -> Timestamp {
    Timestamp::from_millisecond(milliseconds).expect("stored times are valid Unix milliseconds")
}

fn from_row(row: &Row) -> Result<StoredDelivery, DatabaseError> {
    let status: DeliveryStatus = row.try_parse("status")?;
    Ok(StoredDelivery {
        id: row.try_get("id")?,
        message_id: row.try_get("message_id")?,
        channel: row.try_parse("channel")?,
        account_id: row.try_get("account_id")?,
        notice_id: row.try_get("notice_id")?,
        event_id: row.try_get("event_id")?,
        endpoint_id: row.try_get("endpoint_id")?,
        recipient: row.try_get("recipient")?,
        status,
        created_at: from_milliseconds(row.try_get("created_at_ms")?),
        next_attempt_at: row
            .try_get::<Option<i64>>("due_at_ms")?
            .map(from_milliseconds),
        sent_at: row
            .try_get::<Option<i64>>("sent_at_ms")?
            .map(from_milliseconds),
        last_error: row.try_get("last_error")?,
        attempts: Vec::new(),
    })
}

pub async fn list(
    connection: &mut Connection,
    filter: &DeliveryFilter,
    after_id: Option<&str>,
    limit: i64,
) -> Result<Vec<StoredDelivery>, StoreError> {
    let rows = crate::listing::fetch_page(
        connection,
        COLUMNS,
        "deliveries",
        &[
            ("account_id", &filter.account_id),
            ("notice_id", &filter.notice_id),
            ("event_id", &filter.event_id),
            ("endpoint_id", &filter.endpoint_id),
            ("status", &filter.status),
        ],
        after_id,
        limit,
    )
    .await?;
    let mut deliveries: Vec<StoredDelivery> =
        rows.iter().map(from_row).collect::<Result<_, _>>()?;
    with_attempts(connection, &mut deliveries).await?;
    Ok(deliveries)
}

pub async fn get(
    connection: &mut Connection,
    id: &str,
) -> Result<Option<StoredDelivery>, StoreError> {
    let row = query(&format!("SELECT {COLUMNS} FROM deliveries WHERE id = $1"))
        .bind(id)
        .fetch_optional(connection)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let mut deliveries = vec![from_row(&row)?];
    with_attempts(connection, &mut deliveries).await?;
    Ok(deliveries.pop())
}

/// Reads the attempts of `deliveries` (a page: at most a few hundred) in one statement.
async fn with_attempts(
    connection: &mut Connection,
    deliveries: &mut [StoredDelivery],
) -> Result<(), StoreError> {
    if deliveries.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "SELECT delivery_id, number, at_ms, duration_ms, answer_code, error
         FROM delivery_attempts WHERE delivery_id IN ({}) ORDER BY delivery_id, number",
        list_placeholders(deliveries.len())
    );
    let mut select = query(&sql);
    for delivery in deliveries.iter() {
        select = select.bind(&delivery.id);
    }
    for row in select.fetch_all(connection).await? {
        let delivery_id: String = row.try_get("delivery_id")?;
        let attempt = StoredAttempt {
            number: row.try_get("number")?,
            at: from_milliseconds(row.try_get("at_ms")?),
            duration_ms: row.try_get("duration_ms")?,
            answer_code: row.try_get("answer_code")?,
            error: row.try_get("error")?,
        };
        if let Some(delivery) = deliveries
            .iter_mut()
            .find(|delivery| delivery.id == delivery_id)
        {
            delivery.attempts.push(attempt);
        }
    }
    Ok(())
}

/// Makes a delivery pending again, due at `now_ms`, whatever it was (an operator's retry),
/// and its notice with it. `None` if there is no such delivery; else its status before.
pub async fn retry(
    tx: &mut Tx,
    id: &str,
    now_ms: i64,
) -> Result<Option<DeliveryStatus>, StoreError> {
    let row = query(&format!(
        "SELECT status, notice_id FROM deliveries WHERE id = $1{}",
        tx.for_update()
    ))
    .bind(id)
    .fetch_optional(tx)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let before: DeliveryStatus = row.try_parse("status")?;
    let notice_id: Option<String> = row.try_get("notice_id")?;
    if before == DeliveryStatus::Sent {
        return Ok(Some(before));
    }
    query(
        "UPDATE deliveries SET status = 'pending', due_at_ms = $2, lease_until_ms = NULL,
            lease_token = NULL
         WHERE id = $1",
    )
    .bind(id)
    .bind(now_ms)
    .execute(tx)
    .await?;
    if let Some(notice_id) = notice_id {
        set_notice_status(tx, &notice_id, DeliveryStatus::Pending.as_str(), None).await?;
    }
    Ok(Some(before))
}
