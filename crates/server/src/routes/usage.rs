use axum::extract::State;
use axum::http::Method;
use jiff::Timestamp;
use tenure_core::usage::UsageRecord;
use tenure_wire::usage::{RecordBody, UsageBody, UsageReceipt};

use super::Route;
use crate::api::{execute, Answered, Command, Succeeded};
use crate::auth::BodyNames;
use crate::context::ApiContext;
use crate::error::ApiError;

/// The largest usage report accepted: room for 1,000 records with long ids.
pub const USAGE_BODY_BYTES: usize = 512 * 1024;

/// Operator only: usage comes from the operator's metering, never from the customer billed.
pub fn routes() -> Vec<Route> {
    vec![Route::new(
        Method::POST,
        "/v1/usage",
        "Report pay-as-you-go usage: one record, or `records` (1–1000); a replayed record id is ignored",
        report,
    )
    // A thousand records are about 140 KiB of JSON: more than other bodies may be.
    .body_limit(USAGE_BODY_BYTES)]
}

/// Names nothing an account key must own beyond the path.
impl BodyNames for UsageBody {}

fn parse_record(body: RecordBody) -> Result<UsageRecord, ApiError> {
    let at: Timestamp = body.time.parse().map_err(|error| {
        ApiError::invalid(
            "invalid_field",
            format!(
                "record {}: `time` must be an RFC 3339 time: {error}",
                body.record_id
            ),
        )
    })?;
    Ok(UsageRecord {
        record_id: body.record_id,
        instance_id: body.instance,
        meter_id: body.meter,
        quantity: body.quantity,
        at,
    })
}

fn records(body: UsageBody) -> Result<Vec<UsageRecord>, ApiError> {
    let single = (
        body.record_id,
        body.instance,
        body.meter,
        body.quantity,
        body.time,
    );
    match (body.records, single) {
        (Some(records), (None, None, None, None, None)) => {
            records.into_iter().map(parse_record).collect()
        }
        (None, (Some(record_id), Some(instance), Some(meter), Some(quantity), Some(time))) => {
            Ok(vec![parse_record(RecordBody {
                record_id,
                instance,
                meter,
                quantity,
                time,
            })?])
        }
        _ => Err(ApiError::invalid(
            "invalid_field",
            "send either `records` or one record's `record_id`, `instance`, `meter`, `quantity` and `time`",
        )),
    }
}

async fn report(
    State(context): State<ApiContext>,
    command: Command<UsageBody>,
) -> Result<Answered<UsageReceipt>, ApiError> {
    let records = records(command.body)?;
    let engine = context.engine.clone();
    execute(&context, &command.meta, Succeeded, move |tx| {
        Box::pin(async move { engine.record_usage(tx, records).await })
    })
    .await
}
