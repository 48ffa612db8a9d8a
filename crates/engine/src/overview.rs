//! The operator's view of the fleet: what it earned, what it runs, what needs a look
//! ([`Engine::overview`]), and which auto-renewals the accounts' money will not pay
//! ([`Engine::fleet_forecast`]): the balance forecast of every account at once, by day.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use tenure_core::catalog::Channel;
use tenure_core::event::{EventDraft, EventKind, NoticeDraft};
use tenure_core::forecast::{auto_renewal_charges, forecast, ScheduledCharge};
use tenure_core::money::format_minor;
use tenure_core::notice::{NoticeTexts, Template};
use tenure_store::accounts::Account;
use tenure_store::ledger::SECONDS_PER_DAY;
use tenure_store::overview::{self, Attention, InstanceCount};
use tenure_store::{instances, Connection, Tx};

use crate::engine::Engine;
use crate::error::EngineError;
use crate::forecast::MAX_FORECAST_DAYS;
use crate::record::RecordBuffer;

/// How many days of revenue the overview shows.
pub const REVENUE_DAYS: i64 = 90;

#[derive(Debug, Clone)]
pub struct Overview {
    pub at: Timestamp,
    /// Revenue of the last [`REVENUE_DAYS`] days (today included), by day and currency; a day
    /// without revenue in a currency is left out.
    pub revenue: Vec<RevenueDay>,
    /// The same days' sums, per currency.
    pub revenue_totals: Vec<RevenueTotal>,
    pub instances: Vec<InstanceCount>,
    pub attention: Attention,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevenueDay {
    pub date: Date,
    pub currency: String,
    pub earned_minor: i64,
    pub refunded_minor: i64,
    /// Earned less refunded.
    pub net_minor: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevenueTotal {
    pub currency: String,
    pub earned_minor: i64,
    pub refunded_minor: i64,
    pub net_minor: i64,
}

/// The coming auto-renewal deductions the fleet's money will not pay.
#[derive(Debug, Clone)]
pub struct FleetForecast {
    pub from: Timestamp,
    pub until: Timestamp,
    /// The unpaid deductions by UTC day and currency, earliest first.
    pub days: Vec<AtRiskDay>,
    /// Per currency, over the whole window.
    pub totals: Vec<AtRiskTotal>,
    /// The accounts with a deduction they cannot pay, the soonest first (then by id): the
    /// page asked for.
    pub accounts: Vec<AtRiskAccount>,
    /// How many accounts are at risk in all.
    pub accounts_at_risk: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AtRiskDay {
    pub date: Date,
    pub currency: String,
    pub amount_minor: i64,
    pub accounts: usize,
    pub instances: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AtRiskTotal {
    pub currency: String,
    pub amount_minor: i64,
    pub accounts: usize,
    pub deductions: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AtRiskAccount {
    pub account_id: String,
    pub name: String,
    pub email: String,
    pub currency: String,
    /// The balance and coupons now.
    pub available_minor: i64,
    /// What the unpaid deductions add up to.
    pub at_risk_minor: i64,
    /// The first deduction it cannot pay: the day its money runs out.
    pub runs_out_at: Timestamp,
    /// The deductions it cannot pay, in time order.
    pub unpaid: Vec<ScheduledCharge>,
}

impl AtRiskAccount {
    /// Where a page of the list goes on after this account: its place in the list's order.
    pub fn cursor(&self) -> String {
        format!("{}:{}", self.runs_out_at.as_second(), self.account_id)
    }
}

impl Engine {
    pub async fn overview(&self, connection: &mut Connection) -> Result<Overview, EngineError> {
        let now = self.clock.now();
        let first_day = now - SignedDuration::from_hours(24 * (REVENUE_DAYS - 1));
        let days = overview::revenue_by_day(connection, first_day).await?;
        let mut revenue = Vec::with_capacity(days.len());
        let mut totals: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        for day in days {
            let (earned_minor, refunded_minor) = totals.entry(day.currency.clone()).or_default();
            *earned_minor = add(*earned_minor, day.earned_minor)?;
            *refunded_minor = add(*refunded_minor, day.refunded_minor)?;
            revenue.push(RevenueDay {
                date: utc_date(day.day)?,
                net_minor: subtract(day.earned_minor, day.refunded_minor)?,
                currency: day.currency,
                earned_minor: day.earned_minor,
                refunded_minor: day.refunded_minor,
            });
        }
        let revenue_totals = totals
            .into_iter()
            .map(|(currency, (earned_minor, refunded_minor))| {
                Ok(RevenueTotal {
                    currency,
                    earned_minor,
                    refunded_minor,
                    net_minor: subtract(earned_minor, refunded_minor)?,
                })
            })
            .collect::<Result<_, EngineError>>()?;
        Ok(Overview {
            at: now,
            revenue,
            revenue_totals,
            instances: overview::instances_by_product_and_status(connection, now).await?,
            attention: overview::attention(connection).await?,
        })
    }

    /// Every auto-renewal deduction of the next `days` days, priced and timed as the balance
    /// forecast prices them, against each account's balance and coupons now; those that
    /// money will not pay, by day and by account. `after` (an [`AtRiskAccount::cursor`]) and
    /// `limit` page the accounts; the days and totals always cover them all.
    pub async fn fleet_forecast(
        &self,
        connection: &mut Connection,
        days: i64,
        limit: usize,
        after: Option<&str>,
    ) -> Result<FleetForecast, EngineError> {
        let after = after
            .filter(|cursor| !cursor.is_empty())
            .map(parse_cursor)
            .transpose()?;
        let now = self.clock.now();
        let until = now + SignedDuration::from_hours(24 * days.clamp(1, MAX_FORECAST_DAYS));
        // An expiry's first attempt falls at most this long before it: instances expiring
        // later have nothing to deduct by `until`.
        let lead_days = self
            .catalog
            .products
            .iter()
            .map(|product| product.auto_renewal.longest_lead_days())
            .max()
            .unwrap_or(0);
        let before = until + SignedDuration::from_hours(24 * (lead_days + 1));
        let auto = instances::auto_renewing_expiring_before(connection, before).await?;
        let mut charges_by_account: BTreeMap<String, Vec<ScheduledCharge>> = BTreeMap::new();
        for stored in &auto {
            let Some(product) = self.catalog.product(&stored.instance.product_id) else {
                continue;
            };
            let charges = auto_renewal_charges(&stored.instance, product, now, until);
            if !charges.is_empty() {
                charges_by_account
                    .entry(stored.instance.account_id.clone())
                    .or_default()
                    .extend(charges);
            }
        }
        let account_ids: Vec<String> = charges_by_account.keys().cloned().collect();
        let money: HashMap<String, overview::AccountMoney> =
            overview::accounts_money(connection, &account_ids)
                .await?
                .into_iter()
                .map(|money| (money.account_id.clone(), money))
                .collect();
        let mut at_risk = Vec::new();
        for (account_id, charges) in charges_by_account {
            let Some(money) = money.get(&account_id) else {
                continue;
            };
            let available_minor = money.balance_minor.saturating_add(money.coupons_minor);
            let forecast = forecast(available_minor, charges);
            let Some(runs_out_at) = forecast.runs_out_at else {
                continue;
            };
            let unpaid: Vec<ScheduledCharge> = forecast
                .charges
                .into_iter()
                .filter(|charge| !charge.paid)
                .map(|charge| charge.charge)
                .collect();
            let at_risk_minor = unpaid
                .iter()
                .try_fold(0i64, |sum, charge| sum.checked_add(charge.amount_minor))
                .ok_or_else(overflow)?;
            at_risk.push(AtRiskAccount {
                account_id,
                name: money.name.clone(),
                email: money.email.clone(),
                currency: money.currency.clone(),
                available_minor,
                at_risk_minor,
                runs_out_at,
                unpaid,
            });
        }
        at_risk.sort_by(|a, b| (a.runs_out_at, &a.account_id).cmp(&(b.runs_out_at, &b.account_id)));
        let (days, totals) = by_day_and_currency(&at_risk)?;
        let accounts_at_risk = at_risk.len();
        let accounts = at_risk
            .into_iter()
            .filter(|account| {
                after
                    .as_ref()
                    .is_none_or(|(at, id)| (account.runs_out_at, &account.account_id) > (*at, id))
            })
            .take(limit)
            .collect();
        Ok(FleetForecast {
            from: now,
            until,
            days,
            totals,
            accounts,
            accounts_at_risk,
        })
    }
}

/// The unpaid deductions summed by UTC day and currency, and per currency.
fn by_day_and_currency(
    at_risk: &[AtRiskAccount],
) -> Result<(Vec<AtRiskDay>, Vec<AtRiskTotal>), EngineError> {
    type Sums<'a> = (i64, BTreeSet<&'a str>, BTreeSet<&'a str>, usize);
    let mut days: BTreeMap<(Date, &str), Sums> = BTreeMap::new();
    let mut totals: BTreeMap<&str, Sums> = BTreeMap::new();
    for account in at_risk {
        for charge in &account.unpaid {
            let date = charge.at.to_zoned(TimeZone::UTC).date();
            for sums in [
                days.entry((date, account.currency.as_str())).or_default(),
                totals.entry(account.currency.as_str()).or_default(),
            ] {
                sums.0 = add(sums.0, charge.amount_minor)?;
                sums.1.insert(account.account_id.as_str());
                sums.2.insert(charge.instance_id.as_str());
                sums.3 += 1;
            }
        }
    }
    let days = days
        .into_iter()
        .map(
            |((date, currency), (amount_minor, accounts, instances, _))| AtRiskDay {
                date,
                currency: currency.to_string(),
                amount_minor,
                accounts: accounts.len(),
                instances: instances.len(),
            },
        )
        .collect();
    let totals = totals
        .into_iter()
        .map(
            |(currency, (amount_minor, accounts, _, deductions))| AtRiskTotal {
                currency: currency.to_string(),
                amount_minor,
                accounts: accounts.len(),
                deductions,
            },
        )
        .collect();
    Ok((days, totals))
}

/// `SECONDS:ACCOUNT_ID`, as [`AtRiskAccount::cursor`] writes it.
fn parse_cursor(cursor: &str) -> Result<(Timestamp, String), EngineError> {
    // A cursor names a place in the list: one no forecast answered names nothing (404, as
    // every list's `after` that names nothing).
    let invalid = || EngineError::not_found("forecast cursor", cursor);
    let (seconds, account_id) = cursor.split_once(':').ok_or_else(invalid)?;
    let seconds: i64 = seconds.parse().map_err(|_| invalid())?;
    let at = Timestamp::from_second(seconds).map_err(|_| invalid())?;
    Ok((at, account_id.to_string()))
}

fn utc_date(day: i64) -> Result<Date, EngineError> {
    let seconds = day.checked_mul(SECONDS_PER_DAY).ok_or_else(overflow)?;
    Ok(Timestamp::from_second(seconds)
        .map_err(|_| overflow())?
        .to_zoned(TimeZone::UTC)
        .date())
}

fn add(a: i64, b: i64) -> Result<i64, EngineError> {
    a.checked_add(b).ok_or_else(overflow)
}

fn subtract(a: i64, b: i64) -> Result<i64, EngineError> {
    a.checked_sub(b).ok_or_else(overflow)
}

fn overflow() -> EngineError {
    EngineError::Refused {
        code: "amount_overflow",
        message: "the sum is beyond what tenure counts in minor units".to_string(),
    }
}

/// The most accounts one reminder request names.
pub const MAX_REMINDED_ACCOUNTS: usize = 100;

/// What a reminder did for one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reminded {
    /// The account was reminded: its forecast's unpaid deductions.
    Sent {
        account_id: String,
        at_risk_minor: i64,
        runs_out_at: Timestamp,
        deductions: usize,
    },
    /// Its balance and coupons pay every auto-renewal of the days: nothing to remind of.
    NothingAtRisk { account_id: String },
}

impl Engine {
    /// Reminds each account whose balance and coupons will not pay its auto-renewals of the
    /// next `days` days, by email and SMS, with what is at risk and from when, as its own
    /// forecast says now; an account money pays for is left alone (and said to be).
    pub async fn remind_renewal_funds(
        &self,
        tx: &mut Tx,
        account_ids: &[String],
        days: i64,
    ) -> Result<Vec<Reminded>, EngineError> {
        if account_ids.is_empty() || account_ids.len() > MAX_REMINDED_ACCOUNTS {
            return Err(EngineError::invalid(
                "invalid_accounts",
                format!("`accounts` names 1 to {MAX_REMINDED_ACCOUNTS} accounts"),
            ));
        }
        // In id order, each once: two reminders lock their accounts in the same order.
        let account_ids: BTreeSet<&String> = account_ids.iter().collect();
        let now = self.clock.now();
        let mut buffer = RecordBuffer::default();
        let mut outcomes = Vec::with_capacity(account_ids.len());
        for account_id in account_ids {
            let account = self.lock_account(tx, account_id).await?;
            let forecast = self.forecast(tx, account_id, days).await?;
            let unpaid: Vec<&crate::forecast::ForecastedCharge> = forecast
                .charges
                .iter()
                .filter(|charge| !charge.paid)
                .collect();
            let Some(runs_out_at) = forecast.runs_out_at else {
                outcomes.push(Reminded::NothingAtRisk {
                    account_id: account_id.clone(),
                });
                continue;
            };
            let at_risk_minor = unpaid
                .iter()
                .try_fold(0i64, |sum, charge| sum.checked_add(charge.amount_minor))
                .ok_or_else(overflow)?;
            let (event, notices) = renewal_funds_reminder(
                &account,
                forecast.available_minor,
                at_risk_minor,
                runs_out_at,
                unpaid.len(),
                days,
                &self.catalog.notices,
            );
            self.buffer_records(&mut buffer, now, &account, [event], notices);
            outcomes.push(Reminded::Sent {
                account_id: account_id.clone(),
                at_risk_minor,
                runs_out_at,
                deductions: unpaid.len(),
            });
        }
        buffer.flush(tx, self).await?;
        Ok(outcomes)
    }
}

/// The reminder's event and its notices, by email and SMS.
fn renewal_funds_reminder(
    account: &Account,
    available_minor: i64,
    at_risk_minor: i64,
    runs_out_at: Timestamp,
    deductions: usize,
    days: i64,
    texts: &NoticeTexts,
) -> (EventDraft, Vec<NoticeDraft>) {
    let event = EventDraft {
        kind: EventKind::RenewalFundsReminder,
        account_id: account.id.clone(),
        instance_id: None,
        data: serde_json::json!({
            "available_minor": available_minor,
            "at_risk_minor": at_risk_minor,
            "runs_out_at": runs_out_at.to_string(),
            "deductions": deductions,
            "days": days,
        })
        .into(),
    };
    let currency = account.currency.as_str();
    let text = texts.notice(
        Template::RenewalFundsReminder,
        &[
            ("available_credit", &format_minor(available_minor, currency)),
            ("at_risk", &format_minor(at_risk_minor, currency)),
            (
                "runs_out_on",
                &runs_out_at.to_zoned(TimeZone::UTC).date().to_string(),
            ),
            ("deductions", &deductions.to_string()),
        ],
    );
    let notices = [Channel::Email, Channel::Sms]
        .into_iter()
        .map(|channel| NoticeDraft {
            recipient: None,
            account_id: account.id.clone(),
            instance_id: None,
            channel,
            kind: EventKind::RenewalFundsReminder,
            subject: text.subject.clone(),
            body: text.body.clone(),
        })
        .collect();
    (event, notices)
}
