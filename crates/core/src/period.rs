//! Subscription periods (`1M`, `3M`, `1Y`, ...) and calendar arithmetic on them.
//!
//! # The month-end rule
//! A period is added in UTC on the calendar: the day of month and the time of day are kept, and
//! when the target month is shorter the day is clamped to that month's last day. So 1M from
//! 2026-01-31T10:00Z is 2026-02-28T10:00Z, and 1M from there is 2026-03-28T10:00Z: each renewal
//! adds to the current expiry, it never remembers the day the subscription was first bought.
//! A year is twelve months under the same rule (1Y from 2028-02-29 is 2029-02-28).

use std::fmt;
use std::str::FromStr;

use jiff::{tz::TimeZone, SignedDuration, Span, Timestamp};
use serde::{Deserialize, Serialize};

/// The unit a subscription is sold in. Prices are set per unit in the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PeriodUnit {
    Month,
    Year,
}

/// A subscription length: a positive count of months or years.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Period {
    count: u32,
    unit: PeriodUnit,
}

/// The longest period tenure sells or renews in one order: ten years.
pub const MAX_PERIOD_MONTHS: u32 = 120;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a period: write a count and a unit, M for months or Y for years, such as 1M, 3M or 1Y (at most 10 years)")]
pub struct PeriodError(pub String);

impl Period {
    pub fn months(count: u32) -> Self {
        Period {
            count,
            unit: PeriodUnit::Month,
        }
    }

    pub fn years(count: u32) -> Self {
        Period {
            count,
            unit: PeriodUnit::Year,
        }
    }

    pub fn count(self) -> u32 {
        self.count
    }

    pub fn unit(self) -> PeriodUnit {
        self.unit
    }

    /// The length in calendar months.
    pub fn total_months(self) -> u32 {
        match self.unit {
            PeriodUnit::Month => self.count,
            PeriodUnit::Year => self.count * 12,
        }
    }

    /// `start` plus this period, by the month-end rule of this module.
    pub fn add_to(self, start: Timestamp) -> Timestamp {
        add_months(start, self.total_months())
    }
}

/// Adds calendar months in UTC, clamping the day to the end of a shorter month.
pub fn add_months(start: Timestamp, months: u32) -> Timestamp {
    // jiff constrains an overflowing day of month to the month's last day, which is the rule.
    start
        .to_zoned(TimeZone::UTC)
        .checked_add(Span::new().months(i64::from(months)))
        .expect("ten years from any supported instant is representable")
        .timestamp()
}

/// Adds whole days of 24 hours (UTC has no daylight saving, so a day is always 86 400 s).
pub fn add_days(start: Timestamp, days: i64) -> Timestamp {
    // Whole hours are the same length everywhere on the timeline: a fixed duration, not a
    // calendar span (which jiff would have to balance first: several times slower).
    start
        .checked_add(SignedDuration::from_hours(days * 24))
        .expect("days offset is representable")
}

impl FromStr for Period {
    type Err = PeriodError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || PeriodError(text.to_string());
        let unit = match text.chars().last() {
            Some('M') => PeriodUnit::Month,
            Some('Y') => PeriodUnit::Year,
            _ => return Err(error()),
        };
        let digits = &text[..text.len() - 1];
        if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
            return Err(error());
        }
        let count: u32 = digits.parse().map_err(|_| error())?;
        let period = Period { count, unit };
        if count == 0 || period.total_months() > MAX_PERIOD_MONTHS {
            return Err(error());
        }
        Ok(period)
    }
}

impl fmt::Display for Period {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match self.unit {
            PeriodUnit::Month => 'M',
            PeriodUnit::Year => 'Y',
        };
        write!(formatter, "{}{}", self.count, unit)
    }
}

impl TryFrom<String> for Period {
    type Error = PeriodError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<Period> for String {
    fn from(period: Period) -> String {
        period.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn parses_and_prints() {
        assert_eq!("1M".parse::<Period>().unwrap(), Period::months(1));
        assert_eq!("3M".parse::<Period>().unwrap().total_months(), 3);
        assert_eq!("2Y".parse::<Period>().unwrap().total_months(), 24);
        assert_eq!(Period::years(1).to_string(), "1Y");
        for bad in [
            "", "M", "0M", "-1M", "1D", "1.5M", "11Y", "121M", "1m", " 1M",
        ] {
            assert!(bad.parse::<Period>().is_err(), "{bad:?} must be refused");
        }
    }

    #[test]
    fn month_end_clamps_and_renewals_add_to_the_current_expiry() {
        // docs/examples.md 1
        let expiry = Period::months(1).add_to(at("2026-01-31T10:00:00Z"));
        assert_eq!(expiry, at("2026-02-28T10:00:00Z"));
        assert_eq!(Period::months(1).add_to(expiry), at("2026-03-28T10:00:00Z"));
        assert_eq!(
            Period::months(1).add_to(at("2028-01-31T00:00:00Z")),
            at("2028-02-29T00:00:00Z")
        );
        assert_eq!(
            Period::years(1).add_to(at("2028-02-29T00:00:00Z")),
            at("2029-02-28T00:00:00Z")
        );
        assert_eq!(
            Period::months(3).add_to(at("2026-11-30T23:59:59Z")),
            at("2027-02-28T23:59:59Z")
        );
    }

    #[test]
    fn days_are_24_hours() {
        assert_eq!(
            add_days(at("2026-03-10T00:00:00Z"), -7),
            at("2026-03-03T00:00:00Z")
        );
        assert_eq!(
            add_days(at("2026-03-10T00:00:00Z"), 30),
            at("2026-04-09T00:00:00Z")
        );
    }
}
