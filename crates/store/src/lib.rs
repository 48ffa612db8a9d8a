//! Persistence for tenure. One set of SQL statements runs on SQLite (the embedded default) and
//! PostgreSQL through [`database`]: times are stored as Unix seconds (`BIGINT`), money as
//! minor units (`BIGINT`), everything else as `TEXT`, so both databases agree on every type.
//!
//! Writes go through [`Tx`], one transaction per use case. On SQLite, which has one writer at a
//! time anyway, a process-wide lock serialises write transactions so they never fail with
//! "database is locked"; on PostgreSQL, rows a decision depends on are locked with
//! `SELECT … FOR UPDATE` ([`Tx::for_update`]).

pub mod accounts;
pub mod approvals;
pub mod backup;
pub mod billing_profiles;
pub mod bills;
mod connect;
pub mod console_sessions;
pub mod database;
pub mod deduction_attempts;
pub mod deliveries;
pub mod due_work;
pub mod events;
mod group_commit;
pub mod idempotency;
pub mod instances;
pub mod invoices;
pub mod keys;
pub mod ledger;
mod listing;
pub mod migrations;
mod node_lock;
pub mod orders;
pub mod overview;
pub mod payments;
pub mod refunds;
pub mod resource_plans;
pub mod simulated_clock;
pub mod stuck_steps;
mod time;
pub mod transfer;
pub mod usage;
pub mod webhook_endpoints;

pub use connect::{Dialect, Store, StoreError, Tx, DEFAULT_MAX_CONNECTIONS, SYSTEM_ACTOR};
/// A database connection, for reads outside a write transaction.
pub use database::{Connection, DatabaseError};
pub use group_commit::{WriteCounts, WriteFuture, WriteHealth};
/// The order a list is read in.
pub use listing::Direction as ListDirection;
pub use node_lock::{NodeLock, NodeLockName};
pub use time::{from_seconds, to_seconds};
