//! Customer accounts, their money, and moving money into them.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::access::ShownOnce;
use crate::bills::Settlement;

/// A customer account as kept (its money is in [`AccountView`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Account {
    pub id: String,
    pub name: String,
    pub email: String,
    pub mobile: String,
    pub currency: String,
    pub low_balance_threshold_minor: Option<i64>,
    pub created_at: Timestamp,
    /// Since when the account has an unpaid bill; `None` when it owes nothing.
    pub overdue_since: Option<Timestamp>,
    /// The low-balance SMS went out and the credit has not risen above the threshold since.
    pub low_balance_alerted: bool,
    /// Why the account's writes are stopped: its ledger failed a check (see [`freeze`]).
    pub frozen_reason: Option<String>,
    pub frozen_at: Option<Timestamp>,
}

/// An account with its derived money.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AccountView {
    #[serde(flatten)]
    pub account: Account,
    pub balance_minor: i64,
    pub coupons_minor: i64,
    pub vouchers_minor: i64,
    /// Balance plus coupons: what can pay fees.
    pub available_credit_minor: i64,
    /// The account has unpaid bills (see `overdue_since`); fee operations are refused.
    pub overdue: bool,
    /// The sum of the unpaid bills.
    pub debt_minor: i64,
    /// The available credit is under `low_balance_threshold_minor`.
    pub low_balance: bool,
}

/// An account as the operator's list shows it: its money from the running totals and the
/// states looked for, decided as the account's own view decides them (a frozen account's view
/// refuses, saying why; its totals here are unchecked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AccountSummary {
    #[serde(flatten)]
    pub account: Account,
    pub balance_minor: i64,
    pub coupons_minor: i64,
    pub vouchers_minor: i64,
    /// Balance plus coupons: what can pay fees.
    pub available_credit_minor: i64,
    /// The account has unpaid bills (see `overdue_since`).
    pub overdue: bool,
    /// The account's writes are stopped (see `frozen_reason`).
    pub frozen: bool,
    /// The available credit is under `low_balance_threshold_minor`.
    pub low_balance: bool,
}

/// The order of the list of accounts; ties go by id.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AccountSort {
    /// Oldest first (ids sort by creation time).
    #[default]
    Created,
    /// By name, A to Z (ASCII letters in either case alike).
    Name,
    /// By balance, smallest first.
    Balance,
}

/// The longest `search` taken: the longest email an account may have.
pub const MAX_SEARCH_CHARS: usize = 254;

/// `GET /v1/accounts`: what to look for, filters, order and the page.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountQuery {
    /// A part of the name, email or mobile, or the start of the id (`acct_…`); ASCII letters
    /// match in either case, and `%`, `_` are plain characters. At most 254 characters.
    #[schemars(length(max = 254), regex(pattern = r"^[^\u0000]*$"))]
    pub search: Option<String>,
    /// Only accounts with unpaid bills (`true`), or only those without (`false`).
    pub overdue: Option<bool>,
    /// Only frozen accounts (`true`), or only those that are not (`false`).
    pub frozen: Option<bool>,
    /// Only accounts whose available credit is under their low-balance threshold (`true`), or
    /// only the others (`false`).
    pub low_balance: Option<bool>,
    /// `created` (the default), `name` or `balance`.
    pub sort: Option<AccountSort>,
    /// Items per page, 1 to 1000 (default 100).
    #[schemars(range(min = 1, max = 1000))]
    #[serde(default, deserialize_with = "crate::whole_number::query")]
    pub limit: Option<i64>,
    /// A page's `next_after`, with the same `sort`.
    pub after: Option<String>,
}

/// A new account and its owner's bearer key, shown only here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CreatedAccount {
    #[serde(flatten)]
    pub account: AccountView,
    pub owner_key: ShownOnce,
}

/// A movement of money: a deposit or a grant, with the account after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MoneyMovement {
    /// The ledger entry of the money; null while a card payment waits for the customer.
    pub entry_id: Option<String>,
    pub amount_minor: i64,
    pub account: AccountView,
    /// Unpaid bills the new money paid, and the instances that paying them restored.
    pub settlement: Settlement,
    /// The payment through the provider, for a card top-up: `succeeded` (credited now),
    /// `pending` (the customer must authenticate; credited when the provider says so).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment: Option<crate::payments::Payment>,
}

/// A new customer account, with its owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("examples" = [
    { "name": "Ada Lovelace", "email": "ada@example.com", "mobile": "+15550100" }
]))]
pub struct CreateAccount {
    #[schemars(
        length(min = 1, max = 200),
        regex(pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")
    )]
    pub name: String,
    #[schemars(
        length(min = 3, max = 254),
        regex(pattern = r"^[^\x00-\x20\x7f@]+@[^\x00-\x20\x7f@]+$")
    )]
    pub email: String,
    /// 5 to 20 digits, optionally after a `+`.
    #[schemars(regex(pattern = r"^\+?[0-9]{5,20}$"))]
    pub mobile: String,
    /// The catalog's currency (the default); no other is sold.
    #[schemars(extend("x-catalog" = "currency"))]
    pub currency: Option<String>,
    /// Minor units; the low-balance notice is sent when the balance falls below it.
    #[serde(
        alias = "low_balance_threshold_minor",
        default,
        deserialize_with = "crate::whole_number::optional"
    )]
    #[schemars(range(min = 0, max = 10_000_000_000_000i64))]
    pub low_balance_threshold: Option<i64>,
}

