use std::sync::Arc;

use tenure_core::catalog::{Catalog, Product};
use tenure_store::{Store, Tx};
use tokio::sync::Mutex;

use crate::clock::Clock;
use crate::error::EngineError;
use crate::ids::Ids;

/// Everything a use case needs: the database, the catalog, the clock and the id maker.
pub struct Engine {
    pub store: Store,
    pub catalog: Arc<Catalog>,
    pub clock: Clock,
    pub ids: Ids,
    /// One clock advance or sweep at a time in this process, so steps run in time order.
    pub(crate) sweep_lock: Mutex<()>,
}

impl Engine {
    pub fn new(store: Store, catalog: Catalog, clock: Clock, ids: Ids) -> Engine {
        Engine {
            store,
            catalog: Arc::new(catalog),
            clock,
            ids,
            sweep_lock: Mutex::new(()),
        }
    }

    pub async fn begin(&self) -> Result<Tx, EngineError> {
        Ok(self.store.begin().await?)
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
