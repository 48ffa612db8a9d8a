//! The operator's webhook endpoints (see the version 6 migration). The secret is read only by
//! what signs and by the answers that show it once; [`WebhookEndpoint`] does not carry it.

use jiff::Timestamp;

use crate::connect::{StoreError, Tx};
use crate::database::{query, Connection, DatabaseError, Row};
use crate::time::{from_seconds, to_seconds};

/// An endpoint as shown: everything but its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
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

const COLUMNS: &str = "id, url, description, events, created_at, secret_rotated_at, \
     previous_secret_until_ms, disabled_at, disabled_reason";

fn from_row(row: &Row) -> Result<WebhookEndpoint, DatabaseError> {
    let events: String = row.try_get("events")?;
    Ok(WebhookEndpoint {
        id: row.try_get("id")?,
        url: row.try_get("url")?,
        description: row.try_get("description")?,
        events: events.split(',').map(str::to_string).collect(),
        created_at: from_seconds(row.try_get("created_at")?),
        secret_rotated_at: row
            .try_get::<Option<i64>>("secret_rotated_at")?
            .map(from_seconds),
        previous_secret_signs_until: row
            .try_get::<Option<i64>>("previous_secret_until_ms")?
            .map(|until_ms| Timestamp::from_millisecond(until_ms).unwrap_or(Timestamp::MAX)),
        disabled_at: row.try_get::<Option<i64>>("disabled_at")?.map(from_seconds),
        disabled_reason: row.try_get("disabled_reason")?,
    })
}

/// A new endpoint, its secret with it.
pub struct NewEndpoint<'a> {
    pub id: &'a str,
    pub url: &'a str,
    pub description: &'a str,
    pub events: &'a [String],
    pub secret: &'a str,
    pub created_at: Timestamp,
}

pub async fn insert(tx: &mut Tx, endpoint: &NewEndpoint<'_>) -> Result<(), StoreError> {
    query(
        "INSERT INTO webhook_endpoints (id, url, description, events, secret, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(endpoint.id)
    .bind(endpoint.url)
    .bind(endpoint.description)
    .bind(endpoint.events.join(","))
    .bind(endpoint.secret)
    .bind(to_seconds(endpoint.created_at))
    .execute(tx)
    .await?;
    Ok(())
}

/// A live (not deleted) endpoint.
pub async fn get(
    connection: &mut Connection,
    id: &str,
) -> Result<Option<WebhookEndpoint>, StoreError> {
    let sql =
        format!("SELECT {COLUMNS} FROM webhook_endpoints WHERE id = $1 AND deleted_at IS NULL");
    let row = query(&sql).bind(id).fetch_optional(connection).await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// Live endpoints in id order, `limit` after `after_id`.
pub async fn list(
    connection: &mut Connection,
    after_id: Option<&str>,
    limit: i64,
) -> Result<Vec<WebhookEndpoint>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM webhook_endpoints WHERE deleted_at IS NULL AND id > $1
         ORDER BY id LIMIT $2"
    );
    let rows = query(&sql)
        .bind(after_id.unwrap_or(""))
        .bind(limit)
        .fetch_all(connection)
        .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// Marks a live endpoint deleted; answers whether there was one.
pub async fn delete(tx: &mut Tx, id: &str, now: Timestamp) -> Result<bool, StoreError> {
    let result =
        query("UPDATE webhook_endpoints SET deleted_at = $2 WHERE id = $1 AND deleted_at IS NULL")
            .bind(id)
            .bind(to_seconds(now))
            .execute(tx)
            .await?;
    Ok(result.rows_affected() == 1)
}

/// Gives a live endpoint a new secret, keeping the one it replaces to sign beside it until
/// `previous_until_ms` (the secret before that is forgotten); answers whether there was one.
pub async fn rotate_secret(
    tx: &mut Tx,
    id: &str,
    secret: &str,
    now: Timestamp,
    previous_until_ms: i64,
) -> Result<bool, StoreError> {
    let result = query(
        "UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_until_ms = $4,
            secret = $2, secret_rotated_at = $3
         WHERE id = $1 AND deleted_at IS NULL",
    )
    .bind(id)
    .bind(secret)
    .bind(to_seconds(now))
    .bind(previous_until_ms)
    .execute(tx)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// An endpoint events are sent to: live and not disabled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveEndpoint {
    pub id: String,
    pub url: String,
    /// The event types it hears of (`*` for all), as stored.
    pub events: Vec<String>,
}

/// Every endpoint events are sent to now, in id order.
pub async fn active(connection: &mut Connection) -> Result<Vec<ActiveEndpoint>, StoreError> {
    let rows = query(
        "SELECT id, url, events FROM webhook_endpoints
         WHERE deleted_at IS NULL AND disabled_at IS NULL ORDER BY id",
    )
    .fetch_all(connection)
    .await?;
    rows.iter()
        .map(|row| {
            let events: String = row.try_get("events")?;
            Ok(ActiveEndpoint {
                id: row.try_get("id")?,
                url: row.try_get("url")?,
                events: events.split(',').map(str::to_string).collect(),
            })
        })
        .collect()
}

/// Records that a delivery to the endpoint succeeded: its run of failures, if any, is over.
pub async fn record_success(tx: &mut Tx, id: &str) -> Result<(), StoreError> {
    query(
        "UPDATE webhook_endpoints SET failing_since_ms = NULL
         WHERE id = $1 AND failing_since_ms IS NOT NULL",
    )
    .bind(id)
    .execute(tx)
    .await?;
    Ok(())
}

/// Records that a delivery to the live, enabled endpoint failed at `at_ms`, and answers since
/// when it has been failing (`at_ms` if this is the first failure since a success); `None` if
/// it is deleted or disabled already.
pub async fn record_failure(tx: &mut Tx, id: &str, at_ms: i64) -> Result<Option<i64>, StoreError> {
    let row = query(
        "UPDATE webhook_endpoints SET failing_since_ms = COALESCE(failing_since_ms, $2)
         WHERE id = $1 AND deleted_at IS NULL AND disabled_at IS NULL
         RETURNING failing_since_ms",
    )
    .bind(id)
    .bind(at_ms)
    .fetch_optional(tx)
    .await?;
    Ok(row
        .map(|row| row.try_get::<Option<i64>>("failing_since_ms"))
        .transpose()?
        .flatten())
}

/// Stops sending to an endpoint, saying why. Answers whether it was live and enabled.
pub async fn disable(
    tx: &mut Tx,
    id: &str,
    now: Timestamp,
    reason: &str,
) -> Result<bool, StoreError> {
    let result = query(
        "UPDATE webhook_endpoints SET disabled_at = $2, disabled_reason = $3
         WHERE id = $1 AND deleted_at IS NULL AND disabled_at IS NULL",
    )
    .bind(id)
    .bind(to_seconds(now))
    .bind(reason)
    .execute(tx)
    .await?;
    Ok(result.rows_affected() == 1)
}
