use axum::extract::State;
use axum::http::Method;
use serde::Deserialize;
use tenure_store::events::LogFilter;

use super::Route;
use crate::api::{read, Answered, Listing, Page, PageSize, Params};
use crate::auth::ListScope;
use crate::context::ApiContext;
use crate::error::ApiError;
use tenure_core::access::Permission;

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::GET,
            "/v1/events",
            "The event log, oldest first (filters: account, instance, kind)",
            list_events,
        )
        .account(Permission::Read),
        Route::new(
            Method::GET,
            "/v1/notifications",
            "Notices sent to customers (filters: account, instance, kind)",
            list_notices,
        )
        .account(Permission::Read),
    ]
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct LogQuery {
    account: Option<String>,
    instance: Option<String>,
    #[schemars(with = "Option<tenure_core::event::EventKind>")]
    kind: Option<String>,
    /// Items per page, 1 to 1000 (default 100).
    #[schemars(range(min = 1, max = 1000))]
    #[serde(default, deserialize_with = "tenure_wire::whole_number::query")]
    limit: Option<i64>,
    /// The `seq` after which to list.
    #[schemars(range(min = 0))]
    #[serde(default, deserialize_with = "tenure_wire::whole_number::query")]
    after: Option<i64>,
}

impl ListScope for LogQuery {
    fn scope_to_account(&mut self, account_id: &str) {
        self.account = Some(account_id.to_string());
    }
}

impl LogQuery {
    fn filter(self) -> Result<LogFilter, ApiError> {
        let limit = Page {
            limit: self.limit,
            after: None,
        }
        .limit()?;
        if self.after.is_some_and(|seq| seq < 0) {
            return Err(ApiError::invalid(
                "invalid_query",
                "`after` is the seq of the last item of the page before: 0 or more",
            ));
        }
        // A kind no event can have is a mistake, said as one, not an empty page.
        if let Some(kind) = &self.kind {
            kind.parse::<tenure_core::event::EventKind>()
                .map_err(|message| ApiError::invalid("invalid_query", message))?;
        }
        Ok(LogFilter {
            account_id: self.account,
            instance_id: self.instance,
            kind: self.kind,
            after_seq: self.after.unwrap_or(0),
            limit,
        })
    }
}

async fn list_events(
    State(context): State<ApiContext>,
    Params(query): Params<LogQuery>,
) -> Result<Answered<Listing<tenure_store::events::StoredEvent>>, ApiError> {
    let filter = query.filter()?;
    let engine = context.engine.clone();
    read(&context, move |connection| {
        Box::pin(async move {
            let found = engine.list_events(connection, &filter).await?;
            Ok(Listing::new(found, filter.limit, |event| {
                event.seq.to_string()
            }))
        })
    })
    .await
}

async fn list_notices(
    State(context): State<ApiContext>,
    Params(query): Params<LogQuery>,
) -> Result<Answered<Listing<tenure_store::events::StoredNotice>>, ApiError> {
    let filter = query.filter()?;
    let engine = context.engine.clone();
    read(&context, move |connection| {
        Box::pin(async move {
            let found = engine.list_notices(connection, &filter).await?;
            Ok(Listing::new(found, filter.limit, |notice| {
                notice.seq.to_string()
            }))
        })
    })
    .await
}
