//! The operator's overview of the fleet and the fleet forecast.

use jiff::civil::Date;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// `GET /v1/overview`: what the fleet earned, what it runs, and what needs the operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Overview {
    /// When it was counted (the clock's time).
    pub at: Timestamp,
    /// Revenue of the last 90 days (today included) by UTC day and currency, from the
    /// ledger's revenue account: orders and bills paid (`earned_minor`) less refunds given
    /// (`refunded_minor`). A day without revenue in a currency is left out.
    pub revenue: Vec<RevenueDay>,
    /// The same 90 days summed per currency.
    pub revenue_totals: Vec<RevenueTotal>,
    /// Instances by product and status, with those expiring soon.
    pub instances: Vec<InstanceCount>,
    /// Instances expiring after now and within 7 days, all products.
    pub expiring_7_days: i64,
    /// Instances expiring after now and within 30 days, all products.
    pub expiring_30_days: i64,
    pub accounts: i64,
    /// Accounts with an unpaid pay-as-you-go bill.
    pub accounts_overdue: i64,
    /// Accounts whose ledger failed a check, refused every write until unfrozen.
    pub accounts_frozen: i64,
    /// Notices and webhooks waiting to be sent.
    pub deliveries_pending: i64,
    /// Of those pending, the ones that failed at least once and will be tried again.
    pub deliveries_retrying: i64,
    /// Deliveries given up on.
    pub deliveries_failed: i64,
    /// Lifecycle steps that failed and will be tried again.
    pub steps_retrying: i64,
    /// Lifecycle steps that failed too often and wait for the operator.
    pub steps_parked: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RevenueDay {
    pub date: Date,
    pub currency: String,
    pub earned_minor: i64,
    pub refunded_minor: i64,
    /// Earned less refunded.
    pub net_minor: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RevenueTotal {
    pub currency: String,
    pub earned_minor: i64,
    pub refunded_minor: i64,
    pub net_minor: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct InstanceCount {
    pub product: String,
    /// The product's name in the catalog.
    pub product_name: String,
    pub status: String,
    pub instances: i64,
    pub expiring_7_days: i64,
    pub expiring_30_days: i64,
}

/// `GET /v1/forecast`: how far ahead, and the page of accounts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FleetForecastQuery {
    /// How many days ahead, 1 to 366 (default 30).
    #[schemars(range(min = 1, max = 366))]
    #[serde(default, deserialize_with = "crate::whole_number::query")]
    pub days: Option<i64>,
    /// Accounts per page, 1 to 1000 (default 100).
    #[schemars(range(min = 1, max = 1000))]
    #[serde(default, deserialize_with = "crate::whole_number::query")]
    pub limit: Option<i64>,
    /// The cursor: the accounts go on past this one (`next_after` of the page before).
    pub after: Option<String>,
}

/// The auto-renewal deductions of the coming days that the accounts' balance and coupons
/// will not pay, each priced and timed as the account's own forecast prices it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FleetForecast {
    pub from: Timestamp,
    pub until: Timestamp,
    /// The unpaid deductions by UTC day and currency, earliest first.
    pub days: Vec<AtRiskDay>,
    /// The whole window, per currency.
    pub totals: Vec<AtRiskTotal>,
    /// How many accounts have a deduction they cannot pay.
    pub accounts_at_risk: i64,
    /// A page of those accounts, the one whose money runs out first first.
    pub accounts: Vec<AtRiskAccount>,
    /// The cursor of the next page of accounts; null on the last.
    pub next_after: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AtRiskDay {
    pub date: Date,
    pub currency: String,
    /// What the day's unpaid deductions add up to.
    pub amount_minor: i64,
    pub accounts: i64,
    pub instances: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AtRiskTotal {
    pub currency: String,
    pub amount_minor: i64,
    pub accounts: i64,
    pub deductions: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AtRiskAccount {
    pub account_id: String,
    pub name: String,
    pub email: String,
    pub currency: String,
    /// The balance and coupons now: what pays auto-renewal.
    pub available_minor: i64,
    /// What its unpaid deductions add up to.
    pub at_risk_minor: i64,
    /// Its first deduction that cannot be paid: the day its money runs out.
    pub runs_out_at: Timestamp,
    /// Its deductions that cannot be paid, in time order.
    pub unpaid: Vec<UnpaidDeduction>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct UnpaidDeduction {
    pub at: Timestamp,
    pub instance_id: String,
    /// The expiry it renews.
    pub renews_expires_at: Timestamp,
    pub amount_minor: i64,
}

#[cfg(feature = "domain")]
mod from_domain {
    use super::*;
    use tenure_engine::overview as engine;

    fn count(number: usize) -> i64 {
        i64::try_from(number).unwrap_or(i64::MAX)
    }

    impl Overview {
        /// The engine's overview, with products named from `catalog`.
        pub fn from_engine(
            overview: engine::Overview,
            catalog: &tenure_core::catalog::Catalog,
        ) -> Overview {
            let instances: Vec<InstanceCount> = overview
                .instances
                .into_iter()
                .map(|count| InstanceCount {
                    product_name: catalog
                        .product(&count.product_id)
                        .map_or_else(|| count.product_id.clone(), |product| product.name.clone()),
                    product: count.product_id,
                    status: count.status,
                    instances: count.instances,
                    expiring_7_days: count.expiring_7_days,
                    expiring_30_days: count.expiring_30_days,
                })
                .collect();
            let attention = overview.attention;
            Overview {
                at: overview.at,
                expiring_7_days: instances.iter().map(|count| count.expiring_7_days).sum(),
                expiring_30_days: instances.iter().map(|count| count.expiring_30_days).sum(),
                revenue: overview
                    .revenue
                    .into_iter()
                    .map(|day| RevenueDay {
                        date: day.date,
                        currency: day.currency,
                        earned_minor: day.earned_minor,
                        refunded_minor: day.refunded_minor,
                        net_minor: day.net_minor,
                    })
                    .collect(),
                revenue_totals: overview
                    .revenue_totals
                    .into_iter()
                    .map(|total| RevenueTotal {
                        currency: total.currency,
                        earned_minor: total.earned_minor,
                        refunded_minor: total.refunded_minor,
                        net_minor: total.net_minor,
                    })
                    .collect(),
                instances,
                accounts: attention.accounts,
                accounts_overdue: attention.accounts_overdue,
                accounts_frozen: attention.accounts_frozen,
                deliveries_pending: attention.deliveries_pending,
                deliveries_retrying: attention.deliveries_retrying,
                deliveries_failed: attention.deliveries_failed,
                steps_retrying: attention.steps_retrying,
                steps_parked: attention.steps_parked,
            }
        }
    }

    impl FleetForecast {
        /// The engine's forecast, with the cursor of the next page when `limit` filled this one.
        pub fn from_engine(forecast: engine::FleetForecast, limit: usize) -> FleetForecast {
            let next_after = (forecast.accounts.len() == limit)
                .then(|| forecast.accounts.last().map(engine::AtRiskAccount::cursor))
                .flatten();
            FleetForecast {
                from: forecast.from,
                until: forecast.until,
                days: forecast
                    .days
                    .into_iter()
                    .map(|day| AtRiskDay {
                        date: day.date,
                        currency: day.currency,
                        amount_minor: day.amount_minor,
                        accounts: count(day.accounts),
                        instances: count(day.instances),
                    })
                    .collect(),
                totals: forecast
                    .totals
                    .into_iter()
                    .map(|total| AtRiskTotal {
                        currency: total.currency,
                        amount_minor: total.amount_minor,
                        accounts: count(total.accounts),
                        deductions: count(total.deductions),
                    })
                    .collect(),
                accounts_at_risk: count(forecast.accounts_at_risk),
                accounts: forecast
                    .accounts
                    .into_iter()
                    .map(|account| AtRiskAccount {
                        account_id: account.account_id,
                        name: account.name,
                        email: account.email,
                        currency: account.currency,
                        available_minor: account.available_minor,
                        at_risk_minor: account.at_risk_minor,
                        runs_out_at: account.runs_out_at,
                        unpaid: account
                            .unpaid
                            .into_iter()
                            .map(|charge| UnpaidDeduction {
                                at: charge.at,
                                instance_id: charge.instance_id,
                                renews_expires_at: charge.renews_expires_at,
                                amount_minor: charge.amount_minor,
                            })
                            .collect(),
                    })
                    .collect(),
                next_after,
            }
        }
    }
}

/// `POST /v1/forecast/reminders`: the accounts to remind, as the fleet forecast lists them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SendRenewalReminders {
    /// Account ids (`acct_…`), 1 to 100 (two forecast pages of the console).
    #[schemars(length(min = 1, max = 100))]
    pub accounts: Vec<String>,
    /// How many days ahead each account's forecast looks, 1 to 366 (default 30).
    #[schemars(range(min = 1, max = 366))]
    #[serde(default, deserialize_with = "crate::whole_number::optional")]
    pub days: Option<i64>,
}

/// What the reminders did: the accounts reminded, and those whose money pays every renewal
/// of the days (not reminded).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RenewalReminders {
    pub reminded: Vec<RenewalReminder>,
    pub nothing_at_risk: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RenewalReminder {
    pub account_id: String,
    pub at_risk_minor: i64,
    pub runs_out_at: Timestamp,
    pub deductions: i64,
}

#[cfg(feature = "domain")]
impl From<Vec<tenure_engine::overview::Reminded>> for RenewalReminders {
    fn from(outcomes: Vec<tenure_engine::overview::Reminded>) -> RenewalReminders {
        use tenure_engine::overview::Reminded;
        let mut reminders = RenewalReminders {
            reminded: Vec::new(),
            nothing_at_risk: Vec::new(),
        };
        for outcome in outcomes {
            match outcome {
                Reminded::Sent {
                    account_id,
                    at_risk_minor,
                    runs_out_at,
                    deductions,
                } => reminders.reminded.push(RenewalReminder {
                    account_id,
                    at_risk_minor,
                    runs_out_at,
                    deductions: i64::try_from(deductions).unwrap_or(i64::MAX),
                }),
                Reminded::NothingAtRisk { account_id } => {
                    reminders.nothing_at_risk.push(account_id)
                }
            }
        }
        reminders
    }
}
