//! The balance forecast: an account's coming auto-renewal deductions against its money.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// `?days=` of a forecast.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ForecastQuery {
    /// How many days ahead, 1 to 366 (default 90).
    #[schemars(range(min = 1, max = 366))]
    #[serde(default, deserialize_with = "crate::whole_number::query")]
    pub days: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ForecastedCharge {
    pub at: Timestamp,
    pub instance_id: String,
    pub renews_expires_at: Timestamp,
    pub amount_minor: i64,
    pub paid: bool,
    pub left_after_minor: i64,
}

#[cfg(feature = "domain")]
mod from_domain {
    use super::*;

    impl From<tenure_engine::forecast::AccountForecast> for AccountForecast {
        fn from(forecast: tenure_engine::forecast::AccountForecast) -> AccountForecast {
            AccountForecast {
                account_id: forecast.account_id,
                currency: forecast.currency,
                from: forecast.from,
                until: forecast.until,
                available_minor: forecast.available_minor,
                charges: forecast.charges.into_iter().map(Into::into).collect(),
                runs_out_at: forecast.runs_out_at,
            }
        }
    }

    impl From<tenure_engine::forecast::ForecastedCharge> for ForecastedCharge {
        fn from(charge: tenure_engine::forecast::ForecastedCharge) -> ForecastedCharge {
            ForecastedCharge {
                at: charge.at,
                instance_id: charge.instance_id,
                renews_expires_at: charge.renews_expires_at,
                amount_minor: charge.amount_minor,
                paid: charge.paid,
                left_after_minor: charge.left_after_minor,
            }
        }
    }
}
