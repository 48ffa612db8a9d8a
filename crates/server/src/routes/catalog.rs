use axum::extract::State;
use axum::http::Method;
use serde::Serialize;
use tenure_core::catalog::Product;

use super::Route;
use crate::api::Answered;
use crate::context::ApiContext;
use tenure_core::access::Permission;

pub fn routes() -> Vec<Route> {
    vec![Route::new(
        Method::GET,
        "/v1/products",
        "The catalog: products, editions, specs, prices and policies",
        products,
    )
    .account(Permission::Read)]
}

/// Every product of the catalog.
#[derive(Debug, Serialize, schemars::JsonSchema)]
struct Products {
    data: Vec<Product>,
}

async fn products(State(context): State<ApiContext>) -> Answered<Products> {
    Answered::json(&Products {
        data: context.engine.catalog.products.clone(),
    })
}
