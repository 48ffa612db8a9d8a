//! List prices of a spec for a period.

use super::model::Spec;
use crate::period::{Period, PeriodUnit};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PriceError {
    #[error("the price overflows")]
    Overflow,
}

impl Spec {
    /// The list price of `period`: the monthly price per month, or the yearly price per year.
    pub fn list_price_minor(&self, period: Period) -> Result<i64, PriceError> {
        let unit_price_minor = match period.unit() {
            PeriodUnit::Month => self.monthly_price_minor,
            PeriodUnit::Year => self.yearly_price_minor,
        };
        unit_price_minor
            .checked_mul(i64::from(period.count()))
            .ok_or(PriceError::Overflow)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_and_years_use_their_own_price() {
        let spec = Spec {
            id: "s".into(),
            name: "s".into(),
            monthly_price_minor: 12_000,
            yearly_price_minor: 120_000,
            quota: None,
        };
        assert_eq!(spec.list_price_minor(Period::months(3)), Ok(36_000));
        assert_eq!(spec.list_price_minor(Period::years(2)), Ok(240_000));
    }
}
