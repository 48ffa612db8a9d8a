use proptest::prelude::*;

use super::*;
use crate::catalog::{Seller, TaxRules};
use crate::money::MAX_AMOUNT_MINOR;

fn french_rules() -> TaxRules {
    TaxRules {
        prices_include_tax: true,
        default_rate_basis_points: Some(2000),
        rates: [("DE".to_string(), 1900), ("CH".to_string(), 0)].into(),
        reverse_charge_eu_business: true,
    }
}

fn buyer<'a>(country_code: &'a str, tax_id: Option<&'a str>) -> BuyerTaxFacts<'a> {
    BuyerTaxFacts {
        country_code,
        tax_id,
    }
}

fn treated(category: TaxCategory, rate_basis_points: u32) -> TaxTreatment {
    TaxTreatment {
        category,
        rate_basis_points,
        exemption_reason: exemption_reason(category),
    }
}

#[test]
fn the_builtin_seller_taxes_nobody() {
    let seller = Seller::builtin();
    for (country, tax_id) in [("US", None), ("FR", Some("FR40303265045")), ("JP", None)] {
        let treatment = tax_treatment(&seller.tax, &seller.country, &buyer(country, tax_id));
        assert_eq!(treatment.category, TaxCategory::NotSubject);
        assert_eq!(treatment.rate_basis_points, 0);
        assert_eq!(treatment.exemption_reason, Some("Not subject to VAT"));
        let split = split_price(12_345, &treatment, seller.tax.prices_include_tax).unwrap();
        assert_eq!(
            split,
            PriceSplit {
                net_minor: 12_345,
                tax_minor: 0
            }
        );
    }
}

#[test]
fn the_buyer_decides_the_category_and_rate() {
    let rules = french_rules();
    let treatment = |country, tax_id| tax_treatment(&rules, "FR", &buyer(country, tax_id));
    // A consumer at home, a business at home: the seller's own rate.
    assert_eq!(treatment("FR", None), treated(TaxCategory::Standard, 2000));
    assert_eq!(
        treatment("FR", Some("FR1")),
        treated(TaxCategory::Standard, 2000)
    );
    // A business in another member state: reverse charged, whatever its country's rate.
    let reverse = treatment("DE", Some("DE123456789"));
    assert_eq!(reverse, treated(TaxCategory::ReverseCharge, 0));
    assert_eq!(reverse.exemption_reason, Some("Reverse charge"));
    // A consumer there: its country's rate.
    assert_eq!(treatment("DE", None), treated(TaxCategory::Standard, 1900));
    assert_eq!(
        treatment("DE", Some("  ")),
        treated(TaxCategory::Standard, 1900)
    );
    // Outside the EU, no reverse charge: the listed rate (0: zero rated), else the default.
    assert_eq!(
        treatment("CH", Some("CHE-1")),
        treated(TaxCategory::ZeroRated, 0)
    );
    assert_eq!(
        treatment("US", Some("US1")),
        treated(TaxCategory::Standard, 2000)
    );
    // Without a default, an unlisted country is not subject to tax.
    let rules = TaxRules {
        default_rate_basis_points: None,
        ..french_rules()
    };
    let not_subject = tax_treatment(&rules, "FR", &buyer("US", None));
    assert_eq!(not_subject, treated(TaxCategory::NotSubject, 0));
    // Reverse charge off: the business pays its country's rate.
    let rules = TaxRules {
        reverse_charge_eu_business: false,
        ..french_rules()
    };
    let taxed = tax_treatment(&rules, "FR", &buyer("DE", Some("DE1")));
    assert_eq!(taxed, treated(TaxCategory::Standard, 1900));
}

#[test]
fn a_price_with_tax_splits_into_net_and_tax_that_sum_to_it() {
    let standard = treated(TaxCategory::Standard, 2000);
    // 12.00 with 20 % in it: 10.00 net, 2.00 tax.
    assert_eq!(
        split_price(1200, &standard, true).unwrap(),
        PriceSplit {
            net_minor: 1000,
            tax_minor: 200
        }
    );
    // 0.03 at 20 %: 0.005 of tax, half to even: 0.
    assert_eq!(
        split_price(3, &standard, true).unwrap(),
        PriceSplit {
            net_minor: 3,
            tax_minor: 0
        }
    );
    // 0.09 at 20 %: 0.015, half to even: 0.02.
    assert_eq!(
        split_price(9, &standard, true).unwrap(),
        PriceSplit {
            net_minor: 7,
            tax_minor: 2
        }
    );
    // Without tax in the price, tax comes on top: 10.00 at 5.5 % is 0.55.
    let reduced = treated(TaxCategory::Standard, 550);
    assert_eq!(
        split_price(1000, &reduced, false).unwrap(),
        PriceSplit {
            net_minor: 1000,
            tax_minor: 55
        }
    );
    assert_eq!(
        split_price(i64::MAX, &reduced, false),
        Err(AmountOverflow),
        "a gross past i64 is refused"
    );
    assert_eq!(
        split_price(i64::MAX, &reduced, true).unwrap().gross_minor(),
        i64::MAX
    );
}

