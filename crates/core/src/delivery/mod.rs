//! Delivering notices and events to people and systems: the channels and statuses of a
//! delivery and why a notice cannot be sent (`status.rs`), and when a failed delivery is tried again, given up, or its webhook
//! endpoint disabled (`policy.rs`); credentials kept out of what shows a URL (`redact.rs`).
//! Sending itself is the shell's (`crates/delivery`); every
//! time here is real time, since messages leave in real time whatever clock the lifecycle runs
//! on.

mod policy;
mod redact;
mod status;

pub use policy::DeliveryPolicy;
pub use redact::{redact_credentials_in, redact_url_credentials};
pub use status::{DeliveryChannel, DeliveryStatus, Undeliverable};
