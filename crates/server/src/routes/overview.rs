//! The operator's overview of the fleet and the fleet forecast (README: The operator's
//! console): counts and sums over every account, for the operator's key only.

use axum::extract::State;
use axum::http::Method;
use tenure_wire::overview::{
    FleetForecast, FleetForecastQuery, Overview, RenewalReminders, SendRenewalReminders,
};

use super::Route;
use crate::api::{execute, read, Answered, Command, Params, Succeeded};
use crate::auth::{BodyNames, ListScope};
use crate::context::ApiContext;
use crate::error::ApiError;

/// Accounts per page of the fleet forecast, unless `limit` says.
const DEFAULT_FORECAST_ACCOUNTS: i64 = 100;
const MAX_FORECAST_ACCOUNTS: i64 = 1000;

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::GET,
            "/v1/overview",
            "The fleet at a glance: revenue of the last 90 days by day and currency, instances by product and status with those expiring in 7 and 30 days, accounts overdue and frozen, deliveries pending and failing, lifecycle steps stuck",
            overview,
        ),
        Route::new(
            Method::GET,
            "/v1/forecast",
            "The fleet forecast: every auto-renewal deduction of the coming days (30 unless `days` says) that the account's balance and coupons will not pay, by day and currency, and the accounts at risk, whose money runs out first first",
            fleet_forecast,
        ),
        Route::new(
            Method::POST,
            "/v1/forecast/reminders",
            "Remind accounts, by email and SMS, that their balance and coupons will not pay their coming auto-renewals: what is at risk and from when, as each account's forecast says now; an account whose money pays them all is not reminded",
            send_reminders,
        ),
    ]
}

/// Operator only: the accounts it names are the operator's to remind.
impl BodyNames for SendRenewalReminders {}

async fn send_reminders(
    State(context): State<ApiContext>,
    command: Command<SendRenewalReminders>,
) -> Result<Answered<RenewalReminders>, ApiError> {
    let days = command.body.days.unwrap_or(30);
    check_days(days)?;
    let account_ids = command.body.accounts.clone();
    let engine = context.engine.clone();
    execute(&context, &command.meta, Succeeded, move |tx| {
        Box::pin(async move { engine.remind_renewal_funds(tx, &account_ids, days).await })
    })
    .await
}

fn check_days(days: i64) -> Result<(), ApiError> {
    if (1..=tenure_engine::forecast::MAX_FORECAST_DAYS).contains(&days) {
        Ok(())
    } else {
        Err(ApiError::invalid(
            "invalid_query",
            format!("`days` is {days}; a forecast looks 1 to 366 days ahead"),
        ))
    }
}

impl ListScope for FleetForecastQuery {}

async fn overview(State(context): State<ApiContext>) -> Result<Answered<Overview>, ApiError> {
    let engine = context.engine.clone();
    read(&context, move |connection| {
        Box::pin(async move {
            let overview = engine.overview(connection).await?;
            Ok(Overview::from_engine(overview, &engine.catalog))
        })
    })
    .await
}

async fn fleet_forecast(
    State(context): State<ApiContext>,
    Params(query): Params<FleetForecastQuery>,
) -> Result<Answered<FleetForecast>, ApiError> {
    let days = query.days.unwrap_or(30);
    check_days(days)?;
    let limit = query.limit.unwrap_or(DEFAULT_FORECAST_ACCOUNTS);
    if !(1..=MAX_FORECAST_ACCOUNTS).contains(&limit) {
        return Err(ApiError::invalid(
            "invalid_page",
            format!("`limit` must be 1 to {MAX_FORECAST_ACCOUNTS}"),
        ));
    }
    let limit = usize::try_from(limit).expect("1 to 1000 fits a usize");
    let engine = context.engine.clone();
    read(&context, move |connection| {
        Box::pin(async move {
            let forecast = engine
                .fleet_forecast(connection, days, limit, query.after.as_deref())
                .await?;
            Ok(FleetForecast::from_engine(forecast, limit))
        })
    })
    .await
}
