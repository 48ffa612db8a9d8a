//! Reading orders: a page of them, and one with the refund of its unsubscription.

use tenure_store::orders::{self, Order, OrderFilter};
use tenure_store::refunds::{self, Refund};
use tenure_store::Connection;

use crate::engine::Engine;
use crate::error::EngineError;

/// An order with its refund: the order details page of the unsubscription records.
#[derive(Debug)]
pub struct OrderDetails {
    pub order: Order,
    /// Set once the order was unsubscribed: type, amount, destination, status, refund time.
    pub refund: Option<Refund>,
}

impl Engine {
    /// The orders `filter` asks for, a page at a time.
    pub async fn list_orders(
        &self,
        connection: &mut Connection,
        filter: &OrderFilter,
    ) -> Result<Vec<Order>, EngineError> {
        Ok(orders::list(connection, filter).await?)
    }

    /// One order, with the refund of its unsubscription if it was unsubscribed.
    pub async fn order_details(
        &self,
        connection: &mut Connection,
        order_id: &str,
    ) -> Result<OrderDetails, EngineError> {
        let order = orders::get(connection, order_id)
            .await?
            .ok_or_else(|| EngineError::not_found("order", order_id))?;
        let refund = refunds::for_order(connection, order_id).await?;
        Ok(OrderDetails { order, refund })
    }
}
