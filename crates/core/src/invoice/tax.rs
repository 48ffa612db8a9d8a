//! The tax rule: how a sale to a buyer is taxed ([`tax_treatment`], from the seller's
//! [`TaxRules`]), how an amount splits into net and tax ([`split_price`]), and a document's tax
//! per category and rate ([`document_taxes`], [`tax_subtotals`]).
//!
//! Every division is [`prorate_minor`]'s, the one rounding rule (half to even); no float
//! anywhere; an amount that would leave `i64` is an [`AmountOverflow`], never a panic.
//!
//! **Tax is computed once per subtotal, never summed from rounded lines** (EN 16931 BR-CO-17:
//! a category's tax is its taxable amount × its rate, rounded once). Each line's tax is then
//! that subtotal's tax handed out over its lines by cumulative rounding (a line's tax is the
//! rounded tax of the lines up to and including it, less the rounded tax of those before it),
//! so the lines' taxes sum to the subtotal's exactly and each is within one minor unit of its
//! own exact share.
//!
//! **Prices without tax** (`prices_include_tax = false`): a line's net is what it charged; the
//! subtotal's taxable amount is the sum of its lines' nets and its tax that × rate, rounded
//! once (BR-CO-17 exactly). The customer owes net + tax: what charges them must use the same
//! [`document_taxes`] on the same lines, not a tax per line, or the two would differ by the
//! lines' roundings.
//!
//! **Prices with tax** (`prices_include_tax = true`): what the customer paid is the gross, and
//! must stay the gross to the cent. Per subtotal, gross G is the sum of its lines' charged
//! amounts; tax T = G × rate / (10000 + rate), rounded once; taxable N = G − T. So N + T = G
//! exactly, for the subtotal and, summed, for the document. A line's tax is its share of T
//! (cumulative rounding, as above) and its net its charge less that tax, so the lines' nets
//! sum to N exactly (BR-S-08 and its kin for the other categories: taxable = the sum of the
//! lines' nets) and each line's net + tax
//! is what it charged. The price paid for that exactness: T may differ from N × rate, rounded,
//! by one minor unit (|T − N·r| ≤ ½·(1 + r) ≤ 1 for r ≤ 100 %). The CEN validation artefacts
//! for CII, the syntax of Factur-X, accept BR-CO-17 within ±1 (of the amount as written, a
//! whole currency unit), so such a document validates; no rule can hold both N + T = G and
//! T = round(N·r) for every G (at 20 %, no N gives N + round(N/5) = 3 minor units).

use std::collections::BTreeMap;

use super::document::{DocumentLine, Party, TaxCategory, TaxSubtotal};
use crate::catalog::{TaxRules, MAX_RATE_BASIS_POINTS};
use crate::country::is_eu_member;
use crate::money::{prorate_minor, AmountOverflow};

/// What the tax rule needs to know of a buyer. A buyer with a tax id is taken for a business
/// (tenure knows no other sign of one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuyerTaxFacts<'a> {
    /// ISO 3166-1 alpha-2, upper case.
    pub country_code: &'a str,
    pub tax_id: Option<&'a str>,
}

impl<'a> From<&'a Party> for BuyerTaxFacts<'a> {
    fn from(party: &'a Party) -> BuyerTaxFacts<'a> {
        BuyerTaxFacts {
            country_code: &party.country_code,
            tax_id: party.tax_id.as_deref(),
        }
    }
}

/// How a sale is taxed: every line of one buyer's document is taxed alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaxTreatment {
    pub category: TaxCategory,
    /// Hundredths of a percent; 0 for every category but `Standard` (for `NotSubject` a
    /// renderer writes no rate at all: EN 16931 BR-O-05).
    pub rate_basis_points: u32,
    /// Why no tax is charged, for the categories that must say (see [`exemption_reason`]).
    pub exemption_reason: Option<&'static str>,
}

/// The text of why a category charges no tax (EN 16931 BT-120, which BR-AE-10, BR-E-10 and
/// BR-O-10 require); `None` for the taxed categories.
pub fn exemption_reason(category: TaxCategory) -> Option<&'static str> {
    match category {
        TaxCategory::ReverseCharge => Some("Reverse charge"),
        TaxCategory::NotSubject => Some("Not subject to VAT"),
        TaxCategory::Exempt => Some("Exempt from VAT"),
        TaxCategory::Standard | TaxCategory::ZeroRated => None,
    }
}

