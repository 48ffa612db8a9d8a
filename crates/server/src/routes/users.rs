//! Users of an account: keys with a role, shown once, revocable.

use axum::extract::{Path, State};
use axum::http::Method;
use tenure_core::access::{Permission, Role};
use tenure_wire::access::{
    ApiKey, CreateUser, IssuedKey, Revoked, RotateOwnerKey, RotatedOwnerKey,
};

use super::{Made, Route};
use crate::api::{
    execute, read, Answered, Command, Created, Listing, Page, PageSize, Params, Succeeded,
};
use crate::auth::BodyNames;
use crate::context::ApiContext;
use crate::error::ApiError;

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::POST,
            "/v1/accounts/{id}/users",
            "Add a user with a role (read_only, purchase, billing); answers its API key once",
            create,
        )
        .makes(&[Made {
            collection: "/v1/accounts/{id}/users",
            id_at: "/id",
        }])
        .account(Permission::ManageUsers),
        Route::new(
            Method::GET,
            "/v1/accounts/{id}/users",
            "The account's users and keys (never the keys themselves), a page at a time",
            list,
        )
        .account(Permission::ManageUsers),
        Route::new(
            Method::POST,
            "/v1/accounts/{id}/owner-key/rotate",
            "Replace the account's owner key: answers the new owner_key once; the old one stops working at once",
            rotate_owner_key,
        )
        .account(Permission::ManageUsers),
        Route::new(
            Method::DELETE,
            "/v1/accounts/{id}/users/{user_id}",
            "Revoke a user's key",
            revoke,
        )
        .account(Permission::ManageUsers),
    ]
}

/// Names nothing an account key must own beyond the path.
impl BodyNames for CreateUser {}

async fn create(
    State(context): State<ApiContext>,
    Path(account_id): Path<String>,
    command: Command<CreateUser>,
) -> Result<Answered<IssuedKey, Created>, ApiError> {
    let role: Role = command
        .body
        .role
        .parse()
        .map_err(|message| ApiError::invalid("invalid_role", message))?;
    let engine = context.engine.clone();
    let name = command.body.name;
    execute(&context, &command.meta, Created, move |tx| {
        Box::pin(async move { engine.create_user(tx, &account_id, &name, role).await })
    })
    .await
}

async fn list(
    State(context): State<ApiContext>,
    Path(account_id): Path<String>,
    Params(page): Params<Page>,
) -> Result<Answered<Listing<ApiKey>>, ApiError> {
    let limit = page.limit()?;
    let engine = context.engine.clone();
    read(&context, move |connection| {
        Box::pin(async move {
            let found = engine
                .list_users(connection, &account_id, page.after.as_deref(), limit)
                .await?;
            Ok(Listing::new(found, limit, |key| key.id.clone()).map())
        })
    })
    .await
}

/// Names nothing an account key must own beyond the path.
impl BodyNames for RotateOwnerKey {}

async fn rotate_owner_key(
    State(context): State<ApiContext>,
    Path(account_id): Path<String>,
    command: Command<RotateOwnerKey>,
) -> Result<Answered<RotatedOwnerKey>, ApiError> {
    let engine = context.engine.clone();
    execute(&context, &command.meta, Succeeded, move |tx| {
        Box::pin(async move { engine.rotate_owner_key(tx, &account_id).await })
    })
    .await
}

async fn revoke(
    State(context): State<ApiContext>,
    Path((account_id, user_id)): Path<(String, String)>,
    command: Command<serde_json::Value>,
) -> Result<Answered<Revoked>, ApiError> {
    let engine = context.engine.clone();
    execute(&context, &command.meta, Succeeded, move |tx| {
        Box::pin(async move {
            engine.revoke_key(tx, &account_id, &user_id).await?;
            Ok(Revoked {
                id: user_id,
                revoked: true,
            })
        })
    })
    .await
}
