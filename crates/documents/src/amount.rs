//! Amounts and tax rates as decimal text, from integers alone: no float touches money.

use tenure_core::money::minor_unit_digits;

/// EN 16931 writes amounts with at most two decimals (its BR-DEC rules).
const EN16931_AMOUNT_DECIMALS: u32 = 2;

/// An amount of minor units as the decimal number the currency's decimals make of it, with no
/// thousands separator and no code: `1250` USD is `12.50`, `1250` JPY `1250`.
pub fn decimal_text(amount_minor: i64, currency_code: &str) -> String {
    with_decimals(amount_minor, minor_unit_digits(currency_code))
}

/// An amount for the Factur-X XML: in the currency's decimals, except that a currency with more than two
/// decimals (KWD, BHD, ... have three) is written with as few of them as write it exactly, and
/// at least two. EN 16931 allows two decimals at most, and rounding an amount would make the XML
/// disagree with the PDF and the ledger (and its sums no longer add up), so the amount stays
/// exact: `1.250` KWD is written `1.25`, which conforms, but `1.255` KWD stays `1.255`, which the
/// EN 16931 rules BR-DEC-* flag (the XSD accepts it). A seller invoicing in such a currency
/// conforms as long as its prices are whole hundredths.
pub fn factur_x_amount(amount_minor: i64, currency_code: &str) -> String {
    let digits = minor_unit_digits(currency_code);
    if digits <= EN16931_AMOUNT_DECIMALS {
        return with_decimals(amount_minor, digits);
    }
    let mut text = with_decimals(amount_minor, digits);
    let mut extra_decimals = digits - EN16931_AMOUNT_DECIMALS;
    while extra_decimals > 0 && text.ends_with('0') {
        text.pop();
        extra_decimals -= 1;
    }
    text
}

/// A tax rate in hundredths of a percent as a percentage with two decimals, as the XML writes
/// it: `2000` is `20.00`, `550` is `5.50`.
pub fn rate_percent_text(rate_basis_points: u32) -> String {
    with_decimals(i64::from(rate_basis_points), 2)
}

/// A tax rate as a reader sees it, without trailing zeros: `2000` is `20`, `550` is `5.5`.
pub fn rate_percent_short(rate_basis_points: u32) -> String {
    let mut text = rate_percent_text(rate_basis_points);
    while text.ends_with('0') {
        text.pop();
    }
    if text.ends_with('.') {
        text.pop();
    }
    text
}

fn with_decimals(amount_minor: i64, digits: u32) -> String {
    let sign = if amount_minor < 0 { "-" } else { "" };
    // `unsigned_abs` holds `i64::MIN` too.
    let magnitude = amount_minor.unsigned_abs();
    if digits == 0 {
        return format!("{sign}{magnitude}");
    }
    let scale = 10_u64.pow(digits);
    let width = digits as usize;
    format!("{sign}{}.{:0width$}", magnitude / scale, magnitude % scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_take_their_currencys_decimals() {
        assert_eq!(decimal_text(1250, "USD"), "12.50");
        assert_eq!(decimal_text(5, "EUR"), "0.05");
        assert_eq!(decimal_text(-5, "EUR"), "-0.05");
        assert_eq!(decimal_text(1250, "JPY"), "1250");
        assert_eq!(decimal_text(1250, "KWD"), "1.250");
        assert_eq!(decimal_text(i64::MIN, "USD"), "-92233720368547758.08");
    }

    #[test]
    fn factur_x_writes_three_decimal_currencies_exactly_with_as_few_decimals_as_it_can() {
        assert_eq!(factur_x_amount(1250, "KWD"), "1.25");
        assert_eq!(factur_x_amount(1255, "KWD"), "1.255");
        assert_eq!(factur_x_amount(1000, "KWD"), "1.00");
        assert_eq!(factur_x_amount(0, "KWD"), "0.00");
        assert_eq!(factur_x_amount(12_340, "CLF"), "1.234");
        assert_eq!(factur_x_amount(1250, "USD"), "12.50");
        assert_eq!(factur_x_amount(1250, "JPY"), "1250");
    }

    #[test]
    fn rates_are_percentages() {
        assert_eq!(rate_percent_text(2000), "20.00");
        assert_eq!(rate_percent_text(550), "5.50");
        assert_eq!(rate_percent_text(0), "0.00");
        assert_eq!(rate_percent_short(2000), "20");
        assert_eq!(rate_percent_short(550), "5.5");
        assert_eq!(rate_percent_short(1234), "12.34");
        assert_eq!(rate_percent_short(0), "0");
    }
}
