//! Locks that span every node on one database, for work that must run on one node at a time
//! however many share the database: moving the simulated clock, whose moments are taken in time
//! order.

use crate::connect::{Backend, Store, StoreError};
use crate::database::DatabaseError;

/// What a lock is for; its number is the PostgreSQL advisory lock's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeLockName {
    /// Advancing the simulated clock.
    ClockAdvance,
}

impl NodeLockName {
    fn key(self) -> i64 {
        // "tenure" in ASCII, then the lock's number: clear of keys other software picks.
        const TENURE: i64 = 0x7465_6e75_7265 << 8;
        match self {
            NodeLockName::ClockAdvance => TENURE | 1,
        }
    }
}

/// Held until dropped or [`NodeLock::release`]d. On PostgreSQL it is a session advisory lock
/// on a connection of its own, out of the pool: a node that dies closes that connection, and
/// the server lets the lock go with it, so a dead node never holds it. On SQLite, whose
/// writers are one process's, it holds nothing (the engine's own lock serialises the work).
pub struct NodeLock {
    connection: Option<sqlx::PgConnection>,
}

impl Store {
    /// Waits until no other node holds `name`, and holds it.
    pub async fn lock_across_nodes(&self, name: NodeLockName) -> Result<NodeLock, StoreError> {
        let Backend::Postgres(pool) = &self.backend else {
            return Ok(NodeLock { connection: None });
        };
        let mut connection = pool.acquire().await.map_err(DatabaseError::from)?.detach();
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(name.key())
            .execute(&mut connection)
            .await
            .map_err(DatabaseError::from)?;
        Ok(NodeLock {
            connection: Some(connection),
        })
    }
}

impl NodeLock {
    /// Lets the lock go and waits until the server has: the next holder can start at once.
    /// (Dropped instead, the connection closes and the server lets go when it notices.)
    pub async fn release(mut self) {
        if let Some(connection) = self.connection.take() {
            use sqlx::Connection;
            if let Err(error) = connection.close().await {
                tracing::warn!(%error, "closing a node lock's connection failed; the server lets the lock go when it notices");
            }
        }
    }
}
