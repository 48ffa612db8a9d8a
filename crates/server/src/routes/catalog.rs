use axum::extract::State;
use axum::http::Method;
use tenure_wire::catalog::{Product, Products};

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

async fn products(State(context): State<ApiContext>) -> Answered<Products> {
    Answered::json(&Products {
        data: context
            .engine
            .catalog
            .products
            .iter()
            .cloned()
            .map(Product::from)
            .collect(),
    })
}