fn charged(charged_minor: i64, tax_category: TaxCategory, rate: u32) -> ChargedLine {
    ChargedLine {
        charged_minor,
        tax_category,
        tax_rate_basis_points: rate,
    }
}

#[test]
fn tax_is_rounded_once_per_subtotal_not_per_line() {
    // Four lines of 0.03 net at 20 %: 0.006 of tax each, 0.01 if rounded per line (0.04 in
    // all), but the subtotal's 0.12 × 20 % = 0.024 → 0.02.
    let lines = [charged(3, TaxCategory::Standard, 2000); 4];
    let taxes = document_taxes(&lines, false).unwrap();
    assert_eq!(taxes.tax_subtotals.len(), 1);
    assert_eq!(taxes.tax_subtotals[0].taxable_minor, 12);
    assert_eq!(taxes.tax_subtotals[0].tax_minor, 2);
    let line_taxes: Vec<i64> = taxes.lines.iter().map(|line| line.tax_minor).collect();
    // Cumulative: 0.006 → 1, 0.012 → 1, 0.018 → 2, 0.024 → 2.
    assert_eq!(line_taxes, [1, 0, 1, 0]);
    assert_eq!(
        (taxes.net_minor, taxes.tax_minor, taxes.gross_minor),
        (12, 2, 14)
    );
    // The same nets as document lines give the same subtotal.
    let document_lines: Vec<DocumentLine> = lines
        .iter()
        .map(|line| DocumentLine {
            description: "Widget".into(),
            detail: None,
            period_start: jiff::civil::date(2026, 1, 1),
            period_end: jiff::civil::date(2026, 1, 31),
            quantity: 1,
            unit_price_minor: line.charged_minor,
            net_minor: line.charged_minor,
            tax_category: line.tax_category,
            tax_rate_basis_points: line.tax_rate_basis_points,
        })
        .collect();
    assert_eq!(tax_subtotals(&document_lines).unwrap(), taxes.tax_subtotals);
}

#[test]
fn prices_with_tax_keep_the_paid_gross_to_the_cent() {
    // What the customer paid: 9.99 + 0.01 + 19.99 at 20 %, and 5.00 reverse charged.
    let lines = [
        charged(999, TaxCategory::Standard, 2000),
        charged(1, TaxCategory::Standard, 2000),
        charged(500, TaxCategory::ReverseCharge, 0),
        charged(1999, TaxCategory::Standard, 2000),
    ];
    let taxes = document_taxes(&lines, true).unwrap();
    assert_eq!(taxes.gross_minor, 999 + 1 + 500 + 1999);
    // Subtotals in category order: Standard, then ReverseCharge.
    let standard = &taxes.tax_subtotals[0];
    assert_eq!(standard.tax_category, TaxCategory::Standard);
    // 29.99 gross at 20 %: 4.998… tax → 5.00, 24.99 net.
    assert_eq!((standard.taxable_minor, standard.tax_minor), (2499, 500));
    let reverse = &taxes.tax_subtotals[1];
    assert_eq!((reverse.taxable_minor, reverse.tax_minor), (500, 0));
    assert_eq!(reverse.exemption_reason.as_deref(), Some("Reverse charge"));
    for (line, split) in lines.iter().zip(&taxes.lines) {
        assert_eq!(split.gross_minor(), line.charged_minor);
    }
    // Each line's net sums to its subtotal's taxable amount.
    let standard_nets: i64 = [0, 1, 3].iter().map(|&i| taxes.lines[i].net_minor).sum();
    assert_eq!(standard_nets, standard.taxable_minor);
}

#[test]
fn an_empty_document_has_no_subtotal() {
    let taxes = document_taxes(&[], true).unwrap();
    assert!(taxes.tax_subtotals.is_empty());
    assert_eq!(taxes.gross_minor, 0);
}

