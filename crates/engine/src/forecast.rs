//! The balance forecast of an account (`tenure_core::forecast`): its auto-renewing instances'
//! deductions over the coming days against its balance and coupons, and the day money runs out.

use jiff::{SignedDuration, Timestamp};
use tenure_core::forecast::{auto_renewal_charges, forecast};
use tenure_store::instances::{self, InstanceFilter};
use tenure_store::{ledger, Connection};

use crate::engine::Engine;
use crate::error::EngineError;

/// The most days a forecast looks ahead.
pub const MAX_FORECAST_DAYS: i64 = 366;

#[derive(Debug, Clone)]
pub struct AccountForecast {
    pub account_id: String,
    pub currency: String,
    pub from: Timestamp,
    pub until: Timestamp,
    /// The balance and coupons now: what pays auto-renewal.
    pub available_minor: i64,
    /// Every deduction scheduled, in time order, with what is left after it.
    pub charges: Vec<ForecastedCharge>,
    /// The first deduction that cannot be paid: the day money runs out (null if none does).
    pub runs_out_at: Option<Timestamp>,
}

#[derive(Debug, Clone)]
pub struct ForecastedCharge {
    pub at: Timestamp,
    pub instance_id: String,
    pub renews_expires_at: Timestamp,
    pub amount_minor: i64,
    pub paid: bool,
    pub left_after_minor: i64,
}

impl Engine {
    pub async fn forecast(
        &self,
        connection: &mut Connection,
        account_id: &str,
        days: i64,
    ) -> Result<AccountForecast, EngineError> {
        let account = tenure_store::accounts::get(connection, account_id)
            .await?
            .ok_or_else(|| EngineError::not_found("account", account_id))?;
        let now = self.clock.now();
        let until = now + SignedDuration::from_hours(24 * days.clamp(1, MAX_FORECAST_DAYS));
        let funds = ledger::funds(connection, account_id).await?;
        let auto = instances::list(
            connection,
            &InstanceFilter {
                account_id: Some(account_id.to_string()),
                renewal_mode: Some("auto".to_string()),
                limit: 10_000,
                ..InstanceFilter::default()
            },
        )
        .await?;
        let charges = auto
            .iter()
            .filter_map(|stored| {
                let product = self.catalog.product(&stored.instance.product_id)?;
                Some(auto_renewal_charges(&stored.instance, product, now, until))
            })
            .flatten()
            .collect();
        let available_minor = funds.balance_minor.saturating_add(funds.coupons_minor);
        let forecast = forecast(available_minor, charges);
        Ok(AccountForecast {
            account_id: account.id,
            currency: account.currency,
            from: now,
            until,
            available_minor,
            charges: forecast
                .charges
                .into_iter()
                .map(|charge| ForecastedCharge {
                    at: charge.charge.at,
                    instance_id: charge.charge.instance_id,
                    renews_expires_at: charge.charge.renews_expires_at,
                    amount_minor: charge.charge.amount_minor,
                    paid: charge.paid,
                    left_after_minor: charge.left_after_minor,
                })
                .collect(),
            runs_out_at: forecast.runs_out_at,
        })
    }
}
