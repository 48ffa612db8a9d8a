//! Which sources pay an amount: one order for every payment tenure makes, and [`plan_payment`]
//! the one function that applies it (purchase, manual renewal, auto-renewal, upgrade, usage bill).
//!
//! 1. **Vouchers**, where the use case allows them: purchases, manual renewals and upgrades
//!    (the caller may turn them off); never auto-renewal or usage bills.
//! 2. **Coupons** (the caller may turn them off): credit the operator granted, spent before the
//!    customer's own money.
//! 3. **The chosen method** for the rest: the account balance (the default, and the only one
//!    auto-renewal and usage bills may use) or an outside method (card, PayPal, ...), which then
//!    pays the whole rest and leaves the balance alone.
//!
//! What each use case may use is a [`PaymentSources`]; the order never depends on it. Spending
//! promotional credit first is the billing centres' rule, and it keeps a refund simple: what
//! came from coupons goes back to coupons, the rest where the payment method says.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Where the rest of an amount comes from once credit is used. Anything but `balance` is money
/// paid outside tenure, which only the operator's key records (an account's key is answered 403).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    Balance,
    BankCard,
    Paypal,
    Alipay,
    Transfer,
}

impl PaymentMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentMethod::Balance => "balance",
            PaymentMethod::BankCard => "bank_card",
            PaymentMethod::Paypal => "paypal",
            PaymentMethod::Alipay => "alipay",
            PaymentMethod::Transfer => "transfer",
        }
    }

    pub fn is_external(self) -> bool {
        self != PaymentMethod::Balance
    }
}

impl FromStr for PaymentMethod {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "balance" => Ok(PaymentMethod::Balance),
            "bank_card" => Ok(PaymentMethod::BankCard),
            "paypal" => Ok(PaymentMethod::Paypal),
            "alipay" => Ok(PaymentMethod::Alipay),
            "transfer" => Ok(PaymentMethod::Transfer),
            other => Err(format!(
                "`{other}` is not a payment method: use balance, bank_card, paypal, alipay or transfer"
            )),
        }
    }
}

/// What an account holds, derived from the ledger.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Funds {
    pub balance_minor: i64,
    pub coupons_minor: i64,
    pub vouchers_minor: i64,
}

/// Funds plus a change to them (a ledger entry's, say), each source on its own.
impl std::ops::AddAssign for Funds {
    fn add_assign(&mut self, change: Funds) {
        self.balance_minor += change.balance_minor;
        self.coupons_minor += change.coupons_minor;
        self.vouchers_minor += change.vouchers_minor;
    }
}

/// Which sources a payment may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaymentSources {
    pub use_vouchers: bool,
    pub use_coupons: bool,
    pub method: PaymentMethod,
}

impl PaymentSources {
    /// Auto-renewal pays from coupons and the balance only: never a voucher, card or wallet.
    pub const AUTO_RENEWAL: PaymentSources = PaymentSources {
        use_vouchers: false,
        use_coupons: true,
        method: PaymentMethod::Balance,
    };

    /// A usage bill is paid like an auto-renewal, from coupons and the balance (in that order),
    /// at once and in full, or not at all (it stays unpaid, as debt).
    pub const USAGE_BILL: PaymentSources = PaymentSources::AUTO_RENEWAL;
}

/// How much each source pays. The shares sum to the amount due.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PaymentPlan {
    pub voucher_minor: i64,
    pub coupon_minor: i64,
    pub balance_minor: i64,
    pub external_minor: i64,
    pub external_method: Option<PaymentMethod>,
}

impl PaymentPlan {
    pub fn total_minor(&self) -> i64 {
        self.voucher_minor + self.coupon_minor + self.balance_minor + self.external_minor
    }

    /// The part paid in cash (everything but vouchers): the most a refund can give back.
    pub fn cash_minor(&self) -> i64 {
        self.coupon_minor + self.balance_minor + self.external_minor
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("available credit {available_minor} does not cover {due_minor}")]
pub struct InsufficientFunds {
    pub due_minor: i64,
    pub available_minor: i64,
}

/// Splits `due_minor` over the allowed sources, in the fixed order.
pub fn plan_payment(
    due_minor: i64,
    funds: Funds,
    sources: PaymentSources,
) -> Result<PaymentPlan, InsufficientFunds> {
    let mut remaining_minor = due_minor;
    let mut take = |available_minor: i64, allowed: bool| {
        let share_minor = if allowed {
            remaining_minor.min(available_minor.max(0))
        } else {
            0
        };
        remaining_minor -= share_minor;
        share_minor
    };
    let voucher_minor = take(funds.vouchers_minor, sources.use_vouchers);
    let coupon_minor = take(funds.coupons_minor, sources.use_coupons);
    let plan = if sources.method.is_external() {
        PaymentPlan {
            voucher_minor,
            coupon_minor,
            balance_minor: 0,
            external_minor: remaining_minor,
            external_method: (remaining_minor > 0).then_some(sources.method),
        }
    } else {
        let balance_minor = take(funds.balance_minor, true);
        if remaining_minor > 0 {
            let available_minor = due_minor - remaining_minor;
            return Err(InsufficientFunds {
                due_minor,
                available_minor,
            });
        }
        PaymentPlan {
            voucher_minor,
            coupon_minor,
            balance_minor,
            external_minor: 0,
            external_method: None,
        }
    };
    debug_assert_eq!(plan.total_minor(), due_minor);
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVERYTHING: PaymentSources = PaymentSources {
        use_vouchers: true,
        use_coupons: true,
        method: PaymentMethod::Balance,
    };

    #[test]
    fn vouchers_then_coupons_then_balance() {
        let funds = Funds {
            balance_minor: 10_000,
            coupons_minor: 300,
            vouchers_minor: 200,
        };
        let plan = plan_payment(1000, funds, EVERYTHING).unwrap();
        assert_eq!(
            (plan.voucher_minor, plan.coupon_minor, plan.balance_minor),
            (200, 300, 500)
        );
        assert_eq!(plan.cash_minor(), 800);
    }

    #[test]
    fn auto_renewal_never_uses_vouchers() {
        let funds = Funds {
            balance_minor: 0,
            coupons_minor: 0,
            vouchers_minor: 5000,
        };
        let error = plan_payment(1000, funds, PaymentSources::AUTO_RENEWAL).unwrap_err();
        assert_eq!(
            error,
            InsufficientFunds {
                due_minor: 1000,
                available_minor: 0
            }
        );
    }

    #[test]
    fn an_external_method_pays_what_credit_does_not() {
        let funds = Funds {
            balance_minor: 99_999,
            coupons_minor: 100,
            vouchers_minor: 0,
        };
        let sources = PaymentSources {
            method: PaymentMethod::BankCard,
            ..EVERYTHING
        };
        let plan = plan_payment(1000, funds, sources).unwrap();
        assert_eq!(
            plan.balance_minor, 0,
            "an external payment leaves the balance alone"
        );
        assert_eq!((plan.coupon_minor, plan.external_minor), (100, 900));
        assert_eq!(plan.external_method, Some(PaymentMethod::BankCard));
    }

    #[test]
    fn shortfall_is_refused_with_what_was_available() {
        let funds = Funds {
            balance_minor: 400,
            coupons_minor: 100,
            vouchers_minor: 0,
        };
        let error = plan_payment(1000, funds, EVERYTHING).unwrap_err();
        assert_eq!(error.available_minor, 500);
    }
}