/// The VATEX code of why a category charges no tax (EN 16931 BT-121), where one category has
/// one code.
pub fn exemption_reason_code(category: TaxCategory) -> Option<&'static str> {
    match category {
        TaxCategory::ReverseCharge => Some("VATEX-EU-AE"),
        TaxCategory::NotSubject => Some("VATEX-EU-O"),
        TaxCategory::Exempt | TaxCategory::Standard | TaxCategory::ZeroRated => None,
    }
}

/// How the seller, in `seller_country`, taxes a sale to `buyer`, by its rules:
///
/// 1. reverse charge (`AE`, rate 0), when the rules say so and the buyer has a tax id in an EU
///    member state other than the seller's (also a member);
/// 2. else the rate of the buyer's country, or the default rate: `Standard` above 0,
///    `ZeroRated` at 0;
/// 3. else no tax: `NotSubject` (`O`), which is what the built-in seller answers for everyone.
pub fn tax_treatment(
    rules: &TaxRules,
    seller_country: &str,
    buyer: &BuyerTaxFacts<'_>,
) -> TaxTreatment {
    let has_tax_id = buyer.tax_id.is_some_and(|tax_id| !tax_id.trim().is_empty());
    let reverse_charged = rules.reverse_charge_eu_business
        && has_tax_id
        && buyer.country_code != seller_country
        && is_eu_member(buyer.country_code)
        && is_eu_member(seller_country);
    let category_and_rate = if reverse_charged {
        (TaxCategory::ReverseCharge, 0)
    } else {
        match rules
            .rates
            .get(buyer.country_code)
            .copied()
            .or(rules.default_rate_basis_points)
        {
            Some(0) => (TaxCategory::ZeroRated, 0),
            // The catalog check holds rates to 0..=100 %; held here too, so no caller can
            // make the split's divisor meaningless.
            Some(rate) => (TaxCategory::Standard, rate.min(MAX_RATE_BASIS_POINTS)),
            None => (TaxCategory::NotSubject, 0),
        }
    };
    let (category, rate_basis_points) = category_and_rate;
    TaxTreatment {
        category,
        rate_basis_points,
        exemption_reason: exemption_reason(category),
    }
}

/// An amount split: `net_minor + tax_minor` is the gross.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriceSplit {
    pub net_minor: i64,
    pub tax_minor: i64,
}

impl PriceSplit {
    /// Net plus tax; never overflows, since every split is made with its gross in `i64`.
    pub fn gross_minor(&self) -> i64 {
        self.net_minor + self.tax_minor
    }
}

/// The tax part of `gross_minor` when it includes tax at `rate_basis_points`:
/// gross × rate / (10000 + rate), rounded once.
fn tax_in_gross(gross_minor: i64, rate_basis_points: u32) -> Result<i64, AmountOverflow> {
    let rate = i64::from(rate_basis_points.min(MAX_RATE_BASIS_POINTS));
    prorate_minor(gross_minor, rate, 10_000 + rate)
}

/// The tax on `net_minor` at `rate_basis_points`: net × rate / 10000, rounded once.
fn tax_on_net(net_minor: i64, rate_basis_points: u32) -> Result<i64, AmountOverflow> {
    let rate = i64::from(rate_basis_points.min(MAX_RATE_BASIS_POINTS));
    prorate_minor(net_minor, rate, 10_000)
}

/// One amount alone split into net and tax: `amount_minor` is the gross when prices include
/// tax (net + tax = it exactly), the net otherwise (tax added on top). For one line priced
/// alone (a quote); a document's lines are split together by [`document_taxes`], which rounds
/// once per subtotal.
pub fn split_price(
    amount_minor: i64,
    treatment: &TaxTreatment,
    prices_include_tax: bool,
) -> Result<PriceSplit, AmountOverflow> {
    if prices_include_tax {
        let tax_minor = tax_in_gross(amount_minor, treatment.rate_basis_points)?;
        // |tax| ≤ |amount|: the difference stays in `i64`.
        Ok(PriceSplit {
            net_minor: amount_minor - tax_minor,
            tax_minor,
        })
    } else {
        let tax_minor = tax_on_net(amount_minor, treatment.rate_basis_points)?;
        amount_minor.checked_add(tax_minor).ok_or(AmountOverflow)?;
        Ok(PriceSplit {
            net_minor: amount_minor,
            tax_minor,
        })
    }
}

/// A line as charged, before its net and tax are known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChargedLine {
    /// What the line charged: the gross when prices include tax, the net otherwise.
    pub charged_minor: i64,
    pub tax_category: TaxCategory,
    pub tax_rate_basis_points: u32,
}

