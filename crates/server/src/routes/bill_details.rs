//! One pay-as-you-go bill by id: its cycle, lines, amount and how it was paid. Apart from the
//! list of bills (`bills.rs`).

use axum::extract::{Path, State};
use axum::http::Method;
use tenure_core::access::Permission;
use tenure_wire::bills::Bill;

use super::Route;
use crate::api::{read, Answered};
use crate::context::ApiContext;
use crate::error::ApiError;

pub fn routes() -> Vec<Route> {
    vec![Route::new(
        Method::GET,
        "/v1/bills/{id}",
        "One pay-as-you-go bill: its hourly cycle, lines, amount, status and how it was paid",
        show,
    )
    .account(Permission::Read)]
}

async fn show(
    State(context): State<ApiContext>,
    Path(bill_id): Path<String>,
) -> Result<Answered<Bill>, ApiError> {
    let engine = context.engine.clone();
    read(&context, move |connection| {
        Box::pin(async move { engine.bill(connection, &bill_id).await })
    })
    .await
}
