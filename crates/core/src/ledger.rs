//! The double-entry ledger. Every movement of money is one [`Entry`] whose postings sum to
//! zero; a customer's balance, coupons and vouchers are sums of postings, never edited in place.
//!
//! Sign convention: a posting adds its amount to its ledger account. Money arriving in a
//! customer's balance from a bank card is `+balance, -external:bank_card`; paying an order from
//! the balance is `-balance, +revenue`. So customer accounts hold positive sums and the
//! operator's side holds the opposite.

use serde::Serialize;
use serde_json::json;

use crate::event::{EventDraft, EventKind};
use crate::payment::{PaymentMethod, PaymentPlan};
use crate::refund::RefundSplit;

/// The books a posting can move money in. Customer books are per account; the others are the
/// operator's counterparts, also recorded against the customer account they concern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum LedgerAccount {
    /// Cash the customer holds with the operator.
    Balance,
    /// Credit that pays fees, auto-renewal included.
    Coupons,
    /// Credit that pays purchases and is never refunded.
    Vouchers,
    /// Money that came from (or went back to) an outside payment method.
    External(PaymentMethod),
    /// What the operator earned from orders.
    Revenue,
    /// The operator's side of coupons and vouchers it granted.
    Grants,
    /// Refunds owed to an outside method while its channel processes them (up to 30
    /// business days); emptied into `external:METHOD` when the refund arrives.
    RefundsPayable,
    /// Card money the payment provider holds for the operator, on its way between the card
    /// and the operator's bank: what its charges collected less what its refunds paid back.
    /// It leaves when the provider pays out, outside tenure, so its sum is what the operator
    /// reconciles against the provider's balance and payouts.
    ProviderClearing,
}

impl LedgerAccount {
    pub fn as_str(self) -> &'static str {
        match self {
            LedgerAccount::Balance => "balance",
            LedgerAccount::Coupons => "coupons",
            LedgerAccount::Vouchers => "vouchers",
            LedgerAccount::External(PaymentMethod::Balance) => "external:balance",
            LedgerAccount::External(PaymentMethod::BankCard) => "external:bank_card",
            LedgerAccount::External(PaymentMethod::Paypal) => "external:paypal",
            LedgerAccount::External(PaymentMethod::Alipay) => "external:alipay",
            LedgerAccount::External(PaymentMethod::Transfer) => "external:transfer",
            LedgerAccount::Revenue => "revenue",
            LedgerAccount::Grants => "grants",
            LedgerAccount::RefundsPayable => "refunds_payable",
            LedgerAccount::ProviderClearing => "provider_clearing",
        }
    }
}

/// Why an entry was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum EntryKind {
    Deposit,
    CouponGrant,
    VoucherGrant,
    OrderPayment,
    /// Cash given back to the customer (a downgrade's or an unsubscription's refund): to the
    /// balance and coupons at once, or to refunds payable while an outside channel pays it.
    Refund,
    /// An outside refund arrived: refunds payable emptied into the method.
    RefundCompleted,
    /// A usage bill paid from the balance and coupons.
    BillPayment,
    /// The payment provider collected a card payment (a top-up or an order's card share):
    /// the card's money is in provider clearing.
    ProviderCollected,
    /// The payment provider paid a refund back to the card, out of provider clearing.
    ProviderPaidBack,
    /// A refund the provider could not pay back to the card went to the balance instead.
    RefundRedirected,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Deposit => "deposit",
            EntryKind::CouponGrant => "coupon_grant",
            EntryKind::VoucherGrant => "voucher_grant",
            EntryKind::OrderPayment => "order_payment",
            EntryKind::Refund => "refund",
            EntryKind::RefundCompleted => "refund_completed",
            EntryKind::BillPayment => "bill_payment",
            EntryKind::ProviderCollected => "provider_collected",
            EntryKind::ProviderPaidBack => "provider_paid_back",
            EntryKind::RefundRedirected => "refund_redirected",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Posting {
    pub ledger_account: LedgerAccount,
    pub amount_minor: i64,
}

/// A balanced set of postings. The constructor refuses an unbalanced one: the first of the
/// two checks of the ledger invariant (the second runs when entries are read back).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    kind: EntryKind,
    postings: Vec<Posting>,
}

