//! The simulated clock's time (see the version 8 migration): read at start and by every node
//! now and then, moved forward in the transactions that take steps.

use jiff::Timestamp;

use crate::connect::{Dialect, StoreError, Tx};
use crate::database::{query, Connection};
use crate::time::{from_seconds, to_seconds};

/// The time kept, if a simulated clock ever ran on this database.
pub async fn read(connection: &mut Connection) -> Result<Option<Timestamp>, StoreError> {
    let row = query("SELECT now FROM simulated_clock WHERE id = 1")
        .fetch_optional(connection)
        .await?;
    Ok(row
        .map(|row| row.try_get::<i64>("now"))
        .transpose()?
        .map(from_seconds))
}

/// Moves the kept time to `at`, unless it is later already: it never goes back.
pub async fn advance(tx: &mut Tx, at: Timestamp) -> Result<(), StoreError> {
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
