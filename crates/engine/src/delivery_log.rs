//! Reading the delivery log: every email, SMS and webhook message with its attempts.

use tenure_store::deliveries::{self, DeliveryFilter, StoredDelivery};
use tenure_store::Connection;

use crate::engine::Engine;
use crate::error::EngineError;

impl Engine {
    /// The deliveries `filter` asks for, `limit` of them after the delivery `after`.
    pub async fn list_deliveries(
        &self,
        connection: &mut Connection,
        filter: &DeliveryFilter,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<StoredDelivery>, EngineError> {
        if let Some(after) = after {
            // A cursor that names no delivery is refused rather than taken as a place.
            if deliveries::get(connection, after).await?.is_none() {
                return Err(EngineError::not_found(
                    "delivery (the `after` cursor)",
                    after,
                ));
            }
        }
        Ok(deliveries::list(connection, filter, after, limit).await?)
    }

    /// One delivery.
    pub async fn delivery(
        &self,
        connection: &mut Connection,
        delivery_id: &str,
    ) -> Result<StoredDelivery, EngineError> {
        deliveries::get(connection, delivery_id)
            .await?
            .ok_or_else(|| EngineError::not_found("delivery", delivery_id))
    }
}