impl Entry {
    /// # Panics
    /// If the postings do not sum to zero: an unbalanced entry is a bug, never a user error.
    pub fn new(kind: EntryKind, postings: Vec<Posting>) -> Entry {
        let postings: Vec<Posting> = postings
            .into_iter()
            .filter(|posting| posting.amount_minor != 0)
            .collect();
        assert_eq!(
            sum_minor(&postings),
            Some(0),
            "ledger entry {kind:?} does not balance: {postings:?}"
        );
        Entry { kind, postings }
    }

    pub fn kind(&self) -> EntryKind {
        self.kind
    }

    pub fn postings(&self) -> &[Posting] {
        &self.postings
    }

    /// Funds arriving in the balance from an outside method.
    pub fn deposit(amount_minor: i64, method: PaymentMethod) -> Entry {
        Entry::new(
            EntryKind::Deposit,
            vec![
                Posting {
                    ledger_account: LedgerAccount::Balance,
                    amount_minor,
                },
                Posting {
                    ledger_account: LedgerAccount::External(method),
                    amount_minor: -amount_minor,
                },
            ],
        )
    }

    /// Credit the operator grants: coupons or vouchers.
    pub fn grant(credit: LedgerAccount, amount_minor: i64) -> Entry {
        let kind = match credit {
            LedgerAccount::Coupons => EntryKind::CouponGrant,
            LedgerAccount::Vouchers => EntryKind::VoucherGrant,
            other => panic!("{other:?} is not a grantable credit"),
        };
        Entry::new(
            kind,
            vec![
                Posting {
                    ledger_account: credit,
                    amount_minor,
                },
                Posting {
                    ledger_account: LedgerAccount::Grants,
                    amount_minor: -amount_minor,
                },
            ],
        )
    }

    /// An order paid as `plan` says: every source gives its share, revenue takes the total.
    pub fn order_payment(plan: &PaymentPlan) -> Entry {
        let mut postings = vec![
            Posting {
                ledger_account: LedgerAccount::Vouchers,
                amount_minor: -plan.voucher_minor,
            },
            Posting {
                ledger_account: LedgerAccount::Coupons,
                amount_minor: -plan.coupon_minor,
            },
            Posting {
                ledger_account: LedgerAccount::Balance,
                amount_minor: -plan.balance_minor,
            },
            Posting {
                ledger_account: LedgerAccount::Revenue,
                amount_minor: plan.total_minor(),
            },
        ];
        if let Some(method) = plan.external_method {
            postings.push(Posting {
                ledger_account: LedgerAccount::External(method),
                amount_minor: -plan.external_minor,
            });
        }
        Entry::new(EntryKind::OrderPayment, postings)
    }

    /// A refund (downgrade or unsubscription): revenue gives back the total; the coupon share
    /// returns to coupons, the rest to the balance at once, or to refunds payable while an
    /// outside channel processes it. The one refund entry; see `crate::refund_destination`.
    pub fn refund(split: &RefundSplit) -> Entry {
        Entry::new(
            EntryKind::Refund,
            vec![
                Posting {
                    ledger_account: LedgerAccount::Revenue,
                    amount_minor: -split.total_minor(),
                },
                Posting {
                    ledger_account: LedgerAccount::Coupons,
                    amount_minor: split.to_coupons_minor,
                },
                Posting {
                    ledger_account: LedgerAccount::Balance,
                    amount_minor: split.to_balance_minor,
                },
                Posting {
                    ledger_account: LedgerAccount::RefundsPayable,
                    amount_minor: split.to_external_minor,
                },
            ],
        )
    }

    /// An outside refund arrived: it leaves refunds payable and goes back to the method,
    /// the reverse of a payment (`+external:METHOD`).
    pub fn refund_completed(method: PaymentMethod, amount_minor: i64) -> Entry {
        Entry::new(
            EntryKind::RefundCompleted,
            vec![
                Posting {
                    ledger_account: LedgerAccount::RefundsPayable,
                    amount_minor: -amount_minor,
                },
                Posting {
                    ledger_account: LedgerAccount::External(method),
                    amount_minor,
                },
            ],
        )
    }

    /// The provider collected `amount_minor` from a card: written beside the entry the card's
    /// money paid (a deposit or an order, `-external:bank_card`), whose source it names.
    pub fn provider_collected(amount_minor: i64) -> Entry {
        Entry::new(
            EntryKind::ProviderCollected,
            vec![
                Posting {
                    ledger_account: LedgerAccount::External(PaymentMethod::BankCard),
                    amount_minor,
                },
                Posting {
                    ledger_account: LedgerAccount::ProviderClearing,
                    amount_minor: -amount_minor,
                },
            ],
        )
    }

