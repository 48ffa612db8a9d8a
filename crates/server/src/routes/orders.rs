use axum::extract::{Path, State};
use axum::http::Method;
use tenure_store::orders::OrderFilter;
use tenure_wire::orders::{Order, OrderDetails, OrderQuery};

use super::Route;
use crate::api::{read, Answered, Listing, PageSize, Params, MAX_PAGE_SIZE};
use crate::auth::ListScope;
use crate::context::ApiContext;
use crate::error::ApiError;
use tenure_core::access::Permission;
use tenure_core::order::{OrderKind, OrderStatus};

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::GET,
            "/v1/orders",
            "Orders, filtered by account, instance, kind and status",
            list,
        )
        .account(Permission::Read),
        Route::new(
            Method::GET,
            "/v1/orders/{id}",
            "One order: period, price actually paid and how, and its refund if unsubscribed (status, destination, refund time, amount, details)",
            show,
        )
        .account(Permission::Read),
    ]
}

impl ListScope for OrderQuery {
    fn scope_to_account(&mut self, account_id: &str) {
        self.account = Some(account_id.to_string());
    }
}

async fn list(
    State(context): State<ApiContext>,
    Params(query): Params<OrderQuery>,
) -> Result<Answered<Listing<Order>>, ApiError> {
    let limit = crate::api::Page {
        limit: query.limit,
        after: None,
    }
    .limit()?;
    // A kind or status no order can have is a mistake, said as one, not an empty page.
    let invalid = |message: String| ApiError::invalid("invalid_query", message);
    if let Some(kind) = &query.kind {
        kind.parse::<OrderKind>().map_err(invalid)?;
    }
    if let Some(status) = &query.status {
        status.parse::<OrderStatus>().map_err(invalid)?;
    }
    let filter = OrderFilter {
        account_id: query.account,
        instance_id: query.instance,
        kind: query.kind,
        status: query.status,
        after_id: query.after,
        limit: limit.min(MAX_PAGE_SIZE),
    };
    let engine = context.engine.clone();
    read(&context, move |connection| {
        Box::pin(async move {
            let found = engine.list_orders(connection, &filter).await?;
            Ok(Listing::new(found, limit, |order| order.id.clone()).map())
        })
    })
    .await
}

async fn show(
    State(context): State<ApiContext>,
    Path(order_id): Path<String>,
) -> Result<Answered<OrderDetails>, ApiError> {
    let engine = context.engine.clone();
    read(&context, move |connection| {
        Box::pin(async move { engine.order_details(connection, &order_id).await })
    })
    .await
}
