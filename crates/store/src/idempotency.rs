//! Idempotency keys. A mutating request with a key first claims it inside the transaction that
//! does its work, and saves its answer in that same transaction, so the work and the answer
//! commit together or not at all. The answer saved is the request's first once it began to
//! run, a refusal of its use case included (the server runs the work in a savepoint and, on a
//! refusal, undoes it and saves the refusal). A concurrent request with the same key waits on
//! the claim and then replays: on PostgreSQL the claim is a row inserted before the work, and
//! the second request blocks on the conflicting insert; on SQLite, whose one writer runs one
//! transaction at a time, the claim is only a look (nothing can take the key between it and the
//! save). A request that fails or is not committed leaves no row: its key is free again.

use jiff::Timestamp;

use crate::connect::{Dialect, StoreError, Tx};
use crate::database::{query, Connection};
use crate::time::to_seconds;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// First use of the key: do the work, then [`save`] the answer.
    New,
    /// The key was used for the same request: answer this again.
    Replay { status_code: u16, body: String },
    /// The key was used for a different request.
    Mismatch,
}

pub async fn claim(
    tx: &mut Tx,
    scope: &str,
    key: &str,
    request_hash: &str,
    now: Timestamp,
) -> Result<Claim, StoreError> {
    if tx.dialect() == Dialect::Postgres {
        // The claim's row; a concurrent claim of the same key waits here for this
        // transaction, and finds the saved answer once it commits.
        let inserted = query(
            "INSERT INTO idempotency (scope, key, request_hash, status_code, response_body, created_at)
             VALUES ($1, $2, $3, 0, '', $4) ON CONFLICT (scope, key) DO NOTHING",
        )
        .bind(scope)
        .bind(key)
        .bind(request_hash)
        .bind(to_seconds(now))
        .execute(tx)
        .await?;
        if inserted.rows_affected() == 1 {
            return Ok(Claim::New);
        }
    }
    Ok(match find(tx, scope, key).await? {
        None => Claim::New,
        Some((stored_hash, _, _)) if stored_hash != request_hash => Claim::Mismatch,
        Some((_, status_code, body)) => Claim::Replay { status_code, body },
    })
}

/// Saves the answer of a request whose key was claimed ([`Claim::New`]) in this transaction:
/// over the claim's row on PostgreSQL, as the key's first row on SQLite.
pub async fn save(
    tx: &mut Tx,
    scope: &str,
    key: &str,
    request_hash: &str,
    status_code: u16,
    body: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    query(
        "INSERT INTO idempotency (scope, key, request_hash, status_code, response_body, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (scope, key) DO UPDATE SET
            status_code = excluded.status_code, response_body = excluded.response_body",
    )
    .bind(scope)
    .bind(key)
    .bind(request_hash)
    .bind(i64::from(status_code))
    .bind(body)
    .bind(to_seconds(now))
    .execute(tx)
    .await?;
    Ok(())
}

/// Forgets keys older than `before` (kept at least 24 hours by the caller's choice of `before`).
pub async fn expire(tx: &mut Tx, before: Timestamp) -> Result<u64, StoreError> {
    let result = query("DELETE FROM idempotency WHERE created_at < $1")
        .bind(to_seconds(before))
        .execute(tx)
        .await?;
    Ok(result.rows_affected())
}

/// The saved answer for a key, if a request with it has committed (a read, no claim).
pub async fn find(
    connection: &mut Connection,
    scope: &str,
    key: &str,
) -> Result<Option<(String, u16, String)>, StoreError> {
    let row = query(
        "SELECT request_hash, status_code, response_body FROM idempotency WHERE scope = $1 AND key = $2 AND status_code > 0",
    )
    .bind(scope)
    .bind(key)
    .fetch_optional(connection)
    .await?;
    row.map(|row| -> Result<_, StoreError> {
        let status_code: i64 = row.try_get("status_code")?;
        Ok((
            row.try_get("request_hash")?,
            u16::try_from(status_code).unwrap_or(500),
            row.try_get("response_body")?,
        ))
    })
    .transpose()
}