    /// The provider paid `amount_minor` back to a card: written beside the refund's arrival
    /// (`+external:bank_card`), whose money it names as the provider's.
    pub fn provider_paid_back(amount_minor: i64) -> Entry {
        Entry::new(
            EntryKind::ProviderPaidBack,
            vec![
                Posting {
                    ledger_account: LedgerAccount::External(PaymentMethod::BankCard),
                    amount_minor: -amount_minor,
                },
                Posting {
                    ledger_account: LedgerAccount::ProviderClearing,
                    amount_minor,
                },
            ],
        )
    }

    /// A refund owed to a card that the provider refused: it leaves refunds payable for the
    /// balance, where the customer can spend it or have it paid out.
    pub fn refund_redirected(amount_minor: i64) -> Entry {
        Entry::new(
            EntryKind::RefundRedirected,
            vec![
                Posting {
                    ledger_account: LedgerAccount::RefundsPayable,
                    amount_minor: -amount_minor,
                },
                Posting {
                    ledger_account: LedgerAccount::Balance,
                    amount_minor,
                },
            ],
        )
    }

    /// A usage bill paid as `payment` says: balance and coupons give, revenue takes the total.
    pub fn bill_payment(payment: &crate::bill::BillPayment) -> Entry {
        Entry::new(
            EntryKind::BillPayment,
            vec![
                Posting {
                    ledger_account: LedgerAccount::Balance,
                    amount_minor: -payment.balance_minor,
                },
                Posting {
                    ledger_account: LedgerAccount::Coupons,
                    amount_minor: -payment.coupon_minor,
                },
                Posting {
                    ledger_account: LedgerAccount::Revenue,
                    amount_minor: payment.total_minor(),
                },
            ],
        )
    }
}

/// The sum of `postings`, or `None` if it leaves `i64` (then they cannot balance either).
pub fn sum_minor(postings: &[Posting]) -> Option<i64> {
    postings
        .iter()
        .try_fold(0i64, |sum, posting| sum.checked_add(posting.amount_minor))
}

/// Announces a deposit ([`Entry::deposit`]) of `amount_minor` by `method` (`funds.deposited`).
pub fn deposited_event(
    account_id: &str,
    amount_minor: i64,
    method: PaymentMethod,
    entry_id: &str,
) -> EventDraft {
    EventDraft {
        kind: EventKind::FundsDeposited,
        account_id: account_id.to_string(),
        instance_id: None,
        data:
            json!({ "amount_minor": amount_minor, "method": method.as_str(), "entry_id": entry_id })
                .into(),
    }
}

/// Announces a grant ([`Entry::grant`]): `coupon.granted` for coupons, else `voucher.granted`.
pub fn granted_event(
    account_id: &str,
    credit: LedgerAccount,
    amount_minor: i64,
    entry_id: &str,
) -> EventDraft {
    let kind = match credit {
        LedgerAccount::Coupons => EventKind::CouponGranted,
        _ => EventKind::VoucherGranted,
    };
    EventDraft {
        kind,
        account_id: account_id.to_string(),
        instance_id: None,
        data: json!({ "amount_minor": amount_minor, "entry_id": entry_id }).into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders_balance() {
        for entry in [
            Entry::deposit(1000, PaymentMethod::BankCard),
            Entry::grant(LedgerAccount::Coupons, 500),
            Entry::refund(&RefundSplit {
                to_coupons_minor: 100,
                to_balance_minor: 0,
                to_external_minor: 700,
                external_method: Some(PaymentMethod::BankCard),
            }),
            Entry::refund_completed(PaymentMethod::BankCard, 700),
            Entry::order_payment(&PaymentPlan {
                voucher_minor: 100,
                coupon_minor: 200,
                balance_minor: 300,
                external_minor: 400,
                external_method: Some(PaymentMethod::Paypal),
            }),
            Entry::refund(&RefundSplit::to_balance(1200)),
        ] {
            assert_eq!(sum_minor(entry.postings()), Some(0));
        }
    }

    #[test]
    #[should_panic(expected = "does not balance")]
    fn unbalanced_entries_are_refused() {
        Entry::new(
            EntryKind::Deposit,
            vec![Posting {
                ledger_account: LedgerAccount::Balance,
                amount_minor: 1,
            }],
        );
    }
}
