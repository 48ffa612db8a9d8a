use axum::extract::State;
use axum::http::Method;
use tenure_store::events::LogFilter;
use tenure_wire::events::{Event, LogOrder, LogQuery, Notice};

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
            "The event log, oldest first or (order=newest) newest first (filters: account, instance, kind)",
            list_events,
        )
        .account(Permission::Read),
        Route::new(
            Method::GET,
            "/v1/notifications",
            "Notices sent to customers, in the order of their events, oldest first or (order=newest) newest first (filters: account, instance, kind)",
            list_notices,
        )
        .account(Permission::Read),
    ]
}

impl ListScope for LogQuery {
    fn scope_to_account(&mut self, account_id: &str) {
        self.account = Some(account_id.to_string());
    }
}

/// The store's filter of a log query, checked.
fn log_filter(query: LogQuery) -> Result<LogFilter, ApiError> {
    let limit = Page {
        limit: query.limit,
        after: None,
    }
    .limit()?;
    if query.after.is_some_and(|seq| seq < 0) {
        return Err(ApiError::invalid(
            "invalid_query",
            "`after` is the seq of the last item of the page before: 0 or more",
        ));
    }
    // A kind no event can have is a mistake, said as one, not an empty page.
    if let Some(kind) = &query.kind {
        kind.parse::<tenure_core::event::EventKind>()
            .map_err(|message| ApiError::invalid("invalid_query", message))?;
    }
    Ok(LogFilter {
        account_id: query.account,
        instance_id: query.instance,
        kind: query.kind,
        after_seq: query.after.unwrap_or(0),
        limit,
        newest_first: query.order == Some(LogOrder::Newest),
    })
}

async fn list_events(
    State(context): State<ApiContext>,
    Params(query): Params<LogQuery>,
) -> Result<Answered<Listing<Event>>, ApiError> {
    let filter = log_filter(query)?;
    let engine = context.engine.clone();
    read(&context, move |connection| {
        Box::pin(async move {
            let found = engine.list_events(connection, &filter).await?;
            Ok(Listing::new(found, filter.limit, |event| event.seq.to_string()).map())
        })
    })
    .await
}

async fn list_notices(
    State(context): State<ApiContext>,
    Params(query): Params<LogQuery>,
) -> Result<Answered<Listing<Notice>>, ApiError> {
    let filter = log_filter(query)?;
    let engine = context.engine.clone();
    read(&context, move |connection| {
        Box::pin(async move {
            let found = engine.list_notices(connection, &filter).await?;
            Ok(Listing::new(found, filter.limit, |notice| notice.seq.to_string()).map())
        })
    })
    .await
}
