//! tenure's use cases and its scheduler: the imperative shell around `tenure-core`.
//!
//! Every use case has the same shape: lock the rows it depends on, ask the core for a decision,
//! write the decision (state, order, ledger entry, events, notices) — all inside the one
//! [`tenure_store::Tx`] its caller passes in. The caller (the HTTP server, the simulator)
//! commits, so a request's idempotency record commits with its work.

pub mod access;
pub mod accounts;
pub mod auto_renewal;
pub mod billing_profiles;
pub mod bills;
pub mod card_refunds;
pub mod changes;
pub mod clock;
pub mod deliveries;
mod delivery_log;
pub mod domain_statuses;
mod engine;
mod error;
mod event_log;
pub mod forecast;
pub mod free_instances;
mod ids;
pub mod instances;
pub mod invoices;
mod locks;
mod low_balance;
pub mod orders;
pub mod overdue;
pub mod overview;
pub mod payments;
mod record;
pub mod records;
pub mod release;
pub mod renew;
pub mod resource_plans;
pub mod scheduler;
pub mod unsubscriptions;
pub mod usage;
pub mod webhook_endpoints;

pub use clock::{Clock, ClockChoice};
pub use engine::{Channels, Engine};
pub use error::EngineError;
pub use ids::Ids;
