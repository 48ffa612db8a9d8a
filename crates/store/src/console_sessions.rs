//! The console's session signing key and the sessions signed out before their expiry (see the
//! version 10 migration). Neither moves with `tenure export`: see `transfer::UNMOVED`.

use crate::connect::{StoreError, Tx};
use crate::database::{query, Connection};

/// The session signing key kept in the database: `candidate` if none is kept yet, else the
/// one kept (another node's, made first). Nodes starting at once agree: the insert does
/// nothing where a row is, and every node reads the row that won.
pub async fn session_key(tx: &mut Tx, candidate: &str) -> Result<String, StoreError> {
    query(
        "INSERT INTO console_secrets (name, value) VALUES ('session_key', $1)
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(candidate)
    .execute(&mut *tx)
    .await?;
    let row = query("SELECT value FROM console_secrets WHERE name = 'session_key'")
        .fetch_one(tx)
        .await?;
    Ok(row.try_get("value")?)
}

/// Records session `session_id` as ended until `expires_at` (when its cookie would have
/// expired anyway), and forgets the ended sessions that have expired since, so the table holds
/// only sessions that could still be shown.
pub async fn end(
    tx: &mut Tx,
    session_id: &str,
    expires_at: i64,
    now: i64,
) -> Result<(), StoreError> {
    query("DELETE FROM console_sessions_ended WHERE expires_at < $1")
        .bind(now)
        .execute(&mut *tx)
        .await?;
    query(
        "INSERT INTO console_sessions_ended (session_id, expires_at) VALUES ($1, $2)
         ON CONFLICT (session_id) DO NOTHING",
    )
    .bind(session_id)
    .bind(expires_at)
    .execute(tx)
    .await?;
    Ok(())
}

/// Whether session `session_id` was signed out.
pub async fn has_ended(connection: &mut Connection, session_id: &str) -> Result<bool, StoreError> {
    Ok(
        query("SELECT 1 AS found FROM console_sessions_ended WHERE session_id = $1")
            .bind(session_id)
            .fetch_optional(connection)
            .await?
            .is_some(),
    )
}
