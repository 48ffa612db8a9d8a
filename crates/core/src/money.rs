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
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
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

    /// How many decimals the currency's minor unit has (ISO 4217's exponent): 2 for most
    /// (USD, EUR: cents), 0 for those without a minor unit (JPY, KRW), 3 for the dinars that
    /// count thousandths. Only notices need it: amounts are held and computed in minor units.
    pub fn minor_unit_digits(&self) -> u32 {
        minor_unit_digits(&self.0)
    }
}

/// [`Currency::minor_unit_digits`] for a code held as text (an account's currency).
pub fn minor_unit_digits(code: &str) -> u32 {
    match code {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
        | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        "CLF" | "UYW" => 4,
        _ => 2,
    }
}

/// An amount as a reader sees it: the minor units as decimals of the currency, then its code
/// (`1250` USD is "12.50 USD", `1250` JPY "1250 JPY"). Exact: no float is involved.
pub fn format_minor(amount_minor: i64, currency_code: &str) -> String {
    let digits = minor_unit_digits(currency_code);
    let sign = if amount_minor < 0 { "-" } else { "" };
    // `unsigned_abs` holds `i64::MIN` too.
    let magnitude = amount_minor.unsigned_abs();
    if digits == 0 {
        return format!("{sign}{magnitude} {currency_code}");
    }
    let scale = 10_u64.pow(digits);
    let width = digits as usize;
    format!(
        "{sign}{}.{:0width$} {currency_code}",
        magnitude / scale,
        magnitude % scale
    )
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

/// A computed amount that does not fit in the `i64` of minor units every amount is held in:
/// the computation is refused, never wrapped or cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the amount is too large to hold in minor units")]
pub struct AmountOverflow;

/// `amount_minor × numerator / denominator`, rounded once, half to even.
///
/// This is the only place where tenure divides money. It works in `i128`, where the product of
/// two `i64` always fits; a result outside `i64` (a price times a huge quantity, say) is an
/// [`AmountOverflow`] for the caller to refuse.
///
/// # Panics
/// If `denominator` is not positive: a zero-length period is a bug in the caller.
pub fn prorate_minor(
    amount_minor: i64,
    numerator: i64,
    denominator: i64,
) -> Result<i64, AmountOverflow> {
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
    i64::try_from(rounded).map_err(|_| AmountOverflow)
}

/// The `part / whole` share of `amount_minor` (used hours of a period, the coupons' part of a
/// payment), by [`prorate_minor`]'s rounding. `part` is held to `0..=whole`, so the share is
/// never larger than the amount and cannot overflow: callers need no error path for it.
///
/// # Panics
/// If `whole` is not positive, as [`prorate_minor`].
pub fn share_minor(amount_minor: i64, part: i64, whole: i64) -> i64 {
    // |amount × part / whole| ≤ |amount| for 0 ≤ part ≤ whole, and rounding to the nearest
    // integer never passes the integer `amount`: the error arm is never taken.
    prorate_minor(amount_minor, part.clamp(0, whole.max(1)), whole).unwrap_or(amount_minor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_half_to_even_once() {
        assert_eq!(prorate_minor(30_000, 101, 720), Ok(4208)); // 4208.33
        assert_eq!(prorate_minor(5, 1, 2), Ok(2)); // 2.5 -> 2
        assert_eq!(prorate_minor(7, 1, 2), Ok(4)); // 3.5 -> 4
        assert_eq!(prorate_minor(-5, 1, 2), Ok(-2)); // -2.5 -> -2
        assert_eq!(prorate_minor(-7, 1, 2), Ok(-4)); // -3.5 -> -4
        assert_eq!(prorate_minor(2, 2, 3), Ok(1)); // 1.33 -> 1
        assert_eq!(prorate_minor(5, 2, 3), Ok(3)); // 3.33 -> 3
        assert_eq!(prorate_minor(30_000, 480, 720), Ok(20_000));
    }

    #[test]
    fn does_not_overflow_for_large_amounts() {
        let century_seconds = 100 * 366 * 86_400;
        assert_eq!(
            prorate_minor(MAX_AMOUNT_MINOR, century_seconds, century_seconds),
            Ok(MAX_AMOUNT_MINOR)
        );
    }

    #[test]
    fn a_result_outside_i64_is_refused_not_wrapped() {
        // The poison: 780,000 records of 10^12 task-hours at 12 each, 9.36 × 10^18.
        assert_eq!(
            prorate_minor(12, 780_000 * 1_000_000_000_000, 1),
            Err(AmountOverflow)
        );
        assert_eq!(prorate_minor(i64::MAX, i64::MAX, 1), Err(AmountOverflow));
        assert_eq!(prorate_minor(i64::MIN, 2, 1), Err(AmountOverflow));
        assert_eq!(prorate_minor(i64::MAX, i64::MAX, i64::MAX), Ok(i64::MAX));
    }

    #[test]
    fn a_share_is_never_more_than_the_amount() {
        assert_eq!(share_minor(30_000, 480, 720), 20_000);
        assert_eq!(share_minor(i64::MAX, 3, 3), i64::MAX);
        assert_eq!(
            share_minor(i64::MAX, 5, 3),
            i64::MAX,
            "part held to the whole"
        );
        assert_eq!(share_minor(100, -5, 3), 0, "part held to zero");
        assert_eq!(share_minor(i64::MIN, 1, 1), i64::MIN);
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
    fn amounts_read_in_their_currency() {
        assert_eq!(format_minor(1250, "USD"), "12.50 USD");
        assert_eq!(format_minor(5, "EUR"), "0.05 EUR");
        assert_eq!(format_minor(0, "USD"), "0.00 USD");
        assert_eq!(format_minor(-1250, "USD"), "-12.50 USD");
        assert_eq!(format_minor(1250, "JPY"), "1250 JPY");
        assert_eq!(format_minor(1250, "KWD"), "1.250 KWD");
        assert_eq!(format_minor(i64::MIN, "USD"), "-92233720368547758.08 USD");
        assert_eq!(Currency::parse("KRW").unwrap().minor_unit_digits(), 0);
    }

    #[test]
    fn currency_codes() {
        assert!(Currency::parse("USD").is_ok());
        assert!(Currency::parse("usd").is_err());
        assert!(Currency::parse("US").is_err());
    }
}
