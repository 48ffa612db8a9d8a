//! Webhooks for an operator's systems, in the convention of Standard Webhooks: which events an
//! endpoint hears of (`endpoint.rs`), what a message holds (`message.rs`) and how it is signed
//! (`signature.rs`).

mod endpoint;
mod message;
mod signature;

pub use endpoint::{
    check_description, check_url, hears, EndpointError, Subscription, MAX_DESCRIPTION_CHARS,
    MAX_URL_CHARS,
};
pub use message::message_body;
pub use signature::{
    sign, signatures, PreviousSecret, SigningSecret, PREVIOUS_SECRET_SIGNS_MS, SECRET_PREFIX,
};
