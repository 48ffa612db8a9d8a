//! Refund records (the unsubscription records) and the operator's
//! confirmation that an outside refund arrived.

use axum::extract::{Path, State};
use axum::http::Method;
use tenure_store::refunds::RefundFilter;
use tenure_wire::refunds::{Complete, Refund, RefundQuery};

use super::Route;
use crate::api::{execute, read, Answered, Command, Listing, Page, PageSize, Params, Succeeded};
use crate::auth::{BodyNames, ListScope};
use crate::context::ApiContext;
use crate::error::ApiError;
use tenure_core::access::Permission;
use tenure_core::refund::RefundStatus;

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::GET,
            "/v1/refunds",
            "Refunds with type, amount, destination, status, expected arrival and refund time (filters: account, instance, order, unsubscription, status)",
            list,
        )
        .account(Permission::Read),
        Route::new(
            Method::GET,
            "/v1/refunds/{id}",
            "One refund, itemised",
            show,
        )
        .account(Permission::Read),
        // Only the operator's payment integration knows that the channel paid.
        Route::new(
            Method::POST,
            "/v1/refunds/{id}/complete",
            "The payment channel confirmed an outside refund: processing becomes refunded (operator)",
            complete,
        ),
    ]
}

impl ListScope for RefundQuery {
    fn scope_to_account(&mut self, account_id: &str) {
        self.account = Some(account_id.to_string());
    }
}

async fn list(
    State(context): State<ApiContext>,
    Params(query): Params<RefundQuery>,
) -> Result<Answered<Listing<Refund>>, ApiError> {
    let limit = Page {
        limit: query.limit,
        after: None,
    }
    .limit()?;
    let status = query
        .status
        .as_deref()
        .map(str::parse::<RefundStatus>)
        .transpose()
        .map_err(|problem| ApiError::invalid("invalid_query", problem))?;
    let filter = RefundFilter {
        account_id: query.account,
        instance_id: query.instance,
        order_id: query.order,
        unsubscription_id: query.unsubscription,
        status,
        after_id: query.after,
        limit,
    };
    let engine = context.engine.clone();
    read(&context, move |connection| {
        Box::pin(async move {
            let found = engine.list_refunds(connection, &filter).await?;
            Ok(Listing::new(found, limit, |record| record.refund.id.clone()).map())
        })
    })
    .await
}

async fn show(
    State(context): State<ApiContext>,
    Path(refund_id): Path<String>,
) -> Result<Answered<Refund>, ApiError> {
    let engine = context.engine.clone();
    read(&context, move |connection| {
        Box::pin(async move { engine.refund(connection, &refund_id).await })
    })
    .await
}

/// Names nothing an account key must own beyond the path.
impl BodyNames for Complete {}

async fn complete(
    State(context): State<ApiContext>,
    Path(refund_id): Path<String>,
    command: Command<Complete>,
) -> Result<Answered<Refund>, ApiError> {
    let engine = context.engine.clone();
    execute(&context, &command.meta, Succeeded, move |tx| {
        Box::pin(async move { engine.complete_refund(tx, &refund_id).await })
    })
    .await
}
