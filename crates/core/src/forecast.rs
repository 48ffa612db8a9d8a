//! The balance forecast: every auto-renewal deduction scheduled in the coming days, each
//! against what the account will have left then, and the first one it cannot pay, the day
//! money runs out. Each deduction is priced as the renewal it makes (`renewal::plan_renewal`)
//! and falls at the first attempt of its expiry's schedule (`auto_renewal::next_attempt`); one
//! that cannot be paid leaves the money where it is, as a failed attempt does. Pay-as-you-go
//! usage, which nothing schedules, is not forecast.

use jiff::Timestamp;

use crate::auto_renewal::next_attempt;
use crate::catalog::Product;
use crate::lifecycle::{Instance, RenewalMode};
use crate::renewal::plan_renewal;

/// One deduction the schedule will try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledCharge {
    pub at: Timestamp,
    pub instance_id: String,
    /// The expiry it renews.
    pub renews_expires_at: Timestamp,
    pub amount_minor: i64,
}

/// The deductions auto-renewal will try for `instance` after `now` and up to `until`: one per
/// expiry, each renewing for the instance's auto-renewal period.
pub fn auto_renewal_charges(
    instance: &Instance,
    product: &Product,
    now: Timestamp,
    until: Timestamp,
) -> Vec<ScheduledCharge> {
    let mut charges = Vec::new();
    let (RenewalMode::Auto, Some(period)) = (instance.renewal_mode, instance.auto_renew_period)
    else {
        return charges;
    };
    let mut renewed = instance.clone();
    // A year of monthly renewals at most: the loop ends at `until` well before.
    for _ in 0..400 {
        let Some(attempt) = next_attempt(&renewed, &product.auto_renewal) else {
            break;
        };
        if attempt.at > until {
            break;
        }
        let Ok(plan) = plan_renewal(&renewed, product, period, attempt.at) else {
            break;
        };
        if attempt.at >= now {
            charges.push(ScheduledCharge {
                at: attempt.at,
                instance_id: instance.id.clone(),
                renews_expires_at: attempt.renews_expires_at,
                amount_minor: plan.list_price_minor,
            });
        }
        // As if paid: the next expiry's schedule follows.
        renewed.expires_at = Some(plan.ends_at);
        renewed.last_deduction_attempt = None;
    }
    charges
}

/// A deduction of the forecast and what is left after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForecastCharge {
    pub charge: ScheduledCharge,
    /// Whether what is left then pays it.
    pub paid: bool,
    pub left_after_minor: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forecast {
    pub charges: Vec<ForecastCharge>,
    /// When the first deduction that cannot be paid falls: the day money runs out.
    pub runs_out_at: Option<Timestamp>,
}

/// `charges` in time order against `available_minor` (what pays auto-renewal: the balance and
/// the coupons).
pub fn forecast(available_minor: i64, mut charges: Vec<ScheduledCharge>) -> Forecast {
    charges.sort_by(|a, b| (a.at, &a.instance_id).cmp(&(b.at, &b.instance_id)));
    let mut left_minor = available_minor;
    let mut runs_out_at = None;
    let charges = charges
        .into_iter()
        .map(|charge| {
            let paid = charge.amount_minor <= left_minor;
            if paid {
                left_minor -= charge.amount_minor;
            } else if runs_out_at.is_none() {
                runs_out_at = Some(charge.at);
            }
            ForecastCharge {
                charge,
                paid,
                left_after_minor: left_minor,
            }
        })
        .collect();
    Forecast {
        charges,
        runs_out_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn charge(at: &str, instance_id: &str, amount_minor: i64) -> ScheduledCharge {
        ScheduledCharge {
            at: at.parse().unwrap(),
            instance_id: instance_id.to_string(),
            renews_expires_at: at.parse().unwrap(),
            amount_minor,
        }
    }

    #[test]
    fn money_runs_out_at_the_first_deduction_that_cannot_be_paid() {
        let forecast = forecast(
            25_000,
            vec![
                charge("2026-04-01T00:00:00Z", "inst_b", 12_000),
                charge("2026-03-01T00:00:00Z", "inst_a", 12_000),
                charge("2026-05-01T00:00:00Z", "inst_a", 12_000),
                charge("2026-05-02T00:00:00Z", "inst_c", 500),
            ],
        );
        let left: Vec<(i64, bool)> = forecast
            .charges
            .iter()
            .map(|charge| (charge.left_after_minor, charge.paid))
            .collect();
        assert_eq!(
            left,
            [(13_000, true), (1_000, true), (1_000, false), (500, true)]
        );
        assert_eq!(
            forecast.runs_out_at,
            Some("2026-05-01T00:00:00Z".parse().unwrap())
        );
        assert_eq!(forecast_none().runs_out_at, None);
    }

    fn forecast_none() -> Forecast {
        forecast(100, vec![charge("2026-03-01T00:00:00Z", "inst_a", 100)])
    }
}
