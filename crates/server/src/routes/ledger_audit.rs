//! The ledger audit, on demand: what the server runs now and then (`--ledger-audit-seconds`),
//! run now by the operator.

use axum::extract::State;
use axum::http::Method;
use tenure_wire::ledger::{LedgerAudit, StartAudit};

use super::Route;
use crate::api::{execute, Answered, Command, Succeeded};
use crate::auth::BodyNames;
use crate::context::ApiContext;
use crate::error::ApiError;

/// Accounts checked per statement of the audit.
pub const AUDIT_BATCH_ACCOUNTS: i64 = 500;

pub fn routes() -> Vec<Route> {
    vec![Route::new(
        Method::POST,
        "/v1/ledger/audit",
        "Check every account's running totals (balance, coupons, vouchers) against the sums of its postings, each batch of accounts from one snapshot, and freeze any account whose totals differ; the server also runs this every --ledger-audit-seconds",
        audit,
    )]
}

/// Names nothing an account key must own.
impl BodyNames for StartAudit {}

async fn audit(
    State(context): State<ApiContext>,
    command: Command<StartAudit>,
) -> Result<Answered<LedgerAudit>, ApiError> {
    if let Some(replay) = crate::api::replay(&context, &command.meta).await? {
        return Ok(Answered::replayed(replay));
    }
    // Each freeze commits in a transaction of its own, as when the server's own audit finds
    // one; only the answer goes through `execute`, so a repeated key replays the first report.
    let audit = match context.engine.audit_ledgers(AUDIT_BATCH_ACCOUNTS).await {
        Ok(audit) => audit,
        Err(error) => return crate::api::keep_refusal(&context, &command.meta, error.into()).await,
    };
    execute(&context, &command.meta, Succeeded, move |_tx| {
        Box::pin(async move {
            Ok(LedgerAudit {
                accounts_checked: audit.accounts_checked,
                drifted_accounts: audit.drifted_accounts,
            })
        })
    })
    .await
}