/// A document's amounts, split: a [`PriceSplit`] per line in the lines' order, the tax per
/// (category, rate), and the totals. `net_minor + tax_minor = gross_minor`; the lines' nets of
/// a subtotal sum to its taxable amount and their taxes to its tax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentTaxes {
    pub lines: Vec<PriceSplit>,
    pub tax_subtotals: Vec<TaxSubtotal>,
    pub net_minor: i64,
    pub tax_minor: i64,
    pub gross_minor: i64,
}

/// Splits a document's lines into net and tax and sums them per (category, rate), in the order
/// of [`TaxCategory`] then rate, by the rule of the module's documentation. With
/// `prices_include_tax`, `gross_minor` is the sum of what the lines charged, to the minor unit.
pub fn document_taxes(
    lines: &[ChargedLine],
    prices_include_tax: bool,
) -> Result<DocumentTaxes, AmountOverflow> {
    let mut groups: BTreeMap<(TaxCategory, u32), Vec<usize>> = BTreeMap::new();
    for (index, line) in lines.iter().enumerate() {
        groups
            .entry((line.tax_category, line.tax_rate_basis_points))
            .or_default()
            .push(index);
    }
    let mut splits = vec![
        PriceSplit {
            net_minor: 0,
            tax_minor: 0
        };
        lines.len()
    ];
    let mut tax_subtotals = Vec::with_capacity(groups.len());
    let (mut net_minor, mut tax_minor) = (0i64, 0i64);
    for ((tax_category, tax_rate_basis_points), indexes) in groups {
        let tax_of = |charged_so_far_minor: i64| {
            if prices_include_tax {
                tax_in_gross(charged_so_far_minor, tax_rate_basis_points)
            } else {
                tax_on_net(charged_so_far_minor, tax_rate_basis_points)
            }
        };
        let (mut charged_so_far_minor, mut tax_so_far_minor) = (0i64, 0i64);
        for index in indexes {
            let charged_minor = lines[index].charged_minor;
            charged_so_far_minor = charged_so_far_minor
                .checked_add(charged_minor)
                .ok_or(AmountOverflow)?;
            let tax_through_minor = tax_of(charged_so_far_minor)?;
            // Both taxes are of sums in `i64` and no larger than them: no overflow.
            let line_tax_minor = tax_through_minor - tax_so_far_minor;
            tax_so_far_minor = tax_through_minor;
            splits[index] = if prices_include_tax {
                PriceSplit {
                    net_minor: charged_minor
                        .checked_sub(line_tax_minor)
                        .ok_or(AmountOverflow)?,
                    tax_minor: line_tax_minor,
                }
            } else {
                PriceSplit {
                    net_minor: charged_minor,
                    tax_minor: line_tax_minor,
                }
            };
        }
        let taxable_minor = if prices_include_tax {
            charged_so_far_minor - tax_so_far_minor
        } else {
            charged_so_far_minor
        };
        net_minor = net_minor.checked_add(taxable_minor).ok_or(AmountOverflow)?;
        tax_minor = tax_minor
            .checked_add(tax_so_far_minor)
            .ok_or(AmountOverflow)?;
        tax_subtotals.push(TaxSubtotal {
            tax_category,
            tax_rate_basis_points,
            taxable_minor,
            tax_minor: tax_so_far_minor,
            exemption_reason: exemption_reason(tax_category).map(str::to_string),
        });
    }
    let gross_minor = net_minor.checked_add(tax_minor).ok_or(AmountOverflow)?;
    Ok(DocumentTaxes {
        lines: splits,
        tax_subtotals,
        net_minor,
        tax_minor,
        gross_minor,
    })
}

/// The tax per (category, rate) of lines whose nets are known, each subtotal's tax its
/// taxable amount (the sum of its lines' nets) × its rate, rounded once (EN 16931 BR-CO-17).
/// This is the subtotal of prices without tax; lines whose nets were taken out of prices with
/// tax keep the subtotals [`document_taxes`] made with them (whose tax keeps the paid gross
/// exact, see the module's documentation).
pub fn tax_subtotals(lines: &[DocumentLine]) -> Result<Vec<TaxSubtotal>, AmountOverflow> {
    let charged: Vec<ChargedLine> = lines
        .iter()
        .map(|line| ChargedLine {
            charged_minor: line.net_minor,
            tax_category: line.tax_category,
            tax_rate_basis_points: line.tax_rate_basis_points,
        })
        .collect();
    Ok(document_taxes(&charged, false)?.tax_subtotals)
}

#[cfg(test)]
mod tests;
