//! Money: integer minor units (cents) and the one rounding rule.
//!
//! Every amount in tenure is an `i64` count of the currency's minor unit, and every name that
//! holds one ends in `_minor`. Fractions appear only inside [`prorate_minor`], which rounds once,
//! half to even, at the end of the computation: the single rounding rule of the project.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The largest amount tenure accepts in one request: 10^13 minor units (100 billion in a
/// two-decimal currency). Far above any real order, far below `i64::MAX`, so sums of many such
/// amounts cannot overflow.
pub const MAX_AMOUNT_MINOR: i64 = 10_000_000_000_000;

/// An ISO 4217 currency code, three upper-case ASCII letters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(try_from = "String", into = "String")]
pub struct Currency(String);

impl Currency {
    pub fn parse(code: &str) -> Result<Self, MoneyError> {
        if code.len() == 3 && code.bytes().all(|byte| byte.is_ascii_uppercase()) {
            Ok(Currency(code.to_string()))
        } else {
            Err(MoneyError::BadCurrency(code.to_string()))
        }
    }

    pub fn code(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Currency {
    type Error = MoneyError;
    fn try_from(code: String) -> Result<Self, Self::Error> {
        Currency::parse(&code)
    }
}

impl From<Currency> for String {
    fn from(currency: Currency) -> String {
        currency.0
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("`{0}` is not a currency code: use three upper-case letters such as USD")]
    BadCurrency(String),
    #[error("the amount must be a positive number of minor units")]
    NotPositive,
    #[error("the amount is larger than {MAX_AMOUNT_MINOR} minor units")]
    TooLarge,
}

/// Checks an amount that a caller asks tenure to move (deposit, grant): positive and not absurd.
pub fn validate_positive_amount(amount_minor: i64) -> Result<i64, MoneyError> {
    if amount_minor <= 0 {
        Err(MoneyError::NotPositive)
    } else if amount_minor > MAX_AMOUNT_MINOR {
        Err(MoneyError::TooLarge)
    } else {
        Ok(amount_minor)
    }
}

/// `amount_minor × numerator / denominator`, rounded once, half to even.
///
/// This is the only place where tenure divides money. It works in `i128`, so the product never
/// overflows for amounts up to [`MAX_AMOUNT_MINOR`] and numerators up to a century of seconds.
///
/// # Panics
/// If `denominator` is not positive: a zero-length period is a bug in the caller.
pub fn prorate_minor(amount_minor: i64, numerator: i64, denominator: i64) -> i64 {
    assert!(denominator > 0, "prorating over an empty period");
    let product = i128::from(amount_minor) * i128::from(numerator);
    let denominator = i128::from(denominator);
    let quotient = product.div_euclid(denominator);
    let remainder = product.rem_euclid(denominator);
    let twice_remainder = remainder * 2;
    let rounded =
        if twice_remainder > denominator || (twice_remainder == denominator && quotient % 2 != 0) {
            quotient + 1
        } else {
            quotient
        };
    i64::try_from(rounded).expect("prorated amount fits in i64")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_half_to_even_once() {
        assert_eq!(prorate_minor(30_000, 101, 720), 4208); // 4208.33
        assert_eq!(prorate_minor(5, 1, 2), 2); // 2.5 -> 2
        assert_eq!(prorate_minor(7, 1, 2), 4); // 3.5 -> 4
        assert_eq!(prorate_minor(-5, 1, 2), -2); // -2.5 -> -2
        assert_eq!(prorate_minor(-7, 1, 2), -4); // -3.5 -> -4
        assert_eq!(prorate_minor(2, 2, 3), 1); // 1.33 -> 1
        assert_eq!(prorate_minor(5, 2, 3), 3); // 3.33 -> 3
        assert_eq!(prorate_minor(30_000, 480, 720), 20_000);
    }

    #[test]
    fn does_not_overflow_for_large_amounts() {
        let century_seconds = 100 * 366 * 86_400;
        assert_eq!(
            prorate_minor(MAX_AMOUNT_MINOR, century_seconds, century_seconds),
            MAX_AMOUNT_MINOR
        );
    }

    #[test]
    fn validates_amounts() {
        assert_eq!(validate_positive_amount(0), Err(MoneyError::NotPositive));
        assert_eq!(validate_positive_amount(-1), Err(MoneyError::NotPositive));
        assert_eq!(
            validate_positive_amount(MAX_AMOUNT_MINOR + 1),
            Err(MoneyError::TooLarge)
        );
        assert_eq!(validate_positive_amount(1250), Ok(1250));
    }

    #[test]
    fn currency_codes() {
        assert!(Currency::parse("USD").is_ok());
        assert!(Currency::parse("usd").is_err());
        assert!(Currency::parse("US").is_err());
    }
}
