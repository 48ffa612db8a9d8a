use axum::extract::State;
use axum::http::Method;
use jiff::{tz::TimeZone, Span, Timestamp};
use tenure_wire::clock::{Advance, AdvanceReport, ClockView};

use super::Route;
use crate::api::{execute, Answered, Command, Succeeded};
use crate::auth::BodyNames;
use crate::context::ApiContext;
use crate::error::ApiError;
use tenure_core::access::Permission;

/// The longest single advance: ten years.
const MAX_ADVANCE_SECONDS: i64 = 10 * 366 * 86_400;

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(Method::GET, "/v1/clock", "The current time, and whether it is simulated", show).account(Permission::Read),
        Route::new(
            Method::POST,
            "/v1/clock/advance",
            "Move the simulated clock `to` a time or `by` a duration, taking every due step in between, in order",
            advance,
        ),
    ]
}

async fn show(State(context): State<ApiContext>) -> Answered<ClockView> {
    Answered::json(&ClockView {
        now: context.engine.clock.now(),
        simulated: context.engine.clock.is_simulated(),
    })
}

/// Names nothing an account key must own beyond the path.
impl BodyNames for Advance {}

fn target(now: Timestamp, advance: &Advance) -> Result<Timestamp, ApiError> {
    let target = match (&advance.to, &advance.by) {
        (Some(to), None) => to.parse::<Timestamp>().map_err(|error| {
            ApiError::invalid(
                "invalid_field",
                format!("`to` must be an RFC 3339 time such as 2026-03-10T00:00:00Z: {error}"),
            )
        })?,
        (None, Some(by)) => {
            let span: Span = by.parse().map_err(|error| {
                ApiError::invalid(
                    "invalid_field",
                    format!("`by` must be an ISO 8601 duration such as P3D or PT12H: {error}"),
                )
            })?;
            now.to_zoned(TimeZone::UTC)
                .checked_add(span)
                .map_err(|error| {
                    ApiError::invalid("invalid_field", format!("`by` is out of range: {error}"))
                })?
                .timestamp()
        }
        _ => {
            return Err(ApiError::invalid(
                "invalid_field",
                "give exactly one of `to` and `by`",
            ))
        }
    };
    if target < now {
        return Err(tenure_engine::EngineError::refused(
            "clock_backwards",
            format!("the simulated clock only moves forward; it is already {now}"),
        )
        .into());
    }
    if target.as_second() - now.as_second() > MAX_ADVANCE_SECONDS {
        return Err(tenure_engine::EngineError::refused(
            "advance_too_far",
            format!("advance at most ten years at a time; the clock is at {now}"),
        )
        .into());
    }
    Ok(target)
}

async fn advance(
    State(context): State<ApiContext>,
    command: Command<Advance>,
) -> Result<Answered<AdvanceReport>, ApiError> {
    let engine = context.engine.clone();
    // Advancing is not repeatable (`by` moves from the current time), so a key that has
    // already answered replays before anything moves, or is decided.
    if let Some(replay) = crate::api::replay(&context, &command.meta).await? {
        return Ok(Answered::replayed(replay));
    }
    if !engine.clock.is_simulated() {
        return Err(tenure_engine::EngineError::refused(
            "clock_not_simulated",
            "the clock can only be advanced on a simulated clock (started with --simulated-clock; this database runs on the machine's clock)",
        )
        .into());
    }
    // From here the request runs: a refusal is its key's answer, as in `execute`.
    let to = match target(engine.clock.now(), &command.body) {
        Ok(to) => to,
        Err(error) => return crate::api::keep_refusal(&context, &command.meta, error).await,
    };
    let report = match engine.advance_to(to).await {
        Ok(report) => report,
        Err(error) => return crate::api::keep_refusal(&context, &command.meta, error.into()).await,
    };
    context.metrics.add_steps(report.steps_taken);
    context.metrics.add_parked(report.steps_parked);
    // The advance commits step by step (each step is its own transaction), so only the answer
    // goes through `execute`: a replay with the same key answers the first report.
    execute(&context, &command.meta, Succeeded, move |_tx| {
        Box::pin(async move {
            Ok(AdvanceReport {
                now: engine.clock.now(),
                steps_taken: report.steps_taken,
            })
        })
    })
    .await
}
