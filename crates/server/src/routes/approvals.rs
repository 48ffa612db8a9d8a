//! Changes waiting for the operator (message queue Enterprise Platinum upgrades).

use axum::extract::{Path, State};
use axum::http::Method;
use tenure_engine::changes::ClosedApproval;
use tenure_store::approvals::ApprovalFilter;
use tenure_wire::approvals::{Approval, ApprovalQuery, ApprovalStatus, Decision};
use tenure_wire::changes::ChangeOutcome;

use super::Route;
use crate::api::{execute, read, Answered, Command, Listing, Page, PageSize, Params, Succeeded};
use crate::auth::{BodyNames, ListScope};
use crate::context::ApiContext;
use crate::error::ApiError;
use tenure_core::access::Permission;

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::GET,
            "/v1/approvals",
            "Changes waiting for (or decided by) the operator; filters: account, instance, status = pending, approved, rejected, cancelled",
            list,
        )
        .account(Permission::Read),
        Route::new(Method::GET, "/v1/approvals/{id}", "One change approval", show).account(Permission::Read),
        Route::new(
            Method::POST,
            "/v1/approvals/{id}/approve",
            "Approve a pending change: priced now, paid and applied at once",
            approve,
        ),
        Route::new(
            Method::POST,
            "/v1/approvals/{id}/reject",
            "Reject a pending change: the instance keeps its configuration",
            reject,
        ),
        Route::new(
            Method::POST,
            "/v1/approvals/{id}/cancel",
            "Withdraw a pending change on the customer's behalf",
            cancel,
        )
        .account(Permission::Billing),
    ]
}

/// The longest reason accepted with a decision.
const MAX_REASON_CHARS: usize = 500;

/// Names nothing an account key must own beyond the path.
impl BodyNames for Decision {}

/// The decision's reason, refused when longer than [`MAX_REASON_CHARS`].
fn reason(decision: Decision) -> Result<Option<String>, ApiError> {
    match decision.reason {
        Some(reason) if reason.chars().count() > MAX_REASON_CHARS => Err(ApiError::invalid(
            "invalid_field",
            format!("`reason` must be at most {MAX_REASON_CHARS} characters"),
        )),
        reason => Ok(reason),
    }
}

async fn approve(
    State(context): State<ApiContext>,
    Path(approval_id): Path<String>,
    command: Command<Decision>,
) -> Result<Answered<ChangeOutcome>, ApiError> {
    let reason = reason(command.body)?;
    let engine = context.engine.clone();
    execute(&context, &command.meta, Succeeded, move |tx| {
        Box::pin(async move { engine.approve_change(tx, &approval_id, reason).await })
    })
    .await
}

async fn close(
    context: ApiContext,
    approval_id: String,
    command: Command<Decision>,
    status: ClosedApproval,
) -> Result<Answered<Approval>, ApiError> {
    let reason = reason(command.body)?;
    let engine = context.engine.clone();
    execute(&context, &command.meta, Succeeded, move |tx| {
        Box::pin(async move {
            engine
                .close_approval(tx, &approval_id, status, reason)
                .await
        })
    })
    .await
}

async fn reject(
    State(context): State<ApiContext>,
    Path(approval_id): Path<String>,
    command: Command<Decision>,
) -> Result<Answered<Approval>, ApiError> {
    close(context, approval_id, command, ClosedApproval::Rejected).await
}

async fn cancel(
    State(context): State<ApiContext>,
    Path(approval_id): Path<String>,
    command: Command<Decision>,
) -> Result<Answered<Approval>, ApiError> {
    close(context, approval_id, command, ClosedApproval::Cancelled).await
}

impl ListScope for ApprovalQuery {
    fn scope_to_account(&mut self, account_id: &str) {
        self.account = Some(account_id.to_string());
    }
}

async fn list(
    State(context): State<ApiContext>,
    Params(query): Params<ApprovalQuery>,
) -> Result<Answered<Listing<Approval>>, ApiError> {
    let limit = Page {
        limit: query.limit,
        after: None,
    }
    .limit()?;
    if let Some(status) = &query.status {
        if !ApprovalStatus::ALL
            .iter()
            .any(|known| known.as_str() == status)
        {
            return Err(ApiError::invalid(
                "invalid_query",
                format!("`{status}` is not an approval status: use pending, approved, rejected or cancelled"),
            ));
        }
    }
    let filter = ApprovalFilter {
        account_id: query.account,
        instance_id: query.instance,
        status: query.status,
        after_id: query.after,
        limit,
    };
    let engine = context.engine.clone();
    read(&context, move |connection| {
        Box::pin(async move {
            let found = engine.list_approvals(connection, &filter).await?;
            Ok(Listing::new(found, limit, |approval| approval.id.clone()).map())
        })
    })
    .await
}

async fn show(
    State(context): State<ApiContext>,
    Path(approval_id): Path<String>,
) -> Result<Answered<Approval>, ApiError> {
    let engine = context.engine.clone();
    read(&context, move |connection| {
        Box::pin(async move { engine.approval(connection, &approval_id).await })
    })
    .await
}
