//! The JSON of tenure's HTTP API: the type of every request body, query and answer, in one
//! place. The server answers these types and reads these types; the OpenAPI document is made
//! from them (their `JsonSchema`); the console reads the API's answers back as them; a Rust
//! client can depend on this crate alone.
//!
//! Nothing here decides anything. With the `domain` feature each answer type converts (`From`)
//! from the engine's or the store's type it shows, and a field those types keep for their own
//! bookkeeping is simply not copied: what the API shows is chosen here, once.
//!
//! Names: a type is named for what a client holds (`Order`, `Instance`, `Event`), never for
//! where tenure keeps it. Enums are plain strings (`rename_all = "snake_case"`), their values'
//! meanings in their doc comments. Amounts are `i64` minor units and end in `_minor`; times
//! are `jiff::Timestamp` (RFC 3339).

pub mod whole_number;

#[macro_use]
mod mirror;
pub mod period;

mod error;
pub mod listing;
mod nothing;

pub mod access;
pub mod accounts;
pub mod approvals;
pub mod billing_profiles;
pub mod bills;
pub mod catalog;
pub mod changes;
pub mod clock;
pub mod deliveries;
pub mod domain_statuses;
pub mod events;
pub mod forecast;
pub mod health;
pub mod instances;
pub mod invoices;
pub mod ledger;
pub mod orders;
pub mod overview;
pub mod payments;
pub mod refunds;
pub mod renewals;
pub mod stuck_steps;
pub mod unsubscriptions;
pub mod usage;
pub mod webhooks;

pub use error::Error;
pub use listing::{Listing, Page};
pub use nothing::Nothing;
pub use period::Period;