#[test]
fn a_sum_past_i64_is_refused_not_wrapped() {
    let lines = [charged(i64::MAX / 2 + 1, TaxCategory::Standard, 2000); 2];
    assert_eq!(document_taxes(&lines, true), Err(AmountOverflow));
    let lines = [charged(i64::MAX / 2, TaxCategory::Standard, 2000); 2];
    assert_eq!(document_taxes(&lines, false), Err(AmountOverflow));
}

fn any_category() -> impl Strategy<Value = (TaxCategory, u32)> {
    prop_oneof![
        (1u32..=MAX_RATE_BASIS_POINTS).prop_map(|rate| (TaxCategory::Standard, rate)),
        prop_oneof![Just(2000u32), Just(1900), Just(550), Just(10_000)]
            .prop_map(|rate| (TaxCategory::Standard, rate)),
        Just((TaxCategory::ZeroRated, 0)),
        Just((TaxCategory::ReverseCharge, 0)),
        Just((TaxCategory::NotSubject, 0)),
    ]
}

fn any_lines() -> impl Strategy<Value = Vec<ChargedLine>> {
    prop::collection::vec(
        (
            prop_oneof![0..=MAX_AMOUNT_MINOR, 0i64..10_000],
            any_category(),
        )
            .prop_map(|(charged_minor, (category, rate))| charged(charged_minor, category, rate)),
        0..12,
    )
}

proptest! {
    #[test]
    fn net_plus_tax_is_the_gross_and_nothing_overflows(
        lines in any_lines(),
        prices_include_tax in any::<bool>(),
    ) {
        let taxes = document_taxes(&lines, prices_include_tax).unwrap();
        let charged_minor: i64 = lines.iter().map(|line| line.charged_minor).sum();
        prop_assert_eq!(taxes.net_minor + taxes.tax_minor, taxes.gross_minor);
        if prices_include_tax {
            prop_assert_eq!(taxes.gross_minor, charged_minor, "the paid gross, to the cent");
        } else {
            prop_assert_eq!(taxes.net_minor, charged_minor);
        }
        for (line, split) in lines.iter().zip(&taxes.lines) {
            prop_assert!(split.tax_minor >= 0 && split.net_minor >= 0, "{:?}", split);
            if prices_include_tax {
                prop_assert_eq!(split.gross_minor(), line.charged_minor);
            } else {
                prop_assert_eq!(split.net_minor, line.charged_minor);
            }
        }
        for subtotal in &taxes.tax_subtotals {
            let of_subtotal: Vec<_> = lines
                .iter()
                .zip(&taxes.lines)
                .filter(|(line, _)| {
                    (line.tax_category, line.tax_rate_basis_points)
                        == (subtotal.tax_category, subtotal.tax_rate_basis_points)
                })
                .map(|(_, split)| *split)
                .collect();
            prop_assert_eq!(of_subtotal.iter().map(|split| split.net_minor).sum::<i64>(), subtotal.taxable_minor);
            prop_assert_eq!(of_subtotal.iter().map(|split| split.tax_minor).sum::<i64>(), subtotal.tax_minor);
            // BR-CO-17: exact without tax in the prices, within a minor unit with it.
            let expected = prorate_minor(
                subtotal.taxable_minor,
                i64::from(subtotal.tax_rate_basis_points),
                10_000,
            )
            .unwrap();
            let allowed = if prices_include_tax { 1 } else { 0 };
            prop_assert!((subtotal.tax_minor - expected).abs() <= allowed, "{:?}", subtotal);
            if subtotal.tax_category != TaxCategory::Standard {
                prop_assert_eq!(subtotal.tax_minor, 0);
                prop_assert!(subtotal.exemption_reason.is_some() || subtotal.tax_category == TaxCategory::ZeroRated);
            }
        }
    }

    #[test]
    fn one_price_splits_into_its_gross(
        amount_minor in 0..=MAX_AMOUNT_MINOR,
        (category, rate) in any_category(),
        prices_include_tax in any::<bool>(),
    ) {
        let treatment = treated(category, rate);
        let split = split_price(amount_minor, &treatment, prices_include_tax).unwrap();
        if prices_include_tax {
            prop_assert_eq!(split.gross_minor(), amount_minor);
        } else {
            prop_assert_eq!(split.net_minor, amount_minor);
        }
        prop_assert!(split.tax_minor >= 0 && split.tax_minor <= split.gross_minor());
        // One line alone is its own subtotal: the split and the document agree.
        let document = document_taxes(&[charged(amount_minor, category, rate)], prices_include_tax).unwrap();
        prop_assert_eq!(document.lines[0], split);
    }
}
