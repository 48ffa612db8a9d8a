//! The simulated clock's time (see the version 8 migration): read at start and by every node
//! now and then, moved forward in the transactions that take steps. Its row is what says a
//! database runs on a simulated clock: made when a node starts one, forgotten when an operator
//! moves the database to the machine's clock (`tenure serve --clock system`), so that every
//! later start runs on the machine's clock. Only a start makes the row ([`keep`]); the steps
//! a sweep takes only move it ([`advance`]), so a node that has not yet seen the database move
//! to the machine's clock cannot bring the row back.

use jiff::Timestamp;

use crate::connect::{Dialect, StoreError, Tx};
use crate::database::{query, Connection};
use crate::time::{from_seconds, to_seconds};

/// The time kept, if the database runs on a simulated clock.
pub async fn read(connection: &mut Connection) -> Result<Option<Timestamp>, StoreError> {
    let row = query("SELECT now FROM simulated_clock WHERE id = 1")
        .fetch_optional(connection)
        .await?;
    Ok(row
        .map(|row| row.try_get::<i64>("now"))
        .transpose()?
        .map(from_seconds))
}

/// Keeps a simulated clock at `at`, making the row if there is none, or moves the kept time
/// to `at` unless it is later already: it never goes back.
pub async fn keep(tx: &mut Tx, at: Timestamp) -> Result<(), StoreError> {
    let later = match tx.dialect() {
        Dialect::Sqlite => "MAX(now, excluded.now)",
        Dialect::Postgres => "GREATEST(simulated_clock.now, excluded.now)",
    };
    query(&format!(
        "INSERT INTO simulated_clock (id, now) VALUES (1, $1)
         ON CONFLICT (id) DO UPDATE SET now = {later}"
    ))
    .bind(to_seconds(at))
    .execute(tx)
    .await?;
    Ok(())
}

/// Moves the kept time to `at` unless it is later already, if a simulated clock is kept:
/// where the database moved to the machine's clock, nothing.
pub async fn advance(tx: &mut Tx, at: Timestamp) -> Result<(), StoreError> {
    let later = match tx.dialect() {
        Dialect::Sqlite => "MAX(now, $1)",
        Dialect::Postgres => "GREATEST(now, $1)",
    };
    query(&format!(
        "UPDATE simulated_clock SET now = {later} WHERE id = 1"
    ))
    .bind(to_seconds(at))
    .execute(tx)
    .await?;
    Ok(())
}

/// Forgets the simulated clock: the database runs on the machine's clock from now on.
pub async fn forget(tx: &mut Tx) -> Result<(), StoreError> {
    query("DELETE FROM simulated_clock WHERE id = 1")
        .execute(tx)
        .await?;
    Ok(())
}

/// The latest time recorded in the database, as far as a start needs it: no node may start
/// on a clock far behind it. Read from two places, each cheap by an index and each written
/// with the engine's clock:
/// - the event log: every use case that changes an account, an instance or money writes an
///   event at its time, in its transaction (ledger entries, orders and bills come with one).
///   Events are numbered by `seq` (the primary key) as they are written, so the latest are the
///   last by `seq`; on PostgreSQL transactions that overlap number their events in an order
///   that may differ from their times by a moment, so the latest of the last thousand is
///   taken, not the last one's.
/// - the idempotency keys' `created_at` (`idempotency_by_age`): a request with a key that
///   wrote no event (a refusal) is still a write dated by the clock.
///
/// Ledger entries, orders and the other tables' times are indexed only under their account,
/// so their maximum would read every row; they are left out, being covered by the events.
pub async fn latest_write(connection: &mut Connection) -> Result<Option<Timestamp>, StoreError> {
    let row = query(
        "SELECT
            (SELECT MAX(at) FROM (SELECT at FROM events ORDER BY seq DESC LIMIT 1000) AS latest)
                AS events_at,
            (SELECT MAX(created_at) FROM idempotency) AS keys_at",
    )
    .fetch_one(connection)
    .await?;
    let events_at = row.try_get::<Option<i64>>("events_at")?;
    let keys_at = row.try_get::<Option<i64>>("keys_at")?;
    Ok(events_at.max(keys_at).map(from_seconds))
}
