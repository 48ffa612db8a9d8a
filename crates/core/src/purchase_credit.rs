//! Credit before use: what buying an instance billed after its use needs.
//!
//! A pay-as-you-go instance is billed per hourly cycle, a bill is generated hours after its
//! cycle ends, and an unpaid bill stops the instance only `overdue_grace_hours` later: without
//! a rule, an account holding nothing gets more than a day of use per instance for free. So,
//! per product (its `[purchase_limits]`, catalog data):
//!
//! - Buying a pay-as-you-go instance needs **available credit** of at least
//!   `payg_minimum_credit_minor`, and the account may hold at most `payg_max_open_instances`
//!   open (not released) ones.
//! - Free instances cost nothing, but each is a resource the operator runs: past
//!   `free_instances_without_credit` open ones, another needs the same credit.
//! - Subscriptions and resource plans are paid in full when bought: no rule here.
//!
//! **Available credit** is what would pay the account's bills now, by the order of
//! [`crate::payment`]: balance + coupons (vouchers never pay a bill,
//! [`PaymentSources::USAGE_BILL`](crate::payment::PaymentSources::USAGE_BILL)), minus the
//! unpaid bills, which that credit is owed to first. It is the "available credit" the
//! overdue rule (`crate::overdue`) compares with the amount due. The credit is a threshold, not
//! a hold: nothing is reserved or charged at purchase.
//!
//! The limit is checked before the credit: a deposit cannot lift it, so saying so first spares
//! a customer a deposit that would not help.

use crate::catalog::{Billing, PurchaseLimits};
use crate::lifecycle::InstanceStatus;
use crate::money::format_minor;
use crate::payment::Funds;

/// Available credit: balance + coupons − unpaid bills (see the module's documentation).
/// Saturating: every term is bounded far below `i64` by the money rules, and a saturated sum
/// still compares the right way.
pub fn available_credit_minor(funds: Funds, debt_minor: i64) -> i64 {
    funds
        .balance_minor
        .saturating_add(funds.coupons_minor)
        .saturating_sub(debt_minor)
}

/// How many of an account's instances of one product and billing are open, given its counts
/// by status: every status but the final ones (released, moved to the free tier,
/// unsubscribed). A stopped pay-as-you-go or frozen free instance is open: paying or
/// "continue trial" brings it back.
pub fn open_count(counts_by_status: &[(InstanceStatus, i64)]) -> i64 {
    counts_by_status
        .iter()
        .filter(|(status, _)| !status.is_final())
        .map(|(_, count)| count)
        .sum()
}

/// What buying one more instance of `billing` asks of the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreditRequirement {
    /// Nothing: paid in full now, or a free instance within the product's allowance.
    None,
    /// Available credit of at least this much.
    AtLeast { minimum_minor: i64 },
}

/// Why a purchase is refused before anything is written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditRefusal {
    /// The account already holds the product's limit of open pay-as-you-go instances (409:
    /// the request is right, the account's state refuses it; releasing one changes the answer).
    #[error(
        "the account already holds {open} open pay-as-you-go instances of {product}, the most \
         one account may hold; release one (POST /v1/instances/{{id}}/release) before buying \
         another"
    )]
    PaygLimitReached {
        product: String,
        open: i64,
        limit: i64,
    },
    /// Available credit is below the product's minimum (402: a deposit lifts it).
    #[error(
        "buying {what} needs available credit (balance + coupons - unpaid bills) of at least \
         {minimum}; the account has {available}: deposit {short} or more first"
    )]
    InsufficientCredit {
        what: String,
        minimum: String,
        available: String,
        short: String,
    },
}

impl CreditRefusal {
    /// The machine code the API answers with.
    pub fn code(&self) -> &'static str {
        match self {
            CreditRefusal::PaygLimitReached { .. } => "payg_instance_limit",
            CreditRefusal::InsufficientCredit { .. } => "insufficient_credit",
        }
    }
}

/// What buying one more instance of `billing` of `product_id` needs, given how many of that
/// billing the account already holds open of the product. Refuses at the pay-as-you-go limit.
pub fn requirement(
    product_id: &str,
    billing: Billing,
    limits: &PurchaseLimits,
    open: i64,
) -> Result<CreditRequirement, CreditRefusal> {
    let needs_credit = CreditRequirement::AtLeast {
        minimum_minor: limits.payg_minimum_credit_minor,
    };
    match billing {
        Billing::Subscription | Billing::ResourcePlan => Ok(CreditRequirement::None),
        Billing::Payg if open >= limits.payg_max_open_instances => {
            Err(CreditRefusal::PaygLimitReached {
                product: product_id.to_string(),
                open,
                limit: limits.payg_max_open_instances,
            })
        }
        Billing::Payg => Ok(needs_credit),
        Billing::Free if open < limits.free_instances_without_credit => Ok(CreditRequirement::None),
        Billing::Free => Ok(needs_credit),
    }
}

