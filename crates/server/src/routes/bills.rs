use axum::extract::State;
use axum::http::Method;
use tenure_core::access::Permission;
use tenure_store::bills::{BillFilter, BillStatus};
use tenure_wire::bills::{Bill, BillQuery};

use super::Route;
use crate::api::{read, Answered, Listing, Page, PageSize, Params};
use crate::auth::ListScope;
use crate::context::ApiContext;
use crate::error::ApiError;

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::GET,
            "/v1/bills",
            "Pay-as-you-go bills, one per instance per hourly cycle (filters: account, instance, status = open, paid, unpaid)",
            list,
        )
        .account(Permission::Read),
    ]
}

impl ListScope for BillQuery {
    fn scope_to_account(&mut self, account_id: &str) {
        self.account = Some(account_id.to_string());
    }
}

async fn list(
    State(context): State<ApiContext>,
    Params(query): Params<BillQuery>,
) -> Result<Answered<Listing<Bill>>, ApiError> {
    let limit = Page {
        limit: query.limit,
        after: None,
    }
    .limit()?;
    if let Some(status) = &query.status {
        if BillStatus::parse(status).is_none() {
            return Err(ApiError::invalid(
                "invalid_query",
                format!("`{status}` is not a bill status: use open, paid or unpaid"),
            ));
        }
    }
    let filter = BillFilter {
        account_id: query.account,
        instance_id: query.instance,
        status: query.status,
        after_id: query.after,
        limit,
    };
    let engine = context.engine.clone();
    read(&context, move |connection| {
        Box::pin(async move {
            let found = engine.list_bills(connection, &filter).await?;
            Ok(Listing::new(found, limit, |bill| bill.id.clone()).map())
        })
    })
    .await
}
