use axum::extract::State;
use axum::http::Method;
use axum::routing::get;
use axum::Json;
use serde_json::{json, Value};

use super::Route;
use crate::context::ApiContext;
use tenure_core::access::Permission;

pub fn routes() -> Vec<Route> {
    vec![Route::new(
        Method::GET,
        "/v1/products",
        "The catalog: products, editions, specs, prices and policies",
        get(products),
    )
    .account(Permission::Read)]
}

async fn products(State(context): State<ApiContext>) -> Json<Value> {
    Json(json!({ "data": context.engine.catalog.products }))
}