/// Whether `available_minor` of credit meets `requirement`, for buying `billing` of
/// `product_id`; amounts are said in `currency`.
pub fn check_credit(
    requirement: CreditRequirement,
    available_minor: i64,
    product_id: &str,
    billing: Billing,
    limits: &PurchaseLimits,
    currency: &str,
) -> Result<(), CreditRefusal> {
    let minimum_minor = match requirement {
        CreditRequirement::None => return Ok(()),
        CreditRequirement::AtLeast { minimum_minor } => minimum_minor,
    };
    if available_minor >= minimum_minor {
        return Ok(());
    }
    let what = match billing {
        Billing::Free => format!(
            "a free instance of {product_id} beyond the {} an account holds without credit",
            limits.free_instances_without_credit
        ),
        _ => format!("a pay-as-you-go instance of {product_id}"),
    };
    Err(CreditRefusal::InsufficientCredit {
        what,
        minimum: format_minor(minimum_minor, currency),
        available: format_minor(available_minor, currency),
        short: format_minor(minimum_minor.saturating_sub(available_minor), currency),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: PurchaseLimits = PurchaseLimits {
        payg_minimum_credit_minor: 1000,
        payg_max_open_instances: 2,
        free_instances_without_credit: 1,
    };

    fn decide(billing: Billing, open: i64, available_minor: i64) -> Result<(), CreditRefusal> {
        let needed = requirement("iot-platform", billing, &LIMITS, open)?;
        check_credit(
            needed,
            available_minor,
            "iot-platform",
            billing,
            &LIMITS,
            "USD",
        )
    }

    fn code(result: Result<(), CreditRefusal>) -> &'static str {
        result.map_or_else(|refusal| refusal.code(), |()| "ok")
    }

    #[test]
    fn available_credit_is_balance_and_coupons_less_unpaid_bills() {
        let funds = Funds {
            balance_minor: 700,
            coupons_minor: 500,
            vouchers_minor: 10_000,
        };
        assert_eq!(
            available_credit_minor(funds, 0),
            1200,
            "vouchers never pay a bill"
        );
        assert_eq!(available_credit_minor(funds, 1500), -300);
    }

    #[test]
    fn pay_as_you_go_needs_the_minimum_and_a_free_place() {
        assert_eq!(
            code(decide(Billing::Payg, 0, 1000)),
            "ok",
            "at least: equal is enough"
        );
        assert_eq!(code(decide(Billing::Payg, 0, 999)), "insufficient_credit");
        assert_eq!(code(decide(Billing::Payg, 1, 5000)), "ok");
        assert_eq!(code(decide(Billing::Payg, 2, 5000)), "payg_instance_limit");
        // At the limit, credit would not help: the limit is said first.
        assert_eq!(code(decide(Billing::Payg, 2, 0)), "payg_instance_limit");
    }

    #[test]
    fn free_instances_need_credit_past_the_allowance_and_have_no_limit() {
        assert_eq!(code(decide(Billing::Free, 0, 0)), "ok");
        assert_eq!(code(decide(Billing::Free, 1, 0)), "insufficient_credit");
        assert_eq!(code(decide(Billing::Free, 1, -5)), "insufficient_credit");
        assert_eq!(code(decide(Billing::Free, 500, 1000)), "ok");
    }

    #[test]
    fn prepaid_purchases_need_nothing_here() {
        for billing in [Billing::Subscription, Billing::ResourcePlan] {
            assert_eq!(code(decide(billing, 10_000, -1)), "ok");
        }
    }

    #[test]
    fn refusals_say_how_much_is_needed() {
        let refusal = decide(Billing::Payg, 0, 250).unwrap_err();
        assert_eq!(
            refusal.to_string(),
            "buying a pay-as-you-go instance of iot-platform needs available credit (balance + \
             coupons - unpaid bills) of at least 10.00 USD; the account has 2.50 USD: deposit \
             7.50 USD or more first"
        );
        let refusal = decide(Billing::Payg, 2, 0).unwrap_err();
        assert!(
            refusal.to_string().starts_with(
                "the account already holds 2 open pay-as-you-go instances of iot-platform"
            ),
            "{refusal}"
        );
    }

    #[test]
    fn released_instances_are_not_open() {
        let counts = [
            (InstanceStatus::Active, 3),
            (InstanceStatus::Stopped, 1),
            (InstanceStatus::Frozen, 2),
            (InstanceStatus::Released, 40),
            (InstanceStatus::Unsubscribed, 5),
        ];
        assert_eq!(open_count(&counts), 6);
    }
}
