use std::sync::Arc;

use tenure_core::catalog::{Catalog, Product};
use tenure_core::delivery::DeliveryPolicy;
use tenure_store::{Store, Tx};
use tokio::sync::Mutex;

use crate::clock::Clock;
use crate::error::EngineError;
use crate::ids::Ids;

/// How long an idempotency key and its answer are kept: at least the 24 hours promised.
pub const IDEMPOTENCY_KEY_RETENTION_HOURS: i64 = 48;

/// Everything a use case needs: the database, the catalog, the clock and the id maker.
pub struct Engine {
    pub store: Store,
    pub catalog: Arc<Catalog>,
    pub clock: Clock,
    pub ids: Ids,
    /// One clock advance or sweep at a time in this process, so steps run in time order; it
    /// holds the maps a sweep reads accounts and funds into, kept empty between sweeps
    /// (`scheduler::TransactionReads`).
    pub(crate) sweep_lock: Mutex<crate::scheduler::TransactionReads>,
    /// The channels this server sends notices on; a notice on another is `undeliverable`.
    pub channels: Channels,
    /// When failed deliveries are tried again, and when they and their endpoints are given up.
    pub delivery_policy: DeliveryPolicy,
    /// The payment provider cards are charged through, if one is configured.
    pub card_payments: Option<crate::payments::CardPayments>,
    /// Where notices meant for the operator go (`--operator-email`): a dispute's. Without it
    /// such a happening is an event alone.
    pub operator_email: Option<String>,
}

/// The notice channels a server has been given a way to send on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Channels {
    /// An SMTP server (`--smtp-url`).
    pub email: bool,
    /// An SMS gateway (`--sms-gateway-url`).
    pub sms: bool,
}

impl Engine {
    pub fn new(store: Store, catalog: Catalog, clock: Clock, ids: Ids) -> Engine {
        Engine {
            store,
            catalog: Arc::new(catalog),
            clock,
            ids,
            sweep_lock: Mutex::new(Default::default()),
            channels: Channels::default(),
            delivery_policy: DeliveryPolicy::default(),
            card_payments: None,
            operator_email: None,
        }
    }

    /// The engine sending notices on `channels`, retrying by `policy`.
    pub fn with_delivery(mut self, channels: Channels, policy: DeliveryPolicy) -> Engine {
        self.channels = channels;
        self.delivery_policy = policy;
        self
    }

    /// The engine sending the operator's notices to `address`.
    pub fn with_operator_email(mut self, address: Option<String>) -> Engine {
        self.operator_email = address;
        self
    }

    pub async fn begin(&self) -> Result<Tx, EngineError> {
        Ok(self.store.begin().await?)
    }

    /// Forgets idempotency keys older than `IDEMPOTENCY_KEY_RETENTION_HOURS`.
    pub async fn expire_idempotency_keys(&self, now: jiff::Timestamp) -> Result<u64, EngineError> {
        let before = now - jiff::SignedDuration::from_hours(IDEMPOTENCY_KEY_RETENTION_HOURS);
        let mut tx = self.begin().await?;
        let forgotten = tenure_store::idempotency::expire(&mut tx, before).await?;
        tx.commit().await?;
        Ok(forgotten)
    }

    pub fn product(&self, product_id: &str) -> Result<&Product, EngineError> {
        self.catalog.product(product_id).ok_or_else(|| {
            EngineError::invalid(
                "unknown_product",
                format!("there is no product `{product_id}` in the catalog"),
            )
        })
    }
}