/// Nothing to say: the path names the account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Unfreeze {}

/// An amount: a plain integer of minor units in the account's currency, or
/// `{"amount": 1250, "currency": "USD"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(untagged, deny_unknown_fields)]
pub enum Amount {
    Minor(
        #[serde(deserialize_with = "crate::whole_number::number")]
        #[schemars(range(min = 1, max = 10_000_000_000_000i64))]
        i64,
    ),
    WithCurrency {
        #[schemars(range(min = 1, max = 10_000_000_000_000i64))]
        #[serde(deserialize_with = "crate::whole_number::number")]
        amount: i64,
        #[schemars(extend("x-catalog" = "currency"))]
        currency: String,
    },
}

/// Money that arrived outside tenure, added to the balance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("examples" = [
    { "amount": 50000, "method": "bank_card" },
    { "amount": { "amount": 50000, "currency": "USD" }, "method": "transfer" }
]))]
pub struct Deposit {
    pub amount: Amount,
    /// Where the money comes from. With card payments configured, `bank_card` charges a
    /// saved card through the payment provider (the default card, or `payment_method`) and
    /// credits the balance once the provider says it was paid; otherwise it records money that
    /// arrived outside tenure, as every other method does (the operator's alone).
    #[schemars(extend("enum" = ["bank_card", "paypal", "alipay", "transfer"]))]
    pub method: String,
    /// The saved card to charge (`card_…`), for `bank_card` with card payments configured;
    /// the default card when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_method: Option<String>,
}

/// Coupons or vouchers granted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Grant {
    pub amount: Amount,
}

/// The low-balance threshold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    #[schemars(range(min = 0, max = 10_000_000_000_000i64))]
    #[serde(default, deserialize_with = "crate::whole_number::optional")]
    pub threshold: Option<i64>,
}

#[cfg(feature = "domain")]
mod from_domain {
    use super::*;

    impl From<tenure_store::accounts::Account> for Account {
        fn from(account: tenure_store::accounts::Account) -> Account {
            Account {
                id: account.id,
                name: account.name,
                email: account.email,
                mobile: account.mobile,
                currency: account.currency,
                low_balance_threshold_minor: account.low_balance_threshold_minor,
                created_at: account.created_at,
                overdue_since: account.overdue_since,
                low_balance_alerted: account.low_balance_alerted,
                frozen_reason: account.frozen_reason,
                frozen_at: account.frozen_at,
            }
        }
    }

    impl From<tenure_engine::accounts::AccountView> for AccountView {
        fn from(view: tenure_engine::accounts::AccountView) -> AccountView {
            AccountView {
                account: view.account.into(),
                balance_minor: view.balance_minor,
                coupons_minor: view.coupons_minor,
                vouchers_minor: view.vouchers_minor,
                available_credit_minor: view.available_credit_minor,
                overdue: view.overdue,
                debt_minor: view.debt_minor,
                low_balance: view.low_balance,
            }
        }
    }

    impl From<tenure_engine::accounts::AccountSummary> for AccountSummary {
        fn from(summary: tenure_engine::accounts::AccountSummary) -> AccountSummary {
            AccountSummary {
                account: summary.account.into(),
                balance_minor: summary.balance_minor,
                coupons_minor: summary.coupons_minor,
                vouchers_minor: summary.vouchers_minor,
                available_credit_minor: summary.available_credit_minor,
                overdue: summary.overdue,
                frozen: summary.frozen,
                low_balance: summary.low_balance,
            }
        }
    }

    impl From<AccountSort> for tenure_store::accounts::AccountOrder {
        fn from(sort: AccountSort) -> tenure_store::accounts::AccountOrder {
            match sort {
                AccountSort::Created => tenure_store::accounts::AccountOrder::Created,
                AccountSort::Name => tenure_store::accounts::AccountOrder::Name,
                AccountSort::Balance => tenure_store::accounts::AccountOrder::Balance,
            }
        }
    }

    impl From<tenure_engine::accounts::CreatedAccount> for CreatedAccount {
        fn from(created: tenure_engine::accounts::CreatedAccount) -> CreatedAccount {
            CreatedAccount {
                account: created.account.into(),
                owner_key: created.owner_key.into(),
            }
        }
    }

    impl From<tenure_engine::accounts::MoneyMovement> for MoneyMovement {
        fn from(movement: tenure_engine::accounts::MoneyMovement) -> MoneyMovement {
            MoneyMovement {
                entry_id: Some(movement.entry_id),
                amount_minor: movement.amount_minor,
                account: movement.account.into(),
                settlement: movement.settlement.into(),
                payment: None,
            }
        }
    }

    impl From<tenure_engine::payments::CardTopUp> for MoneyMovement {
        fn from(top_up: tenure_engine::payments::CardTopUp) -> MoneyMovement {
            let payment = Some(top_up.payment.into());
            match top_up.movement {
                Some(movement) => MoneyMovement {
                    payment,
                    ..movement.into()
                },
                None => MoneyMovement {
                    entry_id: None,
                    amount_minor: top_up.amount_minor,
                    account: top_up.account.into(),
                    settlement: Settlement::default(),
                    payment,
                },
            }
        }
    }
}
