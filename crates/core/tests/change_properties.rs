//! Property tests of the money of changes: random sequences of a purchase, changes (up and down)
//! and renewals, paid with vouchers, coupons and balance, must never refund more cash than was
//! paid — in total and per period, even after a final refund of everything unused — and every
//! ledger entry, so the whole ledger, sums to zero.

use jiff::Timestamp;
use proptest::prelude::*;
use tenure_core::catalog::Spec;
use tenure_core::change::{price_change, PaidPeriod};
use tenure_core::ledger::{sum_minor, Entry, LedgerAccount, Posting};
use tenure_core::payment::PaymentPlan;
use tenure_core::payment::{plan_payment, Funds, PaymentMethod, PaymentSources};
use tenure_core::period::{add_days, Period};
use tenure_core::proration::{ChangeDirection, PeriodValue, Usage};
use tenure_core::refund::{refund_order, RefundSplit, RefundablePeriod, Resource};

#[derive(Debug, Clone)]
enum Step {
    /// Let time pass.
    Wait { minutes: i64 },
    /// Change to the spec at this index of the price list.
    Change { spec_index: usize },
    /// Renew for this many months (a paid period after the last one).
    Renew { months: u32 },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (1i64..20 * 24 * 60).prop_map(|minutes| Step::Wait { minutes }),
        (0usize..4).prop_map(|spec_index| Step::Change { spec_index }),
        (1u32..4).prop_map(|months| Step::Renew { months }),
    ]
}

/// A customer's books, from the core's own entries.
struct Books {
    postings: Vec<Posting>,
    cash_paid_minor: i64,
    refunded_minor: i64,
}

impl Books {
    fn post(&mut self, entry: Entry) {
        assert_eq!(sum_minor(entry.postings()), Some(0), "entry balances");
        self.postings.extend_from_slice(entry.postings());
    }

    fn funds(&self) -> Funds {
        let sum = |account: LedgerAccount| -> i64 {
            self.postings
                .iter()
                .filter(|posting| posting.ledger_account == account)
                .map(|posting| posting.amount_minor)
                .sum()
        };
        Funds {
            balance_minor: sum(LedgerAccount::Balance),
            coupons_minor: sum(LedgerAccount::Coupons),
            vouchers_minor: sum(LedgerAccount::Vouchers),
        }
    }

    /// Pays `amount_minor` from vouchers, coupons and balance; returns (cash, voucher) shares.
    fn pay(&mut self, amount_minor: i64) -> (i64, i64) {
        let sources = PaymentSources {
            use_vouchers: true,
            use_coupons: true,
            method: PaymentMethod::Balance,
        };
        let plan = plan_payment(amount_minor, self.funds(), sources).expect("funded");
        self.post(Entry::order_payment(&plan));
        self.cash_paid_minor += plan.cash_minor();
        (plan.cash_minor(), plan.voucher_minor)
    }

    fn refund(&mut self, amount_minor: i64) {
        self.post(Entry::refund(&RefundSplit::to_balance(amount_minor)));
        self.refunded_minor += amount_minor;
    }
}

