//! An account's billing profile: the buyer its invoices and credit notes name.

use axum::extract::{Path, State};
use axum::http::Method;
use tenure_core::access::Permission;
use tenure_engine::billing_profiles::BillingProfileInput;
use tenure_wire::billing_profiles::{BillingProfile, BillingProfileBody};

use super::Route;
use crate::api::{execute, read, Answered, Command, Succeeded};
use crate::auth::BodyNames;
use crate::context::ApiContext;
use crate::error::ApiError;

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::GET,
            "/v1/accounts/{id}/billing-profile",
            "The buyer the account's invoices name (legal name, address, country, tax id); 404 until one is set, when invoices name the account's own name and email",
            show,
        )
        .account(Permission::Read),
        Route::new(
            Method::PUT,
            "/v1/accounts/{id}/billing-profile",
            "Set the buyer the account's invoices name, replacing any set before whole; invoices already issued keep the buyer they name",
            set,
        )
        .account(Permission::Billing),
    ]
}

/// Names nothing an account key must own beyond the path.
impl BodyNames for BillingProfileBody {}

async fn show(
    State(context): State<ApiContext>,
    Path(account_id): Path<String>,
) -> Result<Answered<BillingProfile>, ApiError> {
    let engine = context.engine.clone();
    read(&context, move |connection| {
        Box::pin(async move { engine.billing_profile(connection, &account_id).await })
    })
    .await
}

async fn set(
    State(context): State<ApiContext>,
    Path(account_id): Path<String>,
    command: Command<BillingProfileBody>,
) -> Result<Answered<BillingProfile>, ApiError> {
    let body = command.body;
    let input = BillingProfileInput {
        legal_name: body.legal_name,
        address_lines: std::iter::once(body.address_line1)
            .chain(body.address_line2)
            .chain(body.address_line3)
            .collect(),
        city: body.city,
        postal_code: body.postal_code,
        country: body.country,
        tax_id: body.tax_id,
        invoice_email: body.invoice_email,
    };
    let engine = context.engine.clone();
    execute(&context, &command.meta, Succeeded, move |tx| {
        Box::pin(async move { engine.set_billing_profile(tx, &account_id, input).await })
    })
    .await
}