fn spec(monthly_price_minor: i64) -> Spec {
    Spec {
        id: format!("spec-{monthly_price_minor}"),
        name: "spec".into(),
        monthly_price_minor,
        yearly_price_minor: monthly_price_minor * 10,
        quota: None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn refunds_never_exceed_cash_paid_and_the_ledger_balances(
        prices in proptest::collection::vec(1i64..200_000, 4),
        voucher_minor in 0i64..100_000,
        coupon_minor in 0i64..100_000,
        start_index in 0usize..4,
        steps in proptest::collection::vec(step(), 1..40),
    ) {
        let specs: Vec<Spec> = prices.into_iter().map(spec).collect();
        let mut books = Books { postings: Vec::new(), cash_paid_minor: 0, refunded_minor: 0 };
        books.post(Entry::deposit(100_000_000, PaymentMethod::BankCard));
        books.post(Entry::grant(LedgerAccount::Vouchers, voucher_minor.max(1)));
        books.post(Entry::grant(LedgerAccount::Coupons, coupon_minor.max(1)));

        let mut now: Timestamp = "2026-01-31T10:17:00Z".parse().unwrap();
        let mut current = start_index;
        let first_period = Period::months(1);
        let (cash, voucher) = books.pay(specs[current].list_price_minor(first_period).unwrap());
        let mut periods = vec![PaidPeriod {
            period_order_id: "period-0".into(),
            period: first_period,
            starts_at: now,
            ends_at: first_period.add_to(now),
            value: PeriodValue::paid(cash, voucher),
            revision: 0,
        }];
        // Cash put into and taken out of each period, by period index.
        let mut cash_in = vec![cash];
        let mut cash_out = vec![0i64];

        for step in steps {
            match step {
                Step::Wait { minutes } => now = add_days(now, 0).checked_add(jiff::Span::new().minutes(minutes)).unwrap(),
                Step::Renew { months } => {
                    let period = Period::months(months);
                    let starts_at = periods.last().unwrap().ends_at.max(now);
                    let (cash, voucher) = books.pay(specs[current].list_price_minor(period).unwrap());
                    periods.push(PaidPeriod {
                        period_order_id: format!("period-{}", periods.len()),
                        period,
                        starts_at,
                        ends_at: period.add_to(starts_at),
                        value: PeriodValue::paid(cash, voucher),
                        revision: 0,
                    });
                    cash_in.push(cash);
                    cash_out.push(0);
                }
                Step::Change { spec_index } => {
                    if spec_index == current || periods.last().unwrap().ends_at <= now {
                        continue;
                    }
                    let direction = if specs[spec_index].monthly_price_minor > specs[current].monthly_price_minor {
                        ChangeDirection::Upgrade
                    } else {
                        ChangeDirection::Downgrade
                    };
                    let quote = price_change(direction, &specs[spec_index], &periods, now).unwrap();
                    for line in &quote.periods {
                        let index = periods.iter().position(|paid| paid.period_order_id == line.period_order_id).unwrap();
                        let amounts = &line.amounts;
                        prop_assert!(amounts.refund_minor >= 0 && amounts.charge_minor >= 0);
                        prop_assert!(amounts.refund_minor <= amounts.unused.cash_minor);
                        let (paid_cash, paid_voucher) = if amounts.charge_minor > 0 { books.pay(amounts.charge_minor) } else { (0, 0) };
                        if amounts.refund_minor > 0 {
                            books.refund(amounts.refund_minor);
                        }
                        let after = amounts.value_after(paid_cash, paid_voucher);
                        prop_assert!(after.cash_minor >= 0 && after.voucher_minor >= 0, "{after:?}");
                        cash_in[index] += paid_cash;
                        cash_out[index] += amounts.refund_minor;
                        periods[index].value = after;
                        periods[index].revision = line.revision;
                    }
                    current = spec_index;
                }
            }
            prop_assert!(books.refunded_minor <= books.cash_paid_minor);
            for (paid_in, paid_out) in cash_in.iter().zip(&cash_out) {
                prop_assert!(paid_out <= paid_in, "a period refunded {paid_out} of {paid_in} cash");
            }
        }

        // Unsubscribing now refunds every period's unused cash: still within what was paid.
        for (index, paid) in periods.iter().enumerate() {
            if paid.ends_at <= now {
                continue;
            }
            // The unsubscription rule itself, from the period's latest value.
            let period = RefundablePeriod {
                value: paid.value,
                cash_paid_minor: cash_in[index],
                refunded_before_minor: cash_out[index],
                ..RefundablePeriod::opened(
                    paid.starts_at,
                    PaymentPlan { balance_minor: cash_in[index], ..PaymentPlan::default() },
                    paid.starts_at,
                    paid.ends_at,
                )
            };
            let refund = refund_order(Resource::Regular { refundable: true }, &period, now);
            let unused = paid.value.unused_at(Usage::at(paid.starts_at, paid.ends_at, now));
            prop_assert_eq!(refund.refund_minor, unused.cash_minor);
            prop_assert!(refund.kept_minor >= 0, "{refund:?}");
            if refund.refund_minor > 0 {
                books.post(Entry::refund(&refund.split));
                books.refunded_minor += refund.refund_minor;
                cash_out[index] += refund.refund_minor;
            }
            prop_assert!(cash_out[index] <= cash_in[index]);
        }
        prop_assert!(books.refunded_minor <= books.cash_paid_minor);
        prop_assert_eq!(sum_minor(&books.postings), Some(0));
        let funds = books.funds();
        prop_assert!(funds.balance_minor >= 0 && funds.coupons_minor >= 0 && funds.vouchers_minor >= 0);
    }

    #[test]
    fn a_downgrade_then_the_upgrade_back_at_the_same_moment_costs_nothing_extra(
        paid_minor in 1i64..1_000_000,
        lower_minor in 1i64..1_000_000,
        used_hours in 0i64..720,
    ) {
        // Round trips within one started hour give back no more than they take.
        let usage = Usage { ordered_hours: 720, used_hours };
        let value = PeriodValue::paid(paid_minor, 0);
        let down = tenure_core::proration::change_amounts(ChangeDirection::Downgrade, value, lower_minor, usage);
        let up = tenure_core::proration::change_amounts(ChangeDirection::Upgrade, down.value_after(0, 0), paid_minor, usage);
        prop_assert!(down.refund_minor <= up.charge_minor + 1, "refund {} charge {}", down.refund_minor, up.charge_minor);
        prop_assert!(down.refund_minor + 1 >= up.charge_minor);
    }
}
